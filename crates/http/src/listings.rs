//! Listings, the keyword blocklist and brand authorisations over HTTP.
//!
//! Thin handlers like the rest of the API: a listing write that the
//! blocklist holds is a success (`201`/`200` with `state: "held"` and the
//! reasons), not an error — the listing is stored, just not published.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use jiff::civil::Date;
use rightsguard_domain::blocklist::{BlockHit, BlockTermCommand, BlockTermState};
use rightsguard_domain::ids::{AuthorisationId, BlockTermId, ListingId, OrgId, RightId, Sha256};
use rightsguard_domain::listing::{
    CategoryName, Listing, ListingContent, ListingDescription, ListingState, ListingTitle,
    MAX_IMAGES, Price,
};
use rightsguard_store::Versioned;
use rightsguard_store::listings::{StoredAuthorisation, StoredBlockTerm};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody};

type ApiResult<T> = Result<T, ApiError>;

/// The routes of listings, block terms and authorisations.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_listing, list_listings))
        .routes(routes!(get_listing, update_listing))
        .routes(routes!(request_block_term, list_block_terms))
        .routes(routes!(decide_block_term))
        .routes(routes!(authorise_seller, list_authorisations))
        .routes(routes!(revoke_authorisation))
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::App(rightsguard_app::AppError::NotFound(format!("{what} {id}")))
}

fn field_error(field: &str, message: String) -> ApiError {
    ApiError::InvalidBody {
        field: Some(field.to_owned()),
        message,
    }
}

/// One blocked term found in a listing: which term, which right, where and how.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldReason {
    /// The right whose block term matched.
    pub right: String,
    /// The block term, as approved.
    pub term: String,
    /// `title` or `description`.
    pub field: String,
    /// The text that matched, as written in the listing.
    pub matched: String,
    /// How it matched: `exact`, `folded`, `homoglyph`, `leet`, `spaced`, `joined`.
    pub method: String,
}

impl From<BlockHit> for HoldReason {
    fn from(h: BlockHit) -> Self {
        Self {
            right: h.right.to_string(),
            term: h.term,
            field: h.field,
            matched: h.matched,
            method: h.method,
        }
    }
}

/// A price in minor units.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PriceDoc {
    /// Amount in the currency's minor units (1999 for 19.99).
    pub minor_units: u64,
    /// ISO 4217 code.
    #[schema(example = "EUR")]
    pub currency: String,
}

/// A listing as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingView {
    /// The marketplace's listing id.
    pub id: String,
    /// The seller organisation.
    pub seller: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Site category.
    pub category: String,
    /// Price, if shown.
    pub price: Option<PriceDoc>,
    /// SHA-256 of each image file.
    pub image_hashes: Vec<String>,
    /// `active` (published) or `held` (stored, not published: see `held_reasons`).
    #[schema(example = "held")]
    pub state: String,
    /// Why the blocklist holds it (empty when active).
    pub held_reasons: Vec<HoldReason>,
    /// Version for optimistic updates: send it back in `PUT`.
    pub version: i64,
    /// When it was created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it was last written.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Versioned<Listing>> for ListingView {
    fn from(v: Versioned<Listing>) -> Self {
        let l = v.value;
        let state = l.state.name().to_owned();
        let held_reasons = match l.state {
            ListingState::Active => Vec::new(),
            ListingState::Held { reasons } => reasons.into_iter().map(Into::into).collect(),
        };
        Self {
            id: l.id.to_string(),
            seller: l.seller.to_string(),
            title: l.content.title.as_str().to_owned(),
            description: l.content.description.as_str().to_owned(),
            category: l.content.category.as_str().to_owned(),
            price: l.content.price.map(|p| PriceDoc {
                minor_units: p.minor_units,
                currency: p.currency.as_str().to_owned(),
            }),
            image_hashes: l
                .content
                .image_hashes
                .iter()
                .map(Sha256::to_string)
                .collect(),
            state,
            held_reasons,
            version: v.version,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

/// A listing to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateListingBody {
    /// The marketplace's listing id.
    #[schema(value_type = String, example = "L-1001")]
    pub id: ListingId,
    /// The seller; defaults to the caller's organisation (the catalogue feed,
    /// an admin, names it).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub seller: Option<OrgId>,
    /// Title, 1 to 200 characters.
    #[schema(value_type = String, example = "Running shoes, size 42")]
    pub title: ListingTitle,
    /// Description, up to 5000 characters.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: ListingDescription,
    /// A category of the site's category table.
    #[schema(value_type = String, example = "Shoes")]
    pub category: CategoryName,
    /// Price, if shown.
    #[serde(default)]
    #[schema(value_type = Option<PriceDoc>)]
    pub price: Option<Price>,
    /// SHA-256 (hex) of each image file (at most 20).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub image_hashes: Vec<Sha256>,
}

/// New content for a listing, with the version it was read at.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateListingBody {
    /// The version last read; a stale one is a 409 `conflict`.
    pub version: i64,
    /// Title, 1 to 200 characters.
    #[schema(value_type = String)]
    pub title: ListingTitle,
    /// Description, up to 5000 characters.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: ListingDescription,
    /// A category of the site's category table.
    #[schema(value_type = String)]
    pub category: CategoryName,
    /// Price, if shown.
    #[serde(default)]
    #[schema(value_type = Option<PriceDoc>)]
    pub price: Option<Price>,
    /// SHA-256 (hex) of each image file (at most 20).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub image_hashes: Vec<Sha256>,
}

