//! The platform end to end: the real server on SQLite and on PostgreSQL,
//! driven over HTTP with API tokens, a manual clock and explicit job runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::{Client, Method, StatusCode};
use rightsguard_testkit::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = super::spawn_app(super::Backend::Sqlite).await.unwrap().unwrap();
                super::$name(&app).await;
                app.finish().await.unwrap();
            }
        )* }
        mod postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(app) = super::spawn_app(super::Backend::Postgres).await.unwrap() else { return };
                super::$name(&app).await;
                app.finish().await.unwrap();
            }
        )* }
    };
}

both!(
    silence_establishes_the_takedown_and_penalises_the_seller,
    a_valid_counter_notice_without_escalation_reinstates_the_listing,
    a_rejected_complaint_is_supplemented_and_reviewed_again,
    strangers_get_404_wrong_roles_403_and_no_token_401,
    the_openapi_document_lists_every_route,
    an_agent_acts_for_its_principal_only,
    validation_errors_name_the_field,
);

/// One call: method, path, token, optional body → status and JSON body.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Client::new().request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    call(app, Method::GET, path, Some(token), None).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    call(app, Method::POST, path, Some(token), Some(body)).await
}

/// Asserts the status and returns the body; on a mismatch shows the body.
fn expect(got: (StatusCode, Value), want: StatusCode) -> Value {
    assert_eq!(got.0, want, "body: {}", got.1);
    got.1
}

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

