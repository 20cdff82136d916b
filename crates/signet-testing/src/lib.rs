//! Test support for Signet: [`VirtualSigstore`], an in-process fake Sigstore deployment (after
//! sigstore-go's `pkg/testing/ca.VirtualSigstore`).
//!
//! A `VirtualSigstore` holds a Fulcio-like CA (P-384 root and intermediate), a CT log, a Rekor v1
//! log, a Rekor v2 log and an RFC 3161 TSA, all with fresh keys. It signs artifacts with
//! ephemeral P-256 keys and returns real, cryptographically valid [`Bundle`]s, and describes
//! itself as a [`TrustedRoot`] that verifies them:
//!
//! ```no_run
//! use signet_testing::{Identity, SignOptions, VirtualSigstore};
//! let vs = VirtualSigstore::new()?;
//! let opts = SignOptions::new(Identity::email("alice@example.com"), "https://issuer.example");
//! let bundle = vs.sign_message(b"hello", &opts)?;
//! let root = vs.trusted_root();
//! # let _ = (bundle, root);
//! # Ok::<(), signet_core::Error>(())
//! ```
//!
//! Nothing is random-but-fixed: every instance has new keys, so fixtures cannot go stale.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use signet_core::certs;
pub use signet_core::keys;
use signet_core::rekor::body;
pub mod fixtures;
pub mod logs;
pub mod npm;
pub mod softhsm;
pub mod tree;

use const_oid::ObjectIdentifier;
use serde_json::json;
use signet_core::bundle::{
    Bundle, HashOutput, MessageSignature, PublicKeyIdentifier, Rfc3161SignedTimestamp,
    TimestampVerificationData, TransparencyLogEntry, VerificationMaterial, X509Certificate,
    X509CertificateChain, MEDIA_TYPE_V01, MEDIA_TYPE_V02, MEDIA_TYPE_V03,
};
use signet_core::crypto::HashAlg;
use signet_core::dsse::{self, Envelope, INTOTO_PAYLOAD_TYPE};
use signet_core::encoding::{b64_encode, sha256};
use signet_core::trust::{
    CertChain, CertificateAuthority, DistinguishedName, PublicKeyDetails, TimeRange,
    TransparencyLogInstance, TrustedRoot, TRUSTED_ROOT_MEDIA_TYPE,
};
use signet_core::tsa::TimestampSigner;
use signet_core::x509::{Certificate, OID_EKU_CODE_SIGNING, OID_EKU_TIME_STAMPING};
use signet_core::{Error, Result};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
pub use x509_cert::ext::Extension;

use crate::logs::{CtLog, RekorV1Log, RekorV2Log};
use signet_core::certs::{eku_ext, ku_ext, Ca};
use signet_core::keys::{random_bytes, Curve, EcKey};

/// Re-exported so callers can pick a bundle version without importing signet-core.
pub use signet_core::bundle::BundleVersion;

/// Host of the virtual Rekor v1 log (its checkpoint signer name).
pub const REKOR_V1_HOST: &str = "rekor.virtual.sigstore.test";
/// Origin of the virtual Rekor v2 log.
pub const REKOR_V2_ORIGIN: &str = "log2025-1.rekor.virtual.sigstore.test";
/// URI of the virtual Fulcio.
pub const FULCIO_URL: &str = "https://fulcio.virtual.sigstore.test";
/// URL of the virtual CT log.
pub const CTLOG_URL: &str = "https://ctfe.virtual.sigstore.test/test";
/// URL of the virtual TSA.
pub const TSA_URL: &str = "https://timestamp.virtual.sigstore.test/api/v1/timestamp";
/// The Sigstore TSA policy OID used in timestamps.
pub const TSA_POLICY: &str = "1.3.6.1.4.1.57264.2";
/// Start of every key's and CA's validity: 2015-01-01T00:00:00Z.
pub const VALID_FROM: i64 = 1_420_070_400;
/// End of the CA certificates' validity: 2049-12-31T23:59:59Z.
pub const VALID_UNTIL: i64 = 2_524_607_999;
/// Fulcio leaf lifetime in seconds.
pub const LEAF_LIFETIME: i64 = 600;
/// Offset of the Rekor v1 shard's first entry in the global log index.
pub const REKOR_V1_SHARD_OFFSET: i64 = 1_000_000;