/// The content of a write; the category must be one of the site's.
fn content(
    s: &AppState,
    title: ListingTitle,
    description: ListingDescription,
    category: CategoryName,
    price: Option<Price>,
    image_hashes: Vec<Sha256>,
) -> ApiResult<ListingContent> {
    if s.app.category_classes(category.as_str()).is_none() {
        return Err(field_error(
            "category",
            format!(
                "unknown category {:?}: not in the site's category table",
                category.as_str()
            ),
        ));
    }
    if image_hashes.len() > MAX_IMAGES {
        return Err(field_error(
            "image_hashes",
            format!("at most {MAX_IMAGES} images"),
        ));
    }
    Ok(ListingContent {
        title,
        description,
        category,
        price,
        image_hashes,
    })
}

/// Creates a listing. The blocklist runs first: a listing with a blocked
/// brand the seller is not authorised for is stored as `held`, with the
/// reasons (still `201`).
#[utoipa::path(post, path = "/api/v1/listings", tag = "listings", request_body = CreateListingBody,
    security(("bearer" = [])),
    responses((status = 201, description = "The listing, `active` or `held`", body = ListingView),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_listing(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<CreateListingBody>,
) -> ApiResult<(StatusCode, Json<ListingView>)> {
    let c = content(
        &s,
        b.title,
        b.description,
        b.category,
        b.price,
        b.image_hashes,
    )?;
    let l = s.app.create_listing(&actor, b.id, b.seller, c).await?;
    Ok((StatusCode::CREATED, Json(l.into())))
}

/// Replaces a listing's content (its seller, or the catalogue feed); the
/// blocklist runs again, so a write can hold or release it.
#[utoipa::path(put, path = "/api/v1/listings/{id}", tag = "listings", request_body = UpdateListingBody,
    params(("id" = String, Path, description = "Listing id")), security(("bearer" = [])),
    responses((status = 200, description = "The listing after the write", body = ListingView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_listing(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<UpdateListingBody>,
) -> ApiResult<Json<ListingView>> {
    let id = ListingId::parse(&id).map_err(|_| not_found("listing", &id))?;
    let c = content(
        &s,
        b.title,
        b.description,
        b.category,
        b.price,
        b.image_hashes,
    )?;
    let l = s.app.update_listing(&actor, &id, c, b.version).await?;
    Ok(Json(l.into()))
}

/// A listing: for its seller and staff; 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/listings/{id}", tag = "listings",
    params(("id" = String, Path, description = "Listing id")), security(("bearer" = [])),
    responses((status = 200, description = "The listing", body = ListingView), (status = 404, body = ErrorBody)))]
async fn get_listing(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ListingView>> {
    let id = ListingId::parse(&id).map_err(|_| not_found("listing", &id))?;
    Ok(Json(s.app.listing_visible_to(&actor, &id).await?.into()))
}

/// Filters of the listing list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingQuery {
    /// Only this seller's listings (staff); a seller sees only its own anyway.
    pub seller: Option<String>,
    /// Listings with ids after this one (the last id of the previous page).
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Listings in id order: staff see all (or `seller`'s), a seller its own;
/// anyone else an empty list.
#[utoipa::path(get, path = "/api/v1/listings", tag = "listings", params(ListingQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of listings", body = [ListingView]),
        (status = 422, body = ErrorBody)))]
