//! Key rotation end to end: `signet keys rotate ca|ctlog|rekor-v1|rekor-v2|tsa` on a stopped
//! instance; after the restart, bundles signed before and after verify (signet and
//! sigstore-python 4.5.1), the trusted root lists every retired key with a closed validFor,
//! Rekor v1 continues in a new shard and Rekor v2 in a new shard at a new URL, and the new
//! trusted root is published over the instance's TUF repository.

mod common;
use std::path::{Path, PathBuf};

use common::{peers_dir, signet, text, Instance};
use serde_json::Value;

const EMAIL: &str = "rotation@example.com";

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

/// Sign `name` (created in `work`) with Rekor `rekor`, returning (artifact, bundle).
fn sign(inst: &Instance, work: &Path, name: &str, rekor: &str) -> (PathBuf, PathBuf) {
    let f = work.join(name);
    std::fs::write(&f, format!("{name} for rekor v{rekor}\n")).unwrap();
    let b = work.join(format!("{name}.sigstore.json"));
    inst.sign_as(
        EMAIL,
        &f,
        &["--rekor-version", rekor, "--bundle", b.to_str().unwrap()],
    )
    .case(format!("sign {name}"))
    .ok();
    (f, b)
}

/// `verify identity --offline --bundle B F` as [`EMAIL`], asserting exit code 0.
fn verify(inst: &Instance, f: &Path, b: &Path) {
    inst.verify_as(EMAIL, f, &["--bundle", b.to_str().unwrap()])
        .case(b.display())
        .ok();
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn tlog_entry(b: &Path) -> Value {
    json(b)["verificationMaterial"]["tlogEntries"][0].clone()
}

/// `signet keys rotate ROLE --data-dir DIR EXTRA...`.
fn rotate(dir: &Path, role: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["keys", "rotate", role, "--data-dir", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    signet(&args)
}

fn get(url: &str) -> (u16, String) {
    let r = reqwest::blocking::get(url).unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// The whole rotation: every role, old and new bundles, both logs' shards, TUF, a peer.
#[test]
fn rotating_every_key_keeps_old_bundles_verifying_and_signs_with_the_new_keys() {
    let work = tempfile::tempdir().unwrap();
    let mut inst = Instance::start();
    let port = port_of(&inst.url);
    let (a1, a1b) = sign(&inst, work.path(), "before-v1.txt", "1");
    let (a2, a2b) = sign(&inst, work.path(), "before-v2.txt", "2");

    // The running instance holds the data dir: rotation is refused, naming why.
    let o = rotate(inst.dir.path(), "ctlog", &[]);
    assert!(!o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o).1.contains("in use by a running signet serve"),
        "{:?}",
        text(&o)
    );
    inst.stop();
    let o = rotate(inst.dir.path(), "nonsense", &[]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    // Rotation needs a whole second after the key it retires started.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for role in ["ca", "ctlog", "rekor-v1", "rekor-v2", "tsa"] {
        let o = rotate(inst.dir.path(), role, &[]);
        assert!(o.status.success(), "rotate {role}: {:?}", text(&o));
        let (out, _) = text(&o);
        assert!(
            out.contains(&format!("{role}: generation 0 retired"))
                && out.contains("generation 1 starts"),
            "{out}"
        );
    }
    // Nothing signs with the retired CA, CT and TSA keys again: their files are gone; the
    // frozen Rekor shards keep theirs.
    let keys = inst.dir.path().join("keys");
    for (f, present) in [
        ("ca-intermediate.pk8", false),
        ("ct.pk8", false),
        ("tsa.pk8", false),
        ("rekor-v1.pk8", true),
        ("rekor-v2.pk8", true),
        ("ca-intermediate.g1.pk8", true),
        ("ct.g1.pk8", true),
        ("tsa.g1.pk8", true),
    ] {
        assert_eq!(keys.join(f).exists(), present, "{f}");
    }

    let dir = inst.kill();
    let inst = Instance::start_in(dir, port);
    let (b1, b1b) = sign(&inst, work.path(), "after-v1.txt", "1");
    let (b2, b2b) = sign(&inst, work.path(), "after-v2.txt", "2");
    for (f, b) in [(&a1, &a1b), (&a2, &a2b), (&b1, &b1b), (&b2, &b2b)] {
        verify(&inst, f, b);
    }

    // The trusted root: every kind lists the retired key (closed window) and the new one.
    let root = json(&inst.trusted_root());
    for (kind, n) in [
        ("tlogs", 4),
        ("ctlogs", 2),
        ("certificateAuthorities", 2),
        ("timestampAuthorities", 2),
    ] {
        let list = root[kind].as_array().unwrap();
        assert_eq!(list.len(), n, "{kind}: {list:?}");
        for item in list {
            let vf = item
                .get("validFor")
                .or_else(|| item["publicKey"].get("validFor"))
                .unwrap();
            assert!(vf["start"].is_string(), "{kind}: {vf}");
        }
        let ends = list
            .iter()
            .filter(|i| {
                i.get("validFor")
                    .or_else(|| i["publicKey"].get("validFor"))
                    .is_some_and(|v| v["end"].is_string())
            })
            .count();
        assert_eq!(ends, n / 2, "{kind}: retired entries have an end");
    }
    let v2_urls: Vec<&str> = root["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["baseUrl"].as_str())
        .filter(|u| u.contains("/rekor2"))
        .collect();
    assert_eq!(
        v2_urls,
        vec![
            format!("{}/rekor2", inst.url),
            format!("{}/rekor2-g1", inst.url)
        ]
    );

    // Rekor v1: a new shard (new log ID and tree); global indices continue, the proof's index
    // is the shard's.
    let (old, new) = (tlog_entry(&a1b), tlog_entry(&b1b));
    assert_ne!(old["logId"], new["logId"]);
    assert_eq!(old["logIndex"], "0");
    assert_eq!(new["logIndex"], "1");
    assert_eq!(new["inclusionProof"]["logIndex"], "0");
    let (status, body) = get(&format!("{}/api/v1/log", inst.url));
    assert_eq!(status, 200, "{body}");
    let info: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        info["inactiveShards"].as_array().unwrap().len(),
        1,
        "{info}"
    );
    assert_ne!(info["treeID"], info["inactiveShards"][0]["treeID"]);
    // The old entry is still served by global index, from the frozen shard, with its own key.
    let (status, body) = get(&format!("{}/api/v1/log/entries?logIndex=0", inst.url));
    assert_eq!(status, 200, "{body}");
    let e: Value = serde_json::from_str(&body).unwrap();
    let (_, e) = e.as_object().unwrap().iter().next().unwrap();
    assert_eq!(
        e["logID"].as_str().unwrap(),
        hex::encode(
            signet_core::encoding::b64_decode("logId", old["logId"]["keyId"].as_str().unwrap())
                .unwrap()
        )
    );

    // Rekor v2: the new bundle came from the new shard; the frozen one refuses entries and
    // still serves its checkpoint.
    assert_ne!(tlog_entry(&a2b)["logId"], tlog_entry(&b2b)["logId"]);
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/rekor2/api/v2/log/entries", inst.url))
        .json(&serde_json::json!({}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 410);
    assert!(r.text().unwrap().contains("/rekor2-g1"));
    let (status, cp) = get(&format!("{}/rekor2/checkpoint", inst.url));
    assert_eq!(status, 200, "{cp}");
    assert_eq!(cp.lines().nth(1), Some("1"), "{cp}");

    // Published over TUF: the instance's TUF repository serves the new trusted root, and a
    // client that trusts the first TUF root verifies the old bundles through it.
    let tuf = format!("{}/tuf", inst.url);
    let cache = work.path().join("tuf-cache");
    let with_cache = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
            .args(args)
            .env("SIGNET_TUF_CACHE", &cache)
            .output()
            .unwrap()
    };
    let root1 = inst.dir.path().join("tuf/1.root.json");
    let o = with_cache(&[
        "trust-instance",
        root1.to_str().unwrap(),
        "--instance",
        &tuf,
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    for (f, b) in [(&a1, &a1b), (&b2, &b2b)] {
        let o = with_cache(&[
            "--instance",
            &tuf,
            "verify",
            "identity",
            "--cert-identity",
            EMAIL,
            "--cert-oidc-issuer",
            &inst.issuer(),
            "--bundle",
            b.to_str().unwrap(),
            f.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "TUF verify: {:?}", text(&o));
    }

    // A peer agrees: sigstore-python verifies all four with the rotated trust config.
    let Some(peers) = peers_dir() else { return };
    for (f, b) in [(&a1, &a1b), (&a2, &a2b), (&b1, &b1b), (&b2, &b2b)] {
        let o = std::process::Command::new(peers.join("venv/bin/sigstore"))
            .arg("--trust-config")
            .arg(inst.trust_config())
            .args(["verify", "identity", "--cert-identity", EMAIL])
            .args(["--cert-oidc-issuer", &inst.issuer()])
            .arg("--bundle")
            .arg(b)
            .arg(f)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "sigstore-python on {}: {:?}",
            b.display(),
            text(&o)
        );
    }
}

/// A brought CA's root key is not in the instance: `keys rotate ca` asks for the new chain,
/// and with it the new issuing CA signs while the old one's bundles keep verifying.
#[test]
fn brought_ca_rotates_to_the_chain_given() {
    let org = common::OrgCa::new();
    let (c1, k1, _) = org.issue(" 1");
    let (c2, k2, _) = org.issue(" 2");
    let mut inst = common::OrgCa::instance(&c1, &k1);
    let port = port_of(&inst.url);
    let work = tempfile::tempdir().unwrap();
    let (a, ab) = sign(&inst, work.path(), "org-before.txt", "1");
    inst.stop();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let d = inst.dir.path();
    let o = rotate(d, "ca", &[]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("--ca-chain"), "{:?}", text(&o));
    let new_ca = [
        "--ca-chain",
        c2.to_str().unwrap(),
        "--ca-key",
        k2.to_str().unwrap(),
    ];
    // --ca-chain belongs to `rotate ca` only.
    let o = rotate(d, "tsa", &new_ca);
    assert!(
        !o.status.success() && text(&o).1.contains("rotate ca"),
        "{:?}",
        text(&o)
    );
    let o = rotate(d, "ca", &new_ca);
    assert!(o.status.success(), "{:?}", text(&o));
    let inst = Instance::start_in(inst.kill(), port);
    let (b, bb) = sign(&inst, work.path(), "org-after.txt", "1");
    for (f, bundle) in [(&a, &ab), (&b, &bb)] {
        verify(&inst, f, bundle);
    }
    let issuer_of = |bundle: &Path| common::bundle_leaf(bundle).issuer();
    assert!(
        issuer_of(&ab).contains("Org Sigstore CA 1"),
        "{}",
        issuer_of(&ab)
    );
    assert!(
        issuer_of(&bb).contains("Org Sigstore CA 2"),
        "{}",
        issuer_of(&bb)
    );
}
