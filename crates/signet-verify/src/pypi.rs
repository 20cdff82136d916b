//! PEP 740 verification for Python distributions (pypi-attestations 0.0.30 semantics).
//!
//! Pure functions, no I/O: distribution filename parsing and "ultranormalization" (PEP 503
//! names, PEP 440 versions, wheel compressed tag sets sorted), the in-toto statement rules of
//! PEP 740 (Statement v1, exactly one subject naming the same distribution with the same
//! sha256, a PyPI-known predicate type), the Trusted Publisher identity policies (GitHub,
//! GitLab, Google, CircleCI) and PyPI's provenance model (`{version, attestation_bundles}`).

use serde::{Deserialize, Serialize};
use signet_core::encoding::sha256;
use signet_core::intoto::{Statement, STATEMENT_V1};
use signet_core::pep740::Attestation;
use signet_core::x509::Certificate;
use thiserror::Error as ThisError;

use crate::policy::GITHUB_ISSUER;
use crate::{Artifact, IdentityMatcher, Policy, Verifier};

/// `predicateType` of PyPI publish attestations.
pub const PUBLISH_V1: &str = "https://docs.pypi.org/attestations/publish/v1";
/// `predicateType` of SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// The predicate types PyPI accepts.
pub const PREDICATE_TYPES: &[&str] = &[PUBLISH_V1, SLSA_PROVENANCE_V1];
/// GitLab's OIDC issuer.
pub const GITLAB_ISSUER: &str = "https://gitlab.com";
/// Google's OIDC issuer.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// CircleCI's OIDC issuer (as Fulcio records it).
pub const CIRCLECI_ISSUER: &str = "https://oidc.circleci.com";

/// Why a PEP 740 check failed.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// Not a valid sdist or wheel filename.
    #[error("invalid distribution filename {filename:?}: {reason}")]
    Filename {
        /// The filename.
        filename: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The statement is not a PEP 740 statement.
    #[error("invalid statement: {0}")]
    Statement(String),
    /// The statement's subject names another distribution or digest.
    #[error("subject does not match distribution name/digest: expected {expected}, found {found}")]
    Subject {
        /// The distribution (normalized name and sha256).
        expected: String,
        /// The statement's subject.
        found: String,
    },
    /// The signing certificate does not satisfy the Trusted Publisher.
    #[error("publisher: {0}")]
    Publisher(String),
    /// Malformed attestation or provenance.
    #[error(transparent)]
    Format(#[from] signet_core::Error),
    /// Malformed provenance JSON.
    #[error("provenance JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Sigstore verification of the attestation failed.
    #[error(transparent)]
    Verify(#[from] crate::Error),
    /// A publisher policy that cannot be used as given.
    #[error("publisher policy: {0}")]
    Policy(String),
    /// One attestation of a provenance failed.
    #[error("attestation #{index} ({publisher} publisher): {source}")]
    Attestation {
        /// Its index in its publisher's bundle.
        index: usize,
        /// The publisher's kind.
        publisher: &'static str,
        /// Why.
        #[source]
        source: Box<Error>,
    },
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn bad(filename: &str, reason: impl Into<String>) -> Error {
    Error::Filename {
        filename: filename.into(),
        reason: reason.into(),
    }
}

/// PEP 503 normalization: runs of `-`, `_`, `.` become `-`, lowercased.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep {
                out.push('-');
                sep = false;
            }
            out.extend(c.to_lowercase());
        }
    }
    if sep {
        out.push('-');
    }
    out
}

