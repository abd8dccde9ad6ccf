//! The storage conformance suite for monitoring findings, scan records and right marks
//! every test runs on SQLite and on PostgreSQL, each on a
//! fresh database (PostgreSQL from `RG_TEST_POSTGRES_URL`, as in
//! `conformance.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use jiff::Timestamp;
use rightsguard_domain::finding::{Capture, Explanation, Finding, FindingState};
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
};
use rightsguard_domain::right::{Right, RightKind, RightState};
use rightsguard_store::findings::{
    FindingCounts, FindingStore, ListingScan, RightMarks, ScanRecord,
};
use rightsguard_store::listings::ListingStore;
use rightsguard_store::{NewJob, SqlStore, Store, StoreError};
#[macro_use]
mod common;
use common::Db;

conformance!(
    findings_are_stored_once_per_cause_and_resolved_when_gone,
    finding_state_changes_are_optimistic_and_listed_by_owner_and_state,
    only_verified_rights_with_marks_are_monitored,
    scan_records_round_trip,
    a_rescan_run_again_counts_what_it_wrote_the_same_way,
    partitioned_scans_add_up_each_partition_once,
    many_listings_reconcile_in_one_call_as_one_by_one,
    right_images_are_added_once_audited_listed_and_removed,
    listing_image_hashes_are_stored_once_by_content_with_their_scans,
);

fn t0() -> Timestamp {
    "2026-03-10T02:00:00Z".parse().unwrap()
}
fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn rid(s: &str) -> RightId {
    RightId::parse(s).unwrap()
}

async fn right(store: &SqlStore, id: &str, owner: &str, state: RightState) -> Right {
    let r = Right {
        id: rid(id),
        owner: org(owner),
        kind: RightKind::Trademark,
        jurisdiction: Jurisdiction::CN,
        registration_number: RegistrationNumber::parse("123").unwrap(),
        nice_classes: [NiceClass::new(25).unwrap()].into(),
        valid_from: jiff::civil::date(2020, 1, 1),
        valid_until: None,
        certificates: [Sha256::from_bytes([id.len() as u8; 32])].into(),
        cn_extension_certificate: None,
        state,
    };
    store.create_right(&r, &[]).await.unwrap();
    r
}

fn finding(id: &str, listing: &str, right: &str, owner: &str, cause: &str) -> Finding {
    let capture = Capture {
        listing: ListingId::parse(listing).unwrap(),
        seller: org("shop"),
        title: "Acme shoes".into(),
        description: String::new(),
        image_hashes: vec![],
        captured_at: t0(),
        image_match: None,
    };
    Finding {
        id: id.into(),
        listing: ListingId::parse(listing).unwrap(),
        right: rid(right),
        owner: org(owner),
        cause: cause.into(),
        explanation: Explanation {
            method: "exact".into(),
            term: "ACME".into(),
            field: "title".into(),
            start: 0,
            end: 4,
            matched: "Acme".into(),
            score: 1.0,
            distance: None,
            transform: None,
        },
        capture_sha256: Sha256::from_bytes([9; 32]),
        capture,
        relisting_of: None,
        state: FindingState::Open,
        found_at: t0(),
        updated_at: t0(),
    }
}

