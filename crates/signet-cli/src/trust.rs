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
use signet_tuf::client::{self, HttpFetcher, Updater};
use signet_tuf::{Instance, SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET};

use crate::{Failure, TrustArgs};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn human_age(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 2 * 86400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86400),
    }
}

/// Trust material from TUF (or its fallbacks) and where it came from.
pub struct TufMaterial {
    /// `trusted_root.json` bytes.
    pub trusted_root: Vec<u8>,
    /// `signing_config.v0.2.json` bytes, when published.
    pub signing_config: Option<Vec<u8>>,
    /// Human description (also printed as a note when it is a fallback).
    pub source: String,
}

fn tuf_repo(t: &TrustArgs) -> (String, Option<Instance>) {
    match &t.instance {
        Some(u) => (u.trim_end_matches('/').to_string(), None),
        None if t.staging => (Instance::Staging.tuf_url().into(), Some(Instance::Staging)),
        None => (
            Instance::Production.tuf_url().into(),
            Some(Instance::Production),
        ),
    }
}

fn cache_dir(url: &str) -> Result<PathBuf, Failure> {
    client::default_cache_dir(url).ok_or_else(|| {
        Failure::Other(anyhow::anyhow!(
            "no cache directory for TUF: set HOME, XDG_CACHE_HOME or SIGNET_TUF_CACHE"
        ))
    })
}

/// The newest `validFor.start` in embedded trust material: a lower bound on its age.
fn newest_start(json: &[u8]) -> Option<String> {
    fn walk(v: &serde_json::Value, best: &mut Option<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if let (true, Some(s)) = (k == "start", x.as_str()) {
                        if best.as_deref().is_none_or(|b| s > b) {
                            *best = Some(s.to_string());
                        }
                    }
                    walk(x, best);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, best)),
            _ => {}
        }
    }
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    let mut best = None;
    walk(&v, &mut best);
    best
}

fn embedded(inst: Instance, why: &str) -> TufMaterial {
    let age = newest_start(inst.trusted_root_json())
        .map(|s| {
            let secs = signet_core::time::parse_rfc3339(&s)
                .map(|t| now() - t)
                .unwrap_or(0);
            format!("; its newest key dates from {s}, {} ago", human_age(secs))
        })
        .unwrap_or_default();
    let source = format!(
        "embedded {} trust material from sigstore 4.5.1 ({why}{age})",
        inst.name()
    );
    eprintln!("note: using {source}");
    TufMaterial {
        trusted_root: inst.trusted_root_json().to_vec(),
        signing_config: Some(inst.signing_config_json().to_vec()),
        source,
    }
}

fn from_cache(
    url: &str,
    cache: &std::path::Path,
    why: &str,
) -> Result<TufMaterial, signet_tuf::Error> {
    let n = now();
    let tr = client::read_cached(cache, TRUSTED_ROOT_TARGET, n)?;
    let sc = client::read_cached(cache, SIGNING_CONFIG_TARGET, n)
        .ok()
        .map(|c| c.bytes);
    let age = tr
        .age_secs
        .map(|s| format!("last refreshed {} ago", human_age(s)))
        .unwrap_or_else(|| "refresh time unknown".into());
    let expired = tr
        .expired
        .map(|e| format!("; WARNING: {e}"))
        .unwrap_or_default();
    let source = format!(
        "cached TUF trust material for {url} ({why}; {age}{expired}; cache {})",
        cache.display()
    );
    eprintln!("note: using {source}");
    Ok(TufMaterial {
        trusted_root: tr.bytes,
        signing_config: sc,
        source,
    })
}

fn refresh(
    url: &str,
    cache: &std::path::Path,
    bootstrap: Option<&[u8]>,
) -> Result<TufMaterial, signet_tuf::Error> {
    let mut u = Updater::new(url, cache, bootstrap, HttpFetcher::new()?, now())?;
    u.refresh()?;
    let trusted_root = u.target(TRUSTED_ROOT_TARGET)?;
    let signing_config = match u.target(SIGNING_CONFIG_TARGET) {
        Ok(b) => Some(b),
        Err(signet_tuf::Error::NoSuchTarget { .. }) => None,
        Err(e) => return Err(e),
    };
    Ok(TufMaterial {
        trusted_root,
        signing_config,
        source: format!("TUF repository {url} (root v{})", u.root().version),
    })
}

