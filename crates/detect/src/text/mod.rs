//! Text detection: find a right's marks in listing text through evasions,
//! and explain every hit.
//!
//! The main design decision is *fold once, match plainly, explain from the
//! map*. Listing text is folded in one pass (module `fold`) into a matching form
//! where every known evasion (case, compatibility forms, diacritics,
//! confusables, leet, invisible characters, spelt-out letters, "&") is
//! undone, keeping for each folded byte the original span and the evasion
//! that produced it. All marks and aliases of all rights, folded the same
//! way, sit in Aho-Corasick automata, so one scan of the folded text finds
//! every candidate whatever the number of marks. (Two automata, in fact:
//! marks of one word can only be hits inside a token that is not a
//! dictionary word, so their automaton skips dictionary words, which are
//! most of a listing; see `TextIndex::find_within_tokens`.) Precision rules
//! are applied per candidate afterwards, where they are cheap:
//!
//! - short marks (four letters or fewer) match whole words only ("Dovetail"
//!   is not DOVE), where CamelCase, letter/digit and CJK/Latin transitions
//!   count as word edges ("NikeAirMax" contains NIKE);
//! - a longer mark inside a longer token counts only if that token is not a
//!   dictionary word ("Pineapple" is not APPLE, "adidasoriginals" is ADIDAS);
//! - multi-word marks need all their words, adjacent, or joined
//!   ("LouisVuitton", "northface");
//! - CJK marks match anywhere (CJK text has no spaces);
//! - class gating: a hit counts only if the right's Nice classes meet the
//!   listing's ([`ClassSet`]).
//!
//! Fuzzy matching (module `fuzzy`) then looks at the remaining tokens that are not
//! dictionary words, for marks of five letters or more (one edit; two for
//! nine or more). The explanation of each hit ([`Method`]) is read back from
//! the per-byte flags of the folded span.
//!
//! The index is immutable and `Sync`: build it once, share it between
//! threads. [`TextIndex::find`] uses a per-thread scratch buffer, so a call
//! allocates only for the hits it returns.

mod dict;
mod fold;
mod fuzzy;

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use fold::{F_FOLDED, F_HOMOGLYPH, F_LEET, F_RN, F_SPACED, Folded};

/// A right's textual marks, as the index takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkSpec {
    /// The right's id, handed back in every hit.
    pub right_id: String,
    /// The registered mark; may be empty (an image-only right).
    pub mark: String,
    /// Other spellings that count as the mark (e.g. "LV", "耐克").
    pub aliases: Vec<String>,
    /// Nice classes the right covers; empty means not class-bound (e.g. a
    /// copyright), which matches in every category.
    pub nice_classes: Vec<u16>,
}

/// A set of Nice classes (1–45), as a bit set: gating is one AND.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ClassSet(u64);

impl ClassSet {
    /// Every class: for checks that are not gated by category.
    pub const ALL: ClassSet = ClassSet(((1u64 << 45) - 1) << 1);
    /// No class: a listing whose category maps to nothing.
    pub const EMPTY: ClassSet = ClassSet(0);

    /// Builds a set from class numbers, refusing any outside 1–45.
    pub fn from_classes<I: IntoIterator<Item = u16>>(classes: I) -> Result<ClassSet, ClassError> {
        let mut bits = 0u64;
        for c in classes {
            if !(1..=45).contains(&c) {
                return Err(ClassError(c));
            }
            bits |= 1 << c;
        }
        Ok(ClassSet(bits))
    }

    /// Whether the two sets share a class.
    pub fn meets(self, other: ClassSet) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A Nice class number outside 1–45.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Nice class {0} is not between 1 and 45")]
pub struct ClassError(pub u16);

/// Which part of a listing the text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The listing's title.
    Title,
    /// The listing's description.
    Description,
}

impl Field {
    /// The field's name as written in findings.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Description => "description",
        }
    }
}

/// Folds a text the way the index does (case, width, diacritics, invisible
/// characters, confusables): two listings whose titles fold the same are the
/// same text under disguise (stay-down compares them so).
pub fn fold_text(s: &str) -> String {
    fold::fold_str(s)
}

/// How a hit matched: what a reviewer reads first.
///
/// When several evasions combine, the one named is the first that applies in
/// this order: fuzzy, spaced, joined, homoglyph, leet, folded, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// The mark as written, ignoring ASCII case and punctuation.
    Exact,
    /// Through Unicode normalisation: fullwidth, circled or mathematical
    /// letters, diacritics, invisible characters, "&" for "and".
    Folded,
    /// Through confusable characters (Cyrillic, Greek, "l" for "I").
    Homoglyph,
    /// Through digits or symbols standing for letters ("N1ke", "Ch@nel").
    Leet,
    /// Letters spelt out with separators ("N.I.K.E").
    Spaced,
    /// Joined to other words ("NikeAirMax", "northface").
    Joined,
    /// Misspelt, within `distance` edits.
    Fuzzy {
        /// Edit distance (insertion, deletion, substitution, transposition).
        distance: u8,
    },
}

impl Method {
    /// The method's name as written in findings.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::Folded => "folded",
            Method::Homoglyph => "homoglyph",
            Method::Leet => "leet",
            Method::Spaced => "spaced",
            Method::Joined => "joined",
            Method::Fuzzy { .. } => "fuzzy",
        }
    }

    /// The edit distance of a fuzzy hit.
    pub fn distance(self) -> Option<u8> {
        match self {
            Method::Fuzzy { distance } => Some(distance),
            _ => None,
        }
    }

    fn base_score(self) -> f32 {
        match self {
            Method::Exact => 1.0,
            Method::Folded => 0.95,
            Method::Joined | Method::Homoglyph | Method::Spaced => 0.9,
            Method::Leet => 0.85,
            Method::Fuzzy { distance: 1 } => 0.75,
            Method::Fuzzy { .. } => 0.6,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Fuzzy { distance } => write!(f, "fuzzy({distance})"),
            m => f.write_str(m.as_str()),
        }
    }
}

