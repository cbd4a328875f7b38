/*
 * qemu_fork_probe.c - whether the emulator itself survives what
 * tests/stress/forkloop does, with the C library's malloc only: a child
 * forked while two threads run creates a thread of its own.  qemu-user
 * 7.2 aborts in such a child (accel/tcg/cpu-exec.c: "cpu == current_cpu"),
 * so tests/aarch64/run.sh runs forkloop only where this probe passes.
 * Exit status 0 when all five children were fine.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;

static void *spin(void *arg)
{
    (void)arg;
    while (!stop)
        free(malloc(100));
    return NULL;
}

static void *nothing(void *arg) { return arg; }

int main(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, spin, NULL);
    int bad = 0;
    for (int i = 0; i < 5; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            pthread_t c;
            if (pthread_create(&c, NULL, nothing, NULL) != 0)
                _exit(3);
            pthread_join(c, NULL);
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("fork probe: %d of 5 children failed\n", bad);
    return bad != 0;
}
