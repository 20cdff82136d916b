//! What the VirtualSigstore test suites share: one deployment per test binary and the default
//! signing identity.
#![allow(dead_code)]

use std::sync::OnceLock;

use signet_testing::{Identity, SignOptions, VirtualSigstore};

pub const EMAIL: &str = "alice@example.com";
pub const ISSUER: &str = "https://accounts.example.com";

/// The test binary's deployment, made once.
pub fn vs() -> &'static VirtualSigstore {
    static VS: OnceLock<VirtualSigstore> = OnceLock::new();
    VS.get_or_init(|| VirtualSigstore::new().expect("VirtualSigstore::new"))
}

/// Options signing as EMAIL from ISSUER.
pub fn opts() -> SignOptions {
    SignOptions::new(Identity::email(EMAIL), ISSUER)
}
