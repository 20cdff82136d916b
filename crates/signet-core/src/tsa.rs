//! RFC 3161 timestamps: parsing, verification and signing.
//!
//! Sigstore bundles may carry RFC 3161 timestamp tokens issued by a Timestamp Authority (TSA)
//! over the artifact signature. This module:
//!
//! * parses a DER `TimeStampResp` (or a bare `TimeStampToken` ContentInfo) into a
//!   [`TimestampToken`] ([`parse_timestamp_response`]);
//! * verifies a token against the bytes it timestamps and the TSA certificate chain taken from
//!   the trusted root ([`TimestampToken::verify`]), following the checks of sigstore-go /
//!   sigstore/timestamp-authority;
//! * issues tokens ([`TimestampSigner`], [`parse_timestamp_request`]) for Signet's own TSA and
//!   for test fixtures.
//!
//! Crates and what is kept by hand: the response status is `cmpv2`'s `PkiStatusInfo`, outgoing
//! structures are `cms`'s. Two pieces no maintained crate provides are parsed with `der`'s
//! reader: the SignerInfo's signed attributes, whose *transmitted* bytes the signature covers
//! (`cms::SignerInfo` keeps only a decoded SET, so a check would run over a re-encoding), and
//! `TSTInfo`, whose `genTime` may carry fractional seconds (RFC 3161 section 2.4.2), which
//! `x509-tsp`'s `TstInfo` (der's `GeneralizedTime`) rejects.

use cmpv2::status::{PkiStatus, PkiStatusInfo};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier as CmsSignerIdentifier,
    SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use der::asn1::{IntRef, OctetString, OctetStringRef, SetOfVec};
use der::{
    Any, AnyRef, Decode, DecodeValue, Encode, EncodeValue, FixedTag, Header, Length, Reader,
    Sequence, SliceReader, Tag, TagNumber, Tagged, Writer,
};
use spki::{AlgorithmIdentifierOwned, AlgorithmIdentifierRef};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::Extensions;
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::crypto::{
    HashAlg, KeyKind, PublicKey, OID_ECDSA_SHA256, OID_ECDSA_SHA384, OID_EC_PUBLIC_KEY, OID_RSA,
    OID_SHA256, OID_SHA384, OID_SHA512,
};
use crate::encoding::sha256;
use crate::limits::MAX_CHAIN_CERTS;
use crate::x509::{OID_BASIC_CONSTRAINTS, OID_EKU_TIME_STAMPING, OID_EXT_KEY_USAGE, OID_KEY_USAGE};
use crate::{Error, Result};

/// OID id-signedData (RFC 5652).
pub const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// OID id-ct-TSTInfo (RFC 3161).
pub const OID_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// OID of the CMS content-type signed attribute.
pub const OID_ATTR_CONTENT_TYPE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// OID of the CMS message-digest signed attribute.
pub const OID_ATTR_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// OID of the ESS signing-certificate attribute (RFC 2634, ESSCertID with SHA-1).
pub const OID_ATTR_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// OID of the ESS signing-certificate-v2 attribute (RFC 5035 / RFC 5816, ESSCertIDv2).
pub const OID_ATTR_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// OID of the subject key identifier certificate extension.
pub const OID_EXT_SUBJECT_KEY_IDENTIFIER: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.14");

use crate::limits::MAX_TSA_EMBEDDED_CERTS as MAX_EMBEDDED_CERTS;

// ---------------------------------------------------------------------------------------------
// ASN.1 types (RFC 3161, RFC 5035). Only what is needed; borrowed from the input.
// ---------------------------------------------------------------------------------------------

/// `MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }`
#[derive(Clone, Debug, Sequence)]
struct MessageImprintAsn1<'a> {
    hash_algorithm: AlgorithmIdentifierRef<'a>,
    hashed_message: OctetStringRef<'a>,
}

impl MessageImprintAsn1<'_> {
    /// The hash algorithm (SHA-256/384/512) and the hashed message, which must be a hash of
    /// that length. `of` names the structure holding the imprint in a DER error (`TSTInfo`),
    /// `label` the imprint in the other errors (`message imprint`).
    fn checked(&self, of: &str, label: &str) -> Result<(HashAlg, Vec<u8>)> {
        let oid = alg_oid(&self.hash_algorithm)
            .map_err(|e| Error::der(format!("{of} messageImprint hashAlgorithm"), e))?;
        let alg = HashAlg::from_digest_oid(&oid).ok_or_else(|| {
            ts_err(format!(
                "{label} hash algorithm {oid} is not supported; expected SHA-256, SHA-384 or SHA-512"
            ))
        })?;
        let imprint = self.hashed_message.as_bytes();
        check_imprint_len(label, alg, imprint)?;
        Ok((alg, imprint.to_vec()))
    }
}

/// `imprint` must be as long as an `alg` hash; else an error naming it `label`.
fn check_imprint_len(label: &str, alg: HashAlg, imprint: &[u8]) -> Result<()> {
    let want = alg.digest_alg().output_len();
    if imprint.len() != want {
        return Err(ts_err(format!(
            "{label} is {} bytes; expected {want} for {}",
            imprint.len(),
            hash_label(alg)
        )));
    }
    Ok(())
}

/// RFC 3161 `TSTInfo` and `TimeStampReq` are version 1; `of` names the structure.
fn check_version_1(of: &str, version: u8) -> Result<()> {
    if version != 1 {
        return Err(ts_err(format!("{of} version is {version}; expected 1")));
    }
    Ok(())
}

/// `Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER OPTIONAL,
/// micros [1] INTEGER OPTIONAL }` (the RFC 3161 module uses IMPLICIT tags).
#[derive(Clone, Copy, Debug, Sequence)]
struct AccuracyAsn1 {
    seconds: Option<u64>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    micros: Option<u16>,
}

/// A GeneralizedTime kept as its raw text: der's `GeneralizedTime` rejects the fractional
/// seconds that RFC 3161 allows (`20240101120000.123Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RawGeneralizedTime<'a>(&'a str);

impl<'a> DecodeValue<'a> for RawGeneralizedTime<'a> {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_slice(header.length)?;
        std::str::from_utf8(bytes)
            .map(RawGeneralizedTime)
            .map_err(|_| Tag::GeneralizedTime.value_error())
    }
}

impl EncodeValue for RawGeneralizedTime<'_> {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.0.len())
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.0.as_bytes())
    }
}

impl FixedTag for RawGeneralizedTime<'_> {
    const TAG: Tag = Tag::GeneralizedTime;
}

/// `TSTInfo` (RFC 3161 §2.4.2).
#[derive(Clone, Debug, Sequence)]
struct TstInfoAsn1<'a> {
    version: u8,
    policy: ObjectIdentifier,
    message_imprint: MessageImprintAsn1<'a>,
    serial_number: IntRef<'a>,
    gen_time: RawGeneralizedTime<'a>,
    accuracy: Option<AccuracyAsn1>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    nonce: Option<IntRef<'a>>,
    /// `tsa [0] GeneralName` (a tagged CHOICE, hence explicit).
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<AnyRef<'a>>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    extensions: Option<Extensions>,
}

/// `TimeStampReq` (RFC 3161 §2.4.1).
#[derive(Clone, Debug, Sequence)]
struct TimeStampReqAsn1<'a> {
    version: u8,
    message_imprint: MessageImprintAsn1<'a>,
    req_policy: Option<ObjectIdentifier>,
    nonce: Option<IntRef<'a>>,
    #[asn1(default = "Default::default")]
    cert_req: bool,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    extensions: Option<Extensions>,
}

/// `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT id-sha256,
/// certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
struct EssCertIdV2Asn1<'a> {
    hash_algorithm: Option<AlgorithmIdentifierRef<'a>>,
    cert_hash: OctetStringRef<'a>,
    issuer_serial: Option<AnyRef<'a>>,
}

/// `ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial IssuerSerial OPTIONAL }`
#[derive(Clone, Debug, Sequence)]
struct EssCertIdAsn1<'a> {
    cert_hash: OctetStringRef<'a>,
    issuer_serial: Option<AnyRef<'a>>,
}

/// `SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID,
/// policies SEQUENCE OF PolicyInformation OPTIONAL }` with `C` = [`EssCertIdAsn1`], and
/// `SigningCertificateV2` (the same with ESSCertIDv2) with `C` = [`EssCertIdV2Asn1`].
#[derive(Clone, Debug, Sequence)]
struct SigningCertificateAsn1<'a, C: Sequence<'a>> {
    certs: Vec<C>,
    policies: Option<AnyRef<'a>>,
}

/// The outgoing `PKIStatusInfo` (status only).
#[derive(Clone, Debug, Sequence)]
struct PkiStatusOut {
    status: u8,
}

/// The outgoing `TimeStampResp`.
#[derive(Clone, Debug, Sequence)]
struct TimeStampRespOut {
    status: PkiStatusOut,
    time_stamp_token: ContentInfo,
}

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// How a CMS SignerInfo names the certificate of its signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerIdentifier {
    /// `issuerAndSerialNumber`: the DER of the issuer `Name` and the serial number's DER
    /// INTEGER content bytes.
    IssuerAndSerialNumber {
        /// DER of the issuer distinguished name.
        issuer_der: Vec<u8>,
        /// Serial number, DER INTEGER content bytes (two's complement, as in the certificate).
        serial: Vec<u8>,
    },
    /// `subjectKeyIdentifier`: the key identifier bytes.
    SubjectKeyIdentifier(Vec<u8>),
}

impl std::fmt::Display for SignerIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignerIdentifier::IssuerAndSerialNumber { issuer_der, serial } => {
                let issuer = Name::from_der(issuer_der)
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "?".into());
                write!(f, "issuer \"{issuer}\" serial {}", hex::encode(serial))
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                write!(f, "subject key identifier {}", hex::encode(ski))
            }
        }
    }
}

/// The optional `accuracy` of a TSTInfo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Accuracy {
    /// Whole seconds.
    pub seconds: u64,
    /// Milliseconds (0..=999).
    pub millis: u16,
    /// Microseconds (0..=999).
    pub micros: u16,
}

/// A parsed RFC 3161 timestamp token (CMS SignedData over a TSTInfo).
///
/// Parsing checks structure only; [`TimestampToken::verify`] does every cryptographic and
/// policy check.
#[derive(Clone, Debug)]
pub struct TimestampToken {
    /// DER of the token (the ContentInfo).
    token_der: Vec<u8>,
    /// SignedData version.
    sd_version: u8,
    /// OIDs of SignedData.digestAlgorithms.
    digest_algorithms: Vec<ObjectIdentifier>,
    /// eContentType.
    econtent_type: ObjectIdentifier,
    /// eContent: the DER TSTInfo.
    tst_info_der: Vec<u8>,
    /// Embedded certificates (DER), in the order they appear.
    certificates: Vec<Vec<u8>>,
    /// The single SignerInfo.
    signer: SignerInfoParsed,
    /// Decoded TSTInfo.
    info: TstInfoParsed,
}

