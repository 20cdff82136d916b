//! Identity mapping: what a Fulcio certificate holds for each issuer type.

mod common;

use common::*;
use serde_json::{json, Value};
use signet_oidc::*;

const GH_ISS: &str = "https://token.actions.githubusercontent.com";

/// Claims of a GitHub Actions ID token, shaped like GitHub's documented example and the tokens
/// sigstore-python's own release workflow receives.
fn github_claims() -> Value {
    json!({
        "jti": "8d3f1bc4-7b2f-4f33-9d27-1f6c9c2d8e11",
        "sub": "repo:sigstore/sigstore-python:ref:refs/tags/v3.0.0",
        "aud": "sigstore",
        "ref": "refs/tags/v3.0.0",
        "sha": "a2fc5e56cb7d7bca55ab1a4be2be7ee1ccb3e0f2",
        "repository": "sigstore/sigstore-python",
        "repository_owner": "sigstore",
        "repository_owner_id": "71096353",
        "repository_visibility": "public",
        "repository_id": "406099283",
        "actor_id": "3059210",
        "actor": "woodruffw",
        "workflow": "Release",
        "head_ref": "",
        "base_ref": "",
        "event_name": "release",
        "ref_type": "tag",
        "ref_protected": "false",
        "environment": "release",
        "environment_node_id": "EN_kwDOGDSRU84B4xJY",
        "workflow_ref": "sigstore/sigstore-python/.github/workflows/release.yml@refs/tags/v3.0.0",
        "workflow_sha": "a2fc5e56cb7d7bca55ab1a4be2be7ee1ccb3e0f2",
        "job_workflow_ref": "sigstore/sigstore-python/.github/workflows/release.yml@refs/tags/v3.0.0",
        "job_workflow_sha": "a2fc5e56cb7d7bca55ab1a4be2be7ee1ccb3e0f2",
        "runner_environment": "github-hosted",
        "run_id": "8775236470",
        "run_number": "93",
        "run_attempt": "1",
        "iss": GH_ISS,
        "nbf": NOW - 60,
        "exp": NOW + 240,
        "iat": NOW
    })
}

fn gh_config() -> IssuerConfig {
    let mut c = IssuerConfig::new(GH_ISS, IssuerType::CiProvider);
    c.ci_provider = Some("github-workflow".into());
    c
}

fn verify_with(cfg: IssuerConfig, claims: &Value) -> Result<Principal> {
    let key = TestKey::for_alg(Algorithm::Rs256);
    let jwks = jwks_of(vec![key.jwk(Some("gh-key"))]);
    let mut fc = FulcioConfig::default();
    fc.add_issuer(cfg);
    let v = TokenVerifier::new(fc).unwrap();
    let tok = token(&key, Algorithm::Rs256, Some("gh-key"), claims);
    v.verify_principal(&tok, &jwks, NOW).map(|(_, p)| p)
}

/// `cfg`'s principal for a token with the email claims and `sub`.
/// Verifying `claims` under `cfg` fails for want of `claim`.
#[track_caller]
fn assert_missing(cfg: IssuerConfig, claims: &Value, claim: &str) {
    assert_eq!(
        verify_with(cfg, claims).unwrap_err(),
        missing_claim(claim),
        "{claim}"
    );
}

fn verify_sub(cfg: &IssuerConfig, sub: &str) -> Result<Principal> {
    let mut c = email_claims();
    c["sub"] = json!(sub);
    verify_with(cfg.clone(), &c)
}

