//! Exports: DSA statements of reasons, Lumen-style notices, CSV and the
//! transparency report. Thin handlers over `rightsguard_app`'s export use
//! cases, which decide who sees what.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use rightsguard_domain::dsa::{MAX_BATCH, StatementOfReasons};
use rightsguard_domain::ids::ComplaintId;
use rightsguard_domain::lumen::{self, DEFAULT_LISTING_URL, LumenNotice};
use rightsguard_domain::transparency::TransparencyReport;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;

type ApiResult<T> = Result<T, ApiError>;

/// The routes of the exports.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_statements))
        .routes(routes!(get_statement))
        .routes(routes!(complaint_statements))
        .routes(routes!(get_transparency_report))
        .routes(routes!(complaint_lumen))
        .routes(routes!(list_lumen_notices))
        .routes(routes!(export_complaints))
}

fn bad_query(field: &str, message: String) -> ApiError {
    ApiError::InvalidBody {
        field: Some(field.into()),
        message,
    }
}

fn complaint_id(s: &str) -> ApiResult<ComplaintId> {
    ComplaintId::parse(s).map_err(|_| {
        ApiError::App(rightsguard_app::AppError::NotFound(format!(
            "complaint {s}"
        )))
    })
}

/// A CSV attachment.
fn csv(name: &str, body: String) -> Response {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    (h, body).into_response()
}

/// Whether the caller asked for CSV: `?format=csv`, or an `Accept` that
/// names `text/csv` (and `?format=json` wins over `Accept`).
fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> ApiResult<bool> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(bad_query(
            "format",
            format!("format {other:?} is not json or csv"),
        )),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|m| m.trim().starts_with("text/csv")))),
    }
}

/// Paging of the statement list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// Decisions recorded after this audit sequence number (`next_after` of the previous page).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Page size, 1 to 100 (default 100), the Transparency Database's batch limit.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// A batch of statements, shaped as the Transparency Database's
/// `POST /api/v1/statements` takes it, with the cursor of the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementBatch {
    /// 0 to 100 statements, in the order the decisions were recorded.
    pub statements: Vec<StatementOfReasons>,
    /// Pass as `after` for the next page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

/// Statements of reasons (DSA Art. 17) for every decision that restricted a
/// listing or an account, in the EU Transparency Database's schema, a batch of
/// at most 100 per page. Staff see all; a seller those about its own listings
/// and store; a rights holder (or its agent) the takedowns of its complaints.
#[utoipa::path(get, path = "/api/v1/dsa/statements", tag = "exports", params(StatementQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A batch of statements", body = StatementBatch),
        (status = 422, body = ErrorBody)))]
async fn list_statements(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<StatementQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<StatementBatch>> {
    let Query(q) = query.map_err(|e| {
        bad_query(
            "query",
            format!(
                "{} (after: a sequence number, limit: 1 to 100)",
                e.body_text()
            ),
        )
    })?;
    let limit = q.limit.unwrap_or(MAX_BATCH as i64);
    if !(1..=MAX_BATCH as i64).contains(&limit) {
        return Err(bad_query(
            "limit",
            format!("limit {limit} is out of range: 1 to {MAX_BATCH}"),
        ));
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(bad_query("after", format!("after {after} is negative")));
    }
    let page = s
        .app
        .dsa_statements(&actor, after, usize::try_from(limit).unwrap_or(MAX_BATCH))
        .await?;
    Ok(Json(StatementBatch {
        statements: page.statements,
        next_after: page.next_after,
    }))
}

/// One statement of reasons by its puid; 404 if it does not exist or is not
/// the caller's to see.
#[utoipa::path(get, path = "/api/v1/dsa/statements/{puid}", tag = "exports",
    params(("puid" = String, Path, description = "The statement's puid, e.g. `rg-takedown-42`")),
    security(("bearer" = [])),
    responses((status = 200, description = "The statement", body = StatementOfReasons),
        (status = 404, body = ErrorBody)))]
async fn get_statement(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(puid): Path<String>,
) -> ApiResult<Json<StatementOfReasons>> {
    Ok(Json(s.app.dsa_statement(&actor, &puid).await?))
}

/// The statements of one complaint's decisions (its takedowns and the store
/// penalties they triggered) that the caller may see.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/statements", tag = "exports",
    params(("id" = String, Path, description = "Complaint id")), security(("bearer" = [])),
    responses((status = 200, description = "The complaint's statements", body = [StatementOfReasons]),
        (status = 404, body = ErrorBody)))]
