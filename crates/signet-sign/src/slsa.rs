//! SLSA provenance verification as slsa-verifier's `verify-artifact` and
//! `verify-github-attestation` do it, for the client: the provenance file is a Sigstore bundle
//! (verified offline) or a bare DSSE envelope, as older slsa-github-generator releases wrote. A
//! bare envelope carries neither the signing certificate nor the log entry, so they are looked
//! up in Rekor v1 ([`RekorV1::dsse_bundles`]), assembled into bundles and verified as usual;
//! that lookup is the only network I/O. The provenance rules themselves are
//! `signet_verify::slsa`'s.

use serde_json::Value;
use signet_core::bundle::Bundle;
use signet_core::dsse::Envelope;
use signet_core::limits::MAX_DSSE_CANDIDATES;
use signet_verify::slsa::{self, Options, Outcome};
use signet_verify::{Artifact, Verifier};

use crate::rekor_v1::RekorV1;

/// Why an artifact's provenance did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provenance file is not a bundle or envelope.
    #[error("{0}")]
    File(String),
    /// A bare envelope where only bundles are accepted.
    #[error("a bare DSSE envelope; GitHub attestations are Sigstore bundles")]
    EnvelopeNotAccepted,
    /// A bare envelope and no Rekor to look its entry up in.
    #[error("a bare DSSE envelope needs a Rekor lookup")]
    NoRekor,
    /// The bundle has no DSSE envelope.
    #[error("the provenance bundle carries no DSSE envelope")]
    NoEnvelope,
    /// The bundle did not verify.
    #[error(transparent)]
    Verify(#[from] signet_verify::Error),
    /// The verification summary does not hold.
    #[error(transparent)]
    Vsa(#[from] signet_verify::vsa::Error),
    /// The provenance rules did not hold.
    #[error(transparent)]
    Provenance(#[from] slsa::Error),
    /// The Rekor lookup failed.
    #[error(transparent)]
    Rekor(#[from] crate::Error),
    /// No Rekor entry logging the envelope verified.
    #[error("no valid transparency log entry for the provenance at {rekor} (artifact sha256 {digest}){}", if errors.is_empty() { String::new() } else { format!(": {}", errors.join("; ")) })]
    NoEntry {
        /// The Rekor searched.
        rekor: String,
        /// The artifact digest (hex).
        digest: String,
        /// Why each candidate entry failed.
        errors: Vec<String>,
    },
}

/// Which provenance is being verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// slsa-github-generator provenance (its trusted reusable workflows).
    Generator,
    /// A GitHub artifact attestation (the workflow named by `--builder-id`).
    GithubAttestation,
}

/// A provenance file's content.
pub enum ProvenanceFile {
    /// A Sigstore bundle (also inside the GitHub attestations API's `{"bundle": ...}`).
    Bundle(Box<Bundle>),
    /// A bare DSSE envelope (`.intoto.jsonl`).
    Envelope(Envelope),
}

impl ProvenanceFile {
    /// Parse the file: JSON (for `.intoto.jsonl`, the first non-empty line), a bundle when it
    /// has `mediaType` or `verificationMaterial`, an envelope when it has `payloadType`.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let text = String::from_utf8_lossy(bytes);
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .ok_or(Error::File("the file is empty".into()))?;
        let mut v: Value =
            serde_json::from_str(first).map_err(|e| Error::File(format!("not JSON: {e}")))?;
        if let Some(inner) = v.get("bundle").filter(|b| b.is_object()) {
            v = inner.clone();
        }
        if v.get("mediaType").is_some() || v.get("verificationMaterial").is_some() {
            let b = Bundle::from_json(v.to_string().as_bytes())
                .map_err(|e| Error::File(format!("parsing a Sigstore bundle: {e}")))?;
            return Ok(ProvenanceFile::Bundle(Box::new(b)));
        }
        if v.get("payloadType").is_some() {
            let e = Envelope::from_json(first.as_bytes())
                .map_err(|e| Error::File(format!("parsing a DSSE envelope: {e}")))?;
            return Ok(ProvenanceFile::Envelope(e));
        }
        Err(Error::File(
            "neither a Sigstore bundle (mediaType) nor a DSSE envelope (payloadType)".into(),
        ))
    }

    /// The DSSE payload (the provenance statement), before any verification.
    fn payload(&self) -> Result<&[u8], Error> {
        match self {
            ProvenanceFile::Bundle(b) => b
                .dsse_envelope
                .as_ref()
                .map(|e| e.payload.as_slice())
                .ok_or(Error::NoEnvelope),
            ProvenanceFile::Envelope(e) => Ok(e.payload.as_slice()),
        }
    }
}

/// Verify `prov` for the artifact with SHA-256 `digest`: the bundle (or, for a bare envelope,
/// the first Rekor entry at `rekor` that logs it and verifies) against `verifier` with the
/// kind's identity policy, then the provenance rules under `opts`. The error is the reason,
/// naming what was expected and found.
pub fn verify_artifact(
    verifier: &Verifier,
    prov: &ProvenanceFile,
    kind: Kind,
    digest: [u8; 32],
    opts: &Options,
    rekor: Option<&RekorV1>,
) -> Result<Outcome, Error> {
    let policy = match kind {
        Kind::Generator => slsa::builder_policy(),
        Kind::GithubAttestation => slsa::github_attestation_policy(),
    };
    let digest_hex = hex::encode(digest);
    let verified = match prov {
        ProvenanceFile::Bundle(b) => verifier.verify(b, Artifact::Sha256(digest), &policy)?,
        ProvenanceFile::Envelope(_) if kind == Kind::GithubAttestation => {
            return Err(Error::EnvelopeNotAccepted)
        }
        ProvenanceFile::Envelope(env) => {
            let rekor = rekor.ok_or(Error::NoRekor)?;
            let candidates = rekor.dsse_bundles(env, &digest_hex, MAX_DSSE_CANDIDATES)?;
            let mut errors = vec![];
            let mut found = None;
            for (uuid, b) in candidates {
                match verifier.verify(&b, Artifact::Sha256(digest), &policy) {
                    Ok(v) => {
                        found = Some(v);
                        break;
                    }
                    Err(e) => errors.push(format!("entry {uuid}: {e}")),
                }
            }
            found.ok_or_else(|| Error::NoEntry {
                rekor: rekor.base().to_string(),
                digest: digest_hex.clone(),
                errors,
            })?
        }
    };
    let payload = prov.payload()?;
    match kind {
        Kind::Generator => {
            slsa::verify_provenance(&verified.certificate, payload, &digest_hex, opts)
        }
        Kind::GithubAttestation => {
            slsa::verify_github_attestation(&verified.certificate, payload, &digest_hex, opts)
        }
    }
    .map_err(Error::from)
}

/// The policy a VSA written by `verify-artifact --emit-vsa` names: slsa-verifier's checks of the
/// provenance against the builder and source given.
pub const VSA_POLICY_URI: &str = "https://slsa.dev/spec/v1.0/verifying-artifacts";

/// The SLSA build level a verified provenance of `kind` attests: 3 for slsa-github-generator's
/// trusted reusable workflows (isolated, non-forgeable provenance), 2 for GitHub artifact
/// attestations (hosted build platform, signed provenance).
pub fn verified_level(kind: Kind) -> &'static str {
    match kind {
        Kind::Generator => "SLSA_BUILD_LEVEL_3",
        Kind::GithubAttestation => "SLSA_BUILD_LEVEL_2",
    }
}

