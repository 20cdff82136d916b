//! The one builder of each Rekor entry body and proposed entry, so that what a client
//! proposes, what the log records and what a verifier rebuilds come from the same code.
//!
//! Bodies are JSON values; a log stores them canonicalized (RFC 8785), and comparisons are of
//! canonical forms. Digests are raw bytes: Rekor v1 writes them as lowercase hex, Rekor v2 as
//! base64 (`SHA2_256`).

use serde_json::{json, Value};

use crate::encoding::b64_encode;

/// The `keyDetails` of the ECDSA P-256 / SHA-256 keys Sigstore clients sign with.
pub const P256_KEY_DETAILS: &str = "PKIX_ECDSA_P256_SHA_256";

/// Rekor v1 `hashedrekord` 0.0.1 over a SHA-256 `digest`: the logged body and, identically, the
/// proposed entry. `verifier_pem` is the signer's PEM certificate or public key.
pub fn hashedrekord_v001(digest: &[u8], signature: &[u8], verifier_pem: &[u8]) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
            "signature": {
                "content": b64_encode(signature),
                "publicKey": {"content": b64_encode(verifier_pem)},
            },
        },
    })
}

/// Rekor v1 `dsse` 0.0.1 as proposed: the envelope (its JSON text) and the verifiers' PEMs.
pub fn dsse_v001_request(envelope_json: &str, verifiers_pem: &[&[u8]]) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope_json,
            "verifiers": verifiers_pem.iter().map(b64_encode).collect::<Vec<_>>(),
        }},
    })
}

/// Rekor v1 `dsse` 0.0.1 as logged: the SHA-256 of the envelope's JSON text and of the
/// payload, and each signature with the PEM of the verifier it verifies under, ordered by
/// signature (as Rekor does).
pub fn dsse_v001(
    envelope_hash: &[u8],
    payload_hash: &[u8],
    signatures: &[(&[u8], &[u8])],
) -> Value {
    let mut sigs: Vec<(String, String)> = signatures
        .iter()
        .map(|(sig, pem)| (b64_encode(sig), b64_encode(pem)))
        .collect();
    sigs.sort();
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex::encode(envelope_hash)},
            "payloadHash": {"algorithm": "sha256", "value": hex::encode(payload_hash)},
            "signatures": sigs
                .into_iter()
                .map(|(s, v)| json!({"signature": s, "verifier": v}))
                .collect::<Vec<_>>(),
        },
    })
}

/// A Rekor v2 verifier: a public key (SPKI DER) or a certificate (DER), with `keyDetails`.
#[derive(Debug, Clone, Copy)]
pub enum V2Verifier<'a> {
    /// `publicKey.rawBytes`.
    PublicKey {
        /// SPKI DER.
        spki: &'a [u8],
        /// Its `keyDetails`.
        key_details: &'a str,
    },
    /// `x509Certificate.rawBytes`.
    Certificate {
        /// Certificate DER.
        der: &'a [u8],
        /// Its key's `keyDetails`.
        key_details: &'a str,
    },
}

impl V2Verifier<'_> {
    /// The verifier object of a Rekor v2 body or request.
    pub fn to_json(&self) -> Value {
        match self {
            V2Verifier::PublicKey { spki, key_details } => {
                json!({"publicKey": {"rawBytes": b64_encode(spki)}, "keyDetails": key_details})
            }
            V2Verifier::Certificate { der, key_details } => {
                json!({"x509Certificate": {"rawBytes": b64_encode(der)}, "keyDetails": key_details})
            }
        }
    }
}

fn v2_signature(signature: &[u8], verifier: &Value) -> Value {
    json!({"content": b64_encode(signature), "verifier": verifier})
}

/// Rekor v2 `hashedrekord` 0.0.2 as logged, over a SHA-256 `digest`.
pub fn hashedrekord_v002(digest: &[u8], signature: &[u8], verifier: &Value) -> Value {
    json!({
        "apiVersion": "0.0.2",
        "kind": "hashedrekord",
        "spec": {"hashedRekordV002": {
            "data": {"algorithm": "SHA2_256", "digest": b64_encode(digest)},
            "signature": v2_signature(signature, verifier),
        }},
    })
}

/// Rekor v2 `hashedRekordRequestV002` as proposed.
pub fn hashedrekord_v002_request(digest: &[u8], signature: &[u8], verifier: &Value) -> Value {
    json!({"hashedRekordRequestV002": {
        "digest": b64_encode(digest),
        "signature": v2_signature(signature, verifier),
    }})
}

/// Rekor v2 `dsse` 0.0.2 as logged: the payload's SHA-256 and each signature with its
/// verifier, in the envelope's order.
pub fn dsse_v002(payload_hash: &[u8], signatures: &[(&[u8], &Value)]) -> Value {
    json!({
        "apiVersion": "0.0.2",
        "kind": "dsse",
        "spec": {"dsseV002": {
            "payloadHash": {"algorithm": "SHA2_256", "digest": b64_encode(payload_hash)},
            "signatures": signatures
                .iter()
                .map(|(sig, v)| v2_signature(sig, v))
                .collect::<Vec<_>>(),
        }},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rekor::EntryBody;

    fn canonical(v: &Value) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(v).unwrap()
    }

    #[test]
    fn every_logged_body_parses_as_its_kind() {
        let d = [7u8; 32];
        let v = V2Verifier::PublicKey {
            spki: b"spki",
            key_details: P256_KEY_DETAILS,
        }
        .to_json();
        for (body, kind, version) in [
            (
                hashedrekord_v001(&d, b"sig", b"pem"),
                "hashedrekord",
                "0.0.1",
            ),
            (
                dsse_v001(&d, &d, &[(b"s2", b"p2"), (b"s1", b"p1")]),
                "dsse",
                "0.0.1",
            ),
            (hashedrekord_v002(&d, b"sig", &v), "hashedrekord", "0.0.2"),
            (dsse_v002(&d, &[(b"sig", &v)]), "dsse", "0.0.2"),
        ] {
            EntryBody::parse(&canonical(&body), kind, version)
                .unwrap_or_else(|e| panic!("{kind} {version}: {e}"));
        }
    }

    #[test]
    fn dsse_v001_signatures_are_ordered_by_signature() {
        let d = [1u8; 32];
        let a = dsse_v001(&d, &d, &[(b"zz", b"p1"), (b"aa", b"p2")]);
        let b = dsse_v001(&d, &d, &[(b"aa", b"p2"), (b"zz", b"p1")]);
        assert_eq!(canonical(&a), canonical(&b));
    }
}
