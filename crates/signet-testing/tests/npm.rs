//! npm package verification rules (`signet_verify::slsa::npm`): attestations in the registry's
//! shapes made by VirtualSigstore, each flaw alone with everything else validly re-signed,
//! rejected for its rule; the valid baselines (npm CLI v1 and v0.2 provenance, a BYOB builder)
//! accepted.

mod common;

use common::vs;
use serde_json::{json, Value};
use signet_core::encoding::sha512;
use signet_testing::npm::{self, NpmPackage, PUBLISH_TYPE};
use signet_testing::{now, Identity, SignOptions};
use signet_verify::slsa::npm::{verify_package, Attestations, Error, Options, Verified};
use signet_verify::{ManagedKey, Verifier};

const TARBALL: &[u8] = b"npm tarball bytes\n";
const PROV_V1: &str = "https://slsa.dev/provenance/v1";

fn pkg() -> NpmPackage {
    NpmPackage::new(TARBALL).unwrap()
}

fn opts() -> Options {
    Options {
        package_name: npm::NAME.into(),
        package_version: npm::VERSION.into(),
        slsa: signet_verify::slsa::Options {
            source_uri: npm::SOURCE_URI.into(),
            builder_id: Some(npm::RUNNER.into()),
            ..Default::default()
        },
    }
}

fn keys(p: &NpmPackage) -> Vec<ManagedKey> {
    ManagedKey::registry_keys(
        &p.keys_json("npm:attestations", now() - 86400, None),
        "npm:attestations",
    )
    .unwrap()
}

/// Sign `prov` (with `prov_opts`) and `publish` (with the registry key) into a document.
fn document(p: &NpmPackage, prov: &Value, prov_opts: &SignOptions, publish: &Value) -> Vec<u8> {
    let pb = NpmPackage::sign(vs(), prov, prov_opts).unwrap();
    let ub = NpmPackage::sign(vs(), publish, &p.registry_signer()).unwrap();
    let pt = prov["predicateType"].as_str().unwrap();
    NpmPackage::document(&[(pt, &pb), (PUBLISH_TYPE, &ub)]).unwrap()
}

fn verify_doc(
    p: &NpmPackage,
    doc: &[u8],
    keys: &[ManagedKey],
    o: &Options,
) -> Result<Verified, Error> {
    let atts = Attestations::from_json(doc)?;
    let v = Verifier::new(&vs().trusted_root()).unwrap();
    verify_package(&v, &atts, sha512(&p.tarball), keys, o)
}

/// Verify `doc` with the registry key and the default options.
fn verify_default(p: &NpmPackage, doc: &[u8]) -> Result<Verified, Error> {
    verify_doc(p, doc, &keys(p), &opts())
}

/// Verify `prov` signed by the workflow certificate with a valid publish attestation.
fn verify_prov(p: &NpmPackage, prov: &Value) -> Result<Verified, Error> {
    verify_prov_with(p, prov, &opts())
}

/// As [`verify_prov`], with options `o`.
fn verify_prov_with(p: &NpmPackage, prov: &Value, o: &Options) -> Result<Verified, Error> {
    let doc = document(
        p,
        prov,
        &NpmPackage::workflow_cert(),
        &p.publish_statement(),
    );
    verify_doc(p, &doc, &keys(p), o)
}

/// `prov`, signed by the workflow with a valid publish attestation, fails naming `want`.
#[track_caller]
fn refused(p: &NpmPackage, prov: &Value, want: &str) {
    fails(verify_prov(p, prov), want)
}

#[track_caller]
fn fails(r: Result<Verified, Error>, want: &str) {
    match r {
        Ok(_) => panic!("verified; expected a failure naming {want:?}"),
        Err(e) => assert!(e.to_string().contains(want), "expected {want:?} in: {e}"),
    }
}

