//! `signet verify identity|github|key` and `signet conformance verify-bundle|sign-bundle`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use signet_core::bundle::Bundle;
use signet_verify::{IdentityMatcher, ManagedKey, Policy, Verifier};

use signet_sign::files::{bundles_for, Input};
use signet_verify::bench::run_parallel;
use signet_verify::report::{input_report, Mode};

use crate::{trust, Failure, TrustArgs};

/// `signet verify ...`
#[derive(Subcommand, Debug)]
pub enum VerifyCommand {
    /// Verify against an explicit signer identity and OIDC issuer.
    Identity(IdentityArgs),
    /// Verify a bundle signed by a GitHub Actions workflow.
    Github(GithubArgs),
    /// Verify a bundle signed with a managed key (a `publicKey` hint, no certificate).
    Key(KeyArgs),
    /// Verify an artifact's bundles against a policy file (any-of identities, k of n signers,
    /// predicate rules, signing-time bounds; docs/policy.md).
    Policy(PolicyArgs),
}

/// `verify policy`.
#[derive(Args, Debug)]
pub struct PolicyArgs {
    /// The policy (YAML or JSON).
    #[arg(long, value_name = "P.yaml", required = true)]
    pub policy: PathBuf,
    /// The bundles (default: FILE.sigstore.json); repeat for several signers.
    #[arg(long, value_name = "FILE")]
    pub bundle: Vec<PathBuf>,
    /// The artifact, or `sha256:HEX` (which needs --bundle).
    #[arg(value_name = "FILE|sha256:HEX")]
    pub input: String,
}

/// `verify key`.
#[derive(Args, Debug)]
pub struct KeyArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The public key: a PEM `PUBLIC KEY` file (trusted at any time), or a keyring JSON
    /// `{"keys": [{"hint", "publicKey": {"rawBytes", "keyDetails", "validFor"}}]}` whose keys
    /// are trusted only within their `validFor` and are selected by the bundle's hint.
    #[arg(long, value_name = "PUB.pem|KEYRING.json", required = true)]
    pub key: PathBuf,
}

/// Inputs shared by both verify forms.
#[derive(Args, Debug)]
pub struct InputArgs {
    /// Files to verify, or `sha256:HEX` digests (which need --bundle).
    #[arg(required = true, value_name = "FILE|sha256:HEX")]
    pub files: Vec<String>,
    /// The bundle (default: FILE.sigstore.json, then FILE.sigstore). Only with one input.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Verify inputs on N threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Print one JSON object per input on stdout (JSON Lines): what was verified (identity,
    /// issuer, Fulcio extensions, signing times and their sources, log entries, predicate
    /// type), or why not. The exit code is as without it.
    #[arg(long)]
    pub json: bool,
}

/// `verify identity`.
#[derive(Args, Debug)]
pub struct IdentityArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The expected signer identity (email, URI or username SAN).
    #[arg(
        long,
        value_name = "IDENTITY",
        required_unless_present = "cert_identity_regexp"
    )]
    pub cert_identity: Option<String>,
    /// A regular expression the signer identity must fully match.
    #[arg(long, value_name = "REGEX", conflicts_with = "cert_identity")]
    pub cert_identity_regexp: Option<String>,
    /// The expected OIDC issuer URL.
    #[arg(long, value_name = "URL", required = true)]
    pub cert_oidc_issuer: String,
}

/// `verify github`.
#[derive(Args, Debug)]
pub struct GithubArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The expected workflow identity (SAN), e.g. https://github.com/O/R/.github/workflows/w.yml@refs/tags/v1.
    #[arg(long, value_name = "IDENTITY")]
    pub cert_identity: Option<String>,
    /// The expected workflow trigger event.
    #[arg(long = "trigger", value_name = "EVENT")]
    pub trigger: Option<String>,
    /// The expected commit SHA.
    #[arg(long = "sha", value_name = "SHA")]
    pub sha: Option<String>,
    /// The expected workflow name.
    #[arg(long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// The expected repository, OWNER/REPO.
    #[arg(long = "repository", value_name = "OWNER/REPO")]
    pub repository: Option<String>,
    /// The expected git ref, e.g. refs/heads/main.
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,
}

