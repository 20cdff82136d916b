//! The one error type of `signet-verify`, and the [`Rule`] each failure violates.

use thiserror::Error as ThisError;

/// A verification rule. Every rejection names the rule it enforces, so callers and tests can
/// tell exactly which check failed without matching message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    // --- trust material ---
    /// The trusted root is malformed (a key, chain or validity period cannot be used).
    TrustedRootMalformed,
    /// A trusted-root entry (tlog, CT log, CA or TSA) has no `validFor.start`.
    TrustedRootValidityStart,
    /// A CA certificate of the trusted root does not have the CA profile.
    TrustedCaProfile,

    // --- 1. signing time ---
    /// An inclusion promise (SET) is present but does not verify, or carries no integrated time.
    InclusionPromise,
    /// A log key's `validFor` does not cover the time it was used at.
    LogKeyValidity,
    /// An RFC 3161 timestamp does not verify against a trusted TSA.
    Timestamp,
    /// Fewer verified signing times than the threshold.
    SigningTimeThreshold,

    // --- 2. certificate path (RFC 5280 section 6.1) ---
    /// The leaf's issuer is not a certificate of any trusted CA chain, or its signature fails.
    ChainIssuer,
    /// A certificate of the path is not valid at a signing time (or the CA's `validFor` does not
    /// cover it).
    ChainValidity,
    /// A certificate carries a critical extension the verifier does not process.
    UnhandledCriticalExtension,
    /// The leaf is a CT precertificate (poison extension).
    PrecertificatePoison,
    /// A CA lacks basicConstraints cA=TRUE or keyUsage keyCertSign.
    CaConstraints,
    /// A CA's pathLenConstraint is violated.
    PathLength,
    /// A CA's name constraints exclude the leaf's SAN, or cannot be evaluated.
    NameConstraints,
    /// A CA's extended key usage does not allow code signing (EKU chaining).
    EkuChaining,
    /// The TBS signature algorithm differs from the certificate's outer one.
    SignatureAlgorithmMismatch,
    /// The leaf lacks the code-signing profile (KU digitalSignature, EKU codeSigning, not a CA).
    LeafProfile,

    // --- 3. SCT ---
    /// Fewer verified embedded SCTs than the threshold, or a malformed SCT.
    Sct,

    // --- 4. transparency log ---
    /// The entry's log is not a transparency log of the trusted root.
    TlogUnknownLog,
    /// A field of the entry is out of range (negative index, ...).
    TlogField,
    /// The entry's canonical body does not describe this bundle's signature, key and artifact.
    TlogBody,
    /// The inclusion proof does not lead to the checkpoint's root.
    InclusionProof,
    /// The checkpoint's origin or signer is not the log's.
    CheckpointOrigin,
    /// The checkpoint's signature does not verify with the log's key.
    CheckpointSignature,
    /// The entry is proven neither by a verified SET nor by a verified inclusion proof.
    TlogUnproven,
    /// An integrated time lies outside the leaf certificate's validity.
    IntegratedTime,
    /// Fewer distinct logs with a proven entry than the threshold.
    TlogThreshold,

    // --- managed keys ---
    /// The bundle is not signed with the managed key given (wrong key, no key, a certificate
    /// bundle), or the key's validity window does not cover the verified signing time.
    ManagedKey,

    // --- 5. artifact ---
    /// The signature, digest or DSSE statement does not match the artifact.
    Artifact,

    // --- 6. identity ---
    /// The signer identity does not satisfy the policy.
    Identity,
}

