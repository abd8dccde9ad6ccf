//! The REST API under `/api/v1`: thin handlers over the use cases.
//!
//! Each handler authenticates the caller ([`Caller`]), parses the body
//! ([`JsonBody`]), calls one use case and returns its result as JSON; it
//! decides nothing. Its `#[utoipa::path]` annotation is the source of the
//! OpenAPI document, so the document cannot drift from the routes.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rightsguard_app::complaint_as_seen_by;
use rightsguard_domain::complaint::{
    Appeal, Complaint, ComplaintCommand, ItemState, ReasonCode, SubmitComplaint,
};
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::penalty::Standing;
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody};
use crate::idempotency::{IDEMPOTENCY_KEY_DOC, IdempotencyKeyHeader, rendered, respond};

type ApiResult<T> = Result<T, ApiError>;

/// The routes of `/api/v1`, with their OpenAPI operations.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_policy))
        .routes(routes!(register_right, list_rights))
        .routes(routes!(get_right))
        .routes(routes!(decide_right))
        .routes(routes!(submit_complaint))
        .routes(routes!(get_complaint))
        .routes(routes!(command_complaint))
        .routes(routes!(get_review_queue))
        .routes(routes!(get_seller_standing))
        .routes(routes!(verify_audit))
        .routes(routes!(advance_clock))
        .routes(routes!(run_jobs))
        .merge(crate::listings::routes())
        .merge(crate::webhooks::routes())
        .merge(crate::dead_letters::routes())
        .merge(crate::findings::routes())
        .merge(crate::clearance::routes())
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::App(rightsguard_app::AppError::NotFound(format!("{what} {id}")))
}

// An id that does not parse names nothing that could exist: 404, like any
// other unknown id.
fn right_id(s: &str) -> ApiResult<RightId> {
    RightId::parse(s).map_err(|_| not_found("right", s))
}
fn complaint_id(s: &str) -> ApiResult<ComplaintId> {
    ComplaintId::parse(s).map_err(|_| not_found("complaint", s))
}
fn org_id(s: &str) -> ApiResult<OrgId> {
    OrgId::parse(s).map_err(|_| not_found("seller", s))
}

/// The site's policy profile: deadlines, limits and thresholds. Public.
#[utoipa::path(get, path = "/api/v1/policy", tag = "policy",
    responses((status = 200, description = "The policy profile in force (see `rightsguard policy show`)", body = Object)))]
async fn get_policy(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(s.app.policy()).unwrap_or_default())
}

/// A right as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RightView {
    /// Its id.
    #[schema(value_type = String)]
    pub id: RightId,
    /// The owning organisation.
    #[schema(value_type = String)]
    pub owner: OrgId,
    /// `trademark`, `patent`, `design` or `copyright`.
    #[schema(value_type = String)]
    pub kind: RightKind,
    /// Where it is registered.
    #[schema(value_type = String)]
    pub jurisdiction: Jurisdiction,
    /// The office's number.
    #[schema(value_type = String)]
    pub registration_number: RegistrationNumber,
    /// Nice classes.
    #[schema(value_type = Vec<u8>)]
    pub nice_classes: BTreeSet<NiceClass>,
    /// First day in force.
    #[schema(value_type = String, format = Date)]
    pub valid_from: Date,
    /// Last day in force, if on record.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<Date>,
    /// SHA-256 of each certificate.
    #[schema(value_type = Vec<String>)]
    pub certificates: BTreeSet<Sha256>,
    /// SHA-256 of the China extension certificate (Madrid registrations).
    #[schema(value_type = Option<String>)]
    pub cn_extension_certificate: Option<Sha256>,
    /// `pending`, `verified`, `rejected`, `expired` or `revoked`.
    #[schema(value_type = String)]
    pub state: RightState,
}

impl From<Right> for RightView {
    fn from(r: Right) -> Self {
        Self {
            id: r.id,
            owner: r.owner,
            kind: r.kind,
            jurisdiction: r.jurisdiction,
            registration_number: r.registration_number,
            nice_classes: r.nice_classes,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            certificates: r.certificates,
            cn_extension_certificate: r.cn_extension_certificate,
            state: r.state,
        }
    }
}