/// The SAN identity of a signing certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An rfc822Name (email) SAN.
    Email(String),
    /// A uniformResourceIdentifier SAN (e.g. a GitHub workflow URI).
    Uri(String),
}

impl Identity {
    /// An email identity.
    pub fn email(s: impl Into<String>) -> Self {
        Identity::Email(s.into())
    }
    /// A URI identity.
    pub fn uri(s: impl Into<String>) -> Self {
        Identity::Uri(s.into())
    }
    /// The identity string.
    pub fn value(&self) -> &str {
        match self {
            Identity::Email(s) | Identity::Uri(s) => s,
        }
    }
}

/// Which transparency log records the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RekorVersion {
    /// Rekor v1: hashedrekord/dsse 0.0.1, integrated time, SET, ECDSA checkpoint.
    V1,
    /// Rekor v2: hashedrekord/dsse 0.0.2, no integrated time or SET, Ed25519 checkpoint.
    V2,
}

/// How a DSSE signature is logged (despite the name, in either Rekor version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsseV2Entry {
    /// A dsse entry (0.0.1 in Rekor v1, 0.0.2 in Rekor v2).
    Dsse,
    /// A hashedrekord entry over the SHA-256 of the PAE (0.0.1 in Rekor v1, 0.0.2 in Rekor v2),
    /// as new clients do.
    HashedRekordOverPae,
}

/// Options of one signing operation.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// The certificate's SAN.
    pub identity: Identity,
    /// The OIDC issuer (extensions 1.3.6.1.4.1.57264.1.1 and .8).
    pub issuer: String,
    /// Extra Fulcio extensions `(N, value)` for 1.3.6.1.4.1.57264.1.N: N in 2..=6 raw UTF-8,
    /// N >= 9 DER UTF8String. (.1, .7 and .8 are reserved.)
    pub extensions: Vec<(u32, String)>,
    /// Signing time (Unix seconds): the certificate's notBefore, the SCT time, the Rekor v1
    /// integrated time and the TSA genTime unless overridden below.
    pub signing_time: i64,
    /// Override of the certificate's notBefore (its notAfter is 10 minutes later).
    pub cert_not_before: Option<i64>,
    /// Override of the Rekor v1 integrated time.
    pub integrated_time: Option<i64>,
    /// Override of the RFC 3161 genTime.
    pub timestamp_time: Option<i64>,
    /// Which Rekor logs the entry.
    pub rekor: RekorVersion,
    /// Whether to add an RFC 3161 timestamp over the signature.
    pub timestamp: bool,
    /// Bundle format version (v0.3 by default; v0.1 and v0.2 carry the full chain).
    pub bundle_version: BundleVersion,
    /// How DSSE signatures are logged in Rekor v2.
    pub dsse_v2_entry: DsseV2Entry,
    /// Have the SCT signed by a CT log that is not in the trusted root.
    pub sct_from_untrusted_log: bool,
    /// Extensions added to the leaf (and its precertificate, so the SCT still verifies).
    pub leaf_extensions: Vec<Extension>,
    /// Name this algorithm in the leaf's TBS `signature` field (the outer one stays the CA's).
    pub leaf_tbs_signature_algorithm: Option<ObjectIdentifier>,
    /// Issue the leaf from the Fulcio root directly (as early public-good certificates were).
    pub issue_from_root: bool,
    /// Change the Rekor entry body (JSON) before it is logged; the log then signs it validly.
    pub body_hook: Option<fn(&mut serde_json::Value)>,
    /// Change the bundle's tlog entry after logging (for fields no log signature covers).
    pub entry_hook: Option<fn(&mut TransparencyLogEntry)>,
    /// Rekor v2: also attach an SET (signed by the v2 log's key) with this integrated time.
    pub v2_set_time: Option<i64>,
    /// Sign the checkpoint under this `(origin, signer name)` instead of the log's own.
    pub checkpoint_origin: Option<(String, String)>,
    /// Put this value in the legacy issuer extension .1 instead of `issuer`.
    pub legacy_issuer: Option<String>,
    /// Declare these TLS (hash, signature) algorithms in the SCT (default 4 = SHA-256, 3 =
    /// ECDSA); the signature itself is unchanged.
    pub sct_declared_algorithms: Option<(u8, u8)>,
    /// Sign with this managed key instead of a Fulcio certificate: the bundle carries a
    /// `publicKey` hint (base64 SHA-256 of the key's SPKI) and the log entry records the key.
    pub managed_key: Option<std::sync::Arc<EcKey>>,
    /// The `publicKey` hint a managed-key bundle names its key by, instead of the base64
    /// SHA-256 of its SPKI (npm's registry names keys `SHA256:...`).
    pub key_hint: Option<String>,
}

