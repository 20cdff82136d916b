//! The trusted root, parsed and checked once: log keys with their validity, CA chains, TSAs.
//!
//! A trusted-root entry without `validFor.start` is malformed: a key or CA with no start would
//! be trusted for signatures made before it existed, so the whole root is refused.

use std::collections::HashMap;

use signet_core::checkpoint::ed25519_key_id;
use signet_core::crypto::{KeyKind, PublicKey};
use signet_core::trust::{TransparencyLogInstance, TrustedRoot};

use crate::chain::CaChain;
pub(crate) use crate::window::{fmt_range, in_range, required_bounds};
use crate::{Error, Result};

/// A transparency log of the trusted root.
pub(crate) struct TlogKey {
    pub(crate) log_id: Vec<u8>,
    pub(crate) key: PublicKey,
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
    pub(crate) base_url: String,
    /// `host[:port]` of the base URL: a Rekor v1 checkpoint's signer name and origin prefix.
    pub(crate) authority: String,
    /// The host name of the base URL: a Rekor v2 checkpoint's origin (as sigstore-go).
    pub(crate) hostname: String,
    /// For an Ed25519 key, its C2SP signed-note key ID under origin `hostname` (what a Rekor v2
    /// log's ID must be), computed once here rather than per bundle.
    pub(crate) c2sp_key_id: Option<[u8; 32]>,
}

/// A CT log key.
pub(crate) struct CtKey {
    pub(crate) key: PublicKey,
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
}

/// A timestamp authority's chain.
pub(crate) struct TsaChain {
    pub(crate) uri: String,
    pub(crate) certs_der: Vec<Vec<u8>>,
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
}

/// Everything a verification needs from the trusted root.
pub(crate) struct Material {
    pub(crate) tlogs: Vec<TlogKey>,
    /// How many distinct logs (by log ID) `tlogs` names: the most a tlog threshold can ask.
    pub(crate) distinct_logs: usize,
    pub(crate) ctlogs: HashMap<[u8; 32], Vec<CtKey>>,
    pub(crate) cas: Vec<CaChain>,
    pub(crate) tsas: Vec<TsaChain>,
}

fn url_parts(what: &str, base_url: &str) -> Result<(String, String)> {
    let u = url::Url::parse(base_url)
        .map_err(|e| Error::trusted_root(format!("{what} baseUrl {base_url:?}: {e}")))?;
    let host = u
        .host_str()
        .ok_or_else(|| Error::trusted_root(format!("{what} baseUrl {base_url:?} has no host")))?
        .to_string();
    let authority = match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    Ok((authority, host))
}

/// A trusted-root log's key and validity, or None when it carries no key bytes.
fn log_key(
    what: &str,
    i: usize,
    t: &TransparencyLogInstance,
) -> Result<Option<(PublicKey, i64, Option<i64>)>> {
    let Some(raw) = &t.public_key.raw_bytes else {
        return Ok(None);
    };
    let name = format!("{what} #{i} ({})", t.base_url);
    let key = PublicKey::from_trusted_root(raw, &t.public_key.key_details)
        .map_err(|e| Error::trusted_root(format!("{name} key: {e}")))?;
    let (start, end) = required_bounds(&name, t.public_key.valid_for.as_ref())?;
    Ok(Some((key, start, end)))
}

impl Material {
    pub(crate) fn load(root: &TrustedRoot) -> Result<Self> {
        let mut tlogs = vec![];
        for (i, t) in root.tlogs.iter().enumerate() {
            let Some((key, start, end)) = log_key("tlog", i, t)? else {
                continue;
            };
            let (authority, hostname) = url_parts(&format!("tlog #{i}"), &t.base_url)?;
            let c2sp_key_id = (key.kind() == KeyKind::Ed25519)
                .then(|| ed25519_key_id(&hostname, &key.raw_key_bits().unwrap_or_default()));
            tlogs.push(TlogKey {
                c2sp_key_id,
                log_id: t.log_id.key_id.clone(),
                key,
                start,
                end,
                base_url: t.base_url.clone(),
                authority,
                hostname,
            });
        }
        let mut ctlogs: HashMap<[u8; 32], Vec<CtKey>> = HashMap::new();
        for (i, t) in root.ctlogs.iter().enumerate() {
            let Some((key, start, end)) = log_key("ctlog", i, t)? else {
                continue;
            };
            let id: [u8; 32] = t.log_id.key_id.as_slice().try_into().map_err(|_| {
                Error::trusted_root(format!(
                    "ctlog #{i} log ID is {} bytes, expected 32",
                    t.log_id.key_id.len()
                ))
            })?;
            ctlogs
                .entry(id)
                .or_default()
                .push(CtKey { key, start, end });
        }
        let mut cas = vec![];
        for (i, ca) in root.certificate_authorities.iter().enumerate() {
            cas.push(CaChain::load(i, ca)?);
        }
        let mut tsas = vec![];
        for (i, ca) in root.timestamp_authorities.iter().enumerate() {
            let (start, end) = required_bounds(
                &format!("timestamp authority #{i} ({})", ca.uri),
                Some(&ca.valid_for),
            )?;
            tsas.push(TsaChain {
                uri: ca.uri.clone(),
                certs_der: ca
                    .cert_chain
                    .certificates
                    .iter()
                    .map(|c| c.raw_bytes.clone())
                    .collect(),
                start,
                end,
            });
        }
        let mut ids: Vec<&[u8]> = tlogs.iter().map(|t| t.log_id.as_slice()).collect();
        ids.sort_unstable();
        ids.dedup();
        let distinct_logs = ids.len();
        Ok(Material {
            tlogs,
            distinct_logs,
            ctlogs,
            cas,
            tsas,
        })
    }
}