/// One listing of a complaint as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    /// The listing.
    #[schema(value_type = String)]
    pub listing: ListingId,
    /// Its seller.
    #[schema(value_type = String)]
    pub seller: OrgId,
    /// Where it stands, tagged by `state` (`under_review`, `upheld` with
    /// `round` and `counter_due`, `forwarded` with `escalation_due`,
    /// `established`, `reinstated`, ...).
    #[schema(value_type = Object)]
    pub state: ItemState,
    /// Review due by (the SLA clock).
    #[schema(value_type = String, format = DateTime)]
    pub review_due: Timestamp,
    /// When the last decision was taken.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
    /// Who took it.
    #[schema(value_type = Option<String>)]
    pub decided_by: Option<UserId>,
    /// When it became established (counts against the seller).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub established_at: Option<Timestamp>,
    /// Times supplemented and resubmitted.
    pub resubmissions: u32,
    /// Counter-notices filed.
    pub counter_notices: u8,
    /// Internal complaints, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub appeals: Vec<Appeal>,
}

/// A complaint as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintView {
    /// Its id.
    #[schema(value_type = String)]
    pub id: ComplaintId,
    /// The rights holder on whose right it rests.
    #[schema(value_type = String)]
    pub complainant: OrgId,
    /// The organisation that filed it (the holder or its agent).
    #[schema(value_type = String)]
    pub filed_by: OrgId,
    /// The right.
    #[schema(value_type = String)]
    pub right: RightId,
    /// The ground.
    #[schema(value_type = String)]
    pub reason: ReasonCode,
    /// When it was submitted.
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: Timestamp,
    /// SHA-256 of each evidence file.
    #[schema(value_type = Vec<String>)]
    pub evidence: Vec<Sha256>,
    /// Its listings.
    pub items: Vec<ItemView>,
    /// Evidence files a reported seller showed on its own listing first,
    /// before the complaint: a sign that the notifier may be passing off
    /// the seller's pictures (a seller sees only its own).
    pub evidence_flags: Vec<EvidenceFlagView>,
}

/// An evidence file a reported seller showed first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceFlagView {
    /// SHA-256 of the evidence file.
    #[schema(value_type = String)]
    pub evidence: Sha256,
    /// The seller's listing that showed it first.
    #[schema(value_type = String)]
    pub listing: ListingId,
    /// The seller.
    #[schema(value_type = String)]
    pub seller: OrgId,
    /// When that listing first showed it.
    #[schema(value_type = String, format = DateTime)]
    pub first_seen: Timestamp,
    /// Whether that was before the right came into force.
    pub before_right: bool,
}

impl From<Complaint> for ComplaintView {
    fn from(c: Complaint) -> Self {
        Self {
            id: c.id,
            complainant: c.complainant,
            filed_by: c.filed_by,
            right: c.right,
            reason: c.reason,
            submitted_at: c.submitted_at,
            evidence: c.evidence,
            items: c
                .items
                .into_iter()
                .map(|i| ItemView {
                    listing: i.listing,
                    seller: i.seller,
                    state: i.state,
                    review_due: i.review_due,
                    decided_at: i.decided_at,
                    decided_by: i.decided_by,
                    established_at: i.established_at,
                    resubmissions: i.resubmissions,
                    counter_notices: i.counter_notices,
                    appeals: i.appeals,
                })
                .collect(),
            evidence_flags: c
                .evidence_flags
                .into_iter()
                .map(|f| EvidenceFlagView {
                    evidence: f.evidence,
                    listing: f.listing,
                    seller: f.seller,
                    first_seen: f.first_seen,
                    before_right: f.before_right,
                })
                .collect(),
        }
    }
}

