//! npm package provenance, with the semantics of slsa-verifier's `verify-npm-package`: the
//! registry's attestations document for one published version holds a SLSA provenance bundle
//! (signed keylessly by the publishing workflow) and a publish attestation (signed by the npm
//! registry's key, which the public-good TUF repository delegates to `registry.npmjs.org`).
//!
//! Rules, after each bundle has verified as a Sigstore bundle (certificate or registry key at a
//! logged signing time, log entries, DSSE signature) about the tarball's SHA-512:
//!
//! 1. the document lists one provenance attestation (SLSA v0.2 or v1) and one publish
//!    attestation (`.../specs/publish/v0.1`), each statement's predicate type that of its
//!    listing, in-toto Statement v0.1 or v1;
//! 2. the publish bundle is signed with an `npm:attestations` registry key valid at its
//!    signing time, the provenance bundle by a GitHub Actions workflow certificate;
//! 3. the provenance has exactly one subject, `pkg:npm/NAME@VERSION` (percent-decoded) with a
//!    `sha512` digest; the publish statement's subject and predicate name the same package
//!    and version; both equal `--package-name` / `--package-version`;
//! 4. the builder: a certificate for slsa-github-generator's BYOB delegator is a trusted
//!    builder, whose provenance names the reusable workflow `--builder-id` selects (as
//!    [`super::verify_provenance`]); any other workflow certificate is the npm CLI publishing
//!    from the workflow itself, whose builder is the GitHub runner
//!    (`https://github.com/actions/runner/github-hosted`, matched by `--builder-id`), and
//!    whose provenance is forgeable by that workflow, so every claim it makes must be one the
//!    certificate confirms: the workflow (.18), the source commit (.13) and ref (.14), the
//!    trigger (.20), the repository and owner IDs (.15, .17), the run (.21), the runner
//!    environment (.11); claims no certificate field can confirm (build start or finish
//!    times, unknown GitHub parameters, extra dependencies) are rejected;
//! 5. `--source-uri` and the optional branch/tag/versioned-tag constraints, as for artifacts.
//!
//! No network I/O happens here; the caller supplies the registry keys.

use serde::Deserialize;
use serde_json::Value;
use signet_core::bundle::Bundle;
use signet_core::intoto::Statement;
use signet_core::limits::{MAX_NPM_ATTESTATIONS, MAX_NPM_ATTESTATIONS_JSON};
use signet_core::x509::Certificate;
use thiserror::Error as ThisError;

use super::{
    check_source_and_constraints, parse_provenance, verify_builder_identity, BuilderId, Outcome,
    Provenance, ALLOWED_BUILD_TYPES, PROVENANCE_V02, PROVENANCE_V1,
};
use crate::{Artifact, ManagedKey, Verifier};

/// Predicate type of the npm registry's publish attestation (the one version there is).
pub const PUBLISH_PREDICATE: &str =
    "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";

/// The `keyUsage` of the registry keys that sign publish attestations.
pub const ATTESTATION_KEY_USAGE: &str = "npm:attestations";

/// The builder the npm CLI names: the GitHub runner, `/github-hosted` or `/self-hosted`.
pub const GITHUB_RUNNER_BUILDER: &str = "https://github.com/actions/runner";

/// buildTypes of provenance written by the npm CLI on GitHub Actions (v1, and v0.2 of early
/// 2023).
pub const NPM_CLI_BUILD_TYPES: &[&str] = &[
    "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
    "https://github.com/npm/cli/gha/v2",
    "https://github.com/npm/cli/gha@v1",
];

