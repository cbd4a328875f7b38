/* support/xsignal.h - oxalloc's stand-in: signal calls that end the test
 * when they fail. */
#ifndef OX_GLIBC_SUPPORT_XSIGNAL_H
#define OX_GLIBC_SUPPORT_XSIGNAL_H

#include <signal.h>

sighandler_t xsignal(int sig, sighandler_t handler);
void xsigaction(int sig, const struct sigaction *act, struct sigaction *old);
void xraise(int sig);

#endif
