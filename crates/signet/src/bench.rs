//! `signet bench verify` and `signet bench pypi`: verification speed over real bundles and
//! PEP 740 attestations (the measuring is `signet_verify::bench`'s; this reads the files and
//! prints).
//!
//! `verify`:
//! For each bundle: the median time of a full verification (JSON parse + every check; the
//! artifact is passed as its SHA-256 so that hashing a large file does not swamp the numbers),
//! and the median time of its mandatory signature checks alone (leaf-by-CA, SCT, SET,
//! checkpoint, artifact), measured in the same run. Then throughput on all cores.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use signet_cli::pypi::{file_name, read_attestation};
use signet_cli::{trust, Failure, TrustArgs};
use signet_verify::bench::{
    median, run_parallel, throughput, time_attestation, time_case, AttestationCase, BundleCase,
    SUFFIXES,
};
use signet_verify::pypi::{Provenance, Signer};
use signet_verify::Verifier;

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

/// `signet bench pypi DIR`.
#[derive(Args, Debug)]
pub struct BenchPypiArgs {
    /// A directory of distributions with `*.attestation` and/or `*.provenance` files.
    pub dir: PathBuf,
    /// Verifications per file (the median is reported).
    #[arg(long, default_value_t = 50)]
    pub iterations: usize,
    /// Threads (default: all cores).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
}

fn bench_items(dir: &Path) -> anyhow::Result<Vec<AttestationCase>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut items = vec![];
    for p in paths {
        let name = file_name(&p);
        let Some((stem, kind)) = [
            ".provenance",
            ".publish.attestation",
            ".slsa.attestation",
            ".attestation",
        ]
        .iter()
        .find_map(|x| name.strip_suffix(x).map(|s| (s, *x))) else {
            continue;
        };
        let dist_path = dir.join(stem);
        if !dist_path.is_file() {
            eprintln!("skipping {name}: no distribution {stem} next to it");
            continue;
        }
        let dist = signet_sign::pypi_index::local_dist(&dist_path)?;
        if kind == ".provenance" {
            let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
            let prov = Provenance::from_json(&bytes)
                .with_context(|| format!("parsing {}", p.display()))?;
            for b in prov.attestation_bundles {
                for (i, a) in b.attestations.into_iter().enumerate() {
                    let signer = Signer::Publisher(b.publisher.clone());
                    items.push(AttestationCase {
                        label: format!("{name}#{i}"),
                        attestation: a,
                        dist: dist.clone(),
                        signer,
                    });
                }
            }
        } else {
            let a = read_attestation(&p)?;
            let signer = Signer::Identity(
                signet_core::x509::Certificate::from_der(&a.verification_material.certificate)
                    .map(|c| c.identity())
                    .unwrap_or_default(),
            );
            items.push(AttestationCase {
                label: name,
                attestation: a,
                dist,
                signer,
            });
        }
    }
    Ok(items)
}

/// `signet bench pypi DIR`.
pub fn run_pypi(t: &TrustArgs, a: BenchPypiArgs) -> Result<(), Failure> {
    let items = bench_items(&a.dir)?;
    if items.is_empty() {
        return Err(Failure::Usage(format!(
            "{}: no *.attestation or *.provenance files next to their distributions",
            a.dir.display()
        )));
    }
    // With no explicit trust material, accept production and staging (the corpus mixes both).
    let (root, source) = trust::trusted_root(t)?;
    let mut roots = vec![(source, root)];
    if !t.staging && t.trust_config.is_none() && t.trusted_root.is_none() {
        let r = signet_tuf::Instance::Staging
            .trusted_root()
            .context("staging trusted root")?;
        roots.push(("embedded staging trusted root".into(), r));
    }
    let verifiers = roots
        .iter()
        .map(|(_, r)| Verifier::new(r))
        .collect::<Result<Vec<_>, _>>()
        .context("trusted root")?;
    let verifiers: Vec<&Verifier> = verifiers.iter().collect();
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let iterations = a.iterations.max(1);
    let total = items.len() * iterations;
    let done = AtomicUsize::new(0);
    let start = Instant::now();
    let results = run_parallel(&items, threads, |it| {
        time_attestation(&verifiers, it, iterations, || {
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(10) || n == total {
                eprint!("\r[{n}/{total}] verifications on {threads} thread(s)");
            }
        })
    });
    let wall = start.elapsed().as_secs_f64();
    eprintln!();
    println!(
        "{} attestations in {}, {iterations} verifications each, {threads} thread(s)",
        items.len(),
        a.dir.display()
    );
    println!("{:<80} {:>10}  result", "attestation", "median µs");
    let mut failed = 0;
    let mut all = vec![];
    for (it, (us, r)) in items.iter().zip(&results) {
        all.push(*us);
        let res = match r {
            Ok(i) => format!("OK ({})", roots[*i].0),
            Err(e) => {
                failed += 1;
                format!("FAIL: {e}")
            }
        };
        println!("{:<80} {:>10.1}  {res}", it.label, us);
    }
    println!(
        "median per attestation {:.1} µs; {total} verifications in {wall:.2} s = {:.0}/s on {threads} thread(s); {failed} failed",
        median(&mut all),
        total as f64 / wall
    );
    if failed > 0 {
        return Err(Failure::Verification);
    }
    Ok(())
}