/// One hit: which right, where in the original text, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct TextHit {
    /// The right whose mark matched.
    pub right_id: Arc<str>,
    /// The mark or alias that matched, as registered.
    pub term: Arc<str>,
    /// The field searched.
    pub field: Field,
    /// How it matched.
    pub method: Method,
    /// Byte offset of the match in the original text.
    pub start: usize,
    /// Byte offset just past the match in the original text.
    pub end: usize,
    /// The original text of the match, `text[start..end]`.
    pub matched: String,
    /// Confidence in (0, 1]: 1 for an exact whole-word match, lower for each
    /// evasion undone, lower still inside a longer word.
    pub score: f32,
}

/// Why an index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A right without an id.
    #[error("mark spec #{0} has an empty right id")]
    EmptyRightId(usize),
    /// A right with a class outside 1–45.
    #[error("right {right_id}: {source}")]
    Class {
        /// The right.
        right_id: String,
        /// The bad class.
        source: ClassError,
    },
    /// The thread building the fuzzy index panicked (a bug).
    #[error("building the fuzzy index failed")]
    FuzzyIndex,
    /// The automaton could not be built (too many or too long patterns).
    #[error("building the mark automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

#[derive(Debug)]
struct Right {
    id: Arc<str>,
    classes: ClassSet,
}

#[derive(Debug)]
struct Term {
    right: u32,
    text: Arc<str>,
    /// Four letters or fewer: whole words only, never fuzzy.
    short: bool,
    /// Written in a CJK script: matched anywhere.
    cjk: bool,
    /// Has "rn", which folds to "m" (so "m" in a listing may stand for it).
    rn: bool,
}

/// How a pattern relates to a term.
#[derive(Debug, Clone, Copy)]
struct PatternRef {
    term: u32,
    /// The pattern is the term's words run together.
    joined: bool,
}

/// All marks of all rights, folded, in one automaton, with the fuzzy index.
#[derive(Debug)]
pub struct TextIndex {
    rights: Vec<Right>,
    terms: Vec<Term>,
    /// Patterns of one word (no space), which match inside one token: run
    /// only over tokens that are not dictionary words (see `find_with`).
    ac: Option<AhoCorasick>,
    /// Patterns with a space (and CJK terms), run over the whole text.
    /// Their entries in `ref_at` follow those of `ac`, from `spanning_at`.
    ac_spanning: Option<AhoCorasick>,
    spanning_at: usize,
    /// The one-word automaton patterns that are dictionary words, by their
    /// bytes: the only ones that can match a dictionary-word token.
    dict_patterns: FxHashMap<Box<[u8]>, u32>,
    /// Whole-word-only patterns (short marks), by packed key.
    short: FxHashMap<u64, u32>,
    /// `refs[ref_at[p]..ref_at[p + 1]]` are pattern `p`'s terms.
    ref_at: Vec<u32>,
    refs: Vec<PatternRef>,
    fuzzy: fuzzy::DeletionIndex,
    /// Some fuzzy term has several words (then word pairs are queried too).
    fuzzy_pairs: bool,
    /// The words of fuzzy terms of several words: in a word pair, a
    /// dictionary word must be one of them ("louis" in "Louis Vuiton").
    pair_words: FxHashSet<Box<[u8]>>,
}

/// Per-thread working memory for [`TextIndex::find_with`].
#[derive(Debug, Default)]
pub struct Scratch {
    folded: Folded,
    toks: Vec<Tok>,
    cands: Vec<Cand>,
    whole_tokens: Vec<(u32, u32)>,
    fuzzy_out: Vec<(u32, u8)>,
    fuzzy_seen: Vec<u32>,
    pair: Vec<u8>,
}

/// A space-delimited token of the folded text.
#[derive(Debug, Clone, Copy)]
struct Tok {
    start: usize,
    end: usize,
    /// ASCII lower-case letters only.
    alpha: bool,
    /// ASCII lower-case letters and non-ASCII bytes only (and not `alpha`).
    intl: bool,
    /// Has a soft boundary inside.
    soft: bool,
    /// `alpha` and a dictionary word.
    dict: bool,
}

/// Splits the folded text into tokens, in one pass.
fn tokenize(f: &Folded, toks: &mut Vec<Tok>) {
    toks.clear();
    let mut start = 0usize;
    let mut alpha = true;
    let mut letters = true;
    let mut soft = false;
    for (k, &b) in f.out.iter().enumerate() {
        if b == b' ' {
            if k > start {
                toks.push(Tok {
                    start,
                    end: k,
                    alpha,
                    intl: letters && !alpha,
                    soft,
                    dict: alpha && dict::is_word(&f.out[start..k]),
                });
            }
            start = k + 1;
            alpha = true;
            letters = true;
            soft = false;
        } else {
            alpha &= b.is_ascii_lowercase();
            letters &= b.is_ascii_lowercase() || b >= 0x80;
            soft |= k > start && f.meta[k].soft;
        }
    }
    if f.out.len() > start {
        toks.push(Tok {
            start,
            end: f.out.len(),
            alpha,
            intl: letters && !alpha,
            soft,
            dict: alpha && dict::is_word(&f.out[start..]),
        });
    }
}

