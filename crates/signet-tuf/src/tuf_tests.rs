//! Client workflow tests against a repository written by [`crate::repo`].

use std::path::{Path, PathBuf};

use crate::client::{Fetcher, Updater};
use crate::metadata::Envelope;
use crate::repo::Repository;
use crate::Error;

const DAY: i64 = 86400;
const BASE: &str = "mem://repo";

struct DirFetcher(PathBuf);

impl Fetcher for DirFetcher {
    fn fetch(&self, url: &str, _max: u64) -> Result<Option<Vec<u8>>, Error> {
        let name = url.strip_prefix("mem://repo/").unwrap();
        Ok(std::fs::read(self.0.join(name)).ok())
    }
}

struct Setup {
    _tmp: tempfile::TempDir,
    repo: Repository,
    cache: PathBuf,
    bootstrap: Vec<u8>,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A repository set up now, and that time.
fn setup_now() -> (Setup, i64) {
    let n = now();
    (setup(n), n)
}

fn setup(t0: i64) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let repo =
        Repository::open_or_init(&tmp.path().join("tuf"), &tmp.path().join("keys"), t0).unwrap();
    repo.publish_targets(
        &[
            ("trusted_root.json", b"{\"root\":1}"),
            ("signing_config.v0.2.json", b"{\"sc\":1}"),
        ],
        t0,
    )
    .unwrap();
    let bootstrap = std::fs::read(repo.dir().join("1.root.json")).unwrap();
    let cache = tmp.path().join("cache");
    Setup {
        _tmp: tmp,
        repo,
        cache,
        bootstrap,
    }
}

impl Setup {
    fn updater(&self, now: i64) -> Updater<DirFetcher> {
        Updater::new(
            BASE,
            &self.cache,
            Some(&self.bootstrap),
            DirFetcher(self.repo.dir().to_path_buf()),
            now,
        )
        .unwrap()
    }
    fn refresh(&self, now: i64) -> Result<Updater<DirFetcher>, Error> {
        let mut u = self.updater(now);
        u.refresh()?;
        Ok(u)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.repo.dir().join(name)
    }
}

fn rewrite(path: &Path, f: impl FnOnce(&mut Envelope)) {
    let mut env: Envelope = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    f(&mut env);
    std::fs::write(path, env.to_vec()).unwrap();
}

/// The repository's signing key in `keys/<file>`.
fn repo_key(s: &Setup, file: &str) -> signet_core::keys::EdKey {
    signet_core::keys::EdKey::from_pkcs8(
        &std::fs::read(s.repo.dir().join("../keys").join(file)).unwrap(),
    )
    .unwrap()
}

/// Replace the metadata at `path` by its signed part signed with `key` alone.
fn resign(path: &Path, key: &signet_core::keys::EdKey) {
    rewrite(path, |env| {
        *env = crate::metadata::sign(&env.signed, &[key]).unwrap();
    });
}

/// A refresh at `n` fails because `role`'s metadata has expired.
fn assert_expired(s: &Setup, n: i64, role: &str) {
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::Expired { role: r, .. } if r == role),
        "{e}"
    );
}

#[test]
fn happy_path_and_cache() {
    let (s, n) = setup_now();
    let u = s.refresh(n).unwrap();
    assert_eq!(u.target("trusted_root.json").unwrap(), b"{\"root\":1}");
    assert_eq!(u.target("signing_config.v0.2.json").unwrap(), b"{\"sc\":1}");
    let c = crate::client::read_cached(&s.cache, "trusted_root.json", n).unwrap();
    assert_eq!(c.bytes, b"{\"root\":1}");
    assert!(c.expired.is_none());
    // A second refresh with new targets moves forward.
    s.repo
        .publish_targets(&[("trusted_root.json", b"{\"root\":2}")], n)
        .unwrap();
    let u = s.refresh(n).unwrap();
    assert_eq!(u.target("trusted_root.json").unwrap(), b"{\"root\":2}");
    assert!(matches!(
        u.target("signing_config.v0.2.json"),
        Err(Error::NoSuchTarget { .. })
    ));
}

#[test]
fn expired_timestamp() {
    let n = now();
    let s = setup(n - 2 * DAY);
    assert_expired(&s, n, "timestamp");
    // The server's refresh re-signs it.
    assert!(s.repo.refresh(n).unwrap().contains(&"timestamp"));
    s.refresh(n).unwrap();
}

