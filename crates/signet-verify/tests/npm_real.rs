//! Real npm packages' attestations (public-good Rekor, the registry's key; see
//! tests/data/npm/SOURCE.md) verify with the embedded public-good trusted root and registry
//! keys, and fail when what is expected differs.

use signet_tuf::{Instance, NPM_KEYS_TARGET};
use signet_verify::slsa::npm::{verify_package, Attestations, Error, Options, Verified};
use signet_verify::{ManagedKey, Verifier};

const RUNNER: &str = "https://github.com/actions/runner/github-hosted";

/// A published version: its attestations, the tarball's SHA-512 (the registry's
/// `dist.integrity`, as both attestations name it), what it is, and its source commit.
struct Vector {
    doc: &'static [u8],
    sha512: &'static str,
    name: &'static str,
    version: &'static str,
    source: &'static str,
    commit: &'static str,
}

/// The npm CLI, SLSA v1, a release from a tag (June 2024).
const V1: Vector = Vector {
    doc: include_bytes!("data/npm/gundam-visor-1.0.1.attestations.json"),
    sha512: "8d9d7972f676516c75014aa074e11ae604d98f0b64ec6725a61e2838ff3dab162118fa71433fb31e1550d30bd0dec9d086ce032b94457b583900c507acf39c40",
    name: "gundam-visor",
    version: "1.0.1",
    source: "github.com/ramonpetgrave64/gundam-visor",
    commit: "599500821344b070902a7a5666064bfdaba715df",
};

/// The npm CLI, SLSA v0.2, from a branch (April 2023): v0.1 bundles with SETs and no inclusion
/// proofs, `null` optional fields, the builder's short form.
const V02: Vector = Vector {
    doc: include_bytes!("data/npm/provenance-npm-test-1.0.3.attestations.json"),
    sha512: "f2995e2565a1510c707850d8194f983b91fe61ec243c5551ad849c357273768b5f3a57e44b81cc0cd36a34b8b933322be871eea5b058202be807e24dc882811b",
    name: "@laurentsimon/provenance-npm-test",
    version: "1.0.3",
    source: "github.com/laurentsimon/provenance-npm-test",
    commit: "b38894f2dda4355ea5606fccb166e61565e12a14",
};

impl Vector {
    fn opts(&self) -> Options {
        Options {
            package_name: self.name.into(),
            package_version: self.version.into(),
            slsa: signet_verify::slsa::Options {
                source_uri: self.source.into(),
                builder_id: Some(RUNNER.into()),
                ..Default::default()
            },
        }
    }

    fn verify_digest(&self, digest: &str, o: &Options) -> Result<Verified, Error> {
        let root = Instance::Production.trusted_root().unwrap();
        let keys = Instance::Production
            .embedded_target(NPM_KEYS_TARGET)
            .unwrap();
        let keys = ManagedKey::registry_keys(keys, "npm:attestations").unwrap();
        let digest: [u8; 64] = hex::decode(digest).unwrap().try_into().unwrap();
        let atts = Attestations::from_json(self.doc)?;
        verify_package(&Verifier::new(&root).unwrap(), &atts, digest, &keys, o)
    }

    /// Verify with the default options changed by `edit`.
    fn verify(&self, edit: Edit) -> Result<Verified, Error> {
        let mut o = self.opts();
        edit(&mut o);
        self.verify_digest(self.sha512, &o)
    }
}

/// A change to the expected options.
type Edit = fn(&mut Options);

/// Regression: the registry logs its key as a PEM with one 124-column base64 line (as Go
/// writes it), which the strict RFC 7468 decoder refused, failing every real publish
/// attestation; and the v0.2 environment names no ref type, which the branch check needs.
#[test]
fn real_npm_cli_packages_verify() {
    for (v, edit) in [
        (V1, (|o| o.slsa.source_tag = Some("v1.0.1".into())) as Edit),
        (V02, |o| o.slsa.source_branch = Some("main".into())),
    ] {
        let ok = v.verify(edit).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(ok.outcome.builder_id, RUNNER);
        assert_eq!(ok.outcome.commit, v.commit);
        assert_eq!(
            ok.registry_key,
            "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"
        );
        assert!(!ok.trusted_builder);
    }
}

#[test]
fn real_npm_packages_fail_for_another_expectation() {
    for v in [V1, V02] {
        let other_digest = v.sha512.replacen(&v.sha512[..4], "0000", 1);
        let e = v.verify_digest(&other_digest, &v.opts()).unwrap_err();
        assert!(e.to_string().contains("is not a subject"), "{e}");
        let cases: [(Edit, &str); 5] = [
            (
                |o| o.package_version = "9.9.9".into(),
                "package version mismatch",
            ),
            (
                |o| o.package_name = "other-package".into(),
                "package name mismatch",
            ),
            (
                |o| o.slsa.source_uri = "github.com/someone/other".into(),
                "source",
            ),
            (|o| o.slsa.source_tag = Some("v0.0.1".into()), "tag"),
            (|o| o.slsa.source_branch = Some("release".into()), "branch"),
        ];
        for (edit, want) in cases {
            let e = v.verify(edit).unwrap_err();
            assert!(
                e.to_string().contains(want),
                "{}: expected {want:?} in: {e}",
                v.name
            );
        }
    }
}