/// Normalize a PEP 440 version (as `packaging.version.Version.__str__`): epoch, release
/// without leading zeros, `aN`/`bN`/`rcN`, `.postN`, `.devN`, `+local`.
pub fn normalize_version(v: &str) -> Option<String> {
    let s = v.trim().to_ascii_lowercase();
    let s = s.strip_prefix('v').unwrap_or(&s);
    let (public, local) = match s.split_once('+') {
        Some((p, l)) => (p, Some(l)),
        None => (s, None),
    };
    let b = public.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize| -> Option<u64> {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i == st {
            return None;
        }
        public[st..*i].parse().ok()
    };
    let sep = |i: &mut usize| {
        if *i < b.len() && matches!(b[*i], b'.' | b'-' | b'_') {
            *i += 1;
        }
    };
    let mut out = String::new();
    // Epoch.
    let first = num(&mut i)?;
    let mut release = vec![];
    if i < b.len() && b[i] == b'!' {
        i += 1;
        if first != 0 {
            out.push_str(&format!("{first}!"));
        }
        release.push(num(&mut i)?);
    } else {
        release.push(first);
    }
    while i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        i += 1;
        release.push(num(&mut i)?);
    }
    out.push_str(
        &release
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    );
    let word = |rest: &str, words: &[&str]| -> Option<usize> {
        words
            .iter()
            .filter(|w| rest.starts_with(**w))
            .map(|w| w.len())
            .max()
    };
    // Pre-release.
    {
        let mut j = i;
        sep(&mut j);
        let pre = [
            ("alpha", "a"),
            ("a", "a"),
            ("beta", "b"),
            ("b", "b"),
            ("preview", "rc"),
            ("pre", "rc"),
            ("rc", "rc"),
            ("c", "rc"),
        ];
        if let Some((w, canon)) = pre.iter().find(|(w, _)| public[j..].starts_with(*w)) {
            j += w.len();
            sep(&mut j);
            let n = num(&mut j).unwrap_or(0);
            out.push_str(&format!("{canon}{n}"));
            i = j;
        }
    }
    // Post-release.
    {
        let mut j = i;
        if j < b.len() && b[j] == b'-' && j + 1 < b.len() && b[j + 1].is_ascii_digit() {
            j += 1;
            let n = num(&mut j)?;
            out.push_str(&format!(".post{n}"));
            i = j;
        } else {
            sep(&mut j);
            if let Some(l) = word(&public[j..], &["post", "rev", "r"]) {
                j += l;
                sep(&mut j);
                let n = num(&mut j).unwrap_or(0);
                out.push_str(&format!(".post{n}"));
                i = j;
            }
        }
    }
    // Development release.
    {
        let mut j = i;
        sep(&mut j);
        if public[j..].starts_with("dev") {
            j += 3;
            sep(&mut j);
            let n = num(&mut j).unwrap_or(0);
            out.push_str(&format!(".dev{n}"));
            i = j;
        }
    }
    if i != b.len() {
        return None;
    }
    if let Some(l) = local {
        let parts: Vec<String> = l
            .split(['.', '-', '_'])
            .map(|p| {
                if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) {
                    p.parse::<u64>()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|_| p.into())
                } else {
                    p.to_string()
                }
            })
            .collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|c| c.is_ascii_alphanumeric()))
        {
            return None;
        }
        out.push('+');
        out.push_str(&parts.join("."));
    }
    Some(out)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_'))
}

/// The "ultranormalized" form of a distribution filename (pypi-attestations): normalized
/// name with `_` separators, normalized version, and for wheels the compressed tag sets
/// lowercased and sorted. Two filenames name the same distribution iff their forms are equal.
pub fn ultranormalize(filename: &str) -> Result<String> {
    if let Some(stem) = filename.strip_suffix(".whl") {
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, tags) = match parts.as_slice() {
            [n, v, py, abi, plat] => (*n, *v, None, [*py, *abi, *plat]),
            [n, v, b, py, abi, plat] => (*n, *v, Some(*b), [*py, *abi, *plat]),
            _ => {
                return Err(bad(
                    filename,
                    format!(
                        "a wheel name has 5 or 6 '-'-separated parts (name-version(-build)?-python-abi-platform.whl), found {}",
                        parts.len()
                    ),
                ))
            }
        };
        if !valid_name(name) {
            return Err(bad(filename, format!("invalid project name {name:?}")));
        }
        let ver = normalize_version(version)
            .ok_or_else(|| bad(filename, format!("invalid PEP 440 version {version:?}")))?;
        let mut out = vec![normalize_name(name).replace('-', "_"), ver];
        if let Some(b) = build {
            let digits = b.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(bad(
                    filename,
                    format!("build tag {b:?} must start with a digit"),
                ));
            }
            let n: u64 = b[..digits]
                .parse()
                .map_err(|_| bad(filename, format!("build number in {b:?} is too large")))?;
            out.push(format!("{n}{}", &b[digits..]));
        }
        for t in tags {
            if t.is_empty() {
                return Err(bad(filename, "empty wheel tag"));
            }
            let mut set: Vec<String> = t.split('.').map(str::to_ascii_lowercase).collect();
            set.sort();
            set.dedup();
            out.push(set.join("."));
        }
        return Ok(format!("{}.whl", out.join("-")));
    }
    let (stem, ext) = if let Some(s) = filename.strip_suffix(".tar.gz") {
        (s, ".tar.gz")
    } else if let Some(s) = filename.strip_suffix(".zip") {
        (s, ".zip")
    } else {
        return Err(bad(
            filename,
            "unknown distribution format: expected .whl, .tar.gz or .zip",
        ));
    };
    let (name, version) = stem.rsplit_once('-').ok_or_else(|| {
        bad(
            filename,
            "an sdist name is name-version.tar.gz or name-version.zip",
        )
    })?;
    if !valid_name(&name.replace('-', "_")) {
        return Err(bad(filename, format!("invalid project name {name:?}")));
    }
    let ver = normalize_version(version)
        .ok_or_else(|| bad(filename, format!("invalid PEP 440 version {version:?}")))?;
    Ok(format!(
        "{}-{ver}{ext}",
        normalize_name(name).replace('-', "_")
    ))
}

