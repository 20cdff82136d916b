//! A small X.509 builder on x509-cert types, signed with aws-lc-rs: CA hierarchies, TSA
//! certificates and Fulcio-profile leaves with embedded SCTs. Used by Signet's own CA and by
//! the test instance.

use std::str::FromStr;
use std::time::Duration;

use crate::x509::fulcio_oid;
use crate::{Error, Result};
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{BitString, GeneralizedTime, Null, OctetString, UtcTime};
use der::{Decode, Encode};
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
use crate::signer::{public_key_bits, Signer};

/// 2050-01-01T00:00:00Z: from here on X.509 uses GeneralizedTime.
const Y2050: i64 = 2_524_608_000;

/// Map a der error to [`Error::Der`] naming `what`.
pub fn der_err(what: &str) -> impl Fn(der::Error) -> Error + '_ {
    move |e| Error::der(what, e)
}

/// X.509 `Time` for Unix seconds (UTCTime before 2050, GeneralizedTime after).
pub fn x509_time(t: i64) -> Result<Time> {
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
pub fn ext(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> Result<Extension> {
    raw_ext(
        oid,
        critical,
        value.to_der().map_err(der_err("extension value"))?,
    )
}

/// An extension whose value is `bytes` as given.
pub fn raw_ext(oid: ObjectIdentifier, critical: bool, bytes: Vec<u8>) -> Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(bytes).map_err(der_err("extension value"))?,
    })
}

/// The RFC 6962 precertificate poison extension (critical, NULL).
pub fn poison_ext() -> Result<Extension> {
    ext(crate::x509::OID_CT_POISON, true, &Null)
}

/// A random positive 20-byte serial number.
pub fn random_serial() -> Result<Vec<u8>> {
    let mut s = random_bytes::<20>()?;
    s[0] &= 0x7f;
    if s[0] == 0 {
        s[0] = 1;
    }
    Ok(s.to_vec())
}

/// SHA-1 of the public key bits (RFC 5280 4.2.1.2 method 1), as Go's x509 computes SKIs.
pub fn key_id(public_point: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, public_point)
        .as_ref()
        .to_vec()
}

/// Parse a DN such as `CN=Signet,O=Example`.
pub fn name(dn: &str) -> Result<Name> {
    Name::from_str(dn).map_err(|e| Error::der(format!("distinguished name {dn:?}"), e))
}

/// SubjectKeyIdentifier extension.
pub fn ski_ext(ski: &[u8]) -> Result<Extension> {
    ext(
        SubjectKeyIdentifier::OID,
        false,
        &SubjectKeyIdentifier(OctetString::new(ski).map_err(der_err("SKI"))?),
    )
}

