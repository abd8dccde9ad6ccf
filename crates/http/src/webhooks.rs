//! Webhook endpoints, the delivery log and redelivery over HTTP: admins only.
//!
//! A secret is shown in full exactly twice: in the answer that creates the
//! endpoint and in the answer that rotates it; otherwise only a short hint.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use rightsguard_app::webhooks::{EndpointPatch, NewEndpoint};
use rightsguard_domain::outbound::ActionType;
use rightsguard_store::webhooks::{Attempt, Delivery, DeliveryStatus, WebhookEndpoint};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody};

type ApiResult<T> = Result<T, ApiError>;

/// The routes of webhook configuration and delivery.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(get_endpoint, update_endpoint))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver_event))
}

fn field_error(field: &str, message: String) -> ApiError {
    ApiError::InvalidBody {
        field: Some(field.to_owned()),
        message,
    }
}

fn parse_types(types: Vec<String>) -> ApiResult<Vec<ActionType>> {
    types
        .iter()
        .map(|t| {
            ActionType::parse(t).ok_or_else(|| {
                let known: Vec<&str> = ActionType::ALL.iter().map(|t| t.as_str()).collect();
                field_error(
                    "event_types",
                    format!("unknown event type {t:?}: one of {}", known.join(", ")),
                )
            })
        })
        .collect()
}

/// One signing secret, without its value.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretInfo {
    /// The first characters, to tell secrets apart (`whsec_abcd…`).
    pub hint: String,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it stops signing (after a rotation), if it does.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
}

/// A webhook endpoint of the marketplace.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    /// `whe_...`.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// A note for admins.
    pub description: String,
    /// The event types it receives; empty: every type.
    #[schema(example = json!(["listing.taken_down", "listing.reinstated"]))]
    pub event_types: Vec<String>,
    /// Whether deliveries go out.
    pub enabled: bool,
    /// Its secrets (values hidden), oldest first.
    pub secrets: Vec<SecretInfo>,
    /// When it was created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<WebhookEndpoint> for EndpointView {
    fn from(e: WebhookEndpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e
                .event_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            enabled: e.enabled,
            secrets: e
                .secrets
                .into_iter()
                .map(|s| SecretInfo {
                    hint: format!("{}…", s.secret.chars().take(10).collect::<String>()),
                    created_at: s.created_at,
                    expires_at: s.expires_at,
                })
                .collect(),
            created_at: e.created_at,
        }
    }
}

/// An endpoint with its newest secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    /// The endpoint.
    pub endpoint: EndpointView,
    /// The newest signing secret (`whsec_<base64>`): give it to the receiver.
    pub secret: String,
}

