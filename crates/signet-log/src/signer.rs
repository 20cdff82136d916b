//! Checkpoint signers (C2SP signed-note).
//!
//! A [`NoteSigner`] produces the signature line of a checkpoint note:
//! `— <name> base64(key_hint[4] || signature)`. Two implementations cover Sigstore's logs:
//! [`Ed25519NoteSigner`] (Rekor v2 / tessera: key ID `SHA256(name || 0x0A || 0x01 || pubkey)`)
//! and [`EcdsaNoteSigner`] (Rekor v1: ECDSA P-256 with SHA-256, hint `SHA256(SPKI)[..4]`).

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::{Error, Result};

/// Signs checkpoint notes on behalf of a log.
pub trait NoteSigner: Send + Sync + 'static {
    /// The signer name written in the signature line. [`crate::Log::open`] requires it to equal
    /// the origin's part before `" - "` (what `Checkpoint::verify` binds it to).
    fn name(&self) -> &str;
    /// The 4-byte key hint prefixed to the signature.
    fn key_hint(&self) -> [u8; 4];
    /// The full log ID (trusted root `logId.keyId`) whose first four bytes are the hint.
    fn log_id(&self) -> [u8; 32];
    /// The public key as DER SubjectPublicKeyInfo.
    fn public_key_spki(&self) -> Vec<u8>;
    /// Sign `msg` (the checkpoint body).
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>>;
}

/// Format the full note: `text`, a blank line, and the signature line.
pub fn sign_note(signer: &dyn NoteSigner, text: &str) -> Result<String> {
    let sig = signer.sign(text.as_bytes())?;
    let mut blob = Vec::with_capacity(4 + sig.len());
    blob.extend_from_slice(&signer.key_hint());
    blob.extend_from_slice(&sig);
    Ok(format!(
        "{text}\n\u{2014} {} {}\n",
        signer.name(),
        STANDARD.encode(&blob)
    ))
}

/// Ed25519 signed-note signer (Rekor v2 / tessera).
pub struct Ed25519NoteSigner {
    name: String,
    key: Ed25519KeyPair,
    key_id: [u8; 32],
}

impl std::fmt::Debug for Ed25519NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Ed25519NoteSigner({}, {})",
            self.name,
            hex::encode(&self.key_id[..4])
        )
    }
}

impl Ed25519NoteSigner {
    /// Build from a PKCS#8 (v1 or v2) Ed25519 private key. `name` is the note signer name,
    /// normally the log origin.
    pub fn from_pkcs8(name: impl Into<String>, pkcs8: &[u8]) -> Result<Self> {
        let name = name.into();
        check_name(&name)?;
        let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(|e| Error::Key {
            what: "Ed25519",
            reason: format!("PKCS#8 rejected: {e}"),
        })?;
        let key_id = signet_core::checkpoint::ed25519_key_id(&name, key.public_key().as_ref());
        Ok(Ed25519NoteSigner { name, key, key_id })
    }

    /// The raw 32-byte public key.
    pub fn public_key_raw(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.key.public_key().as_ref());
        out
    }
}

impl NoteSigner for Ed25519NoteSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_hint(&self) -> [u8; 4] {
        let mut h = [0u8; 4];
        h.copy_from_slice(&self.key_id[..4]);
        h
    }
    fn log_id(&self) -> [u8; 32] {
        self.key_id
    }
    fn public_key_spki(&self) -> Vec<u8> {
        // SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (0 unused bits) raw-key }
        let mut spki = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki.extend_from_slice(self.key.public_key().as_ref());
        spki
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        Ok(self.key.sign(msg).as_ref().to_vec())
    }
}

/// ECDSA P-256 / SHA-256 signed-note signer (Rekor v1 checkpoints).
pub struct EcdsaNoteSigner {
    name: String,
    key: EcdsaKeyPair,
    spki: Vec<u8>,
    log_id: [u8; 32],
    rng: SystemRandom,
}

impl std::fmt::Debug for EcdsaNoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "EcdsaNoteSigner({}, {})",
            self.name,
            hex::encode(&self.log_id[..4])
        )
    }
}

impl EcdsaNoteSigner {
    /// Build from a PKCS#8 ECDSA P-256 private key. `name` is the note signer name (Rekor v1:
    /// the host part of the origin).
    pub fn from_pkcs8(name: impl Into<String>, pkcs8: &[u8]) -> Result<Self> {
        let name = name.into();
        check_name(&name)?;
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8).map_err(|e| {
                Error::Key {
                    what: "ECDSA P-256",
                    reason: format!("PKCS#8 rejected: {e}"),
                }
            })?;
        let spki = AsDer::<PublicKeyX509Der>::as_der(key.public_key())
            .map_err(|e| Error::Key {
                what: "ECDSA P-256",
                reason: format!("cannot encode the public key as SPKI: {e}"),
            })?
            .as_ref()
            .to_vec();
        let log_id = signet_core::encoding::sha256(&spki);
        Ok(EcdsaNoteSigner {
            name,
            key,
            spki,
            log_id,
            rng: SystemRandom::new(),
        })
    }
}

