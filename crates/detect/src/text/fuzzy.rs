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
//! Lengths, deletions and edits count characters, not bytes: a term or
//! token outside ASCII (Cyrillic, Greek, what the fold leaves of an accented
//! mark) is indexed and queried as code points, whose hashes equal those of
//! the bytes for ASCII text, so both kinds share one index.
//!
//! Why not a scan of all marks with `strsim` per token: 100k marks times every
//! token is far too slow; the deletion index costs a few dozen hash lookups
//! per token, and only for tokens that are not dictionary words, which in an
//! English listing are few.

use rustc_hash::FxHashMap;

/// Longest token considered for fuzzy matching (characters).
const MAX_LEN: usize = 48;

/// Edit budget for a term of `len` letters.
pub(crate) fn budget(len: usize) -> u8 {
    if len >= 9 { 2 } else { 1 }
}

/// Term ids keyed by deletion hashes.
#[derive(Debug)]
pub(crate) struct DeletionIndex {
    keys: FxHashMap<u64, (u32, u32)>,
    postings: Vec<u32>,
    /// Folded, space-free form of each indexed term, by term id.
    forms: FxHashMap<u32, Box<[u8]>>,
    /// A one-hash Bloom filter of `keys` (about 8 bits per key), small
    /// enough to stay in cache: most deletions of a token are in no key,
    /// and the filter says so without a miss in the big map.
    filter: Vec<u64>,
    /// Per token length: how many deletions a query needs (0: no term is
    /// within reach of that length, so no query at all).
    depth_by_len: [u8; MAX_LEN + 1],
    /// The same, for terms of several words (queried with word pairs).
    pair_depth_by_len: [u8; MAX_LEN + 1],
}

/// Odd multiplier of the polynomial string hash.
const BASE: u64 = 0x0000_0100_0000_01b3;

