//! `signet slsa verify-artifact`: slsa-verifier's `verify-artifact` for slsa-github-generator
//! provenance.
//!
//! The provenance is either a Sigstore bundle (verified offline) or a bare DSSE envelope, as
//! older slsa-github-generator releases wrote. A bare envelope carries neither the signing
//! certificate nor the log entry, so they are looked up in Rekor (v1 search index by artifact
//! digest, then by payload digest; then the entries), assembled into a bundle and verified as
//! usual. That lookup is the only network I/O, and `--offline` refuses it.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use serde_json::Value;
use signet_core::bundle::Bundle;
use signet_core::dsse::Envelope;
use signet_core::encoding::sha256;
use signet_verify::slsa::{self, Options};
use signet_verify::{Artifact, Verifier};

use crate::{trust, Failure, TrustArgs};

/// The public-good Rekor.
pub const DEFAULT_REKOR_URL: &str = "https://rekor.sigstore.dev";

use signet_core::limits::MAX_DSSE_CANDIDATES as MAX_CANDIDATES;

/// `signet slsa ...`
#[derive(Subcommand, Debug)]
pub enum SlsaCommand {
    /// Verify artifacts against SLSA provenance from slsa-github-generator (as slsa-verifier).
    VerifyArtifact(VerifyArtifactArgs),
    /// Verify artifacts against a GitHub artifact attestation (actions/attest-build-provenance,
    /// SLSA v1 in a Sigstore bundle); the builder workflow must be named with --builder-id.
    VerifyGithubAttestation(VerifyGithubAttestationArgs),
}

/// `slsa verify-github-attestation`.
#[derive(Args, Debug)]
pub struct VerifyGithubAttestationArgs {
    /// The artifacts.
    #[arg(required = true, value_name = "ARTIFACT")]
    pub artifacts: Vec<PathBuf>,
    /// The attestation: a Sigstore bundle (as `gh attestation download` writes, one per line).
    #[arg(long, value_name = "FILE")]
    pub attestation_path: PathBuf,
    /// The expected source repository, e.g. github.com/OWNER/REPO.
    #[arg(long, value_name = "URI")]
    pub source_uri: String,
    /// The expected source tag (exact).
    #[arg(long, value_name = "TAG", conflicts_with = "source_versioned_tag")]
    pub source_tag: Option<String>,
    /// The expected source tag as a semver prefix (v1, v1.2 or v1.2.3).
    #[arg(long, value_name = "TAG")]
    pub source_versioned_tag: Option<String>,
    /// The expected source branch.
    #[arg(long, value_name = "BRANCH")]
    pub source_branch: Option<String>,
    /// The workflow that built the artifact: https://github.com/O/R/.github/workflows/W.yml[@REF].
    #[arg(long, value_name = "ID", required = true)]
    pub builder_id: String,
    /// Print the verified provenance statement (JSON) on stdout.
    #[arg(long)]
    pub print_provenance: bool,
}

impl From<VerifyGithubAttestationArgs> for VerifyArtifactArgs {
    fn from(a: VerifyGithubAttestationArgs) -> Self {
        VerifyArtifactArgs {
            artifacts: a.artifacts,
            provenance_path: a.attestation_path,
            source_uri: a.source_uri,
            source_tag: a.source_tag,
            source_versioned_tag: a.source_versioned_tag,
            source_branch: a.source_branch,
            builder_id: Some(a.builder_id),
            build_workflow_inputs: vec![],
            print_provenance: a.print_provenance,
            rekor_url: DEFAULT_REKOR_URL.into(),
        }
    }
}

/// Which kind of provenance is being verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// slsa-github-generator provenance (trusted reusable workflows).
    Generator,
    /// A GitHub artifact attestation (the workflow named by --builder-id).
    GithubAttestation,
}

