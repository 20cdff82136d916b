//! Where identity tokens come from, in sigstore-python's order: an explicit token, the
//! `SIGSTORE_ID_TOKEN` environment variable (GitLab CI and generic CI set it), GitHub Actions'
//! ambient OIDC endpoint, then an interactive browser flow (authorization code + PKCE with a
//! local redirect), with the device flow as the out-of-band fallback.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::Value;
use signet_core::encoding::b64_encode;

use crate::{Error, Result};

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--identity-token`.
    Explicit,
    /// `SIGSTORE_ID_TOKEN`.
    Environment,
    /// GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`).
    GitHubActions,
    /// Browser or device flow.
    Interactive,
}

fn http() -> Result<reqwest::blocking::Client> {
    signet_http::Http::new()
        .map(|h| h.client().clone())
        .map_err(|e| Error::Identity(format!("HTTP client: {e}")))
}

/// A token without user interaction, if the environment provides one.
pub fn ambient(explicit: Option<String>, audience: &str) -> Result<Option<(String, Source)>> {
    if let Some(t) = explicit.filter(|t| !t.trim().is_empty()) {
        return Ok(Some((t.trim().to_string(), Source::Explicit)));
    }
    if let Ok(t) = std::env::var("SIGSTORE_ID_TOKEN") {
        if !t.trim().is_empty() {
            return Ok(Some((t.trim().to_string(), Source::Environment)));
        }
    }
    if let (Ok(url), Ok(bearer)) = (
        std::env::var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        std::env::var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) {
        let mut u = reqwest::Url::parse(&url)
            .map_err(|e| Error::Identity(format!("ACTIONS_ID_TOKEN_REQUEST_URL: {e}")))?;
        u.query_pairs_mut().append_pair("audience", audience);
        let r = http()?
            .get(u)
            .bearer_auth(bearer)
            .send()
            .map_err(|e| Error::Identity(format!("GitHub Actions OIDC endpoint: {e}")))?;
        if !r.status().is_success() {
            return Err(Error::Identity(format!("GitHub Actions OIDC endpoint answered {} (does the job have `permissions: id-token: write`?)", r.status())));
        }
        let v: Value = r
            .json()
            .map_err(|e| Error::Identity(format!("GitHub Actions OIDC endpoint: {e}")))?;
        let t = v.get("value").and_then(Value::as_str).ok_or_else(|| {
            Error::Identity("GitHub Actions OIDC response has no \"value\"".into())
        })?;
        return Ok(Some((t.to_string(), Source::GitHubActions)));
    }
    Ok(None)
}

fn discovery(issuer: &str) -> Result<Value> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    http()?
        .get(&url)
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json::<Value>())
        .map_err(|e| Error::Identity(format!("OIDC discovery {url}: {e}")))
}

fn random_urlsafe(n: usize) -> Result<String> {
    let mut s = String::new();
    while s.len() < n {
        s.push_str(&hex::encode(signet_core::keys::random_bytes::<16>()?));
    }
    s.truncate(n);
    Ok(s)
}

fn pkce_challenge(verifier: &str) -> String {
    b64_encode(signet_core::encoding::sha256(verifier.as_bytes()))
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

fn token_from(resp: reqwest::blocking::Response, what: &str) -> Result<String> {
    let status = resp.status();
    let v: Value = resp
        .json()
        .map_err(|e| Error::Identity(format!("{what}: {e}")))?;
    if !status.is_success() {
        return Err(Error::Identity(format!(
            "{what}: {} {}",
            v.get("error").and_then(Value::as_str).unwrap_or("error"),
            v.get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("")
        )));
    }
    v.get("id_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Error::Identity(format!("{what}: no id_token in the response")))
}

/// The discovery document's `name` endpoint.
fn endpoint<'a>(d: &'a Value, name: &str) -> Result<&'a str> {
    d.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Identity(format!("issuer has no {name}")))
}

/// Authorization code + PKCE with a redirect to a local listener. Prints the URL to open.
pub fn browser(issuer: &str, client_id: &str) -> Result<String> {
    let d = discovery(issuer)?;
    let auth = endpoint(&d, "authorization_endpoint")?;
    let token_ep = endpoint(&d, "token_endpoint")?;
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::Identity(format!("local redirect listener: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::Identity(e.to_string()))?
        .port();
    let redirect = format!("http://localhost:{port}/auth/callback");
    let verifier = random_urlsafe(64)?;
    let state = random_urlsafe(24)?;
    let nonce = random_urlsafe(24)?;
    let mut url = reqwest::Url::parse(auth)
        .map_err(|e| Error::Identity(format!("authorization_endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", "openid email")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce_challenge(&verifier))
        .append_pair("code_challenge_method", "S256");
    eprintln!("Open this URL in a browser to sign in:\n\n    {url}\n");
    listener.set_nonblocking(false).ok();
    let (mut stream, _) = listener
        .accept()
        .map_err(|e| Error::Identity(format!("waiting for the redirect: {e}")))?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(|e| Error::Identity(e.to_string()))?;
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let cb = reqwest::Url::parse(&format!("http://localhost{path}"))
        .map_err(|e| Error::Identity(e.to_string()))?;
    let q: std::collections::HashMap<_, _> = cb.query_pairs().into_owned().collect();
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n<p>Signed in. You can close this window.</p>");
    if q.get("state") != Some(&state) {
        return Err(Error::Identity(
            "OAuth state mismatch in the redirect".into(),
        ));
    }
    let code = q.get("code").ok_or_else(|| {
        Error::Identity(format!(
            "the redirect carries no code: {}",
            q.get("error").cloned().unwrap_or_default()
        ))
    })?;
    let resp = http()?
        .post(token_ep)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect),
            ("client_id", client_id),
            ("code_verifier", &verifier),
        ])
        .send()
        .map_err(|e| Error::Identity(format!("token endpoint: {e}")))?;
    token_from(resp, "token endpoint")
}