/// A right to register, pending verification.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRightBody {
    /// Id for the new right.
    #[schema(value_type = String, example = "tm-acme-cn-1")]
    pub id: RightId,
    /// The owner; defaults to the caller's organisation (an agent's principal).
    #[schema(value_type = Option<String>)]
    pub owner: Option<OrgId>,
    /// `trademark`, `patent`, `design` or `copyright`.
    #[schema(value_type = String, example = "trademark")]
    pub kind: RightKind,
    /// ISO 3166 alpha-2 code, `EM` (EUIPO) or `WO` (Madrid).
    #[schema(value_type = String, example = "CN")]
    pub jurisdiction: Jurisdiction,
    /// The office's registration number.
    #[schema(value_type = String, example = "G1234567")]
    pub registration_number: RegistrationNumber,
    /// Nice classes (trademarks).
    #[serde(default)]
    #[schema(value_type = Vec<u8>, example = json!([25]))]
    pub nice_classes: BTreeSet<NiceClass>,
    /// First day in force (YYYY-MM-DD).
    #[schema(value_type = String, format = Date, example = "2020-01-01")]
    pub valid_from: Date,
    /// Last day in force, if the term is on record.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<Date>,
    /// SHA-256 (hex) of each certificate file.
    #[schema(value_type = Vec<String>)]
    pub certificates: BTreeSet<Sha256>,
    /// For a Madrid registration: SHA-256 of the China extension certificate.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub cn_extension_certificate: Option<Sha256>,
}

/// Registers a right for the caller (or its principal); a reviewer verifies it.
#[utoipa::path(post, path = "/api/v1/rights", tag = "rights", request_body = RegisterRightBody,
    security(("bearer" = [])),
    responses((status = 201, description = "The right, pending", body = RightView),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_right(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<RegisterRightBody>,
) -> ApiResult<(StatusCode, Json<RightView>)> {
    let owner = b
        .owner
        .or_else(|| actor.principal.clone())
        .unwrap_or_else(|| actor.org.clone());
    let right = Right {
        id: b.id,
        owner,
        kind: b.kind,
        jurisdiction: b.jurisdiction,
        registration_number: b.registration_number,
        nice_classes: b.nice_classes,
        valid_from: b.valid_from,
        valid_until: b.valid_until,
        certificates: b.certificates,
        cn_extension_certificate: b.cn_extension_certificate,
        state: RightState::Pending,
    };
    let right = s.app.register_right(&actor, right).await?;
    Ok((StatusCode::CREATED, Json(right.into())))
}

/// Filter of the rights list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RightsQuery {
    /// `pending` (staff's default: the verification queue), `verified`, `rejected`,
    /// `expired` or `revoked`; rights holders see all their own without it.
    pub state: Option<String>,
}

/// Rights: staff see every right in `state` (default `pending`, the
/// verification queue, in id order, at most 1,000); a rights
/// holder or its agent its own; sellers 403.
#[utoipa::path(get, path = "/api/v1/rights", tag = "rights", params(RightsQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The rights", body = [RightView]),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_rights(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<axum::extract::Query<RightsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<RightView>>> {
    let axum::extract::Query(q) = query.map_err(|e| ApiError::InvalidBody {
        field: Some("state".into()),
        message: e.body_text(),
    })?;
    let rights = s.app.rights_listed_for(&actor, q.state.as_deref()).await?;
    Ok(Json(rights.into_iter().map(RightView::from).collect()))
}

/// A right: for its owner (or the owner's agent) and staff; 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/rights/{id}", tag = "rights",
    params(("id" = String, Path, description = "Right id")), security(("bearer" = [])),
    responses((status = 200, description = "The right", body = RightView), (status = 404, body = ErrorBody)))]
