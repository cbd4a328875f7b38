//! `oxalloc::owns` and `oxalloc::usable_size` are safe functions: asked
//! about blocks that another thread is freeing (and oxalloc unmapping) at
//! the same moment, they must answer, never fault.  A stress, ignored by
//! the plain `cargo test`: `make test-addrmap` runs it for
//! OXTEST_SECONDS with OXALLOC_HUGE_CACHE_MB=0 and
//! OXALLOC_SEGMENT_CACHE=0 (every freed mapping goes back to the OS at
//! once), pinned to one CPU.
use oxalloc::OxAlloc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

const MIB: usize = 1 << 20;
const SLOTS: usize = 32;

struct Shared {
    ptr: [AtomicUsize; SLOTS],
    size: [AtomicUsize; SLOTS],
    stop: AtomicBool,
    rounds: AtomicU64,
}

#[test]
#[ignore = "a timed stress: make test-addrmap runs it"]
fn owns_and_usable_size_on_blocks_freed_by_another_thread() {
    let seconds: f64 = std::env::var("OXTEST_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let shared = Arc::new(Shared {
        ptr: std::array::from_fn(|_| AtomicUsize::new(0)),
        size: std::array::from_fn(|_| AtomicUsize::new(0)),
        stop: AtomicBool::new(false),
        rounds: AtomicU64::new(0),
    });
    let churn = {
        let s = Arc::clone(&shared);
        thread::spawn(move || {
            let publish = |slot: usize, p: *const u8, size: usize| {
                s.size[slot].store(size, Ordering::SeqCst);
                s.ptr[slot].store(p as usize, Ordering::SeqCst);
            };
            while !s.stop.load(Ordering::SeqCst) {
                // Huge blocks: one mapping each, unmapped when dropped.
                for (k, size) in [100 * MIB, 5 * MIB, 700 << 10].into_iter().enumerate() {
                    let v: Vec<u8> = Vec::with_capacity(size);
                    assert!(oxalloc::owns(v.as_ptr()));
                    assert!(oxalloc::usable_size(v.as_ptr()) >= size);
                    publish(k, v.as_ptr(), size);
                }
                // Blocks of 300 KiB: one page per 4 MiB segment, so the
                // segments go back to the OS with their last block.
                let run: Vec<Box<[u8]>> = (3..SLOTS).map(|_| vec![1u8; 300 << 10].into_boxed_slice()).collect();
                for (i, b) in run.iter().enumerate() {
                    publish(3 + i, b.as_ptr(), b.len());
                }
                drop(run);
                s.rounds.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let start = Instant::now();
    let mut queries = 0u64;
    let mut sink = 0usize;
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        for i in 0..SLOTS {
            let p = shared.ptr[i].load(Ordering::SeqCst) as *const u8;
            let size = shared.size[i].load(Ordering::SeqCst);
            if p.is_null() {
                continue;
            }
            let end = p.wrapping_add(size - 1);
            sink += oxalloc::owns(p) as usize + oxalloc::owns(end) as usize;
            let u = oxalloc::usable_size(p);
            assert!(u == 0 || u >= 16, "usable_size({p:p}) = {u}");
            sink += u + oxalloc::usable_size(p.wrapping_add(size / 2));
            queries += 4;
        }
    }
    shared.stop.store(true, Ordering::SeqCst);
    churn.join().unwrap();
    let rounds = shared.rounds.load(Ordering::Relaxed);
    println!("owns_dangling: {rounds} rounds of frees, {queries} queries (sink {})", sink % 7);
    assert!(rounds > 0 && queries > 0);
}
