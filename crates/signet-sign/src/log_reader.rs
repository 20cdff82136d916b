//! Reading a transparency log as a client and checking what it answers against the trusted
//! root (`signet rekor`): an entry by index or UUID, the signed tree head, a bundle's entries
//! still being in the log, and append-only growth since a recorded checkpoint. One reader for
//! both log kinds: a Rekor v1 REST log (SET, inclusion proof and checkpoint per entry, checked
//! by `signet_verify::log_entry`) and a tile log such as Rekor v2 (the signed checkpoint, entry
//! bundles and proofs computed from hash tiles).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use signet_core::bundle::TransparencyLogEntry;
use signet_core::checkpoint::Checkpoint;
use signet_core::encoding::{b64_decode, b64_encode};
use signet_core::merkle;
use signet_core::trust::TrustedRoot;
use signet_core::x509::Certificate;
use signet_verify::log_entry::{check_log_entry, signed_by_trusted_log};

use crate::rekor_v1::RekorV1;
use crate::tiles::TileClient;
use crate::{Error, Result};

/// A log, as a client reads it.
pub enum LogReader {
    /// A Rekor v1 REST log.
    V1(RekorV1),
    /// A tile log (C2SP tlog-tiles; Rekor v2).
    Tiles(TileClient),
}

/// A log's tree head, checked against the trusted root where it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root_hash: Vec<u8>,
    /// The signed checkpoint's origin; `None` when the log reported no signed tree head (an
    /// empty Rekor v1 log), so nothing about the head was verified.
    pub origin: Option<String>,
}

impl TreeHead {
    /// `rekor-cli loginfo`'s lines (a tile log's origin first), and whether the signed
    /// checkpoint was verified.
    pub fn loginfo_text(&self, tiles: bool) -> String {
        let root = hex::encode(&self.root_hash);
        let verified = "Signed checkpoint verified against the trusted root";
        match (&self.origin, tiles) {
            (Some(o), true) => format!(
                "Origin: {o}\nTree size: {}\nRoot hash: {root}\n{verified}\n",
                self.size
            ),
            (Some(o), false) => format!(
                "Tree size: {}\nRoot hash: {root}\nOrigin: {o}\n{verified}\n",
                self.size
            ),
            (None, _) => format!("Tree size: {}\nRoot hash: {root}\n", self.size),
        }
    }
}

/// One entry read from a log, its proofs checked.
#[derive(Debug, Clone)]
pub struct ReadEntry {
    /// Entry UUID (the leaf hash, hex).
    pub uuid: String,
    /// Log index (global for Rekor v1).
    pub log_index: u64,
    /// The canonical body, parsed.
    pub body: Value,
    /// Rekor v1: the integration time and log ID the log reported.
    pub integrated_time: Option<i64>,
    /// Rekor v1: the hex log ID.
    pub log_id: Option<String>,
    /// Tile logs: the signed checkpoint the entry was proved against.
    pub checkpoint: Option<Checkpoint>,
    /// What was verified, one line each.
    pub notes: Vec<String>,
}

/// The outcome of an append-only check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consistency {
    /// No earlier checkpoint was known; the current one is the first recorded.
    First,
    /// The log at `to` extends the checkpoint at `from`.
    Consistent {
        /// Earlier size.
        from: u64,
        /// Current size.
        to: u64,
    },
    /// The log does not extend the earlier checkpoint: why.
    Inconsistent(String),
}

fn bad(url: &str, message: impl Into<String>) -> Error {
    Error::Service {
        service: "transparency log",
        url: url.to_string(),
        message: message.into(),
    }
}

