/* support/support.h - oxalloc's stand-in for glibc's test helpers: x*
 * wrappers that end the test on failure, memory shared with subprocesses. */
#ifndef OX_GLIBC_SUPPORT_SUPPORT_H
#define OX_GLIBC_SUPPORT_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

void *xmalloc(size_t n) __attribute__((malloc));
void *xcalloc(size_t count, size_t n) __attribute__((malloc));
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long xsysconf(int name);
void *support_shared_allocate(size_t size);
void support_shared_free(void *p);
void write_message(const char *message);
void support_need_proc(const char *reason);

#endif
