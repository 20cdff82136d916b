//! `signet bench instance`: an in-process `signet serve` on loopback, driven over HTTP by
//! client threads in the same process: `signet sign` end to end (Rekor v1 and v2), CA
//! certificates/s, Rekor v1 creates/s with server-side signature checks and their latency, Rekor
//! v2 create latency, and disk bytes per entry. Client and server share the machine's cores, so
//! the server-side rates are lower bounds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::json;
use signet_core::encoding::{b64_encode, sha256};
use signet_core::keys::{random_bytes, Curve, EcKey};
use signet_sign::{RekorVersion, SigningContext};

use signet_cli::Failure;

/// `signet bench instance`.
#[derive(Args, Debug)]
pub struct BenchInstanceArgs {
    /// Sequential signings per Rekor version for the latency medians.
    #[arg(long, default_value_t = 30)]
    pub signs: usize,
    /// Seconds per throughput phase.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Client threads for the CA phase.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Client threads for the Rekor phases (creates are batched: more in flight, more per batch).
    #[arg(long, default_value_t = 128)]
    pub rekor_clients: usize,
    /// Shortest time between two checkpoints of the instance's logs, ms (the server default).
    #[arg(long, default_value_t = 100)]
    pub checkpoint_interval_ms: u64,
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

/// Run `f` on `clients` threads for `seconds`; returns (ops, latencies ms).
fn load(
    clients: usize,
    seconds: f64,
    f: impl Fn() -> anyhow::Result<()> + Sync,
) -> anyhow::Result<(usize, Vec<f64>)> {
    let stop = Instant::now() + Duration::from_secs_f64(seconds);
    let errors = AtomicUsize::new(0);
    let lat = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let mut mine = vec![];
                while Instant::now() < stop {
                    let t = Instant::now();
                    match f() {
                        Ok(()) => mine.push(t.elapsed().as_secs_f64() * 1e3),
                        Err(e) => {
                            if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                                eprintln!("first error: {e:#}");
                            }
                        }
                    }
                }
                if let Ok(mut l) = lat.lock() {
                    l.extend(mine);
                }
            });
        }
    });
    let l = lat.into_inner().unwrap_or_default();
    Ok((l.len(), l))
}

