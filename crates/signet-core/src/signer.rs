//! One abstraction for every key an instance signs with: the file keys of [`crate::keys`]
//! ([`EcKey`], [`EdKey`]) and keys held elsewhere (a PKCS#11 token, see `signet-pkcs11`).
//!
//! A [`Signer`] names its algorithm, gives its public key as DER SubjectPublicKeyInfo, and
//! signs a message (not a digest) in the encoding Sigstore uses for that algorithm: ASN.1 DER
//! `ECDSA-Sig-Value` for ECDSA (X.509, SETs, SCTs, RFC 3161, checkpoints of Rekor v1 and the
//! CT log) and the raw 64-byte signature for Ed25519 (Rekor v2 checkpoints). A
//! [`KeyProvider`] creates and opens named keys in a store that keeps the private halves.

use std::sync::Arc;

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};

use crate::crypto::{OID_ECDSA_SHA256, OID_ECDSA_SHA384};
use crate::keys::{key_err, Curve, EcKey, EdKey};
use crate::{Error, Result};

/// id-Ed25519 (RFC 8410), the X.509 signature algorithm of an Ed25519 key.
pub const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The algorithm a [`Signer`] signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// ECDSA on P-256 with SHA-256, DER signatures.
    EcdsaP256Sha256,
    /// ECDSA on P-384 with SHA-384, DER signatures.
    EcdsaP384Sha384,
    /// Ed25519 (pure), raw 64-byte signatures.
    Ed25519,
}

impl SignatureAlgorithm {
    /// The ECDSA curve, `None` for Ed25519.
    pub fn curve(self) -> Option<Curve> {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => Some(Curve::P256),
            SignatureAlgorithm::EcdsaP384Sha384 => Some(Curve::P384),
            SignatureAlgorithm::Ed25519 => None,
        }
    }

    /// The ECDSA algorithm of `curve`.
    pub fn ecdsa(curve: Curve) -> Self {
        match curve {
            Curve::P256 => SignatureAlgorithm::EcdsaP256Sha256,
            Curve::P384 => SignatureAlgorithm::EcdsaP384Sha384,
        }
    }

    /// The X.509 / CMS signature algorithm OID (ecdsa-with-SHA256, -SHA384, id-Ed25519).
    pub fn x509_oid(self) -> ObjectIdentifier {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => OID_ECDSA_SHA256,
            SignatureAlgorithm::EcdsaP384Sha384 => OID_ECDSA_SHA384,
            SignatureAlgorithm::Ed25519 => OID_ED25519,
        }
    }

    /// The digest an ECDSA signer computes over the message before signing it.
    pub fn digest(self) -> Option<&'static aws_lc_rs::digest::Algorithm> {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => Some(&aws_lc_rs::digest::SHA256),
            SignatureAlgorithm::EcdsaP384Sha384 => Some(&aws_lc_rs::digest::SHA384),
            SignatureAlgorithm::Ed25519 => None,
        }
    }

    /// Bytes of each of ECDSA's `r` and `s` (the field size), `None` for Ed25519.
    pub fn ecdsa_scalar_len(self) -> Option<usize> {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => Some(32),
            SignatureAlgorithm::EcdsaP384Sha384 => Some(48),
            SignatureAlgorithm::Ed25519 => None,
        }
    }
}

impl std::fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SignatureAlgorithm::EcdsaP256Sha256 => "ECDSA P-256/SHA-256",
            SignatureAlgorithm::EcdsaP384Sha384 => "ECDSA P-384/SHA-384",
            SignatureAlgorithm::Ed25519 => "Ed25519",
        })
    }
}

/// A key that signs: a file key or one held in a token.
pub trait Signer: Send + Sync + std::fmt::Debug {
    /// The algorithm, which fixes the signature encoding (see the module docs).
    fn algorithm(&self) -> SignatureAlgorithm;
    /// The public key, DER SubjectPublicKeyInfo.
    fn public_key_der(&self) -> &[u8];
    /// Sign `msg` (the signer hashes it for ECDSA): DER ECDSA or raw Ed25519 signature.
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>>;
}

/// A signer shared by the services that use it.
pub type SharedSigner = Arc<dyn Signer>;

/// The public key bits of a signer (the SPKI's BIT STRING contents: the uncompressed EC point,
/// or the raw 32-byte Ed25519 key).
pub fn public_key_bits(signer: &dyn Signer) -> Result<Vec<u8>> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(signer.public_key_der())
        .map_err(|e| Error::der("signer public key (SubjectPublicKeyInfo)", e))?;
    Ok(spki.subject_public_key.raw_bytes().to_vec())
}

/// Convert a PKCS#11 / IEEE P1363 ECDSA signature (`r || s`, each `scalar_len` bytes) to the
/// ASN.1 DER `ECDSA-Sig-Value` that X.509 and Sigstore carry.
pub fn ecdsa_raw_to_der(raw: &[u8], scalar_len: usize) -> Result<Vec<u8>> {
    if raw.len() != 2 * scalar_len {
        return Err(Error::invalid(
            "ECDSA signature",
            format!(
                "expected {} bytes (r || s), found {}",
                2 * scalar_len,
                raw.len()
            ),
        ));
    }
    let (r, s) = raw.split_at(scalar_len);
    fn int(v: &[u8]) -> Result<der::asn1::UintRef<'_>> {
        der::asn1::UintRef::new(v).map_err(|e| Error::der("ECDSA signature integer", e))
    }
    let seq = EcdsaSigValue {
        r: int(r)?,
        s: int(s)?,
    };
    seq.to_der()
        .map_err(|e| Error::der("ECDSA signature (DER)", e))
}

