//! SLSA provenance verification for slsa-github-generator builders, with the semantics of
//! slsa-verifier's `verify-artifact` (../shared/docs/protocols.md, "Ecosystem verifiers").
//!
//! This module is pure: it runs after [`crate::Verifier::verify`] has established that a
//! Fulcio certificate valid at a logged signing time signed the DSSE envelope, and checks what
//! the certificate and the provenance say about the build:
//!
//! 1. the certificate SAN is a trusted slsa-github-generator reusable workflow, issued by the
//!    GitHub Actions OIDC issuer, at a `refs/tags/vX.Y.Z` ref (branches are rejected; the
//!    slsa-verifier testing override for `refs/heads/main` is deliberately not implemented);
//! 2. `--builder-id`, if given, matches the certificate's builder (name, and version if given;
//!    `v2.1.0` and `refs/tags/v2.1.0` are the same version);
//! 3. the provenance is SLSA v0.2 or v1 with an allowed buildType, and its builder ID is exactly
//!    the certificate's;
//! 4. the source: `--source-uri` against the provenance trigger and first material, and against
//!    the certificate's source repository;
//! 5. certificate extensions (.13/.3 commit, .14/.6 ref, .20/.2 trigger) agree with the
//!    provenance;
//! 6. the artifact's SHA-256 is a subject;
//! 7. optional `--source-branch`, `--source-tag`, `--source-versioned-tag` and
//!    `--build-workflow-input` constraints.
//!
//! No network I/O happens here.

use serde_json::{Map, Value};
use signet_core::x509::{Certificate, SanIdentity};
use thiserror::Error as ThisError;

use crate::policy::{Policy, GITHUB_ISSUER};

pub mod npm;

/// The repository hosting the trusted reusable workflows.
pub const TRUSTED_BUILDER_REPOSITORY: &str = "slsa-framework/slsa-github-generator";

/// URL prefix of every trusted builder workflow.
pub const TRUSTED_BUILDER_PREFIX: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/";

/// The trusted reusable workflows (file names under [`TRUSTED_BUILDER_PREFIX`]).
pub const TRUSTED_WORKFLOWS: &[&str] = &[
    "generator_generic_slsa3.yml",
    "builder_go_slsa3.yml",
    "builder_container-based_slsa3.yml",
    "delegator_generic_slsa3.yml",
    "delegator_lowperms-generic_slsa3.yml",
    "generator_container_slsa3.yml",
];

/// SLSA provenance v0.2 predicate type.
pub const PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";
/// SLSA provenance v1 predicate type.
pub const PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

/// buildTypes accepted from the trusted builders (slsa-verifier's list, legacy ones included).
pub const ALLOWED_BUILD_TYPES: &[&str] = &[
    "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
    "https://github.com/slsa-framework/slsa-github-generator/go@v1",
    "https://github.com/slsa-framework/slsa-github-generator/container@v1",
    "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0",
    "https://slsa.dev/container-based-build/v0.1?draft",
    "https://github.com/slsa-framework/slsa-github-generator-go@v1",
    "https://github.com/slsa-framework/slsa-github-generator@v1",
];

/// Why SLSA verification failed. Messages name what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The certificate's builder is not a trusted reusable workflow (or the issuer is wrong).
    #[error("untrusted builder: {0}")]
    UntrustedBuilder(String),
    /// The builder workflow ref is not a `refs/tags/vX.Y.Z` tag.
    #[error("invalid builder ref: {0}")]
    BuilderRef(String),
    /// `--builder-id` does not match the certificate / provenance builder.
    #[error("builder ID mismatch: {0}")]
    BuilderId(String),
    /// The provenance is malformed or of an unsupported type.
    #[error("invalid provenance: {0}")]
    Provenance(String),
    /// The certificate and the provenance disagree.
    #[error("certificate does not match provenance: {0}")]
    Certificate(String),
    /// The source repository does not match `--source-uri`.
    #[error("source mismatch: {0}")]
    Source(String),
    /// The artifact digest is not a subject of the provenance.
    #[error("digest mismatch: {0}")]
    Digest(String),
    /// `--source-branch` mismatch.
    #[error("branch mismatch: {0}")]
    Branch(String),
    /// `--source-tag` mismatch.
    #[error("tag mismatch: {0}")]
    Tag(String),
    /// `--source-versioned-tag` mismatch or invalid semver.
    #[error("versioned tag mismatch: {0}")]
    VersionedTag(String),
    /// `--build-workflow-input` mismatch.
    #[error("workflow input mismatch: {0}")]
    WorkflowInputs(String),
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the user asked to be checked (slsa-verifier's flags).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--source-uri`, e.g. `github.com/slsa-framework/example-package`.
    pub source_uri: String,
    /// `--source-tag`: exact tag name.
    pub source_tag: Option<String>,
    /// `--source-versioned-tag`: semver prefix (`v13`, `v13.0`, `v13.0.30`).
    pub source_versioned_tag: Option<String>,
    /// `--source-branch`: branch name.
    pub source_branch: Option<String>,
    /// `--builder-id`: `NAME`, `NAME@vX.Y.Z` or `NAME@refs/tags/vX.Y.Z`.
    pub builder_id: Option<String>,
    /// `--build-workflow-input k=v`, in order.
    pub workflow_inputs: Vec<(String, String)>,
}