impl LogReader {
    /// The log at `base`: a tile log when it serves a parseable `checkpoint` at its root,
    /// else Rekor v1.
    pub fn connect(base: &str, http: signet_http::Http) -> Self {
        let base = base.trim_end_matches('/');
        let tiles = http
            .get_bytes(&format!("{base}/checkpoint"), None, 64 << 10)
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|t| Checkpoint::parse(&t).is_ok());
        if tiles {
            LogReader::Tiles(TileClient::new(base, http))
        } else {
            LogReader::V1(RekorV1::new(base, http))
        }
    }

    /// The log's base URL.
    pub fn base(&self) -> &str {
        match self {
            LogReader::V1(r) => r.base(),
            LogReader::Tiles(t) => t.base(),
        }
    }

    /// Whether this is a tile log (no search index, entries addressed by index only).
    pub fn is_tiles(&self) -> bool {
        matches!(self, LogReader::Tiles(_))
    }

    /// The current tree head, its signature checked against the trusted root (a Rekor v1
    /// tree head must also match the size and root the log reports beside it).
    pub fn tree_head(&self, root: &TrustedRoot) -> Result<TreeHead> {
        match self {
            LogReader::Tiles(t) => {
                let cp = t.checkpoint(root)?;
                Ok(TreeHead {
                    size: cp.size,
                    root_hash: cp.root_hash,
                    origin: Some(cp.origin),
                })
            }
            LogReader::V1(r) => {
                let info = r.log_info()?;
                let url = format!("{}/api/v1/log", r.base());
                let mut head = TreeHead {
                    size: info.tree_size,
                    root_hash: info.root_hash,
                    origin: None,
                };
                if info.signed_tree_head.is_empty() {
                    return Ok(head);
                }
                let cp = Checkpoint::parse(&info.signed_tree_head)?;
                if cp.size != head.size || cp.root_hash != head.root_hash {
                    return Err(bad(
                        &url,
                        format!(
                            "signed tree head (size {}) does not match the reported tree (size {})",
                            cp.size, head.size
                        ),
                    ));
                }
                if !signed_by_trusted_log(root, &cp) {
                    return Err(bad(
                        &url,
                        "the signed tree head is not signed by any transparency log in the trusted root",
                    ));
                }
                head.origin = Some(cp.origin);
                Ok(head)
            }
        }
    }

    /// The entry at `index` (or, Rekor v1 only, with `uuid`), its SET, inclusion proof and
    /// checkpoint checked (Rekor v1), or its inclusion in the signed checkpoint proved from
    /// the tiles (tile logs).
    pub fn entry(
        &self,
        root: &TrustedRoot,
        index: Option<u64>,
        uuid: Option<&str>,
    ) -> Result<ReadEntry> {
        match self {
            LogReader::V1(r) => {
                let (uuid, e) = match (index, uuid) {
                    (Some(i), _) => r.entry_at(i)?,
                    (None, Some(u)) => r.entry(u)?,
                    (None, None) => {
                        return Err(Error::Config("an entry needs a log index or a UUID".into()))
                    }
                };
                let checks = check_log_entry(root, &e)?;
                let body_bytes = b64_decode("body", &e.body)?;
                let body = serde_json::from_slice(&body_bytes)
                    .map_err(|x| bad(r.base(), format!("the entry body is not JSON: {x}")))?;
                Ok(ReadEntry {
                    uuid,
                    log_index: e.log_index.max(0) as u64,
                    body,
                    integrated_time: Some(e.integrated_time),
                    notes: checks.notes(&e.log_id),
                    log_id: Some(e.log_id),
                    checkpoint: None,
                })
            }
            LogReader::Tiles(t) => {
                let Some(i) = index else {
                    return Err(Error::Config(format!(
                        "{} is a tile log: entries are addressed by a log index, not UUID {}",
                        t.base(),
                        uuid.unwrap_or_default()
                    )));
                };
                let cp = t.checkpoint(root)?;
                if i >= cp.size {
                    return Err(bad(
                        t.base(),
                        format!(
                            "no entry at index {i}: the signed checkpoint covers {} entries",
                            cp.size
                        ),
                    ));
                }
                let bytes = t.entry(i, cp.size)?;
                prove_in_tiles(t, &cp, i, &bytes).map_err(|e| {
                    bad(
                        t.base(),
                        format!("entry {i} is not in the signed tree: {e}"),
                    )
                })?;
                let body = serde_json::from_slice(&bytes)
                    .map_err(|x| bad(t.base(), format!("entry {i} is not JSON: {x}")))?;
                Ok(ReadEntry {
                    uuid: hex::encode(merkle::leaf_hash(&bytes)),
                    log_index: i,
                    body,
                    integrated_time: None,
                    log_id: None,
                    notes: vec![format!(
                        "checkpoint signature verified; inclusion proof from tiles verified (tree size {})",
                        cp.size
                    )],
                    checkpoint: Some(cp),
                })
            }
        }
    }

    /// Check that a bundle's log entries are in the log now: the log holds the same body under
    /// its UUID and its proofs verify (Rekor v1), or the entry at its index is the same and
    /// proves into the current signed checkpoint (tile logs; the checkpoint is fetched and
    /// verified once for all entries). For each entry, how it was found (`UUID …` /
    /// `index …`) and, when it checks, what was verified.
    pub fn check_bundle_entries(
        &self,
        root: &TrustedRoot,
        entries: &[TransparencyLogEntry],
    ) -> Vec<(String, Result<String>)> {
        match self {
            LogReader::V1(r) => entries
                .iter()
                .map(|e| {
                    let uuid = hex::encode(merkle::leaf_hash(&e.canonicalized_body));
                    let checked = r.entry(&uuid).and_then(|(_, le)| {
                        if b64_decode("body", &le.body)? != e.canonicalized_body {
                            return Err(bad(
                                r.base(),
                                format!("the log holds a different body for UUID {uuid}"),
                            ));
                        }
                        Ok(check_log_entry(root, &le)?.notes(&le.log_id).join(", "))
                    });
                    (format!("UUID {uuid}"), checked)
                })
                .collect(),
            LogReader::Tiles(t) => {
                // The checkpoint's error is reported once, for the first entry.
                let (cp, mut cp_err) = match t.checkpoint(root) {
                    Ok(cp) => (Some(cp), None),
                    Err(e) => (None, Some(e)),
                };
                entries
                    .iter()
                    .map(|e| {
                        let i = e.log_index.max(0) as u64;
                        let checked = match (&cp, cp_err.take()) {
                            (Some(cp), _) => check_in_tiles(t, cp, i, &e.canonicalized_body),
                            (None, Some(err)) => Err(err),
                            (None, None) => Err(bad(t.base(), "no verified checkpoint")),
                        };
                        (format!("index {i}"), checked)
                    })
                    .collect()
            }
        }
    }

    /// Check that the log grew append-only since `earlier` (size, root hash): a consistency
    /// proof from the log (Rekor v1) or the old root recomputed from the current tiles (tile
    /// logs). Returns the current, verified tree head with the outcome.
    pub fn consistency(
        &self,
        root: &TrustedRoot,
        earlier: Option<(u64, Vec<u8>)>,
    ) -> Result<(TreeHead, Consistency)> {
        let head = self.tree_head(root)?;
        let Some((s1, r1)) = earlier else {
            return Ok((head, Consistency::First));
        };
        let s2 = head.size;
        let outcome = match self {
            LogReader::V1(r) => {
                if s1 > s2 {
                    Consistency::Inconsistent(format!(
                        "the log shrank: {s1} entries before, {s2} now"
                    ))
                } else if s1 < s2 && s1 > 0 {
                    let hashes = r.consistency_proof(s1, s2)?;
                    match merkle::verify_consistency(s1, s2, &hashes, &r1, &head.root_hash) {
                        Ok(()) => Consistency::Consistent { from: s1, to: s2 },
                        Err(e) => Consistency::Inconsistent(format!(
                            "not append-only from size {s1} to {s2}: {e}"
                        )),
                    }
                } else if s1 == s2 && r1 != head.root_hash {
                    Consistency::Inconsistent(format!("two different roots for size {s1}"))
                } else {
                    Consistency::Consistent { from: s1, to: s2 }
                }
            }
            LogReader::Tiles(t) => {
                // The tiles must reproduce the signed root; then the old root must be their prefix.
                let ok = s1 <= s2
                    && t.root(s2, s2)
                        .ok()
                        .is_some_and(|r| r[..] == head.root_hash[..])
                    && (s1 == 0 || t.root(s1, s2).ok().is_some_and(|r| r[..] == r1[..]));
                if ok {
                    Consistency::Consistent { from: s1, to: s2 }
                } else {
                    Consistency::Inconsistent(format!(
                        "the log at size {s2} does not extend the checkpoint of size {s1}"
                    ))
                }
            }
        };
        Ok((head, outcome))
    }

    /// Search a Rekor v1 index by artifact digest (`sha256` hex), signer email and/or public
    /// key or certificate (PEM); the UUIDs found. Tile logs have no index.
    pub fn search(
        &self,
        sha256_hex: Option<&str>,
        email: Option<&str>,
        public_key_pem: Option<&[u8]>,
    ) -> Result<Vec<String>> {
        let r = match self {
            LogReader::V1(r) => r,
            LogReader::Tiles(t) => {
                return Err(Error::Config(format!(
                    "{} is a tile log: it has no search index",
                    t.base()
                )))
            }
        };
        let mut q = serde_json::Map::new();
        if let Some(d) = sha256_hex {
            q.insert("hash".into(), json!(format!("sha256:{d}")));
        }
        if let Some(e) = email {
            q.insert("email".into(), json!(e));
        }
        if let Some(p) = public_key_pem {
            q.insert(
                "publicKey".into(),
                json!({"format": "x509", "content": b64_encode(p)}),
            );
        }
        r.search(&Value::Object(q))
    }
}

