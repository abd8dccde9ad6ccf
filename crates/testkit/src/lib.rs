//! End-to-end tests start the real thing.
//!
//! [`spawn_app`] starts the real server — the same [`rightsguard_http::Server`]
//! that `rightsguard serve` runs — on 127.0.0.1 port 0, on a fresh database:
//! a new SQLite file, or a new PostgreSQL database created from the admin URL
//! in `RG_TEST_POSTGRES_URL` and dropped afterwards. It runs on a manual clock
//! with the background job runner off, so a test moves time and runs the
//! deadline jobs explicitly through the admin API; nothing ever sleeps.
//! Accounts and their API tokens are created through the app and store, then
//! everything else goes over HTTP with reqwest, as a client would.
//!
//! Without `RG_TEST_POSTGRES_URL` the PostgreSQL runs are skipped with a loud
//! `SKIPPED` line, except under CI (`CI` set), where that is a failure.

pub mod receiver;
pub mod smtp;

use std::sync::atomic::{AtomicU64, Ordering};

use rightsguard_domain::account::{DisplayName, OrgKind};
use rightsguard_domain::actor::Role;
use rightsguard_domain::ids::{OrgId, UserId};
use rightsguard_http::{ClockChoice, Config, Server};

/// What can go wrong while setting up.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Where the test's clock starts: a Monday morning in Shanghai, in a year
/// with holiday data.
pub const CLOCK_START: &str = "2026-03-09T01:00:00Z";

/// The evidence upload limit of test servers (small, so tests can exceed it).
pub const EVIDENCE_LIMIT: usize = 64 * 1024;

/// Which database the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

/// The accounts every test app has, with their API tokens.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// `adam`, admin of `platform`.
    pub admin: String,
    /// `rita`, reviewer of `platform`.
    pub reviewer: String,
    /// `alice` of rights holder `acme`.
    pub holder: String,
    /// `bob` of rights holder `rival`.
    pub rival: String,
    /// `sam` of seller `shop1`.
    pub seller: String,
    /// `sue` of seller `shop2`.
    pub seller2: String,
    /// `ann` of agent `agency`, which holds a power of attorney from `acme`.
    pub agent: String,
    /// The id of the holder's token (to revoke it).
    pub holder_token_id: String,
}

/// A running server on its own database.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The accounts' tokens.
    pub tokens: Tokens,
    /// The app behind the server (for checks that reach under HTTP).
    pub state: rightsguard_http::AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The PostgreSQL admin URL, or `None` (with a loud line) when the tests are
/// to be skipped; under CI a missing URL is an error.
pub fn postgres_admin_url() -> Result<Option<String>, Error> {
    match std::env::var("RG_TEST_POSTGRES_URL") {
        Ok(u) => Ok(Some(u)),
        Err(_) if std::env::var_os("CI").is_some() => {
            Err("RG_TEST_POSTGRES_URL is not set under CI: PostgreSQL end-to-end tests must not be skipped".into())
        }
        Err(_) => {
            eprintln!(
                "SKIPPED: PostgreSQL end-to-end tests — set RG_TEST_POSTGRES_URL (scripts/test does)"
            );
            Ok(None)
        }
    }
}

/// A fresh database: a new SQLite file in a temporary directory, or a new
/// PostgreSQL database (with a temporary directory for evidence files);
/// [`Database::drop_now`] removes it.
#[derive(Debug)]
pub struct Database {
    /// Its URL, for `SqlStore::connect` or `rightsguard serve --db`.
    pub url: String,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Database {
    /// Where evidence files of a server on this database go.
    pub fn evidence_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("evidence")
    }

    /// Drops a PostgreSQL database (the SQLite file goes with its directory).
    pub async fn drop_now(mut self) -> Result<(), Error> {
        drop_pg(self.pg.take()).await
    }
}

