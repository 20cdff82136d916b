//! RFC 3161 timestamp authority: `POST /api/v1/timestamp` (DER `application/timestamp-query`
//! or sigstore-js's JSON request) and `GET /api/v1/timestamp/certchain`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use signet_core::crypto::HashAlg;
use signet_core::encoding::b64_decode;
use signet_core::keys::random_bytes;
use signet_core::tsa::{parse_timestamp_request, TimestampSigner};

use crate::{now_secs, App, Error, Result};

/// Sigstore's TSA policy OID.
pub const TSA_POLICY: &str = "1.3.6.1.4.1.57264.2";

/// sigstore-js's JSON timestamp request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonRequest {
    artifact_hash: String,
    #[serde(default)]
    hash_algorithm: Option<String>,
    #[serde(default)]
    nonce: Option<serde_json::Value>,
    #[serde(default)]
    certificates: Option<bool>,
}

fn hash_alg(name: &str) -> Result<HashAlg> {
    match name.to_ascii_lowercase().replace('-', "").as_str() {
        "sha256" => Ok(HashAlg::Sha256),
        "sha384" => Ok(HashAlg::Sha384),
        "sha512" => Ok(HashAlg::Sha512),
        other => Err(Error::bad_request(format!(
            "unsupported hashAlgorithm {other:?}; expected sha256, sha384 or sha512"
        ))),
    }
}

fn nonce_bytes(v: &serde_json::Value) -> Result<Vec<u8>> {
    let n = match v {
        serde_json::Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| Error::bad_request("nonce must be a non-negative integer"))?,
        serde_json::Value::String(s) => s
            .parse::<u64>()
            .map_err(|_| Error::bad_request(format!("nonce {s:?} is not an integer")))?,
        _ => return Err(Error::bad_request("nonce must be an integer")),
    };
    let b = n.to_be_bytes();
    let skip = b.iter().take_while(|x| **x == 0).count().min(7);
    Ok(b[skip..].to_vec())
}

/// `POST /api/v1/timestamp`.
pub async fn timestamp(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (alg, imprint, nonce, cert_req) = if ct.starts_with("application/json") {
        let r: JsonRequest = serde_json::from_slice(&body)
            .map_err(|e| Error::bad_request(format!("malformed JSON timestamp request: {e}")))?;
        let alg = hash_alg(r.hash_algorithm.as_deref().unwrap_or("sha256"))?;
        let imprint = b64_decode("artifactHash", &r.artifact_hash)
            .map_err(|e| Error::bad_request(e.to_string()))?;
        let nonce = r.nonce.as_ref().map(nonce_bytes).transpose()?;
        (alg, imprint, nonce, r.certificates.unwrap_or(false))
    } else {
        let r = parse_timestamp_request(&body)
            .map_err(|e| Error::bad_request(format!("malformed TimeStampReq: {e}")))?;
        if let Some(p) = &r.policy {
            if p != TSA_POLICY {
                return Err(Error::bad_request(format!(
                    "unsupported reqPolicy {p}; this TSA issues {TSA_POLICY}"
                )));
            }
        }
        (r.imprint_alg, r.imprint, r.nonce, r.cert_req)
    };
    let expected = match alg {
        HashAlg::Sha256 => 32,
        HashAlg::Sha384 => 48,
        HashAlg::Sha512 => 64,
    };
    if imprint.len() != expected {
        return Err(Error::bad_request(format!(
            "message imprint is {} bytes, expected {expected} for {alg:?}",
            imprint.len()
        )));
    }
    let mut serial = random_bytes::<16>()?;
    serial[0] = (serial[0] & 0x7f) | 1;
    let resp = app.tsa.sign(
        alg,
        &imprint,
        nonce.as_deref(),
        cert_req,
        now_secs(),
        &serial,
        TSA_POLICY,
    )?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        resp,
    )
        .into_response())
}

/// `GET /api/v1/timestamp/certchain`: PEM chain, leaf first.
pub async fn certchain(State(app): State<Arc<App>>) -> Response {
    let pem: String = app
        .tsa
        .chain()
        .iter()
        .map(|d| signet_core::encoding::pem_encode("CERTIFICATE", d))
        .collect();
    (
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        pem,
    )
        .into_response()
}

/// Build the TSA signer from the instance keys.
pub fn signer(keys: &crate::keys::InstanceKeys) -> Result<TimestampSigner> {
    Ok(TimestampSigner::from_signer(
        keys.tsa.key.clone(),
        keys.tsa.chain(),
    )?)
}
