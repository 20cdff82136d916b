//! Signet's verifier (`signet-verify`) against sigstore-rust's (`sigstore-verify` 0.15.1) on the
//! same bundles, in the same process and run.
//!
//! For each bundle both verifiers must first ACCEPT it (full keyless verification: signing time,
//! certificate path, SCT, transparency log entry, artifact signature + digest binding, identity
//! and issuer). Then N iterations are timed, interleaved (the two verifiers alternate which goes
//! first each iteration); every timed iteration is JSON parse of the bundle + full verification.
//! The artifact is given to both as its SHA-256 digest (computed once). Each verifier is built
//! from the trusted root once, outside the loop.
//!
//! Usage (from the repository root):
//!   CARGO_TARGET_DIR=/work/bench-target cargo run --release \
//!     --manifest-path bench/vs-sigstore-rs/Cargo.toml -- [--data ../shared/data] [--iterations 300]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::Instant;

use signet_core::bundle::Bundle as SignetBundle;
use signet_core::trust::TrustedRoot as SignetRoot;
use signet_verify::{
    Artifact as SignetArtifact, Policy as SignetPolicy, Verifier as SignetVerifier,
};

use sigstore_verify::trust_root::TrustedRoot as SsRoot;
use sigstore_verify::types::{Bundle as SsBundle, Sha256Hash};
use sigstore_verify::{VerificationPolicy as SsPolicy, Verifier as SsVerifier};

const SLSA_IDENTITY: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0";
const PYPI_MODELS_IDENTITY: &str = "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2";
const GHA_ISSUER: &str = "https://token.actions.githubusercontent.com";

struct Case {
    name: String,
    bundle_json: String,
    digest: [u8; 32],
    identity: &'static str,
    issuer: &'static str,
}

struct Row {
    name: String,
    signet_us: f64,
    ss_us: f64,
}

fn die(msg: String) -> ! {
    eprintln!("error: {msg}");
    exit(1)
}

fn read_string(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| die(format!("read {}: {e}", p.display())))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn cases(data: &Path) -> Vec<Case> {
    let mut out = vec![];
    let slsa = data.join("slsa/gha_generic/v2.1.0");
    let mut bundles: Vec<PathBuf> = std::fs::read_dir(&slsa)
        .unwrap_or_else(|e| die(format!("read {}: {e}", slsa.display())))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".intoto.jsonl"))
        .collect();
    bundles.sort();
    for b in bundles {
        let s = b.to_string_lossy();
        let artifact = PathBuf::from(s.trim_end_matches(".intoto.jsonl").to_string());
        let bytes = std::fs::read(&artifact)
            .unwrap_or_else(|e| die(format!("read {}: {e}", artifact.display())));
        out.push(Case {
            name: format!(
                "slsa/gha_generic/v2.1.0/{}",
                b.file_name().unwrap().to_string_lossy()
            ),
            bundle_json: read_string(&b),
            digest: signet_core::encoding::sha256(&bytes),
            identity: SLSA_IDENTITY,
            issuer: GHA_ISSUER,
        });
    }
    let pypi_bundle = data.join("pypi/pypi_attestation_models-0.0.4a2.tar.gz.sigstore");
    let pypi_artifact = data.join("pypi/pypi_attestation_models-0.0.4a2.tar.gz");
    let bytes = std::fs::read(&pypi_artifact)
        .unwrap_or_else(|e| die(format!("read {}: {e}", pypi_artifact.display())));
    out.push(Case {
        name: "pypi/pypi_attestation_models-0.0.4a2.tar.gz.sigstore".into(),
        bundle_json: read_string(&pypi_bundle),
        digest: signet_core::encoding::sha256(&bytes),
        identity: PYPI_MODELS_IDENTITY,
        issuer: GHA_ISSUER,
    });
    out
}

fn run_signet(v: &SignetVerifier, c: &Case, policy: &SignetPolicy) -> Result<(), String> {
    let bundle = SignetBundle::from_json(c.bundle_json.as_bytes()).map_err(|e| e.to_string())?;
    let r = v
        .verify(&bundle, SignetArtifact::Sha256(c.digest), policy)
        .map_err(|e| e.to_string())?;
    black_box(r);
    Ok(())
}

fn run_ss(v: &SsVerifier, c: &Case, policy: &SsPolicy) -> Result<(), String> {
    let bundle = SsBundle::from_json(&c.bundle_json).map_err(|e| e.to_string())?;
    let r = v
        .verify(Sha256Hash::new(c.digest), &bundle, policy)
        .map_err(|e| e.to_string())?;
    // Only count a full verification: chain, SCT, log entry and identity policy all checked.
    if !(r.certificate_verified()
        && r.sct_verified()
        && r.tlog_verified()
        && r.identity_policy_checked())
    {
        return Err(format!(
            "not a full verification: certificate {} sct {} tlog {} identity {}",
            r.certificate_verified(),
            r.sct_verified(),
            r.tlog_verified(),
            r.identity_policy_checked()
        ));
    }
    black_box(r);
    Ok(())
}