#[test]
fn github_actions_mapping_every_extension() {
    let p = verify_with(gh_config(), &github_claims()).unwrap();
    let san = "https://github.com/sigstore/sigstore-python/.github/workflows/release.yml@refs/tags/v3.0.0";
    assert_eq!(p.san, San::Uri(san.into()));
    assert_eq!(p.issuer, GH_ISS);
    assert_eq!(
        p.challenge_name,
        "repo:sigstore/sigstore-python:ref:refs/tags/v3.0.0"
    );
    let sha = "a2fc5e56cb7d7bca55ab1a4be2be7ee1ccb3e0f2";
    let expected: Vec<(u32, &str)> = vec![
        (2, "release"),
        (3, sha),
        (4, "Release"),
        (5, "sigstore/sigstore-python"),
        (6, "refs/tags/v3.0.0"),
        (9, san),
        (10, sha),
        (11, "github-hosted"),
        (12, "https://github.com/sigstore/sigstore-python"),
        (13, sha),
        (14, "refs/tags/v3.0.0"),
        (15, "406099283"),
        (16, "https://github.com/sigstore"),
        (17, "71096353"),
        (18, "https://github.com/sigstore/sigstore-python/.github/workflows/release.yml@refs/tags/v3.0.0"),
        (19, sha),
        (20, "release"),
        (21, "https://github.com/sigstore/sigstore-python/actions/runs/8775236470/attempts/1"),
        (22, "public"),
        (23, "release"),
    ];
    let got: Vec<(u32, &str)> = p.extensions.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_eq!(got, expected);
    assert_eq!(p.extension(1), Some(GH_ISS));
    assert_eq!(p.extension(8), Some(GH_ISS));
    assert_eq!(p.extension(24), None);
    let all = p.all_extensions();
    assert_eq!(all.len(), expected.len() + 2);
    assert_eq!(all[0], (1, GH_ISS.to_string()));
    assert_eq!(all[5], (6, "refs/tags/v3.0.0".to_string()));
    assert_eq!(all[6], (8, GH_ISS.to_string()));
    assert!(Principal::is_raw_extension(6) && !Principal::is_raw_extension(8));
}

#[test]
fn github_reusable_workflow_and_no_environment() {
    // A push to main calling a reusable workflow in another repository, with no environment.
    let mut c = github_claims();
    let obj = c.as_object_mut().unwrap();
    obj.remove("environment");
    obj.insert("event_name".into(), json!("push"));
    obj.insert("ref".into(), json!("refs/heads/main"));
    obj.insert(
        "workflow_ref".into(),
        json!("octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"),
    );
    obj.insert("job_workflow_ref".into(), json!("slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0"));
    obj.insert(
        "job_workflow_sha".into(),
        json!("5a775b367a56d5bd118a224a811bba288150a563"),
    );
    obj.insert("repository".into(), json!("octo-org/octo-repo"));
    obj.insert("repository_owner".into(), json!("octo-org"));
    let p = verify_with(gh_config(), &c).unwrap();
    let signer = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0";
    assert_eq!(p.san.value(), signer);
    assert_eq!(p.extension(9), Some(signer));
    assert_eq!(
        p.extension(10),
        Some("5a775b367a56d5bd118a224a811bba288150a563")
    );
    assert_eq!(
        p.extension(18),
        Some("https://github.com/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main")
    );
    assert_eq!(
        p.extension(12),
        Some("https://github.com/octo-org/octo-repo")
    );
    assert_eq!(p.extension(16), Some("https://github.com/octo-org"));
    assert_eq!(p.extension(14), Some("refs/heads/main"));
    assert_eq!(p.extension(2), Some("push"));
    assert_eq!(p.extension(23), None);
}

#[test]
fn github_missing_claim_is_an_error() {
    for claim in [
        "job_workflow_ref",
        "repository_visibility",
        "run_attempt",
        "workflow_sha",
        "sha",
    ] {
        let mut c = github_claims();
        c.as_object_mut().unwrap().remove(claim);
        assert_missing(gh_config(), &c, claim);
    }
}

#[test]
fn github_server_url_and_template_escaping() {
    let mut c = github_claims();
    c["server_url"] = json!("https://ghe.example.test");
    let p = verify_with(gh_config(), &c).unwrap();
    assert!(p
        .san
        .value()
        .starts_with("https://ghe.example.test/sigstore/sigstore-python/"));
    assert_eq!(
        p.extension(12),
        Some("https://ghe.example.test/sigstore/sigstore-python")
    );
    assert_eq!(p.extension(16), Some("https://ghe.example.test/sigstore"));
    // Fulcio renders URL templates with Go html/template, which escapes '+' and '&'.
    let mut c = github_claims();
    c["job_workflow_ref"] = json!("o/r/.github/workflows/a.yml@refs/heads/feat+x&y");
    c["ref"] = json!("refs/heads/feat+x&y");
    let p = verify_with(gh_config(), &c).unwrap();
    assert_eq!(
        p.san.value(),
        "https://github.com/o/r/.github/workflows/a.yml@refs/heads/feat&#43;x&amp;y"
    );
    // Plain claim copies are not escaped.
    assert_eq!(p.extension(14), Some("refs/heads/feat+x&y"));
}

