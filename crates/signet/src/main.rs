//! `signet`: one binary for Sigstore signing, verification and a private instance.
//!
//! This crate only parses arguments and dispatches: the client commands come from
//! `signet-cli` (which does no storage); the instance's commands (`serve`, `keys`, `tuf`, `log`),
//! thin over `signet-server`, and the benchmarks (`bench verify|pypi|instance|log`) over the
//! libraries' measuring code are here. Exit codes: 0 ok, 1 failed verification, 2 usage.
#![forbid(unsafe_code)]

mod bench;
mod bench_instance;
mod bench_log;
mod keys;
mod log;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use signet_cli::{inspect, pypi, rekor, sign, slsa, trust, verify, Failure, TrustArgs};

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
    Log(log::LogCommand),
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
    Bench(BenchCommand),
    /// SLSA provenance verification (slsa-verifier semantics).
    #[command(subcommand)]
    Slsa(slsa::SlsaCommand),
    /// PyPI PEP 740 attestations: verify, inspect, convert, sign.
    #[command(subcommand)]
    Pypi(pypi::PypiCommand),
}

/// `signet bench ...`
#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Benchmark bundle verification.
    Verify(bench::BenchVerifyArgs),
    /// Benchmark a private instance: sign latency, CA certificates/s, Rekor v1/v2 creates.
    Instance(bench_instance::BenchInstanceArgs),
    /// Benchmark the log: durable appends/s with signature checks, no HTTP.
    Log(bench_log::BenchLogArgs),
    /// Verify every PEP 740 attestation in a directory on all cores (per-file times).
    Pypi(bench::BenchPypiArgs),
}

/// The async runtime the instance's commands run on.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let t = &cli.trust;
    Failure::report(match cli.command {
        Command::Verify(v) => verify::run(t, v),
        Command::Inspect(a) => inspect::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Rekor(a) => rekor::run(t, a),
        Command::Log(c) => log::run(c),
        Command::Sign(a) => sign::run_sign(t, a),
        Command::Attest(a) => sign::run_attest(t, a),
        Command::GetIdentityToken(a) => sign::run_token(t, a),
        Command::Conformance(c) => verify::run_conformance(t, c),
        Command::Bench(BenchCommand::Verify(a)) => bench::run_verify(a, t),
        Command::Bench(BenchCommand::Instance(a)) => bench_instance::run(a),
        Command::Bench(BenchCommand::Log(a)) => bench_log::run(a),
        Command::Bench(BenchCommand::Pypi(a)) => bench::run_pypi(t, a),
        Command::Slsa(c) => slsa::run(t, c),
        Command::TrustInstance(a) => trust::run_trust_instance(t, a),
        Command::Tuf(c) => serve::run_tuf(c),
        Command::Keys(c) => keys::run(c),
        Command::Pypi(c) => pypi::run(t, c),
    })
}
