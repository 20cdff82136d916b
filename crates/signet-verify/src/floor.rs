//! The "crypto floor" of a bundle: the signature checks verification cannot skip, isolated so a
//! benchmark can time them alone and compare the full verification against their sum.

use signet_core::bundle::Bundle;
use signet_core::checkpoint::Checkpoint;
use signet_core::crypto::{HashAlg, PublicKey};
use signet_core::encoding::b64_encode;
use signet_core::rekor::set_payload;
use signet_core::sct::parse_sct_list;
use signet_core::x509::Certificate;

use crate::{Artifact, Error, Result, Verifier};

enum Check {
    Plain,
    X509(const_oid::ObjectIdentifier),
    Prehashed,
}

/// One mandatory signature verification, with its inputs prepared.
pub struct SignatureCheck {
    /// What is checked ("leaf certificate by CA", "SCT", "SET", "checkpoint", "artifact").
    pub what: &'static str,
    key: PublicKey,
    check: Check,
    message: Vec<u8>,
    sig: Vec<u8>,
}

impl SignatureCheck {
    /// Run the verification; true if it holds.
    pub fn run(&self) -> bool {
        match &self.check {
            Check::Plain => self.key.verify(&self.message, &self.sig).is_ok(),
            Check::X509(oid) => self.key.verify_x509(oid, &self.message, &self.sig).is_ok(),
            Check::Prehashed => self
                .key
                .verify_prehashed(HashAlg::Sha256, &self.message, &self.sig)
                .is_ok(),
        }
    }
}

impl Verifier {
    /// The signature checks a verification of `bundle` must perform (CA chain links excluded:
    /// they are checked once per trusted root, not per bundle).
    pub fn mandatory_signature_checks(
        &self,
        bundle: &Bundle,
        artifact: Artifact<'_>,
    ) -> Result<Vec<SignatureCheck>> {
        let leaf = Certificate::from_der(
            bundle
                .leaf_certificate_der()
                .ok_or_else(|| Error::Usage("no certificate".into()))?,
        )?;
        let issuer = leaf.issuer_der()?;
        let ca = self
            .m
            .cas
            .iter()
            .flat_map(|c| c.certs.iter())
            .find(|c| c.subject_der == issuer)
            .ok_or_else(|| Error::chain(crate::Rule::ChainIssuer, "no CA"))?;
        let mut out = vec![SignatureCheck {
            what: "leaf certificate by CA",
            key: ca.key.clone(),
            check: Check::X509(leaf.signature_algorithm()),
            message: leaf.tbs_der()?.to_vec(),
            sig: leaf.signature().to_vec(),
        }];
        if let Some(list) = leaf.sct_list()? {
            let tbs = leaf.precert_tbs_der()?;
            if let Some((s, k)) = parse_sct_list(&list)?.into_iter().find_map(|s| {
                let k = self.m.ctlogs.get(&s.log_id)?.first()?.key.clone();
                Some((s, k))
            }) {
                out.push(SignatureCheck {
                    what: "SCT",
                    key: k,
                    check: Check::Plain,
                    message: s.signed_data(&ca.key_hash, &tbs),
                    sig: s.signature,
                });
            }
        }
        for e in &bundle.verification_material.tlog_entries {
            let Some(t) = self.m.tlogs.iter().find(|k| k.log_id == e.log_id.key_id) else {
                continue;
            };
            if let (Some(p), Some(it)) = (&e.inclusion_promise, e.integrated_time) {
                out.push(SignatureCheck {
                    what: "SET",
                    key: t.key.clone(),
                    check: Check::Plain,
                    message: set_payload(
                        &b64_encode(&e.canonicalized_body),
                        it,
                        &hex::encode(&e.log_id.key_id),
                        e.log_index,
                    ),
                    sig: p.signed_entry_timestamp.clone(),
                });
            }
            if let Some(p) = &e.inclusion_proof {
                let cp = Checkpoint::parse(&p.checkpoint.envelope)?;
                if let Some(s) = cp
                    .signatures
                    .iter()
                    .find(|s| s.key_hint[..] == t.log_id[..4])
                {
                    out.push(SignatureCheck {
                        what: "checkpoint",
                        key: t.key.clone(),
                        check: Check::Plain,
                        message: cp.text.as_bytes().to_vec(),
                        sig: s.signature.clone(),
                    });
                }
            }
        }
        let key = leaf.public_key()?;
        if let Some(ms) = &bundle.message_signature {
            let (check, message) = match artifact {
                Artifact::Bytes(b) => (Check::Plain, b.to_vec()),
                Artifact::Sha256(d) => (Check::Prehashed, d.to_vec()),
                Artifact::Sha512(_) => return Err(Error::Artifact(
                    "a message signature signs the artifact's SHA-256; only its SHA-512 was given"
                        .into(),
                )),
            };
            out.push(SignatureCheck {
                what: "artifact",
                key,
                check,
                message,
                sig: ms.signature.clone(),
            });
        } else if let Some(env) = &bundle.dsse_envelope {
            out.push(SignatureCheck {
                what: "artifact",
                key,
                check: Check::Plain,
                message: env.pae(),
                sig: env
                    .signatures
                    .first()
                    .map(|s| s.sig.clone())
                    .unwrap_or_default(),
            });
        }
        Ok(out)
    }
}
