//! Fake transparency logs: Rekor v1 (ECDSA P-256, SETs) and Rekor v2 (Ed25519, tessera-style
//! checkpoints), and a CT log issuing embedded SCTs.

use std::sync::{Mutex, MutexGuard};

use signet_core::bundle::{
    CheckpointEnvelope, InclusionPromise, InclusionProof, KindVersion, LogId, TransparencyLogEntry,
};
use signet_core::checkpoint::{ed25519_key_id, format_body, signed_note};
use signet_core::encoding::{b64_encode, sha256};
use signet_core::rekor::set_payload;
use signet_core::sct::{precert_signed_data, Sct};
use signet_core::{Error, Result};

use crate::tree::MerkleTree;
use signet_core::keys::{random_bytes, Curve, EcKey, EdKey};

/// The em dash that starts a signed-note signature line.
/// The 4-byte key hint of a log ID.
fn hint(log_id: &[u8; 32]) -> [u8; 4] {
    [log_id[0], log_id[1], log_id[2], log_id[3]]
}

fn lock(m: &Mutex<MerkleTree>) -> Result<MutexGuard<'_, MerkleTree>> {
    m.lock()
        .map_err(|_| Error::invalid("virtual log", "tree mutex poisoned by a panic"))
}

/// Append `prefill` random leaves.
fn prefilled_tree(prefill: usize) -> Result<MerkleTree> {
    let mut t = MerkleTree::new();
    for _ in 0..prefill {
        t.append(&random_bytes::<32>()?);
    }
    Ok(t)
}

/// A random pre-fill size in 3..=40, so that indices and proofs are non-trivial.
pub(crate) fn random_prefill() -> Result<usize> {
    Ok(3 + (random_bytes::<1>()?[0] as usize % 38))
}

fn entry_with_proof(
    tree: &MerkleTree,
    index: u64,
    checkpoint: String,
) -> Result<(InclusionProof, i64)> {
    let size = tree.size();
    let root = tree.root(size)?;
    let hashes = tree
        .inclusion_proof(index, size)?
        .iter()
        .map(|h| h.to_vec())
        .collect();
    let as_i64 =
        |v: u64| i64::try_from(v).map_err(|_| Error::invalid("virtual log", "index overflows i64"));
    Ok((
        InclusionProof {
            log_index: as_i64(index)?,
            root_hash: root.to_vec(),
            tree_size: as_i64(size)?,
            hashes,
            checkpoint: CheckpointEnvelope {
                envelope: checkpoint,
            },
        },
        as_i64(index)?,
    ))
}

/// Who signs a log's checkpoints: the origin line, the signer name, the key ID whose hint the
/// signature line carries, and the signing function.
struct CheckpointSigner<'a, F> {
    origin: &'a str,
    name: &'a str,
    key_id: &'a [u8; 32],
    sign: F,
}

/// Append `body` to `tree` and prove it, under the tree's lock: the inclusion proof, with the
/// checkpoint `signer` signs for the new size and root, and the leaf's index in the tree.
fn append_and_prove(
    tree: &Mutex<MerkleTree>,
    body: &[u8],
    signer: CheckpointSigner<'_, impl FnOnce(&[u8]) -> Result<Vec<u8>>>,
) -> Result<(InclusionProof, i64)> {
    let mut tree = lock(tree)?;
    let index = tree.append(body);
    let size = tree.size();
    let root = tree.root(size)?;
    let note = format_body(signer.origin, size, &root);
    let sig = (signer.sign)(note.as_bytes())?;
    let checkpoint = signed_note(&note, signer.name, hint(signer.key_id), &sig);
    entry_with_proof(&tree, index, checkpoint)
}

