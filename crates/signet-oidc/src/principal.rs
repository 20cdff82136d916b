//! Mapping verified claims to what a Fulcio certificate holds: the SAN, the OIDC issuer
//! (extensions `.1` and `.8`), the other Fulcio extensions (`1.3.6.1.4.1.57264.1.N`), and the
//! name the proof of possession signs.
//!
//! The CI mappings follow Fulcio's `ci-issuer-metadata` templates (`config/identity/config.yaml`)
//! and its `ciprovider` principal: a referenced claim that is absent is an error, an extension
//! whose value is empty is left out, `environment` is optional, and `url` defaults to the
//! platform's URL unless the token carries a `url` claim. Values substituted into a URL template
//! are HTML-escaped as Go's `html/template` does (`&'"+<>`), so the output is byte-identical to
//! Fulcio's even for unusual refs.

use serde_json::Value;

use crate::config::{split_url, IssuerConfig, Mapping};
use crate::jws::Claims;
use crate::{Error, Result};

/// The single SAN entry of a Fulcio certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum San {
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// otherName with type-id 1.3.6.1.4.1.57264.1.7 holding a UTF8String `user!domain`.
    Username(String),
}

impl San {
    /// The SAN value.
    pub fn value(&self) -> &str {
        match self {
            San::Email(v) | San::Uri(v) | San::Username(v) => v,
        }
    }

    /// `email`, `uri` or `username`.
    pub fn kind(&self) -> &'static str {
        match self {
            San::Email(_) => "email",
            San::Uri(_) => "uri",
            San::Username(_) => "username",
        }
    }
}

/// What a certificate for a verified token holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The SAN (exactly one entry).
    pub san: San,
    /// The OIDC issuer for extensions `.1` (raw UTF-8) and `.8` (DER UTF8String): `iss`, or for
    /// email issuers with an `IssuerClaim`, the claim it points at.
    pub issuer: String,
    /// Other Fulcio extensions as (N of `1.3.6.1.4.1.57264.1.N`, value), ascending, empty
    /// values left out. `.2`–`.6` are encoded as raw UTF-8 bytes, `.9` and up as DER
    /// UTF8String. Does not include `.1`/`.8` (see [`Principal::all_extensions`]).
    pub extensions: Vec<(u32, String)>,
    /// The value the proof of possession signs: the email for email issuers, `sub` for the
    /// others (or the issuer's `ChallengeClaim`).
    pub challenge_name: String,
}

impl Principal {
    /// The value of extension `.n`, including the issuer for `.1` and `.8`.
    pub fn extension(&self, n: u32) -> Option<&str> {
        if n == 1 || n == 8 {
            return Some(&self.issuer);
        }
        self.extensions
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.as_str())
    }

    /// Every Fulcio extension the certificate carries, `.1` and `.8` included, ascending.
    pub fn all_extensions(&self) -> Vec<(u32, String)> {
        let mut all = vec![(1, self.issuer.clone()), (8, self.issuer.clone())];
        all.extend(self.extensions.iter().cloned());
        all.sort_by_key(|(n, _)| *n);
        all
    }

    /// Whether extension `.n` holds raw UTF-8 bytes (the deprecated `.1`–`.6`) rather than a DER
    /// UTF8String (`.8` and up).
    pub fn is_raw_extension(n: u32) -> bool {
        (1..=6).contains(&n)
    }
}

