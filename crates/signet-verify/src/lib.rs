//! Offline verification of Sigstore bundles.
//!
//! The shape follows sigstore-go: a [`Verifier`] holds the deployment's trust material (parsed
//! and checked once, so keys and CA chains are cached across bundles), and each call passes the
//! bundle, the artifact and a per-call [`Policy`]. [`Verifier::verify`] runs the checks in the
//! order of the Sigstore client spec (../shared/docs/protocols.md):
//!
//! 1. signing times: SET-verified integrated times and RFC 3161 timestamps (threshold 1);
//! 2. the leaf certificate chains to a trusted Fulcio CA valid at every signing time, with
//!    KU digitalSignature and EKU codeSigning;
//! 3. an embedded SCT from a trusted CT log;
//! 4. every transparency log entry: body consistent with the bundle, inclusion proof to a signed
//!    checkpoint, SET;
//! 5. the artifact signature (message digest or DSSE PAE) and the artifact digest;
//! 6. the identity policy.
//!
//! No function here performs network I/O, and wall-clock time is never consulted: certificate
//! validity is checked at the verified signing time.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod floor;
pub mod policy;
pub mod pypi;
pub mod slsa;

use std::collections::HashMap;

use signet_core::bundle::{Bundle, TransparencyLogEntry};
use signet_core::checkpoint::Checkpoint;
use signet_core::crypto::{HashAlg, PublicKey};
use signet_core::dsse::INTOTO_PAYLOAD_TYPE;
use signet_core::encoding::{b64_encode, sha256};
use signet_core::intoto::Statement;
use signet_core::rekor::{set_payload, EntryBody};
use signet_core::trust::{CertificateAuthority, TrustedRoot};
use signet_core::x509::{Certificate, OID_EKU_CODE_SIGNING};
use signet_core::{merkle, sct, time::format_rfc3339};
use x509_cert::ext::pkix::KeyUsages;

pub use error::{Error, Result};
pub use floor::SignatureCheck;
pub use policy::{IdentityMatcher, Policy};

/// What was signed: the artifact bytes, or only their SHA-256 digest.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact itself.
    Bytes(&'a [u8]),
    /// The SHA-256 digest of the artifact.
    Sha256([u8; 32]),
}

impl Artifact<'_> {
    fn sha256(&self) -> [u8; 32] {
        match self {
            Artifact::Bytes(b) => sha256(b),
            Artifact::Sha256(d) => *d,
        }
    }
}

/// Where a verified signing time came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSource {
    /// A Rekor v1 integrated time, authenticated by its SET.
    TransparencyLog {
        /// Global log index.
        log_index: i64,
    },
    /// An RFC 3161 timestamp.
    Timestamp {
        /// TSA URI from the trusted root.
        tsa: String,
    },
}

/// The outcome of a successful verification.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The leaf certificate.
    pub certificate: Certificate,
    /// Verified signing times (Unix seconds) and their sources.
    pub signing_times: Vec<(i64, TimeSource)>,
    /// The in-toto statement's type, subjects and predicate type, for DSSE bundles (the
    /// predicate is not parsed here; callers that need it parse the envelope payload).
    pub statement: Option<Statement>,
}

struct TlogKey {
    log_id: Vec<u8>,
    key: PublicKey,
    start: Option<i64>,
    end: Option<i64>,
    base_url: String,
}

struct CtKey {
    key: PublicKey,
    start: Option<i64>,
    end: Option<i64>,
}

struct CaChain {
    uri: String,
    /// Issuing CA first, root last; links already verified.
    certs: Vec<Certificate>,
    issuer_key: PublicKey,
    issuer_key_hash: [u8; 32],
    subject_der: Vec<u8>,
    start: Option<i64>,
    end: Option<i64>,
}

struct TsaChain {
    uri: String,
    certs_der: Vec<Vec<u8>>,
    start: Option<i64>,
    end: Option<i64>,
}

/// Deployment settings: thresholds (sigstore-go's `WithTransparencyLog(1)`,
/// `WithObserverTimestamps(1)`, `WithSignedCertificateTimestamps(1)`).
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Verified transparency log entries required.
    pub tlog: usize,
    /// Verified signing times (integrated times and RFC 3161 timestamps together) required.
    pub signing_times: usize,
    /// Verified SCTs required.
    pub sct: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            tlog: 1,
            signing_times: 1,
            sct: 1,
        }
    }
}

