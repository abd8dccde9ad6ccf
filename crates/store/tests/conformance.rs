//! The storage conformance suite: every test runs on SQLite and on
//! PostgreSQL, each on a fresh database.
//!
//! PostgreSQL comes from `RG_TEST_POSTGRES_URL` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`; `.ci/run` sets it). Without
//! it the PostgreSQL half is skipped with a loud message — except under CI,
//! where a missing database is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp, ToSpan};
use rightsguard_domain::account::{DisplayName, Org, OrgKind, User};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::actor::Role;
use rightsguard_domain::calendar::Calendar;
use rightsguard_domain::complaint::{
    Complaint, ComplaintCommand, Ctx, Decision, ListingRef, ReasonCode, SubmitComplaint,
};
use rightsguard_domain::event::{DomainEvent, EventKind, Subject};
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use rightsguard_store::{ApiToken, EvidenceRecord, NewJob, SqlStore, Store, StoreError};

#[macro_use]
mod common;
use common::Db;

conformance!(
    rights_round_trip_with_optimistic_versions,
    a_certificate_is_found_across_owners,
    complaints_round_trip_and_feed_the_queue,
    the_audit_chain_verifies_and_catches_edits_and_deletions,
    a_failed_save_writes_nothing,
    jobs_are_idempotent_leased_and_retried,
    concurrent_claimers_never_share_a_job,
    concurrent_writers_keep_the_audit_chain_intact,
    an_anchor_catches_truncation_and_rewrites,
    accounts_round_trip_and_refuse_duplicates,
    tokens_are_found_by_hash_and_revoked_once,
    powers_of_attorney_are_listed_per_agent,
    evidence_uploads_are_recorded_once_per_org_and_citations_indexed,
    a_proceeding_from_a_stale_read_is_refused_and_cites_its_documents,
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

fn right(id: &str, owner: &str, cert: u8) -> Right {
    Right {
        id: RightId::parse(id).unwrap(),
        owner: org(owner),
        kind: RightKind::Trademark,
        jurisdiction: Jurisdiction::CN,
        registration_number: RegistrationNumber::parse("123").unwrap(),
        nice_classes: [NiceClass::new(25).unwrap()].into(),
        valid_from: jiff::civil::date(2020, 1, 1),
        valid_until: None,
        certificates: [Sha256::from_bytes([cert; 32])].into(),
        cn_extension_certificate: None,
        state: RightState::Pending,
    }
}

struct Rules {
    policy: Policy,
    calendar: Calendar,
}

impl Rules {
    fn new() -> Self {
        let policy = Policy::builtin("aliexpress").unwrap();
        let calendar = Calendar::builtin(&policy.calendar).unwrap();
        Rules { policy, calendar }
    }
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            policy: &self.policy,
            calendar: &self.calendar,
        }
    }
}

async fn verified_right(store: &SqlStore, id: &str) -> Right {
    let r = right(id, "acme", 1);
    store.create_right(&r, &[]).await.unwrap();
    let t = r
        .apply(
            &RightCommand::Verify,
            &reviewer(),
            t0(),
            jiff::civil::date(2026, 3, 10),
        )
        .unwrap();
    store.save_right(&t.state, 1, &t.events).await.unwrap();
    t.state
}

fn submission(id: &str, listings: &[(&str, &str)]) -> SubmitComplaint {
    SubmitComplaint {
        id: ComplaintId::parse(id).unwrap(),
        right: RightId::parse("r1").unwrap(),
        reason: ReasonCode::Counterfeit,
        listings: listings
            .iter()
            .map(|(l, s)| ListingRef {
                id: ListingId::parse(l).unwrap(),
                seller: org(s),
                category_classes: [NiceClass::new(25).unwrap()].into(),
            })
            .collect(),
        evidence: vec![Sha256::from_bytes([9; 32])],
    }
}

