//! OIDC for the instance: a development issuer (discovery, JWKS, authorization code + PKCE
//! with a small login page, device flow, client credentials) and token verification for the CA
//! (the development issuer plus external issuers configured as in Fulcio, with discovery and
//! JWKS fetched over HTTPS and cached).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use signet_oidc::{
    DevIssuer, FulcioConfig, IssuerConfig, IssuerType, Jwks, Principal, TokenRequest, TokenVerifier,
};

use crate::config::DevIssuerMode;
use crate::keys::InstanceKeys;
use crate::trust::Urls;
use crate::{now_secs, App, Error, Result};

const JWKS_TTL: Duration = Duration::from_secs(300);
const CODE_TTL: Duration = Duration::from_secs(300);
// At most this many live authorization codes and device codes each: beyond it, 503 (expired
// ones are dropped first), so a flood of sign-ins cannot grow the server without bound.
use signet_core::limits::MAX_DEV_ISSUER_PENDING as MAX_PENDING;

/// Lock one of the issuer's tables; a poisoned lock is an error naming `table`.
fn lock_table<'a, T>(m: &'a Mutex<T>, table: &str) -> Result<MutexGuard<'a, T>> {
    m.lock()
        .map_err(|_| Error::Config(format!("{table} poisoned")))
}

/// Add `value` under `key` to a table of pending codes (`table` names the lock, `what` the
/// codes, in errors), dropping the expired ones first; refused while MAX_PENDING are live.
fn insert_pending<T>(
    m: &Mutex<HashMap<String, T>>,
    table: &str,
    what: &str,
    key: String,
    value: T,
    created: fn(&T) -> Instant,
) -> Result<()> {
    let mut t = lock_table(m, table)?;
    t.retain(|_, v| created(v).elapsed() < CODE_TTL);
    if t.len() >= MAX_PENDING {
        return Err(table_full(what));
    }
    t.insert(key, value);
    Ok(())
}

fn table_full(what: &str) -> Error {
    Error::request(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "the development issuer holds {MAX_PENDING} pending {what}; try again once some expire"
        ),
    )
}

struct AuthCode {
    email: String,
    challenge: Option<String>,
    redirect_uri: String,
    nonce: Option<String>,
    created: Instant,
}

struct DeviceCode {
    user_code: String,
    approved_email: Option<String>,
    created: Instant,
}

/// The OIDC side of the instance.
pub struct OidcService {
    dev: DevIssuer,
    verifier: TokenVerifier,
    http: reqwest::Client,
    jwks_cache: Mutex<HashMap<String, (Jwks, Instant)>>,
    codes: Mutex<HashMap<String, AuthCode>>,
    devices: Mutex<HashMap<String, DeviceCode>>,
    client_secret: String,
}

fn random_token(n: usize) -> Result<String> {
    let mut out = String::new();
    while out.len() < n * 2 {
        out.push_str(&hex::encode(signet_core::keys::random_bytes::<16>()?));
    }
    out.truncate(n * 2);
    Ok(out)
}

fn oidc_err(e: signet_oidc::Error) -> Error {
    Error::unauthorized(format!("identity token rejected: {e}"))
}

