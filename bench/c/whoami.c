/*
 * whoami.c - which allocator served a real program (bench/real/real.sh).
 *
 * Preloaded after the allocator under test (LD_PRELOAD="ALLOC.so
 * whoami.so", or alone for glibc).  Its destructor runs in every process
 * of the program as it exits, finds which allocator's symbols are loaded
 * (the same test as oxbench's, bench/c/main.c) and appends one line with
 * the name to the file named by $OXBENCH_WHOAMI.  real.sh requires every
 * process to name the allocator intended.  One write(2), no stdio.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((destructor)) static void whoami(void)
{
    const char *path = getenv("OXBENCH_WHOAMI");
    if (path == NULL)
        return;
    const char *name = dlsym(RTLD_DEFAULT, "ox_version")  ? "oxalloc\n"
                       : dlsym(RTLD_DEFAULT, "mallocx")   ? "jemalloc\n"
                       : dlsym(RTLD_DEFAULT, "mi_version") ? "mimalloc\n"
                       : dlsym(RTLD_DEFAULT, "tc_version") ? "tcmalloc\n"
                                                           : "glibc\n";
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t ignored = write(fd, name, strlen(name));
        (void)ignored;
        close(fd);
    }
}
