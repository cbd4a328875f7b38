//! `oxalloc::stats`, `stats_report` and `stats_json` against allocations
//! this binary makes itself (statistics).  No global allocator
//! here: the test harness's own allocations stay out of oxalloc, so in the
//! default row the counts are exact.  In the `override` row malloc is
//! oxalloc too and the harness adds a little noise, hence `near`.
#![cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]

use oxalloc::{OxAlloc, Stats};
use std::alloc::{GlobalAlloc, Layout};
use std::process::Command;
use std::sync::{mpsc, Mutex, MutexGuard};

/// Whether other code of this process (the harness) allocates from oxalloc.
const NOISY: bool = cfg!(oxalloc_row = "override");

/// Tests read process-wide counters: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// `got == want`, or close to it in the noisy row.
#[track_caller]
fn near(got: isize, want: isize, what: &str) {
    let slack = if NOISY { 64 } else { 0 };
    assert!((got - want).abs() <= slack, "{what}: got {got}, want {want} (slack {slack})");
}

fn delta(after: usize, before: usize) -> isize {
    after as isize - before as isize
}

/// The class entry whose block holds `size` bytes (the smallest that fits).
fn class_for(s: &Stats, size: usize) -> usize {
    s.classes().iter().position(|c| c.block_size >= size).expect("a class fits")
}

/// `n` blocks of `layout` from oxalloc (rust_alloc), written to.
fn alloc_n(layout: Layout, n: usize) -> Vec<usize> {
    (0..n)
        .map(|i| {
            let p = unsafe { OxAlloc.alloc(layout) };
            assert!(!p.is_null());
            unsafe { p.write_bytes(i as u8, layout.size()) };
            p as usize
        })
        .collect()
}

fn free_all(blocks: &[usize], layout: Layout) {
    for &p in blocks {
        unsafe { OxAlloc.dealloc(p as *mut u8, layout) };
    }
}

