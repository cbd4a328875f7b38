//! With the feature `checked` (C core built with -DOX_CHECKED=1), a
//! deallocation with the wrong layout aborts the process with a message
//! naming the layouts.  The bad call runs in a child process: this test
//! binary re-executed with OXALLOC_TEST_CHILD set.
#![cfg(feature = "checked")]
mod common;

use common::layout;
use oxalloc::OxAlloc;
use std::alloc::GlobalAlloc;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

const SIGABRT: i32 = 6;

/// Runs `name` (a test of this file) in a child with OXALLOC_TEST_CHILD=1;
/// returns its signal and standard error.
fn run_child(name: &str) -> (Option<i32>, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("OXALLOC_TEST_CHILD", "1")
        .output()
        .unwrap();
    (out.status.signal(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn in_child() -> bool {
    std::env::var_os("OXALLOC_TEST_CHILD").is_some()
}

#[test]
fn wrong_size_aborts() {
    if in_child() {
        unsafe {
            let p = OxAlloc.alloc(layout(100, 8));
            OxAlloc.dealloc(p, layout(3000, 8));
        }
        return;
    }
    let (signal, stderr) = run_child("wrong_size_aborts");
    assert_eq!(signal, Some(SIGABRT), "stderr: {stderr}");
    assert!(stderr.contains("100") && stderr.contains("3000"), "stderr: {stderr}");
}

#[test]
fn wrong_alignment_aborts() {
    if in_child() {
        unsafe {
            let p = OxAlloc.alloc(layout(256, 64));
            OxAlloc.dealloc(p, layout(256, 4096));
        }
        return;
    }
    let (signal, stderr) = run_child("wrong_alignment_aborts");
    assert_eq!(signal, Some(SIGABRT), "stderr: {stderr}");
    assert!(stderr.contains("4096"), "stderr: {stderr}");
}

#[test]
fn right_layouts_pass() {
    for (size, align) in [(1, 1), (100, 8), (5000, 64), (1 << 20, 4096)] {
        let l = layout(size, align);
        let p = unsafe { OxAlloc.alloc(l) };
        assert!(!p.is_null());
        let q = unsafe { OxAlloc.realloc(p, l, size * 2) };
        assert!(!q.is_null());
        unsafe { OxAlloc.dealloc(q, layout(size * 2, align)) };
    }
}
