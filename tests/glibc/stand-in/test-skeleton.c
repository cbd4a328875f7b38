/* test-skeleton.c - oxalloc's stand-in for glibc's old-style test
 * skeleton, which older tests include as "../test-skeleton.c" (the harness
 * puts this file one directory above the unpacked tests).  Such a test
 * defines TEST_FUNCTION as an expression ("do_test ()"), so it is wrapped
 * in a function for the driver; PREPARE and CLEANUP_HANDLER likewise. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <paths.h>
#include <search.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <support/check.h>
#include <support/support.h>
#include <support/temp_file.h>
#include <support/xsignal.h>

static int ox_skeleton_test(int argc, char **argv)
{
    (void)argc;
    (void)argv;
#ifdef TEST_FUNCTION
    return TEST_FUNCTION;
#undef TEST_FUNCTION
#else
    return do_test(argc, argv);
#endif
}
#define TEST_FUNCTION_ARGV ox_skeleton_test

#ifdef PREPARE
static void ox_skeleton_prepare(int argc, char **argv) { PREPARE(argc, argv); }
#undef PREPARE
#define PREPARE ox_skeleton_prepare
#endif

#ifdef CLEANUP_HANDLER
static void ox_skeleton_cleanup(void) { CLEANUP_HANDLER; }
#undef CLEANUP_HANDLER
#define CLEANUP_HANDLER ox_skeleton_cleanup
#endif

#include <support/test-driver.c>

#ifdef _PTHREAD_H
#include <support/xthread.h>
#endif
