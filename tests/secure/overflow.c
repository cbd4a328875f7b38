/*
 * overflow.c - the secure build's free-list protection, from outside:
 * a child overflows a block into its freed neighbour, keeps allocating,
 * and must die by SIGABRT with the "free-list link ... overwritten"
 * message instead of being handed the forged address.  Prints one line
 * per case and a closing "N passed, N failed".
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oxalloc.h"

static int passed, failed;

/* Overflow `size`-byte blocks by `extra` bytes into the freed next block. */
static void overflow_child(size_t size, size_t extra) {
  char *a = ox_malloc(size), *b = ox_malloc(size);
  char *lo = a < b ? a : b, *hi = a < b ? b : a;
  ox_free(hi);
  memset(lo, 'A', (size_t)(hi - lo) + extra);
  for (int i = 0; i < 100000; i++) {
    char *x = ox_malloc(size);
    if (x != hi && (x < lo || x > hi + size)) x[0] = 1; /* a forged address would fault here */
  }
  _exit(0);
}

static void expect_abort(const char *name, size_t size, size_t extra) {
  int fds[2];
  if (pipe(fds) != 0) abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    overflow_child(size, extra);
  }
  close(fds[1]);
  char msg[512] = {0};
  ssize_t n = read(fds[0], msg, sizeof msg - 1);
  (void)n;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  int ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
           strstr(msg, "free-list link of this block was overwritten") != NULL;
  printf("%s %s (size %zu, %zu bytes over): %s", ok ? "PASS" : "FAIL", name, size, extra,
         msg[0] ? msg : "no message\n");
  ok ? passed++ : failed++;
}

int main(void) {
  expect_abort("overflow-into-freed-small", 32, 8);
  expect_abort("overflow-into-freed-medium", 1024, 16);
  expect_abort("overflow-into-freed-page-class", 16384, 8);
  printf("secure-overflow: %d passed, %d failed\n", passed, failed);
  return failed != 0;
}