/// The outcome of a successful SLSA verification.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The verified builder ID, `NAME@refs/tags/vX.Y.Z`.
    pub builder_id: String,
    /// The source commit (certificate .13, or legacy .3).
    pub commit: String,
    /// The whole in-toto statement (for `--print-provenance`).
    pub statement: Value,
}

/// The identity policy for [`crate::Verifier::verify`]: any SAN under the trusted builder
/// workflow prefix, issued by GitHub Actions. The exact workflow and ref are checked by
/// [`verify_provenance`].
pub fn builder_policy() -> Policy {
    // The prefix is a constant made of regex-safe characters once '.' is escaped.
    let pattern = format!("{}.*", regex::escape(TRUSTED_BUILDER_PREFIX));
    match Policy::identity_regex(&pattern, GITHUB_ISSUER) {
        Ok(p) => p,
        // Unreachable: the escaped constant always compiles; fall back to a policy that
        // accepts nothing useful rather than panicking.
        Err(_) => Policy::identity(TRUSTED_BUILDER_PREFIX, GITHUB_ISSUER),
    }
}

/// A builder ID split into name and optional version (`name@version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderId {
    /// Workflow URL without the ref.
    pub name: String,
    /// The ref or version after `@`, empty if none.
    pub version: String,
}

impl BuilderId {
    /// Parse `name[@version]` (slsa-verifier's `ParseBuilderID`).
    pub fn parse(id: &str, need_version: bool) -> Result<Self> {
        let parts: Vec<&str> = id.split('@').collect();
        match parts.as_slice() {
            [name, version] if !version.is_empty() => Ok(BuilderId {
                name: (*name).to_string(),
                version: (*version).to_string(),
            }),
            [name] if !need_version => Ok(BuilderId {
                name: (*name).to_string(),
                version: String::new(),
            }),
            _ => Err(Error::BuilderId(format!(
                "builder ID {id:?} is not of the form NAME{}",
                if need_version { "@REF" } else { "[@REF]" }
            ))),
        }
    }

    /// `--builder-id` matching: names equal; if `expected` has a version it must equal ours,
    /// where `vX.Y.Z` also matches our `refs/tags/vX.Y.Z`.
    pub fn matches_loose(&self, expected: &str) -> Result<()> {
        let e = BuilderId::parse(expected, false)?;
        if e.name != self.name {
            return Err(Error::BuilderId(format!(
                "expected builder {:?}, found {:?}",
                e.name, self.name
            )));
        }
        if !e.version.is_empty()
            && e.version != self.version
            && format!("refs/tags/{}", e.version) != self.version
        {
            return Err(Error::BuilderId(format!(
                "expected builder version {:?}, found {:?}",
                e.version, self.version
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for BuilderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.version.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}@{}", self.name, self.version)
        }
    }
}

/// The certificate was issued for a GitHub Actions token.
fn check_github_issuer(leaf: &Certificate) -> Result<()> {
    match leaf
        .oidc_issuer()
        .map_err(|e| Error::Certificate(e.to_string()))?
    {
        Some(i) if i == GITHUB_ISSUER => Ok(()),
        other => Err(Error::UntrustedBuilder(format!(
            "certificate OIDC issuer {other:?}, expected {GITHUB_ISSUER:?}"
        ))),
    }
}

/// Step 1–2: the certificate's builder. Returns the builder ID (`NAME@refs/tags/vX.Y.Z`).
pub fn verify_builder_identity(leaf: &Certificate, expected: Option<&str>) -> Result<BuilderId> {
    let cert_err = |e: signet_core::Error| Error::Certificate(e.to_string());
    check_github_issuer(leaf)?;
    let sans = leaf.san_identities().map_err(cert_err)?;
    let san = match sans.as_slice() {
        [SanIdentity::Uri(u)] => u.clone(),
        other => {
            return Err(Error::UntrustedBuilder(format!(
                "expected exactly one URI SAN naming the builder workflow, found {other:?}"
            )))
        }
    };
    let id = BuilderId::parse(&san, true).map_err(|_| {
        Error::UntrustedBuilder(format!(
            "certificate SAN {san:?} is not a workflow reference NAME@REF"
        ))
    })?;
    let trusted = id
        .name
        .strip_prefix(TRUSTED_BUILDER_PREFIX)
        .is_some_and(|w| TRUSTED_WORKFLOWS.contains(&w));
    if !trusted {
        return Err(Error::UntrustedBuilder(format!(
            "certificate builder workflow {:?} is not one of the trusted workflows {TRUSTED_BUILDER_PREFIX}{{{}}}",
            id.name,
            TRUSTED_WORKFLOWS.join(",")
        )));
    }
    // A delegator (BYOB) signs for the builder the provenance names: `--builder-id` is
    // matched against that (see [`verify_provenance`]), not the certificate.
    if let Some(e) = expected.filter(|e| !e.is_empty() && !is_delegator(&id)) {
        id.matches_loose(e)?;
    }
    verify_builder_ref(&id.version)?;
    Ok(id)
}

/// The BYOB delegator workflows: a certificate for one of these signs provenance whose builder
/// is a trusted reusable workflow (TRW) of another repository.
pub const DELEGATOR_WORKFLOWS: &[&str] = &[
    "delegator_generic_slsa3.yml",
    "delegator_lowperms-generic_slsa3.yml",
];

/// Whether the certificate's builder is a BYOB delegator.
pub fn is_delegator(cert_builder: &BuilderId) -> bool {
    cert_builder
        .name
        .strip_prefix(TRUSTED_BUILDER_PREFIX)
        .is_some_and(|w| DELEGATOR_WORKFLOWS.contains(&w))
}

/// The builder ref must be `refs/tags/vX.Y.Z` (no prerelease, no build metadata).
pub fn verify_builder_ref(r: &str) -> Result<()> {
    let tag = tag_from_ref(r).map_err(|_| {
        Error::BuilderRef(format!(
            "builder workflow ref {r:?} is not a tag ref refs/tags/vX.Y.Z"
        ))
    })?;
    let ok = Semver::parse(&tag)
        .is_some_and(|s| s.parts == 3 && s.prerelease.is_empty() && s.build.is_empty());
    if !ok {
        return Err(Error::BuilderRef(format!(
            "builder workflow tag {tag:?} is not of the form vX.Y.Z"
        )));
    }
    Ok(())
}

/// GitHub's `ref_type` of a ref: `tag`, `branch`, or "" for neither.
fn ref_type(r: &str) -> &'static str {
    match parse_git_ref(r).0 {
        "tags" => "tag",
        "heads" => "branch",
        _ => "",
    }
}

/// `refs/TYPE/NAME` -> (TYPE, NAME); anything else -> ("", ref).
fn parse_git_ref(r: &str) -> (&str, &str) {
    let parts: Vec<&str> = r.splitn(3, '/').collect();
    match parts.as_slice() {
        ["refs", typ, name] => (typ, name),
        _ => ("", r),
    }
}

fn validate_git_ref(typ: &str, r: &str) -> Result<String, String> {
    let (t, name) = parse_git_ref(r);
    if t != typ {
        return Err(format!(
            "ref {r:?} is of type {t:?}, expected {typ:?} (refs/{typ}/...)"
        ));
    }
    if name.is_empty() {
        return Err(format!("ref {r:?} has an empty name"));
    }
    Ok(name.to_string())
}

fn tag_from_ref(r: &str) -> Result<String, String> {
    validate_git_ref("tags", r)
}

fn branch_from_ref(r: &str) -> Result<String, String> {
    validate_git_ref("heads", r)
}

/// A Go `golang.org/x/mod/semver` version: `vMAJOR[.MINOR[.PATCH[-PRE][+BUILD]]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Semver {
    major: String,
    minor: String,
    patch: String,
    /// Including the leading '-', or empty.
    prerelease: String,
    /// Including the leading '+', or empty.
    build: String,
    /// How many numeric parts were written (1–3).
    parts: usize,
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

fn is_ident_list(s: &str, numeric_no_leading_zero: bool) -> bool {
    s.split('.').all(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && (!numeric_no_leading_zero
                || !p.bytes().all(|b| b.is_ascii_digit())
                || p == "0"
                || !p.starts_with('0'))
    })
}