/// Current Unix time in seconds (0 if the clock is before 1970).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl SignOptions {
    /// Defaults: signing time now, Rekor v1, no timestamp, bundle v0.3, no extra extensions.
    pub fn new(identity: Identity, issuer: impl Into<String>) -> Self {
        SignOptions {
            identity,
            issuer: issuer.into(),
            extensions: vec![],
            signing_time: now(),
            cert_not_before: None,
            integrated_time: None,
            timestamp_time: None,
            rekor: RekorVersion::V1,
            timestamp: false,
            bundle_version: BundleVersion::V03,
            dsse_v2_entry: DsseV2Entry::Dsse,
            sct_from_untrusted_log: false,
            leaf_extensions: vec![],
            leaf_tbs_signature_algorithm: None,
            issue_from_root: false,
            body_hook: None,
            entry_hook: None,
            v2_set_time: None,
            checkpoint_origin: None,
            legacy_issuer: None,
            sct_declared_algorithms: None,
            managed_key: None,
            key_hint: None,
        }
    }

    /// Sign with a managed key (see [`SignOptions::managed_key`]).
    pub fn managed_key(mut self, key: std::sync::Arc<EcKey>) -> Self {
        self.managed_key = Some(key);
        self
    }
    /// Set the signing time.
    pub fn at(mut self, t: i64) -> Self {
        self.signing_time = t;
        self
    }
    /// Choose the Rekor version.
    pub fn rekor(mut self, v: RekorVersion) -> Self {
        self.rekor = v;
        self
    }
    /// Rekor v2 plus an RFC 3161 timestamp (what a Rekor v2 deployment needs).
    pub fn rekor_v2_with_tsa(self) -> Self {
        self.rekor(RekorVersion::V2).with_timestamp(true)
    }
    /// Add (or not) an RFC 3161 timestamp.
    pub fn with_timestamp(mut self, yes: bool) -> Self {
        self.timestamp = yes;
        self
    }
    /// Choose the bundle version.
    pub fn bundle_version(mut self, v: BundleVersion) -> Self {
        self.bundle_version = v;
        self
    }
    /// Add Fulcio extension `1.3.6.1.4.1.57264.1.n`.
    pub fn extension(mut self, n: u32, value: impl Into<String>) -> Self {
        self.extensions.push((n, value.into()));
        self
    }
    /// Override the certificate's notBefore.
    pub fn cert_not_before(mut self, t: i64) -> Self {
        self.cert_not_before = Some(t);
        self
    }
    /// Choose how DSSE is logged in Rekor v2.
    pub fn dsse_v2_entry(mut self, e: DsseV2Entry) -> Self {
        self.dsse_v2_entry = e;
        self
    }
}

pub use signet_core::certs::IssuedLeaf;

/// An in-process fake Sigstore deployment. See the crate documentation.
#[derive(Debug)]
pub struct VirtualSigstore {
    fulcio_root: Ca,
    fulcio_intermediate: Ca,
    ctlog: CtLog,
    rogue_ctlog: CtLog,
    rekor_v1: RekorV1Log,
    rekor_v2: RekorV2Log,
    tsa_root: Ca,
    tsa_leaf_der: Vec<u8>,
    tsa: TimestampSigner,
}

fn canonical_json(v: &serde_json::Value) -> Result<Vec<u8>> {
    serde_json_canonicalizer::to_vec(v).map_err(|source| Error::Json {
        what: "canonical entry body",
        source,
    })
}

/// How the virtual Fulcio's CA certificates are made (default: as Fulcio's). Tests use it to
/// build CA chains a verifier must reject; everything else stays validly signed.
#[derive(Debug, Clone, Default)]
pub struct CaProfile {
    /// The root's extensions (its SKI is added); default KU keyCertSign|cRLSign, BC CA.
    pub root_extensions: Option<Vec<Extension>>,
    /// The intermediate's extensions (SKI and AKI are added); default KU keyCertSign|cRLSign,
    /// BC CA pathLen 0, EKU codeSigning.
    pub intermediate_extensions: Option<Vec<Extension>>,
    /// The intermediate certificate's validity (default that of the root).
    pub intermediate_validity: Option<(i64, i64)>,
}

