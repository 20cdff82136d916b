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
        self.parse_typed(role, role)
    }
    /// Deserialize the signed part of role `role`, checking `_type` is `ty` (for delegated
    /// targets roles, whose `_type` is `targets`).
    pub fn parse_typed<T: serde::de::DeserializeOwned>(
        &self,
        ty_expected: &str,
        role: &str,
    ) -> Result<T, Error> {
        let ty = self
            .signed
            .get("_type")
            .and_then(Value::as_str)
            .unwrap_or("");
        if ty != ty_expected {
            return Err(Error::Parse {
                role: role.into(),
                reason: format!("expected _type {ty_expected:?}, found {ty:?}"),
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
    ///
    /// ECDSA keys (`keytype` `ecdsa` or `ecdsa-sha2-nistp256`, scheme `ecdsa-sha2-nistp256`)
    /// are accepted in both encodings Sigstore's root history uses: a PEM SubjectPublicKeyInfo
    /// (current roots) or, as in public-good root versions 1-8, the hex-encoded uncompressed
    /// SEC1 point `04||X||Y`. Signatures are DER-encoded ECDSA over SHA-256 in both cases.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        use aws_lc_rs::signature::{ParsedPublicKey, ECDSA_P256_SHA256_ASN1, ED25519};
        match (self.keytype.as_str(), self.scheme.as_str()) {
            ("ed25519", "ed25519") => {
                let raw = hex::decode(&self.keyval.public).map_err(|e| KeyError::Encoding {
                    keytype: self.keytype.clone(),
                    expected: "a hex-encoded 32-byte ed25519 public key",
                    found: format!("non-hex text ({e})"),
                })?;
                if raw.len() != 32 {
                    return Err(KeyError::Encoding {
                        keytype: self.keytype.clone(),
                        expected: "a hex-encoded 32-byte ed25519 public key",
                        found: format!("{} bytes", raw.len()),
                    });
                }
                aws_lc_rs::signature::UnparsedPublicKey::new(&ED25519, raw)
                    .verify(msg, sig)
                    .map_err(|_| KeyError::BadSignature {
                        scheme: self.scheme.clone(),
                    })
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                let public = self.keyval.public.trim();
                if public.starts_with("-----BEGIN") {
                    let k = signet_core::crypto::PublicKey::from_pem(public).map_err(|e| {
                        KeyError::Encoding {
                            keytype: self.keytype.clone(),
                            expected: "a PEM P-256 SubjectPublicKeyInfo",
                            found: format!("an unreadable PEM key ({e})"),
                        }
                    })?;
                    if k.kind() != signet_core::crypto::KeyKind::EcdsaP256 {
                        return Err(KeyError::Encoding {
                            keytype: self.keytype.clone(),
                            expected: "a PEM P-256 SubjectPublicKeyInfo",
                            found: format!("a PEM {} key", k.kind().name()),
                        });
                    }
                    return k.verify(msg, sig).map_err(|_| KeyError::BadSignature {
                        scheme: self.scheme.clone(),
                    });
                }
                const EXPECTED: &str = "a PEM P-256 SubjectPublicKeyInfo or a hex-encoded \
                    uncompressed SEC1 P-256 point (65 bytes, 04||X||Y)";
                let raw = hex::decode(public).map_err(|e| KeyError::Encoding {
                    keytype: self.keytype.clone(),
                    expected: EXPECTED,
                    found: format!("neither PEM nor hex ({e})"),
                })?;
                if raw.len() != 65 || raw[0] != 0x04 {
                    return Err(KeyError::Encoding {
                        keytype: self.keytype.clone(),
                        expected: EXPECTED,
                        found: format!(
                            "{} hex-decoded bytes starting with {:#04x}",
                            raw.len(),
                            raw.first().copied().unwrap_or(0)
                        ),
                    });
                }
                let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &raw).map_err(|e| {
                    KeyError::Encoding {
                        keytype: self.keytype.clone(),
                        expected: EXPECTED,
                        found: format!("65 bytes that are not a point on P-256 ({e})"),
                    }
                })?;
                key.verify_sig(msg, sig)
                    .map_err(|_| KeyError::BadSignature {
                        scheme: self.scheme.clone(),
                    })
            }
            (t, s) => Err(KeyError::Unsupported {
                keytype: t.into(),
                scheme: s.into(),
            }),
        }
    }
}

/// Why a key could not verify a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key type / scheme pair is not one this crate verifies.
    #[error("unsupported key type/scheme {keytype}/{scheme}; expected ed25519/ed25519 or ecdsa (or ecdsa-sha2-nistp256)/ecdsa-sha2-nistp256")]
    Unsupported {
        /// `keytype` as found.
        keytype: String,
        /// `scheme` as found.
        scheme: String,
    },
    /// `keyval.public` is not a valid encoding for the key type.
    #[error("{keytype} public key: expected {expected}, found {found}")]
    Encoding {
        /// `keytype` as found.
        keytype: String,
        /// The accepted encodings.
        expected: &'static str,
        /// What the value is instead.
        found: String,
    },
    /// The key is valid but the signature does not verify with it.
    #[error("{scheme} signature does not verify")]
    BadSignature {
        /// The key's scheme.
        scheme: String,
    },
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
    /// Delegations to other targets roles (followed by [`crate::client`] when a target is not
    /// listed here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegations: Option<Delegations>,
}

