//! `signet slsa verify-artifact` and `verify-github-attestation` (slsa-verifier's flags): the
//! arguments and output over `signet_sign::slsa`, which verifies a Sigstore bundle offline or
//! looks a bare DSSE envelope's entry up in Rekor (refused with `--offline`).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use signet_core::encoding::sha256;
use signet_sign::slsa::{Kind, ProvenanceFile};
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
    /// Verify a SLSA verification summary attestation (VSA v1): a DSSE envelope signed with a
    /// key (--public-key-path), or a Sigstore bundle (--cert-identity, --cert-oidc-issuer).
    VerifyVsa(VerifyVsaArgs),
    /// Verify an npm package tarball against its registry attestations (SLSA provenance and
    /// the registry's publish attestation, the registry's keys from the public-good TUF
    /// repository's registry.npmjs.org role unless --npm-keys is given).
    VerifyNpmPackage(VerifyNpmArgs),
}

/// `slsa verify-npm-package`.
#[derive(Args, Debug)]
pub struct VerifyNpmArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The attestations, as GET /-/npm/v1/attestations/NAME@VERSION serves them.
    #[arg(long, value_name = "FILE")]
    pub attestations_path: PathBuf,
    /// The package name (e.g. @scope/name).
    #[arg(long, value_name = "NAME")]
    pub package_name: String,
    /// The package version.
    #[arg(long, value_name = "VERSION")]
    pub package_version: String,
    /// The builder: https://github.com/actions/runner/github-hosted for the npm CLI, or the
    /// trusted reusable workflow of a BYOB builder.
    #[arg(long, value_name = "ID")]
    pub builder_id: String,
    /// The npm registry's keys.json instead of the TUF repository's.
    #[arg(long, value_name = "FILE")]
    pub npm_keys: Option<PathBuf>,
}

/// `--emit-vsa` and its signing.
#[derive(Args, Debug, Default)]
pub struct VsaArgs {
    /// After a pass, write a SLSA VSA v1 about the artifacts: a Sigstore bundle signed
    /// keylessly (--identity-token, SIGSTORE_ID_TOKEN, ambient CI), or with --vsa-key a DSSE
    /// envelope signed with that key.
    #[arg(long, value_name = "OUT", requires = "resource_uri")]
    pub emit_vsa: Option<PathBuf>,
    /// The VSA's resource URI: what was verified (e.g. the artifact's download URL).
    #[arg(long, value_name = "URI", requires = "emit_vsa")]
    pub resource_uri: Option<String>,
    /// The VSA's verifier ID.
    #[arg(
        long,
        value_name = "URI",
        default_value = "https://github.com/signet/signet/slsa"
    )]
    pub verifier_id: String,
    /// Sign the VSA with this managed key (PEM, P-256) instead of keylessly.
    #[arg(
        long,
        value_name = "KEY.pem",
        requires = "emit_vsa",
        conflicts_with = "identity_token"
    )]
    pub vsa_key: Option<PathBuf>,
    /// The OIDC identity token to sign the VSA keylessly with.
    #[arg(long, value_name = "TOKEN", requires = "emit_vsa")]
    pub identity_token: Option<String>,
}

/// `slsa verify-vsa`.
#[derive(Args, Debug)]
pub struct VerifyVsaArgs {
    /// The VSA file.
    #[arg(long, value_name = "FILE")]
    pub attestation_path: PathBuf,
    /// A digest a subject must have, ALG:HEX (repeatable).
    #[arg(long = "subject-digest", value_name = "ALG:HEX", required = true)]
    pub subject_digests: Vec<String>,
    /// The expected verifier ID.
    #[arg(long, value_name = "URI")]
    pub verifier_id: String,
    /// The expected resource URI.
    #[arg(long, value_name = "URI")]
    pub resource_uri: String,
    /// A level the VSA must attest (repeatable; SLSA_BUILD_LEVEL_N is met by N or higher).
    #[arg(long = "verified-level", value_name = "LEVEL")]
    pub verified_levels: Vec<String>,
    /// The key of a key-signed VSA (PEM public key).
    #[arg(long, value_name = "PUB.pem", conflicts_with = "cert_identity")]
    pub public_key_path: Option<PathBuf>,
    /// The signer of a VSA bundle (certificate SAN).
    #[arg(
        long,
        value_name = "IDENTITY",
        requires = "cert_oidc_issuer",
        required_unless_present = "public_key_path"
    )]
    pub cert_identity: Option<String>,
    /// The signer's OIDC issuer.
    #[arg(long, value_name = "URL")]
    pub cert_oidc_issuer: Option<String>,
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
    #[command(flatten)]
    pub vsa: VsaArgs,
}

