//! `signet serve`: a whole private Sigstore instance in one process.
//!
//! One axum router serves every service under one base URL:
//!
//! | service | paths |
//! |---|---|
//! | CA (Fulcio v2 API) | `/api/v2/signingCert`, `/api/v2/trustBundle`, `/api/v2/configuration` |
//! | CT log (RFC 6962) | `/ct/v1/add-pre-chain`, `/ct/v1/add-chain`, `/ct/v1/get-sth` |
//! | Rekor v1 | `/api/v1/log/...`, `/api/v1/index/retrieve` |
//! | Rekor v2 | `/rekor2/api/v2/log/entries`, tiles and checkpoint under `/rekor2/` and `/rekor2/api/v2/` |
//! | TSA (RFC 3161) | `/api/v1/timestamp`, `/api/v1/timestamp/certchain` |
//! | OIDC issuer (development) | `/oidc/.well-known/openid-configuration`, `/oidc/jwks`, `/oidc/authorize`, `/oidc/token`, `/oidc/device/code` |
//! | trust material | `/trust/trusted_root.json`, `/trust/signing_config.v0.2.json`, `/trust/client_trust_config.json` |
//! | TUF repository | `/tuf/N.root.json`, `/tuf/timestamp.json`, `/tuf/N.snapshot.json`, `/tuf/N.targets.json`, `/tuf/targets/<sha256>.<name>` |
//! | operations | `/healthz`, `/metrics` |
//!
//! State lives under the data directory: keys (generated on first start), the two Rekor logs
//! and the CT log (signet-log, embedded storage), and the generated trust material. The TUF
//! repository (`DATA/tuf`, role keys `DATA/keys/tuf-*.pk8`) publishes `trusted_root.json` and
//! `signing_config.v0.2.json` as targets; a background task re-signs timestamp and snapshot
//! before they expire.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ca;
pub mod config;
pub mod ct;
mod error;
mod files;
pub mod generations;
pub mod http;
pub mod keys;
pub mod oidc;
pub mod ops;
pub mod rekor;
pub mod rotation;
pub mod trust;
pub mod tsa;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub use config::{DevIssuerMode, ServeConfig};
pub use error::{Error, Result};

/// Current Unix time, seconds.
pub use signet_core::time::unix_now as now_secs;

/// Current Unix time, milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Request counters for `/metrics`.
#[derive(Default)]
pub struct Metrics {
    /// Certificates issued.
    pub certificates: AtomicU64,
    /// Rekor v1 entries created.
    pub rekor_v1_entries: AtomicU64,
    /// Rekor v2 entries created.
    pub rekor_v2_entries: AtomicU64,
    /// Timestamps issued.
    pub timestamps: AtomicU64,
}

/// Everything a request handler needs.
pub struct App {
    /// Keys and certificates.
    pub keys: keys::InstanceKeys,
    /// Public URLs.
    pub urls: trust::Urls,
    /// The CT log.
    pub ct: ct::CtLog,
    /// The TSA signer.
    pub tsa: signet_core::tsa::TimestampSigner,
    /// OIDC: the development issuer and token verification for the CA.
    pub oidc: oidc::OidcService,
    /// Rekor v1.
    pub rekor_v1: rekor::RekorV1,
    /// Rekor v2.
    pub rekor_v2: rekor::RekorV2,
    /// Counters.
    pub metrics: Metrics,
    /// Serialized trust material.
    pub trusted_root_json: String,
    /// Serialized signing config.
    pub signing_config_json: String,
    /// Serialized ClientTrustConfig.
    pub client_trust_config_json: String,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The TUF repository (files under `DATA/tuf`).
    pub tuf: std::sync::Mutex<signet_tuf::repo::Repository>,
    /// Whether the development OIDC issuer runs, and for whom.
    pub dev_issuer: DevIssuerMode,
    /// Bounds signature verification of submitted entries to the cores (see [`App::cpu`]).
    pub cpu: Arc<tokio::sync::Semaphore>,
    /// The data directory's exclusive lock, held while the instance lives.
    _lock: std::fs::File,
}

/// Take the data directory's exclusive lock (`DATA/serve.lock`), held while an instance runs
/// and while its keys rotate; an error names the holder when it is taken.
pub fn lock_data_dir(data: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(data).map_err(|e| Error::io(data, e))?;
    let lock_path = data.join("serve.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, e))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Config(format!(
            "the data directory {} is in use by a running signet serve (it holds {}); stop it first",
            data.display(),
            lock_path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&lock_path, e)),
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

