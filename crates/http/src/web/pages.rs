//! The page handlers: one use case each, rendered by an askama template.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::{SignedDuration, Timestamp};
use rightsguard_app::{AppError, Secret};
use rightsguard_domain::actor::Role;
use rightsguard_domain::complaint::{
    Complaint, ComplaintCommand, Decision, ItemState, ReasonCode, SubmitComplaint,
};
use rightsguard_domain::event::{EscalationKind, Party};
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, RegistrationNumber, RightId, UserId,
};
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use rightsguard_store::listings::ListingStore as _;
use serde::Deserialize;

use super::i18n::{Lang, tr};
use super::{PageError, Web, render, see_other};
use crate::{ApiError, AppState};

const CSS: &str = include_str!("../../assets/app.css");

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/app.css", get(css))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/rights", get(rights_page).post(register_right))
        .route("/complaints", get(complaints_page))
        .route(
            "/complaints/new",
            get(new_complaint_page).post(file_complaint),
        )
        .route(
            "/complaints/{id}",
            get(complaint_page).post(act_on_complaint),
        )
        .route("/review", get(review_page))
        .route("/review/counter-notices", get(counter_notices_page))
        .route("/review/rights", get(verify_page))
        .route("/rights/{id}/decision", post(decide_right))
        .route("/standing", get(standing_page))
        .route("/clearance", get(clearance_page))
        .route(
            "/findings",
            get(super::findings::findings_page).post(super::findings::act_on_findings),
        )
        .route("/rights/{id}/marks", post(super::findings::set_marks))
        .route(
            "/rights/{id}/images",
            post(super::findings::add_right_image),
        )
        .route(
            "/rights/{id}/images/{sha}",
            get(super::findings::right_image),
        )
        .route(
            "/rights/{id}/images/{sha}/remove",
            post(super::findings::remove_right_image),
        )
        .route(
            "/findings/{id}/images/{sha}",
            get(super::findings::finding_image),
        )
        .route("/admin", get(admin_page))
        .route("/admin/clock", post(advance_clock))
        .route("/admin/jobs", post(run_jobs))
        .route("/evidence/{sha}", get(download_evidence))
        .route("/complaints/{id}/dossier.zip", get(download_dossier_zip))
        .route("/complaints/{id}/dossier.pdf", get(download_dossier_pdf))
        .route("/account", get(account_page).post(change_password))
        .route("/notifications", get(super::inbox::inbox_page))
        .route("/notifications/read", post(super::inbox::mark_read))
        .route(
            "/notifications/settings",
            get(super::inbox::settings_page).post(super::inbox::save_settings),
        )
        .route("/admin/tokens", post(issue_token))
        .route("/admin/tokens/revoke", post(revoke_token))
        .route(
            "/admin/transparency",
            get(super::reports::transparency_page),
        )
        .route(
            "/admin/transparency/export",
            get(super::reports::transparency_export),
        )
        .route(
            "/admin/notifiers",
            get(super::oversight::notifier_cases_page),
        )
        .route(
            "/admin/notifiers/{org}/decision",
            post(super::oversight::decide_notifier_case),
        )
        .route("/admin/calendars", get(super::oversight::calendars_page))
        .route(
            "/blocklist",
            get(super::blocklist::blocklist_page).post(super::blocklist::request_block_term),
        )
        .route("/blocklist/{id}", post(super::blocklist::decide_block_term))
        .route(
            "/authorisations",
            get(super::authorisations::authorisations_page)
                .post(super::authorisations::grant_authorisation),
        )
        .route(
            "/authorisations/{id}/revoke",
            post(super::authorisations::revoke_authorisation),
        )
        .route("/admin/policies", get(super::platform::policies_page))
        .route("/principal", post(super::agent::choose_principal))
        .route("/exports", get(super::platform::exports_page))
        .route(
            "/exports/dsa-statements.json",
            get(super::platform::download_statements),
        )
        .route("/exports/lumen", get(super::platform::download_lumen))
        .route(
            "/exports/complaints.csv",
            get(super::platform::download_complaints),
        )
        .route(
            "/rights/{id}/customs",
            get(super::escalation::customs_page).post(super::escalation::record_customs),
        )
        .route(
            "/rights/{id}/customs/{number}/renew",
            post(super::escalation::renew_customs),
        )
        .route(
            "/complaints/{id}/escalation",
            get(super::escalation::escalation_page).post(super::escalation::record_proceeding),
        )
        .route(
            "/complaints/{id}/escalation-package.zip",
            get(super::escalation::download_package),
        )
}

async fn css() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=3600"),
            ),
        ],
        CSS,
    )
        .into_response()
}

/// What every page's frame shows: language, who is signed in, the menu.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The language.
    pub lang: Lang,
    /// The CSRF token for forms.
    pub csrf: String,
    /// The path, for the language switch.
    pub path: String,
    /// Who is signed in, as shown.
    pub who: Option<String>,
    /// The menu: (href, label key).
    pub nav: Vec<(&'static str, &'static str)>,
    /// The app's current time, as shown.
    pub now: String,
    /// The page title key.
    pub title: &'static str,
    /// Unread notifications of the signed-in user.
    pub unread: i64,
}

impl Frame {
    pub(super) fn new(web: &Web, s: &AppState, title: &'static str) -> Self {
        let nav: Vec<(&'static str, &'static str)> = match web.actor.as_ref().map(|a| a.role) {
            Some(Role::RightsHolder | Role::Agent) => vec![
                ("/", "home"),
                ("/rights", "my_rights"),
                ("/findings", "findings"),
                ("/complaints", "my_complaints"),
                ("/complaints/new", "file_complaint"),
                ("/blocklist", "blocklist"),
                ("/authorisations", "authorisations"),
                ("/exports", "exports"),
            ],
            Some(Role::Seller) => vec![
                ("/", "home"),
                ("/complaints", "complaints_against_me"),
                ("/standing", "my_standing"),
                ("/authorisations", "authorisations"),
                ("/exports", "exports"),
            ],
            Some(Role::Reviewer) => vec![
                ("/", "home"),
                ("/review", "review_queue"),
                ("/review/counter-notices", "counter_notices"),
                ("/review/rights", "rights_to_verify"),
                ("/admin/transparency", "transparency_report"),
                ("/admin/notifiers", "notifier_cases"),
                ("/blocklist", "blocklist"),
                ("/exports", "exports"),
            ],
            Some(Role::Admin) => vec![
                ("/", "home"),
                ("/review", "review_queue"),
                ("/review/counter-notices", "counter_notices"),
                ("/review/rights", "rights_to_verify"),
                ("/admin", "admin"),
                ("/admin/transparency", "transparency_report"),
                ("/admin/notifiers", "notifier_cases"),
                ("/admin/calendars", "calendars"),
                ("/admin/policies", "policy_profiles"),
                ("/blocklist", "blocklist"),
                ("/authorisations", "authorisations"),
                ("/exports", "exports"),
            ],
            Some(Role::System) | None => vec![],
        };
        let mut nav = nav;
        if web.actor.is_some() {
            nav.push(("/notifications", "inbox"));
            nav.push(("/clearance", "clearance"));
            nav.push(("/account", "my_account"));
        }
        let who = web.actor.as_ref().map(|a| {
            format!(
                "{} · {} · {}{}",
                web.user.as_ref().map(|u| u.as_str()).unwrap_or("-"),
                a.org,
                tr(web.lang, role_key(a.role)),
                a.principal
                    .as_ref()
                    .map(|p| format!(" → {p}"))
                    .unwrap_or_default()
            )
        });
        Self {
            lang: web.lang,
            csrf: web.csrf.clone(),
            path: web.path.clone(),
            who,
            nav,
            now: s.app.now().strftime("%Y-%m-%d %H:%M UTC").to_string(),
            title,
            unread: web.unread,
        }
    }