impl From<VerifyGithubAttestationArgs> for VerifyArtifactArgs {
    fn from(a: VerifyGithubAttestationArgs) -> Self {
        VerifyArtifactArgs {
            source: a.source,
            provenance_path: a.attestation_path,
            builder_id: Some(a.builder_id),
            build_workflow_inputs: vec![],
            rekor_url: DEFAULT_REKOR_URL.into(),
            vsa: a.vsa,
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
    #[command(flatten)]
    pub vsa: VsaArgs,
}

/// Run `signet slsa ...`.
pub fn run(t: &TrustArgs, cmd: SlsaCommand) -> Result<(), Failure> {
    match cmd {
        SlsaCommand::VerifyArtifact(a) => verify_artifact(t, a, Kind::Generator),
        SlsaCommand::VerifyGithubAttestation(a) => {
            verify_artifact(t, a.into(), Kind::GithubAttestation)
        }
        SlsaCommand::VerifyVsa(a) => verify_vsa(t, a),
        SlsaCommand::VerifyNpmPackage(a) => verify_npm(t, a),
    }
}

fn verify_npm(t: &TrustArgs, a: VerifyNpmArgs) -> Result<(), Failure> {
    use signet_verify::slsa::npm;
    let path = a.attestations_path.display();
    let atts = npm::Attestations::from_json(&crate::read_input(&a.attestations_path)?)
        .with_context(|| format!("{path}"))?;
    let keys = match &a.npm_keys {
        Some(p) => crate::read_input(p)?,
        None => trust::tuf_target(t, signet_tuf::NPM_KEYS_TARGET)?,
    };
    let keys = signet_verify::ManagedKey::registry_keys(&keys, npm::ATTESTATION_KEY_USAGE)
        .context("npm registry keys")?;
    let (root, _) = trust::trusted_root(t)?;
    let verifier = Verifier::new(&root).context("trusted root")?;
    let opts = npm::Options {
        package_name: a.package_name,
        package_version: a.package_version,
        slsa: Options {
            builder_id: Some(a.builder_id),
            ..source_options(&a.source)
        },
    };
    for tarball in &a.source.artifacts {
        let digest = signet_core::encoding::sha512(&crate::read_input(tarball)?);
        let v = npm::verify_package(&verifier, &atts, digest, &keys, &opts)
            .map_err(|e| failed(format!("{}: {e}", tarball.display())))?;
        let o = v.outcome;
        eprintln!(
            "Verified build using builder \"{}\" at commit {}",
            o.builder_id, o.commit
        );
        eprintln!(
            "Verified publish attestation signed by npm registry key {}",
            v.registry_key
        );
        if a.source.print_provenance {
            println!("{}", serde_json::to_string(&o.statement).context("JSON")?);
        }
    }
    eprintln!("PASSED: SLSA verification passed");
    Ok(())
}

fn source_options(s: &SourceArgs) -> Options {
    Options {
        source_uri: s.source_uri.clone(),
        source_tag: s.source_tag.clone(),
        source_versioned_tag: s.source_versioned_tag.clone(),
        source_branch: s.source_branch.clone(),
        builder_id: None,
        workflow_inputs: vec![],
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
        builder_id: a.builder_id.clone(),
        workflow_inputs: inputs,
        ..source_options(&a.source)
    })
}

fn failed(reason: impl std::fmt::Display) -> Failure {
    eprintln!("FAILED: SLSA verification failed: {reason}");
    Failure::Verification
}

fn verify_artifact(t: &TrustArgs, a: VerifyArtifactArgs, kind: Kind) -> Result<(), Failure> {
    let opts = options(&a)?;
    if let Some(out) = &a.vsa.emit_vsa {
        // Checked before anything is verified or signed; a VSA written earlier is replaced.
        signet_sign::files::writable_output(out, true)?;
    }
    let path = a.provenance_path.display();
    let bytes = crate::read_input(&a.provenance_path)?;
    let prov = ProvenanceFile::parse(&bytes).with_context(|| format!("{path}"))?;
    let rekor = signet_sign::slsa::rekor_for(&prov, kind, t.offline, &a.rekor_url)
        .map_err(|e| failed(format!("{path}: {e}")))?;
    let (root, _) = trust::trusted_root(t)?;
    let verifier = Verifier::new(&root).context("trusted root")?;
    let mut statements = vec![];
    let mut subjects = vec![];
    for art in &a.source.artifacts {
        let digest = sha256(&crate::read_input(art)?);
        subjects.push((crate::pypi::file_name(art), digest));
        let out = signet_sign::slsa::verify_artifact(
            &verifier,
            &prov,
            kind,
            digest,
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
    match &a.vsa.emit_vsa {
        Some(out) => emit_vsa(t, &a, kind, &bytes, &subjects, out),
        None => Ok(()),
    }
}

/// Write the VSA of a pass: the artifacts verified, the provenance, the level.
fn emit_vsa(
    t: &TrustArgs,
    a: &VerifyArtifactArgs,
    kind: Kind,
    provenance: &[u8],
    subjects: &[(String, [u8; 32])],
    out: &std::path::Path,
) -> Result<(), Failure> {
    use signet_verify::vsa;
    let summary = signet_sign::slsa::vsa_summary(
        kind,
        &a.vsa.verifier_id,
        a.vsa.resource_uri.as_deref().unwrap_or_default(),
        &crate::pypi::file_name(&a.provenance_path),
        provenance,
    );
    let st = vsa::statement(subjects, &summary)
        .to_json()
        .context("VSA")?;
    let bytes = match &a.vsa.vsa_key {
        Some(k) => signet_sign::slsa::key_signed_envelope(&crate::sign::load_key(k)?, &st)?,
        None => {
            let common = crate::sign::SignCommon::with_token(a.vsa.identity_token.clone());
            let (ctx, token) = crate::sign::context(t, &common)?;
            let signed = ctx.sign_statement(&token, &st, subjects[0].1)?;
            signed.bundle.to_json().context("VSA bundle")?.into_bytes()
        }
    };
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("VSA written to {}", out.display());
    Ok(())
}

fn verify_vsa(t: &TrustArgs, a: VerifyVsaArgs) -> Result<(), Failure> {
    use signet_sign::slsa::VsaSigner;
    let want = signet_verify::vsa::Expect {
        subject_digests: a.subject_digests,
        verifier_id: a.verifier_id,
        resource_uri: a.resource_uri,
        verified_levels: a.verified_levels,
    };
    let bytes = crate::read_input(&a.attestation_path)?;
    let r = match (&a.public_key_path, a.cert_identity, a.cert_oidc_issuer) {
        (Some(p), _, _) => {
            let key = signet_core::crypto::PublicKey::from_pem(&String::from_utf8_lossy(
                &crate::read_input(p)?,
            ))
            .map_err(|e| Failure::Usage(format!("{}: {e}", p.display())))?;
            signet_sign::slsa::verify_vsa(&bytes, VsaSigner::Key(&key), &want)
        }
        (None, Some(id), Some(iss)) => {
            let (root, _) = trust::trusted_root(t)?;
            let verifier = Verifier::new(&root).context("trusted root")?;
            let policy = signet_verify::Policy::identity(id, iss);
            signet_sign::slsa::verify_vsa(&bytes, VsaSigner::Bundle(&verifier, &policy), &want)
        }
        _ => {
            return Err(Failure::Usage(
                "give --public-key-path, or --cert-identity with --cert-oidc-issuer".into(),
            ))
        }
    };
    r.map_err(|e| failed(format!("{}: {e}", a.attestation_path.display())))?;
    eprintln!("PASSED: VSA verification passed");
    Ok(())
}
