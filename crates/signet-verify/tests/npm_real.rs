//! A real npm package's attestations (public-good Rekor, the registry's key; see
//! tests/data/npm/SOURCE.md) verify with the embedded public-good trusted root and registry
//! keys, and fail when what is expected differs.

use signet_tuf::{Instance, NPM_KEYS_TARGET};
use signet_verify::slsa::npm::{verify_package, Attestations, Error, Options, Verified};
use signet_verify::{ManagedKey, Verifier};

const DOC: &[u8] = include_bytes!("data/npm/gundam-visor-1.0.1.attestations.json");
/// The tarball's SHA-512 (the registry's `dist.integrity`), as both attestations name it.
const SHA512: &str = "8d9d7972f676516c75014aa074e11ae604d98f0b64ec6725a61e2838ff3dab162118fa71433fb31e1550d30bd0dec9d086ce032b94457b583900c507acf39c40";
const RUNNER: &str = "https://github.com/actions/runner/github-hosted";

fn opts() -> Options {
    Options {
        package_name: "gundam-visor".into(),
        package_version: "1.0.1".into(),
        slsa: signet_verify::slsa::Options {
            source_uri: "github.com/ramonpetgrave64/gundam-visor".into(),
            source_tag: Some("v1.0.1".into()),
            builder_id: Some(RUNNER.into()),
            ..Default::default()
        },
    }
}

fn verify(digest: &str, o: &Options) -> Result<Verified, Error> {
    let root = Instance::Production.trusted_root().unwrap();
    let keys = Instance::Production
        .embedded_target(NPM_KEYS_TARGET)
        .unwrap();
    let keys = ManagedKey::registry_keys(keys, "npm:attestations").unwrap();
    let digest: [u8; 64] = hex::decode(digest).unwrap().try_into().unwrap();
    let atts = Attestations::from_json(DOC)?;
    verify_package(&Verifier::new(&root).unwrap(), &atts, digest, &keys, o)
}

/// Regression: the registry logs its key as a PEM with one 124-column base64 line (as Go
/// writes it), which the strict RFC 7468 decoder refused, failing every real publish
/// attestation.
#[test]
fn real_npm_cli_package_verifies() {
    let v = verify(SHA512, &opts()).unwrap();
    assert_eq!(v.outcome.builder_id, RUNNER);
    assert_eq!(v.outcome.commit, "599500821344b070902a7a5666064bfdaba715df");
    assert_eq!(
        v.registry_key,
        "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"
    );
    assert!(!v.trusted_builder);
}

/// A change to the expected options.
type Edit = fn(&mut Options);

#[test]
fn real_npm_package_fails_for_another_expectation() {
    let other_digest = SHA512.replace("8d9d", "8d9e");
    let e = verify(&other_digest, &opts()).unwrap_err();
    assert!(e.to_string().contains("is not a subject"), "{e}");
    let cases: [(Edit, &str); 4] = [
        (
            |o| o.package_version = "1.0.2".into(),
            "package version mismatch",
        ),
        (
            |o| o.package_name = "gundam-visor-x".into(),
            "package name mismatch",
        ),
        (
            |o| o.slsa.source_uri = "github.com/ramonpetgrave64/other".into(),
            "source",
        ),
        (
            |o| o.slsa.source_tag = Some("v1.0.0".into()),
            "tag mismatch",
        ),
    ];
    for (edit, want) in cases {
        let mut o = opts();
        edit(&mut o);
        let e = verify(SHA512, &o).unwrap_err();
        assert!(e.to_string().contains(want), "expected {want:?} in: {e}");
    }
}

const V02_DOC: &[u8] = include_bytes!("data/npm/provenance-npm-test-1.0.3.attestations.json");
const V02_SHA512: &str = "f2995e2565a1510c707850d8194f983b91fe61ec243c5551ad849c357273768b5f3a57e44b81cc0cd36a34b8b933322be871eea5b058202be807e24dc882811b";

/// SLSA v0.2 provenance as the npm CLI wrote it in April 2023 (v0.1 bundles with SETs and no
/// inclusion proofs, `null` optional fields, the builder's short form), its claims confirmed by
/// the certificate; the source branch is checked too.
#[test]
fn real_npm_cli_v02_package_verifies() {
    let root = Instance::Production.trusted_root().unwrap();
    let keys = Instance::Production
        .embedded_target(NPM_KEYS_TARGET)
        .unwrap();
    let keys = ManagedKey::registry_keys(keys, "npm:attestations").unwrap();
    let digest: [u8; 64] = hex::decode(V02_SHA512).unwrap().try_into().unwrap();
    let atts = Attestations::from_json(V02_DOC).unwrap();
    let mut o = Options {
        package_name: "@laurentsimon/provenance-npm-test".into(),
        package_version: "1.0.3".into(),
        slsa: signet_verify::slsa::Options {
            source_uri: "github.com/laurentsimon/provenance-npm-test".into(),
            source_branch: Some("main".into()),
            builder_id: Some(RUNNER.into()),
            ..Default::default()
        },
    };
    let v = Verifier::new(&root).unwrap();
    let ok = verify_package(&v, &atts, digest, &keys, &o).unwrap();
    assert_eq!(
        ok.outcome.commit,
        "b38894f2dda4355ea5606fccb166e61565e12a14"
    );
    o.slsa.source_branch = Some("release".into());
    let e = verify_package(&v, &atts, digest, &keys, &o).unwrap_err();
    assert!(e.to_string().contains("branch mismatch"), "{e}");
}
