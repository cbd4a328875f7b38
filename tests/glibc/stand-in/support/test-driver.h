/* support/test-driver.h - oxalloc's stand-in: what test-driver.c hands to
 * the driver (support.c), which runs the test in a subprocess under a
 * timeout and turns its end into an exit status: 0 pass, 1 fail, 77
 * unsupported. */
#ifndef OX_GLIBC_SUPPORT_TEST_DRIVER_H
#define OX_GLIBC_SUPPORT_TEST_DRIVER_H

#include <support/check.h>

#define EXIT_UNSUPPORTED 77
/* seconds a test may run unless it sets TIMEOUT (times $TIMEOUTFACTOR) */
#define DEFAULT_TIMEOUT 20

struct ox_test_config {
    int (*test_function)(void);
    int (*test_function_argv)(int, char **);
    void (*prepare_function)(int, char **);
    void (*cleanup_function)(void);
    int expected_signal; /* 0: none */
    int expected_status;
    int timeout; /* seconds; 0: the default */
};

int ox_support_test_main(int argc, char **argv, const struct ox_test_config *config);

#endif
