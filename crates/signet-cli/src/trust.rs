//! Choosing trust material from the global flags.

use anyhow::Context;
use signet_core::trust::{ClientTrustConfig, TrustedRoot};
use signet_tuf::Instance;

use crate::{Failure, TrustArgs};

/// The trusted root selected by the flags, and a description of where it came from.
///
/// Until the TUF updater lands, the public instances always use the embedded material (from
/// sigstore 4.5.1), online or not; `--offline` therefore never opens a socket.
pub fn trusted_root(t: &TrustArgs) -> Result<(TrustedRoot, String), Failure> {
    if let Some(p) = &t.trust_config {
        let bytes =
            std::fs::read(p).with_context(|| format!("reading trust config {}", p.display()))?;
        let c = ClientTrustConfig::from_json(&bytes)
            .with_context(|| format!("parsing trust config {}", p.display()))?;
        return Ok((c.trusted_root, format!("trust config {}", p.display())));
    }
    if let Some(p) = &t.trusted_root {
        let bytes =
            std::fs::read(p).with_context(|| format!("reading trusted root {}", p.display()))?;
        let r = TrustedRoot::from_json(&bytes)
            .with_context(|| format!("parsing trusted root {}", p.display()))?;
        return Ok((r, format!("trusted root {}", p.display())));
    }
    let inst = if t.staging {
        Instance::Staging
    } else {
        Instance::Production
    };
    let r = inst.trusted_root().map_err(|e| Failure::Other(e.into()))?;
    Ok((r, format!("embedded {} trusted root", inst.name())))
}
