#!/usr/bin/env python3
"""make_corpus.py - writes the seed corpus of fuzz_ops.c (tests/fuzz).

Each seed is a short program in the harness's input format (see the top of
fuzz_ops.c): an op byte followed by fixed fields.  The encoders below must
follow read_size/read_align/run_op there.  Usage:
    python3 tests/fuzz/make_corpus.py [outdir]   (default tests/fuzz/corpus)
"""
import os
import random
import sys

OP = dict(rust_alloc=0, rust_zeroed=1, rust_realloc=2, malloc=3, calloc=4,
          realloc=5, aligned=6, free=7, check=9, helper=10, impossible=11,
          realloc_fail=12, foreign=13, option=16, helper_exit=17,
          heap_alloc=18, heap_drop=19)
# read_size: class index -> largest size of that class
SIZE_CLASSES = [(0, 16), (4, 128), (7, 1024), (9, 8192), (11, 65536),
                (12, 262144), (13, 1 << 20), (14, 4 << 20)]
BAD_ALIGNS = 8  # read_align: bytes 248..255 are invalid alignments


def size(n):
    for cls, limit in SIZE_CLASSES:
        if n <= limit:
            return bytes([cls, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff])
    raise ValueError(n)


def boundary(k, d):
    """The size 2^k + d, d in (-1, 0, 1), k < 23."""
    return bytes([15, k + 23 * (d + 1)])


def align(a):
    e = a.bit_length() - 1
    assert a == 1 << e and e <= 22
    return bytes([e if e <= 12 else 200 + e - 13])


def bad_align(i):
    return bytes([248 + i % BAD_ALIGNS])


def op(name, *fields):
    return bytes([OP[name]]) + b"".join(
        f if isinstance(f, bytes) else bytes([f]) for f in fields)


def seed_small():
    out = b""
    for i, n in enumerate([0, 1, 7, 8, 15, 16, 17, 24, 33, 48, 64, 100, 128]):
        out += op("malloc", i, 0, size(n))
    for i in range(13):
        out += op("check", i) + op("free", i, i)
    return out


def seed_rust_layouts():
    out = b""
    for e in range(13):
        out += op("rust_alloc", e, 0, size(3 * e + 1), align(1 << e))
    for e in range(13):
        out += op("free", e, 1 + e % 2)  # rust_dealloc with its layout
    return out


def seed_zeroed_reuse():
    out = b""
    for n in [24, 200, 5000, 70000]:
        out += op("malloc", 1, 0, size(n)) + op("free", 1, 0)
        out += op("rust_zeroed", 2, 0, size(n), align(16)) + op("free", 2, 1)
        out += op("calloc", 3, 0, size(n), 4) + op("free", 3, 2)
    return out


def seed_realloc_growth():
    out = op("realloc", 5, 0, size(1))
    n = 1
    while n < (2 << 20):
        n = n * 3 + 5
        out += op("realloc", 5, 0, size(min(n, 4 << 20)))
    for n in [100000, 3000, 40, 1]:
        out += op("realloc", 5, 0, size(n))
    return out + op("realloc", 5, 0, size(0))


def seed_rust_realloc_aligned():
    out = b""
    for slot, a in enumerate([64, 4096, 1 << 16]):
        out += op("rust_alloc", slot, 0, size(10), align(a))
        for n in [100, 5000, 300000, 20, 0, 77]:
            out += op("rust_realloc", slot, 0, size(n), align(a))
    return out


def seed_big_aligned():
    out = b""
    for e in range(13, 23):
        out += op("aligned", e, 0, size(e * 100), align(1 << e))
        out += op("rust_alloc", 30 + e % 10, 0, size(1 << (e - 3)), align(1 << e))
    for e in range(13, 23):
        out += op("free", e, 2)  # ox_free_aligned_sized
    return out


def seed_large():
    out = b""
    for i, n in enumerate([262144, 1 << 20, 3 << 20, 4 << 20, 600000]):
        out += op("malloc", i, 0, size(n))
        out += op("realloc", i, 0, size(n // 2 + 1))
    return out + op("free", 0, 0) + op("free", 2, 3)


def seed_remote():
    out = b""
    for i in range(10):
        out += op("helper", i, 0, size(16 * i + 1))
    for i in range(10):
        out += op("free", i, 0)
    for i in range(10):
        out += op("malloc", i, 0, size(100 * i)) + op("free", i, 3)
    return out


def seed_bad_input():
    out = op("malloc", 0, 0, size(50)) + op("rust_alloc", 1, 0, size(50), align(64))
    for c in range(8):
        out += op("impossible", c, 3 * c)
    for i in range(BAD_ALIGNS):
        out += op("aligned", 2, 0, size(10), bad_align(i))
        out += op("rust_alloc", 3, 0, size(10), bad_align(i))
    return out + op("realloc_fail", 0, 1) + op("realloc_fail", 1, 0)


def seed_boundaries():
    out = b""
    for k in range(23):
        for d in (-1, 0, 1):
            out += op("malloc", (k * 3 + d + 1) % 40, 0, boundary(k, d))
    return out


def seed_queries():
    out = b""
    for i, n in enumerate([0, 1, 4096, 65536]):
        out += op("rust_zeroed", i, 0, size(n), align(8)) + op("check", i)
        out += op("foreign", i)
    return out


def seed_heaps():
    out = b""
    for i in range(6):
        out += op("heap_alloc", i, 0, size(50 * i + 1), align(64), i)
    out += op("free", 1, 1) + op("free", 2, 3)  # ox_heap_free, remote ox_free
    out += op("heap_drop", 1)                   # reset with blocks live
    for i in range(4):
        out += op("heap_alloc", i, 0, size(3000 * i), align(4096), 1)
    return out + op("heap_drop", 0)             # destroy with blocks live


def seed_helper_exit():
    out = b""
    for i in range(8):
        out += op("helper", i, 0, size(24 * i + 8))
    out += op("helper_exit")
    for i in range(4):
        out += op("free", i, 0)                 # frees into an abandoned heap
    out += op("helper", 10, 0, size(40))        # a new thread adopts it
    return out + op("helper_exit") + op("free", 5, 3)


def seed_purge():
    out = op("option", 0, 0) + op("option", 1, 0) + op("option", 2, 0)
    for rnd in range(3):
        for i in range(20):
            out += op("malloc", i, 0, size(30000 + 1000 * rnd))
        for i in range(20):
            out += op("free", i, i)
        out += op("rust_alloc", 30, 0, size(3 << 20), align(1 << 16))
        out += op("free", 30, 1)
    out += op("calloc", 31, 0, size(30000), 1)  # zero after a purge
    return out


def seed_random():
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(2048))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(outdir, exist_ok=True)
    seeds = [(name[5:], fn) for name, fn in sorted(globals().items())
             if name.startswith("seed_")]
    for name, fn in seeds:
        with open(os.path.join(outdir, "seed-" + name), "wb") as f:
            f.write(fn())
    print(f"{len(seeds)} seeds written to {outdir}")


if __name__ == "__main__":
    main()
