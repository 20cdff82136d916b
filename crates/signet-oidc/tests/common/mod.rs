//! Shared test helpers: keys of every supported type, signing with aws-lc-rs, token assembly.
#![allow(dead_code)]

use std::sync::OnceLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
    ECDSA_P384_SHA384_FIXED_SIGNING,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use signet_oidc::{
    Algorithm, FulcioConfig, IssuerConfig, IssuerType, Jwk, Jwks, TokenVerifier, VerifiedToken,
};

pub const NOW: i64 = 1_700_000_000;
pub const ISS: &str = "https://accounts.example.test";

pub enum TestKey {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
    P384(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

pub fn rsa_key() -> &'static RsaKeyPair {
    static K: OnceLock<RsaKeyPair> = OnceLock::new();
    K.get_or_init(|| RsaKeyPair::generate(KeySize::Rsa2048).unwrap())
}

impl TestKey {
    pub fn for_alg(alg: Algorithm) -> TestKey {
        match alg {
            Algorithm::Es256 => {
                TestKey::P256(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap())
            }
            Algorithm::Es384 => {
                TestKey::P384(EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).unwrap())
            }
            Algorithm::EdDsa => TestKey::Ed(Ed25519KeyPair::generate().unwrap()),
            _ => {
                // RSA keys are slow to generate: share one, re-parsed from PKCS#8.
                let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(
                    rsa_key(),
                )
                .unwrap();
                TestKey::Rsa(RsaKeyPair::from_pkcs8(der.as_ref()).unwrap())
            }
        }
    }

    pub fn jwk(&self, kid: Option<&str>) -> Jwk {
        let kid = kid.map(str::to_string);
        match self {
            TestKey::Rsa(k) => {
                let pk = k.public_key();
                Jwk::from_rsa_components(
                    kid,
                    pk.modulus().big_endian_without_leading_zero(),
                    pk.exponent().big_endian_without_leading_zero(),
                )
            }
            TestKey::P256(k) | TestKey::P384(k) => {
                Jwk::from_ec_point(kid, k.public_key().as_ref()).unwrap()
            }
            TestKey::Ed(k) => Jwk::from_ed25519(kid, k.public_key().as_ref()).unwrap(),
        }
    }

    pub fn sign(&self, alg: Algorithm, msg: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            TestKey::Rsa(k) => {
                let pad: &'static dyn signature::RsaEncoding = match alg {
                    Algorithm::Rs256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::Rs384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::Rs512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::Ps256 => &signature::RSA_PSS_SHA256,
                    Algorithm::Ps384 => &signature::RSA_PSS_SHA384,
                    Algorithm::Ps512 => &signature::RSA_PSS_SHA512,
                    other => panic!("RSA key cannot sign {other}"),
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(pad, &rng, msg, &mut sig).unwrap();
                sig
            }
            TestKey::P256(k) | TestKey::P384(k) => k.sign(&rng, msg).unwrap().as_ref().to_vec(),
            TestKey::Ed(k) => k.sign(msg).as_ref().to_vec(),
        }
    }
}

pub fn b64(b: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// Assemble and sign a token with an explicit header.
pub fn token_with_header(
    key: &TestKey,
    sign_alg: Algorithm,
    header: &Value,
    claims: &Value,
) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let sig = key.sign(sign_alg, input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// Assemble and sign a token with `{"alg", "kid", "typ": "JWT"}`.
pub fn token(key: &TestKey, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = json!({"alg": alg.name(), "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    token_with_header(key, alg, &header, claims)
}

/// Standard valid claims for an email identity at ISS.
pub fn email_claims() -> Value {
    json!({
        "iss": ISS,
        "sub": "1234567890",
        "aud": "sigstore",
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "exp": NOW + 300,
        "email": "alice@example.test",
        "email_verified": true,
    })
}

pub fn jwks_of(keys: Vec<Jwk>) -> Jwks {
    // Round-trip through JSON so parsing is exercised too.
    let text = serde_json::to_string(&Jwks { keys }).unwrap();
    Jwks::from_json(text.as_bytes()).unwrap()
}

pub fn email_verifier() -> TokenVerifier {
    let mut cfg = FulcioConfig::default();
    cfg.add_issuer(IssuerConfig::new(ISS, IssuerType::Email));
    TokenVerifier::new(cfg).unwrap()
}

/// The error for a token without `claim`.
pub fn missing_claim(claim: &str) -> signet_oidc::Error {
    signet_oidc::Error::MissingClaim {
        claim: claim.into(),
    }
}

/// An ES256 key with kid `k` and a JWKS of that key alone: what most tests sign and verify with.
pub struct Es256Key {
    pub key: TestKey,
    pub jwks: Jwks,
}

impl Es256Key {
    pub fn new() -> Self {
        let key = TestKey::for_alg(Algorithm::Es256);
        let jwks = jwks_of(vec![key.jwk(Some("k"))]);
        Es256Key { key, jwks }
    }

    /// A token with `claims`, signed by this key under kid `k`.
    pub fn token(&self, claims: &Value) -> String {
        token(&self.key, Algorithm::Es256, Some("k"), claims)
    }

    /// `v`'s verdict at NOW on a token with `claims` signed by this key.
    pub fn verify_with(
        &self,
        v: &TokenVerifier,
        claims: &Value,
    ) -> signet_oidc::Result<VerifiedToken> {
        v.verify(&self.token(claims), &self.jwks, NOW)
    }

    /// The email verifier's verdict at NOW on a token with `claims` signed by this key.
    pub fn verify(&self, claims: &Value) -> signet_oidc::Result<VerifiedToken> {
        self.verify_with(&email_verifier(), claims)
    }
}

/// Assert that `$result` is an `Err` matching `$pattern` (the value is shown when it is not).
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)?) => {
        match $result {
            Err($pattern) $(if $guard)? => {}
            other => panic!("expected Err({}), got {other:?}", stringify!($pattern)),
        }
    };
}
#[allow(unused_imports)]
pub(crate) use assert_err;
