//! A binary of the feature-unification workspace: `main ROW` checks that
//! the row oxalloc was built for (after cargo unified the features of the
//! binary and its library) is ROW, and that a Box is oxalloc's exactly
//! when the row says so.
use oxalloc::OxAlloc;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

fn main() {
    let want = std::env::args().nth(1).expect("usage: main ROW");
    let boxed = Box::new(42u64);
    let row = format!("{:?}", oxalloc::LINK_ROW).to_lowercase();
    let owned = oxalloc::owns(&*boxed);
    println!("{}; row {row}, owns(Box) {owned}", lib::greeting());
    assert_eq!(row, want, "link row");
    assert_eq!(owned, row != "system", "owns(Box) in row {row}");
}
