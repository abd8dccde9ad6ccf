//! Customs recordals and escalation packages over HTTP, on SQLite and
//! PostgreSQL: recordals are recorded, listed and renewed by the holder's
//! side and admins, with clear refusals for everyone and everything else;
//! the reminder before a recordal lapses fires on its day, once, to the
//! holder's users only, and survives a restart of the server; a complaint's
//! proceedings are recorded with their outcome, and its escalation package
//! verifies offline, holds the case, and shows tampering; proceedings carry
//! their documents (accumulating), which the complaint's parties download
//! and the package holds and verifies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use jiff::Timestamp;
use reqwest::{Client, Method, StatusCode};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::ids::{OrgId, RightId, UserId};
use rightsguard_domain::right::RightCommand;
use rightsguard_http::{ClockChoice, build_state};
use rightsguard_store::Store as _;
use rightsguard_testkit::{Backend, TestApp, both, fresh_database, test_config};
use serde_json::{Value, json};

both!(
    customs_recordals_are_recorded_listed_and_renewed_with_clear_refusals,
    the_lapse_reminder_fires_on_its_day_once_to_the_holders_users_only,
    proceedings_and_the_escalation_package_verify_and_show_tampering,
    proceedings_carry_documents_the_parties_download_and_the_package_verifies,
);

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.call(method, path, token, body).await.unwrap()
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    call(app, Method::POST, path, token, Some(body)).await
}

