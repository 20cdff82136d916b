//! The TUF client workflow (specification §5): root rotation chain, timestamp, snapshot,
//! targets, the delegated targets search, then verified target downloads, with a local cache
//! for offline use.
//!
//! Cache layout: `root.json`, `timestamp.json`, `snapshot.json`, `targets.json`, delegated
//! targets roles as `delegations/<role>.json` (role name encoded by [`role_file_name`]), and
//! target files as `targets/<name>` (encoded by [`local_target_name`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::metadata::{
    check_expiry, check_hashes, verify_threshold, DelegatedRole, Delegations, Envelope, MetaFile,
    MetaRole, Root, TargetFile, Targets,
};
use crate::Error;

pub use signet_core::limits::{
    MAX_TUF_DELEGATIONS as MAX_DELEGATIONS, MAX_TUF_ROOT_ROTATIONS as MAX_ROOT_ROTATIONS,
};
use signet_core::limits::{
    MAX_TUF_META_BYTES as MAX_META, MAX_TUF_ROOT_BYTES as MAX_ROOT,
    MAX_TUF_TIMESTAMP_BYTES as MAX_TIMESTAMP,
};

/// Downloads files. `Ok(None)` means "not found" (HTTP 403/404), which ends the root chain.
pub trait Fetcher {
    /// Fetch `url`, at most `max_len` bytes.
    fn fetch(&self, url: &str, max_len: u64) -> Result<Option<Vec<u8>>, Error>;
}

/// A blocking HTTP(S) fetcher over Signet's one transport.
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    http: signet_http::Http,
}

impl HttpFetcher {
    /// A fetcher with a short connect timeout (so an offline machine fails fast).
    pub fn new() -> Result<Self, Error> {
        let http = signet_http::Http::new().map_err(|e| Error::Fetch {
            url: String::new(),
            reason: e.to_string(),
        })?;
        Ok(HttpFetcher { http })
    }
}

impl Fetcher for HttpFetcher {
    fn fetch(&self, url: &str, max_len: u64) -> Result<Option<Vec<u8>>, Error> {
        self.http
            .get_bytes(url, None, max_len)
            .map_err(|e| Error::Fetch {
                url: url.to_string(),
                reason: e.reason(),
            })
    }
}

/// Percent-encode a URL for use as a directory name, like Python's `quote(url, safe="")`.
pub fn url_dir_name(url: &str) -> String {
    let mut s = String::new();
    for b in url.trim_end_matches('/').bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The default cache directory for a repository URL:
/// `$SIGNET_TUF_CACHE` or `$XDG_CACHE_HOME/signet/tuf` or `~/.cache/signet/tuf`, then the
/// URL-escaped repository URL.
pub fn default_cache_dir(url: &str) -> Option<PathBuf> {
    let base = if let Some(p) = std::env::var_os("SIGNET_TUF_CACHE") {
        PathBuf::from(p)
    } else if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        PathBuf::from(p).join("signet/tuf")
    } else {
        PathBuf::from(std::env::var_os("HOME")?).join(".cache/signet/tuf")
    };
    Some(base.join(url_dir_name(url)))
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

/// Store a bootstrap root for `url` in `cache` (what `trust-instance` does): it must be a
/// self-signed root; any previously cached metadata for the URL is discarded.
pub fn trust_instance(cache: &Path, root_json: &[u8]) -> Result<u64, Error> {
    let env = Envelope::from_slice("root", root_json)?;
    let root: Root = env.parse_signed("root")?;
    root.verify_role("root", &env)?;
    if cache.exists() {
        std::fs::remove_dir_all(cache).map_err(|e| io(cache, e))?;
    }
    std::fs::create_dir_all(cache).map_err(|e| io(cache, e))?;
    write_atomic(&cache.join("root.json"), root_json)?;
    Ok(root.version)
}

/// A TUF updater for one repository.
pub struct Updater<F: Fetcher> {
    base: String,
    cache: PathBuf,
    fetcher: F,
    now: i64,
    root: Root,
    timestamp: Option<MetaRole>,
    snapshot: Option<MetaRole>,
    targets: Option<Targets>,
}

impl<F: Fetcher> std::fmt::Debug for Updater<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Updater({}, root v{})", self.base, self.root.version)
    }
}