fn main() {
    let mut data = PathBuf::from("../shared/data");
    let mut iterations: usize = 300;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => {
                data = PathBuf::from(args.next().unwrap_or_else(|| die("--data DIR".into())))
            }
            "--iterations" | "-n" => {
                iterations = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| die("--iterations N".into()))
            }
            _ => die(format!("unknown argument {a}")),
        }
    }

    let root_json = read_string(&data.join("trust/prod.trusted_root.json"));
    let signet_root = SignetRoot::from_json(root_json.as_bytes())
        .unwrap_or_else(|e| die(format!("signet: trusted root: {e}")));
    let signet =
        SignetVerifier::new(&signet_root).unwrap_or_else(|e| die(format!("signet: verifier: {e}")));
    let ss_root = SsRoot::from_json(&root_json)
        .unwrap_or_else(|e| die(format!("sigstore-verify: trusted root: {e}")));
    let ss = SsVerifier::new(&ss_root)
        .unwrap_or_else(|e| die(format!("sigstore-verify: verifier: {e}")));

    let cases = cases(&data);
    let mut rows = vec![];
    let mut all_signet = vec![];
    let mut all_ss = vec![];
    for c in &cases {
        let sp = SignetPolicy::identity(c.identity, c.issuer);
        let ssp = SsPolicy::new(c.identity, c.issuer);
        // Both must accept before anything is timed.
        if let Err(e) = run_signet(&signet, c, &sp) {
            die(format!("signet REJECTED {}: {e}", c.name));
        }
        if let Err(e) = run_ss(&ss, c, &ssp) {
            die(format!("sigstore-verify REJECTED {}: {e}", c.name));
        }
        // Controls: both must REJECT a wrong artifact digest and a wrong identity.
        let mut wrong = Case {
            name: c.name.clone(),
            bundle_json: c.bundle_json.clone(),
            digest: c.digest,
            identity: c.identity,
            issuer: c.issuer,
        };
        wrong.digest[0] ^= 1;
        if run_signet(&signet, &wrong, &sp).is_ok() || run_ss(&ss, &wrong, &ssp).is_ok() {
            die(format!(
                "a verifier accepted {} with a wrong artifact digest",
                c.name
            ));
        }
        let bad_id = format!("{}x", c.identity);
        if run_signet(
            &signet,
            c,
            &SignetPolicy::identity(bad_id.as_str(), c.issuer),
        )
        .is_ok()
            || run_ss(&ss, c, &SsPolicy::new(bad_id.as_str(), c.issuer)).is_ok()
        {
            die(format!(
                "a verifier accepted {} with a wrong identity",
                c.name
            ));
        }
        eprintln!(
            "both accept {} (and both reject a wrong digest and a wrong identity)",
            c.name
        );
        // Warm-up (untimed).
        for _ in 0..10 {
            run_signet(&signet, c, &sp).unwrap();
            run_ss(&ss, c, &ssp).unwrap();
        }
        let mut t_signet = Vec::with_capacity(iterations);
        let mut t_ss = Vec::with_capacity(iterations);
        for i in 0..iterations {
            let mut once = |which: bool| {
                let t = Instant::now();
                if which {
                    run_signet(&signet, c, &sp).unwrap();
                    t_signet.push(t.elapsed().as_secs_f64() * 1e6);
                } else {
                    run_ss(&ss, c, &ssp).unwrap();
                    t_ss.push(t.elapsed().as_secs_f64() * 1e6);
                }
            };
            // Alternate which verifier goes first.
            let first_signet = i % 2 == 0;
            once(first_signet);
            once(!first_signet);
        }
        all_signet.extend_from_slice(&t_signet);
        all_ss.extend_from_slice(&t_ss);
        rows.push(Row {
            name: c.name.clone(),
            signet_us: median(&mut t_signet),
            ss_us: median(&mut t_ss),
        });
    }

    println!(
        "N = {iterations} interleaved iterations per verifier per bundle (JSON parse + full verification; artifact as SHA-256 digest)\n"
    );
    println!(
        "| bundle | signet-verify µs | sigstore-verify 0.15.1 µs | ratio sigstore-verify/signet |"
    );
    println!("|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.0} | {:.0} | {:.2} |",
            r.name,
            r.signet_us,
            r.ss_us,
            r.ss_us / r.signet_us
        );
    }
    let mut med_s: Vec<f64> = rows.iter().map(|r| r.signet_us).collect();
    let mut med_ss: Vec<f64> = rows.iter().map(|r| r.ss_us).collect();
    let mut ratios: Vec<f64> = rows.iter().map(|r| r.ss_us / r.signet_us).collect();
    let (ms, mss) = (median(&mut med_s), median(&mut med_ss));
    println!(
        "| **median of the {} bundle medians** | **{:.0}** | **{:.0}** | **{:.2}** (median of ratios {:.2}) |",
        rows.len(),
        ms,
        mss,
        mss / ms,
        median(&mut ratios)
    );
    let (ps, pss) = (median(&mut all_signet), median(&mut all_ss));
    println!(
        "| median of all {} samples | {:.0} | {:.0} | {:.2} |",
        all_signet.len(),
        ps,
        pss,
        pss / ps
    );
}