#[test]
fn npm_cli_v1_provenance_and_publish_attestation_verify() {
    let p = pkg();
    let v = verify_doc(&p, &p.valid_document(vs()).unwrap(), &keys(&p), &opts()).unwrap();
    assert!(!v.trusted_builder);
    assert_eq!(v.outcome.builder_id, npm::RUNNER);
    assert_eq!(v.outcome.commit, npm::COMMIT);
    assert_eq!(v.registry_key, p.key_id);
    // The builder ID's short form (no runner environment) means github-hosted.
    let mut o = opts();
    o.slsa.builder_id = Some("https://github.com/actions/runner".into());
    verify_doc(&p, &p.valid_document(vs()).unwrap(), &keys(&p), &o).unwrap();
    // Source constraints, as for artifacts.
    o.slsa.source_tag = Some("v1.2.3".into());
    verify_doc(&p, &p.valid_document(vs()).unwrap(), &keys(&p), &o).unwrap();
    o.slsa.source_tag = Some("v1.2.4".into());
    fails(
        verify_doc(&p, &p.valid_document(vs()).unwrap(), &keys(&p), &o),
        "tag",
    );
}

#[test]
fn npm_cli_v02_provenance_verifies() {
    let p = pkg();
    verify_prov(&p, &p.provenance_v02()).unwrap();
}

#[test]
fn byob_builder_provenance_verifies_with_its_builder_id() {
    let p = pkg();
    let g = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows";
    let trw = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_nodejs_slsa3.yml@refs/tags/v2.1.0";
    let cert = SignOptions::new(
        Identity::uri(format!(
            "{g}/delegator_lowperms-generic_slsa3.yml@refs/tags/v2.1.0"
        )),
        npm::GITHUB_ISSUER,
    )
    .extension(2, "push")
    .extension(12, npm::REPO)
    .extension(13, npm::COMMIT)
    .extension(14, npm::REF)
    .extension(20, "push");
    let prov = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": npm::PURL, "digest": {"sha512": p.sha512_hex()}}],
        "predicateType": PROV_V1,
        "predicate": {
            "buildDefinition": {
                "buildType": "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0",
                "externalParameters": {"workflow": {"ref": npm::REF, "repository": npm::REPO, "path": npm::WORKFLOW}},
                "internalParameters": {"GITHUB_EVENT_NAME": "push"},
                "resolvedDependencies": [{"uri": format!("git+{}@{}", npm::REPO, npm::REF), "digest": {"gitCommit": npm::COMMIT}}]
            },
            "runDetails": {"builder": {"id": trw}}
        }
    });
    let doc = document(&p, &prov, &cert, &p.publish_statement());
    let mut o = opts();
    o.slsa.builder_id = Some(trw.split('@').next().unwrap().into());
    let v = verify_doc(&p, &doc, &keys(&p), &o).unwrap();
    assert!(v.trusted_builder);
    assert_eq!(v.outcome.builder_id, trw);
    // The runner is not the builder of BYOB provenance.
    fails(verify_default(&p, &doc), "expected builder");
}

#[test]
fn provenance_about_another_tarball_fails() {
    let p = pkg();
    let mut prov = p.provenance_v1();
    prov["subject"][0]["digest"]["sha512"] = json!(hex::encode(sha512(b"other")));
    refused(&p, &prov, "provenance attestation");
}

#[test]
fn provenance_with_two_subjects_fails() {
    let p = pkg();
    let mut prov = p.provenance_v1();
    let extra = json!({"name": "pkg:npm/other@1.0.0", "digest": {"sha512": "00"}});
    prov["subject"].as_array_mut().unwrap().push(extra);
    refused(&p, &prov, "exactly one subject");
}

#[test]
fn provenance_naming_another_package_or_version_fails() {
    let p = pkg();
    let mut prov = p.provenance_v1();
    prov["subject"][0]["name"] = json!("pkg:npm/%40signet/other@1.2.3");
    refused(&p, &prov, "package name mismatch");
    prov["subject"][0]["name"] = json!("pkg:npm/%40signet/demo@1.2.4");
    refused(&p, &prov, "package version mismatch");
}

#[test]
fn publish_attestation_naming_another_package_fails() {
    let p = pkg();
    for (ptr, value, want) in [
        ("/predicate/name", "@signet/other", "package name mismatch"),
        ("/predicate/version", "9.9.9", "package version mismatch"),
        (
            "/subject/0/name",
            "pkg:npm/%40signet/demo@9.9.9",
            "package version mismatch",
        ),
    ] {
        let mut publish = p.publish_statement();
        *publish.pointer_mut(ptr).unwrap() = json!(value);
        let doc = document(
            &p,
            &p.provenance_v1(),
            &NpmPackage::workflow_cert(),
            &publish,
        );
        fails(verify_default(&p, &doc), want);
    }
}

