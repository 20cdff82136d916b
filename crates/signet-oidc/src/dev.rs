//! A development OIDC issuer: a signing key, its discovery document and JWKS, and token minting.
//! Also PKCE (RFC 7636) helpers for the authorization-code flow.
//!
//! Serving the documents over HTTP is the caller's job; this module only builds them.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::{json, Map, Value};

use crate::b64;
use crate::jwk::{Jwk, Jwks};
use crate::jws::Algorithm;
use crate::{Error, Result};

/// The signing algorithm of a [`DevIssuer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevKeyAlg {
    /// ECDSA P-256 / SHA-256 (`ES256`), which every Sigstore client accepts. The default.
    #[default]
    Es256,
    /// Ed25519 (`EdDSA`).
    Ed25519,
}

enum SigningKey {
    Es256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A development OIDC issuer.
pub struct DevIssuer {
    issuer: String,
    key: SigningKey,
    jwk: Jwk,
    rng: SystemRandom,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer", &self.issuer)
            .field("alg", &self.algorithm())
            .field("kid", &self.kid())
            .finish()
    }
}

/// What to put in a minted token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRequest {
    /// `sub`.
    pub subject: String,
    /// `email`, if any.
    pub email: Option<String>,
    /// `email_verified`, if any (set it to `Some(true)` for email identities).
    pub email_verified: Option<bool>,
    /// `aud` (one value is written as a string, several as an array). Default `["sigstore"]`.
    pub audience: Vec<String>,
    /// Seconds from `iat` to `exp`. Default 600.
    pub lifetime: u64,
    /// `iat` and `nbf` (seconds since the epoch); `None` means now.
    pub issued_at: Option<i64>,
    /// Further claims (e.g. GitHub Actions claims). `iss`, `sub`, `aud`, `iat`, `nbf`, `exp`,
    /// `email` and `email_verified` from the fields above take precedence.
    pub extra_claims: Map<String, Value>,
}

impl Default for TokenRequest {
    fn default() -> Self {
        TokenRequest {
            subject: String::new(),
            email: None,
            email_verified: None,
            audience: vec![crate::config::DEFAULT_CLIENT_ID.to_string()],
            lifetime: 600,
            issued_at: None,
            extra_claims: Map::new(),
        }
    }
}

impl TokenRequest {
    /// A request for `subject` with the defaults.
    pub fn new(subject: impl Into<String>) -> Self {
        TokenRequest {
            subject: subject.into(),
            ..TokenRequest::default()
        }
    }

