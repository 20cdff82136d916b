//! Per-call verification policy: who must have signed.
//!
//! Mirrors sigstore-python's `Identity` / `GitHubWorkflow*` policies and sigstore-go's
//! `WithCertificateIdentity`: SAN exact or regex, OIDC issuer exact, and optional extension
//! matchers. A policy that accepts any identity must be asked for by name
//! ([`Policy::any_identity_unsafe`]).

use regex::Regex;
use signet_core::x509::{fulcio_extension_name, Certificate, SanIdentity};

use crate::{Error, Result};

/// How the SAN must match.
#[derive(Debug, Clone)]
pub enum IdentityMatcher {
    /// The SAN must equal this string.
    Exact(String),
    /// The SAN must match this regular expression (anchored, as sigstore-go's full match).
    Regex(Regex),
    /// Any SAN (unsafe: proves only that *someone* with a Fulcio certificate signed).
    AnyUnsafe,
}

/// A certificate extension requirement: Fulcio OID `.n` (with a legacy fallback) must equal
/// `value`.
#[derive(Debug, Clone)]
pub struct ExtensionMatcher {
    /// What the user called it (e.g. "--repository").
    pub label: &'static str,
    /// Fulcio OIDs to try in order (first present wins).
    pub oids: Vec<u32>,
    /// Expected value.
    pub value: String,
}

/// An identity policy.
#[derive(Debug, Clone)]
pub struct Policy {
    identity: IdentityMatcher,
    issuer: Option<String>,
    extensions: Vec<ExtensionMatcher>,
}

/// The GitHub Actions OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

impl Policy {
    /// SAN must equal `identity`; issuer must equal `issuer`.
    pub fn identity(identity: impl Into<String>, issuer: impl Into<String>) -> Self {
        Policy {
            identity: IdentityMatcher::Exact(identity.into()),
            issuer: Some(issuer.into()),
            extensions: vec![],
        }
    }

