//! `signet`: one binary for Sigstore signing, verification and a private instance.
//!
//! This crate only parses arguments, prints and maps errors to exit codes (0 ok, 1 failed
//! verification, 2 usage); the logic lives in the library crates.
#![forbid(unsafe_code)]

mod bench;
mod bench_instance;
mod bench_log;
mod inspect;
mod keys;
mod pypi;
mod rekor;
mod serve;
mod sign;
mod slsa;
mod trust;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Trust material selection, accepted before or after the subcommand.
#[derive(Args, Debug, Clone, Default)]
pub struct TrustArgs {
    /// Use Sigstore's staging instance instead of the public-good production instance.
    /// With --trusted-root/--signing-config, the files given win.
    #[arg(long, global = true, conflicts_with = "trust_config")]
    pub staging: bool,
    /// A ClientTrustConfig JSON (trusted root + signing config), e.g. from `signet serve`.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        conflicts_with = "trusted_root"
    )]
    pub trust_config: Option<PathBuf>,
    /// A trusted_root.json to verify against.
    #[arg(long, global = true, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// A signing_config.json naming the services to sign with (with --trusted-root, or with
    /// the TUF-distributed trusted root).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        conflicts_with = "trust_config"
    )]
    pub signing_config: Option<PathBuf>,
    /// A Sigstore instance's TUF repository URL (for `signet serve`: `URL/tuf`), trusted
    /// beforehand with `signet trust-instance ROOT.json --instance URL`.
    #[arg(long, global = true, value_name = "URL", conflicts_with_all = ["staging", "trust_config", "trusted_root"])]
    pub instance: Option<String>,
    /// Never touch the network: use the given, cached or embedded trust material only.
    #[arg(long, global = true)]
    pub offline: bool,
}

#[derive(Parser, Debug)]
#[command(
    name = "signet",
    version,
    about = "Sigstore signing, verification and private instances in one binary"
)]
struct Cli {
    #[command(flatten)]
    trust: TrustArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Verify Sigstore bundles.
    #[command(subcommand)]
    Verify(verify::VerifyCommand),
    /// Run a private Sigstore instance: CA, CT log, Rekor v1/v2, TSA, OIDC issuer.
    Serve(serve::ServeArgs),
    /// Sign files keylessly (OIDC identity, short-lived certificate, transparency log).
    Sign(sign::SignArgs),
    /// Sign an in-toto statement about files (DSSE).
    Attest(sign::AttestArgs),
    /// Print an OIDC identity token (from the environment or an interactive sign-in).
    GetIdentityToken(sign::TokenArgs),
    /// A Rekor client (rekor-cli): get, search, loginfo, verify, consistency.
    Rekor(rekor::RekorArgs),
    /// Operate a local transparency log's data directory.
    #[command(subcommand)]
    Log(rekor::LogCommand),
    /// Show what a bundle, certificate or DSSE envelope contains.
    Inspect(inspect::InspectArgs),
    /// The sigstore-conformance CLI protocol (sign-bundle, verify-bundle).
    #[command(subcommand)]
    Conformance(verify::ConformanceCommand),
    /// Trust a Sigstore instance's TUF root (`--instance URL` names its repository).
    TrustInstance(trust::TrustInstanceArgs),
    /// Create a private instance's keys (in a PKCS#11 token with --pkcs11-module).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Operate the TUF repository of a `signet serve` data directory.
    #[command(subcommand)]
    Tuf(serve::TufCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// SLSA provenance verification (slsa-verifier semantics).
    #[command(subcommand)]
    Slsa(slsa::SlsaCommand),
    /// PyPI PEP 740 attestations: verify, inspect, convert, sign.
    #[command(subcommand)]
    Pypi(pypi::PypiCommand),
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

impl From<signet_sign::Error> for Failure {
    fn from(e: signet_sign::Error) -> Self {
        Failure::Other(e.into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Verify(v) => verify::run(&cli.trust, v),
        Command::Inspect(a) => inspect::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Rekor(a) => rekor::run(&cli.trust, a),
        Command::Log(c) => rekor::run_log(c),
        Command::Sign(a) => sign::run_sign(&cli.trust, a),
        Command::Attest(a) => sign::run_attest(&cli.trust, a),
        Command::GetIdentityToken(a) => sign::run_token(&cli.trust, a),
        Command::Conformance(c) => verify::run_conformance(&cli.trust, c),
        Command::Bench(b) => bench::run(&cli.trust, b),
        Command::Slsa(c) => slsa::run(&cli.trust, c),
        Command::TrustInstance(a) => trust::run_trust_instance(&cli.trust, a),
        Command::Tuf(c) => serve::run_tuf(c),
        Command::Keys(c) => keys::run(c),
        Command::Pypi(c) => pypi::run(&cli.trust, c),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Verification) => ExitCode::from(1),
        Err(Failure::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
