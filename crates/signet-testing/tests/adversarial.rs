//! The adversarial suite: for every verification rule, a bundle made by VirtualSigstore with
//! exactly that flaw (everything else validly signed), rejected for that rule; and the valid
//! baselines, accepted. Tests match the [`Rule`], not message text.

mod common;

use common::{opts, replace_timestamp, vs, EMAIL, ISSUER};
use serde_json::{json, Value};
use signet_core::bundle::{Bundle, BundleVersion, MEDIA_TYPE_V01};
use signet_core::certs::{bc_ext, eku_ext, ext, ku_ext, poison_ext, raw_ext, Ca};
use signet_core::encoding::{b64_encode, sha256};
use signet_core::keys::{Curve, EcKey};
use signet_core::trust::TrustedRoot;
use signet_core::tsa::TimestampSigner;
use signet_core::x509::{OID_EKU_CODE_SIGNING, OID_EKU_TIME_STAMPING};
use signet_testing::{
    now, CaProfile, DsseV2Entry, RekorVersion, SignOptions, VirtualSigstore, VALID_FROM,
    VALID_UNTIL,
};
use signet_verify::{Artifact, Policy, Rule, Thresholds, Verifier};
use x509_cert::ext::pkix::constraints::name::{GeneralSubtree, NameConstraints};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

const ARTIFACT: &[u8] = b"adversarial artifact\n";

fn policy() -> Policy {
    Policy::identity(EMAIL, ISSUER)
}

fn verify_with(v: &VirtualSigstore, b: &Bundle) -> signet_verify::Result<signet_verify::Verified> {
    Verifier::new(&v.trusted_root())?.verify(b, Artifact::Bytes(ARTIFACT), &policy())
}

/// The rule a bundle is rejected for (panics if it verifies).
fn rule_of(v: &VirtualSigstore, b: &Bundle) -> (Option<Rule>, String) {
    match verify_with(v, b) {
        Ok(_) => panic!("bundle unexpectedly verified"),
        Err(e) => (e.rule(), e.to_string()),
    }
}

#[track_caller]
fn assert_rule(v: &VirtualSigstore, b: &Bundle, rule: Rule) {
    let (got, msg) = rule_of(v, b);
    assert_eq!(got, Some(rule), "expected {rule:?}, got {got:?}: {msg}");
}

/// A message signed on `v` with `opts()` fails `v`'s verification for `rule`.
fn assert_signing_on_fails(v: &VirtualSigstore, rule: Rule) {
    assert_rule(v, &sign_on(v, &opts()), rule);
}

/// A verifier on the (edited) trusted `root` rejects `b` for `rule`.
fn assert_rule_under_root(root: &TrustedRoot, b: &Bundle, rule: Rule) {
    let err = Verifier::new(root)
        .unwrap()
        .verify(b, Artifact::Bytes(ARTIFACT), &policy())
        .unwrap_err();
    assert_eq!(err.rule(), Some(rule), "{err}");
}

fn message(o: &SignOptions) -> Bundle {
    vs().sign_message(ARTIFACT, o).unwrap()
}

fn intoto(o: &SignOptions) -> Bundle {
    vs().sign_intoto("a.txt", ARTIFACT, o).unwrap()
}

fn v2() -> SignOptions {
    opts().rekor_v2_with_tsa()
}

// ---------------------------------------------------------------- baselines

