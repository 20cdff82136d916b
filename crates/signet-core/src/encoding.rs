//! Encoding helpers shared by the wire types: standard base64 (with and without padding) and
//! serde adapters for Sigstore's "int64 as JSON string" convention.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;

use crate::{Error, Result};

/// Decode a protobuf JSON `bytes` field: standard or URL-safe base64, with or without padding,
/// as the protobuf JSON mapping requires parsers to accept (bundles, trusted roots, Rekor v2
/// entries). Where a format says standard base64, use [`b64_decode_std`].
pub fn b64_decode(what: &str, s: &str) -> Result<Vec<u8>> {
    let s = s.trim();
    // The SIMD decoder handles the common, canonical case; the rest falls back.
    if let Ok(v) = base64_simd::STANDARD.decode_to_vec(s) {
        return Ok(v);
    }
    STANDARD
        .decode(s)
        .or_else(|_| STANDARD_NO_PAD.decode(s))
        .or_else(|_| URL_SAFE.decode(s))
        .or_else(|_| URL_SAFE_NO_PAD.decode(s))
        .map_err(|e| Error::Base64 {
            what: what.to_string(),
            reason: e.to_string(),
        })
}

/// Decode standard base64 exactly (RFC 4648 section 4: the standard alphabet, padding
/// required, no whitespace, no non-zero trailing bits), as formats that say "base64" and are
/// not protobuf JSON require: PEM bodies (RFC 7468), C2SP signed notes and checkpoints, and
/// Rekor v1's API fields (Go's `StdEncoding`).
pub fn b64_decode_std(what: &str, s: &str) -> Result<Vec<u8>> {
    STANDARD.decode(s).map_err(|e| Error::Base64 {
        what: what.to_string(),
        reason: format!("expected standard base64 with padding: {e}"),
    })
}

/// Encode standard base64 with padding.
pub fn b64_encode(bytes: impl AsRef<[u8]>) -> String {
    base64_simd::STANDARD.encode_to_string(bytes)
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// SHA-512 of `data`.
pub fn sha512(data: &[u8]) -> [u8; 64] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, data);
    let mut out = [0u8; 64];
    out.copy_from_slice(d.as_ref());
    out
}

/// Serde adapter: an `i64`/`u64` carried as a JSON string (protobuf JSON int64), accepting a
/// bare number on input too.
pub mod int_string {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    /// Serialize as a decimal string.
    pub fn serialize<S: Serializer, T: std::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrNum<'a> {
        #[serde(borrow)]
        Str(std::borrow::Cow<'a, str>),
        Num(i128),
    }

    /// Deserialize from a string or number.
    pub fn deserialize<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i128> + std::str::FromStr,
    {
        match StrOrNum::deserialize(d)? {
            StrOrNum::Str(s) => s
                .parse::<T>()
                .map_err(|_| D::Error::custom(format!("expected an integer string, found {s:?}"))),
            StrOrNum::Num(n) => {
                T::try_from(n).map_err(|_| D::Error::custom(format!("integer {n} out of range")))
            }
        }
    }

    /// The same for `Option<T>`.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        /// Serialize `Some` as a decimal string.
        pub fn serialize<S: Serializer, T: std::fmt::Display>(
            v: &Option<T>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.collect_str(v),
                None => s.serialize_none(),
            }
        }

        /// Deserialize an optional integer string.
        pub fn deserialize<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
        where
            D: Deserializer<'de>,
            T: TryFrom<i128> + std::str::FromStr,
        {
            #[derive(Deserialize)]
            struct W<T: TryFrom<i128> + std::str::FromStr>(
                #[serde(deserialize_with = "super::deserialize")] T,
            );
            Ok(Option::<W<T>>::deserialize(d)?.map(|w| w.0))
        }
    }
}

/// How [`base64_bytes`] reads strings on this thread.
#[derive(Clone, Copy, PartialEq, Eq)]
enum B64Mode {
    /// As JSON strings (UTF-8 validated, control characters refused), then decoded.
    Strict,
    /// As raw bytes, canonical base64 only (see [`parse_with_fast_base64`]).
    Fast,
    /// A fast read met a string it does not handle; the result must not be used.
    Bailed,
}

