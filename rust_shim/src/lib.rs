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
//!     assert_eq!(oxalloc::owns(v.as_ptr()), (oxalloc::LINK_ROW != oxalloc::LinkRow::System));
//! }
//! ```
//!
//! # Link rows (cargo features)
//!
//! The C code is compiled by this crate's build script.  One of four
//! features picks what is linked, that is, which row of the link matrix
//! (docs/link-matrix.md in the repository) the final program is in:
//!
//! | feature | `rust_*` (this crate) | `malloc` (C code in the program) | for |
//! |---|---|---|---|
//! | `override` | oxalloc | oxalloc, for the whole executable | executables |
//! | `native` (default) | oxalloc | the C library's | executables |
//! | `unresolved` | left undefined: the final C link adds `liboxalloc.a` or `liboxalloc_system.a` | the C program's choice | staticlibs in C programs |
//! | `system` | polyfill over `malloc` | the C library's | cdylibs, plugins |
//!
//! ## Precedence: the most oxalloc-ward row wins
//!
//! Cargo features are additive: cargo turns on, for the one copy of this
//! crate in a build, every feature that any crate of the dependency graph
//! asks for.  So the row is decided by a rule over the union, never by
//! which crate asked:
//!
//! **`override` > `native` > `unresolved` > `system`**: the first of these
//! that is enabled is the row; none of them (`default-features = false`
//! everywhere) is `native`.
//!
//! The rule is built so that a dependency can never quietly take oxalloc
//! away from the program that installs it: a library that asks for
//! `system` does not turn the allocator of a binary using the default into
//! `malloc`, since `native` outranks it.  The other way round, a library
//! that leaves the default feature on *does* move a `system` or
//! `unresolved` program to `native`: **libraries should depend on oxalloc
//! with `default-features = false`** and leave the row to the final
//! artifact.  When the rule overrules a requested row, the build script
//! says so in a warning naming both features (cargo shows it for path and
//! workspace dependencies).  [`LINK_ROW`] tells the program which row it
//! got; `--all-features` builds the `override` row.
//!
//! [`owns`] and [`usable_size`] exist in every row; the statistics,
//! options and first-class heaps only in `native` and `override`, the rows
//! that link the C core.
//!
//! ## Other features
//!
//! | feature | effect |
//! |---|---|
//! | `checked` | the C core built with `-DOX_CHECKED=1`: every deallocation's layout is checked, misuse aborts with a report |
//! | `secure` | the C core built with `-DOX_SECURE=1`: hardened free lists and metadata |
//! | `nightly` | [`core::alloc::Allocator`] for [`OxAlloc`] and `&Heap`; needs a nightly toolchain (on another one the build stops with one line saying so) |
//!
//! `checked` and `secure` combine with each other and with every row that
//! compiles the core.
//!
//! # Build variables
//!
//! The build script follows the conventions of the `cc` crate, by hand
//! (the crate has no dependency): `CC`, `CFLAGS` and `AR` are read as
//! `VAR_<target>`, `VAR_<target_with_underscores>`, `TARGET_VAR` (cross
//! builds) or `HOST_VAR` (native builds), then `VAR`; a cross build for
//! `<arch>-unknown-linux-<env>` defaults to `<arch>-linux-<env>-gcc` and
//! `-ar`; the profile's `OPT_LEVEL` and `DEBUG` give `-O<n>` and `-g`;
//! `CRATE_CC_NO_DEFAULTS` drops those defaults; and from
//! `CARGO_ENCODED_RUSTFLAGS` the options C code must share are passed on
//! (`-C force-frame-pointers`, `-Z sanitizer`, `-C code-model`).  `CFLAGS`
//! come last and win.  See docs/rust-crate.md for the platforms.
//!
//! Allocation failure is a null pointer, never a panic inside the
//! allocator: a [`Layout`] that the C side refuses
//! (an alignment of 2^62, say) reaches Rust's `handle_alloc_error`.
#![no_std]
#![cfg_attr(feature = "nightly", feature(allocator_api))]
#![warn(missing_docs)]

use core::alloc::{GlobalAlloc, Layout};
#[cfg(not(oxalloc_row = "system"))]
use core::ffi::c_void;

#[cfg(feature = "nightly")]
mod allocator_api;
// The system row never calls the ox_ functions (they are not linked).
#[cfg_attr(oxalloc_row = "system", allow(dead_code))]
mod ffi;
// Statistics, options and first-class heaps are compiled (non-generic code,
// so into this rlib) with references to ox_ functions: only in the rows that
// link the core.  The system row has no ox_ symbols, and an `unresolved`
// staticlib must also link with liboxalloc_system.a, which has none.
#[cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]
mod heap;
#[cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]
mod options;
#[cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]
mod stats;
#[cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]
pub mod prof;
#[cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]
pub use heap::Heap;
#[cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]
pub use options::{option, set_option, OptionError};
#[cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]
pub use stats::{stats, stats_json, stats_report, SizeClass, Stats};

/// A row of the link matrix: what serves this crate's `rust_*` calls and
/// the program's `malloc` (see the crate documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkRow {
    /// `rust_*` and `malloc` are oxalloc (feature `override`).
    Override,
    /// `rust_*` are oxalloc, `malloc` is the C library's (the default).
    Native,
    /// `rust_*` are left for the final C link (feature `unresolved`).
    Unresolved,
    /// `rust_*` are a polyfill over `malloc` (feature `system`).
    System,
}

/// The row this build of the crate is in, after the precedence rule
/// (`override` > `native` > `unresolved` > `system`) has been applied to
/// the features cargo enabled.
///
/// ```
/// let row = oxalloc::LINK_ROW;
/// let oxalloc_serves_rust = row != oxalloc::LinkRow::System;
/// # let _ = oxalloc_serves_rust;
/// ```
pub const LINK_ROW: LinkRow = if cfg!(oxalloc_row = "override") {
    LinkRow::Override
} else if cfg!(oxalloc_row = "unresolved") {
    LinkRow::Unresolved
} else if cfg!(oxalloc_row = "system") {
    LinkRow::System
} else {
    LinkRow::Native
};

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
///     assert_eq!(oxalloc::owns(&*on_heap), (oxalloc::LINK_ROW != oxalloc::LinkRow::System));
///     assert!(!oxalloc::owns(&on_stack));
///     assert!(!oxalloc::owns(core::ptr::null::<u8>()));
/// }
/// ```
#[inline]
pub fn owns<T: ?Sized>(ptr: *const T) -> bool {
    #[cfg(not(oxalloc_row = "system"))]
    // SAFETY: ox_owns accepts any pointer and never faults.
    return unsafe { ffi::ox_owns(ptr as *const c_void) };
    #[cfg(oxalloc_row = "system")]
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
    #[cfg(not(oxalloc_row = "system"))]
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
///     assert!(usable >= 100 || oxalloc::LINK_ROW == oxalloc::LinkRow::System);
///     assert_eq!(oxalloc::usable_size(&0u8), 0);
/// }
/// ```
#[inline]
pub fn usable_size<T: ?Sized>(ptr: *const T) -> usize {
    #[cfg(not(oxalloc_row = "system"))]
    // SAFETY: ox_usable_size returns 0 for pointers oxalloc does not own;
    // for the others it only reads oxalloc's metadata.
    return unsafe { ffi::ox_usable_size(ptr as *const c_void) };
    #[cfg(oxalloc_row = "system")]
    return {
        let _ = ptr;
        0
    };
}
