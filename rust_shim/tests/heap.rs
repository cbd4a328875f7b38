//! `oxalloc::Heap` (first-class heaps): blocks of every size and
//! alignment, freeing one by one, and freeing everything at once by
//! `reset` and by dropping the heap, checked with `oxalloc::stats`;
//! `Heap::realloc` (in place where the block allows, moves within the
//! heap); with the `nightly` feature, collections in `&Heap`, growing
//! through `realloc`.  No global allocator
//! here, so in the default row oxalloc's counts are this file's alone
//! (`near` allows the harness's noise in the `override` row).
#![cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]
#![cfg_attr(feature = "nightly", feature(allocator_api, btreemap_alloc))]

use oxalloc::Heap;
use std::alloc::Layout;
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard};

const NOISY: bool = cfg!(oxalloc_row = "override");

/// Tests compare process-wide counters: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[track_caller]
fn near(got: usize, want: usize, what: &str) {
    let slack = if NOISY { 64 } else { 0 };
    assert!(got.abs_diff(want) <= slack, "{what}: got {got}, want {want} (slack {slack})");
}

fn live_blocks() -> usize {
    oxalloc::stats().allocated_blocks
}

fn pattern(i: usize, seed: usize) -> u8 {
    (i.wrapping_mul(31) ^ seed) as u8
}

/// Allocates `layout` from `heap`, checks it, fills it with a pattern.
#[track_caller]
fn take(heap: &Heap, layout: Layout, seed: usize) -> *mut u8 {
    let p = heap.alloc(layout).unwrap_or_else(|| panic!("{layout:?}")).as_ptr();
    assert_eq!(p as usize % layout.align(), 0, "{layout:?}");
    assert!(oxalloc::owns(p));
    assert!(oxalloc::usable_size(p) >= layout.size());
    for i in 0..layout.size() {
        unsafe { p.add(i).write(pattern(i, seed)) };
    }
    p
}

#[track_caller]
fn intact(p: *mut u8, layout: Layout, seed: usize) {
    for i in 0..layout.size() {
        assert_eq!(unsafe { p.add(i).read() }, pattern(i, seed), "byte {i} of {layout:?}");
    }
}

#[test]
fn every_size_and_alignment() {
    let _g = serial();
    let heap = Heap::new().unwrap();
    let mut blocks = Vec::new();
    for (k, size) in [0usize, 1, 7, 16, 100, 1000, 5000, 70_000, 600_000, 3 << 20].into_iter().enumerate() {
        for align in [1usize, 8, 16, 32, 256, 4096, 1 << 16] {
            let layout = Layout::from_size_align(size, align).unwrap();
            blocks.push((take(&heap, layout, k * 100 + align), layout, k * 100 + align));
        }
    }
    for (i, &(p, layout, seed)) in blocks.iter().enumerate() {
        intact(p, layout, seed);
        if i % 2 == 0 {
            unsafe { heap.dealloc(NonNull::new(p).unwrap(), layout) };
        }
    }
    for &(p, layout, seed) in blocks.iter().skip(1).step_by(2) {
        intact(p, layout, seed); // freeing neighbours left these alone
    }
    assert!(heap.alloc(Layout::from_size_align(8, 1 << 62).unwrap()).is_none());
}

#[test]
fn drop_frees_every_block() {
    let _g = serial();
    let before = live_blocks();
    let heap = Heap::new().unwrap();
    let layout = Layout::from_size_align(64, 8).unwrap();
    let big = Layout::from_size_align(8 << 20, 64).unwrap();
    for i in 0..10_000 {
        take(&heap, layout, i);
    }
    take(&heap, big, 1);
    near(live_blocks(), before + 10_001, "live blocks with the heap full");
    let huge_during = oxalloc::stats().huge_blocks;
    drop(heap);
    near(live_blocks(), before, "live blocks after the heap's drop");
    assert!(oxalloc::stats().huge_blocks < huge_during);
}

