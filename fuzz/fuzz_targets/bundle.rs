//! Bundle JSON (and the PEP 740 attestation and bare DSSE envelope forms that share its
//! inputs): parse, then a bundle that parsed must serialize and parse back to the same JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_core::bundle::Bundle;
use signet_core::dsse::Envelope;
use signet_core::pep740::Attestation;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = Bundle::from_json(data) {
        let _ = (b.leaf_certificate_der(), b.signature_bytes());
        let _ = b.rfc3161_timestamps().len();
        let json = b.to_json().expect("a parsed bundle serializes");
        let again = Bundle::from_json(json.as_bytes()).expect("a serialized bundle parses");
        assert_eq!(again.to_json().ok().as_deref(), Some(json.as_str()));
        if let Ok(a) = Attestation::from_bundle(&b) {
            let _ = a.to_bundle().validate();
        }
    }
    if let Ok(a) = Attestation::from_json(data) {
        let _ = a.to_bundle().validate();
    }
    if let Ok(e) = Envelope::from_json(data) {
        let _ = e.pae();
    }
});
