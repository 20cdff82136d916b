//! JWS compact serialization (RFC 7515) for JWTs (RFC 7519): parsing, claims, and signature
//! verification against a [`Jwks`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::alg::{Algorithm, SUPPORTED_ALGORITHMS};
use crate::b64;
use crate::jwk::{Jwk, Jwks};
use crate::{Error, Result};

/// Largest token accepted (bytes). Real ID tokens are 1–3 KiB.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// A JOSE header. Unknown members are kept in `other`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Signature algorithm name, as sent.
    pub alg: String,
    /// Key id.
    pub kid: Option<String>,
    /// Media type (usually `JWT`).
    pub typ: Option<String>,
    /// Critical extensions (none are supported: any makes the token invalid).
    pub crit: Option<Vec<String>>,
    /// Other header members.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A JWT claims set: the JSON object, with typed accessors for the registered and OIDC claims.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Claims(pub Map<String, Value>);

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Claims {
    /// The raw claim, if present.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A string claim: `Ok(None)` when absent or null, an error when of another type.
    pub fn opt_str(&self, name: &str) -> Result<Option<&str>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(Error::InvalidClaim {
                claim: name.into(),
                expected: "a string".into(),
                found: json_type(other).into(),
            }),
        }
    }

    /// A required, non-empty string claim.
    pub fn req_str(&self, name: &str) -> Result<&str> {
        match self.opt_str(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(Error::missing(name)),
        }
    }

    /// A NumericDate claim (seconds since the epoch; fractions are truncated).
    pub fn numeric_date(&self, name: &str) -> Result<Option<i64>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                if let Some(i) = n.as_i64() {
                    Ok(Some(i))
                } else if let Some(f) = n.as_f64().filter(|f| f.is_finite() && f.abs() < 1e15) {
                    Ok(Some(f.trunc() as i64))
                } else {
                    Err(Error::InvalidClaim {
                        claim: name.into(),
                        expected: "a NumericDate (seconds since the epoch)".into(),
                        found: n.to_string(),
                    })
                }
            }
            Some(other) => Err(Error::InvalidClaim {
                claim: name.into(),
                expected: "a NumericDate (number)".into(),
                found: json_type(other).into(),
            }),
        }
    }

    /// `iss`.
    pub fn iss(&self) -> Result<Option<&str>> {
        self.opt_str("iss")
    }

    /// `sub`.
    pub fn sub(&self) -> Result<Option<&str>> {
        self.opt_str("sub")
    }

    /// `aud`, as a list (a single string is a one-element list).
    pub fn audiences(&self) -> Result<Vec<String>> {
        match self.0.get("aud") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(Error::InvalidClaim {
                        claim: "aud".into(),
                        expected: "a string or an array of strings".into(),
                        found: format!("an array holding {}", json_type(other)),
                    }),
                })
                .collect(),
            Some(other) => Err(Error::InvalidClaim {
                claim: "aud".into(),
                expected: "a string or an array of strings".into(),
                found: json_type(other).into(),
            }),
        }
    }

    /// `exp`.
    pub fn exp(&self) -> Result<Option<i64>> {
        self.numeric_date("exp")
    }

    /// `nbf`.
    pub fn nbf(&self) -> Result<Option<i64>> {
        self.numeric_date("nbf")
    }

    /// `iat`.
    pub fn iat(&self) -> Result<Option<i64>> {
        self.numeric_date("iat")
    }

    /// `email`.
    pub fn email(&self) -> Result<Option<&str>> {
        self.opt_str("email")
    }

    /// `email_verified`: a boolean, or the strings `"true"`/`"false"` that some issuers send.
    /// `None` when absent.
    pub fn email_verified(&self) -> Result<Option<bool>> {
        match self.0.get("email_verified") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(Error::InvalidClaim {
                claim: "email_verified".into(),
                expected: "true or false (boolean or string)".into(),
                found: other.to_string(),
            }),
        }
    }

    /// Follow a simple JSONPath (`$.a.b.c`, or a bare claim name) through nested objects to a
    /// string value, as Fulcio's `IssuerClaim` does (`$.federated_claims.connector_id`).
    pub fn string_at_path(&self, path: &str) -> Result<&str> {
        let trimmed = path.strip_prefix("$.").unwrap_or(path);
        let mut parts = trimmed.split('.');
        let first = parts.next().unwrap_or_default();
        let mut cur = self.0.get(first).ok_or_else(|| Error::missing(path))?;
        for p in parts {
            cur = cur
                .as_object()
                .and_then(|o| o.get(p))
                .ok_or_else(|| Error::missing(path))?;
        }
        match cur {
            Value::String(s) if !s.is_empty() => Ok(s),
            Value::String(_) | Value::Null => Err(Error::missing(path)),
            other => Err(Error::InvalidClaim {
                claim: path.into(),
                expected: "a string".into(),
                found: json_type(other).into(),
            }),
        }
    }
}

