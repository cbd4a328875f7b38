//! oxalloc-bench: the Rust workloads of the benchmark suite.
//!
//!   oxalloc-bench [-s SCALE] WORKLOAD    e.g. oxalloc-bench vec-push-small-32
//!
//! The allocator is fixed at build time (src/allocators.rs).  Prints one
//! JSON line in the same shape as the C program (bench/c/main.c); exits 1
//! when a check failed.

mod allocators;
mod workloads;

use std::time::Instant;
use workloads::Outcome;

fn usage() -> ! {
    eprintln!("usage: oxalloc-bench [-s SCALE] WORKLOAD");
    eprintln!("workloads: {}", workloads::NAMES.join(" "));
    std::process::exit(64);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (scale, name) = match args.as_slice() {
        [flag, s, name] if flag == "-s" => (s.parse::<f64>().unwrap_or_else(|_| usage()), name),
        [name] => (1.0, name),
        _ => usage(),
    };
    if !(scale > 0.0) {
        usage();
    }
    let start = Instant::now();
    let out: Outcome = workloads::run(name, scale).unwrap_or_else(|| usage());
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"workload\":\"{}\",\"allocator\":\"{}\",\"ok\":{},\"errors\":{},\"checksum\":\"{:016x}\",\"ops\":{},\"inner_s\":{:.6},\"scale\":{},\"metrics\":{{}}}}",
        name,
        allocators::NAME,
        out.errors == 0,
        out.errors,
        out.checksum,
        out.ops,
        secs,
        scale
    );
    std::process::exit(if out.errors == 0 { 0 } else { 1 });
}
