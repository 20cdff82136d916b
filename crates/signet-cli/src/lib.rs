//! The `signet` client commands: sign, attest, verify, inspect, rekor, pypi, slsa and
//! trust-instance, as clap argument types and `run` functions that parse, call
//! the library crates (signet-sign, signet-verify, signet-tuf) and print.
//!
//! The binary (crate `signet`) puts these beside the instance's commands (`serve`, `keys`,
//! `tuf`, `log`) and the benchmarks, which live there because they need signet-server; this crate does no storage
//! and no serving. Errors map to exit codes through [`Failure`] (0 ok, 1 failed verification,
//! 2 usage).
#![forbid(unsafe_code)]

pub mod inspect;
pub mod pypi;
pub mod rekor;
pub mod sign;
pub mod slsa;
pub mod trust;
pub mod verify;

use std::path::PathBuf;

use clap::Args;

/// Trust material selection, accepted before or after the subcommand.
#[derive(Args, Debug, Clone, Default)]
pub struct TrustArgs {
    /// Use Sigstore's staging instance instead of the public-good production instance.
    /// With --trusted-root/--signing-config, the files given win.
    #[arg(long, global = true, conflicts_with = "trust_config")]
    pub staging: bool,
    /// A ClientTrustConfig JSON (trusted root + signing config), e.g. from `signet serve`.
    #[arg(long, global = true, value_name = "FILE", conflicts_with_all = ["trusted_root", "signing_config"])]
    pub trust_config: Option<PathBuf>,
    /// A trusted_root.json to verify against.
    #[arg(long, global = true, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// A signing_config.json naming the services to sign with (with --trusted-root, or with
    /// the TUF-distributed trusted root).
    #[arg(long, global = true, value_name = "FILE")]
    pub signing_config: Option<PathBuf>,
    /// A Sigstore instance's TUF repository URL (for `signet serve`: `URL/tuf`), trusted
    /// beforehand with `signet trust-instance ROOT.json --instance URL`.
    #[arg(long, global = true, value_name = "URL", conflicts_with_all = ["staging", "trust_config", "trusted_root"])]
    pub instance: Option<String>,
    /// Never touch the network: use the given, cached or embedded trust material only.
    #[arg(long, global = true)]
    pub offline: bool,
}

/// Outcome classes, mapped to exit codes.
#[derive(Debug)]
pub enum Failure {
    /// Verification failed (exit 1); details already printed.
    Verification,
    /// Usage error (exit 2).
    Usage(String),
    /// Anything else (exit 1).
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<signet_sign::files::FileError> for Failure {
    fn from(e: signet_sign::files::FileError) -> Self {
        Failure::Usage(e.to_string())
    }
}

impl From<signet_sign::Error> for Failure {
    fn from(e: signet_sign::Error) -> Self {
        Failure::Other(e.into())
    }
}

/// An error and its causes on one line, `a: b: c`; a cause whose text its parent already
/// quotes is said once, not twice.
pub fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    for cause in std::iter::successors(Some(e), |e| e.source()) {
        let c = cause.to_string();
        if out.contains(&c) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&c);
    }
    out
}

/// Read an input file the user named; a missing, unreadable or directory path is a usage
/// error (exit 2) naming it.
pub fn read_input(p: &std::path::Path) -> Result<Vec<u8>, Failure> {
    if p.is_dir() {
        return Err(Failure::Usage(format!(
            "{}: expected a file, found a directory",
            p.display()
        )));
    }
    std::fs::read(p).map_err(|e| Failure::Usage(format!("reading {}: {e}", p.display())))
}

/// Read and parse a bundle the user named (unreadable: a usage error; malformed: a failure).
pub fn read_bundle(p: &std::path::Path) -> Result<signet_core::bundle::Bundle, Failure> {
    use anyhow::Context;
    let bytes = read_input(p)?;
    Ok(signet_core::bundle::Bundle::from_json(&bytes)
        .with_context(|| format!("bundle {}", p.display()))?)
}

impl Failure {
    /// Print the error (a failed verification has printed its details already) and return
    /// the exit code: 0 ok, 1 failed verification or other failure, 2 usage.
    pub fn report(r: Result<(), Failure>) -> std::process::ExitCode {
        match r {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(Failure::Verification) => std::process::ExitCode::from(1),
            Err(Failure::Usage(m)) => {
                eprintln!("error: {m}");
                std::process::ExitCode::from(2)
            }
            Err(Failure::Other(e)) => {
                eprintln!("error: {}", error_text(e.as_ref()));
                std::process::ExitCode::from(1)
            }
        }
    }
}
