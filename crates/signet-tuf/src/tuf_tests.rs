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

#[test]
fn happy_path_and_cache() {
    let n = now();
    let s = setup(n);
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
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::Expired { role, .. } if role == "timestamp"),
        "{e}"
    );
    // The server's refresh re-signs it.
    assert!(s.repo.refresh(n).unwrap().contains(&"timestamp"));
    s.refresh(n).unwrap();
}

#[test]
fn expired_snapshot() {
    let n = now();
    let s = setup(n - 8 * DAY);
    s.repo.write_timestamp(2, 1, n).unwrap();
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::Expired { role, .. } if role == "snapshot"),
        "{e}"
    );
}

#[test]
fn expired_targets() {
    let n = now();
    let s = setup(n - 91 * DAY);
    s.repo.write_snapshot(2, 1, n).unwrap();
    s.repo.write_timestamp(2, 2, n).unwrap();
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::Expired { role, .. } if role == "targets"),
        "{e}"
    );
}

#[test]
fn expired_root() {
    let n = now();
    let s = setup(n - 366 * DAY);
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::Expired { role, .. } if role == "root"),
        "{e}"
    );
}

#[test]
fn timestamp_rollback_rejected() {
    let n = now();
    let s = setup(n);
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
    let n = now();
    let s = setup(n);
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
    let n = now();
    let s = setup(n);
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
    let n = now();
    let s = setup(n);
    // Targets signed by the snapshot key (authorized key IDs differ): below threshold.
    let snap_key = signet_core::keys::EdKey::from_pkcs8(
        &std::fs::read(s.repo.dir().join("../keys/tuf-snapshot.pk8")).unwrap(),
    )
    .unwrap();
    rewrite(&s.path("1.targets.json"), |env| {
        *env = crate::metadata::sign(&env.signed, &[&snap_key]).unwrap();
    });
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

#[test]
fn root_rotation_signed_only_by_new_key_rejected() {
    let n = now();
    let mut s = setup(n);
    s.repo.rotate_root(n).unwrap();
    let new_key = signet_core::keys::EdKey::from_pkcs8(
        &std::fs::read(s.repo.dir().join("../keys/tuf-root.pk8")).unwrap(),
    )
    .unwrap();
    rewrite(&s.path("2.root.json"), |env| {
        *env = crate::metadata::sign(&env.signed, &[&new_key]).unwrap();
    });
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::RootRotation { version: 2, reason } if reason.contains("trusted root v1")),
        "{e}"
    );
}

#[test]
fn root_rotation_signed_only_by_old_key_rejected() {
    let n = now();
    let mut s = setup(n);
    s.repo.rotate_root(n).unwrap();
    let old_key = signet_core::keys::EdKey::from_pkcs8(
        &std::fs::read(s.repo.dir().join("../keys/tuf-root.v1.pk8")).unwrap(),
    )
    .unwrap();
    rewrite(&s.path("2.root.json"), |env| {
        *env = crate::metadata::sign(&env.signed, &[&old_key]).unwrap();
    });
    let e = s.refresh(n).err().unwrap();
    assert!(
        matches!(&e, Error::RootRotation { version: 2, reason } if reason.contains("its own")),
        "{e}"
    );
}

#[test]
fn target_hash_mismatch_rejected() {
    let n = now();
    let s = setup(n);
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
    let n = now();
    let s = setup(n);
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
