//! RFC 6962 Merkle tree hashing and proof verification (as transparency-dev/merkle).
//!
//! Leaf hash `SHA256(0x00 || data)`, node hash `SHA256(0x01 || left || right)`. Verification
//! recomputes the root from the proof and compares it with the claimed root; proofs of the wrong
//! length are rejected before any hashing.

use crate::encoding::sha256;
use crate::{limits, Error, Result};

/// A 32-byte SHA-256 node hash.
pub type Hash = [u8; 32];

/// `SHA256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(&[0]);
    ctx.update(data);
    to_hash(ctx.finish().as_ref())
}

/// `SHA256(0x01 || left || right)`.
pub fn node_hash(left: &[u8], right: &[u8]) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..65].copy_from_slice(right);
    sha256(&buf)
}

/// The hash of the empty tree, `SHA256("")`.
pub fn empty_root() -> Hash {
    sha256(b"")
}

/// The Merkle tree hash (RFC 6962 §2.1) of these leaf hashes, by direct recursion: every call
/// rehashes the whole tree, so it is for small trees (tests, fixtures), not for a log.
pub fn root_of_leaf_hashes(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n);
            node_hash(
                &root_of_leaf_hashes(&leaves[..k]),
                &root_of_leaf_hashes(&leaves[k..]),
            )
        }
    }
}

/// The largest power of two smaller than `n` (for `n >= 2`): where RFC 6962 splits `n` leaves.
fn split_point(n: usize) -> usize {
    1usize << (usize::BITS - (n - 1).leading_zeros() - 1)
}

fn to_hash(b: &[u8]) -> Hash {
    let mut h = [0u8; 32];
    h.copy_from_slice(b);
    h
}

fn check_hash(what: &str, b: &[u8]) -> Result<Hash> {
    if b.len() != 32 {
        return Err(Error::Proof {
            reason: format!("{what} is {} bytes, expected 32", b.len()),
        });
    }
    Ok(to_hash(b))
}

fn bit_len(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// (inner, border) decomposition of an inclusion proof for `index` in a tree of `size`.
fn decomp_incl_proof(index: u64, size: u64) -> (usize, usize) {
    let inner = bit_len(index ^ (size - 1));
    // `inner` is 64 for trees of more than 2^63 leaves: shifting by it must give 0 (as Go's
    // `>>` does in transparency-dev/merkle), not overflow.
    let border = index.checked_shr(inner).unwrap_or(0).count_ones() as usize;
    (inner as usize, border)
}

fn chain_inner(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        seed = if (index >> i) & 1 == 0 {
            node_hash(&seed, h)
        } else {
            node_hash(h, &seed)
        };
    }
    seed
}

fn chain_inner_right(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        if (index >> i) & 1 == 1 {
            seed = node_hash(h, &seed);
        }
    }
    seed
}

fn chain_border_right(mut seed: Hash, proof: &[Hash]) -> Hash {
    for h in proof {
        seed = node_hash(h, &seed);
    }
    seed
}

fn to_hashes(proof: &[impl AsRef<[u8]>]) -> Result<Vec<Hash>> {
    if proof.len() > limits::MAX_PROOF_HASHES {
        return Err(Error::Limit {
            what: "proof hashes",
            found: proof.len(),
            limit: limits::MAX_PROOF_HASHES,
        });
    }
    proof
        .iter()
        .enumerate()
        .map(|(i, h)| check_hash(&format!("proof hash #{i}"), h.as_ref()))
        .collect()
}

/// Compute the root implied by an inclusion proof of `leaf` at `index` in a tree of `size`.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[impl AsRef<[u8]>],
) -> Result<Hash> {
    if index >= size {
        return Err(Error::Proof {
            reason: format!("leaf index {index} is beyond tree size {size}"),
        });
    }
    let leaf = check_hash("leaf hash", leaf)?;
    let proof = to_hashes(proof)?;
    let (inner, border) = decomp_incl_proof(index, size);
    if proof.len() != inner + border {
        return Err(Error::Proof {
            reason: format!(
                "inclusion proof for index {index} in a tree of size {size} must have {} hashes, found {}",
                inner + border,
                proof.len()
            ),
        });
    }
    let res = chain_inner(leaf, &proof[..inner], index);
    Ok(chain_border_right(res, &proof[inner..]))
}

