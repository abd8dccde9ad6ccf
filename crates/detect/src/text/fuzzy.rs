//! Fuzzy matching: symmetric-deletion candidates, verified by a bounded
//! optimal-string-alignment distance.
//!
//! Every fuzzy-eligible term (five letters or more) is indexed under the
//! hashes of itself and of every string obtained by deleting up to `k` of its
//! letters (`k` = 1, or 2 for terms of nine letters or more). A listing token
//! looks up its own deletions the same way; two strings within `k` edits share
//! a key, so the lookups find every true match and a few false candidates,
//! which the exact distance check removes. Insertion, deletion, substitution
//! and adjacent transposition ("Swarovksi") each count as one edit.
//!
//! Why not a scan of all marks with `strsim` per token: 100k marks times every
//! token is far too slow; the deletion index costs a few dozen hash lookups
//! per token, and only for tokens that are not dictionary words, which in an
//! English listing are few.

use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;

/// Longest token considered for fuzzy matching (bytes).
const MAX_LEN: usize = 48;

/// Edit budget for a term of `len` letters.
pub(crate) fn budget(len: usize) -> u8 {
    if len >= 9 { 2 } else { 1 }
}

/// Term ids keyed by deletion hashes.
#[derive(Debug, Default)]
pub(crate) struct DeletionIndex {
    keys: FxHashMap<u64, (u32, u32)>,
    postings: Vec<u32>,
    /// Folded, space-free form of each indexed term, by term id.
    forms: FxHashMap<u32, Box<[u8]>>,
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.write_u8(0xff);
    h.finish()
}

/// Calls `f` with the hash of `s` and of every deletion of up to `depth` bytes.
fn for_each_deletion(s: &[u8], depth: u8, f: &mut impl FnMut(u64)) {
    let mut buf = [0u8; MAX_LEN];
    buf[..s.len()].copy_from_slice(s);
    f(hash(s));
    rec(&buf[..s.len()], 0, depth, f);

    fn rec(s: &[u8], from: usize, depth: u8, f: &mut impl FnMut(u64)) {
        if depth == 0 || s.len() <= 1 {
            return;
        }
        let mut tmp = [0u8; MAX_LEN];
        for i in from..s.len() {
            // Deleting either letter of a doubled pair gives the same string.
            if i > from && s[i] == s[i - 1] {
                continue;
            }
            let n = s.len() - 1;
            tmp[..i].copy_from_slice(&s[..i]);
            tmp[i..n].copy_from_slice(&s[i + 1..]);
            f(hash(&tmp[..n]));
            rec(&tmp[..n], i, depth - 1, f);
        }
    }
}

impl DeletionIndex {
    /// Builds the index from `(term id, folded form)` pairs.
    pub(crate) fn build(terms: Vec<(u32, Box<[u8]>)>) -> Self {
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        let mut forms = FxHashMap::default();
        for (id, form) in terms {
            if form.len() > MAX_LEN {
                continue;
            }
            let k = budget(form.len());
            for_each_deletion(&form, k, &mut |h| pairs.push((h, id)));
            forms.insert(id, form);
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut keys = FxHashMap::default();
        keys.reserve(pairs.len() / 2);
        let mut postings = Vec::with_capacity(pairs.len());
        let mut i = 0;
        while i < pairs.len() {
            let key = pairs[i].0;
            let start = postings.len() as u32;
            while i < pairs.len() && pairs[i].0 == key {
                postings.push(pairs[i].1);
                i += 1;
            }
            keys.insert(key, (start, postings.len() as u32 - start));
        }
        postings.shrink_to_fit();
        DeletionIndex {
            keys,
            postings,
            forms,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Terms within their edit budget of `token` (distance >= 1), appended to
    /// `out` as `(term id, distance)`; `seen` is scratch.
    pub(crate) fn query(&self, token: &[u8], out: &mut Vec<(u32, u8)>, seen: &mut Vec<u32>) {
        if token.len() < 4 || token.len() > MAX_LEN {
            return;
        }
        seen.clear();
        let depth = if token.len() >= 7 { 2 } else { 1 };
        for_each_deletion(token, depth, &mut |h| {
            if let Some(&(s, n)) = self.keys.get(&h) {
                seen.extend_from_slice(&self.postings[s as usize..(s + n) as usize]);
            }
        });
        seen.sort_unstable();
        seen.dedup();
        for &id in seen.iter() {
            let Some(form) = self.forms.get(&id) else {
                continue;
            };
            let k = budget(form.len());
            if form.len().abs_diff(token.len()) > k as usize {
                continue;
            }
            let (Ok(a), Ok(b)) = (std::str::from_utf8(token), std::str::from_utf8(form)) else {
                continue;
            };
            let d = strsim::osa_distance(a, b);
            if d >= 1 && d <= k as usize {
                out.push((id, d as u8));
            }
        }
    }

    /// Approximate heap size in bytes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 24
            + self.postings.capacity() * 4
            + self.forms.capacity() * 32
            + self.forms.values().map(|f| f.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(words: &[&str]) -> DeletionIndex {
        DeletionIndex::build(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| (i as u32, w.as_bytes().into()))
                .collect(),
        )
    }

    fn query(ix: &DeletionIndex, t: &str) -> Vec<(u32, u8)> {
        let mut out = Vec::new();
        ix.query(t.as_bytes(), &mut out, &mut Vec::new());
        out
    }

    #[test]
    fn finds_one_edit_of_every_kind() {
        let ix = index(&["vuitton", "swarovskl", "balenclaga", "mlchael"]);
        assert_eq!(query(&ix, "vuiton"), [(0, 1)]); // deletion
        assert_eq!(query(&ix, "swarovksl"), [(1, 1)]); // transposition
        assert_eq!(query(&ix, "balenclagga"), [(2, 1)]); // insertion
        assert_eq!(query(&ix, "mlcheal"), [(3, 1)]); // transposition
        assert_eq!(query(&ix, "vuittan"), [(0, 1)]); // substitution
    }

    #[test]
    fn long_terms_allow_two_edits_short_ones_one() {
        let ix = index(&["balenclaga", "gucci"]);
        assert_eq!(query(&ix, "balancaga"), [(0, 2)]);
        assert!(query(&ix, "gacco").is_empty());
        assert!(
            query(&ix, "balenclaga").is_empty(),
            "distance 0 is not fuzzy"
        );
    }
}