/// Why npm package verification failed. Messages name what was expected and what was found.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The attestations document is malformed or does not list the two attestations.
    #[error("npm attestations: {0}")]
    Attestations(String),
    /// One attestation's bundle did not verify.
    #[error("{which} attestation: {source}")]
    Bundle {
        /// `provenance` or `publish`.
        which: &'static str,
        /// Why.
        #[source]
        source: crate::Error,
    },
    /// The publish attestation is not what the registry signs.
    #[error("publish attestation: {0}")]
    Publish(String),
    /// The package name in an attestation is not the expected one.
    #[error("package name mismatch: {0}")]
    PackageName(String),
    /// The package version in an attestation is not the expected one.
    #[error("package version mismatch: {0}")]
    PackageVersion(String),
    /// A SLSA rule (builder, source, certificate consistency, constraints) failed.
    #[error(transparent)]
    Slsa(#[from] super::Error),
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The two attestations of an npm package version, as the registry serves them
/// (`GET /-/npm/v1/attestations/NAME@VERSION`).
#[derive(Debug, Clone)]
pub struct Attestations {
    /// The SLSA provenance bundle and its listed predicate type.
    pub provenance: (String, Bundle),
    /// The publish attestation bundle and its listed predicate type.
    pub publish: (String, Bundle),
}

#[derive(Deserialize)]
struct Document {
    #[serde(deserialize_with = "capped")]
    attestations: Vec<Listed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    predicate_type: String,
    bundle: Box<serde_json::value::RawValue>,
}

fn capped<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<Listed>, D::Error> {
    signet_core::limits::capped::vec(d, "npm attestations", MAX_NPM_ATTESTATIONS)
}

impl Attestations {
    /// Parse the registry's attestations document: exactly one provenance (SLSA v0.2 / v1)
    /// and one publish attestation.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if bytes.len() as u64 > MAX_NPM_ATTESTATIONS_JSON {
            return Err(Error::Attestations(format!(
                "expected at most {MAX_NPM_ATTESTATIONS_JSON} bytes, found {}",
                bytes.len()
            )));
        }
        let doc: Document = serde_json::from_slice(bytes).map_err(|e| {
            Error::Attestations(format!("expected {{\"attestations\": [...]}}: {e}"))
        })?;
        let (mut prov, mut publish) = (None, None);
        let seen: Vec<String> = doc
            .attestations
            .iter()
            .map(|a| format!("{:?}", a.predicate_type))
            .collect();
        for (i, a) in doc.attestations.into_iter().enumerate() {
            let slot = if a.predicate_type == PROVENANCE_V02 || a.predicate_type == PROVENANCE_V1 {
                &mut prov
            } else if a.predicate_type == PUBLISH_PREDICATE {
                &mut publish
            } else {
                continue;
            };
            if slot.is_some() {
                return Err(Error::Attestations(format!(
                    "attestation #{i}: a second attestation of predicate type {:?}",
                    a.predicate_type
                )));
            }
            let bundle = Bundle::from_json(a.bundle.get().as_bytes())
                .map_err(|e| Error::Attestations(format!("attestation #{i} bundle: {e}")))?;
            *slot = Some((a.predicate_type, bundle));
        }
        match (prov, publish) {
            (Some(provenance), Some(publish)) => Ok(Attestations {
                provenance,
                publish,
            }),
            (p, _) => Err(Error::Attestations(format!(
                "expected a SLSA provenance ({PROVENANCE_V02} or {PROVENANCE_V1}) and a publish attestation ({PUBLISH_PREDICATE}); found no {} (listed: {})",
                if p.is_none() { "provenance" } else { "publish attestation" },
                if seen.is_empty() { "none".to_string() } else { seen.join(", ") }
            ))),
        }
    }
}

/// What to check besides the signatures: the package and slsa-verifier's provenance flags
/// (`builder_id` is required: the GitHub runner for npm CLI provenance, or the reusable
/// workflow a BYOB delegator ran).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--package-name`, e.g. `@scope/name`.
    pub package_name: String,
    /// `--package-version`.
    pub package_version: String,
    /// Builder, source and constraint flags.
    pub slsa: super::Options,
}

/// What a successful verification proved.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The builder, the source commit and the provenance statement.
    pub outcome: Outcome,
    /// Whether the builder is a trusted reusable workflow (BYOB) rather than the npm CLI in
    /// the publishing workflow.
    pub trusted_builder: bool,
    /// The registry key (its ID) that signed the publish attestation.
    pub registry_key: String,
}

