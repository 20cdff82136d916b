//! The HTTP front of `signet serve`: hyper with a header-read deadline and a connection limit.
//!
//! `axum::serve` offers neither, so a client that opens connections and sends headers slowly
//! (slowloris) could hold every file descriptor. Here each connection must deliver its request
//! headers within `header_read_timeout` (which also closes idle keep-alive connections, as the
//! wait for the next request's headers is the same deadline), and at most `max_connections`
//! are served at once; beyond that a connection gets a `503` and is closed.
//!
//! With TLS (`--tls-cert`, `--tls-key`: rustls on aws-lc-rs) the handshake must also finish
//! within `header_read_timeout`, and ALPN offers HTTP/2 and HTTP/1.1.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A connection's request headers must arrive within this time (also the keep-alive idle
    /// time).
    pub header_read_timeout: Duration,
    /// Connections served at once; more get a 503.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: default_max_connections(),
        }
    }
}

/// Three quarters of the process's file-descriptor limit (the logs and the database need the
/// rest), at least 16 and at most 8,192.
pub fn default_max_connections() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1024);
    (soft * 3 / 4).clamp(16, 8192)
}

/// A TLS acceptor from a PEM certificate chain (leaf first) and a PEM private key (PKCS#8,
/// SEC1 or PKCS#1).
pub fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> crate::Result<tokio_rustls::TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, p: &std::path::Path, e: String| {
        crate::Error::Config(format!("TLS {what} {}: {e}", p.display()))
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad("certificate", cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("certificate", cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(bad(
            "certificate",
            cert,
            "expected PEM CERTIFICATE blocks, found none".into(),
        ));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad("key", key, e.to_string()))?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| crate::Error::Config(format!("TLS: {e}")))?
    .with_no_client_auth()
    .with_single_cert(chain, key_der)
    .map_err(|e| bad("certificate and key", cert, e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 58\r\nconnection: close\r\n\r\n{\"code\":14,\"message\":\"too many connections; retry later\"}";

/// Serve `router` on `listener` until `shutdown` resolves, then let open connections finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (close_tx, close_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (mut stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and the like: wait a little for descriptors to free up.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let _ = stream.write_all(BUSY).await;
                let _ = stream.shutdown().await;
            });
            continue;
        };
        let svc = router
            .clone()
            .layer(axum::Extension(ConnectInfo::<SocketAddr>(peer)))
            .map_request(|r: axum::http::Request<hyper::body::Incoming>| {
                r.map(axum::body::Body::new)
            });
        let close = close_rx.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => serve_connection(stream, svc, peer, limits, close).await,
                Some(acceptor) => {
                    // The handshake counts against the same deadline as request headers.
                    match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(s)) => serve_connection(s, svc, peer, limits, close).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(close_rx);
    let _ = close_tx.send(());
    close_tx.closed().await;
}

/// Serve one connection (plain or TLS) until it ends or the server shuts down.
async fn serve_connection<I, S>(
    io: I,
    svc: S,
    peer: SocketAddr,
    limits: Limits,
    mut close: watch::Receiver<()>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<
            axum::http::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut b = Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    b.http2().timer(TokioTimer::new());
    let conn = b.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(svc));
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        }
        _ = close.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
