//! The transparency-log toolkit, without I/O: C2SP tlog-tiles layout ([`layout`]) and one
//! RFC 6962 proof builder ([`ProofBuilder`]) over any source of subtree hashes. The log engine
//! (signet-log, tiles on disk), the tile-log client (tiles over HTTP) and the test logs
//! (leaves in memory) all build their inclusion and consistency proofs with it.

pub mod layout;

use crate::merkle::{empty_root, node_hash, Hash};
use crate::{Error, Result};

/// A source of perfect-subtree hashes: the hash of the subtree of height `height` at position
/// `index` (leaves `[index * 2^height, (index + 1) * 2^height)`), which the caller guarantees
/// lies inside the tree the proofs are built for.
pub trait NodeSource {
    /// The source's error (reading a tile, say); proof-shape errors convert into it.
    type Error: From<Error>;
    /// Hash of the perfect subtree at (`height`, `index`).
    fn node(&self, height: u32, index: u64) -> std::result::Result<Hash, Self::Error>;
}

/// Largest power of two strictly below `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// RFC 6962 (RFC 9162 section 2.1) proofs for the tree of `size` leaves whose subtree hashes
/// `source` gives.
pub struct ProofBuilder<'a, S: NodeSource> {
    source: &'a S,
    size: u64,
}

impl<'a, S: NodeSource> ProofBuilder<'a, S> {
    /// Proofs for the tree of `size` leaves.
    pub fn new(source: &'a S, size: u64) -> Self {
        ProofBuilder { source, size }
    }

    /// MTH of leaves `[lo, hi)` (`lo` aligned to the largest power of two not above
    /// `hi - lo`, as it always is inside proofs).
    pub fn mth(&self, lo: u64, hi: u64) -> std::result::Result<Hash, S::Error> {
        let n = hi - lo;
        if n == 0 {
            return Ok(empty_root());
        }
        if n.is_power_of_two() && lo & (n - 1) == 0 {
            let h = n.trailing_zeros();
            return self.source.node(h, lo >> h);
        }
        let k = split(n);
        Ok(node_hash(&self.mth(lo, lo + k)?, &self.mth(lo + k, hi)?))
    }

    /// The root of the tree (`size` leaves).
    pub fn root(&self) -> std::result::Result<Hash, S::Error> {
        self.mth(0, self.size)
    }

    /// PATH(m, D[0:size]): the inclusion proof of leaf `m`, leaf side first.
    pub fn inclusion(&self, m: u64) -> std::result::Result<Vec<Hash>, S::Error> {
        if m >= self.size {
            return Err(Error::Proof {
                reason: format!("leaf index {m} is beyond tree size {}", self.size),
            }
            .into());
        }
        let mut proof = Vec::new();
        let (mut lo, mut hi) = (0u64, self.size);
        while hi - lo > 1 {
            let k = split(hi - lo);
            if m < lo + k {
                proof.push(self.mth(lo + k, hi)?);
                hi = lo + k;
            } else {
                proof.push(self.mth(lo, lo + k)?);
                lo += k;
            }
        }
        proof.reverse();
        Ok(proof)
    }

    /// PROOF(m, D[0:size]): the consistency proof from the tree of `m` leaves, `0 < m <= size`.
    pub fn consistency(&self, m: u64) -> std::result::Result<Vec<Hash>, S::Error> {
        if m == 0 || m > self.size {
            return Err(Error::Proof {
                reason: format!(
                    "consistency from size {m} to {}: expected 0 < from <= to",
                    self.size
                ),
            }
            .into());
        }
        let mut proof = Vec::new();
        if m == self.size {
            return Ok(proof);
        }
        let (mut lo, mut hi, mut m, mut whole) = (0u64, self.size, m, true);
        loop {
            let size = hi - lo;
            if m == size {
                if !whole {
                    proof.push(self.mth(lo, hi)?);
                }
                break;
            }
            let k = split(size);
            if m <= k {
                proof.push(self.mth(lo + k, hi)?);
                hi = lo + k;
            } else {
                proof.push(self.mth(lo, lo + k)?);
                m -= k;
                lo += k;
                whole = false;
            }
        }
        proof.reverse();
        Ok(proof)
    }
}

/// A source of hash tiles (C2SP tlog-tiles): the hashes of tile `(level, index)`, at least
/// `width` of them, for a tree of the size the proofs are built for.
pub trait TileSource {
    /// The source's error.
    type Error: From<Error>;
    /// The tile's hashes (32 bytes each), at least `width`.
    fn tile(
        &self,
        level: u8,
        index: u64,
        width: u64,
    ) -> std::result::Result<Vec<Hash>, Self::Error>;
}

/// Subtree hashes from the hash tiles of a tree of `size` leaves: a node of height `h` is in
/// the tile at level `h / 8`, hashed up from the `2^(h % 8)` stored hashes under it.
pub struct TileNodes<'a, T: TileSource> {
    tiles: &'a T,
    size: u64,
}

impl<'a, T: TileSource> TileNodes<'a, T> {
    /// Nodes of the tree of `size` leaves from `tiles`.
    pub fn new(tiles: &'a T, size: u64) -> Self {
        TileNodes { tiles, size }
    }
}

