//! Folding: one pass from listing text to its matching form, with a map back.
//!
//! Every evasion the engine knows is undone here, once, so that the matcher
//! only ever compares plain folded strings. The folded form is mostly ASCII:
//! lower case, no diacritics, Unicode confusables replaced by their UTS #39
//! skeleton, leet digits replaced by the letters they imitate, invisible
//! characters dropped, letters spelt out with separators ("N.I.K.E") joined,
//! "&" written "and", and every run of separators collapsed to one space. CJK
//! characters are kept as they are (they match inside unsegmented text).
//!
//! Two deliberate merges follow UTS #39, where `skeleton("I") ==
//! skeleton("l") == skeleton("1")`: the letters `i` and `l` fold to the same
//! byte (`l`), so "NlKE", "N1KE" and "NIKE" are one string, as they are to the
//! eye; and "rn" inside a word folds to "m" ("Arrnani" is ARMANI, "rnichael"
//! is MICHAEL). Marks and dictionary words go through the same fold, so the
//! merges cost nothing in consistency; the matcher keeps an "rn" merge from
//! turning a dictionary word into another mark ("modern" is not MODEM): see
//! `F_RN`.
//!
//! Each folded byte keeps the byte span of the original character it came
//! from and flags saying which evasion produced it; that is what turns a
//! match in folded space into an explanation in the original text. Case
//! changes ("NikeAirMax") and letter/digit and CJK/Latin transitions are kept
//! as *soft* word boundaries: they do not split the folded token (so joined
//! multi-word marks still match) but count as word edges for the whole-word
//! rule.
//!
//! Cost: the whole pass is a few linear loops over a reused buffer, with a
//! byte-table path for ASCII characters; non-ASCII characters pay for
//! decomposition and a confusables lookup, which is rare in most listings.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// The byte came from a compatibility form, a diacritic, or an invisible
/// character just before it.
pub(crate) const F_FOLDED: u8 = 1;
/// The byte came from a confusable (Cyrillic, Greek, ...) character.
pub(crate) const F_HOMOGLYPH: u8 = 2;
/// The byte came from a leet digit or symbol.
pub(crate) const F_LEET: u8 = 4;
/// The byte came from a letter spelt out with separators.
pub(crate) const F_SPACED: u8 = 8;
/// The byte is an "m" folded from "rn" (see the module doc).
pub(crate) const F_RN: u8 = 16;

/// What a character is, for tokenising.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// ASCII letter.
    Letter,
    /// ASCII digit.
    Digit,
    /// `@ $ | !`: leet when inside a word, separators otherwise.
    Sym,
    /// `&`, folded to the word "and".
    Amp,
    /// Anything that separates words.
    Sep,
    /// A separator inside a spelt-out word ("N.I.K.E"): dropped.
    Drop,
    /// A non-ASCII word character (folded bytes in `intl`).
    Intl,
    /// A CJK character (kept as is; no word boundaries inside CJK text).
    Cjk,
}

#[derive(Debug, Clone, Copy)]
struct Unit {
    start: u32,
    end: u32,
    ch: char,
    kind: Kind,
    flags: u8,
    upper: bool,
    lower: bool,
    /// Leet character that is folded to a letter.
    leet: bool,
    /// Folded bytes of an `Intl` unit: `intl[fold_at..fold_at + fold_len]`.
    fold_at: u32,
    fold_len: u32,
}

/// Where a folded byte came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Meta {
    /// Start of the original character.
    pub start: u32,
    /// End of the original character.
    pub end: u32,
    /// `F_*` flags.
    pub flags: u8,
    /// A soft word boundary lies just before this byte.
    pub soft: bool,
}

/// Folded text and its map back to the original, reused between calls.
#[derive(Debug, Default)]
pub(crate) struct Folded {
    /// The folded text (UTF-8; mostly ASCII).
    pub out: Vec<u8>,
    /// Per folded byte: its origin.
    pub meta: Vec<Meta>,
    units: Vec<Unit>,
    intl: Vec<u8>,
    tokens: Vec<(u32, u32)>,
    /// Positions of "rn" to merge.
    rn: Vec<u32>,
}