    /// A translated string.
    pub fn t(&self, key: &str) -> &'static str {
        tr(self.lang, key)
    }

    /// The other language's code and name, for the switch.
    pub fn other_lang(&self) -> (&'static str, &'static str) {
        match self.lang {
            Lang::En => ("zh", "中文"),
            Lang::Zh => ("en", "English"),
        }
    }

    /// Whether `href` is the current page (for `aria-current`).
    pub fn is_current(&self, href: &str) -> bool {
        self.path == href
    }
}

fn role_key(r: Role) -> &'static str {
    match r {
        Role::RightsHolder => "role_rights_holder",
        Role::Agent => "role_agent",
        Role::Seller => "role_seller",
        Role::Reviewer => "role_reviewer",
        Role::Admin => "role_admin",
        Role::System => "role_system",
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    f: Frame,
    status: u16,
    message: String,
}

/// Renders a page error in the user's language.
fn error_page(web: &Web, s: &AppState, e: PageError) -> Response {
    let (status, message) = match e {
        PageError::Login => return see_other("/login"),
        PageError::Csrf => (
            StatusCode::FORBIDDEN,
            tr(web.lang, "csrf_refused").to_owned(),
        ),
        PageError::App(e) => {
            let (status, code) = ApiError::app_status_and_code(&e);
            let msg = if status == StatusCode::NOT_FOUND {
                tr(web.lang, "not_found").to_owned()
            } else if status.is_server_error() {
                tracing::error!(error = %e, "page failed");
                tr(web.lang, "internal").to_owned()
            } else {
                format!("{} ({code})", e)
            };
            (status, msg)
        }
        PageError::Api(e) => {
            let (status, code) = e.status_and_code();
            (status, format!("{e} ({code})"))
        }
    };
    render(
        status,
        &ErrorPage {
            f: Frame::new(web, s, "error"),
            status: status.as_u16(),
            message,
        },
    )
}

pub(super) type PageResult = Result<Response, PageError>;

pub(super) fn finish(web: &Web, s: &AppState, r: PageResult) -> Response {
    match r {
        Ok(resp) => resp,
        Err(e) => error_page(web, s, e),
    }
}

/// A duration to a deadline, in words, and whether it is overdue.
fn countdown(lang: Lang, now: Timestamp, due: Timestamp) -> (String, bool) {
    let d = due.duration_since(now);
    let overdue = d.is_negative();
    let secs = d.as_secs().unsigned_abs();
    let (days, hours, mins) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    let span = match lang {
        Lang::En if days > 0 => format!("{days} d {hours} h"),
        Lang::En if hours > 0 => format!("{hours} h {mins} min"),
        Lang::En => format!("{mins} min"),
        Lang::Zh if days > 0 => format!("{days} 天 {hours} 小时"),
        Lang::Zh if hours > 0 => format!("{hours} 小时 {mins} 分钟"),
        Lang::Zh => format!("{mins} 分钟"),
    };
    let text = if overdue {
        format!("{} {span}", tr(lang, "overdue_by"))
    } else {
        format!("{} {span}", tr(lang, "due_in"))
    };
    (text, overdue)
}

fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    f: Frame,
    user: String,
    error: Option<&'static str>,
}

async fn login_page(State(s): State<AppState>, web: Web) -> Response {
    if web.actor.is_some() {
        return see_other("/");
    }
    render(
        StatusCode::OK,
        &LoginPage {
            f: Frame::new(&web, &s, "login"),
            user: String::new(),
            error: None,
        },
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let account = form.user.trim().to_owned();
        let again = |status: StatusCode, error: &'static str| {
            render(
                status,
                &LoginPage {
                    f: Frame::new(&web, &s, "login"),
                    user: account.clone(),
                    error: Some(error),
                },
            )
        };
        if !s.login_throttle.allowed(web.addr, &account) {
            return Ok(again(StatusCode::TOO_MANY_REQUESTS, "login_throttled"));
        }
        match s
            .app
            .login(&account, Secret::new(form.password), None)
            .await
        {
            Ok(_) | Err(rightsguard_app::AuthError::Account(_)) => {
                // Password right (an agent's principal is settled per request).
                s.login_throttle.succeeded(web.addr, &account);
                let id = UserId::parse(&account).map_err(|e| {
                    PageError::App(AppError::Rule(
                        rightsguard_domain::rule::RuleError::Invalid(e.to_string()),
                    ))
                })?;
                web.sign_in(&id).await?;
                Ok(see_other("/"))
            }
            Err(rightsguard_app::AuthError::WrongPassword) => {
                s.login_throttle.failed(web.addr, &account);
                Ok(again(StatusCode::UNAUTHORIZED, "login_failed"))
            }
            Err(e) => Err(PageError::Api(ApiError::Auth(e))),
        }
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        web.sign_out().await;
        Ok(see_other("/login"))
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

async fn set_lang(Path(code): Path<String>, Query(q): Query<Next>) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".to_owned());
    let mut resp = see_other(&next);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        super::LANG_COOKIE,
        lang.code()
    )) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

// ---------------------------------------------------------------- home

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    f: Frame,
    cards: Vec<(&'static str, &'static str, usize)>,
    dashboard: Option<Dashboard>,
}

