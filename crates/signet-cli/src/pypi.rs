//! `signet pypi ...`: PEP 740 attestations (pypi-attestations' CLI, with Signet conventions).
//!
//! Verification logic lives in `signet_verify::pypi` (no I/O); this module reads files, talks
//! to PyPI's simple/JSON and integrity APIs (online only), and prints `OK:` / `FAIL:` lines.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use signet_core::pep740::Attestation;
use signet_verify::pypi::{self, Distribution, Provenance, PublisherPolicy, Signer};
use signet_verify::Verifier;

use crate::sign::SignCommon;
use crate::{trust, Failure, TrustArgs};

/// `signet pypi ...`
#[derive(Subcommand, Debug)]
pub enum PypiCommand {
    /// Verify PEP 740 attestations.
    #[command(subcommand)]
    Verify(PypiVerifyCommand),
    /// Show what a PEP 740 attestation contains.
    Inspect(PypiInspectArgs),
    /// Convert a Sigstore bundle to a PEP 740 attestation, or an attestation to a bundle.
    Convert(ConvertArgs),
    /// Sign distributions, writing DIST.publish.attestation.
    Sign(PypiSignArgs),
    /// Verify the provenance of every file a lockfile pins (requirements.txt, pylock.toml,
    /// uv.lock) and check its publisher.
    Audit(AuditArgs),
}

/// `signet pypi audit LOCKFILE`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// requirements.txt (pinned, with --hash), pylock.toml or uv.lock (by name).
    pub lockfile: PathBuf,
    /// The package index (PEP 691 simple API, PEP 740 provenance or the integrity API).
    #[arg(long, value_name = "URL", default_value = "https://pypi.org")]
    pub index_url: String,
    /// Recorded publishers: a package whose verified publisher differs fails (drift).
    #[arg(long, value_name = "PINS.toml")]
    pub pins: Option<PathBuf>,
    /// Record the publisher of every package verified and not yet pinned (trust on first use).
    #[arg(long, requires = "pins")]
    pub update_pins: bool,
    /// A file without provenance (or not from an index) fails the audit.
    #[arg(long)]
    pub require_provenance: bool,
    /// JSON output (one object: files and summary).
    #[arg(long)]
    pub json: bool,
    /// Requests in flight at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 8)]
    pub jobs: usize,
}

/// `signet pypi verify ...`
#[derive(Subcommand, Debug)]
pub enum PypiVerifyCommand {
    /// Verify local attestation files against an exact signer identity (SAN).
    Attestation(VerifyAttestationArgs),
    /// Verify a distribution's PyPI provenance against its Trusted Publisher.
    Pypi(VerifyPypiArgs),
}

/// `signet pypi verify attestation`.
#[derive(Args, Debug)]
pub struct VerifyAttestationArgs {
    /// The expected signer identity (certificate SAN, exact match; the issuer is not checked).
    #[arg(long, required = true)]
    pub identity: String,
    /// Attestation files (default: DIST.publish.attestation and DIST.slsa.attestation, those
    /// that exist). Only with one DIST.
    #[arg(long, value_name = "FILE")]
    pub attestation: Vec<PathBuf>,
    /// Distributions (sdists or wheels).
    #[arg(required = true, value_name = "DIST")]
    pub dists: Vec<PathBuf>,
}

/// `signet pypi verify pypi`.
#[derive(Args, Debug)]
pub struct VerifyPypiArgs {
    /// The publishing repository URL (https://github.com/OWNER/REPO or
    /// https://gitlab.com/NAMESPACE/PROJECT; the host decides the publisher kind).
    #[arg(long, value_name = "URL")]
    pub repository: Option<String>,
    /// The publishing Google Cloud service account email.
    #[arg(long, value_name = "EMAIL", conflicts_with = "repository")]
    pub gcp_service_account: Option<String>,
    /// The publishing CircleCI project ID.
    #[arg(long, value_name = "ID", requires = "circleci_pipeline_definition_id", conflicts_with_all = ["repository", "gcp_service_account"])]
    pub circleci_project_id: Option<String>,
    /// The publishing CircleCI pipeline definition ID.
    #[arg(long, value_name = "ID", requires = "circleci_project_id")]
    pub circleci_pipeline_definition_id: Option<String>,
    /// A provenance file (PyPI integrity API JSON); default: fetch it from the index.
    #[arg(long, value_name = "FILE")]
    pub provenance_file: Option<PathBuf>,
    /// The package index.
    #[arg(long, value_name = "URL", default_value = "https://pypi.org")]
    pub index_url: String,
    /// A local distribution, `pypi:FILENAME`, or the distribution's URL.
    #[arg(value_name = "DIST|pypi:FILE|URL")]
    pub dist: String,
}