/// Entry `i` of a tile log is `body` and proves into the verified checkpoint `cp`.
fn check_in_tiles(t: &TileClient, cp: &Checkpoint, i: u64, body: &[u8]) -> Result<String> {
    if i >= cp.size {
        return Err(bad(
            t.base(),
            format!("index {i} is beyond the signed tree size {}", cp.size),
        ));
    }
    if t.entry(i, cp.size)? != body {
        return Err(bad(
            t.base(),
            format!("the log holds a different entry at index {i}"),
        ));
    }
    prove_in_tiles(t, cp, i, body)?;
    Ok(format!("in the log at size {}", cp.size))
}

/// Prove `leaf` at `index` into `cp` with hashes computed from the tiles.
fn prove_in_tiles(t: &TileClient, cp: &Checkpoint, index: u64, leaf: &[u8]) -> Result<()> {
    let proof = t.inclusion_proof(index, cp.size)?;
    merkle::verify_inclusion(
        index,
        cp.size,
        &merkle::leaf_hash(leaf),
        &proof,
        &cp.root_hash,
    )?;
    Ok(())
}

impl ReadEntry {
    /// The body's `kind` (`hashedrekord`, `dsse`, ...).
    pub fn kind(&self) -> &str {
        self.body.get("kind").and_then(Value::as_str).unwrap_or("")
    }

