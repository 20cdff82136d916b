//! Offline verification of Sigstore bundles.
//!
//! The shape follows sigstore-go: a [`Verifier`] holds the deployment's trust material (parsed
//! and checked once, so keys and CA chains are cached across bundles), and each call passes the
//! bundle, the artifact and a per-call [`Policy`]. [`Verifier::verify`] runs the checks in the
//! order of the Sigstore client spec (../shared/docs/protocols.md):
//!
//! 1. signing times ([`time`]): SET-verified integrated times and RFC 3161 timestamps
//!    (threshold 1);
//! 2. the certificate path ([`chain`], RFC 5280 section 6.1): the leaf chains to a trusted
//!    Fulcio CA valid at every signing time, with the code-signing profile;
//! 3. an embedded SCT from a trusted CT log ([`sct`]);
//! 4. every transparency log entry ([`tlog`]): body consistent with the bundle, inclusion proof
//!    to a checkpoint signed under the log's own name, SET; threshold per distinct log;
//! 5. the artifact signature ([`signature`]): message digest or DSSE PAE, and the digest;
//! 6. the identity policy ([`policy`]).
//!
//! Every rejection is an [`Error`] naming the [`Rule`] it enforces.
//!
//! No function here performs network I/O, and wall-clock time is never consulted: certificate
//! validity is checked at the verified signing time.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
pub mod bench;
pub mod chain;
mod error;
mod floor;
pub mod log_entry;
pub mod managed;
mod material;
pub mod policy;
pub mod policy_file;
pub mod pypi;
pub mod report;
pub mod sct;
pub mod signature;
pub mod slsa;
pub mod time;
pub mod tlog;
pub mod vsa;
mod window;

use signet_core::bundle::Bundle;
use signet_core::encoding::sha256;
use signet_core::intoto::Statement;
use signet_core::trust::TrustedRoot;
use signet_core::x509::Certificate;

pub use error::{Error, Result, Rule};
pub use floor::SignatureCheck;
pub use managed::{ManagedKey, VerifiedKey};
pub use policy::{IdentityMatcher, Policy};

/// What was signed: the artifact bytes, or only their SHA-256 or SHA-512 digest.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact itself.
    Bytes(&'a [u8]),
    /// The SHA-256 digest of the artifact.
    Sha256([u8; 32]),
    /// The SHA-512 digest of the artifact: verifies DSSE bundles whose in-toto statement names
    /// the artifact by `sha512` (as npm's attestations do); a message signature, which signs a
    /// SHA-256 digest, cannot be checked against it.
    Sha512([u8; 64]),
}

impl Artifact<'_> {
    /// The SHA-256 digest, unless only the SHA-512 is known.
    fn sha256(&self) -> Option<[u8; 32]> {
        match self {
            Artifact::Bytes(b) => Some(sha256(b)),
            Artifact::Sha256(d) => Some(*d),
            Artifact::Sha512(_) => None,
        }
    }

    /// The in-toto subject digest to look for: (algorithm, lower-case hex).
    fn subject_digest(&self) -> (&'static str, String) {
        match self {
            Artifact::Bytes(b) => ("sha256", hex::encode(sha256(b))),
            Artifact::Sha256(d) => ("sha256", hex::encode(d)),
            Artifact::Sha512(d) => ("sha512", hex::encode(d)),
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

/// A transparency log entry a verification proved (every entry of a verified bundle is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenEntry {
    /// The log's base URL, from the trusted root.
    pub log_url: String,
    /// The log ID (the trusted root's key ID of the log).
    pub log_id: Vec<u8>,
    /// The entry's log index.
    pub log_index: i64,
    /// The integrated time (Unix seconds), when the entry has one (Rekor v2 entries do not).
    pub integrated_time: Option<i64>,
    /// Whether a verified SET signs the integrated time (only then is it a signing time).
    pub integrated_time_signed: bool,
    /// The entry's Rekor API major version: 1 or 2.
    pub rekor_version: u32,
    /// The entry body's kind and version, e.g. `hashedrekord` `0.0.1`.
    pub kind: String,
    /// The entry body's version.
    pub kind_version: String,
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
    /// The bundle's transparency log entries, each proven.
    pub log_entries: Vec<ProvenEntry>,
}

/// Deployment settings: thresholds (sigstore-go's `WithTransparencyLog(1)`,
/// `WithObserverTimestamps(1)`, `WithSignedCertificateTimestamps(1)`).
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Distinct transparency logs with a proven entry required.
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
    m: material::Material,
    thresholds: Thresholds,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("tlogs", &self.m.tlogs.len())
            .field("ctlogs", &self.m.ctlogs.len())
            .field("cas", &self.m.cas.len())
            .field("tsas", &self.m.tsas.len())
            .finish()
    }
}

