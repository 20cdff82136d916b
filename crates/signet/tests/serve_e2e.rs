//! End-to-end: `signet serve` on loopback, `signet sign`/`attest` against it, verification, and
//! the CA's rejections.

mod common;
use common::{text, Cli, Instance};

fn sign_and_verify(inst: &Instance, rekor: &str, attest: bool) {
    let case = format!("rekor v{rekor} attest={attest}");
    let (work, f) = common::work_file("README.md", format!("artifact for {case}\n"));
    let pred = work.path().join("p.json");
    std::fs::write(&pred, r#"{"built":"yes"}"#).unwrap();
    let mut args = vec![];
    if attest {
        args.extend([
            "attest",
            "--predicate-type",
            "https://example.com/p/v1",
            "--predicate",
            pred.to_str().unwrap(),
        ]);
    }
    args.extend(["--rekor-version", rekor]);
    inst.sign_as("alice@example.com", &f, &args)
        .case(format!("sign {case}"))
        .ok();
    let issuer = inst.issuer();
    let o = inst
        .verify_as("alice@example.com", &f, &[])
        .case(format!("verify {case}"))
        .ok();
    assert_eq!(text(&o).1.trim(), format!("OK: {}", f.display()));
    // Another identity fails, naming both.
    let o = inst
        .signet()
        .verify_identity("mallory@example.com", &issuer)
        .arg(&f)
        .case(&case)
        .fails(1);
    let (_, err) = text(&o);
    assert!(
        err.contains("alice@example.com") && err.contains("mallory@example.com"),
        "{case}: {err}"
    );
    // The public-good root does not trust this instance.
    Cli::signet()
        .verify_identity("alice@example.com", &issuer)
        .arg(&f)
        .case(&case)
        .fails(1);
}

/// Sign `f` again as alice, now holding `contents`, logged to Rekor `version`, replacing its
/// bundle.
fn sign_again(inst: &Instance, f: &std::path::Path, contents: &[u8], version: &str) {
    let token = inst.token("alice@example.com");
    std::fs::write(f, contents).unwrap();
    inst.sign_with(&token, f, &["--overwrite", "--rekor-version", version])
        .ok();
}

/// `consistency` (a `rekor consistency --state` command) reports the log grew by one entry from
/// size `from`.
fn assert_grew_consistently(consistency: &dyn Fn() -> Cli, from: u64) {
    let o = consistency().ok();
    let want = format!("consistent from size {from} to {}", from + 1);
    assert!(text(&o).1.contains(&want), "{:?}", text(&o));
}

#[test]
fn sign_and_attest_with_rekor_v1_and_v2() {
    let inst = Instance::start();
    for rekor in ["1", "2"] {
        for attest in [false, true] {
            sign_and_verify(&inst, rekor, attest);
        }
    }
}

fn post(url: &str, body: &str, bearer: Option<&str>) -> (u16, String) {
    let c = reqwest::blocking::Client::new();
    let mut r = c
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(b) = bearer {
        r = r.bearer_auth(b);
    }
    let resp = r.send().unwrap();
    (resp.status().as_u16(), resp.text().unwrap())
}

/// The key details of a P-256 key.
const P256: &str = "PKIX_ECDSA_P256_SHA_256";

/// A Rekor v2 `hashedRekordRequestV002` for `msg`: the signature `sig` by `key`, the key named
/// `details`.
fn hashed_rekord_v002(
    key: &signet_core::keys::EcKey,
    msg: &[u8],
    sig: &[u8],
    details: &str,
) -> serde_json::Value {
    use signet_core::encoding::{b64_encode, sha256};
    serde_json::json!({"hashedRekordRequestV002": {
        "digest": b64_encode(sha256(msg)),
        "signature": {
            "content": b64_encode(sig),
            "verifier": {
                "publicKey": {"rawBytes": b64_encode(key.spki_der())},
                "keyDetails": details,
            }
        }
    }})
}

/// A fresh P-256 key and its signature of `msg`.
fn p256_signed(msg: &[u8]) -> (signet_core::keys::EcKey, Vec<u8>) {
    use signet_core::keys::{Curve, EcKey};
    let key = EcKey::generate(Curve::P256).unwrap();
    let sig = key.sign(msg).unwrap();
    (key, sig)
}

/// The routes that take a submission (Rekor v1 and v2 entries, signing certificates).
const SUBMISSIONS: [&str; 3] = [
    "/api/v1/log/entries",
    "/rekor2/api/v2/log/entries",
    "/api/v2/signingCert",
];

/// POST `body` as `content_type` to `route` on the instance.
fn post_body(
    c: &reqwest::blocking::Client,
    inst: &Instance,
    route: &str,
    content_type: &str,
    body: impl Into<reqwest::blocking::Body>,
) -> reqwest::Result<reqwest::blocking::Response> {
    c.post(format!("{}{route}", inst.url))
        .header("content-type", content_type)
        .body(body)
        .send()
}

/// An HTTP client that does not follow redirects.
fn no_redirects() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The development issuer's sign-in form, submitted for `a@example.com` with `redirect_uri`.
fn authorize(
    http: &reqwest::blocking::Client,
    inst: &Instance,
    redirect_uri: &str,
) -> reqwest::Result<reqwest::blocking::Response> {
    http.post(format!("{}/authorize", inst.issuer()))
        .form(&[("email", "a@example.com"), ("redirect_uri", redirect_uri)])
        .send()
}

/// `/healthz` answers with a success.
fn assert_healthy(inst: &Instance) {
    let r = reqwest::blocking::get(format!("{}/healthz", inst.url)).unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

#[test]
fn ca_rejects_bad_tokens_and_requests() {
    let inst = Instance::start();
    let url = format!("{}/api/v2/signingCert", inst.url);
    let good = inst.token("alice@example.com");
    let pk = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7Tq0b7XJ0z9YkU4bYq3bq3k3k0Yk9w6b1cG3o9fJwqJ4bq2v8Qm4H2j0cJk1f9qWzv1o6t4o3b5V9r5b2q1w==\n-----END PUBLIC KEY-----\n";
    let body = |tok: &str| {
        serde_json::json!({"credentials": {"oidcIdentityToken": tok}, "publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": pk}, "proofOfPossession": "MEUCIQ=="}}).to_string()
    };
    // No token.
    let (s, m) = post(
        &url,
        r#"{"publicKeyRequest":{"publicKey":{"content":"x"},"proofOfPossession":"x"}}"#,
        None,
    );
    assert_eq!(s, 401, "{m}");
    assert!(m.contains("no OIDC identity token"), "{m}");
    // Tampered signature.
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let mut sig = parts[2].clone().into_bytes();
    sig[5] = if sig[5] == b'A' { b'B' } else { b'A' };
    parts[2] = String::from_utf8(sig).unwrap();
    let (s, m) = post(&url, &body(&parts.join(".")), None);
    assert_eq!(s, 401, "{m}");
    // Unknown issuer: a token from a different development issuer.
    let other = signet_oidc::DevIssuer::generate("https://issuer.invalid").unwrap();
    let (s, m) = post(
        &url,
        &body(
            &other
                .mint(&signet_oidc::TokenRequest::email("a@b.example"))
                .unwrap(),
        ),
        None,
    );
    assert_eq!(s, 401, "{m}");
    assert!(m.contains("issuer.invalid"), "{m}");
    // Garbage token.
    let (s, _) = post(&url, &body("not-a-jwt"), None);
    assert_eq!(s, 401);
    // Good token, bad proof of possession.
    let (s, m) = post(&url, &body(&good), None);
    assert_eq!(s, 400, "{m}");
    assert!(
        m.contains("proof of possession") || m.contains("public key"),
        "{m}"
    );
    // Malformed JSON.
    let (s, _) = post(&url, "{not json", Some(&good));
    assert!(s == 400 || s == 422, "{s}");
    // Oversize request.
    let big = "x".repeat(5 * 1024 * 1024);
    let (s, _) = post(&url, &format!(r#"{{"junk":"{big}"}}"#), Some(&good));
    assert_eq!(s, 413);
    // The server is still up.
    assert_healthy(&inst);
}

#[test]
fn expired_and_wrong_audience_tokens_are_rejected() {
    let inst = Instance::start();
    // Mint with the instance's own issuer key but bad claims.
    let key = std::fs::read(inst.dir.path().join("keys/oidc.pk8")).unwrap();
    let dev = signet_oidc::DevIssuer::from_pkcs8(inst.issuer(), &key).unwrap();
    let url = format!("{}/api/v2/signingCert", inst.url);
    let mut expired = signet_oidc::TokenRequest::email("alice@example.com");
    expired.issued_at = Some(1_600_000_000);
    let mut aud = signet_oidc::TokenRequest::email("alice@example.com");
    aud.audience = vec!["not-sigstore".into()];
    let mut unverified = signet_oidc::TokenRequest::email("alice@example.com");
    unverified.email_verified = Some(false);
    for (req, want) in [
        (expired, "expired"),
        (aud, "client id"),
        (unverified, "verified"),
    ] {
        let tok = dev.mint(&req).unwrap();
        let (s, m) = post(&url, r#"{"certificateSigningRequest":"AAAA"}"#, Some(&tok));
        assert_eq!(s, 401, "{m}");
        assert!(m.to_lowercase().contains(want), "{want}: {m}");
    }
}

#[test]
fn rekor_rejects_bad_entries() {
    let inst = Instance::start();
    let url = format!("{}/api/v1/log/entries", inst.url);
    for (body, want) in [
        ("{", 400),
        (r#"{"kind":"rpm","apiVersion":"0.0.1","spec":{}}"#, 400),
        (
            r#"{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"data":{"hash":{"algorithm":"sha256","value":"zz"}}}}"#,
            400,
        ),
        (
            r#"{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"data":{"hash":{"algorithm":"sha256","value":"00000000000000000000000000000000000000000000000000000000000000ff"}},"signature":{"content":"MEUCIQ==","publicKey":{"content":"bm90IHBlbQ=="}}}}"#,
            400,
        ),
    ] {
        let (s, m) = post(&url, body, None);
        assert!(s == want || (want == 400 && s == 422), "{body}: {s} {m}");
    }
    let c = reqwest::blocking::Client::new();
    let r = c
        .get(format!("{}/api/v1/log/entries/abc", inst.url))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = c
        .get(format!(
            "{}/api/v1/log/entries/{}",
            inst.url,
            "ab".repeat(32)
        ))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let (s, _) = post(
        &format!("{}/rekor2/api/v2/log/entries", inst.url),
        r#"{"hashedRekordRequestV002":{"digest":"AAAA"}}"#,
        None,
    );
    assert_eq!(s, 400);
    assert_healthy(&inst);
}

#[test]
fn trust_material_is_served() {
    let inst = Instance::start();
    for p in [
        "trust/trusted_root.json",
        "trust/signing_config.v0.2.json",
        "trust/client_trust_config.json",
        "oidc/.well-known/openid-configuration",
        "oidc/jwks",
        "api/v2/trustBundle",
        "api/v2/configuration",
        "api/v1/log",
        "api/v1/timestamp/certchain",
        "metrics",
    ] {
        let r = reqwest::blocking::get(format!("{}/{p}", inst.url)).unwrap();
        assert!(r.status().is_success(), "{p}: {}", r.status());
    }
    let served = reqwest::blocking::get(format!("{}/trust/trusted_root.json", inst.url))
        .unwrap()
        .bytes()
        .unwrap();
    signet_core::trust::TrustedRoot::from_json(&served).unwrap();
    assert_eq!(served.to_vec(), std::fs::read(inst.trusted_root()).unwrap());
}

#[test]
fn rekor_client_against_the_instance() {
    let inst = Instance::start();
    let (work, f) = common::work_file("a.txt", b"rekor client test\n");
    let token = inst.token("alice@example.com");
    // Rekor v1 (signing defaults to the newest API the signing config offers: v2).
    inst.sign_with(&token, &f, &["--rekor-version", "1"]).ok();
    let pred = work.path().join("p.json");
    std::fs::write(&pred, "{}").unwrap();
    let g = work.path().join("b.txt");
    std::fs::write(&g, b"attested\n").unwrap();
    let mut attest = common::attest_flags(&pred).to_vec();
    attest.extend(["--rekor-version", "1"]);
    inst.sign_with(&token, &g, &attest).ok();
    let url = &inst.url;
    let rekor = |args: &[&str]| inst.rekor(url, args);
    // Without the instance's trust config.
    let bare_rekor = |args: &[&str]| Cli::signet().args(["rekor", "--rekor-url", url]).args(args);
    // get by index, JSON form: the body decoded, the SET and proof checked.
    let o = rekor(&["get", "--log-index", "0", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["Body"]["HashedRekordObj"]["data"]["hash"]["value"].is_string(),
        "{v}"
    );
    let (_, err) = text(&o);
    assert!(
        err.contains("SET verified") && err.contains("checkpoint signature verified"),
        "{err}"
    );
    // The bug: without --rekor-url the client went to the public Rekor (and failed on DNS);
    // the URL now comes from the trust config's signing config. rekor-cli's spelling works too.
    for args in [
        &["rekor", "get", "--log-index", "0"][..],
        &["rekor", "--rekor_server", url, "get", "--log-index", "0"][..],
    ] {
        let o = inst.signet().args(args).case(format!("{args:?}")).ok();
        assert!(text(&o).1.contains("SET verified"), "{:?}", text(&o));
    }
    // Text form: rekor-cli's layout on stdout (LogID, Index, IntegratedTime in RFC 3339,
    // UUID, Body as indented JSON keyed by the kind's object, a blank line); the certificate
    // identity on stderr.
    let (out, err) = text(&rekor(&["get", "--log-index", "1"]).ok());
    let lines: Vec<&str> = out.lines().collect();
    let heads: Vec<&str> = lines
        .iter()
        .take(5)
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        heads,
        ["LogID:", "Index:", "IntegratedTime:", "UUID:", "Body:"],
        "{out}"
    );
    assert_eq!(lines[1], "Index: 1", "{out}");
    assert!(lines[2].ends_with('Z') && lines[2].contains('T'), "{out}");
    assert_eq!(lines[4], "Body: {", "{out}");
    assert_eq!(lines[5], "  \"DSSEObj\": {", "{out}");
    assert!(out.ends_with("}\n\n"), "{out:?}");
    assert!(err.contains("alice@example.com"), "{err}");
    // search by artifact and email.
    let o = bare_rekor(&["search", "--artifact"]).arg(&f).ok();
    let uuid = text(&o).0.lines().next().unwrap().to_string();
    assert_eq!(uuid.len(), 80, "{uuid}");
    // rekor-cli's `--sha` spelling, with and without the `sha256:` prefix.
    let digest = hex::encode(signet_core::encoding::sha256(&std::fs::read(&f).unwrap()));
    for sha in [digest.clone(), format!("sha256:{digest}")] {
        let o = bare_rekor(&["search", "--sha", &sha]).ok();
        assert_eq!(text(&o).0.trim(), uuid, "--sha {sha}");
    }
    rekor(&["get", "--uuid", &uuid]).ok();
    let o = bare_rekor(&["search", "--email", "alice@example.com"]).run();
    assert_eq!(text(&o).0.lines().count(), 2, "{:?}", text(&o));
    // loginfo, verify, consistency.
    let o = rekor(&["loginfo"]).ok();
    assert!(text(&o).0.contains("Tree size: 2"), "{:?}", text(&o));
    let bundle = work.path().join("a.txt.sigstore.json");
    rekor(&["verify", "--bundle", bundle.to_str().unwrap()]).ok();
    let state = work.path().join("state.json");
    let consistency = || rekor(&["consistency", "--state", state.to_str().unwrap()]);
    consistency().ok();
    sign_again(&inst, &f, b"another\n", "1");
    assert_grew_consistently(&consistency, 2);
    // A forged earlier root is caught.
    consistency()
        .args(["--from", "2", "--root", &"00".repeat(32)])
        .fails(1);
    // Without the instance's trust root, the signed tree head is not trusted.
    bare_rekor(&["loginfo"]).fails(1);
    // After a kill -9, every log of the instance passes fsck.
    let mut inst = inst;
    inst.stop();
    common::fsck_every_log(inst.dir.path());
}

/// Interactive sign-in without a browser: the test plays the user. Device flow: read the code
/// `signet get-identity-token --device` prints, approve it on the instance's page, get a token.
/// Authorization code + PKCE: follow the printed URL, submit the login form, let the redirect
/// reach signet's local listener.
#[test]
fn device_and_browser_sign_in_flows() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let inst = Instance::start();
    let http = reqwest::blocking::Client::new();
    let claims = |token: &str| -> serde_json::Value {
        let p = token.trim().split('.').nth(1).expect("a JWT");
        serde_json::from_slice(&signet_core::encoding::b64_decode("jwt", p).unwrap()).unwrap()
    };
    for device in [true, false] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
        cmd.arg("--trust-config")
            .arg(inst.trust_config())
            .arg("get-identity-token");
        // No terminal here: the browser flow must be asked for explicitly.
        cmd.arg(if device { "--device" } else { "--browser" });
        let mut child = cmd
            .env_remove("SIGSTORE_ID_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let mut seen = String::new();
        let url = loop {
            line.clear();
            assert!(
                err.read_line(&mut line).unwrap() > 0,
                "no prompt in: {seen}"
            );
            seen.push_str(&line);
            if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http")) {
                break u.to_string();
            }
        };
        let email = if device {
            "device@example.com"
        } else {
            "browser@example.com"
        };
        if device {
            let code = line.split("enter code ").nth(1).unwrap().trim().to_string();
            let r = http
                .post(format!("{}/device", inst.issuer()))
                .form(&[("user_code", code.as_str()), ("email", email)])
                .send()
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
        } else {
            let u = reqwest::Url::parse(&url).unwrap();
            let q: std::collections::HashMap<String, String> =
                u.query_pairs().into_owned().collect();
            assert_eq!(q["code_challenge_method"], "S256");
            let page = http.get(u.clone()).send().unwrap().text().unwrap();
            assert!(page.contains("<form"), "{page}");
            let r = http
                .post(format!("{}/authorize", inst.issuer()))
                .form(&[
                    ("email", email),
                    ("redirect_uri", q["redirect_uri"].as_str()),
                    ("state", q["state"].as_str()),
                    ("code_challenge", q["code_challenge"].as_str()),
                    ("nonce", q["nonce"].as_str()),
                ])
                .send()
                .unwrap();
            assert!(
                r.status().is_success(),
                "redirect to the local listener: {}",
                r.status()
            );
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let token = String::from_utf8(out.stdout).unwrap();
        let c = claims(&token);
        assert_eq!(c["email"], email);
        assert_eq!(c["iss"], inst.issuer());
    }
    // A wrong PKCE verifier is refused at the token endpoint.
    let r = http
        .post(format!("{}/token", inst.issuer()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "nonexistent"),
            ("code_verifier", "x"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

/// `signet rekor` against the instance's Rekor v2 (a tile log): entries and proofs come from
/// entry bundles and hash tiles, across tile boundaries, checked against the signed checkpoint.
#[test]
fn rekor_client_on_the_tile_log() {
    let inst = Instance::start();
    let key = signet_core::keys::EcKey::generate(signet_core::keys::Curve::P256).unwrap();
    let url = format!("{}/rekor2/api/v2/log/entries", inst.url);
    // 300 entries (more than one 256-entry tile), 20 clients in parallel.
    std::thread::scope(|s| {
        for t in 0..20 {
            let (key, url) = (&key, &url);
            s.spawn(move || {
                let c = reqwest::blocking::Client::new();
                for i in 0..15 {
                    let data = format!("entry {t} {i}");
                    let sig = key.sign(data.as_bytes()).unwrap();
                    let body = hashed_rekord_v002(key, data.as_bytes(), &sig, P256);
                    let r = c.post(url).json(&body).send().unwrap();
                    assert_eq!(r.status().as_u16(), 201);
                }
            });
        }
    });
    let base = format!("{}/rekor2", inst.url);
    let rekor = |args: &[&str]| inst.rekor(&base, args);
    let o = rekor(&["loginfo"]).ok();
    assert!(text(&o).0.contains("Tree size: 300"), "{:?}", text(&o));
    for i in ["0", "255", "256", "299"] {
        let o = rekor(&["get", "--log-index", i, "--format", "json"])
            .case(i)
            .ok();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(
            v["Body"]["HashedRekordObj"]["hashedRekordV002"]["data"]["digest"].is_string(),
            "{v}"
        );
    }
    rekor(&["get", "--log-index", "300"]).fails(1);
    // A Signet bundle logged to Rekor v2 is found by `rekor verify`.
    let (work, f) = common::work_file("v2.txt", b"v2 entry\n");
    let tok = inst.token("alice@example.com");
    inst.sign_with(&tok, &f, &["--rekor-version", "2"]).ok();
    let state = work.path().join("state.json");
    let consistency = || rekor(&["consistency", "--state", state.to_str().unwrap()]);
    consistency().ok();
    let b = work.path().join("v2.txt.sigstore.json");
    rekor(&["verify", "--bundle", b.to_str().unwrap()]).ok();
    sign_again(&inst, &f, b"v2 entry 2\n", "2");
    assert_grew_consistently(&consistency, 301);
    rekor(&["consistency", "--from", "301", "--root", &"00".repeat(32)]).fails(1);
}

/// `signet log serve` runs the transparency log alone: Rekor APIs answer, the CA does not.
#[test]
fn log_serve_runs_only_the_log() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(["log", "serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut r = BufReader::new(child.stderr.take().unwrap());
    let mut url = None;
    for _ in 0..50 {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(rest) = line.split("instance URL ").nth(1) {
            url = Some(rest.split(';').next().unwrap().trim().to_string());
            break;
        }
    }
    let url = url.expect("log serve started");
    let get = |p: &str| {
        reqwest::blocking::get(format!("{url}/{p}"))
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(get("api/v1/log"), 200);
    assert_eq!(get("rekor2/checkpoint"), 200);
    assert_eq!(get("api/v2/configuration"), 404);
    assert_eq!(get("oidc/jwks"), 404);
    let _ = child.kill();
    let _ = child.wait();
}

/// intoto 0.0.2 entries (as older sigstore-js sent them): created with server-side signature
/// checks, and a bundle carrying that entry verifies.
#[test]
fn rekor_intoto_v002_entries() {
    use signet_core::encoding::b64_encode;
    let inst = Instance::start();
    let (work, f) = common::work_file("i.txt", b"intoto entry\n");
    let pred = work.path().join("p.json");
    std::fs::write(&pred, "{}").unwrap();
    let tok = inst.token("alice@example.com");
    inst.sign_with(&tok, &f, &common::attest_flags(&pred)).ok();
    let bpath = work.path().join("i.txt.sigstore.json");
    let mut bundle =
        signet_core::bundle::Bundle::from_json(&std::fs::read(&bpath).unwrap()).unwrap();
    let env = bundle.dsse_envelope.clone().unwrap();
    let cert =
        signet_core::x509::Certificate::from_der(bundle.leaf_certificate_der().unwrap()).unwrap();
    let proposed = |sig: &[u8]| {
        serde_json::json!({"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": {
            "envelope": {"payloadType": env.payload_type, "payload": b64_encode(b64_encode(&env.payload)),
                "signatures": [{"sig": b64_encode(b64_encode(sig)), "publicKey": b64_encode(cert.to_pem())}]},
            "payloadHash": {"algorithm": "sha256", "value": hex::encode(signet_core::encoding::sha256(&env.payload))}}}})
    };
    let c = reqwest::blocking::Client::new();
    let url = format!("{}/api/v1/log/entries", inst.url);
    // A wrong signature is refused.
    let mut bad_sig = env.signatures[0].sig.clone();
    bad_sig[10] ^= 1;
    let r = c.post(&url).json(&proposed(&bad_sig)).send().unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = c
        .post(&url)
        .json(&proposed(&env.signatures[0].sig))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let v: serde_json::Value = r.json().unwrap();
    let e: signet_core::rekor::LogEntry =
        serde_json::from_value(v.as_object().unwrap().values().next().unwrap().clone()).unwrap();
    bundle.verification_material.tlog_entries = vec![e.to_tlog_entry().unwrap()];
    assert_eq!(
        bundle.verification_material.tlog_entries[0]
            .kind_version
            .kind,
        "intoto"
    );
    std::fs::write(&bpath, bundle.to_json().unwrap()).unwrap();
    inst.signet()
        .verify_identity("alice@example.com", &inst.issuer())
        .arg(&f)
        .ok();
    let index = e.log_index.to_string();
    let o = inst
        .rekor(
            &inst.url,
            &["get", "--log-index", &index, "--format", "json"],
        )
        .ok();
    let g: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        g["Body"]["IntotoObj"]["content"]["payloadHash"]["value"].is_string(),
        "{g}"
    );
}

/// The attack: on a default instance, an anonymous client signs in to the development issuer
/// as any email and gets a signing certificate. Without `--dev-issuer` the issuer is not served,
/// not advertised, and the CA refuses its tokens.
#[test]
fn anonymous_client_gets_no_certificate_on_a_default_instance() {
    let inst = Instance::start_args(&[]);
    let http = no_redirects();
    for path in [
        "/oidc/.well-known/openid-configuration",
        "/oidc/authorize?redirect_uri=http://127.0.0.1:1/cb",
        "/oidc/device",
    ] {
        let r = http.get(format!("{}{path}", inst.url)).send().unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = http
        .post(format!("{}/oidc/authorize", inst.url))
        .form(&[
            ("email", "victim@example.com"),
            ("redirect_uri", "http://127.0.0.1:1/cb"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .post(format!("{}/oidc/token", inst.url))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    // Not advertised.
    let conf: serde_json::Value = http
        .get(format!("{}/api/v2/configuration", inst.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        !conf.to_string().contains(&inst.issuer()),
        "configuration lists the development issuer: {conf}"
    );
    let sc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(inst.dir.path().join("signing_config.v0.2.json")).unwrap(),
    )
    .unwrap();
    assert!(
        !sc.to_string().contains("/oidc"),
        "signing config lists the development issuer: {sc}"
    );
    // A development token (minted from the data dir) is refused by the CA, naming the issuer.
    let token = inst.token("victim@example.com");
    let r = http
        .post(format!("{}/api/v2/signingCert", inst.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": "x"}, "proofOfPossession": "x"}}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let body = r.text().unwrap();
    assert!(body.contains(&inst.issuer()), "{body}");
    let f = inst.dir.path().join("a.txt");
    std::fs::write(&f, b"a").unwrap();
    inst.sign_with(&token, &f, &[]).refused();
    assert!(!inst.dir.path().join("a.txt.sigstore.json").exists());
}

/// With `--dev-issuer`, the sign-in page only redirects to loopback http URLs (RFC 8252): an
/// authorization code must not be sent to another host.
#[test]
fn dev_issuer_redirects_only_to_loopback_http() {
    let inst = Instance::start();
    let http = no_redirects();
    for bad in [
        "https://evil.example/cb",
        "http://evil.example/cb",
        "https://127.0.0.1:8080/cb",
        "http://127.0.0.1.evil.example/cb",
        "javascript:alert(1)",
        "not a url",
    ] {
        let r = authorize(&http, &inst, bad).unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let r = http
            .get(format!("{}/authorize", inst.issuer()))
            .query(&[("redirect_uri", bad)])
            .send()
            .unwrap();
        assert_eq!(r.status(), 400, "GET {bad}");
    }
    let long = format!("http://127.0.0.1:1/{}", "a".repeat(4 << 20));
    // Refused: a 4xx, or the connection closed while the oversized form was still being sent
    // (the issuer answers 413 before reading it).
    if let Ok(r) = authorize(&http, &inst, long.as_str()) {
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    // A new client: the connection the oversized form was refused on may be closed under the
    // old one's pool (a reused, half-closed connection fails with IncompleteMessage).
    let http = no_redirects();
    let long = format!("http://127.0.0.1:1/{}", "a".repeat(3000));
    let r = authorize(&http, &inst, long.as_str()).unwrap();
    assert_eq!(r.status(), 400, "a redirect_uri over 2 KB");
    for good in [
        "http://127.0.0.1:4321/callback",
        "http://localhost:4321/cb",
        "http://[::1]:4321/cb",
    ] {
        let r = authorize(&http, &inst, good).unwrap();
        assert!(r.status().is_redirection(), "{good}: {}", r.status());
        let loc = r.headers()["location"].to_str().unwrap();
        assert!(
            loc.starts_with(good) && loc.contains("code="),
            "{good}: {loc}"
        );
    }
}

/// The attack: an entry ID of 80 bytes of multibyte characters made a handler slice inside a
/// character and panic; it is a 400, in `GET /entries/{id}` and in `retrieve` alike, and
/// `retrieve` takes Rekor's own field name `entryUUIDs`.
#[test]
fn rekor_v1_multibyte_entry_id_is_a_400_not_a_panic() {
    let inst = Instance::start();
    let c = reqwest::blocking::Client::new();
    let hostile = "é".repeat(40); // 80 bytes, 40 characters
    assert_eq!(hostile.len(), 80);
    let r = c
        .get(format!("{}/api/v1/log/entries/{hostile}", inst.url))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    for field in ["entryUUIDs", "entryUuids"] {
        let r = c
            .post(format!("{}/api/v1/log/entries/retrieve", inst.url))
            .json(&serde_json::json!({ field: [hostile] }))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{field}");
    }
    // An unknown (well-formed) UUID is not an error: nothing is returned for it.
    let r = c
        .post(format!("{}/api/v1/log/entries/retrieve", inst.url))
        .json(&serde_json::json!({ "entryUUIDs": ["ab".repeat(32)] }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // The server is still up.
    let r = c.get(format!("{}/healthz", inst.url)).send().unwrap();
    assert!(r.status().is_success());
}

/// The attack: a non-ASCII email made the issuer or the CA fail with a 500; it is a 400.
#[test]
fn non_ascii_email_is_a_400_not_a_500() {
    let inst = Instance::start();
    let http = no_redirects();
    let r = http
        .post(format!("{}/authorize", inst.issuer()))
        .form(&[
            ("email", "josé@example.com"),
            ("redirect_uri", "http://127.0.0.1:4321/cb"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let secret = std::fs::read_to_string(inst.dir.path().join("keys/client-secret")).unwrap();
    let r = http
        .post(format!("{}/token", inst.issuer()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", secret.trim()),
            ("email", "josé@example.com"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    // A token naming a non-ASCII email (minted from the data dir) gets a 400 from the CA.
    let token = inst.token("josé@example.com");
    let f = inst.dir.path().join("a.txt");
    std::fs::write(&f, b"a").unwrap();
    let (_, err) = text(&inst.sign_with(&token, &f, &[]).refused());
    assert!(err.contains("400") && err.contains("not ASCII"), "{err}");
}

/// The attack: tiles and entry bundles beyond the tree, or named by non-canonical paths,
/// answered 500 (or aliased real tiles); they are 404s.
#[test]
fn missing_and_non_canonical_tiles_are_404() {
    let inst = Instance::start();
    let c = reqwest::blocking::Client::new();
    let base = format!("{}/rekor2", inst.url);
    for path in [
        "tile/0/x999/999",
        "tile/entries/x999/999",
        "tile/0/000.p/200",
        "tile/entries/000.p/200",
        "tile/5/000",
        "tile/00/000",
        "tile/0/000.p/01",
        "tile/0/x000/000",
        "tile/0/000/extra",
        "tile/entries",
        "tile/99/000",
    ] {
        let r = c.get(format!("{base}/{path}")).send().unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}: {}", r.text().unwrap());
    }
}

/// The attack: several first starts on one data directory at once left the served CA
/// certificate different from the one on disk. The directory is locked before any key is
/// made: a second `signet serve` on it fails at once, naming the directory.
#[test]
fn second_instance_on_one_data_dir_is_refused() {
    let inst = Instance::start();
    let o = Cli::signet()
        .args(["serve", "--dev-issuer", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(inst.dir.path())
        .refused();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("in use by a running signet serve"), "{err}");
    // The first instance still serves the CA certificate that is on disk.
    let served = reqwest::blocking::get(format!("{}/api/v2/trustBundle", inst.url))
        .unwrap()
        .text()
        .unwrap();
    assert!(served.contains("BEGIN CERTIFICATE"), "{served}");
}

/// The attack: slowloris connections (headers never finished) and many idle connections held
/// every descriptor. Headers must arrive within the deadline or the connection is closed; past
/// the connection limit a client gets a 503; the server recovers by itself.
#[test]
fn slowloris_connections_are_closed_and_excess_connections_get_503() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("limits.json");
    std::fs::write(
        &cfg,
        r#"{"headerReadTimeoutMs": 1500, "maxConnections": 2}"#,
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let inst = Instance::start_with(
        data,
        0,
        &["--dev-issuer", "--config", cfg.to_str().unwrap()],
    );
    let addr = inst.url.trim_start_matches("http://").to_string();
    // Two slowloris clients take both slots.
    let mut slow: Vec<std::net::TcpStream> = (0..2)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // A third client is turned away with a 503, not left hanging.
    let mut third = std::net::TcpStream::connect(&addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = third.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    // The slow clients are disconnected once the header deadline passes.
    let start = Instant::now();
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
    }
    let waited = start.elapsed();
    assert!(
        waited < Duration::from_secs(8),
        "slow connections held for {waited:?}"
    );
    // And the server serves again without a restart.
    std::thread::sleep(Duration::from_millis(200));
    assert_healthy(&inst);
}

/// The attack: a Rekor v2 entry whose `keyDetails` names another algorithm than its key was
/// logged as sent, so the log held a body no verifier rebuilds. It is a 400 (rekor-tiles
/// semantics); the key's own name is accepted.
#[test]
fn rekor_v2_key_details_must_match_the_key() {
    let inst = Instance::start();
    let msg = b"key details";
    let (key, sig) = p256_signed(msg);
    let c = reqwest::blocking::Client::new();
    let send = |details: &str| {
        c.post(format!("{}/rekor2/api/v2/log/entries", inst.url))
            .json(&hashed_rekord_v002(&key, msg, &sig, details))
            .send()
            .unwrap()
    };
    for wrong in [
        "PKIX_ED25519",
        "PKIX_ECDSA_P384_SHA_384",
        "PKIX_RSA_PKCS1V15_2048_SHA256",
    ] {
        let r = send(wrong);
        assert_eq!(r.status().as_u16(), 400, "{wrong}");
        let body = r.text().unwrap();
        assert!(body.contains("PKIX_ECDSA_P256_SHA_256"), "{body}");
    }
    let r = send("PKIX_ECDSA_P256_SHA_256");
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().unwrap());
}

/// Keyless signing with no token and no terminal (CI, no TTY) fails at once, naming the token
/// sources, instead of waiting for a browser sign-in that cannot happen.
#[test]
fn keyless_sign_without_token_or_terminal_fails_naming_the_token_sources() {
    let inst = Instance::start();
    let (work, f) = common::work_file("a.txt", b"a\n");
    // `Command::output` gives it a null stdin.
    let o = inst
        .signet()
        .arg("sign")
        .arg(&f)
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .env("CI", "true")
        .fails(2);
    let err = text(&o).1;
    assert!(
        err.contains("--identity-token") && err.contains("SIGSTORE_ID_TOKEN"),
        "{err}"
    );
    assert!(!work.path().join("a.txt.sigstore.json").exists());
}

/// `sign --key` / `attest --key` with a managed key against the instance, Rekor v1 and v2:
/// the bundles verify with `verify key` and not with another key.
#[test]
fn sign_and_attest_with_a_managed_key_on_rekor_v1_and_v2() {
    let inst = Instance::start();
    let k = common::key_files();
    let other = signet_core::keys::EcKey::generate(signet_core::keys::Curve::P256).unwrap();
    let wrongp = k.dir.path().join("wrong.pub");
    std::fs::write(&wrongp, other.public_pem()).unwrap();
    let pubp = k.public.clone();
    for v in ["1", "2"] {
        for attest in [false, true] {
            let f = common::sign_with_key(&inst, &k, v, attest);
            let b: serde_json::Value = serde_json::from_slice(
                &std::fs::read(format!("{}.sigstore.json", f.display())).unwrap(),
            )
            .unwrap();
            assert!(
                b["verificationMaterial"]["publicKey"]["hint"].is_string(),
                "{b}"
            );
            for (key, code) in [(&pubp, 0), (&wrongp, 1)] {
                inst.signet()
                    .args(["verify", "key", "--offline", "--key"])
                    .arg(key)
                    .arg(&f)
                    .case(format!("v{v} {attest}"))
                    .exits(code);
            }
        }
    }
}

/// A Rekor v2 DSSE request: `sigs` signatures (valid DER, over another message) against
/// `verifiers` decoy keys, so that every pair is a full ECDSA verification.
fn dsse_flood_request(sigs: usize, verifiers: usize) -> serde_json::Value {
    use signet_core::encoding::b64_encode;
    use signet_core::keys::{Curve, EcKey};
    let signer = EcKey::generate(Curve::P256).unwrap();
    let sig = signer.sign(b"not this envelope").unwrap();
    let decoys: Vec<serde_json::Value> = (0..verifiers)
        .map(|_| {
            let k = EcKey::generate(Curve::P256).unwrap();
            serde_json::json!({"publicKey": {"rawBytes": b64_encode(k.spki_der())},
                               "keyDetails": "PKIX_ECDSA_P256_SHA_256"})
        })
        .collect();
    serde_json::json!({"dsseRequestV002": {
        "envelope": {
            "payload": b64_encode(b"{}"),
            "payloadType": "application/vnd.in-toto+json",
            "signatures": (0..sigs).map(|_| serde_json::json!({"sig": b64_encode(&sig), "keyid": ""})).collect::<Vec<_>>(),
        },
        "verifiers": decoys,
    }})
}

/// The DSSE CPU flood: 150 signatures × 2,000 decoy verifiers used to cost 30 s of CPU per
/// request on the async threads (and `/healthz` 28 s). Signatures and verifiers are capped (a
/// 400 before any verification), and verification runs on a core-sized blocking pool: under a
/// flood of the largest allowed requests, `/healthz` keeps answering.
#[test]
fn dsse_cpu_flood_is_capped_and_healthz_keeps_answering() {
    let inst = Instance::start();
    let url = format!("{}/rekor2/api/v2/log/entries", inst.url);
    let c = reqwest::blocking::Client::new();
    // Over the caps: a 400, the body.
    let refused = |sigs: usize, verifiers: usize| {
        let r = c
            .post(&url)
            .json(&dsse_flood_request(sigs, verifiers))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{sigs} x {verifiers}");
        r.text().unwrap()
    };
    let body = refused(150, 2000);
    assert!(body.contains("signatures") && body.contains("16"), "{body}");
    let body = refused(16, 17);
    assert!(body.contains("17 verifiers, expected 1..=16"), "{body}");

    // The flood: 8 clients sending the largest allowed request (16 × 16 verifications) in a loop.
    let heavy = dsse_flood_request(16, 16).to_string();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooders: Vec<_> = (0..8)
        .map(|_| {
            let (url, heavy, stop) = (url.clone(), heavy.clone(), stop.clone());
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::new();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = c
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(heavy.clone())
                        .send()
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 400);
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let health = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..20 {
        let r = health.get(format!("{}/healthz", inst.url)).send().unwrap();
        assert_eq!(r.status().as_u16(), 200);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let total: usize = flooders.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(total > 0);
}

/// A request body over the instance's limit is a 413 (not a 500), on every submission route.
#[test]
fn oversized_submissions_are_413() {
    let inst = Instance::start();
    // Just over the 4 MiB limit, so the server's early answer rarely races the upload.
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat((4 << 20) + (64 << 10)));
    let c = reqwest::blocking::Client::new();
    let mut answered = 0;
    for route in SUBMISSIONS {
        // The server may close the connection before the client has sent everything (it
        // answered 413 without reading the rest); any answer that arrives must be a 413.
        if let Ok(r) = post_body(&c, &inst, route, "application/json", big.clone()) {
            assert_eq!(r.status().as_u16(), 413, "{route}");
            answered += 1;
        }
    }
    assert!(answered > 0, "no answer arrived at all");
}

/// The OIDC memory flood: 150 sign-in requests with a 3.9 MB `redirect_uri` grew the server
/// from 21 to 620 MB, and device codes were never freed. Fields are capped and both tables are
/// bounded and expire: the requests are refused and the resident set stays bounded.
#[test]
fn dev_issuer_memory_flood_keeps_rss_bounded() {
    let inst = Instance::start();
    let before = inst.rss_kib();
    let http = no_redirects();
    let long = format!("http://127.0.0.1:1/{}", "a".repeat(3_900_000));
    for _ in 0..150 {
        // Refused: a 4xx, or the connection closed while the oversized body was still being
        // sent (the server answers 413 before reading it).
        if let Ok(r) = authorize(&http, &inst, long.as_str()) {
            assert!(r.status().is_client_error(), "{}", r.status());
        }
    }
    // Device codes: many requests, each answered, the table bounded.
    for _ in 0..500 {
        let r = http
            .post(format!("{}/device/code", inst.issuer()))
            .form(&[("client_id", "sigstore")])
            .send()
            .unwrap();
        assert!(
            r.status().is_success() || r.status() == 503,
            "{}",
            r.status()
        );
    }
    let after = inst.rss_kib();
    assert!(
        after < before + 100 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    assert_eq!(
        reqwest::blocking::get(format!("{}/healthz", inst.url))
            .unwrap()
            .status(),
        200
    );
}

/// Regression (CI flake of `dev_issuer_memory_flood_keeps_rss_bounded`): a form refused with
/// 413 before its body was read left the client's pooled connection to be closed under its
/// next request (IncompleteMessage). The refusal now says `Connection: close`, and the same
/// client's next request succeeds.
#[test]
fn refused_oversized_body_closes_the_connection_and_says_so() {
    let inst = Instance::start();
    let http = no_redirects();
    let big = "a".repeat(signet_core::limits::MAX_DEV_ISSUER_FORM + 1);
    for _ in 0..20 {
        let r = authorize(&http, &inst, &big).unwrap();
        assert_eq!(r.status(), 413);
        assert_eq!(r.headers()["connection"], "close");
        let r = http
            .post(format!("{}/device/code", inst.issuer()))
            .form(&[("client_id", "sigstore")])
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
}

/// A duplicate Rekor v2 entry answers 409 with the existing entry (rekor-tiles semantics), not
/// a second 201.
#[test]
fn rekor_v2_duplicate_entry_is_409_with_the_existing_entry() {
    let inst = Instance::start();
    let msg = b"duplicate";
    let (key, sig) = p256_signed(msg);
    let req = hashed_rekord_v002(&key, msg, &sig, P256);
    let c = reqwest::blocking::Client::new();
    let url = format!("{}/rekor2/api/v2/log/entries", inst.url);
    let r1 = c.post(&url).json(&req).send().unwrap();
    assert_eq!(r1.status().as_u16(), 201);
    let e1: serde_json::Value = r1.json().unwrap();
    let r2 = c.post(&url).json(&req).send().unwrap();
    assert_eq!(r2.status().as_u16(), 409);
    let e2: serde_json::Value = r2.json().unwrap();
    assert_eq!(e1["logIndex"], e2["logIndex"]);
    assert_eq!(e1["canonicalizedBody"], e2["canonicalizedBody"]);
}

/// Hostile input to every route: malformed, truncated, deeply nested JSON, wrong types, bodies
/// of 10 MB and 200 MB, traversal in tile and TUF paths, huge and negative indices. No answer
/// is a 5xx other than a documented 503, the server log shows no panic, and the instance is
/// healthy afterwards.
#[test]
fn hostile_input_to_every_route_gets_4xx_never_5xx_or_a_panic() {
    let inst = Instance::start();
    let c = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("not json", b"\x00\xffnot json".to_vec()),
        ("truncated", br#"{"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {"#.to_vec()),
        ("deep", deep.into_bytes()),
        ("wrong types", br#"{"apiVersion": 1, "kind": [], "spec": "x", "hashedRekordRequestV002": 7, "credentials": 5, "certificateSigningRequest": {}, "entryUUIDs": 3, "logIndexes": "a", "hash": 9}"#.to_vec()),
        ("nulls", br#"{"apiVersion": null, "kind": null, "spec": null, "dsseRequestV002": {"envelope": null, "verifiers": null}}"#.to_vec()),
        ("10 MB", vec![b' '; 10 << 20]),
    ];
    let posts = [
        "/api/v1/log/entries",
        "/api/v1/log/entries/retrieve",
        "/api/v1/index/retrieve",
        "/rekor2/api/v2/log/entries",
        "/api/v2/signingCert",
        "/ct/v1/add-pre-chain",
        "/api/v1/timestamp",
        "/oidc/token",
        "/oidc/device/code",
        "/oidc/device",
        "/oidc/authorize",
    ];
    let mut seen = vec![];
    let mut check = |what: String, r: reqwest::Result<reqwest::blocking::Response>| {
        // A refused upload may reset the connection before the answer is read: not a 5xx.
        if let Ok(r) = r {
            let st = r.status().as_u16();
            let body = r.text().unwrap_or_default();
            assert!(
                st < 500 || st == 503,
                "{what}: {st} {}",
                body.chars().take(300).collect::<String>()
            );
            seen.push(st);
        }
    };
    for route in posts {
        for (name, body) in &bodies {
            for ct in [
                "application/json",
                "application/timestamp-query",
                "application/x-www-form-urlencoded",
            ] {
                let r = post_body(&c, &inst, route, ct, body.clone());
                check(format!("POST {route} {name} ({ct})"), r);
            }
        }
    }
    // 200 MB, once per submission route (streamed from memory).
    let huge = vec![b'{'; 200 << 20];
    for route in SUBMISSIONS {
        let r = post_body(&c, &inst, route, "application/json", huge.clone());
        check(format!("POST {route} 200 MB"), r);
    }
    drop(huge);
    let gets = [
        "/api/v1/log/entries/..%2f..%2fetc%2fpasswd",
        "/api/v1/log/entries/-1",
        "/api/v1/log/entries/99999999999999999999999999",
        "/api/v1/log/entries?logIndex=-1",
        "/api/v1/log/entries?logIndex=18446744073709551616",
        "/api/v1/log/entries?logIndex=99999999",
        "/api/v1/log/proof?firstSize=-1&lastSize=2",
        "/api/v1/log/proof?firstSize=5&lastSize=2",
        "/api/v1/log/proof?firstSize=1&lastSize=18446744073709551615",
        "/api/v1/log/proof?lastSize=abc",
        "/api/v1/log?treeID=-7",
        "/tile/0/000",
        "/tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        "/tile/99/000",
        "/tile/-1/000",
        "/tile/0/../../../etc/passwd",
        "/tile/entries/..%2F..%2Fkeys",
        "/tile/0/000.p/0",
        "/tile/0/000.p/256",
        "/rekor2/tile/0/x000/000",
        "/rekor2/tile/entries/999999999999",
        "/rekor2/api/v2/tile/0/000.p/1",
        "/tuf/../keys/ca.pk8",
        "/tuf/..%2Fkeys%2Fca.pk8",
        "/tuf/%2e%2e/%2e%2e/etc/passwd",
        "/tuf/9999999999999999999999.root.json",
        "/tuf/targets/../../keys/tuf-root.pk8",
        "/oidc/device?user_code=%00%ff",
        "/oidc/authorize?redirect_uri=%00",
        "/trust/../keys/ca.pk8",
    ];
    for p in gets {
        let r = c.get(format!("{}{p}", inst.url)).send();
        if let Ok(r) = &r {
            let st = r.status().as_u16();
            assert!(
                st != 200 || !p.contains("keys"),
                "GET {p}: 200 on a key path"
            );
        }
        check(format!("GET {p}"), r);
    }
    assert!(seen.len() > 200, "only {} answers", seen.len());
    assert_eq!(
        c.get(format!("{}/healthz", inst.url))
            .send()
            .unwrap()
            .status(),
        200
    );
    let log = inst.server_log();
    assert!(!log.contains("panicked"), "server panicked:\n{log}");
}

/// `signet serve --tls-cert --tls-key`: the instance serves HTTPS (HTTP/2 by ALPN and
/// HTTP/1.1), advertises https URLs, and `signet sign` / `verify` work against it when the
/// test CA is trusted through SSL_CERT_FILE, and fail when it is not.
#[test]
fn tls_instance_signs_and_verifies_end_to_end() {
    let (inst, ca, _tls) = common::tls_instance();
    let tc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(inst.trust_config()).unwrap()).unwrap();
    assert!(
        tc["signingConfig"]["caUrls"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://"),
        "{tc}"
    );
    // HTTP/2 and HTTP/1.1, with the CA trusted.
    for (flag, want) in [("--http2", "2"), ("--http1.1", "1.1")] {
        let o = std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_version}",
                flag,
                "--cacert",
            ])
            .arg(&ca)
            .arg(format!("{}/healthz", inst.url))
            .output()
            .expect("curl (Debian package curl)");
        assert_eq!(String::from_utf8_lossy(&o.stdout), want, "{flag}");
    }
    let (_work, f) = common::work_file("tls.txt", b"over TLS\n");
    let tok = inst.token("tls@example.com");
    let sign = |trust_ca: bool| {
        let c = inst
            .sign_with(&tok, &f, &["--overwrite"])
            .env_remove("SSL_CERT_FILE");
        if trust_ca {
            c.env("SSL_CERT_FILE", &ca)
        } else {
            c
        }
    };
    sign(false)
        .case("signed without trusting the TLS CA")
        .refused();
    sign(true).ok();
    inst.verify_as("tls@example.com", &f, &[]).ok();
}

/// Bring your own CA: the instance issues signing certificates from an organisation's
/// intermediate (P-256 here) under its offline root; bundles verify against the instance's
/// trusted root, which carries the organisation's chain. A key that is not the issuing
/// certificate's, or a chain out of order, stops the start with a message saying so.
#[test]
fn brought_ca_issues_the_signing_certificates() {
    use signet_core::keys::{Curve, EcKey};
    let org = common::OrgCa::new();
    let (chain, key, issuing) = org.issue("");
    let files = &org.dir;
    let pem = common::OrgCa::pem;
    let root = &org.root;

    // Refusals first: the wrong key, a chain out of order.
    let wrong = files.path().join("wrong.pem");
    std::fs::write(&wrong, EcKey::generate(Curve::P256).unwrap().private_pem()).unwrap();
    let reversed = files.path().join("reversed.pem");
    std::fs::write(
        &reversed,
        format!("{}{}", pem(&root.cert_der), pem(&issuing.cert_der)),
    )
    .unwrap();
    for (c, k, want) in [
        (&chain, &wrong, "not the issuing certificate's"),
        (&reversed, &key, "is not signed by"),
    ] {
        let d = tempfile::tempdir().unwrap();
        let o = Cli::signet()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(d.path())
            .arg("--ca-chain")
            .arg(c)
            .arg("--ca-key")
            .arg(k)
            .case(want)
            .refused();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{want}: {err}");
    }

    let inst = common::OrgCa::instance(&chain, &key);
    let (work, f) = common::work_file("org.txt", b"signed under the org CA\n");
    inst.sign_as("org@example.com", &f, &[]).ok();
    inst.verify_as("org@example.com", &f, &[]).ok();
    let leaf = common::bundle_leaf(&work.path().join("org.txt.sigstore.json"));
    assert!(
        leaf.issuer().contains("Org Sigstore CA"),
        "{}",
        leaf.issuer()
    );
    let tr: serde_json::Value =
        serde_json::from_slice(&std::fs::read(inst.trusted_root()).unwrap()).unwrap();
    let chain = &tr["certificateAuthorities"][0]["certChain"]["certificates"];
    assert_eq!(chain.as_array().unwrap().len(), 2);
    assert_eq!(
        tr["certificateAuthorities"][0]["subject"]["organization"],
        "Example Org"
    );
}

use signet_testing::softhsm::{self, MODULE as SOFTHSM_MODULE};

/// The keys in an HSM: a fresh SoftHSM2 token, `signet keys init --pkcs11-*` creates every key
/// in it, `signet serve --pkcs11-*` signs with them (CA, CT, Rekor v1 SETs and checkpoints,
/// Rekor v2 checkpoints, TSA), clients sign with Rekor v1 and v2 and verify offline, and no
/// private key of those services is in the data dir. Wrong PIN, missing token and mixing a
/// token data dir with file keys are refused, and the PIN is never printed.
#[test]
fn hsm_instance_signs_and_verifies_with_every_key_in_the_token() {
    if !softhsm::present() {
        return;
    }
    let token = softhsm::Token::new("signet", "1234", "5678");
    let (hsm, conf_s) = (&token.dir, token.conf.to_str().unwrap());
    let pin_file = hsm.path().join("pin");
    std::fs::write(&pin_file, "1234\n").unwrap();
    // signet with the token's configuration, no PIN unless given.
    let hsm_signet = |args: &[&str]| {
        Cli::signet()
            .args(args)
            .env("SOFTHSM2_CONF", conf_s)
            .env_remove("SIGNET_PKCS11_PIN")
    };
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let pk = [
        "--pkcs11-module",
        SOFTHSM_MODULE,
        "--pkcs11-token",
        "signet",
    ];
    let init = || hsm_signet(&["keys", "init", "--data-dir", d]).args(pk);

    // Refusals: a wrong PIN (not echoed), no PIN, a token that is not there.
    let o = init().env("SIGNET_PKCS11_PIN", "98765").run();
    let (out, err) = text(&o);
    assert!(!o.status.success() && err.contains("login failed"), "{err}");
    assert!(!out.contains("98765") && !err.contains("98765"), "{err}");
    let o = init().run();
    assert!(text(&o).1.contains("SIGNET_PKCS11_PIN"), "{:?}", text(&o));
    let o = hsm_signet(&["keys", "init", "--data-dir", d])
        .args(["--pkcs11-module", SOFTHSM_MODULE, "--pkcs11-token", "nope"])
        .env("SIGNET_PKCS11_PIN", "1234")
        .run();
    assert!(text(&o).1.contains("\"nope\""), "{:?}", text(&o));

    // Create the keys in the token (PIN from the environment).
    let o = init()
        .env("SIGNET_PKCS11_PIN", "1234")
        .case("keys init")
        .ok();
    for label in [
        "signet-ca-root",
        "signet-ca",
        "signet-ct",
        "signet-rekor-v1",
        "signet-rekor-v2",
        "signet-tsa-root",
        "signet-tsa",
    ] {
        assert!(
            text(&o).0.contains(&format!("\"{label}\"")),
            "{label}: {:?}",
            text(&o)
        );
    }
    // A second init refuses (the data dir holds keys).
    let o = init().env("SIGNET_PKCS11_PIN", "1234").refused();
    assert!(text(&o).1.contains("already"), "{:?}", text(&o));
    // Serving the token data dir without the token is refused.
    let o = hsm_signet(&["serve", "--listen", "127.0.0.1:0", "--data-dir", d]).refused();
    assert!(text(&o).1.contains("--pkcs11-module"), "{:?}", text(&o));

    // Serve from the token (PIN from a file), sign with Rekor v1 and v2, verify offline.
    let args = [
        &["--dev-issuer"][..],
        &pk[..],
        &["--pkcs11-pin-file", pin_file.to_str().unwrap()][..],
    ]
    .concat();
    let inst = Instance::start_with_env(data, 0, &args, &[("SOFTHSM2_CONF", conf_s)]);
    sign_and_verify(&inst, "1", false);
    sign_and_verify(&inst, "2", false);
    sign_and_verify(&inst, "1", true);
    assert!(!inst.server_log().contains("1234"), "{}", inst.server_log());

    // The trusted root carries the token's public keys; no service's private key is on disk.
    let keys_dir = inst.dir.path().join("keys");
    for f in [
        "ca-root.pk8",
        "ca-intermediate.pk8",
        "ct.pk8",
        "rekor-v1.pk8",
        "rekor-v2.pk8",
        "tsa-root.pk8",
        "tsa.pk8",
    ] {
        assert!(!keys_dir.join(f).exists(), "{f} is in the data dir");
    }
    let mut stack = vec![inst.dir.path().to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "pk8") {
                // Only the development issuer's key stays a file (see docs/operations.md);
                // the TUF role keys are in the token too.
                let name = e.file_name().to_string_lossy().into_owned();
                assert_eq!(
                    name,
                    "oidc.pk8",
                    "unexpected private key {}",
                    e.path().display()
                );
                assert!(
                    !name.starts_with("ca")
                        && !name.starts_with("rekor")
                        && !name.starts_with("tsa")
                        && !name.starts_with("ct"),
                    "{name}"
                );
            }
        }
    }
    let manifest = std::fs::read_to_string(keys_dir.join("pkcs11.json")).unwrap();
    assert!(
        manifest.contains("signet-rekor-v2") && !manifest.contains("1234"),
        "{manifest}"
    );

    // Rotation in the token: each role's next key is made in the token (label `<label>-g1`),
    // the restarted instance signs with them, and still no service's private key is a file.
    let port: u16 = inst.url.rsplit(':').next().unwrap().parse().unwrap();
    let data = inst.kill();
    let d = data.path().to_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for role in ["ca", "ctlog", "rekor-v1", "rekor-v2", "tsa"] {
        hsm_signet(&["keys", "rotate", role, "--data-dir", &d])
            .args(pk)
            .env("SIGNET_PKCS11_PIN", "1234")
            .case(format!("rotate {role}"))
            .ok();
    }
    // The TUF root rotates in the token too: the new root key is made there.
    hsm_signet(&["tuf", "rotate-root", "--data-dir", &d])
        .args(pk)
        .env("SIGNET_PKCS11_PIN", "1234")
        .case("tuf rotate-root")
        .ok();
    let manifest = std::fs::read_to_string(data.path().join("keys/pkcs11.json")).unwrap();
    assert!(manifest.contains("signet-tuf-root-v2"), "{manifest}");
    let inst = Instance::start_with_env(data, port, &args, &[("SOFTHSM2_CONF", conf_s)]);
    sign_and_verify(&inst, "1", false);
    sign_and_verify(&inst, "2", false);
    // A TUF client bootstrapped from root v1 follows the token-signed chain to v2 and gets
    // the rotated trusted root (signed by the token's targets, snapshot and timestamp keys).
    let cache = tempfile::tempdir().unwrap();
    let tuf = format!("{}/tuf", inst.url);
    let root1 = inst.dir.path().join("tuf/1.root.json");
    Cli::signet()
        .arg("trust-instance")
        .arg(&root1)
        .args(["--instance", &tuf])
        .env("SIGNET_TUF_CACHE", cache.path())
        .case("trust-instance")
        .ok();
    let cached = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path().join("root.json"))
        .find(|p| p.exists())
        .expect("a cached root");
    let cached: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cached).unwrap()).unwrap();
    assert_eq!(cached["signed"]["version"], 2, "{cached}");
    let names: Vec<String> = std::fs::read_dir(inst.dir.path().join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .filter(|n| n.ends_with(".pk8"))
            .all(|n| n == "oidc.pk8"),
        "{names:?}"
    );
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(inst.trusted_root()).unwrap()).unwrap();
    assert_eq!(root["tlogs"].as_array().unwrap().len(), 4, "{root}");
}
