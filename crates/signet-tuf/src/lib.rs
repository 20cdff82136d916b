//! Sigstore trust material distributed over TUF.
//!
//! For now this crate carries the embedded public-good and staging material (see
//! `embedded/SOURCE.md`: copied from the PyPI package `sigstore` 4.5.1, `sigstore/_store/`).
//! The TUF updater that refreshes it lives here too once it exists; verification never fetches
//! anything itself: callers hand a `TrustedRoot` to `signet-verify`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use signet_core::trust::{SigningConfig, TrustedRoot};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Embedded material failed to parse (a build defect).
    #[error("embedded {what} for {instance} is invalid: {source}")]
    Embedded {
        /// Which file.
        what: &'static str,
        /// Which instance.
        instance: &'static str,
        /// Parse error.
        #[source]
        source: signet_core::Error,
    },
}

/// A public Sigstore instance whose trust material is embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instance {
    /// The public-good instance (`tuf-repo-cdn.sigstore.dev`).
    Production,
    /// The staging instance (`tuf-repo-cdn.sigstage.dev`).
    Staging,
}

impl Instance {
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Instance::Production => "production",
            Instance::Staging => "staging",
        }
    }
    /// The TUF repository URL.
    pub fn tuf_url(self) -> &'static str {
        match self {
            Instance::Production => "https://tuf-repo-cdn.sigstore.dev",
            Instance::Staging => "https://tuf-repo-cdn.sigstage.dev",
        }
    }
    /// Embedded `trusted_root.json` bytes.
    pub fn trusted_root_json(self) -> &'static [u8] {
        match self {
            Instance::Production => include_bytes!("../embedded/prod/trusted_root.json"),
            Instance::Staging => include_bytes!("../embedded/staging/trusted_root.json"),
        }
    }
    /// Embedded TUF `root.json` bytes.
    pub fn tuf_root_json(self) -> &'static [u8] {
        match self {
            Instance::Production => include_bytes!("../embedded/prod/root.json"),
            Instance::Staging => include_bytes!("../embedded/staging/root.json"),
        }
    }
    /// Embedded `signing_config.v0.2.json` bytes.
    pub fn signing_config_json(self) -> &'static [u8] {
        match self {
            Instance::Production => include_bytes!("../embedded/prod/signing_config.v0.2.json"),
            Instance::Staging => include_bytes!("../embedded/staging/signing_config.v0.2.json"),
        }
    }
    /// The parsed embedded trusted root.
    pub fn trusted_root(self) -> Result<TrustedRoot, Error> {
        TrustedRoot::from_json(self.trusted_root_json()).map_err(|source| Error::Embedded {
            what: "trusted_root.json",
            instance: self.name(),
            source,
        })
    }
    /// The parsed embedded signing config.
    pub fn signing_config(self) -> Result<SigningConfig, Error> {
        SigningConfig::from_json(self.signing_config_json()).map_err(|source| Error::Embedded {
            what: "signing_config.v0.2.json",
            instance: self.name(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(b: &[u8]) -> String {
        hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b))
    }

    #[test]
    fn embedded_hashes_match_source_md() {
        let src = include_str!("../embedded/SOURCE.md");
        for (inst, dir) in [
            (Instance::Production, "prod"),
            (Instance::Staging, "staging"),
        ] {
            for (name, bytes) in [
                ("root.json", inst.tuf_root_json()),
                ("trusted_root.json", inst.trusted_root_json()),
                ("signing_config.v0.2.json", inst.signing_config_json()),
            ] {
                let line = format!("| {dir}/{name} |");
                let row = src
                    .lines()
                    .find(|l| l.starts_with(&line))
                    .expect("row in SOURCE.md");
                assert!(
                    row.contains(&sha(bytes)),
                    "{dir}/{name} hash differs from SOURCE.md"
                );
            }
        }
    }

    #[test]
    fn embedded_parse() {
        for inst in [Instance::Production, Instance::Staging] {
            let r = inst.trusted_root().unwrap();
            assert!(
                !r.tlogs.is_empty()
                    && !r.certificate_authorities.is_empty()
                    && !r.ctlogs.is_empty()
            );
            inst.signing_config().unwrap();
        }
    }

    #[test]
    fn trusted_root_roundtrips() {
        for inst in [Instance::Production, Instance::Staging] {
            let orig: serde_json::Value = serde_json::from_slice(inst.trusted_root_json()).unwrap();
            let again: serde_json::Value =
                serde_json::from_str(&inst.trusted_root().unwrap().to_json_pretty().unwrap())
                    .unwrap();
            assert_eq!(orig, again, "{}", inst.name());
        }
    }
}
