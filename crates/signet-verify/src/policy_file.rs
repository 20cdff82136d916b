//! Verification policy files (`signet verify policy --policy P.yaml`): who may have signed
//! (any of several identities: SAN exact or regex, OIDC issuer, Fulcio extension matchers),
//! how many distinct signers are needed over several bundles for one artifact (k of n), the
//! statement's predicate type and rules over the predicate (JSON pointer equals / regex /
//! one-of), and bounds on the verified signing times. The format is documented in
//! docs/policy.md with a JSON schema in docs/policy.schema.json.
//!
//! Each bundle is first verified cryptographically by [`Verifier::verify`] with an
//! any-identity policy (every check but the identity); the file's rules are then evaluated on
//! what was verified. A rule that fails says which, with what was expected and found.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use signet_core::bundle::Bundle;
use signet_core::time::{format_rfc3339, parse_rfc3339};
use signet_core::x509::{Certificate, FULCIO_EXTENSIONS};
use thiserror::Error as ThisError;

use crate::{Artifact, IdentityMatcher, Policy, Verified, Verifier};

/// Most identities, predicate rules and extension matchers a policy file may list.
pub const MAX_RULES: usize = 256;
/// Largest policy file read, in bytes.
pub const MAX_POLICY_BYTES: usize = 1 << 20;
/// Most bundles one evaluation takes.
pub const MAX_BUNDLES: usize = 1024;

/// Why a policy cannot be used, or does not hold.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The policy file is malformed.
    #[error("policy {file}: {reason}")]
    Parse {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A rule of the policy does not hold.
    #[error("policy rule {rule}: expected {expected}, found {found}")]
    Rule {
        /// The rule (`identities`, `predicate[1] /runDetails/builder/id`, `signed_before`, ...).
        rule: String,
        /// What the rule wants.
        expected: String,
        /// What the bundle has.
        found: String,
    },
    /// The bundle does not verify (before any policy rule).
    #[error(transparent)]
    Verify(#[from] crate::Error),
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn rule(rule: impl Into<String>, expected: impl Into<String>, found: impl Into<String>) -> Error {
    Error::Rule {
        rule: rule.into(),
        expected: expected.into(),
        found: found.into(),
    }
}

/// The policy file as written (YAML or JSON; see docs/policy.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Format version: 1.
    pub version: u32,
    /// Any of these signers (at least one).
    pub identities: Vec<IdentityRule>,
    /// Distinct signers (SAN and issuer) needed among the bundles; default 1.
    #[serde(default = "one")]
    pub threshold: usize,
    /// The in-toto predicate type every bundle's statement must have (DSSE bundles only).
    #[serde(default)]
    pub predicate_type: Option<String>,
    /// Rules over the statement's predicate; every one must hold.
    #[serde(default)]
    pub predicate: Vec<PredicateRule>,
    /// Every verified signing time must be at or after this (RFC 3339).
    #[serde(default)]
    pub signed_after: Option<String>,
    /// Every verified signing time must be before this (RFC 3339).
    #[serde(default)]
    pub signed_before: Option<String>,
}

fn one() -> usize {
    1
}

/// One acceptable signer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityRule {
    /// The SAN, exactly.
    #[serde(default)]
    pub san: Option<String>,
    /// A regular expression the whole SAN must match.
    #[serde(default)]
    pub san_regex: Option<String>,
    /// The OIDC issuer, exactly.
    pub issuer: String,
    /// Fulcio extensions that must equal these values, by OID (`1.3.6.1.4.1.57264.1.12`) or
    /// name (`source_repository_uri`).
    #[serde(default)]
    pub extensions: BTreeMap<String, String>,
    /// Fulcio extensions whose whole value must match these regular expressions.
    #[serde(default)]
    pub extensions_regex: BTreeMap<String, String>,
}