/// The bundle entry for `body` at `log_index` of the log `log_id`, with its inclusion proof,
/// and with the integrated time and SET of `set` when given.
fn log_entry(
    log_id: &[u8; 32],
    log_index: i64,
    kind: &str,
    version: &str,
    body: Vec<u8>,
    proof: InclusionProof,
    set: Option<(i64, Vec<u8>)>,
) -> TransparencyLogEntry {
    let (integrated_time, inclusion_promise) = match set {
        Some((time, signed_entry_timestamp)) => (
            Some(time),
            Some(InclusionPromise {
                signed_entry_timestamp,
            }),
        ),
        None => (None, None),
    };
    TransparencyLogEntry {
        log_index,
        log_id: LogId {
            key_id: log_id.to_vec(),
        },
        kind_version: KindVersion {
            kind: kind.into(),
            version: version.into(),
        },
        integrated_time,
        inclusion_promise,
        inclusion_proof: Some(proof),
        canonicalized_body: body,
    }
}

/// The `(origin, signer name)` of `checkpoint_origin`, or else `(origin, name)`.
fn origin_and_name<'a>(
    checkpoint_origin: Option<&'a (String, String)>,
    origin: &'a str,
    name: &'a str,
) -> (&'a str, &'a str) {
    checkpoint_origin.map_or((origin, name), |(o, n)| (o.as_str(), n.as_str()))
}

/// A Rekor v1 log: ECDSA P-256 key, log ID `SHA256(SPKI)`, SETs, and checkpoints with origin
/// `"<host> - <treeID>"` signed as `<host>`.
#[derive(Debug)]
pub struct RekorV1Log {
    key: EcKey,
    log_id: [u8; 32],
    host: String,
    tree_id: i64,
    shard_offset: i64,
    tree: Mutex<MerkleTree>,
}

impl RekorV1Log {
    /// A log for `host` with a random key, tree ID and pre-fill, whose global log indices are
    /// `shard_offset` + the index inside the tree (as Rekor's sharded log).
    pub fn new(host: &str, shard_offset: i64) -> Result<Self> {
        let key = EcKey::generate(Curve::P256)?;
        let log_id = sha256(key.spki_der());
        let tree_id = i64::from_be_bytes(random_bytes::<8>()?) & i64::MAX;
        Ok(RekorV1Log {
            key,
            log_id,
            host: host.to_string(),
            tree_id,
            shard_offset,
            tree: Mutex::new(prefilled_tree(random_prefill()?)?),
        })
    }

    /// The log ID (SHA-256 of the SPKI).
    pub fn log_id(&self) -> &[u8; 32] {
        &self.log_id
    }

    /// The public key SPKI DER.
    pub fn spki_der(&self) -> &[u8] {
        self.key.spki_der()
    }

    /// The host name (checkpoint signer name).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The checkpoint origin, `"<host> - <treeID>"`.
    pub fn origin(&self) -> String {
        format!("{} - {}", self.host, self.tree_id)
    }

    /// Current number of entries in the (shard's) tree.
    pub fn size(&self) -> Result<u64> {
        Ok(lock(&self.tree)?.size())
    }

    /// Integrate a canonical body at `integrated_time` and return the bundle entry (SET,
    /// inclusion proof and checkpoint included).
    pub fn append(
        &self,
        body: Vec<u8>,
        kind: &str,
        version: &str,
        integrated_time: i64,
    ) -> Result<TransparencyLogEntry> {
        self.append_with(body, kind, version, integrated_time, None)
    }

    /// As [`RekorV1Log::append`], the checkpoint signed under `checkpoint_origin`
    /// (origin, signer name) when given.
    pub fn append_with(
        &self,
        body: Vec<u8>,
        kind: &str,
        version: &str,
        integrated_time: i64,
        checkpoint_origin: Option<&(String, String)>,
    ) -> Result<TransparencyLogEntry> {
        let own_origin = self.origin();
        let (origin, name) = origin_and_name(checkpoint_origin, &own_origin, &self.host);
        let signer = CheckpointSigner {
            origin,
            name,
            key_id: &self.log_id,
            sign: |note: &[u8]| self.key.sign(note),
        };
        let (proof, shard_index) = append_and_prove(&self.tree, &body, signer)?;
        let log_index = self.shard_offset + shard_index;
        let set = self.key.sign(&set_payload(
            &b64_encode(&body),
            integrated_time,
            &hex::encode(self.log_id),
            log_index,
        ))?;
        Ok(log_entry(
            &self.log_id,
            log_index,
            kind,
            version,
            body,
            proof,
            Some((integrated_time, set)),
        ))
    }
}

