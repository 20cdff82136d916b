//! VirtualSigstore bundles against the real verifier (signet-verify).

mod common;

use common::{opts, replace_timestamp, vs, EMAIL, ISSUER};
use signet_core::bundle::{Bundle, BundleVersion};
use signet_core::checkpoint::Checkpoint;
use signet_core::encoding::{b64_decode, b64_encode};
use signet_core::rekor::EntryBody;
use signet_core::trust::TrustedRoot;
use signet_core::x509::Certificate;
use signet_testing::{
    intoto_statement, now, DsseV2Entry, Identity, RekorVersion, SignOptions, VirtualSigstore,
};
use signet_verify::{Artifact, Policy, TimeSource, Verified, Verifier};

const ARTIFACT: &[u8] = b"hello, virtual sigstore\n";
const GH_SAN: &str = "https://github.com/octo/repo/.github/workflows/release.yml@refs/tags/v1.0.0";
const GH_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn verifier() -> Verifier {
    Verifier::new(&vs().trusted_root()).expect("verifier from the virtual trusted root")
}

fn verify(bundle: &Bundle) -> signet_verify::Result<Verified> {
    verifier().verify(
        bundle,
        Artifact::Bytes(ARTIFACT),
        &Policy::identity(EMAIL, ISSUER),
    )
}

fn verify_err(bundle: &Bundle) -> String {
    verify_err_with(
        &verifier(),
        bundle,
        ARTIFACT,
        &Policy::identity(EMAIL, ISSUER),
    )
}

/// A leaf certificate (and its precertificate) issued with `opts()` for a fresh P-256 key.
fn issue_for_new_key() -> signet_testing::IssuedLeaf {
    let key = signet_testing::keys::EcKey::generate(signet_testing::keys::Curve::P256).unwrap();
    vs().issue_certificate(key.spki_der(), &opts()).unwrap()
}

/// The error verifying a message bundle signed with `o`.
fn message_err(o: &SignOptions) -> String {
    verify_err(&sign(Kind::Message, o))
}

/// `err` names every one of `wants`.
#[track_caller]
fn assert_contains(err: &str, wants: &[&str]) {
    for want in wants {
        assert!(err.contains(want), "{want:?} not in: {err}");
    }
}

/// The error `verifier` gives for `bundle` over `artifact` under `policy`.
fn verify_err_with(
    verifier: &Verifier,
    bundle: &Bundle,
    artifact: &[u8],
    policy: &Policy,
) -> String {
    match verifier.verify(bundle, Artifact::Bytes(artifact), policy) {
        Ok(_) => panic!("bundle unexpectedly verified"),
        Err(e) => e.to_string(),
    }
}

fn roundtrip(b: &Bundle) -> Bundle {
    Bundle::from_json(b.to_json().unwrap().as_bytes()).unwrap()
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Message,
    Dsse,
    DssePae,
}

fn sign(kind: Kind, o: &SignOptions) -> Bundle {
    match kind {
        Kind::Message => vs().sign_message(ARTIFACT, o).unwrap(),
        Kind::Dsse => vs().sign_intoto("hello.txt", ARTIFACT, o).unwrap(),
        Kind::DssePae => vs()
            .sign_intoto(
                "hello.txt",
                ARTIFACT,
                &o.clone().dsse_v2_entry(DsseV2Entry::HashedRekordOverPae),
            )
            .unwrap(),
    }
}

#[test]
fn trusted_root_json_parses() {
    let json = vs().trusted_root_json().unwrap();
    let parsed = TrustedRoot::from_json(json.as_bytes()).unwrap();
    assert_eq!(parsed, vs().trusted_root());
    assert_eq!(parsed.tlogs.len(), 2);
    assert_eq!(parsed.tlogs[1].public_key.key_details, "PKIX_ED25519");
    assert_eq!(
        parsed.certificate_authorities[0]
            .cert_chain
            .certificates
            .len(),
        2
    );
    assert_eq!(
        parsed.timestamp_authorities[0]
            .cert_chain
            .certificates
            .len(),
        2
    );
    Verifier::new(&parsed).unwrap();
}

