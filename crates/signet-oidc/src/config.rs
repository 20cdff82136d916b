//! Fulcio-style issuer configuration: `OIDCIssuers` (exact issuer URLs) and `MetaIssuers`
//! (URL patterns with `*` wildcards, such as `https://oidc.eks.*.amazonaws.com/id/*`).
//!
//! The serde form is Fulcio's JSON config (`IssuerURL`, `ClientID`, `Type`, ...); the YAML-style
//! kebab-case names (`issuer-url`, `client-id`, ...) and snake_case names are accepted as
//! aliases on input.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The issuer types this crate can map to a certificate identity, for error messages.
pub const SUPPORTED_ISSUER_TYPES: &str = "email, uri, username, github-workflow, gitlab-pipeline, \
     kubernetes, ci-provider (with ci-provider github-workflow or gitlab-pipeline)";

/// The default audience / client id.
pub const DEFAULT_CLIENT_ID: &str = "sigstore";

/// Fulcio's issuer types (`Type` in the config).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum IssuerType {
    /// `email`: SAN rfc822Name from the `email` claim.
    Email,
    /// `uri`: SAN URI from `sub`, which must be under the subject domain.
    Uri,
    /// `username`: SAN otherName `sub!subject_domain`.
    Username,
    /// `github-workflow`: GitHub Actions.
    GithubWorkflow,
    /// `gitlab-pipeline`: GitLab CI.
    GitlabPipeline,
    /// `buildkite-job` (not implemented here).
    BuildkiteJob,
    /// `spiffe` (not implemented here).
    Spiffe,
    /// `codefresh-workflow` (not implemented here).
    CodefreshWorkflow,
    /// `kubernetes`: SAN URI from the `kubernetes.io` claim.
    Kubernetes,
    /// `chainguard-identity` (not implemented here).
    ChainguardIdentity,
    /// `ci-provider`: the CI mapping named by `CIProvider`.
    CiProvider,
    /// Anything else, kept as written.
    Other(String),
}

impl IssuerType {
    /// Every type with a name of its own (all but [`IssuerType::Other`]).
    const NAMED: [IssuerType; 11] = [
        IssuerType::Email,
        IssuerType::Uri,
        IssuerType::Username,
        IssuerType::GithubWorkflow,
        IssuerType::GitlabPipeline,
        IssuerType::BuildkiteJob,
        IssuerType::Spiffe,
        IssuerType::CodefreshWorkflow,
        IssuerType::Kubernetes,
        IssuerType::ChainguardIdentity,
        IssuerType::CiProvider,
    ];

    /// The config name.
    pub fn as_str(&self) -> &str {
        match self {
            IssuerType::Email => "email",
            IssuerType::Uri => "uri",
            IssuerType::Username => "username",
            IssuerType::GithubWorkflow => "github-workflow",
            IssuerType::GitlabPipeline => "gitlab-pipeline",
            IssuerType::BuildkiteJob => "buildkite-job",
            IssuerType::Spiffe => "spiffe",
            IssuerType::CodefreshWorkflow => "codefresh-workflow",
            IssuerType::Kubernetes => "kubernetes",
            IssuerType::ChainguardIdentity => "chainguard-identity",
            IssuerType::CiProvider => "ci-provider",
            IssuerType::Other(s) => s,
        }
    }
}

impl From<String> for IssuerType {
    /// The type [`IssuerType::as_str`] names `s`, else `Other(s)`.
    fn from(s: String) -> Self {
        Self::NAMED
            .into_iter()
            .find(|t| t.as_str() == s)
            .unwrap_or(IssuerType::Other(s))
    }
}

impl From<IssuerType> for String {
    fn from(t: IssuerType) -> Self {
        t.as_str().to_string()
    }
}

impl std::fmt::Display for IssuerType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity mapping an issuer uses, once `ci-provider` is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mapping {
    /// Email SAN.
    Email,
    /// URI SAN from `sub`.
    Uri,
    /// otherName username SAN.
    Username,
    /// GitHub Actions workflow identity.
    GithubWorkflow,
    /// GitLab CI pipeline identity.
    GitlabPipeline,
    /// Kubernetes service account identity.
    Kubernetes,
}

fn default_client_id() -> String {
    DEFAULT_CLIENT_ID.to_string()
}

