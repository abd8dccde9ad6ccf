//! The storage conformance suite for the outbox of enforcement actions and
//! webhook delivery: every test runs on SQLite and on PostgreSQL, each on a
//! fresh database (PostgreSQL from `RG_TEST_POSTGRES_URL`, as in
//! `conformance.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use jiff::{SignedDuration, Timestamp};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::blocklist::{BlockHit, GateDecision};
use rightsguard_domain::calendar::Calendar;
use rightsguard_domain::complaint::{
    Complaint, ComplaintCommand, Ctx, Decision, ListingRef, ReasonCode, SubmitComplaint,
};
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::listing::{Listing, ListingContent};
use rightsguard_domain::outbound::ActionType;
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightKind, RightState};
use rightsguard_store::listings::ListingStore;
use rightsguard_store::webhooks::{
    Attempt, ClaimedDelivery, DeliveryNext, DeliveryStatus, EndpointSecret, WebhookEndpoint,
    WebhookStore,
};
use rightsguard_store::{SqlStore, Store, StoreError};

#[macro_use]
mod common;
use common::Db;

conformance!(
    actions_write_outbox_events_in_their_transaction_numbered_per_listing,
    deliveries_are_leased_in_listing_order_retried_and_given_up,
    concurrent_claimers_never_share_a_delivery_and_keep_listing_order,
    a_notifier_suspension_and_its_end_are_account_events,
    store_events_are_announced_once_per_change_in_order_per_store,
    outbox_cursors_only_move_forward,
);

fn t0() -> Timestamp {
    "2026-03-10T02:00:00Z".parse().unwrap()
}
fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn reviewer() -> Actor {
    Actor::reviewer(org("platform"), UserId::parse("rita").unwrap())
}
fn holder() -> Actor {
    Actor::rights_holder(org("acme"), UserId::parse("alice").unwrap())
}
fn seller() -> Actor {
    Actor::seller(org("shop1"), UserId::parse("sam").unwrap())
}
fn lid(s: &str) -> ListingId {
    ListingId::parse(s).unwrap()
}
fn content(title: &str) -> ListingContent {
    serde_json::from_value(serde_json::json!({"title": title, "category": "Shoes"})).unwrap()
}

