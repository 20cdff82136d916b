//! Step 1: the verified signing times — Rekor v1 integrated times authenticated by their SET,
//! and RFC 3161 timestamps from a trusted TSA (sigstore-go `VerifySET`, `VerifyTimestamp`).
//!
//! Rules:
//! - a present inclusion promise must verify and needs an integrated time; empty or garbage SET
//!   bytes are a failure, never "no SET";
//! - a Rekor v2 entry (hashedrekord/dsse 0.0.2) never provides a signing time, even with an SET;
//! - a log key's `validFor` must cover the integrated time its SET vouches for;
//! - an RFC 3161 timestamp must verify against a trusted TSA whose `validFor` covers its time.

use signet_core::bundle::{Bundle, TransparencyLogEntry};
use signet_core::encoding::b64_encode;
use signet_core::rekor::set_payload;
use signet_core::time::format_rfc3339;

use crate::material::{fmt_range, in_range, Material, TlogKey};
use crate::{Error, Result, Rule, TimeSource};

/// Whether a log entry comes from a Rekor v2 (tile) log: hashedrekord or dsse at 0.0.2.
pub(crate) fn is_rekor_v2(e: &TransparencyLogEntry) -> bool {
    e.kind_version.version == "0.0.2"
        && matches!(e.kind_version.kind.as_str(), "hashedrekord" | "dsse")
}

/// What step 1 learnt about one tlog entry.
pub(crate) struct EntryTime<'a> {
    pub(crate) key: &'a TlogKey,
    /// The SET verified (and the entry is a Rekor v1 entry whose time it vouches for).
    pub(crate) set_verified: bool,
}

/// The trusted log of entry `i`. An entry from a log the trusted root does not list is refused
/// (as sigstore-python and sigstore-js do; sigstore-go skips it): a bundle must not carry
/// evidence the verifier cannot check.
pub(crate) fn tlog_key<'a>(
    m: &'a Material,
    i: usize,
    e: &TransparencyLogEntry,
) -> Result<&'a TlogKey> {
    m.tlogs
        .iter()
        .find(|k| k.log_id == e.log_id.key_id)
        .ok_or_else(|| {
            Error::tlog(
                i,
                Rule::TlogUnknownLog,
                format!(
                    "log ID {} is not a transparency log in the trusted root (trusted: {})",
                    hex::encode(&e.log_id.key_id),
                    m.tlogs
                        .iter()
                        .map(|k| format!("{} {}", k.base_url, hex::encode(&k.log_id)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// Verify every SET and timestamp; return the verified times and what each entry gave.
pub(crate) fn signing_times<'a>(
    m: &'a Material,
    bundle: &Bundle,
    signature: &[u8],
    times: &mut Vec<(i64, TimeSource)>,
) -> Result<Vec<EntryTime<'a>>> {
    let entries = &bundle.verification_material.tlog_entries;
    let mut out = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let key = tlog_key(m, i, e)?;
        if e.log_index < 0 {
            return Err(Error::tlog(
                i,
                Rule::TlogField,
                format!("log index {} is negative", e.log_index),
            ));
        }
        let mut set_verified = false;
        if let Some(promise) = &e.inclusion_promise {
            let t = e.integrated_time.ok_or_else(|| {
                Error::tlog(
                    i,
                    Rule::InclusionPromise,
                    "the entry has an inclusion promise (SET) but no integrated time for it to sign",
                )
            })?;
            let payload = set_payload(
                &b64_encode(&e.canonicalized_body),
                t,
                &hex::encode(&e.log_id.key_id),
                e.log_index,
            );
            key.key
                .verify(&payload, &promise.signed_entry_timestamp)
                .map_err(|_| {
                    Error::tlog(
                        i,
                        Rule::InclusionPromise,
                        format!(
                            "signed entry timestamp ({} bytes) does not verify with the key of {}",
                            promise.signed_entry_timestamp.len(),
                            key.base_url
                        ),
                    )
                })?;
            if !in_range(t, Some(key.start), key.end) {
                return Err(Error::tlog(
                    i,
                    Rule::LogKeyValidity,
                    format!(
                        "integrated time {} is outside the log key's validity {}",
                        format_rfc3339(t),
                        fmt_range(Some(key.start), key.end)
                    ),
                ));
            }
            // Rekor v2 gives no signing time: its entries carry no integrated time, and an SET
            // attached to one does not make it a clock.
            if !is_rekor_v2(e) {
                set_verified = true;
                times.push((
                    t,
                    TimeSource::TransparencyLog {
                        log_index: e.log_index,
                    },
                ));
            }
        }
        out.push(EntryTime { key, set_verified });
    }
    for (i, ts) in bundle.rfc3161_timestamps().iter().enumerate() {
        let (t, tsa) = verify_timestamp(m, i, &ts.signed_timestamp, signature)?;
        times.push((t, TimeSource::Timestamp { tsa }));
    }
    Ok(out)
}

fn verify_timestamp(m: &Material, i: usize, der: &[u8], signature: &[u8]) -> Result<(i64, String)> {
    let token = signet_core::tsa::parse_timestamp_response(der).map_err(|e| Error::Timestamp {
        index: i,
        reason: e.to_string(),
    })?;
    let gen = token.gen_time();
    let mut reasons = vec![];
    for tsa in &m.tsas {
        if !in_range(gen, Some(tsa.start), tsa.end) {
            reasons.push(format!(
                "{}: time {} outside {}",
                tsa.uri,
                format_rfc3339(gen),
                fmt_range(Some(tsa.start), tsa.end)
            ));
            continue;
        }
        // Certificates carried in the token are not what we trust (the trusted root's chain
        // is); accept them only if they are that chain's own, so no byte goes unchecked.
        if let Some(c) = token
            .certificates()
            .iter()
            .find(|c| !tsa.certs_der.contains(c))
        {
            let subject = signet_core::x509::Certificate::from_der(c)
                .map(|c| c.subject())
                .unwrap_or_else(|_| "unparsable".into());
            reasons.push(format!(
                "{}: the token embeds a certificate ({subject}) that is not in this TSA's trusted chain",
                tsa.uri
            ));
            continue;
        }
        match token.verify(signature, &tsa.certs_der) {
            Ok(()) => return Ok((gen, tsa.uri.clone())),
            Err(e) => reasons.push(format!("{}: {e}", tsa.uri)),
        }
    }
    Err(Error::Timestamp {
        index: i,
        reason: if m.tsas.is_empty() {
            "the trusted root has no timestamp authorities".into()
        } else {
            format!(
                "no trusted timestamp authority verifies it ({})",
                reasons.join("; ")
            )
        },
    })
}
