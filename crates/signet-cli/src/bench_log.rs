//! `signet bench log`: durable appends/s with server-side signature checks, without HTTP and
//! without the client's own signing on the same cores. Proposed hashedrekord entries are signed
//! up front; then C concurrent tasks each validate one (JSON, PEM, ECDSA verification,
//! canonical JSON) and append it durably to a fresh signet-log, as `POST /api/v1/log/entries`
//! does before answering.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use signet_core::encoding::sha256;
use signet_core::keys::{random_bytes, Curve, EcKey};

use crate::Failure;

/// `signet bench log`.
#[derive(Args, Debug)]
pub struct BenchLogArgs {
    /// Entries to append.
    #[arg(long, default_value_t = 50_000)]
    pub entries: usize,
    /// Concurrent appenders.
    #[arg(long, default_value_t = 512)]
    pub concurrency: usize,
}

/// Entry point.
pub fn run(a: BenchLogArgs) -> Result<(), Failure> {
    let key = EcKey::generate(Curve::P256).map_err(|e| Failure::Other(e.into()))?;
    let pem = pem::encode(&pem::Pem::new("PUBLIC KEY", key.spki_der().to_vec()));
    eprintln!("signing {} proposed entries...", a.entries);
    let mut proposed = Vec::with_capacity(a.entries);
    for _ in 0..a.entries {
        let data = random_bytes::<32>().map_err(|e| Failure::Other(e.into()))?;
        let sig = key.sign(&data).map_err(|e| Failure::Other(e.into()))?;
        proposed.push(signet_core::rekor::body::hashedrekord_v001(
            &sha256(&data),
            &sig,
            pem.as_bytes(),
        ));
    }
    let dir = std::env::temp_dir().join(format!(
        "signet-bench-log-{}",
        hex::encode(random_bytes::<6>().map_err(|e| Failure::Other(e.into()))?)
    ));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    let res: anyhow::Result<()> = rt.block_on(async {
        let signer = EcKey::generate(Curve::P256)?;
        let cfg = signet_log::LogConfig::new(dir.join("log"), "bench.example - 1");
        let log = signet_log::Log::open(cfg, Arc::new(signet_log::KeyNoteSigner::ecdsa_p256_from_pkcs8("bench.example", signer.pkcs8_der())?)).await?;
        let proposed = Arc::new(proposed);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let t = Instant::now();
        let mut hs = vec![];
        for _ in 0..a.concurrency {
            let (log, proposed, next) = (log.clone(), proposed.clone(), next.clone());
            hs.push(tokio::spawn(async move {
                let mut lat = vec![];
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= proposed.len() {
                        break;
                    }
                    let s = Instant::now();
                    let p = proposed.clone();
                    let body = tokio::task::spawn_blocking(move || signet_server::rekor::validate_v1(&p[i])).await??;
                    log.append(body).await?;
                    lat.push(s.elapsed());
                }
                anyhow::Ok(lat)
            }));
        }
        let mut lat: Vec<Duration> = vec![];
        for h in hs {
            lat.extend(h.await??);
        }
        let el = t.elapsed();
        lat.sort();
        let p = |q: f64| lat[((lat.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
        println!(
            "{} entries validated (ECDSA P-256 verify, canonical JSON) and durably appended in {:.2} s: {:.0}/s with {} concurrent appenders; latency p50 {:.1} ms p99 {:.1} ms",
            lat.len(),
            el.as_secs_f64(),
            lat.len() as f64 / el.as_secs_f64(),
            a.concurrency,
            p(0.5),
            p(0.99)
        );
        let bytes = dir_bytes(&dir);
        println!("disk: {:.0} bytes/entry ({} bytes, entries of ~{} bytes)", bytes as f64 / lat.len() as f64, bytes, serde_json::to_vec(&proposed[0])?.len());
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    res.map_err(Failure::Other)
}

/// Total size of the files under `p`, recursively (for bytes-per-entry figures).
pub(crate) fn dir_bytes(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
