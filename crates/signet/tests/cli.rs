//! End-to-end tests of the `signet` binary on the real bundles in ../shared/data.

mod common;
use std::path::PathBuf;
use std::process::{Command, Output};

use common::signet;

fn shared() -> Option<PathBuf> {
    signet_testing::fixtures::require("")
}

/// (stdout, stderr) with nothing left out (the checks that must not see the `note:` lines use
/// [`without_notes`]).
fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const GENERIC: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0";
const GH: &str = "https://token.actions.githubusercontent.com";

fn slsa(d: &std::path::Path, name: &str) -> (String, String) {
    let a = d.join("slsa/gha_generic/v2.1.0").join(name);
    (
        a.to_string_lossy().into_owned(),
        format!("{}.intoto.jsonl", a.to_string_lossy()),
    )
}

/// `verify identity FLAGS --bundle BUNDLE --cert-identity IDENTITY --cert-oidc-issuer ISSUER
/// INPUT`.
fn identity<'a>(
    flags: &[&'a str],
    bundle: &'a str,
    identity: &'a str,
    issuer: &'a str,
    input: &'a str,
) -> Vec<&'a str> {
    let mut args = vec!["verify", "identity"];
    args.extend_from_slice(flags);
    args.extend(["--bundle", bundle, "--cert-identity", identity]);
    args.extend(["--cert-oidc-issuer", issuer, input]);
    args
}

/// `conformance verify-bundle --bundle BUNDLE ARGS INPUT`.
fn verify_bundle(bundle: &str, args: &[&str], input: &str) -> Output {
    let mut all = vec!["conformance", "verify-bundle", "--bundle", bundle];
    all.extend_from_slice(args);
    all.push(input);
    signet(&all)
}