#[derive(Clone, Debug)]
struct TstInfoParsed {
    version: u8,
    policy: ObjectIdentifier,
    imprint_alg: HashAlg,
    imprint: Vec<u8>,
    serial: Vec<u8>,
    gen_time_raw: String,
    gen_time: i64,
    accuracy: Option<Accuracy>,
    ordering: bool,
    nonce: Option<Vec<u8>>,
    tsa_name_der: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
struct SignerInfoParsed {
    version: u8,
    sid: SignerIdentifier,
    digest_alg: ObjectIdentifier,
    /// The signed attributes exactly as transmitted, with the `[0] IMPLICIT` tag replaced by the
    /// SET OF tag (0x31): the bytes the signature covers (RFC 5652 §5.4).
    signed_attrs_der: Option<Vec<u8>>,
    /// Signed attributes as (type, values DER) pairs; each value is a full TLV.
    signed_attrs: Vec<(ObjectIdentifier, Vec<Vec<u8>>)>,
    signature_alg: ObjectIdentifier,
    signature: Vec<u8>,
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

fn ts_err(reason: impl Into<String>) -> Error {
    Error::Timestamp {
        reason: reason.into(),
    }
}

fn ctx_tag(number: u8, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: TagNumber::new(number),
    }
}

/// Parse a DER `TimeStampResp` (RFC 3161 §2.4.2) or a bare `TimeStampToken` (a CMS
/// ContentInfo, as found in some bundles).
///
/// The response status must be `granted` (0) or `grantedWithMods` (1) and a token must be
/// present. Trailing bytes are rejected.
pub fn parse_timestamp_response(der: &[u8]) -> Result<TimestampToken> {
    // Both a TimeStampResp and a ContentInfo are SEQUENCEs; tell them apart by the first
    // element: PKIStatusInfo is a SEQUENCE, ContentInfo starts with an OID.
    let first_inner = SliceReader::new(der)
        .and_then(|mut r| {
            let header = Header::decode(&mut r)?;
            header.tag.assert_eq(Tag::Sequence)?;
            r.peek_tag()
        })
        .map_err(|e| Error::der("timestamp response", e))?;
    if first_inner == Tag::ObjectIdentifier {
        return parse_timestamp_token(der);
    }
    let (status, token) = split_response(der).map_err(|e| Error::der("TimeStampResp", e))?;
    match status.status {
        PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
        other => {
            let name = match other {
                PkiStatus::Rejection => "rejection",
                PkiStatus::Waiting => "waiting",
                PkiStatus::RevocationWarning => "revocationWarning",
                PkiStatus::RevocationNotification => "revocationNotification",
                _ => "keyUpdateWarning",
            };
            let other = other as u8;
            let text: Vec<String> = status
                .status_string
                .iter()
                .flatten()
                .map(|s| format!("{:?}", s.as_str()))
                .collect();
            let mut reason =
                format!("TSA response status is {other} ({name}); expected granted (0) or grantedWithMods (1)");
            if !text.is_empty() {
                reason.push_str(&format!("; status text: {}", text.join(", ")));
            }
            if let Some(fail) = status.fail_info {
                reason.push_str(&format!("; failInfo {fail:?}"));
            }
            return Err(ts_err(reason));
        }
    }
    let token = token
        .ok_or_else(|| ts_err("TSA response status is granted but it carries no timeStampToken"))?;
    parse_timestamp_token(token)
}

/// Split a TimeStampResp into its status and the raw token TLV.
fn split_response(der: &[u8]) -> der::Result<(PkiStatusInfo<'_>, Option<&[u8]>)> {
    let mut r = SliceReader::new(der)?;
    let out = r.sequence(|r| {
        let status: PkiStatusInfo<'_> = r.decode()?;
        let token = if r.is_finished() {
            None
        } else {
            Some(r.tlv_bytes()?)
        };
        Ok((status, token))
    })?;
    r.finish(out)
}

/// Parse a ContentInfo carrying SignedData over a TSTInfo.
fn parse_timestamp_token(der: &[u8]) -> Result<TimestampToken> {
    let (content_type, signed_data) =
        split_content_info(der).map_err(|e| Error::der("timestamp token ContentInfo", e))?;
    if content_type != OID_SIGNED_DATA {
        return Err(ts_err(format!(
            "timestamp token content type is {content_type}; expected id-signedData ({OID_SIGNED_DATA})"
        )));
    }
    let sd =
        parse_signed_data(signed_data).map_err(|e| Error::der("timestamp token SignedData", e))?;
    if sd.certificates.len() > MAX_EMBEDDED_CERTS {
        return Err(Error::Limit {
            what: "certificates embedded in a timestamp token",
            found: sd.certificates.len(),
            limit: MAX_EMBEDDED_CERTS,
        });
    }
    if sd.signer_infos.len() != 1 {
        return Err(ts_err(format!(
            "timestamp token has {} SignerInfos; expected exactly one (the TSA's)",
            sd.signer_infos.len()
        )));
    }
    let tst_der = sd.econtent.ok_or_else(|| {
        ts_err("timestamp token has no encapsulated content (detached TSTInfo is not allowed)")
    })?;
    let info = parse_tst_info(tst_der)?;
    // Exactly one SignerInfo was checked above.
    let signer =
        parse_signer_info(sd.signer_infos[0]).map_err(|e| Error::der("timestamp SignerInfo", e))?;
    Ok(TimestampToken {
        token_der: der.to_vec(),
        sd_version: sd.version,
        digest_algorithms: sd.digest_algorithms,
        econtent_type: sd.econtent_type,
        tst_info_der: tst_der.to_vec(),
        certificates: sd.certificates.iter().map(|c| c.to_vec()).collect(),
        signer,
        info,
    })
}

fn split_content_info(der: &[u8]) -> der::Result<(ObjectIdentifier, &[u8])> {
    let mut r = SliceReader::new(der)?;
    let out = r.sequence(|r| {
        let oid: ObjectIdentifier = r.decode()?;
        let header = Header::decode(r)?;
        header.tag.assert_eq(ctx_tag(0, true))?;
        let content = r.read_nested(header.length, |r| r.tlv_bytes())?;
        Ok((oid, content))
    })?;
    r.finish(out)
}

/// SignedData as raw pieces.
struct RawSignedData<'a> {
    version: u8,
    digest_algorithms: Vec<ObjectIdentifier>,
    econtent_type: ObjectIdentifier,
    econtent: Option<&'a [u8]>,
    certificates: Vec<&'a [u8]>,
    signer_infos: Vec<&'a [u8]>,
}

/// Read a SET OF (or any constructed value with the given tag), returning each element's TLV.
fn read_elements<'a, R: Reader<'a>>(r: &mut R, tag: Tag) -> der::Result<Vec<&'a [u8]>> {
    let header = Header::decode(r)?;
    header.tag.assert_eq(tag)?;
    r.read_nested(header.length, |r| {
        let mut out = Vec::new();
        while !r.is_finished() {
            out.push(r.tlv_bytes()?);
        }
        Ok(out)
    })
}

/// Decode an AlgorithmIdentifier whose parameters must be absent or NULL; return its OID.
fn alg_oid(alg: &AlgorithmIdentifierRef<'_>) -> der::Result<ObjectIdentifier> {
    match alg.parameters {
        None => Ok(alg.oid),
        Some(p) if p.tag() == Tag::Null && p.value().is_empty() => Ok(alg.oid),
        Some(p) => Err(p.tag().value_error()),
    }
}

fn parse_signed_data(der: &[u8]) -> der::Result<RawSignedData<'_>> {
    let mut r = SliceReader::new(der)?;
    let out = r.sequence(|r| {
        let version: u8 = r.decode()?;
        let mut digest_algorithms = Vec::new();
        for alg in read_elements(r, Tag::Set)? {
            digest_algorithms.push(alg_oid(&AlgorithmIdentifierRef::from_der(alg)?)?);
        }
        let (econtent_type, econtent) = r.sequence(|r| {
            let oid: ObjectIdentifier = r.decode()?;
            let content = if r.is_finished() {
                None
            } else {
                let header = Header::decode(r)?;
                header.tag.assert_eq(ctx_tag(0, true))?;
                let octets = r.read_nested(header.length, |r| r.decode::<OctetStringRef<'_>>())?;
                Some(octets.as_bytes())
            };
            Ok((oid, content))
        })?;
        let mut certificates = Vec::new();
        if r.peek_tag()? == ctx_tag(0, true) {
            for choice in read_elements(r, ctx_tag(0, true))? {
                // Only plain X.509 certificates (SEQUENCE) are of interest; other
                // CertificateChoices are skipped.
                if choice.first() == Some(&0x30) {
                    certificates.push(choice);
                }
            }
        }
        if r.peek_tag()? == ctx_tag(1, true) {
            // CRLs are not used for verification.
            r.tlv_bytes()?;
        }
        let signer_infos = read_elements(r, Tag::Set)?;
        Ok(RawSignedData {
            version,
            digest_algorithms,
            econtent_type,
            econtent,
            certificates,
            signer_infos,
        })
    })?;
    r.finish(out)
}

fn parse_signer_info(der: &[u8]) -> der::Result<SignerInfoParsed> {
    let mut r = SliceReader::new(der)?;
    let out = r.sequence(|r| {
        let version: u8 = r.decode()?;
        let sid = if r.peek_tag()? == ctx_tag(0, false) {
            let header = Header::decode(r)?;
            SignerIdentifier::SubjectKeyIdentifier(r.read_slice(header.length)?.to_vec())
        } else {
            let ias: IssuerAndSerialNumber = r.decode()?;
            SignerIdentifier::IssuerAndSerialNumber {
                issuer_der: ias.issuer.to_der()?,
                serial: ias.serial_number.as_bytes().to_vec(),
            }
        };
        let digest_alg = alg_oid(&r.decode::<AlgorithmIdentifierRef<'_>>()?)?;
        let mut signed_attrs_der = None;
        let mut signed_attrs = Vec::new();
        if r.peek_tag()? == ctx_tag(0, true) {
            let tlv = r.tlv_bytes()?;
            let mut as_set = tlv.to_vec();
            // `tlv` is a complete TLV (at least two bytes), so index 0 exists.
            // RFC 5652 §5.4: the signature covers the DER of SET OF Attribute, i.e. the
            // transmitted bytes with the implicit [0] tag replaced by the universal SET tag.
            as_set[0] = 0x31;
            for attr in read_elements(&mut SliceReader::new(&as_set)?, Tag::Set)? {
                let mut ar = SliceReader::new(attr)?;
                let parsed = ar.sequence(|ar| {
                    let oid: ObjectIdentifier = ar.decode()?;
                    let values = read_elements(ar, Tag::Set)?
                        .into_iter()
                        .map(|v| v.to_vec())
                        .collect();
                    Ok((oid, values))
                })?;
                signed_attrs.push(ar.finish(parsed)?);
            }
            signed_attrs_der = Some(as_set);
        }
        let signature_alg = alg_oid(&r.decode::<AlgorithmIdentifierRef<'_>>()?)?;
        let signature = r.decode::<OctetStringRef<'_>>()?.as_bytes().to_vec();
        if !r.is_finished() {
            // unsignedAttrs [1]: not covered by the signature and not used.
            let header = r.peek_header()?;
            header.tag.assert_eq(ctx_tag(1, true))?;
            r.tlv_bytes()?;
        }
        Ok(SignerInfoParsed {
            version,
            sid,
            digest_alg,
            signed_attrs_der,
            signed_attrs,
            signature_alg,
            signature,
        })
    })?;
    r.finish(out)
}

/// Strip the sign padding of a non-negative DER INTEGER (`00 80` -> `80`).
fn int_magnitude(int: &IntRef<'_>) -> Vec<u8> {
    let b = int.as_bytes();
    match b {
        [0, rest @ ..] if !rest.is_empty() => rest.to_vec(),
        _ => b.to_vec(),
    }
}

fn parse_tst_info(der: &[u8]) -> Result<TstInfoParsed> {
    let tst = TstInfoAsn1::from_der(der).map_err(|e| Error::der("TSTInfo", e))?;
    check_version_1("TSTInfo", tst.version)?;
    let (imprint_alg, imprint) = tst.message_imprint.checked("TSTInfo", "message imprint")?;
    let gen_time = parse_generalized_time(tst.gen_time.0)?;
    let accuracy = tst.accuracy.map(|a| Accuracy {
        seconds: a.seconds.unwrap_or(0),
        millis: a.millis.unwrap_or(0),
        micros: a.micros.unwrap_or(0),
    });
    if let Some(a) = accuracy {
        if a.millis > 999 || a.micros > 999 {
            return Err(ts_err(format!(
                "TSTInfo accuracy millis/micros must be 0..=999; found {}/{}",
                a.millis, a.micros
            )));
        }
    }
    let tsa_name_der = match tst.tsa {
        Some(any) => Some(any.to_der().map_err(|e| Error::der("TSTInfo tsa", e))?),
        None => None,
    };
    Ok(TstInfoParsed {
        version: tst.version,
        policy: tst.policy,
        imprint_alg,
        imprint,
        serial: int_magnitude(&tst.serial_number),
        gen_time_raw: tst.gen_time.0.to_string(),
        gen_time,
        accuracy,
        ordering: tst.ordering,
        nonce: tst.nonce.as_ref().map(int_magnitude),
        tsa_name_der,
    })
}

// ---------------------------------------------------------------------------------------------
// Time helpers
// ---------------------------------------------------------------------------------------------

/// Parse an RFC 3161 GeneralizedTime `YYYYMMDDHHMMSS[.f+]Z` to unix seconds (fraction dropped).
fn parse_generalized_time(s: &str) -> Result<i64> {
    let bad = |why: &str| {
        ts_err(format!(
            "genTime {s:?} is not a valid GeneralizedTime: {why}"
        ))
    };
    let b = s.as_bytes();
    if b.len() < 15 || b[b.len() - 1] != b'Z' {
        return Err(bad("expected YYYYMMDDHHMMSS[.fff]Z"));
    }
    let digits = &b[..14];
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad("expected digits in YYYYMMDDHHMMSS"));
    }
    let frac = &b[14..b.len() - 1];
    if !frac.is_empty()
        && (frac[0] != b'.' || frac.len() < 2 || !frac[1..].iter().all(u8::is_ascii_digit))
    {
        return Err(bad("fractional seconds must be '.' followed by digits"));
    }
    let num = |r: std::ops::Range<usize>| {
        digits[r]
            .iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4),
        num(4..6),
        num(6..8),
        num(8..10),
        num(10..12),
        num(12..14),
    );
    if !(1..=12).contains(&mo) {
        return Err(bad("month out of range"));
    }
    crate::time::checked_unix(y, mo, d, h, mi, se, 59)
        .ok_or_else(|| bad("day or time of day out of range"))
}