/// `slsa verify-artifact`.
#[derive(Args, Debug)]
pub struct VerifyArtifactArgs {
    /// The artifacts.
    #[arg(required = true, value_name = "ARTIFACT")]
    pub artifacts: Vec<PathBuf>,
    /// The provenance: a Sigstore bundle, or a bare DSSE envelope (`.intoto.jsonl`).
    #[arg(long, value_name = "FILE")]
    pub provenance_path: PathBuf,
    /// The expected source repository, e.g. github.com/OWNER/REPO.
    #[arg(long, value_name = "URI")]
    pub source_uri: String,
    /// The expected source tag (exact).
    #[arg(long, value_name = "TAG", conflicts_with = "source_versioned_tag")]
    pub source_tag: Option<String>,
    /// The expected source tag as a semver prefix (v1, v1.2 or v1.2.3).
    #[arg(long, value_name = "TAG")]
    pub source_versioned_tag: Option<String>,
    /// The expected source branch.
    #[arg(long, value_name = "BRANCH")]
    pub source_branch: Option<String>,
    /// The expected builder: NAME, NAME@vX.Y.Z or NAME@refs/tags/vX.Y.Z.
    #[arg(long, value_name = "ID")]
    pub builder_id: Option<String>,
    /// An expected workflow_dispatch input, KEY=VALUE (repeatable).
    #[arg(long = "build-workflow-input", value_name = "KEY=VALUE")]
    pub build_workflow_inputs: Vec<String>,
    /// Print the verified provenance statement (JSON) on stdout.
    #[arg(long)]
    pub print_provenance: bool,
    /// Rekor instance searched for bare DSSE envelopes.
    #[arg(long, value_name = "URL", default_value = DEFAULT_REKOR_URL)]
    pub rekor_url: String,
}

/// Run `signet slsa ...`.
pub fn run(t: &TrustArgs, cmd: SlsaCommand) -> Result<(), Failure> {
    match cmd {
        SlsaCommand::VerifyArtifact(a) => verify_artifact(t, a, Mode::Generator),
        SlsaCommand::VerifyGithubAttestation(a) => {
            verify_artifact(t, a.into(), Mode::GithubAttestation)
        }
    }
}

/// The provenance file's content.
enum Provenance {
    Bundle(Box<Bundle>),
    Envelope(Envelope),
}

fn load_provenance(p: &std::path::Path) -> anyhow::Result<Provenance> {
    let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    // `.intoto.jsonl`: one JSON document per line; the first one is the provenance.
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| anyhow!("{} is empty", p.display()))?;
    let mut v: Value =
        serde_json::from_str(first).with_context(|| format!("parsing {}", p.display()))?;
    // The GitHub attestations API wraps the bundle: {"bundle": {...}, ...}.
    if let Some(inner) = v.get("bundle").filter(|b| b.is_object()) {
        v = inner.clone();
    }
    if v.get("mediaType").is_some() || v.get("verificationMaterial").is_some() {
        let b = Bundle::from_json(v.to_string().as_bytes())
            .with_context(|| format!("parsing {} as a Sigstore bundle", p.display()))?;
        return Ok(Provenance::Bundle(Box::new(b)));
    }
    if v.get("payloadType").is_some() {
        let e = Envelope::from_json(first.as_bytes())
            .with_context(|| format!("parsing {} as a DSSE envelope", p.display()))?;
        return Ok(Provenance::Envelope(e));
    }
    Err(anyhow!(
        "{} is neither a Sigstore bundle (mediaType) nor a DSSE envelope (payloadType)",
        p.display()
    ))
}

fn options(a: &VerifyArtifactArgs) -> Result<Options, Failure> {
    let mut inputs = vec![];
    for kv in &a.build_workflow_inputs {
        let (k, v) = kv.split_once('=').ok_or_else(|| {
            Failure::Usage(format!("--build-workflow-input {kv:?}: expected KEY=VALUE"))
        })?;
        inputs.push((k.to_string(), v.to_string()));
    }
    Ok(Options {
        source_uri: a.source_uri.clone(),
        source_tag: a.source_tag.clone(),
        source_versioned_tag: a.source_versioned_tag.clone(),
        source_branch: a.source_branch.clone(),
        builder_id: a.builder_id.clone(),
        workflow_inputs: inputs,
    })
}

fn failed(reason: impl std::fmt::Display) -> Failure {
    eprintln!("FAILED: SLSA verification failed: {reason}");
    Failure::Verification
}

