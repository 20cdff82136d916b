//! Key rotation: `signet keys rotate ca|ctlog|rekor-v1|rekor-v2|tsa`.
//!
//! Every key of a role belongs to a *generation*: generation 0 is the one `keys init` (or the
//! first start) made, and each rotation starts the next. `DATA/keys/rotations.json` records the
//! current generation of each role with the time it started, and every retired generation with
//! its validity window (start, end) and its public material (a log's public key; a CA's or
//! TSA's certificate chain), from which the trusted root lists it with a closed `validFor`
//! beside the current one. Files and token labels of generation `g > 0` carry a `.g<g>` /
//! `-g<g>` suffix; generation 0 keeps the original names, so a data dir that never rotated is
//! unchanged.
//!
//! A rotated log starts a new log: Rekor v1 a new shard (its own tree ID under
//! `DATA/rekor-v1/shard-g<g>`, log indices continuing where the frozen shard ended, as Rekor's
//! sharded logs do), Rekor v2 a new shard at `BASE/rekor2-g<g>`, the CT log a new log at
//! `DATA/ctlog-g<g>`. Frozen Rekor shards keep serving their entries, proofs and checkpoints,
//! signed with their own (retained) keys; nothing is appended to them again. The retired keys of
//! the CA, CT log and TSA sign nothing again: their private key files are deleted.
//!
//! Rotation runs while the instance is stopped (it takes the data directory's lock); the next
//! `signet serve` serves the new keys and publishes the new trusted root and signing config over
//! the instance's TUF repository.

use std::path::Path;
use std::sync::Arc;

use signet_core::certs::Ca;
use signet_core::encoding::b64_encode;
use signet_core::keys::{EcKey, EdKey};
use signet_core::signer::{KeyProvider, SharedSigner, SignatureAlgorithm};

use crate::files::write_private;
pub use crate::generations::{
    gen_file, gen_label, Generation, Retired, Role, Rotations, ROTATIONS_FILE,
};
use crate::generations::{manifest_label, read_manifest, token_label, MAX_RETIRED, TOKEN_MANIFEST};
use crate::keys::{BroughtCa, InstanceKeys, CA_YEARS};
use crate::{Error, Result};

/// What a rotation did, for the CLI to print.
#[derive(Debug, Clone)]
pub struct Rotated {
    /// The role.
    pub role: Role,
    /// The retired generation and its window.
    pub retired: Retired,
    /// The new generation.
    pub current: Generation,
    /// SHA-256 of the new public key (SPKI DER), hex.
    pub new_key_sha256: String,
}

/// Where a rotation takes its new key from: a token, or files.
fn new_key(
    keys_dir: &Path,
    role: Role,
    g: u32,
    token: Option<&dyn KeyProvider>,
    manifest: Option<&serde_json::Value>,
) -> Result<SharedSigner> {
    if let Some(t) = token {
        let m = manifest.ok_or_else(|| {
            Error::Config(format!("{TOKEN_MANIFEST}: missing for a token instance"))
        })?;
        return Ok(t.generate(&token_label(m, role, g)?, role.algorithm())?);
    }
    let (signer, pkcs8): (SharedSigner, Vec<u8>) = match role.algorithm().curve() {
        Some(c) => {
            let k = EcKey::generate(c)?;
            let der = k.pkcs8_der().to_vec();
            (Arc::new(k), der)
        }
        None => {
            let k = EdKey::generate()?;
            let der = k.pkcs8_der().to_vec();
            (Arc::new(k), der)
        }
    };
    write_private(&keys_dir.join(gen_file(role.key_file(), "pk8", g)), &pkcs8)?;
    Ok(signer)
}

