//! Compiles c_part.c (the C code of the row 1/2 executables) into a static
//! library with the system C compiler, std only.
use std::env;
use std::path::PathBuf;
use std::process::Command;

fn run(cmd: &mut Command) {
    let status = cmd.status().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(status.success(), "{cmd:?} failed");
}

fn main() {
    let src = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../exe_common/c_part.c");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let obj = out.join("c_part.o");
    let cc = env::var("CC").unwrap_or_else(|_| "cc".into());
    run(Command::new(cc).args(["-std=c11", "-O2", "-fPIC", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-c"]).arg(&src).arg("-o").arg(&obj));
    run(Command::new("ar").arg("crs").arg(out.join("libc_part.a")).arg(&obj));
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=c_part");
    println!("cargo:rerun-if-changed={}", src.display());
}