pub use signet_core::limits::{
    MAX_TUF_DELEGATED_ROLES as MAX_DELEGATED_ROLES, MAX_TUF_DELEGATION_KEYS as MAX_DELEGATION_KEYS,
    MAX_TUF_PATTERN_LEN as MAX_PATTERN_LEN, MAX_TUF_ROLE_KEYIDS as MAX_ROLE_KEYIDS,
    MAX_TUF_ROLE_PATTERNS as MAX_ROLE_PATTERNS,
};

/// The `delegations` of a targets role (TUF specification §4.5): keys and the roles they sign.
///
/// Parsing is strict: `roles` is required (TAP 15 `succinct_roles` is refused as unsupported),
/// role names are unique and are not top-level role names, and every list is capped while it is
/// read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(try_from = "DelegationsWire")]
pub struct Delegations {
    /// Keys by key ID.
    pub keys: BTreeMap<String, Key>,
    /// Delegated roles, in priority order.
    pub roles: Vec<DelegatedRole>,
}

/// One delegated targets role.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(try_from = "DelegatedRoleWire")]
pub struct DelegatedRole {
    /// Role name (its metadata is `<name>.json`).
    pub name: String,
    /// Authorized key IDs (unique), from the delegating role's `delegations.keys`.
    pub keyids: Vec<String>,
    /// Signatures needed (at least 1).
    pub threshold: u32,
    /// Whether the search for a target this role is trusted for stops after this role.
    pub terminating: bool,
    /// Target path patterns (`fnmatch` per `/`-separated segment); exclusive with
    /// `path_hash_prefixes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Hex prefixes of the SHA-256 of target paths; exclusive with `paths`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hash_prefixes: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct DelegationsWire {
    #[serde(deserialize_with = "cap_delegation_keys")]
    keys: BTreeMap<String, Key>,
    #[serde(default, deserialize_with = "cap_delegated_roles")]
    roles: Option<Vec<DelegatedRole>>,
    #[serde(default)]
    succinct_roles: Option<Value>,
}

#[derive(Deserialize)]
struct DelegatedRoleWire {
    name: String,
    #[serde(deserialize_with = "cap_role_keyids")]
    keyids: Vec<String>,
    threshold: u32,
    terminating: bool,
    #[serde(default, deserialize_with = "cap_role_patterns")]
    paths: Option<Vec<String>>,
    #[serde(default, deserialize_with = "cap_role_patterns")]
    path_hash_prefixes: Option<Vec<String>>,
}

fn cap_delegation_keys<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Key>, D::Error> {
    capped_map(d, "delegation keys", MAX_DELEGATION_KEYS)
}

fn cap_delegated_roles<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<DelegatedRole>>, D::Error> {
    signet_core::limits::capped::vec(d, "delegated roles", MAX_DELEGATED_ROLES).map(Some)
}

fn cap_role_keyids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    signet_core::limits::capped::vec(d, "delegated role key IDs", MAX_ROLE_KEYIDS)
}

fn cap_role_patterns<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    signet_core::limits::capped::vec(d, "delegated role path patterns", MAX_ROLE_PATTERNS).map(Some)
}

