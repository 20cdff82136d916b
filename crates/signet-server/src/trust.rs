//! The instance's trust material: `trusted_root.json`, `signing_config.v0.2.json` and a
//! ClientTrustConfig, so `sigstore --trust-config` and `signet --trust-config` work unedited.

use signet_core::bundle::{LogId, X509Certificate};
use signet_core::checkpoint::ed25519_key_id;
use signet_core::encoding::sha256;
use signet_core::time::format_rfc3339;
use signet_core::trust::{
    CertChain, CertificateAuthority, ClientTrustConfig, DistinguishedName, PublicKeyDetails,
    Service, ServiceConfiguration, SigningConfig, TimeRange, TransparencyLogInstance, TrustedRoot,
    CLIENT_TRUST_CONFIG_MEDIA_TYPE, SIGNING_CONFIG_MEDIA_TYPE, TRUSTED_ROOT_MEDIA_TYPE,
};

use crate::keys::InstanceKeys;

/// Public URLs of the instance's services.
#[derive(Debug, Clone)]
pub struct Urls {
    /// Base URL (Fulcio, Rekor v1, CT, TSA and trust endpoints live under it).
    pub base: String,
}

impl Urls {
    /// Rekor v2's base URL.
    pub fn rekor_v2(&self) -> String {
        format!("{}/rekor2", self.base)
    }
    /// The OIDC issuer URL.
    pub fn oidc(&self) -> String {
        format!("{}/oidc", self.base)
    }
    /// The TSA endpoint.
    pub fn tsa(&self) -> String {
        format!("{}/api/v1/timestamp", self.base)
    }
    /// The host[:port] part, used as log origin names.
    pub fn host(&self) -> String {
        self.base
            .split("://")
            .nth(1)
            .unwrap_or(&self.base)
            .trim_end_matches('/')
            .to_string()
    }
    /// Rekor v1 checkpoint origin: `<host> - <tree id>`.
    pub fn rekor_v1_origin(&self, tree_id: u64) -> String {
        format!("{} - {tree_id}", self.host())
    }
    /// Rekor v2 checkpoint origin (also its signer name): the host name of its base URL, which
    /// is what verifiers (sigstore-go, signet-verify) bind a Rekor v2 checkpoint to.
    pub fn rekor_v2_origin(&self) -> String {
        let authority = self.host();
        match authority.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                host.to_string()
            }
            _ => authority,
        }
    }
}

fn since(t: i64) -> TimeRange {
    TimeRange {
        start: Some(format_rfc3339(t)),
        end: None,
    }
}

/// The trusted root describing this instance.
pub fn trusted_root(keys: &InstanceKeys, urls: &Urls) -> TrustedRoot {
    let start = keys.created;
    let v2_key_id = ed25519_key_id(&urls.rekor_v2_origin(), &keys.rekor_v2_public);
    TrustedRoot {
        media_type: TRUSTED_ROOT_MEDIA_TYPE.into(),
        tlogs: vec![
            TransparencyLogInstance {
                base_url: urls.base.clone(),
                hash_algorithm: "SHA2_256".into(),
                public_key: PublicKeyDetails {
                    raw_bytes: Some(keys.rekor_v1.public_key_der().to_vec()),
                    key_details: "PKIX_ECDSA_P256_SHA_256".into(),
                    valid_for: Some(since(start)),
                },
                log_id: LogId {
                    key_id: sha256(keys.rekor_v1.public_key_der()).to_vec(),
                },
                checkpoint_key_id: None,
                operator: None,
            },
            TransparencyLogInstance {
                base_url: urls.rekor_v2(),
                hash_algorithm: "SHA2_256".into(),
                public_key: PublicKeyDetails {
                    raw_bytes: Some(keys.rekor_v2.public_key_der().to_vec()),
                    key_details: "PKIX_ED25519".into(),
                    valid_for: Some(since(start)),
                },
                log_id: LogId {
                    key_id: v2_key_id.to_vec(),
                },
                checkpoint_key_id: None,
                operator: None,
            },
        ],
        certificate_authorities: vec![CertificateAuthority {
            subject: subject_of(&keys.ca_intermediate.cert_der),
            uri: urls.base.clone(),
            cert_chain: CertChain {
                certificates: std::iter::once(&keys.ca_intermediate.cert_der)
                    .chain(&keys.ca_chain)
                    .map(|d| X509Certificate {
                        raw_bytes: d.clone(),
                    })
                    .collect(),
            },
            valid_for: since(start),
            operator: None,
        }],
        ctlogs: vec![TransparencyLogInstance {
            base_url: format!("{}/ct", urls.base),
            hash_algorithm: "SHA2_256".into(),
            public_key: PublicKeyDetails {
                raw_bytes: Some(keys.ct.public_key_der().to_vec()),
                key_details: "PKIX_ECDSA_P256_SHA_256".into(),
                valid_for: Some(since(start)),
            },
            log_id: LogId {
                key_id: sha256(keys.ct.public_key_der()).to_vec(),
            },
            checkpoint_key_id: None,
            operator: None,
        }],
        timestamp_authorities: vec![CertificateAuthority {
            subject: DistinguishedName {
                organization: "signet.dev".into(),
                common_name: "signet-tsa".into(),
            },
            uri: urls.tsa(),
            cert_chain: CertChain {
                certificates: vec![
                    X509Certificate {
                        raw_bytes: keys.tsa_leaf_der.clone(),
                    },
                    X509Certificate {
                        raw_bytes: keys.tsa_root.cert_der.clone(),
                    },
                ],
            },
            valid_for: since(start),
            operator: None,
        }],
    }
}

fn service(url: String, version: u32, start: i64) -> Service {
    Service {
        url,
        major_api_version: version,
        valid_for: since(start),
        operator: "signet".into(),
    }
}

/// The signing config for this instance.
/// The signing config; it lists the development issuer only when it runs.
pub fn signing_config(keys: &InstanceKeys, urls: &Urls, dev_issuer: bool) -> SigningConfig {
    let start = keys.created;
    SigningConfig {
        media_type: SIGNING_CONFIG_MEDIA_TYPE.into(),
        ca_urls: vec![service(urls.base.clone(), 1, start)],
        oidc_urls: if dev_issuer {
            vec![service(urls.oidc(), 1, start)]
        } else {
            vec![]
        },
        rekor_tlog_urls: vec![
            service(urls.rekor_v2(), 2, start),
            service(urls.base.clone(), 1, start),
        ],
        rekor_tlog_config: Some(ServiceConfiguration {
            selector: "ANY".into(),
            count: None,
        }),
        tsa_urls: vec![service(urls.tsa(), 1, start)],
        tsa_config: Some(ServiceConfiguration {
            selector: "ANY".into(),
            count: None,
        }),
    }
}

/// The ClientTrustConfig wrapping both.
pub fn client_trust_config(
    keys: &InstanceKeys,
    urls: &Urls,
    dev_issuer: bool,
) -> ClientTrustConfig {
    ClientTrustConfig {
        media_type: CLIENT_TRUST_CONFIG_MEDIA_TYPE.into(),
        trusted_root: trusted_root(keys, urls),
        signing_config: signing_config(keys, urls, dev_issuer),
    }
}

/// The trusted root's `subject` of a CA: its certificate's O and CN.
fn subject_of(cert_der: &[u8]) -> DistinguishedName {
    let name = signet_core::x509::Certificate::from_der(cert_der)
        .map(|c| c.subject())
        .unwrap_or_default();
    let part = |key: &str| {
        name.split(',')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    };
    DistinguishedName {
        organization: part("O"),
        common_name: part("CN"),
    }
}
