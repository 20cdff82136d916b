//! Rough per-phase timings (ignored; run with --release -- --ignored --nocapture).
use std::time::Instant;

fn t<R>(name: &str, n: usize, mut f: impl FnMut() -> R) {
    let s = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    eprintln!(
        "{name}: {:.1} µs",
        s.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}

#[test]
#[ignore]
fn phases() {
    use signet_core::*;
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/slsa/gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl"
    );
    let bytes = std::fs::read(p).unwrap();
    let n = 2000;
    t("bundle parse", n, || {
        bundle::Bundle::from_json(&bytes).unwrap()
    });
    let b = bundle::Bundle::from_json(&bytes).unwrap();
    let pl = encoding::b64_encode(&b.dsse_envelope.as_ref().unwrap().payload);
    t("b64 decode payload", n, || {
        encoding::b64_decode("p", &pl).unwrap()
    });
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    t("json value parse", n, || {
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
    });
    drop(v);
    let der = b.leaf_certificate_der().unwrap().to_vec();
    t("cert parse", n, || {
        x509::Certificate::from_der(&der).unwrap()
    });
    let c = x509::Certificate::from_der(&der).unwrap();
    t("leaf key", n, || c.public_key().unwrap());
    t("precert tbs", n, || c.precert_tbs_der().unwrap());
    t("issuer der", n, || c.issuer_der().unwrap());
    t("san", n, || c.san_identities().unwrap());
    t("issuer ext", n, || c.oidc_issuer().unwrap());
    t("sct list", n, || {
        sct::parse_sct_list(&c.sct_list().unwrap().unwrap()).unwrap()
    });
    let e = &b.verification_material.tlog_entries[0];
    t("entry body", n, || {
        rekor::EntryBody::parse(&e.canonicalized_body, "dsse", "0.0.1").unwrap()
    });
    t("set payload", n, || {
        rekor::set_payload(&encoding::b64_encode(&e.canonicalized_body), 1, "ab", 2)
    });
    let env = b.dsse_envelope.as_ref().unwrap();
    t("statement head", n, || {
        intoto::Statement::from_json_without_predicate(&env.payload).unwrap()
    });
    t("pae", n, || env.pae());
    t("sha256 payload", n, || encoding::sha256(&env.payload));
    t("leaf hash", n, || merkle::leaf_hash(&e.canonicalized_body));
    let pr = e.inclusion_proof.as_ref().unwrap();
    t("checkpoint parse", n, || {
        checkpoint::Checkpoint::parse(&pr.checkpoint.envelope).unwrap()
    });
    t("inclusion", n, || {
        merkle::verify_inclusion(
            pr.log_index as u64,
            pr.tree_size as u64,
            &merkle::leaf_hash(&e.canonicalized_body),
            &pr.hashes,
            &pr.root_hash,
        )
        .unwrap()
    });
    let root = signet_tuf::Instance::Production.trusted_root().unwrap();
    let v = signet_verify::Verifier::new(&root).unwrap();
    let digest = b
        .dsse_envelope
        .as_ref()
        .map(|_| {
            let s = intoto::Statement::from_json_without_predicate(&env.payload).unwrap();
            let mut d = [0u8; 32];
            d.copy_from_slice(&hex::decode(s.subject[0].digest["sha256"].clone()).unwrap());
            d
        })
        .unwrap();
    t("full verify", 300, || {
        v.verify(
            &b,
            signet_verify::Artifact::Sha256(digest),
            &signet_verify::Policy::any_identity_unsafe(),
        )
        .unwrap()
    });
    let checks = v
        .mandatory_signature_checks(&b, signet_verify::Artifact::Sha256(digest))
        .unwrap();
    t("floor", 300, || checks.iter().all(|k| k.run()));
}
