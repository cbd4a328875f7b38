/*
 * options.c - the table of tunables, read once from OXALLOC_<NAME>
 * environment variables at process start (without allocating).  A
 * malformed value gets one warning line on stderr and the default.
 */
#include "internal.h"

#ifndef OX_DEFAULT_PURGE_DELAY_MS
#define OX_DEFAULT_PURGE_DELAY_MS 500
#endif
#ifndef OX_DEFAULT_SEGMENT_CACHE
#define OX_DEFAULT_SEGMENT_CACHE 8
#endif
#ifndef OX_DEFAULT_HUGE_CACHE_MB
#define OX_DEFAULT_HUGE_CACHE_MB 64
#endif

typedef struct {
  const char *env;    /* environment variable */
  long value;         /* current value (the default until read) */
  long min, max;
  const char *doc;
} ox_option_t;

static ox_option_t options[OX_OPT_COUNT] = {
  [OX_OPT_PURGE_DELAY_MS] = {"OXALLOC_PURGE_DELAY", OX_DEFAULT_PURGE_DELAY_MS, 0, 3600000,
                             "ms an unused page is kept before it goes back to the OS"},
  [OX_OPT_SEGMENT_CACHE] = {"OXALLOC_SEGMENT_CACHE", OX_DEFAULT_SEGMENT_CACHE, 0, 64,
                            "empty 4 MiB segments kept for reuse"},
  [OX_OPT_HUGE_CACHE_MB] = {"OXALLOC_HUGE_CACHE_MB", OX_DEFAULT_HUGE_CACHE_MB, 0, 1 << 20,
                            "MiB of freed huge blocks kept for reuse"},
  [OX_OPT_VERBOSE] = {"OXALLOC_VERBOSE", 0, 0, 1, "warnings on stderr"},
};

static bool parse_long(const char *s, long *out) {
  long v = 0;
  if (*s == 0) return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (1L << 40)) return false;
    v = v * 10 + (*s - '0');
  }
  *out = v;
  return true;
}

static void malformed(const ox_option_t *opt, const char *text) {
  char line[256];
  size_t n = _ox_fmt_str(line, 0, sizeof line, "oxalloc: ignoring ");
  n = _ox_fmt_str(line, n, sizeof line, opt->env);
  n = _ox_fmt_str(line, n, sizeof line, "=");
  n = _ox_fmt_str(line, n, sizeof line, text);
  n = _ox_fmt_str(line, n, sizeof line, " (not a number in range); using ");
  n = _ox_fmt_dec(line, n, sizeof line, (uintptr_t)opt->value);
  n = _ox_fmt_str(line, n, sizeof line, "\n");
  _ox_os_write_stderr(line, n);
}

void _ox_options_init(void) {
  for (int i = 0; i < OX_OPT_COUNT; i++) {
    ox_option_t *opt = &options[i];
    const char *text = _ox_os_getenv(opt->env);
    long v;
    if (!text) continue;
    if (parse_long(text, &v) && v >= opt->min && v <= opt->max)
      opt->value = v;
    else
      malformed(opt, text);
  }
}

long _ox_option(ox_option_id id) { return options[id].value; }
