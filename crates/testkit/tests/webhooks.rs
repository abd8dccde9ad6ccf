//! Webhooks end to end: the real server, a real receiver HTTP server, on
//! SQLite and PostgreSQL. Enforcement actions made over the API while the
//! receiver is down reach it, once each by id and in order per listing, with
//! valid signatures, after it comes back; a rotated secret signs beside the
//! old one for the grace period and alone after it; an admin redelivers an
//! event; only admins see or change any of it.
//!
//! Delivery passes are driven explicitly (`App::deliver_webhooks`, the same
//! call the server's worker makes on its interval) and time is moved on the
//! manual clock, so nothing waits. The restart of a real `serve` process is
//! in `crates/cli/tests/webhooks.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Client, Method, StatusCode};
use rightsguard_app::webhooks::{delivery_client, verify_signature};
use rightsguard_store::webhooks::WebhookStore;
use rightsguard_testkit::receiver::{Received, Receiver};
use rightsguard_testkit::{Backend, TestApp, both, spawn_app};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_webhooks_reach_a_receiver_that_was_down_once_each_in_order_signed() {
    let app = spawn_app(Backend::Sqlite).await.unwrap().unwrap();
    webhooks_end_to_end(&app).await;
    app.finish().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_webhooks_reach_a_receiver_that_was_down_once_each_in_order_signed() {
    let Some(app) = spawn_app(Backend::Postgres).await.unwrap() else {
        return;
    };
    webhooks_end_to_end(&app).await;
    app.finish().await.unwrap();
}

both!(
    store_frozen_then_unfrozen_reach_a_receiver_in_order_signed,
    endpoints_on_private_networks_are_refused_at_registration_and_delivery,
);

/// Runs delivery passes until one finds nothing due; returns attempts made.
async fn deliver(app: &TestApp) -> usize {
    let client = delivery_client(app.state.app.egress()).unwrap();
    let mut attempted = 0;
    loop {
        let pass = app
            .state
            .app
            .deliver_webhooks(&app.state.worker, &client)
            .await
            .unwrap();
        if pass.attempted == 0 {
            return attempted;
        }
        attempted += pass.attempted;
    }
}

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

/// Right r1 (class 25) verified, and "ACME" on the blocklist.
async fn right_and_block_term(app: &TestApp) {
    let t = &app.tokens;
    app.ok(
        Method::POST,
        "/api/v1/rights",
        &t.holder,
        Some(json!({"id": "r1", "kind": "trademark",
        "jurisdiction": "CN", "registration_number": "123", "nice_classes": [25],
        "valid_from": "2020-01-01", "certificates": [sha(1)]})),
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
    let term = app
        .ok(
            Method::POST,
            "/api/v1/block-terms",
            &t.holder,
            Some(json!({"right": "r1", "term": "ACME"})),
        )
        .await
        .unwrap();
    let id = term["id"].as_str().unwrap();
    app.ok(
        Method::POST,
        &format!("/api/v1/block-terms/{id}/decision"),
        &t.admin,
        Some(json!({"command": "approve"})),
    )
    .await
    .unwrap();
}

/// A listing of shop1 held by the blocklist, then released by a clean edit.
async fn held_then_released(app: &TestApp, id: &str) {
    let t = &app.tokens;
    let held = app
        .ok(
            Method::POST,
            "/api/v1/listings",
            &t.seller,
            Some(json!({"id": id, "title": "ACME running shoes", "category": "Shoes"})),
        )
        .await
        .unwrap();
    assert_eq!(held["state"], "held");
    let released = app
        .ok(
            Method::PUT,
            &format!("/api/v1/listings/{id}"),
            &t.seller,
            Some(json!({"version": 1, "title": "Running shoes", "category": "Shoes"})),
        )
        .await
        .unwrap();
    assert_eq!(released["state"], "active");
}

async fn take_down(app: &TestApp, cid: &str, listings: &[&str]) {
    let t = &app.tokens;
    let ls: Vec<Value> = listings
        .iter()
        .map(|l| json!({"id": l, "seller": "shop1", "category_classes": [25]}))
        .collect();
    app.ok(
        Method::POST,
        "/api/v1/complaints",
        &t.holder,
        Some(json!({"id": cid, "right": "r1",
        "reason": "counterfeit", "listings": ls, "evidence": [sha(0xee)]})),
    )
    .await
    .unwrap();
    for l in listings {
        app.ok(
            Method::POST,
            &format!("/api/v1/complaints/{cid}/commands"),
            &t.reviewer,
            Some(json!({"command": "decide", "listing": l, "decision": {"decision": "uphold"}})),
        )
        .await
        .unwrap();
    }
}

/// What events are ordered by: the listing, the account or the store.
fn order_key(event: &Value) -> String {
    let data = &event["data"];
    let kind = event["type"].as_str().unwrap();
    if kind.starts_with("store.") {
        format!("store:{}", data["seller"].as_str().unwrap())
    } else if let Some(a) = data["account"].as_str() {
        format!("account:{a}")
    } else {
        data["listing"].as_str().unwrap().to_owned()
    }
}

/// Every delivery verifies under `secret`; first arrivals per listing come in
/// `listing_seq` order with no gap.
fn check_signed_and_ordered(got: &[Received], secret: &str) {
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for r in got {
        assert!(
            verify_signature(secret, &r.id, r.timestamp, &r.body, &r.signature),
            "signature of {} does not verify: {}",
            r.id,
            r.signature
        );
        assert_eq!(r.json["id"], r.id.as_str(), "webhook-id is the body's id");
        if !seen.insert(r.id.clone()) {
            continue;
        }
        let listing = order_key(&r.json);
        let seq = r.json["listing_seq"].as_i64().unwrap();
        let prev = last.insert(listing.clone(), seq).unwrap_or(0);
        assert_eq!(seq, prev + 1, "listing {listing}: event {seq} after {prev}");
    }
}

async fn webhooks_end_to_end(app: &TestApp) {
    let t = &app.tokens;
    let rx = Receiver::start().await.unwrap();

    // Only admins configure webhooks: 403 for everyone else.
    for token in [&t.reviewer, &t.holder, &t.seller, &t.agent] {
        let (s, v) = app
            .call(Method::GET, "/api/v1/webhooks/endpoints", token, None)
            .await
            .unwrap();
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, _) = app
            .call(
                Method::POST,
                "/api/v1/webhooks/endpoints",
                token,
                Some(json!({"url": rx.url})),
            )
            .await
            .unwrap();
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app
            .call(Method::GET, "/api/v1/webhooks/deliveries", token, None)
            .await
            .unwrap();
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app
            .call(
                Method::POST,
                "/api/v1/webhooks/events/evt_1/redeliver",
                token,
                None,
            )
            .await
            .unwrap();
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    // Bad input has field errors.
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/webhooks/endpoints",
            &t.admin,
            Some(json!({"url": rx.url, "event_types": ["listing.exploded"]})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "event_types");
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/webhooks/endpoints",
            &t.admin,
            Some(json!({"url": "file:///etc/passwd"})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .call(
            Method::GET,
            "/api/v1/webhooks/endpoints/whe_nope",
            &t.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::NOT_FOUND);

    let created = app
        .ok(
            Method::POST,
            "/api/v1/webhooks/endpoints",
            &t.admin,
            Some(json!({"url": rx.url, "description": "the marketplace"})),
        )
        .await
        .unwrap();
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let listed = app
        .ok(Method::GET, "/api/v1/webhooks/endpoints", &t.admin, None)
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        !listed.to_string().contains(&secret),
        "secrets are shown only when made"
    );
    // A second endpoint for takedowns only, disabled: it must get nothing.
    let other = app
        .ok(
            Method::POST,
            "/api/v1/webhooks/endpoints",
            &t.admin,
            Some(json!({"url": rx.url, "event_types": ["listing.taken_down"], "enabled": false})),
        )
        .await
        .unwrap();
    let other_id = other["endpoint"]["id"].as_str().unwrap();
    let one = app
        .ok(
            Method::GET,
            &format!("/api/v1/webhooks/endpoints/{other_id}"),
            &t.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(one["event_types"], json!(["listing.taken_down"]));
    assert_eq!(one["enabled"], false);

    // The marketplace is down while enforcement happens.
    rx.set_down(true);
    right_and_block_term(app).await;
    take_down(app, "C1", &["L1", "L2"]).await;
    held_then_released(app, "L3").await;
    held_then_released(app, "L1").await;
    let events = app.state.app.store().outbox_events(0, 100).await.unwrap();
    let kinds: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.listing.clone(), e.kind.to_string()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("L1", "listing.taken_down"),
            ("L2", "listing.taken_down"),
            ("L3", "listing.held"),
            ("L3", "listing.released"),
            ("L1", "listing.held"),
            ("L1", "listing.released"),
        ]
        .map(|(l, k)| (l.to_owned(), k.to_owned()))
    );
    // Attempts fail and back off; only the head of each listing is tried.
    assert_eq!(deliver(app).await, 3, "one attempt per listing head");
    assert_eq!(deliver(app).await, 0, "nothing due before the backoff ends");
    app.advance(10).await.unwrap();
    assert_eq!(deliver(app).await, 3);
    app.advance(20).await.unwrap();
    assert_eq!(deliver(app).await, 3);
    assert_eq!(rx.refused(), 9);
    assert!(rx.received().is_empty());
    let pending = app
        .ok(
            Method::GET,
            &format!("/api/v1/webhooks/deliveries?endpoint={endpoint}&status=pending"),
            &t.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 6);
    let head = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event_id"] == events[0].id.as_str())
        .unwrap();
    assert_eq!(head["attempts"], 3);
    assert_eq!(head["log"].as_array().unwrap().len(), 3);
    assert_eq!(head["log"][0]["status_code"], 503);
    assert!(
        head["log"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 503")
    );
    assert!(head["next_attempt_at"].is_string());

    // Back up: everything arrives, once each, in order per listing, signed.
    rx.set_down(false);
    app.advance(40).await.unwrap();
    assert_eq!(deliver(app).await, 6);
    let got = rx.received();
    let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    let want: BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), want.len(), "each event once: {ids:?}");
    assert_eq!(ids.iter().copied().collect::<BTreeSet<_>>(), want);
    check_signed_and_ordered(&got, &secret);
    let first = got.iter().find(|r| r.id == events[0].id).unwrap();
    assert_eq!(first.json["type"], "listing.taken_down");
    assert_eq!(first.json["data"]["seller"], "shop1");
    assert_eq!(first.json["data"]["complaint"], "C1");
    assert_eq!(first.json["data"]["right"], "r1");
    assert!(first.json["data"]["counter_notice_due"].is_string());
    assert_eq!(
        first.body,
        events[0].payload.as_bytes(),
        "the stored body is what is sent"
    );
    let delivered = app
        .ok(
            Method::GET,
            "/api/v1/webhooks/deliveries?status=delivered",
            &t.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(delivered.as_array().unwrap().len(), 6);
    assert!(delivered[0]["delivered_at"].is_string());
    assert_eq!(
        delivered[0]["log"].as_array().unwrap().last().unwrap()["status_code"],
        204
    );
    let (s, _) = app
        .call(
            Method::GET,
            "/api/v1/webhooks/deliveries?status=lost",
            &t.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Rotation: during the grace period both secrets sign.
    let rotated = app
        .ok(
            Method::POST,
            &format!("/api/v1/webhooks/endpoints/{endpoint}/rotate"),
            &t.admin,
            Some(json!({"grace_hours": 1})),
        )
        .await
        .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(rotated["endpoint"]["secrets"].as_array().unwrap().len(), 2);
    held_then_released(app, "L4").await;
    assert_eq!(
        deliver(app).await,
        2,
        "the hold, then (next pass) the release"
    );
    let got = rx.received();
    check_signed_and_ordered(&got, &secret);
    let during = &got[got.len() - 2..];
    for r in during {
        assert_eq!(r.signature.split(' ').count(), 2, "{}", r.signature);
        assert!(verify_signature(
            &secret,
            &r.id,
            r.timestamp,
            &r.body,
            &r.signature
        ));
        assert!(verify_signature(
            &new_secret,
            &r.id,
            r.timestamp,
            &r.body,
            &r.signature
        ));
    }
    // After it, only the new one.
    app.advance(2 * 3600).await.unwrap();
    held_then_released(app, "L5").await;
    assert_eq!(deliver(app).await + deliver(app).await, 2);
    let got = rx.received();
    for r in &got[got.len() - 2..] {
        assert_eq!(r.signature.split(' ').count(), 1);
        assert!(verify_signature(
            &new_secret,
            &r.id,
            r.timestamp,
            &r.body,
            &r.signature
        ));
        assert!(!verify_signature(
            &secret,
            &r.id,
            r.timestamp,
            &r.body,
            &r.signature
        ));
    }

    // Redelivery: the same event, same id, again; unknown events are 404.
    let redo = app
        .ok(
            Method::POST,
            &format!("/api/v1/webhooks/events/{}/redeliver", events[0].id),
            &t.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(redo["queued"], 1, "only the enabled endpoint");
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/webhooks/events/evt_424242/redeliver",
            &t.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(deliver(app).await, 1);
    let got = rx.received();
    let last = got.last().unwrap();
    assert_eq!(last.id, events[0].id);
    assert!(verify_signature(
        &new_secret,
        &last.id,
        last.timestamp,
        &last.body,
        &last.signature
    ));
    assert_eq!(got.iter().filter(|r| r.id == events[0].id).count(), 2);

    // Disabling stops deliveries; the disabled endpoint never got any.
    let patched = app
        .ok(
            Method::PATCH,
            &format!("/api/v1/webhooks/endpoints/{endpoint}"),
            &t.admin,
            Some(json!({"enabled": false})),
        )
        .await
        .unwrap();
    assert_eq!(patched["enabled"], false);
    held_then_released(app, "L6").await;
    assert_eq!(deliver(app).await, 0);
    let theirs = app
        .ok(
            Method::GET,
            &format!("/api/v1/webhooks/deliveries?endpoint={other_id}"),
            &t.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(theirs, json!([]));
    // The delivery counts are in /metrics.
    let metrics = Client::new()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = metrics
        .lines()
        .find(|l| l.starts_with(r#"rightsguard_webhook_deliveries{status="delivered"}"#))
        .unwrap_or_else(|| panic!("no delivery gauge in {metrics}"));
    assert!(line.ends_with(" 10"), "{line}");
    // Every change to an endpoint is in the audit log, and the chain holds.
    let audit = app
        .ok(Method::GET, "/api/v1/audit/verify", &t.admin, None)
        .await
        .unwrap();
    assert_eq!(audit["first_bad"], Value::Null, "{audit}");
}

/// The (type, key) of every outbox event, oldest first.
async fn outbox(app: &TestApp) -> Vec<(String, String)> {
    let events = app.state.app.store().outbox_events(0, 100).await.unwrap();
    events
        .iter()
        .map(|e| (e.kind.to_string(), e.listing.clone()))
        .collect()
}

/// A counterfeit complaint upheld and left unanswered becomes established:
/// the first serious violation freezes shop1's store for a day. The freeze
/// is an event (audit and outbox in one transaction), its end another,
/// scheduled at the freeze's end; a receiver that was down gets both, in
/// order, signed, once each.
async fn store_frozen_then_unfrozen_reach_a_receiver_in_order_signed(app: &TestApp) {
    let t = &app.tokens;
    let rx = Receiver::start().await.unwrap();
    let created = app.ok(Method::POST,
        "/api/v1/webhooks/endpoints",
        &t.admin,
        Some(json!({"url": rx.url, "event_types": ["store.frozen", "store.unfrozen", "store.closed"]})),
    )
    .await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    rx.set_down(true);
    right_and_block_term(app).await;
    take_down(app, "C1", &["L1"]).await;
    let events = app.state.app.store().outbox_events(0, 100).await.unwrap();
    let due: jiff::Timestamp = events[0].payload_json().unwrap()["data"]["counter_notice_due"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Nothing is frozen while the seller may still answer.
    app.run_jobs().await.unwrap();
    assert_eq!(
        outbox(app).await,
        [("listing.taken_down".into(), "L1".into())]
    );

    app.advance_to(due.checked_add(jiff::SignedDuration::from_secs(1)).unwrap())
        .await
        .unwrap();
    for _ in 0..3 {
        app.run_jobs().await.unwrap();
    }
    let store = |k: &str| (k.to_owned(), "store:shop1".to_owned());
    assert_eq!(
        outbox(app).await,
        [
            ("listing.taken_down".into(), "L1".into()),
            store("store.frozen")
        ]
    );
    let frozen = app.state.app.store().outbox_events(1, 10).await.unwrap();
    let body = frozen[0].payload_json().unwrap();
    assert_eq!(body["data"]["seller"], "shop1");
    assert_eq!(body["data"]["complaint"], "C1");
    assert_eq!(body["listing_seq"], 1);
    assert!(body["data"].get("listing").is_none(), "{body}");
    let until: jiff::Timestamp = body["data"]["until"].as_str().unwrap().parse().unwrap();
    let standing = app
        .ok(
            Method::GET,
            "/api/v1/sellers/shop1/standing",
            &t.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        standing["status"]["until"], body["data"]["until"],
        "{standing}"
    );
    // Down: the freeze waits; running the jobs again announces nothing twice.
    assert_eq!(deliver(app).await, 1);
    app.run_jobs().await.unwrap();
    assert_eq!(outbox(app).await.len(), 2);

    // The freeze's end: its job (due then) announces the unfreeze.
    app.advance_to(
        until
            .checked_sub(jiff::SignedDuration::from_secs(1))
            .unwrap(),
    )
    .await
    .unwrap();
    app.run_jobs().await.unwrap();
    assert_eq!(outbox(app).await.len(), 2, "not before the end");
    app.advance_to(until).await.unwrap();
    let ran = app.run_jobs().await.unwrap();
    assert_eq!(ran["store_statuses"], 1, "{ran}");
    assert_eq!(outbox(app).await[2..], [store("store.unfrozen")]);
    app.run_jobs().await.unwrap();
    assert_eq!(outbox(app).await.len(), 3, "unfrozen once");

    rx.set_down(false);
    app.advance(3600).await.unwrap();
    assert_eq!(deliver(app).await, 2);
    let got = rx.received();
    let kinds: Vec<&str> = got
        .iter()
        .map(|r| r.json["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["store.frozen", "store.unfrozen"],
        "only the subscribed types, in order"
    );
    check_signed_and_ordered(&got, &secret);
    let audit = app
        .ok(Method::GET, "/api/v1/audit/verify", &t.admin, None)
        .await
        .unwrap();
    assert_eq!(audit["first_bad"], Value::Null, "{audit}");
}

/// SSRF: an endpoint on loopback, a private network, link-local (the cloud
/// metadata address) or unique-local IPv6 is refused with a 422 unless the
/// operator allowed its network (these tests allow loopback); at delivery
/// the client's resolver refuses a name whose addresses are not permitted
/// (what a DNS rebinding would need), and the attempt is logged as failed.
async fn endpoints_on_private_networks_are_refused_at_registration_and_delivery(app: &TestApp) {
    let t = &app.tokens;
    for (url, why) in [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10:8080/hook", "private"),
        ("http://[fd00::1]/hook", "unique-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://0.0.0.0:80/", "unspecified"),
    ] {
        let (s, v) = app
            .call(
                Method::POST,
                "/api/v1/webhooks/endpoints",
                &t.admin,
                Some(json!({ "url": url })),
            )
            .await
            .unwrap();
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {v}");
        assert!(v.to_string().contains(why), "{url}: {v}");
    }
    let rx = Receiver::start().await.unwrap();
    let by_name = rx.url.replace("127.0.0.1", "localhost");
    let created = app
        .ok(
            Method::POST,
            "/api/v1/webhooks/endpoints",
            &t.admin,
            Some(json!({ "url": by_name })),
        )
        .await
        .unwrap();
    let id = created["endpoint"]["id"].as_str().unwrap();
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/endpoints/{id}"),
            &t.admin,
            Some(json!({ "url": "http://172.16.5.5/hook" })),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    right_and_block_term(app).await;
    held_then_released(app, "L1").await;
    // A server whose operator allowed nothing resolves the name at delivery
    // and refuses its loopback addresses: nothing is sent.
    let strict = delivery_client(&rightsguard_app::egress::EgressPolicy::default()).unwrap();
    let pass = app
        .state
        .app
        .deliver_webhooks(&app.state.worker, &strict)
        .await
        .unwrap();
    assert_eq!((pass.attempted, pass.delivered), (1, 0));
    assert_eq!(rx.refused(), 0);
    assert!(rx.received().is_empty());
    let log = app
        .ok(
            Method::GET,
            "/api/v1/webhooks/deliveries?status=pending",
            &t.admin,
            None,
        )
        .await
        .unwrap();
    let tried = log
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["attempts"] == 1)
        .unwrap();
    let error = tried["last_error"].as_str().unwrap();
    assert!(error.contains("loopback"), "{error}");
    // With loopback allowed (as configured), it arrives.
    app.advance(60).await.unwrap();
    assert_eq!(deliver(app).await, 2);
    assert_eq!(rx.received().len(), 2);
}