thread_local! {
    static B64_MODE: std::cell::Cell<B64Mode> = const { std::cell::Cell::new(B64Mode::Strict) };
}

fn fast_mode() -> bool {
    B64_MODE.with(|m| m.get() == B64Mode::Fast)
}

fn bail_to_strict<E: serde::de::Error>() -> E {
    B64_MODE.with(|m| m.set(B64Mode::Bailed));
    E::custom("base64 string needs the strict reading")
}

/// Parse JSON `bytes` as a `T`; a failure is [`Error::Json`] naming `what`.
pub(crate) fn parse_json<'a, T: serde::Deserialize<'a>>(
    what: &'static str,
    bytes: &'a [u8],
) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| Error::Json { what, source })
}

/// Run `parse` (a serde_json parse from a byte slice) with the base64 fields read in the fast
/// mode: straight from the input bytes, skipping serde_json's UTF-8 validation and per-byte
/// string scan, which the base64 decoder's alphabet check makes redundant for canonical base64.
/// If any base64 string is not canonical (escapes, whitespace, other alphabets), or the parse
/// fails at all, the document is parsed again in the strict mode, so results and error messages
/// are exactly those of the strict parse.
pub(crate) fn parse_with_fast_base64<T, E>(
    mut parse: impl FnMut() -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    struct Restore(B64Mode);
    impl Drop for Restore {
        fn drop(&mut self) {
            B64_MODE.with(|m| m.set(self.0));
        }
    }
    let _restore = Restore(B64_MODE.with(|m| m.replace(B64Mode::Fast)));
    let fast = parse();
    if fast.is_ok() && fast_mode() {
        return fast;
    }
    // Free the first attempt before the second, so a large document is not held twice.
    drop(fast);
    B64_MODE.with(|m| m.set(B64Mode::Strict));
    parse()
}

/// Serde adapter: bytes as standard base64 strings.
pub mod base64_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize bytes as padded standard base64.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::b64_encode(v))
    }

    /// Decodes a base64 string as it is read: borrowed from the input when it can be, so a
    /// large field (a DSSE payload, a log entry body) is not copied into a `String` first.
    ///
    /// In the fast mode of [`super::parse_with_fast_base64`] the string arrives as raw bytes
    /// (serde_json neither validates UTF-8 nor scans for control characters then) and only the
    /// canonical case is accepted here: an unescaped string that the SIMD decoder decodes, which
    /// is then all base64 alphabet, so the strict reading would give the same bytes. Anything
    /// else bails out, and the caller parses the whole document again in the strict mode.
    pub(crate) struct B64Visitor;

    impl<'de> serde::de::Visitor<'de> for B64Visitor {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a base64 string")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Vec<u8>, E> {
            super::b64_decode("field", s).map_err(E::custom)
        }
        fn visit_borrowed_bytes<E: serde::de::Error>(self, b: &'de [u8]) -> Result<Vec<u8>, E> {
            if super::fast_mode() {
                if let Ok(v) = base64_simd::STANDARD.decode_to_vec(b) {
                    return Ok(v);
                }
                return Err(super::bail_to_strict());
            }
            Err(E::invalid_type(serde::de::Unexpected::Bytes(b), &self))
        }
        fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Vec<u8>, E> {
            // Escapes were present: only the strict reading knows what the input said.
            if super::fast_mode() {
                return Err(super::bail_to_strict());
            }
            Err(E::invalid_type(serde::de::Unexpected::Bytes(b), &self))
        }
    }

    /// Read a base64 string with [`B64Visitor`] in the current mode.
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        if super::fast_mode() {
            d.deserialize_bytes(B64Visitor)
        } else {
            d.deserialize_str(B64Visitor)
        }
    }

    /// Deserialize base64 (padding optional).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        read(d)
    }

    /// One base64 string, decoded (for lists of them).
    pub(crate) struct B64(pub(crate) Vec<u8>);

    impl<'de> Deserialize<'de> for B64 {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            read(d).map(B64)
        }
    }

    /// The same for `Option<Vec<u8>>`.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        /// Serialize `Some` as base64.
        pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.serialize_str(&super::super::b64_encode(v)),
                None => s.serialize_none(),
            }
        }

        /// Deserialize optional base64.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
            Ok(Option::<super::B64>::deserialize(d)?.map(|b| b.0))
        }
    }

    /// Serializing `Vec<Vec<u8>>` (lists are deserialized with a cap, see
    /// [`crate::limits::capped::b64_vec`]).
    pub mod vec {
        use serde::{ser::SerializeSeq, Serializer};

        /// Serialize a list of byte strings.
        pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(v.len()))?;
            for b in v {
                seq.serialize_element(&super::super::b64_encode(b))?;
            }
            seq.end()
        }
    }
}