impl OidcService {
    /// The development issuer at `urls.oidc()` plus the external issuers of `external`.
    pub fn new(
        keys: &InstanceKeys,
        urls: &Urls,
        external: &FulcioConfig,
        client_secret: String,
        dev_issuer: DevIssuerMode,
    ) -> Result<Self> {
        let dev = DevIssuer::from_pkcs8(urls.oidc(), keys.oidc.pkcs8_der())
            .map_err(|e| Error::Config(format!("OIDC issuer key: {e}")))?;
        let mut cfg = external.clone();
        // The CA trusts the development issuer only when it runs.
        if dev_issuer != DevIssuerMode::Off {
            cfg.add_issuer(IssuerConfig::new(urls.oidc(), IssuerType::Email));
        }
        let verifier =
            TokenVerifier::new(cfg).map_err(|e| Error::Config(format!("OIDC issuers: {e}")))?;
        Ok(OidcService {
            dev,
            verifier,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| Error::Config(format!("HTTP client: {e}")))?,
            jwks_cache: Mutex::new(HashMap::new()),
            codes: Mutex::new(HashMap::new()),
            devices: Mutex::new(HashMap::new()),
            client_secret,
        })
    }

    /// The development issuer.
    pub fn dev(&self) -> &DevIssuer {
        &self.dev
    }

    async fn jwks_for(&self, issuer: &str) -> Result<Jwks> {
        if issuer == self.dev.issuer() {
            return Ok(self.dev.jwk_set());
        }
        if let Some((j, at)) = lock_table(&self.jwks_cache, "JWKS cache")?.get(issuer) {
            if at.elapsed() < JWKS_TTL {
                return Ok(j.clone());
            }
        }
        let disc_url = signet_oidc::discovery_url(issuer);
        let fetch = |url: String| async move {
            let r = self
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| Error::unauthorized(format!("cannot fetch {url}: {e}")))?;
            if !r.status().is_success() {
                return Err(Error::unauthorized(format!(
                    "{url} answered {}",
                    r.status()
                )));
            }
            r.bytes()
                .await
                .map_err(|e| Error::unauthorized(format!("reading {url}: {e}")))
        };
        let disc =
            signet_oidc::DiscoveryDocument::from_json_for_issuer(&fetch(disc_url).await?, issuer)
                .map_err(oidc_err)?;
        let jwks = Jwks::from_json(&fetch(disc.jwks_uri.clone()).await?).map_err(oidc_err)?;
        if let Ok(mut c) = self.jwks_cache.lock() {
            c.insert(issuer.to_string(), (jwks.clone(), Instant::now()));
        }
        Ok(jwks)
    }

    /// Verify an identity token and map it to what the certificate will say.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        let issuer = signet_oidc::peek_issuer(token).map_err(oidc_err)?;
        // Unknown issuers are rejected before any network access.
        self.verifier.issuer_config(&issuer).map_err(oidc_err)?;
        let jwks = self.jwks_for(&issuer).await?;
        let (_, p) = self
            .verifier
            .verify_principal(token, &jwks, now_secs())
            .map_err(oidc_err)?;
        Ok(p)
    }

    /// Fulcio's `/api/v2/configuration` body.
    pub fn fulcio_configuration(&self) -> Value {
        let cfg = self.verifier.config();
        let mut issuers = vec![];
        for (url, c) in cfg.oidc_issuers.iter() {
            issuers.push(json!({"issuerUrl": url, "audience": c.client_id, "challengeClaim": c.challenge_claim_name()}));
        }
        for (pat, c) in cfg.meta_issuers.iter() {
            issuers.push(json!({"wildcardIssuerUrl": pat, "audience": c.client_id, "challengeClaim": c.challenge_claim_name()}));
        }
        json!({"issuers": issuers})
    }

    /// Mint a development token for `email`.
    pub fn mint_email(&self, email: &str, nonce: Option<String>) -> Result<String> {
        let mut req = TokenRequest::email(email);
        if let Some(n) = nonce {
            req.extra_claims.insert("nonce".into(), Value::String(n));
        }
        self.dev
            .mint(&req)
            .map_err(|e| Error::Config(format!("minting a token: {e}")))
    }
}

/// Mint a development token outside the server (`signet serve token`): reads the issuer key and
/// URL from the data directory.
pub fn mint_offline(data_dir: &std::path::Path, email: &str) -> Result<String> {
    let inst = data_dir.join("instance.json");
    let bytes = std::fs::read(&inst).map_err(|e| Error::io(&inst, e))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Config(format!("{}: {e}", inst.display())))?;
    let issuer = v["oidc_issuer"]
        .as_str()
        .ok_or_else(|| Error::Config(format!("{}: no oidc_issuer", inst.display())))?;
    let keyp = data_dir.join("keys/oidc.pk8");
    let key = std::fs::read(&keyp).map_err(|e| Error::io(&keyp, e))?;
    let dev = DevIssuer::from_pkcs8(issuer, &key)
        .map_err(|e| Error::Config(format!("OIDC issuer key: {e}")))?;
    dev.mint(&TokenRequest::email(email))
        .map_err(|e| Error::Config(format!("minting a token: {e}")))
}