#[test]
fn baselines_verify() {
    let cases: Vec<(&str, Bundle)> = vec![
        ("rekor v1", message(&opts())),
        ("rekor v1 dsse", intoto(&opts())),
        (
            "rekor v1 v0.1",
            message(&opts().bundle_version(BundleVersion::V01)),
        ),
        ("rekor v2 + tsa", message(&v2())),
        ("rekor v2 dsse", intoto(&v2())),
        (
            "rekor v2 dsse as hashedrekord over PAE",
            intoto(&v2().dsse_v2_entry(DsseV2Entry::HashedRekordOverPae)),
        ),
        ("leaf issued by the root", {
            let mut o = opts();
            o.issue_from_root = true;
            message(&o)
        }),
    ];
    for (what, b) in cases {
        verify_with(vs(), &b).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
}

// ---------------------------------------------------------------- 1. unproven log entries

#[test]
fn garbage_set_without_integrated_time_or_proof_in_v01_with_timestamp_fails() {
    let mut o = opts()
        .bundle_version(BundleVersion::V01)
        .with_timestamp(true);
    o.entry_hook = Some(|e| {
        e.integrated_time = None;
        e.inclusion_proof = None;
        if let Some(p) = e.inclusion_promise.as_mut() {
            p.signed_entry_timestamp = b"garbage".to_vec();
        }
    });
    assert_rule(vs(), &message(&o), Rule::InclusionPromise);
}

#[test]
fn empty_set_is_a_failure_not_no_set() {
    let mut o = opts().with_timestamp(true);
    o.entry_hook = Some(|e| {
        if let Some(p) = e.inclusion_promise.as_mut() {
            p.signed_entry_timestamp.clear();
        }
    });
    assert_rule(vs(), &message(&o), Rule::InclusionPromise);
}

#[test]
fn set_without_integrated_time_fails() {
    let mut o = opts().with_timestamp(true);
    o.entry_hook = Some(|e| e.integrated_time = None);
    assert_rule(vs(), &message(&o), Rule::InclusionPromise);
}

#[test]
fn rekor_v2_set_proves_nothing_in_a_v01_bundle() {
    // A v0.1 bundle needs a verified SET; an SET on a Rekor v2 entry gives neither a time nor
    // proof of inclusion.
    let mut o = v2().bundle_version(BundleVersion::V02);
    o.v2_set_time = Some(o.signing_time);
    let mut b = message(&o);
    b.media_type = MEDIA_TYPE_V01.into();
    b.verification_material.tlog_entries[0].inclusion_proof = None;
    assert_rule(vs(), &b, Rule::TlogUnproven);
}

/// GHSA-9vcr-p3rj-q5q6: a threshold of 2 logs is not met by two entries in one log.
#[test]
fn ghsa_9vcr_p3rj_q5q6_threshold_counts_distinct_logs() {
    let b = intoto(&v2());
    let leaf = b.leaf_certificate_der().unwrap().to_vec();
    let env = b.dsse_envelope.clone().unwrap();
    // The same signature logged a second time in the same log, as a hashedrekord over the PAE.
    let body = json!({
        "apiVersion": "0.0.2",
        "kind": "hashedrekord",
        "spec": {"hashedRekordV002": {
            "data": {"algorithm": "SHA2_256", "digest": b64_encode(sha256(&env.pae()))},
            "signature": {
                "content": b64_encode(&env.signatures[0].sig),
                "verifier": {
                    "x509Certificate": {"rawBytes": b64_encode(&leaf)},
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                }
            }
        }}
    });
    let second = vs()
        .rekor_v2()
        .append(
            serde_json_canonicalizer::to_vec(&body).unwrap(),
            "hashedrekord",
            "0.0.2",
        )
        .unwrap();
    let mut two = b.clone();
    two.verification_material.tlog_entries.push(second);
    let strict = Verifier::with_thresholds(
        &vs().trusted_root(),
        Thresholds {
            tlog: 2,
            ..Thresholds::default()
        },
    )
    .unwrap();
    // Both entries verify one by one...
    Verifier::new(&vs().trusted_root())
        .unwrap()
        .verify(&two, Artifact::Bytes(ARTIFACT), &policy())
        .unwrap();
    // ...but they are one log.
    let err = strict
        .verify(&two, Artifact::Bytes(ARTIFACT), &policy())
        .unwrap_err();
    assert_eq!(err.rule(), Some(Rule::TlogThreshold), "{err}");
}

/// Two entries, one from a log the trusted root does not list: sigstore-go skips the unknown
/// one, sigstore-python and sigstore-js reject the bundle. Signet rejects (docs/verification.md).
#[test]
fn entry_from_an_unknown_log_beside_a_valid_one_is_rejected() {
    let other = VirtualSigstore::new().unwrap();
    let mut b = message(&opts());
    let foreign = other.sign_message(ARTIFACT, &opts()).unwrap();
    b.verification_material
        .tlog_entries
        .push(foreign.verification_material.tlog_entries[0].clone());
    assert_rule(vs(), &b, Rule::TlogUnknownLog);
}

// ---------------------------------------------------------------- 2. certificate path

fn ca_vs(p: CaProfile) -> VirtualSigstore {
    VirtualSigstore::with_ca_profile(p).unwrap()
}

/// A deployment whose intermediate CA carries exactly `exts`.
fn intermediate_vs(exts: Vec<signet_testing::Extension>) -> VirtualSigstore {
    ca_vs(CaProfile {
        intermediate_extensions: Some(exts),
        ..Default::default()
    })
}

fn ca_exts() -> Vec<signet_testing::Extension> {
    vec![ku_ext(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)).unwrap()]
}

