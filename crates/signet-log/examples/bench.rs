//! Throughput and proof-latency benchmark.
//!
//! `cargo run --release --example bench -- [appenders] [entries] [entry_bytes] [proof_tree_size]`
//! (defaults: 256 100000 1024 1000000). Phase 1 measures durable appends/s with the default
//! config; phase 2 grows a log of `proof_tree_size` small entries (large batches) and times
//! inclusion and consistency proofs at random indices.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::Ed25519KeyPair;
use signet_log::{KeyNoteSigner, Log, LogConfig};

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

async fn fill(log: &Log, appenders: u64, entries: u64, size: usize, tag: &str) -> Duration {
    let t = Instant::now();
    let mut hs = Vec::new();
    for w in 0..appenders {
        let log = log.clone();
        let tag = tag.to_string();
        hs.push(tokio::spawn(async move {
            let mut i = w;
            while i < entries {
                let mut data = format!("{tag} {i} ").into_bytes();
                data.resize(size.max(data.len()), b'.');
                let a = log.append(data).await.expect("append");
                assert!(!a.duplicate);
                i += appenders;
            }
        }));
    }
    for h in hs {
        h.await.expect("appender task");
    }
    t.elapsed()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let appenders = arg(1, 256);
    let entries = arg(2, 100_000);
    let entry_bytes = arg(3, 1024) as usize;
    let proof_size = arg(4, 1_000_000);
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("keygen");
    let signer = Arc::new(
        KeyNoteSigner::ed25519_from_pkcs8("bench.example", pkcs8.as_ref()).expect("signer"),
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let log = Log::open(LogConfig::new(dir.path(), "bench.example"), signer.clone())
        .await
        .expect("open");
    let el = fill(&log, appenders, entries, entry_bytes, "bench").await;
    println!(
        "durable appends: {entries} x {entry_bytes} B with {appenders} concurrent appenders in {:.2?} = {:.0} appends/s",
        el,
        entries as f64 / el.as_secs_f64()
    );
    let t = Instant::now();
    let cp = log.publish_now().await.expect("publish");
    println!(
        "integrated + published checkpoint of size {} {:.2?} after the last ack",
        cp.size,
        t.elapsed()
    );
    log.shutdown().await.expect("shutdown");

    if proof_size == 0 {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = LogConfig::new(dir.path(), "bench.example");
    c.batch_max_size = 4096;
    c.max_pending = 1 << 20;
    let log = Log::open(c, signer).await.expect("open");
    let el = fill(&log, 4096, proof_size, 40, "p").await;
    println!(
        "grew a {proof_size}-entry log (40 B entries, 4096 appenders, batches of 4096) in {:.2?} = {:.0} appends/s",
        el,
        proof_size as f64 / el.as_secs_f64()
    );
    let cp = log.publish_now().await.expect("publish");
    let n = cp.size;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for (label, cold) in [
        ("cold-ish (first touch of level-0 tiles)", true),
        ("warm", false),
    ] {
        let k = 2000;
        let idx: Vec<u64> = (0..k).map(|_| next() % n).collect();
        let t = Instant::now();
        let mut worst = Duration::ZERO;
        for &i in &idx {
            let t1 = Instant::now();
            let p = log.inclusion_proof(i, n).expect("proof");
            worst = worst.max(t1.elapsed());
            std::hint::black_box(p);
        }
        let _ = cold;
        println!(
            "inclusion proof at size {n} ({label}): mean {:.1?}, max {:.1?} over {k} random indices",
            t.elapsed() / k,
            worst
        );
    }
    // Warm: repeat the same indices.
    let idx: Vec<u64> = (0..1000).map(|_| next() % n).collect();
    for &i in &idx {
        log.inclusion_proof(i, n).expect("proof");
    }
    let t = Instant::now();
    for &i in &idx {
        std::hint::black_box(log.inclusion_proof(i, n).expect("proof"));
    }
    println!(
        "inclusion proof at size {n} (cached tiles): mean {:.1?}",
        t.elapsed() / 1000
    );
    let t = Instant::now();
    for _ in 0..1000 {
        let s1 = next() % n + 1;
        std::hint::black_box(log.consistency_proof(s1, n).expect("proof"));
    }
    println!(
        "consistency proof to size {n}: mean {:.1?}",
        t.elapsed() / 1000
    );
    let t = Instant::now();
    let root = log.root_at(n).expect("root");
    println!(
        "root_at({n}) in {:.1?} (matches checkpoint: {})",
        t.elapsed(),
        root == cp.root
    );
    log.shutdown().await.expect("shutdown");
    let t = Instant::now();
    let r = signet_log::fsck(dir.path()).expect("fsck");
    println!(
        "fsck of {n} entries: ok={} in {:.2?}",
        r.is_ok(),
        t.elapsed()
    );
}