/// A rule over the predicate: the value at `pointer` (RFC 6901) must equal, match or be one of.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredicateRule {
    /// JSON pointer into the predicate, e.g. `/runDetails/builder/id`.
    pub pointer: String,
    /// The value, exactly (any JSON).
    #[serde(default)]
    pub equals: Option<Value>,
    /// A regular expression the whole string must match.
    #[serde(default)]
    pub regex: Option<String>,
    /// Values any of which it must equal.
    #[serde(default)]
    pub one_of: Option<Vec<Value>>,
}

/// A matcher compiled from the file.
#[derive(Debug, Clone)]
enum Match {
    Exact(String),
    Regex(Regex),
}

impl Match {
    fn holds(&self, v: &str) -> bool {
        match self {
            Match::Exact(e) => e == v,
            Match::Regex(r) => r.is_match(v),
        }
    }

    fn show(&self) -> String {
        match self {
            Match::Exact(e) => format!("{e:?}"),
            Match::Regex(r) => format!("a match of {}", r.as_str()),
        }
    }
}

#[derive(Debug, Clone)]
struct Identity {
    policy: Policy,
    shown: String,
    extensions: Vec<(u32, Match)>,
}

#[derive(Debug, Clone)]
enum ValueRule {
    Equals(Value),
    Regex(Regex),
    OneOf(Vec<Value>),
}

/// A policy ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    identities: Vec<Identity>,
    threshold: usize,
    predicate_type: Option<String>,
    predicate: Vec<(String, ValueRule)>,
    signed_after: Option<i64>,
    signed_before: Option<i64>,
}

fn anchored(file: &str, what: &str, pattern: &str) -> Result<Regex> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| Error::Parse {
        file: file.into(),
        reason: format!("{what}: invalid regular expression {pattern:?}: {e}"),
    })
}

/// The Fulcio extension arc a policy names: `1.3.6.1.4.1.57264.1.N`, `N`, or the upstream
/// name in snake case (`source_repository_uri`; `issuer` is .8, the deprecated ones are not
/// named).
pub fn extension_arc(key: &str) -> Option<u32> {
    if let Some(n) = key.strip_prefix("1.3.6.1.4.1.57264.1.").or(Some(key)) {
        if let Ok(n) = n.parse::<u32>() {
            return FULCIO_EXTENSIONS.iter().any(|(k, _)| *k == n).then_some(n);
        }
    }
    FULCIO_EXTENSIONS
        .iter()
        .filter(|(_, name)| !name.contains("deprecated"))
        .find(|(_, name)| name.to_ascii_lowercase().replace(' ', "_") == key)
        .map(|(n, _)| *n)
}