/// One issuer's configuration (an `OIDCIssuers` or `MetaIssuers` entry).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerConfig {
    /// The issuer URL (`iss`). For a meta-issuer entry it may be empty; the resolved config
    /// carries the token's concrete issuer.
    #[serde(
        rename = "IssuerURL",
        alias = "issuer-url",
        alias = "issuer_url",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub issuer_url: String,
    /// The audience the token must carry (default `sigstore`).
    #[serde(
        rename = "ClientID",
        alias = "client-id",
        alias = "client_id",
        default = "default_client_id"
    )]
    pub client_id: String,
    /// The issuer type.
    #[serde(rename = "Type", alias = "type")]
    pub issuer_type: IssuerType,
    /// For `ci-provider` issuers: which CI mapping (`github-workflow`, `gitlab-pipeline`).
    #[serde(rename = "CIProvider", alias = "ci-provider", alias = "ci_provider")]
    pub ci_provider: Option<String>,
    /// For email issuers behind a federating proxy (Dex): a JSONPath (`$.a.b`) to the claim
    /// holding the upstream issuer, which goes into the certificate instead of `iss`.
    #[serde(rename = "IssuerClaim", alias = "issuer-claim", alias = "issuer_claim")]
    pub issuer_claim: Option<String>,
    /// For `uri` issuers: the scheme and host `sub` must have (`https://example.com`); for
    /// `username` issuers: the domain appended to the username (`example.com`).
    #[serde(
        rename = "SubjectDomain",
        alias = "subject-domain",
        alias = "subject_domain"
    )]
    pub subject_domain: Option<String>,
    /// SPIFFE trust domain (kept for config round trips; spiffe is not implemented).
    #[serde(
        rename = "SPIFFETrustDomain",
        alias = "spiffe-trust-domain",
        alias = "spiffe_trust_domain"
    )]
    pub spiffe_trust_domain: Option<String>,
    /// The claim whose value the proof of possession signs, when not the type's default.
    #[serde(
        rename = "ChallengeClaim",
        alias = "challenge-claim",
        alias = "challenge_claim"
    )]
    pub challenge_claim: Option<String>,
    /// Contact (informational).
    pub contact: Option<String>,
    /// Description (informational).
    pub description: Option<String>,
}

impl IssuerConfig {
    /// A config with the default client id and nothing optional set.
    pub fn new(issuer_url: impl Into<String>, issuer_type: IssuerType) -> Self {
        IssuerConfig {
            issuer_url: issuer_url.into(),
            client_id: DEFAULT_CLIENT_ID.into(),
            issuer_type,
            ci_provider: None,
            issuer_claim: None,
            subject_domain: None,
            spiffe_trust_domain: None,
            challenge_claim: None,
            contact: None,
            description: None,
        }
    }

    /// The identity mapping for this issuer, or [`Error::UnsupportedIssuerType`].
    pub fn mapping(&self) -> Result<Mapping> {
        let unsupported = |t: &str| Error::UnsupportedIssuerType {
            issuer: self.issuer_url.clone(),
            issuer_type: t.to_string(),
            supported: SUPPORTED_ISSUER_TYPES,
        };
        Ok(match &self.issuer_type {
            IssuerType::Email => Mapping::Email,
            IssuerType::Uri => Mapping::Uri,
            IssuerType::Username => Mapping::Username,
            IssuerType::GithubWorkflow => Mapping::GithubWorkflow,
            IssuerType::GitlabPipeline => Mapping::GitlabPipeline,
            IssuerType::Kubernetes => Mapping::Kubernetes,
            IssuerType::CiProvider => match self.ci_provider.as_deref() {
                Some("github-workflow") => Mapping::GithubWorkflow,
                Some("gitlab-pipeline") => Mapping::GitlabPipeline,
                Some(other) => return Err(unsupported(&format!("ci-provider/{other}"))),
                None => return Err(unsupported("ci-provider (with no CIProvider set)")),
            },
            other => return Err(unsupported(other.as_str())),
        })
    }

    /// The claim the proof of possession signs: `ChallengeClaim` if set, else `email` for
    /// email issuers and `sub` for all others (Fulcio's `issuerToChallengeClaim`).
    pub fn challenge_claim_name(&self) -> &str {
        if let Some(c) = self.challenge_claim.as_deref().filter(|c| !c.is_empty()) {
            return c;
        }
        match self.issuer_type {
            IssuerType::Email => "email",
            _ => "sub",
        }
    }

    fn validate(&self, key: &str) -> Result<()> {
        let bad = |reason: String| Error::InvalidConfig {
            issuer: key.to_string(),
            reason,
        };
        if self.client_id.is_empty() {
            return Err(bad(
                "ClientID is empty; expected the audience (e.g. sigstore)".into(),
            ));
        }
        if self.issuer_claim.is_some() && self.issuer_type != IssuerType::Email {
            return Err(bad(format!(
                "IssuerClaim is only allowed for email issuers, found type {}",
                self.issuer_type
            )));
        }
        match self.issuer_type {
            IssuerType::Uri => {
                let d = self.subject_domain.as_deref().unwrap_or("");
                if split_url(d).is_none() {
                    return Err(bad(format!(
                        "uri issuers need SubjectDomain with a scheme (https://example.com), found {d:?}"
                    )));
                }
            }
            IssuerType::Username => {
                let d = self.subject_domain.as_deref().unwrap_or("");
                if d.is_empty() || d.contains("://") {
                    return Err(bad(format!(
                        "username issuers need SubjectDomain without a scheme (example.com), found {d:?}"
                    )));
                }
            }
            IssuerType::CiProvider if self.ci_provider.is_none() => {
                return Err(bad("type ci-provider needs CIProvider".into()));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Split `scheme://host[:port]/...` into (scheme, hostname). `None` when there is no scheme or
/// host.
pub(crate) fn split_url(u: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = u.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(stripped) = hostport.strip_prefix('[') {
        stripped.split(']').next().unwrap_or("")
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme, host))
}

/// Fulcio's issuer configuration: exact issuers and wildcard meta-issuers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FulcioConfig {
    /// Exact issuers, keyed by issuer URL.
    #[serde(
        rename = "OIDCIssuers",
        alias = "oidc-issuers",
        alias = "oidc_issuers",
        default
    )]
    pub oidc_issuers: BTreeMap<String, IssuerConfig>,
    /// Meta-issuers, keyed by URL pattern (`*` matches one or more of `[-_a-zA-Z0-9]`, so
    /// never a `.` or `/`).
    #[serde(
        rename = "MetaIssuers",
        alias = "meta-issuers",
        alias = "meta_issuers",
        default
    )]
    pub meta_issuers: BTreeMap<String, IssuerConfig>,
}

