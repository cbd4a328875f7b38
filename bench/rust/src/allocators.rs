//! The #[global_allocator] of each benchmark binary, chosen by one alloc-*
//! feature.  Each wrapper calls its allocator the way that allocator's
//! usual Rust crate does, so every allocator gets the GlobalAlloc path a
//! real Rust user gets:
//!   oxalloc   the `oxalloc` crate (rust_alloc/rust_dealloc/...);
//!   glibc     std::alloc::System;
//!   jemalloc  as tikv-jemallocator: malloc/calloc/realloc when the layout
//!             needs no flags, mallocx/rallocx with MALLOCX_ALIGN when
//!             align > 16 or align > size, sdallocx always;
//!   mimalloc  mi_malloc_aligned/mi_zalloc_aligned/mi_realloc_aligned,
//!             mi_free_size_aligned;
//!   tcmalloc  tc_malloc/tc_calloc/tc_realloc for small alignments,
//!             tc_memalign otherwise, tc_free.

// build.rs sets bench_alloc from the alloc-* features.

/// The name printed in the JSON line, checked by the driver.
#[cfg(bench_alloc = "oxalloc")]
pub const NAME: &str = "oxalloc";
#[cfg(bench_alloc = "glibc")]
pub const NAME: &str = "glibc";
#[cfg(bench_alloc = "jemalloc")]
pub const NAME: &str = "jemalloc";
#[cfg(bench_alloc = "mimalloc")]
pub const NAME: &str = "mimalloc";
#[cfg(bench_alloc = "tcmalloc")]
pub const NAME: &str = "tcmalloc";

#[cfg(bench_alloc = "oxalloc")]
#[global_allocator]
static GLOBAL: oxalloc::OxAlloc = oxalloc::OxAlloc;

#[cfg(bench_alloc = "glibc")]
#[global_allocator]
static GLOBAL: std::alloc::System = std::alloc::System;

/// alignof(max_align_t) on x86_64: what malloc guarantees.
#[allow(dead_code)]
const MIN_ALIGN: usize = 16;

#[cfg(bench_alloc = "jemalloc")]
mod jemalloc {
    use std::alloc::{GlobalAlloc, Layout};
    use std::ffi::{c_int, c_void};

    extern "C" {
        fn malloc(size: usize) -> *mut c_void;
        fn calloc(count: usize, size: usize) -> *mut c_void;
        fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
        fn mallocx(size: usize, flags: c_int) -> *mut c_void;
        fn rallocx(ptr: *mut c_void, size: usize, flags: c_int) -> *mut c_void;
        fn sdallocx(ptr: *mut c_void, size: usize, flags: c_int);
    }

    const MALLOCX_ZERO: c_int = 0x40;

    /// MALLOCX_ALIGN(align) = log2(align), only when malloc's own
    /// alignment would not do.
    fn flags(align: usize, size: usize) -> c_int {
        if align <= super::MIN_ALIGN && align <= size {
            0
        } else {
            align.trailing_zeros() as c_int
        }
    }

    pub struct Jemalloc;

    unsafe impl GlobalAlloc for Jemalloc {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            match flags(l.align(), l.size()) {
                0 => malloc(l.size()) as *mut u8,
                f => mallocx(l.size(), f) as *mut u8,
            }
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            match flags(l.align(), l.size()) {
                0 => calloc(1, l.size()) as *mut u8,
                f => mallocx(l.size(), f | MALLOCX_ZERO) as *mut u8,
            }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            sdallocx(p as *mut c_void, l.size(), flags(l.align(), l.size()))
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
            match flags(l.align(), new_size) {
                0 => realloc(p as *mut c_void, new_size) as *mut u8,
                f => rallocx(p as *mut c_void, new_size, f) as *mut u8,
            }
        }
    }

    #[global_allocator]
    static GLOBAL: Jemalloc = Jemalloc;
}

#[cfg(bench_alloc = "mimalloc")]
mod mimalloc {
    use std::alloc::{GlobalAlloc, Layout};
    use std::ffi::c_void;

    extern "C" {
        fn mi_malloc_aligned(size: usize, align: usize) -> *mut c_void;
        fn mi_zalloc_aligned(size: usize, align: usize) -> *mut c_void;
        fn mi_realloc_aligned(p: *mut c_void, size: usize, align: usize) -> *mut c_void;
        fn mi_free_size_aligned(p: *mut c_void, size: usize, align: usize);
    }

    pub struct Mimalloc;

    unsafe impl GlobalAlloc for Mimalloc {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            mi_malloc_aligned(l.size(), l.align()) as *mut u8
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            mi_zalloc_aligned(l.size(), l.align()) as *mut u8
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            mi_free_size_aligned(p as *mut c_void, l.size(), l.align())
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
            mi_realloc_aligned(p as *mut c_void, new_size, l.align()) as *mut u8
        }
    }

    #[global_allocator]
    static GLOBAL: Mimalloc = Mimalloc;
}

#[cfg(bench_alloc = "tcmalloc")]
mod tcmalloc {
    use std::alloc::{GlobalAlloc, Layout};
    use std::ffi::c_void;
    use std::ptr;

    extern "C" {
        fn tc_malloc(size: usize) -> *mut c_void;
        fn tc_calloc(count: usize, size: usize) -> *mut c_void;
        fn tc_memalign(align: usize, size: usize) -> *mut c_void;
        fn tc_realloc(p: *mut c_void, size: usize) -> *mut c_void;
        fn tc_free(p: *mut c_void);
    }

    fn plain(align: usize, size: usize) -> bool {
        align <= super::MIN_ALIGN && align <= size
    }

    pub struct Tcmalloc;

    unsafe impl GlobalAlloc for Tcmalloc {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            if plain(l.align(), l.size()) {
                tc_malloc(l.size()) as *mut u8
            } else {
                tc_memalign(l.align(), l.size()) as *mut u8
            }
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            if plain(l.align(), l.size()) {
                return tc_calloc(1, l.size()) as *mut u8;
            }
            let p = self.alloc(l);
            if !p.is_null() {
                ptr::write_bytes(p, 0, l.size());
            }
            p
        }
        unsafe fn dealloc(&self, p: *mut u8, _l: Layout) {
            tc_free(p as *mut c_void)
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
            if plain(l.align(), new_size) {
                return tc_realloc(p as *mut c_void, new_size) as *mut u8;
            }
            // Over-aligned: allocate, copy, free (what std does for System).
            let new = self.alloc(Layout::from_size_align_unchecked(new_size, l.align()));
            if !new.is_null() {
                ptr::copy_nonoverlapping(p, new, l.size().min(new_size));
                tc_free(p as *mut c_void);
            }
            new
        }
    }

    #[global_allocator]
    static GLOBAL: Tcmalloc = Tcmalloc;
}
