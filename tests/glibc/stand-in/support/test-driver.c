/* support/test-driver.c - oxalloc's stand-in for glibc's test driver,
 * included at the end of a test: main() collects what the test defined
 * (do_test or TEST_FUNCTION / TEST_FUNCTION_ARGV, PREPARE, CLEANUP_HANDLER,
 * EXPECTED_SIGNAL, EXPECTED_STATUS, TIMEOUT) and calls the driver. */
#include <support/test-driver.h>

int main(int argc, char **argv)
{
    struct ox_test_config config = {0};
#if defined(TEST_FUNCTION_ARGV)
    config.test_function_argv = TEST_FUNCTION_ARGV;
#elif defined(TEST_FUNCTION)
    config.test_function = TEST_FUNCTION;
#else
    config.test_function = do_test;
#endif
#ifdef PREPARE
    config.prepare_function = PREPARE;
#endif
#ifdef CLEANUP_HANDLER
    config.cleanup_function = CLEANUP_HANDLER;
#endif
#ifdef EXPECTED_SIGNAL
    config.expected_signal = (EXPECTED_SIGNAL);
#endif
#ifdef EXPECTED_STATUS
    config.expected_status = (EXPECTED_STATUS);
#endif
#ifdef TIMEOUT
    config.timeout = (TIMEOUT);
#endif
    return ox_support_test_main(argc, argv, &config);
}