/// Verify an inclusion proof against `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[impl AsRef<[u8]>],
    root: &[u8],
) -> Result<()> {
    let root = check_hash("root hash", root)?;
    let got = root_from_inclusion_proof(index, size, leaf, proof)?;
    require_root(&got, &root, |got, want| {
        format!("inclusion proof leads to root {got}, expected {want}")
    })
}

/// Verify a consistency proof between a tree of `size1` with `root1` and one of `size2` with
/// `root2` (RFC 9162 section 2.1.4.2).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[impl AsRef<[u8]>],
    root1: &[u8],
    root2: &[u8],
) -> Result<()> {
    let proof = to_hashes(proof)?;
    if size2 < size1 {
        return Err(Error::Proof {
            reason: format!("tree shrank from {size1} to {size2}"),
        });
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(Error::Proof {
                reason: "equal sizes but the proof is not empty".into(),
            });
        }
        return match_roots(root1, root2);
    }
    if size1 == 0 {
        // Every tree extends the empty tree; a "proof" of that proves nothing, so callers asking
        // for one have a bug (as in the additional transparency-dev vectors).
        return Err(Error::Proof {
            reason: format!("consistency from the empty tree to size {size2} is meaningless"),
        });
    }
    if proof.is_empty() {
        return Err(Error::Proof {
            reason: "empty consistency proof".into(),
        });
    }
    let (mut inner, border) = decomp_incl_proof(size1 - 1, size2);
    let shift = size1.trailing_zeros() as usize;
    inner -= shift;
    let (seed, start) = if size1 == 1u64 << shift {
        (check_hash("first root", root1)?, 0)
    } else {
        (proof[0], 1)
    };
    if proof.len() != start + inner + border {
        return Err(Error::Proof {
            reason: format!(
                "consistency proof from {size1} to {size2} must have {} hashes, found {}",
                start + inner + border,
                proof.len()
            ),
        });
    }
    let proof = &proof[start..];
    let mask = (size1 - 1) >> shift;
    let h1 = chain_border_right(
        chain_inner_right(seed, &proof[..inner], mask),
        &proof[inner..],
    );
    match_roots(&h1, root1)?;
    let h2 = chain_border_right(chain_inner(seed, &proof[..inner], mask), &proof[inner..]);
    match_roots(&h2, root2)
}

fn match_roots(got: &[u8], want: &[u8]) -> Result<()> {
    require_root(got, want, |got, want| {
        format!("computed root {got} does not match expected {want}")
    })
}

