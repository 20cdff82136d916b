//! `signet sign`, `signet attest` and `signet get-identity-token`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use signet_core::trust::ClientTrustConfig;
use signet_sign::files::bundle_outputs;
use signet_sign::{identity, Credential, RekorVersion, SigningContext};

use signet_core::intoto::Statement;

use crate::trust::trust_config;
use crate::{Failure, TrustArgs};

/// Where to sign: trust config and identity options shared by sign and attest.
#[derive(Args, Debug)]
pub struct SignCommon {
    /// An OIDC identity token (else SIGSTORE_ID_TOKEN, ambient CI, or an interactive sign-in).
    #[arg(long, value_name = "TOKEN")]
    pub identity_token: Option<String>,
    /// Rekor API version to log to (default: the highest the signing config offers).
    #[arg(long, value_name = "1|2", value_parser = ["1", "2"])]
    pub rekor_version: Option<String>,
    /// Use the device flow instead of a browser redirect for interactive sign-in.
    #[arg(long)]
    pub device: bool,
    /// Sign in with a browser even when no terminal is attached (by default, without a
    /// token and without a terminal, signing fails at once instead of waiting for a browser).
    #[arg(long, conflicts_with = "device")]
    pub browser: bool,
    /// OAuth client ID for interactive sign-in.
    #[arg(long, default_value = "sigstore")]
    pub oidc_client_id: String,
    /// Overwrite existing bundles.
    #[arg(long)]
    pub overwrite: bool,
}

impl SignCommon {
    /// Keyless signing with `token` (else SIGSTORE_ID_TOKEN, ambient CI, or a sign-in) and
    /// the defaults (newest Rekor, the `sigstore` client ID).
    pub fn with_token(token: Option<String>) -> Self {
        SignCommon {
            identity_token: token,
            rekor_version: None,
            device: false,
            browser: false,
            oidc_client_id: "sigstore".into(),
            overwrite: true,
        }
    }
}

/// The managed key and bundle path of `sign` and `attest`.
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Sign with this managed key (PEM: PKCS#8 PRIVATE KEY or SEC1 EC PRIVATE KEY, P-256)
    /// instead of an identity: no certificate; the log records the public key.
    #[arg(long, value_name = "KEY.pem", conflicts_with_all = ["identity_token", "device", "browser"])]
    pub key: Option<PathBuf>,
    /// Write the bundle here (only with one input; default FILE.sigstore.json).
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
}

/// `signet sign FILE...`.
#[derive(Args, Debug)]
pub struct SignArgs {
    #[command(flatten)]
    pub common: SignCommon,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Files to sign.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `signet attest FILE... --predicate-type URI --predicate P.json`.
#[derive(Args, Debug)]
pub struct AttestArgs {
    #[command(flatten)]
    pub common: SignCommon,
    /// The predicate type URI.
    #[arg(long, required = true)]
    pub predicate_type: String,
    /// The predicate JSON file.
    #[arg(long, required = true)]
    pub predicate: PathBuf,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Files the statement is about (its subjects).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `signet get-identity-token`.
#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    pub common: SignCommon,
}

/// Arguments of the conformance protocol's `sign-bundle`.
#[derive(Args, Debug)]
pub struct ConformanceSignArgs {
    /// The OIDC identity token.
    #[arg(long)]
    pub identity_token: String,
    /// Where to write the bundle.
    #[arg(long)]
    pub bundle: PathBuf,
    /// The file is an in-toto statement: sign it as a DSSE envelope.
    #[arg(long)]
    pub in_toto: bool,
    /// The file to sign.
    pub file: PathBuf,
}

/// `signet conformance sign-bundle`: sign FILE (or, with --in-toto, the in-toto statement in
/// FILE as DSSE) with the given token, logging to the newest Rekor API the signing config
/// offers, as sigstore-python does.
pub fn run_conformance_sign(t: &TrustArgs, a: ConformanceSignArgs) -> Result<(), Failure> {
    let cfg = trust_config(t)?;
    // No version given: the newest Rekor API the signing config offers.
    let version = None;
    let ctx = SigningContext::new(&cfg, version).map_err(|e| Failure::Other(e.into()))?;
    let data = std::fs::read(&a.file)
        .map_err(|e| Failure::Usage(format!("reading {}: {e}", a.file.display())))?;
    let signed = if a.in_toto {
        let st = Statement::from_json(&data)
            .with_context(|| format!("{} is not an in-toto statement", a.file.display()))?;
        let digest = st.first_sha256().ok_or_else(|| {
            Failure::Usage(format!(
                "{}: expected a statement subject with a sha256 digest, found none",
                a.file.display()
            ))
        })?;
        ctx.sign_statement(&a.identity_token, &data, digest)
    } else {
        ctx.sign_artifact(&a.identity_token, &data)
    }
    .with_context(|| format!("signing {}", a.file.display()))?;
    let who = format!("as {}", signed.certificate.identity());
    write_bundle("Signed", &a.file, &a.bundle, &signed.bundle, &who)
}

fn get_token(common: &SignCommon, cfg: &ClientTrustConfig) -> Result<String, Failure> {
    let issuer = cfg.signing_config.oidc_urls.first().map(|s| s.url.as_str());
    let sign_in = match (common.device, common.browser) {
        (true, _) => identity::SignIn::Device,
        (_, true) => identity::SignIn::Browser,
        _ => identity::SignIn::Auto,
    };
    identity::obtain(
        common.identity_token.clone(),
        &common.oidc_client_id,
        issuer,
        sign_in,
    )
    .map_err(|e| match e {
        signet_sign::Error::NoToken(m) => Failure::Usage(m),
        e => Failure::Other(e.into()),
    })
}

/// Load a managed signing key.
pub(crate) fn load_key(p: &std::path::Path) -> Result<signet_core::keys::EcKey, Failure> {
    let text = std::fs::read_to_string(p)
        .map_err(|e| Failure::Usage(format!("reading key {}: {e}", p.display())))?;
    signet_core::keys::EcKey::from_pem(&text)
        .map_err(|e| Failure::Usage(format!("key {}: {e}", p.display())))
}

fn rekor_version(common: &SignCommon) -> Option<RekorVersion> {
    RekorVersion::from_flag(common.rekor_version.as_deref())
}

pub(crate) fn context(
    t: &TrustArgs,
    common: &SignCommon,
) -> Result<(SigningContext, String), Failure> {
    context_with(t, common, rekor_version(common))
}

/// As [`context`], with the Rekor API chosen by the caller.
pub(crate) fn context_with(
    t: &TrustArgs,
    common: &SignCommon,
    version: Option<RekorVersion>,
) -> Result<(SigningContext, String), Failure> {
    let cfg = trust_config(t)?;
    let ctx = SigningContext::new(&cfg, version).map_err(|e| Failure::Other(e.into()))?;
    let token = get_token(common, &cfg)?;
    Ok((ctx, token))
}

/// Write a bundle to `out` and say so; `who` names the signer ("as ID" or "with key HINT").
fn write_bundle(
    verb: &str,
    f: &std::path::Path,
    out: &std::path::Path,
    bundle: &signet_core::bundle::Bundle,
    who: &str,
) -> Result<(), Failure> {
    let json = bundle.to_json().map_err(|e| Failure::Other(e.into()))?;
    std::fs::write(out, json).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "{verb} {} {who}; bundle written to {}",
        f.display(),
        out.display()
    );
    Ok(())
}