/// ASCII fold: lower case, with `i` merged into `l` (see the module doc).
#[inline]
pub(crate) fn fold_ascii_letter(b: u8) -> u8 {
    match b.to_ascii_lowercase() {
        b'i' => b'l',
        l => l,
    }
}

/// The letter a leet character imitates.
fn leet_letter(c: char) -> Option<u8> {
    Some(match c {
        '0' => b'o',
        '1' | '|' | '!' => b'l',
        '3' => b'e',
        '4' | '@' => b'a',
        '5' | '$' => b's',
        '7' => b't',
        _ => return None,
    })
}

/// Characters that are dropped without trace: zero-width and other invisible
/// format characters, variation selectors, tags.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{E0000}'..='\u{E0FFF}')
}

/// CJK scripts: Han, kana, Hangul. Kept unfolded, matched without word edges.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}')
}

/// Separators that may sit between spelt-out letters ("N.I.K.E", "N-i-k-e").
fn is_spacing_sep(c: char) -> bool {
    matches!(
        c,
        ' ' | '.' | '-' | '_' | '*' | '·' | '•' | '/' | '\u{00A0}' | '~' | '+'
    )
}

/// Folds one non-ASCII character into `buf`; returns (flags, is_word).
fn fold_intl(c: char, buf: &mut Vec<u8>) -> (u8, bool) {
    let start = buf.len();
    let mut flags = 0u8;
    decompose_compatible(c, |d| {
        if is_combining_mark(d) {
            flags |= F_FOLDED;
            return;
        }
        if d != c {
            flags |= F_FOLDED;
        }
        if d.is_ascii() {
            if d.is_ascii_alphanumeric() {
                buf.push(fold_ascii_letter(d as u8));
            }
            return;
        }
        let mut tmp = [0u8; 4];
        let mut sk = [0u8; 8];
        let mut n = 0usize;
        let mut ascii = true;
        for s in unicode_security::skeleton(d.encode_utf8(&mut tmp)) {
            if is_combining_mark(s) {
                continue;
            }
            if s.is_ascii_alphanumeric() && n < sk.len() {
                sk[n] = fold_ascii_letter(s as u8);
                n += 1;
            } else {
                ascii = false;
                break;
            }
        }
        if ascii && n > 0 {
            buf.extend_from_slice(&sk[..n]);
            flags |= F_HOMOGLYPH;
        } else {
            for l in d.to_lowercase() {
                if l.is_alphanumeric() {
                    buf.extend_from_slice(l.encode_utf8(&mut tmp).as_bytes());
                }
            }
        }
    });
    let word = buf.len() > start || is_combining_mark(c);
    (flags, word)
}

impl Folded {
    /// Folds `text` (only its first 4 GiB: spans are 32-bit).
    pub(crate) fn fold(&mut self, text: &str) {
        self.out.clear();
        self.meta.clear();
        let text = truncate(text);
        if !(text.is_ascii() && self.fold_plain_ascii(text.as_bytes())) {
            self.fold_general(text);
        }
        self.merge_rn();
    }