async fn get_right(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RightView>> {
    Ok(Json(
        s.app
            .right_visible_to(&actor, &right_id(&id)?)
            .await?
            .into(),
    ))
}

/// A decision on a right, tagged by `command`: `{"command":"verify"}`,
/// `{"command":"reject","reason":"..."}` (reviewers) or
/// `{"command":"revoke","reason":"..."}` (admins).
#[utoipa::path(post, path = "/api/v1/rights/{id}/decision", tag = "rights",
    params(("id" = String, Path, description = "Right id")), security(("bearer" = [])),
    request_body(content = Object, description = "A RightCommand: {\"command\":\"verify\"} | {\"command\":\"reject\",\"reason\":\"...\"} | {\"command\":\"revoke\",\"reason\":\"...\"}"),
    responses((status = 200, description = "The right after the decision", body = RightView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decide_right(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(cmd): JsonBody<RightCommand>,
) -> ApiResult<Json<RightView>> {
    let id = right_id(&id)?;
    // Strangers learn nothing: the right must be visible before it is judged.
    s.app.right_visible_to(&actor, &id).await?;
    Ok(Json(s.app.act_on_right(&actor, &id, &cmd).await?.into()))
}

/// One listing named in a complaint.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // a schema of the body `SubmitComplaint` parses
pub struct ListingRefDoc {
    /// The listing.
    id: String,
    /// Its seller organisation.
    seller: String,
    /// The Nice classes its category maps to.
    category_classes: Vec<u8>,
}

/// A complaint to submit (the schema of the domain's `SubmitComplaint`).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // a schema of the body `SubmitComplaint` parses
pub struct SubmitComplaintDoc {
    /// Id for the new complaint.
    id: String,
    /// The verified right it rests on.
    right: String,
    /// The ground.
    #[schema(value_type = String, example = "counterfeit")]
    reason: ReasonCode,
    /// Listings named (up to the policy's limit).
    listings: Vec<ListingRefDoc>,
    /// SHA-256 (hex) of each evidence file.
    evidence: Vec<String>,
}

/// Submits a complaint on a verified right of the caller (or its principal).
/// With an `Idempotency-Key`, a retry with the same body replays the first
/// answer (`Idempotency-Replayed: true`) instead of filing twice.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", request_body = SubmitComplaintDoc,
    params(("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY_DOC)),
    security(("bearer" = [])),
    responses((status = 201, description = "The complaint, under review (or the replayed first answer)", body = ComplaintView,
            headers(("Idempotency-Replayed" = String, description = "`true` when this is the recorded answer of an earlier request with the key"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`duplicate` id, or `idempotency_in_flight`", body = ErrorBody),
        (status = 422, description = "Invalid, out of scope, or `idempotency_key_reused`", body = ErrorBody)))]
async fn submit_complaint(
    State(s): State<AppState>,
    Caller(actor): Caller,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    JsonBody(cmd): JsonBody<SubmitComplaint>,
) -> ApiResult<Response> {
    // A right the caller may not see is answered as missing, like a GET.
    s.app.right_visible_to(&actor, &cmd.right).await?;
    let answer = s
        .app
        .submit_complaint_keyed(&actor, key.as_ref(), cmd, |c| {
            rendered(StatusCode::CREATED, &ComplaintView::from(c.clone()))
        })
        .await?;
    Ok(respond(answer))
}

/// A complaint: for staff, the complainant (or its agent) and the sellers it
/// names (each seeing only its own listings); 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints",
    params(("id" = String, Path, description = "Complaint id")), security(("bearer" = [])),
    responses((status = 200, description = "The complaint with the state of each listing", body = ComplaintView),
        (status = 404, body = ErrorBody)))]
async fn get_complaint(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ComplaintView>> {
    let c = s
        .app
        .complaint_visible_to(&actor, &complaint_id(&id)?)
        .await?;
    Ok(Json(complaint_as_seen_by(&actor, c.value).into()))
}

/// Applies a command to one listing of a complaint. The body is a
/// `ComplaintCommand` tagged by `command`: `decide`, `supplement`,
/// `withdraw`, `file_counter_notice`, `decide_counter_notice`,
/// `confirm_delivery`, `record_escalation`, `record_escalation_outcome`,
/// `file_internal_complaint`, `decide_internal_complaint`.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/commands", tag = "complaints",
    params(("id" = String, Path, description = "Complaint id"),
        ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY_DOC)),
    security(("bearer" = [])),
    request_body(content = Object, description = "A ComplaintCommand, e.g. {\"command\":\"decide\",\"listing\":\"L1\",\"decision\":{\"decision\":\"uphold\"}}"),
    responses((status = 200, description = "The complaint after the command (or the replayed first answer)", body = ComplaintView,
            headers(("Idempotency-Replayed" = String, description = "`true` when this is the recorded answer of an earlier request with the key"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Wrong state, closed window, or `idempotency_in_flight`", body = ErrorBody),
        (status = 422, description = "Invalid, or `idempotency_key_reused`", body = ErrorBody)))]
async fn command_complaint(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    JsonBody(cmd): JsonBody<ComplaintCommand>,
) -> ApiResult<Response> {
    let answer = s
        .app
        .act_on_complaint_keyed(&actor, key.as_ref(), &complaint_id(&id)?, &cmd, |c| {
            rendered(
                StatusCode::OK,
                &ComplaintView::from(complaint_as_seen_by(&actor, c.clone())),
            )
        })
        .await?;
    Ok(respond(answer))
}

/// One listing waiting for review.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    /// The complaint.
    pub complaint: String,
    /// The listing.
    pub listing: String,
    /// Review due by (RFC 3339).
    pub review_due: String,
}

/// Listings under review, earliest due first: staff only.
#[utoipa::path(get, path = "/api/v1/review-queue", tag = "review", security(("bearer" = [])),
    responses((status = 200, description = "Items under review", body = [QueueItem]),
        (status = 403, body = ErrorBody)))]
async fn get_review_queue(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<Vec<QueueItem>>> {
    let q = s.app.review_queue_for(&actor, 200).await?;
    Ok(Json(
        q.into_iter()
            .map(|e| QueueItem {
                complaint: e.complaint.to_string(),
                listing: e.listing,
                review_due: e.review_due.to_string(),
            })
            .collect(),
    ))
}

/// A seller's penalty standing (the document of `rightsguard_domain::penalty::Standing`,
/// which the handler returns; the end-to-end tests check that the keys agree).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct StandingDoc {
    /// General points that have not lapsed.
    pub general_points: u32,
    /// Serious strikes (violations within a few days merged) that have not lapsed.
    pub serious_strikes: u32,
    /// Every penalty applied so far, oldest first.
    pub penalties: Vec<PenaltyDoc>,
    /// The store's status now: `{"status":"active"}`, `{"status":"frozen","until":T}` or
    /// `{"status":"closed","since":T}`.
    #[schema(value_type = Object, example = json!({"status": "active"}))]
    pub status: serde_json::Value,
    /// The next rung of the general-points ladder: `{"at":N,"action":"freeze"|"close","days":D}`.
    #[schema(value_type = Option<Object>)]
    pub next_general: Option<serde_json::Value>,
    /// The next rung of the serious-strikes ladder.
    #[schema(value_type = Option<Object>)]
    pub next_serious: Option<serde_json::Value>,
}

/// One penalty applied to a seller.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct PenaltyDoc {
    /// When (the violation's time, RFC 3339).
    pub at: String,
    /// What: `{"kind":"warning"}`, `{"kind":"freeze","until":T}` or `{"kind":"close"}`.
    #[schema(value_type = Object)]
    pub kind: serde_json::Value,
    /// Why: `{"trigger":"first_offence"}`, `{"trigger":"general_points","points":N}` or
    /// `{"trigger":"serious_strikes","strikes":N}`.
    #[schema(value_type = Object)]
    pub trigger: serde_json::Value,
    /// The complaint whose violation triggered it.
    pub complaint: String,
    /// Its listing.
    pub listing: String,
}

/// A seller's penalty standing: for that seller and staff; 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/sellers/{org}/standing", tag = "sellers",
    params(("org" = String, Path, description = "Seller organisation id")), security(("bearer" = [])),
    responses((status = 200, description = "Strikes, points, penalties and store status", body = StandingDoc),
        (status = 404, body = ErrorBody)))]
