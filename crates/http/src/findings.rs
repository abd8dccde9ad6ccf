//! Monitoring over HTTP: findings, their triage, scans and the marks a
//! right is monitored for.
//!
//! Thin handlers: the app decides who sees what (a rights holder or its
//! agent its own rights' findings, staff all, sellers nothing: `403`), and
//! a finding the caller may not see is a `404`, as if it did not exist.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use rightsguard_domain::complaint::ReasonCode;
use rightsguard_domain::finding::{Finding, FindingState};
use rightsguard_domain::ids::RightId;
use rightsguard_store::findings::{RightMarks, ScanRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody};

type ApiResult<T> = Result<T, ApiError>;

/// The routes of monitoring.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_findings))
        .routes(routes!(get_finding))
        .routes(routes!(dismiss_finding))
        .routes(routes!(complain_findings))
        .routes(routes!(list_scans, start_scan))
        .routes(routes!(set_right_marks))
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::App(rightsguard_app::AppError::NotFound(format!("{what} {id}")))
}

/// Why a listing matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplanationView {
    /// `exact`, `folded`, `homoglyph`, `leet`, `spaced`, `joined`, `fuzzy`,
    /// `image` or `relisting`.
    pub method: String,
    /// The mark or alias that matched (for `image`: the SHA-256 of the
    /// right's reference image).
    pub term: String,
    /// `title`, `description` or `images`.
    pub field: String,
    /// Byte offset of the match in the field.
    pub start: u64,
    /// Byte offset just past the match.
    pub end: u64,
    /// The listing's text at the match (for `image`: the SHA-256 of the
    /// listing's image).
    pub matched: String,
    /// Confidence in (0, 1] (for `image`: 1 - distance/256).
    pub score: f32,
    /// Edit distance of a fuzzy match; PDQ Hamming distance (bits of 256,
    /// at most 31) of an image match.
    pub distance: Option<u8>,
    /// For `image`: the variant of the reference that matched (e.g.
    /// `rotated +3.0°`, `cut 5.0% left`, `trimmed to content`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform: Option<String>,
}

/// The listing as it was when found.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaptureView {
    /// The listing.
    pub listing: String,
    /// Its seller.
    pub seller: String,
    /// Its title then.
    pub title: String,
    /// Its description then.
    pub description: String,
    /// SHA-256 of its images then.
    pub image_hashes: Vec<String>,
    /// When it was captured.
    #[schema(value_type = String, format = DateTime)]
    pub captured_at: Timestamp,
    /// SHA-256 of the capture's canonical JSON (the evidence file attached
    /// to a complaint filed from the finding).
    pub sha256: String,
    /// For an image finding: the perceptual hashes it rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_match: Option<rightsguard_domain::finding::ImageMatch>,
}

/// A finding as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    /// Its id.
    pub id: String,
    /// The listing.
    pub listing: String,
    /// The right that matched.
    pub right: String,
    /// The right's owner.
    pub owner: String,
    /// `text:METHOD:TERM`, `image:LISTING_IMAGE:REFERENCE_IMAGE` or
    /// `relisting:COMPLAINT:LISTING`: one finding per listing, right and cause.
    pub cause: String,
    /// Why it matched.
    pub explanation: ExplanationView,
    /// The listing when found.
    pub capture: CaptureView,
    /// `open`, `dismissed`, `complained` or `resolved`.
    #[schema(example = "open")]
    pub state: String,
    /// Why it was dismissed.
    pub dismissed_reason: Option<String>,
    /// The complaint it was filed in.
    pub complaint: Option<String>,
    /// For a relisting (`cause` `relisting:COMPLAINT:LISTING`): the earlier
    /// complaint that took the original listing down.
    pub relisting_of: Option<String>,
    /// When it was first found.
    #[schema(value_type = String, format = DateTime)]
    pub found_at: Timestamp,
    /// When it last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Finding> for FindingView {
    fn from(f: Finding) -> Self {
        let e = f.explanation;
        let c = f.capture;
        let (dismissed_reason, complaint) = match &f.state {
            FindingState::Dismissed { reason } => (Some(reason.clone()), None),
            FindingState::Complained { complaint } => (None, Some(complaint.to_string())),
            FindingState::Open | FindingState::Resolved => (None, None),
        };
        Self {
            id: f.id,
            listing: f.listing.to_string(),
            right: f.right.to_string(),
            owner: f.owner.to_string(),
            cause: f.cause,
            explanation: ExplanationView {
                method: e.method,
                term: e.term,
                field: e.field,
                start: e.start,
                end: e.end,
                matched: e.matched,
                score: e.score,
                distance: e.distance,
                transform: e.transform,
            },
            capture: CaptureView {
                listing: c.listing.to_string(),
                seller: c.seller.to_string(),
                title: c.title,
                description: c.description,
                image_hashes: c.image_hashes.iter().map(ToString::to_string).collect(),
                captured_at: c.captured_at,
                sha256: f.capture_sha256.to_string(),
                image_match: c.image_match,
            },
            state: f.state.name().to_owned(),
            dismissed_reason,
            complaint,
            relisting_of: f.relisting_of.map(|c| c.to_string()),
            found_at: f.found_at,
            updated_at: f.updated_at,
        }
    }
}