/// Format unix seconds as a DER GeneralizedTime string `YYYYMMDDHHMMSSZ`.
fn generalized_time_string(t: i64) -> Result<String> {
    let (y, m, d) = crate::time::civil_from_days(t.div_euclid(86_400));
    if !(0..=9999).contains(&y) {
        return Err(ts_err(format!(
            "genTime {t} is outside the years 0000..9999"
        )));
    }
    let s = t.rem_euclid(86_400);
    Ok(format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    ))
}

fn hash_label(h: HashAlg) -> &'static str {
    match h {
        HashAlg::Sha256 => "sha256",
        HashAlg::Sha384 => "sha384",
        HashAlg::Sha512 => "sha512",
    }
}

fn hash_oid(h: HashAlg) -> ObjectIdentifier {
    match h {
        HashAlg::Sha256 => OID_SHA256,
        HashAlg::Sha384 => OID_SHA384,
        HashAlg::Sha512 => OID_SHA512,
    }
}

// ---------------------------------------------------------------------------------------------
// Accessors
// ---------------------------------------------------------------------------------------------

impl TimestampToken {
    /// The TSTInfo `genTime` as unix seconds (fractional seconds are truncated).
    pub fn gen_time(&self) -> i64 {
        self.info.gen_time
    }

    /// The TSTInfo `genTime` exactly as encoded (e.g. `20240101120000.123Z`).
    pub fn gen_time_raw(&self) -> &str {
        &self.info.gen_time_raw
    }

    /// The TSA policy OID, dotted decimal.
    pub fn policy(&self) -> String {
        self.info.policy.to_string()
    }

    /// The token serial number as an unsigned big-endian integer (DER sign padding removed).
    pub fn serial_number(&self) -> &[u8] {
        &self.info.serial
    }

    /// The nonce, if the TSA echoed one, as an unsigned big-endian integer.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.info.nonce.as_deref()
    }

    /// The message imprint: hash algorithm and hash of the timestamped data.
    pub fn message_imprint(&self) -> (HashAlg, Vec<u8>) {
        (self.info.imprint_alg, self.info.imprint.clone())
    }

    /// The TSTInfo `accuracy`, if present.
    pub fn accuracy(&self) -> Option<Accuracy> {
        self.info.accuracy
    }

    /// The TSTInfo `ordering` flag.
    pub fn ordering(&self) -> bool {
        self.info.ordering
    }

    /// The TSTInfo version (always 1 after parsing).
    pub fn version(&self) -> u8 {
        self.info.version
    }

    /// The DER of the TSTInfo `tsa` GeneralName, if present.
    pub fn tsa_name_der(&self) -> Option<&[u8]> {
        self.info.tsa_name_der.as_deref()
    }

    /// Certificates embedded in the token (DER). They are informational: verification uses the
    /// chain from the trusted root.
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// How the SignerInfo identifies the TSA certificate.
    pub fn signer_identifier(&self) -> &SignerIdentifier {
        &self.signer.sid
    }

    /// The DER TSTInfo (the signed eContent).
    pub fn tst_info_der(&self) -> &[u8] {
        &self.tst_info_der
    }

    /// The DER of the token (CMS ContentInfo).
    pub fn token_der(&self) -> &[u8] {
        &self.token_der
    }
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// A certificate of the TSA chain with the raw bytes its signature covers.
struct ChainCert<'a> {
    cert: Certificate,
    tbs_raw: &'a [u8],
    label: String,
}

fn parse_chain_cert(index: usize, der: &[u8]) -> Result<ChainCert<'_>> {
    let what = format!("TSA chain certificate {index}");
    let cert = Certificate::from_der(der).map_err(|e| Error::der(what.clone(), e))?;
    let tbs_raw = (|| {
        let mut r = SliceReader::new(der)?;
        let tbs = r.sequence(|r| {
            let tbs = r.tlv_bytes()?;
            r.tlv_bytes()?;
            r.tlv_bytes()?;
            Ok(tbs)
        })?;
        r.finish(tbs)
    })()
    .map_err(|e| Error::der(what, e))?;
    let label = format!(
        "certificate {index} (subject \"{}\")",
        cert.tbs_certificate.subject
    );
    Ok(ChainCert {
        cert,
        tbs_raw,
        label,
    })
}

/// The single extension with `oid`, or an error if it occurs twice.
fn find_extension<'c>(
    cc: &'c ChainCert<'_>,
    oid: ObjectIdentifier,
    name: &str,
) -> Result<Option<&'c x509_cert::ext::Extension>> {
    let mut found = None;
    for ext in cc.cert.tbs_certificate.extensions.iter().flatten() {
        if ext.extn_id == oid {
            if found.is_some() {
                return Err(ts_err(format!(
                    "{} has more than one {name} extension",
                    cc.label
                )));
            }
            found = Some(ext);
        }
    }
    Ok(found)
}

fn spki_key(cc: &ChainCert<'_>) -> Result<PublicKey> {
    let spki = cc
        .cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| Error::der("SubjectPublicKeyInfo", e))?;
    PublicKey::from_spki_der(&spki)
}

/// Verify a CMS signature whose algorithm is either a combined OID (ecdsa-with-SHA256, ...)
/// or a bare key OID (id-ecPublicKey, rsaEncryption) used with the SignerInfo digest algorithm.
fn verify_cms_signature(
    key: &PublicKey,
    sig_alg: &ObjectIdentifier,
    digest: HashAlg,
    msg: &[u8],
    sig: &[u8],
) -> Result<()> {
    let fail = || {
        Error::signature(format!(
            "RFC 3161 timestamp SignerInfo signature ({sig_alg}) over the signed attributes does not verify \
             with the {} key of the TSA leaf certificate",
            key.kind().name()
        ))
    };
    match *sig_alg {
        OID_EC_PUBLIC_KEY | OID_RSA => {
            let is_ec = matches!(
                key.kind(),
                KeyKind::EcdsaP256 | KeyKind::EcdsaP384 | KeyKind::EcdsaP521
            );
            let wants_ec = *sig_alg == OID_EC_PUBLIC_KEY;
            if is_ec != wants_ec || (!is_ec && key.kind() != KeyKind::Rsa) {
                return Err(ts_err(format!(
                    "SignerInfo signature algorithm {sig_alg} does not match the TSA leaf's {} key",
                    key.kind().name()
                )));
            }
            key.verify_with_hash(digest, msg, sig).map_err(|_| fail())
        }
        _ => match key.verify_x509(sig_alg, msg, sig) {
            Ok(()) => Ok(()),
            Err(Error::Signature { .. }) => Err(fail()),
            Err(Error::Key { reason, .. }) => {
                Err(ts_err(format!("SignerInfo signature algorithm: {reason}")))
            }
            Err(other) => Err(other),
        },
    }
}

impl TimestampToken {
    /// The single value of a signed attribute, or an error if it is missing or repeated.
    fn single_attr(&self, oid: ObjectIdentifier, name: &str) -> Result<Option<&[u8]>> {
        let mut found: Option<&[u8]> = None;
        for (t, values) in &self.signer.signed_attrs {
            if *t != oid {
                continue;
            }
            if found.is_some() || values.len() != 1 {
                return Err(ts_err(format!(
                    "the {name} signed attribute must occur once with exactly one value"
                )));
            }
            found = Some(&values[0]); // values.len() == 1 was checked just above
        }
        Ok(found)
    }

