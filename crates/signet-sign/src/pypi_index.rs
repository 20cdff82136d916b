//! A client for a Python package index's APIs: the PEP 691 simple JSON API (a file's URL and
//! sha256), file downloads checked against that sha256, and PyPI's integrity API (a file's
//! PEP 740 provenance).

use serde_json::Value;
use signet_core::encoding::sha256;

use crate::{Error, Result};

use signet_core::limits::{MAX_DIST_BYTES as MAX_DIST, MAX_INDEX_JSON as MAX_JSON};

/// Most files one project's simple API page may list.
const MAX_INDEX_FILES: usize = 100_000;

/// Where a file's PEP 740 provenance is, as the simple API says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvenanceLink {
    /// At this URL.
    At(String),
    /// The index says the file has none.
    None,
    /// The index does not say: ask its integrity API.
    Unknown,
}

/// A file the simple API lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// Its file name.
    pub filename: String,
    /// Its download URL.
    pub url: String,
    /// Its sha256 (lowercase hex), when listed.
    pub sha256: Option<String>,
    /// Its provenance.
    pub provenance: ProvenanceLink,
}

/// An index, e.g. `https://pypi.org`.
pub struct PypiIndex {
    base: String,
    http: signet_http::Http,
}

fn index_error(url: &str, message: impl Into<String>) -> Error {
    Error::Service {
        service: "package index",
        url: url.to_string(),
        message: message.into(),
    }
}

impl PypiIndex {
    /// The index at `base` (`/simple/` and `/integrity/` are under it).
    pub fn new(base: &str, http: signet_http::Http) -> Self {
        PypiIndex {
            base: base.trim_end_matches('/').to_string(),
            http,
        }
    }

