/* libc-diag.h - oxalloc's stand-in for glibc's internal header of the
 * same name: push, pop and silence compiler diagnostics around code that
 * is wrong on purpose (huge sizes, use after realloc). */
#ifndef OX_GLIBC_LIBC_DIAG_H
#define OX_GLIBC_LIBC_DIAG_H

#define OX_DIAG_PRAGMA(text) _Pragma(#text)
#define DIAG_PUSH_NEEDS_COMMENT OX_DIAG_PRAGMA(GCC diagnostic push)
#define DIAG_POP_NEEDS_COMMENT OX_DIAG_PRAGMA(GCC diagnostic pop)
/* `version` is the first GCC that needs it; every option is simply ignored. */
#define DIAG_IGNORE_NEEDS_COMMENT(version, option) OX_DIAG_PRAGMA(GCC diagnostic ignored option)
#define DIAG_IGNORE_Os_NEEDS_COMMENT(version, option)
#define ignore_value(x) ((void)(x))

#endif
