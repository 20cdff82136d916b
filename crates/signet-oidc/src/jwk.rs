//! JSON Web Keys (RFC 7517) and key sets, turned into aws-lc-rs verification keys.
//!
//! Supported key types: `RSA` (`n`, `e`), `EC` on `P-256`/`P-384` (`x`, `y`), and `OKP` with
//! `crv: Ed25519` (`x`). RSA keys are rebuilt as a PKCS#1 `RSAPublicKey` DER, EC keys as the
//! uncompressed SEC1 point `04 || x || y`, Ed25519 keys are the raw 32 bytes.

use std::collections::BTreeMap;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde::{Deserialize, Serialize};

use crate::alg::Algorithm;
use crate::b64;
use crate::{Error, Result};

/// Largest JWKS document accepted (bytes).
pub const MAX_JWKS_LEN: usize = 256 * 1024;
/// Most keys accepted in one JWKS.
pub const MAX_JWKS_KEYS: usize = 64;

/// One JSON Web Key, as found in a JWKS. Unknown members are kept in `other`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Key id.
    pub kid: Option<String>,
    /// Intended algorithm, when the key restricts it.
    pub alg: Option<String>,
    /// Public key use (`sig` or `enc`).
    #[serde(rename = "use")]
    pub use_: Option<String>,
    /// Curve for `EC` (`P-256`, `P-384`) and `OKP` (`Ed25519`).
    pub crv: Option<String>,
    /// EC x coordinate or OKP public key (base64url).
    pub x: Option<String>,
    /// EC y coordinate (base64url).
    pub y: Option<String>,
    /// RSA modulus (base64url, big-endian).
    pub n: Option<String>,
    /// RSA public exponent (base64url, big-endian).
    pub e: Option<String>,
    /// Other members (x5c, key_ops, ...), kept as they came.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// A JSON Web Key Set: `{"keys": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// The kind of a public key built from a JWK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA (any size from 2048 to 8192 bits).
    Rsa,
    /// ECDSA on P-256.
    EcP256,
    /// ECDSA on P-384.
    EcP384,
    /// Ed25519.
    Ed25519,
}

impl KeyKind {
    /// Human name.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Rsa => "RSA",
            KeyKind::EcP256 => "EC P-256",
            KeyKind::EcP384 => "EC P-384",
            KeyKind::Ed25519 => "OKP Ed25519",
        }
    }

    /// Whether a key of this kind can check signatures of `alg`.
    pub fn fits(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        matches!(
            (self, alg),
            (KeyKind::Rsa, Rs256 | Rs384 | Rs512 | Ps256 | Ps384 | Ps512)
                | (KeyKind::EcP256, Es256)
                | (KeyKind::EcP384, Es384)
                | (KeyKind::Ed25519, EdDsa)
        )
    }
}

/// A public key built from a JWK: its kind and the bytes aws-lc-rs verifies with (PKCS#1
/// `RSAPublicKey` DER, uncompressed EC point, or raw Ed25519 key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwkPublicKey {
    kind: KeyKind,
    bytes: Vec<u8>,
}

impl JwkPublicKey {
    /// The key kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The key bytes as aws-lc-rs takes them: PKCS#1 `RSAPublicKey` DER for RSA, `04||x||y`
    /// for EC, the 32 raw bytes for Ed25519.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether `sig` is a valid `alg` signature over `message` by this key. `false` also when
    /// the key kind does not fit `alg`.
    pub fn signature_is_valid(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
        if !self.kind.fits(alg) {
            return false;
        }
        let valg: &'static dyn VerificationAlgorithm = match alg {
            Algorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
            Algorithm::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
            // JWS ECDSA signatures are the fixed-width r || s concatenation (RFC 7518 3.4).
            Algorithm::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::Es384 => &signature::ECDSA_P384_SHA384_FIXED,
            Algorithm::EdDsa => &signature::ED25519,
        };
        UnparsedPublicKey::new(valg, &self.bytes)
            .verify(message, sig)
            .is_ok()
    }
}

fn field<'a>(kid: &str, name: &str, v: &'a Option<String>) -> Result<&'a str> {
    v.as_deref().ok_or_else(|| Error::InvalidJwk {
        kid: kid.to_string(),
        reason: format!("missing member {name:?}"),
    })
}

fn decode_field(kid: &str, name: &str, v: &Option<String>) -> Result<Vec<u8>> {
    let s = field(kid, name, v)?;
    b64::decode(&format!("JWK {kid:?} member {name:?}"), s)
}

/// DER length octets.
fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// DER INTEGER for a non-negative big-endian magnitude.
fn der_uint(magnitude: &[u8], out: &mut Vec<u8>) {
    let trimmed = {
        let skip = magnitude.iter().take_while(|b| **b == 0).count();
        &magnitude[skip..]
    };
    let pad = trimmed.first().is_none_or(|b| b & 0x80 != 0);
    out.push(0x02);
    der_len(trimmed.len() + usize::from(pad), out);
    if pad {
        out.push(0);
    }
    out.extend_from_slice(trimmed);
}

