//! Auditing a Python project's locked dependencies (`signet pypi audit`): the pinned files of a
//! `requirements.txt`, a `pylock.toml` (PEP 751) or a `uv.lock`, the publishers a lockfile's
//! `attestation-identities` or a pins file expect, and the comparison of those with the
//! publisher that verified. No I/O: this module parses bytes and compares; the index lookups
//! and the verification of each file's provenance are `signet_sign::pypi_audit`'s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error as ThisError;

use crate::pypi::{normalize_name, Publisher};

/// Most packages a lockfile may name (a bound while parsing).
pub const MAX_PACKAGES: usize = 20_000;
/// Most files one package may list (sdist and wheels).
pub const MAX_FILES_PER_PACKAGE: usize = 1_000;
/// Most expected identities one package may list.
pub const MAX_IDENTITIES: usize = 64;
/// Largest lockfile or pins file read, in bytes.
pub const MAX_LOCKFILE_BYTES: usize = 64 << 20;

/// Why a lockfile or pins file cannot be used.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The file is not in the format it was taken for.
    #[error("{file}: expected {expected}, found {found}")]
    Format {
        /// The file (as the user named it).
        file: String,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A requirement that pins no single version.
    #[error("{file} line {line}: expected NAME==VERSION (a pinned requirement), found {found:?}")]
    Unpinned {
        /// The file.
        file: String,
        /// The line number (1-based).
        line: usize,
        /// The requirement.
        found: String,
    },
    /// A list longer than its bound.
    #[error("{file}: more than {max} {what}")]
    TooMany {
        /// The file.
        file: String,
        /// What was counted.
        what: &'static str,
        /// The bound.
        max: usize,
    },
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The lockfile formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockFormat {
    /// pip's requirements file (pip-compile / `uv pip compile` output with `--hash`es).
    Requirements,
    /// PEP 751 `pylock.toml` (or `pylock.NAME.toml`).
    Pylock,
    /// uv's `uv.lock`.
    UvLock,
}

impl LockFormat {
    /// The format of a file by its name: `uv.lock`, `pylock.toml` / `pylock.*.toml`, else a
    /// requirements file.
    pub fn from_file_name(name: &str) -> Self {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        if base == "uv.lock" {
            LockFormat::UvLock
        } else if base == "pylock.toml" || (base.starts_with("pylock.") && base.ends_with(".toml"))
        {
            LockFormat::Pylock
        } else {
            LockFormat::Requirements
        }
    }
}

/// One distribution file a lockfile pins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockedFile {
    /// Its file name, when the lockfile names it (or its URL does); requirements files do not.
    pub filename: Option<String>,
    /// Its URL, when given.
    pub url: Option<String>,
    /// Its SHA-256 (lowercase hex), when given.
    pub sha256: Option<String>,
}

/// Where a locked package comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Source {
    /// A package index (files, with provenance there).
    Index,
    /// Something no index attests: a VCS checkout, a directory or an archive URL (named).
    Other(String),
}

/// One locked package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockedPackage {
    /// The normalized project name (PEP 503).
    pub name: String,
    /// The pinned version, as written.
    pub version: String,
    /// Where it comes from.
    pub source: Source,
    /// The files pinned. Empty when the lockfile names none (a requirement without hashes):
    /// then every file the index lists for the version is audited.
    pub files: Vec<LockedFile>,
    /// The publishers the lockfile accepts (PEP 751 `attestation-identities`), any of which
    /// must match; `None` when it says nothing.
    pub identities: Option<Vec<ExpectedIdentity>>,
}

/// A publisher a lockfile accepts: `kind` and any of the publisher's fields (`repository`,
/// `workflow`, `environment`, `email`, ...); the fields not given match anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedIdentity(pub BTreeMap<String, Value>);

impl ExpectedIdentity {
    /// Whether `p` is this publisher: the same kind and the same value for every field given
    /// (repositories compare case-insensitively, as PyPI's do).
    pub fn matches(&self, p: &Publisher) -> bool {
        let Ok(Value::Object(have)) = serde_json::to_value(p) else {
            return false;
        };
        self.0.iter().all(|(k, want)| {
            let got = have.get(k).unwrap_or(&Value::Null);
            match (k.as_str(), want, got) {
                ("repository", Value::String(w), Value::String(g)) => w.eq_ignore_ascii_case(g),
                _ => want == got,
            }
        })
    }
}

