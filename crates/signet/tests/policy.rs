//! `signet verify policy`: policy files over bundles made against a local instance — any-of
//! identities, k of n distinct signers, Fulcio extension matchers, predicate type and rules,
//! signing-time bounds, malformed policies (exit 2), digest inputs.

mod common;
use std::path::{Path, PathBuf};

use common::{text, Cli, Instance};

struct Case {
    inst: Instance,
    work: tempfile::TempDir,
    file: PathBuf,
    /// a.txt signed by alice (Rekor v1), and by bob (Rekor v2).
    alice: PathBuf,
    bob: PathBuf,
    /// c.txt attested by alice.
    attested: PathBuf,
    statement: PathBuf,
}

fn case() -> Case {
    let inst = Instance::start();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("a.txt");
    std::fs::write(&file, "policy\n").unwrap();
    let alice = work.path().join("a.alice.json");
    let bob = work.path().join("a.bob.json");
    for (who, b, v) in [
        ("alice@example.com", &alice, "1"),
        ("bob@example.com", &bob, "2"),
    ] {
        inst.sign_as(
            who,
            &file,
            &["--rekor-version", v, "--bundle", b.to_str().unwrap()],
        )
        .ok();
    }
    let statement = work.path().join("c.txt");
    std::fs::write(&statement, "attested\n").unwrap();
    let pred = work.path().join("pred.json");
    std::fs::write(
        &pred,
        r#"{"builder": {"id": "https://ci.example/builder@v2"}, "source": "https://git.example/r", "level": 3}"#,
    )
    .unwrap();
    inst.sign_as(
        "alice@example.com",
        &statement,
        &common::attest_flags(&pred),
    )
    .ok();
    let attested = work.path().join("c.txt.sigstore.json");
    Case {
        inst,
        work,
        file,
        alice,
        bob,
        attested,
        statement,
    }
}

impl Case {
    /// `signet verify policy` with `policy` (YAML) over `bundles` for `input`.
    fn run(&self, policy: &str, bundles: &[&Path], input: &str) -> std::process::Output {
        let p = self.work.path().join("policy.yaml");
        std::fs::write(&p, policy).unwrap();
        let mut cli = self
            .inst
            .signet()
            .args(["--offline", "verify", "policy", "--policy"])
            .arg(&p);
        for b in bundles {
            cli = cli.arg("--bundle").arg(b);
        }
        cli.arg(input).run()
    }

    fn issuer(&self) -> String {
        self.inst.issuer()
    }
}

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// `o` exits 1 (verification failed), with `says` in its stderr.
fn assert_refused(o: &std::process::Output, says: &str) {
    assert_eq!(
        code(o),
        1,
        "expected a refusal saying {says:?}: {:?}",
        text(o)
    );
    assert!(text(o).1.contains(says), "expected {says:?}: {:?}", text(o));
}

#[test]
fn identities_threshold_and_extensions() {
    let c = case();
    let f = c.file.to_str().unwrap();
    let iss = c.issuer();
    let both = format!(
        "version: 1\nidentities:\n  - {{san: bob@example.com, issuer: '{iss}'}}\n  - {{san_regex: 'alice@.*', issuer: '{iss}'}}\n"
    );
    // Any of: alice's bundle matches the second identity.
    let o = c.run(&both, &[&c.alice], f);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    assert!(
        text(&o).1.contains("signed by alice@example.com"),
        "{:?}",
        text(&o)
    );
    // None of: the identity rule fails, naming each identity's reason.
    let carol = format!("version: 1\nidentities: [{{san: carol@example.com, issuer: '{iss}'}}]\n");
    let o = c.run(&carol, &[&c.alice], f);
    assert_eq!(code(&o), 1);
    let err = text(&o).1;
    assert!(
        err.contains("policy rule identities")
            && err.contains("carol@example.com")
            && err.contains("alice@example.com"),
        "{err}"
    );

    // k of n: two distinct signers over two bundles.
    let o = c.run(&format!("{both}threshold: 2\n"), &[&c.alice, &c.bob], f);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    assert!(
        text(&o).1.contains("2 distinct signer(s)"),
        "{:?}",
        text(&o)
    );
    let o = c.run(&format!("{both}threshold: 3\n"), &[&c.alice, &c.bob], f);
    assert_refused(
        &o,
        "policy rule threshold: expected 3 distinct signer(s), found 2",
    );
    // The same signer twice counts once.
    let o = c.run(&format!("{both}threshold: 2\n"), &[&c.alice, &c.alice], f);
    assert_refused(&o, "found 1");
    // A bundle that is not for this artifact does not count (and says why).
    let o = c.run(
        &format!("{both}threshold: 2\n"),
        &[&c.alice, &c.attested],
        f,
    );
    assert_eq!(code(&o), 1, "{:?}", text(&o));

    // Extension matchers, by name and by OID, exact and regex.
    for (ext, ok) in [
        (format!("extensions: {{issuer: '{iss}'}}"), true),
        (
            format!("extensions: {{'1.3.6.1.4.1.57264.1.8': '{iss}'}}"),
            true,
        ),
        (
            "extensions_regex: {issuer: 'http://127\\.0\\.0\\.1:[0-9]+/oidc'}".to_string(),
            true,
        ),
        (
            "extensions: {issuer: 'https://other.example'}".to_string(),
            false,
        ),
        (
            "extensions: {source_repository_uri: 'https://github.com/o/r'}".to_string(),
            false,
        ),
    ] {
        let p = format!(
            "version: 1\nidentities:\n  - {{san: alice@example.com, issuer: '{iss}', {ext}}}\n"
        );
        let o = c.run(&p, &[&c.alice], f);
        assert_eq!(code(&o) == 0, ok, "{ext}: {:?}", text(&o));
        if !ok {
            assert!(
                text(&o).1.contains("extension 1.3.6.1.4.1.57264.1."),
                "{:?}",
                text(&o)
            );
        }
    }

    // A digest input, with the bundle named.
    let digest = format!(
        "sha256:{}",
        hex::encode(signet_core::encoding::sha256(
            &std::fs::read(&c.file).unwrap()
        ))
    );
    assert_eq!(code(&c.run(&both, &[&c.bob], &digest)), 0);
    assert_eq!(code(&c.run(&both, &[], &digest)), 2);
}

