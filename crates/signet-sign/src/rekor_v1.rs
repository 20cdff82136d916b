//! A Rekor v1 REST client (sigstore/rekor's openapi): create an entry, fetch one by UUID or log
//! index, search the index by digest, and find the entries that log a DSSE envelope, assembled
//! into bundles for verification. Entries are returned as parsed; checking them is the
//! verifier's job.

use serde_json::{json, Value};
use signet_core::bundle::{Bundle, VerificationMaterial, X509Certificate, MEDIA_TYPE_V03};
use signet_core::dsse::Envelope;
use signet_core::encoding::sha256;
use signet_core::rekor::{EntryBody, LogEntry};
use signet_core::x509::Certificate;

use crate::{Error, Result};

use signet_core::limits::MAX_REKOR_JSON as MAX_JSON;

/// What `GET /api/v1/log` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogInfo {
    /// Entries in the active shard.
    pub tree_size: u64,
    /// Its root hash.
    pub root_hash: Vec<u8>,
    /// Its signed checkpoint (empty for an empty log).
    pub signed_tree_head: String,
    /// Its tree ID.
    pub tree_id: Option<String>,
}

/// A Rekor v1 server.
#[derive(Debug, Clone)]
pub struct RekorV1 {
    base: String,
    http: signet_http::Http,
}

impl RekorV1 {
    /// The server at `base` (e.g. `https://rekor.sigstore.dev`).
    pub fn new(base: &str, http: signet_http::Http) -> Self {
        RekorV1 {
            base: base.trim_end_matches('/').to_string(),
            http,
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn error(&self, url: &str, message: impl Into<String>) -> Error {
        Error::Service {
            service: "Rekor",
            url: url.to_string(),
            message: message.into(),
        }
    }

    fn json(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let req = match body {
            Some(b) => self.http.client().post(&url).json(b),
            None => self.http.client().get(&url),
        };
        let (status, bytes) = self
            .http
            .exchange(&url, req, MAX_JSON)
            .map_err(|e| self.error(&url, e.reason()))?;
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&bytes);
            let msg = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| text.chars().take(300).collect());
            return Err(self.error(&url, format!("{method}: HTTP {status}: {msg}")));
        }
        serde_json::from_slice(&bytes).map_err(|e| self.error(&url, format!("not JSON: {e}")))
    }

    /// The one `{uuid: entry}` of a create or get answer.
    fn one_entry(&self, path: &str, v: Value) -> Result<(String, LogEntry)> {
        let url = format!("{}{path}", self.base);
        let Value::Object(m) = v else {
            return Err(self.error(&url, "expected an object {uuid: entry}"));
        };
        let (uuid, e) = m
            .into_iter()
            .next()
            .ok_or_else(|| self.error(&url, "empty response"))?;
        let entry: LogEntry = serde_json::from_value(e)
            .map_err(|err| self.error(&url, format!("malformed LogEntry: {err}")))?;
        Ok((uuid, entry))
    }

    /// `POST /api/v1/log/entries`: log `proposed`; the entry ID and the entry.
    pub fn create(&self, proposed: &Value) -> Result<(String, LogEntry)> {
        let path = "/api/v1/log/entries";
        let v = self.json("POST", path, Some(proposed))?;
        self.one_entry(path, v)
    }

    /// `GET /api/v1/log/entries/{uuid}`.
    pub fn entry(&self, uuid: &str) -> Result<(String, LogEntry)> {
        let path = format!("/api/v1/log/entries/{uuid}");
        let v = self.json("GET", &path, None)?;
        self.one_entry(&path, v)
    }

    /// `GET /api/v1/log/entries?logIndex=N`.
    pub fn entry_at(&self, index: u64) -> Result<(String, LogEntry)> {
        let path = format!("/api/v1/log/entries?logIndex={index}");
        let v = self.json("GET", &path, None)?;
        self.one_entry(&path, v)
    }

    /// `POST /api/v1/index/retrieve` by `sha256:<hex>`: the UUIDs found.
    pub fn search_sha256(&self, hex_digest: &str) -> Result<Vec<String>> {
        self.search(&json!({"hash": format!("sha256:{hex_digest}")}))
    }

    /// `POST /api/v1/index/retrieve` with `query` (`hash`, `email`, `publicKey`): the UUIDs.
    pub fn search(&self, query: &Value) -> Result<Vec<String>> {
        let path = "/api/v1/index/retrieve";
        let v = self.json("POST", path, Some(query))?;
        serde_json::from_value(v).map_err(|e| {
            self.error(
                &format!("{}{path}", self.base),
                format!("expected a list of UUIDs: {e}"),
            )
        })
    }

    /// `GET /api/v1/log`: the active shard's size, root hash and signed tree head, as
    /// reported (unverified).
    pub fn log_info(&self) -> Result<LogInfo> {
        let path = "/api/v1/log";
        let v = self.json("GET", path, None)?;
        let url = format!("{}{path}", self.base);
        let tree_size = v["treeSize"]
            .as_u64()
            .ok_or_else(|| self.error(&url, "no treeSize"))?;
        let root_hash = hex::decode(v["rootHash"].as_str().unwrap_or_default())
            .map_err(|_| self.error(&url, "rootHash is not hex"))?;
        Ok(LogInfo {
            tree_size,
            root_hash,
            signed_tree_head: v["signedTreeHead"].as_str().unwrap_or_default().to_string(),
            tree_id: v["treeID"].as_str().map(str::to_string),
        })
    }

    /// `GET /api/v1/log/proof`: the consistency proof from `first` to `last` entries.
    pub fn consistency_proof(&self, first: u64, last: u64) -> Result<Vec<Vec<u8>>> {
        let path = format!("/api/v1/log/proof?firstSize={first}&lastSize={last}");
        let v = self.json("GET", &path, None)?;
        v["hashes"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|h| {
                h.as_str().and_then(|h| hex::decode(h).ok()).ok_or_else(|| {
                    self.error(&format!("{}{path}", self.base), "a proof hash is not hex")
                })
            })
            .collect()
    }

    /// The entries that log `env` (dsse 0.0.1 or intoto 0.0.2 over its payload), found by the
    /// artifact digest (intoto entries index their subjects) and the payload digest, at most
    /// `max` of them fetched; each as a v0.3 bundle (the entry's certificate, the log entry, the
    /// envelope). Entries that log something else are skipped, with why in the error when none
    /// is left.
    pub fn dsse_bundles(
        &self,
        env: &Envelope,
        artifact_hex: &str,
        max: usize,
    ) -> Result<Vec<(String, Bundle)>> {
        let payload_hex = hex::encode(sha256(&env.payload));
        let mut uuids: Vec<String> = vec![];
        for h in [artifact_hex, payload_hex.as_str()] {
            for f in self.search_sha256(h)? {
                if !uuids.contains(&f) {
                    uuids.push(f);
                }
            }
        }
        if uuids.is_empty() {
            return Err(self.error(
                &self.base,
                format!("no transparency log entry found for artifact sha256 {artifact_hex} or payload sha256 {payload_hex} (was the provenance uploaded?)"),
            ));
        }
        let (mut out, mut skipped) = (vec![], vec![]);
        for uuid in uuids.iter().take(max) {
            let (_, entry) = self.entry(uuid)?;
            match bundle_from_entry(&entry, env, &payload_hex) {
                Ok(b) => out.push((uuid.clone(), b)),
                Err(e) => skipped.push(format!("{uuid}: {e}")),
            }
        }
        if out.is_empty() {
            return Err(self.error(
                &self.base,
                format!(
                    "no transparency log entry logs this provenance ({})",
                    skipped.join("; ")
                ),
            ));
        }
        Ok(out)
    }
}

