/*
 * misuse_compare.c - what an allocator does with common heap misuses
 * (double frees, stray frees), each in a forked child; the table of
 * docs/misuse-detection.md ("Other allocators, measured") is its output
 * for glibc, jemalloc, mimalloc and oxalloc.  Not part of any suite:
 *
 *   cc -O0 -fno-builtin bench/c/misuse_compare.c -o /tmp/mc -pthread
 *   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /tmp/mc
 *
 * -O0 -fno-builtin: the compiler must not remove a malloc/free pair.
 * "handed out twice": the child's next two malloc(64) returned one address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <pthread.h>
#include <fcntl.h>
static void *tf(void *p) { free(p); return NULL; }
static void run(const char *name, int k) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open("/dev/null", 1); dup2(fd, 2);
    char *a, *b, *c; char stack[64];
    switch (k) {
    case 0: a = malloc(64); free(a); free(a); break;                       /* immediate */
    case 1: a = malloc(64); b = malloc(64); free(a); free(b); free(a); break; /* one free between */
    case 2: { void *v[20]; for (int i=0;i<20;i++) v[i]=malloc(64); for (int i=0;i<20;i++) free(v[i]); free(v[3]); break; } /* past tcache */
    case 3: a = malloc(64); free(a + 16); break;                              /* interior */
    case 4: free(stack + 8); break;                                           /* stack pointer */
    case 5: a = malloc(8 << 20); free(a); free(a); break;                     /* 8 MiB twice */
    case 6: a = malloc(64); b = malloc(64); { pthread_t t; pthread_create(&t, 0, tf, a); pthread_join(t, 0); } free(a); break; /* other thread then owner */
    case 7: { a = malloc(64); free(a); void *keep[10000]; int n = 0; do { c = malloc(64); keep[n++] = c; } while (c != a && n < 10000); if (c != a) _exit(4); free(a); break; } /* stale after reuse */
    }
    /* survived: does the block come back twice? */
    void *x = malloc(64), *y = malloc(64);
    _exit(x == y ? 3 : 0);
  }
  int st; waitpid(pid, &st, 0);
  printf("  %-40s %s\n", name, WIFSIGNALED(st) ? (WTERMSIG(st) == 6 ? "abort" : WTERMSIG(st) == 11 ? "SIGSEGV" : "signal") : WEXITSTATUS(st) == 3 ? "not detected, same block handed out twice" : WEXITSTATUS(st) == 4 ? "(block not reused)" : "no report, survived");
}

int main(void) {
  run("free twice in a row (64 B)", 0);
  run("free a, free b, free a (64 B)", 1);
  run("double free of the 4th of 20 freed (64 B)", 2);
  run("free of an interior pointer", 3);
  run("free of a stack address", 4);
  run("8 MiB block freed twice", 5);
  run("freed by another thread, then by owner", 6);
  run("stale pointer freed after reuse", 7);
  return 0;
}
