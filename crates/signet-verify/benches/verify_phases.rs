//! Where a verification's time goes: each non-signature phase of `Verifier::verify` on a real
//! SLSA bundle, the whole verification, and its crypto floor (the mandatory signature checks
//! alone), as criterion benchmarks:
//!
//! ```sh
//! cargo bench -p signet-verify --bench verify_phases
//! ```
//!
//! The bundle is ../shared/data/slsa/gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl
//! (the run fails, loudly, without it). `signet bench verify` is the product's own benchmark of
//! whole verifications against the floor; this one splits the difference into its parts.

use criterion::{criterion_group, criterion_main, Criterion};
use signet_core::{bundle, checkpoint, encoding, intoto, merkle, rekor, sct, x509};

fn bundle_bytes() -> Vec<u8> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/slsa/gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl"
    );
    std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e} (the benchmark needs ../shared/data)"))
}

fn phases(c: &mut Criterion) {
    let bytes = bundle_bytes();
    let b = bundle::Bundle::from_json(&bytes).expect("bundle");
    let env = b.dsse_envelope.as_ref().expect("a DSSE bundle");
    let der = b.leaf_certificate_der().expect("a certificate").to_vec();
    let cert = x509::Certificate::from_der(&der).expect("certificate");
    let e = &b.verification_material.tlog_entries[0];
    let proof = e.inclusion_proof.as_ref().expect("an inclusion proof");
    let statement =
        intoto::Statement::from_json_without_predicate(&env.payload).expect("statement");
    let mut digest = [0u8; 32];
    digest.copy_from_slice(&hex::decode(&statement.subject[0].digest["sha256"]).expect("hex"));

    let mut g = c.benchmark_group("phase");
    g.bench_function("bundle JSON", |x| {
        x.iter(|| bundle::Bundle::from_json(&bytes))
    });
    g.bench_function("certificate DER", |x| {
        x.iter(|| x509::Certificate::from_der(&der))
    });
    g.bench_function("leaf key", |x| x.iter(|| cert.public_key()));
    g.bench_function("precertificate TBS", |x| x.iter(|| cert.precert_tbs_der()));
    g.bench_function("SAN", |x| x.iter(|| cert.san_identities()));
    g.bench_function("issuer extension", |x| x.iter(|| cert.oidc_issuer()));
    g.bench_function("SCT list", |x| {
        x.iter(|| sct::parse_sct_list(&cert.sct_list().ok().flatten().unwrap_or_default()))
    });
    g.bench_function("entry body", |x| {
        x.iter(|| rekor::EntryBody::parse(&e.canonicalized_body, "dsse", "0.0.1"))
    });
    g.bench_function("SET payload", |x| {
        x.iter(|| rekor::set_payload(&encoding::b64_encode(&e.canonicalized_body), 1, "ab", 2))
    });
    g.bench_function("statement head", |x| {
        x.iter(|| intoto::Statement::from_json_without_predicate(&env.payload))
    });
    g.bench_function("payload SHA-256", |x| {
        x.iter(|| encoding::sha256(&env.payload))
    });
    g.bench_function("leaf hash", |x| {
        x.iter(|| merkle::leaf_hash(&e.canonicalized_body))
    });
    g.bench_function("checkpoint", |x| {
        x.iter(|| checkpoint::Checkpoint::parse(&proof.checkpoint.envelope))
    });
    g.bench_function("inclusion proof", |x| {
        x.iter(|| {
            merkle::verify_inclusion(
                proof.log_index as u64,
                proof.tree_size as u64,
                &merkle::leaf_hash(&e.canonicalized_body),
                &proof.hashes,
                &proof.root_hash,
            )
        })
    });
    g.finish();

    let root = signet_tuf::Instance::Production
        .trusted_root()
        .expect("embedded trusted root");
    let v = signet_verify::Verifier::new(&root).expect("verifier");
    let policy = signet_verify::Policy::any_identity_unsafe();
    let checks = v
        .mandatory_signature_checks(&b, signet_verify::Artifact::Sha256(digest))
        .expect("floor checks");
    let mut g = c.benchmark_group("whole");
    g.bench_function("verify (parsed bundle)", |x| {
        x.iter(|| v.verify(&b, signet_verify::Artifact::Sha256(digest), &policy))
    });
    g.bench_function("parse + verify", |x| {
        x.iter(|| {
            let b = bundle::Bundle::from_json(&bytes).expect("bundle");
            v.verify(&b, signet_verify::Artifact::Sha256(digest), &policy)
                .map(|_| ())
        })
    });
    g.bench_function("crypto floor", |x| {
        x.iter(|| checks.iter().all(|k| k.run()))
    });
    g.finish();
}

criterion_group!(benches, phases);
criterion_main!(benches);
