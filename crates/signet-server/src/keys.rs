//! The instance's long-lived keys and certificates, generated on first start and kept in
//! `DATA_DIR/keys` (PKCS#8 / DER files, mode 0600 where the platform supports it).

use std::path::{Path, PathBuf};

use signet_core::certs::Ca;
use signet_core::keys::{Curve, EcKey, EdKey};
use signet_core::time::format_rfc3339;

use crate::{Error, Result};

/// Every key and certificate of the instance.
pub struct InstanceKeys {
    /// The certificates above the issuing CA, up to the root (DER): the generated root, or
    /// the organisation's chain for a brought CA (`--ca-chain`).
    pub ca_chain: Vec<Vec<u8>>,
    /// Fulcio issuing CA (P-384 when generated): its key and certificate.
    pub ca_intermediate: Ca,
    /// CT log key (P-256).
    pub ct: EcKey,
    /// Rekor v1 key (P-256).
    pub rekor_v1: EcKey,
    /// Rekor v2 checkpoint key (Ed25519).
    pub rekor_v2: EdKey,
    /// TSA root (P-384).
    pub tsa_root: Ca,
    /// TSA signing key (P-256) and leaf certificate DER.
    pub tsa_key: EcKey,
    /// TSA leaf certificate.
    pub tsa_leaf_der: Vec<u8>,
    /// OIDC development issuer key (P-256).
    pub oidc: EcKey,
    /// When the keys were created (Unix seconds): the start of every `validFor`.
    pub created: i64,
}

