//! The match explanation on a reviewer's complaint page: where the
//! registered mark occurs in the listing's title and description, shown as
//! `<mark>` spans in the text, beside the mark itself and any reference
//! image on file.
//!
//! The main decision is that the spans are cut here into plain text
//! segments and the template escapes each one: the listing text is the
//! seller's (hostile) input, so no HTML is ever built by hand from it.
//! Spans come from the detection engine as byte offsets into the text
//! shown ([`App::mark_matches`](rightsguard_app::App::mark_matches) runs on
//! the same listing), overlapping spans are merged, and a span that does not
//! fall on character boundaries is dropped rather than trusted.

use rightsguard_domain::actor::Actor;
use rightsguard_domain::finding::Explanation;
use rightsguard_domain::ids::RightId;
use rightsguard_domain::listing::Listing;

use super::i18n::{Lang, tr};
use crate::AppState;

/// A piece of a text: plain, or a highlighted match (with what matched, for
/// the tooltip).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The text of the piece, unescaped (the template escapes it).
    pub text: String,
    /// For a match: what it is, in words; `None` for plain text.
    pub hint: Option<String>,
}

/// One line of the explanation list under the capture.
#[derive(Debug, Clone)]
pub struct ExplanationRow {
    /// The field's label key (`title`, `description`).
    pub field: &'static str,
    /// The listing text that matched.
    pub matched: String,
    /// The mark or alias it matched.
    pub term: String,
    /// How it matched, translated.
    pub method: &'static str,
    /// Confidence, 0.00–1.00.
    pub score: String,
    /// Edit distance of a fuzzy match.
    pub distance: Option<u8>,
}

/// What the complaint page shows of a listing against the registered mark.
#[derive(Debug, Clone)]
pub struct MatchView {
    /// The title, cut at the matches.
    pub title: Vec<Segment>,
    /// The description, cut at the matches.
    pub description: Vec<Segment>,
    /// The matches, in text order.
    pub rows: Vec<ExplanationRow>,
}

/// The registered mark as the page shows it beside the listing.
#[derive(Debug, Clone)]
pub struct MarkView {
    /// The mark.
    pub mark: String,
    /// Other spellings.
    pub aliases: String,
}

/// The translation key of a matching method's name.
fn method_key(method: &str) -> &'static str {
    match method {
        "exact" => "method_exact",
        "folded" => "method_folded",
        "homoglyph" => "method_homoglyph",
        "leet" => "method_leet",
        "spaced" => "method_spaced",
        "joined" => "method_joined",
        "fuzzy" => "method_fuzzy",
        "image" => "method_image",
        _ => "method_other",
    }
}

