//! Trust configuration: TrustedRoot v0.1, SigningConfig v0.2 and ClientTrustConfig v0.1.

use serde::{Deserialize, Serialize};

use crate::bundle::{LogId, X509Certificate};
use crate::encoding::{base64_bytes, parse_json};
use crate::{Error, Result};

/// TrustedRoot media type.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/// SigningConfig v0.2 media type.
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/// ClientTrustConfig media type.
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// A document's `mediaType` must be `expected`; else [`Error::Invalid`] naming `what`.
fn check_media_type(what: &'static str, found: &str, expected: &str) -> Result<()> {
    if found != expected {
        return Err(Error::invalid(
            what,
            format!("media type {found:?}, expected {expected:?}"),
        ));
    }
    Ok(())
}

/// `TimeRange` with RFC 3339 strings.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TimeRange {
    /// Start (inclusive).
    pub start: Option<String>,
    /// End (inclusive); open if absent.
    pub end: Option<String>,
}

impl TimeRange {
    /// Whether `t` (Unix seconds) lies in the range.
    pub fn contains(&self, t: i64) -> Result<bool> {
        if let Some(s) = &self.start {
            if t < crate::time::parse_rfc3339(s)? {
                return Ok(false);
            }
        }
        if let Some(e) = &self.end {
            if t > crate::time::parse_rfc3339(e)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Parsed bounds (Unix seconds).
    pub fn bounds(&self) -> Result<(Option<i64>, Option<i64>)> {
        Ok((
            self.start
                .as_deref()
                .map(crate::time::parse_rfc3339)
                .transpose()?,
            self.end
                .as_deref()
                .map(crate::time::parse_rfc3339)
                .transpose()?,
        ))
    }
}

/// `PublicKey` in a trusted root.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyDetails {
    /// DER SPKI.
    #[serde(with = "base64_bytes::option", default)]
    pub raw_bytes: Option<Vec<u8>>,
    /// e.g. `PKIX_ECDSA_P256_SHA_256`.
    #[serde(default)]
    pub key_details: String,
    /// Validity.
    pub valid_for: Option<TimeRange>,
}

/// `TransparencyLogInstance` (used for both tlogs and ctlogs).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyLogInstance {
    /// Base URL.
    #[serde(default)]
    pub base_url: String,
    /// `SHA2_256`.
    #[serde(default)]
    pub hash_algorithm: String,
    /// Key.
    pub public_key: PublicKeyDetails,
    /// Log ID.
    pub log_id: LogId,
    /// Checkpoint key ID (optional).
    pub checkpoint_key_id: Option<LogId>,
    /// Operator (optional).
    pub operator: Option<String>,
}

/// `DistinguishedName`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DistinguishedName {
    /// O.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organization: String,
    /// CN.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub common_name: String,
}

/// `X509CertificateChain` in a trusted root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CertChain {
    /// Certificates, issuing CA first, root last.
    #[serde(default)]
    pub certificates: Vec<X509Certificate>,
}

/// `CertificateAuthority` (Fulcio or TSA).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateAuthority {
    /// Subject.
    #[serde(default)]
    pub subject: DistinguishedName,
    /// URI.
    #[serde(default)]
    pub uri: String,
    /// Chain.
    #[serde(default)]
    pub cert_chain: CertChain,
    /// Validity.
    #[serde(default)]
    pub valid_for: TimeRange,
    /// Operator (optional).
    pub operator: Option<String>,
}

/// The trusted root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedRoot {
    /// Media type.
    pub media_type: String,
    /// Transparency logs.
    #[serde(default)]
    pub tlogs: Vec<TransparencyLogInstance>,
    /// Fulcio CAs.
    #[serde(default)]
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// CT logs.
    #[serde(default)]
    pub ctlogs: Vec<TransparencyLogInstance>,
    /// TSAs.
    #[serde(default)]
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

impl TrustedRoot {
    /// Parse and check the media type.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let r: TrustedRoot = parse_json("trusted root", bytes)?;
        check_media_type("trusted root", &r.media_type, TRUSTED_ROOT_MEDIA_TYPE)?;
        Ok(r)
    }
    /// Serialize.
    pub fn to_json_pretty(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            what: "trusted root",
            source,
        })
    }
}

/// `Service` in a signing config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// URL.
    pub url: String,
    /// Major API version.
    #[serde(default)]
    pub major_api_version: u32,
    /// Validity.
    #[serde(default)]
    pub valid_for: TimeRange,
    /// Operator.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator: String,
}

/// `ServiceConfiguration {selector, count}`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConfiguration {
    /// `ANY`, `ALL` or `EXACT`.
    pub selector: String,
    /// Count for `EXACT`.
    pub count: Option<u32>,
}

/// SigningConfig v0.2.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningConfig {
    /// Media type.
    pub media_type: String,
    /// Fulcio instances.
    #[serde(default)]
    pub ca_urls: Vec<Service>,
    /// OIDC providers.
    #[serde(default)]
    pub oidc_urls: Vec<Service>,
    /// Rekor instances.
    #[serde(default)]
    pub rekor_tlog_urls: Vec<Service>,
    /// Rekor selection.
    pub rekor_tlog_config: Option<ServiceConfiguration>,
    /// TSAs.
    #[serde(default)]
    pub tsa_urls: Vec<Service>,
    /// TSA selection.
    pub tsa_config: Option<ServiceConfiguration>,
}

impl SigningConfig {
    /// Parse and check the media type.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let c: SigningConfig = parse_json("signing config", bytes)?;
        check_media_type("signing config", &c.media_type, SIGNING_CONFIG_MEDIA_TYPE)?;
        Ok(c)
    }
}

/// ClientTrustConfig v0.1: a trusted root plus a signing config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTrustConfig {
    /// Media type.
    pub media_type: String,
    /// Trusted root.
    pub trusted_root: TrustedRoot,
    /// Signing config.
    pub signing_config: SigningConfig,
}

impl ClientTrustConfig {
    /// A trust config of `trusted_root` and `signing_config`, with the v0.1 media type.
    pub fn new(trusted_root: TrustedRoot, signing_config: SigningConfig) -> Self {
        ClientTrustConfig {
            media_type: CLIENT_TRUST_CONFIG_MEDIA_TYPE.into(),
            trusted_root,
            signing_config,
        }
    }

    /// The Rekor a client reads entries from: the signing config's Rekor v1 log, else its
    /// newest, else the trusted root's first transparency log.
    pub fn rekor_url(&self) -> Option<String> {
        let services = &self.signing_config.rekor_tlog_urls;
        services
            .iter()
            .find(|s| s.major_api_version == 1)
            .or_else(|| services.iter().max_by_key(|s| s.major_api_version))
            .map(|s| s.url.clone())
            .or_else(|| self.trusted_root.tlogs.first().map(|l| l.base_url.clone()))
    }

    /// Parse and check the media type.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let c: ClientTrustConfig = parse_json("client trust config", bytes)?;
        check_media_type(
            "client trust config",
            &c.media_type,
            CLIENT_TRUST_CONFIG_MEDIA_TYPE,
        )?;
        Ok(c)
    }
}
