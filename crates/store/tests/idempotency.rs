//! Conformance of the idempotency-key storage on SQLite and PostgreSQL, each
//! test on a fresh database: a key commits with its writes or not at all, a
//! taken key writes nothing and hands back its holder, expired keys vanish.
//!
//! (The harness repeats the few lines of `conformance.rs` that open a fresh
//! database, so that this file stands alone.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use jiff::{SignedDuration, Timestamp};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::calendar::Calendar;
use rightsguard_domain::complaint::{Complaint, Ctx, ListingRef, ReasonCode, SubmitComplaint};
use rightsguard_domain::event::Subject;
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use rightsguard_domain::rule::Transition;
use rightsguard_store::idempotency::{
    ComplaintWrite, IdempotencyRecord, IdempotencyStore, KeyedSave,
};
use rightsguard_store::{SqlStore, Store, StoreError};

#[macro_use]
mod common;
use common::Db;

conformance!(
    a_key_commits_with_its_complaint_and_is_read_back,
    a_taken_key_writes_nothing_and_returns_its_holder,
    a_failed_write_records_no_key,
    keys_are_scoped_per_caller,
    an_expired_key_is_forgotten_and_can_be_used_again,
    a_keyed_command_updates_with_its_version_check,
);

fn t0() -> Timestamp {
    "2026-03-10T02:00:00Z".parse().unwrap()
}
fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn holder() -> Actor {
    Actor::rights_holder(org("acme"), UserId::parse("alice").unwrap())
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
        state: RightState::Pending,
    };
    store.create_right(&r, &[]).await.unwrap();
    let reviewer = Actor::reviewer(org("platform"), UserId::parse("rita").unwrap());
    let t = r
        .apply(
            &RightCommand::Verify,
            &reviewer,
            t0(),
            jiff::civil::date(2026, 3, 10),
        )
        .unwrap();
    store.save_right(&t.state, 1, &t.events).await.unwrap();
    t.state
}

fn submitted(right: &Right, id: &str, listing: &str) -> Transition<Complaint> {
    let policy = Policy::builtin("aliexpress").unwrap();
    let calendar = Calendar::builtin(&policy.calendar).unwrap();
    let cmd = SubmitComplaint {
        id: ComplaintId::parse(id).unwrap(),
        right: right.id.clone(),
        reason: ReasonCode::Counterfeit,
        listings: vec![ListingRef {
            id: ListingId::parse(listing).unwrap(),
            seller: org("shop1"),
            category_classes: [NiceClass::new(25).unwrap()].into(),
        }],
        evidence: vec![Sha256::from_bytes([9; 32])],
    };
    let ctx = Ctx {
        policy: &policy,
        calendar: &calendar,
    };
    Complaint::submit(cmd, right, &holder(), t0(), ctx).unwrap()
}

fn new_write(t: &Transition<Complaint>) -> ComplaintWrite<'_> {
    ComplaintWrite {
        complaint: &t.state,
        expected_version: None,
        events: &t.events,
        jobs: &[],
    }
}

fn record(scope: &str, key: &str, fingerprint: &str, body: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        scope: scope.into(),
        key: key.into(),
        fingerprint: fingerprint.into(),
        status: 201,
        body: body.into(),
        created_at: t0(),
        expires_at: t0() + SignedDuration::from_hours(24),
    }
}

async fn keys_in_table(store: &SqlStore) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) FROM idempotency_keys")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn a_key_commits_with_its_complaint_and_is_read_back(store: &SqlStore) {
    let r = verified_right(store).await;
    let t = submitted(&r, "C1", "L1");
    let rec = record("acme/alice", "k1", "f1", r#"{"id":"C1"}"#);
    let saved = store
        .save_complaints_keyed(&[new_write(&t)], Some(&rec))
        .await
        .unwrap();
    assert_eq!(saved, KeyedSave::Saved(vec![1]));
    assert!(store.complaint(&t.state.id).await.unwrap().is_some());
    let audit = store
        .audit_of(&Subject::Complaint {
            complaint: t.state.id.clone(),
            listing: None,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), t.events.len(), "the audit records commit too");
    let back = store
        .idempotency_record("acme/alice", "k1", t0())
        .await
        .unwrap();
    assert_eq!(back, Some(rec));
    assert!(store.verify_audit(None).await.unwrap().ok());
}

async fn a_taken_key_writes_nothing_and_returns_its_holder(store: &SqlStore) {
    let r = verified_right(store).await;
    let first = submitted(&r, "C1", "L1");
    let rec = record("acme/alice", "k1", "f1", "first");
    store
        .save_complaints_keyed(&[new_write(&first)], Some(&rec))
        .await
        .unwrap();
    // A second request under the key (same or another body): the holder
    // comes back, and its complaint is not written.
    let second = submitted(&r, "C2", "L2");
    let other = record("acme/alice", "k1", "f2", "second");
    let got = store
        .save_complaints_keyed(&[new_write(&second)], Some(&other))
        .await
        .unwrap();
    assert_eq!(got, KeyedSave::Existing(rec));
    assert!(store.complaint(&second.state.id).await.unwrap().is_none());
    assert_eq!(keys_in_table(store).await, 1);
}

