//! X.509 certificates with the Sigstore (Fulcio) profile: SAN identities, Fulcio extension OIDs,
//! key usage checks, and the embedded SCT list.

use const_oid::ObjectIdentifier;
use std::ops::Range;
use std::sync::OnceLock;

use der::asn1::{BitStringRef, Ia5StringRef, OctetStringRef, Utf8StringRef};
use der::{Decode, Encode, Sequence};
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

use crate::crypto::PublicKey;
use crate::{Error, Result};

/// Fulcio's OID arc, 1.3.6.1.4.1.57264.1.
pub const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1";
/// Fulcio's OID arc as an OID.
const FULCIO_ARC_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap(FULCIO_ARC);
/// Fulcio extension OID `1.3.6.1.4.1.57264.1.n`.
pub(crate) fn fulcio_oid(n: u32) -> Result<ObjectIdentifier> {
    FULCIO_ARC_OID
        .push_arc(n)
        .map_err(|e| Error::invalid("OID", e.to_string()))
}
/// SCT list extension (RFC 6962).
pub const OID_SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// Precertificate poison extension (RFC 6962).
pub const OID_CT_POISON: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
/// id-kp-codeSigning.
pub const OID_EKU_CODE_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// id-kp-timeStamping.
pub const OID_EKU_TIME_STAMPING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// subjectAltName.
pub const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// keyUsage.
pub const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
/// extKeyUsage.
pub const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// basicConstraints.
pub const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
/// Fulcio `otherName` SAN type for usernames.
pub const OID_OTHERNAME_USERNAME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// The Fulcio certificate extensions (1.3.6.1.4.1.57264.1.N), with their upstream names.
pub const FULCIO_EXTENSIONS: &[(u32, &str)] = &[
    (1, "Issuer (deprecated)"),
    (2, "GitHub Workflow Trigger (deprecated)"),
    (3, "GitHub Workflow SHA (deprecated)"),
    (4, "GitHub Workflow Name (deprecated)"),
    (5, "GitHub Workflow Repository (deprecated)"),
    (6, "GitHub Workflow Ref (deprecated)"),
    (8, "Issuer"),
    (9, "Build Signer URI"),
    (10, "Build Signer Digest"),
    (11, "Runner Environment"),
    (12, "Source Repository URI"),
    (13, "Source Repository Digest"),
    (14, "Source Repository Ref"),
    (15, "Source Repository Identifier"),
    (16, "Source Repository Owner URI"),
    (17, "Source Repository Owner Identifier"),
    (18, "Build Config URI"),
    (19, "Build Config Digest"),
    (20, "Build Trigger"),
    (21, "Run Invocation URI"),
    (22, "Source Repository Visibility At Signing"),
    (23, "Deployment Environment"),
    (24, "Token Subject"),
];

/// The name of Fulcio extension `.N`, if known.
pub fn fulcio_extension_name(n: u32) -> Option<&'static str> {
    FULCIO_EXTENSIONS
        .iter()
        .find(|(k, _)| *k == n)
        .map(|(_, v)| *v)
}

/// The signer identity carried in the certificate's SAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SanIdentity {
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// Fulcio username otherName.
    Username(String),
}

impl SanIdentity {
    /// The identity string.
    pub fn value(&self) -> &str {
        match self {
            SanIdentity::Email(s) | SanIdentity::Uri(s) | SanIdentity::Username(s) => s,
        }
    }
    /// "email", "URI" or "username".
    pub fn kind(&self) -> &'static str {
        match self {
            SanIdentity::Email(_) => "email",
            SanIdentity::Uri(_) => "URI",
            SanIdentity::Username(_) => "username",
        }
    }
}

/// A parsed certificate that keeps its DER.
///
/// Parsing walks the DER once with borrowed readers ([`CertificateRef`]), which decode every
/// field exactly as x509-cert's owned `Certificate` does, so the same inputs are refused; the
/// owned x509-cert structure is decoded from the kept DER only when a caller asks for it
/// ([`Certificate::inner`], [`Certificate::extensions`]).
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    parts: Parts,
    owned: OnceLock<x509_cert::Certificate>,
}