async fn findings_are_stored_once_per_cause_and_resolved_when_gone(store: &SqlStore) {
    let l1 = ListingId::parse("L1").unwrap();
    let scope = [rid("r1"), rid("r2")];
    let a = finding("fd-a", "L1", "r1", "acme", "text:exact:ACME");
    let b = finding("fd-b", "L1", "r2", "acme", "text:leet:ACME");
    let got = store
        .record_findings(&l1, &scope, &[a.clone(), b.clone()], t0(), None)
        .await
        .unwrap();
    assert_eq!(
        got,
        FindingCounts {
            new: 2,
            known: 0,
            resolved: 0
        }
    );
    // The same scan again (a job re-run after a crash) writes nothing new,
    // even with fresh ids.
    let mut a2 = a.clone();
    a2.id = "fd-a2".into();
    let got = store
        .record_findings(&l1, &scope, &[a2, b.clone()], t0(), None)
        .await
        .unwrap();
    assert_eq!(
        got,
        FindingCounts {
            new: 0,
            known: 2,
            resolved: 0
        }
    );
    assert_eq!(
        store
            .findings(None, None, None, None, 100)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(store.finding("fd-a2").await.unwrap().is_none());
    // The listing changed: r2's cause is gone, r1's stays.
    let got = store
        .record_findings(&l1, &scope, std::slice::from_ref(&a), t0(), None)
        .await
        .unwrap();
    assert_eq!(
        got,
        FindingCounts {
            new: 0,
            known: 1,
            resolved: 1
        }
    );
    assert_eq!(
        store.finding("fd-b").await.unwrap().unwrap().value.state,
        FindingState::Resolved
    );
    // A scan of r2 only leaves r1's finding alone.
    let got = store
        .record_findings(&l1, &[rid("r2")], &[], t0(), None)
        .await
        .unwrap();
    assert_eq!(got, FindingCounts::default());
    // It matches again: the resolved finding reopens under its old id.
    let got = store
        .record_findings(&l1, &scope, &[a.clone(), b.clone()], t0(), None)
        .await
        .unwrap();
    assert_eq!(
        got,
        FindingCounts {
            new: 1,
            known: 1,
            resolved: 0
        }
    );
    let reopened = store.finding("fd-b").await.unwrap().unwrap();
    assert_eq!(reopened.value.state, FindingState::Open);
    assert_eq!(reopened.version, 3);
    // A finding about another listing is refused.
    assert!(matches!(
        store
            .record_findings(
                &l1,
                &scope,
                &[finding("fd-x", "L2", "r1", "acme", "c")],
                t0(),
                None
            )
            .await,
        Err(StoreError::Corrupt(_))
    ));
}

async fn finding_state_changes_are_optimistic_and_listed_by_owner_and_state(store: &SqlStore) {
    for (id, l, r, o) in [
        ("fd-1", "L1", "r1", "acme"),
        ("fd-2", "L2", "r1", "acme"),
        ("fd-3", "L2", "r9", "zeta"),
    ] {
        let f = finding(id, l, r, o, "text:exact:X");
        store
            .record_findings(&f.listing.clone(), &[], &[f], t0(), None)
            .await
            .unwrap();
    }
    let mut f = store.finding("fd-1").await.unwrap().unwrap();
    f.value.state = FindingState::Dismissed {
        reason: "licensed reseller".into(),
    };
    assert_eq!(store.save_finding(&f.value, f.version).await.unwrap(), 2);
    f.value.state = FindingState::Complained {
        complaint: ComplaintId::parse("c1").unwrap(),
    };
    assert!(matches!(
        store.save_finding(&f.value, f.version).await,
        Err(StoreError::Conflict(_))
    ));
    let ids = |v: Vec<Finding>| v.into_iter().map(|f| f.id).collect::<Vec<_>>();
    let acme = Some(org("acme"));
    assert_eq!(
        ids(store
            .findings(acme.as_ref(), None, None, None, 10)
            .await
            .unwrap()),
        ["fd-1", "fd-2"]
    );
    assert_eq!(
        ids(store
            .findings(acme.as_ref(), Some("open"), None, None, 10)
            .await
            .unwrap()),
        ["fd-2"]
    );
    assert_eq!(
        ids(store
            .findings(None, None, Some(&rid("r9")), None, 10)
            .await
            .unwrap()),
        ["fd-3"]
    );
    assert_eq!(
        ids(store
            .findings(None, None, None, Some("fd-1"), 1)
            .await
            .unwrap()),
        ["fd-2"]
    );
}

async fn only_verified_rights_with_marks_are_monitored(store: &SqlStore) {
    right(store, "r1", "acme", RightState::Verified).await;
    right(store, "r22", "acme", RightState::Pending).await;
    right(store, "r333", "acme", RightState::Verified).await;
    let marks = RightMarks {
        mark: "ACME".into(),
        aliases: vec!["AKME".into()],
    };
    let job = NewJob {
        key: "rescan:acme:1".into(),
        kind: "rescan_holder".into(),
        payload: serde_json::json!({"owner": "acme"}),
        due_at: t0(),
    };
    for r in ["r1", "r22"] {
        store
            .set_right_marks(
                &rid(r),
                &org("acme"),
                &marks,
                t0(),
                std::slice::from_ref(&job),
            )
            .await
            .unwrap();
    }
    let m = store.monitored_rights().await.unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].right.id, rid("r1"));
    assert_eq!(m[0].marks, marks);
    // Changing marks replaces them.
    let other = RightMarks {
        mark: "ACME".into(),
        aliases: vec![],
    };
    store
        .set_right_marks(&rid("r1"), &org("acme"), &other, t0(), &[])
        .await
        .unwrap();
    assert_eq!(store.right_marks(&rid("r1")).await.unwrap(), Some(other));
    assert_eq!(store.right_marks(&rid("r333")).await.unwrap(), None);
    // The rescan job was scheduled once.
    let jobs = store
        .claim_due_jobs(t0(), "w", jiff::SignedDuration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, "rescan_holder");
}