/// Finishes a polynomial hash: mixes in the length and spreads the bits
/// (splitmix64), so the filter and the map can use any of them.
fn finish(h: u64, len: usize) -> u64 {
    let x = h ^ ((len as u64) << 56);
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The filter bit of a key (`bits` is a power of two).
fn filter_bit(key: u64, bits: usize) -> usize {
    (key >> 7) as usize & (bits - 1)
}

/// Calls `f` with the hash of `s` and of every string obtained by deleting
/// up to `depth` (at most 2) of its symbols (bytes of ASCII text, code points
/// otherwise: the hashes agree). A polynomial hash over prefix sums gives
/// each deletion's hash in constant time, with no copying.
fn for_each_deletion<T: Copy + Eq + Into<u64>>(s: &[T], depth: u8, f: &mut impl FnMut(u64)) {
    let n = s.len().min(MAX_LEN);
    let s = &s[..n];
    let mut pre = [0u64; MAX_LEN + 1];
    let mut pw = [1u64; MAX_LEN + 1];
    for i in 0..n {
        pre[i + 1] = pre[i].wrapping_mul(BASE).wrapping_add(s[i].into() + 1);
        pw[i + 1] = pw[i].wrapping_mul(BASE);
    }
    // Hash of s[a..b].
    let seg = |a: usize, b: usize| pre[b].wrapping_sub(pre[a].wrapping_mul(pw[b - a]));
    f(finish(pre[n], n));
    if depth == 0 || n < 2 {
        return;
    }
    for i in 0..n {
        // Deleting either byte of a doubled pair gives the same string.
        if i > 0 && s[i] == s[i - 1] {
            continue;
        }
        f(finish(
            pre[i]
                .wrapping_mul(pw[n - 1 - i])
                .wrapping_add(seg(i + 1, n)),
            n - 1,
        ));
        if depth < 2 || n < 3 {
            continue;
        }
        for j in i + 1..n {
            if j > i + 1 && s[j] == s[j - 1] {
                continue;
            }
            let h = pre[i]
                .wrapping_mul(pw[n - 2 - i])
                .wrapping_add(seg(i + 1, j).wrapping_mul(pw[n - 1 - j]))
                .wrapping_add(seg(j + 1, n));
            f(finish(h, n - 2));
        }
    }
}

/// Sorts `(hash, term)` pairs and drops repeats. The hashes are uniform, so
/// one counting pass on their top bits puts each pair in a bucket of a few,
/// and only the buckets are sorted: several times faster than a comparison
/// sort of the millions of pairs that 100k marks give.
fn sort_pairs(pairs: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    if pairs.len() < 2 {
        return pairs;
    }
    let bits = (pairs.len().next_power_of_two().trailing_zeros()).clamp(1, 24);
    let shift = 64 - bits;
    let mut start = vec![0usize; (1 << bits) + 1];
    for &(h, _) in &pairs {
        start[(h >> shift) as usize + 1] += 1;
    }
    for b in 1..start.len() {
        start[b] += start[b - 1];
    }
    let mut next = start.clone();
    let mut out = vec![(0u64, 0u32); pairs.len()];
    for p in pairs {
        let b = (p.0 >> shift) as usize;
        out[next[b]] = p;
        next[b] += 1;
    }
    for b in 0..1usize << bits {
        out[start[b]..start[b + 1]].sort_unstable();
    }
    out.dedup();
    out
}

impl DeletionIndex {
    /// Builds the index from `(term id, folded form)` pairs.
    /// `multiword` tells which terms had several words.
    pub(crate) fn build(terms: Vec<(u32, Box<[u8]>, bool)>) -> Self {
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        let mut forms = FxHashMap::default();
        let mut depth_by_len = [0u8; MAX_LEN + 1];
        let mut pair_depth_by_len = [0u8; MAX_LEN + 1];
        let mut chars = Vec::new();
        for (id, form, multiword) in terms {
            let Ok(text) = std::str::from_utf8(&form) else {
                continue;
            };
            let len = text.chars().count();
            if len > MAX_LEN {
                continue;
            }
            let k = budget(len);
            let lo = len.saturating_sub(k as usize);
            let hi = (len + k as usize).min(MAX_LEN);
            let table = if multiword {
                &mut pair_depth_by_len
            } else {
                &mut depth_by_len
            };
            for d in &mut table[lo..=hi] {
                *d = (*d).max(k);
            }
            if form.is_ascii() {
                for_each_deletion(&form, k, &mut |h| pairs.push((h, id)));
            } else {
                chars.clear();
                chars.extend(text.chars().map(u32::from));
                for_each_deletion(&chars, k, &mut |h| pairs.push((h, id)));
            }
            forms.insert(id, form);
        }
        let pairs = sort_pairs(pairs);
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
        let bits = (keys.len() * 8).next_power_of_two().max(64);
        let mut filter = vec![0u64; bits / 64];
        for &k in keys.keys() {
            let b = filter_bit(k, bits);
            filter[b / 64] |= 1 << (b % 64);
        }
        // A single word may also be a multi-word term run together.
        for (d, p) in depth_by_len.iter_mut().zip(&pair_depth_by_len) {
            *d = (*d).max(*p);
        }
        DeletionIndex {
            keys,
            postings,
            forms,
            filter,
            depth_by_len,
            pair_depth_by_len,
        }
    }

    /// Whether some term is within reach of a token of `len` characters.
    pub(crate) fn may_match(&self, len: usize, pair: bool) -> bool {
        let table = if pair {
            &self.pair_depth_by_len
        } else {
            &self.depth_by_len
        };
        (4..=MAX_LEN).contains(&len) && table[len] > 0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Terms within their edit budget of `token` (distance >= 1), appended to
    /// `out` as `(term id, distance)`; `seen` is scratch.
    /// `pair`: the token is two words run together, which only terms of
    /// several words can match.
    pub(crate) fn query(
        &self,
        token: &[u8],
        pair: bool,
        out: &mut Vec<(u32, u8)>,
        seen: &mut Vec<u32>,
    ) {
        let Ok(text) = std::str::from_utf8(token) else {
            return;
        };
        let ascii = token.is_ascii();
        let mut chars = [0u32; MAX_LEN];
        let len = if ascii {
            token.len()
        } else {
            let mut n = 0usize;
            for c in text.chars() {
                if n == MAX_LEN {
                    return;
                }
                chars[n] = u32::from(c);
                n += 1;
            }
            n
        };
        if !self.may_match(len, pair) {
            return;
        }
        seen.clear();
        let table = if pair {
            &self.pair_depth_by_len
        } else {
            &self.depth_by_len
        };
        let depth = table[len];
        if depth == 0 {
            return;
        }
        let bits = self.filter.len() * 64;
        let mut look = |h: u64| {
            let b = filter_bit(h, bits);
            if self.filter[b / 64] & (1 << (b % 64)) == 0 {
                return;
            }
            if let Some(&(s, n)) = self.keys.get(&h) {
                seen.extend_from_slice(&self.postings[s as usize..(s + n) as usize]);
            }
        };
        if ascii {
            for_each_deletion(token, depth, &mut look);
        } else {
            for_each_deletion(&chars[..len], depth, &mut look);
        }
        seen.sort_unstable();
        seen.dedup();
        for &id in seen.iter() {
            let Some(form) = self.forms.get(&id) else {
                continue;
            };
            let Ok(b) = std::str::from_utf8(form) else {
                continue;
            };
            let form_len = if form.is_ascii() {
                form.len()
            } else {
                b.chars().count()
            };
            let k = budget(form_len);
            if form_len.abs_diff(len) > k as usize {
                continue;
            }
            let d = strsim::osa_distance(text, b);
            if d >= 1 && d <= k as usize {
                out.push((id, d as u8));
            }
        }
    }

    /// Approximate heap size in bytes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 24
            + self.filter.capacity() * 8
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
                .map(|(i, w)| (i as u32, w.as_bytes().into(), false))
                .collect(),
        )
    }

    fn query(ix: &DeletionIndex, t: &str) -> Vec<(u32, u8)> {
        let mut out = Vec::new();
        ix.query(t.as_bytes(), false, &mut out, &mut Vec::new());
        out
    }

    #[test]
    fn deletion_hashes_equal_the_hashes_of_the_deleted_strings() {
        let word = b"balenciaga";
        let mut fast = Vec::new();
        for_each_deletion(word, 2, &mut |h| fast.push(h));
        let mut slow = Vec::new();
        for_each_deletion(word, 0, &mut |h| slow.push(h));
        for i in 0..word.len() {
            let mut d1 = word.to_vec();
            d1.remove(i);
            for_each_deletion(&d1, 0, &mut |h| slow.push(h));
            for j in i..d1.len() {
                let mut d2 = d1.clone();
                d2.remove(j);
                for_each_deletion(&d2, 0, &mut |h| slow.push(h));
            }
        }
        fast.sort_unstable();
        fast.dedup();
        slow.sort_unstable();
        slow.dedup();
        assert_eq!(fast, slow);
    }

    #[test]
    fn sorting_pairs_by_bucket_sorts_and_dedups() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut pairs = Vec::new();
        for i in 0..5000u32 {
            x = finish(x, i as usize);
            pairs.push((x, i % 7));
            if i % 3 == 0 {
                pairs.push((x, i % 7));
                pairs.push((x, 1 + i % 7));
            }
        }
        let mut expected = pairs.clone();
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(sort_pairs(pairs), expected);
        assert!(sort_pairs(Vec::new()).is_empty());
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
    fn counts_edits_in_characters_outside_ascii() {
        // Cyrillic and Greek letters are two bytes each: one edit is one
        // letter, and the budget follows the number of letters.
        let ix = index(&["пятёрочка", "κωτσοβολοσ", "москва"]);
        assert_eq!(query(&ix, "пятерочка"), [(0, 1)]);
        assert_eq!(query(&ix, "пятрочка"), [(0, 1)]);
        assert_eq!(query(&ix, "пятёрочко"), [(0, 1)]);
        assert_eq!(query(&ix, "κωτσοβολοζ"), [(1, 1)]);
        assert_eq!(query(&ix, "κοτσοβολοζ"), [(1, 2)]);
        assert_eq!(query(&ix, "мсоква"), [(2, 1)]);
        assert_eq!(query(&ix, "моска"), [(2, 1)]);
        assert_eq!(query(&ix, "масква"), [(2, 1)]);
        assert!(query(&ix, "мазкба").is_empty(), "three edits");
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
