//! Token verification the way Fulcio does it: configured issuer, signature against the issuer's
//! JWKS, audience, time window, and `email_verified` for email issuers.

use crate::config::{FulcioConfig, IssuerConfig, Mapping};
use crate::jwk::Jwks;
use crate::jws::{Algorithm, Claims, Header, UnverifiedToken};
use crate::principal::{check_email_verified, Principal};
use crate::{Error, Result};

/// The clock skew allowed on `exp`, `nbf` and `iat` by default (seconds).
pub const DEFAULT_SKEW_SECS: i64 = 60;

/// Verifies identity tokens against a [`FulcioConfig`].
///
/// The verifier does no I/O: the caller reads the token's issuer with
/// [`TokenVerifier::issuer_config_for_token`] (or [`crate::peek_issuer`]), fetches that issuer's
/// discovery document and JWKS, and passes the JWKS to [`TokenVerifier::verify`].
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    config: FulcioConfig,
    skew: i64,
}

/// A token whose signature, issuer, audience, time window and (for email issuers) email
/// verification have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    header: Header,
    alg: Algorithm,
    claims: Claims,
    issuer_config: IssuerConfig,
    key_id: String,
}

impl TokenVerifier {
    /// A verifier for `config` (validated first), allowing [`DEFAULT_SKEW_SECS`] of clock skew.
    pub fn new(config: FulcioConfig) -> Result<Self> {
        config.validate()?;
        Ok(TokenVerifier {
            config,
            skew: DEFAULT_SKEW_SECS,
        })
    }

    /// Change the allowed clock skew (seconds, clamped to be non-negative).
    pub fn with_skew(mut self, skew_secs: i64) -> Self {
        self.skew = skew_secs.max(0);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &FulcioConfig {
        &self.config
    }

    /// The resolved configuration for an issuer URL, or [`Error::UnknownIssuer`].
    pub fn issuer_config(&self, issuer: &str) -> Result<IssuerConfig> {
        self.config
            .lookup(issuer)
            .ok_or_else(|| Error::UnknownIssuer {
                issuer: issuer.to_string(),
            })
    }

    /// The resolved configuration for a token's (unverified) `iss`: which issuer's JWKS the
    /// caller must fetch. Nothing about the token is trusted yet.
    pub fn issuer_config_for_token(&self, token: &str) -> Result<IssuerConfig> {
        let iss = crate::jws::peek_issuer(token)?;
        self.issuer_config(&iss)
    }

    /// Verify `token` with the JWKS of its issuer at time `now_unix` (seconds since the epoch).
    ///
    /// Checks, in order: structure and algorithm (never `none`); `iss` is configured (exactly or
    /// by a meta-issuer pattern) with a supported type; the signature, with the key chosen by
    /// `kid` (or the only fitting key) whose type must fit `alg`; `aud` contains the client id;
    /// `exp` is present and not past (`now <= exp + skew`); `nbf` and `iat`, when present, are
    /// not in the future (`<= now + skew`); for email issuers, `email_verified` is true.
    pub fn verify(&self, token: &str, jwks: &Jwks, now_unix: i64) -> Result<VerifiedToken> {
        let t = UnverifiedToken::parse(token)?;
        let iss = t.claims.req_str("iss")?.to_string();
        let cfg = self.issuer_config(&iss)?;
        let mapping = cfg.mapping()?;

        let jwk = t.verify_signature(jwks)?;
        let key_id = jwk.kid_str().to_string();

        let auds = t.claims.audiences()?;
        if !auds.contains(&cfg.client_id) {
            return Err(Error::WrongAudience {
                expected: cfg.client_id.clone(),
                found: auds,
            });
        }

        check_time_window(&t.claims, now_unix, self.skew)?;

        if mapping == Mapping::Email {
            check_email_verified(&t.claims)?;
        }

        Ok(VerifiedToken {
            header: t.header,
            alg: t.alg,
            claims: t.claims,
            issuer_config: cfg,
            key_id,
        })
    }

    /// [`TokenVerifier::verify`] then [`VerifiedToken::principal`] with the issuer's own
    /// configuration.
    pub fn verify_principal(
        &self,
        token: &str,
        jwks: &Jwks,
        now_unix: i64,
    ) -> Result<(VerifiedToken, Principal)> {
        let v = self.verify(token, jwks, now_unix)?;
        let p = v.principal(&v.issuer_config)?;
        Ok((v, p))
    }
}

impl VerifiedToken {
    /// The JOSE header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The issuer (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer_config.issuer_url
    }

    /// The subject (`sub`), or `""` when absent.
    pub fn subject(&self) -> &str {
        self.claims.sub().ok().flatten().unwrap_or("")
    }

    /// The resolved configuration of the token's issuer (for a meta-issuer, with the concrete
    /// issuer URL).
    pub fn issuer_config(&self) -> &IssuerConfig {
        &self.issuer_config
    }

    /// The `kid` of the JWK that verified the signature (`""` when that key has none).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Map the token to the identity a Fulcio certificate holds, using `cfg` (normally
    /// [`VerifiedToken::issuer_config`]).
    pub fn principal(&self, cfg: &IssuerConfig) -> Result<Principal> {
        crate::principal::principal_from_claims(&self.claims, cfg)
    }
}

/// `exp` is present and not past (`now <= exp + skew`); `nbf` and `iat`, when present, are not
/// in the future (`<= now + skew`).
fn check_time_window(claims: &Claims, now: i64, skew: i64) -> Result<()> {
    let exp = claims.exp()?.ok_or_else(|| Error::missing("exp"))?;
    if now > exp.saturating_add(skew) {
        return Err(Error::Expired { exp, now, skew });
    }
    let latest = now.saturating_add(skew);
    if let Some(nbf) = claims.nbf()?.filter(|&nbf| nbf > latest) {
        return Err(Error::NotYetValid { nbf, now, skew });
    }
    if let Some(iat) = claims.iat()?.filter(|&iat| iat > latest) {
        return Err(Error::IssuedInFuture { iat, now, skew });
    }
    Ok(())
}