/// Cuts `text` at the byte spans `spans` (each with its hint): overlapping
/// or touching spans become one highlighted segment (the first's hint), and
/// a span out of range or not on character boundaries is ignored.
pub fn segments(text: &str, spans: &[(usize, usize, String)]) -> Vec<Segment> {
    let mut ok: Vec<&(usize, usize, String)> = spans
        .iter()
        .filter(|(s, e, _)| {
            s < e && *e <= text.len() && text.is_char_boundary(*s) && text.is_char_boundary(*e)
        })
        .collect();
    ok.sort_by_key(|(s, e, _)| (*s, *e));
    let mut merged: Vec<(usize, usize, &str)> = Vec::new();
    for (s, e, hint) in ok {
        match merged.last_mut() {
            Some(last) if *s <= last.1 => last.1 = last.1.max(*e),
            _ => merged.push((*s, *e, hint)),
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (s, e, hint) in merged {
        if s > at {
            out.push(Segment {
                text: text[at..s].to_owned(),
                hint: None,
            });
        }
        out.push(Segment {
            text: text[s..e].to_owned(),
            hint: Some(hint.to_owned()),
        });
        at = e;
    }
    if at < text.len() || out.is_empty() {
        out.push(Segment {
            text: text[at..].to_owned(),
            hint: None,
        });
    }
    out
}

fn hint(lang: Lang, e: &Explanation) -> String {
    format!(
        "{} · {} · {:.2}",
        e.term,
        tr(lang, method_key(&e.method)),
        e.score
    )
}

/// The explanation of `explanations` over `listing`'s text.
pub fn match_view(lang: Lang, listing: &Listing, explanations: &[Explanation]) -> MatchView {
    let spans_of = |field: &str| -> Vec<(usize, usize, String)> {
        explanations
            .iter()
            .filter(|e| e.field == field)
            .filter_map(|e| {
                Some((
                    usize::try_from(e.start).ok()?,
                    usize::try_from(e.end).ok()?,
                    hint(lang, e),
                ))
            })
            .collect()
    };
    let c = &listing.content;
    MatchView {
        title: segments(c.title.as_str(), &spans_of("title")),
        description: segments(c.description.as_str(), &spans_of("description")),
        rows: explanations
            .iter()
            .map(|e| ExplanationRow {
                field: if e.field == "title" {
                    "title"
                } else {
                    "description"
                },
                matched: e.matched.clone(),
                term: e.term.clone(),
                method: tr(lang, method_key(&e.method)),
                score: format!("{:.2}", e.score),
                distance: e.distance,
            })
            .collect(),
    }
}

/// The registered mark of `right` and where it occurs in `listing`, for an
/// actor who may see the right; `None` for anyone else, or when the right
/// has no mark on file (a failure to read is logged, not shown: the page
/// still serves the decision).
pub async fn explain(
    s: &AppState,
    lang: Lang,
    actor: &Actor,
    right: &RightId,
    listing: &Listing,
) -> Option<(MarkView, MatchView)> {
    match s.app.mark_matches(actor, right, listing).await {
        Ok(Some((marks, found))) => Some((
            MarkView {
                mark: marks.mark,
                aliases: marks.aliases.join(", "),
            },
            match_view(lang, listing, &found),
        )),
        Ok(None) | Err(rightsguard_app::AppError::NotFound(_)) => None,
        Err(e) => {
            tracing::warn!(error = %e, "match explanation failed");
            None
        }
    }
}

/// The certificates of a right that are images (served at
/// `/evidence/{sha256}` to whoever may read them), to show as reference
/// images beside the listing.
pub async fn reference_images<'a>(
    s: &AppState,
    actor: &Actor,
    certificates: impl IntoIterator<Item = &'a rightsguard_domain::ids::Sha256>,
) -> Vec<String> {
    let mut out = Vec::new();
    for sha in certificates {
        if let Ok(r) = s.app.evidence_visible_to(actor, sha).await
            && r.content_type.starts_with("image/")
        {
            out.push(sha.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(segs: &[Segment]) -> String {
        segs.iter()
            .map(|s| match &s.hint {
                Some(_) => format!("[{}]", s.text),
                None => s.text.clone(),
            })
            .collect()
    }

    #[test]
    fn spans_are_cut_merged_and_bad_ones_dropped() {
        let t = "ACME shoes, A.C.M.E too";
        let h = |s, e| (s, e, "x".to_owned());
        assert_eq!(
            show(&segments(t, &[h(12, 19), h(0, 4)])),
            "[ACME] shoes, [A.C.M.E] too"
        );
        // Overlapping and touching spans are one highlight.
        assert_eq!(
            show(&segments(t, &[h(0, 3), h(2, 4), h(4, 10)])),
            "[ACME shoes], A.C.M.E too"
        );
        // Out of range, empty, reversed: ignored.
        assert_eq!(show(&segments(t, &[h(5, 99), h(3, 3), h(4, 2)])), t);
        // Not on a character boundary: ignored, never a panic.
        let zh = "耐克鞋";
        assert_eq!(show(&segments(zh, &[h(1, 3)])), zh);
        assert_eq!(show(&segments(zh, &[h(0, 6)])), "[耐克]鞋");
        assert_eq!(show(&segments("", &[])), "");
    }

    #[test]
    fn markup_in_the_listing_stays_text_in_the_page() {
        use askama::Template;
        #[derive(Template)]
        #[template(
            source = "{% for s in segs %}{% if let Some(h) = s.hint %}<mark title=\"{{ h }}\">{{ s.text }}</mark>{% else %}{{ s.text }}{% endif %}{% endfor %}",
            ext = "html"
        )]
        struct T {
            segs: Vec<Segment>,
        }
        let text = "<b>ACME</b> \"><script>alert(1)</script>";
        let html = T {
            segs: segments(text, &[(3, 7, "\"><img src=x>".to_owned())]),
        }
        .render()
        .unwrap();
        assert!(
            html.contains("<mark title=\"&#34;&#62;&#60;img src=x&#62;\">ACME</mark>"),
            "{html}"
        );
        assert!(
            !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
    }
}
