//! The one error type of `signet-core`.

use thiserror::Error as ThisError;

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while parsing or checking Sigstore material.
///
/// Variants carry the context a user needs: what was expected and what was found.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// JSON that does not match the expected wire format.
    #[error("malformed {what}: {source}")]
    Json {
        /// What was being parsed (e.g. "bundle").
        what: &'static str,
        /// The underlying serde error.
        #[source]
        source: serde_json::Error,
    },
    /// Base64 that does not decode.
    #[error("invalid base64 in {what}: {reason}")]
    Base64 {
        /// The field.
        what: String,
        /// Decoder message.
        reason: String,
    },
    /// ASN.1 / DER that does not parse.
    #[error("malformed DER in {what}: {reason}")]
    Der {
        /// What was being parsed.
        what: String,
        /// The der crate's message.
        reason: String,
    },
    /// A format-level rule was broken (missing field, wrong media type, ...).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The object.
        what: String,
        /// Why it is invalid, naming expected vs found.
        reason: String,
    },
    /// A public key that cannot be used.
    #[error("unsupported or malformed public key ({what}): {reason}")]
    Key {
        /// Where the key came from.
        what: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A cryptographic signature did not verify.
    #[error("signature verification failed: {what}")]
    Signature {
        /// Which signature (e.g. "checkpoint signature by rekor.sigstore.dev").
        what: String,
    },
    /// A Merkle proof did not verify.
    #[error("Merkle proof failed: {reason}")]
    Proof {
        /// What did not match.
        reason: String,
    },
    /// An RFC 3161 timestamp problem.
    #[error("RFC 3161 timestamp: {reason}")]
    Timestamp {
        /// What is wrong with the timestamp.
        reason: String,
    },
    /// An input exceeded a cap from [`crate::limits`].
    #[error("{what} exceeds the limit: {found} > {limit}")]
    Limit {
        /// The thing counted.
        what: &'static str,
        /// The count found.
        found: usize,
        /// The cap.
        limit: usize,
    },
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }
    /// Shorthand for [`Error::Der`].
    pub fn der(what: impl Into<String>, err: impl std::fmt::Display) -> Self {
        Error::Der {
            what: what.into(),
            reason: err.to_string(),
        }
    }
    /// Shorthand for [`Error::Signature`].
    pub fn signature(what: impl Into<String>) -> Self {
        Error::Signature { what: what.into() }
    }
}