impl App {
    /// Run CPU-heavy work (signature checks of a submitted entry) on the blocking pool, at most
    /// one job per core at a time, so a flood of expensive requests queues there instead of
    /// starving the async threads that answer every other request (`/healthz` included).
    pub async fn cpu<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .cpu
            .acquire()
            .await
            .map_err(|e| Error::Config(format!("CPU pool closed: {e}")))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| Error::Config(format!("verification task failed: {e}")))?
    }

    /// Open (or create) the instance in `cfg.data_dir`.
    pub async fn open(cfg: &ServeConfig) -> Result<Arc<Self>> {
        let data = &cfg.data_dir;
        std::fs::create_dir_all(data).map_err(|e| Error::io(data, e))?;
        // One instance per data directory, locked before any key is generated: two first
        // starts at once would otherwise each write keys and serve different CA certificates.
        let lock = lock_data_dir(data)?;
        let keys = keys::InstanceKeys::load_or_create(
            &data.join("keys"),
            now_secs(),
            cfg.brought_ca.as_ref(),
            cfg.key_provider.as_deref(),
        )?;
        let urls = trust::Urls {
            base: cfg.public_url().trim_end_matches('/').to_string(),
        };
        let ct_origin = format!("{}/ct", urls.host());
        // A rotated CT key is a new CT log.
        let ct_dir = match keys.rotations.generation(rotation::Role::Ctlog) {
            0 => data.join("ctlog"),
            g => data.join(format!("ctlog-g{g}")),
        };
        let ct_log = signet_log::Log::open(
            cfg.log_config(ct_dir, ct_origin.clone()),
            Arc::new(signet_log::KeyNoteSigner::new(ct_origin, keys.ct.clone())?),
        )
        .await?;
        let ct = ct::CtLog::new(
            keys.ct.clone(),
            vec![keys.ca_intermediate.key.public_key_der().to_vec()],
            ct_log,
        );
        let tsa = tsa::signer(&keys)?;
        let secret_path = data.join("keys/client-secret");
        let client_secret = match std::fs::read_to_string(&secret_path) {
            Ok(s) => {
                // Data dirs from earlier versions wrote it 0644: narrow it.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&secret_path, std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| Error::io(&secret_path, e))?;
                }
                s.trim().to_string()
            }
            Err(_) => {
                let s = hex::encode(signet_core::keys::random_bytes::<24>()?);
                files::write_private(&secret_path, s.as_bytes())?;
                s
            }
        };
        let oidc =
            oidc::OidcService::new(&keys, &urls, &cfg.issuers, client_secret, cfg.dev_issuer)?;
        let rekor_v1 = rekor::RekorV1::open(cfg, &keys, &urls).await?;
        let rekor_v2 = rekor::RekorV2::open(cfg, &keys, &urls).await?;
        let ctc = trust::client_trust_config(&keys, &urls, cfg.dev_issuer != DevIssuerMode::Off);
        let to_json = |v: &dyn erased::Json| v.json();
        let tuf = keys::open_tuf(data, now_secs(), cfg.key_provider.as_deref())?;
        let (tr, sc) = (to_json(&ctc.trusted_root), to_json(&ctc.signing_config));
        tuf.publish_targets(
            &[
                (signet_tuf::TRUSTED_ROOT_TARGET, tr.as_bytes()),
                (signet_tuf::SIGNING_CONFIG_TARGET, sc.as_bytes()),
            ],
            now_secs(),
        )?;
        tuf.refresh(now_secs())?;
        let app = App {
            tuf: std::sync::Mutex::new(tuf),
            trusted_root_json: to_json(&ctc.trusted_root),
            signing_config_json: to_json(&ctc.signing_config),
            client_trust_config_json: to_json(&ctc),
            keys,
            urls,
            ct,
            tsa,
            oidc,
            rekor_v1,
            rekor_v2,
            metrics: Metrics::default(),
            data_dir: data.clone(),
            dev_issuer: cfg.dev_issuer,
            cpu: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
            _lock: lock,
        };
        let instance = serde_json::json!({"url": app.urls.base, "oidc_issuer": app.urls.oidc()});
        for (name, content) in [
            ("trusted_root.json", app.trusted_root_json.clone()),
            ("signing_config.v0.2.json", app.signing_config_json.clone()),
            ("trust_config.json", app.client_trust_config_json.clone()),
            ("instance.json", instance.to_string()),
        ] {
            write_atomic(&data.join(name), content.as_bytes())?;
        }
        Ok(Arc::new(app))
    }
}