/// PEM-encode `der` under `label` (RFC 7468 strict: LF line endings, 64-column lines).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    // Only a label with characters outside RFC 7468's printable set fails, and every label
    // here is one of the constants (CERTIFICATE, PUBLIC KEY, ...).
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .expect("PEM labels are ASCII constants")
}

/// Every PEM block in `text` (text between blocks, such as OpenSSL's explanatory lines, is
/// skipped): label and contents, each block decoded with RFC 7468's strict grammar. At most
/// [`crate::limits::MAX_PEM_BLOCKS`] blocks.
pub fn pem_decode_all(text: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let bad = |reason: String| Error::invalid("PEM", reason);
    let mut out = vec![];
    let mut rest = text;
    while let Some(i) = find(rest, b"-----BEGIN ") {
        if out.len() == crate::limits::MAX_PEM_BLOCKS {
            return Err(bad(format!(
                "more than {} blocks",
                crate::limits::MAX_PEM_BLOCKS
            )));
        }
        let block = &rest[i..];
        let label_end = find(&block[11..], b"-----")
            .ok_or_else(|| bad("a BEGIN line without its closing dashes".into()))?;
        let label = &block[11..11 + label_end];
        let end = [b"-----END ", label, b"-----"].concat();
        let stop = find(block, &end).ok_or_else(|| {
            bad(format!(
                "no -----END {}----- line",
                String::from_utf8_lossy(label)
            ))
        })? + end.len();
        // The block with its line ending, as the strict grammar wants it.
        let stop = stop
            + block[stop..]
                .iter()
                .take_while(|b| **b == b'\r' || **b == b'\n')
                .count()
                .min(2);
        out.push(decode_block(&block[..stop]).map_err(bad)?);
        rest = &block[stop..];
    }
    Ok(out)
}

/// One PEM block: RFC 7468's strict grammar, else its lax form as Go's `encoding/pem` reads
/// it (and so Rekor stores it): base64 lines of any length (npm's registry logs its key as one
/// 124-column line), CRLF or LF, no final newline. The base64 must still be standard and
/// exact, the END label the BEGIN's, and headers are refused.
fn decode_block(block: &[u8]) -> std::result::Result<(String, Vec<u8>), String> {
    let strict = match pem_rfc7468::decode_vec(block) {
        Ok((l, der)) => return Ok((l.to_string(), der)),
        Err(e) => e.to_string(),
    };
    let lax = || -> Option<(String, Vec<u8>)> {
        let mut lines = std::str::from_utf8(block).ok()?.lines();
        let begin = lines.next()?.trim_end();
        let label = begin.strip_prefix("-----BEGIN ")?.strip_suffix("-----")?;
        let mut b64 = String::new();
        for line in lines {
            let line = line.trim_end();
            if let Some(end) = line.strip_prefix("-----END ") {
                let der = (end.strip_suffix("-----")? == label)
                    .then(|| b64_decode_std("PEM body", &b64).ok())??;
                return Some((label.to_string(), der));
            }
            if line.contains(':') {
                return None;
            }
            b64.push_str(line);
        }
        None
    };
    lax().ok_or(strict)
}