/// A repository set up `days` ago, with the roles checked before `role` re-signed now (a new
/// snapshot `(version, targets version)`, a new timestamp `(version, snapshot version)`),
/// fails on `role`.
#[test]
fn expired_snapshot_targets_and_root() {
    let n = now();
    for (role, days, snapshot, timestamp) in [
        ("snapshot", 8, None, Some((2, 1))),
        ("targets", 91, Some((2, 1)), Some((2, 2))),
        ("root", 366, None, None),
    ] {
        let s = setup(n - days * DAY);
        if let Some((v, targets_v)) = snapshot {
            s.repo.write_snapshot(v, targets_v, n).unwrap();
        }
        if let Some((v, snapshot_v)) = timestamp {
            s.repo.write_timestamp(v, snapshot_v, n).unwrap();
        }
        assert_expired(&s, n, role);
    }
}

#[test]
fn timestamp_rollback_rejected() {
    let (s, n) = setup_now();
    let old_ts = std::fs::read(s.path("timestamp.json")).unwrap();
    s.repo
        .publish_targets(&[("trusted_root.json", b"{\"root\":2}")], n)
        .unwrap();
    s.refresh(n).unwrap();
    // A fresh client process (trusted timestamp from the cache) is offered the old one.
    std::fs::write(s.path("timestamp.json"), old_ts).unwrap();
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::Rollback { role, trusted: 2, found: 1 } if role == "timestamp"),
        "{e}"
    );
}

#[test]
fn snapshot_rollback_rejected() {
    let (s, n) = setup_now();
    s.repo
        .publish_targets(&[("trusted_root.json", b"{\"root\":2}")], n)
        .unwrap();
    s.refresh(n).unwrap();
    // Snapshot v3 listing targets v1 (lower than the trusted v2), under a valid timestamp v3.
    s.repo.write_snapshot(3, 1, n).unwrap();
    s.repo.write_timestamp(3, 3, n).unwrap();
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(
            &e,
            Error::Rollback {
                trusted: 2,
                found: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn tampered_signature_rejected() {
    let (s, n) = setup_now();
    rewrite(&s.path("timestamp.json"), |env| {
        env.signed["version"] = serde_json::json!(7);
    });
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::Threshold { role, expected: 1, found: 0, .. } if role == "timestamp"),
        "{e}"
    );
}

#[test]
fn signature_by_wrong_key_rejected() {
    let (s, n) = setup_now();
    // Targets signed by the snapshot key (authorized key IDs differ): below threshold.
    let snap_key = repo_key(&s, "tuf-snapshot.pk8");
    resign(&s.path("1.targets.json"), &snap_key);
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::Threshold { role, found: 0, .. } if role == "targets"),
        "{e}"
    );
}

#[test]
fn root_rotation_through_chain() {
    let n = now();
    let mut s = setup(n);
    s.refresh(n).unwrap();
    assert_eq!(s.repo.rotate_root(n).unwrap(), 2);
    assert_eq!(s.repo.rotate_root(n).unwrap(), 3);
    let u = s.refresh(n).unwrap();
    assert_eq!(u.root().version, 3);
    // A client bootstrapped from v1 with an empty cache walks 1 -> 2 -> 3 too.
    std::fs::remove_dir_all(&s.cache).unwrap();
    assert_eq!(s.refresh(n).unwrap().root().version, 3);
}

/// Rotate the root once, sign root v2 with the key in `key_file` alone, and check the
/// client's refresh rejects the rotation with a reason containing `reason_part`.
fn assert_root_v2_signed_only_by_rejected(key_file: &str, reason_part: &str) {
    let n = now();
    let mut s = setup(n);
    s.repo.rotate_root(n).unwrap();
    let key = repo_key(&s, key_file);
    resign(&s.path("2.root.json"), &key);
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::RootRotation { version: 2, reason } if reason.contains(reason_part)),
        "{e}"
    );
}

#[test]
fn root_rotation_signed_only_by_new_key_rejected() {
    assert_root_v2_signed_only_by_rejected("tuf-root.pk8", "trusted root v1");
}

#[test]
fn root_rotation_signed_only_by_old_key_rejected() {
    assert_root_v2_signed_only_by_rejected("tuf-root.v1.pk8", "its own");
}

#[test]
fn target_hash_mismatch_rejected() {
    let (s, n) = setup_now();
    let sha = hex::encode(signet_core::encoding::sha256(b"{\"root\":1}"));
    // Same length, different content.
    std::fs::write(
        s.path(&format!("targets/{sha}.trusted_root.json")),
        b"{\"root\":9}",
    )
    .unwrap();
    let u = s.refresh(n).unwrap();
    let e = u.target("trusted_root.json").err().unwrap();
    assert!(
        matches!(&e, Error::Hash { alg, expected, .. } if alg == "sha256" && *expected == sha),
        "{e}"
    );
}