/// What the trusted `parent` metadata (role `parent_role`) lists for `role`'s file: the version,
/// length and hashes it must have.
fn listed_meta(
    parent: Option<&MetaRole>,
    parent_role: &str,
    role: &str,
) -> Result<MetaFile, Error> {
    let parent = parent.ok_or_else(|| Error::Parse {
        role: role.into(),
        reason: format!("no trusted {parent_role}"),
    })?;
    let file = format!("{role}.json");
    parent.meta.get(&file).cloned().ok_or_else(|| Error::Parse {
        role: parent_role.into(),
        reason: format!("expected meta[{file:?}], found none"),
    })
}

impl<F: Fetcher> Updater<F> {
    /// Start from the cached `root.json` in `cache`, else from `bootstrap` (an embedded or
    /// operator-supplied root). `now` is the current Unix time, used for expiry checks.
    pub fn new(
        base_url: &str,
        cache: &Path,
        bootstrap: Option<&[u8]>,
        fetcher: F,
        now: i64,
    ) -> Result<Self, Error> {
        std::fs::create_dir_all(cache.join("targets")).map_err(|e| io(cache, e))?;
        let cached = cache.join("root.json");
        let bytes = match std::fs::read(&cached) {
            Ok(b) => b,
            Err(_) => match bootstrap {
                Some(b) => b.to_vec(),
                None => {
                    return Err(Error::NoTrustedRoot {
                        url: base_url.to_string(),
                    })
                }
            },
        };
        let env = Envelope::from_slice("root", &bytes)?;
        let root: Root = env.parse_signed("root")?;
        root.verify_role("root", &env)?;
        if !cached.exists() {
            write_atomic(&cached, &bytes)?;
        }
        Ok(Updater {
            base: base_url.trim_end_matches('/').to_string(),
            cache: cache.to_path_buf(),
            fetcher,
            now,
            root,
            timestamp: None,
            snapshot: None,
            targets: None,
        })
    }

    /// The trusted root.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The trusted targets metadata, after `refresh`.
    pub fn targets(&self) -> Option<&Targets> {
        self.targets.as_ref()
    }

