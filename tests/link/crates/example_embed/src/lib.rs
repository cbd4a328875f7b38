use oxalloc::OxAlloc;
use std::ffi::{c_char, CStr, CString};

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

/// "hello, NAME!" in a new string; release it with greeting_free.
#[no_mangle]
pub unsafe extern "C" fn greeting_new(name: *const c_char) -> *mut c_char {
    let name = CStr::from_ptr(name).to_string_lossy();
    CString::new(format!("hello, {name}!")).unwrap().into_raw()
}

#[no_mangle]
pub unsafe extern "C" fn greeting_free(greeting: *mut c_char) {
    drop(CString::from_raw(greeting));
}
