//! `signet slsa verify-artifact` and `verify-github-attestation` (slsa-verifier's flags): the
//! arguments and output over `signet_sign::slsa`, which verifies a Sigstore bundle offline or
//! looks a bare DSSE envelope's entry up in Rekor (refused with `--offline`).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use signet_core::encoding::sha256;
use signet_sign::rekor_v1::RekorV1;
use signet_sign::slsa::{Error, Kind, ProvenanceFile};
use signet_verify::slsa::Options;
use signet_verify::Verifier;

use crate::{trust, Failure, TrustArgs};

/// The public-good Rekor.
pub const DEFAULT_REKOR_URL: &str = "https://rekor.sigstore.dev";

/// `signet slsa ...`
#[derive(Subcommand, Debug)]
pub enum SlsaCommand {
    /// Verify artifacts against SLSA provenance from slsa-github-generator (as slsa-verifier).
    VerifyArtifact(VerifyArtifactArgs),
    /// Verify artifacts against a GitHub artifact attestation (actions/attest-build-provenance,
    /// SLSA v1 in a Sigstore bundle); the builder workflow must be named with --builder-id.
    VerifyGithubAttestation(VerifyGithubAttestationArgs),
}

/// The source and output flags both verifications take.
#[derive(Args, Debug)]
pub struct SourceArgs {
    /// The artifacts.
    #[arg(required = true, value_name = "ARTIFACT")]
    pub artifacts: Vec<PathBuf>,
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
    /// Print the verified provenance statement (JSON) on stdout.
    #[arg(long)]
    pub print_provenance: bool,
}

/// `slsa verify-github-attestation`.
#[derive(Args, Debug)]
pub struct VerifyGithubAttestationArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The attestation: a Sigstore bundle (as `gh attestation download` writes, one per line).
    #[arg(long, value_name = "FILE")]
    pub attestation_path: PathBuf,
    /// The workflow that built the artifact: https://github.com/O/R/.github/workflows/W.yml[@REF].
    #[arg(long, value_name = "ID", required = true)]
    pub builder_id: String,
}

impl From<VerifyGithubAttestationArgs> for VerifyArtifactArgs {
    fn from(a: VerifyGithubAttestationArgs) -> Self {
        VerifyArtifactArgs {
            source: a.source,
            provenance_path: a.attestation_path,
            builder_id: Some(a.builder_id),
            build_workflow_inputs: vec![],
            rekor_url: DEFAULT_REKOR_URL.into(),
        }
    }
}

/// `slsa verify-artifact`.
#[derive(Args, Debug)]
pub struct VerifyArtifactArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The provenance: a Sigstore bundle, or a bare DSSE envelope (`.intoto.jsonl`).
    #[arg(long, value_name = "FILE")]
    pub provenance_path: PathBuf,
    /// The expected builder: NAME, NAME@vX.Y.Z or NAME@refs/tags/vX.Y.Z.
    #[arg(long, value_name = "ID")]
    pub builder_id: Option<String>,
    /// An expected workflow_dispatch input, KEY=VALUE (repeatable).
    #[arg(long = "build-workflow-input", value_name = "KEY=VALUE")]
    pub build_workflow_inputs: Vec<String>,
    /// Rekor instance searched for bare DSSE envelopes.
    #[arg(long, value_name = "URL", default_value = DEFAULT_REKOR_URL)]
    pub rekor_url: String,
}

/// Run `signet slsa ...`.
pub fn run(t: &TrustArgs, cmd: SlsaCommand) -> Result<(), Failure> {
    match cmd {
        SlsaCommand::VerifyArtifact(a) => verify_artifact(t, a, Kind::Generator),
        SlsaCommand::VerifyGithubAttestation(a) => {
            verify_artifact(t, a.into(), Kind::GithubAttestation)
        }
    }
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
        source_uri: a.source.source_uri.clone(),
        source_tag: a.source.source_tag.clone(),
        source_versioned_tag: a.source.source_versioned_tag.clone(),
        source_branch: a.source.source_branch.clone(),
        builder_id: a.builder_id.clone(),
        workflow_inputs: inputs,
    })
}

fn failed(reason: impl std::fmt::Display) -> Failure {
    eprintln!("FAILED: SLSA verification failed: {reason}");
    Failure::Verification
}

fn verify_artifact(t: &TrustArgs, a: VerifyArtifactArgs, kind: Kind) -> Result<(), Failure> {
    let opts = options(&a)?;
    let path = a.provenance_path.display();
    let bytes = crate::read_input(&a.provenance_path)?;
    let prov = ProvenanceFile::parse(&bytes).with_context(|| format!("{path}"))?;
    let rekor = match &prov {
        ProvenanceFile::Envelope(_) if kind == Kind::GithubAttestation => {
            return Err(failed(format!("{path}: {}", Error::EnvelopeNotAccepted)))
        }
        ProvenanceFile::Envelope(_) if t.offline => {
            return Err(failed(format!(
                "{path} is a bare DSSE envelope without certificate or log entry: verifying it needs a transparency log lookup (Rekor search at {}), which --offline forbids; use a Sigstore bundle to verify offline",
                a.rekor_url
            )));
        }
        ProvenanceFile::Envelope(_) => Some(RekorV1::new(
            &a.rekor_url,
            signet_http::Http::new().context("building the HTTP client")?,
        )),
        ProvenanceFile::Bundle(_) => None,
    };
    let (root, _) = trust::trusted_root(t)?;
    let verifier = Verifier::new(&root).context("trusted root")?;
    let mut statements = vec![];
    for art in &a.source.artifacts {
        let bytes = crate::read_input(art)?;
        let out = signet_sign::slsa::verify_artifact(
            &verifier,
            &prov,
            kind,
            sha256(&bytes),
            &opts,
            rekor.as_ref(),
        )
        .map_err(|e| failed(format!("{}: {e}", art.display())))?;
        eprintln!(
            "Verified build using builder \"{}\" at commit {}",
            out.builder_id, out.commit
        );
        statements.push(out.statement);
    }
    if a.source.print_provenance {
        for s in &statements {
            println!("{}", serde_json::to_string(s).context("JSON")?);
        }
    }
    eprintln!("PASSED: SLSA verification passed");
    Ok(())
}
