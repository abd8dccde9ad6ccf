//! Image monitoring end to end: the real server on SQLite and on
//! PostgreSQL, driven over HTTP: a right's reference image, a listing's
//! image bytes uploaded by the marketplace, the image finding with both
//! pictures, removal, and who may do what.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::{Client, Method, StatusCode};
use rightsguard_detect::image::testset::{VariantKind, variants};
use rightsguard_testkit::{TestApp, both};
use serde_json::{Value, json};
use sha2::Digest;

both!(image_findings_over_http_with_roles);

const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2 L22 20 H2 Z M12 7 L7 17 H17 Z"/><circle cx="12" cy="14" r="2"/></svg>"##;

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Vec<u8>>,
) -> (StatusCode, Vec<u8>) {
    let mut req = Client::new()
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.bytes().await.unwrap().to_vec())
}

async fn json_call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Vec<u8>>,
    want: StatusCode,
) -> Value {
    let (status, bytes) = send(app, method, path, token, body).await;
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(status, want, "{path}: {text}");
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

fn sha(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn run(app: &TestApp) {
    json_call(
        app,
        Method::POST,
        "/api/v1/admin/jobs/run",
        &app.tokens.admin,
        js(json!({})),
        StatusCode::OK,
    )
    .await;
}

fn js(v: Value) -> Option<Vec<u8>> {
    Some(serde_json::to_vec(&v).unwrap())
}

async fn image_findings_over_http_with_roles(app: &TestApp) {
    let t = &app.tokens;
    let (post, get, put, delete) = (Method::POST, Method::GET, Method::PUT, Method::DELETE);
    json_call(
        app,
        post.clone(),
        "/api/v1/rights",
        &t.holder,
        js(json!({"id": "r1", "kind": "trademark", "jurisdiction": "CN", "registration_number": "123",
            "nice_classes": [25], "valid_from": "2020-01-01", "certificates": ["ab".repeat(32)]})),
        StatusCode::CREATED,
    )
    .await;
    json_call(
        app,
        post.clone(),
        "/api/v1/rights/r1/decision",
        &t.reviewer,
        js(json!({"command": "verify"})),
        StatusCode::OK,
    )
    .await;

    // The reference image: the owner adds it; again is idempotent (200).
    let logo = LOGO.as_bytes().to_vec();
    let images = "/api/v1/rights/r1/images";
    let added = json_call(
        app,
        post.clone(),
        images,
        &t.holder,
        Some(logo.clone()),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(added["sha256"], sha(&logo));
    assert!(added["hashes"].as_i64().unwrap() > 100, "{added}");
    json_call(
        app,
        post.clone(),
        images,
        &t.agent,
        Some(logo.clone()),
        StatusCode::OK,
    )
    .await;
    // A seller is refused, another holder is told the right does not exist.
    json_call(
        app,
        post.clone(),
        images,
        &t.seller,
        Some(logo.clone()),
        StatusCode::FORBIDDEN,
    )
    .await;
    json_call(
        app,
        post.clone(),
        images,
        &t.rival,
        Some(logo.clone()),
        StatusCode::NOT_FOUND,
    )
    .await;
    json_call(
        app,
        get.clone(),
        images,
        &t.rival,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    json_call(
        app,
        post.clone(),
        "/api/v1/rights/nope/images",
        &t.holder,
        Some(logo.clone()),
        StatusCode::NOT_FOUND,
    )
    .await;
    // Not an image, and a pixel bomb: 422 with the decoder's reason.
    let e = json_call(
        app,
        post.clone(),
        images,
        &t.holder,
        Some(b"hello".to_vec()),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e["error"]["code"], "invalid_image", "{e}");
    let bomb = rightsguard_detect::image::testset::pixel_bomb_png(60_000, 60_000);
    let e = json_call(
        app,
        post.clone(),
        images,
        &t.holder,
        Some(bomb),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("60000x60000"),
        "{e}"
    );
    let listed = json_call(app, get.clone(), images, &t.holder, None, StatusCode::OK).await;
    assert_eq!(listed["images"].as_array().unwrap().len(), 1, "{listed}");
    let (status, bytes) = send(
        app,
        get.clone(),
        &format!("{images}/{}", sha(&logo)),
        &t.holder,
        None,
    )
    .await;
    assert_eq!((status, bytes), (StatusCode::OK, logo.clone()));

    // A listing showing a cropped copy, written before the image's bytes.
    let copy = variants(LOGO.as_bytes(), 3)
        .unwrap()
        .into_iter()
        .find(|v| v.kind == VariantKind::Crop6)
        .unwrap()
        .bytes;
    json_call(
        app,
        post.clone(),
        "/api/v1/listings",
        &t.seller,
        js(json!({"id": "L1", "title": "Sneakers", "category": "Shoes", "image_hashes": [sha(&copy)]})),
        StatusCode::CREATED,
    )
    .await;
    run(app).await;
    let open = "/api/v1/findings?state=open";
    let page = json_call(app, get.clone(), open, &t.holder, None, StatusCode::OK).await;
    assert!(page["findings"].as_array().unwrap().is_empty(), "{page}");

    // Only the marketplace uploads listing images, and the bytes must be
    // the ones named.
    let path = format!("/api/v1/listing-images/{}", sha(&copy));
    json_call(
        app,
        put.clone(),
        &path,
        &t.seller,
        Some(copy.clone()),
        StatusCode::FORBIDDEN,
    )
    .await;
    json_call(
        app,
        put.clone(),
        &path,
        &t.holder,
        Some(copy.clone()),
        StatusCode::FORBIDDEN,
    )
    .await;
    json_call(
        app,
        put.clone(),
        &path,
        &t.admin,
        Some(logo.clone()),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let up = json_call(
        app,
        put.clone(),
        &path,
        &t.admin,
        Some(copy.clone()),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(up["scans_scheduled"], json!(["L1"]), "{up}");
    json_call(
        app,
        put.clone(),
        &path,
        &t.admin,
        Some(copy.clone()),
        StatusCode::OK,
    )
    .await;
    run(app).await;

    let page = json_call(app, get.clone(), open, &t.holder, None, StatusCode::OK).await;
    let found = page["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{page}");
    let f = &found[0];
    assert_eq!(f["listing"], "L1");
    assert_eq!(f["explanation"]["method"], "image");
    assert_eq!(f["explanation"]["field"], "images");
    assert_eq!(f["explanation"]["matched"], sha(&copy));
    assert_eq!(f["explanation"]["term"], sha(&logo));
    assert!(f["explanation"]["distance"].as_u64().unwrap() <= 31, "{f}");
    assert_eq!(f["capture"]["image_match"]["listing_image"], sha(&copy));
    let id = f["id"].as_str().unwrap();
    // Both pictures, to the holder; nothing to a rival.
    for (s, want) in [(sha(&copy), &copy), (sha(&logo), &logo)] {
        let (status, bytes) = send(
            app,
            get.clone(),
            &format!("/api/v1/findings/{id}/images/{s}"),
            &t.holder,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&bytes, want);
        let (status, _) = send(
            app,
            get.clone(),
            &format!("/api/v1/findings/{id}/images/{s}"),
            &t.rival,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // Removing the reference resolves the finding at the rescan.
    let one = format!("{images}/{}", sha(&logo));
    json_call(
        app,
        delete.clone(),
        &one,
        &t.rival,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    json_call(
        app,
        delete.clone(),
        &one,
        &t.seller,
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    json_call(app, delete.clone(), &one, &t.holder, None, StatusCode::OK).await;
    json_call(
        app,
        delete.clone(),
        &one,
        &t.holder,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    run(app).await;
    let page = json_call(app, get.clone(), open, &t.holder, None, StatusCode::OK).await;
    assert!(page["findings"].as_array().unwrap().is_empty(), "{page}");
}
