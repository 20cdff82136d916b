//! Rekor: the v1 REST API (sigstore/rekor openapi) and the v2 API (rekor-tiles), each on its
//! own signet-log instance.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use redb::MultimapTableDefinition;
use serde::Deserialize;
use serde_json::{json, Value};
use signet_core::crypto::{HashAlg, KeyKind, PublicKey};
use signet_core::dsse::{pae, Envelope};
use signet_core::encoding::{b64_decode, b64_decode_std, b64_encode, sha256};

use signet_core::merkle::leaf_hash;
use signet_core::rekor::{set_payload, LogEntry, LogEntryVerification, V1InclusionProof};
use signet_core::x509::Certificate;
use signet_log::NoteSigner;

use crate::keys::InstanceKeys;
use crate::trust::Urls;
use crate::{App, Error, Result, ServeConfig};

/// The v1 API's answer for entries: `{UUID: LogEntry}`.
type Entries = std::collections::BTreeMap<String, LogEntry>;

/// A log index or size as the v1 API's signed 64-bit integer.
fn index_i64(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| Error::Config(format!("log index {n} exceeds the API's int64")))
}

const INDEX: MultimapTableDefinition<&str, &str> = MultimapTableDefinition::new("search_index");

fn canonical(v: &Value) -> Result<Vec<u8>> {
    serde_json_canonicalizer::to_vec(v)
        .map_err(|e| Error::bad_request(format!("cannot canonicalize entry: {e}")))
}

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_request(msg)
}

/// The string member `key` of `v`, else a bad request saying `missing`.
fn str_field<'a>(v: &'a Value, key: &str, missing: impl Into<String>) -> Result<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(missing))
}

/// A verifier from PEM bytes: a certificate or a public key. Returns (key, certificate if any).
fn verifier_from_pem(pem_bytes: &[u8]) -> Result<(PublicKey, Option<Certificate>)> {
    let (tag, der) = signet_core::encoding::pem_decode(pem_bytes)
        .map_err(|e| bad(format!("public key: expected PEM, {e}")))?;
    match tag.as_str() {
        "CERTIFICATE" => {
            let c = Certificate::from_der(&der).map_err(|e| bad(format!("certificate: {e}")))?;
            Ok((
                c.public_key()
                    .map_err(|e| bad(format!("certificate key: {e}")))?,
                Some(c),
            ))
        }
        "PUBLIC KEY" => Ok((
            PublicKey::from_spki_der(&der).map_err(|e| bad(format!("public key: {e}")))?,
            None,
        )),
        other => Err(bad(format!(
            "public key: expected a CERTIFICATE or PUBLIC KEY PEM block, found {other}"
        ))),
    }
}

fn verify_over_digest(key: &PublicKey, digest: &[u8], sig: &[u8]) -> Result<()> {
    let ok = match key.kind() {
        KeyKind::Ed25519 => Err(signet_core::crypto::BadSignature),
        _ => key.verify_prehashed(HashAlg::Sha256, digest, sig),
    };
    ok.map_err(|_| bad("signature does not verify over the given digest with the given public key"))
}

/// Search-index keys for an entry's verifier.
fn verifier_index_keys(key: &PublicKey, cert: Option<&Certificate>) -> Vec<String> {
    let mut v = vec![format!("pk:{}", hex::encode(sha256(key.spki_der())))];
    if let Some(c) = cert {
        for san in c.san_identities().unwrap_or_default() {
            if let signet_core::x509::SanIdentity::Email(e) = san {
                v.push(format!("email:{}", e.to_lowercase()));
            }
        }
    }
    v
}

/// A validated, canonicalized entry ready to append.
struct Canonical {
    body: Vec<u8>,
    index_keys: Vec<String>,
}

/// Validate a proposed v1 entry and canonicalize it.
/// Validate a proposed Rekor v1 entry (signature included) and return its canonical body, as
/// `POST /api/v1/log/entries` does before appending (public for benchmarks).
pub fn validate_v1(proposed: &Value) -> Result<Vec<u8>> {
    Ok(canonicalize_v1(proposed)?.body)
}

