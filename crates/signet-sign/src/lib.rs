//! Keyless signing, as sigstore-python's `SigningContext` does it: an ephemeral P-256 key, a
//! short-lived certificate from the CA for an OIDC identity (SCT checked on receipt), the
//! signature, a transparency log entry (Rekor v1 or v2), an RFC 3161 timestamp where the
//! signing config names a TSA, and a bundle v0.3 verified before it is returned. Signing with
//! a managed (self-held) P-256 key skips the CA: the bundle names the key by hint and the log
//! records the public key.
//!
//! Network access happens only here (and in `identity`), through a blocking `reqwest` client
//! with rustls; services come from the SigningConfig, trust from the TrustedRoot.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod files;
pub mod identity;
pub mod log_reader;
pub mod pep740;
pub mod pypi_audit;
pub mod pypi_index;
pub mod rekor_v1;
pub mod slsa;
pub mod tiles;

use der::asn1::BitString;
use der::{Decode, Encode};
use serde_json::{json, Value};
use signet_core::bundle::{
    Bundle, HashOutput, MessageSignature, PublicKeyIdentifier, Rfc3161SignedTimestamp,
    TimestampVerificationData, TransparencyLogEntry, VerificationMaterial, X509Certificate,
    MEDIA_TYPE_V03,
};
use signet_core::crypto::{HashAlg, PublicKey};
use signet_core::dsse::{Envelope, Signature, INTOTO_PAYLOAD_TYPE};
use signet_core::encoding::{b64_encode, sha256};
use signet_core::keys::{Curve, EcKey};
use signet_core::rekor::body;
use signet_core::trust::{ClientTrustConfig, Service, SigningConfig, TrustedRoot};
use signet_core::x509::Certificate;
use signet_verify::{Artifact, ManagedKey, Policy, Verifier};

