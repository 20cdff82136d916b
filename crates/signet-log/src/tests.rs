//! Crate tests (inside the crate so that they can reach the storage internals).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use signet_core::checkpoint::Checkpoint;
use signet_core::crypto::PublicKey;
use signet_core::merkle::{
    leaf_hash, root_of_leaf_hashes as naive_root, verify_consistency, verify_inclusion, Hash,
};

use crate::*;

const ORIGIN: &str = "log.example.test";

/// Appended entries as `(index, data)`, sorted by index.
type Entries = Vec<(u64, Vec<u8>)>;

fn ed_signer(name: &str) -> Arc<KeyNoteSigner> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Arc::new(KeyNoteSigner::ed25519_from_pkcs8(name, pkcs8.as_ref()).unwrap())
}

fn ec_signer(name: &str) -> Arc<KeyNoteSigner> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new())
        .unwrap();
    Arc::new(KeyNoteSigner::ecdsa_p256_from_pkcs8(name, pkcs8.as_ref()).unwrap())
}

fn config(dir: &Path) -> LogConfig {
    let mut c = LogConfig::new(dir, ORIGIN);
    c.batch_max_age = Duration::from_millis(2);
    c.checkpoint_interval = Duration::from_millis(100);
    c
}

fn entry(i: u64) -> Vec<u8> {
    format!("entry number {i} {}", "x".repeat((i % 50) as usize)).into_bytes()
}

/// Append `n` distinct entries concurrently (in groups), returning them by index.
/// A log in `dir` with the default config and an Ed25519 signer for ORIGIN.
async fn open_log(dir: &Path) -> Log {
    Log::open(config(dir), ed_signer(ORIGIN)).await.unwrap()
}

/// A log in a fresh directory (returned to keep it alive) with the default config changed by
/// `tweak`, and an Ed25519 signer for ORIGIN.
async fn temp_log(tweak: impl FnOnce(&mut LogConfig)) -> (tempfile::TempDir, Log) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    tweak(&mut c);
    let log = Log::open(c, ed_signer(ORIGIN)).await.unwrap();
    (dir, log)
}

/// A log in `dir` with entries `0..n` appended and published, and those entries.
async fn published_log(dir: &Path, n: u64) -> (Log, Entries) {
    let log = open_log(dir).await;
    let got = fill(&log, 0, n).await;
    log.publish_now().await.unwrap();
    (log, got)
}

/// A published log of entries `0..n` in a fresh directory, with the entries by index, their
/// leaf hashes, and the root of every tree size `0..=n` computed independently; the log's
/// `root_at` agrees with each of them.
async fn published_with_roots(n: u64) -> (tempfile::TempDir, Log, Entries, Vec<Hash>, Vec<Hash>) {
    let dir = tempfile::tempdir().unwrap();
    let (log, got) = published_log(dir.path(), n).await;
    let mut leaves = vec![[0u8; 32]; n as usize];
    for (index, data) in &got {
        leaves[*index as usize] = leaf_hash(data);
    }
    let mut roots = vec![signet_core::merkle::empty_root()];
    for size in 1..=n {
        let root = log.root_at(size).unwrap();
        assert_eq!(root, naive_root(&leaves[..size as usize]), "root at {size}");
        roots.push(root);
    }
    (dir, log, got, leaves, roots)
}

/// The log's proof that leaf `i` (hash `leaf`) is in the tree of `size` verifies against `root`.
fn check_inclusion(log: &Log, i: u64, size: u64, leaf: &Hash, root: &Hash) {
    let p = log.inclusion_proof(i, size).unwrap();
    verify_inclusion(i, size, leaf, &p, root)
        .unwrap_or_else(|e| panic!("inclusion {i} in {size}: {e}"));
}

/// The log's proof that the tree of `s1` (root `root1`) is a prefix of that of `size` (`root`)
/// verifies.
fn check_consistency(log: &Log, s1: u64, size: u64, root1: &Hash, root: &Hash) {
    let p = log.consistency_proof(s1, size).unwrap();
    verify_consistency(s1, size, &p, root1, root)
        .unwrap_or_else(|e| panic!("consistency {s1} -> {size}: {e}"));
}

/// The fsck report for the log in `dir`, which must find no problems.
fn fsck_clean(dir: &Path) -> FsckReport {
    let r = fsck(dir).unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    r
}