fn canonicalize_v1(proposed: &Value) -> Result<Canonical> {
    let kind = str_field(proposed, "kind", "missing \"kind\"")?;
    let version = str_field(proposed, "apiVersion", "missing \"apiVersion\"")?;
    let spec = proposed
        .get("spec")
        .ok_or_else(|| bad("missing \"spec\""))?;
    let s = |v: &Value, path: &str| -> Result<String> {
        let mut cur = v;
        for p in path.split('.') {
            cur = cur
                .get(p)
                .ok_or_else(|| bad(format!("{kind} {version}: missing spec.{path}")))?;
        }
        cur.as_str()
            .map(str::to_string)
            .ok_or_else(|| bad(format!("{kind} {version}: spec.{path} must be a string")))
    };
    match (kind, version) {
        ("hashedrekord", "0.0.1") => {
            let alg = s(spec, "data.hash.algorithm")?;
            if alg != "sha256" {
                return Err(bad(format!(
                    "hashedrekord: hash algorithm {alg:?}, expected \"sha256\""
                )));
            }
            let value = s(spec, "data.hash.value")?.to_lowercase();
            let digest = hex::decode(&value)
                .ok()
                .filter(|d| d.len() == 32)
                .ok_or_else(|| {
                    bad(format!(
                        "hashedrekord: hash value {value:?} is not 64 hex digits"
                    ))
                })?;
            let sig_b64 = s(spec, "signature.content")?;
            let sig = b64_decode_std("signature", &sig_b64).map_err(|e| bad(e.to_string()))?;
            let pk_b64 = s(spec, "signature.publicKey.content")?;
            let pk_pem = b64_decode_std("publicKey", &pk_b64).map_err(|e| bad(e.to_string()))?;
            let (key, cert) = verifier_from_pem(&pk_pem)?;
            verify_over_digest(&key, &digest, &sig)?;
            let body = signet_core::rekor::body::hashedrekord_v001(&digest, &sig, &pk_pem);
            let mut index_keys = verifier_index_keys(&key, cert.as_ref());
            index_keys.push(format!("sha256:{value}"));
            Ok(Canonical {
                body: canonical(&body)?,
                index_keys,
            })
        }
        ("dsse", "0.0.1") => {
            let env_str = s(spec, "proposedContent.envelope")?;
            let env = Envelope::from_json(env_str.as_bytes())
                .map_err(|e| bad(format!("dsse: envelope: {e}")))?;
            let verifiers = spec
                .pointer("/proposedContent/verifiers")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("dsse 0.0.1: missing spec.proposedContent.verifiers"))?;
            check_verifier_count("dsse 0.0.1", verifiers.len())?;
            if env.signatures.is_empty()
                || env.signatures.len() > signet_core::limits::MAX_DSSE_SIGNATURES
            {
                return Err(bad(format!(
                    "dsse: envelope has {} signatures, expected 1..=16",
                    env.signatures.len()
                )));
            }
            let keys = verifiers
                .iter()
                .map(|v| {
                    let pem = b64_decode_std("verifier", v.as_str().unwrap_or_default())
                        .map_err(|e| bad(e.to_string()))?;
                    Ok((verifier_from_pem(&pem)?, pem))
                })
                .collect::<Result<Vec<_>>>()?;
            let msg = pae(&env.payload_type, &env.payload);
            let mut sigs = vec![];
            let mut index_keys = vec![];
            for (i, s) in env.signatures.iter().enumerate() {
                let ((key, cert), pem) = keys
                    .iter()
                    .find(|((k, _), _)| k.verify_with_hash(HashAlg::Sha256, &msg, &s.sig).is_ok())
                    .ok_or_else(|| {
                        bad(format!(
                            "dsse: envelope signature #{i} does not verify with any given verifier"
                        ))
                    })?;
                sigs.push((s.sig.as_slice(), pem.as_slice()));
                index_keys.extend(verifier_index_keys(key, cert.as_ref()));
            }
            let payload_hash = hex::encode(sha256(&env.payload));
            index_keys.push(format!("sha256:{payload_hash}"));
            if let Ok(st) =
                signet_core::intoto::Statement::from_json_without_predicate(&env.payload)
            {
                for sub in st.subject {
                    if let Some(d) = sub.digest.get("sha256") {
                        index_keys.push(format!("sha256:{}", d.to_lowercase()));
                    }
                }
            }
            let body = signet_core::rekor::body::dsse_v001(
                &sha256(env_str.as_bytes()),
                &sha256(&env.payload),
                &sigs,
            );
            Ok(Canonical {
                body: canonical(&body)?,
                index_keys,
            })
        }
        ("intoto", "0.0.2") => canonicalize_intoto_v002(spec),
        (k, v) => Err(bad(format!(
            "unsupported entry kind {k} {v}; this log accepts hashedrekord 0.0.1, dsse 0.0.1 and intoto 0.0.2"
        ))),
    }
}

/// Most verifiers a DSSE entry may name: each envelope signature is tried against each, so the
/// product bounds the work one request can cause.
const MAX_VERIFIERS: usize = signet_core::limits::MAX_DSSE_SIGNATURES;

fn check_verifier_count(what: &str, n: usize) -> Result<()> {
    if n == 0 || n > MAX_VERIFIERS {
        return Err(bad(format!(
            "{what}: {n} verifiers, expected 1..={MAX_VERIFIERS}"
        )));
    }
    Ok(())
}

/// intoto 0.0.2 as sigstore-js (up to v2) proposed it: the envelope with payload and signatures
/// base64-encoded twice and each signature's public key (base64 PEM), plus `hash` and
/// `payloadHash`. As in Rekor, the canonical body keeps the payload out (its hash binds it).
fn canonicalize_intoto_v002(spec: &Value) -> Result<Canonical> {
    let env = spec
        .pointer("/content/envelope")
        .ok_or_else(|| bad("intoto 0.0.2: missing spec.content.envelope"))?;
    let twice = |what: &str, v: Option<&Value>| -> Result<Vec<u8>> {
        let outer = v
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("intoto 0.0.2: missing {what}")))?;
        let inner = b64_decode_std(what, outer).map_err(|e| bad(e.to_string()))?;
        let inner = std::str::from_utf8(&inner)
            .map_err(|_| bad(format!("intoto 0.0.2: {what} is not base64 of base64")))?;
        b64_decode_std(what, inner).map_err(|e| bad(e.to_string()))
    };
    let payload = twice("envelope.payload", env.get("payload"))?;
    let payload_type = str_field(
        env,
        "payloadType",
        "intoto 0.0.2: missing envelope.payloadType",
    )?;
    let sigs = env
        .get("signatures")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("intoto 0.0.2: missing envelope.signatures"))?;
    if sigs.is_empty() || sigs.len() > signet_core::limits::MAX_DSSE_SIGNATURES {
        return Err(bad(format!(
            "intoto 0.0.2: {} signatures, expected 1..=16",
            sigs.len()
        )));
    }
    let msg = pae(payload_type, &payload);
    let mut out_sigs = vec![];
    let mut index_keys = vec![];
    for (i, sv) in sigs.iter().enumerate() {
        let sig = twice("signature.sig", sv.get("sig"))?;
        let pk_b64 = str_field(
            sv,
            "publicKey",
            format!("intoto 0.0.2: signature #{i} has no publicKey"),
        )?;
        let pem_bytes = b64_decode_std("publicKey", pk_b64).map_err(|e| bad(e.to_string()))?;
        let (key, cert) = verifier_from_pem(&pem_bytes)?;
        key.verify_with_hash(HashAlg::Sha256, &msg, &sig)
            .map_err(|_| bad(format!("intoto 0.0.2: signature #{i} does not verify over the envelope with its public key")))?;
        let mut o =
            json!({"sig": b64_encode(b64_encode(&sig)), "publicKey": b64_encode(&pem_bytes)});
        if let Some(k) = sv
            .get("keyid")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
        {
            o["keyid"] = json!(k);
        }
        out_sigs.push(o);
        index_keys.extend(verifier_index_keys(&key, cert.as_ref()));
    }
    let payload_hash = hex::encode(sha256(&payload));
    if let Some(given) = spec
        .pointer("/content/payloadHash/value")
        .and_then(Value::as_str)
    {
        if !given.eq_ignore_ascii_case(&payload_hash) {
            return Err(bad(format!(
                "intoto 0.0.2: payloadHash {given} is not the payload's sha256 {payload_hash}"
            )));
        }
    }
    index_keys.push(format!("sha256:{payload_hash}"));
    let mut content = json!({
        "envelope": {"payloadType": payload_type, "signatures": out_sigs},
        "payloadHash": {"algorithm": "sha256", "value": payload_hash},
    });
    if let Some(h) = spec
        .pointer("/content/hash")
        .filter(|h| h.get("value").and_then(Value::as_str).is_some())
    {
        content["hash"] = json!({"algorithm": "sha256", "value": h["value"]});
    }
    let body = json!({"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": content}});
    Ok(Canonical {
        body: canonical(&body)?,
        index_keys,
    })
}