async fn list_listings(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<ListingQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<ListingView>>> {
    let Query(q) = query.map_err(|e| ApiError::InvalidBody {
        field: Some("query".into()),
        message: format!(
            "{} (seller: an organisation id, after: a listing id, limit: 1 to 500)",
            e.body_text()
        ),
    })?;
    if let Some(limit) = q.limit
        && !(1..=500).contains(&limit)
    {
        return Err(ApiError::InvalidBody {
            field: Some("limit".into()),
            message: format!("limit {limit} is out of range: 1 to 500"),
        });
    }
    let seller = match q.seller.as_deref() {
        Some(x) => match OrgId::parse(x) {
            Ok(o) => Some(o),
            // An id that cannot exist has no listings.
            Err(_) => return Ok(Json(Vec::new())),
        },
        None => None,
    };
    let after = q
        .after
        .as_deref()
        .map(ListingId::parse)
        .transpose()
        .map_err(|e| field_error("after", e.to_string()))?;
    let page = s
        .app
        .listings_visible_to(
            &actor,
            seller.as_ref(),
            after.as_ref(),
            q.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(page.into_iter().map(Into::into).collect()))
}

/// A block term as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockTermView {
    /// Its id.
    pub id: String,
    /// The right it protects.
    pub right: String,
    /// The right's owner.
    pub owner: String,
    /// The term.
    pub term: String,
    /// The Nice classes in which it blocks (the right's).
    pub classes: Vec<u8>,
    /// When it was asked for.
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    /// `requested`, `approved`, `rejected` or `lifted`.
    pub state: String,
    /// Why it was rejected or lifted.
    pub reason: Option<String>,
    /// When it was approved.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub approved_at: Option<Timestamp>,
}

impl From<StoredBlockTerm> for BlockTermView {
    fn from(s: StoredBlockTerm) -> Self {
        let t = s.term;
        let (state, reason, approved_at) = match t.state {
            BlockTermState::Requested => ("requested", None, None),
            BlockTermState::Approved { at } => ("approved", None, Some(at)),
            BlockTermState::Rejected { reason } => ("rejected", Some(reason), None),
            BlockTermState::Lifted { reason } => ("lifted", Some(reason), None),
        };
        Self {
            id: s.id.to_string(),
            right: t.right.to_string(),
            owner: t.owner.to_string(),
            term: t.term,
            classes: t.classes.iter().map(|c| c.get()).collect(),
            requested_at: t.requested_at,
            state: state.to_owned(),
            reason,
            approved_at,
        }
    }
}

/// A term to block for a right.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBlockTermBody {
    /// A verified right of the caller (or its principal).
    #[schema(value_type = String, example = "tm-acme-cn-1")]
    pub right: RightId,
    /// The term, 2 to 64 characters.
    #[schema(example = "ACME")]
    pub term: String,
}

