//! The one error type of `signet-log`.

use std::path::PathBuf;

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the log engine. Variants name the object involved and what
/// was expected versus found, so that an operator can act on the message alone.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Too many appends are queued; the caller should retry later (HTTP 503).
    #[error("log is overloaded: {pending} appends already pending (limit {limit}); retry later")]
    Pushback {
        /// Appends queued when this one was refused.
        pending: usize,
        /// The configured `max_pending`.
        limit: usize,
    },
    /// The log cannot append right now (a background task is failing, e.g. on a full disk or
    /// too many open files) and is retrying; the caller should retry later (HTTP 503).
    #[error("log is temporarily unable to append ({task} failing: {reason}); it retries on its own, retry later")]
    Unavailable {
        /// The failing task.
        task: &'static str,
        /// Its last error.
        reason: String,
    },
    /// An entry larger than a tlog-tiles entry bundle can hold (u16 length prefix).
    #[error("entry of {len} bytes exceeds the maximum entry size of {max} bytes")]
    EntryTooLarge {
        /// Size of the refused entry.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A leaf index or tree size beyond what the log has (sequenced or integrated).
    #[error("{what} {value} is out of range: the log's {limit_what} is {limit}")]
    OutOfRange {
        /// What was requested ("leaf index", "tree size", ...).
        what: &'static str,
        /// The requested value.
        value: u64,
        /// Which bound was crossed ("integrated size", "sequenced size").
        limit_what: &'static str,
        /// The bound.
        limit: u64,
    },
    /// A request that makes no sense (e.g. a consistency proof from a larger to a smaller tree).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// Why.
        reason: String,
    },
    /// A proof that cannot be built for the tree (the shared proof builder's refusal).
    #[error("proof: {0}")]
    Proof(#[from] signet_core::Error),
    /// A requested object (tile, bundle, checkpoint) does not exist.
    #[error("{what} not found")]
    NotFound {
        /// The object, e.g. `tile/0/x001/234.p/7`.
        what: String,
    },
    /// The embedded database failed.
    #[error("database error while {op}: {source}")]
    Db {
        /// What the log was doing.
        op: &'static str,
        /// The redb error (boxed: it is large).
        #[source]
        source: Box<redb::Error>,
    },
    /// A file operation failed.
    #[error("I/O error while {op} {}: {source}", path.display())]
    Io {
        /// What the log was doing ("writing tile", ...).
        op: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Stored data that does not have the expected shape or content.
    #[error("corrupt {what}: {reason}")]
    Corrupt {
        /// The object.
        what: String,
        /// What is wrong, naming expected versus found.
        reason: String,
    },
    /// A checkpoint of this size was already published with a different root: publishing
    /// would fork the log, so it is refused.
    #[error(
        "refusing to publish a checkpoint of size {size} with root {new_root}: a checkpoint of \
         the same size with root {stored_root} was already published (the log would fork)"
    )]
    CheckpointConflict {
        /// The tree size.
        size: u64,
        /// Hex root stored earlier.
        stored_root: String,
        /// Hex root computed now.
        new_root: String,
    },
    /// A signing key that cannot be used.
    #[error("unusable {what} signing key: {reason}")]
    Key {
        /// Key type ("Ed25519", "ECDSA P-256").
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// Producing a signature failed.
    #[error("signing the checkpoint with {signer} failed")]
    Signing {
        /// The signer name.
        signer: String,
    },
    /// A key held elsewhere (a PKCS#11 token) failed to sign, with the key's reason.
    #[error("signer {signer}: signing failed: {reason}")]
    KeySigning {
        /// The signer name.
        signer: String,
        /// What the key reported.
        reason: String,
    },
    /// Invalid [`crate::LogConfig`] or signer/origin mismatch.
    #[error("invalid log configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The log was shut down (or a background task died) before the operation completed.
    #[error("the log is shut down: {reason}")]
    Closed {
        /// Which operation noticed.
        reason: String,
    },
    /// A background task failed; the log stops accepting work.
    #[error("background {task} task failed: {reason}")]
    Background {
        /// "sequencer", "integrator", "publisher".
        task: &'static str,
        /// The error it hit.
        reason: String,
    },
}

impl Error {
    pub(crate) fn db(op: &'static str, e: impl Into<redb::Error>) -> Self {
        Error::Db {
            op,
            source: Box::new(e.into()),
        }
    }
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
    pub(crate) fn corrupt(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Corrupt {
            what: what.into(),
            reason: reason.into(),
        }
    }
}
