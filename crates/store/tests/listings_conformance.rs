//! The storage conformance suite for listings, block terms and brand
//! authorisations: every test runs on SQLite and on PostgreSQL, each on a
//! fresh database (PostgreSQL from `RG_TEST_POSTGRES_URL`, as in
//! `conformance.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use jiff::Timestamp;
use rightsguard_domain::account::{DisplayName, Org, OrgKind};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::blocklist::{
    Authorisation, BlockHit, BlockTerm, BlockTermCommand, GateDecision,
};
use rightsguard_domain::event::{EventKind, Subject};
use rightsguard_domain::ids::{
    AuthorisationId, BlockTermId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber,
    RightId, Sha256, UserId,
};
use rightsguard_domain::listing::{Listing, ListingContent};
use rightsguard_domain::right::{Right, RightKind, RightState};
use rightsguard_store::listings::{ListingStore, StoredAuthorisation};
use rightsguard_store::{SqlStore, Store, StoreError};

#[macro_use]
mod common;
use common::Db;

conformance!(
    listings_round_trip_with_optimistic_versions_and_audit,
    listings_page_per_seller_in_id_order,
    block_terms_round_trip_and_only_approved_ones_are_in_force,
    authorisations_are_found_by_seller_and_by_owner,
);

fn t0() -> Timestamp {
    "2026-03-10T02:00:00Z".parse().unwrap()
}
fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn seller(o: &str) -> Actor {
    Actor::seller(org(o), UserId::parse("sam").unwrap())
}
fn admin() -> Actor {
    Actor::admin(org("platform"), UserId::parse("ada").unwrap())
}
fn holder() -> Actor {
    Actor::rights_holder(org("acme"), UserId::parse("alice").unwrap())
}
fn content(title: &str) -> ListingContent {
    serde_json::from_value(serde_json::json!({"title": title, "category": "Shoes"})).unwrap()
}
fn hit() -> BlockHit {
    BlockHit {
        right: RightId::parse("r1").unwrap(),
        term: "ACME".into(),
        field: "title".into(),
        matched: "Acme".into(),
        method: "exact".into(),
    }
}

async fn verified_right(store: &SqlStore, id: &str) -> Right {
    let r = Right {
        id: RightId::parse(id).unwrap(),
        owner: org("acme"),
        kind: RightKind::Trademark,
        jurisdiction: Jurisdiction::CN,
        registration_number: RegistrationNumber::parse("123").unwrap(),
        nice_classes: [NiceClass::new(25).unwrap()].into(),
        valid_from: jiff::civil::date(2020, 1, 1),
        valid_until: None,
        certificates: [Sha256::from_bytes([1; 32])].into(),
        cn_extension_certificate: None,
        state: RightState::Verified,
    };
    store.create_right(&r, &[]).await.unwrap();
    r
}

