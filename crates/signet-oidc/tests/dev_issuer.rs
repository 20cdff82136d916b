//! The development issuer: documents, minting, and verification through TokenVerifier.

mod common;

use common::assert_err;

use serde_json::json;
use signet_oidc::*;

const DEV: &str = "http://127.0.0.1:8080/oidc";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn verifier_for(issuer: &DevIssuer, t: IssuerType) -> TokenVerifier {
    let mut cfg = FulcioConfig::default();
    cfg.add_issuer(IssuerConfig::new(issuer.issuer(), t));
    TokenVerifier::new(cfg).unwrap()
}

fn served_jwks(issuer: &DevIssuer) -> Jwks {
    // As a client would see it: the JSON text of jwks().
    Jwks::from_json(issuer.jwks().to_string().as_bytes()).unwrap()
}

#[test]
fn es256_token_verifies_with_its_own_jwks() {
    let issuer = DevIssuer::generate(DEV).unwrap();
    assert_eq!(issuer.algorithm(), Algorithm::Es256);
    let tok = issuer
        .mint(&TokenRequest::email("dev@example.test"))
        .unwrap();
    let v = verifier_for(&issuer, IssuerType::Email);
    let (vt, p) = v
        .verify_principal(&tok, &served_jwks(&issuer), now())
        .unwrap();
    assert_eq!(vt.header().kid.as_deref(), Some(issuer.kid()));
    assert_eq!(vt.header().alg, "ES256");
    assert_eq!(vt.key_id(), issuer.kid());
    assert_eq!(p.san, San::Email("dev@example.test".into()));
    assert_eq!(p.issuer, DEV);
    let c = vt.claims();
    let iat = c.iat().unwrap().unwrap();
    assert_eq!(c.nbf().unwrap(), Some(iat));
    assert_eq!(c.exp().unwrap(), Some(iat + 600));
    assert_eq!(c.audiences().unwrap(), vec!["sigstore"]);
}

#[test]
fn ed25519_issuer_and_pkcs8_persistence() {
    let issuer = DevIssuer::new(DEV, DevKeyAlg::Ed25519).unwrap();
    assert_eq!(issuer.algorithm(), Algorithm::EdDsa);
    let pkcs8 = issuer.private_key_pkcs8().unwrap();
    let again = DevIssuer::from_pkcs8(DEV, &pkcs8).unwrap();
    assert_eq!(again.kid(), issuer.kid());
    assert_eq!(again.algorithm(), Algorithm::EdDsa);
    // A token from the reloaded issuer verifies with the original's JWKS.
    let mut req = TokenRequest::new("robot-7");
    req.audience = vec!["sigstore".into(), "other".into()];
    let tok = again.mint(&req).unwrap();
    let mut cfg = IssuerConfig::new(DEV, IssuerType::Username);
    cfg.subject_domain = Some("example.test".into());
    let mut fc = FulcioConfig::default();
    fc.add_issuer(cfg);
    let (_, p) = TokenVerifier::new(fc)
        .unwrap()
        .verify_principal(&tok, &served_jwks(&issuer), now())
        .unwrap();
    assert_eq!(p.san, San::Username("robot-7!example.test".into()));

    let es = DevIssuer::generate(DEV).unwrap();
    let es_again = DevIssuer::from_pkcs8(DEV, &es.private_key_pkcs8().unwrap()).unwrap();
    assert_eq!(es_again.kid(), es.kid());
    assert_eq!(es_again.algorithm(), Algorithm::Es256);
    assert_err!(DevIssuer::from_pkcs8(DEV, b"junk"), Error::Crypto { .. });
}

#[test]
fn discovery_document_and_jwks_shape() {
    let issuer = DevIssuer::generate(format!("{DEV}/")).unwrap();
    assert_eq!(issuer.issuer(), DEV);
    let doc = issuer.discovery_document();
    let d = DiscoveryDocument::from_json_for_issuer(doc.to_string().as_bytes(), DEV).unwrap();
    assert_eq!(d.jwks_uri, format!("{DEV}/jwks"));
    assert_eq!(
        d.authorization_endpoint.as_deref(),
        Some(&*format!("{DEV}/authorize"))
    );
    assert_eq!(d.token_endpoint.as_deref(), Some(&*format!("{DEV}/token")));
    assert_eq!(
        d.device_authorization_endpoint.as_deref(),
        Some(&*format!("{DEV}/device/code"))
    );
    assert_eq!(d.id_token_signing_alg_values_supported, vec!["ES256"]);
    assert_eq!(d.code_challenge_methods_supported, vec!["S256"]);
    for g in [
        "authorization_code",
        "urn:ietf:params:oauth:grant-type:device_code",
        "client_credentials",
    ] {
        assert!(d.grant_types_supported.iter().any(|x| x == g), "{g}");
    }
    assert!(d.response_types_supported.iter().any(|x| x == "code"));
    assert_eq!(d.subject_types_supported, vec!["public"]);
    let jwks = issuer.jwks();
    let k = &jwks["keys"][0];
    assert_eq!(k["kty"], "EC");
    assert_eq!(k["crv"], "P-256");
    assert_eq!(k["alg"], "ES256");
    assert_eq!(k["use"], "sig");
    assert_eq!(k["kid"], issuer.kid());
    assert_eq!(issuer.jwk().thumbprint().unwrap(), issuer.kid());
}