impl NoteSigner for EcdsaNoteSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_hint(&self) -> [u8; 4] {
        let mut h = [0u8; 4];
        h.copy_from_slice(&self.log_id[..4]);
        h
    }
    fn log_id(&self) -> [u8; 32] {
        self.log_id
    }
    fn public_key_spki(&self) -> Vec<u8> {
        self.spki.clone()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        self.key
            .sign(&self.rng, msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| Error::Signing {
                signer: self.name.clone(),
            })
    }
}

/// A signed-note signer over any [`signet_core::signer::Signer`] (a file key or a key in a
/// PKCS#11 token): an Ed25519 key signs as Rekor v2 / tessera (key ID
/// `SHA256(name || 0x0A || 0x01 || pubkey)`), an ECDSA key as Rekor v1 and the CT log (hint
/// `SHA256(SPKI)[..4]`), exactly as [`Ed25519NoteSigner`] and [`EcdsaNoteSigner`] do.
pub struct KeyNoteSigner {
    name: String,
    key: signet_core::signer::SharedSigner,
    log_id: [u8; 32],
}

impl std::fmt::Debug for KeyNoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyNoteSigner({}, {:?}, {})",
            self.name,
            self.key,
            hex::encode(&self.log_id[..4])
        )
    }
}

impl KeyNoteSigner {
    /// A note signer named `name` (the log origin's part before `" - "`) signing with `key`.
    pub fn new(name: impl Into<String>, key: signet_core::signer::SharedSigner) -> Result<Self> {
        use signet_core::signer::SignatureAlgorithm;
        let name = name.into();
        check_name(&name)?;
        let log_id = match key.algorithm() {
            SignatureAlgorithm::Ed25519 => {
                let raw =
                    signet_core::signer::public_key_bits(key.as_ref()).map_err(|e| Error::Key {
                        what: "Ed25519",
                        reason: format!("cannot read the public key: {e}"),
                    })?;
                signet_core::checkpoint::ed25519_key_id(&name, &raw)
            }
            SignatureAlgorithm::EcdsaP256Sha256 | SignatureAlgorithm::EcdsaP384Sha384 => {
                signet_core::encoding::sha256(key.public_key_der())
            }
        };
        Ok(KeyNoteSigner { name, key, log_id })
    }
}

impl NoteSigner for KeyNoteSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_hint(&self) -> [u8; 4] {
        let mut h = [0u8; 4];
        h.copy_from_slice(&self.log_id[..4]);
        h
    }
    fn log_id(&self) -> [u8; 32] {
        self.log_id
    }
    fn public_key_spki(&self) -> Vec<u8> {
        self.key.public_key_der().to_vec()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        self.key.sign(msg).map_err(|e| Error::KeySigning {
            signer: self.name.clone(),
            reason: e.to_string(),
        })
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
        return Err(Error::Config {
            reason: format!(
                "note signer name {name:?} must be non-empty and contain no spaces or '+'"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod key_note_signer_tests {
    use super::*;
    use signet_core::keys::{Curve, EcKey, EdKey};

    /// The generic signer over a file key is the dedicated signer: same ID, same SPKI.
    #[test]
    fn key_note_signer_matches_the_file_key_signers() {
        let ed = EdKey::generate().unwrap();
        let a = Ed25519NoteSigner::from_pkcs8("log.example", ed.pkcs8_der()).unwrap();
        let b = KeyNoteSigner::new("log.example", std::sync::Arc::new(ed)).unwrap();
        assert_eq!(a.log_id(), b.log_id());
        assert_eq!(a.public_key_spki(), b.public_key_spki());
        assert_eq!(b.sign(b"x").unwrap().len(), 64);
        let ec = EcKey::generate(Curve::P256).unwrap();
        let a = EcdsaNoteSigner::from_pkcs8("log.example", ec.pkcs8_der()).unwrap();
        let b = KeyNoteSigner::new("log.example", std::sync::Arc::new(ec)).unwrap();
        assert_eq!(a.log_id(), b.log_id());
        assert_eq!(a.key_hint(), b.key_hint());
        assert_eq!(a.public_key_spki(), b.public_key_spki());
    }
}
