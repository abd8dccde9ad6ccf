//! Idempotent writes and batches end to end: the real server on SQLite and
//! PostgreSQL, over HTTP, with the manual clock.
//!
//! - the same `Idempotency-Key` and body replays the first answer byte for
//!   byte, with `Idempotency-Replayed: true`, and files nothing twice;
//! - the same key with another body (or on another operation) is 422
//!   `idempotency_key_reused`; another caller's key of the same text is its own;
//! - a retry while the first request holds the key is 409
//!   `idempotency_in_flight` (the test holds the key through the app, so no
//!   race is needed);
//! - a malformed key is 400 naming the header; a key expires after 24 hours
//!   of the app's clock;
//! - complaint commands and the batch endpoint take keys too; a batch
//!   answers each complaint on its own;
//! - a complaint over five listings of two sellers, some upheld and some
//!   rejected: each listing's state, its audit trail, and what the sellers
//!   and the holder see.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use rightsguard_app::IdempotencyKey;
use rightsguard_domain::actor::Actor;
use rightsguard_domain::event::{EventKind, Subject};
use rightsguard_domain::ids::{ComplaintId, OrgId, UserId};
use rightsguard_store::Store as _;
use rightsguard_testkit::{TestApp, both};
use serde_json::{Value, json};

both!(
    a_retry_with_the_same_key_replays_the_first_answer,
    the_same_key_with_another_request_is_422,
    a_retry_while_the_first_is_in_flight_is_409,
    concurrent_retries_file_once,
    a_malformed_key_is_400_naming_the_header,
    a_key_expires_after_24_hours_of_the_app_clock,
    commands_replay_under_their_key,
    a_batch_answers_each_complaint_and_replays_whole,
    a_complaint_over_five_listings_with_mixed_outcomes,
);

