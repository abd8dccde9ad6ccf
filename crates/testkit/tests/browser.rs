//! The browser test: the complaint lifecycle walked through the pages only,
//! in Debian's Chromium driven by npm `playwright-core`
//! (`tests/browser/lifecycle.mjs`), against the real server on SQLite.
//!
//! `scripts/browser-deps` installs Chromium (with CJK fonts) and
//! playwright-core and `scripts/test` exports `RG_CHROMIUM` and
//! `RG_PLAYWRIGHT_DIR`. Without them the test prints SKIPPED loudly, and
//! fails under CI. Screenshots of each main page go to `$RG_SCREENSHOTS`
//! (default `/var/tmp/rightsguard-screenshots`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::{Client, StatusCode};
use rightsguard_app::Secret;
use rightsguard_detect::image::testset::{VariantKind, variants};
use rightsguard_domain::ids::UserId;
use rightsguard_testkit::{Backend, spawn_app};
use serde_json::json;
use sha2::Digest;

const SUFFIX: &str = "-browser-pass";

fn tools() -> Option<(String, String)> {
    let chromium = std::env::var("RG_CHROMIUM")
        .ok()
        .or_else(|| Some("/usr/bin/chromium".to_owned()))
        .filter(|p| std::path::Path::new(p).exists());
    let playwright = std::env::var("RG_PLAYWRIGHT_DIR")
        .ok()
        .or_else(|| Some("/var/tmp/rightsguard-npm-browser/node_modules".to_owned()))
        .filter(|p| std::path::Path::new(p).join("playwright-core").exists());
    match (chromium, playwright) {
        (Some(c), Some(p)) => Some((c, p)),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lifecycle_through_the_pages_in_a_real_browser() {
    let Some((chromium, playwright)) = tools() else {
        eprintln!(
            "\n*** SKIPPED: the browser test needs Chromium and playwright-core — run scripts/browser-deps (scripts/test does) ***\n"
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "the browser test must not be skipped under CI"
        );
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap().unwrap();
    let system = app.state.app.system_actor();
    for user in ["adam", "rita", "alice", "bob", "sam", "sue", "ann"] {
        app.state
            .app
            .set_password(
                &system,
                &UserId::parse(user).unwrap(),
                Secret::new(format!("{user}{SUFFIX}")),
            )
            .await
            .unwrap();
    }
    for (id, seller, title) in [
        ("L1", "shop1", "ACME classic sneakers, factory original"),
        ("L2", "shop2", "A.C.M.E running shoes"),
    ] {
        let resp = Client::new()
            .post(app.url("/api/v1/listings"))
            .bearer_auth(&app.tokens.admin)
            .json(&json!({"id": id, "seller": seller, "title": title,
                          "description": "Cheap, same as in the shops.", "category": "Shoes"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    // A verified right of bob's (rival) with its mark, for the clearance page.
    let client = Client::new();
    for (path, token, body, want) in [
        (
            "/api/v1/rights",
            &app.tokens.rival,
            json!({"id": "tm-lumen", "kind": "trademark", "jurisdiction": "CN",
                   "registration_number": "45678901", "nice_classes": [25, 28],
                   "valid_from": "2020-01-01", "certificates": ["cd".repeat(32)]}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/rights/tm-lumen/decision",
            &app.tokens.reviewer,
            json!({"command": "verify"}),
            StatusCode::OK,
        ),
    ] {
        let resp = client
            .post(app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), want, "{path}");
    }
    let resp = client
        .put(app.url("/api/v1/rights/tm-lumen/marks"))
        .bearer_auth(&app.tokens.rival)
        .json(&json!({"mark": "LUMEN", "aliases": ["鹿明"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Hostile files that the evidence store may accept (sniffed as text,
    // GIF, PNG or PDF), for the script to open in Chromium: none may run a
    // script.
    let mut hostile = Vec::new();
    for bytes in [
        &b"<html><body><script>document.title='PWNED';alert('text')</script></body></html>"[..],
        &b"GIF89a/*\x00\x00*/=1;alert('gif');//<script>document.title='PWNED';alert('gif')</script>"[..],
        &b"\x89PNG\r\n\x1a\n<html><script>document.title='PWNED';alert('png')</script></html>"[..],
        &b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert('pdf'))>>>>endobj\n<script>alert('pdf')</script>\n%%EOF"[..],
    ] {
        let resp = client
            .post(app.url("/api/v1/evidence"))
            .bearer_auth(&app.tokens.holder)
            .header("content-type", "text/html")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        // Refused (415) is the other safe answer; hostile_uploads.rs covers it.
        if resp.status().is_success() {
            let v: serde_json::Value = resp.json().await.unwrap();
            hostile.push(v["sha256"].as_str().unwrap().to_owned());
        }
    }
    assert!(
        hostile.len() >= 2,
        "at least two hostile files are stored: {hostile:?}"
    );
    let hostile = hostile.join(",");
    // Two Art. 23 cases awaiting a decision (one decided in each language),
    // and a second principal for the agent to choose between.
    for n in ["noisyco", "spamco"] {
        app.refer_notifier_for_decision(n).await.unwrap();
    }
    let resp = client
        .post(app.url("/api/v1/powers-of-attorney"))
        .bearer_auth(&app.tokens.admin)
        .json(&json!({"agent": "agency", "principal": "rival"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    // Image monitoring: a listing showing a cropped copy of a logo, its
    // bytes uploaded by the marketplace; the script adds the logo as a
    // reference image of the holder's right on the findings page.
    let images = tempfile::tempdir().unwrap();
    let logo = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2 L22 20 H2 Z M12 7 L7 17 H17 Z"/><circle cx="12" cy="14" r="2"/></svg>"##;
    let made = variants(logo.as_bytes(), 5).unwrap();
    let pick = |k: VariantKind| made.iter().find(|v| v.kind == k).unwrap().bytes.clone();
    let (reference, copy) = (pick(VariantKind::Resize), pick(VariantKind::Crop6));
    let reference_path = images.path().join("logo.png");
    std::fs::write(&reference_path, &reference).unwrap();
    let copy_sha: String = sha2::Sha256::digest(&copy)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let resp = client
        .post(app.url("/api/v1/listings"))
        .bearer_auth(&app.tokens.admin)
        .json(
            &json!({"id": "L3", "seller": "shop1", "title": "Sneakers with the triangle logo",
                      "category": "Shoes", "image_hashes": [copy_sha]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = client
        .put(app.url(&format!("/api/v1/listing-images/{copy_sha}")))
        .bearer_auth(&app.tokens.admin)
        .body(copy)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let shots = std::env::var("RG_SCREENSHOTS")
        .unwrap_or_else(|_| "/var/tmp/rightsguard-screenshots".to_owned());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/lifecycle.mjs");
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .env("RG_BASE", base)
            .env("RG_CHROMIUM", chromium)
            .env("RG_PLAYWRIGHT_DIR", playwright)
            .env("RG_SCREENSHOTS", &shots)
            .env("RG_PASSWORD_SUFFIX", SUFFIX)
            .env("RG_HOSTILE_EVIDENCE", &hostile)
            .env("RG_REFERENCE_IMAGE", &reference_path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "lifecycle.mjs failed:\n{stdout}\n{stderr}"
    );
    app.finish().await.unwrap();
}