    /// Folds "rn" inside a word (no space or soft boundary between the two
    /// letters) to one "m" byte flagged `F_RN`, spanning both letters.
    fn merge_rn(&mut self) {
        self.rn.clear();
        self.rn.extend(
            memchr::memmem::find_iter(&self.out, b"rn")
                .filter(|&r| !self.meta[r + 1].soft)
                .map(|r| r as u32),
        );
        if self.rn.is_empty() {
            return;
        }
        // Compact: runs between merges move down with one copy each.
        let n = self.out.len();
        let mut w = self.rn[0] as usize;
        for k in 0..self.rn.len() {
            let r = self.rn[k] as usize;
            if k > 0 {
                let from = self.rn[k - 1] as usize + 2;
                self.out.copy_within(from..r, w);
                self.meta.copy_within(from..r, w);
                w += r - from;
            }
            let (a, b) = (self.meta[r], self.meta[r + 1]);
            self.out[w] = b'm';
            self.meta[w] = Meta {
                start: a.start,
                end: b.end,
                flags: a.flags | b.flags | F_RN,
                soft: a.soft,
            };
            w += 1;
        }
        let from = self.rn[self.rn.len() - 1] as usize + 2;
        self.out.copy_within(from..n, w);
        self.meta.copy_within(from..n, w);
        w += n - from;
        self.out.truncate(w);
        self.meta.truncate(w);
    }

    /// The general path: units, spelt-out letters, leet, then emission.
    fn fold_general(&mut self, text: &str) {
        self.out.clear();
        self.meta.clear();
        self.units.clear();
        self.intl.clear();
        let (has_leet, has_single) = self.build_units(text);
        if has_single {
            self.join_spelt_out();
        }
        if has_leet {
            self.decide_leet();
        }
        self.emit();
    }

    /// Splits the text into classified units; reports whether leet
    /// candidates and single-letter words were seen.
    fn build_units(&mut self, text: &str) -> (bool, bool) {
        let mut has_leet = false;
        let mut has_single = false;
        let mut pending = 0u8;
        let mut run = 0u32;
        let push_unit = |units: &mut Vec<Unit>, u: Unit, run: &mut u32, has_single: &mut bool| {
            let word = !matches!(u.kind, Kind::Sep | Kind::Amp);
            if word {
                *run += 1;
            } else {
                if *run == 1 {
                    *has_single = true;
                }
                *run = 0;
            }
            units.push(u);
        };
        if text.is_ascii() {
            for (i, &b) in text.as_bytes().iter().enumerate() {
                let kind = ascii_kind(b);
                if matches!(kind, Kind::Digit | Kind::Sym) && leet_letter(b as char).is_some() {
                    has_leet = true;
                }
                let u = Unit {
                    start: i as u32,
                    end: i as u32 + 1,
                    ch: b as char,
                    kind,
                    flags: 0,
                    upper: b.is_ascii_uppercase(),
                    lower: b.is_ascii_lowercase(),
                    leet: false,
                    fold_at: 0,
                    fold_len: 0,
                };
                push_unit(&mut self.units, u, &mut run, &mut has_single);
            }
        } else {
            for (i, c) in text.char_indices() {
                if is_invisible(c) {
                    pending |= F_FOLDED;
                    continue;
                }
                let (kind, flags, fold_at, fold_len) = if c.is_ascii() {
                    (ascii_kind(c as u8), 0, 0, 0)
                } else if is_cjk(c) {
                    (Kind::Cjk, 0, 0, 0)
                } else {
                    let at = self.intl.len();
                    let (f, word) = fold_intl(c, &mut self.intl);
                    let len = self.intl.len() - at;
                    if word {
                        (Kind::Intl, f, at as u32, len as u32)
                    } else {
                        self.intl.truncate(at);
                        (Kind::Sep, 0, 0, 0)
                    }
                };
                if matches!(kind, Kind::Digit | Kind::Sym) && leet_letter(c).is_some() {
                    has_leet = true;
                }
                let u = Unit {
                    start: i as u32,
                    end: (i + c.len_utf8()) as u32,
                    ch: c,
                    kind,
                    flags: flags | pending,
                    upper: c.is_uppercase(),
                    lower: c.is_lowercase(),
                    leet: false,
                    fold_at,
                    fold_len,
                };
                pending = 0;
                push_unit(&mut self.units, u, &mut run, &mut has_single);
            }
        }
        if run == 1 {
            has_single = true;
        }
        (has_leet, has_single)
    }

