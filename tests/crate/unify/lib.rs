//! A library that uses oxalloc (the features it asks for are in its
//! Cargo.toml): a string built here must be served like any other.
pub fn greeting() -> String {
    let s = format!("hello from a library in row {:?}", oxalloc::LINK_ROW);
    assert!(!s.is_empty());
    s
}
