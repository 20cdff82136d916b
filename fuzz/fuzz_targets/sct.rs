//! TLS-encoded SCT lists: parse, and a parsed list must encode back to the input bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_core::sct::{encode_sct_list, parse_sct_list};

fuzz_target!(|data: &[u8]| {
    if let Ok(scts) = parse_sct_list(data) {
        assert_eq!(encode_sct_list(&scts), data);
        for s in &scts {
            let _ = s.signed_data(&[0; 32], data);
        }
    }
});
