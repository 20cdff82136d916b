//! Step 5: the artifact signature — over the artifact (or its digest) for message signatures,
//! over the PAE for DSSE, whose in-toto statement must name the artifact as a subject.

use signet_core::bundle::Bundle;
use signet_core::crypto::{HashAlg, KeyKind, PublicKey};
use signet_core::dsse::INTOTO_PAYLOAD_TYPE;
use signet_core::intoto::Statement;

use crate::{Artifact, Error, Result};

pub(crate) fn verify_artifact(
    bundle: &Bundle,
    key: &PublicKey,
    artifact: Artifact<'_>,
) -> Result<Option<Statement>> {
    if let Some(ms) = &bundle.message_signature {
        let digest = artifact.sha256().ok_or_else(|| {
            Error::Artifact(
                "the bundle is a message signature, which signs the artifact's SHA-256; only its SHA-512 was given".into(),
            )
        })?;
        if let Some(md) = &ms.message_digest {
            if md.algorithm != "SHA2_256" {
                return Err(Error::Artifact(format!(
                    "message digest algorithm {:?}, expected SHA2_256",
                    md.algorithm
                )));
            }
            if md.digest != digest {
                return Err(Error::Artifact(format!(
                    "artifact sha256 {} does not match the bundle's message digest {}",
                    hex::encode(digest),
                    hex::encode(&md.digest)
                )));
            }
        }
        let ok = match artifact {
            Artifact::Bytes(b) => key.verify_with_hash(HashAlg::Sha256, b, &ms.signature),
            Artifact::Sha256(_) | Artifact::Sha512(_) => {
                key.verify_prehashed(HashAlg::Sha256, &digest, &ms.signature)
            }
        };
        ok.map_err(|_| {
            Error::Artifact(format!(
                "signature does not verify over the artifact (sha256 {})",
                hex::encode(digest)
            ))
        })?;
        return Ok(None);
    }
    let env = bundle
        .dsse_envelope
        .as_ref()
        .ok_or_else(|| Error::Artifact("bundle carries no signature".into()))?;
    let sig = &env.signatures[0].sig;
    // ECDSA signs the digest: hash the PAE in pieces rather than building a copy of the payload.
    let ok = match key.kind() {
        KeyKind::EcdsaP256 | KeyKind::EcdsaP384 | KeyKind::EcdsaP521 => {
            key.verify_prehashed(HashAlg::Sha256, &env.pae_sha256(), sig)
        }
        KeyKind::Rsa | KeyKind::Ed25519 => key.verify_with_hash(HashAlg::Sha256, &env.pae(), sig),
    };
    ok.map_err(|_| {
        Error::Artifact("DSSE signature does not verify over the envelope's PAE".into())
    })?;
    if env.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(Error::Artifact(format!(
            "DSSE payload type {:?}, expected {INTOTO_PAYLOAD_TYPE:?}",
            env.payload_type
        )));
    }
    let st = Statement::from_json_without_predicate(&env.payload)?;
    let (alg, digest) = artifact.subject_digest();
    if !st.has_subject_digest(alg, &digest) {
        return Err(Error::Artifact(format!(
            "artifact {alg} {digest} is not a subject of the in-toto statement (subjects: {})",
            st.subject
                .iter()
                .map(|s| format!(
                    "{} {alg}:{}",
                    s.name,
                    s.digest.get(alg).map(String::as_str).unwrap_or("-")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(Some(st))
}