#[derive(Debug, Clone, Copy)]
struct Cand {
    term: u32,
    right: u32,
    /// Folded span.
    fs: u32,
    fe: u32,
    method: Method,
    score: f32,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl TextIndex {
    /// Builds the index. Rights with no textual mark (image-only) are kept
    /// out; their ids never appear in hits.
    pub fn build(specs: &[MarkSpec]) -> Result<TextIndex, BuildError> {
        let mut rights = Vec::with_capacity(specs.len());
        let mut terms: Vec<Term> = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut pattern_refs: Vec<Vec<PatternRef>> = Vec::new();
        let mut fuzzy_terms: Vec<(u32, Box<[u8]>, bool)> = Vec::new();
        let mut fuzzy_pairs = false;
        let mut pair_words: FxHashSet<Box<[u8]>> = FxHashSet::default();

        for (n, spec) in specs.iter().enumerate() {
            if spec.right_id.trim().is_empty() {
                return Err(BuildError::EmptyRightId(n));
            }
            let classes = if spec.nice_classes.is_empty() {
                ClassSet::ALL
            } else {
                ClassSet::from_classes(spec.nice_classes.iter().copied()).map_err(|source| {
                    BuildError::Class {
                        right_id: spec.right_id.clone(),
                        source,
                    }
                })?
            };
            let right = rights.len() as u32;
            rights.push(Right {
                id: Arc::from(spec.right_id.as_str()),
                classes,
            });
            let mut seen_forms: Vec<String> = Vec::new();
            for raw in std::iter::once(&spec.mark).chain(&spec.aliases) {
                let plain = fold::fold_str(raw);
                if plain.is_empty() || seen_forms.contains(&plain) {
                    continue;
                }
                seen_forms.push(plain.clone());
                let letters = raw.chars().filter(|c| c.is_alphanumeric()).count();
                let cjk = raw.chars().any(fold::is_cjk);
                let term = terms.len() as u32;
                terms.push(Term {
                    right,
                    text: Arc::from(raw.trim()),
                    short: letters <= 4,
                    cjk,
                    rn: raw.to_lowercase().contains("rn"),
                });
                let joined: String = plain.split(' ').collect();
                let mut add = |p: &str, joined: bool| {
                    let id = *pattern_ids.entry(p.to_owned()).or_insert_with(|| {
                        patterns.push(p.to_owned());
                        pattern_refs.push(Vec::new());
                        patterns.len() as u32 - 1
                    });
                    pattern_refs[id as usize].push(PatternRef { term, joined });
                };
                add(&plain, false);
                if joined != plain {
                    add(&joined, true);
                }
                // "Dolce & Gabbana" is also written "DolceGabbana".
                if plain.contains(" and ") {
                    let bare: String = plain.split(' ').filter(|w| *w != "and").collect();
                    if bare.len() >= 5 {
                        add(&bare, true);
                    }
                }
                if !cjk && letters >= 5 && joined.chars().all(char::is_alphabetic) {
                    if plain.contains(' ') {
                        fuzzy_pairs = true;
                        pair_words.extend(plain.split(' ').map(|w| w.as_bytes().into()));
                    }
                    fuzzy_terms.push((
                        term,
                        joined.into_bytes().into_boxed_slice(),
                        plain.contains(' '),
                    ));
                }
            }
        }

        // Patterns of short marks only go to the word map, the rest to one
        // of two automata: one-word patterns, and those with a space or of a
        // CJK term. The reference table is laid out in automaton order
        // (pattern k of the one-word automaton is entry k, pattern k of the
        // other `spanning_at + k`), then the short patterns.
        let mut order: Vec<usize> = Vec::with_capacity(patterns.len());
        let mut long: Vec<&str> = Vec::new();
        let mut spanning: Vec<(&str, usize)> = Vec::new();
        let mut short_pats: Vec<(u64, usize)> = Vec::new();
        let mut dict_patterns = FxHashMap::default();
        for (id, p) in patterns.iter().enumerate() {
            let refs = &pattern_refs[id];
            let all_short = refs.iter().all(|r| {
                let t = &terms[r.term as usize];
                t.short && !t.cjk
            });
            let any_cjk = refs.iter().any(|r| terms[r.term as usize].cjk);
            match short_key(p.as_bytes()) {
                Some(k) if all_short && !p.contains(' ') => short_pats.push((k, id)),
                _ if p.contains(' ') || any_cjk => spanning.push((p, id)),
                _ => {
                    if dict::is_word(p.as_bytes()) {
                        dict_patterns.insert(p.as_bytes().into(), order.len() as u32);
                    }
                    long.push(p);
                    order.push(id);
                }
            }
        }
        let spanning_at = order.len();
        let spanning_pats: Vec<&str> = spanning.iter().map(|&(p, _)| p).collect();
        order.extend(spanning.iter().map(|&(_, id)| id));
        let mut short = FxHashMap::default();
        for (k, id) in short_pats {
            short.insert(k, order.len() as u32);
            order.push(id);
        }
        // The automaton and the fuzzy index are built side by side (each
        // takes about half the build for 100k marks).
        let (ac, ac_spanning, fuzzy) = std::thread::scope(|scope| {
            let fuzzy = scope.spawn(|| fuzzy::DeletionIndex::build(fuzzy_terms));
            (automaton(&long), automaton(&spanning_pats), fuzzy.join())
        });
        let (ac, ac_spanning) = (ac?, ac_spanning?);
        let fuzzy = fuzzy.map_err(|_| BuildError::FuzzyIndex)?;
        let mut ref_at = Vec::with_capacity(order.len() + 1);
        let mut refs = Vec::new();
        for id in order {
            ref_at.push(refs.len() as u32);
            refs.extend(pattern_refs[id].iter().copied());
        }
        ref_at.push(refs.len() as u32);
        // Build the dictionary now rather than inside the first `find`.
        let _ = dict::words();
        Ok(TextIndex {
            rights,
            terms,
            ac,
            ac_spanning,
            spanning_at,
            dict_patterns,
            short,
            ref_at,
            refs,
            fuzzy,
            fuzzy_pairs,
            pair_words,
        })
    }

    /// Number of rights given to [`TextIndex::build`], image-only ones included.
    pub fn rights_len(&self) -> usize {
        self.rights.len()
    }

    /// Number of marks and aliases indexed.
    pub fn terms_len(&self) -> usize {
        self.terms.len()
    }

    /// Approximate heap size of the index in bytes (automaton, tables,
    /// fuzzy index); the shared dictionary table (512 KiB) is not counted.
    pub fn heap_bytes(&self) -> usize {
        self.ac.as_ref().map_or(0, |a| a.memory_usage())
            + self.ac_spanning.as_ref().map_or(0, |a| a.memory_usage())
            + self.dict_patterns.capacity() * 24
            + self.dict_patterns.keys().map(|k| k.len()).sum::<usize>()
            + self.short.capacity() * 16
            + self.terms.capacity() * std::mem::size_of::<Term>()
            + self.terms.iter().map(|t| t.text.len() + 16).sum::<usize>()
            + self.rights.capacity() * std::mem::size_of::<Right>()
            + self.rights.iter().map(|r| r.id.len() + 16).sum::<usize>()
            + self.refs.capacity() * std::mem::size_of::<PatternRef>()
            + self.ref_at.capacity() * 4
            + self.fuzzy.heap_bytes()
    }

    /// Finds the marks of rights whose classes meet `classes` in `text`,
    /// using a per-thread scratch buffer.
    pub fn find(&self, field: Field, text: &str, classes: &ClassSet) -> Vec<TextHit> {
        SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut scratch) => self.find_with(&mut scratch, field, text, classes),
            Err(_) => self.find_with(&mut Scratch::default(), field, text, classes),
        })
    }

    /// [`TextIndex::find`] with caller-owned working memory.
    pub fn find_with(
        &self,
        scratch: &mut Scratch,
        field: Field,
        text: &str,
        classes: &ClassSet,
    ) -> Vec<TextHit> {
        if text.is_empty()
            || (self.ac.is_none() && self.ac_spanning.is_none() && self.short.is_empty())
        {
            return Vec::new();
        }
        let s = scratch;
        s.folded.fold(text);
        s.cands.clear();
        s.whole_tokens.clear();
        let f = &s.folded;
        tokenize(f, &mut s.toks);
        if let Some(ac) = &self.ac_spanning {
            for m in ac.find_overlapping_iter(f.out.as_slice()) {
                let p = self.spanning_at + m.pattern().as_usize();
                self.consider(
                    f,
                    text,
                    classes,
                    p,
                    m.start(),
                    m.end(),
                    &mut s.cands,
                    &mut s.whole_tokens,
                );
            }
        }
        if let Some(ac) = &self.ac {
            self.find_within_tokens(
                ac,
                f,
                &s.toks,
                text,
                classes,
                &mut s.cands,
                &mut s.whole_tokens,
            );
        }
        if !self.short.is_empty() {
            self.find_short(f, &s.toks, text, classes, &mut s.cands, &mut s.whole_tokens);
        }
        if !self.fuzzy.is_empty() {
            self.find_fuzzy(s, classes);
        }
        self.collect(s, field, text)
    }

    /// One-word patterns. A match inside a token that is a dictionary word
    /// is never a hit unless it is the whole token (a short mark needs a
    /// whole word or a plural that is not a word; a longer one inside a
    /// word needs that word not to be in the dictionary), and most tokens
    /// of a listing are dictionary words. So a dictionary-word token (with
    /// no soft boundary) is one lookup of the whole token, and the
    /// automaton runs only over the runs of other tokens: the same hits as
    /// a scan of the whole text, for a fraction of the automaton's walk
    /// (which at 100k marks is a cache miss a byte).
    #[allow(clippy::too_many_arguments)]
    fn find_within_tokens(
        &self,
        ac: &AhoCorasick,
        f: &Folded,
        toks: &[Tok],
        text: &str,
        classes: &ClassSet,
        cands: &mut Vec<Cand>,
        whole_tokens: &mut Vec<(u32, u32)>,
    ) {
        let scan = |a: usize, b: usize, cands: &mut Vec<Cand>, wt: &mut Vec<(u32, u32)>| {
            let input = aho_corasick::Input::new(f.out.as_slice()).span(a..b);
            for m in ac.find_overlapping_iter(input) {
                let p = m.pattern().as_usize();
                self.consider(f, text, classes, p, m.start(), m.end(), cands, wt);
            }
        };
        let mut run: Option<(usize, usize)> = None;
        for t in toks {
            if t.dict && !t.soft {
                if let Some((a, b)) = run.take() {
                    scan(a, b, cands, whole_tokens);
                }
                if let Some(&p) = self.dict_patterns.get(&f.out[t.start..t.end]) {
                    self.consider(
                        f,
                        text,
                        classes,
                        p as usize,
                        t.start,
                        t.end,
                        cands,
                        whole_tokens,
                    );
                }
            } else {
                run = Some((run.map_or(t.start, |r| r.0), t.end));
            }
        }
        if let Some((a, b)) = run {
            scan(a, b, cands, whole_tokens);
        }
    }

    /// Applies the precision rules to pattern `p` found at folded `[ms, me)`.
    #[allow(clippy::too_many_arguments)]
    fn consider(
        &self,
        f: &Folded,
        text: &str,
        classes: &ClassSet,
        p: usize,
        ms: usize,
        me: usize,
        cands: &mut Vec<Cand>,
        whole_tokens: &mut Vec<(u32, u32)>,
    ) {
        let whole = f.starts_word(ms) && f.ends_word(me);
        if (ms == 0 || f.out[ms - 1] == b' ') && (me == f.out.len() || f.out[me] == b' ') {
            whole_tokens.push((ms as u32, me as u32));
        }
        let mut dict_checked: Option<bool> = None;
        for r in &self.refs[self.ref_at[p] as usize..self.ref_at[p + 1] as usize] {
            let term = &self.terms[r.term as usize];
            let right = &self.rights[term.right as usize];
            if !right.classes.meets(*classes) {
                continue;
            }
            let mut plural = false;
            let embedded = if term.cjk || whole {
                false
            } else if term.short {
                // A plural that is not itself a word: "Nikes", "Legos" (not "doves").
                plural = f.starts_word(ms)
                    && f.out.get(me) == Some(&b's')
                    && f.ends_word(me + 1)
                    && !dict::is_word(&f.out[ms..me + 1]);
                if !plural {
                    continue;
                }
                false
            } else {
                let in_word = *dict_checked.get_or_insert_with(|| {
                    let (ts, te) = f.token_around(ms, me);
                    dict::is_word(&f.out[ts..te])
                });
                if in_word {
                    continue;
                }
                true
            };
            // Glued to other letters ("NikeAirMax"): joined, even at a case change.
            let glued = !term.cjk
                && !plural
                && (ms > 0 && f.out[ms - 1].is_ascii_lowercase()
                    || f.out.get(me).is_some_and(|b| b.is_ascii_lowercase()));
            let original = text_of(f, text, ms, me);
            // Through the "rn"/"m" merge, a dictionary word is not another
            // spelling of a mark ("modern" is not MODEM, "stem" is not
            // STERN) unless it spells the mark itself.
            if (term.rn || f.meta[ms..me].iter().any(|m| m.flags & F_RN != 0))
                && !same_words(original, &term.text)
            {
                let (ts, te) = f.token_around(ms, me);
                if dict::is_word(&f.out[ts..te]) {
                    continue;
                }
            }
            let method = explain(f, ms, me, original, &term.text, r.joined || glued, term.rn);
            let mut score = method.base_score();
            if embedded {
                score *= 0.9;
            }
            cands.push(Cand {
                term: r.term,
                right: term.right,
                fs: ms as u32,
                fe: me as u32,
                method,
                score,
            });
        }
    }

    /// Short marks match whole words only, so rather than run them through
    /// the automaton (where "x" or "go" would match inside every other
    /// word), each word between hard or soft boundaries (or a run of such
    /// words) of up to seven bytes is looked up in a hash map, with and
    /// without a plural "s".
    fn find_short(
        &self,
        f: &Folded,
        toks: &[Tok],
        text: &str,
        classes: &ClassSet,
        cands: &mut Vec<Cand>,
        whole_tokens: &mut Vec<(u32, u32)>,
    ) {
        let out = &f.out;
        let mut bounds = [0usize; 16];
        for t in toks {
            if !t.soft && t.end - t.start > SHORT_MAX + 1 {
                continue;
            }
            let mut n = 0;
            bounds[n] = t.start;
            n += 1;
            if t.soft {
                for k in t.start + 1..t.end {
                    if f.meta[k].soft && n < bounds.len() - 1 {
                        bounds[n] = k;
                        n += 1;
                    }
                }
            }
            bounds[n] = t.end;
            n += 1;
            for i in 0..n {
                for j in i + 1..n {
                    let (a, b) = (bounds[i], bounds[j]);
                    if b - a > SHORT_MAX + 1 {
                        break;
                    }
                    if let Some(&p) = short_key(&out[a..b]).and_then(|k| self.short.get(&k)) {
                        self.consider(f, text, classes, p as usize, a, b, cands, whole_tokens);
                    }
                    let plural = (b - a >= 2 && out[b - 1] == b's')
                        .then(|| short_key(&out[a..b - 1]).and_then(|k| self.short.get(&k)))
                        .flatten();
                    if let Some(&p) = plural {
                        self.consider(f, text, classes, p as usize, a, b - 1, cands, whole_tokens);
                    }
                }
            }
        }
    }

    /// Fuzzy candidates: tokens that are not dictionary words (and word
    /// pairs, for terms of several words), where some term is within reach
    /// of their length. The dictionary is consulted only then.
    fn find_fuzzy(&self, s: &mut Scratch, classes: &ClassSet) {
        let f = &s.folded;
        let out = &f.out;
        let eligible = |t: &Tok, tok: &[u8]| {
            tok.len() >= 4 && !(if t.alpha { t.dict } else { dict::is_word(tok) })
        };
        // The previous token, its length in characters, and whether it is
        // eligible if already known.
        let mut prev: Option<(Tok, usize, Option<bool>)> = None;
        for t in &s.toks {
            let (pos, te) = (t.start, t.end);
            let tok = &out[pos..te];
            // Letters only: ASCII, or any script but CJK ("москва").
            let len = if t.alpha {
                Some(te - pos)
            } else if t.intl {
                std::str::from_utf8(tok)
                    .ok()
                    .filter(|w| w.chars().all(|c| c.is_alphabetic() && !fold::is_cjk(c)))
                    .map(|w| w.chars().count())
            } else {
                None
            };
            let exact = s.whole_tokens.contains(&(pos as u32, te as u32));
            let candidate = len.is_some() && !exact;
            let len = len.unwrap_or(0);
            let mut this: Option<bool> = None;
            if candidate
                && self.fuzzy.may_match(len, false)
                && *this.get_or_insert_with(|| eligible(t, tok))
            {
                s.fuzzy_out.clear();
                self.fuzzy
                    .query(tok, false, &mut s.fuzzy_out, &mut s.fuzzy_seen);
                for &(term, d) in &s.fuzzy_out {
                    push_fuzzy(
                        &mut s.cands,
                        &self.terms,
                        &self.rights,
                        classes,
                        term,
                        d,
                        pos,
                        te,
                    );
                }
            }
            // A pair needs a misspelt word (not in the dictionary), and any
            // dictionary word in it must be a word of some term.
            if let Some((pt, prev_len, prev_ok)) = prev
                && self.fuzzy_pairs
                && candidate
                && self.fuzzy.may_match(prev_len + len, true)
            {
                let (ps, pe) = (pt.start, pt.end);
                let prev_tok = &out[ps..pe];
                let prev_ok = prev_ok.unwrap_or_else(|| eligible(&pt, prev_tok));
                let this_ok = *this.get_or_insert_with(|| eligible(t, tok));
                let fits = |ok: bool, t: &[u8]| ok || self.pair_words.contains(t);
                if !((prev_ok || this_ok) && fits(prev_ok, prev_tok) && fits(this_ok, tok)) {
                    prev = Some((*t, len, Some(this_ok)));
                    continue;
                }
                s.pair.clear();
                s.pair.extend_from_slice(&out[ps..pe]);
                s.pair.extend_from_slice(tok);
                s.fuzzy_out.clear();
                self.fuzzy
                    .query(&s.pair, true, &mut s.fuzzy_out, &mut s.fuzzy_seen);
                for &(term, d) in &s.fuzzy_out {
                    push_fuzzy(
                        &mut s.cands,
                        &self.terms,
                        &self.rights,
                        classes,
                        term,
                        d,
                        ps,
                        te,
                    );
                }
            }
            prev = candidate.then_some((*t, len, this));
        }
    }

    /// Keeps the best hit per right where hits overlap, and maps spans back.
    fn collect(&self, s: &mut Scratch, field: Field, text: &str) -> Vec<TextHit> {
        let cands = &mut s.cands;
        if cands.is_empty() {
            return Vec::new();
        }
        cands.sort_by(|a, b| {
            (a.right, a.fs)
                .cmp(&(b.right, b.fs))
                .then(b.score.total_cmp(&a.score))
                .then((b.fe - b.fs).cmp(&(a.fe - a.fs)))
        });
        let mut kept: Vec<Cand> = Vec::with_capacity(cands.len());
        for c in cands.iter() {
            match kept.last_mut() {
                Some(k) if k.right == c.right && c.fs < k.fe => {
                    let better =
                        c.score > k.score || (c.score == k.score && c.fe - c.fs > k.fe - k.fs);
                    if better {
                        *k = *c;
                    }
                }
                _ => kept.push(*c),
            }
        }
        kept.sort_by_key(|c| (c.fs, c.right));
        let f = &s.folded;
        kept.into_iter()
            .map(|c| {
                let (start, end) = orig_span(f, c.fs as usize, c.fe as usize);
                let term = &self.terms[c.term as usize];
                TextHit {
                    right_id: self.rights[c.right as usize].id.clone(),
                    term: term.text.clone(),
                    field,
                    method: c.method,
                    start,
                    end,
                    matched: text.get(start..end).unwrap_or_default().to_owned(),
                    score: c.score,
                }
            })
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
fn push_fuzzy(
    cands: &mut Vec<Cand>,
    terms: &[Term],
    rights: &[Right],
    classes: &ClassSet,
    term: u32,
    d: u8,
    fs: usize,
    fe: usize,
) {
    let t = &terms[term as usize];
    if !rights[t.right as usize].classes.meets(*classes) {
        return;
    }
    let method = Method::Fuzzy { distance: d };
    cands.push(Cand {
        term,
        right: t.right,
        fs: fs as u32,
        fe: fe as u32,
        method,
        score: method.base_score(),
    });
}

/// Up to this many automaton patterns the index uses a DFA.
const DFA_MAX_PATTERNS: usize = 25_000;

/// An automaton of `patterns` (none if there are none). A DFA (no failure
/// transitions at search time) is the fastest automaton while it fits in
/// cache: about 3 KB a mark, so 16 MB more for 10k marks. Past
/// DFA_MAX_PATTERNS it costs more in cache misses than it saves (measured at
/// 100k marks: 0.38 of the ceiling against 0.45 for the contiguous NFA) and
/// its memory grows past the budget.
fn automaton(patterns: &[&str]) -> Result<Option<AhoCorasick>, aho_corasick::BuildError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let kind = (patterns.len() <= DFA_MAX_PATTERNS).then_some(AhoCorasickKind::DFA);
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(kind)
        .build(patterns)
        .map(Some)
}