/// `signet pypi inspect`.
#[derive(Args, Debug)]
pub struct PypiInspectArgs {
    /// The attestation (`*.attestation`).
    pub file: PathBuf,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `signet pypi convert`.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Where to write the result.
    #[arg(long, required = true, value_name = "FILE")]
    pub output_file: PathBuf,
    /// A Sigstore bundle (→ attestation) or a PEP 740 attestation (→ bundle).
    pub input: PathBuf,
}

/// `signet pypi sign`.
#[derive(Args, Debug)]
pub struct PypiSignArgs {
    #[command(flatten)]
    pub common: SignCommon,
    /// Distributions to attest.
    #[arg(required = true, value_name = "DIST")]
    pub dists: Vec<PathBuf>,
}

/// The last component of `p`, lossily as UTF-8.
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Read and parse a PEP 740 attestation file.
pub fn read_attestation(p: &Path) -> anyhow::Result<Attestation> {
    let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
    Attestation::from_json(&bytes).with_context(|| format!("parsing {}", p.display()))
}

fn verify_attestations(t: &TrustArgs, a: VerifyAttestationArgs) -> Result<(), Failure> {
    let jobs = signet_sign::files::attestations_for(&a.dists, &a.attestation)?;
    let (root, _) = trust::trusted_root(t)?;
    let verifier = Verifier::new(&root).map_err(|e| Failure::Other(e.into()))?;
    let signer = Signer::Identity(a.identity.clone());
    let mut failed = false;
    for (dist, at) in jobs {
        match signet_sign::pep740::verify_file(&verifier, &dist, &at, &signer) {
            Ok(()) => eprintln!("OK: {}", at.display()),
            Err(e) => {
                failed = true;
                eprintln!("FAIL: {}: {}", at.display(), crate::error_text(&e));
            }
        }
    }
    match failed {
        true => Err(Failure::Verification),
        false => Ok(()),
    }
}

fn verify_pypi(t: &TrustArgs, a: VerifyPypiArgs) -> Result<(), Failure> {
    let circleci = (
        a.circleci_project_id.as_deref(),
        a.circleci_pipeline_definition_id.as_deref(),
    );
    let policy = PublisherPolicy::from_flags(
        a.repository.as_deref(),
        a.gcp_service_account.as_deref(),
        circleci,
    )
    .map_err(|e| match e {
        pypi::Error::Policy(m) if m.starts_with("repository") => Failure::Usage(format!("--{m}")),
        pypi::Error::Policy(m) => Failure::Usage(m),
        other => Failure::Usage(other.to_string()),
    })?;
    let (root, _) = trust::trusted_root(t)?;
    let verifier = Verifier::new(&root).map_err(|e| Failure::Other(e.into()))?;
    use signet_sign::pypi_index::{resolve, ResolveError};
    let (dist, prov) = resolve(
        &a.dist,
        a.provenance_file.as_deref(),
        &a.index_url,
        t.offline,
    )
    .map_err(|e| match e {
        ResolveError::Usage(m) => Failure::Usage(m),
        ResolveError::Failed(e) => {
            eprintln!("FAIL: {}: {}", a.dist, crate::error_text(&e));
            Failure::Verification
        }
    })?;
    let r = Provenance::from_json(&prov)
        .and_then(|prov| pypi::verify_provenance(&verifier, &prov, &dist, &policy));
    match r {
        Ok(_) => {
            eprintln!("OK: {}", a.dist);
            Ok(())
        }
        Err(e) => {
            eprintln!("FAIL: {}: {}", a.dist, crate::error_text(&e));
            Err(Failure::Verification)
        }
    }
}

fn inspect(a: PypiInspectArgs) -> Result<(), Failure> {
    let att = read_attestation(&a.file)?;
    let info = signet_core::describe::attestation(&att)
        .with_context(|| format!("{}", a.file.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&info).context("JSON")?);
        return Ok(());
    }
    print!("{}", signet_core::describe::attestation_text(&info));
    Ok(())
}

fn convert(a: ConvertArgs) -> Result<(), Failure> {
    let out = Attestation::convert(&crate::read_input(&a.input)?)
        .with_context(|| format!("converting {}", a.input.display()))?;
    std::fs::write(&a.output_file, out)
        .with_context(|| format!("writing {}", a.output_file.display()))?;
    let (i, o) = (a.input.display(), a.output_file.display());
    eprintln!("Converted {i} to {o}");
    Ok(())
}

