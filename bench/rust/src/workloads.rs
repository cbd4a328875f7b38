//! The Rust workloads (bench/README.md): vec-push-small-{1,32},
//! vec-push-medium, vec-push-large, rust-collections, and Rust versions of
//! fifo-lifo-S and threads-N (rust-fifo-lifo-S, rust-threads-N).
//!
//! Like the C workloads, every block carries a deterministic stamp that is
//! checked before it is dropped, and the checksum (a wrapping sum, so
//! independent of thread interleaving) must be equal for every allocator.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;

pub const NAMES: &[&str] = &[
    "vec-push-small-1", "vec-push-small-32", "vec-push-medium", "vec-push-large",
    "rust-collections", "rust-fifo-lifo-S (S = 16..256)", "rust-threads-N",
];

#[derive(Default)]
pub struct Outcome {
    pub checksum: u64,
    pub ops: u64,
    pub errors: u64,
}

impl Outcome {
    fn add(&mut self, other: &Outcome) {
        self.checksum = self.checksum.wrapping_add(other.checksum);
        self.ops += other.ops;
        self.errors += other.errors;
    }
}

/// splitmix64, the same generator as bench/c/common.h.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn mix(x: u64) -> u64 {
    Rng(x).next()
}

fn scaled(base: u64, scale: f64) -> u64 {
    ((base as f64 * scale) as u64).max(1)
}

/// Runs the workload `name`; None when there is no such workload.
pub fn run(name: &str, scale: f64) -> Option<Outcome> {
    let param = |prefix: &str| name.strip_prefix(prefix).and_then(|n| n.parse::<usize>().ok());
    Some(match name {
        "vec-push-small-1" => vec_push_small(1, scale),
        "vec-push-small-32" => vec_push_small(32, scale),
        "vec-push-medium" => vec_push_medium(scale),
        "vec-push-large" => vec_push_large(scale),
        "rust-collections" => collections(scale),
        _ => {
            if let Some(s) = param("rust-fifo-lifo-") {
                fifo_lifo(s, scale)?
            } else if let Some(n) = param("rust-threads-") {
                threads(n.max(1), scale)
            } else {
                return None;
            }
        }
    })
}

/// Runs `f(index)` on `n` threads started together; sums their outcomes.
fn on_threads(n: usize, f: impl Fn(usize) -> Outcome + Send + Sync + 'static) -> Outcome {
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (f, barrier) = (Arc::clone(&f), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                f(i)
            })
        })
        .collect();
    let mut total = Outcome::default();
    for h in handles {
        total.add(&h.join().expect("worker thread panicked"));
    }
    total
}

/// vec-push-small: a Vec<usize> from empty, 500 pushes, checked and
/// dropped; the same total number of vectors on 1 or on 32 threads.
fn vec_push_small(nthreads: usize, scale: f64) -> Outcome {
    let per_thread = (scaled(300_000, scale) / nthreads as u64).max(1);
    on_threads(nthreads, move |t| {
        let mut out = Outcome::default();
        for r in 0..per_thread {
            let base = (t as u64) << 40 | r;
            let mut v: Vec<usize> = Vec::new();
            for i in 0..500 {
                v.push((base + i) as usize);
            }
            let v = black_box(v);
            out.checksum = out.checksum.wrapping_add(v[499] as u64 ^ v[0] as u64);
            if v[250] as u64 != base + 250 {
                out.errors += 1;
            }
            out.ops += 1;
        }
        out
    })
}

/// vec-push-medium: a Vec<usize> of 16 Ki elements, push 500 000 more;
/// the workload's definition says 50 repetitions; 100 (times the scale) make a run
/// last long enough to time (about 0.1 s).
fn vec_push_medium(scale: f64) -> Outcome {
    let mut out = Outcome::default();
    for r in 0..scaled(100, scale) {
        let mut v: Vec<usize> = (0..16 * 1024).collect();
        for i in 0..500_000 {
            v.push(i ^ r as usize);
        }
        let v = black_box(v);
        out.checksum = out.checksum.wrapping_add(v.iter().step_by(1021).map(|&x| x as u64).sum::<u64>());
        if v.len() != 16 * 1024 + 500_000 || v[16 * 1024] != r as usize {
            out.errors += 1;
        }
        out.ops += 1;
    }
    out
}

/// vec-push-large: a Vec<[usize; 1024]> from empty, 1000 pushes; 100
/// repetitions (2 x the definition's 50, as above), times the scale.
fn vec_push_large(scale: f64) -> Outcome {
    let mut out = Outcome::default();
    for r in 0..scaled(100, scale) {
        let mut v: Vec<[usize; 1024]> = Vec::new();
        for i in 0..1000usize {
            let mut page = [0usize; 1024];
            page[0] = i;
            page[1023] = i ^ r as usize;
            v.push(page);
        }
        let v = black_box(v);
        for (i, page) in v.iter().enumerate() {
            if page[0] != i || page[1023] != i ^ r as usize {
                out.errors += 1;
            }
        }
        out.checksum = out.checksum.wrapping_add(v[999][1023] as u64);
        out.ops += 1;
    }
    out
}

