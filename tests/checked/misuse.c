/*
 * misuse.c - the checked build's promise, case by case: each misuse runs
 * in a child process, which must die by SIGABRT after printing exactly
 * one line on stderr that names the misuse and the address.
 * Prints PASS/FAIL per case and a closing "checked: N passed, N failed".
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oxalloc.h"
#include "rust_alloc.h"

static int passed, failed;
static int want_fd = -1; /* child: where the expected line goes before it errs */

/* ---- the misuses: each sets `want` to the exact expected line ---------- */

/* Child: send the parent the exact line the misuse must print. */
static void expect(const char *fmt, const void *p, const void *q) {
  char want[256];
  int n = snprintf(want, sizeof want, fmt, (uintptr_t)p, (uintptr_t)q);
  if (write(want_fd, want, (size_t)n) != n) _exit(3);
  close(want_fd);
}

static void double_free(void) {
  char *p = ox_malloc(100);
  ox_free(p);
  expect("oxalloc: double free of 0x%" PRIxPTR "\n", p, NULL);
  ox_free(p);
}

static void double_free_huge(void) {
  char *p = ox_malloc(3 << 20);
  ox_free(p);
  expect("oxalloc: double free of 0x%" PRIxPTR "\n", p, NULL);
  ox_free(p);
}

static void foreign_free(void) {
  static char not_ours[64];
  expect("oxalloc: free of a pointer oxalloc never allocated: 0x%" PRIxPTR "\n", not_ours, NULL);
  ox_free(not_ours);
}

static void interior_free(void) {
  char *p = ox_malloc(100);
  expect("oxalloc: free of an interior pointer: 0x%" PRIxPTR " (its block starts at 0x%" PRIxPTR
         ")\n",
         p + 16, p);
  ox_free(p + 16);
}

static void overflow(void) {
  char *p = ox_malloc(100);
  p[100] = 'x';
  expect("oxalloc: write past the end of block 0x%" PRIxPTR " (size 100) detected at free\n", p,
         NULL);
  ox_free(p);
}

static void use_after_free(void) {
  char *p = ox_malloc(100);
  ox_free(p);
  p[50] = 'x';
  expect("oxalloc: write to a freed block detected when it was reused: 0x%" PRIxPTR "\n", p, NULL);
  for (int i = 0; i < 100000; i++) (void)ox_malloc(100);
}

/* mimalloc-bench's write_after_free_reuse at size 8: the write lands on
 * the free-list link. */
static void write_after_free_link(void) {
  char *p = ox_malloc(8);
  ox_free(p);
  memset(p, 'x', 8);
  expect("oxalloc: write to a freed block detected when it was reused: 0x%" PRIxPTR "\n", p, NULL);
  for (int i = 0; i < 100000; i++) (void)ox_malloc(8);
}

/* The second word of a freed block (the link's seal; a tag elsewhere). */
static void write_after_free_word_1(void) {
  uint64_t *p = rust_alloc(64, 8);
  rust_dealloc(p, 64, 8);
  p[1] = 0;
  expect("oxalloc: write to a freed block detected when it was reused: 0x%" PRIxPTR "\n", p, NULL);
  for (int i = 0; i < 100000; i++) (void)rust_alloc(64, 8);
}

/* Bytes 70-71 past a 64-byte block: the trailer's spare bytes. */
static void overflow_trailer_spare(void) {
  char *p = ox_malloc(64);
  p[70] = 'x';
  p[71] = 'y';
  expect("oxalloc: write past the end of block 0x%" PRIxPTR " (size 64) detected at free\n", p,
         NULL);
  ox_free(p);
}

static void layout_size(void) {
  void *p = rust_alloc(64, 8);
  expect("oxalloc: layout mismatch for 0x%" PRIxPTR
         ": given size 32 align 8, allocated with size 64 align 8\n",
         p, NULL);
  rust_dealloc(p, 32, 8);
}

static void layout_align(void) {
  void *p = rust_alloc(64, 64);
  expect("oxalloc: layout mismatch for 0x%" PRIxPTR
         ": given size 64 align 16, allocated with size 64 align 64\n",
         p, NULL);
  rust_dealloc(p, 64, 16);
}

static void layout_realloc(void) {
  void *p = rust_alloc(64, 8);
  expect("oxalloc: layout mismatch for 0x%" PRIxPTR
         ": given size 65 align 8, allocated with size 64 align 8\n",
         p, NULL);
  (void)rust_realloc(p, 65, 8, 200);
}

static void layout_huge(void) {
  void *p = rust_alloc(10 << 20, 8);
  expect("oxalloc: layout mismatch for 0x%" PRIxPTR
         ": given size 9437184 align 8, allocated with size 10485760 align 8\n",
         p, NULL);
  rust_dealloc(p, 9 << 20, 8);
}

/* ---- running one case in a child --------------------------------------- */

static void read_all(int fd, char *buf, size_t cap) {
  size_t len = 0;
  ssize_t n;
  while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0) len += (size_t)n;
  buf[len] = 0;
  close(fd);
}

static void run(const char *name, void (*misuse)(void)) {
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) abort();
  pid_t pid = fork();
  if (pid == 0) {
    close(out[0]);
    close(err[0]);
    want_fd = out[1];
    dup2(err[1], 2);
    alarm(20); /* a hang fails the case */
    misuse();
    _exit(0); /* no abort: the case fails */
  }
  close(out[1]);
  close(err[1]);
  char want[256], got[512];
  read_all(out[0], want, sizeof want);
  read_all(err[0], got, sizeof got);
  /* qemu-user (tests/aarch64) reports the guest's abort on the same
   * stderr; that line is the emulator's, not the allocator's. */
  char *emu = strstr(got, "qemu: uncaught target signal");
  if (emu && (emu == got || emu[-1] == '\n')) *emu = 0;
  int status = 0;
  waitpid(pid, &status, 0);
  bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  bool ok = aborted && want[0] && strcmp(got, want) == 0;
  printf("%s %s: %s", ok ? "PASS" : "FAIL", name, got[0] ? got : "(no message)\n");
  if (!ok) {
    if (WIFSIGNALED(status)) printf("     (child killed by signal %d)\n", WTERMSIG(status));
    else printf("     (child exited with %d)\n", WEXITSTATUS(status));
    printf("     expected: %s", want[0] ? want : "(nothing)\n");
  }
  ok ? passed++ : failed++;
}

int main(void) {
  run("double-free", double_free);
  run("double-free-huge", double_free_huge);
  run("foreign-free", foreign_free);
  run("interior-free", interior_free);
  run("write-past-end", overflow);
  run("write-after-free", use_after_free);
  run("write-after-free-link", write_after_free_link);
  run("write-after-free-word-1", write_after_free_word_1);
  run("write-past-end-trailer-spare", overflow_trailer_spare);
  run("layout-size", layout_size);
  run("layout-align", layout_align);
  run("layout-realloc", layout_realloc);
  run("layout-huge", layout_huge);
  printf("checked: %d passed, %d failed\n", passed, failed);
  return failed != 0;
}
