//! Monitoring pages: the findings to triage (select many, file one batch
//! complaint or dismiss them with a reason), each with the match
//! highlighted in the listing's text (or, for an image match, the listing's
//! picture beside the right's reference picture with their distance), the
//! scans, and the marks and reference images a verified right is monitored
//! for.
//!
//! Rights holders and their agents see their own rights' findings, staff
//! all; sellers are refused by the app (403), as over the API.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rightsguard_app::AppError;
use rightsguard_domain::complaint::ReasonCode;
use rightsguard_domain::finding::{Finding, FindingState};
use rightsguard_domain::ids::{RightId, Sha256};
use rightsguard_domain::right::RightState;
use rightsguard_domain::rule::RuleError;
use rightsguard_store::findings::{FindingStore as _, RightMarks};
use serde::Deserialize;

use super::i18n::tr;
use super::pages::{Frame, PageResult, finish, read_multipart};
use super::{PageError, Web, render, see_other};
use crate::AppState;

/// The listing text of a finding split around the match, for `<mark>`.
#[derive(Debug, Clone)]
pub struct Highlight {
    /// Text before the match.
    pub before: String,
    /// The matched text.
    pub matched: String,
    /// Text after it.
    pub after: String,
}

/// Splits `text` at the byte span `[start, end)`, or shows the matched
/// text alone when the span does not fall on character boundaries of this
/// text (it always does for captures the engine wrote).
pub fn highlight(text: &str, start: u64, end: u64, matched: &str) -> Highlight {
    let (s, e) = (
        usize::try_from(start).unwrap_or(usize::MAX),
        usize::try_from(end).unwrap_or(usize::MAX),
    );
    match (text.get(..s), text.get(s..e), text.get(e..)) {
        (Some(before), Some(m), Some(after)) if s < e => Highlight {
            before: before.to_owned(),
            matched: m.to_owned(),
            after: after.to_owned(),
        },
        _ => Highlight {
            before: String::new(),
            matched: matched.to_owned(),
            after: String::new(),
        },
    }
}

/// A finding as a row of the page.
#[derive(Debug, Clone)]
pub struct FindingRow {
    /// Its id.
    pub id: String,
    /// The listing.
    pub listing: String,
    /// Its seller.
    pub seller: String,
    /// The right.
    pub right: String,
    /// The mark or alias that matched.
    pub term: String,
    /// How it matched (`exact`, `leet`, `fuzzy`, ...).
    pub method: String,
    /// `title` or `description`.
    pub field: String,
    /// The field's text with the match.
    pub text: Highlight,
    /// Score, as a percentage.
    pub score: String,
    /// The complaint it went into, or the one it is a relisting of.
    pub complaint: Option<String>,
    /// Whether it is a relisting of a listing taken down before.
    pub relisting: bool,
    /// When found.
    pub found: String,
    /// Whether the user ticked it (kept after an error).
    pub picked: bool,
    /// For an image match: both pictures and their distance.
    pub image: Option<ImageRow>,
}

/// The two pictures of an image finding.
#[derive(Debug, Clone)]
pub struct ImageRow {
    /// SHA-256 of the listing's picture.
    pub listing: String,
    /// SHA-256 of the right's reference picture.
    pub reference: String,
    /// PDQ Hamming distance, in bits of 256.
    pub distance: String,
    /// The reference variant that matched.
    pub transform: String,
}

