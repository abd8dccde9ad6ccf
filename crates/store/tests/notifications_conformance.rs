//! The storage conformance suite for notifications to people: every test
//! runs on SQLite and on PostgreSQL, each on a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use jiff::{SignedDuration, Timestamp};
use rightsguard_domain::account::{DisplayName, Org, OrgKind, User};
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::calendar::Calendar;
use rightsguard_domain::complaint::{
    Complaint, ComplaintCommand, Ctx, Decision, ListingRef, ReasonCode, SubmitComplaint,
};
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::notification::{EmailAddress, Language, NotificationKind, Params};
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use rightsguard_store::notifications::{
    EmailStatus, NOTIFY_PENALTY, NotificationSettings, NotificationStore, REMIND_DEADLINE,
    REMIND_RIGHT_EXPIRY, SEND_EMAIL,
};
use rightsguard_store::{SqlStore, Store};

#[macro_use]
mod common;
use common::Db;

conformance!(
    an_upheld_listing_notifies_its_sellers_users_and_the_complainants_and_no_one_else,
    a_rejection_tells_only_the_complainant_and_a_lost_race_notifies_no_one,
    settings_decide_the_email_and_marking_read_touches_only_ones_own,
    notify_orgs_is_once_per_user_and_key,
    a_verified_right_schedules_its_expiry_reminders,
);

fn t0() -> Timestamp {
    "2026-03-10T02:00:00Z".parse().unwrap()
}
fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}
fn reviewer() -> Actor {
    Actor::reviewer(org("platform"), uid("rita"))
}
fn holder() -> Actor {
    Actor::rights_holder(org("acme"), uid("alice"))
}
fn lid(s: &str) -> ListingId {
    ListingId::parse(s).unwrap()
}

/// acme (alice, al2) holds r1; beta (bob) is another holder; shop1 (sam,
/// sue) and shop2 (tom) are sellers; platform (rita) is staff.
async fn people(store: &SqlStore) {
    for (id, kind, users) in [
        (
            "acme",
            OrgKind::RightsHolder,
            vec![("alice", Role::RightsHolder), ("al2", Role::RightsHolder)],
        ),
        (
            "beta",
            OrgKind::RightsHolder,
            vec![("bob", Role::RightsHolder)],
        ),
        (
            "shop1",
            OrgKind::Seller,
            vec![("sam", Role::Seller), ("sue", Role::Seller)],
        ),
        ("shop2", OrgKind::Seller, vec![("tom", Role::Seller)]),
        (
            "platform",
            OrgKind::Platform,
            vec![("rita", Role::Reviewer)],
        ),
    ] {
        let o = Org {
            id: org(id),
            kind,
            name: DisplayName::parse(&format!("{id} Ltd")).unwrap(),
        };
        store.create_org(&o, &[]).await.unwrap();
        for (u, role) in users {
            let user = User {
                id: uid(u),
                org: org(id),
                role,
                name: DisplayName::parse(u).unwrap(),
            };
            store.create_user(&user, &[]).await.unwrap();
        }
    }
}

fn right(state: RightState) -> Right {
    Right {
        id: RightId::parse("r1").unwrap(),
        owner: org("acme"),
        kind: RightKind::Trademark,
        jurisdiction: Jurisdiction::CN,
        registration_number: RegistrationNumber::parse("123").unwrap(),
        nice_classes: [NiceClass::new(25).unwrap()].into(),
        valid_from: jiff::civil::date(2020, 1, 1),
        valid_until: Some(jiff::civil::date(2026, 12, 31)),
        certificates: [Sha256::from_bytes([1; 32])].into(),
        cn_extension_certificate: None,
        state,
    }
}

/// Complaint C1 on L1 (shop1) and L2 (shop2), stored; returns it and its version.
async fn filed(store: &SqlStore, r: &Right) -> (Complaint, i64) {
    let policy = Policy::builtin("aliexpress").unwrap();
    let calendar = Calendar::builtin(&policy.calendar).unwrap();
    let ctx = Ctx {
        policy: &policy,
        calendar: &calendar,
    };
    let sub = SubmitComplaint {
        id: ComplaintId::parse("C1").unwrap(),
        right: r.id.clone(),
        reason: ReasonCode::Counterfeit,
        listings: [("L1", "shop1"), ("L2", "shop2")]
            .iter()
            .map(|(l, s)| ListingRef {
                id: lid(l),
                seller: org(s),
                category_classes: [NiceClass::new(25).unwrap()].into(),
            })
            .collect(),
        evidence: vec![Sha256::from_bytes([9; 32])],
    };
    let t = Complaint::submit(sub, r, &holder(), t0(), ctx).unwrap();
    let v = store
        .save_complaint(&t.state, None, &t.events, &[])
        .await
        .unwrap();
    (t.state, v)
}

