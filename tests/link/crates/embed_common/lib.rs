//! Rows 3, 4 and 6 of the link matrix: a Rust library with OxAlloc as its
//! global allocator, called from C (tests/link/host.c).  Built as the
//! `embed` staticlib (oxalloc feature `unresolved`: the C link picks the
//! allocator) and as the `plugin` cdylib (feature `system`: the polyfill
//! over the host's malloc).
use oxalloc::OxAlloc;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

/// A Rust-allocated buffer of `n` (> 0) bytes set to `fill`.  Release it
/// with `rs_free_buffer(p, n)`, or with C `free` when both sides use the
/// same allocator.
#[no_mangle]
pub extern "C" fn rs_make_buffer(n: usize, fill: u8) -> *mut u8 {
    assert!(n > 0);
    Box::into_raw(vec![fill; n].into_boxed_slice()) as *mut u8
}

/// Drops `n` bytes at `p` as a Rust `Box<[u8]>`: a block from
/// `rs_make_buffer(n, _)`, or from C `malloc(n)` when both sides use the
/// same allocator.
///
/// # Safety
/// `p` is such a block, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rs_free_buffer(p: *mut u8, n: usize) {
    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, n)));
}

/// A NUL-terminated string allocated by Rust; release with
/// `rs_free_string`, or with C `free` when both sides use the same
/// allocator.
#[no_mangle]
pub extern "C" fn rs_make_string() -> *mut c_char {
    CString::new(format!("made in Rust, {} bytes of it", 29)).unwrap().into_raw()
}

/// # Safety
/// `p` comes from `rs_make_string` and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rs_free_string(p: *mut c_char) {
    drop(CString::from_raw(p));
}

/// Builds a Box, a Vec, a String and a HashMap, and calls `visit` on each
/// of their heap blocks while they are alive.  Stores the number of visits
/// in `*total` and returns how many of them returned true.
///
/// # Safety
/// `total` is writable.
#[no_mangle]
pub unsafe extern "C" fn rs_visit_blocks(
    visit: extern "C" fn(*const c_void) -> bool,
    total: *mut usize,
) -> usize {
    let b = Box::new(7u64);
    let v: Vec<u16> = (0..500).collect();
    let s = "text".repeat(100);
    let m: HashMap<u32, String> = (0..50).map(|i| (i, i.to_string())).collect();
    let mut blocks: Vec<*const c_void> = vec![(&*b as *const u64).cast(), v.as_ptr().cast(), s.as_ptr().cast()];
    blocks.extend(m.keys().map(|k| (k as *const u32).cast::<c_void>()));
    blocks.extend(m.values().map(|s| s.as_ptr().cast::<c_void>()));
    *total = blocks.len();
    blocks.iter().filter(|&&p| visit(p)).count()
}
