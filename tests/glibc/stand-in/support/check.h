/* support/check.h - oxalloc's stand-in for glibc's test check macros.
 * A failed TEST_VERIFY/TEST_COMPARE prints "error: file:line: ..." and is
 * counted (in memory shared with the test's subprocesses), so the test
 * fails at its end; the _EXIT forms and FAIL_EXIT* stop the test at once;
 * FAIL_UNSUPPORTED exits with 77. */
#ifndef OX_GLIBC_SUPPORT_CHECK_H
#define OX_GLIBC_SUPPORT_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void support_record_failure(void);
int support_record_failure_is_failed(void);
void support_record_failure_reset(void);
void ox_support_fail(int exit_status, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ox_support_verify_failed(int exit_status, const char *file, int line, const char *expr);
void ox_support_compare_failed(const char *file, int line, const char *left_expr,
                               long long left, int left_neg, const char *right_expr,
                               long long right, int right_neg);

#define FAIL(...) ox_support_fail(0, __FILE__, __LINE__, __VA_ARGS__)
#define FAIL_RET(...)                                                                              \
    do {                                                                                           \
        ox_support_fail(0, __FILE__, __LINE__, __VA_ARGS__);                                       \
        return 1;                                                                                  \
    } while (0)
#define FAIL_EXIT(status, ...) ox_support_fail((status), __FILE__, __LINE__, __VA_ARGS__)
#define FAIL_EXIT1(...) ox_support_fail(1, __FILE__, __LINE__, __VA_ARGS__)
#define FAIL_UNSUPPORTED(...) ox_support_fail(77, __FILE__, __LINE__, __VA_ARGS__)

#define TEST_VERIFY(expr)                                                                          \
    ({                                                                                             \
        if (!(expr))                                                                               \
            ox_support_verify_failed(0, __FILE__, __LINE__, #expr);                                \
        (void)0;                                                                                   \
    })
#define TEST_VERIFY_EXIT(expr)                                                                     \
    ({                                                                                             \
        if (!(expr))                                                                               \
            ox_support_verify_failed(1, __FILE__, __LINE__, #expr);                                \
        (void)0;                                                                                   \
    })

/* Integers of any type, compared by value (a negative signed value never
 * equals a large unsigned one). */
#define TEST_COMPARE(left, right)                                                                  \
    ({                                                                                             \
        __typeof__(left) ox_l = (left);                                                            \
        __typeof__(right) ox_r = (right);                                                          \
        int ox_ln = ox_l < 0, ox_rn = ox_r < 0; /* false for unsigned types */                     \
        if (ox_ln != ox_rn || (long long)ox_l != (long long)ox_r)                                  \
            ox_support_compare_failed(__FILE__, __LINE__, #left, (long long)ox_l, ox_ln, #right,   \
                                      (long long)ox_r, ox_rn);                                     \
        (void)0;                                                                                   \
    })

#define TEST_COMPARE_BLOB(l, lsize, r, rsize)                                                      \
    ({                                                                                             \
        size_t ox_ls = (lsize), ox_rs = (rsize);                                                   \
        if (ox_ls != ox_rs || memcmp((l), (r), ox_ls) != 0)                                        \
            ox_support_verify_failed(0, __FILE__, __LINE__, "blobs " #l " and " #r " equal");      \
        (void)0;                                                                                   \
    })

#endif
