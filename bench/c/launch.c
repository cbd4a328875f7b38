/*
 * launch.c - run one benchmark process and report what it cost.
 *
 *   launch OUTFILE COMMAND [ARGS...]
 *
 * Forks, execs COMMAND, waits for it with wait4, and writes one line to
 * OUTFILE: "wall_s cpu_s maxrss_kib wait_status".  The driver starts every
 * run through this small program because Linux folds the pre-exec image
 * into ru_maxrss: a process exec'd straight from the Python driver would
 * report at least Python's own peak RSS (~17 MiB).  Forked from here, the
 * floor is this program's ~1 MiB.
 *
 * LAUNCH_LD_PRELOAD, when set, becomes the child's LD_PRELOAD, so that the
 * allocator under test is loaded into the workload only, not in here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timespec t)
{
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUTFILE COMMAND [ARGS...]\n", argv[0]);
        return 64;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("launch: fork");
        return 70;
    }
    if (pid == 0) {
        const char *preload = getenv("LAUNCH_LD_PRELOAD");
        if (preload != NULL && setenv("LD_PRELOAD", preload, 1) != 0)
            _exit(126);
        execv(argv[2], argv + 2);
        perror("launch: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("launch: wait4");
        return 70;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    FILE *out = fopen(argv[1], "w");
    if (out == NULL) {
        perror("launch: output file");
        return 70;
    }
    fprintf(out, "%.6f %.6f %ld %d\n", seconds(t1) - seconds(t0), cpu, ru.ru_maxrss, status);
    fclose(out);
    return 0;
}
