//! The `Idempotency-Key` header, answers that can be replayed, and the batch
//! endpoint `POST /api/v1/complaints/batch`.
//!
//! The semantics live in the app ([`rightsguard_app::idempotency`]): the
//! key's record and the writes commit in one transaction; the same key and
//! request replays the first answer, another request under the key is 422
//! `idempotency_key_reused`, and a retry while the first still runs is 409
//! `idempotency_in_flight`. This module only reads the header (a malformed
//! key is 400 `bad_header`, naming the header), renders each answer once as
//! the exact status and JSON the client gets, and sends a recorded one back
//! with `Idempotency-Replayed: true`.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rightsguard_app::idempotency::BatchOutcome;
use rightsguard_app::{Answer, IdempotencyKey, Rendered};
use rightsguard_domain::complaint::SubmitComplaint;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{ComplaintView, SubmitComplaintDoc};
use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::extract::{Caller, JsonBody};

/// The request header carrying the key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header marking a replayed answer.
pub const IDEMPOTENCY_REPLAYED: &str = "idempotency-replayed";

/// The header's description in the OpenAPI document.
pub const IDEMPOTENCY_KEY_DOC: &str = "1 to 255 printable ASCII characters, unique per request of this caller. \
A retry with the same key and body within 24 hours replays the first answer (header `Idempotency-Replayed: true`); \
the same key with another body is 422 `idempotency_key_reused`; a retry while the first request is still running \
is 409 `idempotency_in_flight`. Only successful answers are recorded.";

/// The `Idempotency-Key` header, if sent, validated.
#[derive(Debug, Clone)]
pub struct IdempotencyKeyHeader(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKeyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(v) = parts.headers.get(IDEMPOTENCY_KEY) else {
            return Ok(Self(None));
        };
        let bad = |reason: String| ApiError::BadHeader {
            header: "Idempotency-Key",
            reason,
        };
        let text = v
            .to_str()
            .map_err(|_| bad("must be printable ASCII".into()))?;
        IdempotencyKey::parse(text)
            .map(|k| Self(Some(k)))
            .map_err(|e| bad(e.to_string()))
    }
}

/// Renders an answer once: the status and the JSON that is sent and recorded.
pub fn rendered(status: StatusCode, body: &impl Serialize) -> Rendered {
    let body = serde_json::to_string(body).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot encode an answer");
        "null".to_owned()
    });
    Rendered {
        status: status.as_u16(),
        body,
    }
}

/// Sends an answer, marking a replay.
pub fn respond(answer: Answer) -> Response {
    let status =
        StatusCode::from_u16(answer.rendered.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.rendered.body,
    )
        .into_response();
    if answer.replayed {
        resp.headers_mut()
            .insert(IDEMPOTENCY_REPLAYED, HeaderValue::from_static("true"));
    }
    resp
}

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(submit_complaint_batch))
}

/// Several complaints in one request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// The complaints, each as for `POST /api/v1/complaints`; at most the
    /// policy's per-complaint limit of listings in all.
    #[schema(value_type = Vec<SubmitComplaintDoc>)]
    pub complaints: Vec<SubmitComplaint>,
}

/// The outcome of one complaint of a batch: `complaint` when created,
/// `error` when refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    /// The complaint's id as submitted.
    pub id: String,
    /// The status it would have had alone: 201, or the error's status.
    pub status: u16,
    /// The created complaint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint: Option<ComplaintView>,
    /// Why it was refused (the same codes as the single endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// The answer to a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAnswer {
    /// Complaints created.
    pub created: usize,
    /// Complaints refused.
    pub refused: usize,
    /// One outcome per complaint, in request order.
    pub results: Vec<BatchItem>,
}

fn batch_answer(ids: &[String], outcomes: &[BatchOutcome<'_>]) -> BatchAnswer {
    let results: Vec<BatchItem> = ids
        .iter()
        .zip(outcomes)
        .map(|(id, o)| match o {
            Ok(c) => BatchItem {
                id: id.clone(),
                status: StatusCode::CREATED.as_u16(),
                complaint: Some(ComplaintView::from((*c).clone())),
                error: None,
            },
            Err(e) => {
                let (status, code) = ApiError::app_status_and_code(e);
                let message = if status.is_server_error() {
                    tracing::error!(error = %e, "batch item failed");
                    "internal error; it was logged".to_owned()
                } else {
                    e.to_string()
                };
                BatchItem {
                    id: id.clone(),
                    status: status.as_u16(),
                    complaint: None,
                    error: Some(ErrorDetail {
                        code,
                        message,
                        field: None,
                    }),
                }
            }
        })
        .collect();
    let created = results.iter().filter(|r| r.complaint.is_some()).count();
    BatchAnswer {
        created,
        refused: results.len() - created,
        results,
    }
}

/// Submits several complaints in one request. Each is created or refused on
/// its own (a right the caller may not see is `not_found`, a taken id
/// `duplicate`, ...); the created ones commit together. The answer is 200
/// with one outcome per complaint. The batch names at most the policy's
/// per-complaint limit of listings in all (422 `limit_exceeded`).
#[utoipa::path(post, path = "/api/v1/complaints/batch", tag = "complaints", request_body = BatchBody,
    params(("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY_DOC)),
    security(("bearer" = [])),
    responses((status = 200, description = "One outcome per complaint (or the replayed first answer)", body = BatchAnswer,
            headers(("Idempotency-Replayed" = String, description = "`true` when this is the recorded answer of an earlier request with the key"))),
        (status = 400, body = ErrorBody),
        (status = 409, description = "`idempotency_in_flight`", body = ErrorBody),
        (status = 422, description = "Invalid body, `limit_exceeded`, or `idempotency_key_reused`", body = ErrorBody)))]
async fn submit_complaint_batch(
    State(s): State<AppState>,
    Caller(actor): Caller,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    JsonBody(b): JsonBody<BatchBody>,
) -> Result<Response, ApiError> {
    let ids: Vec<String> = b.complaints.iter().map(|c| c.id.to_string()).collect();
    let answer = s
        .app
        .submit_complaints_batch(&actor, key.as_ref(), b.complaints, |outcomes| {
            rendered(StatusCode::OK, &batch_answer(&ids, outcomes))
        })
        .await?;
    Ok(respond(answer))
}
