//! The certificate authority, speaking Fulcio's v2 REST API: `POST /api/v2/signingCert`
//! (CSR as sigstore-python sends, or public key + proof of possession as sigstore-js and cosign
//! send), `GET /api/v2/trustBundle`, `GET /api/v2/configuration`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use der::{Decode, Encode};
use serde::Deserialize;
use signet_core::certs::{prepare_fulcio_leaf, LeafSpec, FULCIO_LEAF_LIFETIME};
use signet_core::crypto::{HashAlg, KeyKind, PublicKey};
use signet_core::encoding::b64_decode;
use signet_core::x509::{Certificate, SanIdentity};

use crate::{now_secs, App, Error, Result};

/// `credentials`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Credentials {
    #[serde(default)]
    oidc_identity_token: Option<String>,
}

/// `publicKeyRequest.publicKey`.
#[derive(Deserialize)]
struct PublicKeyContent {
    #[serde(default)]
    #[allow(dead_code)]
    algorithm: Option<String>,
    content: String,
}

/// `publicKeyRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyRequest {
    public_key: PublicKeyContent,
    proof_of_possession: String,
}

/// The signingCert request body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningCertRequest {
    #[serde(default)]
    credentials: Option<Credentials>,
    #[serde(default)]
    public_key_request: Option<PublicKeyRequest>,
    #[serde(default)]
    certificate_signing_request: Option<String>,
}

fn pem_of(der: &[u8]) -> String {
    signet_core::encoding::pem_encode("CERTIFICATE", der)
}

/// The token from the body or an `Authorization: Bearer` header.
fn token(headers: &HeaderMap, body: &SigningCertRequest) -> Result<String> {
    if let Some(t) = body
        .credentials
        .as_ref()
        .and_then(|c| c.oidc_identity_token.clone())
        .filter(|t| !t.is_empty())
    {
        return Ok(t);
    }
    if let Some(h) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
        {
            return Ok(t.trim().to_string());
        }
    }
    Err(Error::unauthorized("no OIDC identity token: expected credentials.oidcIdentityToken or an Authorization: Bearer header"))
}

/// Verify a PKCS#10 CSR's self-signature and return its public key (DER SPKI).
pub fn csr_public_key(csr_field: &str) -> Result<Vec<u8>> {
    let raw = b64_decode("certificateSigningRequest", csr_field)
        .map_err(|e| Error::bad_request(e.to_string()))?;
    // The field is base64 of a PEM CSR (sigstore-python); accept base64 of DER too.
    let der = match signet_core::encoding::pem_decode(&raw).ok() {
        Some((tag, der)) if tag == "CERTIFICATE REQUEST" || tag == "NEW CERTIFICATE REQUEST" => der,
        Some((tag, _)) => {
            return Err(Error::bad_request(format!(
                "expected a CERTIFICATE REQUEST PEM block, found {tag}"
            )))
        }
        None => raw,
    };
    let req = x509_cert::request::CertReq::from_der(&der)
        .map_err(|e| Error::bad_request(format!("malformed CSR: {e}")))?;
    let spki = req
        .info
        .public_key
        .to_der()
        .map_err(|e| Error::bad_request(format!("CSR public key: {e}")))?;
    let key = PublicKey::from_spki_der(&spki)
        .map_err(|e| Error::bad_request(format!("CSR public key: {e}")))?;
    let info = req
        .info
        .to_der()
        .map_err(|e| Error::bad_request(format!("CSR: {e}")))?;
    let sig = req
        .signature
        .as_bytes()
        .ok_or_else(|| Error::bad_request("CSR signature has unused bits"))?;
    key.verify_x509(&req.algorithm.oid, &info, sig)
        .map_err(|e| Error::bad_request(format!("CSR self-signature does not verify: {e}")))?;
    Ok(spki)
}

