/*
 * check.h - the override suite's tiny test harness.
 *
 * CHECK(cond) counts one pass or one failure (printing the failed line);
 * CHECK_ISOLATED(fn) runs fn in a forked child so that a crash is one
 * failure, not the end of the run; report(name) prints the closing line
 * "name: N passed, N failed" and gives the exit status.  ox_owns is
 * reached through dlsym, so the same test source proves, in both link
 * routes, that oxalloc (not glibc) served a block.
 */
#ifndef OVERRIDE_CHECK_H
#define OVERRIDE_CHECK_H

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int check_passed __attribute__((unused)), check_failed __attribute__((unused));

static inline void check_result(bool ok, const char *what, const char *file, int line)
{
    if (ok) {
        check_passed++;
        return;
    }
    check_failed++;
    fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
}

#define CHECK(cond) check_result((cond), #cond, __FILE__, __LINE__)

/* Run fn() in a child; it passes when the child exits 0. */
static inline bool run_isolated(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#define CHECK_ISOLATED(fn) check_result(run_isolated(fn), #fn " (in a child)", __FILE__, __LINE__)

/* Exit a forked child with a failure when cond is false. */
#define CHILD_ASSERT(cond)                                                         \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "FAIL %s:%d (child): %s\n", __FILE__, __LINE__, #cond); \
            _exit(1);                                                              \
        }                                                                          \
    } while (0)

typedef bool (*owns_fn)(const void *);

/* ox_owns of whichever oxalloc this process runs on, NULL if none. */
static inline owns_fn find_ox_owns(void)
{
    static owns_fn fn;
    if (fn == NULL)
        fn = (owns_fn)dlsym(RTLD_DEFAULT, "ox_owns");
    return fn;
}

static inline bool ox_served(const void *p)
{
    owns_fn owns = find_ox_owns();
    return owns != NULL && p != NULL && owns(p);
}

/* Check that each of names[0..n) resolves into the object that holds
 * ox_owns: a symbol left to glibc would send its callers to glibc's heap. */
static inline void check_resolve_to_oxalloc(const char *const *names, size_t n)
{
    Dl_info home, where;
    void *owns = dlsym(RTLD_DEFAULT, "ox_owns");
    CHECK(owns != NULL && dladdr(owns, &home) != 0);
    if (!owns)
        return;
    for (size_t i = 0; i < n; i++) {
        void *sym = dlsym(RTLD_DEFAULT, names[i]);
        bool ok = sym && dladdr(sym, &where) && where.dli_fbase == home.dli_fbase;
        if (!ok)
            fprintf(stderr, "  %s does not resolve to oxalloc (%s)\n", names[i],
                    sym && dladdr(sym, &where) ? where.dli_fname : "missing");
        CHECK(ok);
    }
}

static inline int report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    fflush(stdout);
    return check_failed ? 1 : 0;
}

#endif /* OVERRIDE_CHECK_H */