    /// The body's `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.body
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The body's `spec`.
    pub fn spec(&self) -> Value {
        self.body.get("spec").cloned().unwrap_or(Value::Null)
    }

    /// rekor-cli's `get --format json` shape (Rekor v1), or the same with the checkpoint for a
    /// tile log.
    pub fn rekor_cli_json(&self) -> Value {
        let kind_key = match self.kind() {
            "hashedrekord" => "HashedRekordObj",
            "dsse" => "DSSEObj",
            "intoto" => "IntotoObj",
            "rekord" => "RekordObj",
            _ => "Obj",
        };
        match &self.checkpoint {
            Some(cp) => json!({
                "Body": { kind_key: self.spec() },
                "LogIndex": self.log_index,
                "UUID": self.uuid,
                "Checkpoint": {"origin": cp.origin, "size": cp.size, "rootHash": hex::encode(&cp.root_hash)},
            }),
            None => json!({
                "Attestation": "",
                "AttestationType": "",
                "Body": { kind_key: self.spec() },
                "LogIndex": self.log_index,
                "IntegratedTime": self.integrated_time,
                "UUID": self.uuid,
                "LogID": self.log_id,
            }),
        }
    }

    /// rekor-cli's text layout of `get` (its `getCmdOutput.String`): LogID, Index,
    /// IntegratedTime (RFC 3339, UTC), UUID, then Body as two-space indented JSON and a blank
    /// line. A tile log has no log ID or integrated time: its checkpoint origin stands first.
    pub fn rekor_cli_text(&self) -> String {
        let body = serde_json::to_string_pretty(&self.rekor_cli_json()["Body"]).unwrap_or_default();
        match &self.checkpoint {
            Some(cp) => format!(
                "Origin: {}\nIndex: {}\nUUID: {}\nBody: {body}\n",
                cp.origin, self.log_index, self.uuid
            ),
            None => format!(
                "LogID: {}\nIndex: {}\nIntegratedTime: {}\nUUID: {}\nBody: {body}\n",
                self.log_id.as_deref().unwrap_or_default(),
                self.log_index,
                signet_core::time::format_rfc3339(self.integrated_time.unwrap_or_default()),
                self.uuid
            ),
        }
    }

