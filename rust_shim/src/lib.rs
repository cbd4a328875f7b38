//! Rust's global allocator backed by **oxalloc**, a C allocator whose native
//! interface is the Rust allocator ABI (`include/rust_alloc.h`): every call
//! carries the size and the alignment, so nothing is translated on the way.
//!
//! ```
//! use oxalloc::OxAlloc;
//!
//! #[global_allocator]
//! static GLOBAL: OxAlloc = OxAlloc;
//!
//! fn main() {
//!     let v: Vec<u64> = (0..1000).collect();
//!     // With the default feature the vector's buffer is oxalloc's.
//!     assert_eq!(oxalloc::owns(v.as_ptr()), !cfg!(feature = "system"));
//! }
//! ```
//!
//! # Link rows (cargo features)
//!
//! The C code is compiled by this crate's build script (system C compiler;
//! `CC` and `CFLAGS` are honoured).  One feature picks what is linked, that
//! is, which row of the link matrix (README.md) the final program is in:
//!
//! | feature | `rust_*` (this crate) | `malloc` (C code in the program) |
//! |---|---|---|
//! | `native` (default) | oxalloc | the C library's |
//! | `override` | oxalloc | oxalloc, for the whole executable |
//! | `system` | polyfill over `malloc` | the C library's |
//! | `unresolved` | left undefined: the final C link adds `liboxalloc.a` or `liboxalloc_system.a` | the C program's choice |
//!
//! `system`, `override` and `unresolved` replace `native`; use
//! `default-features = false` to be explicit.  Two of them at once is a
//! build error.  [`owns`] and [`usable_size`] exist in every row; the
//! statistics, options and first-class heaps only in `native` and
//! `override`, the rows that link the C core.  `checked` builds the C core with layout checks on every
//! deallocation, and `nightly` adds [`core::alloc::Allocator`] for
//! [`OxAlloc`] (with `cargo +nightly`).
//!
//! Allocation failure is a null pointer, never a panic inside the
//! allocator: a [`Layout`] that the C side refuses
//! (an alignment of 2^62, say) reaches Rust's `handle_alloc_error`.
#![no_std]
#![cfg_attr(feature = "nightly", feature(allocator_api))]
#![warn(missing_docs)]

use core::alloc::{GlobalAlloc, Layout};
#[cfg(not(feature = "system"))]
use core::ffi::c_void;

#[cfg(feature = "nightly")]
mod allocator_api;
// The system row never calls the ox_ functions (they are not linked).
#[cfg_attr(feature = "system", allow(dead_code))]
mod ffi;
// Statistics, options and first-class heaps are compiled (non-generic code,
// so into this rlib) with references to ox_ functions: only in the rows that
// link the core.  The system row has no ox_ symbols, and an `unresolved`
// staticlib must also link with liboxalloc_system.a, which has none.
#[cfg(not(any(feature = "system", feature = "unresolved")))]
mod heap;
#[cfg(not(any(feature = "system", feature = "unresolved")))]
mod options;
#[cfg(not(any(feature = "system", feature = "unresolved")))]
mod stats;
#[cfg(not(any(feature = "system", feature = "unresolved")))]
pub mod prof;
#[cfg(not(any(feature = "system", feature = "unresolved")))]
pub use heap::Heap;
#[cfg(not(any(feature = "system", feature = "unresolved")))]
pub use options::{option, set_option, OptionError};
#[cfg(not(any(feature = "system", feature = "unresolved")))]
pub use stats::{stats, stats_json, stats_report, SizeClass, Stats};

/// The oxalloc allocator: a zero-sized handle that forwards every call to
/// the C functions `rust_alloc`, `rust_alloc_zeroed`, `rust_dealloc` and
/// `rust_realloc`, passing the layout's size and alignment through.
///
/// Install it as the global allocator with the usual three lines:
///
/// ```
/// use oxalloc::OxAlloc;
///
/// #[global_allocator]
/// static GLOBAL: OxAlloc = OxAlloc;
///
/// fn main() {
///     let s = String::from("served by oxalloc");
///     assert!(s.len() > 0);
/// }
/// ```
///
/// It can also be called directly; a refused layout gives a null pointer:
///
/// ```
/// use core::alloc::{GlobalAlloc, Layout};
/// use oxalloc::OxAlloc;
///
/// let layout = Layout::from_size_align(8, 1 << 62).unwrap();
/// assert!(unsafe { OxAlloc.alloc(layout) }.is_null());
///
/// let layout = Layout::from_size_align(100, 4096).unwrap();
/// let p = unsafe { OxAlloc.alloc(layout) };
/// assert!(!p.is_null() && p as usize % 4096 == 0);
/// unsafe { OxAlloc.dealloc(p, layout) };
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OxAlloc;

