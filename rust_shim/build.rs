//! Build script of the `oxalloc` crate: compiles the C library (`c_src/`,
//! `include/`, shipped in the package next to `rust_shim/`) into archives
//! under `OUT_DIR` and tells rustc which of them to link, following the
//! link row chosen by the features (precedence rule below, documented in
//! src/lib.rs).  It also checks every `extern "C"` block of `src/` against
//! the C headers.
//!
//! The compiler command follows the `cc` crate's conventions, written out
//! here rather than taken from `cc` so that the crate has no dependency at
//! all (it packages, vendors and builds offline with nothing but std):
//! `CC`/`CFLAGS`/`AR` are looked up as `VAR_<target>`, `VAR_<target with
//! underscores>`, `HOST_VAR` or `TARGET_VAR`, then `VAR`; a cross build
//! defaults to `<arch>-linux-gnu-gcc`; `OPT_LEVEL` and `DEBUG` of the cargo
//! profile become `-O`/`-g`; `CRATE_CC_NO_DEFAULTS` drops our flags; and
//! the parts of `CARGO_ENCODED_RUSTFLAGS` that change what C code must be
//! (frame pointers, sanitizers, code model) are passed on.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

#[path = "ffi_check.rs"]
mod ffi_check;

/// The row of the link matrix (docs/link-matrix.md) that this build links, from most to least
/// oxalloc-ward: when cargo has unified several row features over the
/// dependency graph, the first one enabled wins.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Row {
    Override,
    Native,
    Unresolved,
    System,
}

const ROWS: [(&str, Row); 4] = [
    ("override", Row::Override),
    ("native", Row::Native),
    ("unresolved", Row::Unresolved),
    ("system", Row::System),
];

fn feature(name: &str) -> bool {
    env::var_os(format!("CARGO_FEATURE_{}", name.to_uppercase())).is_some()
}

/// The precedence rule: override > native > unresolved > system, and no
/// row feature at all is native.  A choice that overrules another is
/// announced (cargo shows the warnings of path and workspace packages).
fn chosen_row() -> Row {
    let on: Vec<&(&str, Row)> = ROWS.iter().filter(|(name, _)| feature(name)).collect();
    let Some(&&(winner, row)) = on.first() else { return Row::Native };
    let losers: Vec<&str> = on[1..].iter().map(|(name, _)| *name).filter(|n| *n != "native").collect();
    if !losers.is_empty() {
        println!(
            "cargo:warning=oxalloc: features {winner} and {} are both enabled (cargo unifies features across the \
             dependency graph); {winner} wins (precedence override > native > unresolved > system)",
            losers.join(", ")
        );
    }
    row
}

/// The row's name, as in the features and the `oxalloc_row` cfg.
fn row_name(row: Row) -> &'static str {
    ROWS.iter().find(|(_, r)| *r == row).unwrap().0
}