/// The first PEM block of `text`: label and contents.
pub fn pem_decode(text: &[u8]) -> Result<(String, Vec<u8>)> {
    pem_decode_all(text)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::invalid("PEM", "expected a -----BEGIN ...----- block, found none"))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `text` is exactly the canonical PEM encoding of `der` under `label`: as
/// [`pem_encode`] writes it (and Go's `pem.Encode`, which writes Rekor's bodies), 64-column
/// base64 lines, LF endings, a final newline. A cheap exact check before
/// [`pem_block_der`]; `true` implies `pem_block_der(text, label)` returns `der`.
pub fn is_canonical_pem_of(text: &[u8], label: &str, der: &[u8]) -> bool {
    let b64 = b64_encode(der);
    let lines = b64.len().div_ceil(64);
    let begin_len = "-----BEGIN -----\n".len() + label.len();
    let end_len = "-----END -----\n".len() + label.len();
    if text.len() != begin_len + b64.len() + lines + end_len {
        return false;
    }
    let (head, rest) = text.split_at(begin_len);
    let (body, tail) = rest.split_at(b64.len() + lines);
    let marker = |t: &[u8], kind: &str| {
        let inner = t
            .strip_prefix(b"-----")
            .and_then(|t| t.strip_prefix(kind.as_bytes()));
        inner
            .and_then(|t| t.strip_prefix(b" "))
            .and_then(|t| t.strip_prefix(label.as_bytes()))
            == Some(b"-----\n".as_slice())
    };
    marker(head, "BEGIN")
        && marker(tail, "END")
        && body
            .chunks(65)
            .zip(b64.as_bytes().chunks(64))
            .all(|(line, want)| {
                line.len() == want.len() + 1 && line.ends_with(b"\n") && line[..want.len()] == *want
            })
}

/// The DER inside the first PEM block of `text` whose label is `label`, e.g. `CERTIFICATE`
/// (the blocks before it may have other labels); RFC 7468's strict grammar.
pub fn pem_block_der(text: &[u8], label: &str) -> Result<Vec<u8>> {
    pem_decode_all(text)?
        .into_iter()
        .find(|(l, _)| l == label)
        .map(|(_, der)| der)
        .ok_or_else(|| {
            Error::invalid(
                format!("PEM {label}"),
                format!("no -----BEGIN {label}----- block"),
            )
        })
}