#[test]
fn reset_frees_every_block_and_the_heap_stays_usable() {
    let _g = serial();
    let before = live_blocks();
    let mut heap = Heap::new().unwrap();
    for round in 0..5 {
        let layouts: Vec<Layout> =
            (0..2000).map(|i| Layout::from_size_align(8 + (i * 37 + round) % 3000, 8).unwrap()).collect();
        let blocks: Vec<*mut u8> = layouts.iter().enumerate().map(|(i, &l)| take(&heap, l, i + round)).collect();
        near(live_blocks(), before + 2000, "live blocks before reset");
        for (i, (&p, &l)) in blocks.iter().zip(&layouts).enumerate().step_by(97) {
            intact(p, l, i + round);
        }
        heap.reset();
        near(live_blocks(), before, "live blocks after reset");
    }
}

#[test]
fn heaps_are_independent() {
    let _g = serial();
    let before = live_blocks();
    let layout = Layout::from_size_align(128, 16).unwrap();
    let (a, b) = (Heap::new().unwrap(), Heap::new().unwrap());
    let kept: Vec<*mut u8> = (0..500).map(|i| take(&b, layout, i)).collect();
    for i in 0..500 {
        take(&a, layout, i + 7);
    }
    drop(a);
    near(live_blocks(), before + 500, "b's blocks outlive a");
    for (i, &p) in kept.iter().enumerate() {
        intact(p, layout, i);
    }
    drop(b);
    near(live_blocks(), before, "after both");
}

