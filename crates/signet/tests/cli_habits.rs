//! The CLI's habits against a local instance: exit codes per error class, messages that say
//! each cause once, the wrong-instance hint naming the failed check, commands that need no
//! trust material, help pages, `verify --json`, completions and man pages, and the Rekor
//! version picked by default.

mod common;
use std::path::Path;

use common::{text, Cli, Instance};

const EMAIL: &str = "habits@example.com";

/// The v1 log's tree size, from `signet rekor loginfo` against the instance.
fn v1_tree_size(inst: &Instance) -> u64 {
    let o = inst.signet().args(["rekor", "loginfo"]).ok();
    let (out, _) = text(&o);
    out.lines()
        .find_map(|l| l.strip_prefix("Tree size: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no tree size in {out}"))
}

/// The tree size of the instance's Rekor v2 log, from its checkpoint.
fn v2_tree_size(inst: &Instance) -> u64 {
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(inst.trust_config()).unwrap()).unwrap();
    let url = cfg["signingConfig"]["rekorTlogUrls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["majorApiVersion"] == 2)
        .and_then(|s| s["url"].as_str())
        .expect("a Rekor v2 URL in the signing config")
        .trim_end_matches('/')
        .to_string();
    let body = reqwest::blocking::get(format!("{url}/checkpoint"))
        .unwrap()
        .text()
        .unwrap();
    body.lines()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tree size in the checkpoint {body}"))
}

fn stderr(o: &std::process::Output) -> String {
    text(o).1
}

#[test]
fn exit_codes_per_error_class() {
    let inst = Instance::start();
    let (work, f) = common::work_file("a.txt", "exit codes\n");
    let dir = work.path().to_str().unwrap().to_string();
    let missing = work.path().join("missing.txt");
    let missing = missing.to_str().unwrap();
    let fs = f.to_str().unwrap();
    let verify = |extra: &[&str], input: &str| {
        inst.signet()
            .verify_identity(EMAIL, &inst.issuer())
            .arg("--offline")
            .args(extra)
            .arg(input)
    };

    // 2: usage and unreadable input, each naming what was expected and found.
    for (case, cli, says) in [
        ("missing input", verify(&[], missing), "missing.txt"),
        ("directory input", verify(&[], &dir), &dir[..]),
        (
            "directory bundle",
            verify(&["--bundle", &dir], fs),
            "Missing verification materials",
        ),
        (
            "missing --trust-config",
            Cli::signet()
                .args(["--trust-config", missing])
                .verify_identity(EMAIL, "https://issuer.example")
                .args(["--bundle", fs, fs]),
            "reading",
        ),
        (
            "directory --trust-config",
            Cli::signet()
                .args(["--trust-config", &dir])
                .verify_identity(EMAIL, "https://issuer.example")
                .args(["--bundle", fs, fs]),
            "expected a file, found a directory",
        ),
        (
            "inspect a directory",
            Cli::signet().args(["inspect", &dir]),
            "directory",
        ),
        (
            "unknown flag",
            Cli::signet().args(["verify", "identity", "--nope"]),
            "--nope",
        ),
    ] {
        let o = cli.case(case).fails(2);
        assert!(stderr(&o).contains(says), "{case}: {}", stderr(&o));
    }

    // `sign` refuses an output it cannot write before any certificate or log entry is made.
    let (v1, v2) = (v1_tree_size(&inst), v2_tree_size(&inst));
    let nowhere = work.path().join("no/such/dir/a.txt.sigstore.json");
    for rekor in ["1", "2"] {
        let o = inst
            .sign_as(
                EMAIL,
                &f,
                &[
                    "--rekor-version",
                    rekor,
                    "--bundle",
                    nowhere.to_str().unwrap(),
                ],
            )
            .case(format!("missing bundle directory, Rekor v{rekor}"))
            .fails(2);
        let err = stderr(&o);
        assert!(
            err.contains("no/such/dir") && err.contains("expected a directory"),
            "{err}"
        );
    }
    inst.sign_as(EMAIL, &f, &["--rekor-version", "1"]).ok();
    let (v1, v2) = {
        assert_eq!(
            (v1_tree_size(&inst), v2_tree_size(&inst)),
            (v1 + 1, v2),
            "one entry, in v1"
        );
        (v1 + 1, v2)
    };
    let o = inst
        .sign_as(EMAIL, &f, &[])
        .case("existing bundle")
        .fails(2);
    assert!(stderr(&o).contains("--overwrite"), "{}", stderr(&o));
    assert_eq!(
        (v1_tree_size(&inst), v2_tree_size(&inst)),
        (v1, v2),
        "nothing logged"
    );

    // 0 verified; 1 verification failed.
    verify(&[], fs).ok();
    let o = inst
        .signet()
        .verify_identity("someone-else@example.com", &inst.issuer())
        .arg(fs)
        .fails(1);
    assert!(
        stderr(&o).starts_with(&format!("FAIL: {fs}: ")),
        "{}",
        stderr(&o)
    );

    // Each help page says the exit codes.
    for args in [
        &["--help"][..],
        &["verify", "identity", "--help"],
        &["sign", "--help"],
    ] {
        let o = Cli::signet().args(args).ok();
        assert!(
            text(&o).0.contains("Exit status: 0 success") && text(&o).0.contains("2 usage error"),
            "{args:?}"
        );
    }
}