/// What came back: status, the `Idempotency-Replayed` header, raw body, JSON.
struct Resp {
    status: StatusCode,
    replayed: bool,
    retry_after: Option<String>,
    text: String,
    json: Value,
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Option<String>,
) -> Resp {
    let mut req = Client::new()
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers: HeaderMap = resp.headers().clone();
    let text = resp.text().await.unwrap();
    Resp {
        status,
        replayed: headers
            .get("idempotency-replayed")
            .is_some_and(|v| v == "true"),
        retry_after: headers
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned()),
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

async fn post(app: &TestApp, path: &str, token: &str, key: Option<&str>, body: &Value) -> Resp {
    send(
        app,
        reqwest::Method::POST,
        path,
        token,
        key,
        Some(body.to_string()),
    )
    .await
}

async fn get(app: &TestApp, path: &str, token: &str) -> Resp {
    send(app, reqwest::Method::GET, path, token, None, None).await
}

fn expect(r: Resp, want: StatusCode) -> Resp {
    assert_eq!(r.status, want, "body: {}", r.text);
    r
}

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

async fn verified_right(app: &TestApp, token: &str, id: &str, cert: u8) {
    expect(
        post(
            app,
            "/api/v1/rights",
            token,
            None,
            &json!({"id": id, "kind": "trademark", "jurisdiction": "CN", "registration_number": "123",
                   "nice_classes": [25], "valid_from": "2020-01-01", "certificates": [sha(cert)]}),
        )
        .await,
        StatusCode::CREATED,
    );
    expect(
        post(
            app,
            &format!("/api/v1/rights/{id}/decision"),
            &app.tokens.reviewer,
            None,
            &json!({"command": "verify"}),
        )
        .await,
        StatusCode::OK,
    );
}

fn complaint_body(id: &str, right: &str, listings: &[(&str, &str)]) -> Value {
    let listings: Vec<Value> = listings
        .iter()
        .map(|(l, s)| json!({"id": l, "seller": s, "category_classes": [25]}))
        .collect();
    json!({"id": id, "right": right, "reason": "counterfeit", "listings": listings,
           "evidence": [sha(0xee)]})
}

fn alice() -> Actor {
    Actor::rights_holder(
        OrgId::parse("acme").unwrap(),
        UserId::parse("alice").unwrap(),
    )
}

async fn submitted_events(app: &TestApp, id: &str) -> usize {
    app.state
        .app
        .store()
        .audit_of(&Subject::Complaint {
            complaint: ComplaintId::parse(id).unwrap(),
            listing: None,
        })
        .await
        .unwrap()
        .iter()
        .filter(|r| matches!(r.event.kind, EventKind::ComplaintSubmitted { .. }))
        .count()
}

async fn audit_is_intact(app: &TestApp) {
    let r = expect(
        get(app, "/api/v1/audit/verify", &app.tokens.admin).await,
        StatusCode::OK,
    );
    assert_eq!(r.json["ok"], true, "{}", r.text);
}

async fn a_retry_with_the_same_key_replays_the_first_answer(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, &t.holder, "r1", 1).await;
    let body = complaint_body("C1", "r1", &[("L1", "shop1"), ("L2", "shop2")]);
    let first = expect(
        post(app, "/api/v1/complaints", &t.holder, Some("k-1"), &body).await,
        StatusCode::CREATED,
    );
    assert!(!first.replayed);
    assert_eq!(first.json["id"], "C1");
    // The same request again, written differently (key order, spacing): the
    // canonical body is the same, so the first answer comes back verbatim.
    let respelled = r#"{ "evidence": ["eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"],
        "listings": [{"category_classes": [25], "seller": "shop1", "id": "L1"},
                     {"seller": "shop2", "id": "L2", "category_classes": [25]}],
        "reason": "counterfeit", "right": "r1", "id": "C1" }"#;
    for _ in 0..2 {
        let again = send(
            app,
            reqwest::Method::POST,
            "/api/v1/complaints",
            &t.holder,
            Some("k-1"),
            Some(respelled.to_owned()),
        )
        .await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
        assert!(again.replayed, "marked as a replay");
        assert_eq!(again.text, first.text, "byte for byte the first answer");
    }
    assert_eq!(submitted_events(app, "C1").await, 1, "filed once");
    // Without a key the same request is what it always was: a duplicate id.
    let dup = post(app, "/api/v1/complaints", &t.holder, None, &body).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.text);
    assert_eq!(dup.json["error"]["code"], "duplicate");
    // A refused request records nothing: fixing it and retrying under the
    // same key goes through.
    let bad = complaint_body("C2", "r1", &[("L3", "shop1"), ("L3", "shop1")]);
    let refused = post(app, "/api/v1/complaints", &t.holder, Some("k-2"), &bad).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let refused_again = post(app, "/api/v1/complaints", &t.holder, Some("k-2"), &bad).await;
    assert_eq!(refused_again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused_again.replayed);
    audit_is_intact(app).await;
}

async fn the_same_key_with_another_request_is_422(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, &t.holder, "r1", 1).await;
    verified_right(app, &t.rival, "r-rival", 2).await;
    let c1 = complaint_body("C1", "r1", &[("L1", "shop1")]);
    expect(
        post(app, "/api/v1/complaints", &t.holder, Some("shared"), &c1).await,
        StatusCode::CREATED,
    );
    let c2 = complaint_body("C2", "r1", &[("L2", "shop1")]);
    let reused = post(app, "/api/v1/complaints", &t.holder, Some("shared"), &c2).await;
    assert_eq!(
        reused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reused.text
    );
    assert_eq!(reused.json["error"]["code"], "idempotency_key_reused");
    assert!(
        reused.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"),
        "{}",
        reused.text
    );
    assert_eq!(
        get(app, "/api/v1/complaints/C2", &t.holder).await.status,
        StatusCode::NOT_FOUND,
        "nothing was filed under the reused key"
    );
    // The same key on another operation is a reuse too.
    let batch = post(
        app,
        "/api/v1/complaints/batch",
        &t.holder,
        Some("shared"),
        &json!({"complaints": [c1]}),
    )
    .await;
    assert_eq!(
        batch.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        batch.text
    );
    assert_eq!(batch.json["error"]["code"], "idempotency_key_reused");
    // Keys are the caller's own: another rights holder's "shared" is new.
    let rival = post(
        app,
        "/api/v1/complaints",
        &t.rival,
        Some("shared"),
        &complaint_body("C3", "r-rival", &[("L3", "shop2")]),
    )
    .await;
    assert_eq!(rival.status, StatusCode::CREATED, "{}", rival.text);
    assert!(!rival.replayed);
}