fn valid_email(e: &str) -> bool {
    // Certificates carry emails as IA5String: ASCII only.
    if !e.is_ascii() || e.len() > MAX_FIELD {
        return false;
    }
    let mut parts = e.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(u), Some(d), None) if !u.is_empty() && d.contains('.') && !e.contains(char::is_whitespace))
}

/// [`valid_email`], else a 400 naming what was typed.
fn require_email(e: &str) -> Result<()> {
    if valid_email(e) {
        Ok(())
    } else {
        Err(Error::bad_request(format!("{e:?} is not an email address")))
    }
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: Option<String>,
    #[serde(default)]
    code_challenge_method: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    response_type: Option<String>,
}

/// A client the login and device pages answer: a loopback one, unless the operator allowed
/// remote ones (`--dev-issuer-allow-remote`). Taking it as a handler argument is the check.
struct SignInClient;

impl FromRequestParts<Arc<App>> for SignInClient {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| Error::Config("the server was started without peer addresses".into()))?;
        require_local_mode(app.dev_issuer, peer)?;
        Ok(SignInClient)
    }
}

fn require_local_mode(mode: DevIssuerMode, peer: SocketAddr) -> Result<()> {
    if mode == DevIssuerMode::AllowRemote || peer.ip().is_loopback() {
        return Ok(());
    }
    Err(Error::forbidden(format!(
        "the development issuer's sign-in pages answer loopback clients only (this request came from {}); start the instance with --dev-issuer-allow-remote to serve other hosts",
        peer.ip()
    )))
}