#[test]
fn publish_attestation_not_signed_by_a_registry_key_fails() {
    let p = pkg();
    let doc = p.valid_document(vs()).unwrap();
    // Another key under the same ID.
    let other = pkg();
    let mut ring: Value =
        serde_json::from_slice(&other.keys_json("npm:attestations", 0, None)).unwrap();
    ring["keys"][0]["keyId"] = json!(p.key_id);
    let wrong = ManagedKey::registry_keys(ring.to_string().as_bytes(), "npm:attestations").unwrap();
    fails(verify_doc(&p, &doc, &wrong, &opts()), "publish attestation");
    // The right key, listed for signatures only (npm:signatures), is not an attestation key.
    let sig_only =
        ManagedKey::registry_keys(&p.keys_json("npm:signatures", 0, None), "npm:attestations")
            .unwrap();
    fails(verify_doc(&p, &doc, &sig_only, &opts()), "no registry key");
}

#[test]
fn publish_attestation_outside_the_key_window_fails() {
    let p = pkg();
    let doc = p.valid_document(vs()).unwrap();
    let t = now();
    let expired = ManagedKey::registry_keys(
        &p.keys_json("npm:attestations", t - 2 * 86400, Some(t - 86400)),
        "npm:attestations",
    )
    .unwrap();
    fails(
        verify_doc(&p, &doc, &expired, &opts()),
        "does not cover the signing time",
    );
}

#[test]
fn listed_predicate_types_must_match_the_statements() {
    let p = pkg();
    let pb = NpmPackage::sign(vs(), &p.provenance_v1(), &NpmPackage::workflow_cert()).unwrap();
    let ub = NpmPackage::sign(vs(), &p.publish_statement(), &p.registry_signer()).unwrap();
    let doc = NpmPackage::document(&[
        ("https://slsa.dev/provenance/v0.2", &pb),
        (PUBLISH_TYPE, &ub),
    ])
    .unwrap();
    fails(verify_default(&p, &doc), "lists it as");
    // A publish statement whose predicate type is not the publish spec's.
    let mut publish = p.publish_statement();
    publish["predicateType"] = json!("https://example.com/other/v1");
    let ub = NpmPackage::sign(vs(), &publish, &p.registry_signer()).unwrap();
    let doc = NpmPackage::document(&[(PROV_V1, &pb), (PUBLISH_TYPE, &ub)]).unwrap();
    fails(verify_default(&p, &doc), "lists it as");
    // A document without the publish attestation.
    let doc = NpmPackage::document(&[(PROV_V1, &pb)]).unwrap();
    fails(verify_default(&p, &doc), "found no publish attestation");
}

#[test]
fn provenance_from_another_issuer_fails() {
    let p = pkg();
    let mut cert = NpmPackage::workflow_cert();
    cert.issuer = "https://accounts.example.com".into();
    let doc = document(&p, &p.provenance_v1(), &cert, &p.publish_statement());
    fails(verify_default(&p, &doc), "provenance attestation");
}

#[test]
fn builder_id_must_match_the_runner() {
    let p = pkg();
    let doc = p.valid_document(vs()).unwrap();
    let mut o = opts();
    o.slsa.builder_id = Some("https://github.com/actions/runner/self-hosted".into());
    fails(verify_doc(&p, &doc, &keys(&p), &o), "expected builder");
    o.slsa.builder_id = None;
    fails(
        verify_doc(&p, &doc, &keys(&p), &o),
        "--builder-id is required",
    );
}

#[test]
fn runner_environment_must_match_the_certificate() {
    let p = pkg();
    let mut prov = p.provenance_v1();
    prov["predicate"]["runDetails"]["builder"]["id"] =
        json!("https://github.com/actions/runner/self-hosted");
    let mut o = opts();
    o.slsa.builder_id = Some("https://github.com/actions/runner/self-hosted".into());
    fails(verify_prov_with(&p, &prov, &o), "runner environment");
}

