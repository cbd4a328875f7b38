use oxalloc::OxAlloc;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

fn main() {
    let words: Vec<String> = "every block is oxalloc's".split(' ').map(String::from).collect();
    assert!(words.iter().all(|w| oxalloc::owns(w.as_ptr())));
    let first = words[0].as_ptr();
    println!("{} words; the first has {} usable bytes", words.len(), oxalloc::usable_size(first));
}