/// A statement signed with a managed key as a bare DSSE envelope (JSON), the form
/// slsa-verifier's `verify-vsa` checks with a public key; its key ID is the key's hint.
pub fn key_signed_envelope(
    key: &signet_core::keys::EcKey,
    statement: &[u8],
) -> crate::Result<Vec<u8>> {
    let mut env = Envelope {
        payload: statement.to_vec(),
        payload_type: signet_core::dsse::INTOTO_PAYLOAD_TYPE.into(),
        signatures: vec![],
    };
    let sig = key.sign(&env.pae())?;
    env.signatures.push(signet_core::dsse::Signature {
        sig,
        keyid: crate::key_hint(key),
    });
    serde_json::to_vec(&env).map_err(|e| crate::Error::Config(format!("DSSE envelope JSON: {e}")))
}

/// How a VSA's signature is checked.
pub enum VsaSigner<'a> {
    /// A bare DSSE envelope signed with this key.
    Key(&'a signet_core::crypto::PublicKey),
    /// A Sigstore bundle, verified against the trusted root for this signer.
    Bundle(&'a Verifier, &'a signet_verify::Policy),
}

/// Verify a VSA (`bytes`: a bare DSSE envelope or a Sigstore bundle, by `signer`) and check
/// it against `want`; the statement.
pub fn verify_vsa(
    bytes: &[u8],
    signer: VsaSigner<'_>,
    want: &signet_verify::vsa::Expect,
) -> Result<Value, Error> {
    use signet_verify::vsa;
    let env = match signer {
        VsaSigner::Key(key) => {
            let env = Envelope::from_json(bytes)
                .map_err(|e| Error::File(format!("expected a DSSE envelope: {e}")))?;
            vsa::verify_key_signed(&env, key)?;
            env
        }
        VsaSigner::Bundle(verifier, policy) => {
            let b = Bundle::from_json(bytes)
                .map_err(|e| Error::File(format!("expected a Sigstore bundle: {e}")))?;
            // The signature covers the statement, whose subjects must include this digest.
            let digest = want
                .subject_digests
                .iter()
                .find_map(|d| d.strip_prefix("sha256:"))
                .and_then(|h| hex::decode(h).ok())
                .and_then(|d| <[u8; 32]>::try_from(d).ok())
                .ok_or_else(|| {
                    Error::File(
                        "a VSA bundle is verified for a sha256:HEX subject digest; give one".into(),
                    )
                })?;
            verifier.verify(&b, Artifact::Sha256(digest), policy)?;
            b.dsse_envelope.ok_or(Error::NoEnvelope)?
        }
    };
    Ok(vsa::check(&env.payload_type, &env.payload, want)?)
}

