/*
 * fork.c - what a forked child repairs.  The child has one thread (the
 * one that called fork); whatever another thread held or was doing in
 * oxalloc at that instant is held for ever in the child.  oxalloc takes
 * no lock that a prepare handler would have to take (such a handler can
 * deadlock against glibc's stdio locks, as jemalloc and gperftools did
 * under fflush(NULL) + getline + fork), so there is only a
 * child handler, which
 *   - restarts a one-time initialisation or key creation cut short,
 *   - frees the spin locks of first-class heaps' huge lists,
 *   - abandons the heaps of the threads that do not exist in the child
 *     and gives back what they hold (heap.c),
 *   - forgets the background purger, which is not in the child.
 *   - forgets the thread id the heap profiler keeps per thread.
 *
 * The handler is registered by init.c (which every program using oxalloc
 * links, unlike this file on its own), once: from its constructor, or at
 * the end of the process's first initialisation if that comes first (code
 * that runs before the constructor may allocate, start threads and fork).
 */
#include "internal.h"

void _ox_fork_child(void) {
  _ox_process_after_fork_child();
  _ox_heaps_after_fork_child();
  _ox_background_after_fork_child();
  _ox_prof_after_fork_child();
}