/// Longest pattern kept in the short-mark map (bytes).
const SHORT_MAX: usize = 7;

/// A pattern of up to seven bytes packed into a map key.
fn short_key(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > SHORT_MAX {
        return None;
    }
    let mut k = (bytes.len() as u64) << 56;
    for (i, &b) in bytes.iter().enumerate() {
        k |= u64::from(b) << (8 * i);
    }
    Some(k)
}

fn orig_span(f: &Folded, fs: usize, fe: usize) -> (usize, usize) {
    (f.meta[fs].start as usize, f.meta[fe - 1].end as usize)
}

fn text_of<'t>(f: &Folded, text: &'t str, fs: usize, fe: usize) -> &'t str {
    let (a, b) = orig_span(f, fs, fe);
    text.get(a..b).unwrap_or_default()
}

/// Names the evasion behind a match from the flags of its folded bytes.
fn explain(
    f: &Folded,
    fs: usize,
    fe: usize,
    original: &str,
    term: &str,
    joined: bool,
    term_rn: bool,
) -> Method {
    let flags = f.meta[fs..fe].iter().fold(0u8, |a, m| a | m.flags);
    if flags & F_SPACED != 0 {
        Method::Spaced
    } else if joined {
        Method::Joined
    } else if same_words(original, term) {
        Method::Exact
    } else if flags & F_HOMOGLYPH != 0 || (flags & F_RN != 0 && !term_rn) {
        // "rn" written for "m" ("Arrnani") is a confusable too.
        Method::Homoglyph
    } else if flags & F_LEET != 0 {
        Method::Leet
    } else if flags & F_FOLDED != 0 || !term.is_ascii() {
        // The listing has the compatibility form or diacritic, or the mark
        // has one the listing dropped ("Hermes" for HERMÈS).
        Method::Folded
    } else {
        // Only the i/l or rn/m merge is left: "NlKE" for NIKE, "Hombach"
        // for HORNBACH.
        Method::Homoglyph
    }
}