async fn a_retry_while_the_first_is_in_flight_is_409(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, &t.holder, "r1", 1).await;
    let key = IdempotencyKey::parse("busy-key").unwrap();
    // Hold the key as a running request would, on the server's own app.
    let held = app.state.app.claim_in_flight(&alice(), &key).unwrap();
    let body = complaint_body("C1", "r1", &[("L1", "shop1")]);
    let busy = post(
        app,
        "/api/v1/complaints",
        &t.holder,
        Some("busy-key"),
        &body,
    )
    .await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{}", busy.text);
    assert_eq!(busy.json["error"]["code"], "idempotency_in_flight");
    assert_eq!(busy.retry_after.as_deref(), Some("1"));
    assert_eq!(
        get(app, "/api/v1/complaints/C1", &t.holder).await.status,
        StatusCode::NOT_FOUND
    );
    // Another caller's key of the same text is not held.
    let other = app.state.app.claim_in_flight(
        &Actor::rights_holder(
            OrgId::parse("rival").unwrap(),
            UserId::parse("bob").unwrap(),
        ),
        &key,
    );
    assert!(other.is_some());
    drop(other);
    // Once the first request is done, the retry runs.
    drop(held);
    let done = post(
        app,
        "/api/v1/complaints",
        &t.holder,
        Some("busy-key"),
        &body,
    )
    .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text);
    assert!(!done.replayed);
    // The key is free again after each request: a replay needs no claim.
    let again = post(
        app,
        "/api/v1/complaints",
        &t.holder,
        Some("busy-key"),
        &body,
    )
    .await;
    assert!(again.replayed, "{}", again.text);
}

/// Identical keyed requests fired together: whatever the interleaving, one
/// files the complaint and every other is a replay of its answer or a 409
/// while it runs. (The outcome set is asserted, never the timing.)
async fn concurrent_retries_file_once(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, &t.holder, "r1", 1).await;
    let (mut replays, mut in_flight) = (0, 0);
    for round in 0..12 {
        let id = format!("C{round}");
        let body = complaint_body(&id, "r1", &[("L1", "shop1"), ("L2", "shop2")]);
        let key = format!("together-{round}");
        let send = || post(app, "/api/v1/complaints", &t.holder, Some(&key), &body);
        let (a, b, c, d) = tokio::join!(send(), send(), send(), send());
        let answers = [a, b, c, d];
        let fresh: Vec<&Resp> = answers
            .iter()
            .filter(|r| r.status == StatusCode::CREATED && !r.replayed)
            .collect();
        assert_eq!(fresh.len(), 1, "exactly one files it");
        for r in &answers {
            match (r.status, r.replayed) {
                (StatusCode::CREATED, false) => {}
                (StatusCode::CREATED, true) => {
                    replays += 1;
                    assert_eq!(r.text, fresh[0].text);
                }
                (StatusCode::CONFLICT, _) => {
                    in_flight += 1;
                    assert_eq!(
                        r.json["error"]["code"], "idempotency_in_flight",
                        "{}",
                        r.text
                    );
                }
                other => panic!("unexpected {other:?}: {}", r.text),
            }
        }
        assert_eq!(submitted_events(app, &id).await, 1);
    }
    eprintln!("concurrent retries: {replays} replays, {in_flight} in flight (409)");
    audit_is_intact(app).await;
}

