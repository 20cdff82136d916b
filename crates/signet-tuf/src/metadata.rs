//! TUF 1.0 metadata: the four top-level roles, keys, signatures and threshold verification.
//!
//! Signatures are checked over the canonical JSON of the `signed` object exactly as received
//! (unknown fields included), never over a re-serialization of the typed structs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use signet_core::keys::EdKey;

use crate::canonical;
use crate::Error;

/// The TUF specification version this crate writes.
pub const SPEC_VERSION: &str = "1.0.31";

/// A signature in a metadata envelope.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Signature {
    /// Key ID of the signing key.
    pub keyid: String,
    /// Hex signature.
    pub sig: String,
}

/// A metadata file: `{"signed": ..., "signatures": [...]}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// The signed object, kept as received.
    pub signed: Value,
    /// Signatures over its canonical form.
    pub signatures: Vec<Signature>,
}

impl Envelope {
    /// Parse `bytes` as an envelope of role `role`.
    pub fn from_slice(role: &str, bytes: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::Parse {
            role: role.into(),
            reason: e.to_string(),
        })
    }
    /// The canonical bytes the signatures cover.
    pub fn canonical_signed(&self) -> Result<Vec<u8>, Error> {
        canonical::encode(&self.signed).map_err(|e| Error::Parse {
            role: "metadata".into(),
            reason: e.to_string(),
        })
    }
    /// Deserialize the signed part, checking `_type` is `role`.
    pub fn parse_signed<T: serde::de::DeserializeOwned>(&self, role: &str) -> Result<T, Error> {
        let ty = self
            .signed
            .get("_type")
            .and_then(Value::as_str)
            .unwrap_or("");
        if ty != role {
            return Err(Error::Parse {
                role: role.into(),
                reason: format!("expected _type {role:?}, found {ty:?}"),
            });
        }
        let spec = self
            .signed
            .get("spec_version")
            .and_then(Value::as_str)
            .unwrap_or("");
        if spec.split('.').next() != Some("1") {
            return Err(Error::Parse {
                role: role.into(),
                reason: format!("expected spec_version 1.x, found {spec:?}"),
            });
        }
        serde_json::from_value(self.signed.clone()).map_err(|e| Error::Parse {
            role: role.into(),
            reason: e.to_string(),
        })
    }
    /// Serialize pretty (what the repository publishes).
    pub fn to_vec(&self) -> Vec<u8> {
        // An envelope of plain JSON values always serializes.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

/// A public key as TUF writes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Key {
    /// `ed25519` or `ecdsa` / `ecdsa-sha2-nistp256`.
    pub keytype: String,
    /// `ed25519` or `ecdsa-sha2-nistp256`.
    pub scheme: String,
    /// `{"public": ...}`: hex for ed25519, PEM for ECDSA.
    pub keyval: KeyVal,
    /// Other fields (e.g. `x-tuf-on-ci-keyowner`), kept verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A key's public value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyVal {
    /// The public key.
    pub public: String,
}

impl Key {
    /// An ed25519 key from its raw 32 bytes.
    pub fn ed25519(raw: &[u8]) -> Key {
        Key {
            keytype: "ed25519".into(),
            scheme: "ed25519".into(),
            keyval: KeyVal {
                public: hex::encode(raw),
            },
            extra: BTreeMap::new(),
        }
    }

    /// The key ID python-tuf / securesystemslib compute: hex SHA-256 of the canonical JSON of
    /// the whole key object (`keytype`, `scheme`, `keyval` and any extra fields, as tuf-on-ci
    /// does for Sigstore's roots).
    pub fn key_id(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or(Value::Null);
        // Strings and JSON values from a parsed document: canonicalizable unless they hold
        // floats, which key objects never do.
        let bytes = canonical::encode(&v).unwrap_or_default();
        hex::encode(signet_core::encoding::sha256(&bytes))
    }