#[test]
fn error_messages_say_each_cause_once() {
    let (work, f) = common::work_file("a.txt", "x");
    // The bug: serde's message was printed twice ("key must be a string at line 1 column 2:
    // key must be a string at line 1 column 2").
    let b = work.path().join("a.txt.sigstore.json");
    std::fs::write(&b, "{1:2}").unwrap();
    let o = Cli::signet()
        .verify_identity(EMAIL, "https://issuer.example")
        .args(["--offline", f.to_str().unwrap()])
        .fails(1);
    let err = stderr(&o);
    assert_eq!(err.matches("key must be a string").count(), 1, "{err}");

    // The bug: "Database already open. Cannot acquire lock." three times, for a log the
    // running instance holds.
    let inst = Instance::start();
    let log = inst.dir.path().join("rekor-v1/log");
    let o = Cli::signet().args(["log", "fsck"]).arg(&log).refused();
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    for sentence in err.split([':', '.']).map(str::trim).filter(|s| s.len() > 8) {
        assert_eq!(
            err.matches(sentence).count(),
            1,
            "{sentence:?} repeated in {err}"
        );
    }
}

/// Rewrite `inst`'s trusted root with `edit`, into `out`.
fn edited_root(inst: &Instance, out: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(inst.trusted_root()).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(out, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn wrong_instance_hint_names_the_failed_check() {
    let a = Instance::start();
    let b = Instance::start();
    let (work, f) = common::work_file("a.txt", "signed on instance A\n");
    a.sign_as(EMAIL, &f, &["--rekor-version", "1"]).ok();
    let verify_with = |root: &Path| {
        Cli::signet()
            .args(["--offline", "--trusted-root"])
            .arg(root)
            .verify_identity(EMAIL, &a.issuer())
            .arg(&f)
            .fails(1)
    };
    let hint = |o: &std::process::Output| {
        stderr(o)
            .lines()
            .find(|l| l.starts_with("hint: "))
            .unwrap_or_else(|| panic!("no hint in {}", stderr(o)))
            .to_string()
    };
    // Another instance's trusted root: the log is the first thing it does not know.
    let h = hint(&verify_with(&b.trusted_root()));
    assert!(
        h.contains("log ID") && !h.contains("certificate chain"),
        "{h}"
    );
    // A's logs with B's CA: the certificate chain fails, and the hint says so.
    let mixed = work.path().join("mixed.json");
    let b_root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.trusted_root()).unwrap()).unwrap();
    edited_root(&a, &mixed, |v| {
        v["certificateAuthorities"] = b_root["certificateAuthorities"].clone();
    });
    let h = hint(&verify_with(&mixed));
    assert!(
        h.contains("certificate chain") && !h.contains("log ID"),
        "{h}"
    );
    // Not an instance problem (wrong identity): no hint.
    let o = Cli::signet()
        .args(["--offline", "--trusted-root"])
        .arg(a.trusted_root())
        .verify_identity("other@example.com", &a.issuer())
        .arg(&f)
        .fails(1);
    assert!(!stderr(&o).contains("hint:"), "{}", stderr(&o));
}

