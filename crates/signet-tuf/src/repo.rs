//! A TUF repository writer for `signet serve`: one key per top-level role (ed25519 by default,
//! or ECDSA P-256 in the legacy hex or the PEM encoding Sigstore's root history uses),
//! delegated targets roles, consistent snapshots, and re-signing of short-lived metadata before
//! it expires.
//!
//! Published layout (the directory is served as-is under `/tuf/`):
//! `N.root.json` (every version), `root.json` (newest), `N.targets.json`, `N.snapshot.json`,
//! `timestamp.json`, `N.<role>.json` for delegated roles (role name percent-encoded as by
//! [`crate::client::role_file_name`]), and targets at `targets/<sha256>.<name>`.
//!
//! Keys live in the keys directory: `tuf-<role>.pk8` (ed25519), `tuf-<role>.p256.pk8`
//! (ECDSA P-256), and `tuf-delegated-<role>-<i>.pk8` (ed25519, one per delegated role key).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use signet_core::keys::EdKey;
use signet_core::time::format_rfc3339;

use signet_core::keys::{Curve, EcKey};

use crate::client::role_file_name;
use crate::metadata::{
    self, DelegatedRole, Delegations, EcdsaEncoding, EcdsaSigner, Envelope, MetaRole, Root,
    SharedKey, Signer, TargetFile, Targets, SPEC_VERSION,
};
use crate::Error;

const DAY: i64 = 86400;
/// Root metadata lifetime.
pub const ROOT_LIFETIME: i64 = 365 * DAY;
/// Targets metadata lifetime.
pub const TARGETS_LIFETIME: i64 = 90 * DAY;
/// Snapshot metadata lifetime.
pub const SNAPSHOT_LIFETIME: i64 = 7 * DAY;
/// Timestamp metadata lifetime.
pub const TIMESTAMP_LIFETIME: i64 = DAY;

/// The four top-level roles.
pub const ROLES: [&str; 4] = ["root", "targets", "snapshot", "timestamp"];

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io(&tmp, e))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| io(path, e))
}

fn load_or_create_key(path: &Path) -> Result<EdKey, Error> {
    let key_err = |e: signet_core::Error| Error::Key(format!("{}: {e}", path.display()));
    if path.exists() {
        return EdKey::from_pkcs8(&read(path)?).map_err(key_err);
    }
    let k = EdKey::generate().map_err(key_err)?;
    write_atomic(path, k.pkcs8_der(), true)?;
    Ok(k)
}

fn load_or_create_ec(path: &Path) -> Result<EcKey, Error> {
    let key_err = |e: signet_core::Error| Error::Key(format!("{}: {e}", path.display()));
    if path.exists() {
        return EcKey::from_pkcs8(Curve::P256, &read(path)?).map_err(key_err);
    }
    let k = EcKey::generate(Curve::P256).map_err(key_err)?;
    write_atomic(path, k.pkcs8_der(), true)?;
    Ok(k)
}

/// The keys a repository's top-level roles use and how root metadata writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScheme {
    /// Ed25519 (`tuf-<role>.pk8`), the default.
    Ed25519,
    /// ECDSA P-256 written as `ecdsa-sha2-nistp256` keys with a hex point, as public-good
    /// root versions 1-8 do (`tuf-<role>.p256.pk8`).
    EcdsaLegacyHex,
    /// ECDSA P-256 written as PEM `ecdsa` keys, as current public-good roots do
    /// (`tuf-<role>.p256.pk8`).
    EcdsaPem,
}

