//! TUF end to end: `signet serve` publishes its trust material over TUF under `/tuf`;
//! `signet trust-instance` + `signet --instance URL/tuf sign|verify`, root rotation followed by
//! clients, and sigstore-python 4.5.1's `--instance URL/tuf trust-instance|sign|verify`.

mod common;
use std::path::Path;
use std::process::Output;

use common::{peers_dir, Cli, Instance};

/// (stdout, stderr) with nothing left out: these tests check the trust-material notes.
fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const EMAIL: &str = "tuf@example.com";

/// Run signet with its TUF cache in `cache`.
fn signet(cache: &Path, args: &[&str]) -> Output {
    Cli::signet()
        .args(args)
        .env("SIGNET_TUF_CACHE", cache)
        .run()
}

/// `signet tuf rotate-root` on the (running) instance's data directory, asserting success.
fn rotate_root(inst: &Instance) {
    ok(&Cli::signet()
        .args(["tuf", "rotate-root", "--data-dir"])
        .arg(inst.dir.path())
        .run());
}

/// `signet GLOBAL verify identity ... a.txt` with a fresh TUF cache, next to a bundle that is
/// no bundle (trust material is chosen before the bundle is examined).
fn verify_before_the_bundle(global: &[&str]) -> Output {
    let (work, f) = common::work_file("a.txt", "x");
    std::fs::write(work.path().join("a.txt.sigstore.json"), "{}").unwrap();
    let mut args = global.to_vec();
    args.extend([
        "verify",
        "identity",
        "--cert-identity",
        EMAIL,
        "--cert-oidc-issuer",
        "https://issuer.example",
        f.to_str().unwrap(),
    ]);
    signet(&work.path().join("cache"), &args)
}

fn ok(o: &Output) -> String {
    let (out, err) = text(o);
    assert!(o.status.success(), "stdout:\n{out}\nstderr:\n{err}");
    err
}

#[test]
fn signet_trust_instance_sign_verify_and_root_rotation() {
    let mut inst = Instance::start();
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let tuf = format!("{}/tuf", inst.url);
    let root = inst.dir.path().join("tuf/1.root.json");
    let err = ok(&signet(
        &cache,
        &["trust-instance", root.to_str().unwrap(), "--instance", &tuf],
    ));
    assert!(err.contains("trusting TUF root v1"), "{err}");

    let f = work.path().join("a.txt");
    std::fs::write(&f, "signed with TUF trust\n").unwrap();
    let token = inst.token(EMAIL);
    ok(&signet(
        &cache,
        &[
            "--instance",
            &tuf,
            "sign",
            "--identity-token",
            &token,
            f.to_str().unwrap(),
        ],
    ));
    let issuer = inst.issuer();
    let verify = |extra: &[&str]| {
        let mut args = vec!["--instance", tuf.as_str()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "verify",
            "identity",
            "--cert-identity",
            EMAIL,
            "--cert-oidc-issuer",
            &issuer,
            f.to_str().unwrap(),
        ]);
        signet(&cache, &args)
    };
    ok(&verify(&[]));
    // Offline: the verified cache, and no note (offline was asked for).
    let err = ok(&verify(&["--offline"]));
    assert!(!err.contains("note:"), "{err}");
    // Rotate the root twice; the client walks 1 -> 2 -> 3.
    for v in [2, 3] {
        rotate_root(&inst);
        assert!(inst.dir.path().join(format!("tuf/{v}.root.json")).exists());
    }
    ok(&verify(&[]));
    let cached: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            cache
                .join(signet_tuf::client::url_dir_name(&tuf))
                .join("root.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(cached["signed"]["version"], 3);

    // The repository unreachable: the verified cache, and one short line saying so and how old
    // the cache is (not the transport error's whole chain).
    inst.stop();
    let err = ok(&verify(&[]));
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(notes.len(), 1, "{err}");
    let note = notes[0];
    assert!(
        note.contains("using the cached trust material")
            && note.contains("refresh failed")
            && note.contains("last refreshed")
            && note.len() < 200,
        "{note}"
    );
}

#[test]
fn instance_without_trusted_root_is_a_clear_error() {
    let o = verify_before_the_bundle(&["--instance", "http://127.0.0.1:9/tuf"]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("signet trust-instance"), "{err}");
}

