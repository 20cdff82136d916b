//! Step 4: the transparency log entries (sigstore-go `VerifyTlogEntry`, sigstore-python
//! `_verify_tlog_entries`).
//!
//! Rules:
//! - the canonical body describes this bundle: Rekor v1 bodies field by field; Rekor v2 bodies
//!   exactly — the canonical hashedrekord/dsse 0.0.2 entry is rebuilt from the bundle and must
//!   equal the logged one (no extra field, one verifier, `keyDetails` of the key, the digest
//!   algorithm actually used);
//! - an inclusion proof leads to the checkpoint's root, and the checkpoint is signed by the
//!   log's key under the log's own name: `<host> - <tree ID>` signed as `<host>` for Rekor v1,
//!   the host name of the log's `baseUrl` for Rekor v2 (whose C2SP key ID must be the trusted
//!   root's log ID);
//! - an entry counts only if its SET verified (Rekor v1) or its inclusion proof and checkpoint
//!   verified; an entry proven by neither fails the bundle;
//! - a log key's `validFor` covers the time it was used at: the SET's integrated time, else
//!   every verified signing time;
//! - an integrated time no SET signs must still lie inside the leaf's validity;
//! - the threshold counts distinct logs, not entries (GHSA-9vcr-p3rj-q5q6).

use serde_json::Value;
use signet_core::bundle::{Bundle, InclusionProof, TransparencyLogEntry};
use signet_core::checkpoint::Checkpoint;
use signet_core::crypto::PublicKey;
use signet_core::encoding::{b64_encode, sha256};
use signet_core::merkle;
use signet_core::rekor::body;
use signet_core::rekor::EntryBody;
use signet_core::time::format_rfc3339;
use signet_core::x509::Certificate;

use crate::material::{fmt_range, in_range, TlogKey};
use crate::time::{is_rekor_v2, EntryTime};
use crate::{Error, ProvenEntry, Result, Rule, TimeSource};

/// Who signed the bundle, as its log entries must record it.
#[derive(Clone, Copy)]
pub(crate) enum Signer<'a> {
    /// Keyless: the Fulcio leaf certificate (parsed and its DER).
    Certificate {
        /// The parsed leaf.
        leaf: &'a Certificate,
        /// Its DER, as the bundle carries it.
        der: &'a [u8],
        /// Its public key (parsed once by the caller, who verifies the signature with it).
        key: &'a PublicKey,
    },
    /// A managed key, with the validity window its trust material gives (Unix seconds).
    Key {
        /// The key.
        key: &'a PublicKey,
        /// Valid from.
        start: Option<i64>,
        /// Valid until (inclusive).
        end: Option<i64>,
    },
}

impl Signer<'_> {
    /// The key the signature was made with.
    fn public_key(&self) -> &PublicKey {
        match self {
            Signer::Certificate { key, .. } | Signer::Key { key, .. } => key,
        }
    }

    /// Check a PEM verifier recorded in a Rekor v1 body (`what` names the field): the leaf
    /// certificate itself, or the managed key.
    fn check_pem(&self, what: &str, pem_bytes: &[u8]) -> std::result::Result<(), String> {
        match self {
            Signer::Certificate { der, .. } => {
                // The usual case, exactly the certificate's canonical PEM, needs no decoding.
                if signet_core::encoding::is_canonical_pem_of(pem_bytes, "CERTIFICATE", der) {
                    return Ok(());
                }
                let logged = signet_core::encoding::pem_block_der(pem_bytes, "CERTIFICATE")
                    .map_err(|e| format!("{what}: {e}"))?;
                if logged != *der {
                    return Err(format!(
                        "{what} in the log entry is not the bundle's certificate"
                    ));
                }
            }
            Signer::Key { key, .. } => {
                let logged = signet_core::encoding::pem_block_der(pem_bytes, "PUBLIC KEY")
                    .map_err(|e| {
                        format!("{what}: expected the managed key as a PUBLIC KEY PEM: {e}")
                    })?;
                if !same_key(key, &logged) {
                    return Err(format!("{what} in the log entry is not the managed key"));
                }
            }
        }
        Ok(())
    }
}

/// Whether `spki_der` encodes `key` (same algorithm and key bits; EC points compared
/// uncompressed, so an encoding difference is not a different key).
pub(crate) fn same_key(key: &PublicKey, spki_der: &[u8]) -> bool {
    if key.spki_der() == spki_der {
        return true;
    }
    match PublicKey::from_spki_der(spki_der) {
        Ok(other) => {
            other.kind() == key.kind()
                && other.raw_key_bits().is_some()
                && other.raw_key_bits() == key.raw_key_bits()
        }
        Err(_) => false,
    }
}

