//! Key generation and signing on aws-lc-rs, plus randomness.

use crate::crypto::{OID_ECDSA_SHA256, OID_ECDSA_SHA384};
use crate::{Error, Result};
use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{
    EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
    ECDSA_P384_SHA384_ASN1_SIGNING,
};
use const_oid::ObjectIdentifier;

/// A key-handling error from aws-lc-rs.
pub(crate) fn key_err(what: &str, reason: impl std::fmt::Display) -> Error {
    Error::Key {
        what: what.to_string(),
        reason: reason.to_string(),
    }
}

/// `N` bytes from the system CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|e| key_err("random number generator", e))?;
    Ok(out)
}

/// A NIST curve for ECDSA keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// P-256, signing with SHA-256.
    P256,
    /// P-384, signing with SHA-384.
    P384,
}

impl Curve {
    fn alg(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &ECDSA_P256_SHA256_ASN1_SIGNING,
            Curve::P384 => &ECDSA_P384_SHA384_ASN1_SIGNING,
        }
    }
}

/// An ECDSA key pair (ASN.1 DER signatures), with its PKCS#8 and SPKI encodings.
pub struct EcKey {
    curve: Curve,
    pkcs8: Vec<u8>,
    pair: EcdsaKeyPair,
    spki: Vec<u8>,
    rng: SystemRandom,
}

impl std::fmt::Debug for EcKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EcKey({:?})", self.curve)
    }
}

impl EcKey {
    /// Generate a fresh key on `curve`.
    pub fn generate(curve: Curve) -> Result<Self> {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(curve.alg(), &SystemRandom::new())
            .map_err(|e| key_err("ECDSA key generation", e))?;
        Self::from_pkcs8(curve, pkcs8.as_ref())
    }

    /// Load a key from PKCS#8 DER (as written by [`EcKey::pkcs8_der`]).
    pub fn from_pkcs8(curve: Curve, pkcs8: &[u8]) -> Result<Self> {
        let pair = EcdsaKeyPair::from_pkcs8(curve.alg(), pkcs8)
            .map_err(|e| key_err("ECDSA PKCS#8 key", e))?;
        let spki = AsDer::<PublicKeyX509Der>::as_der(pair.public_key())
            .map_err(|e| key_err("ECDSA public key encoding", e))?
            .as_ref()
            .to_vec();
        Ok(EcKey {
            curve,
            pkcs8: pkcs8.to_vec(),
            pair,
            spki,
            rng: SystemRandom::new(),
        })
    }

    /// Load a P-256 or P-384 key from PEM: PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`
    /// (what `openssl genpkey` / `openssl ecparam -genkey` write). Encrypted keys are refused
    /// with a message saying so.
    pub fn from_pem(text: &str) -> Result<Self> {
        let bad = |reason: String| crate::Error::Key {
            what: "private key PEM".into(),
            reason,
        };
        let (tag, der) =
            crate::encoding::pem_decode(text.as_bytes()).map_err(|e| bad(e.to_string()))?;
        match tag.as_str() {
            "PRIVATE KEY" | "EC PRIVATE KEY" => {}
            "ENCRYPTED PRIVATE KEY" => {
                return Err(bad(
                    "the key is encrypted; expected an unencrypted PKCS#8 or SEC1 key (decrypt it with `openssl pkey`)".into(),
                ))
            }
            other => {
                return Err(bad(format!(
                    "expected a PRIVATE KEY or EC PRIVATE KEY block, found {other}"
                )))
            }
        }
        for curve in [Curve::P256, Curve::P384] {
            if let Ok(pair) = EcdsaKeyPair::from_private_key_der(curve.alg(), &der) {
                let pkcs8 = pair
                    .to_pkcs8v1()
                    .map_err(|e| key_err("ECDSA PKCS#8 encoding", e))?;
                return Self::from_pkcs8(curve, pkcs8.as_ref());
            }
        }
        Err(bad(
            "not an ECDSA P-256 or P-384 key (only those can sign Sigstore bundles here)".into(),
        ))
    }

    /// PEM `PUBLIC KEY` of the key.
    pub fn public_pem(&self) -> String {
        crate::encoding::pem_encode("PUBLIC KEY", &self.spki)
    }

    /// PEM `PRIVATE KEY` (PKCS#8) of the key.
    pub fn private_pem(&self) -> String {
        crate::encoding::pem_encode("PRIVATE KEY", &self.pkcs8)
    }

    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// Sign `msg` (hashing it with the curve's hash), DER-encoded ECDSA signature.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        self.pair
            .sign(&self.rng, msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| key_err("ECDSA signing", e))
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// PKCS#8 private key DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The uncompressed public point (the SPKI's BIT STRING contents).
    pub fn public_point(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The X.509 signature algorithm this key signs with (ecdsa-with-SHA256 / -SHA384).
    pub fn x509_signature_oid(&self) -> ObjectIdentifier {
        match self.curve {
            Curve::P256 => OID_ECDSA_SHA256,
            Curve::P384 => OID_ECDSA_SHA384,
        }
    }
}

/// An Ed25519 key pair.
pub struct EdKey {
    pair: Ed25519KeyPair,
    pkcs8: Vec<u8>,
    spki: Vec<u8>,
}

impl std::fmt::Debug for EdKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EdKey")
    }
}

impl EdKey {
    /// Generate a fresh Ed25519 key.
    pub fn generate() -> Result<Self> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|e| key_err("Ed25519 key generation", e))?;
        Self::from_pkcs8(doc.as_ref())
    }

    /// Load from PKCS#8 DER (as written by [`EdKey::pkcs8_der`]).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let pair =
            Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| key_err("Ed25519 PKCS#8 key", e))?;
        let mut spki = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki.extend_from_slice(pair.public_key().as_ref());
        Ok(EdKey {
            pair,
            pkcs8: pkcs8.to_vec(),
            spki,
        })
    }

    /// PKCS#8 private key DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The raw 32-byte public key.
    pub fn raw_public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// DER SubjectPublicKeyInfo (`302a300506032b6570032100 || raw`).
    pub fn spki_der(&self) -> Vec<u8> {
        self.spki.clone()
    }

    /// DER SubjectPublicKeyInfo, borrowed.
    pub(crate) fn spki_ref(&self) -> &[u8] {
        &self.spki
    }

    /// Sign `msg`.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.pair.sign(msg).as_ref().to_vec()
    }
}
