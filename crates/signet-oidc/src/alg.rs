//! JWS signature algorithms (RFC 7518, RFC 8037): the names Signet accepts.

use crate::{Error, Result};

/// The algorithm names accepted, for error messages.
pub const SUPPORTED_ALGORITHMS: &str =
    "RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA";

/// A JWS signature algorithm (RFC 7518, RFC 8037).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384 and MGF1-SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512 and MGF1-SHA-512.
    Ps512,
    /// ECDSA P-256 with SHA-256 (fixed-width r||s signature).
    Es256,
    /// ECDSA P-384 with SHA-384 (fixed-width r||s signature).
    Es384,
    /// EdDSA (Ed25519 only).
    EdDsa,
}

impl Algorithm {
    /// Parse a JWS `alg` value. `none` and anything unsupported are errors.
    pub fn from_name(alg: &str) -> Result<Self> {
        Ok(match alg {
            "RS256" => Algorithm::Rs256,
            "RS384" => Algorithm::Rs384,
            "RS512" => Algorithm::Rs512,
            "PS256" => Algorithm::Ps256,
            "PS384" => Algorithm::Ps384,
            "PS512" => Algorithm::Ps512,
            "ES256" => Algorithm::Es256,
            "ES384" => Algorithm::Es384,
            "EdDSA" => Algorithm::EdDsa,
            a if a.eq_ignore_ascii_case("none") => {
                return Err(Error::AlgNone {
                    supported: SUPPORTED_ALGORITHMS,
                })
            }
            other => {
                return Err(Error::UnsupportedAlgorithm {
                    alg: other.to_string(),
                    supported: SUPPORTED_ALGORITHMS,
                })
            }
        })
    }

    /// The JWS name (`RS256`, `EdDSA`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Ps384 => "PS384",
            Algorithm::Ps512 => "PS512",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::EdDsa => "EdDSA",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
