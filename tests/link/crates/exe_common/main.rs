//! Rows 1 and 2 of the link matrix: a Rust executable with OxAlloc as its
//! global allocator and some C code (c_part.c) linked in.
//!
//!   exe_native   expect-malloc=system    Rust's blocks are oxalloc's, C's are not
//!   exe_override expect-malloc=oxalloc   C's malloc, strdup and getline are too
//!
//! Prints one line per check and exits with status 1 if any failed.
use oxalloc::OxAlloc;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

extern "C" {
    fn c_part_malloc(n: usize) -> *mut c_void;
    fn c_part_strdup(s: *const c_char) -> *mut c_char;
    fn c_part_getline() -> *mut c_char;
    fn c_part_free(p: *mut c_void);
}

struct Checks {
    failed: usize,
}

impl Checks {
    fn check(&mut self, what: &str, ok: bool) {
        println!("{} {what}", if ok { "ok  " } else { "FAIL" });
        self.failed += usize::from(!ok);
    }
}

/// Box, Vec, String and HashMap (table and values) are oxalloc's.
fn rust_blocks(c: &mut Checks) {
    let b = Box::new(42u64);
    let v: Vec<u32> = (0..1000).collect();
    let s = String::from("a Rust string");
    let mut m = HashMap::new();
    for i in 0..100 {
        m.insert(i, format!("value {i}"));
    }
    c.check("Box is oxalloc's", oxalloc::owns(&*b));
    c.check("Vec is oxalloc's", oxalloc::owns(v.as_ptr()));
    c.check("String is oxalloc's", oxalloc::owns(s.as_ptr()));
    c.check("HashMap table is oxalloc's", m.keys().all(|k| oxalloc::owns(k)));
    c.check("HashMap values are oxalloc's", m.values().all(|v| oxalloc::owns(v.as_ptr())));
}

/// C's blocks are oxalloc's exactly when malloc is overridden.
fn c_blocks(c: &mut Checks, malloc_is_oxalloc: bool) {
    unsafe {
        let p = c_part_malloc(100);
        let d = c_part_strdup(c"duplicated by C".as_ptr());
        let line = c_part_getline();
        let want = if malloc_is_oxalloc { "oxalloc's" } else { "not oxalloc's" };
        c.check(&format!("C malloc is {want}"), oxalloc::owns(p) == malloc_is_oxalloc);
        c.check(&format!("C strdup is {want}"), oxalloc::owns(d) == malloc_is_oxalloc);
        c.check(&format!("C getline buffer is {want}"), !line.is_null() && oxalloc::owns(line) == malloc_is_oxalloc);
        c.check("getline read the line", !line.is_null() && CStr::from_ptr(line).to_bytes() == b"first line\n");
        c_part_free(p);
        c_part_free(d.cast());
        c_part_free(line.cast());
    }
}

/// With malloc overridden one allocator serves both sides, so a Rust
/// block may be released by C `free`.
fn rust_block_freed_by_c(c: &mut Checks) {
    let s = String::from("handed to C").into_boxed_str();
    let p = Box::into_raw(s) as *mut u8;
    unsafe { c_part_free(p.cast()) };
    let again = vec![1u8; 11];
    c.check("Rust block freed by C free, heap still usable", again.iter().sum::<u8>() == 11);
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    let malloc_is_oxalloc = match arg.as_str() {
        "expect-malloc=oxalloc" => true,
        "expect-malloc=system" => false,
        _ => {
            eprintln!("usage: exe expect-malloc=oxalloc|system");
            std::process::exit(2);
        }
    };
    let mut c = Checks { failed: 0 };
    rust_blocks(&mut c);
    c_blocks(&mut c, malloc_is_oxalloc);
    if malloc_is_oxalloc {
        rust_block_freed_by_c(&mut c);
    }
    std::process::exit(i32::from(c.failed > 0));
}
