//! The embedded driver: redb for the sequencing store, plain files for tiles.
//!
//! redb tables (file `log.redb` in the data directory):
//! - `entries`: `u64 index -> [i64 BE integrated time (8 bytes) || entry bytes]`
//! - `antispam`: `[u8; 32] leaf hash -> u64 index`
//! - `meta`: `"size" -> u64` (the sequenced size)
//! - `checkpoints`: `u64 size -> [root (32 bytes) || note text]`
//!
//! Objects are files under the data directory at their tlog-tiles paths, each written to a
//! temporary file in the same directory and renamed into place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{Database, ReadableTable, TableDefinition};

use super::{Assigned, Driver, Hash};
use crate::error::{Error, Result};
use crate::SignedCheckpoint;

const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const ANTISPAM: TableDefinition<&[u8; 32], u64> = TableDefinition::new("antispam");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("checkpoints");
const SIZE_KEY: &str = "size";

/// Name of the database file inside the data directory.
pub(crate) const DB_FILE: &str = "log.redb";

/// redb + files driver.
pub(crate) struct EmbeddedDriver {
    db: Database,
    root: PathBuf,
    tmp_counter: AtomicU64,
}

impl EmbeddedDriver {
    /// Open (or create) the driver in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating data directory", dir, e))?;
        let path = dir.join(DB_FILE);
        let db = Database::builder()
            .set_cache_size(256 << 20)
            .create(&path)
            .map_err(|e| Error::db("opening log.redb", e))?;
        let txn = db
            .begin_write()
            .map_err(|e| Error::db("initialising tables", e))?;
        {
            txn.open_table(ENTRIES)
                .map_err(|e| Error::db("creating the entries table", e))?;
            txn.open_table(ANTISPAM)
                .map_err(|e| Error::db("creating the antispam table", e))?;
            txn.open_table(META)
                .map_err(|e| Error::db("creating the meta table", e))?;
            txn.open_table(CHECKPOINTS)
                .map_err(|e| Error::db("creating the checkpoints table", e))?;
        }
        txn.commit()
            .map_err(|e| Error::db("initialising tables", e))?;
        Ok(EmbeddedDriver {
            db,
            root: dir.to_path_buf(),
            tmp_counter: AtomicU64::new(0),
        })
    }

    fn path(&self, object: &str) -> PathBuf {
        self.root.join(object)
    }
}

fn decode_entry(index: u64, v: &[u8]) -> Result<(i64, Vec<u8>)> {
    let (t, rest) = v.split_first_chunk::<8>().ok_or_else(|| {
        Error::corrupt(
            format!("entry {index}"),
            format!("record is {} bytes, expected at least 8", v.len()),
        )
    })?;
    Ok((i64::from_be_bytes(*t), rest.to_vec()))
}

fn decode_checkpoint(size: u64, v: &[u8]) -> Result<SignedCheckpoint> {
    let corrupt = |why: String| Error::corrupt(format!("checkpoint record of size {size}"), why);
    let (root, note) = v.split_first_chunk::<32>().ok_or_else(|| {
        corrupt(format!(
            "{} bytes, expected a 32-byte root and a note",
            v.len()
        ))
    })?;
    let note =
        String::from_utf8(note.to_vec()).map_err(|e| corrupt(format!("note is not UTF-8: {e}")))?;
    Ok(SignedCheckpoint {
        size,
        root: *root,
        note,
    })
}

