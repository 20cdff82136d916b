//! `signet serve` configuration: command-line settings plus an optional JSON file in the shape
//! of Fulcio's config (`OIDCIssuers`, `MetaIssuers`) for real external issuers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::{Error, Result};

/// The JSON config file.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ConfigFile {
    /// Public base URL (default `http://<listen>`).
    #[serde(rename = "publicUrl", default)]
    pub public_url: Option<String>,
    /// Shortest time between two checkpoints of a tile log, in ms (default 100): one is
    /// published as soon as a batch is integrated, rate-limited to this.
    #[serde(rename = "checkpointIntervalMs", default)]
    pub checkpoint_interval_ms: Option<u64>,
    /// Deadline for a connection's request headers, and keep-alive idle time, in ms (10000).
    #[serde(rename = "headerReadTimeoutMs", default)]
    pub header_read_timeout_ms: Option<u64>,
    /// Connections served at once (default: 3/4 of the file-descriptor limit).
    #[serde(rename = "maxConnections", default)]
    pub max_connections: Option<usize>,
}

/// Everything `signet serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// State directory.
    pub data_dir: PathBuf,
    /// Listen address.
    pub listen: SocketAddr,
    /// Advertised base URL.
    pub public_url: Option<String>,
    /// External OIDC issuers, as in Fulcio's config (`OIDCIssuers`, `MetaIssuers`).
    pub issuers: signet_oidc::FulcioConfig,
    /// Checkpoint interval.
    pub checkpoint_interval: Duration,
    /// Request body limit (413 above).
    pub max_body_bytes: usize,
    /// The development OIDC issuer: off unless asked for (`signet serve --dev-issuer`).
    pub dev_issuer: DevIssuerMode,
    /// Connection limits of the HTTP front.
    pub http: crate::http::Limits,
    /// Serve HTTPS with this PEM certificate chain and key (`--tls-cert`, `--tls-key`).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Issue certificates with the operator's CA (`--ca-chain`, `--ca-key`; first start).
    pub brought_ca: Option<crate::keys::BroughtCa>,
    /// Keys in a PKCS#11 token (`--pkcs11-module`, `--pkcs11-token`) instead of files.
    pub key_provider: Option<std::sync::Arc<dyn signet_core::signer::KeyProvider>>,
}

/// Whether the development OIDC issuer runs, and for whom.
///
/// The development issuer signs an identity token for any email typed into its login page, so
/// an instance that runs it gives a signing certificate for any identity to anyone who can
/// reach that page. It is for tests and local trials only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevIssuerMode {
    /// Not served; the CA refuses its tokens.
    #[default]
    Off,
    /// Served; its login and device pages answer loopback clients only.
    Loopback,
    /// Served, and its login and device pages answer any client (`--dev-issuer-allow-remote`).
    AllowRemote,
}

impl ServeConfig {
    /// Defaults for `data_dir` and `listen`, merged with an optional config file.
    pub fn new(data_dir: PathBuf, listen: SocketAddr, file: Option<&Path>) -> Result<Self> {
        let (f, issuers): (ConfigFile, signet_oidc::FulcioConfig) = match file {
            Some(p) => {
                let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
                (
                    serde_json::from_slice(&bytes)
                        .map_err(|e| Error::Config(format!("{}: {e}", p.display())))?,
                    signet_oidc::FulcioConfig::from_json(&bytes)
                        .map_err(|e| Error::Config(format!("{}: {e}", p.display())))?,
                )
            }
            None => (ConfigFile::default(), signet_oidc::FulcioConfig::default()),
        };
        Ok(ServeConfig {
            data_dir,
            listen,
            public_url: f.public_url,
            issuers,
            checkpoint_interval: Duration::from_millis(f.checkpoint_interval_ms.unwrap_or(100)),
            max_body_bytes: 4 * 1024 * 1024,
            dev_issuer: DevIssuerMode::Off,
            http: crate::http::Limits {
                header_read_timeout: f.header_read_timeout_ms.map_or(
                    crate::http::Limits::default().header_read_timeout,
                    Duration::from_millis,
                ),
                max_connections: f
                    .max_connections
                    .unwrap_or_else(crate::http::default_max_connections)
                    .max(1),
            },
            tls: None,
            brought_ca: None,
            key_provider: None,
        })
    }

    /// The advertised base URL.
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| {
            let scheme = if self.tls.is_some() { "https" } else { "http" };
            format!("{scheme}://{}", self.listen)
        })
    }

    /// A log engine config for a log in `dir` with `origin`.
    pub fn log_config(&self, dir: PathBuf, origin: String) -> signet_log::LogConfig {
        let mut c = signet_log::LogConfig::new(dir, origin);
        c.checkpoint_interval = self.checkpoint_interval;
        // Requests wait for their batch to be durable: a short batch age keeps the CA and Rekor
        // v1 latency low; under load batches still fill up by size.
        c.batch_max_age = std::time::Duration::from_millis(5);
        c
    }
}