/// Why PEP 740 signing stays on Rekor v1.
const PEP740_NEEDS_REKOR_V1: &str = "PEP 740 attestations carry no RFC 3161 timestamp, and a Rekor v2 entry gives no signing time, so an attestation logged to Rekor v2 could not be verified by anyone: sign with Rekor v1 (the default; --rekor-version 1)";

fn sign(t: &TrustArgs, a: PypiSignArgs) -> Result<(), Failure> {
    if a.common.rekor_version.as_deref() == Some("2") {
        return Err(Failure::Usage(PEP740_NEEDS_REKOR_V1.into()));
    }
    let mut jobs = vec![];
    for (d, out) in signet_sign::files::attestation_outputs(&a.dists, a.common.overwrite)? {
        let data = crate::read_input(&d)?;
        let dist = Distribution::from_bytes(&file_name(&d), &data)
            .map_err(|e| Failure::Usage(e.to_string()))?;
        jobs.push((d, dist, out));
    }
    let (ctx, token) = crate::sign::context_with(t, &a.common, Some(signet_sign::RekorVersion::V1))
        .map_err(|e| match e {
            Failure::Other(e) if e.to_string().contains("no Rekor v1 URL") => {
                Failure::Other(e.context(PEP740_NEEDS_REKOR_V1))
            }
            e => e,
        })?;
    for (d, dist, out) in jobs {
        let (att, cert) = ctx
            .attest_publish(&token, &dist.name, dist.digest)
            .with_context(|| format!("attesting {}; nothing written", d.display()))?;
        let json = serde_json::to_string(&att).context("JSON")?;
        std::fs::write(&out, json).with_context(|| format!("writing {}", out.display()))?;
        eprintln!(
            "Attested {} as {}; attestation written to {}",
            d.display(),
            cert.identity(),
            out.display()
        );
    }
    Ok(())
}

/// Entry point.
pub fn run(t: &TrustArgs, cmd: PypiCommand) -> Result<(), Failure> {
    match cmd {
        PypiCommand::Verify(PypiVerifyCommand::Attestation(a)) => verify_attestations(t, a),
        PypiCommand::Verify(PypiVerifyCommand::Pypi(a)) => verify_pypi(t, a),
        PypiCommand::Inspect(a) => inspect(a),
        PypiCommand::Convert(a) => convert(a),
        PypiCommand::Sign(a) => sign(t, a),
        PypiCommand::Audit(a) => audit(t, a),
    }
}

fn audit(t: &TrustArgs, a: AuditArgs) -> Result<(), Failure> {
    use signet_sign::pypi_audit;
    if t.offline {
        return Err(Failure::Usage(
            "pypi audit asks the index: not with --offline".into(),
        ));
    }
    let usage = |e: pypi_audit::InputError| Failure::Usage(e.to_string());
    let packages = pypi_audit::read_lockfile(&a.lockfile).map_err(usage)?;
    let pins = pypi_audit::read_pins(a.pins.as_deref(), a.update_pins).map_err(usage)?;
    let (root, _) = trust::trusted_root(t)?;
    let verifier = Verifier::new(&root).map_err(|e| Failure::Other(e.into()))?;
    let files: usize = packages.iter().map(|p| p.files.len().max(1)).sum();
    let bar = indicatif::ProgressBar::new(files as u64);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let index = signet_sign::pypi_index::PypiIndex::connect(&a.index_url)?;
    let on_done = |n: usize| bar.set_position(n as u64);
    let rows = pypi_audit::audit(&index, &verifier, &packages, &pins, a.jobs.max(1), &on_done);
    bar.finish_and_clear();
    match a.json {
        true => println!("{}", pypi_audit::to_json(&rows)),
        false => print!("{}", pypi_audit::table(&rows)),
    }
    eprintln!("{}", pypi_audit::summary(&rows));
    if let (true, Some(p)) = (a.update_pins, &a.pins) {
        let new = pypi_audit::updated_pins(&pins, &rows);
        std::fs::write(p, new.to_toml()).with_context(|| format!("writing {}", p.display()))?;
        let (all, old) = (new.publishers.len(), pins.publishers.len());
        eprintln!(
            "{all} publishers pinned in {} ({} new)",
            p.display(),
            all - old
        );
    }
    match pypi_audit::passed(&rows, a.require_provenance) {
        true => Ok(()),
        false => Err(Failure::Verification),
    }
}