/// Escape like Go's `html/template` does for a value in HTML text context.
pub fn go_html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '+' => out.push_str("&#43;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// One part of a Fulcio extension template.
enum P<'a> {
    /// Literal text.
    L(&'a str),
    /// A claim (or default) value, escaped.
    C(&'a str),
}

/// Claims plus the template defaults.
struct Ctx<'a> {
    claims: &'a Claims,
    defaults: Vec<(&'a str, String)>,
}

fn value_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

impl Ctx<'_> {
    /// A claim's value (claims win over defaults); absent is an error.
    fn get(&self, name: &str) -> Result<String> {
        if let Some(v) = self.claims.get(name).and_then(value_string) {
            return Ok(v);
        }
        self.defaults
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::missing(name))
    }

    /// A claim that must be present and non-empty (used for the SAN).
    fn nonempty(&self, name: &str) -> Result<String> {
        let v = self.get(name)?;
        if v.is_empty() {
            return Err(Error::missing(name));
        }
        Ok(v)
    }

    /// `{{ .url }}/{{ .claim }}`: a path under the CI server's URL.
    fn url_path(&self, claim: &str) -> Result<String> {
        self.tpl(&[P::C("url"), P::L("/"), P::C(claim)])
    }

    fn tpl(&self, parts: &[P<'_>]) -> Result<String> {
        let mut out = String::new();
        for p in parts {
            match p {
                P::L(s) => out.push_str(s),
                P::C(name) => out.push_str(&go_html_escape(&self.get(name)?)),
            }
        }
        Ok(out)
    }
}

/// Collects extensions, leaving out empty values.
struct Exts(Vec<(u32, String)>);

impl Exts {
    fn push(&mut self, n: u32, v: String) {
        if !v.is_empty() {
            self.0.push((n, v));
        }
    }
}

/// Map verified `claims` to a [`Principal`] with the issuer configuration `cfg`.
pub fn principal_from_claims(claims: &Claims, cfg: &IssuerConfig) -> Result<Principal> {
    let iss = claims.req_str("iss")?.to_string();
    let mapping = cfg.mapping()?;
    let challenge_name = claims.req_str(cfg.challenge_claim_name())?.to_string();
    let (san, issuer, extensions) = match mapping {
        Mapping::Email => email(claims, cfg, iss)?,
        Mapping::Uri => uri(claims, cfg, iss)?,
        Mapping::Username => username(claims, cfg, iss)?,
        Mapping::Kubernetes => kubernetes(claims, iss)?,
        Mapping::GithubWorkflow => github(claims, iss)?,
        Mapping::GitlabPipeline => gitlab(claims, iss)?,
    };
    Ok(Principal {
        san,
        issuer,
        extensions,
        challenge_name,
    })
}

type Mapped = (San, String, Vec<(u32, String)>);

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !local.contains("://")
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

fn email(claims: &Claims, cfg: &IssuerConfig, iss: String) -> Result<Mapped> {
    check_email_verified(claims)?;
    let addr = claims.req_str("email")?;
    let valid = looks_like_email(addr)
        && addr.len() <= 254
        && addr
            .rsplit_once('@')
            .is_some_and(|(_, d)| !d.starts_with('.') && !d.ends_with('.') && !d.contains(".."));
    if !valid {
        return Err(Error::InvalidClaim {
            claim: "email".into(),
            expected: "an email address (local@domain)".into(),
            found: format!("{addr:?}"),
        });
    }
    let issuer = match cfg.issuer_claim.as_deref().filter(|c| !c.is_empty()) {
        Some(path) => claims.string_at_path(path)?.to_string(),
        None => iss,
    };
    Ok((San::Email(addr.to_string()), issuer, Vec::new()))
}

fn uri(claims: &Claims, cfg: &IssuerConfig, iss: String) -> Result<Mapped> {
    let sub = claims.req_str("sub")?;
    if looks_like_email(sub) {
        return Err(Error::InvalidClaim {
            claim: "sub".into(),
            expected: "a URI (uri issuers do not accept email subjects)".into(),
            found: format!("{sub:?}"),
        });
    }
    let domain = cfg
        .subject_domain
        .as_deref()
        .ok_or_else(|| Error::InvalidConfig {
            issuer: cfg.issuer_url.clone(),
            reason: "uri issuers need SubjectDomain".into(),
        })?;
    let (d_scheme, d_host) = split_url(domain).ok_or_else(|| Error::InvalidConfig {
        issuer: cfg.issuer_url.clone(),
        reason: format!("SubjectDomain {domain:?} is not scheme://host"),
    })?;
    let mismatch = |reason: String| Error::SubjectDomainMismatch {
        subject: sub.to_string(),
        expected: domain.to_string(),
        reason,
    };
    let (s_scheme, s_host) =
        split_url(sub).ok_or_else(|| mismatch("the subject is not a scheme://host URI".into()))?;
    if s_scheme != d_scheme {
        return Err(mismatch(format!(
            "scheme {s_scheme:?} differs from {d_scheme:?}"
        )));
    }
    if !s_host.eq_ignore_ascii_case(d_host) {
        return Err(mismatch(format!("host {s_host:?} differs from {d_host:?}")));
    }
    Ok((San::Uri(sub.to_string()), iss, Vec::new()))
}

fn username(claims: &Claims, cfg: &IssuerConfig, iss: String) -> Result<Mapped> {
    let sub = claims.req_str("sub")?;
    if sub.contains('!') || sub.contains('@') {
        return Err(Error::InvalidClaim {
            claim: "sub".into(),
            expected: "a username without '!' or '@'".into(),
            found: format!("{sub:?}"),
        });
    }
    let domain = cfg
        .subject_domain
        .as_deref()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| Error::InvalidConfig {
            issuer: cfg.issuer_url.clone(),
            reason: "username issuers need SubjectDomain".into(),
        })?;
    Ok((San::Username(format!("{sub}!{domain}")), iss, Vec::new()))
}

