//! The caller's own notifications over HTTP: the inbox, marking read, and
//! the settings (language, e-mail address, which kinds go by e-mail).
//!
//! Every route is about the authenticated person (`/api/v1/me/...`): there
//! is no way to name another user, so no one reads another's inbox.

use axum::Json;
use axum::extract::{Query, State};
use jiff::Timestamp;
use rightsguard_app::notifications::{InboxEntry, MAX_INBOX_PAGE};
use rightsguard_domain::notification::{EmailAddress, Language, NotificationKind, Params};
use rightsguard_store::notifications::NotificationSettings;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody};

type ApiResult<T> = Result<T, ApiError>;

/// The routes of the caller's notifications.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
        .routes(routes!(get_settings, put_settings))
}

fn field_error(field: &str, message: String) -> ApiError {
    ApiError::InvalidBody {
        field: Some(field.to_owned()),
        message,
    }
}

/// Filters of the inbox.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only unread notifications.
    #[serde(default)]
    pub unread: bool,
    /// At most this many, newest first (1 to 500; default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// One notification, in the caller's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    /// Its id (for marking it read).
    pub id: i64,
    /// What it is about: `complaint_against_listing`, `complaint_decided`,
    /// `counter_notice_to_answer`, `deadline_soon`, `penalty_applied`, `right_expiring`,
    /// `customs_recordal_lapsing`.
    pub kind: String,
    /// The title (also the e-mail's subject).
    pub subject: String,
    /// The text.
    pub body: String,
    /// The complaint it concerns, if any.
    pub complaint: Option<String>,
    /// The listing it concerns, if any.
    pub listing: Option<String>,
    /// The right it concerns, if any.
    pub right: Option<String>,
    /// The deadline it speaks of, if any.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due: Option<Timestamp>,
    /// When it was created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When the caller read it; absent: unread.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<Timestamp>,
    /// Its e-mail: `off` (not wanted or no address), `pending`, `sent`,
    /// `failed` (given up), `skipped` (the server has no SMTP configured).
    pub email: String,
}

impl From<InboxEntry> for NotificationView {
    fn from(e: InboxEntry) -> Self {
        let n = e.notification;
        let Params {
            complaint,
            listing,
            right,
            due,
            ..
        } = n.params;
        Self {
            id: n.id,
            kind: n.kind.as_str().to_owned(),
            subject: e.text.subject,
            body: e.text.body,
            complaint,
            listing,
            right,
            due,
            created_at: n.created_at,
            read_at: n.read_at,
            email: n.email_status.as_str().to_owned(),
        }
    }
}

/// A page of the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    /// How many of the caller's notifications are unread in all.
    pub unread: i64,
    /// The notifications, newest first.
    pub notifications: Vec<NotificationView>,
}

/// The caller's notifications, newest first, in the caller's language.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications", params(InboxQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of the inbox", body = InboxPage),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_notifications(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<InboxPage>> {
    let Query(q) = query.map_err(|e| {
        field_error(
            "query",
            format!("{} (unread: true|false, limit: 1 to 500)", e.body_text()),
        )
    })?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_INBOX_PAGE).contains(&limit) {
        return Err(field_error(
            "limit",
            format!("limit {limit} is out of range: 1 to {MAX_INBOX_PAGE}"),
        ));
    }
    let rows = s.app.inbox(&actor, q.unread, limit).await?;
    Ok(Json(InboxPage {
        unread: s.app.unread_count(&actor).await?,
        notifications: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Which notifications to mark read: `ids`, or every one with `all`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadBody {
    /// The notifications (ids of others' notifications are ignored).
    #[serde(default)]
    pub ids: Vec<i64>,
    /// Mark every unread notification read.
    #[serde(default)]
    pub all: bool,
}

/// What marking read did.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many changed from unread to read.
    pub marked: u64,
    /// How many are unread now.
    pub unread: i64,
}

/// Marks the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read", tag = "notifications", request_body = MarkReadBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Marked", body = MarkedRead),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn mark_read(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<MarkReadBody>,
) -> ApiResult<Json<MarkedRead>> {
    if b.all != b.ids.is_empty() {
        return Err(field_error(
            "ids",
            "give either ids (a non-empty list) or all: true".into(),
        ));
    }
    if b.ids.len() > 1000 {
        return Err(field_error("ids", "at most 1000 ids at once".into()));
    }
    let ids = (!b.all).then_some(b.ids.as_slice());
    let marked = s.app.mark_read(&actor, ids).await?;
    Ok(Json(MarkedRead {
        marked,
        unread: s.app.unread_count(&actor).await?,
    }))
}

/// Whether one kind of notification also goes by e-mail.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindPreference {
    /// The kind (see `NotificationView.kind`).
    pub kind: String,
    /// Whether it also goes by e-mail (the inbox always gets it).
    pub email: bool,
}

