//! The web UI: server-rendered pages for every role, in English and Chinese.
//!
//! The main decision is that a page is just another edge over the same use
//! cases as the API: a handler turns the session into an
//! [`Actor`](rightsguard_domain::actor::Actor) (by the same rules as a
//! token), calls one method of [`rightsguard_app::App`], and renders an
//! askama template. Nothing here decides who may see or do what; an object
//! another organisation owns is a 404 page, exactly as in the API.
//!
//! Security: sessions are HTTP-only, `SameSite=Lax` cookies (`Secure` with
//! `serve --secure-cookies`) over our own store ([`session`]), with an idle
//! and an absolute timeout on wall-clock time. Every form write carries the
//! session's CSRF token and must come from this origin (`Sec-Fetch-Site` /
//! `Origin`). Logins are throttled per (address, account) and per address
//! ([`throttle`]). Every response of the server carries the security headers
//! ([`security_headers`]); the pages need no inline script or style, and the
//! one stylesheet is compiled into the binary.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rightsguard_app::AppError;
use rightsguard_domain::actor::Actor;
use rightsguard_domain::ids::UserId;
use tower_sessions::Session;

use crate::{ApiError, AppState};

mod agent;
mod authorisations;
mod blocklist;
mod chart;
mod escalation;
mod findings;
pub mod i18n;
mod inbox;
mod matching;
mod oversight;
mod pages;
mod platform;
mod reports;
pub mod session;
pub mod throttle;

pub use i18n::Lang;
pub use pages::routes;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "rg_session";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "rg_lang";
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;
/// A session ends this long after its login, however busy.
pub const ABSOLUTE_TIMEOUT_HOURS: i64 = 12;

const K_USER: &str = "user";
const K_LOGIN_AT: &str = "login_at_us";
const K_CSRF: &str = "csrf";
/// The principal an agent chose to act for in this session.
const K_PRINCIPAL: &str = "principal";

/// The content security policy of every response: nothing inline, nothing
/// from elsewhere, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every response (pages, API, assets). A
/// response that set its own CSP (evidence downloads) keeps it; the API docs
/// page keeps its inline stylesheet but still runs no inline script.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path() == "/api/docs";
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = if docs {
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
        } else {
            CSP
        };
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}

/// The language of a request: the `rg_lang` cookie, else the first of
/// `Accept-Language` we speak, else English.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .and_then(|(_, v)| Lang::parse(v));
    if let Some(l) = cookie {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(i18n::from_accept_language)
        .unwrap_or(Lang::En)
}

fn client_addr(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// Whether a write comes from a page of this site: `Sec-Fetch-Site` (sent by
/// every current browser) must be `same-origin` or `none`, and an `Origin`,
/// if sent, must name this host.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.to_str(), Ok("same-origin" | "none"))
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (
        origin.to_str(),
        headers.get(header::HOST).map(|h| h.to_str()),
    ) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
}