#[test]
fn snapshot_hash_mismatch_rejected() {
    let (s, n) = setup_now();
    // Re-signed snapshot with the same version: timestamp's sha256 no longer matches.
    s.repo.write_snapshot(1, 1, n + 1).unwrap();
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::Hash { what, .. } | Error::Length { what, .. } if what == "snapshot.json"),
        "{e}"
    );
}

#[test]
fn embedded_public_good_root_bootstraps() {
    let tmp = tempfile::tempdir().unwrap();
    // No network: a fetcher that finds nothing ends the root chain at the embedded version.
    struct Nothing;
    impl Fetcher for Nothing {
        fn fetch(&self, _: &str, _: u64) -> Result<Option<Vec<u8>>, Error> {
            Ok(None)
        }
    }
    let u = Updater::new(
        crate::Instance::Production.tuf_url(),
        tmp.path(),
        Some(crate::Instance::Production.tuf_root_json()),
        Nothing,
        now(),
    )
    .unwrap();
    assert!(u.root().version >= 1);
}

// --- Legacy key encodings (public-good root versions 1-8) ---

#[test]
fn legacy_hex_ecdsa_root_history_walks_to_current_root() {
    use crate::repo::KeyScheme;
    let n = now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tuf");
    let mut repo =
        Repository::open_or_init_with(&dir, &tmp.path().join("keys"), n, KeyScheme::EcdsaLegacyHex)
            .unwrap();
    repo.publish_targets(&[("trusted_root.json", b"{\"root\":1}")], n)
        .unwrap();
    // v2: root key rotated, still hex; v3: the same ECDSA keys re-encoded as PEM (new key
    // IDs); v4: ed25519 keys.
    assert_eq!(repo.rotate_root(n).unwrap(), 2);
    assert_eq!(repo.rotate_scheme(n, KeyScheme::EcdsaPem).unwrap(), 3);
    assert_eq!(repo.rotate_scheme(n, KeyScheme::Ed25519).unwrap(), 4);
    let keys_of = |v: u64| -> Vec<crate::metadata::Key> {
        let env = Envelope::from_slice(
            "root",
            &std::fs::read(dir.join(format!("{v}.root.json"))).unwrap(),
        )
        .unwrap();
        let root: crate::metadata::Root = env.parse_signed("root").unwrap();
        root.keys.into_values().collect()
    };
    for v in [1, 2] {
        for k in keys_of(v) {
            assert_eq!(k.keytype, "ecdsa-sha2-nistp256");
            assert_eq!(k.keyval.public.len(), 130, "hex 04||X||Y");
            assert!(k.keyval.public.starts_with("04"));
        }
    }
    assert!(keys_of(3)
        .iter()
        .all(|k| k.keytype == "ecdsa" && k.keyval.public.starts_with("-----BEGIN PUBLIC KEY")));
    assert!(keys_of(4).iter().all(|k| k.keytype == "ed25519"));

    // What `signet trust-instance 1.root.json` does, then a refresh from an empty cache.
    let cache = tmp.path().join("cache");
    let v1 = std::fs::read(dir.join("1.root.json")).unwrap();
    assert_eq!(crate::client::trust_instance(&cache, &v1).unwrap(), 1);
    let mut u = Updater::new(BASE, &cache, None, DirFetcher(dir.clone()), n).unwrap();
    u.refresh().unwrap();
    assert_eq!(u.root().version, 4);
    assert_eq!(u.target("trusted_root.json").unwrap(), b"{\"root\":1}");

    // The v2 -> v3 step must carry the threshold of v2's (hex-encoded) root key ID: the same
    // key's signature under its PEM key ID alone does not count for v2.
    let v3 = dir.join("3.root.json");
    rewrite(&v3, |env| {
        let pem_id = keys_of(3)
            .iter()
            .map(|k| k.key_id())
            .collect::<std::collections::BTreeSet<_>>();
        env.signatures.retain(|s| pem_id.contains(&s.keyid));
    });
    let cache2 = tmp.path().join("cache2");
    crate::client::trust_instance(&cache2, &v1).unwrap();
    let mut u = Updater::new(BASE, &cache2, None, DirFetcher(dir), n).unwrap();
    let e = u.refresh().err().unwrap();
    assert!(
        matches!(&e, Error::RootRotation { version: 3, reason } if reason.contains("trusted root v2")),
        "{e}"
    );
}

// --- Delegated targets (specification §5.6.7) ---

use crate::repo::{DelegationScope, NewDelegation};

