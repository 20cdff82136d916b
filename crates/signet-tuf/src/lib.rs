//! Sigstore trust material distributed over TUF.
//!
//! This crate carries the embedded public-good and staging material (see
//! `embedded/SOURCE.md`: copied from the PyPI package `sigstore` 4.5.1, `sigstore/_store/`),
//! a TUF 1.0 implementation written against the specification: metadata and canonical JSON
//! ([`metadata`], [`canonical`]; ed25519 and ECDSA P-256 keys, the latter PEM or, as in
//! public-good root versions 1-8, hex points), the client workflow with a local cache and the
//! delegated targets search ([`client`]) and a repository writer for `signet serve` ([`repo`]). Verification never fetches anything
//! itself: callers hand a `TrustedRoot` to `signet-verify`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod canonical;
pub mod client;
pub mod metadata;
pub mod repo;
pub mod source;

use signet_core::trust::{SigningConfig, TrustedRoot};

/// The trust material targets a Sigstore TUF repository publishes.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";
/// The signing config target.
pub const SIGNING_CONFIG_TARGET: &str = "signing_config.v0.2.json";
/// The npm registry's keys, which the public-good repository delegates to role
/// `registry.npmjs.org`.
pub const NPM_KEYS_TARGET: &str = "registry.npmjs.org/keys.json";

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
    /// Metadata did not parse or is structurally wrong.
    #[error("TUF {role} metadata is invalid: {reason}")]
    Parse {
        /// Role.
        role: String,
        /// What is wrong (expected vs found).
        reason: String,
    },
    /// Metadata has expired.
    #[error("TUF {role} metadata expired at {expires} (now {now})")]
    Expired {
        /// Role.
        role: String,
        /// Its expiry.
        expires: String,
        /// The current time.
        now: String,
    },
    /// Not enough valid signatures.
    #[error("TUF {role} metadata: expected at least {expected} valid signature(s) from the role's keys, found {found} ({details})")]
    Threshold {
        /// Role.
        role: String,
        /// Threshold.
        expected: u32,
        /// Valid signatures.
        found: usize,
        /// Per-signature problems.
        details: String,
    },
    /// A new root was not properly signed.
    #[error("TUF root rotation to version {version} rejected: {reason}")]
    RootRotation {
        /// The proposed version.
        version: u64,
        /// Why.
        reason: String,
    },
    /// A version went backwards.
    #[error("TUF rollback of {role}: trusted version {trusted}, found lower version {found}")]
    Rollback {
        /// Role (or meta entry).
        role: String,
        /// Trusted version.
        trusted: u64,
        /// Offered version.
        found: u64,
    },
    /// A version differs from the one the referring metadata names.
    #[error("TUF {role} version mismatch: expected {expected}, found {found}")]
    Version {
        /// Role.
        role: String,
        /// Expected version.
        expected: u64,
        /// Found version.
        found: u64,
    },
    /// Wrong length.
    #[error("{what}: expected length {expected}, found {found}")]
    Length {
        /// File.
        what: String,
        /// Expected length.
        expected: u64,
        /// Found length.
        found: u64,
    },
    /// Wrong hash.
    #[error("{what}: {alg} mismatch: expected {expected}, found {found}")]
    Hash {
        /// File.
        what: String,
        /// Algorithm.
        alg: String,
        /// Expected hex digest.
        expected: String,
        /// Found hex digest.
        found: String,
    },
    /// The targets metadata does not list a target.
    #[error("TUF target {name} not listed; targets are: {found}")]
    NoSuchTarget {
        /// Wanted name.
        name: String,
        /// Listed names.
        found: String,
    },
    /// The delegation search (TUF specification §5.6.7) reached its bound on delegated
    /// roles visited with roles still to visit.
    #[error("TUF target {name}: expected to find it within {limit} delegated roles, found it in none of them and {remaining} more delegation(s) left unvisited")]
    DelegationLimit {
        /// Wanted name.
        name: String,
        /// Most delegated roles visited in one search.
        limit: usize,
        /// Delegations still to visit when the search stopped.
        remaining: usize,
    },
    /// Neither the repository, nor a usable cache, nor embedded material gives trust material.
    #[error("TUF repository {url}: {reason}")]
    NoTrustMaterial {
        /// The repository.
        url: String,
        /// Why each source failed.
        reason: String,
    },
    /// No root to start from.
    #[error("no trusted TUF root for {url}: run `signet trust-instance ROOT.json --instance {url}` first")]
    NoTrustedRoot {
        /// Repository URL.
        url: String,
    },
    /// A download failed.
    #[error("fetching {url}: {reason}")]
    Fetch {
        /// URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// File I/O.
    #[error("{}: {source}", path.display())]
    Io {
        /// Path.
        path: std::path::PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A key could not be loaded or generated.
    #[error("TUF key: {0}")]
    Key(String),
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
    /// An embedded copy of target `name` other than the trust material: the npm registry's
    /// keys ([`NPM_KEYS_TARGET`]) for the public-good instance (see `embedded/SOURCE.md`).
    pub fn embedded_target(self, name: &str) -> Option<&'static [u8]> {
        match (self, name) {
            (Instance::Production, NPM_KEYS_TARGET) => Some(include_bytes!(
                "../embedded/prod/registry.npmjs.org/keys.json"
            )),
            _ => None,
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
    fn embedded_npm_keys_match_source_md() {
        let src = include_str!("../embedded/SOURCE.md");
        let bytes = Instance::Production
            .embedded_target(NPM_KEYS_TARGET)
            .expect("embedded npm keys");
        let row = src
            .lines()
            .find(|l| l.starts_with("| prod/registry.npmjs.org/keys.json |"))
            .expect("row in SOURCE.md");
        assert!(
            row.contains(&sha(bytes)),
            "npm keys hash differs from SOURCE.md"
        );
        assert!(Instance::Staging.embedded_target(NPM_KEYS_TARGET).is_none());
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

#[cfg(test)]
mod tuf_tests;
