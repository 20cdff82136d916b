//! Merkle tree maintenance over tiles: incremental building (the integrator's right edge),
//! the in-memory tile cache, and RFC 6962 proofs computed from tile hashes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use signet_core::merkle::{empty_root, leaf_hash, node_hash};

use crate::error::{Error, Result};
use crate::layout::{self, TILE_HEIGHT, TILE_WIDTH};
use crate::storage::{Driver, Hash};
use signet_core::tlog::{NodeSource, ProofBuilder};

/// A tile with every internal level precomputed: `levels[r]` holds the complete nodes at
/// height `r` above the tile's own hashes (`levels[0]`), so any node inside the tile is one
/// lookup away.
#[derive(Debug)]
pub(crate) struct Expanded {
    pub levels: Vec<Vec<Hash>>,
}

impl Expanded {
    pub(crate) fn new(hashes: Vec<Hash>) -> Self {
        let mut levels = vec![hashes];
        for r in 1..=TILE_HEIGHT as usize {
            let next: Vec<Hash> = levels[r - 1]
                .chunks_exact(2)
                .map(|c| node_hash(&c[0], &c[1]))
                .collect();
            if next.is_empty() {
                break;
            }
            levels.push(next);
        }
        Expanded { levels }
    }

    pub(crate) fn width(&self) -> usize {
        self.levels[0].len()
    }

    pub(crate) fn bytes(&self, width: usize) -> Vec<u8> {
        self.levels[0][..width].iter().flatten().copied().collect()
    }
}

/// Parse tile bytes into hashes (a wrong size is a corrupt store).
pub(crate) fn parse_tile(what: &str, bytes: &[u8], width: u64) -> Result<Vec<Hash>> {
    signet_core::tlog::parse_tile(what, bytes, width)
        .map_err(|e| Error::corrupt(what, e.to_string()))
}

/// Tile cache: tiles of level >= 1 are pinned (1/256 of the hashes: ~1.3 MB at 10M entries),
/// level-0 tiles are kept in an LRU of bounded size.
pub(crate) struct TileCache {
    inner: Mutex<CacheInner>,
}

struct CacheInner {
    pinned: HashMap<(u8, u64), Arc<Expanded>>,
    lru: HashMap<u64, (Arc<Expanded>, u64)>,
    tick: u64,
    capacity: usize,
}

