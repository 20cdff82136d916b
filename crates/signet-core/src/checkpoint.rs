//! Signed notes (C2SP signed-note) and transparency log checkpoints (C2SP tlog-checkpoint).
//!
//! A checkpoint is a note whose body is `origin\nsize\nbase64(root)\n[extension lines]`, followed by
//! a blank line and one or more signature lines `— <name> base64(keyhint[4] || signature)`.
//! Rekor v1 signs with ECDSA and a key hint of `SHA256(SPKI)[:4]`; Rekor v2 (tessera) signs with
//! Ed25519 and a key ID of `SHA256(name || 0x0A || 0x01 || pubkey)`. In both cases the trusted
//! root's `logId` starts with the 4-byte hint, so a verifier looks signature lines up by
//! `logId[..4]` and ignores lines (witness cosignatures) it cannot match.

use crate::crypto::PublicKey;
use crate::encoding::{b64_decode_std, sha256};
use crate::{limits, Error, Result};

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer name.
    pub name: String,
    /// First four bytes of the signer's key ID.
    pub key_hint: [u8; 4],
    /// Signature bytes (after the hint).
    pub signature: Vec<u8>,
}

/// A parsed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log origin line (e.g. `rekor.sigstore.dev - 1193050959916656506`).
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash (32 bytes).
    pub root_hash: Vec<u8>,
    /// Optional extension lines after the root hash.
    pub extensions: Vec<String>,
    /// The signed text (body through its final newline).
    pub text: String,
    /// Signature lines.
    pub signatures: Vec<NoteSignature>,
}

const SIG_PREFIX: &str = "\u{2014} ";

