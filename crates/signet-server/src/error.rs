//! The one error type of `signet-server`, and its mapping to HTTP answers.

use std::path::Path;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thiserror::Error as ThisError;

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Server errors. Request errors carry the HTTP status they map to and a message for the client.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Bad configuration.
    #[error("configuration: {0}")]
    Config(String),
    /// A Sigstore format or crypto error.
    #[error(transparent)]
    Core(#[from] signet_core::Error),
    /// The log engine failed.
    #[error("log: {0}")]
    Log(#[from] signet_log::Error),
    /// The TUF repository failed.
    #[error("TUF repository: {0}")]
    Tuf(#[from] signet_tuf::Error),
    /// A client error: status and message.
    #[error("{message}")]
    Request {
        /// HTTP status.
        status: StatusCode,
        /// What was wrong, naming expected and found.
        message: String,
    },
}

impl Error {
    /// An I/O error at `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
    /// A client error answered with `status`.
    pub fn request(status: StatusCode, message: impl Into<String>) -> Self {
        Error::Request {
            status,
            message: message.into(),
        }
    }
    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::request(StatusCode::BAD_REQUEST, message)
    }
    /// 401 Unauthorized.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::request(StatusCode::UNAUTHORIZED, message)
    }
    /// 403 Forbidden.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::request(StatusCode::FORBIDDEN, message)
    }
    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::request(StatusCode::NOT_FOUND, message)
    }
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Request { status, .. } => *status,
            Error::Log(
                signet_log::Error::Pushback { .. } | signet_log::Error::Unavailable { .. },
            ) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Log(signet_log::Error::EntryTooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Log(signet_log::Error::NotFound { .. }) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// gRPC code matching an HTTP status, for Fulcio-style `{"code","message"}` bodies.
pub fn grpc_code(status: StatusCode) -> u16 {
    match status.as_u16() {
        400 => 3,
        401 => 16,
        403 => 7,
        404 => 5,
        409 => 6,
        413 => 8,
        503 => 14,
        _ => 13,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = serde_json::json!({"code": grpc_code(status), "message": self.to_string()});
        (status, axum::Json(body)).into_response()
    }
}
