//! The [`Log`] handle and its background tasks (sequencer, integrator, publisher).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use signet_core::merkle::{empty_root, leaf_hash};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::layout::{self, TILE_HEIGHT, TILE_WIDTH};
use crate::signer::{sign_note, NoteSigner};
use crate::storage::embedded::EmbeddedDriver;
use crate::storage::{Driver, Hash};
use crate::tree::{Expanded, Obj, Sink, TileCache, TreeBuilder, TreeReader};

/// Configuration of a [`Log`].
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// Directory holding `log.redb`, the `checkpoint` file and the `tile/` tree.
    pub data_dir: PathBuf,
    /// Checkpoint origin line (e.g. `log.example.com` or `rekor.example.com - 1234`).
    pub origin: String,
    /// Maximum appends per sequenced batch (one fsync per batch).
    pub batch_max_size: usize,
    /// Maximum time the first append of a batch waits for company.
    pub batch_max_age: Duration,
    /// The shortest time between two checkpoints: one is published as soon as a batch is
    /// integrated, unless the previous one is younger than this (then when it is this old).
    pub checkpoint_interval: Duration,
    /// Appends queued beyond this are refused with [`Error::Pushback`].
    pub max_pending: usize,
    /// Rekor v1 mode: [`Log::await_checkpoint`] publishes a checkpoint as soon as the entry is
    /// integrated instead of waiting for the next interval (concurrent waiters share one).
    pub publish_on_demand: bool,
    /// Number of level-0 tiles kept in memory (each ~16 KiB expanded); higher levels are
    /// always kept.
    pub tile_cache_tiles: usize,
}

impl LogConfig {
    /// Defaults: batches of 256 / 20 ms, checkpoints at most every 100 ms, pushback at 16384
    /// pending.
    pub fn new(data_dir: impl Into<PathBuf>, origin: impl Into<String>) -> Self {
        LogConfig {
            data_dir: data_dir.into(),
            origin: origin.into(),
            batch_max_size: 256,
            batch_max_age: Duration::from_millis(20),
            checkpoint_interval: Duration::from_millis(100),
            max_pending: 16384,
            publish_on_demand: false,
            tile_cache_tiles: 2048,
        }
    }
}

/// The result of a durable append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The entry's leaf index.
    pub index: u64,
    /// Unix seconds at which the entry was sequenced (for a duplicate: the original's).
    pub integrated_time: i64,
    /// True if identical data was already in the log; `index` is the existing entry.
    pub duplicate: bool,
}

/// A published, signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// Tree size.
    pub size: u64,
    /// RFC 6962 root hash.
    pub root: [u8; 32],
    /// The full signed note (C2SP tlog-checkpoint).
    pub note: String,
}

struct Pending {
    data: Vec<u8>,
    leaf: Hash,
    arrived: Instant,
    reply: oneshot::Sender<Result<Appended>>,
}

#[derive(Clone, Default)]
struct Published {
    latest: Option<SignedCheckpoint>,
    closed: bool,
}

struct Shared {
    config: LogConfig,
    signer: Arc<dyn NoteSigner>,
    driver: Arc<dyn Driver>,
    cache: Arc<TileCache>,
    pending: AtomicUsize,
    sequenced: watch::Receiver<u64>,
    integrated: watch::Receiver<(u64, Hash)>,
    published: watch::Sender<Published>,
    publish_lock: tokio::sync::Mutex<()>,
    /// A fatal failure (the log would fork): appends are refused for good.
    failure: Mutex<Option<String>>,
    /// Transient failures by task (I/O errors the task retries): appends are refused with
    /// [`Error::Unavailable`] while any is set; cleared by the task's next success.
    degraded: Mutex<Vec<(&'static str, String)>>,
    /// Backoff bounds for a failing background task.
    retry: (Duration, Duration),
}

struct Inner {
    shared: Arc<Shared>,
    tx: Mutex<Option<mpsc::UnboundedSender<Pending>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue lets the sequencer drain and exit, which cascades to the
        // integrator and publisher; they finish in the background.
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
    }
}