#[test]
fn matrix_verifies_and_roundtrips() {
    let mut n = 0;
    for kind in [Kind::Message, Kind::Dsse, Kind::DssePae] {
        for rekor in [RekorVersion::V1, RekorVersion::V2] {
            if matches!(kind, Kind::DssePae) && rekor == RekorVersion::V1 {
                continue; // the PAE-as-hashedrekord choice only exists for Rekor v2
            }
            for version in [BundleVersion::V01, BundleVersion::V02, BundleVersion::V03] {
                let mut o = opts().rekor(rekor).bundle_version(version);
                if rekor == RekorVersion::V2 {
                    o = o.with_timestamp(true);
                    if version == BundleVersion::V01 {
                        let err = vs().sign_message(ARTIFACT, &o).unwrap_err().to_string();
                        assert!(err.contains("v0.1"), "{err}");
                        continue;
                    }
                }
                let what = format!("{kind:?} {rekor:?} {version:?}");
                let b = sign(kind, &o);
                assert_eq!(b.version().unwrap(), version, "{what}");
                let v = verify(&b).unwrap_or_else(|e| panic!("{what}: {e}"));
                let rt = roundtrip(&b);
                assert_eq!(rt, b, "{what}: JSON round trip changed the bundle");
                verify(&rt).unwrap_or_else(|e| panic!("{what} after JSON round trip: {e}"));
                match rekor {
                    RekorVersion::V1 => assert!(
                        matches!(
                            v.signing_times[..],
                            [(_, TimeSource::TransparencyLog { .. })]
                        ),
                        "{what}: {:?}",
                        v.signing_times
                    ),
                    RekorVersion::V2 => assert!(
                        matches!(v.signing_times[..], [(_, TimeSource::Timestamp { .. })]),
                        "{what}: {:?}",
                        v.signing_times
                    ),
                }
                assert_eq!(
                    v.statement.is_some(),
                    !matches!(kind, Kind::Message),
                    "{what}"
                );
                n += 1;
            }
        }
    }
    assert_eq!(n, 3 + 2 + 3 + 2 + 2);
}

#[test]
fn rekor_v1_with_tsa_gives_two_signing_times() {
    let b = sign(Kind::Message, &opts().with_timestamp(true));
    let v = verify(&b).unwrap();
    assert_eq!(v.signing_times.len(), 2, "{:?}", v.signing_times);
}

#[test]
fn uri_identity_with_github_extensions() {
    let o = SignOptions::new(Identity::uri(GH_SAN), GH_ISSUER)
        .extension(2, "push")
        .extension(3, "0123456789abcdef0123456789abcdef01234567")
        .extension(5, "octo/repo")
        .extension(6, "refs/tags/v1.0.0")
        .extension(12, "https://github.com/octo/repo")
        .extension(14, "refs/tags/v1.0.0");
    let b = vs().sign_message(ARTIFACT, &o).unwrap();
    let policy = Policy::github(
        Some(signet_verify::IdentityMatcher::Exact(GH_SAN.into())),
        Some("push".into()),
        Some("0123456789abcdef0123456789abcdef01234567".into()),
        None,
        Some("octo/repo".into()),
        Some("refs/tags/v1.0.0".into()),
    );
    let v = verifier()
        .verify(&b, Artifact::Bytes(ARTIFACT), &policy)
        .unwrap();
    assert_eq!(
        v.certificate.fulcio_extension(12).unwrap().as_deref(),
        Some("https://github.com/octo/repo")
    );
    let bad = Policy::github(None, None, None, None, Some("octo/other".into()), None);
    let err = verify_err_with(&verifier(), &b, ARTIFACT, &bad);
    assert!(
        err.contains("octo/other") && err.contains("octo/repo"),
        "{err}"
    );
    assert!(vs()
        .sign_message(ARTIFACT, &opts().extension(8, "x"))
        .is_err());
}

#[test]
fn artifact_digest_only_verifies() {
    let b = sign(Kind::Message, &opts());
    let d = signet_core::encoding::sha256(ARTIFACT);
    verifier()
        .verify(&b, Artifact::Sha256(d), &Policy::identity(EMAIL, ISSUER))
        .unwrap();
}

