/*
 * prof_api.c - the heap profiler's controls: ox_prof_start/stop/dump/write
 * (include/oxalloc.h), the OXALLOC_PROF* options read at process start,
 * the dump at exit, the leak report at exit, and the dump on a signal.
 *
 * The signal handler only sets a flag (nothing else is async-signal-safe
 * to do there); the dump is written by the next thread that refills a
 * page or takes a sample with profiling on, or calls one of the functions
 * below.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "internal.h"
#include "oxalloc.h"

static _Atomic int dump_requested;
static _Atomic unsigned signal_dumps;

static int start(long sample_bytes) {
  if (!_ox_prof_table_ready() || !_ox_prof_stacks_ready()) return ENOMEM;
  _ox_libgcc_find(false); /* the fallback of the x86-64 walk, if linked in */
  _ox_prof_set_rate(sample_bytes > 0 ? sample_bytes : _ox_option(OX_OPT_PROF_SAMPLE));
  _ox_prof_ever = true;
  atomic_store_explicit(&_ox_prof_on, true, memory_order_release);
  return 0;
}

OX_PUBLIC int ox_prof_start(size_t sample_bytes) {
  _ox_process_init();
  _ox_libgcc_find(!OX_PROF_OWN_WALK); /* the program's call: not inside malloc */
  if (sample_bytes > (size_t)1 << 40) return EINVAL;
  return start((long)sample_bytes);
}

OX_PUBLIC void ox_prof_stop(void) {
  atomic_store_explicit(&_ox_prof_on, false, memory_order_release);
}

OX_PUBLIC int ox_prof_write(int fd) {
  if (fd < 0) return EBADF;
  _ox_prof_poll_signal();
  return _ox_prof_write_fd(fd);
}

OX_PUBLIC int ox_prof_dump(const char *path) {
  if (!path || !*path) return EINVAL;
  int fd = _ox_os_open_write(path);
  if (fd < 0) return errno ? errno : EIO;
  int err = _ox_prof_write_fd(fd);
  _ox_os_close(fd);
  return err;
}

/* `in` with each "%p" replaced by the process id (a program under
 * LD_PRELOAD may start others, which inherit the variable). */
static const char *expand_path(const char *in, char *out, size_t cap) {
  size_t n = 0;
  for (; *in && n + 24 < cap; in++) {
    if (in[0] == '%' && in[1] == 'p') {
      n = _ox_fmt_dec(out, n, cap, (uintptr_t)_ox_os_getpid());
      in++;
    } else {
      out[n++] = *in;
    }
  }
  out[n] = 0;
  return out;
}

/* ---- the dump on a signal --------------------------------------------------- */

static void on_signal(int sig) {
  (void)sig;
  atomic_store_explicit(&dump_requested, 1, memory_order_relaxed);
  _ox_prof_kick(); /* the next refill of any thread polls (_ox_prof_grant) */
}

/* "<OXALLOC_PROF_DUMP>.<n>", or "oxalloc.<pid>.<n>.pb.gz" without it. */
void _ox_prof_poll_signal(void) {
  if (!atomic_load_explicit(&dump_requested, memory_order_relaxed)) return;
  if (!atomic_exchange_explicit(&dump_requested, 0, memory_order_acquire)) return;
  unsigned n = atomic_fetch_add_explicit(&signal_dumps, 1, memory_order_relaxed) + 1;
  char path[4096];
  size_t len;
  const char *prefix = _ox_option_text(OX_OPT_PROF_DUMP);
  char expanded[4096];
  if (prefix) {
    len = _ox_fmt_str(path, 0, sizeof path, expand_path(prefix, expanded, sizeof expanded));
  } else {
    len = _ox_fmt_str(path, 0, sizeof path, "oxalloc.");
    len = _ox_fmt_dec(path, len, sizeof path, (uintptr_t)_ox_os_getpid());
  }
  len = _ox_fmt_str(path, len, sizeof path, ".");
  len = _ox_fmt_dec(path, len, sizeof path, n);
  if (!prefix) len = _ox_fmt_str(path, len, sizeof path, ".pb.gz");
  (void)len;
  if (ox_prof_dump(path) != 0)
    _ox_warn("could not write the heap profile asked for by signal", NULL);
}

static int signal_number(const char *s) {
  static const struct {
    const char *name;
    int sig;
  } names[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"PROF", SIGPROF},
               {"HUP", SIGHUP},   {"URG", SIGURG},   {"WINCH", SIGWINCH}};
  if (s[0] == 'S' && s[1] == 'I' && s[2] == 'G') s += 3;
  if (*s >= '0' && *s <= '9') {
    int v = 0;
    for (; *s >= '0' && *s <= '9' && v < 1000; s++) v = v * 10 + (*s - '0');
    return *s ? 0 : v;
  }
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(s, names[i].name) == 0) return names[i].sig;
  return 0;
}

/* ---- process start and exit ---------------------------------------------------- */

void _ox_prof_init(void) {
  const char *sig = _ox_option_text(OX_OPT_PROF_SIGNAL);
  bool wanted = _ox_option(OX_OPT_PROF) || _ox_option(OX_OPT_PROF_LEAKS) ||
                _ox_option_text(OX_OPT_PROF_DUMP) || sig;
  if (sig) {
    int n = signal_number(sig);
    if (n <= 0 || n >= 65 || !_ox_os_on_signal(n, on_signal))
      _ox_warn("OXALLOC_PROF_SIGNAL names no signal that can be caught; ignored", NULL);
  }
  if (wanted && start(0) != 0) _ox_warn("heap profiling could not start (out of memory)", NULL);
}

__attribute__((destructor)) static void prof_at_exit(void) {
  if (!_ox_initialized() || !_ox_prof_ever) return;
  const char *path = _ox_option_text(OX_OPT_PROF_DUMP);
  char expanded[4096];
  if (path && ox_prof_dump(expand_path(path, expanded, sizeof expanded)) != 0)
    _ox_warn("could not write the heap profile at exit", NULL);
  if (_ox_option(OX_OPT_PROF_LEAKS)) _ox_prof_leak_report();
}
