/*
 * diag.c - warning and fatal messages, formatted into a stack buffer and
 * written with one write(2): usable inside the allocator, where printf
 * (which may allocate) is not.
 */
#include "internal.h"

size_t _ox_fmt_str(char *buf, size_t pos, size_t cap, const char *s) {
  while (*s && pos + 1 < cap) buf[pos++] = *s++;
  buf[pos] = 0;
  return pos;
}

size_t _ox_fmt_hex(char *buf, size_t pos, size_t cap, uintptr_t v) {
  char digits[2 + 16];
  size_t n = 0;
  do {
    digits[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  pos = _ox_fmt_str(buf, pos, cap, "0x");
  while (n > 0 && pos + 1 < cap) buf[pos++] = digits[--n];
  buf[pos] = 0;
  return pos;
}

size_t _ox_fmt_dec(char *buf, size_t pos, size_t cap, uintptr_t v) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n > 0 && pos + 1 < cap) buf[pos++] = digits[--n];
  buf[pos] = 0;
  return pos;
}

static void emit(const char *what, const void *ptr) {
  char line[256];
  size_t n = _ox_fmt_str(line, 0, sizeof line, "oxalloc: ");
  n = _ox_fmt_str(line, n, sizeof line, what);
  if (ptr) {
    n = _ox_fmt_str(line, n, sizeof line, " ");
    n = _ox_fmt_hex(line, n, sizeof line, (uintptr_t)ptr);
  }
  n = _ox_fmt_str(line, n, sizeof line, "\n");
  _ox_os_write_stderr(line, n);
}

void _ox_warn(const char *what, const void *ptr) {
  if (_ox_option(OX_OPT_VERBOSE)) emit(what, ptr);
}

_Noreturn void _ox_fatal(const char *what, const void *ptr) {
  emit(what, ptr);
  _ox_os_abort();
}