fn with_secret(e: WebhookEndpoint) -> EndpointWithSecret {
    let secret = e
        .secrets
        .last()
        .map(|s| s.secret.clone())
        .unwrap_or_default();
    EndpointWithSecret {
        endpoint: e.into(),
        secret,
    }
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointBody {
    /// Where to POST events (http or https).
    #[schema(example = "https://marketplace.example/hooks/rightsguard")]
    pub url: String,
    /// A note for admins.
    #[serde(default)]
    pub description: String,
    /// Event types to receive (`listing.taken_down`, `listing.reinstated`,
    /// `listing.held`, `listing.released`, `store.frozen`, `store.unfrozen`,
    /// `store.closed`, `account.suspended`, `account.suspension_ended`);
    /// empty or absent: all.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Whether it receives deliveries now (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Adds an endpoint with a fresh secret (admins). It receives the events that
/// happen from now on.
#[utoipa::path(post, path = "/api/v1/webhooks/endpoints", tag = "webhooks", request_body = CreateEndpointBody,
    security(("bearer" = [])),
    responses((status = 201, description = "The endpoint and its secret (shown only here)", body = EndpointWithSecret),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_endpoint(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<CreateEndpointBody>,
) -> ApiResult<(StatusCode, Json<EndpointWithSecret>)> {
    let new = NewEndpoint {
        url: b.url,
        description: b.description,
        event_types: parse_types(b.event_types)?,
        enabled: b.enabled,
    };
    let e = s.app.create_webhook_endpoint(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(with_secret(e))))
}

/// Every endpoint, oldest first (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/endpoints", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, description = "The endpoints", body = [EndpointView]), (status = 403, body = ErrorBody)))]
async fn list_endpoints(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<Vec<EndpointView>>> {
    let all = s.app.webhook_endpoints(&actor).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// One endpoint (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")), security(("bearer" = [])),
    responses((status = 200, description = "The endpoint", body = EndpointView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_endpoint(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<EndpointView>> {
    Ok(Json(s.app.webhook_endpoint(&actor, &id).await?.into()))
}

/// Changes to an endpoint; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchEndpointBody {
    /// New URL.
    pub url: Option<String>,
    /// New note.
    pub description: Option<String>,
    /// New event types (empty: all).
    pub event_types: Option<Vec<String>>,
    /// Enable or disable deliveries (a disabled endpoint keeps its pending
    /// deliveries until enabled again).
    pub enabled: Option<bool>,
}

/// Changes an endpoint (admins).
#[utoipa::path(patch, path = "/api/v1/webhooks/endpoints/{id}", tag = "webhooks", request_body = PatchEndpointBody,
    params(("id" = String, Path, description = "Endpoint id")), security(("bearer" = [])),
    responses((status = 200, description = "The endpoint after the change", body = EndpointView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_endpoint(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<PatchEndpointBody>,
) -> ApiResult<Json<EndpointView>> {
    let patch = EndpointPatch {
        url: b.url,
        description: b.description,
        event_types: b.event_types.map(parse_types).transpose()?,
        enabled: b.enabled,
    };
    let e = s.app.update_webhook_endpoint(&actor, &id, patch).await?;
    Ok(Json(e.into()))
}

/// How to rotate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    /// How long the older secrets keep signing, in hours (0 to 720; default 24).
    #[schema(minimum = 0, maximum = 720)]
    pub grace_hours: Option<i64>,
}

/// Gives an endpoint a new secret (admins); the older ones keep signing for
/// the grace period, so every delivery meanwhile carries both signatures.
#[utoipa::path(post, path = "/api/v1/webhooks/endpoints/{id}/rotate", tag = "webhooks", request_body = RotateBody,
    params(("id" = String, Path, description = "Endpoint id")), security(("bearer" = [])),
    responses((status = 200, description = "The endpoint and its new secret (shown only here)", body = EndpointWithSecret),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rotate_secret(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RotateBody>,
) -> ApiResult<Json<EndpointWithSecret>> {
    let hours = b.grace_hours.unwrap_or(24);
    if !(0..=720).contains(&hours) {
        return Err(field_error(
            "grace_hours",
            format!("grace_hours {hours} is out of range: 0 to 720"),
        ));
    }
    let e = s
        .app
        .rotate_webhook_secret(&actor, &id, SignedDuration::from_hours(hours))
        .await?;
    Ok(Json(with_secret(e)))
}

/// Filters of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only this endpoint's deliveries.
    pub endpoint: Option<String>,
    /// Only deliveries in this state: `pending`, `delivered` or `failed`.
    pub status: Option<String>,
    /// At most this many, newest first (1 to 1000; default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// One attempt to deliver.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// Which attempt, from 1.
    pub attempt: i64,
    /// When it was sent.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// Milliseconds to the answer or the failure.
    pub latency_ms: u64,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

impl From<Attempt> for AttemptView {
    fn from(a: Attempt) -> Self {
        Self {
            attempt: a.attempt,
            at: a.at,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
        }
    }
}

/// One event's delivery to one endpoint, with its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The delivery's id.
    pub id: i64,
    /// The endpoint.
    pub endpoint: String,
    /// The event's id (`webhook-id`).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The listing, or `account:ORG` for account events.
    pub listing: String,
    /// `pending`, `delivered` or `failed` (retried for a day, then given up).
    pub status: String,
    /// Attempts made (a claim that crashed mid-send included).
    pub attempts: i64,
    /// When the next attempt is due, while pending.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<Timestamp>,
    /// When it arrived.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    /// The last error.
    pub last_error: Option<String>,
    /// The attempts logged, oldest first.
    pub log: Vec<AttemptView>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            endpoint: d.endpoint,
            event_id: d.event_id,
            event_type: d.event_type.as_str().to_owned(),
            listing: d.listing,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
            delivered_at: d.delivered_at,
            last_error: d.last_error,
            log: d.log.into_iter().map(Into::into).collect(),
        }
    }
}

/// The delivery log, newest first (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", tag = "webhooks", params(DeliveryQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "Deliveries with their attempts", body = [DeliveryView]),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_deliveries(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<DeliveryQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let Query(q) = query.map_err(|e| ApiError::InvalidBody {
        field: Some("query".into()),
        message: format!(
            "{} (endpoint: an endpoint id, status: pending|delivered|failed, limit: 1 to 1000)",
            e.body_text()
        ),
    })?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(field_error(
            "limit",
            format!("limit {limit} is out of range: 1 to 1000"),
        ));
    }
    let status = q
        .status
        .as_deref()
        .map(|st| {
            DeliveryStatus::parse(st).ok_or_else(|| {
                field_error(
                    "status",
                    format!("unknown status {st:?}: pending, delivered or failed"),
                )
            })
        })
        .transpose()?;
    let all = s
        .app
        .webhook_deliveries(&actor, q.endpoint.as_deref(), status, limit)
        .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// How many deliveries were queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Redelivered {
    /// Deliveries queued, one per enabled endpoint subscribed to the type.
    pub queued: usize,
}

/// Sends an event again, with the same id, to every enabled endpoint that
/// receives its type (admins); it goes out in its listing's order.
#[utoipa::path(post, path = "/api/v1/webhooks/events/{id}/redeliver", tag = "webhooks",
    params(("id" = String, Path, description = "Event id (`evt_...`)")), security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = Redelivered),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn redeliver_event(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Redelivered>)> {
    let queued = s.app.redeliver_webhook_event(&actor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(Redelivered { queued })))
}
