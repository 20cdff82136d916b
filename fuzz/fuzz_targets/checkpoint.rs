//! Checkpoint (signed note) envelopes. A parsed one is checked against the log keys of the
//! embedded public-good trusted root, so real checkpoints in the seeds reach the success path.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use signet_core::checkpoint::Checkpoint;
use signet_core::crypto::PublicKey;
use signet_tuf::Instance;

fn log_keys() -> &'static [(PublicKey, Vec<u8>)] {
    static KEYS: OnceLock<Vec<(PublicKey, Vec<u8>)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let root = Instance::Production
            .trusted_root()
            .expect("embedded trusted root");
        root.tlogs
            .iter()
            .filter_map(|t| {
                let raw = t.public_key.raw_bytes.as_ref()?;
                let key = PublicKey::from_trusted_root(raw, &t.public_key.key_details).ok()?;
                Some((key, t.log_id.key_id.clone()))
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Checkpoint::parse(text) {
        assert!(text.starts_with(&c.text));
        for (key, log_id) in log_keys() {
            let _ = c.verify(key, log_id);
        }
        let _ = c.verify(&log_keys()[0].0, &[]);
    }
});