impl VirtualSigstore {
    /// A new deployment with fresh keys for every component.
    pub fn new() -> Result<Self> {
        Self::with_ca_profile(CaProfile::default())
    }

    /// A new deployment whose Fulcio CA certificates follow `profile`.
    pub fn with_ca_profile(profile: CaProfile) -> Result<Self> {
        let validity = (VALID_FROM, VALID_UNTIL);
        let root_key = EcKey::generate(Curve::P384)?;
        let root_dn = "CN=virtual-sigstore,O=sigstore.dev";
        let fulcio_root = match profile.root_extensions {
            None => Ca::root(root_key, root_dn, validity)?,
            Some(exts) => Ca::root_with_extensions(root_key, root_dn, validity, exts)?,
        };
        let int_key = EcKey::generate(Curve::P384)?;
        let int_dn = "CN=virtual-sigstore-intermediate,O=sigstore.dev";
        let int_validity = profile.intermediate_validity.unwrap_or(validity);
        let fulcio_intermediate = match profile.intermediate_extensions {
            None => fulcio_root.intermediate(
                int_key,
                int_dn,
                int_validity,
                Some(vec![OID_EKU_CODE_SIGNING]),
            )?,
            Some(exts) => fulcio_root.subordinate(int_key, int_dn, int_validity, exts)?,
        };
        let tsa_root = Ca::root(
            EcKey::generate(Curve::P384)?,
            "CN=virtual-sigstore-tsa-root,O=sigstore.dev",
            validity,
        )?;
        let tsa_key = EcKey::generate(Curve::P256)?;
        let tsa_leaf_der = tsa_root.end_entity(
            &tsa_key,
            "CN=virtual-sigstore-tsa,O=sigstore.dev",
            validity,
            vec![
                ku_ext(KeyUsage(KeyUsages::DigitalSignature.into()))?,
                eku_ext(vec![OID_EKU_TIME_STAMPING], true)?,
            ],
        )?;
        let tsa = TimestampSigner::new(
            tsa_key.pkcs8_der(),
            vec![tsa_leaf_der.clone(), tsa_root.cert_der.clone()],
        )?;
        Ok(VirtualSigstore {
            fulcio_root,
            fulcio_intermediate,
            ctlog: CtLog::new()?,
            rogue_ctlog: CtLog::new()?,
            rekor_v1: RekorV1Log::new(REKOR_V1_HOST, REKOR_V1_SHARD_OFFSET)?,
            rekor_v2: RekorV2Log::new(REKOR_V2_ORIGIN)?,
            tsa_root,
            tsa_leaf_der,
            tsa,
        })
    }

    /// The Fulcio chain, DER: intermediate, then root.
    pub fn fulcio_chain_der(&self) -> Vec<Vec<u8>> {
        vec![
            self.fulcio_intermediate.cert_der.clone(),
            self.fulcio_root.cert_der.clone(),
        ]
    }

    /// The TSA chain, DER: leaf, then root.
    pub fn tsa_chain_der(&self) -> Vec<Vec<u8>> {
        vec![self.tsa_leaf_der.clone(), self.tsa_root.cert_der.clone()]
    }

    /// The Rekor v1 log.
    pub fn rekor_v1(&self) -> &RekorV1Log {
        &self.rekor_v1
    }

    /// The Rekor v2 log.
    pub fn rekor_v2(&self) -> &RekorV2Log {
        &self.rekor_v2
    }

    /// The (trusted) CT log.
    pub fn ctlog(&self) -> &CtLog {
        &self.ctlog
    }