    /// Joins letters spelt out with separators: "N.I.K.E", "N I K E",
    /// "N-i-k-e" (three letters or more; two with dots, as in "L.V.").
    fn join_spelt_out(&mut self) {
        self.tokens.clear();
        let mut i = 0usize;
        let n = self.units.len();
        while i < n {
            if matches!(self.units[i].kind, Kind::Sep | Kind::Amp) {
                i += 1;
                continue;
            }
            let s = i;
            while i < n && !matches!(self.units[i].kind, Kind::Sep | Kind::Amp) {
                i += 1;
            }
            self.tokens.push((s as u32, i as u32));
        }
        let single = |units: &[Unit], t: (u32, u32)| {
            t.1 - t.0 == 1 && matches!(units[t.0 as usize].kind, Kind::Letter | Kind::Intl)
        };
        let gap_ok = |units: &[Unit], a: (u32, u32), b: (u32, u32)| {
            let gap = &units[a.1 as usize..b.0 as usize];
            !gap.is_empty()
                && gap.len() <= 3
                && gap
                    .iter()
                    .all(|u| u.kind == Kind::Sep && is_spacing_sep(u.ch))
        };
        let mut j = 0usize;
        while j < self.tokens.len() {
            if !single(&self.units, self.tokens[j]) {
                j += 1;
                continue;
            }
            let mut k = j;
            let mut dots = true;
            while k + 1 < self.tokens.len()
                && single(&self.units, self.tokens[k + 1])
                && gap_ok(&self.units, self.tokens[k], self.tokens[k + 1])
            {
                let (a, b) = (self.tokens[k].1 as usize, self.tokens[k + 1].0 as usize);
                dots &= self.units[a..b].iter().all(|u| u.ch == '.');
                k += 1;
            }
            let count = k - j + 1;
            if count >= 3 || (count == 2 && dots) {
                for t in j..=k {
                    let (s, e) = self.tokens[t];
                    self.units[s as usize].flags |= F_SPACED;
                    if t < k {
                        for u in &mut self.units[e as usize..self.tokens[t + 1].0 as usize] {
                            u.kind = Kind::Drop;
                        }
                    }
                }
            }
            j = k + 1;
        }
    }

    /// Decides which digits and symbols are leet: a run of them touching a
    /// letter, one long at a word's edge, up to two long inside a word
    /// ("4didas", "Chane1", "g00gle"; not "Nike 2024", not "iPhone 15").
    fn decide_leet(&mut self) {
        let n = self.units.len();
        let letter = |u: &Unit| matches!(u.kind, Kind::Letter | Kind::Intl);
        let mut i = 0usize;
        while i < n {
            let u = self.units[i];
            if !(matches!(u.kind, Kind::Digit | Kind::Sym) && leet_letter(u.ch).is_some()) {
                i += 1;
                continue;
            }
            let s = i;
            while i < n
                && matches!(self.units[i].kind, Kind::Digit | Kind::Sym)
                && leet_letter(self.units[i].ch).is_some()
            {
                i += 1;
            }
            let prev = s.checked_sub(1).map(|p| self.units[p]);
            let next = self.units.get(i).copied();
            let pl = prev.as_ref().is_some_and(letter);
            let nl = next.as_ref().is_some_and(letter);
            let len = i - s;
            let mut ok = if pl && nl {
                len <= 2
            } else {
                (pl || nl) && len == 1
            };
            // A digit run glued to other digits is a number, not leet.
            if prev.is_some_and(|p| p.kind == Kind::Digit)
                || next.is_some_and(|p| p.kind == Kind::Digit)
            {
                ok = false;
            }
            for k in s..i {
                let c = self.units[k].ch;
                let edge_only = matches!(c, '|' | '!');
                let at_start = k == s && !pl;
                let leet = ok && !(edge_only && !(pl && nl)) && !(c == '@' && at_start);
                self.units[k].leet = leet;
            }
        }
    }