async fn fill(log: &Log, start: u64, n: u64) -> Entries {
    let mut out = Vec::new();
    let mut i = start;
    while i < start + n {
        let end = (i + 64).min(start + n);
        let mut hs = Vec::new();
        for j in i..end {
            let log = log.clone();
            hs.push(tokio::spawn(async move {
                let a = log.append(entry(j)).await.unwrap();
                assert!(!a.duplicate);
                (a.index, entry(j))
            }));
        }
        for h in hs {
            out.push(h.await.unwrap());
        }
        i = end;
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_read_roundtrip() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path()).await;
    let got = fill(&log, 0, 300).await;
    assert_eq!(log.size(), 300);
    for (idx, (i, data)) in got.iter().enumerate() {
        assert_eq!(*i, idx as u64);
        assert_eq!(&log.entry(*i).unwrap(), data);
        assert_eq!(log.index_of_leaf_hash(&leaf_hash(data)).unwrap(), Some(*i));
        let t = log.integrated_time(*i).unwrap();
        assert!(
            (t - std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64)
                .abs()
                < 60
        );
    }
    assert!(matches!(log.entry(300), Err(Error::OutOfRange { .. })));
    assert_eq!(log.index_of_leaf_hash(&[0u8; 32]).unwrap(), None);
    let big = vec![0u8; 70_000];
    assert!(matches!(
        log.append(big).await,
        Err(Error::EntryTooLarge { .. })
    ));
    log.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_across_and_within_batches() {
    let (_dir, log) = temp_log(|c| c.batch_max_age = Duration::from_millis(200)).await;
    // Within one batch: the three appends land in the same 200 ms window.
    let (a, b, d) = tokio::join!(
        log.append(b"same".to_vec()),
        log.append(b"same".to_vec()),
        log.append(b"other".to_vec())
    );
    let (a, b, d) = (a.unwrap(), b.unwrap(), d.unwrap());
    assert_eq!(a.index, b.index);
    assert_ne!(
        a.duplicate, b.duplicate,
        "exactly one of the two is the original"
    );
    assert!(!d.duplicate);
    assert_eq!(log.size(), 2);
    // Across batches.
    let again = log.append(b"same".to_vec()).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.index, a.index);
    assert_eq!(again.integrated_time, a.integrated_time);
    assert_eq!(log.size(), 2);
    log.shutdown().await.unwrap();
}

