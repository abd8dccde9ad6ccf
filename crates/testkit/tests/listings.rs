//! Listings with inline keyword blocking, end to end: the real server on
//! SQLite and on PostgreSQL, driven over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use reqwest::{Client, Method, StatusCode};
use rightsguard_domain::event::{EventKind, Subject};
use rightsguard_domain::ids::AuthorisationId;
use rightsguard_store::Store;
use rightsguard_testkit::{TestApp, both};
use serde_json::{Value, json};

both!(
    a_listing_with_a_blocked_brand_is_held_with_its_reason,
    an_authorised_seller_is_not_held,
    strangers_get_404_and_wrong_roles_403_on_listings_and_terms,
    listing_validation_errors_name_the_field,
    the_openapi_document_lists_the_listing_routes,
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

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

/// A verified trademark of `acme` in `classes`, with an approved block term
/// `term`; returns the term's id.
async fn blocked(app: &TestApp, right: &str, classes: &[u8], term: &str) -> String {
    let t = &app.tokens;
    expect(
        post(
            app,
            "/api/v1/rights",
            &t.holder,
            json!({"id": right, "kind": "trademark", "jurisdiction": "CN", "registration_number": "123",
                   "nice_classes": classes, "valid_from": "2020-01-01", "certificates": [sha(classes[0])]}),
        )
        .await,
        StatusCode::CREATED,
    );
    let path = format!("/api/v1/rights/{right}/decision");
    expect(
        post(app, &path, &t.reviewer, json!({"command": "verify"})).await,
        StatusCode::OK,
    );
    let requested = expect(
        post(
            app,
            "/api/v1/block-terms",
            &t.holder,
            json!({"right": right, "term": term}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(requested["state"], "requested");
    assert_eq!(requested["classes"], json!(classes));
    let id = requested["id"].as_str().unwrap().to_owned();
    let approved = expect(
        post(
            app,
            &format!("/api/v1/block-terms/{id}/decision"),
            &t.admin,
            json!({"command": "approve"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(approved["state"], "approved");
    id
}

async fn listing(app: &TestApp, token: &str, id: &str, title: &str, category: &str) -> Value {
    expect(
        post(
            app,
            "/api/v1/listings",
            token,
            json!({"id": id, "title": title, "category": category,
                   "price": {"minor_units": 1999, "currency": "usd"}}),
        )
        .await,
        StatusCode::CREATED,
    )
}

async fn a_listing_with_a_blocked_brand_is_held_with_its_reason(app: &TestApp) {
    let t = &app.tokens;
    let term = blocked(app, "tm-apple", &[9], "APPLE").await;
    let phones = "Phones & Electronics";

    let held = listing(app, &t.seller, "L1", "Apple iPhone 15 case", phones).await;
    assert_eq!(held["state"], "held", "{held}");
    assert_eq!(held["seller"], "shop1");
    assert_eq!(held["price"]["currency"], "USD");
    assert_eq!(
        held["held_reasons"],
        json!([{"right": "tm-apple", "term": "APPLE", "field": "title", "matched": "Apple", "method": "exact"}])
    );

    // Class gating: fruit is not in class 9.
    let fruit = listing(app, &t.seller, "L2", "Fresh Apple Fruit", "Food").await;
    assert_eq!(fruit["state"], "active", "{fruit}");
    assert_eq!(fruit["held_reasons"], json!([]));

    // Evasions in the title are seen through.
    let homoglyph = listing(app, &t.seller, "L3", "\u{0410}\u{0440}ple charger", phones).await;
    assert_eq!(homoglyph["state"], "held", "{homoglyph}");
    assert_eq!(homoglyph["held_reasons"][0]["method"], "homoglyph");
    let leet = listing(app, &t.seller, "L4", "4PPL3 charger", phones).await;
    assert_eq!(leet["state"], "held", "{leet}");
    assert_eq!(leet["held_reasons"][0]["method"], "leet");
    // In the description too.
    let desc = expect(
        post(
            app,
            "/api/v1/listings",
            &t.seller,
            json!({"id": "L5", "title": "Phone charger", "category": phones,
                   "description": "Works with every APPLE phone"}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(desc["held_reasons"][0]["field"], "description");

    // A clean update releases it; a stale version is a conflict.
    let released = expect(
        put(
            app,
            "/api/v1/listings/L1",
            &t.seller,
            json!({"version": 1, "title": "Phone case", "category": phones}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(released["state"], "active");
    assert_eq!(released["version"], 2);
    let stale = expect(
        put(
            app,
            "/api/v1/listings/L1",
            &t.seller,
            json!({"version": 1, "title": "Apple case", "category": phones}),
        )
        .await,
        StatusCode::CONFLICT,
    );
    assert_eq!(stale["error"]["code"], "conflict");
    let got = expect(
        get(app, "/api/v1/listings/L1", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(got["title"], "Phone case");

    // The owner lifts the term: it blocks no more.
    expect(
        post(
            app,
            &format!("/api/v1/block-terms/{term}/decision"),
            &t.holder,
            json!({"command": "lift", "reason": "licensing changed"}),
        )
        .await,
        StatusCode::OK,
    );
    let after = listing(app, &t.seller, "L6", "Apple iPhone 15 case", phones).await;
    assert_eq!(after["state"], "active", "{after}");

    // Every change is in the audit log, and the chain holds.
    let audit = expect(
        get(app, "/api/v1/audit/verify", &t.admin).await,
        StatusCode::OK,
    );
    assert_eq!(audit["ok"], true, "{audit}");
    assert!(audit["records"].as_i64().unwrap() >= 12, "{audit}");
}

async fn an_authorised_seller_is_not_held(app: &TestApp) {
    let t = &app.tokens;
    blocked(app, "tm-acme", &[25], "ACME").await;
    let auth = expect(
        post(
            app,
            "/api/v1/authorisations",
            &t.holder,
            json!({"seller": "shop1", "right": "tm-acme", "evidence": sha(7), "valid_until": "2026-12-31"}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(auth["owner"], "acme");
    assert_eq!(auth["valid_until"], "2026-12-31");

    let ok = listing(app, &t.seller, "A1", "ACME running shoes", "Shoes").await;
    assert_eq!(ok["state"], "active", "{ok}");
    let held = listing(app, &t.seller2, "A2", "ACME running shoes", "Shoes").await;
    assert_eq!(held["state"], "held", "{held}");

    // The holder, its agent, the seller named and staff see it; others do not.
    for (token, n) in [
        (&t.holder, 1),
        (&t.agent, 1),
        (&t.seller, 1),
        (&t.admin, 1),
        (&t.seller2, 0),
        (&t.rival, 0),
    ] {
        let all = expect(
            get(app, "/api/v1/authorisations", token).await,
            StatusCode::OK,
        );
        assert_eq!(all.as_array().unwrap().len(), n, "{all}");
    }
    // A seller cannot authorise itself; a rival cannot authorise for acme's right.
    expect(
        post(
            app,
            "/api/v1/authorisations",
            &t.seller2,
            json!({"seller": "shop2", "right": "tm-acme", "evidence": sha(7)}),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    expect(
        post(
            app,
            "/api/v1/authorisations",
            &t.rival,
            json!({"seller": "shop2", "right": "tm-acme", "evidence": sha(7)}),
        )
        .await,
        StatusCode::NOT_FOUND,
    );

    // Revocation: the seller named and reviewers are refused, others do not
    // see it, a reason is required; the holder revokes it once.
    let id = auth["id"].as_str().unwrap();
    let revoke = format!("/api/v1/authorisations/{id}/revoke");
    let why = json!({"reason": "distribution contract ended"});
    for (token, status) in [
        (&t.seller, StatusCode::FORBIDDEN),
        (&t.reviewer, StatusCode::FORBIDDEN),
        (&t.seller2, StatusCode::NOT_FOUND),
        (&t.rival, StatusCode::NOT_FOUND),
    ] {
        expect(post(app, &revoke, token, why.clone()).await, status);
    }
    expect(
        post(
            app,
            "/api/v1/authorisations/au-nope/revoke",
            &t.holder,
            why.clone(),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    let r = expect(
        post(app, &revoke, &t.holder, json!({"reason": " "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(r["error"]["code"], "invalid", "{r}");
    let done = expect(
        post(app, &revoke, &t.agent, why.clone()).await,
        StatusCode::OK,
    );
    assert_eq!(done["revoked"], true, "{done}");
    let again = expect(
        post(app, &revoke, &t.holder, why.clone()).await,
        StatusCode::CONFLICT,
    );
    assert_eq!(again["error"]["code"], "wrong_state", "{again}");
    // What is live stays; the seller's next write naming the brand is held.
    let live = expect(
        get(app, "/api/v1/listings/A1", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(live["state"], "active", "{live}");
    let next = listing(app, &t.seller, "A3", "ACME trail shoes", "Shoes").await;
    assert_eq!(next["state"], "held", "{next}");
    let all = expect(
        get(app, "/api/v1/authorisations", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(all[0]["revoked"], true, "{all}");
    // The revocation is audited with its reason, and the chain holds.
    let records = app
        .state
        .app
        .store()
        .audit_of(&Subject::Authorisation {
            authorisation: AuthorisationId::parse(id).unwrap(),
        })
        .await
        .unwrap();
    assert!(
        records.iter().any(|r| matches!(
            &r.event.kind,
            EventKind::AuthorisationRevoked { reason, .. } if reason == "distribution contract ended"
        )),
        "{records:?}"
    );
    let audit = expect(
        get(app, "/api/v1/audit/verify", &t.admin).await,
        StatusCode::OK,
    );
    assert_eq!(audit["ok"], true, "{audit}");
}

async fn strangers_get_404_and_wrong_roles_403_on_listings_and_terms(app: &TestApp) {
    let t = &app.tokens;
    listing(app, &t.seller, "S1", "Plain shoes", "Shoes").await;
    // Another seller, a rights holder: the listing does not exist for them.
    for token in [&t.seller2, &t.holder, &t.agent] {
        expect(
            get(app, "/api/v1/listings/S1", token).await,
            StatusCode::NOT_FOUND,
        );
    }
    expect(
        put(
            app,
            "/api/v1/listings/S1",
            &t.seller2,
            json!({"version": 1, "title": "Mine now", "category": "Shoes"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    // Staff read it; the list shows a seller only its own.
    expect(
        get(app, "/api/v1/listings/S1", &t.reviewer).await,
        StatusCode::OK,
    );
    let own = expect(
        get(app, "/api/v1/listings", &t.seller).await,
        StatusCode::OK,
    );
    assert_eq!(own.as_array().unwrap().len(), 1);
    let other = expect(
        get(app, "/api/v1/listings?seller=shop1", &t.seller2).await,
        StatusCode::OK,
    );
    assert_eq!(other, json!([]));
    let none = expect(
        get(app, "/api/v1/listings", &t.holder).await,
        StatusCode::OK,
    );
    assert_eq!(none, json!([]));
    let staff = expect(
        get(app, "/api/v1/listings?seller=shop1", &t.admin).await,
        StatusCode::OK,
    );
    assert_eq!(staff[0]["id"], "S1");
    // A seller writes only its own listings; a rights holder none.
    let r = expect(
        post(
            app,
            "/api/v1/listings",
            &t.seller,
            json!({"id": "S2", "seller": "shop2", "title": "x", "category": "Shoes"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    assert_eq!(r["error"]["code"], "not_a_party");
    expect(
        post(
            app,
            "/api/v1/listings",
            &t.holder,
            json!({"id": "S3", "seller": "shop1", "title": "x", "category": "Shoes"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    // The catalogue feed (an admin) writes for a seller; a duplicate id is a conflict.
    let fed = expect(
        post(
            app,
            "/api/v1/listings",
            &t.admin,
            json!({"id": "S4", "seller": "shop2", "title": "Feed item", "category": "Shoes"}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(fed["seller"], "shop2");
    expect(
        post(
            app,
            "/api/v1/listings",
            &t.seller,
            json!({"id": "S4", "title": "x", "category": "Shoes"}),
        )
        .await,
        StatusCode::CONFLICT,
    );

    // Block terms: a holder cannot approve its own term, nor can a reviewer
    // (approval is an admin's); a rival does not see it at all.
    let right = "tm-own";
    expect(
        post(
            app,
            "/api/v1/rights",
            &t.holder,
            json!({"id": right, "kind": "trademark", "jurisdiction": "CN", "registration_number": "9",
                   "nice_classes": [25], "valid_from": "2020-01-01", "certificates": [sha(40)]}),
        )
        .await,
        StatusCode::CREATED,
    );
    // Not verified yet: no term.
    expect(
        post(
            app,
            "/api/v1/block-terms",
            &t.holder,
            json!({"right": right, "term": "OWNMARK"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    expect(
        post(
            app,
            &format!("/api/v1/rights/{right}/decision"),
            &t.reviewer,
            json!({"command": "verify"}),
        )
        .await,
        StatusCode::OK,
    );
    expect(
        post(
            app,
            "/api/v1/block-terms",
            &t.rival,
            json!({"right": right, "term": "OWNMARK"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    expect(
        post(
            app,
            "/api/v1/block-terms",
            &t.seller,
            json!({"right": right, "term": "OWNMARK"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    let term = expect(
        post(
            app,
            "/api/v1/block-terms",
            &t.agent,
            json!({"right": right, "term": "OWNMARK"}),
        )
        .await,
        StatusCode::CREATED,
    );
    let decide = format!(
        "/api/v1/block-terms/{}/decision",
        term["id"].as_str().unwrap()
    );
    let approve = json!({"command": "approve"});
    let r = expect(
        post(app, &decide, &t.holder, approve.clone()).await,
        StatusCode::FORBIDDEN,
    );
    assert_eq!(r["error"]["code"], "forbidden");
    expect(
        post(app, &decide, &t.reviewer, approve.clone()).await,
        StatusCode::FORBIDDEN,
    );
    expect(
        post(app, &decide, &t.rival, approve.clone()).await,
        StatusCode::NOT_FOUND,
    );
    expect(
        post(app, &decide, &t.seller, approve.clone()).await,
        StatusCode::NOT_FOUND,
    );
    let rejected = expect(
        post(
            app,
            &decide,
            &t.admin,
            json!({"command": "reject", "reason": "too generic"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["reason"], "too generic");
    expect(
        post(app, &decide, &t.admin, approve).await,
        StatusCode::CONFLICT,
    );
    for (token, n) in [
        (&t.holder, 1),
        (&t.agent, 1),
        (&t.admin, 1),
        (&t.rival, 0),
        (&t.seller, 0),
    ] {
        let terms = expect(get(app, "/api/v1/block-terms", token).await, StatusCode::OK);
        assert_eq!(terms.as_array().unwrap().len(), n, "{terms}");
    }
}

async fn listing_validation_errors_name_the_field(app: &TestApp) {
    let t = &app.tokens;
    for (body, field) in [
        (
            json!({"id": "V1", "title": "  ", "category": "Shoes"}),
            "title",
        ),
        (
            json!({"id": "V1", "title": "x".repeat(201), "category": "Shoes"}),
            "title",
        ),
        (
            json!({"id": "V1", "title": "Shoes", "category": "Spaceships"}),
            "category",
        ),
        (json!({"id": "V1", "title": "Shoes"}), "."),
        (
            json!({"id": "V 1", "title": "Shoes", "category": "Shoes"}),
            "id",
        ),
        (
            json!({"id": "V1", "title": "Shoes", "category": "Shoes", "price": {"minor_units": 5, "currency": "EURO"}}),
            "price.currency",
        ),
        (
            json!({"id": "V1", "title": "Shoes", "category": "Shoes", "image_hashes": ["nothex"]}),
            "image_hashes[0]",
        ),
    ] {
        let r = expect(
            post(app, "/api/v1/listings", &t.seller, body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        if field == "." {
            // A missing field is named in the message.
            assert!(
                r["error"]["message"].as_str().unwrap().contains("category"),
                "{r}"
            );
        } else {
            assert_eq!(r["error"]["field"], field, "{body} -> {r}");
        }
    }
    listing(app, &t.seller, "V2", "Shoes", "Shoes").await;
    let r = expect(
        put(
            app,
            "/api/v1/listings/V2",
            &t.seller,
            json!({"version": 1, "title": "", "category": "Shoes"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(r["error"]["field"], "title");
    let r = expect(
        post(
            app,
            "/api/v1/block-terms",
            &t.holder,
            json!({"right": "no such", "term": "X"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(r["error"]["field"], "right");
}

async fn the_openapi_document_lists_the_listing_routes(app: &TestApp) {
    let doc: Value = Client::new()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    for (path, method) in [
        ("/api/v1/listings", "post"),
        ("/api/v1/listings", "get"),
        ("/api/v1/listings/{id}", "get"),
        ("/api/v1/listings/{id}", "put"),
        ("/api/v1/block-terms", "post"),
        ("/api/v1/block-terms", "get"),
        ("/api/v1/block-terms/{id}/decision", "post"),
        ("/api/v1/authorisations", "post"),
        ("/api/v1/authorisations", "get"),
        ("/api/v1/authorisations/{id}/revoke", "post"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} missing");
    }
    let schemas = &doc["components"]["schemas"];
    for s in [
        "ListingView",
        "HoldReason",
        "CreateListingBody",
        "BlockTermView",
        "AuthorisationView",
    ] {
        assert!(schemas[s].is_object(), "schema {s} missing");
    }
}
