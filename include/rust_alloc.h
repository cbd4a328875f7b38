/*
 * rust_alloc.h - the allocator ABI that Rust's GlobalAlloc calls.
 *
 * Every call carries the size and the alignment of the block, as Rust's
 * `Layout` does.  Two libraries define these four symbols:
 *   liboxalloc.a         oxalloc itself (also liboxalloc-api.so and
 *                        liboxalloc.so);
 *   liboxalloc_system.a  a polyfill over the C library's malloc family.
 * Which one a program uses is decided by its final link
 * (docs/link-matrix.md).
 *
 * Common rules for all four functions:
 *   - `align` must be a power of two; any other value makes the call fail
 *     (NULL) without touching anything.  Alignments up to at least 2^26 are
 *     served; padding for large alignments costs address space only.
 *   - Failure (out of memory, a size that cannot be represented once
 *     rounded to the alignment) returns NULL, sets errno to ENOMEM, and
 *     leaves every existing block untouched.  No call ever aborts or
 *     unwinds on failure.
 *   - size 0 is accepted and returns a unique, non-NULL, freeable pointer.
 */
#ifndef RUST_ALLOC_H
#define RUST_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Allocate `size` bytes aligned to `align`.  The contents are unspecified.
 * Returns NULL on failure or when `align` is not a power of two. */
void *rust_alloc(size_t size, size_t align);

/* As rust_alloc, but the block reads as zero.  Memory fresh from the
 * operating system is known to be zero and is not written again. */
void *rust_alloc_zeroed(size_t size, size_t align);

/* Release a block from rust_alloc, rust_alloc_zeroed or rust_realloc.
 * `size` and `align` must be the layout the block was last allocated or
 * reallocated with; the release build trusts them to find the block's
 * metadata faster, the checked build verifies them and aborts with a
 * message naming the address, the given layout and the real one.
 * Every build stops with "oxalloc: double free of 0x..." when the block
 * is freed already (here, by realloc or through the C API, by any
 * thread) and has not been handed out again since.
 * `ptr` must not be NULL. */
void rust_dealloc(void *ptr, size_t size, size_t align);

/* Resize the block `ptr` (allocated with `old_size`/`align`) to
 * `new_size` bytes with the same alignment.  The first
 * min(old_size, new_size) bytes are kept.  The block grows or shrinks in
 * place when it can; otherwise it moves.  On failure returns NULL and the
 * old block stays valid and unchanged.  After success the block must be
 * released with `new_size` and `align`. */
void *rust_realloc(void *ptr, size_t old_size, size_t align, size_t new_size);

#ifdef __cplusplus
}
#endif

#endif /* RUST_ALLOC_H */