/// Every inclusion and consistency proof the engine builds verifies with signet-core's Merkle
/// code, for all (index, size) and (size1, size2) pairs up to a bound that crosses a tile edge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_proof_verifies_for_all_pairs_up_to_300() {
    let n = 300u64;
    let (_dir, log, _, leaves, roots) = published_with_roots(n).await;
    let mut checked = 0u64;
    for size in 1..=n {
        let root = roots[size as usize];
        for i in 0..size {
            check_inclusion(&log, i, size, &leaves[i as usize], &root);
            checked += 1;
        }
        for s1 in 1..=size {
            check_consistency(&log, s1, size, &roots[s1 as usize], &root);
            checked += 1;
        }
    }
    assert_eq!(checked, n * (n + 1));
    log.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_roots_and_tiles() {
    let n = 600u64;
    let (dir, log, got, leaves, roots) = published_with_roots(n).await;
    assert_eq!(log.integrated_size(), n);
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next = move |m: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % m
    };
    for size in 1..=n {
        let root = roots[size as usize];
        let mut idxs = vec![0, size - 1, size / 2, next(size)];
        if size > 256 {
            idxs.extend([255, 256]);
        }
        for i in idxs {
            check_inclusion(&log, i, size, &leaves[i as usize], &root);
        }
        for s1 in [1, size / 2, next(size) + 1, size] {
            if s1 == 0 {
                continue;
            }
            check_consistency(&log, s1, size, &roots[s1 as usize], &root);
        }
    }
    for (s1, s2) in [
        (256, 257),
        (256, 512),
        (255, 256),
        (511, 513),
        (1, 600),
        (257, 600),
    ] {
        let p = log.consistency_proof(s1, s2).unwrap();
        verify_consistency(s1, s2, &p, &roots[s1 as usize], &roots[s2 as usize]).unwrap();
    }
    assert!(log.inclusion_proof(5, n + 1).is_err());
    assert!(log.consistency_proof(0, 5).is_err());
    assert!(log.consistency_proof(6, 5).is_err());

    // Tiles hold exactly the independently computed hashes.
    let flat = |hs: &[Hash]| hs.iter().flatten().copied().collect::<Vec<u8>>();
    assert_eq!(log.read_tile(0, 0, None).unwrap(), flat(&leaves[..256]));
    assert_eq!(log.read_tile(0, 1, None).unwrap(), flat(&leaves[256..512]));
    assert_eq!(
        log.read_tile(0, 2, Some(88)).unwrap(),
        flat(&leaves[512..600])
    );
    assert_eq!(
        log.read_tile(0, 2, Some(10)).unwrap(),
        flat(&leaves[512..522])
    );
    let l1 = [naive_root(&leaves[..256]), naive_root(&leaves[256..512])];
    assert_eq!(log.read_tile(1, 0, Some(2)).unwrap(), flat(&l1));
    assert!(matches!(
        log.read_tile(0, 2, None),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        log.read_tile(0, 2, Some(89)),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        log.read_tile(0, 3, Some(1)),
        Err(Error::NotFound { .. })
    ));
    // And the files on disk, at their C2SP paths.
    let file = |p: &str| std::fs::read(dir.path().join(p)).unwrap();
    assert_eq!(file("tile/0/000"), flat(&leaves[..256]));
    assert_eq!(file("tile/0/002.p/88"), flat(&leaves[512..600]));
    assert_eq!(file("tile/1/000.p/2"), flat(&l1));
    let bundle = file("tile/entries/002.p/88");
    let parsed = layout::parse_bundle(&bundle).unwrap();
    assert_eq!(parsed.len(), 88);
    for (k, e) in parsed.iter().enumerate() {
        assert_eq!(*e, &got[512 + k].1[..]);
    }
    assert_eq!(log.read_entry_bundle(2, Some(88)).unwrap(), bundle);
    let b0 = log.read_entry_bundle(0, None).unwrap();
    assert_eq!(layout::parse_bundle(&b0).unwrap().len(), 256);
    let b5 = log.read_entry_bundle(2, Some(5)).unwrap();
    assert_eq!(layout::parse_bundle(&b5).unwrap().len(), 5);
    log.shutdown().await.unwrap();
}