fn row(f: Finding, picked: &[String]) -> FindingRow {
    let e = &f.explanation;
    let text = if e.field == "description" {
        &f.capture.description
    } else {
        &f.capture.title
    };
    let complaint = match &f.state {
        FindingState::Complained { complaint } => Some(complaint.to_string()),
        _ => f.relisting_of.as_ref().map(ToString::to_string),
    };
    let image = f.capture.image_match.as_ref().map(|m| ImageRow {
        listing: m.listing_image.to_string(),
        reference: m.reference_image.to_string(),
        distance: m.distance.to_string(),
        transform: e.transform.clone().unwrap_or_default(),
    });
    FindingRow {
        image,
        picked: picked.contains(&f.id),
        id: f.id.clone(),
        listing: f.listing.to_string(),
        seller: f.capture.seller.to_string(),
        right: f.right.to_string(),
        term: e.term.clone(),
        method: e.method.clone(),
        field: e.field.clone(),
        text: highlight(text, e.start, e.end, &e.matched),
        score: format!("{:.0}%", e.score * 100.0),
        relisting: f.relisting_of.is_some(),
        complaint,
        found: f.found_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// A verified right and the marks and reference images it is monitored for.
#[derive(Debug, Clone)]
pub struct MarksRow {
    /// The right.
    pub right: String,
    /// Its mark.
    pub mark: String,
    /// Its aliases, comma-separated.
    pub aliases: String,
    /// Its reference images: SHA-256, its first 12 digits, and how many
    /// hashes each has.
    pub images: Vec<(String, String, i64)>,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    f: Frame,
    state: String,
    states: Vec<&'static str>,
    rows: Vec<FindingRow>,
    reasons: Vec<&'static str>,
    reason: String,
    dismiss_reason: String,
    error: Option<String>,
    notice: Option<String>,
    marks: Vec<MarksRow>,
    scans: Vec<(String, String, String, String)>,
}

#[derive(Debug, Deserialize)]
pub(super) struct FindingsQuery {
    state: Option<String>,
    filed: Option<String>,
}

const STATES: [&str; 4] = ["open", "complained", "dismissed", "resolved"];
const REASONS: [&str; 5] = [
    "counterfeit",
    "trademark_misuse",
    "copyright",
    "patent",
    "design",
];

struct View<'a> {
    state: &'a str,
    picked: &'a [String],
    reason: String,
    dismiss_reason: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn view(web: &Web, s: &AppState, v: View<'_>, status: StatusCode) -> PageResult {
    let actor = web.actor()?;
    let state = if STATES.contains(&v.state) {
        v.state
    } else {
        "open"
    };
    let findings = s
        .app
        .findings_visible_to(actor, Some(state), None, None, 500)
        .await?;
    let mut marks = Vec::new();
    if matches!(
        actor.role,
        rightsguard_domain::actor::Role::RightsHolder | rightsguard_domain::actor::Role::Agent
    ) {
        for r in s.app.rights_listed_for(actor, Some("verified")).await? {
            if r.state != RightState::Verified {
                continue;
            }
            let m = s
                .app
                .store()
                .right_marks(&r.id)
                .await
                .map_err(AppError::from)?;
            let images = s
                .app
                .right_images_visible_to(actor, &r.id)
                .await?
                .into_iter()
                .map(|i| {
                    let sha = i.sha256.to_string();
                    let short = sha.chars().take(12).collect();
                    (sha, short, i.variants)
                })
                .collect();
            marks.push(MarksRow {
                right: r.id.to_string(),
                mark: m.as_ref().map(|m| m.mark.clone()).unwrap_or_default(),
                aliases: m.map(|m| m.aliases.join(", ")).unwrap_or_default(),
                images,
            });
        }
    }
    let scans = s
        .app
        .scans_visible_to(actor, 5)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.started_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
                r.listings.to_string(),
                format!(
                    "{} / {} / {}",
                    r.counts.new, r.counts.known, r.counts.resolved
                ),
                r.reason,
            )
        })
        .collect();
    Ok(render(
        status,
        &FindingsPage {
            f: Frame::new(web, s, "findings"),
            state: state.to_owned(),
            states: STATES.to_vec(),
            rows: findings.into_iter().map(|f| row(f, v.picked)).collect(),
            reasons: REASONS.to_vec(),
            reason: v.reason,
            dismiss_reason: v.dismiss_reason,
            error: v.error,
            notice: v.notice,
            marks,
            scans,
        },
    ))
}