async fn drop_pg(pg: Option<(String, String)>) -> Result<(), Error> {
    if let Some((admin, name)) = pg {
        use sqlx::Connection as _;
        let mut c = sqlx::AnyConnection::connect(&admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await?;
        c.close().await?;
    }
    Ok(())
}

/// Makes a fresh database of `backend`; `None` when PostgreSQL is to be skipped.
pub async fn fresh_database(backend: Backend) -> Result<Option<Database>, Error> {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = tempfile::tempdir()?;
    let (url, pg) = match backend {
        Backend::Sqlite => {
            let url = format!("sqlite:{}", dir.path().join("rg.sqlite").display());
            (url, None)
        }
        Backend::Postgres => {
            let Some(admin) = postgres_admin_url()? else {
                return Ok(None);
            };
            use sqlx::Connection as _;
            sqlx::any::install_default_drivers();
            let name = format!("rg_e2e_{}_{n}", std::process::id());
            let mut c = sqlx::AnyConnection::connect(&admin).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await?;
            c.close().await?;
            let (base, _) = admin
                .rsplit_once('/')
                .ok_or("RG_TEST_POSTGRES_URL has no database path")?;
            (format!("{base}/{name}"), Some((admin, name)))
        }
    };
    Ok(Some(Database { url, dir, pg }))
}

/// The server's configuration as the tests run it on `db`: a manual clock
/// from [`CLOCK_START`], port 0, no background job runner.
/// The networks the tests' webhook receivers listen on, allowed for
/// webhooks (the form of `serve --webhooks-allow-net`).
pub const LOOPBACK: &str = "127.0.0.0/8,::1/128";

pub fn test_config(db: &Database) -> Result<Config, Error> {
    Ok(Config {
        db: db.url.clone(),
        listen: "127.0.0.1:0".parse()?,
        policy: "aliexpress".into(),
        clock: ClockChoice::Manual(CLOCK_START.parse()?),
        platform: OrgId::parse("platform")?,
        jobs_every: None,
        evidence_dir: Some(db.evidence_dir()),
        evidence_limit: EVIDENCE_LIMIT,
        write_rate: None,
        secure_cookies: false,
        webhooks_every: None,
        smtp: None,
        smtp_from: rightsguard_http::DEFAULT_SMTP_FROM.to_owned(),
        // The test receivers listen on 127.0.0.1.
        webhook_egress: rightsguard_app::egress::EgressPolicy::new(
            LOOPBACK
                .split(',')
                .map(str::parse)
                .collect::<Result<_, _>>()?,
        ),
        rescan_every: None,
    })
}

/// Starts the server on a fresh database of `backend` and creates the
/// accounts; `None` when PostgreSQL is to be skipped. Writes are not rate
/// limited (see [`spawn_app_with`]).
pub async fn spawn_app(backend: Backend) -> Result<Option<TestApp>, Error> {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with the configuration adjusted by `tweak` first.
pub async fn spawn_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut Config),
) -> Result<Option<TestApp>, Error> {
    let Some(mut db) = fresh_database(backend).await? else {
        return Ok(None);
    };
    let mut config = test_config(&db)?;
    tweak(&mut config);
    let server = Server::bind(&config).await?;
    let addr = server.local_addr()?;
    let state = server.state().clone();
    let tokens = create_accounts(&state).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    Ok(Some(TestApp {
        base: format!("http://{addr}"),
        tokens,
        state,
        stop: Some(stop),
        task: Some(task),
        pg: db.pg.take(),
        _dir: db.dir,
    }))
}