impl Semver {
    fn parse(v: &str) -> Option<Semver> {
        let rest = v.strip_prefix('v')?;
        let (rest, build) = match rest.split_once('+') {
            Some((a, b)) => (a, format!("+{b}")),
            None => (rest, String::new()),
        };
        if !build.is_empty() && !is_ident_list(&build[1..], false) {
            return None;
        }
        let (core, pre) = match rest.split_once('-') {
            Some((a, b)) => (a, format!("-{b}")),
            None => (rest, String::new()),
        };
        if !pre.is_empty() && !is_ident_list(&pre[1..], true) {
            return None;
        }
        let nums: Vec<&str> = core.split('.').collect();
        if nums.is_empty() || nums.len() > 3 || !nums.iter().all(|n| is_num(n)) {
            return None;
        }
        // Short forms (v1, v1.2) take no prerelease or build suffix.
        if nums.len() < 3 && (!pre.is_empty() || !build.is_empty()) {
            return None;
        }
        Some(Semver {
            major: nums[0].to_string(),
            minor: nums.get(1).unwrap_or(&"0").to_string(),
            patch: nums.get(2).unwrap_or(&"0").to_string(),
            prerelease: pre,
            build,
            parts: nums.len(),
        })
    }
}

/// `--source-versioned-tag`: slsa-verifier's `VerifyVersionedTag`. The expected tag is a semver
/// (short forms allowed); the provenance tag is canonicalised (`v14` -> `v14.0.0`); the major
/// must be equal, and the minor / patch (with prerelease, without build metadata) too when the
/// expected tag gives them.
pub fn verify_versioned_tag(provenance_tag: &str, expected: &str) -> Result<()> {
    let e = Semver::parse(expected).ok_or_else(|| {
        Error::VersionedTag(format!("expected tag {expected:?} is not a valid semver"))
    })?;
    let p = Semver::parse(provenance_tag).ok_or_else(|| {
        Error::VersionedTag(format!(
            "provenance tag {provenance_tag:?} is not a valid semver"
        ))
    })?;
    if e.major != p.major {
        return Err(Error::VersionedTag(format!(
            "major version expected v{}, found v{} (tag {provenance_tag:?})",
            e.major, p.major
        )));
    }
    if e.parts >= 2 && e.minor != p.minor {
        return Err(Error::VersionedTag(format!(
            "minor version expected {}, found {} (tag {provenance_tag:?})",
            e.minor, p.minor
        )));
    }
    if e.parts >= 3 {
        let ep = format!("{}{}", e.patch, e.prerelease);
        let pp = format!("{}{}", p.patch, p.prerelease);
        if ep != pp {
            return Err(Error::VersionedTag(format!(
                "patch version expected {ep}, found {pp} (tag {provenance_tag:?})"
            )));
        }
    }
    Ok(())
}

