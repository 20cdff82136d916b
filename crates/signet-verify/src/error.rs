//! The one error type of `signet-verify`.

use thiserror::Error as ThisError;

/// Why a bundle did not verify. Each variant names the step of the Sigstore verification order
/// that failed and carries what was expected and what was found.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The bundle or trust material is malformed.
    #[error(transparent)]
    Format(#[from] signet_core::Error),
    /// The trusted root cannot be used.
    #[error("trusted root: {0}")]
    TrustedRoot(String),
    /// No verified signing time (no SET-verified integrated time and no RFC 3161 timestamp).
    #[error("no verified signing time: {0}")]
    NoSigningTime(String),
    /// Certificate chain failure.
    #[error("certificate chain: {0}")]
    Chain(String),
    /// Certificate profile failure (KU/EKU/CA flag).
    #[error("certificate: {0}")]
    Certificate(String),
    /// Embedded SCT failure.
    #[error("SCT: {0}")]
    Sct(String),
    /// Transparency log entry failure.
    #[error("transparency log entry #{index}: {reason}")]
    Tlog {
        /// Position of the entry in the bundle.
        index: usize,
        /// What failed.
        reason: String,
    },
    /// RFC 3161 timestamp failure.
    #[error("timestamp #{index}: {reason}")]
    Timestamp {
        /// Position in the bundle.
        index: usize,
        /// What failed.
        reason: String,
    },
    /// The artifact signature or digest does not match.
    #[error("artifact: {0}")]
    Artifact(String),
    /// The signer identity does not satisfy the policy.
    #[error("identity: {0}")]
    Identity(String),
    /// The request itself is inconsistent (e.g. a DSSE bundle without an artifact to check).
    #[error("{0}")]
    Usage(String),
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
