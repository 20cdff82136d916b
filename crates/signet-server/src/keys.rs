//! The instance's long-lived keys and certificates, generated on first start and kept in
//! `DATA_DIR/keys` (PKCS#8 / DER files, mode 0600 where the platform supports it), or kept in
//! a PKCS#11 token (`signet keys init --pkcs11-module ...`): then `DATA_DIR/keys` holds only
//! the certificates, `pkcs11.json` naming the keys' labels, and the development issuer's key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use signet_core::certs::Ca;
use signet_core::keys::{Curve, EcKey, EdKey};
use signet_core::signer::{KeyProvider, SharedSigner, SignatureAlgorithm};
use signet_core::time::format_rfc3339;

pub(crate) use crate::files::write_private;
pub use crate::generations::TOKEN_MANIFEST;
use crate::generations::{
    file_key, gen_file, manifest_label, read_manifest, token_key, Role, Rotations,
};
use crate::{Error, Result};

/// Every key and certificate of the instance (`Debug` shows no key material).
#[derive(Debug)]
pub struct InstanceKeys {
    /// The certificates above the issuing CA, up to the root (DER): the generated root, or
    /// the organisation's chain for a brought CA (`--ca-chain`).
    pub ca_chain: Vec<Vec<u8>>,
    /// Fulcio issuing CA (P-384 when generated): its key and certificate.
    pub ca_intermediate: Ca<SharedSigner>,
    /// CT log key (P-256).
    pub ct: SharedSigner,
    /// Rekor v1 key (P-256).
    pub rekor_v1: SharedSigner,
    /// Rekor v2 checkpoint key (Ed25519).
    pub rekor_v2: SharedSigner,
    /// The timestamp authority.
    pub tsa: TsaKeys,
    /// OIDC development issuer key (P-256; a file key in either store: it signs only the
    /// development issuer's test tokens).
    pub oidc: EcKey,
    /// When the keys were created (Unix seconds): the start of every generation-0 `validFor`.
    pub created: i64,
    /// Key rotations: each role's current generation and the retired ones.
    pub rotations: Rotations,
    /// Retired Rekor v1 keys (generation, signer), oldest first: their frozen shards still
    /// sign checkpoints and SETs for the entries they hold.
    pub retired_rekor_v1: Vec<(u32, SharedSigner)>,
    /// Retired Rekor v2 keys (generation, signer), oldest first (frozen shards' checkpoints).
    pub retired_rekor_v2: Vec<(u32, SharedSigner)>,
}

/// The timestamp authority's root, signing key and leaf certificate.
#[derive(Debug)]
pub struct TsaKeys {
    /// TSA root (P-384).
    pub root: Ca<SharedSigner>,
    /// TSA signing key (P-256).
    pub key: SharedSigner,
    /// The signing key's leaf certificate (DER), issued by `root`.
    pub leaf_der: Vec<u8>,
}

impl TsaKeys {
    /// The chain timestamps carry and the trusted root lists (DER): leaf, then root.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        vec![self.leaf_der.clone(), self.root.cert_der.clone()]
    }
}

impl InstanceKeys {
    /// The issuing CA's certificate, then those above it up to the root (DER).
    pub fn ca_certificates(&self) -> impl Iterator<Item = &Vec<u8>> {
        std::iter::once(&self.ca_intermediate.cert_der).chain(&self.ca_chain)
    }