async fn decide(
    store: &SqlStore,
    c: &Complaint,
    version: i64,
    listing: &str,
    decision: Decision,
) -> (Complaint, i64) {
    let policy = Policy::builtin("aliexpress").unwrap();
    let calendar = Calendar::builtin(&policy.calendar).unwrap();
    let ctx = Ctx {
        policy: &policy,
        calendar: &calendar,
    };
    let cmd = ComplaintCommand::Decide {
        listing: lid(listing),
        decision,
    };
    let t = c.apply(&cmd, &reviewer(), t0(), ctx).unwrap();
    let v = store
        .save_complaint(&t.state, Some(version), &t.events, &[])
        .await
        .unwrap();
    (t.state, v)
}

async fn kinds(store: &SqlStore, user: &str) -> Vec<(NotificationKind, Option<String>)> {
    store
        .inbox(&uid(user), false, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.kind, n.params.listing))
        .collect()
}

fn mailing(email: Option<&str>) -> NotificationSettings {
    NotificationSettings {
        language: Language::En,
        email: email.map(|e| EmailAddress::parse(e).unwrap()),
        email_off: Default::default(),
    }
}

async fn an_upheld_listing_notifies_its_sellers_users_and_the_complainants_and_no_one_else(
    store: &SqlStore,
) {
    people(store).await;
    store
        .save_notification_settings(&uid("sam"), &mailing(Some("sam@shop1.example")))
        .await
        .unwrap();
    let r = right(RightState::Verified);
    store.create_right(&r, &[]).await.unwrap();
    let (c, v) = filed(store, &r).await;
    // Submission tells no one yet.
    for u in ["alice", "sam", "tom", "bob", "rita"] {
        assert!(kinds(store, u).await.is_empty(), "{u}");
    }
    let (c, _) = decide(store, &c, v, "L1", Decision::Uphold).await;
    let due = c.item(&lid("L1")).unwrap().next_deadline().unwrap();
    for u in ["sam", "sue"] {
        assert_eq!(
            kinds(store, u).await,
            [(NotificationKind::ComplaintAgainstListing, Some("L1".into()))],
            "{u}"
        );
    }
    for u in ["alice", "al2"] {
        assert_eq!(
            kinds(store, u).await,
            [(NotificationKind::ComplaintDecided, Some("L1".into()))],
            "{u}"
        );
    }
    // The other shop, the other holder and staff hear nothing.
    for u in ["tom", "bob", "rita"] {
        assert!(kinds(store, u).await.is_empty(), "{u}");
    }
    // The seller's notice carries the statement of reasons' facts.
    let n = &store.inbox(&uid("sam"), true, 10).await.unwrap()[0];
    assert_eq!(n.params.due, Some(due));
    assert_eq!(n.params.complainant.as_deref(), Some("acme Ltd"));
    assert_eq!(n.params.reason_code.as_deref(), Some("counterfeit"));
    assert_eq!(n.params.right_desc.as_deref(), Some("trademark CN 123"));
    // sam gave an address: the e-mail is pending and its job scheduled;
    // sue gave none: inbox only.
    assert_eq!(n.email_status, EmailStatus::Pending);
    let sue = &store.inbox(&uid("sue"), true, 10).await.unwrap()[0];
    assert_eq!(sue.email_status, EmailStatus::Off);
    let jobs = store
        .claim_due_jobs(t0(), "w", SignedDuration::from_secs(60), 100)
        .await
        .unwrap();
    let mails: Vec<_> = jobs.iter().filter(|j| j.kind == SEND_EMAIL).collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].payload["notification"].as_i64(), Some(n.id));
    // The reminder a day before the counter-notice deadline is scheduled, not due yet.
    assert!(jobs.iter().all(|j| j.kind != REMIND_DEADLINE));
    let later = store
        .claim_due_jobs(
            due.checked_sub(SignedDuration::from_hours(24)).unwrap(),
            "w",
            SignedDuration::from_secs(60),
            100,
        )
        .await
        .unwrap();
    let reminders: Vec<_> = later.iter().filter(|j| j.kind == REMIND_DEADLINE).collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].payload["party"], "seller");
    assert_eq!(reminders[0].payload["listing"], "L1");
}

async fn a_rejection_tells_only_the_complainant_and_a_lost_race_notifies_no_one(store: &SqlStore) {
    people(store).await;
    let r = right(RightState::Verified);
    store.create_right(&r, &[]).await.unwrap();
    let (c, v) = filed(store, &r).await;
    // A save that loses its race writes no notification.
    let policy = Policy::builtin("aliexpress").unwrap();
    let calendar = Calendar::builtin(&policy.calendar).unwrap();
    let ctx = Ctx {
        policy: &policy,
        calendar: &calendar,
    };
    let cmd = ComplaintCommand::Decide {
        listing: lid("L2"),
        decision: Decision::Uphold,
    };
    let t = c.apply(&cmd, &reviewer(), t0(), ctx).unwrap();
    assert!(
        store
            .save_complaint(&t.state, Some(v + 7), &t.events, &[])
            .await
            .is_err()
    );
    assert!(kinds(store, "tom").await.is_empty());
    assert!(kinds(store, "alice").await.is_empty());
    decide(
        store,
        &c,
        v,
        "L2",
        Decision::Reject {
            reason: "no proof of use".into(),
            manifestly_unfounded: false,
        },
    )
    .await;
    assert_eq!(
        kinds(store, "alice").await,
        [(NotificationKind::ComplaintDecided, Some("L2".into()))]
    );
    let n = &store.inbox(&uid("alice"), false, 1).await.unwrap()[0];
    assert_eq!(n.params.decision.as_deref(), Some("rejected"));
    assert_eq!(n.params.reason.as_deref(), Some("no proof of use"));
    for u in ["sam", "sue", "tom", "bob"] {
        assert!(kinds(store, u).await.is_empty(), "{u}");
    }
    // No penalty job, no reminder: nothing was taken down.
    let jobs = store
        .claim_due_jobs(
            t0().checked_add(SignedDuration::from_hours(24 * 400))
                .unwrap(),
            "w",
            SignedDuration::from_secs(60),
            100,
        )
        .await
        .unwrap();
    assert!(
        jobs.iter()
            .all(|j| j.kind != REMIND_DEADLINE && j.kind != NOTIFY_PENALTY)
    );
}

