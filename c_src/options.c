/*
 * options.c - the table of tunables, read once from OXALLOC_<NAME>
 * environment variables at process start (without allocating).  A
 * malformed value gets one warning line on stderr and the default.
 */
#include <errno.h>

#include "internal.h"
#include "oxalloc.h"

#ifndef OX_DEFAULT_PURGE_DELAY_MS
#define OX_DEFAULT_PURGE_DELAY_MS 500
#endif
#ifndef OX_DEFAULT_SEGMENT_CACHE
#define OX_DEFAULT_SEGMENT_CACHE 8
#endif
#ifndef OX_DEFAULT_SEGMENT_CACHE_MAX
#define OX_DEFAULT_SEGMENT_CACHE_MAX 64
#endif
#ifndef OX_DEFAULT_HUGE_CACHE_MB
#define OX_DEFAULT_HUGE_CACHE_MB 64
#endif

#define ENV_PREFIX     "OXALLOC_"
#define ENV_PREFIX_LEN 8

typedef struct {
  const char *env; /* environment variable: "OXALLOC_" + upper-case name */
  long value;      /* current value (the default until read) */
  long min, max;
  const char *doc;
  bool set_by_api; /* ox_option_set was called: the environment yields */
} ox_option_t;

#define OPTION(name, def, lo, hi, text)                                                            \
  { .env = ENV_PREFIX name, .value = (def), .min = (lo), .max = (hi), .doc = (text) }

static ox_option_t options[OX_OPT_COUNT] = {
    [OX_OPT_PURGE_DELAY_MS] = OPTION("PURGE_DELAY", OX_DEFAULT_PURGE_DELAY_MS, 0, 3600000,
                                     "ms an unused page is kept before it goes back to the OS"),
    [OX_OPT_SEGMENT_CACHE] = OPTION("SEGMENT_CACHE", OX_DEFAULT_SEGMENT_CACHE, 0, 64,
                                    "empty 4 MiB segments kept for reuse"),
    [OX_OPT_SEGMENT_CACHE_MAX] =
        OPTION("SEGMENT_CACHE_MAX", OX_DEFAULT_SEGMENT_CACHE_MAX, 0, 64,
               "empty segments kept at most, while freed ones are needed again soon"),
    [OX_OPT_HUGE_CACHE_MB] = OPTION("HUGE_CACHE_MB", OX_DEFAULT_HUGE_CACHE_MB, 0, 1 << 20,
                                    "MiB of freed huge blocks kept for reuse"),
    [OX_OPT_VERBOSE] = OPTION("VERBOSE", 0, 0, 1, "warnings on stderr"),
    [OX_OPT_SHOW_STATS] = OPTION("SHOW_STATS", 0, 0, 1, "statistics report on stderr at exit"),
    [OX_OPT_EAGER_COMMIT] =
        OPTION("EAGER_COMMIT", 0, 0, 1, "populate segments when mapped instead of on first touch"),
    [OX_OPT_HUGE_PAGES] = OPTION("HUGE_PAGES", 0, 0, 1, "ask for transparent huge pages"),
    [OX_OPT_BACKGROUND] = OPTION("BACKGROUND", 0, 0, 1,
                                 "a background thread returns unused memory after the delay"),
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

/* Does `text` (up to '=' or NUL) name option `opt`?  `lower` compares
 * against the lower-case API name instead of the variable. */
static bool names_option(const ox_option_t *opt, const char *text, bool lower) {
  const char *want = opt->env + (lower ? ENV_PREFIX_LEN : 0);
  for (; *want; want++, text++) {
    char c = *want;
    if (lower && c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (*text != c) return false;
  }
  return *text == 0 || *text == '=';
}

static ox_option_t *option_named(const char *name) {
  for (int i = 0; i < OX_OPT_COUNT; i++)
    if (names_option(&options[i], name, true)) return &options[i];
  return NULL;
}

/* One line per OXALLOC_* variable that names no option (a typo would
 * otherwise be silently ignored). */
static void warn_unknown_variables(void) {
  extern char **environ;
  for (char **e = environ; e && *e; e++) {
    const char *var = *e;
    bool prefixed = true;
    for (int i = 0; i < ENV_PREFIX_LEN; i++) prefixed = prefixed && var[i] == ENV_PREFIX[i];
    if (!prefixed) continue;
    bool known = false;
    for (int i = 0; i < OX_OPT_COUNT && !known; i++) known = names_option(&options[i], var, false);
    if (known) continue;
    char line[256];
    size_t n = _ox_fmt_str(line, 0, sizeof line, "oxalloc: unknown option variable ignored: ");
    for (const char *c = var; *c && *c != '=' && n + 2 < sizeof line; c++) line[n++] = *c;
    line[n++] = '\n';
    _ox_os_write_stderr(line, n);
  }
}

void _ox_options_init(void) {
  for (int i = 0; i < OX_OPT_COUNT; i++) {
    ox_option_t *opt = &options[i];
    const char *text = _ox_os_getenv(opt->env);
    long v;
    if (!text || opt->set_by_api) continue;
    if (parse_long(text, &v) && v >= opt->min && v <= opt->max)
      opt->value = v;
    else
      malformed(opt, text);
  }
  warn_unknown_variables();
}

long _ox_option(ox_option_id id) { return options[id].value; }

OX_PUBLIC int ox_option_set(const char *name, long value) {
  ox_option_t *opt = name ? option_named(name) : NULL;
  if (!opt || value < opt->min || value > opt->max) return EINVAL;
  opt->value = value;
  opt->set_by_api = true;
  return 0;
}

OX_PUBLIC long ox_option_get(const char *name) {
  ox_option_t *opt = name ? option_named(name) : NULL;
  return opt ? opt->value : -1;
}