/// The generated CA root (file `ca-root.pk8`, or the token's `caRoot` key), to issue the new
/// intermediate; `None` for a brought CA, whose root the instance does not hold.
fn ca_root(
    keys_dir: &Path,
    keys: &InstanceKeys,
    token: Option<&dyn KeyProvider>,
    manifest: Option<&serde_json::Value>,
) -> Result<Option<Ca<SharedSigner>>> {
    let Some(root_der) = keys.ca_chain.last() else {
        return Ok(None);
    };
    let signer: SharedSigner = match token {
        Some(t) => {
            let Some(label) = manifest.and_then(|m| manifest_label(m, "caRoot").ok()) else {
                return Ok(None);
            };
            t.open(label, SignatureAlgorithm::EcdsaP384Sha384)?
        }
        None => {
            let p = keys_dir.join("ca-root.pk8");
            let der = match std::fs::read(&p) {
                Ok(d) => d,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(Error::io(&p, e)),
            };
            let pem = signet_core::encoding::pem_encode("PRIVATE KEY", &der);
            Arc::new(EcKey::from_pem(&pem)?)
        }
    };
    match Ca::from_parts(signer, root_der.clone()) {
        Ok(ca) => Ok(Some(ca)),
        // The chain's root is not the root whose key the instance holds: a brought CA.
        Err(_) => Ok(None),
    }
}

/// Rotate `role`'s key in the stopped instance at `data_dir` (see the module docs). `token`
/// is the instance's PKCS#11 token when its keys are there; `brought` is the new issuing CA
/// when the CA was brought (`--ca-chain`/`--ca-key`), and may replace a generated one.
pub fn rotate(
    data_dir: &Path,
    role: Role,
    now: i64,
    token: Option<&dyn KeyProvider>,
    brought: Option<&BroughtCa>,
) -> Result<Rotated> {
    let _lock = crate::lock_data_dir(data_dir)?;
    let dir = data_dir.join("keys");
    if !dir.join("created").exists() {
        return Err(Error::Config(format!(
            "{} holds no instance keys yet; expected a data dir that `signet serve` or `signet keys init` created",
            dir.display()
        )));
    }
    if brought.is_some() && role != Role::Ca {
        return Err(Error::Config(format!(
            "--ca-chain/--ca-key name a new CA; they apply to `keys rotate ca`, not {role}"
        )));
    }
    let keys = InstanceKeys::load_or_create(&dir, now, None, token)?;
    let mut rot = keys.rotations.clone();
    let cur = Generation {
        generation: rot.generation(role),
        start: rot.start(role, keys.created),
    };
    if now <= cur.start {
        return Err(Error::Config(format!(
            "{role}: the current key started at {} and the clock says {}; a new key must start after the current one",
            signet_core::time::format_rfc3339(cur.start),
            signet_core::time::format_rfc3339(now)
        )));
    }
    if rot.retired.len() >= MAX_RETIRED {
        return Err(Error::Config(format!(
            "{} already lists {MAX_RETIRED} retired keys, the most a trusted root here carries",
            dir.join(ROTATIONS_FILE).display()
        )));
    }
    let manifest = match token {
        Some(_) => read_manifest(&dir)?,
        None => None,
    };
    let g = cur.generation + 1;
    let mut retired = Retired {
        role,
        generation: cur.generation,
        start: cur.start,
        end: now,
        public_key: None,
        chain: vec![],
    };
    fn b64s<'a>(ders: impl IntoIterator<Item = &'a Vec<u8>>) -> Vec<String> {
        ders.into_iter().map(b64_encode).collect()
    }
    let validity = |issuer_der: &[u8]| -> Result<(i64, i64)> {
        let issuer = signet_core::x509::Certificate::from_der(issuer_der)?;
        Ok((now, (now + CA_YEARS * 365 * 86400).min(issuer.not_after())))
    };
    let new_spki = match role {
        Role::Ctlog | Role::RekorV1 | Role::RekorV2 => {
            let old = match role {
                Role::Ctlog => &keys.ct,
                Role::RekorV1 => &keys.rekor_v1,
                _ => &keys.rekor_v2,
            };
            retired.public_key = Some(b64_encode(old.public_key_der()));
            let k = new_key(&dir, role, g, token, manifest.as_ref())?;
            k.public_key_der().to_vec()
        }
        Role::Tsa => {
            retired.chain = b64s(&keys.tsa.chain());
            let k = new_key(&dir, role, g, token, manifest.as_ref())?;
            let leaf = signet_core::certs::tsa_leaf(
                &keys.tsa.root,
                k.as_ref(),
                "CN=signet-tsa,O=signet.dev",
                validity(&keys.tsa.root.cert_der)?,
            )?;
            write_private(&dir.join(gen_file("tsa", "der", g)), &leaf)?;
            k.public_key_der().to_vec()
        }
        Role::Ca => {
            retired.chain = b64s(keys.ca_certificates());
            let (issuing_der, chain) = match brought {
                Some(b) => {
                    if token.is_some() {
                        return Err(Error::Config(
                            "--ca-chain/--ca-key: the CA of an instance whose keys are in a PKCS#11 token is the token's".into(),
                        ));
                    }
                    let (issuing, chain, pkcs8) = b.load()?;
                    write_private(&dir.join(gen_file("ca-intermediate", "pk8", g)), &pkcs8)?;
                    (issuing.cert_der, chain)
                }
                None => {
                    let root = ca_root(&dir, &keys, token, manifest.as_ref())?.ok_or_else(|| {
                        Error::Config(
                            "this instance's CA was brought (--ca-chain/--ca-key) and its root key is not here; expected --ca-chain and --ca-key naming the new issuing CA".into(),
                        )
                    })?;
                    let k = new_key(&dir, role, g, token, manifest.as_ref())?;
                    let ca = root.intermediate(
                        k,
                        &format!("CN=signet-intermediate-g{g},O=signet.dev"),
                        validity(&root.cert_der)?,
                        None,
                    )?;
                    (ca.cert_der, keys.ca_chain.clone())
                }
            };
            write_private(
                &dir.join(gen_file("ca-intermediate", "der", g)),
                &issuing_der,
            )?;
            write_private(
                &dir.join(gen_file("ca-chain", "pem", g)),
                crate::keys::chain_pem(&chain).as_bytes(),
            )?;
            signet_core::x509::Certificate::from_der(&issuing_der)?
                .spki_der()
                .to_vec()
        }
    };
    rot.retired.push(retired.clone());
    let current = Generation {
        generation: g,
        start: now,
    };
    rot.current.insert(role, current);
    // The commit point: from here the instance serves generation g.
    rot.save(&dir)?;
    // Nothing signs with a retired CA, CT or TSA key again; the Rekor keys stay, as their
    // frozen shards still sign checkpoints and SETs for the entries they hold.
    if token.is_none() && matches!(role, Role::Ca | Role::Ctlog | Role::Tsa) {
        let old = dir.join(gen_file(role.key_file(), "pk8", cur.generation));
        if let Err(e) = std::fs::remove_file(&old) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(Error::io(&old, e));
            }
        }
    }
    Ok(Rotated {
        role,
        retired,
        current,
        new_key_sha256: hex::encode(signet_core::encoding::sha256(&new_spki)),
    })
}