/// The project name (PEP 503 normalized) and version (as written) of a distribution filename.
pub fn project_and_version(filename: &str) -> Result<(String, String)> {
    ultranormalize(filename)?;
    let stem = filename
        .strip_suffix(".whl")
        .or_else(|| filename.strip_suffix(".tar.gz"))
        .or_else(|| filename.strip_suffix(".zip"))
        .unwrap_or(filename);
    if filename.ends_with(".whl") {
        let mut it = stem.split('-');
        let name = it.next().unwrap_or_default();
        let version = it.next().unwrap_or_default();
        Ok((normalize_name(name), version.to_string()))
    } else {
        let (name, version) = stem
            .rsplit_once('-')
            .ok_or_else(|| bad(filename, "no version"))?;
        Ok((normalize_name(name), version.to_string()))
    }
}

/// A distribution: its ultranormalized filename and sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// Ultranormalized filename.
    pub name: String,
    /// SHA-256 of the file.
    pub digest: [u8; 32],
}

impl Distribution {
    /// From a filename and the file's SHA-256.
    pub fn new(filename: &str, digest: [u8; 32]) -> Result<Self> {
        Ok(Distribution {
            name: ultranormalize(filename)?,
            digest,
        })
    }

    /// From a filename and the file contents.
    pub fn from_bytes(filename: &str, data: &[u8]) -> Result<Self> {
        Self::new(filename, sha256(data))
    }
}

impl std::fmt::Display for Distribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (sha256 {})", self.name, hex::encode(self.digest))
    }
}

/// Parse a PEP 740 statement and check it against `dist`: in-toto Statement v1, exactly one
/// subject, the subject names the same distribution with the same sha256, and a predicate
/// type PyPI knows.
pub fn check_statement(payload: &[u8], dist: &Distribution) -> Result<Statement> {
    let st = parse_statement(payload)?;
    let subject = &st.subject[0];
    let digest = subject.digest.get("sha256").map(String::as_str);
    let found = format!("{} (sha256 {})", subject.name, digest.unwrap_or("missing"));
    let name = ultranormalize(&subject.name).map_err(|e| Error::Subject {
        expected: dist.to_string(),
        found: format!("{found}: {e}"),
    })?;
    let digest_ok = digest.is_some_and(|d| d.eq_ignore_ascii_case(&hex::encode(dist.digest)));
    if name != dist.name || !digest_ok {
        return Err(Error::Subject {
            expected: dist.to_string(),
            found,
        });
    }
    Ok(st)
}

fn parse_statement(payload: &[u8]) -> Result<Statement> {
    let st = Statement::from_json(payload)?;
    if st.type_ != STATEMENT_V1 {
        return Err(Error::Statement(format!(
            "_type {:?}, expected {STATEMENT_V1:?}",
            st.type_
        )));
    }
    if st.subject.len() != 1 {
        return Err(Error::Statement(format!(
            "expected exactly one subject, found {}",
            st.subject.len()
        )));
    }
    if st.subject[0].name.is_empty() {
        return Err(Error::Statement("subject has no name".into()));
    }
    if !PREDICATE_TYPES.contains(&st.predicate_type.as_str()) {
        return Err(Error::Statement(format!(
            "unknown attestation type {:?}, expected one of {}",
            st.predicate_type,
            PREDICATE_TYPES.join(", ")
        )));
    }
    Ok(st)
}