#[test]
fn layout_matches_ox_stats_t() {
    // The C compiler checks that Stats and SizeClass are ox_stats_t.
    let fields = [
        ("allocated_bytes", std::mem::offset_of!(Stats, allocated_bytes)),
        ("allocated_blocks", std::mem::offset_of!(Stats, allocated_blocks)),
        ("huge_blocks", std::mem::offset_of!(Stats, huge_blocks)),
        ("huge_bytes", std::mem::offset_of!(Stats, huge_bytes)),
        ("pages_in_use", std::mem::offset_of!(Stats, pages_in_use)),
        ("segments_in_use", std::mem::offset_of!(Stats, segments_in_use)),
        ("committed_bytes", std::mem::offset_of!(Stats, committed_bytes)),
        ("resident_bytes", std::mem::offset_of!(Stats, resident_bytes)),
        ("returned_bytes", std::mem::offset_of!(Stats, returned_bytes)),
        ("os_calls", std::mem::offset_of!(Stats, os_calls)),
        ("remote_frees", std::mem::offset_of!(Stats, remote_frees)),
        ("threads_seen", std::mem::offset_of!(Stats, threads_seen)),
        // after the class table
        ("thread_allocated_bytes", std::mem::offset_of!(Stats, thread_allocated_bytes)),
        ("thread_deallocated_bytes", std::mem::offset_of!(Stats, thread_deallocated_bytes)),
        ("total_allocated_bytes", std::mem::offset_of!(Stats, total_allocated_bytes)),
        ("total_deallocated_bytes", std::mem::offset_of!(Stats, total_deallocated_bytes)),
        ("peak_committed_bytes", std::mem::offset_of!(Stats, peak_committed_bytes)),
        ("pending_purge_bytes", std::mem::offset_of!(Stats, pending_purge_bytes)),
        ("kept_page_bytes", std::mem::offset_of!(Stats, kept_page_bytes)),
        ("segment_cache_bytes", std::mem::offset_of!(Stats, segment_cache_bytes)),
        ("huge_cache_bytes", std::mem::offset_of!(Stats, huge_cache_bytes)),
    ];
    let class = std::mem::size_of::<oxalloc::SizeClass>();
    let mut c = String::from("#include <stddef.h>\n#include <oxalloc.h>\n");
    let mut check = |cond: String| c.push_str(&format!("_Static_assert({cond}, \"{cond}\");\n"));
    check(format!("sizeof(ox_stats_t) == {}", std::mem::size_of::<Stats>()));
    check(format!("_Alignof(ox_stats_t) == {}", std::mem::align_of::<Stats>()));
    for (name, off) in fields {
        check(format!("offsetof(ox_stats_t, {name}) == {off}"));
    }
    check(format!("offsetof(ox_stats_t, class_count) == {}", fields[11].1 + 8));
    check(format!("sizeof(((ox_stats_t *)0)->classes[0]) == {class}"));
    check(format!("offsetof(ox_stats_t, classes) + OX_STATS_MAX_CLASSES * {class} == offsetof(ox_stats_t, thread_allocated_bytes)"));
    check(format!("offsetof(ox_stats_t, huge_cache_bytes) + 8 == sizeof(ox_stats_t)"));
    check(format!("offsetof(ox_stats_t, classes[0].live_blocks) - offsetof(ox_stats_t, classes) == {}",
        std::mem::offset_of!(oxalloc::SizeClass, live_blocks)));

    let dir = std::env::temp_dir().join(format!("oxalloc_stats_layout_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("layout.c");
    std::fs::write(&file, &c).unwrap();
    let include = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(cc)
        .args(["-std=c11", "-fsyntax-only"])
        .arg(format!("-I{}", include.display()))
        .arg(&file)
        .output()
        .expect("run the C compiler");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{}\n{c}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn class_counts_follow_allocations() {
    let _g = serial();
    let layout = Layout::from_size_align(48, 8).unwrap();
    let before = oxalloc::stats();
    let blocks = alloc_n(layout, 1000);
    let during = oxalloc::stats();
    // The class that grew most (the checked build adds a trailer, so it
    // need not be the smallest class that fits 48 bytes).
    let cls = (0..during.classes().len())
        .max_by_key(|&c| delta(during.classes()[c].live_blocks, before.classes()[c].live_blocks))
        .unwrap();
    let block = during.classes()[cls].block_size;
    assert!(block >= 48 && cls >= class_for(&during, 48), "class {cls} of {block} bytes");
    near(delta(during.classes()[cls].live_blocks, before.classes()[cls].live_blocks), 1000, "class live blocks");
    near(delta(during.allocated_blocks, before.allocated_blocks), 1000, "allocated blocks");
    if !NOISY {
        assert_eq!(delta(during.allocated_bytes, before.allocated_bytes), 1000 * block as isize);
    }
    assert!(during.pages_in_use >= 1 && during.segments_in_use >= 1);
    assert!(during.committed_bytes >= during.resident_bytes);
    assert!(during.resident_bytes >= during.allocated_bytes);
    let in_classes: usize = during.classes().iter().map(|c| c.live_blocks).sum();
    assert_eq!(in_classes + during.huge_blocks, during.allocated_blocks);
    free_all(&blocks, layout);
    let after = oxalloc::stats();
    near(delta(after.classes()[cls].live_blocks, before.classes()[cls].live_blocks), 0, "live after free");
    near(delta(after.allocated_blocks, before.allocated_blocks), 0, "allocated after free");
}

#[test]
fn huge_blocks_are_counted_apart() {
    let _g = serial();
    let before = oxalloc::stats();
    let largest = before.classes().last().unwrap().block_size;
    let layouts = [Layout::from_size_align(largest * 4, 8).unwrap(), Layout::from_size_align(20 << 20, 4096).unwrap()];
    let blocks: Vec<usize> = layouts.iter().map(|&l| alloc_n(l, 1)[0]).collect();
    let during = oxalloc::stats();
    near(delta(during.huge_blocks, before.huge_blocks), 2, "huge blocks");
    assert!(delta(during.huge_bytes, before.huge_bytes) >= (largest * 4 + (20 << 20)) as isize);
    assert!(during.os_calls > 0 && during.os_calls >= before.os_calls);
    for (p, l) in blocks.iter().zip(layouts) {
        free_all(&[*p], l);
    }
    let after = oxalloc::stats();
    near(delta(after.huge_blocks, before.huge_blocks), 0, "huge blocks after free");
    assert!(after.huge_bytes <= during.huge_bytes - (20 << 20));
}

#[test]
fn threads_and_remote_frees_are_counted() {
    let _g = serial();
    let layout = Layout::from_size_align(200, 8).unwrap();
    let before = oxalloc::stats();
    let (to_main, from_thread) = mpsc::channel();
    let (to_thread, from_main) = mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        to_main.send(alloc_n(layout, 100)).unwrap();
        from_main.recv().unwrap(); // stay alive while main frees them
    });
    let blocks = from_thread.recv().unwrap();
    free_all(&blocks, layout); // another thread's blocks: remote frees
    let during = oxalloc::stats();
    to_thread.send(()).unwrap();
    t.join().unwrap();
    assert!(delta(during.threads_seen, before.threads_seen) >= 1, "threads seen");
    assert!(delta(during.remote_frees, before.remote_frees) >= 100, "remote frees");
}

/// `"key":N` from a flat JSON text.
fn json_number(json: &str, key: &str) -> usize {
    let at = json.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("{key} in {json}"));
    let digits: String = json[at + key.len() + 3..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// Brackets and quotes balance, in order: a cheap well-formedness check.
fn balanced(json: &str) -> bool {
    let mut stack = Vec::new();
    let mut in_string = false;
    for ch in json.chars() {
        match (in_string, ch) {
            (true, '"') => in_string = false,
            (true, _) => {}
            (false, '"') => in_string = true,
            (false, '{' | '[') => stack.push(ch),
            (false, '}') if stack.pop() != Some('{') => return false,
            (false, ']') if stack.pop() != Some('[') => return false,
            _ => {}
        }
    }
    stack.is_empty() && !in_string
}

#[test]
fn reports_show_every_live_class() {
    let _g = serial();
    // One block in every class: the report outgrows its first buffer.
    let sizes: Vec<usize> = oxalloc::stats().classes().iter().map(|c| c.block_size).collect();
    let blocks: Vec<(usize, Layout)> = sizes
        .iter()
        .map(|&size| {
            let l = Layout::from_size_align(size, 8).unwrap();
            (alloc_n(l, 1)[0], l)
        })
        .collect();
    let s = oxalloc::stats();
    let report = oxalloc::stats_report();
    let json = oxalloc::stats_json();
    for (p, l) in &blocks {
        free_all(&[*p], *l);
    }

    assert!(report.starts_with(&format!("oxalloc {}.", env!("CARGO_PKG_VERSION_MAJOR"))), "{report}");
    let live = s.classes().iter().filter(|c| c.live_blocks > 0).count();
    let rows = report.lines().filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit())).count();
    assert_eq!(rows, live, "{report}");
    assert!(report.len() > 4096, "report of {} bytes", report.len());
    for c in s.classes().iter().filter(|c| c.live_blocks > 0) {
        let row = report.lines().any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() == 4 && cols[1] == c.block_size.to_string()
        });
        assert!(row, "no row for block size {} in\n{report}", c.block_size);
    }
    assert!(balanced(&json), "{json}");
    assert_eq!(json.matches("\"block_size\":").count(), live);
    near(delta(json_number(&json, "allocated_blocks"), s.allocated_blocks), 0, "json allocated_blocks");
    near(delta(json_number(&json, "threads_seen"), s.threads_seen), 0, "json threads_seen");
}
