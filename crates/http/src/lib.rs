//! The HTTP face of rightsguard: a REST API under `/api/v1`, its OpenAPI
//! document at `/api/openapi.json` and a docs page at `/api/docs`.
//!
//! The main design decision is that this crate decides nothing. A handler
//! authenticates the caller into an [`Actor`](rightsguard_domain::actor::Actor)
//! (bearer token → account → actor, by the app and the rules), parses the
//! body, calls one use case of [`rightsguard_app::App`] and serialises the
//! answer. Whatever goes wrong becomes an [`ApiError`], and one exhaustive
//! table ([`ApiError::status_and_code`]) turns it into a status and a stable
//! code. The OpenAPI document is generated from the handlers' annotations, so
//! it lists exactly the routes that exist.
//!
//! Time is the app's [`Clock`]: the system clock in production, a manual one
//! (`--clock manual`) that an admin moves with `POST /api/v1/admin/clock/advance`
//! for demos and end-to-end tests. Deadline jobs run on a background interval
//! and on demand (`POST /api/v1/admin/jobs/run`), which tests use instead of
//! waiting.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use rightsguard_app::{App, Clock, ManualClock, SystemClock};
use rightsguard_domain::ids::OrgId;
use rightsguard_domain::policy::Policy;
use rightsguard_store::SqlStore;
use rightsguard_store::evidence::EvidenceStore;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

mod accounts;
mod api;
mod clearance;
mod customs;
mod dead_letters;
mod docs;
mod dossier;
mod error;
mod escalation;
mod evidence;
mod exports;
mod extract;
mod findings;
mod idempotency;
mod images;
mod listings;
mod metrics;
mod notifications;
mod notifiers;
mod ratelimit;
pub mod web;
mod webhooks;

pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use evidence::DEFAULT_EVIDENCE_LIMIT;
pub use extract::{Caller, JsonBody, ON_BEHALF_OF};
pub use idempotency::{IDEMPOTENCY_KEY, IDEMPOTENCY_REPLAYED};
pub use metrics::Metrics;
pub use ratelimit::{WriteLimiter, WriteRate};

/// The largest request body accepted (1 MiB): bodies are JSON commands;
/// evidence files, later, go elsewhere.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App<SqlStore>,
    /// The manual clock, when the server runs on one.
    pub manual_clock: Option<Arc<ManualClock>>,
    /// This server's worker name for job leases.
    pub worker: String,
    /// Request and work metrics for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The largest evidence upload accepted, in bytes.
    pub evidence_limit: usize,
    /// The per-caller write limiter, if writes are limited.
    pub write_limiter: Option<Arc<WriteLimiter>>,
    /// Failed web logins, per (address, account) and per address.
    pub login_throttle: Arc<web::throttle::LoginThrottle>,
    /// Whether session cookies are `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

/// Which clock the server runs on.
#[derive(Debug, Clone)]
pub enum ClockChoice {
    /// The wall clock.
    System,
    /// A clock that moves only when an admin advances it, from this instant.
    Manual(jiff::Timestamp),
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database URL: `sqlite:PATH` or `postgres://...`.
    pub db: String,
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Policy profile name (e.g. `aliexpress`, `taobao+dsa`).
    pub policy: String,
    /// The clock.
    pub clock: ClockChoice,
    /// The platform organisation (the system actor's organisation).
    pub platform: OrgId,
    /// How often the background runner looks for due jobs; `None` turns it off.
    pub jobs_every: Option<Duration>,
    /// Where evidence files are kept; `None`: beside a SQLite database
    /// (`PATH.evidence/`), or `./rightsguard-evidence` for PostgreSQL.
    pub evidence_dir: Option<std::path::PathBuf>,
    /// The largest evidence upload accepted, in bytes.
    pub evidence_limit: usize,
    /// Writes allowed per caller; `None` turns the limit off.
    pub write_rate: Option<WriteRate>,
    /// Mark session cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// How often the webhook worker looks for due deliveries; `None` turns
    /// it off (tests then call `App::deliver_webhooks` themselves).
    pub webhooks_every: Option<Duration>,
    /// The SMTP server notifications are mailed through (`smtp://host:port`,
    /// `smtps://user:pass@host`, ...); `None`: inbox only.
    pub smtp: Option<String>,
    /// The sender of notification e-mails (`Name <addr>` or `addr`).
    pub smtp_from: String,
    /// Where webhooks may be sent: public addresses, plus the networks it
    /// allows (`serve --webhooks-allow-net`; tests allow loopback).
    pub webhook_egress: rightsguard_app::egress::EgressPolicy,
    /// Time between the scheduled rescans of each rights holder's rights;
    /// `None`: the policy's `monitoring.rescan_interval_days`.
    pub rescan_every: Option<jiff::SignedDuration>,
}

