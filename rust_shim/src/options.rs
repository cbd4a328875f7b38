//! Options: [`set_option`] and [`option`] over `ox_option_set` and
//! `ox_option_get` (include/oxalloc.h; every option is described in
//! docs/options.md).  Names are passed to C from a stack buffer: setting an
//! option must not allocate, since the first allocation is what reads the
//! environment.

use core::ffi::{c_char, c_int, c_long};
use core::fmt;

extern "C" {
    fn ox_option_set(name: *const c_char, value: c_long) -> c_int;
    fn ox_option_get(name: *const c_char) -> c_long;
}

const EINVAL: c_int = 22;

/// Longest option name accepted (the C names are far shorter).
const NAME_MAX: usize = 63;

/// Why [`set_option`] refused.
///
/// ```
/// use oxalloc::OptionError;
///
/// assert_eq!(oxalloc::set_option("no_such_option", 1), Err(OptionError::UnknownName));
/// assert_eq!(OptionError::UnknownName.to_string(), "unknown oxalloc option");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptionError {
    /// No option has this name.
    UnknownName,
    /// The value is outside the option's range.
    InvalidValue,
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptionError::UnknownName => "unknown oxalloc option",
            OptionError::InvalidValue => "value out of range for this oxalloc option",
        })
    }
}

impl core::error::Error for OptionError {}

/// `name` as a NUL-terminated C string in `buf`; `None` if it cannot name
/// an option (too long, or holding NUL or '=', which C would cut at).
fn c_name(name: &str, buf: &mut [u8; NAME_MAX + 1]) -> Option<*const c_char> {
    let bytes = name.as_bytes();
    if bytes.len() > NAME_MAX || bytes.iter().any(|&b| b == 0 || b == b'=') {
        return None;
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[bytes.len()] = 0;
    Some(buf.as_ptr() as *const c_char)
}

/// Sets option `name` (lower case, e.g. `"purge_delay"`) to `value`.  The
/// options, their defaults and ranges are listed in docs/options.md.
///
/// It may be called at any time, from any thread: the allocator reads
/// every option where it uses it, so the new value applies from its next
/// use on, also in a program whose global allocator is
/// [`OxAlloc`](crate::OxAlloc) and has been running since before `main`.
/// The environment variables `OXALLOC_<NAME>` are read once, when the
/// allocator starts; a value set here before that start wins over them.
///
/// ```
/// use oxalloc::OptionError;
///
/// oxalloc::set_option("purge_delay", 250).unwrap();
/// assert_eq!(oxalloc::option("purge_delay"), Some(250));
/// // Later changes are taken too: there is no "too late".
/// let heap = oxalloc::Heap::new().unwrap(); // oxalloc has started
/// drop(heap);
/// oxalloc::set_option("purge_delay", 0).unwrap();
/// assert_eq!(oxalloc::option("purge_delay"), Some(0));
/// assert_eq!(oxalloc::set_option("verbose", 7), Err(OptionError::InvalidValue));
/// assert_eq!(oxalloc::set_option("purge_dealy", 1), Err(OptionError::UnknownName));
/// ```
pub fn set_option(name: &str, value: i64) -> Result<(), OptionError> {
    let mut buf = [0u8; NAME_MAX + 1];
    let cname = c_name(name, &mut buf).ok_or(OptionError::UnknownName)?;
    let value = c_long::try_from(value).map_err(|_| OptionError::InvalidValue)?;
    // SAFETY: `cname` is a NUL-terminated string in `buf`.
    match unsafe { ox_option_set(cname, value) } {
        0 => Ok(()),
        EINVAL if option(name).is_none() => Err(OptionError::UnknownName),
        _ => Err(OptionError::InvalidValue),
    }
}

/// The current value of option `name` (lower case), or `None` if no
/// option has that name.  Before the allocator starts this is the default
/// or the value given to [`set_option`]; after, the value in use
/// (including one from `OXALLOC_<NAME>`).
///
/// ```
/// let verbose = oxalloc::option("verbose").expect("a known option");
/// assert!(verbose == 0 || verbose == 1);
/// assert_eq!(oxalloc::option("not_an_option"), None);
/// ```
pub fn option(name: &str) -> Option<i64> {
    let mut buf = [0u8; NAME_MAX + 1];
    let cname = c_name(name, &mut buf)?;
    // SAFETY: `cname` is a NUL-terminated string in `buf`.
    let value = unsafe { ox_option_get(cname) };
    // Every option is non-negative: -1 is C's "unknown name".
    #[allow(clippy::useless_conversion)] // c_long is i32 on 32-bit targets
    (value >= 0).then_some(i64::from(value))
}