impl PolicyFile {
    /// Parse a policy file (YAML, of which JSON is a subset); `file` names it in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self> {
        let bad = |reason: String| Error::Parse {
            file: file.into(),
            reason,
        };
        if bytes.len() > MAX_POLICY_BYTES {
            return Err(bad(format!(
                "expected at most {MAX_POLICY_BYTES} bytes, found {}",
                bytes.len()
            )));
        }
        let p: PolicyFile = serde_yaml_ng::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        let n = p.identities.len()
            + p.predicate.len()
            + p.identities
                .iter()
                .map(|i| i.extensions.len() + i.extensions_regex.len())
                .sum::<usize>();
        if n > MAX_RULES {
            return Err(bad(format!("more than {MAX_RULES} rules")));
        }
        Ok(p)
    }

    /// Check the file's rules are usable and compile them.
    pub fn compile(&self, file: &str) -> Result<CompiledPolicy> {
        let bad = |reason: String| Error::Parse {
            file: file.into(),
            reason,
        };
        if self.version != 1 {
            return Err(bad(format!("expected version: 1, found {}", self.version)));
        }
        if self.identities.is_empty() {
            return Err(bad(
                "expected at least one entry in identities, found none".into()
            ));
        }
        if self.threshold == 0 {
            return Err(bad("expected a threshold of at least 1, found 0".into()));
        }
        let mut identities = vec![];
        for (i, id) in self.identities.iter().enumerate() {
            let what = format!("identities[{i}]");
            let (policy, shown) = match (&id.san, &id.san_regex) {
                (Some(s), None) => (
                    Policy::identity(s.clone(), id.issuer.clone()),
                    format!("{s} ({})", id.issuer),
                ),
                (None, Some(r)) => (
                    // Anchored as `Policy::identity_regex`, compiled once, the error naming
                    // the policy file's rule.
                    Policy::any_identity_unsafe()
                        .with_identity_matcher(IdentityMatcher::Regex(anchored(file, &what, r)?))
                        .with_issuer(id.issuer.clone()),
                    format!("SAN matching {r} ({})", id.issuer),
                ),
                _ => {
                    return Err(bad(format!(
                        "{what}: expected exactly one of san and san_regex"
                    )))
                }
            };
            let mut extensions = vec![];
            for (k, v) in &id.extensions {
                let arc = extension_arc(k)
                    .ok_or_else(|| bad(format!("{what}: unknown Fulcio extension {k:?}")))?;
                extensions.push((arc, Match::Exact(v.clone())));
            }
            for (k, v) in &id.extensions_regex {
                let arc = extension_arc(k)
                    .ok_or_else(|| bad(format!("{what}: unknown Fulcio extension {k:?}")))?;
                extensions.push((arc, Match::Regex(anchored(file, &what, v)?)));
            }
            identities.push(Identity {
                policy,
                shown,
                extensions,
            });
        }
        let mut predicate = vec![];
        for (i, r) in self.predicate.iter().enumerate() {
            let what = format!("predicate[{i}]");
            if !(r.pointer.is_empty() || r.pointer.starts_with('/')) {
                return Err(bad(format!(
                    "{what}: expected a JSON pointer (\"/a/b\"), found {:?}",
                    r.pointer
                )));
            }
            let v = match (&r.equals, &r.regex, &r.one_of) {
                (Some(e), None, None) => ValueRule::Equals(e.clone()),
                (None, Some(re), None) => ValueRule::Regex(anchored(file, &what, re)?),
                (None, None, Some(o)) => ValueRule::OneOf(o.clone()),
                _ => {
                    return Err(bad(format!(
                        "{what}: expected exactly one of equals, regex and one_of"
                    )))
                }
            };
            predicate.push((r.pointer.clone(), v));
        }
        let time = |name: &str, t: &Option<String>| -> Result<Option<i64>> {
            t.as_deref()
                .map(|s| {
                    parse_rfc3339(s).map_err(|e| {
                        bad(format!(
                            "{name}: expected an RFC 3339 time, found {s:?}: {e}"
                        ))
                    })
                })
                .transpose()
        };
        Ok(CompiledPolicy {
            identities,
            threshold: self.threshold,
            predicate_type: self.predicate_type.clone(),
            predicate,
            signed_after: time("signed_after", &self.signed_after)?,
            signed_before: time("signed_before", &self.signed_before)?,
        })
    }
}

/// One bundle's evaluation: the signer it counts for, or why it does not count.
#[derive(Debug)]
pub struct BundleOutcome {
    /// The bundle's label (its path).
    pub label: String,
    /// The signer (SAN, issuer) when every rule held.
    pub result: Result<(String, String)>,
}

/// The whole evaluation: each bundle, and whether the threshold of distinct signers is met.
#[derive(Debug)]
pub struct Evaluation {
    /// Per bundle, in order.
    pub bundles: Vec<BundleOutcome>,
    /// Distinct signers among the bundles that passed.
    pub signers: BTreeSet<(String, String)>,
    /// `Ok` when at least the threshold of distinct signers passed.
    pub threshold: Result<()>,
}

