/* support/temp_file.h - oxalloc's stand-in: temporary files removed when
 * the test ends. */
#ifndef OX_GLIBC_SUPPORT_TEMP_FILE_H
#define OX_GLIBC_SUPPORT_TEMP_FILE_H

/* A new file under $TMPDIR (or /tmp) named after `base`; its name in
 * *filename (malloc'ed) unless filename is NULL.  Returns its descriptor,
 * -1 on failure. */
int create_temp_file(const char *base, char **filename);
void add_temp_file(const char *name);

#endif