impl KeyScheme {
    fn is_ecdsa(self) -> bool {
        self != KeyScheme::Ed25519
    }
    /// The key file of `role` (`tag` inserted before the extension, e.g. `.v3`).
    fn key_path(self, keys_dir: &Path, role: &str, tag: &str) -> PathBuf {
        if self.is_ecdsa() {
            keys_dir.join(format!("tuf-{role}{tag}.p256.pk8"))
        } else {
            keys_dir.join(format!("tuf-{role}{tag}.pk8"))
        }
    }
    fn load(self, path: &Path) -> Result<RoleKey, Error> {
        Ok(match self {
            KeyScheme::Ed25519 => RoleKey::Ed(load_or_create_key(path)?),
            KeyScheme::EcdsaLegacyHex => RoleKey::Ec(EcdsaSigner {
                key: load_or_create_ec(path)?,
                encoding: EcdsaEncoding::LegacyHex,
            }),
            KeyScheme::EcdsaPem => RoleKey::Ec(EcdsaSigner {
                key: load_or_create_ec(path)?,
                encoding: EcdsaEncoding::Pem,
            }),
        })
    }
    /// The scheme `root` writes its root role's key in.
    fn of_root(root: &Root) -> Result<Self, Error> {
        let key = root
            .roles
            .get("root")
            .and_then(|r| r.keyids.first())
            .and_then(|id| root.keys.get(id))
            .ok_or_else(|| Error::Parse {
                role: "root".into(),
                reason: "expected a key for the root role, found none".into(),
            })?;
        Ok(match key.keytype.as_str() {
            "ed25519" => KeyScheme::Ed25519,
            _ if key.keyval.public.trim_start().starts_with("-----BEGIN") => KeyScheme::EcdsaPem,
            _ => KeyScheme::EcdsaLegacyHex,
        })
    }
}

/// A top-level role's signing key.
enum RoleKey {
    Ed(EdKey),
    Ec(EcdsaSigner),
    Shared(SharedKey),
}

impl RoleKey {
    fn signer(&self) -> &dyn Signer {
        match self {
            RoleKey::Ed(k) => k,
            RoleKey::Ec(k) => k,
            RoleKey::Shared(k) => k,
        }
    }
}

/// Which target paths a new delegated role is trusted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DelegationScope {
    /// `paths` patterns.
    Paths(Vec<String>),
    /// `path_hash_prefixes`.
    PathHashPrefixes(Vec<String>),
}

/// A delegated targets role for [`Repository::delegate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelegation {
    /// Role name.
    pub name: String,
    /// Target paths it is trusted for.
    pub scope: DelegationScope,
    /// Whether the search stops after this role for the paths it is trusted for.
    pub terminating: bool,
    /// Signatures needed.
    pub threshold: u32,
    /// Ed25519 keys to make for it (all of them sign its metadata).
    pub keys: u32,
}

/// A repository on disk: metadata in `dir`, role keys in `keys_dir`.
pub struct Repository {
    dir: PathBuf,
    keys_dir: PathBuf,
    scheme: KeyScheme,
    keys: BTreeMap<&'static str, RoleKey>,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repository({}, {:?})", self.dir.display(), self.scheme)
    }
}

fn header(role: &str, version: u64, expires: i64) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("_type".into(), json!(role));
    m.insert("spec_version".into(), json!(SPEC_VERSION));
    m.insert("version".into(), json!(version));
    m.insert("expires".into(), json!(format_rfc3339(expires)));
    m
}

/// The published file name of version `v` of targets role `role`.
fn targets_file(role: &str, v: u64) -> String {
    format!("{v}.{}.json", role_file_name(role))
}

impl Repository {
    /// Open the repository, creating ed25519 keys and `1.root.json` on first use.
    pub fn open_or_init(dir: &Path, keys_dir: &Path, now: i64) -> Result<Self, Error> {
        Self::open_or_init_with(dir, keys_dir, now, KeyScheme::Ed25519)
    }