/// A parsed, not yet verified JWS compact token.
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    /// The JOSE header.
    pub header: Header,
    /// The parsed algorithm (never `none`).
    pub alg: Algorithm,
    /// The claims.
    pub claims: Claims,
    signing_input: String,
    signature: Vec<u8>,
}

impl UnverifiedToken {
    /// Split and decode a compact JWS. Checks the structure, that the header names a supported
    /// algorithm (rejecting `none`) and no critical extensions, and that the payload is a JSON
    /// object. The signature is not checked: see [`UnverifiedToken::verify_signature`].
    pub fn parse(token: &str) -> Result<Self> {
        let token = token.trim();
        Error::check_len("JWT", token.len(), MAX_TOKEN_LEN)?;
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return Err(Error::MalformedToken {
                reason: format!(
                    "expected 3 dot-separated parts (header.payload.signature), found {}",
                    parts.len()
                ),
            });
        }
        let header_bytes = b64::decode("JWT header", parts[0])?;
        let header: Header =
            serde_json::from_slice(&header_bytes).map_err(|e| Error::json("JWT header", e))?;
        let alg = Algorithm::from_name(&header.alg)?;
        if let Some(crit) = &header.crit {
            return Err(Error::UnsupportedCritical {
                names: crit.clone(),
            });
        }
        let payload = b64::decode("JWT payload", parts[1])?;
        let claims: Map<String, Value> =
            serde_json::from_slice(&payload).map_err(|e| Error::json("JWT payload", e))?;
        if parts[2].is_empty() {
            return Err(Error::MalformedToken {
                reason: "the signature part is empty".into(),
            });
        }
        let signature = b64::decode("JWT signature", parts[2])?;
        Ok(UnverifiedToken {
            header,
            alg,
            claims: Claims(claims),
            signing_input: format!("{}.{}", parts[0], parts[1]),
            signature,
        })
    }

    /// The bytes the signature covers (`base64url(header) "." base64url(payload)`).
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The decoded signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Select the key by `kid` (or the only fitting key) and verify the signature. Returns the
    /// JWK that verified it.
    pub fn verify_signature<'a>(&self, jwks: &'a Jwks) -> Result<&'a Jwk> {
        let (jwk, key) = jwks.select(self.header.kid.as_deref(), self.alg)?;
        if !key.signature_is_valid(self.alg, self.signing_input(), &self.signature) {
            return Err(Error::BadSignature {
                alg: self.alg.name().into(),
                kid: jwk.kid_str().into(),
            });
        }
        Ok(jwk)
    }
}

/// Decode a token's claims without verifying anything (for routing: which issuer's JWKS to
/// fetch). Never trust the result before [`crate::TokenVerifier::verify`].
pub fn peek_claims(token: &str) -> Result<Claims> {
    Ok(UnverifiedToken::parse(token)?.claims)
}

/// The `iss` of a token, unverified, so a caller knows which discovery document and JWKS to
/// fetch before verification.
pub fn peek_issuer(token: &str) -> Result<String> {
    let claims = peek_claims(token)?;
    Ok(claims.req_str("iss")?.to_string())
}
