//! Managed-key verification rules: bundles VirtualSigstore signs with a self-held key (a
//! `publicKey` hint, the key recorded in the log entry), each flaw alone, rejected for its rule;
//! the valid baselines accepted. Also the Rekor v1 forms the conformance suite uses: a DSSE
//! envelope logged as a hashedrekord over its PAE, and a checkpoint whose origin is the log's
//! host alone.

mod common;

use std::sync::{Arc, OnceLock};

use common::vs;
use serde_json::Value;
use signet_core::bundle::Bundle;
use signet_core::encoding::{b64_encode, pem_encode, sha256};
use signet_core::keys::{Curve, EcKey};
use signet_core::trust::TrustedRoot;
use signet_testing::{now, DsseV2Entry, Identity, RekorVersion, SignOptions};
use signet_verify::{Artifact, ManagedKey, Policy, Rule, Verifier};

const ARTIFACT: &[u8] = b"managed-key artifact\n";

fn signing_key() -> Arc<EcKey> {
    static K: OnceLock<Arc<EcKey>> = OnceLock::new();
    K.get_or_init(|| Arc::new(EcKey::generate(Curve::P256).expect("key")))
        .clone()
}

fn keyed() -> SignOptions {
    SignOptions::new(
        Identity::email("unused@example.com"),
        "https://unused.example",
    )
    .managed_key(signing_key())
}

fn key_file() -> ManagedKey {
    ManagedKey::from_pem(&pem_encode("PUBLIC KEY", signing_key().spki_der())).unwrap()
}

fn message(o: &SignOptions) -> Bundle {
    vs().sign_message(ARTIFACT, o).unwrap()
}

fn intoto(o: &SignOptions) -> Bundle {
    vs().sign_intoto("a.txt", ARTIFACT, o).unwrap()
}

fn verify(root: &TrustedRoot, b: &Bundle, keys: &[ManagedKey]) -> signet_verify::Result<()> {
    Verifier::new(root)?
        .verify_with_key(b, Artifact::Bytes(ARTIFACT), keys)
        .map(|_| ())
}

#[track_caller]
fn assert_rule(root: &TrustedRoot, b: &Bundle, keys: &[ManagedKey], rule: Rule) {
    match verify(root, b, keys) {
        Ok(()) => panic!("bundle unexpectedly verified; expected {rule:?}"),
        Err(e) => assert_eq!(e.rule(), Some(rule), "expected {rule:?}: {e}"),
    }
}

/// A keyring listing the signing key under `hint`, trusted within `[start, end]`.
fn keyring(hint: &str, start: i64, end: Option<i64>) -> Vec<ManagedKey> {
    let fmt = signet_core::time::format_rfc3339;
    let mut valid_for = serde_json::json!({"start": fmt(start)});
    if let Some(e) = end {
        valid_for["end"] = fmt(e).into();
    }
    let json = serde_json::json!({"keys": [{
        "hint": hint,
        "publicKey": {
            "rawBytes": b64_encode(signing_key().spki_der()),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": valid_for,
        }
    }]});
    ManagedKey::keyring_from_json(json.to_string().as_bytes()).unwrap()
}

/// A trusted root that lists nothing (key-only trust).
fn empty_root() -> TrustedRoot {
    TrustedRoot {
        media_type: "application/vnd.dev.sigstore.trustedroot+json;version=0.1".into(),
        tlogs: vec![],
        certificate_authorities: vec![],
        ctlogs: vec![],
        timestamp_authorities: vec![],
    }
}

fn hint_of(b: &Bundle) -> String {
    b.verification_material
        .public_key
        .as_ref()
        .map(|p| p.hint.clone())
        .unwrap_or_default()
}

// ---------------------------------------------------------------- baselines

