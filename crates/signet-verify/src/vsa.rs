//! SLSA verification summary attestations (VSA v1): the statement a verifier writes after
//! verifying artifacts (`signet slsa verify-artifact --emit-vsa`), and the checks of one
//! (`signet slsa verify-vsa`, as slsa-verifier's `verify-vsa`): subject digests, verifier ID,
//! resource URI, verification result and levels. The envelope's signature is checked here for
//! key-signed DSSE; a VSA in a Sigstore bundle is verified by [`crate::Verifier`] first.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use signet_core::crypto::PublicKey;
use signet_core::dsse::Envelope;
use signet_core::intoto::{Statement, Subject, STATEMENT_V1};
use signet_core::time::format_rfc3339;
use thiserror::Error as ThisError;

/// The VSA v1 predicate type.
pub const VSA_V1: &str = "https://slsa.dev/verification_summary/v1";

/// Why a VSA does not hold.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The envelope or statement is not a VSA.
    #[error("not a VSA: {0}")]
    Format(String),
    /// No signature verifies with the key.
    #[error(
        "no signature of the envelope verifies with the given key ({signatures} signature(s))"
    )]
    Signature {
        /// How many signatures the envelope has.
        signatures: usize,
    },
    /// A field is not what was expected.
    #[error("VSA {field}: expected {expected}, found {found}")]
    Mismatch {
        /// The field.
        field: &'static str,
        /// What the caller expects.
        expected: String,
        /// What the VSA says.
        found: String,
    },
}

fn mismatch(field: &'static str, expected: impl Into<String>, found: impl Into<String>) -> Error {
    Error::Mismatch {
        field,
        expected: expected.into(),
        found: found.into(),
    }
}

/// What a verifier attests it verified.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The verifier's ID (a URI).
    pub verifier_id: String,
    /// What was verified (a URI the policy is about, e.g. the artifact's download URL).
    pub resource_uri: String,
    /// The policy applied (a URI).
    pub policy_uri: String,
    /// The provenance verified: its name or URI, and its SHA-256 (hex).
    pub input_attestations: Vec<(String, String)>,
    /// The SLSA levels verified, e.g. `SLSA_BUILD_LEVEL_3`.
    pub verified_levels: Vec<String>,
    /// When (Unix seconds).
    pub time_verified: i64,
}

/// The VSA statement about `subjects` (name, SHA-256): verification PASSED as `summary` says.
pub fn statement(subjects: &[(String, [u8; 32])], summary: &Summary) -> Statement {
    Statement {
        type_: STATEMENT_V1.into(),
        subject: subjects
            .iter()
            .map(|(name, d)| Subject {
                name: name.clone(),
                digest: BTreeMap::from([("sha256".to_string(), hex::encode(d))]),
            })
            .collect(),
        predicate_type: VSA_V1.into(),
        predicate: Some(json!({
            "verifier": {"id": summary.verifier_id},
            "timeVerified": format_rfc3339(summary.time_verified),
            "resourceUri": summary.resource_uri,
            "policy": {"uri": summary.policy_uri},
            "inputAttestations": summary.input_attestations.iter()
                .map(|(uri, sha)| json!({"uri": uri, "digest": {"sha256": sha}}))
                .collect::<Vec<_>>(),
            "verificationResult": "PASSED",
            "verifiedLevels": summary.verified_levels,
            "slsaVersion": "1.0",
        })),
    }
}

/// What `verify-vsa` requires of a VSA.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// `ALG:HEX` digests, each of which some subject must have.
    pub subject_digests: Vec<String>,
    /// The verifier ID, exactly.
    pub verifier_id: String,
    /// The resource URI, exactly.
    pub resource_uri: String,
    /// Levels the VSA must attest: `SLSA_BUILD_LEVEL_N` is met by any build level ≥ N; other
    /// levels must be listed as given.
    pub verified_levels: Vec<String>,
}

/// A key-signed DSSE envelope (slsa-verifier's form): some signature verifies over the PAE
/// with `key`.
pub fn verify_key_signed(env: &Envelope, key: &PublicKey) -> Result<(), Error> {
    let pae = env.pae();
    if env
        .signatures
        .iter()
        .any(|s| key.verify(&pae, &s.sig).is_ok())
    {
        Ok(())
    } else {
        Err(Error::Signature {
            signatures: env.signatures.len(),
        })
    }
}

fn build_level(l: &str) -> Option<u32> {
    l.strip_prefix("SLSA_BUILD_LEVEL_")?.parse().ok()
}