/// `Certificate::from_der` walks the DER with borrowed readers instead of x509-cert's owned
/// decode: it must accept and refuse exactly the same inputs, and read the same values.
#[test]
fn certificate_parse_agrees_with_x509_cert() {
    use der::{Decode, Encode};
    let issued = issue_for_new_key();
    let check = |der: &[u8]| {
        let ours = Certificate::from_der(der);
        let theirs = x509_cert::Certificate::from_der(der);
        assert_eq!(ours.is_ok(), theirs.is_ok(), "{}", hex::encode(der));
        let (Ok(c), Ok(o)) = (ours, theirs) else {
            return;
        };
        let tbs = &o.tbs_certificate;
        assert_eq!(c.inner(), &o);
        assert_eq!(c.issuer_der().unwrap(), tbs.issuer.to_der().unwrap());
        assert_eq!(c.subject_der().unwrap(), tbs.subject.to_der().unwrap());
        assert_eq!(
            c.spki_der(),
            tbs.subject_public_key_info.to_der().unwrap().as_slice()
        );
        assert_eq!(c.signature(), o.signature.raw_bytes());
        assert_eq!(c.signature_algorithm(), o.signature_algorithm.oid);
        assert_eq!(
            c.signature_algorithms_agree(),
            tbs.signature == o.signature_algorithm
        );
        assert_eq!(c.serial_bytes(), tbs.serial_number.as_bytes());
        assert_eq!(
            c.not_before() as u64,
            tbs.validity.not_before.to_unix_duration().as_secs()
        );
        assert_eq!(
            c.not_after() as u64,
            tbs.validity.not_after.to_unix_duration().as_secs()
        );
        let exts = tbs.extensions.as_deref().unwrap_or(&[]);
        assert_eq!(c.extensions(), exts);
        assert!(c
            .critical_extension_oids()
            .eq(exts.iter().filter(|e| e.critical).map(|e| &e.extn_id)));
        for e in exts {
            let dup = exts.iter().filter(|x| x.extn_id == e.extn_id).count() > 1;
            match c.extension_value(&e.extn_id) {
                Ok(v) => {
                    assert!(!dup);
                    assert_eq!(v, Some((e.critical, e.extn_value.as_bytes())));
                }
                Err(_) => assert!(dup),
            }
        }
    };
    for der in [&issued.der, &issued.precert_der] {
        check(der);
        for i in 0..der.len() {
            for bit in [0x01u8, 0x80] {
                let mut m = der.clone();
                m[i] ^= bit;
                check(&m);
            }
            check(&der[..i]);
        }
        let mut trailing = der.clone();
        trailing.push(0);
        check(&trailing);
    }
}

#[test]
fn leaf_follows_fulcio_profile() {
    let b = sign(Kind::Message, &opts().at(1_700_000_000));
    let leaf = Certificate::from_der(b.leaf_certificate_der().unwrap()).unwrap();
    assert_eq!(leaf.subject(), "");
    assert_eq!(leaf.not_before(), 1_700_000_000);
    assert_eq!(leaf.not_after(), 1_700_000_600);
    let serial = leaf.serial_bytes();
    assert!(
        serial.len() >= 19 && serial.len() <= 20 && serial[0] & 0x80 == 0,
        "{serial:?}"
    );
    let (crit, _) = leaf.key_usage().unwrap().unwrap();
    assert!(crit);
    assert_eq!(leaf.fulcio_extension(1).unwrap().as_deref(), Some(ISSUER));
    assert_eq!(leaf.fulcio_extension(8).unwrap().as_deref(), Some(ISSUER));
    let san = leaf
        .extension(&signet_core::x509::OID_SAN)
        .unwrap()
        .unwrap();
    assert!(san.critical);
    // SKI and AKI present.
    for oid in ["2.5.29.14", "2.5.29.35"] {
        let oid = oid.parse().unwrap();
        assert!(leaf.extension(&oid).unwrap().is_some(), "{oid}");
    }
    // The SCT covers the final TBS minus the SCT extension: what the precert TBS minus poison is.
    let issued = issue_for_new_key();
    let fin = Certificate::from_der(&issued.der).unwrap();
    assert_eq!(fin.precert_tbs_der().unwrap(), issued.sct_signed_tbs);
    let pre = Certificate::from_der(&issued.precert_der).unwrap();
    assert!(
        pre.extension(&signet_core::x509::OID_CT_POISON)
            .unwrap()
            .unwrap()
            .critical
    );
    assert!(pre.sct_list().unwrap().is_none());
}

