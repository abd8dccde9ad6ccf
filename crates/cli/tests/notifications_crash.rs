//! Notification e-mails across a server crash: `rightsguard serve --smtp`
//! as a separate process, SIGKILLed while the mail server is down — one
//! e-mail already failed once and waits for its retry, another was never
//! tried — then restarted on the same database with the mail server up.
//! Both e-mails arrive, once each (by Message-ID); nothing is lost.
//!
//! Jobs run only when the test asks (`POST /api/v1/admin/jobs/run`) and the
//! manual clock is moved past the backoff, so nothing waits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;
use common::Server;

use rightsguard_testkit::smtp::SmtpSink;
use rightsguard_testkit::{Backend, Database, create_accounts, fresh_database, test_config};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_notification_emails_survive_sigkill_while_the_mail_server_is_down() {
    if !SmtpSink::available() {
        return;
    }
    let db = fresh_database(Backend::Sqlite).await.unwrap().unwrap();
    survive(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_notification_emails_survive_sigkill_while_the_mail_server_is_down() {
    if !SmtpSink::available() {
        return;
    }
    let Some(db) = fresh_database(Backend::Postgres).await.unwrap() else {
        return;
    };
    survive(db).await;
}

async fn send(s: &Server, method: reqwest::Method, path: &str, token: &str, body: Value) -> Value {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", s.base))
        .bearer_auth(token);
    if !body.is_null() {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

async fn post(s: &Server, path: &str, token: &str, body: Value) -> Value {
    send(s, reqwest::Method::POST, path, token, body).await
}

async fn survive(db: Database) {
    let state = rightsguard_http::build_state(&test_config(&db).unwrap())
        .await
        .unwrap();
    let t = create_accounts(&state).await.unwrap();
    state.app.store().close().await;
    drop(state);
    let mut sink = SmtpSink::stopped().unwrap();
    let smtp = sink.url();

    let s1 = Server::start(&db, &["--smtp", &smtp]);
    send(
        &s1,
        reqwest::Method::PUT,
        "/api/v1/me/notification-settings",
        &t.seller,
        json!({"language": "en", "email": "sam@shop1.example"}),
    )
    .await;
    post(
        &s1,
        "/api/v1/rights",
        &t.holder,
        json!({"id": "r1", "kind": "trademark", "jurisdiction": "CN",
        "registration_number": "123", "nice_classes": [25], "valid_from": "2020-01-01",
        "certificates": ["01".repeat(32)]}),
    )
    .await;
    post(
        &s1,
        "/api/v1/rights/r1/decision",
        &t.reviewer,
        json!({"command": "verify"}),
    )
    .await;
    post(
        &s1,
        "/api/v1/complaints",
        &t.holder,
        json!({"id": "C1", "right": "r1", "reason": "counterfeit",
            "listings": [{"id": "L1", "seller": "shop1", "category_classes": [25]},
                         {"id": "L2", "seller": "shop1", "category_classes": [25]}],
            "evidence": ["ee".repeat(32)]}),
    )
    .await;
    let uphold =
        |l: &str| json!({"command": "decide", "listing": l, "decision": {"decision": "uphold"}});
    post(
        &s1,
        "/api/v1/complaints/C1/commands",
        &t.reviewer,
        uphold("L1"),
    )
    .await;
    // The mail server is down: L1's e-mail fails and waits for its retry.
    post(&s1, "/api/v1/admin/jobs/run", &t.admin, Value::Null).await;
    let inbox = send(
        &s1,
        reqwest::Method::GET,
        "/api/v1/me/notifications",
        &t.seller,
        Value::Null,
    )
    .await;
    assert_eq!(inbox["notifications"][0]["email"], "pending");
    // L2's e-mail is scheduled, never tried: then the server dies.
    post(
        &s1,
        "/api/v1/complaints/C1/commands",
        &t.reviewer,
        uphold("L2"),
    )
    .await;
    s1.kill();

    // Back up, with the mail server up; the clock moves past the backoff.
    sink.start().unwrap();
    let s2 = Server::start(&db, &["--smtp", &smtp]);
    post(
        &s2,
        "/api/v1/admin/clock/advance",
        &t.admin,
        json!({"seconds": 120}),
    )
    .await;
    post(&s2, "/api/v1/admin/jobs/run", &t.admin, Value::Null).await;
    let mails = sink.messages().unwrap();
    let subjects: std::collections::BTreeSet<&str> =
        mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert!(subjects.iter().any(|s| s.contains("L1")), "{subjects:?}");
    assert!(subjects.iter().any(|s| s.contains("L2")), "{subjects:?}");
    assert_ne!(mails[0].message_id, mails[1].message_id);
    assert!(mails.iter().all(|m| m.rcpt_tos == ["sam@shop1.example"]));
    // Nothing more on later passes.
    post(
        &s2,
        "/api/v1/admin/clock/advance",
        &t.admin,
        json!({"seconds": 3600}),
    )
    .await;
    post(&s2, "/api/v1/admin/jobs/run", &t.admin, Value::Null).await;
    assert_eq!(sink.messages().unwrap().len(), 2);
    let inbox = send(
        &s2,
        reqwest::Method::GET,
        "/api/v1/me/notifications",
        &t.seller,
        Value::Null,
    )
    .await;
    assert!(
        inbox["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["email"] == "sent"),
        "{inbox}"
    );
    s2.kill();
    db.drop_now().await.unwrap();
}
