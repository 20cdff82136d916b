//! Descriptions of Sigstore objects for people and scripts (`signet inspect`): a bundle, a
//! certificate or a DSSE envelope as a JSON tree of named fields, decoded (times in RFC 3339,
//! digests in hex, Sigstore OIDs by name). Nothing here verifies anything.

use serde_json::{json, Map, Value};

use crate::bundle::Bundle;
use crate::checkpoint::Checkpoint;
use crate::dsse::Envelope;
use crate::intoto::Statement;
use crate::sct::parse_sct_list;
use crate::time::format_rfc3339;
use crate::x509::Certificate;
use crate::{Error, Result};

fn invalid(what: &str, reason: String) -> Error {
    Error::Invalid {
        what: what.into(),
        reason,
    }
}

fn json_err(what: &'static str, source: serde_json::Error) -> Error {
    Error::Json { what, source }
}

/// A certificate, as `openssl x509 -text` shows it and more: subject, issuer, serial,
/// validity, signature algorithm, public key, and every extension in order with its OID and
/// criticality, decoded where known (key usage, extended key usage, basic constraints, subject
/// and authority key identifiers, SANs, embedded SCTs with version, log ID, timestamp,
/// extensions and signature algorithm, the Sigstore OIDs by name); an unknown extension as
/// its OID and hex value. The summary fields (`san`, `ca`, `extended_key_usage`,
/// `sigstore_extensions`, `scts`) stay beside the full list for scripts.
pub fn certificate(c: &Certificate) -> Value {
    let mut m = Map::new();
    m.insert("subject".into(), json!(c.subject()));
    m.insert("issuer".into(), json!(c.issuer()));
    m.insert("serial".into(), json!(c.serial_hex()));
    m.insert("not_before".into(), json!(format_rfc3339(c.not_before())));
    m.insert("not_after".into(), json!(format_rfc3339(c.not_after())));
    m.insert(
        "signature_algorithm".into(),
        json!(oid_name(&c.signature_algorithm())),
    );
    m.insert(
        "public_key".into(),
        json!(c
            .public_key()
            .map(|k| k.kind().name().to_string())
            .unwrap_or_else(|e| format!("unparsable: {e}"))),
    );
    if let Ok(sans) = c.san_identities() {
        m.insert(
            "san".into(),
            Value::Array(
                sans.iter()
                    .map(|s| json!({"type": s.kind(), "value": s.value()}))
                    .collect(),
            ),
        );
    }
    if let Ok(true) = c.is_ca() {
        m.insert("ca".into(), json!(true));
    }
    if let Ok(Some((_, eku))) = c.ext_key_usage() {
        m.insert(
            "extended_key_usage".into(),
            json!(eku
                .0
                .iter()
                .map(|o| eku_name(&o.to_string()))
                .collect::<Vec<_>>()),
        );
    }
    let exts = c.fulcio_extensions();
    if !exts.is_empty() {
        let mut e = Map::new();
        for (n, name, v) in exts {
            e.insert(format!("{name} (1.3.6.1.4.1.57264.1.{n})"), json!(v));
        }
        m.insert("sigstore_extensions".into(), Value::Object(e));
    }
    if let Ok(Some(list)) = c.sct_list() {
        m.insert("scts".into(), scts(&list));
    }
    m.insert(
        "extensions".into(),
        Value::Array(c.extensions().iter().map(|e| extension(c, e)).collect()),
    );
    Value::Object(m)
}

/// An OID as `name (dotted)` when const-oid's database knows it, else dotted.
fn oid_name(oid: &const_oid::ObjectIdentifier) -> String {
    match const_oid::db::DB.by_oid(oid) {
        Some(name) => format!("{name} ({oid})"),
        None => oid.to_string(),
    }
}

/// The embedded SCT list: each SCT's version, log ID, timestamp, extensions and algorithms.
fn scts(list: &[u8]) -> Value {
    match parse_sct_list(list) {
        Ok(s) => Value::Array(
            s.iter()
                .map(|s| {
                    json!({
                        "version": if s.version == 0 { "v1 (0)".to_string() } else { format!("unknown ({})", s.version) },
                        "log_id": hex::encode(s.log_id),
                        "time": format_rfc3339((s.timestamp_ms / 1000) as i64),
                        "timestamp_ms": s.timestamp_ms,
                        "extensions": if s.extensions.is_empty() { "none".to_string() } else { hex::encode(&s.extensions) },
                        "signature_algorithm": tls_algorithm(s.sig_alg, s.hash_alg),
                    })
                })
                .collect(),
        ),
        Err(e) => Value::Array(vec![json!(format!("unparsable: {e}"))]),
    }
}