/// Verify every entry; `entry_times` comes from step 1, in the same order. The entries, all
/// proven.
pub(crate) fn verify_entries(
    bundle: &Bundle,
    signer: Signer<'_>,
    artifact: Option<&[u8; 32]>,
    entry_times: &[EntryTime<'_>],
    times: &[(i64, TimeSource)],
    threshold: usize,
) -> Result<Vec<ProvenEntry>> {
    let entries = &bundle.verification_material.tlog_entries;
    let mut proven_logs: Vec<&[u8]> = vec![];
    let mut out = Vec::with_capacity(entries.len());
    for (i, (e, et)) in entries.iter().zip(entry_times).enumerate() {
        let key = et.key;
        let logged = Logged(i, e, bundle, signer, artifact);
        if is_rekor_v2(e) {
            check_v2_body(logged)?;
        } else {
            check_v1_body(logged)?;
        }
        let mut proven = et.set_verified;
        if let Some(p) = &e.inclusion_proof {
            verify_inclusion(i, e, p, key)?;
            proven = true;
        }
        if !proven {
            return Err(Error::tlog(
                i,
                Rule::TlogUnproven,
                "the entry is proven neither by a verified SET nor by an inclusion proof with a signed checkpoint",
            ));
        }
        if !et.set_verified {
            // Nothing dates this entry but the bundle's verified signing times: the log key
            // must have been valid at each of them.
            if let Some((t, _)) = times
                .iter()
                .find(|(t, _)| !in_range(*t, Some(key.start), key.end))
            {
                return Err(Error::tlog(
                    i,
                    Rule::LogKeyValidity,
                    format!(
                        "the log key of {} is valid {}, which does not cover the signing time {}",
                        key.base_url,
                        fmt_range(Some(key.start), key.end),
                        format_rfc3339(*t)
                    ),
                ));
            }
            if let Some(t) = e.integrated_time {
                let (valid, start, end, what) = match signer {
                    Signer::Certificate { leaf, .. } => (
                        leaf.valid_at(t),
                        Some(leaf.not_before()),
                        Some(leaf.not_after()),
                        "the leaf certificate's validity",
                    ),
                    Signer::Key { start, end, .. } => (
                        in_range(t, start, end),
                        start,
                        end,
                        "the managed key's validity",
                    ),
                };
                if !valid {
                    return Err(Error::tlog(
                        i,
                        Rule::IntegratedTime,
                        format!(
                            "integrated time {} (not signed by an SET) is outside {what} {}",
                            format_rfc3339(t),
                            fmt_range(start, end)
                        ),
                    ));
                }
            }
        }
        if !proven_logs.contains(&key.log_id.as_slice()) {
            proven_logs.push(&key.log_id);
        }
        out.push(ProvenEntry {
            log_url: key.base_url.clone(),
            log_id: key.log_id.clone(),
            log_index: e.log_index,
            integrated_time: e.integrated_time.filter(|t| *t != 0),
            integrated_time_signed: et.set_verified,
            rekor_version: if is_rekor_v2(e) { 2 } else { 1 },
            kind: e.kind_version.kind.clone(),
            kind_version: e.kind_version.version.clone(),
        });
    }
    if proven_logs.len() < threshold {
        return Err(Error::tlog(
            0,
            Rule::TlogThreshold,
            format!(
                "bundle has proven entries in {} distinct transparency log(s) ({} entries), need {threshold}",
                proven_logs.len(),
                entries.len()
            ),
        ));
    }
    Ok(out)
}

fn verify_inclusion(
    i: usize,
    e: &TransparencyLogEntry,
    p: &InclusionProof,
    key: &TlogKey,
) -> Result<()> {
    let err = |rule: Rule, reason: String| Error::tlog(i, rule, reason);
    if p.log_index < 0 || p.tree_size < 0 {
        return Err(err(
            Rule::TlogField,
            format!(
                "negative index {} or tree size {} in the inclusion proof",
                p.log_index, p.tree_size
            ),
        ));
    }
    let v2 = is_rekor_v2(e);
    // Rekor v2 (tile) logs are unsharded and sign no SET, so nothing but the proof vouches for
    // the entry's index: it must be the proof's.
    if v2 && e.log_index != p.log_index {
        return Err(err(
            Rule::TlogField,
            format!(
                "log index {} differs from the inclusion proof's index {} (a Rekor v2 log is not sharded)",
                e.log_index, p.log_index
            ),
        ));
    }
    let leaf = merkle::leaf_hash(&e.canonicalized_body);
    merkle::verify_inclusion(
        p.log_index as u64,
        p.tree_size as u64,
        &leaf,
        &p.hashes,
        &p.root_hash,
    )
    .map_err(|x| err(Rule::InclusionProof, x.to_string()))?;
    let cp = Checkpoint::parse(&p.checkpoint.envelope)
        .map_err(|x| err(Rule::InclusionProof, x.to_string()))?;
    if cp.size != p.tree_size as u64 || cp.root_hash != p.root_hash {
        return Err(err(
            Rule::InclusionProof,
            format!(
                "checkpoint (size {}, root {}) does not match the inclusion proof (size {}, root {})",
                cp.size,
                hex::encode(&cp.root_hash),
                p.tree_size,
                hex::encode(&p.root_hash)
            ),
        ));
    }
    let name = if v2 {
        if cp.origin != key.hostname {
            return Err(err(
                Rule::CheckpointOrigin,
                format!(
                    "checkpoint origin {:?} is not the log's, {:?} (the host of {})",
                    cp.origin, key.hostname, key.base_url
                ),
            ));
        }
        if let Some(id) = key.c2sp_key_id {
            if id[..] != key.log_id[..] {
                return Err(err(
                    Rule::CheckpointOrigin,
                    format!(
                        "the trusted root's log ID {} for {} is not the C2SP key ID {} of its key under origin {:?}",
                        hex::encode(&key.log_id),
                        key.base_url,
                        hex::encode(id),
                        key.hostname
                    ),
                ));
            }
        }
        key.hostname.as_str()
    } else {
        // Rekor v1 names a sharded log `<host> - <tree ID>`; an unsharded one (and a log
        // whose origin is its host alone) `<host>`. Either way the origin names this log's host.
        let ok = match cp.origin.strip_prefix(key.authority.as_str()) {
            Some("") => true,
            Some(rest) => rest
                .strip_prefix(" - ")
                .is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())),
            None => false,
        };
        if !ok {
            return Err(err(
                Rule::CheckpointOrigin,
                format!(
                    "checkpoint origin {:?} is not the log's (expected \"{a}\" or \"{a} - <tree ID>\" for {u})",
                    cp.origin,
                    a = key.authority,
                    u = key.base_url
                ),
            ));
        }
        key.authority.as_str()
    };
    cp.verify_signer(&key.key, &key.log_id, name)
        .map_err(|x| err(Rule::CheckpointSignature, x.to_string()))
}

