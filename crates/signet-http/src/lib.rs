//! The one HTTP transport of Signet's clients (signing, TUF, Rekor, PyPI, SLSA lookups).
//!
//! One place builds the `reqwest` client (rustls; the Web PKI roots plus the system's and
//! `SSL_CERT_FILE`'s), sets the user agent and the timeouts, bounds how much of a response is
//! read, and turns a failed exchange into an [`Error`] that names the URL and quotes what the
//! server answered (its JSON `message`/`error`, else the start of its body). Verification
//! crates never depend on this crate: they do no network I/O.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::Read;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// `signet/<version>`.
pub const USER_AGENT: &str = concat!("signet/", env!("CARGO_PKG_VERSION"));

/// How much of an error body is quoted.
const QUOTE: usize = 300;

/// Default bound on a JSON response body.
pub const MAX_JSON: u64 = 16 << 20;

/// A failed HTTP exchange.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be sent or the response not read.
    #[error("{url}: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with a non-success status.
    #[error("{url}: HTTP {status}: {message}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's message, or the start of its body.
        message: String,
    },
    /// The response is not what was expected (too large, not JSON, wrong shape).
    #[error("{url}: {reason}")]
    Response {
        /// The URL.
        url: String,
        /// What was expected and found.
        reason: String,
    },
}

impl Error {
    /// What went wrong, without the URL (for callers whose own error names it).
    pub fn reason(&self) -> String {
        match self {
            Error::Transport { reason, .. } | Error::Response { reason, .. } => reason.clone(),
            Error::Status {
                status, message, ..
            } => format!("HTTP {status}: {message}"),
        }
    }

    /// The URL involved.
    pub fn url(&self) -> &str {
        match self {
            Error::Transport { url, .. }
            | Error::Response { url, .. }
            | Error::Status { url, .. } => url,
        }
    }
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The transport: cheap to clone (connections are pooled and shared).
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::blocking::Client,
}

/// Options of the client.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Time to establish a connection (short, so an offline machine fails fast).
    pub connect_timeout: Duration,
    /// Time for a whole exchange.
    pub timeout: Duration,
    /// Idle connections kept per host.
    pub pool_max_idle_per_host: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            pool_max_idle_per_host: 8,
        }
    }
}

/// The message a server put in an error answer: its JSON `message` or `error`, else the start
/// of the body.
fn server_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error_description"))
                .or_else(|| v.get("error"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| text.chars().take(QUOTE).collect())
}

impl Http {
    /// A client with the default options.
    pub fn new() -> Result<Self> {
        Self::with_options(Options::default())
    }

    /// A client with `options`.
    pub fn with_options(o: Options) -> Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(o.connect_timeout)
            .timeout(o.timeout)
            .pool_max_idle_per_host(o.pool_max_idle_per_host)
            .build()
            .map_err(|e| Error::Transport {
                url: String::new(),
                reason: format!("building the HTTP client: {e}"),
            })?;
        Ok(Http { client })
    }

    /// The underlying client, for requests this API does not cover (forms, redirects).
    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// Send `req` and read at most `max_len` bytes of the answer: `(status, body)`, whatever
    /// the status.
    pub fn exchange(
        &self,
        url: &str,
        req: reqwest::blocking::RequestBuilder,
        max_len: u64,
    ) -> Result<(u16, Vec<u8>)> {
        let transport = |reason: String| Error::Transport {
            url: url.to_string(),
            reason,
        };
        let r = req.send().map_err(|e| transport(e.to_string()))?;
        let status = r.status().as_u16();
        let mut body = Vec::new();
        r.take(max_len + 1)
            .read_to_end(&mut body)
            .map_err(|e| transport(format!("reading the response: {e}")))?;
        if body.len() as u64 > max_len {
            return Err(Error::Response {
                url: url.to_string(),
                reason: format!("expected at most {max_len} bytes, found more"),
            });
        }
        Ok((status, body))
    }

    /// `GET url` (with `accept`, if given): the body, or `None` on 403/404 (absent).
    pub fn get_bytes(
        &self,
        url: &str,
        accept: Option<&str>,
        max_len: u64,
    ) -> Result<Option<Vec<u8>>> {
        let mut req = self.client.get(url);
        if let Some(a) = accept {
            req = req.header(reqwest::header::ACCEPT, a);
        }
        let (status, body) = self.exchange(url, req, max_len)?;
        match status {
            200..=299 => Ok(Some(body)),
            403 | 404 => Ok(None),
            _ => Err(Error::Status {
                url: url.to_string(),
                status,
                message: server_message(&body),
            }),
        }
    }

    /// `POST url` with a JSON body; a 2xx answer's JSON, anything else an [`Error::Status`]
    /// quoting the server.
    pub fn post_json<B: Serialize + ?Sized>(&self, url: &str, body: &B) -> Result<Value> {
        let (status, bytes) = self.exchange(url, self.client.post(url).json(body), MAX_JSON)?;
        if !(200..300).contains(&status) {
            return Err(Error::Status {
                url: url.to_string(),
                status,
                message: server_message(&bytes),
            });
        }
        parse_json(url, &bytes)
    }
}

fn parse_json<T: DeserializeOwned>(url: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Response {
        url: url.to_string(),
        reason: format!(
            "expected JSON ({e}), found: {}",
            String::from_utf8_lossy(body)
                .chars()
                .take(QUOTE)
                .collect::<String>()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_message_prefers_the_json_message() {
        assert_eq!(
            server_message(br#"{"code":3,"message":"bad entry"}"#),
            "bad entry"
        );
        assert_eq!(
            server_message(br#"{"error":"invalid_grant"}"#),
            "invalid_grant"
        );
        let long = "x".repeat(1000);
        assert_eq!(server_message(long.as_bytes()).len(), QUOTE);
    }
}
