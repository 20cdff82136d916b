//! Offline consistency check of a log directory.

use std::path::Path;

use signet_core::merkle::leaf_hash;

use crate::error::Result;
use crate::layout;
use crate::storage::embedded::EmbeddedDriver;
use crate::storage::Driver;
use crate::tree::{Obj, Sink, TreeBuilder};

const MAX_PROBLEMS: usize = 1000;

/// What [`fsck`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckReport {
    /// Sequenced entries checked.
    pub entries: u64,
    /// Stored checkpoints checked.
    pub checkpoints: usize,
    /// Hash tiles compared with recomputed contents.
    pub tiles_checked: u64,
    /// Entry bundles compared with recomputed contents.
    pub bundles_checked: u64,
    /// One message per problem (capped at 1000; `problems_total` counts all).
    pub problems: Vec<String>,
    /// Total number of problems.
    pub problems_total: usize,
    /// Benign findings that opening the log repairs (e.g. a stale `checkpoint` file left by a
    /// crash between recording a checkpoint and writing the file).
    pub notes: Vec<String>,
}

impl FsckReport {
    /// True if nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems_total == 0
    }

    fn problem(&mut self, msg: String) {
        self.problems_total += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(msg);
        }
    }
}

struct VerifySink<'a> {
    driver: &'a dyn Driver,
    report: &'a mut FsckReport,
}

impl Sink for VerifySink<'_> {
    fn put(&mut self, obj: Obj<'_>, required: bool) -> Result<()> {
        let path = obj.path();
        let kind = match obj {
            Obj::Tile { .. } => {
                self.report.tiles_checked += 1;
                "tile"
            }
            Obj::Bundle { .. } => {
                self.report.bundles_checked += 1;
                "entry bundle"
            }
        };
        let want = obj.bytes();
        match self.driver.get_object(&path)? {
            None if required => self.report.problem(format!(
                "{kind} {path} is missing (it is covered by the last checkpoint)"
            )),
            None => {}
            Some(got) if got.len() != want.len() => self.report.problem(format!(
                "{kind} {path} is {} bytes, expected {} recomputed from the entries",
                got.len(),
                want.len()
            )),
            Some(got) if got != want => {
                let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(0);
                let what = match obj {
                    Obj::Tile { .. } => format!("hash #{}", at / 32),
                    Obj::Bundle { .. } => "an entry".to_string(),
                };
                self.report.problem(format!(
                    "{kind} {path} differs from the contents recomputed from the entries at byte \
                     {at} ({what})"
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }
}

/// Check a log directory (the log must not be open): recompute every leaf hash from the
/// entries and check the antispam table; rebuild the tree and compare every tile and entry
/// bundle covered by the last checkpoint (and any later ones present); check every stored
/// checkpoint's root against the recomputed tree and its note against its record, and the
/// `checkpoint` file against the latest record.
pub fn fsck(data_dir: &Path) -> Result<FsckReport> {
    let driver = EmbeddedDriver::open(data_dir)?;
    let mut report = FsckReport::default();
    let size = driver.sequenced_size()?;
    let checkpoints = driver.checkpoints()?;
    report.entries = size;
    report.checkpoints = checkpoints.len();
    let last = checkpoints.last().map(|c| c.size).unwrap_or(0);

    for cp in &checkpoints {
        if cp.size > size {
            report.problem(format!(
                "checkpoint of size {} is beyond the {size} sequenced entries",
                cp.size
            ));
        }
        match signet_core::checkpoint::Checkpoint::parse(&cp.note) {
            Err(e) => report.problem(format!(
                "checkpoint note of size {} does not parse: {e}",
                cp.size
            )),
            Ok(n) => {
                if n.size != cp.size || n.root_hash != cp.root {
                    report.problem(format!(
                        "checkpoint record of size {} (root {}) carries a note for size {} (root {})",
                        cp.size,
                        hex::encode(cp.root),
                        n.size,
                        hex::encode(&n.root_hash)
                    ));
                }
            }
        }
    }
    match (
        driver.get_object(layout::CHECKPOINT_PATH)?,
        checkpoints.last(),
    ) {
        (Some(f), Some(cp)) if f != cp.note.as_bytes() => {
            // Checkpoints are recorded durably first and the file is written after; a crash in
            // between leaves an earlier recorded checkpoint in the file, which open rewrites.
            // Anything else in the file is a problem.
            if checkpoints.iter().any(|c| c.note.as_bytes() == &f[..]) {
                report.notes.push(format!(
                    "the checkpoint file holds an earlier recorded checkpoint; opening the log rewrites it with size {}",
                    cp.size
                ));
            } else {
                report.problem(format!(
                    "the checkpoint file does not match any recorded checkpoint (latest has size {})",
                    cp.size
                ));
            }
        }
        (None, Some(cp)) => report.problem(format!(
            "the checkpoint file is missing (latest recorded checkpoint has size {})",
            cp.size
        )),
        _ => {}
    }

    let mut builder = TreeBuilder::new();
    let mut cps = checkpoints.iter().filter(|c| c.size <= size).peekable();
    // Checkpoints of size 0 are trivially the empty root.
    while cps.peek().is_some_and(|c| c.size == 0) {
        if let Some(c) = cps.next() {
            if c.root != builder.root() {
                report.problem("checkpoint of size 0 does not carry the empty root".into());
            }
        }
    }
    const CHUNK: u64 = 4096;
    let mut start = 0;
    while start < size {
        let end = size.min(start + CHUNK);
        let entries = match driver.entries(start, end) {
            Ok(e) => e,
            Err(e) => {
                report.problem(format!("cannot read entries {start}..{end}: {e}"));
                break;
            }
        };
        for (i, e) in entries.iter().enumerate() {
            let index = start + i as u64;
            let leaf = leaf_hash(e);
            match driver.index_of(&leaf)? {
                Some(j) if j == index => {}
                Some(j) => report.problem(format!(
                    "entry {index}: antispam maps its leaf hash {} to entry {j}",
                    hex::encode(leaf)
                )),
                None => report.problem(format!(
                    "entry {index}: its leaf hash {} is not in the antispam table (entry \
                     modified?)",
                    hex::encode(leaf)
                )),
            }
            let required = index < last;
            let mut sink = VerifySink {
                driver: &driver,
                report: &mut report,
            };
            builder.push_hashed(e, leaf, &mut sink, required)?;
            while let Some(c) = cps.peek() {
                if c.size != builder.size {
                    break;
                }
                let root = builder.root();
                if root != c.root {
                    let msg = format!(
                        "checkpoint of size {} has root {}, but the entries give {}",
                        c.size,
                        hex::encode(c.root),
                        hex::encode(root)
                    );
                    report.problem(msg);
                }
                if c.size == last {
                    let mut sink = VerifySink {
                        driver: &driver,
                        report: &mut report,
                    };
                    builder.flush(&mut sink, true)?;
                }
                cps.next();
            }
        }
        start = end;
    }
    if size > last {
        let mut sink = VerifySink {
            driver: &driver,
            report: &mut report,
        };
        builder.flush(&mut sink, false)?;
    }

    let mut records = 0u64;
    let mut beyond = Vec::new();
    driver.for_each_antispam(&mut |h, i| {
        records += 1;
        if i >= size && beyond.len() < 10 {
            beyond.push((h, i));
        }
    })?;
    for (h, i) in beyond {
        report.problem(format!(
            "antispam record {} points at entry {i}, beyond the {size} sequenced entries",
            hex::encode(h)
        ));
    }
    if records != size {
        report.problem(format!(
            "antispam table has {records} records for {size} entries"
        ));
    }
    Ok(report)
}
