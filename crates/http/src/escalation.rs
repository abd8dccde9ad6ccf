//! Escalation over HTTP: the proceedings a complaint is taken to (AMR
//! complaint, lawsuit, customs recordal) and the package to file with one.
//!
//! A complaint's parties and staff may read its proceedings; recording one
//! or exporting a package is for the complainant's side and staff (403 for
//! the seller); anyone else gets 404, as for the complaint itself. The
//! package is the complaint's dossier plus `escalation.json` and the
//! proceedings' documents under the same manifest: `rightsguard dossier
//! verify` (or `escalation verify`) checks it.
//!
//! A proceeding's documents are evidence files named by SHA-256 after an
//! upload (`POST /api/v1/evidence`); they accumulate over records of the
//! same proceeding and download from `GET /api/v1/evidence/{sha256}` for
//! whoever may read the complaint (its parties and staff; 404 otherwise).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use jiff::civil::Date;
use rightsguard_app::{DocumentDetail, ProceedingDetail};
use rightsguard_domain::escalation::{
    Document, MAX_DOCUMENTS, MAX_LABEL, Outcome, RecordProceeding, Route,
};
use rightsguard_domain::ids::{ComplaintId, Sha256};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::dossier::attachment;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody};

type ApiResult<T> = Result<T, ApiError>;

/// The routes of escalation.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_proceedings, record_proceeding))
        .routes(routes!(get_package))
}

fn complaint_id(s: &str) -> ApiResult<ComplaintId> {
    ComplaintId::parse(s).map_err(|_| {
        ApiError::App(rightsguard_app::AppError::NotFound(format!(
            "complaint {s}"
        )))
    })
}

/// A proceeding as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProceedingView {
    /// The complaint.
    #[schema(value_type = String)]
    pub complaint: ComplaintId,
    /// `administrative_complaint`, `lawsuit` or `customs_recordal`.
    #[schema(value_type = String)]
    pub route: Route,
    /// The bureau, court or customs office.
    pub authority: String,
    /// Its case number (customs: the recordal number).
    pub reference: String,
    /// When it was filed.
    #[schema(value_type = String, format = Date)]
    pub filed_on: Date,
    /// `infringement_found`, `no_infringement`, `settled` or `withdrawn`;
    /// absent while pending.
    #[schema(value_type = Option<String>)]
    pub outcome: Option<Outcome>,
    /// When it was decided.
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<Date>,
    /// Its documents, in the order they were first recorded.
    pub documents: Vec<DocumentView>,
}

/// A proceeding's document as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    /// SHA-256 (hex) of the evidence file.
    pub sha256: String,
    /// What it is ("filed complaint", "court judgment", ...).
    pub label: String,
    /// Size in bytes, if the platform holds the file's record.
    pub size: Option<u64>,
    /// The sniffed media type, if known.
    pub content_type: Option<String>,
    /// When the file was first uploaded (RFC 3339), if known.
    pub uploaded_at: Option<String>,
    /// Where to download it (`/api/v1/evidence/{sha256}`): for the
    /// complaint's parties and staff.
    pub download: String,
}

impl From<DocumentDetail> for DocumentView {
    fn from(d: DocumentDetail) -> Self {
        let sha = d.document.sha256.to_string();
        Self {
            download: format!("/api/v1/evidence/{sha}"),
            sha256: sha,
            label: d.document.label,
            size: d.record.as_ref().map(|r| r.size),
            content_type: d.record.as_ref().map(|r| r.content_type.clone()),
            uploaded_at: d.record.map(|r| r.uploaded_at.to_string()),
        }
    }
}

impl From<ProceedingDetail> for ProceedingView {
    fn from(d: ProceedingDetail) -> Self {
        let p = d.proceeding;
        Self {
            complaint: p.complaint,
            route: p.route,
            authority: p.authority,
            reference: p.reference,
            filed_on: p.filed_on,
            outcome: p.outcome,
            decided_on: p.decided_on,
            documents: d.documents.into_iter().map(DocumentView::from).collect(),
        }
    }
}

/// A document to attach: an uploaded evidence file and its label.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// SHA-256 (hex) of a file uploaded with `POST /api/v1/evidence` by the
    /// caller's organisation (staff: by anyone), or one the complaint cites.
    pub sha256: String,
    /// What it is, e.g. "filed complaint", "court judgment", "customs
    /// approval" (at most 100 characters).
    pub label: String,
}

