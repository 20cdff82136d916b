//! `signet slsa verify-artifact`: one test per cell of ../shared/data/slsa/CASES.md (offline
//! rows), the bare-envelope rows offline, and the online (Rekor search) path against a loopback
//! Rekor serving entries made by `signet_testing::VirtualSigstore`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{text, Cli};

use serde_json::{json, Value};
use signet_core::bundle::Bundle;
use signet_core::dsse::INTOTO_PAYLOAD_TYPE;
use signet_core::encoding::sha256;
use signet_testing::{Identity, SignOptions, VirtualSigstore};

const G: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows";
const SRC: &str = "github.com/slsa-framework/example-package";
const GH: &str = "https://token.actions.githubusercontent.com";

fn shared() -> Option<PathBuf> {
    signet_testing::fixtures::require("")
}

/// Run signet without the proxy variables (the online tests talk to a loopback Rekor).
fn signet(args: &[&str]) -> Output {
    let mut c = Cli::signet();
    for v in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        c = c.env_remove(v);
    }
    c.args(args).run()
}

/// Run `signet --offline slsa verify-artifact` on `dir/artifact` with its `.intoto.jsonl` and
/// the default source URI unless `extra` has `--source-uri`.
fn run_offline(d: &Path, dir: &str, artifact: &str, extra: &[&str]) -> Output {
    run_with(d, dir, artifact, artifact, extra)
}

fn run_with(d: &Path, dir: &str, artifact: &str, provenance: &str, extra: &[&str]) -> Output {
    let base = d.join("slsa").join(dir);
    let art = base.join(artifact).to_string_lossy().into_owned();
    let prov = base
        .join(format!("{provenance}.intoto.jsonl"))
        .to_string_lossy()
        .into_owned();
    let mut args = vec![
        "--offline",
        "slsa",
        "verify-artifact",
        &art,
        "--provenance-path",
        &prov,
    ];
    if !extra.contains(&"--source-uri") {
        args.extend(["--source-uri", SRC]);
    }
    args.extend(extra);
    signet(&args)
}

/// Exit code 0, naming `builder` and a commit that starts with `commit`; stderr.
fn assert_verified(o: &Output, builder: &str, commit: &str) -> String {
    let (_, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "Verified build using builder \"{builder}\" at commit {commit}"
        )),
        "{err}"
    );
    err
}

fn assert_pass(o: &Output, builder: &str) {
    let err = assert_verified(o, &format!("{G}/{builder}@refs/tags/v2.1.0"), "");
    assert!(
        err.trim_end().ends_with("PASSED: SLSA verification passed"),
        "{err}"
    );
}

fn assert_fail(o: &Output, reason: &str) {
    let (_, err) = text(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("FAILED: SLSA verification failed: "),
        "{err}"
    );
    assert!(
        err.to_lowercase().contains(reason),
        "expected {reason:?} in: {err}"
    );
    assert!(!err.contains("PASSED"), "{err}");
}

/// `case!(name, dir, artifact, [args], pass builder)` or `... fail "reason"`.
macro_rules! case {
    (@check $o:expr, pass $builder:expr) => { assert_pass($o, $builder) };
    (@check $o:expr, fail $reason:expr) => { assert_fail($o, $reason) };
    ($name:ident, $dir:expr, $art:expr, [$($a:expr),*], $outcome:ident $expect:expr) => {
        #[test]
        fn $name() {
            let Some(d) = shared() else { return };
            let o = run_offline(&d, $dir, $art, &[$($a),*]);
            case!(@check &o, $outcome $expect);
        }
    };
}

const GEN: &str = "gha_generic/v2.1.0";
const GO: &str = "gha_go/v2.1.0";
const WD: &str = "binary-linux-amd64-workflow_dispatch";
const V13: &str = "binary-linux-amd64-push-v13.0.30";
const V14: &str = "binary-linux-amd64-push-v14";
const V142: &str = "binary-linux-amd64-push-v14.2";
const GENERIC_YML: &str = "generator_generic_slsa3.yml";
const GO_YML: &str = "builder_go_slsa3.yml";