#[test]
fn verify_identity_ok_and_prints_statement() {
    let Some(d) = shared() else { return };
    let (art, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    let o = signet(&identity(&["--offline"], &bundle, GENERIC, GH, &art));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(without_notes(&err), format!("OK: {art}"));
    assert!(
        out.contains("https://slsa.dev/provenance/v0.2"),
        "statement printed: {out}"
    );
}

#[test]
fn global_flags_after_subcommand_and_digest_input() {
    let Some(d) = shared() else { return };
    let (art, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    let digest = format!("sha256:{}", hex_sha256(&std::fs::read(&art).unwrap()));
    let o = signet(
        &[
            &["--offline"][..],
            &identity(&[], &bundle, GENERIC, GH, &digest),
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert_eq!(without_notes(&text(&o).1), format!("OK: {digest}"));
}

/// Stderr without the `note:` lines naming the trust material used (embedded, cached).
fn without_notes(err: &str) -> String {
    err.lines()
        .filter(|l| !l.starts_with("note: "))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn hex_sha256(b: &[u8]) -> String {
    hex::encode(signet_core::encoding::sha256(b))
}

#[test]
fn wrong_identity_fails_with_exit_1_naming_both() {
    let Some(d) = shared() else { return };
    let (art, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    let wrong = GENERIC.replace("v2.1.0", "v2.0.0");
    let o = signet(&identity(&["--offline"], &bundle, &wrong, GH, &art));
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    let err = without_notes(&err);
    assert!(err.starts_with(&format!("FAIL: {art}: ")), "{err}");
    assert!(err.contains(GENERIC) && err.contains(&wrong), "{err}");
}

#[test]
fn prod_bundle_fails_under_staging() {
    let Some(d) = shared() else { return };
    let (art, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    let o = signet(&identity(
        &["--staging", "--offline"],
        &bundle,
        GENERIC,
        GH,
        &art,
    ));
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert!(text(&o).1.contains("staging"), "{:?}", text(&o));
}

#[test]
fn staging_bundle_verifies_only_under_staging() {
    let Some(d) = shared() else { return };
    let dist = d.join("pypi/rfc8785-0.1.2-py3-none-any.whl");
    let bundle = d.join("pypi/rfc8785-0.1.2-py3-none-any.whl.sigstore");
    let args = |staging: bool| {
        identity(
            if staging {
                &["--staging", "--offline"]
            } else {
                &["--offline"]
            },
            bundle.to_str().unwrap(),
            "william@yossarian.net",
            "https://github.com/login/oauth",
            dist.to_str().unwrap(),
        )
    };
    assert_eq!(signet(&args(true)).status.code(), Some(0));
    assert_eq!(signet(&args(false)).status.code(), Some(1));
}

#[test]
fn usage_errors_exit_2() {
    let Some(d) = shared() else { return };
    let (art, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    let zero_digest = format!("sha256:{}", "00".repeat(32));
    let id_issuer = ["--cert-identity", "x", "--cert-oidc-issuer", "y"];
    for (case, args, message) in [
        (
            "missing issuer",
            vec![
                "verify",
                "identity",
                "--bundle",
                &bundle,
                "--cert-identity",
                "x",
                &art,
            ],
            None,
        ),
        (
            "digest without --bundle",
            [&["verify", "identity"][..], &id_issuer, &[&zero_digest]].concat(),
            None,
        ),
        (
            "missing default bundle",
            [&["verify", "identity"][..], &id_issuer, &[&art]].concat(),
            Some("Missing verification materials"),
        ),
        (
            "bad digest",
            identity(&[], &bundle, "x", "y", "sha256:zz"),
            None,
        ),
        (
            "github without identity or repository",
            vec!["verify", "github", "--bundle", &bundle, &art],
            None,
        ),
    ] {
        let o = signet(&args);
        assert_eq!(o.status.code(), Some(2), "{case}: {:?}", text(&o));
        if let Some(m) = message {
            assert!(text(&o).1.contains(m), "{case}: {:?}", text(&o));
        }
    }
}

#[test]
fn verify_github_checks_extensions() {
    let Some(d) = shared() else { return };
    let (art, bundle) = slsa(&d, "binary-linux-amd64-workflow_dispatch");
    let github = |policy: &[&str]| {
        let mut args = vec!["verify", "github", "--bundle", &bundle];
        args.extend(["--repository", "slsa-framework/example-package"]);
        args.extend_from_slice(policy);
        args.push(&art);
        signet(&args)
    };
    let ok = github(&["--trigger", "workflow_dispatch", "--ref", "refs/heads/main"]);
    assert_eq!(ok.status.code(), Some(0), "{:?}", text(&ok));
    let bad = github(&["--trigger", "push"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).1.contains("\"push\""), "{:?}", text(&bad));
}

#[test]
fn batch_jobs_report_each_input() {
    let Some(d) = shared() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut files = vec![];
    for n in [
        "binary-linux-amd64-push-v14",
        "binary-linux-amd64-push-v14.2",
        "binary-linux-amd64-workflow_dispatch",
    ] {
        let (art, bundle) = slsa(&d, n);
        let a = tmp.path().join(n);
        std::fs::copy(&art, &a).unwrap();
        std::fs::copy(&bundle, tmp.path().join(format!("{n}.sigstore.json"))).unwrap();
        files.push(a.to_string_lossy().into_owned());
    }
    // One artifact with the wrong content: its bundle no longer matches.
    std::fs::write(&files[1], b"tampered").unwrap();
    let mut args = vec![
        "verify",
        "identity",
        "--jobs",
        "2",
        "--cert-identity",
        GENERIC,
        "--cert-oidc-issuer",
        GH,
    ];
    args.extend(files.iter().map(String::as_str));
    let o = signet(&args);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("OK:") || l.starts_with("FAIL:"))
        .collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with("OK:") && lines[1].starts_with("FAIL:") && lines[2].starts_with("OK:"),
        "{err}"
    );
    assert!(lines[1].contains("not a subject"), "{err}");
}

#[test]
fn inspect_bundle_and_json() {
    let Some(d) = shared() else { return };
    let (_, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    let o = signet(&["inspect", &bundle]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    for want in [
        "Build Signer URI (1.3.6.1.4.1.57264.1.9): ",
        "Source Repository URI (1.3.6.1.4.1.57264.1.12): https://github.com/slsa-framework/example-package",
        "Issuer (1.3.6.1.4.1.57264.1.8): https://token.actions.githubusercontent.com",
        "predicate type: https://slsa.dev/provenance/v0.2",
        "kind: dsse 0.0.1",
        "integrated time: 2025-",
        GENERIC,
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let o = signet(&["inspect", "--json", &bundle]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "bundle");
    assert_eq!(v["bundle"]["tlog_entries"][0]["kind"], "dsse 0.0.1");
    assert_eq!(v["bundle"]["certificate"]["san"][0]["value"], GENERIC);
}

#[test]
fn inspect_certificate_pem_and_der_and_envelope() {
    let Some(d) = shared() else { return };
    let (_, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
    let der = signet_core::encoding::b64_decode(
        "t",
        b["verificationMaterial"]["certificate"]["rawBytes"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let (tmp, derp) = common::work_file("c.der", &der);
    let pemp = tmp.path().join("c.pem");
    std::fs::write(
        &pemp,
        signet_core::x509::Certificate::from_der(&der)
            .unwrap()
            .to_pem(),
    )
    .unwrap();
    for p in [&derp, &pemp] {
        let o = signet(&["inspect", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0));
        assert!(
            text(&o)
                .0
                .contains("Build Config URI (1.3.6.1.4.1.57264.1.18)"),
            "{:?}",
            text(&o)
        );
    }
    let env = d.join("slsa/gha_generic/v2.0.0/binary-linux-amd64-push-v14.intoto.jsonl");
    let o = signet(&["inspect", env.to_str().unwrap()]);
    assert!(
        text(&o)
            .0
            .contains("payload type: application/vnd.in-toto+json"),
        "{:?}",
        text(&o)
    );
    // Garbage: clear error, exit 1, no panic.
    let g = tmp.path().join("g");
    std::fs::write(&g, b"\x00\x01garbage").unwrap();
    let o = signet(&["inspect", g.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("expected a bundle"), "{:?}", text(&o));
}

#[test]
fn garbage_bundle_is_a_clear_failure() {
    let Some(d) = shared() else { return };
    let (art, _) = slsa(&d, "binary-linux-amd64-push-v14");
    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path().join("b.json");
    std::fs::write(
        &b,
        br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.4+json"}"#,
    )
    .unwrap();
    let o = signet(&identity(&[], b.to_str().unwrap(), "x", "y", &art));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("FAIL:"), "{:?}", text(&o));
}

#[test]
fn conformance_verify_bundle() {
    let Some(d) = shared() else { return };
    let (art, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    for (id, code) in [(GENERIC, 0), ("x", 1)] {
        let o = verify_bundle(
            &bundle,
            &[
                "--certificate-identity",
                id,
                "--certificate-oidc-issuer",
                GH,
            ],
            &art,
        );
        assert_eq!(o.status.code(), Some(code), "{id}: {:?}", text(&o));
    }
}

/// Whether the tool `what` is `present`; its absence fails under CI (.ci/run installs it) and
/// skips the test elsewhere.
fn present_or_skip(present: bool, what: &str) -> bool {
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {what} is missing (.ci/run installs it)"
        );
        eprintln!("skipping: {what} not installed");
    }
    present
}

/// `--offline` must not open a socket: run under strace and look for socket/connect calls.
#[test]
fn offline_verify_opens_no_socket() {
    let Some(d) = shared() else { return };
    let have_strace = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present_or_skip(have_strace, "strace") {
        return;
    }
    let (art, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("trace");
    let o = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=socket,connect,sendto,sendmsg",
            "-o",
            log.to_str().unwrap(),
        ])
        .arg(env!("CARGO_BIN_EXE_signet"))
        .args(identity(&["--offline"], &bundle, GENERIC, GH, &art))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let trace = std::fs::read_to_string(&log).unwrap();
    assert!(
        !trace.contains("socket(") && !trace.contains("connect("),
        "network syscalls under --offline:\n{trace}"
    );
    // The tracer itself works: a program that does open a socket shows up.
    let probe = tmp.path().join("probe");
    let _ = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=socket",
            "-o",
            probe.to_str().unwrap(),
            "python3",
            "-c",
            "import socket; socket.socket()",
        ])
        .output();
    if let Ok(p) = std::fs::read_to_string(&probe) {
        assert!(
            p.contains("socket("),
            "strace did not record a known socket call: {p}"
        );
    }
}

/// Peak memory of verifying a 64 MB hostile bundle (22 million inclusion-proof hashes) stays
/// under 300 MB: the list cap applies while parsing, not after (issue: parse-time caps).
#[test]
fn hostile_64mb_bundle_peak_memory_is_bounded() {
    let Some(d) = shared() else { return };
    let have_time = std::path::Path::new("/usr/bin/time").exists();
    if !present_or_skip(have_time, "/usr/bin/time") {
        return;
    }
    let (art, bundle) = slsa(&d, "binary-linux-amd64-push-v14");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"] =
        serde_json::json!("PLACEHOLDER");
    let skeleton = serde_json::to_string(&v).unwrap();
    let budget = 63 * 1024 * 1024 - skeleton.len();
    let n = budget / 3;
    let mut hashes = String::with_capacity(n * 3 + 2);
    hashes.push('[');
    for i in 0..n {
        if i > 0 {
            hashes.push(',');
        }
        hashes.push_str("\"\"");
    }
    hashes.push(']');
    let hostile = skeleton.replace("\"PLACEHOLDER\"", &hashes);
    assert!(n > 20_000_000, "{n} hashes");
    let dir = std::env::temp_dir().join(format!("signet-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hostile.sigstore.json");
    std::fs::write(&path, hostile.as_bytes()).unwrap();
    drop(hostile);
    let o = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_signet"))
        .args(identity(
            &["--offline"],
            path.to_str().unwrap(),
            GENERIC,
            GH,
            &art,
        ))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let (_, err) = text(&o);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("inclusion proof hashes"), "{err}");
    let kb: u64 = err
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .expect("time -v reports the peak RSS")
        .trim()
        .parse()
        .unwrap();
    assert!(kb <= 300 * 1024, "peak RSS {kb} kB > 300 MB");
}

/// Files for a managed-key bundle made by VirtualSigstore: trusted root, artifact, bundle,
/// public key PEM, and a second (wrong) key PEM.
struct KeyCase {
    _dir: tempfile::TempDir,
    root: String,
    artifact: String,
    bundle: String,
    key: String,
    wrong: String,
    keyring: String,
}

fn key_case(rekor: signet_testing::RekorVersion, dsse: bool) -> KeyCase {
    use signet_core::encoding::{b64_encode, pem_encode};
    use signet_core::keys::{Curve, EcKey};
    let vs = signet_testing::VirtualSigstore::new().unwrap();
    let key = std::sync::Arc::new(EcKey::generate(Curve::P256).unwrap());
    let mut o = signet_testing::SignOptions::new(
        signet_testing::Identity::email("unused@example.com"),
        "https://unused.example",
    )
    .managed_key(key.clone())
    .rekor(rekor);
    if rekor == signet_testing::RekorVersion::V2 {
        o = o.with_timestamp(true);
    }
    let data = b"managed key artifact\n";
    let b = if dsse {
        vs.sign_intoto("a.txt", data, &o).unwrap()
    } else {
        vs.sign_message(data, &o).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("root.json"), vs.trusted_root_json().unwrap()).unwrap();
    std::fs::write(p("a.txt"), data).unwrap();
    std::fs::write(p("a.txt.sigstore.json"), b.to_json().unwrap()).unwrap();
    std::fs::write(p("key.pub"), pem_encode("PUBLIC KEY", key.spki_der())).unwrap();
    let other = EcKey::generate(Curve::P256).unwrap();
    std::fs::write(p("wrong.pub"), pem_encode("PUBLIC KEY", other.spki_der())).unwrap();
    let hint = b.verification_material.public_key.unwrap().hint;
    let ring = serde_json::json!({"keys": [{"hint": hint, "publicKey": {
        "rawBytes": b64_encode(key.spki_der()),
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        "validFor": {"start": "2020-01-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}
    }}]});
    std::fs::write(p("expired-ring.json"), ring.to_string()).unwrap();
    KeyCase {
        root: p("root.json"),
        artifact: p("a.txt"),
        bundle: p("a.txt.sigstore.json"),
        key: p("key.pub"),
        wrong: p("wrong.pub"),
        keyring: p("expired-ring.json"),
        _dir: dir,
    }
}

#[test]
fn verify_key_accepts_its_key_and_rejects_a_wrong_expired_or_missing_one() {
    use signet_testing::RekorVersion::{V1, V2};
    for (rekor, dsse) in [(V1, false), (V1, true), (V2, false), (V2, true)] {
        let c = key_case(rekor, dsse);
        let run = |key: &str| {
            signet(&[
                "--trusted-root",
                &c.root,
                "verify",
                "key",
                "--key",
                key,
                &c.artifact,
            ])
        };
        let o = run(&c.key);
        assert_eq!(o.status.code(), Some(0), "{rekor:?} {dsse}: {:?}", text(&o));
        let o = run(&c.wrong);
        assert_eq!(o.status.code(), Some(1), "wrong key: {:?}", text(&o));
        let o = run(&c.keyring);
        assert_eq!(
            o.status.code(),
            Some(1),
            "expired keyring key: {:?}",
            text(&o)
        );
        assert!(text(&o).1.contains("managed key"), "{:?}", text(&o));
        let o = signet(&["--trusted-root", &c.root, "verify", "key", &c.artifact]);
        assert_eq!(o.status.code(), Some(2), "no --key: {:?}", text(&o));
    }
}

#[test]
fn conformance_verify_bundle_with_key() {
    let c = key_case(signet_testing::RekorVersion::V1, false);
    let digest = format!(
        "sha256:{}",
        hex::encode(signet_core::encoding::sha256(b"managed key artifact\n"))
    );
    let with_key = |key: &str, input: &str| {
        verify_bundle(&c.bundle, &["--key", key, "--trusted-root", &c.root], input)
    };
    for input in [c.artifact.as_str(), digest.as_str()] {
        let o = with_key(&c.key, input);
        assert_eq!(o.status.code(), Some(0), "{input}: {:?}", text(&o));
    }
    // --key with an identity is a usage error (sigstore-conformance
    // managed-key-and-client-identity_fail).
    let o = verify_bundle(
        &c.bundle,
        &[
            "--key",
            &c.key,
            "--certificate-identity",
            "a@example.com",
            "--certificate-oidc-issuer",
            "https://example.com",
            "--trusted-root",
            &c.root,
        ],
        &c.artifact,
    );
    assert_ne!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = with_key(&c.wrong, &c.artifact);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
}
