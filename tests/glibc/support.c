/*
 * support.c - oxalloc's stand-in for the part of glibc's libsupport that
 * glibc's malloc tests use (the headers are in stand-in/support/): the
 * driver that runs a test in a subprocess under a timeout and judges its
 * end, failure recording shared with subprocesses, the x* wrappers that
 * end a test on a failed call, and temporary files.  Written for oxalloc
 * from the interface the tests expect; no glibc code.  Compiled once into
 * build/glibc/libsupport.a by run.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <support/check.h>
#include <support/support.h>
#include <support/temp_file.h>
#include <support/test-driver.h>
#include <support/xsignal.h>
#include <support/xthread.h>
#include <support/xunistd.h>

/* ---- failures: counted in a shared page, so a subprocess's count too -- */

static _Atomic unsigned *failures;

__attribute__((constructor)) static void failures_init(void)
{
    void *page = mmap(NULL, sizeof *failures, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                      -1, 0);
    if (page == MAP_FAILED) {
        perror("error: support: mmap of the failure counter");
        _exit(1);
    }
    failures = page;
}

void support_record_failure(void) { atomic_fetch_add(failures, 1); }
int support_record_failure_is_failed(void) { return atomic_load(failures) != 0; }
void support_record_failure_reset(void) { atomic_store(failures, 0); }

void ox_support_fail(int exit_status, const char *file, int line, const char *fmt, ...)
{
    int saved = errno; /* for %m */
    fflush(stdout);
    printf("%s: %s:%d: ", exit_status == 77 ? "warning" : "error", file, line);
    va_list ap;
    va_start(ap, fmt);
    errno = saved;
    vprintf(fmt, ap);
    va_end(ap);
    size_t len = strlen(fmt);
    if (len == 0 || fmt[len - 1] != '\n')
        putchar('\n');
    fflush(stdout);
    if (exit_status != 77)
        support_record_failure();
    if (exit_status != 0)
        exit(exit_status);
}

void ox_support_verify_failed(int exit_status, const char *file, int line, const char *expr)
{
    ox_support_fail(exit_status, file, line, "not true: %s", expr);
}

void ox_support_compare_failed(const char *file, int line, const char *left_expr, long long left,
                               int left_neg, const char *right_expr, long long right,
                               int right_neg)
{
    char l[32], r[32];
    snprintf(l, sizeof l, left_neg ? "%lld" : "%llu", left);
    snprintf(r, sizeof r, right_neg ? "%lld" : "%llu", right);
    printf("error: %s:%d: value of %s (%s) != value of %s (%s)\n", file, line, left_expr, l,
           right_expr, r);
    fflush(stdout);
    support_record_failure();
}

/* ---- temporary files ---------------------------------------------------- */

static char *temp_names[64];
static int temp_count;

void add_temp_file(const char *name)
{
    if (temp_count < (int)(sizeof temp_names / sizeof temp_names[0]))
        temp_names[temp_count++] = xstrdup(name);
}

int create_temp_file(const char *base, char **filename)
{
    const char *dir = getenv("TMPDIR");
    char *name = xasprintf("%s/%sXXXXXX", dir && *dir ? dir : "/tmp", base);
    int fd = mkstemp(name);
    if (fd < 0) {
        printf("error: create_temp_file: mkstemp %s: %m\n", name);
        free(name);
        return -1;
    }
    add_temp_file(name);
    if (filename)
        *filename = name;
    else
        free(name);
    return fd;
}

static void delete_temp_files(void)
{
    for (int i = 0; i < temp_count; i++)
        unlink(temp_names[i]);
}

/* ---- the driver ---------------------------------------------------------- */

static pid_t test_pid;
static void (*cleanup_function)(void);

static void on_timeout(int sig)
{
    (void)sig;
    if (test_pid > 0) {
        kill(-test_pid, SIGKILL);
        kill(test_pid, SIGKILL);
    }
    if (cleanup_function)
        cleanup_function();
}

static int run_test(int argc, char **argv, const struct ox_test_config *config)
{
    int status = config->test_function_argv ? config->test_function_argv(argc, argv)
                                            : config->test_function();
    if (status == 0 && support_record_failure_is_failed())
        status = 1;
    return status;
}