async fn rights_round_trip_with_optimistic_versions(store: &SqlStore) {
    let r = right("r1", "acme", 1);
    assert_eq!(store.create_right(&r, &[]).await.unwrap(), 1);
    assert!(matches!(
        store.create_right(&r, &[]).await,
        Err(StoreError::Duplicate(_))
    ));
    let loaded = store.right(&r.id).await.unwrap().unwrap();
    assert_eq!((loaded.value.clone(), loaded.version), (r.clone(), 1));
    let t = r
        .apply(
            &RightCommand::Verify,
            &reviewer(),
            t0(),
            jiff::civil::date(2026, 3, 10),
        )
        .unwrap();
    assert_eq!(store.save_right(&t.state, 1, &t.events).await.unwrap(), 2);
    // A second writer that loaded version 1 loses.
    assert!(matches!(
        store.save_right(&t.state, 1, &t.events).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.right(&r.id).await.unwrap().unwrap().value.state,
        RightState::Verified
    );
    assert_eq!(store.rights_of(&org("acme")).await.unwrap().len(), 1);
    assert!(store.rights_of(&org("other")).await.unwrap().is_empty());
    assert!(
        store
            .right(&RightId::parse("nope").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let audit = store
        .audit_of(&Subject::Right {
            right: r.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1, "exactly the verification was audited");
}

async fn a_certificate_is_found_across_owners(store: &SqlStore) {
    store
        .create_right(&right("r1", "acme", 7), &[])
        .await
        .unwrap();
    store
        .create_right(&right("r2", "copycat", 7), &[])
        .await
        .unwrap();
    store
        .create_right(&right("r3", "acme", 8), &[])
        .await
        .unwrap();
    let found = store
        .rights_with_certificate(&Sha256::from_bytes([7; 32]))
        .await
        .unwrap();
    let owners: BTreeSet<_> = found.iter().map(|r| r.owner.as_str().to_owned()).collect();
    assert_eq!(owners, ["acme".to_owned(), "copycat".to_owned()].into());
}

async fn complaints_round_trip_and_feed_the_queue(store: &SqlStore) {
    let rules = Rules::new();
    let r = verified_right(store, "r1").await;
    let a = Complaint::submit(
        submission("C1", &[("L1", "shop1"), ("L2", "shop2")]),
        &r,
        &holder(),
        t0(),
        rules.ctx(),
    )
    .unwrap();
    assert_eq!(
        store
            .save_complaint(&a.state, None, &a.events, &[])
            .await
            .unwrap(),
        1
    );
    let b = Complaint::submit(
        submission("C2", &[("L3", "shop1")]),
        &r,
        &holder(),
        t0() - 48.hours(),
        rules.ctx(),
    )
    .unwrap();
    store
        .save_complaint(&b.state, None, &b.events, &[])
        .await
        .unwrap();
    assert!(matches!(
        store.save_complaint(&b.state, None, &b.events, &[]).await,
        Err(StoreError::Duplicate(_))
    ));

    let queue = store.review_queue(10).await.unwrap();
    assert_eq!(queue.len(), 3);
    assert_eq!(queue[0].complaint.as_str(), "C2", "earliest due first");

    let loaded = store.complaint(&a.state.id).await.unwrap().unwrap();
    assert_eq!(loaded.value, a.state);
    let cmd = ComplaintCommand::Decide {
        listing: ListingId::parse("L1").unwrap(),
        decision: Decision::Uphold,
    };
    let t = loaded
        .value
        .apply(&cmd, &reviewer(), t0(), rules.ctx())
        .unwrap();
    assert_eq!(
        store
            .save_complaint(&t.state, Some(1), &t.events, &[])
            .await
            .unwrap(),
        2
    );
    assert!(matches!(
        store
            .save_complaint(&t.state, Some(1), &t.events, &[])
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.review_queue(10).await.unwrap().len(),
        2,
        "the upheld listing left the queue"
    );

    let against: Vec<_> = store
        .complaints_against(&org("shop1"))
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.as_str().to_owned())
        .collect();
    assert_eq!(against, ["C1", "C2"]);
    assert_eq!(
        store.complaints_against(&org("shop2")).await.unwrap().len(),
        1
    );
    let audit = store
        .audit_of(&Subject::Complaint {
            complaint: a.state.id.clone(),
            listing: None,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2, "submission and the decision on L1");
}

async fn the_audit_chain_verifies_and_catches_edits_and_deletions(store: &SqlStore) {
    let rules = Rules::new();
    let r = verified_right(store, "r1").await;
    for n in 0..5 {
        let t = Complaint::submit(
            submission(&format!("C{n}"), &[("L1", "shop1")]),
            &r,
            &holder(),
            t0(),
            rules.ctx(),
        )
        .unwrap();
        store
            .save_complaint(&t.state, None, &t.events, &[])
            .await
            .unwrap();
    }
    let report = store.verify_audit(None).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.records, 6);
    assert_eq!(report.head.as_ref().map(|h| h.0), Some(6));

    // Edit one record's content directly in the database.
    sqlx::query(
        "UPDATE audit_log SET event = REPLACE(event, 'counterfeit', 'design') WHERE seq = 3",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let report = store.verify_audit(None).await.unwrap();
    assert_eq!(
        report.first_bad.as_ref().map(|b| b.0),
        Some(3),
        "{report:?}"
    );
    assert_eq!(report.records, 2);

    // Recomputing that record's hash does not help: the next link breaks.
    let row: (i64, String, String, String) = {
        use sqlx::Row;
        let r = sqlx::query("SELECT at, subject, event, prev_hash FROM audit_log WHERE seq = 3")
            .fetch_one(store.pool())
            .await
            .unwrap();
        (r.get(0), r.get(1), r.get(2), r.get(3))
    };
    let forged = rightsguard_store::chain_hash(&row.3, 3, row.0, &row.1, &row.2);
    sqlx::query("UPDATE audit_log SET hash = $1 WHERE seq = 3")
        .bind(&forged)
        .execute(store.pool())
        .await
        .unwrap();
    let report = store.verify_audit(None).await.unwrap();
    assert_eq!(
        report.first_bad.as_ref().map(|b| b.0),
        Some(4),
        "{report:?}"
    );

    // A deleted record is missing from the sequence.
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let report = store.verify_audit(None).await.unwrap();
    assert_eq!(
        report.first_bad.as_ref().map(|b| b.0),
        Some(2),
        "{report:?}"
    );
}

async fn a_failed_save_writes_nothing(store: &SqlStore) {
    let rules = Rules::new();
    let r = verified_right(store, "r1").await;
    let mut t = Complaint::submit(
        submission("C1", &[("L1", "shop1"), ("L2", "shop1")]),
        &r,
        &holder(),
        t0(),
        rules.ctx(),
    )
    .unwrap();
    // Two items with one listing id violate the items' primary key half-way
    // through the transaction, after the complaint row and before the audit.
    t.state.items[1].listing = t.state.items[0].listing.clone();
    let job = NewJob {
        key: "k1".into(),
        kind: "expire_window".into(),
        payload: serde_json::json!({}),
        due_at: t0(),
    };
    assert!(
        store
            .save_complaint(&t.state, None, &t.events, &[job])
            .await
            .is_err()
    );
    assert!(store.complaint(&t.state.id).await.unwrap().is_none());
    assert_eq!(
        store.verify_audit(None).await.unwrap().records,
        1,
        "only the right's verification"
    );
    assert!(
        store
            .claim_due_jobs(t0() + 1.hour(), "w", SignedDuration::from_secs(60), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn jobs_are_idempotent_leased_and_retried(store: &SqlStore) {
    let rules = Rules::new();
    let r = verified_right(store, "r1").await;
    let t = Complaint::submit(
        submission("C1", &[("L1", "shop1")]),
        &r,
        &holder(),
        t0(),
        rules.ctx(),
    )
    .unwrap();
    let job = |k: &str, due: Timestamp| NewJob {
        key: k.into(),
        kind: "expire_window".into(),
        payload: serde_json::json!({"listing": k}),
        due_at: due,
    };
    let jobs = [
        job("a", t0() + 1.hour()),
        job("b", t0() + 2.hours()),
        job("a", t0() + 9.hours()),
    ];
    store
        .save_complaint(&t.state, None, &t.events, &jobs)
        .await
        .unwrap();
    let lease = SignedDuration::from_secs(300);

    assert!(
        store
            .claim_due_jobs(t0(), "w1", lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing due yet"
    );
    let got = store
        .claim_due_jobs(t0() + 3.hours(), "w1", lease, 10)
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|j| j.key.as_str()).collect::<Vec<_>>(),
        ["a", "b"],
        "the duplicate key was scheduled once"
    );
    assert_eq!(got[0].due_at, t0() + 1.hour());
    // Leased: nobody else gets them until the lease runs out.
    assert!(
        store
            .claim_due_jobs(t0() + 3.hours(), "w2", lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .complete_job(got[0].id, "w1", t0() + 3.hours())
            .await
            .unwrap()
    );
    assert!(
        !store
            .complete_job(got[1].id, "w2", t0() + 3.hours())
            .await
            .unwrap(),
        "not w2's lease"
    );
    // w1 dies holding b; after the lease, w2 claims it again.
    let later = t0() + 3.hours() + 301.seconds();
    let again = store.claim_due_jobs(later, "w2", lease, 10).await.unwrap();
    assert_eq!(
        again
            .iter()
            .map(|j| (j.key.as_str(), j.attempts))
            .collect::<Vec<_>>(),
        [("b", 2)]
    );
    // A failure releases it for a retry later.
    assert!(
        store
            .fail_job(again[0].id, "w2", "boom", later + 1.hour())
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_due_jobs(later, "w2", lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let retry = store
        .claim_due_jobs(later + 1.hour(), "w3", lease, 10)
        .await
        .unwrap();
    assert_eq!(retry.len(), 1);
    assert!(
        store
            .complete_job(retry[0].id, "w3", later + 1.hour())
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_due_jobs(later + 1000.hours(), "w4", lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "done jobs never return"
    );
}

async fn concurrent_claimers_never_share_a_job(store: &SqlStore) {
    let rules = Rules::new();
    let r = verified_right(store, "r1").await;
    let t = Complaint::submit(
        submission("C1", &[("L1", "shop1")]),
        &r,
        &holder(),
        t0(),
        rules.ctx(),
    )
    .unwrap();
    let jobs: Vec<_> = (0..200)
        .map(|i| NewJob {
            key: format!("j{i}"),
            kind: "x".into(),
            payload: serde_json::json!(i),
            due_at: t0(),
        })
        .collect();
    store
        .save_complaint(&t.state, None, &t.events, &jobs)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = s
                    .claim_due_jobs(t0(), &format!("w{w}"), SignedDuration::from_secs(600), 7)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break mine;
                }
                mine.extend(got.into_iter().map(|j| j.key));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 200, "every job claimed once");
    assert_eq!(distinct.len(), 200);
}

async fn concurrent_writers_keep_the_audit_chain_intact(store: &SqlStore) {
    let rules = std::sync::Arc::new(Rules::new());
    let r = verified_right(store, "r1").await;
    let mut tasks = Vec::new();
    for n in 0..40 {
        let (s, r, rules) = (store.clone(), r.clone(), rules.clone());
        tasks.push(tokio::spawn(async move {
            let t = Complaint::submit(
                submission(&format!("C{n}"), &[("L1", "shop1")]),
                &r,
                &holder(),
                t0(),
                rules.ctx(),
            )
            .unwrap();
            s.save_complaint(&t.state, None, &t.events, &[])
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = store.verify_audit(None).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.records, 41);
}

async fn an_anchor_catches_truncation_and_rewrites(store: &SqlStore) {
    let rules = Rules::new();
    let r = verified_right(store, "r1").await;
    for n in 0..3 {
        let t = Complaint::submit(
            submission(&format!("C{n}"), &[("L1", "shop1")]),
            &r,
            &holder(),
            t0(),
            rules.ctx(),
        )
        .unwrap();
        store
            .save_complaint(&t.state, None, &t.events, &[])
            .await
            .unwrap();
    }
    let head = store.verify_audit(None).await.unwrap().head.unwrap();
    assert_eq!(head.0, 4);
    assert!(store.verify_audit(Some(head.clone())).await.unwrap().ok());
    // Dropping the tail leaves a chain that verifies on its own, but not against the anchor.
    sqlx::query("DELETE FROM audit_log WHERE seq = 4")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(store.verify_audit(None).await.unwrap().ok());
    let report = store.verify_audit(Some(head.clone())).await.unwrap();
    assert_eq!(report.first_bad.map(|b| b.0), Some(4));
    let wrong = (3, "0".repeat(64));
    assert_eq!(
        store
            .verify_audit(Some(wrong))
            .await
            .unwrap()
            .first_bad
            .map(|b| b.0),
        Some(3)
    );
}

fn account_org(id: &str, kind: OrgKind) -> Org {
    Org {
        id: org(id),
        kind,
        name: DisplayName::parse(&format!("{id} Ltd")).unwrap(),
    }
}

fn account_user(id: &str, o: &Org, role: Role) -> User {
    User::new(
        UserId::parse(id).unwrap(),
        o,
        role,
        DisplayName::parse(id).unwrap(),
    )
    .unwrap()
}

/// An account event by the system about `org`.
fn account_event(o: &str, kind: EventKind) -> DomainEvent {
    DomainEvent::account(org(o), &Actor::system(org("platform")), t0(), kind)
}

fn org_created(o: &Org) -> DomainEvent {
    account_event(
        o.id.as_str(),
        EventKind::OrgCreated {
            kind: o.kind,
            name: o.name.as_str().to_owned(),
        },
    )
}

fn user_created(u: &User) -> DomainEvent {
    account_event(
        u.org.as_str(),
        EventKind::UserCreated {
            user: u.id.clone(),
            role: u.role,
        },
    )
}

async fn account_log(store: &SqlStore, o: &str) -> Vec<EventKind> {
    store
        .audit_of(&Subject::Account { org: org(o) })
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event.kind)
        .collect()
}

async fn accounts_round_trip_and_refuse_duplicates(store: &SqlStore) {
    let platform = account_org("platform", OrgKind::Platform);
    store
        .create_org(&platform, &[org_created(&platform)])
        .await
        .unwrap();
    assert_eq!(
        store.org(&platform.id).await.unwrap(),
        Some(platform.clone())
    );
    assert_eq!(store.org(&org("nobody")).await.unwrap(), None);
    let imposter = account_org("platform", OrgKind::Seller);
    assert!(matches!(
        store.create_org(&imposter, &[org_created(&imposter)]).await,
        Err(StoreError::Duplicate(_))
    ));
    let rita = account_user("rita", &platform, Role::Reviewer);
    let adam = account_user("adam", &platform, Role::Admin);
    store
        .create_user(&rita, &[user_created(&rita)])
        .await
        .unwrap();
    store
        .create_user(&adam, &[user_created(&adam)])
        .await
        .unwrap();
    assert_eq!(store.user(&rita.id).await.unwrap(), Some(rita.clone()));
    assert_eq!(
        store.user(&adam.id).await.unwrap().unwrap().role,
        Role::Admin
    );
    assert!(matches!(
        store.create_user(&rita, &[user_created(&rita)]).await,
        Err(StoreError::Duplicate(_))
    ));
    // A user of an organisation that does not exist is refused by the database.
    let ghost = account_org("ghost", OrgKind::Seller);
    let sam = account_user("sam", &ghost, Role::Seller);
    assert!(
        store
            .create_user(&sam, &[user_created(&sam)])
            .await
            .is_err()
    );
    assert_eq!(
        store.user(&UserId::parse("sam").unwrap()).await.unwrap(),
        None
    );
    // Each change that happened is in the log exactly once; refused ones are not.
    assert_eq!(
        account_log(store, "platform").await,
        vec![
            org_created(&platform).kind,
            user_created(&rita).kind,
            user_created(&adam).kind
        ]
    );
    assert!(account_log(store, "ghost").await.is_empty());
    assert!(store.verify_audit(None).await.unwrap().ok());
}

async fn tokens_are_found_by_hash_and_revoked_once(store: &SqlStore) {
    let shop = account_org("shop1", OrgKind::Seller);
    store.create_org(&shop, &[]).await.unwrap();
    let sam = account_user("sam", &shop, Role::Seller);
    store.create_user(&sam, &[]).await.unwrap();
    let issued = account_event(
        "shop1",
        EventKind::ApiTokenIssued {
            token: "tok-1".into(),
            user: sam.id.clone(),
        },
    );
    let revoked_event = account_event(
        "shop1",
        EventKind::ApiTokenRevoked {
            token: "tok-1".into(),
        },
    );
    let token = ApiToken {
        id: "tok-1".into(),
        user: sam.id.clone(),
        sha256: Sha256::from_bytes([7; 32]),
        created_at: t0(),
        revoked_at: None,
    };
    store
        .create_api_token(&token, std::slice::from_ref(&issued))
        .await
        .unwrap();
    assert!(
        matches!(
            store
                .create_api_token(
                    &ApiToken {
                        id: "tok-2".into(),
                        ..token.clone()
                    },
                    &[]
                )
                .await,
            Err(StoreError::Duplicate(_))
        ),
        "two tokens cannot share a hash"
    );
    assert_eq!(
        store.api_token_by_hash(&token.sha256).await.unwrap(),
        Some(token.clone())
    );
    assert_eq!(
        store
            .api_token_by_hash(&Sha256::from_bytes([8; 32]))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.api_token("tok-1").await.unwrap(), Some(token.clone()));
    assert_eq!(store.api_token("tok-9").await.unwrap(), None);
    let later = t0() + SignedDuration::from_hours(1);
    let revoke = std::slice::from_ref(&revoked_event);
    assert!(
        store
            .revoke_api_token("tok-1", later, revoke)
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_api_token("tok-1", later, revoke)
            .await
            .unwrap(),
        "revoked once"
    );
    assert!(
        !store
            .revoke_api_token("tok-9", later, revoke)
            .await
            .unwrap()
    );
    assert_eq!(
        account_log(store, "shop1").await,
        vec![issued.kind, revoked_event.kind.clone()],
        "one record per change that happened"
    );
    let revoked = store
        .api_token_by_hash(&token.sha256)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(later));
}

async fn powers_of_attorney_are_listed_per_agent(store: &SqlStore) {
    for (id, kind) in [
        ("agency", OrgKind::Agent),
        ("other-agency", OrgKind::Agent),
        ("acme", OrgKind::RightsHolder),
        ("globex", OrgKind::RightsHolder),
    ] {
        store.create_org(&account_org(id, kind), &[]).await.unwrap();
    }
    let granted = account_event(
        "acme",
        EventKind::PowerOfAttorneyGranted {
            agent: org("agency"),
        },
    );
    assert!(
        store
            .powers_of_attorney(&org("agency"))
            .await
            .unwrap()
            .is_empty()
    );
    store
        .grant_power_of_attorney(&org("agency"), &org("globex"), t0(), &[])
        .await
        .unwrap();
    let grant = std::slice::from_ref(&granted);
    store
        .grant_power_of_attorney(&org("agency"), &org("acme"), t0(), grant)
        .await
        .unwrap();
    assert!(matches!(
        store
            .grant_power_of_attorney(&org("agency"), &org("acme"), t0(), grant)
            .await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(account_log(store, "acme").await, vec![granted.kind.clone()]);
    assert_eq!(
        store.powers_of_attorney(&org("agency")).await.unwrap(),
        vec![org("acme"), org("globex")]
    );
    assert!(
        store
            .powers_of_attorney(&org("other-agency"))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn evidence_uploads_are_recorded_once_per_org_and_citations_indexed(store: &SqlStore) {
    for (id, kind) in [("acme", OrgKind::RightsHolder), ("shop1", OrgKind::Seller)] {
        store.create_org(&account_org(id, kind), &[]).await.unwrap();
    }
    let file = Sha256::from_bytes([9; 32]);
    let rec = |o: &str, at: Timestamp| EvidenceRecord {
        sha256: file,
        org: org(o),
        uploaded_by: None,
        content_type: "image/png".into(),
        size: 1234,
        uploaded_at: at,
        captured_at: Some(t0() - SignedDuration::from_hours(2)),
    };
    let uploaded = |_org: &str| {
        DomainEvent::evidence(
            file,
            &Actor::system(org("platform")),
            t0(),
            EventKind::EvidenceUploaded {
                content_type: "image/png".into(),
                size: 1234,
                captured_at: None,
            },
        )
    };
    assert!(
        store
            .record_evidence(&rec("acme", t0()), &[uploaded("acme")])
            .await
            .unwrap()
    );
    let later = t0() + SignedDuration::from_hours(1);
    assert!(
        !store
            .record_evidence(&rec("acme", later), &[uploaded("acme")])
            .await
            .unwrap(),
        "the same organisation's second upload keeps the first record"
    );
    assert!(
        store
            .record_evidence(&rec("shop1", later), &[uploaded("shop1")])
            .await
            .unwrap()
    );
    assert_eq!(
        store.evidence_records(&file).await.unwrap(),
        vec![rec("acme", t0()), rec("shop1", later)]
    );
    assert!(
        store
            .evidence_records(&Sha256::from_bytes([1; 32]))
            .await
            .unwrap()
            .is_empty()
    );
    let log = store
        .audit_of(&Subject::Evidence { sha256: file })
        .await
        .unwrap();
    assert_eq!(log.len(), 2, "one record per upload that happened");

    // Citations: the complaint's own evidence, then a counter-notice's.
    let rules = Rules::new();
    let r = verified_right(store, "r1").await;
    let a = Complaint::submit(
        submission("C1", &[("L1", "shop1")]),
        &r,
        &holder(),
        t0(),
        rules.ctx(),
    )
    .unwrap();
    store
        .save_complaint(&a.state, None, &a.events, &[])
        .await
        .unwrap();
    let c1 = ComplaintId::parse("C1").unwrap();
    assert_eq!(
        store.complaints_citing(&file).await.unwrap(),
        vec![c1.clone()]
    );
    let invoice = Sha256::from_bytes([5; 32]);
    assert!(store.complaints_citing(&invoice).await.unwrap().is_empty());
    let mut events = vec![];
    let mut state = a.state;
    for (cmd, who) in [
        (
            ComplaintCommand::Decide {
                listing: ListingId::parse("L1").unwrap(),
                decision: Decision::Uphold,
            },
            reviewer(),
        ),
        (
            ComplaintCommand::FileCounterNotice {
                listing: ListingId::parse("L1").unwrap(),
                statement: "genuine".into(),
                evidence: vec![invoice],
            },
            Actor::seller(org("shop1"), UserId::parse("sam").unwrap()),
        ),
    ] {
        let t = state.apply(&cmd, &who, t0(), rules.ctx()).unwrap();
        state = t.state;
        events.extend(t.events);
    }
    store
        .save_complaint(&state, Some(1), &events, &[])
        .await
        .unwrap();
    assert_eq!(
        store.complaints_citing(&invoice).await.unwrap(),
        vec![c1.clone()]
    );
    assert_eq!(store.complaints_citing(&file).await.unwrap(), vec![c1]);
}

/// Recording a proceeding over a stale read would drop a document another
/// record added: it is a conflict and writes nothing. A written one cites
/// its documents as the complaint's evidence, in the same transaction.
async fn a_proceeding_from_a_stale_read_is_refused_and_cites_its_documents(store: &SqlStore) {
    use rightsguard_domain::escalation::{self, Document, RecordProceeding, Route};
    use rightsguard_store::customs::CustomsStore;

    let rules = Rules::new();
    let r = verified_right(store, "r1").await;
    let c = Complaint::submit(
        submission("C1", &[("L1", "shop1")]),
        &r,
        &holder(),
        t0(),
        rules.ctx(),
    )
    .unwrap();
    store
        .save_complaint(&c.state, None, &c.events, &[])
        .await
        .unwrap();
    let doc = |n: u8, label: &str| Document {
        sha256: Sha256::from_bytes([n; 32]),
        label: label.into(),
    };
    let cmd = |docs: Vec<Document>| RecordProceeding {
        route: Route::Lawsuit,
        authority: "Hangzhou Internet Court".into(),
        reference: "R-1".into(),
        filed_on: "2026-03-02".parse().unwrap(),
        outcome: None,
        decided_on: None,
        documents: docs,
    };
    let today = "2026-03-10".parse().unwrap();
    let record = |docs, previous: Option<&escalation::Proceeding>| {
        escalation::record(cmd(docs), &c.state, &[], previous, &holder(), today, t0()).unwrap()
    };
    let first = record(vec![doc(1, "filed complaint")], None);
    store
        .record_proceeding(&first.state, None, t0(), &first.events)
        .await
        .unwrap();
    // Two records read the first; one adds the judgment, the other (stale
    // once the first is written) an annex.
    let judgment = record(vec![doc(2, "court judgment")], Some(&first.state));
    let annex = record(vec![doc(3, "annex")], Some(&first.state));
    store
        .record_proceeding(&judgment.state, Some(&first.state), t0(), &judgment.events)
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_proceeding(&annex.state, Some(&first.state), t0(), &annex.events)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // A new one where one exists is a conflict too.
    assert!(matches!(
        store
            .record_proceeding(&annex.state, None, t0(), &annex.events)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let stored = store
        .proceeding(&c.state.id, Route::Lawsuit, "R-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, judgment.state);
    assert_eq!(store.proceedings_of(&c.state.id).await.unwrap(), [stored]);
    for (n, cited) in [(1, true), (2, true), (3, false)] {
        assert_eq!(
            store
                .complaints_citing(&Sha256::from_bytes([n; 32]))
                .await
                .unwrap()
                .contains(&c.state.id),
            cited,
            "document {n}"
        );
    }
    let log = store
        .audit_of(&Subject::Complaint {
            complaint: c.state.id.clone(),
            listing: None,
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|r| matches!(r.event.kind, EventKind::EscalationProceedingRecorded { .. }))
        .count();
    assert_eq!(log, 2, "the refused record wrote no audit record");
}
