//! Where a client's trust material comes from, and the fallback policy: refresh from the TUF
//! repository; if the repository cannot be reached (or the client is offline), the verified
//! local cache; failing that, for the public-good and staging instances, the material embedded
//! from sigstore 4.5.1. A repository that answers with bad metadata (signatures, rollback,
//! expiry, hashes) is an error, never a fallback. Each fallback says why and how old the
//! material is, for the caller to show.

use std::path::{Path, PathBuf};

use crate::client::{self, HttpFetcher, Updater};
use crate::{Error, Instance, SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET};

/// Trust material and where it came from.
#[derive(Debug, Clone)]
pub struct Material {
    /// `trusted_root.json` bytes.
    pub trusted_root: Vec<u8>,
    /// `signing_config.v0.2.json` bytes, when published.
    pub signing_config: Option<Vec<u8>>,
    /// Where it came from, for messages.
    pub source: String,
    /// Set when the material is a fallback (cache or embedded): one line saying which and why.
    pub fallback: Option<String>,
}

impl Material {
    /// The trusted root, parsed.
    pub fn parsed_trusted_root(&self) -> signet_core::Result<signet_core::trust::TrustedRoot> {
        signet_core::trust::TrustedRoot::from_json(&self.trusted_root)
    }

    /// The trusted root and signing config as one ClientTrustConfig; an error naming the
    /// repository when it publishes no signing config (signing needs one).
    pub fn client_trust_config(
        &self,
    ) -> signet_core::Result<signet_core::trust::ClientTrustConfig> {
        let sc = self
            .signing_config
            .as_ref()
            .ok_or_else(|| signet_core::Error::Invalid {
                what: self.source.clone(),
                reason: format!(
                    "publishes no {}; signing needs one",
                    crate::SIGNING_CONFIG_TARGET
                ),
            })?;
        Ok(signet_core::trust::ClientTrustConfig {
            media_type: signet_core::trust::CLIENT_TRUST_CONFIG_MEDIA_TYPE.into(),
            trusted_root: self.parsed_trusted_root()?,
            signing_config: signet_core::trust::SigningConfig::from_json(sc)?,
        })
    }
}

/// A target other than the trust material, and where it came from.
#[derive(Debug, Clone)]
pub struct Target {
    /// The target's bytes.
    pub bytes: Vec<u8>,
    /// Where they came from, for messages.
    pub source: String,
    /// Set when they are a fallback: embedded, expired, or cached for a reason other than
    /// `--offline`; one line saying which and why.
    pub fallback: Option<String>,
}

/// Why the material is not refreshed with `--offline`.
const OFFLINE: &str = "--offline";

/// A TUF repository to take trust material from, with its cache and, for the public-good and
/// staging instances, embedded bootstrap and fallback material.
#[derive(Debug, Clone)]
pub struct TrustSource {
    url: String,
    instance: Option<Instance>,
    cache: PathBuf,
}

/// Why a refresh fell back: the last clause of a transport error says what happened
/// ("Connection refused", "failed to lookup address information: ..." -> its reason).
fn refresh_failed(reason: &str) -> String {
    let short = reason.rsplit(": ").next().unwrap_or(reason).trim();
    format!("refresh failed: {short}")
}

fn human_age(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 2 * 86400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86400),
    }
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

impl TrustSource {
    /// The public-good (or, with `staging`, the staging) repository, cached in `cache`.
    pub fn public_good(staging: bool, cache: PathBuf) -> Self {
        let inst = if staging {
            Instance::Staging
        } else {
            Instance::Production
        };
        TrustSource {
            url: inst.tuf_url().into(),
            instance: Some(inst),
            cache,
        }
    }

    /// A private instance's repository at `url` (bootstrapped by [`client::trust_instance`]),
    /// cached in `cache`.
    pub fn instance(url: &str, cache: PathBuf) -> Self {
        TrustSource {
            url: url.trim_end_matches('/').to_string(),
            instance: None,
            cache,
        }
    }

    /// The repository URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The cache directory.
    pub fn cache(&self) -> &Path {
        &self.cache
    }

    /// The repository's metadata, refreshed over `fetcher` (from the cached root, else the
    /// instance's embedded one).
    fn refreshed<F: client::Fetcher>(&self, fetcher: F, now: i64) -> Result<Updater<F>, Error> {
        let bootstrap = self.instance.map(|i| i.tuf_root_json());
        let mut u = Updater::new(&self.url, &self.cache, bootstrap, fetcher, now)?;
        u.refresh()?;
        Ok(u)
    }