const NPM: &str = "registry.npmjs.org";
const NPM_KEYS: &str = "registry.npmjs.org/keys.json";

fn deleg(
    name: &str,
    paths: &[&str],
    terminating: bool,
    threshold: u32,
    keys: u32,
) -> NewDelegation {
    NewDelegation {
        name: name.into(),
        scope: DelegationScope::Paths(paths.iter().map(|s| s.to_string()).collect()),
        terminating,
        threshold,
        keys,
    }
}

impl Setup {
    /// Delegate `paths` from `parent` to a new role `name`, one key, threshold 1.
    fn delegate(&self, parent: &str, name: &str, paths: &[&str], terminating: bool, n: i64) {
        self.repo
            .delegate(parent, &deleg(name, paths, terminating, 1, 1), n)
            .unwrap();
    }
    /// Publish `files` as delegated role `role`'s targets.
    fn publish_delegated(&self, role: &str, files: &[(&str, &[u8])], n: i64) {
        self.repo.publish_delegated_targets(role, files, n).unwrap();
    }
    /// Delegate `registry.npmjs.org/*` to role NPM (`keys` keys, `threshold`), which lists
    /// NPM_KEYS as `{"npm":1}`.
    fn delegate_npm(&self, threshold: u32, keys: u32, n: i64) {
        self.repo
            .delegate(
                "targets",
                &deleg(NPM, &["registry.npmjs.org/*"], false, threshold, keys),
                n,
            )
            .unwrap();
        self.publish_delegated(NPM, &[(NPM_KEYS, b"{\"npm\":1}")], n);
    }
    /// The error reading NPM_KEYS after a refresh at `n`.
    fn npm_keys_err(&self, n: i64) -> Error {
        self.refresh(n).unwrap().target(NPM_KEYS).err().unwrap()
    }
}

/// A repository set up now, with NPM delegated (`keys` keys, `threshold`), and that time.
fn setup_npm(threshold: u32, keys: u32) -> (Setup, i64) {
    let (s, n) = setup_now();
    s.delegate_npm(threshold, keys, n);
    (s, n)
}

/// The newest published file of delegated role `role`.
fn newest(s: &Setup, role: &str) -> PathBuf {
    let mut v = 1;
    while s.path(&format!("{}.{role}.json", v + 1)).exists() {
        v += 1;
    }
    s.path(&format!("{v}.{role}.json"))
}

#[test]
fn target_only_in_delegated_role_is_found_and_cached_for_offline_reads() {
    let (s, n) = setup_npm(1, 1);
    let u = s.refresh(n).unwrap();
    assert!(!u.targets().unwrap().targets.contains_key(NPM_KEYS));
    assert_eq!(u.target(NPM_KEYS).unwrap(), b"{\"npm\":1}");
    assert_eq!(u.target("trusted_root.json").unwrap(), b"{\"root\":1}");
    assert!(s.cache.join("delegations/registry.npmjs.org.json").exists());
    let c = crate::client::read_cached(&s.cache, NPM_KEYS, n).unwrap();
    assert_eq!(c.bytes, b"{\"npm\":1}");
    // Top-level targets published later keep the delegation.
    s.repo
        .publish_targets(&[("trusted_root.json", b"{\"root\":2}")], n)
        .unwrap();
    assert_eq!(
        s.refresh(n).unwrap().target(NPM_KEYS).unwrap(),
        b"{\"npm\":1}"
    );
    // And an update of the delegated role reaches the client.
    s.publish_delegated(NPM, &[(NPM_KEYS, b"{\"npm\":2}")], n);
    assert_eq!(
        s.refresh(n).unwrap().target(NPM_KEYS).unwrap(),
        b"{\"npm\":2}"
    );
    // Names not listed anywhere are still not found, naming the roles searched.
    let e = s
        .refresh(n)
        .unwrap()
        .target("registry.npmjs.org/other.json")
        .err()
        .unwrap();
    assert!(
        matches!(&e, Error::NoSuchTarget { found, .. } if found.contains("roles searched: registry.npmjs.org, targets")),
        "{e}"
    );
}

#[test]
fn delegated_role_below_its_threshold_is_rejected() {
    let (s, n) = setup_npm(2, 2);
    let f = newest(&s, NPM);
    rewrite(&f, |env| {
        assert_eq!(env.signatures.len(), 2);
        env.signatures.truncate(1);
    });
    let e = s.npm_keys_err(n);
    assert!(
        matches!(&e, Error::Threshold { role, expected: 2, found: 1, .. } if role == NPM),
        "{e}"
    );
}