async fn scan_records_round_trip(store: &SqlStore) {
    let mut s = ScanRecord {
        id: "scan-1".into(),
        owner: org("acme"),
        reason: "scheduled".into(),
        started_at: t0(),
        finished_at: None,
        listings: 0,
        counts: FindingCounts::default(),
    };
    store.start_scan(&s).await.unwrap();
    store.start_scan(&s).await.unwrap();
    assert_eq!(store.scans(None, 10).await.unwrap(), [s.clone()]);
    s.finished_at = Some(t0());
    s.listings = 7;
    s.counts = FindingCounts {
        new: 1,
        known: 2,
        resolved: 3,
    };
    store.finish_scan(&s).await.unwrap();
    let mut other = s.clone();
    other.id = "scan-2".into();
    other.owner = org("zeta");
    store.start_scan(&other).await.unwrap();
    assert_eq!(store.scans(Some(&org("acme")), 10).await.unwrap(), [s]);
    assert_eq!(store.scans(None, 10).await.unwrap().len(), 2);
}

fn counts(new: i64, known: i64, resolved: i64) -> FindingCounts {
    FindingCounts {
        new,
        known,
        resolved,
    }
}

async fn a_rescan_run_again_counts_what_it_wrote_the_same_way(store: &SqlStore) {
    let l1 = ListingId::parse("L1").unwrap();
    let scope = [rid("r1")];
    let old = finding("fd-old", "L1", "r1", "acme", "text:exact:OLD");
    let a = finding("fd-a", "L1", "r1", "acme", "text:exact:ACME");
    // Stored before the rescan by an incremental scan.
    store
        .record_findings(&l1, &scope, std::slice::from_ref(&old), t0(), None)
        .await
        .unwrap();
    // The rescan "s1" finds `a` (new) and no longer `old` (resolved) ...
    let first = store
        .record_findings(&l1, &scope, std::slice::from_ref(&a), t0(), Some("s1"))
        .await
        .unwrap();
    assert_eq!(first, counts(1, 0, 1));
    // ... and counts the same when its partition runs again after a crash.
    let again = store
        .record_findings(&l1, &scope, std::slice::from_ref(&a), t0(), Some("s1"))
        .await
        .unwrap();
    assert_eq!(again, first);
    // Another rescan knows `a` already; an incremental scan too.
    let next = store
        .record_findings(&l1, &scope, std::slice::from_ref(&a), t0(), Some("s2"))
        .await
        .unwrap();
    assert_eq!(next, counts(0, 1, 0));
    let plain = store
        .record_findings(&l1, &scope, std::slice::from_ref(&a), t0(), None)
        .await
        .unwrap();
    assert_eq!(plain, counts(0, 1, 0));
}

