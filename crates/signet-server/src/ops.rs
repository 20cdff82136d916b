//! Operator tools over an instance's logs, without HTTP: `signet log fsck` (check a log's
//! files) and `signet bench log` (durable appends with the Rekor v1 create path's checks).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use signet_core::encoding::sha256;
use signet_core::keys::{random_bytes, Curve, EcKey};

use crate::{Error, Result};

pub use signet_log::FsckReport;

/// Check a log directory (signet-log's fsck: every leaf hash, tile, entry bundle and
/// checkpoint root recomputed).
pub fn fsck(dir: &Path) -> Result<FsckReport> {
    Ok(signet_log::fsck(dir)?)
}

/// What [`bench_log_appends`] measured.
#[derive(Debug, Clone)]
pub struct LogBench {
    /// Entries appended.
    pub entries: usize,
    /// Wall time of the appends.
    pub elapsed: Duration,
    /// Per-append latency, sorted.
    pub latencies: Vec<Duration>,
    /// Bytes the log used on disk.
    pub disk_bytes: u64,
    /// Size of one proposed entry (JSON).
    pub entry_bytes: usize,
}

/// Total size of the files under `p`, recursively (for bytes-per-entry figures).
pub fn dir_bytes(p: &Path) -> u64 {
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

/// Sign `entries` hashedrekord entries up front, then let `concurrency` tasks each validate one
/// exactly as `POST /api/v1/log/entries` does (JSON, PEM, ECDSA verification, canonical JSON)
/// and append it durably to a fresh log in a temporary directory (removed after).
pub async fn bench_log_appends(entries: usize, concurrency: usize) -> Result<LogBench> {
    let key = EcKey::generate(Curve::P256)?;
    let pem = signet_core::encoding::pem_encode("PUBLIC KEY", key.spki_der());
    let mut proposed = Vec::with_capacity(entries);
    for _ in 0..entries {
        let data = random_bytes::<32>()?;
        let sig = key.sign(&data)?;
        proposed.push(signet_core::rekor::body::hashedrekord_v001(
            &sha256(&data),
            &sig,
            pem.as_bytes(),
        ));
    }
    let entry_bytes = proposed.first().map(|p| p.to_string().len()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "signet-bench-log-{}",
        hex::encode(random_bytes::<6>()?)
    ));
    let run = async {
        let signer = EcKey::generate(Curve::P256)?;
        let cfg = signet_log::LogConfig::new(dir.join("log"), "bench.example - 1");
        let log = signet_log::Log::open(
            cfg,
            Arc::new(signet_log::KeyNoteSigner::ecdsa_p256_from_pkcs8(
                "bench.example",
                signer.pkcs8_der(),
            )?),
        )
        .await?;
        let proposed = Arc::new(proposed);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let t = Instant::now();
        let mut hs = vec![];
        for _ in 0..concurrency.max(1) {
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
                    let body =
                        tokio::task::spawn_blocking(move || crate::rekor::validate_v1(&p[i]))
                            .await
                            .map_err(|e| Error::Config(format!("validation task: {e}")))??;
                    log.append(body).await?;
                    lat.push(s.elapsed());
                }
                Ok::<_, Error>(lat)
            }));
        }
        let mut latencies: Vec<Duration> = vec![];
        for h in hs {
            latencies.extend(
                h.await
                    .map_err(|e| Error::Config(format!("append task: {e}")))??,
            );
        }
        let elapsed = t.elapsed();
        latencies.sort();
        Ok::<_, Error>(LogBench {
            entries: latencies.len(),
            elapsed,
            latencies,
            disk_bytes: dir_bytes(&dir),
            entry_bytes,
        })
    };
    let r = run.await;
    let _ = std::fs::remove_dir_all(&dir);
    r
}