    fn fetch(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>, Error> {
        self.fetcher.fetch(&format!("{}/{name}", self.base), max)
    }

    fn fetch_required(&self, name: &str, max: u64) -> Result<Vec<u8>, Error> {
        self.fetch(name, max)?.ok_or_else(|| Error::Fetch {
            url: format!("{}/{name}", self.base),
            reason: "not found (HTTP 404)".into(),
        })
    }

    /// Cached metadata that still verifies under the current root (else ignored).
    fn load_cached(&self, role: &str) -> Option<Envelope> {
        let b = std::fs::read(self.cache.join(format!("{role}.json"))).ok()?;
        let env = Envelope::from_slice(role, &b).ok()?;
        self.root.verify_role(role, &env).ok()?;
        Some(env)
    }

    /// Run the whole workflow: root chain, timestamp, snapshot, targets.
    pub fn refresh(&mut self) -> Result<(), Error> {
        self.update_root()?;
        let timestamp = self.fetch_required("timestamp.json", MAX_TIMESTAMP)?;
        self.apply_timestamp(&timestamp)?;
        let snapshot = self.fetch_listed(self.timestamp.as_ref(), "snapshot")?;
        self.apply_snapshot(&snapshot)?;
        let targets = self.fetch_listed(self.snapshot.as_ref(), "targets")?;
        self.apply_targets(&targets)
    }

    /// Apply one new root (spec 5.3.4-5.3.8): signed by the threshold of the trusted root's
    /// root keys and of its own, with exactly the next version number.
    pub fn apply_root(&mut self, bytes: &[u8], expected_version: u64) -> Result<(), Error> {
        let env = Envelope::from_slice("root", bytes)?;
        self.root
            .verify_role("root", &env)
            .map_err(|e| Error::RootRotation {
                version: expected_version,
                reason: format!("not signed by the trusted root v{}: {e}", self.root.version),
            })?;
        let new: Root = env.parse_signed("root")?;
        new.verify_role("root", &env)
            .map_err(|e| Error::RootRotation {
                version: expected_version,
                reason: format!("not signed by its own root keys: {e}"),
            })?;
        if new.version != expected_version {
            return Err(Error::Version {
                role: "root".into(),
                expected: expected_version,
                found: new.version,
            });
        }
        self.root = new;
        write_atomic(&self.cache.join("root.json"), bytes)
    }

    fn update_root(&mut self) -> Result<(), Error> {
        let start = self.root.version;
        for _ in 0..MAX_ROOT_ROTATIONS {
            let next = self.root.version + 1;
            let Some(bytes) = self.fetch(&format!("{next}.root.json"), MAX_ROOT)? else {
                break;
            };
            self.apply_root(&bytes, next)?;
        }
        check_expiry("root", &self.root.expires, self.now)?;
        if self.root.version != start {
            // 5.3.11: keys may have changed; cached metadata that no longer verifies is
            // dropped by load_cached, and a rotated timestamp/snapshot key resets rollback state.
            for role in ["timestamp", "snapshot"] {
                if self.load_cached(role).is_none() {
                    let _ = std::fs::remove_file(self.cache.join(format!("{role}.json")));
                }
            }
        }
        Ok(())
    }

    /// Verify and apply timestamp metadata bytes (5.4).
    pub fn apply_timestamp(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let env = Envelope::from_slice("timestamp", bytes)?;
        self.root.verify_role("timestamp", &env)?;
        let new: MetaRole = env.parse_signed("timestamp")?;
        let new_snap = new
            .meta
            .get("snapshot.json")
            .ok_or_else(|| Error::Parse {
                role: "timestamp".into(),
                reason: "expected meta[\"snapshot.json\"], found none".into(),
            })?
            .version;
        if let Some(old) = self.trusted_meta("timestamp") {
            if new.version < old.version {
                return Err(Error::Rollback {
                    role: "timestamp".into(),
                    trusted: old.version,
                    found: new.version,
                });
            }
            let old_snap = old
                .meta
                .get("snapshot.json")
                .map(|m| m.version)
                .unwrap_or(0);
            if new_snap < old_snap {
                return Err(Error::Rollback {
                    role: "snapshot (in timestamp)".into(),
                    trusted: old_snap,
                    found: new_snap,
                });
            }
        }
        check_expiry("timestamp", &new.expires, self.now)?;
        self.timestamp = Some(new);
        write_atomic(&self.cache.join("timestamp.json"), bytes)
    }

    fn trusted_meta(&self, role: &str) -> Option<MetaRole> {
        let cur = if role == "timestamp" {
            &self.timestamp
        } else {
            &self.snapshot
        };
        cur.clone()
            .or_else(|| self.load_cached(role)?.parse_signed(role).ok())
    }

    /// Check `bytes` against the length and hashes `want` gives, verify them as `role` metadata
    /// signed under the trusted root, and check they are the version `want` names.
    fn verify_listed<T: serde::de::DeserializeOwned>(
        &self,
        role: &str,
        bytes: &[u8],
        want: &MetaFile,
        version: impl Fn(&T) -> u64,
    ) -> Result<T, Error> {
        check_hashes(
            &format!("{role}.json"),
            bytes,
            want.length,
            want.hashes.as_ref(),
        )?;
        let env = Envelope::from_slice(role, bytes)?;
        self.root.verify_role(role, &env)?;
        let new: T = env.parse_signed(role)?;
        if version(&new) != want.version {
            return Err(Error::Version {
                role: role.into(),
                expected: want.version,
                found: version(&new),
            });
        }
        Ok(new)
    }

    /// Verify and apply snapshot metadata bytes (5.5) against the trusted timestamp.
    pub fn apply_snapshot(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let want = listed_meta(self.timestamp.as_ref(), "timestamp", "snapshot")?;
        let new: MetaRole =
            self.verify_listed("snapshot", bytes, &want, |m: &MetaRole| m.version)?;
        if let Some(old) = self.trusted_meta("snapshot") {
            for (name, m) in &old.meta {
                match new.meta.get(name) {
                    None => {
                        return Err(Error::Rollback {
                            role: format!("{name} (missing from snapshot)"),
                            trusted: m.version,
                            found: 0,
                        })
                    }
                    Some(n) if n.version < m.version => {
                        return Err(Error::Rollback {
                            role: name.clone(),
                            trusted: m.version,
                            found: n.version,
                        })
                    }
                    _ => {}
                }
            }
        }
        check_expiry("snapshot", &new.expires, self.now)?;
        self.snapshot = Some(new);
        write_atomic(&self.cache.join("snapshot.json"), bytes)
    }

    /// Fetch `role`'s metadata file, by the version `parent` lists when snapshots are
    /// consistent.
    fn fetch_listed(&self, parent: Option<&MetaRole>, role: &str) -> Result<Vec<u8>, Error> {
        let file = format!("{role}.json");
        let v = parent
            .and_then(|t| t.meta.get(&file))
            .map(|m| m.version)
            .unwrap_or(0);
        let name = if self.root.consistent_snapshot {
            format!("{v}.{file}")
        } else {
            file
        };
        self.fetch_required(&name, MAX_META)
    }

    /// Verify and apply targets metadata bytes (5.6) against the trusted snapshot.
    pub fn apply_targets(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let want = listed_meta(self.snapshot.as_ref(), "snapshot", "targets")?;
        let new: Targets = self.verify_listed("targets", bytes, &want, |t: &Targets| t.version)?;
        check_expiry("targets", &new.expires, self.now)?;
        self.targets = Some(new);
        write_atomic(&self.cache.join("targets.json"), bytes)
    }

    /// The description of target `name` from the trusted targets metadata, following
    /// delegations (specification §5.6.7) when the top-level targets do not list it. A
    /// delegated role's metadata is taken from the cache when it still matches the trusted
    /// snapshot, else downloaded (`<version>.<role>.json` with consistent snapshots), checked
    /// against the snapshot's version, length and hashes, verified with the delegating role's
    /// keys and threshold, and cached.
    pub fn target_info(&self, name: &str) -> Result<TargetFile, Error> {
        let targets = self.targets.as_ref().ok_or_else(|| Error::Parse {
            role: "targets".into(),
            reason: "refresh() has not run".into(),
        })?;
        search_target(name, targets, |role, parent| {
            self.load_delegated(role, parent)
        })
    }

    fn load_delegated(&self, role: &DelegatedRole, parent: &Delegations) -> Result<Targets, Error> {
        let snap = self.snapshot.as_ref().ok_or_else(|| Error::Parse {
            role: role.name.clone(),
            reason: "no trusted snapshot".into(),
        })?;
        let want = snapshot_entry(snap, &role.name)?;
        let cached = delegated_cache_path(&self.cache, &role.name);
        if let Ok(b) = std::fs::read(&cached) {
            if let Ok(t) = verify_delegated(role, parent, want, &b) {
                if check_expiry(&role.name, &t.expires, self.now).is_ok() {
                    return Ok(t);
                }
            }
        }
        let remote = if self.root.consistent_snapshot {
            format!("{}.{}.json", want.version, role_file_name(&role.name))
        } else {
            format!("{}.json", role_file_name(&role.name))
        };
        let b = self.fetch_required(&remote, want.length.unwrap_or(MAX_META))?;
        let t = verify_delegated(role, parent, want, &b)?;
        check_expiry(&role.name, &t.expires, self.now)?;
        let dir = self.cache.join("delegations");
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        write_atomic(&cached, &b)?;
        Ok(t)
    }

    /// A verified target: from the cache when it matches the trusted targets metadata, else
    /// downloaded (`targets/<sha256>.<name>` with consistent snapshots) and checked. The target
    /// may be listed by a delegated role (see [`Updater::target_info`]).
    pub fn target(&self, name: &str) -> Result<Vec<u8>, Error> {
        let info = self.target_info(name)?;
        let cached = self.cache.join("targets").join(local_target_name(name)?);
        if let Ok(b) = std::fs::read(&cached) {
            if check_hashes(name, &b, Some(info.length), Some(&info.hashes)).is_ok() {
                return Ok(b);
            }
        }
        let remote = match (self.root.consistent_snapshot, info.hashes.get("sha256")) {
            (true, Some(h)) => format!("targets/{}", hash_prefixed(name, h)),
            (true, None) => match info.hashes.iter().next() {
                Some((_, h)) => format!("targets/{}", hash_prefixed(name, h)),
                None => format!("targets/{name}"),
            },
            (false, _) => format!("targets/{name}"),
        };
        let b = self.fetch_required(&remote, info.length)?;
        check_hashes(name, &b, Some(info.length), Some(&info.hashes))?;
        write_atomic(&cached, &b)?;
        Ok(b)
    }
}

/// A target path with a consistent-snapshot hash prefix on its last segment (specification
/// §5.7.3: `a/b.json` is published as `a/<hash>.b.json`).
pub fn hash_prefixed(name: &str, hash: &str) -> String {
    match name.rsplit_once('/') {
        Some((dir, base)) => format!("{dir}/{hash}.{base}"),
        None => format!("{hash}.{name}"),
    }
}

/// The snapshot's `meta["<role>.json"]` entry.
fn snapshot_entry<'a>(snap: &'a MetaRole, role: &str) -> Result<&'a MetaFile, Error> {
    let file = format!("{role}.json");
    snap.meta.get(&file).ok_or_else(|| Error::Parse {
        role: "snapshot".into(),
        reason: format!("expected meta[{file:?}] for delegated role {role}, found none"),
    })
}