    /// One line per certificate the body carries: `Certificate: SAN ...; OIDC issuer ...;
    /// valid FROM .. TO`.
    pub fn certificate_lines(&self) -> Vec<String> {
        self.certificates()
            .iter()
            .map(|cert| {
                let san = cert
                    .san_identities()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| s.value().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "Certificate: SAN {san}; OIDC issuer {}; valid {} .. {}",
                    cert.oidc_issuer().ok().flatten().unwrap_or_default(),
                    signet_core::time::format_rfc3339(cert.not_before()),
                    signet_core::time::format_rfc3339(cert.not_after())
                )
            })
            .collect()
    }

    /// The certificates the body carries (base64 PEM strings anywhere in it).
    pub fn certificates(&self) -> Vec<Certificate> {
        let mut out = vec![];
        let mut stack = vec![&self.body];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(m) => stack.extend(m.values()),
                Value::Array(a) => stack.extend(a.iter()),
                Value::String(s) if s.len() > 100 => {
                    let pem = b64_decode("x", s)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok());
                    if let Some(t) = pem.filter(|t| t.contains("BEGIN CERTIFICATE")) {
                        out.extend(Certificate::all_from_pem(&t).unwrap_or_default());
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The last checkpoint `signet rekor consistency` verified for a log, kept in a small JSON
/// file (`{"size": N, "root": "HEX"}`).
pub struct CheckpointState {
    path: PathBuf,
}

impl CheckpointState {
    /// At `path`, or by default `~/.cache/signet/rekor-state/<host>.json` for the log at `base`.
    pub fn new(path: Option<PathBuf>, base: &str) -> Self {
        let path = path.unwrap_or_else(|| {
            let host = base
                .split("://")
                .nth(1)
                .unwrap_or(base)
                .replace(['/', ':'], "_");
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(".cache/signet/rekor-state")
                .join(format!("{host}.json"))
        });
        CheckpointState { path }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded size and root, if the file holds one.
    pub fn load(&self) -> Option<(u64, Vec<u8>)> {
        let v: Value = serde_json::from_slice(&std::fs::read(&self.path).ok()?).ok()?;
        Some((
            v.get("size")?.as_u64()?,
            hex::decode(v.get("root")?.as_str()?).ok()?,
        ))
    }

    /// Record `size` and `root`.
    pub fn save(&self, size: u64, root: &[u8]) -> std::io::Result<()> {
        if let Some(d) = self.path.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(
            &self.path,
            json!({"size": size, "root": hex::encode(root)}).to_string(),
        )
    }
}