/// What the verifier reads from a certificate, decoded at parse time.
#[derive(Clone)]
struct Parts {
    serial_number: SerialNumber,
    issuer: Name,
    subject: Name,
    validity: Validity,
    signature_algorithm: ObjectIdentifier,
    signature_algorithms_agree: bool,
    /// The signature's bytes, within the DER.
    signature: Range<usize>,
    spki_der: Vec<u8>,
    extensions: Vec<ExtensionPart>,
}

/// One extension: OID, criticality, and its value's bytes within the DER.
#[derive(Clone)]
struct ExtensionPart {
    oid: ObjectIdentifier,
    critical: bool,
    value: Range<usize>,
}

/// x509-cert's `Certificate`, field by field, with borrowed types where x509-cert owns bytes
/// (`AlgorithmIdentifierRef`, `SubjectPublicKeyInfoRef`, `BitStringRef`, `OctetStringRef`
/// decode exactly as their owned forms) and x509-cert's own types elsewhere (version, serial
/// number with its RFC 5280 length check, names, validity).
#[derive(Sequence)]
struct CertificateRef<'a> {
    tbs_certificate: TbsCertificateRef<'a>,
    signature_algorithm: AlgorithmIdentifierRef<'a>,
    signature: BitStringRef<'a>,
}

/// x509-cert's `TbsCertificate`, borrowed (see [`CertificateRef`]).
#[derive(Sequence)]
struct TbsCertificateRef<'a> {
    #[asn1(context_specific = "0", default = "Default::default")]
    version: Version,
    serial_number: SerialNumber,
    signature: AlgorithmIdentifierRef<'a>,
    issuer: Name,
    validity: Validity,
    subject: Name,
    subject_public_key_info: SubjectPublicKeyInfoRef<'a>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    issuer_unique_id: Option<BitStringRef<'a>>,
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT", optional = "true")]
    subject_unique_id: Option<BitStringRef<'a>>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Vec<ExtensionRef<'a>>>,
}

/// x509-cert's `Extension`, borrowed.
#[derive(Sequence)]
struct ExtensionRef<'a> {
    extn_id: ObjectIdentifier,
    #[asn1(default = "bool::default")]
    critical: bool,
    extn_value: OctetStringRef<'a>,
}

/// Where `part`, a slice borrowed from `base`, lies in it. The `*Ref` types decoded from a
/// `SliceReader` over `base` borrow their bytes from it, so the range is within `base` (and
/// within the copy of it a [`Certificate`] keeps, which the ranges index).
fn range_in(base: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
    start..start + part.len()
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Certificate(subject={})", self.parts.subject)
    }
}

/// Length of a DER TLV's header and content at the start of `b`.
fn tlv(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some((2, first as usize));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 || b.len() < 2 + n {
        return None;
    }
    let mut len = 0usize;
    for &x in &b[2..2 + n] {
        len = (len << 8) | x as usize;
    }
    Some((2 + n, len))
}