impl std::fmt::Display for ExpectedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                v => format!("{k}={v}"),
            })
            .collect();
        f.write_str(&parts.join(" "))
    }
}

/// A publisher in one line: `GitHub owner/repo workflow=release.yml environment=pypi`.
pub fn describe_publisher(p: &Publisher) -> String {
    match p {
        Publisher::GitHub {
            repository,
            workflow,
            environment,
        }
        | Publisher::GitLab {
            repository,
            workflow_filepath: workflow,
            environment,
        } => {
            let env = environment
                .as_deref()
                .map(|e| format!(" environment={e}"))
                .unwrap_or_default();
            format!("{} {repository} workflow={workflow}{env}", p.kind())
        }
        Publisher::Google { email } => format!("Google {email}"),
        Publisher::CircleCI {
            project_id,
            pipeline_definition_id,
            ..
        } => format!("CircleCI project={project_id} pipeline={pipeline_definition_id}"),
    }
}

/// Parse a lockfile of `format`; `file` names it in errors.
pub fn parse_lockfile(file: &str, format: LockFormat, bytes: &[u8]) -> Result<Vec<LockedPackage>> {
    if bytes.len() > MAX_LOCKFILE_BYTES {
        return Err(Error::Format {
            file: file.into(),
            expected: format!("a lockfile of at most {MAX_LOCKFILE_BYTES} bytes"),
            found: format!("{} bytes", bytes.len()),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Format {
        file: file.into(),
        expected: "UTF-8 text".into(),
        found: format!("invalid UTF-8 ({e})"),
    })?;
    let packages = match format {
        LockFormat::Requirements => parse_requirements(file, text)?,
        LockFormat::Pylock => parse_pylock(file, text)?,
        LockFormat::UvLock => parse_uv_lock(file, text)?,
    };
    if packages.len() > MAX_PACKAGES {
        return Err(Error::TooMany {
            file: file.into(),
            what: "packages",
            max: MAX_PACKAGES,
        });
    }
    Ok(packages)
}

/// A requirements file: `name[extras]==version [; marker] [--hash=sha256:HEX ...]` with `\`
/// continuations and `#` comments; global options (`--index-url`, ...) are ignored, and
/// includes or editables (`-r`, `-c`, `-e`) refused, as is any requirement not pinned with `==`.
fn parse_requirements(file: &str, text: &str) -> Result<Vec<LockedPackage>> {
    let mut out: Vec<LockedPackage> = vec![];
    let mut logical = String::new();
    let mut start = 0;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if logical.is_empty() {
            start = i + 1;
        }
        let raw = lines[i];
        i += 1;
        // A comment starts at `#` after whitespace (or at the start).
        let line = match raw.find(" #").or(raw.starts_with('#').then_some(0)) {
            Some(p) => &raw[..p],
            None => raw,
        };
        if let Some(cont) = line.trim_end().strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            if i < lines.len() {
                continue;
            }
        } else {
            logical.push_str(line);
        }
        let entry = std::mem::take(&mut logical);
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        if entry.starts_with('-') {
            let opt = entry.split([' ', '=']).next().unwrap_or(entry);
            match opt {
                "-r" | "--requirement" | "-c" | "--constraint" | "-e" | "--editable" => {
                    return Err(Error::Format {
                        file: file.into(),
                        expected: format!(
                            "pinned requirements only (line {start}; audit the included file itself)"
                        ),
                        found: format!("{opt:?}"),
                    })
                }
                _ => continue,
            }
        }
        let mut words = entry.split_whitespace();
        let req: String = words
            .by_ref()
            .take_while(|w| !w.starts_with("--"))
            .collect::<Vec<_>>()
            .join("");
        let mut hashes = vec![];
        for w in entry.split_whitespace() {
            if let Some(h) = w.strip_prefix("--hash=").or(w.strip_prefix("--hash:")) {
                if let Some(hex) = h.strip_prefix("sha256:") {
                    hashes.push(hex.to_ascii_lowercase());
                }
            }
        }
        let req = req.split(';').next().unwrap_or("").trim().to_string();
        let (name, version) = req.split_once("==").ok_or_else(|| Error::Unpinned {
            file: file.into(),
            line: start,
            found: req.clone(),
        })?;
        let name = name.split('[').next().unwrap_or(name).trim();
        let version = version.trim();
        if name.is_empty()
            || version.is_empty()
            || version.contains([',', '*', '=', '<', '>', '~', '!'])
            || name.contains(['<', '>', '~', '!', '@', ' '])
        {
            return Err(Error::Unpinned {
                file: file.into(),
                line: start,
                found: req.clone(),
            });
        }
        if hashes.len() > MAX_FILES_PER_PACKAGE {
            return Err(too_many(
                file,
                "hashes for one requirement",
                MAX_FILES_PER_PACKAGE,
            ));
        }
        out.push(LockedPackage {
            name: normalize_name(name),
            version: version.to_string(),
            source: Source::Index,
            files: hashes
                .into_iter()
                .map(|h| LockedFile {
                    filename: None,
                    url: None,
                    sha256: Some(h),
                })
                .collect(),
            identities: None,
        });
        if out.len() > MAX_PACKAGES {
            return Err(too_many(file, "packages", MAX_PACKAGES));
        }
    }
    Ok(out)
}