impl TileCache {
    pub(crate) fn new(capacity: usize) -> Self {
        TileCache {
            inner: Mutex::new(CacheInner {
                pinned: HashMap::new(),
                lru: HashMap::new(),
                tick: 0,
                capacity: capacity.max(16),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // A panic while holding the lock cannot leave the maps inconsistent (each operation is
        // a single insert/remove), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A cached tile with at least `min_width` hashes.
    pub(crate) fn get(&self, level: u8, index: u64, min_width: usize) -> Option<Arc<Expanded>> {
        let mut c = self.lock();
        if level > 0 {
            return c
                .pinned
                .get(&(level, index))
                .filter(|t| t.width() >= min_width)
                .cloned();
        }
        c.tick += 1;
        let tick = c.tick;
        let e = c.lru.get_mut(&index)?;
        if e.0.width() < min_width {
            return None;
        }
        e.1 = tick;
        Some(e.0.clone())
    }

    /// Insert (or widen) a tile.
    pub(crate) fn insert(&self, level: u8, index: u64, tile: Arc<Expanded>) {
        let mut c = self.lock();
        if level > 0 {
            let slot = c
                .pinned
                .entry((level, index))
                .or_insert_with(|| tile.clone());
            if slot.width() < tile.width() {
                *slot = tile;
            }
            return;
        }
        c.tick += 1;
        let tick = c.tick;
        let keep_old = c
            .lru
            .get(&index)
            .is_some_and(|(t, _)| t.width() >= tile.width());
        if !keep_old {
            c.lru.insert(index, (tile, tick));
        }
        if c.lru.len() > c.capacity {
            // Evict the oldest quarter in one go to amortise the scan.
            let mut ticks: Vec<u64> = c.lru.values().map(|(_, t)| *t).collect();
            ticks.sort_unstable();
            let cutoff = ticks[ticks.len() / 4];
            c.lru.retain(|_, (_, t)| *t > cutoff);
        }
    }
}

/// The objects the tree builder emits.
pub(crate) enum Obj<'a> {
    /// A hash tile (full when it has 256 hashes).
    Tile {
        level: u8,
        index: u64,
        hashes: &'a [Hash],
    },
    /// An entry bundle with `count` entries.
    Bundle {
        index: u64,
        bytes: &'a [u8],
        count: u64,
    },
}

impl Obj<'_> {
    pub(crate) fn path(&self) -> String {
        match self {
            Obj::Tile {
                level,
                index,
                hashes,
            } => layout::tile_path(*level, *index, layout::partial(hashes.len() as u64)),
            Obj::Bundle { index, count, .. } => {
                layout::bundle_path(*index, layout::partial(*count))
            }
        }
    }
    pub(crate) fn bytes(&self) -> Vec<u8> {
        match self {
            Obj::Tile { hashes, .. } => hashes.iter().flatten().copied().collect(),
            Obj::Bundle { bytes, .. } => bytes.to_vec(),
        }
    }
}

/// Receives the objects produced while building the tree: the live integrator writes them,
/// fsck compares them with what is on disk.
pub(crate) trait Sink {
    /// `required`: the object must exist (fsck); false for objects past the last checkpoint.
    fn put(&mut self, obj: Obj<'_>, required: bool) -> Result<()>;
}

/// The right edge of the tree: the hashes of the incomplete tile at each tile level and the
/// incomplete entry bundle. This is all the state needed to extend the tree and compute its
/// root without reading anything back.
#[derive(Debug, Default)]
pub(crate) struct TreeBuilder {
    pub size: u64,
    edges: Vec<Vec<Hash>>,
    flushed: Vec<usize>,
    bundle: Vec<u8>,
    bundle_count: u64,
}

impl TreeBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Restore the right edge at `size` from the partial tiles stored for that size, and the
    /// partial entry bundle from the entries. Errors if any is missing or malformed.
    pub(crate) fn load(driver: &dyn Driver, size: u64) -> Result<Self> {
        let mut b = TreeBuilder {
            size,
            ..Default::default()
        };
        let mut level = 0u32;
        while size.checked_shr(TILE_HEIGHT * level).unwrap_or(0) > 0 {
            let count = size >> (TILE_HEIGHT * level);
            let w = count % TILE_WIDTH;
            let lvl = level as u8;
            let mut hashes = Vec::new();
            if w > 0 {
                let path = layout::tile_path(lvl, count / TILE_WIDTH, layout::partial(w));
                let bytes = driver
                    .get_object(&path)?
                    .ok_or_else(|| Error::NotFound { what: path.clone() })?;
                hashes = parse_tile(&path, &bytes, w)?;
            }
            b.flushed.push(hashes.len());
            b.edges.push(hashes);
            level += 1;
        }
        let start = size - size % TILE_WIDTH;
        for e in driver.entries(start, size)? {
            layout::push_entry(&mut b.bundle, &e);
            b.bundle_count += 1;
        }
        Ok(b)
    }

    /// Append one entry.
    pub(crate) fn push(&mut self, entry: &[u8], sink: &mut dyn Sink, required: bool) -> Result<()> {
        self.push_hashed(entry, leaf_hash(entry), sink, required)
    }

    /// Append one entry whose leaf hash is already known.
    pub(crate) fn push_hashed(
        &mut self,
        entry: &[u8],
        leaf: Hash,
        sink: &mut dyn Sink,
        required: bool,
    ) -> Result<()> {
        let new_size = self.size + 1;
        layout::push_entry(&mut self.bundle, entry);
        self.bundle_count += 1;
        if self.bundle_count == TILE_WIDTH {
            sink.put(
                Obj::Bundle {
                    index: self.size / TILE_WIDTH,
                    bytes: &self.bundle,
                    count: TILE_WIDTH,
                },
                required,
            )?;
            self.bundle.clear();
            self.bundle_count = 0;
        }
        self.add(0, leaf, new_size, sink, required)?;
        self.size = new_size;
        Ok(())
    }

    fn add(
        &mut self,
        level: usize,
        h: Hash,
        new_size: u64,
        sink: &mut dyn Sink,
        required: bool,
    ) -> Result<()> {
        if self.edges.len() <= level {
            self.edges.push(Vec::new());
            self.flushed.push(0);
        }
        self.edges[level].push(h);
        if self.edges[level].len() as u64 == TILE_WIDTH {
            let count = new_size >> (TILE_HEIGHT * level as u32);
            let index = count / TILE_WIDTH - 1;
            sink.put(
                Obj::Tile {
                    level: level as u8,
                    index,
                    hashes: &self.edges[level],
                },
                required,
            )?;
            let root = perfect_root(&self.edges[level]);
            self.edges[level].clear();
            self.flushed[level] = 0;
            self.add(level + 1, root, new_size, sink, required)?;
        }
        Ok(())
    }

    /// Emit the partial tiles and bundle that changed since the last flush.
    pub(crate) fn flush(&mut self, sink: &mut dyn Sink, required: bool) -> Result<()> {
        for level in 0..self.edges.len() {
            let w = self.edges[level].len();
            if w > 0 && w != self.flushed[level] {
                let count = self.size >> (TILE_HEIGHT * level as u32);
                sink.put(
                    Obj::Tile {
                        level: level as u8,
                        index: count / TILE_WIDTH,
                        hashes: &self.edges[level],
                    },
                    required,
                )?;
                self.flushed[level] = w;
            }
        }
        self.flush_bundle(sink, required)
    }

    /// Emit the partial entry bundle (if any), changed or not.
    pub(crate) fn flush_bundle(&mut self, sink: &mut dyn Sink, required: bool) -> Result<()> {
        if self.bundle_count > 0 {
            sink.put(
                Obj::Bundle {
                    index: self.size / TILE_WIDTH,
                    bytes: &self.bundle,
                    count: self.bundle_count,
                },
                required,
            )?;
        }
        Ok(())
    }

    /// The RFC 6962 root of the tree built so far.
    pub(crate) fn root(&self) -> Hash {
        if self.size == 0 {
            return empty_root();
        }
        // The perfect subtrees of the tree, left to right, are the power-of-two chunks of the
        // edge tiles from the highest level down.
        let mut subtrees = Vec::new();
        for edge in self.edges.iter().rev() {
            if edge.is_empty() {
                continue;
            }
            let ex = Expanded::new(edge.clone());
            let w = edge.len();
            let mut off = 0usize;
            for b in (0..TILE_HEIGHT as usize).rev() {
                if w & (1 << b) != 0 {
                    subtrees.push(ex.levels[b][off >> b]);
                    off += 1 << b;
                }
            }
        }
        let mut acc = subtrees.pop().unwrap_or_else(empty_root);
        while let Some(s) = subtrees.pop() {
            acc = node_hash(&s, &acc);
        }
        acc
    }
}

/// Root of a power-of-two number of hashes.
pub(crate) fn perfect_root(hashes: &[Hash]) -> Hash {
    let mut level = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|c| node_hash(&c[0], &c[1]))
            .collect();
    }
    level.first().copied().unwrap_or_else(empty_root)
}