/// Verifies bundles against one trusted root.
pub struct Verifier {
    tlogs: Vec<TlogKey>,
    ctlogs: HashMap<[u8; 32], Vec<CtKey>>,
    cas: Vec<CaChain>,
    tsas: Vec<TsaChain>,
    thresholds: Thresholds,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("tlogs", &self.tlogs.len())
            .field("ctlogs", &self.ctlogs.len())
            .field("cas", &self.cas.len())
            .field("tsas", &self.tsas.len())
            .finish()
    }
}

/// A key and its validity bounds (Unix seconds).
type KeyWithValidity = (PublicKey, Option<i64>, Option<i64>);

/// A trusted-root log's key and validity, or None when it carries no key bytes.
fn log_key(
    what: &str,
    i: usize,
    t: &signet_core::trust::TransparencyLogInstance,
) -> Result<Option<KeyWithValidity>> {
    let Some(raw) = &t.public_key.raw_bytes else {
        return Ok(None);
    };
    let key = PublicKey::from_trusted_root(raw, &t.public_key.key_details)
        .map_err(|e| Error::TrustedRoot(format!("{what} #{i} ({}) key: {e}", t.base_url)))?;
    let (start, end) = t
        .public_key
        .valid_for
        .clone()
        .unwrap_or_default()
        .bounds()?;
    Ok(Some((key, start, end)))
}

fn in_range(t: i64, start: Option<i64>, end: Option<i64>) -> bool {
    start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
}

fn fmt_range(start: Option<i64>, end: Option<i64>) -> String {
    format!(
        "[{}, {}]",
        start.map(format_rfc3339).unwrap_or_else(|| "-inf".into()),
        end.map(format_rfc3339).unwrap_or_else(|| "open".into())
    )
}

impl Verifier {
    /// Build a verifier from a trusted root: parses every key, and checks every CA chain link
    /// once (the per-bundle work is then only the leaf's own signature).
    pub fn new(root: &TrustedRoot) -> Result<Self> {
        Self::with_thresholds(root, Thresholds::default())
    }

    /// As [`Verifier::new`] with explicit thresholds.
    pub fn with_thresholds(root: &TrustedRoot, thresholds: Thresholds) -> Result<Self> {
        let mut tlogs = vec![];
        for (i, t) in root.tlogs.iter().enumerate() {
            let Some((key, start, end)) = log_key("tlog", i, t)? else {
                continue;
            };
            tlogs.push(TlogKey {
                log_id: t.log_id.key_id.clone(),
                key,
                start,
                end,
                base_url: t.base_url.clone(),
            });
        }
        let mut ctlogs: HashMap<[u8; 32], Vec<CtKey>> = HashMap::new();
        for (i, t) in root.ctlogs.iter().enumerate() {
            let Some((key, start, end)) = log_key("ctlog", i, t)? else {
                continue;
            };
            let id: [u8; 32] = t.log_id.key_id.as_slice().try_into().map_err(|_| {
                Error::TrustedRoot(format!(
                    "ctlog #{i} log ID is {} bytes, expected 32",
                    t.log_id.key_id.len()
                ))
            })?;
            ctlogs
                .entry(id)
                .or_default()
                .push(CtKey { key, start, end });
        }
        let mut cas = vec![];
        for (i, ca) in root.certificate_authorities.iter().enumerate() {
            cas.push(Self::load_ca(i, ca)?);
        }
        let mut tsas = vec![];
        for ca in &root.timestamp_authorities {
            let (start, end) = ca.valid_for.bounds()?;
            tsas.push(TsaChain {
                uri: ca.uri.clone(),
                certs_der: ca
                    .cert_chain
                    .certificates
                    .iter()
                    .map(|c| c.raw_bytes.clone())
                    .collect(),
                start,
                end,
            });
        }
        Ok(Verifier {
            tlogs,
            ctlogs,
            cas,
            tsas,
            thresholds,
        })
    }

