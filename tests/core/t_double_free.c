/*
 * t_double_free.c - a second free of a block, through every entry point,
 * is reported ("oxalloc: double free of 0x...") and stops the process in
 * every build; a free of a block address the page never carved is
 * refused.  Each misuse runs in a forked child (with a watchdog: a
 * double free that closes a free list on itself hangs the next walk of
 * it); the parent checks that the child died by SIGABRT with exactly that
 * line.  A child that survives the misuse counts how often the block
 * comes back from the next 5,000 allocations and says so.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "core.h"

#define REUSE_ALLOCS 5000

/* Shared with the child: the address the misuse is about. */
static volatile uintptr_t *shared_addr;

/* In the child, after a misuse it survived: how many of the next
 * allocations of `size` return `p`. */
static void report_survival(const void *p, size_t size)
{
    int again = 0;
    for (int i = 0; i < REUSE_ALLOCS; i++)
        again += ox_malloc(size) == p;
    fprintf(stderr, "not reported; %p handed out %d times in the next %d allocations\n", p,
            again, REUSE_ALLOCS);
}

/* Run `misuse` in a child; it must die by SIGABRT printing exactly
 * "<want> 0x<addr>\n" (addr: what the child put in *shared_addr).
 * With `or_exit0`, a clean exit 0 of the child also passes (a misuse
 * the build may refuse silently instead). */