/// `ca_exts()`, basic constraints for a CA with no CA below it, then `extra`.
fn pathlen0_ca_exts(
    extra: impl IntoIterator<Item = signet_testing::Extension>,
) -> Vec<signet_testing::Extension> {
    let mut exts = ca_exts();
    exts.push(bc_ext(Some(0)).unwrap());
    exts.extend(extra);
    exts
}

fn sign_on(v: &VirtualSigstore, o: &SignOptions) -> Bundle {
    v.sign_message(ARTIFACT, o).unwrap()
}

#[test]
fn leaf_with_unprocessed_critical_extension_fails() {
    let mut o = opts();
    o.leaf_extensions = vec![raw_ext(
        const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"),
        true,
        vec![0x05, 0x00],
    )
    .unwrap()];
    assert_rule(vs(), &message(&o), Rule::UnhandledCriticalExtension);
    // The same extension, not critical, is fine.
    o.leaf_extensions = vec![raw_ext(
        const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"),
        false,
        vec![0x05, 0x00],
    )
    .unwrap()];
    verify_with(vs(), &message(&o)).unwrap();
}

#[test]
fn precertificate_as_leaf_fails() {
    let mut o = opts();
    o.leaf_extensions = vec![poison_ext().unwrap()];
    assert_rule(vs(), &message(&o), Rule::PrecertificatePoison);
}

#[test]
fn leaf_tbs_signature_algorithm_differs_from_outer_fails() {
    let mut o = opts();
    // The CA key is P-384 (ecdsa-with-SHA384); the TBS claims ecdsa-with-SHA256.
    o.leaf_tbs_signature_algorithm = Some(const_oid::ObjectIdentifier::new_unwrap(
        "1.2.840.10045.4.3.2",
    ));
    assert_rule(vs(), &message(&o), Rule::SignatureAlgorithmMismatch);
}

#[test]
fn ca_without_basic_constraints_fails() {
    let v = intermediate_vs(ca_exts());
    assert_signing_on_fails(&v, Rule::CaConstraints);
}

#[test]
fn ca_without_key_cert_sign_fails() {
    let v = intermediate_vs(vec![
        ku_ext(KeyUsage(KeyUsages::DigitalSignature.into())).unwrap(),
        bc_ext(Some(0)).unwrap(),
    ]);
    assert_signing_on_fails(&v, Rule::CaConstraints);
}

#[test]
fn ca_with_unprocessed_critical_extension_fails() {
    let v = intermediate_vs(pathlen0_ca_exts([raw_ext(
        const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.2"),
        true,
        vec![0x05, 0x00],
    )
    .unwrap()]));
    assert_signing_on_fails(&v, Rule::UnhandledCriticalExtension);
}

#[test]
fn violated_path_length_fails() {
    // The root allows no intermediate below it, and the leaf's issuer is one.
    let v = ca_vs(CaProfile {
        root_extensions: Some(pathlen0_ca_exts([])),
        ..Default::default()
    });
    assert_signing_on_fails(&v, Rule::PathLength);
    // A leaf issued by that root directly is within the constraint.
    let mut o = opts();
    o.issue_from_root = true;
    verify_with(&v, &sign_on(&v, &o)).unwrap();
}

/// A deployment whose intermediate CA has name constraints permitting and excluding (at most)
/// one subtree each.
fn nc_vs(permitted: Option<GeneralSubtree>, excluded: Option<GeneralSubtree>) -> VirtualSigstore {
    let nc = NameConstraints {
        permitted_subtrees: permitted.map(|t| vec![t]),
        excluded_subtrees: excluded.map(|t| vec![t]),
    };
    intermediate_vs(pathlen0_ca_exts([ext(
        const_oid::ObjectIdentifier::new_unwrap("2.5.29.30"),
        true,
        &nc,
    )
    .unwrap()]))
}

