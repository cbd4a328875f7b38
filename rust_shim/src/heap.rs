//! First-class heaps: [`Heap`] over `ox_heap_new`, `ox_heap_malloc`,
//! `ox_heap_alloc_aligned`, `ox_heap_realloc_aligned`, `ox_heap_free`,
//! `ox_heap_reset` and `ox_heap_destroy` (include/oxalloc.h), and with the
//! `nightly` feature `core::alloc::Allocator for &Heap`, so that
//! collections borrow the heap and the borrow checker keeps them from
//! outliving it.

use core::alloc::Layout;
use core::ffi::c_void;
use core::marker::PhantomData;
use core::ptr::NonNull;

/// The C `ox_heap_t`, only ever behind a pointer.
#[repr(C)]
struct OxHeap {
    _opaque: [u8; 0],
}

extern "C" {
    fn ox_heap_new() -> *mut OxHeap;
    fn ox_heap_malloc(heap: *mut OxHeap, size: usize) -> *mut c_void;
    fn ox_heap_alloc_aligned(heap: *mut OxHeap, size: usize, alignment: usize) -> *mut c_void;
    fn ox_heap_realloc_aligned(heap: *mut OxHeap, ptr: *mut c_void, size: usize, alignment: usize) -> *mut c_void;
    fn ox_heap_free(ptr: *mut c_void);
    fn ox_heap_reset(heap: *mut OxHeap);
    fn ox_heap_destroy(heap: *mut OxHeap);
}

/// `ox_heap_malloc` already aligns to 16 (alignof(max_align_t)).
const MALLOC_ALIGN: usize = 16;

/// A heap of its own: blocks allocated from it can be freed one by one or
/// all at once, by [`reset`](Heap::reset) or by dropping the heap (the
/// arena use case, without the arena's waste when blocks die early).
///
/// A heap allocates only on the thread that created it, so `Heap` is
/// neither `Send` nor `Sync`.  Its blocks are ordinary oxalloc blocks
/// ([`owns`](crate::owns) is true for them).
///
/// ```
/// use core::alloc::Layout;
/// use oxalloc::Heap;
///
/// let heap = Heap::new().expect("a heap");
/// let layout = Layout::array::<u64>(100).unwrap();
/// let p = heap.alloc(layout).expect("a block").as_ptr() as *mut u64;
/// unsafe {
///     for i in 0..100 {
///         p.add(i).write(i as u64);
///     }
///     assert_eq!(*p.add(99), 99);
/// }
/// assert!(oxalloc::owns(p));
/// drop(heap); // frees the block with everything else in the heap
/// ```
///
/// A heap cannot move to another thread:
///
/// ```compile_fail,E0277
/// let heap = oxalloc::Heap::new().unwrap();
/// std::thread::spawn(move || drop(heap));
/// ```
///
/// and [`reset`](Heap::reset) needs the heap unborrowed:
///
/// ```compile_fail,E0502
/// let mut heap = oxalloc::Heap::new().unwrap();
/// let shared = &heap; // as a `Vec<T, &Heap>` would hold it (feature `nightly`)
/// heap.reset(); // error[E0502]: `heap` is also borrowed as immutable
/// shared.alloc(core::alloc::Layout::new::<u8>());
/// ```
#[derive(Debug)]
pub struct Heap {
    raw: NonNull<OxHeap>,
    // The C heap belongs to its creating thread: !Send and !Sync.
    _not_send: PhantomData<*const ()>,
}

impl Heap {
    /// A new, empty heap owned by the calling thread; `None` when memory
    /// for it cannot be had.
    ///
    /// ```
    /// let heap = oxalloc::Heap::new().expect("a heap");
    /// # drop(heap);
    /// ```
    pub fn new() -> Option<Heap> {
        // SAFETY: no precondition.
        let raw = NonNull::new(unsafe { ox_heap_new() })?;
        Some(Heap { raw, _not_send: PhantomData })
    }

