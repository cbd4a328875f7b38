//! A block freed twice through `GlobalAlloc` (dealloc, realloc of a freed
//! block, a second drop of a `Box`, frees from another thread) stops the
//! process with "oxalloc: double free of 0x..." instead of handing the
//! block out again.  Each misuse runs in a child process (this binary,
//! re-run on the ignored `child` test with the misuse named in the
//! environment); the parent checks that it died by SIGABRT with that line.
#![cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]

use oxalloc::OxAlloc;
use std::alloc::{GlobalAlloc, Layout};
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::Duration;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

const MODE_VAR: &str = "OX_DOUBLE_FREE_TEST_MODE"; // not OXALLOC_*: no option

fn layout() -> Layout {
    Layout::new::<[u8; 64]>() // a Box<[u8; 64]>'s, for the "box" misuse
}

/// Child: tells the parent which address the misuse is about.
fn announce(p: *const u8) {
    println!("\naddr={:#x}", p as usize); // after the harness's "test child ... "
}

/// Child: after a misuse it survived, how often the block comes back.
fn survived(p: *mut u8) -> ! {
    let again = (0..5000).filter(|_| unsafe { OxAlloc.alloc(layout()) } == p).count();
    eprintln!("not reported; {p:p} handed out {again} times in the next 5000 allocations");
    std::process::exit(0)
}

fn misuse(mode: &str) {
    // A hang (a free list closed on itself) ends the child, not the suite.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(20));
        eprintln!("watchdog: the child hung");
        std::process::exit(99);
    });
    let l = layout();
    unsafe {
        let p = OxAlloc.alloc(l);
        assert!(!p.is_null());
        announce(p);
        match mode {
            "dealloc" => {
                OxAlloc.dealloc(p, l);
                OxAlloc.dealloc(p, l);
            }
            "realloc" => {
                OxAlloc.dealloc(p, l);
                let _ = OxAlloc.realloc(p, l, 4000);
            }
            "box" => {
                let b = Box::from_raw(p as *mut [u8; 64]);
                drop(b);
                drop(Box::from_raw(p as *mut [u8; 64]));
            }
            "thread" => {
                let addr = p as usize;
                std::thread::spawn(move || {
                    OxAlloc.dealloc(addr as *mut u8, layout());
                    OxAlloc.dealloc(addr as *mut u8, layout());
                })
                .join()
                .unwrap();
            }
            _ => panic!("unknown misuse {mode}"),
        }
        survived(p);
    }
}

/// Runs in the child only (the parent sets the variable).
#[test]
#[ignore]
fn child() {
    if let Ok(mode) = std::env::var(MODE_VAR) {
        misuse(&mode);
    }
}

fn expect_double_free_abort(mode: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(MODE_VAR, mode)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let addr = stdout
        .lines()
        .find_map(|l| l.strip_prefix("addr="))
        .unwrap_or_else(|| panic!("{mode}: the child said no address; stdout {stdout}, stderr {stderr}"));
    let want = format!("oxalloc: double free of {addr}");
    assert!(
        out.status.signal() == Some(6) && stderr.lines().any(|l| l == want),
        "{mode}: child ended with {:?}, stderr \"{}\"; expected SIGABRT and \"{want}\"",
        out.status,
        stderr.trim_end()
    );
}

#[test]
fn dealloc_twice_aborts() {
    expect_double_free_abort("dealloc");
}

#[test]
fn realloc_of_a_freed_block_aborts() {
    expect_double_free_abort("realloc");
}

#[test]
fn box_dropped_twice_aborts() {
    expect_double_free_abort("box");
}

#[test]
fn dealloc_twice_from_another_thread_aborts() {
    expect_double_free_abort("thread");
}