async fn partitioned_scans_add_up_each_partition_once(store: &SqlStore) {
    use rightsguard_domain::actor::Actor;
    use rightsguard_domain::blocklist::GateDecision;
    use rightsguard_domain::ids::UserId;
    use rightsguard_domain::listing::Listing;
    // No listings yet: one open-ended partition.
    assert_eq!(
        store.split_listings(2).await.unwrap(),
        [(String::new(), None)]
    );
    for i in 1..=5 {
        let t = Listing::create(
            ListingId::parse(&format!("L{i}")).unwrap(),
            org("shop"),
            serde_json::from_value(serde_json::json!({"title": "Shoes", "category": "Shoes"}))
                .unwrap(),
            GateDecision::Pass,
            &Actor::seller(org("shop"), UserId::parse("sam").unwrap()),
            t0(),
        )
        .unwrap();
        store.create_listing(&t.state, &t.events).await.unwrap();
    }
    let ranges = store.split_listings(2).await.unwrap();
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        ranges,
        [
            (String::new(), some("L2")),
            ("L2".into(), some("L4")),
            ("L4".into(), None)
        ]
    );
    // Exactly a multiple of the size: the last range is still open-ended.
    assert_eq!(
        store.split_listings(5).await.unwrap(),
        [(String::new(), None)]
    );
    let ids = |v: Vec<Listing>| v.into_iter().map(|l| l.id.to_string()).collect::<Vec<_>>();
    assert_eq!(
        ids(store.listings_in_range("L2", Some("L4"), 10).await.unwrap()),
        ["L3", "L4"]
    );
    assert_eq!(
        ids(store.listings_in_range("L4", None, 10).await.unwrap()),
        ["L5"]
    );
    assert_eq!(
        ids(store.listings_in_range("", None, 2).await.unwrap()),
        ["L1", "L2"]
    );

    let scan = ScanRecord {
        id: "scan-p".into(),
        owner: org("acme"),
        reason: "requested".into(),
        started_at: t0(),
        finished_at: None,
        listings: 0,
        counts: FindingCounts::default(),
    };
    let parts = store.start_partitioned_scan(&scan, &ranges).await.unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[1].after, "L2");
    assert_eq!(parts[2].upto, None);
    // The job that split it re-run with other ranges keeps the first ones.
    let again = store
        .start_partitioned_scan(&scan, &ranges[..1])
        .await
        .unwrap();
    assert_eq!(again, parts);

    let t1: Timestamp = "2026-03-10T03:00:00Z".parse().unwrap();
    let r = store
        .finish_partition("scan-p", 0, 2, counts(1, 0, 0), t1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.listings, r.counts, r.finished_at),
        (2, counts(1, 0, 0), None)
    );
    // A partition done twice counts once, with its first counts.
    store
        .finish_partition("scan-p", 0, 2, counts(0, 1, 0), t1)
        .await
        .unwrap();
    store
        .finish_partition("scan-p", 2, 1, counts(0, 1, 0), t1)
        .await
        .unwrap();
    let unfinished = store.scan_record("scan-p").await.unwrap().unwrap();
    assert_eq!(unfinished.finished_at, None);
    assert_eq!(unfinished.listings, 3);
    let done = store
        .finish_partition("scan-p", 1, 2, counts(0, 0, 1), t1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.finished_at, Some(t1));
    assert_eq!((done.listings, done.counts), (5, counts(1, 1, 1)));
    assert_eq!(store.scans(None, 10).await.unwrap(), [done]);
}