/// A proceeding to record; the same route and reference again replaces it
/// (to add the outcome).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordProceedingBody {
    /// `administrative_complaint`, `lawsuit` or `customs_recordal`.
    #[schema(value_type = String)]
    pub route: Route,
    /// The bureau, court or customs office (at most 200 characters).
    pub authority: String,
    /// Its case number; for `customs_recordal`, a recordal number of the
    /// complaint's right recorded before.
    pub reference: String,
    /// When it was filed (`YYYY-MM-DD`, not in the future).
    #[schema(value_type = String, format = Date)]
    pub filed_on: Date,
    /// How it ended, with `decided_on`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub outcome: Option<Outcome>,
    /// When it was decided (`YYYY-MM-DD`, not before `filed_on`), with `outcome`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<Date>,
    /// Documents to add (at most 20 on a proceeding in all). They
    /// accumulate: recording the proceeding again adds these to those it
    /// has; a hash it has already only takes the new label.
    #[serde(default)]
    pub documents: Vec<DocumentBody>,
}

/// The documents of a body, each hash parsed; refused naming the field.
fn documents(body: Vec<DocumentBody>) -> ApiResult<Vec<Document>> {
    if body.len() > MAX_DOCUMENTS {
        return Err(ApiError::InvalidBody {
            field: Some("documents".into()),
            message: format!(
                "at most {MAX_DOCUMENTS} documents per proceeding (got {})",
                body.len()
            ),
        });
    }
    body.into_iter()
        .enumerate()
        .map(|(i, d)| {
            let sha256 = Sha256::parse(d.sha256.trim()).map_err(|e| ApiError::InvalidBody {
                field: Some(format!("documents[{i}].sha256")),
                message: format!("{:?}: {e}", d.sha256),
            })?;
            if d.label.chars().count() > MAX_LABEL {
                return Err(ApiError::InvalidBody {
                    field: Some(format!("documents[{i}].label")),
                    message: format!("at most {MAX_LABEL} characters"),
                });
            }
            Ok(Document {
                sha256,
                label: d.label,
            })
        })
        .collect()
}

/// A complaint's proceedings, by route and reference: for its parties and
/// staff; 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/proceedings", tag = "complaints",
    params(("id" = String, Path, description = "Complaint id")), security(("bearer" = [])),
    responses((status = 200, description = "The proceedings", body = [ProceedingView]),
        (status = 404, body = ErrorBody)))]
async fn list_proceedings(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ProceedingView>>> {
    let list = s.app.proceedings(&actor, &complaint_id(&id)?).await?;
    Ok(Json(list.into_iter().map(ProceedingView::from).collect()))
}

/// Records a proceeding of a complaint (filed on, authority, reference,
/// once decided the outcome and decided on, and documents to add), audited
/// with the documents' hashes. The complainant's side and staff; a seller
/// 403.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/proceedings", tag = "complaints",
    params(("id" = String, Path, description = "Complaint id")),
    request_body = RecordProceedingBody, security(("bearer" = [])),
    responses((status = 200, description = "The proceeding as recorded", body = ProceedingView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "A date in the future or decided before filed; an outcome without its date; an unknown customs recordal; a document hash that is no file the caller uploaded, a bad label, more than 20 documents", body = ErrorBody)))]
async fn record_proceeding(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RecordProceedingBody>,
) -> ApiResult<Json<ProceedingView>> {
    let cmd = RecordProceeding {
        route: b.route,
        authority: b.authority,
        reference: b.reference,
        filed_on: b.filed_on,
        outcome: b.outcome,
        decided_on: b.decided_on,
        documents: documents(b.documents)?,
    };
    let p = s
        .app
        .record_proceeding(&actor, &complaint_id(&id)?, cmd)
        .await?;
    Ok(Json(s.app.proceeding_detail(p).await?.into()))
}

/// Which package.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackageQuery {
    /// `administrative_complaint`, `lawsuit` or `customs_recordal`.
    pub route: String,
}

/// A complaint's escalation package as a ZIP: the dossier (PDF, evidence
/// files with the right's certificate, `case.json`, audit records) plus
/// `escalation.json` (the route, the proceedings, the right's customs
/// recordals, the documents) and each proceeding's documents under
/// `proceedings/<route>-<reference>/<label>-<sha8>.<ext>`, every file in
/// `manifest.json` with its SHA-256. The complainant's side and staff.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/escalation-package.zip", tag = "exports",
    params(("id" = String, Path, description = "Complaint id"), PackageQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The package ZIP", content((Vec<u8> = "application/zip"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn get_package(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    query: Result<Query<PackageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| ApiError::InvalidBody {
        field: Some("route".into()),
        message: e.body_text(),
    })?;
    let route = Route::parse(&q.route).ok_or_else(|| ApiError::InvalidBody {
        field: Some("route".into()),
        message: format!(
            "unknown route {:?}: administrative_complaint, lawsuit or customs_recordal",
            q.route
        ),
    })?;
    let id = complaint_id(&id)?;
    let p = s.app.escalation_package(&actor, &id, route).await?;
    Ok(attachment(
        "application/zip",
        &format!("escalation-{id}-{}.zip", route.as_str()),
        p.zip,
    ))
}