impl CompiledPolicy {
    /// Evaluate the policy over `bundles` for one `artifact`: each is verified, then checked
    /// against the rules; the threshold counts distinct signers among those that pass.
    pub fn evaluate(
        &self,
        verifier: &Verifier,
        artifact: Artifact<'_>,
        bundles: &[(String, Bundle)],
    ) -> Evaluation {
        let mut signers = BTreeSet::new();
        let mut out = vec![];
        for (label, b) in bundles.iter().take(MAX_BUNDLES) {
            let result = verifier
                .verify(b, artifact, &Policy::any_identity_unsafe())
                .map_err(Error::from)
                .and_then(|v| self.check(b, &v));
            if let Ok(s) = &result {
                signers.insert(s.clone());
            }
            out.push(BundleOutcome {
                label: label.clone(),
                result,
            });
        }
        let threshold = if signers.len() >= self.threshold {
            Ok(())
        } else {
            Err(rule(
                "threshold",
                format!("{} distinct signer(s)", self.threshold),
                format!(
                    "{} ({} of {} bundle(s) passed{})",
                    signers.len(),
                    out.iter().filter(|o| o.result.is_ok()).count(),
                    bundles.len(),
                    if signers.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ": {}",
                            signers
                                .iter()
                                .map(|(s, i)| format!("{s} ({i})"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ),
            ))
        };
        Evaluation {
            bundles: out,
            signers,
            threshold,
        }
    }

    /// The rules over one verified bundle: the signer it counts for.
    pub fn check(&self, bundle: &Bundle, v: &Verified) -> Result<(String, String)> {
        let cert = &v.certificate;
        self.check_identity(cert)?;
        for (t, _) in &v.signing_times {
            if let Some(a) = self.signed_after.filter(|a| t < a) {
                return Err(rule(
                    "signed_after",
                    format!("a signing time at or after {}", format_rfc3339(a)),
                    format_rfc3339(*t),
                ));
            }
            if let Some(b) = self.signed_before.filter(|b| t >= b) {
                return Err(rule(
                    "signed_before",
                    format!("a signing time before {}", format_rfc3339(b)),
                    format_rfc3339(*t),
                ));
            }
        }
        if self.predicate_type.is_some() || !self.predicate.is_empty() {
            let payload = bundle
                .dsse_envelope
                .as_ref()
                .map(|e| e.payload.as_slice())
                .ok_or_else(|| {
                    rule(
                        "predicate_type",
                        "a DSSE bundle with an in-toto statement",
                        "a message signature",
                    )
                })?;
            let st: Value = serde_json::from_slice(payload)
                .map_err(|e| rule("predicate", "a JSON statement", e.to_string()))?;
            if let Some(want) = &self.predicate_type {
                let got = st["predicateType"].as_str().unwrap_or("none");
                if got != want {
                    return Err(rule("predicate_type", want.clone(), got));
                }
            }
            let pred = &st["predicate"];
            for (i, (ptr, r)) in self.predicate.iter().enumerate() {
                let name = format!("predicate[{i}] {ptr}");
                let got = pred.pointer(ptr);
                let shown = got
                    .map(|g| g.to_string())
                    .unwrap_or_else(|| "nothing".into());
                let holds = match (r, got) {
                    (_, None) => false,
                    (ValueRule::Equals(e), Some(g)) => e == g,
                    (ValueRule::Regex(re), Some(g)) => g.as_str().is_some_and(|s| re.is_match(s)),
                    (ValueRule::OneOf(o), Some(g)) => o.contains(g),
                };
                if !holds {
                    let expected = match r {
                        ValueRule::Equals(e) => e.to_string(),
                        ValueRule::Regex(re) => format!("a string matching {}", re.as_str()),
                        ValueRule::OneOf(o) => format!(
                            "one of {}",
                            o.iter()
                                .map(|x| x.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    return Err(rule(name, expected, shown));
                }
            }
        }
        Ok((
            cert.identity(),
            cert.oidc_issuer().ok().flatten().unwrap_or_default(),
        ))
    }

    /// Any of the identities: the first that holds, else every one's reason.
    fn check_identity(&self, cert: &Certificate) -> Result<()> {
        let mut why = vec![];
        for (i, id) in self.identities.iter().enumerate() {
            let r = id
                .policy
                .check(cert)
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    for (arc, m) in &id.extensions {
                        let got = cert.fulcio_extension(*arc).ok().flatten();
                        if !got.as_deref().is_some_and(|g| m.holds(g)) {
                            return Err(format!(
                                "extension 1.3.6.1.4.1.57264.1.{arc}: expected {}, found {}",
                                m.show(),
                                got.map(|g| format!("{g:?}"))
                                    .unwrap_or_else(|| "none".into())
                            ));
                        }
                    }
                    Ok(())
                });
            match r {
                Ok(()) => return Ok(()),
                Err(e) => why.push(format!("[{i}] {}: {e}", id.shown)),
            }
        }
        Err(rule(
            "identities",
            "any of the identities",
            format!(
                "{} ({} {}): {}",
                cert.identity(),
                "issuer",
                cert.oidc_issuer().ok().flatten().unwrap_or_default(),
                why.join("; ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(yaml: &str) -> Result<CompiledPolicy> {
        PolicyFile::parse("p.yaml", yaml.as_bytes())?.compile("p.yaml")
    }

    #[test]
    fn extension_names_and_oids() {
        assert_eq!(extension_arc("source_repository_uri"), Some(12));
        assert_eq!(extension_arc("1.3.6.1.4.1.57264.1.12"), Some(12));
        assert_eq!(extension_arc("12"), Some(12));
        assert_eq!(extension_arc("issuer"), Some(8));
        assert_eq!(extension_arc("7"), None);
        assert_eq!(extension_arc("nope"), None);
    }

    #[test]
    fn malformed_policies_say_what_is_wrong() {
        for (yaml, want) in [
            ("version: 2\nidentities: [{san: a, issuer: b}]\n", "expected version: 1"),
            ("version: 1\nidentities: []\n", "at least one entry in identities"),
            ("version: 1\nidentities: [{issuer: b}]\n", "exactly one of san and san_regex"),
            ("version: 1\nidentities: [{san: a, san_regex: b, issuer: c}]\n", "exactly one of san"),
            ("version: 1\nidentities: [{san_regex: '(', issuer: c}]\n", "invalid regular expression"),
            ("version: 1\nidentities: [{san: a, issuer: b, extensions: {nope: x}}]\n", "unknown Fulcio extension"),
            ("version: 1\nidentities: [{san: a, issuer: b}]\nthreshold: 0\n", "threshold of at least 1"),
            ("version: 1\nidentities: [{san: a, issuer: b}]\npredicate: [{pointer: x, equals: 1}]\n", "JSON pointer"),
            ("version: 1\nidentities: [{san: a, issuer: b}]\npredicate: [{pointer: /x}]\n", "exactly one of equals"),
            ("version: 1\nidentities: [{san: a, issuer: b}]\nsigned_after: yesterday\n", "RFC 3339"),
            ("version: 1\nidentities: [{san: a, issuer: b}]\nbogus: 1\n", "unknown field"),
        ] {
            let e = compile(yaml).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains("p.yaml"), "{yaml}: {e}");
        }
        // JSON is YAML too.
        compile(r#"{"version": 1, "identities": [{"san": "a", "issuer": "b"}]}"#).unwrap();
    }

    /// docs/policy.md's example compiles, and docs/policy.schema.json names the same keys
    /// the parser takes (the two documents stay true).
    #[test]
    fn documented_example_and_schema_match_the_parser() {
        let doc = include_str!("../../../docs/policy.md");
        let yaml = doc
            .split("```yaml\n")
            .nth(1)
            .and_then(|s| s.split("```").next())
            .expect("a yaml block in docs/policy.md");
        let p = compile(yaml).unwrap();
        assert_eq!(p.threshold, 2);
        assert_eq!(p.identities.len(), 2);
        assert_eq!(p.predicate.len(), 3);
        let schema: Value =
            serde_json::from_str(include_str!("../../../docs/policy.schema.json")).unwrap();
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&schema),
            [
                "identities",
                "predicate",
                "predicate_type",
                "signed_after",
                "signed_before",
                "threshold",
                "version"
            ]
        );
        assert_eq!(
            keys(&schema["properties"]["identities"]["items"]),
            [
                "extensions",
                "extensions_regex",
                "issuer",
                "san",
                "san_regex"
            ]
        );
        assert_eq!(
            keys(&schema["properties"]["predicate"]["items"]),
            ["equals", "one_of", "pointer", "regex"]
        );
    }
}
