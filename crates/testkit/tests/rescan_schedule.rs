//! The scheduled rescans of a rights holder's rights run at the interval
//! the server is given (`serve --rescan-every-hours`), or the policy's
//! `monitoring.rescan_interval_days` (weekly) — over real HTTP, both engines.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::Method;
use rightsguard_testkit::{Backend, TestApp, both, spawn_app_with};
use serde_json::{Value, json};

/// A verified right of acme with a mark, and one listing naming it.
async fn monitored_right(app: &TestApp) {
    let t = &app.tokens;
    app.ok(
        Method::POST,
        "/api/v1/rights",
        &t.holder,
        Some(
            json!({"id": "r1", "kind": "trademark", "jurisdiction": "CN",
            "registration_number": "123", "nice_classes": [25], "valid_from": "2020-01-01",
            "certificates": ["ab".repeat(32)]}),
        ),
    )
    .await
    .unwrap();
    app.ok(
        Method::POST,
        "/api/v1/rights/r1/decision",
        &t.reviewer,
        Some(json!({"command": "verify"})),
    )
    .await
    .unwrap();
    app.ok(
        Method::PUT,
        "/api/v1/rights/r1/marks",
        &t.holder,
        Some(json!({"mark": "ACME", "aliases": []})),
    )
    .await
    .unwrap();
    app.ok(
        Method::POST,
        "/api/v1/listings",
        &t.seller,
        Some(json!({"id": "L1", "title": "ACME sneakers", "category": "Shoes"})),
    )
    .await
    .unwrap();
    app.run_jobs().await.unwrap();
}

/// How many scheduled rescans acme's scan records show.
async fn scheduled(app: &TestApp) -> usize {
    let scans: Value = app
        .ok(Method::GET, "/api/v1/scans", &app.tokens.holder, None)
        .await
        .unwrap();
    scans
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == "scheduled" && !s["finished_at"].is_null())
        .count()
}

/// Moves the clock by `hours` and runs the due jobs.
async fn after_hours(app: &TestApp, hours: i64) {
    app.advance(hours * 3600).await.unwrap();
    app.run_jobs().await.unwrap();
}

async fn the_interval_given_to_the_server_wins(app: &TestApp) {
    monitored_right(app).await;
    assert_eq!(scheduled(app).await, 0);
    after_hours(app, 5).await;
    assert_eq!(scheduled(app).await, 0, "not before 6 hours");
    after_hours(app, 1).await;
    assert_eq!(scheduled(app).await, 1, "at 6 hours");
    after_hours(app, 6).await;
    assert_eq!(scheduled(app).await, 2, "and every 6 hours after");
}

async fn the_policy_interval_is_weekly(app: &TestApp) {
    assert_eq!(
        app.state.app.policy().monitoring.rescan_interval_days,
        7,
        "the built-in profile"
    );
    monitored_right(app).await;
    after_hours(app, 6 * 24 + 23).await;
    assert_eq!(scheduled(app).await, 0, "not before a week");
    after_hours(app, 1).await;
    assert_eq!(
        scheduled(app).await,
        1,
        "a week after the right was verified"
    );
}

async fn six_hours(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |c| {
        c.rescan_every = Some(jiff::SignedDuration::from_hours(6));
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_interval_given_to_the_server_wins() {
    let app = six_hours(Backend::Sqlite).await.unwrap();
    the_interval_given_to_the_server_wins(&app).await;
    app.finish().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_interval_given_to_the_server_wins() {
    let Some(app) = six_hours(Backend::Postgres).await else {
        return;
    };
    the_interval_given_to_the_server_wins(&app).await;
    app.finish().await.unwrap();
}

both!(the_policy_interval_is_weekly);
