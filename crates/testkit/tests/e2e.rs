//! The platform end to end: the real server on SQLite and on PostgreSQL,
//! driven over HTTP with API tokens, a manual clock and explicit job runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::{Client, Method, StatusCode};
use rightsguard_store::Store as _;
use rightsguard_testkit::{Backend, TestApp, both};
use serde_json::{Value, json};

both!(
    silence_establishes_the_takedown_and_penalises_the_seller,
    a_valid_counter_notice_without_escalation_reinstates_the_listing,
    a_rejected_complaint_is_supplemented_and_reviewed_again,
    strangers_get_404_wrong_roles_403_and_no_token_401,
    the_openapi_document_lists_every_route,
    an_agent_acts_for_its_principal_only,
    validation_errors_name_the_field,
    metrics_count_requests_by_route_and_show_waiting_work,
    accounts_are_managed_over_the_api_and_every_change_is_audited,
    evidence_is_sniffed_stored_once_and_shown_only_to_the_parties,
    hostile_or_malformed_evidence_is_refused_with_a_clear_error,
    an_abusive_notifier_is_warned_referred_and_suspended_for_a_time,
    escalation_withdrawal_and_an_internal_complaint_over_http,
    evidence_the_seller_showed_first_is_flagged_for_the_reviewer,
    a_certificate_another_organisation_registered_is_refused,
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
    r["expired_windows"].as_u64().unwrap()
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
        .revoke_token(&app.state.app.system_actor(), &t.holder_token_id)
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
    ("get", "/api/v1/rights"),
    ("get", "/api/v1/rights/{id}"),
    ("post", "/api/v1/rights/{id}/decision"),
    ("post", "/api/v1/complaints"),
    ("post", "/api/v1/complaints/batch"),
    ("get", "/api/v1/complaints/{id}"),
    ("post", "/api/v1/complaints/{id}/commands"),
    ("get", "/api/v1/review-queue"),
    ("get", "/api/v1/sellers/{org}/standing"),
    ("get", "/api/v1/audit/verify"),
    ("post", "/api/v1/admin/clock/advance"),
    ("post", "/api/v1/admin/jobs/run"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/orgs"),
    ("post", "/api/v1/users"),
    ("put", "/api/v1/users/{id}/password"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("post", "/api/v1/powers-of-attorney"),
    ("post", "/api/v1/evidence"),
    ("get", "/api/v1/evidence/{sha256}"),
    ("post", "/api/v1/listings"),
    ("get", "/api/v1/listings"),
    ("get", "/api/v1/listings/{id}"),
    ("put", "/api/v1/listings/{id}"),
    ("post", "/api/v1/block-terms"),
    ("get", "/api/v1/block-terms"),
    ("post", "/api/v1/block-terms/{id}/decision"),
    ("post", "/api/v1/authorisations"),
    ("get", "/api/v1/authorisations"),
    ("post", "/api/v1/authorisations/{id}/revoke"),
    ("get", "/api/v1/findings"),
    ("get", "/api/v1/findings/{id}"),
    ("post", "/api/v1/findings/{id}/dismiss"),
    ("post", "/api/v1/findings/complaint"),
    ("get", "/api/v1/scans"),
    ("post", "/api/v1/scans"),
    ("put", "/api/v1/rights/{id}/marks"),
    ("post", "/api/v1/rights/{id}/images"),
    ("get", "/api/v1/rights/{id}/images"),
    ("get", "/api/v1/rights/{id}/images/{sha256}"),
    ("delete", "/api/v1/rights/{id}/images/{sha256}"),
    ("put", "/api/v1/listing-images/{sha256}"),
    ("get", "/api/v1/findings/{id}/images/{sha256}"),
    ("get", "/api/v1/clearance"),
    ("get", "/api/v1/notifiers/{org}"),
    ("get", "/api/v1/notifiers/cases"),
    ("post", "/api/v1/notifiers/{org}/decision"),
    ("post", "/api/v1/notifiers/{org}/assess"),
    ("get", "/api/v1/dsa/statements"),
    ("get", "/api/v1/dsa/statements/{puid}"),
    ("get", "/api/v1/complaints/{id}/statements"),
    ("get", "/api/v1/reports/transparency"),
    ("get", "/api/v1/complaints/{id}/lumen"),
    ("get", "/api/v1/complaints/{id}/dossier.zip"),
    ("get", "/api/v1/complaints/{id}/dossier.pdf"),
    ("get", "/api/v1/rights/{id}/customs-recordals"),
    ("post", "/api/v1/rights/{id}/customs-recordals"),
    (
        "post",
        "/api/v1/rights/{id}/customs-recordals/{number}/renewal",
    ),
    ("get", "/api/v1/complaints/{id}/proceedings"),
    ("post", "/api/v1/complaints/{id}/proceedings"),
    ("get", "/api/v1/complaints/{id}/escalation-package.zip"),
    ("get", "/api/v1/lumen/notices"),
    ("get", "/api/v1/exports/complaints"),
    ("post", "/api/v1/webhooks/endpoints"),
    ("get", "/api/v1/webhooks/endpoints"),
    ("get", "/api/v1/webhooks/endpoints/{id}"),
    ("patch", "/api/v1/webhooks/endpoints/{id}"),
    ("post", "/api/v1/webhooks/endpoints/{id}/rotate"),
    ("get", "/api/v1/webhooks/deliveries"),
    ("get", "/api/v1/admin/dead-letters"),
    ("post", "/api/v1/webhooks/events/{id}/redeliver"),
    ("get", "/api/v1/me/notifications"),
    ("post", "/api/v1/me/notifications/read"),
    ("get", "/api/v1/me/notification-settings"),
    ("put", "/api/v1/me/notification-settings"),
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
    let standing = expect(
        get(app, "/api/v1/sellers/shop1/standing", &app.tokens.seller).await,
        StatusCode::OK,
    );
    assert_eq!(keys(&standing), keys(&schema("StandingDoc")));
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

async fn metrics_count_requests_by_route_and_show_waiting_work(app: &TestApp) {
    verified_right(app, "r1", 1).await;
    complaint(app, "C1", "r1", &[("L1", "shop1"), ("L2", "shop2")]).await;
    for _ in 0..3 {
        expect(
            get(app, "/api/v1/complaints/C1", &app.tokens.holder).await,
            StatusCode::OK,
        );
    }
    get(app, "/api/v1/complaints/NOPE", &app.tokens.holder).await;
    advance_days(app, 5).await; // past the review deadline
    let resp = Client::new().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = resp.text().await.unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .to_owned()
    };
    assert!(
        line(r#"rightsguard_http_requests_total{method="GET",route="/api/v1/complaints/{id}",status="200"}"#)
            .ends_with(" 3")
    );
    assert!(
        line(r#"rightsguard_http_requests_total{method="GET",route="/api/v1/complaints/{id}",status="404"}"#)
            .ends_with(" 1")
    );
    assert!(line(r#"rightsguard_complaint_items{state="under_review"}"#).ends_with(" 2"));
    assert!(line("rightsguard_review_overdue ").ends_with(" 2"));
    let audit: i64 = line("rightsguard_audit_records ")
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(audit >= 2, "rights and complaint events are in the log");
    // The raw path never becomes a label: one series per route template.
    assert!(!text.contains("/api/v1/complaints/C1"), "{text}");
}

async fn accounts_are_managed_over_the_api_and_every_change_is_audited(app: &TestApp) {
    let t = &app.tokens;
    let me = expect(get(app, "/api/v1/me", &t.agent).await, StatusCode::OK);
    assert_eq!(me["role"], "agent");
    assert_eq!(me["principal"], "acme", "{me}");

    // Only admins create organisations and users; the error says who may.
    let org = json!({"id": "globex", "kind": "rights_holder", "name": "Globex Corp"});
    let refused = post(app, "/api/v1/orgs", &t.holder, org.clone()).await;
    assert_eq!(refused.0, StatusCode::FORBIDDEN, "{}", refused.1);
    expect(
        post(app, "/api/v1/orgs", &t.admin, org.clone()).await,
        StatusCode::CREATED,
    );
    let again = post(app, "/api/v1/orgs", &t.admin, org).await;
    assert_eq!(again.1["error"]["code"], "duplicate", "{}", again.1);
    let bad_role = post(
        app,
        "/api/v1/users",
        &t.admin,
        json!({"id": "gina", "org": "globex", "role": "reviewer", "name": "Gina"}),
    )
    .await;
    assert_eq!(
        bad_role.1["error"]["code"], "role_does_not_fit",
        "{}",
        bad_role.1
    );
    let system = post(
        app,
        "/api/v1/users",
        &t.admin,
        json!({"id": "gina", "org": "globex", "role": "system", "name": "Gina"}),
    )
    .await;
    assert_eq!(system.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", system.1);
    let empty_name = post(
        app,
        "/api/v1/users",
        &t.admin,
        json!({"id": "gina", "org": "globex", "role": "rights_holder", "name": ""}),
    )
    .await;
    assert_eq!(empty_name.1["error"]["field"], "name", "{}", empty_name.1);
    expect(
        post(
            app,
            "/api/v1/users",
            &t.admin,
            json!({"id": "gina", "org": "globex", "role": "rights_holder", "name": "Gina"}),
        )
        .await,
        StatusCode::CREATED,
    );

    // A user issues its own token; nobody but an admin issues one for someone else.
    let stranger = post(app, "/api/v1/tokens", &t.holder, json!({"user": "gina"})).await;
    assert_eq!(stranger.0, StatusCode::NOT_FOUND, "{}", stranger.1);
    let issued = expect(
        post(app, "/api/v1/tokens", &t.admin, json!({"user": "gina"})).await,
        StatusCode::CREATED,
    );
    let gina = issued["token"].as_str().unwrap().to_owned();
    let own = expect(
        post(app, "/api/v1/tokens", &gina, json!({})).await,
        StatusCode::CREATED,
    );
    let me = expect(get(app, "/api/v1/me", &gina).await, StatusCode::OK);
    assert_eq!(
        (me["user"].as_str(), me["org"].as_str()),
        (Some("gina"), Some("globex"))
    );

    // Globex appoints the agency; the agent must now name its principal.
    expect(
        post(
            app,
            "/api/v1/powers-of-attorney",
            &gina,
            json!({"agent": "agency"}),
        )
        .await,
        StatusCode::CREATED,
    );
    let foreign = post(
        app,
        "/api/v1/powers-of-attorney",
        &t.holder,
        json!({"agent": "agency", "principal": "globex"}),
    )
    .await;
    assert_eq!(foreign.0, StatusCode::FORBIDDEN, "{}", foreign.1);

    // Revoking: someone else's token is not there; one's own is, once.
    let path = format!("/api/v1/tokens/{}", own["id"].as_str().unwrap());
    let (s, _) = call(app, Method::DELETE, &path, Some(&t.seller), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    expect(
        call(app, Method::DELETE, &path, Some(&gina), None).await,
        StatusCode::OK,
    );
    let (s, _) = call(app, Method::DELETE, &path, Some(&gina), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "revoked once");

    // Every change is in the hash-chained log, under the organisation concerned.
    use rightsguard_store::Store as _;
    let log: Vec<String> = app
        .state
        .app
        .store()
        .audit_of(&rightsguard_domain::event::Subject::Account {
            org: rightsguard_domain::ids::OrgId::parse("globex").unwrap(),
        })
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            serde_json::to_value(&r.event.kind).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        log,
        [
            "org_created",
            "user_created",
            "api_token_issued",
            "api_token_issued",
            "power_of_attorney_granted",
            "api_token_revoked"
        ]
    );
    audit_is_intact(app).await;
}

/// Uploads raw bytes as evidence.
async fn upload(app: &TestApp, token: &str, query: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let resp = Client::new()
        .post(app.url(&format!("/api/v1/evidence{query}")))
        .bearer_auth(token)
        .header("content-type", "image/png") // a lie: the type is sniffed
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

async fn download(app: &TestApp, token: &str, sha: &str) -> reqwest::Response {
    Client::new()
        .get(app.url(&format!("/api/v1/evidence/{sha}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn evidence_is_sniffed_stored_once_and_shown_only_to_the_parties(app: &TestApp) {
    let t = &app.tokens;
    let first = expect(
        upload(
            app,
            &t.holder,
            "?captured_at=2026-03-08T10:00:00Z",
            PDF.to_vec(),
        )
        .await,
        StatusCode::CREATED,
    );
    let sha = first["sha256"].as_str().unwrap().to_owned();
    assert_eq!(first["content_type"], "application/pdf");
    assert_eq!(first["size"], PDF.len());
    assert_eq!(first["captured_at"], "2026-03-08T10:00:00Z");
    // The same bytes again: the first upload stands.
    let again = expect(
        upload(app, &t.holder, "", PDF.to_vec()).await,
        StatusCode::OK,
    );
    assert_eq!(again, first);

    let resp = download(app, &t.holder, &sha).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(h["x-evidence-captured-at"], "2026-03-08T10:00:00Z");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PDF);

    // Before any complaint cites it, only its uploader and staff see it.
    for token in [&t.seller, &t.rival, &t.seller2] {
        assert_eq!(
            download(app, token, &sha).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        download(app, &t.reviewer, &sha).await.status(),
        StatusCode::OK
    );

    // A complaint against shop1 cites it: shop1 may now read it, shop2 still not.
    verified_right(app, "r1", 1).await;
    expect(
        post(
            app,
            "/api/v1/complaints",
            &t.holder,
            json!({"id": "C1", "right": "r1", "reason": "counterfeit", "evidence": [sha],
                   "listings": [{"id": "L1", "seller": "shop1", "category_classes": [25]}]}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        download(app, &t.seller, &sha).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        download(app, &t.seller2, &sha).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        download(app, &t.rival, &sha).await.status(),
        StatusCode::NOT_FOUND
    );

    // The seller's counter-notice evidence reaches the holder the same way.
    uphold(app, "C1", "L1").await;
    let invoice = b"Invoice 2026-0042: 200 pairs, authorised distributor".to_vec();
    let inv = expect(
        upload(app, &t.seller, "", invoice.clone()).await,
        StatusCode::CREATED,
    );
    let inv_sha = inv["sha256"].as_str().unwrap().to_owned();
    assert_eq!(inv["content_type"], "text/plain");
    assert_eq!(
        download(app, &t.holder, &inv_sha).await.status(),
        StatusCode::NOT_FOUND
    );
    expect(
        command(
            app,
            "C1",
            &t.seller,
            json!({"command": "file_counter_notice", "listing": "L1", "statement": "genuine stock",
                   "evidence": [inv_sha]}),
        )
        .await,
        StatusCode::OK,
    );
    let resp = download(app, &t.holder, &inv_sha).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), invoice.as_slice());
    // An agent acting for the holder sees what the holder sees.
    assert_eq!(
        download(app, &t.agent, &inv_sha).await.status(),
        StatusCode::OK
    );
    audit_is_intact(app).await;
}

async fn hostile_or_malformed_evidence_is_refused_with_a_clear_error(app: &TestApp) {
    let t = &app.tokens;
    let before = expect(
        get(app, "/api/v1/audit/verify", &t.admin).await,
        StatusCode::OK,
    );
    let code = |r: &(StatusCode, Value)| r.1["error"]["code"].as_str().unwrap_or("").to_owned();
    let elf = upload(
        app,
        &t.holder,
        "",
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec(),
    )
    .await;
    assert_eq!(elf.0, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", elf.1);
    assert_eq!(code(&elf), "evidence_type_not_accepted");
    let zip = upload(app, &t.holder, "", b"PK\x03\x04\x14\0\0\0\x08\0".to_vec()).await;
    assert_eq!(zip.0, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", zip.1);
    let empty = upload(app, &t.holder, "", Vec::new()).await;
    assert_eq!(code(&empty), "evidence_empty", "{}", empty.1);
    let big = upload(
        app,
        &t.holder,
        "",
        vec![b'a'; rightsguard_testkit::EVIDENCE_LIMIT + 1],
    )
    .await;
    assert_eq!(big.0, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.1);
    assert_eq!(code(&big), "body_too_large");
    let future = upload(
        app,
        &t.holder,
        "?captured_at=2030-01-01T00:00:00Z",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(future.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", future.1);
    let garbled = upload(app, &t.holder, "?captured_at=yesterday", PDF.to_vec()).await;
    assert_eq!(garbled.1["error"]["field"], "captured_at", "{}", garbled.1);
    let unknown = upload(app, &t.holder, "?colour=red", PDF.to_vec()).await;
    assert_eq!(unknown.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.1);
    let anonymous = Client::new()
        .post(app.url("/api/v1/evidence"))
        .body(PDF.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // Nothing refused was stored or audited; a bad hash is simply not there.
    assert_eq!(
        download(app, &t.admin, "not-a-hash").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        download(app, &t.admin, &sha(9)).await.status(),
        StatusCode::NOT_FOUND
    );
    let after = expect(
        get(app, "/api/v1/audit/verify", &t.admin).await,
        StatusCode::OK,
    );
    assert_eq!(after["records"], before["records"], "{after}");
}

/// Writes beyond the caller's burst get 429 with Retry-After; reads and other
/// callers are unaffected. (Its own server: the others run unlimited.)
async fn writes_beyond_the_rate_are_refused_per_caller(backend: Backend) {
    let Some(app) = rightsguard_testkit::spawn_app_with(backend, |c| {
        // One write an hour after a burst of 3: no machine is slow enough
        // to earn a fourth during the test.
        c.write_rate = Some(rightsguard_http::WriteRate {
            every: std::time::Duration::from_secs(3600),
            burst: std::num::NonZeroU32::new(3).unwrap(),
        });
    })
    .await
    .unwrap() else {
        return;
    };
    let t = &app.tokens;
    let body = json!({"seconds": 0});
    for _ in 0..3 {
        expect(
            post(&app, "/api/v1/admin/clock/advance", &t.admin, body.clone()).await,
            StatusCode::OK,
        );
    }
    let resp = Client::new()
        .post(app.url("/api/v1/admin/clock/advance"))
        .bearer_auth(&t.admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3000..=3600).contains(&wait), "Retry-After {wait}");
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["error"]["code"], "rate_limited");
    // Reads go on; another caller's writes go on.
    expect(get(&app, "/api/v1/me", &t.admin).await, StatusCode::OK);
    let other = post(&app, "/api/v1/tokens", &t.holder, json!({})).await;
    assert_eq!(other.0, StatusCode::CREATED, "{}", other.1);
    app.finish().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writes_beyond_the_rate_are_refused_per_caller() {
    writes_beyond_the_rate_are_refused_per_caller(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_writes_beyond_the_rate_are_refused_per_caller() {
    writes_beyond_the_rate_are_refused_per_caller(Backend::Postgres).await;
}

/// Files `n` one-listing complaints from `first` on and has the reviewer
/// reject each as manifestly unfounded.
async fn unfounded_notices(app: &TestApp, first: usize, n: usize) {
    for i in first..first + n {
        let (cid, lid) = (format!("CA{i}"), format!("LA{i}"));
        complaint(app, &cid, "r1", &[(&lid, "shop1")]).await;
        let c = expect(
            command(
                app,
                &cid,
                &app.tokens.reviewer,
                json!({"command": "decide", "listing": lid, "decision":
                       {"decision": "reject", "reason": "the listing shows no mark at all",
                        "manifestly_unfounded": true}}),
            )
            .await,
            StatusCode::OK,
        );
        assert_eq!(item_state(&c, &lid), "rejected");
    }
}

async fn an_abusive_notifier_is_warned_referred_and_suspended_for_a_time(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, "r1", 1).await;
    // Nine manifestly unfounded notices: below the policy's sample of ten.
    unfounded_notices(app, 0, 9).await;
    run_jobs(app).await;
    let n = expect(
        get(app, "/api/v1/notifiers/acme", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(n["overall"]["decided"], 9, "{n}");
    assert_eq!(n["overall"]["manifestly_unfounded"], 9);
    assert_eq!(n["case"]["status"], "clear");
    // The tenth: the figures call for a warning, taken by the job that the
    // decision scheduled in its own transaction.
    unfounded_notices(app, 9, 1).await;
    let r = expect(
        post(app, "/api/v1/admin/jobs/run", &t.admin, json!({})).await,
        StatusCode::OK,
    );
    assert_eq!(r["assessments"], 1, "{r}");
    let n = expect(
        get(app, "/api/v1/notifiers/acme", &t.holder).await,
        StatusCode::OK,
    );
    assert_eq!(n["case"]["status"], "warned", "{n}");
    assert_eq!(n["overall"]["unfounded_rate"], 1.0);
    assert_eq!(n["by_reason"][0]["reason"], "counterfeit");
    // The notifier and its agent see their own record; nobody else does.
    expect(
        get(app, "/api/v1/notifiers/acme", &t.agent).await,
        StatusCode::OK,
    );
    for other in [&t.seller, &t.rival] {
        let r = get(app, "/api/v1/notifiers/acme", other).await;
        assert_eq!(r.0, StatusCode::NOT_FOUND, "{}", r.1);
    }
    // A warned notifier may still file; a day later it goes on abusing.
    advance_days(app, 1).await;
    unfounded_notices(app, 10, 10).await;
    run_jobs(app).await;
    let cases = expect(
        get(app, "/api/v1/notifiers/cases", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(cases[0]["notifier"], "acme", "{cases}");
    assert_eq!(cases[0]["case"]["status"], "awaiting_decision");
    let r = get(app, "/api/v1/notifiers/cases", &t.holder).await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    // A person decides, with a reason; the notifier cannot decide its own case.
    let r = post(
        app,
        "/api/v1/notifiers/acme/decision",
        &t.holder,
        json!({"suspend": false, "reason": "we are fine"}),
    )
    .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    let r = post(
        app,
        "/api/v1/notifiers/acme/decision",
        &t.admin,
        json!({"suspend": true, "reason": "  "}),
    )
    .await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
    let case = expect(
        post(app, "/api/v1/notifiers/acme/decision", &t.admin,
            json!({"suspend": true, "reason": "20 of 20 notices manifestly unfounded after a warning"}))
        .await,
        StatusCode::OK,
    );
    assert_eq!(case["status"], "suspended");
    assert!(case["until"].is_string());
    // A second decision on a decided case is refused.
    let again = post(
        app,
        "/api/v1/notifiers/acme/decision",
        &t.admin,
        json!({"suspend": true, "reason": "again"}),
    )
    .await;
    assert_eq!(again.0, StatusCode::CONFLICT, "{}", again.1);
    // While suspended, its notices are refused, also through its agent and in a batch.
    let body = json!({"id": "CS1", "right": "r1", "reason": "counterfeit",
        "listings": [{"id": "LS1", "seller": "shop2", "category_classes": [25]}], "evidence": [sha(0xee)]});
    for token in [&t.holder, &t.agent] {
        let r = post(app, "/api/v1/complaints", token, body.clone()).await;
        assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
        assert_eq!(r.1["error"]["code"], "notifier_suspended");
        assert!(
            r.1["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Art. 23")
        );
    }
    let r = post(
        app,
        "/api/v1/complaints/batch",
        &t.holder,
        json!({"complaints": [body.clone()]}),
    )
    .await;
    assert_eq!(
        r.1["results"][0]["error"]["code"], "notifier_suspended",
        "{}",
        r.1
    );
    // Another rights holder is not affected.
    let other = post(
        app,
        "/api/v1/rights",
        &t.rival,
        json!({"id": "rv1", "kind": "trademark",
        "jurisdiction": "CN", "registration_number": "987", "nice_classes": [25],
        "valid_from": "2020-01-01", "certificates": [sha(0x77)]}),
    )
    .await;
    assert_eq!(other.0, StatusCode::CREATED, "{}", other.1);
    // After the term it may file again, back under watch.
    advance_days(app, 31).await;
    expect(
        post(app, "/api/v1/complaints", &t.holder, body).await,
        StatusCode::CREATED,
    );
    let case = expect(
        post(app, "/api/v1/notifiers/acme/assess", &t.admin, json!({})).await,
        StatusCode::OK,
    );
    assert_eq!(case["status"], "warned", "{case}");
    let r = post(app, "/api/v1/notifiers/acme/assess", &t.holder, json!({})).await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    // Every step is in the audit log, and the chain is whole.
    use rightsguard_store::Store as _;
    let audit = app
        .state
        .app
        .store()
        .audit_of(&rightsguard_domain::event::Subject::Notifier {
            notifier: rightsguard_domain::ids::OrgId::parse("acme").unwrap(),
        })
        .await
        .unwrap();
    let kinds: Vec<String> = audit
        .iter()
        .map(|r| {
            serde_json::to_value(&r.event.kind).unwrap()["event"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "notifier_warned",
            "notifier_referred_for_decision",
            "notifier_suspended",
            "notifier_suspension_ended"
        ],
        "{kinds:?}"
    );
    audit_is_intact(app).await;
}

async fn escalation_withdrawal_and_an_internal_complaint_over_http(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, "r1", 1).await;
    // The rights list: the holder sees its own, staff the verification queue.
    let mine = expect(get(app, "/api/v1/rights", &t.holder).await, StatusCode::OK);
    assert_eq!(mine[0]["id"], "r1", "{mine}");
    let none = expect(get(app, "/api/v1/rights", &t.rival).await, StatusCode::OK);
    assert_eq!(none.as_array().unwrap().len(), 0, "{none}");
    let queue = expect(
        get(app, "/api/v1/rights", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(
        queue.as_array().unwrap().len(),
        0,
        "r1 is verified: {queue}"
    );
    let verified = expect(
        get(app, "/api/v1/rights?state=verified", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(verified[0]["id"], "r1", "{verified}");
    let r = get(app, "/api/v1/rights?state=bogus", &t.reviewer).await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
    let r = get(app, "/api/v1/rights", &t.seller).await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    // Forwarded, then escalated in time: the listing stays down past the window.
    complaint(app, "CE", "r1", &[("LE1", "shop2"), ("LE2", "shop1")]).await;
    uphold(app, "CE", "LE1").await;
    for body in [
        (
            &t.seller2,
            json!({"command": "file_counter_notice", "listing": "LE1", "statement": "genuine stock",
                   "evidence": [sha(5)]}),
        ),
        (
            &t.reviewer,
            json!({"command": "decide_counter_notice", "listing": "LE1", "valid": true, "reason": "invoice shown"}),
        ),
        (
            &t.reviewer,
            json!({"command": "confirm_delivery", "listing": "LE1"}),
        ),
    ] {
        expect(command(app, "CE", body.0, body.1).await, StatusCode::OK);
    }
    advance_days(app, 5).await;
    let c = expect(
        command(
            app,
            "CE",
            &t.holder,
            json!({"command": "record_escalation", "listing": "LE1", "kind": "lawsuit",
                   "reference": "(2026) Zhe 0110 Min Chu 123"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(item_state(&c, "LE1"), "escalated");
    advance_days(app, 30).await;
    run_jobs(app).await;
    let c = expect(
        get(app, "/api/v1/complaints/CE", &t.holder).await,
        StatusCode::OK,
    );
    assert_eq!(
        item_state(&c, "LE1"),
        "escalated",
        "the window's end is moot"
    );
    // Only staff record the court's outcome.
    let r = command(
        app,
        "CE",
        &t.holder,
        json!({"command": "record_escalation_outcome", "listing": "LE1", "infringement_found": true}),
    )
    .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    expect(
        command(
            app,
            "CE",
            &t.reviewer,
            json!({"command": "record_escalation_outcome", "listing": "LE1", "infringement_found": true}),
        )
        .await,
        StatusCode::OK,
    );
    let standing = expect(
        get(app, "/api/v1/sellers/shop2/standing", &t.admin).await,
        StatusCode::OK,
    );
    assert_eq!(standing["serious_strikes"], 1, "{standing}");

    // Withdrawn by the complainant while under review; the seller cannot withdraw it.
    let r = command(
        app,
        "CE",
        &t.seller,
        json!({"command": "withdraw", "listing": "LE2"}),
    )
    .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    let c = expect(
        command(
            app,
            "CE",
            &t.holder,
            json!({"command": "withdraw", "listing": "LE2"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(item_state(&c, "LE2"), "withdrawn");
    let queue = expect(
        get(app, "/api/v1/review-queue", &t.reviewer).await,
        StatusCode::OK,
    );
    assert!(
        !queue
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["listing"] == "LE2"),
        "a withdrawn listing leaves the queue: {queue}"
    );

    // An internal complaint (DSA Art. 20) reverses a takedown; the reviewer
    // who took the decision may not decide it, another member of staff may.
    complaint(app, "CI", "r1", &[("LI", "shop1")]).await;
    uphold(app, "CI", "LI").await;
    advance_days(app, 7).await;
    run_jobs(app).await;
    let s = expect(
        get(app, "/api/v1/sellers/shop1/standing", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(s["serious_strikes"], 1, "{s}");
    expect(
        command(
            app,
            "CI",
            &t.seller,
            json!({"command": "file_internal_complaint", "listing": "LI",
                   "grounds": "the goods are genuine; customs papers attached"}),
        )
        .await,
        StatusCode::OK,
    );
    let reverse = json!({"command": "decide_internal_complaint", "listing": "LI", "reverse": true,
                         "reason": "customs papers check out"});
    let r = command(app, "CI", &t.reviewer, reverse.clone()).await;
    assert!(
        r.0.is_client_error(),
        "the decider may not judge the appeal: {}",
        r.1
    );
    let c = expect(command(app, "CI", &t.admin, reverse).await, StatusCode::OK);
    assert_eq!(item_state(&c, "LI"), "reinstated");
    let s = expect(
        get(app, "/api/v1/sellers/shop1/standing", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(
        s["serious_strikes"], 0,
        "a reversed takedown no longer counts: {s}"
    );
    audit_is_intact(app).await;
}

/// A notifier files, as "its" evidence, a picture that the reported seller
/// showed on its own listing before anyone else: the complaint carries a flag
/// (API, page, audit) for the reviewer; a picture first shown by someone else,
/// or only after the complaint, is not flagged.
async fn evidence_the_seller_showed_first_is_flagged_for_the_reviewer(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, "r1", 1).await;
    // shop1 shows its photo 0x51 on L-own; shop2 shows 0x52 first.
    for (token, id, image) in [
        (&t.seller, "L-own", sha(0x51)),
        (&t.seller2, "L-first", sha(0x52)),
    ] {
        expect(
            post(
                app,
                "/api/v1/listings",
                token,
                json!({"id": id, "title": "Canvas tote bag", "category": "Shoes", "image_hashes": [image]}),
            )
            .await,
            StatusCode::CREATED,
        );
    }
    advance_days(app, 1).await;
    // shop1 later shows 0x52 too (a copy of shop2's picture).
    expect(
        post(
            app,
            "/api/v1/listings",
            &t.seller,
            json!({"id": "L-copy", "title": "Tote bag", "category": "Shoes", "image_hashes": [sha(0x52)]}),
        )
        .await,
        StatusCode::CREATED,
    );
    advance_days(app, 1).await;
    let c = expect(
        post(
            app,
            "/api/v1/complaints",
            &t.holder,
            json!({"id": "C1", "right": "r1", "reason": "counterfeit",
                   "listings": [{"id": "L-copy", "seller": "shop1", "category_classes": [25]}],
                   "evidence": [sha(0x51), sha(0x52), sha(0xee)]}),
        )
        .await,
        StatusCode::CREATED,
    );
    let flags = c["evidence_flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{c}");
    assert_eq!(flags[0]["evidence"], sha(0x51));
    assert_eq!(flags[0]["listing"], "L-own");
    assert_eq!(flags[0]["seller"], "shop1");
    assert_eq!(flags[0]["before_right"], false);
    // The reviewer and the seller see it; so does the audit trail.
    for token in [&t.reviewer, &t.seller] {
        let seen = expect(
            get(app, "/api/v1/complaints/C1", token).await,
            StatusCode::OK,
        );
        assert_eq!(seen["evidence_flags"], c["evidence_flags"]);
    }
    let audit = app
        .state
        .app
        .store()
        .audit_of(&rightsguard_domain::event::Subject::Complaint {
            complaint: rightsguard_domain::ids::ComplaintId::parse("C1").unwrap(),
            listing: None,
        })
        .await
        .unwrap();
    assert!(
        audit.iter().any(|r| matches!(
            &r.event.kind,
            rightsguard_domain::event::EventKind::EvidenceIsSellersImage { listing, .. }
                if listing.as_str() == "L-own"
        )),
        "the flag is in the audit trail"
    );
    // A complaint whose evidence nobody showed first carries no flag.
    let plain = complaint(app, "C2", "r1", &[("L-first", "shop2")]).await;
    assert_eq!(plain["evidence_flags"], json!([]));
    audit_is_intact(app).await;
}

/// A registration certificate already on file for one organisation's right
/// cannot prove another organisation's right.
async fn a_certificate_another_organisation_registered_is_refused(app: &TestApp) {
    let t = &app.tokens;
    verified_right(app, "r1", 1).await;
    let (status, body) = post(
        app,
        "/api/v1/rights",
        &t.rival,
        json!({"id": "r-rival", "kind": "trademark", "jurisdiction": "CN", "registration_number": "123",
               "nice_classes": [25], "valid_from": "2020-01-01", "certificates": [sha(1)]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("already registered by another owner") && message.contains("r1"),
        "{message}"
    );
    // The same owner may reuse its certificate for another right (a second class).
    expect(
        post(
            app,
            "/api/v1/rights",
            &t.holder,
            json!({"id": "r2", "kind": "trademark", "jurisdiction": "CN", "registration_number": "124",
                   "nice_classes": [18], "valid_from": "2020-01-01", "certificates": [sha(1)]}),
        )
        .await,
        StatusCode::CREATED,
    );
}
