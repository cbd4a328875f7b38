//! `callgrind_box N`: N times Box::new(0u64) + drop through OxAlloc, for
//! tests/link/callgrind.sh (instructions per pair, compared with C calling
//! rust_alloc/rust_dealloc directly: callgrind_c.c).
use oxalloc::OxAlloc;
use std::hint::black_box;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

#[inline(never)]
fn box_pairs(n: usize) {
    for _ in 0..n {
        // black_box keeps LLVM from removing the allocation.
        let b = Box::new(0u64);
        black_box(&b);
        drop(b);
    }
}

fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse().ok()).expect("usage: callgrind_box N");
    box_pairs(n);
}