    /// Allocates a block for `layout` from this heap: aligned to
    /// `layout.align()`, with at least `layout.size()` writable bytes, or
    /// `None` when it cannot be served.  A zero size gives a unique block
    /// too.  The block lives until [`dealloc`](Heap::dealloc),
    /// [`reset`](Heap::reset) or the heap's drop, whichever comes first.
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// let heap = oxalloc::Heap::new().unwrap();
    /// let page = Layout::from_size_align(4096, 4096).unwrap();
    /// let p = heap.alloc(page).expect("a page");
    /// assert!(p.as_ptr() as usize % 4096 == 0);
    /// let refused = Layout::from_size_align(8, 1 << 62).unwrap();
    /// assert!(heap.alloc(refused).is_none());
    /// ```
    pub fn alloc(&self, layout: Layout) -> Option<NonNull<u8>> {
        let heap = self.raw.as_ptr();
        // SAFETY: `heap` is live and this is its thread (Heap is !Send).
        let p = unsafe {
            if layout.align() <= MALLOC_ALIGN {
                ox_heap_malloc(heap, layout.size())
            } else {
                ox_heap_alloc_aligned(heap, layout.size(), layout.align())
            }
        };
        NonNull::new(p as *mut u8)
    }

    /// Resizes a block of this heap to `new_size` bytes, keeping its
    /// alignment and its first `min(layout.size(), new_size)` bytes.  The
    /// block grows or shrinks in place whenever oxalloc can (room left in
    /// its size class, or a huge block's mapping that can be extended), so
    /// the returned pointer is often `ptr` itself; otherwise the block moves
    /// to a new one of this heap.  `None` when the new size cannot be
    /// served: then `ptr` is untouched and still valid.  A `new_size` of 0
    /// is served as 1 (the block stays valid).
    ///
    /// # Safety
    /// `ptr` came from [`alloc`](Heap::alloc) or `realloc` on this heap
    /// with `layout` (the size it has now, the alignment it was made
    /// with), and was not freed since (nor reset away).  On success `ptr`
    /// is no longer valid; use the returned pointer with
    /// `Layout::from_size_align(new_size, layout.align())`.
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// let heap = oxalloc::Heap::new().unwrap();
    /// let layout = Layout::from_size_align(1000, 8).unwrap();
    /// let p = heap.alloc(layout).unwrap();
    /// unsafe {
    ///     p.as_ptr().write_bytes(7, 1000);
    ///     // Within the block's usable size: the same block.
    ///     let usable = oxalloc::usable_size(p.as_ptr());
    ///     let q = heap.realloc(p, layout, usable).unwrap();
    ///     assert_eq!(q, p);
    ///     // Far beyond: moved, within the heap, bytes kept.
    ///     let layout = Layout::from_size_align(usable, 8).unwrap();
    ///     let r = heap.realloc(q, layout, 1 << 20).unwrap();
    ///     assert_eq!(*r.as_ptr().add(999), 7);
    /// }
    /// ```
    pub unsafe fn realloc(&self, ptr: NonNull<u8>, layout: Layout, new_size: usize) -> Option<NonNull<u8>> {
        let align = layout.align().max(MALLOC_ALIGN);
        let p = ox_heap_realloc_aligned(self.raw.as_ptr(), ptr.as_ptr() as *mut c_void, new_size.max(1), align);
        NonNull::new(p as *mut u8)
    }

    /// Frees one block before the heap goes.
    ///
    /// # Safety
    /// `ptr` came from [`alloc`](Heap::alloc) or
    /// [`realloc`](Heap::realloc) on this heap with `layout`, and was not
    /// freed since (nor reset away).
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// let heap = oxalloc::Heap::new().unwrap();
    /// let layout = Layout::new::<[u32; 8]>();
    /// let p = heap.alloc(layout).unwrap();
    /// unsafe { heap.dealloc(p, layout) };
    /// ```
    pub unsafe fn dealloc(&self, ptr: NonNull<u8>, layout: Layout) {
        let _ = layout; // the C side finds the block's size itself
        ox_heap_free(ptr.as_ptr() as *mut c_void);
    }

    /// Frees every block of the heap at once; the heap stays usable.  It
    /// takes `&mut self`, so no collection allocated in the heap (which
    /// borrows it) can still be alive.  Raw pointers from
    /// [`alloc`](Heap::alloc) dangle afterwards.
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// let mut heap = oxalloc::Heap::new().unwrap();
    /// let layout = Layout::new::<[u8; 64]>();
    /// for _round in 0..3 {
    ///     for _ in 0..1000 {
    ///         assert!(heap.alloc(layout).is_some());
    ///     }
    ///     heap.reset(); // the thousand blocks go in one call
    /// }
    /// ```
    pub fn reset(&mut self) {
        // SAFETY: `raw` is live; `&mut self` proves nothing borrows it.
        unsafe { ox_heap_reset(self.raw.as_ptr()) }
    }
}

