//! alloc_zeroed on OxAlloc: zero memory whether the block is fresh or reused,
//! for every alignment, and `vec![0; n]` (which goes through alloc_zeroed).
mod common;

use common::{assert_ours, is_aligned, layout};
use oxalloc::OxAlloc;
use std::alloc::GlobalAlloc;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

/// Allocates, dirties and frees `rounds` blocks of the layout, then checks
/// that alloc_zeroed blocks of the same layout read as zero.
fn zeroed_after_dirty(size: usize, align: usize, rounds: usize) {
    let l = layout(size, align);
    for _ in 0..rounds {
        let dirty: Vec<*mut u8> = (0..8).map(|_| unsafe { OxAlloc.alloc(l) }).collect();
        for &p in &dirty {
            assert!(!p.is_null());
            unsafe {
                std::ptr::write_bytes(p, 0xEE, size);
                OxAlloc.dealloc(p, l);
            }
        }
        let zeroed: Vec<*mut u8> = (0..8).map(|_| unsafe { OxAlloc.alloc_zeroed(l) }).collect();
        for &p in &zeroed {
            assert!(!p.is_null() && is_aligned(p, align));
            assert_ours(p);
            let bytes = unsafe { std::slice::from_raw_parts(p, size) };
            assert!(bytes.iter().all(|&b| b == 0), "alloc_zeroed({size}, {align}) not zero");
        }
        zeroed.into_iter().for_each(|p| unsafe { OxAlloc.dealloc(p, l) });
    }
}

#[test]
fn small_sizes() {
    for size in [1, 7, 8, 16, 24, 100, 255, 512, 1000, 4000] {
        zeroed_after_dirty(size, 8, 3);
    }
}

#[test]
fn over_aligned() {
    for align in [32, 64, 256, 4096, 65536] {
        zeroed_after_dirty(100, align, 2);
        zeroed_after_dirty(align * 3, align, 2);
    }
}

#[test]
fn large_sizes() {
    for size in [64 << 10, 300 << 10, 4 << 20, 33 << 20] {
        zeroed_after_dirty(size, 16, 2);
    }
}

#[test]
fn vec_macro_zeroes() {
    for n in [10usize, 5000, 1 << 20] {
        let mut dirty = vec![0xFFu8; n];
        dirty[n / 2] = 1;
        drop(dirty);
        let v = vec![0u64; n];
        assert_ours(v.as_ptr());
        assert!(v.iter().all(|&x| x == 0));
    }
}