/// Where delegated role `role`'s metadata is cached.
fn delegated_cache_path(cache: &Path, role: &str) -> PathBuf {
    cache
        .join("delegations")
        .join(format!("{}.json", role_file_name(role)))
}

/// Check delegated role metadata `bytes` (specification §5.6.7.2 with §5.6.2-5.6.4): length
/// and hashes as the snapshot lists them, the threshold of signatures from the keys the
/// delegating role authorizes, `_type` targets, and the version the snapshot names. Expiry is
/// the caller's (enforced online, reported offline).
fn verify_delegated(
    role: &DelegatedRole,
    parent: &Delegations,
    want: &MetaFile,
    bytes: &[u8],
) -> Result<Targets, Error> {
    check_hashes(
        &format!("{}.json", role.name),
        bytes,
        want.length,
        want.hashes.as_ref(),
    )?;
    let env = Envelope::from_slice(&role.name, bytes)?;
    verify_threshold(&role.name, &parent.keys, &role.keyids, role.threshold, &env)?;
    let t: Targets = env.parse_typed("targets", &role.name)?;
    if t.version != want.version {
        return Err(Error::Version {
            role: role.name.clone(),
            expected: want.version,
            found: t.version,
        });
    }
    Ok(t)
}

/// The preorder depth-first search for target `name` of specification §5.6.7, from the
/// top-level targets `top`: a role's own targets first, then the delegated roles trusted for
/// `name` (`paths` / `path_hash_prefixes`) in the order listed, each one's subtree before the
/// next; a matching terminating delegation ends the search after its subtree; a role already
/// visited is skipped; at most [`MAX_DELEGATIONS`] delegated roles are visited. `load` returns a
/// delegated role's verified metadata given the role and the delegations that name it.
pub fn search_target(
    name: &str,
    top: &Targets,
    mut load: impl FnMut(&DelegatedRole, &Delegations) -> Result<Targets, Error>,
) -> Result<TargetFile, Error> {
    if let Some(t) = top.targets.get(name) {
        return Ok(t.clone());
    }
    let mut stack: Vec<(Rc<Delegations>, usize)> = Vec::new();
    if let Some(d) = &top.delegations {
        push_delegations(&mut stack, d.clone(), name);
    }
    let mut visited = BTreeSet::from(["targets".to_string()]);
    let mut listed: BTreeSet<String> = top.targets.keys().cloned().collect();
    let mut searched = 0usize;
    while let Some((parent, i)) = stack.pop() {
        let Some(role) = parent.roles.get(i) else {
            continue;
        };
        if visited.contains(&role.name) {
            continue;
        }
        if searched == MAX_DELEGATIONS {
            return Err(Error::DelegationLimit {
                name: name.into(),
                limit: MAX_DELEGATIONS,
                remaining: stack.len() + 1,
            });
        }
        let t = load(role, &parent)?;
        searched += 1;
        visited.insert(role.name.clone());
        if let Some(f) = t.targets.get(name) {
            return Ok(f.clone());
        }
        listed.extend(t.targets.into_keys());
        if let Some(d) = t.delegations {
            push_delegations(&mut stack, d, name);
        }
    }
    let mut found = listed.into_iter().collect::<Vec<_>>().join(", ");
    if visited.len() > 1 {
        found.push_str(&format!(
            " (roles searched: {})",
            visited.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Err(Error::NoSuchTarget {
        name: name.into(),
        found,
    })
}

/// Push the roles of `d` trusted for `name` so that the first listed is popped first; a
/// terminating one clears what was left to backtrack to and ends the list.
fn push_delegations(stack: &mut Vec<(Rc<Delegations>, usize)>, d: Delegations, name: &str) {
    let d = Rc::new(d);
    let mut children = Vec::new();
    for (i, r) in d.roles.iter().enumerate() {
        if r.is_delegated_path(name) {
            children.push(i);
            if r.terminating {
                stack.clear();
                break;
            }
        }
    }
    for i in children.into_iter().rev() {
        stack.push((Rc::clone(&d), i));
    }
}

/// A role name as one file or URL path component, like python-tuf's `quote(name, safe="")`:
/// everything but ASCII letters, digits and `_.-~` is percent-encoded.
pub fn role_file_name(name: &str) -> String {
    let mut s = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The cache file name of target `name`: one path component whatever the name holds, so a
/// signed target name such as `../../.bashrc` or `/etc/passwd` cannot write or read outside
/// the cache (GHSA-fcv2-xgw5-pqxf). `/`, `\` and `%` are percent-encoded as python-tuf does;
/// `.`, `..`, empty names and NUL are refused.
pub fn local_target_name(name: &str) -> Result<String, Error> {
    if name.is_empty() || name == "." || name == ".." || name.contains('\0') {
        return Err(Error::Parse {
            role: "targets".into(),
            reason: format!("target name {name:?} cannot be stored: expected a non-empty name other than \".\" and \"..\" without NUL"),
        });
    }
    Ok(name
        .replace('%', "%25")
        .replace('/', "%2F")
        .replace('\\', "%5C"))
}

/// Trust material read from the cache without touching the network.
#[derive(Debug, Clone)]
pub struct Cached {
    /// Target bytes.
    pub bytes: Vec<u8>,
    /// Seconds since the cache was last refreshed (from `timestamp.json`'s modification time).
    pub age_secs: Option<i64>,
    /// Set when the cached metadata has expired (a note, not an error, in offline mode).
    pub expired: Option<String>,
}

/// Read target `name` from `cache` offline: the cached targets metadata must verify under the
/// cached root and the file must match its hashes; a target listed only by a delegated role is
/// found through the cached delegated metadata, which must match the cached snapshot (verified
/// under the cached root) and verify with the delegating role's keys. Expiry is reported, not
/// enforced.
pub fn read_cached(cache: &Path, name: &str, now: i64) -> Result<Cached, Error> {
    let read = |p: PathBuf| std::fs::read(&p).map_err(|e| io(&p, e));
    let root_env = Envelope::from_slice("root", &read(cache.join("root.json"))?)?;
    let root: Root = root_env.parse_signed("root")?;
    root.verify_role("root", &root_env)?;
    let t_env = Envelope::from_slice("targets", &read(cache.join("targets.json"))?)?;
    root.verify_role("targets", &t_env)?;
    let targets: Targets = t_env.parse_signed("targets")?;
    let mut expired = None;
    let mut snapshot: Option<MetaRole> = None;
    let info = search_target(name, &targets, |role, parent| {
        if snapshot.is_none() {
            let env = Envelope::from_slice("snapshot", &read(cache.join("snapshot.json"))?)?;
            root.verify_role("snapshot", &env)?;
            snapshot = Some(env.parse_signed("snapshot")?);
        }
        let snap = snapshot.as_ref().ok_or_else(|| Error::Parse {
            role: "snapshot".into(),
            reason: "expected cached snapshot metadata, found none".into(),
        })?;
        let want = snapshot_entry(snap, &role.name)?;
        let t = verify_delegated(
            role,
            parent,
            want,
            &read(delegated_cache_path(cache, &role.name))?,
        )?;
        if let Err(e) = check_expiry(&role.name, &t.expires, now) {
            expired = Some(e.to_string());
        }
        Ok(t)
    })?;
    let bytes = read(cache.join("targets").join(local_target_name(name)?))?;
    check_hashes(name, &bytes, Some(info.length), Some(&info.hashes))?;
    let age_secs = std::fs::metadata(cache.join("timestamp.json"))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map(|d| d.as_secs() as i64);
    for (role, exp) in [("root", &root.expires), ("targets", &targets.expires)] {
        if let Err(e) = check_expiry(role, exp, now) {
            expired = Some(e.to_string());
        }
    }
    Ok(Cached {
        bytes,
        age_secs,
        expired,
    })
}

#[cfg(test)]
mod target_name_tests {
    use super::local_target_name;

    /// GHSA-fcv2-xgw5-pqxf: a signed target name must not escape the cache directory.
    #[test]
    fn ghsa_fcv2_xgw5_pqxf_target_name_path_traversal() {
        let dir = std::path::Path::new("/cache/targets");
        for hostile in [
            "../../.bashrc",
            "/etc/passwd",
            "a/../../b",
            "..\\..\\x",
            "%2e%2e/x",
        ] {
            let local = local_target_name(hostile).unwrap();
            let p = dir.join(&local);
            assert_eq!(p.parent(), Some(dir), "{hostile} -> {local}");
            assert_eq!(p.components().count(), dir.components().count() + 1);
        }
        for refused in ["", ".", "..", "a\0b"] {
            assert!(local_target_name(refused).is_err(), "{refused:?}");
        }
        assert_eq!(
            local_target_name("trusted_root.json").unwrap(),
            "trusted_root.json"
        );
    }
}

#[cfg(test)]
mod search_tests {
    use super::*;
    use std::collections::BTreeMap;

    fn role(name: &str) -> DelegatedRole {
        DelegatedRole {
            name: name.into(),
            keyids: vec!["k".into()],
            threshold: 1,
            terminating: false,
            paths: Some(vec!["*".into()]),
            path_hash_prefixes: None,
        }
    }

    fn targets(list: &[&str], delegated: &[&str]) -> Targets {
        Targets {
            type_: "targets".into(),
            spec_version: "1.0.31".into(),
            version: 1,
            expires: "2100-01-01T00:00:00Z".into(),
            targets: list
                .iter()
                .map(|n| {
                    (
                        n.to_string(),
                        TargetFile {
                            length: 1,
                            hashes: BTreeMap::new(),
                            custom: None,
                        },
                    )
                })
                .collect(),
            delegations: (!delegated.is_empty()).then(|| Delegations {
                keys: BTreeMap::new(),
                roles: delegated.iter().map(|n| role(n)).collect(),
            }),
        }
    }

    #[test]
    fn delegation_search_visits_at_most_max_delegations() {
        let names: Vec<String> = (0..40).map(|i| format!("r{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let top = targets(&[], &refs);
        for (holder, found) in [(MAX_DELEGATIONS - 1, true), (MAX_DELEGATIONS, false)] {
            let mut loads = 0;
            let r = search_target("x", &top, |r, _| {
                loads += 1;
                let has = r.name == format!("r{holder}");
                Ok(targets(if has { &["x"] } else { &[] }, &[]))
            });
            assert_eq!(loads, MAX_DELEGATIONS);
            if found {
                r.unwrap();
            } else {
                let e = r.unwrap_err();
                assert!(
                    matches!(
                        e,
                        Error::DelegationLimit {
                            limit: MAX_DELEGATIONS,
                            remaining: 8,
                            ..
                        }
                    ),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn delegation_cycle_visits_each_role_once() {
        let top = targets(&[], &["a"]);
        let mut loads = 0;
        let e = search_target("x", &top, |_, _| {
            loads += 1;
            Ok(targets(&[], &["a"]))
        })
        .unwrap_err();
        assert_eq!(loads, 1);
        assert!(matches!(e, Error::NoSuchTarget { .. }), "{e}");
    }

    #[test]
    fn hash_prefix_goes_on_the_last_segment() {
        assert_eq!(hash_prefixed("a/b/c.json", "ab"), "a/b/ab.c.json");
        assert_eq!(hash_prefixed("c.json", "ab"), "ab.c.json");
        assert_eq!(role_file_name("registry.npmjs.org"), "registry.npmjs.org");
        assert_eq!(role_file_name("a/b c"), "a%2Fb%20c");
    }
}
