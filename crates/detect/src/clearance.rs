//! Trademark clearance: given a proposed mark (and the classes it would be
//! used in), find the registered marks it would conflict with, ranked, each
//! with the reasons a trademark examiner would give.
//!
//! Where the listing matcher ([`crate::text`]) looks for a registered mark
//! *inside* long text, clearance compares two short marks *as wholes*, and
//! is deliberately more liberal: its answer is a ranked list for a person to
//! read, not an automatic takedown. The tests an examiner applies, each a
//! [`Reason`]:
//!
//! - **identical**: the same letters, ignoring case, width and spacing;
//! - **visual**: the same after replacing look-alike characters by their
//!   UTS #39 skeleton (Cyrillic "Е" for "E", "rn" for "m", "l" for "I");
//! - **folded**: the same once leet, diacritics and spelt-out letters are
//!   undone ("N1KE", "N.I.K.E");
//! - **spelling**: a few edits apart (insertion, deletion, substitution,
//!   transposition), scaled to the mark's length;
//! - **phonetic**: sounds the same in English (Double Metaphone: "Nyke",
//!   "Addidas");
//! - **pinyin**: a Chinese mark read aloud: "奈克" and "耐克" are both
//!   *naike*, and so is the Latin "Naike";
//! - **contains**: one mark is a whole word of the other ("NIKE SPORT"), or,
//!   for marks of five letters or more, sits inside it ("adidasoriginal").
//!
//! Each registered term (mark or alias) is prepared once when the index is
//! built (its folded, skeleton, phonetic and pinyin forms), so a search is
//! one pass over the terms with cheap comparisons: the cost grows linearly
//! with the number of registered terms (about a microsecond each), and not
//! with anything else. A class filter, when given, skips terms of rights
//! whose Nice classes do not meet it before any comparison.

use std::collections::HashMap;

use pinyin::ToPinyin;
use rphonetic::DoubleMetaphone;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::text::{ClassError, ClassSet, MarkSpec, fold_text};

/// The longest proposed mark accepted (characters).
pub const MAX_MARK_CHARS: usize = 200;
/// The most conflicts one search returns.
pub const MAX_RESULTS: usize = 100;

/// Why a proposed mark conflicts with a registered one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The same letters, ignoring case, width and spacing.
    Identical,
    /// The same after look-alike characters are replaced by their skeleton.
    Visual,
    /// The same once leet, diacritics and spelt-out letters are undone.
    Folded,
    /// `distance` edits apart.
    Spelling {
        /// Edit distance (optimal string alignment).
        distance: u8,
    },
    /// Sounds the same (Double Metaphone codes meet).
    Phonetic,
    /// Reads the same in Hanyu Pinyin.
    Pinyin,
    /// One is a whole word of the other.
    ContainsWord,
    /// One sits inside the other's letters.
    ContainsLetters,
}

impl Reason {
    /// How strongly this reason alone suggests a conflict (0–1).
    pub fn weight(self) -> f32 {
        match self {
            Reason::Identical => 1.0,
            Reason::Visual => 0.95,
            Reason::Folded => 0.9,
            Reason::Pinyin => 0.85,
            Reason::Spelling { distance: 1 } => 0.8,
            Reason::Phonetic => 0.75,
            Reason::ContainsWord => 0.7,
            Reason::Spelling { .. } => 0.65,
            Reason::ContainsLetters => 0.55,
        }
    }