fn subtree(base: GeneralName, minimum: u32) -> GeneralSubtree {
    GeneralSubtree {
        base,
        minimum,
        maximum: None,
    }
}

fn rfc822(s: &str) -> GeneralName {
    GeneralName::Rfc822Name(der::asn1::Ia5String::new(s).unwrap())
}

#[test]
fn name_constraints_excluding_the_san_fail() {
    let v = nc_vs(None, Some(subtree(rfc822("example.com"), 0)));
    assert_signing_on_fails(&v, Rule::NameConstraints);
}

#[test]
fn name_constraints_not_permitting_the_san_fail_and_permitting_pass() {
    let v = nc_vs(Some(subtree(rfc822("other.example"), 0)), None);
    assert_signing_on_fails(&v, Rule::NameConstraints);
    let ok = nc_vs(Some(subtree(rfc822("example.com"), 0)), None);
    verify_with(&ok, &sign_on(&ok, &opts())).unwrap();
}

#[test]
fn name_constraints_the_verifier_cannot_evaluate_fail() {
    let v = nc_vs(Some(subtree(rfc822("example.com"), 1)), None);
    assert_signing_on_fails(&v, Rule::NameConstraints);
}

#[test]
fn ca_whose_eku_excludes_code_signing_fails() {
    let v = intermediate_vs(pathlen0_ca_exts([eku_ext(
        vec![OID_EKU_TIME_STAMPING],
        false,
    )
    .unwrap()]));
    assert_signing_on_fails(&v, Rule::EkuChaining);
    // An EKU naming code signing is fine.
    let v = intermediate_vs(pathlen0_ca_exts([eku_ext(
        vec![OID_EKU_CODE_SIGNING],
        false,
    )
    .unwrap()]));
    verify_with(&v, &sign_on(&v, &opts())).unwrap();
}

/// CVE-2026-24122: an expired intermediate must not be accepted, even when the trusted root's
/// `validFor` for the CA still covers the signing time.
#[test]
fn cve_2026_24122_expired_intermediate_fails() {
    let v = ca_vs(CaProfile {
        intermediate_validity: Some((VALID_FROM, now() - 86_400)),
        ..Default::default()
    });
    assert_signing_on_fails(&v, Rule::ChainValidity);
}

// ---------------------------------------------------------------- 3. checkpoint origin

#[test]
fn rekor_v1_checkpoint_under_another_origin_fails() {
    let mut o = opts();
    o.checkpoint_origin = Some(("evil.example - 42".into(), "evil.example".into()));
    assert_rule(vs(), &message(&o), Rule::CheckpointOrigin);
}

#[test]
fn rekor_v1_checkpoint_under_another_signer_name_fails() {
    let mut o = opts();
    o.checkpoint_origin = Some((vs().rekor_v1().origin(), "evil.example".into()));
    assert_rule(vs(), &message(&o), Rule::CheckpointSignature);
}

#[test]
fn rekor_v2_checkpoint_under_another_origin_fails() {
    let mut o = v2();
    o.checkpoint_origin = Some(("evil.example".into(), "evil.example".into()));
    assert_rule(vs(), &message(&o), Rule::CheckpointOrigin);
}

// ---------------------------------------------------------------- 4. exact Rekor v2 bodies

fn v2_body_flaw(hook: fn(&mut Value), dsse: bool) {
    let mut o = v2();
    o.body_hook = Some(hook);
    let b = if dsse { intoto(&o) } else { message(&o) };
    assert_rule(vs(), &b, Rule::TlogBody);
}

#[test]
fn rekor_v2_body_with_an_extra_field_fails() {
    v2_body_flaw(
        |b| b["spec"]["hashedRekordV002"]["extra"] = json!("x"),
        false,
    );
    v2_body_flaw(|b| b["spec"]["dsseV002"]["extra"] = json!(1), true);
    v2_body_flaw(|b| b["extra"] = json!(true), false);
}

#[test]
fn rekor_v2_body_with_both_public_key_and_certificate_fails() {
    v2_body_flaw(
        |b| {
            let cert = b["spec"]["hashedRekordV002"]["signature"]["verifier"]["x509Certificate"]
                ["rawBytes"]
                .clone();
            b["spec"]["hashedRekordV002"]["signature"]["verifier"]["publicKey"] =
                json!({"rawBytes": cert});
        },
        false,
    );
}