/// The TLS 1.2 SignatureAndHashAlgorithm of an SCT, e.g. `ECDSA-with-SHA256`.
fn tls_algorithm(sig: u8, hash: u8) -> String {
    let sig = match sig {
        1 => "RSA".to_string(),
        3 => "ECDSA".to_string(),
        7 => "Ed25519".to_string(),
        x => format!("signature {x}"),
    };
    let hash = match hash {
        4 => "SHA256".to_string(),
        5 => "SHA384".to_string(),
        6 => "SHA512".to_string(),
        x => format!("hash {x}"),
    };
    format!("{sig}-with-{hash}")
}

/// One extension: name, OID, criticality and its decoded value.
fn extension(c: &Certificate, e: &x509_cert::ext::Extension) -> Value {
    use der::Decode;
    use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};
    let oid = e.extn_id.to_string();
    let raw = e.extn_value.as_bytes();
    let fulcio = oid
        .strip_prefix("1.3.6.1.4.1.57264.1.")
        .and_then(|n| n.parse::<u32>().ok());
    let (name, value): (String, Value) = match oid.as_str() {
        "2.5.29.15" => (
            "Key Usage".into(),
            match c.key_usage() {
                Ok(Some((_, ku))) => json!(ku
                    .0
                    .into_iter()
                    .map(|f| format!("{f:?}"))
                    .collect::<Vec<_>>()),
                _ => json!(hex::encode(raw)),
            },
        ),
        "2.5.29.37" => (
            "Extended Key Usage".into(),
            match c.ext_key_usage() {
                Ok(Some((_, eku))) => json!(eku
                    .0
                    .iter()
                    .map(|o| eku_name(&o.to_string()))
                    .collect::<Vec<_>>()),
                _ => json!(hex::encode(raw)),
            },
        ),
        "2.5.29.19" => (
            "Basic Constraints".into(),
            match c.basic_constraints() {
                Ok(Some((_, bc))) => json!({"ca": bc.ca, "path_len": bc.path_len_constraint}),
                _ => json!(hex::encode(raw)),
            },
        ),
        "2.5.29.14" => (
            "Subject Key Identifier".into(),
            match SubjectKeyIdentifier::from_der(raw) {
                Ok(k) => json!(hex::encode(k.0.as_bytes())),
                Err(_) => json!(hex::encode(raw)),
            },
        ),
        "2.5.29.35" => (
            "Authority Key Identifier".into(),
            match AuthorityKeyIdentifier::from_der(raw) {
                Ok(k) => json!(k.key_identifier.map(|k| hex::encode(k.as_bytes()))),
                Err(_) => json!(hex::encode(raw)),
            },
        ),
        "2.5.29.17" => (
            "Subject Alternative Name".into(),
            match c.san_identities() {
                Ok(sans) => json!(sans
                    .iter()
                    .map(|s| format!("{}: {}", s.kind(), s.value()))
                    .collect::<Vec<_>>()),
                Err(_) => json!(hex::encode(raw)),
            },
        ),
        "1.3.6.1.4.1.11129.2.4.2" => (
            "CT Precertificate SCTs".into(),
            match c.sct_list() {
                Ok(Some(list)) => scts(&list),
                _ => json!(hex::encode(raw)),
            },
        ),
        _ => match fulcio {
            Some(n) => {
                let name = crate::x509::FULCIO_EXTENSIONS
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, name)| format!("Sigstore {name}"))
                    .unwrap_or_else(|| format!("Sigstore extension .{n}"));
                (
                    name,
                    match c.fulcio_extension(n) {
                        Ok(Some(v)) => json!(v),
                        _ => json!(hex::encode(raw)),
                    },
                )
            }
            None => (
                const_oid::db::DB
                    .by_oid(&e.extn_id)
                    .unwrap_or("unknown")
                    .to_string(),
                json!(hex::encode(raw)),
            ),
        },
    };
    json!({"name": name, "oid": oid, "critical": e.critical, "value": value})
}