/// Errors of the signing flow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A service answered with an error or could not be reached.
    #[error("{service} ({url}): {message}")]
    Service {
        /// Which service (CA, Rekor, TSA, OIDC).
        service: &'static str,
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// The signing config has no usable service of a kind.
    #[error("signing config: {0}")]
    Config(String),
    /// A local input file cannot be read.
    #[error("reading {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A distribution that is not a valid sdist or wheel, or a remote one without an index.
    #[error(transparent)]
    Distribution(#[from] signet_verify::pypi::Error),
    /// A format or crypto error.
    #[error(transparent)]
    Core(#[from] signet_core::Error),
    /// The result did not verify (the instance or the trust material is inconsistent).
    #[error("verification after signing failed: {0}")]
    Verify(#[from] signet_verify::Error),
    /// No identity token.
    #[error("identity: {0}")]
    Identity(String),
    /// No token was given or found and none can be asked for: what to pass instead.
    #[error("{0}")]
    NoToken(String),
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which Rekor API to log to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RekorVersion {
    /// Rekor v1 (REST, SET + proof).
    V1,
    /// Rekor v2 (tiles; needs a TSA for the signing time).
    V2,
}

impl RekorVersion {
    /// `--rekor-version 1|2`; anything else is no choice (the newest offered).
    pub fn from_flag(flag: Option<&str>) -> Option<Self> {
        match flag {
            Some("1") => Some(RekorVersion::V1),
            Some("2") => Some(RekorVersion::V2),
            _ => None,
        }
    }
}

/// A signing context: trust material, selected services, an HTTP client.
pub struct SigningContext {
    trusted_root: TrustedRoot,
    ca_url: String,
    rekor_url: String,
    rekor_version: RekorVersion,
    tsa_urls: Vec<String>,
    http: signet_http::Http,
    verifier: Verifier,
}

use signet_core::time::unix_now as now;

fn valid_now(s: &Service) -> bool {
    s.valid_for.contains(now()).unwrap_or(false)
}

/// What the signer gets back.
pub struct Signed {
    /// The bundle.
    pub bundle: Bundle,
    /// The signing certificate.
    pub certificate: Certificate,
}

impl Signed {
    /// A keyless signing's result: the certificate must have been issued.
    fn keyless((bundle, cert): (Bundle, Option<Certificate>)) -> Result<Self> {
        let certificate = cert.ok_or_else(|| Error::Identity("no certificate issued".into()))?;
        Ok(Signed {
            bundle,
            certificate,
        })
    }
}

impl SigningContext {
    /// Build from a ClientTrustConfig, picking services from its signing config. With
    /// `rekor_version` None, the highest Rekor API version the signing config offers is used,
    /// as sigstore-python 4.x does.
    pub fn new(cfg: &ClientTrustConfig, rekor_version: Option<RekorVersion>) -> Result<Self> {
        Self::from_parts(&cfg.trusted_root, &cfg.signing_config, rekor_version)
    }

    /// Build from a trusted root and signing config.
    pub fn from_parts(
        root: &TrustedRoot,
        sc: &SigningConfig,
        rekor_version: Option<RekorVersion>,
    ) -> Result<Self> {
        let ca = sc
            .ca_urls
            .iter()
            .find(|s| valid_now(s))
            .ok_or_else(|| Error::Config("no CA URL valid now".into()))?;
        let pick = |v: u32| {
            sc.rekor_tlog_urls
                .iter()
                .find(|s| valid_now(s) && s.major_api_version == v)
        };
        let (rekor, version) = match rekor_version {
            Some(RekorVersion::V1) => (
                pick(1)
                    .ok_or_else(|| Error::Config("no Rekor v1 URL in the signing config".into()))?,
                RekorVersion::V1,
            ),
            Some(RekorVersion::V2) => (
                pick(2)
                    .ok_or_else(|| Error::Config("no Rekor v2 URL in the signing config".into()))?,
                RekorVersion::V2,
            ),
            None => match (pick(2), pick(1)) {
                (Some(s), _) => (s, RekorVersion::V2),
                (None, Some(s)) => (s, RekorVersion::V1),
                (None, None) => return Err(Error::Config("no Rekor URL valid now".into())),
            },
        };
        let tsa_urls: Vec<String> = sc
            .tsa_urls
            .iter()
            .filter(|s| valid_now(s))
            .map(|s| s.url.clone())
            .collect();
        if version == RekorVersion::V2 && tsa_urls.is_empty() {
            return Err(Error::Config(
                "Rekor v2 gives no signing time: the signing config must name a TSA".into(),
            ));
        }
        Ok(SigningContext {
            trusted_root: root.clone(),
            ca_url: ca.url.trim_end_matches('/').to_string(),
            rekor_url: rekor.url.trim_end_matches('/').to_string(),
            rekor_version: version,
            tsa_urls,
            http: signet_http::Http::new()
                .map_err(|e| Error::Config(format!("HTTP client: {e}")))?,
            verifier: Verifier::new(root)?,
        })
    }

    /// The trusted root in use.
    pub fn trusted_root(&self) -> &TrustedRoot {
        &self.trusted_root
    }

    fn post_json(&self, service: &'static str, url: &str, body: &Value) -> Result<Value> {
        self.http
            .post_json(url, body)
            .map_err(|e| service_error(service, e))
    }

    /// Get a signing certificate for `key` from the CA.
    fn certificate(&self, token: &str, key: &EcKey) -> Result<Certificate> {
        let url = format!("{}/api/v2/signingCert", self.ca_url);
        let csr = build_csr(key)?;
        let csr_pem = signet_core::encoding::pem_encode("CERTIFICATE REQUEST", &csr);
        let v = self.post_json(
            "CA",
            &url,
            &json!({"credentials": {"oidcIdentityToken": token}, "certificateSigningRequest": b64_encode(csr_pem)}),
        )?;
        let ca_error = |message: &str| Error::Service {
            service: "CA",
            url: url.clone(),
            message: message.into(),
        };
        let chain = v
            .pointer("/signedCertificateEmbeddedSct/chain/certificates")
            .and_then(Value::as_array)
            .ok_or_else(|| ca_error("response has no signedCertificateEmbeddedSct.chain"))?;
        let leaf_pem = chain
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| ca_error("empty chain"))?;
        let leaf = Certificate::from_pem(leaf_pem)?;
        if leaf.spki_der() != key.spki_der() {
            return Err(ca_error("the certificate is for another key"));
        }
        // SCT and chain checked on receipt, before anything is signed with the key.
        self.verifier.check_leaf(&leaf, now())?;
        Ok(leaf)
    }

    fn timestamp(&self, signature: &[u8]) -> Result<Vec<Rfc3161SignedTimestamp>> {
        // One timestamp satisfies the verification threshold: use the first TSA.
        let mut out = vec![];
        if let Some(url) = self.tsa_urls.first() {
            let nonce = signet_core::keys::random_bytes::<8>()?;
            let req = signet_core::tsa::build_timestamp_request(
                HashAlg::Sha256,
                &sha256(signature),
                Some(&nonce),
                true,
            )?;
            let err = |m: String| Error::Service {
                service: "TSA",
                url: url.clone(),
                message: m,
            };
            let req = self
                .http
                .client()
                .post(url)
                .header("Content-Type", "application/timestamp-query")
                .body(req);
            let (status, body) = self
                .http
                .exchange(url, req, 1 << 20)
                .map_err(|e| service_error("TSA", e))?;
            if !(200..300).contains(&status) {
                return Err(err(format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                )));
            }
            let tok = signet_core::tsa::parse_timestamp_response(&body)?;
            let nonce_trim: Vec<u8> = nonce.iter().copied().skip_while(|b| *b == 0).collect();
            if tok.nonce() != Some(&nonce_trim[..]) {
                return Err(err("the response does not echo our nonce".into()));
            }
            out.push(Rfc3161SignedTimestamp {
                signed_timestamp: body,
            });
        }
        Ok(out)
    }

    fn log_v1(&self, proposed: Value) -> Result<TransparencyLogEntry> {
        let rekor = rekor_v1::RekorV1::new(&self.rekor_url, self.http.clone());
        let (_, entry) = rekor.create(&proposed)?;
        entry.to_tlog_entry().map_err(|m| Error::Service {
            service: "Rekor",
            url: format!("{}/api/v1/log/entries", self.rekor_url),
            message: m.to_string(),
        })
    }

    fn log_v2(&self, request: Value) -> Result<TransparencyLogEntry> {
        let url = format!("{}/api/v2/log/entries", self.rekor_url);
        let v = self.post_json("Rekor", &url, &request)?;
        serde_json::from_value(v).map_err(|e| Error::Service {
            service: "Rekor",
            url,
            message: format!("malformed TransparencyLogEntry: {e}"),
        })
    }

    fn assemble(
        &self,
        signer: &SignerRef<'_>,
        tlog: TransparencyLogEntry,
        ts: Vec<Rfc3161SignedTimestamp>,
        ms: Option<MessageSignature>,
        env: Option<Envelope>,
    ) -> Bundle {
        let (certificate, public_key) = match signer {
            SignerRef::Leaf(leaf) => (
                Some(X509Certificate {
                    raw_bytes: leaf.der().to_vec(),
                }),
                None,
            ),
            SignerRef::Key(key) => (
                None,
                Some(PublicKeyIdentifier {
                    hint: key_hint(key),
                }),
            ),
        };
        Bundle {
            media_type: MEDIA_TYPE_V03.into(),
            verification_material: VerificationMaterial {
                certificate,
                public_key,
                tlog_entries: vec![tlog],
                timestamp_verification_data: if ts.is_empty() {
                    None
                } else {
                    Some(TimestampVerificationData {
                        rfc3161_timestamps: ts,
                    })
                },
                ..Default::default()
            },
            message_signature: ms,
            dsse_envelope: env,
        }
    }

    /// Verify what was made before handing it out: by the certificate's own identity, or with
    /// the managed key.
    fn verify_after(
        &self,
        bundle: &Bundle,
        signer: &SignerRef<'_>,
        artifact: Artifact<'_>,
    ) -> Result<()> {
        match signer {
            SignerRef::Leaf(leaf) => {
                let san = leaf
                    .san_identities()?
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::Identity("certificate has no SAN".into()))?;
                let issuer = leaf.oidc_issuer()?.unwrap_or_default();
                self.verifier
                    .verify(bundle, artifact, &Policy::identity(san.value(), issuer))?;
            }
            SignerRef::Key(key) => {
                let pk = PublicKey::from_spki_der(key.spki_der())?;
                self.verifier
                    .verify_with_key(bundle, artifact, &[ManagedKey::new(pk)])?;
            }
        }
        Ok(())
    }

    /// The key (and, keyless, its certificate) of one operation.
    fn begin<'a>(&self, cred: Credential<'a>) -> Result<Material<'a>> {
        Ok(match cred {
            Credential::Token(token) => {
                let key = EcKey::generate(Curve::P256)?;
                let leaf = self.certificate(token, &key)?;
                Material {
                    key: Holder::Owned(key),
                    leaf: Some(leaf),
                }
            }
            // Bundles record SHA-256 digests (hashedrekord, PAE), which a P-384 key signs
            // with SHA-384 here: only P-256 keys make verifiable bundles.
            Credential::Key(k) if k.curve() != Curve::P256 => {
                return Err(Error::Config(format!(
                    "managed signing keys must be ECDSA P-256 (SHA-256), found {:?}",
                    k.curve()
                )))
            }
            Credential::Key(k) => Material {
                key: Holder::Borrowed(k),
                leaf: None,
            },
        })
    }

    /// Sign `artifact` (message signature over its bytes) keylessly with an OIDC token.
    pub fn sign_artifact(&self, token: &str, artifact: &[u8]) -> Result<Signed> {
        Signed::keyless(self.sign_artifact_as(Credential::Token(token), artifact)?)
    }

    /// Sign `artifact` with a managed key (the bundle names it by hint; the log records it).
    pub fn sign_artifact_with_key(&self, key: &EcKey, artifact: &[u8]) -> Result<Bundle> {
        Ok(self.sign_artifact_as(Credential::Key(key), artifact)?.0)
    }

    /// Sign `artifact` with `cred`: the bundle, and (keyless) the signing certificate.
    pub fn sign_artifact_as(
        &self,
        cred: Credential<'_>,
        artifact: &[u8],
    ) -> Result<(Bundle, Option<Certificate>)> {
        let m = self.begin(cred)?;
        let (key, signer) = (m.key.get(), m.signer());
        let sig = key.sign(artifact)?;
        let digest = sha256(artifact);
        let ts = self.timestamp(&sig)?;
        let tlog = match self.rekor_version {
            RekorVersion::V1 => self.log_v1(body::hashedrekord_v001(
                &digest,
                &sig,
                signer.pem().as_bytes(),
            ))?,
            RekorVersion::V2 => self.log_v2(body::hashedrekord_v002_request(
                &digest,
                &sig,
                &signer.verifier_json(),
            ))?,
        };
        let ms = MessageSignature {
            message_digest: Some(HashOutput {
                algorithm: "SHA2_256".into(),
                digest: digest.to_vec(),
            }),
            signature: sig,
        };
        let bundle = self.assemble(&signer, tlog, ts, Some(ms), None);
        self.verify_after(&bundle, &signer, Artifact::Bytes(artifact))?;
        Ok((bundle, m.leaf))
    }

    /// Sign an in-toto statement as a DSSE envelope, keylessly. `subject_digest` is one
    /// subject's sha256, used for the verify-after-sign check.
    pub fn sign_statement(
        &self,
        token: &str,
        statement: &[u8],
        subject_digest: [u8; 32],
    ) -> Result<Signed> {
        Signed::keyless(self.sign_statement_as(
            Credential::Token(token),
            statement,
            subject_digest,
        )?)
    }

    /// Sign an in-toto statement as a DSSE envelope with `cred`: the bundle, and (keyless)
    /// the signing certificate.
    pub fn sign_statement_as(
        &self,
        cred: Credential<'_>,
        statement: &[u8],
        subject_digest: [u8; 32],
    ) -> Result<(Bundle, Option<Certificate>)> {
        let m = self.begin(cred)?;
        let (key, signer) = (m.key.get(), m.signer());
        let env0 = Envelope {
            payload: statement.to_vec(),
            payload_type: INTOTO_PAYLOAD_TYPE.into(),
            signatures: vec![],
        };
        let sig = key.sign(&env0.pae())?;
        let env = Envelope {
            signatures: vec![Signature {
                sig: sig.clone(),
                keyid: String::new(),
            }],
            ..env0
        };
        let ts = self.timestamp(&sig)?;
        let tlog = match self.rekor_version {
            RekorVersion::V1 => {
                let env_json =
                    serde_json::to_string(&env).map_err(|e| Error::Config(e.to_string()))?;
                self.log_v1(body::dsse_v001_request(
                    &env_json,
                    &[signer.pem().as_bytes()],
                ))?
            }
            // Rekor v2 records a DSSE envelope as a hashedrekord over its PAE
            // (rekor-v2-spec 6.1.4), as sigstore-python does.
            RekorVersion::V2 => self.log_v2(body::hashedrekord_v002_request(
                &sha256(&env.pae()),
                &sig,
                &signer.verifier_json(),
            ))?,
        };
        let bundle = self.assemble(&signer, tlog, ts, None, Some(env));
        self.verify_after(&bundle, &signer, Artifact::Sha256(subject_digest))?;
        Ok((bundle, m.leaf))
    }
}

