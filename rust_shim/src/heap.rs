//! First-class heaps: [`Heap`] over `ox_heap_new`, `ox_heap_malloc`,
//! `ox_heap_alloc_aligned`, `ox_heap_free`, `ox_heap_reset` and
//! `ox_heap_destroy` (include/oxalloc.h), and with the `nightly` feature
//! `core::alloc::Allocator for &Heap`, so that collections borrow the heap
//! and the borrow checker keeps them from outliving it.

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
/// let p = heap.alloc(layout) as *mut u64;
/// assert!(!p.is_null());
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
    /// null when it cannot be served.  A zero size gives a unique block
    /// too.  The block lives until [`dealloc`](Heap::dealloc),
    /// [`reset`](Heap::reset) or the heap's drop, whichever comes first.
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// let heap = oxalloc::Heap::new().unwrap();
    /// let page = Layout::from_size_align(4096, 4096).unwrap();
    /// let p = heap.alloc(page);
    /// assert!(!p.is_null() && p as usize % 4096 == 0);
    /// let refused = Layout::from_size_align(8, 1 << 62).unwrap();
    /// assert!(heap.alloc(refused).is_null());
    /// ```
    pub fn alloc(&self, layout: Layout) -> *mut u8 {
        let heap = self.raw.as_ptr();
        // SAFETY: `heap` is live and this is its thread (Heap is !Send).
        unsafe {
            if layout.align() <= MALLOC_ALIGN {
                ox_heap_malloc(heap, layout.size()) as *mut u8
            } else {
                ox_heap_alloc_aligned(heap, layout.size(), layout.align()) as *mut u8
            }
        }
    }

    /// Frees one block before the heap goes.
    ///
    /// # Safety
    /// `ptr` came from [`alloc`](Heap::alloc) on this heap with `layout`,
    /// and was not freed since (nor reset away).
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// let heap = oxalloc::Heap::new().unwrap();
    /// let layout = Layout::new::<[u32; 8]>();
    /// let p = heap.alloc(layout);
    /// assert!(!p.is_null());
    /// unsafe { heap.dealloc(p, layout) };
    /// ```
    pub unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = layout; // the C side finds the block's size itself
        ox_heap_free(ptr as *mut c_void);
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
    ///         assert!(!heap.alloc(layout).is_null());
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
    /// Growing moves the block within the heap.  Zero-size layouts get a
    /// dangling aligned pointer and never reach C.
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
                let dangling = ptr::without_provenance_mut::<u8>(layout.align());
                // SAFETY: an alignment is never zero.
                let p = unsafe { NonNull::new_unchecked(dangling) };
                return Ok(NonNull::slice_from_raw_parts(p, 0));
            }
            let p = NonNull::new(Heap::alloc(self, layout)).ok_or(AllocError)?;
            Ok(NonNull::slice_from_raw_parts(p, layout.size()))
        }

        unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
            if layout.size() != 0 {
                Heap::dealloc(self, ptr.as_ptr(), layout);
            }
        }
    }
}