#[test]
fn bodies_parse_as_signet_core_expects() {
    for (kind, rekor) in [
        (Kind::Message, RekorVersion::V1),
        (Kind::Message, RekorVersion::V2),
        (Kind::Dsse, RekorVersion::V1),
        (Kind::Dsse, RekorVersion::V2),
        (Kind::DssePae, RekorVersion::V2),
    ] {
        let b = sign(kind, &opts().rekor(rekor).with_timestamp(true));
        let e = &b.verification_material.tlog_entries[0];
        let body = EntryBody::parse(
            &e.canonicalized_body,
            &e.kind_version.kind,
            &e.kind_version.version,
        )
        .unwrap_or_else(|err| panic!("{kind:?} {rekor:?}: {err}"));
        let expected = match (kind, rekor) {
            (Kind::Message, RekorVersion::V1) => matches!(body, EntryBody::HashedRekordV001(_)),
            (Kind::Message, RekorVersion::V2) | (Kind::DssePae, _) => {
                matches!(body, EntryBody::HashedRekordV002(_))
            }
            (Kind::Dsse, RekorVersion::V1) => matches!(body, EntryBody::DsseV001(_)),
            (Kind::Dsse, RekorVersion::V2) => matches!(body, EntryBody::DsseV002(_)),
        };
        assert!(expected, "{kind:?} {rekor:?}: {body:?}");
        // Canonical: re-canonicalizing the body changes nothing.
        let v: serde_json::Value = serde_json::from_slice(&e.canonicalized_body).unwrap();
        assert_eq!(
            serde_json_canonicalizer::to_vec(&v).unwrap(),
            e.canonicalized_body
        );
        // Non-trivial proofs (the logs are pre-filled).
        let p = e.inclusion_proof.as_ref().unwrap();
        assert!(p.tree_size > 3 && !p.hashes.is_empty(), "{p:?}");
        match rekor {
            RekorVersion::V1 => {
                assert_eq!(
                    e.log_index,
                    p.log_index + signet_testing::REKOR_V1_SHARD_OFFSET
                );
                assert!(e.integrated_time.is_some() && e.inclusion_promise.is_some());
                let cp = Checkpoint::parse(&p.checkpoint.envelope).unwrap();
                assert!(cp
                    .origin
                    .starts_with(&format!("{} - ", signet_testing::REKOR_V1_HOST)));
            }
            RekorVersion::V2 => {
                assert_eq!(e.log_index, p.log_index);
                assert!(e.integrated_time.is_none() && e.inclusion_promise.is_none());
                let cp = Checkpoint::parse(&p.checkpoint.envelope).unwrap();
                assert_eq!(cp.origin, signet_testing::REKOR_V2_ORIGIN);
            }
        }
    }
}

// ----- negative tests ---------------------------------------------------------------------

#[test]
fn rekor_v2_without_timestamp_has_no_signing_time() {
    for kind in [Kind::Message, Kind::Dsse] {
        let b = sign(kind, &opts().rekor(RekorVersion::V2));
        let err = verify_err(&b);
        assert!(err.contains("no verified signing time"), "{kind:?}: {err}");
    }
}

#[test]
fn timestamp_from_untrusted_tsa_fails() {
    let other = VirtualSigstore::new().unwrap();
    let mut b = sign(Kind::Message, &opts().rekor_v2_with_tsa());
    let sig = b.signature_bytes().unwrap().to_vec();
    replace_timestamp(&mut b, other.timestamp(&sig, now()).unwrap());
    assert_contains(
        &verify_err(&b),
        &["timestamp #0", "no trusted timestamp authority"],
    );
    // And the same bundle verifies against the other deployment's TSA... but not its CA.
    let err = verify_err_with(
        &Verifier::new(&other.trusted_root()).unwrap(),
        &b,
        ARTIFACT,
        &Policy::identity(EMAIL, ISSUER),
    );
    assert!(!err.contains("timestamp #0"), "{err}");
}