    fn emit(&mut self) {
        let mut pending_space = false;
        let mut last_word: Option<usize> = None;
        let n = self.units.len();
        for i in 0..n {
            let u = self.units[i];
            match u.kind {
                Kind::Drop => continue,
                Kind::Sep => {
                    pending_space = true;
                    last_word = None;
                    continue;
                }
                Kind::Sym if !u.leet => {
                    pending_space = true;
                    last_word = None;
                    continue;
                }
                Kind::Amp => {
                    self.space_if(true, u);
                    for &b in b"and" {
                        self.push(b, u, 0, false);
                    }
                    pending_space = true;
                    last_word = None;
                    continue;
                }
                _ => {}
            }
            self.space_if(pending_space, u);
            pending_space = false;
            let soft = last_word.is_some_and(|p| self.soft_between(p, i));
            last_word = Some(i);
            match u.kind {
                Kind::Letter => self.push(fold_ascii_letter(u.ch as u8), u, u.flags, soft),
                Kind::Digit | Kind::Sym => match (u.leet, leet_letter(u.ch)) {
                    (true, Some(l)) => self.push(l, u, u.flags | F_LEET, soft),
                    _ => self.push(u.ch as u8, u, u.flags, soft),
                },
                Kind::Cjk => {
                    let mut tmp = [0u8; 4];
                    let bytes = u.ch.encode_utf8(&mut tmp).as_bytes();
                    for (k, &b) in bytes.iter().enumerate() {
                        self.push(b, u, u.flags, soft && k == 0);
                    }
                }
                Kind::Intl => {
                    let (a, l) = (u.fold_at as usize, u.fold_len as usize);
                    for k in 0..l {
                        let b = self.intl[a + k];
                        self.push(b, u, u.flags, soft && k == 0);
                    }
                }
                Kind::Sep | Kind::Drop | Kind::Amp => {}
            }
        }
    }

    /// A soft word boundary between two adjacent word units: a case change
    /// ("nikeAir", "NIKEAir"), letters against digits, CJK against the rest.
    fn soft_between(&self, p: usize, i: usize) -> bool {
        let a = self.units[p];
        let b = self.units[i];
        let letterish = |u: &Unit| matches!(u.kind, Kind::Letter | Kind::Intl) || u.leet;
        if (a.kind == Kind::Cjk) != (b.kind == Kind::Cjk) {
            return true;
        }
        if letterish(&a) != letterish(&b) {
            return true;
        }
        if b.upper && a.lower {
            return true;
        }
        b.upper
            && a.upper
            && self
                .units
                .get(i + 1)
                .is_some_and(|c| c.lower && matches!(c.kind, Kind::Letter | Kind::Intl))
    }

    fn space_if(&mut self, pending: bool, u: Unit) {
        if pending && !self.out.is_empty() {
            self.out.push(b' ');
            self.meta.push(Meta {
                start: u.start,
                end: u.start,
                flags: 0,
                soft: false,
            });
        }
    }

    fn push(&mut self, b: u8, u: Unit, flags: u8, soft: bool) {
        self.out.push(b);
        self.meta.push(Meta {
            start: u.start,
            end: u.end,
            flags,
            soft,
        });
    }