/// `signet conformance ...`
#[derive(Subcommand, Debug)]
pub enum ConformanceCommand {
    /// sigstore-conformance `verify-bundle`.
    VerifyBundle(ConformanceVerifyArgs),
    /// sigstore-conformance `sign-bundle`.
    SignBundle(crate::sign::ConformanceSignArgs),
}

/// Arguments of the conformance protocol's `verify-bundle`.
#[derive(Args, Debug)]
pub struct ConformanceVerifyArgs {
    /// The bundle.
    #[arg(long)]
    pub bundle: PathBuf,
    /// Expected identity.
    #[arg(long, required_unless_present = "key", conflicts_with = "key")]
    pub certificate_identity: Option<String>,
    /// Expected issuer.
    #[arg(long, required_unless_present = "key", conflicts_with = "key")]
    pub certificate_oidc_issuer: Option<String>,
    /// A managed public key (PEM) instead of an identity.
    #[arg(long, value_name = "PATH")]
    pub key: Option<PathBuf>,
    /// The artifact file or `sha256:HEX`.
    pub file_or_digest: String,
}

struct Job {
    label: String,
    input: Input,
    bundle: PathBuf,
}

fn collect_jobs(input: &InputArgs) -> Result<Vec<Job>, Failure> {
    let jobs = signet_sign::files::verify_jobs(&input.files, input.bundle.as_deref())?;
    Ok(jobs
        .into_iter()
        .map(|(label, input, bundle)| Job {
            label,
            input,
            bundle,
        })
        .collect())
}

/// Load `--key`: a PEM public key, or a keyring JSON.
fn load_keys(p: &Path) -> Result<Vec<ManagedKey>, Failure> {
    let bytes = std::fs::read(p)
        .map_err(|e| Failure::Usage(format!("reading key {}: {e}", p.display())))?;
    let r = ManagedKey::from_key_file(&bytes);
    r.map_err(|e| Failure::Usage(format!("key {}: {e}", p.display())))
}

/// What a verified input showed: its JSON report and, for DSSE bundles, the statement payload.
struct Outcome {
    report: serde_json::Value,
    payload: Option<String>,
}

/// Verify one job: its outcome, or why it failed.
fn verify_one(verifier: &Verifier, mode: &Mode, job: &Job) -> anyhow::Result<Outcome> {
    let shown = job.bundle.display();
    let bytes = std::fs::read(&job.bundle).with_context(|| format!("reading bundle {shown}"))?;
    let bundle = Bundle::from_json(&bytes).with_context(|| format!("bundle {shown}"))?;
    let data = job.input.read().context("reading the input")?;
    let artifact = job.input.artifact(&data);
    let (body, payload) = signet_verify::report::verify(verifier, &bundle, artifact, mode)?;
    let report = input_report(&job.label, &job.bundle.display().to_string(), Ok(body));
    let payload = payload.map(|p| String::from_utf8_lossy(&p).into_owned());
    Ok(Outcome { report, payload })
}

fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn verify_all(trust_args: &TrustArgs, input: &InputArgs, mode: Mode) -> Result<(), Failure> {
    let jobs = collect_jobs(input)?;
    let (root, source) = trust::trusted_root(trust_args)?;
    let verifier = Verifier::new(&root).with_context(|| format!("loading {source}"))?;
    let results = run_parallel(&jobs, input.jobs.unwrap_or_else(default_jobs), |j| {
        verify_one(&verifier, &mode, j)
    });
    let mut failed = false;
    for (job, r) in jobs.iter().zip(results) {
        match r {
            Ok(out) => {
                eprintln!("OK: {}", job.label);
                if input.json {
                    println!("{}", out.report);
                } else if let Some(s) = out.payload {
                    println!("{s}");
                }
            }
            Err(e) => {
                failed = true;
                let msg = crate::error_text(e.as_ref());
                eprintln!("FAIL: {}: {msg}", job.label);
                let rule = e
                    .downcast_ref::<signet_verify::Error>()
                    .and_then(|e| e.rule());
                if let Some(what) = rule.and_then(signet_verify::Rule::instance_check) {
                    eprintln!("hint: {what} did not verify against the {source}; are you using the right Sigstore instance (--staging, --trust-config, --instance)?");
                }
                if input.json {
                    let failed = Err((msg.clone(), rule));
                    let shown = job.bundle.display().to_string();
                    println!("{}", input_report(&job.label, &shown, failed));
                }
            }
        }
    }
    if failed {
        Err(Failure::Verification)
    } else {
        Ok(())
    }
}