async fn complaint_statements(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<StatementOfReasons>>> {
    Ok(Json(
        s.app
            .complaint_statements(&actor, &complaint_id(&id)?)
            .await?,
    ))
}

/// The period of a report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Start (inclusive): RFC 3339 or a date `YYYY-MM-DD` (UTC midnight).
    pub from: String,
    /// End (exclusive): RFC 3339 or a date `YYYY-MM-DD` (UTC midnight).
    pub to: String,
    /// `json` (default) or `csv`; without it, `Accept: text/csv` asks for CSV.
    pub format: Option<String>,
}

fn instant(field: &str, s: &str) -> ApiResult<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    s.parse::<Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            bad_query(
                field,
                format!("{s:?} is not an RFC 3339 instant or a date YYYY-MM-DD"),
            )
        })
}

/// The transparency report for a period: notices by type and source,
/// actions by ground, median time to act, counter-notices and reversals,
/// internal complaints, suspensions. Staff only. JSON, or CSV
/// (`section,metric,key,value`) with `?format=csv` or `Accept: text/csv`.
#[utoipa::path(get, path = "/api/v1/reports/transparency", tag = "exports", params(ReportQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The report",
            content((TransparencyReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_transparency_report(
    State(s): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    query: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| {
        bad_query(
            "query",
            format!(
                "{} (from and to: RFC 3339 or YYYY-MM-DD; format: json or csv)",
                e.body_text()
            ),
        )
    })?;
    let csv_wanted = wants_csv(q.format.as_deref(), &headers)?;
    let from = instant("from", &q.from)?;
    let to = instant("to", &q.to)?;
    if to <= from {
        return Err(bad_query(
            "to",
            "the period must end after it starts".into(),
        ));
    }
    let report = s.app.transparency_report(&actor, from, to).await?;
    if csv_wanted {
        Ok(csv("transparency.csv", report.to_csv()))
    } else {
        Ok(Json(report).into_response())
    }
}

/// One complaint as a Lumen-style notice record (sender, principal,
/// recipient, the work with its infringing URLs, the action taken), for
/// whoever may see the complaint; a seller sees only its own listings in it.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/lumen", tag = "exports",
    params(("id" = String, Path, description = "Complaint id")), security(("bearer" = [])),
    responses((status = 200, description = "The notice record", body = LumenNotice),
        (status = 404, body = ErrorBody)))]
async fn complaint_lumen(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<LumenNotice>> {
    Ok(Json(
        s.app
            .lumen_notice(&actor, &complaint_id(&id)?, DEFAULT_LISTING_URL)
            .await?,
    ))
}

/// The format of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json` (default) or `csv`; without it, `Accept: text/csv` asks for CSV.
    pub format: Option<String>,
}

/// Every complaint the caller may export as Lumen-style notice records:
/// staff all, a rights holder (or its agent) its own; sellers may not (403).
/// JSON, or CSV (one row per infringing URL).
#[utoipa::path(get, path = "/api/v1/lumen/notices", tag = "exports", params(FormatQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The notice records",
            content((Vec<LumenNotice> = "application/json"), (String = "text/csv"))),
        (status = 403, body = ErrorBody)))]
async fn list_lumen_notices(
    State(s): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    query: Result<Query<FormatQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| bad_query("query", e.body_text()))?;
    let csv_wanted = wants_csv(q.format.as_deref(), &headers)?;
    let notices = s.app.lumen_notices(&actor, DEFAULT_LISTING_URL).await?;
    if csv_wanted {
        Ok(csv("lumen-notices.csv", lumen::notices_csv(&notices)))
    } else {
        Ok(Json(notices).into_response())
    }
}

/// Every complaint the caller may export as CSV, one row per listing
/// (`complaint_id,submitted_at,complainant,filed_by,right_id,reason,listing_id,seller,state,listing_down,review_due,decided_at,established_at,counter_notices,internal_complaints`):
/// staff all, a rights holder (or its agent) its own; sellers may not (403).
#[utoipa::path(get, path = "/api/v1/exports/complaints", tag = "exports",
    security(("bearer" = [])),
    responses((status = 200, description = "The complaints as CSV", body = String, content_type = "text/csv"),
        (status = 403, body = ErrorBody)))]
async fn export_complaints(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Response> {
    Ok(csv("complaints.csv", s.app.complaints_csv(&actor).await?))
}