    /// The fast path for plain ASCII text, a word (run of letters and
    /// digits) at a time with a byte-class table: the folded bytes and their
    /// map are written in bulk, and soft boundaries are looked for only in
    /// words with a capital or that mix letters and digits. It gives up
    /// (returns false, leaving the general path to redo the text) at the
    /// first sign of an evasion it does not handle: a leet candidate touching
    /// a letter, an "&", or two one-letter words in a row.
    fn fold_plain_ascii(&mut self, t: &[u8]) -> bool {
        let n = t.len();
        self.out.reserve(n);
        self.meta.reserve(n);
        let mut i = 0usize;
        let mut prev_single = false;
        while i < n {
            let c = CLASS[t[i] as usize];
            if c & C_WORD == 0 {
                if c & C_AMP != 0 {
                    return false;
                }
                if c & C_SYM != 0 {
                    let near = |j: usize| j < n && CLASS[t[j] as usize] & C_WORD != 0;
                    if (i > 0 && near(i - 1)) || near(i + 1) {
                        return false;
                    }
                }
                i += 1;
                continue;
            }
            let s = i;
            let mut seen = 0u8;
            while i < n {
                let c = CLASS[t[i] as usize];
                if c & C_WORD == 0 {
                    break;
                }
                seen |= c;
                i += 1;
            }
            let single = i - s == 1;
            if single && prev_single {
                return false;
            }
            prev_single = single;
            let word = &t[s..i];
            let letters = seen & (C_UPPER | C_LOWER) != 0;
            if letters && seen & C_LEET != 0 {
                // A leet digit next to a letter ("N1ke") is for the general path.
                for (k, &b) in word.iter().enumerate() {
                    if CLASS[b as usize] & C_LEET != 0 {
                        let alpha = |j: usize| {
                            word.get(j)
                                .is_some_and(|&x| CLASS[x as usize] & (C_UPPER | C_LOWER) != 0)
                        };
                        if (k > 0 && alpha(k - 1)) || alpha(k + 1) {
                            return false;
                        }
                    }
                }
            }
            if !self.out.is_empty() {
                self.out.push(b' ');
                self.meta.push(Meta {
                    start: s as u32,
                    end: s as u32,
                    flags: 0,
                    soft: false,
                });
            }
            let at = self.meta.len();
            self.out.extend(word.iter().map(|&b| FOLD[b as usize]));
            self.meta.extend((s as u32..i as u32).map(|k| Meta {
                start: k,
                end: k + 1,
                flags: 0,
                soft: false,
            }));
            let mixed = letters && seen & C_DIGIT != 0;
            if seen & C_UPPER != 0 || mixed {
                for k in s + 1..i {
                    if ascii_soft(t, k - 1, k) {
                        self.meta[at + k - s].soft = true;
                    }
                }
            }
        }
        true
    }

    /// Whether a match may start at folded byte `s`: at the start, after a
    /// space, or at a soft boundary.
    pub(crate) fn starts_word(&self, s: usize) -> bool {
        s == 0 || self.out[s - 1] == b' ' || self.meta.get(s).is_some_and(|m| m.soft)
    }

    /// Whether a match may end just before folded byte `e`.
    pub(crate) fn ends_word(&self, e: usize) -> bool {
        e >= self.out.len() || self.out[e] == b' ' || self.meta[e].soft
    }

    /// The space-delimited token around folded bytes `[s, e)`.
    pub(crate) fn token_around(&self, s: usize, e: usize) -> (usize, usize) {
        let ts = self.out[..s]
            .iter()
            .rposition(|&b| b == b' ')
            .map_or(0, |p| p + 1);
        let te = self.out[e..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(self.out.len(), |p| e + p);
        (ts, te)
    }
}

/// Soft boundary between adjacent ASCII word bytes `p` and `i = p + 1`
/// (the fast path's version of `soft_between`).
fn ascii_soft(t: &[u8], p: usize, i: usize) -> bool {
    let (a, b) = (t[p], t[i]);
    if a.is_ascii_alphabetic() != b.is_ascii_alphabetic() {
        return true;
    }
    if b.is_ascii_uppercase() && a.is_ascii_lowercase() {
        return true;
    }
    b.is_ascii_uppercase()
        && a.is_ascii_uppercase()
        && t.get(i + 1).is_some_and(|c| c.is_ascii_lowercase())
}

const C_LOWER: u8 = 1;
const C_UPPER: u8 = 2;
const C_DIGIT: u8 = 4;
/// A digit that leet reads as a letter (0 1 3 4 5 7).
const C_LEET: u8 = 8;
/// `@ $ | !`.
const C_SYM: u8 = 16;
const C_AMP: u8 = 32;
const C_WORD: u8 = C_LOWER | C_UPPER | C_DIGIT;

/// Byte classes of the ASCII fast path.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_lowercase() {
            C_LOWER
        } else if c.is_ascii_uppercase() {
            C_UPPER
        } else if c.is_ascii_digit() {
            if matches!(c, b'0' | b'1' | b'3' | b'4' | b'5' | b'7') {
                C_DIGIT | C_LEET
            } else {
                C_DIGIT
            }
        } else if matches!(c, b'@' | b'$' | b'|' | b'!') {
            C_SYM
        } else if c == b'&' {
            C_AMP
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Folded form of each ASCII word byte (letters lower-cased, `i` as `l`).
static FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let l = (b as u8).to_ascii_lowercase();
        t[b] = if l == b'i' { b'l' } else { l };
        b += 1;
    }
    t
};

