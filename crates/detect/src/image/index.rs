//! An exact Hamming-radius index over 256-bit hashes.
//!
//! Two strategies, both exact (every hash within the radius is returned):
//!
//! * **Multi-index hashing** (Norouzi et al.): the 256 bits are cut into 16
//!   chunks of 16 bits and each chunk gets a table from its value to the ids
//!   holding it (a counting-sort layout: one offsets array of 65,537 entries
//!   and one id array per table, no hashing, no pointers). By the pigeonhole
//!   principle, two hashes within distance `r` agree to within `⌊r/16⌋` bits
//!   on at least one chunk, so probing each table at the query's chunk and its
//!   neighbours within `⌊r/16⌋` bits finds every answer; candidates are then
//!   checked on all 256 bits. At PDQ's match radius 31 that is 16 × 17
//!   probes touching about `272 · n / 65536` candidates: 0.4 % of a scan.
//!   A candidate is kept only from the first table where it qualifies, so no
//!   answer is reported twice and no per-query set is needed.
//! * **Batched linear scan**: for wide radii (`⌊r/16⌋ > 2`), where probing
//!   would cost more than reading, the hashes are streamed once per batch of
//!   queries in cache-sized blocks, so memory bandwidth is shared by the batch.
//!
//! The popcounts are plain `u64::count_ones`; built with a `target-cpu` that
//! has `popcnt` (or AVX-512 VPOPCNTDQ) they become single instructions.

use super::pdq::PdqHash;

/// Chunks per hash for multi-index hashing.
const CHUNKS: usize = 16;
/// Buckets per chunk table.
const BUCKETS: usize = 1 << 16;
/// Hashes per block of the batched scan (32 KiB of hashes: fits in L1/L2).
const SCAN_BLOCK: usize = 1024;

/// One answer: the position of a stored hash and its distance to the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexHit {
    /// Position of the hash in the order given to [`HammingIndex::build`].
    pub id: u32,
    /// Hamming distance to the query.
    pub distance: u32,
}

/// The 16-bit chunk `c` (0..16) of a hash.
#[inline]
fn chunk(h: &PdqHash, c: usize) -> u16 {
    (h.0[c >> 2] >> ((c & 3) * 16)) as u16
}

/// An immutable index of 256-bit hashes with exact radius search.
#[derive(Clone)]
pub struct HammingIndex {
    hashes: Vec<PdqHash>,
    /// Per chunk: `BUCKETS + 1` offsets into `ids`.
    offsets: Vec<Vec<u32>>,
    /// Per chunk: ids sorted by that chunk's value.
    ids: Vec<Vec<u32>>,
}

impl std::fmt::Debug for HammingIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HammingIndex")
            .field("len", &self.hashes.len())
            .field("bytes", &self.memory_bytes())
            .finish()
    }
}

/// Why an index could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// Ids are `u32`.
    #[error("too many hashes for one index: {0} (limit {max})", max = u32::MAX)]
    TooMany(usize),
}

impl HammingIndex {
    /// Builds the tables: two counting-sort passes per chunk, O(16 n).
    pub fn build(hashes: Vec<PdqHash>) -> Result<Self, IndexError> {
        let n = hashes.len();
        if u32::try_from(n).is_err() {
            return Err(IndexError::TooMany(n));
        }
        let mut offsets = Vec::with_capacity(CHUNKS);
        let mut ids = Vec::with_capacity(CHUNKS);
        for c in 0..CHUNKS {
            let mut off = vec![0u32; BUCKETS + 1];
            for h in &hashes {
                off[chunk(h, c) as usize + 1] += 1;
            }
            for b in 0..BUCKETS {
                off[b + 1] += off[b];
            }
            let mut next = off.clone();
            let mut table = vec![0u32; n];
            for (id, h) in hashes.iter().enumerate() {
                let slot = &mut next[chunk(h, c) as usize];
                table[*slot as usize] = id as u32;
                *slot += 1;
            }
            offsets.push(off);
            ids.push(table);
        }
        Ok(HammingIndex {
            hashes,
            offsets,
            ids,
        })
    }

    /// Number of stored hashes.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the index holds no hash.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The stored hashes, by id.
    pub fn hashes(&self) -> &[PdqHash] {
        &self.hashes
    }

    /// Approximate heap size: 32 bytes per hash plus 64 bytes per hash and
    /// 4 MiB of offsets for the tables.
    pub fn memory_bytes(&self) -> usize {
        self.hashes.len() * 32
            + self.offsets.iter().map(|o| o.len() * 4).sum::<usize>()
            + self.ids.iter().map(|i| i.len() * 4).sum::<usize>()
    }

    /// Every stored hash within `radius` of `query`, sorted by distance then
    /// id.
    pub fn search(&self, query: &PdqHash, radius: u32) -> Vec<IndexHit> {
        let per_chunk = radius as usize / CHUNKS;
        let mut hits = if per_chunk > 2 {
            let mut out = vec![Vec::new()];
            scan_batch(&self.hashes, std::slice::from_ref(query), radius, &mut out);
            out.pop().unwrap_or_default()
        } else {
            self.probe(query, radius, per_chunk as u32)
        };
        hits.sort_unstable_by_key(|h| (h.distance, h.id));
        hits
    }

    /// [`HammingIndex::search`] for many queries.
    pub fn search_many(&self, queries: &[PdqHash], radius: u32) -> Vec<Vec<IndexHit>> {
        queries.iter().map(|q| self.search(q, radius)).collect()
    }

