//! `oxalloc::set_option` / `oxalloc::option` (docs/options.md).  One test,
//! because its steps must happen in order around the allocator's start:
//! no global allocator here, so oxalloc starts at this file's first
//! allocation from it (in the `override` row malloc is oxalloc and it has
//! started before main: only the checks that hold either way run there).
#![cfg(not(any(oxalloc_row = "system", oxalloc_row = "unresolved")))]

use oxalloc::{Heap, OptionError};
use std::alloc::Layout;

/// Whether oxalloc started before main (malloc is oxalloc).
const STARTED_EARLY: bool = cfg!(oxalloc_row = "override");

const OPTIONS: [&str; 7] =
    ["purge_delay", "segment_cache", "huge_cache_mb", "verbose", "show_stats", "eager_commit", "huge_pages"];

#[test]
fn options_before_and_after_start() {
    // Bad names and values never reach an option.
    for name in ["", "no_such_option", "PURGE_DELAY", "purge_delay=5", "purge_delay\0", &"x".repeat(200)] {
        assert_eq!(oxalloc::set_option(name, 1), Err(OptionError::UnknownName), "{name:?}");
        assert_eq!(oxalloc::option(name), None, "{name:?}");
    }
    for name in OPTIONS {
        assert!(oxalloc::option(name).is_some_and(|v| v >= 0), "{name}");
        assert_eq!(oxalloc::set_option(name, -1), Err(OptionError::InvalidValue), "{name}");
        assert_eq!(oxalloc::set_option(name, i64::MAX), Err(OptionError::InvalidValue), "{name}");
    }
    assert_eq!(oxalloc::set_option("verbose", 2), Err(OptionError::InvalidValue));

    // The environment is read when oxalloc starts; a value set through
    // the API wins over it.
    if !STARTED_EARLY {
        std::env::set_var("OXALLOC_SEGMENT_CACHE", "3");
        std::env::set_var("OXALLOC_HUGE_CACHE_MB", "7");
    }
    assert_eq!(oxalloc::set_option("purge_delay", 1234), Ok(()));
    assert_eq!(oxalloc::set_option("segment_cache", 5), Ok(()));
    assert_eq!(oxalloc::option("purge_delay"), Some(1234));

    // Start oxalloc, and use it.
    let heap = Heap::new().unwrap();
    assert!(heap.alloc(Layout::from_size_align(100, 8).unwrap()).is_some());
    drop(heap);

    assert_eq!(oxalloc::option("purge_delay"), Some(1234));
    assert_eq!(oxalloc::option("segment_cache"), Some(5));
    if !STARTED_EARLY {
        assert_eq!(oxalloc::option("huge_cache_mb"), Some(7));
    }
    // After the start every change is taken (docs/options.md: no "too late").
    for name in OPTIONS {
        let old = oxalloc::option(name).unwrap();
        assert_eq!(oxalloc::set_option(name, 0), Ok(()), "{name}");
        assert_eq!(oxalloc::option(name), Some(0), "{name}");
        assert_eq!(oxalloc::set_option(name, old), Ok(()), "{name}");
    }
    assert_eq!(oxalloc::set_option("nope", 0), Err(OptionError::UnknownName));
}
