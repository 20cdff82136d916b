//! Step 2: the certificate path (RFC 5280 section 6.1) from the leaf to a trusted Fulcio CA, at
//! every verified signing time.
//!
//! Choice of validator (see docs/verification.md): the trusted CA chains are validated once,
//! when the [`Verifier`](crate::Verifier) is built (links, signatures, CA profile, criticality,
//! path lengths, EKU chaining), and each bundle's leaf is then checked against the chain
//! certificate that issued it. rustls-webpki's `verify_for_usage` would rebuild and re-verify the
//! whole path per bundle (one more P-384 signature per bundle, against a ≤ 1.15 × crypto-floor
//! budget) and does not check the trust anchor's own extensions, which we must (the trusted root
//! lists whole chains, and an early public-good leaf is issued by the root itself).

use const_oid::ObjectIdentifier;
use signet_core::crypto::PublicKey;
use signet_core::encoding::sha256;
use signet_core::time::format_rfc3339;
use signet_core::trust::CertificateAuthority;
use signet_core::x509::{
    Certificate, SanIdentity, OID_BASIC_CONSTRAINTS, OID_CT_POISON, OID_EKU_CODE_SIGNING,
    OID_EXT_KEY_USAGE, OID_KEY_USAGE, OID_SAN, OID_SCT_LIST,
};
use x509_cert::ext::pkix::constraints::name::{GeneralSubtree, NameConstraints};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::KeyUsages;

use crate::window::{fmt_range, in_range, required_bounds};
use crate::{Error, Result, Rule, TimeSource};

/// authorityKeyIdentifier.
const OID_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
/// subjectKeyIdentifier.
const OID_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
/// nameConstraints.
const OID_NAME_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");
/// anyExtendedKeyUsage.
const OID_ANY_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// Extensions a CA certificate may mark critical: the ones this module processes.
const CA_PROCESSED: &[ObjectIdentifier] = &[
    OID_BASIC_CONSTRAINTS,
    OID_KEY_USAGE,
    OID_EXT_KEY_USAGE,
    OID_NAME_CONSTRAINTS,
    OID_SKI,
    OID_AKI,
];
/// Extensions a leaf may mark critical.
const LEAF_PROCESSED: &[ObjectIdentifier] = &[
    OID_BASIC_CONSTRAINTS,
    OID_KEY_USAGE,
    OID_EXT_KEY_USAGE,
    OID_SAN,
    OID_SKI,
    OID_AKI,
    OID_SCT_LIST,
];

/// One certificate of a trusted CA chain, checked at load.
pub(crate) struct ChainCert {
    pub(crate) cert: Certificate,
    pub(crate) key: PublicKey,
    pub(crate) key_hash: [u8; 32],
    pub(crate) subject_der: Vec<u8>,
    /// `pathLenConstraint`, if any.
    path_len: Option<u8>,
    /// Whether its EKU (absent = any) allows code signing.
    allows_code_signing: bool,
    /// Issuer and subject are the same name (RFC 5280 "self-issued").
    self_issued: bool,
    name_constraints: Option<NameConstraints>,
}

/// A trusted CA chain (issuing CA first, root last) with its `validFor`.
pub(crate) struct CaChain {
    pub(crate) uri: String,
    pub(crate) certs: Vec<ChainCert>,
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
    /// Why the chain cannot issue, found at load (checked when a leaf chains to it, so one bad
    /// chain does not make the other CAs of the trusted root unusable).
    defect: Option<(Rule, String)>,
}

/// The chain certificate that issued a verified leaf.
pub(crate) struct Issuer<'a> {
    pub(crate) cert: &'a ChainCert,
}

fn ca_defect(c: &Certificate, j: usize) -> Result<Option<(Rule, String)>> {
    let subject = c.subject();
    if !c.signature_algorithms_agree() {
        return Ok(Some((
            Rule::SignatureAlgorithmMismatch,
            format!("CA certificate #{j} ({subject}) names a TBS signature algorithm that differs from its outer signatureAlgorithm"),
        )));
    }
    match c.basic_constraints()? {
        Some((_, bc)) if bc.ca => {}
        Some(_) => {
            return Ok(Some((
                Rule::CaConstraints,
                format!("CA certificate #{j} ({subject}) has basicConstraints cA=FALSE"),
            )))
        }
        None => {
            return Ok(Some((
                Rule::CaConstraints,
                format!("CA certificate #{j} ({subject}) has no basicConstraints extension"),
            )))
        }
    }
    if !c.has_key_usage(KeyUsages::KeyCertSign)? {
        return Ok(Some((
            Rule::CaConstraints,
            format!("CA certificate #{j} ({subject}) lacks keyUsage keyCertSign"),
        )));
    }
    if let Some(oid) = c
        .critical_extension_oids()
        .find(|oid| !CA_PROCESSED.contains(oid))
    {
        return Ok(Some((
            Rule::UnhandledCriticalExtension,
            format!(
                "CA certificate #{j} ({subject}) has critical extension {oid} that the verifier does not process"
            ),
        )));
    }
    Ok(None)
}

