//! oxalloc-logproc: a small log-processing program, the Rust real program
//! of the benchmark report.
//!
//!   oxalloc-logproc [-s SCALE] logproc
//!
//! Generates web-server log lines from a fixed seed (text lines and JSON
//! lines), parses them with `regex` and `serde_json`, aggregates per path
//! and per client in `hashbrown` maps, keeps a sliding window of recent
//! records, and writes a JSON summary per batch that it parses back.  The
//! allocation pattern is that of such tools: many short strings, maps that
//! grow and rehash, `serde_json::Value` trees built and dropped.  Prints
//! one JSON line like bench/rust (allocator, ok, checksum), so the driver
//! treats it as any other workload.

#[path = "../../rust/src/allocators.rs"]
mod allocators;

use hashbrown::HashMap;
use regex::Regex;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::Instant;

/// splitmix64, the same generator as bench/c/common.h.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const WORDS: [&str; 12] = [
    "api", "users", "items", "search", "static", "img", "v2", "orders", "cart", "login", "feed",
    "admin",
];

/// One generated line: a text access-log line or, one time in four, a JSON
/// line carrying the same fields.
fn gen_line(rng: &mut Rng, n: u64) -> String {
    let ip = format!("10.{}.{}.{}", rng.below(4), rng.below(64), rng.below(256));
    let depth = 1 + rng.below(4);
    let mut path = String::new();
    for _ in 0..depth {
        path.push('/');
        path.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    if rng.below(3) == 0 {
        path.push_str(&format!("/{}", rng.below(5000)));
    }
    let method = METHODS[rng.below(4) as usize];
    let status = [200, 200, 200, 201, 304, 404, 500][rng.below(7) as usize];
    let shift = 4 + rng.below(14);
    let bytes = rng.below(1 << shift);
    let ms = rng.below(2000);
    if n % 4 == 3 {
        json!({"ip": ip, "method": method, "path": path, "status": status,
               "bytes": bytes, "ms": ms, "seq": n,
               "tags": (0..rng.below(5)).map(|i| format!("t{i}")).collect::<Vec<_>>()})
        .to_string()
    } else {
        format!("{ip} - - [29/Nov/2026:12:{:02}:{:02}] \"{method} {path} HTTP/1.1\" {status} {bytes} {ms}ms seq={n}",
                (n / 60) % 60, n % 60)
    }
}

struct Record {
    ip: String,
    path: String,
    status: u64,
    bytes: u64,
    ms: u64,
}

#[derive(Default)]
struct PathStats {
    hits: u64,
    bytes: u64,
    ms_total: u64,
    errors: u64,
    statuses: HashMap<u64, u64>,
}

fn parse(re: &Regex, line: &str) -> Option<Record> {
    if line.starts_with('{') {
        let v: Value = serde_json::from_str(line).ok()?;
        return Some(Record {
            ip: v["ip"].as_str()?.to_owned(),
            path: v["path"].as_str()?.to_owned(),
            status: v["status"].as_u64()?,
            bytes: v["bytes"].as_u64()?,
            ms: v["ms"].as_u64()?,
        });
    }
    let c = re.captures(line)?;
    Some(Record {
        ip: c[1].to_owned(),
        path: c[3].to_owned(),
        status: c[4].parse().ok()?,
        bytes: c[5].parse().ok()?,
        ms: c[6].parse().ok()?,
    })
}

/// FNV-1a over a string, folded into the checksum.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

fn run(scale: f64) -> (u64, u64, u64) {
    let re = Regex::new(
        r#"^(\d+\.\d+\.\d+\.\d+) - - \[[^\]]+\] "(GET|POST|PUT|DELETE) (\S+) HTTP/1\.1" (\d{3}) (\d+) (\d+)ms seq=\d+$"#,
    )
    .unwrap();
    let lines = ((120_000.0 * scale) as u64).max(1000);
    let batch = 20_000u64;
    let mut rng = Rng(2026);
    let mut by_path: HashMap<String, PathStats> = HashMap::new();
    let mut by_ip: HashMap<String, (u64, Vec<u64>)> = HashMap::new();
    let mut window: VecDeque<Record> = VecDeque::new();
    let (mut checksum, mut errors, mut n) = (0u64, 0u64, 0u64);
    while n < lines {
        // One batch: generate the text, then parse it (as a tool reading a file).
        let text: Vec<String> = (0..batch.min(lines - n)).map(|i| gen_line(&mut rng, n + i)).collect();
        for line in &text {
            let Some(r) = parse(&re, line) else {
                errors += 1;
                continue;
            };
            let s = by_path.entry(r.path.clone()).or_default();
            s.hits += 1;
            s.bytes += r.bytes;
            s.ms_total += r.ms;
            s.errors += (r.status >= 500) as u64;
            *s.statuses.entry(r.status).or_insert(0) += 1;
            let e = by_ip.entry(r.ip.clone()).or_insert_with(|| (0, Vec::new()));
            e.0 += r.bytes;
            e.1.push(r.ms);
            if e.1.len() > 64 {
                e.1.drain(..32);
            }
            window.push_back(r);
            if window.len() > 50_000 {
                window.pop_front();
            }
        }
        n += text.len() as u64;
        drop(text);
        // The batch summary: the 50 busiest paths as a JSON document,
        // written and parsed back.
        let mut top: Vec<(&String, &PathStats)> = by_path.iter().collect();
        top.sort_by(|a, b| b.1.hits.cmp(&a.1.hits).then(a.0.cmp(b.0)));
        let doc = Value::Array(
            top.iter()
                .take(50)
                .map(|(p, s)| {
                    let mut st: Vec<_> = s.statuses.iter().map(|(k, v)| (*k, *v)).collect();
                    st.sort();
                    json!({"path": p, "hits": s.hits, "bytes": s.bytes, "errors": s.errors,
                           "mean_ms": s.ms_total / s.hits.max(1),
                           "statuses": st.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>()})
                })
                .collect(),
        );
        let out = serde_json::to_string(&doc).unwrap();
        let back: Value = serde_json::from_str(&out).unwrap();
        if back != doc {
            errors += 1;
        }
        checksum = checksum.wrapping_add(fnv(&out));
    }
    let recent: u64 = window.iter().map(|r| r.bytes + r.status + fnv(&r.ip) % 7 + r.path.len() as u64).sum();
    checksum = checksum
        .wrapping_add(by_path.len() as u64)
        .wrapping_add((by_ip.len() as u64) << 20)
        .wrapping_add(recent)
        .wrapping_add(by_ip.values().map(|(b, v)| b + v.iter().sum::<u64>()).sum::<u64>());
    (checksum, n, errors)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (scale, name) = match args.as_slice() {
        [flag, s, name] if flag == "-s" => (s.parse::<f64>().unwrap_or(0.0), name.as_str()),
        [name] => (1.0, name.as_str()),
        _ => (0.0, ""),
    };
    if !(scale > 0.0) || name != "logproc" {
        eprintln!("usage: oxalloc-logproc [-s SCALE] logproc");
        std::process::exit(64);
    }
    let start = Instant::now();
    let (checksum, ops, errors) = run(scale);
    println!(
        "{{\"workload\":\"rust-logproc\",\"allocator\":\"{}\",\"ok\":{},\"errors\":{},\"checksum\":\"{:016x}\",\"ops\":{},\"inner_s\":{:.6},\"scale\":{},\"metrics\":{{}}}}",
        allocators::NAME, errors == 0, errors, checksum, ops, start.elapsed().as_secs_f64(), scale
    );
    std::process::exit(if errors == 0 { 0 } else { 1 });
}