pub(super) async fn findings_page(
    State(s): State<AppState>,
    web: Web,
    Query(q): Query<FindingsQuery>,
) -> Response {
    let notice = q
        .filed
        .filter(|f| !f.is_empty())
        .map(|f| format!("{} {f}", tr(web.lang, "complaints_filed")));
    let r = view(
        &web,
        &s,
        View {
            state: q.state.as_deref().unwrap_or("open"),
            picked: &[],
            reason: "counterfeit".into(),
            dismiss_reason: String::new(),
            error: None,
            notice,
        },
        StatusCode::OK,
    )
    .await;
    finish(&web, &s, r)
}

/// Files one batch complaint from, or dismisses, the ticked findings.
/// Ticked boxes are `pick.ID` fields, so a form of any number of findings
/// needs no repeated keys.
pub(super) async fn act_on_findings(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<BTreeMap<String, String>>,
) -> Response {
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let picked: Vec<String> = form
        .keys()
        .filter_map(|k| k.strip_prefix("pick."))
        .map(str::to_owned)
        .collect();
    let r = async {
        web.check_write(&get("csrf"))?;
        let actor = web.actor()?;
        let lang = web.lang;
        let again = |error: String| View {
            state: "open",
            picked: &picked,
            reason: get("reason"),
            dismiss_reason: get("dismiss_reason"),
            error: Some(error),
            notice: None,
        };
        if picked.is_empty() {
            return view(
                &web,
                &s,
                again(tr(lang, "select_findings").to_owned()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        match get("action").as_str() {
            "complain" => {
                let Some(reason) =
                    serde_json::from_value::<ReasonCode>(serde_json::Value::String(get("reason")))
                        .ok()
                else {
                    return view(
                        &web,
                        &s,
                        again(tr(lang, "choose_one").to_owned()),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                };
                match s.app.complain_findings(actor, &picked, reason).await {
                    Ok(filed) => {
                        let ids: Vec<String> =
                            filed.iter().map(|c| c.complaint.to_string()).collect();
                        Ok(see_other(&format!("/findings?filed={}", ids.join(","))))
                    }
                    Err(e @ (AppError::Rule(_) | AppError::NotFound(_))) => {
                        view(
                            &web,
                            &s,
                            again(e.to_string()),
                            StatusCode::UNPROCESSABLE_ENTITY,
                        )
                        .await
                    }
                    Err(e) => Err(PageError::from(e)),
                }
            }
            "dismiss" => {
                let why = get("dismiss_reason");
                if why.is_empty() {
                    return view(
                        &web,
                        &s,
                        again(tr(lang, "reason_required").to_owned()),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                }
                for id in &picked {
                    match s.app.dismiss_finding(actor, id, &why).await {
                        Ok(_) => {}
                        Err(e @ (AppError::Rule(_) | AppError::NotFound(_))) => {
                            return view(
                                &web,
                                &s,
                                again(e.to_string()),
                                StatusCode::UNPROCESSABLE_ENTITY,
                            )
                            .await;
                        }
                        Err(e) => return Err(PageError::from(e)),
                    }
                }
                Ok(see_other("/findings"))
            }
            _ => {
                view(
                    &web,
                    &s,
                    again(tr(lang, "choose_one").to_owned()),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        }
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Debug, Deserialize)]
pub(super) struct MarksForm {
    csrf: String,
    mark: String,
    #[serde(default)]
    aliases: String,
}

/// Sets the mark and aliases a verified right is monitored for (its owner
/// or the owner's agent); the app rescans the owner's listings.
pub(super) async fn set_marks(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<MarksForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        let right = RightId::parse(&id).map_err(|_| AppError::NotFound(format!("right {id}")))?;
        let mark = form.mark.trim().to_owned();
        if mark.is_empty() {
            return Err(AppError::Rule(RuleError::Invalid(
                tr(web.lang, "mark_required").to_owned(),
            ))
            .into());
        }
        let aliases = form
            .aliases
            .split([',', '，', ';'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        s.app
            .set_right_marks(actor, &right, RightMarks { mark, aliases })
            .await?;
        Ok(see_other("/findings"))
    }
    .await;
    finish(&web, &s, r)
}

fn right_of(id: &str) -> Result<RightId, AppError> {
    RightId::parse(id).map_err(|_| AppError::NotFound(format!("right {id}")))
}

fn sha_of(sha: &str) -> Result<Sha256, AppError> {
    Sha256::parse(sha).map_err(|_| AppError::NotFound(format!("image {sha}")))
}

/// Adds a reference image (the form's file) to a verified right; a file
/// that is not a usable image comes back on the page with the decoder's
/// reason.
pub(super) async fn add_right_image(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    m: Multipart,
) -> Response {
    let r = async {
        let data = read_multipart(m, s.evidence_limit).await?;
        web.check_write(&data.get("csrf"))?;
        let actor = web.actor()?;
        let right = right_of(&id)?;
        let refused = |error: String| View {
            state: "open",
            picked: &[],
            reason: "counterfeit".into(),
            dismiss_reason: String::new(),
            error: Some(error),
            notice: None,
        };
        let Some(file) = data.files.into_iter().next() else {
            let msg = tr(web.lang, "choose_image").to_owned();
            return view(&web, &s, refused(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        match s.app.add_right_image(actor, &right, file).await {
            Ok(_) => Ok(see_other("/findings")),
            Err(e @ AppError::Image(_)) => {
                let msg = format!("{}: {e}", tr(web.lang, "image_refused"));
                view(&web, &s, refused(msg), StatusCode::UNPROCESSABLE_ENTITY).await
            }
            Err(e) => Err(PageError::from(e)),
        }
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

/// Removes a reference image from a right (the file is kept).
pub(super) async fn remove_right_image(
    State(s): State<AppState>,
    web: Web,
    Path((id, sha)): Path<(String, String)>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        s.app
            .remove_right_image(actor, &right_of(&id)?, &sha_of(&sha)?)
            .await?;
        Ok(see_other("/findings"))
    }
    .await;
    finish(&web, &s, r)
}

/// A right's reference picture, for the page's thumbnails.
pub(super) async fn right_image(
    State(s): State<AppState>,
    web: Web,
    Path((id, sha)): Path<(String, String)>,
) -> Response {
    let r = async {
        let actor = web.actor()?;
        let file = s
            .app
            .right_image_file(actor, &right_of(&id)?, &sha_of(&sha)?)
            .await?;
        Ok(crate::images::image_response(file))
    }
    .await;
    finish(&web, &s, r)
}

/// A picture of an image finding (the listing's or the reference).
pub(super) async fn finding_image(
    State(s): State<AppState>,
    web: Web,
    Path((id, sha)): Path<(String, String)>,
) -> Response {
    let r = async {
        let actor = web.actor()?;
        let file = s
            .app
            .finding_image_file(actor, &id, &sha_of(&sha)?)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("stored image {sha}")))?;
        Ok(crate::images::image_response(file))
    }
    .await;
    finish(&web, &s, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_the_span_or_falls_back_to_the_matched_text() {
        let h = highlight("正品耐克 shoes", 6, 12, "耐克");
        assert_eq!(
            (h.before.as_str(), h.matched.as_str(), h.after.as_str()),
            ("正品", "耐克", " shoes")
        );
        // Not on a character boundary, or out of range: the matched text alone.
        let h = highlight("正品耐克", 1, 4, "x");
        assert_eq!((h.before.as_str(), h.matched.as_str()), ("", "x"));
        let h = highlight("abc", 2, 99, "c");
        assert_eq!(h.matched, "c");
    }
}