async fn many_listings_reconcile_in_one_call_as_one_by_one(store: &SqlStore) {
    let scope = vec![rid("r1")];
    let l = |s: &str| ListingId::parse(s).unwrap();
    let old = finding("fd-old", "L2", "r1", "acme", "text:exact:OLD");
    store
        .record_findings(&l("L2"), &scope, std::slice::from_ref(&old), t0(), None)
        .await
        .unwrap();
    let page = |a: &str| {
        vec![
            ListingScan {
                listing: l("L1"),
                scope: scope.clone(),
                found: vec![finding(a, "L1", "r1", "acme", "text:exact:ACME")],
            },
            // L2 no longer names OLD: resolved.
            ListingScan {
                listing: l("L2"),
                scope: scope.clone(),
                found: vec![],
            },
            ListingScan {
                listing: l("L3"),
                scope: scope.clone(),
                found: vec![],
            },
        ]
    };
    let first = store
        .record_findings_many(&page("fd-a"), t0(), Some("s1"))
        .await
        .unwrap();
    assert_eq!(first, counts(1, 0, 1));
    // The same page again (a redelivered partition): the same counts, no new row.
    let again = store
        .record_findings_many(&page("fd-a2"), t0(), Some("s1"))
        .await
        .unwrap();
    assert_eq!(again, first);
    assert!(store.finding("fd-a2").await.unwrap().is_none());
    assert_eq!(
        store.finding("fd-old").await.unwrap().unwrap().value.state,
        FindingState::Resolved
    );
    // A finding about another listing than its entry is refused.
    let bad = [ListingScan {
        listing: l("L1"),
        scope: scope.clone(),
        found: vec![finding("fd-x", "L9", "r1", "acme", "c")],
    }];
    assert!(matches!(
        store.record_findings_many(&bad, t0(), None).await,
        Err(StoreError::Corrupt(_))
    ));
}

fn right_image(right: &str, sha: u8) -> rightsguard_store::findings::RightImage {
    rightsguard_store::findings::RightImage {
        right: rid(right),
        owner: org("acme"),
        sha256: Sha256::from_bytes([sha; 32]),
        hashes: format!("{{\"variants\":[],\"n\":{sha}}}"),
        variants: 109,
        added_at: t0(),
        added_by: "acme/alice".into(),
    }
}

async fn right_images_are_added_once_audited_listed_and_removed(store: &SqlStore) {
    use rightsguard_domain::actor::Actor;
    use rightsguard_domain::event::{DomainEvent, EventKind, Subject};
    use rightsguard_domain::ids::UserId;
    right(store, "r1", "acme", RightState::Verified).await;
    right(store, "r22", "acme", RightState::Pending).await;
    let alice = Actor::rights_holder(org("acme"), UserId::parse("alice").unwrap());
    let added = |r: &str, sha: u8| {
        DomainEvent::right(
            rid(r),
            &alice,
            t0(),
            EventKind::RightImageAdded {
                sha256: Sha256::from_bytes([sha; 32]),
                hashes: 109,
            },
        )
    };
    let job = NewJob {
        key: "rescan_holder:acme:images_changed:1".into(),
        kind: "rescan_holder".into(),
        payload: serde_json::json!({"owner": "acme"}),
        due_at: t0(),
    };
    // No marks, one image: an image-only right is monitored.
    assert!(store.monitored_rights().await.unwrap().is_empty());
    let a = right_image("r1", 1);
    assert!(
        store
            .add_right_image(&a, &[added("r1", 1)], std::slice::from_ref(&job))
            .await
            .unwrap()
    );
    // The same image again writes nothing (no second audit record or job).
    assert!(
        !store
            .add_right_image(&a, &[added("r1", 1)], std::slice::from_ref(&job))
            .await
            .unwrap()
    );
    let b = right_image("r1", 2);
    assert!(
        store
            .add_right_image(&b, &[added("r1", 2)], &[])
            .await
            .unwrap()
    );
    // A pending right's images are stored but not monitored.
    let c = right_image("r22", 3);
    assert!(
        store
            .add_right_image(&c, &[added("r22", 3)], &[])
            .await
            .unwrap()
    );
    assert_eq!(
        store.right_images(&rid("r1")).await.unwrap(),
        [a.clone(), b.clone()]
    );
    let m = store.monitored_rights().await.unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].right.id, rid("r1"));
    assert_eq!(m[0].marks, RightMarks::default());
    assert_eq!(m[0].images, [a.clone(), b.clone()]);
    // Marks and images together: one monitored right with both.
    let marks = RightMarks {
        mark: "ACME".into(),
        aliases: vec![],
    };
    store
        .set_right_marks(&rid("r1"), &org("acme"), &marks, t0(), &[])
        .await
        .unwrap();
    let m = store.monitored_rights().await.unwrap();
    assert_eq!((m.len(), &m[0].marks, m[0].images.len()), (1, &marks, 2));
    // Removal: once; audited with the change.
    let removed = DomainEvent::right(
        rid("r1"),
        &alice,
        t0(),
        EventKind::RightImageRemoved { sha256: a.sha256 },
    );
    assert!(
        store
            .remove_right_image(&rid("r1"), &a.sha256, std::slice::from_ref(&removed), &[])
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_right_image(&rid("r1"), &a.sha256, std::slice::from_ref(&removed), &[])
            .await
            .unwrap()
    );
    assert_eq!(store.right_images(&rid("r1")).await.unwrap(), [b]);
    let audit: Vec<EventKind> = store
        .audit_of(&Subject::Right { right: rid("r1") })
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event.kind)
        .collect();
    assert_eq!(
        audit,
        [added("r1", 1).kind, added("r1", 2).kind, removed.kind]
    );
    assert!(store.verify_audit(None).await.unwrap().ok());
    // The rescan job was scheduled once, with the first add.
    let jobs = store
        .claim_due_jobs(t0(), "w", jiff::SignedDuration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
}