/// One Rekor v1 shard: a log, its SET and checkpoint key, its tree ID, and the global index
/// of its first entry. The last shard is the active one; earlier ones are frozen by key
/// rotations and only read.
pub struct V1Shard {
    /// The log.
    pub log: signet_log::Log,
    key: signet_core::signer::SharedSigner,
    log_id: [u8; 32],
    tree_id: u64,
    /// Global log index of the shard's first entry (the sizes of the shards before it).
    offset: u64,
}

/// Rekor v1: its shards (oldest first, the last active) and one search index over them.
pub struct RekorV1 {
    shards: Vec<V1Shard>,
    index: Arc<redb::Database>,
    index_tx: tokio::sync::mpsc::UnboundedSender<IndexWrite>,
}

/// One entry's search keys, and who waits for their commit.
type IndexWrite = (
    Vec<String>,
    String,
    tokio::sync::oneshot::Sender<std::result::Result<(), String>>,
);

/// Write search-index updates in batches, one durable transaction per batch. A create is
/// acknowledged only after its keys are committed, so every acknowledged entry is found by
/// search after a crash; an entry logged but not indexed (a crash in between) was never
/// acknowledged, and the client's retry (a 409 duplicate) indexes it.
async fn index_writer(
    db: Arc<redb::Database>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<IndexWrite>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < 4096 {
            match rx.try_recv() {
                Ok(x) => batch.push(x),
                Err(_) => break,
            }
        }
        let db = db.clone();
        let (items, replies): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|(keys, uuid, reply)| ((keys, uuid), reply))
            .unzip();
        let r = tokio::task::spawn_blocking(move || -> std::result::Result<(), String> {
            let tx = db.begin_write().map_err(|e| e.to_string())?;
            {
                let mut t = tx.open_multimap_table(INDEX).map_err(|e| e.to_string())?;
                for (keys, uuid) in &items {
                    for k in keys {
                        t.insert(k.as_str(), uuid.as_str())
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
            tx.commit().map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("index writer task failed: {e}")));
        if let Err(e) = &r {
            tracing::error!(error = %e, "rekor search index write failed");
        }
        for reply in replies {
            let _ = reply.send(r.clone());
        }
    }
}

fn tree_id(dir: &std::path::Path) -> Result<u64> {
    let p = dir.join("tree_id");
    if let Ok(s) = std::fs::read_to_string(&p) {
        return s
            .trim()
            .parse()
            .map_err(|_| Error::Config(format!("{}: not an integer", p.display())));
    }
    let b = signet_core::keys::random_bytes::<8>()?;
    let id = u64::from_be_bytes(b) >> 1;
    std::fs::write(&p, format!("{id}\n")).map_err(|e| Error::io(&p, e))?;
    Ok(id)
}

impl RekorV1 {
    /// Open the v1 shards: generation 0 under `DATA/rekor-v1`, later generations (after
    /// `keys rotate rekor-v1`) under `DATA/rekor-v1/shard-g<g>`; the search index is
    /// `DATA/rekor-v1/index.redb` for all.
    pub async fn open(cfg: &ServeConfig, keys: &InstanceKeys, urls: &Urls) -> Result<Self> {
        let root = cfg.data_dir.join("rekor-v1");
        std::fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        let mut shards: Vec<V1Shard> = vec![];
        for (g, key) in crate::rotation::shard_generations(keys, crate::rotation::Role::RekorV1) {
            let dir = match g {
                0 => root.clone(),
                g => root.join(format!("shard-g{g}")),
            };
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let tree_id = tree_id(&dir)?;
            let mut lc = cfg.log_config(dir.join("log"), urls.rekor_v1_origin(tree_id));
            lc.publish_on_demand = true;
            // The note signer's log ID (SHA-256 of the key's SPKI) is also the SET's.
            let signer = Arc::new(signet_log::KeyNoteSigner::new(urls.host(), key.clone())?);
            let log_id = signer.log_id();
            let log = signet_log::Log::open(lc, signer).await?;
            let offset = shards
                .last()
                .map_or(0, |s| s.offset + s.log.integrated_size());
            shards.push(V1Shard {
                log,
                log_id,
                key,
                tree_id,
                offset,
            });
        }
        let index = Arc::new(
            redb::Database::create(root.join("index.redb"))
                .map_err(|e| Error::Config(format!("rekor index: {e}")))?,
        );
        let (index_tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(index_writer(index.clone(), rx));
        Ok(RekorV1 {
            shards,
            index,
            index_tx,
        })
    }

    /// The active shard (the one appended to).
    pub fn active(&self) -> &V1Shard {
        // `open` makes one shard per key generation, and the current generation always exists.
        #[allow(clippy::expect_used)]
        self.shards.last().expect("at least one shard")
    }

    /// Every shard, oldest first.
    pub fn shards(&self) -> &[V1Shard] {
        &self.shards
    }

    /// Entries in all shards: the next global log index.
    fn size(&self) -> u64 {
        let a = self.active();
        a.offset + a.log.integrated_size()
    }

    /// The shard holding global index `i`, and the index within it.
    fn at_index(&self, i: u64) -> Option<(&V1Shard, u64)> {
        self.shards
            .iter()
            .rev()
            .find(|s| i >= s.offset)
            .filter(|s| i - s.offset < s.log.integrated_size())
            .map(|s| (s, i - s.offset))
    }

    /// The shard holding the entry whose leaf hash is `h` (newest shard first).
    fn locate(&self, h: &[u8; 32]) -> Result<Option<(&V1Shard, u64)>> {
        for s in self.shards.iter().rev() {
            if let Some(i) = s.log.index_of_leaf_hash(h)? {
                return Ok(Some((s, i)));
            }
        }
        Ok(None)
    }

    /// The shard with tree ID `id`.
    fn by_tree_id(&self, id: u64) -> Option<&V1Shard> {
        self.shards.iter().find(|s| s.tree_id == id)
    }

    /// A shard named by a `treeID` query parameter, or the active one.
    fn shard_param(&self, tree_id: Option<&str>) -> Result<&V1Shard> {
        match tree_id {
            None => Ok(self.active()),
            Some(t) => {
                let id: u64 = t
                    .parse()
                    .map_err(|_| bad(format!("treeID must be a decimal tree ID, found {t:?}")))?;
                self.by_tree_id(id)
                    .ok_or_else(|| Error::not_found(format!("no log shard with tree ID {id}")))
            }
        }
    }

    /// The API's answer for the shard's entry `local`, `{UUID: LogEntry}`, with SET and a proof
    /// against the shard's latest checkpoint.
    async fn entry_at(&self, shard: &V1Shard, local: u64) -> Result<Entries> {
        let cp = shard.log.latest_checkpoint().filter(|c| c.size > local);
        let (eid, e) = shard.log_entry(local, cp).await?;
        Ok(Entries::from([(eid, e)]))
    }

    /// Index an entry's search keys, durably (resolves after the commit).
    async fn add_index(&self, keys: Vec<String>, uuid: String) -> Result<()> {
        let unavailable = |reason: String| {
            Error::request(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the entry is logged but its search index could not be written ({reason}); retry the request"),
            )
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.index_tx
            .send((keys, uuid, tx))
            .map_err(|_| unavailable("index writer stopped".into()))?;
        rx.await
            .map_err(|_| unavailable("index writer stopped".into()))?
            .map_err(unavailable)
    }

    fn search(&self, key: &str) -> Result<Vec<String>> {
        let tx = self
            .index
            .begin_read()
            .map_err(|e| Error::Config(format!("rekor index: {e}")))?;
        let t = match tx.open_multimap_table(INDEX) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(vec![]),
            Err(e) => return Err(Error::Config(format!("rekor index: {e}"))),
        };
        let mut out = vec![];
        for v in t
            .get(key)
            .map_err(|e| Error::Config(format!("rekor index: {e}")))?
        {
            let v = v.map_err(|e| Error::Config(format!("rekor index: {e}")))?;
            // Keys are committed alongside the append: serve only entries the logs hold.
            let Ok(h) = <[u8; 32]>::try_from(hex::decode(v.value()).unwrap_or_default().as_slice())
            else {
                continue;
            };
            if let Some((shard, _)) = self.locate(&h)? {
                out.push(shard.entry_id(v.value()));
            }
        }
        Ok(out)
    }

    /// Resolve a UUID (64 hex) or entry ID (80 hex: tree ID and UUID) to a shard and the
    /// index within it.
    fn resolve(&self, id: &str) -> Result<(&V1Shard, u64)> {
        // Hex only: anything else (multibyte characters included) is a 400 before any slicing.
        if !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "entry UUID must be 64 hex digits (or an 80-digit entry ID), found {:?}",
                id.chars().take(100).collect::<String>()
            )));
        }
        let id = id.to_ascii_lowercase();
        let (tree, uuid) = match id.len() {
            64 => (None, id.as_str()),
            80 => (u64::from_str_radix(&id[..16], 16).ok(), &id[16..]),
            n => {
                return Err(bad(format!(
                "entry UUID must be 64 hex digits (or an 80-digit entry ID), found {n} characters"
            )))
            }
        };
        let h: [u8; 32] = hex::decode(uuid)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(format!("entry UUID {uuid:?} is not hex")))?;
        let missing = || Error::not_found(format!("no entry with UUID {uuid}"));
        match tree {
            Some(t) => {
                let shard = self.by_tree_id(t).ok_or_else(missing)?;
                let i = shard.log.index_of_leaf_hash(&h)?.ok_or_else(missing)?;
                Ok((shard, i))
            }
            None => self.locate(&h)?.ok_or_else(missing),
        }
    }
}