    /// The start of `role`'s current key's `validFor`.
    pub fn start(&self, role: Role) -> i64 {
        self.rotations.start(role, self.created)
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Years of validity for the CA and TSA certificates.
pub(crate) const CA_YEARS: i64 = 10;

/// The `validFor` of certificates made at `now`: from a minute before, for [`CA_YEARS`].
fn ca_validity(now: i64) -> (i64, i64) {
    (now - 60, now + CA_YEARS * 365 * 86400)
}

/// A brought CA: the issuing CA, the certificates above it, and its key's PKCS#8.
pub(crate) type LoadedCa = (Ca<SharedSigner>, Vec<Vec<u8>>, Vec<u8>);

/// A CA the operator brings (Fulcio's `fileca`): the issuing CA's certificate chain, issuing
/// CA first and the organisation's root last, and the issuing CA's private key.
#[derive(Debug, Clone)]
pub struct BroughtCa {
    /// PEM certificates: the issuing CA, any intermediates, the root.
    pub chain_pem: String,
    /// The issuing CA's private key (PEM, P-256 or P-384).
    pub key_pem: String,
}

impl BroughtCa {
    /// Parse and check the chain and key: the key is the issuing certificate's, every
    /// certificate is a CA (basicConstraints cA, keyCertSign) signed by the next, and the last
    /// is self-signed.
    pub(crate) fn load(&self) -> Result<LoadedCa> {
        let bad = |m: String| Error::Config(format!("--ca-chain/--ca-key: {m}"));
        let certs = signet_core::x509::Certificate::all_from_pem(&self.chain_pem)
            .map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("expected PEM CERTIFICATE blocks, found none".into()));
        }
        let key = EcKey::from_pem(&self.key_pem).map_err(|e| bad(e.to_string()))?;
        for (i, c) in certs.iter().enumerate() {
            if !c.is_ca().map_err(|e| bad(e.to_string()))?
                || !c
                    .has_key_usage(x509_cert::ext::pkix::KeyUsages::KeyCertSign)
                    .map_err(|e| bad(e.to_string()))?
            {
                return Err(bad(format!(
                    "certificate #{i} ({}) is not a CA with keyCertSign",
                    c.subject()
                )));
            }
            let issuer = certs.get(i + 1).unwrap_or(c);
            c.verify_signed_by(&issuer.public_key().map_err(|e| bad(e.to_string()))?)
                .map_err(|_| {
                    bad(format!(
                        "certificate #{i} ({}) is not signed by {} ({})",
                        c.subject(),
                        if i + 1 < certs.len() {
                            "the next certificate"
                        } else {
                            "itself (the last must be the root)"
                        },
                        issuer.subject()
                    ))
                })?;
        }
        let pkcs8 = key.pkcs8_der().to_vec();
        let issuing = Ca::from_parts(Arc::new(key) as SharedSigner, certs[0].der().to_vec())
            .map_err(|e| bad(format!("the key is not the issuing certificate's: {e}")))?;
        Ok((
            issuing,
            certs[1..].iter().map(|c| c.der().to_vec()).collect(),
            pkcs8,
        ))
    }
}

pub(crate) fn chain_pem(chain: &[Vec<u8>]) -> String {
    chain
        .iter()
        .map(|d| signet_core::encoding::pem_encode("CERTIFICATE", d))
        .collect()
}

