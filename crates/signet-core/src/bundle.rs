//! The Sigstore bundle (protobuf-specs `dev.sigstore.bundle.v1.Bundle`), JSON form, v0.1–v0.3.

use serde::{Deserialize, Serialize};

use crate::dsse::Envelope;
use crate::encoding::{base64_bytes, int_string};
use crate::{limits, Error, Result};

/// Media type of bundle v0.1.
pub const MEDIA_TYPE_V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";
/// Media type of bundle v0.2.
pub const MEDIA_TYPE_V02: &str = "application/vnd.dev.sigstore.bundle+json;version=0.2";
/// Media type of bundle v0.3.
pub const MEDIA_TYPE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Alternate spelling of the v0.3 media type.
pub const MEDIA_TYPE_V03_ALT: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";

crate::capped_fn!(
    cap_chain,
    X509Certificate,
    "certificates in x509CertificateChain",
    limits::MAX_CHAIN_CERTS
);
crate::capped_fn!(
    cap_tlog_entries,
    TransparencyLogEntry,
    "transparency log entries",
    limits::MAX_TLOG_ENTRIES
);
crate::capped_fn!(
    cap_timestamps,
    Rfc3161SignedTimestamp,
    "RFC 3161 timestamps",
    limits::MAX_TIMESTAMPS
);

fn cap_hashes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<Vec<u8>>, D::Error> {
    limits::capped::b64_vec(d, "inclusion proof hashes", limits::MAX_PROOF_HASHES)
}

/// Bundle format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleVersion {
    /// v0.1: certificate chain, inclusion promise required.
    V01,
    /// v0.2: certificate chain, inclusion proof required.
    V02,
    /// v0.3: single leaf certificate.
    V03,
}

/// A Sigstore bundle.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// The media type, which names the version.
    pub media_type: String,
    /// Certificate/key, tlog entries, timestamps.
    pub verification_material: VerificationMaterial,
    /// A signature over an artifact digest.
    pub message_signature: Option<MessageSignature>,
    /// A DSSE envelope.
    pub dsse_envelope: Option<Envelope>,
}

/// `VerificationMaterial`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    /// v0.3 leaf certificate.
    pub certificate: Option<X509Certificate>,
    /// v0.1/v0.2 certificate chain.
    pub x509_certificate_chain: Option<X509CertificateChain>,
    /// A managed key hint.
    pub public_key: Option<PublicKeyIdentifier>,
    /// Transparency log entries.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "cap_tlog_entries"
    )]
    pub tlog_entries: Vec<TransparencyLogEntry>,
    /// RFC 3161 timestamps.
    pub timestamp_verification_data: Option<TimestampVerificationData>,
}

/// `X509Certificate {rawBytes}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct X509Certificate {
    /// DER bytes.
    #[serde(with = "base64_bytes")]
    pub raw_bytes: Vec<u8>,
}

/// `X509CertificateChain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct X509CertificateChain {
    /// Leaf first.
    #[serde(default, deserialize_with = "cap_chain")]
    pub certificates: Vec<X509Certificate>,
}

/// `PublicKeyIdentifier {hint}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyIdentifier {
    /// Opaque key hint.
    #[serde(default)]
    pub hint: String,
}

/// `TimestampVerificationData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TimestampVerificationData {
    /// RFC 3161 signed timestamps.
    #[serde(default, deserialize_with = "cap_timestamps")]
    pub rfc3161_timestamps: Vec<Rfc3161SignedTimestamp>,
}

/// One RFC 3161 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rfc3161SignedTimestamp {
    /// DER TimeStampResp.
    #[serde(with = "base64_bytes")]
    pub signed_timestamp: Vec<u8>,
}

/// `MessageSignature`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSignature {
    /// The artifact digest (optional in the spec).
    pub message_digest: Option<HashOutput>,
    /// The signature.
    #[serde(with = "base64_bytes")]
    pub signature: Vec<u8>,
}

/// `HashOutput {algorithm, digest}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashOutput {
    /// `SHA2_256`, ...
    pub algorithm: String,
    /// Digest bytes.
    #[serde(with = "base64_bytes")]
    pub digest: Vec<u8>,
}

/// `LogId {keyId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    /// Key ID bytes.
    #[serde(with = "base64_bytes")]
    pub key_id: Vec<u8>,
}