/// The workflow_dispatch rows both builders share, as module `$module` (`$yml`: the builder's
/// workflow file).
macro_rules! workflow_dispatch_cases {
    ($module:ident, $dir:expr, $yml:literal) => {
        mod $module {
            use super::*;
            case!(pass, $dir, WD, [], pass $yml);
            case!(branch_main_pass, $dir, WD, ["--source-branch", "main"], pass $yml);
            case!(branch_master_fail, $dir, WD, ["--source-branch", "master"], fail "branch");
            case!(tag_fail_not_a_tag_ref, $dir, WD, ["--source-tag", "v1.2.3"], fail "tag");
            case!(
                builder_id_untrusted_fail,
                $dir,
                WD,
                ["--builder-id", concat!("https://github.com/slsa-framework/slsa-github-generator/.github/workflows/", "not-trusted.yml")],
                fail "builder"
            );
            case!(
                other_source_fail,
                $dir,
                WD,
                ["--source-uri", "github.com/slsa-framework/other-package"],
                fail "source"
            );
            case!(builder_id_name_pass, $dir, WD, ["--builder-id", concat!("https://github.com/slsa-framework/slsa-github-generator/.github/workflows/", $yml)], pass $yml);
            case!(
                builder_id_version_pass,
                $dir,
                WD,
                ["--builder-id", concat!("https://github.com/slsa-framework/slsa-github-generator/.github/workflows/", $yml, "@v2.1.0")],
                pass $yml
            );
            case!(
                builder_id_ref_pass,
                $dir,
                WD,
                ["--builder-id", concat!("https://github.com/slsa-framework/slsa-github-generator/.github/workflows/", $yml, "@refs/tags/v2.1.0")],
                pass $yml
            );
        }
    };
}

/// The push-v14 rows both builders share, as module `$module`.
macro_rules! push_v14_cases {
    ($module:ident, $dir:expr, $yml:literal) => {
        mod $module {
            use super::*;
            case!(vtag_major_pass, $dir, V14, ["--source-versioned-tag", "v14"], pass $yml);
            case!(vtag_minor_pass, $dir, V14, ["--source-versioned-tag", "v14.0"], pass $yml);
            case!(vtag_v14_1_fail, $dir, V14, ["--source-versioned-tag", "v14.1"], fail "versioned tag");
            case!(vtag_v13_fail, $dir, V14, ["--source-versioned-tag", "v13"], fail "versioned tag");
            case!(vtag_v15_fail, $dir, V14, ["--source-versioned-tag", "v15"], fail "versioned tag");
            case!(branch_main_pass, $dir, V14, ["--source-branch", "main"], pass $yml);
        }
    };
}

// gha_generic/v2.1.0 workflow_dispatch.
workflow_dispatch_cases!(generic_wd, GEN, "generator_generic_slsa3.yml");
case!(
    generic_wd_builder_id_other_version_fail,
    GEN,
    WD,
    ["--builder-id", "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.0.0"],
    fail "builder"
);

// gha_generic/v2.1.0 push-v13.0.30.
case!(v13_tag_exact_pass, GEN, V13, ["--source-tag", "v13.0.30"], pass GENERIC_YML);
case!(v13_tag_other_fail, GEN, V13, ["--source-tag", "v13.0.29"], fail "tag");
case!(v13_vtag_full_pass, GEN, V13, ["--source-versioned-tag", "v13.0.30"], pass GENERIC_YML);
case!(v13_vtag_minor_pass, GEN, V13, ["--source-versioned-tag", "v13.0"], pass GENERIC_YML);
case!(v13_vtag_major_pass, GEN, V13, ["--source-versioned-tag", "v13"], pass GENERIC_YML);
case!(v13_vtag_v2_fail, GEN, V13, ["--source-versioned-tag", "v2"], fail "versioned tag");
case!(v13_vtag_v13_1_fail, GEN, V13, ["--source-versioned-tag", "v13.1"], fail "versioned tag");
case!(v13_vtag_v12_9_fail, GEN, V13, ["--source-versioned-tag", "v12.9"], fail "versioned tag");
case!(v13_vtag_v13_0_29_fail, GEN, V13, ["--source-versioned-tag", "v13.0.29"], fail "versioned tag");
case!(v13_vtag_v13_0_31_fail, GEN, V13, ["--source-versioned-tag", "v13.0.31"], fail "versioned tag");

// gha_generic/v2.1.0 push-v14.
push_v14_cases!(v14, GEN, "generator_generic_slsa3.yml");

// gha_generic/v2.1.0 push-v14.2.
case!(v142_vtag_minor_pass, GEN, V142, ["--source-versioned-tag", "v14.2"], pass GENERIC_YML);
case!(v142_vtag_major_pass, GEN, V142, ["--source-versioned-tag", "v14"], pass GENERIC_YML);
case!(v142_vtag_v14_2_1_fail, GEN, V142, ["--source-versioned-tag", "v14.2.1"], fail "versioned tag");
case!(v142_vtag_v14_1_fail, GEN, V142, ["--source-versioned-tag", "v14.1"], fail "versioned tag");
case!(v142_vtag_v15_fail, GEN, V142, ["--source-versioned-tag", "v15"], fail "versioned tag");

// gha_go/v2.1.0: as the generic ones, builder G/builder_go_slsa3.yml.
workflow_dispatch_cases!(go_wd, GO, "builder_go_slsa3.yml");
case!(
    go_wd_builder_id_generic_fail,
    GO,
    WD,
    ["--builder-id", "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"],
    fail "builder"
);
case!(go_v14_tag_exact_pass, GO, V14, ["--source-tag", "v14"], pass GO_YML);
push_v14_cases!(go_v14, GO, "builder_go_slsa3.yml");

