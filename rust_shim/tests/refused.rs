//! Layouts and sizes that the C side refuses come back as null pointers
//! (so that Rust's handle_alloc_error reports them), never as a panic, an
//! abort or a pointer; a refused realloc leaves the old block intact.
mod common;

use common::{check, fill, layout};
use oxalloc::OxAlloc;
use std::alloc::GlobalAlloc;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

#[test]
fn impossible_alignment_is_null() {
    // x86-64 user space ends below 2^47: no block can be aligned to it.
    for shift in [47, 52, 62] {
        let l = layout(8, 1 << shift);
        assert!(unsafe { OxAlloc.alloc(l) }.is_null(), "alloc(8, 2^{shift})");
        assert!(unsafe { OxAlloc.alloc_zeroed(l) }.is_null(), "alloc_zeroed(8, 2^{shift})");
    }
}

#[test]
fn impossible_size_is_null() {
    let max = isize::MAX as usize;
    for (size, align) in [(max, 1), (max - 15, 16), (max - 4095, 4096), (max / 2 + 1, 8), (1 << 50, 8)] {
        let l = layout(size, align);
        assert!(unsafe { OxAlloc.alloc(l) }.is_null(), "alloc({size}, {align})");
        assert!(unsafe { OxAlloc.alloc_zeroed(l) }.is_null(), "alloc_zeroed({size}, {align})");
    }
}

#[test]
fn refused_realloc_keeps_the_block() {
    for align in [8, 64, 4096] {
        let l = layout(1000, align);
        let p = unsafe { OxAlloc.alloc(l) };
        assert!(!p.is_null());
        unsafe { fill(p, 1000, 9) };
        let big = isize::MAX as usize - align + 1;
        assert!(unsafe { OxAlloc.realloc(p, l, big) }.is_null());
        assert!(unsafe { OxAlloc.realloc(p, l, 1 << 50) }.is_null());
        assert!(unsafe { check(p, 1000, 9) });
        let q = unsafe { OxAlloc.realloc(p, l, 2000) };
        assert!(!q.is_null() && unsafe { check(q, 1000, 9) });
        unsafe { OxAlloc.dealloc(q, layout(2000, align)) };
    }
}

#[test]
fn collections_report_failure_instead_of_aborting() {
    let mut v: Vec<u8> = Vec::new();
    assert!(v.try_reserve(1 << 50).is_err());
    assert!(v.try_reserve_exact(isize::MAX as usize).is_err());
    v.try_reserve(100).unwrap();
    v.extend_from_slice(b"still works");
    assert!(v.try_reserve(1 << 50).is_err());
    assert_eq!(v, b"still works");
    let mut s = String::from("x");
    assert!(s.try_reserve(isize::MAX as usize - 100).is_err());
    assert_eq!(s, "x");
}