#[test]
fn timestamp_over_another_signature_fails() {
    for kind in [Kind::Message, Kind::Dsse] {
        let mut b = sign(kind, &opts().rekor_v2_with_tsa());
        replace_timestamp(
            &mut b,
            vs().timestamp(b"some other signature", now()).unwrap(),
        );
        let err = verify_err(&b);
        assert!(
            err.contains("message imprint does not match"),
            "{kind:?}: {err}"
        );
    }
}

#[test]
fn timestamp_outside_leaf_validity_fails() {
    let t = now();
    let mut o = opts().rekor_v2_with_tsa().at(t);
    o.timestamp_time = Some(t + 3600);
    assert_contains(&message_err(&o), &["does not cover the signing time"]);
}

#[test]
fn leaf_not_valid_at_signing_time_fails() {
    let t = now();
    for o in [
        opts().at(t).cert_not_before(t - 3600),
        opts().at(t).cert_not_before(t + 60),
        opts().rekor_v2_with_tsa().at(t).cert_not_before(t - 3600),
    ] {
        assert_contains(
            &message_err(&o),
            &["certificate chain", "does not cover the signing time"],
        );
    }
}

#[test]
fn wrong_identity_names_expected_and_found() {
    let email = sign(Kind::Message, &opts());
    let uri = sign(
        Kind::Dsse,
        &SignOptions::new(Identity::uri(GH_SAN), GH_ISSUER).rekor_v2_with_tsa(),
    );
    for (b, policy, wants) in [
        (
            &email,
            Policy::identity("bob@example.com", ISSUER),
            &["bob@example.com", EMAIL][..],
        ),
        (
            &email,
            Policy::identity(EMAIL, "https://other.example"),
            &["https://other.example", ISSUER],
        ),
        (
            &uri,
            Policy::identity(EMAIL, GH_ISSUER),
            &[GH_SAN, EMAIL, "URI"],
        ),
    ] {
        assert_contains(&verify_err_with(&verifier(), b, ARTIFACT, &policy), wants);
    }
}

#[test]
fn flipped_ed25519_checkpoint_signature_fails() {
    let mut b = sign(Kind::Message, &opts().rekor_v2_with_tsa());
    verify(&b).unwrap();
    let cp = &mut b.verification_material.tlog_entries[0]
        .inclusion_proof
        .as_mut()
        .unwrap()
        .checkpoint
        .envelope;
    let (head, sig_line) = cp.rsplit_once(' ').unwrap();
    let mut raw = b64_decode("sig", sig_line.trim_end()).unwrap();
    assert_eq!(raw.len(), 4 + 64);
    raw[10] ^= 0x01;
    *cp = format!("{head} {}\n", b64_encode(&raw));
    assert_contains(
        &verify_err(&b),
        &["transparency log entry #0", "checkpoint signature"],
    );
}

#[test]
fn tampered_inclusion_proof_fails() {
    let mut b = sign(Kind::Dsse, &opts());
    b.verification_material.tlog_entries[0]
        .inclusion_proof
        .as_mut()
        .unwrap()
        .hashes[0][3] ^= 1;
    assert_contains(&verify_err(&b), &["inclusion proof"]);
}

#[test]
fn tampered_set_fails() {
    let mut b = sign(Kind::Message, &opts());
    let e = &mut b.verification_material.tlog_entries[0];
    e.integrated_time = e.integrated_time.map(|t| t + 1);
    assert_contains(&verify_err(&b), &["signed entry timestamp"]);
}

#[test]
fn sct_from_unknown_log_fails() {
    let mut o = opts();
    o.sct_from_untrusted_log = true;
    assert_contains(&message_err(&o), &["SCT", "unknown log"]);
}

#[test]
fn trusted_root_without_ca_fails() {
    let b = sign(Kind::Message, &opts());
    let mut root = vs().trusted_root();
    root.certificate_authorities.clear();
    let err = verify_err_with(
        &Verifier::new(&root).unwrap(),
        &b,
        ARTIFACT,
        &Policy::identity(EMAIL, ISSUER),
    );
    assert!(
        err.contains("certificate chain") && err.contains("not a certificate authority"),
        "{err}"
    );
}

#[test]
fn other_deployment_does_not_verify() {
    let other = VirtualSigstore::new().unwrap();
    let b = other.sign_message(ARTIFACT, &opts()).unwrap();
    assert_contains(
        &verify_err(&b),
        &["not a transparency log in the trusted root"],
    );
}

