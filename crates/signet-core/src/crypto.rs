//! Public keys and signature verification on aws-lc-rs.
//!
//! A [`PublicKey`] is parsed once from its SubjectPublicKeyInfo and keeps the aws-lc-rs parsed
//! key for its natural scheme, so that verifiers can cache keys across bundles (the trusted root's
//! log and CA keys are parsed once per process, not once per bundle).

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use const_oid::ObjectIdentifier;
use der::Decode;
use spki::SubjectPublicKeyInfoRef;

use crate::{Error, Result};

/// OID id-ecPublicKey.
pub const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// OID prime256v1 / P-256.
pub const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// OID secp384r1.
pub const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// OID secp521r1.
pub const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
/// OID Ed25519.
pub const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// OID rsaEncryption.
pub const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// OID ecdsa-with-SHA256.
pub const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// OID ecdsa-with-SHA384.
pub const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// OID ecdsa-with-SHA512.
pub const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
/// OID sha256WithRSAEncryption.
pub const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// OID sha384WithRSAEncryption.
pub const OID_RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
/// OID sha512WithRSAEncryption.
pub const OID_RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
/// OID id-sha256.
pub const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// OID id-sha384.
pub const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
/// OID id-sha512.
pub const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// The kind of a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// ECDSA on NIST P-521.
    EcdsaP521,
    /// Ed25519.
    Ed25519,
    /// RSA (PKCS#1 v1.5 by default).
    Rsa,
}

impl KeyKind {
    /// Human name.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "ECDSA P-256",
            KeyKind::EcdsaP384 => "ECDSA P-384",
            KeyKind::EcdsaP521 => "ECDSA P-521",
            KeyKind::Ed25519 => "Ed25519",
            KeyKind::Rsa => "RSA",
        }
    }
    /// The hash the key is used with when nothing else says.
    pub fn default_hash(self) -> HashAlg {
        match self {
            KeyKind::EcdsaP384 => HashAlg::Sha384,
            KeyKind::EcdsaP521 => HashAlg::Sha512,
            _ => HashAlg::Sha256,
        }
    }
}

/// A hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// The aws-lc-rs digest algorithm.
    pub fn digest_alg(self) -> &'static digest::Algorithm {
        match self {
            HashAlg::Sha256 => &digest::SHA256,
            HashAlg::Sha384 => &digest::SHA384,
            HashAlg::Sha512 => &digest::SHA512,
        }
    }
    /// Hash `data`.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        digest::digest(self.digest_alg(), data).as_ref().to_vec()
    }
    /// From a digest algorithm OID (id-sha256...).
    pub fn from_digest_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            OID_SHA256 => Some(HashAlg::Sha256),
            OID_SHA384 => Some(HashAlg::Sha384),
            OID_SHA512 => Some(HashAlg::Sha512),
            _ => None,
        }
    }
    /// Name as in protobuf-specs HashAlgorithm (`SHA2_256`...).
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "SHA2_256",
            HashAlg::Sha384 => "SHA2_384",
            HashAlg::Sha512 => "SHA2_512",
        }
    }
}

/// Map an X.509 / CMS signature algorithm OID to the hash it uses (the key decides the rest).
pub fn hash_for_signature_oid(oid: &ObjectIdentifier) -> Option<HashAlg> {
    match *oid {
        OID_ECDSA_SHA256 | OID_RSA_SHA256 => Some(HashAlg::Sha256),
        OID_ECDSA_SHA384 | OID_RSA_SHA384 => Some(HashAlg::Sha384),
        OID_ECDSA_SHA512 | OID_RSA_SHA512 => Some(HashAlg::Sha512),
        OID_ED25519 => Some(HashAlg::Sha512),
        _ => None,
    }
}