async fn listing_image_hashes_are_stored_once_by_content_with_their_scans(store: &SqlStore) {
    use rightsguard_domain::actor::Actor;
    use rightsguard_domain::blocklist::GateDecision;
    use rightsguard_domain::ids::UserId;
    use rightsguard_domain::listing::Listing;
    let pic = Sha256::from_bytes([7; 32]);
    let other = Sha256::from_bytes([8; 32]);
    for (id, images) in [("L1", vec![pic]), ("L2", vec![pic, other]), ("L3", vec![])] {
        let t = Listing::create(
            ListingId::parse(id).unwrap(),
            org("shop"),
            serde_json::from_value(serde_json::json!({
                "title": "Shoes", "category": "Shoes",
                "image_hashes": images.iter().map(ToString::to_string).collect::<Vec<_>>()}))
            .unwrap(),
            GateDecision::Pass,
            &Actor::seller(org("shop"), UserId::parse("sam").unwrap()),
            t0(),
        )
        .unwrap();
        store.create_listing(&t.state, &t.events).await.unwrap();
    }
    let ids = |v: Vec<ListingId>| v.into_iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert_eq!(
        ids(store.listings_with_image(&pic).await.unwrap()),
        ["L1", "L2"]
    );
    assert_eq!(
        ids(store.listings_with_image(&other).await.unwrap()),
        ["L2"]
    );
    assert!(store.image_hashes(&[pic, other]).await.unwrap().is_empty());
    let jobs: Vec<NewJob> = ["L1", "L2"]
        .iter()
        .map(|l| NewJob {
            key: format!("scan_listing:{l}:image:{pic}"),
            kind: "scan_listing".into(),
            payload: serde_json::json!({"listing": l}),
            due_at: t0(),
        })
        .collect();
    assert!(
        store
            .put_image_hashes(&pic, "{\"a\":1}", t0(), &jobs)
            .await
            .unwrap()
    );
    // Stored once by content: a second upload keeps the first hashes and
    // schedules nothing twice.
    assert!(
        !store
            .put_image_hashes(&pic, "{\"a\":2}", t0(), &jobs)
            .await
            .unwrap()
    );
    let got = store.image_hashes(&[pic, other, pic]).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[&pic], "{\"a\":1}");
    let claimed = store
        .claim_due_jobs(t0(), "w", jiff::SignedDuration::from_secs(60), 10)
        .await
        .unwrap();
    let mut keys: Vec<String> = claimed.into_iter().map(|j| j.key).collect();
    keys.sort();
    assert_eq!(keys, jobs.iter().map(|j| j.key.clone()).collect::<Vec<_>>());
}