impl InstanceKeys {
    /// Load the keys from `dir`, or create them all if `dir/created` does not exist; with
    /// `brought`, the CA is the operator's instead of a generated one (first start only).
    ///
    /// With `token`, the keys are the token's, which [`InstanceKeys::init_in_token`] created
    /// (`signet keys init --pkcs11-module ...`): a data dir of file keys, or one not yet
    /// initialised, is refused, and so is a token data dir opened without a token.
    pub fn load_or_create(
        dir: &Path,
        now: i64,
        brought: Option<&BroughtCa>,
        token: Option<&dyn KeyProvider>,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let p = |n: &str| -> PathBuf { dir.join(n) };
        match (p(TOKEN_MANIFEST).exists(), token) {
            (true, Some(t)) => {
                if brought.is_some() {
                    return Err(Error::Config(
                        "--ca-chain/--ca-key: the CA of an instance whose keys are in a PKCS#11 token is the token's (signet keys init)".into(),
                    ));
                }
                return Self::load_from_token(dir, t);
            }
            (true, None) => {
                return Err(Error::Config(format!(
                    "{}: the instance's keys are in a PKCS#11 token (see {TOKEN_MANIFEST}); expected --pkcs11-module and --pkcs11-token",
                    dir.display()
                )))
            }
            (false, Some(t)) => {
                return Err(Error::Config(if p("created").exists() {
                    format!(
                        "{} holds file keys; expected the keys of {} (a data dir's keys do not move into a token)",
                        dir.display(),
                        t.describe()
                    )
                } else {
                    format!(
                        "{} has no keys yet; expected `signet keys init --pkcs11-module ... --pkcs11-token ... --data-dir ...` to have created them in {}",
                        dir.display(),
                        t.describe()
                    )
                }))
            }
            (false, None) => {}
        }
        if p("created").exists() {
            let keys = Self::load(dir)?;
            if let Some(b) = brought {
                let (issuing, _, _) = b.load()?;
                if issuing.cert_der != keys.ca_intermediate.cert_der {
                    return Err(Error::Config(format!(
                        "{} already holds an instance whose CA is not the one given with --ca-chain; a CA is brought on the first start only",
                        dir.display()
                    )));
                }
            }
            return Ok(keys);
        }
        let validity = ca_validity(now);
        let (ca_intermediate, ca_chain) = match brought {
            Some(b) => {
                let (issuing, chain, pkcs8) = b.load()?;
                write_private(&p("ca-intermediate.pk8"), &pkcs8)?;
                (issuing, chain)
            }
            None => {
                let root_key = EcKey::generate(Curve::P384)?;
                // The root key signs nothing after this: kept only so that an operator can
                // issue another intermediate offline.
                write_private(&p("ca-root.pk8"), root_key.pkcs8_der())?;
                let ca_root = Ca::root(root_key, "CN=signet-root,O=signet.dev", validity)?;
                let key = EcKey::generate(Curve::P384)?;
                write_private(&p("ca-intermediate.pk8"), key.pkcs8_der())?;
                let intermediate = ca_root.intermediate(
                    Arc::new(key) as SharedSigner,
                    "CN=signet-intermediate,O=signet.dev",
                    validity,
                    None,
                )?;
                (intermediate, vec![ca_root.cert_der])
            }
        };
        // The other keys are new files `<name>.pk8` (the manifest's role names, as in a token).
        let new_file_key = |role: &str| -> Result<SharedSigner> {
            // The file a loader reads the role from: its generation file, or the TSA root's.
            let name = match role {
                "tsaRoot" => "tsa-root",
                other => Role::ALL
                    .iter()
                    .find(|r| r.token_role() == other)
                    .map(|r| r.key_file())
                    .ok_or_else(|| {
                        Error::Config(format!("internal: no key file for role {role}"))
                    })?,
            };
            let path = p(&format!("{name}.pk8"));
            Ok(match alg_of(role)?.curve() {
                Some(curve) => {
                    let key = EcKey::generate(curve)?;
                    write_private(&path, key.pkcs8_der())?;
                    Arc::new(key)
                }
                None => {
                    let key = EdKey::generate()?;
                    write_private(&path, key.pkcs8_der())?;
                    Arc::new(key)
                }
            })
        };
        Self::create(dir, now, (ca_intermediate, ca_chain), &new_file_key, &[])
    }