async fn settings_decide_the_email_and_marking_read_touches_only_ones_own(store: &SqlStore) {
    people(store).await;
    assert_eq!(
        store.notification_settings(&uid("sam")).await.unwrap(),
        NotificationSettings::default()
    );
    let mut s = mailing(Some("sam@shop1.example"));
    s.language = Language::Zh;
    s.email_off.insert(NotificationKind::DeadlineSoon);
    store
        .save_notification_settings(&uid("sam"), &s)
        .await
        .unwrap();
    assert_eq!(store.notification_settings(&uid("sam")).await.unwrap(), s);
    let p = Params::default();
    for (kind, key) in [
        (NotificationKind::DeadlineSoon, "k1"),
        (NotificationKind::PenaltyApplied, "k2"),
    ] {
        store
            .notify_orgs(&[org("shop1")], kind, &p, key, t0())
            .await
            .unwrap();
    }
    let inbox = store.inbox(&uid("sam"), false, 10).await.unwrap();
    let status: Vec<_> = inbox.iter().map(|n| (n.kind, n.email_status)).collect();
    assert_eq!(
        status,
        [
            (NotificationKind::PenaltyApplied, EmailStatus::Pending),
            (NotificationKind::DeadlineSoon, EmailStatus::Off),
        ]
    );
    // Marking read: someone else's id changes nothing.
    let sues = store.inbox(&uid("sue"), false, 10).await.unwrap();
    assert_eq!(
        store
            .mark_read(&uid("sam"), Some(&[sues[0].id]), t0())
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.unread_count(&uid("sue")).await.unwrap(), 2);
    assert_eq!(
        store
            .mark_read(&uid("sam"), Some(&[inbox[0].id]), t0())
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.unread_count(&uid("sam")).await.unwrap(), 1);
    assert_eq!(store.inbox(&uid("sam"), true, 10).await.unwrap().len(), 1);
    assert_eq!(store.mark_read(&uid("sue"), None, t0()).await.unwrap(), 2);
    assert_eq!(store.unread_count(&uid("sue")).await.unwrap(), 0);
    // Recording the e-mail's fate.
    let id = inbox[0].id;
    store
        .record_email(id, EmailStatus::Pending, Some("connection refused"), t0())
        .await
        .unwrap();
    store
        .record_email(id, EmailStatus::Sent, None, t0())
        .await
        .unwrap();
    let out = store.outgoing_email(id).await.unwrap().unwrap();
    assert_eq!(out.notification.email_status, EmailStatus::Sent);
    assert_eq!(out.notification.email_attempts, 2);
    assert_eq!(out.notification.email_sent_at, Some(t0()));
    assert_eq!(out.settings.language, Language::Zh);
}

async fn notify_orgs_is_once_per_user_and_key(store: &SqlStore) {
    people(store).await;
    let p = Params::default();
    let orgs = [org("shop1"), org("shop1"), org("acme")];
    let first = store
        .notify_orgs(&orgs, NotificationKind::DeadlineSoon, &p, "key", t0())
        .await
        .unwrap();
    assert_eq!(first, 4, "sam, sue, alice, al2: each once");
    let again = store
        .notify_orgs(&orgs, NotificationKind::DeadlineSoon, &p, "key", t0())
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert_eq!(store.unread_count(&uid("sam")).await.unwrap(), 1);
    assert_eq!(store.unread_count(&uid("tom")).await.unwrap(), 0);
}

async fn a_verified_right_schedules_its_expiry_reminders(store: &SqlStore) {
    people(store).await;
    let r = right(RightState::Pending);
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
    let far = "2027-06-01T00:00:00Z".parse().unwrap();
    let jobs = store
        .claim_due_jobs(far, "w", SignedDuration::from_secs(60), 100)
        .await
        .unwrap();
    let mut due: Vec<(i64, String)> = jobs
        .iter()
        .filter(|j| j.kind == REMIND_RIGHT_EXPIRY)
        .map(|j| (j.payload["days"].as_i64().unwrap(), j.due_at.to_string()))
        .collect();
    due.sort();
    assert_eq!(
        due,
        [
            (30, "2026-12-02T00:00:00Z".to_owned()),
            (90, "2026-10-03T00:00:00Z".to_owned())
        ]
    );
}
