//! OpenID Connect discovery documents (OpenID Connect Discovery 1.0, section 3).
//!
//! The caller fetches `{issuer}/.well-known/openid-configuration` (see [`discovery_url`]); this
//! module parses it and checks that it names the expected issuer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Largest discovery document accepted (bytes).
pub const MAX_DISCOVERY_LEN: usize = 256 * 1024;

/// The discovery URL of an issuer: the issuer without a trailing `/`, then
/// `/.well-known/openid-configuration`.
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// The members of a discovery document this project uses; the rest are kept in `other`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DiscoveryDocument {
    /// The issuer identifier; must equal the tokens' `iss`.
    pub issuer: String,
    /// Where the JWKS is.
    pub jwks_uri: String,
    /// Authorization endpoint (browser flow).
    pub authorization_endpoint: Option<String>,
    /// Token endpoint.
    pub token_endpoint: Option<String>,
    /// Device authorization endpoint (RFC 8628).
    pub device_authorization_endpoint: Option<String>,
    /// Userinfo endpoint.
    pub userinfo_endpoint: Option<String>,
    /// Supported `response_type` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_types_supported: Vec<String>,
    /// Supported subject identifier types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_types_supported: Vec<String>,
    /// Supported ID token signature algorithms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Supported grant types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grant_types_supported: Vec<String>,
    /// Supported PKCE methods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_challenge_methods_supported: Vec<String>,
    /// Supported scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// Other members.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl DiscoveryDocument {
    /// Parse a discovery document; `issuer` and `jwks_uri` must be present and non-empty.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Error::check_len("discovery document", bytes.len(), MAX_DISCOVERY_LEN)?;
        let doc: DiscoveryDocument =
            serde_json::from_slice(bytes).map_err(|e| Error::json("discovery document", e))?;
        if doc.issuer.is_empty() {
            return Err(Error::InvalidDiscovery {
                reason: "issuer is empty; expected the issuer URL".into(),
            });
        }
        if doc.jwks_uri.is_empty() {
            return Err(Error::InvalidDiscovery {
                reason: "jwks_uri is empty; expected the JWKS URL".into(),
            });
        }
        Ok(doc)
    }

    /// Parse and check that the document is for `expected_issuer` (exact match, as the OIDC
    /// discovery spec requires).
    pub fn from_json_for_issuer(bytes: &[u8], expected_issuer: &str) -> Result<Self> {
        let doc = Self::from_json(bytes)?;
        doc.check_issuer(expected_issuer)?;
        Ok(doc)
    }

    /// Check that `issuer` equals `expected`.
    pub fn check_issuer(&self, expected: &str) -> Result<()> {
        if self.issuer != expected {
            return Err(Error::DiscoveryIssuerMismatch {
                expected: expected.into(),
                found: self.issuer.clone(),
            });
        }
        Ok(())
    }

    /// Serialize as JSON.
    pub fn to_json(&self) -> String {
        // Serializing strings, lists and JSON values cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}
