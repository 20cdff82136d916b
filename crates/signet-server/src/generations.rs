//! Key generations: each role's current generation, the retired ones with their windows and
//! public material (`DATA/keys/rotations.json`), and how a generation names its files and
//! token labels. [`crate::rotation`] starts new generations; [`crate::keys`] loads the current
//! and retired keys; [`crate::trust`] lists them in the trusted root.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use signet_core::encoding::b64_decode;
use signet_core::keys::{EcKey, EdKey};
use signet_core::signer::{KeyProvider, SharedSigner, SignatureAlgorithm};

use crate::{Error, Result};

/// The manifest naming the key labels of an instance whose keys are in a PKCS#11 token.
pub const TOKEN_MANIFEST: &str = "pkcs11.json";

/// The rotations file under `DATA/keys`.
pub const ROTATIONS_FILE: &str = "rotations.json";

pub use signet_core::limits::MAX_RETIRED_KEYS as MAX_RETIRED;

/// A role whose key can be rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The CA's issuing (intermediate) certificate and key.
    Ca,
    /// The CT log's key (a new CT log).
    Ctlog,
    /// The Rekor v1 key (a new log shard).
    RekorV1,
    /// The Rekor v2 checkpoint key (a new log shard at a new URL).
    RekorV2,
    /// The TSA's signing certificate and key.
    Tsa,
}

impl Role {
    /// Every role, in the order the CLI lists them.
    pub const ALL: [Role; 5] = [
        Role::Ca,
        Role::Ctlog,
        Role::RekorV1,
        Role::RekorV2,
        Role::Tsa,
    ];

    /// The CLI's name of the role.
    pub fn name(self) -> &'static str {
        match self {
            Role::Ca => "ca",
            Role::Ctlog => "ctlog",
            Role::RekorV1 => "rekor-v1",
            Role::RekorV2 => "rekor-v2",
            Role::Tsa => "tsa",
        }
    }

    /// The base name of the role's private key file (`<base>.pk8`, `<base>.g<g>.pk8`).
    pub(crate) fn key_file(self) -> &'static str {
        match self {
            Role::Ca => "ca-intermediate",
            Role::Ctlog => "ct",
            Role::RekorV1 => "rekor-v1",
            Role::RekorV2 => "rekor-v2",
            Role::Tsa => "tsa",
        }
    }

    /// The role's name in the PKCS#11 manifest.
    pub(crate) fn token_role(self) -> &'static str {
        match self {
            Role::Ca => "ca",
            Role::Ctlog => "ct",
            Role::RekorV1 => "rekorV1",
            Role::RekorV2 => "rekorV2",
            Role::Tsa => "tsa",
        }
    }

    pub(crate) fn algorithm(self) -> SignatureAlgorithm {
        match self {
            Role::Ca => SignatureAlgorithm::EcdsaP384Sha384,
            Role::RekorV2 => SignatureAlgorithm::Ed25519,
            _ => SignatureAlgorithm::EcdsaP256Sha256,
        }
    }
}

impl std::str::FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                Error::Config(format!(
                    "unknown key role {s:?}; expected one of ca, ctlog, rekor-v1, rekor-v2, tsa"
                ))
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A role's current generation and when it started (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    /// The generation number (0: the first key).
    pub generation: u32,
    /// When it started: the start of its `validFor`.
    pub start: i64,
}

/// A retired generation: its window and its public material.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retired {
    /// Whose key it was.
    pub role: Role,
    /// Its generation.
    pub generation: u32,
    /// Start of its `validFor` (Unix seconds).
    pub start: i64,
    /// End of its `validFor`: when it was rotated out.
    pub end: i64,
    /// A log's public key (SPKI DER, base64).
    pub public_key: Option<String>,
    /// A CA's or TSA's certificate chain, signing certificate first (DER, base64).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
}

impl Retired {
    /// The log's public key (SPKI DER).
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        let b = self.public_key.as_deref().ok_or_else(|| {
            Error::Config(format!(
                "{ROTATIONS_FILE}: retired {} generation {} has no publicKey",
                self.role, self.generation
            ))
        })?;
        Ok(b64_decode("publicKey", b)?)
    }

    /// The certificate chain (DER), signing certificate first.
    pub fn chain_der(&self) -> Result<Vec<Vec<u8>>> {
        if self.chain.is_empty() {
            return Err(Error::Config(format!(
                "{ROTATIONS_FILE}: retired {} generation {} has no chain",
                self.role, self.generation
            )));
        }
        self.chain
            .iter()
            .map(|c| b64_decode("chain", c).map_err(Error::from))
            .collect()
    }
}

