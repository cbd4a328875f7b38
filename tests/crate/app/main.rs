//! The program tests/crate/run.sh builds against the oxalloc crate as a
//! user gets it (from the packaged .crate, or vendored from a git
//! dependency): oxalloc is its global allocator, and a first-class heap
//! grows a block in place.
use core::alloc::Layout;
use oxalloc::{Heap, OxAlloc};

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

fn main() {
    let v: Vec<u64> = (0..100_000).collect();
    let s = String::from("served by oxalloc");
    assert!(oxalloc::owns(v.as_ptr()) && oxalloc::owns(s.as_ptr()), "the global allocator is oxalloc");
    assert_eq!(oxalloc::LINK_ROW, oxalloc::LinkRow::Native);

    let heap = Heap::new().expect("a heap");
    let layout = Layout::from_size_align(1000, 8).unwrap();
    let p = heap.alloc(layout).expect("a block");
    let usable = oxalloc::usable_size(p.as_ptr());
    let q = unsafe { heap.realloc(p, layout, usable) }.expect("realloc");
    assert_eq!(p, q, "grown in place");
    println!("ok: {} numbers, {} live bytes", v.len(), oxalloc::stats().allocated_bytes);
}
