//! std collections on OxAlloc: contents survive growth and every buffer is
//! oxalloc's.
mod common;

use common::assert_ours;
use oxalloc::OxAlloc;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

#[test]
fn vec_and_box() {
    let v: Vec<u64> = (0..100_000).collect();
    assert_ours(v.as_ptr());
    assert_eq!(v.iter().sum::<u64>(), 100_000 * 99_999 / 2);
    let b = Box::new([7u8; 3000]);
    assert_ours(&*b);
    let boxed: Box<dyn Fn() -> usize> = Box::new(move || v.len());
    assert_eq!(boxed(), 100_000);
}

#[test]
fn strings() {
    let mut s = String::new();
    for i in 0..10_000 {
        s.push_str(&i.to_string());
    }
    assert_ours(s.as_ptr());
    assert_eq!(s.len(), 38_890);
    let words: Vec<String> = s.as_bytes().chunks(7).map(|c| String::from_utf8_lossy(c).into()).collect();
    words.iter().for_each(|w| assert_ours(w.as_ptr()));
    assert_eq!(words.concat(), s);
}

#[test]
fn hash_map_and_set() {
    let mut m: HashMap<u64, String> = HashMap::new();
    for i in 0..50_000u64 {
        m.insert(i, format!("value {i}"));
    }
    for (k, v) in &m {
        assert_eq!(*v, format!("value {k}"));
        assert_ours(v.as_ptr());
        assert_ours(k);
    }
    m.retain(|k, _| k % 3 == 0);
    assert_eq!(m.len(), 16_667);
    let set: HashSet<String> = m.into_values().collect();
    assert!(set.contains("value 49998"));
}

#[test]
fn btree_and_deque() {
    let mut t = BTreeMap::new();
    for i in (0..20_000).rev() {
        t.insert(format!("{i:08}"), vec![i as u8; i % 100]);
    }
    assert_eq!(t.keys().next().map(String::as_str), Some("00000000"));
    assert!(t.iter().all(|(k, v)| v.len() == k.parse::<usize>().unwrap() % 100));
    let mut d: VecDeque<Box<u32>> = VecDeque::new();
    for i in 0..10_000 {
        if i % 2 == 0 { d.push_back(Box::new(i)) } else { d.push_front(Box::new(i)) }
    }
    d.iter().for_each(|b| assert_ours(&**b));
    assert_eq!(d.iter().map(|b| **b as u64).sum::<u64>(), 49_995_000);
}

#[test]
fn rc_and_arc() {
    let a = Arc::new(vec![1u8; 100]);
    let r = Rc::new(String::from("rc"));
    assert_ours(Arc::as_ptr(&a));
    assert_ours(Rc::as_ptr(&r));
    let clones: Vec<_> = (0..100).map(|_| Arc::clone(&a)).collect();
    assert_eq!(Arc::strong_count(&a), 101);
    drop(clones);
    assert_eq!(Arc::strong_count(&a), 1);
}