fn random_token() -> String {
    let mut b = [0u8; 24];
    if getrandom::fill(&mut b).is_err() {
        return String::new();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Everything a page handler needs to know about the request: language,
/// session, CSRF token, the signed-in actor (if any) and where it came from.
#[derive(Debug, Clone)]
pub struct Web {
    /// The language to answer in.
    pub lang: Lang,
    /// The session.
    pub session: Session,
    /// This session's CSRF token (every form carries it back).
    pub csrf: String,
    /// The signed-in actor, if any.
    pub actor: Option<Actor>,
    /// The signed-in user's id.
    pub user: Option<UserId>,
    /// The request path (for the language switch to come back to).
    pub path: String,
    /// The client's address (for login throttling).
    pub addr: IpAddr,
    /// Whether a write comes from this origin.
    pub same_origin: bool,
    /// How many of the signed-in user's notifications are unread (the nav shows it).
    pub unread: i64,
}

/// A page handler's failure: shown as an error page in the user's language.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: go to the login page.
    Login,
    /// A write without the CSRF token or from another origin.
    Csrf,
    /// What the app said.
    App(AppError),
    /// What the rest of the server said.
    Api(ApiError),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl FromRequestParts<AppState> for Web {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|e| e.into_response())?;
        let lang = lang_of(&parts.headers);
        let internal = |e: tower_sessions::session::Error| {
            tracing::error!(error = %e, "session store failed");
            (StatusCode::SERVICE_UNAVAILABLE, "session store unavailable").into_response()
        };
        let csrf = match session.get::<String>(K_CSRF).await.map_err(internal)? {
            Some(t) => t,
            None => {
                let t = random_token();
                session.insert(K_CSRF, &t).await.map_err(internal)?;
                t
            }
        };
        let mut actor = None;
        let mut user = None;
        if let Some(uid) = session.get::<String>(K_USER).await.map_err(internal)? {
            let login_at = session
                .get::<i64>(K_LOGIN_AT)
                .await
                .map_err(internal)?
                .unwrap_or(0);
            let limit = ABSOLUTE_TIMEOUT_HOURS * 3600 * 1_000_000;
            let expired = session::wall_micros().saturating_sub(login_at) > limit;
            let id = UserId::parse(&uid).ok();
            match (expired, id) {
                (false, Some(id)) => match actor_in_session(state, &session, &id).await {
                    Ok(a) => {
                        actor = Some(a);
                        user = Some(id);
                    }
                    Err(rightsguard_app::AuthError::Account(
                        rightsguard_domain::account::AccountError::PrincipalRequired { .. },
                    )) => {
                        // An agent with several principals acts for the first on file.
                        use rightsguard_store::Store as _;
                        let first = match state.app.store().user(&id).await {
                            Ok(Some(u)) => state
                                .app
                                .store()
                                .powers_of_attorney(&u.org)
                                .await
                                .ok()
                                .and_then(|p| p.into_iter().next()),
                            _ => None,
                        };
                        if let Ok(a) = state.app.actor_of_user(&id, first.as_ref()).await {
                            actor = Some(a);
                            user = Some(id);
                        }
                    }
                    Err(_) => {}
                },
                _ => {
                    let _ = session.flush().await;
                }
            }
        }
        let unread = match &actor {
            // A count that cannot be read must not break every page.
            Some(a) => state.app.unread_count(a).await.unwrap_or(0),
            None => 0,
        };
        Ok(Web {
            lang,
            session,
            csrf,
            actor,
            user,
            unread,
            path: parts.uri.path().to_owned(),
            addr: client_addr(parts),
            same_origin: same_origin(&parts.headers),
        })
    }
}

/// The actor of a signed-in user: for an agent, acting for the principal
/// chosen in this session (see [`agent`]) while its power of attorney
/// holds, else as if none was chosen.
async fn actor_in_session(
    state: &AppState,
    session: &Session,
    id: &UserId,
) -> Result<Actor, rightsguard_app::AuthError> {
    let chosen = session
        .get::<String>(K_PRINCIPAL)
        .await
        .ok()
        .flatten()
        .and_then(|p| rightsguard_domain::ids::OrgId::parse(&p).ok());
    if let Some(p) = &chosen
        && let Ok(a) = state.app.actor_of_user(id, Some(p)).await
    {
        return Ok(a);
    }
    state.app.actor_of_user(id, None).await
}

impl Web {
    /// The signed-in actor, or [`PageError::Login`].
    pub fn actor(&self) -> Result<&Actor, PageError> {
        self.actor.as_ref().ok_or(PageError::Login)
    }

    /// Checks a form write: the CSRF token it carries and its origin.
    pub fn check_write(&self, token: &str) -> Result<(), PageError> {
        let ok = self.same_origin
            && !self.csrf.is_empty()
            && token.len() == self.csrf.len()
            && token
                .bytes()
                .zip(self.csrf.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if ok { Ok(()) } else { Err(PageError::Csrf) }
    }

    /// Signs `user` in: a new session id (no fixation), a new CSRF token.
    pub async fn sign_in(&self, user: &UserId) -> Result<(), PageError> {
        let fail = |e: tower_sessions::session::Error| {
            PageError::App(AppError::Store(rightsguard_store::StoreError::Corrupt(
                e.to_string(),
            )))
        };
        self.session.cycle_id().await.map_err(fail)?;
        self.session
            .insert(K_USER, user.as_str())
            .await
            .map_err(fail)?;
        self.session
            .insert(K_LOGIN_AT, session::wall_micros())
            .await
            .map_err(fail)?;
        self.session
            .insert(K_CSRF, random_token())
            .await
            .map_err(fail)?;
        Ok(())
    }

    /// Signs out: the session is deleted.
    pub async fn sign_out(&self) {
        let _ = self.session.flush().await;
    }
}

/// Redirect after a successful form (303: the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Renders a template into a response (a render failure is a logged 500).
pub fn render<T: askama::Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Whether a method writes.
pub fn is_write(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}