/// Longest issuer URL matched against meta-issuer patterns.
const MAX_ISSUER_LEN: usize = 2048;

fn star_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Whether `issuer` matches a meta-issuer `pattern`: literal text must match exactly, each `*`
/// matches one or more characters of `[-_a-zA-Z0-9]`, and the whole issuer must match.
///
/// Fulcio compiles the same pattern into an unanchored Go regexp; this match is anchored at
/// both ends, which is stricter (a pattern cannot match inside a longer URL).
pub fn meta_issuer_matches(pattern: &str, issuer: &str) -> bool {
    fn m(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => {
                let run = s.iter().take_while(|c| star_char(**c)).count();
                (1..=run).rev().any(|k| m(rest, &s[k..]))
            }
            Some((c, rest)) => s.first() == Some(c) && m(rest, &s[1..]),
        }
    }
    issuer.len() <= MAX_ISSUER_LEN && m(pattern.as_bytes(), issuer.as_bytes())
}

impl FulcioConfig {
    /// Parse Fulcio's JSON config (`{"OIDCIssuers": {...}, "MetaIssuers": {...}}`) and validate
    /// it.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let cfg: FulcioConfig =
            serde_json::from_slice(bytes).map_err(|e| Error::json("Fulcio config", e))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Add an exact issuer (keyed by its `issuer_url`).
    pub fn add_issuer(&mut self, cfg: IssuerConfig) -> &mut Self {
        self.oidc_issuers.insert(cfg.issuer_url.clone(), cfg);
        self
    }

    /// Add a meta-issuer pattern.
    pub fn add_meta_issuer(&mut self, pattern: impl Into<String>, cfg: IssuerConfig) -> &mut Self {
        self.meta_issuers.insert(pattern.into(), cfg);
        self
    }

    /// Check the configuration as Fulcio does: uri issuers have a subject domain with a scheme,
    /// username issuers one without, only email issuers use an issuer claim, ci-provider issuers
    /// name their provider, patterns are non-empty. Unsupported types are allowed here (tokens
    /// from them are rejected at verification).
    pub fn validate(&self) -> Result<()> {
        for (key, iss) in &self.oidc_issuers {
            if key.is_empty() {
                return Err(Error::InvalidConfig {
                    issuer: key.clone(),
                    reason: "empty issuer URL".into(),
                });
            }
            if !iss.issuer_url.is_empty() && iss.issuer_url != *key {
                return Err(Error::InvalidConfig {
                    issuer: key.clone(),
                    reason: format!(
                        "IssuerURL {:?} differs from its key; expected them equal",
                        iss.issuer_url
                    ),
                });
            }
            iss.validate(key)?;
        }
        for (pattern, iss) in &self.meta_issuers {
            if !pattern.contains('*') || split_url(pattern).is_none() {
                return Err(Error::InvalidConfig {
                    issuer: pattern.clone(),
                    reason: "a meta-issuer must be a URL pattern with at least one '*'".into(),
                });
            }
            if iss.issuer_type == IssuerType::Spiffe {
                return Err(Error::InvalidConfig {
                    issuer: pattern.clone(),
                    reason: "SPIFFE meta-issuers are not supported (as in Fulcio)".into(),
                });
            }
            iss.validate(pattern)?;
        }
        Ok(())
    }

    /// The configuration for a token issuer: an exact `OIDCIssuers` entry, else the first
    /// matching meta-issuer (patterns in lexicographic order) with `issuer_url` set to `issuer`.
    pub fn lookup(&self, issuer: &str) -> Option<IssuerConfig> {
        if let Some(cfg) = self.oidc_issuers.get(issuer) {
            let mut cfg = cfg.clone();
            cfg.issuer_url = issuer.to_string();
            return Some(cfg);
        }
        self.meta_issuers
            .iter()
            .find(|(pattern, _)| meta_issuer_matches(pattern, issuer))
            .map(|(_, cfg)| {
                let mut cfg = cfg.clone();
                cfg.issuer_url = issuer.to_string();
                cfg
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_type_names_round_trip_and_unknown_ones_are_kept() {
        for t in IssuerType::NAMED {
            assert_eq!(IssuerType::from(t.as_str().to_string()), t);
            assert_eq!(String::from(t.clone()), t.as_str());
        }
        let other = IssuerType::from("Email".to_string());
        assert_eq!(other, IssuerType::Other("Email".into()));
        assert_eq!(other.as_str(), "Email");
    }
}
