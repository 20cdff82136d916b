//! npm package attestations in the registry's shapes, made with a [`VirtualSigstore`]: the
//! provenance the npm CLI writes on GitHub Actions (SLSA v1, and the v0.2 of early 2023) signed
//! by the publishing workflow's certificate, the publish attestation signed by a registry key
//! (named `SHA256:...` as npm names its keys), the attestations document
//! `GET /-/npm/v1/attestations/NAME@VERSION` serves, and the registry's `keys.json`.

use std::sync::Arc;

use serde_json::{json, Value};
use signet_core::bundle::{Bundle, BundleVersion};
use signet_core::dsse::INTOTO_PAYLOAD_TYPE;
use signet_core::encoding::{b64_encode, sha256, sha512};
use signet_core::keys::{Curve, EcKey};
use signet_core::time::format_rfc3339;

use crate::{Identity, Result, SignOptions, VirtualSigstore};

/// The package.
pub const NAME: &str = "@signet/demo";
/// Its version.
pub const VERSION: &str = "1.2.3";
/// Its package URL, as subjects name it (the scope's `@` percent-encoded).
pub const PURL: &str = "pkg:npm/%40signet/demo@1.2.3";
/// The source repository.
pub const REPO: &str = "https://github.com/signet-dev/demo";
/// `--source-uri` for it.
pub const SOURCE_URI: &str = "github.com/signet-dev/demo";
/// The publishing workflow.
pub const WORKFLOW: &str = ".github/workflows/release.yml";
/// The ref it ran on.
pub const REF: &str = "refs/tags/v1.2.3";
/// The source commit.
pub const COMMIT: &str = "5f2b8c6a0e1d4f3b9a7c8d6e5f4a3b2c1d0e9f8a";
/// The builder the npm CLI names on a GitHub-hosted runner (`--builder-id`).
pub const RUNNER: &str = "https://github.com/actions/runner/github-hosted";
/// The npm CLI's v1 buildType.
pub const BUILD_TYPE: &str =
    "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1";
/// The publish attestation's predicate type.
pub const PUBLISH_TYPE: &str = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";
/// The run's invocation URI (certificate .21, provenance invocationId).
pub const RUN: &str = "https://github.com/signet-dev/demo/actions/runs/4242/attempts/1";
/// The GitHub Actions OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// A tarball and the registry key that signs its publish attestation.
#[derive(Debug, Clone)]
pub struct NpmPackage {
    /// The tarball's bytes.
    pub tarball: Vec<u8>,
    /// The registry's signing key.
    pub registry_key: Arc<EcKey>,
    /// Its key ID, `SHA256:` + unpadded base64 of the SHA-256 of its SPKI.
    pub key_id: String,
}

impl NpmPackage {
    /// A package whose tarball is `tarball`, with a fresh registry key.
    pub fn new(tarball: &[u8]) -> Result<Self> {
        let registry_key = Arc::new(EcKey::generate(Curve::P256)?);
        let key_id = format!(
            "SHA256:{}",
            b64_encode(sha256(registry_key.spki_der())).trim_end_matches('=')
        );
        Ok(NpmPackage {
            tarball: tarball.to_vec(),
            registry_key,
            key_id,
        })
    }

    /// The tarball's SHA-512, lower-case hex.
    pub fn sha512_hex(&self) -> String {
        hex::encode(sha512(&self.tarball))
    }

