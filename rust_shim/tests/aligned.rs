//! Large and over-aligned types and layouts on OxAlloc: alignment from 1 to
//! 2^26 (and 2 MiB in particular), page-aligned types, big blocks.
mod common;

use common::{assert_ours, is_aligned, layout};
use oxalloc::OxAlloc;
use std::alloc::GlobalAlloc;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

#[repr(align(4096))]
struct Page([u8; 4096]);

#[repr(align(64))]
#[derive(Clone, Copy)]
struct CacheLine(u8);

#[test]
fn page_aligned_type() {
    let pages: Vec<Box<Page>> = (0..64).map(|i| Box::new(Page([i as u8; 4096]))).collect();
    for (i, p) in pages.iter().enumerate() {
        assert!(is_aligned(&**p as *const Page as *const u8, 4096));
        assert_ours(&**p);
        assert!(p.0.iter().all(|&b| b == i as u8));
    }
    let v: Vec<Page> = (0..10).map(|_| Page([1; 4096])).collect();
    assert!(is_aligned(v.as_ptr() as *const u8, 4096));
}

#[test]
fn small_over_aligned_type_in_a_growing_vec() {
    let mut v = Vec::new();
    for i in 0..10_000 {
        v.push(CacheLine(i as u8));
        assert!(is_aligned(v.as_ptr() as *const u8, 64));
    }
    assert!(v.iter().enumerate().all(|(i, c)| c.0 == i as u8));
}

#[test]
fn every_power_of_two_alignment_up_to_2_pow_26() {
    for shift in 0..=26 {
        let align = 1usize << shift;
        for size in [1, 8, align, align + 1, 3 * align / 2 + 5] {
            let l = layout(size, align);
            let p = unsafe { OxAlloc.alloc(l) };
            assert!(!p.is_null(), "alloc({size}, {align})");
            assert!(is_aligned(p, align), "alloc({size}, {align}) = {p:p}");
            assert_ours(p);
            unsafe {
                p.write(0xA5);
                p.add(size - 1).write(0x5A);
                OxAlloc.dealloc(p, l);
            }
        }
    }
}

#[test]
fn two_mib_alignment() {
    let l = layout(5 << 20, 2 << 20);
    let blocks: Vec<*mut u8> = (0..8).map(|_| unsafe { OxAlloc.alloc(l) }).collect();
    for (i, &p) in blocks.iter().enumerate() {
        assert!(!p.is_null() && is_aligned(p, 2 << 20));
        assert_ours(p);
        unsafe { std::ptr::write_bytes(p, i as u8, 5 << 20) };
    }
    for (i, &p) in blocks.iter().enumerate() {
        unsafe {
            assert_eq!(*p.add((5 << 20) - 1), i as u8);
            OxAlloc.dealloc(p, l);
        }
    }
}

#[test]
fn large_blocks() {
    for mib in [1usize, 3, 17, 64, 200] {
        let mut v = vec![0u8; mib << 20];
        assert_ours(v.as_ptr());
        v[(mib << 20) - 1] = 1;
        v[0] = 1;
        assert_eq!(v.iter().map(|&b| b as usize).sum::<usize>(), 2);
    }
}
