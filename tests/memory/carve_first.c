/*
 * carve_first - a class's page that is still being carved for the first
 * time is carved to its end before the class takes another page, even
 * when another class has just handed a written page back to the segment.
 * Otherwise every class of a heap whose other classes free pages spreads
 * over several partly carved pages, each with its own free blocks:
 * rptest-like with its threads kept in step peaked 10 % higher (16.4 vs
 * 15.0 MB for 2 threads, 30.8 vs 27.8 for 4).  The rule that leaves a page
 * for written memory holds for a page that was kept empty and is used
 * again (refill_touched).  Old code: "class A took 1 more page(s) for 200
 * blocks of 256 B (one holds 256)".
 */
#include "lc.h"

#define A_SIZE  256
#define A_COUNT 200 /* 50 KiB: one 64 KiB page */
#define B_SIZE  1024
#define B_COUNT 128 /* two pages */

static void *a[A_COUNT], *b[B_COUNT];

static size_t pages_in_use(void)
{
    ox_stats_t s;
    ox_stats_get(&s);
    return s.pages_in_use;
}

int main(void)
{
    watchdog(30);
    /* Class A starts its page (the first few blocks carved). */
    a[0] = ox_malloc(A_SIZE);
    CHECK(a[0] != NULL);
    size_t pages_a = pages_in_use();
    /* Class B fills two pages and empties them: one stays for its class,
     * the other goes back to the segment written. */
    for (int i = 0; i < B_COUNT; i++) {
        b[i] = ox_malloc(B_SIZE);
        CHECK(b[i] != NULL);
        memset(b[i], 1, B_SIZE);
    }
    for (int i = 0; i < B_COUNT; i++) ox_free(b[i]);
    size_t pages_b = pages_in_use() - pages_a;
    /* Class A goes on: its page has room for all of them. */
    for (int i = 1; i < A_COUNT; i++) {
        a[i] = ox_malloc(A_SIZE);
        CHECK(a[i] != NULL);
        memset(a[i], 2, A_SIZE);
    }
    size_t grown = pages_in_use() - pages_a - pages_b;
    printf("class B kept %zu page(s); class A took %zu more page(s) for %d blocks of %d B\n",
           pages_b, grown, A_COUNT, A_SIZE);
    CHECKF(grown == 0, "class A took %zu more page(s) for %d blocks of %d B (one holds 256)",
           grown, A_COUNT, A_SIZE);
    for (int i = 0; i < A_COUNT; i++) ox_free(a[i]);
    return lc_finish("carve_first");
}