/// A JSON object of at most `max` entries, refused at the entry past the cap.
fn capped_map<'de, D, V>(
    d: D,
    what: &'static str,
    max: usize,
) -> Result<BTreeMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct MapVisitor<V> {
        what: &'static str,
        max: usize,
        _v: std::marker::PhantomData<V>,
    }
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for MapVisitor<V> {
        type Value = BTreeMap<String, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "an object of at most {} {}", self.max, self.what)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut m: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((k, v)) = m.next_entry::<String, V>()? {
                if out.len() == self.max {
                    return Err(serde::de::Error::custom(format!(
                        "{} exceed the limit (expected at most {}, found more)",
                        self.what, self.max
                    )));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(MapVisitor {
        what,
        max,
        _v: std::marker::PhantomData,
    })
}

impl TryFrom<DelegationsWire> for Delegations {
    type Error = String;
    fn try_from(w: DelegationsWire) -> Result<Self, String> {
        let roles = match (w.roles, w.succinct_roles) {
            (Some(r), None) => r,
            (None, Some(_)) => {
                return Err("expected delegations.roles, found succinct_roles (TAP 15), which this client does not support".into())
            }
            (Some(_), Some(_)) => {
                return Err("expected either delegations.roles or succinct_roles, found both".into())
            }
            (None, None) => return Err("expected delegations.roles, found none".into()),
        };
        let mut names = BTreeSet::new();
        for r in &roles {
            if !names.insert(r.name.as_str()) {
                return Err(format!(
                    "expected unique delegated role names, found {:?} twice",
                    r.name
                ));
            }
        }
        Ok(Delegations {
            keys: w.keys,
            roles,
        })
    }
}

impl TryFrom<DelegatedRoleWire> for DelegatedRole {
    type Error = String;
    fn try_from(w: DelegatedRoleWire) -> Result<Self, String> {
        if w.name.is_empty()
            || ["root", "targets", "snapshot", "timestamp"].contains(&w.name.as_str())
        {
            return Err(format!(
                "expected a delegated role name that is not empty or a top-level role, found {:?}",
                w.name
            ));
        }
        if w.threshold == 0 {
            return Err(format!(
                "delegated role {:?}: expected a threshold of at least 1, found 0",
                w.name
            ));
        }
        let unique: BTreeSet<&String> = w.keyids.iter().collect();
        if unique.len() != w.keyids.len() {
            return Err(format!(
                "delegated role {:?}: expected unique key IDs, found duplicates",
                w.name
            ));
        }
        match (&w.paths, &w.path_hash_prefixes) {
            (Some(_), None) | (None, Some(_)) => {}
            (Some(_), Some(_)) => {
                return Err(format!(
                    "delegated role {:?}: expected paths or path_hash_prefixes, found both",
                    w.name
                ))
            }
            (None, None) => {
                return Err(format!(
                    "delegated role {:?}: expected paths or path_hash_prefixes, found neither",
                    w.name
                ))
            }
        }
        let patterns = w.paths.iter().chain(&w.path_hash_prefixes).flatten();
        if let Some(long) = patterns.into_iter().find(|p| p.len() > MAX_PATTERN_LEN) {
            return Err(format!(
                "delegated role {:?}: expected path patterns of at most {MAX_PATTERN_LEN} bytes, found one of {}",
                w.name,
                long.len()
            ));
        }
        Ok(DelegatedRole {
            name: w.name,
            keyids: w.keyids,
            threshold: w.threshold,
            terminating: w.terminating,
            paths: w.paths,
            path_hash_prefixes: w.path_hash_prefixes,
        })
    }
}

impl DelegatedRole {
    /// Whether this role is trusted for target path `target` (TUF specification §5.6.7.2):
    /// some pattern of `paths` matches it segment by segment (`fnmatch` within each
    /// `/`-separated segment, same number of segments), or the hex SHA-256 of the path starts
    /// with one of `path_hash_prefixes`.
    pub fn is_delegated_path(&self, target: &str) -> bool {
        if let Some(paths) = &self.paths {
            return paths.iter().any(|p| path_pattern_matches(p, target));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            let h = hex::encode(signet_core::encoding::sha256(target.as_bytes()));
            return prefixes.iter().any(|p| h.starts_with(p.as_str()));
        }
        false
    }
}

/// `pattern` matches `target` segment by segment (python-tuf's rule: equal segment counts,
/// each segment matched with `fnmatch`, so `*` never crosses a `/`).
fn path_pattern_matches(pattern: &str, target: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let t: Vec<&str> = target.split('/').collect();
    p.len() == t.len()
        && p.iter().zip(&t).all(|(p, t)| {
            let p: Vec<char> = p.chars().collect();
            let t: Vec<char> = t.chars().collect();
            fnmatch(&p, &t)
        })
}

/// Shell-style matching as Python's `fnmatch.fnmatchcase`: `*` (any run), `?` (one
/// character), `[seq]` / `[!seq]` with ranges `a-z`; an unclosed `[` is a literal.
fn fnmatch(pat: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Where the last `*` was and the text position it is currently made to cover up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if let Some(&c) = pat.get(p) {
            let step = match c {
                '*' => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                '?' => Some(p + 1),
                '[' => match bracket(pat, p, text[t]) {
                    Some((true, next)) => Some(next),
                    Some((false, _)) => None,
                    None => (text[t] == '[').then_some(p + 1),
                },
                c => (c == text[t]).then_some(p + 1),
            };
            if let Some(next) = step {
                p = next;
                t += 1;
                continue;
            }
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pat[p.min(pat.len())..].iter().all(|&c| c == '*')
}

/// The bracket expression at `pat[open]`: `Some((matches c, index after it))`, or `None` when
/// it is not closed (then `[` is literal).
fn bracket(pat: &[char], open: usize, c: char) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negate = pat.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    let start = i;
    // A `]` right after `[` or `[!` is a member, not the end.
    if pat.get(i) == Some(&']') {
        i += 1;
    }
    while pat.get(i).is_some_and(|&x| x != ']') {
        i += 1;
    }
    if i >= pat.len() {
        return None;
    }
    let set = &pat[start..i];
    let mut hit = false;
    let mut k = 0;
    while k < set.len() {
        if k + 2 < set.len() && set[k + 1] == '-' {
            hit |= set[k] <= c && c <= set[k + 2];
            k += 3;
        } else {
            hit |= set[k] == c;
            k += 1;
        }
    }
    Some((hit != negate, i + 1))
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
        verify_threshold(role, &self.keys, &r.keyids, r.threshold, env)
    }
}

