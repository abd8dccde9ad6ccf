//! Monitoring end to end: the real server on SQLite and on PostgreSQL,
//! driven over HTTP: marks, an incremental scan, who sees which findings,
//! dismissal, a batch complaint from findings, rescans.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::{Client, Method, StatusCode};
use rightsguard_testkit::{TestApp, both};
use serde_json::{Value, json};

both!(findings_are_found_triaged_and_filed_by_their_owner_only);

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Client::new()
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    call(app, Method::GET, path, token, None).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    call(app, Method::POST, path, token, Some(body)).await
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    call(app, Method::PUT, path, token, Some(body)).await
}

fn expect(got: (StatusCode, Value), want: StatusCode) -> Value {
    assert_eq!(got.0, want, "body: {}", got.1);
    got.1
}

async fn run_jobs(app: &TestApp) {
    expect(
        post(app, "/api/v1/admin/jobs/run", &app.tokens.admin, json!({})).await,
        StatusCode::OK,
    );
}

async fn listing(app: &TestApp, token: &str, id: &str, title: &str) {
    expect(
        post(
            app,
            "/api/v1/listings",
            token,
            json!({"id": id, "title": title, "category": "Shoes"}),
        )
        .await,
        StatusCode::CREATED,
    );
}

async fn findings_are_found_triaged_and_filed_by_their_owner_only(app: &TestApp) {
    let t = &app.tokens;
    expect(
        post(
            app,
            "/api/v1/rights",
            &t.holder,
            json!({"id": "r1", "kind": "trademark", "jurisdiction": "CN", "registration_number": "123",
                   "nice_classes": [25], "valid_from": "2020-01-01", "certificates": ["ab".repeat(32)]}),
        )
        .await,
        StatusCode::CREATED,
    );
    expect(
        post(
            app,
            "/api/v1/rights/r1/decision",
            &t.reviewer,
            json!({"command": "verify"}),
        )
        .await,
        StatusCode::OK,
    );
    // Only the owner sets what its right is searched for.
    let marks = json!({"mark": "ACME", "aliases": ["AKME"]});
    expect(
        put(app, "/api/v1/rights/r1/marks", &t.rival, marks.clone()).await,
        StatusCode::NOT_FOUND,
    );
    expect(
        put(app, "/api/v1/rights/r1/marks", &t.holder, marks.clone()).await,
        StatusCode::OK,
    );

    listing(app, &t.seller, "L1", "Genuine 4CME sneakers").await;
    listing(app, &t.seller2, "L2", "AKME sandals").await;
    listing(app, &t.seller2, "L3", "Plain sandals").await;
    run_jobs(app).await;

    let page = expect(
        get(app, "/api/v1/findings?state=open", &t.holder).await,
        StatusCode::OK,
    );
    let found = page["findings"].as_array().unwrap();
    assert_eq!(found.len(), 2, "{page}");
    assert!(page["next_cursor"].is_null());
    let l1 = found.iter().find(|f| f["listing"] == "L1").unwrap();
    assert_eq!(l1["explanation"]["method"], "leet");
    assert_eq!(l1["explanation"]["matched"], "4CME");
    assert_eq!(l1["capture"]["title"], "Genuine 4CME sneakers");
    assert_eq!(l1["state"], "open");
    let id1 = l1["id"].as_str().unwrap().to_owned();
    let id2 = found.iter().find(|f| f["listing"] == "L2").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Paging.
    let p1 = expect(
        get(app, "/api/v1/findings?limit=1", &t.holder).await,
        StatusCode::OK,
    );
    let cursor = p1["next_cursor"].as_str().unwrap();
    let p2 = expect(
        get(
            app,
            &format!("/api/v1/findings?limit=1&cursor={cursor}"),
            &t.holder,
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(p2["findings"].as_array().unwrap().len(), 1);
    assert_ne!(p1["findings"][0]["id"], p2["findings"][0]["id"]);

    // The agent of the owner and staff see them; another holder sees none
    // and gets 404 for each; sellers may not look.
    let by_agent = expect(get(app, "/api/v1/findings", &t.agent).await, StatusCode::OK);
    assert_eq!(by_agent["findings"].as_array().unwrap().len(), 2);
    let by_staff = expect(
        get(app, "/api/v1/findings", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(by_staff["findings"].as_array().unwrap().len(), 2);
    let by_rival = expect(get(app, "/api/v1/findings", &t.rival).await, StatusCode::OK);
    assert!(by_rival["findings"].as_array().unwrap().is_empty());
    let path1 = format!("/api/v1/findings/{id1}");
    expect(get(app, &path1, &t.rival).await, StatusCode::NOT_FOUND);
    expect(get(app, &path1, &t.seller).await, StatusCode::NOT_FOUND);
    expect(
        get(app, "/api/v1/findings", &t.seller).await,
        StatusCode::FORBIDDEN,
    );
    expect(
        get(app, "/api/v1/findings/fd-none", &t.holder).await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(
        expect(get(app, &path1, &t.holder).await, StatusCode::OK)["id"],
        id1.as_str()
    );
    let bad = expect(
        get(app, "/api/v1/findings?state=weird", &t.holder).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(bad["error"]["code"], "invalid");

    // Dismissal: a reason is required, only the owner's side may.
    let dismiss = format!("/api/v1/findings/{id2}/dismiss");
    expect(
        post(app, &dismiss, &t.holder, json!({"reason": " "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    expect(
        post(app, &dismiss, &t.rival, json!({"reason": "x"})).await,
        StatusCode::NOT_FOUND,
    );
    let d = expect(
        post(
            app,
            &dismiss,
            &t.holder,
            json!({"reason": "authorised reseller"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(d["state"], "dismissed");
    assert_eq!(d["dismissed_reason"], "authorised reseller");
    let again = expect(
        post(app, &dismiss, &t.holder, json!({"reason": "x"})).await,
        StatusCode::CONFLICT,
    );
    assert_eq!(again["error"]["code"], "wrong_state");

    // A batch complaint from the open finding, with its capture as evidence.
    expect(
        post(
            app,
            "/api/v1/findings/complaint",
            &t.rival,
            json!({"findings": [id1], "reason": "trademark_misuse"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    let filed = expect(
        post(
            app,
            "/api/v1/findings/complaint",
            &t.holder,
            json!({"findings": [id1], "reason": "trademark_misuse"}),
        )
        .await,
        StatusCode::CREATED,
    );
    let c = &filed["complaints"][0];
    assert_eq!(filed["complaints"].as_array().unwrap().len(), 1);
    assert_eq!(c["right"], "r1");
    assert_eq!(c["listings"], json!(["L1"]));
    assert_eq!(c["evidence"], json!([l1["capture"]["sha256"]]));
    let cid = c["complaint"].as_str().unwrap();
    let complaint = expect(
        get(app, &format!("/api/v1/complaints/{cid}"), &t.holder).await,
        StatusCode::OK,
    );
    assert_eq!(complaint["right"], "r1");
    // The capture is an evidence file the holder can read back.
    let sha = c["evidence"][0].as_str().unwrap();
    expect(
        get(app, &format!("/api/v1/evidence/{sha}"), &t.holder).await,
        StatusCode::OK,
    );
    let f1 = expect(get(app, &path1, &t.holder).await, StatusCode::OK);
    assert_eq!(f1["state"], "complained");
    assert_eq!(f1["complaint"], cid);

    // Rescans: the holder starts one; sellers may not.
    expect(
        post(app, "/api/v1/scans", &t.seller, json!({})).await,
        StatusCode::FORBIDDEN,
    );
    expect(
        post(app, "/api/v1/scans", &t.holder, json!({})).await,
        StatusCode::ACCEPTED,
    );
    run_jobs(app).await;
    let scans = expect(get(app, "/api/v1/scans", &t.holder).await, StatusCode::OK);
    let last = scans
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["reason"] == "requested")
        .unwrap();
    assert_eq!(last["listings"], 3);
    assert_eq!(last["findings_new"], 0);
    assert_eq!(last["findings_known"], 2);
    assert!(
        expect(get(app, "/api/v1/scans", &t.rival).await, StatusCode::OK)
            .as_array()
            .unwrap()
            .is_empty()
    );
}
