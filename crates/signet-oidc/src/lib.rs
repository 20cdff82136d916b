//! OIDC identity tokens for Signet's Fulcio-compatible CA, and a development OIDC issuer.
//!
//! The token side of a Sigstore certificate authority:
//!
//! - [`jws`]: JWS compact / JWT parsing and signature verification with RS256/384/512,
//!   PS256/384/512, ES256, ES384 and EdDSA (Ed25519); `none` is always rejected.
//! - [`jwk`]: JWKS parsing (RFC 7517; RSA, EC P-256/P-384, OKP Ed25519), key selection by
//!   `kid`, RFC 7638 thumbprints.
//! - [`discovery`]: OpenID discovery documents.
//! - [`config`]: Fulcio's issuer configuration (`OIDCIssuers`, `MetaIssuers` with `*`
//!   wildcards, issuer types, client id, subject domain, challenge claim).
//! - [`verifier`]: [`TokenVerifier`]: issuer, signature, audience, time window (60 s skew),
//!   `email_verified`.
//! - [`principal`]: the certificate identity ([`Principal`]: SAN, OIDC issuer, Fulcio
//!   extensions `1.3.6.1.4.1.57264.1.N`, proof-of-possession name) for email, uri, username,
//!   kubernetes, GitHub Actions and GitLab CI issuers, as Fulcio maps them.
//! - [`dev`]: [`DevIssuer`], a development issuer (ES256 by default) that builds its discovery
//!   document and JWKS and mints tokens; PKCE S256 helpers.
//!
//! The crate does no I/O: the caller fetches discovery documents and JWKS and passes them in.
//!
//! ```
//! use signet_oidc::{DevIssuer, FulcioConfig, IssuerConfig, IssuerType, Jwks, TokenRequest,
//!                   TokenVerifier, San};
//!
//! let issuer = DevIssuer::generate("https://oidc.example.test").unwrap();
//! let mut config = FulcioConfig::default();
//! config.add_issuer(IssuerConfig::new(issuer.issuer(), IssuerType::Email));
//! let verifier = TokenVerifier::new(config).unwrap();
//!
//! let token = issuer.mint(&TokenRequest::email("alice@example.test")).unwrap();
//! let jwks = Jwks::from_json(issuer.jwks().to_string().as_bytes()).unwrap();
//! let now = std::time::SystemTime::now()
//!     .duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
//! let (_verified, principal) = verifier.verify_principal(&token, &jwks, now).unwrap();
//! assert_eq!(principal.san, San::Email("alice@example.test".into()));
//! assert_eq!(principal.challenge_name, "alice@example.test");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alg;
pub mod b64;
pub mod config;
pub mod dev;
pub mod discovery;
pub mod error;
pub mod jwk;
pub mod jws;
pub mod principal;
pub mod verifier;

pub use config::{meta_issuer_matches, FulcioConfig, IssuerConfig, IssuerType, Mapping};
pub use dev::{
    make_pkce_pair, pkce_challenge_s256, verify_pkce_s256, DevIssuer, DevKeyAlg, PkcePair,
    TokenRequest,
};
pub use discovery::{discovery_url, DiscoveryDocument};
pub use error::{Error, Result};
pub use jwk::{Jwk, JwkPublicKey, Jwks, KeyKind};
pub use jws::{peek_claims, peek_issuer, Algorithm, Claims, Header, UnverifiedToken};
pub use principal::{Principal, San};
pub use verifier::{TokenVerifier, VerifiedToken, DEFAULT_SKEW_SECS};