/// Verify an npm tarball with SHA-512 `tarball_sha512` against its `attestations`, the
/// publish attestation signed by one of `registry_keys` (see [`ManagedKey::registry_keys`]).
pub fn verify_package(
    verifier: &Verifier,
    attestations: &Attestations,
    tarball_sha512: [u8; 64],
    registry_keys: &[ManagedKey],
    opts: &Options,
) -> Result<Verified> {
    let artifact = Artifact::Sha512(tarball_sha512);
    let (prov_type, prov_bundle) = &attestations.provenance;
    let (pub_type, pub_bundle) = &attestations.publish;
    let bundle_err = |which| move |source| Error::Bundle { which, source };

    // The provenance: a GitHub Actions workflow certificate signed it (the builder rules
    // below decide which workflows are trusted).
    let prov = verifier
        .verify(prov_bundle, artifact, &super::github_attestation_policy())
        .map_err(bundle_err("provenance"))?;
    // The verifier parsed the statement (type, subjects, predicate type) when it matched the
    // tarball against it.
    check_listed("provenance", prov.statement.as_ref(), prov_type)?;

    // The publish attestation: the registry's key.
    if registry_keys.is_empty() {
        return Err(Error::Publish(format!(
            "no registry key with keyUsage {ATTESTATION_KEY_USAGE:?} to verify it with"
        )));
    }
    let publish = verifier
        .verify_with_key(pub_bundle, artifact, registry_keys)
        .map_err(bundle_err("publish"))?;
    check_listed("publish", publish.statement.as_ref(), pub_type)?;
    // The predicate (the package's name and version) is needed too.
    let pub_st = Statement::from_json(payload(pub_bundle)?)
        .map_err(|e| Error::Attestations(format!("publish statement: {e}")))?;

    // The package, in both.
    let (name, version) = (&opts.package_name, &opts.package_version);
    check_publish_package(&pub_st, name, version)?;
    let (st, p) = parse_provenance(payload(prov_bundle)?, &all_build_types())?;
    check_provenance_subject(&st, name, version)?;

    let leaf = &prov.certificate;
    let hex = hex::encode(tarball_sha512);
    let digest = ("sha512", hex.as_str());
    let want = opts
        .slsa
        .builder_id
        .as_deref()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            super::Error::BuilderId(format!(
                "--builder-id is required: {GITHUB_RUNNER_BUILDER}/github-hosted for npm CLI provenance, or the trusted reusable workflow the provenance names ({:?})",
                p.builder_id
            ))
        })?;
    // A delegator's certificate is a trusted builder only at a release tag: its failure is the
    // reason, not a fall through to the npm CLI rules.
    let delegator = match verify_builder_identity(leaf, None) {
        Ok(b) => super::is_delegator(&b),
        Err(e) if names_delegator(leaf) => return Err(e.into()),
        Err(_) => false,
    };
    let (outcome, trusted_builder) = match delegator {
        true => {
            // BYOB: the provenance names the trusted reusable workflow the delegator ran.
            let trw = super::delegated_builder(&p, want)?;
            let o = check_source_and_constraints(leaf, trw, st, &p, digest, &opts.slsa)?;
            (o, true)
        }
        false => {
            let builder = npm_cli_builder(leaf, &p, want)?;
            check_claims_confirmed(leaf, &st, &p)?;
            let o = check_source_and_constraints(leaf, builder, st, &p, digest, &opts.slsa)?;
            (o, false)
        }
    };
    Ok(Verified {
        outcome,
        trusted_builder,
        registry_key: publish.hint.unwrap_or_default(),
    })
}

/// Whether the certificate's SAN names a BYOB delegator workflow (at whatever ref).
fn names_delegator(leaf: &Certificate) -> bool {
    let sans = leaf.san_identities().unwrap_or_default();
    sans.iter().any(|s| match s {
        signet_core::x509::SanIdentity::Uri(u) => {
            BuilderId::parse(u, true).is_ok_and(|b| super::is_delegator(&b))
        }
        _ => false,
    })
}

/// Every buildType a provenance may have here (the trusted builders' and the npm CLI's).
fn all_build_types() -> Vec<&'static str> {
    ALLOWED_BUILD_TYPES
        .iter()
        .chain(NPM_CLI_BUILD_TYPES)
        .copied()
        .collect()
}