/// Entry point for `signet verify`.
pub fn run(trust_args: &TrustArgs, cmd: VerifyCommand) -> Result<(), Failure> {
    match cmd {
        VerifyCommand::Identity(a) => {
            let policy = match (&a.cert_identity, &a.cert_identity_regexp) {
                (Some(id), _) => Policy::identity(id.clone(), a.cert_oidc_issuer.clone()),
                (None, Some(re)) => Policy::identity_regex(re, a.cert_oidc_issuer.clone())
                    .map_err(|e| Failure::Usage(e.to_string()))?,
                (None, None) => {
                    return Err(Failure::Usage(
                        "--cert-identity or --cert-identity-regexp is required".into(),
                    ))
                }
            };
            verify_all(trust_args, &a.input, Mode::Identity(policy))
        }
        VerifyCommand::Policy(a) => verify_policy(trust_args, a),
        VerifyCommand::Key(a) => {
            let keys = load_keys(&a.key)?;
            verify_all(trust_args, &a.input, Mode::Keys(keys))
        }
        VerifyCommand::Github(a) => {
            if a.cert_identity.is_none() && a.repository.is_none() {
                return Err(Failure::Usage(
                    "--cert-identity or --repository is required".into(),
                ));
            }
            let policy = Policy::github(
                a.cert_identity.clone().map(IdentityMatcher::Exact),
                a.trigger.clone(),
                a.sha.clone(),
                a.name.clone(),
                a.repository.clone(),
                a.git_ref.clone(),
            );
            verify_all(trust_args, &a.input, Mode::Identity(policy))
        }
    }
}

/// Entry point for `signet conformance`.
pub fn run_conformance(trust_args: &TrustArgs, cmd: ConformanceCommand) -> Result<(), Failure> {
    match cmd {
        ConformanceCommand::VerifyBundle(a) => {
            let input = InputArgs {
                files: vec![a.file_or_digest],
                bundle: Some(a.bundle),
                jobs: Some(1),
                json: false,
            };
            let mode = match (a.key, a.certificate_identity, a.certificate_oidc_issuer) {
                (Some(k), None, None) => Mode::Keys(load_keys(&k)?),
                (None, Some(id), Some(iss)) => Mode::Identity(Policy::identity(id, iss)),
                _ => {
                    return Err(Failure::Usage(
                        "give --key, or --certificate-identity with --certificate-oidc-issuer"
                            .into(),
                    ))
                }
            };
            verify_all(trust_args, &input, mode)
        }
        ConformanceCommand::SignBundle(a) => crate::sign::run_conformance_sign(trust_args, a),
    }
}

/// `signet verify policy`: every bundle verified and checked against the policy file; exit 0
/// when the threshold of distinct signers holds.
fn verify_policy(t: &TrustArgs, a: PolicyArgs) -> Result<(), Failure> {
    use signet_verify::policy_file::PolicyFile;
    let shown = a.policy.display().to_string();
    let policy = PolicyFile::parse(&shown, &crate::read_input(&a.policy)?)
        .and_then(|p| p.compile(&shown))
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let input = Input::parse(&a.input)?;
    let bundles = bundles_for(&input, &a.bundle)?
        .iter()
        .map(|p| Ok((p.display().to_string(), crate::read_bundle(p)?)))
        .collect::<Result<Vec<_>, Failure>>()?;
    let (root, _) = trust::trusted_root(t)?;
    let verifier = Verifier::new(&root).context("trusted root")?;
    let data = input.read().context("reading the input")?;
    let artifact = input.artifact(&data);
    let ev = policy.evaluate(&verifier, artifact, &bundles);
    for b in &ev.bundles {
        match &b.result {
            Ok((san, iss)) => eprintln!("OK: {}: signed by {san} ({iss})", b.label),
            Err(e) => eprintln!("FAIL: {}: {}", b.label, crate::error_text(e)),
        }
    }
    match ev.threshold {
        Ok(()) => {
            eprintln!("OK: {}: {} distinct signer(s)", a.input, ev.signers.len());
            Ok(())
        }
        Err(e) => {
            eprintln!("FAIL: {}: {e}", a.input);
            Err(Failure::Verification)
        }
    }
}