fn too_many(file: &str, what: &'static str, max: usize) -> Error {
    Error::TooMany {
        file: file.into(),
        what,
        max,
    }
}

fn toml_doc(file: &str, text: &str, what: &str) -> Result<toml::Table> {
    text.parse::<toml::Table>().map_err(|e| Error::Format {
        file: file.into(),
        expected: format!("{what} (TOML)"),
        found: e.message().to_string(),
    })
}

fn format_err(file: &str, expected: impl Into<String>, found: impl Into<String>) -> Error {
    Error::Format {
        file: file.into(),
        expected: expected.into(),
        found: found.into(),
    }
}

/// The last path segment of a URL: a distribution's file name.
fn url_file_name(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn str_field<'a>(t: &'a toml::Table, key: &str) -> Option<&'a str> {
    t.get(key).and_then(|v| v.as_str())
}

fn tables<'a>(
    file: &str,
    v: Option<&'a toml::Value>,
    what: &'static str,
    max: usize,
) -> Result<Vec<&'a toml::Table>> {
    let Some(v) = v else {
        return Ok(vec![]);
    };
    let arr = v
        .as_array()
        .ok_or_else(|| format_err(file, format!("{what} as an array of tables"), v.type_str()))?;
    if arr.len() > max {
        return Err(too_many(file, what, max));
    }
    arr.iter()
        .map(|x| {
            x.as_table()
                .ok_or_else(|| format_err(file, format!("{what} as tables"), x.type_str()))
        })
        .collect()
}

fn package_name<'a>(file: &str, p: &'a toml::Table) -> Result<&'a str> {
    str_field(p, "name")
        .ok_or_else(|| format_err(file, "a name for every package", "a package without one"))
}

/// A package's sdist and wheels, each with its file name (`name_key`, else the URL's last
/// segment), URL and sha256 (`sha256_of`).
fn package_files(
    file: &str,
    p: &toml::Table,
    name_key: &str,
    sha256_of: fn(&toml::Table) -> Option<String>,
) -> Result<Vec<LockedFile>> {
    let sdist = p.get("sdist").and_then(|v| v.as_table());
    let wheels = tables(
        file,
        p.get("wheels"),
        "wheels of one package",
        MAX_FILES_PER_PACKAGE,
    )?;
    Ok(sdist
        .into_iter()
        .chain(wheels)
        .map(|f| {
            let url = str_field(f, "url").map(str::to_string);
            LockedFile {
                filename: str_field(f, name_key)
                    .map(str::to_string)
                    .or_else(|| url.as_deref().and_then(url_file_name)),
                url,
                sha256: sha256_of(f),
            }
        })
        .collect())
}

