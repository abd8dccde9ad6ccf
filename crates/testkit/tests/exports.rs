//! The exports end to end, on SQLite and PostgreSQL: DSA statements of
//! reasons (every one passes the validator written from the Transparency
//! Database's field reference), paging, who sees which statement, Lumen-style
//! notices, the complaints CSV and the transparency report in JSON and CSV.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::{Client, Method, StatusCode};
use rightsguard_domain::dsa::validate::{validate_batch, validate_statement};
use rightsguard_domain::lumen::COMPLAINTS_CSV_HEADER;
use rightsguard_testkit::{TestApp, both};
use serde_json::{Value, json};

both!(exports_follow_the_decisions_and_the_access_rules);

/// One call → status, `Content-Type`, body text.
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    accept: Option<&str>,
) -> (StatusCode, String, String) {
    let mut req = Client::new()
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    let (s, _, t) = raw(app, Method::GET, path, token, None, None).await;
    (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let (s, _, t) = raw(app, Method::POST, path, token, Some(body), None).await;
    (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

fn expect(got: (StatusCode, Value), want: StatusCode) -> Value {
    assert_eq!(got.0, want, "body: {}", got.1);
    got.1
}

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn puids(statements: &Value) -> Vec<String> {
    statements
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["puid"].as_str().unwrap().to_owned())
        .collect()
}

/// A marketplace with one decision of each kind: a takedown of shop1's L1
/// that becomes established (and freezes shop1's store), a rejection of
/// shop2's L2, and shop2's listing L3 held by the blocklist.
async fn decisions(app: &TestApp) {
    let t = &app.tokens;
    expect(
        post(
            app,
            "/api/v1/rights",
            &t.holder,
            json!({"id": "r1", "kind": "trademark", "jurisdiction": "CN", "registration_number": "12345678",
                   "nice_classes": [25], "valid_from": "2020-01-01", "certificates": [sha(1)]}),
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
    expect(
        post(
            app,
            "/api/v1/complaints",
            &t.holder,
            json!({"id": "C1", "right": "r1", "reason": "counterfeit", "evidence": [sha(0xee)],
                   "listings": [{"id": "L1", "seller": "shop1", "category_classes": [25]},
                                {"id": "L2", "seller": "shop2", "category_classes": [25]}]}),
        )
        .await,
        StatusCode::CREATED,
    );
    let cmd = |body: Value| async move {
        expect(
            post(app, "/api/v1/complaints/C1/commands", &t.reviewer, body).await,
            StatusCode::OK,
        )
    };
    cmd(json!({"command": "decide", "listing": "L1", "decision": {"decision": "uphold"}})).await;
    cmd(json!({"command": "decide", "listing": "L2",
               "decision": {"decision": "reject", "reason": "no mark shown", "manifestly_unfounded": false}}))
    .await;
    // Silence: the counter-notice window passes and the takedown is established.
    expect(
        post(
            app,
            "/api/v1/admin/clock/advance",
            &t.admin,
            json!({"seconds": 7 * 86_400}),
        )
        .await,
        StatusCode::OK,
    );
    let done = expect(
        post(app, "/api/v1/admin/jobs/run", &t.admin, json!({})).await,
        StatusCode::OK,
    );
    assert_eq!(done["expired_windows"], 1, "{done}");

    // The blocklist holds shop2's listing.
    let term = expect(
        post(
            app,
            "/api/v1/block-terms",
            &t.holder,
            json!({"right": "r1", "term": "ACMEWEAR"}),
        )
        .await,
        StatusCode::CREATED,
    );
    expect(
        post(
            app,
            &format!(
                "/api/v1/block-terms/{}/decision",
                term["id"].as_str().unwrap()
            ),
            &t.admin,
            json!({"command": "approve"}),
        )
        .await,
        StatusCode::OK,
    );
    let held = expect(
        post(
            app,
            "/api/v1/listings",
            &t.seller2,
            json!({"id": "L3", "title": "AcmeWear hoodie", "category": "Clothing"}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(held["state"], "held", "{held}");
}

async fn exports_follow_the_decisions_and_the_access_rules(app: &TestApp) {
    let t = &app.tokens;
    decisions(app).await;

    // Staff see every statement; each passes the validator, and the page is a valid batch.
    let all = expect(
        get(app, "/api/v1/dsa/statements", &t.admin).await,
        StatusCode::OK,
    );
    assert_eq!(validate_batch(&all), Ok(()), "{all:#}");
    let statements = all["statements"].clone();
    for s in statements.as_array().unwrap() {
        assert_eq!(validate_statement(s), Ok(()), "{s:#}");
    }
    assert!(all.get("next_after").is_none());
    let ids = puids(&statements);
    let kinds: Vec<&str> = ids.iter().map(|p| p.split('-').nth(1).unwrap()).collect();
    assert_eq!(kinds, ["takedown", "suspension", "hold"], "{ids:?}");
    let (takedown, suspension, hold) = (&ids[0], &ids[1], &ids[2]);
    let s0 = &statements[0];
    assert_eq!(s0["source_identity"], "acme");
    assert_eq!(
        s0["category_specification"],
        json!(["KEYWORD_TRADEMARK_INFRINGEMENT"])
    );
    assert!(
        s0["illegal_content_legal_ground"]
            .as_str()
            .unwrap()
            .contains("CN 12345678")
    );
    assert_eq!(
        statements[1]["decision_account"],
        "DECISION_ACCOUNT_SUSPENDED"
    );
    assert_eq!(statements[2]["source_type"], "SOURCE_VOLUNTARY");
    let reviewer = expect(
        get(app, "/api/v1/dsa/statements", &t.reviewer).await,
        StatusCode::OK,
    );
    assert_eq!(puids(&reviewer["statements"]), ids);

    // Paging: one at a time gives the same statements.
    let mut after = 0;
    let mut paged = Vec::new();
    loop {
        let page = expect(
            get(
                app,
                &format!("/api/v1/dsa/statements?limit=1&after={after}"),
                &t.admin,
            )
            .await,
            StatusCode::OK,
        );
        paged.extend(puids(&page["statements"]));
        match page["next_after"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(paged, ids);
    for bad in ["limit=0", "limit=101", "after=-1", "limit=x"] {
        let (s, body) = get(app, &format!("/api/v1/dsa/statements?{bad}"), &t.admin).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }

    // A seller sees its own statements; a rights holder the takedowns of its complaints.
    let shop1 = expect(
        get(app, "/api/v1/dsa/statements", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(
        puids(&shop1["statements"]),
        [takedown.clone(), suspension.clone()]
    );
    let shop2 = expect(
        get(app, "/api/v1/dsa/statements", &t.seller2).await,
        StatusCode::OK,
    );
    assert_eq!(puids(&shop2["statements"]), std::slice::from_ref(hold));
    let holder = expect(
        get(app, "/api/v1/dsa/statements", &t.holder).await,
        StatusCode::OK,
    );
    assert_eq!(puids(&holder["statements"]), std::slice::from_ref(takedown));
    let agent = expect(
        get(app, "/api/v1/dsa/statements", &t.agent).await,
        StatusCode::OK,
    );
    assert_eq!(puids(&agent["statements"]), std::slice::from_ref(takedown));
    let rival = expect(
        get(app, "/api/v1/dsa/statements", &t.rival).await,
        StatusCode::OK,
    );
    assert_eq!(rival["statements"], json!([]));

    // One statement by puid: 404 for anyone it is not about, and for puids that name nothing.
    let one = expect(
        get(
            app,
            &format!("/api/v1/dsa/statements/{takedown}"),
            &t.seller,
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(&one, s0);
    for (who, puid) in [
        (&t.seller2, takedown),
        (&t.rival, takedown),
        (&t.holder, hold),
        (&t.holder, suspension),
        (&t.seller, hold),
    ] {
        let (s, _) = get(app, &format!("/api/v1/dsa/statements/{puid}"), who).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{puid}");
    }
    let hold_seq = hold.rsplit('-').next().unwrap();
    for puid in [
        format!("rg-takedown-{hold_seq}"),
        "rg-takedown-999999".to_owned(),
        "nonsense".to_owned(),
    ] {
        let (s, _) = get(app, &format!("/api/v1/dsa/statements/{puid}"), &t.admin).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{puid}");
    }

    // A complaint's statements.
    let c1 = expect(
        get(app, "/api/v1/complaints/C1/statements", &t.holder).await,
        StatusCode::OK,
    );
    assert_eq!(puids(&c1), std::slice::from_ref(takedown));
    let c1 = expect(
        get(app, "/api/v1/complaints/C1/statements", &t.admin).await,
        StatusCode::OK,
    );
    assert_eq!(puids(&c1), [takedown.clone(), suspension.clone()]);
    let c1 = expect(
        get(app, "/api/v1/complaints/C1/statements", &t.seller2).await,
        StatusCode::OK,
    );
    assert_eq!(c1, json!([]));
    for who in [&t.rival] {
        let (s, _) = get(app, "/api/v1/complaints/C1/statements", who).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let (s, _) = get(app, "/api/v1/complaints/C404/statements", &t.admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Lumen-style notices.
    let n = expect(
        get(app, "/api/v1/complaints/C1/lumen", &t.holder).await,
        StatusCode::OK,
    );
    assert_eq!(n["type"], "Counterfeit");
    assert_eq!(n["action_taken"], "Partial");
    let roles: Vec<&str> = n["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["sender", "principal", "recipient"]);
    assert_eq!(n["entities"][2]["name"], "platform");
    assert_eq!(
        n["works"][0]["infringing_urls"].as_array().unwrap().len(),
        2
    );
    let seen = expect(
        get(app, "/api/v1/complaints/C1/lumen", &t.seller).await,
        StatusCode::OK,
    );
    let urls = seen["works"][0]["infringing_urls"].as_array().unwrap();
    assert_eq!(urls.len(), 1, "a seller sees only its own listing");
    assert_eq!(urls[0]["listing"], "L1");
    let (s, _) = get(app, "/api/v1/complaints/C1/lumen", &t.rival).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let list = expect(
        get(app, "/api/v1/lumen/notices", &t.agent).await,
        StatusCode::OK,
    );
    assert_eq!(list.as_array().unwrap().len(), 1);
    let list = expect(
        get(app, "/api/v1/lumen/notices", &t.rival).await,
        StatusCode::OK,
    );
    assert_eq!(list, json!([]));
    let (s, _) = get(app, "/api/v1/lumen/notices", &t.seller).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, ct, body) = raw(
        app,
        Method::GET,
        "/api/v1/lumen/notices?format=csv",
        &t.admin,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert_eq!(body.lines().count(), 3, "{body}");

    // The complaints CSV.
    let (s, ct, body) = raw(
        app,
        Method::GET,
        "/api/v1/exports/complaints",
        &t.admin,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], COMPLAINTS_CSV_HEADER.join(","));
    assert_eq!(lines.len(), 3, "{body}");
    for l in &lines[1..] {
        assert_eq!(l.split(',').count(), COMPLAINTS_CSV_HEADER.len(), "{l}");
    }
    assert!(
        lines[1].starts_with("C1,") && lines[1].contains(",L1,shop1,established,true,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains(",L2,shop2,rejected,false,"),
        "{}",
        lines[2]
    );
    let (s, _, body) = raw(
        app,
        Method::GET,
        "/api/v1/exports/complaints",
        &t.rival,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body.lines().count(), 1, "only the header: {body}");
    let (s, _, _) = raw(
        app,
        Method::GET,
        "/api/v1/exports/complaints",
        &t.seller,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The transparency report, JSON and CSV.
    let path = "/api/v1/reports/transparency?from=2026-01-01&to=2027-01-01";
    let r = expect(get(app, path, &t.reviewer).await, StatusCode::OK);
    assert_eq!(r["notices"]["complaints"], 1);
    assert_eq!(r["notices"]["listings"], 2);
    assert_eq!(
        r["notices"]["by_type"],
        json!([{"key": "counterfeit", "count": 1}])
    );
    assert_eq!(
        r["actions"]["takedowns_by_ground"],
        json!([{"key": "counterfeit", "count": 1}])
    );
    assert_eq!(r["actions"]["rejected"], 1);
    assert_eq!(r["actions"]["blocklist_holds"], 1);
    assert_eq!(r["time_to_act"]["decisions"], 2);
    assert_eq!(r["suspensions"]["store_freezes"], 1);
    let (s, ct, csv) = raw(
        app,
        Method::GET,
        &format!("{path}&format=csv"),
        &t.admin,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert!(csv.starts_with("section,metric,key,value\r\n"), "{csv}");
    assert!(csv.contains("actions,blocklist_holds,,1\r\n"), "{csv}");
    let (_, ct, by_accept) = raw(app, Method::GET, path, &t.admin, None, Some("text/csv")).await;
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert_eq!(by_accept, csv);
    let empty = expect(
        get(
            app,
            "/api/v1/reports/transparency?from=2025-01-01&to=2025-02-01",
            &t.admin,
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(empty["notices"]["complaints"], 0);
    assert_eq!(empty["time_to_act"]["median_hours"], Value::Null);
    for who in [&t.seller, &t.holder] {
        let (s, _) = get(app, path, who).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    for bad in [
        "from=yesterday&to=2027-01-01",
        "from=2027-01-01&to=2026-01-01",
        "to=2027-01-01",
        "from=2026-01-01&to=2027-01-01&format=xml",
    ] {
        let (s, body) = get(
            app,
            &format!("/api/v1/reports/transparency?{bad}"),
            &t.admin,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
}