/// Every generation of a Rekor role the instance serves, oldest first: retired ones (frozen
/// shards) and the current one (the active shard), with each one's signer.
pub(crate) fn shard_generations(keys: &InstanceKeys, role: Role) -> Vec<(u32, SharedSigner)> {
    let (retired, current) = match role {
        Role::RekorV1 => (&keys.retired_rekor_v1, &keys.rekor_v1),
        _ => (&keys.retired_rekor_v2, &keys.rekor_v2),
    };
    let mut v: Vec<(u32, SharedSigner)> = retired.clone();
    v.push((keys.rotations.generation(role), current.clone()));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance() -> (tempfile::TempDir, i64) {
        let d = tempfile::tempdir().unwrap();
        let now = 1_800_000_000;
        InstanceKeys::load_or_create(&d.path().join("keys"), now, None, None).unwrap();
        (d, now)
    }

    #[test]
    fn roles_parse_by_their_cli_names() {
        for r in Role::ALL {
            assert_eq!(r.name().parse::<Role>().unwrap(), r);
        }
        let err = "rekor".parse::<Role>().unwrap_err().to_string();
        assert!(err.contains("expected one of ca, ctlog"), "{err}");
    }

    #[test]
    fn each_rotation_retires_the_current_key_with_a_closed_window() {
        let (d, now) = instance();
        let created = now - 60;
        for (i, t) in [now + 10, now + 20].into_iter().enumerate() {
            let r = rotate(d.path(), Role::Ctlog, t, None, None).unwrap();
            assert_eq!(r.retired.generation, i as u32);
            assert_eq!(r.current.generation, i as u32 + 1);
            assert_eq!(r.retired.end, t);
        }
        let keys = InstanceKeys::load_or_create(&d.path().join("keys"), 0, None, None).unwrap();
        let rot = &keys.rotations;
        let windows: Vec<(i64, i64)> = rot.retired(Role::Ctlog).map(|r| (r.start, r.end)).collect();
        assert_eq!(windows, vec![(created, now + 10), (now + 10, now + 20)]);
        assert_eq!(keys.start(Role::Ctlog), now + 20);
        // The loaded CT key is the newest one, and neither retired key is the current one.
        let current = keys.ct.public_key_der().to_vec();
        for r in rot.retired(Role::Ctlog) {
            assert_ne!(r.public_key_der().unwrap(), current);
        }
        // Other roles did not move.
        assert_eq!(rot.generation(Role::RekorV1), 0);
        assert_eq!(keys.start(Role::RekorV1), created);
    }

    #[test]
    fn a_rotation_must_start_after_the_current_key() {
        let (d, now) = instance();
        rotate(d.path(), Role::Tsa, now, None, None).unwrap();
        let err = rotate(d.path(), Role::Tsa, now, None, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("must start after the current one"), "{err}");
    }

    #[test]
    fn the_trusted_root_lists_retired_keys_then_the_current_one() {
        let (d, now) = instance();
        for role in Role::ALL {
            rotate(d.path(), role, now + 5, None, None).unwrap();
        }
        let keys = InstanceKeys::load_or_create(&d.path().join("keys"), 0, None, None).unwrap();
        let urls = crate::trust::Urls {
            base: "http://127.0.0.1:1".into(),
        };
        let tr = crate::trust::trusted_root(&keys, &urls);
        let end = signet_core::time::format_rfc3339(now + 5);
        let closed =
            |v: &Option<signet_core::trust::TimeRange>| v.as_ref().and_then(|r| r.end.clone());
        assert_eq!(tr.tlogs.len(), 4);
        assert_eq!(closed(&tr.tlogs[0].public_key.valid_for), Some(end.clone()));
        assert_eq!(closed(&tr.tlogs[1].public_key.valid_for), None);
        assert_eq!(tr.tlogs[2].base_url, "http://127.0.0.1:1/rekor2");
        assert_eq!(tr.tlogs[3].base_url, "http://127.0.0.1:1/rekor2-g1");
        assert_eq!(
            closed(&tr.ctlogs[0].public_key.valid_for),
            Some(end.clone())
        );
        assert_eq!(
            tr.certificate_authorities[0].valid_for.end,
            Some(end.clone())
        );
        assert_eq!(tr.certificate_authorities[1].valid_for.end, None);
        assert_eq!(tr.timestamp_authorities[0].valid_for.end, Some(end));
        // The new CA is issued by the same root; the signing config names the new v2 shard.
        let chain = &tr.certificate_authorities[1].cert_chain.certificates;
        assert_eq!(
            chain.last().unwrap().raw_bytes,
            tr.certificate_authorities[0]
                .cert_chain
                .certificates
                .last()
                .unwrap()
                .raw_bytes
        );
        let sc = crate::trust::signing_config(&keys, &urls, false);
        assert_eq!(sc.rekor_tlog_urls[0].url, "http://127.0.0.1:1/rekor2-g1");
        // The trust material verifies: the roots parse as a verifier would load them.
        signet_verify::Verifier::new(&tr).unwrap();
    }
}