impl<T: TileSource> NodeSource for TileNodes<'_, T> {
    type Error = T::Error;
    fn node(&self, height: u32, index: u64) -> std::result::Result<Hash, T::Error> {
        let level = height / layout::TILE_HEIGHT;
        let r = height % layout::TILE_HEIGHT;
        let first = index << r; // the first stored hash under the node, at height 8 * level
        let tile_index = first / layout::TILE_WIDTH;
        let off = (first % layout::TILE_WIDTH) as usize;
        let count = 1usize << r;
        let missing = || {
            Error::Proof {
            reason: format!(
                "node {height}/{index} needs tile {level}/{tile_index}, which a tree of {} leaves does not have",
                self.size
            ),
        }
        };
        let width = u8::try_from(level)
            .ok()
            .and_then(|l| layout::tile_width(l, tile_index, self.size))
            .ok_or_else(missing)?;
        if (width as usize) < off + count {
            return Err(missing().into());
        }
        // level <= 63 / 8 here (tile_width returned a width).
        let hashes = self.tiles.tile(level as u8, tile_index, width)?;
        let mut layer: Vec<Hash> = hashes
            .get(off..off + count)
            .ok_or_else(|| Error::Proof {
                reason: format!(
                    "tile {level}/{tile_index} has {} hashes, expected {width}",
                    hashes.len()
                ),
            })?
            .to_vec();
        while layer.len() > 1 {
            layer = layer.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
        }
        layer.pop().ok_or_else(|| missing().into())
    }
}

/// Split a hash tile's bytes into its hashes, checking it holds exactly `width` of them.
pub fn parse_tile(what: &str, bytes: &[u8], width: u64) -> Result<Vec<Hash>> {
    if bytes.len() as u64 != width * 32 {
        return Err(Error::Proof {
            reason: format!(
                "tile {what} has {} bytes, expected {} ({width} hashes)",
                bytes.len(),
                width * 32
            ),
        });
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, verify_consistency, verify_inclusion};

    /// Leaves in memory: node hashes by recursion.
    struct Leaves(Vec<Hash>);
    impl NodeSource for Leaves {
        type Error = Error;
        fn node(&self, h: u32, i: u64) -> Result<Hash> {
            let lo = (i << h) as usize;
            let hi = lo + (1usize << h);
            Ok(mth(&self.0[lo..hi]))
        }
    }
    fn mth(l: &[Hash]) -> Hash {
        match l.len() {
            0 => empty_root(),
            1 => l[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&l[..k]), &mth(&l[k..]))
            }
        }
    }

    /// The same tree as hash tiles (levels of 256), built bottom up.
    struct Tiles(Vec<Vec<Hash>>); // per tile level: all hashes at height 8 * level
    impl TileSource for Tiles {
        type Error = Error;
        fn tile(&self, level: u8, index: u64, width: u64) -> Result<Vec<Hash>> {
            let row = &self.0[level as usize];
            let lo = (index * 256) as usize;
            Ok(row[lo..lo + width as usize].to_vec())
        }
    }

    #[test]
    fn proofs_from_leaves_and_from_tiles_verify_and_agree() {
        let leaves: Vec<Hash> = (0..600u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut rows = vec![leaves.clone()];
        while rows.last().unwrap().len() >= 256 {
            let next: Vec<Hash> = rows.last().unwrap().chunks_exact(256).map(mth).collect();
            rows.push(next);
        }
        let tiles = Tiles(rows);
        for size in [1u64, 2, 3, 7, 255, 256, 257, 511, 512, 513, 600] {
            let from_leaves = Leaves(leaves[..size as usize].to_vec());
            let a = ProofBuilder::new(&from_leaves, size);
            let nodes = TileNodes::new(&tiles, size);
            let b = ProofBuilder::new(&nodes, size);
            let root = a.root().unwrap();
            assert_eq!(b.root().unwrap(), root, "size {size}");
            for m in (0..size).step_by(37).chain([size - 1]) {
                let p = a.inclusion(m).unwrap();
                assert_eq!(b.inclusion(m).unwrap(), p);
                verify_inclusion(m, size, &leaves[m as usize], &p, &root).unwrap();
            }
            for m in (1..=size).step_by(41).chain([size]) {
                let p = a.consistency(m).unwrap();
                assert_eq!(b.consistency(m).unwrap(), p);
                let old = ProofBuilder::new(&from_leaves, m).root().unwrap();
                verify_consistency(m, size, &p, &old, &root).unwrap();
            }
            assert!(a.inclusion(size).is_err());
            assert!(a.consistency(0).is_err() && a.consistency(size + 1).is_err());
        }
    }

    #[test]
    fn a_node_outside_the_tiles_is_an_error_not_a_panic() {
        let tiles = Tiles(vec![vec![[0u8; 32]; 3]]);
        let nodes = TileNodes::new(&tiles, 3);
        assert!(nodes.node(1, 1).is_err()); // leaves 2..4: the tile has 3
        assert!(nodes.node(9, 0).is_err());
    }
}