    /// The reason's name, as serialised (`identical`, `spelling`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Reason::Identical => "identical",
            Reason::Visual => "visual",
            Reason::Folded => "folded",
            Reason::Spelling { .. } => "spelling",
            Reason::Phonetic => "phonetic",
            Reason::Pinyin => "pinyin",
            Reason::ContainsWord => "contains_word",
            Reason::ContainsLetters => "contains_letters",
        }
    }

    /// The edit distance of a spelling conflict.
    pub fn distance(self) -> Option<u8> {
        match self {
            Reason::Spelling { distance } => Some(distance),
            _ => None,
        }
    }

    /// The reason in a sentence, in English.
    pub fn describe(self) -> String {
        match self {
            Reason::Identical => "identical".into(),
            Reason::Visual => "looks the same (confusable characters)".into(),
            Reason::Folded => "the same once leet, accents or spacing are undone".into(),
            Reason::Spelling { distance } => format!("{distance} edit(s) apart"),
            Reason::Phonetic => "sounds the same".into(),
            Reason::Pinyin => "reads the same in pinyin".into(),
            Reason::ContainsWord => "one contains the other as a word".into(),
            Reason::ContainsLetters => "one contains the other's letters".into(),
        }
    }
}

/// One registered right the proposed mark conflicts with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// The right's id.
    pub right_id: String,
    /// The registered term (mark or alias) that conflicts.
    pub term: String,
    /// 0–1: the strongest reason's weight.
    pub score: f32,
    /// Every reason found, strongest first.
    pub reasons: Vec<Reason>,
    /// The Nice classes the right shares with the search (all of its classes
    /// when the search named none).
    pub shared_classes: Vec<u16>,
}

/// A proposed mark that cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClearanceError {
    /// Nothing to search for once spaces and punctuation are removed.
    #[error("the proposed mark has no letters or digits")]
    Empty,
    /// Longer than [`MAX_MARK_CHARS`].
    #[error("the proposed mark is longer than {MAX_MARK_CHARS} characters")]
    TooLong,
    /// A class outside 1–45.
    #[error(transparent)]
    Class(#[from] ClassError),
}

/// The forms of one mark that the tests compare.
#[derive(Debug, Clone)]
struct Forms {
    /// NFKC, lower case, letters and digits only.
    plain: String,
    /// UTS #39 skeleton of the lower-case text, letters and digits only.
    visual: String,
    /// The listing matcher's folding, letters and digits only.
    folded: String,
    /// Words of the folded form.
    words: Vec<String>,
    /// Double Metaphone codes (primary, alternate) of the folded-free
    /// plain Latin letters; empty for marks without three Latin letters.
    phonetic: Vec<String>,
    /// Hanyu Pinyin of the CJK characters (plain, no tones) with the Latin
    /// letters kept; `None` when the mark has no Chinese character.
    pinyin: Option<String>,
}

impl Forms {
    fn of(text: &str, metaphone: &DoubleMetaphone) -> Forms {
        let lower: String = text.nfkc().flat_map(char::to_lowercase).collect();
        let plain: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
        // Skeleton of the text as written (capital Greek "Μ" looks like
        // "M", small "μ" does not), lower-cased, then the skeleton again so
        // that look-alikes of lower-case letters ("rn" for "m") meet too.
        let nfkc: String = text.nfkc().collect();
        let once: String = unicode_security::skeleton(&nfkc)
            .flat_map(char::to_lowercase)
            .collect();
        let visual: String = unicode_security::skeleton(&once)
            .filter(|c| c.is_alphanumeric())
            .collect();
        let folded_text = fold_text(text);
        let words: Vec<String> = folded_text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        let folded = words.concat();
        let latin: String = plain.chars().filter(char::is_ascii_alphabetic).collect();
        let mut phonetic = Vec::new();
        if latin.len() >= 3 {
            let codes = metaphone.double_metaphone(&latin);
            for code in [codes.primary(), codes.alternate()] {
                if !code.is_empty() && !phonetic.contains(&code) {
                    phonetic.push(code);
                }
            }
        }
        let pinyin = plain.chars().any(|c| c.to_pinyin().is_some()).then(|| {
            plain
                .chars()
                .map(|c| match c.to_pinyin() {
                    Some(p) => p.plain().to_owned(),
                    None => c.to_string(),
                })
                .collect::<String>()
        });
        Forms {
            plain,
            visual,
            folded,
            words,
            phonetic,
            pinyin,
        }
    }

