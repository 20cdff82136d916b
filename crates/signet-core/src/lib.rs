//! Sigstore formats and primitives, with no I/O.
//!
//! `signet-core` is the bottom layer of Signet: every other crate speaks Sigstore through the
//! types here. It parses and round-trips the upstream JSON wire formats (bundles, trusted roots,
//! signing configs, DSSE, in-toto, Rekor entries), and implements the cryptographic building
//! blocks verification needs (RFC 6962 Merkle proofs, signed-note checkpoints, embedded SCTs,
//! RFC 3161 timestamps, the Fulcio certificate profile) on top of aws-lc-rs.
//!
//! Nothing in this crate opens a file or a socket: callers pass bytes in.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bundle;
pub mod certs;
pub mod checkpoint;
pub mod crypto;
pub mod describe;
pub mod dsse;
pub mod encoding;
pub mod error;
pub mod intoto;
pub mod keys;
pub mod limits;
pub mod merkle;
pub mod pep740;
pub mod rekor;
pub mod sct;
pub mod signer;
pub mod time;
pub mod tlog;
pub mod trust;
pub mod tsa;
pub mod x509;

pub use error::{Error, Result};