async fn a_malformed_key_is_400_naming_the_header(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, &t.holder, "r1", 1).await;
    let body = complaint_body("C1", "r1", &[("L1", "shop1")]).to_string();
    let long = "k".repeat(256);
    for key in [long.as_str(), "tab\tinside"] {
        let r = send(
            app,
            reqwest::Method::POST,
            "/api/v1/complaints",
            &t.holder,
            Some(key),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{key:?}: {}", r.text);
        assert_eq!(r.json["error"]["code"], "bad_header");
        assert_eq!(r.json["error"]["field"], "Idempotency-Key");
        assert!(
            r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key")
        );
    }
    // Bytes that are not ASCII at all.
    let r = Client::new()
        .post(app.url("/api/v1/complaints"))
        .bearer_auth(&t.holder)
        .header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        )
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The OpenAPI document describes the header on every keyed operation.
    let doc: Value = Client::new()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/complaints",
        "/api/v1/complaints/{id}/commands",
        "/api/v1/complaints/batch",
    ] {
        let params = doc["paths"][path]["post"]["parameters"].as_array().unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
            "{path}: {params:?}"
        );
    }
    // 255 printable characters are fine.
    let ok = send(
        app,
        reqwest::Method::POST,
        "/api/v1/complaints",
        &t.holder,
        Some(&"k".repeat(255)),
        Some(body),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
}

async fn a_key_expires_after_24_hours_of_the_app_clock(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, &t.holder, "r1", 1).await;
    let c1 = complaint_body("C1", "r1", &[("L1", "shop1")]);
    expect(
        post(app, "/api/v1/complaints", &t.holder, Some("daily"), &c1).await,
        StatusCode::CREATED,
    );
    let advance = async |secs: i64| {
        post(
            app,
            "/api/v1/admin/clock/advance",
            &t.admin,
            None,
            &json!({"seconds": secs}),
        )
        .await
    };
    expect(advance(23 * 3600).await, StatusCode::OK);
    let c2 = complaint_body("C2", "r1", &[("L2", "shop1")]);
    let within = post(app, "/api/v1/complaints", &t.holder, Some("daily"), &c2).await;
    assert_eq!(
        within.json["error"]["code"], "idempotency_key_reused",
        "{}",
        within.text
    );
    expect(advance(3600).await, StatusCode::OK);
    // 24 hours on, the key is forgotten and names a new request.
    let after = post(app, "/api/v1/complaints", &t.holder, Some("daily"), &c2).await;
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.text);
    assert!(!after.replayed);
    assert_eq!(after.json["id"], "C2");
}

async fn commands_replay_under_their_key(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, &t.holder, "r1", 1).await;
    for id in ["C1", "C2"] {
        expect(
            post(
                app,
                "/api/v1/complaints",
                &t.holder,
                None,
                &complaint_body(id, "r1", &[(&format!("L-{id}"), "shop1")]),
            )
            .await,
            StatusCode::CREATED,
        );
    }
    let uphold =
        json!({"command": "decide", "listing": "L-C1", "decision": {"decision": "uphold"}});
    let first = expect(
        post(
            app,
            "/api/v1/complaints/C1/commands",
            &t.reviewer,
            Some("d-1"),
            &uphold,
        )
        .await,
        StatusCode::OK,
    );
    assert!(!first.replayed);
    // The retry replays instead of failing with wrong_state.
    let again = expect(
        post(
            app,
            "/api/v1/complaints/C1/commands",
            &t.reviewer,
            Some("d-1"),
            &uphold,
        )
        .await,
        StatusCode::OK,
    );
    assert!(again.replayed);
    assert_eq!(again.text, first.text);
    let unkeyed = post(
        app,
        "/api/v1/complaints/C1/commands",
        &t.reviewer,
        None,
        &uphold,
    )
    .await;
    assert_eq!(unkeyed.status, StatusCode::CONFLICT, "{}", unkeyed.text);
    assert_eq!(unkeyed.json["error"]["code"], "wrong_state");
    // The same key and body on another complaint is another request.
    let uphold2 =
        json!({"command": "decide", "listing": "L-C2", "decision": {"decision": "uphold"}});
    let other = post(
        app,
        "/api/v1/complaints/C2/commands",
        &t.reviewer,
        Some("d-1"),
        &uphold2,
    )
    .await;
    assert_eq!(
        other.json["error"]["code"], "idempotency_key_reused",
        "{}",
        other.text
    );
    let audit = app
        .state
        .app
        .store()
        .audit_of(&Subject::Complaint {
            complaint: ComplaintId::parse("C1").unwrap(),
            listing: None,
        })
        .await
        .unwrap();
    let upheld = audit
        .iter()
        .filter(|r| matches!(r.event.kind, EventKind::ItemUpheld { .. }))
        .count();
    assert_eq!(upheld, 1, "decided once");
}