async fn get_seller_standing(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
) -> ApiResult<Json<Standing>> {
    Ok(Json(
        s.app.standing_visible_to(&actor, &org_id(&org)?).await?,
    ))
}

/// The result of checking the audit chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    /// Whether the whole chain verified.
    pub ok: bool,
    /// Records checked.
    pub records: i64,
    /// `SEQ:HASH` of the last record; keep it to detect truncation later.
    pub head: Option<String>,
    /// The first record that does not verify, and why.
    pub first_bad: Option<BadRecord>,
}

/// An audit record that does not verify.
#[derive(Debug, Serialize, ToSchema)]
pub struct BadRecord {
    /// Its sequence number.
    pub seq: i64,
    /// What is wrong with it.
    pub reason: String,
}

/// Verifies the hash-chained audit log: admins only.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The verification report", body = AuditVerification),
        (status = 403, body = ErrorBody)))]
async fn verify_audit(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<AuditVerification>> {
    let r = s.app.verify_audit_as(&actor, None).await?;
    Ok(Json(AuditVerification {
        ok: r.ok(),
        records: r.records,
        head: r.head.map(|(s, h)| format!("{s}:{h}")),
        first_bad: r.first_bad.map(|(seq, reason)| BadRecord { seq, reason }),
    }))
}

/// How far to move the manual clock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClock {
    /// Seconds to move forward (time never goes back).
    pub seconds: i64,
}