#[test]
fn rekor_v2_body_with_wrong_key_details_fails() {
    v2_body_flaw(
        |b| {
            b["spec"]["hashedRekordV002"]["signature"]["verifier"]["keyDetails"] =
                json!("PKIX_ECDSA_P384_SHA_384")
        },
        false,
    );
    v2_body_flaw(
        |b| {
            b["spec"]["dsseV002"]["signatures"][0]["verifier"]["keyDetails"] = json!("PKIX_ED25519")
        },
        true,
    );
}

#[test]
fn rekor_v2_body_with_another_digest_algorithm_label_fails() {
    v2_body_flaw(
        |b| b["spec"]["hashedRekordV002"]["data"]["algorithm"] = json!("SHA2_384"),
        false,
    );
    v2_body_flaw(
        |b| b["spec"]["dsseV002"]["payloadHash"]["algorithm"] = json!("SHA2_512"),
        true,
    );
}

// ---------------------------------------------------------------- 5. time

#[test]
fn trusted_root_entries_without_valid_for_start_are_refused() {
    type Edit = fn(&mut TrustedRoot);
    let edits: [(&str, Edit); 4] = [
        ("tlog", |r| {
            r.tlogs[0].public_key.valid_for.as_mut().unwrap().start = None
        }),
        ("ctlog", |r| r.ctlogs[0].public_key.valid_for = None),
        ("ca", |r| {
            r.certificate_authorities[0].valid_for.start = None
        }),
        ("tsa", |r| r.timestamp_authorities[0].valid_for.start = None),
    ];
    for (what, edit) in edits {
        let mut root = vs().trusted_root();
        edit(&mut root);
        let err = Verifier::new(&root).unwrap_err();
        assert_eq!(
            err.rule(),
            Some(Rule::TrustedRootValidityStart),
            "{what}: {err}"
        );
    }
}

#[test]
fn rekor_v2_entry_with_an_set_gives_no_signing_time() {
    let mut o = opts().rekor(RekorVersion::V2);
    o.v2_set_time = Some(o.signing_time);
    assert_rule(vs(), &message(&o), Rule::SigningTimeThreshold);
}

#[test]
fn unsigned_integrated_time_outside_the_leaf_validity_fails() {
    let mut o = opts().with_timestamp(true);
    o.entry_hook = Some(|e| {
        e.inclusion_promise = None;
        e.integrated_time = e.integrated_time.map(|t| t + 3600);
    });
    assert_rule(vs(), &message(&o), Rule::IntegratedTime);
    // Inside the validity it is harmless.
    let mut o = opts().with_timestamp(true);
    o.entry_hook = Some(|e| e.inclusion_promise = None);
    verify_with(vs(), &message(&o)).unwrap();
}

#[test]
fn log_key_validity_must_cover_the_signing_time_for_rekor_v2() {
    let b = message(&v2());
    let mut root = vs().trusted_root();
    let t = signet_core::time::format_rfc3339(now() + 86_400);
    root.tlogs[1].public_key.valid_for.as_mut().unwrap().start = Some(t);
    assert_rule_under_root(&root, &b, Rule::LogKeyValidity);
}

#[test]
fn log_key_validity_must_cover_the_integrated_time_for_rekor_v1() {
    let b = message(&opts());
    let mut root = vs().trusted_root();
    let t = signet_core::time::format_rfc3339(now() - 86_400);
    root.tlogs[0].public_key.valid_for.as_mut().unwrap().end = Some(t);
    assert_rule_under_root(&root, &b, Rule::LogKeyValidity);
}

// ---------------------------------------------------------------- 6. fields

#[test]
fn negative_log_index_fails() {
    let mut o = v2();
    o.entry_hook = Some(|e| e.log_index = -1);
    assert_rule(vs(), &message(&o), Rule::TlogField);
}

#[test]
fn sct_declaring_another_hash_or_signature_algorithm_fails() {
    for algs in [(5, 3), (4, 1), (4, 7)] {
        let mut o = opts();
        o.sct_declared_algorithms = Some(algs);
        assert_rule(vs(), &message(&o), Rule::Sct);
    }
}