/// Equal ignoring case, spaces, punctuation and "&" versus "and"; invisible
/// characters and compatibility forms still count as differences.
fn same_words(a: &str, b: &str) -> bool {
    fn chars(s: &str) -> impl Iterator<Item = char> + '_ {
        s.chars().flat_map(|c| {
            let amp = c == '&';
            let keep = !amp
                && !c.is_whitespace()
                && !c.is_ascii_punctuation()
                && !matches!(c, '\u{2010}'..='\u{2015}');
            (amp.then_some("and".chars()).into_iter().flatten())
                .chain(c.to_lowercase().filter(move |_| keep))
        })
    }
    chars(a).eq(chars(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str, mark: &str, aliases: &[&str], classes: &[u16]) -> MarkSpec {
        MarkSpec {
            right_id: id.into(),
            mark: mark.into(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            nice_classes: classes.to_vec(),
        }
    }

    fn index() -> TextIndex {
        TextIndex::build(&[
            spec("nike", "Nike", &["耐克", "Air Max"], &[25]),
            spec("apple", "Apple", &[], &[9]),
            spec("dove", "Dove", &[], &[3]),
            spec("lego", "LEGO", &[], &[28]),
            spec("lv", "Louis Vuitton", &["LV", "Vuitton"], &[18, 25]),
            spec("chanel", "Chanel", &[], &[3, 25]),
            spec("tnf", "The North Face", &["North Face"], &[25]),
            spec("rayban", "Ray-Ban", &[], &[9]),
            spec("dg", "Dolce & Gabbana", &[], &[25]),
            spec("bal", "Balenciaga", &[], &[25]),
            spec("swa", "Swarovski", &[], &[14]),
            spec("mk", "Michael Kors", &[], &[18]),
            spec("hermes", "Hermès", &[], &[18]),
            spec("armani", "Armani", &[], &[25]),
            spec("modem", "Modem", &[], &[9]),
            spec("stern", "Stern", &[], &[14]),
            spec("burn", "Burn", &[], &[32]),
            spec("x5", "Пятёрочка", &[], &[35]),
            spec("kotsovolos", "Κωτσόβολος", &[], &[9]),
            spec("img", "", &[], &[25]),
        ])
        .expect("index builds")
    }

    fn all() -> ClassSet {
        ClassSet::ALL
    }

    fn hits(ix: &TextIndex, text: &str) -> Vec<(String, String, String)> {
        ix.find(Field::Title, text, &all())
            .into_iter()
            .map(|h| (h.right_id.to_string(), h.method.to_string(), h.matched))
            .collect()
    }

    fn one(ix: &TextIndex, text: &str) -> (String, String, String) {
        let h = hits(ix, text);
        assert_eq!(h.len(), 1, "{text}: {h:?}");
        h.into_iter().next().expect("one hit")
    }

    fn t(a: &str, b: &str, c: &str) -> (String, String, String) {
        (a.into(), b.into(), c.into())
    }

    #[test]
    fn names_each_evasion() {
        let ix = index();
        assert_eq!(one(&ix, "Nike running shoes"), t("nike", "exact", "Nike"));
        assert_eq!(
            one(&ix, "new ＮＩＫＥ shoes"),
            t("nike", "folded", "ＮＩＫＥ")
        );
        assert_eq!(one(&ix, "Nïke shoes"), t("nike", "folded", "Nïke"));
        assert_eq!(
            one(&ix, "Ni\u{200B}ke shoes"),
            t("nike", "folded", "Ni\u{200B}ke")
        );
        assert_eq!(
            one(&ix, "сhаnеl perfume"),
            t("chanel", "homoglyph", "сhаnеl")
        );
        assert_eq!(one(&ix, "N1ke shoes"), t("nike", "leet", "N1ke"));
        assert_eq!(one(&ix, "Ch@nel bag"), t("chanel", "leet", "Ch@nel"));
        assert_eq!(one(&ix, "N.I.K.E shoes"), t("nike", "spaced", "N.I.K.E"));
        assert_eq!(
            one(&ix, "genuine northface jacket"),
            t("tnf", "joined", "northface")
        );
        assert_eq!(one(&ix, "rayban glasses"), t("rayban", "joined", "rayban"));
        assert_eq!(
            one(&ix, "Dolce and Gabbana dress"),
            t("dg", "exact", "Dolce and Gabbana")
        );
        assert_eq!(
            one(&ix, "Dolce&Gabbana dress"),
            t("dg", "exact", "Dolce&Gabbana")
        );
        assert_eq!(one(&ix, "Vuiton wallet"), t("lv", "fuzzy(1)", "Vuiton"));
        assert_eq!(
            one(&ix, "Balenciagga sneakers"),
            t("bal", "fuzzy(1)", "Balenciagga")
        );
        assert_eq!(
            one(&ix, "Swarovksi crystal"),
            t("swa", "fuzzy(1)", "Swarovksi")
        );
        assert_eq!(
            one(&ix, "Micheal Kors purse"),
            t("mk", "fuzzy(1)", "Micheal Kors")
        );
        assert_eq!(one(&ix, "正品耐克运动鞋"), t("nike", "exact", "耐克"));
    }

    #[test]
    fn rn_for_m_is_a_homoglyph() {
        let ix = index();
        assert_eq!(
            one(&ix, "Arrnani jeans"),
            t("armani", "homoglyph", "Arrnani")
        );
        assert_eq!(
            one(&ix, "rnichael kors bag"),
            t("mk", "homoglyph", "rnichael kors")
        );
        assert_eq!(
            one(&ix, "ARRNANI suit"),
            t("armani", "homoglyph", "ARRNANI")
        );
        // A mark with "rn" still matches itself, exactly.
        assert_eq!(one(&ix, "Stern watch"), t("stern", "exact", "Stern"));
        assert_eq!(one(&ix, "Modem router"), t("modem", "exact", "Modem"));
        assert_eq!(one(&ix, "Burn energy"), t("burn", "exact", "Burn"));
    }

    #[test]
    fn rn_for_m_does_not_turn_words_into_marks() {
        let ix = index();
        // "modern" folds like "modem", "stem" like "stern", "bum" like "burn":
        // dictionary words that do not spell the mark are not hits.
        for text in [
            "modern art print",
            "MODERN lamp",
            "flower stem vase",
            "bum bag",
            "corner shelf",
        ] {
            assert!(hits(&ix, text).is_empty(), "{text}: {:?}", hits(&ix, text));
        }
        // Nor are they fuzzy: "modern" is a word, not a misspelt mark.
        assert!(hits(&ix, "modernist chair").is_empty());
    }

    #[test]
    fn fuzzy_matching_works_outside_ascii() {
        let ix = index();
        assert_eq!(
            one(&ix, "магазин Пятерочко"),
            t("x5", "fuzzy(1)", "Пятерочко")
        );
        assert_eq!(one(&ix, "скидки Пятёрчка"), t("x5", "fuzzy(1)", "Пятёрчка"));
        assert_eq!(
            one(&ix, "Κωτσόβολλος τηλεόραση"),
            t("kotsovolos", "fuzzy(1)", "Κωτσόβολλος")
        );
        // An accented misspelling of an accented mark.
        assert_eq!(one(&ix, "Hèrmes belt"), t("hermes", "folded", "Hèrmes"));
        assert_eq!(one(&ix, "Hérmmes belt"), t("hermes", "fuzzy(1)", "Hérmmes"));
        // Too far, or a dictionary word: nothing.
        assert!(hits(&ix, "магазин Пятница").is_empty());
        assert!(hits(&ix, "Hermit crab").is_empty());
    }

    #[test]
    fn camel_case_joins_find_every_mark() {
        let ix = index();
        let h = hits(&ix, "NikeAirMax 90");
        assert_eq!(
            h,
            [t("nike", "joined", "Nike"), t("nike", "joined", "AirMax")]
        );
        assert_eq!(
            one(&ix, "LouisVuitton bag"),
            t("lv", "joined", "LouisVuitton")
        );
    }

    #[test]
    fn short_marks_match_whole_words_only() {
        let ix = index();
        assert!(hits(&ix, "Dovetail joint").is_empty());
        assert!(hits(&ix, "Legolas figure").is_empty());
        assert_eq!(one(&ix, "Dove soap"), t("dove", "exact", "Dove"));
        assert_eq!(one(&ix, "LEGO bricks"), t("lego", "exact", "LEGO"));
        assert_eq!(one(&ix, "Legos for kids"), t("lego", "exact", "Lego"));
        assert!(hits(&ix, "two doves").is_empty());
    }

    #[test]
    fn marks_are_not_found_inside_dictionary_words() {
        let ix = index();
        assert!(hits(&ix, "Pineapple slices").is_empty());
        assert_eq!(
            one(&ix, "superapple charger"),
            t("apple", "joined", "apple")
        );
    }

    #[test]
    fn dictionary_words_are_never_fuzzy() {
        let ix = index();
        assert!(hits(&ix, "Channel island tour").is_empty());
        assert_eq!(one(&ix, "Chanle bag"), t("chanel", "fuzzy(1)", "Chanle"));
    }

    #[test]
    fn multi_word_marks_need_all_their_words() {
        let ix = index();
        assert!(hits(&ix, "north of the river, face cream").is_empty());
        assert!(hits(&ix, "Louis Armstrong record").is_empty());
    }

    #[test]
    fn class_gating_keeps_only_rights_of_the_listing_classes() {
        let ix = index();
        let food = ClassSet::from_classes([29, 30, 31]).expect("classes");
        let phones = ClassSet::from_classes([9]).expect("classes");
        assert!(ix.find(Field::Title, "Fresh Apple Fruit", &food).is_empty());
        assert_eq!(ix.find(Field::Title, "Apple iPhone case", &phones).len(), 1);
        assert!(
            ix.find(Field::Title, "Fresh Apple Fruit", &ClassSet::EMPTY)
                .is_empty()
        );
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let ix = index();
        let text = "Bolsa ＬＯＵＩＳ Vuittón — original";
        let h = ix.find(Field::Description, text, &all());
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(&text[h[0].start..h[0].end], "ＬＯＵＩＳ Vuittón");
        assert_eq!(h[0].matched, "ＬＯＵＩＳ Vuittón");
        assert_eq!(h[0].field, Field::Description);
        assert_eq!(&*h[0].term, "Louis Vuitton");
        assert_eq!(h[0].method, Method::Folded);
    }

    #[test]
    fn overlapping_hits_of_one_right_keep_the_best() {
        let ix = index();
        // "Louis Vuitton" and the alias "Vuitton" overlap: one hit, the mark.
        let h = ix.find(Field::Title, "Louis Vuitton bag", &all());
        assert_eq!(h.len(), 1);
        assert_eq!(&*h[0].term, "Louis Vuitton");
        assert_eq!(h[0].score, 1.0);
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(matches!(
            TextIndex::build(&[spec("", "Nike", &[], &[25])]),
            Err(BuildError::EmptyRightId(0))
        ));
        assert!(matches!(
            TextIndex::build(&[spec("x", "Nike", &[], &[46])]),
            Err(BuildError::Class { .. })
        ));
        assert!(
            TextIndex::build(&[])
                .expect("empty index")
                .find(Field::Title, "Nike", &all())
                .is_empty()
        );
    }
}