/// Any artifact whose sha256 is not a subject: the Go binary against the generic provenance.
#[test]
fn digest_not_a_subject_fails() {
    let Some(d) = shared() else { return };
    let art = d.join("slsa").join(GO).join(WD);
    let prov = d.join("slsa").join(GEN).join(format!("{WD}.intoto.jsonl"));
    let o = signet(&[
        "--offline",
        "slsa",
        "verify-artifact",
        art.to_str().unwrap(),
        "--provenance-path",
        prov.to_str().unwrap(),
        "--source-uri",
        SRC,
    ]);
    assert_fail(&o, "not a subject");
}

#[test]
fn print_provenance_prints_the_statement() {
    let Some(d) = shared() else { return };
    let o = run_offline(&d, GEN, V14, &["--print-provenance"]);
    assert_pass(&o, GENERIC_YML);
    let st: Value = serde_json::from_str(text(&o).0.trim()).expect("statement JSON on stdout");
    assert_eq!(st["predicateType"], "https://slsa.dev/provenance/v0.2");
}

/// Bare DSSE envelopes (v2.0.0 and root/) need a Rekor search: offline they fail clearly.
#[test]
fn bare_envelopes_offline_need_a_tlog_lookup() {
    let Some(d) = shared() else { return };
    let mut n = 0;
    for dir in ["gha_generic/v2.0.0", "root"] {
        for e in std::fs::read_dir(d.join("slsa").join(dir)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let Some(art) = name.strip_suffix(".intoto.jsonl") else {
                continue;
            };
            let source = if art == "annotated-tag" || art.contains("untrusted") {
                "github.com/asraa/slsa-on-github-test"
            } else {
                SRC
            };
            let o = run_with(&d, dir, art, art, &["--source-uri", source]);
            let (_, err) = text(&o);
            assert_eq!(o.status.code(), Some(1), "{dir}/{art}: {err}");
            assert!(
                err.starts_with("FAILED: SLSA verification failed: ")
                    && err.contains("needs a transparency log lookup"),
                "{dir}/{art}: {err}"
            );
            n += 1;
        }
    }
    assert_eq!(n, 10, "expected 3 v2.0.0 + 7 root envelopes");
}

// ---- Online path: a loopback Rekor v1 serving entries from VirtualSigstore. ----

/// A minimal HTTP/1.1 server answering `POST /api/v1/index/retrieve` with `uuids` and
/// `GET /api/v1/log/entries/{uuid}` with `entries[uuid]`. Returns the base URL.
fn serve_rekor(uuids: Vec<String>, entries: serde_json::Map<String, Value>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            if r.read_line(&mut line).is_err() {
                continue;
            }
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                let lower = h.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let (status, resp) = if path == "/api/v1/index/retrieve" {
                let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                assert!(req["hash"].as_str().unwrap().starts_with("sha256:"));
                ("200 OK", json!(uuids))
            } else if let Some(u) = path.strip_prefix("/api/v1/log/entries/") {
                match entries.get(u) {
                    Some(e) => ("200 OK", json!({ u: e })),
                    None => (
                        "404 Not Found",
                        json!({"code": 404, "message": "not found"}),
                    ),
                }
            } else {
                (
                    "404 Not Found",
                    json!({"code": 404, "message": "not found"}),
                )
            };
            let b = resp.to_string();
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                b.len()
            );
        }
    });
    url
}

/// The bundle's Rekor v1 entry as an API `LogEntry` and its UUID.
fn log_entry(b: &Bundle) -> (String, Value) {
    signet_testing::rekor_v1_api_entry(&b.verification_material.tlog_entries[0]).unwrap()
}

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// SLSA v0.2 provenance as generator_generic_slsa3.yml@refs/tags/v2.1.0 writes it for a tag
/// push of `refs/tags/v1.2.3` (branch main) of slsa-framework/example-package.
fn provenance(artifact: &[u8], builder: &str) -> Vec<u8> {
    let uri = "git+https://github.com/slsa-framework/example-package@refs/tags/v1.2.3";
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "artifact", "digest": {"sha256": hex::encode(sha256(artifact))}}],
        "predicate": {
            "builder": {"id": builder},
            "buildType": "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
            "invocation": {
                "configSource": {"uri": uri, "digest": {"sha1": COMMIT}, "entryPoint": ".github/workflows/release.yml"},
                "environment": {
                    "github_base_ref": "",
                    "github_event_name": "push",
                    "github_event_payload": {"base_ref": "refs/heads/main", "ref": "refs/tags/v1.2.3"},
                    "github_ref": "refs/tags/v1.2.3",
                    "github_ref_type": "tag",
                    "github_sha1": COMMIT
                }
            },
            "materials": [{"uri": uri, "digest": {"sha1": COMMIT}}]
        }
    }))
    .unwrap()
}