#[test]
fn minted_tokens_are_rejected_when_expired_or_wrong_audience() {
    let issuer = DevIssuer::generate(DEV).unwrap();
    let v = verifier_for(&issuer, IssuerType::Email);
    let jwks = served_jwks(&issuer);
    let mut req = TokenRequest::email("dev@example.test");
    req.issued_at = Some(now() - 3600);
    req.lifetime = 60;
    let tok = issuer.mint(&req).unwrap();
    assert_err!(v.verify(&tok, &jwks, now()), Error::Expired { .. });
    let mut req = TokenRequest::email("dev@example.test");
    req.audience = vec!["not-sigstore".into()];
    assert_err!(
        v.verify(&issuer.mint(&req).unwrap(), &jwks, now()),
        Error::WrongAudience { .. }
    );
    let mut req = TokenRequest::email("dev@example.test");
    req.email_verified = Some(false);
    assert_err!(
        v.verify(&issuer.mint(&req).unwrap(), &jwks, now()),
        Error::EmailNotVerified { .. }
    );
    // Another dev issuer's key does not verify this one's tokens.
    let other = DevIssuer::generate(DEV).unwrap();
    let tok = other
        .mint(&TokenRequest::email("dev@example.test"))
        .unwrap();
    assert_err!(v.verify(&tok, &jwks, now()), Error::UnknownKid { .. });
}

#[test]
fn dev_issuer_can_impersonate_github_actions_for_tests() {
    let issuer = DevIssuer::generate(DEV).unwrap();
    let mut cfg = IssuerConfig::new(DEV, IssuerType::CiProvider);
    cfg.ci_provider = Some("github-workflow".into());
    let mut fc = FulcioConfig::default();
    fc.add_issuer(cfg);
    let mut req = TokenRequest::new("repo:octo-org/octo-repo:ref:refs/heads/main");
    for (k, v) in [
        (
            "job_workflow_ref",
            "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
        ),
        (
            "job_workflow_sha",
            "1111111111111111111111111111111111111111",
        ),
        (
            "workflow_ref",
            "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
        ),
        ("workflow_sha", "1111111111111111111111111111111111111111"),
        ("sha", "2222222222222222222222222222222222222222"),
        ("ref", "refs/heads/main"),
        ("event_name", "push"),
        ("workflow", "CI"),
        ("repository", "octo-org/octo-repo"),
        ("repository_id", "74"),
        ("repository_owner", "octo-org"),
        ("repository_owner_id", "65"),
        ("repository_visibility", "private"),
        ("runner_environment", "self-hosted"),
        ("run_id", "99"),
        ("run_attempt", "3"),
    ] {
        req.extra_claims.insert(k.into(), json!(v));
    }
    let tok = issuer.mint(&req).unwrap();
    let (_, p) = TokenVerifier::new(fc)
        .unwrap()
        .verify_principal(&tok, &served_jwks(&issuer), now())
        .unwrap();
    assert_eq!(
        p.san.value(),
        "https://github.com/octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main"
    );
    assert_eq!(
        p.extension(21),
        Some("https://github.com/octo-org/octo-repo/actions/runs/99/attempts/3")
    );
    assert_eq!(p.extension(11), Some("self-hosted"));
    assert_eq!(p.issuer, DEV);
}

#[test]
fn pkce() {
    // RFC 7636 appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    assert_eq!(pkce_challenge_s256(verifier), challenge);
    assert!(verify_pkce_s256(verifier, challenge));
    assert!(!verify_pkce_s256(
        verifier,
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
    ));
    assert!(!verify_pkce_s256("short", &pkce_challenge_s256("short")));
    let bad = "a".repeat(42) + "!";
    assert!(!verify_pkce_s256(&bad, &pkce_challenge_s256(&bad)));
    let pair = make_pkce_pair().unwrap();
    assert_eq!(pair.verifier.len(), 43);
    assert!(verify_pkce_s256(&pair.verifier, &pair.challenge));
    assert_ne!(make_pkce_pair().unwrap().verifier, pair.verifier);
}