/// The (signature-verified) DSSE payload of a bundle.
fn payload(b: &Bundle) -> Result<&[u8]> {
    b.dsse_envelope
        .as_ref()
        .map(|e| e.payload.as_slice())
        .ok_or_else(|| {
            Error::Attestations("expected a DSSE envelope, found a message signature".into())
        })
}

/// The (verified, parsed) statement's predicate type is the one its listing names.
fn check_listed(which: &str, st: Option<&Statement>, listed: &str) -> Result<()> {
    let st = st.ok_or_else(|| {
        Error::Attestations(format!(
            "{which}: expected a DSSE statement, found a message signature"
        ))
    })?;
    if st.predicate_type != listed {
        return Err(Error::Attestations(format!(
            "{which} statement predicate type {:?}, but the document lists it as {listed:?}",
            st.predicate_type
        )));
    }
    Ok(())
}

/// `pkg:npm/NAME@VERSION` (percent-encoded, as purls are) -> (NAME, VERSION).
fn parse_purl(purl: &str) -> Result<(String, String)> {
    let rest = purl.strip_prefix("pkg:npm/").ok_or_else(|| {
        Error::PackageName(format!("subject {purl:?} is not a pkg:npm/ package URL"))
    })?;
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .map_err(|_| Error::PackageName(format!("subject {purl:?} is not UTF-8 once decoded")))?;
    // A scoped name starts with '@'; the version follows the last '@'.
    let (name, version) = match decoded.rfind('@') {
        Some(i) if i > 0 => (&decoded[..i], &decoded[i + 1..]),
        _ => {
            return Err(Error::PackageVersion(format!(
                "subject {purl:?} names no version (expected pkg:npm/NAME@VERSION)"
            )))
        }
    };
    Ok((name.to_string(), version.to_string()))
}

fn same_package(what: &str, (name, version): (&str, &str), want: (&str, &str)) -> Result<()> {
    if name != want.0 {
        return Err(Error::PackageName(format!(
            "expected {:?}, {what} names {name:?}",
            want.0
        )));
    }
    if version != want.1 {
        return Err(Error::PackageVersion(format!(
            "expected {:?}, {what} names {version:?}",
            want.1
        )));
    }
    Ok(())
}

/// The provenance is about exactly one subject: this package, by its SHA-512.
fn check_provenance_subject(st: &Value, name: &str, version: &str) -> Result<()> {
    let subjects = st.get("subject").and_then(Value::as_array);
    let [subject] = subjects.map(Vec::as_slice).unwrap_or_default() else {
        return Err(Error::Slsa(super::Error::Provenance(format!(
            "expected exactly one subject (the tarball), found {}",
            subjects.map_or(0, Vec::len)
        ))));
    };
    if subject
        .pointer("/digest/sha512")
        .and_then(Value::as_str)
        .is_none()
    {
        let algs = subject.get("digest").and_then(Value::as_object);
        let algs: Vec<&str> = algs
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect();
        return Err(Error::Slsa(super::Error::Provenance(format!(
            "expected the subject's sha512 digest, found digests {algs:?}"
        ))));
    }
    let purl = subject
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (n, v) = parse_purl(purl)?;
    same_package("the provenance subject", (&n, &v), (name, version))
}

/// The publish statement: one subject, this package; its predicate names it too.
fn check_publish_package(st: &Statement, name: &str, version: &str) -> Result<()> {
    let [subject] = st.subject.as_slice() else {
        return Err(Error::Publish(format!(
            "expected exactly one subject (the tarball), found {}",
            st.subject.len()
        )));
    };
    let (n, v) = parse_purl(&subject.name)?;
    same_package("the publish subject", (&n, &v), (name, version))?;
    let pred = st.predicate.as_ref();
    let field = |k: &str| pred.and_then(|p| p.get(k)).and_then(Value::as_str);
    match (field("name"), field("version")) {
        (Some(n), Some(v)) => same_package("the publish predicate", (n, v), (name, version)),
        _ => Err(Error::Publish(
            "expected a predicate with the package's name and version, found none".into(),
        )),
    }
}

