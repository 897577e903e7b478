//! RFC 6962 / RFC 9162 Merkle trees: hashing, root computation, inclusion and consistency
//! proofs, and their verification.
//!
//! Trees are stored as *perfect subtrees*: node `(level, index)` is the hash of leaves
//! `[index·2^level, (index+1)·2^level)`. Every hash a proof needs for a tree of any size is
//! either such a node or is computed from O(log n) of them along the right edge, so proofs
//! never need the whole tree. Proof construction is written against [`NodeSource`]; a caller
//! backed by a database first collects the nodes it will need ([`Recorder`]), fetches them in one
//! query, and runs again over the fetched map.

use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub type Hash = [u8; 32];

/// SHA-256 of the empty string: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly less than `n` (for `n ≥ 2`).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Where perfect-subtree hashes come from.
pub trait NodeSource {
    fn node(&mut self, level: u32, index: u64) -> Hash;
}

/// Hash of leaves `[start, end)` (RFC 6962 MTH of that range); `start` must be aligned as in
/// the RFC's recursive split, which every caller here guarantees.
fn range_hash<S: NodeSource + ?Sized>(src: &mut S, start: u64, end: u64) -> Hash {
    let n = end - start;
    if n.is_power_of_two() {
        let level = n.trailing_zeros();
        return src.node(level, start >> level);
    }
    let k = split(n);
    let left = range_hash(src, start, start + k);
    let right = range_hash(src, start + k, end);
    node_hash(&left, &right)
}

/// The root of a tree of `size` leaves.
pub fn root<S: NodeSource + ?Sized>(src: &mut S, size: u64) -> Hash {
    if size == 0 {
        empty_root()
    } else {
        range_hash(src, 0, size)
    }
}

fn path<S: NodeSource + ?Sized>(src: &mut S, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
    let n = end - start;
    if n == 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(src, m, start, start + k, out);
        out.push(range_hash(src, start + k, end));
    } else {
        path(src, m - k, start + k, end, out);
        out.push(range_hash(src, start, start + k));
    }
}

/// The audit path of leaf `index` in a tree of `size` leaves (RFC 6962 §2.1.1).
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    src: &mut S,
    index: u64,
    size: u64,
) -> Option<Vec<Hash>> {
    if index >= size {
        return None;
    }
    let mut out = Vec::new();
    path(src, index, 0, size, &mut out);
    Some(out)
}

fn subproof<S: NodeSource + ?Sized>(
    src: &mut S,
    m: u64,
    start: u64,
    end: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(range_hash(src, start, end));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(src, m, start, start + k, whole, out);
        out.push(range_hash(src, start + k, end));
    } else {
        subproof(src, m - k, start + k, end, false, out);
        out.push(range_hash(src, start, start + k));
    }
}

/// The consistency proof between tree sizes `first ≤ second` (RFC 6962 §2.1.2).
pub fn consistency_proof<S: NodeSource + ?Sized>(
    src: &mut S,
    first: u64,
    second: u64,
) -> Option<Vec<Hash>> {
    if first > second {
        return None;
    }
    let mut out = Vec::new();
    if first > 0 && first < second {
        subproof(src, first, 0, second, true, &mut out);
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("叶子序号超出树的大小")]
    IndexOutOfRange,
    #[error("证明长度不对")]
    WrongLength,
    #[error("计算出的根哈希与给定的不一致")]
    RootMismatch,
    #[error("第一棵树比第二棵树大")]
    SizesReversed,
    #[error("空树没有可证明的一致性")]
    EmptyFirstTree,
}