/// Encode a definite-length DER TLV.
fn der_wrap(tag: u8, content: &[u8]) -> Vec<u8> {
    let n = content.len();
    let mut out = Vec::with_capacity(n + 6);
    out.push(tag);
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = (n as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

impl Certificate {
    /// Parse DER.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let c = CertificateRef::from_der(der).map_err(|e| Error::der("certificate", e))?;
        let tbs = c.tbs_certificate;
        let spki_der = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|e| Error::der("certificate public key", e))?;
        let extensions = tbs
            .extensions
            .iter()
            .flatten()
            .map(|e| ExtensionPart {
                oid: e.extn_id,
                critical: e.critical,
                value: range_in(der, e.extn_value.as_bytes()),
            })
            .collect();
        let parts = Parts {
            signature_algorithms_agree: tbs.signature == c.signature_algorithm,
            signature_algorithm: c.signature_algorithm.oid,
            signature: range_in(der, c.signature.raw_bytes()),
            serial_number: tbs.serial_number,
            issuer: tbs.issuer,
            subject: tbs.subject,
            validity: tbs.validity,
            spki_der,
            extensions,
        };
        Ok(Certificate {
            der: der.to_vec(),
            parts,
            owned: OnceLock::new(),
        })
    }

    /// Parse one PEM `CERTIFICATE`.
    pub fn from_pem(text: &str) -> Result<Self> {
        let (tag, der) = crate::encoding::pem_decode(text.as_bytes())?;
        if tag != "CERTIFICATE" {
            return Err(Error::invalid(
                "PEM",
                format!("expected a CERTIFICATE block, found {tag}"),
            ));
        }
        Self::from_der(&der)
    }

    /// Parse every PEM `CERTIFICATE` block in `text`.
    pub fn all_from_pem(text: &str) -> Result<Vec<Self>> {
        crate::encoding::pem_decode_all(text.as_bytes())?
            .iter()
            .filter(|(tag, _)| tag == "CERTIFICATE")
            .map(|(_, der)| Self::from_der(der))
            .collect()
    }

    /// PEM encoding.
    pub fn to_pem(&self) -> String {
        crate::encoding::pem_encode("CERTIFICATE", &self.der)
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The underlying x509-cert structure, decoded from the DER on first use.
    pub fn inner(&self) -> &x509_cert::Certificate {
        self.owned.get_or_init(|| {
            // `from_der` decoded these bytes with the same field types and rules
            // (`CertificateRef` mirrors x509-cert's `Certificate`), so this decode succeeds.
            x509_cert::Certificate::from_der(&self.der)
                .expect("x509-cert decodes what CertificateRef decoded")
        })
    }

    /// The raw DER of the TBSCertificate (the signed bytes), sliced from the original encoding.
    pub fn tbs_der(&self) -> Result<&[u8]> {
        let err = || Error::der("certificate", "cannot locate TBSCertificate");
        let (h, _) = tlv(&self.der).ok_or_else(err)?;
        let inner = &self.der[h..];
        let (h2, l2) = tlv(inner).ok_or_else(err)?;
        inner.get(..h2 + l2).ok_or_else(err)
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.parts.spki_der
    }

    /// The subject public key.
    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_spki_der(&self.parts.spki_der)
    }

    /// Signature algorithm OID of the certificate's own signature.
    pub fn signature_algorithm(&self) -> ObjectIdentifier {
        self.parts.signature_algorithm
    }

    /// The certificate's signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.der[self.parts.signature.clone()]
    }

    /// Verify that `issuer`'s key signed this certificate.
    pub fn verify_signed_by(&self, issuer: &PublicKey) -> Result<()> {
        issuer.verify_x509(
            &self.signature_algorithm(),
            self.tbs_der()?,
            self.signature(),
        )
    }

    /// notBefore as Unix seconds.
    pub fn not_before(&self) -> i64 {
        self.parts.validity.not_before.to_unix_duration().as_secs() as i64
    }

    /// notAfter as Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.parts.validity.not_after.to_unix_duration().as_secs() as i64
    }

    /// Whether `t` (Unix seconds) lies in [notBefore, notAfter].
    pub fn valid_at(&self, t: i64) -> bool {
        self.not_before() <= t && t <= self.not_after()
    }

    /// Subject DN as DER.
    pub fn subject_der(&self) -> Result<Vec<u8>> {
        self.parts
            .subject
            .to_der()
            .map_err(|e| Error::der("subject", e))
    }

    /// Issuer DN as DER.
    pub fn issuer_der(&self) -> Result<Vec<u8>> {
        self.parts
            .issuer
            .to_der()
            .map_err(|e| Error::der("issuer", e))
    }

    /// Subject DN as text.
    pub fn subject(&self) -> String {
        self.parts.subject.to_string()
    }

    /// Issuer DN as text.
    pub fn issuer(&self) -> String {
        self.parts.issuer.to_string()
    }

    /// Serial number, hex.
    pub fn serial_hex(&self) -> String {
        hex::encode(self.parts.serial_number.as_bytes())
    }

    /// Serial number bytes.
    pub fn serial_bytes(&self) -> &[u8] {
        self.parts.serial_number.as_bytes()
    }

    /// All extensions (as x509-cert's owned type, decoded on first use; see
    /// [`Certificate::extension_value`] and [`Certificate::critical_extension_oids`]).
    pub fn extensions(&self) -> &[Extension] {
        self.inner()
            .tbs_certificate
            .extensions
            .as_deref()
            .unwrap_or(&[])
    }

    /// The OIDs of the extensions marked critical, in certificate order.
    pub fn critical_extension_oids(&self) -> impl Iterator<Item = &ObjectIdentifier> {
        self.parts
            .extensions
            .iter()
            .filter(|e| e.critical)
            .map(|e| &e.oid)
    }

    /// The extension with `oid`, if present (duplicates are rejected).
    pub fn extension(&self, oid: &ObjectIdentifier) -> Result<Option<&Extension>> {
        if self.extension_value(oid)?.is_none() {
            return Ok(None);
        }
        Ok(self.extensions().iter().find(|e| e.extn_id == *oid))
    }

    /// The criticality and DER value (the `extnValue` OCTET STRING's contents) of the
    /// extension with `oid`, if present (duplicates are rejected).
    pub fn extension_value(&self, oid: &ObjectIdentifier) -> Result<Option<(bool, &[u8])>> {
        let mut it = self.parts.extensions.iter().filter(|e| e.oid == *oid);
        let first = it.next();
        if it.next().is_some() {
            return Err(Error::invalid(
                "certificate",
                format!("duplicate extension {oid}"),
            ));
        }
        Ok(first.map(|e| (e.critical, &self.der[e.value.clone()])))
    }

    /// Decode extension `oid` as `T`.
    fn decode_ext<'a, T: Decode<'a>>(
        &'a self,
        oid: &ObjectIdentifier,
        name: &str,
    ) -> Result<Option<(bool, T)>> {
        match self.extension_value(oid)? {
            None => Ok(None),
            Some((critical, value)) => {
                let v = T::from_der(value).map_err(|err| Error::der(name, err))?;
                Ok(Some((critical, v)))
            }
        }
    }

    /// BasicConstraints (critical flag, value).
    pub fn basic_constraints(&self) -> Result<Option<(bool, BasicConstraints)>> {
        self.decode_ext(&OID_BASIC_CONSTRAINTS, "basicConstraints")
    }

    /// Whether the cert is a CA (basicConstraints cA = TRUE).
    pub fn is_ca(&self) -> Result<bool> {
        Ok(self.basic_constraints()?.is_some_and(|(_, bc)| bc.ca))
    }

    /// KeyUsage.
    pub fn key_usage(&self) -> Result<Option<(bool, KeyUsage)>> {
        self.decode_ext(&OID_KEY_USAGE, "keyUsage")
    }

    /// Whether KeyUsage includes `usage`.
    pub fn has_key_usage(&self, usage: KeyUsages) -> Result<bool> {
        Ok(self
            .key_usage()?
            .is_some_and(|(_, ku)| ku.0.contains(usage)))
    }

    /// ExtendedKeyUsage.
    pub fn ext_key_usage(&self) -> Result<Option<(bool, ExtendedKeyUsage)>> {
        self.decode_ext(&OID_EXT_KEY_USAGE, "extKeyUsage")
    }

    /// Whether EKU includes `oid`.
    pub fn has_eku(&self, oid: &ObjectIdentifier) -> Result<bool> {
        Ok(self
            .ext_key_usage()?
            .is_some_and(|(_, eku)| eku.0.contains(oid)))
    }

    /// The SAN identities (Sigstore certs carry exactly one).
    pub fn san_identities(&self) -> Result<Vec<SanIdentity>> {
        let Some((_, san)) = self.decode_ext::<SubjectAltName>(&OID_SAN, "subjectAltName")? else {
            return Ok(vec![]);
        };
        let mut out = vec![];
        for gn in san.0 {
            match gn {
                GeneralName::Rfc822Name(s) => out.push(SanIdentity::Email(s.to_string())),
                GeneralName::UniformResourceIdentifier(s) => {
                    out.push(SanIdentity::Uri(s.to_string()))
                }
                GeneralName::OtherName(on) if on.type_id == OID_OTHERNAME_USERNAME => {
                    let s: Utf8StringRef = on
                        .value
                        .decode_as()
                        .map_err(|e| Error::der("username SAN", e))?;
                    out.push(SanIdentity::Username(s.to_string()))
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The signer identity to show: the first SAN identity's value (email, URI or username),
    /// or an empty string when the certificate has none or it does not decode. For display
    /// only; verification matches [`Certificate::san_identities`].
    pub fn identity(&self) -> String {
        self.san_identities()
            .ok()
            .and_then(|s| s.into_iter().next())
            .map(|s| s.value().to_string())
            .unwrap_or_default()
    }

    /// Fulcio extension `.n` as a string: raw UTF-8 for .1–.6, DER UTF8String for .8 and above.
    pub fn fulcio_extension(&self, n: u32) -> Result<Option<String>> {
        let oid = fulcio_oid(n)?;
        let Some((_, raw)) = self.extension_value(&oid)? else {
            return Ok(None);
        };
        let s = if n <= 6 {
            std::str::from_utf8(raw)
                .map_err(|_| {
                    Error::invalid("certificate", format!("extension {oid} is not UTF-8"))
                })?
                .to_string()
        } else {
            match Utf8StringRef::from_der(raw) {
                Ok(u) => u.to_string(),
                Err(e) => Ia5StringRef::from_der(raw)
                    .map_err(|_| Error::der(format!("extension {oid}"), e))?
                    .to_string(),
            }
        };
        Ok(Some(s))
    }

    /// Every Fulcio extension present, as (n, name, value).
    pub fn fulcio_extensions(&self) -> Vec<(u32, &'static str, String)> {
        let mut out = vec![];
        for (n, name) in FULCIO_EXTENSIONS {
            if let Ok(Some(v)) = self.fulcio_extension(*n) {
                out.push((*n, *name, v));
            }
        }
        out
    }

    /// The OIDC issuer: extension .8 if present, else the legacy .1. When both are present they
    /// must agree: a certificate naming two issuers names none.
    pub fn oidc_issuer(&self) -> Result<Option<String>> {
        match (self.fulcio_extension(8)?, self.fulcio_extension(1)?) {
            (Some(v2), Some(v1)) if v1 != v2 => Err(Error::invalid(
                "certificate",
                format!(
                    "OIDC issuer extensions disagree: {FULCIO_ARC}.8 says {v2:?}, {FULCIO_ARC}.1 says {v1:?}"
                ),
            )),
            (Some(v), _) | (None, Some(v)) => Ok(Some(v)),
            (None, None) => Ok(None),
        }
    }

    /// Whether the subject DN is empty (as Fulcio leaves have it).
    pub fn subject_is_empty(&self) -> bool {
        self.parts.subject.0.is_empty()
    }

    /// Whether the TBS `signature` algorithm equals the outer `signatureAlgorithm` (RFC 5280
    /// section 4.1.1.2: they must be identical).
    pub fn signature_algorithms_agree(&self) -> bool {
        self.parts.signature_algorithms_agree
    }

    /// The raw TLS-encoded SignedCertificateTimestampList from the SCT extension, if present.
    pub fn sct_list(&self) -> Result<Option<Vec<u8>>> {
        match self.extension_value(&OID_SCT_LIST)? {
            None => Ok(None),
            Some((_, value)) => {
                let inner = OctetStringRef::from_der(value)
                    .map_err(|err| Error::der("SCT list extension", err))?;
                Ok(Some(inner.as_bytes().to_vec()))
            }
        }
    }

    /// The TBSCertificate with the SCT list extension removed, DER: what the CT log signed
    /// (RFC 6962 section 3.2). Cut from the original bytes (no re-encoding) when the layout is
    /// the usual one; [`Certificate::precert_tbs_der_reencoded`] otherwise.
    pub fn precert_tbs_der(&self) -> Result<Vec<u8>> {
        match self.precert_tbs_der_cut() {
            Some(v) => Ok(v),
            None => self.precert_tbs_der_reencoded(),
        }
    }

    fn precert_tbs_der_cut(&self) -> Option<Vec<u8>> {
        // DER of OBJECT IDENTIFIER 1.3.6.1.4.1.11129.2.4.2.
        const SCT_OID_TLV: &[u8] = &[
            0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02,
        ];
        let tbs = self.tbs_der().ok()?;
        let (th, tl) = tlv(tbs)?;
        let body = tbs.get(th..th + tl)?;
        // Find the [3] EXPLICIT extensions field among the TBS fields.
        let mut pos = 0;
        let (ext_start, ext_h, ext_l) = loop {
            let (h, l) = tlv(body.get(pos..)?)?;
            if body[pos] == 0xa3 {
                break (pos, h, l);
            }
            pos += h + l;
            if pos >= body.len() {
                return None;
            }
        };
        let wrapped = body.get(ext_start + ext_h..ext_start + ext_h + ext_l)?;
        let (sh, sl) = tlv(wrapped)?;
        if wrapped[0] != 0x30 || sh + sl != wrapped.len() {
            return None;
        }
        let exts = &wrapped[sh..];
        let mut kept = Vec::with_capacity(exts.len());
        let mut p = 0;
        let mut removed = false;
        while p < exts.len() {
            let (h, l) = tlv(&exts[p..])?;
            let ext = exts.get(p..p + h + l)?;
            if ext[h..].starts_with(SCT_OID_TLV) {
                removed = true;
            } else {
                kept.extend_from_slice(ext);
            }
            p += h + l;
        }
        if !removed {
            return None;
        }
        let seq = der_wrap(0x30, &kept);
        let explicit = der_wrap(0xa3, &seq);
        let mut out_body = Vec::with_capacity(body.len());
        out_body.extend_from_slice(&body[..ext_start]);
        out_body.extend_from_slice(&explicit);
        out_body.extend_from_slice(body.get(ext_start + ext_h + ext_l..)?);
        Some(der_wrap(0x30, &out_body))
    }

    /// The TBSCertificate DER with extension `oid` removed (re-encoded): for a CT log, a
    /// precertificate's TBS without the poison extension.
    pub fn precert_tbs_without(&self, oid: &ObjectIdentifier) -> Result<Vec<u8>> {
        let mut tbs = self.inner().tbs_certificate.clone();
        if let Some(exts) = tbs.extensions.as_mut() {
            exts.retain(|e| e.extn_id != *oid);
        }
        tbs.to_der().map_err(|e| Error::der("TBS", e))
    }

    /// [`Certificate::precert_tbs_der`] by decoding and re-encoding the TBSCertificate (the
    /// reference the fast path is tested against).
    pub fn precert_tbs_der_reencoded(&self) -> Result<Vec<u8>> {
        let mut tbs = self.inner().tbs_certificate.clone();
        if let Some(exts) = tbs.extensions.as_mut() {
            exts.retain(|e| e.extn_id != OID_SCT_LIST);
        }
        tbs.to_der()
            .map_err(|e| Error::der("precertificate TBS", e))
    }
}