#[derive(der::Sequence)]
struct EcdsaSigValue<'a> {
    r: der::asn1::UintRef<'a>,
    s: der::asn1::UintRef<'a>,
}

/// Check that `signature` over `msg` verifies under `signer`'s public key (aws-lc-rs): a token
/// that answered with a wrong key or a garbled signature is caught before the signature is used.
pub fn verify_own(signer: &dyn Signer, msg: &[u8], signature: &[u8]) -> Result<()> {
    use aws_lc_rs::signature::{
        UnparsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_ASN1, ECDSA_P384_SHA384_ASN1,
        ED25519,
    };
    let alg: &'static dyn VerificationAlgorithm = match signer.algorithm() {
        SignatureAlgorithm::EcdsaP256Sha256 => &ECDSA_P256_SHA256_ASN1,
        SignatureAlgorithm::EcdsaP384Sha384 => &ECDSA_P384_SHA384_ASN1,
        SignatureAlgorithm::Ed25519 => &ED25519,
    };
    UnparsedPublicKey::new(alg, public_key_bits(signer)?)
        .verify(msg, signature)
        .map_err(|_| {
            Error::signature(format!(
                "{} signature from {signer:?} does not verify under its own public key",
                signer.algorithm()
            ))
        })
}

impl Signer for EcKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ecdsa(self.curve())
    }
    fn public_key_der(&self) -> &[u8] {
        self.spki_der()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        EcKey::sign(self, msg)
    }
}

impl Signer for EdKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::Ed25519
    }
    fn public_key_der(&self) -> &[u8] {
        self.spki_ref()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        Ok(EdKey::sign(self, msg))
    }
}

impl<T: Signer + ?Sized> Signer for Arc<T> {
    fn algorithm(&self) -> SignatureAlgorithm {
        (**self).algorithm()
    }
    fn public_key_der(&self) -> &[u8] {
        (**self).public_key_der()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        (**self).sign(msg)
    }
}

impl From<EcKey> for SharedSigner {
    fn from(k: EcKey) -> Self {
        Arc::new(k)
    }
}

impl From<EdKey> for SharedSigner {
    fn from(k: EdKey) -> Self {
        Arc::new(k)
    }
}

/// A store of named private keys (a PKCS#11 token): creates them and opens them by name. The
/// private halves never leave it.
pub trait KeyProvider: Send + Sync + std::fmt::Debug {
    /// Create a new key named `label` for `alg`; refuses a label that already names a key.
    fn generate(&self, label: &str, alg: SignatureAlgorithm) -> Result<SharedSigner>;
    /// Open the key named `label`, which must sign with `alg`.
    fn open(&self, label: &str, alg: SignatureAlgorithm) -> Result<SharedSigner>;
    /// Where the keys are, for messages (e.g. `PKCS#11 token "signet"`); never a secret.
    fn describe(&self) -> String;
}

/// Whether a signer's key is the one in a certificate or SPKI (compares SPKI DER).
pub fn same_key(signer: &dyn Signer, spki_der: &[u8]) -> bool {
    signer.public_key_der() == spki_der
}

/// A key error naming the key (for [`Signer`] implementations outside this crate).
pub fn signer_error(what: impl std::fmt::Display, reason: impl std::fmt::Display) -> Error {
    key_err(&what.to_string(), reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_sign_through_the_trait_and_verify() {
        let keys: Vec<SharedSigner> = vec![
            Arc::new(EcKey::generate(Curve::P256).unwrap()),
            Arc::new(EcKey::generate(Curve::P384).unwrap()),
            Arc::new(EdKey::generate().unwrap()),
        ];
        for k in keys {
            let sig = k.sign(b"hello").unwrap();
            verify_own(k.as_ref(), b"hello", &sig).unwrap();
            assert!(verify_own(k.as_ref(), b"hellO", &sig).is_err());
        }
    }

    #[test]
    fn raw_ecdsa_converts_to_der_that_verifies() {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let key = EcKey::generate(Curve::P256).unwrap();
        let fixed =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key.pkcs8_der()).unwrap();
        // Many signatures, so that high-bit and leading-zero scalars both occur.
        for i in 0..64u8 {
            let msg = [i; 7];
            let raw = fixed.sign(&SystemRandom::new(), &msg).unwrap();
            let der = ecdsa_raw_to_der(raw.as_ref(), 32).unwrap();
            verify_own(&key, &msg, &der).unwrap();
        }
        let err = ecdsa_raw_to_der(&[1u8; 63], 32).unwrap_err().to_string();
        assert!(
            err.contains("expected 64 bytes") && err.contains("found 63"),
            "{err}"
        );
    }
}