/// RFC 9162 §2.1.3.2: checks that `leaf` is leaf `index` of the tree of `size` with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange);
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: checks that the tree of `second` leaves with `second_root` extends the
/// tree of `first` leaves with `first_root`.
///
/// As in transparency-dev/merkle, a first tree of size 0 is refused (there is nothing to prove),
/// and equal sizes need an empty proof and byte-identical roots.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &[u8],
    second_root: &[u8],
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::SizesReversed);
    }
    if first == 0 {
        return Err(ProofError::EmptyFirstTree);
    }
    if first == second {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let (Ok(first_root), Ok(second_root)) = (
        <&Hash>::try_from(first_root),
        <&Hash>::try_from(second_root),
    ) else {
        return Err(ProofError::RootMismatch);
    };
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != first_root || &sr != second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The right edge of a tree: the perfect subtrees whose sizes are the set bits of its size,
/// largest first. Appending a leaf touches only this edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// (level, hash), levels strictly decreasing.
    edge: Vec<(u32, Hash)>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// The frontier of a stored tree of `size` leaves.
    pub fn load<S: NodeSource + ?Sized>(src: &mut S, size: u64) -> Self {
        let mut edge = Vec::new();
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            if size & (1 << level) != 0 {
                edge.push((level, src.node(level, start >> level)));
                start += 1 << level;
            }
        }
        Self { size, edge }
    }

    /// The (level, index) of every node of the frontier of a tree of `size` leaves.
    pub fn node_ids(size: u64) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            if size & (1 << level) != 0 {
                out.push((level, start >> level));
                start += 1 << level;
            }
        }
        out
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; returns the perfect-subtree nodes completed by it, the leaf first.
    pub fn push(&mut self, leaf: Hash) -> Vec<(u32, u64, Hash)> {
        let index = self.size;
        let mut created = vec![(0u32, index, leaf)];
        let (mut level, mut hash) = (0u32, leaf);
        while let Some(&(l, left)) = self.edge.last() {
            if l != level {
                break;
            }
            self.edge.pop();
            hash = node_hash(&left, &hash);
            level += 1;
            created.push((level, index >> level, hash));
        }
        self.edge.push((level, hash));
        self.size += 1;
        created
    }

    pub fn root(&self) -> Hash {
        let mut it = self.edge.iter().rev();
        match it.next() {
            None => empty_root(),
            Some(&(_, last)) => it.fold(last, |acc, (_, h)| node_hash(h, &acc)),
        }
    }
}

/// A [`NodeSource`] over nodes already fetched.
#[derive(Debug, Default)]
pub struct MapSource(pub HashMap<(u32, u64), Hash>);

impl NodeSource for MapSource {
    fn node(&mut self, level: u32, index: u64) -> Hash {
        self.0.get(&(level, index)).copied().unwrap_or([0u8; 32])
    }
}

/// A [`NodeSource`] that only records which nodes were asked for.
#[derive(Debug, Default)]
pub struct Recorder(pub Vec<(u32, u64)>);

impl NodeSource for Recorder {
    fn node(&mut self, level: u32, index: u64) -> Hash {
        self.0.push((level, index));
        [0u8; 32]
    }
}