/// A page of findings.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingsPage {
    /// The findings, in id order.
    pub findings: Vec<FindingView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of the findings list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    /// `open`, `dismissed`, `complained` or `resolved`.
    pub state: Option<String>,
    /// Only findings of this right.
    pub right: Option<String>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Findings the caller may see: a rights holder (or agent) those of its
/// own rights, staff all; sellers are refused.
#[utoipa::path(get, path = "/api/v1/findings", tag = "findings", params(FindingQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of findings", body = FindingsPage),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_findings(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<FindingQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<FindingsPage>> {
    let Query(q) = query.map_err(|e| ApiError::InvalidBody {
        field: Some("query".into()),
        message: format!(
            "{} (state: open|dismissed|complained|resolved, right: a right id, limit: 1 to 500, cursor)",
            e.body_text()
        ),
    })?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::InvalidBody {
            field: Some("limit".into()),
            message: format!("limit {limit} is out of range: 1 to 500"),
        });
    }
    let right = match q.right.as_deref() {
        Some(r) => match RightId::parse(r) {
            Ok(r) => Some(r),
            Err(_) => {
                return Ok(Json(FindingsPage {
                    findings: Vec::new(),
                    next_cursor: None,
                }));
            }
        },
        None => None,
    };
    let page = s
        .app
        .findings_visible_to(
            &actor,
            q.state.as_deref(),
            right.as_ref(),
            q.cursor.as_deref(),
            limit,
        )
        .await?;
    let next_cursor = (page.len() as i64 == limit)
        .then(|| page.last().map(|f| f.id.clone()))
        .flatten();
    Ok(Json(FindingsPage {
        findings: page.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// One finding: for its right's owner (or agent) and staff; 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings",
    params(("id" = String, Path, description = "Finding id")), security(("bearer" = [])),
    responses((status = 200, description = "The finding", body = FindingView),
        (status = 404, body = ErrorBody)))]
async fn get_finding(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<FindingView>> {
    Ok(Json(
        s.app.finding_visible_to(&actor, &id).await?.value.into(),
    ))
}

/// Why a finding is dismissed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissBody {
    /// Why it is not an infringement (required).
    #[schema(example = "authorised reseller")]
    pub reason: String,
}

/// Dismisses an open finding with a reason.
#[utoipa::path(post, path = "/api/v1/findings/{id}/dismiss", tag = "findings",
    params(("id" = String, Path, description = "Finding id")), request_body = DismissBody,
    security(("bearer" = [])),
    responses((status = 200, description = "The dismissed finding", body = FindingView),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dismiss_finding(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<DismissBody>,
) -> ApiResult<Json<FindingView>> {
    Ok(Json(
        s.app.dismiss_finding(&actor, &id, &b.reason).await?.into(),
    ))
}

/// Findings to file as complaints.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplainBody {
    /// Ids of open findings of the caller's rights.
    pub findings: Vec<String>,
    /// The ground.
    #[schema(value_type = String, example = "trademark_misuse")]
    pub reason: ReasonCode,
}

/// One complaint filed from findings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintFiledView {
    /// The complaint.
    pub complaint: String,
    /// Its right.
    pub right: String,
    /// The findings filed in it.
    pub findings: Vec<String>,
    /// The listings it names.
    pub listings: Vec<String>,
    /// The evidence attached: the captures, by SHA-256.
    pub evidence: Vec<String>,
}

