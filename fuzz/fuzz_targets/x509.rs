//! DER certificates: parse, call every accessor, check that the two ways of computing the
//! precertificate TBS (byte cut and re-encoding) agree on DER, and that PEM round-trips.
#![no_main]

use der::Encode;
use libfuzzer_sys::fuzz_target;
use signet_core::sct::parse_sct_list;
use signet_core::x509::{Certificate, OID_CT_POISON, OID_EKU_CODE_SIGNING};

fuzz_target!(|data: &[u8]| {
    let Ok(c) = Certificate::from_der(data) else {
        return;
    };
    let _ = (c.subject(), c.issuer(), c.subject_der(), c.issuer_der());
    let _ = (
        c.serial_hex(),
        c.serial_bytes(),
        c.signature(),
        c.spki_der(),
    );
    let _ = (c.not_before(), c.not_after(), c.valid_at(0), c.tbs_der());
    let _ = (c.basic_constraints(), c.is_ca(), c.key_usage());
    let _ = (c.ext_key_usage(), c.has_eku(&OID_EKU_CODE_SIGNING));
    let _ = (c.san_identities(), c.oidc_issuer(), c.fulcio_extensions());
    let _ = (c.fulcio_extension(0), c.fulcio_extension(u32::MAX));
    for e in c.extensions() {
        let _ = c.extension(&e.extn_id);
    }
    if let Ok(key) = c.public_key() {
        let _ = c.verify_signed_by(&key);
    }
    if let Ok(Some(list)) = c.sct_list() {
        let _ = parse_sct_list(&list);
        // x509-cert also takes some non-DER (an explicit DEFAULT version: regressions/x509/),
        // where the cut keeps the signed bytes and re-encoding normalizes them.
        let der = c.inner().to_der().is_ok_and(|d| d == data);
        if let (true, Ok(cut), Ok(reencoded)) =
            (der, c.precert_tbs_der(), c.precert_tbs_der_reencoded())
        {
            assert_eq!(
                cut, reencoded,
                "precertificate TBS: byte cut != re-encoding"
            );
        }
    }
    let _ = c.precert_tbs_without(&OID_CT_POISON);
    let _ = format!("{c:?}");
    let pem = Certificate::from_pem(&c.to_pem()).expect("PEM of a parsed certificate parses");
    assert_eq!(pem.der(), c.der());
});