/// The GitHub workflow certificate of a tag push of example-package, as `san`.
fn workflow_cert(san: &str) -> SignOptions {
    SignOptions::new(Identity::uri(san), GH)
        .extension(2, "push")
        .extension(3, COMMIT)
        .extension(5, "slsa-framework/example-package")
        .extension(6, "refs/tags/v1.2.3")
        .extension(12, "https://github.com/slsa-framework/example-package")
        .extension(13, COMMIT)
        .extension(14, "refs/tags/v1.2.3")
        .extension(20, "push")
}

/// Provenance in a Rekor v2 bundle, dated by an RFC 3161 timestamp (no SET: slsa-verifier,
/// which requires a Rekor v1 SET, cannot verify these), verifies offline with the source and
/// tag checks; without the timestamp nothing dates it and it fails.
/// A VirtualSigstore, an artifact and its trusted root on disk: provenance it signs is written
/// as a bundle and verified offline with `slsa verify-artifact`.
struct OfflineBundle {
    vs: VirtualSigstore,
    dir: tempfile::TempDir,
    artifact: Vec<u8>,
}

impl OfflineBundle {
    fn new(artifact: &[u8]) -> Self {
        let vs = VirtualSigstore::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("artifact"), artifact).unwrap();
        std::fs::write(
            dir.path().join("trusted_root.json"),
            vs.trusted_root_json().unwrap(),
        )
        .unwrap();
        OfflineBundle {
            vs,
            dir,
            artifact: artifact.to_vec(),
        }
    }

    /// Sign `payload` with `opts` into a bundle, and verify it offline with `extra` flags.
    fn verify(&self, payload: &[u8], opts: &SignOptions, extra: &[&str]) -> Output {
        let root = self.dir.path().join("trusted_root.json");
        let trust = ["--offline", "--trusted-root", root.to_str().unwrap()];
        self.verify_with(&trust, payload, opts, extra)
    }

    /// As [`OfflineBundle::verify`], with the global flags `trust`.
    fn verify_with(
        &self,
        trust: &[&str],
        payload: &[u8],
        opts: &SignOptions,
        extra: &[&str],
    ) -> Output {
        let b = self
            .vs
            .sign_dsse(INTOTO_PAYLOAD_TYPE, payload, opts)
            .unwrap();
        let prov = self.dir.path().join("artifact.sigstore.json");
        std::fs::write(&prov, b.to_json().unwrap()).unwrap();
        let art = self.dir.path().join("artifact");
        let mut args = trust.to_vec();
        args.extend(["slsa", "verify-artifact", art.to_str().unwrap()]);
        args.extend(["--provenance-path", prov.to_str().unwrap()]);
        args.extend(["--source-uri", SRC]);
        args.extend(extra);
        signet(&args)
    }
}

#[test]
fn provenance_in_a_rekor_v2_bundle_with_a_timestamp_verifies_offline() {
    let o = OfflineBundle::new(b"rekor v2 slsa artifact\n");
    let builder = format!("{G}/{GENERIC_YML}@refs/tags/v2.1.0");
    let payload = provenance(&o.artifact, &builder);
    let run = |timestamp: bool, extra: &[&str]| {
        let opts = workflow_cert(&builder)
            .rekor_v2_with_tsa()
            .with_timestamp(timestamp);
        o.verify(&payload, &opts, extra)
    };
    assert_built_by(&run(true, &["--source-tag", "v1.2.3"]), &builder);
    assert_fail(&run(true, &["--source-tag", "v1.2.4"]), "tag");
    assert_fail(&run(false, &[]), "signing time");
}

/// SLSA v1.0 provenance as the BYOB delegator writes it for a tag push of example-package
/// built by the trusted reusable workflow `trw` (`NAME@REF`).
fn byob_provenance(artifact: &[u8], trw: &str) -> Vec<u8> {
    v1_provenance(
        artifact,
        trw,
        "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0",
    )
}

