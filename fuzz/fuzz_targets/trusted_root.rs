//! Sigstore trusted roots, signing configs and client trust configs: parse, round-trip a
//! trusted root, and build a verifier from it (parsing every key and checking every CA chain).
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_core::trust::{ClientTrustConfig, SigningConfig, TrustedRoot};
use signet_verify::Verifier;

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = TrustedRoot::from_json(data) {
        let json = root
            .to_json_pretty()
            .expect("a parsed trusted root serializes");
        let again = TrustedRoot::from_json(json.as_bytes()).expect("a serialized root parses");
        assert_eq!(again, root);
        for ca in root
            .certificate_authorities
            .iter()
            .chain(&root.timestamp_authorities)
        {
            let _ = ca.valid_for.bounds();
        }
        let _ = Verifier::new(&root);
    }
    let _ = SigningConfig::from_json(data);
    let _ = ClientTrustConfig::from_json(data);
});
