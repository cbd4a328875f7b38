/*
 * options.c - the table of tunables: their names, defaults and ranges,
 * the values in use, and the public calls that read, set and list them.
 * The environment (OXALLOC_<NAME>) is read once, at process start and
 * without allocating; a malformed value gets one warning line on stderr
 * and the default.  Every option is read where it is used
 * (_ox_option), so a value set later through ox_option_set takes effect
 * from its next use, in every thread: there is no "too late".
 */
#include <errno.h>
#include <stdatomic.h>

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
  const char *env;    /* environment variable: "OXALLOC_" + upper-case name */
  _Atomic long value; /* current value (the default until read); relaxed:
                         a change need only be seen by each thread's next use */
  long def;           /* built-in default (OX_DEFAULT_* at build time) */
  long min, max;
  const char *doc;
  _Atomic bool set_by_api; /* ox_option_set was called: the environment yields */
  bool is_text;            /* a string (a path, a name): value is 1 when set */
  const char *text;
} ox_option_t;

#define OPTION(name, dv, lo, hi, text)                                                             \
  { .env = ENV_PREFIX name, .value = (dv), .def = (dv), .min = (lo), .max = (hi), .doc = (text) }
#define TEXT_OPTION(name, text)                                                                    \
  {                                                                                                \
    .env = ENV_PREFIX name, .value = 0, .def = 0, .min = 0, .max = 1, .doc = (text),               \
    .is_text = true                                                                                \
  }
#ifndef OX_DEFAULT_PROF_SAMPLE
#define OX_DEFAULT_PROF_SAMPLE (512 * 1024)
#endif

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
    [OX_OPT_PROF] =
        OPTION("PROF", 0, 0, 1, "sample allocations for the heap profile from the start"),
    [OX_OPT_PROF_SAMPLE] = OPTION("PROF_SAMPLE", OX_DEFAULT_PROF_SAMPLE, 1, 1L << 40,
                                  "mean bytes between two heap-profile samples"),
    [OX_OPT_PROF_LEAKS] =
        OPTION("PROF_LEAKS", 0, 0, 1, "report the sampled blocks still live at exit on stderr"),
    [OX_OPT_PROF_DUMP] =
        TEXT_OPTION("PROF_DUMP", "write the heap profile (pprof) to this path at exit"),
    [OX_OPT_PROF_SIGNAL] =
        TEXT_OPTION("PROF_SIGNAL", "dump the heap profile when this signal arrives"),
    [OX_OPT_BACKGROUND] =
        OPTION("BACKGROUND", 0, 0, 1, "a background thread returns unused memory after the delay"),
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
  n = _ox_fmt_dec(line, n, sizeof line,
                  (uintptr_t)atomic_load_explicit(&opt->value, memory_order_relaxed));
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
    if (opt->is_text) {
      opt->text = text;
      atomic_store_explicit(&opt->value, *text != 0, memory_order_relaxed);
      continue;
    }
    if (parse_long(text, &v) && v >= opt->min && v <= opt->max)
      atomic_store_explicit(&opt->value, v, memory_order_relaxed);
    else
      malformed(opt, text);
  }
  warn_unknown_variables();
}

long _ox_option(ox_option_id id) {
  return atomic_load_explicit(&options[id].value, memory_order_relaxed);
}

const char *_ox_option_text(ox_option_id id) { return _ox_option(id) ? options[id].text : NULL; }

OX_PUBLIC int ox_option_set(const char *name, long value) {
  ox_option_t *opt = name ? option_named(name) : NULL;
  if (!opt || value < opt->min || value > opt->max) return EINVAL;
  opt->set_by_api = true;
  atomic_store_explicit(&opt->value, value, memory_order_relaxed);
  return 0;
}

OX_PUBLIC long ox_option_get(const char *name) {
  ox_option_t *opt = name ? option_named(name) : NULL;
  return opt ? atomic_load_explicit(&opt->value, memory_order_relaxed) : -1;
}

OX_PUBLIC int ox_option_info(size_t index, ox_option_info_t *out) {
  if (!out) return EINVAL;
  if (index >= OX_OPT_COUNT) return ENOENT;
  const ox_option_t *opt = &options[index];
  size_t n = 0;
  /* The lower-case API name, derived from the variable's upper-case one. */
  for (const char *c = opt->env + ENV_PREFIX_LEN; *c && n + 1 < sizeof out->name; c++)
    out->name[n++] = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
  out->name[n] = 0;
  out->env = opt->env;
  out->doc = opt->doc;
  out->default_value = opt->def;
  out->min = opt->min;
  out->max = opt->max;
  out->value = atomic_load_explicit(&opt->value, memory_order_relaxed);
  return 0;
}