#[test]
fn one_heap_per_thread() {
    let _g = serial();
    let before = live_blocks();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut heap = Heap::new().unwrap();
                for round in 0..3 {
                    let layout = Layout::from_size_align(16 + t * 40, 8).unwrap();
                    let blocks: Vec<*mut u8> = (0..3000).map(|i| take(&heap, layout, i ^ round)).collect();
                    for (i, &p) in blocks.iter().enumerate().step_by(101) {
                        intact(p, layout, i ^ round);
                    }
                    heap.reset();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    near(live_blocks(), before, "after the threads' heaps");
}

/// Resizes `p` (a block of `heap` with `layout`) to `new_size` and checks
/// the kept bytes; returns the new block and its layout.
#[track_caller]
fn resize(heap: &Heap, p: *mut u8, layout: Layout, new_size: usize, seed: usize) -> (*mut u8, Layout) {
    let q = unsafe { heap.realloc(NonNull::new(p).unwrap(), layout, new_size) }.expect("realloc").as_ptr();
    let kept = Layout::from_size_align(layout.size().min(new_size), layout.align()).unwrap();
    intact(q, kept, seed);
    assert_eq!(q as usize % layout.align(), 0);
    assert!(oxalloc::usable_size(q) >= new_size);
    let new = Layout::from_size_align(new_size, layout.align()).unwrap();
    for i in kept.size()..new_size {
        unsafe { q.add(i).write(pattern(i, seed)) };
    }
    (q, new)
}

#[test]
fn realloc_grows_in_place_within_the_block() {
    let _g = serial();
    let heap = Heap::new().unwrap();
    for (size, align) in [(100usize, 8usize), (1000, 16), (5000, 64), (70_000, 4096)] {
        let layout = Layout::from_size_align(size, align).unwrap();
        let p = take(&heap, layout, size);
        let usable = oxalloc::usable_size(p);
        let (q, _) = resize(&heap, p, layout, usable, size);
        assert_eq!(q, p, "{layout:?} grown to its usable size {usable} moved");
    }
}

#[test]
fn realloc_moves_within_the_heap() {
    let _g = serial();
    let before = live_blocks();
    let heap = Heap::new().unwrap();
    // Through every range: small, medium, large, huge, and back down.
    let sizes = [24usize, 300, 4000, 60_000, 900_000, 5 << 20, 9 << 20, 200, 8];
    let mut blocks = Vec::new();
    for k in 0..20 {
        let align = [8usize, 16, 64, 4096][k % 4];
        let mut layout = Layout::from_size_align(sizes[0], align).unwrap();
        let mut p = take(&heap, layout, k);
        for &n in &sizes[1..] {
            (p, layout) = resize(&heap, p, layout, n, k);
        }
        blocks.push((p, layout, k));
    }
    for &(p, layout, k) in &blocks {
        intact(p, layout, k);
        assert!(oxalloc::owns(p));
    }
    near(live_blocks(), before + 20, "live blocks after the resizes");
    // Every moved block was the heap's: its drop frees them all.
    drop(heap);
    near(live_blocks(), before, "live blocks after the heap's drop");
}

#[test]
fn realloc_failure_keeps_the_block() {
    let _g = serial();
    let heap = Heap::new().unwrap();
    let layout = Layout::from_size_align(4000, 16).unwrap();
    let p = take(&heap, layout, 9);
    let refused = unsafe { heap.realloc(NonNull::new(p).unwrap(), layout, usize::MAX - 4096) };
    assert!(refused.is_none());
    intact(p, layout, 9);
    unsafe { heap.dealloc(NonNull::new(p).unwrap(), layout) };
}

// Not in the checked build: its blocks have no slack (usable == size) and
// it moves every growth, so that stale pointers show.
#[cfg(all(feature = "nightly", not(feature = "checked")))]
#[test]
fn vec_in_a_heap_grows_in_place() {
    let _g = serial();
    let heap = Heap::new().unwrap();
    let mut v: Vec<u8, &Heap> = Vec::with_capacity_in(1000, &heap);
    v.extend((0..1000).map(|i| i as u8));
    let before = v.as_ptr();
    let usable = oxalloc::usable_size(before);
    assert!(usable > 1000, "a 1000-byte block has room to grow ({usable})");
    // Allocator::grow to a size the block already holds: no move, no copy.
    v.reserve_exact(usable - v.len());
    assert_eq!(v.as_ptr(), before, "grown within its block of {usable} bytes, yet moved");
    assert!(v.iter().enumerate().all(|(i, &b)| b == i as u8));
    v.truncate(900);
    v.shrink_to_fit();
    assert_eq!(v.as_ptr(), before, "shrunk by a tenth, yet moved");
}

#[cfg(feature = "nightly")]
#[test]
fn collections_in_a_heap() {
    use std::collections::{BTreeMap, VecDeque};

    let _g = serial();
    let before = live_blocks();
    let heap = Heap::new().unwrap();
    {
        let mut v: Vec<u64, &Heap> = Vec::new_in(&heap);
        v.extend(0..100_000); // grows by allocate + copy + free within the heap
        assert!(oxalloc::owns(v.as_ptr()));
        assert_eq!(v.iter().sum::<u64>(), 4_999_950_000);
        let boxed = Box::new_in([3u8; 1000], &heap);
        assert!(oxalloc::owns(&*boxed));
        let mut q: VecDeque<String, &Heap> = VecDeque::new_in(&heap);
        q.extend((0..100).map(|i| i.to_string()));
        let mut m: BTreeMap<u32, u32, &Heap> = BTreeMap::new_in(&heap);
        m.extend((0..10_000).map(|i| (i, i * 2)));
        assert_eq!(m[&4321], 8642);
        let zst: Vec<(), &Heap> = Vec::with_capacity_in(10, &heap);
        assert_eq!(zst.capacity(), usize::MAX);
        v.truncate(10);
        v.shrink_to_fit();
        assert_eq!(v[9], 9);
        assert!(live_blocks() > before);
    }
    // Each collection freed its own blocks when dropped.
    near(live_blocks(), before, "after the collections' drops");
    let _leaked = Box::leak(Box::new_in(5u32, &heap)); // the heap's drop frees it
    near(live_blocks(), before + 1, "one leaked box");
    drop(heap);
    near(live_blocks(), before, "after the heap's drop");
}
