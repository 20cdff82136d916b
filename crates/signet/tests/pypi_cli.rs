//! `signet pypi ...` end to end: one test per row of ../shared/data/pypi/CASES.md (real
//! attestations, offline), the online path against a loopback index, and `pypi sign` against
//! a real `signet serve`.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{signet, text, Cli, Instance};

fn data() -> Option<PathBuf> {
    signet_testing::fixtures::require("pypi")
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn ok(o: &Output) -> String {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "stdout: {out}\nstderr: {err}");
    err
}

/// `o` failed (exit 1) with stderr containing every one of `needles`; returns stderr.
fn fails(o: &Output, needles: &[&str]) -> String {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(1), "stdout: {out}\nstderr: {err}");
    for needle in needles {
        assert!(err.contains(needle), "expected {needle:?} in: {err}");
    }
    err
}

const PA19_ID: &str =
    "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19";
const PA19: &str = "pypi_attestations-0.0.19.tar.gz";

/// `signet pypi verify attestation --offline --identity IDENTITY EXTRA DIST`.
fn attestation(identity: &str, extra: &[&str], dist: &str) -> Cli {
    offline_verify("attestation", ["--identity", identity], extra, dist)
}

/// `signet pypi verify SUBCOMMAND --offline FLAG EXTRA DIST`.
fn offline_verify(subcommand: &str, flag: [&str; 2], extra: &[&str], dist: &str) -> Cli {
    Cli::signet()
        .args(["pypi", "verify", subcommand, "--offline"])
        .args(flag)
        .args(extra)
        .arg(dist)
}

// Row 1: pypi_attestations-0.0.19 with its two attestations, by identity.
#[test]
fn row1_identity_ok_for_both_attestations() {
    let Some(d) = data() else { return };
    let dist = d.join(PA19);
    let err = ok(&attestation(PA19_ID, &[], &s(&dist)).run());
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        vec![
            format!("OK: {}.publish.attestation", s(&dist)),
            format!("OK: {}.slsa.attestation", s(&dist)),
        ]
    );
}

#[test]
fn row1_other_identity_fails_san_mismatch() {
    let Some(d) = data() else { return };
    let wrong = PA19_ID.replace("v0.0.19", "v0.0.18");
    let err = fails(
        &signet(&[
            "--offline",
            "pypi",
            "verify",
            "attestation",
            "--identity",
            &wrong,
            &s(&d.join(PA19)),
        ]),
        &["does not match expected identity", &wrong, PA19_ID],
    );
    assert_eq!(err.matches("FAIL: ").count(), 2, "{err}");
}

fn verify_pypi(d: &Path, dist: &str, policy: &[&str]) -> Output {
    let dist = s(&d.join(dist));
    provenance(&format!("{dist}.provenance"), policy, &dist)
}

/// `signet pypi verify pypi --offline --provenance-file PROVENANCE POLICY DIST`.
fn provenance(provenance: &str, policy: &[&str], dist: &str) -> Output {
    offline_verify("pypi", ["--provenance-file", provenance], policy, dist).run()
}

// Row 2: provenance with a GitHub publisher.
#[test]
fn row2_provenance_github_repository_ok() {
    let Some(d) = data() else { return };
    let err = ok(&verify_pypi(
        &d,
        PA19,
        &[
            "--repository",
            "https://github.com/trailofbits/pypi-attestations",
        ],
    ));
    assert_eq!(err.trim(), format!("OK: {}", s(&d.join(PA19))));
}

#[test]
fn row2_provenance_other_repository_names_both() {
    let Some(d) = data() else { return };
    fails(
        &verify_pypi(&d, PA19, &["--repository", "https://github.com/other/repo"]),
        &[
            "repository mismatch",
            "https://github.com/other/repo",
            "https://github.com/trailofbits/pypi-attestations",
        ],
    );
}

#[test]
fn row2_provenance_gitlab_repository_is_a_kind_mismatch() {
    let Some(d) = data() else { return };
    fails(
        &verify_pypi(
            &d,
            PA19,
            &[
                "--repository",
                "https://gitlab.com/trailofbits/pypi-attestations",
            ],
        ),
        &["publisher kind mismatch: expected a GitLab repository"],
    );
}