#[test]
fn github_workflow_type_maps_the_same() {
    // Type github-workflow (older Fulcio configs) maps the same way.
    let p = verify_with(
        IssuerConfig::new(GH_ISS, IssuerType::GithubWorkflow),
        &github_claims(),
    )
    .unwrap();
    assert_eq!(
        p.extension(21),
        Some("https://github.com/sigstore/sigstore-python/actions/runs/8775236470/attempts/1")
    );
}

fn gitlab_claims() -> Value {
    // Shaped like GitLab's documented ID token payload.
    json!({
        "namespace_id": "72",
        "namespace_path": "my-group",
        "project_id": "20",
        "project_path": "my-group/my-project",
        "user_id": "1",
        "user_login": "sample-user",
        "user_email": "sample-user@example.com",
        "user_access_level": "developer",
        "pipeline_id": "574",
        "pipeline_source": "push",
        "job_id": "302",
        "ref": "main",
        "ref_type": "branch",
        "ref_path": "refs/heads/main",
        "ref_protected": "true",
        "environment": "production",
        "environment_protected": "true",
        "deployment_tier": "production",
        "runner_id": 1,
        "runner_environment": "gitlab-hosted",
        "sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "project_visibility": "public",
        "ci_config_ref_uri": "gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
        "ci_config_sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "jti": "235b3a54-b797-45c7-ae9a-f72d7bc6ef5b",
        "iss": "https://gitlab.com",
        "iat": NOW,
        "nbf": NOW - 5,
        "exp": NOW + 3600,
        "sub": "project_path:my-group/my-project:ref_type:branch:ref:main",
        "aud": "sigstore"
    })
}

#[test]
fn gitlab_mapping_every_extension() {
    let p = verify_with(
        IssuerConfig::new("https://gitlab.com", IssuerType::GitlabPipeline),
        &gitlab_claims(),
    )
    .unwrap();
    let cfg_uri = "https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main";
    let sha = "714a629c0b401fdce83e847fc9589983fc6f46bc";
    assert_eq!(p.san, San::Uri(cfg_uri.into()));
    assert_eq!(p.issuer, "https://gitlab.com");
    assert_eq!(
        p.challenge_name,
        "project_path:my-group/my-project:ref_type:branch:ref:main"
    );
    let expected: Vec<(u32, &str)> = vec![
        (9, cfg_uri),
        (10, sha),
        (11, "gitlab-hosted"),
        (12, "https://gitlab.com/my-group/my-project"),
        (13, sha),
        (14, "refs/heads/main"),
        (15, "20"),
        (16, "https://gitlab.com/my-group"),
        (17, "72"),
        (18, cfg_uri),
        (19, sha),
        (20, "push"),
        (21, "https://gitlab.com/my-group/my-project/-/jobs/302"),
        (22, "public"),
        (23, "production"),
    ];
    let got: Vec<(u32, &str)> = p.extensions.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_eq!(got, expected);
}

#[test]
fn gitlab_tag_ref_ci_provider_and_missing_claims() {
    let mut c = gitlab_claims();
    c["ref"] = json!("v1.2.3");
    c["ref_type"] = json!("tag");
    c.as_object_mut().unwrap().remove("environment");
    let mut cfg = IssuerConfig::new("https://gitlab.com", IssuerType::CiProvider);
    cfg.ci_provider = Some("gitlab-pipeline".into());
    let p = verify_with(cfg.clone(), &c).unwrap();
    assert_eq!(p.extension(14), Some("refs/tags/v1.2.3"));
    assert_eq!(p.extension(23), None);
    for claim in [
        "ci_config_ref_uri",
        "project_path",
        "job_id",
        "ref_type",
        "namespace_id",
    ] {
        let mut c = gitlab_claims();
        c.as_object_mut().unwrap().remove(claim);
        assert_missing(cfg.clone(), &c, claim);
    }
}

