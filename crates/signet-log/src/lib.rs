//! `signet-log`: the tile-based transparency log engine of Signet.
//!
//! The design follows transparency-dev/tessera's append lifecycle:
//!
//! 1. **Queue.** [`Log::append`] hashes the entry (RFC 6962 leaf hash) and queues it; if more
//!    than `max_pending` appends are waiting it fails at once with [`Error::Pushback`].
//! 2. **Sequence.** A sequencer task gathers queued appends into batches (up to
//!    `batch_max_size`, or whatever arrived within `batch_max_age` of the first) and assigns
//!    indices in a single redb write transaction, so one fsync makes a whole batch durable.
//!    The same transaction consults and updates the *antispam* table (leaf hash -> index), so
//!    identical data returns the existing index with `duplicate: true`. `append` resolves only
//!    after that commit: an acknowledged index survives `kill -9`.
//! 3. **Integrate.** An integrator task extends the Merkle tree from the newly sequenced
//!    entries, keeping only the tree's right edge in memory (the incomplete tile at each tile
//!    level and the incomplete entry bundle), and writes C2SP tlog-tiles objects: full tiles
//!    `tile/<L>/<N>`, partial tiles `tile/<L>/<N>.p/<W>`, entry bundles `tile/entries/<N>`
//!    (u16 length-prefixed entries). Tiles are derived data, written atomically (temp file +
//!    rename) and never fsynced: on open they are checked against the last durable checkpoint
//!    and recomputed from the entries if missing or stale.
//! 4. **Publish.** A publisher task signs a checkpoint (C2SP signed note, Ed25519 or ECDSA
//!    via [`NoteSigner`]) as soon as a batch is integrated, at most one per
//!    `checkpoint_interval` (default 100 ms; under load each covers every batch integrated
//!    since the last), records it durably
//!    (refusing a second root for an already published size) and then writes the
//!    `checkpoint` file. [`Log::await_checkpoint`] waits for a checkpoint covering an index;
//!    with `publish_on_demand` (Rekor v1) it publishes as soon as the entry is integrated.
//!
//! Reads (entries, proofs, roots, tiles) are served for sizes up to the integrated size,
//! from tiles: level >= 1 tiles stay in memory, level-0 tiles in an LRU, and each cached tile
//! keeps all its internal nodes, so an inclusion proof costs about one lookup per proof hash.
//!
//! Storage sits behind a small internal driver trait (sequencing store + object store); the
//! embedded driver uses redb (`log.redb`) and plain files. [`fsck`] checks a log directory
//! offline.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod fsck;
pub use signet_core::tlog::layout;
mod log;
mod signer;
mod storage;
mod tree;

#[cfg(test)]
mod tests;

pub use error::{Error, Result};
pub use fsck::{fsck, FsckReport};
pub use log::{Appended, Log, LogConfig, SignedCheckpoint};
pub use signer::{sign_note, KeyNoteSigner, NoteSigner};