/// A tile-based transparency log. Cheap to clone; all clones share one log.
#[derive(Clone)]
pub struct Log {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Log({}, size {}, integrated {})",
            self.inner.shared.config.origin,
            self.size(),
            self.integrated_size()
        )
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `Error::OutOfRange` unless leaf `index` lies below `limit` (the size named `limit_what`).
fn check_leaf_index(index: u64, limit_what: &'static str, limit: u64) -> Result<()> {
    if index >= limit {
        return Err(Error::OutOfRange {
            what: "leaf index",
            value: index,
            limit_what,
            limit,
        });
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded values (an Option or a Vec) are valid after any panic.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Background {
            task: what,
            reason: e.to_string(),
        })?
}

/// The live integrator's sink: writes objects and feeds the tile cache.
struct WriteSink<'a> {
    driver: &'a dyn Driver,
    cache: &'a TileCache,
}

impl Sink for WriteSink<'_> {
    fn put(&mut self, obj: Obj<'_>, _required: bool) -> Result<()> {
        self.driver.put_object(&obj.path(), &obj.bytes())?;
        if let Obj::Tile {
            level,
            index,
            hashes,
        } = obj
        {
            self.cache
                .insert(level, index, Arc::new(Expanded::new(hashes.to_vec())));
        }
        Ok(())
    }
}

/// Check that every tile and bundle of a tree of `size` exists with a plausible length.
fn objects_present(driver: &dyn Driver, size: u64) -> Result<std::result::Result<(), String>> {
    let mut level = 0u32;
    while size.checked_shr(TILE_HEIGHT * level).unwrap_or(0) > 0 {
        let count = size >> (TILE_HEIGHT * level);
        for t in 0..count.div_ceil(TILE_WIDTH) {
            // tile_width is Some for every t below count.div_ceil(256).
            let w = layout::tile_width(level as u8, t, size).unwrap_or(0);
            let path = layout::tile_path(level as u8, t, layout::partial(w));
            match driver.object_size(&path)? {
                Some(n) if n == w * 32 => {}
                Some(n) => return Ok(Err(format!("{path} is {n} bytes, expected {}", w * 32))),
                None => return Ok(Err(format!("{path} is missing"))),
            }
        }
        level += 1;
    }
    for t in 0..size.div_ceil(TILE_WIDTH) {
        let w = layout::tile_width(0, t, size).unwrap_or(0);
        let path = layout::bundle_path(t, layout::partial(w));
        match driver.object_size(&path)? {
            Some(n) if n >= 2 * w => {}
            Some(n) => return Ok(Err(format!("{path} is only {n} bytes for {w} entries"))),
            None => return Ok(Err(format!("{path} is missing"))),
        }
    }
    Ok(Ok(()))
}

/// Integrate entries `[builder.size, target)` (in chunks), writing objects.
fn integrate(
    driver: &dyn Driver,
    cache: &TileCache,
    builder: &mut TreeBuilder,
    target: u64,
) -> Result<()> {
    const CHUNK: u64 = 4096;
    let mut sink = WriteSink { driver, cache };
    while builder.size < target {
        let end = target.min(builder.size + CHUNK);
        for e in driver.entries(builder.size, end)? {
            builder.push(&e, &mut sink, true)?;
        }
    }
    builder.flush(&mut sink, true)
}

