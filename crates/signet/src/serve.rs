//! `signet serve`: the private instance, and `signet serve token` to mint development tokens.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use signet_cli::Failure;

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
    /// Run the development OIDC issuer (`/oidc`): it signs a token for any email typed into
    /// its sign-in page, so anyone who can reach that page gets a certificate for any identity.
    /// For tests and local trials only; its pages answer loopback clients only.
    #[arg(long)]
    pub dev_issuer: bool,
    /// Let the development issuer's sign-in pages answer clients on other hosts too.
    #[arg(long, requires = "dev_issuer")]
    pub dev_issuer_allow_remote: bool,
    /// Serve HTTPS (HTTP/2 and HTTP/1.1) with this PEM certificate chain, leaf first; the
    /// instance URL then uses https.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Bring your own CA (first start): the issuing CA's certificate chain, PEM, issuing CA
    /// first and the organisation's root last (as Fulcio's fileca).
    #[arg(long, value_name = "FILE", requires = "ca_key")]
    pub ca_chain: Option<PathBuf>,
    /// The brought issuing CA's private key (PEM, P-256 or P-384).
    #[arg(long, value_name = "FILE", requires = "ca_chain")]
    pub ca_key: Option<PathBuf>,
    /// Keys in a PKCS#11 token (created by `signet keys init --pkcs11-module ...`).
    #[command(flatten)]
    pub pkcs11: crate::keys::Pkcs11Args,
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
    let mut cfg =
        signet_server::ServeConfig::new(a.data_dir.clone(), a.listen, a.config.as_deref())
            .map_err(|e| Failure::Other(e.into()))?;
    cfg.tls = a.tls_cert.clone().zip(a.tls_key.clone());
    if let (Some(c), Some(k)) = (&a.ca_chain, &a.ca_key) {
        let read = |p: &PathBuf| {
            std::fs::read_to_string(p)
                .map_err(|e| Failure::Usage(format!("reading {}: {e}", p.display())))
        };
        cfg.brought_ca = Some(signet_server::keys::BroughtCa {
            chain_pem: read(c)?,
            key_pem: read(k)?,
        });
    }
    if a.pkcs11.pkcs11_module.is_some() && a.ca_chain.is_some() {
        return Err(Failure::Usage(
            "--ca-chain/--ca-key and --pkcs11-module: an instance whose keys are in a token has the token's CA (signet keys init)".into(),
        ));
    }
    cfg.key_provider = a.pkcs11.open()?;
    cfg.dev_issuer = match (a.dev_issuer, a.dev_issuer_allow_remote) {
        (false, _) => signet_server::DevIssuerMode::Off,
        (true, false) => signet_server::DevIssuerMode::Loopback,
        (true, true) => signet_server::DevIssuerMode::AllowRemote,
    };
    let rt = crate::runtime()?;
    rt.block_on(signet_server::serve(cfg))
        .map_err(|e| Failure::Other(e.into()))
}

/// `signet tuf ...`.
#[derive(Subcommand, Debug)]
pub enum TufCommand {
    /// Rotate the root key: publish root version N+1 listing a new root key, signed by the old
    /// and the new key (see docs/key-ceremony.md). Safe while `signet serve` runs.
    RotateRoot {
        /// The instance's data directory.
        #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
        data_dir: PathBuf,
        /// The token of an instance whose keys are in one (the new root key is made there).
        #[command(flatten)]
        pkcs11: crate::keys::Pkcs11Args,
    },
    /// Re-sign whatever metadata is due now (the server does this by itself).
    Refresh {
        /// The instance's data directory.
        #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
        data_dir: PathBuf,
        /// The token of an instance whose keys are in one.
        #[command(flatten)]
        pkcs11: crate::keys::Pkcs11Args,
    },
}

use signet_core::time::unix_now as now;

/// Entry point of `signet tuf`.
pub fn run_tuf(c: TufCommand) -> Result<(), Failure> {
    let check = |d: &std::path::Path| {
        if !d.join("tuf/1.root.json").exists() {
            return Err(Failure::Usage(format!(
                "{} holds no TUF repository (expected tuf/1.root.json; has `signet serve` run there?)",
                d.display()
            )));
        }
        Ok(())
    };
    match c {
        TufCommand::RotateRoot { data_dir, pkcs11 } => {
            check(&data_dir)?;
            let token = pkcs11.open()?;
            let v = signet_server::keys::rotate_tuf_root(&data_dir, now(), token.as_deref())
                .map_err(|e| Failure::Other(e.into()))?;
            println!(
                "published {}; clients follow the chain from their trusted root",
                data_dir.join(format!("tuf/{v}.root.json")).display()
            );
        }
        TufCommand::Refresh { data_dir, pkcs11 } => {
            check(&data_dir)?;
            let token = pkcs11.open()?;
            let repo = signet_server::keys::open_tuf(&data_dir, now(), token.as_deref())
                .map_err(|e| Failure::Other(e.into()))?;
            let done = repo.refresh(now()).map_err(|e| Failure::Other(e.into()))?;
            println!(
                "re-signed: {}",
                if done.is_empty() {
                    "nothing due".to_string()
                } else {
                    done.join(", ")
                }
            );
        }
    }
    Ok(())
}
