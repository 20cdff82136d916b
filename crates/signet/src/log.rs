//! `signet log`: serve a transparency log alone, and check a log data directory (fsck).

use std::path::PathBuf;

use clap::Subcommand;
use signet_cli::Failure;

/// `signet log ...`: operate a local log's data directory.
#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Serve the transparency log alone: Rekor v1 and v2 APIs on embedded storage.
    Serve {
        /// State directory.
        #[arg(long, env = "SIGNET_DATA_DIR", default_value = "signet-data")]
        data_dir: PathBuf,
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: std::net::SocketAddr,
        /// JSON config (`publicUrl`, `checkpointIntervalMs`).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Recompute and check everything in a log data directory (entries, antispam index, tiles,
    /// entry bundles, checkpoints).
    Fsck {
        /// The log's data directory (e.g. DATA/rekor-v1/log, DATA/rekor-v2, DATA/ctlog).
        dir: PathBuf,
    },
}

/// Entry point for `signet log`.
pub fn run(cmd: LogCommand) -> Result<(), Failure> {
    match cmd {
        LogCommand::Serve {
            data_dir,
            listen,
            config,
        } => {
            let cfg = signet_server::ServeConfig::new(data_dir, listen, config.as_deref())
                .map_err(|e| Failure::Other(e.into()))?;
            let rt = crate::runtime()?;
            rt.block_on(signet_server::serve_log(cfg))
                .map_err(|e| Failure::Other(e.into()))
        }
        LogCommand::Fsck { dir } => {
            let r = signet_server::ops::fsck(&dir).map_err(|e| Failure::Other(e.into()))?;
            for n in &r.notes {
                eprintln!("note: {n}");
            }
            if r.is_ok() {
                eprintln!(
                    "OK: {}: {} entries, {} checkpoints, {} tiles, {} entry bundles",
                    dir.display(),
                    r.entries,
                    r.checkpoints,
                    r.tiles_checked,
                    r.bundles_checked
                );
                Ok(())
            } else {
                for p in &r.problems {
                    eprintln!("problem: {p}");
                }
                eprintln!("FAIL: {}: {} problem(s)", dir.display(), r.problems_total);
                Err(Failure::Verification)
            }
        }
    }
}