async fn listings_round_trip_with_optimistic_versions_and_audit(store: &SqlStore) {
    let id = ListingId::parse("L1").unwrap();
    let t = Listing::create(
        id.clone(),
        org("shop"),
        content("Acme shoes"),
        GateDecision::Held {
            reasons: vec![hit()],
        },
        &seller("shop"),
        t0(),
    )
    .unwrap();
    assert_eq!(store.create_listing(&t.state, &t.events).await.unwrap(), 1);
    assert!(matches!(
        store.create_listing(&t.state, &[]).await,
        Err(StoreError::Duplicate(_))
    ));
    let loaded = store.listing(&id).await.unwrap().unwrap();
    assert_eq!(loaded.value, t.state);
    assert_eq!(loaded.version, 1);

    let u = loaded
        .value
        .update(content("Plain shoes"), GateDecision::Pass, &admin(), t0())
        .unwrap();
    assert_eq!(store.save_listing(&u.state, 1, &u.events).await.unwrap(), 2);
    // A writer still at version 1 lost the race, and writes nothing.
    assert!(matches!(
        store.save_listing(&u.state, 1, &u.events).await,
        Err(StoreError::Conflict(_))
    ));
    let now = store.listing(&id).await.unwrap().unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(now.value.content.title.as_str(), "Plain shoes");
    assert_eq!(now.value.state.name(), "active");

    let audit = store
        .audit_of(&Subject::Listing { listing: id })
        .await
        .unwrap();
    let kinds: Vec<_> = audit.iter().map(|r| &r.event.kind).collect();
    assert!(matches!(kinds[0], EventKind::ListingCreated { .. }));
    assert!(matches!(kinds[1], EventKind::ListingHeld { reasons } if reasons == &vec![hit()]));
    assert!(matches!(kinds[2], EventKind::ListingUpdated));
    assert!(matches!(kinds[3], EventKind::ListingReleased));
    assert_eq!(kinds.len(), 4);
    assert!(store.verify_audit(None).await.unwrap().ok());
    assert!(
        store
            .listing(&ListingId::parse("nope").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn listings_page_per_seller_in_id_order(store: &SqlStore) {
    for (id, s) in [
        ("b", "shop1"),
        ("a", "shop1"),
        ("c", "shop2"),
        ("d", "shop1"),
    ] {
        let t = Listing::create(
            ListingId::parse(id).unwrap(),
            org(s),
            content("Shoes"),
            GateDecision::Pass,
            &seller(s),
            t0(),
        )
        .unwrap();
        store.create_listing(&t.state, &t.events).await.unwrap();
    }
    let ids = |v: Vec<rightsguard_store::Versioned<Listing>>| {
        v.into_iter()
            .map(|l| l.value.id.to_string())
            .collect::<Vec<_>>()
    };
    let shop1 = org("shop1");
    assert_eq!(
        ids(store.listings(Some(&shop1), None, 10).await.unwrap()),
        ["a", "b", "d"]
    );
    let after = ListingId::parse("a").unwrap();
    assert_eq!(
        ids(store.listings(Some(&shop1), Some(&after), 1).await.unwrap()),
        ["b"]
    );
    assert_eq!(
        ids(store.listings(None, None, 10).await.unwrap()),
        ["a", "b", "c", "d"]
    );
    assert!(
        store
            .listings(Some(&org("none")), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn block_terms_round_trip_and_only_approved_ones_are_in_force(store: &SqlStore) {
    let right = verified_right(store, "r1").await;
    let mut ids = Vec::new();
    for (n, word) in ["ACME", "ACMEX"].iter().enumerate() {
        let id = BlockTermId::parse(&format!("bt-{n}")).unwrap();
        let t = BlockTerm::request(&right, word, &holder(), t0()).unwrap();
        store.create_block_term(&id, &t, &[]).await.unwrap();
        ids.push(id);
    }
    assert!(matches!(
        store
            .create_block_term(
                &ids[0],
                &BlockTerm::request(&right, "X1", &holder(), t0()).unwrap(),
                &[]
            )
            .await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(store.in_force_block_terms().await.unwrap().is_empty());
    let stored = store.block_term(&ids[0]).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    let approved = stored
        .term
        .apply(&BlockTermCommand::Approve, &admin(), t0())
        .unwrap();
    assert_eq!(
        store
            .save_block_term(&ids[0], &approved, 1, &[])
            .await
            .unwrap(),
        2
    );
    assert!(matches!(
        store.save_block_term(&ids[0], &approved, 1, &[]).await,
        Err(StoreError::Conflict(_))
    ));
    let in_force = store.in_force_block_terms().await.unwrap();
    assert_eq!(in_force.len(), 1);
    assert_eq!(in_force[0].id, ids[0]);
    assert!(in_force[0].term.in_force());
    assert_eq!(
        store
            .block_terms(Some(&org("acme")), 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.block_terms(None, 10).await.unwrap().len(), 2);
    assert!(
        store
            .block_terms(Some(&org("rival")), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn authorisations_are_found_by_seller_and_by_owner(store: &SqlStore) {
    verified_right(store, "r1").await;
    for o in ["shop1", "shop2"] {
        store
            .create_org(
                &Org {
                    id: org(o),
                    kind: OrgKind::Seller,
                    name: DisplayName::parse(o).unwrap(),
                },
                &[],
            )
            .await
            .unwrap();
    }
    let a = |n: u8, s: &str| StoredAuthorisation {
        id: AuthorisationId::parse(&format!("au-{n}")).unwrap(),
        owner: org("acme"),
        authorisation: Authorisation {
            seller: org(s),
            right: RightId::parse("r1").unwrap(),
            evidence: Sha256::from_bytes([n; 32]),
            valid_until: Some(jiff::civil::date(2026, 12, 31)),
            revoked: false,
        },
        created_at: t0(),
    };
    store
        .create_authorisation(&a(1, "shop1"), &[])
        .await
        .unwrap();
    store
        .create_authorisation(&a(2, "shop2"), &[])
        .await
        .unwrap();
    assert!(matches!(
        store.create_authorisation(&a(1, "shop1"), &[]).await,
        Err(StoreError::Duplicate(_))
    ));
    let of1 = store.authorisations_of_seller(&org("shop1")).await.unwrap();
    assert_eq!(of1, vec![a(1, "shop1").authorisation]);
    assert_eq!(
        store
            .authorisations(Some(&org("acme")), None)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .authorisations(None, Some(&org("shop2")))
            .await
            .unwrap(),
        vec![a(2, "shop2")]
    );
    assert_eq!(store.authorisations(None, None).await.unwrap().len(), 2);
    assert!(
        store
            .authorisations(Some(&org("rival")), None)
            .await
            .unwrap()
            .is_empty()
    );
}