#[test]
fn public_good_offline_uses_embedded_material_without_a_note() {
    // --offline asks for the embedded (or cached) material: nothing to warn about.
    let o = verify_before_the_bundle(&["--offline"]);
    let (_, err) = text(&o);
    assert!(!o.status.success(), "a bundle of {{}} cannot verify: {err}");
    assert!(
        !err.contains("note:") && !err.contains("trust material"),
        "{err}"
    );
    assert!(err.contains("a.txt"), "the failure names the input: {err}");
}

#[test]
fn sigstore_python_uses_signet_tuf_repository() {
    let Some(peers) = peers_dir() else { return };
    let inst = Instance::start();
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let tuf = format!("{}/tuf", inst.url);
    let python = |args: &[&str]| {
        Cli::program(peers.join("venv/bin/sigstore"))
            .args(["--instance", &tuf])
            .args(args)
            .env("HOME", &home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CACHE_HOME")
            .run()
    };
    let root = inst.dir.path().join("tuf/1.root.json");
    ok(&python(&["trust-instance", root.to_str().unwrap()]));
    let f = work.path().join("py.txt");
    std::fs::write(&f, "signed by sigstore-python via signet's TUF repo\n").unwrap();
    let token = inst.token(EMAIL);
    ok(&python(&[
        "sign",
        "--identity-token",
        &token,
        f.to_str().unwrap(),
    ]));
    let issuer = inst.issuer();
    let verify_args = [
        "verify",
        "identity",
        "--cert-identity",
        EMAIL,
        "--cert-oidc-issuer",
        issuer.as_str(),
        f.to_str().unwrap(),
    ];
    ok(&python(&verify_args));
    // After a root rotation python walks the chain too, and signet verifies python's bundle.
    rotate_root(&inst);
    ok(&python(&verify_args));
    let cache = work.path().join("cache");
    let root = root.to_str().unwrap();
    ok(&signet(
        &cache,
        &["trust-instance", root, "--instance", &tuf],
    ));
    let mut args = vec!["--instance", tuf.as_str()];
    args.extend_from_slice(&verify_args);
    ok(&signet(&cache, &args));
}

/// sigstore-js (`@sigstore/cli verify --tuf-mirror-url URL --tuf-root-path root.json`) gets the
/// trusted root through the instance's TUF repository and verifies a Signet bundle; a wrong
/// identity fails.
#[test]
fn sigstore_js_verifies_through_the_tuf_repository() {
    let Some(peers) = peers_dir() else { return };
    let inst = Instance::start();
    let (work, f) = common::work_file("js-tuf.txt", b"verified by sigstore-js over TUF\n");
    let tok = inst.token("alice@example.com");
    // Rekor v1: @sigstore/cli 0.8.1 bundles @sigstore/verify 2.1.1, which cannot verify a
    // Rekor v2 checkpoint ("invalid checkpoint signature"); the library sigstore-js 3.x can
    // (interop.rs), and signing now defaults to the newest Rekor offered.
    inst.sign_with(&tok, &f, &["--rekor-version", "1"]).ok();
    let bundle = work.path().join("js-tuf.txt.sigstore.json");
    let root = inst.dir.path().join("tuf/1.root.json");
    let js = |identity: &str, cache: &Path| {
        std::process::Command::new(peers.join("node/node_modules/.bin/sigstore"))
            .arg("verify")
            .arg(&bundle)
            .arg("--blob-file")
            .arg(&f)
            .args(["--tuf-mirror-url", &format!("{}/tuf", inst.url)])
            .arg("--tuf-root-path")
            .arg(&root)
            .arg("--tuf-cache-path")
            .arg(cache)
            .args([
                "--certificate-identity-email",
                identity,
                "--certificate-issuer",
                &inst.issuer(),
            ])
            .output()
            .unwrap()
    };
    let o = js("alice@example.com", &work.path().join("cache1"));
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o).0.contains("Verification succeeded")
            || text(&o).1.contains("Verification succeeded"),
        "{:?}",
        text(&o)
    );
    let o = js("mallory@example.com", &work.path().join("cache2"));
    assert!(!o.status.success(), "{:?}", text(&o));
}