/// SLSA v1.0 provenance in the shape the BYOB delegator and the container-based builder share
/// (the caller workflow and GitHub context as GITHUB_* internal parameters, the source as the
/// first resolved dependency).
fn v1_provenance(artifact: &[u8], builder: &str, build_type: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "predicateType": "https://slsa.dev/provenance/v1",
        "subject": [{"name": "artifact", "digest": {"sha256": hex::encode(sha256(artifact))}}],
        "predicate": {
            "buildDefinition": {
                "buildType": build_type,
                "externalParameters": {"inputs": {"version": "1.2.3"}, "vars": {}},
                "internalParameters": {
                    "GITHUB_ACTOR_ID": "1",
                    "GITHUB_EVENT_NAME": "push",
                    "GITHUB_EVENT_PAYLOAD": {"base_ref": "refs/heads/main", "ref": "refs/tags/v1.2.3"},
                    "GITHUB_REF": "refs/tags/v1.2.3",
                    "GITHUB_REF_TYPE": "tag",
                    "GITHUB_REPOSITORY": "slsa-framework/example-package",
                    "GITHUB_SHA": COMMIT,
                    "GITHUB_WORKFLOW_REF": "slsa-framework/example-package/.github/workflows/release.yml@refs/tags/v1.2.3"
                },
                "resolvedDependencies": [{
                    "uri": "git+https://github.com/slsa-framework/example-package@refs/tags/v1.2.3",
                    "digest": {"gitCommit": COMMIT}
                }]
            },
            "runDetails": {
                "builder": {"id": builder},
                "metadata": {"invocationId": "https://github.com/slsa-framework/example-package/actions/runs/1/attempts/1"}
            }
        }
    }))
    .unwrap()
}

/// BYOB: the certificate is the delegator's, the provenance names the trusted reusable
/// workflow, and `--builder-id` (required) selects it, as slsa-verifier does; both delegators.
#[test]
fn byob_delegator_provenance_needs_and_matches_the_builder_id() {
    let o = OfflineBundle::new(b"byob artifact\n");
    let trw_name = "https://github.com/org/builders/.github/workflows/builder.yml";
    let run = |delegator: &str, trw: &str, extra: &[&str]| {
        let cert = workflow_cert(&format!("{G}/{delegator}@refs/tags/v2.1.0"));
        o.verify(&byob_provenance(&o.artifact, trw), &cert, extra)
    };
    let trw = format!("{trw_name}@refs/tags/v1.0.0");
    for delegator in [
        "delegator_generic_slsa3.yml",
        "delegator_lowperms-generic_slsa3.yml",
    ] {
        for id in [
            trw_name.to_string(),
            format!("{trw_name}@v1.0.0"),
            trw.clone(),
        ] {
            let o = run(
                delegator,
                &trw,
                &["--builder-id", &id, "--source-tag", "v1.2.3"],
            );
            assert_built_by(&o, &trw);
        }
    }
    let d = "delegator_generic_slsa3.yml";
    // --builder-id is required, and must name the provenance's builder.
    assert_fail(&run(d, &trw, &[]), "--builder-id");
    assert_fail(
        &run(
            d,
            &trw,
            &[
                "--builder-id",
                "https://github.com/org/other/.github/workflows/builder.yml",
            ],
        ),
        "builder",
    );
    assert_fail(
        &run(d, &trw, &["--builder-id", &format!("{trw_name}@v1.0.1")]),
        "version",
    );
    // The trusted reusable workflow must be at a release tag.
    let branch = format!("{trw_name}@refs/heads/main");
    assert_fail(&run(d, &branch, &["--builder-id", trw_name]), "builder");
    // The source checks still hold.
    assert_fail(
        &run(
            d,
            &trw,
            &["--builder-id", trw_name, "--source-tag", "v9.9.9"],
        ),
        "tag",
    );
    // A non-delegator generator cannot sign for another builder.
    let o = run(
        "generator_generic_slsa3.yml",
        &trw,
        &["--builder-id", trw_name],
    );
    assert_fail(&o, "builder");
}

/// The container-based builder: v1.0 provenance of the BYOB shape, its builder exactly the
/// certificate's; source and tag checks as for the other builders.
#[test]
fn container_based_builder_provenance_verifies() {
    let o = OfflineBundle::new(b"container-based artifact\n");
    let builder = format!("{G}/builder_container-based_slsa3.yml@refs/tags/v2.1.0");
    let run = |prov_builder: &str, build_type: &str, extra: &[&str]| {
        let payload = v1_provenance(&o.artifact, prov_builder, build_type);
        o.verify(&payload, &workflow_cert(&builder), extra)
    };
    let container = "https://slsa.dev/container-based-build/v0.1?draft";
    assert_built_by(
        &run(
            &builder,
            container,
            &["--source-tag", "v1.2.3", "--source-branch", "main"],
        ),
        &builder,
    );
    assert_fail(
        &run(&builder, container, &["--source-branch", "dev"]),
        "branch",
    );
    // Its provenance must name it, not another builder.
    let other = format!("{G}/generator_generic_slsa3.yml@refs/tags/v2.1.0");
    assert_fail(&run(&other, container, &[]), "builder");
    // An unknown buildType is refused.
    assert_fail(
        &run(&builder, "https://example.com/build@v1", &[]),
        "buildtype",
    );
}