impl V1Shard {
    fn entry_id(&self, uuid: &str) -> String {
        format!("{:016x}{uuid}", self.tree_id)
    }

    /// The v1 LogEntry for the shard's entry `local`, and its entry ID: `logIndex` and the SET are
    /// global (the shard's offset added, as Rekor's virtual indices), the inclusion proof's
    /// `logIndex` is the index within the shard, against `cp` or the next checkpoint.
    async fn log_entry(
        &self,
        local: u64,
        cp: Option<signet_log::SignedCheckpoint>,
    ) -> Result<(String, LogEntry)> {
        let body = self.log.entry(local)?;
        let t = self.log.integrated_time(local)?;
        let cp = match cp {
            Some(c) => c,
            None => self.log.await_checkpoint(local).await?,
        };
        let proof = self.log.inclusion_proof(local, cp.size)?;
        let uuid = hex::encode(leaf_hash(&body));
        let body_b64 = b64_encode(&body);
        let log_id = hex::encode(self.log_id);
        let global = index_i64(self.offset + local)?;
        let set = self.key.sign(&set_payload(&body_b64, t, &log_id, global))?;
        let e = LogEntry {
            body: body_b64,
            integrated_time: t,
            log_id,
            log_index: global,
            verification: Some(LogEntryVerification {
                signed_entry_timestamp: Some(b64_encode(set)),
                inclusion_proof: Some(V1InclusionProof {
                    log_index: index_i64(local)?,
                    root_hash: hex::encode(cp.root),
                    tree_size: index_i64(cp.size)?,
                    hashes: proof.iter().map(hex::encode).collect(),
                    checkpoint: Some(cp.note),
                }),
            }),
            attestation: None,
        };
        Ok((self.entry_id(&uuid), e))
    }