/// PEP 751: `[[packages]]` with `name`, `version`, `[packages.sdist]`, `[[packages.wheels]]`
/// (`name`, `url`, `hashes.sha256`), `attestation-identities`; `vcs`, `directory` and
/// `archive` packages come from no index.
fn parse_pylock(file: &str, text: &str) -> Result<Vec<LockedPackage>> {
    let doc = toml_doc(file, text, "a pylock.toml lockfile")?;
    if str_field(&doc, "lock-version").is_none() {
        return Err(format_err(
            file,
            "a pylock.toml with lock-version",
            "no lock-version",
        ));
    }
    let mut out = vec![];
    for p in tables(file, doc.get("packages"), "packages", MAX_PACKAGES)? {
        let name = package_name(file, p)?;
        let version = str_field(p, "version").unwrap_or("").to_string();
        let source = ["vcs", "directory", "archive"]
            .into_iter()
            .find(|k| p.contains_key(*k))
            .map(|k| Source::Other(k.to_string()))
            .unwrap_or(Source::Index);
        let files = package_files(file, p, "name", |f| {
            f.get("hashes")
                .and_then(|h| h.as_table())
                .and_then(|h| str_field(h, "sha256"))
                .map(str::to_ascii_lowercase)
        })?;
        if source == Source::Index && version.is_empty() {
            return Err(format_err(
                file,
                format!("a version for package {name}"),
                "none",
            ));
        }
        let identities = match p.get("attestation-identities") {
            None => None,
            Some(v) => Some(
                tables(
                    file,
                    Some(v),
                    "attestation identities of one package",
                    MAX_IDENTITIES,
                )?
                .into_iter()
                .map(|t| identity(file, name, t))
                .collect::<Result<Vec<_>>>()?,
            ),
        };
        out.push(LockedPackage {
            name: normalize_name(name),
            version,
            source,
            files,
            identities,
        });
    }
    Ok(out)
}

fn identity(file: &str, package: &str, t: &toml::Table) -> Result<ExpectedIdentity> {
    let v = serde_json::to_value(t)
        .map_err(|e| format_err(file, "an identity table", e.to_string()))?;
    let Value::Object(m) = v else {
        return Err(format_err(file, "an identity table", "another value"));
    };
    if !m.get("kind").is_some_and(Value::is_string) {
        return Err(format_err(
            file,
            format!("a kind in every attestation identity of {package}"),
            "an identity without one",
        ));
    }
    Ok(ExpectedIdentity(m.into_iter().collect()))
}

/// uv.lock: `[[package]]` with `name`, `version`, `source` (`registry`, or `git`, `path`,
/// `directory`, `editable`, `virtual`, `url`), `sdist` and `wheels` (`url`, `hash` =
/// `sha256:HEX`). The project itself (editable or virtual) is left out.
fn parse_uv_lock(file: &str, text: &str) -> Result<Vec<LockedPackage>> {
    let doc = toml_doc(file, text, "a uv.lock lockfile")?;
    if !doc.contains_key("version") {
        return Err(format_err(file, "a uv.lock with a version", "no version"));
    }
    let mut out = vec![];
    for p in tables(file, doc.get("package"), "packages", MAX_PACKAGES)? {
        let name = package_name(file, p)?;
        let version = str_field(p, "version").unwrap_or("").to_string();
        let src = p.get("source").and_then(|v| v.as_table());
        let kind = src
            .and_then(|s| s.keys().next().cloned())
            .unwrap_or_default();
        let source = match kind.as_str() {
            "registry" => Source::Index,
            "editable" | "virtual" => continue,
            "" => Source::Other("no source".into()),
            other => Source::Other(other.to_string()),
        };
        let files = package_files(file, p, "filename", |f| {
            str_field(f, "hash")
                .and_then(|h| h.strip_prefix("sha256:"))
                .map(str::to_ascii_lowercase)
        })?;
        out.push(LockedPackage {
            name: normalize_name(name),
            version,
            source,
            files,
            identities: None,
        });
    }
    Ok(out)
}

/// Recorded publishers, one per package (trust on first use): `[publishers.NAME]` tables
/// holding the publisher as PyPI's provenance names it (`kind`, `repository`, `workflow`,
/// `environment`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pins {
    /// By normalized project name.
    #[serde(default)]
    pub publishers: BTreeMap<String, Publisher>,
}

