//! RFC 6962 inclusion and consistency proof checks on arbitrary sizes, indices and hashes.
//! Input: two big-endian u64s (index or size1, then size) and then hashes, 32 bytes each; the
//! first two hashes are the leaf (or first root) and the root, the rest the proof.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_core::merkle::{root_from_inclusion_proof, verify_consistency, verify_inclusion};

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<16>() else {
        return;
    };
    let (a, b) = head.split_at(8);
    let a = u64::from_be_bytes(a.try_into().expect("8 bytes"));
    let b = u64::from_be_bytes(b.try_into().expect("8 bytes"));
    let hashes: Vec<&[u8]> = rest.chunks(32).collect();
    let (first, second, proof) = match hashes.as_slice() {
        [first, second, proof @ ..] => (*first, *second, proof),
        _ => return,
    };
    if verify_inclusion(a, b, first, proof, second).is_ok() {
        let root = root_from_inclusion_proof(a, b, first, proof).expect("verified above");
        assert_eq!(&root[..], second);
    }
    let _ = verify_consistency(a, b, proof, first, second);
});