/// AuthorityKeyIdentifier extension (key identifier only).
pub fn aki_ext(issuer_ski: &[u8]) -> Result<Extension> {
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

/// KeyUsage extension (critical).
pub fn ku_ext(usages: KeyUsage) -> Result<Extension> {
    ext(KeyUsage::OID, true, &usages)
}

/// ExtendedKeyUsage extension.
pub fn eku_ext(purposes: Vec<ObjectIdentifier>, critical: bool) -> Result<Extension> {
    ext(ExtendedKeyUsage::OID, critical, &ExtendedKeyUsage(purposes))
}

/// BasicConstraints cA=TRUE (critical) with an optional path length.
pub fn bc_ext(path_len: Option<u8>) -> Result<Extension> {
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
pub struct TbsSpec {
    /// Subject DN.
    pub subject: Name,
    /// Issuer DN.
    pub issuer: Name,
    /// Serial number bytes (positive).
    pub serial: Vec<u8>,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// Subject public key, DER SPKI.
    pub spki_der: Vec<u8>,
    /// Extensions in order.
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

/// Sign `tbs` with `issuer_key` (a file key or a token's) and return the certificate DER.
/// `tbs.signature` must name the issuer key's algorithm (see
/// [`crate::signer::SignatureAlgorithm::x509_oid`]).
pub fn sign_tbs(tbs: TbsCertificate, issuer_key: &dyn Signer) -> Result<Vec<u8>> {
    if tbs.signature.oid != issuer_key.algorithm().x509_oid() {
        return Err(Error::invalid(
            "certificate",
            format!(
                "TBS names signature algorithm {}, but the issuer key signs with {}",
                tbs.signature.oid,
                issuer_key.algorithm().x509_oid()
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

/// Sign `tbs` with `issuer_key`, the outer `signatureAlgorithm` naming the key's algorithm
/// whatever the TBS says ([`sign_tbs`] refuses a mismatch; this is for leaves whose spec asks
/// for one, see [`LeafSpec::tbs_signature_algorithm`]).
fn sign_tbs_outer(tbs: TbsCertificate, issuer_key: &dyn Signer) -> Result<Vec<u8>> {
    let outer = AlgorithmIdentifierOwned {
        oid: issuer_key.algorithm().x509_oid(),
        parameters: None,
    };
    if tbs.signature == outer {
        return sign_tbs(tbs, issuer_key);
    }
    let sig = issuer_key.sign(&tbs.to_der().map_err(der_err("TBSCertificate"))?)?;
    Certificate {
        signature_algorithm: outer,
        tbs_certificate: tbs,
        signature: BitString::from_bytes(&sig).map_err(der_err("signature"))?,
    }
    .to_der()
    .map_err(der_err("certificate"))
}

/// A certificate authority: key, certificate, DN and key identifier. The key is a file
/// [`EcKey`] unless said otherwise (`Ca<SharedSigner>` for a key in a token, see
/// [`crate::signer`]).
#[derive(Debug)]
pub struct Ca<K = EcKey> {
    /// The CA's signing key.
    pub key: K,
    /// Its certificate.
    pub cert_der: Vec<u8>,
    /// Its subject DN.
    pub name: Name,
    /// Its subject key identifier.
    pub ski: Vec<u8>,
}

impl<K: Signer> Ca<K> {
    /// A CA from a stored key and its certificate.
    pub fn from_parts(key: K, cert_der: Vec<u8>) -> Result<Self> {
        let cert = Certificate::from_der(&cert_der).map_err(der_err("CA certificate"))?;
        if cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(der_err("CA public key"))?
            != key.public_key_der()
        {
            return Err(Error::invalid(
                "CA",
                "the certificate's public key is not the key's",
            ));
        }
        let ski = key_id(&public_key_bits(&key)?);
        Ok(Ca {
            name: cert.tbs_certificate.subject.clone(),
            key,
            cert_der,
            ski,
        })
    }

    /// A self-signed root CA (basicConstraints CA critical, KU keyCertSign|cRLSign critical).
    pub fn root(key: K, dn: &str, validity: (i64, i64)) -> Result<Self> {
        Self::root_with_extensions(
            key,
            dn,
            validity,
            vec![
                ku_ext(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
                bc_ext(None)?,
            ],
        )
    }

    /// A self-signed root CA with exactly `extensions` (plus its SKI), for tests of CA
    /// profiles that [`Ca::root`] does not produce.
    pub fn root_with_extensions(
        key: K,
        dn: &str,
        validity: (i64, i64),
        mut extensions: Vec<Extension>,
    ) -> Result<Self> {
        let n = name(dn)?;
        let ski = key_id(&public_key_bits(&key)?);
        extensions.push(ski_ext(&ski)?);
        let spec = TbsSpec {
            subject: n.clone(),
            issuer: n.clone(),
            serial: random_serial()?,
            not_before: validity.0,
            not_after: validity.1,
            spki_der: key.public_key_der().to_vec(),
            extensions,
        };
        let cert_der = sign_tbs(spec.tbs(key.algorithm().x509_oid())?, &key)?;
        Ok(Ca {
            key,
            cert_der,
            name: n,
            ski,
        })
    }

    /// A subordinate CA issued by `self` with SKI, AKI and then exactly `extensions`.
    pub fn subordinate<S: Signer>(
        &self,
        key: S,
        dn: &str,
        validity: (i64, i64),
        extensions: Vec<Extension>,
    ) -> Result<Ca<S>> {
        let n = name(dn)?;
        let ski = key_id(&public_key_bits(&key)?);
        let mut exts = vec![ski_ext(&ski)?, aki_ext(&self.ski)?];
        exts.extend(extensions);
        let spec = TbsSpec {
            subject: n.clone(),
            issuer: self.name.clone(),
            serial: random_serial()?,
            not_before: validity.0,
            not_after: validity.1,
            spki_der: key.public_key_der().to_vec(),
            extensions: exts,
        };
        let cert_der = sign_tbs(spec.tbs(self.key.algorithm().x509_oid())?, &self.key)?;
        Ok(Ca {
            key,
            cert_der,
            name: n,
            ski,
        })
    }

    /// An intermediate CA issued by `self` (pathLen 0), with optional extra EKUs.
    pub fn intermediate<S: Signer>(
        &self,
        key: S,
        dn: &str,
        validity: (i64, i64),
        eku: Option<Vec<ObjectIdentifier>>,
    ) -> Result<Ca<S>> {
        let mut extensions = vec![
            ku_ext(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
            bc_ext(Some(0))?,
        ];
        if let Some(purposes) = eku {
            extensions.push(eku_ext(purposes, false)?);
        }
        self.subordinate(key, dn, validity, extensions)
    }

    /// An end-entity certificate issued by `self` with the given extensions (SKI and AKI are
    /// added first).
    pub fn end_entity(
        &self,
        subject_key: &dyn Signer,
        dn: &str,
        validity: (i64, i64),
        mut extensions: Vec<Extension>,
    ) -> Result<Vec<u8>> {
        let mut exts = vec![
            ski_ext(&key_id(&public_key_bits(subject_key)?))?,
            aki_ext(&self.ski)?,
        ];
        exts.append(&mut extensions);
        let spec = TbsSpec {
            subject: name(dn)?,
            issuer: self.name.clone(),
            serial: random_serial()?,
            not_before: validity.0,
            not_after: validity.1,
            spki_der: subject_key.public_key_der().to_vec(),
            extensions: exts,
        };
        sign_tbs(spec.tbs(self.key.algorithm().x509_oid())?, &self.key)
    }
}

/// Fulcio's leaf lifetime: 10 minutes.
pub const FULCIO_LEAF_LIFETIME: i64 = 600;

/// What goes into a Fulcio-profile signing certificate.
#[derive(Debug, Clone)]
pub struct LeafSpec<'a> {
    /// The signer's public key, DER SPKI.
    pub spki_der: &'a [u8],
    /// The one SAN.
    pub san: &'a crate::x509::SanIdentity,
    /// The OIDC issuer (extensions .1 raw and .8 UTF8String).
    pub issuer: &'a str,
    /// Further Fulcio extensions (N, value): .2–.6 raw UTF-8, .9 and up UTF8String.
    pub extensions: &'a [(u32, String)],
    /// notBefore, Unix seconds; notAfter is `not_before + lifetime`.
    pub not_before: i64,
    /// Lifetime in seconds (Fulcio: [`FULCIO_LEAF_LIFETIME`]).
    pub lifetime: i64,
    /// Extensions appended after the Fulcio ones (in the precertificate too). Empty for Fulcio;
    /// tests use it to build certificates a verifier must reject.
    pub extra_extensions: &'a [Extension],
    /// Name this algorithm in the TBS `signature` field instead of the CA key's (the outer
    /// `signatureAlgorithm` stays the key's). `None` for Fulcio; tests only.
    pub tbs_signature_algorithm: Option<ObjectIdentifier>,
    /// A value for the legacy issuer extension .1 other than `issuer`. `None` for Fulcio;
    /// tests only.
    pub legacy_issuer: Option<&'a str>,
}

/// A leaf issued with [`issue_fulcio_leaf`].
#[derive(Debug, Clone)]
pub struct IssuedLeaf {
    /// Final certificate DER (with the embedded SCT list).
    pub der: Vec<u8>,
    /// The precertificate DER (with the poison extension), as submitted to the CT log.
    pub precert_der: Vec<u8>,
    /// The TBS the SCT signs (precertificate TBS with the poison removed).
    pub sct_signed_tbs: Vec<u8>,
}

fn utf8_der(s: &str) -> Result<Vec<u8>> {
    der::asn1::Utf8StringRef::new(s)
        .and_then(|u| u.to_der())
        .map_err(der_err("UTF8String"))
}

/// Issue a Fulcio-profile leaf as Fulcio does: empty subject, random serial, KU
/// digitalSignature (critical), EKU codeSigning, SKI/AKI, critical SAN with exactly one entry,
/// the Fulcio extensions, and an embedded SCT list. `get_scts` receives the precertificate DER,
/// the TBS the CT log must sign (precertificate TBS without the poison) and the SHA-256 of the
/// issuer's SPKI, and returns the SCTs to embed (from the CT log's `add-pre-chain`).
pub fn issue_fulcio_leaf(
    ca: &Ca<impl Signer>,
    spec: &LeafSpec<'_>,
    get_scts: impl FnOnce(&[u8], &[u8], &[u8; 32]) -> Result<Vec<crate::sct::Sct>>,
) -> Result<IssuedLeaf> {
    let p = prepare_fulcio_leaf(ca, spec, true)?;
    let scts = get_scts(&p.precert_der, &p.sct_signed_tbs, &p.issuer_key_hash)?;
    p.finish(ca, &scts)
}

/// A leaf whose precertificate is built and signed, waiting for its SCTs (the CT log call may
/// be asynchronous).
#[derive(Debug, Clone)]
pub struct PreparedLeaf {
    /// The precertificate DER (with the poison extension); empty if it was not signed.
    pub precert_der: Vec<u8>,
    /// What the CT log signs: the precertificate TBS without the poison.
    pub sct_signed_tbs: Vec<u8>,
    /// SHA-256 of the issuing CA's SPKI.
    pub issuer_key_hash: [u8; 32],
    final_tbs: TbsCertificate,
}

impl PreparedLeaf {
    /// Embed `scts` and sign the final certificate.
    pub fn finish(self, ca: &Ca<impl Signer>, scts: &[crate::sct::Sct]) -> Result<IssuedLeaf> {
        use crate::x509::OID_SCT_LIST;
        let list = crate::sct::encode_sct_list(scts);
        let mut final_tbs = self.final_tbs;
        let mut with_sct = final_tbs.extensions.take().unwrap_or_default();
        with_sct.push(ext(
            OID_SCT_LIST,
            false,
            &OctetString::new(list).map_err(der_err("SCT list"))?,
        )?);
        final_tbs.extensions = Some(with_sct);
        let der = sign_tbs_outer(final_tbs, &ca.key)?;
        Ok(IssuedLeaf {
            der,
            precert_der: self.precert_der,
            sct_signed_tbs: self.sct_signed_tbs,
        })
    }
}

/// Build the precertificate of a Fulcio-profile leaf (see [`issue_fulcio_leaf`]). With
/// `sign_precert` false the precertificate is not signed (`precert_der` is empty): a CA whose CT
/// log runs in the same process hands it the TBS directly and saves one signature per leaf.
pub fn prepare_fulcio_leaf(
    ca: &Ca<impl Signer>,
    spec: &LeafSpec<'_>,
    sign_precert: bool,
) -> Result<PreparedLeaf> {
    use crate::x509::{SanIdentity, OID_EKU_CODE_SIGNING, OID_OTHERNAME_USERNAME, OID_SAN};
    use der::asn1::{Any, Ia5String};
    use x509_cert::ext::pkix::name::{GeneralName, OtherName};
    use x509_cert::ext::pkix::SubjectAltName;

    let san = match spec.san {
        SanIdentity::Email(s) => {
            GeneralName::Rfc822Name(Ia5String::new(s).map_err(der_err("email SAN"))?)
        }
        SanIdentity::Uri(s) => {
            GeneralName::UniformResourceIdentifier(Ia5String::new(s).map_err(der_err("URI SAN"))?)
        }
        SanIdentity::Username(s) => GeneralName::OtherName(OtherName {
            type_id: OID_OTHERNAME_USERNAME,
            value: Any::from_der(&utf8_der(s)?).map_err(der_err("username SAN"))?,
        }),
    };
    let mut exts = vec![
        ku_ext(KeyUsage(KeyUsages::DigitalSignature.into()))?,
        eku_ext(vec![OID_EKU_CODE_SIGNING], false)?,
        ext(OID_SAN, true, &SubjectAltName(vec![san]))?,
        raw_ext(
            fulcio_oid(1)?,
            false,
            spec.legacy_issuer
                .unwrap_or(spec.issuer)
                .as_bytes()
                .to_vec(),
        )?,
        raw_ext(fulcio_oid(8)?, false, utf8_der(spec.issuer)?)?,
    ];
    for (n, v) in spec.extensions {
        let value = match n {
            2..=6 => v.as_bytes().to_vec(),
            9.. => utf8_der(v)?,
            _ => {
                return Err(Error::invalid(
                    "certificate extensions",
                    format!("extension {}.{n} cannot be set: expected 2..=6 or >= 9 (.1 and .8 come from the issuer)", crate::x509::FULCIO_ARC),
                ))
            }
        };
        exts.push(raw_ext(fulcio_oid(*n)?, false, value)?);
    }
    exts.extend(spec.extra_extensions.iter().cloned());
    let spki =
        SubjectPublicKeyInfoOwned::from_der(spec.spki_der).map_err(der_err("leaf public key"))?;
    let base = TbsSpec {
        subject: Name::default(),
        issuer: ca.name.clone(),
        serial: random_serial()?,
        not_before: spec.not_before,
        not_after: spec.not_before + spec.lifetime,
        spki_der: spec.spki_der.to_vec(),
        extensions: {
            let mut e = vec![
                ski_ext(&key_id(spki.subject_public_key.raw_bytes()))?,
                aki_ext(&ca.ski)?,
            ];
            e.append(&mut exts);
            e
        },
    };
    let sig_alg = spec
        .tbs_signature_algorithm
        .unwrap_or_else(|| ca.key.algorithm().x509_oid());
    // 1. The precertificate: the same TBS plus the critical poison extension.
    let mut pre_tbs = base.tbs(sig_alg)?;
    let mut with_poison = pre_tbs.extensions.take().unwrap_or_default();
    with_poison.push(poison_ext()?);
    pre_tbs.extensions = Some(with_poison);
    let precert_der = if sign_precert {
        sign_tbs_outer(pre_tbs.clone(), &ca.key)?
    } else {
        Vec::new()
    };
    // 2. The CT log signs the precertificate TBS without the poison.
    if let Some(e) = pre_tbs.extensions.as_mut() {
        e.retain(|x| x.extn_id != crate::x509::OID_CT_POISON);
    }
    let sct_signed_tbs = pre_tbs.to_der().map_err(der_err("precertificate TBS"))?;
    let issuer_key_hash = crate::encoding::sha256(ca.key.public_key_der());
    Ok(PreparedLeaf {
        precert_der,
        sct_signed_tbs,
        issuer_key_hash,
        final_tbs: base.tbs(sig_alg)?,
    })
}

/// A TSA signing certificate issued by `ca`: KU digitalSignature, EKU timeStamping (critical),
/// as RFC 3161 and Sigstore's timestamp-authority require.
pub fn tsa_leaf(
    ca: &Ca<impl Signer>,
    key: &dyn Signer,
    dn: &str,
    validity: (i64, i64),
) -> Result<Vec<u8>> {
    ca.end_entity(
        key,
        dn,
        validity,
        vec![
            ku_ext(KeyUsage(KeyUsages::DigitalSignature.into()))?,
            eku_ext(vec![crate::x509::OID_EKU_TIME_STAMPING], true)?,
        ],
    )
}