/// Restore the integrator at the last checkpoint, rebuilding every tile from the entries if
/// the stored objects do not reproduce the checkpointed root.
fn recover(
    driver: &dyn Driver,
    cache: &TileCache,
    checkpoint: Option<&SignedCheckpoint>,
) -> Result<TreeBuilder> {
    let Some(cp) = checkpoint else {
        return Ok(TreeBuilder::new());
    };
    let problem = match objects_present(driver, cp.size)? {
        Err(p) => Some(p),
        Ok(()) => match TreeBuilder::load(driver, cp.size) {
            Ok(b) if b.root() == cp.root => {
                let mut b = b;
                // The partial bundle is rebuilt from the entries; rewrite it in case the file
                // was damaged.
                b.flush_bundle(&mut WriteSink { driver, cache }, true)?;
                return Ok(b);
            }
            Ok(b) => Some(format!(
                "edge tiles give root {} at size {}, checkpoint says {}",
                hex::encode(b.root()),
                cp.size,
                hex::encode(cp.root)
            )),
            Err(e) => Some(e.to_string()),
        },
    };
    tracing::warn!(
        size = cp.size,
        problem = problem.as_deref().unwrap_or(""),
        "tiles do not match the last checkpoint; rebuilding them from the entries"
    );
    let mut b = TreeBuilder::new();
    integrate(driver, cache, &mut b, cp.size)?;
    if b.root() != cp.root {
        return Err(Error::corrupt(
            "log",
            format!(
                "entries 0..{} hash to root {}, but the published checkpoint of that size has \
                 root {}: the entries table no longer matches what was published",
                cp.size,
                hex::encode(b.root()),
                hex::encode(cp.root)
            ),
        ));
    }
    Ok(b)
}

impl Log {
    /// Open (or create) the log in `config.data_dir` and start its background tasks on the
    /// current tokio runtime.
    ///
    /// On open the integrator is restored from the last recorded checkpoint: the tiles for
    /// that size must exist and their right edge must reproduce the checkpoint's root,
    /// otherwise every tile is recomputed from the entries. Entries sequenced after that
    /// checkpoint are then integrated in the background, and the `checkpoint` file is rewritten
    /// from the database.
    pub async fn open(config: LogConfig, signer: Arc<dyn NoteSigner>) -> Result<Log> {
        let dir = config.data_dir.clone();
        let driver: Arc<dyn Driver> =
            blocking("open", move || Ok(Arc::new(EmbeddedDriver::open(&dir)?))).await?;
        Self::open_with_driver(config, signer, driver).await
    }