    /// The reasons `self` (proposed) conflicts with `other` (registered).
    fn reasons(&self, other: &Forms) -> Vec<Reason> {
        let mut out = Vec::new();
        if self.plain == other.plain {
            out.push(Reason::Identical);
        } else if self.visual == other.visual {
            out.push(Reason::Visual);
        } else if self.folded == other.folded {
            out.push(Reason::Folded);
        }
        if out.is_empty()
            && let Some(d) = spelling_distance(&self.folded, &other.folded)
        {
            out.push(Reason::Spelling { distance: d });
        }
        if !out.contains(&Reason::Identical)
            && self.phonetic.iter().any(|c| other.phonetic.contains(c))
        {
            out.push(Reason::Phonetic);
        }
        if let (Some(a), Some(b)) = (self.pinyin_or_latin(), other.pinyin_or_latin())
            && (self.pinyin.is_some() || other.pinyin.is_some())
            && a == b
            && self.plain != other.plain
        {
            out.push(Reason::Pinyin);
        }
        if out.is_empty() {
            if contains_word(&self.words, &other.words) || contains_word(&other.words, &self.words)
            {
                out.push(Reason::ContainsWord);
            } else if contains_letters(&self.folded, &other.folded)
                || contains_letters(&other.folded, &self.folded)
            {
                out.push(Reason::ContainsLetters);
            }
        }
        out.sort_by(|a, b| b.weight().total_cmp(&a.weight()));
        out
    }

    /// The pinyin reading, or the plain Latin letters of a mark without CJK.
    fn pinyin_or_latin(&self) -> Option<&str> {
        match &self.pinyin {
            Some(p) => Some(p),
            None if !self.plain.is_empty() && self.plain.is_ascii() => Some(&self.plain),
            None => None,
        }
    }
}

/// The edit distance of two folded marks when it is small for their length:
/// one edit from three letters, two from seven, three from twelve.
fn spelling_distance(a: &str, b: &str) -> Option<u8> {
    let (la, lb) = (a.chars().count(), b.chars().count());
    let shorter = la.min(lb);
    if shorter < 3 {
        return None;
    }
    let budget = match shorter {
        0..=6 => 1,
        7..=11 => 2,
        _ => 3,
    };
    if la.abs_diff(lb) > budget {
        return None;
    }
    let d = strsim::osa_distance(a, b);
    (d >= 1 && d <= budget).then(|| u8::try_from(d).unwrap_or(u8::MAX))
}