    /// Verify `sig` over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), String> {
        match (self.keytype.as_str(), self.scheme.as_str()) {
            ("ed25519", "ed25519") => {
                let raw = hex::decode(&self.keyval.public)
                    .map_err(|e| format!("ed25519 public key is not hex: {e}"))?;
                aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, raw)
                    .verify(msg, sig)
                    .map_err(|_| "ed25519 signature does not verify".to_string())
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                let k = signet_core::crypto::PublicKey::from_pem(&self.keyval.public)
                    .map_err(|e| format!("ECDSA public key: {e}"))?;
                if k.kind() != signet_core::crypto::KeyKind::EcdsaP256 {
                    return Err(format!(
                        "expected a P-256 key for ecdsa-sha2-nistp256, found {}",
                        k.kind().name()
                    ));
                }
                k.verify(msg, sig)
                    .map_err(|_| "ecdsa-sha2-nistp256 signature does not verify".to_string())
            }
            (t, s) => Err(format!(
                "unsupported key type/scheme {t}/{s}; expected ed25519/ed25519 or ecdsa/ecdsa-sha2-nistp256"
            )),
        }
    }
}

/// A role's keys and threshold in root metadata.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Role {
    /// Authorized key IDs.
    pub keyids: Vec<String>,
    /// Signatures needed.
    pub threshold: u32,
}

/// Root metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Root {
    /// `"root"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Specification version.
    pub spec_version: String,
    /// Version number.
    pub version: u64,
    /// Expiry, `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
    /// Whether files are published with version / hash prefixes.
    pub consistent_snapshot: bool,
    /// Keys by key ID.
    pub keys: BTreeMap<String, Key>,
    /// `root`, `targets`, `snapshot`, `timestamp`.
    pub roles: BTreeMap<String, Role>,
}

/// A `meta` entry of timestamp and snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MetaFile {
    /// Version of the described metadata.
    pub version: u64,
    /// Length in bytes, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Hashes (hex) by algorithm, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<BTreeMap<String, String>>,
}

/// Timestamp or snapshot metadata (same shape: a `meta` map).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetaRole {
    /// `"timestamp"` or `"snapshot"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Specification version.
    pub spec_version: String,
    /// Version number.
    pub version: u64,
    /// Expiry.
    pub expires: String,
    /// Described files.
    pub meta: BTreeMap<String, MetaFile>,
}

/// A target file's description.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TargetFile {
    /// Length in bytes.
    pub length: u64,
    /// Hashes (hex) by algorithm.
    pub hashes: BTreeMap<String, String>,
    /// Custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
}

/// Targets metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Targets {
    /// `"targets"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Specification version.
    pub spec_version: String,
    /// Version number.
    pub version: u64,
    /// Expiry.
    pub expires: String,
    /// Target files by name.
    pub targets: BTreeMap<String, TargetFile>,
    /// Delegations (not followed by this client: Sigstore's trust material is top-level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegations: Option<Value>,
}

/// Expiry as Unix seconds.
pub fn expires_unix(role: &str, expires: &str) -> Result<i64, Error> {
    signet_core::time::parse_rfc3339(expires).map_err(|e| Error::Parse {
        role: role.into(),
        reason: format!("expires {expires:?}: {e}"),
    })
}

/// Check `expires` against `now`.
pub fn check_expiry(role: &str, expires: &str, now: i64) -> Result<(), Error> {
    if expires_unix(role, expires)? <= now {
        return Err(Error::Expired {
            role: role.into(),
            expires: expires.into(),
            now: signet_core::time::format_rfc3339(now),
        });
    }
    Ok(())
}