/// `DATA/keys/rotations.json`: current generations and retired ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotations {
    /// Roles rotated at least once: their current generation (others are at generation 0,
    /// started when the keys were created).
    #[serde(default)]
    pub current: BTreeMap<Role, Generation>,
    /// Retired generations, oldest first.
    #[serde(default)]
    pub retired: Vec<Retired>,
}

impl Rotations {
    /// Read the rotations file of a keys directory (none: nothing was ever rotated).
    pub fn load(keys_dir: &Path) -> Result<Self> {
        let p = keys_dir.join(ROTATIONS_FILE);
        let bytes = match std::fs::read(&p) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(Error::io(&p, e)),
        };
        let r: Rotations = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Config(format!("{}: {e}", p.display())))?;
        if r.retired.len() > MAX_RETIRED {
            return Err(Error::Config(format!(
                "{}: {} retired generations, expected at most {MAX_RETIRED}",
                p.display(),
                r.retired.len()
            )));
        }
        // Every retired key must decode: the trusted root lists each one, and one that could
        // not be listed would silently stop verifying the bundles it signed.
        for x in &r.retired {
            match x.role {
                Role::Ca | Role::Tsa => x.chain_der().map(|_| ())?,
                _ => x.public_key_der().map(|_| ())?,
            }
        }
        Ok(r)
    }

    pub(crate) fn save(&self, keys_dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Config(format!("{ROTATIONS_FILE}: {e}")))?;
        crate::files::write_private(
            &keys_dir.join(ROTATIONS_FILE),
            format!("{text}\n").as_bytes(),
        )
    }

    /// The current generation of `role`.
    pub fn generation(&self, role: Role) -> u32 {
        self.current.get(&role).map_or(0, |g| g.generation)
    }

    /// The start of `role`'s current generation; `created` for generation 0.
    pub fn start(&self, role: Role, created: i64) -> i64 {
        self.current.get(&role).map_or(created, |g| g.start)
    }

    /// The retired generations of `role`, oldest first.
    pub fn retired(&self, role: Role) -> impl Iterator<Item = &Retired> {
        self.retired.iter().filter(move |r| r.role == role)
    }
}

/// A file of generation `g`: `<base>.<ext>` for 0, `<base>.g<g>.<ext>` after.
pub fn gen_file(base: &str, ext: &str, g: u32) -> String {
    if g == 0 {
        format!("{base}.{ext}")
    } else {
        format!("{base}.g{g}.{ext}")
    }
}

/// A token label of generation `g`: `<label>` for 0, `<label>-g<g>` after.
pub fn gen_label(label: &str, g: u32) -> String {
    if g == 0 {
        label.to_string()
    } else {
        format!("{label}-g{g}")
    }
}

/// A role's file key from its PKCS#8 DER.
pub(crate) fn file_key(role: Role, der: &[u8]) -> Result<SharedSigner> {
    Ok(match role.algorithm().curve() {
        Some(c) => Arc::new(EcKey::from_pkcs8(c, der)?),
        None => Arc::new(EdKey::from_pkcs8(der)?),
    })
}

/// The PKCS#11 manifest of a keys directory (`None`: the instance's keys are files).
pub(crate) fn read_manifest(keys_dir: &Path) -> Result<Option<serde_json::Value>> {
    let p = keys_dir.join(TOKEN_MANIFEST);
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| Error::Config(format!("{}: {e}", p.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&p, e)),
    }
}

/// The label the manifest records under `keys.<name>`.
pub(crate) fn manifest_label<'m>(manifest: &'m serde_json::Value, name: &str) -> Result<&'m str> {
    manifest["keys"][name].as_str().ok_or_else(|| {
        Error::Config(format!(
            "{TOKEN_MANIFEST}: expected keys.{name} (a key label), found none"
        ))
    })
}

/// The token label of `role`'s key of generation `g`.
pub(crate) fn token_label(manifest: &serde_json::Value, role: Role, g: u32) -> Result<String> {
    Ok(gen_label(manifest_label(manifest, role.token_role())?, g))
}

/// A role's key in `token` for generation `g` (its label from the manifest, suffixed).
pub(crate) fn token_key(
    token: &dyn KeyProvider,
    manifest: &serde_json::Value,
    role: Role,
    g: u32,
) -> Result<SharedSigner> {
    Ok(token.open(&token_label(manifest, role, g)?, role.algorithm())?)
}