mod erased {
    /// Pretty JSON of any serializable value.
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            // Serializing these plain structs cannot fail (no maps with non-string keys).
            serde_json::to_string_pretty(self).unwrap_or_default()
        }
    }
}

/// Re-sign TUF metadata before it expires, forever: sleeps until the next re-signing is due
/// (between one minute and one hour, so a changed clock is noticed).
pub async fn tuf_refresh_task(app: Arc<App>) {
    loop {
        let next = app
            .tuf
            .lock()
            .map_err(|_| "lock poisoned".to_string())
            .and_then(|r| r.next_refresh().map_err(|e| e.to_string()));
        let wait = match next {
            Ok(t) => (t - now_secs()).clamp(60, 3600),
            Err(e) => {
                tracing::error!(error = %e, "TUF: cannot read repository state");
                3600
            }
        };
        tokio::time::sleep(std::time::Duration::from_secs(wait as u64)).await;
        let done = app
            .tuf
            .lock()
            .map_err(|_| "lock poisoned".to_string())
            .and_then(|r| r.refresh(now_secs()).map_err(|e| e.to_string()));
        match done {
            Ok(roles) if !roles.is_empty() => tracing::info!(?roles, "TUF: re-signed"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "TUF: re-signing failed"),
        }
    }
}

/// Serve a file of the TUF repository.
async fn tuf_file(
    State(app): State<Arc<App>>,
    axum::extract::Path(path): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::http::StatusCode;
    let ok = !path.is_empty()
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\\'));
    if !ok {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    let file = app.data_dir.join("tuf").join(&path);
    match tokio::fs::read(&file).await {
        Ok(b) => ([(header::CONTENT_TYPE, "application/json")], b).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

/// `200 ok` while every log can append; `503` naming the log and its failing task while one
/// cannot (it retries on its own), so a load balancer takes the instance out until it heals.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    let checks = [
        ("rekor v1", app.rekor_v1.active().log.health()),
        ("rekor v2", app.rekor_v2.active().log.health()),
        ("ct log", app.ct.health()),
    ];
    let failing: Vec<String> = checks
        .into_iter()
        .filter_map(|(name, r)| r.err().map(|e| format!("{name}: {e}")))
        .collect();
    if failing.is_empty() {
        "ok\n".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unavailable\n{}\n", failing.join("\n")),
        )
            .into_response()
    }
}

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    let m = &app.metrics;
    let body = format!(
        "# TYPE signet_certificates_issued_total counter\nsignet_certificates_issued_total {}\n\
         # TYPE signet_rekor_v1_entries_total counter\nsignet_rekor_v1_entries_total {}\n\
         # TYPE signet_rekor_v2_entries_total counter\nsignet_rekor_v2_entries_total {}\n\
         # TYPE signet_timestamps_issued_total counter\nsignet_timestamps_issued_total {}\n\
         # TYPE signet_rekor_v1_tree_size gauge\nsignet_rekor_v1_tree_size {}\n\
         # TYPE signet_rekor_v2_tree_size gauge\nsignet_rekor_v2_tree_size {}\n",
        m.certificates.load(Ordering::Relaxed),
        m.rekor_v1_entries.load(Ordering::Relaxed),
        m.rekor_v2_entries.load(Ordering::Relaxed),
        m.timestamps.load(Ordering::Relaxed),
        app.rekor_v1.active().log.size(),
        app.rekor_v2.active().log.size(),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

fn json_response(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], body)
}

/// The router with every service.
pub fn router(app: Arc<App>, max_body: usize) -> Router {
    let r =
        log_routes(&app)
            .route(
                "/trust/signing_config.v0.2.json",
                get(|State(a): State<Arc<App>>| async move {
                    json_response(a.signing_config_json.clone())
                }),
            )
            .route(
                "/trust/client_trust_config.json",
                get(|State(a): State<Arc<App>>| async move {
                    json_response(a.client_trust_config_json.clone())
                }),
            )
            .route("/tuf/{*path}", get(tuf_file))
            .route("/api/v2/signingCert", post(ca::signing_cert))
            .route("/api/v2/trustBundle", get(ca::trust_bundle))
            .route("/api/v2/configuration", get(ca::configuration))
            .route("/ct/v1/add-pre-chain", post(ct::add_pre_chain))
            .route("/ct/v1/get-sth", get(ct::get_sth))
            .route("/api/v1/timestamp", post(tsa::timestamp))
            .route("/api/v1/timestamp/certchain", get(tsa::certchain));
    // The development issuer is served only when asked for (`--dev-issuer`).
    let r = if app.dev_issuer == DevIssuerMode::Off {
        r
    } else {
        r.merge(oidc::routes())
    };
    r.layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(close_after_refused_body))
        .with_state(app)
}

