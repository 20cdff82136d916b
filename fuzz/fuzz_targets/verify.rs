//! Full offline verification of a bundle against the embedded public-good and staging
//! trusted roots and the virtual deployment's root that signed the committed seeds (seeds/:
//! Rekor v2 and RFC 3161 timestamps too). The artifact digest is taken from the bundle itself
//! (the message digest, or the first in-toto subject), so unmodified bundles verify and
//! mutations of the parts no signature covers (inclusion proofs, checkpoints, timestamps)
//! reach the deep checks.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use signet_core::bundle::Bundle;
use signet_core::intoto::Statement;
use signet_core::trust::TrustedRoot;
use signet_tuf::Instance;
use signet_verify::{Artifact, Policy, Verifier};

fn verifiers() -> &'static [Verifier; 3] {
    static V: OnceLock<[Verifier; 3]> = OnceLock::new();
    V.get_or_init(|| {
        let virt = include_bytes!("../seeds/trusted_root/virtual.json");
        [
            Instance::Production
                .trusted_root()
                .expect("embedded trusted root"),
            Instance::Staging
                .trusted_root()
                .expect("embedded trusted root"),
            TrustedRoot::from_json(virt).expect("seeds/trusted_root/virtual.json"),
        ]
        .map(|r| Verifier::new(&r).expect("trusted root"))
    })
}

/// The SHA-256 the bundle claims to sign.
fn claimed_digest(b: &Bundle) -> [u8; 32] {
    let digest = match (&b.message_signature, &b.dsse_envelope) {
        (Some(m), _) => m.message_digest.as_ref().map(|d| d.digest.clone()),
        (None, Some(env)) => Statement::from_json_without_predicate(&env.payload)
            .ok()
            .and_then(|s| s.subject.first()?.digest.get("sha256").cloned())
            .and_then(|h| hex::decode(h).ok()),
        (None, None) => None,
    };
    digest.and_then(|d| d.try_into().ok()).unwrap_or([0; 32])
}

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_json(data) else {
        return;
    };
    let artifact = Artifact::Sha256(claimed_digest(&bundle));
    for v in verifiers() {
        let _ = v.verify(&bundle, artifact, &Policy::any_identity_unsafe());
    }
});