#[test]
fn wrong_artifact_fails() {
    for kind in [Kind::Message, Kind::Dsse] {
        let b = sign(kind, &opts());
        let err = verify_err_with(&verifier(), &b, b"other", &Policy::identity(EMAIL, ISSUER));
        assert!(err.contains("artifact"), "{kind:?}: {err}");
    }
}

#[test]
fn statement_subject_is_the_artifact() {
    let st = intoto_statement("x", ARTIFACT).unwrap();
    let parsed = signet_core::intoto::Statement::from_json(&st).unwrap();
    assert!(parsed.has_sha256_subject(&hex::encode(signet_core::encoding::sha256(ARTIFACT))));
}

// ----- known verifier gaps (see the crate report) -------------------------------------------

/// A hashedrekord entry whose logged digest is of a *different* artifact must not be accepted.
/// signet-verify's `check_body` only compares the logged digest with the bundle's optional
/// `messageDigest`, never with the artifact, so when `messageDigest` is absent this verifies.
#[test]
fn logged_digest_of_another_artifact_is_rejected() {
    use signet_core::encoding::sha256;
    let mut accepted = vec![];
    for rekor in [RekorVersion::V1, RekorVersion::V2] {
        let mut b = sign(Kind::Message, &opts().rekor(rekor).with_timestamp(true));
        let ms = b.message_signature.as_mut().unwrap();
        ms.message_digest = None;
        let sig = ms.signature.clone();
        let cert = Certificate::from_der(b.leaf_certificate_der().unwrap()).unwrap();
        let other = sha256(b"some other artifact");
        let e = &mut b.verification_material.tlog_entries[0];
        *e = match rekor {
            RekorVersion::V1 => {
                let body = serde_json::json!({"apiVersion":"0.0.1","kind":"hashedrekord","spec":{
                    "data":{"hash":{"algorithm":"sha256","value":hex::encode(other)}},
                    "signature":{"content":b64_encode(&sig),"publicKey":{"content":b64_encode(cert.to_pem())}}}});
                let body = serde_json_canonicalizer::to_vec(&body).unwrap();
                vs().rekor_v1()
                    .append(body, "hashedrekord", "0.0.1", e.integrated_time.unwrap())
                    .unwrap()
            }
            RekorVersion::V2 => {
                let body = serde_json::json!({"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{
                    "data":{"algorithm":"SHA2_256","digest":b64_encode(other)},
                    "signature":{"content":b64_encode(&sig),"verifier":{
                        "x509Certificate":{"rawBytes":b64_encode(cert.der())},"keyDetails":"PKIX_ECDSA_P256_SHA_256"}}}}});
                let body = serde_json_canonicalizer::to_vec(&body).unwrap();
                vs().rekor_v2()
                    .append(body, "hashedrekord", "0.0.2")
                    .unwrap()
            }
        };
        if verify(&b).is_ok() {
            accepted.push(rekor);
        }
    }
    assert!(
        accepted.is_empty(),
        "log entries for another artifact were accepted with {accepted:?}"
    );
}

/// sigstore-go rejects bundles with duplicate timestamps or tlog entries; signet-verify counts
/// each copy toward its thresholds (harmless at the default thresholds of 1, wrong above).
#[test]
fn duplicate_timestamps_and_tlog_entries_are_rejected() {
    let mut b = sign(Kind::Message, &opts().with_timestamp(true));
    let ts = b.rfc3161_timestamps()[0].clone();
    b.verification_material
        .timestamp_verification_data
        .as_mut()
        .unwrap()
        .rfc3161_timestamps
        .push(ts);
    let dup_ts = verify(&b).map(|v| v.signing_times.len());
    let mut b = sign(Kind::Message, &opts());
    let e = b.verification_material.tlog_entries[0].clone();
    b.verification_material.tlog_entries.push(e);
    let dup_tlog = verify(&b).map(|v| v.signing_times.len());
    assert!(
        dup_ts.is_err() && dup_tlog.is_err(),
        "duplicates accepted: timestamps {dup_ts:?}, tlog entries {dup_tlog:?}"
    );
}
