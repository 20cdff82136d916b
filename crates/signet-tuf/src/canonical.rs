//! OLPC / securesystemslib canonical JSON, the byte form TUF signatures cover.
//!
//! Objects have their keys sorted by code point, there is no insignificant whitespace, strings
//! escape only `"` and `\` (everything else, including control characters, is emitted raw as
//! UTF-8), and only integers are allowed (floats are rejected, as securesystemslib does).

use serde_json::Value;

/// A value that has no canonical form.
#[derive(Debug, thiserror::Error)]
#[error("canonical JSON: expected only integers, found the non-integer number {0}")]
pub struct NotCanonical(pub String);

/// Encode `v` as canonical JSON bytes.
pub fn encode(v: &Value) -> Result<Vec<u8>, NotCanonical> {
    let mut out = Vec::new();
    write(v, &mut out)?;
    Ok(out)
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn write(v: &Value, out: &mut Vec<u8>) -> Result<(), NotCanonical> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if n.is_f64() {
                return Err(NotCanonical(n.to_string()));
            }
            out.extend_from_slice(n.to_string().as_bytes());
        }
        Value::String(s) => write_str(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(x, out)?;
            }
            out.push(b']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write(&m[k], out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_and_escapes_minimally() {
        let v: Value = serde_json::json!({"b": [1, true, null], "a": "q\"\\\n\u{e9}"});
        assert_eq!(
            encode(&v).unwrap(),
            "{\"a\":\"q\\\"\\\\\n\u{e9}\",\"b\":[1,true,null]}".as_bytes()
        );
        assert!(encode(&serde_json::json!({"x": 1.5})).is_err());
    }
}