impl Checkpoint {
    /// Parse a checkpoint envelope.
    pub fn parse(envelope: &str) -> Result<Self> {
        let bad = |reason: String| Error::invalid("checkpoint", reason);
        let split = envelope
            .find("\n\n")
            .ok_or_else(|| bad("no blank line between the note body and its signatures".into()))?;
        let text = &envelope[..split + 1];
        let sig_block = &envelope[split + 2..];
        let mut lines = text.lines();
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("missing origin line".into()))?;
        let size_line = lines
            .next()
            .ok_or_else(|| bad("missing tree size line".into()))?;
        let size: u64 = size_line.parse().map_err(|_| {
            bad(format!(
                "tree size must be a decimal integer, found {size_line:?}"
            ))
        })?;
        let root_line = lines
            .next()
            .ok_or_else(|| bad("missing root hash line".into()))?;
        let root_hash = b64_decode_std("checkpoint root hash", root_line)?;
        if root_hash.len() != 32 {
            return Err(bad(format!(
                "root hash is {} bytes, expected 32",
                root_hash.len()
            )));
        }
        let mut extensions: Vec<String> = Vec::new();
        for l in lines {
            if extensions.len() == limits::MAX_NOTE_EXTENSIONS {
                return Err(Error::Limit {
                    what: "checkpoint extension lines",
                    found: extensions.len() + 1,
                    limit: limits::MAX_NOTE_EXTENSIONS,
                });
            }
            extensions.push(l.to_string());
        }
        if extensions.iter().any(|l| l.is_empty()) {
            return Err(bad("empty line inside the note body".into()));
        }
        if !sig_block.ends_with('\n') {
            return Err(bad("signature block does not end with a newline".into()));
        }
        let mut signatures = Vec::new();
        for line in sig_block.lines() {
            if signatures.len() >= limits::MAX_NOTE_SIGNATURES {
                return Err(Error::Limit {
                    what: "checkpoint signatures",
                    found: signatures.len() + 1,
                    limit: limits::MAX_NOTE_SIGNATURES,
                });
            }
            let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
                bad(format!(
                    "signature line must start with \"— \", found {line:?}"
                ))
            })?;
            let (name, b64) = rest
                .rsplit_once(' ')
                .ok_or_else(|| bad(format!("malformed signature line {line:?}")))?;
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(bad(format!("malformed signer name in {line:?}")));
            }
            let raw = b64_decode_std("checkpoint signature", b64)?;
            if raw.len() < 5 {
                return Err(bad(format!(
                    "signature of {name} is too short ({} bytes)",
                    raw.len()
                )));
            }
            let mut key_hint = [0u8; 4];
            key_hint.copy_from_slice(&raw[..4]);
            signatures.push(NoteSignature {
                name: name.to_string(),
                key_hint,
                signature: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(bad("no signature lines".into()));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root_hash,
            extensions,
            text: text.to_string(),
            signatures,
        })
    }

    /// Verify that the log whose key ID is `log_id` (the trusted root's `logId.keyId`) signed
    /// this checkpoint with `key`. Lines with other key hints are ignored (cosignatures).
    pub fn verify(&self, key: &PublicKey, log_id: &[u8]) -> Result<()> {
        // The signer name is not covered by the signature, so bind it to the origin: Rekor v1
        // names itself by the origin's host part (`rekor.sigstore.dev - 1193...`), tessera logs
        // by the whole origin.
        let log_name = self.origin.split(" - ").next().unwrap_or(&self.origin);
        self.verify_signer(key, log_id, log_name)
    }

    /// Verify that the signer `name` (bound by the caller to the log in the trust material)
    /// signed this checkpoint with `key`; its signature line must carry `name` and the key hint
    /// `log_id[..4]`. Other lines (witness cosignatures) are ignored.
    pub fn verify_signer(&self, key: &PublicKey, log_id: &[u8], name: &str) -> Result<()> {
        if log_id.len() < 4 {
            return Err(Error::invalid(
                "log ID",
                format!("{} bytes, expected at least 4", log_id.len()),
            ));
        }
        let mut candidates = 0;
        for s in self
            .signatures
            .iter()
            .filter(|s| s.key_hint[..] == log_id[..4] && s.name == name)
        {
            candidates += 1;
            if key.verify(self.text.as_bytes(), &s.signature).is_ok() {
                return Ok(());
            }
        }
        Err(Error::signature(if candidates == 0 {
            format!(
                "checkpoint for {:?} has no signature by {name:?} with key hint {} (found: {})",
                self.origin,
                hex::encode(&log_id[..4]),
                self.signatures
                    .iter()
                    .map(|s| format!("{} {}", s.name, hex::encode(s.key_hint)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!(
                "checkpoint signature of {:?} does not verify with the trusted log key",
                self.origin
            )
        }))
    }
}

/// C2SP signed-note key ID of an Ed25519 key: `SHA256(name || 0x0A || 0x01 || pubkey)`.
pub fn ed25519_key_id(name: &str, raw_public_key: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(name.len() + 2 + raw_public_key.len());
    buf.extend_from_slice(name.as_bytes());
    buf.push(0x0a);
    buf.push(0x01);
    buf.extend_from_slice(raw_public_key);
    sha256(&buf)
}

/// Format a checkpoint body (`origin\nsize\nroot\n`), for signers.
pub fn format_body(origin: &str, size: u64, root: &[u8]) -> String {
    format!("{origin}\n{size}\n{}\n", crate::encoding::b64_encode(root))
}

/// A C2SP signed note: `text` (ending in a newline), a blank line, and the signature line
/// `— <name> base64(key_hint || signature)`. The one note formatter: the log engine and the
/// test logs sign through it.
pub fn signed_note(text: &str, name: &str, key_hint: [u8; 4], signature: &[u8]) -> String {
    let mut blob = Vec::with_capacity(4 + signature.len());
    blob.extend_from_slice(&key_hint);
    blob.extend_from_slice(signature);
    format!(
        "{text}\n\u{2014} {name} {}\n",
        crate::encoding::b64_encode(&blob)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CP: &str = "rekor.sigstore.dev - 1193050959916656506\n52399943\nhqvw0FQCIYaF/NDqRAUSK9i96xcNeS7DTwPmYt/eHvY=\n\n\u{2014} rekor.sigstore.dev wNI9ajBFAiEA7gU5Lb2yJbaL4eQ2xInWUk7ywjJu6SlS0ZCM0V/gCUwCIHDOj2jkhAGr5FcrC3dR4vxKrc5aD2HjRHoH2rd2/uhu\n";

    /// The C2SP note's signature and root lines are standard base64: a URL-safe or unpadded
    /// spelling of the same bytes is refused, not silently accepted.
    #[test]
    fn checkpoint_lines_must_be_standard_base64() {
        assert!(Checkpoint::parse(CP).is_ok());
        let url_safe_sig = CP.replace("V/gCU", "V_gCU");
        assert!(Checkpoint::parse(&url_safe_sig).is_err());
        let unpadded_root = CP.replace("HvY=\n", "HvY\n");
        assert_ne!(unpadded_root, CP);
        assert!(Checkpoint::parse(&unpadded_root).is_err());
    }

    #[test]
    fn parses() {
        let c = Checkpoint::parse(CP).unwrap();
        assert_eq!(c.size, 52399943);
        assert_eq!(c.signatures.len(), 1);
        assert_eq!(c.signatures[0].name, "rekor.sigstore.dev");
        assert_eq!(hex::encode(c.signatures[0].key_hint), "c0d23d6a");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "origin\n1\n",
            "origin\nx\nhqvw0FQCIYaF/NDqRAUSK9i96xcNeS7DTwPmYt/eHvY=\n\n\u{2014} a AAAAAAA=\n",
            "origin\n1\nAAAA\n\n\u{2014} a AAAAAAA=\n",
            "origin\n1\nhqvw0FQCIYaF/NDqRAUSK9i96xcNeS7DTwPmYt/eHvY=\n\n- a AAAAAAA=\n",
            "origin\n1\nhqvw0FQCIYaF/NDqRAUSK9i96xcNeS7DTwPmYt/eHvY=\n\n",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ed25519_roundtrip_with_cosignature() {
        use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
        let kp = Ed25519KeyPair::generate().unwrap();
        let raw = kp.public_key().as_ref().to_vec();
        let id = ed25519_key_id("log.example", &raw);
        let body = format_body("log.example", 10, &[7u8; 32]);
        let sig = kp.sign(body.as_bytes());
        let mut line = id[..4].to_vec();
        line.extend_from_slice(sig.as_ref());
        let env = format!(
            "{body}\n\u{2014} witness.example AAAAAAAAAAAAAAAAAAAAAAAA\n\u{2014} log.example {}\n",
            crate::encoding::b64_encode(&line)
        );
        let c = Checkpoint::parse(&env).unwrap();
        // Ed25519 SPKI for the raw key.
        let mut spki = hex::decode("302a300506032b6570032100").unwrap();
        spki.extend_from_slice(&raw);
        let pk = PublicKey::from_spki_der(&spki).unwrap();
        c.verify(&pk, &id).unwrap();
        let tampered = env.replacen("\n10\n", "\n11\n", 1);
        assert!(Checkpoint::parse(&tampered)
            .unwrap()
            .verify(&pk, &id)
            .is_err());
        let mut other = id;
        other[0] ^= 1;
        assert!(c.verify(&pk, &other).is_err());
    }
}
