//! RFC 3161 `TimeStampResp` / `TimeStampToken` DER: parse, read every accessor, and verify the
//! token against its own embedded certificates (reaching the CMS signature checks).
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_core::tsa::parse_timestamp_response;

/// What the committed seeds were issued over (see examples/gen_seeds.rs).
const SIGNED: &[u8] = b"signet fuzz seed signature";

fuzz_target!(|data: &[u8]| {
    let Ok(t) = parse_timestamp_response(data) else {
        return;
    };
    let _ = (t.gen_time(), t.gen_time_raw(), t.policy());
    let _ = (t.serial_number(), t.nonce(), t.message_imprint());
    let _ = (t.accuracy(), t.ordering(), t.version(), t.tsa_name_der());
    let _ = (
        t.signer_identifier().to_string(),
        t.tst_info_der(),
        t.token_der(),
    );
    let _ = t.verify(SIGNED, t.certificates());
});