/// A Trusted Publisher, as PyPI's provenance records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Publisher {
    /// GitHub Actions.
    GitHub {
        /// `OWNER/REPO`.
        repository: String,
        /// Workflow filename, e.g. `release.yml`.
        workflow: String,
        /// Optional deployment environment.
        #[serde(default)]
        environment: Option<String>,
    },
    /// GitLab CI/CD.
    GitLab {
        /// `NAMESPACE/PROJECT`.
        repository: String,
        /// CI configuration path, e.g. `.gitlab-ci.yml`.
        workflow_filepath: String,
        /// Optional environment.
        #[serde(default)]
        environment: Option<String>,
    },
    /// Google Cloud (a service account).
    Google {
        /// Service account email.
        email: String,
    },
    /// CircleCI.
    CircleCI {
        /// Project UUID.
        project_id: String,
        /// Pipeline definition UUID.
        pipeline_definition_id: String,
        /// Optional VCS origin, e.g. `github.com/OWNER/REPO` (Source Repository URI, .12).
        #[serde(default)]
        vcs_origin: Option<String>,
        /// Optional VCS ref, e.g. `refs/heads/main` (Source Repository Ref, .14).
        #[serde(default)]
        vcs_ref: Option<String>,
    },
}

impl Publisher {
    /// The publisher kind as PyPI names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Publisher::GitHub { .. } => "GitHub",
            Publisher::GitLab { .. } => "GitLab",
            Publisher::Google { .. } => "Google",
            Publisher::CircleCI { .. } => "CircleCI",
        }
    }

    /// The repository URL of a GitHub or GitLab publisher.
    pub fn repository_url(&self) -> Option<String> {
        match self {
            Publisher::GitHub { repository, .. } => {
                Some(format!("https://github.com/{repository}"))
            }
            Publisher::GitLab { repository, .. } => {
                Some(format!("https://gitlab.com/{repository}"))
            }
            _ => None,
        }
    }

    /// The part of the policy [`Verifier::verify`] checks (SAN, issuer, exact extensions).
    pub fn base_policy(&self) -> Policy {
        match self {
            Publisher::GitHub { repository, .. } => Policy::any_identity_unsafe()
                .with_issuer(GITHUB_ISSUER)
                .with_extension(
                    "source repository URI",
                    &[12],
                    format!("https://github.com/{repository}"),
                ),
            Publisher::GitLab { repository, .. } => Policy::any_identity_unsafe()
                .with_issuer(GITLAB_ISSUER)
                .with_extension(
                    "source repository URI",
                    &[12],
                    format!("https://gitlab.com/{repository}"),
                ),
            Publisher::Google { email } => Policy::identity(email.clone(), GOOGLE_ISSUER),
            Publisher::CircleCI {
                project_id,
                pipeline_definition_id,
                vcs_origin,
                vcs_ref,
            } => {
                let mut p = Policy::identity(
                    format!(
                        "https://circleci.com/api/v2/projects/{project_id}/pipeline-definitions/{pipeline_definition_id}"
                    ),
                    CIRCLECI_ISSUER,
                );
                if let Some(o) = vcs_origin {
                    p = p.with_extension("VCS origin", &[12], o.clone());
                }
                if let Some(r) = vcs_ref {
                    p = p.with_extension("VCS ref", &[14], r.clone());
                }
                p
            }
        }
    }

    /// The checks beyond [`Publisher::base_policy`]: for GitHub and GitLab, the Build Config
    /// URI (.18) must be the publisher's workflow at the certificate's own ref (.14) or
    /// commit (.13), as pypi-attestations' Trusted Publisher policies do.
    pub fn check_build_config(&self, cert: &Certificate) -> Result<()> {
        let (prefix, what) = match self {
            Publisher::GitHub {
                repository,
                workflow,
                ..
            } => (
                format!("https://github.com/{repository}/.github/workflows/{workflow}@"),
                format!("{workflow} @ {repository}"),
            ),
            Publisher::GitLab {
                repository,
                workflow_filepath,
                ..
            } => (
                format!("https://gitlab.com/{repository}//{workflow_filepath}@"),
                format!("{workflow_filepath} @ {repository}"),
            ),
            _ => return Ok(()),
        };
        let ext = |n: u32, name: &str| -> Result<String> {
            cert.fulcio_extension(n)?.ok_or_else(|| {
                Error::Publisher(format!(
                    "certificate has no {name} extension (OID 1.3.6.1.4.1.57264.1.{n})"
                ))
            })
        };
        let build_config = ext(18, "Build Config URI")?;
        let sha = ext(13, "Source Repository Digest")?;
        let git_ref = ext(14, "Source Repository Ref")?;
        let candidates = [format!("{prefix}{sha}"), format!("{prefix}{git_ref}")];
        if candidates.contains(&build_config) {
            return Ok(());
        }
        Err(Error::Publisher(format!(
            "certificate's Build Config URI {build_config:?} does not match the Trusted Publisher ({what}): expected {:?} or {:?}",
            candidates[0], candidates[1]
        )))
    }
}

