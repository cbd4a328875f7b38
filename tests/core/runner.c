/*
 * runner.c - the core suite's driver.
 *
 *   core_tests              run every test, each in a fresh process
 *   core_tests NAME...      run the tests whose name contains NAME
 *   core_tests --run NAME   run one test in this process (for debugging)
 *   core_tests --list
 *
 * Each test is run by fork + exec of this binary with `--run NAME`, so
 * every test starts with an allocator that has never been used, gets the
 * environment it asks for (e.g. OXALLOC_PURGE_DELAY=0) before the first
 * allocation, and cannot take the others down when it crashes.  A
 * watchdog (alarm) turns a hang into a failure.  The closing line is
 * "core: N passed, N failed".
 *
 * OX_TEST_EMULATOR="qemu-aarch64 -L /usr/aarch64-linux-gnu" runs the
 * re-executions through that command: under qemu-user a guest's execve of
 * a guest binary fails (ENOEXEC) unless binfmt_misc is set up, but the
 * emulator itself is a host binary the guest can exec (tests/aarch64).
 * OX_TEST_WATCHDOG_SCALE=N multiplies every test's watchdog by N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

CHECK_DEFINE_COUNTERS;

struct test {
    const char *name;
    void (*fn)(void);
    const char *env;  /* "NAME=VALUE" set before the test starts, or NULL */
    unsigned seconds; /* watchdog */
};

#define CORE_ENTRY(name, env, secs) { #name, test_##name, env, secs },
static const struct test tests[] = { CORE_TESTS(CORE_ENTRY) };
#undef CORE_ENTRY
#define NTESTS (sizeof tests / sizeof tests[0])

/* execv of this binary with `args` (args[0] is ignored), through
 * OX_TEST_EMULATOR's words when that is set.  Returns only on failure. */
static void exec_self(char **args)
{
    const char *emu = getenv("OX_TEST_EMULATOR");
    if (!emu || !*emu) {
        execv("/proc/self/exe", args);
        return;
    }
    static char words[512], self[4096];
    char *argv[64];
    int n = 0;
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = 0;
    snprintf(words, sizeof words, "%s", emu);
    for (char *w = strtok(words, " "); w && n < 48; w = strtok(NULL, " "))
        argv[n++] = w;
    argv[n++] = self;
    for (int i = 1; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    execvp(argv[0], argv);
}

static const struct test *find(const char *name)
{
    for (size_t i = 0; i < NTESTS; i++)
        if (!strcmp(tests[i].name, name))
            return &tests[i];
    return NULL;
}

/* Makes sure the test's environment variable is set, re-executing this
 * binary if it was not (the allocator may read options at load time). */
static void ensure_env(const struct test *t, char **argv)
{
    if (!t->env)
        return;
    const char *eq = strchr(t->env, '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq - t->env), t->env);
    const char *cur = getenv(name);
    if (cur && !strcmp(cur, eq + 1))
        return;
    setenv(name, eq + 1, 1);
    exec_self(argv);
    perror("execv");
    exit(2);
}

static int run_one(const struct test *t, char **argv)
{
    ensure_env(t, argv);
    /* OX_TEST_WATCHDOG_SCALE=N gives slow runs (an emulator) N times the
     * time; a hang is still caught. */
    const char *scale = getenv("OX_TEST_WATCHDOG_SCALE");
    unsigned factor = scale && atoi(scale) > 0 ? (unsigned)atoi(scale) : 1;
    watchdog(t->seconds * factor);
    t->fn();
    return check_failures ? 1 : 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs a test in a fresh process; returns true when it passed. */
static bool spawn(const struct test *t, const char *self)
{
    double t0 = now();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return false;
    }
    if (pid == 0) {
        char *args[] = { (char *)self, "--run", (char *)t->name, NULL };
        exec_self(args);
        perror("execv");
        _exit(2);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        printf("PASS %s (%.1f s)\n", t->name, now() - t0);
        return true;
    }
    if (WIFSIGNALED(st))
        printf("FAIL %s (killed by signal %d)  repro: %s%s%s --run %s\n",
               t->name, WTERMSIG(st), t->env ? t->env : "",
               t->env ? " " : "", self, t->name);
    else
        printf("FAIL %s (exit %d)  repro: %s%s%s --run %s\n", t->name,
               WEXITSTATUS(st), t->env ? t->env : "", t->env ? " " : "",
               self, t->name);
    return false;
}

static bool selected(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i]))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--run")) {
        const struct test *t = find(argv[2]);
        if (!t) {
            fprintf(stderr, "no test %s\n", argv[2]);
            return 2;
        }
        return run_one(t, argv);
    }
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < NTESTS; i++)
            puts(tests[i].name);
        return 0;
    }
    int passed = 0, failed = 0;
    for (size_t i = 0; i < NTESTS; i++) {
        if (!selected(tests[i].name, argc, argv))
            continue;
        if (spawn(&tests[i], argv[0]))
            passed++;
        else
            failed++;
    }
    printf("core: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
