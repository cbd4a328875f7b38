/* live.c - scenarios for the live profile, linked with liboxalloc.a and
 * driven through the C API: `live <scenario> <out.pb.gz>`.  Each writes a
 * profile that tests/prof/run.sh reads back with `go tool pprof`. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oxalloc.h"

#define N 20000
static void *blocks[N];

__attribute__((noinline)) void *make_small(size_t n) { return ox_malloc(n); }
__attribute__((noinline)) void *make_aligned(size_t n) { return ox_aligned_alloc(4096, n); }
__attribute__((noinline)) void *make_huge(size_t n) { return ox_malloc(n); }
__attribute__((noinline)) void *grow(void *p, size_t n) { return ox_realloc(p, n); }
__attribute__((noinline)) void *make_in_heap(ox_heap_t *h, size_t n) {
  return ox_heap_malloc(h, n);
}

__attribute__((noinline)) void *make_kept(size_t n) { return ox_malloc(n); }
__attribute__((noinline)) void *make_in_child(size_t n) { return ox_malloc(n); }

/* remote_reuse: a thread that allocates the class itself frees the main
 * thread's blocks, so it may keep them for its own allocations (reuse.h)
 * and hand them out again as its own; the sampled ones must still go home
 * and leave the live profile, before that thread exits (its kept blocks go
 * back at its exit anyway): it waits until the main thread has dumped.
 * Nothing may stay live at make_small. */
static void *keepers[N];
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int stage;

static void set_stage(int v) {
  pthread_mutex_lock(&gate);
  stage = v;
  pthread_cond_broadcast(&gate_cond);
  pthread_mutex_unlock(&gate);
}

static void wait_stage(int v) {
  pthread_mutex_lock(&gate);
  while (stage < v) pthread_cond_wait(&gate_cond, &gate);
  pthread_mutex_unlock(&gate);
}

static void *free_all_keeping(void *arg) {
  (void)arg;
  for (int i = 0; i < N; i++) {
    keepers[i] = make_kept(64);
    ox_free(blocks[i]);
  }
  /* Slow paths of another class: its batch of frees goes home. */
  for (int i = 0; i < 64; i++) ox_free(ox_malloc(100000));
  set_stage(1);
  wait_stage(2);
  for (int i = 0; i < N; i++) ox_free(keepers[i]);
  return NULL;
}

static void *free_all(void *arg) {
  (void)arg;
  for (int i = 0; i < N; i++) ox_free(blocks[i]);
  return NULL;
}

static int fail(const char *what) {
  fprintf(stderr, "live: %s\n", what);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) return fail("usage: live scenario out.pb.gz");
  const char *s = argv[1];
  if (ox_prof_start(16 * 1024) != 0) return fail("ox_prof_start failed");
  if (strcmp(s, "remote") == 0) {
    /* Allocated here, freed by another thread: nothing stays live. */
    for (int i = 0; i < N; i++) blocks[i] = make_small(64 + (size_t)(i % 50) * 16);
    pthread_t t;
    pthread_create(&t, NULL, free_all, NULL);
    pthread_join(t, NULL);
    for (int i = 0; i < N; i++) ox_free(ox_malloc(32));     /* this thread's slow path collects */
    for (int i = 0; i < N; i++) ox_free(ox_malloc(100000)); /* and once more, bigger */
  } else if (strcmp(s, "remote_reuse") == 0) {
    ox_option_set("purge_delay", 3600000); /* no flush of kept blocks on a timer */
    for (int i = 0; i < N; i++) blocks[i] = make_small(64);
    pthread_t t;
    pthread_create(&t, NULL, free_all_keeping, NULL);
    wait_stage(1);
    for (int i = 0; i < N; i++) ox_free(ox_malloc(32)); /* this thread's slow path collects */
    for (int i = 0; i < N; i++) ox_free(ox_malloc(100000));
    int err = ox_prof_dump(argv[2]);
    set_stage(2);
    pthread_join(t, NULL);
    return err == 0 ? 0 : fail("ox_prof_dump failed");
  } else if (strcmp(s, "local") == 0) {
    for (int i = 0; i < N; i++) blocks[i] = make_small(64 + (size_t)(i % 50) * 16);
    for (int i = 0; i < N; i++) ox_free(blocks[i]);
  } else if (strcmp(s, "realloc") == 0) {
    /* Each block moves twice; its sample stays one, at make_small. */
    for (int i = 0; i < N; i++) blocks[i] = make_small(100);
    for (int i = 0; i < N; i++) blocks[i] = grow(blocks[i], 1000);
    for (int i = 0; i < N; i++) blocks[i] = grow(blocks[i], 3000);
  } else if (strcmp(s, "huge") == 0) {
    /* 64 huge blocks of 1 MiB live, 64 freed; some moved by realloc. */
    for (int i = 0; i < 128; i++) blocks[i] = make_huge(1 << 20);
    for (int i = 0; i < 128; i += 2) ox_free(blocks[i]);
    for (int i = 1; i < 32; i += 2) blocks[i] = grow(blocks[i], 3 << 20);
  } else if (strcmp(s, "aligned") == 0) {
    for (int i = 0; i < N / 4; i++) blocks[i] = make_aligned(3000);
  } else if (strcmp(s, "fork") == 0) {
    /* The samples a forked child takes carry the child's thread id, not
     * the one its parent's thread had (kept per thread by the profiler). */
    for (int i = 0; i < 64; i++) blocks[i] = make_huge(1 << 20);
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) return fail("fork failed");
    if (child > 0) {
      int status;
      if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return fail("child died");
      return WEXITSTATUS(status);
    }
    printf("%d\n", (int)getpid());
    for (int i = 64; i < 128; i++) blocks[i] = make_in_child(1 << 20);
    fflush(stdout);
  } else if (strcmp(s, "heap") == 0) {
    /* A first-class heap's blocks: reset drops them, destroy too. */
    ox_heap_t *h = ox_heap_new();
    for (int i = 0; i < N; i++) make_in_heap(h, 500);
    for (int i = 0; i < 4; i++) make_in_heap(h, 1 << 20);
    ox_heap_reset(h);
    for (int i = 0; i < N; i++) make_in_heap(h, 500);
    ox_heap_destroy(h);
  } else if (strcmp(s, "stopped") == 0) {
    /* Blocks sampled before ox_prof_stop stay live; nothing after. */
    for (int i = 0; i < N / 2; i++) blocks[i] = make_small(1000);
    ox_prof_stop();
    for (int i = N / 2; i < N; i++) blocks[i] = make_aligned(1000);
  } else if (strcmp(s, "signal") == 0) {
    /* OXALLOC_PROF_SIGNAL is set by the caller: the dump happens on a
     * later allocation, not in the handler. */
    for (int i = 0; i < N; i++) blocks[i] = make_small(1000);
    raise(SIGUSR2);
    for (int i = 0; i < N; i++) ox_free(ox_malloc(200));
    return 0;
  } else {
    return fail("unknown scenario");
  }
  return ox_prof_dump(argv[2]) == 0 ? 0 : fail("ox_prof_dump failed");
}
