//! The inbox page and the notification settings form.
//!
//! The inbox shows the signed-in user's notifications in the page's
//! language (the one the reader is looking at now); e-mails use the
//! language saved in the settings.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rightsguard_domain::notification::{Language, NotificationKind, render};
use serde::Deserialize;

use super::i18n::{Lang, tr};
use super::pages::{Frame, PageResult, finish};
use super::{PageError, Web, render as render_page, see_other};
use crate::AppState;

fn language(l: Lang) -> Language {
    match l {
        Lang::En => Language::En,
        Lang::Zh => Language::Zh,
    }
}

/// One notification as the page shows it.
#[derive(Debug)]
pub struct Item {
    /// Its id.
    pub id: i64,
    /// Title.
    pub subject: String,
    /// Text.
    pub body: String,
    /// When, as shown.
    pub at: String,
    /// Unread.
    pub unread: bool,
    /// The complaint it concerns, for a link.
    pub complaint: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct InboxPage {
    f: Frame,
    items: Vec<Item>,
    unread_only: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct InboxQuery {
    #[serde(default)]
    unread: Option<String>,
}

pub(super) async fn inbox_page(
    State(s): State<AppState>,
    web: Web,
    Query(q): Query<InboxQuery>,
) -> Response {
    let r: PageResult = async {
        let actor = web.actor()?;
        let unread_only = q.unread.is_some_and(|v| !v.is_empty() && v != "0");
        let lang = language(web.lang);
        let items = s
            .app
            .inbox(actor, unread_only, 200)
            .await?
            .into_iter()
            .map(|e| {
                let n = e.notification;
                let text = render(n.kind, &n.params, lang);
                Item {
                    id: n.id,
                    subject: text.subject,
                    body: text.body,
                    at: n.created_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
                    unread: n.read_at.is_none(),
                    complaint: n.params.complaint,
                }
            })
            .collect();
        Ok(render_page(
            StatusCode::OK,
            &InboxPage {
                f: Frame::new(&web, &s, "inbox"),
                items,
                unread_only,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Debug, Deserialize)]
pub(super) struct ReadForm {
    #[serde(default)]
    csrf: String,
    /// One notification, or every one when absent.
    #[serde(default)]
    id: Option<i64>,
}

pub(super) async fn mark_read(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<ReadForm>,
) -> Response {
    let r: PageResult = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        let ids = form.id.map(|i| vec![i]);
        s.app.mark_read(actor, ids.as_deref()).await?;
        Ok(see_other("/notifications"))
    }
    .await;
    finish(&web, &s, r)
}

/// One kind's checkbox.
#[derive(Debug)]
pub struct KindRow {
    /// `email_<kind>`: the field name.
    pub name: String,
    /// What it is, in the page's language.
    pub label: &'static str,
    /// Checked.
    pub email: bool,
}

#[derive(Template)]
#[template(path = "notification_settings.html")]
struct SettingsPage {
    f: Frame,
    language: &'static str,
    email: String,
    kinds: Vec<KindRow>,
    email_error: Option<String>,
    saved: bool,
}

fn kind_rows(lang: Lang, off: &dyn Fn(NotificationKind) -> bool) -> Vec<KindRow> {
    NotificationKind::ALL
        .iter()
        .map(|k| KindRow {
            name: format!("email_{}", k.as_str()),
            label: k.label(language(lang)),
            email: !off(*k),
        })
        .collect()
}

pub(super) async fn settings_page(State(s): State<AppState>, web: Web) -> Response {
    let r: PageResult = async {
        let actor = web.actor()?;
        let st = s.app.notification_settings(actor).await?;
        Ok(render_page(
            StatusCode::OK,
            &SettingsPage {
                f: Frame::new(&web, &s, "notification_settings"),
                language: st.language.as_str(),
                email: st
                    .email
                    .as_ref()
                    .map(|e| e.as_str().to_owned())
                    .unwrap_or_default(),
                kinds: kind_rows(web.lang, &|k| st.email_off.contains(&k)),
                email_error: None,
                saved: false,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

pub(super) async fn save_settings(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r: PageResult = async {
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        web.check_write(get("csrf").unwrap_or_default())?;
        let actor = web.actor()?;
        let language = get("language").unwrap_or("en");
        let email = get("email").unwrap_or_default();
        // An unchecked box is absent from the form: every kind not sent is off.
        let mailed = |k: NotificationKind| get(&format!("email_{}", k.as_str())).is_some();
        let parsed = crate::notifications::parse_settings(
            language,
            Some(email),
            NotificationKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), mailed(*k))),
        );
        let (settings, error) = match parsed {
            Ok(st) => (Some(st), None),
            Err(crate::ApiError::InvalidBody { field, .. })
                if field.as_deref() == Some("email") =>
            {
                (None, Some(tr(web.lang, "bad_email").to_owned()))
            }
            Err(e) => return Err(PageError::Api(e)),
        };
        let Some(settings) = settings else {
            return Ok(render_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SettingsPage {
                    f: Frame::new(&web, &s, "notification_settings"),
                    language: if language == "zh" { "zh" } else { "en" },
                    email: email.to_owned(),
                    kinds: kind_rows(web.lang, &|k| !mailed(k)),
                    email_error: error,
                    saved: false,
                },
            ));
        };
        let st = s.app.set_notification_settings(actor, &settings).await?;
        Ok(render_page(
            StatusCode::OK,
            &SettingsPage {
                f: Frame::new(&web, &s, "notification_settings"),
                language: st.language.as_str(),
                email: st
                    .email
                    .as_ref()
                    .map(|e| e.as_str().to_owned())
                    .unwrap_or_default(),
                kinds: kind_rows(web.lang, &|k| st.email_off.contains(&k)),
                email_error: None,
                saved: true,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}