#[test]
fn commands_without_trust_material_do_not_touch_tuf() {
    // An instance that was never trusted (no TUF cache): anything that read trust material
    // would fail naming `signet trust-instance`.
    let cache = tempfile::tempdir().unwrap();
    let untrusted = ["--instance", "http://127.0.0.1:9/tuf"];
    let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig";
    let token = || {
        Cli::signet()
            .args(untrusted)
            .arg("get-identity-token")
            .env("SIGNET_TUF_CACHE", cache.path())
    };
    let o = token().args(["--identity-token", jwt]).ok();
    assert_eq!(text(&o).0.trim(), jwt);
    let o = token().env("SIGSTORE_ID_TOKEN", jwt).ok();
    assert_eq!(text(&o).0.trim(), jwt);
    // Without a token, the interactive sign-in needs the signing config: the TUF error.
    let o = token()
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .refused();
    assert!(stderr(&o).contains("trust-instance"), "{}", stderr(&o));

    // inspect reads no trust material either.
    let inst = Instance::start();
    let (_work, f) = common::work_file("a.txt", "inspected\n");
    inst.sign_as(EMAIL, &f, &[]).ok();
    let bundle = format!("{}.sigstore.json", f.display());
    let o = Cli::signet()
        .args(untrusted)
        .args(["inspect", &bundle])
        .env("SIGNET_TUF_CACHE", cache.path())
        .ok();
    assert!(text(&o).0.contains(EMAIL), "{}", text(&o).0);
}

/// The long flags a help page lists as options (`  -x, --flag <V>  ...`).
fn options(help: &str) -> Vec<&str> {
    help.lines()
        .map(str::trim_start)
        .filter_map(|l| l.strip_prefix("-").map(|_| l))
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("--")))
        .map(|w| w.trim_end_matches(','))
        .collect()
}

#[test]
fn trust_flags_only_in_the_help_of_commands_that_use_them() {
    let help = |args: &[&str]| text(&Cli::signet().args(args).arg("--help").ok()).0;
    for cmd in [
        &["serve"][..],
        &["serve", "token"],
        &["keys", "init"],
        &["tuf", "rotate-root"],
        &["log", "fsck"],
        &["inspect"],
        &["bench", "instance"],
        &["completions"],
    ] {
        let h = help(cmd);
        for flag in [
            "--staging",
            "--trust-config",
            "--trusted-root",
            "--instance",
            "--offline",
        ] {
            assert!(
                !options(&h).contains(&flag),
                "{cmd:?} help shows {flag}:\n{h}"
            );
        }
    }
    for cmd in [
        &["verify", "identity"][..],
        &["sign"],
        &["rekor"],
        &["pypi", "verify", "attestation"],
    ] {
        let h = help(cmd);
        let o = options(&h);
        assert!(
            o.contains(&"--staging") && o.contains(&"--trust-config"),
            "{cmd:?}:\n{h}"
        );
    }
    // Hidden, the global flags are still accepted (before or after the subcommand).
    Cli::signet().args(["inspect", "--offline", "--help"]).ok();
}

