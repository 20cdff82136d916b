//! A small X.509 builder on x509-cert types, signed with aws-lc-rs (generalised from the test
//! builder in `signet_core::tsa`).

use std::str::FromStr;
use std::time::Duration;

use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{BitString, GeneralizedTime, Null, OctetString, UtcTime};
use der::{Decode, Encode};
use signet_core::{Error, Result};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use crate::keys::{random_bytes, EcKey};

/// 2050-01-01T00:00:00Z: from here on X.509 uses GeneralizedTime.
const Y2050: i64 = 2_524_608_000;

pub(crate) fn der_err(what: &str) -> impl Fn(der::Error) -> Error + '_ {
    move |e| Error::der(what, e)
}

/// X.509 `Time` for Unix seconds (UTCTime before 2050, GeneralizedTime after).
pub(crate) fn x509_time(t: i64) -> Result<Time> {
    let secs = u64::try_from(t)
        .map_err(|_| Error::invalid("certificate validity", format!("negative time {t}")))?;
    let d = Duration::from_secs(secs);
    Ok(if t < Y2050 {
        Time::UtcTime(UtcTime::from_unix_duration(d).map_err(der_err("UTCTime"))?)
    } else {
        Time::GeneralTime(
            GeneralizedTime::from_unix_duration(d).map_err(der_err("GeneralizedTime"))?,
        )
    })
}

/// An extension whose value is the DER of `value`.
pub(crate) fn ext(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> Result<Extension> {
    raw_ext(
        oid,
        critical,
        value.to_der().map_err(der_err("extension value"))?,
    )
}

/// An extension whose value is `bytes` as given.
pub(crate) fn raw_ext(oid: ObjectIdentifier, critical: bool, bytes: Vec<u8>) -> Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(bytes).map_err(der_err("extension value"))?,
    })
}

/// The RFC 6962 precertificate poison extension (critical, NULL).
pub(crate) fn poison_ext() -> Result<Extension> {
    ext(signet_core::x509::OID_CT_POISON, true, &Null)
}

/// A random positive 20-byte serial number.
pub(crate) fn random_serial() -> Result<Vec<u8>> {
    let mut s = random_bytes::<20>()?;
    s[0] &= 0x7f;
    if s[0] == 0 {
        s[0] = 1;
    }
    Ok(s.to_vec())
}

/// SHA-1 of the public key bits (RFC 5280 4.2.1.2 method 1), as Go's x509 computes SKIs.
pub(crate) fn key_id(public_point: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, public_point)
        .as_ref()
        .to_vec()
}

/// Parse a DN such as `CN=Signet,O=Example`.
pub(crate) fn name(dn: &str) -> Result<Name> {
    Name::from_str(dn).map_err(|e| Error::der(format!("distinguished name {dn:?}"), e))
}

pub(crate) fn ski_ext(ski: &[u8]) -> Result<Extension> {
    ext(
        SubjectKeyIdentifier::OID,
        false,
        &SubjectKeyIdentifier(OctetString::new(ski).map_err(der_err("SKI"))?),
    )
}

pub(crate) fn aki_ext(issuer_ski: &[u8]) -> Result<Extension> {
    ext(
        AuthorityKeyIdentifier::OID,
        false,
        &AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(issuer_ski).map_err(der_err("AKI"))?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        },
    )
}

pub(crate) fn ku_ext(usages: KeyUsage) -> Result<Extension> {
    ext(KeyUsage::OID, true, &usages)
}

pub(crate) fn eku_ext(purposes: Vec<ObjectIdentifier>, critical: bool) -> Result<Extension> {
    ext(ExtendedKeyUsage::OID, critical, &ExtendedKeyUsage(purposes))
}

pub(crate) fn bc_ext(path_len: Option<u8>) -> Result<Extension> {
    ext(
        BasicConstraints::OID,
        true,
        &BasicConstraints {
            ca: true,
            path_len_constraint: path_len,
        },
    )
}

/// Everything needed for a TBSCertificate except who signs it.
pub(crate) struct TbsSpec {
    pub subject: Name,
    pub issuer: Name,
    pub serial: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    pub spki_der: Vec<u8>,
    pub extensions: Vec<Extension>,
}

