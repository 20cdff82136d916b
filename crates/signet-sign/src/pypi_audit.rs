//! `signet pypi audit`: every file a lockfile pins, its PEP 740 provenance from the index
//! (the simple API's `provenance` link, else the integrity API), every attestation verified
//! against the file's sha256 (the lockfile's, so nothing is downloaded), and the publisher
//! checked against the lockfile's `attestation-identities` and the recorded pins.

use signet_verify::audit::{describe_publisher, LockedPackage, Pins, Source};
use signet_verify::pypi::{
    normalize_version, project_and_version, verify_attestation, Distribution, Provenance,
    Publisher, Signer,
};
use signet_verify::Verifier;

use crate::pypi_index::{IndexFile, ProvenanceLink, PypiIndex};

/// What the audit found for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every attestation verified for the file, signed by these publishers (one per
    /// attestation bundle of the provenance).
    Verified {
        /// The publishers.
        publishers: Vec<Publisher>,
        /// Attestations verified.
        attestations: usize,
        /// Whether the package's publisher was pinned before (else it is new to the pins).
        pinned: bool,
    },
    /// The index has no provenance for the file.
    NoProvenance,
    /// The package comes from no index (a VCS checkout, a directory, an archive URL).
    Skipped(String),
    /// Verification failed, the publisher is not the expected one, or the index could not be
    /// asked: why.
    Failed(String),
}

/// One audited file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAudit {
    /// Normalized project name.
    pub package: String,
    /// Locked version.
    pub version: String,
    /// File name (empty when it could not be found).
    pub filename: String,
    /// The sha256 verified against (lowercase hex).
    pub sha256: Option<String>,
    /// Where the sha256 came from: `lockfile` or `index`.
    pub sha256_source: &'static str,
    /// What was found.
    pub outcome: Outcome,
}

/// A file to audit: resolved from the lockfile, and the index when the lockfile lacks names
/// or hashes.
#[derive(Debug, Clone)]
struct Target {
    package: usize,
    filename: String,
    sha256: String,
    sha256_source: &'static str,
    provenance: ProvenanceLink,
}