/// VSAs: a pass of verify-artifact writes one (key-signed DSSE with --vsa-key, or a keyless
/// Sigstore bundle), and verify-vsa checks it: subject digest, verifier ID, resource URI,
/// level, and the signature (key or bundle signer).
#[test]
fn verification_summaries_are_written_on_a_pass_and_verified() {
    let o = OfflineBundle::new(b"vsa artifact\n");
    let builder = format!("{G}/{GENERIC_YML}@refs/tags/v2.1.0");
    let payload = provenance(&o.artifact, &builder);
    let keys = common::key_files();
    let vsa = o.dir.path().join("artifact.vsa.json");
    let (uri, id) = (
        "https://example.com/artifact",
        "https://github.com/signet/signet/slsa",
    );
    let emit = ["--emit-vsa", vsa.to_str().unwrap(), "--resource-uri", uri];
    let mut with_key = emit.to_vec();
    with_key.extend(["--vsa-key", keys.key.to_str().unwrap()]);
    assert_built_by(
        &o.verify(&payload, &workflow_cert(&builder), &with_key),
        &builder,
    );
    let digest = format!("sha256:{}", hex::encode(sha256(&o.artifact)));
    let verify_vsa = |extra: &[&str]| {
        let mut args = vec![
            "slsa",
            "verify-vsa",
            "--attestation-path",
            vsa.to_str().unwrap(),
        ];
        args.extend(["--verifier-id", id, "--resource-uri", uri]);
        args.extend(extra);
        signet(&args)
    };
    let key = ["--public-key-path", keys.public.to_str().unwrap()];
    let ok = [
        &key[..],
        &[
            "--subject-digest",
            &digest,
            "--verified-level",
            "SLSA_BUILD_LEVEL_3",
        ],
    ]
    .concat();
    let o_ok = verify_vsa(&ok);
    assert_eq!(o_ok.status.code(), Some(0), "{:?}", text(&o_ok));
    let other = common::key_files();
    let zero = format!("sha256:{}", "00".repeat(32));
    for (args, says) in [
        (
            [&key[..], &["--subject-digest", &zero]].concat(),
            "subject digest",
        ),
        (
            [
                &key[..],
                &[
                    "--subject-digest",
                    &digest,
                    "--verified-level",
                    "SLSA_BUILD_LEVEL_4",
                ],
            ]
            .concat(),
            "verifiedlevels",
        ),
        (
            vec![
                "--public-key-path",
                other.public.to_str().unwrap(),
                "--subject-digest",
                &digest,
            ],
            "no signature",
        ),
    ] {
        assert_fail(&verify_vsa(&args), says);
    }
    // An output that cannot be written is refused before anything is verified or signed.
    let nowhere = o.dir.path().join("no/such/dir/vsa.json");
    let mut bad_out = vec![
        "--emit-vsa",
        nowhere.to_str().unwrap(),
        "--resource-uri",
        uri,
    ];
    bad_out.extend(["--vsa-key", keys.key.to_str().unwrap()]);
    let r = o.verify(&payload, &workflow_cert(&builder), &bad_out);
    let (_, err) = text(&r);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains("expected a directory") && !err.contains("PASSED"),
        "{err}"
    );
    // No VSA is written when verification fails.
    std::fs::remove_file(&vsa).unwrap();
    let mut bad = with_key.clone();
    bad.extend(["--source-tag", "v0.0.1"]);
    assert_fail(&o.verify(&payload, &workflow_cert(&builder), &bad), "tag");
    assert!(!vsa.exists());

    // Keyless, against a local instance: one trusted root holding both the provenance's
    // (virtual) instance and the local one, and the local signing config.
    let inst = common::Instance::start();
    let mut root: Value = serde_json::from_str(&o.vs.trusted_root_json().unwrap()).unwrap();
    let local: Value =
        serde_json::from_slice(&std::fs::read(inst.trusted_root()).unwrap()).unwrap();
    for k in [
        "certificateAuthorities",
        "tlogs",
        "ctlogs",
        "timestampAuthorities",
    ] {
        let more = local[k].as_array().cloned().unwrap_or_default();
        root[k].as_array_mut().unwrap().extend(more);
    }
    let both = o.dir.path().join("both.json");
    std::fs::write(&both, root.to_string()).unwrap();
    let sc = inst.dir.path().join("signing_config.v0.2.json");
    let trust = [
        "--trusted-root",
        both.to_str().unwrap(),
        "--signing-config",
        sc.to_str().unwrap(),
    ];
    let token = inst.token("verifier@example.com");
    let mut keyless = emit.to_vec();
    keyless.extend(["--identity-token", &token]);
    assert_built_by(
        &o.verify_with(&trust, &payload, &workflow_cert(&builder), &keyless),
        &builder,
    );
    let issuer = inst.issuer();
    let by = |who: &str| {
        let mut a = vec![
            "--trusted-root",
            both.to_str().unwrap(),
            "--offline",
            "slsa",
            "verify-vsa",
        ];
        a.extend([
            "--attestation-path",
            vsa.to_str().unwrap(),
            "--verifier-id",
            id,
            "--resource-uri",
            uri,
        ]);
        a.extend([
            "--subject-digest",
            &digest,
            "--cert-identity",
            who,
            "--cert-oidc-issuer",
            &issuer,
        ]);
        signet(&a)
    };
    let o_ok = by("verifier@example.com");
    assert_eq!(o_ok.status.code(), Some(0), "{:?}", text(&o_ok));
    assert_fail(&by("someone@example.com"), "someone@example.com");
}

