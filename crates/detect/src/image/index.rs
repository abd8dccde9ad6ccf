//! An exact Hamming-radius index over 256-bit hashes.
//!
//! Two strategies, both exact (every hash within the radius is returned):
//!
//! * **Multi-index hashing** (Norouzi, Punjani and Fleet): the 256 bits are
//!   cut into `m` chunks and each chunk gets a table from its value to the
//!   ids holding it (a counting-sort layout: an offsets array of `2^bits + 1`
//!   entries and an id array per table; no hashing, no pointers). By the
//!   pigeonhole principle two hashes within distance `r` agree to within
//!   `⌊r/m⌋` bits on at least one chunk, so probing each table at the query's
//!   chunk and its neighbours within `⌊r/m⌋` bits finds every answer, and
//!   candidates are then checked on all 256 bits. `m` follows the paper's
//!   advice, chunks of about `log2(n)` bits, so a bucket holds about one
//!   hash: at 10 M hashes, 12 chunks of 21–22 bits probed within 2 bits,
//!   about 3,000 probes and 12,000 candidates per query where a scan reads
//!   10 million. A candidate is kept only from the first table where it
//!   qualifies, so no answer is reported twice and no per-query set is
//!   needed.
//! * **Batched linear scan**: for radii where probing would cost more than
//!   reading (`⌊r/m⌋ > 2`), the hashes are streamed once per batch of queries
//!   in cache-sized blocks, so memory bandwidth is shared by the batch.
//!
//! The popcounts are plain `u64::count_ones`; built with a `target-cpu` that
//! has `popcnt` (or AVX-512 VPOPCNTDQ) they become single instructions.

use super::pdq::PdqHash;

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

/// Where one chunk lies in the 256 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chunk {
    start: u32,
    len: u32,
}

impl Chunk {
    /// The chunk's bits of `h`, as an integer.
    #[inline]
    fn of(self, h: &PdqHash) -> u32 {
        let limb = (self.start / 64) as usize;
        let shift = self.start % 64;
        let mut v = h.0[limb] >> shift;
        if shift + self.len > 64 && limb + 1 < 4 {
            v |= h.0[limb + 1] << (64 - shift);
        }
        (v & ((1u64 << self.len) - 1)) as u32
    }
}

/// One table: ids sorted by the chunk's value, and where each value starts.
#[derive(Clone)]
struct Table {
    chunk: Chunk,
    offsets: Vec<u32>,
    ids: Vec<u32>,
}

/// An immutable index of 256-bit hashes with exact radius search.
#[derive(Clone)]
pub struct HammingIndex {
    hashes: Vec<PdqHash>,
    tables: Vec<Table>,
}

impl std::fmt::Debug for HammingIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HammingIndex")
            .field("len", &self.hashes.len())
            .field("chunks", &self.tables.len())
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
    /// Chunks must be 1 to 24 bits, so 11 to 256 of them.
    #[error("cannot cut 256 bits into {0} chunks (11 to 64)")]
    Chunks(usize),
}

/// The chunk count for `n` hashes: chunks of about `log2(n)` bits (at least
/// 8, at most 24 bits long), so buckets hold about one hash.
fn chunks_for(n: usize) -> usize {
    let bits = (n.max(2) as f64).log2().round().clamp(8.0, 24.0);
    (256.0 / bits).ceil() as usize
}

impl HammingIndex {
    /// Builds the tables with the chunk count suited to the number of hashes.
    pub fn build(hashes: Vec<PdqHash>) -> Result<Self, IndexError> {
        let m = chunks_for(hashes.len());
        Self::with_chunks(hashes, m)
    }

