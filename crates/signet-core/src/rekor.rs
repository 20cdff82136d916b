//! Rekor entry bodies (hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto 0.0.2), the signed
//! entry timestamp (SET) payload, and the Rekor v1 `LogEntry` API type.

pub mod body;

use serde::{Deserialize, Serialize};

use crate::encoding::{base64_bytes, parse_json};
use crate::{Error, Result};

/// `{algorithm, value}` with a hex value (Rekor v1 bodies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HexHash {
    /// `sha256`.
    pub algorithm: String,
    /// Hex digest.
    pub value: String,
}

/// hashedrekord 0.0.1 spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedRekordV001 {
    /// Signature.
    pub signature: HashedRekordSignature,
    /// Data.
    pub data: HashedRekordData,
}

/// hashedrekord 0.0.1 signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HashedRekordSignature {
    /// Signature bytes.
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
    /// The verifier (PEM certificate or key).
    pub public_key: PemContent,
}

/// `{content: base64(PEM)}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PemContent {
    /// PEM bytes.
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
}

/// hashedrekord 0.0.1 data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedRekordData {
    /// Artifact hash.
    pub hash: HexHash,
}

crate::capped_fn!(
    cap_dsse_v001,
    DsseV001Signature,
    "dsse entry signatures",
    crate::limits::MAX_BODY_SIGNATURES
);
crate::capped_fn!(
    cap_intoto,
    IntotoV002Signature,
    "intoto entry signatures",
    crate::limits::MAX_BODY_SIGNATURES
);
crate::capped_fn!(
    cap_v2,
    V2Signature,
    "dsse entry signatures",
    crate::limits::MAX_BODY_SIGNATURES
);

/// dsse 0.0.1 spec.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DsseV001 {
    /// Hash of the envelope.
    pub envelope_hash: Option<HexHash>,
    /// Hash of the payload.
    pub payload_hash: HexHash,
    /// Signatures.
    #[serde(deserialize_with = "cap_dsse_v001")]
    pub signatures: Vec<DsseV001Signature>,
}

/// dsse 0.0.1 signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsseV001Signature {
    /// Signature (base64 string as in the envelope).
    pub signature: String,
    /// Verifier PEM.
    #[serde(with = "base64_bytes")]
    pub verifier: Vec<u8>,
}

/// intoto 0.0.2 spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntotoV002 {
    /// Content.
    pub content: IntotoV002Content,
}

/// intoto 0.0.2 content.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntotoV002Content {
    /// The envelope, with payload and signatures double-base64.
    pub envelope: IntotoV002Envelope,
    /// Envelope hash.
    pub hash: Option<HexHash>,
    /// Payload hash.
    pub payload_hash: Option<HexHash>,
}

/// intoto 0.0.2 envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntotoV002Envelope {
    /// base64(base64(payload)).
    #[serde(default, with = "base64_bytes")]
    pub payload: Vec<u8>,
    /// Payload type.
    pub payload_type: String,
    /// Signatures.
    #[serde(deserialize_with = "cap_intoto")]
    pub signatures: Vec<IntotoV002Signature>,
}

/// intoto 0.0.2 signature.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntotoV002Signature {
    /// base64(base64(sig)).
    #[serde(with = "base64_bytes")]
    pub sig: Vec<u8>,
    /// base64(PEM).
    #[serde(with = "base64_bytes")]
    pub public_key: Vec<u8>,
    /// Key ID.
    pub keyid: Option<String>,
}

/// Rekor v2 `HashOutput` (`{algorithm: SHA2_256, digest: b64}`): the protobuf-specs common
/// `HashOutput`, the same message as a bundle's message digest.
pub type V2HashOutput = crate::bundle::HashOutput;

/// Rekor v2 verifier.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V2Verifier {
    /// Public key.
    pub public_key: Option<V2RawBytes>,
    /// Certificate.
    pub x509_certificate: Option<V2RawBytes>,
    /// Key details.
    #[serde(default)]
    pub key_details: String,
}

