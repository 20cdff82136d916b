//! A client for tile-based (C2SP tlog-tiles) logs such as Rekor v2: signed checkpoint, entries
//! from entry bundles, and RFC 6962 inclusion/consistency proofs computed from hash tiles, all
//! checked against the checkpoint root (a wrong tile makes the proof fail).

use std::cell::RefCell;
use std::collections::HashMap;

use anyhow::{anyhow, bail, Context};
use signet_core::checkpoint::Checkpoint;
use signet_core::crypto::PublicKey;
use signet_core::merkle::{self, Hash};
use signet_core::trust::TrustedRoot;
use signet_log::layout::encode_index;

/// A tile log client.
pub struct TileClient {
    base: String,
    http: reqwest::blocking::Client,
    tiles: RefCell<HashMap<(u8, u64), Vec<u8>>>,
}

impl TileClient {
    /// For the log at `base` (e.g. `https://log2025-1.rekor.sigstore.dev` or `URL/rekor2`).
    pub fn new(base: &str, http: reqwest::blocking::Client) -> Self {
        TileClient {
            base: base.trim_end_matches('/').to_string(),
            http,
            tiles: RefCell::new(HashMap::new()),
        }
    }

    fn fetch(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let url = format!("{}/{path}", self.base);
        let r = self
            .http
            .get(&url)
            .send()
            .with_context(|| format!("GET {url}"))?;
        if !r.status().is_success() {
            bail!("GET {url}: HTTP {}", r.status());
        }
        Ok(r.bytes()
            .with_context(|| format!("reading {url}"))?
            .to_vec())
    }

    /// The checkpoint, verified with a key of the trusted root.
    pub fn checkpoint(&self, root: &TrustedRoot) -> anyhow::Result<Checkpoint> {
        let text =
            String::from_utf8(self.fetch("checkpoint")?).context("checkpoint is not UTF-8")?;
        let cp = Checkpoint::parse(&text)?;
        let ok = root.tlogs.iter().any(|t| {
            t.public_key
                .raw_bytes
                .as_ref()
                .and_then(|r| PublicKey::from_trusted_root(r, &t.public_key.key_details).ok())
                .is_some_and(|k| cp.verify(&k, &t.log_id.key_id).is_ok())
        });
        if !ok {
            bail!(
                "the checkpoint of {:?} is not signed by any transparency log in the trusted root",
                cp.origin
            );
        }
        Ok(cp)
    }

    /// Hash tile (level, index) in a tree of `size`, cached.
    fn tile(&self, level: u8, index: u64, size: u64) -> anyhow::Result<Vec<u8>> {
        if let Some(t) = self.tiles.borrow().get(&(level, index)) {
            return Ok(t.clone());
        }
        let count = size >> (8 * level as u32);
        let width = count.saturating_sub(index * 256).min(256);
        if width == 0 {
            bail!("tile {level}/{index} is beyond tree size {size}");
        }
        let path = if width == 256 {
            format!("tile/{level}/{}", encode_index(index))
        } else {
            format!("tile/{level}/{}.p/{width}", encode_index(index))
        };
        let t = self.fetch(&path)?;
        if t.len() != width as usize * 32 {
            bail!("tile {path} has {} bytes, expected {}", t.len(), width * 32);
        }
        self.tiles.borrow_mut().insert((level, index), t.clone());
        Ok(t)
    }

    /// The node at `level` (2^level leaves) and `index`, from the tile holding level 8*(level/8).
    fn node(&self, level: u32, index: u64, size: u64) -> anyhow::Result<Hash> {
        let tl = (level / 8) as u8;
        let r = level % 8;
        let first = index << r; // first stored node at level 8*tl
        let count = 1u64 << r;
        let tile = self.tile(tl, first / 256, size)?;
        let off = (first % 256) as usize;
        let mut layer: Vec<Hash> = (0..count as usize)
            .map(|i| {
                let mut h = [0u8; 32];
                h.copy_from_slice(&tile[(off + i) * 32..(off + i + 1) * 32]);
                h
            })
            .collect();
        while layer.len() > 1 {
            layer = layer
                .chunks(2)
                .map(|p| merkle::node_hash(&p[0], &p[1]))
                .collect();
        }
        layer.pop().ok_or_else(|| anyhow!("empty node"))
    }

    /// MTH of leaves [a, b) (RFC 6962 section 2.1).
    fn range_hash(&self, a: u64, b: u64, size: u64) -> anyhow::Result<Hash> {
        let n = b - a;
        if n.is_power_of_two() && a.is_multiple_of(n) {
            return self.node(n.trailing_zeros(), a / n, size);
        }
        let k = 1u64 << (63 - (n - 1).leading_zeros());
        Ok(merkle::node_hash(
            &self.range_hash(a, a + k, size)?,
            &self.range_hash(a + k, b, size)?,
        ))
    }

    /// PATH(m, D[a:b]) (RFC 6962 section 2.1.1), leaf first.
    fn path(&self, m: u64, a: u64, b: u64, size: u64, out: &mut Vec<Hash>) -> anyhow::Result<()> {
        let n = b - a;
        if n <= 1 {
            return Ok(());
        }
        let k = 1u64 << (63 - (n - 1).leading_zeros());
        if m < k {
            self.path(m, a, a + k, size, out)?;
            out.push(self.range_hash(a + k, b, size)?);
        } else {
            self.path(m - k, a + k, b, size, out)?;
            out.push(self.range_hash(a, a + k, size)?);
        }
        Ok(())
    }

    /// The inclusion proof of leaf `index` in the tree of `size`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> anyhow::Result<Vec<Hash>> {
        if index >= size {
            bail!("index {index} is beyond tree size {size}");
        }
        let mut out = vec![];
        self.path(index, 0, size, size, &mut out)?;
        Ok(out)
    }

    /// The root of the tree of `size` (for consistency checks).
    pub fn root(&self, size: u64, current: u64) -> anyhow::Result<Hash> {
        self.range_hash(0, size, current)
    }

    /// Entry `index` from its entry bundle.
    pub fn entry(&self, index: u64, size: u64) -> anyhow::Result<Vec<u8>> {
        let b = index / 256;
        let width = (size - b * 256).min(256);
        let path = if width == 256 {
            format!("tile/entries/{}", encode_index(b))
        } else {
            format!("tile/entries/{}.p/{width}", encode_index(b))
        };
        let bundle = self.fetch(&path)?;
        let entries =
            signet_log::layout::parse_bundle(&bundle).map_err(|e| anyhow!("{path}: {e}"))?;
        entries
            .get((index % 256) as usize)
            .map(|e| e.to_vec())
            .ok_or_else(|| anyhow!("{path} has no entry {}", index % 256))
    }
}