/// Trust material via TUF, with the offline / network-failure fallbacks described above.
pub fn tuf_material(t: &TrustArgs) -> Result<TufMaterial, Failure> {
    let (url, inst) = tuf_repo(t);
    let cache = cache_dir(&url)?;
    let bootstrap = inst.map(|i| i.tuf_root_json());
    let fallback = |why: String| -> Result<TufMaterial, Failure> {
        if !cache.join("targets.json").exists() {
            return match inst {
                Some(i) => Ok(embedded(i, &format!("{why}; no TUF cache yet"))),
                None => Err(Failure::Other(anyhow::anyhow!(
                    "TUF repository {url}: {why}, and no cached metadata in {} (run `signet trust-instance ROOT.json --instance {url}` while online)",
                    cache.display()
                ))),
            };
        }
        match from_cache(&url, &cache, &why) {
            Ok(m) => Ok(m),
            Err(cache_err) => match inst {
                Some(i) => Ok(embedded(i, &format!("{why}; no usable cache: {cache_err}"))),
                None => Err(Failure::Other(anyhow::anyhow!(
                    "TUF repository {url}: {why}, and no usable cache in {}: {cache_err}",
                    cache.display()
                ))),
            },
        }
    };
    if t.offline {
        return fallback("--offline".into());
    }
    match refresh(&url, &cache, bootstrap) {
        Ok(m) => Ok(m),
        // Only an unreachable repository falls back; a repository that answers with bad
        // metadata (signatures, rollback, expiry, hashes) is an error.
        Err(e @ signet_tuf::Error::Fetch { .. }) => fallback(format!("refresh failed: {e}")),
        Err(e) => Err(Failure::Other(
            anyhow::Error::new(e).context(format!("updating TUF metadata from {url}")),
        )),
    }
}

/// The trusted root selected by the flags, and a description of where it came from.
pub fn trusted_root(t: &TrustArgs) -> Result<(TrustedRoot, String), Failure> {
    if let Some(p) = &t.trust_config {
        let bytes =
            std::fs::read(p).with_context(|| format!("reading trust config {}", p.display()))?;
        let c = ClientTrustConfig::from_json(&bytes)
            .with_context(|| format!("parsing trust config {}", p.display()))?;
        return Ok((c.trusted_root, format!("trust config {}", p.display())));
    }
    if let Some(p) = &t.trusted_root {
        let bytes =
            std::fs::read(p).with_context(|| format!("reading trusted root {}", p.display()))?;
        let r = TrustedRoot::from_json(&bytes)
            .with_context(|| format!("parsing trusted root {}", p.display()))?;
        return Ok((r, format!("trusted root {}", p.display())));
    }
    let m = tuf_material(t)?;
    let r = TrustedRoot::from_json(&m.trusted_root)
        .with_context(|| format!("parsing trusted_root.json from {}", m.source))?;
    Ok((r, format!("trusted root from {}", m.source)))
}

/// Trusted root and signing config via TUF.
pub fn client_trust_config(t: &TrustArgs) -> Result<ClientTrustConfig, Failure> {
    let m = tuf_material(t)?;
    let trusted_root = TrustedRoot::from_json(&m.trusted_root)
        .with_context(|| format!("parsing trusted_root.json from {}", m.source))?;
    let sc = m.signing_config.ok_or_else(|| {
        Failure::Other(anyhow::anyhow!(
            "{} publishes no {SIGNING_CONFIG_TARGET}; signing needs one",
            m.source
        ))
    })?;
    let signing_config = SigningConfig::from_json(&sc)
        .with_context(|| format!("parsing {SIGNING_CONFIG_TARGET} from {}", m.source))?;
    Ok(ClientTrustConfig {
        media_type: signet_core::trust::CLIENT_TRUST_CONFIG_MEDIA_TYPE.into(),
        trusted_root,
        signing_config,
    })
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
    let bytes = std::fs::read(&a.root).with_context(|| format!("reading {}", a.root.display()))?;
    let cache = cache_dir(url)?;
    let v = client::trust_instance(&cache, &bytes)
        .with_context(|| format!("checking {} as a TUF root", a.root.display()))?;
    eprintln!(
        "trusting TUF root v{v} for {url} (cache {})",
        cache.display()
    );
    if !t.offline {
        let m = refresh(url, &cache, None).map_err(|e| {
            Failure::Other(anyhow::Error::new(e).context(format!("refreshing {url}")))
        })?;
        eprintln!("refreshed: {}", m.source);
    }
    Ok(())
}