fn eku_name(oid: &str) -> String {
    match oid {
        "1.3.6.1.5.5.7.3.3" => "codeSigning".into(),
        "1.3.6.1.5.5.7.3.8" => "timeStamping".into(),
        "1.3.6.1.5.5.7.3.1" => "serverAuth".into(),
        "1.3.6.1.5.5.7.3.2" => "clientAuth".into(),
        o => o.into(),
    }
}

fn statement_info(payload: &[u8]) -> Value {
    match Statement::from_json(payload) {
        Ok(s) => json!({
            "type": s.type_,
            "predicate_type": s.predicate_type,
            "subjects": s.subject.iter().map(|x| json!({"name": x.name, "digest": x.digest})).collect::<Vec<_>>(),
            "predicate": s.predicate,
        }),
        Err(e) => json!(format!("not an in-toto statement: {e}")),
    }
}

/// A DSSE envelope: payload type and size, signature count, and the in-toto statement's type,
/// subjects, predicate type and predicate.
pub fn envelope(e: &Envelope) -> Value {
    let mut m = Map::new();
    m.insert("payload_type".into(), json!(e.payload_type));
    m.insert("payload_bytes".into(), json!(e.payload.len()));
    m.insert("signatures".into(), json!(e.signatures.len()));
    if e.payload_type == crate::dsse::INTOTO_PAYLOAD_TYPE {
        m.insert("statement".into(), statement_info(&e.payload));
    }
    Value::Object(m)
}

/// A bundle: media type, certificate or key hint, signature or envelope, log entries and
/// RFC 3161 timestamps.
pub fn bundle(b: &Bundle) -> Value {
    let mut m = Map::new();
    m.insert("media_type".into(), json!(b.media_type));
    if let Some(der) = b.leaf_certificate_der() {
        m.insert(
            "certificate".into(),
            Certificate::from_der(der)
                .map(|c| certificate(&c))
                .unwrap_or_else(|e| json!(format!("unparsable: {e}"))),
        );
    }
    if let Some(pk) = &b.verification_material.public_key {
        m.insert("public_key_hint".into(), json!(pk.hint));
    }
    if let Some(ms) = &b.message_signature {
        let mut s = Map::new();
        if let Some(d) = &ms.message_digest {
            s.insert(
                "digest".into(),
                json!(format!("{}:{}", d.algorithm, hex::encode(&d.digest))),
            );
        }
        s.insert("signature_bytes".into(), json!(ms.signature.len()));
        m.insert("message_signature".into(), Value::Object(s));
    }
    if let Some(e) = &b.dsse_envelope {
        m.insert("dsse_envelope".into(), envelope(e));
    }
    let entries: Vec<Value> = b
        .verification_material
        .tlog_entries
        .iter()
        .map(|e| {
            let mut t = Map::new();
            t.insert("log_index".into(), json!(e.log_index));
            t.insert("log_id".into(), json!(hex::encode(&e.log_id.key_id)));
            t.insert(
                "kind".into(),
                json!(format!(
                    "{} {}",
                    e.kind_version.kind, e.kind_version.version
                )),
            );
            if let Some(it) = e.integrated_time {
                t.insert("integrated_time".into(), json!(format_rfc3339(it)));
            }
            t.insert(
                "inclusion_promise".into(),
                json!(e.inclusion_promise.is_some()),
            );
            if let Some(p) = &e.inclusion_proof {
                t.insert("tree_size".into(), json!(p.tree_size));
                t.insert("shard_index".into(), json!(p.log_index));
                if let Ok(cp) = Checkpoint::parse(&p.checkpoint.envelope) {
                    t.insert("checkpoint_origin".into(), json!(cp.origin));
                }
            }
            Value::Object(t)
        })
        .collect();
    m.insert("tlog_entries".into(), Value::Array(entries));
    let ts: Vec<Value> = b
        .rfc3161_timestamps()
        .iter()
        .map(|t| match crate::tsa::parse_timestamp_response(&t.signed_timestamp) {
            Ok(tok) => json!({"time": format_rfc3339(tok.gen_time()), "policy": tok.policy(), "serial": hex::encode(tok.serial_number())}),
            Err(e) => json!(format!("unparsable: {e}")),
        })
        .collect();
    if !ts.is_empty() {
        m.insert("rfc3161_timestamps".into(), Value::Array(ts));
    }
    Value::Object(m)
}

