//! base64url without padding (RFC 7515 section 2), as JWS and JWK use it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::{Error, Result};

/// Encode bytes as base64url without padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decode base64url without padding; `what` names the field in the error.
pub fn decode(what: &str, s: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).map_err(|e| Error::Base64 {
        what: what.to_string(),
        reason: format!("{e} (expected unpadded base64url)"),
    })
}
