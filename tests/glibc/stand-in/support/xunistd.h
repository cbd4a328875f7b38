/* support/xunistd.h - oxalloc's stand-in: system calls that end the test
 * when they fail. */
#ifndef OX_GLIBC_SUPPORT_XUNISTD_H
#define OX_GLIBC_SUPPORT_XUNISTD_H

#include <sys/types.h>
#include <unistd.h>

pid_t xfork(void);
pid_t xwaitpid(pid_t pid, int *status, int flags);
int xopen(const char *path, int flags, mode_t mode);
void xclose(int fd);
void xpipe(int fds[2]);
void xwrite(int fd, const void *buf, size_t n);
void *xmmap(void *addr, size_t length, int prot, int flags, int fd);
void xmunmap(void *addr, size_t length);
void xmprotect(void *addr, size_t length, int prot);

#endif
