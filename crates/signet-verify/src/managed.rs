//! Managed-key verification: bundles signed with a self-held key (`publicKey` hint in the
//! verification material, the key recorded in the log entry) instead of a Fulcio certificate.
//!
//! Rules, beyond the shared steps (signing time, log entries, artifact signature):
//! - the bundle names a key (`publicKey` hint), not a certificate;
//! - the key is the one given (by file), or the keyring key whose hint the bundle names;
//! - every log entry records exactly that key;
//! - a key with a validity window (from its trust material) must have been valid at every
//!   verified signing time, and there must be one: a window cannot be checked without a time
//!   (GHSA-wqqc-jjcq-vfxm);
//! - the transparency-log threshold counts only logs the trusted root knows, so a trusted root
//!   that lists no log (key-only trust, as sigstore-conformance's `managed-key-and-trusted-root`)
//!   requires no entry, and one that lists logs requires a proven entry as for keyless bundles.

use serde::Deserialize;
use signet_core::bundle::Bundle;
use signet_core::crypto::PublicKey;
use signet_core::intoto::Statement;
use signet_core::time::format_rfc3339;
use signet_core::trust::PublicKeyDetails;

use crate::material::{fmt_range, in_range};
use crate::tlog::Signer;
use crate::{signature, time, tlog, Artifact, Error, Result, TimeSource, Verifier};

pub use signet_core::limits::MAX_KEYRING_KEYS;

/// A managed signing key and the validity window its trust material gives it.
#[derive(Debug, Clone)]
pub struct ManagedKey {
    key: PublicKey,
    hint: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
}

/// One keyring entry: the trusted root's `PublicKey` message under the hint bundles name it by
/// (the shape of sigstore-js's trust-material `keys`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyringEntry {
    hint: String,
    public_key: PublicKeyDetails,
}

/// `{"keys": [...]}`: a keyring, or the npm registry's keys (at most [`MAX_KEYRING_KEYS`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "E: Deserialize<'de>"))]
struct KeyList<E> {
    #[serde(deserialize_with = "capped_keys")]
    keys: Vec<E>,
}

fn capped_keys<'de, D: serde::Deserializer<'de>, E: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Vec<E>, D::Error> {
    signet_core::limits::capped::vec(d, "keyring keys", MAX_KEYRING_KEYS)
}

/// One key of the npm registry's `keys.json` (the public-good TUF repository's
/// `registry.npmjs.org/keys.json`): the trusted root's `PublicKey` message under the key ID
/// bundles name it by, and what the registry uses it for.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegistryKeyEntry {
    key_id: String,
    key_usage: String,
    public_key: PublicKeyDetails,
}

impl ManagedKey {
    /// The keys of an npm registry `keys.json` (`{"keys": [{"keyId", "keyUsage", "publicKey":
    /// {"rawBytes", "keyDetails", "validFor"}}]}`) whose `keyUsage` is `usage` (e.g.
    /// `npm:attestations`), each under its key ID as hint and trusted within its window.
    pub fn registry_keys(json: &[u8], usage: &str) -> Result<Vec<Self>> {
        let ring: KeyList<RegistryKeyEntry> = serde_json::from_slice(json).map_err(|e| {
            Error::Format(signet_core::Error::invalid(
                "npm registry keys",
                e.to_string(),
            ))
        })?;
        ring.keys
            .into_iter()
            .filter(|k| k.key_usage == usage)
            .map(|k| Self::trusted_root_key(k.key_id, &k.public_key))
            .collect()
    }

    /// A key in the trusted root's encoding, listed under `hint`, with its required window.
    fn trusted_root_key(hint: String, pk: &PublicKeyDetails) -> Result<Self> {
        let what = format!("key {hint:?}");
        let raw = pk
            .raw_bytes
            .as_deref()
            .ok_or_else(|| Error::Format(signet_core::Error::invalid(&what, "no rawBytes")))?;
        let key = PublicKey::from_trusted_root(raw, &pk.key_details)?;
        let (start, end) = crate::material::required_bounds(&what, pk.valid_for.as_ref())?;
        Ok(ManagedKey {
            key,
            hint: Some(hint),
            start: Some(start),
            end,
        })
    }

    /// A key with no validity window (a key file: trusted at any time).
    pub fn new(key: PublicKey) -> Self {
        ManagedKey {
            key,
            hint: None,
            start: None,
            end: None,
        }
    }

    /// Parse a PEM `PUBLIC KEY` file.
    pub fn from_pem(text: &str) -> Result<Self> {
        Ok(Self::new(PublicKey::from_pem(text)?))
    }

