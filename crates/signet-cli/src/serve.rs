//! `signet serve`: the private instance, and `signet serve token` to mint development tokens.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::Failure;

/// `signet serve`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeArgs {
    /// State directory (keys, logs, trust material).
    #[arg(
        long,
        env = "SIGNET_DATA_DIR",
        default_value = "signet-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// JSON config: Fulcio-style `OIDCIssuers`/`MetaIssuers`, `publicUrl`, `checkpointIntervalMs`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log as JSON lines.
    #[arg(long)]
    pub log_json: bool,
    #[command(subcommand)]
    pub cmd: Option<ServeCommand>,
}

/// `signet serve ...` helpers.
#[derive(Subcommand, Debug)]
pub enum ServeCommand {
    /// Mint an identity token from the instance's development OIDC issuer (for automation).
    Token {
        /// The email identity to put in the token.
        #[arg(long, required = true)]
        email: String,
    },
}

/// Entry point.
pub fn run(a: ServeArgs) -> Result<(), Failure> {
    if let Some(ServeCommand::Token { email }) = &a.cmd {
        let t = signet_server::oidc::mint_offline(&a.data_dir, email).with_context(|| {
            format!(
                "minting a token from the instance in {} (has `signet serve` run there?)",
                a.data_dir.display()
            )
        })?;
        println!("{t}");
        return Ok(());
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if a.log_json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let cfg = signet_server::ServeConfig::new(a.data_dir.clone(), a.listen, a.config.as_deref())
        .map_err(|e| Failure::Other(e.into()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(signet_server::serve(cfg))
        .map_err(|e| Failure::Other(e.into()))
}
