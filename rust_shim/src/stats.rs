//! Statistics: [`stats`] (a copy of the C `ox_stats_t` snapshot) and the
//! readable and JSON reports [`stats_report`] and [`stats_json`], over
//! `ox_stats_get`, `ox_stats_print` and `ox_stats_json` (include/oxalloc.h).
//!
//! [`Stats`] is `#[repr(C)]` with exactly the layout of `ox_stats_t`, so the
//! C side fills it in place; `tests/stats.rs` has the C compiler confirm
//! the size and every offset.

extern crate alloc;

use alloc::string::String;
use core::ffi::{c_char, c_int, c_void, CStr};
use core::fmt;

/// `OX_STATS_MAX_CLASSES`: the capacity of the size-class table.
const MAX_CLASSES: usize = 128;

extern "C" {
    fn ox_stats_get(out: *mut Stats) -> c_int;
    fn ox_stats_print(out: extern "C" fn(*const c_char, *mut c_void), arg: *mut c_void);
    fn ox_stats_json(out: extern "C" fn(*const c_char, *mut c_void), arg: *mut c_void);
}

/// One row of the size-class table in [`Stats`]: the block size of a
/// class and how many blocks of it are live.
///
/// ```
/// let s = oxalloc::stats();
/// let first = s.classes()[0];
/// assert!(first.block_size > 0);
/// assert_eq!(first.live_bytes(), first.block_size * first.live_blocks);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SizeClass {
    /// The size of every block of this class, in bytes.
    pub block_size: usize,
    /// Blocks of this class allocated and not yet freed, over every heap.
    pub live_blocks: usize,
}

impl SizeClass {
    /// `block_size * live_blocks`: the bytes held by this class's live
    /// blocks.
    ///
    /// ```
    /// let c = oxalloc::SizeClass { block_size: 48, live_blocks: 3 };
    /// assert_eq!(c.live_bytes(), 144);
    /// ```
    pub fn live_bytes(&self) -> usize {
        self.block_size.saturating_mul(self.live_blocks)
    }
}

/// A snapshot of the allocator's counters, merged over every thread and
/// every heap (the C `ox_stats_t`).  Counters of other threads are read
/// while they run, so a snapshot taken then is approximate; each field is
/// consistent on its own.
///
/// Take one with [`stats`]:
///
/// ```
/// let heap = oxalloc::Heap::new().unwrap();
/// let big = heap.alloc(core::alloc::Layout::from_size_align(8 << 20, 8).unwrap());
/// assert!(big.is_some());
/// let s = oxalloc::stats();
/// assert!(s.huge_blocks >= 1 && s.huge_bytes >= 8 << 20);
/// assert!(s.committed_bytes >= s.resident_bytes);
/// assert!(s.allocated_blocks >= s.huge_blocks);
/// println!("{} bytes in {} live blocks", s.allocated_bytes, s.allocated_blocks);
/// ```
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Bytes in live blocks (block sizes, huge blocks included).
    pub allocated_bytes: usize,
    /// Live blocks, huge blocks included.
    pub allocated_blocks: usize,
    /// Live blocks above the largest size class (mapped on their own).
    pub huge_blocks: usize,
    /// Bytes in live huge blocks.
    pub huge_bytes: usize,
    /// Class pages holding blocks.
    pub pages_in_use: usize,
    /// 4 MiB segments held by heaps.
    pub segments_in_use: usize,
    /// Bytes mapped read-write by oxalloc now.
    pub committed_bytes: usize,
    /// Committed bytes minus those given back to the OS and not reused.
    pub resident_bytes: usize,
    /// Bytes given back to the OS so far (`madvise`, `munmap`).
    pub returned_bytes: usize,
    /// `mmap`, `munmap`, `madvise` and `mremap` calls so far.
    pub os_calls: usize,
    /// Frees of blocks owned by another thread's heap.
    pub remote_frees: usize,
    /// Thread heaps set up so far (created or adopted).
    pub threads_seen: usize,
    // Entries of `classes` in use; read through `classes()`, which never
    // trusts it beyond the array.
    class_count: usize,
    classes: [SizeClass; MAX_CLASSES],
    /// Bytes (block sizes) the calling thread allocated since it started,
    /// from its own heap (jemalloc's `thread.allocated`).  Counted on slow
    /// paths and derived, never on the fast path.
    pub thread_allocated_bytes: usize,
    /// Bytes the calling thread freed since it started, whoever allocated
    /// them (jemalloc's `thread.deallocated`).
    pub thread_deallocated_bytes: usize,
    /// Bytes the process allocated so far (every thread; other threads as
    /// of their last slow path).
    pub total_allocated_bytes: usize,
    /// Bytes the process freed so far.
    pub total_deallocated_bytes: usize,
    /// The highest `committed_bytes` so far.
    pub peak_committed_bytes: usize,
    /// Resident but unused: free pages of heaps waiting for the purge
    /// delay.  This and the next three fields count in `resident_bytes`
    /// without holding a live block (a cache, not a leak); all go back to
    /// the OS after the delay, or now with [`collect`](crate::collect).
    pub pending_purge_bytes: usize,
    /// Resident but unused: empty pages kept for their size class (one
    /// per class and thread, as of the owner's last slow path).
    pub kept_page_bytes: usize,
    /// Resident but unused: touched pages of empty 4 MiB segments cached
    /// for reuse.
    pub segment_cache_bytes: usize,
    /// Resident but unused: freed huge blocks cached for reuse.
    pub huge_cache_bytes: usize,
}