fn allows_code_signing(c: &Certificate) -> Result<bool> {
    Ok(match c.ext_key_usage()? {
        None => true,
        Some((_, eku)) => eku
            .0
            .iter()
            .any(|o| *o == OID_EKU_CODE_SIGNING || *o == OID_ANY_EKU),
    })
}

impl CaChain {
    /// Parse and check one trusted CA chain.
    pub(crate) fn load(i: usize, ca: &CertificateAuthority) -> Result<Self> {
        let ctx = |m: String| {
            Error::trusted_root(format!("certificate authority #{i} ({}): {m}", ca.uri))
        };
        let (start, end) = required_bounds(
            &format!("certificate authority #{i} ({})", ca.uri),
            Some(&ca.valid_for),
        )?;
        if ca.cert_chain.certificates.is_empty() {
            return Err(ctx("empty certificate chain".into()));
        }
        let mut certs = Vec::with_capacity(ca.cert_chain.certificates.len());
        let mut defect = None;
        for (j, raw) in ca.cert_chain.certificates.iter().enumerate() {
            let cert = Certificate::from_der(&raw.raw_bytes).map_err(|e| ctx(e.to_string()))?;
            if defect.is_none() {
                defect = ca_defect(&cert, j)?;
            }
            let path_len = cert
                .basic_constraints()?
                .and_then(|(_, bc)| bc.path_len_constraint);
            let name_constraints = match cert.extension_value(&OID_NAME_CONSTRAINTS)? {
                None => None,
                Some((_, value)) => Some(
                    <NameConstraints as der::Decode>::from_der(value)
                        .map_err(|e| ctx(format!("certificate #{j} nameConstraints: {e}")))?,
                ),
            };
            let subject_der = cert.subject_der()?;
            certs.push(ChainCert {
                self_issued: cert.issuer_der()? == subject_der,
                key: cert.public_key()?,
                key_hash: sha256(cert.spki_der()),
                subject_der,
                path_len,
                allows_code_signing: allows_code_signing(&cert)?,
                name_constraints,
                cert,
            });
        }
        for j in 0..certs.len() {
            let Some(parent) = certs.get(j + 1) else {
                break;
            };
            let c = &certs[j].cert;
            if c.issuer_der()? != parent.subject_der {
                defect.get_or_insert((
                    Rule::ChainIssuer,
                    format!(
                        "CA certificate #{j} issuer {} is not the next certificate's subject {}",
                        c.issuer(),
                        parent.cert.subject()
                    ),
                ));
            } else if let Err(e) = c.verify_signed_by(&parent.key) {
                defect.get_or_insert((
                    Rule::ChainIssuer,
                    format!("CA certificate #{j} is not signed by #{}: {e}", j + 1),
                ));
            }
        }
        Ok(CaChain {
            uri: ca.uri.clone(),
            certs,
            start,
            end,
            defect,
        })
    }

