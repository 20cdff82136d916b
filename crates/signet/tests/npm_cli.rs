//! `signet slsa verify-npm-package` end to end: attestations in the registry's shapes made by
//! VirtualSigstore, verified by the real binary with the registry's keys from a file, from a
//! TUF repository's delegated `registry.npmjs.org` role served on loopback (then offline from
//! the cache), and from the embedded public-good copy.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Output;

use common::{text, Cli};
use signet_testing::npm::{self, NpmPackage};
use signet_testing::{now, VirtualSigstore};
use signet_tuf::repo::{DelegationScope, NewDelegation, Repository};

/// A package, its attestations and the deployment's trusted root on disk.
struct Fixture {
    dir: tempfile::TempDir,
    pkg: NpmPackage,
}

impl Fixture {
    fn new() -> Fixture {
        let vs = VirtualSigstore::new().unwrap();
        let pkg = NpmPackage::new(b"package/index.js tarball\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let w = |name: &str, b: &[u8]| std::fs::write(dir.path().join(name), b).unwrap();
        w("demo-1.2.3.tgz", &pkg.tarball);
        w("attestations.json", &pkg.valid_document(&vs).unwrap());
        w(
            "trusted_root.json",
            vs.trusted_root_json().unwrap().as_bytes(),
        );
        w(
            "keys.json",
            &pkg.keys_json("npm:attestations", now() - 86400, None),
        );
        Fixture { dir, pkg }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    /// `signet GLOBAL slsa verify-npm-package` of the tarball with the default flags, `extra`
    /// after them; the TUF cache in the fixture's directory.
    fn run(&self, global: &[&str], extra: &[&str]) -> Output {
        self.run_version(global, npm::VERSION, extra)
    }

    /// As [`Fixture::run`], expecting package version `version`.
    fn run_version(&self, global: &[&str], version: &str, extra: &[&str]) -> Output {
        let mut args: Vec<String> = global.iter().map(|s| s.to_string()).collect();
        args.extend(
            [
                "slsa",
                "verify-npm-package",
                &self.path("demo-1.2.3.tgz"),
                "--attestations-path",
                &self.path("attestations.json"),
                "--package-name",
                npm::NAME,
                "--package-version",
                version,
                "--builder-id",
                npm::RUNNER,
                "--source-uri",
                npm::SOURCE_URI,
            ]
            .map(String::from),
        );
        args.extend(extra.iter().map(|s| s.to_string()));
        Cli::signet()
            .args(&args)
            .env("SIGNET_TUF_CACHE", self.dir.path().join("cache"))
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .run()
    }

    fn offline_root(&self) -> Vec<String> {
        vec![
            "--offline".into(),
            "--trusted-root".into(),
            self.path("trusted_root.json"),
        ]
    }
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[track_caller]
fn passes(o: &Output) -> String {
    let (_, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "Verified build using builder \"{}\" at commit {}",
            npm::RUNNER,
            npm::COMMIT
        )),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with("PASSED: SLSA verification passed"),
        "{err}"
    );
    err
}

#[track_caller]
fn fails(o: &Output, want: &str) {
    let (_, err) = text(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("FAILED: SLSA verification failed: "), "{err}");
    assert!(err.contains(want), "expected {want:?} in: {err}");
    assert!(!err.contains("PASSED"), "{err}");
}

#[test]
fn npm_package_verifies_with_registry_keys_from_a_file() {
    let f = Fixture::new();
    let g = f.offline_root();
    let keys = f.path("keys.json");
    let err = passes(&f.run(
        &as_strs(&g),
        &["--npm-keys", &keys, "--source-tag", "v1.2.3"],
    ));
    assert!(
        err.contains(&format!("npm registry key {}", f.pkg.key_id)),
        "{err}"
    );
    // --print-provenance prints the verified statement.
    let o = f.run(&as_strs(&g), &["--npm-keys", &keys, "--print-provenance"]);
    let st: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(st["subject"][0]["name"], npm::PURL);
    // Another version, another tag, another tarball: each fails for its reason.
    let with_keys = ["--npm-keys", keys.as_str()];
    let o = f.run_version(&as_strs(&g), "1.2.4", &with_keys);
    fails(&o, "package version mismatch");
    let o = f.run(
        &as_strs(&g),
        &[&with_keys[..], &["--source-tag", "v9"]].concat(),
    );
    fails(&o, "tag mismatch");
    std::fs::write(f.path("demo-1.2.3.tgz"), b"tampered tarball").unwrap();
    fails(
        &f.run(&as_strs(&g), &["--npm-keys", &keys]),
        "is not a subject",
    );
}

#[test]
fn npm_package_usage_errors_exit_2() {
    let f = Fixture::new();
    let g = f.offline_root();
    let o = f.run(&as_strs(&g), &["--npm-keys", &f.path("missing.json")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o).1);
    // Without --builder-id clap refuses.
    let o = Cli::signet()
        .args([
            "slsa",
            "verify-npm-package",
            "x.tgz",
            "--attestations-path",
            "a.json",
        ])
        .args([
            "--package-name",
            "n",
            "--package-version",
            "1",
            "--source-uri",
            "github.com/o/r",
        ])
        .run();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--builder-id"), "{}", text(&o).1);
}

/// Offline with the public-good repository: the registry keys embedded from @sigstore/tuf are
/// used; they do not list this test's registry key, and the error names the ones they list.
#[test]
fn npm_package_offline_uses_the_embedded_registry_keys() {
    let f = Fixture::new();
    let o = f.run(&as_strs(&f.offline_root()), &[]);
    fails(&o, "SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U");
}

/// Every file of the repository in `dir`, by its URL path.
fn routes(dir: &Path, prefix: &str, out: &mut HashMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = format!("{prefix}/{}", e.file_name().to_string_lossy());
        if e.file_type().unwrap().is_dir() {
            routes(&e.path(), &name, out);
        } else {
            out.insert(name, std::fs::read(e.path()).unwrap());
        }
    }
}

