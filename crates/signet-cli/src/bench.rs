//! `signet bench verify`: verification speed over real bundles, against the crypto floor.
//!
//! For each bundle: the median time of a full verification (JSON parse + every check; the
//! artifact is passed as its SHA-256 so that hashing a large file does not swamp the numbers),
//! and the median time of its mandatory signature checks alone (leaf-by-CA, SCT, SET,
//! checkpoint, artifact), measured in the same run. Then throughput on all cores.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use signet_core::bundle::Bundle;
use signet_core::encoding::sha256;
use signet_core::pep740::Attestation;
use signet_verify::{Artifact, Policy, Verifier};

use crate::{trust, verify::run_parallel, Failure, TrustArgs};

/// `signet bench verify`.
#[derive(Args, Debug)]
pub struct BenchVerifyArgs {
    /// Bundles (`*.intoto.jsonl`, `*.sigstore.json`, `*.sigstore`) or PEP 740 attestations
    /// (`*.attestation`), each next to its artifact (the same name without that suffix).
    #[arg(required = true)]
    pub bundles: Vec<PathBuf>,
    /// Iterations per bundle for the single-threaded medians.
    #[arg(long, default_value_t = 300)]
    pub iterations: usize,
    /// Seconds to run the all-core throughput test.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Threads for the throughput test (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

struct Case {
    name: String,
    bundle_bytes: Vec<u8>,
    attestation: bool,
    digest: [u8; 32],
}

const SUFFIXES: &[&str] = &[
    ".intoto.jsonl",
    ".sigstore.json",
    ".sigstore",
    ".publish.attestation",
    ".slsa.attestation",
    ".attestation",
];

fn load(p: &Path) -> anyhow::Result<Case> {
    let s = p.to_string_lossy();
    let Some(suffix) = SUFFIXES.iter().find(|x| s.ends_with(*x)) else {
        bail!(
            "{}: expected a name ending in one of {}",
            p.display(),
            SUFFIXES.join(", ")
        );
    };
    let artifact = PathBuf::from(&s[..s.len() - suffix.len()]);
    let data = std::fs::read(&artifact)
        .with_context(|| format!("reading artifact {}", artifact.display()))?;
    Ok(Case {
        name: p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bundle_bytes: std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
        attestation: suffix.ends_with(".attestation"),
        digest: sha256(&data),
    })
}

fn parse(c: &Case) -> anyhow::Result<Bundle> {
    Ok(if c.attestation {
        Attestation::from_json(&c.bundle_bytes)?.to_bundle()
    } else {
        Bundle::from_json(&c.bundle_bytes)?
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `signet bench verify`: medians per bundle against the crypto floor, then throughput.
pub fn run_verify(a: BenchVerifyArgs, t: &TrustArgs) -> Result<(), Failure> {
    let cases = a
        .bundles
        .iter()
        .map(|p| load(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (root, source) = trust::trusted_root(t)?;
    bench_cases(a, &cases, &root, &source).map_err(Failure::Other)
}

fn bench_cases(
    a: BenchVerifyArgs,
    cases: &[Case],
    root: &signet_core::trust::TrustedRoot,
    source: &str,
) -> anyhow::Result<()> {
    let verifier = Verifier::new(root)?;
    let policy = Policy::any_identity_unsafe();
    let verify = |c: &Case| -> anyhow::Result<()> {
        let b = parse(c)?;
        verifier.verify(&b, Artifact::Sha256(c.digest), &policy)?;
        Ok(())
    };
    println!(
        "trust: {source}; {} bundles; {} iterations each; artifact passed as its sha256",
        cases.len(),
        a.iterations
    );
    println!(
        "{:<58} {:>10} {:>10} {:>7}",
        "bundle", "verify µs", "floor µs", "ratio"
    );
    let (mut all_v, mut all_f, mut ratios) = (vec![], vec![], vec![]);
    for c in cases {
        verify(c).with_context(|| format!("{} does not verify", c.name))?;
        let b = parse(c)?;
        let checks = verifier.mandatory_signature_checks(&b, Artifact::Sha256(c.digest))?;
        if !checks.iter().all(|k| k.run()) {
            bail!("{}: a floor signature check failed", c.name);
        }
        let (mut tv, mut tf) = (
            Vec::with_capacity(a.iterations),
            Vec::with_capacity(a.iterations),
        );
        for _ in 0..a.iterations {
            // Interleave the two measurements so both see the same machine state.
            let s = Instant::now();
            verify(c)?;
            tv.push(s.elapsed().as_secs_f64() * 1e6);
            let s = Instant::now();
            for k in &checks {
                std::hint::black_box(k.run());
            }
            tf.push(s.elapsed().as_secs_f64() * 1e6);
        }
        let (mv, mf) = (median(&mut tv), median(&mut tf));
        let per_check: Vec<String> = checks
            .iter()
            .map(|k| {
                let mut t: Vec<f64> = (0..a.iterations.min(100))
                    .map(|_| {
                        let s = Instant::now();
                        std::hint::black_box(k.run());
                        s.elapsed().as_secs_f64() * 1e6
                    })
                    .collect();
                format!("{} {:.0}", k.what, median(&mut t))
            })
            .collect();
        println!(
            "{:<58} {:>10.1} {:>10.1} {:>7.3}   [µs: {}]",
            c.name,
            mv,
            mf,
            mv / mf,
            per_check.join(", ")
        );
        all_v.push(mv);
        all_f.push(mf);
        ratios.push(mv / mf);
    }
    println!(
        "median over bundles: verify {:.1} µs, floor {:.1} µs, ratio {:.3}",
        median(&mut all_v),
        median(&mut all_f),
        median(&mut ratios)
    );
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    for threads in [1, a.threads.unwrap_or(cores)] {
        let deadline = std::time::Duration::from_secs_f64(a.seconds);
        let per_thread: Vec<usize> = (0..threads).collect();
        let start = Instant::now();
        let counts = run_parallel(&per_thread, threads, |_| {
            let mut n = 0usize;
            while start.elapsed() < deadline {
                for c in cases {
                    if verify(c).is_ok() {
                        n += 1;
                    }
                }
            }
            n
        });
        let total: usize = counts.iter().sum();
        println!(
            "throughput on {threads} thread(s): {:.0} bundles/s",
            total as f64 / start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
