/* malloc-size.h - oxalloc's stand-in: the alignment every malloc result
 * has, which for a malloc replacement is _Alignof(max_align_t) (the C
 * standard's rule for malloc; docs/c-contract.md), the value glibc's own
 * header gives on x86-64 and aarch64. */
#ifndef OX_GLIBC_MALLOC_SIZE_H
#define OX_GLIBC_MALLOC_SIZE_H

#include <stddef.h>

#define MALLOC_ALIGNMENT _Alignof(max_align_t)
#define MALLOC_ALIGN_MASK (MALLOC_ALIGNMENT - 1)

#endif
