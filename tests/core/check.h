/*
 * check.h - the tiny CHECK framework of the core and stress suites.
 *
 * A test is a function; CHECK(cond) records a failure (file, line and the
 * condition text) without stopping the test; CHECKF adds a printf-style
 * detail.  A test passes when none of its CHECKs failed.  Only the first
 * few failures of a process are printed, so that a broken loop over
 * thousands of sizes stays readable.  Safe to use from several threads.
 */
#ifndef OX_TEST_CHECK_H
#define OX_TEST_CHECK_H

#include <stdatomic.h>
#include <stdio.h>

extern _Atomic long check_failures; /* failed CHECKs in this process */

#define CHECK_PRINT_LIMIT 20

#define CHECKF(cond, ...)                                                    \
    do {                                                                     \
        if (!(cond)) {                                                       \
            if (atomic_fetch_add(&check_failures, 1) < CHECK_PRINT_LIMIT) { \
                fprintf(stderr, "CHECK FAILED %s:%d: %s: ", __FILE__,        \
                        __LINE__, #cond);                                    \
                fprintf(stderr, __VA_ARGS__);                                \
                fputc('\n', stderr);                                         \
            }                                                                \
        }                                                                    \
    } while (0)

#define CHECK(cond) CHECKF(cond, "%s", "false")

/* Define the counter in exactly one file of each program. */
#define CHECK_DEFINE_COUNTERS _Atomic long check_failures

#endif /* OX_TEST_CHECK_H */