    /// As [`Log::open`] over a given storage driver (tests inject faults through it).
    pub(crate) async fn open_with_driver(
        config: LogConfig,
        signer: Arc<dyn NoteSigner>,
        driver: Arc<dyn Driver>,
    ) -> Result<Log> {
        if config.origin.is_empty() || config.origin.contains('\n') {
            return Err(Error::Config {
                reason: format!("origin {:?} must be one non-empty line", config.origin),
            });
        }
        let name = config.origin.split(" - ").next().unwrap_or(&config.origin);
        if signer.name() != name {
            return Err(Error::Config {
                reason: format!(
                    "signer name {:?} must equal the origin's name part {name:?} (verifiers bind \
                     the two)",
                    signer.name()
                ),
            });
        }
        if config.batch_max_size == 0 || config.max_pending == 0 {
            return Err(Error::Config {
                reason: "batch_max_size and max_pending must be at least 1".into(),
            });
        }
        let cache_arc = Arc::new(TileCache::new(config.tile_cache_tiles));
        let (d2, c2) = (driver.clone(), cache_arc.clone());
        let (builder, seq_size, latest) = blocking("recovery", move || {
            let seq = d2.sequenced_size()?;
            let latest = d2.latest_checkpoint()?;
            if let Some(cp) = &latest {
                if cp.size > seq {
                    return Err(Error::corrupt(
                        "log",
                        format!(
                            "published checkpoint has size {} but only {seq} entries are sequenced",
                            cp.size
                        ),
                    ));
                }
                d2.put_object(layout::CHECKPOINT_PATH, cp.note.as_bytes())?;
            }
            let b = recover(d2.as_ref(), &c2, latest.as_ref())?;
            Ok((b, seq, latest))
        })
        .await?;
        let cache = cache_arc;

        let (seq_tx, seq_rx) = watch::channel(seq_size);
        let (int_tx, int_rx) = watch::channel((builder.size, builder.root()));
        let (pub_tx, _) = watch::channel(Published {
            latest: latest.clone(),
            closed: false,
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            config,
            signer,
            driver,
            cache,
            pending: AtomicUsize::new(0),
            sequenced: seq_rx,
            integrated: int_rx,
            published: pub_tx,
            publish_lock: tokio::sync::Mutex::new(()),
            failure: Mutex::new(None),
            degraded: Mutex::new(vec![]),
            retry: (Duration::from_millis(50), Duration::from_secs(5)),
        });
        if latest.is_none() {
            // Publish the empty tree so that readers always find a checkpoint.
            shared.publish(None).await?;
        }
        let tasks = vec![
            tokio::spawn(sequencer(shared.clone(), rx, seq_tx)),
            tokio::spawn(integrator(shared.clone(), builder, int_tx)),
            tokio::spawn(publisher(shared.clone())),
        ];
        Ok(Log {
            inner: Arc::new(Inner {
                shared,
                tx: Mutex::new(Some(tx)),
                tasks: Mutex::new(tasks),
            }),
        })
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// Append an entry. Resolves once the entry's index is durable (its batch's redb commit
    /// has been fsynced). Identical data already in the log yields the existing index with
    /// `duplicate: true`. Fails fast with [`Error::Pushback`] when `max_pending` appends are
    /// already queued.
    pub async fn append(&self, data: Vec<u8>) -> Result<Appended> {
        let s = self.shared();
        if data.len() > layout::MAX_ENTRY_SIZE {
            return Err(Error::EntryTooLarge {
                len: data.len(),
                max: layout::MAX_ENTRY_SIZE,
            });
        }
        if let Some(f) = lock(&s.failure).clone() {
            return Err(Error::Closed { reason: f });
        }
        // A failing sequencer is retried by the next batch itself; the other tasks would leave
        // the entry without a checkpoint, so appends wait for them to recover.
        if let Some((task, reason)) = lock(&s.degraded)
            .iter()
            .find(|(t, _)| *t != "sequencer")
            .cloned()
        {
            return Err(Error::Unavailable { task, reason });
        }
        let limit = s.config.max_pending;
        let pending = s.pending.fetch_add(1, Ordering::SeqCst);
        if pending >= limit {
            s.pending.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::Pushback { pending, limit });
        }
        let (reply, rx) = oneshot::channel();
        let item = Pending {
            leaf: leaf_hash(&data),
            data,
            arrived: Instant::now(),
            reply,
        };
        let sent = lock(&self.inner.tx)
            .as_ref()
            .map(|tx| tx.send(item).is_ok())
            .unwrap_or(false);
        if !sent {
            s.pending.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::Closed {
                reason: "append after shutdown".into(),
            });
        }
        rx.await.map_err(|_| Error::Closed {
            reason: "the sequencer stopped before acknowledging the append".into(),
        })?
    }

    /// Whether the log can append: `Err` names the failing task and its last error (a fatal
    /// failure, or a transient one the task is retrying).
    pub fn health(&self) -> Result<()> {
        let s = self.shared();
        if let Some(f) = lock(&s.failure).clone() {
            return Err(Error::Closed { reason: f });
        }
        if let Some((task, reason)) = lock(&s.degraded).first().cloned() {
            return Err(Error::Unavailable { task, reason });
        }
        Ok(())
    }

    /// Number of durably sequenced entries.
    pub fn size(&self) -> u64 {
        *self.shared().sequenced.borrow()
    }

    /// Number of entries covered by tiles (proofs and tile reads are available up to here).
    pub fn integrated_size(&self) -> u64 {
        self.shared().integrated.borrow().0
    }

    /// The most recently published checkpoint.
    pub fn latest_checkpoint(&self) -> Option<SignedCheckpoint> {
        self.shared().published.borrow().latest.clone()
    }

    /// Wait for a published checkpoint whose size is greater than `index` (it covers the entry).
    ///
    /// Without `publish_on_demand` this waits for the publisher, which signs a checkpoint as
    /// soon as the entry's batch is integrated, or, when the last one is younger than
    /// `checkpoint_interval`, once it is that old. With it, the caller waits until the entry
    /// is integrated and then publishes immediately; concurrent waiters serialize on the
    /// publisher and are all served by whichever checkpoint first covers them.
    pub async fn await_checkpoint(&self, index: u64) -> Result<SignedCheckpoint> {
        let s = self.shared();
        self.check_index(index)?;
        if s.config.publish_on_demand {
            let mut rx = s.integrated.clone();
            rx.wait_for(|(n, _)| *n > index)
                .await
                .map_err(|_| Error::Closed {
                    reason: "the integrator stopped while waiting for a checkpoint".into(),
                })?;
            if let Some(cp) = s.publish(Some(index)).await? {
                if cp.size > index {
                    return Ok(cp);
                }
            }
        }
        let mut rx = s.published.subscribe();
        let st = rx
            .wait_for(|p| p.closed || p.latest.as_ref().is_some_and(|c| c.size > index))
            .await
            .map_err(|_| Error::Closed {
                reason: "the publisher stopped while waiting for a checkpoint".into(),
            })?
            .clone();
        st.latest
            .filter(|c| c.size > index)
            .ok_or_else(|| Error::Closed {
                reason: format!("the log shut down before a checkpoint covered entry {index}"),
            })
    }

    /// Publish a checkpoint now, covering every entry sequenced before this call (waits for
    /// their integration first). Returns the latest checkpoint.
    pub async fn publish_now(&self) -> Result<SignedCheckpoint> {
        let s = self.shared();
        let target = self.size();
        let mut rx = s.integrated.clone();
        rx.wait_for(|(n, _)| *n >= target)
            .await
            .map_err(|_| Error::Closed {
                reason: "the integrator stopped before publish_now could publish".into(),
            })?;
        s.publish(target.checked_sub(1)).await?;
        self.latest_checkpoint().ok_or_else(|| Error::Closed {
            reason: "no checkpoint was published".into(),
        })
    }

    /// Stop accepting appends, finish the queued ones, integrate and publish a final
    /// checkpoint, and wait for the background tasks to end. Other clones of this `Log` get
    /// [`Error::Closed`] from later appends.
    pub async fn shutdown(self) -> Result<()> {
        lock(&self.inner.tx).take();
        let tasks: Vec<_> = lock(&self.inner.tasks).drain(..).collect();
        for t in tasks {
            t.await.map_err(|e| Error::Background {
                task: "shutdown",
                reason: e.to_string(),
            })?;
        }
        match lock(&self.shared().failure).clone() {
            Some(f) => Err(Error::Background {
                task: "log",
                reason: f,
            }),
            None => Ok(()),
        }
    }

    fn check_index(&self, index: u64) -> Result<()> {
        check_leaf_index(index, "sequenced size", self.size())
    }

    /// The entry at `index` (a blocking redb read; cheap, but call from `spawn_blocking` if the
    /// database may not be cached).
    pub fn entry(&self, index: u64) -> Result<Vec<u8>> {
        self.check_index(index)?;
        Ok(self.shared().driver.entry(index)?.1)
    }

    /// Unix seconds at which entry `index` was sequenced.
    pub fn integrated_time(&self, index: u64) -> Result<i64> {
        self.check_index(index)?;
        Ok(self.shared().driver.entry(index)?.0)
    }

    /// The index of the entry with this RFC 6962 leaf hash (Rekor v1 UUID).
    pub fn index_of_leaf_hash(&self, leaf_hash: &[u8; 32]) -> Result<Option<u64>> {
        self.shared().driver.index_of(leaf_hash)
    }

    fn reader(&self) -> TreeReader<'_> {
        let s = self.shared();
        TreeReader {
            driver: s.driver.as_ref(),
            cache: &s.cache,
            size: self.integrated_size(),
        }
    }

    fn check_size(&self, what: &'static str, size: u64, integrated: u64) -> Result<()> {
        if size > integrated {
            return Err(Error::OutOfRange {
                what,
                value: size,
                limit_what: "integrated size",
                limit: integrated,
            });
        }
        Ok(())
    }

    /// RFC 6962 inclusion proof of leaf `index` in the tree of `tree_size` leaves.
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<Vec<[u8; 32]>> {
        let r = self.reader();
        self.check_size("tree size", tree_size, r.size)?;
        check_leaf_index(index, "requested tree size", tree_size)?;
        r.inclusion(index, tree_size)
    }

    /// RFC 6962 consistency proof between trees of `size1` and `size2` leaves
    /// (`0 < size1 <= size2`; equal sizes give an empty proof).
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<[u8; 32]>> {
        let r = self.reader();
        self.check_size("tree size", size2, r.size)?;
        if size1 == 0 || size1 > size2 {
            return Err(Error::InvalidRequest {
                reason: format!(
                    "consistency proof needs 0 < size1 <= size2, got size1 {size1}, size2 {size2}"
                ),
            });
        }
        r.consistency(size1, size2)
    }

    /// The root hash of the tree of `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<[u8; 32]> {
        let r = self.reader();
        self.check_size("tree size", size, r.size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        r.mth(0, size)
    }

    /// A tile as served at `tile/<level>/<index>[.p/<width>]` (bytes of the full tile, or its
    /// first `width` hashes).
    pub fn read_tile(&self, level: u8, index: u64, partial_width: Option<u8>) -> Result<Vec<u8>> {
        let want = match partial_width {
            Some(0) => {
                return Err(Error::InvalidRequest {
                    reason: "partial tile width must be 1..=255".into(),
                })
            }
            Some(w) => usize::from(w),
            None => TILE_WIDTH as usize,
        };
        let r = self.reader();
        let t = r.tile(level, index, want).map_err(|e| match e {
            Error::NotFound { .. } => Error::NotFound {
                what: layout::tile_path(level, index, partial_width),
            },
            e => e,
        })?;
        Ok(t.bytes(want))
    }

    /// An entry bundle as served at `tile/entries/<index>[.p/<width>]`.
    pub fn read_entry_bundle(&self, index: u64, partial_width: Option<u8>) -> Result<Vec<u8>> {
        let want = match partial_width {
            Some(0) => {
                return Err(Error::InvalidRequest {
                    reason: "partial bundle width must be 1..=255".into(),
                })
            }
            Some(w) => u64::from(w),
            None => TILE_WIDTH,
        };
        let path = layout::bundle_path(index, partial_width);
        let integrated = self.integrated_size();
        let have = layout::tile_width(0, index, integrated).unwrap_or(0);
        if have < want {
            return Err(Error::NotFound { what: path });
        }
        let driver = &self.shared().driver;
        if let Some(b) = driver.get_object(&path)? {
            return Ok(b);
        }
        // Older partial bundles may not exist (e.g. after a rebuild): cut the current one.
        let cur = layout::bundle_path(index, layout::partial(have));
        let bytes = driver
            .get_object(&cur)?
            .ok_or(Error::NotFound { what: cur.clone() })?;
        let entries = layout::parse_bundle(&bytes).map_err(|r| Error::corrupt(cur, r))?;
        let mut out = Vec::new();
        for e in entries.iter().take(want as usize) {
            layout::push_entry(&mut out, e);
        }
        Ok(out)
    }

    /// The latest checkpoint note, as served at `checkpoint`.
    pub fn read_checkpoint(&self) -> Result<Vec<u8>> {
        self.latest_checkpoint()
            .map(|c| c.note.into_bytes())
            .ok_or_else(|| Error::NotFound {
                what: "checkpoint".into(),
            })
    }

    /// Number of appends queued but not yet acknowledged.
    pub fn pending(&self) -> usize {
        self.shared().pending.load(Ordering::SeqCst)
    }
}