    /// Verify the token.
    ///
    /// * `signed_data`: the bytes that were timestamped; their hash (with the imprint's
    ///   algorithm) must equal the message imprint. In Sigstore these are the artifact
    ///   signature bytes.
    /// * `chain`: the TSA certificate chain from the trusted root, DER, leaf first, then
    ///   intermediates, then the root.
    ///
    /// Checks, in order (each failure has its own message): SignedData version and
    /// eContentType id-ct-TSTInfo; signed attributes present with content-type id-ct-TSTInfo
    /// and message-digest equal to the digest of the eContent (and the digest algorithm listed
    /// in SignedData.digestAlgorithms); the signer identifier names `chain[0]`; the SignerInfo
    /// signature verifies over the signed attributes as transmitted; an ESS
    /// signing-certificate(-v2) attribute, if present, names `chain[0]`; `chain[0]` has a
    /// critical EKU extension whose only purpose is id-kp-timeStamping; every `chain[i]` is
    /// issued (names and signature) by the CA `chain[i+1]`; genTime lies within every
    /// certificate's validity; the message imprint equals the hash of `signed_data`.
    pub fn verify(&self, signed_data: &[u8], chain: &[Vec<u8>]) -> Result<()> {
        if chain.is_empty() {
            return Err(ts_err(
                "no TSA certificate chain given; expected at least the TSA leaf certificate",
            ));
        }
        if chain.len() > MAX_CHAIN_CERTS {
            return Err(Error::Limit {
                what: "TSA chain certificates",
                found: chain.len(),
                limit: MAX_CHAIN_CERTS,
            });
        }
        let certs = chain
            .iter()
            .enumerate()
            .map(|(i, c)| parse_chain_cert(i, c))
            .collect::<Result<Vec<_>>>()?;
        let leaf = &certs[0]; // the chain is not empty (checked above)

        // --- CMS structure -------------------------------------------------------------
        if !(3..=5).contains(&self.sd_version) {
            return Err(ts_err(format!(
                "SignedData version is {}; expected 3 for an RFC 3161 token",
                self.sd_version
            )));
        }
        if self.econtent_type != OID_TST_INFO {
            return Err(ts_err(format!(
                "eContentType is {}; expected id-ct-TSTInfo ({OID_TST_INFO})",
                self.econtent_type
            )));
        }
        let expected_si_version = match self.signer.sid {
            SignerIdentifier::IssuerAndSerialNumber { .. } => 1,
            SignerIdentifier::SubjectKeyIdentifier(_) => 3,
        };
        if self.signer.version != expected_si_version {
            return Err(ts_err(format!(
                "SignerInfo version is {}; expected {expected_si_version} for its signer identifier type",
                self.signer.version
            )));
        }
        let digest = HashAlg::from_digest_oid(&self.signer.digest_alg).ok_or_else(|| {
            ts_err(format!(
                "SignerInfo digest algorithm {} is not supported; expected SHA-256, SHA-384 or SHA-512",
                self.signer.digest_alg
            ))
        })?;
        if !self.digest_algorithms.contains(&self.signer.digest_alg) {
            return Err(ts_err(format!(
                "SignerInfo digest algorithm {} is not listed in SignedData.digestAlgorithms {:?}",
                self.signer.digest_alg,
                self.digest_algorithms
                    .iter()
                    .map(|o| o.to_string())
                    .collect::<Vec<_>>()
            )));
        }

        // --- Signed attributes -----------------------------------------------------------
        let signed_attrs = self.signer.signed_attrs_der.as_deref().ok_or_else(|| {
            ts_err("SignerInfo has no signed attributes; RFC 3161 tokens must carry them")
        })?;
        let ct = self
            .single_attr(OID_ATTR_CONTENT_TYPE, "content-type")?
            .ok_or_else(|| ts_err("the content-type signed attribute is missing"))?;
        let ct_oid =
            ObjectIdentifier::from_der(ct).map_err(|e| Error::der("content-type attribute", e))?;
        if ct_oid != OID_TST_INFO {
            return Err(ts_err(format!(
                "content-type signed attribute is {ct_oid}; expected id-ct-TSTInfo ({OID_TST_INFO})"
            )));
        }
        let md = self
            .single_attr(OID_ATTR_MESSAGE_DIGEST, "message-digest")?
            .ok_or_else(|| ts_err("the message-digest signed attribute is missing"))?;
        let md =
            OctetStringRef::from_der(md).map_err(|e| Error::der("message-digest attribute", e))?;
        let computed = digest.hash(&self.tst_info_der);
        if md.as_bytes() != computed.as_slice() {
            return Err(ts_err(format!(
                "message-digest signed attribute does not match the TSTInfo: expected {} {}, found {}",
                hash_label(digest),
                hex::encode(&computed),
                hex::encode(md.as_bytes())
            )));
        }

        // --- Signer identity and signature ---------------------------------------------
        self.check_signer_is(leaf)?;
        let key = spki_key(leaf)?;
        verify_cms_signature(
            &key,
            &self.signer.signature_alg,
            digest,
            signed_attrs,
            &self.signer.signature,
        )?;
        self.check_ess_signing_certificate(&chain[0])?;

        // --- Certificates ----------------------------------------------------------------
        check_leaf_eku(leaf)?;
        for i in 0..certs.len() - 1 {
            check_issued_by(&certs[i], &certs[i + 1], i + 2 == certs.len())?;
        }
        let gen = self.info.gen_time;
        for cc in &certs {
            let validity = &cc.cert.tbs_certificate.validity;
            let nb = validity.not_before.to_unix_duration().as_secs();
            let na = validity.not_after.to_unix_duration().as_secs();
            let (nb, na) = (
                i64::try_from(nb).unwrap_or(i64::MAX),
                i64::try_from(na).unwrap_or(i64::MAX),
            );
            if gen < nb || gen > na {
                return Err(ts_err(format!(
                    "genTime {} is outside the validity of TSA chain {}: not before {}, not after {}",
                    crate::time::format_rfc3339(gen),
                    cc.label,
                    crate::time::format_rfc3339(nb),
                    crate::time::format_rfc3339(na)
                )));
            }
        }

        // --- Message imprint -------------------------------------------------------------
        let (alg, imprint) = (self.info.imprint_alg, &self.info.imprint);
        let expected = alg.hash(signed_data);
        if expected != *imprint {
            return Err(ts_err(format!(
                "message imprint does not match the signature: expected {} {}, found {}",
                hash_label(alg),
                hex::encode(&expected),
                hex::encode(imprint)
            )));
        }
        Ok(())
    }

    fn check_signer_is(&self, leaf: &ChainCert<'_>) -> Result<()> {
        let tbs = &leaf.cert.tbs_certificate;
        match &self.signer.sid {
            SignerIdentifier::IssuerAndSerialNumber { issuer_der, serial } => {
                let leaf_issuer = tbs
                    .issuer
                    .to_der()
                    .map_err(|e| Error::der("certificate issuer", e))?;
                if *issuer_der != leaf_issuer || serial.as_slice() != tbs.serial_number.as_bytes() {
                    return Err(ts_err(format!(
                        "SignerInfo names {}, but the TSA leaf is issuer \"{}\" serial {}",
                        self.signer.sid,
                        tbs.issuer,
                        hex::encode(tbs.serial_number.as_bytes())
                    )));
                }
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                let ext = find_extension(
                    leaf,
                    OID_EXT_SUBJECT_KEY_IDENTIFIER,
                    "subject key identifier",
                )?
                .ok_or_else(|| {
                    ts_err(format!(
                        "SignerInfo names {}, but the TSA leaf has no subject key identifier",
                        self.signer.sid
                    ))
                })?;
                let leaf_ski = SubjectKeyIdentifier::from_der(ext.extn_value.as_bytes())
                    .map_err(|e| Error::der("subject key identifier extension", e))?;
                if leaf_ski.0.as_bytes() != ski.as_slice() {
                    return Err(ts_err(format!(
                        "SignerInfo names {}, but the TSA leaf's subject key identifier is {}",
                        self.signer.sid,
                        hex::encode(leaf_ski.0.as_bytes())
                    )));
                }
            }
        }
        Ok(())
    }

    /// The first `C` (ESSCertID or ESSCertIDv2) of the signing-certificate(-v2) attribute `name`
    /// (`oid`), if the token has that attribute; an attribute listing none is an error.
    fn first_ess_cert<'s, C: Sequence<'s>>(
        &'s self,
        oid: ObjectIdentifier,
        name: &'static str,
    ) -> Result<Option<C>> {
        let Some(der) = self.single_attr(oid, name)? else {
            return Ok(None);
        };
        let sc = SigningCertificateAsn1::<C>::from_der(der).map_err(|e| Error::der(name, e))?;
        let first = sc
            .certs
            .into_iter()
            .next()
            .ok_or_else(|| ts_err(format!("{name} attribute lists no certificate")))?;
        Ok(Some(first))
    }

    /// RFC 2634 / RFC 5035: the first ESSCertID(v2) must identify the signing certificate.
    /// Tokens without either attribute are accepted (the leaf comes from the trusted root).
    fn check_ess_signing_certificate(&self, leaf_der: &[u8]) -> Result<()> {
        let mismatch = |alg: &str, found: &[u8], expected: &[u8]| {
            ts_err(format!(
                "signing-certificate attribute does not name the TSA leaf: expected {alg} {}, found {}",
                hex::encode(expected),
                hex::encode(found)
            ))
        };
        if let Some(first) = self.first_ess_cert::<EssCertIdV2Asn1>(
            OID_ATTR_SIGNING_CERTIFICATE_V2,
            "signing-certificate-v2",
        )? {
            let oid = match &first.hash_algorithm {
                Some(a) => alg_oid(a).map_err(|e| Error::der("ESSCertIDv2 hashAlgorithm", e))?,
                None => OID_SHA256,
            };
            let h = HashAlg::from_digest_oid(&oid).ok_or_else(|| {
                ts_err(format!(
                    "ESSCertIDv2 hash algorithm {oid} is not supported; expected SHA-256/384/512"
                ))
            })?;
            let expected = h.hash(leaf_der);
            if first.cert_hash.as_bytes() != expected.as_slice() {
                return Err(mismatch(
                    hash_label(h),
                    first.cert_hash.as_bytes(),
                    &expected,
                ));
            }
        }
        if let Some(first) = self
            .first_ess_cert::<EssCertIdAsn1>(OID_ATTR_SIGNING_CERTIFICATE, "signing-certificate")?
        {
            let expected =
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, leaf_der);
            if first.cert_hash.as_bytes() != expected.as_ref() {
                return Err(mismatch(
                    "sha1",
                    first.cert_hash.as_bytes(),
                    expected.as_ref(),
                ));
            }
        }
        Ok(())
    }
}

/// RFC 3161 §2.3: the TSA certificate has exactly one, critical, EKU: id-kp-timeStamping.
fn check_leaf_eku(leaf: &ChainCert<'_>) -> Result<()> {
    let ext = find_extension(leaf, OID_EXT_KEY_USAGE, "extended key usage")?.ok_or_else(|| {
        ts_err(format!(
            "TSA leaf {} has no extended key usage extension; expected a critical EKU with \
             id-kp-timeStamping ({OID_EKU_TIME_STAMPING})",
            leaf.label
        ))
    })?;
    if !ext.critical {
        return Err(ts_err(format!(
            "TSA leaf {} has a non-critical extended key usage extension; RFC 3161 requires it to be critical",
            leaf.label
        )));
    }
    let eku = ExtendedKeyUsage::from_der(ext.extn_value.as_bytes())
        .map_err(|e| Error::der("extended key usage extension", e))?;
    if eku.0.as_slice() != [OID_EKU_TIME_STAMPING] {
        return Err(ts_err(format!(
            "TSA leaf {} has extended key usages {:?}; expected exactly id-kp-timeStamping ({OID_EKU_TIME_STAMPING})",
            leaf.label,
            eku.0.iter().map(|o| o.to_string()).collect::<Vec<_>>()
        )));
    }
    Ok(())
}

/// `child` is issued by `parent`: names link, `parent` is a CA allowed to sign certificates,
/// and the signature verifies. `parent_is_anchor` tolerates a trust anchor without
/// basicConstraints (v1 roots).
fn check_issued_by(
    child: &ChainCert<'_>,
    parent: &ChainCert<'_>,
    parent_is_anchor: bool,
) -> Result<()> {
    let (ct, pt) = (&child.cert.tbs_certificate, &parent.cert.tbs_certificate);
    if ct.issuer != pt.subject {
        return Err(ts_err(format!(
            "TSA chain is broken: {} names issuer \"{}\", but the next {} is not that issuer",
            child.label, ct.issuer, parent.label
        )));
    }
    match find_extension(parent, OID_BASIC_CONSTRAINTS, "basic constraints")? {
        Some(ext) => {
            let bc = BasicConstraints::from_der(ext.extn_value.as_bytes())
                .map_err(|e| Error::der("basic constraints extension", e))?;
            if !bc.ca {
                return Err(ts_err(format!(
                    "TSA chain {} issues {} but is not a CA",
                    parent.label, child.label
                )));
            }
        }
        None if parent_is_anchor => {}
        None => {
            return Err(ts_err(format!(
                "TSA chain {} issues {} but has no basic constraints extension marking it a CA",
                parent.label, child.label
            )))
        }
    }
    if let Some(ext) = find_extension(parent, OID_KEY_USAGE, "key usage")? {
        let ku = KeyUsage::from_der(ext.extn_value.as_bytes())
            .map_err(|e| Error::der("key usage extension", e))?;
        if !ku.0.contains(KeyUsages::KeyCertSign) {
            return Err(ts_err(format!(
                "TSA chain {} issues {} but its key usage does not include keyCertSign",
                parent.label, child.label
            )));
        }
    }
    let sig_alg = child.cert.signature_algorithm.oid;
    if ct.signature.oid != sig_alg {
        return Err(ts_err(format!(
            "{} has inconsistent signature algorithms: {} in the TBSCertificate, {sig_alg} outside",
            child.label, ct.signature.oid
        )));
    }
    let sig = child.cert.signature.as_bytes().ok_or_else(|| {
        ts_err(format!(
            "{} has a signature BIT STRING with unused bits",
            child.label
        ))
    })?;
    let key = spki_key(parent)?;
    key.verify_x509(&sig_alg, child.tbs_raw, sig)
        .map_err(|e| match e {
            Error::Signature { .. } => Error::signature(format!(
                "TSA chain {} is not signed by {} ({sig_alg})",
                child.label, parent.label
            )),
            other => other,
        })
}

