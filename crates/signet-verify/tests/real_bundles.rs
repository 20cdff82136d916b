//! Verification of the real public-good and staging bundles in ../shared/data, and tamper tests
//! over every one of them.

use std::path::{Path, PathBuf};

use signet_core::bundle::Bundle;
use signet_core::encoding::sha256;
use signet_core::pep740::Attestation;
use signet_tuf::Instance;
use signet_verify::{Artifact, Policy, Verifier};

mod common;
use common::check_mutants_rejected;

const GH: &str = "https://token.actions.githubusercontent.com";
const GENERIC: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0";
const GO: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0";
const POA: &str = "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19";

fn shared() -> Option<PathBuf> {
    signet_testing::fixtures::require("")
}

/// One real bundle with the artifact digest and the identity it was signed by.
struct Case {
    name: String,
    bundle: Bundle,
    digest: [u8; 32],
    instance: Instance,
    identity: &'static str,
    issuer: &'static str,
}

/// The real bundle whose name satisfies `pred`.
fn find_case(d: &Path, pred: impl Fn(&str) -> bool) -> Case {
    cases(d).into_iter().find(|c| pred(&c.name)).unwrap()
}

impl Case {
    /// Verify the bundle over its artifact's digest with `v` under `policy`.
    fn verify(
        &self,
        v: &Verifier,
        policy: &Policy,
    ) -> signet_verify::Result<signet_verify::Verified> {
        v.verify(&self.bundle, Artifact::Sha256(self.digest), policy)
    }
}

fn load_bundle(path: &Path) -> Bundle {
    let bytes = std::fs::read(path).unwrap();
    let s = path.to_string_lossy();
    if s.ends_with(".attestation") {
        Attestation::from_json(&bytes).unwrap().to_bundle()
    } else {
        Bundle::from_json(&bytes).unwrap()
    }
}

fn digest_of(path: &Path) -> [u8; 32] {
    sha256(&std::fs::read(path).unwrap())
}

fn cases(d: &Path) -> Vec<Case> {
    let mut out = vec![];
    for (dir, identity) in [
        ("slsa/gha_generic/v2.1.0", GENERIC),
        ("slsa/gha_go/v2.1.0", GO),
    ] {
        for e in std::fs::read_dir(d.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let s = p.to_string_lossy().into_owned();
            if let Some(artifact) = s.strip_suffix(".intoto.jsonl") {
                out.push(Case {
                    name: s.clone(),
                    bundle: load_bundle(&p),
                    digest: digest_of(Path::new(artifact)),
                    instance: Instance::Production,
                    identity,
                    issuer: GH,
                });
            }
        }
    }
    let pypi = d.join("pypi");
    let rfc = "rfc8785-0.1.2-py3-none-any.whl";
    let table: &[(&str, &str, Instance, &str, &str)] = &[
        ("pypi_attestations-0.0.19.tar.gz.publish.attestation", "pypi_attestations-0.0.19.tar.gz", Instance::Production, POA, GH),
        ("pypi_attestations-0.0.19.tar.gz.slsa.attestation", "pypi_attestations-0.0.19.tar.gz", Instance::Production, POA, GH),
        (
            "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
            "gitlab_oidc_project-0.0.3.tar.gz",
            Instance::Production,
            "https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml@refs/heads/main",
            "https://gitlab.com",
        ),
        (
            "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl.publish.attestation",
            "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl",
            Instance::Production,
            "https://circleci.com/api/v2/projects/fdd9283f-e619-46af-8f9c-851f7d3e8b2b/pipeline-definitions/8e4f8ab2-8d7c-4827-9f15-de076d6d647f",
            "https://oidc.circleci.com",
        ),
        (
            "pypi_attestation_models-0.0.4a2.tar.gz.attestation",
            "pypi_attestation_models-0.0.4a2.tar.gz",
            Instance::Production,
            "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2",
            GH,
        ),
        (
            "pypi_attestation_models-0.0.4a2.tar.gz.sigstore",
            "pypi_attestation_models-0.0.4a2.tar.gz",
            Instance::Production,
            "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2",
            GH,
        ),
        ("rfc8785-0.1.2-py3-none-any.whl.publish.attestation", rfc, Instance::Staging, "william@yossarian.net", "https://github.com/login/oauth"),
        ("rfc8785-0.1.2-py3-none-any.whl.attestation", rfc, Instance::Staging, "william@yossarian.net", "https://github.com/login/oauth"),
        ("rfc8785-0.1.2-py3-none-any.whl.sigstore", rfc, Instance::Staging, "william@yossarian.net", "https://github.com/login/oauth"),
    ];
    for (bundle, dist, instance, identity, issuer) in table {
        out.push(Case {
            name: bundle.to_string(),
            bundle: load_bundle(&pypi.join(bundle)),
            digest: digest_of(&pypi.join(dist)),
            instance: *instance,
            identity,
            issuer,
        });
    }
    // The spt3g distribution is not shipped; CASES.md gives its digest.
    let mut spt = [0u8; 32];
    spt.copy_from_slice(
        &hex::decode("d2772f9a5199f05ed1be8d9aa78b879e51772e3ead9d73fe8057257b1aec7cf8").unwrap(),
    );
    out.push(Case {
        name: "spt3g publish attestation".into(),
        bundle: load_bundle(&pypi.join("spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.publish.attestation")),
        digest: spt,
        instance: Instance::Staging,
        identity: "william@yossarian.net",
        issuer: "https://github.com/login/oauth",
    });
    // Attestations inside PyPI provenance files.
    for (file, identity, issuer) in [
        ("pypi_attestations-0.0.19.tar.gz.provenance", POA, GH),
        ("gcb_attestation_test-0.0.0.tar.gz.provenance", "919436158236-compute@developer.gserviceaccount.com", "https://accounts.google.com"),
        (
            "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl.provenance",
            "https://circleci.com/api/v2/projects/fdd9283f-e619-46af-8f9c-851f7d3e8b2b/pipeline-definitions/8e4f8ab2-8d7c-4827-9f15-de076d6d647f",
            "https://oidc.circleci.com",
        ),
    ] {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(pypi.join(file)).unwrap()).unwrap();
        let dist = file.strip_suffix(".provenance").unwrap();
        for (i, a) in v["attestation_bundles"][0]["attestations"].as_array().unwrap().iter().enumerate() {
            let att = Attestation::from_json(serde_json::to_string(a).unwrap().as_bytes()).unwrap();
            out.push(Case {
                name: format!("{file}#{i}"),
                bundle: att.to_bundle(),
                digest: digest_of(&pypi.join(dist)),
                instance: Instance::Production,
                identity,
                issuer,
            });
        }
    }
    out
}

