//! Webhooks across server crashes: `rightsguard serve` as a separate process
//! (its own delivery worker on a short interval), SIGKILLed twice — once
//! while the receiver is down, once while a delivery is in flight — and
//! restarted on the same database, on SQLite and on PostgreSQL. The receiver
//! (a real HTTP server in the test) ends up with every event, each at least
//! once and, deduplicated by `webhook-id`, exactly once, first arrivals in
//! order per listing, every signature valid; the delivery that was in flight
//! during the kill arrives again with the same id (at least once, never lost).
//!
//! It lives in the CLI crate for the binary (see `crash.rs`). The server runs
//! on a manual clock that restarts at the same instant; the test moves it
//! past the backoff and the leases through the admin API. The only waiting
//! is for the worker to act, bounded and never asserted on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;
use common::Server;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use rightsguard_app::webhooks::verify_signature;
use rightsguard_store::SqlStore;
use rightsguard_store::webhooks::{DeliveryStatus, WebhookStore};
use rightsguard_testkit::receiver::Receiver;
use rightsguard_testkit::{Backend, Database, create_accounts, fresh_database, test_config};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_webhooks_survive_sigkill_and_a_receiver_outage() {
    let db = fresh_database(Backend::Sqlite).await.unwrap().unwrap();
    survive(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_webhooks_survive_sigkill_and_a_receiver_outage() {
    let Some(db) = fresh_database(Backend::Postgres).await.unwrap() else {
        return;
    };
    survive(db).await;
}

impl Server {
    async fn send(&self, method: reqwest::Method, path: &str, token: &str, body: Value) -> Value {
        let resp = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, path, token, body).await
    }

    async fn advance(&self, admin: &str, seconds: i64) {
        self.post(
            "/api/v1/admin/clock/advance",
            admin,
            json!({ "seconds": seconds }),
        )
        .await;
    }
}

/// Waits (bounded) until `done` holds; the bound only stops a broken run.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting: {what}");
}