#[test]
fn verify_json_reports_each_input() {
    let inst = Instance::start();
    let work = tempfile::tempdir().unwrap();
    let file = |name: &str| {
        let p = work.path().join(name);
        std::fs::write(&p, format!("{name}\n")).unwrap();
        p
    };
    let (a, b, c) = (file("a.txt"), file("b.txt"), file("c.txt"));
    // No --rekor-version: the newest the signing config offers (v2, as sigstore-python).
    inst.sign_as(EMAIL, &a, &[]).ok();
    inst.sign_as(EMAIL, &b, &["--rekor-version", "1"]).ok();
    let pred = work.path().join("p.json");
    std::fs::write(&pred, r#"{"builder": "habits"}"#).unwrap();
    inst.sign_as(EMAIL, &c, &common::attest_flags(&pred)).ok();

    let o = inst.verify_as(EMAIL, &a, &["--json"]).args([&b, &c]).ok();
    let (out, _) = text(&o);
    let reports: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(reports.len(), 3, "{out}");
    for (r, f) in reports.iter().zip([&a, &b, &c]) {
        assert_eq!(r["input"], f.to_str().unwrap());
        assert_eq!(r["verified"], true);
        assert_eq!(r["bundle"], format!("{}.sigstore.json", f.display()));
        assert_eq!(r["signer"]["identity"], EMAIL, "{r}");
        assert_eq!(r["signer"]["identity_kind"], "email");
        assert_eq!(r["signer"]["issuer"], inst.issuer().as_str());
        let ext = &r["signer"]["fulcio_extensions"]["1.3.6.1.4.1.57264.1.8"];
        assert_eq!(ext["value"], inst.issuer().as_str(), "{r}");
        let times = r["signing_times"].as_array().unwrap();
        assert!(!times.is_empty(), "{r}");
        for t in times {
            assert!(
                t["time"].as_str().unwrap().ends_with('Z') && t["unix"].is_i64(),
                "{t}"
            );
        }
        let entries = r["log_entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{r}");
        assert!(entries[0]["log_index"].is_i64() && entries[0]["log_url"].is_string());
        assert_eq!(entries[0]["log_id"].as_str().unwrap().len(), 64, "{r}");
    }
    // a: Rekor v2, dated by the TSA; b: Rekor v1, dated by its SET.
    let source = |r: &serde_json::Value| r["signing_times"][0]["source"].clone();
    assert_eq!(reports[0]["log_entries"][0]["rekor_version"], 2);
    assert_eq!(reports[0]["log_entries"][0]["kind_version"], "0.0.2");
    assert_eq!(
        reports[0]["log_entries"][0]["integrated_time"],
        serde_json::Value::Null
    );
    assert_eq!(source(&reports[0]), "rfc3161_timestamp");
    assert_eq!(reports[1]["log_entries"][0]["rekor_version"], 1);
    assert_eq!(reports[1]["log_entries"][0]["integrated_time_signed"], true);
    assert!(reports[1]["signing_times"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["source"] == "transparency_log" && t["log_index"].is_i64()));
    // Only the statement has a predicate type.
    assert_eq!(reports[0]["predicate_type"], serde_json::Value::Null);
    assert_eq!(reports[2]["predicate_type"], "https://example.com/p");
    assert_eq!(reports[2]["subjects"][0]["name"], "c.txt");

    // A failed input: its report says why and which rule, and the exit code is 1.
    let o = inst
        .signet()
        .verify_identity("other@example.com", &inst.issuer())
        .args(["--offline", "--json"])
        .arg(&a)
        .fails(1);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["verified"], false);
    assert!(
        r["error"].as_str().unwrap().contains("other@example.com"),
        "{r}"
    );
    assert!(r["rule"].is_string(), "{r}");
}

