//! Image monitoring over HTTP: the reference images of rights, the bytes
//! of listing images, and the pictures of image findings.
//!
//! Uploads are the raw file as the body, as for evidence (one file per
//! request, the evidence size limit, the client's `Content-Type` ignored).
//! A file the engine cannot decode, or that breaks its limits (a
//! decompression bomb, 16,384 pixels a side, 64 megapixels, 1 GiB of
//! decoder memory), is refused with 422 `invalid_image` and the decoder's
//! reason, and nothing is stored. Adding an image a right has already is
//! idempotent: 200 with the stored row (201 when new). Pictures are served
//! like evidence: `nosniff`, a sandboxing CSP, as an attachment (an SVG is
//! served as plain text, never rendered).

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use rightsguard_app::{ImageFile, ListingImageHashed};
use rightsguard_domain::ids::{RightId, Sha256};
use rightsguard_store::findings::RightImage;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::evidence::RawBody;
use crate::extract::Caller;

type ApiResult<T> = Result<T, ApiError>;

/// The routes of image monitoring; uploads may be up to `limit` bytes.
pub fn routes(limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_right_image, list_right_images))
        .routes(routes!(put_listing_image))
        .layer(DefaultBodyLimit::max(limit))
        .routes(routes!(get_right_image, remove_right_image))
        .routes(routes!(get_finding_image))
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::App(rightsguard_app::AppError::NotFound(format!("{what} {id}")))
}

fn right_id(s: &str) -> ApiResult<RightId> {
    RightId::parse(s).map_err(|_| not_found("right", s))
}

fn sha(s: &str, what: &str) -> ApiResult<Sha256> {
    Sha256::parse(s).map_err(|_| not_found(what, s))
}

/// A reference image of a right.
#[derive(Debug, Serialize, ToSchema)]
pub struct RightImageView {
    /// The right.
    pub right: String,
    /// SHA-256 (hex) of the file.
    pub sha256: String,
    /// How many perceptual hashes were computed from it (rotations, crops,
    /// banner cuts, mirrors, thumbnails; about 109).
    pub hashes: i64,
    /// When it was added.
    #[schema(value_type = String, format = DateTime)]
    pub added_at: Timestamp,
    /// Who added it (`ORG/USER`).
    pub added_by: String,
}

impl From<RightImage> for RightImageView {
    fn from(i: RightImage) -> Self {
        Self {
            right: i.right.to_string(),
            sha256: i.sha256.to_string(),
            hashes: i.variants,
            added_at: i.added_at,
            added_by: i.added_by,
        }
    }
}

/// The reference images of a right.
#[derive(Debug, Serialize, ToSchema)]
pub struct RightImagesView {
    /// Oldest first.
    pub images: Vec<RightImageView>,
}

/// A listing image's hashes as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingImageView {
    /// SHA-256 (hex) of the file.
    pub sha256: String,
    /// How many query hashes it has (plain, trimmed, banner cut: up to 3).
    pub hashes: usize,
    /// The listings whose scans this upload scheduled (empty when the image
    /// was hashed before).
    pub scans_scheduled: Vec<String>,
}