    /// The trusted root describing this deployment: both Rekor logs, the CT log, the Fulcio CA
    /// and the TSA, all valid from [`VALID_FROM`] with open end.
    pub fn trusted_root(&self) -> TrustedRoot {
        let valid_for = || TimeRange {
            start: Some(signet_core::time::format_rfc3339(VALID_FROM)),
            end: None,
        };
        let log = |url: &str, spki: Vec<u8>, details: &str, id: &[u8]| TransparencyLogInstance {
            base_url: url.to_string(),
            hash_algorithm: "SHA2_256".into(),
            public_key: PublicKeyDetails {
                raw_bytes: Some(spki),
                key_details: details.into(),
                valid_for: Some(valid_for()),
            },
            log_id: signet_core::bundle::LogId {
                key_id: id.to_vec(),
            },
            checkpoint_key_id: None,
            operator: None,
        };
        let chain = |certs: Vec<Vec<u8>>| CertChain {
            certificates: certs
                .into_iter()
                .map(|raw_bytes| X509Certificate { raw_bytes })
                .collect(),
        };
        TrustedRoot {
            media_type: TRUSTED_ROOT_MEDIA_TYPE.into(),
            tlogs: vec![
                log(
                    &format!("https://{REKOR_V1_HOST}"),
                    self.rekor_v1.spki_der().to_vec(),
                    "PKIX_ECDSA_P256_SHA_256",
                    self.rekor_v1.log_id(),
                ),
                log(
                    &format!("https://{REKOR_V2_ORIGIN}"),
                    self.rekor_v2.spki_der(),
                    "PKIX_ED25519",
                    self.rekor_v2.log_id(),
                ),
            ],
            certificate_authorities: vec![CertificateAuthority {
                subject: DistinguishedName {
                    organization: "sigstore.dev".into(),
                    common_name: "virtual-sigstore".into(),
                },
                uri: FULCIO_URL.into(),
                cert_chain: chain(self.fulcio_chain_der()),
                valid_for: valid_for(),
                operator: None,
            }],
            ctlogs: vec![log(
                CTLOG_URL,
                self.ctlog.spki_der().to_vec(),
                "PKIX_ECDSA_P256_SHA_256",
                self.ctlog.log_id(),
            )],
            timestamp_authorities: vec![CertificateAuthority {
                subject: DistinguishedName {
                    organization: "sigstore.dev".into(),
                    common_name: "virtual-sigstore-tsa".into(),
                },
                uri: TSA_URL.into(),
                cert_chain: chain(self.tsa_chain_der()),
                valid_for: valid_for(),
                operator: None,
            }],
        }
    }

    /// The trusted root as JSON.
    pub fn trusted_root_json(&self) -> Result<String> {
        self.trusted_root().to_json_pretty()
    }

    /// Issue a Fulcio-profile leaf for `subject_spki_der` (the leaf's key), valid for 10 minutes
    /// from `opts.cert_not_before` (default `opts.signing_time`), with an embedded SCT.
    pub fn issue_certificate(
        &self,
        subject_spki_der: &[u8],
        opts: &SignOptions,
    ) -> Result<IssuedLeaf> {
        let san = match &opts.identity {
            Identity::Email(s) => signet_core::x509::SanIdentity::Email(s.clone()),
            Identity::Uri(s) => signet_core::x509::SanIdentity::Uri(s.clone()),
        };
        let not_before = opts.cert_not_before.unwrap_or(opts.signing_time);
        let spec = certs::LeafSpec {
            spki_der: subject_spki_der,
            san: &san,
            issuer: &opts.issuer,
            extensions: &opts.extensions,
            not_before,
            lifetime: LEAF_LIFETIME,
            extra_extensions: &opts.leaf_extensions,
            tbs_signature_algorithm: opts.leaf_tbs_signature_algorithm,
            legacy_issuer: opts.legacy_issuer.as_deref(),
        };
        let log = if opts.sct_from_untrusted_log {
            &self.rogue_ctlog
        } else {
            &self.ctlog
        };
        let ca = if opts.issue_from_root {
            &self.fulcio_root
        } else {
            &self.fulcio_intermediate
        };
        certs::issue_fulcio_leaf(ca, &spec, |_, tbs, issuer_key_hash| {
            let ts_ms = u64::try_from(not_before)
                .map_err(|_| Error::invalid("SignOptions", "negative certificate time"))?
                * 1000;
            let mut sct = log.sign_precert(ts_ms, issuer_key_hash, tbs)?;
            if let Some((hash, sig)) = opts.sct_declared_algorithms {
                sct.hash_alg = hash;
                sct.sig_alg = sig;
            }
            Ok(vec![sct])
        })
    }

