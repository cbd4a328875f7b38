//! `core::alloc::Allocator` for [`OxAlloc`] (feature `nightly`).
//!
//! The C ABI serves size 0 too, but the `Allocator` contract lets zero-size
//! blocks be dangling, so they never reach C: `allocate` returns a dangling
//! aligned pointer and `deallocate` ignores it.  `grow`/`shrink` go to
//! `rust_realloc` when the alignment stays the same; a change of alignment
//! (which `rust_realloc` does not do) allocates, copies and frees.

use core::alloc::{AllocError, Allocator, Layout};
use core::ptr::{self, NonNull};

use crate::{ffi, OxAlloc};

/// A zero-length block at the layout's alignment, never handed to C.
#[inline]
fn dangling(layout: Layout) -> NonNull<[u8]> {
    let p = ptr::without_provenance_mut::<u8>(layout.align());
    // SAFETY: an alignment is never zero.
    NonNull::slice_from_raw_parts(unsafe { NonNull::new_unchecked(p) }, 0)
}

#[inline]
fn block(p: *mut u8, size: usize) -> Result<NonNull<[u8]>, AllocError> {
    NonNull::new(p).map(|p| NonNull::slice_from_raw_parts(p, size)).ok_or(AllocError)
}

#[inline]
fn allocate(layout: Layout, zeroed: bool) -> Result<NonNull<[u8]>, AllocError> {
    if layout.size() == 0 {
        return Ok(dangling(layout));
    }
    // SAFETY: any size and power-of-two alignment may be asked of C.
    let p = unsafe {
        if zeroed {
            ffi::rust_alloc_zeroed(layout.size(), layout.align())
        } else {
            ffi::rust_alloc(layout.size(), layout.align())
        }
    };
    block(p, layout.size())
}

/// Resize for `grow` (new >= old) and `shrink` (new <= old).
///
/// # Safety
/// `ptr` is a block of this allocator with layout `old` (Allocator::grow).
unsafe fn resize(
    ptr: NonNull<u8>,
    old: Layout,
    new: Layout,
    zero_tail: bool,
) -> Result<NonNull<[u8]>, AllocError> {
    if old.size() == 0 {
        return allocate(new, zero_tail);
    }
    if new.size() == 0 {
        ffi::rust_dealloc(ptr.as_ptr(), old.size(), old.align());
        return Ok(dangling(new));
    }
    if old.align() == new.align() {
        let p = ffi::rust_realloc(ptr.as_ptr(), old.size(), old.align(), new.size());
        let grown = block(p, new.size())?;
        if zero_tail && new.size() > old.size() {
            ptr::write_bytes(p.add(old.size()), 0, new.size() - old.size());
        }
        return Ok(grown);
    }
    let moved = allocate(new, zero_tail)?;
    let keep = old.size().min(new.size());
    ptr::copy_nonoverlapping(ptr.as_ptr(), moved.as_ptr() as *mut u8, keep);
    ffi::rust_dealloc(ptr.as_ptr(), old.size(), old.align());
    Ok(moved)
}

/// `Vec::new_in(OxAlloc)`, `Box::new_in(x, OxAlloc)` and the other
/// allocator-generic collections, on nightly:
///
/// ```
/// #![feature(allocator_api)]
/// use oxalloc::OxAlloc;
///
/// let mut v: Vec<u32, OxAlloc> = Vec::new_in(OxAlloc);
/// v.extend(0..10_000);
/// assert_eq!(v.iter().sum::<u32>(), 49_995_000);
/// let b = Box::new_in([0u8; 64], OxAlloc);
/// assert_eq!(oxalloc::owns(&*b), (oxalloc::LINK_ROW != oxalloc::LinkRow::System));
/// ```
unsafe impl Allocator for OxAlloc {
    #[inline]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        allocate(layout, false)
    }

    #[inline]
    fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        allocate(layout, true)
    }

    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() != 0 {
            ffi::rust_dealloc(ptr.as_ptr(), layout.size(), layout.align());
        }
    }

    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        debug_assert!(new.size() >= old.size());
        resize(ptr, old, new, false)
    }

    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        debug_assert!(new.size() >= old.size());
        resize(ptr, old, new, true)
    }

    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        debug_assert!(new.size() <= old.size());
        resize(ptr, old, new, false)
    }
}