/// Each claim npm CLI provenance makes must be one its certificate confirms.
#[test]
fn claims_the_certificate_does_not_confirm_fail() {
    let p = pkg();
    let cases: &[(&str, Value, &str)] = &[
        (
            "/predicate/buildDefinition/externalParameters/workflow/path",
            json!(".github/workflows/other.yml"),
            "Build Config URI",
        ),
        (
            "/predicate/buildDefinition/internalParameters/github/event_name",
            json!("workflow_dispatch"),
            "(.20)",
        ),
        (
            "/predicate/buildDefinition/internalParameters/github/repository_id",
            json!("1"),
            "(.15)",
        ),
        (
            "/predicate/buildDefinition/internalParameters/github/repository_owner_id",
            json!("2"),
            "(.17)",
        ),
        (
            "/predicate/runDetails/metadata/invocationId",
            json!("https://github.com/signet-dev/demo/actions/runs/1/attempts/1"),
            "(.21)",
        ),
        (
            "/predicate/buildDefinition/resolvedDependencies/0/digest/gitCommit",
            json!("0000000000000000000000000000000000000000"),
            "(.13)",
        ),
    ];
    for (ptr, value, want) in cases {
        let mut prov = p.provenance_v1();
        *prov.pointer_mut(ptr).unwrap() = value.clone();
        refused(&p, &prov, want);
    }
}

#[test]
fn unverifiable_claims_fail() {
    let p = pkg();
    let v1 = |edit: fn(&mut Value)| {
        let mut prov = p.provenance_v1();
        edit(&mut prov["predicate"]);
        prov
    };
    let v02 = |edit: fn(&mut Value)| {
        let mut prov = p.provenance_v02();
        edit(&mut prov["predicate"]);
        prov
    };
    let cases = [
        (
            v1(|p| p["buildDefinition"]["internalParameters"]["github"]["actor"] = json!("eve")),
            "GitHub parameter \"actor\"",
        ),
        (
            v1(|p| p["runDetails"]["metadata"]["startedOn"] = json!("2026-01-01T00:00:00Z")),
            "build time startedOn",
        ),
        (
            v1(|p| {
                let deps = &mut p["buildDefinition"]["resolvedDependencies"];
                let dep = deps[0].clone();
                deps.as_array_mut().unwrap().push(dep);
            }),
            "2 resolved dependencies",
        ),
        // v0.2: an environment variable the certificate cannot confirm, a mismatched run,
        // a reproducibility claim.
        (
            v02(|p| p["invocation"]["environment"]["GITHUB_ACTOR"] = json!("eve")),
            "GITHUB_ACTOR",
        ),
        (
            v02(|p| p["invocation"]["environment"]["GITHUB_RUN_ID"] = json!("1")),
            "(.21)",
        ),
        (
            v02(|p| p["metadata"]["reproducible"] = json!(true)),
            "reproducible",
        ),
    ];
    for (prov, want) in cases {
        refused(&p, &prov, want);
    }
}

#[test]
fn source_uri_must_be_the_certificate_repository() {
    let p = pkg();
    let doc = p.valid_document(vs()).unwrap();
    let mut o = opts();
    o.slsa.source_uri = "github.com/signet-dev/other".into();
    fails(verify_doc(&p, &doc, &keys(&p), &o), "source");
}

#[test]
fn provenance_of_an_untrusted_build_type_fails() {
    let p = pkg();
    let mut prov = p.provenance_v1();
    prov["predicate"]["buildDefinition"]["buildType"] = json!("https://example.com/build/v1");
    refused(&p, &prov, "buildType");
}

/// `prov` with `key` set to `value` in the object at JSON pointer `parent`.
fn with(mut prov: Value, parent: &str, key: &str, value: Value) -> Value {
    prov.pointer_mut(parent).unwrap()[key] = value;
    prov
}