    fn probe(&self, query: &PdqHash, radius: u32, per_chunk: u32) -> Vec<IndexHit> {
        let mut hits = Vec::new();
        let qchunks: [u16; CHUNKS] = std::array::from_fn(|c| chunk(query, c));
        let visit = |c: usize, key: u16, hits: &mut Vec<IndexHit>| {
            let off = &self.offsets[c];
            let (lo, hi) = (off[key as usize] as usize, off[key as usize + 1] as usize);
            for &id in &self.ids[c][lo..hi] {
                let h = &self.hashes[id as usize];
                // Keep only from the first chunk where it qualifies.
                let first = (0..c).all(|p| (chunk(h, p) ^ qchunks[p]).count_ones() > per_chunk);
                if !first {
                    continue;
                }
                let d = h.distance(query);
                if d <= radius {
                    hits.push(IndexHit { id, distance: d });
                }
            }
        };
        for (c, &q) in qchunks.iter().enumerate() {
            visit(c, q, &mut hits);
            if per_chunk >= 1 {
                for b in 0..16 {
                    visit(c, q ^ (1 << b), &mut hits);
                }
            }
            if per_chunk >= 2 {
                for b1 in 0..16 {
                    for b2 in b1 + 1..16 {
                        visit(c, q ^ (1 << b1) ^ (1 << b2), &mut hits);
                    }
                }
            }
        }
        hits
    }
}

/// Brute force over `hashes`, one query at a time: the baseline and the
/// oracle the index is tested against.
pub fn naive_search(hashes: &[PdqHash], query: &PdqHash, radius: u32) -> Vec<IndexHit> {
    let mut hits: Vec<IndexHit> = hashes
        .iter()
        .enumerate()
        .filter_map(|(id, h)| {
            let d = h.distance(query);
            (d <= radius).then_some(IndexHit {
                id: id as u32,
                distance: d,
            })
        })
        .collect();
    hits.sort_unstable_by_key(|h| (h.distance, h.id));
    hits
}

/// Linear scan shared by a batch of queries: each block of hashes is read
/// from memory once and compared with every query while it sits in cache.
/// Results per query are sorted by distance then id.
pub fn batched_scan(hashes: &[PdqHash], queries: &[PdqHash], radius: u32) -> Vec<Vec<IndexHit>> {
    let mut out = vec![Vec::new(); queries.len()];
    for (qs, outs) in queries.chunks(32).zip(out.chunks_mut(32)) {
        scan_batch(hashes, qs, radius, outs);
    }
    for hits in &mut out {
        hits.sort_unstable_by_key(|h| (h.distance, h.id));
    }
    out
}

fn scan_batch(hashes: &[PdqHash], queries: &[PdqHash], radius: u32, out: &mut [Vec<IndexHit>]) {
    for (b, block) in hashes.chunks(SCAN_BLOCK).enumerate() {
        let base = b * SCAN_BLOCK;
        for (q, hits) in queries.iter().zip(out.iter_mut()) {
            for (i, h) in block.iter().enumerate() {
                let d = h.distance(q);
                if d <= radius {
                    hits.push(IndexHit {
                        id: (base + i) as u32,
                        distance: d,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (SplitMix64), enough for test data.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed;
        move || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    fn flip_bits(h: PdqHash, n: u32, next: &mut impl FnMut() -> u64) -> PdqHash {
        let mut out = h;
        let mut flipped = 0;
        while flipped < n {
            let k = (next() % 256) as usize;
            let before = out;
            out.0[k >> 6] ^= 1 << (k & 63);
            if before.distance(&h) < out.distance(&h) {
                flipped += 1;
            } else {
                out = before;
            }
        }
        out
    }

    fn corpus() -> (Vec<PdqHash>, Vec<PdqHash>) {
        let mut next = rng(7);
        let mut hashes: Vec<PdqHash> = (0..3000)
            .map(|_| PdqHash([next(), next(), next(), next()]))
            .collect();
        let mut queries = Vec::new();
        for i in 0..60 {
            let base = hashes[i * 37];
            // Planted neighbours at every distance around the radius.
            for d in [0, 1, 15, 16, 17, 30, 31, 32, 33, 47, 48] {
                hashes.push(flip_bits(base, d, &mut next));
            }
            queries.push(base);
        }
        queries.push(PdqHash([next(), next(), next(), next()]));
        (hashes, queries)
    }

    #[test]
    fn index_equals_brute_force_at_every_radius_it_probes() {
        let (hashes, queries) = corpus();
        let index = HammingIndex::build(hashes.clone()).unwrap();
        for radius in [0, 1, 15, 16, 31, 32, 47, 50, 64] {
            for q in &queries {
                assert_eq!(
                    index.search(q, radius),
                    naive_search(&hashes, q, radius),
                    "radius {radius}"
                );
            }
        }
    }

    #[test]
    fn batched_scan_equals_brute_force() {
        let (hashes, queries) = corpus();
        let got = batched_scan(&hashes, &queries, 31);
        for (q, hits) in queries.iter().zip(&got) {
            assert_eq!(hits, &naive_search(&hashes, q, 31));
        }
    }

    #[test]
    fn planted_neighbours_are_found_up_to_the_radius_only() {
        let (hashes, queries) = corpus();
        let index = HammingIndex::build(hashes).unwrap();
        let hits = index.search(&queries[0], 31);
        let distances: Vec<u32> = hits.iter().map(|h| h.distance).collect();
        for d in [0, 1, 15, 16, 17, 30, 31] {
            assert!(
                distances.contains(&d),
                "missing distance {d} in {distances:?}"
            );
        }
        assert!(distances.iter().all(|&d| d <= 31));
    }

    #[test]
    fn empty_index_answers_nothing() {
        let index = HammingIndex::build(Vec::new()).unwrap();
        assert!(index.is_empty());
        assert!(index.search(&PdqHash::default(), 31).is_empty());
    }
}
