/*
 * size_class.h - size -> class -> block size: computed, with a constant
 * table for sizes up to 1 KiB (nothing to initialise).
 *
 *   class 0..8    block 16 * max(c, 1)        (16-byte steps up to 128)
 *   class 9..104  128 << k, +1/8 of it per step (8 classes per doubling)
 */
#ifndef OX_SIZE_CLASS_H
#define OX_SIZE_CLASS_H

#include "types.h"

/* Classes of sizes up to 1 KiB by 16-byte granule: (size + 15) / 16 ->
 * class; the common sizes skip the bit arithmetic below. */
#define OX_CLASS_TABLE_MAX 1024
static const uint8_t _ox_class_of_granule[OX_CLASS_TABLE_MAX / 16 + 1] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 17, 18, 18, 19,
    19, 20, 20, 21, 21, 22, 22, 23, 23, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 27, 27, 27,
    27, 28, 28, 28, 28, 29, 29, 29, 29, 30, 30, 30, 30, 31, 31, 31, 31, 32, 32, 32, 32};

OX_INLINE unsigned _ox_size_class(size_t size) {
  if (OX_LIKELY(size <= 128)) return (unsigned)((size + 15) >> 4); /* the granule itself */
  if (OX_LIKELY(size <= OX_CLASS_TABLE_MAX)) return _ox_class_of_granule[(size + 15) >> 4];
  size_t s = size - 1;
  unsigned bit = 63u - (unsigned)__builtin_clzl(s); /* >= 10 */
  unsigned step = (unsigned)(s >> (bit - 3)) & 7u;
  return 9u + (bit - 7u) * 8u + step;
}

OX_INLINE size_t _ox_class_size(unsigned cls) {
  if (cls <= 8) return cls == 0 ? 16 : (size_t)cls << 4;
  unsigned k = (cls - 9) / 8, j = (cls - 9) % 8;
  return ((size_t)128 << k) + (size_t)(j + 1) * ((size_t)16 << k);
}

OX_INLINE enum ox_kind _ox_class_kind(unsigned cls) {
  size_t bsize = _ox_class_size(cls);
  if (bsize <= OX_SMALL_MAX) return OX_KIND_SMALL;
  if (bsize <= OX_MEDIUM_MAX) return OX_KIND_MEDIUM;
  return OX_KIND_LARGE;
}

#endif /* OX_SIZE_CLASS_H */