/// Describe any supported file as JSON.
pub fn describe(bytes: &[u8]) -> Result<Value> {
    let trimmed = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &bytes[i..])
        .unwrap_or(&[]);
    if trimmed.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(bytes).map_err(|_| invalid("PEM", "not UTF-8".into()))?;
        let certs = Certificate::all_from_pem(text)?;
        if certs.is_empty() {
            return Err(invalid(
                "PEM",
                "expected a CERTIFICATE block, found none".into(),
            ));
        }
        return Ok(
            json!({"kind": "certificates", "certificates": certs.iter().map(certificate).collect::<Vec<_>>()}),
        );
    }
    if trimmed.starts_with(b"{") {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| json_err("JSON", e))?;
        if v.get("mediaType")
            .and_then(Value::as_str)
            .is_some_and(|m| m.starts_with("application/vnd.dev.sigstore.bundle"))
        {
            let b: Bundle = serde_json::from_value(v).map_err(|e| json_err("bundle", e))?;
            let mut info = bundle(&b);
            if let Err(e) = b.validate() {
                info["invalid"] = json!(e.to_string());
            }
            return Ok(json!({"kind": "bundle", "bundle": info}));
        }
        if v.get("envelope").is_some() && v.get("verification_material").is_some() {
            let att = crate::pep740::Attestation::from_json(bytes)?;
            return Ok(json!({
                "kind": "pep740_attestation",
                "note": "a PEP 740 attestation: `signet pypi inspect FILE` shows it as pypi-attestations does",
                "attestation": attestation(&att)?,
            }));
        }
        if v.get("payloadType").is_some() {
            let e: Envelope =
                serde_json::from_value(v).map_err(|e| json_err("DSSE envelope", e))?;
            return Ok(json!({"kind": "dsse_envelope", "envelope": envelope(&e)}));
        }
        return Err(invalid("input", "expected a Sigstore bundle (mediaType application/vnd.dev.sigstore.bundle...) or a DSSE envelope (payloadType), found other JSON".into()));
    }
    let c = Certificate::from_der(bytes).map_err(|e| {
        invalid(
            "input",
            format!("expected a bundle, DSSE envelope, or PEM/DER certificate: {e}"),
        )
    })?;
    Ok(json!({"kind": "certificates", "certificates": [certificate(&c)]}))
}

/// A PEP 740 attestation: the certificate's identity, OIDC issuer, validity and Sigstore
/// extensions (`name (.N)`), the transparency entries, and the statement's type, subjects and
/// predicate type.
pub fn attestation(att: &crate::pep740::Attestation) -> Result<Value> {
    let cert = Certificate::from_der(&att.verification_material.certificate)?;
    let st: Value = serde_json::from_slice(&att.envelope.statement)
        .map_err(|e| json_err("attestation statement", e))?;
    let tlog: Vec<Value> = att
        .verification_material
        .transparency_entries
        .iter()
        .map(|e| {
            json!({
                "log_index": e.log_index,
                "integrated_time": e.integrated_time.map(format_rfc3339),
                "kind": format!("{} {}", e.kind_version.kind, e.kind_version.version),
                "log_id": hex::encode(&e.log_id.key_id),
                "inclusion_proof": e.inclusion_proof.is_some(),
                "inclusion_promise": e.inclusion_promise.is_some(),
            })
        })
        .collect();
    let exts: Map<String, Value> = cert
        .fulcio_extensions()
        .into_iter()
        .map(|(n, name, v)| (format!("{name} (.{n})"), json!(v)))
        .collect();
    Ok(json!({
        "certificate": {
            "identity": cert.identity(),
            "issuer": cert.oidc_issuer().ok().flatten().unwrap_or_default(),
            "not_before": format_rfc3339(cert.not_before()),
            "not_after": format_rfc3339(cert.not_after()),
            "extensions": exts,
        },
        "transparency_entries": tlog,
        "statement": {
            "type": st["_type"],
            "subjects": st["subject"],
            "predicate_type": st["predicateType"],
        },
    }))
}