/// A request refused before its body was read (413) leaves the rest of the body unread, and
/// the server then closes the connection: say so with `Connection: close`, so an HTTP/1.1
/// client does not send its next request on a connection about to close (it failed as an
/// incomplete message). HTTP/2 has no such header and needs none.
async fn close_after_refused_body(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let h1 = req.version() < axum::http::Version::HTTP_2;
    let mut res = next.run(req).await;
    if h1 && res.status() == StatusCode::PAYLOAD_TOO_LARGE {
        res.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    res
}

/// What every configuration serves: operations endpoints, the trusted root, and Rekor.
fn log_routes(app: &App) -> Router<Arc<App>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/trust/trusted_root.json", get(|State(a): State<Arc<App>>| async move { json_response(a.trusted_root_json.clone()) }))
        .merge(rekor::routes(&app.rekor_v2))
}

/// Start an instance in the current tokio runtime on `cfg.listen` (port 0 picks a free one) and
/// return its base URL; it serves until the runtime stops. For benchmarks and tests.
pub async fn spawn(mut cfg: ServeConfig) -> Result<(String, Arc<App>)> {
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {}: {e}", cfg.listen)))?;
    cfg.listen = listener
        .local_addr()
        .map_err(|e| Error::Config(e.to_string()))?;
    let app = App::open(&cfg).await?;
    let url = app.urls.base.clone();
    let r = router(app.clone(), cfg.max_body_bytes);
    tokio::spawn(tuf_refresh_task(app.clone()));
    let limits = cfg.http;
    let tls = match &cfg.tls {
        Some((c, k)) => Some(http::tls_acceptor(c, k)?),
        None => None,
    };
    tokio::spawn(http::serve(
        listener,
        r,
        limits,
        tls,
        std::future::pending(),
    ));
    Ok((url, app))
}

/// The transparency log alone (Rekor v1 and v2 APIs, trust material, operations endpoints),
/// for `signet log serve`.
pub fn router_log_only(app: Arc<App>, max_body: usize) -> Router {
    log_routes(&app)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(close_after_refused_body))
        .with_state(app)
}

/// Run the instance until SIGINT/SIGTERM.
pub async fn serve(cfg: ServeConfig) -> Result<()> {
    serve_with(cfg, false).await
}

/// Run only the transparency log services until SIGINT/SIGTERM.
pub async fn serve_log(cfg: ServeConfig) -> Result<()> {
    serve_with(cfg, true).await
}

async fn serve_with(mut cfg: ServeConfig, log_only: bool) -> Result<()> {
    // Load TLS material before anything else, so a bad file fails the start at once.
    let tls = match &cfg.tls {
        Some((c, k)) => Some(http::tls_acceptor(c, k)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {}: {e}", cfg.listen)))?;
    let addr: SocketAddr = listener
        .local_addr()
        .map_err(|e| Error::Config(e.to_string()))?;
    // With port 0 the advertised URL must name the port actually bound.
    cfg.listen = addr;
    let app = App::open(&cfg).await?;
    tracing::info!(%addr, url = %app.urls.base, data_dir = %cfg.data_dir.display(), "signet serve: CA, CT, Rekor v1/v2, TSA, OIDC ready");
    eprintln!(
        "signet serve listening on {addr}; instance URL {}; trust config {}",
        app.urls.base,
        cfg.data_dir.join("trust_config.json").display()
    );
    eprintln!(
        "TUF repository {}/tuf (bootstrap root {})",
        app.urls.base,
        cfg.data_dir.join("tuf/1.root.json").display()
    );
    tokio::spawn(tuf_refresh_task(app.clone()));
    let router = if log_only {
        router_log_only(app, cfg.max_body_bytes)
    } else {
        router(app, cfg.max_body_bytes)
    };
    http::serve(listener, router, cfg.http, tls, async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    })
    .await;
    Ok(())
}
