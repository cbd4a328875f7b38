//! Helpers shared by the integration tests (each test file is its own
//! binary with OxAlloc as its global allocator).
#![allow(dead_code)]

use std::alloc::Layout;

/// Whether blocks from OxAlloc are oxalloc's in this build: in every row
/// except `system`, where the polyfill hands out the C library's blocks.
pub const OURS: bool = !cfg!(oxalloc_row = "system");

/// Whether the C library's `malloc` is oxalloc in this build.
pub const MALLOC_IS_OURS: bool = cfg!(oxalloc_row = "override");

/// Asserts that `p` was served by the allocator this row promises.
#[track_caller]
pub fn assert_ours<T: ?Sized>(p: *const T) {
    assert_eq!(oxalloc::owns(p), OURS, "owns({:p})", p as *const u8);
}

/// Whether `p` is aligned to `align` (a power of two).  A mask, not
/// `is_multiple_of`, which needs Rust 1.87 (the crate supports 1.81).
pub fn is_aligned(p: *const u8, align: usize) -> bool {
    debug_assert!(align.is_power_of_two());
    (p as usize) & (align - 1) == 0
}

fn pattern(i: usize, seed: u8) -> u8 {
    ((i ^ (i >> 8)) as u8).wrapping_mul(31).wrapping_add(seed)
}

/// Fills bytes `from..to` at `p` with a pattern that `check_range` knows.
pub unsafe fn fill_range(p: *mut u8, from: usize, to: usize, seed: u8) {
    for i in from..to {
        *p.add(i) = pattern(i, seed);
    }
}

/// Whether bytes `from..to` at `p` hold the pattern of `fill_range`.
pub unsafe fn check_range(p: *const u8, from: usize, to: usize, seed: u8) -> bool {
    (from..to).all(|i| *p.add(i) == pattern(i, seed))
}

/// Fills the first `n` bytes at `p` (see `fill_range`).
pub unsafe fn fill(p: *mut u8, n: usize, seed: u8) {
    fill_range(p, 0, n, seed)
}

/// Whether the first `n` bytes at `p` hold the pattern of `fill`.
pub unsafe fn check(p: *const u8, n: usize, seed: u8) -> bool {
    check_range(p, 0, n, seed)
}

pub fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}