/// RFC 8252 section 7.3: a native client's redirect URI is a loopback `http` URL.
fn loopback_redirect(uri: &str) -> Result<reqwest::Url> {
    if uri.len() > MAX_FIELD {
        return Err(Error::bad_request(format!(
            "redirect_uri is {} bytes; at most {MAX_FIELD} are accepted",
            uri.len()
        )));
    }
    let url = reqwest::Url::parse(uri)
        .map_err(|e| Error::bad_request(format!("redirect_uri {uri:?}: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if url.scheme() != "http" || !loopback {
        return Err(Error::bad_request(format!(
            "redirect_uri must be a loopback http URL (http://127.0.0.1:PORT/..., http://[::1]:PORT/... or http://localhost:PORT/...; RFC 8252), found {uri:?}"
        )));
    }
    Ok(url)
}

use signet_core::limits::MAX_DEV_ISSUER_FIELD as MAX_FIELD;

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn authorize_page(_: SignInClient, Query(q): Query<AuthorizeQuery>) -> Result<Html<String>> {
    loopback_redirect(&q.redirect_uri)?;
    if q.response_type.as_deref().is_some_and(|r| r != "code") {
        return Err(Error::bad_request("response_type must be \"code\""));
    }
    if q.code_challenge.is_some() && q.code_challenge_method.as_deref().unwrap_or("plain") != "S256"
    {
        return Err(Error::bad_request("code_challenge_method must be S256"));
    }
    let hidden = |n: &str, v: &str| {
        format!(
            "<input type=\"hidden\" name=\"{n}\" value=\"{}\">",
            html_escape(v)
        )
    };
    Ok(Html(format!(
        "<!doctype html><html><head><title>Signet sign-in</title></head><body>\
         <h1>Signet development sign-in</h1><p>Client <code>{}</code> asks for an identity token.</p>\
         <form method=\"post\" action=\"authorize\">{}{}{}{}{}\
         <label>Email <input name=\"email\" type=\"email\" required autofocus></label> \
         <button type=\"submit\">Sign in</button></form></body></html>",
        html_escape(&q.client_id),
        hidden("redirect_uri", &q.redirect_uri),
        hidden("state", &q.state),
        hidden("code_challenge", q.code_challenge.as_deref().unwrap_or("")),
        hidden("nonce", q.nonce.as_deref().unwrap_or("")),
        hidden("client_id", &q.client_id),
    )))
}

#[derive(Deserialize)]
struct AuthorizeForm {
    email: String,
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    nonce: String,
}

async fn authorize_submit(
    State(app): State<Arc<App>>,
    _: SignInClient,
    Form(f): Form<AuthorizeForm>,
) -> Result<Response> {
    let url = loopback_redirect(&f.redirect_uri)?;
    for (name, v) in [
        ("email", &f.email),
        ("state", &f.state),
        ("code_challenge", &f.code_challenge),
        ("nonce", &f.nonce),
    ] {
        if v.len() > MAX_FIELD {
            return Err(Error::bad_request(format!(
                "{name} is {} bytes; at most {MAX_FIELD} are accepted",
                v.len()
            )));
        }
    }
    require_email(&f.email)?;
    let code = random_token(16)?;
    insert_pending(
        &app.oidc.codes,
        "code table",
        "authorization codes",
        code.clone(),
        AuthCode {
            email: f.email,
            challenge: Some(f.code_challenge).filter(|c| !c.is_empty()),
            redirect_uri: f.redirect_uri.clone(),
            nonce: Some(f.nonce).filter(|n| !n.is_empty()),
            created: Instant::now(),
        },
        |c| c.created,
    )?;
    let mut target = url;
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &f.state);
    Ok(Redirect::to(target.as_str()).into_response())
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    code_verifier: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    device_code: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn token_response(id_token: String) -> Response {
    Json(json!({"access_token": id_token, "id_token": id_token, "token_type": "Bearer", "expires_in": 600})).into_response()
}

async fn token(State(app): State<Arc<App>>, Form(f): Form<TokenForm>) -> Result<Response> {
    let o = &app.oidc;
    match f.grant_type.as_str() {
        "authorization_code" => {
            let code = f.code.unwrap_or_default();
            let entry = lock_table(&o.codes, "code table")?.remove(&code);
            let Some(c) = entry.filter(|c| c.created.elapsed() < CODE_TTL) else {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown or expired authorization code",
                ));
            };
            if f.redirect_uri
                .as_deref()
                .is_some_and(|r| r != c.redirect_uri)
            {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri differs from the authorization request's",
                ));
            }
            if let Some(ch) = &c.challenge {
                let ok = f
                    .code_verifier
                    .as_deref()
                    .is_some_and(|v| signet_oidc::verify_pkce_s256(v, ch));
                if !ok {
                    return Ok(oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "PKCE code_verifier does not match the code_challenge",
                    ));
                }
            }
            Ok(token_response(o.mint_email(&c.email, c.nonce)?))
        }
        "client_credentials" => {
            if f.client_secret.as_deref() != Some(o.client_secret.as_str()) {
                return Ok(oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "client_secret does not match this instance's (DATA_DIR/keys/client-secret)",
                ));
            }
            let email = f.email.unwrap_or_default();
            if !valid_email(&email) {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "client_credentials needs an email parameter",
                ));
            }
            Ok(token_response(o.mint_email(&email, None)?))
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let dc = f.device_code.unwrap_or_default();
            let mut devices = lock_table(&o.devices, "device table")?;
            match devices.get(&dc) {
                None => Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown device_code",
                )),
                Some(d) if d.created.elapsed() > CODE_TTL => Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "expired_token",
                    "device code expired",
                )),
                Some(d) => match d.approved_email.clone() {
                    None => Ok(oauth_error(
                        StatusCode::BAD_REQUEST,
                        "authorization_pending",
                        "waiting for the user to approve",
                    )),
                    Some(email) => {
                        devices.remove(&dc);
                        Ok(token_response(o.mint_email(&email, None)?))
                    }
                },
            }
        }
        other => Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {other:?} is not supported"),
        )),
    }
}

async fn device_code(State(app): State<Arc<App>>) -> Result<Json<Value>> {
    let dc = random_token(16)?;
    let user_code = random_token(4)?.to_uppercase();
    insert_pending(
        &app.oidc.devices,
        "device table",
        "device codes",
        dc.clone(),
        DeviceCode {
            user_code: user_code.clone(),
            approved_email: None,
            created: Instant::now(),
        },
        |d| d.created,
    )?;
    let verify = format!("{}/device", app.urls.oidc());
    Ok(Json(json!({
        "device_code": dc,
        "user_code": user_code,
        "verification_uri": verify,
        "verification_uri_complete": format!("{verify}?user_code={user_code}"),
        "expires_in": CODE_TTL.as_secs(),
        "interval": 1,
    })))
}

