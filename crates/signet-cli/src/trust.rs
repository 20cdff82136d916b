//! Choosing trust material from the global flags, and `signet trust-instance`.
//!
//! Order: `--trust-config`, `--trusted-root`, then TUF: `--instance URL` (a TUF repository,
//! bootstrapped with `signet trust-instance`), else the public-good (or `--staging`) repository
//! with the embedded sigstore 4.5.1 root as bootstrap. If the network is unavailable (or with
//! `--offline`), the verified local cache is used, else the embedded material; either way a note
//! on stderr says which material was used and how old it is.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use signet_core::trust::{ClientTrustConfig, SigningConfig, TrustedRoot};
use signet_tuf::client;
use signet_tuf::source::{Material, TrustSource};
use signet_tuf::Instance;

use crate::{Failure, TrustArgs};

use signet_core::time::unix_now as now;

fn cache_dir(url: &str) -> Result<PathBuf, Failure> {
    client::default_cache_dir(url).ok_or_else(|| {
        Failure::Other(anyhow::anyhow!(
            "no cache directory for TUF: set HOME, XDG_CACHE_HOME or SIGNET_TUF_CACHE"
        ))
    })
}

/// The TUF repository the flags name: `--instance URL`, else public-good or `--staging`.
fn source(t: &TrustArgs) -> Result<TrustSource, Failure> {
    Ok(match &t.instance {
        Some(u) => TrustSource::instance(u, cache_dir(u.trim_end_matches('/'))?),
        None => {
            let url = if t.staging {
                Instance::Staging.tuf_url()
            } else {
                Instance::Production.tuf_url()
            };
            TrustSource::public_good(t.staging, cache_dir(url)?)
        }
    })
}

/// Trust material via TUF, with the offline / network-failure fallbacks of
/// [`signet_tuf::source`]; a fallback is noted on stderr.
pub fn tuf_material(t: &TrustArgs) -> Result<Material, Failure> {
    let src = source(t)?;
    let m = src.material(t.offline, now()).map_err(|e| match e {
        e @ signet_tuf::Error::NoTrustMaterial { .. } => Failure::Other(e.into()),
        e => Failure::Other(
            anyhow::Error::new(e).context(format!("updating TUF metadata from {}", src.url())),
        ),
    })?;
    if let Some(note) = &m.fallback {
        eprintln!("note: {note}");
    }
    Ok(m)
}

/// Target `name` of the TUF repository the flags name, with the same fallbacks.
pub fn tuf_target(t: &TrustArgs, name: &str) -> Result<Vec<u8>, Failure> {
    let src = source(t)?;
    let got = src
        .target(name, t.offline, now())
        .with_context(|| format!("{name} from {}", src.url()))?;
    if let Some(note) = &got.fallback {
        eprintln!("note: {note}");
    }
    Ok(got.bytes)
}

/// The trusted root selected by the flags, and a description of where it came from.
pub fn trusted_root(t: &TrustArgs) -> Result<(TrustedRoot, String), Failure> {
    if let Some(p) = &t.trust_config {
        let bytes = crate::read_input(p)?;
        let c = ClientTrustConfig::from_json(&bytes)
            .with_context(|| format!("parsing trust config {}", p.display()))?;
        return Ok((c.trusted_root, format!("trust config {}", p.display())));
    }
    if let Some(p) = &t.trusted_root {
        let bytes = crate::read_input(p)?;
        let r = TrustedRoot::from_json(&bytes)
            .with_context(|| format!("parsing trusted root {}", p.display()))?;
        return Ok((r, format!("trusted root {}", p.display())));
    }
    let m = tuf_material(t)?;
    let r = m
        .parsed_trusted_root()
        .with_context(|| format!("parsing trusted_root.json from {}", m.source))?;
    Ok((r, format!("trusted root from {}", m.source)))
}

/// The trust config for signing, from the flags (`--trust-config`, else TUF: `--instance`,
/// `--staging` or the public-good repository, with offline fallbacks).
pub fn trust_config(t: &TrustArgs) -> Result<ClientTrustConfig, Failure> {
    if let Some(p) = &t.trust_config {
        let bytes = crate::read_input(p)?;
        return Ok(ClientTrustConfig::from_json(&bytes)
            .with_context(|| format!("parsing {}", p.display()))?);
    }
    let Some(sc) = &t.signing_config else {
        if t.trusted_root.is_some() {
            return Err(Failure::Usage("signing needs a signing config too: add --signing-config FILE, or use --trust-config (a ClientTrustConfig) or --instance".into()));
        }
        let m = tuf_material(t)?;
        return Ok(m
            .client_trust_config()
            .with_context(|| format!("trust material from {}", m.source))?);
    };
    let signing_config = SigningConfig::from_json(&crate::read_input(sc)?)
        .with_context(|| format!("parsing {}", sc.display()))?;
    // The trusted root: --trusted-root, else TUF.
    let (trusted_root, _) = trusted_root(t)?;
    Ok(ClientTrustConfig::new(trusted_root, signing_config))
}

/// `signet trust-instance ROOT.json --instance URL`.
#[derive(Args, Debug)]
pub struct TrustInstanceArgs {
    /// The instance's initial TUF root (`signet serve`: `DATA/tuf/1.root.json`).
    pub root: PathBuf,
}

/// Store the bootstrap root in the cache for `--instance URL`, then (unless `--offline`)
/// refresh once so later commands work offline too.
pub fn run_trust_instance(t: &TrustArgs, a: TrustInstanceArgs) -> Result<(), Failure> {
    let Some(url) = t.instance.as_deref() else {
        return Err(Failure::Usage(
            "trust-instance needs --instance URL (the instance's TUF repository, e.g. http://host:3000/tuf)".into(),
        ));
    };
    let url = url.trim_end_matches('/');
    let bytes = crate::read_input(&a.root)?;
    let cache = cache_dir(url)?;
    let v = client::trust_instance(&cache, &bytes)
        .with_context(|| format!("checking {} as a TUF root", a.root.display()))?;
    eprintln!(
        "trusting TUF root v{v} for {url} (cache {})",
        cache.display()
    );
    if !t.offline {
        let m = TrustSource::instance(url, cache)
            .refresh(now())
            .map_err(|e| {
                Failure::Other(anyhow::Error::new(e).context(format!("refreshing {url}")))
            })?;
        eprintln!("refreshed: {}", m.source);
    }
    Ok(())
}
