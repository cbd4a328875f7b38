/*
 * background_idle - the idle program: 4 threads build 4.8 M
 * strings, free them all and sit idle (alive, no allocator call).  With
 * OXALLOC_BACKGROUND=1 RSS must fall to <= 10 MiB within twice the purge
 * delay; without it, this program only reports what stays (argument
 * "off": nothing is checked but the absence of the thread).
 *   background_idle on|off
 */
#include "lc.h"

#define THREADS 4
#define STRINGS (4800000 / THREADS)
static pthread_barrier_t built, freed, finish;

static void *worker(void *arg)
{
    (void)arg;
    char **s = ox_malloc(STRINGS * sizeof(char *));
    for (size_t i = 0; i < STRINGS; i++) {
        size_t n = 8 + i % 40;
        s[i] = ox_malloc(n);
        memset(s[i], 'a', n - 1);
        s[i][n - 1] = 0;
    }
    pthread_barrier_wait(&built);
    for (size_t i = 0; i < STRINGS; i++)
        ox_free(s[i]);
    ox_free(s);
    pthread_barrier_wait(&freed);
    pthread_barrier_wait(&finish); /* idle, alive */
    return NULL;
}

int main(int argc, char **argv)
{
    watchdog(60);
    bool on = argc > 1 && !strcmp(argv[1], "on");
    const char *env = getenv("OXALLOC_BACKGROUND");
    CHECKF(env && atoi(env) == on, "run with OXALLOC_BACKGROUND=%d", on);
    pthread_barrier_init(&built, NULL, THREADS + 1);
    pthread_barrier_init(&freed, NULL, THREADS + 1);
    pthread_barrier_init(&finish, NULL, THREADS + 1);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    pthread_barrier_wait(&built);
    size_t peak = rss_bytes();
    pthread_barrier_wait(&freed);
    long delay = ox_option_get("purge_delay");
    long threads = lc_threads();
    size_t rss = rss_bytes();
    long waited = 0;
    printf("background %s: peak %zu MiB, after the frees %zu MiB", on ? "on" : "off",
           peak >> 20, rss >> 20);
    while (waited < 2 * delay) {
        usleep(50 * 1000);
        waited += 50;
        rss = rss_bytes();
        if (on && rss <= 10 * MiB)
            break;
    }
    printf(", after %ld ms idle %zu MiB (threads: %ld)\n", waited, rss >> 20, threads);
    CHECKF(threads == THREADS + 1 + on, "%ld threads: the purger is %s", threads,
           on ? "missing" : "running although off");
    if (on)
        CHECKF(rss <= 10 * MiB, "%zu MiB after %ld ms idle", rss >> 20, waited);
    /* A forked child has no purger until it allocates. */
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        long before = lc_threads();
        static void *keep[20000];
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 20000; i++)
                keep[i] = ox_malloc(1000 + (size_t)i % 5000);
            for (int i = 0; i < 20000; i++)
                ox_free(keep[i]);
            usleep((useconds_t)delay * 1000 + 100000);
        }
        long after = lc_threads();
        _exit(before == 1 && after == 1 + on ? 0 : 10 + (int)after);
    }
    int rc = lc_wait(pid);
    CHECKF(rc == 0, "child: status %d (threads before its allocations must be 1, "
           "after them 1 + purger)", rc);
    pthread_barrier_wait(&finish);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    return lc_finish(on ? "background_idle_on" : "background_idle_off");
}