    /// The registry's `keys.json` listing the key under `usage` (`npm:attestations`), trusted
    /// from `start` until `end` (Unix seconds).
    pub fn keys_json(&self, usage: &str, start: i64, end: Option<i64>) -> Vec<u8> {
        let mut valid = json!({"start": format_rfc3339(start)});
        if let Some(e) = end {
            valid["end"] = json!(format_rfc3339(e));
        }
        let doc = json!({"keys": [{
            "keyId": self.key_id,
            "keyUsage": usage,
            "publicKey": {
                "rawBytes": b64_encode(self.registry_key.spki_der()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": valid,
            }
        }]});
        doc.to_string().into_bytes()
    }

    /// The publishing workflow's certificate: `REPO/WORKFLOW@REF` from GitHub Actions, with
    /// the extensions Fulcio sets for it.
    pub fn workflow_cert() -> SignOptions {
        let wf = format!("{REPO}/{WORKFLOW}@{REF}");
        SignOptions::new(Identity::uri(wf.clone()), GITHUB_ISSUER)
            .extension(2, "push")
            .extension(3, COMMIT)
            .extension(5, "signet-dev/demo")
            .extension(6, REF)
            .extension(11, "github-hosted")
            .extension(12, REPO)
            .extension(13, COMMIT)
            .extension(14, REF)
            .extension(15, "700100")
            .extension(17, "800200")
            .extension(18, wf)
            .extension(20, "push")
            .extension(21, RUN)
    }

    /// The provenance the npm CLI writes (SLSA v1), about the tarball.
    pub fn provenance_v1(&self) -> Value {
        json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": PURL, "digest": {"sha512": self.sha512_hex()}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {
                "buildDefinition": {
                    "buildType": BUILD_TYPE,
                    "externalParameters": {"workflow": {"ref": REF, "repository": REPO, "path": WORKFLOW}},
                    "internalParameters": {"github": {
                        "event_name": "push",
                        "repository_id": "700100",
                        "repository_owner_id": "800200"
                    }},
                    "resolvedDependencies": [{
                        "uri": format!("git+{REPO}@{REF}"),
                        "digest": {"gitCommit": COMMIT}
                    }]
                },
                "runDetails": {
                    "builder": {"id": RUNNER},
                    "metadata": {"invocationId": RUN}
                }
            }
        })
    }

    /// The provenance early-2023 npm CLIs wrote (SLSA v0.2), about the tarball.
    pub fn provenance_v02(&self) -> Value {
        json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "subject": [{"name": PURL, "digest": {"sha512": self.sha512_hex()}}],
            "predicateType": "https://slsa.dev/provenance/v0.2",
            "predicate": {
                "buildType": "https://github.com/npm/cli/gha@v1",
                "builder": {"id": "https://github.com/actions/runner"},
                "invocation": {
                    "configSource": {
                        "uri": format!("git+{REPO}@{REF}"),
                        "digest": {"sha1": COMMIT},
                        "entryPoint": WORKFLOW
                    },
                    "parameters": {},
                    "environment": {
                        "GITHUB_EVENT_NAME": "push",
                        "GITHUB_REF": REF,
                        "GITHUB_REPOSITORY": "signet-dev/demo",
                        "GITHUB_REPOSITORY_ID": "700100",
                        "GITHUB_REPOSITORY_OWNER_ID": "800200",
                        "GITHUB_RUN_ATTEMPT": "1",
                        "GITHUB_RUN_ID": "4242",
                        "GITHUB_SHA": COMMIT,
                        "GITHUB_WORKFLOW_REF": format!("signet-dev/demo/{WORKFLOW}@{REF}")
                    }
                },
                "metadata": {
                    "buildInvocationId": "4242-1",
                    "completeness": {"parameters": false, "environment": false, "materials": false},
                    "reproducible": false
                },
                "materials": [{"uri": format!("git+{REPO}@{REF}"), "digest": {"sha1": COMMIT}}]
            }
        })
    }

    /// The registry's publish attestation statement about the tarball.
    pub fn publish_statement(&self) -> Value {
        json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "subject": [{"name": PURL, "digest": {"sha512": self.sha512_hex()}}],
            "predicateType": PUBLISH_TYPE,
            "predicate": {"name": NAME, "version": VERSION, "registry": "https://registry.npmjs.org"}
        })
    }

    /// How the registry signs: its key (hint = key ID), Rekor v1, a v0.1 bundle.
    pub fn registry_signer(&self) -> SignOptions {
        let mut o = SignOptions::new(Identity::email("unused@npmjs.com"), "https://unused")
            .managed_key(self.registry_key.clone())
            .bundle_version(BundleVersion::V01);
        o.key_hint = Some(self.key_id.clone());
        o
    }

    /// Sign `statement` (in-toto JSON) into a bundle with `opts`.
    pub fn sign(vs: &VirtualSigstore, statement: &Value, opts: &SignOptions) -> Result<Bundle> {
        vs.sign_dsse(INTOTO_PAYLOAD_TYPE, statement.to_string().as_bytes(), opts)
    }

    /// The attestations document listing `(predicateType, bundle)` pairs.
    pub fn document(listed: &[(&str, &Bundle)]) -> Result<Vec<u8>> {
        let mut atts = vec![];
        for (t, b) in listed {
            let bundle: Value =
                serde_json::from_str(&b.to_json()?).map_err(|source| crate::Error::Json {
                    what: "bundle",
                    source,
                })?;
            atts.push(json!({"predicateType": t, "bundle": bundle}));
        }
        Ok(json!({ "attestations": atts }).to_string().into_bytes())
    }

    /// The document for a valid publication: the v1 provenance signed by the workflow and the
    /// publish attestation signed by the registry.
    pub fn valid_document(&self, vs: &VirtualSigstore) -> Result<Vec<u8>> {
        let prov = Self::sign(vs, &self.provenance_v1(), &Self::workflow_cert())?;
        let publish = Self::sign(vs, &self.publish_statement(), &self.registry_signer())?;
        Self::document(&[
            ("https://slsa.dev/provenance/v1", &prov),
            (PUBLISH_TYPE, &publish),
        ])
    }
}