    /// Make a new instance's keys and certificates around its issuing CA `ca` (with the chain
    /// above it): the TSA root and leaf, CT log and Rekor keys from `new_key` (by manifest role
    /// name), a new development issuer file key; then write the certificates, the `extra`
    /// files (a token instance's manifest) and, last, `created`.
    fn create(
        dir: &Path,
        now: i64,
        (ca_intermediate, ca_chain): (Ca<SharedSigner>, Vec<Vec<u8>>),
        new_key: &dyn Fn(&str) -> Result<SharedSigner>,
        extra: &[(&str, Vec<u8>)],
    ) -> Result<Self> {
        let p = |n: &str| dir.join(n);
        let validity = ca_validity(now);
        let root = Ca::root(
            new_key("tsaRoot")?,
            "CN=signet-tsa-root,O=signet.dev",
            validity,
        )?;
        let key = new_key("tsa")?;
        let leaf_der = signet_core::certs::tsa_leaf(
            &root,
            key.as_ref(),
            "CN=signet-tsa,O=signet.dev",
            validity,
        )?;
        let oidc = EcKey::generate(Curve::P256)?;
        write_private(&p("oidc.pk8"), oidc.pkcs8_der())?;
        let keys = InstanceKeys {
            ca_chain,
            ca_intermediate,
            ct: new_key("ct")?,
            rekor_v1: new_key("rekorV1")?,
            rekor_v2: new_key("rekorV2")?,
            tsa: TsaKeys {
                root,
                key,
                leaf_der,
            },
            oidc,
            created: now - 60,
            rotations: Rotations::default(),
            retired_rekor_v1: vec![],
            retired_rekor_v2: vec![],
        };
        write_private(&p("ca-intermediate.der"), &keys.ca_intermediate.cert_der)?;
        write_private(&p("ca-chain.pem"), chain_pem(&keys.ca_chain).as_bytes())?;
        write_private(&p("tsa-root.der"), &keys.tsa.root.cert_der)?;
        write_private(&p("tsa.der"), &keys.tsa.leaf_der)?;
        for (name, bytes) in extra {
            write_private(&p(name), bytes)?;
        }
        write_created(dir, keys.created)?;
        Ok(keys)
    }

    fn load(dir: &Path) -> Result<Self> {
        let p = |n: &str| dir.join(n);
        // CA keys are read as PEM, which says their curve (a brought CA's may be P-256).
        let ca_key = |name: &str, gen: u32| -> Result<SharedSigner> {
            let text = signet_core::encoding::pem_encode(
                "PRIVATE KEY",
                &read(&p(&gen_file(name, "pk8", gen)))?,
            );
            Ok(Arc::new(EcKey::from_pem(&text)?))
        };
        Self::assemble(
            dir,
            &|r, gen| file_key(r, &read(&p(&gen_file(r.key_file(), "pk8", gen)))?),
            &|gen| ca_key("ca-intermediate", gen),
            &|| ca_key("tsa-root", 0),
        )
    }

    /// An instance from the certificates, `created` and rotations in `dir` and its keys: `key`
    /// opens a role's key of a generation, `ca_key` the issuing CA's of a generation and
    /// `tsa_root_key` the TSA root's.
    fn assemble(
        dir: &Path,
        key: &dyn Fn(Role, u32) -> Result<SharedSigner>,
        ca_key: &dyn Fn(u32) -> Result<SharedSigner>,
        tsa_root_key: &dyn Fn() -> Result<SharedSigner>,
    ) -> Result<Self> {
        let p = |n: &str| dir.join(n);
        let created = read_created(dir)?;
        let rotations = Rotations::load(dir)?;
        let g = |r: Role| rotations.generation(r);
        let retired = |r: Role| retired_signers(&rotations, r, key);
        Ok(InstanceKeys {
            ca_chain: read_ca_chain(dir, g(Role::Ca))?,
            ca_intermediate: Ca::from_parts(
                ca_key(g(Role::Ca))?,
                read(&p(&gen_file("ca-intermediate", "der", g(Role::Ca))))?,
            )?,
            tsa: TsaKeys {
                root: Ca::from_parts(tsa_root_key()?, read(&p("tsa-root.der"))?)?,
                key: key(Role::Tsa, g(Role::Tsa))?,
                leaf_der: read(&p(&gen_file("tsa", "der", g(Role::Tsa))))?,
            },
            ct: key(Role::Ctlog, g(Role::Ctlog))?,
            rekor_v1: key(Role::RekorV1, g(Role::RekorV1))?,
            rekor_v2: key(Role::RekorV2, g(Role::RekorV2))?,
            oidc: EcKey::from_pkcs8(Curve::P256, &read(&p("oidc.pk8"))?)?,
            created,
            retired_rekor_v1: retired(Role::RekorV1)?,
            retired_rekor_v2: retired(Role::RekorV2)?,
            rotations,
        })
    }
}