/// The default sender of notification e-mails.
pub const DEFAULT_SMTP_FROM: &str = "rightsguard <noreply@rightsguard.invalid>";

impl Config {
    /// The evidence directory in use (see [`Config::evidence_dir`]).
    pub fn evidence_dir(&self) -> std::path::PathBuf {
        match &self.evidence_dir {
            Some(d) => d.clone(),
            None => default_evidence_dir(&self.db),
        }
    }
}

/// Where evidence files of the database at `db` go when no directory is
/// given: beside a SQLite file (`PATH.evidence/`), or `./rightsguard-evidence`
/// for PostgreSQL.
pub fn default_evidence_dir(db: &str) -> std::path::PathBuf {
    match db.strip_prefix("sqlite:") {
        Some(path) => {
            let path = path.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            std::path::PathBuf::from(format!("{path}.evidence"))
        }
        None => std::path::PathBuf::from("rightsguard-evidence"),
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The policy profile is unknown or invalid.
    #[error("policy: {0}")]
    Policy(#[from] rightsguard_domain::policy::PolicyError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] rightsguard_store::StoreError),
    /// The app could not be built (e.g. the policy's calendar is missing).
    #[error("app: {0}")]
    App(#[from] rightsguard_app::AppError),
    /// The address could not be bound.
    #[error("listen: {0}")]
    Io(#[from] std::io::Error),
    /// The evidence directory could not be opened.
    #[error("evidence directory: {0}")]
    Evidence(String),
    /// The SMTP settings are unusable.
    #[error("smtp: {0}")]
    Smtp(#[from] rightsguard_app::notifications::MailerError),
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "rightsguard",
        description = "Notice-and-takedown for online marketplaces: rights, complaints, counter-notices, penalties. \
Authenticate with `Authorization: Bearer <token>` (issue one with `rightsguard token issue --user U`); an agent \
names its principal in `X-On-Behalf-Of` when it holds several powers of attorney. Errors are \
`{\"error\":{\"code\":\"...\",\"message\":\"...\"}}` with a stable code."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "policy", description = "The site's rules"),
        (name = "rights", description = "IP rights and their verification"),
        (name = "complaints", description = "Complaints, counter-notices, escalation"),
        (name = "review", description = "Platform staff"),
        (name = "sellers", description = "Seller standing and penalties"),
        (name = "evidence", description = "Evidence files by content hash"),
        (name = "accounts", description = "Who am I; organisations, users, API tokens, powers of attorney"),
        (name = "listings", description = "Listings, checked against the keyword blocklist on every write"),
        (name = "blocklist", description = "Keyword block terms and sellers' brand authorisations"),
        (name = "admin", description = "Audit, clock and jobs"),
        (name = "exports", description = "DSA statements of reasons, Lumen-style notices, CSV exports, the transparency report"),
        (name = "webhooks", description = "Signed webhooks of enforcement actions to the marketplace: endpoints, delivery log, redelivery (admins)"),
        (name = "notifications", description = "The caller's inbox and notification settings (language, e-mail address, which kinds go by e-mail)"),
        (name = "findings", description = "Monitoring: findings of verified rights in listings, triage, batch complaints and rescans"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Documents on every operation the errors any request can meet, which the
/// handlers' own annotations leave out: a malformed or missing credential
/// (400, 401), a role or party that may not (403, 404), a query or path
/// that does not parse (422), the database down (503); and on writes a
/// stale version or duplicate (409), a body too large (413) and the rate
/// limit (429). An operation's own description of a status wins.
fn add_common_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    let every = [
        ("400", "Malformed header or body (`bad_header`, `bad_body`)"),
        (
            "401",
            "No valid credential (`unauthenticated`, `invalid_token`)",
        ),
        ("403", "The caller's role may not do this (`forbidden`)"),
        (
            "404",
            "No such object, or not visible to the caller (`not_found`)",
        ),
        ("422", "A parameter or field is invalid; `field` names it"),
        (
            "503",
            "The database is unavailable (`database_unavailable`; see `Retry-After`)",
        ),
    ];
    let writes = [
        (
            "409",
            "Conflict: a stale version, a duplicate id, a request in flight",
        ),
        ("413", "The body is too large"),
        ("429", "Too many writes (`rate_limited`; see `Retry-After`)"),
    ];
    for item in doc.paths.paths.values_mut() {
        let ops = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ];
        for (op, write) in ops {
            let Some(op) = op else { continue };
            let extra = every
                .iter()
                .chain(if write { writes.as_slice() } else { &[] });
            for (status, description) in extra {
                op.responses
                    .responses
                    .entry((*status).to_owned())
                    .or_insert_with(|| error(description).into());
            }
        }
    }
}

/// The OpenAPI document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .merge(accounts::routes())
        .merge(evidence::routes(DEFAULT_EVIDENCE_LIMIT))
        .merge(images::routes(DEFAULT_EVIDENCE_LIMIT))
        .merge(idempotency::routes())
        .merge(notifiers::routes())
        .merge(notifications::routes())
        .merge(exports::routes())
        .merge(dossier::routes())
        .merge(customs::routes())
        .merge(escalation::routes())
        .split_for_parts()
        .1;
    add_common_responses(&mut doc);
    doc
}

/// The whole router: API, OpenAPI document, docs page, health check.
pub fn router(state: AppState) -> Router {
    let (api_router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .merge(accounts::routes())
        .merge(evidence::routes(state.evidence_limit))
        .merge(images::routes(state.evidence_limit))
        .merge(idempotency::routes())
        .merge(notifiers::routes())
        .merge(notifications::routes())
        .merge(exports::routes())
        .merge(dossier::routes())
        .merge(customs::routes())
        .merge(escalation::routes())
        .split_for_parts();
    add_common_responses(&mut doc);
    let doc_json = doc.to_pretty_json().unwrap_or_else(|_| "{}".to_owned());
    let docs_html = docs::render(&doc);
    let limiter = state.write_limiter.clone();
    let sessions = tower_sessions::SessionManagerLayer::new(web::session::DbSessionStore::new(
        state.app.store().clone(),
    ))
    .with_name(web::SESSION_COOKIE)
    .with_http_only(true)
    .with_same_site(tower_sessions::cookie::SameSite::Lax)
    .with_secure(state.secure_cookies)
    .with_expiry(tower_sessions::Expiry::OnInactivity(
        time::Duration::minutes(web::IDLE_TIMEOUT_MINUTES),
    ));
    let router = api_router
        .merge(web::routes().layer(sessions))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::get_metrics))
        .route(
            "/api/openapi.json",
            get(move || {
                let body = doc_json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        )
        .route(
            "/api/docs",
            get(move || {
                let html = docs_html.clone();
                async move { Html(html) }
            }),
        )
        .fallback(|uri: axum::http::Uri| async move {
            ApiError::NoRoute(uri.path().to_owned()).into_response()
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let router = match limiter {
        Some(l) => router.layer(axum::middleware::from_fn_with_state(
            l,
            ratelimit::limit_writes,
        )),
        None => router,
    };
    router
        .layer(axum::middleware::from_fn(web::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(
            // Spans carry method, URI and version, never headers: tokens stay out of logs.
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .with_state(state)
}

/// Readiness: 200 when the database answers, 503 (with `Retry-After`) when
/// it does not; `/healthz` only says the process is alive.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    match state.app.store().ping().await {
        Ok(()) => "ready\n".into_response(),
        Err(e) => ApiError::App(rightsguard_app::AppError::Store(e)).into_response(),
    }
}

/// Opens the database (running migrations), builds the app and the state.
pub async fn build_state(config: &Config) -> Result<AppState, StartError> {
    let policy = Policy::builtin(&config.policy)?;
    let store = SqlStore::connect(&config.db).await?;
    let (clock, manual): (Arc<dyn Clock>, _) = match config.clock {
        ClockChoice::System => (Arc::new(SystemClock), None),
        ClockChoice::Manual(at) => {
            let m = Arc::new(ManualClock::new(at));
            (m.clone(), Some(m))
        }
    };
    let files = EvidenceStore::open(config.evidence_dir(), config.evidence_limit as u64)
        .map_err(|e| StartError::Evidence(e.to_string()))?;
    let mut app = App::new(store, clock, policy, config.platform.clone())?
        .with_evidence(files)
        .with_egress(config.webhook_egress.clone());
    if let Some(every) = config.rescan_every {
        app.set_scan_interval(every);
    }
    if let Some(url) = &config.smtp {
        app = app.with_mailer(rightsguard_app::notifications::Mailer::new(
            url,
            &config.smtp_from,
        )?);
    }
    Ok(AppState {
        app,
        manual_clock: manual,
        worker: format!("serve-{}-{}", std::process::id(), config.listen.port()),
        metrics: Arc::new(Metrics::new()),
        evidence_limit: config.evidence_limit,
        write_limiter: config.write_rate.map(|r| Arc::new(WriteLimiter::new(r))),
        login_throttle: Arc::default(),
        secure_cookies: config.secure_cookies,
    })
}

/// A server bound to its address, not yet serving.
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    state: AppState,
    jobs_every: Option<Duration>,
    webhooks_every: Option<Duration>,
}

impl Server {
    /// Opens the database and binds the address.
    pub async fn bind(config: &Config) -> Result<Self, StartError> {
        let state = build_state(config).await?;
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        Ok(Self {
            listener,
            state,
            jobs_every: config.jobs_every,
            webhooks_every: config.webhooks_every,
        })
    }

    /// The address actually bound (with the port chosen for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (for tests and tools that need the app itself).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests,
    /// stops the job runner and closes the database.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let runner = self
            .jobs_every
            .map(|every| tokio::spawn(run_jobs_every(self.state.clone(), every, stop_rx)));
        let webhooks = self.webhooks_every.map(|every| {
            tokio::spawn(run_webhooks_every(
                self.state.clone(),
                every,
                stop_tx.subscribe(),
            ))
        });
        let sweeper = self.state.write_limiter.clone().map(|l| {
            let mut stop = stop_tx.subscribe();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tokio::select! {
                        _ = tick.tick() => l.forget_idle(),
                        _ = stop.changed() => return,
                    }
                }
            })
        });
        let store = self.state.app.store().clone();
        let addr = self.listener.local_addr()?;
        tracing::info!(%addr, "serving");
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        let _ = stop_tx.send(true);
        if let Some(r) = runner {
            let _ = r.await;
        }
        if let Some(s) = sweeper {
            let _ = s.await;
        }
        if let Some(w) = webhooks {
            let _ = w.await;
        }
        store.close().await;
        tracing::info!("stopped");
        served
    }
}

async fn run_jobs_every(
    state: AppState,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        match state.app.run_due_jobs(&state.worker, 100).await {
            Ok(n) if n.total() == 0 => {}
            Ok(n) => tracing::info!(
                expired_windows = n.expired_windows,
                assessments = n.assessments,
                notifications = n.notifications,
                "jobs run"
            ),
            Err(e) => tracing::error!(error = %e, "deadline jobs failed"),
        }
    }
}

/// The webhook worker: a delivery pass every `every` (at once again while
/// a pass found work), until stopped. Leases in the database keep several
/// servers from sending the same attempt.
async fn run_webhooks_every(
    state: AppState,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let client = match rightsguard_app::webhooks::delivery_client(state.app.egress()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook worker cannot build its HTTP client");
            return;
        }
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        loop {
            let pass = tokio::select! {
                p = state.app.deliver_webhooks(&state.worker, &client) => p,
                _ = stop.changed() => return,
            };
            match pass {
                Ok(p) if p.attempted > 0 => {
                    tracing::debug!(
                        attempted = p.attempted,
                        delivered = p.delivered,
                        "webhook pass"
                    );
                }
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = %e, "webhook delivery pass failed");
                    break;
                }
            }
        }
    }
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