struct Online {
    _dir: tempfile::TempDir,
    artifact: String,
    envelope: String,
    root: String,
    rekor: String,
}

/// Sign `provenance` as `san` with VirtualSigstore (dsse 0.0.1 in its Rekor v1), write the bare
/// envelope and the trusted root, and serve the entry from a loopback Rekor (`serve_entry`:
/// whether the search finds it).
fn online_fixture(san: &str, serve_entry: bool) -> Online {
    let vs = VirtualSigstore::new().unwrap();
    let artifact = b"online slsa artifact\n".to_vec();
    let builder = format!("{G}/{GENERIC_YML}@refs/tags/v2.1.0");
    let payload = provenance(&artifact, &builder);
    let b = vs
        .sign_dsse(INTOTO_PAYLOAD_TYPE, &payload, &workflow_cert(san))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("artifact");
    std::fs::write(&art, &artifact).unwrap();
    let env = dir.path().join("artifact.intoto.jsonl");
    std::fs::write(
        &env,
        serde_json::to_string(b.dsse_envelope.as_ref().unwrap()).unwrap() + "\n",
    )
    .unwrap();
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, vs.trusted_root_json().unwrap()).unwrap();
    let (uuid, entry) = log_entry(&b);
    let mut m = serde_json::Map::new();
    m.insert(uuid.clone(), entry);
    let rekor = serve_rekor(if serve_entry { vec![uuid] } else { vec![] }, m);
    Online {
        artifact: art.to_string_lossy().into_owned(),
        envelope: env.to_string_lossy().into_owned(),
        root: root.to_string_lossy().into_owned(),
        rekor,
        _dir: dir,
    }
}

fn run_online(f: &Online, offline: bool, extra: &[&str]) -> Output {
    let mut args = vec![];
    if offline {
        args.push("--offline");
    }
    args.extend([
        "--trusted-root",
        &f.root,
        "slsa",
        "verify-artifact",
        &f.artifact,
        "--provenance-path",
        &f.envelope,
        "--source-uri",
        SRC,
        "--rekor-url",
        &f.rekor,
    ]);
    args.extend(extra);
    signet(&args)
}

/// Exit code 0, naming `builder` and [`COMMIT`]; stderr.
fn assert_built_by(o: &Output, builder: &str) -> String {
    assert_verified(o, builder, COMMIT)
}

/// The SAN of the trusted generic generator at its release tag.
fn trusted_san() -> String {
    format!("{G}/{GENERIC_YML}@refs/tags/v2.1.0")
}

/// [`run_online`] on a fresh [`online_fixture`]`(san, serve_entry)` fails for `reason`.
fn online_fails(san: &str, serve_entry: bool, offline: bool, extra: &[&str], reason: &str) {
    let f = online_fixture(san, serve_entry);
    assert_fail(&run_online(&f, offline, extra), reason);
}