    /// An RFC 3161 response (DER TimeStampResp) from the virtual TSA over `signature`
    /// (message imprint SHA-256 of it), with genTime `gen_time`, and the chain embedded.
    pub fn timestamp(&self, signature: &[u8], gen_time: i64) -> Result<Vec<u8>> {
        let nonce = random_bytes::<8>()?;
        let mut serial = random_bytes::<16>()?;
        serial[0] |= 1;
        self.tsa.sign(
            HashAlg::Sha256,
            &sha256(signature),
            Some(&nonce),
            true,
            gen_time,
            &serial,
            TSA_POLICY,
        )
    }

    fn check_opts(opts: &SignOptions) -> Result<()> {
        if opts.bundle_version == BundleVersion::V01 && opts.rekor == RekorVersion::V2 {
            return Err(Error::invalid(
                "SignOptions",
                "bundle v0.1 requires an inclusion promise (SET), which Rekor v2 does not give; use v0.2 or v0.3",
            ));
        }
        Ok(())
    }

    /// Sign `artifact` (ECDSA P-256 SHA-256 with an ephemeral key) and log it as hashedrekord.
    pub fn sign_message(&self, artifact: &[u8], opts: &SignOptions) -> Result<Bundle> {
        Self::check_opts(opts)?;
        let (key, leaf) = self.signer(opts)?;
        let signature = key.sign(artifact)?;
        let digest = sha256(artifact);
        let body = match opts.rekor {
            RekorVersion::V1 => hashedrekord_v1(&digest, &signature, &leaf)?,
            RekorVersion::V2 => hashedrekord_v2(&digest, &signature, &leaf),
        };
        let entry = self.log(body, "hashedrekord", opts)?;
        let content = Content::Message(MessageSignature {
            message_digest: Some(HashOutput {
                algorithm: "SHA2_256".into(),
                digest: digest.to_vec(),
            }),
            signature: signature.clone(),
        });
        self.assemble(opts, &leaf, content, entry, &signature)
    }

    /// Sign a DSSE envelope over `payload` (ECDSA over the PAE) and log it: dsse 0.0.1 in
    /// Rekor v1; dsse 0.0.2 (or hashedrekord 0.0.2 over the PAE) in Rekor v2.
    pub fn sign_dsse(
        &self,
        payload_type: &str,
        payload: &[u8],
        opts: &SignOptions,
    ) -> Result<Bundle> {
        Self::check_opts(opts)?;
        let (key, leaf) = self.signer(opts)?;
        let pae = dsse::pae(payload_type, payload);
        let signature = key.sign(&pae)?;
        let envelope = Envelope {
            payload: payload.to_vec(),
            payload_type: payload_type.to_string(),
            signatures: vec![dsse::Signature {
                sig: signature.clone(),
                keyid: String::new(),
            }],
        };
        let (body, kind) = match (opts.rekor, opts.dsse_v2_entry) {
            (RekorVersion::V1, DsseV2Entry::HashedRekordOverPae) => (
                hashedrekord_v1(&sha256(&pae), &signature, &leaf)?,
                "hashedrekord",
            ),
            (RekorVersion::V1, DsseV2Entry::Dsse) => {
                let env_json = canonical_json(&json!({
                    "payload": b64_encode(payload),
                    "payloadType": payload_type,
                    "signatures": [{"sig": b64_encode(&signature)}],
                }))?;
                let body = body::dsse_v001(
                    &sha256(&env_json),
                    &sha256(payload),
                    &[(&signature, leaf.pem()?.as_bytes())],
                );
                (body, "dsse")
            }
            (RekorVersion::V2, DsseV2Entry::Dsse) => (
                body::dsse_v002(&sha256(payload), &[(&signature, &v2_verifier(&leaf))]),
                "dsse",
            ),
            (RekorVersion::V2, DsseV2Entry::HashedRekordOverPae) => (
                hashedrekord_v2(&sha256(&pae), &signature, &leaf),
                "hashedrekord",
            ),
        };
        let entry = self.log(body, kind, opts)?;
        self.assemble(opts, &leaf, Content::Dsse(envelope), entry, &signature)
    }

    /// Sign an in-toto Statement v1 whose single subject is `name` with the SHA-256 of
    /// `artifact` (see [`intoto_statement`]).
    pub fn sign_intoto(&self, name: &str, artifact: &[u8], opts: &SignOptions) -> Result<Bundle> {
        self.sign_dsse(
            INTOTO_PAYLOAD_TYPE,
            &intoto_statement(name, artifact)?,
            opts,
        )
    }

