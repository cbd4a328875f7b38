/*
 * marker.c - proof that oxalloc served a real program's allocations.
 *
 * Preloaded after liboxalloc.so (LD_PRELOAD="liboxalloc.so marker.so").
 * Its destructor runs in every process of the program as it exits: it
 * allocates with the program's malloc, asks ox_owns (found with dlsym, so
 * it is absent when oxalloc is not loaded) whether oxalloc owns the
 * block, and appends "served <pid>" or "NOT-served <pid>" to the file
 * named by $OX_REAL_MARKER.  No stdio: one write(2) of one line.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((destructor)) static void mark(void)
{
    const char *path = getenv("OX_REAL_MARKER");
    if (!path)
        return;
    bool (*owns)(const void *) = (bool (*)(const void *))dlsym(RTLD_DEFAULT, "ox_owns");
    void *small = malloc(40), *large = malloc(1 << 20);
    bool served = owns && owns(small) && owns(large);
    free(small);
    free(large);
    char line[64];
    int n = snprintf(line, sizeof line, "%s %ld\n", served ? "served" : "NOT-served", (long)getpid());
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t ignored = write(fd, line, (size_t)n);
        (void)ignored;
        close(fd);
    }
}