// ---------------------------------------------------------------------------------------------
// Requests and signing
// ---------------------------------------------------------------------------------------------

/// A parsed RFC 3161 `TimeStampReq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampRequest {
    /// Request version (RFC 3161: 1).
    pub version: u8,
    /// Hash algorithm of the message imprint.
    pub imprint_alg: HashAlg,
    /// The hashed message.
    pub imprint: Vec<u8>,
    /// Requested TSA policy OID (dotted decimal), if any.
    pub policy: Option<String>,
    /// Nonce as an unsigned big-endian integer, if any.
    pub nonce: Option<Vec<u8>>,
    /// Whether the TSA certificate must be included in the response.
    pub cert_req: bool,
    /// Whether the request carries extensions (a TSA that supports none must reject it).
    pub has_extensions: bool,
}

/// Build a DER `TimeStampReq` (version 1) over `imprint` with an optional nonce (unsigned
/// big-endian magnitude) and certReq, as a client sends to a TSA.
pub fn build_timestamp_request(
    imprint_alg: HashAlg,
    imprint: &[u8],
    nonce: Option<&[u8]>,
    cert_req: bool,
) -> Result<Vec<u8>> {
    let oid = match imprint_alg {
        HashAlg::Sha256 => OID_SHA256,
        HashAlg::Sha384 => OID_SHA384,
        HashAlg::Sha512 => OID_SHA512,
    };
    // INTEGER contents must be minimal and positive: strip leading zeros, re-add one if the top
    // bit is set.
    let nonce_bytes = nonce.map(|n| {
        let n: Vec<u8> = n.iter().copied().skip_while(|b| *b == 0).collect();
        let mut v = if n.first().is_some_and(|b| b & 0x80 != 0) {
            vec![0]
        } else {
            vec![]
        };
        v.extend(n);
        if v.is_empty() {
            v.push(0);
        }
        v
    });
    let req = TimeStampReqAsn1 {
        version: 1,
        message_imprint: MessageImprintAsn1 {
            hash_algorithm: AlgorithmIdentifierRef {
                oid,
                parameters: Some(AnyRef::NULL),
            },
            hashed_message: OctetStringRef::new(imprint)
                .map_err(|e| Error::der("messageImprint", e))?,
        },
        req_policy: None,
        nonce: nonce_bytes
            .as_deref()
            .map(IntRef::new)
            .transpose()
            .map_err(|e| Error::der("nonce", e))?,
        cert_req,
        extensions: None,
    };
    req.to_der().map_err(|e| Error::der("TimeStampReq", e))
}

/// Parse a DER `TimeStampReq` (RFC 3161 §2.4.1). The version must be 1 and the imprint a
/// SHA-256/384/512 hash of the right length.
pub fn parse_timestamp_request(der: &[u8]) -> Result<TimestampRequest> {
    let req = TimeStampReqAsn1::from_der(der).map_err(|e| Error::der("TimeStampReq", e))?;
    check_version_1("TimeStampReq", req.version)?;
    let (imprint_alg, imprint) = req
        .message_imprint
        .checked("TimeStampReq", "requested imprint")?;
    Ok(TimestampRequest {
        version: req.version,
        imprint_alg,
        imprint,
        policy: req.req_policy.map(|o| o.to_string()),
        nonce: req.nonce.as_ref().map(int_magnitude),
        cert_req: req.cert_req,
        has_extensions: req.extensions.is_some_and(|e| !e.is_empty()),
    })
}

/// Minimal two's complement DER INTEGER content for an unsigned big-endian magnitude.
fn uint_content(magnitude: &[u8]) -> Vec<u8> {
    let first = magnitude
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(magnitude.len());
    let trimmed = &magnitude[first..];
    let mut out = Vec::with_capacity(trimmed.len() + 1);
    if !matches!(trimmed.first(), Some(&b) if b & 0x80 == 0) {
        out.push(0);
    }
    out.extend_from_slice(trimmed);
    out
}

/// Issues RFC 3161 timestamp tokens with an ECDSA P-256 or P-384 key (a file key or a
/// token's, see [`crate::signer::Signer`]).
pub struct TimestampSigner {
    key: crate::signer::SharedSigner,
    digest: HashAlg,
    sig_alg: ObjectIdentifier,
    chain: Vec<Vec<u8>>,
    leaf: Certificate,
}

impl std::fmt::Debug for TimestampSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TimestampSigner(subject \"{}\")",
            self.leaf.tbs_certificate.subject
        )
    }
}

impl TimestampSigner {
    /// Build a signer from a PKCS#8 ECDSA key (P-256 signs with SHA-256, P-384 with SHA-384) and
    /// the TSA chain, DER, leaf first. The leaf's public key must be the key's.
    pub fn new(pkcs8: &[u8], chain: Vec<Vec<u8>>) -> Result<Self> {
        let key = [crate::keys::Curve::P256, crate::keys::Curve::P384]
            .into_iter()
            .find_map(|c| crate::keys::EcKey::from_pkcs8(c, pkcs8).ok())
            .ok_or_else(|| Error::Key {
                what: "TSA signing key".into(),
                reason: "expected a PKCS#8 ECDSA P-256 or P-384 private key".into(),
            })?;
        Self::from_signer(std::sync::Arc::new(key), chain)
    }

    /// Build a signer from any ECDSA P-256 / P-384 [`crate::signer::Signer`] and the TSA chain,
    /// DER, leaf first. The leaf's public key must be the key's.
    pub fn from_signer(key: crate::signer::SharedSigner, chain: Vec<Vec<u8>>) -> Result<Self> {
        use crate::signer::SignatureAlgorithm;
        let (digest, sig_alg) = match key.algorithm() {
            SignatureAlgorithm::EcdsaP256Sha256 => (HashAlg::Sha256, OID_ECDSA_SHA256),
            SignatureAlgorithm::EcdsaP384Sha384 => (HashAlg::Sha384, OID_ECDSA_SHA384),
            other => {
                return Err(Error::Key {
                    what: "TSA signing key".into(),
                    reason: format!("expected an ECDSA P-256 or P-384 key, found {other}"),
                })
            }
        };
        let leaf_der = chain
            .first()
            .ok_or_else(|| ts_err("TSA signer needs a certificate chain; found none"))?;
        let leaf =
            Certificate::from_der(leaf_der).map_err(|e| Error::der("TSA leaf certificate", e))?;
        for (i, c) in chain.iter().enumerate().skip(1) {
            Certificate::from_der(c)
                .map_err(|e| Error::der(format!("TSA chain certificate {i}"), e))?;
        }
        let leaf_point = leaf
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes();
        if leaf_point != crate::signer::public_key_bits(key.as_ref())? {
            return Err(Error::Key {
                what: "TSA signing key".into(),
                reason: format!(
                    "the private key does not match the public key of the leaf certificate (subject \"{}\")",
                    leaf.tbs_certificate.subject
                ),
            });
        }
        Ok(TimestampSigner {
            key,
            digest,
            sig_alg,
            chain,
            leaf,
        })
    }

