//! Tamper tests over bundles made by VirtualSigstore: the paths the real public-good bundles do
//! not exercise (hashedrekord message signatures, Rekor v2 with Ed25519 checkpoints, RFC 3161
//! timestamps, bundle v0.1/v0.2 chains).

use signet_core::bundle::{Bundle, BundleVersion};
use signet_testing::{Identity, RekorVersion, SignOptions, VirtualSigstore};
use signet_verify::{Artifact, Policy, Verifier};

mod common;
use common::check_mutants_rejected;

const ARTIFACT: &[u8] = b"the artifact under test";

#[test]
fn tampering_with_generated_bundles_fails() {
    let vs = VirtualSigstore::new().unwrap();
    let verifier = Verifier::new(&vs.trusted_root()).unwrap();
    let policy = Policy::identity("alice@example.com", "https://issuer.example");
    let base = SignOptions::new(
        Identity::email("alice@example.com"),
        "https://issuer.example",
    );
    let bundles: Vec<(&str, Bundle)> = vec![
        (
            "message v1",
            vs.sign_message(ARTIFACT, &base.clone().rekor(RekorVersion::V1))
                .unwrap(),
        ),
        (
            "message v1 + TSA",
            vs.sign_message(
                ARTIFACT,
                &base.clone().rekor(RekorVersion::V1).with_timestamp(true),
            )
            .unwrap(),
        ),
        (
            "message v2 + TSA",
            vs.sign_message(ARTIFACT, &base.clone().rekor_v2_with_tsa())
                .unwrap(),
        ),
        (
            "in-toto v2 + TSA",
            vs.sign_intoto("artifact", ARTIFACT, &base.clone().rekor_v2_with_tsa())
                .unwrap(),
        ),
        (
            "in-toto v1 bundle 0.1",
            vs.sign_intoto(
                "artifact",
                ARTIFACT,
                &base.clone().bundle_version(BundleVersion::V01),
            )
            .unwrap(),
        ),
        (
            "message v1 bundle 0.2",
            vs.sign_message(ARTIFACT, &base.clone().bundle_version(BundleVersion::V02))
                .unwrap(),
        ),
    ];
    let mut total = 0;
    for (name, b) in &bundles {
        verifier
            .verify(b, Artifact::Bytes(ARTIFACT), &policy)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        total += check_mutants_rejected(name, b, |t| {
            verifier
                .verify(t, Artifact::Bytes(ARTIFACT), &policy)
                .map(|_| ())
        });
    }
    assert!(total > 400, "expected many mutants, generated {total}");
    eprintln!("{total} mutants of generated bundles, all rejected");
}