    /// SAN must fully match `pattern`; issuer must equal `issuer`.
    pub fn identity_regex(pattern: &str, issuer: impl Into<String>) -> Result<Self> {
        let re = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            Error::Usage(format!("invalid --cert-identity-regexp {pattern:?}: {e}"))
        })?;
        Ok(Policy {
            identity: IdentityMatcher::Regex(re),
            issuer: Some(issuer.into()),
            extensions: vec![],
        })
    }

    /// Accept any SAN and issuer. Only for inspection and tests.
    pub fn any_identity_unsafe() -> Self {
        Policy {
            identity: IdentityMatcher::AnyUnsafe,
            issuer: None,
            extensions: vec![],
        }
    }

    /// Replace the SAN matcher.
    pub fn with_identity_matcher(mut self, m: IdentityMatcher) -> Self {
        self.identity = m;
        self
    }

    /// Require the OIDC issuer.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Add an extension requirement.
    pub fn with_extension(
        mut self,
        label: &'static str,
        oids: &[u32],
        value: impl Into<String>,
    ) -> Self {
        self.extensions.push(ExtensionMatcher {
            label,
            oids: oids.to_vec(),
            value: value.into(),
        });
        self
    }

    /// A GitHub Actions policy as `sigstore verify github`: issuer fixed, optional SAN, and
    /// optional trigger / sha / workflow name / repository / ref (legacy OIDs .2–.6 first, then
    /// their .20/.13/.12/.14 successors).
    pub fn github(
        identity: Option<IdentityMatcher>,
        trigger: Option<String>,
        sha: Option<String>,
        name: Option<String>,
        repository: Option<String>,
        git_ref: Option<String>,
    ) -> Self {
        let mut p = Policy {
            identity: identity.unwrap_or(IdentityMatcher::AnyUnsafe),
            issuer: Some(GITHUB_ISSUER.into()),
            extensions: vec![],
        };
        if let Some(v) = trigger {
            p = p.with_extension("trigger", &[2, 20], v);
        }
        if let Some(v) = sha {
            p = p.with_extension("sha", &[3, 13], v);
        }
        if let Some(v) = name {
            p = p.with_extension("workflow name", &[4], v);
        }
        if let Some(v) = repository {
            p = p.with_extension("repository", &[5], v);
        }
        if let Some(v) = git_ref {
            p = p.with_extension("ref", &[6, 14], v);
        }
        p
    }

    /// Check `leaf` against the policy.
    pub fn check(&self, leaf: &Certificate) -> Result<()> {
        let sans = leaf.san_identities()?;
        let san = match sans.as_slice() {
            [one] => one,
            [] => {
                return Err(Error::identity(
                    "SAN",
                    "one email, URI or username SAN",
                    None,
                    "certificate has no email, URI or username SAN",
                ))
            }
            many => {
                return Err(Error::identity(
                    "SAN",
                    "exactly one SAN",
                    Some(many.iter().map(describe).collect::<Vec<_>>().join(", ")),
                    format!(
                        "certificate has {} SAN entries, expected exactly one",
                        many.len()
                    ),
                ))
            }
        };
        match &self.identity {
            IdentityMatcher::Exact(want) => {
                if san.value() != want {
                    return Err(Error::identity(
                        "SAN",
                        want.clone(),
                        Some(san.value().to_string()),
                        format!(
                            "certificate SAN {} {:?} does not match expected identity {:?}",
                            san.kind(),
                            san.value(),
                            want
                        ),
                    ));
                }
            }
            IdentityMatcher::Regex(re) => {
                if !re.is_match(san.value()) {
                    // Show the user's pattern, not our anchoring.
                    let pattern = re
                        .as_str()
                        .trim_start_matches("^(?:")
                        .trim_end_matches(")$");
                    return Err(Error::identity(
                        "SAN",
                        pattern,
                        Some(san.value().to_string()),
                        format!(
                            "certificate SAN {} {:?} does not match expected pattern {:?}",
                            san.kind(),
                            san.value(),
                            pattern
                        ),
                    ));
                }
            }
            IdentityMatcher::AnyUnsafe => {}
        }
        if let Some(want) = &self.issuer {
            match leaf.oidc_issuer()? {
                Some(found) if &found == want => {}
                Some(found) => {
                    let message = format!(
                        "certificate OIDC issuer {found:?} does not match expected issuer {want:?}"
                    );
                    return Err(Error::identity(
                        "OIDC issuer",
                        want.clone(),
                        Some(found),
                        message,
                    ));
                }
                None => {
                    return Err(Error::identity(
                        "OIDC issuer",
                        want.clone(),
                        None,
                        format!(
                            "certificate has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1); expected {want:?}"
                        ),
                    ))
                }
            }
        }
        for m in &self.extensions {
            let mut found = None;
            for n in &m.oids {
                if let Some(v) = leaf.fulcio_extension(*n)? {
                    found = Some((*n, v));
                    break;
                }
            }
            match found {
                Some((_, v)) if v == m.value => {}
                Some((n, v)) => {
                    let message = format!(
                        "certificate {} ({}, OID 1.3.6.1.4.1.57264.1.{n}) is {v:?}, expected {:?}",
                        m.label,
                        fulcio_extension_name(n).unwrap_or("extension"),
                        m.value
                    );
                    return Err(Error::identity(m.label, m.value.clone(), Some(v), message));
                }
                None => {
                    return Err(Error::identity(
                        m.label,
                        m.value.clone(),
                        None,
                        format!(
                            "certificate has no {} extension (OIDs {}); expected {:?}",
                            m.label,
                            m.oids
                                .iter()
                                .map(|n| format!("1.3.6.1.4.1.57264.1.{n}"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            m.value
                        ),
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Describe a SAN for messages.
pub fn describe(san: &SanIdentity) -> String {
    format!("{} {}", san.kind(), san.value())
}