/// `nightly` needs a nightly rustc: on another one, one line that says so
/// (rather than rustc's error about `#![feature]`).
fn check_nightly() {
    if !feature("nightly") || env::var_os("RUSTC_BOOTSTRAP").is_some() {
        return;
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(&rustc).arg("-V").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    match version {
        Ok(v) if v.contains("-nightly") || v.contains("-dev") => {}
        Ok(v) => fail(&format!(
            "feature `nightly` needs a nightly toolchain (this is {}): build with `cargo +nightly` or drop the feature",
            v.trim()
        )),
        Err(e) => fail(&format!("cannot run {rustc} -V: {e}")),
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

/// The target and host triples and whether this is a cross build.
struct Triples {
    target: String,
    host: String,
}

impl Triples {
    fn from_env() -> Triples {
        let target = env::var("TARGET").unwrap_or_else(|_| fail("TARGET is not set (not run by cargo?)"));
        let host = env::var("HOST").unwrap_or_else(|_| target.clone());
        Triples { target, host }
    }

    fn cross(&self) -> bool {
        self.target != self.host
    }

    /// The names `cc` looks `var` up under, in its order: `VAR_<target>`,
    /// `VAR_<target_with_underscores>`, `HOST_VAR`/`TARGET_VAR`, `VAR`.
    fn var_names(&self, var: &str) -> [String; 4] {
        let kind = if self.cross() { "TARGET" } else { "HOST" };
        [
            format!("{var}_{}", self.target),
            format!("{var}_{}", self.target.replace('-', "_")),
            format!("{kind}_{var}"),
            var.to_string(),
        ]
    }

    /// The first of `var_names(var)` that is set.
    fn var(&self, var: &str) -> Option<String> {
        self.var_names(var).iter().find_map(|name| env::var(name).ok())
    }

    /// The GNU tool prefix of a cross build (`aarch64-linux-gnu-`), as
    /// Debian's cross toolchains name them; empty for a native build.
    fn gnu_prefix(&self) -> String {
        if !self.cross() {
            return String::new();
        }
        let parts: Vec<&str> = self.target.split('-').collect();
        match parts.as_slice() {
            [arch, _vendor, "linux", env] => {
                let arch = match *arch {
                    a if a.starts_with("armv7") || a == "arm" => "arm",
                    "i586" | "i686" => "i686",
                    a => a,
                };
                format!("{arch}-linux-{env}-")
            }
            _ => String::new(),
        }
    }
}

/// A command from a tool variable that may carry a wrapper or flags
/// ("ccache gcc", "gcc -m32").
fn command_from(words: &str) -> Command {
    let mut words = words.split_whitespace();
    let mut cmd = Command::new(words.next().unwrap_or_else(|| fail("an empty compiler or ar command")));
    cmd.args(words);
    cmd
}

/// The `-C` codegen options of the rust flags whose C counterpart matters:
/// frame pointers (profilers walk C frames too), sanitizers (a race or
/// overflow inside the allocator must be seen), the code model.
fn flags_from_rustflags() -> Vec<String> {
    let encoded = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let words: Vec<&str> = encoded.split('\x1f').filter(|w| !w.is_empty()).collect();
    // "-C x=y" and "-Cx=y" (and -Z likewise) as one option each.
    let mut opts = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if (w == "-C" || w == "-Z") && i + 1 < words.len() {
            opts.push(words[i + 1].to_string());
            i += 2;
            continue;
        }
        if let Some(rest) = w.strip_prefix("-C").or_else(|| w.strip_prefix("-Z")) {
            opts.push(rest.to_string());
        } else if let Some(rest) = w.strip_prefix("--codegen=") {
            opts.push(rest.to_string());
        }
        i += 1;
    }
    let mut flags = Vec::new();
    for opt in opts {
        let (key, value) = opt.split_once('=').unwrap_or((&opt, "yes"));
        match (key, value) {
            ("force-frame-pointers", "yes" | "y" | "on" | "true") => flags.push("-fno-omit-frame-pointer".into()),
            ("force-frame-pointers", _) => {}
            ("code-model", model) => flags.push(format!("-mcmodel={model}")),
            ("sanitizer", list) => {
                for s in list.split(',') {
                    if matches!(s, "address" | "thread" | "memory" | "hwaddress" | "leak") {
                        flags.push(format!("-fsanitize={s}"));
                    }
                }
            }
            _ => {}
        }
    }
    flags
}

/// `OPT_LEVEL` of the cargo profile as a C optimisation flag.
fn opt_flag() -> String {
    match env::var("OPT_LEVEL").as_deref() {
        Ok("0") => "-O0".into(),
        Ok("1") => "-O1".into(),
        Ok("s") | Ok("z") => "-Os".into(),
        Ok("3") => "-O3".into(),
        _ => "-O2".into(),
    }
}

/// Whether the profile has debug info (`DEBUG` is "false"/"0"/"none"
/// when it has not).
fn debug_info() -> bool {
    !matches!(env::var("DEBUG").as_deref(), Err(_) | Ok("false") | Ok("0") | Ok("none"))
}

/// The compiler command with our flags, then the user's CFLAGS (last, so
/// that they win).
fn cc_command(root: &Path, t: &Triples) -> Command {
    let cc = t.var("CC").unwrap_or_else(|| if t.cross() { format!("{}gcc", t.gnu_prefix()) } else { "cc".into() });
    let mut cmd = command_from(&cc);
    // Always: the language, the library's visibility, and what a static
    // archive linked into a Rust program (an executable, a cdylib, a PIE)
    // needs.
    cmd.args(["-std=c11", "-fPIC", "-fvisibility=hidden", "-pthread", "-D_GNU_SOURCE"]);
    if t.var("CRATE_CC_NO_DEFAULTS").is_none() {
        cmd.arg(opt_flag());
        if debug_info() {
            cmd.arg("-g");
        }
        cmd.args(["-ffunction-sections", "-fdata-sections"]);
    }
    cmd.args(flags_from_rustflags());
    cmd.arg(format!("-I{}", root.join("include").display()));
    cmd.arg(format!("-I{}", root.join("c_src").display()));
    if feature("checked") {
        cmd.arg("-DOX_CHECKED=1");
    }
    if feature("secure") {
        cmd.arg("-DOX_SECURE=1");
    }
    if let Some(flags) = t.var("CFLAGS") {
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
fn compile(root: &Path, t: &Triples, sources: &[PathBuf], obj_dir: &Path) -> Vec<PathBuf> {
    fs::create_dir_all(obj_dir).unwrap_or_else(|e| fail(&format!("{}: {e}", obj_dir.display())));
    let jobs: usize = env::var("NUM_JOBS").ok().and_then(|j| j.parse().ok()).unwrap_or(1).max(1);
    let mut objects = Vec::new();
    for batch in sources.chunks(jobs) {
        let running: Vec<(Child, String)> = batch
            .iter()
            .map(|src| {
                let obj = obj_dir.join(src.file_stem().unwrap()).with_extension("o");
                let mut cmd = cc_command(root, t);
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
fn archive(out: &Path, t: &Triples, name: &str, objects: &[PathBuf]) {
    let lib = out.join(format!("lib{name}.a"));
    let _ = fs::remove_file(&lib);
    let ar = t.var("AR").unwrap_or_else(|| format!("{}ar", t.gnu_prefix()));
    let mut cmd = command_from(&ar);
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
fn check_ffi_declarations(root: &Path, t: &Triples, sources: &[(PathBuf, String)], out: &Path) {
    let mut decls = Vec::new();
    for (path, text) in sources {
        decls.extend(ffi_check::parse(text).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display()))));
    }
    let c_src = ffi_check::c_source(&decls).unwrap_or_else(|e| fail(&e));
    let file = out.join("ffi_check.c");
    fs::write(&file, c_src).unwrap_or_else(|e| fail(&format!("{}: {e}", file.display())));
    let mut cmd = cc_command(root, t);
    cmd.arg("-fsyntax-only").arg(&file);
    wait_ok(spawn(cmd, "the C compiler"), "checking the extern \"C\" declarations of src/ against include/*.h");
}

fn main() {
    // The package root: Cargo.toml, c_src/, include/ and rust_shim/.
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let rust_dir = root.join("rust_shim");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let (c_dir, inc_dir) = (root.join("c_src"), root.join("include"));
    let t = Triples::from_env();

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
        rerun_if_changed(&rust_dir.join(own));
    }
    // Only the files with extern blocks: editing other Rust code must not
    // recompile the C side.  (A new file with an extern block is checked
    // from the next run of this script on.)
    let ffi = ffi_sources(&rust_dir);
    for (path, _) in &ffi {
        rerun_if_changed(path);
    }
    for var in ["CC", "CFLAGS", "AR", "CRATE_CC_NO_DEFAULTS"] {
        for name in t.var_names(var) {
            println!("cargo:rerun-if-env-changed={name}");
        }
    }
    // For dependents' build scripts: DEP_OXALLOC_INCLUDE, DEP_OXALLOC_ROW.
    println!("cargo:include={}", inc_dir.display());

    check_nightly();
    let row = chosen_row();
    println!("cargo:row={}", row_name(row));
    println!("cargo::rustc-check-cfg=cfg(oxalloc_row, values(\"override\", \"native\", \"unresolved\", \"system\"))");
    println!("cargo::rustc-cfg=oxalloc_row=\"{}\"", row_name(row));

    check_ffi_declarations(&root, &t, &ffi, &out);

    if row == Row::Unresolved {
        return; // the final link supplies rust_* (and ox_*)
    }
    println!("cargo:rustc-link-search=native={}", out.display());
    if row == Row::System {
        let objs = compile(&root, &t, &[c_dir.join("system_shim.c")], &out.join("obj"));
        archive(&out, &t, "oxalloc_c_system", &objs);
        println!("cargo:rustc-link-lib=static=oxalloc_c_system");
        return;
    }
    let core: Vec<PathBuf> = files_with_ext(&c_dir, "c")
        .into_iter()
        .filter(|p| !p.ends_with("override.c") && !p.ends_with("system_shim.c"))
        .collect();
    let objs = compile(&root, &t, &core, &out.join("obj"));
    archive(&out, &t, "oxalloc_c", &objs);
    if row == Row::Override {
        // Whole archive: nothing in Rust refers to malloc, yet the
        // executable must define (and export) it for libc's own calls.
        let objs = compile(&root, &t, &[c_dir.join("override.c")], &out.join("obj"));
        archive(&out, &t, "oxalloc_c_override", &objs);
        println!("cargo:rustc-link-lib=static:+whole-archive=oxalloc_c_override");
    }
    println!("cargo:rustc-link-lib=static=oxalloc_c");
}