impl Shared {
    /// Record a transient failure of `task` (it will retry).
    fn degrade(&self, task: &'static str, e: &Error) {
        tracing::error!(task, error = %e, "background task failed; retrying");
        let mut d = lock(&self.degraded);
        let reason = e.to_string();
        match d.iter_mut().find(|(t, _)| *t == task) {
            Some(x) => x.1 = reason,
            None => d.push((task, reason)),
        }
    }

    /// `task` succeeded: clear its transient failure.
    fn recovered(&self, task: &'static str) {
        let mut d = lock(&self.degraded);
        if let Some(i) = d.iter().position(|(t, _)| *t == task) {
            d.remove(i);
            tracing::info!(task, "background task recovered");
        }
    }

    fn fail(&self, task: &'static str, e: &Error) {
        tracing::error!(task, error = %e, "background task failed");
        let mut f = lock(&self.failure);
        if f.is_none() {
            *f = Some(format!("{task}: {e}"));
        }
    }

    /// Publish a checkpoint at the integrated size if it grew (or if `cover` is given and the
    /// latest checkpoint does not cover that index yet). Serialized by `publish_lock`.
    async fn publish(&self, cover: Option<u64>) -> Result<Option<SignedCheckpoint>> {
        let _guard = self.publish_lock.lock().await;
        let latest = self.published.borrow().latest.clone();
        if let (Some(l), Some(i)) = (&latest, cover) {
            if l.size > i {
                return Ok(latest);
            }
        }
        let (size, root) = *self.integrated.borrow();
        if latest.as_ref().is_some_and(|l| l.size >= size) {
            return Ok(latest);
        }
        let text = signet_core::checkpoint::format_body(&self.config.origin, size, &root);
        let note = sign_note(self.signer.as_ref(), &text)?;
        let cp = SignedCheckpoint { size, root, note };
        let driver = self.driver.clone();
        let c2 = cp.clone();
        blocking("publisher", move || {
            driver.record_checkpoint(&c2)?;
            driver.put_object(layout::CHECKPOINT_PATH, c2.note.as_bytes())
        })
        .await?;
        tracing::debug!(size, "published checkpoint");
        self.published.send_modify(|p| p.latest = Some(cp.clone()));
        Ok(Some(cp))
    }
}

