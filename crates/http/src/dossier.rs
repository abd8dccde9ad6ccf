//! Evidence dossiers over HTTP: a complaint's ZIP (PDF, evidence files, audit
//! records, manifest of hashes) and its PDF alone. Who may have one is who may
//! see the complaint (its parties and staff); anyone else gets 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rightsguard_domain::ids::ComplaintId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;

type ApiResult<T> = Result<T, ApiError>;

/// The routes of the dossiers.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_dossier_zip))
        .routes(routes!(get_dossier_pdf))
}

fn complaint_id(s: &str) -> ApiResult<ComplaintId> {
    ComplaintId::parse(s).map_err(|_| {
        ApiError::App(rightsguard_app::AppError::NotFound(format!(
            "complaint {s}"
        )))
    })
}

/// A download: the type, an attachment name, never sniffed.
pub(crate) fn attachment(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    (h, body).into_response()
}

/// A complaint's evidence dossier as a ZIP: `dossier.pdf`, every evidence
/// file as `evidence/SHA256.EXT`, `case.json`, the case's audit records with
/// their chain hashes (`audit/records.jsonl`) and `manifest.json` with the
/// SHA-256 of each file. Check it offline with `rightsguard dossier verify`.
/// For the complaint's parties (a seller sees only its own listings) and staff.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/dossier.zip", tag = "exports",
    params(("id" = String, Path, description = "Complaint id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The dossier ZIP", content((Vec<u8> = "application/zip"))),
        (status = 404, body = ErrorBody)))]
async fn get_dossier_zip(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = complaint_id(&id)?;
    let d = s.app.dossier(&actor, &id).await?;
    Ok(attachment(
        "application/zip",
        &format!("dossier-{id}.zip"),
        d.zip,
    ))
}

/// A complaint's evidence dossier as a PDF: the right, the complaint, the
/// listing captures with the matched text highlighted, the images side by
/// side, the evidence files and the full timeline. Same access as the ZIP.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/dossier.pdf", tag = "exports",
    params(("id" = String, Path, description = "Complaint id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The dossier PDF", content((Vec<u8> = "application/pdf"))),
        (status = 404, body = ErrorBody)))]
async fn get_dossier_pdf(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = complaint_id(&id)?;
    let d = s.app.dossier(&actor, &id).await?;
    Ok(attachment(
        "application/pdf",
        &format!("dossier-{id}.pdf"),
        d.pdf,
    ))
}
