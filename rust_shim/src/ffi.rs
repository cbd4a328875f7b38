//! The C functions this crate calls, as declared in `include/rust_alloc.h`
//! and `include/oxalloc.h`.
//!
//! `build.rs` reads the `extern "C"` block below and has the C compiler
//! check every declaration against the headers (see `ffi_check.rs`), so a
//! mistyped declaration stops the build.  Keep declarations in the plain
//! form `pub fn name(arg: Type, ...) -> Type;` using the types known to
//! `ffi_check.rs`.

use core::ffi::c_void;

extern "C" {
    pub fn rust_alloc(size: usize, align: usize) -> *mut u8;
    pub fn rust_alloc_zeroed(size: usize, align: usize) -> *mut u8;
    pub fn rust_dealloc(ptr: *mut u8, size: usize, align: usize);
    pub fn rust_realloc(ptr: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8;
    pub fn ox_owns(ptr: *const c_void) -> bool;
    pub fn ox_usable_size(ptr: *const c_void) -> usize;
    pub fn ox_collect(force: bool);
}
