//! Build script of oxalloc-bench: links the C allocator that the chosen
//! alloc-* feature wraps (Debian's shared libraries).  oxalloc links itself
//! through the `oxalloc` crate; glibc needs nothing.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let libs = [
        ("ALLOC_JEMALLOC", "jemalloc"),
        ("ALLOC_MIMALLOC", "mimalloc"),
        ("ALLOC_TCMALLOC", "tcmalloc_minimal"),
    ];
    for (feature, lib) in libs {
        if env::var_os(format!("CARGO_FEATURE_{feature}")).is_some() {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    }
}
