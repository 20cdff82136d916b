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
use crate::rotation::{Retired, Role};

/// Public URLs of the instance's services.
#[derive(Debug, Clone)]
pub struct Urls {
    /// Base URL (Fulcio, Rekor v1, CT, TSA and trust endpoints live under it).
    pub base: String,
}

impl Urls {
    /// The base URL of Rekor v2's shard of key generation `g`: `BASE/rekor2` for the first,
    /// `BASE/rekor2-g<g>` after a rotation.
    pub fn rekor_v2_shard(&self, g: u32) -> String {
        format!("{}{}", self.base, rekor_v2_path(g))
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

/// The path of Rekor v2's shard of key generation `g` under the base URL.
pub fn rekor_v2_path(g: u32) -> String {
    if g == 0 {
        "/rekor2".into()
    } else {
        format!("/rekor2-g{g}")
    }
}

fn since(t: i64) -> TimeRange {
    TimeRange {
        start: Some(format_rfc3339(t)),
        end: None,
    }
}

fn window(r: &Retired) -> TimeRange {
    TimeRange {
        start: Some(format_rfc3339(r.start)),
        end: Some(format_rfc3339(r.end)),
    }
}

fn log_instance(
    base_url: String,
    spki: Vec<u8>,
    key_details: &str,
    log_id: Vec<u8>,
    valid_for: TimeRange,
) -> TransparencyLogInstance {
    TransparencyLogInstance {
        base_url,
        hash_algorithm: "SHA2_256".into(),
        public_key: PublicKeyDetails {
            raw_bytes: Some(spki),
            key_details: key_details.into(),
            valid_for: Some(valid_for),
        },
        log_id: LogId { key_id: log_id },
        checkpoint_key_id: None,
        operator: None,
    }
}

fn cert_chain(certs: &[Vec<u8>]) -> CertChain {
    CertChain {
        certificates: certs
            .iter()
            .map(|d| X509Certificate {
                raw_bytes: d.clone(),
            })
            .collect(),
    }
}

fn rekor_v2_instance(
    urls: &Urls,
    g: u32,
    spki: Vec<u8>,
    valid_for: TimeRange,
) -> TransparencyLogInstance {
    let raw = signet_core::crypto::PublicKey::from_spki_der(&spki)
        .ok()
        .and_then(|k| k.raw_key_bits())
        .unwrap_or_default();
    let key_id = ed25519_key_id(&urls.rekor_v2_origin(), &raw).to_vec();
    log_instance(
        urls.rekor_v2_shard(g),
        spki,
        "PKIX_ED25519",
        key_id,
        valid_for,
    )
}

/// The trusted root describing this instance: for each role its retired keys (closed
/// `validFor`, oldest first) and then its current one.
pub fn trusted_root(keys: &InstanceKeys, urls: &Urls) -> TrustedRoot {
    let rot = &keys.rotations;
    let retired_keys = |role: Role| {
        rot.retired(role)
            .filter_map(|r| Some((r, r.public_key_der().ok()?)))
            .collect::<Vec<_>>()
    };
    let retired_chains = |role: Role| {
        rot.retired(role)
            .filter_map(|r| Some((r, r.chain_der().ok()?)))
            .collect::<Vec<_>>()
    };
    let p256 = "PKIX_ECDSA_P256_SHA_256";
    let mut tlogs = vec![];
    for (r, spki) in retired_keys(Role::RekorV1) {
        let id = sha256(&spki).to_vec();
        tlogs.push(log_instance(urls.base.clone(), spki, p256, id, window(r)));
    }
    let v1 = keys.rekor_v1.public_key_der().to_vec();
    tlogs.push(log_instance(
        urls.base.clone(),
        v1.clone(),
        p256,
        sha256(&v1).to_vec(),
        since(keys.start(Role::RekorV1)),
    ));
    for (r, spki) in retired_keys(Role::RekorV2) {
        tlogs.push(rekor_v2_instance(urls, r.generation, spki, window(r)));
    }
    tlogs.push(rekor_v2_instance(
        urls,
        rot.generation(Role::RekorV2),
        keys.rekor_v2.public_key_der().to_vec(),
        since(keys.start(Role::RekorV2)),
    ));
    let mut ctlogs = vec![];
    let ct_url = format!("{}/ct", urls.base);
    for (r, spki) in retired_keys(Role::Ctlog) {
        let id = sha256(&spki).to_vec();
        ctlogs.push(log_instance(ct_url.clone(), spki, p256, id, window(r)));
    }
    let ct = keys.ct.public_key_der().to_vec();
    ctlogs.push(log_instance(
        ct_url,
        ct.clone(),
        p256,
        sha256(&ct).to_vec(),
        since(keys.start(Role::Ctlog)),
    ));
    // A role's certificate authorities: its retired chains, then the `current` one.
    let authorities = |role: Role,
                       current: &[Vec<u8>],
                       uri: &str,
                       subject: &dyn Fn(&[Vec<u8>]) -> DistinguishedName| {
        let ca = |chain: &[Vec<u8>], valid_for: TimeRange| CertificateAuthority {
            subject: subject(chain),
            uri: uri.to_string(),
            cert_chain: cert_chain(chain),
            valid_for,
            operator: None,
        };
        let mut v: Vec<CertificateAuthority> = retired_chains(role)
            .into_iter()
            .map(|(r, chain)| ca(&chain, window(r)))
            .collect();
        v.push(ca(current, since(keys.start(role))));
        v
    };
    let current_chain: Vec<Vec<u8>> = keys.ca_certificates().cloned().collect();
    let cas = authorities(Role::Ca, &current_chain, &urls.base, &|chain| {
        subject_of(&chain[0])
    });
    let tsas = authorities(Role::Tsa, &keys.tsa.chain(), &urls.tsa(), &|_| {
        DistinguishedName {
            organization: "signet.dev".into(),
            common_name: "signet-tsa".into(),
        }
    });
    TrustedRoot {
        media_type: TRUSTED_ROOT_MEDIA_TYPE.into(),
        tlogs,
        certificate_authorities: cas,
        ctlogs,
        timestamp_authorities: tsas,
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
    let v2 = keys.rotations.generation(Role::RekorV2);
    SigningConfig {
        media_type: SIGNING_CONFIG_MEDIA_TYPE.into(),
        ca_urls: vec![service(urls.base.clone(), 1, start)],
        oidc_urls: if dev_issuer {
            vec![service(urls.oidc(), 1, start)]
        } else {
            vec![]
        },
        rekor_tlog_urls: vec![
            service(urls.rekor_v2_shard(v2), 2, keys.start(Role::RekorV2)),
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