    /// The shard's log info (Rekor's `LogInfo` / `InactiveShardLogInfo`).
    fn info(&self) -> Value {
        let (size, root, note) = match self.log.latest_checkpoint() {
            Some(c) => (c.size, c.root, c.note),
            None => (0, signet_core::merkle::empty_root(), String::new()),
        };
        json!({
            "rootHash": hex::encode(root),
            "treeSize": size,
            "signedTreeHead": note,
            "treeID": self.tree_id.to_string(),
        })
    }
}

async fn v1_create(State(app): State<Arc<App>>, Json(proposed): Json<Value>) -> Result<Response> {
    let c = app.cpu(move || canonicalize_v1(&proposed)).await?;
    let rekor = &app.rekor_v1;
    let r = rekor.active();
    let uuid = hex::encode(leaf_hash(&c.body));
    // The entry and its search keys are made durable side by side (two batched commits at
    // once, not one after the other), and both before acknowledging. A duplicate is indexed
    // again (idempotent), which repairs an entry logged just before a crash; keys of an entry
    // whose append failed are never served (search only returns entries in the log).
    let (appended, indexed) = tokio::join!(
        r.log.append(c.body.clone()),
        rekor.add_index(c.index_keys, uuid.clone())
    );
    let appended = appended?;
    indexed?;
    if appended.duplicate {
        let eid = r.entry_id(&uuid);
        return Ok((
            StatusCode::CONFLICT,
            [(header::LOCATION, format!("/api/v1/log/entries/{eid}"))],
            Json(json!({"code": 409, "message": format!("an equivalent entry already exists in the transparency log with UUID {eid}")})),
        )
            .into_response());
    }
    let (eid, entry) = r.log_entry(appended.index, None).await?;
    let entry = Entries::from([(eid.clone(), entry)]);
    app.metrics.rekor_v1_entries.fetch_add(1, Ordering::Relaxed);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/log/entries/{eid}"))],
        Json(entry),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexQuery {
    log_index: Option<String>,
}

async fn v1_get_by_index(
    State(app): State<Arc<App>>,
    Query(q): Query<IndexQuery>,
) -> Result<Json<Entries>> {
    let raw = q
        .log_index
        .ok_or_else(|| bad("missing logIndex query parameter"))?;
    let i: u64 = raw.parse().map_err(|_| {
        bad(format!(
            "logIndex must be a non-negative integer, found {raw:?}"
        ))
    })?;
    let r = &app.rekor_v1;
    let (shard, local) = r.at_index(i).ok_or_else(|| {
        Error::not_found(format!("no entry at log index {i} (log size {})", r.size()))
    })?;
    Ok(Json(r.entry_at(shard, local).await?))
}

async fn v1_get_by_uuid(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Entries>> {
    let r = &app.rekor_v1;
    let (shard, local) = r.resolve(&id)?;
    Ok(Json(r.entry_at(shard, local).await?))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RetrieveRequest {
    #[serde(alias = "entryUUIDs")]
    entry_uuids: Vec<String>,
    log_indexes: Vec<i64>,
    entries: Vec<Value>,
}

async fn v1_retrieve(
    State(app): State<Arc<App>>,
    Json(req): Json<RetrieveRequest>,
) -> Result<Json<Vec<Entries>>> {
    let r = &app.rekor_v1;
    if req.entry_uuids.len() + req.log_indexes.len() + req.entries.len() > 10 {
        return Err(bad("at most 10 UUIDs, indexes or entries per request"));
    }
    let mut found = vec![];
    for u in &req.entry_uuids {
        // A malformed UUID is the client's error (400); an unknown one is simply not returned.
        match r.resolve(u) {
            Ok(x) => found.push(x),
            Err(e) if e.status() == StatusCode::NOT_FOUND => {}
            Err(e) => return Err(e),
        }
    }
    for &i in &req.log_indexes {
        if let Some(x) = u64::try_from(i).ok().and_then(|i| r.at_index(i)) {
            found.push(x);
        }
    }
    for e in &req.entries {
        let c = canonicalize_v1(e)?;
        if let Some(x) = r.locate(&leaf_hash(&c.body))? {
            found.push(x);
        }
    }
    let mut out = vec![];
    for (shard, local) in found {
        out.push(r.entry_at(shard, local).await?);
    }
    Ok(Json(out))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SearchRequest {
    hash: Option<String>,
    email: Option<String>,
    public_key: Option<SearchKey>,
}

#[derive(Deserialize)]
struct SearchKey {
    content: Option<String>,
}

async fn v1_index_retrieve(
    State(app): State<Arc<App>>,
    Json(req): Json<SearchRequest>,
) -> Result<Json<Value>> {
    let r = &app.rekor_v1;
    let mut keys = vec![];
    if let Some(h) = &req.hash {
        let hexd = h.strip_prefix("sha256:").unwrap_or(h).to_lowercase();
        if hexd.len() != 64 || hex::decode(&hexd).is_err() {
            return Err(bad(format!(
                "hash must be sha256:<64 hex digits>, found {h:?}"
            )));
        }
        keys.push(format!("sha256:{hexd}"));
    }
    if let Some(e) = &req.email {
        keys.push(format!("email:{}", e.to_lowercase()));
    }
    if let Some(pk) = req.public_key.as_ref().and_then(|p| p.content.as_ref()) {
        let pem = b64_decode_std("publicKey.content", pk).map_err(|e| bad(e.to_string()))?;
        let (key, _) = verifier_from_pem(&pem)?;
        keys.push(format!("pk:{}", hex::encode(sha256(key.spki_der()))));
    }
    if keys.is_empty() {
        return Err(bad("search needs one of hash, email or publicKey"));
    }
    let mut out: Option<Vec<String>> = None;
    for k in keys {
        let found = r.search(&k)?;
        out = Some(match out {
            None => found,
            Some(prev) => prev.into_iter().filter(|x| found.contains(x)).collect(),
        });
    }
    let mut v = out.unwrap_or_default();
    v.sort();
    v.dedup();
    Ok(Json(json!(v)))
}

async fn v1_log_info(State(app): State<Arc<App>>) -> Result<Json<Value>> {
    let r = &app.rekor_v1;
    let mut info = r.active().info();
    // Every shard but the last (the active one), newest first.
    let frozen = r.shards().iter().rev().skip(1);
    info["inactiveShards"] = frozen.map(V1Shard::info).collect();
    Ok(Json(info))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProofQuery {
    first_size: Option<String>,
    last_size: Option<String>,
    #[serde(rename = "treeID")]
    tree_id: Option<String>,
}

#[derive(Deserialize)]
struct TreeQuery {
    #[serde(rename = "treeID")]
    tree_id: Option<String>,
}

async fn v1_proof(State(app): State<Arc<App>>, Query(q): Query<ProofQuery>) -> Result<Json<Value>> {
    let r = app.rekor_v1.shard_param(q.tree_id.as_deref())?;
    let parse = |s: Option<String>, name: &str| -> Result<Option<u64>> {
        s.map(|v| {
            v.parse::<u64>().map_err(|_| {
                bad(format!(
                    "{name} must be a non-negative integer, found {v:?}"
                ))
            })
        })
        .transpose()
    };
    let first = parse(q.first_size, "firstSize")?.unwrap_or(1);
    let cp = r
        .log
        .latest_checkpoint()
        .ok_or_else(|| bad("the log is empty"))?;
    let last = parse(q.last_size, "lastSize")?.unwrap_or(cp.size);
    if first == 0 || first > last || last > cp.size {
        return Err(bad(format!("need 1 <= firstSize <= lastSize <= {} (the signed tree size); found firstSize {first}, lastSize {last}", cp.size)));
    }
    let proof = r.log.consistency_proof(first, last)?;
    Ok(Json(
        json!({"rootHash": hex::encode(r.log.root_at(last)?), "hashes": proof.iter().map(hex::encode).collect::<Vec<_>>()}),
    ))
}

async fn v1_public_key(
    State(app): State<Arc<App>>,
    Query(q): Query<TreeQuery>,
) -> Result<Response> {
    let shard = app.rekor_v1.shard_param(q.tree_id.as_deref())?;
    let pem = signet_core::encoding::pem_encode("PUBLIC KEY", shard.key.public_key_der());
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
}

/// One Rekor v2 shard: a tile log with an Ed25519 checkpoint key, served under its own path.
pub struct V2Shard {
    /// The log.
    pub log: signet_log::Log,
    log_id: Vec<u8>,
    /// Its key generation.
    pub generation: u32,
}

/// Rekor v2: its shards, oldest first; the last is active, earlier ones (frozen by key
/// rotations) serve their tiles and checkpoints and refuse new entries.
pub struct RekorV2 {
    shards: Vec<V2Shard>,
}

impl RekorV2 {
    /// Open the v2 shards: generation 0 under `DATA/rekor-v2`, later ones under
    /// `DATA/rekor-v2-g<g>`.
    pub async fn open(cfg: &ServeConfig, keys: &InstanceKeys, urls: &Urls) -> Result<Self> {
        let origin = urls.rekor_v2_origin();
        let mut shards = vec![];
        for (g, key) in crate::rotation::shard_generations(keys, crate::rotation::Role::RekorV2) {
            let dir = match g {
                0 => cfg.data_dir.join("rekor-v2"),
                g => cfg.data_dir.join(format!("rekor-v2-g{g}")),
            };
            let lc = cfg.log_config(dir, origin.clone());
            // The C2SP key ID the note signer derives from the origin is the log ID.
            let signer = Arc::new(signet_log::KeyNoteSigner::new(origin.clone(), key)?);
            let log_id = signer.log_id().to_vec();
            let log = signet_log::Log::open(lc, signer).await?;
            shards.push(V2Shard {
                log,
                log_id,
                generation: g,
            });
        }
        Ok(RekorV2 { shards })
    }

    /// The active shard.
    pub fn active(&self) -> &V2Shard {
        // `open` makes one shard per key generation, and the current generation always exists.
        #[allow(clippy::expect_used)]
        self.shards.last().expect("at least one shard")
    }

    /// Every shard, oldest first.
    pub fn shards(&self) -> &[V2Shard] {
        &self.shards
    }
}

/// `keyDetails` checked against the key (rekor-tiles semantics): the name of the key's own
/// algorithm; an absent value is filled in, a different one is a 400 (the logged body would
/// otherwise not be the one a verifier rebuilds).
fn v2_key_details(v: &Value, spki: &[u8]) -> Result<String> {
    let given = v.get("keyDetails").and_then(Value::as_str).unwrap_or("");
    let key = signet_core::crypto::PublicKey::from_spki_der(spki)
        .map_err(|e| bad(format!("verifier key: {e}")))?;
    match key.key_details() {
        Some(want) if given.is_empty() || given == want => Ok(want.to_string()),
        Some(want) => Err(bad(format!(
            "keyDetails {given:?} does not match the verifier's {} key; expected {want:?}",
            key.kind().name()
        ))),
        None if given.starts_with("PKIX_RSA_") => Ok(given.to_string()),
        None => Err(bad(format!(
            "keyDetails {given:?} does not match the verifier's RSA key; expected a PKIX_RSA_* value"
        ))),
    }
}

fn v2_verifier(v: &Value) -> Result<(Vec<u8>, Value)> {
    // Returns (SPKI DER, canonical verifier JSON).
    if let Some(raw) = v
        .pointer("/x509Certificate/rawBytes")
        .and_then(Value::as_str)
    {
        let der = b64_decode("x509Certificate.rawBytes", raw).map_err(|e| bad(e.to_string()))?;
        let c =
            Certificate::from_der(&der).map_err(|e| bad(format!("verifier certificate: {e}")))?;
        let details = v2_key_details(v, c.spki_der())?;
        return Ok((
            c.spki_der().to_vec(),
            json!({"x509Certificate": {"rawBytes": b64_encode(&der)}, "keyDetails": details}),
        ));
    }
    if let Some(raw) = v.pointer("/publicKey/rawBytes").and_then(Value::as_str) {
        let der = b64_decode("publicKey.rawBytes", raw).map_err(|e| bad(e.to_string()))?;
        let details = v2_key_details(v, &der)?;
        return Ok((
            der.clone(),
            json!({"publicKey": {"rawBytes": b64_encode(&der)}, "keyDetails": details}),
        ));
    }
    Err(bad(
        "verifier needs x509Certificate.rawBytes or publicKey.rawBytes",
    ))
}

fn canonicalize_v2(req: &Value) -> Result<(Vec<u8>, &'static str)> {
    if let Some(h) = req.get("hashedRekordRequestV002") {
        let digest = b64_decode(
            "digest",
            str_field(h, "digest", "hashedRekordRequestV002: missing digest")?,
        )
        .map_err(|e| bad(e.to_string()))?;
        if digest.len() != 32 {
            return Err(bad(format!(
                "digest is {} bytes, expected 32 (SHA2_256)",
                digest.len()
            )));
        }
        let sig = h
            .get("signature")
            .ok_or_else(|| bad("hashedRekordRequestV002: missing signature"))?;
        let content = b64_decode(
            "signature.content",
            sig.get("content").and_then(Value::as_str).unwrap_or(""),
        )
        .map_err(|e| bad(e.to_string()))?;
        let (spki, verifier) = v2_verifier(
            sig.get("verifier")
                .ok_or_else(|| bad("missing signature.verifier"))?,
        )?;
        let key = PublicKey::from_spki_der(&spki).map_err(|e| bad(format!("verifier key: {e}")))?;
        verify_over_digest(&key, &digest, &content)?;
        let body = signet_core::rekor::body::hashedrekord_v002(&digest, &content, &verifier);
        return Ok((canonical(&body)?, "hashedrekord"));
    }
    if let Some(d) = req.get("dsseRequestV002") {
        let env: Envelope = serde_json::from_value(
            d.get("envelope")
                .cloned()
                .ok_or_else(|| bad("dsseRequestV002: missing envelope"))?,
        )
        .map_err(|e| bad(format!("dsseRequestV002 envelope: {e}")))?;
        let verifiers = d
            .get("verifiers")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("dsseRequestV002: missing verifiers"))?;
        check_verifier_count("dsseRequestV002", verifiers.len())?;
        if env.signatures.len() > signet_core::limits::MAX_DSSE_SIGNATURES {
            return Err(bad(format!(
                "dsse: envelope has {} signatures, expected 1..={}",
                env.signatures.len(),
                signet_core::limits::MAX_DSSE_SIGNATURES
            )));
        }
        let keys = verifiers
            .iter()
            .map(|v| {
                let (spki, json) = v2_verifier(v)?;
                let key = PublicKey::from_spki_der(&spki)
                    .map_err(|e| bad(format!("verifier key: {e}")))?;
                Ok((key, json))
            })
            .collect::<Result<Vec<_>>>()?;
        let msg = env.pae();
        let mut sigs = vec![];
        for (i, s) in env.signatures.iter().enumerate() {
            let (_, v) = keys
                .iter()
                .find(|(k, _)| k.verify_with_hash(HashAlg::Sha256, &msg, &s.sig).is_ok())
                .ok_or_else(|| {
                    bad(format!(
                        "dsse: envelope signature #{i} does not verify with any given verifier"
                    ))
                })?;
            sigs.push((s.sig.as_slice(), v));
        }
        if sigs.is_empty() {
            return Err(bad("dsse: envelope has no signatures"));
        }
        let body = signet_core::rekor::body::dsse_v002(&sha256(&env.payload), &sigs);
        return Ok((canonical(&body)?, "dsse"));
    }
    Err(bad("expected hashedRekordRequestV002 or dsseRequestV002"))
}

async fn v2_create(app: Arc<App>, shard: usize, req: Value) -> Result<Response> {
    let v2 = &app.rekor_v2;
    let r = v2
        .shards
        .get(shard)
        .ok_or_else(|| Error::not_found("no such log shard"))?;
    if shard + 1 != v2.shards.len() {
        return Err(Error::request(
            StatusCode::GONE,
            format!(
                "this log shard (key generation {}) is frozen: its key was rotated; the instance's signing config lists the active shard {}",
                r.generation,
                crate::trust::rekor_v2_path(v2.active().generation)
            ),
        ));
    }
    let (body, kind) = app.cpu(move || canonicalize_v2(&req)).await?;
    let appended = r.log.append(body.clone()).await?;
    let cp = r.log.await_checkpoint(appended.index).await?;
    let proof = r.log.inclusion_proof(appended.index, cp.size)?;
    if !appended.duplicate {
        app.metrics.rekor_v2_entries.fetch_add(1, Ordering::Relaxed);
    }
    let tle = json!({
        "logIndex": appended.index.to_string(),
        "logId": {"keyId": b64_encode(&r.log_id)},
        "kindVersion": {"kind": kind, "version": "0.0.2"},
        "inclusionProof": {
            "logIndex": appended.index.to_string(),
            "rootHash": b64_encode(cp.root),
            "treeSize": cp.size.to_string(),
            "hashes": proof.iter().map(b64_encode).collect::<Vec<_>>(),
            "checkpoint": {"envelope": cp.note},
        },
        "canonicalizedBody": b64_encode(&body),
    });
    // An entry already in the log answers 409 with the existing entry, as rekor-tiles does.
    let status = if appended.duplicate {
        StatusCode::CONFLICT
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(tle)).into_response())
}

async fn v2_checkpoint(app: Arc<App>, shard: usize) -> Result<Response> {
    let r = app
        .rekor_v2
        .shards
        .get(shard)
        .ok_or_else(|| Error::not_found("no such log shard"))?;
    let b = r.log.read_checkpoint()?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], b).into_response())
}