/// The Rekor to look a provenance's log entry up in: none for a bundle (it carries its
/// entries); for a bare DSSE envelope the one at `url`, unless `offline` (refused) or `kind`
/// accepts only bundles.
pub fn rekor_for(
    prov: &ProvenanceFile,
    kind: Kind,
    offline: bool,
    url: &str,
) -> Result<Option<RekorV1>, Error> {
    match prov {
        ProvenanceFile::Bundle(_) => Ok(None),
        ProvenanceFile::Envelope(_) if kind == Kind::GithubAttestation => Err(Error::EnvelopeNotAccepted),
        ProvenanceFile::Envelope(_) if offline => Err(Error::File(format!(
            "a bare DSSE envelope without certificate or log entry: verifying it needs a transparency log lookup (Rekor search at {url}), which --offline forbids; use a Sigstore bundle to verify offline"
        ))),
        ProvenanceFile::Envelope(_) => {
            let http = signet_http::Http::new().map_err(|e| Error::File(format!("HTTP client: {e}")))?;
            Ok(Some(RekorV1::new(url, http)))
        }
    }
}

/// The summary a pass of `kind` writes: `verifier_id` verified `resource_uri` from the
/// provenance named `provenance_name` (its bytes hashed in), at the level of [`verified_level`],
/// now.
pub fn vsa_summary(
    kind: Kind,
    verifier_id: &str,
    resource_uri: &str,
    provenance_name: &str,
    provenance: &[u8],
) -> signet_verify::vsa::Summary {
    signet_verify::vsa::Summary {
        verifier_id: verifier_id.into(),
        resource_uri: resource_uri.into(),
        policy_uri: VSA_POLICY_URI.into(),
        input_attestations: vec![(
            provenance_name.into(),
            hex::encode(signet_core::encoding::sha256(provenance)),
        )],
        verified_levels: vec![verified_level(kind).into()],
        time_verified: signet_core::time::unix_now(),
    }
}