    /// Check the path leaf → certs[k] → ... → root at every time; Ok if it holds.
    fn check_path(
        &self,
        leaf: &Certificate,
        k: usize,
        times: &[(i64, TimeSource)],
    ) -> std::result::Result<(), (Rule, String)> {
        if let Some(d) = &self.defect {
            return Err(d.clone());
        }
        let path = &self.certs[k..];
        for (t, _) in times {
            if !in_range(*t, Some(self.start), self.end) {
                return Err((
                    Rule::ChainValidity,
                    format!(
                        "signing time {} outside its validity {}",
                        format_rfc3339(*t),
                        fmt_range(Some(self.start), self.end)
                    ),
                ));
            }
            if !leaf.valid_at(*t) {
                return Err((
                    Rule::ChainValidity,
                    format!(
                        "leaf certificate valid {} .. {} does not cover the signing time {}",
                        format_rfc3339(leaf.not_before()),
                        format_rfc3339(leaf.not_after()),
                        format_rfc3339(*t)
                    ),
                ));
            }
            if let Some(c) = path.iter().find(|c| !c.cert.valid_at(*t)) {
                return Err((
                    Rule::ChainValidity,
                    format!(
                        "CA certificate {} (valid {} .. {}) not valid at {}",
                        c.cert.subject(),
                        format_rfc3339(c.cert.not_before()),
                        format_rfc3339(c.cert.not_after()),
                        format_rfc3339(*t)
                    ),
                ));
            }
        }
        // pathLenConstraint: the number of intermediates below each CA in this path (RFC 5280
        // section 4.2.1.9; self-issued certificates do not count).
        let mut below = 0usize;
        for c in path {
            if let Some(max) = c.path_len {
                if below > max as usize {
                    return Err((
                        Rule::PathLength,
                        format!(
                            "CA certificate {} allows {max} intermediate(s) below it (pathLenConstraint), the path has {below}",
                            c.cert.subject()
                        ),
                    ));
                }
            }
            below += usize::from(!c.self_issued);
        }
        if let Some(c) = path.iter().find(|c| !c.allows_code_signing) {
            return Err((
                Rule::EkuChaining,
                format!(
                    "CA certificate {} has an extended key usage without codeSigning (1.3.6.1.5.5.7.3.3), so it cannot issue code-signing certificates",
                    c.cert.subject()
                ),
            ));
        }
        for c in path {
            if let Some(nc) = &c.name_constraints {
                check_name_constraints(leaf, nc).map_err(|reason| {
                    (
                        Rule::NameConstraints,
                        format!("CA certificate {}: {reason}", c.cert.subject()),
                    )
                })?;
            }
        }
        leaf.verify_signed_by(&path[0].key)
            .map_err(|e| (Rule::ChainIssuer, e.to_string()))
    }
}

/// The leaf's own profile, independent of its issuer: no unprocessed critical extension, not a
/// precertificate, matching signature algorithms, not a CA, KU digitalSignature, EKU codeSigning.
pub(crate) fn check_leaf_profile(leaf: &Certificate) -> Result<()> {
    if !leaf.signature_algorithms_agree() {
        return Err(Error::certificate(
            Rule::SignatureAlgorithmMismatch,
            "leaf certificate names a TBS signature algorithm that differs from its outer signatureAlgorithm",
        ));
    }
    if leaf.extension_value(&OID_CT_POISON)?.is_some() {
        return Err(Error::certificate(
            Rule::PrecertificatePoison,
            "leaf is a CT precertificate (poison extension 1.3.6.1.4.1.11129.2.4.3), not a certificate",
        ));
    }
    if let Some(oid) = leaf
        .critical_extension_oids()
        .find(|oid| !LEAF_PROCESSED.contains(oid))
    {
        return Err(Error::certificate(
            Rule::UnhandledCriticalExtension,
            format!("leaf has critical extension {oid} that the verifier does not process"),
        ));
    }
    if let Err(e) = leaf.oidc_issuer() {
        return Err(Error::certificate(Rule::LeafProfile, e.to_string()));
    }
    if leaf.is_ca()? {
        return Err(Error::certificate(
            Rule::LeafProfile,
            "leaf certificate is a CA certificate",
        ));
    }
    if !leaf.has_key_usage(KeyUsages::DigitalSignature)? {
        return Err(Error::certificate(
            Rule::LeafProfile,
            "leaf key usage lacks digitalSignature",
        ));
    }
    if !leaf.has_eku(&OID_EKU_CODE_SIGNING)? {
        return Err(Error::certificate(
            Rule::LeafProfile,
            "leaf extended key usage lacks codeSigning (1.3.6.1.5.5.7.3.3)",
        ));
    }
    Ok(())
}

