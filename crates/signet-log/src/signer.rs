//! Checkpoint signers (C2SP signed-note).
//!
//! A [`NoteSigner`] produces the signature line of a checkpoint note:
//! `— <name> base64(key_hint[4] || signature)`. One implementation, [`KeyNoteSigner`], covers
//! Sigstore's logs over any key (file or PKCS#11): Ed25519 (Rekor v2 / tessera: key ID
//! `SHA256(name || 0x0A || 0x01 || pubkey)`) and ECDSA (Rekor v1 and the CT log: P-256 with
//! SHA-256, hint `SHA256(SPKI)[..4]`).

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
    Ok(signet_core::checkpoint::signed_note(
        text,
        signer.name(),
        signer.key_hint(),
        &sig,
    ))
}

/// A signed-note signer over any [`signet_core::signer::Signer`] (a file key or a key in a
/// PKCS#11 token): an Ed25519 key signs as Rekor v2 / tessera (key ID
/// `SHA256(name || 0x0A || 0x01 || pubkey)`), an ECDSA key as Rekor v1 and the CT log (hint
/// `SHA256(SPKI)[..4]`). The one note signer of the workspace.
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
    /// An Ed25519 signer (Rekor v2 / tessera) from a PKCS#8 private key file's bytes.
    pub fn ed25519_from_pkcs8(name: impl Into<String>, pkcs8: &[u8]) -> Result<Self> {
        let key = signet_core::keys::EdKey::from_pkcs8(pkcs8).map_err(|e| Error::Key {
            what: "Ed25519",
            reason: format!("PKCS#8 rejected: {e}"),
        })?;
        Self::new(name, std::sync::Arc::new(key))
    }

    /// An ECDSA P-256 / SHA-256 signer (Rekor v1 checkpoints, the CT log) from PKCS#8 bytes.
    pub fn ecdsa_p256_from_pkcs8(name: impl Into<String>, pkcs8: &[u8]) -> Result<Self> {
        let key = signet_core::keys::EcKey::from_pkcs8(signet_core::keys::Curve::P256, pkcs8)
            .map_err(|e| Error::Key {
                what: "ECDSA P-256",
                reason: format!("PKCS#8 rejected: {e}"),
            })?;
        Self::new(name, std::sync::Arc::new(key))
    }

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

    /// Key IDs as the specs define them: tessera's for Ed25519, SHA-256 of the SPKI for ECDSA;
    /// the PKCS#8 constructors give the same signer as the generic one.
    #[test]
    fn key_note_signer_ids_follow_the_specs() {
        let ed = EdKey::generate().unwrap();
        let a = KeyNoteSigner::ed25519_from_pkcs8("log.example", ed.pkcs8_der()).unwrap();
        let mut pre = b"log.example\n\x01".to_vec();
        pre.extend_from_slice(&ed.spki_der()[12..]);
        assert_eq!(a.log_id(), signet_core::encoding::sha256(&pre));
        let b = KeyNoteSigner::new("log.example", std::sync::Arc::new(ed)).unwrap();
        assert_eq!(a.log_id(), b.log_id());
        assert_eq!(a.public_key_spki(), b.public_key_spki());
        assert_eq!(b.sign(b"x").unwrap().len(), 64);
        let ec = EcKey::generate(Curve::P256).unwrap();
        let a = KeyNoteSigner::ecdsa_p256_from_pkcs8("log.example", ec.pkcs8_der()).unwrap();
        assert_eq!(a.log_id(), signet_core::encoding::sha256(ec.spki_der()));
        assert_eq!(a.key_hint(), a.log_id()[..4]);
        assert_eq!(a.public_key_spki(), ec.spki_der());
    }
}