/// `KindVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindVersion {
    /// e.g. `hashedrekord`.
    pub kind: String,
    /// e.g. `0.0.1`.
    pub version: String,
}

/// `InclusionPromise`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionPromise {
    /// The SET.
    #[serde(with = "base64_bytes")]
    pub signed_entry_timestamp: Vec<u8>,
}

/// `Checkpoint {envelope}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointEnvelope {
    /// The signed note text.
    pub envelope: String,
}

/// `InclusionProof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// Index of the leaf within this log shard.
    #[serde(with = "int_string", default)]
    pub log_index: i64,
    /// Root hash.
    #[serde(with = "base64_bytes")]
    pub root_hash: Vec<u8>,
    /// Tree size.
    #[serde(with = "int_string", default)]
    pub tree_size: i64,
    /// Audit path.
    #[serde(
        serialize_with = "base64_bytes::vec::serialize",
        deserialize_with = "cap_hashes",
        default
    )]
    pub hashes: Vec<Vec<u8>>,
    /// Signed checkpoint.
    pub checkpoint: CheckpointEnvelope,
}

/// `TransparencyLogEntry`. Protobuf JSON omits zero values, so a missing `logIndex` (or proof
/// `logIndex`/`treeSize`) means 0.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyLogEntry {
    /// Global log index.
    #[serde(with = "int_string", default)]
    pub log_index: i64,
    /// Log key ID.
    pub log_id: LogId,
    /// Entry kind and version.
    pub kind_version: KindVersion,
    /// Integration time (Rekor v1 only).
    #[serde(with = "int_string::option", default)]
    pub integrated_time: Option<i64>,
    /// SET.
    pub inclusion_promise: Option<InclusionPromise>,
    /// Inclusion proof with checkpoint.
    pub inclusion_proof: Option<InclusionProof>,
    /// Canonical entry body.
    #[serde(with = "base64_bytes")]
    pub canonicalized_body: Vec<u8>,
}