/// Why a bundle did not verify. Each variant names the step of the Sigstore verification order
/// that failed and carries the [`Rule`] and what was expected and what was found.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The bundle or trust material is malformed.
    #[error(transparent)]
    Format(#[from] signet_core::Error),
    /// The trusted root cannot be used.
    #[error("trusted root: {reason}")]
    TrustedRoot {
        /// The rule.
        rule: Rule,
        /// What is wrong.
        reason: String,
    },
    /// No verified signing time (no SET-verified integrated time and no RFC 3161 timestamp).
    #[error("no verified signing time: {0}")]
    NoSigningTime(String),
    /// Certificate path failure.
    #[error("certificate chain: {reason}")]
    Chain {
        /// The rule.
        rule: Rule,
        /// What failed.
        reason: String,
    },
    /// Leaf certificate profile failure (KU/EKU/CA flag, extensions).
    #[error("certificate: {reason}")]
    Certificate {
        /// The rule.
        rule: Rule,
        /// What failed.
        reason: String,
    },
    /// Embedded SCT failure.
    #[error("SCT: {0}")]
    Sct(String),
    /// Transparency log entry failure.
    #[error("transparency log entry #{index}: {reason}")]
    Tlog {
        /// Position of the entry in the bundle.
        index: usize,
        /// The rule.
        rule: Rule,
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
    /// The managed key does not apply to this bundle.
    #[error("managed key: {reason}")]
    Key {
        /// The rule.
        rule: Rule,
        /// What failed.
        reason: String,
    },
    /// The artifact signature or digest does not match.
    #[error("artifact: {0}")]
    Artifact(String),
    /// The signer identity does not satisfy the policy.
    #[error("identity: {message}")]
    Identity {
        /// What was compared: `SAN`, `OIDC issuer`, or the extension's label and OID.
        field: String,
        /// What the policy asked for.
        expected: String,
        /// What the certificate holds (`None` if it holds nothing there).
        found: Option<String>,
        /// The whole message, naming expected and found.
        message: String,
    },
    /// The request itself is inconsistent (e.g. a DSSE bundle without an artifact to check).
    #[error("{0}")]
    Usage(String),
}

impl Rule {
    /// For a rule that fails when a bundle comes from another Sigstore instance (a CA, log,
    /// CT log or TSA the trusted root does not list), what it checks, for a hint.
    pub fn instance_check(self) -> Option<&'static str> {
        Some(match self {
            Rule::ChainIssuer => "the certificate chain (issuing CA)",
            Rule::TlogUnknownLog => "the transparency log entry's log ID",
            Rule::Sct => "the certificate's SCT (CT log)",
            Rule::Timestamp => "the RFC 3161 timestamp (TSA)",
            _ => return None,
        })
    }
}

impl Error {
    /// The verification rule this error reports, if it is a verification failure.
    pub fn rule(&self) -> Option<Rule> {
        Some(match self {
            Error::TrustedRoot { rule, .. }
            | Error::Chain { rule, .. }
            | Error::Certificate { rule, .. }
            | Error::Tlog { rule, .. }
            | Error::Key { rule, .. } => *rule,
            Error::NoSigningTime(_) => Rule::SigningTimeThreshold,
            Error::Sct(_) => Rule::Sct,
            Error::Timestamp { .. } => Rule::Timestamp,
            Error::Artifact(_) => Rule::Artifact,
            Error::Identity { .. } => Rule::Identity,
            Error::Format(_) | Error::Usage(_) => return None,
        })
    }

    pub(crate) fn trusted_root(reason: impl Into<String>) -> Self {
        Error::TrustedRoot {
            rule: Rule::TrustedRootMalformed,
            reason: reason.into(),
        }
    }

    pub(crate) fn key(reason: impl Into<String>) -> Self {
        Error::Key {
            rule: Rule::ManagedKey,
            reason: reason.into(),
        }
    }

    pub(crate) fn chain(rule: Rule, reason: impl Into<String>) -> Self {
        Error::Chain {
            rule,
            reason: reason.into(),
        }
    }

    pub(crate) fn certificate(rule: Rule, reason: impl Into<String>) -> Self {
        Error::Certificate {
            rule,
            reason: reason.into(),
        }
    }

    pub(crate) fn identity(
        field: impl Into<String>,
        expected: impl Into<String>,
        found: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Identity {
            field: field.into(),
            expected: expected.into(),
            found,
            message: message.into(),
        }
    }

    pub(crate) fn tlog(index: usize, rule: Rule, reason: impl Into<String>) -> Self {
        Error::Tlog {
            index,
            rule,
            reason: reason.into(),
        }
    }
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