/// Who must have signed an attestation.
#[derive(Debug, Clone)]
pub enum Signer {
    /// The certificate SAN must equal this (the issuer is not checked, as
    /// `pypi-attestations verify attestation --identity`).
    Identity(String),
    /// The Trusted Publisher's policy.
    Publisher(Publisher),
}

/// A verified attestation.
#[derive(Debug, Clone)]
pub struct VerifiedAttestation {
    /// The statement (with its predicate).
    pub statement: Statement,
    /// Sigstore verification details.
    pub verified: crate::Verified,
}

/// Verify a PEP 740 attestation about `dist`: Sigstore verification of the DSSE bundle under
/// the signer policy, then the statement rules of [`check_statement`].
pub fn verify_attestation(
    verifier: &Verifier,
    attestation: &Attestation,
    dist: &Distribution,
    signer: &Signer,
) -> Result<VerifiedAttestation> {
    // Signature and identity first (as pypi-attestations): the statement's own subject digest
    // is the DSSE artifact; whether it is *this* distribution is checked afterwards.
    let st = parse_statement(&attestation.envelope.statement)?;
    let subject_digest = st.subject[0]
        .digest
        .get("sha256")
        .and_then(|d| hex::decode(d).ok())
        .and_then(|d| <[u8; 32]>::try_from(d).ok())
        .unwrap_or(dist.digest);
    let policy = match signer {
        Signer::Identity(id) => {
            Policy::any_identity_unsafe().with_identity_matcher(IdentityMatcher::Exact(id.clone()))
        }
        Signer::Publisher(p) => p.base_policy(),
    };
    let bundle = attestation.to_bundle();
    let verified = verifier.verify(&bundle, Artifact::Sha256(subject_digest), &policy)?;
    if let Signer::Publisher(p) = signer {
        p.check_build_config(&verified.certificate)?;
    }
    let statement = check_statement(&attestation.envelope.statement, dist)?;
    Ok(VerifiedAttestation {
        statement,
        verified,
    })
}

/// One publisher and its attestations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationBundle {
    /// Who published.
    pub publisher: Publisher,
    /// Their attestations.
    pub attestations: Vec<Attestation>,
}

/// PyPI's provenance object (integrity API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Always 1.
    pub version: u32,
    /// One bundle per publisher.
    pub attestation_bundles: Vec<AttestationBundle>,
}

impl Provenance {
    /// Parse and check the version.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let p: Provenance = serde_json::from_slice(bytes)?;
        if p.version != 1 {
            return Err(Error::Statement(format!(
                "provenance version {}, expected 1",
                p.version
            )));
        }
        if p.attestation_bundles.is_empty() {
            return Err(Error::Publisher(
                "provenance has no attestation bundles".into(),
            ));
        }
        Ok(p)
    }
}

/// Who the verifier expects a distribution's Trusted Publisher to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublisherPolicy {
    /// A GitHub or GitLab repository (`https://HOST/OWNER/REPO`, compared case-insensitively).
    Repository {
        /// `GitHub` or `GitLab`.
        kind: &'static str,
        /// The repository URL, without a trailing `/` or `.git`.
        url: String,
    },
    /// A Google service account (email).
    Google(String),
    /// A CircleCI project and pipeline definition.
    CircleCI {
        /// Project ID.
        project: String,
        /// Pipeline definition ID.
        pipeline: String,
    },
}

impl PublisherPolicy {
    /// A repository policy from its URL: https, on github.com or gitlab.com, naming an owner
    /// and a repository.
    pub fn repository(url: &str) -> Result<Self> {
        let trimmed = url
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .to_string();
        let rest = trimmed.strip_prefix("https://").ok_or_else(|| {
            Error::Policy(format!("repository {url:?}: expected an https:// URL"))
        })?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if path.split('/').filter(|s| !s.is_empty()).count() < 2 {
            return Err(Error::Policy(format!(
                "repository {url:?}: expected https://HOST/OWNER/REPO"
            )));
        }
        let kind = match host.to_ascii_lowercase().as_str() {
            "github.com" => "GitHub",
            "gitlab.com" => "GitLab",
            other => {
                return Err(Error::Policy(format!(
                "repository {url:?}: unsupported host {other:?}, expected github.com or gitlab.com"
            )))
            }
        };
        Ok(PublisherPolicy::Repository { kind, url: trimmed })
    }