impl Drop for Heap {
    /// Frees every block of the heap and the heap itself
    /// (`ox_heap_destroy`).
    fn drop(&mut self) {
        // SAFETY: `raw` is live and dropped once, on its own thread.
        unsafe { ox_heap_destroy(self.raw.as_ptr()) }
    }
}

#[cfg(feature = "nightly")]
mod allocator {
    use super::Heap;
    use core::alloc::{AllocError, Allocator, Layout};
    use core::ptr::{self, NonNull};

    /// `Vec::new_in(&heap)`, `Box::new_in(x, &heap)` and the other
    /// allocator-generic collections, on nightly (feature `nightly`).
    /// Growing and shrinking go through [`Heap::realloc`], so a `Vec` in
    /// a heap grows in place where oxalloc can; a change of alignment
    /// allocates, copies and frees.  Zero-size layouts get a dangling
    /// aligned pointer and never reach C.
    ///
    /// ```
    /// #![feature(allocator_api)]
    /// use oxalloc::Heap;
    ///
    /// let heap = Heap::new().unwrap();
    /// let mut v: Vec<u32, &Heap> = Vec::new_in(&heap);
    /// v.extend(0..10_000);
    /// let b = Box::new_in([7u8; 100], &heap);
    /// assert_eq!(v.iter().sum::<u32>(), 49_995_000);
    /// assert!(oxalloc::owns(v.as_ptr()) && oxalloc::owns(&*b));
    /// ```
    ///
    /// Collections borrow the heap, so they cannot outlive it:
    ///
    /// ```compile_fail,E0505
    /// #![feature(allocator_api)]
    /// let heap = oxalloc::Heap::new().unwrap();
    /// let v: Vec<u64, &oxalloc::Heap> = Vec::with_capacity_in(10, &heap);
    /// drop(heap); // error[E0505]: cannot move out of `heap` because it is borrowed
    /// drop(v);
    /// ```
    unsafe impl Allocator for &Heap {
        fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
            if layout.size() == 0 {
                return Ok(dangling(layout));
            }
            let p = Heap::alloc(self, layout).ok_or(AllocError)?;
            Ok(NonNull::slice_from_raw_parts(p, layout.size()))
        }

        unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
            if layout.size() != 0 {
                Heap::dealloc(self, ptr, layout);
            }
        }

        unsafe fn grow(&self, ptr: NonNull<u8>, old: Layout, new: Layout) -> Result<NonNull<[u8]>, AllocError> {
            resize(self, ptr, old, new, false)
        }

        unsafe fn grow_zeroed(&self, ptr: NonNull<u8>, old: Layout, new: Layout) -> Result<NonNull<[u8]>, AllocError> {
            resize(self, ptr, old, new, true)
        }

        unsafe fn shrink(&self, ptr: NonNull<u8>, old: Layout, new: Layout) -> Result<NonNull<[u8]>, AllocError> {
            resize(self, ptr, old, new, false)
        }
    }

    /// A zero-length block at the layout's alignment, never handed to C.
    fn dangling(layout: Layout) -> NonNull<[u8]> {
        let p = ptr::without_provenance_mut::<u8>(layout.align());
        // SAFETY: an alignment is never zero.
        NonNull::slice_from_raw_parts(unsafe { NonNull::new_unchecked(p) }, 0)
    }

    /// `grow`, `grow_zeroed` and `shrink`: through `Heap::realloc` when the
    /// alignment stays, otherwise allocate, copy, free.
    ///
    /// # Safety
    /// As `Allocator::grow`: `ptr` is a block of `heap` with layout `old`.
    unsafe fn resize(
        heap: &Heap,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
        zero_tail: bool,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if old.size() == 0 {
            let block = (&heap).allocate(new)?;
            if zero_tail {
                ptr::write_bytes(block.as_ptr() as *mut u8, 0, new.size());
            }
            return Ok(block);
        }
        if new.size() == 0 {
            heap.dealloc(ptr, old);
            return Ok(dangling(new));
        }
        let moved = if old.align() == new.align() {
            heap.realloc(ptr, old, new.size()).ok_or(AllocError)?
        } else {
            let moved = heap.alloc(new).ok_or(AllocError)?;
            ptr::copy_nonoverlapping(ptr.as_ptr(), moved.as_ptr(), old.size().min(new.size()));
            heap.dealloc(ptr, old);
            moved
        };
        if zero_tail && new.size() > old.size() {
            ptr::write_bytes(moved.as_ptr().add(old.size()), 0, new.size() - old.size());
        }
        Ok(NonNull::slice_from_raw_parts(moved, new.size()))
    }
}