impl TbsSpec {
    /// The TBSCertificate, to be signed by a key using `sig_alg`.
    pub fn tbs(&self, sig_alg: ObjectIdentifier) -> Result<TbsCertificate> {
        Ok(TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&self.serial).map_err(der_err("serial number"))?,
            signature: AlgorithmIdentifierOwned {
                oid: sig_alg,
                parameters: None,
            },
            issuer: self.issuer.clone(),
            validity: Validity {
                not_before: x509_time(self.not_before)?,
                not_after: x509_time(self.not_after)?,
            },
            subject: self.subject.clone(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&self.spki_der)
                .map_err(der_err("subject public key"))?,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: if self.extensions.is_empty() {
                None
            } else {
                Some(self.extensions.clone())
            },
        })
    }
}

/// Sign `tbs` with `issuer_key` and return the certificate DER. `tbs.signature` must name the
/// issuer key's algorithm (see [`EcKey::x509_signature_oid`]).
pub(crate) fn sign_tbs(tbs: TbsCertificate, issuer_key: &EcKey) -> Result<Vec<u8>> {
    if tbs.signature.oid != issuer_key.x509_signature_oid() {
        return Err(Error::invalid(
            "certificate",
            format!(
                "TBS names signature algorithm {}, but the issuer key signs with {}",
                tbs.signature.oid,
                issuer_key.x509_signature_oid()
            ),
        ));
    }
    let sig = issuer_key.sign(&tbs.to_der().map_err(der_err("TBSCertificate"))?)?;
    Certificate {
        signature_algorithm: tbs.signature.clone(),
        tbs_certificate: tbs,
        signature: BitString::from_bytes(&sig).map_err(der_err("signature"))?,
    }
    .to_der()
    .map_err(der_err("certificate"))
}

/// A certificate authority: key, certificate, DN and key identifier.
#[derive(Debug)]
pub(crate) struct Ca {
    pub key: EcKey,
    pub cert_der: Vec<u8>,
    pub name: Name,
    pub ski: Vec<u8>,
}

impl Ca {
    /// A self-signed root CA (basicConstraints CA critical, KU keyCertSign|cRLSign critical).
    pub fn root(key: EcKey, dn: &str, validity: (i64, i64)) -> Result<Self> {
        let n = name(dn)?;
        let ski = key_id(key.public_point());
        let spec = TbsSpec {
            subject: n.clone(),
            issuer: n.clone(),
            serial: random_serial()?,
            not_before: validity.0,
            not_after: validity.1,
            spki_der: key.spki_der().to_vec(),
            extensions: vec![
                ku_ext(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
                bc_ext(None)?,
                ski_ext(&ski)?,
            ],
        };
        let cert_der = sign_tbs(spec.tbs(key.x509_signature_oid())?, &key)?;
        Ok(Ca {
            key,
            cert_der,
            name: n,
            ski,
        })
    }

    /// An intermediate CA issued by `self` (pathLen 0), with optional extra EKUs.
    pub fn intermediate(
        &self,
        key: EcKey,
        dn: &str,
        validity: (i64, i64),
        eku: Option<Vec<ObjectIdentifier>>,
    ) -> Result<Ca> {
        let n = name(dn)?;
        let ski = key_id(key.public_point());
        let mut extensions = vec![
            ku_ext(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
            bc_ext(Some(0))?,
            ski_ext(&ski)?,
            aki_ext(&self.ski)?,
        ];
        if let Some(purposes) = eku {
            extensions.push(eku_ext(purposes, false)?);
        }
        let spec = TbsSpec {
            subject: n.clone(),
            issuer: self.name.clone(),
            serial: random_serial()?,
            not_before: validity.0,
            not_after: validity.1,
            spki_der: key.spki_der().to_vec(),
            extensions,
        };
        let cert_der = sign_tbs(spec.tbs(self.key.x509_signature_oid())?, &self.key)?;
        Ok(Ca {
            key,
            cert_der,
            name: n,
            ski,
        })
    }

    /// An end-entity certificate issued by `self` with the given extensions (SKI and AKI are
    /// added first).
    pub fn end_entity(
        &self,
        subject_key: &EcKey,
        dn: &str,
        validity: (i64, i64),
        mut extensions: Vec<Extension>,
    ) -> Result<Vec<u8>> {
        let mut exts = vec![
            ski_ext(&key_id(subject_key.public_point()))?,
            aki_ext(&self.ski)?,
        ];
        exts.append(&mut extensions);
        let spec = TbsSpec {
            subject: name(dn)?,
            issuer: self.name.clone(),
            serial: random_serial()?,
            not_before: validity.0,
            not_after: validity.1,
            spki_der: subject_key.spki_der().to_vec(),
            extensions: exts,
        };
        sign_tbs(spec.tbs(self.key.x509_signature_oid())?, &self.key)
    }
}