/// Creates the test accounts (see [`Tokens`]) through the app and issues
/// their tokens.
pub async fn create_accounts(state: &rightsguard_http::AppState) -> Result<Tokens, Error> {
    let app = &state.app;
    for (id, kind) in [
        ("platform", OrgKind::Platform),
        ("acme", OrgKind::RightsHolder),
        ("rival", OrgKind::RightsHolder),
        ("shop1", OrgKind::Seller),
        ("shop2", OrgKind::Seller),
        ("agency", OrgKind::Agent),
    ] {
        app.add_org(
            &app.system_actor(),
            OrgId::parse(id)?,
            kind,
            DisplayName::parse(id)?,
        )
        .await?;
    }
    app.grant_power_of_attorney(
        &app.system_actor(),
        &OrgId::parse("agency")?,
        &OrgId::parse("acme")?,
    )
    .await?;
    let token = async |user: &str, org: &str, role: Role| -> Result<(String, String), Error> {
        let uid = UserId::parse(user)?;
        app.add_user(
            &app.system_actor(),
            uid.clone(),
            &OrgId::parse(org)?,
            role,
            DisplayName::parse(user)?,
        )
        .await?;
        let t = app.issue_token(&app.system_actor(), &uid).await?;
        Ok((t.secret.expose().to_owned(), t.id))
    };
    let (holder, holder_token_id) = token("alice", "acme", Role::RightsHolder).await?;
    Ok(Tokens {
        admin: token("adam", "platform", Role::Admin).await?.0,
        reviewer: token("rita", "platform", Role::Reviewer).await?.0,
        holder,
        rival: token("bob", "rival", Role::RightsHolder).await?.0,
        seller: token("sam", "shop1", Role::Seller).await?.0,
        seller2: token("sue", "shop2", Role::Seller).await?.0,
        agent: token("ann", "agency", Role::Agent).await?.0,
        holder_token_id,
    })
}

impl TestApp {
    /// Puts an Art. 23 case against `notifier` in "awaiting a decision", as
    /// if its figures had called for it after a warning.
    pub async fn refer_notifier_for_decision(&self, notifier: &str) -> Result<(), Error> {
        use rightsguard_domain::notifier::AbuseCase;
        use rightsguard_store::notifiers::NotifierStore as _;
        let now = self.state.app.now();
        self.state
            .app
            .store()
            .save_notifier_case(
                &OrgId::parse(notifier)?,
                &AbuseCase::AwaitingDecision { since: now },
                None,
                now,
                &[],
            )
            .await?;
        Ok(())
    }

    /// The URL of a path (`/api/v1/...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `method path` with the bearer `token` and, if given, a JSON
    /// body; the status and the answer as JSON (a JSON string when the
    /// answer is not JSON).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(reqwest::StatusCode, serde_json::Value), Error> {
        let mut req = reqwest::Client::new()
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        Ok((status, value))
    }

    /// [`TestApp::call`] that must succeed: the body, or an error naming
    /// the path, the status and the body.
    pub async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        let (status, value) = self.call(method, path, token, body).await?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{path}: {status} {value}").into())
        }
    }

    /// Runs the due jobs once, as the admin (`POST /api/v1/admin/jobs/run`).
    pub async fn run_jobs(&self) -> Result<serde_json::Value, Error> {
        let admin = self.tokens.admin.clone();
        self.ok(
            reqwest::Method::POST,
            "/api/v1/admin/jobs/run",
            &admin,
            None,
        )
        .await
    }

    /// Moves the manual clock on by `seconds`, as the admin.
    pub async fn advance(&self, seconds: i64) -> Result<(), Error> {
        let admin = self.tokens.admin.clone();
        self.ok(
            reqwest::Method::POST,
            "/api/v1/admin/clock/advance",
            &admin,
            Some(serde_json::json!({ "seconds": seconds })),
        )
        .await?;
        Ok(())
    }

    /// Moves the manual clock to `to` (never back).
    pub async fn advance_to(&self, to: jiff::Timestamp) -> Result<(), Error> {
        let secs = to.duration_since(self.state.app.now()).as_secs();
        if secs > 0 {
            self.advance(secs).await?;
        }
        Ok(())
    }

    /// Stops the server gracefully and drops its database.
    pub async fn finish(mut self) -> Result<(), Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await??;
        }
        drop_pg(self.pg.take()).await?;
        Ok(())
    }
}

/// Runs each named `async fn NAME(app: &TestApp)` of the calling test file
/// as two tests, `sqlite::NAME` and `postgres::NAME`, each on a fresh
/// server and database (PostgreSQL skipped as [`spawn_app`] says when it is
/// not configured).
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = $crate::spawn_app($crate::Backend::Sqlite).await.unwrap().unwrap();
                super::$name(&app).await;
                app.finish().await.unwrap();
            }
        )* }
        mod postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(app) = $crate::spawn_app($crate::Backend::Postgres).await.unwrap() else { return };
                super::$name(&app).await;
                app.finish().await.unwrap();
            }
        )* }
    };
}