impl Pins {
    /// Parse a pins file.
    pub fn from_toml(file: &str, bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_LOCKFILE_BYTES {
            return Err(too_many(file, "bytes", MAX_LOCKFILE_BYTES));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| format_err(file, "UTF-8 text", format!("invalid UTF-8 ({e})")))?;
        let pins: Pins = toml::from_str(text).map_err(|e| {
            format_err(
                file,
                "a pins file ([publishers.NAME] tables with kind, repository, workflow, ...)",
                e.message().to_string(),
            )
        })?;
        if pins.publishers.len() > MAX_PACKAGES {
            return Err(too_many(file, "pinned publishers", MAX_PACKAGES));
        }
        Ok(Pins {
            publishers: pins
                .publishers
                .into_iter()
                .map(|(k, v)| (normalize_name(&k), v))
                .collect(),
        })
    }

    /// The pins file's text.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# Publishers of this project's dependencies, recorded by `signet pypi audit --update-pins`.\n# A dependency whose verified publisher differs fails the audit (publisher drift).\n\n{body}"
        )
    }

    /// Compare `p`, the verified publisher of `package`: `Ok(true)` when it is the pinned one,
    /// `Ok(false)` when the package has no pin yet, and the pinned publisher when it drifted.
    pub fn check(&self, package: &str, p: &Publisher) -> std::result::Result<bool, Publisher> {
        match self.publishers.get(&normalize_name(package)) {
            None => Ok(false),
            Some(pinned) if same_publisher(pinned, p) => Ok(true),
            Some(pinned) => Err(pinned.clone()),
        }
    }
}