/// Entry point.
pub fn run(a: BenchInstanceArgs) -> Result<(), Failure> {
    let dir = tempfile_dir()?;
    let rt = crate::runtime()?;
    let mut cfg =
        signet_server::ServeConfig::new(dir.clone(), "127.0.0.1:0".parse().context("addr")?, None)
            .map_err(|e| Failure::Other(e.into()))?;
    cfg.checkpoint_interval = Duration::from_millis(a.checkpoint_interval_ms);
    // The benchmark signs with development tokens, on loopback.
    cfg.dev_issuer = signet_server::DevIssuerMode::Loopback;
    let (url, app) = rt
        .block_on(signet_server::spawn(cfg))
        .map_err(|e| Failure::Other(e.into()))?;
    let tc =
        signet_core::trust::ClientTrustConfig::from_json(app.client_trust_config_json.as_bytes())
            .map_err(|e| Failure::Other(e.into()))?;
    let token = app
        .oidc
        .mint_email("bench@example.com", None)
        .map_err(|e| Failure::Other(e.into()))?;
    println!(
        "instance {url}, data dir {}, checkpoint interval {} ms",
        dir.display(),
        a.checkpoint_interval_ms
    );

    // 1. `signet sign` end to end (what the CLI does after reading the file).
    for (v, name) in [
        (RekorVersion::V1, "Rekor v1"),
        (RekorVersion::V2, "Rekor v2 + TSA"),
    ] {
        let ctx = SigningContext::new(&tc, Some(v)).map_err(|e| Failure::Other(e.into()))?;
        let mut t = vec![];
        for i in 0..a.signs {
            let s = Instant::now();
            ctx.sign_artifact(&token, format!("artifact {i} {name}").as_bytes())
                .map_err(|e| Failure::Other(e.into()))?;
            t.push(s.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "sign end to end ({name}): p50 {:.1} ms, p99 {:.1} ms over {} signings",
            pct(&mut t, 0.5),
            pct(&mut t, 0.99),
            a.signs
        );
    }

    // 2. CA certificates/s (CSR requests, each with its own key).
    let http = signet_http::Http::with_options(signet_http::Options {
        pool_max_idle_per_host: 64,
        ..Default::default()
    })
    .context("client")?
    .client()
    .clone();
    let keys: Vec<EcKey> = (0..64)
        .map(|_| EcKey::generate(Curve::P256))
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::Other(e.into()))?;
    let next = AtomicUsize::new(0);
    let ca_url = format!("{url}/api/v2/signingCert");
    let (n, mut l) = load(a.clients, a.seconds, || {
        let k = &keys[next.fetch_add(1, Ordering::Relaxed) % keys.len()];
        let csr = signet_sign::build_csr(k)?;
        let body = json!({"credentials": {"oidcIdentityToken": token}, "certificateSigningRequest": b64_encode(signet_core::encoding::pem_encode("CERTIFICATE REQUEST", &csr))});
        let r = http.post(&ca_url).json(&body).send()?;
        anyhow::ensure!(r.status().is_success(), "CA answered {}", r.status());
        Ok(())
    })?;
    println!(
        "CA: {:.0} certificates/s ({} clients), latency p50 {:.1} ms p99 {:.1} ms",
        n as f64 / a.seconds,
        a.clients,
        pct(&mut l, 0.5),
        pct(&mut l, 0.99)
    );

    // 3. Rekor v1 creates/s: hashedrekord with a real signature over a fresh digest each time.
    let signer = EcKey::generate(Curve::P256).map_err(|e| Failure::Other(e.into()))?;
    let pk_pem = signet_core::encoding::pem_encode("PUBLIC KEY", signer.spki_der());
    let v1_url = format!("{url}/api/v1/log/entries");
    let (n, mut l) = load(a.rekor_clients, a.seconds, || {
        let data = random_bytes::<32>()?;
        let digest = sha256(&data);
        let sig = signer.sign(&data)?;
        let body = signet_core::rekor::body::hashedrekord_v001(&digest, &sig, pk_pem.as_bytes());
        let r = http.post(&v1_url).json(&body).send()?;
        anyhow::ensure!(r.status().as_u16() == 201, "Rekor answered {}", r.status());
        Ok(())
    })?;
    println!("Rekor v1 create (durable, signature checked, SET + proof returned): {:.0} entries/s ({} clients), latency p50 {:.1} ms p99 {:.1} ms", n as f64 / a.seconds, a.rekor_clients, pct(&mut l, 0.5), pct(&mut l, 0.99));
    let bytes = signet_server::ops::dir_bytes(&dir.join("rekor-v1"));
    println!(
        "Rekor v1 disk: {} bytes for {} entries = {:.0} bytes/entry (incl. search index)",
        bytes,
        app.rekor_v1.active().log.size(),
        bytes as f64 / app.rekor_v1.active().log.size().max(1) as f64
    );

    // 4. Rekor v2 create latency (returns once a checkpoint covers the entry).
    let v2_url = format!("{url}/rekor2/api/v2/log/entries");
    let verifier = signet_core::rekor::body::V2Verifier::PublicKey {
        spki: signer.spki_der(),
        key_details: signet_core::rekor::body::P256_KEY_DETAILS,
    }
    .to_json();
    let (n, mut l) = load(a.rekor_clients, a.seconds.max(3.0), || {
        let data = random_bytes::<32>()?;
        let sig = signer.sign(&data)?;
        let body =
            signet_core::rekor::body::hashedrekord_v002_request(&sha256(&data), &sig, &verifier);
        let r = http.post(&v2_url).json(&body).send()?;
        anyhow::ensure!(
            r.status().as_u16() == 201,
            "Rekor v2 answered {}",
            r.status()
        );
        Ok(())
    })?;
    println!("Rekor v2 create: {:.0} entries/s ({} clients), latency p50 {:.0} ms p99 {:.0} ms (checkpoint interval {} ms)", n as f64 / a.seconds.max(3.0), a.rekor_clients, pct(&mut l, 0.5), pct(&mut l, 0.99), a.checkpoint_interval_ms);
    drop(app);
    rt.shutdown_timeout(Duration::from_secs(2));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf, Failure> {
    let d = std::env::temp_dir().join(format!(
        "signet-bench-{}",
        hex::encode(random_bytes::<6>().map_err(|e| Failure::Other(e.into()))?)
    ));
    std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
    Ok(d)
}
