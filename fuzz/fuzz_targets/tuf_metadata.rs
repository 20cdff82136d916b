//! TUF metadata envelopes (root, timestamp, snapshot, targets): parse the envelope and its
//! typed `signed` part, canonicalize, check expiry and hashes, and verify signatures, a root
//! against itself, every role against the embedded public-good root, and delegated roles'
//! thresholds and path matching against a targets role's own delegations.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use signet_tuf::metadata::{
    check_hashes, expires_unix, verify_threshold, Envelope, MetaRole, Root, Targets,
};
use signet_tuf::Instance;

fn prod_root() -> &'static Root {
    static ROOT: OnceLock<Root> = OnceLock::new();
    ROOT.get_or_init(|| {
        let json = Instance::Production.tuf_root_json();
        let env = Envelope::from_slice("root", json).expect("embedded root.json");
        env.parse_signed("root").expect("embedded root.json")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(env) = Envelope::from_slice("metadata", data) else {
        return;
    };
    if let Ok(canonical) = env.canonical_signed() {
        let again = Envelope::from_slice("metadata", &env.to_vec()).expect("re-serialized");
        assert_eq!(again.canonical_signed().ok(), Some(canonical));
    }
    let role = env
        .signed
        .get("_type")
        .and_then(|t| t.as_str())
        .unwrap_or("");
    let _ = prod_root().verify_role(role, &env);
    match role {
        "root" => {
            if let Ok(root) = env.parse_signed::<Root>("root") {
                let _ = expires_unix("root", &root.expires);
                let _ = root.verify_role("root", &env);
                for key in root.keys.values() {
                    let _ = key.key_id();
                }
            }
        }
        "timestamp" | "snapshot" => {
            if let Ok(m) = env.parse_signed::<MetaRole>(role) {
                let _ = expires_unix(role, &m.expires);
                for (name, f) in &m.meta {
                    let _ = check_hashes(name, data, f.length, f.hashes.as_ref());
                }
            }
        }
        "targets" => {
            if let Ok(t) = env.parse_signed::<Targets>("targets") {
                let _ = expires_unix("targets", &t.expires);
                for (name, f) in &t.targets {
                    let _ = check_hashes(name, data, Some(f.length), Some(&f.hashes));
                }
                if let Some(d) = &t.delegations {
                    for r in &d.roles {
                        let _ = verify_threshold(&r.name, &d.keys, &r.keyids, r.threshold, &env);
                        for name in t.targets.keys().map(String::as_str).chain(["a/b.json"]) {
                            let _ = r.is_delegated_path(name);
                        }
                    }
                }
            }
        }
        _ => {}
    }
});