/// Build the PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` DER
/// from big-endian `n` and `e`.
pub fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    der_uint(n, &mut body);
    der_uint(e, &mut body);
    let mut out = Vec::with_capacity(body.len() + 6);
    out.push(0x30);
    der_len(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

impl Jwk {
    /// The key id, or `""`.
    pub fn kid_str(&self) -> &str {
        self.kid.as_deref().unwrap_or("")
    }

    /// Build the public key this JWK describes.
    pub fn public_key(&self) -> Result<JwkPublicKey> {
        let kid = self.kid_str();
        if let Some(u) = &self.use_ {
            if u != "sig" {
                return Err(Error::InvalidJwk {
                    kid: kid.into(),
                    reason: format!("use is {u:?}; expected \"sig\""),
                });
            }
        }
        match self.kty.as_str() {
            "RSA" => {
                let n = decode_field(kid, "n", &self.n)?;
                let e = decode_field(kid, "e", &self.e)?;
                let n_bits = {
                    let skip = n.iter().take_while(|b| **b == 0).count();
                    (n.len() - skip) * 8
                };
                if !(2048..=8192).contains(&n_bits) {
                    return Err(Error::InvalidJwk {
                        kid: kid.into(),
                        reason: format!(
                            "RSA modulus is about {n_bits} bits; expected 2048 to 8192"
                        ),
                    });
                }
                if e.is_empty() || e.len() > 8 {
                    return Err(Error::InvalidJwk {
                        kid: kid.into(),
                        reason: format!("RSA exponent is {} bytes; expected 1 to 8", e.len()),
                    });
                }
                Ok(JwkPublicKey {
                    kind: KeyKind::Rsa,
                    bytes: rsa_public_key_der(&n, &e),
                })
            }
            "EC" => {
                let crv = field(kid, "crv", &self.crv)?;
                let (kind, size) = match crv {
                    "P-256" => (KeyKind::EcP256, 32),
                    "P-384" => (KeyKind::EcP384, 48),
                    other => {
                        return Err(Error::InvalidJwk {
                            kid: kid.into(),
                            reason: format!("EC curve {other:?}; expected \"P-256\" or \"P-384\""),
                        })
                    }
                };
                let x = decode_field(kid, "x", &self.x)?;
                let y = decode_field(kid, "y", &self.y)?;
                if x.len() != size || y.len() != size {
                    return Err(Error::InvalidJwk {
                        kid: kid.into(),
                        reason: format!(
                            "{crv} coordinates are {} and {} bytes; expected {size} each",
                            x.len(),
                            y.len()
                        ),
                    });
                }
                let mut bytes = Vec::with_capacity(1 + 2 * size);
                bytes.push(0x04);
                bytes.extend_from_slice(&x);
                bytes.extend_from_slice(&y);
                Ok(JwkPublicKey { kind, bytes })
            }
            "OKP" => {
                let crv = field(kid, "crv", &self.crv)?;
                if crv != "Ed25519" {
                    return Err(Error::InvalidJwk {
                        kid: kid.into(),
                        reason: format!("OKP curve {crv:?}; expected \"Ed25519\""),
                    });
                }
                let x = decode_field(kid, "x", &self.x)?;
                if x.len() != 32 {
                    return Err(Error::InvalidJwk {
                        kid: kid.into(),
                        reason: format!("Ed25519 key is {} bytes; expected 32", x.len()),
                    });
                }
                Ok(JwkPublicKey {
                    kind: KeyKind::Ed25519,
                    bytes: x,
                })
            }
            other => Err(Error::InvalidJwk {
                kid: kid.into(),
                reason: format!("kty {other:?}; expected \"RSA\", \"EC\" or \"OKP\""),
            }),
        }
    }

    /// Whether this JWK may be used with `alg`: its kind fits and its own `alg`, if any, agrees.
    /// Returns a description of the key for error messages when it does not.
    pub fn check_alg(&self, alg: Algorithm) -> Result<JwkPublicKey> {
        let key = self.public_key()?;
        if let Some(own) = &self.alg {
            if own != alg.name() {
                return Err(Error::KeyAlgMismatch {
                    kid: self.kid_str().into(),
                    alg: alg.name().into(),
                    key: format!("a {} key restricted to alg {own}", key.kind.name()),
                });
            }
        }
        if !key.kind.fits(alg) {
            return Err(Error::KeyAlgMismatch {
                kid: self.kid_str().into(),
                alg: alg.name().into(),
                key: format!("a {} key", key.kind.name()),
            });
        }
        Ok(key)
    }

    /// RFC 7638 JWK thumbprint (SHA-256 of the required members in lexicographic order),
    /// base64url without padding.
    pub fn thumbprint(&self) -> Result<String> {
        let kid = self.kid_str();
        let canonical = match self.kty.as_str() {
            "RSA" => serde_json::json!({
                "e": field(kid, "e", &self.e)?,
                "kty": "RSA",
                "n": field(kid, "n", &self.n)?,
            }),
            "EC" => serde_json::json!({
                "crv": field(kid, "crv", &self.crv)?,
                "kty": "EC",
                "x": field(kid, "x", &self.x)?,
                "y": field(kid, "y", &self.y)?,
            }),
            "OKP" => serde_json::json!({
                "crv": field(kid, "crv", &self.crv)?,
                "kty": "OKP",
                "x": field(kid, "x", &self.x)?,
            }),
            other => {
                return Err(Error::InvalidJwk {
                    kid: kid.into(),
                    reason: format!("kty {other:?}; expected \"RSA\", \"EC\" or \"OKP\""),
                })
            }
        };
        // serde_json's default map is a BTreeMap: keys come out sorted, no whitespace.
        let text = canonical.to_string();
        Ok(b64::encode(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes()).as_ref(),
        ))
    }

    /// A JWK for an RSA key from its big-endian modulus and exponent.
    pub fn from_rsa_components(kid: Option<String>, n: &[u8], e: &[u8]) -> Self {
        let strip = |v: &[u8]| {
            let skip = v.iter().take_while(|b| **b == 0).count();
            v[skip..].to_vec()
        };
        Jwk {
            kty: "RSA".into(),
            kid,
            use_: Some("sig".into()),
            n: Some(b64::encode(strip(n))),
            e: Some(b64::encode(strip(e))),
            ..Jwk::default()
        }
    }

    /// A JWK for an EC key from its uncompressed SEC1 point (`04 || x || y`).
    pub fn from_ec_point(kid: Option<String>, point: &[u8]) -> Result<Self> {
        let (crv, size) = match point.len() {
            65 => ("P-256", 32),
            97 => ("P-384", 48),
            n => {
                return Err(Error::InvalidJwk {
                    kid: kid.unwrap_or_default(),
                    reason: format!("EC point is {n} bytes; expected 65 (P-256) or 97 (P-384)"),
                })
            }
        };
        if point[0] != 0x04 {
            return Err(Error::InvalidJwk {
                kid: kid.unwrap_or_default(),
                reason: format!("EC point starts with {:#04x}; expected 0x04", point[0]),
            });
        }
        Ok(Jwk {
            kty: "EC".into(),
            kid,
            use_: Some("sig".into()),
            crv: Some(crv.into()),
            x: Some(b64::encode(&point[1..1 + size])),
            y: Some(b64::encode(&point[1 + size..])),
            ..Jwk::default()
        })
    }

    /// A JWK for an Ed25519 key from its 32 raw bytes.
    pub fn from_ed25519(kid: Option<String>, key: &[u8]) -> Result<Self> {
        if key.len() != 32 {
            return Err(Error::InvalidJwk {
                kid: kid.unwrap_or_default(),
                reason: format!("Ed25519 key is {} bytes; expected 32", key.len()),
            });
        }
        Ok(Jwk {
            kty: "OKP".into(),
            kid,
            use_: Some("sig".into()),
            crv: Some("Ed25519".into()),
            x: Some(b64::encode(key)),
            ..Jwk::default()
        })
    }
}

