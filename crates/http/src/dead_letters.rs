//! `GET /api/v1/admin/dead-letters`: the work items the scale-out workers
//! gave up, with why (issue 7).

use axum::Json;
use axum::extract::{Query, State};
use jiff::Timestamp;
use rightsguard_store::dead_letters::DeadLetter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_dead_letters))
}

/// Which dead letters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterQuery {
    /// At most this many, newest first (1 to 1000; default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A work item a worker gave up.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterView {
    /// Its id, in the order recorded.
    pub id: i64,
    /// The work stream it came from and its sequence number there.
    pub stream: String,
    /// Its sequence number in the stream.
    pub stream_seq: i64,
    /// Its subject (`<stream>.work.<kind>`).
    pub subject: String,
    /// The kind of work: `listing`, `partition`, `feed`, or `unknown`.
    pub kind: String,
    /// Deliveries it had before it was given up.
    pub deliveries: i64,
    /// Why it was given up (the last error).
    pub reason: String,
    /// The item as published (JSON text).
    pub payload: String,
    /// When it was given up.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl From<DeadLetter> for DeadLetterView {
    fn from(d: DeadLetter) -> Self {
        let l = d.letter;
        Self {
            id: d.id,
            stream: l.stream,
            stream_seq: l.stream_seq,
            subject: l.subject,
            kind: l.kind,
            deliveries: l.deliveries,
            reason: l.reason,
            payload: l.payload,
            at: l.at,
        }
    }
}

/// The work items `rightsguard worker` processes gave up, newest first
/// (admins): after `--max-deliver` failed deliveries, when a last delivery
/// died with its worker, or when a message is not a work item.
#[utoipa::path(get, path = "/api/v1/admin/dead-letters", tag = "admin", params(DeadLetterQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "Dead letters, newest first", body = [DeadLetterView]),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_dead_letters(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<DeadLetterQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<DeadLetterView>>> {
    let Query(q) = query.map_err(|e| ApiError::InvalidBody {
        field: Some("limit".into()),
        message: format!("{} (limit: 1 to 1000)", e.body_text()),
    })?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::InvalidBody {
            field: Some("limit".into()),
            message: format!("limit {limit} is out of range: 1 to 1000"),
        });
    }
    let all = s.app.dead_letters(&actor, limit).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}
