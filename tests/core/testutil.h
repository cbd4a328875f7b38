/*
 * testutil.h - helpers shared by the core and stress suites: content
 * patterns derived from an address and a size, zero checks, RSS and
 * mapping counts from /proc, a watchdog, and a deterministic RNG.
 * Everything is static inline; /proc is read with open/read only, so the
 * helpers work under RLIMIT_AS and inside forked children.
 */
#ifndef OX_TEST_UTIL_H
#define OX_TEST_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- patterns ---------------------------------------------------------- */

/* The seed of a block's pattern: its address and its size. */
static inline uint64_t pat_seed(const void *p, size_t size)
{
    uint64_t x = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull ^ size;
    x ^= x >> 29;
    return x * 0xBF58476D1CE4E5B9ull | 1;
}

/* The 8 pattern bytes at offset i (a multiple of 8) of a block. */
static inline uint64_t pat_word(uint64_t seed, size_t i)
{
    return seed ^ ((uint64_t)i * 0x2545F4914F6CDD1Dull);
}

/* Fill n bytes at p with the pattern of `seed`. */
static inline void pat_fill(void *p, size_t n, uint64_t seed)
{
    unsigned char *c = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = pat_word(seed, i);
        memcpy(c + i, &w, 8);
    }
    if (i < n) {
        uint64_t w = pat_word(seed, i);
        memcpy(c + i, &w, n - i);
    }
}

/* Offset of the first byte of p[0..n) that differs from the pattern of
 * `seed`, or SIZE_MAX when all match. */
static inline size_t pat_find_bad(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *c = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = pat_word(seed, i), v;
        memcpy(&v, c + i, 8);
        if (v != w)
            break;
    }
    for (; i < n; i++) {
        uint64_t w = pat_word(seed, i & ~(size_t)7);
        if (c[i] != (unsigned char)(w >> (8 * (i & 7))))
            return i;
    }
    return SIZE_MAX;
}

static inline bool pat_ok(const void *p, size_t n, uint64_t seed)
{
    return pat_find_bad(p, n, seed) == SIZE_MAX;
}

/* The whole block p[0..n) carries its own address/size pattern. */
static inline void blk_fill(void *p, size_t n) { pat_fill(p, n, pat_seed(p, n)); }
static inline bool blk_ok(const void *p, size_t n) { return pat_ok(p, n, pat_seed(p, n)); }

/* True when p[0..n) is all zero. */
static inline bool all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    size_t i = 0;
    for (; i < n && ((uintptr_t)(c + i) & 7); i++)
        if (c[i])
            return false;
    for (; i + 8 <= n; i += 8)
        if (*(const uint64_t *)(const void *)(c + i))
            return false;
    for (; i < n; i++)
        if (c[i])
            return false;
    return true;
}

static inline bool is_aligned(const void *p, size_t align)
{
    return ((uintptr_t)p & (align - 1)) == 0;
}

/* ---- /proc ------------------------------------------------------------- */

/* Reads a small /proc file into buf (NUL-terminated); returns its length. */
static inline size_t proc_read(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0;
    if (fd < 0)
        return 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        if (len == cap - 1)
            break;
    }
    close(fd);
    buf[len] = 0;
    return len;
}

/* A "Name:   N kB" line of /proc/self/status, in bytes.  Not statm: its
 * unit is the kernel's page, which is not the process's page size under
 * an emulator (qemu-aarch64 -p 65536 on a 4 KiB host: 16 times too much). */
static inline size_t status_kb_field(const char *name)
{
    char buf[4096];
    proc_read("/proc/self/status", buf, sizeof buf);
    size_t len = strlen(name);
    for (char *s = buf; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : s)
        if (!strncmp(s, name, len) && s[len] == ':')
            return (size_t)strtoull(s + len + 1, NULL, 10) * 1024;
    return 0;
}

static inline size_t rss_bytes(void) { return status_kb_field("VmRSS"); }
static inline size_t vm_bytes(void) { return status_kb_field("VmSize"); }

/* Cuts, from a child's captured stderr, the line qemu-user adds when the
 * guest dies of a signal ("qemu: uncaught target signal 6 (Aborted) -
 * core dumped"): it is the emulator's, not the allocator's (tests/aarch64
 * runs these suites under qemu-aarch64). */
static inline void drop_emulator_report(char *out)
{
    char *emu = strstr(out, "qemu: uncaught target signal");
    if (emu && (emu == out || emu[-1] == '\n'))
        *emu = 0;
}

/* Number of lines (mappings) in /proc/self/maps. */
static inline long maps_count(void)
{
    char buf[4096];
    long lines = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            lines += buf[i] == '\n';
    }
    close(fd);
    return lines;
}

/* ---- watchdog ---------------------------------------------------------- */

static inline void watchdog_fire(int sig)
{
    (void)sig;
    static const char msg[] = "WATCHDOG: test timed out (hang?)\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to do */
    }
    _exit(124);
}

/* After `seconds`, print a line and exit with status 124: a hang fails. */
static inline void watchdog(unsigned seconds)
{
    signal(SIGALRM, watchdog_fire);
    alarm(seconds);
}

/* ---- deterministic RNG (xorshift64*) ------------------------------------ */

typedef struct { uint64_t s; } rng_t;

static inline rng_t rng_make(uint64_t seed)
{
    rng_t r = { seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull };
    if (!r.s)
        r.s = 1;
    return r;
}

static inline uint64_t rng_next(rng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, n). */
static inline uint64_t rng_below(rng_t *r, uint64_t n) { return n ? rng_next(r) % n : 0; }

#endif /* OX_TEST_UTIL_H */