/// rust-collections: build, check and drop a BTreeMap<String, Vec<u8>>, a
/// HashMap<u64, String> and a Vec<Box<[u8]>> of mixed sizes (8 B-64 KiB,
/// log-uniform).
fn collections(scale: f64) -> Outcome {
    let mut out = Outcome::default();
    let mut rng = Rng(21);
    for _ in 0..scaled(8, scale) {
        let mut tree: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut hash: HashMap<u64, String> = HashMap::new();
        let mut boxes: Vec<Box<[u8]>> = Vec::new();
        for _ in 0..10_000 {
            let k = rng.next();
            let len = rng.range(0, 256) as usize;
            tree.insert(format!("key-{k:016x}"), vec![(k & 0xff) as u8; len]);
            hash.insert(k, format!("value-{}", k % 1_000_003));
            let size = 8usize << rng.range(0, 13);
            let mut b = vec![0u8; size].into_boxed_slice();
            b[0] = k as u8;
            b[size - 1] = (k >> 8) as u8;
            boxes.push(b);
            out.ops += 4;
        }
        for (key, value) in &tree {
            let k = u64::from_str_radix(&key[4..], 16).unwrap_or(0);
            if value.iter().any(|&x| x != (k & 0xff) as u8) {
                out.errors += 1;
            }
            out.checksum = out.checksum.wrapping_add(mix(k) ^ value.len() as u64);
        }
        for (k, v) in &hash {
            out.checksum = out.checksum.wrapping_add(mix(*k) ^ v.len() as u64);
        }
        for b in &boxes {
            out.checksum = out.checksum.wrapping_add(b.len() as u64 ^ b[0] as u64 ^ b[b.len() - 1] as u64);
        }
        drop(black_box((tree, hash, boxes)));
    }
    out
}

const CHUNKS: usize = 1600;

/// Checks a stamped chunk [id, ..., mix(id)] and folds it into `out`.
fn check<const N: usize>(out: &mut Outcome, chunk: &[u64; N], id: u64) {
    if chunk[0] != id || chunk[N - 1] != mix(id) {
        out.errors += 1;
    }
    out.checksum = out.checksum.wrapping_add(mix(id));
}

fn stamped<const N: usize>(id: u64) -> Box<[u64; N]> {
    let mut a = [0u64; N];
    a[0] = id;
    a[N - 1] = mix(id);
    Box::new(a)
}

/// rust-fifo-lifo-S with S = 8 * N bytes: 1600 Box<[u64; N]>, the first
/// half dropped in FIFO order, the second in LIFO order.
fn fifo_lifo_n<const N: usize>(rounds: u64) -> Outcome {
    let mut out = Outcome::default();
    let mut id = 0u64;
    let mut chunks: Vec<Box<[u64; N]>> = Vec::with_capacity(CHUNKS);
    for _ in 0..rounds {
        let first = id;
        for _ in 0..CHUNKS {
            chunks.push(stamped::<N>(id));
            id += 1;
        }
        // FIFO half: drain from the front; LIFO half: pop from the back.
        let mut back = chunks.split_off(CHUNKS / 2);
        for (i, c) in chunks.drain(..).enumerate() {
            check(&mut out, &c, first + i as u64);
        }
        while let Some(c) = back.pop() {
            check(&mut out, &c, first + (CHUNKS / 2 + back.len()) as u64);
        }
    }
    out.ops = id;
    out
}

fn fifo_lifo(size: usize, scale: f64) -> Option<Outcome> {
    let rounds = scaled(8_000, scale);
    Some(match size {
        16 => fifo_lifo_n::<2>(rounds),
        32 => fifo_lifo_n::<4>(rounds),
        64 => fifo_lifo_n::<8>(rounds),
        128 => fifo_lifo_n::<16>(rounds),
        256 => fifo_lifo_n::<32>(rounds),
        _ => return None,
    })
}

/// rust-threads-N: N threads, each allocating then dropping 1600
/// Box<[u64; 16]> (128 B) per round.
fn threads(n: usize, scale: f64) -> Outcome {
    let rounds = scaled(2_500, scale);
    on_threads(n, move |t| {
        let mut out = Outcome::default();
        let mut id = (t as u64) << 40;
        let mut chunks: Vec<Box<[u64; 16]>> = Vec::with_capacity(CHUNKS);
        for _ in 0..rounds {
            let first = id;
            for _ in 0..CHUNKS {
                chunks.push(stamped::<16>(id));
                id += 1;
            }
            for (i, c) in chunks.drain(..).enumerate() {
                check(&mut out, &c, first + i as u64);
            }
            out.ops += CHUNKS as u64;
        }
        out
    })
}