    /// The TSA chain (DER, leaf first).
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// Issue a timestamp: returns a DER `TimeStampResp` with status granted whose token is a
    /// CMS SignedData (v3) over a TSTInfo with the given imprint, nonce, genTime (unix seconds),
    /// serial (unsigned big-endian) and policy OID. Signed attributes: content-type,
    /// message-digest and signing-certificate-v2 (RFC 5816). With `cert_req` the chain is
    /// embedded.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        &self,
        imprint_alg: HashAlg,
        imprint: &[u8],
        nonce: Option<&[u8]>,
        cert_req: bool,
        gen_time_unix: i64,
        serial: &[u8],
        policy: &str,
    ) -> Result<Vec<u8>> {
        let enc = |what: &'static str| move |e: der::Error| Error::der(what, e);
        check_imprint_len("imprint", imprint_alg, imprint)?;
        if serial.iter().all(|&b| b == 0) || serial.len() > 20 {
            return Err(ts_err(
                "serial number must be positive and at most 20 bytes",
            ));
        }
        let policy: ObjectIdentifier = policy
            .parse()
            .map_err(|e| ts_err(format!("policy {policy:?} is not a valid OID: {e}")))?;
        let gen_time = generalized_time_string(gen_time_unix)?;
        let serial_content = uint_content(serial);
        let nonce_content = nonce.map(uint_content);
        let tst = TstInfoAsn1 {
            version: 1,
            policy,
            message_imprint: MessageImprintAsn1 {
                hash_algorithm: AlgorithmIdentifierRef {
                    oid: hash_oid(imprint_alg),
                    parameters: None,
                },
                hashed_message: OctetStringRef::new(imprint).map_err(enc("message imprint"))?,
            },
            serial_number: IntRef::new(&serial_content).map_err(enc("serial number"))?,
            gen_time: RawGeneralizedTime(&gen_time),
            accuracy: None,
            ordering: false,
            nonce: nonce_content
                .as_deref()
                .map(IntRef::new)
                .transpose()
                .map_err(enc("nonce"))?,
            tsa: None,
            extensions: None,
        };
        let tst_der = tst.to_der().map_err(enc("TSTInfo"))?;

        // `new` rejects an empty chain, so index 0 exists.
        let leaf_hash = sha256(&self.chain[0]);
        let ess = SigningCertificateAsn1 {
            certs: vec![EssCertIdV2Asn1 {
                hash_algorithm: None, // DEFAULT id-sha256
                cert_hash: OctetStringRef::new(&leaf_hash).map_err(enc("ESSCertIDv2"))?,
                issuer_serial: None,
            }],
            policies: None,
        };
        let attr = |oid: ObjectIdentifier, value: Any| -> Result<Attribute> {
            let values = SetOfVec::try_from(vec![value]).map_err(enc("signed attribute"))?;
            Ok(Attribute { oid, values })
        };
        let digest_of_tst = self.digest.hash(&tst_der);
        let attrs = SetOfVec::try_from(vec![
            attr(
                OID_ATTR_CONTENT_TYPE,
                Any::encode_from(&OID_TST_INFO).map_err(enc("content-type"))?,
            )?,
            attr(
                OID_ATTR_MESSAGE_DIGEST,
                Any::encode_from(
                    &OctetStringRef::new(&digest_of_tst).map_err(enc("message-digest"))?,
                )
                .map_err(enc("message-digest"))?,
            )?,
            attr(
                OID_ATTR_SIGNING_CERTIFICATE_V2,
                Any::encode_from(&ess).map_err(enc("signing-certificate-v2"))?,
            )?,
        ])
        .map_err(enc("signed attributes"))?;
        let attrs_der = attrs.to_der().map_err(enc("signed attributes"))?;
        let signature = self.key.sign(&attrs_der).map_err(|e| {
            Error::signature(format!(
                "ECDSA signing of the timestamp signed attributes failed: {e}"
            ))
        })?;

        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: CmsSignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: self.leaf.tbs_certificate.issuer.clone(),
                serial_number: self.leaf.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: AlgorithmIdentifierOwned {
                oid: hash_oid(self.digest),
                parameters: None,
            },
            signed_attrs: Some(attrs),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: self.sig_alg,
                parameters: None,
            },
            signature: OctetString::new(signature).map_err(enc("signature"))?,
            unsigned_attrs: None,
        };
        let certificates = if cert_req {
            let mut set = Vec::with_capacity(self.chain.len());
            for c in &self.chain {
                set.push(CertificateChoices::Certificate(
                    Certificate::from_der(c).map_err(enc("TSA chain certificate"))?,
                ));
            }
            Some(CertificateSet::try_from(set).map_err(enc("certificate set"))?)
        } else {
            None
        };
        let signed_data = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![AlgorithmIdentifierOwned {
                oid: hash_oid(self.digest),
                parameters: None,
            }])
            .map_err(enc("digest algorithms"))?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: OID_TST_INFO,
                econtent: Some(Any::new(Tag::OctetString, tst_der).map_err(enc("eContent"))?),
            },
            certificates,
            crls: None,
            signer_infos: SignerInfos::try_from(vec![signer_info]).map_err(enc("signer infos"))?,
        };
        let resp = TimeStampRespOut {
            status: PkiStatusOut { status: 0 },
            time_stamp_token: ContentInfo {
                content_type: OID_SIGNED_DATA,
                content: Any::encode_from(&signed_data).map_err(enc("SignedData"))?,
            },
        };
        resp.to_der().map_err(enc("TimeStampResp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
        ECDSA_P384_SHA384_ASN1_SIGNING,
    };
    use der::asn1::{BitString, UtcTime};
    use spki::SubjectPublicKeyInfoOwned;
    use std::str::FromStr;
    use std::time::Duration;
    use x509_cert::certificate::{TbsCertificate, Version};
    use x509_cert::ext::Extension;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::time::{Time, Validity};

    use crate::x509::OID_EKU_CODE_SIGNING;

    const GEN_TIME: i64 = 1_700_000_000; // 2023-11-14T22:13:20Z
    const POLICY: &str = "1.3.6.1.4.1.57264.2";
    const ARTIFACT_SIG: &[u8] = b"the artifact signature bytes";

    // ----- certificate builder ---------------------------------------------------------------

    struct Key {
        pkcs8: Vec<u8>,
        pair: EcdsaKeyPair,
        alg: ObjectIdentifier,
    }

    fn gen_key(p384: bool) -> Key {
        let (alg, oid): (&'static EcdsaSigningAlgorithm, _) = if p384 {
            (&ECDSA_P384_SHA384_ASN1_SIGNING, OID_ECDSA_SHA384)
        } else {
            (&ECDSA_P256_SHA256_ASN1_SIGNING, OID_ECDSA_SHA256)
        };
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap();
        Key {
            pkcs8: pkcs8.as_ref().to_vec(),
            pair,
            alg: oid,
        }
    }

    fn spki_der(k: &Key) -> Vec<u8> {
        AsDer::<PublicKeyX509Der>::as_der(k.pair.public_key())
            .unwrap()
            .as_ref()
            .to_vec()
    }

    fn time(t: i64) -> Time {
        Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(t as u64)).unwrap())
    }

    fn ext(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> Extension {
        Extension {
            extn_id: oid,
            critical,
            extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
        }
    }

    /// (purposes, critical); None = no EKU extension.
    type EkuSpec = Option<(Vec<ObjectIdentifier>, bool)>;

    struct CertSpec<'s> {
        subject: &'s str,
        issuer: &'s str,
        serial: u8,
        validity: (i64, i64),
        ca: bool,
        eku: EkuSpec,
    }

    impl CertSpec<'static> {
        /// A TSA leaf: LEAF_NAME issued by ROOT_NAME, not a CA.
        fn leaf(serial: u8, validity: (i64, i64), eku: EkuSpec) -> Self {
            CertSpec {
                subject: LEAF_NAME,
                issuer: ROOT_NAME,
                serial,
                validity,
                ca: false,
                eku,
            }
        }
    }

    fn make_cert(spec: &CertSpec<'_>, subject_key: &Key, issuer_key: &Key) -> Vec<u8> {
        let mut exts = vec![];
        if spec.ca {
            exts.push(ext(
                OID_BASIC_CONSTRAINTS,
                true,
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: None,
                },
            ));
            exts.push(ext(
                OID_KEY_USAGE,
                true,
                &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
            ));
        } else {
            exts.push(ext(
                OID_KEY_USAGE,
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()),
            ));
        }
        if let Some((purposes, critical)) = &spec.eku {
            exts.push(ext(
                OID_EXT_KEY_USAGE,
                *critical,
                &ExtendedKeyUsage(purposes.clone()),
            ));
        }
        let ski = &sha256(&spki_der(subject_key))[..20];
        exts.push(ext(
            OID_EXT_SUBJECT_KEY_IDENTIFIER,
            false,
            &SubjectKeyIdentifier(OctetString::new(ski).unwrap()),
        ));
        let sig_alg = AlgorithmIdentifierOwned {
            oid: issuer_key.alg,
            parameters: None,
        };
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[spec.serial]).unwrap(),
            signature: sig_alg.clone(),
            issuer: Name::from_str(spec.issuer).unwrap(),
            validity: Validity {
                not_before: time(spec.validity.0),
                not_after: time(spec.validity.1),
            },
            subject: Name::from_str(spec.subject).unwrap(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&spki_der(subject_key))
                .unwrap(),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(exts),
        };
        let sig = issuer_key
            .pair
            .sign(&SystemRandom::new(), &tbs.to_der().unwrap())
            .unwrap();
        Certificate {
            tbs_certificate: tbs,
            signature_algorithm: sig_alg,
            signature: BitString::from_bytes(sig.as_ref()).unwrap(),
        }
        .to_der()
        .unwrap()
    }

    const ROOT_NAME: &str = "CN=Signet Test TSA Root,O=Signet";
    const LEAF_NAME: &str = "CN=Signet Test TSA,O=Signet";
    const ROOT_VALIDITY: (i64, i64) = (1_600_000_000, 2_100_000_000);
    const LEAF_VALIDITY: (i64, i64) = (1_650_000_000, 2_000_000_000);

    struct Pki {
        root_key: Key,
        root: Vec<u8>,
        leaf_key: Key,
        leaf: Vec<u8>,
    }

    impl Pki {
        fn chain(&self) -> Vec<Vec<u8>> {
            vec![self.leaf.clone(), self.root.clone()]
        }
        fn signer(&self) -> TimestampSigner {
            TimestampSigner::new(&self.leaf_key.pkcs8, self.chain()).unwrap()
        }
    }

    fn make_root(key: &Key, name: &str) -> Vec<u8> {
        let spec = CertSpec {
            subject: name,
            issuer: name,
            serial: 1,
            validity: ROOT_VALIDITY,
            ca: true,
            eku: None,
        };
        make_cert(&spec, key, key)
    }

    fn pki_with(leaf_eku: EkuSpec, leaf_validity: (i64, i64), p384: bool) -> Pki {
        let root_key = gen_key(false);
        let root = make_root(&root_key, ROOT_NAME);
        let leaf_key = gen_key(p384);
        let spec = CertSpec::leaf(2, leaf_validity, leaf_eku);
        let leaf = make_cert(&spec, &leaf_key, &root_key);
        Pki {
            root_key,
            root,
            leaf_key,
            leaf,
        }
    }

    fn pki() -> Pki {
        pki_with(
            Some((vec![OID_EKU_TIME_STAMPING], true)),
            LEAF_VALIDITY,
            false,
        )
    }

    fn sign_with(signer: &TimestampSigner, cert_req: bool, gen_time: i64) -> Vec<u8> {
        let imprint = HashAlg::Sha256.hash(ARTIFACT_SIG);
        signer
            .sign(
                HashAlg::Sha256,
                &imprint,
                Some(&[0x85, 0x01, 0x02]),
                cert_req,
                gen_time,
                &[0x01, 0x23, 0x45],
                POLICY,
            )
            .unwrap()
    }

    /// `text` (an error message, mostly) must contain `want`.
    #[track_caller]
    fn assert_contains(text: &str, want: &str) {
        assert!(text.contains(want), "{want:?} is not in: {text}");
    }

    fn verify_err(resp: &[u8], data: &[u8], chain: &[Vec<u8>]) -> String {
        match parse_timestamp_response(resp).and_then(|t| t.verify(data, chain)) {
            Ok(()) => panic!("verification unexpectedly succeeded"),
            Err(e) => e.to_string(),
        }
    }

    fn find(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len())
            .position(|w| w == needle)
            .expect("needle present")
    }

    // ----- round trips -------------------------------------------------------------------------

    #[test]
    fn round_trip_sign_parse_verify() {
        let pki = pki();
        let resp = sign_with(&pki.signer(), true, GEN_TIME);
        let tok = parse_timestamp_response(&resp).unwrap();
        assert_eq!(tok.gen_time(), GEN_TIME);
        assert_eq!(tok.gen_time_raw(), "20231114221320Z");
        assert_eq!(tok.policy(), POLICY);
        assert_eq!(tok.serial_number(), &[0x01, 0x23, 0x45]);
        assert_eq!(tok.nonce(), Some(&[0x85, 0x01, 0x02][..]));
        assert_eq!(
            tok.message_imprint(),
            (HashAlg::Sha256, HashAlg::Sha256.hash(ARTIFACT_SIG))
        );
        assert_eq!(tok.version(), 1);
        assert!(!tok.ordering());
        assert_eq!(tok.accuracy(), None);
        assert_eq!(tok.certificates().len(), 2);
        assert!(tok.certificates().contains(&pki.leaf));
        let leaf = Certificate::from_der(&pki.leaf).unwrap();
        assert_eq!(
            tok.signer_identifier(),
            &SignerIdentifier::IssuerAndSerialNumber {
                issuer_der: leaf.tbs_certificate.issuer.to_der().unwrap(),
                serial: vec![2],
            }
        );
        tok.verify(ARTIFACT_SIG, &pki.chain()).unwrap();
        // A bare TimeStampToken (ContentInfo) parses and verifies the same.
        let bare = parse_timestamp_response(tok.token_der()).unwrap();
        bare.verify(ARTIFACT_SIG, &pki.chain()).unwrap();
        // Without embedded certificates.
        let resp = sign_with(&pki.signer(), false, GEN_TIME);
        let tok = parse_timestamp_response(&resp).unwrap();
        assert!(tok.certificates().is_empty());
        tok.verify(ARTIFACT_SIG, &pki.chain()).unwrap();
        // The leaf alone (no root) still verifies the token itself.
        tok.verify(ARTIFACT_SIG, &pki.chain()[..1]).unwrap();
    }

    #[test]
    fn round_trip_p384_sha512_imprint_no_nonce() {
        let pki = pki_with(
            Some((vec![OID_EKU_TIME_STAMPING], true)),
            LEAF_VALIDITY,
            true,
        );
        let imprint = HashAlg::Sha512.hash(ARTIFACT_SIG);
        let resp = pki
            .signer()
            .sign(
                HashAlg::Sha512,
                &imprint,
                None,
                false,
                GEN_TIME,
                &[0xff; 20],
                POLICY,
            )
            .unwrap();
        let tok = parse_timestamp_response(&resp).unwrap();
        assert_eq!(tok.nonce(), None);
        assert_eq!(tok.serial_number(), &[0xff; 20]);
        assert_eq!(tok.message_imprint().0, HashAlg::Sha512);
        tok.verify(ARTIFACT_SIG, &pki.chain()).unwrap();
    }

    #[test]
    fn signer_rejects_bad_inputs() {
        let pki = pki();
        let other = gen_key(false);
        let err = TimestampSigner::new(&other.pkcs8, pki.chain())
            .unwrap_err()
            .to_string();
        assert_contains(&err, "does not match the public key of the leaf");
        let err = TimestampSigner::new(b"not a key", pki.chain())
            .unwrap_err()
            .to_string();
        assert_contains(&err, "PKCS#8");
        let s = pki.signer();
        // The signer's error on a SHA-256 request with this imprint, serial and policy.
        let sign_err = |imprint: &[u8], serial: &[u8], policy: &str| {
            s.sign(
                HashAlg::Sha256,
                imprint,
                None,
                false,
                GEN_TIME,
                serial,
                policy,
            )
            .unwrap_err()
            .to_string()
        };
        let err = sign_err(&[0; 31], &[1], POLICY);
        assert_contains(&err, "expected 32");
        let err = sign_err(&[0; 32], &[1], "nope");
        assert_contains(&err, "not a valid OID");
        let err = sign_err(&[0; 32], &[0], POLICY);
        assert_contains(&err, "serial");
    }

    // ----- generalized time --------------------------------------------------------------------

    #[test]
    fn generalized_time_parsing() {
        for (text, t) in [
            ("20240101120000Z", 1_704_110_400),
            ("20240101120000.123Z", 1_704_110_400),
            ("20240229000000.5Z", 1_709_164_800),
            ("19700101000000Z", 0),
        ] {
            assert_eq!(parse_generalized_time(text).unwrap(), t, "{text}");
        }
        for bad in [
            "20240101120000",
            "2024010112000Z",
            "20241301120000Z",
            "20230229000000Z",
            "20240101240000Z",
            "20240101120000.Z",
            "20240101120000,5Z",
            "20240101120000+0100",
            "2024010112000aZ",
            "",
        ] {
            assert!(parse_generalized_time(bad).is_err(), "{bad}");
        }
        for t in [0, 951_782_400, GEN_TIME, 4_102_444_799] {
            assert_eq!(
                parse_generalized_time(&generalized_time_string(t).unwrap()).unwrap(),
                t
            );
        }
        assert_eq!(
            crate::time::format_rfc3339(GEN_TIME),
            "2023-11-14T22:13:20Z"
        );
    }

    #[test]
    fn fractional_gen_time_in_token() {
        // Build a TSTInfo with fractional seconds and check it parses (der's GeneralizedTime
        // would reject it).
        let imprint = HashAlg::Sha256.hash(b"x");
        let tst = TstInfoAsn1 {
            version: 1,
            policy: ObjectIdentifier::new_unwrap(POLICY),
            message_imprint: MessageImprintAsn1 {
                hash_algorithm: AlgorithmIdentifierRef {
                    oid: OID_SHA256,
                    parameters: None,
                },
                hashed_message: OctetStringRef::new(&imprint).unwrap(),
            },
            serial_number: IntRef::new(&[5]).unwrap(),
            gen_time: RawGeneralizedTime("20240101120000.123Z"),
            accuracy: Some(AccuracyAsn1 {
                seconds: Some(1),
                millis: Some(500),
                micros: None,
            }),
            ordering: true,
            nonce: None,
            tsa: None,
            extensions: None,
        };
        let info = parse_tst_info(&tst.to_der().unwrap()).unwrap();
        assert_eq!(info.gen_time, 1_704_110_400);
        assert_eq!(info.gen_time_raw, "20240101120000.123Z");
        assert_eq!(
            info.accuracy,
            Some(Accuracy {
                seconds: 1,
                millis: 500,
                micros: 0
            })
        );
        assert!(info.ordering);
    }

    // ----- requests ----------------------------------------------------------------------------

    #[test]
    fn request_builder_roundtrip() {
        let imprint = HashAlg::Sha256.hash(b"sig");
        let der =
            build_timestamp_request(HashAlg::Sha256, &imprint, Some(&[0x80, 0x01]), true).unwrap();
        let r = parse_timestamp_request(&der).unwrap();
        assert_eq!(
            (r.imprint, r.nonce, r.cert_req),
            (imprint, Some(vec![0x80, 0x01]), true)
        );
    }

    #[test]
    fn request_parsing() {
        let imprint = HashAlg::Sha384.hash(b"data");
        let req = TimeStampReqAsn1 {
            version: 1,
            message_imprint: MessageImprintAsn1 {
                hash_algorithm: AlgorithmIdentifierRef {
                    oid: OID_SHA384,
                    parameters: Some(AnyRef::NULL),
                },
                hashed_message: OctetStringRef::new(&imprint).unwrap(),
            },
            req_policy: Some(ObjectIdentifier::new_unwrap(POLICY)),
            nonce: Some(IntRef::new(&[0x00, 0x99]).unwrap()),
            cert_req: true,
            extensions: None,
        };
        let parsed = parse_timestamp_request(&req.to_der().unwrap()).unwrap();
        assert_eq!(
            parsed,
            TimestampRequest {
                version: 1,
                imprint_alg: HashAlg::Sha384,
                imprint: imprint.clone(),
                policy: Some(POLICY.into()),
                nonce: Some(vec![0x99]),
                cert_req: true,
                has_extensions: false,
            }
        );
        let mut bad = req.clone();
        bad.version = 2;
        assert!(parse_timestamp_request(&bad.to_der().unwrap())
            .unwrap_err()
            .to_string()
            .contains("version is 2"));
        let mut bad = req.clone();
        bad.message_imprint.hashed_message = OctetStringRef::new(&imprint[..20]).unwrap();
        assert!(parse_timestamp_request(&bad.to_der().unwrap())
            .unwrap_err()
            .to_string()
            .contains("expected 48"));
        let minimal = TimeStampReqAsn1 {
            req_policy: None,
            nonce: None,
            cert_req: false,
            ..req
        };
        let parsed = parse_timestamp_request(&minimal.to_der().unwrap()).unwrap();
        assert!(!parsed.cert_req && parsed.nonce.is_none() && parsed.policy.is_none());
        assert!(parse_timestamp_request(b"\x30\x00").is_err());
    }

    // ----- tampering -----------------------------------------------------------------------

    #[test]
    fn wrong_signed_data_is_an_imprint_mismatch() {
        let pki = pki();
        let resp = sign_with(&pki.signer(), false, GEN_TIME);
        let err = verify_err(&resp, b"some other signature", &pki.chain());
        assert_contains(
            &err,
            "message imprint does not match the signature: expected sha256",
        );
    }

    #[test]
    fn flipped_cms_signature_byte() {
        let pki = pki();
        let resp = sign_with(&pki.signer(), false, GEN_TIME);
        let tok = parse_timestamp_response(&resp).unwrap();
        let sig = &tok.signer.signature;
        let at = find(&resp, sig) + sig.len() - 1;
        let mut bad = resp.clone();
        bad[at] ^= 0x01;
        let err = verify_err(&bad, ARTIFACT_SIG, &pki.chain());
        assert!(
            err.starts_with(
                "signature verification failed: RFC 3161 timestamp SignerInfo signature"
            ),
            "{err}"
        );
    }

    #[test]
    fn modified_gen_time_breaks_message_digest() {
        let pki = pki();
        let resp = sign_with(&pki.signer(), false, GEN_TIME);
        let at = find(&resp, b"20231114221320Z");
        let mut bad = resp.clone();
        bad[at + 3] = b'4'; // 2023 -> 2024
        let tok = parse_timestamp_response(&bad).unwrap();
        assert_eq!(tok.gen_time_raw(), "20241114221320Z");
        let err = tok
            .verify(ARTIFACT_SIG, &pki.chain())
            .unwrap_err()
            .to_string();
        assert_contains(
            &err,
            "message-digest signed attribute does not match the TSTInfo: expected sha256",
        );
    }

    #[test]
    fn chain_with_a_different_root() {
        let pki = pki();
        let resp = sign_with(&pki.signer(), false, GEN_TIME);
        // Same name, different key: the leaf signature does not verify.
        let other_key = gen_key(false);
        let other_root = make_root(&other_key, ROOT_NAME);
        let err = verify_err(&resp, ARTIFACT_SIG, &[pki.leaf.clone(), other_root]);
        assert_contains(
            &err,
            "TSA chain certificate 0 (subject \"CN=Signet Test TSA,O=Signet\") is not signed by",
        );
        // Different name: the chain does not link.
        let other_root = make_root(&other_key, "CN=Someone Else");
        let err = verify_err(&resp, ARTIFACT_SIG, &[pki.leaf.clone(), other_root]);
        assert_contains(&err, "TSA chain is broken");
        // A leaf that is not the signer.
        let other_leaf_key = gen_key(false);
        let spec = CertSpec::leaf(3, LEAF_VALIDITY, Some((vec![OID_EKU_TIME_STAMPING], true)));
        let other_leaf = make_cert(&spec, &other_leaf_key, &pki.root_key);
        let err = verify_err(&resp, ARTIFACT_SIG, &[other_leaf, pki.root.clone()]);
        assert_contains(&err, "SignerInfo names issuer");
        // The root in leaf position.
        let err = verify_err(&resp, ARTIFACT_SIG, std::slice::from_ref(&pki.root));
        assert_contains(&err, "SignerInfo names issuer");
        // A non-CA issuer (no basicConstraints, key usage digitalSignature only).
        let spec = CertSpec {
            subject: ROOT_NAME,
            issuer: ROOT_NAME,
            serial: 9,
            validity: ROOT_VALIDITY,
            ca: false,
            eku: None,
        };
        let not_ca = make_cert(&spec, &pki.root_key, &pki.root_key);
        let err = verify_err(&resp, ARTIFACT_SIG, &[pki.leaf.clone(), not_ca]);
        assert_contains(&err, "key usage does not include keyCertSign");
        // Empty chain, garbage chain.
        assert!(verify_err(&resp, ARTIFACT_SIG, &[]).contains("no TSA certificate chain"));
        assert!(verify_err(&resp, ARTIFACT_SIG, &[b"junk".to_vec()])
            .contains("TSA chain certificate 0"));
    }

    #[test]
    fn leaf_eku_rules() {
        let cases: [(EkuSpec, &str); 4] = [
            (None, "has no extended key usage extension"),
            (
                Some((vec![OID_EKU_TIME_STAMPING], false)),
                "non-critical extended key usage",
            ),
            (
                Some((vec![OID_EKU_CODE_SIGNING], true)),
                "expected exactly id-kp-timeStamping",
            ),
            (
                Some((vec![OID_EKU_TIME_STAMPING, OID_EKU_CODE_SIGNING], true)),
                "expected exactly id-kp-timeStamping",
            ),
        ];
        for (eku, expected) in cases {
            let pki = pki_with(eku, LEAF_VALIDITY, false);
            let resp = sign_with(&pki.signer(), false, GEN_TIME);
            let err = verify_err(&resp, ARTIFACT_SIG, &pki.chain());
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn gen_time_outside_validity() {
        let pki = pki();
        let before = sign_with(&pki.signer(), false, LEAF_VALIDITY.0 - 1);
        let err = verify_err(&before, ARTIFACT_SIG, &pki.chain());
        assert_contains(&err, "is outside the validity of TSA chain certificate 0");
        let after = sign_with(&pki.signer(), false, LEAF_VALIDITY.1 + 1);
        let err = verify_err(&after, ARTIFACT_SIG, &pki.chain());
        assert_contains(&err, "not after 2033-05-18T03:33:20Z");
        // Inside the leaf but after the root expires is caught on the root.
        let long_leaf = pki_with(
            Some((vec![OID_EKU_TIME_STAMPING], true)),
            (1_650_000_000, 2_200_000_000),
            false,
        );
        let late = sign_with(&long_leaf.signer(), false, 2_150_000_000);
        let err = verify_err(&late, ARTIFACT_SIG, &long_leaf.chain());
        assert_contains(&err, "validity of TSA chain certificate 1");
        // Boundaries are inclusive.
        for t in [LEAF_VALIDITY.0, LEAF_VALIDITY.1] {
            let resp = sign_with(&pki.signer(), false, t);
            parse_timestamp_response(&resp)
                .unwrap()
                .verify(ARTIFACT_SIG, &pki.chain())
                .unwrap();
        }
    }

    #[derive(Sequence)]
    struct StatusOnly<'a> {
        status: PkiStatusInfo<'a>,
    }

    #[test]
    fn status_rejection() {
        let text = [der::asn1::Utf8StringRef::new("bad alg").unwrap()];
        let resp = StatusOnly {
            status: PkiStatusInfo {
                status: PkiStatus::Rejection,
                status_string: Some(text.to_vec()),
                fail_info: Some(cmpv2::status::PkiFailureInfoValues::BadAlg.into()),
            },
        };
        let err = parse_timestamp_response(&resp.to_der().unwrap())
            .unwrap_err()
            .to_string();
        assert_contains(
            &err,
            "status is 2 (rejection); expected granted (0) or grantedWithMods (1)",
        );
        assert_contains(&err, "\"bad alg\"");
        let granted_without_token = StatusOnly {
            status: PkiStatusInfo {
                status: PkiStatus::Accepted,
                status_string: None,
                fail_info: None,
            },
        };
        let err = parse_timestamp_response(&granted_without_token.to_der().unwrap())
            .unwrap_err()
            .to_string();
        assert_contains(&err, "carries no timeStampToken");
    }

    #[test]
    fn garbage_and_truncation_do_not_panic() {
        let pki = pki();
        let resp = sign_with(&pki.signer(), true, GEN_TIME);
        for len in 0..resp.len() {
            assert!(
                parse_timestamp_response(&resp[..len]).is_err(),
                "prefix of {len} bytes parsed"
            );
        }
        let mut extended = resp.clone();
        extended.push(0);
        assert!(parse_timestamp_response(&extended).is_err());
        for junk in [
            &b""[..],
            b"\x00",
            b"\x30",
            b"\x30\x80",
            b"\x30\x00",
            b"\x06\x01\x00",
            b"hello world",
        ] {
            assert!(parse_timestamp_response(junk).is_err());
        }
        // Pseudo-random garbage (xorshift), deterministic.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            let mut buf = vec![0x30, 0x82, 0x01, 0x00];
            for _ in 0..256 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                buf.push(state as u8);
            }
            assert!(parse_timestamp_response(&buf).is_err());
        }
    }

    /// Flip bits at every position of a valid response with several masks; a mutated response
    /// must never verify, except for the positions listed in `irrelevant` (documented by the
    /// callers). Panics are failures by themselves.
    fn mutation_sweep(
        resp: &[u8],
        chain: &[Vec<u8>],
        irrelevant: &dyn Fn(usize, u8) -> bool,
    ) -> usize {
        let mut checked = 0;
        for pos in 0..resp.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut m = resp.to_vec();
                m[pos] ^= mask;
                let ok = parse_timestamp_response(&m)
                    .and_then(|t| t.verify(ARTIFACT_SIG, chain))
                    .is_ok();
                if irrelevant(pos, mask) {
                    continue;
                }
                checked += 1;
                assert!(
                    !ok,
                    "mutation at byte {pos} (xor {mask:#04x}) still verifies"
                );
            }
        }
        checked
    }

    #[test]
    fn mutations_never_verify() {
        let pki = pki();
        let resp = sign_with(&pki.signer(), false, GEN_TIME);
        parse_timestamp_response(&resp)
            .unwrap()
            .verify(ARTIFACT_SIG, &pki.chain())
            .unwrap();
        // The only legitimately irrelevant mutation: PKIStatus 0 (granted) xor 1 is
        // 1 (grantedWithMods), which is also a success status.
        let status_at = find(&resp, &[0x30, 0x03, 0x02, 0x01, 0x00]) + 4;
        let checked = mutation_sweep(&resp, &pki.chain(), &|pos, mask| {
            pos == status_at && mask == 0x01
        });
        assert_eq!(checked, resp.len() * 3 - 1);
    }

    #[test]
    fn mutations_with_embedded_certificates() {
        let pki = pki();
        let resp = sign_with(&pki.signer(), true, GEN_TIME);
        let tok = parse_timestamp_response(&resp).unwrap();
        // The embedded certificate set ([0] IMPLICIT, including its tag and length) is not used
        // for verification (the chain comes from the trusted root), so mutations inside it may
        // legitimately still verify; they must only not panic. Everything else must fail.
        let starts: Vec<usize> = tok.certificates().iter().map(|c| find(&resp, c)).collect();
        let ends: Vec<usize> = tok
            .certificates()
            .iter()
            .zip(&starts)
            .map(|(c, s)| s + c.len())
            .collect();
        let (start, end) = (
            starts.iter().min().unwrap() - 4,
            *ends.iter().max().unwrap(),
        );
        assert_eq!(resp[start], 0xa0);
        assert_eq!(resp[start + 1], 0x82);
        let status_at = find(&resp, &[0x30, 0x03, 0x02, 0x01, 0x00]) + 4;
        let checked = mutation_sweep(&resp, &pki.chain(), &|pos, mask| {
            (start..end).contains(&pos) || (pos == status_at && mask == 0x01)
        });
        assert_eq!(checked, (resp.len() - (end - start)) * 3 - 1);
    }

    #[test]
    fn bare_key_oid_signature_algorithms() {
        let key = gen_key(false);
        let pk = PublicKey::from_spki_der(&spki_der(&key)).unwrap();
        let msg = b"signed attributes";
        let sig = key.pair.sign(&SystemRandom::new(), msg).unwrap();
        verify_cms_signature(&pk, &OID_EC_PUBLIC_KEY, HashAlg::Sha256, msg, sig.as_ref()).unwrap();
        verify_cms_signature(&pk, &OID_ECDSA_SHA256, HashAlg::Sha256, msg, sig.as_ref()).unwrap();
        let err = verify_cms_signature(&pk, &OID_EC_PUBLIC_KEY, HashAlg::Sha384, msg, sig.as_ref())
            .unwrap_err();
        assert!(matches!(err, Error::Signature { .. }), "{err}");
        let err = verify_cms_signature(&pk, &OID_RSA, HashAlg::Sha256, msg, sig.as_ref())
            .unwrap_err()
            .to_string();
        assert_contains(&err, "does not match the TSA leaf's ECDSA P-256 key");
        let err = verify_cms_signature(&pk, &OID_SHA256, HashAlg::Sha256, msg, sig.as_ref())
            .unwrap_err()
            .to_string();
        assert_contains(&err, "unsupported signature algorithm");
    }

    // ----- OpenSSL interoperability ---------------------------------------------------------

    /// An external command succeeded; else its standard error is the failure message.
    fn assert_ran(out: &std::process::Output) {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn openssl_accepts_our_responses() {
        let openssl_present = std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !openssl_present {
            eprintln!("openssl not found; skipping");
            return;
        }
        let pki = pki();
        let dir = std::env::temp_dir().join(format!("signet-tsa-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem_of = |der: &[u8]| crate::encoding::pem_encode("CERTIFICATE", der);
        std::fs::write(dir.join("root.pem"), pem_of(&pki.root)).unwrap();
        std::fs::write(dir.join("leaf.pem"), pem_of(&pki.leaf)).unwrap();
        std::fs::write(dir.join("data.bin"), ARTIFACT_SIG).unwrap();
        for cert_req in [true, false] {
            let resp = sign_with(&pki.signer(), cert_req, GEN_TIME);
            let path = dir.join("resp.der");
            std::fs::write(&path, &resp).unwrap();
            let out = std::process::Command::new("openssl")
                .args(["ts", "-reply", "-in"])
                .arg(&path)
                .arg("-text")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "openssl ts -reply failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_contains(&text, "Status: Granted.");
            assert!(text.contains(&format!("Policy OID: {POLICY}")), "{text}");
            assert_contains(&text, "Nonce: 0x850102");
            // `openssl ts -verify` of `data` (a file in `dir`) against this response.
            let ts_verify = |data: &str| {
                std::process::Command::new("openssl")
                    .args(["ts", "-verify", "-data"])
                    .arg(dir.join(data))
                    .arg("-in")
                    .arg(&path)
                    .arg("-CAfile")
                    .arg(dir.join("root.pem"))
                    .arg("-untrusted")
                    .arg(dir.join("leaf.pem"))
                    .output()
                    .unwrap()
            };
            let out = ts_verify("data.bin");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.status.success() && all.contains("Verification: OK"),
                "cert_req={cert_req}: {all}"
            );
            // And OpenSSL rejects the wrong data.
            std::fs::write(dir.join("other.bin"), b"other").unwrap();
            assert!(!ts_verify("other.bin").status.success());
        }
        // An OpenSSL-made request parses.
        let out = std::process::Command::new("openssl")
            .args(["ts", "-query", "-data"])
            .arg(dir.join("data.bin"))
            .args(["-sha384", "-cert", "-out"])
            .arg(dir.join("req.tsq"))
            .output()
            .unwrap();
        assert_ran(&out);
        let req = parse_timestamp_request(&std::fs::read(dir.join("req.tsq")).unwrap()).unwrap();
        assert_eq!(req.imprint_alg, HashAlg::Sha384);
        assert_eq!(req.imprint, HashAlg::Sha384.hash(ARTIFACT_SIG));
        assert!(req.cert_req && req.nonce.is_some());

        // And an OpenSSL-made response (signing-time, ESS signing-certificate-v2, accuracy,
        // ordering, tsa name, fractional genTime) parses and verifies with our verifier.
        let key_pem = crate::encoding::pem_encode("PRIVATE KEY", &pki.leaf_key.pkcs8);
        std::fs::write(dir.join("leaf.key"), key_pem).unwrap();
        std::fs::write(dir.join("serial"), "0A\n").unwrap();
        let d = dir.display();
        let cnf = format!(
            "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\nserial = {d}/serial\nsigner_cert = {d}/leaf.pem\n\
             certs = {d}/leaf.pem\nsigner_key = {d}/leaf.key\nsigner_digest = sha256\n\
             default_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n\
             accuracy = secs:1, millisecs:500, microsecs:100\nclock_precision_digits = 3\n\
             ordering = yes\ntsa_name = yes\ness_cert_id_alg = sha256\n"
        );
        std::fs::write(dir.join("tsa.cnf"), cnf).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["ts", "-reply", "-config"])
            .arg(dir.join("tsa.cnf"))
            .arg("-queryfile")
            .arg(dir.join("req.tsq"))
            .arg("-out")
            .arg(dir.join("openssl-resp.der"))
            .output()
            .unwrap();
        assert_ran(&out);
        let tok = parse_timestamp_response(&std::fs::read(dir.join("openssl-resp.der")).unwrap())
            .unwrap();
        assert_eq!(tok.policy(), "1.2.3.4.1");
        assert_eq!(tok.serial_number(), &[0x0b]); // OpenSSL increments the serial file first.
        assert_eq!(
            tok.accuracy(),
            Some(Accuracy {
                seconds: 1,
                millis: 500,
                micros: 100
            })
        );
        assert!(tok.ordering());
        assert!(tok.tsa_name_der().is_some());
        assert_eq!(tok.nonce(), req.nonce.as_deref());
        assert!(
            tok.gen_time_raw().contains('.') || tok.gen_time_raw().len() == 15,
            "{}",
            tok.gen_time_raw()
        );
        tok.verify(ARTIFACT_SIG, &pki.chain()).unwrap();
        let err = tok.verify(b"other", &pki.chain()).unwrap_err().to_string();
        assert_contains(
            &err,
            "message imprint does not match the signature: expected sha384",
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
