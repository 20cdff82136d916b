//! `signet inspect`: decode a bundle, certificate or DSSE envelope for humans (or `--json`).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Map, Value};
use signet_core::bundle::Bundle;
use signet_core::checkpoint::Checkpoint;
use signet_core::dsse::Envelope;
use signet_core::intoto::Statement;
use signet_core::sct::parse_sct_list;
use signet_core::time::format_rfc3339;
use signet_core::x509::Certificate;

use crate::Failure;

/// `signet inspect FILE`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A bundle (.sigstore.json), PEM/DER certificate, or DSSE envelope.
    pub file: PathBuf,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
}

fn cert_info(c: &Certificate) -> Value {
    let mut m = Map::new();
    m.insert("subject".into(), json!(c.subject()));
    m.insert("issuer".into(), json!(c.issuer()));
    m.insert("serial".into(), json!(c.serial_hex()));
    m.insert("not_before".into(), json!(format_rfc3339(c.not_before())));
    m.insert("not_after".into(), json!(format_rfc3339(c.not_after())));
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
        let scts = match parse_sct_list(&list) {
            Ok(s) => s
                .iter()
                .map(|s| json!({"log_id": hex::encode(s.log_id), "time": format_rfc3339((s.timestamp_ms / 1000) as i64)}))
                .collect(),
            Err(e) => vec![json!(format!("unparsable: {e}"))],
        };
        m.insert("scts".into(), Value::Array(scts));
    }
    Value::Object(m)
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
        }),
        Err(e) => json!(format!("not an in-toto statement: {e}")),
    }
}

fn envelope_info(e: &Envelope) -> Value {
    let mut m = Map::new();
    m.insert("payload_type".into(), json!(e.payload_type));
    m.insert("payload_bytes".into(), json!(e.payload.len()));
    m.insert("signatures".into(), json!(e.signatures.len()));
    if e.payload_type == signet_core::dsse::INTOTO_PAYLOAD_TYPE {
        m.insert("statement".into(), statement_info(&e.payload));
    }
    Value::Object(m)
}

fn bundle_info(b: &Bundle) -> Value {
    let mut m = Map::new();
    m.insert("media_type".into(), json!(b.media_type));
    if let Some(der) = b.leaf_certificate_der() {
        m.insert(
            "certificate".into(),
            Certificate::from_der(der)
                .map(|c| cert_info(&c))
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
        m.insert("dsse_envelope".into(), envelope_info(e));
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
        .map(|t| match signet_core::tsa::parse_timestamp_response(&t.signed_timestamp) {
            Ok(tok) => json!({"time": format_rfc3339(tok.gen_time()), "policy": tok.policy(), "serial": hex::encode(tok.serial_number())}),
            Err(e) => json!(format!("unparsable: {e}")),
        })
        .collect();
    if !ts.is_empty() {
        m.insert("rfc3161_timestamps".into(), Value::Array(ts));
    }
    Value::Object(m)
}

fn render(v: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let label = k.replace('_', " ");
                match x {
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

/// Describe any supported file as JSON.
pub fn describe(bytes: &[u8]) -> anyhow::Result<Value> {
    let trimmed = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &bytes[i..])
        .unwrap_or(&[]);
    if trimmed.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(bytes).context("PEM is not UTF-8")?;
        let certs = Certificate::all_from_pem(text)?;
        if certs.is_empty() {
            bail!("expected a PEM CERTIFICATE block, found none");
        }
        return Ok(
            json!({"kind": "certificates", "certificates": certs.iter().map(cert_info).collect::<Vec<_>>()}),
        );
    }
    if trimmed.starts_with(b"{") {
        let v: Value = serde_json::from_slice(bytes).context("parsing JSON")?;
        if v.get("mediaType")
            .and_then(Value::as_str)
            .is_some_and(|m| m.starts_with("application/vnd.dev.sigstore.bundle"))
        {
            let b: Bundle = serde_json::from_value(v).context("parsing bundle")?;
            let mut info = bundle_info(&b);
            if let Err(e) = b.validate() {
                info["invalid"] = json!(e.to_string());
            }
            return Ok(json!({"kind": "bundle", "bundle": info}));
        }
        if v.get("payloadType").is_some() {
            let e: Envelope = serde_json::from_value(v).context("parsing DSSE envelope")?;
            return Ok(json!({"kind": "dsse_envelope", "envelope": envelope_info(&e)}));
        }
        bail!("expected a Sigstore bundle (mediaType application/vnd.dev.sigstore.bundle...) or a DSSE envelope (payloadType), found other JSON");
    }
    let c = Certificate::from_der(bytes)
        .context("expected a bundle, DSSE envelope, or PEM/DER certificate")?;
    Ok(json!({"kind": "certificates", "certificates": [cert_info(&c)]}))
}

/// Entry point.
pub fn run(a: InspectArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let v = describe(&bytes).with_context(|| format!("{}", a.file.display()))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| Failure::Other(e.into()))?
        );
    } else {
        let mut out = String::new();
        render(&v, 0, &mut out);
        print!("{out}");
    }
    Ok(())
}