/// The device authorization grant (RFC 8628): prints a URL and code, polls for the token.
pub fn device(issuer: &str, client_id: &str) -> Result<String> {
    let d = discovery(issuer)?;
    let dev_ep = endpoint(&d, "device_authorization_endpoint")?;
    let token_ep = endpoint(&d, "token_endpoint")?;
    let c = http()?;
    let v: Value = c
        .post(dev_ep)
        .form(&[("client_id", client_id), ("scope", "openid email")])
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .map_err(|e| Error::Identity(format!("device authorization: {e}")))?;
    let dc = v
        .get("device_code")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Identity("no device_code".into()))?;
    let uri = v
        .get("verification_uri_complete")
        .or_else(|| v.get("verification_uri"))
        .and_then(Value::as_str)
        .unwrap_or("");
    eprintln!(
        "Visit {uri} and enter code {}",
        v.get("user_code").and_then(Value::as_str).unwrap_or("")
    );
    let interval = Duration::from_secs(
        v.get("interval")
            .and_then(Value::as_u64)
            .unwrap_or(5)
            .max(1),
    );
    let deadline = Instant::now()
        + Duration::from_secs(v.get("expires_in").and_then(Value::as_u64).unwrap_or(300));
    while Instant::now() < deadline {
        std::thread::sleep(interval);
        let r = c
            .post(token_ep)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", dc),
                ("client_id", client_id),
            ])
            .send()
            .map_err(|e| Error::Identity(format!("token endpoint: {e}")))?;
        if r.status().is_success() {
            return token_from(r, "token endpoint");
        }
        let e: Value = r.json().unwrap_or(Value::Null);
        match e.get("error").and_then(Value::as_str) {
            Some("authorization_pending") | Some("slow_down") => continue,
            other => {
                return Err(Error::Identity(format!(
                    "device flow: {}",
                    other.unwrap_or("error")
                )))
            }
        }
    }
    Err(Error::Identity(
        "device flow: the code expired before approval".into(),
    ))
}

/// The claims of a JWT, unverified (to show who is signing).
pub fn peek_claims(token: &str) -> Result<Value> {
    let payload = token.split('.').nth(1).ok_or_else(|| {
        Error::Identity("identity token is not a JWT (header.payload.signature)".into())
    })?;
    let bytes = signet_core::encoding::b64_decode("JWT payload", payload)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Identity(format!("JWT payload is not JSON: {e}")))
}

/// How to sign in when neither the caller nor the environment gives a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// A browser redirect, but only when a person could take part (a terminal is attached);
    /// otherwise fail at once rather than wait for a browser nobody sees.
    Auto,
    /// The device flow.
    Device,
    /// A browser redirect even without a terminal.
    Browser,
}

/// An identity token: `explicit`, else an ambient one (SIGSTORE_ID_TOKEN, CI), else an
/// interactive sign-in at `issuer` (the signing config's OIDC provider). When none can be had
/// the error is [`Error::NoToken`], saying what to pass.
pub fn obtain(
    explicit: Option<String>,
    client_id: &str,
    issuer: Option<&str>,
    sign_in: SignIn,
) -> Result<String> {
    if let Some((t, _)) = ambient(explicit, client_id)? {
        return Ok(t);
    }
    let issuer = issuer.ok_or_else(|| {
        Error::NoToken(
            "No identity token supplied or detected, and the signing config names no OIDC provider"
                .into(),
        )
    })?;
    let terminal = {
        use std::io::IsTerminal;
        std::io::stdin().is_terminal() || std::io::stderr().is_terminal()
    };
    match sign_in {
        SignIn::Device => device(issuer, client_id),
        SignIn::Auto if !terminal => Err(Error::NoToken("no identity token, and no terminal for an interactive sign-in: pass --identity-token TOKEN, set SIGSTORE_ID_TOKEN, run where ambient credentials exist (GitHub Actions with `permissions: id-token: write`), or ask for --device / --browser sign-in explicitly".into())),
        SignIn::Auto | SignIn::Browser => browser(issuer, client_id),
    }
}
