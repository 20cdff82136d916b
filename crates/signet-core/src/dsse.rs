//! DSSE envelopes and the pre-authentication encoding (PAE).

use serde::{Deserialize, Serialize};

use crate::encoding::{base64_bytes, parse_json};
use crate::Result;

/// The in-toto payload type.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Payload bytes.
    #[serde(with = "base64_bytes")]
    pub payload: Vec<u8>,
    /// Payload type.
    pub payload_type: String,
    /// Signatures.
    #[serde(default, deserialize_with = "cap_signatures")]
    pub signatures: Vec<Signature>,
}

crate::capped_fn!(
    cap_signatures,
    Signature,
    "DSSE signatures",
    crate::limits::MAX_DSSE_SIGNATURES
);

/// A DSSE signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Signature bytes.
    #[serde(with = "base64_bytes")]
    pub sig: Vec<u8>,
    /// Optional key ID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
}

/// `PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    pae_pieces(payload_type, payload, |b| out.extend_from_slice(b));
    out
}

/// The pieces of [`pae`]`(payload_type, payload)`, in order, each handed to `put`.
fn pae_pieces(payload_type: &str, payload: &[u8], mut put: impl FnMut(&[u8])) {
    put(b"DSSEv1 ");
    put(payload_type.len().to_string().as_bytes());
    put(b" ");
    put(payload_type.as_bytes());
    put(b" ");
    put(payload.len().to_string().as_bytes());
    put(b" ");
    put(payload);
}

/// SHA-256 of [`pae`]`(payload_type, payload)`, without building the PAE.
pub fn pae_sha256(payload_type: &str, payload: &[u8]) -> [u8; 32] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    pae_pieces(payload_type, payload, |b| ctx.update(b));
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

impl Envelope {
    /// Parse envelope JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        parse_json("DSSE envelope", bytes)
    }
    /// The PAE of this envelope.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// SHA-256 of [`Envelope::pae`], hashed piece by piece (the payload is not copied).
    pub fn pae_sha256(&self) -> [u8; 32] {
        pae_sha256(&self.payload_type, &self.payload)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pae_sha256_is_sha256_of_pae() {
        for (t, p) in [
            ("", &b""[..]),
            ("application/vnd.in-toto+json", &[7u8; 5000][..]),
        ] {
            assert_eq!(
                super::pae_sha256(t, p),
                crate::encoding::sha256(&super::pae(t, p))
            );
        }
    }

    #[test]
    fn pae_vector() {
        // From the DSSE spec.
        assert_eq!(
            super::pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}