    /// Refresh from the repository (no fallback).
    pub fn refresh(&self, now: i64) -> Result<Material, Error> {
        let u = self.refreshed(HttpFetcher::new()?, now)?;
        let trusted_root = u.target(TRUSTED_ROOT_TARGET)?;
        let signing_config = match u.target(SIGNING_CONFIG_TARGET) {
            Ok(b) => Some(b),
            Err(Error::NoSuchTarget { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok(Material {
            trusted_root,
            signing_config,
            source: format!("TUF repository {} (root v{})", self.url, u.root().version),
            fallback: None,
        })
    }

    /// The trust material: refreshed unless `offline`; when offline or the repository is
    /// unreachable, the verified cache, then the embedded material (see the module docs).
    pub fn material(&self, offline: bool, now: i64) -> Result<Material, Error> {
        if offline {
            // Asked for: no note, unless the cached metadata has expired.
            let mut m = self.fallback(OFFLINE, now)?;
            m.fallback = m.fallback.filter(|n| n.contains("WARNING"));
            return Ok(m);
        }
        match self.refresh(now) {
            Ok(m) => Ok(m),
            Err(Error::Fetch { reason, .. }) => self.fallback(&refresh_failed(&reason), now),
            Err(e) => Err(e),
        }
    }

    /// Another target of the repository (e.g. [`crate::NPM_KEYS_TARGET`], which a delegated
    /// role lists), with the same policy as [`TrustSource::material`]: refreshed unless
    /// `offline`; when offline or unreachable, the verified cache, then the embedded copy.
    /// Returns the bytes and the material's description (`fallback` set when not fresh).
    pub fn target(&self, name: &str, offline: bool, now: i64) -> Result<Target, Error> {
        match offline {
            true => self.target_with(None::<HttpFetcher>, name, now),
            false => self.target_with(Some(HttpFetcher::new()?), name, now),
        }
    }

    /// [`TrustSource::target`] over `fetcher` (`None`: offline).
    fn target_with<F: client::Fetcher>(
        &self,
        fetcher: Option<F>,
        name: &str,
        now: i64,
    ) -> Result<Target, Error> {
        let why = match fetcher {
            None => OFFLINE.to_string(),
            Some(fetcher) => {
                match self.refreshed(fetcher, now) {
                    // Refreshed: the target must be the one the fresh metadata names. A
                    // failure to fetch it now is an error, not a fallback to older bytes
                    // (which the fresh metadata may have replaced, e.g. to revoke a key).
                    Ok(u) => {
                        return Ok(Target {
                            bytes: u.target(name)?,
                            source: format!(
                                "{name} from TUF repository {} (root v{})",
                                self.url,
                                u.root().version
                            ),
                            fallback: None,
                        })
                    }
                    Err(Error::Fetch { reason, .. }) => refresh_failed(&reason),
                    Err(e) => return Err(e),
                }
            }
        };
        let cached = client::read_cached(&self.cache, name, now);
        let embedded = self
            .instance
            .and_then(|i| i.embedded_target(name).map(|b| (i, b)));
        // `notable`: said even with --offline (an expired cache, the embedded copy).
        let (bytes, source, notable) = match (cached, embedded) {
            (Ok(c), _) => {
                let expired = c
                    .expired
                    .as_ref()
                    .map(|e| format!("; WARNING: {e}"))
                    .unwrap_or_default();
                (
                    c.bytes,
                    format!("cached {name} for {} ({why}{expired})", self.url),
                    c.expired.is_some(),
                )
            }
            (Err(_), Some((i, b))) => (
                b.to_vec(),
                format!(
                    "embedded {} {name} ({why}; not in the TUF cache; its newest key dates from {})",
                    i.name(),
                    newest_start(b).unwrap_or_else(|| "an unknown date".into())
                ),
                true,
            ),
            (Err(e), None) => {
                return Err(Error::NoTrustMaterial {
                    url: self.url.clone(),
                    reason: format!("{why}, and no usable cached {name}: {e}"),
                })
            }
        };
        Ok(Target {
            bytes,
            // Said unless it is the cache asked for with --offline and still current.
            fallback: (why != OFFLINE || notable).then(|| format!("using the {source}")),
            source,
        })
    }

    fn fallback(&self, why: &str, now: i64) -> Result<Material, Error> {
        if !self.cache.join("targets.json").exists() {
            return match self.instance {
                Some(i) => Ok(self.embedded(i, &format!("{why}; no TUF cache yet"), now)),
                None => Err(Error::NoTrustMaterial {
                    url: self.url.clone(),
                    reason: format!(
                        "{why}, and no cached metadata in {} (run `signet trust-instance ROOT.json --instance {}` while online)",
                        self.cache.display(),
                        self.url
                    ),
                }),
            };
        }
        match self.cached(why, now) {
            Ok(m) => Ok(m),
            Err(cache_err) => match self.instance {
                Some(i) => {
                    Ok(self.embedded(i, &format!("{why}; no usable cache: {cache_err}"), now))
                }
                None => Err(Error::NoTrustMaterial {
                    url: self.url.clone(),
                    reason: format!(
                        "{why}, and no usable cache in {}: {cache_err}",
                        self.cache.display()
                    ),
                }),
            },
        }
    }

    fn embedded(&self, inst: Instance, why: &str, now: i64) -> Material {
        let age = newest_start(inst.trusted_root_json())
            .map(|s| {
                let secs = signet_core::time::parse_rfc3339(&s)
                    .map(|t| now - t)
                    .unwrap_or(0);
                format!("; its newest key dates from {s}, {} ago", human_age(secs))
            })
            .unwrap_or_default();
        let source = format!(
            "embedded {} trust material from sigstore 4.5.1 ({why}{age})",
            inst.name()
        );
        Material {
            trusted_root: inst.trusted_root_json().to_vec(),
            signing_config: Some(inst.signing_config_json().to_vec()),
            fallback: Some(format!("using {source}")),
            source,
        }
    }

    fn cached(&self, why: &str, now: i64) -> Result<Material, Error> {
        let tr = client::read_cached(&self.cache, TRUSTED_ROOT_TARGET, now)?;
        let sc = client::read_cached(&self.cache, SIGNING_CONFIG_TARGET, now)
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
            "cached TUF trust material for {} ({why}; {age}{expired}; cache {})",
            self.url,
            self.cache.display()
        );
        Ok(Material {
            trusted_root: tr.bytes,
            signing_config: sc,
            fallback: Some(format!(
                "using the cached trust material for {} ({why}; {age}{expired})",
                self.url
            )),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::{DelegationScope, NewDelegation, Repository};
    use crate::NPM_KEYS_TARGET;

    /// Reads a repository directory as if it were served at `mem://repo`.
    struct DirFetcher(PathBuf);

    impl client::Fetcher for DirFetcher {
        fn fetch(&self, url: &str, _max: u64) -> Result<Option<Vec<u8>>, Error> {
            let name = url.strip_prefix("mem://repo/").unwrap_or(url);
            Ok(std::fs::read(self.0.join(name)).ok())
        }
    }

    /// Review finding: after a successful refresh, a failure to fetch the target fell back to
    /// the cache and then (for public-good) to the embedded copy, so blocking one download
    /// brought back keys the fresh metadata had replaced. It is an error now.
    #[test]
    fn target_the_fresh_metadata_names_but_cannot_be_fetched_is_an_error() {
        let n = signet_core::time::unix_now();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("tuf");
        let repo = Repository::open_or_init(&dir, &tmp.path().join("keys"), n).unwrap();
        repo.publish_targets(&[("trusted_root.json", b"{}")], n)
            .unwrap();
        let d = NewDelegation {
            name: "registry.npmjs.org".into(),
            scope: DelegationScope::Paths(vec!["registry.npmjs.org/*".into()]),
            terminating: true,
            threshold: 1,
            keys: 1,
        };
        repo.delegate("targets", &d, n).unwrap();
        let publish = |keys: &[u8]| {
            repo.publish_delegated_targets(&d.name, &[(NPM_KEYS_TARGET, keys)], n)
                .unwrap()
        };
        publish(b"{\"keys\": 1}");
        let cache = tmp.path().join("cache");
        let root = std::fs::read(dir.join("1.root.json")).unwrap();
        client::trust_instance(&cache, &root).unwrap();
        // The public-good policy (an embedded copy to fall back to) over this repository.
        let src = TrustSource {
            url: "mem://repo".into(),
            instance: Some(Instance::Production),
            cache,
        };
        let fetch = || Some(DirFetcher(dir.clone()));
        let t = src.target_with(fetch(), NPM_KEYS_TARGET, n).unwrap();
        assert_eq!(t.bytes, b"{\"keys\": 1}");
        assert!(t.fallback.is_none());
        // New keys are published, but their file cannot be fetched.
        publish(b"{\"keys\": 2}");
        let new_file = std::fs::read_dir(dir.join("targets/registry.npmjs.org"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| std::fs::read(p).unwrap() == b"{\"keys\": 2}")
            .unwrap();
        std::fs::remove_file(new_file).unwrap();
        let e = src.target_with(fetch(), NPM_KEYS_TARGET, n).err();
        assert!(matches!(e, Some(Error::Fetch { .. })), "{e:?}");
    }
}