int ox_support_test_main(int argc, char **argv, const struct ox_test_config *config)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int direct = 0;
    if (argc > 1 && strcmp(argv[1], "--direct") == 0) {
        direct = 1;
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    if (config->prepare_function)
        config->prepare_function(argc, argv);
    if (direct) {
        int status = run_test(argc, argv, config);
        delete_temp_files();
        return status;
    }

    unsigned timeout = config->timeout > 0 ? (unsigned)config->timeout : DEFAULT_TIMEOUT;
    const char *factor = getenv("TIMEOUTFACTOR");
    if (factor && atoi(factor) > 0)
        timeout *= (unsigned)atoi(factor);
    cleanup_function = config->cleanup_function;

    test_pid = fork();
    if (test_pid < 0) {
        printf("error: fork: %m\n");
        return 1;
    }
    if (test_pid == 0) {
        setpgid(0, 0); /* the timeout kills the test's whole process group */
        int status = run_test(argc, argv, config);
        delete_temp_files();
        exit(status);
    }
    struct sigaction sa = {.sa_handler = on_timeout};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm(timeout);
    int status = 0;
    pid_t got;
    while ((got = waitpid(test_pid, &status, 0)) < 0 && errno == EINTR) {
    }
    alarm(0);
    if (got != test_pid) {
        printf("error: waitpid: %m\n");
        return 1;
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && config->expected_signal != SIGKILL) {
        /* either the watchdog or something else killed it */
        printf("Timed out or killed: the test ran past %u s or got SIGKILL\n", timeout);
        return 1;
    }
    if (config->expected_signal) {
        if (WIFSIGNALED(status) && WTERMSIG(status) == config->expected_signal)
            return 0;
        if (WIFSIGNALED(status))
            printf("error: expected signal %s, got %s\n", strsignal(config->expected_signal),
                   strsignal(WTERMSIG(status)));
        else
            printf("error: expected signal %s, the test exited with %d\n",
                   strsignal(config->expected_signal), WEXITSTATUS(status));
        return 1;
    }
    if (WIFSIGNALED(status)) {
        printf("error: the test was killed by signal %s\n", strsignal(WTERMSIG(status)));
        return 1;
    }
    int code = WEXITSTATUS(status);
    if (code == EXIT_UNSUPPORTED)
        return EXIT_UNSUPPORTED;
    if (code != config->expected_status) {
        printf("error: the test exited with %d, expected %d\n", code, config->expected_status);
        return 1;
    }
    if (support_record_failure_is_failed())
        return 1;
    return 0;
}

/* ---- support.h ----------------------------------------------------------- */

static void oom(size_t n)
{
    printf("error: out of memory allocating %zu bytes\n", n);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL)
        oom(n);
    return p;
}

void *xcalloc(size_t count, size_t n)
{
    void *p = calloc(count, n);
    if (p == NULL)
        oom(count * n);
    return p;
}

void *xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n);
    if (p == NULL && n != 0)
        oom(n);
    return p;
}

char *xstrdup(const char *s) { return strcpy(xmalloc(strlen(s) + 1), s); }

char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (p == NULL)
        oom(n);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = NULL;
    if (vasprintf(&p, fmt, ap) < 0)
        FAIL_EXIT1("vasprintf: %m");
    va_end(ap);
    return p;
}

long xsysconf(int name)
{
    errno = 0;
    long v = sysconf(name);
    if (v < 0 && errno != 0)
        FAIL_EXIT1("sysconf (%d): %m", name);
    return v;
}

/* A shared mapping with its size in front, so that free needs no size. */
void *support_shared_allocate(size_t size)
{
    size_t total = size + 16;
    char *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        FAIL_EXIT1("support_shared_allocate (%zu): %m", size);
    *(size_t *)p = total;
    return p + 16;
}

void support_shared_free(void *ptr)
{
    char *p = (char *)ptr - 16;
    munmap(p, *(size_t *)p);
}

void write_message(const char *message)
{
    ssize_t n = write(STDOUT_FILENO, message, strlen(message));
    (void)n;
}

void support_need_proc(const char *reason)
{
    if (access("/proc/self", R_OK) != 0)
        FAIL_UNSUPPORTED("/proc is not available: %s", reason);
}

/* ---- xunistd.h ----------------------------------------------------------- */

pid_t xfork(void)
{
    pid_t pid = fork();
    if (pid < 0)
        FAIL_EXIT1("fork: %m");
    return pid;
}

pid_t xwaitpid(pid_t pid, int *status, int flags)
{
    pid_t got = waitpid(pid, status, flags);
    if (got < 0)
        FAIL_EXIT1("waitpid: %m");
    return got;
}

int xopen(const char *path, int flags, mode_t mode)
{
    int fd = open(path, flags, mode);
    if (fd < 0)
        FAIL_EXIT1("open (\"%s\", 0x%x, 0%o): %m", path, flags, mode);
    return fd;
}

void xclose(int fd)
{
    if (close(fd) < 0 && errno != EINTR)
        FAIL_EXIT1("close (%d): %m", fd);
}