#[test]
fn online_bare_envelope_verifies_via_rekor_search() {
    let f = online_fixture(&trusted_san(), true);
    let o = run_online(
        &f,
        false,
        &[
            "--source-tag",
            "v1.2.3",
            "--source-branch",
            "main",
            "--builder-id",
            &format!("{G}/{GENERIC_YML}@v2.1.0"),
        ],
    );
    let err = assert_built_by(&o, &trusted_san());
    assert!(err.contains("PASSED: SLSA verification passed"), "{err}");
    let o = run_online(&f, false, &["--source-versioned-tag", "v1.2"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = run_online(&f, false, &["--source-versioned-tag", "v1.3"]);
    assert_fail(&o, "versioned tag");
}

#[test]
fn online_bare_envelope_wrong_branch_fails() {
    online_fails(
        &trusted_san(),
        true,
        false,
        &["--source-branch", "dev"],
        "branch",
    );
}

#[test]
fn online_bare_envelope_offline_needs_a_tlog_lookup() {
    online_fails(
        &trusted_san(),
        true,
        true,
        &[],
        "needs a transparency log lookup",
    );
}

#[test]
fn online_untrusted_builder_fails() {
    // The CASES.md root/*-untrusted-builder shape: a fork's builder workflow.
    online_fails(
        "https://github.com/asraa/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v1.4.0",
        true,
        false,
        &[],
        "identity",
    );
}

#[test]
fn online_branch_builder_ref_fails() {
    // A trusted workflow at refs/heads/main (the testing override is not implemented).
    let san = format!("{G}/{GENERIC_YML}@refs/heads/main");
    online_fails(&san, true, false, &[], "builder ref");
}

#[test]
fn online_no_log_entry_fails() {
    // The CASES.md *-no-tlog-upload shape: the search finds nothing.
    online_fails(
        &trusted_san(),
        false,
        false,
        &[],
        "no transparency log entry",
    );
}

// ---- verify-github-attestation: SLSA v1 from actions/attest-build-provenance. ----

const WORKFLOW: &str = "https://github.com/acme/widget/.github/workflows/release.yml";

/// A GitHub artifact attestation bundle (SLSA v1, signed by VirtualSigstore as the workflow
/// `WORKFLOW@refs/tags/v1.0.0` on a tag push) for an artifact, with its trusted root.
fn github_attestation_fixture() -> (tempfile::TempDir, String, String, String) {
    let vs = VirtualSigstore::new().unwrap();
    let artifact = b"widget release binary\n".to_vec();
    let san = format!("{WORKFLOW}@refs/tags/v1.0.0");
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "widget", "digest": {"sha256": hex::encode(sha256(&artifact))}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {
                    "ref": "refs/tags/v1.0.0",
                    "repository": "https://github.com/acme/widget",
                    "path": ".github/workflows/release.yml"
                }},
                "internalParameters": {"github": {
                    "event_name": "push",
                    "repository_id": "1",
                    "repository_owner_id": "2"
                }},
                "resolvedDependencies": [{
                    "uri": "git+https://github.com/acme/widget@refs/tags/v1.0.0",
                    "digest": {"gitCommit": COMMIT}
                }]
            },
            "runDetails": {"builder": {"id": san}, "metadata": {"invocationId": "run/1"}}
        }
    });
    let opts = SignOptions::new(Identity::uri(&san), GH)
        .extension(12, "https://github.com/acme/widget")
        .extension(13, COMMIT)
        .extension(14, "refs/tags/v1.0.0")
        .extension(20, "push");
    let b = vs
        .sign_dsse(
            INTOTO_PAYLOAD_TYPE,
            &serde_json::to_vec(&statement).unwrap(),
            &opts,
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("widget");
    std::fs::write(&art, &artifact).unwrap();
    let bundle = dir.path().join("widget.sigstore.json");
    std::fs::write(&bundle, b.to_json().unwrap()).unwrap();
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, vs.trusted_root_json().unwrap()).unwrap();
    let s = |p: PathBuf| p.to_string_lossy().into_owned();
    (dir, s(art), s(bundle), s(root))
}

fn run_gh(extra: &[&str]) -> Output {
    run_gh_source("github.com/acme/widget", extra)
}

/// `verify-github-attestation` of a fresh [`github_attestation_fixture`] from `source`.
fn run_gh_source(source: &str, extra: &[&str]) -> Output {
    let (_dir, art, bundle, root) = github_attestation_fixture();
    let mut args = vec![
        "--offline",
        "--trusted-root",
        &root,
        "slsa",
        "verify-github-attestation",
        &art,
        "--attestation-path",
        &bundle,
        "--source-uri",
        source,
    ];
    args.extend(extra);
    signet(&args)
}

#[test]
fn github_attestation_passes_with_builder_id() {
    let o = run_gh(&["--builder-id", WORKFLOW, "--source-tag", "v1.0.0"]);
    assert_built_by(&o, &format!("{WORKFLOW}@refs/tags/v1.0.0"));
    let builder_at_version = format!("{WORKFLOW}@v1.0.0");
    let o = run_gh(&[
        "--builder-id",
        &builder_at_version,
        "--source-versioned-tag",
        "v1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn github_attestation_wrong_builder_id_fails() {
    let o = run_gh(&[
        "--builder-id",
        "https://github.com/acme/widget/.github/workflows/other.yml",
    ]);
    assert_fail(&o, "builder");
    let v2 = format!("{WORKFLOW}@v2.0.0");
    let o = run_gh(&["--builder-id", &v2]);
    assert_fail(&o, "builder");
}

#[test]
fn github_attestation_wrong_source_or_tag_fails() {
    let o = run_gh_source("github.com/acme/other", &["--builder-id", WORKFLOW]);
    assert_fail(&o, "source");
    let o = run_gh(&["--builder-id", WORKFLOW, "--source-versioned-tag", "v1.1"]);
    assert_fail(&o, "versioned tag");
}

#[test]
fn github_attestation_is_not_a_trusted_generator_build() {
    // The same bundle through verify-artifact: the workflow is not a trusted builder.
    let (_dir, art, bundle, root) = github_attestation_fixture();
    let o = signet(&[
        "--offline",
        "--trusted-root",
        &root,
        "slsa",
        "verify-artifact",
        &art,
        "--provenance-path",
        &bundle,
        "--source-uri",
        "github.com/acme/widget",
    ]);
    assert_fail(&o, "identity");
}