impl Driver for EmbeddedDriver {
    fn sequenced_size(&self) -> Result<u64> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| Error::db("reading the sequenced size", e))?;
        let meta = txn
            .open_table(META)
            .map_err(|e| Error::db("reading the sequenced size", e))?;
        Ok(meta
            .get(SIZE_KEY)
            .map_err(|e| Error::db("reading the sequenced size", e))?
            .map(|v| v.value())
            .unwrap_or(0))
    }

    fn sequence(&self, batch: &[(Hash, Vec<u8>)], now: i64) -> Result<(Vec<Assigned>, u64)> {
        const OP: &str = "sequencing a batch";
        let txn = self.db.begin_write().map_err(|e| Error::db(OP, e))?;
        let mut out = Vec::with_capacity(batch.len());
        let next;
        {
            let mut entries = txn.open_table(ENTRIES).map_err(|e| Error::db(OP, e))?;
            let mut spam = txn.open_table(ANTISPAM).map_err(|e| Error::db(OP, e))?;
            let mut meta = txn.open_table(META).map_err(|e| Error::db(OP, e))?;
            let mut size = meta
                .get(SIZE_KEY)
                .map_err(|e| Error::db(OP, e))?
                .map(|v| v.value())
                .unwrap_or(0);
            let mut in_batch: HashMap<Hash, u64> = HashMap::new();
            let mut record = Vec::new();
            for (leaf, data) in batch {
                if let Some(&index) = in_batch.get(leaf) {
                    out.push(Assigned {
                        index,
                        integrated_time: now,
                        duplicate: true,
                    });
                    continue;
                }
                let existing = spam
                    .get(leaf)
                    .map_err(|e| Error::db(OP, e))?
                    .map(|v| v.value());
                if let Some(index) = existing {
                    let raw = entries
                        .get(index)
                        .map_err(|e| Error::db(OP, e))?
                        .ok_or_else(|| {
                            Error::corrupt(
                                "antispam table",
                                format!(
                                    "leaf {} points at missing entry {index}",
                                    hex::encode(leaf)
                                ),
                            )
                        })?;
                    let (t, _) = decode_entry(index, raw.value())?;
                    out.push(Assigned {
                        index,
                        integrated_time: t,
                        duplicate: true,
                    });
                    continue;
                }
                record.clear();
                record.extend_from_slice(&now.to_be_bytes());
                record.extend_from_slice(data);
                entries
                    .insert(size, record.as_slice())
                    .map_err(|e| Error::db(OP, e))?;
                spam.insert(leaf, size).map_err(|e| Error::db(OP, e))?;
                in_batch.insert(*leaf, size);
                out.push(Assigned {
                    index: size,
                    integrated_time: now,
                    duplicate: false,
                });
                size += 1;
            }
            meta.insert(SIZE_KEY, size).map_err(|e| Error::db(OP, e))?;
            next = size;
        }
        // Default durability is Immediate: this commit fsyncs before returning.
        txn.commit().map_err(|e| Error::db(OP, e))?;
        Ok((out, next))
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>> {
        const OP: &str = "reading entries";
        let txn = self.db.begin_read().map_err(|e| Error::db(OP, e))?;
        let table = txn.open_table(ENTRIES).map_err(|e| Error::db(OP, e))?;
        let mut out = Vec::with_capacity(end.saturating_sub(start) as usize);
        let mut expect = start;
        for item in table.range(start..end).map_err(|e| Error::db(OP, e))? {
            let (k, v) = item.map_err(|e| Error::db(OP, e))?;
            if k.value() != expect {
                return Err(Error::corrupt(
                    format!("entry {expect}"),
                    format!(
                        "missing from the entries table (next stored index is {})",
                        k.value()
                    ),
                ));
            }
            out.push(decode_entry(expect, v.value())?.1);
            expect += 1;
        }
        if expect != end {
            return Err(Error::corrupt(
                format!("entry {expect}"),
                format!("missing from the entries table (wanted entries up to {end})"),
            ));
        }
        Ok(out)
    }

    fn entry(&self, index: u64) -> Result<(i64, Vec<u8>)> {
        const OP: &str = "reading an entry";
        let txn = self.db.begin_read().map_err(|e| Error::db(OP, e))?;
        let table = txn.open_table(ENTRIES).map_err(|e| Error::db(OP, e))?;
        let v = table
            .get(index)
            .map_err(|e| Error::db(OP, e))?
            .ok_or_else(|| Error::NotFound {
                what: format!("entry {index}"),
            })?;
        decode_entry(index, v.value())
    }

    fn index_of(&self, leaf_hash: &Hash) -> Result<Option<u64>> {
        const OP: &str = "looking up a leaf hash";
        let txn = self.db.begin_read().map_err(|e| Error::db(OP, e))?;
        let table = txn.open_table(ANTISPAM).map_err(|e| Error::db(OP, e))?;
        Ok(table
            .get(leaf_hash)
            .map_err(|e| Error::db(OP, e))?
            .map(|v| v.value()))
    }

    fn for_each_antispam(&self, f: &mut dyn FnMut(Hash, u64)) -> Result<()> {
        const OP: &str = "scanning the antispam table";
        let txn = self.db.begin_read().map_err(|e| Error::db(OP, e))?;
        let table = txn.open_table(ANTISPAM).map_err(|e| Error::db(OP, e))?;
        for item in table.iter().map_err(|e| Error::db(OP, e))? {
            let (k, v) = item.map_err(|e| Error::db(OP, e))?;
            f(*k.value(), v.value());
        }
        Ok(())
    }

    fn record_checkpoint(&self, cp: &SignedCheckpoint) -> Result<()> {
        const OP: &str = "recording a checkpoint";
        let txn = self.db.begin_write().map_err(|e| Error::db(OP, e))?;
        {
            let mut table = txn.open_table(CHECKPOINTS).map_err(|e| Error::db(OP, e))?;
            let existing = table
                .get(cp.size)
                .map_err(|e| Error::db(OP, e))?
                .map(|v| decode_checkpoint(cp.size, v.value()))
                .transpose()?;
            if let Some(old) = existing {
                if old.root != cp.root {
                    return Err(Error::CheckpointConflict {
                        size: cp.size,
                        stored_root: hex::encode(old.root),
                        new_root: hex::encode(cp.root),
                    });
                }
            }
            let mut v = Vec::with_capacity(32 + cp.note.len());
            v.extend_from_slice(&cp.root);
            v.extend_from_slice(cp.note.as_bytes());
            table
                .insert(cp.size, v.as_slice())
                .map_err(|e| Error::db(OP, e))?;
        }
        txn.commit().map_err(|e| Error::db(OP, e))
    }

    fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>> {
        const OP: &str = "reading the latest checkpoint";
        let txn = self.db.begin_read().map_err(|e| Error::db(OP, e))?;
        let table = txn.open_table(CHECKPOINTS).map_err(|e| Error::db(OP, e))?;
        let last = table.last().map_err(|e| Error::db(OP, e))?;
        let out = match last {
            Some((k, v)) => Some(decode_checkpoint(k.value(), v.value())?),
            None => None,
        };
        Ok(out)
    }

    fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>> {
        const OP: &str = "reading checkpoints";
        let txn = self.db.begin_read().map_err(|e| Error::db(OP, e))?;
        let table = txn.open_table(CHECKPOINTS).map_err(|e| Error::db(OP, e))?;
        let mut out = Vec::new();
        for item in table.iter().map_err(|e| Error::db(OP, e))? {
            let (k, v) = item.map_err(|e| Error::db(OP, e))?;
            out.push(decode_checkpoint(k.value(), v.value())?);
        }
        Ok(out)
    }

    fn put_object(&self, path: &str, data: &[u8]) -> Result<()> {
        let dest = self.path(path);
        let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating directory", &dir, e))?;
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
        std::fs::write(&tmp, data).map_err(|e| Error::io("writing", &tmp, e))?;
        std::fs::rename(&tmp, &dest).map_err(|e| Error::io("renaming into place", &dest, e))
    }

    fn get_object(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let p = self.path(path);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading", p, e)),
        }
    }

    fn object_size(&self, path: &str) -> Result<Option<u64>> {
        let p = self.path(path);
        match std::fs::metadata(&p) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("inspecting", p, e)),
        }
    }
}
