//! `signet rekor`: a Rekor client (as rekor-cli) for Rekor v1 and tile logs, every answer
//! checked against the trusted root by `signet_sign::log_reader`; this module parses the
//! arguments and prints.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use signet_core::encoding::sha256;
use signet_core::trust::TrustedRoot;
use signet_sign::log_reader::{CheckpointState, Consistency, LogReader};

use crate::{trust, Failure, TrustArgs};

/// `signet rekor ...`.
#[derive(Args, Debug)]
pub struct RekorArgs {
    /// The Rekor server (rekor-cli's `--rekor_server` also works). Default: the Rekor v1 log
    /// of the trust material's signing config (`--trust-config`, `--signing-config`,
    /// `--instance`, or the public-good one), else the trusted root's first log.
    #[arg(long, global = true, alias = "rekor_server")]
    pub rekor_url: Option<String>,
    #[command(subcommand)]
    pub cmd: RekorCommand,
}

/// Rekor subcommands.
#[derive(Subcommand, Debug)]
pub enum RekorCommand {
    /// Fetch an entry by log index or UUID and check its SET and inclusion proof.
    Get {
        /// Global log index.
        #[arg(long, conflicts_with = "uuid", required_unless_present = "uuid")]
        log_index: Option<u64>,
        /// Entry UUID (64 hex) or entry ID (80 hex).
        #[arg(long)]
        uuid: Option<String>,
        /// `json` for rekor-cli's JSON form, `default` for text.
        #[arg(long, default_value = "default", value_parser = ["default", "json"])]
        format: String,
    },
    /// Search the index by artifact digest, email or public key; prints entry UUIDs.
    Search {
        /// SHA-256 of an artifact (hex, optionally `sha256:`; rekor-cli's `--sha` also works).
        #[arg(long, visible_alias = "sha")]
        sha256: Option<String>,
        /// An artifact file (hashed locally).
        #[arg(long)]
        artifact: Option<PathBuf>,
        /// Signer email.
        #[arg(long)]
        email: Option<String>,
        /// A PEM public key or certificate file.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
    /// Show the log's signed tree head (verified against the trusted root when it knows the log).
    Loginfo,
    /// Check that a bundle's entries are in the log now (fresh inclusion proof against the
    /// current signed checkpoint).
    Verify {
        /// The bundle.
        #[arg(long)]
        bundle: PathBuf,
    },
    /// Check the log grew append-only since the last checkpoint this command verified (kept in
    /// the state file), or since `--from SIZE --root HEX`.
    Consistency {
        /// Earlier tree size.
        #[arg(long)]
        from: Option<u64>,
        /// Root hash (hex) at that size.
        #[arg(long, requires = "from")]
        root: Option<String>,
        /// Where the last verified checkpoint is kept.
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

fn run_get(
    log: &LogReader,
    root: &TrustedRoot,
    log_index: Option<u64>,
    uuid: Option<String>,
    format: &str,
) -> Result<(), Failure> {
    if log.is_tiles() && log_index.is_none() {
        return Err(Failure::Usage(format!(
            "{} is a tile log: entries are addressed by --log-index, not --uuid {}",
            log.base(),
            uuid.unwrap_or_default()
        )));
    }
    let e = log.entry(root, log_index, uuid.as_deref())?;
    if format == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(&e.rekor_cli_json()).context("JSON")?
        );
    } else {
        println!("{}", e.rekor_cli_text());
        // What signet adds (not in rekor-cli's output) goes to stderr.
        for line in e.certificate_lines() {
            eprintln!("{line}");
        }
    }
    for n in e.notes {
        eprintln!("{n}");
    }
    Ok(())
}

fn run_search(
    log: &LogReader,
    sha: Option<String>,
    artifact: Option<PathBuf>,
    email: Option<String>,
    pk: Option<PathBuf>,
) -> Result<(), Failure> {
    if log.is_tiles() {
        return Err(Failure::Usage(format!(
            "{} is a tile log: it has no search index",
            log.base()
        )));
    }
    let digest = match (sha, artifact) {
        (Some(s), _) => Some(s.trim_start_matches("sha256:").to_lowercase()),
        (None, Some(p)) => Some(hex::encode(sha256(&crate::read_input(&p)?))),
        _ => None,
    };
    let pk = match pk {
        Some(p) => Some(crate::read_input(&p)?),
        None => None,
    };
    if digest.is_none() && email.is_none() && pk.is_none() {
        return Err(Failure::Usage(
            "search needs --sha256, --artifact, --email or --public-key".into(),
        ));
    }
    let list = log.search(digest.as_deref(), email.as_deref(), pk.as_deref())?;
    if list.is_empty() {
        eprintln!("no matching entries");
    }
    for u in list {
        println!("{u}");
    }
    Ok(())
}

/// The earlier checkpoint to check against: `--from/--root`, else the state file.
fn earlier_checkpoint(
    from: Option<u64>,
    root: Option<String>,
    state: &CheckpointState,
) -> Result<Option<(u64, Vec<u8>)>, Failure> {
    match (from, root) {
        (Some(s), Some(r)) => Ok(Some((
            s,
            hex::decode(&r).map_err(|_| Failure::Usage(format!("--root {r:?} is not hex")))?,
        ))),
        (Some(_), None) => Err(Failure::Usage(
            "--from needs --root (the root hash you trust at that size)".into(),
        )),
        _ => Ok(state.load()),
    }
}

fn run_consistency(
    log: &LogReader,
    root: &TrustedRoot,
    from: Option<u64>,
    root_hex: Option<String>,
    state: Option<PathBuf>,
) -> Result<(), Failure> {
    let state = CheckpointState::new(state, log.base());
    let earlier = earlier_checkpoint(from, root_hex, &state)?;
    let (head, outcome) = log.consistency(root, earlier)?;
    match outcome {
        Consistency::First => {
            eprintln!("no earlier checkpoint known; recording size {}", head.size)
        }
        Consistency::Consistent { from, to } => {
            eprintln!("OK: consistent from size {from} to {to}")
        }
        Consistency::Inconsistent(why) => {
            eprintln!("FAIL: {why}");
            return Err(Failure::Verification);
        }
    }
    state
        .save(head.size, &head.root_hash)
        .with_context(|| format!("writing {}", state.path().display()))?;
    Ok(())
}

fn run_verify_bundle(
    log: &LogReader,
    root: &TrustedRoot,
    path: &std::path::Path,
) -> Result<(), Failure> {
    let b = crate::read_bundle(path)?;
    if b.verification_material.tlog_entries.is_empty() {
        return Err(Failure::Usage(format!(
            "{}: the bundle has no transparency log entries",
            path.display()
        )));
    }
    let checked = log.check_bundle_entries(root, &b.verification_material.tlog_entries);
    for (i, c) in checked.into_iter().enumerate() {
        match c {
            (at, Ok(what)) => eprintln!("OK: {} entry #{i} ({at}): {what}", path.display()),
            (at, Err(err)) => {
                eprintln!(
                    "FAIL: {} entry #{i} ({at}): {}",
                    path.display(),
                    crate::error_text(&err)
                );
                return Err(Failure::Verification);
            }
        }
    }
    Ok(())
}

fn run_loginfo(log: &LogReader, root: &TrustedRoot) -> Result<(), Failure> {
    print!("{}", log.tree_head(root)?.loginfo_text(log.is_tiles()));
    Ok(())
}

/// The trusted root, and the Rekor URL: `--rekor-url`, else the signing config's Rekor v1
/// service (the newest API version when it lists no v1), else the trusted root's first log.
fn rekor_and_root(t: &TrustArgs, given: Option<&str>) -> Result<(TrustedRoot, String), Failure> {
    let trust_only = t.trusted_root.is_some() && t.signing_config.is_none();
    if trust_only || given.is_some() {
        let (root, _) = trust::trusted_root(t)?;
        let url = match given {
            Some(u) => u.to_string(),
            None => root
                .tlogs
                .first()
                .map(|l| l.base_url.clone())
                .ok_or_else(|| {
                    Failure::Usage(
                        "the trusted root lists no transparency log; give --rekor-url".into(),
                    )
                })?,
        };
        return Ok((root, url));
    }
    let cfg = trust::trust_config(t)?;
    let url = cfg.rekor_url().ok_or_else(|| {
        Failure::Usage("the trust material names no Rekor log; give --rekor-url".into())
    })?;
    Ok((cfg.trusted_root, url))
}

/// Entry point for `signet rekor`.
pub fn run(t: &TrustArgs, a: RekorArgs) -> Result<(), Failure> {
    if t.offline {
        return Err(Failure::Usage(
            "`signet rekor` talks to a Rekor server; it cannot run with --offline".into(),
        ));
    }
    let (root, url) = rekor_and_root(t, a.rekor_url.as_deref())?;
    let log = LogReader::connect(&url, signet_http::Http::new().context("HTTP client")?);
    match a.cmd {
        RekorCommand::Get {
            log_index,
            uuid,
            format,
        } => run_get(&log, &root, log_index, uuid, &format),
        RekorCommand::Search {
            sha256,
            artifact,
            email,
            public_key,
        } => run_search(&log, sha256, artifact, email, public_key),
        RekorCommand::Loginfo => run_loginfo(&log, &root),
        RekorCommand::Verify { bundle } => run_verify_bundle(&log, &root, &bundle),
        RekorCommand::Consistency {
            from,
            root: r,
            state,
        } => run_consistency(&log, &root, from, r, state),
    }
}
