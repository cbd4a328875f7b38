//! Heap profiling: sampled allocation profiles in pprof's format, over the
//! C functions `ox_prof_start`, `ox_prof_stop`, `ox_prof_dump` and
//! `ox_prof_write` (include/oxalloc.h; docs/profiling.md).
//!
//! An allocation is sampled when a point of a Poisson process over the
//! bytes each thread allocates falls in it (mean interval: the argument of
//! [`start`], 512 KiB by default), with its call stack; the profile holds
//! what was allocated since the start (`alloc_space`, `alloc_objects`) and
//! the sampled blocks still live (`inuse_space`, `inuse_objects`), scaled
//! to estimates of the real totals.  Read it with `go tool pprof`.
//!
//! ```no_run
//! use oxalloc::OxAlloc;
//!
//! #[global_allocator]
//! static GLOBAL: OxAlloc = OxAlloc;
//!
//! fn main() -> std::io::Result<()> {
//!     oxalloc::prof::start(0)?; // default interval (OXALLOC_PROF_SAMPLE)
//!     let v: Vec<Vec<u8>> = (0..1000).map(|_| vec![0u8; 4096]).collect();
//!     oxalloc::prof::dump("heap.pb.gz")?; // go tool pprof -top ./prog heap.pb.gz
//!     let bytes = oxalloc::prof::to_pprof_bytes()?; // the same, in memory
//!     assert!(bytes.starts_with(&[0x1f, 0x8b]));
//!     oxalloc::prof::stop();
//!     drop(v);
//!     Ok(())
//! }
//! ```
//!
//! The environment does the same without code: `OXALLOC_PROF=1`,
//! `OXALLOC_PROF_DUMP=<path>` (at exit), `OXALLOC_PROF_SIGNAL=USR2`,
//! `OXALLOC_PROF_LEAKS=1`.  Only the allocations oxalloc serves are seen:
//! with the default feature, those of Rust code (C code in the program
//! uses the C library's malloc unless the `override` feature is on).

extern crate std;

use core::ffi::{c_char, c_int};
use std::ffi::CString;
use std::io;
use std::path::Path;
use std::vec::Vec;

extern "C" {
    fn ox_prof_start(sample_bytes: usize) -> c_int;
    fn ox_prof_stop();
    fn ox_prof_dump(path: *const c_char) -> c_int;
    fn ox_prof_write(fd: c_int) -> c_int;
}

fn result(code: c_int) -> io::Result<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(code))
    }
}

/// Start sampling, one sample every `sample_bytes` bytes on average (0:
/// the `OXALLOC_PROF_SAMPLE` option, 512 KiB by default).  Calling it
/// again changes the interval.  Fails when the profiler's tables cannot be
/// mapped (`ENOMEM`) or for an interval above 2^40 (`EINVAL`).
pub fn start(sample_bytes: usize) -> io::Result<()> {
    // SAFETY: plain C call, no pointers.
    result(unsafe { ox_prof_start(sample_bytes) })
}

/// Stop sampling.  Blocks sampled so far stay in the live profile until
/// they are freed.
pub fn stop() {
    // SAFETY: plain C call.
    unsafe { ox_prof_stop() }
}

/// Write the profile (gzip-compressed `profile.proto`) to `path`, created
/// or truncated.
pub fn dump<P: AsRef<Path>>(path: P) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = CString::new(path.as_ref().as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    result(unsafe { ox_prof_dump(c.as_ptr()) })
}

/// The profile as bytes (what [`dump`] would write), e.g. to serve it over
/// HTTP as Go's `/debug/pprof/heap` does.
pub fn to_pprof_bytes() -> io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::io::AsRawFd;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    // The C writer needs a file descriptor; an unlinked temporary file
    // keeps the whole profile without a pipe and a reader thread.
    let path = std::env::temp_dir().join(std::format!(
        "oxalloc-prof-{}-{}.pb.gz",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    // SAFETY: the descriptor is open for the duration of the call.
    result(unsafe { ox_prof_write(file.as_raw_fd()) })?;
    file.seek(SeekFrom::Start(0))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}