    /// Builds the tables with `m` chunks (11 to 64): two counting-sort passes
    /// per chunk, O(m n).
    pub fn with_chunks(hashes: Vec<PdqHash>, m: usize) -> Result<Self, IndexError> {
        let n = hashes.len();
        if u32::try_from(n).is_err() {
            return Err(IndexError::TooMany(n));
        }
        if !(11..=64).contains(&m) {
            return Err(IndexError::Chunks(m));
        }
        let mut tables = Vec::with_capacity(m);
        let mut start = 0u32;
        for c in 0..m {
            // Spread the remainder over the first chunks.
            let len = (256 / m + usize::from(c < 256 % m)) as u32;
            let chunk = Chunk { start, len };
            start += len;
            let buckets = 1usize << len;
            let mut offsets = vec![0u32; buckets + 1];
            for h in &hashes {
                offsets[chunk.of(h) as usize + 1] += 1;
            }
            for b in 0..buckets {
                offsets[b + 1] += offsets[b];
            }
            let mut next = offsets.clone();
            let mut ids = vec![0u32; n];
            for (id, h) in hashes.iter().enumerate() {
                let slot = &mut next[chunk.of(h) as usize];
                ids[*slot as usize] = id as u32;
                *slot += 1;
            }
            tables.push(Table {
                chunk,
                offsets,
                ids,
            });
        }
        Ok(HammingIndex { hashes, tables })
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

    /// Number of chunks (tables).
    pub fn chunks(&self) -> usize {
        self.tables.len()
    }

    /// Heap size: 32 bytes per hash, plus per table 4 bytes per hash and 4
    /// bytes per bucket.
    pub fn memory_bytes(&self) -> usize {
        self.hashes.len() * 32
            + self
                .tables
                .iter()
                .map(|t| (t.offsets.len() + t.ids.len()) * 4)
                .sum::<usize>()
    }

    /// Every stored hash within `radius` of `query`, sorted by distance then
    /// id.
    pub fn search(&self, query: &PdqHash, radius: u32) -> Vec<IndexHit> {
        let per_chunk = radius as usize / self.tables.len().max(1);
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
        let qchunks: Vec<u32> = self.tables.iter().map(|t| t.chunk.of(query)).collect();
        let visit = |c: usize, key: u32, hits: &mut Vec<IndexHit>| {
            let table = &self.tables[c];
            let (lo, hi) = (
                table.offsets[key as usize] as usize,
                table.offsets[key as usize + 1] as usize,
            );
            for &id in &table.ids[lo..hi] {
                let h = &self.hashes[id as usize];
                let d = h.distance(query);
                if d > radius {
                    continue;
                }
                // Keep only from the first chunk where it qualifies.
                let first = self.tables[..c]
                    .iter()
                    .zip(&qchunks)
                    .all(|(t, &q)| (t.chunk.of(h) ^ q).count_ones() > per_chunk);
                if first {
                    hits.push(IndexHit { id, distance: d });
                }
            }
        };
        for (c, &q) in qchunks.iter().enumerate() {
            let len = self.tables[c].chunk.len;
            visit(c, q, &mut hits);
            if per_chunk >= 1 {
                for b in 0..len {
                    visit(c, q ^ (1 << b), &mut hits);
                }
            }
            if per_chunk >= 2 {
                for b1 in 0..len {
                    for b2 in b1 + 1..len {
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
    fn index_equals_brute_force_at_every_radius_and_chunk_count() {
        let (hashes, queries) = corpus();
        for m in [None, Some(11), Some(16), Some(32)] {
            let index = match m {
                None => HammingIndex::build(hashes.clone()).unwrap(),
                Some(m) => HammingIndex::with_chunks(hashes.clone(), m).unwrap(),
            };
            for radius in [0, 1, 15, 16, 22, 31, 32, 47, 50, 64] {
                for q in &queries {
                    assert_eq!(
                        index.search(q, radius),
                        naive_search(&hashes, q, radius),
                        "{} chunks, radius {radius}",
                        index.chunks()
                    );
                }
            }
        }
    }

    #[test]
    fn chunks_follow_log2_n_and_cover_256_bits() {
        assert_eq!(chunks_for(1_000), 26);
        assert_eq!(chunks_for(10_000_000), 12);
        let index = HammingIndex::with_chunks(Vec::new(), 11).unwrap();
        let total: u32 = index.tables.iter().map(|t| t.chunk.len).sum();
        assert_eq!(total, 256);
        assert!(HammingIndex::with_chunks(Vec::new(), 10).is_err());
        let mut h = PdqHash::default();
        h.0[0] = 1 << 63;
        h.0[1] = 1;
        let straddling = Chunk { start: 63, len: 2 };
        assert_eq!(straddling.of(&h), 0b11);
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