async fn sequencer(
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<Pending>,
    seq_tx: watch::Sender<u64>,
) {
    let max = shared.config.batch_max_size;
    let age = shared.config.batch_max_age;
    let mut wait = shared.retry.0;
    loop {
        let degraded = lock(&shared.degraded)
            .iter()
            .any(|(t, _)| *t == "sequencer");
        let first = if degraded {
            // While failing and idle, probe storage with an empty commit so that health
            // recovers without waiting for the next append.
            match tokio::time::timeout(wait, rx.recv()).await {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(_) => {
                    wait = (wait * 2).min(shared.retry.1);
                    let driver = shared.driver.clone();
                    let now = unix_now();
                    match blocking("sequencer", move || driver.sequence(&[], now)).await {
                        Ok(_) => {
                            shared.recovered("sequencer");
                            wait = shared.retry.0;
                        }
                        Err(e) => shared.degrade("sequencer", &e),
                    }
                    continue;
                }
            }
        } else {
            match rx.recv().await {
                Some(p) => p,
                None => break,
            }
        };
        let deadline = tokio::time::Instant::from_std(first.arrived + age);
        let mut batch = vec![first];
        while batch.len() < max {
            // Take whatever is already queued without waiting, then wait until the deadline.
            match rx.try_recv() {
                Ok(p) => {
                    batch.push(p);
                    continue;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(p)) => batch.push(p),
                Ok(None) | Err(_) => break,
            }
        }
        let n = batch.len();
        let mut items = Vec::with_capacity(n);
        let mut replies = Vec::with_capacity(n);
        for p in batch {
            items.push((p.leaf, p.data));
            replies.push(p.reply);
        }
        let driver = shared.driver.clone();
        let now = unix_now();
        let res = blocking("sequencer", move || driver.sequence(&items, now)).await;
        match res {
            Ok((assigned, size)) => {
                shared.recovered("sequencer");
                wait = shared.retry.0;
                seq_tx.send_replace(size);
                for (r, a) in replies.into_iter().zip(assigned) {
                    let _ = r.send(Ok(Appended {
                        index: a.index,
                        integrated_time: a.integrated_time,
                        duplicate: a.duplicate,
                    }));
                }
            }
            Err(e) => {
                // The transaction did not commit: none of these entries were sequenced.
                tracing::error!(error = %e, entries = n, "sequencing a batch failed");
                shared.degrade("sequencer", &e);
                let msg = e.to_string();
                for r in replies {
                    let _ = r.send(Err(Error::Background {
                        task: "sequencer",
                        reason: msg.clone(),
                    }));
                }
            }
        }
        shared.pending.fetch_sub(n, Ordering::SeqCst);
    }
}

