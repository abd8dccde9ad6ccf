//! The storage conformance suite for the exports' reads: every test runs on
//! SQLite and on PostgreSQL, each on a fresh database (PostgreSQL from
//! `RG_TEST_POSTGRES_URL`, as in `conformance.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use jiff::{Timestamp, ToSpan};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::blocklist::{BlockHit, GateDecision};
use rightsguard_domain::calendar::Calendar;
use rightsguard_domain::complaint::{Complaint, Ctx, ListingRef, ReasonCode, SubmitComplaint};
use rightsguard_domain::event::{EventKind, Subject};
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::listing::{Listing, ListingContent};
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightKind, RightState};
use rightsguard_store::exports::ExportStore;
use rightsguard_store::listings::ListingStore;
use rightsguard_store::{SqlStore, Store};

#[macro_use]
mod common;
use common::Db;

conformance!(decisions_complaints_and_sellers_are_read_back_typed_and_in_order);

fn t0() -> Timestamp {
    "2026-03-10T02:00:00Z".parse().unwrap()
}
fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}

async fn right(store: &SqlStore, id: &str, owner: &str) -> Right {
    let r = Right {
        id: RightId::parse(id).unwrap(),
        owner: org(owner),
        kind: RightKind::Trademark,
        jurisdiction: Jurisdiction::CN,
        registration_number: RegistrationNumber::parse("123").unwrap(),
        nice_classes: [NiceClass::new(25).unwrap()].into(),
        valid_from: jiff::civil::date(2020, 1, 1),
        valid_until: None,
        certificates: [Sha256::from_bytes([owner.len() as u8; 32])].into(),
        cn_extension_certificate: None,
        state: RightState::Verified,
    };
    store.create_right(&r, &[]).await.unwrap();
    r
}

async fn complaint(store: &SqlStore, r: &Right, id: &str, seller: &str, at: Timestamp) {
    let policy = Policy::builtin("aliexpress").unwrap();
    let calendar = Calendar::builtin(&policy.calendar).unwrap();
    let ctx = Ctx {
        policy: &policy,
        calendar: &calendar,
    };
    let actor = Actor::rights_holder(r.owner.clone(), UserId::parse("u").unwrap());
    let t = Complaint::submit(
        SubmitComplaint {
            id: ComplaintId::parse(id).unwrap(),
            right: r.id.clone(),
            reason: ReasonCode::Counterfeit,
            listings: vec![ListingRef {
                id: ListingId::parse(&format!("L-{id}")).unwrap(),
                seller: org(seller),
                category_classes: [NiceClass::new(25).unwrap()].into(),
            }],
            evidence: vec![Sha256::from_bytes([9; 32])],
        },
        r,
        &actor,
        at,
        ctx,
    )
    .unwrap();
    store
        .save_complaint(&t.state, None, &t.events, &[])
        .await
        .unwrap();
}

async fn decisions_complaints_and_sellers_are_read_back_typed_and_in_order(store: &SqlStore) {
    let acme = right(store, "r1", "acme").await;
    let rival = right(store, "r2", "rival").await;
    complaint(
        store,
        &acme,
        "C2",
        "shop2",
        t0().checked_add(2.hours()).unwrap(),
    )
    .await;
    complaint(store, &rival, "C1", "shop1", t0()).await;
    complaint(
        store,
        &acme,
        "C3",
        "shop1",
        t0().checked_add(4.hours()).unwrap(),
    )
    .await;
    let held = Listing::create(
        ListingId::parse("L9").unwrap(),
        org("shop3"),
        serde_json::from_value::<ListingContent>(
            serde_json::json!({"title": "Acme shoes", "category": "Shoes"}),
        )
        .unwrap(),
        GateDecision::Held {
            reasons: vec![BlockHit {
                right: acme.id.clone(),
                term: "ACME".into(),
                field: "title".into(),
                matched: "Acme".into(),
                method: "exact".into(),
            }],
        },
        &Actor::seller(org("shop3"), UserId::parse("s").unwrap()),
        t0().checked_add(5.hours()).unwrap(),
    )
    .unwrap();
    store
        .create_listing(&held.state, &held.events)
        .await
        .unwrap();

    // Only complaint and listing subjects, in order, paged by sequence number.
    let all = store.decision_records(0, None, 100).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(all.iter().all(|r| matches!(
        r.event.subject,
        Subject::Complaint { .. } | Subject::Listing { .. }
    )));
    assert!(
        all.iter()
            .any(|r| matches!(r.event.kind, EventKind::ListingHeld { .. }))
    );
    assert_eq!(
        all.iter()
            .filter(|r| matches!(r.event.kind, EventKind::ComplaintSubmitted { .. }))
            .count(),
        3
    );
    let page = store.decision_records(all[1].seq, None, 2).await.unwrap();
    assert_eq!(page, all[2..4].to_vec());
    let before = store
        .decision_records(0, Some(t0().checked_add(3.hours()).unwrap()), 100)
        .await
        .unwrap();
    assert!(
        before
            .iter()
            .all(|r| r.event.at < t0().checked_add(3.hours()).unwrap())
    );
    assert!(!before.is_empty() && before.len() < all.len());

    // One record by its number.
    assert_eq!(
        store.audit_record(all[0].seq).await.unwrap().as_ref(),
        Some(&all[0])
    );
    assert_eq!(store.audit_record(999_999).await.unwrap(), None);

    // Complaints in order of submission, per complainant, before an instant.
    let ids = |cs: Vec<Complaint>| cs.iter().map(|c| c.id.to_string()).collect::<Vec<_>>();
    assert_eq!(
        ids(store.complaints_filed(None, None).await.unwrap()),
        ["C1", "C2", "C3"]
    );
    assert_eq!(
        ids(store
            .complaints_filed(Some(&org("acme")), None)
            .await
            .unwrap()),
        ["C2", "C3"]
    );
    assert_eq!(
        ids(store
            .complaints_filed(None, Some(t0().checked_add(3.hours()).unwrap()))
            .await
            .unwrap()),
        ["C1", "C2"]
    );
    assert_eq!(
        store
            .complaints_filed(Some(&org("nobody")), None)
            .await
            .unwrap(),
        vec![]
    );

    // Sellers named in complaints (not the one only held).
    assert_eq!(
        store.sellers_named().await.unwrap(),
        vec![org("shop1"), org("shop2")]
    );
}
