//! Rekor canonicalized entry bodies. The first input byte picks the expected kind and
//! version, the rest is the body; a parsed spec must survive a JSON round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::{de::DeserializeOwned, Serialize};
use signet_core::rekor::EntryBody;

const KINDS: [&str; 3] = ["hashedrekord", "dsse", "intoto"];
const VERSIONS: [&str; 2] = ["0.0.1", "0.0.2"];

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) {
    let json = serde_json::to_vec(v).expect("a parsed spec serializes");
    let back: T = serde_json::from_slice(&json).expect("a serialized spec parses");
    assert_eq!(&back, v);
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(sel) % KINDS.len()];
    let version = VERSIONS[usize::from(sel) / KINDS.len() % VERSIONS.len()];
    match EntryBody::parse(body, kind, version) {
        Ok(EntryBody::HashedRekordV001(s)) => round_trip(&s),
        Ok(EntryBody::HashedRekordV002(s)) => round_trip(&s),
        Ok(EntryBody::DsseV001(s)) => round_trip(&s),
        Ok(EntryBody::DsseV002(s)) => round_trip(&s),
        Ok(EntryBody::IntotoV002(s)) => round_trip(&s),
        Err(_) => {}
    }
});