/// Find a trusted chain certificate that issued `leaf` and check the path at every time.
pub(crate) fn verify_path<'a>(
    cas: &'a [CaChain],
    leaf: &Certificate,
    times: &[(i64, TimeSource)],
) -> Result<Issuer<'a>> {
    let issuer = leaf.issuer_der()?;
    let mut failures: Vec<(Rule, String)> = vec![];
    for ca in cas {
        for (k, c) in ca.certs.iter().enumerate() {
            if c.subject_der != issuer {
                continue;
            }
            match ca.check_path(leaf, k, times) {
                Ok(()) => return Ok(Issuer { cert: c }),
                Err((rule, reason)) => failures.push((rule, format!("{}: {reason}", ca.uri))),
            }
        }
    }
    match failures.first() {
        None => Err(Error::chain(
            Rule::ChainIssuer,
            format!(
                "leaf issuer {:?} is not a certificate authority in the trusted root (trusted: {})",
                leaf.issuer(),
                cas.iter()
                    .flat_map(|c| c.certs.iter().map(|x| x.cert.subject()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
        Some((rule, _)) => Err(Error::chain(
            *rule,
            format!(
                "no trusted certificate authority verifies the leaf: {}",
                failures
                    .iter()
                    .map(|(_, r)| r.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
    }
}

/// RFC 5280 section 4.2.1.10 for the leaf's SAN. Constraints of a name form apply to names of
/// that form; a form the verifier cannot evaluate for the leaf's SAN (or a subtree with
/// minimum/maximum) is a failure, never a pass.
fn check_name_constraints(
    leaf: &Certificate,
    nc: &NameConstraints,
) -> std::result::Result<(), String> {
    let sans = leaf.san_identities().map_err(|e| e.to_string())?;
    let all: Vec<&GeneralSubtree> = nc
        .permitted_subtrees
        .iter()
        .flatten()
        .chain(nc.excluded_subtrees.iter().flatten())
        .collect();
    if let Some(s) = all.iter().find(|s| s.minimum != 0 || s.maximum.is_some()) {
        return Err(format!(
            "name constraint {:?} has a minimum/maximum distance, which the verifier cannot evaluate",
            s.base
        ));
    }
    for san in &sans {
        // Which constraint forms apply to this SAN, and can we evaluate them?
        let applies = |g: &GeneralName| -> std::result::Result<Option<bool>, String> {
            match (san, g) {
                (SanIdentity::Email(e), GeneralName::Rfc822Name(c)) => {
                    Ok(Some(email_matches(e, c.as_str())))
                }
                (SanIdentity::Uri(u), GeneralName::UniformResourceIdentifier(c)) => {
                    let host = uri_host(u).ok_or_else(|| {
                        format!("URI SAN {u:?} has no host to evaluate name constraints on")
                    })?;
                    Ok(Some(host_matches(&host, c.as_str())))
                }
                (_, GeneralName::Rfc822Name(_))
                | (_, GeneralName::UniformResourceIdentifier(_))
                | (_, GeneralName::DnsName(_))
                | (_, GeneralName::IpAddress(_)) => Ok(None),
                (_, GeneralName::DirectoryName(_)) if leaf.subject_is_empty() => Ok(None),
                (s, other) => Err(format!(
                    "name constraint {other:?} cannot be evaluated for the SAN {} {:?}",
                    s.kind(),
                    s.value()
                )),
            }
        };
        let mut permitted_of_form = 0;
        let mut permitted_match = false;
        for s in nc.permitted_subtrees.iter().flatten() {
            if let Some(m) = applies(&s.base)? {
                permitted_of_form += 1;
                permitted_match |= m;
            }
        }
        if permitted_of_form > 0 && !permitted_match {
            return Err(format!(
                "the SAN {} {:?} is outside the permitted subtrees",
                san.kind(),
                san.value()
            ));
        }
        for s in nc.excluded_subtrees.iter().flatten() {
            if applies(&s.base)? == Some(true) {
                return Err(format!(
                    "the SAN {} {:?} is in an excluded subtree ({:?})",
                    san.kind(),
                    san.value(),
                    s.base
                ));
            }
        }
    }
    Ok(())
}

/// RFC 5280 rfc822Name constraint: a mailbox, a host (all mailboxes there), or `.domain` (any
/// host below it). Host comparisons are case-insensitive.
fn email_matches(email: &str, c: &str) -> bool {
    let Some((_, host)) = email.rsplit_once('@') else {
        return false;
    };
    if c.contains('@') {
        return email.eq_ignore_ascii_case(c);
    }
    host_matches(host, c)
}

/// A host against a constraint `example.com` (that host) or `.example.com` (hosts below it).
fn host_matches(host: &str, c: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let c = c.to_ascii_lowercase();
    if let Some(domain) = c.strip_prefix('.') {
        host.ends_with(&format!(".{domain}"))
    } else {
        host == c
    }
}

fn uri_host(u: &str) -> Option<String> {
    url::Url::parse(u).ok()?.host_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc822_constraints() {
        assert!(email_matches("a@example.com", "example.com"));
        assert!(!email_matches("a@sub.example.com", "example.com"));
        assert!(email_matches("a@sub.example.com", ".example.com"));
        assert!(!email_matches("a@example.com", ".example.com"));
        assert!(email_matches("a@Example.com", "a@example.com"));
        assert!(!email_matches("b@example.com", "a@example.com"));
        assert!(!email_matches("no-at-sign", "example.com"));
    }

    #[test]
    fn uri_constraints() {
        assert_eq!(
            uri_host("https://github.com/o/r/.github/workflows/w.yml@refs/heads/main").as_deref(),
            Some("github.com")
        );
        assert!(host_matches("github.com", "github.com"));
        assert!(!host_matches("evil-github.com", ".github.com"));
        assert!(host_matches("a.github.com", ".github.com"));
    }
}