fn algorithm_for(kind: KeyKind, hash: HashAlg) -> &'static dyn VerificationAlgorithm {
    use HashAlg::*;
    use KeyKind::*;
    match (kind, hash) {
        (EcdsaP256, Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
        (EcdsaP256, Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
        (EcdsaP256, Sha512) => &signature::ECDSA_P256_SHA512_ASN1,
        (EcdsaP384, Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
        (EcdsaP384, Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
        (EcdsaP384, Sha512) => &signature::ECDSA_P384_SHA512_ASN1,
        (EcdsaP521, Sha256) => &signature::ECDSA_P521_SHA256_ASN1,
        (EcdsaP521, Sha384) => &signature::ECDSA_P521_SHA384_ASN1,
        (EcdsaP521, Sha512) => &signature::ECDSA_P521_SHA512_ASN1,
        (Ed25519, _) => &signature::ED25519,
        (Rsa, Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (Rsa, Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (Rsa, Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
    }
}

/// A signature that did not verify (or a key that cannot check it). Callers turn this into an
/// [`Error`] naming which signature failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadSignature;

impl std::fmt::Display for BadSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("signature does not verify")
    }
}

impl std::error::Error for BadSignature {}

/// A parsed public key, ready to verify signatures.
#[derive(Clone)]
pub struct PublicKey {
    kind: KeyKind,
    spki_der: Vec<u8>,
    parsed: ParsedPublicKey,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.kind.name())
    }
}

impl PublicKey {
    /// Parse a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| Error::der("SubjectPublicKeyInfo", e))?;
        let kind = match spki.algorithm.oid {
            OID_EC_PUBLIC_KEY => {
                let curve: ObjectIdentifier = spki
                    .algorithm
                    .parameters
                    .ok_or_else(|| Error::Key {
                        what: "EC key".into(),
                        reason: "no named curve".into(),
                    })?
                    .decode_as()
                    .map_err(|e| Error::der("EC curve parameters", e))?;
                match curve {
                    OID_P256 => KeyKind::EcdsaP256,
                    OID_P384 => KeyKind::EcdsaP384,
                    OID_P521 => KeyKind::EcdsaP521,
                    other => {
                        return Err(Error::Key {
                            what: "EC key".into(),
                            reason: format!(
                                "unsupported curve {other}; expected P-256, P-384 or P-521"
                            ),
                        })
                    }
                }
            }
            OID_ED25519 => KeyKind::Ed25519,
            OID_RSA => KeyKind::Rsa,
            other => {
                return Err(Error::Key {
                    what: "SubjectPublicKeyInfo".into(),
                    reason: format!(
                        "unsupported key algorithm {other}; expected EC, Ed25519 or RSA"
                    ),
                })
            }
        };
        let parsed =
            ParsedPublicKey::new(algorithm_for(kind, kind.default_hash()), der).map_err(|e| {
                Error::Key {
                    what: kind.name().into(),
                    reason: e.to_string(),
                }
            })?;
        Ok(PublicKey {
            kind,
            spki_der: der.to_vec(),
            parsed,
        })
    }

    /// Parse a trusted-root key: DER SPKI, or for `PKCS1_RSA_*` key details a bare PKCS#1
    /// `RSAPublicKey` (as in the staging root's oldest CT log).
    pub fn from_trusted_root(raw: &[u8], key_details: &str) -> Result<Self> {
        match Self::from_spki_der(raw) {
            Ok(k) => Ok(k),
            Err(e) if key_details.starts_with("PKCS1_RSA") => {
                let alg = algorithm_for(KeyKind::Rsa, HashAlg::Sha256);
                let parsed = ParsedPublicKey::new(alg, raw).map_err(|err| Error::Key {
                    what: key_details.into(),
                    reason: format!("{err} (and as SPKI: {e})"),
                })?;
                Ok(PublicKey {
                    kind: KeyKind::Rsa,
                    spki_der: raw.to_vec(),
                    parsed,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The protobuf-specs `PublicKeyDetails` name Rekor v2 records for this key
    /// (`PKIX_ECDSA_P256_SHA_256`, ...), or `None` for RSA, whose names also carry a padding
    /// and a modulus size.
    pub fn key_details(&self) -> Option<&'static str> {
        match self.kind {
            KeyKind::EcdsaP256 => Some("PKIX_ECDSA_P256_SHA_256"),
            KeyKind::EcdsaP384 => Some("PKIX_ECDSA_P384_SHA_384"),
            KeyKind::EcdsaP521 => Some("PKIX_ECDSA_P521_SHA_512"),
            KeyKind::Ed25519 => Some("PKIX_ED25519"),
            KeyKind::Rsa => None,
        }
    }

    /// The raw key bits inside the SPKI (for Ed25519, the 32-byte public key), if it parses.
    pub fn raw_key_bits(&self) -> Option<Vec<u8>> {
        SubjectPublicKeyInfoRef::from_der(&self.spki_der)
            .ok()?
            .subject_public_key
            .as_bytes()
            .map(<[u8]>::to_vec)
    }

    /// Parse a PEM `PUBLIC KEY`.
    pub fn from_pem(pem_text: &str) -> Result<Self> {
        let (tag, der) =
            crate::encoding::pem_decode(pem_text.as_bytes()).map_err(|e| Error::Key {
                what: "PEM".into(),
                reason: e.to_string(),
            })?;
        if tag != "PUBLIC KEY" {
            return Err(Error::Key {
                what: "PEM".into(),
                reason: format!("expected a PUBLIC KEY block, found {tag}"),
            });
        }
        Self::from_spki_der(&der)
    }

    /// The key kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// Verify with the key's natural hash (P-256: SHA-256, P-384: SHA-384, RSA: PKCS#1 SHA-256).
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> std::result::Result<(), BadSignature> {
        self.parsed
            .verify_sig(message, sig)
            .map_err(|_| BadSignature)
    }

    /// Verify with an explicit hash (for X.509 and CMS signatures, whose algorithm names it).
    pub fn verify_with_hash(
        &self,
        hash: HashAlg,
        message: &[u8],
        sig: &[u8],
    ) -> std::result::Result<(), BadSignature> {
        if self.kind == KeyKind::Ed25519 || hash == self.kind.default_hash() {
            return self.verify(message, sig);
        }
        let key = ParsedPublicKey::new(algorithm_for(self.kind, hash), &self.spki_der)
            .map_err(|_| BadSignature)?;
        key.verify_sig(message, sig).map_err(|_| BadSignature)
    }

    /// Verify a signature over a message given only its digest (hashedrekord with a digest
    /// input). Not possible for Ed25519 (pure EdDSA signs the message itself).
    pub fn verify_prehashed(
        &self,
        hash: HashAlg,
        digest_bytes: &[u8],
        sig: &[u8],
    ) -> std::result::Result<(), BadSignature> {
        if self.kind == KeyKind::Ed25519 {
            return Err(BadSignature);
        }
        let d = digest::Digest::import_less_safe(digest_bytes, hash.digest_alg())
            .map_err(|_| BadSignature)?;
        if hash == self.kind.default_hash() {
            self.parsed
                .verify_digest_sig(&d, sig)
                .map_err(|_| BadSignature)
        } else {
            let key = ParsedPublicKey::new(algorithm_for(self.kind, hash), &self.spki_der)
                .map_err(|_| BadSignature)?;
            key.verify_digest_sig(&d, sig).map_err(|_| BadSignature)
        }
    }

    /// Verify an X.509-style signature whose algorithm is named by `sig_alg` OID.
    pub fn verify_x509(
        &self,
        sig_alg: &ObjectIdentifier,
        message: &[u8],
        sig: &[u8],
    ) -> Result<()> {
        let hash = hash_for_signature_oid(sig_alg).ok_or_else(|| Error::Key {
            what: "signature algorithm".into(),
            reason: format!("unsupported signature algorithm {sig_alg}"),
        })?;
        let ed = *sig_alg == OID_ED25519;
        if ed != (self.kind == KeyKind::Ed25519) {
            return Err(Error::Key {
                what: "signature algorithm".into(),
                reason: format!(
                    "algorithm {sig_alg} does not match a {} key",
                    self.kind.name()
                ),
            });
        }
        self.verify_with_hash(hash, message, sig)
            .map_err(|_| Error::signature(format!("{} signature ({sig_alg})", self.kind.name())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};

    #[test]
    fn ecdsa_roundtrip_and_tamper() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let spki = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
            kp.public_key(),
        )
        .unwrap();
        let pk = PublicKey::from_spki_der(spki.as_ref()).unwrap();
        assert_eq!(pk.kind(), KeyKind::EcdsaP256);
        let sig = kp.sign(&rng, b"hello").unwrap();
        assert!(pk.verify(b"hello", sig.as_ref()).is_ok());
        assert!(pk.verify(b"hellp", sig.as_ref()).is_err());
        let d = HashAlg::Sha256.hash(b"hello");
        assert!(pk
            .verify_prehashed(HashAlg::Sha256, &d, sig.as_ref())
            .is_ok());
        let mut d2 = d.clone();
        d2[0] ^= 1;
        assert!(pk
            .verify_prehashed(HashAlg::Sha256, &d2, sig.as_ref())
            .is_err());
    }

    #[test]
    fn rejects_garbage_key() {
        let err = PublicKey::from_spki_der(b"\x30\x03\x02\x01\x00").unwrap_err();
        assert!(err.to_string().contains("SubjectPublicKeyInfo"), "{err}");
    }
}