/// The fields of a SLSA provenance that verification needs, for v0.2 and v1 alike.
#[derive(Debug, Clone)]
struct Provenance {
    builder_id: String,
    build_type: String,
    /// configSource.uri (v0.2) / `git+REPO@REF` from the workflow parameters (v1).
    trigger_uri: String,
    /// materials[0].uri (v0.2) / resolvedDependencies[0].uri (v1).
    source_uri: String,
    /// The source commit the provenance claims (configSource sha1 / gitCommit).
    source_sha: Option<String>,
    /// GitHub context: event name, ref, ref type, base ref, event payload.
    env: Map<String, Value>,
    /// Whether `env` keys are upper case (v1 internalParameters GITHUB_*).
    upper: bool,
}

fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

impl Provenance {
    fn from_statement(st: &Value) -> Result<Self> {
        let pt = get_str(st, &["predicateType"]).unwrap_or_default();
        let pred = st
            .get("predicate")
            .ok_or_else(|| Error::Provenance("statement has no predicate".into()))?;
        match pt {
            PROVENANCE_V02 => {
                let mut env = pred
                    .pointer("/invocation/environment")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                // The npm CLI writes the GitHub variables themselves (upper case, no ref
                // type); slsa-github-generator writes lower-case github_* context.
                let upper = env.contains_key("GITHUB_REF");
                if let Some(t) = env.get("GITHUB_REF").and_then(Value::as_str).map(ref_type) {
                    env.entry("GITHUB_REF_TYPE".to_string())
                        .or_insert(Value::String(t.into()));
                }
                Ok(Provenance {
                    builder_id: get_str(pred, &["builder", "id"])
                        .unwrap_or_default()
                        .to_string(),
                    build_type: get_str(pred, &["buildType"])
                        .unwrap_or_default()
                        .to_string(),
                    trigger_uri: get_str(pred, &["invocation", "configSource", "uri"])
                        .unwrap_or_default()
                        .to_string(),
                    source_uri: pred
                        .pointer("/materials/0/uri")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    source_sha: get_str(pred, &["invocation", "configSource", "digest", "sha1"])
                        .map(str::to_string),
                    env,
                    upper,
                })
            }
            PROVENANCE_V1 => {
                let bd = pred.get("buildDefinition").cloned().unwrap_or(Value::Null);
                let wf = bd
                    .pointer("/externalParameters/workflow")
                    .cloned()
                    .unwrap_or(Value::Null);
                let repo = get_str(&wf, &["repository"]).unwrap_or_default();
                let r = get_str(&wf, &["ref"]).unwrap_or_default();
                let trigger_uri = if !repo.is_empty() {
                    format!("git+{repo}@{r}")
                } else {
                    // BYOB (delegator-generic): the caller workflow is GITHUB_WORKFLOW_REF,
                    // `OWNER/REPO/PATH@REF`, in the internal parameters.
                    get_str(&bd, &["internalParameters", "GITHUB_WORKFLOW_REF"])
                        .and_then(|w| w.split_once('@'))
                        .and_then(|(path, r)| {
                            let mut parts = path.splitn(3, '/');
                            let (o, n) = (parts.next()?, parts.next()?);
                            Some(format!("git+https://github.com/{o}/{n}@{r}"))
                        })
                        .unwrap_or_default()
                };
                let github = bd
                    .pointer("/internalParameters/github")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let mut env = Map::new();
                for (k, v) in github {
                    env.insert(format!("GITHUB_{}", k.to_uppercase()), v);
                }
                // BYOB writes the GitHub context flat, as GITHUB_* internal parameters.
                let internal = bd.pointer("/internalParameters").and_then(Value::as_object);
                for (k, v) in internal.into_iter().flatten() {
                    if k.starts_with("GITHUB_") {
                        env.entry(k.clone()).or_insert(v.clone());
                    }
                }
                if let Some(r) = wf.get("ref") {
                    env.entry("GITHUB_REF".to_string()).or_insert(r.clone());
                    if let Some(s) = r.as_str() {
                        env.entry("GITHUB_REF_TYPE".to_string())
                            .or_insert(Value::String(ref_type(s).into()));
                    }
                }
                Ok(Provenance {
                    builder_id: get_str(pred, &["runDetails", "builder", "id"])
                        .unwrap_or_default()
                        .to_string(),
                    build_type: get_str(&bd, &["buildType"]).unwrap_or_default().to_string(),
                    trigger_uri,
                    source_uri: bd
                        .pointer("/resolvedDependencies/0/uri")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    source_sha: bd
                        .pointer("/resolvedDependencies/0/digest/gitCommit")
                        .or_else(|| bd.pointer("/resolvedDependencies/0/digest/sha1"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    env,
                    upper: true,
                })
            }
            other => Err(Error::Provenance(format!(
                "predicate type {other:?}, expected {PROVENANCE_V02:?} or {PROVENANCE_V1:?}"
            ))),
        }
    }

    fn key(&self, k: &str) -> String {
        if self.upper {
            k.to_uppercase()
        } else {
            k.to_string()
        }
    }

    fn env_str(&self, k: &str) -> Result<String> {
        let key = self.key(k);
        match self.env.get(&key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(Error::Provenance(format!(
                "environment field {key:?} is {other}, expected a string"
            ))),
            None => Err(Error::Provenance(format!(
                "environment field {key:?} is missing"
            ))),
        }
    }

    fn event_payload(&self) -> Result<&Map<String, Value>> {
        let key = self.key("github_event_payload");
        self.env
            .get(&key)
            .and_then(Value::as_object)
            .ok_or_else(|| Error::Provenance(format!("environment has no object {key:?}")))
    }

    /// The tag ref (`refs/tags/X`), or "" when the build ran on a branch.
    fn tag_ref(&self) -> Result<String> {
        match self.env_str("github_ref_type")?.as_str() {
            "branch" => Ok(String::new()),
            "tag" => self.env_str("github_ref"),
            other => Err(Error::Provenance(format!(
                "unknown github_ref_type {other:?}, expected \"branch\" or \"tag\""
            ))),
        }
    }

    /// The branch ref (`refs/heads/X`): the ref itself for branch builds; for tag builds the
    /// base ref, or the push event's `base_ref`, or a release's `target_commitish`.
    fn branch_ref(&self) -> Result<String> {
        match self.env_str("github_ref_type")?.as_str() {
            "branch" => self.env_str("github_ref"),
            "tag" => {
                let base = self.env_str("github_base_ref").unwrap_or_default();
                if !base.is_empty() {
                    return Ok(base);
                }
                // No event payload (npm CLI provenance records none): no base branch is
                // known, which the branch check reports as such.
                let Ok(payload) = self.event_payload() else {
                    return Ok(String::new());
                };
                match self.env_str("github_event_name")?.as_str() {
                    "push" => Ok(payload
                        .get("base_ref")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()),
                    "release" => {
                        let b = payload
                            .get("release")
                            .and_then(|r| r.get("target_commitish"))
                            .and_then(Value::as_str)
                            .ok_or_else(|| {
                                Error::Provenance(
                                    "release event payload has no release.target_commitish".into(),
                                )
                            })?;
                        Ok(format!("refs/heads/{b}"))
                    }
                    _ => Ok(String::new()),
                }
            }
            other => Err(Error::Provenance(format!(
                "unknown github_ref_type {other:?}, expected \"branch\" or \"tag\""
            ))),
        }
    }
}

fn normalize_git_uri(s: &str) -> String {
    if s.starts_with("git+") {
        s.to_string()
    } else if s.contains("://") {
        format!("git+{s}")
    } else {
        format!("git+https://{s}")
    }
}

fn split_git_uri(uri: &str) -> Result<(String, String)> {
    if !uri.starts_with("git+") {
        return Err(Error::Source(format!("{uri:?} is not a git+ URI")));
    }
    Ok(match uri.split_once('@') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (uri.to_string(), String::new()),
    })
}

/// The provenance's `what` URI (`trigger` or `material`) is repository `source` with a ref.
fn check_source_ref(what: &str, uri: &str, source: &str) -> Result<()> {
    let (repo, git_ref) = split_git_uri(uri)?;
    if repo != source {
        return Err(Error::Source(format!(
            "expected source {source:?}, provenance {what} is {uri:?}"
        )));
    }
    if git_ref.is_empty() {
        return Err(Error::Source(format!("{what} URI {uri:?} has no ref")));
    }
    Ok(())
}

/// slsa-verifier's `verifySourceURI`: trigger and material URIs are `git+https://github.com/O/R`
/// equal to `--source-uri`, both carry a ref, and they are identical.
fn verify_source_uri(p: &Provenance, expected: &str) -> Result<()> {
    let source = normalize_git_uri(expected);
    if !source.starts_with("git+https://github.com/") {
        return Err(Error::Source(format!(
            "--source-uri {expected:?} is not a github.com repository"
        )));
    }
    if p.trigger_uri.is_empty() {
        return Err(Error::Provenance("empty trigger (configSource) URI".into()));
    }
    check_source_ref("trigger", &p.trigger_uri, &source)?;
    if p.source_uri.is_empty() {
        return Err(Error::Provenance(
            "no material / resolved dependency".into(),
        ));
    }
    check_source_ref("material", &p.source_uri, &source)?;
    if p.trigger_uri != p.source_uri {
        return Err(Error::Provenance(format!(
            "trigger URI {:?} and material URI {:?} differ",
            p.trigger_uri, p.source_uri
        )));
    }
    Ok(())
}

/// Fulcio extension: the first of `oids` present.
fn ext(leaf: &Certificate, oids: &[u32]) -> Result<Option<String>> {
    for n in oids {
        if let Some(v) = leaf
            .fulcio_extension(*n)
            .map_err(|e| Error::Certificate(e.to_string()))?
        {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Certificate source repository (from .12 `https://github.com/O/R`, else legacy .5 `O/R`)
/// must be `--source-uri`; commit, ref and trigger must agree with the provenance.
fn verify_certificate_consistency(
    leaf: &Certificate,
    p: &Provenance,
    expected_source: &str,
) -> Result<String> {
    let want_repo = expected_source
        .trim_start_matches("git+")
        .trim_start_matches("https://")
        .trim_start_matches("github.com/")
        .to_string();
    let cert_repo = match ext(leaf, &[12])? {
        Some(u) => u
            .strip_prefix("https://github.com/")
            .map(str::to_string)
            .unwrap_or(u),
        None => ext(leaf, &[5])?.ok_or_else(|| {
            Error::Certificate("certificate has no source repository extension (.12 or .5)".into())
        })?,
    };
    if cert_repo != want_repo {
        return Err(Error::Source(format!(
            "expected source repository {want_repo:?}, certificate says {cert_repo:?}"
        )));
    }
    let sha = ext(leaf, &[13, 3])?.ok_or_else(|| {
        Error::Certificate("certificate has no source commit extension (.13 or .3)".into())
    })?;
    if let Some(ps) = &p.source_sha {
        if !ps.eq_ignore_ascii_case(&sha) {
            return Err(Error::Certificate(format!(
                "certificate commit {sha}, provenance source commit {ps}"
            )));
        }
    }
    if let Some(cert_ref) = ext(leaf, &[14, 6])? {
        let (_, tref) = split_git_uri(&p.trigger_uri)?;
        if tref != cert_ref {
            return Err(Error::Certificate(format!(
                "certificate source ref {cert_ref:?}, provenance trigger ref {tref:?}"
            )));
        }
        if let Ok(r) = p.env_str("github_ref") {
            if r != cert_ref {
                return Err(Error::Certificate(format!(
                    "certificate source ref {cert_ref:?}, provenance github_ref {r:?}"
                )));
            }
        }
    }
    if let Some(cert_trigger) = ext(leaf, &[20, 2])? {
        if let Ok(ev) = p.env_str("github_event_name") {
            if ev != cert_trigger {
                return Err(Error::Certificate(format!(
                    "certificate trigger {cert_trigger:?}, provenance github_event_name {ev:?}"
                )));
            }
        }
    }
    Ok(sha)
}

/// Some subject of the statement has digest `hex` under `alg` (`sha256`; `sha512` for npm).
fn verify_digest(st: &Value, (alg, hex): (&str, &str)) -> Result<()> {
    let subjects = st
        .get("subject")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::Provenance("statement has no subjects".into()))?;
    fn digest_of<'v>(s: &'v Value, alg: &str) -> Option<&'v str> {
        s.get("digest")
            .and_then(|d| d.get(alg))
            .and_then(Value::as_str)
    }
    if subjects.iter().any(|s| digest_of(s, alg) == Some(hex)) {
        return Ok(());
    }
    Err(Error::Digest(format!(
        "artifact {alg} {hex} is not a subject of the provenance (subjects: {})",
        subjects
            .iter()
            .map(|s| format!(
                "{} {alg}:{}",
                s.get("name").and_then(Value::as_str).unwrap_or("-"),
                digest_of(s, alg).unwrap_or("-")
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// Why the provenance's ref `r` yields no `kind` (tag or branch) to compare with `want`.
fn describe_ref(want: &str, kind: &str, r: &str, why: &str) -> String {
    if r.is_empty() {
        let other = if kind == "tag" {
            "a branch (github_ref_type \"branch\")"
        } else {
            "a tag with no base branch recorded"
        };
        format!("expected {kind} {want:?}, but the build ran on {other}, not a {kind} ref")
    } else {
        format!("expected {kind} {want:?}, provenance {why}")
    }
}

fn verify_workflow_inputs(p: &Provenance, inputs: &[(String, String)]) -> Result<()> {
    let ev = p
        .env_str("github_event_name")
        .map_err(|e| Error::WorkflowInputs(e.to_string()))?;
    if ev != "workflow_dispatch" {
        return Err(Error::WorkflowInputs(format!(
            "expected a workflow_dispatch trigger, found {ev:?}"
        )));
    }
    let payload = p.event_payload()?;
    let got = payload
        .get("inputs")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::WorkflowInputs("event payload has no inputs object".into()))?;
    for (k, v) in inputs {
        match got.get(k) {
            Some(Value::String(s)) if s == v => {}
            Some(Value::String(s)) => {
                return Err(Error::WorkflowInputs(format!(
                    "expected '{k}={v}', found '{k}={s}'"
                )))
            }
            Some(other) => {
                return Err(Error::WorkflowInputs(format!(
                    "expected '{k}={v}', found non-string {other}"
                )))
            }
            None => {
                return Err(Error::WorkflowInputs(format!(
                    "expected '{k}={v}', input {k:?} is absent"
                )))
            }
        }
    }
    Ok(())
}

/// Verify the provenance `payload` (the DSSE payload, already signature-verified by
/// [`crate::Verifier::verify`] with [`builder_policy`]) signed by `leaf` for an artifact with
/// SHA-256 `artifact_sha256` (lower-case hex) under `opts`.
pub fn verify_provenance(
    leaf: &Certificate,
    payload: &[u8],
    artifact_sha256: &str,
    opts: &Options,
) -> Result<Outcome> {
    let builder = verify_builder_identity(leaf, opts.builder_id.as_deref())?;
    let (st, p) = parse_provenance(payload, ALLOWED_BUILD_TYPES)?;
    if is_delegator(&builder) {
        // BYOB: the provenance names the trusted reusable workflow the delegator ran, at a
        // release tag; the user says which one they trust (slsa-verifier's `--builder-id`).
        let want = opts.builder_id.as_deref().filter(|b| !b.is_empty()).ok_or_else(|| {
            Error::BuilderId(format!(
                "the certificate's builder is the BYOB delegator {builder}: give --builder-id naming the trusted reusable workflow the provenance names ({:?})",
                p.builder_id
            ))
        })?;
        let trw = delegated_builder(&p, want)?;
        return check_source_and_constraints(leaf, trw, st, &p, ("sha256", artifact_sha256), opts);
    }
    // The provenance builder must be exactly the certificate's (vX.Y.Z ~ refs/tags/vX.Y.Z).
    let pid = BuilderId::parse(&p.builder_id, false)?;
    let same_version =
        pid.version == builder.version || format!("refs/tags/{}", pid.version) == builder.version;
    if pid.name != builder.name || !same_version {
        return Err(Error::BuilderId(format!(
            "provenance builder {:?} is not the certificate's builder {:?}",
            p.builder_id,
            builder.to_string()
        )));
    }
    check_source_and_constraints(leaf, builder, st, &p, ("sha256", artifact_sha256), opts)
}

/// BYOB: the trusted reusable workflow a delegator ran, as the provenance names it, at a
/// release tag, matching `--builder-id` (`want`).
fn delegated_builder(p: &Provenance, want: &str) -> Result<BuilderId> {
    let trw = BuilderId::parse(&p.builder_id, true)?;
    verify_builder_ref(&trw.version)
        .map_err(|e| Error::BuilderId(format!("provenance builder {:?}: {e}", p.builder_id)))?;
    trw.matches_loose(want)?;
    Ok(trw)
}

/// The buildType of GitHub's `actions/attest-build-provenance` (SLSA v1).
pub const GITHUB_ATTEST_BUILD_TYPE: &str = "https://actions.github.io/buildtypes/workflow/v1";

/// The identity policy for GitHub artifact attestations: any `https://github.com/` workflow SAN
/// issued by GitHub Actions; [`verify_github_attestation`] then pins the workflow with the
/// user's `--builder-id`.
pub fn github_attestation_policy() -> Policy {
    match Policy::identity_regex("https://github\\.com/.*", GITHUB_ISSUER) {
        Ok(p) => p,
        Err(_) => Policy::identity("https://github.com/", GITHUB_ISSUER),
    }
}

/// Verify SLSA v1 provenance made by GitHub's `actions/attest-build-provenance` (slsa-verifier
/// `verify-github-attestation`). There is no default trusted builder: `opts.builder_id` is
/// required and must match the certificate's workflow (name, and ref if given, `vX` also
/// matching `refs/tags/vX`); the provenance's `runDetails.builder.id` must be that workflow.
/// Source, commit, ref, trigger, digest and the optional constraints are checked as in
/// [`verify_provenance`].
pub fn verify_github_attestation(
    leaf: &Certificate,
    payload: &[u8],
    artifact_sha256: &str,
    opts: &Options,
) -> Result<Outcome> {
    let expected = opts
        .builder_id
        .as_deref()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            Error::BuilderId("--builder-id is required for GitHub attestations".into())
        })?;
    let cert_err = |e: signet_core::Error| Error::Certificate(e.to_string());
    check_github_issuer(leaf)?;
    let san = match leaf.san_identities().map_err(cert_err)?.as_slice() {
        [SanIdentity::Uri(u)] => u.clone(),
        other => {
            return Err(Error::UntrustedBuilder(format!(
                "expected exactly one URI SAN naming the workflow, found {other:?}"
            )))
        }
    };
    let builder = BuilderId::parse(&san, true)?;
    builder.matches_loose(expected)?;
    let (st, p) = parse_provenance(payload, &[GITHUB_ATTEST_BUILD_TYPE])?;
    if p.builder_id != san {
        return Err(Error::BuilderId(format!(
            "provenance builder {:?} is not the certificate's workflow {san:?}",
            p.builder_id
        )));
    }
    check_source_and_constraints(leaf, builder, st, &p, ("sha256", artifact_sha256), opts)
}

fn parse_provenance(payload: &[u8], build_types: &[&str]) -> Result<(Value, Provenance)> {
    let st: Value = serde_json::from_slice(payload)
        .map_err(|e| Error::Provenance(format!("payload is not JSON: {e}")))?;
    let p = Provenance::from_statement(&st)?;
    if !build_types.contains(&p.build_type.as_str()) {
        return Err(Error::Provenance(format!(
            "buildType {:?} is not one of {}",
            p.build_type,
            build_types.join(", ")
        )));
    }
    Ok((st, p))
}

/// Steps 4–7, shared by every provenance flavour (`digest`: the artifact's (algorithm, hex)).
fn check_source_and_constraints(
    leaf: &Certificate,
    builder: BuilderId,
    st: Value,
    p: &Provenance,
    digest: (&str, &str),
    opts: &Options,
) -> Result<Outcome> {
    verify_source_uri(p, &opts.source_uri)?;
    let commit = verify_certificate_consistency(leaf, p, &opts.source_uri)?;
    verify_digest(&st, digest)?;
    if let Some(want) = &opts.source_branch {
        let r = p.branch_ref()?;
        let b =
            branch_from_ref(&r).map_err(|e| Error::Branch(describe_ref(want, "branch", &r, &e)))?;
        if &b != want {
            return Err(Error::Branch(format!(
                "expected branch {want:?}, found {b:?}"
            )));
        }
    }
    if let Some(want) = &opts.source_tag {
        let r = p.tag_ref()?;
        let t = tag_from_ref(&r).map_err(|e| Error::Tag(describe_ref(want, "tag", &r, &e)))?;
        if &t != want {
            return Err(Error::Tag(format!("expected tag {want:?}, found {t:?}")));
        }
    }
    if let Some(want) = &opts.source_versioned_tag {
        let r = p.tag_ref()?;
        let t =
            tag_from_ref(&r).map_err(|e| Error::VersionedTag(describe_ref(want, "tag", &r, &e)))?;
        verify_versioned_tag(&t, want)?;
    }
    if !opts.workflow_inputs.is_empty() {
        verify_workflow_inputs(p, &opts.workflow_inputs)?;
    }
    Ok(Outcome {
        builder_id: builder.to_string(),
        commit,
        statement: st,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_tags_follow_slsa_verifier() {
        for (tag, want, ok) in [
            ("v13.0.30", "v13.0.30", true),
            ("v13.0.30", "v13.0", true),
            ("v13.0.30", "v13", true),
            ("v13.0.30", "v2", false),
            ("v13.0.30", "v13.1", false),
            ("v13.0.30", "v12.9", false),
            ("v13.0.30", "v13.0.29", false),
            ("v13.0.30", "v13.0.31", false),
            ("v14", "v14", true),
            ("v14", "v14.0", true),
            ("v14", "v14.1", false),
            ("v14", "v13", false),
            ("v14", "v15", false),
            ("v14.2", "v14.2", true),
            ("v14.2", "v14", true),
            ("v14.2", "v14.2.1", false),
            ("v14.2", "v14.1", false),
            ("v14.2", "v15", false),
            ("v1.5.0", "v1.5.0", true),
            ("v1.2.3-rc1", "v1.2.3", false),
            ("v1.2.3-rc1", "v1.2.3-rc1", true),
            ("v1.2.3+b", "v1.2.3", true),
        ] {
            assert_eq!(
                verify_versioned_tag(tag, want).is_ok(),
                ok,
                "{tag} vs {want}"
            );
        }
        assert!(verify_versioned_tag("v1.0.0", "1.0.0").is_err());
        assert!(verify_versioned_tag("v1.0.0", "v01").is_err());
        assert!(verify_versioned_tag("release", "v1").is_err());
    }

    #[test]
    fn builder_refs_must_be_full_semver_tags() {
        assert!(verify_builder_ref("refs/tags/v2.1.0").is_ok());
        for bad in [
            "refs/heads/main",
            "refs/tags/v2.1",
            "refs/tags/v2",
            "refs/tags/v2.1.0-rc.1",
            "refs/tags/v2.1.0+meta",
            "refs/tags/2.1.0",
            "v2.1.0",
        ] {
            assert!(
                matches!(verify_builder_ref(bad), Err(Error::BuilderRef(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn builder_id_forms() {
        let g = format!("{TRUSTED_BUILDER_PREFIX}generator_generic_slsa3.yml");
        let id = BuilderId::parse(&format!("{g}@refs/tags/v2.1.0"), true).unwrap();
        assert!(id.matches_loose(&g).is_ok());
        assert!(id.matches_loose(&format!("{g}@v2.1.0")).is_ok());
        assert!(id.matches_loose(&format!("{g}@refs/tags/v2.1.0")).is_ok());
        assert!(id.matches_loose(&format!("{g}@v2.0.0")).is_err());
        assert!(id
            .matches_loose(&format!("{TRUSTED_BUILDER_PREFIX}not-trusted.yml"))
            .is_err());
        assert!(BuilderId::parse(&format!("{g}@"), false).is_err());
        assert!(BuilderId::parse(&g, true).is_err());
    }

    #[test]
    fn source_uri_normalisation() {
        assert_eq!(
            normalize_git_uri("github.com/o/r"),
            "git+https://github.com/o/r"
        );
        assert_eq!(
            normalize_git_uri("https://github.com/o/r"),
            "git+https://github.com/o/r"
        );
        assert_eq!(
            normalize_git_uri("git+https://github.com/o/r"),
            "git+https://github.com/o/r"
        );
    }

    #[test]
    fn builder_policy_compiles() {
        // Construction must not fall back to the exact-identity policy.
        let p = builder_policy();
        assert!(format!("{p:?}").contains("Regex"));
    }
}
