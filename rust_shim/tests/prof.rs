//! `oxalloc::prof`: a Rust program with oxalloc as its global
//! allocator profiles itself, and the profile says where its live bytes
//! came from: 3/4 of them from one function, 1/4 from another.  The bytes
//! are checked by decoding nothing but the gzip header here; the split is
//! checked with `go tool pprof` when Go is installed (tests/prof runs it
//! on every C path; this is the Rust path).
#![cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]

use oxalloc::OxAlloc;
use std::process::Command;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

#[inline(never)]
fn three_quarters() -> Vec<u8> {
    vec![1u8; 3000]
}

#[inline(never)]
fn one_quarter() -> Vec<u8> {
    vec![1u8; 1000]
}

/// The tests share the process's profile: one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn thread_counters() {
    let _one = serial();
    // Through the global allocator: this thread's bytes, block sizes
    // (4096 is a class size, so the figures are exact).
    let before = oxalloc::stats();
    let v: Vec<Vec<u8>> = (0..100).map(|_| Vec::with_capacity(4096)).collect();
    let during = oxalloc::stats();
    drop(v);
    let after = oxalloc::stats();
    let alloc = during.thread_allocated_bytes - before.thread_allocated_bytes;
    let freed = after.thread_deallocated_bytes - during.thread_deallocated_bytes;
    // The outer Vec's buffer (100 * 24 bytes) too; the checked build adds
    // a 16-byte trailer to each block, which takes the next class (4608).
    let most = 100 * 4608 + 4096;
    assert!(alloc >= 100 * 4096 && alloc <= most, "allocated {alloc}");
    assert!(freed >= 100 * 4096 && freed <= most, "freed {freed}");
    assert!(after.total_allocated_bytes >= after.thread_allocated_bytes);
    assert!(after.peak_committed_bytes >= after.committed_bytes);
}

#[test]
fn profile_round_trip() {
    let _one = serial();
    oxalloc::prof::start(16 * 1024).expect("start");
    let mut keep = Vec::with_capacity(40_000);
    for _ in 0..20_000 {
        keep.push(three_quarters());
        keep.push(one_quarter());
    }
    let bytes = oxalloc::prof::to_pprof_bytes().expect("to_pprof_bytes");
    assert!(bytes.len() > 100 && bytes[0] == 0x1f && bytes[1] == 0x8b, "not gzip");
    let dir = std::env::temp_dir().join(format!("oxalloc-prof-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("heap.pb.gz");
    oxalloc::prof::dump(&path).expect("dump");
    oxalloc::prof::stop();
    assert!(oxalloc::prof::dump("/nonexistent-dir/x.pb.gz").is_err());
    drop(keep);

    let exe = std::env::current_exe().unwrap();
    let out = Command::new("go")
        .args(["tool", "pprof", "-top", "-sample_index=inuse_space"])
        .arg(&exe)
        .arg(&path)
        .env("HOME", &dir)
        .env("GOCACHE", dir.join("gocache"))
        .env("GOTOOLCHAIN", "local")
        .env("PPROF_TMPDIR", &dir)
        .output();
    let out = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => {
            eprintln!("go tool pprof not available: split not checked");
            return;
        }
    };
    // "flat flat% sum% cum cum% name": the cum% of each function (the
    // leaves are Rust's allocation shims, __rust_alloc and the like).
    let pct = |name: &str| -> f64 {
        out.lines()
            .filter(|l| l.split_whitespace().nth(5) == Some(name))
            .filter_map(|l| l.split_whitespace().nth(4))
            .filter_map(|p| p.trim_end_matches('%').parse::<f64>().ok())
            .fold(0.0, f64::max)
    };
    let (a, b) = (pct("three_quarters"), pct("one_quarter"));
    assert!((a - 75.0).abs() <= 5.0 && (b - 25.0).abs() <= 5.0, "split {a}/{b} ({}):\n{out}", path.display());
    let _ = std::fs::remove_dir_all(&dir);
}