/// Check a proof of possession: a signature by `key` over the challenge (`email` or `sub`).
pub fn check_proof_of_possession(
    pem_key: &str,
    proof_b64: &str,
    challenge: &str,
) -> Result<Vec<u8>> {
    let key = PublicKey::from_pem(pem_key)
        .map_err(|e| Error::bad_request(format!("publicKeyRequest.publicKey: {e}")))?;
    let sig = b64_decode("proofOfPossession", proof_b64)
        .map_err(|e| Error::bad_request(e.to_string()))?;
    let ok = match key.kind() {
        KeyKind::Ed25519 => key.verify(challenge.as_bytes(), &sig),
        _ => key.verify_with_hash(HashAlg::Sha256, challenge.as_bytes(), &sig),
    };
    ok.map_err(|_| {
        Error::bad_request(format!(
            "proof of possession does not verify: expected a signature over the token's identity {challenge:?} with the submitted key"
        ))
    })?;
    Ok(key.spki_der().to_vec())
}

/// `POST /api/v2/signingCert`.
pub async fn signing_cert(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Json(body): Json<SigningCertRequest>,
) -> Result<Json<serde_json::Value>> {
    let token = token(&headers, &body)?;
    let principal = app.oidc.authenticate(&token).await?;
    let spki = match (&body.public_key_request, &body.certificate_signing_request) {
        (Some(pk), None) => check_proof_of_possession(
            &pk.public_key.content,
            &pk.proof_of_possession,
            &principal.challenge_name,
        )?,
        (None, Some(csr)) => csr_public_key(csr)?,
        (Some(_), Some(_)) => {
            return Err(Error::bad_request(
                "send either publicKeyRequest or certificateSigningRequest, not both",
            ))
        }
        (None, None) => {
            return Err(Error::bad_request(
                "missing publicKeyRequest or certificateSigningRequest",
            ))
        }
    };
    // The SAN is an IA5String (email, URI): a non-ASCII identity is the token's fault, a 400.
    let san_text = match &principal.san {
        signet_oidc::San::Email(s) | signet_oidc::San::Uri(s) => Some(s),
        signet_oidc::San::Username(_) => None,
    };
    if let Some(s) = san_text.filter(|s| !s.is_ascii()) {
        return Err(Error::bad_request(format!(
            "the token's identity {s:?} is not ASCII; certificate email and URI names are IA5String"
        )));
    }
    let san = match &principal.san {
        signet_oidc::San::Email(s) => SanIdentity::Email(s.clone()),
        signet_oidc::San::Uri(s) => SanIdentity::Uri(s.clone()),
        signet_oidc::San::Username(s) => SanIdentity::Username(s.clone()),
    };
    let spec = LeafSpec {
        spki_der: &spki,
        san: &san,
        issuer: &principal.issuer,
        extensions: &principal.extensions,
        not_before: now_secs(),
        lifetime: FULCIO_LEAF_LIFETIME,
        extra_extensions: &[],
        tbs_signature_algorithm: None,
        legacy_issuer: None,
    };
    // Precertificate first; its SCT comes from our CT log (an async append); then the leaf.
    let ca = &app.keys.ca_intermediate;
    // The CT log is in this process: it takes the TBS directly, so the precertificate needs no
    // signature of its own.
    let prepared = prepare_fulcio_leaf(ca, &spec, false)?;
    let sct = app
        .ct
        .add_precert(&prepared.sct_signed_tbs, ca.key.public_key_der())
        .await?;
    let der = prepared.finish(ca, &[sct])?.der;
    app.metrics
        .certificates
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(Json(serde_json::json!({
        "signedCertificateEmbeddedSct": {
            "chain": { "certificates": (std::iter::once(&der).chain(app.keys.ca_certificates()).map(|c| pem_of(c)).collect::<Vec<_>>()) }
        }
    })))
}

/// `GET /api/v2/trustBundle`.
pub async fn trust_bundle(State(app): State<Arc<App>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "chains": [{ "certificates": (app.keys.ca_certificates().map(|c| pem_of(c)).collect::<Vec<_>>()) }]
    }))
}

/// `GET /api/v2/configuration`.
pub async fn configuration(State(app): State<Arc<App>>) -> Json<serde_json::Value> {
    Json(app.oidc.fulcio_configuration())
}

/// Whether `der` is a leaf this CA issued (used by tests).
pub fn issued_by_us(app: &App, der: &[u8]) -> bool {
    Certificate::from_der(der)
        .ok()
        .and_then(|c| {
            c.verify_signed_by(
                &PublicKey::from_spki_der(app.keys.ca_intermediate.key.public_key_der()).ok()?,
            )
            .ok()
        })
        .is_some()
}
