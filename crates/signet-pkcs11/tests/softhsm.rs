//! Against SoftHSM2 (Debian `softhsm2`): generate every kind of key Signet uses in a fresh
//! token, sign through the `Signer` trait and verify with aws-lc-rs. A missing SoftHSM fails
//! the test unless `SIGNET_ALLOW_MISSING_SOFTHSM=1` allows skipping it.

use std::path::Path;
use std::process::Command;

use signet_core::signer::{verify_own, KeyProvider, SignatureAlgorithm};
use signet_pkcs11::Token;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

fn softhsm_or_skip() -> bool {
    let ok = Path::new(MODULE).exists()
        && Command::new("softhsm2-util")
            .arg("--version")
            .output()
            .is_ok();
    if !ok {
        assert!(
            std::env::var("SIGNET_ALLOW_MISSING_SOFTHSM").is_ok_and(|v| v == "1"),
            "SoftHSM2 is missing ({MODULE}, softhsm2-util): install the softhsm2 package (.ci/run does), or set SIGNET_ALLOW_MISSING_SOFTHSM=1 to skip"
        );
        eprintln!("skipping: SoftHSM2 not installed (apt-get install softhsm2)");
    }
    ok
}

#[test]
fn softhsm_keys_generate_sign_and_verify() {
    if !softhsm_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    // The module reads SOFTHSM2_CONF when it is initialised; this is the only test in this
    // binary, so no other thread reads the environment meanwhile.
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let out = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "unit",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let err = Token::open(Path::new(MODULE), "unit", "0000")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("login failed") && !err.contains("0000"),
        "{err}"
    );
    let err = Token::open(Path::new(MODULE), "nope", "1234")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"nope\"") && err.contains("\"unit\""),
        "{err}"
    );

    let token = Token::open(Path::new(MODULE), "unit", "1234").unwrap();
    for (label, alg) in [
        ("k256", SignatureAlgorithm::EcdsaP256Sha256),
        ("k384", SignatureAlgorithm::EcdsaP384Sha384),
        ("ked", SignatureAlgorithm::Ed25519),
    ] {
        let k = token.generate(label, alg).unwrap();
        for i in 0..8u8 {
            let msg = [i; 33];
            let sig = k.sign(&msg).unwrap();
            verify_own(k.as_ref(), &msg, &sig).unwrap();
        }
        let again = token.open(label, alg).unwrap();
        assert_eq!(again.public_key_der(), k.public_key_der());
        let err = token.generate(label, alg).unwrap_err().to_string();
        assert!(err.contains("exists already"), "{err}");
    }
    let err = token
        .open("k256", SignatureAlgorithm::Ed25519)
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected Ed25519"), "{err}");
    let err = token
        .open("missing", SignatureAlgorithm::Ed25519)
        .unwrap_err()
        .to_string();
    assert!(err.contains("found none"), "{err}");

    // The attack on availability: the token drops the session's login (another part of the
    // process logs the user out, as a token reset does). Signing logs in again on a new session
    // and goes on, for keys opened before.
    let k = token
        .open("k256", SignatureAlgorithm::EcdsaP256Sha256)
        .unwrap();
    k.sign(b"before").unwrap();
    {
        use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
        let ctx = Pkcs11::new(MODULE).unwrap();
        let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
        let slot = ctx
            .get_slots_with_token()
            .unwrap()
            .into_iter()
            .find(|s| ctx.get_token_info(*s).unwrap().label().trim_end() == "unit")
            .unwrap();
        let other = ctx.open_ro_session(slot).unwrap();
        // Logging out one session logs out every session of the application.
        other.logout().unwrap();
    }
    for msg in [&b"after"[..], b"and again"] {
        let sig = k.sign(msg).unwrap();
        verify_own(k.as_ref(), msg, &sig).unwrap();
    }
    let ked = token.open("ked", SignatureAlgorithm::Ed25519).unwrap();
    ked.sign(b"ed25519 after the reconnection").unwrap();
}