#[test]
fn disagreeing_issuer_extensions_fail() {
    let mut o = opts();
    o.legacy_issuer = Some("https://evil.example".into());
    assert_rule(vs(), &message(&o), Rule::LeafProfile);
}

// ---------------------------------------------------------------- 7. caps while parsing

fn bundle_json_with(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(&message(&opts()).to_json().unwrap()).unwrap();
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

#[track_caller]
fn assert_limit(bytes: &[u8], what: &str) {
    let err = Bundle::from_json(bytes).unwrap_err().to_string();
    assert!(err.contains(what) && err.contains("limit"), "{err}");
}

/// CVE-2024-45395: many entries, timestamps, hashes, signatures or subjects must be refused
/// while parsing, before the verifier does any work on them.
#[test]
fn cve_2024_45395_lists_are_capped_while_parsing() {
    assert_limit(
        &bundle_json_with(|v| {
            let p = &mut v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"];
            *p = json!(vec![b64_encode([0u8; 32]); 65]);
        }),
        "inclusion proof hashes",
    );
    assert_limit(
        &bundle_json_with(|v| {
            let e = v["verificationMaterial"]["tlogEntries"][0].clone();
            v["verificationMaterial"]["tlogEntries"] = json!(vec![e; 33]);
        }),
        "transparency log entries",
    );
    assert_limit(
        &bundle_json_with(|v| {
            v["verificationMaterial"]["timestampVerificationData"] =
                json!({"rfc3161Timestamps": vec![json!({"signedTimestamp": "AA=="}); 33]});
        }),
        "RFC 3161 timestamps",
    );
    let mut d: Value = serde_json::from_str(&intoto(&opts()).to_json().unwrap()).unwrap();
    let s = d["dsseEnvelope"]["signatures"][0].clone();
    d["dsseEnvelope"]["signatures"] = json!(vec![s; 17]);
    assert_limit(&serde_json::to_vec(&d).unwrap(), "DSSE signatures");
    let subjects = vec![json!({"name": "x", "digest": {"sha256": "00"}}); 4097];
    let st = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": "x",
    }))
    .unwrap();
    let err = signet_core::intoto::Statement::from_json_without_predicate(&st)
        .unwrap_err()
        .to_string();
    assert!(err.contains("subjects") && err.contains("limit"), "{err}");
}

// ---------------------------------------------------------------- advisories

/// CVE-2022-23649: an SET (and entry) that is valid but for another signature must not vouch
/// for this one.
#[test]
fn cve_2022_23649_set_not_bound_to_the_verified_signature() {
    let mut b = message(&opts());
    let other = message(&opts());
    b.verification_material.tlog_entries = other.verification_material.tlog_entries.clone();
    assert_rule(vs(), &b, Rule::TlogBody);
}

/// CVE-2022-36056: a bundle for another artifact, or an identity other than the one asked for,
/// must fail.
#[test]
fn cve_2022_36056_mismatched_bundle_or_identity_fails() {
    let b = message(&opts());
    let err = Verifier::new(&vs().trusted_root())
        .unwrap()
        .verify(&b, Artifact::Bytes(b"another artifact"), &policy())
        .unwrap_err();
    assert!(
        matches!(err.rule(), Some(Rule::TlogBody | Rule::Artifact)),
        "{err}"
    );
    for p in [
        Policy::identity("bob@example.com", ISSUER),
        Policy::identity(EMAIL, "https://other.example"),
    ] {
        let err = Verifier::new(&vs().trusted_root())
            .unwrap()
            .verify(&b, Artifact::Bytes(ARTIFACT), &p)
            .unwrap_err();
        assert_eq!(err.rule(), Some(Rule::Identity), "{err}");
        match &err {
            signet_verify::Error::Identity {
                expected, found, ..
            } => {
                assert_ne!(Some(expected), found.as_ref(), "{err}");
                assert!(found.as_deref() == Some(EMAIL) || found.as_deref() == Some(ISSUER));
            }
            other => panic!("{other}"),
        }
    }
}