/// Role `r`'s retired keys (generation, signer), oldest first, opened by `key`.
fn retired_signers(
    rotations: &Rotations,
    r: Role,
    key: &dyn Fn(Role, u32) -> Result<SharedSigner>,
) -> Result<Vec<(u32, SharedSigner)>> {
    rotations
        .retired(r)
        .map(|x| Ok((x.generation, key(r, x.generation)?)))
        .collect()
}

/// The keys an instance keeps in a PKCS#11 token: role (the manifest's name), label in the
/// token, algorithm.
pub const TOKEN_KEYS: [(&str, &str, SignatureAlgorithm); 11] = {
    const P256: SignatureAlgorithm = SignatureAlgorithm::EcdsaP256Sha256;
    const P384: SignatureAlgorithm = SignatureAlgorithm::EcdsaP384Sha384;
    const ED25519: SignatureAlgorithm = SignatureAlgorithm::Ed25519;
    [
        ("caRoot", "signet-ca-root", P384),
        ("ca", "signet-ca", P384),
        ("ct", "signet-ct", P256),
        ("rekorV1", "signet-rekor-v1", P256),
        ("rekorV2", "signet-rekor-v2", ED25519),
        ("tsaRoot", "signet-tsa-root", P384),
        ("tsa", "signet-tsa", P256),
        ("tufRoot", "signet-tuf-root", ED25519),
        ("tufTargets", "signet-tuf-targets", ED25519),
        ("tufSnapshot", "signet-tuf-snapshot", ED25519),
        ("tufTimestamp", "signet-tuf-timestamp", ED25519),
    ]
};

/// The manifest roles of the TUF repository's top-level keys, per TUF role.
const TUF_TOKEN_ROLES: [(&str, &str); 4] = [
    ("root", "tufRoot"),
    ("targets", "tufTargets"),
    ("snapshot", "tufSnapshot"),
    ("timestamp", "tufTimestamp"),
];

/// The token holding the TUF keys of the instance whose keys are in `keys_dir`, with its
/// manifest; `None` when the TUF keys are files (file-key instances, and token instances made
/// before TUF keys moved into the token).
fn tuf_in_token<'t>(
    keys_dir: &Path,
    token: Option<&'t dyn KeyProvider>,
) -> Result<Option<(&'t dyn KeyProvider, serde_json::Value)>> {
    let Some(m) = read_manifest(keys_dir)? else {
        return Ok(None);
    };
    if manifest_label(&m, "tufRoot").is_err() {
        return Ok(None);
    }
    let t = token.ok_or_else(|| {
        Error::Config(format!(
            "{}: the TUF keys are in a PKCS#11 token; expected --pkcs11-module and --pkcs11-token",
            keys_dir.join(TOKEN_MANIFEST).display()
        ))
    })?;
    Ok(Some((t, m)))
}

/// Open the instance's TUF repository (`DATA/tuf`), creating it on first use: its top-level
/// role keys are in the token when the instance's keys are (`signet keys init --pkcs11-*`),
/// else files `DATA/keys/tuf-*.pk8`.
pub fn open_tuf(
    data_dir: &Path,
    now: i64,
    token: Option<&dyn KeyProvider>,
) -> Result<signet_tuf::repo::Repository> {
    let in_token = tuf_in_token(&data_dir.join("keys"), token)?;
    open_tuf_with(data_dir, now, in_token.as_ref().map(|(t, m)| (*t, m)))
}

