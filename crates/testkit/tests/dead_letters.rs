//! The dead letters of the scale-out workers over HTTP, on SQLite and
//! PostgreSQL: admins list them newest first with why, the kind and the
//! deliveries; recording one stream message twice keeps one; everyone else
//! gets 403. (The worker that records them against a real NATS is tested in
//! `crates/cli/tests/scale.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::{Client, StatusCode};
use rightsguard_store::dead_letters::{DeadLetterStore, NewDeadLetter};
use rightsguard_testkit::{TestApp, both};
use serde_json::Value;

both!(dead_letters_are_listed_for_admins_only);

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    let resp = Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn letter(seq: i64, kind: &str, reason: &str) -> NewDeadLetter {
    NewDeadLetter {
        stream: "rightsguard".into(),
        stream_seq: seq,
        subject: format!("rightsguard.work.{kind}"),
        kind: kind.into(),
        deliveries: 5,
        reason: reason.into(),
        payload: format!(r#"{{"kind":"{kind}"}}"#),
        at: rightsguard_testkit::CLOCK_START.parse().unwrap(),
    }
}

async fn dead_letters_are_listed_for_admins_only(app: &TestApp) {
    let t = &app.tokens;
    let (s, v) = get(app, "/api/v1/admin/dead-letters", &t.admin).await;
    assert_eq!((s, v), (StatusCode::OK, serde_json::json!([])));
    let store = app.state.app.store();
    assert!(
        store
            .record_dead_letter(&letter(7, "partition", "database down"))
            .await
            .unwrap()
    );
    assert!(
        store
            .record_dead_letter(&letter(9, "listing", "no such listing"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_dead_letter(&letter(7, "partition", "again"))
            .await
            .unwrap(),
        "one row per stream message"
    );
    let (s, v) = get(app, "/api/v1/admin/dead-letters", &t.admin).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["kind"], "listing", "newest first");
    assert_eq!(all[0]["reason"], "no such listing");
    assert_eq!(all[0]["deliveries"], 5);
    assert_eq!(all[0]["stream_seq"], 9);
    assert_eq!(all[1]["reason"], "database down");
    let (s, v) = get(app, "/api/v1/admin/dead-letters?limit=1", &t.admin).await;
    assert_eq!((s, v.as_array().unwrap().len()), (StatusCode::OK, 1));
    for bad in ["0", "1001", "x"] {
        let (s, _) = get(
            app,
            &format!("/api/v1/admin/dead-letters?limit={bad}"),
            &t.admin,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "limit={bad}");
    }
    for token in [&t.reviewer, &t.holder, &t.seller, &t.agent] {
        let (s, _) = get(app, "/api/v1/admin/dead-letters", token).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}