/// Audit `packages`: resolve their files (asking the index only when the lockfile lacks a
/// file name or hash), then fetch and verify every file's provenance, `jobs` requests at a
/// time. `progress` is called once per file done. Rows come in lockfile order.
pub fn audit(
    index: &PypiIndex,
    verifier: &Verifier,
    packages: &[LockedPackage],
    pins: &Pins,
    jobs: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<FileAudit> {
    let row = |p: &LockedPackage, filename: &str, sha: Option<&str>, outcome| FileAudit {
        package: p.name.clone(),
        version: p.version.clone(),
        filename: filename.to_string(),
        sha256: sha.map(str::to_string),
        sha256_source: "lockfile",
        outcome,
    };
    // 1. Files.
    let indices: Vec<usize> = (0..packages.len()).collect();
    let resolved =
        signet_verify::bench::run_parallel(&indices, jobs, |&i| resolve(index, i, &packages[i]));
    let mut rows: Vec<(usize, FileAudit)> = vec![];
    let mut targets = vec![];
    for (i, r) in resolved.into_iter().enumerate() {
        let p = &packages[i];
        match r {
            Resolved::Files(t, failures) => {
                targets.extend(t);
                for (filename, sha, why) in failures {
                    rows.push((i, row(p, &filename, sha.as_deref(), Outcome::Failed(why))));
                }
            }
            Resolved::Skipped(why) => rows.push((i, row(p, "", None, Outcome::Skipped(why)))),
        }
    }
    let done = std::sync::atomic::AtomicUsize::new(0);
    // 2. Provenance, verified.
    let checked = signet_verify::bench::run_parallel(&targets, jobs, |t| {
        let out = check(index, verifier, &packages[t.package], t, pins);
        progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
        out
    });
    for (t, outcome) in targets.iter().zip(checked) {
        let p = &packages[t.package];
        let mut r = row(p, &t.filename, Some(&t.sha256), outcome);
        r.sha256_source = t.sha256_source;
        rows.push((t.package, r));
    }
    rows.sort_by_key(|(i, _)| *i);
    rows.into_iter().map(|(_, r)| r).collect()
}

enum Resolved {
    /// The files to audit, and those that could not be found (name, sha256, why).
    Files(Vec<Target>, Unresolved),
    /// The package is not audited, and why.
    Skipped(String),
}

type Unresolved = Vec<(String, Option<String>, String)>;

/// The files of package `i` to audit, and why some cannot be.
fn resolve(index: &PypiIndex, i: usize, p: &LockedPackage) -> Resolved {
    if let Source::Other(what) = &p.source {
        return Resolved::Skipped(format!("not from an index ({what})"));
    }
    let complete: Option<Vec<Target>> = (!p.files.is_empty())
        .then(|| {
            p.files
                .iter()
                .map(|f| {
                    Some(Target {
                        package: i,
                        filename: f.filename.clone()?,
                        sha256: f.sha256.clone()?,
                        sha256_source: "lockfile",
                        provenance: ProvenanceLink::Unknown,
                    })
                })
                .collect()
        })
        .flatten();
    if let Some(t) = complete {
        return Resolved::Files(t, vec![]);
    }
    // Names or hashes are missing: the index's list of the project's files fills them in.
    let listed = match index.project_files(&p.name) {
        Ok(l) => l,
        Err(e) => return Resolved::Files(vec![], vec![(String::new(), None, e.to_string())]),
    };
    let want_version = normalize_version(&p.version).unwrap_or_else(|| p.version.clone());
    let of_version: Vec<&IndexFile> = listed
        .iter()
        .filter(|f| {
            project_and_version(&f.filename)
                .is_ok_and(|(_, v)| normalize_version(&v).unwrap_or(v) == want_version)
        })
        .collect();
    let mut out = vec![];
    let mut failed: Unresolved = vec![];
    // A file the index lists, audited against the index's sha256.
    let from_index = |f: &IndexFile| match &f.sha256 {
        Some(sha) => Ok(Target {
            package: i,
            filename: f.filename.clone(),
            sha256: sha.clone(),
            sha256_source: "index",
            provenance: f.provenance.clone(),
        }),
        None => Err((
            f.filename.clone(),
            None,
            "neither the lockfile nor the index gives its sha256".to_string(),
        )),
    };
    if p.files.is_empty() {
        // No hashes pinned: every file of the version, with the index's sha256.
        if of_version.is_empty() {
            failed.push((
                String::new(),
                None,
                format!("the index lists no file of {} {}", p.name, p.version),
            ));
        }
        for f in of_version {
            match from_index(f) {
                Ok(t) => out.push(t),
                Err(e) => failed.push(e),
            }
        }
    } else {
        for lf in &p.files {
            let found = of_version
                .iter()
                .find(|f| match (&lf.sha256, &lf.filename) {
                    (Some(sha), _) => f.sha256.as_deref() == Some(sha.as_str()),
                    (None, Some(name)) => &f.filename == name,
                    (None, None) => false,
                });
            match (found, &lf.sha256) {
                (Some(f), Some(sha)) => out.push(Target {
                    package: i,
                    filename: lf.filename.clone().unwrap_or_else(|| f.filename.clone()),
                    sha256: sha.clone(),
                    sha256_source: "lockfile",
                    provenance: f.provenance.clone(),
                }),
                (Some(f), None) => match from_index(f) {
                    Ok(t) => out.push(t),
                    Err(e) => failed.push(e),
                },
                (None, sha) => failed.push((
                    lf.filename.clone().unwrap_or_default(),
                    sha.clone(),
                    format!(
                        "the index lists no file of {} {} with {}",
                        p.name,
                        p.version,
                        match (sha, &lf.filename) {
                            (Some(s), _) => format!("sha256 {s}"),
                            (None, Some(n)) => format!("the name {n}"),
                            (None, None) => "a name or hash".into(),
                        }
                    ),
                )),
            }
        }
    }
    Resolved::Files(out, failed)
}

/// Fetch and verify one file's provenance.
fn check(
    index: &PypiIndex,
    verifier: &Verifier,
    p: &LockedPackage,
    t: &Target,
    pins: &Pins,
) -> Outcome {
    let digest = match hex::decode(&t.sha256)
        .ok()
        .and_then(|d| <[u8; 32]>::try_from(d).ok())
    {
        Some(d) => d,
        None => return Outcome::Failed(format!("sha256 {:?} is not 64 hex digits", t.sha256)),
    };
    let dist = match Distribution::new(&t.filename, digest) {
        Ok(d) => d,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let bytes = match index.provenance_of(&t.filename, &t.provenance) {
        Ok(Some(b)) => b,
        Ok(None) => return Outcome::NoProvenance,
        Err(e) => return Outcome::Failed(format!("fetching provenance: {e}")),
    };
    let prov = match Provenance::from_json(&bytes) {
        Ok(p) => p,
        Err(e) => return Outcome::Failed(format!("provenance: {e}")),
    };
    let mut publishers = vec![];
    let mut attestations = 0;
    let mut pinned = true;
    for b in &prov.attestation_bundles {
        if b.attestations.is_empty() {
            return Outcome::Failed(format!(
                "the {} publisher bundle has no attestations",
                b.publisher.kind()
            ));
        }
        for (n, att) in b.attestations.iter().enumerate() {
            if let Err(e) = verify_attestation(
                verifier,
                att,
                &dist,
                &Signer::Publisher(b.publisher.clone()),
            ) {
                return Outcome::Failed(format!(
                    "attestation #{n} ({}): {e}",
                    describe_publisher(&b.publisher)
                ));
            }
            attestations += 1;
        }
        if let Some(ids) = &p.identities {
            if !ids.iter().any(|id| id.matches(&b.publisher)) {
                return Outcome::Failed(format!(
                    "publisher {} is none of the lockfile's attestation-identities ({})",
                    describe_publisher(&b.publisher),
                    ids.iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
        match pins.check(&p.name, &b.publisher) {
            Ok(known) => pinned &= known,
            Err(was) => {
                return Outcome::Failed(format!(
                    "publisher drift: pinned {}, found {}",
                    describe_publisher(&was),
                    describe_publisher(&b.publisher)
                ))
            }
        }
        if !publishers.contains(&b.publisher) {
            publishers.push(b.publisher.clone());
        }
    }
    Outcome::Verified {
        publishers,
        attestations,
        pinned,
    }
}

/// The pins after an audit: the recorded ones, plus the publisher of every package verified
/// for the first time (trust on first use). A drifted pin is never replaced.
pub fn updated_pins(pins: &Pins, rows: &[FileAudit]) -> Pins {
    let mut out = pins.clone();
    for r in rows {
        if let Outcome::Verified { publishers, .. } = &r.outcome {
            if let [one] = publishers.as_slice() {
                out.publishers
                    .entry(r.package.clone())
                    .or_insert_with(|| one.clone());
            }
        }
    }
    out
}

/// How many files ended how: (verified, without provenance, failed, skipped).
pub fn counts(rows: &[FileAudit]) -> (usize, usize, usize, usize) {
    rows.iter()
        .fold((0, 0, 0, 0), |(v, n, f, s), r| match r.outcome {
            Outcome::Verified { .. } => (v + 1, n, f, s),
            Outcome::NoProvenance => (v, n + 1, f, s),
            Outcome::Failed(_) => (v, n, f + 1, s),
            Outcome::Skipped(_) => (v, n, f, s + 1),
        })
}

fn status(o: &Outcome) -> (&'static str, String) {
    match o {
        Outcome::Verified {
            publishers,
            attestations,
            pinned,
        } => (
            "verified",
            format!(
                "{} ({attestations} attestation{}{})",
                publishers
                    .iter()
                    .map(describe_publisher)
                    .collect::<Vec<_>>()
                    .join("; "),
                if *attestations == 1 { "" } else { "s" },
                if *pinned { ", pinned" } else { "" }
            ),
        ),
        Outcome::NoProvenance => ("no provenance", "the index has no attestations".into()),
        Outcome::Failed(why) => ("failed", why.clone()),
        Outcome::Skipped(why) => ("skipped", why.clone()),
    }
}

/// The audit as a table for people: status, package, version, file, and the publisher or why.
pub fn table(rows: &[FileAudit]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let (s, detail) = status(&r.outcome);
            [
                s.to_string(),
                r.package.clone(),
                r.version.clone(),
                r.filename.clone(),
                detail,
            ]
        })
        .collect();
    let head = ["STATUS", "PACKAGE", "VERSION", "FILE", "PUBLISHER / REASON"].map(String::from);
    let mut width = [0usize; 4];
    for row in std::iter::once(&head).chain(&cells) {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&head).chain(&cells) {
        for (w, c) in width.iter().zip(row) {
            out.push_str(&format!("{c:<w$}  ", w = *w));
        }
        out.push_str(&row[4]);
        out.push('\n');
    }
    out
}

/// The audit as JSON: `files` (one object per file: package, version, file, sha256 and its
/// source, status, publishers, attestations, pinned, reason) and `summary` counts.
pub fn to_json(rows: &[FileAudit]) -> serde_json::Value {
    let files: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let (s, detail) = status(&r.outcome);
            let (publishers, attestations, pinned) = match &r.outcome {
                Outcome::Verified {
                    publishers,
                    attestations,
                    pinned,
                } => (publishers.clone(), *attestations, Some(*pinned)),
                _ => (vec![], 0, None),
            };
            serde_json::json!({
                "package": r.package,
                "version": r.version,
                "file": r.filename,
                "sha256": r.sha256,
                "sha256_source": r.sha256_source,
                "status": s,
                "publishers": publishers,
                "attestations": attestations,
                "pinned": pinned,
                "reason": if matches!(r.outcome, Outcome::Verified { .. }) { None } else { Some(detail) },
            })
        })
        .collect();
    let (v, n, f, s) = counts(rows);
    serde_json::json!({
        "files": files,
        "summary": {"verified": v, "no_provenance": n, "failed": f, "skipped": s},
    })
}

/// Why an audit's inputs cannot be used (a usage error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A file cannot be read.
    #[error("reading {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The lockfile or pins file is malformed.
    #[error(transparent)]
    Format(#[from] signet_verify::audit::Error),
    /// The pins file named does not exist (and is not to be created).
    #[error("{path}: no such pins file (create it with --update-pins)")]
    NoPins {
        /// The file.
        path: String,
    },
}

fn read(p: &std::path::Path) -> Result<Vec<u8>, InputError> {
    std::fs::read(p).map_err(|e| InputError::Read {
        path: p.display().to_string(),
        reason: e.to_string(),
    })
}

/// The packages of the lockfile at `p`, its format known by its name.
pub fn read_lockfile(p: &std::path::Path) -> Result<Vec<LockedPackage>, InputError> {
    let name = p.display().to_string();
    let format = signet_verify::audit::LockFormat::from_file_name(&name);
    Ok(signet_verify::audit::parse_lockfile(
        &name,
        format,
        &read(p)?,
    )?)
}

/// The pins at `p` (none named: no pins; missing: empty when `create`, else an error).
pub fn read_pins(p: Option<&std::path::Path>, create: bool) -> Result<Pins, InputError> {
    match p {
        None => Ok(Pins::default()),
        Some(p) if p.exists() => Ok(Pins::from_toml(&p.display().to_string(), &read(p)?)?),
        Some(_) if create => Ok(Pins::default()),
        Some(p) => Err(InputError::NoPins {
            path: p.display().to_string(),
        }),
    }
}

/// One line: how many files ended how.
pub fn summary(rows: &[FileAudit]) -> String {
    let (v, n, f, s) = counts(rows);
    format!(
        "{} files: {v} verified, {n} without provenance, {f} failed, {s} skipped",
        rows.len()
    )
}

/// Whether the audit holds: nothing failed, and with `require_provenance` every file has
/// verified provenance.
pub fn passed(rows: &[FileAudit], require_provenance: bool) -> bool {
    let (_, n, f, s) = counts(rows);
    f == 0 && !(require_provenance && n + s > 0)
}