    /// Log `body` as a `kind` entry in the Rekor log `opts.rekor` names (v1 as 0.0.1, v2 as
    /// 0.0.2), with `opts`' hooks, integrated time, checkpoint origin and v2 SET time.
    fn log(
        &self,
        body: serde_json::Value,
        kind: &str,
        opts: &SignOptions,
    ) -> Result<TransparencyLogEntry> {
        let origin = opts.checkpoint_origin.as_ref();
        with_hooks(body, opts, |body| match opts.rekor {
            RekorVersion::V1 => {
                let integrated_time = opts.integrated_time.unwrap_or(opts.signing_time);
                self.rekor_v1
                    .append_with(body, kind, "0.0.1", integrated_time, origin)
            }
            RekorVersion::V2 => {
                self.rekor_v2
                    .append_with(body, kind, "0.0.2", origin, opts.v2_set_time)
            }
        })
    }

    /// The signing key and what the bundle names it by: a fresh key and its Fulcio leaf, or
    /// the managed key of `opts`.
    fn signer(&self, opts: &SignOptions) -> Result<(std::sync::Arc<EcKey>, SignerMaterial)> {
        if let Some(k) = &opts.managed_key {
            return Ok((k.clone(), SignerMaterial::Key(k.spki_der().to_vec())));
        }
        let key = EcKey::generate(Curve::P256)?;
        let leaf = self.issue_certificate(key.spki_der(), opts)?;
        Ok((std::sync::Arc::new(key), SignerMaterial::Leaf(leaf)))
    }

    fn assemble(
        &self,
        opts: &SignOptions,
        signer: &SignerMaterial,
        content: Content,
        entry: TransparencyLogEntry,
        signature: &[u8],
    ) -> Result<Bundle> {
        let leaf = match signer {
            SignerMaterial::Leaf(l) => Some(l),
            SignerMaterial::Key(_) => None,
        };
        let (media_type, certificate, chain) = match (opts.bundle_version, leaf) {
            (BundleVersion::V03, None) => (MEDIA_TYPE_V03, None, None),
            (v, None) => (
                if v == BundleVersion::V01 {
                    MEDIA_TYPE_V01
                } else {
                    MEDIA_TYPE_V02
                },
                None,
                None,
            ),
            (bv, Some(leaf)) => match bv {
                BundleVersion::V03 => (
                    MEDIA_TYPE_V03,
                    Some(X509Certificate {
                        raw_bytes: leaf.der.clone(),
                    }),
                    None,
                ),
                v => (
                    if v == BundleVersion::V01 {
                        MEDIA_TYPE_V01
                    } else {
                        MEDIA_TYPE_V02
                    },
                    None,
                    Some(X509CertificateChain {
                        certificates: [leaf.der.clone()]
                            .into_iter()
                            .chain(self.fulcio_chain_der())
                            .map(|raw_bytes| X509Certificate { raw_bytes })
                            .collect(),
                    }),
                ),
            },
        };
        let public_key = match signer {
            SignerMaterial::Key(spki) => Some(PublicKeyIdentifier {
                hint: opts
                    .key_hint
                    .clone()
                    .unwrap_or_else(|| b64_encode(sha256(spki))),
            }),
            SignerMaterial::Leaf(_) => None,
        };
        let timestamp_verification_data = if opts.timestamp {
            Some(TimestampVerificationData {
                rfc3161_timestamps: vec![Rfc3161SignedTimestamp {
                    signed_timestamp: self
                        .timestamp(signature, opts.timestamp_time.unwrap_or(opts.signing_time))?,
                }],
            })
        } else {
            None
        };
        let (message_signature, dsse_envelope) = match content {
            Content::Message(m) => (Some(m), None),
            Content::Dsse(e) => (None, Some(e)),
        };
        let bundle = Bundle {
            media_type: media_type.into(),
            verification_material: VerificationMaterial {
                certificate,
                x509_certificate_chain: chain,
                public_key,
                tlog_entries: vec![entry],
                timestamp_verification_data,
            },
            message_signature,
            dsse_envelope,
        };
        bundle.validate()?;
        Ok(bundle)
    }
}

