//! `core::alloc::Allocator` for OxAlloc (feature `nightly`, cargo +nightly):
//! collections in OxAlloc, grow/shrink/grow_zeroed, zero-size layouts and
//! changes of alignment.
#![cfg(feature = "nightly")]
#![feature(allocator_api)]
mod common;

use common::{assert_ours, check, fill, is_aligned, layout};
use oxalloc::OxAlloc;
use std::alloc::{Allocator, Layout};
use std::ptr::NonNull;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

#[test]
fn collections_in_oxalloc() {
    let mut v: Vec<u64, OxAlloc> = Vec::new_in(OxAlloc);
    v.extend(0..100_000);
    assert_ours(v.as_ptr());
    assert_eq!(v.iter().sum::<u64>(), 4_999_950_000);
    v.truncate(3);
    v.shrink_to_fit();
    assert_eq!(&v[..], &[0, 1, 2]);
    let b = Box::new_in([9u8; 5000], OxAlloc);
    assert_ours(&*b);
    let mut zst: Vec<(), OxAlloc> = Vec::new_in(OxAlloc);
    zst.extend(std::iter::repeat_n((), 10));
    assert_eq!(zst.len(), 10);
}

#[test]
fn zero_size_layouts_are_dangling_and_aligned() {
    for align in [1, 8, 4096] {
        let l = layout(0, align);
        let p = OxAlloc.allocate(l).unwrap();
        assert_eq!(p.len(), 0);
        assert!(is_aligned(p.as_ptr() as *const u8, align));
        let z = OxAlloc.allocate_zeroed(l).unwrap();
        unsafe {
            // Growing from zero is a fresh allocation; shrinking to zero frees.
            let g = OxAlloc.grow_zeroed(z.cast(), l, layout(100, align)).unwrap();
            assert!(g.as_ref().iter().all(|&b| b == 0));
            assert_ours(g.as_ptr() as *const u8);
            let s = OxAlloc.shrink(g.cast(), layout(100, align), l).unwrap();
            assert_eq!(s.len(), 0);
            OxAlloc.deallocate(s.cast(), l);
            OxAlloc.deallocate(p.cast(), l);
        }
    }
}

#[test]
fn grow_zeroed_zeroes_the_tail() {
    for align in [8, 64, 4096] {
        let mut size = 10;
        let mut p: NonNull<[u8]> = OxAlloc.allocate(layout(size, align)).unwrap();
        unsafe { fill(p.as_ptr() as *mut u8, size, 3) };
        for new_size in [11, 100, 5000, 70_000, 3 << 20] {
            unsafe {
                // Dirty the memory the tail might be reused from.
                let d = OxAlloc.allocate(layout(new_size, align)).unwrap();
                std::ptr::write_bytes(d.as_ptr() as *mut u8, 0xCC, new_size);
                OxAlloc.deallocate(d.cast(), layout(new_size, align));
                p = OxAlloc.grow_zeroed(p.cast(), layout(size, align), layout(new_size, align)).unwrap();
                let bytes = p.as_ref();
                assert!(is_aligned(bytes.as_ptr(), align));
                assert!(check(bytes.as_ptr(), size, 3), "grow_zeroed lost bytes");
                assert!(bytes[size..].iter().all(|&b| b == 0), "grow_zeroed tail {size}..{new_size} not zero");
                fill(p.as_ptr() as *mut u8, new_size, 3);
            }
            size = new_size;
        }
        unsafe { OxAlloc.deallocate(p.cast(), layout(size, align)) };
    }
}

#[test]
fn grow_and_shrink_keep_bytes() {
    for align in [1, 16, 256, 2 << 20] {
        let mut l = layout(1000, align);
        let mut p = OxAlloc.allocate(l).unwrap();
        unsafe { fill(p.as_ptr() as *mut u8, 1000, 5) };
        for new_size in [4000, 1 << 20, 500, 10] {
            let nl = layout(new_size, align);
            p = unsafe {
                if new_size > l.size() {
                    OxAlloc.grow(p.cast(), l, nl)
                } else {
                    OxAlloc.shrink(p.cast(), l, nl)
                }
            }
            .unwrap();
            assert!(is_aligned(p.as_ptr() as *const u8, align));
            assert!(unsafe { check(p.as_ptr() as *const u8, new_size.min(1000), 5) });
            l = nl;
        }
        unsafe { OxAlloc.deallocate(p.cast(), l) };
    }
}

#[test]
fn alignment_can_change_on_grow_and_shrink() {
    let small = layout(100, 8);
    let p = OxAlloc.allocate(small).unwrap();
    unsafe { fill(p.as_ptr() as *mut u8, 100, 7) };
    let big = layout(300, 4096);
    let g = unsafe { OxAlloc.grow(p.cast(), small, big) }.unwrap();
    assert!(is_aligned(g.as_ptr() as *const u8, 4096));
    assert!(unsafe { check(g.as_ptr() as *const u8, 100, 7) });
    let back = layout(50, 16);
    let s = unsafe { OxAlloc.shrink(g.cast(), big, back) }.unwrap();
    assert!(is_aligned(s.as_ptr() as *const u8, 16));
    assert!(unsafe { check(s.as_ptr() as *const u8, 50, 7) });
    unsafe { OxAlloc.deallocate(s.cast(), back) };
}

#[test]
fn refused_layouts_are_errors() {
    let l = Layout::from_size_align(8, 1 << 62).unwrap();
    assert!(OxAlloc.allocate(l).is_err());
    assert!(OxAlloc.allocate_zeroed(l).is_err());
    let ok = layout(64, 8);
    let p = OxAlloc.allocate(ok).unwrap();
    unsafe { fill(p.as_ptr() as *mut u8, 64, 1) };
    let huge = layout(isize::MAX as usize - 7, 8);
    assert!(unsafe { OxAlloc.grow(p.cast(), ok, huge) }.is_err());
    assert!(unsafe { check(p.as_ptr() as *const u8, 64, 1) });
    unsafe { OxAlloc.deallocate(p.cast(), ok) };
}