/// A TUF repository publishing the trusted root, with `registry.npmjs.org/keys.json` in a
/// delegated `registry.npmjs.org` role (as the public-good repository does), served on
/// loopback. Returns its URL and the initial root's path.
fn tuf_repository(f: &Fixture, keys: &[u8]) -> (String, String) {
    let (url, root, _) = tuf_repository_shared(f, keys);
    (url, root)
}

/// As [`tuf_repository`], with the served files, which the test may change.
fn tuf_repository_shared(f: &Fixture, keys: &[u8]) -> (String, String, common::SharedRoutes) {
    let t = now();
    let repo_dir = f.dir.path().join("repo");
    let repo = Repository::open_or_init(&repo_dir, &f.dir.path().join("repo-keys"), t).unwrap();
    let root = std::fs::read(f.path("trusted_root.json")).unwrap();
    repo.publish_targets(&[("trusted_root.json", &root)], t)
        .unwrap();
    let role = "registry.npmjs.org";
    let d = NewDelegation {
        name: role.into(),
        scope: DelegationScope::Paths(vec!["registry.npmjs.org/*".into()]),
        terminating: true,
        threshold: 1,
        keys: 1,
    };
    repo.delegate("targets", &d, t).unwrap();
    repo.publish_delegated_targets(role, &[(signet_tuf::NPM_KEYS_TARGET, keys)], t)
        .unwrap();
    let mut r = HashMap::new();
    routes(&repo_dir, "", &mut r);
    let shared = std::sync::Arc::new(std::sync::Mutex::new(r));
    let url = common::serve_shared(shared.clone());
    let root = repo_dir.join("1.root.json").to_string_lossy().into_owned();
    (url, root, shared)
}

/// `signet --instance URL trust-instance ROOT` into the fixture's TUF cache.
fn trust_instance(f: &Fixture, url: &str, root: &str) {
    let o = Cli::signet()
        .args(["--instance", url, "trust-instance", root])
        .env("SIGNET_TUF_CACHE", f.dir.path().join("cache"))
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .run();
    assert!(o.status.success(), "{}", text(&o).1);
}

#[test]
fn npm_package_verifies_with_registry_keys_from_a_tuf_delegated_role() {
    let f = Fixture::new();
    let (url, root) = tuf_repository(&f, &std::fs::read(f.path("keys.json")).unwrap());
    trust_instance(&f, &url, &root);
    passes(&f.run(&["--instance", &url], &[]));
    // The cache holds the delegated role and the keys: offline works too.
    passes(&f.run(&["--offline", "--instance", &url], &[]));
}

#[test]
fn npm_package_fails_when_the_tuf_keys_do_not_list_the_registry_key() {
    let f = Fixture::new();
    let other = NpmPackage::new(b"x").unwrap();
    let (url, root) = tuf_repository(&f, &other.keys_json("npm:attestations", 0, None));
    trust_instance(&f, &url, &root);
    fails(
        &f.run(&["--instance", &url], &[]),
        "which the keyring does not list",
    );
}

/// Keys the repository has replaced are not used when the new ones cannot be fetched: the
/// command fails naming the target (the public-good case, with an embedded copy to fall back
/// to, is `source::tests::target_the_fresh_metadata_names_but_cannot_be_fetched_is_an_error`).
#[test]
fn keys_the_refreshed_metadata_replaced_are_not_used_when_the_new_ones_cannot_be_fetched() {
    let f = Fixture::new();
    let keys = std::fs::read(f.path("keys.json")).unwrap();
    let (url, root, served) = tuf_repository_shared(&f, &keys);
    trust_instance(&f, &url, &root);
    passes(&f.run(&["--instance", &url], &[]));
    // The registry's keys change (another key); the new keys file is not served.
    let other = NpmPackage::new(b"x")
        .unwrap()
        .keys_json("npm:attestations", 0, None);
    let (repo_dir, keys_dir) = (f.dir.path().join("repo"), f.dir.path().join("repo-keys"));
    let repo = Repository::open_or_init(&repo_dir, &keys_dir, now()).unwrap();
    let role = "registry.npmjs.org";
    repo.publish_delegated_targets(role, &[(signet_tuf::NPM_KEYS_TARGET, &other)], now())
        .unwrap();
    let mut r = HashMap::new();
    routes(&repo_dir, "", &mut r);
    r.retain(|_, body| body != &other);
    *served.lock().unwrap() = r;
    let o = f.run(&["--instance", &url], &[]);
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("registry.npmjs.org/keys.json"), "{err}");
    assert!(!err.contains("PASSED"), "{err}");
}