    /// The policy `pypi verify pypi`'s flags name: `--repository URL`, else
    /// `--gcp-service-account EMAIL`, else `--circleci-project-id` with
    /// `--circleci-pipeline-definition-id`. [`Error::Policy`] when none is given.
    pub fn from_flags(
        repository: Option<&str>,
        gcp_service_account: Option<&str>,
        circleci: (Option<&str>, Option<&str>),
    ) -> Result<Self> {
        match (repository, gcp_service_account, circleci) {
            (Some(r), _, _) => Self::repository(r),
            (None, Some(e), _) => Ok(PublisherPolicy::Google(e.to_string())),
            (None, None, (Some(p), Some(d))) => Ok(PublisherPolicy::CircleCI {
                project: p.to_string(),
                pipeline: d.to_string(),
            }),
            _ => Err(Error::Policy(
                "no publisher policy: pass --repository URL (GitHub/GitLab), --gcp-service-account EMAIL, or --circleci-project-id with --circleci-pipeline-definition-id".into(),
            )),
        }
    }

    /// Check a provenance's publisher against the policy, naming both on mismatch.
    pub fn check(&self, p: &Publisher) -> Result<()> {
        let fail = |m: String| Err(Error::Publisher(m));
        match (self, p) {
            (PublisherPolicy::Repository { kind, url }, _) => {
                let found = p.repository_url();
                if p.kind() != *kind {
                    return fail(format!(
                        "publisher kind mismatch: expected a {kind} repository {url}, found a {} publisher{}",
                        p.kind(),
                        found.map(|f| format!(" ({f})")).unwrap_or_default()
                    ));
                }
                let found = found.unwrap_or_default();
                if !found.eq_ignore_ascii_case(url) {
                    return fail(format!(
                        "repository mismatch: expected {url}, found {found}"
                    ));
                }
                Ok(())
            }
            (PublisherPolicy::Google(want), Publisher::Google { email }) => {
                if email != want {
                    return fail(format!(
                        "service account mismatch: expected {want}, found {email}"
                    ));
                }
                Ok(())
            }
            (
                PublisherPolicy::CircleCI { project, pipeline },
                Publisher::CircleCI {
                    project_id,
                    pipeline_definition_id,
                    ..
                },
            ) => {
                if project_id != project || pipeline_definition_id != pipeline {
                    return fail(format!(
                        "CircleCI publisher mismatch: expected project {project} pipeline definition {pipeline}, found project {project_id} pipeline definition {pipeline_definition_id}"
                    ));
                }
                Ok(())
            }
            (PublisherPolicy::Google(_), other) => fail(format!(
                "publisher kind mismatch: expected Google, found {}",
                other.kind()
            )),
            (PublisherPolicy::CircleCI { .. }, other) => fail(format!(
                "publisher kind mismatch: expected CircleCI, found {}",
                other.kind()
            )),
        }
    }
}

