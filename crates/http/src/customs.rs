//! Customs (GACC) recordals of a right over HTTP: list them, record one,
//! record a renewal. Who may see them is who may see the right (404 for
//! anyone else); recording needs the holder's side or an admin (403 for a
//! reviewer). A duplicate recordal number is 409, dates the rules refuse
//! (after the right's term, in the future, outside the renewal window) 422
//! or 409 with the reason.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use rightsguard_domain::customs::CustomsRecordal;
use rightsguard_domain::ids::RightId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody};

type ApiResult<T> = Result<T, ApiError>;

/// The routes of customs recordals.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_recordals, record_recordal))
        .routes(routes!(renew_recordal))
}

fn right_id(s: &str) -> ApiResult<RightId> {
    RightId::parse(s)
        .map_err(|_| ApiError::App(rightsguard_app::AppError::NotFound(format!("right {s}"))))
}

/// A customs recordal as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordalView {
    /// The right recorded.
    #[schema(value_type = String)]
    pub right: RightId,
    /// Customs' recordal number.
    pub number: String,
    /// The day customs approved it.
    #[schema(value_type = String, format = Date)]
    pub approved_on: Date,
    /// The day customs approved its latest renewal.
    #[schema(value_type = Option<String>, format = Date)]
    pub renewed_on: Option<Date>,
    /// Its last valid day: 10 years from approval (or from the previous
    /// term's end for a renewal), capped at the right's term.
    #[schema(value_type = String, format = Date)]
    pub valid_until: Date,
    /// Whether the right's own term, not the 10 years, ends it.
    pub capped_by_right: bool,
    /// The first day renewal may be applied for (6 months before the lapse).
    #[schema(value_type = String, format = Date)]
    pub renewal_opens_on: Date,
}

impl From<CustomsRecordal> for RecordalView {
    fn from(r: CustomsRecordal) -> Self {
        Self {
            renewal_opens_on: r.renewal_opens_on(),
            right: r.right,
            number: r.number,
            approved_on: r.approved_on,
            renewed_on: r.renewed_on,
            valid_until: r.valid_until,
            capped_by_right: r.capped_by_right,
        }
    }
}

/// A recordal customs approved.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordRecordalBody {
    /// Customs' recordal number (unique).
    pub number: String,
    /// The day customs approved it (`YYYY-MM-DD`), within the right's term.
    #[schema(value_type = String, format = Date)]
    pub approved_on: Date,
}

/// A renewal customs approved.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewRecordalBody {
    /// The day customs approved the renewal (`YYYY-MM-DD`), within the 6
    /// months before the lapse.
    #[schema(value_type = String, format = Date)]
    pub renewed_on: Date,
}

/// A right's customs recordals, by number: for the right's holder (or its
/// agent) and staff; 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/rights/{id}/customs-recordals", tag = "rights",
    params(("id" = String, Path, description = "Right id")), security(("bearer" = [])),
    responses((status = 200, description = "The recordals", body = [RecordalView]),
        (status = 404, body = ErrorBody)))]
async fn list_recordals(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<RecordalView>>> {
    let list = s.app.customs_recordals(&actor, &right_id(&id)?).await?;
    Ok(Json(list.into_iter().map(RecordalView::from).collect()))
}

/// Records a customs (GACC) recordal of a verified China right: valid 10
/// years from approval, capped at the right's term. Schedules the reminder
/// to the holder before it lapses. Holder, its agent, or admin.
#[utoipa::path(post, path = "/api/v1/rights/{id}/customs-recordals", tag = "rights",
    params(("id" = String, Path, description = "Right id")), request_body = RecordRecordalBody,
    security(("bearer" = [])),
    responses((status = 201, description = "The recordal", body = RecordalView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The number is recorded already (`duplicate`), or the right is not verified", body = ErrorBody),
        (status = 422, description = "Approval date outside the right's term or in the future; not a China right", body = ErrorBody)))]
async fn record_recordal(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RecordRecordalBody>,
) -> ApiResult<(StatusCode, Json<RecordalView>)> {
    let rec = s
        .app
        .record_customs_recordal(&actor, &right_id(&id)?, &b.number, b.approved_on)
        .await?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

/// Records a renewal of a customs recordal: another 10 years from the end
/// of the current term, capped at the right's; reschedules the reminder.
#[utoipa::path(post, path = "/api/v1/rights/{id}/customs-recordals/{number}/renewal", tag = "rights",
    params(("id" = String, Path, description = "Right id"),
        ("number" = String, Path, description = "Recordal number")),
    request_body = RenewRecordalBody, security(("bearer" = [])),
    responses((status = 200, description = "The renewed recordal", body = RecordalView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Outside the renewal window (`window_closed`)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn renew_recordal(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, number)): Path<(String, String)>,
    JsonBody(b): JsonBody<RenewRecordalBody>,
) -> ApiResult<Json<RecordalView>> {
    let rec = s
        .app
        .renew_customs_recordal(&actor, &right_id(&id)?, &number, b.renewed_on)
        .await?;
    Ok(Json(rec.into()))
}