/// The complaints filed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintsFiled {
    /// One per right and per batch of at most the policy's listings per complaint.
    pub complaints: Vec<ComplaintFiledView>,
}

/// Files complaints from selected open findings: one per right and per
/// batch limit, each with the findings' captures attached as evidence.
#[utoipa::path(post, path = "/api/v1/findings/complaint", tag = "findings", request_body = ComplainBody,
    security(("bearer" = [])),
    responses((status = 201, description = "The complaints filed", body = ComplaintsFiled),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complain_findings(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<ComplainBody>,
) -> ApiResult<(StatusCode, Json<ComplaintsFiled>)> {
    let filed = s
        .app
        .complain_findings(&actor, &b.findings, b.reason)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ComplaintsFiled {
            complaints: filed
                .into_iter()
                .map(|c| ComplaintFiledView {
                    complaint: c.complaint.to_string(),
                    right: c.right.to_string(),
                    findings: c.findings,
                    listings: c.listings.iter().map(ToString::to_string).collect(),
                    evidence: c.evidence.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        }),
    ))
}

/// The record of one rescan.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanView {
    /// Its id.
    pub id: String,
    /// The rights holder whose rights were scanned.
    pub owner: String,
    /// `scheduled`, `right_verified`, `marks_changed`, `images_changed` or `requested`.
    pub reason: String,
    /// When it started.
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// When it finished (absent while running).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
    /// Listings scanned.
    pub listings: i64,
    /// Findings not known before.
    pub findings_new: i64,
    /// Findings already known.
    pub findings_known: i64,
    /// Open findings no longer found.
    pub findings_resolved: i64,
}

impl From<ScanRecord> for ScanView {
    fn from(s: ScanRecord) -> Self {
        Self {
            id: s.id,
            owner: s.owner.to_string(),
            reason: s.reason,
            started_at: s.started_at,
            finished_at: s.finished_at,
            listings: s.listings,
            findings_new: s.counts.new,
            findings_known: s.counts.known,
            findings_resolved: s.counts.resolved,
        }
    }
}

/// Rescans the caller sees: its own (rights holder, agent) or all (staff), newest first.
#[utoipa::path(get, path = "/api/v1/scans", tag = "findings", security(("bearer" = [])),
    responses((status = 200, description = "Scan records", body = [ScanView]),
        (status = 403, body = ErrorBody)))]
async fn list_scans(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<Vec<ScanView>>> {
    let scans = s.app.scans_visible_to(&actor, 100).await?;
    Ok(Json(scans.into_iter().map(Into::into).collect()))
}

/// A rescan scheduled.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanStarted {
    /// The id its scan record will have.
    pub scan: String,
}

/// Starts a rescan of the caller's rights over every listing now (runs
/// with the next job run).
#[utoipa::path(post, path = "/api/v1/scans", tag = "findings", security(("bearer" = [])),
    responses((status = 202, description = "The rescan is scheduled", body = ScanStarted),
        (status = 403, body = ErrorBody)))]
async fn start_scan(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<(StatusCode, Json<ScanStarted>)> {
    let scan = s.app.request_rescan(&actor).await?;
    Ok((StatusCode::ACCEPTED, Json(ScanStarted { scan })))
}

/// What a right is searched for in listings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RightMarksBody {
    /// The mark as registered.
    #[schema(example = "ACME")]
    pub mark: String,
    /// Other spellings that count as the mark.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Sets the mark and aliases one of the caller's rights is monitored for;
/// a verified right's listings are rescanned.
#[utoipa::path(put, path = "/api/v1/rights/{id}/marks", tag = "findings",
    params(("id" = String, Path, description = "Right id")), request_body = RightMarksBody,
    security(("bearer" = [])),
    responses((status = 200, description = "The marks as stored", body = RightMarksBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_right_marks(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RightMarksBody>,
) -> ApiResult<Json<RightMarksBody>> {
    let right = RightId::parse(&id).map_err(|_| not_found("right", &id))?;
    let m = s
        .app
        .set_right_marks(
            &actor,
            &right,
            RightMarks {
                mark: b.mark,
                aliases: b.aliases,
            },
        )
        .await?;
    Ok(Json(RightMarksBody {
        mark: m.mark,
        aliases: m.aliases,
    }))
}