fn open_tuf_with(
    data_dir: &Path,
    now: i64,
    in_token: Option<(&dyn KeyProvider, &serde_json::Value)>,
) -> Result<signet_tuf::repo::Repository> {
    let keys_dir = data_dir.join("keys");
    let tuf = data_dir.join("tuf");
    match in_token {
        None => Ok(signet_tuf::repo::Repository::open_or_init(
            &tuf, &keys_dir, now,
        )?),
        Some((t, m)) => {
            let mut signers = vec![];
            for (role, key) in TUF_TOKEN_ROLES {
                let label = manifest_label(m, key)?;
                signers.push((role, t.open(label, SignatureAlgorithm::Ed25519)?));
            }
            Ok(signet_tuf::repo::Repository::open_or_init_with_signers(
                &tuf, &keys_dir, now, &signers,
            )?)
        }
    }
}

/// Rotate the TUF root key (`signet tuf rotate-root`): root version N+1 lists a new root key
/// and is signed by the old and the new one. A token instance's new key is made in the token
/// (label `signet-tuf-root-v<N+1>`, recorded in the manifest); a file instance's as
/// `keys/tuf-root.pk8` (the old one kept as `tuf-root.v<N>.pk8`). Returns the new version.
pub fn rotate_tuf_root(data_dir: &Path, now: i64, token: Option<&dyn KeyProvider>) -> Result<u64> {
    let keys_dir = data_dir.join("keys");
    let in_token = tuf_in_token(&keys_dir, token)?;
    let mut repo = open_tuf_with(data_dir, now, in_token.as_ref().map(|(t, m)| (*t, m)))?;
    let Some((t, mut m)) = in_token else {
        return Ok(repo.rotate_root(now)?);
    };
    let v = repo.root_version()?;
    let label = format!("signet-tuf-root-v{}", v + 1);
    let new = t.generate(&label, SignatureAlgorithm::Ed25519)?;
    let done = repo.rotate_root_to(new, now)?;
    m["keys"]["tufRoot"] = serde_json::Value::from(label);
    write_private(
        &keys_dir.join(TOKEN_MANIFEST),
        format!("{m:#}\n").as_bytes(),
    )?;
    Ok(done)
}

/// The algorithm of manifest role `role` ([`TOKEN_KEYS`]); an unknown role is an error, never
/// a default.
fn alg_of(role: &str) -> Result<SignatureAlgorithm> {
    TOKEN_KEYS
        .iter()
        .find(|(r, _, _)| *r == role)
        .map(|(_, _, a)| *a)
        .ok_or_else(|| Error::Config(format!("internal: no algorithm for role {role}")))
}

