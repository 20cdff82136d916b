//! The certificate transparency log (RFC 6962) the CA gets its SCTs from: `add-pre-chain`,
//! `add-chain` and `get-sth`, backed by the log engine.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use signet_core::encoding::{b64_decode, b64_encode, sha256};
use signet_core::sct::{precert_signed_data, Sct};
use signet_core::signer::SharedSigner;
use signet_core::x509::{Certificate, OID_CT_POISON};

use crate::{now_ms, App, Error, Result};

/// The CT log: its signing key, accepted issuers, and the log of submitted entries.
pub struct CtLog {
    key: SharedSigner,
    log_id: [u8; 32],
    /// SPKI DER of accepted issuing CAs.
    issuers: Vec<Vec<u8>>,
    log: signet_log::Log,
}

/// `{"chain": [b64 DER, ...]}`.
#[derive(Deserialize)]
pub struct AddChainRequest {
    chain: Vec<String>,
}

/// RFC 6962 `add-chain` / `add-pre-chain` response.
#[derive(Serialize, Deserialize, Debug)]
pub struct AddChainResponse {
    /// 0 (v1).
    pub sct_version: u8,
    /// Base64 log ID.
    pub id: String,
    /// Milliseconds.
    pub timestamp: u64,
    /// Base64 CT extensions (empty).
    pub extensions: String,
    /// Base64 TLS `DigitallySigned`.
    pub signature: String,
}

/// TLS MerkleTreeLeaf for a precert entry (RFC 6962 3.4).
fn precert_leaf(ts_ms: u64, issuer_key_hash: &[u8; 32], tbs: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8, 0u8]; // version v1, leaf_type timestamped_entry
    v.extend_from_slice(&ts_ms.to_be_bytes());
    v.extend_from_slice(&1u16.to_be_bytes());
    v.extend_from_slice(issuer_key_hash);
    v.extend_from_slice(&(tbs.len() as u32).to_be_bytes()[1..]);
    v.extend_from_slice(tbs);
    v.extend_from_slice(&0u16.to_be_bytes());
    v
}

impl CtLog {
    /// The CT log's health (see [`signet_log::Log::health`]).
    pub fn health(&self) -> signet_log::Result<()> {
        self.log.health()
    }

    /// A CT log signing with `key`, accepting precertificates issued by the given CA keys.
    pub fn new(key: SharedSigner, issuers: Vec<Vec<u8>>, log: signet_log::Log) -> Self {
        let log_id = sha256(key.public_key_der());
        CtLog {
            key,
            log_id,
            issuers,
            log,
        }
    }

    /// The log ID (SHA-256 of the SPKI).
    pub fn log_id(&self) -> [u8; 32] {
        self.log_id
    }

    /// The public key, DER SPKI.
    pub fn spki_der(&self) -> &[u8] {
        self.key.public_key_der()
    }

    /// Log a precertificate and return its SCT. `tbs` is the precertificate TBS without the
    /// poison; `issuer_spki` the issuing CA's key.
    pub async fn add_precert(&self, tbs: &[u8], issuer_spki: &[u8]) -> Result<Sct> {
        if !self.issuers.iter().any(|i| i == issuer_spki) {
            return Err(Error::bad_request(
                "precertificate issuer is not a CA this log accepts",
            ));
        }
        let issuer_key_hash = sha256(issuer_spki);
        let ts = now_ms();
        self.log
            .append(precert_leaf(ts, &issuer_key_hash, tbs))
            .await?;
        let signature = self
            .key
            .sign(&precert_signed_data(ts, &[], &issuer_key_hash, tbs))?;
        Ok(Sct {
            version: 0,
            log_id: self.log_id,
            timestamp_ms: ts,
            extensions: vec![],
            hash_alg: 4,
            sig_alg: 3,
            signature,
        })
    }

    fn response(&self, s: &Sct) -> AddChainResponse {
        let mut ds = vec![s.hash_alg, s.sig_alg];
        ds.extend_from_slice(&(s.signature.len() as u16).to_be_bytes());
        ds.extend_from_slice(&s.signature);
        AddChainResponse {
            sct_version: 0,
            id: b64_encode(s.log_id),
            timestamp: s.timestamp_ms,
            extensions: String::new(),
            signature: b64_encode(ds),
        }
    }
}

fn parse_chain(req: &AddChainRequest) -> Result<Vec<Certificate>> {
    if req.chain.len() < 2 {
        return Err(Error::bad_request(format!(
            "chain must hold the (pre)certificate and its issuer, found {} certificate(s)",
            req.chain.len()
        )));
    }
    req.chain
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let der = b64_decode("chain certificate", c)
                .map_err(|e| Error::bad_request(format!("chain[{i}]: {e}")))?;
            Certificate::from_der(&der).map_err(|e| Error::bad_request(format!("chain[{i}]: {e}")))
        })
        .collect()
}

/// `POST /ct/v1/add-pre-chain`.
pub async fn add_pre_chain(
    State(app): State<Arc<App>>,
    Json(req): Json<AddChainRequest>,
) -> Result<Json<AddChainResponse>> {
    let chain = parse_chain(&req)?;
    let (pre, issuer) = (&chain[0], &chain[1]);
    match pre.extension(&OID_CT_POISON)? {
        Some(e) if e.critical => {}
        _ => {
            return Err(Error::bad_request(
                "chain[0] is not a precertificate (no critical poison extension)",
            ))
        }
    }
    pre.verify_signed_by(&issuer.public_key()?).map_err(|e| {
        Error::bad_request(format!("precertificate is not signed by chain[1]: {e}"))
    })?;
    let tbs = pre.precert_tbs_without(&OID_CT_POISON)?;
    let sct = app.ct.add_precert(&tbs, issuer.spki_der()).await?;
    Ok(Json(app.ct.response(&sct)))
}

/// `GET /ct/v1/get-sth`.
pub async fn get_sth(State(app): State<Arc<App>>) -> Result<Json<serde_json::Value>> {
    let cp = app.ct.log.latest_checkpoint();
    let (size, root) = cp
        .map(|c| (c.size, c.root))
        .unwrap_or((0, signet_core::merkle::empty_root()));
    let ts = now_ms();
    // TreeHeadSignature: version, signature_type tree_hash(1), timestamp, tree_size, root.
    let mut th = vec![0u8, 1u8];
    th.extend_from_slice(&ts.to_be_bytes());
    th.extend_from_slice(&size.to_be_bytes());
    th.extend_from_slice(&root);
    let sig = app.ct.key.sign(&th)?;
    let mut ds = vec![4u8, 3u8];
    ds.extend_from_slice(&(sig.len() as u16).to_be_bytes());
    ds.extend_from_slice(&sig);
    Ok(Json(serde_json::json!({
        "tree_size": size,
        "timestamp": ts,
        "sha256_root_hash": b64_encode(root),
        "tree_head_signature": b64_encode(ds),
    })))
}
