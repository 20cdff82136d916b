//! What the VirtualSigstore test suites share: one deployment per test binary and the default
//! signing identity.
#![allow(dead_code)]

use std::sync::OnceLock;

use signet_core::bundle::Bundle;
use signet_testing::{Identity, SignOptions, VirtualSigstore};

pub const EMAIL: &str = "alice@example.com";
pub const ISSUER: &str = "https://accounts.example.com";

/// The test binary's deployment, made once.
pub fn vs() -> &'static VirtualSigstore {
    static VS: OnceLock<VirtualSigstore> = OnceLock::new();
    VS.get_or_init(|| VirtualSigstore::new().expect("VirtualSigstore::new"))
}

/// Put `ts` in place of the bundle's first RFC 3161 timestamp.
pub fn replace_timestamp(b: &mut Bundle, ts: Vec<u8>) {
    b.verification_material
        .timestamp_verification_data
        .as_mut()
        .unwrap()
        .rfc3161_timestamps[0]
        .signed_timestamp = ts;
}

/// Options signing as EMAIL from ISSUER.
pub fn opts() -> SignOptions {
    SignOptions::new(Identity::email(EMAIL), ISSUER)
}
