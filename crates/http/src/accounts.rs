//! Accounts over the API: who am I, organisations and users (admins), API
//! tokens (each user its own, admins anyone's), powers of attorney.
//!
//! The same use cases as `rightsguard org/user/token/poa` on the command
//! line, so every change is audited under the account's organisation
//! whichever way it was made. A token's secret appears in exactly one
//! response, the one that issued it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rightsguard_domain::account::{DisplayName, Org, OrgKind, User};
use rightsguard_domain::actor::Role;
use rightsguard_domain::ids::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody};

type ApiResult<T> = Result<T, ApiError>;

/// The account routes, with their OpenAPI operations.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(create_org))
        .routes(routes!(create_user))
        .routes(routes!(issue_token))
        .routes(routes!(revoke_token))
        .routes(routes!(grant_power_of_attorney))
        .routes(routes!(set_password))
}

/// Who the caller is and as whom it acts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user, if a person is calling.
    pub user: Option<String>,
    /// The caller's organisation.
    pub org: String,
    /// The role it acts in (`rights_holder`, `agent`, `seller`, `reviewer`, `admin`).
    pub role: String,
    /// For an agent: the rights holder it acts for in this request.
    pub principal: Option<String>,
}

/// The caller: user, organisation, role and (for an agent) principal.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = Me), (status = 401, body = ErrorBody)))]
async fn get_me(Caller(actor): Caller) -> Json<Me> {
    Json(Me {
        user: actor.user.map(|u| u.to_string()),
        org: actor.org.to_string(),
        role: role_name(actor.role),
        principal: actor.principal.map(|p| p.to_string()),
    })
}

fn role_name(role: Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A new organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// Its id (letters, digits, `-`, `_`, `.`).
    #[schema(value_type = String, example = "acme")]
    pub id: OrgId,
    /// `rights_holder`, `agent`, `seller` or `platform`.
    #[schema(value_type = String, example = "rights_holder")]
    pub kind: OrgKind,
    /// Display name.
    #[schema(value_type = String, example = "ACME Brands Ltd")]
    pub name: DisplayName,
}

/// An organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Display name.
    pub name: String,
}

impl From<Org> for OrgView {
    fn from(o: Org) -> Self {
        Self {
            id: o.id.to_string(),
            kind: o.kind.as_str().to_owned(),
            name: o.name.as_str().to_owned(),
        }
    }
}

/// Creates an organisation: admins only.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "accounts", request_body = NewOrg,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = OrgView),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_org(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<NewOrg>,
) -> ApiResult<(StatusCode, Json<OrgView>)> {
    let org = s.app.add_org(&actor, b.id, b.kind, b.name).await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Its id.
    #[schema(value_type = String, example = "alice")]
    pub id: UserId,
    /// Its organisation.
    #[schema(value_type = String, example = "acme")]
    pub org: OrgId,
    /// A role that fits the organisation's kind.
    #[schema(value_type = String, example = "rights_holder")]
    pub role: Role,
    /// Display name.
    #[schema(value_type = String, example = "Alice Example")]
    pub name: DisplayName,
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org: String,
    /// Role.
    pub role: String,
    /// Display name.
    pub name: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id.to_string(),
            org: u.org.to_string(),
            role: role_name(u.role),
            name: u.name.as_str().to_owned(),
        }
    }
}

/// Creates a user in an existing organisation: admins only.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUser,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = UserView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<NewUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = s.app.add_user(&actor, b.id, &b.org, b.role, b.name).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Whose token to issue.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// The user; default the caller. Only admins issue tokens for others.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub user: Option<UserId>,
}

/// A freshly issued token. `token` is shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedTokenView {
    /// Public id (to revoke it).
    pub id: String,
    /// The user it authenticates.
    pub user: String,
    /// The secret: send it as `Authorization: Bearer <token>`. Only its hash is stored.
    pub token: String,
}

/// Issues an API token: for the caller, or (admins) for any user.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = NewToken,
    security(("bearer" = [])),
    responses((status = 201, description = "Issued; the secret is shown once", body = IssuedTokenView),
        (status = 404, body = ErrorBody)))]
async fn issue_token(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<NewToken>,
) -> ApiResult<(StatusCode, Json<IssuedTokenView>)> {
    let user = match (b.user, &actor.user) {
        (Some(u), _) => u,
        (None, Some(me)) => me.clone(),
        (None, None) => {
            return Err(ApiError::InvalidBody {
                field: Some("user".into()),
                message: "name the user: the caller is not a person".into(),
            });
        }
    };
    let t = s.app.issue_token(&actor, &user).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenView {
            id: t.id,
            user: t.user.to_string(),
            token: t.secret.expose().to_owned(),
        }),
    ))
}

/// A revoked token.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedToken {
    /// Its id.
    pub id: String,
    /// When it stopped working (RFC 3339).
    pub revoked_at: String,
}

/// Revokes an API token: its user's own, or (admins) anyone's; 404 for anyone else.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Token id (`tok_...`)")), security(("bearer" = [])),
    responses((status = 200, description = "Revoked", body = RevokedToken), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RevokedToken>> {
    let at = s.app.revoke_token(&actor, &id).await?;
    Ok(Json(RevokedToken {
        id,
        revoked_at: at.to_string(),
    }))
}

/// A power of attorney to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPowerOfAttorney {
    /// The agent organisation.
    #[schema(value_type = String, example = "brandguard")]
    pub agent: OrgId,
    /// The rights holder giving it; default the caller's organisation.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub principal: Option<OrgId>,
}

/// A recorded power of attorney.
#[derive(Debug, Serialize, ToSchema)]
pub struct PowerOfAttorneyView {
    /// The agent.
    pub agent: String,
    /// The rights holder.
    pub principal: String,
}

/// Records a power of attorney: a rights holder for itself, or an admin.
#[utoipa::path(post, path = "/api/v1/powers-of-attorney", tag = "accounts",
    request_body = NewPowerOfAttorney, security(("bearer" = [])),
    responses((status = 201, description = "Recorded", body = PowerOfAttorneyView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn grant_power_of_attorney(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<NewPowerOfAttorney>,
) -> ApiResult<(StatusCode, Json<PowerOfAttorneyView>)> {
    let principal = b.principal.unwrap_or_else(|| actor.org.clone());
    s.app
        .grant_power_of_attorney(&actor, &b.agent, &principal)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PowerOfAttorneyView {
            agent: b.agent.to_string(),
            principal: principal.to_string(),
        }),
    ))
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// The password: 10 to 1024 characters. Only its argon2id hash is stored.
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

/// Sets a user's password for the web pages: the user itself, or an admin.
/// Anyone else is told the user does not exist.
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "accounts", request_body = NewPassword,
    params(("id" = String, Path, description = "User id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Set"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_password(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<NewPassword>,
) -> ApiResult<StatusCode> {
    let user = UserId::parse(&id)
        .map_err(|_| ApiError::App(rightsguard_app::AppError::NotFound(format!("user {id}"))))?;
    s.app
        .set_password(&actor, &user, rightsguard_app::Secret::new(b.password))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
