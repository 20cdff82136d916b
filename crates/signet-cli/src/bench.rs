//! `signet bench verify`: verification speed over real bundles, against the crypto floor.
//!
//! For each bundle: the median time of a full verification (JSON parse + every check; the
//! artifact is passed as its SHA-256 so that hashing a large file does not swamp the numbers),
//! and the median time of its mandatory signature checks alone (leaf-by-CA, SCT, SET,
//! checkpoint, artifact), measured in the same run. Then throughput on all cores.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use signet_verify::bench::{median, throughput, time_case, BundleCase, SUFFIXES};
use signet_verify::Verifier;

use crate::{trust, Failure, TrustArgs};

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

/// `signet bench verify`: medians per bundle against the crypto floor, then throughput.
pub fn run_verify(a: BenchVerifyArgs, t: &TrustArgs) -> Result<(), Failure> {
    let mut cases = vec![];
    for p in &a.bundles {
        let s = p.to_string_lossy();
        let Some(artifact) = SUFFIXES.iter().find_map(|x| s.strip_suffix(x)) else {
            return Err(Failure::Usage(format!(
                "{}: expected a name ending in one of {}",
                p.display(),
                SUFFIXES.join(", ")
            )));
        };
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        let data =
            std::fs::read(artifact).with_context(|| format!("reading artifact {artifact}"))?;
        cases.push(BundleCase::new(&name, bytes, &data).context("bench case")?);
    }
    let (root, source) = trust::trusted_root(t)?;
    let verifier = Verifier::new(&root).context("trusted root")?;
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
    for c in &cases {
        let tm = time_case(&verifier, c, a.iterations)
            .with_context(|| format!("{} does not verify", c.name))?;
        let per_check: Vec<String> = tm
            .per_check
            .iter()
            .map(|(w, us)| format!("{w} {us:.0}"))
            .collect();
        let ratio = tm.verify_us / tm.floor_us;
        println!(
            "{:<58} {:>10.1} {:>10.1} {ratio:>7.3}   [µs: {}]",
            c.name,
            tm.verify_us,
            tm.floor_us,
            per_check.join(", ")
        );
        all_v.push(tm.verify_us);
        all_f.push(tm.floor_us);
        ratios.push(ratio);
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
        let rate = throughput(&verifier, &cases, threads, a.seconds);
        println!("throughput on {threads} thread(s): {rate:.0} bundles/s");
    }
    Ok(())
}