#[test]
fn delegated_role_signed_by_a_key_it_was_not_delegated_is_rejected() {
    let (s, n) = setup_npm(1, 1);
    // Signed by the top-level targets key, which the delegation does not list.
    let targets_key = repo_key(&s, "tuf-targets.pk8");
    resign(&newest(&s, NPM), &targets_key);
    let e = s.npm_keys_err(n);
    assert!(
        matches!(&e, Error::Threshold { role, found: 0, .. } if role == NPM),
        "{e}"
    );
}

#[test]
fn delegated_metadata_with_another_version_than_the_snapshot_names_is_rejected() {
    let (s, n) = setup_npm(1, 1);
    // Version 1 (validly signed, no targets) served where the snapshot names version 2.
    std::fs::copy(
        s.path("1.registry.npmjs.org.json"),
        s.path("2.registry.npmjs.org.json"),
    )
    .unwrap();
    let e = s.npm_keys_err(n);
    assert!(
        matches!(&e, Error::Version { role, expected: 2, found: 1 } if role == NPM),
        "{e}"
    );
}

#[test]
fn target_in_delegated_role_whose_paths_do_not_match_is_not_found() {
    let (s, n) = setup_now();
    s.delegate("targets", "other", &["other/*"], false, n);
    s.publish_delegated("other", &[(NPM_KEYS, b"{\"npm\":1}"), ("other/x", b"x")], n);
    let u = s.refresh(n).unwrap();
    // The role is searched for what it is trusted for...
    assert_eq!(u.target("other/x").unwrap(), b"x");
    // ...but what it lists outside its paths is not trusted.
    let e = u.target(NPM_KEYS).err().unwrap();
    assert!(matches!(&e, Error::NoSuchTarget { .. }), "{e}");
}

#[test]
fn path_hash_prefixes_select_the_delegated_role() {
    let (s, n) = setup_now();
    let prefix = hex::encode(signet_core::encoding::sha256(NPM_KEYS.as_bytes()));
    for (name, p) in [
        ("bin-a", prefix[..2].to_string()),
        ("bin-b", "zz".to_string()),
    ] {
        let mut d = deleg(name, &[], false, 1, 1);
        d.scope = DelegationScope::PathHashPrefixes(vec![p]);
        s.repo.delegate("targets", &d, n).unwrap();
        s.publish_delegated(name, &[(NPM_KEYS, name.as_bytes())], n);
    }
    let u = s.refresh(n).unwrap();
    assert_eq!(u.target(NPM_KEYS).unwrap(), b"bin-a");
    // Only bin-b (whose prefix does not match) lists "other": not found.
    s.publish_delegated("bin-b", &[("other", b"b")], n);
    let u = s.refresh(n).unwrap();
    let other_hash = hex::encode(signet_core::encoding::sha256(b"other"));
    assert!(!other_hash.starts_with("zz"));
    assert!(matches!(u.target("other"), Err(Error::NoSuchTarget { .. })));
}

#[test]
fn terminating_delegation_stops_the_search() {
    let (s, n) = setup_now();
    // "first" is trusted for npm/* but does not list npm/keys.json; "second" does.
    s.delegate("targets", "first", &["npm/*"], true, n);
    s.delegate("targets", "second", &["npm/*"], false, n);
    s.publish_delegated("second", &[("npm/keys.json", b"second")], n);
    let e = s.refresh(n).unwrap().target("npm/keys.json").err().unwrap();
    assert!(
        matches!(&e, Error::NoSuchTarget { found, .. } if !found.contains("second")),
        "{e}"
    );
    // The same delegation, not terminating: the search backtracks to "second".
    s.delegate("targets", "first", &["npm/*"], false, n);
    assert_eq!(
        s.refresh(n).unwrap().target("npm/keys.json").unwrap(),
        b"second"
    );
}

#[test]
fn delegations_are_searched_depth_first() {
    let (s, n) = setup_now();
    // targets -> a -> a1 (lists x), then targets -> b (lists x): a1 comes first.
    s.delegate("targets", "a", &["*"], false, n);
    s.delegate("targets", "b", &["*"], false, n);
    s.delegate("a", "a1", &["*"], false, n);
    s.publish_delegated("a1", &[("x", b"a1")], n);
    s.publish_delegated("b", &[("x", b"b")], n);
    let u = s.refresh(n).unwrap();
    assert_eq!(u.target("x").unwrap(), b"a1");
    // The nested role's metadata was verified with a's delegation keys and cached.
    assert!(s.cache.join("delegations/a1.json").exists());
    assert_eq!(
        crate::client::read_cached(&s.cache, "x", n).unwrap().bytes,
        b"a1"
    );
}