#[test]
fn email_mapping_and_federated_issuer_claim() {
    let mut cfg = IssuerConfig::new(ISS, IssuerType::Email);
    let p = verify_with(cfg.clone(), &email_claims()).unwrap();
    assert_eq!(p.san, San::Email("alice@example.test".into()));
    assert_eq!(p.issuer, ISS);
    assert_eq!(p.challenge_name, "alice@example.test");
    assert!(p.extensions.is_empty());
    assert_eq!(
        p.all_extensions(),
        vec![(1, ISS.to_string()), (8, ISS.to_string())]
    );
    // Dex-style federation: the certificate names the upstream issuer.
    cfg.issuer_claim = Some("$.federated_claims.connector_id".into());
    let mut c = email_claims();
    c["federated_claims"] =
        json!({"connector_id": "https://github.com/login/oauth", "user_id": "42"});
    let p = verify_with(cfg.clone(), &c).unwrap();
    assert_eq!(p.issuer, "https://github.com/login/oauth");
    assert_missing(cfg, &email_claims(), "$.federated_claims.connector_id");
    let mut c = email_claims();
    c["email"] = json!("not an email");
    assert_err!(
        verify_with(IssuerConfig::new(ISS, IssuerType::Email), &c),
        Error::InvalidClaim { claim, .. } if claim == "email"
    );
}

#[test]
fn uri_mapping_and_subject_domain() {
    let mut cfg = IssuerConfig::new(ISS, IssuerType::Uri);
    cfg.subject_domain = Some("https://example.test".into());
    let p = verify_sub(&cfg, "https://example.test/users/alice").unwrap();
    assert_eq!(p.san, San::Uri("https://example.test/users/alice".into()));
    assert_eq!(p.challenge_name, "https://example.test/users/alice");
    let err = verify_sub(&cfg, "https://other.test/users/alice").unwrap_err();
    assert!(
        matches!(&err, Error::SubjectDomainMismatch { reason, .. } if reason.contains("host")),
        "{err}"
    );
    assert_err!(
        verify_sub(&cfg, "http://example.test/users/alice"),
        Error::SubjectDomainMismatch { .. }
    );
    assert_err!(
        verify_sub(&cfg, "alice@example.test"),
        Error::InvalidClaim { .. }
    );
}

#[test]
fn username_mapping() {
    let mut cfg = IssuerConfig::new(ISS, IssuerType::Username);
    cfg.subject_domain = Some("example.test".into());
    let p = verify_sub(&cfg, "alice").unwrap();
    assert_eq!(p.san, San::Username("alice!example.test".into()));
    assert_eq!(p.san.kind(), "username");
    assert_eq!(p.challenge_name, "alice");
    for sub in ["alice@example.test", "al!ce"] {
        assert!(
            matches!(verify_sub(&cfg, sub), Err(Error::InvalidClaim { .. })),
            "{sub}"
        );
    }
}

#[test]
fn kubernetes_mapping_requires_namespace_and_service_account() {
    let cfg = IssuerConfig::new(ISS, IssuerType::Kubernetes);
    let mut c = email_claims();
    c["sub"] = json!("system:serviceaccount:ci:signer");
    c["kubernetes.io"] = json!({"namespace": "ci", "pod": {"name": "p", "uid": "u"}, "serviceaccount": {"name": "signer", "uid": "u2"}});
    let p = verify_with(cfg.clone(), &c).unwrap();
    assert_eq!(
        p.san.value(),
        "https://kubernetes.io/namespaces/ci/serviceaccounts/signer"
    );
    c["kubernetes.io"] = json!({"namespace": "ci"});
    assert_missing(cfg, &c, "kubernetes.io.serviceaccount.name");
}

#[test]
fn challenge_claim_override() {
    let mut cfg = IssuerConfig::new(ISS, IssuerType::Kubernetes);
    cfg.challenge_claim = Some("email".into());
    let mut c = email_claims();
    c["kubernetes.io"] = json!({"namespace": "ns", "serviceaccount": {"name": "sa"}});
    let p = verify_with(cfg.clone(), &c).unwrap();
    assert_eq!(p.challenge_name, "alice@example.test");
    cfg.challenge_claim = Some("preferred_username".into());
    assert_missing(cfg, &c, "preferred_username");
}

#[test]
fn ci_provider_without_supported_provider_is_rejected() {
    let mut cfg = IssuerConfig::new(ISS, IssuerType::CiProvider);
    cfg.ci_provider = Some("buildkite-job".into());
    let err = verify_with(cfg, &email_claims()).unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedIssuerType { issuer_type, .. } if issuer_type == "ci-provider/buildkite-job"),
        "{err}"
    );
}
