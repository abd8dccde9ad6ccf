//! The English dictionary behind two precision rules: a mark is not found
//! inside an ordinary word ("Pineapple" is not APPLE), and a dictionary word is
//! never a fuzzy match ("Channel" is not a misspelt CHANEL).
//!
//! The list is Debian's `wamerican` (SCOWL, by Kevin Atkinson; permissive
//! licence, see `data/words.COPYRIGHT`), filtered to lower-case ASCII words
//! of four letters or more, which drops proper nouns such as "Nike" or
//! "Chanel" (`data/words.txt`, built by
//! `grep -E '^[a-z]{4,}$' /usr/share/dict/american-english | sort -u`).
//! It is compiled into the crate with `include_str!` so the engine reads no
//! file, and folded once, on first use, with the same fold as listings.

use std::sync::OnceLock;

use std::hash::Hasher;

use rustc_hash::FxHasher;

use super::fold::fold_plain_word;

static WORDS: &str = include_str!("../../data/words.txt");

/// Slots of the dictionary table (a power of two, about twice the words).
const SLOTS: usize = 1 << 17;

/// The folded dictionary as an open-addressed table of 32-bit fingerprints,
/// built once per process (about 63k words, 512 KiB). Keeping fingerprints
/// rather than words makes a lookup one probe of one cache line, with no
/// string comparison; a false "is a word" needs a 32-bit fingerprint
/// collision in the few slots probed (odds about 1 in 10^9 per token).
pub(crate) fn words() -> &'static [u32] {
    static TABLE: OnceLock<Box<[u32]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = vec![0u32; SLOTS].into_boxed_slice();
        let mut buf = Vec::new();
        for w in WORDS.lines() {
            fold_plain_word(w, &mut buf);
            let (mut slot, fp) = slot_and_fingerprint(&buf);
            while table[slot] != 0 && table[slot] != fp {
                slot = (slot + 1) & (SLOTS - 1);
            }
            table[slot] = fp;
        }
        table
    })
}

fn slot_and_fingerprint(bytes: &[u8]) -> (usize, u32) {
    let h = hash(bytes);
    (h as usize & (SLOTS - 1), ((h >> 32) as u32) | 1)
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    // FxHasher is weak on short inputs: mix in the length and finish well.
    let x = h.finish() ^ (bytes.len() as u64).rotate_left(32);
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Whether a folded token is an ordinary English word (words of four
/// letters fold to three bytes when "rn" becomes "m": "corn").
pub(crate) fn is_word(folded: &[u8]) -> bool {
    if folded.len() < 3 {
        return false;
    }
    let table = words();
    let (mut slot, fp) = slot_and_fingerprint(folded);
    loop {
        match table[slot] {
            0 => return false,
            f if f == fp => return true,
            _ => slot = (slot + 1) & (SLOTS - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold::fold_str;

    #[test]
    fn knows_common_words_and_not_brand_names() {
        for w in ["pineapple", "channel", "apple", "shell", "dovetail"] {
            assert!(is_word(fold_str(w).as_bytes()), "{w}");
        }
        for w in ["nike", "chanel", "adidas", "vuitton", "micheal"] {
            assert!(!is_word(fold_str(w).as_bytes()), "{w}");
        }
    }
}
