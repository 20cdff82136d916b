//! An in-memory RFC 6962 Merkle tree with roots and inclusion proofs at any past size.

use signet_core::merkle::{leaf_hash, root_of_leaf_hashes, Hash};
use signet_core::tlog::{NodeSource, ProofBuilder};
use signet_core::{Error, Result};

/// An append-only in-memory Merkle tree (RFC 6962 / RFC 9162 hashing from
/// [`signet_core::merkle`]). Fine for test-sized trees: roots and proofs are recomputed from the
/// leaves on every call.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    leaves: Vec<Hash>,
}

/// Nodes by recursion over the leaves (test-sized trees).
impl NodeSource for MerkleTree {
    type Error = Error;
    fn node(&self, height: u32, index: u64) -> Result<Hash> {
        let span = 1u64.checked_shl(height).unwrap_or(u64::MAX);
        let lo = index.saturating_mul(span);
        let leaves = usize::try_from(lo)
            .ok()
            .zip(usize::try_from(lo.saturating_add(span)).ok())
            .and_then(|(lo, hi)| self.leaves.get(lo..hi))
            .ok_or_else(|| Error::Proof {
                reason: format!(
                    "node {height}/{index} is beyond the tree ({} leaves)",
                    self.size()
                ),
            })?;
        Ok(root_of_leaf_hashes(leaves))
    }
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append an entry (its leaf hash is `SHA256(0x00 || data)`); returns its index.
    pub fn append(&mut self, data: &[u8]) -> u64 {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// Append an already-hashed leaf; returns its index.
    pub fn append_leaf_hash(&mut self, h: Hash) -> u64 {
        self.leaves.push(h);
        (self.leaves.len() - 1) as u64
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    fn prefix(&self, size: u64) -> Result<&[Hash]> {
        usize::try_from(size)
            .ok()
            .and_then(|s| self.leaves.get(..s))
            .ok_or_else(|| Error::Proof {
                reason: format!(
                    "tree size {size} is beyond the tree ({} leaves)",
                    self.size()
                ),
            })
    }

    /// The root of the tree's first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash> {
        self.prefix(size)?;
        ProofBuilder::new(self, size).root()
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (leaf side first).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        self.prefix(size)?;
        ProofBuilder::new(self, size).inclusion(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_core::merkle::{empty_root, verify_inclusion};

    #[test]
    fn proofs_verify_at_every_size() {
        let mut t = MerkleTree::new();
        assert_eq!(t.root(0).unwrap(), empty_root());
        for i in 0..40u32 {
            t.append(&i.to_be_bytes());
        }
        for size in 1..=40u64 {
            let root = t.root(size).unwrap();
            for index in 0..size {
                let p = t.inclusion_proof(index, size).unwrap();
                let leaf = leaf_hash(&(index as u32).to_be_bytes());
                verify_inclusion(index, size, &leaf, &p, &root).unwrap();
            }
        }
        assert!(t.root(41).is_err());
        assert!(t.inclusion_proof(5, 5).is_err());
    }
}
