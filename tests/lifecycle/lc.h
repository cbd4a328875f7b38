/*
 * lc.h - helpers of the lifecycle suite (fork, thread exit, memory
 * return): every program checks one behaviour, has its own watchdog,
 * prints one line "PASS name" or "FAIL name: why" and exits 0 or 1.
 */
#ifndef OX_TEST_LC_H
#define OX_TEST_LC_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "check.h"
#include "oxalloc.h"
#include "testutil.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

CHECK_DEFINE_COUNTERS;

static inline int lc_finish(const char *name)
{
    long f = atomic_load(&check_failures);
    printf("%s %s\n", f ? "FAIL" : "PASS", name);
    fflush(stdout);
    return f ? 1 : 0;
}

static inline size_t lc_committed(void)
{
    ox_stats_t s;
    ox_stats_get(&s);
    return s.committed_bytes;
}

/* Wait for a child; its own alarm turns a hang into SIGALRM.  Returns
 * its exit status, or 128 + signal. */
static inline int lc_wait(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Threads of this process (/proc/self/status). */
static inline long lc_threads(void)
{
    char buf[4096];
    proc_read("/proc/self/status", buf, sizeof buf);
    const char *t = strstr(buf, "Threads:");
    return t ? strtol(t + 8, NULL, 10) : -1;
}

#endif