#[test]
fn completions_and_man_pages() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = Cli::signet().args(["completions", shell]).ok();
        let out = text(&o).0;
        assert!(
            out.contains("signet") && out.contains("verify") && out.contains("trust-config"),
            "{shell}"
        );
    }
    Cli::signet().args(["completions", "tcsh"]).fails(2);
    let o = Cli::signet().arg("man").ok();
    let page = text(&o).0;
    assert!(
        page.contains(".TH signet 1") && page.contains("Exit status"),
        "{page}"
    );
    let dir = tempfile::tempdir().unwrap();
    Cli::signet()
        .args(["man", "--out-dir"])
        .arg(dir.path())
        .ok();
    for page in [
        "signet.1",
        "signet-verify.1",
        "signet-verify-identity.1",
        "signet-rekor-get.1",
    ] {
        let p = dir.path().join(page);
        assert!(
            p.is_file(),
            "{page} in {:?}",
            std::fs::read_dir(dir.path()).unwrap().count()
        );
    }
    let o = Cli::signet()
        .args(["man", "--out-dir"])
        .arg(dir.path().join("nope"))
        .fails(2);
    assert!(
        stderr(&o).contains("expected a directory"),
        "{}",
        stderr(&o)
    );
}

/// `signet inspect FILE` succeeds, and its output contains each of `fields`.
fn assert_inspect_shows(file: &Path, fields: &[&str]) {
    let out = text(&Cli::signet().arg("inspect").arg(file).ok()).0;
    for field in fields {
        assert!(out.contains(field), "inspect lacks {field:?}:\n{out}");
    }
}

/// `signet inspect` shows what `openssl x509 -text` does: serial, issuer and subject, the
/// signature algorithm, every extension with its criticality (key usage, extended key usage,
/// basic constraints, SKI/AKI, SAN, the CT SCT list with each SCT's fields), Sigstore OIDs by
/// name and an unknown extension as its OID and hex value.
#[test]
fn inspect_shows_every_openssl_field() {
    // Fails unless ../shared/data is present (or SIGNET_ALLOW_MISSING_DATA=1 says to skip).
    let Some(d) = signet_testing::fixtures::require("") else {
        return;
    };
    let bundle = d.join("slsa/gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl");
    assert_inspect_shows(
        &bundle,
        &[
            "serial: 1776e1af4ca33f67672bb72cdd20b190be599279",
            "issuer: CN=sigstore-intermediate,O=sigstore.dev",
            "subject: ",
            "signature algorithm: ecdsa-with-SHA384 (1.2.840.10045.4.3.3)",
            "public key: ECDSA P-256",
            "Key Usage (2.5.29.15), critical:",
            "- DigitalSignature",
            "Extended Key Usage (2.5.29.37):",
            "- codeSigning",
            "Subject Key Identifier (2.5.29.14): 17b29c9aff4c7105879fa6151e960021c2f7a2e5",
            "Authority Key Identifier (2.5.29.35): dfd3e9cf56241196f9a8d8e92855a2c62e18643f",
            "Subject Alternative Name (2.5.29.17), critical:",
            "CT Precertificate SCTs (1.3.6.1.4.1.11129.2.4.2):",
            "version: v1 (0)",
            "log id: dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e",
            "timestamp ms: 1740517937576",
            "extensions: none",
            "signature algorithm: ECDSA-with-SHA256",
            "Issuer (1.3.6.1.4.1.57264.1.8): https://token.actions.githubusercontent.com",
            "Source Repository Visibility At Signing (1.3.6.1.4.1.57264.1.22): public",
        ],
    );

    // A CA certificate: basic constraints with the path length; an unknown extension.
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 99999, 7],
        vec![0x04, 0x02, 0xbe, 0xef],
    )];
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (_work, der) = common::work_file("ca.der", cert.der());
    assert_inspect_shows(
        &der,
        &[
            "Basic Constraints (2.5.29.19), critical:",
            "ca: true",
            "path len: 0",
            "signature algorithm: ecdsa-with-SHA256 (1.2.840.10045.4.3.2)",
            "(1.3.6.1.4.1.99999.7): 0402beef",
        ],
    );
}