async fn a_failed_write_records_no_key(store: &SqlStore) {
    let r = verified_right(store).await;
    let t = submitted(&r, "C1", "L1");
    store
        .save_complaint(&t.state, None, &t.events, &[])
        .await
        .unwrap();
    // The same complaint id again under a key: the write fails as a
    // duplicate, and the key is not recorded with it.
    let again = submitted(&r, "C1", "L9");
    let err = store
        .save_complaints_keyed(
            &[new_write(&again)],
            Some(&record("acme/alice", "k1", "f", "b")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err}");
    assert_eq!(keys_in_table(store).await, 0);
    // Nor does half of a batch survive: the second complaint fails, the first
    // is rolled back with the key.
    let fresh = submitted(&r, "C2", "L2");
    let err = store
        .save_complaints_keyed(
            &[new_write(&fresh), new_write(&again)],
            Some(&record("acme/alice", "k2", "f", "b")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err}");
    assert!(store.complaint(&fresh.state.id).await.unwrap().is_none());
    assert_eq!(keys_in_table(store).await, 0);
    assert!(store.verify_audit(None).await.unwrap().ok());
}

async fn keys_are_scoped_per_caller(store: &SqlStore) {
    let r = verified_right(store).await;
    let a = submitted(&r, "C1", "L1");
    let b = submitted(&r, "C2", "L2");
    let ra = record("acme/alice", "same", "fa", "a");
    let rb = record("acme/ann", "same", "fb", "b");
    assert!(matches!(
        store
            .save_complaints_keyed(&[new_write(&a)], Some(&ra))
            .await
            .unwrap(),
        KeyedSave::Saved(_)
    ));
    assert!(matches!(
        store
            .save_complaints_keyed(&[new_write(&b)], Some(&rb))
            .await
            .unwrap(),
        KeyedSave::Saved(_)
    ));
    assert_eq!(
        store
            .idempotency_record("acme/alice", "same", t0())
            .await
            .unwrap(),
        Some(ra)
    );
    assert_eq!(
        store
            .idempotency_record("acme/ann", "same", t0())
            .await
            .unwrap(),
        Some(rb)
    );
    assert_eq!(
        store
            .idempotency_record("rival/bob", "same", t0())
            .await
            .unwrap(),
        None
    );
}

async fn an_expired_key_is_forgotten_and_can_be_used_again(store: &SqlStore) {
    let r = verified_right(store).await;
    let first = submitted(&r, "C1", "L1");
    let rec = record("acme/alice", "k1", "f1", "first");
    store
        .save_complaints_keyed(&[new_write(&first)], Some(&rec))
        .await
        .unwrap();
    let just_before = rec.expires_at - SignedDuration::from_micros(1);
    assert!(
        store
            .idempotency_record("acme/alice", "k1", just_before)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .idempotency_record("acme/alice", "k1", rec.expires_at)
            .await
            .unwrap(),
        None,
        "expired at its expiry instant"
    );
    // A keyed write a day later takes the key afresh (the old row is swept).
    let later = rec.expires_at;
    let second = submitted(&r, "C2", "L2");
    let mut rec2 = record("acme/alice", "k1", "f2", "second");
    rec2.created_at = later;
    rec2.expires_at = later + SignedDuration::from_hours(24);
    assert_eq!(
        store
            .save_complaints_keyed(&[new_write(&second)], Some(&rec2))
            .await
            .unwrap(),
        KeyedSave::Saved(vec![1])
    );
    assert_eq!(
        store
            .idempotency_record("acme/alice", "k1", later)
            .await
            .unwrap(),
        Some(rec2.clone())
    );
    // The sweeper removes what has expired, and only that.
    store
        .save_complaints_keyed(&[], Some(&record("acme/alice", "old", "f", "b")))
        .await
        .unwrap();
    assert_eq!(keys_in_table(store).await, 2);
    assert_eq!(store.purge_expired_keys(later).await.unwrap(), 1);
    assert_eq!(keys_in_table(store).await, 1);
}

async fn a_keyed_command_updates_with_its_version_check(store: &SqlStore) {
    let r = verified_right(store).await;
    let t = submitted(&r, "C1", "L1");
    store
        .save_complaint(&t.state, None, &t.events, &[])
        .await
        .unwrap();
    let mut changed = t.state.clone();
    changed.evidence.push(Sha256::from_bytes([7; 32]));
    let w = ComplaintWrite {
        complaint: &changed,
        expected_version: Some(1),
        events: &[],
        jobs: &[],
    };
    let rec = record("acme/alice", "cmd", "f", "b");
    assert_eq!(
        store.save_complaints_keyed(&[w], Some(&rec)).await.unwrap(),
        KeyedSave::Saved(vec![2])
    );
    // A stale version is a conflict, and its key is not recorded.
    let stale = record("acme/alice", "cmd2", "f", "b");
    let err = store
        .save_complaints_keyed(&[w], Some(&stale))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(
        store
            .idempotency_record("acme/alice", "cmd2", t0())
            .await
            .unwrap(),
        None
    );
}