/// A verified China trademark `id` of acme, in force 2015 to 2040.
async fn verified_cn_right(app: &TestApp, id: &str) {
    let t = &app.tokens;
    let (s, v) = post(
        app,
        "/api/v1/rights",
        &t.holder,
        json!({"id": id, "kind": "trademark", "jurisdiction": "CN", "registration_number": "31234567",
               "nice_classes": [25], "valid_from": "2015-01-01", "valid_until": "2040-12-31",
               "certificates": ["ab".repeat(32)]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = post(
        app,
        &format!("/api/v1/rights/{id}/decision"),
        &t.reviewer,
        json!({"command": "verify"}),
    )
    .await;
    assert!(s.is_success(), "{v}");
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

async fn customs_recordals_are_recorded_listed_and_renewed_with_clear_refusals(app: &TestApp) {
    let t = &app.tokens;
    verified_cn_right(app, "r1").await;
    let path = "/api/v1/rights/r1/customs-recordals";
    let (s, v) = post(
        app,
        path,
        &t.holder,
        json!({"number": "T2016-40001", "approved_on": "2016-09-20"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["valid_until"], "2026-09-20");
    assert_eq!(v["capped_by_right"], false);
    assert_eq!(v["renewal_opens_on"], "2026-03-20");

    // The agent acts for acme; an admin may record too.
    let (s, v) = post(
        app,
        path,
        &t.agent,
        json!({"number": "T2020-1", "approved_on": "2020-01-02"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = post(
        app,
        path,
        &t.admin,
        json!({"number": "T2021-1", "approved_on": "2021-01-02"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, list) = call(app, Method::GET, path, &t.reviewer, None).await;
    assert_eq!(s, StatusCode::OK);
    let numbers: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["T2016-40001", "T2020-1", "T2021-1"]);

    // Refusals, each with its reason.
    let bad = [
        // Duplicate number.
        (
            &t.holder,
            path,
            json!({"number": "T2016-40001", "approved_on": "2017-01-01"}),
            StatusCode::CONFLICT,
            "duplicate",
        ),
        // Approved before the right's term began.
        (
            &t.holder,
            path,
            json!({"number": "T9", "approved_on": "2014-12-31"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        // Approved after the right's term ended (and in the future).
        (
            &t.holder,
            path,
            json!({"number": "T9", "approved_on": "2041-01-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        // Not a date.
        (
            &t.holder,
            path,
            json!({"number": "T9", "approved_on": "20-9-2016"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        // A reviewer sees the right but may not record.
        (
            &t.reviewer,
            path,
            json!({"number": "T9", "approved_on": "2017-01-01"}),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        // Strangers: no such right.
        (
            &t.rival,
            path,
            json!({"number": "T9", "approved_on": "2017-01-01"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            &t.seller,
            path,
            json!({"number": "T9", "approved_on": "2017-01-01"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            &t.holder,
            "/api/v1/rights/nope/customs-recordals",
            json!({"number": "T9", "approved_on": "2017-01-01"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (token, p, body, status, want) in bad {
        let (s, v) = post(app, p, token, body.clone()).await;
        assert_eq!((s, code(&v)), (status, want), "{body}: {v}");
        assert!(
            !v["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{v}"
        );
    }
    let (_, v) = post(
        app,
        path,
        &t.holder,
        json!({"number": "T9", "approved_on": "2014-12-31"}),
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2015-01-01 to 2040-12-31"),
        "the message names the right's term: {v}"
    );
    let (s, _) = call(app, Method::GET, path, &t.rival, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Renewal: not before the window opens (2026-03-20; the clock says 2026-03-09).
    let renew = "/api/v1/rights/r1/customs-recordals/T2016-40001/renewal";
    let (s, v) = post(app, renew, &t.holder, json!({"renewed_on": "2026-03-09"})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, "window_closed"),
        "{v}"
    );
    let (s, v) = post(
        app,
        "/api/v1/rights/r1/customs-recordals/T404/renewal",
        &t.holder,
        json!({"renewed_on": "2026-03-09"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    app.state
        .manual_clock
        .as_ref()
        .unwrap()
        .set("2026-04-01T00:00:00Z".parse().unwrap());
    let (s, v) = post(app, renew, &t.reviewer, json!({"renewed_on": "2026-04-01"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = post(app, renew, &t.holder, json!({"renewed_on": "2026-04-01"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["valid_until"], "2036-09-20");
    assert_eq!(v["renewed_on"], "2026-04-01");

    // Every change is in the hash-chained audit log, which still verifies.
    let records = app
        .state
        .app
        .store()
        .audit_of(&rightsguard_domain::event::Subject::Right {
            right: RightId::parse("r1").unwrap(),
        })
        .await
        .unwrap();
    let kinds: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_value(&r.event.kind).unwrap()["event"].to_string())
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.contains("customs_recordal_recorded"))
            .count(),
        3,
        "{kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.contains("customs_recordal_renewed"))
            .count(),
        1
    );
    let (s, v) = call(app, Method::GET, "/api/v1/audit/verify", &t.admin, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["ok"], true, "{v}");
}

async fn run_jobs(app: &TestApp) {
    let (s, v) = call(
        app,
        Method::POST,
        "/api/v1/admin/jobs/run",
        &app.tokens.admin,
        None,
    )
    .await;
    assert!(s.is_success(), "{v}");
}

/// The kinds of notification in a user's inbox.
async fn lapse_notices(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = call(app, Method::GET, "/api/v1/me/notifications", token, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "customs_recordal_lapsing")
        .cloned()
        .collect()
}

async fn the_lapse_reminder_fires_on_its_day_once_to_the_holders_users_only(app: &TestApp) {
    let t = &app.tokens;
    verified_cn_right(app, "r1").await;
    let (s, v) = post(
        app,
        "/api/v1/rights/r1/customs-recordals",
        &t.holder,
        json!({"number": "T2016-40001", "approved_on": "2016-09-20"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let clock = app.state.manual_clock.as_ref().unwrap();
    // The day before the reminder day (six months before 2026-09-20): nothing.
    clock.set("2026-03-18T12:00:00Z".parse().unwrap());
    run_jobs(app).await;
    assert!(lapse_notices(app, &t.holder).await.is_empty());
    // On it: the holder's user, in the inbox, with the number and the day.
    clock.set("2026-03-20T12:00:00Z".parse().unwrap());
    run_jobs(app).await;
    let got = lapse_notices(app, &t.holder).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["right"], "r1");
    let subject = got[0]["subject"].as_str().unwrap();
    assert!(
        subject.contains("T2016-40001") && subject.contains("2026-09-20"),
        "{subject}"
    );
    // Once: running the jobs again adds nothing.
    clock.set("2026-03-21T12:00:00Z".parse().unwrap());
    run_jobs(app).await;
    assert_eq!(lapse_notices(app, &t.holder).await.len(), 1);
    // No one else: not the rival holder, the seller, staff, nor the agent
    // (the notice goes to the owner's own users).
    for other in [&t.rival, &t.seller, &t.reviewer, &t.admin, &t.agent] {
        assert!(lapse_notices(app, other).await.is_empty());
    }
}

async fn proceedings_and_the_escalation_package_verify_and_show_tampering(app: &TestApp) {
    let t = &app.tokens;
    verified_cn_right(app, "r1").await;
    let resp = Client::new()
        .post(app.url("/api/v1/evidence"))
        .bearer_auth(&t.holder)
        .body(b"test buy receipt for listing L1".to_vec())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let sha = resp.json::<Value>().await.unwrap()["sha256"].clone();
    let (s, v) = post(
        app,
        "/api/v1/complaints",
        &t.holder,
        json!({"id": "C1", "right": "r1", "reason": "counterfeit", "evidence": [sha],
               "listings": [{"id": "L1", "seller": "shop1", "category_classes": [25]}]}),
    )
    .await;
    assert!(s.is_success(), "{v}");
    let path = "/api/v1/complaints/C1/proceedings";
    let filed = json!({"route": "administrative_complaint", "authority": "Hangzhou AMR",
                       "reference": "HZ-2026-17", "filed_on": "2026-03-02"});
    let (s, v) = post(app, path, &t.holder, filed.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["outcome"].is_null());
    // The outcome, recorded later on the same reference.
    let mut decided = filed.clone();
    decided["outcome"] = json!("infringement_found");
    decided["decided_on"] = json!("2026-03-08");
    let (s, v) = post(app, path, &t.reviewer, decided).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["outcome"], "infringement_found");
    // A customs proceeding names a recordal of the right, recorded first.
    let customs = json!({"route": "customs_recordal", "authority": "GACC",
                         "reference": "T2016-40001", "filed_on": "2016-08-01"});
    let (s, v) = post(app, path, &t.holder, customs.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("record the recordal first")
    );
    post(
        app,
        "/api/v1/rights/r1/customs-recordals",
        &t.holder,
        json!({"number": "T2016-40001", "approved_on": "2016-09-20"}),
    )
    .await;
    let (s, v) = post(app, path, &t.holder, customs).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Bad input and the wrong people.
    let mut half = filed.clone();
    half["outcome"] = json!("settled");
    let mut future = filed.clone();
    future["filed_on"] = json!("2026-03-10");
    let mut unknown = filed.clone();
    unknown["route"] = json!("arbitration");
    for (token, p, body, status) in [
        (&t.holder, path, half, StatusCode::UNPROCESSABLE_ENTITY),
        (&t.holder, path, future, StatusCode::UNPROCESSABLE_ENTITY),
        (&t.holder, path, unknown, StatusCode::UNPROCESSABLE_ENTITY),
        (&t.seller, path, filed.clone(), StatusCode::FORBIDDEN),
        (&t.rival, path, filed.clone(), StatusCode::NOT_FOUND),
        (
            &t.holder,
            "/api/v1/complaints/nope/proceedings",
            filed.clone(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (s, v) = post(app, p, token, body.clone()).await;
        assert_eq!(s, status, "{body}: {v}");
    }
    let (s, list) = call(app, Method::GET, path, &t.seller, None).await;
    assert_eq!(s, StatusCode::OK, "the seller, a party, may read them");
    assert_eq!(list.as_array().unwrap().len(), 2);

    // The package: the dossier plus escalation.json, one manifest, verified.
    let download = async |token: &str, route: &str| {
        let resp = Client::new()
            .get(app.url(&format!(
                "/api/v1/complaints/C1/escalation-package.zip?route={route}"
            )))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.bytes().await.unwrap().to_vec())
    };
    let (s, zip) = download(&t.holder, "administrative_complaint").await;
    assert_eq!(s, StatusCode::OK);
    let report = rightsguard_dossier::verify(&zip);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(
        report.escalation,
        Some(rightsguard_domain::escalation::Route::AdministrativeComplaint)
    );
    let files = rightsguard_dossier::read_zip(&zip).unwrap();
    for f in [
        "dossier.pdf",
        "case.json",
        "manifest.json",
        "escalation.json",
    ] {
        assert!(files.contains_key(f), "{f} missing: {:?}", files.keys());
    }
    let case: Value = serde_json::from_slice(&files["escalation.json"]).unwrap();
    assert_eq!(case["route"], "administrative_complaint");
    assert_eq!(case["proceedings"].as_array().unwrap().len(), 2);
    assert_eq!(case["customs_recordals"][0]["number"], "T2016-40001");
    let audit = String::from_utf8(files["audit/records.jsonl"].clone()).unwrap();
    assert!(
        audit.contains("escalation_proceeding_recorded")
            && audit.contains("customs_recordal_recorded"),
        "the case's audit records hold the escalation"
    );
    // Tampering with the case file is detected.
    let mut forged = files.clone();
    forged.insert(
        "escalation.json".into(),
        String::from_utf8(files["escalation.json"].clone())
            .unwrap()
            .replace("infringement_found", "no_infringement")
            .into_bytes(),
    );
    let forged = rightsguard_dossier::write_zip(&forged).unwrap();
    let report = rightsguard_dossier::verify(&forged);
    assert!(!report.ok());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.to_string().contains("escalation.json")),
        "{:?}",
        report.problems
    );

    // Who may have one: the complainant's side and staff; not the seller;
    // strangers are told there is no such complaint.
    assert_eq!(download(&t.admin, "lawsuit").await.0, StatusCode::OK);
    assert_eq!(
        download(&t.seller, "lawsuit").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(download(&t.rival, "lawsuit").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        download(&t.holder, "arbitration").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn upload(app: &TestApp, token: &str, bytes: &[u8]) -> String {
    let resp = Client::new()
        .post(app.url("/api/v1/evidence"))
        .bearer_auth(token)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    resp.json::<Value>().await.unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn download_status(app: &TestApp, token: &str, sha: &str) -> StatusCode {
    Client::new()
        .get(app.url(&format!("/api/v1/evidence/{sha}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn proceedings_carry_documents_the_parties_download_and_the_package_verifies(app: &TestApp) {
    let t = &app.tokens;
    verified_cn_right(app, "r1").await;
    let receipt = upload(app, &t.holder, b"test buy receipt for listing L1").await;
    let (s, v) = post(
        app,
        "/api/v1/complaints",
        &t.holder,
        json!({"id": "C1", "right": "r1", "reason": "counterfeit", "evidence": [receipt],
               "listings": [{"id": "L1", "seller": "shop1", "category_classes": [25]}]}),
    )
    .await;
    assert!(s.is_success(), "{v}");
    let filing = upload(app, &t.holder, b"%PDF-1.4 the complaint as filed").await;
    let path = "/api/v1/complaints/C1/proceedings";
    let mut filed = json!({"route": "lawsuit", "authority": "Hangzhou Internet Court",
                           "reference": "(2026) Zhe 0192 Min Chu 17", "filed_on": "2026-03-02",
                           "documents": [{"sha256": filing, "label": "filed complaint"}]});
    let (s, v) = post(app, path, &t.holder, filed.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let docs = v["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["sha256"], filing.as_str());
    assert_eq!(docs[0]["label"], "filed complaint");
    assert_eq!(docs[0]["content_type"], "application/pdf");
    assert_eq!(docs[0]["download"], format!("/api/v1/evidence/{filing}"));
    assert!(docs[0]["size"].as_u64().unwrap() > 0);
    assert!(docs[0]["uploaded_at"].is_string());

    // Months later, the judgment, uploaded by the agent: added, not replacing.
    let judgment = upload(app, &t.agent, b"%PDF-1.4 judgment: infringement found").await;
    let mut decided = filed.clone();
    decided["outcome"] = json!("infringement_found");
    decided["decided_on"] = json!("2026-03-08");
    decided["documents"] = json!([{"sha256": judgment, "label": "court judgment"}]);
    let (s, v) = post(app, path, &t.agent, decided.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let labels: Vec<&str> = v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["filed complaint", "court judgment"]);
    let (s, list) = call(app, Method::GET, path, &t.seller, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["documents"].as_array().unwrap().len(), 2);

    // The audit keeps every version, each with its documents' hashes.
    let subject = rightsguard_domain::event::Subject::Complaint {
        complaint: rightsguard_domain::ids::ComplaintId::parse("C1").unwrap(),
        listing: None,
    };
    let versions: Vec<Vec<String>> = app
        .state
        .app
        .store()
        .audit_of(&subject)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event.kind {
            rightsguard_domain::event::EventKind::EscalationProceedingRecorded {
                documents,
                ..
            } => Some(documents.iter().map(|d| d.sha256.to_string()).collect()),
            _ => None,
        })
        .collect();
    assert_eq!(
        versions,
        [vec![filing.clone()], vec![filing.clone(), judgment.clone()]]
    );

    // Who may download: the complaint's parties (the seller too: it is told
    // of the case against it) and staff; strangers are told nothing exists.
    for (token, want) in [
        (&t.holder, StatusCode::OK),
        (&t.agent, StatusCode::OK),
        (&t.seller, StatusCode::OK),
        (&t.reviewer, StatusCode::OK),
        (&t.rival, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(download_status(app, token, &judgment).await, want);
        assert_eq!(download_status(app, token, &filing).await, want);
    }

    // Refusals, each naming its field: a hash never uploaded, one the
    // caller's side did not upload (the rival's), a bad hash, a bad label,
    // too many documents.
    let rivals = upload(app, &t.rival, b"the rival's own file").await;
    let bad = |docs: Value| {
        let mut b = filed.clone();
        b["documents"] = docs;
        b
    };
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"sha256": format!("{i:02x}").repeat(32), "label": "page"}))
        .collect();
    for (body, field) in [
        (
            bad(json!([{"sha256": "ab".repeat(32), "label": "ghost"}])),
            "documents[0].sha256",
        ),
        (
            bad(json!([{"sha256": filing, "label": "ok"}, {"sha256": rivals, "label": "theirs"}])),
            "documents[1].sha256",
        ),
        (
            bad(json!([{"sha256": "not-a-hash", "label": "x"}])),
            "documents[0].sha256",
        ),
        (
            bad(json!([{"sha256": judgment, "label": "  "}])),
            "documents[0].label",
        ),
        (bad(json!(many)), "documents"),
    ] {
        let (s, v) = post(app, path, &t.holder, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        let said = format!("{} {}", v["error"]["message"], v["error"]["field"]);
        assert!(said.contains(field), "{field}: {v}");
    }
    // Twenty in all: 2 there, 19 more would be 21.
    let mut uploaded = Vec::new();
    for i in 0..19 {
        let sha = upload(app, &t.holder, format!("page {i}").as_bytes()).await;
        uploaded.push(json!({"sha256": sha, "label": format!("page {i}")}));
    }
    let (s, v) = post(app, path, &t.holder, bad(json!(uploaded.clone()))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 20")
    );
    // 18 more is 20: accepted. Nothing was lost by the refusals.
    uploaded.pop();
    filed["documents"] = json!(uploaded);
    let (s, v) = post(app, path, &t.holder, filed.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["documents"].as_array().unwrap().len(), 20);
    // A rival's file was never cited: the seller still cannot read it.
    assert_eq!(
        download_status(app, &t.seller, &rivals).await,
        StatusCode::NOT_FOUND
    );

    // The package holds both documents under the proceeding's folder, lists
    // them in escalation.json and the manifest, and verifies.
    let resp = Client::new()
        .get(app.url("/api/v1/complaints/C1/escalation-package.zip?route=lawsuit"))
        .bearer_auth(&t.holder)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let zip = resp.bytes().await.unwrap().to_vec();
    let report = rightsguard_dossier::verify(&zip);
    assert!(report.ok(), "{:?}", report.problems);
    let files = rightsguard_dossier::read_zip(&zip).unwrap();
    let folder = "proceedings/lawsuit-2026_Zhe_0192_Min_Chu_17/";
    let judgment_path = format!("{folder}court_judgment-{}.pdf", &judgment[..8]);
    let filing_path = format!("{folder}filed_complaint-{}.pdf", &filing[..8]);
    for p in [&judgment_path, &filing_path] {
        assert!(files.contains_key(p), "{p} missing: {:?}", files.keys());
    }
    assert_eq!(
        files[&judgment_path],
        b"%PDF-1.4 judgment: infringement found"
    );
    let manifest = String::from_utf8(files["manifest.json"].clone()).unwrap();
    assert!(manifest.contains(&judgment_path) && manifest.contains(&judgment));
    let case: Value = serde_json::from_slice(&files["escalation.json"]).unwrap();
    assert_eq!(case["documents"].as_array().unwrap().len(), 20);
    assert_eq!(
        case["proceedings"][0]["documents"][1]["sha256"],
        judgment.as_str()
    );

    // A changed document fails verification, so does a missing one, even
    // when the manifest is rewritten to match.
    let mut forged = files.clone();
    forged.insert(
        judgment_path.clone(),
        b"%PDF-1.4 judgment: no infringement".to_vec(),
    );
    let report = rightsguard_dossier::verify(&rightsguard_dossier::write_zip(&forged).unwrap());
    assert!(!report.ok());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.to_string().contains(&judgment_path)),
        "{:?}",
        report.problems
    );
    let mut missing = files.clone();
    missing.remove(&judgment_path);
    let report = rightsguard_dossier::verify(&rightsguard_dossier::write_zip(&missing).unwrap());
    assert!(!report.ok());
    let mut manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    manifest["files"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["path"] != judgment_path.as_str());
    missing.insert(
        "manifest.json".into(),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    );
    let report = rightsguard_dossier::verify(&rightsguard_dossier::write_zip(&missing).unwrap());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.to_string().contains(&judgment_path)),
        "{:?}",
        report.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_lapse_reminder_survives_a_restart() {
    the_lapse_reminder_survives_a_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_lapse_reminder_survives_a_restart() {
    the_lapse_reminder_survives_a_restart(Backend::Postgres).await;
}

/// The reminder is a job in the database: a server started after the one
/// that recorded the recordal (and ran its jobs early) sends it on its day.
async fn the_lapse_reminder_survives_a_restart(backend: Backend) {
    let Some(db) = fresh_database(backend).await.unwrap() else {
        return;
    };
    let mut config = test_config(&db).unwrap();
    let acme = OrgId::parse("acme").unwrap();
    let alice = Actor::rights_holder(acme.clone(), UserId::parse("alice").unwrap());
    let holder_inbox = async |app: &rightsguard_app::App<rightsguard_store::SqlStore>| {
        app.inbox(&alice, false, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| {
                n.notification.kind
                    == rightsguard_domain::notification::NotificationKind::CustomsRecordalLapsing
            })
            .count()
    };
    {
        let state = build_state(&config).await.unwrap();
        rightsguard_testkit::create_accounts(&state).await.unwrap();
        let app = &state.app;
        let right: rightsguard_domain::right::Right = serde_json::from_value(json!({
            "id": "r1", "owner": "acme", "kind": "trademark", "jurisdiction": "CN",
            "registration_number": "31234567", "nice_classes": [25],
            "valid_from": "2015-01-01", "valid_until": "2040-12-31",
            "certificates": [], "cn_extension_certificate": null, "state": "pending",
        }))
        .unwrap();
        app.register_right(&alice, right).await.unwrap();
        let rita = Actor::reviewer(
            OrgId::parse("platform").unwrap(),
            UserId::parse("rita").unwrap(),
        );
        let r1 = RightId::parse("r1").unwrap();
        app.act_on_right(&rita, &r1, &RightCommand::Verify)
            .await
            .unwrap();
        app.record_customs_recordal(&alice, &r1, "T2016-40001", "2016-09-20".parse().unwrap())
            .await
            .unwrap();
        app.run_due_jobs("first", 100).await.unwrap();
        assert_eq!(holder_inbox(app).await, 0, "not yet due");
        app.store().close().await;
    }
    // A new server, two days before, then on the reminder day.
    for (at, want) in [("2026-03-18T12:00:00Z", 0), ("2026-03-20T00:30:00Z", 1)] {
        config.clock = ClockChoice::Manual(at.parse::<Timestamp>().unwrap());
        let state = build_state(&config).await.unwrap();
        state.app.run_due_jobs("second", 100).await.unwrap();
        assert_eq!(holder_inbox(&state.app).await, want, "at {at}");
        state.app.store().close().await;
    }
    // And once: a third server runs the jobs again; nothing new.
    config.clock = ClockChoice::Manual("2026-03-25T00:00:00Z".parse().unwrap());
    let state = build_state(&config).await.unwrap();
    state.app.run_due_jobs("third", 100).await.unwrap();
    assert_eq!(holder_inbox(&state.app).await, 1);
    state.app.store().close().await;
    db.drop_now().await.unwrap();
}