/// `{rawBytes}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V2RawBytes {
    /// DER.
    #[serde(with = "base64_bytes")]
    pub raw_bytes: Vec<u8>,
}

/// Rekor v2 signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V2Signature {
    /// Signature bytes.
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
    /// Verifier.
    pub verifier: V2Verifier,
}

/// hashedrekord 0.0.2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedRekordV002 {
    /// Digest.
    pub data: V2HashOutput,
    /// Signature.
    pub signature: V2Signature,
}

/// dsse 0.0.2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DsseV002 {
    /// Payload hash.
    pub payload_hash: V2HashOutput,
    /// Signatures.
    #[serde(deserialize_with = "cap_v2")]
    pub signatures: Vec<V2Signature>,
}

/// A decoded canonical entry body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryBody {
    /// hashedrekord 0.0.1.
    HashedRekordV001(HashedRekordV001),
    /// hashedrekord 0.0.2.
    HashedRekordV002(HashedRekordV002),
    /// dsse 0.0.1.
    DsseV001(DsseV001),
    /// dsse 0.0.2.
    DsseV002(DsseV002),
    /// intoto 0.0.2.
    IntotoV002(IntotoV002),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBody<'a> {
    #[serde(borrow)]
    api_version: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    spec: &'a serde_json::value::RawValue,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2HashedSpec {
    hashed_rekord_v002: HashedRekordV002,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2DsseSpec {
    dsse_v002: DsseV002,
}

impl EntryBody {
    /// Decode a canonicalized body, checking it against the expected kind and version.
    pub fn parse(body: &[u8], kind: &str, version: &str) -> Result<Self> {
        let raw: RawBody = parse_json("tlog entry body", body)?;
        if raw.kind != kind || raw.api_version != version {
            return Err(Error::invalid(
                "tlog entry",
                format!(
                    "kindVersion says {kind} {version} but the body is {} {}",
                    raw.kind, raw.api_version
                ),
            ));
        }
        let spec = |e| Error::Json {
            what: "tlog entry spec",
            source: e,
        };
        let s = raw.spec.get();
        // Base64 fields (keys, certificates, signatures) read straight from the bytes.
        crate::encoding::parse_with_fast_base64(|| {
            Ok(match (kind, version) {
                ("hashedrekord", "0.0.1") => EntryBody::HashedRekordV001(serde_json::from_str(s)?),
                ("hashedrekord", "0.0.2") => EntryBody::HashedRekordV002(
                    serde_json::from_str::<V2HashedSpec>(s)?.hashed_rekord_v002,
                ),
                ("dsse", "0.0.1") => EntryBody::DsseV001(serde_json::from_str(s)?),
                ("dsse", "0.0.2") => {
                    EntryBody::DsseV002(serde_json::from_str::<V2DsseSpec>(s)?.dsse_v002)
                }
                ("intoto", "0.0.2") => EntryBody::IntotoV002(serde_json::from_str(s)?),
                (k, v) => return Err(SpecError::Unsupported(k.to_string(), v.to_string())),
            })
        })
        .map_err(|e| match e {
            SpecError::Json(e) => spec(e),
            SpecError::Unsupported(k, v) => Error::invalid(
                "tlog entry",
                format!("unsupported kind {k} {v}; expected hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2 or intoto 0.0.2"),
            ),
        })
    }
}

/// Why a body's spec could not be read.
enum SpecError {
    Json(serde_json::Error),
    Unsupported(String, String),
}

impl From<serde_json::Error> for SpecError {
    fn from(e: serde_json::Error) -> Self {
        SpecError::Json(e)
    }
}

/// The RFC 8785 canonical JSON a Rekor v1 SET signs:
/// `{"body":..,"integratedTime":..,"logID":..,"logIndex":..}` (keys already in canonical order).
pub fn set_payload(
    body_b64: &str,
    integrated_time: i64,
    log_id_hex: &str,
    log_index: i64,
) -> Vec<u8> {
    format!(
        "{{\"body\":\"{body_b64}\",\"integratedTime\":{integrated_time},\"logID\":\"{log_id_hex}\",\"logIndex\":{log_index}}}"
    )
    .into_bytes()
}

