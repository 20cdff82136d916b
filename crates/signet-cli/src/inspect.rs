//! `signet inspect`: decode a bundle, certificate or DSSE envelope for humans (or `--json`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::Failure;

/// `signet inspect FILE`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A bundle (.sigstore.json), PEM/DER certificate(s), DSSE envelope, or PEP 740
    /// attestation.
    pub file: PathBuf,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Entry point.
pub fn run(a: InspectArgs) -> Result<(), Failure> {
    let bytes = crate::read_input(&a.file)?;
    let v =
        signet_core::describe::describe(&bytes).with_context(|| format!("{}", a.file.display()))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| Failure::Other(e.into()))?
        );
    } else {
        print!("{}", signet_core::describe::to_text(&v));
    }
    Ok(())
}