impl InstanceKeys {
    /// Create the instance's keys in a PKCS#11 token (labels [`TOKEN_KEYS`]) and write their
    /// certificates, the manifest [`TOKEN_MANIFEST`] and the development issuer's file key to
    /// `dir`. No private key of the CA, CT log, Rekor logs or TSA is written anywhere.
    pub fn init_in_token(dir: &Path, now: i64, token: &dyn KeyProvider) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let p = |n: &str| -> PathBuf { dir.join(n) };
        if p("created").exists() || p(TOKEN_MANIFEST).exists() {
            return Err(Error::Config(format!(
                "{} already holds an instance's keys; expected an empty data dir",
                dir.display()
            )));
        }
        let mut made = std::collections::BTreeMap::new();
        for (role, label, alg) in TOKEN_KEYS {
            made.insert(role, token.generate(label, alg)?);
        }
        let key = |role: &str| -> Result<SharedSigner> {
            made.get(role)
                .cloned()
                .ok_or_else(|| Error::Config(format!("internal: no {role} key generated")))
        };
        let validity = ca_validity(now);
        let ca_root = Ca::root(key("caRoot")?, "CN=signet-root,O=signet.dev", validity)?;
        let ca_intermediate = ca_root.intermediate(
            key("ca")?,
            "CN=signet-intermediate,O=signet.dev",
            validity,
            None,
        )?;
        write_private(&p("ca-root.der"), &ca_root.cert_der)?;
        let manifest = serde_json::json!({
            "store": "pkcs11",
            "token": token.describe(),
            "keys": TOKEN_KEYS.iter().map(|(role, label, _)| (role.to_string(), serde_json::Value::from(*label))).collect::<serde_json::Map<_, _>>(),
        });
        // The manifest marks a token instance: written with the certificates, before `created`.
        let manifest = (TOKEN_MANIFEST, format!("{manifest:#}\n").into_bytes());
        let chain = vec![ca_root.cert_der];
        Self::create(dir, now, (ca_intermediate, chain), &key, &[manifest])
    }

    /// Load an instance whose keys are in `token`: the labels from the manifest, the
    /// certificates from `dir`; each certificate must carry its key's public key.
    fn load_from_token(dir: &Path, token: &dyn KeyProvider) -> Result<Self> {
        let manifest = read_manifest(dir)?.ok_or_else(|| {
            Error::Config(format!("{}: missing", dir.join(TOKEN_MANIFEST).display()))
        })?;
        let key = |r: Role, gen: u32| token_key(token, &manifest, r, gen);
        Self::assemble(
            dir,
            &key,
            &|gen| key(Role::Ca, gen),
            // The TSA root's key signs only TSA certificates (`keys init`, `keys rotate tsa`).
            &|| Ok(token.open(manifest_label(&manifest, "tsaRoot")?, alg_of("tsaRoot")?)?),
        )
    }
}

/// The chain above the issuing CA of generation `g`; data dirs from before brought CAs keep
/// only the root.
fn read_ca_chain(dir: &Path, g: u32) -> Result<Vec<Vec<u8>>> {
    let p = |n: &str| dir.join(n);
    let chain = gen_file("ca-chain", "pem", g);
    Ok(if g > 0 || p(&chain).exists() {
        let text = String::from_utf8_lossy(&read(&p(&chain))?).into_owned();
        signet_core::x509::Certificate::all_from_pem(&text)?
            .into_iter()
            .map(|c| c.der().to_vec())
            .collect()
    } else {
        vec![read(&p("ca-root.der"))?]
    })
}

fn read_created(dir: &Path) -> Result<i64> {
    let path = dir.join("created");
    let text = String::from_utf8_lossy(&read(&path)?).into_owned();
    text.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| {
            Error::Config(format!(
                "{}: expected Unix seconds on the first line",
                path.display()
            ))
        })
}

/// Written last: its presence means every other file is complete.
fn write_created(dir: &Path, created: i64) -> Result<()> {
    // The renames of every key and certificate reach the disk before the marker that says the
    // instance is complete (a power loss cannot leave `created` without them).
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))?;
    write_private(
        &dir.join("created"),
        format!("{created}\n{}\n", format_rfc3339(created)).as_bytes(),
    )
}

#[cfg(test)]
mod token_tests {
    use super::*;
    use signet_core::signer::{verify_own, KeyProvider};
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// A key store in memory: what a PKCS#11 token does, without one.
    #[derive(Debug, Default)]
    struct MemoryToken(Mutex<HashMap<String, SharedSigner>>);

    impl KeyProvider for MemoryToken {
        fn generate(
            &self,
            label: &str,
            alg: SignatureAlgorithm,
        ) -> signet_core::Result<SharedSigner> {
            let k: SharedSigner = match alg.curve() {
                Some(c) => Arc::new(EcKey::generate(c)?),
                None => Arc::new(EdKey::generate()?),
            };
            let mut m = self.0.lock().unwrap();
            assert!(
                m.insert(label.to_string(), k.clone()).is_none(),
                "{label} twice"
            );
            Ok(k)
        }
        fn open(&self, label: &str, alg: SignatureAlgorithm) -> signet_core::Result<SharedSigner> {
            let k = self.0.lock().unwrap().get(label).cloned().unwrap();
            assert_eq!(k.algorithm(), alg, "{label}");
            Ok(k)
        }
        fn describe(&self) -> String {
            "memory token".into()
        }
    }

