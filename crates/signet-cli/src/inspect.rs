//! `signet inspect`: decode a bundle, certificate or DSSE envelope for humans (or `--json`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::Value;

use crate::Failure;

/// `signet inspect FILE`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A bundle (.sigstore.json), PEM/DER certificate(s), DSSE envelope, or PEP 740
    /// attestation.
    pub file: PathBuf,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
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

/// Entry point.
pub fn run(a: InspectArgs) -> Result<(), Failure> {
    let bytes = crate::read_input(&a.file)?;
    let v =
        signet_core::describe::describe(&bytes).with_context(|| format!("{}", a.file.display()))?;
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