#[derive(Deserialize)]
struct DeviceQuery {
    #[serde(default)]
    user_code: String,
}

async fn device_page(_: SignInClient, Query(q): Query<DeviceQuery>) -> Result<Html<String>> {
    Ok(Html(format!(
        "<!doctype html><html><body><h1>Signet device sign-in</h1><form method=\"post\" action=\"device\">\
         <label>Code <input name=\"user_code\" value=\"{}\" required></label> \
         <label>Email <input name=\"email\" type=\"email\" required></label> <button type=\"submit\">Approve</button></form></body></html>",
        html_escape(&q.user_code)
    )))
}

#[derive(Deserialize)]
struct DeviceForm {
    user_code: String,
    email: String,
}

async fn device_approve(
    State(app): State<Arc<App>>,
    _: SignInClient,
    Form(f): Form<DeviceForm>,
) -> Result<Html<String>> {
    require_email(&f.email)?;
    let mut devices = lock_table(&app.oidc.devices, "device table")?;
    let d = devices
        .values_mut()
        .find(|d| {
            d.user_code.eq_ignore_ascii_case(f.user_code.trim()) && d.created.elapsed() < CODE_TTL
        })
        .ok_or_else(|| Error::bad_request(format!("unknown or expired code {:?}", f.user_code)))?;
    d.approved_email = Some(f.email);
    Ok(Html("<!doctype html><html><body><p>Approved. You can return to your terminal.</p></body></html>".into()))
}

/// The OIDC routes under `/oidc`.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/oidc/.well-known/openid-configuration",
            get(|State(a): State<Arc<App>>| async move { Json(a.oidc.dev.discovery_document()) }),
        )
        .route(
            "/oidc/jwks",
            get(|State(a): State<Arc<App>>| async move { Json(a.oidc.dev.jwks()) }),
        )
        .route(
            "/oidc/authorize",
            get(authorize_page).post(authorize_submit),
        )
        .route("/oidc/token", post(token))
        .route("/oidc/device/code", post(device_code))
        .route("/oidc/device", get(device_page).post(device_approve))
        // Every field is at most MAX_FIELD bytes: a form body beyond a few of them is refused
        // (413) before it is buffered.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BODY))
}

use signet_core::limits::MAX_DEV_ISSUER_FORM as MAX_FORM_BODY;

#[cfg(test)]
mod tests {
    use super::*;

    /// The attack: a client on another host signs in to the development issuer.
    #[test]
    fn dev_issuer_pages_refuse_remote_clients() {
        let remote: SocketAddr = "192.0.2.7:5555".parse().unwrap();
        let local4: SocketAddr = "127.0.0.1:5555".parse().unwrap();
        let local6: SocketAddr = "[::1]:5555".parse().unwrap();
        let e = require_local_mode(DevIssuerMode::Loopback, remote).unwrap_err();
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        assert!(e.to_string().contains("192.0.2.7"), "{e}");
        require_local_mode(DevIssuerMode::Loopback, local4).unwrap();
        require_local_mode(DevIssuerMode::Loopback, local6).unwrap();
        require_local_mode(DevIssuerMode::AllowRemote, remote).unwrap();
    }

    #[test]
    fn redirect_uri_must_be_loopback_http() {
        for ok in [
            "http://127.0.0.1:1/cb",
            "http://127.5.0.1/cb",
            "http://localhost:8080/",
            "http://[::1]:9/x",
        ] {
            loopback_redirect(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "https://127.0.0.1/cb",
            "http://example.com/cb",
            "http://localhost.example.com/cb",
            "file:///etc/passwd",
            "",
        ] {
            assert!(loopback_redirect(bad).is_err(), "{bad}");
        }
        assert!(loopback_redirect(&format!("http://127.0.0.1/{}", "a".repeat(MAX_FIELD))).is_err());
    }
}