/// The same publisher: equal fields, repositories compared case-insensitively.
pub fn same_publisher(a: &Publisher, b: &Publisher) -> bool {
    let lower = |p: &Publisher| match p {
        Publisher::GitHub {
            repository,
            workflow,
            environment,
        } => Publisher::GitHub {
            repository: repository.to_ascii_lowercase(),
            workflow: workflow.clone(),
            environment: environment.clone(),
        },
        Publisher::GitLab {
            repository,
            workflow_filepath,
            environment,
        } => Publisher::GitLab {
            repository: repository.to_ascii_lowercase(),
            workflow_filepath: workflow_filepath.clone(),
            environment: environment.clone(),
        },
        other => other.clone(),
    };
    lower(a) == lower(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh(repo: &str, wf: &str, env: Option<&str>) -> Publisher {
        Publisher::GitHub {
            repository: repo.into(),
            workflow: wf.into(),
            environment: env.map(str::to_string),
        }
    }

    #[test]
    fn requirements_with_hashes_markers_extras_and_continuations() {
        let text = "\
# comment
--index-url https://pypi.org/simple
Attrs[tests]==25.1.0 ; python_version >= \"3.8\" \\
    --hash=sha256:AAAA \\
    --hash=sha256:bbbb
zope.interface==7.0   # trailing comment
";
        let p = parse_lockfile("r.txt", LockFormat::Requirements, text.as_bytes()).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "attrs");
        assert_eq!(p[0].version, "25.1.0");
        let h: Vec<_> = p[0]
            .files
            .iter()
            .map(|f| f.sha256.clone().unwrap())
            .collect();
        assert_eq!(h, ["aaaa", "bbbb"]);
        assert_eq!(p[1].name, "zope-interface");
        assert!(p[1].files.is_empty());
    }

    #[test]
    fn unpinned_or_included_requirements_are_refused_naming_the_line() {
        for (text, want) in [
            ("attrs>=25\n", "line 1"),
            ("\nattrs\n", "line 2"),
            ("attrs==1.*\n", "line 1"),
            ("-r other.txt\n", "\"-r\""),
            ("-e .\n", "\"-e\""),
        ] {
            let e = parse_lockfile("r.txt", LockFormat::Requirements, text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.contains(want) && e.contains("r.txt"), "{text:?}: {e}");
        }
    }

    #[test]
    fn pylock_files_sources_and_identities() {
        let text = r#"
lock-version = "1.0"
created-by = "test"
[[packages]]
name = "Attrs"
version = "25.1.0"
[packages.sdist]
url = "https://files.example/attrs-25.1.0.tar.gz"
hashes = {sha256 = "AB12"}
[[packages.wheels]]
name = "attrs-25.1.0-py3-none-any.whl"
hashes = {sha256 = "cd34"}
[[packages.attestation-identities]]
kind = "GitHub"
repository = "python-attrs/attrs"
[[packages]]
name = "local"
[packages.directory]
path = "."
"#;
        let p = parse_lockfile("pylock.toml", LockFormat::Pylock, text.as_bytes()).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].files[0].filename.as_deref(),
            Some("attrs-25.1.0.tar.gz")
        );
        assert_eq!(p[0].files[0].sha256.as_deref(), Some("ab12"));
        assert_eq!(
            p[0].files[1].filename.as_deref(),
            Some("attrs-25.1.0-py3-none-any.whl")
        );
        let ids = p[0].identities.as_ref().unwrap();
        assert!(ids[0].matches(&gh("Python-Attrs/Attrs", "release.yml", None)));
        assert!(!ids[0].matches(&gh("other/attrs", "release.yml", None)));
        assert_eq!(p[1].source, Source::Other("directory".into()));
        let e = parse_lockfile(
            "pylock.toml",
            LockFormat::Pylock,
            b"[[packages]]\nname='x'\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("lock-version"), "{e}");
    }

    #[test]
    fn uv_lock_registry_packages_without_the_project() {
        let text = r#"
version = 1
requires-python = ">=3.9"
[[package]]
name = "me"
version = "0.1.0"
source = { editable = "." }
[[package]]
name = "attrs"
version = "25.1.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.example/attrs-25.1.0.tar.gz", hash = "sha256:AB", size = 1 }
wheels = [{ url = "https://files.example/attrs-25.1.0-py3-none-any.whl", hash = "sha256:cd", size = 2 }]
[[package]]
name = "vcs-dep"
version = "1.0"
source = { git = "https://github.com/o/r?rev=1#abc" }
"#;
        let p = parse_lockfile("uv.lock", LockFormat::UvLock, text.as_bytes()).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "attrs");
        assert_eq!(p[0].files.len(), 2);
        assert_eq!(
            p[0].files[1].filename.as_deref(),
            Some("attrs-25.1.0-py3-none-any.whl")
        );
        assert_eq!(p[0].files[0].sha256.as_deref(), Some("ab"));
        assert_eq!(p[1].source, Source::Other("git".into()));
    }

    #[test]
    fn pins_round_trip_and_detect_drift() {
        let mut pins = Pins::default();
        pins.publishers.insert(
            "attrs".into(),
            gh("python-attrs/attrs", "release.yml", Some("pypi")),
        );
        let text = pins.to_toml();
        let back = Pins::from_toml("pins.toml", text.as_bytes()).unwrap();
        assert_eq!(back, pins);
        assert_eq!(
            back.check(
                "Attrs",
                &gh("Python-Attrs/attrs", "release.yml", Some("pypi"))
            ),
            Ok(true)
        );
        assert_eq!(back.check("other", &gh("a/b", "w.yml", None)), Ok(false));
        // A new environment, workflow or repository is drift.
        for p in [
            gh("python-attrs/attrs", "release.yml", None),
            gh("python-attrs/attrs", "other.yml", Some("pypi")),
            gh("someone/attrs", "release.yml", Some("pypi")),
        ] {
            assert!(back.check("attrs", &p).is_err(), "{p:?}");
        }
        let e = Pins::from_toml("pins.toml", b"[publishers.x]\nkind = \"Nope\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("pins.toml") && e.contains("expected a pins file"),
            "{e}"
        );
    }

    #[test]
    fn lockfile_formats_by_name() {
        assert_eq!(LockFormat::from_file_name("a/uv.lock"), LockFormat::UvLock);
        assert_eq!(
            LockFormat::from_file_name("pylock.toml"),
            LockFormat::Pylock
        );
        assert_eq!(
            LockFormat::from_file_name("pylock.dev.toml"),
            LockFormat::Pylock
        );
        assert_eq!(
            LockFormat::from_file_name("requirements.txt"),
            LockFormat::Requirements
        );
    }
}
