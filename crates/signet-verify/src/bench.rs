//! The measurement behind `signet bench verify` and `signet bench pypi`: a full verification
//! against the crypto floor (the mandatory signature checks alone, [`Verifier::mandatory_signature_checks`])
//! interleaved in one run, throughput on several threads, and PEP 740 attestation timings. The
//! caller reads the files and prints; nothing here does I/O.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use signet_core::bundle::Bundle;
use signet_core::encoding::sha256;
use signet_core::pep740::Attestation;

use crate::pypi::{verify_attestation, Distribution, Signer};
use crate::{Artifact, Error, Policy, Result, Verifier};

/// The median of `v` (sorted in place); 0 for an empty slice.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Run `f` over `items` on `threads` threads; results in input order.
pub fn run_parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut local = vec![];
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= items.len() {
                            break;
                        }
                        local.push((i, f(&items[i])));
                    }
                    local
                })
            })
            .collect();
        // A worker only panics on a bug; propagate it rather than lose results.
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// The names a bundle or attestation file ends in; the artifact is the same path without it.
pub const SUFFIXES: &[&str] = &[
    ".intoto.jsonl",
    ".sigstore.json",
    ".sigstore",
    ".publish.attestation",
    ".slsa.attestation",
    ".attestation",
];

/// One bundle (or PEP 740 attestation) and the digest of its artifact.
pub struct BundleCase {
    /// A label (the file name).
    pub name: String,
    bytes: Vec<u8>,
    attestation: bool,
    digest: [u8; 32],
}

impl BundleCase {
    /// The file `name` (ending in one of [`SUFFIXES`]) holding `bytes`, about `artifact`.
    pub fn new(name: &str, bytes: Vec<u8>, artifact: &[u8]) -> Result<Self> {
        let Some(suffix) = SUFFIXES.iter().find(|x| name.ends_with(*x)) else {
            return Err(Error::Usage(format!(
                "{name}: expected a name ending in one of {}",
                SUFFIXES.join(", ")
            )));
        };
        Ok(BundleCase {
            name: name.to_string(),
            bytes,
            attestation: suffix.ends_with(".attestation"),
            digest: sha256(artifact),
        })
    }

    fn parse(&self) -> Result<Bundle> {
        Ok(if self.attestation {
            Attestation::from_json(&self.bytes)?.to_bundle()
        } else {
            Bundle::from_json(&self.bytes)?
        })
    }

    /// Parse and verify, any identity (the artifact passed as its digest).
    pub fn verify(&self, verifier: &Verifier) -> Result<()> {
        verifier.verify(
            &self.parse()?,
            Artifact::Sha256(self.digest),
            &Policy::any_identity_unsafe(),
        )?;
        Ok(())
    }
}

/// Medians of one bundle's verification and of its crypto floor, in microseconds.
pub struct CaseTiming {
    /// A full verification (JSON parse and every check).
    pub verify_us: f64,
    /// The mandatory signature checks alone.
    pub floor_us: f64,
    /// Each signature check alone: what, median µs.
    pub per_check: Vec<(String, f64)>,
}

/// Time `case` over `iterations`, verification and floor interleaved so both see the same
/// machine state. The case must verify and every floor check must pass first.
pub fn time_case(verifier: &Verifier, case: &BundleCase, iterations: usize) -> Result<CaseTiming> {
    case.verify(verifier)?;
    let checks =
        verifier.mandatory_signature_checks(&case.parse()?, Artifact::Sha256(case.digest))?;
    if let Some(k) = checks.iter().find(|k| !k.run()) {
        return Err(Error::Usage(format!(
            "{}: the floor check {} failed",
            case.name, k.what
        )));
    }
    let (mut tv, mut tf) = (
        Vec::with_capacity(iterations),
        Vec::with_capacity(iterations),
    );
    for _ in 0..iterations {
        let s = Instant::now();
        case.verify(verifier)?;
        tv.push(s.elapsed().as_secs_f64() * 1e6);
        let s = Instant::now();
        for k in &checks {
            std::hint::black_box(k.run());
        }
        tf.push(s.elapsed().as_secs_f64() * 1e6);
    }
    let per_check = checks
        .iter()
        .map(|k| {
            let mut t: Vec<f64> = (0..iterations.min(100))
                .map(|_| {
                    let s = Instant::now();
                    std::hint::black_box(k.run());
                    s.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            (k.what.to_string(), median(&mut t))
        })
        .collect();
    Ok(CaseTiming {
        verify_us: median(&mut tv),
        floor_us: median(&mut tf),
        per_check,
    })
}

/// Verifications per second over all `cases`, round robin on `threads` threads for `seconds`.
pub fn throughput(verifier: &Verifier, cases: &[BundleCase], threads: usize, seconds: f64) -> f64 {
    let deadline = Duration::from_secs_f64(seconds);
    let per_thread: Vec<usize> = (0..threads).collect();
    let start = Instant::now();
    let counts = run_parallel(&per_thread, threads, |_| {
        let mut n = 0usize;
        while start.elapsed() < deadline {
            n += cases.iter().filter(|c| c.verify(verifier).is_ok()).count();
        }
        n
    });
    counts.iter().sum::<usize>() as f64 / start.elapsed().as_secs_f64()
}

/// One PEP 740 attestation, the distribution it is about and who must have signed it.
pub struct AttestationCase {
    /// A label (file name, `#i` for the i-th attestation of a provenance file).
    pub label: String,
    /// The attestation.
    pub attestation: Attestation,
    /// The distribution.
    pub dist: Distribution,
    /// The expected signer.
    pub signer: Signer,
}

/// Median µs of verifying `case` `iterations` times with the first of `verifiers` that
/// accepts it, and which one did (or every verifier's error). `tick` is called after each
/// verification (for progress).
pub fn time_attestation(
    verifiers: &[&Verifier],
    case: &AttestationCase,
    iterations: usize,
    tick: impl Fn(),
) -> (f64, std::result::Result<usize, String>) {
    let verify = || {
        let mut errs = vec![];
        for (i, v) in verifiers.iter().enumerate() {
            match verify_attestation(v, &case.attestation, &case.dist, &case.signer) {
                Ok(_) => return Ok(i),
                Err(e) => errs.push(e.to_string()),
            }
        }
        Err(errs.join("; "))
    };
    let mut times = Vec::with_capacity(iterations);
    let mut outcome = Ok(0);
    for _ in 0..iterations.max(1) {
        let s = Instant::now();
        outcome = verify();
        times.push(s.elapsed().as_secs_f64() * 1e6);
        tick();
    }
    (median(&mut times), outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn parallel_results_keep_input_order() {
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(
            run_parallel(&items, 4, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_case_name_without_a_known_suffix_is_refused() {
        let e = BundleCase::new("x.json", vec![], b"")
            .err()
            .expect("refused");
        assert!(e.to_string().contains(".sigstore.json"), "{e}");
    }
}