/// The npm CLI's builder, `https://github.com/actions/runner/ENV` (the short form without
/// `/ENV`, written by early npm versions, meaning github-hosted): the provenance's must match
/// `--builder-id` and the certificate's runner environment (.11) when it has one.
fn npm_cli_builder(leaf: &Certificate, p: &Provenance, want: &str) -> Result<BuilderId> {
    if !NPM_CLI_BUILD_TYPES.contains(&p.build_type.as_str()) {
        return Err(Error::Slsa(super::Error::UntrustedBuilder(format!(
            "the certificate's workflow is not a trusted builder, and buildType {:?} is not the npm CLI's ({})",
            p.build_type,
            NPM_CLI_BUILD_TYPES.join(", ")
        ))));
    }
    let full = |id: &str| {
        if id == GITHUB_RUNNER_BUILDER {
            format!("{GITHUB_RUNNER_BUILDER}/github-hosted")
        } else {
            id.to_string()
        }
    };
    let found = full(&p.builder_id);
    let env = found
        .strip_prefix(GITHUB_RUNNER_BUILDER)
        .and_then(|e| e.strip_prefix('/'))
        .filter(|e| !e.is_empty() && !e.contains('/'))
        .ok_or_else(|| {
            super::Error::BuilderId(format!(
                "npm CLI provenance builder {:?}, expected {GITHUB_RUNNER_BUILDER}/ENV",
                p.builder_id
            ))
        })?;
    if full(want) != found {
        return Err(Error::Slsa(super::Error::BuilderId(format!(
            "expected builder {want:?}, provenance names {:?}",
            p.builder_id
        ))));
    }
    // The runner environment is a claim too: the certificate's (.11) must confirm it. Early
    // npm provenance names the runner without one (the short form), which needs no .11.
    match cert_ext(leaf, 11)? {
        Some(cert_env) if cert_env != env => {
            return Err(Error::Slsa(super::Error::Certificate(format!(
                "certificate runner environment {cert_env:?}, provenance builder {found:?}"
            ))))
        }
        None if p.builder_id != GITHUB_RUNNER_BUILDER => {
            return Err(Error::Slsa(super::Error::Certificate(format!(
                "provenance builder {:?} names a runner environment the certificate cannot confirm: it has no Runner Environment (.11)",
                p.builder_id
            ))))
        }
        _ => {}
    }
    Ok(BuilderId {
        name: found,
        version: String::new(),
    })
}

fn cert_ext(leaf: &Certificate, n: u32) -> Result<Option<String>> {
    super::ext(leaf, &[n]).map_err(Error::Slsa)
}

/// A claim the provenance makes must equal certificate extension `n`.
fn confirm(leaf: &Certificate, what: &str, claim: &str, n: u32) -> Result<()> {
    let name = signet_core::x509::fulcio_extension_name(n).unwrap_or("extension");
    match cert_ext(leaf, n)? {
        Some(c) if c == claim => Ok(()),
        Some(c) => Err(Error::Slsa(super::Error::Certificate(format!(
            "provenance {what} {claim:?}, certificate {name} (.{n}) {c:?}"
        )))),
        None => Err(Error::Slsa(super::Error::Certificate(format!(
            "provenance {what} {claim:?} cannot be confirmed: the certificate has no {name} (.{n})"
        )))),
    }
}