#[test]
fn managed_key_baselines_verify() {
    let root = vs().trusted_root();
    let v2 = keyed().rekor_v2_with_tsa();
    let cases: Vec<(&str, Bundle)> = vec![
        ("rekor v1 hashedrekord", message(&keyed())),
        ("rekor v1 dsse", intoto(&keyed())),
        (
            "rekor v1 hashedrekord over the PAE",
            intoto(&keyed().dsse_v2_entry(DsseV2Entry::HashedRekordOverPae)),
        ),
        ("rekor v2 hashedrekord + TSA", message(&v2)),
        ("rekor v2 dsse + TSA", intoto(&v2)),
        (
            "rekor v2 without a timestamp",
            message(&keyed().rekor(RekorVersion::V2)),
        ),
    ];
    for (name, b) in cases {
        assert!(
            b.leaf_certificate_der().is_none(),
            "{name}: has a certificate"
        );
        verify(&root, &b, &[key_file()]).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn keyring_key_inside_its_validity_window_verifies() {
    let b = message(&keyed());
    let t = now();
    verify(
        &vs().trusted_root(),
        &b,
        &keyring(&hint_of(&b), t - 3600, Some(t + 3600)),
    )
    .unwrap();
}

/// sigstore-conformance `managed-key-and-trusted-root`: a trusted root that lists no log
/// requires no log entry for a managed-key bundle.
#[test]
fn trusted_root_without_logs_requires_no_entry_for_a_managed_key() {
    let mut b = message(&keyed());
    b.verification_material.tlog_entries.clear();
    verify(&empty_root(), &b, &[key_file()]).unwrap();
    // ... and a root that lists logs does require one.
    assert_rule(&vs().trusted_root(), &b, &[key_file()], Rule::TlogThreshold);
}

// ---------------------------------------------------------------- key rules

#[test]
fn managed_key_bundle_verified_with_another_key_fails() {
    let other = EcKey::generate(Curve::P256).unwrap();
    let wrong = ManagedKey::from_pem(&pem_encode("PUBLIC KEY", other.spki_der())).unwrap();
    // The log records the signing key, not this one.
    assert_rule(
        &vs().trusted_root(),
        &message(&keyed()),
        std::slice::from_ref(&wrong),
        Rule::TlogBody,
    );
    assert_rule(
        &vs().trusted_root(),
        &message(&keyed().rekor_v2_with_tsa()),
        &[wrong],
        Rule::TlogBody,
    );
}

#[test]
fn managed_key_bundle_without_a_key_fails() {
    assert_rule(
        &vs().trusted_root(),
        &message(&keyed()),
        &[],
        Rule::ManagedKey,
    );
}

#[test]
fn certificate_bundle_verified_as_a_managed_key_bundle_fails() {
    let b = message(&SignOptions::new(
        Identity::email("alice@example.com"),
        "https://accounts.example.com",
    ));
    assert_rule(&vs().trusted_root(), &b, &[key_file()], Rule::ManagedKey);
}

#[test]
fn keyring_without_the_bundles_hint_fails() {
    let b = message(&keyed());
    let t = now();
    let ring = keyring("not-this-bundles-hint", t - 3600, None);
    assert_rule(&vs().trusted_root(), &b, &ring, Rule::ManagedKey);
}

/// GHSA-wqqc-jjcq-vfxm: a key is trusted only inside its validity window.
#[test]
fn ghsa_wqqc_managed_key_used_outside_its_validity_window_fails() {
    let b = message(&keyed());
    let t = now();
    let expired = keyring(&hint_of(&b), t - 7200, Some(t - 3600));
    assert_rule(&vs().trusted_root(), &b, &expired, Rule::ManagedKey);
    let not_yet = keyring(&hint_of(&b), t + 3600, None);
    assert_rule(&vs().trusted_root(), &b, &not_yet, Rule::ManagedKey);
}

#[test]
fn managed_key_window_without_a_verified_signing_time_fails() {
    // Rekor v2 without a timestamp proves no time, so no window can be checked.
    let b = message(&keyed().rekor(RekorVersion::V2));
    let t = now();
    assert_rule(
        &vs().trusted_root(),
        &b,
        &keyring(&hint_of(&b), t - 3600, None),
        Rule::ManagedKey,
    );
}

/// Record `pem` as the public key in a hashedrekord body.
fn set_logged_key(body: &mut Value, pem: String) {
    body["spec"]["signature"]["publicKey"]["content"] = b64_encode(pem).into();
}

/// A managed-key bundle whose logged body `hook` changed (the log signs it validly) fails for
/// the body rule.
fn assert_logged_body_rejected(hook: fn(&mut Value)) {
    let mut o = keyed();
    o.body_hook = Some(hook);
    assert_rule(
        &vs().trusted_root(),
        &message(&o),
        &[key_file()],
        Rule::TlogBody,
    );
}

#[test]
fn log_entry_recording_another_key_fails() {
    fn swap_key(body: &mut Value) {
        let other = EcKey::generate(Curve::P256).unwrap();
        set_logged_key(body, pem_encode("PUBLIC KEY", other.spki_der()));
    }
    assert_logged_body_rejected(swap_key);
}

#[test]
fn log_entry_recording_a_certificate_for_a_managed_key_fails() {
    fn cert_instead(body: &mut Value) {
        let cert = vs().fulcio_chain_der().remove(0);
        set_logged_key(body, pem_encode("CERTIFICATE", &cert));
    }
    assert_logged_body_rejected(cert_instead);
}

#[test]
fn managed_key_signature_over_another_artifact_fails() {
    let b = vs().sign_message(b"another artifact", &keyed()).unwrap();
    // The log records the other artifact's digest: the body rule fires first.
    assert_rule(&vs().trusted_root(), &b, &[key_file()], Rule::TlogBody);
    // Without a log to cross-check, the signature itself fails.
    let mut b = b;
    b.verification_material.tlog_entries.clear();
    assert_rule(&empty_root(), &b, &[key_file()], Rule::Artifact);
}

// ---------------------------------------------------------------- Rekor v1 forms

fn keyless() -> SignOptions {
    SignOptions::new(
        Identity::email("alice@example.com"),
        "https://accounts.example.com",
    )
}

fn keyless_policy() -> Policy {
    Policy::identity("alice@example.com", "https://accounts.example.com")
}

#[test]
fn rekor_v1_hashedrekord_over_the_pae_verifies_keyless() {
    let b = intoto(&keyless().dsse_v2_entry(DsseV2Entry::HashedRekordOverPae));
    Verifier::new(&vs().trusted_root())
        .unwrap()
        .verify(&b, Artifact::Bytes(ARTIFACT), &keyless_policy())
        .unwrap();
}

#[test]
fn rekor_v1_hashedrekord_over_the_payload_instead_of_the_pae_fails() {
    fn payload_digest(body: &mut Value) {
        // The digest of something other than the PAE (here: of the empty string).
        body["spec"]["data"]["hash"]["value"] = hex::encode(sha256(b"")).into();
    }
    let mut o = keyless().dsse_v2_entry(DsseV2Entry::HashedRekordOverPae);
    o.body_hook = Some(payload_digest);
    let err = Verifier::new(&vs().trusted_root())
        .unwrap()
        .verify(&intoto(&o), Artifact::Bytes(ARTIFACT), &keyless_policy())
        .unwrap_err();
    assert_eq!(err.rule(), Some(Rule::TlogBody), "{err}");
}

/// An unsharded Rekor v1 log may name its checkpoints by its host alone (as
/// sigstore-conformance's `intoto-canonical-log-entry` does); the origin still names this log.
#[test]
fn rekor_v1_checkpoint_origin_may_be_the_host_alone() {
    let host = vs().rekor_v1().host().to_string();
    let mut o = keyless();
    o.checkpoint_origin = Some((host.clone(), host));
    Verifier::new(&vs().trusted_root())
        .unwrap()
        .verify(&message(&o), Artifact::Bytes(ARTIFACT), &keyless_policy())
        .unwrap();
    let mut o = keyless();
    o.checkpoint_origin = Some(("evil.example".into(), vs().rekor_v1().host().into()));
    let err = Verifier::new(&vs().trusted_root())
        .unwrap()
        .verify(&message(&o), Artifact::Bytes(ARTIFACT), &keyless_policy())
        .unwrap_err();
    assert_eq!(err.rule(), Some(Rule::CheckpointOrigin), "{err}");
}