/// Reads node hashes of a tree of `size` leaves from the tile cache, falling back to tile
/// objects, and computes proofs from them.
pub(crate) struct TreeReader<'a> {
    pub driver: &'a dyn Driver,
    pub cache: &'a TileCache,
    /// The size whose tiles are on disk (tiles are loaded at their width for this size).
    pub size: u64,
}

impl TreeReader<'_> {
    /// The expanded tile `(level, index)` with at least `min_width` hashes.
    pub(crate) fn tile(&self, level: u8, index: u64, min_width: usize) -> Result<Arc<Expanded>> {
        if let Some(t) = self.cache.get(level, index, min_width) {
            return Ok(t);
        }
        let width = layout::tile_width(level, index, self.size).unwrap_or(0);
        if (width as usize) < min_width || width == 0 {
            return Err(Error::NotFound {
                what: format!(
                    "tile {level}/{index} of width {min_width} (tree size {})",
                    self.size
                ),
            });
        }
        let path = layout::tile_path(level, index, layout::partial(width));
        let bytes = self
            .driver
            .get_object(&path)?
            .ok_or_else(|| Error::NotFound { what: path.clone() })?;
        let t = Arc::new(Expanded::new(parse_tile(&path, &bytes, width)?));
        self.cache.insert(level, index, t.clone());
        Ok(t)
    }

    /// RFC 6962 MTH of leaves `[lo, hi)` (`lo` aligned as inside proofs).
    pub(crate) fn mth(&self, lo: u64, hi: u64) -> Result<Hash> {
        ProofBuilder::new(self, hi).mth(lo, hi)
    }

    /// RFC 6962 PATH(m, D[0:n]).
    pub(crate) fn inclusion(&self, m: u64, n: u64) -> Result<Vec<Hash>> {
        ProofBuilder::new(self, n).inclusion(m)
    }

    /// RFC 6962 PROOF(m, D[0:n]) for 0 < m <= n.
    pub(crate) fn consistency(&self, m: u64, n: u64) -> Result<Vec<Hash>> {
        ProofBuilder::new(self, n).consistency(m)
    }
}

/// Nodes come from the cached, expanded tiles: any node inside a tile is one lookup.
impl NodeSource for TreeReader<'_> {
    type Error = Error;
    fn node(&self, h: u32, i: u64) -> Result<Hash> {
        let level = h / TILE_HEIGHT;
        let r = h % TILE_HEIGHT;
        let first = i << r; // index at tree height `level * 8`
        let tile_index = first / TILE_WIDTH;
        let off = (first % TILE_WIDTH) as usize;
        let t = self.tile(level as u8, tile_index, off + (1 << r))?;
        Ok(t.levels[r as usize][off >> r])
    }
}