impl Stats {
    /// The size-class table: one entry per class, including classes with
    /// no live block, by block size (never decreasing: the class of
    /// zero-size requests shares the smallest block size).
    ///
    /// ```
    /// let s = oxalloc::stats();
    /// let sizes: Vec<usize> = s.classes().iter().map(|c| c.block_size).collect();
    /// assert!(sizes.windows(2).all(|w| w[0] <= w[1]));
    /// let in_classes: usize = s.classes().iter().map(|c| c.live_blocks).sum();
    /// assert_eq!(in_classes + s.huge_blocks, s.allocated_blocks);
    /// ```
    pub fn classes(&self) -> &[SizeClass] {
        &self.classes[..self.class_count.min(MAX_CLASSES)]
    }
}

impl Default for Stats {
    /// All counters zero and an empty class table.
    ///
    /// ```
    /// let s = oxalloc::Stats::default();
    /// assert_eq!(s.allocated_bytes, 0);
    /// assert!(s.classes().is_empty());
    /// ```
    fn default() -> Self {
        Stats {
            allocated_bytes: 0,
            allocated_blocks: 0,
            huge_blocks: 0,
            huge_bytes: 0,
            pages_in_use: 0,
            segments_in_use: 0,
            committed_bytes: 0,
            resident_bytes: 0,
            returned_bytes: 0,
            os_calls: 0,
            remote_frees: 0,
            threads_seen: 0,
            pending_purge_bytes: 0,
            kept_page_bytes: 0,
            segment_cache_bytes: 0,
            huge_cache_bytes: 0,
            class_count: 0,
            classes: [SizeClass::default(); MAX_CLASSES],
            thread_allocated_bytes: 0,
            thread_deallocated_bytes: 0,
            total_allocated_bytes: 0,
            total_deallocated_bytes: 0,
            peak_committed_bytes: 0,
        }
    }
}

impl fmt::Debug for Stats {
    /// The counters, and only the classes with live blocks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Live<'a>(&'a [SizeClass]);
        impl fmt::Debug for Live<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.iter().filter(|c| c.live_blocks > 0)).finish()
            }
        }
        f.debug_struct("Stats")
            .field("allocated_bytes", &self.allocated_bytes)
            .field("allocated_blocks", &self.allocated_blocks)
            .field("huge_blocks", &self.huge_blocks)
            .field("huge_bytes", &self.huge_bytes)
            .field("pages_in_use", &self.pages_in_use)
            .field("segments_in_use", &self.segments_in_use)
            .field("committed_bytes", &self.committed_bytes)
            .field("resident_bytes", &self.resident_bytes)
            .field("returned_bytes", &self.returned_bytes)
            .field("os_calls", &self.os_calls)
            .field("remote_frees", &self.remote_frees)
            .field("threads_seen", &self.threads_seen)
            .field("pending_purge_bytes", &self.pending_purge_bytes)
            .field("kept_page_bytes", &self.kept_page_bytes)
            .field("segment_cache_bytes", &self.segment_cache_bytes)
            .field("huge_cache_bytes", &self.huge_cache_bytes)
            .field("live_classes", &Live(self.classes()))
            .field("thread_allocated_bytes", &self.thread_allocated_bytes)
            .field("thread_deallocated_bytes", &self.thread_deallocated_bytes)
            .field("total_allocated_bytes", &self.total_allocated_bytes)
            .field("total_deallocated_bytes", &self.total_deallocated_bytes)
            .field("peak_committed_bytes", &self.peak_committed_bytes)
            .finish()
    }
}

