//! realloc through OxAlloc: growth and shrink paths (small steps, size-class
//! jumps, large blocks, over-aligned blocks) keep the content and the
//! alignment.
mod common;

use common::{assert_ours, check_range, fill, fill_range, is_aligned, layout};
use oxalloc::OxAlloc;
use std::alloc::GlobalAlloc;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

/// Walks one block through `sizes` with GlobalAlloc::realloc, checking the
/// alignment at every step, and the kept bytes: all of them when the block
/// moved, its last 64 when it stayed (which keeps long walks linear).
fn walk(align: usize, sizes: &[usize]) {
    let mut size = sizes[0];
    let mut p = unsafe { OxAlloc.alloc(layout(size, align)) };
    assert!(!p.is_null());
    unsafe { fill(p, size, 1) };
    for &new_size in &sizes[1..] {
        let old = p;
        p = unsafe { OxAlloc.realloc(p, layout(size, align), new_size) };
        assert!(!p.is_null(), "realloc {size} -> {new_size} (align {align})");
        assert!(is_aligned(p, align), "realloc {size} -> {new_size} lost align {align}: {p:p}");
        assert_ours(p);
        let keep = size.min(new_size);
        let from = if p == old { keep.saturating_sub(64) } else { 0 };
        assert!(
            unsafe { check_range(p, from, keep, 1) },
            "realloc {size} -> {new_size} (align {align}) lost bytes"
        );
        if new_size > size {
            unsafe { fill_range(p, size, new_size, 1) };
        }
        size = new_size;
    }
    unsafe { OxAlloc.dealloc(p, layout(size, align)) };
}

const STEPS: &[usize] = &[1, 2, 3, 8, 9, 16, 17, 100, 1000, 4096, 5000, 70_000, 300_000, 3 << 20, 9 << 20, 9 << 20, 5 << 20, 100_000, 512, 24, 1];

#[test]
fn growth_and_shrink_plain() {
    walk(1, STEPS);
    walk(8, STEPS);
    walk(16, STEPS);
}

#[test]
fn growth_and_shrink_over_aligned() {
    for align in [32, 64, 128, 4096, 1 << 16, 2 << 20] {
        walk(align, STEPS);
    }
}

#[test]
fn growth_by_one_byte() {
    let sizes: Vec<usize> = (1..5000).collect();
    walk(8, &sizes);
    walk(64, &sizes);
    let down: Vec<usize> = (1..5000).rev().collect();
    walk(8, &down);
}

#[test]
fn vec_push_growth_keeps_contents() {
    let mut v: Vec<u32> = Vec::new();
    for i in 0..4_000_000u32 {
        v.push(i);
    }
    assert_ours(v.as_ptr());
    assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32));
    v.truncate(10);
    v.shrink_to_fit();
    assert_ours(v.as_ptr());
    assert_eq!(v, (0..10).collect::<Vec<u32>>());
}

#[test]
fn string_growth_and_shrink() {
    let mut s = String::with_capacity(1);
    for i in 0..200_000 {
        s.push(char::from(b'a' + (i % 26) as u8));
    }
    s.truncate(30);
    s.shrink_to_fit();
    assert_eq!(s, "abcdefghijklmnopqrstuvwxyzabcd");
    assert_ours(s.as_ptr());
}
