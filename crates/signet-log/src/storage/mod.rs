//! The storage driver boundary.
//!
//! Everything the log engine persists goes through [`Driver`]: a small *sequencing store*
//! (entries by index with their integration time, the antispam leaf-hash index, the sequenced
//! size, and the published checkpoints), and an *object store* for the derived, publicly served
//! tlog-tiles objects (tiles, entry bundles, the checkpoint file). Only the embedded driver
//! ([`embedded::EmbeddedDriver`]: redb + plain files) exists today; a PostgreSQL + object-storage
//! driver would implement the same trait without touching [`crate::Log`]'s API.

pub(crate) mod embedded;

use crate::error::Result;
use crate::SignedCheckpoint;

/// A 32-byte hash.
pub(crate) type Hash = [u8; 32];

/// What the sequencer decided for one entry of a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Assigned {
    pub index: u64,
    pub integrated_time: i64,
    pub duplicate: bool,
}

/// The persistence interface of the log (see the module docs).
pub(crate) trait Driver: Send + Sync + 'static {
    /// Number of durably sequenced entries.
    fn sequenced_size(&self) -> Result<u64>;
    /// Durably assign indices to a batch in one transaction (one fsync). Entries whose leaf
    /// hash is already in the log, or earlier in the batch, get the existing index with
    /// `duplicate = true`. Returns one [`Assigned`] per input and the new sequenced size.
    fn sequence(&self, batch: &[(Hash, Vec<u8>)], now: i64) -> Result<(Vec<Assigned>, u64)>;
    /// Entries `[start, end)`.
    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>>;
    /// One entry and its integration time.
    fn entry(&self, index: u64) -> Result<(i64, Vec<u8>)>;
    /// The index of the entry with this leaf hash.
    fn index_of(&self, leaf_hash: &Hash) -> Result<Option<u64>>;
    /// Visit every antispam record (for fsck).
    fn for_each_antispam(&self, f: &mut dyn FnMut(Hash, u64)) -> Result<()>;
    /// Durably record a published checkpoint; refuses a different root for a size already
    /// recorded ([`crate::Error::CheckpointConflict`]).
    fn record_checkpoint(&self, cp: &SignedCheckpoint) -> Result<()>;
    /// The checkpoint with the largest size.
    fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>>;
    /// All recorded checkpoints, by size.
    fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>>;
    /// Atomically replace an object (tile, bundle, checkpoint file).
    fn put_object(&self, path: &str, data: &[u8]) -> Result<()>;
    /// Read an object; `None` if it does not exist.
    fn get_object(&self, path: &str) -> Result<Option<Vec<u8>>>;
    /// Size of an object; `None` if it does not exist.
    fn object_size(&self, path: &str) -> Result<Option<u64>>;
}