/// A snapshot of the allocator's statistics (`ox_stats_get`).  Cheap
/// enough to call often: it reads counters and never allocates.
///
/// ```
/// use core::alloc::{GlobalAlloc, Layout};
/// use oxalloc::OxAlloc;
///
/// let layout = Layout::from_size_align(40, 8).unwrap();
/// let before = oxalloc::stats();
/// let p = unsafe { OxAlloc.alloc(layout) };
/// let during = oxalloc::stats();
/// unsafe { OxAlloc.dealloc(p, layout) };
/// // This program allocates nothing else from oxalloc (its global
/// // allocator is the C library's), so the count is exact.
/// assert_eq!(during.allocated_blocks, before.allocated_blocks + 1);
/// assert_eq!(oxalloc::stats().allocated_blocks, before.allocated_blocks);
/// ```
pub fn stats() -> Stats {
    let mut s = Stats::default();
    // SAFETY: `Stats` has the layout of ox_stats_t; the pointer is valid.
    let rc = unsafe { ox_stats_get(&mut s) };
    debug_assert_eq!(rc, 0);
    s
}

/// The readable report of `ox_stats_print`: the totals, then a table of
/// the size classes with live blocks, one line each.  This is what
/// `OXALLOC_SHOW_STATS=1` prints at exit.
///
/// ```
/// let report = oxalloc::stats_report();
/// assert!(report.starts_with("oxalloc "));
/// assert!(report.contains("allocated bytes"));
/// assert!(report.ends_with('\n'));
/// print!("{report}");
/// ```
pub fn stats_report() -> String {
    collect(ox_stats_print)
}

/// The same snapshot as one JSON object (`ox_stats_json`), with the field
/// names of [`Stats`] and a `"classes"` array of the classes with live
/// blocks.
///
/// ```
/// let json = oxalloc::stats_json();
/// assert!(json.starts_with('{') && json.trim_end().ends_with('}'));
/// assert!(json.contains("\"allocated_bytes\":"));
/// assert!(json.contains("\"classes\":["));
/// ```
pub fn stats_json() -> String {
    collect(ox_stats_json)
}

type Printer = unsafe extern "C" fn(extern "C" fn(*const c_char, *mut c_void), *mut c_void);

/// Where the C printer writes: a String that must not grow.
struct Sink {
    text: String,
    needed: usize,
}

/// The callback of the C printers.  The C side asks it not to allocate
/// (when malloc is oxalloc, allocating here could re-enter the
/// allocator), so it only appends within the capacity reserved in
/// advance, and counts what did not fit.
extern "C" fn append(piece: *const c_char, arg: *mut c_void) {
    // SAFETY: `arg` is the `Sink` passed by `collect`, `piece` a C string.
    let (sink, bytes) = unsafe { (&mut *(arg as *mut Sink), CStr::from_ptr(piece).to_bytes()) };
    sink.needed += bytes.len();
    if sink.text.len() + bytes.len() > sink.text.capacity() {
        return;
    }
    for &b in bytes {
        // The reports are ASCII; anything else shows as '?'.
        sink.text.push(if b.is_ascii() { b as char } else { '?' });
    }
}

/// Runs `print` into a String reserved large enough beforehand, retrying
/// with the size it turned out to need if the report grew in between.
fn collect(print: Printer) -> String {
    let mut capacity = 4096;
    loop {
        let mut sink = Sink { text: String::with_capacity(capacity), needed: 0 };
        // SAFETY: `append` matches the callback type; `sink` outlives the call.
        unsafe { print(append, &mut sink as *mut Sink as *mut c_void) };
        if sink.needed <= sink.text.len() {
            return sink.text;
        }
        capacity = sink.needed + sink.needed / 2;
    }
}