fn verifier(i: Instance) -> Verifier {
    Verifier::new(&i.trusted_root().unwrap()).unwrap()
}

#[test]
fn every_real_bundle_verifies_with_its_identity() {
    let Some(d) = shared() else { return };
    let (prod, staging) = (verifier(Instance::Production), verifier(Instance::Staging));
    let cases = cases(&d);
    assert!(
        cases.len() >= 19,
        "expected at least 19 real bundles, found {}",
        cases.len()
    );
    for c in &cases {
        let (v, other) = if c.instance == Instance::Production {
            (&prod, &staging)
        } else {
            (&staging, &prod)
        };
        let policy = Policy::identity(c.identity, c.issuer);
        let r = c.verify(v, &policy);
        assert!(r.is_ok(), "{}: {:?}", c.name, r.err());
        // The other instance must reject it (the chain does not lead to its CAs).
        let e = c.verify(other, &policy).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("not a transparency log") || m.contains("certificate chain"),
            "{}: {m}",
            c.name
        );
    }
}

#[test]
fn precert_tbs_fast_path_matches_reencoding() {
    let Some(d) = shared() else { return };
    for c in cases(&d) {
        let leaf =
            signet_core::x509::Certificate::from_der(c.bundle.leaf_certificate_der().unwrap())
                .unwrap();
        assert_eq!(
            leaf.precert_tbs_der().unwrap(),
            leaf.precert_tbs_der_reencoded().unwrap(),
            "{}",
            c.name
        );
    }
}

#[test]
fn real_bundles_round_trip_json() {
    let Some(d) = shared() else { return };
    for c in cases(&d) {
        let again = Bundle::from_json(c.bundle.to_json().unwrap().as_bytes()).unwrap();
        assert_eq!(again, c.bundle, "{}", c.name);
    }
    // Byte-level JSON equality with an upstream file (modulo formatting).
    let p = d.join("slsa/gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl");
    let orig: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    let again: serde_json::Value =
        serde_json::from_str(&load_bundle(&p).to_json().unwrap()).unwrap();
    assert_eq!(orig, again);
}