/// A PEP 740 attestation's description (from [`attestation`]) as `pypi inspect` prints it:
/// the certificate (identity, issuer once, validity, the v2 Fulcio extensions by name), the
/// transparency log entries and the statement.
pub fn attestation_text(info: &Value) -> String {
    use std::fmt::Write;
    let s = |v: &Value| v.as_str().unwrap_or("?").to_string();
    let mut out = String::new();
    let c = &info["certificate"];
    let _ = writeln!(out, "Certificate:");
    let _ = writeln!(out, "  Identity: {}", s(&c["identity"]));
    let _ = writeln!(out, "  Issuer:   {}", s(&c["issuer"]));
    let _ = writeln!(
        out,
        "  Valid:    {} .. {}",
        s(&c["not_before"]),
        s(&c["not_after"])
    );
    // The v2 extensions past the issuer (arc 8, shown above as Issuer), by name.
    for (k, v) in c["extensions"].as_object().into_iter().flatten() {
        let arc = k
            .rsplit_once("(.")
            .and_then(|(_, n)| n.trim_end_matches(')').parse::<u32>().ok());
        if arc.is_some_and(|n| n > 8) {
            let _ = writeln!(
                out,
                "  {}: {}",
                k.rsplit_once(" (.").map(|(n, _)| n).unwrap_or(k),
                s(v)
            );
        }
    }
    for e in info["transparency_entries"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let _ = writeln!(out, "Transparency log entry:");
        let _ = writeln!(out, "  Log index:       {}", e["log_index"]);
        if let Some(t) = e["integrated_time"].as_str() {
            let _ = writeln!(out, "  Integrated time: {t}");
        }
        let _ = writeln!(out, "  Kind:            {}", s(&e["kind"]));
        let _ = writeln!(out, "  Log ID:          {}", s(&e["log_id"]));
    }
    let st = &info["statement"];
    let _ = writeln!(out, "Statement:");
    let _ = writeln!(out, "  Type:           {}", s(&st["type"]));
    let _ = writeln!(out, "  Predicate type: {}", s(&st["predicate_type"]));
    for x in st["subjects"].as_array().into_iter().flatten() {
        let digest = x["digest"]["sha256"].as_str().unwrap_or("-");
        let _ = writeln!(out, "  Subject:        {} sha256:{digest}", s(&x["name"]));
    }
    out
}

/// A description (from [`describe`] and the others here) as indented text for people: keys as
/// labels, certificate extensions as `name (oid)[, critical]: value`, the in-toto predicate as
/// pretty JSON.
pub fn to_text(v: &Value) -> String {
    let mut out = String::new();
    render(v, 0, &mut out);
    out
}

fn render(v: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let label = k.replace('_', " ");
                match x {
                    // The in-toto predicate as the JSON it is.
                    Value::Object(_) if k == "predicate" => {
                        let pretty = serde_json::to_string_pretty(x).unwrap_or_default();
                        out.push_str(&format!("{pad}{label}:\n"));
                        for line in pretty.lines() {
                            out.push_str(&format!("{pad}  {line}\n"));
                        }
                    }
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}{label}:\n"));
                        render(x, indent + 1, out);
                    }
                    _ => out.push_str(&format!("{pad}{label}: {}\n", scalar(x))),
                }
            }
        }
        Value::Array(a) => {
            if a.is_empty() {
                out.push_str(&format!("{pad}(none)\n"));
            }
            for (i, x) in a.iter().enumerate() {
                match x {
                    // A certificate extension: `name (oid)[, critical]: value`.
                    Value::Object(e) if e.contains_key("oid") && e.contains_key("critical") => {
                        let critical = if e["critical"] == true {
                            ", critical"
                        } else {
                            ""
                        };
                        let head =
                            format!("{} ({}){critical}", scalar(&e["name"]), scalar(&e["oid"]));
                        match &e["value"] {
                            v @ (Value::Object(_) | Value::Array(_)) => {
                                out.push_str(&format!("{pad}{head}:\n"));
                                render(v, indent + 1, out);
                            }
                            v => out.push_str(&format!("{pad}{head}: {}\n", scalar(v))),
                        }
                    }
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}[{i}]\n"));
                        render(x, indent + 1, out);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(x))),
                }
            }
        }
        x => out.push_str(&format!("{pad}{}\n", scalar(x))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        x => x.to_string(),
    }
}