impl Root {
    /// Verify that `env` carries at least the threshold of valid signatures from the keys this
    /// root authorizes for `role`.
    pub fn verify_role(&self, role: &str, env: &Envelope) -> Result<(), Error> {
        let r = self.roles.get(role).ok_or_else(|| Error::Parse {
            role: "root".into(),
            reason: format!("no {role:?} role defined"),
        })?;
        let msg = env.canonical_signed()?;
        let mut good = BTreeSet::new();
        let mut problems = Vec::new();
        for s in &env.signatures {
            if !r.keyids.contains(&s.keyid) {
                continue;
            }
            let Some(key) = self.keys.get(&s.keyid) else {
                problems.push(format!("key {} not in root", short(&s.keyid)));
                continue;
            };
            let sig = match hex::decode(&s.sig) {
                Ok(b) => b,
                Err(_) => {
                    problems.push(format!("signature by {} is not hex", short(&s.keyid)));
                    continue;
                }
            };
            match key.verify(&msg, &sig) {
                Ok(()) => {
                    good.insert(s.keyid.clone());
                }
                Err(e) => problems.push(format!("{}: {e}", short(&s.keyid))),
            }
        }
        if (good.len() as u64) < u64::from(r.threshold) || r.threshold == 0 {
            return Err(Error::Threshold {
                role: role.into(),
                expected: r.threshold,
                found: good.len(),
                details: if problems.is_empty() {
                    "no signatures by authorized keys".into()
                } else {
                    problems.join("; ")
                },
            });
        }
        Ok(())
    }
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Sign `signed` with `keys` (ed25519), producing an envelope.
pub fn sign(signed: &Value, keys: &[&EdKey]) -> Result<Envelope, Error> {
    let msg = canonical::encode(signed).map_err(|e| Error::Parse {
        role: "metadata".into(),
        reason: e.to_string(),
    })?;
    let signatures = keys
        .iter()
        .map(|k| Signature {
            keyid: Key::ed25519(k.raw_public_key()).key_id(),
            sig: hex::encode(k.sign(&msg)),
        })
        .collect();
    Ok(Envelope {
        signed: signed.clone(),
        signatures,
    })
}

/// Check `bytes` against an optional length and hashes (sha256 / sha512).
pub fn check_hashes(
    what: &str,
    bytes: &[u8],
    length: Option<u64>,
    hashes: Option<&BTreeMap<String, String>>,
) -> Result<(), Error> {
    if let Some(l) = length {
        if bytes.len() as u64 != l {
            return Err(Error::Length {
                what: what.into(),
                expected: l,
                found: bytes.len() as u64,
            });
        }
    }
    for (alg, want) in hashes.into_iter().flatten() {
        let got = match alg.as_str() {
            "sha256" => hex::encode(signet_core::encoding::sha256(bytes)),
            "sha512" => hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, bytes)),
            _ => continue,
        };
        if !got.eq_ignore_ascii_case(want) {
            return Err(Error::Hash {
                what: what.into(),
                alg: alg.clone(),
                expected: want.clone(),
                found: got,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Instance;

    #[test]
    fn embedded_roots_verify_themselves() {
        for inst in [Instance::Production, Instance::Staging] {
            let env = Envelope::from_slice("root", inst.tuf_root_json()).unwrap();
            let root: Root = env.parse_signed("root").unwrap();
            root.verify_role("root", &env).unwrap();
            assert!(root.consistent_snapshot);
        }
    }

    #[test]
    fn key_id_matches_python_tuf() {
        // A key ID in the staging root that tuf-on-ci computed with securesystemslib.
        let env = Envelope::from_slice("root", Instance::Staging.tuf_root_json()).unwrap();
        let root: Root = env.parse_signed("root").unwrap();
        for (id, k) in &root.keys {
            assert_eq!(&k.key_id(), id);
        }
        // securesystemslib: sha256(encode_canonical({"keytype":"ed25519","scheme":"ed25519",
        // "keyval":{"public":"ab"*32}})).
        assert_eq!(
            Key::ed25519(&[0xab; 32]).key_id(),
            "05584cc3bfabb85de26cb80479f075fa802c97add45fd61feebaa0423da7f57a"
        );
    }
}
