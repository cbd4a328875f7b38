//! Build script of oxalloc-bench: picks the allocator from the alloc-*
//! features and links the C library it wraps (Debian's shared libraries;
//! oxalloc links itself through the `oxalloc` crate, glibc needs nothing).
//!
//! It sets `--cfg bench_alloc="NAME"` for src/allocators.rs.  With no
//! alloc-* feature (a plain `cargo build` of the workspace) the binary uses
//! glibc; with several (`--all-features`) the first of oxalloc, jemalloc,
//! mimalloc, tcmalloc wins, so that the workspace always builds.  The
//! binary prints its allocator and the driver checks it.

use std::env;

fn feature(name: &str) -> bool {
    env::var_os(format!("CARGO_FEATURE_ALLOC_{}", name.to_uppercase())).is_some()
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!(
        "cargo::rustc-check-cfg=cfg(bench_alloc, values(\"oxalloc\", \"glibc\", \"jemalloc\", \"mimalloc\", \"tcmalloc\"))"
    );
    let chosen = ["oxalloc", "jemalloc", "mimalloc", "tcmalloc"]
        .into_iter()
        .find(|name| feature(name))
        .unwrap_or("glibc");
    println!("cargo:rustc-cfg=bench_alloc=\"{chosen}\"");
    let lib = match chosen {
        "jemalloc" => Some("jemalloc"),
        "mimalloc" => Some("mimalloc"),
        "tcmalloc" => Some("tcmalloc_minimal"),
        _ => None,
    };
    if let Some(lib) = lib {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
}
