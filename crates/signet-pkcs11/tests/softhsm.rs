//! Against SoftHSM2 (Debian `softhsm2`): generate every kind of key Signet uses in a fresh
//! token, sign through the `Signer` trait and verify with aws-lc-rs. A missing SoftHSM fails
//! the test unless `SIGNET_ALLOW_MISSING_SOFTHSM=1` allows skipping it.

use std::path::Path;

use signet_core::signer::{verify_own, KeyProvider, SignatureAlgorithm};
use signet_pkcs11::Token;

use signet_testing::softhsm::{self, MODULE};

#[test]
fn softhsm_keys_generate_sign_and_verify() {
    if !softhsm::present() {
        return;
    }
    let token = softhsm::Token::new("unit", "1234", "5678");
    // The module reads SOFTHSM2_CONF when it is initialised; this is the only test in this
    // binary, so no other thread reads the environment meanwhile.
    std::env::set_var("SOFTHSM2_CONF", &token.conf);

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