async fn verified_right(app: &TestApp, id: &str, cert: u8) {
    let t = &app.tokens;
    let r = expect(
        post(
            app,
            "/api/v1/rights",
            &t.holder,
            json!({"id": id, "kind": "trademark", "jurisdiction": "CN", "registration_number": "123",
                   "nice_classes": [25], "valid_from": "2020-01-01", "certificates": [sha(cert)]}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(r["state"], "pending");
    assert_eq!(r["owner"], "acme");
    let r = expect(
        post(
            app,
            &format!("/api/v1/rights/{id}/decision"),
            &t.reviewer,
            json!({"command": "verify"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(r["state"], "verified");
}

/// Files complaint `cid` on right `rid` against `(listing, seller)` pairs.
async fn complaint(app: &TestApp, cid: &str, rid: &str, listings: &[(&str, &str)]) -> Value {
    let listings: Vec<Value> = listings
        .iter()
        .map(|(l, s)| json!({"id": l, "seller": s, "category_classes": [25]}))
        .collect();
    expect(
        post(
            app,
            "/api/v1/complaints",
            &app.tokens.holder,
            json!({"id": cid, "right": rid, "reason": "counterfeit", "listings": listings,
                   "evidence": [sha(0xee)]}),
        )
        .await,
        StatusCode::CREATED,
    )
}

async fn command(app: &TestApp, cid: &str, token: &str, body: Value) -> (StatusCode, Value) {
    post(
        app,
        &format!("/api/v1/complaints/{cid}/commands"),
        token,
        body,
    )
    .await
}

async fn uphold(app: &TestApp, cid: &str, listing: &str) {
    let c = expect(
        command(
            app,
            cid,
            &app.tokens.reviewer,
            json!({"command": "decide", "listing": listing, "decision": {"decision": "uphold"}}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(item_state(&c, listing), "upheld");
}

fn item_state(c: &Value, listing: &str) -> String {
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

async fn advance_days(app: &TestApp, days: i64) {
    expect(
        post(
            app,
            "/api/v1/admin/clock/advance",
            &app.tokens.admin,
            json!({"seconds": days * 86_400}),
        )
        .await,
        StatusCode::OK,
    );
}

async fn run_jobs(app: &TestApp) -> u64 {
    let r = expect(
        post(app, "/api/v1/admin/jobs/run", &app.tokens.admin, json!({})).await,
        StatusCode::OK,
    );
    r["done"].as_u64().unwrap()
}

async fn audit_is_intact(app: &TestApp) {
    let r = expect(
        get(app, "/api/v1/audit/verify", &app.tokens.admin).await,
        StatusCode::OK,
    );
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["records"].as_i64().unwrap() > 0);
}

async fn silence_establishes_the_takedown_and_penalises_the_seller(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, "r1", 1).await;
    complaint(app, "C1", "r1", &[("L1", "shop1")]).await;
    uphold(app, "C1", "L1").await;
    assert_eq!(run_jobs(app).await, 0, "the counter-notice window is open");
    let before = expect(
        get(app, "/api/v1/sellers/shop1/standing", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(before["penalties"].as_array().unwrap().len(), 0);

    advance_days(app, 7).await;
    assert_eq!(run_jobs(app).await, 1);
    let c = expect(
        get(app, "/api/v1/complaints/C1", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(item_state(&c, "L1"), "established");
    let after = expect(
        get(app, "/api/v1/sellers/shop1/standing", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(after["serious_strikes"], 1, "{after}");
    assert_eq!(after["penalties"].as_array().unwrap().len(), 1, "{after}");
    // Staff see it too.
    expect(
        get(app, "/api/v1/sellers/shop1/standing", &t.reviewer).await,
        StatusCode::OK,
    );
    // Too late for a counter-notice now.
    let late = command(
        app,
        "C1",
        &t.seller,
        json!({"command": "file_counter_notice", "listing": "L1", "statement": "mine", "evidence": []}),
    )
    .await;
    assert_eq!(late.0, StatusCode::CONFLICT, "{}", late.1);
    assert_eq!(late.1["error"]["code"], "wrong_state");
    assert_eq!(run_jobs(app).await, 0, "each window expires once");
    audit_is_intact(app).await;
}

async fn a_valid_counter_notice_without_escalation_reinstates_the_listing(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, "r1", 1).await;
    complaint(app, "C2", "r1", &[("L2", "shop2")]).await;
    uphold(app, "C2", "L2").await;
    let c = expect(
        command(
            app,
            "C2",
            &t.seller2,
            json!({"command": "file_counter_notice", "listing": "L2", "statement": "authorised reseller",
                   "evidence": [sha(3)]}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(item_state(&c, "L2"), "counter_notice_pending");
    let c = expect(
        command(
            app,
            "C2",
            &t.reviewer,
            json!({"command": "decide_counter_notice", "listing": "L2", "valid": true, "reason": "licence shown"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(item_state(&c, "L2"), "forwarded");
    let c = expect(
        command(
            app,
            "C2",
            &t.reviewer,
            json!({"command": "confirm_delivery", "listing": "L2"}),
        )
        .await,
        StatusCode::OK,
    );
    let item = &c["items"][0]["state"];
    assert!(item["escalation_due"].is_string(), "{c}");

    advance_days(app, 7).await;
    run_jobs(app).await; // the first-round job is moot
    let c = expect(
        get(app, "/api/v1/complaints/C2", &t.holder).await,
        StatusCode::OK,
    );
    assert_eq!(
        item_state(&c, "L2"),
        "forwarded",
        "the escalation window is open"
    );

    advance_days(app, 10).await;
    assert_eq!(run_jobs(app).await, 1);
    let c = expect(
        get(app, "/api/v1/complaints/C2", &t.seller2).await,
        StatusCode::OK,
    );
    assert_eq!(item_state(&c, "L2"), "reinstated");
    // The window closed: escalating now is refused with a stable code.
    let late = command(
        app,
        "C2",
        &t.holder,
        json!({"command": "record_escalation", "listing": "L2", "kind": "lawsuit", "reference": "X"}),
    )
    .await;
    assert_eq!(late.0, StatusCode::CONFLICT, "{}", late.1);
    let standing = expect(
        get(app, "/api/v1/sellers/shop2/standing", &t.seller2).await,
        StatusCode::OK,
    );
    assert_eq!(standing["penalties"].as_array().unwrap().len(), 0);
    audit_is_intact(app).await;
}

async fn a_rejected_complaint_is_supplemented_and_reviewed_again(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, "r1", 1).await;
    complaint(app, "C3", "r1", &[("L3", "shop1")]).await;
    let queue = expect(
        get(app, "/api/v1/review-queue", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let c = expect(
        command(
            app,
            "C3",
            &t.reviewer,
            json!({"command": "decide", "listing": "L3",
                   "decision": {"decision": "reject", "reason": "capture unreadable", "manifestly_unfounded": false}}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(item_state(&c, "L3"), "rejected");
    let queue = expect(
        get(app, "/api/v1/review-queue", &t.admin).await,
        StatusCode::OK,
    );
    assert_eq!(queue.as_array().unwrap().len(), 0);
    // Supplementing needs evidence: the rule's refusal comes back as 422.
    let empty = command(
        app,
        "C3",
        &t.holder,
        json!({"command": "supplement", "listing": "L3", "evidence": []}),
    )
    .await;
    assert_eq!(empty.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.1);
    assert_eq!(empty.1["error"]["code"], "invalid");
    // Only the complainant supplements.
    let seller = command(
        app,
        "C3",
        &t.seller,
        json!({"command": "supplement", "listing": "L3", "evidence": [sha(4)]}),
    )
    .await;
    assert_eq!(seller.0, StatusCode::FORBIDDEN, "{}", seller.1);
    assert_eq!(seller.1["error"]["code"], "forbidden");
    let c = expect(
        command(
            app,
            "C3",
            &t.holder,
            json!({"command": "supplement", "listing": "L3", "evidence": [sha(4)]}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(item_state(&c, "L3"), "under_review");
    assert_eq!(c["items"][0]["resubmissions"], 1);
    let queue = expect(
        get(app, "/api/v1/review-queue", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(queue[0]["complaint"], "C3");
    assert_eq!(queue[0]["listing"], "L3");
    uphold(app, "C3", "L3").await;
    audit_is_intact(app).await;
}

async fn strangers_get_404_wrong_roles_403_and_no_token_401(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, "r1", 1).await;
    complaint(app, "C4", "r1", &[("L4", "shop1")]).await;

    // Another rights holder and another seller see nothing of it.
    for (token, path) in [
        (&t.rival, "/api/v1/rights/r1"),
        (&t.rival, "/api/v1/complaints/C4"),
        (&t.seller2, "/api/v1/rights/r1"),
        (&t.seller2, "/api/v1/complaints/C4"),
        (&t.seller2, "/api/v1/sellers/shop1/standing"),
        (&t.rival, "/api/v1/sellers/shop1/standing"),
    ] {
        let (status, body) = get(app, path, token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    // …and exactly the same answer as for what does not exist.
    let missing = get(app, "/api/v1/complaints/C404", &t.rival).await;
    let hidden = get(app, "/api/v1/complaints/C4", &t.rival).await;
    assert_eq!(missing.0, hidden.0);
    assert_eq!(missing.1["error"]["code"], hidden.1["error"]["code"]);
    // A stranger's command is answered as if the complaint did not exist.
    let w = command(
        app,
        "C4",
        &t.rival,
        json!({"command": "withdraw", "listing": "L4"}),
    )
    .await;
    assert_eq!(w.0, StatusCode::NOT_FOUND, "{}", w.1);
    // Nor can a stranger decide or probe a right.
    let d = post(
        app,
        "/api/v1/rights/r1/decision",
        &t.rival,
        json!({"command": "verify"}),
    )
    .await;
    assert_eq!(d.0, StatusCode::NOT_FOUND, "{}", d.1);

    // The parties see it.
    expect(
        get(app, "/api/v1/rights/r1", &t.holder).await,
        StatusCode::OK,
    );
    expect(
        get(app, "/api/v1/complaints/C4", &t.seller).await,
        StatusCode::OK,
    );
    expect(
        get(app, "/api/v1/complaints/C4", &t.holder).await,
        StatusCode::OK,
    );
    expect(
        get(app, "/api/v1/rights/r1", &t.reviewer).await,
        StatusCode::OK,
    );

    // Roles: a seller has no review queue, a reviewer verifies no audit log.
    let (s, b) = get(app, "/api/v1/review-queue", &t.seller).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"]["code"], "forbidden");
    let (s, _) = get(app, "/api/v1/audit/verify", &t.reviewer).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(app, "/api/v1/admin/jobs/run", &t.reviewer, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(
        app,
        "/api/v1/admin/clock/advance",
        &t.seller,
        json!({"seconds": 1}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A seller may not verify rights: the rule's refusal.
    let (s, b) = post(
        app,
        "/api/v1/rights/r1/decision",
        &t.reviewer,
        json!({"command": "revoke", "reason": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only admins revoke: {b}");

    // No token, a made-up token, a revoked token: 401.
    let (s, b) = call(app, Method::GET, "/api/v1/review-queue", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["error"]["code"], "unauthenticated");
    let (s, b) = get(app, "/api/v1/review-queue", "rg_not-a-real-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["error"]["code"], "invalid_token");
    expect(
        get(app, "/api/v1/rights/r1", &t.holder).await,
        StatusCode::OK,
    );
    app.state
        .app
        .revoke_token(&t.holder_token_id)
        .await
        .unwrap();
    let (s, _) = get(app, "/api/v1/rights/r1", &t.holder).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a revoked token no longer works"
    );

    // The policy is public; health needs no token.
    let (s, p) = call(app, Method::GET, "/api/v1/policy", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["name"], "aliexpress");
    let (s, _) = call(app, Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
}

const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/policy"),
    ("post", "/api/v1/rights"),
    ("get", "/api/v1/rights/{id}"),
    ("post", "/api/v1/rights/{id}/decision"),
    ("post", "/api/v1/complaints"),
    ("get", "/api/v1/complaints/{id}"),
    ("post", "/api/v1/complaints/{id}/commands"),
    ("get", "/api/v1/review-queue"),
    ("get", "/api/v1/sellers/{org}/standing"),
    ("get", "/api/v1/audit/verify"),
    ("post", "/api/v1/admin/clock/advance"),
    ("post", "/api/v1/admin/jobs/run"),
    ("post", "/api/v1/listings"),
    ("get", "/api/v1/listings"),
    ("get", "/api/v1/listings/{id}"),
    ("put", "/api/v1/listings/{id}"),
    ("post", "/api/v1/block-terms"),
    ("get", "/api/v1/block-terms"),
    ("post", "/api/v1/block-terms/{id}/decision"),
    ("post", "/api/v1/authorisations"),
    ("get", "/api/v1/authorisations"),
];

async fn the_openapi_document_lists_every_route(app: &TestApp) {
    let (s, doc) = call(app, Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc.is_object(), "the document is JSON: {doc}");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} missing from the document"
        );
    }
    assert_eq!(
        paths
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum::<usize>(),
        ROUTES.len(),
        "the document lists exactly the API's operations"
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // What the server returns is what the document describes, key for key.
    verified_right(app, "r1", 1).await;
    let c = complaint(app, "C9", "r1", &[("L9", "shop1")]).await;
    let r = expect(
        get(app, "/api/v1/rights/r1", &app.tokens.holder).await,
        StatusCode::OK,
    );
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let schema = |name: &str| doc["components"]["schemas"][name]["properties"].clone();
    assert_eq!(keys(&r), keys(&schema("RightView")));
    assert_eq!(keys(&c), keys(&schema("ComplaintView")));
    assert_eq!(keys(&c["items"][0]), keys(&schema("ItemView")));
    let html = Client::new()
        .get(app.url("/api/docs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (_, path) in ROUTES {
        assert!(html.contains(path), "{path} missing from /api/docs");
    }
}

async fn an_agent_acts_for_its_principal_only(app: &TestApp) {
    let t = &app.tokens;
    // The agency holds a power of attorney from acme only: it registers for acme.
    let r = expect(
        post(
            app,
            "/api/v1/rights",
            &t.agent,
            json!({"id": "r-agent", "kind": "trademark", "jurisdiction": "CN", "registration_number": "9",
                   "nice_classes": [25], "valid_from": "2020-01-01", "certificates": [sha(9)]}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(r["owner"], "acme");
    expect(
        get(app, "/api/v1/rights/r-agent", &t.holder).await,
        StatusCode::OK,
    );
    // Naming a principal without a power of attorney is refused.
    let resp = Client::new()
        .get(app.url("/api/v1/rights/r-agent"))
        .bearer_auth(&t.agent)
        .header("X-On-Behalf-Of", "rival")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["error"]["code"], "no_power_of_attorney");
    // Registering for another owner is refused by the rules.
    let (s, b) = post(
        app,
        "/api/v1/rights",
        &t.agent,
        json!({"id": "r-x", "owner": "rival", "kind": "trademark", "jurisdiction": "CN", "registration_number": "9",
               "nice_classes": [25], "valid_from": "2020-01-01", "certificates": [sha(10)]}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
}

async fn validation_errors_name_the_field(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, "r1", 1).await;
    let (s, b) = post(
        app,
        "/api/v1/complaints",
        &t.holder,
        json!({"id": "C5", "right": "r1", "reason": "counterfeit", "evidence": [sha(1)],
               "listings": [{"id": "L5", "seller": "no spaces allowed", "category_classes": [25]}]}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["code"], "invalid_body");
    assert_eq!(b["error"]["field"], "listings[0].seller");
    let (s, b) = post(
        app,
        "/api/v1/rights",
        &t.holder,
        json!({"id": "r2", "kind": "trademark", "jurisdiction": "CN", "registration_number": "1",
               "nice_classes": [99], "valid_from": "2020-01-01", "certificates": []}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "nice_classes[0]");
    // A complaint out of the right's classes is refused by the rules, 422.
    let (s, b) = post(
        app,
        "/api/v1/complaints",
        &t.holder,
        json!({"id": "C6", "right": "r1", "reason": "counterfeit", "evidence": [sha(1)],
               "listings": [{"id": "L6", "seller": "shop1", "category_classes": [30]}]}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["code"], "out_of_scope");
    // The same id twice is a conflict.
    complaint(app, "C7", "r1", &[("L7", "shop1")]).await;
    let (s, b) = post(
        app,
        "/api/v1/complaints",
        &t.holder,
        json!({"id": "C7", "right": "r1", "reason": "counterfeit", "evidence": [sha(1)],
               "listings": [{"id": "L8", "seller": "shop1", "category_classes": [25]}]}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "duplicate");
    // A body over the limit is refused before it is parsed.
    let big = "x".repeat(rightsguard_http::BODY_LIMIT + 1);
    let resp = Client::new()
        .post(app.url("/api/v1/complaints"))
        .bearer_auth(&t.holder)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The manual clock cannot go back.
    let (s, b) = post(
        app,
        "/api/v1/admin/clock/advance",
        &t.admin,
        json!({"seconds": -5}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "seconds");
}
