//! Build script of the `oxalloc` crate: compiles `../c_src` with the system
//! C compiler into archives under `OUT_DIR` and tells rustc which of them
//! to link, following the link row chosen by the cargo features (see
//! Cargo.toml and README.md).  It also checks every `extern "C"` block
//! of `src/` against the C headers.  Only std: the compiler and `ar` are
//! run with `Command`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

#[path = "ffi_check.rs"]
mod ffi_check;

/// The row of the link matrix (docs/link-matrix.md) that this build links.
#[derive(Clone, Copy, PartialEq)]
enum Row {
    Native,
    System,
    Override,
    Unresolved,
}

fn feature(name: &str) -> bool {
    env::var_os(format!("CARGO_FEATURE_{}", name.to_uppercase())).is_some()
}

/// `system`, `override` and `unresolved` each replace the default `native`;
/// two of them together are a mistake.
fn chosen_row() -> Row {
    let explicit: Vec<(&str, Row)> = [
        ("system", Row::System),
        ("override", Row::Override),
        ("unresolved", Row::Unresolved),
    ]
    .into_iter()
    .filter(|(name, _)| feature(name))
    .collect();
    match explicit.as_slice() {
        [] if feature("native") => Row::Native,
        [] => fail("no link row selected: enable one of the features native, system, override, unresolved"),
        [(_, row)] => *row,
        _ => fail("features system, override and unresolved are exclusive: enable only one"),
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: oxalloc build: {msg}");
    std::process::exit(1);
}

/// `dir/*.ext`, sorted so that archives are reproducible.
fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

fn rerun_if_changed(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
}

/// The compiler command with our flags, then the user's CFLAGS (last, so
/// that they win).
fn cc_command(root: &Path) -> Command {
    // CC may carry a wrapper or flags ("ccache gcc", "gcc -m32").
    let cc = env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut words = cc.split_whitespace();
    let mut cmd = Command::new(words.next().unwrap_or("cc"));
    cmd.args(words);
    cmd.args(["-std=c11", "-O2", "-fPIC", "-fvisibility=hidden", "-pthread", "-D_GNU_SOURCE"]);
    cmd.arg(format!("-I{}", root.join("include").display()));
    cmd.arg(format!("-I{}", root.join("c_src").display()));
    if feature("checked") {
        cmd.arg("-DOX_CHECKED=1");
    }
    if let Ok(flags) = env::var("CFLAGS") {
        cmd.args(flags.split_whitespace());
    }
    cmd
}

fn wait_ok(mut child: Child, what: &str) {
    match child.wait() {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!("{what} failed ({status})")),
        Err(e) => fail(&format!("{what}: {e}")),
    }
}

fn spawn(mut cmd: Command, what: &str) -> Child {
    cmd.spawn()
        .unwrap_or_else(|e| fail(&format!("cannot run {what} ({:?}): {e}", cmd.get_program())))
}

/// Compiles `sources` into `obj_dir`, NUM_JOBS at a time; returns the objects.
fn compile(root: &Path, sources: &[PathBuf], obj_dir: &Path) -> Vec<PathBuf> {
    fs::create_dir_all(obj_dir).unwrap_or_else(|e| fail(&format!("{}: {e}", obj_dir.display())));
    let jobs: usize = env::var("NUM_JOBS").ok().and_then(|j| j.parse().ok()).unwrap_or(1).max(1);
    let mut objects = Vec::new();
    for batch in sources.chunks(jobs) {
        let running: Vec<(Child, String)> = batch
            .iter()
            .map(|src| {
                let obj = obj_dir.join(src.file_stem().unwrap()).with_extension("o");
                let mut cmd = cc_command(root);
                cmd.arg("-c").arg(src).arg("-o").arg(&obj);
                objects.push(obj);
                let what = format!("compiling {}", src.display());
                (spawn(cmd, &what), what)
            })
            .collect();
        for (child, what) in running {
            wait_ok(child, &what);
        }
    }
    objects
}

