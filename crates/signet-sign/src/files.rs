//! Where inputs and bundles are, as sigstore-python's CLI has it: an input is a file or
//! `sha256:HEX`; its bundle is `FILE.sigstore.json` beside it (or the legacy `FILE.sigstore`);
//! and the bundles a signing will write are checked before anything is signed, so no
//! certificate or log entry is made for a bundle that cannot be written.

use std::path::{Path, PathBuf};

use thiserror::Error as ThisError;

/// An input or output that cannot be used (a usage error: exit 2).
#[derive(Debug, ThisError, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileError {
    /// Not a file.
    #[error("{path}: expected a file, found {found}")]
    NotAFile {
        /// The path given.
        path: String,
        /// What is there (`a directory`, `nothing`).
        found: &'static str,
    },
    /// `sha256:` without 64 hex digits.
    #[error("{input:?}: expected sha256: followed by 64 hex digits")]
    BadDigest {
        /// The input given.
        input: String,
    },
    /// Both default bundle names exist.
    #[error("Conflicting inputs: {json} and {legacy}")]
    ConflictingBundles {
        /// `FILE.sigstore.json`.
        json: String,
        /// `FILE.sigstore`.
        legacy: String,
    },
    /// An input's bundle is missing.
    #[error("Missing verification materials for {input}: {bundle}")]
    MissingBundle {
        /// The input.
        input: String,
        /// The bundle expected.
        bundle: String,
    },
    /// `--bundle` named for several inputs.
    #[error("--bundle can only be used with a single input file or digest")]
    OneBundleManyVerifyInputs,
    /// A digest input without a bundle named.
    #[error("verifying a digest input (sha256:*) needs --bundle")]
    DigestNeedsBundle,
    /// `--attestation` names attestations for several distributions.
    #[error("--attestation can only be used with a single DIST")]
    OneAttestationManyDists,
    /// A distribution without an attestation beside it.
    #[error("no attestation for {dist}: expected {dist}.publish.attestation or {dist}.slsa.attestation (or pass --attestation)")]
    NoAttestation {
        /// The distribution.
        dist: String,
    },
    /// `--bundle` names one bundle for several inputs.
    #[error("--bundle can only be used with a single input file")]
    OneBundleManyInputs,
    /// An output's directory does not exist.
    #[error("cannot write {bundle}: expected a directory {dir}, found {found}")]
    NoDirectory {
        /// The bundle path.
        bundle: String,
        /// Its directory.
        dir: String,
        /// What is there.
        found: &'static str,
    },
    /// An output path is a directory.
    #[error("cannot write {bundle}: it is a directory")]
    BundleIsDirectory {
        /// The bundle path.
        bundle: String,
    },
    /// An output exists and may not be overwritten.
    #[error("refusing to overwrite {bundle} (use --overwrite)")]
    WouldOverwrite {
        /// The bundle path.
        bundle: String,
    },
}

fn what_is(p: &Path) -> &'static str {
    if p.is_dir() {
        "a directory"
    } else if p.exists() {
        "a file"
    } else {
        "nothing"
    }
}

/// `p` is a file, else [`FileError::NotAFile`] saying what is there.
fn must_be_file(p: &Path) -> Result<(), FileError> {
    match p.is_file() {
        true => Ok(()),
        false => Err(FileError::NotAFile {
            path: p.display().to_string(),
            found: what_is(p),
        }),
    }
}

/// What is verified: a file's bytes, or an artifact by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file.
    File(PathBuf),
    /// `sha256:HEX`.
    Digest([u8; 32]),
}

impl Input {
    /// A path, or `sha256:HEX` (a file whose name starts with `sha256:` is a file).
    pub fn parse(s: &str) -> Result<Self, FileError> {
        if let Some(hex_digest) = s
            .strip_prefix("sha256:")
            .filter(|_| !Path::new(s).is_file())
        {
            let b = hex::decode(hex_digest)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| FileError::BadDigest { input: s.into() })?;
            return Ok(Input::Digest(b));
        }
        let p = PathBuf::from(s);
        must_be_file(&p)?;
        Ok(Input::File(p))
    }
}