#[test]
fn row2_provenance_without_policy_asks_for_repository() {
    let Some(d) = data() else { return };
    let o = verify_pypi(&d, PA19, &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--repository"), "{err}");
}

const GITLAB_DIST: &str = "gitlab_oidc_project-0.0.3.tar.gz";

// Row 3: GitLab.
#[test]
fn row3_gitlab_identity_ok() {
    let Some(d) = data() else { return };
    ok(&attestation(
        "https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml@refs/heads/main",
        &[],
        &s(&d.join(GITLAB_DIST)),
    )
    .run());
}

/// Write a provenance file for the GitLab attestation with the given publisher fields.
fn gitlab_provenance(d: &Path, dir: &Path, workflow_filepath: &str) -> PathBuf {
    let att: serde_json::Value = serde_json::from_slice(
        &std::fs::read(d.join(format!("{GITLAB_DIST}.publish.attestation"))).unwrap(),
    )
    .unwrap();
    let prov = serde_json::json!({
        "version": 1,
        "attestation_bundles": [{
            "publisher": {
                "kind": "GitLab",
                "repository": "facutuesca/gitlab-oidc-project",
                "workflow_filepath": workflow_filepath,
                "environment": null,
            },
            "attestations": [att],
        }],
    });
    let p = dir.join(format!("{workflow_filepath}.provenance"));
    std::fs::write(&p, serde_json::to_vec(&prov).unwrap()).unwrap();
    p
}

#[test]
fn row3_gitlab_publisher_policy_ok_and_wrong_filepath_fails() {
    let Some(d) = data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dist = s(&d.join(GITLAB_DIST));
    let repo = "https://gitlab.com/facutuesca/gitlab-oidc-project";
    let verify = |prov: &Path| provenance(&s(prov), &["--repository", repo], &dist);
    ok(&verify(&gitlab_provenance(
        &d,
        tmp.path(),
        ".gitlab-ci.yml",
    )));
    let bad = gitlab_provenance(&d, tmp.path(), "other-ci.yml");
    fails(
        &verify(&bad),
        &[
            "Build Config URI",
            "other-ci.yml",
            "//.gitlab-ci.yml@refs/heads/main",
        ],
    );
}

// Row 4: Google.
#[test]
fn row4_google_service_account() {
    let Some(d) = data() else { return };
    let dist = "gcb_attestation_test-0.0.0.tar.gz";
    ok(&verify_pypi(
        &d,
        dist,
        &[
            "--gcp-service-account",
            "919436158236-compute@developer.gserviceaccount.com",
        ],
    ));
    fails(
        &verify_pypi(
            &d,
            dist,
            &[
                "--gcp-service-account",
                "other@example.iam.gserviceaccount.com",
            ],
        ),
        &[
            "service account mismatch",
            "919436158236-compute@developer.gserviceaccount.com",
        ],
    );
    // Missing account: no policy at all is a usage error.
    let o = verify_pypi(&d, dist, &[]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    // A GitHub expectation against a Google publisher.
    fails(
        &verify_pypi(&d, dist, &["--repository", "https://github.com/o/r"]),
        &["publisher kind mismatch"],
    );
}

// Row 5: CircleCI.
const CIRCLE: &str = "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl";

#[test]
fn row5_circleci_publisher() {
    let Some(d) = data() else { return };
    let pid = "fdd9283f-e619-46af-8f9c-851f7d3e8b2b";
    let did = "8e4f8ab2-8d7c-4827-9f15-de076d6d647f";
    ok(&verify_pypi(
        &d,
        CIRCLE,
        &[
            "--circleci-project-id",
            pid,
            "--circleci-pipeline-definition-id",
            did,
        ],
    ));
    fails(
        &verify_pypi(
            &d,
            CIRCLE,
            &[
                "--circleci-project-id",
                pid,
                "--circleci-pipeline-definition-id",
                pid,
            ],
        ),
        &["CircleCI publisher mismatch", did],
    );
    // The standalone attestation verifies by its SAN.
    ok(&attestation(
        &format!("https://circleci.com/api/v2/projects/{pid}/pipeline-definitions/{did}"),
        &[],
        &s(&d.join(CIRCLE)),
    )
    .run());
}

// Row 6: staging.
#[test]
fn row6_staging_ok_and_production_fails_chain() {
    let Some(d) = data() else { return };
    let dist = s(&d.join("rfc8785-0.1.2-py3-none-any.whl"));
    let att = s(&d.join("rfc8785-0.1.2-py3-none-any.whl.publish.attestation"));
    let args = |staging: bool| {
        attestation("william@yossarian.net", &["--attestation", &att], &dist)
            .args(if staging { &["--staging"][..] } else { &[] })
            .run()
    };
    let err = ok(&args(true));
    assert_eq!(err.trim(), format!("OK: {att}"));
    // Production trust material does not know staging's log (checked first, step 1 of the
    // verification order) nor its CA: a trust-chain failure either way.
    let err = fails(&args(false), &["FAIL: "]);
    assert!(
        err.contains("certificate chain")
            || err.contains("not a transparency log in the trusted root"),
        "{err}"
    );
}

// Row 7: conversion and the converted attestation.
#[test]
fn row7_convert_bundle_reproduces_attestation() {
    let Some(d) = data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x.attestation");
    let convert = |output: &Path, input: &Path| {
        ok(&signet(&[
            "pypi",
            "convert",
            "--output-file",
            &s(output),
            &s(input),
        ]))
    };
    convert(
        &out,
        &d.join("pypi_attestation_models-0.0.4a2.tar.gz.sigstore"),
    );
    let got: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let want: serde_json::Value = serde_json::from_slice(
        &std::fs::read(d.join("pypi_attestation_models-0.0.4a2.tar.gz.attestation")).unwrap(),
    )
    .unwrap();
    assert_eq!(got, want);
    // And back: the attestation converts to a bundle that `verify identity` accepts.
    let bundle = tmp.path().join("x.sigstore.json");
    convert(&bundle, &out);
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert!(b["dsseEnvelope"].is_object(), "{b}");
}

#[test]
fn row7_converted_attestation_verifies() {
    let Some(d) = data() else { return };
    let dist = s(&d.join("pypi_attestation_models-0.0.4a2.tar.gz"));
    let att = s(&d.join("pypi_attestation_models-0.0.4a2.tar.gz.attestation"));
    ok(&attestation(
        "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2",
        &["--attestation", &att],
        &dist,
    )
    .run());
}

// Row 8 (spt3g, no distribution file) is tested at the library level:
// signet_verify::pypi::tests::spt3g_subject_matches_reordered_tag_set.

// Row 9: a different file (content or name) fails naming both.
#[test]
fn row9_other_content_fails() {
    let Some(d) = data() else { return };
    let (_tmp, dist) = common::work_file(PA19, b"not the release");
    let att = s(&d.join(format!("{PA19}.publish.attestation")));
    fails(
        &attestation(PA19_ID, &["--attestation", &att], &s(&dist)).run(),
        &[
            "subject does not match distribution name/digest: expected pypi_attestations-0.0.19.tar.gz (sha256 ",
            "found pypi_attestations-0.0.19.tar.gz (sha256 9bb1add0",
        ],
    );
}

#[test]
fn row9_other_name_fails() {
    let Some(d) = data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // Same bytes, another version in the name.
    let dist = tmp.path().join("pypi_attestations-0.0.20.tar.gz");
    std::fs::copy(d.join(PA19), &dist).unwrap();
    let slsa = s(&d.join(format!("{PA19}.slsa.attestation")));
    fails(
        &attestation(PA19_ID, &["--attestation", &slsa], &s(&dist)).run(),
        &[
            "subject does not match distribution name/digest: expected pypi_attestations-0.0.20.tar.gz",
            "found pypi_attestations-0.0.19.tar.gz",
        ],
    );
    // Through provenance too, for every publisher kind.
    for (name, policy) in [
        (
            "gcb_attestation_test-0.0.0.tar.gz",
            vec![
                "--gcp-service-account",
                "919436158236-compute@developer.gserviceaccount.com",
            ],
        ),
        (
            CIRCLE,
            vec![
                "--circleci-project-id",
                "fdd9283f-e619-46af-8f9c-851f7d3e8b2b",
                "--circleci-pipeline-definition-id",
                "8e4f8ab2-8d7c-4827-9f15-de076d6d647f",
            ],
        ),
    ] {
        let dist = tmp.path().join(name);
        std::fs::write(&dist, b"tampered").unwrap();
        let prov = s(&d.join(format!("{name}.provenance")));
        fails(
            &provenance(&prov, &policy, &s(&dist)),
            &["subject does not match distribution name/digest"],
        );
    }
}

#[test]
fn missing_attestation_is_a_usage_error() {
    let (_tmp, dist) = common::work_file("x-1.0.tar.gz", b"x");
    let o = signet(&[
        "pypi",
        "verify",
        "attestation",
        "--identity",
        "a",
        &s(&dist),
    ]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("x-1.0.tar.gz.publish.attestation"));
}

#[test]
fn inspect_human_and_json() {
    let Some(d) = data() else { return };
    let att = s(&d.join(format!("{PA19}.publish.attestation")));
    let o = signet(&["pypi", "inspect", &att]);
    ok(&o);
    let (out, _) = text(&o);
    assert!(out.contains(&format!("Identity: {PA19_ID}")), "{out}");
    assert!(
        out.contains("Issuer:   https://token.actions.githubusercontent.com"),
        "{out}"
    );
    assert!(out.contains("Log index:"), "{out}");
    // The bug: the issuer was printed twice (as Issuer and as the Issuer (V2) extension).
    assert_eq!(out.matches("Issuer").count(), 1, "{out}");
    assert!(
        out.contains("Predicate type: https://docs.pypi.org/attestations/publish/v1"),
        "{out}"
    );
    assert!(
        out.contains(&format!("Subject:        {PA19} sha256:9bb1add0")),
        "{out}"
    );
    let o = signet(&["pypi", "inspect", "--json", &att]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    assert_eq!(v["certificate"]["identity"], PA19_ID);
    assert_eq!(v["statement"]["subjects"][0]["name"], PA19);
    assert!(v["transparency_entries"][0]["log_index"].is_i64());
}

/// The loopback index ([`common::serve_static`]).
fn serve(routes: HashMap<String, Vec<u8>>) -> String {
    common::serve_static(routes)
}

fn sha256_hex(b: &[u8]) -> String {
    use aws_lc_rs::digest;
    hex::encode(digest::digest(&digest::SHA256, b))
}

fn index_for(d: &Path, sha_override: Option<&str>) -> (String, Vec<u8>) {
    let dist = std::fs::read(d.join(PA19)).unwrap();
    let sha = sha_override
        .map(str::to_string)
        .unwrap_or_else(|| sha256_hex(&dist));
    let simple = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": "pypi-attestations",
        "files": [
            {"filename": "pypi_attestations-0.0.18.tar.gz", "url": "/files/other", "hashes": {"sha256": "00"}},
            {"filename": PA19, "url": format!("../../files/{PA19}"), "hashes": {"sha256": sha}},
        ],
    });
    let mut routes = HashMap::new();
    routes.insert(
        "/simple/pypi-attestations/".to_string(),
        serde_json::to_vec(&simple).unwrap(),
    );
    routes.insert(format!("/files/{PA19}"), dist.clone());
    routes.insert(
        format!("/integrity/pypi-attestations/0.0.19/{PA19}/provenance"),
        std::fs::read(d.join(format!("{PA19}.provenance"))).unwrap(),
    );
    (serve(routes), dist)
}

/// `signet pypi verify pypi --index-url INDEX --repository REPOSITORY INPUT`.
fn online(index: &str, repository: &str, input: &str) -> Output {
    signet(&[
        "pypi",
        "verify",
        "pypi",
        "--index-url",
        index,
        "--repository",
        repository,
        input,
    ])
}

#[test]
fn online_pypi_prefix_url_and_local_file() {
    let Some(d) = data() else { return };
    let (index, _) = index_for(&d, None);
    let repo = "https://github.com/trailofbits/pypi-attestations";
    let pypi_arg = format!("pypi:{PA19}");
    let online = |repository: &str, input: &str| online(&index, repository, input);
    let err = ok(&online(repo, &pypi_arg));
    assert_eq!(err.trim(), format!("OK: {pypi_arg}"));
    ok(&online(repo, &format!("{index}/files/{PA19}")));
    ok(&online(repo, &s(&d.join(PA19))));
    fails(
        &online("https://github.com/other/repo", &pypi_arg),
        &["expected https://github.com/other/repo, found https://github.com/trailofbits/pypi-attestations"],
    );
    // Unknown file and missing provenance name the URL.
    fails(
        &online(repo, "pypi:pypi_attestations-0.0.17.tar.gz"),
        &["has no file pypi_attestations-0.0.17.tar.gz"],
    );
    fails(
        &online(repo, "pypi:pypi_attestations-0.0.18.tar.gz"),
        &["HTTP 404"],
    );
    // --offline refuses remote inputs.
    let o = offline_verify("pypi", ["--repository", repo], &[], &pypi_arg).run();
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
}

#[test]
fn online_index_digest_mismatch_fails() {
    let Some(d) = data() else { return };
    let (index, _) = index_for(&d, Some(&"00".repeat(32)));
    fails(
        &online(
            &index,
            "https://github.com/trailofbits/pypi-attestations",
            &format!("pypi:{PA19}"),
        ),
        &["but the index lists 0000"],
    );
}

#[test]
fn sign_against_serve_then_verify() {
    let inst = Instance::start();
    let (_work, dist) = common::work_file("My.Pkg-1.0-py3-none-any.whl", b"wheel bytes");
    let tc = s(&inst.trust_config());
    let token = inst.token("alice@example.com");
    let sign = || inst.sign_with(&token, &dist, &["pypi", "sign"]).run();
    let err = ok(&sign());
    assert!(err.contains("alice@example.com"), "{err}");
    let att = format!("{}.publish.attestation", s(&dist));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&att).unwrap()).unwrap();
    assert_eq!(v["version"], 1);
    // Verify it (issuer not checked, SAN exact).
    let err = ok(&inst.cli(&[
        "pypi",
        "verify",
        "attestation",
        "--offline",
        "--identity",
        "alice@example.com",
        &s(&dist),
    ]));
    assert_eq!(err.trim(), format!("OK: {att}"));
    fails(
        &signet(&[
            "pypi",
            "verify",
            "attestation",
            "--trust-config",
            &tc,
            "--identity",
            "mallory@example.com",
            &s(&dist),
        ]),
        &["mallory@example.com"],
    );
    // The statement names the ultranormalized distribution.
    let o = signet(&["pypi", "inspect", "--json", &att]);
    let j: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    assert_eq!(
        j["statement"]["subjects"][0]["name"],
        "my_pkg-1.0-py3-none-any.whl"
    );
    // Refuses to overwrite.
    let o = sign();
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
}

#[test]
fn bench_pypi_directory() {
    let Some(d) = data() else { return };
    let o = signet(&["bench", "pypi", "--iterations", "2", &s(&d)]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("median per attestation"), "{out}");
    assert!(
        out.contains("pypi_attestations-0.0.19.tar.gz.provenance#0"),
        "{out}"
    );
    assert!(err.contains("verifications on"), "{err}");
}

/// `pypi sign --rekor-version 2` used to exit 0 with an attestation nothing could verify
/// (PEP 740 carries no timestamp, Rekor v2 gives no time): it is refused before signing.
#[test]
fn pypi_sign_rekor_v2_is_refused_before_anything_is_signed() {
    let inst = Instance::start();
    let (work, dist) = common::work_file("pkg-1.0.tar.gz", b"sdist bytes");
    let o = inst
        .sign_as(
            "alice@example.com",
            &dist,
            &["pypi", "sign", "--rekor-version", "2"],
        )
        .fails(2);
    assert!(text(&o).1.contains("Rekor v1"), "{:?}", text(&o));
    assert!(!work
        .path()
        .join("pkg-1.0.tar.gz.publish.attestation")
        .exists());
}