/// What `sign` and `attest` sign with: a token (keyless) or a managed key.
enum Held {
    Token(String),
    Key(signet_core::keys::EcKey),
}

impl Held {
    fn cred(&self) -> Credential<'_> {
        match self {
            Held::Token(t) => Credential::Token(t),
            Held::Key(k) => Credential::Key(k),
        }
    }
}

/// The signing context and what to sign with.
fn credential(
    t: &TrustArgs,
    common: &SignCommon,
    key: Option<&std::path::Path>,
) -> Result<(SigningContext, Held), Failure> {
    Ok(match key {
        Some(kp) => {
            let cfg = trust_config(t)?;
            let ctx = SigningContext::new(&cfg, rekor_version(common))
                .map_err(|e| Failure::Other(e.into()))?;
            (ctx, Held::Key(load_key(kp)?))
        }
        None => {
            let (ctx, token) = context(t, common)?;
            (ctx, Held::Token(token))
        }
    })
}

/// `signet sign`.
pub fn run_sign(t: &TrustArgs, a: SignArgs) -> Result<(), Failure> {
    let outs = bundle_outputs(&a.files, a.out.bundle.as_deref(), a.common.overwrite)?;
    let (ctx, cred) = credential(t, &a.common, a.out.key.as_deref())?;
    for (f, out) in a.files.iter().zip(outs) {
        let data = crate::read_input(f)?;
        let (bundle, cert) = ctx
            .sign_artifact_as(cred.cred(), &data)
            .with_context(|| format!("signing {}", f.display()))?;
        let who = signet_sign::signed_by(cred.cred(), cert.as_ref());
        write_bundle("Signed", f, &out, &bundle, &who)?;
    }
    Ok(())
}

/// `signet attest`.
pub fn run_attest(t: &TrustArgs, a: AttestArgs) -> Result<(), Failure> {
    let outs = bundle_outputs(&a.files, a.out.bundle.as_deref(), a.common.overwrite)?;
    let pred_bytes = crate::read_input(&a.predicate)?;
    let predicate: serde_json::Value = serde_json::from_slice(&pred_bytes)
        .with_context(|| format!("{} is not JSON", a.predicate.display()))?;
    if !predicate.is_object() {
        return Err(Failure::Usage(format!(
            "{}: the predicate must be a JSON object",
            a.predicate.display()
        )));
    }
    let (ctx, cred) = credential(t, &a.common, a.out.key.as_deref())?;
    for (f, out) in a.files.iter().zip(outs) {
        let data = crate::read_input(f)?;
        let digest = signet_core::encoding::sha256(&data);
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = Statement::about(&name, digest, &a.predicate_type, Some(predicate.clone()))
            .to_json()
            .context("statement")?;
        let (bundle, cert) = ctx
            .sign_statement_as(cred.cred(), &bytes, digest)
            .with_context(|| format!("attesting {}", f.display()))?;
        let who = signet_sign::signed_by(cred.cred(), cert.as_ref());
        write_bundle("Attested", f, &out, &bundle, &who)?;
    }
    Ok(())
}

/// `signet get-identity-token`.
pub fn run_token(t: &TrustArgs, a: TokenArgs) -> Result<(), Failure> {
    // A given or ambient token needs no trust material; only an interactive sign-in asks
    // the signing config for its OIDC provider.
    let ambient = identity::ambient(a.common.identity_token.clone(), &a.common.oidc_client_id)?;
    let tok = match ambient {
        Some((tok, _)) => tok,
        None => get_token(&a.common, &trust_config(t)?)?,
    };
    if tok.split('.').count() != 3 {
        bail_usage("the identity token is not a JWT")?;
    }
    println!("{tok}");
    Ok(())
}

fn bail_usage(m: &str) -> Result<(), Failure> {
    Err(Failure::Usage(m.into()))
}