/// A rights holder's picture: outcomes, success rate, time to decision.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Window of the rates, days.
    pub window_days: u32,
    /// Takedowns that held, per mille (for `<meter>`), and as text.
    pub success: (u32, String),
    /// Takedowns reversed.
    pub reversed: (u32, String),
    /// Listings by state: (state key, count, share per mille).
    pub states: Vec<(&'static str, usize, usize)>,
    /// Listings complained of, all time.
    pub listings: usize,
    /// Median hours from filing to the first decision, if any was decided.
    pub median_hours: Option<i64>,
    /// Per-week bar charts of the last weeks: (title key, SVG).
    pub weekly: Vec<(&'static str, String)>,
}

async fn home(State(s): State<AppState>, web: Web) -> Response {
    let r = async {
        let actor = web.actor()?.clone();
        let mut cards = Vec::new();
        let mut dashboard = None;
        match actor.role {
            Role::RightsHolder | Role::Agent => {
                let rights = s.app.my_rights(&actor).await?;
                let complaints = s.app.my_complaints(&actor).await?;
                let to_answer = complaints
                    .iter()
                    .flat_map(|c| &c.items)
                    .filter(|i| matches!(i.state, ItemState::Forwarded { .. }))
                    .count();
                cards.push(("/rights", "my_rights", rights.len()));
                cards.push(("/complaints", "my_complaints", complaints.len()));
                cards.push(("/complaints", "counter_notices_to_answer", to_answer));
                let (acc, _) = s.app.my_accuracy(&actor).await?;
                let mut by_state: BTreeMap<&'static str, usize> = BTreeMap::new();
                let mut hours = Vec::new();
                for c in &complaints {
                    for i in &c.items {
                        *by_state.entry(state_key(&i.state)).or_default() += 1;
                        if let Some(d) = i.decided_at {
                            hours.push(d.duration_since(c.submitted_at).as_hours());
                        }
                    }
                }
                hours.sort_unstable();
                let listings: usize = by_state.values().sum();
                let permille = |x: f64| (x * 1000.0).round() as u32;
                dashboard = Some(Dashboard {
                    window_days: s.app.policy().notifiers.window_days,
                    success: (
                        permille(acc.overall.success_rate()),
                        pct(acc.overall.success_rate()),
                    ),
                    reversed: (
                        permille(acc.overall.counter_success_rate()),
                        pct(acc.overall.counter_success_rate()),
                    ),
                    states: by_state
                        .into_iter()
                        .map(|(k, n)| (k, n, n * 1000 / listings.max(1)))
                        .collect(),
                    listings,
                    median_hours: hours.get(hours.len() / 2).copied(),
                    weekly: super::reports::weekly_charts(
                        web.lang,
                        &s.app.weekly_activity(&actor, super::reports::WEEKS).await?,
                    ),
                });
            }
            Role::Seller => {
                let c = s.app.complaints_against_me(&actor).await?;
                let open = c
                    .iter()
                    .flat_map(|c| &c.items)
                    .filter(|i| matches!(i.state, ItemState::Upheld { .. }))
                    .count();
                cards.push(("/complaints", "complaints_against_me", c.len()));
                cards.push(("/complaints", "takedowns_to_answer", open));
            }
            Role::Reviewer | Role::Admin => {
                let q = s.app.review_queue_for(&actor, 500).await?;
                let cn = s.app.counter_notice_queue(&actor).await?;
                let v = s.app.verification_queue(&actor).await?;
                cards.push(("/review", "review_queue", q.len()));
                cards.push(("/review/counter-notices", "counter_notices", cn.len()));
                cards.push(("/review/rights", "rights_to_verify", v.len()));
            }
            Role::System => {}
        }
        Ok(render(
            StatusCode::OK,
            &HomePage {
                f: Frame::new(&web, &s, "home"),
                cards,
                dashboard,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

// ---------------------------------------------------------------- forms

/// A submitted form: text fields and uploaded files (non-empty ones, in
/// the order sent; `file_fields[i]` is the field `files[i]` came in).
#[derive(Debug, Default)]
pub(super) struct FormData {
    pub(super) fields: BTreeMap<String, String>,
    pub(super) files: Vec<Vec<u8>>,
    pub(super) file_fields: Vec<String>,
}

impl FormData {
    pub(super) fn get(&self, k: &str) -> String {
        self.fields
            .get(k)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    }
}

pub(super) async fn read_multipart(mut m: Multipart, limit: usize) -> Result<FormData, PageError> {
    let mut out = FormData::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        PageError::Api(ApiError::BodyUnreadable(e.body_text()))
    };
    while let Some(field) = m.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            let bytes = field.bytes().await.map_err(bad)?;
            if bytes.len() > limit {
                return Err(PageError::Api(ApiError::BodyTooLarge { limit }));
            }
            if !bytes.is_empty() {
                out.files.push(bytes.to_vec());
                out.file_fields.push(name);
            }
        } else {
            let text = field.text().await.map_err(bad)?;
            out.fields.insert(name, text);
        }
    }
    Ok(out)
}

/// Field errors of a form, by field name.
pub(super) type FieldErrors = BTreeMap<&'static str, String>;

/// The value of a field and its error, for templates.
#[derive(Debug, Default, Clone)]
pub struct Field {
    /// What was typed.
    pub value: String,
    /// Why it was refused.
    pub error: Option<String>,
}

pub(super) fn fields(
    data: &FormData,
    names: &[&'static str],
    errors: &FieldErrors,
) -> BTreeMap<&'static str, Field> {
    names
        .iter()
        .map(|n| {
            (
                *n,
                Field {
                    value: data.get(n),
                    error: errors.get(n).cloned(),
                },
            )
        })
        .collect()
}

/// The form's fields, as the templates read them.
#[derive(Debug, Default, Clone)]
pub struct Form(pub(super) BTreeMap<&'static str, Field>);

impl Form {
    /// What was typed in a field.
    pub fn v(&self, k: &str) -> &str {
        self.0.get(k).map(|f| f.value.as_str()).unwrap_or("")
    }
    /// The error beside a field, if any.
    pub fn e(&self, k: &str) -> Option<&str> {
        self.0.get(k).and_then(|f| f.error.as_deref())
    }
    /// Whether a select option is the chosen one.
    pub fn is(&self, k: &str, v: &str) -> bool {
        self.v(k) == v
    }
}

fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// Whether an app error is the user's to correct on the form it sent (shown
/// on the page again, what was typed kept) rather than a page of its own:
/// a client error, but not a 404 (strangers learn nothing) nor a wrong
/// role (the 403 page).
pub(super) fn for_the_form(e: &AppError) -> bool {
    ApiError::app_status_and_code(e).0.is_client_error()
        && !matches!(
            e,
            AppError::NotFound(_)
                | AppError::Rule(rightsguard_domain::rule::RuleError::Forbidden { .. })
        )
}

pub(super) fn app_message(lang: Lang, e: &AppError) -> String {
    match e {
        AppError::NotFound(_) => tr(lang, "not_found").to_owned(),
        e => e.to_string(),
    }
}

// ---------------------------------------------------------------- rights

#[derive(Template)]
#[template(path = "rights.html")]
struct RightsPage {
    f: Frame,
    rights: Vec<RightRow>,
    form: Form,
    error: Option<String>,
}

/// A right as a row.
#[derive(Debug, Clone)]
pub struct RightRow {
    /// Id.
    pub id: String,
    /// Owner.
    pub owner: String,
    /// Kind key.
    pub kind: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Registration number.
    pub number: String,
    /// Classes.
    pub classes: String,
    /// State key (`right_pending`, ...).
    pub state: &'static str,
    /// Certificate hashes.
    pub certificates: Vec<String>,
}

fn right_row(r: &Right) -> RightRow {
    RightRow {
        id: r.id.to_string(),
        owner: r.owner.to_string(),
        kind: format!(
            "kind_{}",
            serde_json::to_value(r.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
        jurisdiction: r.jurisdiction.to_string(),
        number: r.registration_number.as_str().to_owned(),
        classes: r
            .nice_classes
            .iter()
            .map(|c| c.get().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        state: match r.state {
            RightState::Pending => "right_pending",
            RightState::Verified => "right_verified",
            RightState::Rejected => "right_rejected",
            RightState::Expired => "right_expired",
            RightState::Revoked => "right_revoked",
        },
        certificates: r.certificates.iter().map(|c| c.to_string()).collect(),
    }
}

const RIGHT_FIELDS: &[&str] = &[
    "id",
    "kind",
    "jurisdiction",
    "number",
    "classes",
    "valid_from",
    "valid_until",
];

/// The ids of the verified rights a rights holder or agent may act with
/// (a form's choice of right); none for other roles.
pub(super) async fn verified_right_ids(
    s: &AppState,
    actor: &rightsguard_domain::actor::Actor,
) -> Result<Vec<String>, PageError> {
    if !matches!(actor.role, Role::RightsHolder | Role::Agent) {
        return Ok(Vec::new());
    }
    Ok(s.app
        .my_rights(actor)
        .await?
        .into_iter()
        .filter(|r| r.state == RightState::Verified)
        .map(|r| r.id.to_string())
        .collect())
}

async fn rights_view(
    web: &Web,
    s: &AppState,
    form: Form,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let actor = web.actor()?;
    let rights = s.app.my_rights(actor).await?;
    Ok(render(
        status,
        &RightsPage {
            f: Frame::new(web, s, "my_rights"),
            rights: rights.iter().map(right_row).collect(),
            form,
            error,
        },
    ))
}

async fn rights_page(State(s): State<AppState>, web: Web) -> Response {
    let mut form = Form::default();
    form.0.insert(
        "kind",
        Field {
            value: "trademark".into(),
            error: None,
        },
    );
    form.0.insert(
        "jurisdiction",
        Field {
            value: "CN".into(),
            error: None,
        },
    );
    let r = rights_view(&web, &s, form, None, StatusCode::OK).await;
    finish(&web, &s, r)
}

async fn register_right(State(s): State<AppState>, web: Web, m: Multipart) -> Response {
    let r = async {
        let data = read_multipart(m, s.evidence_limit).await?;
        web.check_write(&data.get("csrf"))?;
        let actor = web.actor()?.clone();
        let lang = web.lang;
        let mut errors = FieldErrors::new();
        let id = RightId::parse(&data.get("id"))
            .map_err(|e| errors.insert("id", e.to_string()))
            .ok();
        let kind = parse_enum::<RightKind>(&data.get("kind"));
        if kind.is_none() {
            errors.insert("kind", tr(lang, "choose_one").to_owned());
        }
        let jurisdiction = Jurisdiction::parse(&data.get("jurisdiction"))
            .map_err(|e| errors.insert("jurisdiction", e.to_string()))
            .ok();
        let number = RegistrationNumber::parse(&data.get("number"))
            .map_err(|e| errors.insert("number", e.to_string()))
            .ok();
        let mut classes = std::collections::BTreeSet::new();
        for c in data
            .get("classes")
            .split([',', ' ', '，'])
            .filter(|c| !c.is_empty())
        {
            match c.parse::<u32>().ok().and_then(|n| NiceClass::new(n).ok()) {
                Some(n) => {
                    classes.insert(n);
                }
                None => {
                    errors.insert("classes", format!("{c}: {}", tr(lang, "bad_class")));
                }
            }
        }
        let valid_from = data
            .get("valid_from")
            .parse::<jiff::civil::Date>()
            .map_err(|e| errors.insert("valid_from", e.to_string()))
            .ok();
        let until = data.get("valid_until");
        let valid_until = if until.is_empty() {
            None
        } else {
            until
                .parse::<jiff::civil::Date>()
                .map_err(|e| errors.insert("valid_until", e.to_string()))
                .ok()
        };
        let form = Form(fields(&data, RIGHT_FIELDS, &errors));
        let (Some(id), Some(kind), Some(jurisdiction), Some(number), Some(valid_from), true) = (
            id,
            kind,
            jurisdiction,
            number,
            valid_from,
            errors.is_empty(),
        ) else {
            return rights_view(&web, &s, form, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let mut certificates = std::collections::BTreeSet::new();
        for file in data.files {
            match s.app.upload_evidence(&actor, file, None).await {
                Ok(u) => {
                    certificates.insert(u.record.sha256);
                }
                Err(e) => {
                    let msg = app_message(lang, &e);
                    return rights_view(
                        &web,
                        &s,
                        form,
                        Some(msg),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                }
            }
        }
        let right = Right {
            id,
            owner: rightsguard_app::web::represented(&actor),
            kind,
            jurisdiction,
            registration_number: number,
            nice_classes: classes,
            valid_from,
            valid_until,
            certificates,
            cn_extension_certificate: None,
            state: RightState::Pending,
        };
        match s.app.register_right(&actor, right).await {
            Ok(_) => Ok(see_other("/rights")),
            Err(e) if ApiError::app_status_and_code(&e).0.is_client_error() => {
                let msg = app_message(lang, &e);
                rights_view(&web, &s, form, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    f: Frame,
    rights: Vec<RightRow>,
}

async fn verify_page(State(s): State<AppState>, web: Web) -> Response {
    let r = async {
        let actor = web.actor()?;
        let rights = s.app.verification_queue(actor).await?;
        Ok(render(
            StatusCode::OK,
            &VerifyPage {
                f: Frame::new(&web, &s, "rights_to_verify"),
                rights: rights.iter().map(right_row).collect(),
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Debug, Deserialize)]
struct DecideRightForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn decide_right(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<DecideRightForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        let id = RightId::parse(&id).map_err(|_| AppError::NotFound(format!("right {id}")))?;
        s.app.right_visible_to(actor, &id).await?;
        let cmd = match form.decision.as_str() {
            "verify" => RightCommand::Verify,
            _ => RightCommand::Reject {
                reason: form.reason.trim().to_owned(),
            },
        };
        if matches!(cmd, RightCommand::Reject { ref reason } if reason.is_empty()) {
            return Err(AppError::Rule(rightsguard_domain::rule::RuleError::Invalid(
                tr(web.lang, "reason_required").to_owned(),
            ))
            .into());
        }
        s.app.act_on_right(actor, &id, &cmd).await?;
        Ok(see_other("/review/rights"))
    }
    .await;
    finish(&web, &s, r)
}

// ---------------------------------------------------------------- complaints

/// A complaint as a list row.
#[derive(Debug, Clone)]
pub struct ComplaintRow {
    /// Id.
    pub id: String,
    /// The right.
    pub right: String,
    /// Reason key.
    pub reason: String,
    /// Submitted.
    pub submitted: String,
    /// Listings with their state key.
    pub items: Vec<(String, &'static str)>,
    /// The next deadline, in words, and whether it has passed.
    pub next: Option<(String, bool)>,
}

fn reason_key(r: ReasonCode) -> String {
    format!("reason_{}", r.as_str())
}

/// The translation key of an item state.
pub fn state_key(s: &ItemState) -> &'static str {
    match s {
        ItemState::UnderReview => "st_under_review",
        ItemState::OutOfScope { .. } => "st_out_of_scope",
        ItemState::Rejected { .. } => "st_rejected",
        ItemState::Withdrawn => "st_withdrawn",
        ItemState::Upheld { .. } => "st_upheld",
        ItemState::CounterNoticePending { .. } => "st_counter_notice_pending",
        ItemState::Forwarded { .. } => "st_forwarded",
        ItemState::Escalated { .. } => "st_escalated",
        ItemState::Established => "st_established",
        ItemState::Reinstated { .. } => "st_reinstated",
    }
}

fn complaint_row(lang: Lang, now: Timestamp, c: &Complaint) -> ComplaintRow {
    ComplaintRow {
        id: c.id.to_string(),
        right: c.right.to_string(),
        reason: reason_key(c.reason),
        submitted: when(c.submitted_at),
        items: c
            .items
            .iter()
            .map(|i| (i.listing.to_string(), state_key(&i.state)))
            .collect(),
        next: c
            .items
            .iter()
            .filter_map(|i| i.next_deadline())
            .min()
            .map(|d| countdown(lang, now, d)),
    }
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    f: Frame,
    rows: Vec<ComplaintRow>,
    heading: &'static str,
    can_file: bool,
}

async fn complaints_page(State(s): State<AppState>, web: Web) -> Response {
    let r = async {
        let actor = web.actor()?;
        let (list, heading) = match actor.role {
            Role::Seller => (
                s.app.complaints_against_me(actor).await?,
                "complaints_against_me",
            ),
            Role::Reviewer | Role::Admin => return Ok(see_other("/review")),
            _ => (s.app.my_complaints(actor).await?, "my_complaints"),
        };
        let now = s.app.now();
        Ok(render(
            StatusCode::OK,
            &ComplaintsPage {
                f: Frame::new(&web, &s, heading),
                rows: list
                    .iter()
                    .map(|c| complaint_row(web.lang, now, c))
                    .collect(),
                heading,
                can_file: matches!(actor.role, Role::RightsHolder | Role::Agent),
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Template)]
#[template(path = "complaint_new.html")]
struct NewComplaintPage {
    f: Frame,
    rights: Vec<RightRow>,
    reasons: Vec<String>,
    form: Form,
    error: Option<String>,
    /// An agent's principals to choose from: (id, chosen).
    principals: Vec<(String, bool)>,
}

const COMPLAINT_FIELDS: &[&str] = &["id", "right", "reason", "listings"];

async fn new_complaint_view(
    web: &Web,
    s: &AppState,
    form: Form,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let actor = web.actor()?;
    let rights = s.app.my_rights(actor).await?;
    let principals = super::agent::picker(s, actor).await?;
    Ok(render(
        status,
        &NewComplaintPage {
            principals,
            f: Frame::new(web, s, "file_complaint"),
            rights: rights
                .iter()
                .filter(|r| r.state == RightState::Verified)
                .map(right_row)
                .collect(),
            reasons: [
                "counterfeit",
                "trademark_misuse",
                "copyright",
                "patent",
                "design",
            ]
            .iter()
            .map(|r| (*r).to_owned())
            .collect(),
            form,
            error,
        },
    ))
}

async fn new_complaint_page(State(s): State<AppState>, web: Web) -> Response {
    let r = async {
        let mut form = Form::default();
        let n = s.app.now().as_second() % 100_000;
        form.0.insert(
            "id",
            Field {
                value: format!("C-{n}"),
                error: None,
            },
        );
        form.0.insert(
            "reason",
            Field {
                value: "counterfeit".into(),
                error: None,
            },
        );
        new_complaint_view(&web, &s, form, None, StatusCode::OK).await
    }
    .await;
    finish(&web, &s, r)
}

async fn file_complaint(State(s): State<AppState>, web: Web, m: Multipart) -> Response {
    let r = async {
        let data = read_multipart(m, s.evidence_limit).await?;
        web.check_write(&data.get("csrf"))?;
        let actor = web.actor()?.clone();
        let lang = web.lang;
        let mut errors = FieldErrors::new();
        let id = ComplaintId::parse(&data.get("id"))
            .map_err(|e| errors.insert("id", e.to_string()))
            .ok();
        let right = RightId::parse(&data.get("right"))
            .map_err(|_| errors.insert("right", tr(lang, "choose_one").to_owned()))
            .ok();
        let reason = parse_enum::<ReasonCode>(&data.get("reason"));
        if reason.is_none() {
            errors.insert("reason", tr(lang, "choose_one").to_owned());
        }
        let mut listing_ids = Vec::new();
        for l in data
            .get("listings")
            .split([',', ' ', '\n', '\r', '，'])
            .filter(|l| !l.is_empty())
        {
            match ListingId::parse(l) {
                Ok(id) => listing_ids.push(id),
                Err(e) => {
                    errors.insert("listings", format!("{l}: {e}"));
                }
            }
        }
        if listing_ids.is_empty() && !errors.contains_key("listings") {
            errors.insert("listings", tr(lang, "listings_required").to_owned());
        }
        let mut refs = Vec::new();
        if !listing_ids.is_empty() && !errors.contains_key("listings") {
            match s.app.listing_refs(&actor, &listing_ids).await {
                Ok(r) => refs = r,
                Err(e) => {
                    errors.insert("listings", app_message(lang, &e));
                }
            }
        }
        let form = Form(fields(&data, COMPLAINT_FIELDS, &errors));
        let (Some(id), Some(right), Some(reason), true) = (id, right, reason, errors.is_empty())
        else {
            return new_complaint_view(&web, &s, form, None, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        };
        let mut evidence = Vec::new();
        for file in data.files {
            match s.app.upload_evidence(&actor, file, None).await {
                Ok(u) => evidence.push(u.record.sha256),
                Err(e) => {
                    let msg = app_message(lang, &e);
                    return new_complaint_view(
                        &web,
                        &s,
                        form,
                        Some(msg),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                }
            }
        }
        let cmd = SubmitComplaint {
            id: id.clone(),
            right,
            reason,
            listings: refs,
            evidence,
        };
        let result = match s.app.right_visible_to(&actor, &cmd.right).await {
            Ok(_) => s.app.submit_complaint(&actor, cmd).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(c) => Ok(see_other(&format!("/complaints/{}", c.id))),
            Err(e) if ApiError::app_status_and_code(&e).0.is_client_error() => {
                let msg = app_message(lang, &e);
                new_complaint_view(&web, &s, form, Some(msg), StatusCode::UNPROCESSABLE_ENTITY)
                    .await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&web, &s, r)
}

/// One listing of a complaint on its page.
#[derive(Debug, Clone)]
pub struct ItemRow {
    /// Listing id.
    pub listing: String,
    /// Seller.
    pub seller: String,
    /// State key.
    pub state: &'static str,
    /// Details of the state (reason, round, reference).
    pub detail: String,
    /// The next deadline's label key, words and whether it passed.
    pub deadline: Option<(&'static str, String, bool)>,
    /// The listing as captured: title, description, category.
    pub capture: Option<(String, String, String)>,
    /// The capture cut at the registered mark's matches (reviewers).
    pub matched: Option<super::matching::MatchView>,
    /// The actions open to this viewer.
    pub can_decide: bool,
    /// Seller may file a counter-notice.
    pub can_counter: bool,
    /// Staff may decide a counter-notice.
    pub can_decide_cn: bool,
    /// Staff may confirm delivery to the rights holder.
    pub can_confirm: bool,
    /// The rights holder may record an escalation.
    pub can_escalate: bool,
    /// The complainant may withdraw.
    pub can_withdraw: bool,
    /// Internal complaints against decisions on this listing: (who, filed, outcome key).
    pub appeals: Vec<(&'static str, String, &'static str)>,
    /// The viewer may file an internal complaint against the last decision.
    pub can_file_internal: bool,
    /// Staff may decide the pending internal complaint.
    pub can_decide_internal: bool,
}

/// One history line.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    /// When.
    pub at: String,
    /// Who (role · org · user).
    pub who: String,
    /// What (event name).
    pub what: String,
    /// Which listing.
    pub listing: String,
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct ComplaintPage {
    f: Frame,
    c: ComplaintRow,
    complainant: String,
    evidence: Vec<String>,
    items: Vec<ItemRow>,
    history: Vec<HistoryRow>,
    error: Option<String>,
    form: Form,
    right: Option<RightRow>,
    mark: Option<super::matching::MarkView>,
    reference_images: Vec<String>,
    accuracy: Option<AccuracyView>,
    flags: Vec<FlagRow>,
}

/// An evidence file a reported seller showed first.
struct FlagRow {
    evidence: String,
    listing: String,
    seller: String,
    first_seen: String,
    before_right: bool,
}

/// A notifier's accuracy as the reviewer sees it.
#[derive(Debug, Clone)]
pub struct AccuracyView {
    /// Rolling window, days.
    pub window_days: u32,
    /// Listings notified.
    pub notices: u32,
    /// Decided.
    pub decided: u32,
    /// Takedowns that held, percent.
    pub success: String,
    /// Takedowns undone, percent.
    pub reversed: String,
    /// Manifestly unfounded, percent.
    pub unfounded: String,
    /// Meets the good-faith bars.
    pub good_faith: bool,
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A notifier's accuracy record over the policy's rolling window (staff).
pub(super) async fn accuracy_view(
    s: &AppState,
    actor: &rightsguard_domain::actor::Actor,
    notifier: &rightsguard_domain::ids::OrgId,
) -> Result<AccuracyView, PageError> {
    let (acc, good_faith) = s.app.notifier_accuracy(actor, notifier).await?;
    Ok(AccuracyView {
        window_days: s.app.policy().notifiers.window_days,
        notices: acc.overall.notices,
        decided: acc.overall.decided,
        success: pct(acc.overall.success_rate()),
        reversed: pct(acc.overall.counter_success_rate()),
        unfounded: pct(acc.overall.unfounded_rate()),
        good_faith,
    })
}

async fn complaint_view(
    web: &Web,
    s: &AppState,
    id: &str,
    error: Option<String>,
    form: Form,
    status: StatusCode,
) -> PageResult {
    let actor = web.actor()?;
    let id = ComplaintId::parse(id).map_err(|_| AppError::NotFound(format!("complaint {id}")))?;
    let c = s.app.complaint_visible_to(actor, &id).await?.value;
    let c = rightsguard_app::complaint_as_seen_by(actor, c);
    let history = s.app.complaint_history(actor, &id).await?;
    let now = s.app.now();
    let lang = web.lang;
    let complainant_side = actor.acts_for_rights_holder(&c.complainant);
    let staff = actor.is_staff();
    let mut items = Vec::new();
    let mut mark = None;
    for i in &c.items {
        let mut matched = None;
        let capture = if staff || actor.org == i.seller {
            match s.app.store().listing(&i.listing).await {
                Ok(Some(l)) => {
                    if let Some((m, v)) =
                        super::matching::explain(s, lang, actor, &c.right, &l.value).await
                    {
                        mark = Some(m);
                        matched = Some(v);
                    }
                    Some((
                        l.value.content.title.as_str().to_owned(),
                        l.value.content.description.as_str().to_owned(),
                        l.value.content.category.as_str().to_owned(),
                    ))
                }
                _ => None,
            }
        } else {
            None
        };
        let (detail, deadline) = match &i.state {
            ItemState::UnderReview => (String::new(), Some(("review_due", i.review_due))),
            ItemState::OutOfScope { reason } | ItemState::Reinstated { reason } => {
                (reason.clone(), None)
            }
            ItemState::Rejected { reason, .. } => (reason.clone(), None),
            ItemState::Upheld { round, counter_due } => (
                format!("{} {round}", tr(lang, "round")),
                Some(("counter_due", *counter_due)),
            ),
            ItemState::CounterNoticePending { round } => {
                (format!("{} {round}", tr(lang, "round")), None)
            }
            ItemState::Forwarded {
                round,
                escalation_due,
            } => (
                format!("{} {round}", tr(lang, "round")),
                escalation_due.map(|d| ("escalation_due", d)),
            ),
            ItemState::Escalated { reference, .. } => (reference.clone(), None),
            ItemState::Withdrawn | ItemState::Established => (String::new(), None),
        };
        let deadline = deadline.map(|(k, d)| {
            let (words, overdue) = countdown(lang, now, d);
            (k, format!("{} ({words})", when(d)), overdue)
        });
        items.push(ItemRow {
            listing: i.listing.to_string(),
            seller: i.seller.to_string(),
            state: state_key(&i.state),
            detail,
            deadline,
            capture,
            matched,
            can_decide: staff && matches!(i.state, ItemState::UnderReview),
            can_counter: actor.role == Role::Seller
                && actor.org == i.seller
                && matches!(i.state, ItemState::Upheld { counter_due, .. } if counter_due > now),
            can_decide_cn: staff && matches!(i.state, ItemState::CounterNoticePending { .. }),
            can_confirm: staff && matches!(i.state, ItemState::Forwarded { escalation_due: None, .. }),
            can_escalate: complainant_side
                && matches!(i.state, ItemState::Forwarded { escalation_due: Some(d), .. } if d > now),
            can_withdraw: complainant_side && matches!(i.state, ItemState::UnderReview),
            appeals: i
                .appeals
                .iter()
                .map(|a| {
                    (
                        match a.by {
                            Party::Seller => "by_seller",
                            Party::Complainant => "by_complainant",
                        },
                        when(a.filed_at),
                        match a.outcome {
                            None => "internal_pending",
                            Some(true) => "internal_reversed",
                            Some(false) => "internal_upheld",
                        },
                    )
                })
                .collect(),
            can_file_internal: may_file_internal(actor, complainant_side, &c, i),
            // Decided by someone other than the one who took the decision.
            can_decide_internal: staff
                && i.appeals.iter().any(|a| a.outcome.is_none())
                && (actor.user.is_none() || actor.user != i.decided_by),
        });
    }
    let history = history
        .iter()
        .map(|r| {
            let e = &r.event;
            // The event's stable name (`complaint_submitted` → "complaint submitted").
            let what = serde_json::to_value(&e.kind)
                .ok()
                .and_then(|v| v.get("event").and_then(|n| n.as_str()).map(str::to_owned))
                .unwrap_or_default()
                .replace('_', " ");
            HistoryRow {
                at: when(e.at),
                who: format!(
                    "{} · {}{}",
                    tr(lang, role_key(e.actor_role)),
                    e.actor_org,
                    e.actor_user
                        .as_ref()
                        .map(|u| format!(" · {u}"))
                        .unwrap_or_default()
                ),
                what,
                listing: match &e.subject {
                    rightsguard_domain::event::Subject::Complaint {
                        listing: Some(l), ..
                    } => l.to_string(),
                    _ => String::new(),
                },
            }
        })
        .collect();
    // The registered right beside the capture, for those who may see it.
    let right = s.app.right_visible_to(actor, &c.right).await.ok();
    let reference_images = match &right {
        Some(r) if staff => super::matching::reference_images(s, actor, &r.certificates).await,
        _ => Vec::new(),
    };
    let right = right.map(|r| right_row(&r));
    let accuracy = if staff {
        Some(accuracy_view(s, actor, &c.complainant).await?)
    } else {
        None
    };
    Ok(render(
        status,
        &ComplaintPage {
            right,
            mark,
            reference_images,
            accuracy,
            f: Frame::new(web, s, "complaint"),
            c: complaint_row(lang, now, &c),
            complainant: c.complainant.to_string(),
            evidence: c.evidence.iter().map(|e| e.to_string()).collect(),
            flags: c
                .evidence_flags
                .iter()
                .map(|x| FlagRow {
                    evidence: x.evidence.to_string(),
                    listing: x.listing.to_string(),
                    seller: x.seller.to_string(),
                    first_seen: when(x.first_seen),
                    before_right: x.before_right,
                })
                .collect(),
            items,
            history,
            error,
            form,
        },
    ))
}

/// Whether `actor` may challenge the last decision on item `i` now: the
/// seller against a takedown, the complainant against a rejection, once per
/// decision, while no other internal complaint on it is pending (the
/// domain also checks the window and answers why if it has closed).
fn may_file_internal(
    actor: &rightsguard_domain::actor::Actor,
    complainant_side: bool,
    c: &Complaint,
    i: &rightsguard_domain::complaint::Item,
) -> bool {
    let party = if actor.role == Role::Seller && actor.org == i.seller {
        matches!(i.state, ItemState::Upheld { .. } | ItemState::Established)
            .then_some(Party::Seller)
    } else if complainant_side && !actor.is_staff() {
        matches!(
            i.state,
            ItemState::Rejected { .. } | ItemState::OutOfScope { .. }
        )
        .then_some(Party::Complainant)
    } else {
        None
    };
    let decided = i.decided_at.unwrap_or(c.submitted_at);
    party.is_some_and(|by| {
        !i.appeals
            .iter()
            .any(|a| a.outcome.is_none() || (a.by == by && a.against_decision_at == decided))
    })
}

async fn complaint_page(State(s): State<AppState>, web: Web, Path(id): Path<String>) -> Response {
    let r = complaint_view(&web, &s, &id, None, Form::default(), StatusCode::OK).await;
    finish(&web, &s, r)
}

const ACT_FIELDS: &[&str] = &[
    "listing",
    "action",
    "reason",
    "statement",
    "reference",
    "kind",
    "grounds",
];

async fn act_on_complaint(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    m: Multipart,
) -> Response {
    let r = async {
        let data = read_multipart(m, s.evidence_limit).await?;
        web.check_write(&data.get("csrf"))?;
        let actor = web.actor()?.clone();
        let lang = web.lang;
        let cid =
            ComplaintId::parse(&id).map_err(|_| AppError::NotFound(format!("complaint {id}")))?;
        // Strangers learn nothing, whatever they send.
        s.app.complaint_visible_to(&actor, &cid).await?;
        let listing = ListingId::parse(&data.get("listing"))
            .map_err(|_| AppError::NotFound(format!("listing of complaint {id}")))?;
        let mut errors = FieldErrors::new();
        let reason = data.get("reason");
        let need = |errors: &mut FieldErrors, k: &'static str, v: &str| {
            if v.is_empty() {
                errors.insert(k, tr(lang, "reason_required").to_owned());
            }
        };
        let action = data.get("action");
        let cmd = match action.as_str() {
            "uphold" => Some(ComplaintCommand::Decide {
                listing: listing.clone(),
                decision: Decision::Uphold,
            }),
            "reject" => {
                need(&mut errors, "reason", &reason);
                Some(ComplaintCommand::Decide {
                    listing: listing.clone(),
                    decision: Decision::Reject {
                        reason: reason.clone(),
                        manifestly_unfounded: data.get("unfounded") == "on",
                    },
                })
            }
            "counter_notice" => {
                let statement = data.get("statement");
                need(&mut errors, "statement", &statement);
                let mut evidence = Vec::new();
                if errors.is_empty() {
                    for file in data.files.clone() {
                        match s.app.upload_evidence(&actor, file, None).await {
                            Ok(u) => evidence.push(u.record.sha256),
                            Err(e) => {
                                errors.insert("statement", app_message(lang, &e));
                            }
                        }
                    }
                }
                Some(ComplaintCommand::FileCounterNotice {
                    listing: listing.clone(),
                    statement,
                    evidence,
                })
            }
            "cn_accept" | "cn_refuse" => {
                need(&mut errors, "reason", &reason);
                Some(ComplaintCommand::DecideCounterNotice {
                    listing: listing.clone(),
                    valid: action == "cn_accept",
                    reason: reason.clone(),
                })
            }
            "confirm_delivery" => Some(ComplaintCommand::ConfirmDelivery {
                listing: listing.clone(),
            }),
            "escalate" => {
                let reference = data.get("reference");
                need(&mut errors, "reference", &reference);
                let kind = parse_enum::<EscalationKind>(&data.get("kind"));
                if kind.is_none() {
                    errors.insert("kind", tr(lang, "choose_one").to_owned());
                }
                kind.map(|kind| ComplaintCommand::RecordEscalation {
                    listing: listing.clone(),
                    kind,
                    reference,
                })
            }
            "withdraw" => Some(ComplaintCommand::Withdraw {
                listing: listing.clone(),
            }),
            "internal_complaint" => {
                let grounds = data.get("grounds");
                need(&mut errors, "grounds", &grounds);
                Some(ComplaintCommand::FileInternalComplaint {
                    listing: listing.clone(),
                    grounds,
                })
            }
            "internal_reverse" | "internal_keep" => {
                need(&mut errors, "reason", &reason);
                Some(ComplaintCommand::DecideInternalComplaint {
                    listing: listing.clone(),
                    reverse: action == "internal_reverse",
                    reason: reason.clone(),
                })
            }
            _ => None,
        };
        let form = Form(fields(&data, ACT_FIELDS, &errors));
        let Some(cmd) = cmd.filter(|_| errors.is_empty()) else {
            return complaint_view(&web, &s, &id, None, form, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        };
        match s.app.act_on_complaint(&actor, &cid, &cmd).await {
            Ok(_) => Ok(see_other(&format!("/complaints/{cid}"))),
            Err(e) if for_the_form(&e) => {
                let msg = app_message(lang, &e);
                let status = ApiError::app_status_and_code(&e).0;
                complaint_view(&web, &s, &id, Some(msg), form, status).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&web, &s, r)
}

// ---------------------------------------------------------------- review

/// A queue line.
#[derive(Debug, Clone)]
pub struct QueueRow {
    /// Complaint id.
    pub complaint: String,
    /// Listing id.
    pub listing: String,
    /// Due, as a time.
    pub due: String,
    /// Countdown words.
    pub countdown: String,
    /// Overdue.
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    f: Frame,
    rows: Vec<QueueRow>,
}

async fn review_page(State(s): State<AppState>, web: Web) -> Response {
    let r = async {
        let actor = web.actor()?;
        let q = s.app.review_queue_for(actor, 500).await?;
        let now = s.app.now();
        let rows = q
            .into_iter()
            .map(|e| {
                let (countdown, overdue) = countdown(web.lang, now, e.review_due);
                QueueRow {
                    complaint: e.complaint.to_string(),
                    listing: e.listing,
                    due: when(e.review_due),
                    countdown,
                    overdue,
                }
            })
            .collect();
        Ok(render(
            StatusCode::OK,
            &ReviewPage {
                f: Frame::new(&web, &s, "review_queue"),
                rows,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Template)]
#[template(path = "counter_notices.html")]
struct CounterNoticesPage {
    f: Frame,
    rows: Vec<ComplaintRow>,
}

async fn counter_notices_page(State(s): State<AppState>, web: Web) -> Response {
    let r = async {
        let actor = web.actor()?;
        let list = s.app.counter_notice_queue(actor).await?;
        let now = s.app.now();
        Ok(render(
            StatusCode::OK,
            &CounterNoticesPage {
                f: Frame::new(&web, &s, "counter_notices"),
                rows: list
                    .iter()
                    .map(|c| complaint_row(web.lang, now, c))
                    .collect(),
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

// ---------------------------------------------------------------- seller

#[derive(Template)]
#[template(path = "standing.html")]
struct StandingPage {
    f: Frame,
    points: u32,
    strikes: u32,
    status: String,
    penalties: Vec<(String, String, String, String)>,
    next: Vec<String>,
}

async fn standing_page(State(s): State<AppState>, web: Web) -> Response {
    let r = async {
        let actor = web.actor()?;
        let st = s.app.standing_visible_to(actor, &actor.org).await?;
        let lang = web.lang;
        let status = match &st.status {
            rightsguard_domain::penalty::StoreStatus::Active => tr(lang, "store_active").to_owned(),
            rightsguard_domain::penalty::StoreStatus::Frozen { until } => {
                format!("{} {}", tr(lang, "store_frozen_until"), when(*until))
            }
            rightsguard_domain::penalty::StoreStatus::Closed { since } => {
                format!("{} {}", tr(lang, "store_closed_since"), when(*since))
            }
        };
        let json = |v: &dyn erased::Ser| v.json();
        let penalties = st
            .penalties
            .iter()
            .map(|p| {
                (
                    when(p.at),
                    json(&p.kind),
                    p.complaint.to_string(),
                    p.listing.to_string(),
                )
            })
            .collect();
        let next = [&st.next_general, &st.next_serious]
            .into_iter()
            .flatten()
            .map(|t| json(t))
            .collect();
        Ok(render(
            StatusCode::OK,
            &StandingPage {
                f: Frame::new(&web, &s, "my_standing"),
                points: st.general_points,
                strikes: st.serious_strikes,
                status,
                penalties,
                next,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

// ---------------------------------------------------------------- clearance

#[derive(Template)]
#[template(path = "clearance.html")]
struct ClearancePage {
    f: Frame,
    mark: String,
    classes: String,
    /// The error beside the field it concerns: (field, message).
    error: Option<(&'static str, String)>,
    searched: bool,
    conflicts: Vec<ConflictRow>,
}

struct ConflictRow {
    right: String,
    mark: String,
    term: String,
    registration: String,
    classes: String,
    score: String,
    /// (label key, edit distance).
    reasons: Vec<(&'static str, Option<u8>)>,
}

#[derive(Debug, Deserialize)]
struct ClearanceForm {
    mark: Option<String>,
    classes: Option<String>,
}

fn clearance_reason_key(r: rightsguard_app::ClearanceReason) -> (&'static str, Option<u8>) {
    use rightsguard_app::ClearanceReason as R;
    // The i18n keys are `reason_` + the reason's name.
    let key = match r {
        R::Identical => "reason_identical",
        R::Visual => "reason_visual",
        R::Folded => "reason_folded",
        R::Spelling { .. } => "reason_spelling",
        R::Phonetic => "reason_phonetic",
        R::Pinyin => "reason_pinyin",
        R::ContainsWord => "reason_contains_word",
        R::ContainsLetters => "reason_contains_letters",
    };
    (key, r.distance())
}

async fn clearance_page(
    State(s): State<AppState>,
    web: Web,
    Query(q): Query<ClearanceForm>,
) -> Response {
    let r = async {
        let actor = web.actor()?;
        let mark = q.mark.unwrap_or_default();
        let classes_text = q.classes.unwrap_or_default();
        let mut page = ClearancePage {
            f: Frame::new(&web, &s, "clearance"),
            mark: mark.clone(),
            classes: classes_text.clone(),
            error: None,
            searched: false,
            conflicts: Vec::new(),
        };
        if mark.trim().is_empty() {
            return Ok(render(StatusCode::OK, &page));
        }
        let classes = match crate::clearance::parse_classes(Some(&classes_text)) {
            Ok(c) => c,
            Err(message) => {
                page.error = Some(("classes", message));
                return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
            }
        };
        match s.app.clearance_search(actor, &mark, &classes, 50).await {
            Ok(hits) => {
                page.searched = true;
                page.conflicts = hits
                    .into_iter()
                    .map(|h| ConflictRow {
                        right: h.right.id.to_string(),
                        mark: h.mark,
                        term: h.term,
                        registration: format!(
                            "{} {}",
                            h.right.jurisdiction,
                            h.right.registration_number.as_str()
                        ),
                        classes: h
                            .shared_classes
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                        score: format!("{:.0}%", h.score * 100.0),
                        reasons: h.reasons.into_iter().map(clearance_reason_key).collect(),
                    })
                    .collect();
                Ok(render(StatusCode::OK, &page))
            }
            Err(AppError::Rule(rightsguard_domain::rule::RuleError::Invalid(message))) => {
                page.error = Some(("mark", message));
                Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&web, &s, r)
}

mod erased {
    /// Anything serialisable, shown as compact JSON.
    pub trait Ser {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

// ---------------------------------------------------------------- admin

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    f: Frame,
    manual_clock: bool,
    audit_ok: bool,
    audit_records: i64,
    audit_bad: Option<String>,
    users: Vec<(String, String, String, String)>,
    /// The newest tokens: (id, user, issued, revoked at or empty).
    tokens: Vec<(String, String, String, String)>,
    message: Option<String>,
}

async fn admin_view(web: &Web, s: &AppState, message: Option<String>) -> PageResult {
    let actor = web.actor()?;
    s.app.require_admin(actor, "open the admin page")?;
    let report = s.app.verify_audit_as(actor, None).await?;
    let users = s
        .app
        .list_users(actor)
        .await?
        .into_iter()
        .map(|u| {
            (
                u.id.to_string(),
                u.org.to_string(),
                tr(web.lang, role_key(u.role)).to_owned(),
                u.name.as_str().to_owned(),
            )
        })
        .collect();
    let tokens = s
        .app
        .list_tokens(actor, 200)
        .await?
        .into_iter()
        .map(|t| {
            (
                t.id,
                t.user.to_string(),
                when(t.created_at),
                t.revoked_at.map(when).unwrap_or_default(),
            )
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &AdminPage {
            tokens,
            f: Frame::new(web, s, "admin"),
            manual_clock: s.manual_clock.is_some(),
            audit_ok: report.ok(),
            audit_records: report.records,
            audit_bad: report.first_bad.map(|(seq, r)| format!("#{seq}: {r}")),
            users,
            message,
        },
    ))
}

async fn admin_page(State(s): State<AppState>, web: Web) -> Response {
    let r = admin_view(&web, &s, None).await;
    finish(&web, &s, r)
}

#[derive(Debug, Deserialize)]
struct ClockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    days: String,
}

async fn advance_clock(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<ClockForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        s.app.require_admin(actor, "move the clock")?;
        let Some(clock) = &s.manual_clock else {
            return Err(AppError::NotFound("a manual clock".into()).into());
        };
        let days: i64 = match form.days.trim().parse() {
            Ok(d) if (0..=3650).contains(&d) => d,
            _ => return admin_view(&web, &s, Some(tr(web.lang, "bad_days").to_owned())).await,
        };
        let now = clock.advance(SignedDuration::from_hours(24 * days));
        let done = s.app.run_due_jobs_as(actor, &s.worker, 1000).await?.total();
        let msg = format!(
            "{} {} · {} {done}",
            tr(web.lang, "clock_now"),
            when(now),
            tr(web.lang, "jobs_run")
        );
        admin_view(&web, &s, Some(msg)).await
    }
    .await;
    finish(&web, &s, r)
}

async fn run_jobs(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        let done = s.app.run_due_jobs_as(actor, &s.worker, 1000).await?.total();
        admin_view(
            &web,
            &s,
            Some(format!("{} {done}", tr(web.lang, "jobs_run"))),
        )
        .await
    }
    .await;
    finish(&web, &s, r)
}

async fn download_evidence(
    State(s): State<AppState>,
    web: Web,
    Path(sha): Path<String>,
) -> Response {
    let r = async {
        let actor = web.actor()?;
        let parsed = rightsguard_domain::ids::Sha256::parse(&sha)
            .map_err(|_| AppError::NotFound(format!("evidence {sha}")))?;
        let (record, bytes) = s.app.read_evidence(actor, &parsed).await?;
        Ok(crate::evidence::evidence_response(&record, bytes))
    }
    .await;
    finish(&web, &s, r)
}

async fn download_dossier(s: AppState, web: Web, id: String, zip: bool) -> Response {
    let r = async {
        let actor = web.actor()?;
        let parsed =
            ComplaintId::parse(&id).map_err(|_| AppError::NotFound(format!("complaint {id}")))?;
        let d = s.app.dossier(actor, &parsed).await?;
        Ok(if zip {
            crate::dossier::attachment("application/zip", &format!("dossier-{id}.zip"), d.zip)
        } else {
            crate::dossier::attachment("application/pdf", &format!("dossier-{id}.pdf"), d.pdf)
        })
    }
    .await;
    finish(&web, &s, r)
}

async fn download_dossier_zip(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
) -> Response {
    download_dossier(s, web, id, true).await
}

async fn download_dossier_pdf(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
) -> Response {
    download_dossier(s, web, id, false).await
}

// ---------------------------------------------------------------- account

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    f: Frame,
    form: Form,
    message: Option<&'static str>,
}

async fn account_page(State(s): State<AppState>, web: Web) -> Response {
    let r = async {
        web.actor()?;
        Ok(render(
            StatusCode::OK,
            &AccountPage {
                f: Frame::new(&web, &s, "my_account"),
                form: Form::default(),
                message: None,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

async fn change_password(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<PasswordForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?.clone();
        let user = web.user.clone().ok_or(PageError::Login)?;
        let lang = web.lang;
        let mut errors = FieldErrors::new();
        let again = |errors: &FieldErrors, status| {
            let form = Form(
                ["current", "new", "repeat"]
                    .into_iter()
                    .map(|k| {
                        (
                            k,
                            Field {
                                value: String::new(),
                                error: errors.get(k).cloned(),
                            },
                        )
                    })
                    .collect(),
            );
            render(
                status,
                &AccountPage {
                    f: Frame::new(&web, &s, "my_account"),
                    form,
                    message: None,
                },
            )
        };
        if !s.login_throttle.allowed(web.addr, user.as_str()) {
            errors.insert("current", tr(lang, "login_throttled").to_owned());
            return Ok(again(&errors, StatusCode::TOO_MANY_REQUESTS));
        }
        match s
            .app
            .login(user.as_str(), Secret::new(form.current), None)
            .await
        {
            Ok(_) | Err(rightsguard_app::AuthError::Account(_)) => {}
            Err(rightsguard_app::AuthError::WrongPassword) => {
                s.login_throttle.failed(web.addr, user.as_str());
                errors.insert("current", tr(lang, "wrong_password").to_owned());
            }
            Err(e) => return Err(PageError::Api(ApiError::Auth(e))),
        }
        if form.new != form.repeat {
            errors.insert("repeat", tr(lang, "passwords_differ").to_owned());
        } else if let Err(e) = rightsguard_app::web::check_password(&Secret::new(form.new.clone()))
        {
            errors.insert("new", e.to_string());
        }
        if !errors.is_empty() {
            return Ok(again(&errors, StatusCode::UNPROCESSABLE_ENTITY));
        }
        s.app
            .set_password(&actor, &user, Secret::new(form.new))
            .await?;
        Ok(render(
            StatusCode::OK,
            &AccountPage {
                f: Frame::new(&web, &s, "my_account"),
                form: Form::default(),
                message: Some("password_changed"),
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    id: String,
}

async fn issue_token(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<TokenForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        s.app
            .require_admin(actor, "issue tokens on the admin page")?;
        let user = UserId::parse(&form.user)
            .map_err(|_| AppError::NotFound(format!("user {}", form.user)))?;
        let t = s.app.issue_token(actor, &user).await?;
        let msg = format!(
            "{} {} ({}): {}",
            tr(web.lang, "token_issued"),
            t.user,
            t.id,
            t.secret.expose()
        );
        admin_view(&web, &s, Some(msg)).await
    }
    .await;
    finish(&web, &s, r)
}

async fn revoke_token(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<TokenForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        s.app
            .require_admin(actor, "revoke tokens on the admin page")?;
        let msg = match s.app.revoke_token(actor, form.id.trim()).await {
            Ok(_) => format!("{} {}", tr(web.lang, "token_revoked"), form.id.trim()),
            Err(AppError::NotFound(_)) => tr(web.lang, "no_such_token").to_owned(),
            Err(e) => return Err(e.into()),
        };
        admin_view(&web, &s, Some(msg)).await
    }
    .await;
    finish(&web, &s, r)
}