impl Jwks {
    /// Parse a JWKS document.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Error::check_len("JWKS", bytes.len(), MAX_JWKS_LEN)?;
        let jwks: Jwks = serde_json::from_slice(bytes).map_err(|e| Error::json("JWKS", e))?;
        Error::check_len("JWKS key list", jwks.keys.len(), MAX_JWKS_KEYS)?;
        Ok(jwks)
    }

    /// Serialize as JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain strings and maps of JSON values cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The kids of all keys (keys without one are listed as `""`).
    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.kid_str().to_string()).collect()
    }

    /// Select the key that verifies a token with header `kid` and algorithm `alg`.
    ///
    /// With a `kid`, the key with that kid (its type must fit `alg`). Without one, the only key
    /// of the set that can verify `alg` (it is an error if there are none or several).
    pub fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<(&Jwk, JwkPublicKey)> {
        match kid {
            Some(kid) => {
                let jwk = self
                    .keys
                    .iter()
                    .find(|k| k.kid.as_deref() == Some(kid))
                    .ok_or_else(|| Error::UnknownKid {
                        kid: kid.to_string(),
                        available: self.kids(),
                    })?;
                let key = jwk.check_alg(alg)?;
                Ok((jwk, key))
            }
            None => {
                let mut fitting = Vec::new();
                let mut reasons = Vec::new();
                for jwk in &self.keys {
                    match jwk.check_alg(alg) {
                        Ok(key) => fitting.push((jwk, key)),
                        Err(e) => reasons.push(e.to_string()),
                    }
                }
                match fitting.len() {
                    1 => Ok(fitting.remove(0)),
                    0 => Err(Error::NoMatchingKey {
                        alg: alg.name().into(),
                        count: self.keys.len(),
                        reason: if reasons.is_empty() {
                            "the JWKS is empty".into()
                        } else {
                            reasons.join("; ")
                        },
                    }),
                    n => Err(Error::AmbiguousKey {
                        alg: alg.name().into(),
                        count: n,
                    }),
                }
            }
        }
    }
}