void xpipe(int fds[2])
{
    if (pipe(fds) < 0)
        FAIL_EXIT1("pipe: %m");
}

void xwrite(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            FAIL_EXIT1("write (%d): %m", fd);
        p += w;
        n -= (size_t)w;
    }
}

void *xmmap(void *addr, size_t length, int prot, int flags, int fd)
{
    void *p = mmap(addr, length, prot, flags, fd, 0);
    if (p == MAP_FAILED)
        FAIL_EXIT1("mmap of %zu bytes, prot=0x%x, flags=0x%x: %m", length, prot, flags);
    return p;
}

void xmunmap(void *addr, size_t length)
{
    if (munmap(addr, length) != 0)
        FAIL_EXIT1("munmap (%p, %zu): %m", addr, length);
}

void xmprotect(void *addr, size_t length, int prot)
{
    if (mprotect(addr, length, prot) != 0)
        FAIL_EXIT1("mprotect (%p, %zu, 0x%x): %m", addr, length, prot);
}

/* ---- xsignal.h ----------------------------------------------------------- */

sighandler_t xsignal(int sig, sighandler_t handler)
{
    sighandler_t old = signal(sig, handler);
    if (old == SIG_ERR)
        FAIL_EXIT1("signal (%d): %m", sig);
    return old;
}

void xsigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sigaction(sig, act, old) != 0)
        FAIL_EXIT1("sigaction (%d): %m", sig);
}

void xraise(int sig)
{
    if (raise(sig) != 0)
        FAIL_EXIT1("raise (%d): %m", sig);
}

/* ---- xthread.h: pthread calls return the error instead of setting errno */

static void check_pthread(int err, const char *what)
{
    if (err != 0) {
        errno = err;
        FAIL_EXIT1("%s: %m", what);
    }
}

pthread_t xpthread_create(pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    pthread_t t;
    check_pthread(pthread_create(&t, attr, fn, arg), "pthread_create");
    return t;
}

void *xpthread_join(pthread_t thread)
{
    void *result;
    check_pthread(pthread_join(thread, &result), "pthread_join");
    return result;
}

void xpthread_detach(pthread_t thread) { check_pthread(pthread_detach(thread), "pthread_detach"); }

void xpthread_kill(pthread_t thread, int sig)
{
    check_pthread(pthread_kill(thread, sig), "pthread_kill");
}

void xpthread_cancel(pthread_t thread) { check_pthread(pthread_cancel(thread), "pthread_cancel"); }

void xpthread_barrier_init(pthread_barrier_t *b, pthread_barrierattr_t *attr, unsigned count)
{
    check_pthread(pthread_barrier_init(b, attr, count), "pthread_barrier_init");
}

int xpthread_barrier_wait(pthread_barrier_t *b)
{
    int r = pthread_barrier_wait(b);
    if (r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD)
        check_pthread(r, "pthread_barrier_wait");
    return r == PTHREAD_BARRIER_SERIAL_THREAD;
}

void xpthread_barrier_destroy(pthread_barrier_t *b)
{
    check_pthread(pthread_barrier_destroy(b), "pthread_barrier_destroy");
}

void xpthread_barrierattr_init(pthread_barrierattr_t *attr)
{
    check_pthread(pthread_barrierattr_init(attr), "pthread_barrierattr_init");
}

void xpthread_barrierattr_setpshared(pthread_barrierattr_t *attr, int pshared)
{
    check_pthread(pthread_barrierattr_setpshared(attr, pshared), "pthread_barrierattr_setpshared");
}

void xpthread_barrierattr_destroy(pthread_barrierattr_t *attr)
{
    check_pthread(pthread_barrierattr_destroy(attr), "pthread_barrierattr_destroy");
}

void xpthread_mutex_lock(pthread_mutex_t *m)
{
    check_pthread(pthread_mutex_lock(m), "pthread_mutex_lock");
}

void xpthread_mutex_unlock(pthread_mutex_t *m)
{
    check_pthread(pthread_mutex_unlock(m), "pthread_mutex_unlock");
}

void xpthread_attr_init(pthread_attr_t *attr)
{
    check_pthread(pthread_attr_init(attr), "pthread_attr_init");
}

void xpthread_attr_destroy(pthread_attr_t *attr)
{
    check_pthread(pthread_attr_destroy(attr), "pthread_attr_destroy");
}

void xpthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
    check_pthread(pthread_attr_setstacksize(attr, size), "pthread_attr_setstacksize");
}

void xpthread_attr_setdetachstate(pthread_attr_t *attr, int state)
{
    check_pthread(pthread_attr_setdetachstate(attr, state), "pthread_attr_setdetachstate");
}