/// Asks for a term to be blocked for one of the caller's verified rights;
/// an admin decides.
#[utoipa::path(post, path = "/api/v1/block-terms", tag = "blocklist", request_body = RequestBlockTermBody,
    security(("bearer" = [])),
    responses((status = 201, description = "The term, requested", body = BlockTermView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_block_term(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<RequestBlockTermBody>,
) -> ApiResult<(StatusCode, Json<BlockTermView>)> {
    let t = s.app.request_block_term(&actor, &b.right, &b.term).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// A decision on a block term, tagged by `command`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
#[allow(dead_code)] // the schema of the body `BlockTermCommand` parses
pub enum BlockTermCommandDoc {
    /// Put it in force (admins).
    Approve,
    /// Refuse it (admins).
    Reject {
        /// Why.
        reason: String,
    },
    /// Take it off the blocklist (admins, or its owner).
    Lift {
        /// Why.
        reason: String,
    },
}

/// Approves, rejects or lifts a block term. Approving or lifting takes
/// effect for the next listing write.
#[utoipa::path(post, path = "/api/v1/block-terms/{id}/decision", tag = "blocklist",
    request_body = BlockTermCommandDoc,
    params(("id" = String, Path, description = "Block term id")), security(("bearer" = [])),
    responses((status = 200, description = "The term after the decision", body = BlockTermView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn decide_block_term(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(cmd): JsonBody<BlockTermCommand>,
) -> ApiResult<Json<BlockTermView>> {
    let id = BlockTermId::parse(&id).map_err(|_| not_found("block term", &id))?;
    Ok(Json(
        s.app.decide_block_term(&actor, &id, &cmd).await?.into(),
    ))
}

/// Block terms: staff see all, a rights holder (or its agent) its own.
#[utoipa::path(get, path = "/api/v1/block-terms", tag = "blocklist", security(("bearer" = [])),
    responses((status = 200, description = "Block terms, oldest first", body = [BlockTermView])))]
async fn list_block_terms(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<Vec<BlockTermView>>> {
    let terms = s
        .app
        .block_terms_visible_to(&actor, rightsguard_app::MAX_PAGE)
        .await?;
    Ok(Json(terms.into_iter().map(Into::into).collect()))
}

/// A brand authorisation as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorisationView {
    /// Its id.
    pub id: String,
    /// The rights holder who granted it.
    pub owner: String,
    /// The seller authorised.
    pub seller: String,
    /// The right (brand).
    pub right: String,
    /// SHA-256 of the evidence (licence, contract).
    pub evidence: String,
    /// Last day valid; absent for open-ended.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<Date>,
    /// Withdrawn.
    pub revoked: bool,
    /// When it was put on file.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<StoredAuthorisation> for AuthorisationView {
    fn from(s: StoredAuthorisation) -> Self {
        let a = s.authorisation;
        Self {
            id: s.id.to_string(),
            owner: s.owner.to_string(),
            seller: a.seller.to_string(),
            right: a.right.to_string(),
            evidence: a.evidence.to_string(),
            valid_until: a.valid_until,
            revoked: a.revoked,
            created_at: s.created_at,
        }
    }
}

/// An authorisation to put on file.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthoriseSellerBody {
    /// The seller organisation.
    #[schema(value_type = String, example = "shop1")]
    pub seller: OrgId,
    /// A right of the caller (or its principal).
    #[schema(value_type = String)]
    pub right: RightId,
    /// SHA-256 (hex) of the evidence file.
    #[schema(value_type = String)]
    pub evidence: Sha256,
    /// Last day valid (YYYY-MM-DD); omit for open-ended.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<Date>,
}

/// Authorises a seller to sell the brand of one of the caller's rights:
/// its listings with that brand's block terms are not held.
#[utoipa::path(post, path = "/api/v1/authorisations", tag = "blocklist", request_body = AuthoriseSellerBody,
    security(("bearer" = [])),
    responses((status = 201, description = "The authorisation on file", body = AuthorisationView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn authorise_seller(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<AuthoriseSellerBody>,
) -> ApiResult<(StatusCode, Json<AuthorisationView>)> {
    let a = s
        .app
        .authorise_seller(&actor, &b.seller, &b.right, b.evidence, b.valid_until)
        .await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Why an authorisation is withdrawn.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeAuthorisationBody {
    /// Why (required, at most 2,000 characters); kept in the audit log.
    pub reason: String,
}

/// Withdraws an authorisation (the granting rights holder or its agent, or
/// an admin): the seller's next listing write naming the brand is gated
/// again; listings already live are not changed. Revoking twice is 409.
#[utoipa::path(post, path = "/api/v1/authorisations/{id}/revoke", tag = "blocklist",
    request_body = RevokeAuthorisationBody,
    params(("id" = String, Path, description = "Authorisation id")), security(("bearer" = [])),
    responses((status = 200, description = "The authorisation, revoked", body = AuthorisationView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn revoke_authorisation(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RevokeAuthorisationBody>,
) -> ApiResult<Json<AuthorisationView>> {
    let id = AuthorisationId::parse(&id).map_err(|_| not_found("authorisation", &id))?;
    Ok(Json(
        s.app
            .revoke_authorisation(&actor, &id, &b.reason)
            .await?
            .into(),
    ))
}

/// Authorisations: the granting holder (or its agent), the seller named, and staff.
#[utoipa::path(get, path = "/api/v1/authorisations", tag = "blocklist", security(("bearer" = [])),
    responses((status = 200, description = "Authorisations, oldest first", body = [AuthorisationView])))]
async fn list_authorisations(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<Vec<AuthorisationView>>> {
    let all = s.app.authorisations_visible_to(&actor).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}