    /// The index at `base` over a new HTTP client (60 s timeout: large distributions).
    pub fn connect(base: &str) -> Result<Self> {
        let o = signet_http::Options {
            timeout: std::time::Duration::from_secs(60),
            ..Default::default()
        };
        let http = signet_http::Http::with_options(o)
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self::new(base, http))
    }

    fn get(&self, url: &str, accept: &str, max: u64) -> Result<Vec<u8>> {
        self.get_opt(url, accept, max)?
            .ok_or_else(|| index_error(url, "HTTP 404"))
    }

    /// As `get`, with `None` for a 404 (the index has no such document).
    fn get_opt(&self, url: &str, accept: &str, max: u64) -> Result<Option<Vec<u8>>> {
        let req = self
            .http
            .client()
            .get(url)
            .header(reqwest::header::ACCEPT, accept);
        let (status, body) = self
            .http
            .exchange(url, req, max)
            .map_err(|e| index_error(url, e.reason()))?;
        match status {
            200..=299 => Ok(Some(body)),
            404 => Ok(None),
            _ => Err(index_error(url, format!("HTTP {status}"))),
        }
    }

    /// Every file the PEP 691 simple JSON API lists for `project` (normalized name), with its
    /// sha256 and PEP 740 provenance link.
    pub fn project_files(&self, project: &str) -> Result<Vec<IndexFile>> {
        let url = format!("{}/simple/{project}/", self.base);
        let body = self.get(&url, "application/vnd.pypi.simple.v1+json", MAX_JSON)?;
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| index_error(&url, format!("not simple API JSON: {e}")))?;
        let files = v["files"]
            .as_array()
            .ok_or_else(|| index_error(&url, "no \"files\" array"))?;
        if files.len() > MAX_INDEX_FILES {
            return Err(index_error(
                &url,
                format!("more than {MAX_INDEX_FILES} files listed"),
            ));
        }
        let base = reqwest::Url::parse(&url).map_err(|e| index_error(&url, e.to_string()))?;
        let join = |href: &str| {
            base.join(href)
                .map(|u| u.to_string())
                .map_err(|e| index_error(&url, format!("URL {href:?}: {e}")))
        };
        files
            .iter()
            .map(|f| {
                let filename = f["filename"]
                    .as_str()
                    .ok_or_else(|| index_error(&url, "a file without a filename"))?;
                let href = f["url"]
                    .as_str()
                    .ok_or_else(|| index_error(&url, format!("file {filename} has no url")))?;
                // PEP 740: `provenance` is a URL, or null for none; absent when the index
                // does not say (then the integrity API is asked).
                let provenance = match f.get("provenance") {
                    None => ProvenanceLink::Unknown,
                    Some(Value::Null) => ProvenanceLink::None,
                    Some(Value::String(p)) => ProvenanceLink::At(join(p)?),
                    Some(other) => {
                        return Err(index_error(
                            &url,
                            format!(
                                "file {filename}: provenance is {other}, expected a URL or null"
                            ),
                        ))
                    }
                };
                Ok(IndexFile {
                    filename: filename.to_string(),
                    url: join(href)?,
                    sha256: f["hashes"]["sha256"].as_str().map(str::to_ascii_lowercase),
                    provenance,
                })
            })
            .collect()
    }

    /// The PEP 740 provenance of `filename` at `link` (from the simple API), else from the
    /// integrity API; `None` when the index has none.
    pub fn provenance_of(&self, filename: &str, link: &ProvenanceLink) -> Result<Option<Vec<u8>>> {
        let accept = "application/vnd.pypi.integrity.v1+json";
        match link {
            ProvenanceLink::None => Ok(None),
            ProvenanceLink::At(url) => self.get_opt(url, accept, MAX_JSON),
            ProvenanceLink::Unknown => {
                let (project, version) = signet_verify::pypi::project_and_version(filename)
                    .map_err(|e| Error::Config(e.to_string()))?;
                let url = format!(
                    "{}/integrity/{project}/{version}/{filename}/provenance",
                    self.base
                );
                self.get_opt(&url, accept, MAX_JSON)
            }
        }
    }

    /// The download URL of `filename` and the sha256 the simple API lists for it, if any.
    pub fn find_file(&self, filename: &str) -> Result<(String, Option<String>)> {
        let (project, _) = signet_verify::pypi::project_and_version(filename)
            .map_err(|e| Error::Config(e.to_string()))?;
        let f = self
            .project_files(&project)?
            .into_iter()
            .find(|f| f.filename == filename)
            .ok_or_else(|| {
                let url = format!("{}/simple/{project}/", self.base);
                index_error(&url, format!("project {project} has no file {filename}"))
            })?;
        Ok((f.url, f.sha256))
    }

    /// Download `url`; when `want_sha256` is given the bytes must hash to it.
    pub fn download(&self, url: &str, want_sha256: Option<&str>) -> Result<Vec<u8>> {
        let data = self.get(url, "*/*", MAX_DIST)?;
        if let Some(w) = want_sha256 {
            let got = hex::encode(sha256(&data));
            if !got.eq_ignore_ascii_case(w) {
                return Err(index_error(
                    url,
                    format!("downloaded sha256 {got}, but the index lists {w}"),
                ));
            }
        }
        Ok(data)
    }

    /// A distribution named `pypi:FILENAME` (found in the index, its listed sha256 checked)
    /// or by URL (its last path segment is the file name): the file name and the bytes.
    pub fn fetch(&self, spec: &str) -> Result<(String, Vec<u8>)> {
        let (filename, url, want) = match spec.strip_prefix("pypi:") {
            Some(f) => {
                let (url, sha) = self.find_file(f)?;
                (f.to_string(), url, sha)
            }
            None => {
                let name = reqwest::Url::parse(spec).ok().and_then(|u| {
                    u.path_segments()
                        .and_then(|mut s| s.next_back().map(str::to_string))
                        .filter(|s| !s.is_empty())
                });
                let name = name.ok_or_else(|| Error::Service {
                    service: "PyPI",
                    url: spec.to_string(),
                    message: "expected a URL ending in a file name".into(),
                })?;
                (name, spec.to_string(), None)
            }
        };
        let data = self.download(&url, want.as_deref())?;
        Ok((filename, data))
    }

    /// The PEP 740 provenance of `filename` from PyPI's integrity API.
    pub fn provenance(&self, filename: &str) -> Result<Vec<u8>> {
        let (project, version) = signet_verify::pypi::project_and_version(filename)
            .map_err(|e| Error::Config(e.to_string()))?;
        let url = format!(
            "{}/integrity/{project}/{version}/{filename}/provenance",
            self.base
        );
        self.get(&url, "application/vnd.pypi.integrity.v1+json", MAX_JSON)
    }
}

