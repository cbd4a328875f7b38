/* array_length.h - oxalloc's stand-in: the element count of an array. */
#ifndef OX_GLIBC_ARRAY_LENGTH_H
#define OX_GLIBC_ARRAY_LENGTH_H

#define array_length(a) (sizeof(a) / sizeof((a)[0]))
#define array_end(a) (&(a)[array_length(a)])

#endif