impl From<ListingImageHashed> for ListingImageView {
    fn from(h: ListingImageHashed) -> Self {
        Self {
            sha256: h.sha256.to_string(),
            hashes: h.variants,
            scans_scheduled: h.listings.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Adds a reference image to a right (the body is the file: PNG, JPEG,
/// WebP, GIF or SVG). The owner of the right, its agent, or staff. A
/// verified right's listings are rescanned.
#[utoipa::path(post, path = "/api/v1/rights/{id}/images", tag = "findings",
    params(("id" = String, Path, description = "Right id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The image file (type read from the bytes)"),
    security(("bearer" = [])),
    responses((status = 201, description = "Added", body = RightImageView),
        (status = 200, description = "The right has this image already", body = RightImageView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_right_image(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    RawBody(bytes): RawBody,
) -> ApiResult<(StatusCode, Json<RightImageView>)> {
    let right = right_id(&id)?;
    let (image, new) = s
        .app
        .add_right_image(&actor, &right, bytes.to_vec())
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(image.into())))
}

/// The reference images of a right (its owner, agent or staff).
#[utoipa::path(get, path = "/api/v1/rights/{id}/images", tag = "findings",
    params(("id" = String, Path, description = "Right id")),
    security(("bearer" = [])),
    responses((status = 200, description = "Its images", body = RightImagesView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_right_images(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RightImagesView>> {
    let right = right_id(&id)?;
    let images = s.app.right_images_visible_to(&actor, &right).await?;
    Ok(Json(RightImagesView {
        images: images.into_iter().map(Into::into).collect(),
    }))
}

/// One reference image's file (an attachment).
#[utoipa::path(get, path = "/api/v1/rights/{id}/images/{sha256}", tag = "findings",
    params(("id" = String, Path, description = "Right id"),
        ("sha256" = String, Path, description = "SHA-256 (hex) of the image")),
    security(("bearer" = [])),
    responses((status = 200, description = "The file, as the type sniffed from it",
            content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"),
                (Vec<u8> = "image/gif"), (Vec<u8> = "text/plain"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_right_image(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, sha256)): Path<(String, String)>,
) -> ApiResult<Response> {
    let right = right_id(&id)?;
    let sha = sha(&sha256, "image")?;
    let file = s.app.right_image_file(&actor, &right, &sha).await?;
    Ok(image_response(file))
}

/// Removes a reference image from a right (the file is kept; audited). A
/// verified right's listings are rescanned, so its image findings resolve.
#[utoipa::path(delete, path = "/api/v1/rights/{id}/images/{sha256}", tag = "findings",
    params(("id" = String, Path, description = "Right id"),
        ("sha256" = String, Path, description = "SHA-256 (hex) of the image")),
    security(("bearer" = [])),
    responses((status = 200, description = "Removed", body = RightImageView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_right_image(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, sha256)): Path<(String, String)>,
) -> ApiResult<Json<RightImageView>> {
    let right = right_id(&id)?;
    let sha = sha(&sha256, "image")?;
    let image = s.app.remove_right_image(&actor, &right, &sha).await?;
    Ok(Json(image.into()))
}

/// The marketplace uploads a listing image's bytes (admin): the body must
/// hash to the SHA-256 in the path. Its perceptual hashes are computed once
/// per file and every listing showing it is scanned again.
#[utoipa::path(put, path = "/api/v1/listing-images/{sha256}", tag = "findings",
    params(("sha256" = String, Path, description = "SHA-256 (hex) of the image, as listings name it")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The image file (type read from the bytes)"),
    security(("bearer" = [])),
    responses((status = 201, description = "Hashed; scans scheduled", body = ListingImageView),
        (status = 200, description = "Hashed before; nothing changed", body = ListingImageView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_listing_image(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(sha256): Path<String>,
    RawBody(bytes): RawBody,
) -> ApiResult<(StatusCode, Json<ListingImageView>)> {
    let claimed = Sha256::parse(&sha256).map_err(|e| ApiError::InvalidBody {
        field: Some("sha256".into()),
        message: e.to_string(),
    })?;
    let done = s
        .app
        .put_listing_image(&actor, &claimed, bytes.to_vec())
        .await?;
    let status = if done.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(done.into())))
}

/// A picture of an image finding: the listing's image or the right's
/// reference image, for those who may see the finding; 404 when its bytes
/// are not stored.
#[utoipa::path(get, path = "/api/v1/findings/{id}/images/{sha256}", tag = "findings",
    params(("id" = String, Path, description = "Finding id"),
        ("sha256" = String, Path, description = "SHA-256 (hex) of the listing image or the reference image")),
    security(("bearer" = [])),
    responses((status = 200, description = "The file, as the type sniffed from it",
            content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"),
                (Vec<u8> = "image/gif"), (Vec<u8> = "text/plain"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_finding_image(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, sha256)): Path<(String, String)>,
) -> ApiResult<Response> {
    let sha = sha(&sha256, "image")?;
    let file = s
        .app
        .finding_image_file(&actor, &id, &sha)
        .await?
        .ok_or_else(|| not_found("stored image", &sha256))?;
    Ok(image_response(file))
}

/// A stored picture as an inert attachment (also served to the pages).
pub(crate) fn image_response(file: ImageFile) -> Response {
    crate::evidence::attachment(&file.sha256.to_string(), file.content_type, file.bytes)
}