fn kubernetes(claims: &Claims, iss: String) -> Result<Mapped> {
    let k8s = claims
        .get("kubernetes.io")
        .ok_or_else(|| Error::missing("kubernetes.io"))?;
    let get = |path: &[&str], name: &str| -> Result<String> {
        let mut cur = k8s;
        for p in path {
            cur = cur.get(p).ok_or_else(|| Error::missing(name))?;
        }
        match cur.as_str() {
            Some(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(Error::missing(name)),
        }
    };
    let ns = get(&["namespace"], "kubernetes.io.namespace")?;
    let sa = get(
        &["serviceaccount", "name"],
        "kubernetes.io.serviceaccount.name",
    )?;
    Ok((
        San::Uri(format!(
            "https://kubernetes.io/namespaces/{ns}/serviceaccounts/{sa}"
        )),
        iss,
        Vec::new(),
    ))
}

/// GitHub Actions (Fulcio `github-workflow` ci-issuer-metadata).
fn github(claims: &Claims, iss: String) -> Result<Mapped> {
    // Fulcio: claims override the `url` default. `server_url` is honoured as well (a GitHub
    // Enterprise Server host), after an explicit `url` claim.
    let base = match claims.opt_str("url")?.filter(|s| !s.is_empty()) {
        Some(u) => u.to_string(),
        None => claims
            .opt_str("server_url")?
            .filter(|s| !s.is_empty())
            .unwrap_or("https://github.com")
            .trim_end_matches('/')
            .to_string(),
    };
    let ctx = Ctx {
        claims,
        defaults: vec![("url", base), ("environment", String::new())],
    };
    ctx.nonempty("job_workflow_ref")?;
    let san = ctx.url_path("job_workflow_ref")?;
    let mut e = Exts(Vec::new());
    e.push(2, ctx.get("event_name")?);
    e.push(3, ctx.get("sha")?);
    e.push(4, ctx.get("workflow")?);
    e.push(5, ctx.get("repository")?);
    e.push(6, ctx.get("ref")?);
    e.push(9, san.clone());
    e.push(10, ctx.get("job_workflow_sha")?);
    e.push(11, ctx.get("runner_environment")?);
    e.push(12, ctx.url_path("repository")?);
    e.push(13, ctx.get("sha")?);
    e.push(14, ctx.get("ref")?);
    e.push(15, ctx.get("repository_id")?);
    e.push(16, ctx.url_path("repository_owner")?);
    e.push(17, ctx.get("repository_owner_id")?);
    e.push(18, ctx.url_path("workflow_ref")?);
    e.push(19, ctx.get("workflow_sha")?);
    e.push(20, ctx.get("event_name")?);
    e.push(
        21,
        ctx.tpl(&[
            P::C("url"),
            P::L("/"),
            P::C("repository"),
            P::L("/actions/runs/"),
            P::C("run_id"),
            P::L("/attempts/"),
            P::C("run_attempt"),
        ])?,
    );
    e.push(22, ctx.get("repository_visibility")?);
    e.push(23, ctx.get("environment")?);
    Ok((San::Uri(san), iss, e.0))
}

/// GitLab CI (Fulcio `gitlab-pipeline` ci-issuer-metadata).
fn gitlab(claims: &Claims, iss: String) -> Result<Mapped> {
    let ctx = Ctx {
        claims,
        defaults: vec![
            ("url", "https://gitlab.com".to_string()),
            ("environment", String::new()),
        ],
    };
    ctx.nonempty("ci_config_ref_uri")?;
    let config_uri = ctx.tpl(&[P::L("https://"), P::C("ci_config_ref_uri")])?;
    // refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref }}
    let ref_kind = if ctx.get("ref_type")? == "branch" {
        "heads/"
    } else {
        "tags/"
    };
    let mut e = Exts(Vec::new());
    e.push(9, config_uri.clone());
    e.push(10, ctx.get("ci_config_sha")?);
    e.push(11, ctx.get("runner_environment")?);
    e.push(12, ctx.url_path("project_path")?);
    e.push(13, ctx.get("sha")?);
    e.push(14, ctx.tpl(&[P::L("refs/"), P::L(ref_kind), P::C("ref")])?);
    e.push(15, ctx.get("project_id")?);
    e.push(16, ctx.url_path("namespace_path")?);
    e.push(17, ctx.get("namespace_id")?);
    e.push(18, config_uri.clone());
    e.push(19, ctx.get("ci_config_sha")?);
    e.push(20, ctx.get("pipeline_source")?);
    e.push(
        21,
        ctx.tpl(&[
            P::C("url"),
            P::L("/"),
            P::C("project_path"),
            P::L("/-/jobs/"),
            P::C("job_id"),
        ])?,
    );
    e.push(22, ctx.get("project_visibility")?);
    e.push(23, ctx.get("environment")?);
    Ok((San::Uri(config_uri), iss, e.0))
}

/// Require `email` and `email_verified == true` (boolean, or the string `"true"`).
pub(crate) fn check_email_verified(claims: &Claims) -> Result<()> {
    let email = claims.req_str("email")?;
    match claims.email_verified()? {
        Some(true) => Ok(()),
        other => Err(Error::EmailNotVerified {
            email: email.to_string(),
            found: match other {
                Some(false) => "false".into(),
                _ => "absent".into(),
            },
        }),
    }
}
