//! `signet keys init`: create a private instance's keys before its first start, in files or in
//! a PKCS#11 token; `signet keys rotate`: rotate one of them; and the `--pkcs11-*` options
//! `signet serve` shares.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};

use signet_cli::Failure;

/// The environment variable holding the token's user PIN (unless `--pkcs11-pin-file`).
pub const PIN_ENV: &str = "SIGNET_PKCS11_PIN";

/// Where the instance's private keys are: a PKCS#11 token, or (without these) files.
#[derive(Args, Debug, Clone, Default)]
pub struct Pkcs11Args {
    /// PKCS#11 module (shared library) of the token holding the instance's keys, e.g.
    /// /usr/lib/softhsm/libsofthsm2.so. The user PIN comes from SIGNET_PKCS11_PIN or
    /// --pkcs11-pin-file.
    #[arg(long, value_name = "LIB", requires = "pkcs11_token")]
    pub pkcs11_module: Option<PathBuf>,
    /// Label of the token (in the module) that holds the keys.
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module")]
    pub pkcs11_token: Option<String>,
    /// File whose first line is the token's user PIN (instead of SIGNET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", requires = "pkcs11_module")]
    pub pkcs11_pin_file: Option<PathBuf>,
}

impl Pkcs11Args {
    /// Log in to the token, if one is named. The PIN is read here and handed to the module;
    /// it is never printed or logged.
    pub fn open(&self) -> Result<Option<Arc<dyn signet_core::signer::KeyProvider>>, Failure> {
        let (Some(module), Some(label)) = (&self.pkcs11_module, &self.pkcs11_token) else {
            return Ok(None);
        };
        let pin = match &self.pkcs11_pin_file {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    Failure::Usage(format!("reading the PIN file {}: {e}", p.display()))
                })?;
                text.lines().next().unwrap_or_default().to_string()
            }
            None => std::env::var(PIN_ENV).map_err(|_| {
                Failure::Usage(format!(
                    "--pkcs11-module: expected the token's user PIN in {PIN_ENV} or --pkcs11-pin-file, found neither"
                ))
            })?,
        };
        let token = signet_pkcs11::Token::open(module, label, &pin)
            .with_context(|| format!("opening PKCS#11 token {label:?}"))?;
        Ok(Some(Arc::new(token)))
    }
}

/// `signet keys ...`.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a new instance's keys and certificates: in a PKCS#11 token with
    /// --pkcs11-module/--pkcs11-token (only certificates and the key labels are written to the
    /// data dir), else as files (what `signet serve` does on its first start).
    Init {
        /// The instance's data directory (its `keys/` must not exist yet or be empty of keys).
        #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
        data_dir: PathBuf,
        #[command(flatten)]
        pkcs11: Pkcs11Args,
    },
    /// Rotate one of a stopped instance's keys: start a new key, close the old key's validFor
    /// in the trusted root (old bundles keep verifying), and let the next `signet serve`
    /// publish the new trusted root over the instance's TUF repository. A rotated Rekor key
    /// starts a new log shard (Rekor v2: at BASE/rekor2-g<N>); a rotated CT key a new CT log.
    Rotate {
        /// Which key: ca (the issuing CA), ctlog, rekor-v1, rekor-v2 or tsa.
        #[arg(value_parser = ["ca", "ctlog", "rekor-v1", "rekor-v2", "tsa"])]
        role: String,
        /// The instance's data directory (the instance must be stopped).
        #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
        data_dir: PathBuf,
        /// For `rotate ca` of a brought CA (or to bring one now): the new issuing CA's
        /// certificate chain, PEM, issuing CA first and the organisation's root last.
        #[arg(long, value_name = "FILE", requires = "ca_key")]
        ca_chain: Option<PathBuf>,
        /// The new issuing CA's private key (PEM, P-256 or P-384).
        #[arg(long, value_name = "FILE", requires = "ca_chain")]
        ca_key: Option<PathBuf>,
        #[command(flatten)]
        pkcs11: Pkcs11Args,
    },
}

/// Entry point of `signet keys`.
pub fn run(c: KeysCommand) -> Result<(), Failure> {
    match c {
        KeysCommand::Init { data_dir, pkcs11 } => init(&data_dir, &pkcs11),
        KeysCommand::Rotate {
            role,
            data_dir,
            ca_chain,
            ca_key,
            pkcs11,
        } => rotate(&role, &data_dir, ca_chain.zip(ca_key), &pkcs11),
    }
}

fn rotate(
    role: &str,
    data_dir: &Path,
    brought: Option<(PathBuf, PathBuf)>,
    pkcs11: &Pkcs11Args,
) -> Result<(), Failure> {
    let role: signet_server::rotation::Role = role
        .parse()
        .map_err(|e: signet_server::Error| Failure::Usage(e.to_string()))?;
    let brought = match brought {
        Some((c, k)) => {
            let read = |p: &PathBuf| {
                std::fs::read_to_string(p)
                    .map_err(|e| Failure::Usage(format!("reading {}: {e}", p.display())))
            };
            Some(signet_server::keys::BroughtCa {
                chain_pem: read(&c)?,
                key_pem: read(&k)?,
            })
        }
        None => None,
    };
    let token = pkcs11.open()?;
    let r = signet_server::rotation::rotate(
        data_dir,
        role,
        signet_server::now_secs(),
        token.as_deref(),
        brought.as_ref(),
    )
    .with_context(|| format!("rotating the {role} key in {}", data_dir.display()))?;
    let t = signet_core::time::format_rfc3339;
    println!(
        "{role}: generation {} retired (valid {} to {}); generation {} starts {} (public key sha256 {})",
        r.retired.generation,
        t(r.retired.start),
        t(r.retired.end),
        r.current.generation,
        t(r.current.start),
        r.new_key_sha256
    );
    println!(
        "restart the instance (`signet serve --data-dir {}`): it serves the new key and publishes the new trusted root over its TUF repository",
        data_dir.display()
    );
    Ok(())
}

fn init(data_dir: &Path, pkcs11: &Pkcs11Args) -> Result<(), Failure> {
    let dir = data_dir.join("keys");
    let now = signet_server::now_secs();
    let keys = match pkcs11.open()? {
        Some(token) => {
            let keys = signet_server::keys::InstanceKeys::init_in_token(&dir, now, token.as_ref())
                .with_context(|| format!("creating the keys in {}", token.describe()))?;
            for (role, label, alg) in signet_server::keys::TOKEN_KEYS {
                println!("{role}: {alg} key {label:?} in {}", token.describe());
            }
            keys
        }
        None => {
            if dir.join("created").exists() {
                return Err(Failure::Usage(format!(
                    "{} already holds an instance's keys; expected an empty data dir",
                    dir.display()
                )));
            }
            signet_server::keys::InstanceKeys::load_or_create(&dir, now, None, None)
                .with_context(|| format!("creating the keys in {}", dir.display()))?
        }
    };
    println!(
        "created the instance's keys in {} (CA {} bytes of certificate); start it with `signet serve --data-dir {}`{}",
        dir.display(),
        keys.ca_intermediate.cert_der.len(),
        data_dir.display(),
        if pkcs11.pkcs11_module.is_some() {
            " and the same --pkcs11-* options"
        } else {
            ""
        }
    );
    Ok(())
}
