/*
 * tests/prof/pages.c - which frees profiling sends to the slow path.  With
 * profiling on, a page that holds a live sampled block has its
 * free_trigger raised, so that every free of the page reaches
 * _ox_page_after_free, which removes the sample.  The rule: a free
 * of a block that was not sampled pays no more than without profiling, so
 * no block that was not sampled may share a page with a live sample, and
 * every sampled block must sit on such a page.  Checked on 20 000 live
 * blocks of 16 B to 100 KB (small, medium and large pages) sampled every
 * 16 KiB, then again after freeing every other block and after moving a
 * third of them with realloc, then nothing may stay in the live profile
 * once all are freed.  Prints "PASS name" /
 * "FAIL name: why" lines.  Linked with liboxalloc.a; reads the pages
 * (-Ic_src).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "oxalloc.h"

#define N 20000

static void *blocks[N];
static int failures;

static const size_t sizes[16] = {16,   32,   48,   64,   100, 128, 256, 512,
                                 1000, 2000, 3000, 8000, 16,  64,  256, 20000};

static size_t size_of(int i) { return i % 256 == 255 ? 100000 : sizes[i % 16]; }

static bool sampled(void *p) {
  ox_prof_sample_t *s = _ox_prof_sample_find((uintptr_t)p);
  return s && _ox_prof_sample_live(s);
}

static ox_page_t *page_of(void *p) { return _ox_segment_page_of(_ox_segment_lookup(p), p); }

/* `copies`: realloc ran, whose new copy of a block that was not sampled
 * may come from a page of sampled blocks (the copy drew a sample, which it
 * does not keep: a block's inclusion is decided by its first allocation).
 * Such a block's free takes the slow path; a page of the class queues
 * must still never hold a sample. */
static void check_pages(const char *when, bool copies) {
  int nsampled = 0, slow_sampled = 0, unsampled = 0, shared = 0, on_sampled_pages = 0;
  for (int i = 0; i < N; i++) {
    if (!blocks[i]) continue;
    ox_page_t *page = page_of(blocks[i]);
    if (sampled(blocks[i])) {
      nsampled++;
      slow_sampled += page->prof_live > 0 && page->free_trigger == INT32_MAX;
    } else if (page->prof_live > 0) {
      unsampled++;
      if (copies && page->prof_only)
        on_sampled_pages++;
      else
        shared++;
    } else {
      unsampled++;
    }
  }
  if (nsampled < 100 || slow_sampled != nsampled)
    printf(
        "FAIL sampled_frees_reach_the_slow_path_%s: %d of %d sampled blocks on a page whose frees "
        "all reach the slow path\n",
        when, slow_sampled, nsampled),
        failures++;
  else
    printf("PASS sampled_frees_reach_the_slow_path_%s (%d sampled blocks)\n", when, nsampled);
  if (shared != 0)
    printf("FAIL unsampled_frees_stay_fast_%s: %d of %d blocks that were not sampled share a page "
           "with a live sample (their frees take the slow path)\n",
           when, shared, unsampled),
        failures++;
  else
    printf("PASS unsampled_frees_stay_fast_%s (none of %d unsampled blocks shares a page with a "
           "sample; %d realloc copies on pages of sampled blocks)\n",
           when, unsampled, on_sampled_pages);
}

int main(void) {
  alarm(60); /* a hang fails the test */
  if (ox_prof_start(16384) != 0) {
    puts("FAIL prof_start\n0 passed, 1 failed");
    return 1;
  }
  for (int i = 0; i < N; i++)
    if (!(blocks[i] = ox_malloc(size_of(i)))) {
      printf("FAIL malloc of %zu bytes\n", size_of(i));
      return 1;
    }
  check_pages("all_live", false);
  for (int i = 0; i < N; i += 2) ox_free(blocks[i]), blocks[i] = NULL;
  for (int i = 0; i < N; i += 4) blocks[i] = ox_malloc(size_of(i));
  check_pages("after_frees", false);
  for (int i = 1; i < N; i += 3) blocks[i] = ox_realloc(blocks[i], 2 * size_of(i) + 8);
  check_pages("after_realloc", true); /* a sampled block keeps its sample where it moves */
  for (int i = 0; i < N; i++) ox_free(blocks[i]), blocks[i] = NULL;
  size_t n, live = 0;
  ox_prof_sample_t *t = _ox_prof_samples(&n);
  for (size_t i = 0; i < n; i++) live += _ox_prof_sample_live(&t[i]);
  if (live)
    printf("FAIL nothing_live_after_freeing_all: %zu samples left\n", live), failures++;
  else
    puts("PASS nothing_live_after_freeing_all");
  ox_prof_stop();
  return failures != 0;
}
