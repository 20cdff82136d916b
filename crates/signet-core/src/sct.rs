//! Signed Certificate Timestamps embedded in certificates (RFC 6962 section 3.2–3.3).
//!
//! Fulcio embeds the SCT list it got for the precertificate. To verify an SCT, the verifier
//! rebuilds what the log signed: the leaf's TBSCertificate without the SCT list extension, bound
//! to the SHA-256 of the issuing CA's public key.

use crate::{limits, Error, Result};

/// One parsed SCT (v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// SCT version (0 = v1).
    pub version: u8,
    /// SHA-256 of the CT log's SubjectPublicKeyInfo.
    pub log_id: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// CT extensions (opaque).
    pub extensions: Vec<u8>,
    /// TLS HashAlgorithm (4 = sha256).
    pub hash_alg: u8,
    /// TLS SignatureAlgorithm (1 = rsa, 3 = ecdsa, 7 = ed25519).
    pub sig_alg: u8,
    /// The signature.
    pub signature: Vec<u8>,
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.b.len() < n {
            return Err(Error::invalid(
                "SCT list",
                format!("truncated: needed {n} bytes, {} left", self.b.len()),
            ));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<usize> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]) as usize)
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    fn vec16(&mut self) -> Result<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }
}

/// Parse a TLS-encoded `SignedCertificateTimestampList`.
pub fn parse_sct_list(bytes: &[u8]) -> Result<Vec<Sct>> {
    let mut outer = Reader { b: bytes };
    let mut list = Reader { b: outer.vec16()? };
    if !outer.b.is_empty() {
        return Err(Error::invalid("SCT list", "trailing bytes after the list"));
    }
    let mut out = vec![];
    while !list.b.is_empty() {
        if out.len() >= limits::MAX_SCTS {
            return Err(Error::Limit {
                what: "SCTs",
                found: out.len() + 1,
                limit: limits::MAX_SCTS,
            });
        }
        let mut r = Reader { b: list.vec16()? };
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::invalid(
                "SCT",
                format!("version {version}, expected 0 (v1)"),
            ));
        }
        let mut log_id = [0u8; 32];
        log_id.copy_from_slice(r.take(32)?);
        let timestamp_ms = r.u64()?;
        let extensions = r.vec16()?.to_vec();
        let hash_alg = r.u8()?;
        let sig_alg = r.u8()?;
        let signature = r.vec16()?.to_vec();
        if !r.b.is_empty() {
            return Err(Error::invalid("SCT", "trailing bytes after the signature"));
        }
        out.push(Sct {
            version,
            log_id,
            timestamp_ms,
            extensions,
            hash_alg,
            sig_alg,
            signature,
        });
    }
    Ok(out)
}

/// Encode an SCT list (for the CA that embeds it).
pub fn encode_sct_list(scts: &[Sct]) -> Vec<u8> {
    let mut list = vec![];
    for s in scts {
        let mut one = vec![s.version];
        one.extend_from_slice(&s.log_id);
        one.extend_from_slice(&s.timestamp_ms.to_be_bytes());
        one.extend_from_slice(&(s.extensions.len() as u16).to_be_bytes());
        one.extend_from_slice(&s.extensions);
        one.push(s.hash_alg);
        one.push(s.sig_alg);
        one.extend_from_slice(&(s.signature.len() as u16).to_be_bytes());
        one.extend_from_slice(&s.signature);
        list.extend_from_slice(&(one.len() as u16).to_be_bytes());
        list.extend_from_slice(&one);
    }
    let mut out = (list.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&list);
    out
}

/// The data a CT log signs for a precertificate entry (RFC 6962 `digitally-signed` struct).
pub fn precert_signed_data(
    timestamp_ms: u64,
    extensions: &[u8],
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
) -> Vec<u8> {
    let mut d = Vec::with_capacity(tbs.len() + 64);
    d.push(0); // version v1
    d.push(0); // signature_type certificate_timestamp
    d.extend_from_slice(&timestamp_ms.to_be_bytes());
    d.extend_from_slice(&1u16.to_be_bytes()); // entry_type precert_entry
    d.extend_from_slice(issuer_key_hash);
    let n = tbs.len() as u32;
    d.extend_from_slice(&n.to_be_bytes()[1..]);
    d.extend_from_slice(tbs);
    d.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    d.extend_from_slice(extensions);
    d
}

impl Sct {
    /// The signed data for this SCT over a precertificate.
    pub fn signed_data(&self, issuer_key_hash: &[u8; 32], tbs: &[u8]) -> Vec<u8> {
        precert_signed_data(self.timestamp_ms, &self.extensions, issuer_key_hash, tbs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_truncation() {
        let s = Sct {
            version: 0,
            log_id: [9; 32],
            timestamp_ms: 1_700_000_000_000,
            extensions: vec![],
            hash_alg: 4,
            sig_alg: 3,
            signature: vec![1, 2, 3],
        };
        let enc = encode_sct_list(&[s.clone(), s.clone()]);
        assert_eq!(parse_sct_list(&enc).unwrap(), vec![s.clone(), s]);
        for n in 0..enc.len() {
            assert!(parse_sct_list(&enc[..n]).is_err(), "truncated at {n}");
        }
    }
}