/// `got` must equal `want`; else an [`Error::Proof`] whose reason `mismatch` words from the two
/// roots in hex (found, expected).
fn require_root(
    got: &[u8],
    want: &[u8],
    mismatch: impl FnOnce(String, String) -> String,
) -> Result<()> {
    if got != want {
        return Err(Error::Proof {
            reason: mismatch(hex::encode(got), hex::encode(want)),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::b64_decode;
    use serde::Deserialize;
    use std::path::PathBuf;

    fn data_dir() -> Option<PathBuf> {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/merkle");
        // The rule of signet_testing::fixtures::require (which this crate cannot depend on):
        // missing data fails unless SIGNET_ALLOW_MISSING_DATA=1.
        if p.is_dir() {
            Some(p)
        } else {
            assert!(
                std::env::var("SIGNET_ALLOW_MISSING_DATA").is_ok_and(|v| v == "1"),
                "the shared test data {} is missing (set SIGNET_ALLOW_MISSING_DATA=1 to skip)",
                p.display()
            );
            eprintln!("skipping: {} not present", p.display());
            None
        }
    }

    fn b64(s: &Option<String>) -> Vec<u8> {
        s.as_deref()
            .map(|s| b64_decode("t", s).unwrap())
            .unwrap_or_default()
    }

    /// A vector's proof: base64 hashes, absent for none.
    fn b64_proof(p: &Option<Vec<String>>) -> Vec<Vec<u8>> {
        p.iter()
            .flatten()
            .map(|s| b64_decode("p", s).unwrap())
            .collect()
    }

    /// A vector's verdict: an error exactly when the vector wants one.
    fn check_vector(f: &std::path::Path, desc: &str, want_err: bool, r: Result<()>) {
        assert_eq!(r.is_err(), want_err, "{}: {} ({:?})", f.display(), desc, r);
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Incl {
        leaf_idx: u64,
        tree_size: u64,
        root: Option<String>,
        leaf_hash: Option<String>,
        proof: Option<Vec<String>>,
        want_err: bool,
        desc: String,
    }

    #[derive(Deserialize)]
    struct Cons {
        size1: u64,
        size2: u64,
        root1: Option<String>,
        root2: Option<String>,
        proof: Option<Vec<String>>,
        #[serde(rename = "wantErr")]
        want_err: bool,
        desc: String,
    }

    fn files(dir: &std::path::Path) -> Vec<PathBuf> {
        let mut out = vec![];
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(files(&p));
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn inclusion_vectors() {
        let Some(d) = data_dir() else { return };
        let fs = files(&d.join("inclusion"));
        assert!(fs.len() > 50, "expected many vectors, found {}", fs.len());
        for f in fs {
            let v: Incl = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
            let proof = b64_proof(&v.proof);
            let r = verify_inclusion(
                v.leaf_idx,
                v.tree_size,
                &b64(&v.leaf_hash),
                &proof,
                &b64(&v.root),
            );
            check_vector(&f, &v.desc, v.want_err, r);
        }
    }

    #[test]
    fn consistency_vectors() {
        let Some(d) = data_dir() else { return };
        let fs = files(&d.join("consistency"));
        assert!(fs.len() > 50);
        for f in fs {
            let v: Cons = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
            let proof = b64_proof(&v.proof);
            let (r1, r2) = (b64(&v.root1), b64(&v.root2));
            let r = verify_consistency(v.size1, v.size2, &proof, &r1, &r2);
            check_vector(&f, &v.desc, v.want_err, r);
        }
    }

    #[test]
    fn small_tree_roundtrip() {
        // Build trees of every size up to 20 and check every inclusion proof.
        use super::root_of_leaf_hashes as root;
        fn proof(leaves: &[Hash], i: usize) -> Vec<Hash> {
            if leaves.len() <= 1 {
                return vec![];
            }
            let k = split_point(leaves.len());
            if i < k {
                let mut p = proof(&leaves[..k], i);
                p.push(root(&leaves[k..]));
                p
            } else {
                let mut p = proof(&leaves[k..], i - k);
                p.push(root(&leaves[..k]));
                p
            }
        }
        for n in 1..20usize {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
            let r = root(&leaves);
            for i in 0..n {
                let p = proof(&leaves, i);
                verify_inclusion(i as u64, n as u64, &leaves[i], &p, &r).unwrap();
                let mut bad = r;
                bad[5] ^= 1;
                assert!(verify_inclusion(i as u64, n as u64, &leaves[i], &p, &bad).is_err());
            }
        }
    }

    #[test]
    fn decomp_incl_proof_shift_overflow_above_2_pow_63_leaves() {
        // Found by fuzzing (fuzz/regressions/merkle/): in a tree of more than 2^63 leaves `inner`
        // is 64 and `index >> 64` overflowed (a panic in debug builds, `index >> 0` in release).
        let size = (1u64 << 63) + 1;
        assert_eq!(decomp_incl_proof(5, size), (64, 0));
        // Leaf 0 of that tree: 63 siblings in the perfect left half, then the last leaf.
        let leaf = leaf_hash(b"leaf");
        let proof: Vec<Hash> = (0..64u8).map(|i| leaf_hash(&[i])).collect();
        let root = proof.iter().fold(leaf, |acc, h| node_hash(&acc, h));
        verify_inclusion(0, size, &leaf, &proof, &root).unwrap();
        // Consistency proofs decompose the same way: 64 hashes are the right length.
        let err = verify_consistency(6, size, &proof, &root, &root).unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
    }
}