fn verify_artifact(t: &TrustArgs, a: VerifyArtifactArgs, mode: Mode) -> Result<(), Failure> {
    let opts = options(&a)?;
    let prov = load_provenance(&a.provenance_path)?;
    if let (Provenance::Envelope(_), Mode::GithubAttestation) = (&prov, mode) {
        return Err(failed(format!(
            "{} is a bare DSSE envelope; GitHub attestations are Sigstore bundles",
            a.provenance_path.display()
        )));
    }
    if let Provenance::Envelope(_) = &prov {
        if t.offline {
            return Err(failed(format!(
                "{} is a bare DSSE envelope without certificate or log entry: verifying it needs a transparency log lookup (Rekor search at {}), which --offline forbids; use a Sigstore bundle to verify offline",
                a.provenance_path.display(),
                a.rekor_url
            )));
        }
    }
    let (root, _) = trust::trusted_root(t)?;
    let verifier = Verifier::new(&root).map_err(|e| Failure::Other(e.into()))?;
    let policy = match mode {
        Mode::Generator => slsa::builder_policy(),
        Mode::GithubAttestation => slsa::github_attestation_policy(),
    };
    let mut statements = vec![];
    for art in &a.artifacts {
        let bytes = std::fs::read(art).with_context(|| format!("reading {}", art.display()))?;
        let digest = sha256(&bytes);
        let digest_hex = hex::encode(digest);
        let verified = match &prov {
            Provenance::Bundle(b) => verifier
                .verify(b, Artifact::Sha256(digest), &policy)
                .map_err(|e| failed(format!("{}: {e}", art.display())))?,
            Provenance::Envelope(env) => {
                let candidates = rekor_candidates(&a.rekor_url, env, &digest_hex)
                    .map_err(|e| failed(format!("{}: {e:#}", art.display())))?;
                let mut errors = vec![];
                let mut ok = None;
                for (uuid, b) in candidates {
                    match verifier.verify(&b, Artifact::Sha256(digest), &policy) {
                        Ok(v) => {
                            ok = Some(v);
                            break;
                        }
                        Err(e) => errors.push(format!("entry {uuid}: {e}")),
                    }
                }
                ok.ok_or_else(|| {
                    failed(format!(
                        "{}: no valid transparency log entry for the provenance at {} (artifact sha256 {digest_hex}){}",
                        art.display(),
                        a.rekor_url,
                        if errors.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", errors.join("; "))
                        }
                    ))
                })?
            }
        };
        let payload = match &prov {
            Provenance::Bundle(b) => b
                .dsse_envelope
                .as_ref()
                .map(|e| e.payload.as_slice())
                .ok_or_else(|| failed("the provenance bundle carries no DSSE envelope"))?,
            Provenance::Envelope(e) => e.payload.as_slice(),
        };
        let out = match mode {
            Mode::Generator => {
                slsa::verify_provenance(&verified.certificate, payload, &digest_hex, &opts)
            }
            Mode::GithubAttestation => {
                slsa::verify_github_attestation(&verified.certificate, payload, &digest_hex, &opts)
            }
        }
        .map_err(|e| failed(format!("{}: {e}", art.display())))?;
        eprintln!(
            "Verified build using builder \"{}\" at commit {}",
            out.builder_id, out.commit
        );
        statements.push(out.statement);
    }
    if a.print_provenance {
        for s in &statements {
            println!(
                "{}",
                serde_json::to_string(s).map_err(|e| Failure::Other(e.into()))?
            );
        }
    }
    eprintln!("PASSED: SLSA verification passed");
    Ok(())
}

/// Entries of the Rekor v1 log at `rekor_url` that log `env`, as bundles (see
/// [`signet_sign::rekor_v1::RekorV1::dsse_bundles`]).
fn rekor_candidates(
    rekor_url: &str,
    env: &Envelope,
    artifact_hex: &str,
) -> anyhow::Result<Vec<(String, Bundle)>> {
    let http = signet_http::Http::new().context("building the HTTP client")?;
    Ok(
        signet_sign::rekor_v1::RekorV1::new(rekor_url, http).dsse_bundles(
            env,
            artifact_hex,
            MAX_CANDIDATES,
        )?,
    )
}
