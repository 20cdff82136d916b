//! A client for tile-based (C2SP tlog-tiles) logs such as Rekor v2: the signed checkpoint,
//! entries from entry bundles, and RFC 6962 inclusion proofs and roots computed from hash tiles
//! with signet-core's one proof builder, all checked against the checkpoint root by the caller
//! (a wrong tile makes the proof fail).

use std::cell::RefCell;
use std::collections::HashMap;

use signet_core::checkpoint::Checkpoint;
use signet_core::merkle::Hash;
use signet_core::tlog::{layout, parse_tile, ProofBuilder, TileNodes, TileSource};
use signet_core::trust::TrustedRoot;

use crate::{Error, Result};

use signet_core::limits::MAX_TILE_OBJECT as MAX_OBJECT;

/// A tile log client; fetched hash tiles are cached for the client's life.
pub struct TileClient {
    base: String,
    http: signet_http::Http,
    tiles: RefCell<HashMap<(u8, u64, u64), Vec<Hash>>>,
}

impl TileClient {
    /// For the log at `base` (e.g. `https://log2025-1.rekor.sigstore.dev` or `URL/rekor2`).
    pub fn new(base: &str, http: signet_http::Http) -> Self {
        TileClient {
            base: base.trim_end_matches('/').to_string(),
            http,
            tiles: RefCell::new(HashMap::new()),
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn fetch(&self, path: &str) -> Result<Vec<u8>> {
        let url = format!("{}/{path}", self.base);
        let service = |message: String| Error::Service {
            service: "tile log",
            url: url.clone(),
            message,
        };
        self.http
            .get_bytes(&url, None, MAX_OBJECT)
            .map_err(|e| service(e.reason()))?
            .ok_or_else(|| service("not found (HTTP 403/404)".into()))
    }

    /// The checkpoint, verified with a key of the trusted root.
    pub fn checkpoint(&self, root: &TrustedRoot) -> Result<Checkpoint> {
        let text = String::from_utf8(self.fetch(layout::CHECKPOINT_PATH)?).map_err(|_| {
            Error::Service {
                service: "tile log",
                url: format!("{}/checkpoint", self.base),
                message: "the checkpoint is not UTF-8".into(),
            }
        })?;
        let cp = Checkpoint::parse(&text)?;
        let ok = signet_verify::log_entry::signed_by_trusted_log(root, &cp);
        if !ok {
            return Err(Error::Service {
                service: "tile log",
                url: format!("{}/checkpoint", self.base),
                message: format!(
                    "the checkpoint of {:?} is not signed by any transparency log in the trusted root",
                    cp.origin
                ),
            });
        }
        Ok(cp)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` (the checkpoint's size or
    /// smaller), from the tiles of that tree.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        ProofBuilder::new(&TileNodes::new(self, size), size).inclusion(index)
    }

    /// The root of the tree of `size` leaves, from the tiles of the tree of `current` leaves
    /// (for consistency checks against an older checkpoint).
    pub fn root(&self, size: u64, current: u64) -> Result<Hash> {
        ProofBuilder::new(&TileNodes::new(self, current), size).root()
    }

    /// Entry `index` from its entry bundle, in the tree of `size` leaves.
    pub fn entry(&self, index: u64, size: u64) -> Result<Vec<u8>> {
        let b = index / layout::TILE_WIDTH;
        let width = layout::tile_width(0, b, size).ok_or_else(|| signet_core::Error::Proof {
            reason: format!("entry {index} is beyond tree size {size}"),
        })?;
        let path = layout::bundle_path(b, layout::partial(width));
        let bundle = self.fetch(&path)?;
        let entries = layout::parse_bundle(&bundle).map_err(|e| Error::Service {
            service: "tile log",
            url: format!("{}/{path}", self.base),
            message: e,
        })?;
        entries
            .get((index % layout::TILE_WIDTH) as usize)
            .map(|e| e.to_vec())
            .ok_or_else(|| Error::Service {
                service: "tile log",
                url: format!("{}/{path}", self.base),
                message: format!("the bundle has no entry {}", index % layout::TILE_WIDTH),
            })
    }
}

impl TileSource for TileClient {
    type Error = Error;
    fn tile(&self, level: u8, index: u64, width: u64) -> Result<Vec<Hash>> {
        if let Some(t) = self.tiles.borrow().get(&(level, index, width)) {
            return Ok(t.clone());
        }
        let path = layout::tile_path(level, index, layout::partial(width));
        let t = parse_tile(&path, &self.fetch(&path)?, width)?;
        self.tiles
            .borrow_mut()
            .insert((level, index, width), t.clone());
        Ok(t)
    }
}
