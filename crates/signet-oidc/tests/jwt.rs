//! JWS/JWKS parsing, signature verification for every algorithm, and every rejection.

mod common;

use aws_lc_rs::signature::KeyPair;
use common::*;
use serde_json::json;
use signet_oidc::jwk::rsa_public_key_der;
use signet_oidc::*;

fn roundtrip(alg: Algorithm) {
    let key = TestKey::for_alg(alg);
    let jwks = jwks_of(vec![key.jwk(Some("k1"))]);
    let tok = token(&key, alg, Some("k1"), &email_claims());
    let v = email_verifier().verify(&tok, &jwks, NOW).unwrap();
    assert_eq!(v.algorithm(), alg);
    assert_eq!(v.key_id(), "k1");
    assert_eq!(v.issuer(), ISS);
    assert_eq!(v.subject(), "1234567890");
    assert_eq!(v.header().typ.as_deref(), Some("JWT"));
    assert_eq!(v.claims().email().unwrap(), Some("alice@example.test"));
    // A one-bit change of the signature fails.
    let mut parts: Vec<String> = tok.split('.').map(str::to_string).collect();
    let mut sig =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[2])
            .unwrap();
    let last = sig.len() - 1;
    sig[last] ^= 1;
    parts[2] = b64(sig);
    let err = email_verifier()
        .verify(&parts.join("."), &jwks, NOW)
        .unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{alg}: {err}");
}

/// One test per algorithm, each running `roundtrip`.
macro_rules! roundtrip_tests {
    ($($name:ident: $alg:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            roundtrip(Algorithm::$alg);
        }
    )*};
}

roundtrip_tests! {
    roundtrip_rs256: Rs256,
    roundtrip_rs384: Rs384,
    roundtrip_rs512: Rs512,
    roundtrip_ps256: Ps256,
    roundtrip_ps384: Ps384,
    roundtrip_ps512: Ps512,
    roundtrip_es256: Es256,
    roundtrip_es384: Es384,
    roundtrip_eddsa: EdDsa,
}

#[test]
fn rsa_jwk_builds_the_pkcs1_der_aws_lc_uses() {
    let kp = rsa_key();
    let pk = kp.public_key();
    let der = rsa_public_key_der(
        pk.modulus().big_endian_without_leading_zero(),
        pk.exponent().big_endian_without_leading_zero(),
    );
    assert_eq!(der, pk.as_ref());
    let jwk = TestKey::for_alg(Algorithm::Rs256).jwk(None);
    let built = jwk.public_key().unwrap();
    assert_eq!(built.kind(), KeyKind::Rsa);
    assert_eq!(built.bytes(), pk.as_ref());
}

#[test]
fn rfc7638_thumbprint_example() {
    // RFC 7638 section 3.1.
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    }))
    .unwrap();
    assert_eq!(
        jwk.thumbprint().unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    assert_eq!(jwk.public_key().unwrap().kind(), KeyKind::Rsa);
}

#[test]
fn jwks_parses_all_key_types_and_keeps_unknown_members() {
    let p256 = TestKey::for_alg(Algorithm::Es256).jwk(Some("ec"));
    let ed = TestKey::for_alg(Algorithm::EdDsa).jwk(Some("ed"));
    let rsa = TestKey::for_alg(Algorithm::Rs256).jwk(Some("rsa"));
    let doc = json!({"keys": [
        serde_json::to_value(&rsa).unwrap(),
        serde_json::to_value(&p256).unwrap(),
        serde_json::to_value(&ed).unwrap(),
        {"kty": "RSA", "kid": "x5c", "use": "sig", "n": rsa.n, "e": rsa.e, "x5c": ["MIIB"], "x5t": "abc"}
    ]});
    let jwks = Jwks::from_json(doc.to_string().as_bytes()).unwrap();
    assert_eq!(jwks.kids(), vec!["rsa", "ec", "ed", "x5c"]);
    assert_eq!(jwks.keys[1].public_key().unwrap().kind(), KeyKind::EcP256);
    assert_eq!(jwks.keys[2].public_key().unwrap().kind(), KeyKind::Ed25519);
    assert!(jwks.keys[3].other.contains_key("x5c"));
    // EC point is 04||x||y.
    let pt = jwks.keys[1].public_key().unwrap();
    assert_eq!(pt.bytes().len(), 65);
    assert_eq!(pt.bytes()[0], 4);
}

