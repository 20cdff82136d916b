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

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use signet_cli::{inspect, pypi, rekor, sign, slsa, trust, verify, Failure, TrustArgs};

/// The exit codes, said in every command's help.
const EXIT_CODES: &str = "Exit status: 0 success (verified, signed), 1 verification failed or a \
service failed, 2 usage error or unreadable input (a missing, unreadable or directory file, a \
missing --trust-config).";

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
    /// Print a shell completion script (e.g. `signet completions bash > /etc/bash_completion.d/signet`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (`signet man | man -l -`), or write one per command to --out-dir.
    Man {
        /// Write signet.1 and a page per subcommand (signet-verify.1, ...) here.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<std::path::PathBuf>,
    },
}

/// Commands that take no trust material: the global trust flags are accepted (they are
/// global) but not shown in their help.
const NO_TRUST_MATERIAL: &[&str] = &[
    "serve",
    "keys",
    "tuf",
    "log",
    "inspect",
    "completions",
    "man",
];

/// The command line: the derived parser, with the global trust flags hidden where they do not
/// apply and the exit codes in every help page.
fn command() -> clap::Command {
    let hidden: Vec<clap::Arg> = TrustArgs::augment_args(clap::Command::new("trust"))
        .get_arguments()
        .map(|a| a.clone().hide(true))
        .collect();
    let hide = |mut c: clap::Command| {
        // A subcommand that has an argument of a global's id keeps its own (clap does not
        // propagate over it); these copies are hidden and still global for nested commands.
        for a in &hidden {
            c = c.arg(a.clone());
        }
        c
    };
    let mut cmd = Cli::command();
    for name in NO_TRUST_MATERIAL {
        cmd = cmd.mut_subcommand(name, hide);
    }
    cmd = cmd.mut_subcommand("bench", |b| {
        b.mut_subcommand("instance", hide)
            .mut_subcommand("log", hide)
    });
    with_exit_codes(cmd)
}

fn with_exit_codes(c: clap::Command) -> clap::Command {
    let names: Vec<String> = c
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let mut c = c.after_help(EXIT_CODES);
    for n in names {
        c = c.mut_subcommand(n, with_exit_codes);
    }
    c
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
    let cli = match Cli::from_arg_matches(&command().get_matches()) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
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
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut command(), "signet", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { out_dir } => man(out_dir),
    })
}

/// `signet man`: the top-level page on stdout, or every page into a directory.
fn man(out_dir: Option<std::path::PathBuf>) -> Result<(), Failure> {
    use anyhow::Context;
    let cmd = command();
    match out_dir {
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .context("rendering the man page")?;
            use std::io::Write;
            std::io::stdout()
                .write_all(&out)
                .context("writing the man page")?;
        }
        Some(dir) => {
            if !dir.is_dir() {
                return Err(Failure::Usage(format!(
                    "--out-dir {}: expected a directory, found {}",
                    dir.display(),
                    if dir.exists() { "a file" } else { "nothing" }
                )));
            }
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("writing man pages to {}", dir.display()))?;
            eprintln!("man pages written to {}", dir.display());
        }
    }
    Ok(())
}