impl Input {
    /// The bytes to verify: a file's contents (read now), none for a digest.
    pub fn read(&self) -> std::io::Result<Option<Vec<u8>>> {
        match self {
            Input::File(p) => std::fs::read(p).map(Some),
            Input::Digest(_) => Ok(None),
        }
    }

    /// The artifact to verify, over the bytes [`Input::read`] returned.
    pub fn artifact<'a>(&self, data: &'a Option<Vec<u8>>) -> signet_verify::Artifact<'a> {
        match (self, data) {
            (Input::Digest(d), _) => signet_verify::Artifact::Sha256(*d),
            (Input::File(_), d) => signet_verify::Artifact::Bytes(d.as_deref().unwrap_or_default()),
        }
    }
}

/// The bundle of `file` when none is named: `FILE.sigstore.json`, else the legacy
/// `FILE.sigstore` when only it exists; both existing is an error.
pub fn default_bundle(file: &Path) -> Result<PathBuf, FileError> {
    let json = PathBuf::from(format!("{}.sigstore.json", file.display()));
    let legacy = PathBuf::from(format!("{}.sigstore", file.display()));
    match (json.is_file(), legacy.is_file()) {
        (true, true) => Err(FileError::ConflictingBundles {
            json: json.display().to_string(),
            legacy: legacy.display().to_string(),
        }),
        (false, true) => Ok(legacy),
        _ => Ok(json),
    }
}

/// What `verify` verifies: each input (a file or `sha256:HEX`, as written) with its bundle
/// (`bundle`, only for one input; else the default one beside it), which must exist.
pub fn verify_jobs(
    inputs: &[String],
    bundle: Option<&Path>,
) -> Result<Vec<(String, Input, PathBuf)>, FileError> {
    if bundle.is_some() && inputs.len() > 1 {
        return Err(FileError::OneBundleManyVerifyInputs);
    }
    let named: Vec<PathBuf> = bundle.map(Path::to_path_buf).into_iter().collect();
    let mut out = vec![];
    for f in inputs {
        let input = Input::parse(f)?;
        // Never empty: the one named, or the default one.
        let b = bundles_for(&input, &named)?.remove(0);
        if !b.is_file() {
            return Err(FileError::MissingBundle {
                input: f.clone(),
                bundle: b.display().to_string(),
            });
        }
        out.push((f.clone(), input, b));
    }
    Ok(out)
}

/// The bundles to verify `input` with: those named, else its default bundle (a digest needs
/// one named).
pub fn bundles_for(input: &Input, named: &[PathBuf]) -> Result<Vec<PathBuf>, FileError> {
    match (named.is_empty(), input) {
        (false, _) => Ok(named.to_vec()),
        (true, Input::File(p)) => Ok(vec![default_bundle(p)?]),
        (true, Input::Digest(_)) => Err(FileError::DigestNeedsBundle),
    }
}

/// The PEP 740 attestations to verify each of `dists` with: those named (one distribution
/// only), else `DIST.publish.attestation` and `DIST.slsa.attestation`, those that exist. Pairs
/// of (distribution, attestation).
pub fn attestations_for(
    dists: &[PathBuf],
    named: &[PathBuf],
) -> Result<Vec<(PathBuf, PathBuf)>, FileError> {
    if !named.is_empty() && dists.len() > 1 {
        return Err(FileError::OneAttestationManyDists);
    }
    let mut out = vec![];
    for d in dists {
        must_be_file(d)?;
        let found: Vec<PathBuf> = if named.is_empty() {
            ["publish", "slsa"]
                .iter()
                .map(|k| PathBuf::from(format!("{}.{k}.attestation", d.display())))
                .filter(|p| p.is_file())
                .collect()
        } else {
            named.to_vec()
        };
        if found.is_empty() {
            return Err(FileError::NoAttestation {
                dist: d.display().to_string(),
            });
        }
        out.extend(found.into_iter().map(|a| (d.clone(), a)));
    }
    Ok(out)
}

