//! Step 3: the embedded SCTs (RFC 6962 section 3.2; sigstore-go `VerifySignedCertificateTimestamp`).
//!
//! Rules: an SCT counts if it is a v1 SCT from a CT log of the trusted root whose key was valid
//! at the SCT's time, declares SHA-256 and the signature algorithm of that log's key, and its
//! signature verifies over the precertificate entry bound to the issuing CA's key.

use signet_core::crypto::KeyKind;
use signet_core::sct;
use signet_core::x509::Certificate;

use crate::material::{in_range, CtKey, Material};
use crate::{Error, Result};

/// TLS `HashAlgorithm.sha256`.
const TLS_SHA256: u8 = 4;

/// The TLS `SignatureAlgorithm` a key signs SCTs with.
fn tls_signature_algorithm(k: &CtKey) -> u8 {
    match k.key.kind() {
        KeyKind::Rsa => 1,
        KeyKind::Ed25519 => 7,
        KeyKind::EcdsaP256 | KeyKind::EcdsaP384 | KeyKind::EcdsaP521 => 3,
    }
}

pub(crate) fn verify_scts(
    m: &Material,
    leaf: &Certificate,
    issuer_key_hash: &[u8; 32],
    threshold: usize,
) -> Result<()> {
    let list = leaf
        .sct_list()?
        .ok_or_else(|| Error::Sct("leaf certificate has no embedded SCT list".into()))?;
    let scts = sct::parse_sct_list(&list)?;
    let tbs = leaf.precert_tbs_der()?;
    let mut verified = 0;
    let mut reasons = vec![];
    for s in &scts {
        let Some(keys) = m.ctlogs.get(&s.log_id) else {
            reasons.push(format!("SCT from unknown log {}", hex::encode(s.log_id)));
            continue;
        };
        if s.version != 0 {
            reasons.push(format!("SCT version {}, expected 0 (v1)", s.version));
            continue;
        }
        if s.hash_alg != TLS_SHA256 {
            reasons.push(format!(
                "SCT from log {} declares hash algorithm {}, expected 4 (SHA-256)",
                hex::encode(s.log_id),
                s.hash_alg
            ));
            continue;
        }
        let t = i64::try_from(s.timestamp_ms / 1000).unwrap_or(i64::MAX);
        let data = s.signed_data(issuer_key_hash, &tbs);
        let mut why = "does not verify";
        let ok = keys.iter().any(|k| {
            if !in_range(t, Some(k.start), k.end) {
                why = "is outside its log key's validity";
                return false;
            }
            if s.sig_alg != tls_signature_algorithm(k) {
                why = "declares a signature algorithm that is not its log key's";
                return false;
            }
            k.key.verify(&data, &s.signature).is_ok()
        });
        if ok {
            verified += 1;
        } else {
            reasons.push(format!(
                "SCT from log {} (signature algorithm {}) {why}",
                hex::encode(s.log_id),
                s.sig_alg
            ));
        }
    }
    if verified < threshold {
        return Err(Error::Sct(format!(
            "{verified} of {} embedded SCTs verified, need {threshold}{}{}",
            scts.len(),
            if reasons.is_empty() { "" } else { ": " },
            reasons.join("; ")
        )));
    }
    Ok(())
}