/// A transport error as a signing-flow error naming the service.
fn service_error(service: &'static str, e: signet_http::Error) -> Error {
    Error::Service {
        service,
        url: e.url().to_string(),
        message: e.reason(),
    }
}

/// What authorizes a signature.
#[derive(Clone, Copy)]
pub enum Credential<'a> {
    /// Keyless: an OIDC identity token, exchanged for a certificate of an ephemeral key.
    Token(&'a str),
    /// A managed key.
    Key(&'a EcKey),
}

/// What one signing operation signs with.
struct Material<'a> {
    key: Holder<'a>,
    /// The certificate of an ephemeral key (keyless); `None` for a managed key.
    leaf: Option<Certificate>,
}

impl Material<'_> {
    /// What the bundle and the log entry name the signer by.
    fn signer(&self) -> SignerRef<'_> {
        match &self.leaf {
            Some(l) => SignerRef::Leaf(l),
            None => SignerRef::Key(self.key.get()),
        }
    }
}

/// The signing key of one operation: made for it, or the caller's.
enum Holder<'a> {
    Owned(EcKey),
    Borrowed(&'a EcKey),
}

impl Holder<'_> {
    fn get(&self) -> &EcKey {
        match self {
            Holder::Owned(k) => k,
            Holder::Borrowed(k) => k,
        }
    }
}