/// `out` can be written before anything is signed for it: its directory exists, it is not a
/// directory, and (without `overwrite`) it does not exist yet.
pub fn writable_output(out: &Path, overwrite: bool) -> Result<(), FileError> {
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let shown = out.display().to_string();
    if !dir.is_dir() {
        return Err(FileError::NoDirectory {
            bundle: shown,
            dir: dir.display().to_string(),
            found: what_is(dir),
        });
    }
    if out.is_dir() {
        return Err(FileError::BundleIsDirectory { bundle: shown });
    }
    if out.exists() && !overwrite {
        return Err(FileError::WouldOverwrite { bundle: shown });
    }
    Ok(())
}

/// The attestations `pypi sign` will write, `DIST.publish.attestation` for each of `dists`,
/// checked before anything is signed (each DIST a file; none overwritten without `overwrite`).
pub fn attestation_outputs(
    dists: &[PathBuf],
    overwrite: bool,
) -> Result<Vec<(PathBuf, PathBuf)>, FileError> {
    let mut out = vec![];
    for d in dists {
        must_be_file(d)?;
        let a = PathBuf::from(format!("{}.publish.attestation", d.display()));
        writable_output(&a, overwrite)?;
        out.push((d.clone(), a));
    }
    Ok(out)
}

/// The bundles signing `files` will write (`bundle`, or `FILE.sigstore.json` each), checked
/// before anything is signed: every input is a file, every bundle's directory exists, and no
/// bundle is a directory or (without `overwrite`) exists already.
pub fn bundle_outputs(
    files: &[PathBuf],
    bundle: Option<&Path>,
    overwrite: bool,
) -> Result<Vec<PathBuf>, FileError> {
    if bundle.is_some() && files.len() > 1 {
        return Err(FileError::OneBundleManyInputs);
    }
    let mut out = vec![];
    for f in files {
        must_be_file(f)?;
        let b = bundle
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(format!("{}.sigstore.json", f.display())));
        writable_output(&b, overwrite)?;
        out.push(b);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_checked_before_signing() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.txt");
        std::fs::write(&f, "x").unwrap();
        let files = [f.clone()];
        assert_eq!(
            bundle_outputs(&files, None, false).unwrap(),
            [d.path().join("a.txt.sigstore.json")]
        );
        let missing = d.path().join("no/b.json");
        assert!(matches!(
            bundle_outputs(&files, Some(&missing), false),
            Err(FileError::NoDirectory {
                found: "nothing",
                ..
            })
        ));
        assert!(matches!(
            bundle_outputs(&files, Some(d.path()), false),
            Err(FileError::BundleIsDirectory { .. })
        ));
        std::fs::write(d.path().join("a.txt.sigstore.json"), "{}").unwrap();
        assert!(matches!(
            bundle_outputs(&files, None, false),
            Err(FileError::WouldOverwrite { .. })
        ));
        assert!(bundle_outputs(&files, None, true).is_ok());
        assert_eq!(
            bundle_outputs(&[f.clone(), f], Some(&missing), true),
            Err(FileError::OneBundleManyInputs)
        );
        assert!(matches!(
            bundle_outputs(&[d.path().to_path_buf()], None, false),
            Err(FileError::NotAFile {
                found: "a directory",
                ..
            })
        ));
    }

    #[test]
    fn inputs_and_default_bundles() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.txt");
        std::fs::write(&f, "x").unwrap();
        assert_eq!(
            Input::parse(f.to_str().unwrap()),
            Ok(Input::File(f.clone()))
        );
        let hex64 = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(Input::parse(&hex64), Ok(Input::Digest([0xab; 32])));
        assert!(matches!(
            Input::parse("sha256:zz"),
            Err(FileError::BadDigest { .. })
        ));
        assert_eq!(
            default_bundle(&f).unwrap(),
            d.path().join("a.txt.sigstore.json")
        );
        std::fs::write(d.path().join("a.txt.sigstore"), "{}").unwrap();
        assert_eq!(default_bundle(&f).unwrap(), d.path().join("a.txt.sigstore"));
        std::fs::write(d.path().join("a.txt.sigstore.json"), "{}").unwrap();
        assert!(matches!(
            default_bundle(&f),
            Err(FileError::ConflictingBundles { .. })
        ));
    }
}