async fn a_batch_answers_each_complaint_and_replays_whole(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, &t.holder, "r1", 1).await;
    verified_right(app, &t.rival, "r-rival", 2).await;
    expect(
        post(
            app,
            "/api/v1/complaints",
            &t.holder,
            None,
            &complaint_body("C-old", "r1", &[("L0", "shop1")]),
        )
        .await,
        StatusCode::CREATED,
    );
    let mut out_of_scope = complaint_body("C4", "r1", &[("L4", "shop1")]);
    out_of_scope["listings"][0]["category_classes"] = json!([30]);
    let batch = json!({"complaints": [
        complaint_body("C1", "r1", &[("L1", "shop1"), ("L2", "shop2")]),
        complaint_body("C-old", "r1", &[("L9", "shop1")]),
        complaint_body("C3", "r-rival", &[("L3", "shop1")]),
        out_of_scope,
        complaint_body("C5", "r1", &[("L5", "shop2")]),
        complaint_body("C1", "r1", &[("L6", "shop2")]),
    ]});
    let first = expect(
        post(
            app,
            "/api/v1/complaints/batch",
            &t.holder,
            Some("b-1"),
            &batch,
        )
        .await,
        StatusCode::OK,
    );
    let r = &first.json;
    assert_eq!(r["created"], 2, "{r}");
    assert_eq!(r["refused"], 4, "{r}");
    let outcome = |i: usize| {
        (
            r["results"][i]["id"].as_str().unwrap().to_owned(),
            r["results"][i]["status"].as_u64().unwrap(),
            r["results"][i]["error"]["code"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        )
    };
    assert_eq!(outcome(0), ("C1".into(), 201, "".into()));
    assert_eq!(
        r["results"][0]["complaint"]["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(outcome(1), ("C-old".into(), 409, "duplicate".into()));
    assert_eq!(
        outcome(2),
        ("C3".into(), 404, "not_found".into()),
        "another holder's right is not even visible"
    );
    assert_eq!(outcome(3), ("C4".into(), 422, "out_of_scope".into()));
    assert_eq!(outcome(4), ("C5".into(), 201, "".into()));
    assert_eq!(
        outcome(5),
        ("C1".into(), 409, "duplicate".into()),
        "an id twice in one batch"
    );
    for (id, status) in [("C1", 200), ("C5", 200), ("C3", 404), ("C4", 404)] {
        assert_eq!(
            get(app, &format!("/api/v1/complaints/{id}"), &t.holder)
                .await
                .status
                .as_u16(),
            status,
            "{id}"
        );
    }
    let again = expect(
        post(
            app,
            "/api/v1/complaints/batch",
            &t.holder,
            Some("b-1"),
            &batch,
        )
        .await,
        StatusCode::OK,
    );
    assert!(again.replayed);
    assert_eq!(again.text, first.text);
    assert_eq!(submitted_events(app, "C1").await, 1);
    // The batch as a whole stays within the per-request limit of listings.
    let limit = 300;
    let many: Vec<(String, &str)> = (0..=limit).map(|i| (format!("M{i}"), "shop1")).collect();
    let refs: Vec<(&str, &str)> = many.iter().map(|(l, s)| (l.as_str(), *s)).collect();
    let big = json!({"complaints": [
        complaint_body("B1", "r1", &refs[..200]),
        complaint_body("B2", "r1", &refs[200..]),
    ]});
    let too_big = post(
        app,
        "/api/v1/complaints/batch",
        &t.holder,
        Some("b-2"),
        &big,
    )
    .await;
    assert_eq!(
        too_big.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_big.text
    );
    assert_eq!(too_big.json["error"]["code"], "limit_exceeded");
    let empty = post(
        app,
        "/api/v1/complaints/batch",
        &t.holder,
        None,
        &json!({"complaints": []}),
    )
    .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.text
    );
    // Field errors name the path inside the batch.
    let bad = post(
        app,
        "/api/v1/complaints/batch",
        &t.holder,
        None,
        &json!({"complaints": [complaint_body("C7", "r1", &[("L7", "no spaces")])]}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.json["error"]["field"],
        "complaints[0].listings[0].seller"
    );
    audit_is_intact(app).await;
}

fn state_of(c: &Value, listing: &str) -> String {
    c["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["listing"] == listing)
        .unwrap_or_else(|| panic!("no listing {listing} in {c}"))["state"]["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn listings_of(c: &Value) -> Vec<String> {
    c["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["listing"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_complaint_over_five_listings_with_mixed_outcomes(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, &t.holder, "r1", 1).await;
    let listings = [
        ("L1", "shop1"),
        ("L2", "shop1"),
        ("L3", "shop1"),
        ("L4", "shop2"),
        ("L5", "shop2"),
    ];
    expect(
        post(
            app,
            "/api/v1/complaints",
            &t.holder,
            Some("five"),
            &complaint_body("C1", "r1", &listings),
        )
        .await,
        StatusCode::CREATED,
    );
    let queue = expect(
        get(app, "/api/v1/review-queue", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(
        queue.json.as_array().unwrap().len(),
        5,
        "each listing is reviewed"
    );
    let decide = async |listing: &str, decision: Value| {
        expect(
            post(
                app,
                "/api/v1/complaints/C1/commands",
                &t.reviewer,
                Some(&format!("decide-{listing}")),
                &json!({"command": "decide", "listing": listing, "decision": decision}),
            )
            .await,
            StatusCode::OK,
        )
    };
    let uphold = json!({"decision": "uphold"});
    decide("L1", uphold.clone()).await;
    decide(
        "L2",
        json!({"decision": "reject", "reason": "genuine goods", "manifestly_unfounded": false}),
    )
    .await;
    decide("L4", uphold.clone()).await;
    decide(
        "L5",
        json!({"decision": "reject", "reason": "not the mark", "manifestly_unfounded": true}),
    )
    .await;
    // L3 is still under review.
    let holder_view = expect(
        get(app, "/api/v1/complaints/C1", &t.holder).await,
        StatusCode::OK,
    )
    .json;
    let states: Vec<String> = ["L1", "L2", "L3", "L4", "L5"]
        .iter()
        .map(|l| state_of(&holder_view, l))
        .collect();
    assert_eq!(
        states,
        ["upheld", "rejected", "under_review", "upheld", "rejected"],
        "{holder_view}"
    );
    let queue = expect(
        get(app, "/api/v1/review-queue", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(queue.json.as_array().unwrap().len(), 1);
    assert_eq!(queue.json[0]["listing"], "L3");
    decide("L3", uphold).await;

    // Each seller sees the complaint with its own listings only, in the same
    // states the holder sees; the holder sees all five.
    let now = holder_view_now(app).await;
    assert_eq!(listings_of(&now), ["L1", "L2", "L3", "L4", "L5"]);
    let s1 = expect(
        get(app, "/api/v1/complaints/C1", &t.seller).await,
        StatusCode::OK,
    )
    .json;
    let s2 = expect(
        get(app, "/api/v1/complaints/C1", &t.seller2).await,
        StatusCode::OK,
    )
    .json;
    assert_eq!(listings_of(&s1), ["L1", "L2", "L3"], "{s1}");
    assert_eq!(listings_of(&s2), ["L4", "L5"], "{s2}");
    for view in [&s1, &s2] {
        for l in listings_of(view) {
            assert_eq!(state_of(view, &l), state_of(&now, &l));
        }
    }
    // A stranger sees nothing.
    assert_eq!(
        get(app, "/api/v1/complaints/C1", &t.rival).await.status,
        StatusCode::NOT_FOUND
    );
    // A rejected listing cannot be countered, an upheld one can.
    let cn = post(
        app,
        "/api/v1/complaints/C1/commands",
        &t.seller2,
        None,
        &json!({"command": "file_counter_notice", "listing": "L5", "statement": "x", "evidence": []}),
    )
    .await;
    assert_eq!(cn.status, StatusCode::CONFLICT, "{}", cn.text);
    // Another seller's listing is not its to counter.
    let cn = post(
        app,
        "/api/v1/complaints/C1/commands",
        &t.seller2,
        None,
        &json!({"command": "file_counter_notice", "listing": "L1", "statement": "x", "evidence": [sha(5)]}),
    )
    .await;
    assert!(cn.status.is_client_error(), "{}", cn.text);

    // The audit trail: one submission, then one decision per listing, each
    // about its own listing.
    let audit = app
        .state
        .app
        .store()
        .audit_of(&Subject::Complaint {
            complaint: ComplaintId::parse("C1").unwrap(),
            listing: None,
        })
        .await
        .unwrap();
    let mut kinds: Vec<(String, &'static str)> = audit
        .iter()
        .filter_map(|r| {
            let kind = match r.event.kind {
                EventKind::ComplaintSubmitted { .. } => "submitted",
                EventKind::ItemUpheld { .. } => "upheld",
                EventKind::ItemRejected { .. } => "rejected",
                _ => return None,
            };
            Some((r.subject.clone(), kind))
        })
        .collect();
    kinds.sort();
    let submitted = kinds.iter().filter(|(_, k)| *k == "submitted").count();
    assert_eq!(submitted, 1, "{kinds:?}");
    for (l, want) in [
        ("L1", "upheld"),
        ("L2", "rejected"),
        ("L3", "upheld"),
        ("L4", "upheld"),
        ("L5", "rejected"),
    ] {
        let of: Vec<_> = kinds
            .iter()
            .filter(|(s, k)| s == &format!("complaint:C1/{l}") && *k != "submitted")
            .map(|(_, k)| *k)
            .collect();
        assert_eq!(of, [want], "{l}: {kinds:?}");
    }
    audit_is_intact(app).await;

    // Silence for a week: the upheld listings become established, and each
    // seller's standing counts only its own.
    expect(
        post(
            app,
            "/api/v1/admin/clock/advance",
            &t.admin,
            None,
            &json!({"seconds": 7 * 86_400}),
        )
        .await,
        StatusCode::OK,
    );
    let run = expect(
        post(app, "/api/v1/admin/jobs/run", &t.admin, None, &json!({})).await,
        StatusCode::OK,
    );
    assert_eq!(run.json["expired_windows"], 3, "{}", run.text);
    let now = holder_view_now(app).await;
    let states: Vec<String> = ["L1", "L2", "L3", "L4", "L5"]
        .iter()
        .map(|l| state_of(&now, l))
        .collect();
    assert_eq!(
        states,
        [
            "established",
            "rejected",
            "established",
            "established",
            "rejected"
        ]
    );
    let st1 = expect(
        get(app, "/api/v1/sellers/shop1/standing", &t.seller).await,
        StatusCode::OK,
    )
    .json;
    let st2 = expect(
        get(app, "/api/v1/sellers/shop2/standing", &t.seller2).await,
        StatusCode::OK,
    )
    .json;
    assert!(st1["serious_strikes"].as_u64().unwrap() >= 1, "{st1}");
    assert!(st2["serious_strikes"].as_u64().unwrap() >= 1, "{st2}");
    assert_eq!(
        get(app, "/api/v1/sellers/shop1/standing", &t.seller2)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a seller does not see another's standing"
    );
    audit_is_intact(app).await;
}

async fn holder_view_now(app: &TestApp) -> Value {
    expect(
        get(app, "/api/v1/complaints/C1", &app.tokens.holder).await,
        StatusCode::OK,
    )
    .json
}
