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
/// PEM blocks in one file or field (a certificate chain, a CA bundle).
pub const MAX_PEM_BLOCKS: usize = 64;
/// Maximum signature lines in a checkpoint note.
pub const MAX_NOTE_SIGNATURES: usize = 100;
/// Maximum DSSE signatures accepted in an envelope.
pub const MAX_DSSE_SIGNATURES: usize = 16;
/// Maximum extension lines in a checkpoint note body.
pub const MAX_NOTE_EXTENSIONS: usize = 64;
/// Maximum subjects in an in-toto statement.
pub const MAX_STATEMENT_SUBJECTS: usize = 4096;
/// Maximum signatures in a Rekor entry body (dsse, intoto).
pub const MAX_BODY_SIGNATURES: usize = MAX_DSSE_SIGNATURES;

// --- caps of the other parsers and stores (one list; each crate uses these) ---

/// Most certificates accepted in an RFC 3161 token's embedded certificate set.
pub const MAX_TSA_EMBEDDED_CERTS: usize = 32;
/// Most keys a managed-key keyring may list (also the npm registry's `keys.json`).
pub const MAX_KEYRING_KEYS: usize = 256;
/// Most attestations an npm attestations document may list (npm publishes two).
pub const MAX_NPM_ATTESTATIONS: usize = 16;
/// Largest npm attestations document read, bytes.
pub const MAX_NPM_ATTESTATIONS_JSON: u64 = 16 << 20;
/// Largest Rekor v1 API answer read, bytes.
pub const MAX_REKOR_JSON: u64 = 64 << 20;
/// Largest package-index JSON document (simple API, provenance) read, bytes.
pub const MAX_INDEX_JSON: u64 = 32 << 20;
/// Largest distribution downloaded from a package index, bytes.
pub const MAX_DIST_BYTES: u64 = 1 << 30;
/// Largest tile-log object (a full entry bundle of 256 maximal entries), bytes.
pub const MAX_TILE_OBJECT: u64 = 256 * (crate::tlog::layout::MAX_ENTRY_SIZE as u64 + 2);
/// Most Rekor v1 entries fetched as candidates for one DSSE envelope.
pub const MAX_DSSE_CANDIDATES: usize = 16;
/// Most keys a TUF `delegations` object may list (checked while parsing).
pub const MAX_TUF_DELEGATION_KEYS: usize = 4096;
/// Most roles a TUF `delegations` object may list (checked while parsing).
pub const MAX_TUF_DELEGATED_ROLES: usize = 4096;
/// Most key IDs one TUF delegated role may list (checked while parsing).
pub const MAX_TUF_ROLE_KEYIDS: usize = 256;
/// Most `paths` or `path_hash_prefixes` one TUF delegated role may list.
pub const MAX_TUF_ROLE_PATTERNS: usize = 4096;
/// Longest TUF `paths` pattern or hash prefix, bytes.
pub const MAX_TUF_PATTERN_LEN: usize = 1024;
/// Most TUF root versions fetched in one refresh (python-tuf: 32).
pub const MAX_TUF_ROOT_ROTATIONS: u64 = 32;
/// Most TUF delegated targets roles visited in one target search (python-tuf: 32).
pub const MAX_TUF_DELEGATIONS: usize = 32;
/// Largest TUF root metadata downloaded, bytes.
pub const MAX_TUF_ROOT_BYTES: u64 = 512_000;
/// Largest TUF timestamp metadata downloaded, bytes.
pub const MAX_TUF_TIMESTAMP_BYTES: u64 = 16_384;
/// Largest other TUF metadata downloaded, bytes.
pub const MAX_TUF_META_BYTES: u64 = 2_000_000;
/// Most retired key generations an instance keeps (each is in its trusted root).
pub const MAX_RETIRED_KEYS: usize = 256;
/// Most live authorization and device codes of the development issuer (each kind).
pub const MAX_DEV_ISSUER_PENDING: usize = 10_000;
/// Longest form field the development issuer accepts, bytes.
pub const MAX_DEV_ISSUER_FIELD: usize = 2048;
/// Largest form body the development issuer reads, bytes.
pub const MAX_DEV_ISSUER_FORM: usize = 16 * MAX_DEV_ISSUER_FIELD;

/// Serde helpers that enforce a cap on a list *while* it is parsed: the element past the cap is
/// an error before it is read, so a hostile document cannot make the parser allocate millions
/// of elements first (a 64 MB bundle of 22 million proof hashes would otherwise take > 1 GB).
pub mod capped {
    use serde::de::{Error as _, SeqAccess, Visitor};
    use serde::{Deserialize, Deserializer};
    use std::marker::PhantomData;

    struct CappedVisitor<T> {
        what: &'static str,
        max: usize,
        _t: PhantomData<T>,
    }

    impl<'de, T: Deserialize<'de>> Visitor<'de> for CappedVisitor<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "a list of at most {} {}", self.max, self.what)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.max).min(64));
            while let Some(v) = seq.next_element::<T>()? {
                if out.len() == self.max {
                    return Err(A::Error::custom(format!(
                        "{} exceed the limit of {} (expected at most {}, found more)",
                        self.what, self.max, self.max
                    )));
                }
                out.push(v);
            }
            Ok(out)
        }
    }

    /// Deserialize a list (JSON `null` is empty) of at most `max` elements.
    pub fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
        what: &'static str,
        max: usize,
    ) -> Result<Vec<T>, D::Error> {
        d.deserialize_any(CappedVisitor {
            what,
            max,
            _t: PhantomData,
        })
    }

    /// A list of base64 strings, decoded, at most `max` elements.
    pub fn b64_vec<'de, D: Deserializer<'de>>(
        d: D,
        what: &'static str,
        max: usize,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        let raw: Vec<crate::encoding::base64_bytes::B64> = vec(d, what, max)?;
        Ok(raw.into_iter().map(|b| b.0).collect())
    }

    /// Define a named deserializer for `deserialize_with` that caps a list.
    #[macro_export]
    #[doc(hidden)]
    macro_rules! capped_fn {
        ($name:ident, $t:ty, $what:literal, $max:expr) => {
            pub(crate) fn $name<'de, D: serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Vec<$t>, D::Error> {
                $crate::limits::capped::vec(d, $what, $max)
            }
        };
    }
}