    /// Open the repository, creating keys of `scheme` and `1.root.json` on first use. An
    /// existing repository keeps the scheme its newest root is written in.
    pub fn open_or_init_with(
        dir: &Path,
        keys_dir: &Path,
        now: i64,
        scheme: KeyScheme,
    ) -> Result<Self, Error> {
        std::fs::create_dir_all(dir.join("targets")).map_err(|e| io(dir, e))?;
        std::fs::create_dir_all(keys_dir).map_err(|e| io(keys_dir, e))?;
        let mut repo = Repository {
            dir: dir.to_path_buf(),
            keys_dir: keys_dir.to_path_buf(),
            scheme,
            keys: BTreeMap::new(),
        };
        let existing = repo.root_version()? > 0;
        if existing {
            repo.scheme = KeyScheme::of_root(&repo.root()?.1)?;
        }
        for role in ROLES {
            let k = repo
                .scheme
                .load(&repo.scheme.key_path(keys_dir, role, ""))?;
            repo.keys.insert(role, k);
        }
        if !existing {
            repo.write_root(1, now, &[])?;
        }
        Ok(repo)
    }

    /// Open the repository with the top-level role keys given (e.g. keys in a PKCS#11 token,
    /// one per role of [`ROLES`]), creating `1.root.json` on first use. Delegated roles' keys
    /// stay files in `keys_dir`.
    pub fn open_or_init_with_signers(
        dir: &Path,
        keys_dir: &Path,
        now: i64,
        signers: &[(&'static str, signet_core::signer::SharedSigner)],
    ) -> Result<Self, Error> {
        std::fs::create_dir_all(dir.join("targets")).map_err(|e| io(dir, e))?;
        let mut keys = BTreeMap::new();
        for role in ROLES {
            let (_, s) = signers.iter().find(|(r, _)| *r == role).ok_or_else(|| {
                Error::Key(format!(
                    "expected a key for the TUF {role} role, found none"
                ))
            })?;
            keys.insert(role, RoleKey::Shared(SharedKey(s.clone())));
        }
        let scheme = match signers.first().map(|(_, s)| s.algorithm()) {
            Some(signet_core::signer::SignatureAlgorithm::Ed25519) => KeyScheme::Ed25519,
            _ => KeyScheme::EcdsaPem,
        };
        let repo = Repository {
            dir: dir.to_path_buf(),
            keys_dir: keys_dir.to_path_buf(),
            scheme,
            keys,
        };
        if repo.root_version()? == 0 {
            repo.write_root(1, now, &[])?;
        }
        Ok(repo)
    }

    /// Rotate the root key to `new` (a key the caller made, e.g. in a token): root version
    /// N+1 lists it and is signed by the old and the new root key. Returns the new version.
    pub fn rotate_root_to(
        &mut self,
        new: signet_core::signer::SharedSigner,
        now: i64,
    ) -> Result<u64, Error> {
        let v = self.root_version()?;
        let old = self
            .keys
            .insert("root", RoleKey::Shared(SharedKey(new)))
            .ok_or_else(|| Error::Key("no root key".into()))?;
        self.write_root(v + 1, now, &[old.signer()])?;
        Ok(v + 1)
    }

    /// The metadata directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The scheme the top-level keys use.
    pub fn scheme(&self) -> KeyScheme {
        self.scheme
    }

    fn key(&self, role: &str) -> Result<&dyn Signer, Error> {
        self.keys
            .get(role)
            .map(RoleKey::signer)
            .ok_or_else(|| Error::Key(format!("no key for role {role}")))
    }

    /// The newest root version published (0 when none).
    pub fn root_version(&self) -> Result<u64, Error> {
        let mut v = 0;
        while self.dir.join(format!("{}.root.json", v + 1)).exists() {
            v += 1;
        }
        Ok(v)
    }

    /// The newest root.
    pub fn root(&self) -> Result<(Envelope, Root), Error> {
        let v = self.root_version()?;
        let env = Envelope::from_slice("root", &read(&self.dir.join(format!("{v}.root.json")))?)?;
        let root = env.parse_signed("root")?;
        Ok((env, root))
    }

    pub(crate) fn write_root(
        &self,
        version: u64,
        now: i64,
        extra_signers: &[&dyn Signer],
    ) -> Result<(), Error> {
        let mut keys = serde_json::Map::new();
        let mut roles = serde_json::Map::new();
        for role in ROLES {
            let k = self.key(role)?.public_key();
            let id = k.key_id();
            keys.insert(id.clone(), serde_json::to_value(&k).unwrap_or(Value::Null));
            roles.insert(role.into(), json!({"keyids": [id], "threshold": 1}));
        }
        let mut signed = header("root", version, now + ROOT_LIFETIME);
        signed.insert("consistent_snapshot".into(), json!(true));
        signed.insert("keys".into(), Value::Object(keys));
        signed.insert("roles".into(), Value::Object(roles));
        let mut signers: Vec<&dyn Signer> = extra_signers.to_vec();
        signers.push(self.key("root")?);
        let env = metadata::sign(&Value::Object(signed), &signers)?;
        let bytes = env.to_vec();
        write_atomic(
            &self.dir.join(format!("{version}.root.json")),
            &bytes,
            false,
        )?;
        write_atomic(&self.dir.join("root.json"), &bytes, false)
    }

    /// Rotate the root key: a new key is generated, and root version N+1 (listing the new key)
    /// is signed by both the old and the new root key, as the client workflow requires. The
    /// old key is kept as `tuf-root.v<N>.pk8` (`.p256.pk8` for ECDSA). Returns the new version.
    pub fn rotate_root(&mut self, now: i64) -> Result<u64, Error> {
        let v = self.root_version()?;
        let path = self.scheme.key_path(&self.keys_dir, "root", "");
        let archive = self
            .scheme
            .key_path(&self.keys_dir, "root", &format!(".v{v}"));
        std::fs::rename(&path, &archive).map_err(|e| io(&path, e))?;
        let new = self.scheme.load(&path)?;
        let old = self
            .keys
            .insert("root", new)
            .ok_or_else(|| Error::Key("no root key".into()))?;
        self.write_root(v + 1, now, &[old.signer()])?;
        Ok(v + 1)
    }

    /// Move every top-level role to `scheme` (root version N+1, signed by the old and the new
    /// root key), then re-sign targets, snapshot and timestamp with the new keys. Between the
    /// two ECDSA schemes the keys stay and only their encoding (and so their key IDs) changes,
    /// as in Sigstore's own history; to or from ed25519 new keys are made, and a key file of
    /// the new kind left from earlier is archived as `.v<N>`. Returns the new root version.
    pub fn rotate_scheme(&mut self, now: i64, scheme: KeyScheme) -> Result<u64, Error> {
        let v = self.root_version()?;
        let old_scheme = self.scheme;
        let mut new_keys = BTreeMap::new();
        for role in ROLES {
            let path = scheme.key_path(&self.keys_dir, role, "");
            if old_scheme.is_ecdsa() != scheme.is_ecdsa() && path.exists() {
                let archive = scheme.key_path(&self.keys_dir, role, &format!(".v{v}"));
                std::fs::rename(&path, &archive).map_err(|e| io(&path, e))?;
            }
            new_keys.insert(role, scheme.load(&path)?);
        }
        let old_keys = std::mem::replace(&mut self.keys, new_keys);
        self.scheme = scheme;
        let old_root = old_keys
            .get("root")
            .ok_or_else(|| Error::Key("no root key".into()))?;
        self.write_root(v + 1, now, &[old_root.signer()])?;
        if let Some((targets, snap, ts)) = self.current()? {
            self.write_targets_again("targets", targets.version + 1, &targets, now)?;
            self.write_snapshot(snap.version + 1, targets.version + 1, now)?;
            self.write_timestamp(ts.version + 1, snap.version + 1, now)?;
        }
        Ok(v + 1)
    }

    fn read_meta(&self, name: &str, role: &str) -> Result<Option<MetaRole>, Error> {
        let p = self.dir.join(name);
        if !p.exists() {
            return Ok(None);
        }
        Ok(Some(
            Envelope::from_slice(role, &read(&p)?)?.parse_signed(role)?,
        ))
    }

    /// The published snapshot and timestamp, if any.
    fn current_meta(&self) -> Result<Option<(MetaRole, MetaRole)>, Error> {
        let Some(ts) = self.read_meta("timestamp.json", "timestamp")? else {
            return Ok(None);
        };
        let sv = ts.meta.get("snapshot.json").map(|m| m.version).unwrap_or(0);
        let Some(snap) = self.read_meta(&format!("{sv}.snapshot.json"), "snapshot")? else {
            return Ok(None);
        };
        Ok(Some((snap, ts)))
    }

    /// Current (targets, snapshot, timestamp) versions and metadata, if published.
    fn current(&self) -> Result<Option<(Targets, MetaRole, MetaRole)>, Error> {
        let Some((snap, ts)) = self.current_meta()? else {
            return Ok(None);
        };
        let tv = snap
            .meta
            .get("targets.json")
            .map(|m| m.version)
            .unwrap_or(0);
        let targets = self.read_targets_role("targets", tv)?;
        Ok(Some((targets, snap, ts)))
    }

    /// Targets role `role` (top-level `targets` or a delegated role) at version `v`.
    fn read_targets_role(&self, role: &str, v: u64) -> Result<Targets, Error> {
        let p = self.dir.join(targets_file(role, v));
        Envelope::from_slice(role, &read(&p)?)?.parse_typed("targets", role)
    }

    /// The published version of targets role `role` (0 when not published).
    fn targets_role_version(&self, role: &str) -> Result<u64, Error> {
        Ok(self
            .current_meta()?
            .and_then(|(snap, _)| snap.meta.get(&format!("{role}.json")).map(|m| m.version))
            .unwrap_or(0))
    }

    /// Write the target files and return their descriptions.
    fn store_targets(
        &self,
        files: &[(&str, &[u8])],
    ) -> Result<BTreeMap<String, TargetFile>, Error> {
        let mut list = BTreeMap::new();
        for (name, bytes) in files {
            let bad = name.is_empty()
                || name.split('/').any(|seg| {
                    seg.is_empty() || seg == "." || seg == ".." || seg.contains(['\\', '\0'])
                });
            if bad {
                return Err(Error::Parse {
                    role: "targets".into(),
                    reason: format!("target name {name:?} cannot be published: expected /-separated segments that are not empty, \".\" or \"..\" and hold no \\ or NUL"),
                });
            }
            let sha = hex::encode(signet_core::encoding::sha256(bytes));
            let path = self
                .dir
                .join("targets")
                .join(crate::client::hash_prefixed(name, &sha));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            write_atomic(&path, bytes, false)?;
            list.insert(
                name.to_string(),
                TargetFile {
                    length: bytes.len() as u64,
                    hashes: BTreeMap::from([("sha256".to_string(), sha)]),
                    custom: None,
                },
            );
        }
        Ok(list)
    }

    /// Publish `files` as the targets (a new targets/snapshot/timestamp version if they differ
    /// from what is published; delegations are kept). Returns whether anything was written.
    pub fn publish_targets(&self, files: &[(&str, &[u8])], now: i64) -> Result<bool, Error> {
        let list = self.store_targets(files)?;
        let cur = self.current()?;
        if let Some((t, _, _)) = &cur {
            if t.targets == list {
                return Ok(false);
            }
        }
        let (tv, sv, tsv) = cur
            .as_ref()
            .map(|(t, s, ts)| (t.version, s.version, ts.version))
            .unwrap_or((0, 0, 0));
        let delegations = cur.as_ref().and_then(|(t, _, _)| t.delegations.as_ref());
        self.write_targets(tv + 1, &list, delegations, now)?;
        self.write_snapshot(sv + 1, tv + 1, now)?;
        self.write_timestamp(tsv + 1, sv + 1, now)?;
        Ok(true)
    }

    /// The keys of delegated role `role` (`tuf-delegated-<role>-<i>.pk8`, `i` from 0),
    /// creating `count` of them when `count` is given.
    fn delegated_keys(&self, role: &str, count: Option<u32>) -> Result<Vec<EdKey>, Error> {
        let path = |i: u32| {
            self.keys_dir
                .join(format!("tuf-delegated-{}-{i}.pk8", role_file_name(role)))
        };
        let mut keys = Vec::new();
        let mut i = 0;
        while count.map_or(path(i).exists(), |c| i < c) {
            keys.push(load_or_create_key(&path(i))?);
            i += 1;
        }
        if keys.is_empty() {
            return Err(Error::Key(format!(
                "expected signing keys for delegated role {role} in {}, found none",
                self.keys_dir.display()
            )));
        }
        Ok(keys)
    }

    /// Add delegated targets role `d` to the delegations of `delegator` (`targets` or a
    /// delegated role already published), with `d.keys` new ed25519 keys, and publish its
    /// first (empty) version; the delegator, snapshot and timestamp get new versions. A
    /// delegation of the same name is replaced. Targets must have been published first.
    pub fn delegate(&self, delegator: &str, d: &NewDelegation, now: i64) -> Result<(), Error> {
        let dv = self.targets_role_version(delegator)?;
        if dv == 0 {
            return Err(Error::Parse {
                role: delegator.into(),
                reason: "expected published targets metadata for the delegating role, found none"
                    .into(),
            });
        }
        let parent = self.read_targets_role(delegator, dv)?;
        let keys = self.delegated_keys(&d.name, Some(d.keys))?;
        let mut delegations = parent.delegations.clone().unwrap_or(Delegations {
            keys: BTreeMap::new(),
            roles: Vec::new(),
        });
        let mut keyids = Vec::new();
        for k in &keys {
            let pk = Signer::public_key(k);
            let id = pk.key_id();
            delegations.keys.insert(id.clone(), pk);
            keyids.push(id);
        }
        let (paths, path_hash_prefixes) = match &d.scope {
            DelegationScope::Paths(p) => (Some(p.clone()), None),
            DelegationScope::PathHashPrefixes(p) => (None, Some(p.clone())),
        };
        let role = DelegatedRole {
            name: d.name.clone(),
            keyids,
            threshold: d.threshold,
            terminating: d.terminating,
            paths,
            path_hash_prefixes,
        };
        match delegations.roles.iter_mut().find(|r| r.name == d.name) {
            Some(r) => *r = role,
            None => delegations.roles.push(role),
        }
        let own_v = self.targets_role_version(&d.name)? + 1;
        self.write_targets_role(delegator, dv + 1, &parent.targets, Some(&delegations), now)?;
        self.write_targets_role(&d.name, own_v, &BTreeMap::new(), None, now)?;
        self.publish_meta(&[(delegator, dv + 1), (&d.name, own_v)], now)
    }

    /// Publish `files` as the targets of delegated role `role` (a new version of it, then of
    /// snapshot and timestamp; its own delegations are kept).
    pub fn publish_delegated_targets(
        &self,
        role: &str,
        files: &[(&str, &[u8])],
        now: i64,
    ) -> Result<(), Error> {
        let v = self.targets_role_version(role)?;
        if v == 0 {
            return Err(Error::Parse {
                role: role.into(),
                reason: "expected a delegated role made by delegate(), found none".into(),
            });
        }
        let cur = self.read_targets_role(role, v)?;
        let list = self.store_targets(files)?;
        self.write_targets_role(role, v + 1, &list, cur.delegations.as_ref(), now)?;
        self.publish_meta(&[(role, v + 1)], now)
    }

    /// New snapshot (with `updates` as `<role>.json` versions) and timestamp versions.
    fn publish_meta(&self, updates: &[(&str, u64)], now: i64) -> Result<(), Error> {
        let (snap, ts) = self.current_meta()?.ok_or_else(|| Error::Parse {
            role: "snapshot".into(),
            reason: "expected published snapshot metadata, found none".into(),
        })?;
        let mut meta: BTreeMap<String, u64> = snap
            .meta
            .iter()
            .map(|(k, m)| (k.clone(), m.version))
            .collect();
        for (role, v) in updates {
            meta.insert(format!("{role}.json"), *v);
        }
        self.write_snapshot_meta(snap.version + 1, &meta, now)?;
        self.write_timestamp(ts.version + 1, snap.version + 1, now)
    }

    pub(crate) fn write_targets(
        &self,
        v: u64,
        list: &BTreeMap<String, TargetFile>,
        delegations: Option<&Delegations>,
        now: i64,
    ) -> Result<(), Error> {
        self.write_targets_role("targets", v, list, delegations, now)
    }

    /// Write version `v` of targets role `role` with the targets and delegations of `t` (a
    /// re-signing, or a new version after a key change).
    fn write_targets_again(&self, role: &str, v: u64, t: &Targets, now: i64) -> Result<(), Error> {
        self.write_targets_role(role, v, &t.targets, t.delegations.as_ref(), now)
    }

    /// Write version `v` of targets role `role`, signed by the role's keys (all of a
    /// delegated role's keys).
    pub(crate) fn write_targets_role(
        &self,
        role: &str,
        v: u64,
        list: &BTreeMap<String, TargetFile>,
        delegations: Option<&Delegations>,
        now: i64,
    ) -> Result<(), Error> {
        let mut signed = header("targets", v, now + TARGETS_LIFETIME);
        signed.insert(
            "targets".into(),
            serde_json::to_value(list).unwrap_or(Value::Null),
        );
        if let Some(d) = delegations {
            signed.insert(
                "delegations".into(),
                serde_json::to_value(d).unwrap_or(Value::Null),
            );
        }
        let env = if role == "targets" {
            metadata::sign(&Value::Object(signed), &[self.key("targets")?])?
        } else {
            let keys = self.delegated_keys(role, None)?;
            let signers: Vec<&dyn Signer> = keys.iter().map(|k| k as &dyn Signer).collect();
            metadata::sign(&Value::Object(signed), &signers)?
        };
        write_atomic(&self.dir.join(targets_file(role, v)), &env.to_vec(), false)
    }

    /// Snapshot version `v` naming targets version `targets_v` and, unchanged, the delegated
    /// roles the published snapshot names.
    pub(crate) fn write_snapshot(&self, v: u64, targets_v: u64, now: i64) -> Result<(), Error> {
        let mut meta: BTreeMap<String, u64> = self
            .current_meta()?
            .map(|(snap, _)| {
                snap.meta
                    .iter()
                    .map(|(k, m)| (k.clone(), m.version))
                    .collect()
            })
            .unwrap_or_default();
        meta.insert("targets.json".into(), targets_v);
        self.write_snapshot_meta(v, &meta, now)
    }

    /// Snapshot version `v` listing `meta` (`<role>.json` to version).
    pub(crate) fn write_snapshot_meta(
        &self,
        v: u64,
        meta: &BTreeMap<String, u64>,
        now: i64,
    ) -> Result<(), Error> {
        let mut signed = header("snapshot", v, now + SNAPSHOT_LIFETIME);
        let meta: serde_json::Map<String, Value> = meta
            .iter()
            .map(|(k, v)| (k.clone(), json!({ "version": v })))
            .collect();
        signed.insert("meta".into(), Value::Object(meta));
        let env = metadata::sign(&Value::Object(signed), &[self.key("snapshot")?])?;
        write_atomic(
            &self.dir.join(format!("{v}.snapshot.json")),
            &env.to_vec(),
            false,
        )
    }

    pub(crate) fn write_timestamp(&self, v: u64, snapshot_v: u64, now: i64) -> Result<(), Error> {
        let snap = read(&self.dir.join(format!("{snapshot_v}.snapshot.json")))?;
        let mut signed = header("timestamp", v, now + TIMESTAMP_LIFETIME);
        signed.insert(
            "meta".into(),
            json!({"snapshot.json": {
                "version": snapshot_v,
                "length": snap.len(),
                "hashes": {"sha256": hex::encode(signet_core::encoding::sha256(&snap))},
            }}),
        );
        let env = metadata::sign(&Value::Object(signed), &[self.key("timestamp")?])?;
        write_atomic(&self.dir.join("timestamp.json"), &env.to_vec(), false)
    }

    /// Re-sign whatever expires within half its lifetime: root (with the same keys), targets,
    /// delegated targets roles, snapshot and timestamp. Returns the roles re-signed
    /// (`delegated` once for any delegated roles).
    pub fn refresh(&self, now: i64) -> Result<Vec<&'static str>, Error> {
        let mut done = Vec::new();
        let (_, root) = self.root()?;
        if metadata::expires_unix("root", &root.expires)? - now < ROOT_LIFETIME / 2 {
            self.write_root(root.version + 1, now, &[])?;
            done.push("root");
        }
        let Some((targets, snap, ts)) = self.current()? else {
            return Ok(done);
        };
        let due = |role: &str, exp: &str, life: i64| -> Result<bool, Error> {
            Ok(metadata::expires_unix(role, exp)? - now < life / 2)
        };
        let mut meta: BTreeMap<String, u64> = snap
            .meta
            .iter()
            .map(|(k, m)| (k.clone(), m.version))
            .collect();
        let mut changed = false;
        if due("targets", &targets.expires, TARGETS_LIFETIME)? {
            self.write_targets_again("targets", targets.version + 1, &targets, now)?;
            meta.insert("targets.json".into(), targets.version + 1);
            changed = true;
            done.push("targets");
        }
        for (file, m) in &snap.meta {
            let Some(role) = file.strip_suffix(".json").filter(|r| *r != "targets") else {
                continue;
            };
            let t = self.read_targets_role(role, m.version)?;
            if due(role, &t.expires, TARGETS_LIFETIME)? {
                self.write_targets_again(role, m.version + 1, &t, now)?;
                meta.insert(file.clone(), m.version + 1);
                changed = true;
                if !done.contains(&"delegated") {
                    done.push("delegated");
                }
            }
        }
        let mut sv = snap.version;
        if changed || due("snapshot", &snap.expires, SNAPSHOT_LIFETIME)? {
            sv += 1;
            self.write_snapshot_meta(sv, &meta, now)?;
            done.push("snapshot");
        }
        if sv != snap.version || due("timestamp", &ts.expires, TIMESTAMP_LIFETIME)? {
            self.write_timestamp(ts.version + 1, sv, now)?;
            done.push("timestamp");
        }
        Ok(done)
    }

    /// The earliest time anything needs re-signing (Unix seconds).
    pub fn next_refresh(&self) -> Result<i64, Error> {
        let (_, root) = self.root()?;
        let mut t = metadata::expires_unix("root", &root.expires)? - ROOT_LIFETIME / 2;
        if let Some((targets, snap, ts)) = self.current()? {
            for (role, exp, life) in [
                ("targets", &targets.expires, TARGETS_LIFETIME),
                ("snapshot", &snap.expires, SNAPSHOT_LIFETIME),
                ("timestamp", &ts.expires, TIMESTAMP_LIFETIME),
            ] {
                t = t.min(metadata::expires_unix(role, exp)? - life / 2);
            }
            for (file, m) in &snap.meta {
                let Some(role) = file.strip_suffix(".json").filter(|r| *r != "targets") else {
                    continue;
                };
                let d = self.read_targets_role(role, m.version)?;
                t = t.min(metadata::expires_unix(role, &d.expires)? - TARGETS_LIFETIME / 2);
            }
        }
        Ok(t)
    }
}