async fn integrator(
    shared: Arc<Shared>,
    mut builder: TreeBuilder,
    int_tx: watch::Sender<(u64, Hash)>,
) {
    let mut seq = shared.sequenced.clone();
    loop {
        let target = *seq.borrow_and_update();
        if target > builder.size {
            // Cap a pass so that readers see progress during a long catch-up.
            let target = target.min(builder.size + 65536);
            let s = shared.clone();
            let r = tokio::task::spawn_blocking(move || {
                let r = integrate(s.driver.as_ref(), &s.cache, &mut builder, target);
                (builder, r)
            })
            .await;
            let e = match r {
                Ok((b, Ok(()))) => {
                    builder = b;
                    shared.recovered("integrator");
                    int_tx.send_replace((builder.size, builder.root()));
                    continue;
                }
                Ok((_, Err(e))) => e,
                Err(e) => Error::Background {
                    task: "integrator",
                    reason: e.to_string(),
                },
            };
            // A failed pass may have left the builder part-way; restore it from storage (as a
            // restart would) once storage answers again, then retry.
            shared.degrade("integrator", &e);
            let mut wait = shared.retry.0;
            builder = loop {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(shared.retry.1);
                let s = shared.clone();
                let latest = s.published.borrow().latest.clone();
                let r = tokio::task::spawn_blocking(move || {
                    recover(s.driver.as_ref(), &s.cache, latest.as_ref())
                })
                .await;
                match r {
                    Ok(Ok(b)) => break b,
                    Ok(Err(e)) => shared.degrade("integrator", &e),
                    Err(e) => shared.degrade(
                        "integrator",
                        &Error::Background {
                            task: "integrator",
                            reason: e.to_string(),
                        },
                    ),
                }
                if lock(&shared.failure).is_some() {
                    return;
                }
            };
            continue;
        }
        if seq.changed().await.is_err() {
            // The sequencer exited; integrate what it left, then stop.
            if *seq.borrow() > builder.size {
                continue;
            }
            return;
        }
    }
}