impl Bundle {
    /// Parse bundle JSON and check its structural rules.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > limits::MAX_BUNDLE_BYTES {
            return Err(Error::Limit {
                what: "bundle bytes",
                found: bytes.len(),
                limit: limits::MAX_BUNDLE_BYTES,
            });
        }
        let b: Bundle = crate::encoding::parse_with_fast_base64(|| serde_json::from_slice(bytes))
            .map_err(|source| Error::Json {
            what: "bundle",
            source,
        })?;
        b.validate()?;
        Ok(b)
    }

    /// Serialize as JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|source| Error::Json {
            what: "bundle",
            source,
        })
    }

    /// The bundle version from its media type.
    pub fn version(&self) -> Result<BundleVersion> {
        match self.media_type.as_str() {
            MEDIA_TYPE_V01 => Ok(BundleVersion::V01),
            MEDIA_TYPE_V02 => Ok(BundleVersion::V02),
            MEDIA_TYPE_V03 | MEDIA_TYPE_V03_ALT => Ok(BundleVersion::V03),
            other => Err(Error::invalid(
                "bundle",
                format!("unsupported media type {other:?}; expected a Sigstore bundle v0.1, v0.2 or v0.3"),
            )),
        }
    }

    /// Structural checks: version, content, certificates, caps.
    pub fn validate(&self) -> Result<()> {
        let v = self.version()?;
        let vm = &self.verification_material;
        match (
            self.message_signature.is_some(),
            self.dsse_envelope.is_some(),
        ) {
            (true, true) => {
                return Err(Error::invalid(
                    "bundle",
                    "has both messageSignature and dsseEnvelope",
                ))
            }
            (false, false) => {
                return Err(Error::invalid(
                    "bundle",
                    "has neither messageSignature nor dsseEnvelope",
                ))
            }
            _ => {}
        }
        let n_material = vm.certificate.is_some() as u8
            + vm.x509_certificate_chain.is_some() as u8
            + vm.public_key.is_some() as u8;
        if n_material != 1 {
            return Err(Error::invalid(
                "bundle",
                "verificationMaterial must hold exactly one of certificate, x509CertificateChain, publicKey",
            ));
        }
        if v < BundleVersion::V03 && vm.certificate.is_some() {
            return Err(Error::invalid(
                "bundle",
                "a single `certificate` needs bundle v0.3",
            ));
        }
        if v == BundleVersion::V03 && vm.x509_certificate_chain.is_some() {
            return Err(Error::invalid(
                "bundle",
                "bundle v0.3 must carry `certificate`, not `x509CertificateChain`",
            ));
        }
        if let Some(chain) = &vm.x509_certificate_chain {
            if chain.certificates.is_empty() {
                return Err(Error::invalid("bundle", "empty x509CertificateChain"));
            }
            if chain.certificates.len() > limits::MAX_CHAIN_CERTS {
                return Err(Error::Limit {
                    what: "chain certificates",
                    found: chain.certificates.len(),
                    limit: limits::MAX_CHAIN_CERTS,
                });
            }
        }
        if vm.tlog_entries.len() > limits::MAX_TLOG_ENTRIES {
            return Err(Error::Limit {
                what: "transparency log entries",
                found: vm.tlog_entries.len(),
                limit: limits::MAX_TLOG_ENTRIES,
            });
        }
        let n_ts = vm
            .timestamp_verification_data
            .as_ref()
            .map_or(0, |t| t.rfc3161_timestamps.len());
        if n_ts > limits::MAX_TIMESTAMPS {
            return Err(Error::Limit {
                what: "RFC 3161 timestamps",
                found: n_ts,
                limit: limits::MAX_TIMESTAMPS,
            });
        }
        // Duplicates would count one piece of evidence twice towards a threshold.
        for (i, e) in vm.tlog_entries.iter().enumerate() {
            if vm.tlog_entries[..i].iter().any(|o| {
                (o.log_id == e.log_id && o.log_index == e.log_index)
                    || o.canonicalized_body == e.canonicalized_body
            }) {
                return Err(Error::invalid(
                    "bundle",
                    format!(
                        "tlog entry #{i} duplicates an earlier entry (log index {})",
                        e.log_index
                    ),
                ));
            }
        }
        let ts = self.rfc3161_timestamps();
        for (i, t) in ts.iter().enumerate() {
            if ts[..i]
                .iter()
                .any(|o| o.signed_timestamp == t.signed_timestamp)
            {
                return Err(Error::invalid(
                    "bundle",
                    format!("RFC 3161 timestamp #{i} duplicates an earlier one"),
                ));
            }
        }
        for (i, e) in vm.tlog_entries.iter().enumerate() {
            if v == BundleVersion::V01 && e.inclusion_promise.is_none() {
                return Err(Error::invalid(
                    "bundle",
                    format!("v0.1 tlog entry #{i} has no inclusion promise"),
                ));
            }
            if v >= BundleVersion::V02 && e.inclusion_proof.is_none() {
                return Err(Error::invalid(
                    "bundle",
                    format!("tlog entry #{i} has no inclusion proof"),
                ));
            }
        }
        if let Some(env) = &self.dsse_envelope {
            if env.signatures.len() != 1 {
                return Err(Error::invalid(
                    "bundle",
                    format!(
                        "DSSE envelope must have exactly one signature, found {}",
                        env.signatures.len()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The leaf certificate DER (v0.3 `certificate`, or the first of the chain).
    pub fn leaf_certificate_der(&self) -> Option<&[u8]> {
        let vm = &self.verification_material;
        vm.certificate
            .as_ref()
            .map(|c| c.raw_bytes.as_slice())
            .or_else(|| {
                vm.x509_certificate_chain
                    .as_ref()?
                    .certificates
                    .first()
                    .map(|c| c.raw_bytes.as_slice())
            })
    }

    /// The artifact signature bytes (message signature, or the DSSE signature).
    pub fn signature_bytes(&self) -> Option<&[u8]> {
        if let Some(m) = &self.message_signature {
            return Some(&m.signature);
        }
        self.dsse_envelope
            .as_ref()?
            .signatures
            .first()
            .map(|s| s.sig.as_slice())
    }

    /// RFC 3161 timestamps carried.
    pub fn rfc3161_timestamps(&self) -> &[Rfc3161SignedTimestamp] {
        self.verification_material
            .timestamp_verification_data
            .as_ref()
            .map_or(&[], |t| &t.rfc3161_timestamps)
    }
}