impl Verifier {
    /// Build a verifier from a trusted root: parses every key, and checks every CA chain
    /// once (links, CA profile, critical extensions), so the per-bundle work is the leaf's own
    /// signature and profile. A root whose tlog, CT log, CA or TSA lacks `validFor.start` is
    /// refused.
    pub fn new(root: &TrustedRoot) -> Result<Self> {
        Self::with_thresholds(root, Thresholds::default())
    }

    /// As [`Verifier::new`] with explicit thresholds.
    pub fn with_thresholds(root: &TrustedRoot, thresholds: Thresholds) -> Result<Self> {
        Ok(Verifier {
            m: material::Material::load(root)?,
            thresholds,
        })
    }

    /// Verify `bundle` over `artifact` under `policy`, in the order of the Sigstore client
    /// specification.
    pub fn verify(
        &self,
        bundle: &Bundle,
        artifact: Artifact<'_>,
        policy: &Policy,
    ) -> Result<Verified> {
        bundle.validate()?;
        let leaf_der = bundle.leaf_certificate_der().ok_or_else(|| {
            Error::Usage("bundle is signed with a managed key (publicKey hint), not a Fulcio certificate; identity verification needs a certificate".into())
        })?;
        let leaf = Certificate::from_der(leaf_der)?;
        let signature = bundle
            .signature_bytes()
            .ok_or_else(|| Error::Artifact("bundle carries no signature".into()))?;

        // "Establish a time for the signature": SET-verified integrated times (Rekor v1) and
        // RFC 3161 timestamps; Rekor v2 entries give none.
        let mut times: Vec<(i64, TimeSource)> = vec![];
        let entry_times = time::signing_times(&self.m, bundle, signature, &mut times)?;
        if times.len() < self.thresholds.signing_times {
            let promises = bundle
                .verification_material
                .tlog_entries
                .iter()
                .filter(|e| e.inclusion_promise.is_some())
                .count();
            return Err(Error::NoSigningTime(format!(
                "found {} verified time(s), need {}; the bundle has {promises} tlog entr{} with an inclusion promise and {} RFC 3161 timestamp(s) (Rekor v2 entries give no time)",
                times.len(),
                self.thresholds.signing_times,
                if promises == 1 { "y" } else { "ies" },
                bundle.rfc3161_timestamps().len()
            )));
        }

        // "Verify the certificate path at the signing time", and the leaf's profile.
        chain::check_leaf_profile(&leaf)?;
        let issuer = chain::verify_path(&self.m.cas, &leaf, &times)?;

        // "Verify the embedded SCT".
        sct::verify_scts(&self.m, &leaf, &issuer.cert.key_hash, self.thresholds.sct)?;

        // "Verify the transparency log entries".
        let key = leaf.public_key()?;
        let log_entries = tlog::verify_entries(
            bundle,
            tlog::Signer::Certificate {
                leaf: &leaf,
                der: leaf_der,
                key: &key,
            },
            artifact.sha256().as_ref(),
            &entry_times,
            &times,
            self.thresholds.tlog,
        )?;

        // "Verify the signature over the artifact".
        let statement = signature::verify_artifact(bundle, &key, artifact)?;

        // "Verify the identity".
        policy.check(&leaf)?;

        Ok(Verified {
            certificate: leaf,
            signing_times: times,
            statement,
            log_entries,
        })
    }

    /// Check a freshly issued signing certificate as a signer does on receipt: it chains to a
    /// trusted CA valid at `at` (Unix seconds), has the code-signing profile, and carries a
    /// valid embedded SCT from a trusted CT log.
    pub fn check_leaf(&self, leaf: &Certificate, at: i64) -> Result<()> {
        chain::check_leaf_profile(leaf)?;
        let issuer = chain::verify_path(
            &self.m.cas,
            leaf,
            &[(at, TimeSource::Timestamp { tsa: "now".into() })],
        )?;
        sct::verify_scts(&self.m, leaf, &issuer.cert.key_hash, self.thresholds.sct)
    }
}