/// Rekor v1 API `LogEntry` value (the map value keyed by UUID).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// Base64 canonical body.
    pub body: String,
    /// Integration time.
    pub integrated_time: i64,
    /// Hex log ID.
    #[serde(rename = "logID")]
    pub log_id: String,
    /// Global index.
    pub log_index: i64,
    /// SET + proof.
    pub verification: Option<LogEntryVerification>,
    /// Attestation (optional).
    pub attestation: Option<serde_json::Value>,
}

impl LogEntry {
    /// This entry as a bundle `TransparencyLogEntry`: the canonical body decoded, kind and
    /// version read from it, the SET and the inclusion proof (with its checkpoint) required.
    pub fn to_tlog_entry(&self) -> Result<crate::bundle::TransparencyLogEntry> {
        use crate::bundle::{
            CheckpointEnvelope, InclusionPromise, InclusionProof, KindVersion, LogId,
            TransparencyLogEntry,
        };
        let bad = |m: String| Error::invalid("Rekor LogEntry", m);
        let body = crate::encoding::b64_decode("body", &self.body)?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Head {
            #[serde(default)]
            kind: String,
            #[serde(default)]
            api_version: String,
        }
        let head: Head =
            serde_json::from_slice(&body).map_err(|x| bad(format!("body is not JSON: {x}")))?;
        let v = self
            .verification
            .as_ref()
            .ok_or_else(|| bad("no verification".into()))?;
        let set = v
            .signed_entry_timestamp
            .as_ref()
            .ok_or_else(|| bad("no signedEntryTimestamp".into()))?;
        let p = v
            .inclusion_proof
            .as_ref()
            .ok_or_else(|| bad("no inclusion proof".into()))?;
        let hex32 = |s: &str| hex::decode(s).map_err(|_| bad(format!("{s:?} is not hex")));
        if p.hashes.len() > crate::limits::MAX_PROOF_HASHES {
            return Err(Error::Limit {
                what: "inclusion proof hashes",
                found: p.hashes.len(),
                limit: crate::limits::MAX_PROOF_HASHES,
            });
        }
        Ok(TransparencyLogEntry {
            log_index: self.log_index,
            log_id: LogId {
                key_id: hex::decode(&self.log_id).map_err(|_| bad("logID is not hex".into()))?,
            },
            kind_version: KindVersion {
                kind: head.kind,
                version: head.api_version,
            },
            integrated_time: Some(self.integrated_time),
            inclusion_promise: Some(InclusionPromise {
                signed_entry_timestamp: crate::encoding::b64_decode("signedEntryTimestamp", set)?,
            }),
            inclusion_proof: Some(InclusionProof {
                log_index: p.log_index,
                root_hash: hex32(&p.root_hash)?,
                tree_size: p.tree_size,
                hashes: p.hashes.iter().map(|h| hex32(h)).collect::<Result<_>>()?,
                checkpoint: CheckpointEnvelope {
                    envelope: p
                        .checkpoint
                        .clone()
                        .ok_or_else(|| bad("inclusion proof has no checkpoint".into()))?,
                },
            }),
            canonicalized_body: body,
        })
    }
}

/// `verification` of a v1 LogEntry.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryVerification {
    /// Base64 SET.
    pub signed_entry_timestamp: Option<String>,
    /// Proof (hex hashes).
    pub inclusion_proof: Option<V1InclusionProof>,
}

/// v1 API inclusion proof (hex hashes).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V1InclusionProof {
    /// Index in the shard.
    pub log_index: i64,
    /// Hex root.
    pub root_hash: String,
    /// Tree size.
    pub tree_size: i64,
    /// Hex hashes.
    pub hashes: Vec<String>,
    /// Checkpoint note.
    pub checkpoint: Option<String>,
}