/// Write a secret atomically: a temp file with a unique name, created with mode 0600 (no
/// moment at a wider mode), then renamed into place.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let nonce = hex::encode(signet_core::keys::random_bytes::<8>()?);
    let tmp = path.with_extension(format!("tmp.{}.{nonce}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Years of validity for the CA and TSA certificates.
const CA_YEARS: i64 = 10;

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
    fn load(&self) -> Result<(Ca, Vec<Vec<u8>>)> {
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
        let issuing = Ca::from_parts(key, certs[0].der().to_vec())
            .map_err(|e| bad(format!("the key is not the issuing certificate's: {e}")))?;
        Ok((
            issuing,
            certs[1..].iter().map(|c| c.der().to_vec()).collect(),
        ))
    }
}

fn chain_pem(chain: &[Vec<u8>]) -> String {
    chain
        .iter()
        .map(|d| signet_core::encoding::pem_encode("CERTIFICATE", d))
        .collect()
}

impl InstanceKeys {
    /// Load the keys from `dir`, or create them all if `dir/created` does not exist; with
    /// `brought`, the CA is the operator's instead of a generated one (first start only).
    pub fn load_or_create(dir: &Path, now: i64, brought: Option<&BroughtCa>) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let p = |n: &str| -> PathBuf { dir.join(n) };
        if p("created").exists() {
            let keys = Self::load(dir)?;
            if let Some(b) = brought {
                let (issuing, _) = b.load()?;
                if issuing.cert_der != keys.ca_intermediate.cert_der {
                    return Err(Error::Config(format!(
                        "{} already holds an instance whose CA is not the one given with --ca-chain; a CA is brought on the first start only",
                        dir.display()
                    )));
                }
            }
            return Ok(keys);
        }
        let validity = (now - 60, now + CA_YEARS * 365 * 86400);
        let (ca_intermediate, ca_chain) = match brought {
            Some(b) => b.load()?,
            None => {
                let ca_root = Ca::root(
                    EcKey::generate(Curve::P384)?,
                    "CN=signet-root,O=signet.dev",
                    validity,
                )?;
                let intermediate = ca_root.intermediate(
                    EcKey::generate(Curve::P384)?,
                    "CN=signet-intermediate,O=signet.dev",
                    validity,
                    None,
                )?;
                // The root key signs nothing after this: kept only so that an operator can
                // issue another intermediate offline.
                write_private(&p("ca-root.pk8"), ca_root.key.pkcs8_der())?;
                (intermediate, vec![ca_root.cert_der])
            }
        };
        let tsa_root = Ca::root(
            EcKey::generate(Curve::P384)?,
            "CN=signet-tsa-root,O=signet.dev",
            validity,
        )?;
        let tsa_key = EcKey::generate(Curve::P256)?;
        let tsa_leaf_der = signet_core::certs::tsa_leaf(
            &tsa_root,
            &tsa_key,
            "CN=signet-tsa,O=signet.dev",
            validity,
        )?;
        let keys = InstanceKeys {
            ca_chain,
            ca_intermediate,
            ct: EcKey::generate(Curve::P256)?,
            rekor_v1: EcKey::generate(Curve::P256)?,
            rekor_v2: EdKey::generate()?,
            tsa_root,
            tsa_key,
            tsa_leaf_der,
            oidc: EcKey::generate(Curve::P256)?,
            created: now - 60,
        };
        for (name, ca) in [
            ("ca-intermediate", &keys.ca_intermediate),
            ("tsa-root", &keys.tsa_root),
        ] {
            write_private(&p(&format!("{name}.pk8")), ca.key.pkcs8_der())?;
            write_private(&p(&format!("{name}.der")), &ca.cert_der)?;
        }
        write_private(&p("ca-chain.pem"), chain_pem(&keys.ca_chain).as_bytes())?;
        write_private(&p("tsa.pk8"), keys.tsa_key.pkcs8_der())?;
        write_private(&p("tsa.der"), &keys.tsa_leaf_der)?;
        write_private(&p("ct.pk8"), keys.ct.pkcs8_der())?;
        write_private(&p("rekor-v1.pk8"), keys.rekor_v1.pkcs8_der())?;
        write_private(&p("rekor-v2.pk8"), keys.rekor_v2.pkcs8_der())?;
        write_private(&p("oidc.pk8"), keys.oidc.pkcs8_der())?;
        // Written last: its presence means every other file is complete.
        write_private(
            &p("created"),
            format!("{}\n{}\n", keys.created, format_rfc3339(keys.created)).as_bytes(),
        )?;
        Ok(keys)
    }

    fn load(dir: &Path) -> Result<Self> {
        let p = |n: &str| dir.join(n);
        let created_text = String::from_utf8_lossy(&read(&p("created"))?).into_owned();
        let created: i64 = created_text
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| {
                Error::Config(format!(
                    "{}: expected Unix seconds on the first line",
                    p("created").display()
                ))
            })?;
        let ca = |name: &str| -> Result<Ca> {
            let text = signet_core::encoding::pem_encode(
                "PRIVATE KEY",
                &read(&p(&format!("{name}.pk8")))?,
            );
            Ca::from_parts(EcKey::from_pem(&text)?, read(&p(&format!("{name}.der")))?)
                .map_err(Error::from)
        };
        // The chain above the issuing CA; data dirs from before brought CAs keep only the root.
        let ca_chain = if p("ca-chain.pem").exists() {
            let text = String::from_utf8_lossy(&read(&p("ca-chain.pem"))?).into_owned();
            signet_core::x509::Certificate::all_from_pem(&text)?
                .into_iter()
                .map(|c| c.der().to_vec())
                .collect()
        } else {
            vec![read(&p("ca-root.der"))?]
        };
        Ok(InstanceKeys {
            ca_chain,
            ca_intermediate: ca("ca-intermediate")?,
            tsa_root: ca("tsa-root")?,
            tsa_key: EcKey::from_pkcs8(Curve::P256, &read(&p("tsa.pk8"))?)?,
            tsa_leaf_der: read(&p("tsa.der"))?,
            ct: EcKey::from_pkcs8(Curve::P256, &read(&p("ct.pk8"))?)?,
            rekor_v1: EcKey::from_pkcs8(Curve::P256, &read(&p("rekor-v1.pk8"))?)?,
            rekor_v2: EdKey::from_pkcs8(&read(&p("rekor-v2.pk8"))?)?,
            oidc: EcKey::from_pkcs8(Curve::P256, &read(&p("oidc.pk8"))?)?,
            created,
        })
    }
}

#[cfg(test)]
mod secret_file_tests {
    /// The attack: `keys/client-secret` was readable by every local user (0644).
    #[cfg(unix)]
    #[test]
    fn secrets_are_written_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("client-secret");
        super::write_private(&p, b"s3cret").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        assert_eq!(std::fs::read(&p).unwrap(), b"s3cret");
        // Overwriting keeps the mode and leaves no temp file behind.
        super::write_private(&p, b"again").unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
