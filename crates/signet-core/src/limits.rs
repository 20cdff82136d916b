//! Input caps, in one place (as sigstore-go's `limits`).
//!
//! A verifier must not do unbounded work on attacker-chosen input. These caps are far above what
//! any real bundle carries.

/// Maximum transparency log entries in one bundle (sigstore-go: 32).
pub const MAX_TLOG_ENTRIES: usize = 32;
/// Maximum RFC 3161 timestamps in one bundle (sigstore-go: 32).
pub const MAX_TIMESTAMPS: usize = 32;
/// Maximum size of a bundle or envelope JSON document, bytes.
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;
/// Maximum certificates in an `x509CertificateChain`.
pub const MAX_CHAIN_CERTS: usize = 10;
/// Maximum hashes in an inclusion proof (a tree of 2^64 leaves needs 64).
pub const MAX_PROOF_HASHES: usize = 64;
/// Maximum SCTs in one certificate.
pub const MAX_SCTS: usize = 32;
/// Maximum signature lines in a checkpoint note.
pub const MAX_NOTE_SIGNATURES: usize = 100;
/// Maximum DSSE signatures accepted in an envelope.
pub const MAX_DSSE_SIGNATURES: usize = 16;