fn ascii_kind(b: u8) -> Kind {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => Kind::Letter,
        b'0'..=b'9' => Kind::Digit,
        b'@' | b'$' | b'|' | b'!' => Kind::Sym,
        b'&' => Kind::Amp,
        _ => Kind::Sep,
    }
}

/// Folds a plain lower-case ASCII word as listings are folded (`i` as `l`,
/// "rn" as "m"): for the dictionary, which holds only such words.
pub(crate) fn fold_plain_word(w: &str, buf: &mut Vec<u8>) {
    buf.clear();
    let mut bytes = w.bytes().map(fold_ascii_letter).peekable();
    while let Some(b) = bytes.next() {
        if b == b'r' && bytes.peek() == Some(&b'n') {
            bytes.next();
            buf.push(b'm');
        } else {
            buf.push(b);
        }
    }
}

fn truncate(text: &str) -> &str {
    let max = u32::MAX as usize - 1;
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// Folds a whole string (marks, dictionary words); for building, not the hot path.
pub(crate) fn fold_str(s: &str) -> String {
    let mut f = Folded::default();
    f.fold(s);
    String::from_utf8_lossy(&f.out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The ASCII fast path, where it does not give up, folds exactly as
        /// the general path does.
        #[test]
        fn ascii_fast_path_agrees_with_the_general_path(text in "[a-zA-Z0-9 .,&@$!|_-]{0,40}") {
            let mut fast = Folded::default();
            let mut general = Folded::default();
            general.fold_general(&text);
            if fast.fold_plain_ascii(text.as_bytes()) {
                prop_assert_eq!(&fast.out, &general.out);
                prop_assert_eq!(&fast.meta, &general.meta);
            }
        }
    }

    fn folded(s: &str) -> String {
        fold_str(s)
    }

    #[test]
    fn plain_ascii_takes_the_fast_path_and_evasions_do_not() {
        let mut f = Folded::default();
        assert!(f.fold_plain_ascii(b"NikeAirMax 2024 shoes, size-10 a bag"));
        assert_eq!(f.out, b"nlkealrmax 2024 shoes slze 10 a bag");
        assert!(!f.fold_plain_ascii(b"N1ke"));
        assert!(!f.fold_plain_ascii(b"N I K E"));
        assert!(!f.fold_plain_ascii(b"Ch@nel"));
        assert!(!f.fold_plain_ascii(b"D&G"));
    }

    #[test]
    fn folds_case_diacritics_and_compatibility_forms() {
        assert_eq!(folded("Nïké"), "nlke");
        assert_eq!(folded("ＮＩＫＥ"), "nlke");
        assert_eq!(folded("ⓃⒾⓀⒺ"), "nlke");
        assert_eq!(folded("𝐍𝐈𝐊𝐄 shoes"), "nlke shoes");
    }

    #[test]
    fn folds_confusables_to_latin() {
        // Cyrillic а, е, о, с, і and Greek Ν, Ι, Κ, Ε.
        assert_eq!(folded("Аdidаs"), "adldas");
        assert_eq!(folded("сhаnеl"), "chanel");
        assert_eq!(folded("ΝΙΚΕ"), "nlke");
        assert_eq!(folded("Rоlех"), "rolex");
    }

    #[test]
    fn folds_leet_inside_words_only() {
        assert_eq!(
            folded("N1ke 4didas Ch@nel Adida$ R0lex g00gle"),
            "nlke adldas chanel adldas rolex google"
        );
        assert_eq!(
            folded("Nike 2024 size 10 $50 iPhone 15"),
            "nlke 2024 slze 10 50 lphone 15"
        );
        assert_eq!(folded("@nike"), "nlke");
    }

    #[test]
    fn drops_invisible_characters() {
        assert_eq!(folded("Ni\u{200B}ke"), "nlke");
        assert_eq!(folded("Gu\u{00AD}cci"), "guccl");
    }

    #[test]
    fn joins_letters_spelt_out_with_separators() {
        assert_eq!(folded("N.I.K.E shoes"), "nlke shoes");
        assert_eq!(folded("N I K E"), "nlke");
        assert_eq!(folded("N-i-k-e air"), "nlke alr");
        assert_eq!(folded("L.V. bag"), "lv bag");
        // Two letters with spaces are ordinary words.
        assert_eq!(folded("a b"), "a b");
    }

    #[test]
    fn rn_inside_a_word_is_m() {
        assert_eq!(folded("Arrnani rnichael kors"), "armanl mlchael kors");
        assert_eq!(folded("modern"), "modem");
        // Not across words or a case change.
        assert_eq!(folded("r n"), "r n");
        assert_eq!(folded("bar nike"), "bar nlke");
        let mut f = Folded::default();
        let text = "Arrnani";
        f.fold(text);
        assert_eq!(f.out, b"armanl");
        assert_eq!(
            &text[f.meta[2].start as usize..f.meta[2].end as usize],
            "rn"
        );
        assert_ne!(f.meta[2].flags & F_RN, 0);
        assert_eq!(f.meta[3].start, 4);
        assert_eq!(folded("turn corner rnrn x"), "tum comer mm x");
        f.fold("burnT");
        assert_eq!(f.out, b"bumt");
        let mut buf = Vec::new();
        fold_plain_word("modern", &mut buf);
        assert_eq!(buf, b"modem");
    }

    #[test]
    fn ampersand_is_and() {
        assert_eq!(folded("Dolce&Gabbana"), "dolce and gabbana");
        assert_eq!(folded("H & M"), "h and m");
    }

    #[test]
    fn keeps_cjk_unsegmented() {
        assert_eq!(folded("正品耐克运动鞋"), "正品耐克运动鞋");
    }

    #[test]
    fn maps_every_folded_byte_to_its_original_character() {
        let mut f = Folded::default();
        let text = "Ｎi\u{200B}ké!";
        f.fold(text);
        assert_eq!(f.out, b"nlke");
        let spans: Vec<&str> = (0..f.out.len())
            .map(|k| &text[f.meta[k].start as usize..f.meta[k].end as usize])
            .collect();
        assert_eq!(spans, ["Ｎ", "i", "k", "é"]);
        assert_ne!(
            f.meta[2].flags & F_FOLDED,
            0,
            "the zero-width space marks the next letter"
        );
    }

    #[test]
    fn camel_case_and_digit_transitions_are_soft_boundaries() {
        let mut f = Folded::default();
        f.fold("NikeAirMax");
        assert_eq!(f.out, b"nlkealrmax");
        let soft: Vec<usize> = (0..f.out.len()).filter(|&k| f.meta[k].soft).collect();
        assert_eq!(soft, [4, 7]);
        f.fold("NIKEAir");
        assert!(f.meta[4].soft);
        f.fold("正品Nike鞋");
        assert!(f.starts_word(6) && f.ends_word(10));
    }
}