    /// A request for a verified email identity (`sub` and `email` both the address).
    pub fn email(address: impl Into<String>) -> Self {
        let address = address.into();
        TokenRequest {
            subject: address.clone(),
            email: Some(address),
            email_verified: Some(true),
            ..TokenRequest::default()
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl DevIssuer {
    /// A new issuer with a freshly generated key of kind `alg`.
    pub fn new(issuer_url: impl Into<String>, alg: DevKeyAlg) -> Result<Self> {
        let key = match alg {
            DevKeyAlg::Es256 => SigningKey::Es256(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|e| Error::crypto("generating a P-256 key", e))?,
            ),
            DevKeyAlg::Ed25519 => SigningKey::Ed25519(
                Ed25519KeyPair::generate()
                    .map_err(|e| Error::crypto("generating an Ed25519 key", e))?,
            ),
        };
        Self::with_key(issuer_url.into(), key)
    }

    /// A new ES256 issuer with a freshly generated key.
    pub fn generate(issuer_url: impl Into<String>) -> Result<Self> {
        Self::new(issuer_url, DevKeyAlg::Es256)
    }

    /// An issuer with a key from PKCS#8 DER: a P-256 ECDSA key (ES256) or an Ed25519 key.
    pub fn from_pkcs8(issuer_url: impl Into<String>, pkcs8: &[u8]) -> Result<Self> {
        let key = match EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8) {
            Ok(k) => SigningKey::Es256(k),
            Err(ec_err) => match Ed25519KeyPair::from_pkcs8(pkcs8) {
                Ok(k) => SigningKey::Ed25519(k),
                Err(ed_err) => {
                    return Err(Error::Crypto {
                        what: "PKCS#8 dev issuer key".into(),
                        reason: format!(
                            "expected a P-256 ECDSA or Ed25519 key; as P-256: {ec_err}; as Ed25519: {ed_err}"
                        ),
                    })
                }
            },
        };
        Self::with_key(issuer_url.into(), key)
    }

    fn with_key(issuer: String, key: SigningKey) -> Result<Self> {
        let mut jwk = match &key {
            SigningKey::Es256(k) => Jwk::from_ec_point(None, k.public_key().as_ref())?,
            SigningKey::Ed25519(k) => Jwk::from_ed25519(None, k.public_key().as_ref())?,
        };
        jwk.alg = Some(
            match &key {
                SigningKey::Es256(_) => Algorithm::Es256,
                SigningKey::Ed25519(_) => Algorithm::EdDsa,
            }
            .name()
            .to_string(),
        );
        jwk.kid = Some(jwk.thumbprint()?);
        Ok(DevIssuer {
            issuer: issuer.trim_end_matches('/').to_string(),
            key,
            jwk,
            rng: SystemRandom::new(),
        })
    }

    /// The private key as PKCS#8 v1 DER (to persist the issuer across restarts).
    pub fn private_key_pkcs8(&self) -> Result<Vec<u8>> {
        match &self.key {
            SigningKey::Es256(k) => k
                .to_pkcs8v1()
                .map(|d| d.as_ref().to_vec())
                .map_err(|e| Error::crypto("exporting the P-256 key", e)),
            SigningKey::Ed25519(k) => k
                .to_pkcs8v1()
                .map(|d| d.as_ref().to_vec())
                .map_err(|e| Error::crypto("exporting the Ed25519 key", e)),
        }
    }

    /// The issuer URL (`iss`), without a trailing `/`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self.key {
            SigningKey::Es256(_) => Algorithm::Es256,
            SigningKey::Ed25519(_) => Algorithm::EdDsa,
        }
    }

    /// The key id: the RFC 7638 thumbprint of the public JWK.
    pub fn kid(&self) -> &str {
        self.jwk.kid_str()
    }

    /// The public JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The JWKS as a typed value.
    pub fn jwk_set(&self) -> Jwks {
        Jwks {
            keys: vec![self.jwk.clone()],
        }
    }

    /// The JWKS document (served at `jwks_uri`).
    pub fn jwks(&self) -> Value {
        // A JWK set of strings serializes infallibly; Null is unreachable.
        serde_json::to_value(self.jwk_set()).unwrap_or(Value::Null)
    }

    /// The OpenID discovery document (served at `{issuer}/.well-known/openid-configuration`).
    pub fn discovery_document(&self) -> Value {
        let i = &self.issuer;
        json!({
            "issuer": i,
            "jwks_uri": format!("{i}/jwks"),
            "authorization_endpoint": format!("{i}/authorize"),
            "token_endpoint": format!("{i}/token"),
            "device_authorization_endpoint": format!("{i}/device/code"),
            "response_types_supported": ["code", "id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.algorithm().name()],
            "grant_types_supported": [
                "authorization_code",
                "urn:ietf:params:oauth:grant-type:device_code",
                "client_credentials"
            ],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "email", "email_verified"],
        })
    }

    /// Sign `claims` (a JSON object) as a JWS with this issuer's key, `kid` and `typ: JWT`.
    pub fn sign_claims(&self, claims: &Map<String, Value>) -> Result<String> {
        let header = json!({"alg": self.algorithm().name(), "kid": self.kid(), "typ": "JWT"});
        let signing_input = format!(
            "{}.{}",
            b64::encode(header.to_string()),
            b64::encode(Value::Object(claims.clone()).to_string())
        );
        let sig = match &self.key {
            SigningKey::Es256(k) => k
                .sign(&self.rng, signing_input.as_bytes())
                .map_err(|e| Error::crypto("ES256 signing", e))?
                .as_ref()
                .to_vec(),
            SigningKey::Ed25519(k) => k.sign(signing_input.as_bytes()).as_ref().to_vec(),
        };
        Ok(format!("{signing_input}.{}", b64::encode(sig)))
    }

    /// Mint an ID token: `iss`, `sub`, `aud`, `iat`, `nbf` (= `iat`), `exp` (= `iat` +
    /// lifetime), `email`/`email_verified` when set, and the extra claims.
    pub fn mint(&self, req: &TokenRequest) -> Result<String> {
        let iat = req.issued_at.unwrap_or_else(unix_now);
        let lifetime = i64::try_from(req.lifetime).unwrap_or(i64::MAX);
        let mut claims = req.extra_claims.clone();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!(req.subject));
        let aud = match req.audience.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        claims.insert("aud".into(), aud);
        claims.insert("iat".into(), json!(iat));
        claims.insert("nbf".into(), json!(iat));
        claims.insert("exp".into(), json!(iat.saturating_add(lifetime)));
        if let Some(e) = &req.email {
            claims.insert("email".into(), json!(e));
        }
        if let Some(v) = req.email_verified {
            claims.insert("email_verified".into(), json!(v));
        }
        self.sign_claims(&claims)
    }
}

/// A PKCE code verifier and its S256 challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkcePair {
    /// The code verifier (43 characters of base64url).
    pub verifier: String,
    /// `base64url(SHA-256(verifier))`.
    pub challenge: String,
}

/// The S256 code challenge for a verifier.
pub fn pkce_challenge_s256(verifier: &str) -> String {
    b64::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref())
}

/// Whether `verifier` is a valid RFC 7636 code verifier (43–128 characters of
/// `[A-Za-z0-9-._~]`) whose S256 challenge is `challenge` (compared in constant time).
pub fn verify_pkce_s256(verifier: &str, challenge: &str) -> bool {
    let ok_chars = verifier
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c));
    if !(43..=128).contains(&verifier.len()) || !ok_chars {
        return false;
    }
    let expected = pkce_challenge_s256(verifier);
    aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), challenge.as_bytes())
        .is_ok()
}

/// A fresh PKCE pair: 32 random bytes as the base64url verifier, and its S256 challenge.
pub fn make_pkce_pair() -> Result<PkcePair> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|e| Error::crypto("generating a PKCE verifier", e))?;
    let verifier = b64::encode(bytes);
    let challenge = pkce_challenge_s256(&verifier);
    Ok(PkcePair {
        verifier,
        challenge,
    })
}