#[cfg(test)]
mod tests {
    /// npm's registry logs its key as one 124-column base64 line with no final newline (as Go
    /// writes and reads it); strictly that is not RFC 7468, laxly it is the same key.
    #[test]
    fn pem_with_a_long_base64_line_decodes_laxly() {
        let der = super::b64_decode_std("t", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==").unwrap();
        let one_line = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
            super::b64_encode(&der)
        );
        let (label, got) = super::pem_decode(one_line.as_bytes()).unwrap();
        assert_eq!((label.as_str(), got), ("PUBLIC KEY", der.clone()));
        let crlf = one_line.replace('\n', "\r\n");
        assert_eq!(super::pem_decode(crlf.as_bytes()).unwrap().1, der);
        // Still refused: another END label, headers, non-standard base64.
        for bad in [
            one_line.replace("END PUBLIC", "END PRIVATE"),
            one_line.replace("-----\nMFkw", "-----\nProc-Type: 4,ENCRYPTED\nMFkw"),
            one_line.replace("gg==", "gg"),
            one_line.replace('+', "-"),
        ] {
            assert!(super::pem_decode(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn standard_base64_is_exact_and_protobuf_base64_is_lenient() {
        let want = vec![0xfb, 0xff, 0x01];
        assert_eq!(super::b64_decode_std("x", "+/8B").unwrap(), want);
        for bad in ["-_8B", "+/8", " +/8B", "+/8B\n", "+/8C="] {
            assert!(super::b64_decode_std("x", bad).is_err(), "{bad:?}");
        }
        for ok in ["+/8B", "-_8B"] {
            assert_eq!(super::b64_decode("x", ok).unwrap(), want, "{ok:?}");
        }
        // A PEM body is standard base64: a URL-safe body is refused.
        let pem = super::pem_encode("CERTIFICATE", &[0xfb; 30]);
        assert!(super::pem_block_der(pem.as_bytes(), "CERTIFICATE").is_ok());
        let url = pem.replace('+', "-").replace('/', "_");
        assert_ne!(url, pem);
        assert!(super::pem_block_der(url.as_bytes(), "CERTIFICATE").is_err());
    }

    use super::*;

    #[test]
    fn pem_blocks_of_a_chain_file_with_text_crlf_and_no_final_newline() {
        let (a, b) = (vec![1u8; 100], vec![2u8; 50]);
        let text = format!(
            "subject=CN=a\n{}issuer=CN=b\n{}",
            pem_encode("CERTIFICATE", &a).replace('\n', "\r\n"),
            pem_encode("PUBLIC KEY", &b).trim_end()
        );
        let blocks = pem_decode_all(text.as_bytes()).unwrap();
        assert_eq!(
            blocks,
            vec![
                ("CERTIFICATE".to_string(), a),
                ("PUBLIC KEY".to_string(), b.clone())
            ]
        );
        assert_eq!(pem_block_der(text.as_bytes(), "PUBLIC KEY").unwrap(), b);
        assert!(pem_decode(b"no pem here").is_err());
        let many = pem_encode("CERTIFICATE", &[1]).repeat(crate::limits::MAX_PEM_BLOCKS + 1);
        let e = pem_decode_all(many.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("more than"), "{e}");
    }

    #[test]
    fn pem_block_der_is_strict() {
        let der = vec![0x30, 0x03, 0x02, 0x01, 0x05];
        let good = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            b64_encode(&der)
        );
        assert_eq!(pem_block_der(good.as_bytes(), "CERTIFICATE").unwrap(), der);
        assert_eq!(
            pem_decode(good.as_bytes()).unwrap(),
            ("CERTIFICATE".into(), der.clone())
        );
        assert!(pem_block_der(good.as_bytes(), "PUBLIC KEY").is_err());
        assert!(pem_block_der(
            good.replace("-----END CERTIFICATE-----", "").as_bytes(),
            "CERTIFICATE"
        )
        .is_err());
        let headers = good.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n");
        assert!(pem_block_der(headers.as_bytes(), "CERTIFICATE").is_err());
        assert!(pem_block_der(b"\xff\xfe", "CERTIFICATE").is_err());
        let cert_der: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let pem = pem_encode("CERTIFICATE", &cert_der);
        assert!(is_canonical_pem_of(
            pem.as_bytes(),
            "CERTIFICATE",
            &cert_der
        ));
        assert_eq!(
            pem_block_der(pem.as_bytes(), "CERTIFICATE").unwrap(),
            cert_der
        );
        assert!(!is_canonical_pem_of(
            pem.as_bytes(),
            "PUBLIC KEY",
            &cert_der
        ));
        assert!(!is_canonical_pem_of(
            pem.as_bytes(),
            "CERTIFICATE",
            &cert_der[1..]
        ));
        assert!(!is_canonical_pem_of(
            pem.replace('\n', "\r\n").as_bytes(),
            "CERTIFICATE",
            &cert_der
        ));
        assert!(!is_canonical_pem_of(
            pem.trim_end().as_bytes(),
            "CERTIFICATE",
            &cert_der
        ));
        let mut flipped = pem.clone().into_bytes();
        flipped[40] ^= 1;
        assert!(!is_canonical_pem_of(&flipped, "CERTIFICATE", &cert_der));
        assert!(is_canonical_pem_of(good.as_bytes(), "CERTIFICATE", &der));
        let bad_b64 = good.replace(&b64_encode(&der), "!!!!");
        assert!(pem_block_der(bad_b64.as_bytes(), "CERTIFICATE").is_err());
    }
}
