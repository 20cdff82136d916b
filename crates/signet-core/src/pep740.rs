//! PEP 740 attestations (pypi-attestations' `Attestation`), and their conversion to and from
//! Sigstore bundles v0.3.

use serde::{Deserialize, Serialize};

use crate::bundle::{
    Bundle, TransparencyLogEntry, VerificationMaterial, X509Certificate, MEDIA_TYPE_V03,
};
use crate::dsse::{Envelope, Signature, INTOTO_PAYLOAD_TYPE};
use crate::encoding::{base64_bytes, parse_json};
use crate::{Error, Result};

/// A PEP 740 attestation object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// Always 1.
    pub version: u32,
    /// Certificate and transparency entries.
    pub verification_material: AttestationMaterial,
    /// The DSSE envelope, reduced to statement + signature.
    pub envelope: AttestationEnvelope,
}

/// `verification_material`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationMaterial {
    /// DER certificate.
    #[serde(with = "base64_bytes")]
    pub certificate: Vec<u8>,
    /// Transparency log entries (bundle JSON form).
    pub transparency_entries: Vec<TransparencyLogEntry>,
}

/// `envelope`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationEnvelope {
    /// The in-toto statement bytes (DSSE payload).
    #[serde(with = "base64_bytes")]
    pub statement: Vec<u8>,
    /// The DSSE signature.
    #[serde(with = "base64_bytes")]
    pub signature: Vec<u8>,
}

impl Attestation {
    /// Parse attestation JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let a: Attestation = parse_json("PEP 740 attestation", bytes)?;
        if a.version != 1 {
            return Err(Error::invalid(
                "PEP 740 attestation",
                format!("version {}, expected 1", a.version),
            ));
        }
        Ok(a)
    }

    /// The equivalent Sigstore bundle v0.3 (DSSE, in-toto payload type).
    pub fn to_bundle(&self) -> Bundle {
        Bundle {
            media_type: MEDIA_TYPE_V03.into(),
            verification_material: VerificationMaterial {
                certificate: Some(X509Certificate {
                    raw_bytes: self.verification_material.certificate.clone(),
                }),
                tlog_entries: self.verification_material.transparency_entries.clone(),
                ..Default::default()
            },
            message_signature: None,
            dsse_envelope: Some(Envelope {
                payload: self.envelope.statement.clone(),
                payload_type: INTOTO_PAYLOAD_TYPE.into(),
                signatures: vec![Signature {
                    sig: self.envelope.signature.clone(),
                    keyid: String::new(),
                }],
            }),
        }
    }

    /// `pypi-attestations convert` both ways: a PEP 740 attestation (it has `envelope` and
    /// `verification_material`) becomes a Sigstore bundle, anything else is read as a bundle
    /// and becomes an attestation. Returns the converted JSON.
    pub fn convert(json: &[u8]) -> Result<String> {
        let v: serde_json::Value = parse_json("attestation or bundle", json)?;
        if v.get("envelope").is_some() && v.get("verification_material").is_some() {
            return Attestation::from_json(json)?.to_bundle().to_json();
        }
        let att = Attestation::from_bundle(&Bundle::from_json(json)?)?;
        serde_json::to_string(&att).map_err(|source| Error::Json {
            what: "PEP 740 attestation",
            source,
        })
    }

    /// Convert a DSSE bundle with a leaf certificate to an attestation.
    pub fn from_bundle(b: &Bundle) -> Result<Self> {
        let env = b.dsse_envelope.as_ref().ok_or_else(|| {
            Error::invalid(
                "bundle",
                "a PEP 740 attestation needs a DSSE envelope, found a message signature",
            )
        })?;
        if env.payload_type != INTOTO_PAYLOAD_TYPE {
            return Err(Error::invalid(
                "bundle",
                format!(
                    "DSSE payload type {:?}, expected {INTOTO_PAYLOAD_TYPE:?}",
                    env.payload_type
                ),
            ));
        }
        let [sig] = env.signatures.as_slice() else {
            return Err(Error::invalid(
                "bundle",
                format!(
                    "expected exactly one DSSE signature, found {}",
                    env.signatures.len()
                ),
            ));
        };
        let cert = b
            .leaf_certificate_der()
            .ok_or_else(|| Error::invalid("bundle", "no signing certificate"))?;
        Ok(Attestation {
            version: 1,
            verification_material: AttestationMaterial {
                certificate: cert.to_vec(),
                transparency_entries: b.verification_material.tlog_entries.clone(),
            },
            envelope: AttestationEnvelope {
                statement: env.payload.clone(),
                signature: sig.sig.clone(),
            },
        })
    }
}