/// Verify a distribution's provenance (PyPI's integrity API document): every publisher
/// bundle's publisher satisfies `policy` and has attestations, and every attestation verifies
/// for `dist` as signed by that publisher. Returns how many attestations verified.
pub fn verify_provenance(
    verifier: &crate::Verifier,
    prov: &Provenance,
    dist: &Distribution,
    policy: &PublisherPolicy,
) -> Result<usize> {
    let mut n = 0;
    for b in &prov.attestation_bundles {
        policy.check(&b.publisher)?;
        if b.attestations.is_empty() {
            return Err(Error::Publisher(format!(
                "{} publisher bundle has no attestations",
                b.publisher.kind()
            )));
        }
        for (index, att) in b.attestations.iter().enumerate() {
            verify_attestation(verifier, att, dist, &Signer::Publisher(b.publisher.clone()))
                .map_err(|e| Error::Attestation {
                    index,
                    publisher: b.publisher.kind(),
                    source: Box::new(e),
                })?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_policies_parse_and_refuse_what_they_cannot_check() {
        let p = PublisherPolicy::repository("https://github.com/Owner/Repo.git/").unwrap();
        assert_eq!(
            p,
            PublisherPolicy::Repository {
                kind: "GitHub",
                url: "https://github.com/Owner/Repo".into()
            }
        );
        for (bad, want) in [
            ("http://github.com/o/r", "https://"),
            ("https://github.com/o", "OWNER/REPO"),
            ("https://example.com/o/r", "unsupported host"),
        ] {
            let e = PublisherPolicy::repository(bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn versions_normalize() {
        for (a, b) in [
            ("1.0", "1.0"),
            ("01.02.003", "1.2.3"),
            ("0.0.4a2", "0.0.4a2"),
            ("0.0.4-alpha.2", "0.0.4a2"),
            ("1.0RC1", "1.0rc1"),
            ("1.0c1", "1.0rc1"),
            ("1.0-1", "1.0.post1"),
            ("1.0.post", "1.0.post0"),
            ("0.0.1.dev137", "0.0.1.dev137"),
            ("0.0.1-dev-137", "0.0.1.dev137"),
            ("1!2.0", "1!2.0"),
            ("0!2.0", "2.0"),
            ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
            ("v1.0", "1.0"),
        ] {
            assert_eq!(normalize_version(a).as_deref(), Some(b), "{a}");
        }
        for bad in ["", "abc", "1.0x", "1..0", "1.0+"] {
            assert_eq!(normalize_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_normalize() {
        assert_eq!(normalize_name("Foo.Bar__baz-Q"), "foo-bar-baz-q");
    }

    #[test]
    fn wheel_tag_sets_compare_as_sets() {
        let a =
            ultranormalize("spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
                .unwrap();
        let b =
            ultranormalize("spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl")
                .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            ultranormalize("Foo.Bar-01.0-1abc-py3.py2-none-ANY.whl").unwrap(),
            "foo_bar-1.0-1abc-py2.py3-none-any.whl"
        );
        assert_ne!(
            ultranormalize("spt3g-1.0-cp310-cp310-manylinux2014_x86_64.whl").unwrap(),
            a
        );
    }

    #[test]
    fn sdists_normalize() {
        assert_eq!(
            ultranormalize("PyPI-Attestation.Models-0.0.4.alpha2.tar.gz").unwrap(),
            "pypi_attestation_models-0.0.4a2.tar.gz"
        );
        assert_eq!(ultranormalize("a_b-1.zip").unwrap(), "a_b-1.zip");
        assert!(ultranormalize("nover.tar.gz").is_err());
        assert!(ultranormalize("x-1.0.tar.bz2").is_err());
        assert!(ultranormalize("x-1.0-py3.whl").is_err());
        assert!(ultranormalize("x-1.0-bad-py3-none-any.whl").is_err());
        assert_eq!(
            project_and_version("Foo_Bar-1.0-py3-none-any.whl").unwrap(),
            ("foo-bar".to_string(), "1.0".to_string())
        );
    }

    fn stmt(name: &str, digest: &str, pt: &str, n: usize) -> Vec<u8> {
        let subj: Vec<_> = (0..n)
            .map(|_| serde_json::json!({"name": name, "digest": {"sha256": digest}}))
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "_type": STATEMENT_V1, "subject": subj, "predicateType": pt
        }))
        .unwrap()
    }

    /// CASES.md spt3g row, at the library level: there is no distribution file, only the
    /// digest, and the tag sets are written in the other order.
    #[test]
    fn spt3g_subject_matches_reordered_tag_set() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../../shared/data/pypi/spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.publish.attestation",
        );
        let Ok(bytes) = std::fs::read(&data) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "missing {}",
                data.display()
            );
            return;
        };
        let a = Attestation::from_json(&bytes).unwrap();
        let digest: [u8; 32] =
            hex::decode("d2772f9a5199f05ed1be8d9aa78b879e51772e3ead9d73fe8057257b1aec7cf8")
                .unwrap()
                .try_into()
                .unwrap();
        let dist = Distribution::new(
            "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
            digest,
        )
        .unwrap();
        check_statement(&a.envelope.statement, &dist).unwrap();
        // Full verification against the embedded staging root.
        let root = signet_tuf::Instance::Staging.trusted_root().unwrap();
        let v = Verifier::new(&root).unwrap();
        let cert = Certificate::from_der(&a.verification_material.certificate).unwrap();
        let san = cert.san_identities().unwrap()[0].value().to_string();
        verify_attestation(&v, &a, &dist, &Signer::Identity(san)).unwrap();
        // Another digest or another name fails naming both.
        let other = Distribution::new(
            "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
            [0; 32],
        )
        .unwrap();
        let e = verify_attestation(
            &v,
            &a,
            &other,
            &Signer::Identity(cert.san_identities().unwrap()[0].value().to_string()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("subject does not match distribution name/digest: expected"),
            "{e}"
        );
        let other =
            Distribution::new("spt3g-1.0-cp311-cp311-manylinux2014_x86_64.whl", digest).unwrap();
        let e = check_statement(&a.envelope.statement, &other)
            .unwrap_err()
            .to_string();
        assert!(e.contains("found spt3g-1.0-cp310"), "{e}");
    }

    #[test]
    fn github_publisher_policy_on_a_real_attestation() {
        let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pypi");
        let Ok(bytes) =
            std::fs::read(d.join("pypi_attestations-0.0.19.tar.gz.publish.attestation"))
        else {
            assert!(std::env::var_os("CI").is_none(), "missing {}", d.display());
            return;
        };
        let a = Attestation::from_json(&bytes).unwrap();
        let data = std::fs::read(d.join("pypi_attestations-0.0.19.tar.gz")).unwrap();
        let dist = Distribution::from_bytes("pypi_attestations-0.0.19.tar.gz", &data).unwrap();
        let root = signet_tuf::Instance::Production.trusted_root().unwrap();
        let v = Verifier::new(&root).unwrap();
        // The verdict for this distribution and attestation, expecting `signer`.
        let verify = |signer: &Signer| verify_attestation(&v, &a, &dist, signer);
        let gh = |repo: &str, wf: &str| {
            Signer::Publisher(Publisher::GitHub {
                repository: repo.into(),
                workflow: wf.into(),
                environment: None,
            })
        };
        let st = verify(&gh("trailofbits/pypi-attestations", "release.yml"))
            .unwrap()
            .statement;
        assert_eq!(st.predicate_type, PUBLISH_V1);
        let e = verify(&gh("trailofbits/pypi-attestations", "ci.yml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Build Config URI") && e.contains("ci.yml @ trailofbits/pypi-attestations"),
            "{e}"
        );
        let e = verify(&gh("other/repo", "release.yml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("https://github.com/trailofbits/pypi-attestations")
                && e.contains("https://github.com/other/repo"),
            "{e}"
        );
        let e = verify(&Signer::Publisher(Publisher::Google {
            email: "x@example.com".into(),
        }))
        .unwrap_err()
        .to_string();
        assert!(e.contains("x@example.com"), "{e}");
    }

    #[test]
    fn statement_rules() {
        let d = "ab".repeat(32);
        let dist = Distribution::new("x-1.0.tar.gz", [0xab; 32]).unwrap();
        check_statement(&stmt("X-1.0.tar.gz", &d, PUBLISH_V1, 1), &dist).unwrap();
        check_statement(&stmt("x-1.0.tar.gz", &d, SLSA_PROVENANCE_V1, 1), &dist).unwrap();
        let e = check_statement(&stmt("x-1.0.tar.gz", &d, PUBLISH_V1, 2), &dist).unwrap_err();
        assert!(
            e.to_string().contains("exactly one subject, found 2"),
            "{e}"
        );
        let e =
            check_statement(&stmt("x-1.0.tar.gz", &d, "https://example/x", 1), &dist).unwrap_err();
        assert!(e.to_string().contains("unknown attestation type"), "{e}");
        let e = check_statement(&stmt("y-1.0.tar.gz", &d, PUBLISH_V1, 1), &dist).unwrap_err();
        assert!(
            e.to_string().contains("expected x-1.0.tar.gz (sha256 abab"),
            "{e}"
        );
        let e = check_statement(
            &stmt("x-1.0.tar.gz", &"cd".repeat(32), PUBLISH_V1, 1),
            &dist,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("found x-1.0.tar.gz (sha256 cdcd"),
            "{e}"
        );
    }

    #[test]
    fn provenance_publishers_parse() {
        let p: Publisher = serde_json::from_str(
            r#"{"kind":"GitHub","repository":"o/r","workflow":"w.yml","environment":null,"claims":{}}"#,
        )
        .unwrap();
        assert_eq!(p.repository_url().unwrap(), "https://github.com/o/r");
        let p: Publisher = serde_json::from_str(
            r#"{"kind":"CircleCI","project_id":"p","pipeline_definition_id":"d"}"#,
        )
        .unwrap();
        assert_eq!(p.kind(), "CircleCI");
        assert!(serde_json::from_str::<Publisher>(r#"{"kind":"Nope"}"#).is_err());
    }
}