/// Sleep until `until`, or less if the integrator stops meanwhile (the log is shutting down and
/// its final checkpoint must not wait).
async fn sleep_unless_closed(
    integrated: &watch::Receiver<(u64, Hash)>,
    until: tokio::time::Instant,
) {
    let mut rx = integrated.clone();
    let closed = async move { while rx.changed().await.is_ok() {} };
    tokio::select! {
        _ = tokio::time::sleep_until(until) => {}
        _ = closed => {}
    }
}

async fn publisher(shared: Arc<Shared>) {
    // A checkpoint as soon as a batch is integrated, at most one per `checkpoint_interval`:
    // an idle log answers its first append at once, and a busy one signs a bounded number of
    // checkpoints (each batch integrated meanwhile is covered by the next).
    let interval = shared.config.checkpoint_interval;
    let mut integrated = shared.integrated.clone();
    // At start: cover what recovery integrated beyond the last checkpoint (not rate-limited).
    let mut last: Option<tokio::time::Instant> = None;
    let mut first = true;
    loop {
        if !first {
            if integrated.changed().await.is_err() {
                break;
            }
            if let Some(t) = last {
                sleep_unless_closed(&integrated, t + interval).await;
            }
        }
        match shared.publish(None).await {
            Ok(Some(cp)) if !first || cp.size > 0 => {
                shared.recovered("publisher");
                last = Some(tokio::time::Instant::now());
            }
            Ok(_) => shared.recovered("publisher"),
            Err(e @ Error::CheckpointConflict { .. }) => {
                // Fatal: the log would fork. Stop accepting appends.
                shared.fail("publisher", &e);
                break;
            }
            Err(e) => {
                shared.degrade("publisher", &e);
                // Retry after a pause even if nothing new is integrated meanwhile.
                let until = tokio::time::Instant::now() + shared.retry.0.max(interval);
                sleep_unless_closed(&integrated, until).await;
                integrated.mark_changed();
            }
        }
        first = false;
    }
    // Final checkpoint on shutdown.
    if let Err(e) = shared.publish(None).await {
        shared.fail("publisher", &e);
    }
    shared.published.send_modify(|p| p.closed = true);
}
