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
/// Maximum extension lines in a checkpoint note body.
pub const MAX_NOTE_EXTENSIONS: usize = 64;
/// Maximum subjects in an in-toto statement.
pub const MAX_STATEMENT_SUBJECTS: usize = 4096;
/// Maximum signatures in a Rekor entry body (dsse, intoto).
pub const MAX_BODY_SIGNATURES: usize = MAX_DSSE_SIGNATURES;

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