/// `ar` the objects into `OUT_DIR/lib<name>.a` (replacing any old one).
fn archive(out: &Path, name: &str, objects: &[PathBuf]) {
    let lib = out.join(format!("lib{name}.a"));
    let _ = fs::remove_file(&lib);
    let ar = env::var("AR").unwrap_or_else(|_| "ar".into());
    let mut cmd = Command::new(ar);
    cmd.arg("crs").arg(&lib).args(objects);
    wait_ok(spawn(cmd, "ar"), &format!("ar {}", lib.display()));
}

/// The crate's sources that declare C functions (`extern "C" { ... }`).
fn ffi_sources(manifest: &Path) -> Vec<(PathBuf, String)> {
    files_with_ext(&manifest.join("src"), "rs")
        .into_iter()
        .filter_map(|path| {
            let text = fs::read_to_string(&path).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
            text.contains("extern \"C\" {").then_some((path, text))
        })
        .collect()
}

/// Compiles the C check generated from every extern block of src/ against
/// the headers.
fn check_ffi_declarations(root: &Path, sources: &[(PathBuf, String)], out: &Path) {
    let mut decls = Vec::new();
    for (path, text) in sources {
        decls.extend(ffi_check::parse(text).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display()))));
    }
    let c_src = ffi_check::c_source(&decls).unwrap_or_else(|e| fail(&e));
    let file = out.join("ffi_check.c");
    fs::write(&file, c_src).unwrap_or_else(|e| fail(&format!("{}: {e}", file.display())));
    let mut cmd = cc_command(root);
    cmd.arg("-fsyntax-only").arg(&file);
    wait_ok(spawn(cmd, "the C compiler"), "checking the extern \"C\" declarations of src/ against include/*.h");
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().unwrap().to_path_buf();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let (c_dir, inc_dir) = (root.join("c_src"), root.join("include"));

    for path in [&c_dir, &inc_dir] {
        rerun_if_changed(path);
    }
    for path in files_with_ext(&c_dir, "c")
        .iter()
        .chain(&files_with_ext(&c_dir, "h"))
        .chain(&files_with_ext(&inc_dir, "h"))
    {
        rerun_if_changed(path);
    }
    for own in ["build.rs", "ffi_check.rs"] {
        rerun_if_changed(&manifest.join(own));
    }
    // Only the files with extern blocks: editing other Rust code must not
    // recompile the C side.  (A new file with an extern block is checked
    // from the next run of this script on.)
    let ffi = ffi_sources(&manifest);
    for (path, _) in &ffi {
        rerun_if_changed(path);
    }
    for var in ["CC", "CFLAGS", "AR"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    // For dependents' build scripts: DEP_OXALLOC_INCLUDE.
    println!("cargo:include={}", inc_dir.display());

    check_ffi_declarations(&root, &ffi, &out);

    let row = chosen_row();
    if row == Row::Unresolved {
        return; // the final link supplies rust_* (and ox_*)
    }
    println!("cargo:rustc-link-search=native={}", out.display());
    if row == Row::System {
        let objs = compile(&root, &[c_dir.join("system_shim.c")], &out.join("obj"));
        archive(&out, "oxalloc_c_system", &objs);
        println!("cargo:rustc-link-lib=static=oxalloc_c_system");
        return;
    }
    let core: Vec<PathBuf> = files_with_ext(&c_dir, "c")
        .into_iter()
        .filter(|p| !p.ends_with("override.c") && !p.ends_with("system_shim.c"))
        .collect();
    let objs = compile(&root, &core, &out.join("obj"));
    archive(&out, "oxalloc_c", &objs);
    if row == Row::Override {
        // Whole archive: nothing in Rust refers to malloc, yet the
        // executable must define (and export) it for libc's own calls.
        let objs = compile(&root, &[c_dir.join("override.c")], &out.join("obj"));
        archive(&out, "oxalloc_c_override", &objs);
        println!("cargo:rustc-link-lib=static:+whole-archive=oxalloc_c_override");
    }
    println!("cargo:rustc-link-lib=static=oxalloc_c");
}
