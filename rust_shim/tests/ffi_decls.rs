//! The check that keeps src/ffi.rs honest: the C compiler accepts the real
//! declarations and refuses each kind of mistake in them.
#[path = "../ffi_check.rs"]
#[allow(dead_code)]
mod ffi_check;

use oxalloc::OxAlloc;
use std::path::{Path, PathBuf};
use std::process::Command;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether the C compiler accepts the check generated from `rust_src`.
fn c_accepts(rust_src: &str, tag: &str) -> bool {
    let decls = ffi_check::parse(rust_src).expect("parse");
    let c = ffi_check::c_source(&decls).expect("generate");
    let dir = std::env::temp_dir().join(format!("oxalloc_ffi_check_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{tag}.c"));
    std::fs::write(&file, c).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(cc)
        .args(["-std=c11", "-fsyntax-only"])
        .arg(format!("-I{}", root().join("include").display()))
        .arg(&file)
        .output()
        .expect("run the C compiler");
    out.status.success()
}

fn real_decls() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rust_shim/src/ffi.rs")).unwrap()
}

#[test]
fn real_declarations_match_the_headers() {
    let decls = ffi_check::parse(&real_decls()).unwrap();
    let names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["rust_alloc", "rust_alloc_zeroed", "rust_dealloc", "rust_realloc", "ox_owns", "ox_usable_size", "ox_collect"]);
    assert!(c_accepts(&real_decls(), "real"));
}

/// Every extern block of src/ (ffi.rs, and the stats, options and heap
/// modules) against the headers.
#[test]
fn all_extern_blocks_match_the_headers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("rust_shim/src");
    let mut files = 0;
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("extern \"C\" {") {
            files += 1;
            let tag = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(c_accepts(&text, &tag), "{}: declarations differ from the headers", path.display());
        }
    }
    assert!(files >= 1);
}

#[test]
fn function_pointer_parameters_are_checked() {
    let right = "extern \"C\" { fn ox_stats_print(out: extern \"C\" fn(*const c_char, *mut c_void), arg: *mut c_void); }";
    let wrong = "extern \"C\" { fn ox_stats_print(out: extern \"C\" fn(*const c_char), arg: *mut c_void); }";
    assert!(c_accepts(right, "fnptr_right"));
    assert!(!c_accepts(wrong, "fnptr_wrong"));
}

#[test]
fn mistakes_are_refused() {
    let real = real_decls();
    let mistakes = [
        ("align_u32", "align: usize) -> *mut u8;", "align: u32) -> *mut u8;"),
        ("missing_param", "old_size: usize, align: usize, new_size: usize)", "old_size: usize, new_size: usize)"),
        ("const_vs_mut", "fn ox_owns(ptr: *const c_void)", "fn ox_owns(ptr: *mut c_void)"),
        ("return_type", "fn ox_owns(ptr: *const c_void) -> bool", "fn ox_owns(ptr: *const c_void) -> i32"),
        ("no_return", "fn rust_alloc_zeroed(size: usize, align: usize) -> *mut u8", "fn rust_alloc_zeroed(size: usize, align: usize)"),
        ("unknown_fn", "fn ox_owns(", "fn ox_owns_typo("),
    ];
    for (tag, from, to) in mistakes {
        assert!(real.contains(from), "{tag}: pattern not found in src/ffi.rs");
        let wrong = real.replacen(from, to, 1);
        assert!(!c_accepts(&wrong, tag), "{tag}: the C compiler accepted a wrong declaration");
    }
}

#[test]
fn unknown_rust_types_are_an_error() {
    let src = "extern \"C\" { pub fn rust_alloc(size: u128, align: usize) -> *mut u8; }";
    let decls = ffi_check::parse(src).unwrap();
    assert!(ffi_check::c_source(&decls).unwrap_err().contains("u128"));
}
