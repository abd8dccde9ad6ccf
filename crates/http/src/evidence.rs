//! Evidence files over the API: upload the raw bytes, cite the returned
//! SHA-256 in complaints and counter-notices, download as an attachment.
//!
//! The upload body is the file itself (`curl --data-binary @shot.png`), not
//! multipart: one file per request, nothing to parse, and the limit is the
//! evidence limit rather than the JSON one. The client's `Content-Type` is
//! ignored; the type is sniffed from the bytes. Downloads are served as
//! attachments with `nosniff` and a sandboxing CSP, so a file that is also
//! valid HTML or script is never rendered in the site's origin.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use rightsguard_domain::ids::Sha256;
use rightsguard_store::EvidenceRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;

/// The largest evidence file accepted by default (20 MiB): screenshots,
/// photographs of test buys, PDF certificates.
pub const DEFAULT_EVIDENCE_LIMIT: usize = 20 * 1024 * 1024;

/// The evidence routes; uploads may be up to `limit` bytes.
pub fn routes(limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_evidence))
        .layer(DefaultBodyLimit::max(limit))
        .routes(routes!(download_evidence))
}

/// The upload's optional metadata.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// When the capture was made (RFC 3339), e.g. the screenshot's time; not
    /// in the future.
    #[param(value_type = Option<String>, example = "2026-03-09T08:00:00Z")]
    pub captured_at: Option<Timestamp>,
}

/// An uploaded evidence file.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    /// SHA-256 (hex): cite this in complaints and counter-notices.
    pub sha256: String,
    /// The sniffed content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// When this organisation uploaded it (RFC 3339).
    pub uploaded_at: String,
    /// When the uploader says it was captured.
    pub captured_at: Option<String>,
}

impl From<EvidenceRecord> for EvidenceView {
    fn from(r: EvidenceRecord) -> Self {
        Self {
            sha256: r.sha256.to_string(),
            content_type: r.content_type,
            size: r.size,
            uploaded_at: r.uploaded_at.to_string(),
            captured_at: r.captured_at.map(|t| t.to_string()),
        }
    }
}

/// The raw body, with our error shape when it is too large.
pub(crate) struct RawBody(pub(crate) Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.evidence_limit;
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::BodyTooLarge { limit }
                } else {
                    ApiError::BodyUnreadable(e.body_text())
                }
            })
    }
}

/// Uploads an evidence file (the body is the file). Uploading the same bytes
/// again answers 200 with the first upload's record.
#[utoipa::path(post, path = "/api/v1/evidence", tag = "evidence", params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file: JPEG, PNG, WebP, GIF, PDF or plain text (type sniffed from the bytes)"),
    security(("bearer" = [])),
    responses((status = 201, description = "Stored", body = EvidenceView),
        (status = 200, description = "Already uploaded by this organisation", body = EvidenceView),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload_evidence(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<UploadParams>, QueryRejection>,
    RawBody(bytes): RawBody,
) -> Result<(StatusCode, Json<EvidenceView>), ApiError> {
    let Query(p) = query.map_err(|e| ApiError::InvalidBody {
        field: Some("captured_at".into()),
        message: format!("{} (expected ?captured_at=RFC 3339 time)", e.body_text()),
    })?;
    let up = s
        .app
        .upload_evidence(&actor, bytes.to_vec(), p.captured_at)
        .await?;
    let status = if up.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(up.record.into())))
}

/// Downloads an evidence file as an attachment: for its uploaders, the
/// parties of a complaint citing it, and staff; 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/evidence/{sha256}", tag = "evidence",
    params(("sha256" = String, Path, description = "SHA-256 (hex) of the file")),
    security(("bearer" = [])),
    responses((status = 200, description = "The file, as the type it was sniffed as on upload",
            content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"),
                (Vec<u8> = "image/gif"), (Vec<u8> = "application/pdf"), (Vec<u8> = "text/plain"))),
        (status = 404, body = ErrorBody)))]
async fn download_evidence(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::App(rightsguard_app::AppError::NotFound(format!(
            "evidence {sha}"
        )))
    };
    let parsed = Sha256::parse(&sha).map_err(|_| not_found())?;
    let (record, bytes) = s.app.read_evidence(&actor, &parsed).await?;
    Ok(evidence_response(&record, bytes))
}

/// An evidence file as an inert attachment (also served to the pages'
/// sessions at `/evidence/{sha256}`).
pub(crate) fn evidence_response(record: &EvidenceRecord, bytes: Vec<u8>) -> Response {
    let mut resp = attachment(&record.sha256.to_string(), &record.content_type, bytes);
    if let Some(at) = record.captured_at
        && let Ok(v) = HeaderValue::from_str(&at.to_string())
    {
        resp.headers_mut()
            .insert(header::HeaderName::from_static("x-evidence-captured-at"), v);
    }
    resp
}

/// A stored, content-addressed file as an inert attachment: named by its
/// hash, its type as sniffed at upload, never run by the browser
/// (`nosniff`, a sandboxing CSP) and cached for good (the bytes behind a
/// hash never change).
pub(crate) fn attachment(sha256: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let ext = match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => "bin",
    };
    let disposition = format!("attachment; filename=\"{sha256}.{ext}\"");
    let mut resp = Body::from(bytes).into_response();
    let h = resp.headers_mut();
    // Text was accepted only as UTF-8: say so, so that no browser guesses
    // another encoding (UTF-7 and friends).
    let ct = if content_type == "text/plain" {
        HeaderValue::from_static("text/plain; charset=utf-8")
    } else {
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"))
    };
    h.insert(header::CONTENT_TYPE, ct);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    resp
}