/// All perfect-subtree nodes of a tree built from `leaves` (for tests and small trees).
pub fn build_nodes(leaves: &[Hash]) -> MapSource {
    let mut f = Frontier::new();
    let mut map = HashMap::new();
    for l in leaves {
        for (level, index, h) in f.push(*l) {
            map.insert((level, index), h);
        }
    }
    MapSource(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reference MTH straight from RFC 6962, over leaf hashes.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn roots_match_the_reference_for_small_trees() {
        for n in 0..70u64 {
            let ls = leaves(n);
            let mut src = build_nodes(&ls);
            assert_eq!(root(&mut src, n), mth(&ls), "size {n}");
            let mut f = Frontier::new();
            for l in &ls {
                f.push(*l);
            }
            assert_eq!(f.root(), mth(&ls));
            assert_eq!(Frontier::load(&mut src, n), f);
        }
    }

    #[test]
    fn every_proof_verifies_in_small_trees() {
        for n in 1..40u64 {
            let ls = leaves(n);
            let mut src = build_nodes(&ls);
            let r = root(&mut src, n);
            for i in 0..n {
                let p = inclusion_proof(&mut src, i, n).unwrap();
                verify_inclusion(i, n, &ls[i as usize], &p, &r).unwrap();
            }
            for m in 1..=n {
                let p = consistency_proof(&mut src, m, n).unwrap();
                let rm = root(&mut src, m);
                verify_consistency(m, n, &rm, &r, &p).unwrap();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn proofs_verify_and_any_flipped_bit_fails(n in 1u64..10_000, a in any::<u64>(), b in any::<u64>(), bit in any::<u16>()) {
            let ls = leaves(n);
            let mut src = build_nodes(&ls);
            let r = root(&mut src, n);
            let i = a % n;
            let p = inclusion_proof(&mut src, i, n).unwrap();
            prop_assert!(verify_inclusion(i, n, &ls[i as usize], &p, &r).is_ok());
            let m = 1 + b % n;
            let c = consistency_proof(&mut src, m, n).unwrap();
            let rm = root(&mut src, m);
            prop_assert!(verify_consistency(m, n, &rm, &r, &c).is_ok());
            // Flip one bit of the proof (or of the leaf when the proof is empty).
            let flip = |h: &mut Hash| h[(bit as usize / 8) % 32] ^= 1 << (bit % 8);
            if p.is_empty() {
                let mut leaf = ls[i as usize];
                flip(&mut leaf);
                prop_assert!(verify_inclusion(i, n, &leaf, &p, &r).is_err());
            } else {
                let mut bad = p.clone();
                let k = bit as usize % bad.len();
                flip(&mut bad[k]);
                prop_assert!(verify_inclusion(i, n, &ls[i as usize], &bad, &r).is_err());
            }
            if !c.is_empty() {
                let mut bad = c.clone();
                let k = bit as usize % bad.len();
                flip(&mut bad[k]);
                prop_assert!(verify_consistency(m, n, &rm, &r, &bad).is_err());
            }
            let mut bad_root = r;
            flip(&mut bad_root);
            prop_assert!(verify_inclusion(i, n, &ls[i as usize], &p, &bad_root).is_err());
        }
    }

    fn b64(v: &serde_json::Value) -> Option<Vec<u8>> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or(""))
            .ok()
    }

    fn hash32(v: &serde_json::Value) -> Option<Hash> {
        b64(v).and_then(|b| b.try_into().ok())
    }

    fn proof(v: &serde_json::Value) -> Option<Vec<Hash>> {
        match v {
            serde_json::Value::Null => Some(Vec::new()),
            serde_json::Value::Array(a) => a.iter().map(hash32).collect(),
            _ => None,
        }
    }

    fn json_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                json_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }

    /// transparency-dev/merkle's vectors (testdata/merkle-vectors): accept exactly the cases
    /// with `wantErr: false`.
    #[test]
    fn passes_every_published_vector() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/merkle-vectors");
        let mut files = Vec::new();
        json_files(&base.join("inclusion"), &mut files);
        json_files(&base.join("consistency"), &mut files);
        assert!(files.len() > 150, "{}", files.len());
        for f in &files {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            let want_err = v["wantErr"].as_bool().unwrap();
            let ok = if v.get("leafIdx").is_some() {
                let (Some(i), Some(n)) = (v["leafIdx"].as_u64(), v["treeSize"].as_u64()) else {
                    panic!("{f:?}")
                };
                match (
                    hash32(&v["leafHash"]),
                    hash32(&v["root"]),
                    proof(&v["proof"]),
                ) {
                    (Some(leaf), Some(root), Some(p)) => {
                        verify_inclusion(i, n, &leaf, &p, &root).is_ok()
                    }
                    _ => false,
                }
            } else {
                let (Some(m), Some(n)) = (v["size1"].as_u64(), v["size2"].as_u64()) else {
                    panic!("{f:?}")
                };
                match (b64(&v["root1"]), b64(&v["root2"]), proof(&v["proof"])) {
                    (Some(r1), Some(r2), Some(p)) => verify_consistency(m, n, &r1, &r2, &p).is_ok(),
                    _ => false,
                }
            };
            assert_eq!(ok, !want_err, "{}", f.display());
        }
        // Roots of sizes 0–8 over the published leaves.
        let lr: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(base.join("leaves_and_roots.json")).unwrap(),
        )
        .unwrap();
        let leaves: Vec<Hash> = lr["leaf_inputs_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| leaf_hash(&hex::decode(h.as_str().unwrap()).unwrap()))
            .collect();
        for (n, want) in lr["root_by_size_hex"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let mut src = build_nodes(&leaves[..n]);
            assert_eq!(
                hex::encode(root(&mut src, n as u64)),
                want.as_str().unwrap(),
                "size {n}"
            );
        }
    }

    #[test]
    fn proofs_only_touch_log_n_nodes() {
        let mut rec = Recorder::default();
        inclusion_proof(&mut rec, 1234567, 10_000_000).unwrap();
        assert!(rec.0.len() < 64, "{}", rec.0.len());
        let mut rec = Recorder::default();
        consistency_proof(&mut rec, 7_654_321, 10_000_000).unwrap();
        assert!(rec.0.len() < 64, "{}", rec.0.len());
    }
}