/// The caller's notification settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsView {
    /// `en` or `zh`: the language of notifications and e-mails.
    pub language: String,
    /// Where e-mail goes; absent: inbox only.
    pub email: Option<String>,
    /// Per kind, whether it goes by e-mail; every kind is listed.
    pub kinds: Vec<KindPreference>,
}

fn view(s: &NotificationSettings) -> SettingsView {
    SettingsView {
        language: s.language.as_str().to_owned(),
        email: s.email.as_ref().map(|e| e.as_str().to_owned()),
        kinds: NotificationKind::ALL
            .iter()
            .map(|k| KindPreference {
                kind: k.as_str().to_owned(),
                email: !s.email_off.contains(k),
            })
            .collect(),
    }
}

/// New settings: replaces the old ones. Kinds left out go by e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    /// `en` or `zh`.
    #[schema(example = "zh")]
    pub language: String,
    /// Where e-mail goes; absent or null: inbox only.
    #[schema(example = "sam@shop1.example")]
    pub email: Option<String>,
    /// Per kind, whether it goes by e-mail.
    #[serde(default)]
    pub kinds: Vec<KindPreference>,
}

/// The caller's notification settings.
#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, description = "The settings", body = SettingsView),
        (status = 403, body = ErrorBody)))]
async fn get_settings(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<SettingsView>> {
    Ok(Json(view(&s.app.notification_settings(&actor).await?)))
}

/// Parses settings as a form or a body gives them.
pub(crate) fn parse_settings(
    language: &str,
    email: Option<&str>,
    email_off: impl IntoIterator<Item = (String, bool)>,
) -> ApiResult<NotificationSettings> {
    let language = Language::parse(language)
        .ok_or_else(|| field_error("language", format!("{language:?} is not en or zh")))?;
    let email = email
        .filter(|e| !e.trim().is_empty())
        .map(EmailAddress::parse)
        .transpose()
        .map_err(|e| field_error("email", e.to_string()))?;
    let mut off = std::collections::BTreeSet::new();
    for (kind, mailed) in email_off {
        let k = NotificationKind::parse(&kind).ok_or_else(|| {
            let known: Vec<&str> = NotificationKind::ALL.iter().map(|k| k.as_str()).collect();
            field_error(
                "kinds",
                format!("unknown kind {kind:?}: one of {}", known.join(", ")),
            )
        })?;
        if !mailed {
            off.insert(k);
        }
    }
    Ok(NotificationSettings {
        language,
        email,
        email_off: off,
    })
}

/// Replaces the caller's notification settings.
#[utoipa::path(put, path = "/api/v1/me/notification-settings", tag = "notifications", request_body = SettingsBody,
    security(("bearer" = [])),
    responses((status = 200, description = "The settings saved", body = SettingsView),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_settings(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(b): JsonBody<SettingsBody>,
) -> ApiResult<Json<SettingsView>> {
    let settings = parse_settings(
        &b.language,
        b.email.as_deref(),
        b.kinds.into_iter().map(|k| (k.kind, k.email)),
    )?;
    let saved = s.app.set_notification_settings(&actor, &settings).await?;
    Ok(Json(view(&saved)))
}