unsafe impl GlobalAlloc for OxAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ffi::rust_alloc(layout.size(), layout.align())
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ffi::rust_alloc_zeroed(layout.size(), layout.align())
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ffi::rust_dealloc(ptr, layout.size(), layout.align())
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ffi::rust_realloc(ptr, layout.size(), layout.align(), new_size)
    }
}

/// Whether `ptr` points into memory that oxalloc manages: a block it handed
/// out, its own metadata, or memory it keeps mapped for reuse.  False for
/// the stack, statics, memory of other allocators (the C library's
/// `malloc` unless the `override` row or `LD_PRELOAD=liboxalloc.so` made
/// it oxalloc) and any address at or above 2^48.  Any pointer may be
/// asked, dangling or null: this never dereferences it, and never faults
/// even while another thread frees that memory and oxalloc unmaps it (the
/// answer comes from oxalloc's address map, which is never unmapped).  A
/// dangling pointer answers true while oxalloc still holds the memory it
/// points to (kept for reuse, or reused), false once it went back to the
/// OS.
///
/// With the `system` feature nothing is oxalloc's and this is always false.
/// With `unresolved`, calling it needs the final link to supply
/// `liboxalloc.a`.
///
/// ```
/// use oxalloc::OxAlloc;
///
/// #[global_allocator]
/// static GLOBAL: OxAlloc = OxAlloc;
///
/// fn main() {
///     let on_heap = Box::new(7u32);
///     let on_stack = 7u32;
///     assert_eq!(oxalloc::owns(&*on_heap), !cfg!(feature = "system"));
///     assert!(!oxalloc::owns(&on_stack));
///     assert!(!oxalloc::owns(core::ptr::null::<u8>()));
/// }
/// ```
#[inline]
pub fn owns<T: ?Sized>(ptr: *const T) -> bool {
    #[cfg(not(feature = "system"))]
    // SAFETY: ox_owns accepts any pointer and never faults.
    return unsafe { ffi::ox_owns(ptr as *const c_void) };
    #[cfg(feature = "system")]
    return {
        let _ = ptr;
        false
    };
}

/// Gives memory that oxalloc holds unused back to the operating system
/// now, instead of after the purge delay (`ox_collect(true)` in C; the C
/// library's `malloc_trim` under the `override` feature): this thread's
/// free pages, the caches of empty segments and freed huge blocks, and
/// everything the heaps of exited threads hold.  Live allocations are
/// untouched.  Other live threads give back their free pages on their own
/// next slow path, or through the background purger
/// (`OXALLOC_BACKGROUND=1`).  Never allocates.
///
/// With the `system` feature this does nothing.  With `unresolved`,
/// calling it needs the final link to supply `liboxalloc.a`.
///
/// ```
/// use oxalloc::OxAlloc;
///
/// #[global_allocator]
/// static GLOBAL: OxAlloc = OxAlloc;
///
/// fn main() {
///     let keep = vec![7u8; 1000];
///     let big: Vec<Vec<u8>> = (0..2000).map(|_| vec![1u8; 16 << 10]).collect();
///     drop(big);
///     oxalloc::collect(); // the 32 MiB just freed go back to the OS now
///     assert!(keep.iter().all(|&b| b == 7));
/// }
/// ```
#[inline]
pub fn collect() {
    #[cfg(not(feature = "system"))]
    // SAFETY: ox_collect takes no pointer and only returns unused memory.
    unsafe {
        ffi::ox_collect(true)
    };
}

/// The number of bytes usable in the oxalloc block that starts at `ptr`
/// (at least the size it was allocated with; every one of them may be
/// written through the owning pointer).  0 for null, for pointers that
/// oxalloc does not manage ([`owns`] is false) and for pointers inside a
/// block, so any pointer may be asked.  It never faults, even while
/// another thread frees the block and oxalloc unmaps its memory: the
/// answer comes from oxalloc's address map, which is never unmapped.  For
/// a dangling pointer (its block freed) it is 0, or the size of whatever
/// block starts at that address now; it says nothing about the freed
/// block.
///
/// With the `system` feature this is always 0.
///
/// ```
/// use oxalloc::OxAlloc;
///
/// #[global_allocator]
/// static GLOBAL: OxAlloc = OxAlloc;
///
/// fn main() {
///     let v: Vec<u8> = Vec::with_capacity(100);
///     let usable = oxalloc::usable_size(v.as_ptr());
///     assert!(usable >= 100 || cfg!(feature = "system"));
///     assert_eq!(oxalloc::usable_size(&0u8), 0);
/// }
/// ```
#[inline]
pub fn usable_size<T: ?Sized>(ptr: *const T) -> usize {
    #[cfg(not(feature = "system"))]
    // SAFETY: ox_usable_size returns 0 for pointers oxalloc does not own;
    // for the others it only reads oxalloc's metadata.
    return unsafe { ffi::ox_usable_size(ptr as *const c_void) };
    #[cfg(feature = "system")]
    return {
        let _ = ptr;
        0
    };
}
