//! A verification's outcome as JSON (`signet verify --json`): the signer (identity, issuer,
//! Fulcio extensions), the signing times and their sources, the proven log entries and the
//! statement's predicate type. Describes what was verified; checks nothing.

use serde_json::{json, Map, Value};
use signet_core::intoto::Statement;
use signet_core::time::format_rfc3339;
use signet_core::x509::{Certificate, SanIdentity};

use signet_core::bundle::Bundle;

use crate::{Artifact, ManagedKey, Policy, ProvenEntry, TimeSource, Verifier};

/// What a bundle is verified against: a certificate identity policy, or managed keys.
#[derive(Debug, Clone)]
pub enum Mode {
    /// A certificate identity policy.
    Identity(Policy),
    /// Managed keys.
    Keys(Vec<ManagedKey>),
}

/// A verification's report (see [`verified`]) and, for a DSSE bundle, the verified
/// statement's payload.
pub type Report = (Map<String, Value>, Option<Vec<u8>>);

/// Verify `bundle` over `artifact` under `mode`: its [`Report`].
pub fn verify(
    verifier: &Verifier,
    bundle: &Bundle,
    artifact: Artifact<'_>,
    mode: &Mode,
) -> crate::Result<Report> {
    let (signer, times, entries, statement) = match mode {
        Mode::Identity(policy) => {
            let v = verifier.verify(bundle, artifact, policy)?;
            let signer = certificate_signer(&v.certificate);
            (signer, v.signing_times, v.log_entries, v.statement)
        }
        Mode::Keys(keys) => {
            let v = verifier.verify_with_key(bundle, artifact, keys)?;
            let signer = json!({ "key_hint": v.hint });
            (signer, v.signing_times, v.log_entries, v.statement)
        }
    };
    let body = verified(signer, &times, &entries, statement.as_ref());
    let payload = statement.and(bundle.dsse_envelope.as_ref().map(|e| e.payload.clone()));
    Ok((body, payload))
}

/// The signer of a certificate: identity and its kind, OIDC issuer, every Fulcio extension
/// by OID (name and value) and the certificate serial.
pub fn certificate_signer(c: &Certificate) -> Value {
    let (kind, identity) = match c.san_identities().ok().and_then(|v| v.into_iter().next()) {
        Some(SanIdentity::Email(e)) => ("email", Some(e)),
        Some(SanIdentity::Uri(u)) => ("uri", Some(u)),
        Some(SanIdentity::Username(u)) => ("username", Some(u)),
        None => ("none", None),
    };
    let extensions: Map<String, Value> = c
        .fulcio_extensions()
        .into_iter()
        .map(|(arc, name, value)| {
            (
                format!("1.3.6.1.4.1.57264.1.{arc}"),
                json!({ "name": name, "value": value }),
            )
        })
        .collect();
    json!({
        "identity": identity,
        "identity_kind": kind,
        "issuer": c.oidc_issuer().ok().flatten(),
        "fulcio_extensions": extensions,
        "certificate_serial": c.serial_hex(),
    })
}

/// A verified bundle: `signer` (from [`certificate_signer`], or a key's hint), the signing
/// times with their sources, the log entries and the statement's predicate type and subjects.
pub fn verified(
    signer: Value,
    times: &[(i64, TimeSource)],
    entries: &[ProvenEntry],
    statement: Option<&Statement>,
) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("signer".into(), signer);
    let times: Vec<Value> = times
        .iter()
        .map(|(t, src)| {
            let mut o = json!({ "time": format_rfc3339(*t), "unix": t });
            match src {
                TimeSource::TransparencyLog { log_index } => {
                    o["source"] = "transparency_log".into();
                    o["log_index"] = (*log_index).into();
                }
                TimeSource::Timestamp { tsa } => {
                    o["source"] = "rfc3161_timestamp".into();
                    o["tsa"] = tsa.as_str().into();
                }
            }
            o
        })
        .collect();
    r.insert("signing_times".into(), times.into());
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "log_url": e.log_url,
                "log_id": hex::encode(&e.log_id),
                "log_index": e.log_index,
                "integrated_time": e.integrated_time.map(format_rfc3339),
                "integrated_time_signed": e.integrated_time_signed,
                "rekor_version": e.rekor_version,
                "kind": e.kind,
                "kind_version": e.kind_version,
            })
        })
        .collect();
    r.insert("log_entries".into(), entries.into());
    r.insert(
        "predicate_type".into(),
        statement.map(|s| s.predicate_type.as_str()).into(),
    );
    r.insert(
        "subjects".into(),
        statement
            .map(|s| s.subject.iter().map(|x| json!(x)).collect::<Vec<_>>())
            .into(),
    );
    r
}

/// The head of one input's report: its label, its bundle and whether it verified; `body`
/// (from [`verify`]) or, for a failure, `error` and the `rule` that failed follow.
pub fn input_report(
    input: &str,
    bundle: &str,
    outcome: std::result::Result<Map<String, Value>, (String, Option<crate::Rule>)>,
) -> Value {
    let mut r = Map::new();
    r.insert("input".into(), input.into());
    r.insert("bundle".into(), bundle.into());
    r.insert("verified".into(), outcome.is_ok().into());
    match outcome {
        Ok(body) => r.extend(body),
        Err((error, rule)) => {
            r.insert("error".into(), error.into());
            r.insert("rule".into(), rule.map(|r| format!("{r:?}")).into());
        }
    }
    Value::Object(r)
}