/// Review finding: v1 provenance could carry flat `GITHUB_*` keys in `internalParameters`,
/// which the parser reads as GitHub context (a base branch here) though no certificate field
/// confirms them, passing `--source-branch main` for a build that was never on main.
#[test]
fn flat_github_context_in_v1_internal_parameters_is_refused() {
    let p = pkg();
    let bd = "/predicate/buildDefinition";
    let prov = with(
        p.provenance_v1(),
        &format!("{bd}/internalParameters"),
        "GITHUB_BASE_REF",
        json!("refs/heads/main"),
    );
    let mut o = opts();
    o.slsa.source_branch = Some("main".into());
    let want = "internalParameters field \"GITHUB_BASE_REF\"";
    fails(verify_prov_with(&p, &prov, &o), want);
    let prov = with(
        p.provenance_v1(),
        &format!("{bd}/externalParameters"),
        "inputs",
        json!({}),
    );
    refused(&p, &prov, "externalParameters field \"inputs\"");
}

/// Review finding: the claims checked were chosen by the fields present, the parser by the
/// predicate type, so a v0.2 statement with a v1 `buildDefinition` skipped the v0.2 checks.
#[test]
fn provenance_with_the_other_versions_fields_is_refused() {
    let p = pkg();
    let v1 = p.provenance_v1();
    let bd = v1["predicate"]["buildDefinition"].clone();
    let prov = with(p.provenance_v02(), "/predicate", "buildDefinition", bd);
    refused(&p, &prov, "SLSA v0.2 provenance with a \"buildDefinition\"");
    let prov = with(v1, "/predicate", "invocation", json!({"environment": {}}));
    refused(&p, &prov, "SLSA v1 provenance with a \"invocation\"");
}

/// A runner environment in the builder ID is a claim: without the certificate's .11 it is
/// refused; the early short form (no environment) needs none.
#[test]
fn runner_environment_needs_the_certificate_field() {
    let p = pkg();
    let mut cert = NpmPackage::workflow_cert();
    cert.extensions.retain(|(n, _)| *n != 11);
    let doc = document(&p, &p.provenance_v1(), &cert, &p.publish_statement());
    fails(verify_default(&p, &doc), "Runner Environment (.11)");
    let doc = document(&p, &p.provenance_v02(), &cert, &p.publish_statement());
    verify_default(&p, &doc).unwrap();
}

/// v0.2 claims of the workflow file and the material's commit are confirmed too.
#[test]
fn v02_workflow_and_material_claims_are_confirmed() {
    let p = pkg();
    for (parent, key, value, want) in [
        (
            "/predicate/invocation/configSource",
            "entryPoint",
            ".github/workflows/x.yml",
            "Build Config URI (.18)",
        ),
        (
            "/predicate/materials/0/digest",
            "sha1",
            "1111111111111111111111111111111111111111",
            "material commit",
        ),
    ] {
        refused(
            &p,
            &with(p.provenance_v02(), parent, key, json!(value)),
            want,
        );
    }
}

/// A delegator's certificate at a branch ref is refused for that reason, not for falling
/// through to the npm CLI rules.
#[test]
fn delegator_at_a_branch_ref_names_the_ref() {
    let p = pkg();
    let g = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows";
    let mut cert = NpmPackage::workflow_cert();
    cert.identity = Identity::uri(format!(
        "{g}/delegator_lowperms-generic_slsa3.yml@refs/heads/main"
    ));
    let doc = document(&p, &p.provenance_v1(), &cert, &p.publish_statement());
    fails(
        verify_default(&p, &doc),
        "builder workflow ref \"refs/heads/main\"",
    );
}

/// Only the publish predicate the registry signs (v0.1) is taken; the error lists what the
/// document had.
#[test]
fn publish_attestation_of_another_version_is_not_taken() {
    let p = pkg();
    let pb = NpmPackage::sign(vs(), &p.provenance_v1(), &NpmPackage::workflow_cert()).unwrap();
    let mut publish = p.publish_statement();
    let other = "https://github.com/npm/attestation/tree/main/specs/publish/v9";
    publish["predicateType"] = json!(other);
    let ub = NpmPackage::sign(vs(), &publish, &p.registry_signer()).unwrap();
    let doc = NpmPackage::document(&[(PROV_V1, &pb), (other, &ub)]).unwrap();
    fails(
        verify_default(&p, &doc),
        &format!("listed: \"{PROV_V1}\", \"{other}\""),
    );
}