    #[test]
    fn token_keys_are_created_and_reopened_and_no_private_key_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let token = MemoryToken::default();
        let made = InstanceKeys::init_in_token(dir.path(), 1_700_000_000, &token).unwrap();
        assert_eq!(token.0.lock().unwrap().len(), TOKEN_KEYS.len());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let private: Vec<&String> = names.iter().filter(|n| n.ends_with(".pk8")).collect();
        assert_eq!(private, vec!["oidc.pk8"], "{names:?}");

        let again = InstanceKeys::load_or_create(dir.path(), 0, None, Some(&token)).unwrap();
        assert_eq!(
            again.ca_intermediate.cert_der,
            made.ca_intermediate.cert_der
        );
        assert_eq!(
            again.rekor_v2.public_key_der(),
            made.rekor_v2.public_key_der()
        );
        assert_eq!(again.created, made.created);
        for k in [&again.ct, &again.rekor_v1, &again.rekor_v2, &again.tsa.key] {
            verify_own(k.as_ref(), b"m", &k.sign(b"m").unwrap()).unwrap();
        }
        // The TSA chain and certificates load as the server builds them.
        crate::tsa::signer(&again).unwrap();

        let err = InstanceKeys::load_or_create(dir.path(), 0, None, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--pkcs11-module"), "{err}");
        let err = InstanceKeys::init_in_token(dir.path(), 0, &token)
            .unwrap_err()
            .to_string();
        assert!(err.contains("already holds"), "{err}");
    }

    #[test]
    fn file_key_data_dirs_and_empty_ones_are_refused_with_a_token() {
        let token = MemoryToken::default();
        let empty = tempfile::tempdir().unwrap();
        let err = InstanceKeys::load_or_create(empty.path(), 0, None, Some(&token))
            .unwrap_err()
            .to_string();
        assert!(err.contains("signet keys init"), "{err}");
        let files = tempfile::tempdir().unwrap();
        InstanceKeys::load_or_create(files.path(), 1_700_000_000, None, None).unwrap();
        let err = InstanceKeys::load_or_create(files.path(), 0, None, Some(&token))
            .unwrap_err()
            .to_string();
        assert!(err.contains("holds file keys"), "{err}");
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;

    /// Review finding: a file instance's key algorithms came from a role-name lookup that fell
    /// back to P-256 for a name it did not know. Each key has its role's algorithm, as made and
    /// as loaded again.
    #[test]
    fn file_instance_keys_have_their_roles_algorithms() {
        let tmp = tempfile::tempdir().unwrap();
        let now = signet_core::time::unix_now();
        let made = InstanceKeys::load_or_create(tmp.path(), now, None, None).unwrap();
        let loaded = InstanceKeys::load_or_create(tmp.path(), now, None, None).unwrap();
        for k in [made, loaded] {
            let algs = [
                (
                    k.ca_intermediate.key.algorithm(),
                    SignatureAlgorithm::EcdsaP384Sha384,
                ),
                (k.ct.algorithm(), SignatureAlgorithm::EcdsaP256Sha256),
                (k.rekor_v1.algorithm(), SignatureAlgorithm::EcdsaP256Sha256),
                (k.rekor_v2.algorithm(), SignatureAlgorithm::Ed25519),
                (
                    k.tsa.root.key.algorithm(),
                    SignatureAlgorithm::EcdsaP384Sha384,
                ),
                (k.tsa.key.algorithm(), SignatureAlgorithm::EcdsaP256Sha256),
            ];
            for (i, (got, want)) in algs.into_iter().enumerate() {
                assert_eq!(got, want, "key #{i}");
            }
        }
        assert!(alg_of("noSuchRole").is_err());
    }
}