async fn check_signer(signer: Arc<dyn NoteSigner>, origin: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.origin = origin.to_string();
    let log = Log::open(c, signer.clone()).await.unwrap();
    // An empty checkpoint is published at creation.
    let cp0 = log.latest_checkpoint().unwrap();
    assert_eq!(cp0.size, 0);
    fill(&log, 0, 10).await;
    let cp = log.await_checkpoint(9).await.unwrap();
    assert_eq!(cp.size, 10);
    assert_eq!(cp.root, log.root_at(10).unwrap());
    let parsed = Checkpoint::parse(&cp.note).unwrap();
    assert_eq!(parsed.origin, origin);
    assert_eq!(parsed.size, 10);
    assert_eq!(parsed.root_hash, cp.root);
    let pk = PublicKey::from_spki_der(&signer.public_key_spki()).unwrap();
    parsed.verify(&pk, &signer.log_id()).unwrap();
    assert_eq!(parsed.signatures[0].key_hint, signer.key_hint());
    // Tampering breaks it.
    let bad = cp.note.replacen("\n10\n", "\n11\n", 1);
    assert!(Checkpoint::parse(&bad)
        .unwrap()
        .verify(&pk, &signer.log_id())
        .is_err());
    assert_eq!(log.read_checkpoint().unwrap(), cp.note.as_bytes());
    assert_eq!(
        std::fs::read(dir.path().join("checkpoint")).unwrap(),
        cp.note.as_bytes()
    );
    log.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_verify_ed25519() {
    let s = ed_signer(ORIGIN);
    // Tessera: key ID = SHA256(name || 0x0A || 0x01 || pubkey).
    assert_eq!(
        s.log_id(),
        signet_core::checkpoint::ed25519_key_id(ORIGIN, &s.public_key_spki()[12..])
    );
    check_signer(s, ORIGIN).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_verify_ecdsa() {
    let s = ec_signer("rekor.example.test");
    assert_eq!(
        s.log_id(),
        signet_core::encoding::sha256(&s.public_key_spki())
    );
    check_signer(s, "rekor.example.test - 1234567890").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_name_must_match_origin() {
    let dir = tempfile::tempdir().unwrap();
    let err = Log::open(config(dir.path()), ed_signer("other.name"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_on_demand_latency() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.checkpoint_interval = Duration::from_secs(3600);
    c.publish_on_demand = true;
    let log = Log::open(c, ec_signer(ORIGIN)).await.unwrap();
    let t = Instant::now();
    let mut hs = Vec::new();
    for i in 0..50u64 {
        let log = log.clone();
        hs.push(tokio::spawn(async move {
            let a = log.append(entry(i)).await.unwrap();
            let cp = log.await_checkpoint(a.index).await.unwrap();
            assert!(cp.size > a.index);
            let p = log.inclusion_proof(a.index, cp.size).unwrap();
            verify_inclusion(a.index, cp.size, &leaf_hash(&entry(i)), &p, &cp.root).unwrap();
        }));
    }
    for h in hs {
        h.await.unwrap();
    }
    let el = t.elapsed();
    eprintln!("50 appends + on-demand covering checkpoints in {el:?}");
    log.shutdown().await.unwrap();
}

/// The checkpoint interval is a maximum rate, not a tick: an idle log publishes a covering
/// checkpoint as soon as the entry is integrated (with an hour's interval, a tick would make
/// the first append wait an hour), and the next one waits until the interval has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_on_integration_rate_limited_by_interval() {
    let (_dir, log) = temp_log(|c| c.checkpoint_interval = Duration::from_secs(3600)).await;
    let a = log.append(entry(0)).await.unwrap();
    let cp = tokio::time::timeout(Duration::from_secs(60), log.await_checkpoint(a.index))
        .await
        .expect("a checkpoint as soon as the first entry is integrated")
        .unwrap();
    assert_eq!(cp.size, 1);
    let b = log.append(entry(1)).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(2), log.await_checkpoint(b.index))
            .await
            .is_err(),
        "a second checkpoint within the interval"
    );
    assert_eq!(log.latest_checkpoint().unwrap().size, 1);
    // Shutdown does not wait out the interval, and its final checkpoint covers entry 1.
    tokio::time::timeout(Duration::from_secs(60), log.clone().shutdown())
        .await
        .expect("shutdown within the interval")
        .unwrap();
    assert_eq!(log.latest_checkpoint().unwrap().size, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn await_checkpoint_periodic() {
    let (_dir, log) = temp_log(|c| c.checkpoint_interval = Duration::from_millis(300)).await;
    let a = log.append(b"hello".to_vec()).await.unwrap();
    let t = Instant::now();
    let cp = log.await_checkpoint(a.index).await.unwrap();
    assert!(cp.size > a.index);
    // Latency is measured by the benchmark (examples/bench.rs), not asserted here.
    eprintln!("covering checkpoint after {:?}", t.elapsed());
    assert!(
        log.await_checkpoint(5).await.is_err(),
        "index beyond the log"
    );
    log.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushback() {
    let (_dir, log) = temp_log(|c| {
        c.max_pending = 4;
        c.batch_max_age = Duration::from_millis(500);
    })
    .await;
    let mut hs = Vec::new();
    for i in 0..4u64 {
        let log = log.clone();
        hs.push(tokio::spawn(async move { log.append(entry(i)).await }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(log.pending(), 4);
    let err = log.append(entry(99)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Pushback {
                pending: 4,
                limit: 4
            }
        ),
        "{err}"
    );
    for h in hs {
        h.await.unwrap().unwrap();
    }
    // Accepted again once the queue drained.
    log.append(entry(99)).await.unwrap();
    log.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_entries_and_continues() {
    let dir = tempfile::tempdir().unwrap();
    let signer = ed_signer(ORIGIN);
    let log = Log::open(config(dir.path()), signer.clone()).await.unwrap();
    let first = fill(&log, 0, 300).await;
    let root300 = log.publish_now().await.unwrap().root;
    log.shutdown().await.unwrap();

    let log = Log::open(config(dir.path()), signer.clone()).await.unwrap();
    assert_eq!(log.size(), 300);
    assert_eq!(log.integrated_size(), 300);
    assert_eq!(log.root_at(300).unwrap(), root300);
    for (i, d) in &first {
        assert_eq!(&log.entry(*i).unwrap(), d);
    }
    let more = fill(&log, 300, 20).await;
    assert_eq!(more[0].0, 300);
    assert_eq!(log.size(), 320);
    // A duplicate of a pre-restart entry is still caught.
    assert!(log.append(first[7].1.clone()).await.unwrap().duplicate);
    let cp = log.publish_now().await.unwrap();
    assert_eq!(cp.size, 320);
    let p = log.consistency_proof(300, 320).unwrap();
    verify_consistency(300, 320, &p, &root300, &cp.root).unwrap();
    log.shutdown().await.unwrap();
    fsck_clean(dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_tiles_are_repaired_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let signer = ed_signer(ORIGIN);
    let log = Log::open(config(dir.path()), signer.clone()).await.unwrap();
    fill(&log, 0, 700).await;
    let cp = log.publish_now().await.unwrap();
    log.shutdown().await.unwrap();
    std::fs::remove_file(dir.path().join("tile/0/001")).unwrap();
    std::fs::remove_file(dir.path().join("tile/1/000.p/2")).unwrap();
    std::fs::write(dir.path().join("checkpoint"), b"garbage").unwrap();
    assert!(!fsck(dir.path()).unwrap().is_ok());
    let log = Log::open(config(dir.path()), signer).await.unwrap();
    assert_eq!(log.root_at(700).unwrap(), cp.root);
    log.shutdown().await.unwrap();
    fsck_clean(dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fsck_reports_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = published_log(dir.path(), 600).await;
    log.shutdown().await.unwrap();
    let good = fsck(dir.path()).unwrap();
    assert!(good.is_ok(), "{:?}", good.problems);
    assert_eq!(good.entries, 600);
    assert!(good.tiles_checked >= 4, "{good:?}");
    assert!(good.bundles_checked >= 3, "{good:?}");

    let flip = |p: &str, at: usize| {
        let path = dir.path().join(p);
        let mut b = std::fs::read(&path).unwrap();
        b[at] ^= 1;
        std::fs::write(&path, b).unwrap();
    };
    // A flipped byte in a tile.
    flip("tile/0/001", 100);
    let r = fsck(dir.path()).unwrap();
    assert_eq!(r.problems_total, 1, "{:?}", r.problems);
    assert!(
        r.problems[0].contains("tile/0/001") && r.problems[0].contains("hash #3"),
        "{:?}",
        r.problems
    );
    flip("tile/0/001", 100);
    // A flipped byte in an entry bundle.
    flip("tile/entries/000", 10);
    let r = fsck(dir.path()).unwrap();
    assert_eq!(r.problems_total, 1, "{:?}", r.problems);
    assert!(
        r.problems[0].contains("tile/entries/000"),
        "{:?}",
        r.problems
    );
    flip("tile/entries/000", 10);
    assert!(fsck(dir.path()).unwrap().is_ok());
    // A modified entry in the database.
    {
        use redb::{Database, ReadableTable, TableDefinition};
        const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
        let db = Database::open(dir.path().join("log.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(ENTRIES).unwrap();
            let mut v = t.get(300).unwrap().unwrap().value().to_vec();
            v[12] ^= 1;
            t.insert(300, v.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let r = fsck(dir.path()).unwrap();
    let all = r.problems.join("\n");
    assert!(all.contains("entry 300"), "{all}");
    assert!(all.contains("tile/0/001"), "{all}");
    assert!(all.contains("tile/entries/001"), "{all}");
    assert!(all.contains("checkpoint of size 600 has root"), "{all}");
    // Opening refuses to serve a log whose entries no longer match its checkpoint... after
    // the tiles were found stale, the rebuild detects it.
    std::fs::remove_file(dir.path().join("tile/0/001")).unwrap();
    let err = Log::open(config(dir.path()), ed_signer(ORIGIN))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}

#[test]
fn checkpoint_conflict_is_refused() {
    use crate::storage::Driver;
    let dir = tempfile::tempdir().unwrap();
    let d = crate::storage::embedded::EmbeddedDriver::open(dir.path()).unwrap();
    let cp = SignedCheckpoint {
        size: 5,
        root: [1; 32],
        note: "n".into(),
    };
    d.record_checkpoint(&cp).unwrap();
    d.record_checkpoint(&cp).unwrap(); // same root: idempotent
    let err = d
        .record_checkpoint(&SignedCheckpoint {
            root: [2; 32],
            ..cp
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::CheckpointConflict { size: 5, .. }),
        "{err}"
    );
}

// ---- crash test -------------------------------------------------------------------------------

const CHILD_DIR: &str = "SIGNET_LOG_CRASH_DIR";

/// Child side of `crash_and_recover`: appends forever, printing acknowledged indices.
#[test]
#[ignore = "run by crash_and_recover as a child process"]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let pkcs8 = std::fs::read(Path::new(&dir).join("key.pk8")).unwrap();
        let signer = Arc::new(KeyNoteSigner::ed25519_from_pkcs8(ORIGIN, &pkcs8).unwrap());
        let log = Log::open(config(Path::new(&dir)), signer).await.unwrap();
        let salt = std::process::id();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Vec<u8>)>();
        for w in 0..16u64 {
            let log = log.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0.. {
                    let data = format!("crash {salt} {w} {i}").into_bytes();
                    let a = log.append(data.clone()).await.unwrap();
                    let _ = tx.send((a.index, data));
                }
            });
        }
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        while let Some((i, d)) = rx.recv().await {
            writeln!(out, "ACK {i} {}", hex::encode(d)).unwrap();
            out.flush().unwrap();
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_and_recover() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    std::fs::write(dir.path().join("key.pk8"), pkcs8.as_ref()).unwrap();
    let signer = Arc::new(KeyNoteSigner::ed25519_from_pkcs8(ORIGIN, pkcs8.as_ref()).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut acked: Vec<(u64, Vec<u8>)> = Vec::new();
    for round in 0..4 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "tests::crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("ACK ") {
                    let (i, d) = rest.split_once(' ').unwrap();
                    let _ = tx.send((i.parse::<u64>().unwrap(), hex::decode(d).unwrap()));
                }
            }
        });
        // Let it run for a while (wait for some acks), then SIGKILL.
        let wait = Duration::from_millis(300 + 150 * round);
        let t = Instant::now();
        let mut n = 0;
        while t.elapsed() < wait || n < 50 {
            if let Ok(a) = rx.recv_timeout(Duration::from_millis(20)) {
                acked.push(a);
                n += 1;
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "child made no progress"
            );
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        acked.extend(rx.try_iter());
        eprintln!("round {round}: {n}+ acknowledged appends before SIGKILL");
    }
    let log = Log::open(config(dir.path()), signer).await.unwrap();
    assert!(log.size() as usize >= acked.len());
    for (i, d) in &acked {
        assert_eq!(&log.entry(*i).unwrap(), d, "acknowledged entry {i}");
    }
    let cp = log.publish_now().await.unwrap();
    assert_eq!(cp.size, log.size());
    let before = log.size();
    let a = log.append(b"after the crashes".to_vec()).await.unwrap();
    assert_eq!(a.index, before);
    log.shutdown().await.unwrap();
    fsck_clean(dir.path());
    eprintln!(
        "{} acknowledged entries survived 4 SIGKILLs; fsck clean",
        acked.len()
    );
}

/// A crash between recording a checkpoint and writing the `checkpoint` file leaves an earlier
/// recorded checkpoint in the file: fsck notes it (open rewrites it); anything else in the file
/// is a problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fsck_stale_checkpoint_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path()).await;
    fill(&log, 0, 10).await;
    let first = log.publish_now().await.unwrap();
    fill(&log, 10, 20).await;
    log.publish_now().await.unwrap();
    log.shutdown().await.unwrap();
    let file = dir.path().join("checkpoint");
    std::fs::write(&file, first.note.as_bytes()).unwrap();
    let r = fsck_clean(dir.path());
    assert_eq!(r.notes.len(), 1, "{r:?}");
    let mut forged = first.note.clone().into_bytes();
    let n = forged.len();
    forged[n - 5] ^= 1;
    std::fs::write(&file, &forged).unwrap();
    let r = fsck(dir.path()).unwrap();
    assert_eq!(r.problems_total, 1, "{r:?}");
    assert!(
        r.problems[0].contains("does not match any recorded checkpoint"),
        "{:?}",
        r.problems
    );
}

/// A driver that fails writes while `failing` is set, with the I/O error a full disk or an
/// exhausted fd table gives.
struct FlakyDriver {
    inner: crate::storage::embedded::EmbeddedDriver,
    fail_objects: std::sync::atomic::AtomicBool,
    fail_sequence: std::sync::atomic::AtomicBool,
}

impl FlakyDriver {
    fn err(op: &'static str) -> Error {
        Error::io(
            op,
            "injected",
            std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"),
        )
    }
}

impl crate::storage::Driver for FlakyDriver {
    fn sequenced_size(&self) -> Result<u64> {
        self.inner.sequenced_size()
    }
    fn sequence(
        &self,
        batch: &[(Hash, Vec<u8>)],
        now: i64,
    ) -> Result<(Vec<crate::storage::Assigned>, u64)> {
        if self.fail_sequence.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Self::err("sequencing a batch"));
        }
        self.inner.sequence(batch, now)
    }
    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>> {
        self.inner.entries(start, end)
    }
    fn entry(&self, index: u64) -> Result<(i64, Vec<u8>)> {
        self.inner.entry(index)
    }
    fn index_of(&self, leaf_hash: &Hash) -> Result<Option<u64>> {
        self.inner.index_of(leaf_hash)
    }
    fn for_each_antispam(&self, f: &mut dyn FnMut(Hash, u64)) -> Result<()> {
        self.inner.for_each_antispam(f)
    }
    fn record_checkpoint(&self, cp: &SignedCheckpoint) -> Result<()> {
        self.inner.record_checkpoint(cp)
    }
    fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>> {
        self.inner.latest_checkpoint()
    }
    fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>> {
        self.inner.checkpoints()
    }
    fn put_object(&self, path: &str, data: &[u8]) -> Result<()> {
        if self.fail_objects.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Self::err("writing an object"));
        }
        self.inner.put_object(path, data)
    }
    fn get_object(&self, path: &str) -> Result<Option<Vec<u8>>> {
        self.inner.get_object(path)
    }
    fn object_size(&self, path: &str) -> Result<Option<u64>> {
        self.inner.object_size(path)
    }
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Regression: one failed tile write used to stop the integrator for good ("the log is shut
/// down" until a restart). Now the log reports itself unhealthy, refuses appends with a
/// retryable error while it cannot integrate, and recovers on its own once writes succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_write_errors_do_not_shut_the_log_down() {
    let dir = tempfile::tempdir().unwrap();
    let flaky = Arc::new(FlakyDriver {
        inner: crate::storage::embedded::EmbeddedDriver::open(dir.path()).unwrap(),
        fail_objects: false.into(),
        fail_sequence: false.into(),
    });
    let log = Log::open_with_driver(config(dir.path()), ed_signer(ORIGIN), flaky.clone())
        .await
        .unwrap();
    let before = fill(&log, 0, 20).await;
    log.await_checkpoint(19).await.unwrap();
    assert!(log.health().is_ok());

    // Tile writes fail (ENOSPC): the next append is sequenced, integration fails.
    flaky
        .fail_objects
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let a = log.append(entry(1000)).await.unwrap();
    wait_until("the integrator reports the failure", || {
        log.health().is_err()
    })
    .await;
    match log.health() {
        Err(Error::Unavailable { task, reason }) => {
            assert_eq!(task, "integrator");
            assert!(reason.contains("No space left"), "{reason}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(matches!(
        log.append(entry(1001)).await,
        Err(Error::Unavailable { .. })
    ));

    // The condition clears: the log heals without a restart.
    flaky
        .fail_objects
        .store(false, std::sync::atomic::Ordering::SeqCst);
    wait_until("the integrator recovers", || log.health().is_ok()).await;
    let cp = log.await_checkpoint(a.index).await.unwrap();
    let b = log.append(entry(1002)).await.unwrap();
    let cp2 = log.await_checkpoint(b.index).await.unwrap();
    for (i, data) in before
        .iter()
        .cloned()
        .chain([(a.index, entry(1000)), (b.index, entry(1002))])
    {
        let proof = log.inclusion_proof(i, cp2.size).unwrap();
        verify_inclusion(i, cp2.size, &leaf_hash(&data), &proof, &cp2.root).unwrap();
    }
    assert!(cp.size > a.index);

    // The sequencer's store fails: the append gets the error, health says so, and an idle
    // log recovers by itself once the store answers.
    flaky
        .fail_sequence
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(log.append(entry(2000)).await.is_err());
    assert!(matches!(
        log.health(),
        Err(Error::Unavailable {
            task: "sequencer",
            ..
        })
    ));
    flaky
        .fail_sequence
        .store(false, std::sync::atomic::Ordering::SeqCst);
    wait_until("the sequencer recovers while idle", || log.health().is_ok()).await;
    let c = log.append(entry(2001)).await.unwrap();
    log.await_checkpoint(c.index).await.unwrap();
    log.shutdown().await.unwrap();
}
