//! Which allocator served which pointer: OxAlloc's blocks are oxalloc's
//! (oxalloc::owns), the stack, statics and the C library's malloc are not
//! (unless the `override` row made malloc oxalloc), and usable_size agrees.
mod common;

use common::{assert_ours, layout, MALLOC_IS_OURS, OURS};
use oxalloc::OxAlloc;
use std::alloc::GlobalAlloc;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

extern "C" {
    fn malloc(size: usize) -> *mut u8;
    fn free(ptr: *mut u8);
    fn strdup(s: *const std::ffi::c_char) -> *mut u8;
}

static STATIC_BYTES: [u8; 64] = [0; 64];

#[test]
fn heap_blocks_are_oxallocs() {
    let b = Box::new(1u8);
    let v = vec![0u16; 12345];
    let s = String::from("owned");
    assert_ours(&*b);
    assert_ours(v.as_ptr());
    assert_ours(s.as_ptr());
    // Inside the block counts too.
    assert_ours(&v[12000]);
}

#[test]
fn other_memory_is_not() {
    let local = 5u64;
    assert!(!oxalloc::owns(&local));
    assert!(!oxalloc::owns(STATIC_BYTES.as_ptr()));
    assert!(!oxalloc::owns(std::ptr::null::<u8>()));
    assert!(!oxalloc::owns(heap_blocks_are_oxallocs as fn() as *const u8));
    assert!(!oxalloc::owns(usize::MAX as *const u8));
    assert!(!oxalloc::owns(16 as *const u8));
}

#[test]
fn c_library_malloc_is_not_unless_overridden() {
    unsafe {
        let p = malloc(100);
        let d = strdup(c"from C".as_ptr());
        assert!(!p.is_null() && !d.is_null());
        assert_eq!(oxalloc::owns(p), MALLOC_IS_OURS);
        assert_eq!(oxalloc::owns(d), MALLOC_IS_OURS);
        free(p);
        free(d);
    }
}

#[test]
fn usable_size_covers_the_request() {
    for (size, align) in [(1, 1), (24, 8), (100, 16), (1000, 64), (5000, 4096), (3 << 20, 16)] {
        let l = layout(size, align);
        let p = unsafe { OxAlloc.alloc(l) };
        let usable = oxalloc::usable_size(p);
        if OURS {
            assert!(usable >= size, "usable_size({size}, {align}) = {usable}");
            // Every usable byte may be written.
            unsafe { std::ptr::write_bytes(p, 0x11, usable) };
        } else {
            assert_eq!(usable, 0);
        }
        unsafe { OxAlloc.dealloc(p, l) };
    }
    let local = 0u32;
    assert_eq!(oxalloc::usable_size(&local), 0);
    assert_eq!(oxalloc::usable_size(std::ptr::null::<u8>()), 0);
}