/// Whether a distribution spec names one in an index (`pypi:FILENAME`) or at a URL, rather
/// than a local file.
pub fn is_remote(spec: &str) -> bool {
    spec.starts_with("pypi:") || spec.starts_with("https://") || spec.starts_with("http://")
}

/// A distribution and its provenance: the distribution is `spec` (a local file, or
/// `pypi:FILENAME` / a URL fetched from `index`), the provenance `provenance_file` or, without
/// one, the index's integrity API.
pub fn dist_and_provenance(
    index: Option<&PypiIndex>,
    spec: &str,
    provenance_file: Option<&std::path::Path>,
) -> Result<(signet_verify::pypi::Distribution, Vec<u8>)> {
    let no_index = || Error::Service {
        service: "package index",
        url: spec.to_string(),
        message: "no index to fetch from".into(),
    };
    let (filename, data) = if is_remote(spec) {
        index.ok_or_else(no_index)?.fetch(spec)?
    } else {
        local_file(std::path::Path::new(spec))?
    };
    let dist = signet_verify::pypi::Distribution::from_bytes(&filename, &data)?;
    let prov = match provenance_file {
        Some(p) => read_file(p)?,
        None => index.ok_or_else(no_index)?.provenance(&filename)?,
    };
    Ok((dist, prov))
}

/// A local file's name (as the index knows it) and contents.
fn local_file(p: &std::path::Path) -> Result<(String, Vec<u8>)> {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((name, read_file(p)?))
}

/// A local distribution file: its name and SHA-256.
pub fn local_dist(p: &std::path::Path) -> Result<signet_verify::pypi::Distribution> {
    let (name, data) = local_file(p)?;
    Ok(signet_verify::pypi::Distribution::from_bytes(&name, &data)?)
}

/// Read a file the user named ([`Error::Read`] naming it).
pub(crate) fn read_file(p: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(p).map_err(|e| Error::Read {
        path: p.display().to_string(),
        reason: e.to_string(),
    })
}

/// Why [`resolve`] gave no distribution: the arguments cannot work (a usage error), or
/// fetching or reading failed.
#[derive(Debug)]
pub enum ResolveError {
    /// The arguments cannot work, e.g. `--offline` with a remote distribution.
    Usage(String),
    /// The index or a file failed.
    Failed(Error),
}

/// `pypi verify pypi`'s inputs: the distribution `spec` (a local file, `pypi:FILENAME` or a
/// URL) and its provenance (`provenance_file`, else the index at `index_url`). `offline`
/// refuses anything that needs the index.
pub fn resolve(
    spec: &str,
    provenance_file: Option<&std::path::Path>,
    index_url: &str,
    offline: bool,
) -> std::result::Result<(signet_verify::pypi::Distribution, Vec<u8>), ResolveError> {
    let remote = is_remote(spec);
    if offline && (remote || provenance_file.is_none()) {
        return Err(ResolveError::Usage(format!(
            "--offline needs a local distribution and --provenance-file (got {spec})"
        )));
    }
    if !remote && !std::path::Path::new(spec).is_file() {
        return Err(ResolveError::Usage(format!(
            "distribution must be a file, pypi:FILENAME or a URL: {spec}"
        )));
    }
    let index = match remote || provenance_file.is_none() {
        true => Some(PypiIndex::connect(index_url).map_err(ResolveError::Failed)?),
        false => None,
    };
    dist_and_provenance(index.as_ref(), spec, provenance_file).map_err(ResolveError::Failed)
}