/// What the bundle and the log entry name the signer by.
enum SignerRef<'a> {
    Leaf(&'a Certificate),
    Key(&'a EcKey),
}

impl SignerRef<'_> {
    /// The PEM Rekor v1 records: the certificate, or the public key.
    fn pem(&self) -> String {
        match self {
            SignerRef::Leaf(l) => l.to_pem(),
            SignerRef::Key(k) => k.public_pem(),
        }
    }

    /// The Rekor v2 verifier.
    fn verifier_json(&self) -> Value {
        let key_details = body::P256_KEY_DETAILS;
        match self {
            SignerRef::Leaf(l) => body::V2Verifier::Certificate {
                der: l.der(),
                key_details,
            },
            SignerRef::Key(k) => body::V2Verifier::PublicKey {
                spki: k.spki_der(),
                key_details,
            },
        }
        .to_json()
    }
}

/// Who signed, for messages: `as IDENTITY` (keyless, the certificate's) or `with key HINT`.
pub fn signed_by(cred: Credential<'_>, cert: Option<&Certificate>) -> String {
    match (cred, cert) {
        (_, Some(c)) => format!("as {}", c.identity()),
        (Credential::Key(k), None) => format!("with key {}", key_hint(k)),
        (Credential::Token(_), None) => "keylessly".into(),
    }
}

