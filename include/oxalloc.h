/*
 * oxalloc.h - the extended oxalloc API.
 *
 * The malloc family under `ox_` names (usable beside the system malloc in
 * any program), plus queries that only an allocator can answer.  These
 * functions are always oxalloc, whatever the program's `malloc` is.
 *
 * Failure follows the C library: NULL with errno set to ENOMEM (or EINVAL
 * for an invalid alignment), and no existing block is changed.
 */
#ifndef OXALLOC_H
#define OXALLOC_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OXALLOC_VERSION_MAJOR 0
#define OXALLOC_VERSION_MINOR 1
#define OXALLOC_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH". */
const char *ox_version(void);

/* Allocate `size` bytes aligned to 16 (alignof(max_align_t)).  size 0
 * returns a unique freeable pointer.  NULL/ENOMEM when it cannot be
 * served, including every size above PTRDIFF_MAX. */
void *ox_malloc(size_t size);

/* Allocate `count * size` zeroed bytes.  NULL/ENOMEM when the product
 * overflows, in either argument order. */
void *ox_calloc(size_t count, size_t size);

/* Resize `ptr` to `size` bytes, keeping min(old, new) bytes and the
 * 16-byte alignment.  realloc(NULL, n) is malloc(n); realloc(p, 0) frees p
 * and returns NULL (glibc's behaviour).  On failure returns NULL, sets
 * errno to ENOMEM and leaves `ptr` valid and unchanged.  A size that still
 * fits the block's usable size never moves it. */
void *ox_realloc(void *ptr, size_t size);

/* Release a block from any ox_ or rust_ allocation function.  NULL does
 * nothing; errno is preserved.  A pointer oxalloc does not manage is
 * ignored (with a warning when OXALLOC_VERBOSE=1); the checked build
 * aborts naming it instead. */
void ox_free(void *ptr);

/* ox_free for a caller that knows the requested size (C23 free_sized).
 * `size` must be the size given at allocation; the checked build
 * verifies it. */
void ox_free_sized(void *ptr, size_t size);

/* ox_free for a block from ox_aligned_alloc (C23 free_aligned_sized). */
void ox_free_aligned_sized(void *ptr, size_t alignment, size_t size);

/* Allocate `size` bytes aligned to `alignment`, which must be a power of
 * two (else NULL/EINVAL).  `size` need not be a multiple of it.  Any
 * alignment up to 2^26 and beyond is served; the padding costs address
 * space, not resident memory. */
void *ox_aligned_alloc(size_t alignment, size_t size);

/* The number of bytes usable in the block `ptr` (>= the size requested;
 * every one of them may be written).  0 for NULL and for pointers that
 * oxalloc does not manage. */
size_t ox_usable_size(const void *ptr);

/* True when `ptr` points into memory that oxalloc manages (a block it
 * handed out, or its own metadata); false for stack, static, and other
 * allocators' memory.  Never faults, whatever the pointer. */
bool ox_owns(const void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* OXALLOC_H */