/// The server's current time.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockNow {
    /// RFC 3339.
    pub now: String,
}

/// Moves the manual clock forward: admins only, and only when the server runs
/// with `--clock manual` (404 otherwise).
#[utoipa::path(post, path = "/api/v1/admin/clock/advance", tag = "admin", request_body = AdvanceClock,
    security(("bearer" = [])),
    responses((status = 200, description = "The new time", body = ClockNow),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn advance_clock(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<AdvanceClock>,
) -> ApiResult<Json<ClockNow>> {
    let Some(clock) = &s.manual_clock else {
        return Err(ApiError::NoRoute(
            "the clock is the system clock (start with --clock manual)".into(),
        ));
    };
    s.app.require_admin(&actor, "move the clock")?;
    if b.seconds < 0 {
        return Err(ApiError::InvalidBody {
            field: Some("seconds".into()),
            message: "time does not go back".into(),
        });
    }
    // Calendars, deadlines and penalty windows are computed for real dates:
    // a clock pushed to the end of time would break every later request.
    let latest: Timestamp = "2100-01-01T00:00:00Z"
        .parse()
        .map_err(|e: jiff::Error| ApiError::BodyUnreadable(e.to_string()))?;
    let by = SignedDuration::from_secs(b.seconds);
    if s.app.now().checked_add(by).map_or(true, |t| t >= latest) {
        return Err(ApiError::InvalidBody {
            field: Some("seconds".into()),
            message: format!("the clock may not pass {latest}; move it less"),
        });
    }
    let now: Timestamp = clock.advance(by);
    tracing::info!(%now, "manual clock advanced");
    Ok(Json(ClockNow {
        now: now.to_string(),
    }))
}

/// How many jobs were run.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobsRun {
    /// Jobs finished (applied, or moot because the case moved on).
    pub done: usize,
    /// Of those, complaint windows expired.
    pub expired_windows: usize,
    /// Of those, notifier assessments (DSA Art. 23).
    pub assessments: usize,
    /// Of those, monitoring scans (of one listing, or a rescan of a rights holder).
    pub scans: usize,
    /// Of those, notification jobs (e-mails, reminders, penalty notices).
    pub notifications: usize,
    /// Of those, store statuses compared with the one announced to the
    /// marketplace (`store.frozen`, `store.unfrozen`, `store.closed`).
    pub store_statuses: usize,
}

/// Runs the due deadline jobs now: admins only (the background runner does
/// the same on an interval).
#[utoipa::path(post, path = "/api/v1/admin/jobs/run", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Jobs finished", body = JobsRun), (status = 403, body = ErrorBody)))]
async fn run_jobs(State(s): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<JobsRun>> {
    let n = s.app.run_due_jobs_as(&actor, &s.worker, 1000).await?;
    Ok(Json(JobsRun {
        done: n.total(),
        expired_windows: n.expired_windows,
        assessments: n.assessments,
        scans: n.scans,
        notifications: n.notifications,
        store_statuses: n.store_statuses,
    }))
}