/// Check a VSA statement (the verified envelope's payload) against `want`; the statement.
pub fn check(payload_type: &str, payload: &[u8], want: &Expect) -> Result<Value, Error> {
    if payload_type != signet_core::dsse::INTOTO_PAYLOAD_TYPE {
        return Err(mismatch(
            "payloadType",
            signet_core::dsse::INTOTO_PAYLOAD_TYPE,
            payload_type,
        ));
    }
    let st: Value = serde_json::from_slice(payload)
        .map_err(|e| Error::Format(format!("the payload is not JSON: {e}")))?;
    let s = |v: &Value| v.as_str().unwrap_or("none").to_string();
    if st["predicateType"] != VSA_V1 {
        return Err(mismatch("predicateType", VSA_V1, s(&st["predicateType"])));
    }
    let pred = &st["predicate"];
    if pred["verificationResult"] != "PASSED" {
        return Err(mismatch(
            "verificationResult",
            "PASSED",
            s(&pred["verificationResult"]),
        ));
    }
    if pred["verifier"]["id"] != want.verifier_id.as_str() {
        return Err(mismatch(
            "verifier.id",
            want.verifier_id.clone(),
            s(&pred["verifier"]["id"]),
        ));
    }
    if pred["resourceUri"] != want.resource_uri.as_str() {
        return Err(mismatch(
            "resourceUri",
            want.resource_uri.clone(),
            s(&pred["resourceUri"]),
        ));
    }
    let subjects = st["subject"].as_array().cloned().unwrap_or_default();
    for d in &want.subject_digests {
        let (alg, hex) = d
            .split_once(':')
            .ok_or_else(|| Error::Format(format!("subject digest {d:?} is not ALG:HEX")))?;
        let found = subjects.iter().any(|x| {
            x["digest"][alg]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(hex))
        });
        if !found {
            let have: Vec<String> = subjects.iter().map(|x| x["digest"].to_string()).collect();
            return Err(mismatch("subject digest", d.clone(), have.join(", ")));
        }
    }
    let levels: Vec<String> = pred["verifiedLevels"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let max_build = levels.iter().filter_map(|l| build_level(l)).max();
    for want_level in &want.verified_levels {
        let met = match build_level(want_level) {
            Some(n) => max_build.is_some_and(|m| m >= n),
            None => levels.contains(want_level),
        };
        if !met {
            return Err(mismatch(
                "verifiedLevels",
                want_level.clone(),
                levels.join(", "),
            ));
        }
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_core::keys::{Curve, EcKey};

    fn summary() -> Summary {
        Summary {
            verifier_id: "https://signet.example/verifier".into(),
            resource_uri: "https://example.com/artifact".into(),
            policy_uri: "https://example.com/policy".into(),
            input_attestations: vec![("artifact.intoto.jsonl".into(), "ab".repeat(32))],
            verified_levels: vec!["SLSA_BUILD_LEVEL_3".into()],
            time_verified: 1_700_000_000,
        }
    }

    fn expect() -> Expect {
        Expect {
            subject_digests: vec![format!("sha256:{}", "11".repeat(32))],
            verifier_id: "https://signet.example/verifier".into(),
            resource_uri: "https://example.com/artifact".into(),
            verified_levels: vec!["SLSA_BUILD_LEVEL_2".into()],
        }
    }

    #[test]
    fn a_written_vsa_checks_and_each_field_is_enforced() {
        let st = statement(&[("artifact".into(), [0x11; 32])], &summary());
        let payload = st.to_json().unwrap();
        let t = signet_core::dsse::INTOTO_PAYLOAD_TYPE;
        check(t, &payload, &expect()).unwrap();
        for (e, field) in [
            (
                Expect {
                    verifier_id: "https://other".into(),
                    ..expect()
                },
                "verifier.id",
            ),
            (
                Expect {
                    resource_uri: "https://other".into(),
                    ..expect()
                },
                "resourceUri",
            ),
            (
                Expect {
                    subject_digests: vec![format!("sha256:{}", "22".repeat(32))],
                    ..expect()
                },
                "subject digest",
            ),
            (
                Expect {
                    verified_levels: vec!["SLSA_BUILD_LEVEL_4".into()],
                    ..expect()
                },
                "verifiedLevels",
            ),
            (
                Expect {
                    verified_levels: vec!["FEDRAMP_LOW".into()],
                    ..expect()
                },
                "verifiedLevels",
            ),
        ] {
            let err = check(t, &payload, &e).unwrap_err().to_string();
            assert!(err.contains(field), "{field}: {err}");
        }
        assert!(check("text/plain", &payload, &expect()).is_err());
        // A failed verification is no summary to rely on.
        let failed = String::from_utf8(payload)
            .unwrap()
            .replace("PASSED", "FAILED");
        let err = check(t, failed.as_bytes(), &expect())
            .unwrap_err()
            .to_string();
        assert!(err.contains("verificationResult"), "{err}");
    }

    #[test]
    fn key_signed_envelopes_verify_only_with_their_key() {
        let key = EcKey::generate(Curve::P256).unwrap();
        let other = EcKey::generate(Curve::P256).unwrap();
        let payload = statement(&[("a".into(), [1; 32])], &summary())
            .to_json()
            .unwrap();
        let mut env = Envelope {
            payload,
            payload_type: signet_core::dsse::INTOTO_PAYLOAD_TYPE.into(),
            signatures: vec![],
        };
        let sig = key.sign(&env.pae()).unwrap();
        env.signatures.push(signet_core::dsse::Signature {
            sig,
            keyid: String::new(),
        });
        let pk = |k: &EcKey| PublicKey::from_spki_der(k.spki_der()).unwrap();
        verify_key_signed(&env, &pk(&key)).unwrap();
        assert_eq!(
            verify_key_signed(&env, &pk(&other)),
            Err(Error::Signature { signatures: 1 })
        );
    }
}