/// CVE-2026-22703: the Rekor entry must be compared with the artifact digest, the signature and
/// the key — each logged validly but describing something else.
#[test]
fn cve_2026_22703_rekor_entry_compared_with_digest_signature_and_key() {
    let hooks: [fn(&mut Value); 3] = [
        |b| b["spec"]["data"]["hash"]["value"] = json!(hex::encode([7u8; 32])),
        |b| b["spec"]["signature"]["content"] = json!(b64_encode(b"another signature")),
        |b| {
            let other = EcKey::generate(Curve::P256).unwrap();
            let pem = signet_core::encoding::pem_encode("PUBLIC KEY", other.spki_der());
            b["spec"]["signature"]["publicKey"]["content"] = json!(b64_encode(pem));
        },
    ];
    for hook in hooks {
        let mut o = opts();
        o.body_hook = Some(hook);
        assert_rule(vs(), &message(&o), Rule::TlogBody);
    }
    let mut o = v2();
    o.body_hook =
        Some(|b| b["spec"]["hashedRekordV002"]["data"]["digest"] = json!(b64_encode([7u8; 32])));
    assert_rule(vs(), &message(&o), Rule::TlogBody);
}

/// CVE-2026-39395: a malformed payload or a payload that is not an in-toto statement must not
/// be "verified".
#[test]
fn cve_2026_39395_malformed_payload_is_not_verified() {
    let b = vs()
        .sign_dsse("application/vnd.in-toto+json", b"{not json", &opts())
        .unwrap();
    assert!(verify_with(vs(), &b).is_err());
    let b = vs()
        .sign_dsse(
            "application/json",
            &signet_testing::intoto_statement("a.txt", ARTIFACT).unwrap(),
            &opts(),
        )
        .unwrap();
    assert_rule(vs(), &b, Rule::Artifact);
}

/// CVE-2026-39984: a TSA verifier must use the trusted signer chain, not the first non-CA
/// certificate the token's CMS bag offers.
#[test]
fn cve_2026_39984_tsa_certificate_bag_is_not_trusted() {
    let rogue_root = Ca::root(
        EcKey::generate(Curve::P384).unwrap(),
        "CN=rogue-tsa-root",
        (VALID_FROM, VALID_UNTIL),
    )
    .unwrap();
    let rogue_key = EcKey::generate(Curve::P256).unwrap();
    let rogue_leaf = signet_core::certs::tsa_leaf(
        &rogue_root,
        &rogue_key,
        "CN=virtual-sigstore-tsa,O=sigstore.dev",
        (VALID_FROM, VALID_UNTIL),
    )
    .unwrap();
    // The bag lists the rogue signer first, then the trusted chain.
    let mut bag = vec![rogue_leaf];
    bag.extend(vs().tsa_chain_der());
    let rogue = TimestampSigner::new(rogue_key.pkcs8_der(), bag).unwrap();
    let mut b = message(&v2());
    let sig = b.signature_bytes().unwrap().to_vec();
    let ts = rogue
        .sign(
            signet_core::crypto::HashAlg::Sha256,
            &sha256(&sig),
            Some(&[1, 2, 3, 4, 5, 6, 7, 8]),
            true,
            now(),
            &[1, 2, 3],
            signet_testing::TSA_POLICY,
        )
        .unwrap();
    replace_timestamp(&mut b, ts);
    assert_rule(vs(), &b, Rule::Timestamp);
}

/// CVE-2023-47122: log keys come from the trust material, never from the log: an entry signed
/// by another log (whatever key it would hand out) is not trusted.
#[test]
fn cve_2023_47122_log_keys_come_from_trust_material() {
    let rogue = VirtualSigstore::new().unwrap();
    let mut b = message(&opts());
    b.verification_material.tlog_entries = rogue
        .sign_message(ARTIFACT, &opts())
        .unwrap()
        .verification_material
        .tlog_entries;
    assert_rule(vs(), &b, Rule::TlogUnknownLog);
}

/// GHSA-wqqc-jjcq-vfxm: a key is trusted only inside its validity window — here a log key whose
/// window ended before the entry's integrated time (managed signing keys follow in `verify key`).
#[test]
fn ghsa_wqqc_jjcq_vfxm_key_used_outside_its_validity_fails() {
    let b = message(&opts().at(now() - 7200));
    let mut root = vs().trusted_root();
    root.tlogs[0].public_key.valid_for.as_mut().unwrap().end =
        Some(signet_core::time::format_rfc3339(now() - 10_000));
    assert_rule_under_root(&root, &b, Rule::LogKeyValidity);
}