enum Content {
    Message(MessageSignature),
    Dsse(Envelope),
}

/// What a bundle and its log entry name the signer by.
enum SignerMaterial {
    /// A Fulcio leaf.
    Leaf(IssuedLeaf),
    /// A managed key's SPKI DER.
    Key(Vec<u8>),
}

impl SignerMaterial {
    /// The PEM a Rekor v1 body records: the certificate, or the public key.
    fn pem(&self) -> Result<String> {
        Ok(match self {
            SignerMaterial::Leaf(l) => Certificate::from_der(&l.der)?.to_pem(),
            SignerMaterial::Key(spki) => signet_core::encoding::pem_encode("PUBLIC KEY", spki),
        })
    }
}

/// The Rekor v2 verifier of the signer.
fn v2_verifier(signer: &SignerMaterial) -> serde_json::Value {
    let key_details = body::P256_KEY_DETAILS;
    match signer {
        SignerMaterial::Leaf(l) => body::V2Verifier::Certificate {
            der: &l.der,
            key_details,
        },
        SignerMaterial::Key(spki) => body::V2Verifier::PublicKey { spki, key_details },
    }
    .to_json()
}

/// A Rekor v1 hashedrekord 0.0.1 body over a SHA-256 digest.
fn hashedrekord_v1(
    digest: &[u8],
    signature: &[u8],
    signer: &SignerMaterial,
) -> Result<serde_json::Value> {
    Ok(body::hashedrekord_v001(
        digest,
        signature,
        signer.pem()?.as_bytes(),
    ))
}

fn hashedrekord_v2(digest: &[u8], signature: &[u8], signer: &SignerMaterial) -> serde_json::Value {
    body::hashedrekord_v002(digest, signature, &v2_verifier(signer))
}

/// An in-toto Statement v1 (JSON bytes) with one subject `name` whose sha256 is the artifact's,
/// and an empty SLSA provenance v1 predicate.
pub fn intoto_statement(name: &str, artifact: &[u8]) -> Result<Vec<u8>> {
    signet_core::intoto::Statement::about(
        name,
        sha256(artifact),
        "https://slsa.dev/provenance/v1",
        Some(json!({"buildDefinition": {"buildType": "https://virtual.sigstore.test/build/v1"}})),
    )
    .to_json()
}

/// A bundle's Rekor v1 entry as the log's API returns it (`GET /api/v1/log/entries/{uuid}`'s
/// value; the inverse of `LogEntry::to_tlog_entry`), and its UUID (the leaf hash, hex).
pub fn rekor_v1_api_entry(t: &TransparencyLogEntry) -> Result<(String, serde_json::Value)> {
    let p = t
        .inclusion_proof
        .as_ref()
        .ok_or_else(|| Error::invalid("tlog entry", "no inclusion proof"))?;
    let set = t
        .inclusion_promise
        .as_ref()
        .ok_or_else(|| Error::invalid("tlog entry", "no inclusion promise"))?;
    let uuid = hex::encode(signet_core::merkle::leaf_hash(&t.canonicalized_body));
    let e = json!({
        "body": b64_encode(&t.canonicalized_body),
        "integratedTime": t.integrated_time,
        "logID": hex::encode(&t.log_id.key_id),
        "logIndex": t.log_index,
        "verification": {
            "signedEntryTimestamp": b64_encode(&set.signed_entry_timestamp),
            "inclusionProof": {
                "logIndex": p.log_index,
                "rootHash": hex::encode(&p.root_hash),
                "treeSize": p.tree_size,
                "hashes": p.hashes.iter().map(hex::encode).collect::<Vec<_>>(),
                "checkpoint": p.checkpoint.envelope,
            }
        }
    });
    Ok((uuid, e))
}

/// Log `body` through `append` (which takes its canonical JSON), with `opts`' body hook applied
/// before and its entry hook after.
fn with_hooks(
    mut body: serde_json::Value,
    opts: &SignOptions,
    append: impl FnOnce(Vec<u8>) -> Result<TransparencyLogEntry>,
) -> Result<TransparencyLogEntry> {
    if let Some(hook) = opts.body_hook {
        hook(&mut body);
    }
    let mut e = append(canonical_json(&body)?)?;
    if let Some(hook) = opts.entry_hook {
        hook(&mut e);
    }
    Ok(e)
}