static void expect_abort(const char *name, void (*misuse)(void), const char *want, bool or_exit0)
{
    int err[2];
    CHECK(pipe(err) == 0);
    *shared_addr = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(err[1], 2);
        close(err[0]);
        alarm(10);
        misuse();
        _exit(0);
    }
    close(err[1]);
    char out[1024];
    size_t len = 0;
    ssize_t n;
    while (len + 1 < sizeof out && (n = read(err[0], out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = 0;
    drop_emulator_report(out);
    close(err[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    char line[160];
    snprintf(line, sizeof line, "%s 0x%" PRIxPTR "\n", want, *shared_addr);
    if (or_exit0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    /* The line, or the line with more said after the address. */
    size_t head = strlen(line) - 1;
    bool said = strncmp(out, line, head) == 0 && (out[head] == '\n' || out[head] == ' ') &&
                strchr(out, '\n') == out + strlen(out) - 1;
    CHECKF(aborted && said,
           "%s: child %s %d, stderr \"%s\", expected SIGABRT and \"%.*s\"", name,
           WIFSIGNALED(status) ? "killed by signal" : "exited with",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), out,
           (int)strlen(line) - 1, line);
}

/* ---- the misuses --------------------------------------------------------- */

static void *twice_rust_dealloc_fn(void)
{
    void *p = rust_alloc(64, 8);
    *shared_addr = (uintptr_t)p;
    rust_dealloc(p, 64, 8);
    rust_dealloc(p, 64, 8);
    return p;
}
static void twice_rust_dealloc(void) { report_survival(twice_rust_dealloc_fn(), 64); }

static void twice_ox_free(void)
{
    void *p = ox_malloc(64);
    *shared_addr = (uintptr_t)p;
    ox_free(p);
    ox_free(p);
    report_survival(p, 64);
}

static void twice_free_sized(void)
{
    void *p = ox_malloc(64);
    *shared_addr = (uintptr_t)p;
    ox_free_sized(p, 64);
    ox_free_sized(p, 64);
    report_survival(p, 64);
}

/* realloc of a freed block, to a size that moves it (the old block is
 * freed again) and to one that keeps it (it would stay handed out while
 * on a free list). */
static void realloc_freed(size_t new_size)
{
    void *p = rust_alloc(64, 8);
    *shared_addr = (uintptr_t)p;
    rust_dealloc(p, 64, 8);
    void *q = rust_realloc(p, 64, 8, new_size);
    (void)q;
    report_survival(p, 64);
}
static void realloc_freed_moves(void) { realloc_freed(4000); }
static void realloc_freed_stays(void) { realloc_freed(48); }

static void twice_heap_free(void)
{
    ox_heap_t *h = ox_heap_new();
    void *p = ox_heap_malloc(h, 64);
    *shared_addr = (uintptr_t)p;
    ox_heap_free(p);
    ox_heap_free(p);
    int again = 0;
    for (int i = 0; i < REUSE_ALLOCS; i++)
        again += ox_heap_malloc(h, 64) == p;
    fprintf(stderr, "not reported; %p handed out %d times\n", p, again);
}

static void twice_huge(void)
{
    void *p = ox_malloc(8 * MiB);
    *shared_addr = (uintptr_t)p;
    ox_free(p);
    ox_free(p);
    fprintf(stderr, "not reported\n");
}

/* A huge block freed twice after its mapping went back to the OS
 * (OXALLOC_HUGE_CACHE_MB=0, and a size the cache would not keep anyway):
 * the second free finds no mapping there, only the address map's record
 * of the block that was. */
static void *huge_gone(size_t size, size_t align, ox_heap_t *heap)
{
    void *p = heap ? ox_heap_malloc(heap, size) : rust_alloc(size, align);
    *shared_addr = (uintptr_t)p;
    if (!p)
        _exit(2);
    memset(p, 1, 4096);
    return p;
}
static void require_unmapped(void *p)
{
    if (ox_owns(p)) {
        fprintf(stderr, "test set-up: %p still mapped after its free\n", p);
        _exit(2);
    }
}
#define HUGE_GONE_SIZE (64 * MiB)
static void huge_gone_ox_free(void)
{
    void *p = huge_gone(HUGE_GONE_SIZE, 16, NULL);
    ox_free(p);
    require_unmapped(p);
    ox_free(p);
    fprintf(stderr, "not reported\n");
}
static void huge_gone_rust_dealloc(void)
{
    void *p = huge_gone(HUGE_GONE_SIZE, 8, NULL);
    rust_dealloc(p, HUGE_GONE_SIZE, 8);
    require_unmapped(p);
    rust_dealloc(p, HUGE_GONE_SIZE, 8);
    fprintf(stderr, "not reported\n");
}
static void huge_gone_aligned_sized(void)
{
    void *p = huge_gone(HUGE_GONE_SIZE, 8 * MiB, NULL);
    ox_free_aligned_sized(p, 8 * MiB, HUGE_GONE_SIZE);
    require_unmapped(p);
    ox_free_aligned_sized(p, 8 * MiB, HUGE_GONE_SIZE);
    fprintf(stderr, "not reported\n");
}
static void huge_gone_realloc(void)
{
    void *p = huge_gone(HUGE_GONE_SIZE, 8, NULL);
    rust_dealloc(p, HUGE_GONE_SIZE, 8);
    require_unmapped(p);
    void *q = rust_realloc(p, HUGE_GONE_SIZE, 8, 2 * HUGE_GONE_SIZE);
    fprintf(stderr, "not reported (realloc returned %p)\n", q);
}
static void huge_gone_heap_free(void)
{
    ox_heap_t *h = ox_heap_new();
    void *p = huge_gone(HUGE_GONE_SIZE, 16, h);
    ox_heap_free(p);
    require_unmapped(p);
    ox_heap_free(p);
    fprintf(stderr, "not reported\n");
}
/* realloc moved the block: its old address was freed by it. */
static void huge_gone_after_move(void)
{
    void *p = huge_gone(HUGE_GONE_SIZE, 8, NULL);
    void *keep = rust_alloc(HUGE_GONE_SIZE, 8); /* often where p would grow */
    void *q = rust_realloc(p, HUGE_GONE_SIZE, 8, 4 * HUGE_GONE_SIZE);
    if (q == p || ox_owns(p)) { /* grew in place: nothing to test */
        fprintf(stderr, "test set-up: realloc did not move %p\n", p);
        _exit(2);
    }
    ox_free(p);
    fprintf(stderr, "not reported\n");
    (void)keep;
}

/* Frees made by a thread that does not own the block. */
static int remote_how;
static void *remote_thread(void *arg)
{
    void *p = arg;
    if (remote_how == 0) {
        ox_free(p);
        ox_free(p);
    } else if (remote_how == 1) {
        rust_dealloc(p, 64, 8);
        rust_dealloc(p, 64, 8);
    } else {
        rust_dealloc(p, 64, 8); /* the owner frees it once more */
    }
    return NULL;
}

static void remote(int how)
{
    remote_how = how;
    void *keep = rust_alloc(64, 8); /* the page stays in use */
    void *p = rust_alloc(64, 8);
    *shared_addr = (uintptr_t)p;
    pthread_t t;
    pthread_create(&t, NULL, remote_thread, p);
    pthread_join(t, NULL);
    if (how == 2)
        rust_dealloc(p, 64, 8);
    report_survival(p, 64);
    (void)keep;
}
static void twice_remote_ox_free(void) { remote(0); }
static void twice_remote_rust_dealloc(void) { remote(1); }
static void remote_then_owner(void) { remote(2); }

/* A block of a thread that has exited, freed twice by another. */
static void *alloc_and_exit(void *arg)
{
    (void)arg;
    rust_alloc(64, 8); /* keeps the page in use */
    return rust_alloc(64, 8);
}

static void twice_abandoned(void)
{
    pthread_t t;
    void *p;
    pthread_create(&t, NULL, alloc_and_exit, NULL);
    pthread_join(t, &p);
    *shared_addr = (uintptr_t)p;
    rust_dealloc(p, 64, 8);
    rust_dealloc(p, 64, 8);
    report_survival(p, 64);
}

/* A stray free of the address of a block of a page in use that the page
 * has not carved yet (or, `interior`, of an address inside a live block),
 * through `entry`; then no two of the next allocations may overlap. */
enum stray_entry { STRAY_OX_FREE, STRAY_RUST_DEALLOC, STRAY_FREE_SIZED, STRAY_ALIGNED_SIZED };
static void stray_free(enum stray_entry entry, bool interior)
{
    char *a = rust_alloc(64, 8), *b = rust_alloc(64, 8);
    size_t stride = (size_t)(b - a);
    char *q = interior ? b + 16 : a + 400 * stride;
    if (((uintptr_t)a & ~(uintptr_t)0xFFFF) != ((uintptr_t)q & ~(uintptr_t)0xFFFF)) {
        fprintf(stderr, "test set-up: %p and %p not in one page\n", (void *)a, (void *)q);
        _exit(2);
    }
    *shared_addr = (uintptr_t)q;
    switch (entry) {
    case STRAY_OX_FREE: ox_free(q); break;
    case STRAY_RUST_DEALLOC: rust_dealloc(q, 64, 8); break;
    case STRAY_FREE_SIZED: ox_free_sized(q, 64); break;
    case STRAY_ALIGNED_SIZED: ox_free_aligned_sized(q, 16, 64); break;
    }
    enum { N = 1500 };
    static char *got[N + 2];
    got[0] = a;
    got[1] = b;
    for (int i = 2; i < N + 2; i++)
        got[i] = rust_alloc(64, 8);
    for (int i = 0; i < N + 2; i++)
        for (int j = i + 1; j < N + 2; j++)
            if (got[i] < got[j] + 64 && got[j] < got[i] + 64) {
                fprintf(stderr, "%p and %p handed out at once (allocations %d and %d)\n",
                        (void *)got[i], (void *)got[j], i, j);
                _exit(1);
            }
}
static void stray_uncarved(void) { stray_free(STRAY_OX_FREE, false); }
static void stray_uncarved_rust_dealloc(void) { stray_free(STRAY_RUST_DEALLOC, false); }
static void stray_uncarved_free_sized(void) { stray_free(STRAY_FREE_SIZED, false); }
static void stray_uncarved_aligned_sized(void) { stray_free(STRAY_ALIGNED_SIZED, false); }
static void stray_interior_rust_dealloc(void) { stray_free(STRAY_RUST_DEALLOC, true); }
static void stray_interior_free_sized(void) { stray_free(STRAY_FREE_SIZED, true); }

/* ---- the tests ---------------------------------------------------------- */

static void setup(void)
{
    if (!shared_addr) {
        void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CHECK(m != MAP_FAILED);
        shared_addr = m;
    }
}

#define DOUBLE_FREE "oxalloc: double free of"

void test_double_free_reported_everywhere(void)
{
    setup();
    expect_abort("rust_dealloc twice", twice_rust_dealloc, DOUBLE_FREE, false);
    expect_abort("ox_free twice", twice_ox_free, DOUBLE_FREE, false);
    expect_abort("ox_free_sized twice", twice_free_sized, DOUBLE_FREE, false);
    expect_abort("rust_realloc (moving) of a freed block", realloc_freed_moves, DOUBLE_FREE,
                 false);
    expect_abort("rust_realloc (in place) of a freed block", realloc_freed_stays, DOUBLE_FREE,
                 false);
    expect_abort("ox_heap_free twice", twice_heap_free, DOUBLE_FREE, false);
    expect_abort("ox_free twice, huge block", twice_huge, DOUBLE_FREE, false);
}

void test_double_free_remote_reported(void)
{
    setup();
    expect_abort("ox_free twice from another thread", twice_remote_ox_free, DOUBLE_FREE, false);
    expect_abort("rust_dealloc twice from another thread", twice_remote_rust_dealloc,
                 DOUBLE_FREE, false);
    expect_abort("freed by another thread, then by the owner", remote_then_owner, DOUBLE_FREE,
                 false);
    expect_abort("rust_dealloc twice into an exited thread's heap", twice_abandoned,
                 DOUBLE_FREE, false);
}

void test_double_free_huge_unmapped_reported(void)
{
    setup();
    expect_abort("ox_free twice, huge block unmapped", huge_gone_ox_free, DOUBLE_FREE, false);
    expect_abort("rust_dealloc twice, huge block unmapped", huge_gone_rust_dealloc, DOUBLE_FREE,
                 false);
    expect_abort("ox_free_aligned_sized twice, huge block unmapped", huge_gone_aligned_sized,
                 DOUBLE_FREE, false);
    expect_abort("rust_realloc of a freed huge block, unmapped", huge_gone_realloc, DOUBLE_FREE,
                 false);
    expect_abort("ox_heap_free twice, huge block unmapped", huge_gone_heap_free, DOUBLE_FREE,
                 false);
    expect_abort("ox_free of a huge block's address realloc moved", huge_gone_after_move,
                 DOUBLE_FREE, false);
}

/* Release: ignored (exit 0, no address handed out twice); checked build:
 * stops naming the pointer. */
void test_stray_free_uncarved_refused(void)
{
    setup();
    expect_abort("free of a block address not carved yet", stray_uncarved,
                 "oxalloc: free of a pointer oxalloc never allocated:", true);
}

/* The same through the sized entry points, which find the segment by
 * masking the pointer (the layout says "class block"), and of an address
 * inside a live block.  Release: refused (exit 0, nothing handed out
 * twice); checked build: stops naming the pointer. */
void test_stray_sized_free_refused(void)
{
    setup();
    const char *never = "oxalloc: free of a pointer oxalloc never allocated:";
    expect_abort("rust_dealloc of a block address not carved yet", stray_uncarved_rust_dealloc,
                 never, true);
    expect_abort("ox_free_sized of a block address not carved yet", stray_uncarved_free_sized,
                 never, true);
    expect_abort("ox_free_aligned_sized of a block address not carved yet",
                 stray_uncarved_aligned_sized, never, true);
    expect_abort("rust_dealloc of an address inside a live block", stray_interior_rust_dealloc,
                 "oxalloc: free of an interior pointer:", true);
    expect_abort("ox_free_sized of an address inside a live block", stray_interior_free_sized,
                 "oxalloc: free of an interior pointer:", true);
}