/// Parse a C2SP tile index path (`x001/x234/067`) into a number. Only the canonical spelling
/// is accepted (no leading `x000` group), so no two paths name the same tile.
fn parse_tile_index(parts: &[&str]) -> Option<u64> {
    if parts.is_empty() || (parts.len() > 1 && parts[0] == "x000") {
        return None;
    }
    let mut n: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        let digits = if last { *p } else { p.strip_prefix('x')? };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    Some(n)
}

/// A canonical decimal number (no sign, no leading zeros) in `range`.
fn canonical_number<T: std::str::FromStr + ToString + PartialOrd>(
    s: &str,
    range: std::ops::RangeInclusive<T>,
) -> Option<T> {
    let v: T = s.parse().ok()?;
    (v.to_string() == s && range.contains(&v)).then_some(v)
}

/// A tile path `L/N[.p/W]` or `entries/N[.p/W]`: (level or None for entries, index, width).
fn parse_tile_path(path: &str) -> Option<(Option<u8>, u64, Option<u8>)> {
    let mut parts: Vec<&str> = path.split('/').collect();
    // A partial tile: the last index component ends in `.p` and the width follows, last.
    let width = match parts.iter().position(|p| p.ends_with(".p")) {
        Some(i) if i + 2 == parts.len() => {
            let w = canonical_number::<u8>(parts[i + 1], 1..=255)?;
            parts.truncate(i + 1);
            let last = parts.last_mut()?;
            *last = last.strip_suffix(".p")?;
            Some(w)
        }
        Some(_) => return None,
        None => None,
    };
    let (level, index) = match parts.split_first()? {
        (&"entries", rest) => (None, rest),
        (l, rest) => (Some(canonical_number::<u8>(l, 0..=63)?), rest),
    };
    Some((level, parse_tile_index(index)?, width))
}