async fn survive(db: Database) {
    let state = rightsguard_http::build_state(&test_config(&db).unwrap())
        .await
        .unwrap();
    let t = create_accounts(&state).await.unwrap();
    state.app.store().close().await;
    drop(state);
    let rx = Receiver::start().await.unwrap();
    rx.set_down(true);

    // First server: configure, then enforce while the marketplace is down.
    let s1 = Server::start(&db, &["--webhooks-every-ms", "50"]);
    let created = s1
        .post(
            "/api/v1/webhooks/endpoints",
            &t.admin,
            json!({ "url": rx.url }),
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    s1.post(
        "/api/v1/rights",
        &t.holder,
        json!({"id": "r1", "kind": "trademark", "jurisdiction": "CN",
        "registration_number": "123", "nice_classes": [25], "valid_from": "2020-01-01",
        "certificates": ["01".repeat(32)]}),
    )
    .await;
    s1.post(
        "/api/v1/rights/r1/decision",
        &t.reviewer,
        json!({"command": "verify"}),
    )
    .await;
    let term = s1
        .post(
            "/api/v1/block-terms",
            &t.holder,
            json!({"right": "r1", "term": "ACME"}),
        )
        .await;
    let term = term["id"].as_str().unwrap();
    s1.post(
        &format!("/api/v1/block-terms/{term}/decision"),
        &t.admin,
        json!({"command": "approve"}),
    )
    .await;
    let listings = ["L1", "L2", "L3", "L4"];
    let items: Vec<Value> = listings
        .iter()
        .map(|l| json!({"id": l, "seller": "shop1", "category_classes": [25]}))
        .collect();
    s1.post(
        "/api/v1/complaints",
        &t.holder,
        json!({"id": "C1", "right": "r1", "reason": "counterfeit",
        "listings": items, "evidence": ["ee".repeat(32)]}),
    )
    .await;
    for l in listings {
        s1.post(
            "/api/v1/complaints/C1/commands",
            &t.reviewer,
            json!({"command": "decide", "listing": l, "decision": {"decision": "uphold"}}),
        )
        .await;
        s1.post(
            "/api/v1/listings",
            &t.seller,
            json!({"id": format!("{l}-new"), "title": "ACME shoes", "category": "Shoes"}),
        )
        .await;
        s1.send(
            reqwest::Method::PUT,
            &format!("/api/v1/listings/{l}-new"),
            &t.seller,
            json!({"version": 1, "title": "Shoes", "category": "Shoes"}),
        )
        .await;
    }
    // 8 listings, 12 events; the worker tries each listing's head and backs off.
    until("the first attempts", || rx.refused() >= 8).await;
    s1.kill();

    // Second server: the receiver is back but slow; killed mid-delivery.
    rx.set_down(false);
    rx.hold_answers(Duration::from_secs(30));
    let s2 = Server::start(&db, &["--webhooks-every-ms", "50"]);
    s2.advance(&t.admin, 3600).await;
    until("a delivery in flight", || !rx.received().is_empty()).await;
    s2.kill();
    let in_flight: BTreeSet<String> = rx.received().into_iter().map(|r| r.id).collect();

    // Third server: past the backoff and the dead server's leases.
    rx.hold_answers(Duration::ZERO);
    let s3 = Server::start(&db, &["--webhooks-every-ms", "50"]);
    s3.advance(&t.admin, 7200).await;
    let watch = SqlStore::connect(&db.url).await.unwrap();
    let events = watch.outbox_events(0, 1000).await.unwrap();
    assert_eq!(events.len(), 12);
    let want: BTreeSet<String> = events.iter().map(|e| e.id.clone()).collect();
    until("every event", || {
        rx.received()
            .iter()
            .map(|r| r.id.clone())
            .collect::<BTreeSet<_>>()
            == want
    })
    .await;
    // Every outcome is recorded: nothing left pending.
    let mut left = usize::MAX;
    for _ in 0..600 {
        left = watch
            .deliveries(None, Some(DeliveryStatus::Pending), 100)
            .await
            .unwrap()
            .len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "deliveries still pending after everything arrived");
    s3.kill();

    let got = rx.received();
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for r in &got {
        assert!(
            verify_signature(&secret, &r.id, r.timestamp, &r.body, &r.signature),
            "{}",
            r.id
        );
        assert_eq!(r.json["id"], r.id.as_str());
        if !seen.insert(r.id.clone()) {
            continue;
        }
        let listing = r.json["data"]["listing"].as_str().unwrap().to_owned();
        let seq = r.json["listing_seq"].as_i64().unwrap();
        let prev = last.insert(listing.clone(), seq).unwrap_or(0);
        assert_eq!(seq, prev + 1, "listing {listing}: event {seq} after {prev}");
    }
    assert_eq!(seen, want, "every event, once by id");
    for id in &in_flight {
        assert!(
            got.iter().filter(|r| &r.id == id).count() >= 2,
            "{id} was in flight at the kill and came again"
        );
    }
    watch.close().await;
    db.drop_now().await.unwrap();
}

/// The example receiver (`examples/webhook_receiver.py`, standard library
/// only) accepts the server's real deliveries, refuses a forged one and
/// processes a repeated id once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_receiver_verifies_real_deliveries() {
    let db = fresh_database(Backend::Sqlite).await.unwrap().unwrap();
    let state = rightsguard_http::build_state(&test_config(&db).unwrap())
        .await
        .unwrap();
    let t = create_accounts(&state).await.unwrap();
    state.app.store().close().await;
    drop(state);
    let s = Server::start(&db, &["--webhooks-every-ms", "50"]);
    let created = s
        .post(
            "/api/v1/webhooks/endpoints",
            &t.admin,
            json!({"url": "http://127.0.0.1:9/", "event_types": ["listing.held", "listing.released"]}),
        )
        .await;
    let id = created["endpoint"]["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/webhook_receiver.py"
    );
    let python = std::env::var("RG_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut receiver = Command::new(python)
        .args([
            script,
            "--port",
            "0",
            "--tolerance",
            "0",
            "--secret",
            &secret,
        ])
        .arg("--log")
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(receiver.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the receiver exited").unwrap();
        if let Some(rest) = line.split("receiving on ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    s.send(
        reqwest::Method::PATCH,
        &format!("/api/v1/webhooks/endpoints/{id}"),
        &t.admin,
        json!({ "url": url }),
    )
    .await;

    s.post(
        "/api/v1/rights",
        &t.holder,
        json!({"id": "r1", "kind": "trademark", "jurisdiction": "CN",
        "registration_number": "123", "nice_classes": [25], "valid_from": "2020-01-01",
        "certificates": ["01".repeat(32)]}),
    )
    .await;
    s.post(
        "/api/v1/rights/r1/decision",
        &t.reviewer,
        json!({"command": "verify"}),
    )
    .await;
    let term = s
        .post(
            "/api/v1/block-terms",
            &t.holder,
            json!({"right": "r1", "term": "ACME"}),
        )
        .await;
    let term = term["id"].as_str().unwrap();
    s.post(
        &format!("/api/v1/block-terms/{term}/decision"),
        &t.admin,
        json!({"command": "approve"}),
    )
    .await;
    s.post(
        "/api/v1/listings",
        &t.seller,
        json!({"id": "L1", "title": "ACME shoes", "category": "Shoes"}),
    )
    .await;
    s.send(
        reqwest::Method::PUT,
        "/api/v1/listings/L1",
        &t.seller,
        json!({"version": 1, "title": "Shoes", "category": "Shoes"}),
    )
    .await;

    let read = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    until("the example receiver logs both events", || {
        read().len() == 2
    })
    .await;
    let got = read();
    assert_eq!(got[0]["type"], "listing.held");
    assert_eq!(got[1]["type"], "listing.released");
    assert_eq!(got[0]["listing"], "L1");
    assert_eq!(got[1]["listing_seq"], 2);
    let delivered = s
        .send(
            reqwest::Method::GET,
            "/api/v1/webhooks/deliveries?status=delivered",
            &t.admin,
            Value::Null,
        )
        .await;
    assert_eq!(
        delivered.as_array().unwrap().len(),
        2,
        "the receiver answered 2xx"
    );

    // A forged delivery is refused; a repeated one is acknowledged, not redone.
    let client = reqwest::Client::new();
    let body =
        r#"{"id":"evt_1","type":"listing.reinstated","listing_seq":9,"data":{"listing":"L1"}}"#;
    let forged = client
        .post(&url)
        .header("webhook-id", "evt_1")
        .header("webhook-timestamp", "1")
        .header("webhook-signature", "v1,AAAA")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let first = got[0]["id"].as_str().unwrap();
    s.post(
        &format!("/api/v1/webhooks/events/{first}/redeliver"),
        &t.admin,
        Value::Null,
    )
    .await;
    let mut redelivered = false;
    for _ in 0..600 {
        let v = s
            .send(
                reqwest::Method::GET,
                "/api/v1/webhooks/deliveries?status=delivered",
                &t.admin,
                Value::Null,
            )
            .await;
        if v.as_array()
            .unwrap()
            .iter()
            .any(|d| d["event_id"] == first && d["log"].as_array().unwrap().len() == 2)
        {
            redelivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(redelivered, "the redelivery was answered 2xx");
    assert_eq!(read().len(), 2, "a repeated id is not processed twice");
    s.kill();
    receiver.kill().unwrap();
    receiver.wait().unwrap();
}

/// `rightsguard webhook add|list|rotate|disable` on a database file.
#[test]
fn the_webhook_commands_add_list_rotate_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("rg.sqlite").display());
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
            .args(["webhook"])
            .args(args)
            .args(["--db", &db])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (ok, out, _) = run(&[
        "add",
        "--url",
        "https://m.example/hook",
        "--event",
        "listing.held,listing.released",
    ]);
    assert!(ok, "{out}");
    let added: Value = serde_json::from_str(out.trim()).unwrap();
    let id = added["id"].as_str().unwrap().to_owned();
    let first = added["secret"].as_str().unwrap().to_owned();
    assert!(first.starts_with("whsec_"));
    assert_eq!(
        added["event_types"],
        json!(["listing.held", "listing.released"])
    );

    let (ok, out, _) = run(&["list"]);
    assert!(ok);
    assert!(
        out.contains(&id) && !out.contains(&first),
        "secrets stay hidden: {out}"
    );

    let (ok, out, _) = run(&["rotate", "--id", &id, "--grace-hours", "2"]);
    assert!(ok, "{out}");
    let rotated: Value = serde_json::from_str(out.trim()).unwrap();
    assert_ne!(rotated["secret"].as_str().unwrap(), first);
    let secrets = rotated["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2);
    assert!(
        secrets[0]["expires_at"].is_string(),
        "the old secret expires"
    );
    assert!(secrets[1]["expires_at"].is_null());

    let (ok, out, _) = run(&["disable", "--id", &id]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap()["enabled"],
        false
    );

    let (ok, _, err) = run(&["add", "--url", "ftp://m.example/"]);
    assert!(!ok && err.contains("http(s)"), "{err}");
    let (ok, _, err) = run(&[
        "add",
        "--url",
        "https://m.example/",
        "--event",
        "store.exploded",
    ]);
    assert!(!ok && err.contains("unknown event type"), "{err}");
    let (ok, _, err) = run(&["rotate", "--id", "whe_nope"]);
    assert!(!ok && err.contains("not found"), "{err}");
}
