/*
 * test_life.c - early and late life of the overriding allocator.
 *
 * Before main: free(NULL) as the very first call, allocations in
 * constructors, dlsym, and dlopen() of early_lib.so (path in
 * $OVERRIDE_EARLY_LIB) whose constructor allocates.  During main: threads
 * that allocate, threads that only free, blocks freed after their thread
 * exited (and reclaimed: RSS stays flat), pthread_key destructors that
 * allocate, fork while other threads allocate, and ox_owns on blocks that
 * glibc allocated for us (strdup, getline, asprintf, fopen).  After main:
 * atexit handlers and a library destructor (dlclose) that allocate.  The
 * closing line is printed by the last atexit handler.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

/* ---------------------------------------------------------------- before main */

static void *ctor_blocks[6];
static void *early_lib;

__attribute__((constructor(101))) static void first_ctor(void)
{
    free(NULL); /* before this program allocates anything */
    ctor_blocks[0] = malloc(10);
    ctor_blocks[1] = calloc(3, 1000);
    ctor_blocks[2] = realloc(malloc(5), 5000);
}

__attribute__((constructor(102))) static void dl_ctor(void)
{
    ctor_blocks[3] = dlsym(RTLD_DEFAULT, "ox_owns") ? malloc(64) : NULL;
    const char *path = getenv("OVERRIDE_EARLY_LIB");
    early_lib = path ? dlopen(path, RTLD_NOW) : NULL;
    ctor_blocks[4] = strdup(dlerror() ? "dlerror allocates" : "no error");
    ctor_blocks[5] = aligned_alloc(4096, 4096);
}

static void test_before_main(void)
{
    bool ok = true;
    for (int i = 0; i < 6; i++)
        ok = ok && ox_served(ctor_blocks[i]);
    CHECK(ok);
    CHECK(early_lib != NULL);
    if (!early_lib)
        return;
    void *(*block)(int) = (void *(*)(int))dlsym(early_lib, "early_lib_block");
    CHECK(block != NULL);
    for (int i = 0; block && i < 4; i++)
        CHECK(ox_served(block(i)));
    for (int i = 0; i < 6; i++)
        free(ctor_blocks[i]);
}

/* -------------------------------------------------------- blocks from glibc */

static void test_glibc_blocks(void)
{
    char *s = strdup("strdup'ed");
    CHECK(ox_served(s));
    free(s);
    char *line = NULL;
    size_t cap = 0;
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL && getline(&line, &cap, f) > 0 && ox_served(line));
    free(line);
    if (f)
        fclose(f);
    char *fmt = NULL;
    CHECK(asprintf(&fmt, "%d %s", 42, "formatted") > 0 && ox_served(fmt));
    free(fmt);
    char *real = realpath(".", NULL);
    CHECK(ox_served(real));
    free(real);
}

/* ------------------------------------------------------------------ threads */

#define NBLOCKS 2000

static void *alloc_blocks(void *arg)
{
    free(NULL); /* this thread's first call */
    void **v = arg;
    for (int i = 0; i < NBLOCKS; i++) {
        v[i] = malloc((size_t)(i % 700) + 1);
        memset(v[i], i & 0xff, (size_t)(i % 700) + 1);
    }
    return NULL;
}

static void *free_blocks(void *arg)
{
    void **v = arg;
    for (int i = 0; i < NBLOCKS; i++)
        free(v[i]);
    return NULL;
}

static bool blocks_intact(void **v)
{
    for (int i = 0; i < NBLOCKS; i++) {
        unsigned char *c = v[i];
        if (!ox_served(c) || c[0] != (i & 0xff) || c[i % 700] != (i & 0xff))
            return false;
    }
    return true;
}

static void test_threads(void)
{
    static void *v[NBLOCKS];
    pthread_t t;
    /* allocated in a thread that exits, freed by main */
    CHECK(pthread_create(&t, NULL, alloc_blocks, v) == 0 && pthread_join(t, NULL) == 0);
    CHECK(blocks_intact(v));
    free_blocks(v);
    /* allocated by main, freed by a thread that never allocates */
    alloc_blocks(v);
    CHECK(pthread_create(&t, NULL, free_blocks, v) == 0 && pthread_join(t, NULL) == 0);
    /* the memory those threads touched is usable again */
    alloc_blocks(v);
    CHECK(blocks_intact(v));
    free_blocks(v);
}