async fn v2_tile(app: Arc<App>, shard: usize, path: String) -> Result<Response> {
    let r = app
        .rekor_v2
        .shards
        .get(shard)
        .ok_or_else(|| Error::not_found("no such log shard"))?;
    let (level, n, width) = parse_tile_path(&path)
        .ok_or_else(|| Error::not_found(format!("bad tile path {path:?}")))?;
    let read = match level {
        None => r.log.read_entry_bundle(n, width),
        Some(level) => r.log.read_tile(level, n, width),
    };
    let bytes = read.map_err(|e| match e {
        signet_log::Error::NotFound { .. } => Error::not_found(e.to_string()),
        other => other.into(),
    })?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// Rekor routes: v1 at the root; each v2 shard under its path (`/rekor2`, then
/// `/rekor2-g<g>` for the shards of rotated keys), its tiles and checkpoint also under
/// `<path>/api/v2`.
pub fn routes(v2: &RekorV2) -> Router<Arc<App>> {
    let mut r = Router::new()
        .route("/api/v1/log/entries", post(v1_create).get(v1_get_by_index))
        .route("/api/v1/log/entries/retrieve", post(v1_retrieve))
        .route("/api/v1/log/entries/retrieve/", post(v1_retrieve))
        .route("/api/v1/log/entries/{id}", get(v1_get_by_uuid))
        .route("/api/v1/index/retrieve", post(v1_index_retrieve))
        .route("/api/v1/log", get(v1_log_info))
        .route("/api/v1/log/proof", get(v1_proof))
        .route("/api/v1/log/publicKey", get(v1_public_key));
    for (i, shard) in v2.shards.iter().enumerate() {
        let base = crate::trust::rekor_v2_path(shard.generation);
        r = r.route(
            &format!("{base}/api/v2/log/entries"),
            post(move |State(app): State<Arc<App>>, Json(req): Json<Value>| v2_create(app, i, req)),
        );
        for prefix in [base.clone(), format!("{base}/api/v2")] {
            r = r
                .route(
                    &format!("{prefix}/checkpoint"),
                    get(move |State(app): State<Arc<App>>| v2_checkpoint(app, i)),
                )
                .route(
                    &format!("{prefix}/tile/{{*path}}"),
                    get(
                        move |State(app): State<Arc<App>>, Path(path): Path<String>| {
                            v2_tile(app, i, path)
                        },
                    ),
                );
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_index_paths() {
        assert_eq!(parse_tile_index(&["067"]), Some(67));
        assert_eq!(parse_tile_index(&["x001", "x234", "067"]), Some(1_234_067));
        assert_eq!(parse_tile_index(&["x01", "067"]), None);
        assert_eq!(parse_tile_index(&["001", "067"]), None);
        assert_eq!(parse_tile_index(&["x000", "067"]), None);
    }

    /// Non-canonical tile paths are not aliases of canonical ones (they are 404s).
    #[test]
    fn non_canonical_tile_paths_are_refused() {
        assert_eq!(parse_tile_path("0/067"), Some((Some(0), 67, None)));
        assert_eq!(
            parse_tile_path("1/x001/067.p/5"),
            Some((Some(1), 1067, Some(5)))
        );
        assert_eq!(
            parse_tile_path("entries/000.p/255"),
            Some((None, 0, Some(255)))
        );
        for bad in [
            "00/067",
            "+0/067",
            "0/067.p/05",
            "0/067.p/0",
            "0/067.p/256",
            "0/067.p/5/extra",
            "0/x001.p/067",
            "0/x000/067",
            "64/000",
            "entries",
            "0",
            "0/67",
            "../0/067",
            "0/067/",
        ] {
            assert_eq!(parse_tile_path(bad), None, "{bad}");
        }
    }
}
