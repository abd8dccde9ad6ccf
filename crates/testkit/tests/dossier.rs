//! Evidence dossiers over HTTP, on SQLite and PostgreSQL: the parties to a
//! complaint and staff download its ZIP and PDF, the ZIP verifies offline and
//! holds the evidence uploaded for it, a seller's dossier of a complaint
//! naming two sellers holds only its own listing, and anyone else is told
//! the complaint does not exist.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::{Client, StatusCode};
use rightsguard_testkit::{TestApp, both};
use serde_json::{Value, json};

both!(dossiers_go_to_the_parties_and_verify);

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let resp = Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let v: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

async fn upload(app: &TestApp, token: &str, bytes: &[u8]) -> String {
    let resp = Client::new()
        .post(app.url("/api/v1/evidence?captured_at=2026-01-01T00:00:00Z"))
        .bearer_auth(token)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let v: Value = resp.json().await.unwrap();
    v["sha256"].as_str().unwrap().to_owned()
}

/// Status, content type, body.
async fn download(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String, Vec<u8>) {
    let mut req = Client::new().get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

async fn dossiers_go_to_the_parties_and_verify(app: &TestApp) {
    let t = &app.tokens;
    let screenshot = upload(
        app,
        &t.holder,
        b"screenshot of listing L1: ACME shoes 1:1 copy",
    )
    .await;
    post(
        app,
        "/api/v1/rights",
        &t.holder,
        json!({"id": "r1", "kind": "trademark", "jurisdiction": "CN", "registration_number": "12345678",
               "nice_classes": [25], "valid_from": "2020-01-01", "certificates": ["11".repeat(32)]}),
    )
    .await;
    post(
        app,
        "/api/v1/rights/r1/decision",
        &t.reviewer,
        json!({"command": "verify"}),
    )
    .await;
    post(
        app,
        "/api/v1/complaints",
        &t.holder,
        json!({"id": "C1", "right": "r1", "reason": "counterfeit", "evidence": [screenshot],
               "listings": [{"id": "L1", "seller": "shop1", "category_classes": [25]},
                            {"id": "L2", "seller": "shop2", "category_classes": [25]}]}),
    )
    .await;
    post(
        app,
        "/api/v1/complaints/C1/commands",
        &t.reviewer,
        json!({"command": "decide", "listing": "L1", "decision": {"decision": "uphold"}}),
    )
    .await;

    // The rights holder: the ZIP verifies and holds the screenshot.
    let (s, ct, zip) = download(app, "/api/v1/complaints/C1/dossier.zip", Some(&t.holder)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/zip");
    let report = rightsguard_dossier::verify(&zip);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.complaint.as_deref(), Some("C1"));
    assert_eq!(
        report.evidence_files, 1,
        "the screenshot (the certificate was never uploaded)"
    );
    assert!(
        report.audit_records_ok >= 4,
        "submitted, upheld, right verified, upload: {report:?}"
    );
    assert_eq!(
        listings_in(&zip),
        ["L1", "L2"],
        "the holder's dossier names both listings"
    );

    // The PDF.
    let (s, ct, pdf) = download(app, "/api/v1/complaints/C1/dossier.pdf", Some(&t.reviewer)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));

    // shop1's seller: its own listing only.
    let (s, _, zip) = download(app, "/api/v1/complaints/C1/dossier.zip", Some(&t.seller)).await;
    assert_eq!(s, StatusCode::OK);
    let report = rightsguard_dossier::verify(&zip);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(listings_in(&zip), ["L1"]);
    let mut archive = zip_entries(&zip);
    let audit = String::from_utf8(archive.remove("audit/records.jsonl").unwrap()).unwrap();
    assert!(!audit.contains("complaint:C1/L2"), "{audit}");

    // Anyone else: no such complaint; nobody: unauthenticated.
    let (s, _, _) = download(app, "/api/v1/complaints/C1/dossier.zip", Some(&t.rival)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = download(app, "/api/v1/complaints/C1/dossier.pdf", Some(&t.rival)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = download(app, "/api/v1/complaints/nope/dossier.zip", Some(&t.admin)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = download(app, "/api/v1/complaints/C1/dossier.zip", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

fn zip_entries(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    rightsguard_dossier::read_zip(bytes).unwrap()
}

fn listings_in(zip: &[u8]) -> Vec<String> {
    let case: Value = serde_json::from_slice(&zip_entries(zip)["case.json"]).unwrap();
    case["complaint"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["listing"].as_str().unwrap().to_owned())
        .collect()
}
