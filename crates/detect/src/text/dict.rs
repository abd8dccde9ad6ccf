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

use rustc_hash::FxHashSet;

use super::fold::fold_ascii_letter;

static WORDS: &str = include_str!("../../data/words.txt");

/// The folded dictionary, built once per process (about 63k words).
pub(crate) fn words() -> &'static FxHashSet<Box<[u8]>> {
    static SET: OnceLock<FxHashSet<Box<[u8]>>> = OnceLock::new();
    SET.get_or_init(|| {
        WORDS
            .lines()
            .map(|w| w.bytes().map(fold_ascii_letter).collect::<Box<[u8]>>())
            .collect()
    })
}

/// Whether a folded token is an ordinary English word.
pub(crate) fn is_word(folded: &[u8]) -> bool {
    folded.len() >= 4 && words().contains(folded)
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