    /// A key file as `--key` takes it: a keyring JSON (starts with `{`) or one PEM public key.
    pub fn from_key_file(bytes: &[u8]) -> Result<Vec<Self>> {
        if bytes.trim_ascii_start().starts_with(b"{") {
            return Self::keyring_from_json(bytes);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::Usage("expected a PEM PUBLIC KEY, found non-UTF-8 bytes".into()))?;
        Ok(vec![Self::from_pem(text)?])
    }

    /// Parse a keyring: `{"keys": [{"hint": H, "publicKey": {"rawBytes", "keyDetails",
    /// "validFor": {"start", "end"}}}]}`, each key in the trusted root's own encoding with the
    /// window it is trusted in. `validFor.start` is required, as for every trusted-root key.
    pub fn keyring_from_json(json: &[u8]) -> Result<Vec<Self>> {
        let ring: KeyList<KeyringEntry> = serde_json::from_slice(json)
            .map_err(|e| Error::Format(signet_core::Error::invalid("keyring", e.to_string())))?;
        ring.keys
            .into_iter()
            .map(|k| Self::trusted_root_key(k.hint, &k.public_key))
            .collect()
    }

    /// Restrict the key to a validity window (Unix seconds, inclusive).
    pub fn with_validity(mut self, start: Option<i64>, end: Option<i64>) -> Self {
        self.start = start;
        self.end = end;
        self
    }

    /// The key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// The hint a keyring lists it under.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    fn has_window(&self) -> bool {
        self.start.is_some() || self.end.is_some()
    }
}

/// What a managed-key verification proved.
#[derive(Debug)]
pub struct VerifiedKey {
    /// The hint of the keyring key used (`None` for a key given alone).
    pub hint: Option<String>,
    /// Verified signing times (Unix seconds) and their sources.
    pub signing_times: Vec<(i64, TimeSource)>,
    /// The in-toto statement's type, subjects and predicate type, for DSSE bundles.
    pub statement: Option<Statement>,
    /// The bundle's transparency log entries, each proven.
    pub log_entries: Vec<crate::ProvenEntry>,
}

impl Verifier {
    /// Verify a bundle signed with a managed key: one of `keys` (one key given alone is used
    /// whatever the bundle's hint says; from several, the one listed under the bundle's hint).
    pub fn verify_with_key(
        &self,
        bundle: &Bundle,
        artifact: Artifact<'_>,
        keys: &[ManagedKey],
    ) -> Result<VerifiedKey> {
        bundle.validate()?;
        if bundle.leaf_certificate_der().is_some() {
            return Err(Error::key(
                "expected a bundle signed with a managed key (publicKey hint), found one with a certificate; verify it by identity instead",
            ));
        }
        let hint = bundle
            .verification_material
            .public_key
            .as_ref()
            .map(|p| p.hint.as_str())
            .ok_or_else(|| Error::key("the bundle names neither a certificate nor a key"))?;
        let mk = match keys {
            [] => return Err(Error::key("no key given to verify a managed-key bundle with")),
            [one] if one.hint.is_none() => one,
            _ => keys.iter().find(|k| k.hint.as_deref() == Some(hint)).ok_or_else(|| {
                Error::key(format!(
                    "the bundle names key hint {hint:?}, which the keyring does not list (it lists {})",
                    keys.iter()
                        .map(|k| format!("{:?}", k.hint.as_deref().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
        };
        let signature_bytes = bundle
            .signature_bytes()
            .ok_or_else(|| Error::Artifact("bundle carries no signature".into()))?;

        // Signing time: needed only to prove the key's window.
        let mut times: Vec<(i64, TimeSource)> = vec![];
        let entry_times = time::signing_times(&self.m, bundle, signature_bytes, &mut times)?;
        if mk.has_window() {
            if times.is_empty() {
                return Err(Error::key(format!(
                    "the key is trusted only within {}, and the bundle has no verified signing time (no verified SET or RFC 3161 timestamp) to check it against",
                    fmt_range(mk.start, mk.end)
                )));
            }
            if let Some((t, src)) = times.iter().find(|(t, _)| !in_range(*t, mk.start, mk.end)) {
                return Err(Error::key(format!(
                    "the key is trusted within {}, which does not cover the signing time {} ({src:?})",
                    fmt_range(mk.start, mk.end),
                    format_rfc3339(*t)
                )));
            }
        }

        // Log entries: each records this key.
        let log_entries = tlog::verify_entries(
            bundle,
            Signer::Key {
                key: &mk.key,
                start: mk.start,
                end: mk.end,
            },
            artifact.sha256().as_ref(),
            &entry_times,
            &times,
            self.thresholds.tlog.min(self.m.distinct_logs),
        )?;

        let statement = signature::verify_artifact(bundle, &mk.key, artifact)?;
        Ok(VerifiedKey {
            hint: mk.hint.clone(),
            signing_times: times,
            statement,
            log_entries,
        })
    }
}