#[test]
fn predicate_and_signing_time_rules() {
    let c = case();
    let s = c.statement.to_str().unwrap();
    let iss = c.issuer();
    let base = format!("version: 1\nidentities: [{{san: alice@example.com, issuer: '{iss}'}}]\n");
    let ok = format!(
        "{base}predicate_type: https://example.com/p\npredicate:\n  - {{pointer: /builder/id, regex: 'https://ci\\.example/.*'}}\n  - {{pointer: /source, equals: 'https://git.example/r'}}\n  - {{pointer: /level, one_of: [2, 3]}}\n"
    );
    let o = c.run(&ok, &[&c.attested], s);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    for (bad, says) in [
        (ok.replace("https://example.com/p", "https://slsa.dev/provenance/v1"), "policy rule predicate_type: expected https://slsa.dev/provenance/v1, found https://example.com/p"),
        (ok.replace("'https://git.example/r'", "'https://git.example/other'"), "policy rule predicate[1] /source: expected \"https://git.example/other\", found \"https://git.example/r\""),
        (ok.replace("[2, 3]", "[1, 2]"), "predicate[2] /level: expected one of 1, 2, found 3"),
        (ok.replace("/builder/id", "/builder/name"), "predicate[0] /builder/name: expected a string matching"),
    ] {
        let o = c.run(&bad, &[&c.attested], s);
        assert_refused(&o, says);
    }
    // A predicate rule over a message signature (no statement) fails.
    let o = c.run(&ok, &[&c.alice], c.file.to_str().unwrap());
    assert_refused(&o, "a DSSE bundle with an in-toto statement");
    // Signing-time bounds, on the verified signing time.
    for (bound, says) in [
        (
            "signed_before: 2000-01-01T00:00:00Z",
            "policy rule signed_before: expected a signing time before 2000-01-01T00:00:00Z",
        ),
        (
            "signed_after: 2999-01-01T00:00:00Z",
            "policy rule signed_after: expected a signing time at or after 2999-01-01T00:00:00Z",
        ),
    ] {
        let o = c.run(&format!("{base}{bound}\n"), &[&c.attested], s);
        assert_refused(&o, says);
    }
    let o = c.run(
        &format!("{base}signed_after: 2020-01-01T00:00:00Z\nsigned_before: 2999-01-01T00:00:00Z\n"),
        &[&c.attested],
        s,
    );
    assert_eq!(code(&o), 0, "{:?}", text(&o));
}

#[test]
fn malformed_policies_are_usage_errors() {
    let c = case();
    let f = c.file.to_str().unwrap();
    for (p, says) in [
        (
            "version: 1\nidentities: []\n",
            "at least one entry in identities",
        ),
        (
            "version: 1\nidentities: [{san: a, issuer: b}]\nthreshold: many\n",
            "threshold",
        ),
        ("{not yaml", "policy"),
        (
            "version: 1\nidentities: [{san: a, issuer: b, color: red}]\n",
            "unknown field",
        ),
    ] {
        let o = c.run(p, &[&c.alice], f);
        assert_eq!(code(&o), 2, "{p}: {:?}", text(&o));
        assert!(
            text(&o).1.contains(says) && text(&o).1.contains("policy.yaml"),
            "{p}: {:?}",
            text(&o)
        );
    }
    let o = Cli::signet()
        .args(["verify", "policy", "--policy", "/nonexistent.yaml", f])
        .fails(2);
    assert!(text(&o).1.contains("/nonexistent.yaml"));
}
