//! OxAlloc from many threads, with blocks freed by a thread other than the
//! one that allocated them.
mod common;

use common::assert_ours;
use oxalloc::OxAlloc;
use std::sync::mpsc;
use std::thread;

#[global_allocator]
static GLOBAL: OxAlloc = OxAlloc;

#[test]
fn threads_allocate_and_free_their_own() {
    let handles: Vec<_> = (0..8)
        .map(|t| {
            thread::spawn(move || {
                let mut total = 0usize;
                for round in 0..50 {
                    let v: Vec<Vec<u8>> = (0..200).map(|i| vec![t as u8; (i * 13 + round) % 2000]).collect();
                    v.iter().for_each(|b| {
                        if b.capacity() > 0 {
                            assert_ours(b.as_ptr())
                        }
                    });
                    total += v.iter().map(|b| b.iter().map(|&x| x as usize).sum::<usize>()).sum::<usize>();
                }
                total
            })
        })
        .collect();
    for (t, h) in handles.into_iter().enumerate() {
        let expected: usize = (0..50).map(|r| (0..200).map(|i| (i * 13 + r) % 2000).sum::<usize>()).sum::<usize>() * t;
        assert_eq!(h.join().unwrap(), expected);
    }
}

#[test]
fn blocks_freed_by_another_thread() {
    let (tx, rx) = mpsc::sync_channel::<Vec<Box<[u64]>>>(4);
    let producer = thread::spawn(move || {
        for batch in 0..100u64 {
            let blocks = (0..100).map(|i| vec![batch * 1000 + i; (i % 40 + 1) as usize].into_boxed_slice()).collect();
            tx.send(blocks).unwrap();
        }
    });
    let mut count = 0;
    for blocks in rx {
        for b in &blocks {
            assert_ours(b.as_ptr());
            assert!(b.iter().all(|&x| x == b[0]));
        }
        count += blocks.len();
        drop(blocks); // freed here, allocated by the producer
    }
    producer.join().unwrap();
    assert_eq!(count, 10_000);
}

#[test]
fn short_lived_threads_leave_memory_usable() {
    let survivors: Vec<Box<[u8]>> = (0..32)
        .map(|t| thread::spawn(move || vec![t as u8; 100 + t].into_boxed_slice()).join().unwrap())
        .collect();
    for (t, b) in survivors.iter().enumerate() {
        assert_ours(b.as_ptr());
        assert!(b.len() == 100 + t && b.iter().all(|&x| x == t as u8));
    }
}