/// A Rekor v2 (rekor-tiles) log: Ed25519 checkpoint key, origin = host, log ID = the C2SP
/// signed-note key ID. Entries have no integrated time and no SET.
#[derive(Debug)]
pub struct RekorV2Log {
    key: EdKey,
    origin: String,
    key_id: [u8; 32],
    tree: Mutex<MerkleTree>,
}

impl RekorV2Log {
    /// A log whose origin (and signer name) is `origin`, with a random key and pre-fill.
    pub fn new(origin: &str) -> Result<Self> {
        let key = EdKey::generate()?;
        let key_id = ed25519_key_id(origin, key.raw_public_key());
        Ok(RekorV2Log {
            key,
            origin: origin.to_string(),
            key_id,
            tree: Mutex::new(prefilled_tree(random_prefill()?)?),
        })
    }

    /// The log ID: `SHA256(origin || 0x0A || 0x01 || pubkey)`.
    pub fn log_id(&self) -> &[u8; 32] {
        &self.key_id
    }

    /// The public key SPKI DER.
    pub fn spki_der(&self) -> Vec<u8> {
        self.key.spki_der()
    }

    /// The origin line of checkpoints.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Current number of entries.
    pub fn size(&self) -> Result<u64> {
        Ok(lock(&self.tree)?.size())
    }

    /// Integrate a canonical body and return the bundle entry (inclusion proof + checkpoint).
    pub fn append(&self, body: Vec<u8>, kind: &str, version: &str) -> Result<TransparencyLogEntry> {
        self.append_with(body, kind, version, None, None)
    }

    /// As [`RekorV2Log::append`], the checkpoint signed under `checkpoint_origin` (origin,
    /// signer name) when given, and with an SET over `set_time` (signed by this log's key)
    /// when given — which a Rekor v2 log never issues; tests use it.
    pub fn append_with(
        &self,
        body: Vec<u8>,
        kind: &str,
        version: &str,
        checkpoint_origin: Option<&(String, String)>,
        set_time: Option<i64>,
    ) -> Result<TransparencyLogEntry> {
        let (origin, name) = origin_and_name(checkpoint_origin, &self.origin, &self.origin);
        let signer = CheckpointSigner {
            origin,
            name,
            key_id: &self.key_id,
            sign: |note: &[u8]| Ok(self.key.sign(note)),
        };
        let (proof, log_index) = append_and_prove(&self.tree, &body, signer)?;
        let set = set_time.map(|t| {
            let payload = set_payload(&b64_encode(&body), t, &hex::encode(self.key_id), log_index);
            (t, self.key.sign(&payload))
        });
        Ok(log_entry(
            &self.key_id,
            log_index,
            kind,
            version,
            body,
            proof,
            set,
        ))
    }
}

/// A CT log that signs precertificate SCTs (ECDSA P-256, log ID `SHA256(SPKI)`).
#[derive(Debug)]
pub struct CtLog {
    key: EcKey,
    log_id: [u8; 32],
}

impl CtLog {
    /// A CT log with a fresh key.
    pub fn new() -> Result<Self> {
        let key = EcKey::generate(Curve::P256)?;
        let log_id = sha256(key.spki_der());
        Ok(CtLog { key, log_id })
    }

    /// The log ID.
    pub fn log_id(&self) -> &[u8; 32] {
        &self.log_id
    }

    /// The public key SPKI DER.
    pub fn spki_der(&self) -> &[u8] {
        self.key.spki_der()
    }

    /// Issue an SCT for a precertificate whose TBS (poison removed) is `tbs`, issued by the CA
    /// whose SPKI hashes to `issuer_key_hash`.
    pub fn sign_precert(
        &self,
        timestamp_ms: u64,
        issuer_key_hash: &[u8; 32],
        tbs: &[u8],
    ) -> Result<Sct> {
        let signature = self.key.sign(&precert_signed_data(
            timestamp_ms,
            &[],
            issuer_key_hash,
            tbs,
        ))?;
        Ok(Sct {
            version: 0,
            log_id: self.log_id,
            timestamp_ms,
            extensions: vec![],
            hash_alg: 4,
            sig_alg: 3,
            signature,
        })
    }
}