#[test]
fn invalid_jwks_entries_are_rejected_with_reasons() {
    let bad_curve: Jwk = serde_json::from_value(
        json!({"kty": "EC", "kid": "a", "crv": "P-521", "x": "AA", "y": "AA"}),
    )
    .unwrap();
    let e = bad_curve.public_key().unwrap_err().to_string();
    assert!(e.contains("P-521") && e.contains("expected"), "{e}");
    let short: Jwk =
        serde_json::from_value(json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"})).unwrap();
    assert!(short
        .public_key()
        .unwrap_err()
        .to_string()
        .contains("expected 32"));
    let small_rsa: Jwk =
        serde_json::from_value(json!({"kty": "RSA", "n": b64([0xffu8; 128]), "e": "AQAB"}))
            .unwrap();
    assert!(small_rsa
        .public_key()
        .unwrap_err()
        .to_string()
        .contains("2048"));
    let enc: Jwk = serde_json::from_value(
        json!({"kty": "OKP", "use": "enc", "crv": "Ed25519", "x": b64([1u8; 32])}),
    )
    .unwrap();
    assert!(enc.public_key().unwrap_err().to_string().contains("use"));
    assert!(Jwks::from_json(b"{\"keys\": 5}").is_err());
}

#[test]
fn rejects_expired_but_allows_skew() {
    let k = Es256Key::new();
    let mut c = email_claims();
    c["exp"] = json!(NOW - 30);
    k.verify(&c).unwrap();
    c["exp"] = json!(NOW - 61);
    let err = k.verify(&c).unwrap_err();
    assert_eq!(
        err,
        Error::Expired {
            exp: NOW - 61,
            now: NOW,
            skew: 60
        }
    );
    // A stricter verifier without skew rejects the first one too.
    c["exp"] = json!(NOW - 1);
    assert_err!(
        k.verify_with(&email_verifier().with_skew(0), &c),
        Error::Expired { .. }
    );
}

#[test]
fn rejects_missing_exp() {
    let k = Es256Key::new();
    let mut c = email_claims();
    c.as_object_mut().unwrap().remove("exp");
    assert_eq!(k.verify(&c).unwrap_err(), missing_claim("exp"));
}

#[test]
fn rejects_not_yet_valid_and_issued_in_future() {
    let k = Es256Key::new();
    let mut c = email_claims();
    c["nbf"] = json!(NOW + 61);
    assert_eq!(
        k.verify(&c).unwrap_err(),
        Error::NotYetValid {
            nbf: NOW + 61,
            now: NOW,
            skew: 60
        }
    );
    c["nbf"] = json!(NOW + 59);
    k.verify(&c).unwrap();
    let mut c = email_claims();
    c["iat"] = json!(NOW + 3600);
    assert_err!(
        k.verify(&c),
        Error::IssuedInFuture { iat, .. } if iat == NOW + 3600
    );
}

#[test]
fn rejects_wrong_audience_accepts_audience_list() {
    let k = Es256Key::new();
    let mut c = email_claims();
    c["aud"] = json!("other-client");
    let err = k.verify(&c).unwrap_err();
    assert_eq!(
        err,
        Error::WrongAudience {
            expected: "sigstore".into(),
            found: vec!["other-client".into()]
        }
    );
    assert!(err.to_string().contains("\"sigstore\""));
    c["aud"] = json!(["other-client", "sigstore"]);
    k.verify(&c).unwrap();
    c.as_object_mut().unwrap().remove("aud");
    assert_err!(
        k.verify(&c),
        Error::WrongAudience { found, .. } if found.is_empty()
    );
}

#[test]
fn custom_client_id() {
    let k = Es256Key::new();
    let mut cfg = FulcioConfig::default();
    let mut ic = IssuerConfig::new(ISS, IssuerType::Email);
    ic.client_id = "my-fulcio".into();
    cfg.add_issuer(ic);
    let v = TokenVerifier::new(cfg).unwrap();
    let mut c = email_claims();
    c["aud"] = json!("my-fulcio");
    k.verify_with(&v, &c).unwrap();
    c["aud"] = json!("sigstore");
    assert_err!(k.verify_with(&v, &c), Error::WrongAudience { .. });
}

#[test]
fn rejects_unknown_issuer() {
    let k = Es256Key::new();
    let mut c = email_claims();
    c["iss"] = json!("https://evil.example.test");
    assert_eq!(
        k.verify(&c).unwrap_err(),
        Error::UnknownIssuer {
            issuer: "https://evil.example.test".into()
        }
    );
    // Prefix / trailing-slash variants are different issuers.
    c["iss"] = json!(format!("{ISS}/"));
    assert_err!(k.verify(&c), Error::UnknownIssuer { .. });
}

#[test]
fn rejects_wrong_kid_and_selects_by_kid() {
    let k1 = TestKey::for_alg(Algorithm::Es256);
    let k2 = TestKey::for_alg(Algorithm::Es256);
    let jwks = jwks_of(vec![k1.jwk(Some("one")), k2.jwk(Some("two"))]);
    let tok = token(&k2, Algorithm::Es256, Some("two"), &email_claims());
    assert_eq!(
        email_verifier().verify(&tok, &jwks, NOW).unwrap().key_id(),
        "two"
    );
    let tok = token(&k2, Algorithm::Es256, Some("three"), &email_claims());
    assert_eq!(
        email_verifier().verify(&tok, &jwks, NOW).unwrap_err(),
        Error::UnknownKid {
            kid: "three".into(),
            available: vec!["one".into(), "two".into()]
        }
    );
    // Signed by k2 but labelled with k1's kid.
    let tok = token(&k2, Algorithm::Es256, Some("one"), &email_claims());
    assert_err!(
        email_verifier().verify(&tok, &jwks, NOW),
        Error::BadSignature { kid, .. } if kid == "one"
    );
}

#[test]
fn no_kid_uses_the_only_fitting_key() {
    let k1 = TestKey::for_alg(Algorithm::Es256);
    let ed = TestKey::for_alg(Algorithm::EdDsa);
    let tok = token(&k1, Algorithm::Es256, None, &email_claims());
    // Single key.
    email_verifier()
        .verify(&tok, &jwks_of(vec![k1.jwk(None)]), NOW)
        .unwrap();
    // One EC key and one Ed25519 key: only the EC key fits ES256.
    email_verifier()
        .verify(
            &tok,
            &jwks_of(vec![ed.jwk(Some("ed")), k1.jwk(Some("ec"))]),
            NOW,
        )
        .unwrap();
    // Two EC keys: ambiguous.
    let k2 = TestKey::for_alg(Algorithm::Es256);
    assert_eq!(
        email_verifier()
            .verify(
                &tok,
                &jwks_of(vec![k1.jwk(Some("a")), k2.jwk(Some("b"))]),
                NOW
            )
            .unwrap_err(),
        Error::AmbiguousKey {
            alg: "ES256".into(),
            count: 2
        }
    );
    // Empty JWKS.
    assert_err!(
        email_verifier().verify(&tok, &Jwks::default(), NOW),
        Error::NoMatchingKey { count: 0, .. }
    );
}

#[test]
fn rejects_tampered_payload() {
    let key = TestKey::for_alg(Algorithm::Rs256);
    let jwks = jwks_of(vec![key.jwk(Some("k"))]);
    let tok = token(&key, Algorithm::Rs256, Some("k"), &email_claims());
    let parts: Vec<&str> = tok.split('.').collect();
    let mut c = email_claims();
    c["email"] = json!("mallory@example.test");
    let forged = format!("{}.{}.{}", parts[0], b64(c.to_string()), parts[2]);
    assert_eq!(
        email_verifier().verify(&forged, &jwks, NOW).unwrap_err(),
        Error::BadSignature {
            alg: "RS256".into(),
            kid: "k".into()
        }
    );
}

#[test]
fn rejects_alg_none() {
    let header = json!({"alg": "none", "typ": "JWT"});
    let tok = format!(
        "{}.{}.",
        b64(header.to_string()),
        b64(email_claims().to_string())
    );
    let err = email_verifier()
        .verify(
            &tok,
            &jwks_of(vec![TestKey::for_alg(Algorithm::Es256).jwk(None)]),
            NOW,
        )
        .unwrap_err();
    assert!(matches!(err, Error::AlgNone { .. }), "{err}");
    let with_alg = |alg: &str| {
        let header = json!({ "alg": alg });
        format!(
            "{}.{}.{}",
            b64(header.to_string()),
            b64(email_claims().to_string()),
            b64("x")
        )
    };
    assert_err!(
        UnverifiedToken::parse(&with_alg("None")),
        Error::AlgNone { .. }
    );
    assert_err!(
        UnverifiedToken::parse(&with_alg("HS256")),
        Error::UnsupportedAlgorithm { alg, .. } if alg == "HS256"
    );
}

#[test]
fn rejects_alg_that_does_not_fit_the_key() {
    // An RSA JWK and a token claiming ES256 with that kid.
    let rsa = TestKey::for_alg(Algorithm::Rs256);
    let ec = TestKey::for_alg(Algorithm::Es256);
    let jwks = jwks_of(vec![rsa.jwk(Some("rsa"))]);
    let tok = token(&ec, Algorithm::Es256, Some("rsa"), &email_claims());
    let err = email_verifier().verify(&tok, &jwks, NOW).unwrap_err();
    assert!(
        matches!(&err, Error::KeyAlgMismatch { kid, alg, .. } if kid == "rsa" && alg == "ES256"),
        "{err}"
    );
    // ES384 token against a P-256 key.
    let p384 = TestKey::for_alg(Algorithm::Es384);
    let jwks = jwks_of(vec![ec.jwk(Some("p256"))]);
    let tok = token(&p384, Algorithm::Es384, Some("p256"), &email_claims());
    assert_err!(
        email_verifier().verify(&tok, &jwks, NOW),
        Error::KeyAlgMismatch { .. }
    );
    // JWK restricted to RS256, token says PS256.
    let mut jwk = rsa.jwk(Some("rs"));
    jwk.alg = Some("RS256".into());
    let tok = token(&rsa, Algorithm::Ps256, Some("rs"), &email_claims());
    let err = email_verifier()
        .verify(&tok, &jwks_of(vec![jwk]), NOW)
        .unwrap_err();
    assert!(err.to_string().contains("restricted to alg RS256"), "{err}");
    // An EdDSA signature presented as RS256 (header lies about alg).
    let ed = TestKey::for_alg(Algorithm::EdDsa);
    let header = json!({"alg": "RS256", "kid": "ed"});
    let tok = token_with_header(&ed, Algorithm::EdDsa, &header, &email_claims());
    assert_err!(
        email_verifier().verify(&tok, &jwks_of(vec![ed.jwk(Some("ed"))]), NOW),
        Error::KeyAlgMismatch { .. }
    );
}

#[test]
fn rejects_email_not_verified() {
    let k = Es256Key::new();
    let mut c = email_claims();
    c["email_verified"] = json!(false);
    assert_eq!(
        k.verify(&c).unwrap_err(),
        Error::EmailNotVerified {
            email: "alice@example.test".into(),
            found: "false".into()
        }
    );
    c.as_object_mut().unwrap().remove("email_verified");
    assert_err!(
        k.verify(&c),
        Error::EmailNotVerified { found, .. } if found == "absent"
    );
    // The string "true" is accepted.
    c["email_verified"] = json!("true");
    k.verify(&c).unwrap();
    // A missing email is a missing claim.
    c.as_object_mut().unwrap().remove("email");
    assert_eq!(k.verify(&c).unwrap_err(), missing_claim("email"));
}

#[test]
fn meta_issuer_patterns() {
    let eks = "https://oidc.eks.*.amazonaws.com/id/*";
    assert!(meta_issuer_matches(
        eks,
        "https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB"
    ));
    assert!(!meta_issuer_matches(
        eks,
        "https://oidc.eks.us-west-2.amazonaws.com/id/"
    ));
    assert!(!meta_issuer_matches(
        eks,
        "https://oidc.eks.evil.com/x.amazonaws.com/id/ABC"
    ));
    assert!(!meta_issuer_matches(
        eks,
        "https://oidc.eks.a.b.amazonaws.com/id/ABC"
    ));
    assert!(!meta_issuer_matches(
        eks,
        "https://oidc.eks.us-west-2.amazonaws.com/id/ABC/extra"
    ));
    assert!(!meta_issuer_matches(
        eks,
        "https://evil.test/?https://oidc.eks.us-west-2.amazonaws.com/id/ABC"
    ));
    let gke = "https://container.googleapis.com/v1/projects/*/locations/*/clusters/*";
    assert!(meta_issuer_matches(gke, "https://container.googleapis.com/v1/projects/mattmoor-credit/locations/us-west1-b/clusters/tenant-cluster"));
    let gh = "https://token.actions.githubusercontent.com/*";
    assert!(meta_issuer_matches(
        gh,
        "https://token.actions.githubusercontent.com/my-enterprise"
    ));
    assert!(!meta_issuer_matches(
        gh,
        "https://token.actions.githubusercontent.com"
    ));
    // Literal text around a star that the star's class could also eat.
    assert!(meta_issuer_matches(
        "https://a-*-b.test",
        "https://a-x-y-b.test"
    ));
}

#[test]
fn meta_issuer_verification_match_and_non_match() {
    let k = Es256Key::new();
    let cfg = FulcioConfig::from_json(
        json!({"MetaIssuers": {"https://oidc.eks.*.amazonaws.com/id/*": {"ClientID": "sigstore", "Type": "kubernetes"}}})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let v = TokenVerifier::new(cfg).unwrap();
    let iss = "https://oidc.eks.eu-central-1.amazonaws.com/id/0123ABCD";
    let claims = json!({
        "iss": iss, "sub": "system:serviceaccount:default:builder", "aud": ["sigstore"],
        "exp": NOW + 600, "iat": NOW, "nbf": NOW,
        "kubernetes.io": {"namespace": "default", "serviceaccount": {"name": "builder", "uid": "f5720c1d"}}
    });
    let ok = k.verify_with(&v, &claims).unwrap();
    assert_eq!(ok.issuer_config().issuer_url, iss);
    let p = ok.principal(ok.issuer_config()).unwrap();
    assert_eq!(
        p.san,
        San::Uri("https://kubernetes.io/namespaces/default/serviceaccounts/builder".into())
    );
    assert_eq!(p.issuer, iss);
    assert_eq!(p.challenge_name, "system:serviceaccount:default:builder");
    assert!(p.extensions.is_empty());
    let mut bad = claims.clone();
    bad["iss"] = json!("https://oidc.eks.eu-central-1.amazonaws.com.evil.test/id/0123ABCD");
    assert_err!(k.verify_with(&v, &bad), Error::UnknownIssuer { .. });
}

#[test]
fn malformed_tokens() {
    for t in ["", "abc", "a.b", "a.b.c.d"] {
        assert!(
            matches!(
                UnverifiedToken::parse(t),
                Err(Error::MalformedToken { .. } | Error::Base64 { .. } | Error::Json { .. })
            ),
            "{t:?}"
        );
    }
    let h = b64(json!({"alg": "ES256"}).to_string());
    assert_err!(
        UnverifiedToken::parse(&format!("{h}.{}.", b64("[1]"))),
        Error::Json { .. }
    );
    assert_err!(
        UnverifiedToken::parse(&format!("{h}.{}.", b64("{}"))),
        Error::MalformedToken { .. }
    );
    assert_err!(
        UnverifiedToken::parse(&format!("{h}.{}.a+b=", b64("{}"))),
        Error::Base64 { .. }
    );
    let crit = b64(json!({"alg": "ES256", "crit": ["b64"], "b64": false}).to_string());
    assert_err!(
        UnverifiedToken::parse(&format!("{crit}.{}.{}", b64("{}"), b64("x"))),
        Error::UnsupportedCritical { .. }
    );
    let huge = "a".repeat(70_000);
    assert_err!(UnverifiedToken::parse(&huge), Error::TooLarge { .. });
}

#[test]
fn peek_issuer_before_fetching_jwks() {
    let key = TestKey::for_alg(Algorithm::Es256);
    let tok = token(&key, Algorithm::Es256, Some("k"), &email_claims());
    assert_eq!(peek_issuer(&tok).unwrap(), ISS);
    let cfg = email_verifier().issuer_config_for_token(&tok).unwrap();
    assert_eq!(cfg.issuer_type, IssuerType::Email);
}

#[test]
fn unsupported_issuer_types_are_rejected_clearly() {
    let k = Es256Key::new();
    let cfg = FulcioConfig::from_json(
        json!({"OIDCIssuers": {ISS: {"IssuerURL": ISS, "ClientID": "sigstore", "Type": "buildkite-job"}}})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let v = TokenVerifier::new(cfg).unwrap();
    let err = k.verify_with(&v, &email_claims()).unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedIssuerType { issuer_type, .. } if issuer_type == "buildkite-job")
    );
    assert!(err.to_string().contains("supported: email, uri"), "{err}");
}

#[test]
fn fulcio_config_json_and_yaml_style_names() {
    // Fulcio's JSON config form, including ci-provider entries as in the public-good config.
    let cfg = FulcioConfig::from_json(
        json!({
            "OIDCIssuers": {
                "https://accounts.google.com": {"IssuerURL": "https://accounts.google.com", "ClientID": "sigstore", "Type": "email"},
                "https://oauth2.sigstore.dev/auth": {"IssuerURL": "https://oauth2.sigstore.dev/auth", "ClientID": "sigstore", "Type": "email", "IssuerClaim": "$.federated_claims.connector_id"},
                "https://token.actions.githubusercontent.com": {"IssuerURL": "https://token.actions.githubusercontent.com", "ClientID": "sigstore", "Type": "ci-provider", "CIProvider": "github-workflow"},
                "https://gitlab.com": {"IssuerURL": "https://gitlab.com", "ClientID": "sigstore", "Type": "gitlab-pipeline"},
                "https://accounts.example.com": {"IssuerURL": "https://accounts.example.com", "Type": "uri", "SubjectDomain": "https://example.com"},
                "https://id.example.com": {"issuer-url": "https://id.example.com", "type": "username", "subject-domain": "example.com"}
            },
            "MetaIssuers": {
                "https://token.actions.githubusercontent.com/*": {"ClientID": "sigstore", "Type": "ci-provider", "CIProvider": "github-workflow"}
            }
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    let gh = cfg
        .lookup("https://token.actions.githubusercontent.com")
        .unwrap();
    assert_eq!(gh.mapping().unwrap(), Mapping::GithubWorkflow);
    assert_eq!(gh.challenge_claim_name(), "sub");
    let ent = cfg
        .lookup("https://token.actions.githubusercontent.com/acme")
        .unwrap();
    assert_eq!(
        ent.issuer_url,
        "https://token.actions.githubusercontent.com/acme"
    );
    assert_eq!(ent.mapping().unwrap(), Mapping::GithubWorkflow);
    assert_eq!(
        cfg.lookup("https://id.example.com").unwrap().client_id,
        "sigstore"
    );
    assert_eq!(
        cfg.lookup("https://accounts.google.com")
            .unwrap()
            .challenge_claim_name(),
        "email"
    );
    assert!(cfg.lookup("https://accounts.google.com.evil").is_none());
    // Round trip through our serialization.
    let again = FulcioConfig::from_json(serde_json::to_string(&cfg).unwrap().as_bytes()).unwrap();
    assert_eq!(again, cfg);

    // Validation failures say what is wrong.
    for (config, want) in [
        (
            json!({"OIDCIssuers": {"https://a.test": {"Type": "uri"}}}),
            "SubjectDomain",
        ),
        (
            json!({"OIDCIssuers": {"https://a.test": {"Type": "username", "SubjectDomain": "https://a.test"}}}),
            "without a scheme",
        ),
        (
            json!({"OIDCIssuers": {"https://a.test": {"Type": "uri", "SubjectDomain": "https://a.test", "IssuerClaim": "$.x"}}}),
            "only allowed for email",
        ),
        (
            json!({"MetaIssuers": {"https://a.test": {"Type": "email"}}}),
            "'*'",
        ),
    ] {
        let bad = FulcioConfig::from_json(config.to_string().as_bytes()).unwrap_err();
        assert!(bad.to_string().contains(want), "{bad}");
    }
}

#[test]
fn discovery_documents() {
    let doc = json!({
        "issuer": "https://token.actions.githubusercontent.com",
        "jwks_uri": "https://token.actions.githubusercontent.com/.well-known/jwks",
        "subject_types_supported": ["public", "pairwise"],
        "response_types_supported": ["id_token"],
        "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid"]
    });
    let d = DiscoveryDocument::from_json_for_issuer(
        doc.to_string().as_bytes(),
        "https://token.actions.githubusercontent.com",
    )
    .unwrap();
    assert_eq!(
        d.jwks_uri,
        "https://token.actions.githubusercontent.com/.well-known/jwks"
    );
    assert_eq!(d.id_token_signing_alg_values_supported, vec!["RS256"]);
    assert!(d.authorization_endpoint.is_none());
    assert!(d.other.contains_key("claims_supported"));
    let err =
        DiscoveryDocument::from_json_for_issuer(doc.to_string().as_bytes(), "https://evil.test")
            .unwrap_err();
    assert_eq!(
        err,
        Error::DiscoveryIssuerMismatch {
            expected: "https://evil.test".into(),
            found: "https://token.actions.githubusercontent.com".into()
        }
    );
    assert!(DiscoveryDocument::from_json(br#"{"issuer": "https://a.test"}"#).is_err());
    assert_eq!(
        discovery_url("https://accounts.google.com/"),
        "https://accounts.google.com/.well-known/openid-configuration"
    );
}