/// The `keyDetails` Rekor v2 records for the signer's key (protobuf-specs `PublicKeyDetails`).
fn key_details(key: &PublicKey, logged: &str) -> Result<String> {
    Ok(match key.key_details() {
        Some(d) => d.into(),
        // RSA details name a modulus size and padding; the verifier checks the signature with
        // the certificate's key whatever they say, so only the family must match.
        None if logged.starts_with("PKIX_RSA_") => logged.into(),
        None => "PKIX_RSA_*".into(),
    })
}

/// A log entry's body and what it must describe: entry `i` (.0, .1) of the bundle (.2), signed
/// by the signer (.3) over the artifact with this SHA-256 (.4).
#[derive(Clone, Copy)]
struct Logged<'a>(
    usize,
    &'a TransparencyLogEntry,
    &'a Bundle,
    Signer<'a>,
    Option<&'a [u8; 32]>,
);

/// The artifact's SHA-256, which a message signature's entry records; `None` when only its
/// SHA-512 is known (DSSE bundles about npm packages), which no message signature can match.
fn message_artifact(artifact: Option<&[u8; 32]>) -> std::result::Result<&[u8; 32], String> {
    artifact.ok_or_else(|| {
        "a message signature's log entry records the artifact's SHA-256, and only its SHA-512 was given".to_string()
    })
}