static size_t rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Many threads each allocate 4 MiB and exit; main frees it all.  If the
 * memory of exited threads were never reused, RSS would grow by 4 MiB per
 * round; it must stay roughly flat. */
static void *alloc_4mib(void *arg)
{
    void **v = arg;
    for (int i = 0; i < 1024; i++) {
        v[i] = malloc(4000);
        memset(v[i], 1, 4000);
    }
    return NULL;
}

static void test_exited_thread_memory_reclaimed(void)
{
    static void *v[1024];
    size_t before = 0;
    bool ok = true;
    for (int round = 0; round < 40; round++) {
        pthread_t t;
        ok = ok && pthread_create(&t, NULL, alloc_4mib, v) == 0 && pthread_join(t, NULL) == 0;
        for (int i = 0; i < 1024; i++)
            free(v[i]);
        if (round == 9)
            before = rss_bytes();
    }
    size_t after = rss_bytes();
    CHECK(ok);
    /* 30 rounds x 4 MiB = 120 MiB went through; allow 24 MiB of growth */
    CHECK(after < before + (24u << 20));
    if (after >= before + (24u << 20))
        fprintf(stderr, "  RSS grew from %zu to %zu bytes\n", before, after);
}

/* ------------------------------------------------------- TLS destructors */

static pthread_key_t key;
static void *from_destructor[3];
static int destructor_rounds;

static void key_destructor(void *value)
{
    free(value);
    int round = destructor_rounds++;
    void *p = malloc(300);
    if (round < 2) {
        pthread_setspecific(key, malloc(50)); /* forces another round */
        from_destructor[round] = p;
    } else {
        from_destructor[2] = p;
    }
}

static void *key_thread(void *arg)
{
    (void)arg;
    pthread_setspecific(key, malloc(100));
    return NULL;
}

static void test_key_destructors(void)
{
    pthread_t t;
    CHECK(pthread_key_create(&key, key_destructor) == 0);
    CHECK(pthread_create(&t, NULL, key_thread, NULL) == 0 && pthread_join(t, NULL) == 0);
    CHECK(destructor_rounds == 3);
    for (int i = 0; i < 3; i++) {
        CHECK(ox_served(from_destructor[i]));
        free(from_destructor[i]);
    }
}

/* ------------------------------------------------------------------- fork */

static volatile int stop_churn;

static void *churn(void *arg)
{
    (void)arg;
    while (!stop_churn) {
        void *p = malloc(64);
        char *s = NULL;
        if (asprintf(&s, "%p", p) > 0)
            free(s);
        free(p);
    }
    return NULL;
}

static void fork_child_allocates(void)
{
    alarm(10); /* a hang is a failure, not a stuck suite */
    for (int i = 0; i < 1000; i++)
        free(malloc((size_t)i * 13));
    _exit(0);
}

static void test_fork_while_allocating(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    bool ok = true;
    for (int i = 0; i < 30; i++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            fork_child_allocates();
        int status = 0;
        ok = ok && pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
             WEXITSTATUS(status) == 0;
    }
    stop_churn = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK(ok);
}

/* --------------------------------------------------------------- after main */

static int early_lib_fini_result = -1;

static void report_at_exit(void)
{
    CHECK(early_lib == NULL || early_lib_fini_result == 1);
    fflush(stderr);
    _exit(report("life"));
}

static void allocate_at_exit(void)
{
    void *p = malloc(123), *q = calloc(10, 10000), *r = realloc(NULL, 1 << 20);
    CHECK(ox_served(p) && ox_served(q) && ox_served(r));
    free(p), free(q), free(r);
    if (early_lib) {
        void (*report_to)(int *) = (void (*)(int *))dlsym(early_lib, "early_lib_report_to");
        if (report_to)
            report_to(&early_lib_fini_result);
        dlclose(early_lib); /* its destructor allocates */
    }
}

int main(void)
{
    atexit(report_at_exit); /* registered first, so it runs last */
    atexit(allocate_at_exit);
    CHECK(find_ox_owns() != NULL);
    test_before_main();
    test_glibc_blocks();
    test_threads();
    test_exited_thread_memory_reclaimed();
    test_key_destructors();
    test_fork_while_allocating();
    return 0;
}