/// Verify that `env` carries valid signatures from at least `threshold` distinct key IDs among
/// `keyids`, each key looked up in `keys` (a root's keys, or a delegating role's
/// `delegations.keys`). A threshold of 0 never verifies.
pub fn verify_threshold(
    role: &str,
    keys: &BTreeMap<String, Key>,
    keyids: &[String],
    threshold: u32,
    env: &Envelope,
) -> Result<(), Error> {
    let msg = env.canonical_signed()?;
    let mut good = BTreeSet::new();
    let mut problems = Vec::new();
    for s in &env.signatures {
        if !keyids.contains(&s.keyid) || good.contains(&s.keyid) {
            continue;
        }
        let Some(key) = keys.get(&s.keyid) else {
            problems.push(format!(
                "key {} not listed with the role's keys",
                short(&s.keyid)
            ));
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
    if (good.len() as u64) < u64::from(threshold) || threshold == 0 {
        return Err(Error::Threshold {
            role: role.into(),
            expected: threshold,
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

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// A key that signs TUF metadata.
pub trait Signer {
    /// The public key as published in root or delegating metadata (its key ID names the
    /// signatures).
    fn public_key(&self) -> Key;
    /// Sign `msg` (the canonical bytes of a `signed` object).
    fn sign_msg(&self, msg: &[u8]) -> Result<Vec<u8>, Error>;
}

impl Signer for EdKey {
    fn public_key(&self) -> Key {
        Key::ed25519(self.raw_public_key())
    }
    fn sign_msg(&self, msg: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.sign(msg))
    }
}

/// How an ECDSA P-256 public key is written into metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcdsaEncoding {
    /// `keytype` `ecdsa-sha2-nistp256` with a hex uncompressed point and the legacy
    /// `keyid_hash_algorithms` field, as in public-good root versions 1-8.
    LegacyHex,
    /// `keytype` `ecdsa` with a PEM SubjectPublicKeyInfo, as in current Sigstore roots.
    Pem,
}

/// A role key behind Signet's signer abstraction (e.g. in a PKCS#11 token): Ed25519 keys are
/// published as `ed25519`, ECDSA P-256 keys as PEM `ecdsa` keys.
#[derive(Debug, Clone)]
pub struct SharedKey(pub signet_core::signer::SharedSigner);

impl Signer for SharedKey {
    fn public_key(&self) -> Key {
        match self.0.algorithm() {
            signet_core::signer::SignatureAlgorithm::Ed25519 => Key::ed25519(
                &signet_core::signer::public_key_bits(self.0.as_ref()).unwrap_or_default(),
            ),
            _ => Key::ecdsa_pem(self.0.public_key_der()),
        }
    }
    fn sign_msg(&self, msg: &[u8]) -> Result<Vec<u8>, Error> {
        self.0
            .sign(msg)
            .map_err(|e| Error::Key(format!("signing TUF metadata: {e}")))
    }
}

/// An ECDSA P-256 signing key and the encoding its public key is published in.
#[derive(Debug)]
pub struct EcdsaSigner {
    /// The key pair (P-256).
    pub key: signet_core::keys::EcKey,
    /// How the public key is written.
    pub encoding: EcdsaEncoding,
}

impl Signer for EcdsaSigner {
    fn public_key(&self) -> Key {
        match self.encoding {
            EcdsaEncoding::LegacyHex => Key::ecdsa_legacy_hex(self.key.public_point()),
            EcdsaEncoding::Pem => Key::ecdsa_pem(self.key.spki_der()),
        }
    }
    fn sign_msg(&self, msg: &[u8]) -> Result<Vec<u8>, Error> {
        self.key
            .sign(msg)
            .map_err(|e| Error::Key(format!("ECDSA signing: {e}")))
    }
}

impl Key {
    /// A legacy-encoded ECDSA P-256 key: `keytype` `ecdsa-sha2-nistp256`, the hex uncompressed
    /// point, and `keyid_hash_algorithms` `["sha256", "sha512"]` (part of the key ID).
    pub fn ecdsa_legacy_hex(point: &[u8]) -> Key {
        Key {
            keytype: "ecdsa-sha2-nistp256".into(),
            scheme: "ecdsa-sha2-nistp256".into(),
            keyval: KeyVal {
                public: hex::encode(point),
            },
            extra: BTreeMap::from([(
                "keyid_hash_algorithms".to_string(),
                serde_json::json!(["sha256", "sha512"]),
            )]),
        }
    }

    /// A PEM-encoded ECDSA P-256 key (`keytype` `ecdsa`) from its DER SubjectPublicKeyInfo.
    pub fn ecdsa_pem(spki_der: &[u8]) -> Key {
        let b64 = signet_core::encoding::b64_encode(spki_der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Key {
            keytype: "ecdsa".into(),
            scheme: "ecdsa-sha2-nistp256".into(),
            keyval: KeyVal { public: pem },
            extra: BTreeMap::new(),
        }
    }
}

/// Sign `signed` with `keys`, producing an envelope.
pub fn sign(signed: &Value, keys: &[&dyn Signer]) -> Result<Envelope, Error> {
    let msg = canonical::encode(signed).map_err(|e| Error::Parse {
        role: "metadata".into(),
        reason: e.to_string(),
    })?;
    let mut signatures = Vec::with_capacity(keys.len());
    for k in keys {
        signatures.push(Signature {
            keyid: k.public_key().key_id(),
            sig: hex::encode(k.sign_msg(&msg)?),
        });
    }
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

    /// The P-256 base point, uncompressed (a valid point nobody signs with).
    const P256_G: &str = "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

    fn ec_signer(encoding: EcdsaEncoding) -> EcdsaSigner {
        EcdsaSigner {
            key: signet_core::keys::EcKey::generate(signet_core::keys::Curve::P256).unwrap(),
            encoding,
        }
    }

    #[test]
    fn legacy_hex_ecdsa_key_verifies_and_pem_of_the_same_key_too() {
        let s = ec_signer(EcdsaEncoding::LegacyHex);
        let sig = s.sign_msg(b"msg").unwrap();
        let hex_key = s.public_key();
        assert_eq!(hex_key.keytype, "ecdsa-sha2-nistp256");
        assert_eq!(hex_key.keyval.public.len(), 130);
        hex_key.verify(b"msg", &sig).unwrap();
        // Root versions may also say `"keytype": "ecdsa"` with a hex point.
        let mut as_ecdsa = hex_key.clone();
        as_ecdsa.keytype = "ecdsa".into();
        as_ecdsa.verify(b"msg", &sig).unwrap();
        let pem_key = Key::ecdsa_pem(s.key.spki_der());
        pem_key.verify(b"msg", &sig).unwrap();
        assert_ne!(pem_key.key_id(), hex_key.key_id());
        assert!(matches!(
            hex_key.verify(b"other", &sig),
            Err(KeyError::BadSignature { .. })
        ));
    }

    #[test]
    fn legacy_hex_key_id_is_securesystemslib_key_id() {
        // sha256(canonical({"keyid_hash_algorithms":["sha256","sha512"],
        // "keytype":"ecdsa-sha2-nistp256","keyval":{"public":G},"scheme":"ecdsa-sha2-nistp256"})),
        // computed with Python's json.dumps(sort_keys=True, separators=(",", ":")).
        let g = hex::decode(P256_G).unwrap();
        assert_eq!(
            Key::ecdsa_legacy_hex(&g).key_id(),
            "81f5497472b9cb2e0b68553868e39fab76204a3dd07650ecbca080930d4b37e5"
        );
    }

    #[test]
    fn hex_ecdsa_key_that_is_not_a_point_is_an_error_naming_both() {
        let key = |public: String| Key {
            keytype: "ecdsa-sha2-nistp256".into(),
            scheme: "ecdsa-sha2-nistp256".into(),
            keyval: KeyVal { public },
            extra: BTreeMap::new(),
        };
        // Off the curve: G with the last byte of Y changed.
        let off = format!("{}f4", &P256_G[..128]);
        let e = key(off).verify(b"m", &[0x30, 0]).unwrap_err();
        assert!(
            matches!(&e, KeyError::Encoding { found, .. } if found.contains("not a point on P-256")),
            "{e}"
        );
        assert!(e.to_string().contains("expected a PEM P-256 SubjectPublicKeyInfo or a hex-encoded uncompressed SEC1 P-256 point"), "{e}");
        // Compressed point (33 bytes, 02||X): not the uncompressed form.
        let e = key(format!("02{}", &P256_G[2..66]))
            .verify(b"m", &[0x30, 0])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("found 33 hex-decoded bytes starting with 0x02"),
            "{e}"
        );
        let e = key("zz".repeat(65)).verify(b"m", &[0x30, 0]).unwrap_err();
        assert!(e.to_string().contains("neither PEM nor hex"), "{e}");
        // The valid point itself passes the encoding checks (and fails on the signature).
        assert!(matches!(
            key(P256_G.into()).verify(b"m", &[0x30, 0]),
            Err(KeyError::BadSignature { .. })
        ));
    }

    #[test]
    fn legacy_hex_root_threshold() {
        // A root in the shape of public-good v1: five hex ecdsa-sha2-nistp256 keys (with
        // keyid_hash_algorithms), root threshold 3.
        let signers: Vec<EcdsaSigner> = (0..5)
            .map(|_| ec_signer(EcdsaEncoding::LegacyHex))
            .collect();
        let mut keys = serde_json::Map::new();
        let mut ids = Vec::new();
        for s in &signers {
            let k = s.public_key();
            ids.push(k.key_id());
            keys.insert(k.key_id(), serde_json::to_value(&k).unwrap());
        }
        let signed = serde_json::json!({
            "_type": "root", "spec_version": "1.0", "version": 1,
            "expires": "2031-01-01T00:00:00Z", "consistent_snapshot": true,
            "keys": keys,
            "roles": {"root": {"keyids": ids, "threshold": 3}},
        });
        let by = |n: usize| -> Envelope {
            let s: Vec<&dyn Signer> = signers[..n].iter().map(|s| s as &dyn Signer).collect();
            sign(&signed, &s).unwrap()
        };
        let env = by(3);
        let root: Root = env.parse_signed("root").unwrap();
        root.verify_role("root", &env).unwrap();
        let e = root.verify_role("root", &by(2)).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Threshold {
                    expected: 3,
                    found: 2,
                    ..
                }
            ),
            "{e}"
        );
        // The same signature twice counts once.
        let mut dup = by(2);
        dup.signatures.push(dup.signatures[0].clone());
        assert!(root.verify_role("root", &dup).is_err());
    }

    fn delegations(roles: Value) -> Result<Delegations, String> {
        serde_json::from_value(serde_json::json!({"keys": {}, "roles": roles}))
            .map_err(|e| e.to_string())
    }

    fn role(extra: Value) -> Value {
        let mut r =
            serde_json::json!({"name": "r", "keyids": ["a"], "threshold": 1, "terminating": false});
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        r
    }

    #[test]
    fn delegations_parse_strictly() {
        let ok = delegations(serde_json::json!([role(
            serde_json::json!({"paths": ["npm/*"]})
        )]))
        .unwrap();
        assert_eq!(
            ok.roles[0].paths.as_deref(),
            Some(&["npm/*".to_string()][..])
        );
        for (bad, why) in [
            (
                serde_json::json!([role(serde_json::json!({}))]),
                "found neither",
            ),
            (
                serde_json::json!([role(
                    serde_json::json!({"paths": [], "path_hash_prefixes": []})
                )]),
                "found both",
            ),
            (
                serde_json::json!([role(serde_json::json!({"paths": [], "threshold": 0}))]),
                "threshold of at least 1",
            ),
            (
                serde_json::json!([role(serde_json::json!({"paths": [], "name": "snapshot"}))]),
                "top-level role",
            ),
            (
                serde_json::json!([role(serde_json::json!({"paths": [], "keyids": ["a", "a"]}))]),
                "unique key IDs",
            ),
            (
                serde_json::json!([
                    role(serde_json::json!({"paths": []})),
                    role(serde_json::json!({"paths": []}))
                ]),
                "twice",
            ),
            (
                serde_json::json!([role(
                    serde_json::json!({"paths": [], "keyids": (0..=MAX_ROLE_KEYIDS).map(|i| i.to_string()).collect::<Vec<_>>()})
                )]),
                "expected at most 256",
            ),
            (
                serde_json::json!([role(
                    serde_json::json!({"paths": ["a".repeat(MAX_PATTERN_LEN + 1)]})
                )]),
                "at most 1024 bytes",
            ),
        ] {
            let e = delegations(bad).unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
        }
        let e = serde_json::from_value::<Delegations>(
            serde_json::json!({"keys": {}, "succinct_roles": {}}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("succinct_roles"), "{e}");
        let many: serde_json::Map<String, Value> = (0..=MAX_DELEGATION_KEYS)
            .map(|i| {
                (
                    i.to_string(),
                    serde_json::to_value(Key::ed25519(&[1; 32])).unwrap(),
                )
            })
            .collect();
        let e =
            serde_json::from_value::<Delegations>(serde_json::json!({"keys": many, "roles": []}))
                .unwrap_err()
                .to_string();
        assert!(e.contains("delegation keys exceed the limit"), "{e}");
    }

    #[test]
    fn delegated_paths_match_per_segment() {
        let r = |paths: &[&str]| DelegatedRole {
            name: "r".into(),
            keyids: vec![],
            threshold: 1,
            terminating: false,
            paths: Some(paths.iter().map(|s| s.to_string()).collect()),
            path_hash_prefixes: None,
        };
        let npm = r(&["npm/*"]);
        assert!(npm.is_delegated_path("npm/keys.json"));
        assert!(!npm.is_delegated_path("npm/a/keys.json"), "* crosses no /");
        assert!(!npm.is_delegated_path("npmx/keys.json"));
        assert!(!npm.is_delegated_path("trusted_root.json"));
        assert!(!r(&["*.json"]).is_delegated_path("a/b.json"));
        assert!(r(&["*"]).is_delegated_path("trusted_root.json"));
        assert!(r(&["a/f?o.[jt]s[!x]n"]).is_delegated_path("a/foo.json"));
        assert!(!r(&["a/f?o.[jt]s[!o]n"]).is_delegated_path("a/foo.json"));
        assert!(r(&["v[0-9]/*"]).is_delegated_path("v7/x"));
        assert!(!r(&["v[0-9]/*"]).is_delegated_path("vx/x"));
        assert!(
            r(&["a[b"]).is_delegated_path("a[b"),
            "unclosed [ is literal"
        );
        assert!(r(&["*a*b*"]).is_delegated_path("xxaxxbxx"));
        assert!(!r(&["*a*b"]).is_delegated_path("xxaxxbxx"));
        assert!(!r(&[]).is_delegated_path("x"));
        // sha256("npm/keys.json") starts with 79d2.
        let h = |p: &[&str]| DelegatedRole {
            paths: None,
            path_hash_prefixes: Some(p.iter().map(|s| s.to_string()).collect()),
            ..npm.clone()
        };
        assert!(h(&["00", "79d"]).is_delegated_path("npm/keys.json"));
        assert!(!h(&["79d3"]).is_delegated_path("npm/keys.json"));
    }
}
