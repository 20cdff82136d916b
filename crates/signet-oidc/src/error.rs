//! The crate's one error type.

/// Everything that can go wrong while parsing, verifying or minting tokens, or mapping them to a
/// Fulcio identity. Each variant says what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The token is not a JWS compact serialization (three base64url parts).
    #[error("malformed JWT: {reason}")]
    MalformedToken {
        /// What is wrong.
        reason: String,
    },
    /// The input is larger than this crate accepts.
    #[error("{what} is {len} bytes, more than the {max} bytes accepted")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A base64url field did not decode.
    #[error("{what}: invalid base64url: {reason}")]
    Base64 {
        /// Which field.
        what: String,
        /// The decoder's complaint.
        reason: String,
    },
    /// A JSON document or field did not parse as expected.
    #[error("{what}: invalid JSON: {reason}")]
    Json {
        /// Which document.
        what: String,
        /// The parser's complaint.
        reason: String,
    },
    /// The JWS `alg` is `none` (unsigned tokens are never accepted).
    #[error("JWT alg is \"none\": unsigned tokens are rejected; expected one of {supported}")]
    AlgNone {
        /// The supported algorithms.
        supported: &'static str,
    },
    /// The JWS `alg` is not one this crate supports.
    #[error("unsupported JWT alg {alg:?}; expected one of {supported}")]
    UnsupportedAlgorithm {
        /// The header's alg.
        alg: String,
        /// The supported algorithms.
        supported: &'static str,
    },
    /// The JWS header lists critical extensions this crate does not understand.
    #[error("JWT header has critical extensions {names:?}; none are supported")]
    UnsupportedCritical {
        /// The `crit` names.
        names: Vec<String>,
    },
    /// The header's `kid` is not in the JWKS.
    #[error("no key with kid {kid:?} in the JWKS; it has kids {available:?}")]
    UnknownKid {
        /// The header's kid.
        kid: String,
        /// The kids the JWKS holds.
        available: Vec<String>,
    },
    /// No key in the JWKS can check a token with this algorithm.
    #[error("no key in the JWKS ({count} keys) can verify {alg}: {reason}")]
    NoMatchingKey {
        /// The token's alg.
        alg: String,
        /// Keys in the JWKS.
        count: usize,
        /// Why none matched.
        reason: String,
    },
    /// The token has no `kid` and several JWKS keys could check it.
    #[error("JWT has no kid and {count} JWKS keys could verify {alg}; expected exactly one")]
    AmbiguousKey {
        /// The token's alg.
        alg: String,
        /// How many keys fit.
        count: usize,
    },
    /// The key selected by `kid` does not fit the token's algorithm.
    #[error("key {kid:?} is {key}, which cannot verify a {alg} signature")]
    KeyAlgMismatch {
        /// The key's kid.
        kid: String,
        /// The token's alg.
        alg: String,
        /// What the key is (e.g. "EC P-384", "RSA", "JWK alg RS256").
        key: String,
    },
    /// A JWK is malformed or of an unsupported type.
    #[error("invalid JWK {kid:?}: {reason}")]
    InvalidJwk {
        /// The key's kid (empty when it has none).
        kid: String,
        /// What is wrong.
        reason: String,
    },
    /// The signature does not verify with the selected key.
    #[error("JWT signature ({alg}) does not verify with key {kid:?}")]
    BadSignature {
        /// The token's alg.
        alg: String,
        /// The key's kid.
        kid: String,
    },
    /// The token's issuer is neither a configured issuer nor matches a meta-issuer pattern.
    #[error(
        "issuer {issuer:?} is not configured (neither an OIDC issuer nor a meta-issuer match)"
    )]
    UnknownIssuer {
        /// The token's `iss`.
        issuer: String,
    },
    /// The token's audience does not include the issuer's client id.
    #[error("JWT aud {found:?} does not contain the expected client id {expected:?}")]
    WrongAudience {
        /// The configured client id.
        expected: String,
        /// The token's audiences.
        found: Vec<String>,
    },
    /// The token expired (beyond the allowed clock skew).
    #[error("JWT expired: exp {exp} is before now {now} (allowed skew {skew} s)")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The verification time.
        now: i64,
        /// The allowed skew in seconds.
        skew: i64,
    },
    /// The token's `nbf` is in the future (beyond the allowed clock skew).
    #[error("JWT not yet valid: nbf {nbf} is after now {now} (allowed skew {skew} s)")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The verification time.
        now: i64,
        /// The allowed skew in seconds.
        skew: i64,
    },
    /// The token's `iat` is in the future (beyond the allowed clock skew).
    #[error("JWT issued in the future: iat {iat} is after now {now} (allowed skew {skew} s)")]
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The verification time.
        now: i64,
        /// The allowed skew in seconds.
        skew: i64,
    },
    /// A claim the check or mapping needs is absent (or null / empty).
    #[error("JWT is missing the {claim:?} claim")]
    MissingClaim {
        /// The claim's name.
        claim: String,
    },
    /// A claim has the wrong type or an unacceptable value.
    #[error("JWT claim {claim:?}: expected {expected}, found {found}")]
    InvalidClaim {
        /// The claim's name.
        claim: String,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// An email issuer's token does not assert `email_verified: true`.
    #[error("email {email:?} is not verified (email_verified is {found}; expected true)")]
    EmailNotVerified {
        /// The email claim.
        email: String,
        /// The `email_verified` value found (or "absent").
        found: String,
    },
    /// A URI issuer's subject is not under the configured subject domain.
    #[error(
        "subject {subject:?} is not under the configured subject domain {expected:?}: {reason}"
    )]
    SubjectDomainMismatch {
        /// The token's `sub`.
        subject: String,
        /// The configured subject domain.
        expected: String,
        /// What differs.
        reason: String,
    },
    /// The issuer's type is known to Fulcio but not implemented here (or unknown).
    #[error("issuer {issuer:?} has type {issuer_type:?}, which is not supported; supported: {supported}")]
    UnsupportedIssuerType {
        /// The issuer URL.
        issuer: String,
        /// The configured type.
        issuer_type: String,
        /// The supported types.
        supported: &'static str,
    },
    /// The issuer configuration is invalid.
    #[error("invalid issuer configuration for {issuer:?}: {reason}")]
    InvalidConfig {
        /// The issuer URL or pattern.
        issuer: String,
        /// What is wrong.
        reason: String,
    },
    /// A discovery document is unusable.
    #[error("invalid OpenID discovery document: {reason}")]
    InvalidDiscovery {
        /// What is wrong.
        reason: String,
    },
    /// A discovery document names another issuer than the one it was fetched for.
    #[error("discovery document issuer mismatch: expected {expected:?}, found {found:?}")]
    DiscoveryIssuerMismatch {
        /// The issuer the caller asked for.
        expected: String,
        /// The document's `issuer`.
        found: String,
    },
    /// Key generation, key parsing or signing failed in aws-lc-rs.
    #[error("{what}: {reason}")]
    Crypto {
        /// The operation.
        what: String,
        /// aws-lc-rs's complaint.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn json(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        Error::Json {
            what: what.into(),
            reason: e.to_string(),
        }
    }

    pub(crate) fn missing(claim: impl Into<String>) -> Self {
        Error::MissingClaim {
            claim: claim.into(),
        }
    }

    pub(crate) fn crypto(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        Error::Crypto {
            what: what.into(),
            reason: e.to_string(),
        }
    }

    /// `Err(TooLarge)` when `len` is over `max`.
    pub(crate) fn check_len(what: &'static str, len: usize, max: usize) -> Result<()> {
        if len > max {
            return Err(Error::TooLarge { what, len, max });
        }
        Ok(())
    }
}