#[test]
fn wrong_identity_issuer_or_artifact_fails_naming_both() {
    let Some(d) = shared() else { return };
    let prod = verifier(Instance::Production);
    let c = find_case(&d, |name| {
        name.contains("pypi_attestations-0.0.19.tar.gz.publish")
    });
    let wrong_id = POA.replace("v0.0.19", "v0.0.18");
    let e = c
        .verify(&prod, &Policy::identity(&wrong_id, GH))
        .unwrap_err()
        .to_string();
    assert!(e.contains(POA) && e.contains(&wrong_id), "{e}");
    let e = c
        .verify(&prod, &Policy::identity(POA, "https://accounts.google.com"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(GH) && e.contains("https://accounts.google.com"),
        "{e}"
    );
    let e = prod
        .verify(
            &c.bundle,
            Artifact::Sha256([7; 32]),
            &Policy::identity(POA, GH),
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&hex::encode([7u8; 32])) && e.contains(&hex::encode(c.digest)),
        "{e}"
    );
    let e = c
        .verify(
            &prod,
            &Policy::identity_regex("https://github.com/other/.*", GH).unwrap(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("https://github.com/other/.*") && e.contains(POA),
        "{e}"
    );
    c.verify(
        &prod,
        &Policy::identity_regex("https://github.com/trailofbits/.*", GH).unwrap(),
    )
    .unwrap();
    // A regex must match the whole SAN, not a part of it.
    assert!(c
        .verify(&prod, &Policy::identity_regex("trailofbits", GH).unwrap())
        .is_err());
}

#[test]
fn github_policy_matches_extensions() {
    let Some(d) = shared() else { return };
    let prod = verifier(Instance::Production);
    let c = find_case(&d, |name| {
        name.ends_with("binary-linux-amd64-workflow_dispatch.intoto.jsonl")
    });
    let ok = Policy::github(
        None,
        Some("workflow_dispatch".into()),
        Some("4d329c75e7ec1725f7c9ce917a8799d408d06be3".into()),
        None,
        Some("slsa-framework/example-package".into()),
        Some("refs/heads/main".into()),
    );
    c.verify(&prod, &ok).unwrap();
    for (p, want, found) in [
        (
            Policy::github(None, Some("push".into()), None, None, None, None),
            "push",
            "workflow_dispatch",
        ),
        (
            Policy::github(None, None, None, None, Some("other/repo".into()), None),
            "other/repo",
            "slsa-framework/example-package",
        ),
        (
            Policy::github(None, None, None, None, None, Some("refs/heads/dev".into())),
            "refs/heads/dev",
            "refs/heads/main",
        ),
        (
            Policy::github(None, None, Some("00".into()), None, None, None),
            "00",
            "4d329c75e7ec1725f7c9ce917a8799d408d06be3",
        ),
    ] {
        let e = c.verify(&prod, &p).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains(found), "{e}");
    }
}

#[test]
fn tampering_with_any_field_fails_verification() {
    let Some(d) = shared() else { return };
    let (prod, staging) = (verifier(Instance::Production), verifier(Instance::Staging));
    let mut total = 0;
    for c in cases(&d) {
        let v = if c.instance == Instance::Production {
            &prod
        } else {
            &staging
        };
        let policy = Policy::identity(c.identity, c.issuer);
        total += check_mutants_rejected(&c.name, &c.bundle, |b| {
            v.verify(b, Artifact::Sha256(c.digest), &policy).map(|_| ())
        });
    }
    assert!(total > 1500, "expected many mutants, generated {total}");
    eprintln!("{total} mutants, all rejected");
}

#[test]
fn message_signature_bundle_checks_digest_and_signature() {
    // No real hashedrekord bundle ships in ../shared; the signet-testing crate covers that
    // path with generated bundles. Here: a DSSE bundle with a statement about another artifact.
    let Some(d) = shared() else { return };
    let prod = verifier(Instance::Production);
    let c = find_case(&d, |name| name.ends_with("push-v14.intoto.jsonl"));
    let other = digest_of(&d.join("slsa/gha_go/v2.1.0/binary-linux-amd64-workflow_dispatch"));
    let e = prod
        .verify(
            &c.bundle,
            Artifact::Sha256(other),
            &Policy::identity(c.identity, c.issuer),
        )
        .unwrap_err();
    assert!(e.to_string().contains("not a subject"), "{e}");
}

/// The Rekor v2 checkpoint-origin rule (origin = host name of `baseUrl`, log ID = its C2SP key
/// ID) matches the real public-good and staging trusted roots, so it rejects no real log.
#[test]
fn rekor_v2_log_ids_are_the_c2sp_key_ids_of_their_base_url_host() {
    let Some(d) = shared() else { return };
    let mut v2_logs = 0;
    for f in [
        "trust/prod.trusted_root.json",
        "trust/staging.trusted_root.json",
    ] {
        let root =
            signet_core::trust::TrustedRoot::from_json(&std::fs::read(d.join(f)).unwrap()).unwrap();
        for t in &root.tlogs {
            if t.public_key.key_details != "PKIX_ED25519" {
                continue;
            }
            let key = signet_core::crypto::PublicKey::from_trusted_root(
                t.public_key.raw_bytes.as_deref().unwrap(),
                &t.public_key.key_details,
            )
            .unwrap();
            let host = url::Url::parse(&t.base_url)
                .unwrap()
                .host_str()
                .unwrap()
                .to_string();
            let id = signet_core::checkpoint::ed25519_key_id(&host, &key.raw_key_bits().unwrap());
            assert_eq!(id.to_vec(), t.log_id.key_id, "{f}: {}", t.base_url);
            v2_logs += 1;
        }
        // Every entry of the real roots has the validFor.start the verifier requires.
        Verifier::new(&root).unwrap();
    }
    assert_eq!(v2_logs, 4);
}