async fn verified_right(store: &SqlStore) -> Right {
    let r = Right {
        id: RightId::parse("r1").unwrap(),
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

/// Files complaint `id` against `listings` of shop1 and upholds every one;
/// returns the stored complaint and its version.
async fn upheld(store: &SqlStore, right: &Right, id: &str, listings: &[&str]) -> (Complaint, i64) {
    let policy = Policy::builtin("aliexpress").unwrap();
    let calendar = Calendar::builtin(&policy.calendar).unwrap();
    let ctx = Ctx {
        policy: &policy,
        calendar: &calendar,
    };
    let sub = SubmitComplaint {
        id: ComplaintId::parse(id).unwrap(),
        right: right.id.clone(),
        reason: ReasonCode::Counterfeit,
        listings: listings
            .iter()
            .map(|l| ListingRef {
                id: lid(l),
                seller: org("shop1"),
                category_classes: [NiceClass::new(25).unwrap()].into(),
            })
            .collect(),
        evidence: vec![Sha256::from_bytes([9; 32])],
    };
    let t = Complaint::submit(sub, right, &holder(), t0(), ctx).unwrap();
    let mut version = store
        .save_complaint(&t.state, None, &t.events, &[])
        .await
        .unwrap();
    let mut c = t.state;
    for l in listings {
        let cmd = ComplaintCommand::Decide {
            listing: lid(l),
            decision: Decision::Uphold,
        };
        let t = c.apply(&cmd, &reviewer(), t0(), ctx).unwrap();
        version = store
            .save_complaint(&t.state, Some(version), &t.events, &[])
            .await
            .unwrap();
        c = t.state;
    }
    (c, version)
}

async fn actions_write_outbox_events_in_their_transaction_numbered_per_listing(store: &SqlStore) {
    let right = verified_right(store).await;
    let (c, version) = upheld(store, &right, "C1", &["L1", "L2"]).await;
    // A save that loses its race writes neither audit nor outbox.
    let reinstated = DomainEvent::complaint(
        c.id.clone(),
        Some(lid("L1")),
        &reviewer(),
        t0(),
        EventKind::ListingReinstated {
            reason: "counter-notice upheld".into(),
        },
    );
    assert!(matches!(
        store
            .save_complaint(
                &c,
                Some(version - 1),
                std::slice::from_ref(&reinstated),
                &[]
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.outbox_events(0, 100).await.unwrap().len(), 2);
    store
        .save_complaint(&c, Some(version), &[reinstated], &[])
        .await
        .unwrap();
    // A listing write held by the blocklist, then released.
    let hit = BlockHit {
        right: right.id.clone(),
        term: "ACME".into(),
        field: "title".into(),
        matched: "Acme".into(),
        method: "exact".into(),
    };
    let held = Listing::create(
        lid("L1"),
        org("shop1"),
        content("Acme shoes"),
        GateDecision::Held { reasons: vec![hit] },
        &seller(),
        t0(),
    )
    .unwrap();
    store
        .create_listing(&held.state, &held.events)
        .await
        .unwrap();
    let released = held
        .state
        .update(content("Plain shoes"), GateDecision::Pass, &seller(), t0())
        .unwrap();
    store
        .save_listing(&released.state, 1, &released.events)
        .await
        .unwrap();

    let events = store.outbox_events(0, 100).await.unwrap();
    let seen: Vec<(ActionType, &str, i64)> = events
        .iter()
        .map(|e| (e.kind, e.listing.as_str(), e.listing_seq))
        .collect();
    assert_eq!(
        seen,
        [
            (ActionType::ListingTakenDown, "L1", 1),
            (ActionType::ListingTakenDown, "L2", 1),
            (ActionType::ListingReinstated, "L1", 2),
            (ActionType::ListingHeld, "L1", 3),
            (ActionType::ListingReleased, "L1", 4),
        ]
    );
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    // Each event names its audit record, and its id is derived from it.
    let audit = store
        .audit_of(&rightsguard_domain::event::Subject::Complaint {
            complaint: c.id.clone(),
            listing: None,
        })
        .await
        .unwrap();
    for e in &events[..3] {
        let rec = audit.iter().find(|r| r.seq == e.audit_seq).unwrap();
        assert_eq!(e.id, format!("evt_{}", rec.seq));
    }
    let body = events[0].payload_json().unwrap();
    assert_eq!(body["id"], events[0].id.as_str());
    assert_eq!(body["type"], "listing.taken_down");
    assert_eq!(body["listing_seq"], 1);
    assert_eq!(body["data"]["listing"], "L1");
    assert_eq!(body["data"]["seller"], "shop1");
    assert_eq!(body["data"]["complaint"], "C1");
    assert_eq!(body["data"]["right"], "r1");
    assert!(body["data"]["counter_notice_due"].is_string());
    let held = events[3].payload_json().unwrap();
    assert_eq!(held["data"]["seller"], "shop1");
    assert_eq!(held["data"]["held_reasons"][0]["term"], "ACME");
    assert_eq!(
        events[2].payload_json().unwrap()["data"]["reason"],
        "counter-notice upheld"
    );
    // Paging and lookup by id.
    let page = store.outbox_events(events[1].seq, 2).await.unwrap();
    assert_eq!(page, events[2..4].to_vec());
    assert_eq!(
        store.outbox_event(&events[4].id).await.unwrap().as_ref(),
        Some(&events[4])
    );
    assert_eq!(store.outbox_event("evt_0").await.unwrap(), None);
    // The audit chain still verifies.
    assert!(store.verify_audit(None).await.unwrap().ok());
}

fn endpoint(id: &str, types: &[ActionType]) -> WebhookEndpoint {
    WebhookEndpoint {
        id: id.into(),
        url: format!("http://127.0.0.1:9/{id}"),
        description: String::new(),
        event_types: types.to_vec(),
        enabled: true,
        secrets: vec![EndpointSecret {
            secret: "whsec_AAAA".into(),
            created_at: t0(),
            expires_at: None,
        }],
        created_at: t0(),
        version: 1,
    }
}

fn attempt(c: &ClaimedDelivery, at: Timestamp, ok: bool) -> Attempt {
    Attempt {
        attempt: c.attempt,
        at,
        status_code: Some(if ok { 200 } else { 503 }),
        latency_ms: 3,
        error: (!ok).then(|| "HTTP 503".to_owned()),
    }
}

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

/// Writes a listing of shop1 held by the blocklist, then released: two events.
async fn held_then_released(store: &SqlStore, id: &str) {
    let hit = BlockHit {
        right: RightId::parse("r1").unwrap(),
        term: "ACME".into(),
        field: "title".into(),
        matched: "Acme".into(),
        method: "exact".into(),
    };
    let held = Listing::create(
        lid(id),
        org("shop1"),
        content("Acme shoes"),
        GateDecision::Held { reasons: vec![hit] },
        &seller(),
        t0(),
    )
    .unwrap();
    store
        .create_listing(&held.state, &held.events)
        .await
        .unwrap();
    let released = held
        .state
        .update(content("Plain shoes"), GateDecision::Pass, &seller(), t0())
        .unwrap();
    store
        .save_listing(&released.state, 1, &released.events)
        .await
        .unwrap();
}

async fn deliveries_are_leased_in_listing_order_retried_and_given_up(store: &SqlStore) {
    let right = verified_right(store).await;
    store
        .create_webhook_endpoint(&endpoint("whe_all", &[]), &[])
        .await
        .unwrap();
    store
        .create_webhook_endpoint(&endpoint("whe_held", &[ActionType::ListingHeld]), &[])
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_webhook_endpoint(&endpoint("whe_all", &[]), &[])
            .await,
        Err(StoreError::Duplicate(_))
    ));
    let (c, version) = upheld(store, &right, "C1", &["L1", "L2"]).await;
    let back = DomainEvent::complaint(
        c.id.clone(),
        Some(lid("L1")),
        &reviewer(),
        t0(),
        EventKind::ListingReinstated { reason: "r".into() },
    );
    store
        .save_complaint(&c, Some(version), &[back], &[])
        .await
        .unwrap();
    let now = t0();
    let lease = secs(30);
    // The first event of each listing; L1's second waits behind its first.
    let a = store.claim_deliveries(now, "w1", lease, 10).await.unwrap();
    let got: Vec<(&str, &str, i64, i64)> = a
        .iter()
        .map(|d| {
            (
                d.endpoint.as_str(),
                d.event.listing.as_str(),
                d.event.listing_seq,
                d.attempt,
            )
        })
        .collect();
    assert_eq!(got, [("whe_all", "L1", 1, 1), ("whe_all", "L2", 1, 1)]);
    // Leased: nobody else gets them.
    assert!(
        store
            .claim_deliveries(now, "w2", lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A failure schedules a retry; only the lease holder may record it.
    let retry = now.checked_add(secs(10)).unwrap();
    assert!(
        !store
            .finish_delivery(
                &a[0],
                "w2",
                &attempt(&a[0], now, false),
                DeliveryNext::RetryAt(retry)
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_delivery(
                &a[0],
                "w1",
                &attempt(&a[0], now, false),
                DeliveryNext::RetryAt(retry)
            )
            .await
            .unwrap()
    );
    // Not due yet, and L1's second event still waits behind the first.
    assert!(
        store
            .claim_deliveries(now, "w2", lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Past the lease: w1 "crashed" holding L2; both come back, attempts counted.
    let later = now.checked_add(secs(31)).unwrap();
    let b = store
        .claim_deliveries(later, "w2", lease, 10)
        .await
        .unwrap();
    let got: Vec<(&str, i64)> = b
        .iter()
        .map(|d| (d.event.listing.as_str(), d.attempt))
        .collect();
    assert_eq!(got, [("L1", 2), ("L2", 2)]);
    assert!(
        !store
            .finish_delivery(
                &a[1],
                "w1",
                &attempt(&a[1], later, true),
                DeliveryNext::Delivered
            )
            .await
            .unwrap(),
        "a lost lease records nothing but the attempt"
    );
    store
        .finish_delivery(
            &b[0],
            "w2",
            &attempt(&b[0], later, false),
            DeliveryNext::Failed,
        )
        .await
        .unwrap();
    store
        .finish_delivery(
            &b[1],
            "w2",
            &attempt(&b[1], later, true),
            DeliveryNext::Delivered,
        )
        .await
        .unwrap();
    // A failed delivery no longer holds its listing back.
    let c2 = store
        .claim_deliveries(later, "w3", lease, 10)
        .await
        .unwrap();
    assert_eq!(c2.len(), 1);
    assert_eq!(
        (c2[0].event.listing.as_str(), c2[0].event.listing_seq),
        ("L1", 2)
    );
    assert_eq!(c2[0].event.kind, ActionType::ListingReinstated);
    // The log.
    let all = store.deliveries(Some("whe_all"), None, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    let first = all.iter().find(|d| d.event_id == a[0].event.id).unwrap();
    assert_eq!(first.status, DeliveryStatus::Failed);
    assert_eq!(first.attempts, 2);
    // Every attempt sent is logged, a finish without the lease included.
    assert_eq!(first.log.len(), 3);
    assert_eq!(first.log[0].status_code, Some(503));
    assert_eq!(first.log[0].error.as_deref(), Some("HTTP 503"));
    let l2 = all.iter().find(|d| d.listing == "L2").unwrap();
    assert_eq!(l2.status, DeliveryStatus::Delivered);
    assert_eq!(l2.delivered_at, Some(later));
    assert_eq!(l2.log.len(), 2, "the lost-lease attempt is logged too");
    assert_eq!(
        store
            .deliveries(None, Some(DeliveryStatus::Failed), 100)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .deliveries(Some("whe_held"), None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    // Redelivery puts the failed one back, due now; an unknown id is None.
    assert_eq!(
        store.redeliver_event(&a[0].event.id, later).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        store.redeliver_event("evt_999999", later).await.unwrap(),
        None
    );
    let again = store
        .deliveries(None, Some(DeliveryStatus::Pending), 100)
        .await
        .unwrap();
    assert_eq!(
        again.iter().filter(|d| d.event_id == a[0].event.id).count(),
        1
    );
    // A disabled endpoint is not delivered to and gets no new events.
    let mut held_ep = store.webhook_endpoint("whe_held").await.unwrap().unwrap();
    held_ep.enabled = false;
    assert_eq!(store.save_webhook_endpoint(&held_ep, &[]).await.unwrap(), 2);
    assert!(matches!(
        store.save_webhook_endpoint(&held_ep, &[]).await,
        Err(StoreError::Conflict(_))
    ));
    held_then_released(store, "L9").await;
    let d = store
        .claim_deliveries(later, "w4", lease, 10)
        .await
        .unwrap();
    assert!(d.iter().all(|d| d.endpoint == "whe_all"), "{d:?}");
    assert_eq!(
        store
            .deliveries(Some("whe_held"), None, 100)
            .await
            .unwrap()
            .len(),
        0,
        "a disabled endpoint gets no new events"
    );
    assert_eq!(store.webhook_endpoints().await.unwrap().len(), 2);
}

async fn concurrent_claimers_never_share_a_delivery_and_keep_listing_order(store: &SqlStore) {
    verified_right(store).await;
    store
        .create_webhook_endpoint(&endpoint("whe_all", &[]), &[])
        .await
        .unwrap();
    const LISTINGS: usize = 12;
    for i in 0..LISTINGS {
        held_then_released(store, &format!("L{i}")).await;
    }
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, i64)>::new()));
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        let seen = seen.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("w{w}");
            for _ in 0..200 {
                let claimed = store
                    .claim_deliveries(t0(), &owner, secs(300), 3)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    if seen.lock().unwrap().len() == 2 * LISTINGS {
                        return;
                    }
                    tokio::task::yield_now().await;
                    continue;
                }
                for c in claimed {
                    seen.lock()
                        .unwrap()
                        .push((c.event.listing.clone(), c.event.listing_seq));
                    let ok = store
                        .finish_delivery(
                            &c,
                            &owner,
                            &attempt(&c, t0(), true),
                            DeliveryNext::Delivered,
                        )
                        .await
                        .unwrap();
                    assert!(ok);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        2 * LISTINGS,
        "each delivery claimed exactly once: {seen:?}"
    );
    for i in 0..LISTINGS {
        let order: Vec<i64> = seen
            .iter()
            .filter(|(l, _)| *l == format!("L{i}"))
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(order, [1, 2], "listing L{i} in order");
    }
}

async fn a_notifier_suspension_and_its_end_are_account_events(store: &SqlStore) {
    use rightsguard_domain::notifier::AbuseCase;
    use rightsguard_store::notifiers::NotifierStore;
    store
        .create_webhook_endpoint(
            &endpoint("whe_accounts", &[ActionType::AccountSuspended]),
            &[],
        )
        .await
        .unwrap();
    let until = t0().checked_add(secs(86_400 * 30)).unwrap();
    let suspended = DomainEvent::notifier(
        org("acme"),
        &reviewer(),
        t0(),
        EventKind::NotifierSuspended {
            until,
            reason: "manifestly unfounded notices".into(),
        },
    );
    let v = store
        .save_notifier_case(
            &org("acme"),
            &AbuseCase::Suspended { until },
            None,
            t0(),
            &[suspended],
        )
        .await
        .unwrap();
    let ended = DomainEvent::notifier(
        org("acme"),
        &reviewer(),
        until,
        EventKind::NotifierSuspensionEnded,
    );
    store
        .save_notifier_case(
            &org("acme"),
            &AbuseCase::Warned { at: until },
            Some(v),
            until,
            &[ended],
        )
        .await
        .unwrap();
    let events = store.outbox_events(0, 10).await.unwrap();
    let seen: Vec<(ActionType, &str, i64)> = events
        .iter()
        .map(|e| (e.kind, e.listing.as_str(), e.listing_seq))
        .collect();
    assert_eq!(
        seen,
        [
            (ActionType::AccountSuspended, "account:acme", 1),
            (ActionType::AccountSuspensionEnded, "account:acme", 2),
        ]
    );
    let body = events[0].payload_json().unwrap();
    assert_eq!(body["type"], "account.suspended");
    assert_eq!(body["data"]["account"], "acme");
    assert_eq!(body["data"]["reason"], "manifestly unfounded notices");
    assert!(body["data"]["until"].is_string());
    assert!(body["data"].get("listing").is_none());
    // The endpoint subscribed to suspensions only gets the suspension.
    let d = store
        .deliveries(Some("whe_accounts"), None, 10)
        .await
        .unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].event_type, ActionType::AccountSuspended);
}

async fn store_events_are_announced_once_per_change_in_order_per_store(store: &SqlStore) {
    use rightsguard_domain::penalty::StoreStatus;
    use rightsguard_store::penalties::{PenaltyStore, SYNC_STORE_STATUS, sync_job};
    let shop = org("shop1");
    let first = store.announced_store_status(&shop).await.unwrap();
    assert_eq!((first.status, first.seq), (StoreStatus::Active, 0));
    let until = t0().checked_add(secs(86_400)).unwrap();
    let system = Actor::system(org("platform"));
    let frozen = DomainEvent::store(
        shop.clone(),
        &system,
        t0(),
        EventKind::StoreFrozen {
            until,
            complaint: rightsguard_domain::ids::ComplaintId::parse("C1").unwrap(),
            listing: lid("L1"),
        },
    );
    let job = sync_job(&shop, "until:1", until);
    store
        .announce_store_status(
            &shop,
            0,
            std::slice::from_ref(&frozen),
            std::slice::from_ref(&job),
        )
        .await
        .unwrap();
    let now = store.announced_store_status(&shop).await.unwrap();
    assert_eq!(now.status, StoreStatus::Frozen { until });
    assert!(now.seq > 0);
    // A writer that saw the old state loses: the change is not announced twice.
    let again = store.announce_store_status(&shop, 0, &[frozen], &[]).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    // The freeze's end is due as a job.
    let jobs = store
        .claim_due_jobs(until, "w", secs(60), 10)
        .await
        .unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(),
        [SYNC_STORE_STATUS]
    );
    let unfrozen = DomainEvent::store(shop.clone(), &system, until, EventKind::StoreUnfrozen);
    store
        .announce_store_status(&shop, now.seq, &[unfrozen], &[])
        .await
        .unwrap();
    assert_eq!(
        store.announced_store_status(&shop).await.unwrap().status,
        StoreStatus::Active
    );
    assert_eq!(
        store
            .announced_store_status(&org("shop2"))
            .await
            .unwrap()
            .seq,
        0,
        "per store"
    );
    let events = store.outbox_events(0, 10).await.unwrap();
    let seen: Vec<(ActionType, &str, i64, Option<&str>)> = events
        .iter()
        .map(|e| {
            (
                e.kind,
                e.listing.as_str(),
                e.listing_seq,
                e.seller.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (ActionType::StoreFrozen, "store:shop1", 1, Some("shop1")),
            (ActionType::StoreUnfrozen, "store:shop1", 2, Some("shop1")),
        ]
    );
    let body = events[0].payload_json().unwrap();
    assert_eq!(body["data"]["seller"], "shop1");
    assert_eq!(body["data"]["complaint"], "C1");
    assert!(body["data"]["until"].is_string());
}

async fn outbox_cursors_only_move_forward(store: &SqlStore) {
    assert_eq!(store.outbox_cursor("nats").await.unwrap(), 0);
    store.advance_outbox_cursor("nats", 5).await.unwrap();
    store.advance_outbox_cursor("nats", 3).await.unwrap();
    assert_eq!(store.outbox_cursor("nats").await.unwrap(), 5);
    store.advance_outbox_cursor("nats", 7).await.unwrap();
    assert_eq!(store.outbox_cursor("nats").await.unwrap(), 7);
    assert_eq!(store.outbox_cursor("other").await.unwrap(), 0);
}