/// Whether all of `needle`'s words appear, in order and adjacent, in
/// `hay`, which has more words.
fn contains_word(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.len() > needle.len() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether `needle` (five letters or more) sits inside `hay`.
fn contains_letters(hay: &str, needle: &str) -> bool {
    needle.chars().count() >= 5 && hay.len() > needle.len() && hay.contains(needle)
}

/// One registered term, prepared.
#[derive(Debug)]
struct Term {
    right: usize,
    text: String,
    forms: Forms,
}

/// The registered marks, prepared for clearance searches. Immutable and
/// `Sync`: build once, search from any thread.
#[derive(Debug)]
pub struct ClearanceIndex {
    rights: Vec<(String, ClassSet, Vec<u16>)>,
    terms: Vec<Term>,
    metaphone: DoubleMetaphone,
}

impl ClearanceIndex {
    /// Prepares every mark and alias of `specs`. A right whose classes are
    /// out of range is refused, as [`crate::text::TextIndex::build`] does.
    pub fn build(specs: &[MarkSpec]) -> Result<ClearanceIndex, ClassError> {
        // Whole codes, not the usual four-letter prefix: marks are compared as
        // wholes ("adidasoriginal" must not sound like "adidas").
        let metaphone = DoubleMetaphone::new(None);
        let mut rights = Vec::with_capacity(specs.len());
        let mut terms = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let classes = if spec.nice_classes.is_empty() {
                ClassSet::ALL
            } else {
                ClassSet::from_classes(spec.nice_classes.iter().copied())?
            };
            let mut sorted = spec.nice_classes.clone();
            sorted.sort_unstable();
            sorted.dedup();
            rights.push((spec.right_id.clone(), classes, sorted));
            for text in std::iter::once(&spec.mark).chain(&spec.aliases) {
                let forms = Forms::of(text, &metaphone);
                if forms.plain.is_empty() {
                    continue;
                }
                terms.push(Term {
                    right: i,
                    text: text.clone(),
                    forms,
                });
            }
        }
        Ok(ClearanceIndex {
            rights,
            terms,
            metaphone,
        })
    }

    /// How many registered terms (marks and aliases) the index holds.
    pub fn terms_len(&self) -> usize {
        self.terms.len()
    }

    /// The registered rights that `proposed` conflicts with in `classes`
    /// (empty: every class), strongest first, one entry per right (its most
    /// conflicting term), at most `limit` (capped at [`MAX_RESULTS`]).
    pub fn search(
        &self,
        proposed: &str,
        classes: &[u16],
        limit: usize,
    ) -> Result<Vec<Conflict>, ClearanceError> {
        if proposed.chars().count() > MAX_MARK_CHARS {
            return Err(ClearanceError::TooLong);
        }
        let wanted = if classes.is_empty() {
            None
        } else {
            Some(ClassSet::from_classes(classes.iter().copied())?)
        };
        let forms = Forms::of(proposed, &self.metaphone);
        if forms.plain.is_empty() {
            return Err(ClearanceError::Empty);
        }
        let mut best: HashMap<usize, (f32, &Term, Vec<Reason>)> = HashMap::new();
        for term in &self.terms {
            let (_, right_classes, _) = &self.rights[term.right];
            if wanted.is_some_and(|w| !w.meets(*right_classes)) {
                continue;
            }
            let reasons = forms.reasons(&term.forms);
            let Some(top) = reasons.first() else {
                continue;
            };
            // A second independent reason (it sounds and is spelt alike)
            // ranks a conflict above one with a single reason of the same
            // weight.
            let score = (top.weight() + 0.02 * (reasons.len() as f32 - 1.0)).min(1.0);
            let keep = best.get(&term.right).is_none_or(|(s, _, _)| score > *s);
            if keep {
                best.insert(term.right, (score, term, reasons));
            }
        }
        let mut out: Vec<Conflict> = best
            .into_iter()
            .map(|(right, (score, term, reasons))| {
                let (id, _, own) = &self.rights[right];
                let shared_classes = own
                    .iter()
                    .copied()
                    .filter(|c| classes.is_empty() || classes.contains(c))
                    .collect();
                Conflict {
                    right_id: id.clone(),
                    term: term.text.clone(),
                    score,
                    reasons,
                    shared_classes,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.term.cmp(&b.term))
                .then_with(|| a.right_id.cmp(&b.right_id))
        });
        out.truncate(limit.min(MAX_RESULTS));
        Ok(out)
    }
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

    fn index() -> ClearanceIndex {
        ClearanceIndex::build(&[
            spec("nike", "NIKE", &["耐克"], &[25, 28]),
            spec("apple", "APPLE", &[], &[9]),
            spec("lv", "LOUIS VUITTON", &["LV"], &[18, 25]),
            spec("swarovski", "SWAROVSKI", &[], &[14]),
            spec("adidas", "ADIDAS", &[], &[25]),
            spec("chanel", "CHANEL", &[], &[3, 25]),
            spec("microsoft", "Microsoft", &[], &[9]),
        ])
        .unwrap()
    }

    /// The top conflict's right and first reason.
    fn top(proposed: &str, classes: &[u16]) -> Option<(String, Reason)> {
        index()
            .search(proposed, classes, 10)
            .unwrap()
            .first()
            .map(|c| (c.right_id.clone(), c.reasons[0]))
    }

    #[test]
    fn finds_each_kind_of_conflict_with_its_reason() {
        let cases: &[(&str, &str, Reason)] = &[
            ("Nike", "nike", Reason::Identical),
            ("ＮＩＫＥ", "nike", Reason::Identical),
            ("NIKЕ", "nike", Reason::Visual), // Cyrillic Е
            ("ΝΙΚΕ", "nike", Reason::Visual), // Greek capitals
            ("rnicrosoft", "microsoft", Reason::Visual),
            ("rnicrosoft apple", "apple", Reason::ContainsWord),
            ("N1KE", "nike", Reason::Visual), // UTS #39: "1" looks like "I"
            ("NIK3", "nike", Reason::Folded),
            ("N.I.K.E", "nike", Reason::Identical),
            ("Ch@nel", "chanel", Reason::Folded),
            ("Swarovksi", "swarovski", Reason::Spelling { distance: 1 }),
            ("Adiddas", "adidas", Reason::Spelling { distance: 1 }),
            ("Nyke", "nike", Reason::Spelling { distance: 1 }),
            ("奈克", "nike", Reason::Pinyin),
            ("Naike", "nike", Reason::Pinyin),
            ("Nike Sport", "nike", Reason::ContainsWord),
            ("adidasoriginal", "adidas", Reason::ContainsLetters),
            ("Louis Vuiton", "lv", Reason::Spelling { distance: 1 }),
        ];
        for (proposed, right, reason) in cases {
            assert_eq!(
                top(proposed, &[]),
                Some(((*right).to_owned(), *reason)),
                "{proposed}"
            );
        }
    }

    #[test]
    fn reason_names_are_their_serialised_kinds() {
        for r in [
            Reason::Identical,
            Reason::Visual,
            Reason::Folded,
            Reason::Spelling { distance: 2 },
            Reason::Phonetic,
            Reason::Pinyin,
            Reason::ContainsWord,
            Reason::ContainsLetters,
        ] {
            let v = serde_json::to_value(r).unwrap();
            assert_eq!(v["kind"], r.name());
            assert_eq!(
                v.get("distance").and_then(|d| d.as_u64()),
                r.distance().map(u64::from)
            );
        }
    }

    #[test]
    fn phonetic_conflicts_are_found_where_spelling_is_far() {
        let idx = ClearanceIndex::build(&[spec("k", "KWICK", &[], &[])]).unwrap();
        let hits = idx.search("Quik", &[], 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert!(hits[0].reasons.contains(&Reason::Phonetic), "{hits:?}");
    }

    #[test]
    fn unrelated_marks_and_other_classes_do_not_conflict() {
        assert_eq!(top("Zebra Garden", &[]), None);
        assert_eq!(top("Orchard", &[9]), None);
        // APPLE is registered in class 9 only.
        assert_eq!(top("Apple", &[31]), None);
        assert_eq!(
            top("Apple", &[9, 31]),
            Some(("apple".into(), Reason::Identical))
        );
        // Short marks are not fuzzed into everything of three letters.
        assert_eq!(top("LVMH", &[]), None);
    }

    #[test]
    fn ranks_the_stronger_conflict_first_and_reports_shared_classes() {
        let hits = index().search("NIKE", &[25, 9], 10).unwrap();
        assert_eq!(hits[0].right_id, "nike");
        assert_eq!(hits[0].shared_classes, vec![25]);
        assert!((hits[0].score - 1.0).abs() < f32::EPSILON);
        let scores: Vec<f32> = hits.iter().map(|h| h.score).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    }

    #[test]
    fn refuses_empty_overlong_and_out_of_range_input() {
        let idx = index();
        assert_eq!(idx.search(" .-", &[], 5), Err(ClearanceError::Empty));
        assert_eq!(
            idx.search(&"a".repeat(MAX_MARK_CHARS + 1), &[], 5),
            Err(ClearanceError::TooLong)
        );
        assert!(matches!(
            idx.search("nike", &[46], 5),
            Err(ClearanceError::Class(_))
        ));
    }
}
