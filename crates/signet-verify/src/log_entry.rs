//! Checking a Rekor v1 log entry fetched from a log (`signet rekor get`): its SET, inclusion
//! proof and checkpoint against the trusted root's key for its log. No bundle is involved, so
//! no signer or artifact is checked; an entry of a log the trusted root does not list has only
//! its proof checked, and the result says so.

use signet_core::checkpoint::Checkpoint;
use signet_core::crypto::PublicKey;
use signet_core::encoding::b64_decode;
use signet_core::merkle;
use signet_core::rekor::{set_payload, LogEntry};
use signet_core::trust::TrustedRoot;

use crate::{Error, Result, Rule};

/// What [`check_log_entry`] verified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryChecks {
    /// The entry's log is in the trusted root (else no signature could be checked).
    pub log_trusted: bool,
    /// The SET verified with the log's key.
    pub set_verified: bool,
    /// The tree size the inclusion proof verified for.
    pub inclusion_tree_size: Option<u64>,
    /// The checkpoint matched the proof and its signature verified.
    pub checkpoint_verified: bool,
}

fn log_key(root: &TrustedRoot, log_id: &[u8]) -> Option<PublicKey> {
    root.tlogs
        .iter()
        .find(|t| t.log_id.key_id == log_id)
        .and_then(|t| {
            t.public_key
                .raw_bytes
                .as_ref()
                .and_then(|r| PublicKey::from_trusted_root(r, &t.public_key.key_details).ok())
        })
}

/// Whether `cp` is signed by one of the trusted root's transparency logs (its key and key ID);
/// for a log's own signed tree head, where no bundle names the log.
pub fn signed_by_trusted_log(root: &TrustedRoot, cp: &Checkpoint) -> bool {
    root.tlogs.iter().any(|t| {
        t.public_key
            .raw_bytes
            .as_ref()
            .and_then(|r| PublicKey::from_trusted_root(r, &t.public_key.key_details).ok())
            .is_some_and(|k| cp.verify(&k, &t.log_id.key_id).is_ok())
    })
}

impl EntryChecks {
    /// One line per check made, and one when the log is not trusted (so nothing was signed).
    pub fn notes(&self, log_id: &str) -> Vec<String> {
        let mut notes = vec![];
        if self.set_verified {
            notes.push("SET verified".into());
        }
        if let Some(n) = self.inclusion_tree_size {
            notes.push(format!("inclusion proof verified (tree size {n})"));
        }
        if self.checkpoint_verified {
            notes.push("checkpoint signature verified".into());
        }
        if !self.log_trusted {
            notes.push(format!(
                "log {log_id} is not in the trusted root: SET and checkpoint not verified"
            ));
        }
        notes
    }
}

/// Check `e`'s SET (when present and the log is trusted), its inclusion proof, and its
/// checkpoint (matching the proof, signed by the log's key). Any present check that fails is
/// an error.
pub fn check_log_entry(root: &TrustedRoot, e: &LogEntry) -> Result<EntryChecks> {
    let err = |rule: Rule, reason: String| Error::tlog(0, rule, reason);
    let mut out = EntryChecks::default();
    let body = b64_decode("body", &e.body)?;
    let log_id = hex::decode(&e.log_id)
        .map_err(|_| err(Rule::TlogField, format!("logID {:?} is not hex", e.log_id)))?;
    let key = log_key(root, &log_id);
    out.log_trusted = key.is_some();
    let v = e.verification.as_ref().ok_or_else(|| {
        err(
            Rule::TlogUnproven,
            "the entry carries no verification data".into(),
        )
    })?;
    if let (Some(set), Some(k)) = (&v.signed_entry_timestamp, &key) {
        let sig = b64_decode("signedEntryTimestamp", set)?;
        k.verify(
            &set_payload(&e.body, e.integrated_time, &e.log_id, e.log_index),
            &sig,
        )
        .map_err(|_| {
            err(
                Rule::InclusionPromise,
                "the signed entry timestamp does not verify with the trusted log key".into(),
            )
        })?;
        out.set_verified = true;
    }
    if let Some(p) = &v.inclusion_proof {
        let hashes: Vec<Vec<u8>> = p
            .hashes
            .iter()
            .map(hex::decode)
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| err(Rule::InclusionProof, "a proof hash is not hex".into()))?;
        let root_hash = hex::decode(&p.root_hash)
            .map_err(|_| err(Rule::InclusionProof, "rootHash is not hex".into()))?;
        if p.log_index < 0 || p.tree_size < 0 {
            return Err(err(
                Rule::TlogField,
                format!("proof index {} / tree size {}", p.log_index, p.tree_size),
            ));
        }
        merkle::verify_inclusion(
            p.log_index as u64,
            p.tree_size as u64,
            &merkle::leaf_hash(&body),
            &hashes,
            &root_hash,
        )
        .map_err(|x| err(Rule::InclusionProof, x.to_string()))?;
        out.inclusion_tree_size = Some(p.tree_size as u64);
        if let (Some(cp), Some(k)) = (&p.checkpoint, &key) {
            let c = Checkpoint::parse(cp)?;
            if c.size != p.tree_size as u64 || c.root_hash != root_hash {
                return Err(err(
                    Rule::InclusionProof,
                    format!(
                        "the checkpoint (size {}) does not match the proof (size {})",
                        c.size, p.tree_size
                    ),
                ));
            }
            c.verify(k, &log_id)
                .map_err(|x| err(Rule::CheckpointSignature, x.to_string()))?;
            out.checkpoint_verified = true;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_core::encoding::b64_encode;
    use signet_testing::{Identity, SignOptions, VirtualSigstore};

    /// A bundle's Rekor v1 entry as the log's API returns it.
    fn as_log_entry(e: &signet_core::bundle::TransparencyLogEntry) -> LogEntry {
        serde_json::from_value(signet_testing::rekor_v1_api_entry(e).unwrap().1).unwrap()
    }

    #[test]
    fn a_logged_entry_checks_and_each_proof_failure_is_named() {
        let vs = VirtualSigstore::new().unwrap();
        let b = vs
            .sign_message(
                b"artifact",
                &SignOptions::new(Identity::email("a@example.com"), "https://issuer.example"),
            )
            .unwrap();
        let e = as_log_entry(&b.verification_material.tlog_entries[0]);
        let root = vs.trusted_root();
        let c = check_log_entry(&root, &e).unwrap();
        assert!(
            c.log_trusted && c.set_verified && c.checkpoint_verified,
            "{c:?}"
        );
        assert!(c.inclusion_tree_size.is_some());

        // Another integrated time: the SET no longer covers the entry.
        let mut bad = e.clone();
        bad.integrated_time += 1;
        let err = check_log_entry(&root, &bad).unwrap_err().to_string();
        assert!(err.contains("signed entry timestamp"), "{err}");

        // Another body: the inclusion proof fails (the SET is checked first, so drop it).
        let mut bad = e.clone();
        bad.body = b64_encode(b"{}");
        bad.verification.as_mut().unwrap().signed_entry_timestamp = None;
        let err = check_log_entry(&root, &bad).unwrap_err().to_string();
        assert!(err.contains("inclusion") || err.contains("root"), "{err}");

        // A log the trusted root does not list: only the proof is checked, and it says so.
        let mut other = root.clone();
        other.tlogs.clear();
        let c = check_log_entry(&other, &e).unwrap();
        assert!(
            !c.log_trusted && !c.set_verified && !c.checkpoint_verified,
            "{c:?}"
        );
    }
}
