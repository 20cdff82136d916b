//! A TUF repository writer for `signet serve`: one ed25519 key per top-level role, consistent
//! snapshots, and re-signing of short-lived metadata before it expires.
//!
//! Published layout (the directory is served as-is under `/tuf/`):
//! `N.root.json` (every version), `root.json` (newest), `N.targets.json`, `N.snapshot.json`,
//! `timestamp.json`, and targets at `targets/<sha256>.<name>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use signet_core::keys::EdKey;
use signet_core::time::format_rfc3339;

use crate::metadata::{self, Envelope, Key, MetaRole, Root, TargetFile, Targets, SPEC_VERSION};
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

/// A repository on disk: metadata in `dir`, role keys in `keys_dir` (`tuf-<role>.pk8`).
pub struct Repository {
    dir: PathBuf,
    keys_dir: PathBuf,
    keys: BTreeMap<&'static str, EdKey>,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repository({})", self.dir.display())
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

impl Repository {
    /// Open the repository, creating keys and `1.root.json` on first use.
    pub fn open_or_init(dir: &Path, keys_dir: &Path, now: i64) -> Result<Self, Error> {
        std::fs::create_dir_all(dir.join("targets")).map_err(|e| io(dir, e))?;
        std::fs::create_dir_all(keys_dir).map_err(|e| io(keys_dir, e))?;
        let mut keys = BTreeMap::new();
        for role in ROLES {
            keys.insert(
                role,
                load_or_create_key(&keys_dir.join(format!("tuf-{role}.pk8")))?,
            );
        }
        let repo = Repository {
            dir: dir.to_path_buf(),
            keys_dir: keys_dir.to_path_buf(),
            keys,
        };
        if repo.root_version()? == 0 {
            repo.write_root(1, now, &[])?;
        }
        Ok(repo)
    }

    /// The metadata directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn key(&self, role: &str) -> Result<&EdKey, Error> {
        self.keys
            .get(role)
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
        extra_signers: &[&EdKey],
    ) -> Result<(), Error> {
        let mut keys = serde_json::Map::new();
        let mut roles = serde_json::Map::new();
        for role in ROLES {
            let k = Key::ed25519(self.key(role)?.raw_public_key());
            let id = k.key_id();
            keys.insert(id.clone(), serde_json::to_value(&k).unwrap_or(Value::Null));
            roles.insert(role.into(), json!({"keyids": [id], "threshold": 1}));
        }
        let mut signed = header("root", version, now + ROOT_LIFETIME);
        signed.insert("consistent_snapshot".into(), json!(true));
        signed.insert("keys".into(), Value::Object(keys));
        signed.insert("roles".into(), Value::Object(roles));
        let mut signers: Vec<&EdKey> = extra_signers.to_vec();
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
    /// old key is kept as `tuf-root.v<N>.pk8`. Returns the new version.
    pub fn rotate_root(&mut self, now: i64) -> Result<u64, Error> {
        let v = self.root_version()?;
        let path = self.keys_dir.join("tuf-root.pk8");
        let archive = self.keys_dir.join(format!("tuf-root.v{v}.pk8"));
        std::fs::rename(&path, &archive).map_err(|e| io(&path, e))?;
        let new = load_or_create_key(&path)?;
        let old = self
            .keys
            .insert("root", new)
            .ok_or_else(|| Error::Key("no root key".into()))?;
        self.write_root(v + 1, now, &[&old])?;
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

    /// Current (targets, snapshot, timestamp) versions and metadata, if published.
    fn current(&self) -> Result<Option<(Targets, MetaRole, MetaRole)>, Error> {
        let Some(ts) = self.read_meta("timestamp.json", "timestamp")? else {
            return Ok(None);
        };
        let sv = ts.meta.get("snapshot.json").map(|m| m.version).unwrap_or(0);
        let Some(snap) = self.read_meta(&format!("{sv}.snapshot.json"), "snapshot")? else {
            return Ok(None);
        };
        let tv = snap
            .meta
            .get("targets.json")
            .map(|m| m.version)
            .unwrap_or(0);
        let p = self.dir.join(format!("{tv}.targets.json"));
        let targets: Targets =
            Envelope::from_slice("targets", &read(&p)?)?.parse_signed("targets")?;
        Ok(Some((targets, snap, ts)))
    }

    /// Publish `files` as the targets (a new targets/snapshot/timestamp version if they differ
    /// from what is published). Returns whether anything was written.
    pub fn publish_targets(&self, files: &[(&str, &[u8])], now: i64) -> Result<bool, Error> {
        let mut list = BTreeMap::new();
        for (name, bytes) in files {
            let sha = hex::encode(signet_core::encoding::sha256(bytes));
            write_atomic(
                &self.dir.join("targets").join(format!("{sha}.{name}")),
                bytes,
                false,
            )?;
            list.insert(
                name.to_string(),
                TargetFile {
                    length: bytes.len() as u64,
                    hashes: BTreeMap::from([("sha256".to_string(), sha)]),
                    custom: None,
                },
            );
        }
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
        self.write_targets(tv + 1, &list, now)?;
        self.write_snapshot(sv + 1, tv + 1, now)?;
        self.write_timestamp(tsv + 1, sv + 1, now)?;
        Ok(true)
    }

    pub(crate) fn write_targets(
        &self,
        v: u64,
        list: &BTreeMap<String, TargetFile>,
        now: i64,
    ) -> Result<(), Error> {
        let mut signed = header("targets", v, now + TARGETS_LIFETIME);
        signed.insert(
            "targets".into(),
            serde_json::to_value(list).unwrap_or(Value::Null),
        );
        let env = metadata::sign(&Value::Object(signed), &[self.key("targets")?])?;
        write_atomic(
            &self.dir.join(format!("{v}.targets.json")),
            &env.to_vec(),
            false,
        )
    }

    pub(crate) fn write_snapshot(&self, v: u64, targets_v: u64, now: i64) -> Result<(), Error> {
        let mut signed = header("snapshot", v, now + SNAPSHOT_LIFETIME);
        signed.insert(
            "meta".into(),
            json!({"targets.json": {"version": targets_v}}),
        );
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
    /// snapshot and timestamp. Returns the roles re-signed.
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
        let mut tv = targets.version;
        let mut sv = snap.version;
        if due("targets", &targets.expires, TARGETS_LIFETIME)? {
            tv += 1;
            self.write_targets(tv, &targets.targets, now)?;
            done.push("targets");
        }
        if tv != targets.version || due("snapshot", &snap.expires, SNAPSHOT_LIFETIME)? {
            sv += 1;
            self.write_snapshot(sv, tv, now)?;
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
        }
        Ok(t)
    }
}