    fn load_ca(i: usize, ca: &CertificateAuthority) -> Result<CaChain> {
        let ctx =
            |m: String| Error::TrustedRoot(format!("certificate authority #{i} ({}): {m}", ca.uri));
        let certs = ca
            .cert_chain
            .certificates
            .iter()
            .map(|c| Certificate::from_der(&c.raw_bytes))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| ctx(e.to_string()))?;
        let first = certs
            .first()
            .ok_or_else(|| ctx("empty certificate chain".into()))?;
        for (j, c) in certs.iter().enumerate() {
            if !c.is_ca().map_err(|e| ctx(e.to_string()))? {
                return Err(ctx(format!(
                    "chain certificate #{j} ({}) is not a CA",
                    c.subject()
                )));
            }
            if !c
                .has_key_usage(KeyUsages::KeyCertSign)
                .map_err(|e| ctx(e.to_string()))?
            {
                return Err(ctx(format!(
                    "chain certificate #{j} ({}) lacks keyCertSign",
                    c.subject()
                )));
            }
            if let Some(parent) = certs.get(j + 1) {
                if c.issuer_der()? != parent.subject_der()? {
                    return Err(ctx(format!(
                        "certificate #{j} issuer {} is not the next certificate's subject {}",
                        c.issuer(),
                        parent.subject()
                    )));
                }
                c.verify_signed_by(&parent.public_key()?).map_err(|e| {
                    ctx(format!("certificate #{j} is not signed by #{}: {e}", j + 1))
                })?;
            }
        }
        let issuer_key = first.public_key()?;
        let (start, end) = ca.valid_for.bounds()?;
        Ok(CaChain {
            uri: ca.uri.clone(),
            issuer_key_hash: sha256(first.spki_der()),
            subject_der: first.subject_der()?,
            issuer_key,
            certs,
            start,
            end,
        })
    }

    /// Verify `bundle` over `artifact` under `policy`.
    pub fn verify(
        &self,
        bundle: &Bundle,
        artifact: Artifact<'_>,
        policy: &Policy,
    ) -> Result<Verified> {
        bundle.validate()?;
        let vm = &bundle.verification_material;
        let leaf_der = bundle.leaf_certificate_der().ok_or_else(|| {
            Error::Usage("bundle is signed with a managed key (publicKey hint), not a Fulcio certificate; identity verification needs a certificate".into())
        })?;
        let leaf = Certificate::from_der(leaf_der)?;
        let signature = bundle
            .signature_bytes()
            .ok_or_else(|| Error::Artifact("bundle carries no signature".into()))?;

        // 1. Signing times.
        let mut times: Vec<(i64, TimeSource)> = vec![];
        let mut tlog_keys: Vec<&TlogKey> = Vec::with_capacity(vm.tlog_entries.len());
        for (i, e) in vm.tlog_entries.iter().enumerate() {
            let key = self.tlog_key(i, e)?;
            tlog_keys.push(key);
            if let (Some(promise), Some(t)) = (&e.inclusion_promise, e.integrated_time) {
                let payload = set_payload(
                    &b64_encode(&e.canonicalized_body),
                    t,
                    &hex::encode(&e.log_id.key_id),
                    e.log_index,
                );
                key.key
                    .verify(&payload, &promise.signed_entry_timestamp)
                    .map_err(|_| Error::Tlog {
                        index: i,
                        reason: format!(
                            "signed entry timestamp does not verify with the key of {}",
                            key.base_url
                        ),
                    })?;
                if !in_range(t, key.start, key.end) {
                    return Err(Error::Tlog {
                        index: i,
                        reason: format!(
                            "integrated time {} is outside the log key's validity {}",
                            format_rfc3339(t),
                            fmt_range(key.start, key.end)
                        ),
                    });
                }
                times.push((
                    t,
                    TimeSource::TransparencyLog {
                        log_index: e.log_index,
                    },
                ));
            }
        }
        for (i, ts) in bundle.rfc3161_timestamps().iter().enumerate() {
            let (t, tsa) = self.verify_timestamp(i, &ts.signed_timestamp, signature)?;
            times.push((t, TimeSource::Timestamp { tsa }));
        }
        if times.len() < self.thresholds.signing_times {
            return Err(Error::NoSigningTime(format!(
                "found {} verified time(s), need {}; the bundle has {} tlog entr{} with an inclusion promise and {} RFC 3161 timestamp(s)",
                times.len(),
                self.thresholds.signing_times,
                vm.tlog_entries.iter().filter(|e| e.inclusion_promise.is_some()).count(),
                if vm.tlog_entries.iter().filter(|e| e.inclusion_promise.is_some()).count() == 1 { "y" } else { "ies" },
                bundle.rfc3161_timestamps().len()
            )));
        }

        // 2. Certificate chain at every signing time, and the leaf profile.
        let ca = self.verify_chain(&leaf, &times)?;
        if leaf.is_ca()? {
            return Err(Error::Certificate(
                "leaf certificate is a CA certificate".into(),
            ));
        }
        if !leaf.has_key_usage(KeyUsages::DigitalSignature)? {
            return Err(Error::Certificate(
                "leaf key usage lacks digitalSignature".into(),
            ));
        }
        if !leaf.has_eku(&OID_EKU_CODE_SIGNING)? {
            return Err(Error::Certificate(
                "leaf extended key usage lacks codeSigning (1.3.6.1.5.5.7.3.3)".into(),
            ));
        }

        // 3. Embedded SCT.
        self.verify_scts(&leaf, ca)?;

        // 4. Transparency log entries.
        if vm.tlog_entries.len() < self.thresholds.tlog {
            return Err(Error::Tlog {
                index: 0,
                reason: format!(
                    "bundle has {} transparency log entries, need {}",
                    vm.tlog_entries.len(),
                    self.thresholds.tlog
                ),
            });
        }
        let artifact_digest = artifact.sha256();
        for (i, (e, key)) in vm.tlog_entries.iter().zip(&tlog_keys).enumerate() {
            check_body(i, e, bundle, leaf_der, &artifact_digest)?;
            if let Some(p) = &e.inclusion_proof {
                verify_inclusion(i, e, p, key)?;
            }
        }

        // 5. Artifact signature.
        let key = leaf.public_key()?;
        let statement = verify_artifact(bundle, &key, artifact)?;

        // 6. Identity.
        policy.check(&leaf)?;

        Ok(Verified {
            certificate: leaf,
            signing_times: times,
            statement,
        })
    }

    /// Check a freshly issued signing certificate as a signer does on receipt: it chains to a
    /// trusted CA valid at `at` (Unix seconds), has the code-signing profile, and carries a
    /// valid embedded SCT from a trusted CT log.
    pub fn check_leaf(&self, leaf: &Certificate, at: i64) -> Result<()> {
        let ca = self.verify_chain(leaf, &[(at, TimeSource::Timestamp { tsa: "now".into() })])?;
        if !leaf.has_eku(&OID_EKU_CODE_SIGNING)? {
            return Err(Error::Certificate(
                "leaf extended key usage lacks codeSigning".into(),
            ));
        }
        self.verify_scts(leaf, ca)
    }

    fn tlog_key(&self, i: usize, e: &TransparencyLogEntry) -> Result<&TlogKey> {
        self.tlogs
            .iter()
            .find(|k| k.log_id == e.log_id.key_id)
            .ok_or_else(|| Error::Tlog {
                index: i,
                reason: format!(
                    "log ID {} is not a transparency log in the trusted root (trusted: {})",
                    hex::encode(&e.log_id.key_id),
                    self.tlogs
                        .iter()
                        .map(|k| format!("{} {}", k.base_url, hex::encode(&k.log_id)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    fn verify_timestamp(&self, i: usize, der: &[u8], signature: &[u8]) -> Result<(i64, String)> {
        let token =
            signet_core::tsa::parse_timestamp_response(der).map_err(|e| Error::Timestamp {
                index: i,
                reason: e.to_string(),
            })?;
        let gen = token.gen_time();
        let mut reasons = vec![];
        for tsa in &self.tsas {
            if !in_range(gen, tsa.start, tsa.end) {
                reasons.push(format!(
                    "{}: time {} outside {}",
                    tsa.uri,
                    format_rfc3339(gen),
                    fmt_range(tsa.start, tsa.end)
                ));
                continue;
            }
            // Certificates carried in the token are not what we trust (the trusted root's chain
            // is); accept them only if they are that chain's own, so no byte goes unchecked.
            if let Some(c) = token
                .certificates()
                .iter()
                .find(|c| !tsa.certs_der.contains(c))
            {
                let subject = signet_core::x509::Certificate::from_der(c)
                    .map(|c| c.subject())
                    .unwrap_or_else(|_| "unparsable".into());
                reasons.push(format!("{}: the token embeds a certificate ({subject}) that is not in this TSA's trusted chain", tsa.uri));
                continue;
            }
            match token.verify(signature, &tsa.certs_der) {
                Ok(()) => return Ok((gen, tsa.uri.clone())),
                Err(e) => reasons.push(format!("{}: {e}", tsa.uri)),
            }
        }
        Err(Error::Timestamp {
            index: i,
            reason: if self.tsas.is_empty() {
                "the trusted root has no timestamp authorities".into()
            } else {
                format!(
                    "no trusted timestamp authority verifies it ({})",
                    reasons.join("; ")
                )
            },
        })
    }

    fn verify_chain(&self, leaf: &Certificate, times: &[(i64, TimeSource)]) -> Result<&CaChain> {
        let issuer = leaf.issuer_der()?;
        let mut reasons = vec![];
        'ca: for ca in self.cas.iter().filter(|ca| ca.subject_der == issuer) {
            for (t, _) in times {
                if !in_range(*t, ca.start, ca.end) {
                    reasons.push(format!(
                        "{}: signing time {} outside its validity {}",
                        ca.uri,
                        format_rfc3339(*t),
                        fmt_range(ca.start, ca.end)
                    ));
                    continue 'ca;
                }
                if !leaf.valid_at(*t) {
                    return Err(Error::Chain(format!(
                        "leaf certificate valid {} .. {} does not cover the signing time {}",
                        format_rfc3339(leaf.not_before()),
                        format_rfc3339(leaf.not_after()),
                        format_rfc3339(*t)
                    )));
                }
                if let Some(c) = ca.certs.iter().find(|c| !c.valid_at(*t)) {
                    reasons.push(format!(
                        "{}: CA certificate {} not valid at {}",
                        ca.uri,
                        c.subject(),
                        format_rfc3339(*t)
                    ));
                    continue 'ca;
                }
            }
            match leaf.verify_signed_by(&ca.issuer_key) {
                Ok(()) => return Ok(ca),
                Err(e) => reasons.push(format!("{}: {e}", ca.uri)),
            }
        }
        Err(Error::Chain(if reasons.is_empty() {
            format!(
                "leaf issuer {:?} is not a certificate authority in the trusted root (trusted: {})",
                leaf.issuer(),
                self.cas
                    .iter()
                    .map(|c| c.certs[0].subject())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        } else {
            format!(
                "no trusted certificate authority verifies the leaf: {}",
                reasons.join("; ")
            )
        }))
    }

    fn verify_scts(&self, leaf: &Certificate, ca: &CaChain) -> Result<()> {
        let list = leaf
            .sct_list()?
            .ok_or_else(|| Error::Sct("leaf certificate has no embedded SCT list".into()))?;
        let scts = sct::parse_sct_list(&list)?;
        let tbs = leaf.precert_tbs_der()?;
        let mut verified = 0;
        let mut reasons = vec![];
        for s in &scts {
            let Some(keys) = self.ctlogs.get(&s.log_id) else {
                reasons.push(format!("SCT from unknown log {}", hex::encode(s.log_id)));
                continue;
            };
            let t = (s.timestamp_ms / 1000) as i64;
            let data = s.signed_data(&ca.issuer_key_hash, &tbs);
            let ok = keys
                .iter()
                .any(|k| in_range(t, k.start, k.end) && k.key.verify(&data, &s.signature).is_ok());
            if ok {
                verified += 1;
            } else {
                reasons.push(format!(
                    "SCT from log {} does not verify",
                    hex::encode(s.log_id)
                ));
            }
        }
        if verified < self.thresholds.sct {
            return Err(Error::Sct(format!(
                "{verified} of {} embedded SCTs verified, need {}{}{}",
                scts.len(),
                self.thresholds.sct,
                if reasons.is_empty() { "" } else { ": " },
                reasons.join("; ")
            )));
        }
        Ok(())
    }
}

fn verify_inclusion(
    i: usize,
    e: &TransparencyLogEntry,
    p: &signet_core::bundle::InclusionProof,
    key: &TlogKey,
) -> Result<()> {
    let err = |reason: String| Error::Tlog { index: i, reason };
    if p.log_index < 0 || p.tree_size < 0 {
        return Err(err(
            "negative index or tree size in the inclusion proof".into()
        ));
    }
    // Rekor v2 (tile) logs are unsharded and sign no SET, so nothing but the proof vouches for
    // the entry's index: it must be the proof's.
    if e.inclusion_promise.is_none() && e.integrated_time.is_none() && e.log_index != p.log_index {
        return Err(err(format!(
            "log index {} differs from the inclusion proof's index {} (a log without signed entry timestamps is not sharded)",
            e.log_index, p.log_index
        )));
    }
    let leaf = merkle::leaf_hash(&e.canonicalized_body);
    merkle::verify_inclusion(
        p.log_index as u64,
        p.tree_size as u64,
        &leaf,
        &p.hashes,
        &p.root_hash,
    )
    .map_err(|x| err(x.to_string()))?;
    let cp = Checkpoint::parse(&p.checkpoint.envelope).map_err(|x| err(x.to_string()))?;
    if cp.size != p.tree_size as u64 || cp.root_hash != p.root_hash {
        return Err(err(format!(
            "checkpoint (size {}, root {}) does not match the inclusion proof (size {}, root {})",
            cp.size,
            hex::encode(&cp.root_hash),
            p.tree_size,
            hex::encode(&p.root_hash)
        )));
    }
    cp.verify(&key.key, &key.log_id)
        .map_err(|x| err(x.to_string()))
}

/// The certificate DER of a PEM verifier in a log entry body (`what` names the field).
fn pem_to_der(what: &str, pem_bytes: &[u8]) -> Result<Vec<u8>> {
    signet_core::encoding::pem_block_der(pem_bytes, "CERTIFICATE")
        .map_err(|e| Error::Format(signet_core::Error::invalid(what, e.to_string())))
}

/// Check that the canonical body describes this bundle's signature, artifact and certificate.
/// For message signatures the logged digest must be the artifact's own (not only the bundle's
/// optional `messageDigest`), so the log always records what was verified.
fn check_body(
    i: usize,
    e: &TransparencyLogEntry,
    bundle: &Bundle,
    leaf_der: &[u8],
    artifact: &[u8; 32],
) -> Result<()> {
    let err = |reason: String| Error::Tlog { index: i, reason };
    let body = EntryBody::parse(
        &e.canonicalized_body,
        &e.kind_version.kind,
        &e.kind_version.version,
    )?;
    let same_cert = |what: &str, der: &[u8]| -> Result<()> {
        if der != leaf_der {
            return Err(err(format!(
                "{what} in the log entry is not the bundle's certificate"
            )));
        }
        Ok(())
    };
    match (&body, &bundle.message_signature, &bundle.dsse_envelope) {
        (EntryBody::HashedRekordV001(h), Some(ms), None) => {
            if h.signature.content != ms.signature {
                return Err(err(
                    "signature in the log entry differs from the bundle's signature".into(),
                ));
            }
            same_cert(
                "certificate",
                &pem_to_der("hashedrekord public key", &h.signature.public_key.content)?,
            )?;
            if !h.data.hash.algorithm.eq_ignore_ascii_case("sha256") {
                return Err(err(format!(
                    "hashedrekord hash algorithm {:?}, expected sha256",
                    h.data.hash.algorithm
                )));
            }
            if !h
                .data
                .hash
                .value
                .eq_ignore_ascii_case(&hex::encode(artifact))
            {
                return Err(err(format!(
                    "log entry records artifact sha256 {}, but the artifact's is {}",
                    h.data.hash.value,
                    hex::encode(artifact)
                )));
            }
            if let Some(d) = &ms.message_digest {
                if !h
                    .data
                    .hash
                    .value
                    .eq_ignore_ascii_case(&hex::encode(&d.digest))
                {
                    return Err(err(format!(
                        "log entry digest {} differs from the bundle's message digest {}",
                        h.data.hash.value,
                        hex::encode(&d.digest)
                    )));
                }
            }
        }
        (EntryBody::HashedRekordV002(h), Some(ms), None) => {
            if h.signature.content != ms.signature {
                return Err(err(
                    "signature in the log entry differs from the bundle's signature".into(),
                ));
            }
            let cert = h
                .signature
                .verifier
                .x509_certificate
                .as_ref()
                .ok_or_else(|| err("log entry verifier is not a certificate".into()))?;
            same_cert("certificate", &cert.raw_bytes)?;
            if h.data.algorithm != "SHA2_256" || h.data.digest != artifact {
                return Err(err(format!(
                    "log entry records artifact {} {}, but the artifact's sha256 is {}",
                    h.data.algorithm,
                    hex::encode(&h.data.digest),
                    hex::encode(artifact)
                )));
            }
            if let Some(d) = &ms.message_digest {
                if h.data.digest != d.digest {
                    return Err(err(format!(
                        "log entry digest {} differs from the bundle's message digest {}",
                        hex::encode(&h.data.digest),
                        hex::encode(&d.digest)
                    )));
                }
            }
        }
        (EntryBody::HashedRekordV002(h), None, Some(env)) => {
            // New clients log a DSSE signature as a hashedrekord over the PAE.
            if h.signature.content != env.signatures[0].sig {
                return Err(err(
                    "signature in the log entry differs from the envelope signature".into(),
                ));
            }
            let cert = h
                .signature
                .verifier
                .x509_certificate
                .as_ref()
                .ok_or_else(|| err("log entry verifier is not a certificate".into()))?;
            same_cert("certificate", &cert.raw_bytes)?;
            if h.data.digest != sha256(&env.pae()) {
                return Err(err(
                    "log entry digest is not the SHA-256 of the envelope's PAE".into(),
                ));
            }
        }
        (EntryBody::DsseV001(d), None, Some(env)) => {
            let want = hex::encode(sha256(&env.payload));
            if !d.payload_hash.algorithm.eq_ignore_ascii_case("sha256")
                || !d.payload_hash.value.eq_ignore_ascii_case(&want)
            {
                return Err(err(format!(
                    "log entry payload hash {} differs from the envelope payload's {want}",
                    d.payload_hash.value
                )));
            }
            if d.signatures.len() != env.signatures.len() {
                return Err(err(format!(
                    "log entry has {} signatures, the envelope {}",
                    d.signatures.len(),
                    env.signatures.len()
                )));
            }
            for (s, es) in d.signatures.iter().zip(&env.signatures) {
                let sig = signet_core::encoding::b64_decode("dsse signature", &s.signature)?;
                if sig != es.sig {
                    return Err(err(
                        "signature in the log entry differs from the envelope signature".into(),
                    ));
                }
                same_cert("verifier", &pem_to_der("dsse verifier", &s.verifier)?)?;
            }
        }
        (EntryBody::DsseV002(d), None, Some(env)) => {
            if d.payload_hash.digest != sha256(&env.payload) {
                return Err(err(
                    "log entry payload hash differs from the envelope payload's".into(),
                ));
            }
            if d.signatures.len() != env.signatures.len() {
                return Err(err(format!(
                    "log entry has {} signatures, the envelope {}",
                    d.signatures.len(),
                    env.signatures.len()
                )));
            }
            for (s, es) in d.signatures.iter().zip(&env.signatures) {
                if s.content != es.sig {
                    return Err(err(
                        "signature in the log entry differs from the envelope signature".into(),
                    ));
                }
                let cert = s
                    .verifier
                    .x509_certificate
                    .as_ref()
                    .ok_or_else(|| err("log entry verifier is not a certificate".into()))?;
                same_cert("verifier", &cert.raw_bytes)?;
            }
        }
        (EntryBody::IntotoV002(t), None, Some(env)) => {
            let envb = &t.content.envelope;
            // Rekor keeps the payload out of the canonical intoto body (it is stored as the
            // entry's attestation); then the payload hash, required, binds it.
            if !envb.payload.is_empty() && envb.payload != b64_encode(&env.payload).as_bytes() {
                return Err(err(
                    "intoto entry payload differs from the envelope payload".into(),
                ));
            }
            if envb.payload_type != env.payload_type {
                return Err(err(format!(
                    "intoto entry payload type {:?} differs from the envelope's {:?}",
                    envb.payload_type, env.payload_type
                )));
            }
            if envb.signatures.len() != env.signatures.len() {
                return Err(err(format!(
                    "log entry has {} signatures, the envelope {}",
                    envb.signatures.len(),
                    env.signatures.len()
                )));
            }
            for (s, es) in envb.signatures.iter().zip(&env.signatures) {
                if s.sig != b64_encode(&es.sig).as_bytes() {
                    return Err(err(
                        "signature in the log entry differs from the envelope signature".into(),
                    ));
                }
                same_cert(
                    "public key",
                    &pem_to_der("intoto public key", &s.public_key)?,
                )?;
            }
            match &t.content.payload_hash {
                Some(ph)
                    if ph.algorithm.eq_ignore_ascii_case("sha256")
                        && ph
                            .value
                            .eq_ignore_ascii_case(&hex::encode(sha256(&env.payload))) => {}
                Some(_) => {
                    return Err(err(
                        "intoto entry payload hash differs from the envelope payload's".into(),
                    ))
                }
                None if envb.payload.is_empty() => {
                    return Err(err(
                        "intoto entry has neither the payload nor its hash".into()
                    ))
                }
                None => {}
            }
        }
        _ => {
            return Err(err(format!(
                "a {} {} entry cannot record a {} bundle",
                e.kind_version.kind,
                e.kind_version.version,
                if bundle.dsse_envelope.is_some() {
                    "DSSE"
                } else {
                    "message signature"
                }
            )))
        }
    }
    Ok(())
}

fn verify_artifact(
    bundle: &Bundle,
    key: &PublicKey,
    artifact: Artifact<'_>,
) -> Result<Option<Statement>> {
    if let Some(ms) = &bundle.message_signature {
        let digest = artifact.sha256();
        if let Some(md) = &ms.message_digest {
            if md.algorithm != "SHA2_256" {
                return Err(Error::Artifact(format!(
                    "message digest algorithm {:?}, expected SHA2_256",
                    md.algorithm
                )));
            }
            if md.digest != digest {
                return Err(Error::Artifact(format!(
                    "artifact sha256 {} does not match the bundle's message digest {}",
                    hex::encode(digest),
                    hex::encode(&md.digest)
                )));
            }
        }
        let ok = match artifact {
            Artifact::Bytes(b) => key.verify_with_hash(HashAlg::Sha256, b, &ms.signature),
            Artifact::Sha256(d) => key.verify_prehashed(HashAlg::Sha256, &d, &ms.signature),
        };
        ok.map_err(|_| {
            Error::Artifact(format!(
                "signature does not verify over the artifact (sha256 {})",
                hex::encode(digest)
            ))
        })?;
        return Ok(None);
    }
    let env = bundle
        .dsse_envelope
        .as_ref()
        .ok_or_else(|| Error::Artifact("bundle carries no signature".into()))?;
    key.verify_with_hash(HashAlg::Sha256, &env.pae(), &env.signatures[0].sig)
        .map_err(|_| {
            Error::Artifact("DSSE signature does not verify over the envelope's PAE".into())
        })?;
    if env.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(Error::Artifact(format!(
            "DSSE payload type {:?}, expected {INTOTO_PAYLOAD_TYPE:?}",
            env.payload_type
        )));
    }
    let st = Statement::from_json_without_predicate(&env.payload)?;
    let digest = hex::encode(artifact.sha256());
    if !st.has_sha256_subject(&digest) {
        return Err(Error::Artifact(format!(
            "artifact sha256 {digest} is not a subject of the in-toto statement (subjects: {})",
            st.subject
                .iter()
                .map(|s| format!(
                    "{} sha256:{}",
                    s.name,
                    s.digest.get("sha256").map(String::as_str).unwrap_or("-")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(Some(st))
}