/// The `publicKey.hint` a bundle names a managed key by: base64 of the SHA-256 of its SPKI
/// DER (as cosign and sigstore-js do).
pub fn key_hint(key: &EcKey) -> String {
    b64_encode(sha256(key.spki_der()))
}

/// A PKCS#10 CSR for `key` (empty subject, ecdsa-with-SHA256), DER.
pub fn build_csr(key: &EcKey) -> Result<Vec<u8>> {
    use x509_cert::request::{CertReq, CertReqInfo, Version};
    let info = CertReqInfo {
        version: Version::V1,
        subject: x509_cert::name::Name::default(),
        public_key: spki::SubjectPublicKeyInfoOwned::from_der(key.spki_der())
            .map_err(|e| signet_core::Error::der("CSR key", e))?,
        attributes: Default::default(),
    };
    let tbs = info
        .to_der()
        .map_err(|e| signet_core::Error::der("CSR", e))?;
    let sig = key.sign(&tbs)?;
    CertReq {
        info,
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: key.x509_signature_oid(),
            parameters: None,
        },
        signature: BitString::from_bytes(&sig)
            .map_err(|e| signet_core::Error::der("CSR signature", e))?,
    }
    .to_der()
    .map_err(|e| signet_core::Error::der("CSR", e).into())
}