/// npm CLI provenance is signed by the workflow that publishes, so it proves only what the
/// certificate confirms: every claim below must equal its certificate field, and claims no
/// field covers are refused.
fn check_claims_confirmed(leaf: &Certificate, st: &Value, p: &Provenance) -> Result<()> {
    let unverifiable = |what: String| {
        Err(Error::Slsa(super::Error::Provenance(format!(
            "{what}: a claim the certificate cannot confirm"
        ))))
    };
    let pred = st.get("predicate").unwrap_or(&Value::Null);
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    // The version is the predicate type's (as the parser reads it); the other version's
    // fields would go unchecked here, so they are refused.
    let v1 = st.get("predicateType").and_then(Value::as_str) == Some(PROVENANCE_V1);
    let foreign: &[&str] = match v1 {
        true => &["invocation", "materials", "buildConfig", "metadata"],
        false => &["buildDefinition", "runDetails"],
    };
    if let Some(k) = foreign.iter().find(|k| pred.get(**k).is_some()) {
        let version = if v1 { "SLSA v1" } else { "SLSA v0.2" };
        return unverifiable(format!("{version} provenance with a {k:?} field"));
    }
    if v1 {
        // v1: workflow, GitHub parameters, one resolved dependency, run, no build times.
        let bd = pred.get("buildDefinition").unwrap_or(&Value::Null);
        // Only these parameters can be confirmed; anything else (a flat GITHUB_* key the
        // parser would read as GitHub context, say) is refused.
        for (obj, allowed) in [
            ("externalParameters", "workflow"),
            ("internalParameters", "github"),
        ] {
            let keys = bd.get(obj).and_then(Value::as_object).into_iter().flatten();
            if let Some((k, _)) = keys.into_iter().find(|(k, _)| *k != allowed) {
                return unverifiable(format!("{obj} field {k:?}"));
            }
        }
        let wf = bd.pointer("/externalParameters/workflow");
        let field = |k: &str| s(wf.and_then(|w| w.get(k)));
        let (Some(repo), Some(path), Some(r)) = (field("repository"), field("path"), field("ref"))
        else {
            return Err(Error::Slsa(super::Error::Provenance(
                "expected externalParameters.workflow with repository, path and ref".into(),
            )));
        };
        confirm(leaf, "workflow", &format!("{repo}/{path}@{r}"), 18)?;
        let github = bd
            .pointer("/internalParameters/github")
            .and_then(Value::as_object);
        for (k, v) in github.into_iter().flatten() {
            let n = match k.as_str() {
                "event_name" => 20,
                "repository_id" => 15,
                "repository_owner_id" => 17,
                _ => return unverifiable(format!("GitHub parameter {k:?}")),
            };
            let claim = s(Some(v)).ok_or_else(|| {
                super::Error::Provenance(format!(
                    "GitHub parameter {k:?} is {v}, expected a string"
                ))
            })?;
            confirm(leaf, &format!("GitHub parameter {k}"), &claim, n)?;
        }
        let deps = bd.get("resolvedDependencies").and_then(Value::as_array);
        if deps.map_or(0, Vec::len) != 1 {
            return unverifiable(format!(
                "{} resolved dependencies (the certificate confirms one source)",
                deps.map_or(0, Vec::len)
            ));
        }
        let run = pred.pointer("/runDetails/metadata");
        if let Some(id) = s(run.and_then(|m| m.get("invocationId"))) {
            confirm(leaf, "invocation", &id, 21)?;
        }
        for k in ["startedOn", "finishedOn"] {
            if run.and_then(|m| m.get(k)).is_some() {
                return unverifiable(format!("build time {k}"));
            }
        }
    } else {
        // v0.2: the environment holds GitHub variables, each one the certificate confirms.
        let env = pred
            .pointer("/invocation/environment")
            .and_then(Value::as_object);
        let mut run = (None, None);
        for (k, v) in env.into_iter().flatten() {
            let claim = s(Some(v)).ok_or_else(|| {
                super::Error::Provenance(format!("environment {k:?} is {v}, expected a string"))
            })?;
            let claim = match k.as_str() {
                "GITHUB_REPOSITORY" | "GITHUB_WORKFLOW_REF" => {
                    format!("https://github.com/{claim}")
                }
                "GITHUB_RUN_ID" => {
                    run.0 = Some(claim);
                    continue;
                }
                "GITHUB_RUN_ATTEMPT" => {
                    run.1 = Some(claim);
                    continue;
                }
                _ => claim,
            };
            let n = match k.as_str() {
                "GITHUB_EVENT_NAME" => 20,
                "GITHUB_REF" => 14,
                "GITHUB_REPOSITORY" => 12,
                "GITHUB_REPOSITORY_ID" => 15,
                "GITHUB_REPOSITORY_OWNER_ID" => 17,
                "GITHUB_SHA" => 13,
                "GITHUB_WORKFLOW_REF" => 18,
                "GITHUB_WORKFLOW_SHA" => 19,
                _ => return unverifiable(format!("environment variable {k:?}")),
            };
            confirm(leaf, k, &claim, n)?;
        }
        // The run: GITHUB_RUN_ID / _ATTEMPT and buildInvocationId `ID-ATTEMPT` name the run
        // the certificate's run invocation URI (.21) ends with.
        let invocation = s(pred.pointer("/metadata/buildInvocationId"));
        let from_id = invocation.as_deref().map(|i| match i.split_once('-') {
            Some((a, b)) => (Some(a.to_string()), Some(b.to_string())),
            None => (Some(i.to_string()), None),
        });
        for (id, attempt) in [run].into_iter().chain(from_id) {
            if id.is_none() && attempt.is_none() {
                continue;
            }
            let claim = format!(
                "/actions/runs/{}/attempts/{}",
                id.unwrap_or_default(),
                attempt.unwrap_or_default()
            );
            match cert_ext(leaf, 21)? {
                Some(c) if c.ends_with(&claim) => {}
                c => {
                    return Err(Error::Slsa(super::Error::Certificate(format!(
                        "provenance run {claim:?}, certificate Run Invocation URI (.21) {}",
                        c.map_or("absent".into(), |c| format!("{c:?}"))
                    ))))
                }
            }
        }
        let empty = |ptr: &str| {
            pred.pointer(ptr)
                .is_none_or(|v| v.is_null() || v.as_object().is_some_and(|o| o.is_empty()))
        };
        for ptr in ["/invocation/parameters", "/buildConfig"] {
            if !empty(ptr) {
                return unverifiable(format!("non-empty {}", &ptr[1..]));
            }
        }
        for ptr in [
            "/metadata/reproducible",
            "/metadata/completeness/parameters",
            "/metadata/completeness/environment",
            "/metadata/completeness/materials",
        ] {
            if pred.pointer(ptr).and_then(Value::as_bool) == Some(true) {
                return unverifiable(format!("{} true", &ptr[1..]));
            }
        }
        // The workflow file and the material's commit, when claimed.
        if let Some(entry) = s(pred.pointer("/invocation/configSource/entryPoint")) {
            let (repo, r) = super::split_git_uri(&p.trigger_uri)?;
            let repo = repo.trim_start_matches("git+");
            confirm(leaf, "workflow", &format!("{repo}/{entry}@{r}"), 18)?;
        }
        if let Some(sha) = s(pred.pointer("/materials/0/digest/sha1")) {
            confirm(leaf, "material commit", &sha, 13)?;
        }
        if pred
            .pointer("/materials")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
            != 1
        {
            return unverifiable("materials other than the one source".into());
        }
        for k in ["buildStartedOn", "buildFinishedOn"] {
            if pred.pointer(&format!("/metadata/{k}")).is_some() {
                return unverifiable(format!("build time {k}"));
            }
        }
    }
    // The source commit, for both versions.
    if let Some(sha) = &p.source_sha {
        confirm(leaf, "source commit", sha, 13)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_are_decoded_and_split_at_the_version() {
        assert_eq!(
            parse_purl("pkg:npm/%40sigstore/cli@0.8.1").unwrap(),
            ("@sigstore/cli".into(), "0.8.1".into())
        );
        assert_eq!(
            parse_purl("pkg:npm/sigstore@3.0.0").unwrap(),
            ("sigstore".into(), "3.0.0".into())
        );
        assert!(matches!(
            parse_purl("pkg:npm/@scope/name"),
            Err(Error::PackageVersion(_))
        ));
        assert!(matches!(
            parse_purl("pkg:pypi/x@1"),
            Err(Error::PackageName(_))
        ));
    }

    #[test]
    fn documents_need_both_attestations() {
        let e = Attestations::from_json(br#"{"attestations": []}"#).unwrap_err();
        assert!(e.to_string().contains("found no provenance"), "{e}");
        let e = Attestations::from_json(b"[]").unwrap_err();
        assert!(e.to_string().contains("expected {\"attestations\""), "{e}");
        let many = format!(
            r#"{{"attestations": [{}]}}"#,
            vec![r#"{"predicateType": "x", "bundle": {}}"#; MAX_NPM_ATTESTATIONS + 1].join(",")
        );
        let e = Attestations::from_json(many.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("npm attestations"), "{e}");
    }
}
