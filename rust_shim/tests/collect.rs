//! `oxalloc::collect`: memory freed by this thread goes back to
//! the OS at once, even with an hour of purge delay, and live blocks keep
//! their contents.
#![cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]

use oxalloc::OxAlloc;
use std::alloc::{GlobalAlloc, Layout};

#[test]
fn collect_returns_freed_memory_now() {
    oxalloc::set_option("purge_delay", 3_600_000).unwrap();
    let layout = Layout::from_size_align(2000, 16).unwrap();
    let count = (64usize << 20) / 2000;
    // SAFETY: each pointer is written within its layout and freed once.
    let blocks: Vec<*mut u8> = (0..count)
        .map(|_| unsafe {
            let p = OxAlloc.alloc(layout);
            assert!(!p.is_null());
            p.write_bytes(3, 2000);
            p
        })
        .collect();
    // One block in 2048 stays live: the segments stay with this thread's
    // heap and their free pages wait for the delay.
    for (i, &p) in blocks.iter().enumerate() {
        if i % 2048 != 0 {
            unsafe { OxAlloc.dealloc(p, layout) };
        }
    }
    let before = oxalloc::stats();
    oxalloc::collect();
    let after = oxalloc::stats();
    assert!(
        after.resident_bytes + (32 << 20) < before.resident_bytes,
        "resident {} -> {}",
        before.resident_bytes,
        after.resident_bytes
    );
    for &p in blocks.iter().step_by(2048) {
        // SAFETY: live blocks of `layout`.
        unsafe {
            assert_eq!(*p.add(1999), 3);
            OxAlloc.dealloc(p, layout);
        }
    }
}