/// A v0.3 bundle from a Rekor v1 dsse 0.0.1 or intoto 0.0.2 entry that logs `env`.
pub fn bundle_from_entry(e: &LogEntry, env: &Envelope, payload_hex: &str) -> Result<Bundle> {
    let bad = |m: String| Error::Core(signet_core::Error::invalid("tlog entry", m));
    // One decode of the body: the bundle entry (kind and version read from it), then the
    // typed body of that kind.
    let tle = e.to_tlog_entry()?;
    let (kind, version) = (&tle.kind_version.kind, &tle.kind_version.version);
    if kind != "dsse" && kind != "intoto" {
        return Err(bad(format!("entry kind {kind:?}, expected dsse or intoto")));
    }
    let (logged_payload, pem) = match EntryBody::parse(&tle.canonicalized_body, kind, version)? {
        EntryBody::DsseV001(d) => (
            Some(d.payload_hash.value),
            d.signatures.into_iter().next().map(|s| s.verifier),
        ),
        EntryBody::IntotoV002(i) => (
            i.content.payload_hash.map(|h| h.value),
            i.content
                .envelope
                .signatures
                .into_iter()
                .next()
                .map(|s| s.public_key),
        ),
        _ => (None, None),
    };
    match &logged_payload {
        Some(h) if h.eq_ignore_ascii_case(payload_hex) => {}
        other => {
            return Err(bad(format!(
                "entry logs payload sha256 {other:?}, the provenance payload is {payload_hex}"
            )))
        }
    }
    let pem = pem.ok_or_else(|| bad("entry has no signature verifier".into()))?;
    let cert = Certificate::from_pem(&String::from_utf8_lossy(&pem)).map_err(|e| {
        bad(format!(
            "entry signature verifier is not a PEM certificate: {e}"
        ))
    })?;
    Ok(Bundle {
        media_type: MEDIA_TYPE_V03.into(),
        verification_material: VerificationMaterial {
            certificate: Some(X509Certificate {
                raw_bytes: cert.der().to_vec(),
            }),
            tlog_entries: vec![tle],
            ..Default::default()
        },
        message_signature: None,
        dsse_envelope: Some(env.clone()),
    })
}