/// Rebuild the canonical Rekor v2 entry from the bundle and compare it with the logged body.
fn check_v2_body(logged: Logged<'_>) -> Result<()> {
    let Logged(i, e, bundle, signer, artifact) = logged;
    let err = |reason: String| Error::tlog(i, Rule::TlogBody, reason);
    let logged: Value = serde_json::from_slice(&e.canonicalized_body)
        .map_err(|x| err(format!("canonicalized body is not JSON: {x}")))?;
    let logged_details = logged
        .pointer("/spec/hashedRekordV002/signature/verifier/keyDetails")
        .or_else(|| logged.pointer("/spec/dsseV002/signatures/0/verifier/keyDetails"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let details = key_details(signer.public_key(), logged_details)?;
    let verifier = match signer {
        Signer::Certificate { der, .. } => body::V2Verifier::Certificate {
            der,
            key_details: &details,
        },
        Signer::Key { key, .. } => body::V2Verifier::PublicKey {
            spki: key.spki_der(),
            key_details: &details,
        },
    }
    .to_json();
    let hashed = |digest: &[u8], sig: &[u8]| -> Result<Value> {
        Ok(body::hashedrekord_v002(digest, sig, &verifier))
    };
    let expected = match (
        e.kind_version.kind.as_str(),
        &bundle.message_signature,
        &bundle.dsse_envelope,
    ) {
        ("hashedrekord", Some(ms), None) => {
            let artifact = message_artifact(artifact).map_err(err)?;
            if let Some(d) = &ms.message_digest {
                if d.digest != artifact {
                    return Err(err(format!(
                        "the bundle's message digest {} is not the artifact's sha256 {}",
                        hex::encode(&d.digest),
                        hex::encode(artifact)
                    )));
                }
            }
            hashed(artifact, &ms.signature)?
        }
        // New clients log a DSSE signature as a hashedrekord over the PAE.
        ("hashedrekord", None, Some(env)) => hashed(&env.pae_sha256(), &env.signatures[0].sig)?,
        ("dsse", None, Some(env)) => body::dsse_v002(
            &sha256(&env.payload),
            &env.signatures
                .iter()
                .map(|s| (s.sig.as_slice(), &verifier))
                .collect::<Vec<_>>(),
        ),
        (kind, _, _) => {
            return Err(err(format!(
                "a {kind} {} entry cannot record a {} bundle",
                e.kind_version.version,
                if bundle.dsse_envelope.is_some() {
                    "DSSE"
                } else {
                    "message signature"
                }
            )))
        }
    };
    if logged != expected {
        return Err(err(format!(
            "the logged {} 0.0.2 body is not the one this bundle makes: logged {}, expected {}",
            e.kind_version.kind,
            truncate(&logged.to_string()),
            truncate(&expected.to_string())
        )));
    }
    Ok(())
}

fn truncate(s: &str) -> String {
    const MAX: usize = 600;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A hashedrekord 0.0.1 entry records `signature` and the SHA-256 `digest` of what was
/// signed (`names`: how to call the signature and the digested thing in a message).
fn check_hashedrekord(
    h: &signet_core::rekor::HashedRekordV001,
    signature: &[u8],
    digest: &[u8; 32],
    names: (&str, &str),
) -> std::result::Result<(), String> {
    let (sig_name, digest_name) = names;
    if h.signature.content != signature {
        return Err(format!(
            "signature in the log entry differs from {sig_name}"
        ));
    }
    if !h.data.hash.algorithm.eq_ignore_ascii_case("sha256") {
        return Err(format!(
            "hashedrekord hash algorithm {:?}, expected sha256",
            h.data.hash.algorithm
        ));
    }
    let want = hex::encode(digest);
    if !h.data.hash.value.eq_ignore_ascii_case(&want) {
        return Err(format!(
            "log entry records {digest_name} sha256 {}, but the {digest_name}'s is {want}",
            h.data.hash.value
        ));
    }
    Ok(())
}

/// Check that a Rekor v1 canonical body describes this bundle's signature, artifact and
/// certificate. For message signatures the logged digest must be the artifact's own (not only
/// the bundle's optional `messageDigest`), so the log always records what was verified.
fn check_v1_body(logged: Logged<'_>) -> Result<()> {
    let Logged(i, e, bundle, signer, artifact) = logged;
    let err = |reason: String| Error::tlog(i, Rule::TlogBody, reason);
    let body = EntryBody::parse(
        &e.canonicalized_body,
        &e.kind_version.kind,
        &e.kind_version.version,
    )
    .map_err(|x| err(x.to_string()))?;
    let same_signer =
        |what: &str, pem: &[u8]| -> Result<()> { signer.check_pem(what, pem).map_err(err) };
    // The log entry and the envelope carry the same number of signatures.
    let same_count = |logged: usize, envelope: usize| -> Result<()> {
        if logged == envelope {
            Ok(())
        } else {
            Err(err(format!(
                "log entry has {logged} signatures, the envelope {envelope}"
            )))
        }
    };
    match (&body, &bundle.message_signature, &bundle.dsse_envelope) {
        (EntryBody::HashedRekordV001(h), Some(ms), None) => {
            check_hashedrekord(
                h,
                &ms.signature,
                message_artifact(artifact).map_err(err)?,
                ("the bundle's signature", "artifact"),
            )
            .map_err(err)?;
            same_signer("hashedrekord public key", &h.signature.public_key.content)?;
            if let Some(d) = &ms.message_digest {
                if !h
                    .data
                    .hash
                    .value
                    .eq_ignore_ascii_case(&hex::encode(&d.digest))
                {
                    return Err(err(format!(
                        "log entry digest {} differs from the bundle's message digest {}",
                        h.data.hash.value,
                        hex::encode(&d.digest)
                    )));
                }
            }
        }
        // A DSSE envelope logged as a hashedrekord over its PAE (as new clients log DSSE to
        // Rekor v2, and some to v1): the digest is the PAE's, the signature the envelope's.
        (EntryBody::HashedRekordV001(h), None, Some(env)) => {
            if env.signatures.len() != 1 {
                return Err(err(format!(
                    "a hashedrekord entry records one signature, the envelope has {}",
                    env.signatures.len()
                )));
            }
            check_hashedrekord(
                h,
                &env.signatures[0].sig,
                &env.pae_sha256(),
                ("the envelope signature", "envelope PAE"),
            )
            .map_err(err)?;
            same_signer("hashedrekord public key", &h.signature.public_key.content)?;
        }
        (EntryBody::DsseV001(d), None, Some(env)) => {
            let want = hex::encode(sha256(&env.payload));
            if !d.payload_hash.algorithm.eq_ignore_ascii_case("sha256")
                || !d.payload_hash.value.eq_ignore_ascii_case(&want)
            {
                return Err(err(format!(
                    "log entry payload hash {} differs from the envelope payload's {want}",
                    d.payload_hash.value
                )));
            }
            same_count(d.signatures.len(), env.signatures.len())?;
            for (s, es) in d.signatures.iter().zip(&env.signatures) {
                let sig = signet_core::encoding::b64_decode("dsse signature", &s.signature)
                    .map_err(|x| err(x.to_string()))?;
                if sig != es.sig {
                    return Err(err(
                        "signature in the log entry differs from the envelope signature".into(),
                    ));
                }
                same_signer("dsse verifier", &s.verifier)?;
            }
        }
        (EntryBody::IntotoV002(t), None, Some(env)) => {
            let envb = &t.content.envelope;
            // Rekor keeps the payload out of the canonical intoto body (it is stored as the
            // entry's attestation); then the payload hash, required, binds it.
            if !envb.payload.is_empty() && envb.payload != b64_encode(&env.payload).as_bytes() {
                return Err(err(
                    "intoto entry payload differs from the envelope payload".into(),
                ));
            }
            if envb.payload_type != env.payload_type {
                return Err(err(format!(
                    "intoto entry payload type {:?} differs from the envelope's {:?}",
                    envb.payload_type, env.payload_type
                )));
            }
            same_count(envb.signatures.len(), env.signatures.len())?;
            for (s, es) in envb.signatures.iter().zip(&env.signatures) {
                if s.sig != b64_encode(&es.sig).as_bytes() {
                    return Err(err(
                        "signature in the log entry differs from the envelope signature".into(),
                    ));
                }
                same_signer("intoto public key", &s.public_key)?;
            }
            match &t.content.payload_hash {
                Some(ph)
                    if ph.algorithm.eq_ignore_ascii_case("sha256")
                        && ph
                            .value
                            .eq_ignore_ascii_case(&hex::encode(sha256(&env.payload))) => {}
                Some(_) => {
                    return Err(err(
                        "intoto entry payload hash differs from the envelope payload's".into(),
                    ))
                }
                None if envb.payload.is_empty() => {
                    return Err(err(
                        "intoto entry has neither the payload nor its hash".into()
                    ))
                }
                None => {}
            }
        }
        _ => {
            return Err(err(format!(
                "a {} {} entry cannot record a {} bundle",
                e.kind_version.kind,
                e.kind_version.version,
                if bundle.dsse_envelope.is_some() {
                    "DSSE"
                } else {
                    "message signature"
                }
            )))
        }
    }
    Ok(())
}
