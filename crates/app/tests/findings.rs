//! Monitoring use cases on a real store (SQLite and PostgreSQL) with a manual
//! clock: incremental and holder rescans, restarts mid-scan, dismissal and
//! batch complaints from findings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;

use jiff::SignedDuration;
use rightsguard_app::{App, AppError, Clock, ManualClock};
use rightsguard_domain::account::{DisplayName, OrgKind};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::complaint::{ComplaintCommand, Decision, ListingRef, ReasonCode};
use rightsguard_domain::finding::FindingState;
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::listing::ListingContent;
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use rightsguard_domain::rule::RuleError;
use rightsguard_store::findings::RightMarks;
use rightsguard_store::{SqlStore, Store};

struct Env {
    app: App<SqlStore>,
    clock: Arc<ManualClock>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

async fn env(pg: bool) -> Option<Env> {
    let clock = Arc::new(ManualClock::new("2026-03-09T01:00:00Z".parse().unwrap()));
    let (url, dir, pgname) = if pg {
        let Ok(admin) = std::env::var("RG_TEST_POSTGRES_URL") else {
            if std::env::var_os("CI").is_some() {
                panic!("RG_TEST_POSTGRES_URL is not set under CI");
            }
            eprintln!(
                "SKIPPED: PostgreSQL lifecycle tests — set RG_TEST_POSTGRES_URL (scripts/test does)"
            );
            return None;
        };
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let name = format!(
            "rg_app_findings_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut c = sqlx::AnyConnection::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        (format!("{base}/{name}"), None, Some((admin, name)))
    } else {
        let dir = tempfile::tempdir().unwrap();
        (
            format!("sqlite:{}", dir.path().join("rg.sqlite").display()),
            Some(dir),
            None,
        )
    };
    let store = SqlStore::connect(&url).await.unwrap();
    let mut policy = Policy::builtin("aliexpress").unwrap();
    policy.complaints.max_listings_per_complaint = 2;
    let app = App::new(
        store,
        clock.clone(),
        policy,
        OrgId::parse("platform").unwrap(),
    )
    .unwrap();
    Some(Env {
        app,
        clock,
        _dir: dir,
        pg: pgname,
    })
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Env {
    async fn finish(self) {
        self.app.store().close().await;
        if let Some((admin, name)) = self.pg {
            use sqlx::Connection;
            let mut c = sqlx::AnyConnection::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut c)
            .await
            .unwrap();
        }
    }
}

fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn holder() -> Actor {
    Actor::rights_holder(org("acme"), UserId::parse("alice").unwrap())
}
fn seller(o: &str) -> Actor {
    Actor::seller(org(o), UserId::parse("sam").unwrap())
}
fn content(title: &str, category: &str) -> ListingContent {
    serde_json::from_value(serde_json::json!({"title": title, "category": category})).unwrap()
}

fn other_holder() -> Actor {
    Actor::rights_holder(org("zeta"), UserId::parse("zoe").unwrap())
}
fn reviewer() -> Actor {
    Actor::reviewer(org("platform"), UserId::parse("rita").unwrap())
}

async fn orgs(e: &Env) {
    for (id, kind) in [
        ("platform", OrgKind::Platform),
        ("acme", OrgKind::RightsHolder),
        ("zeta", OrgKind::RightsHolder),
        ("shop1", OrgKind::Seller),
        ("shop2", OrgKind::Seller),
    ] {
        e.app
            .add_org(
                &e.app.system_actor(),
                org(id),
                kind,
                DisplayName::parse(id).unwrap(),
            )
            .await
            .unwrap();
    }
}

/// Registers and verifies a right of acme in class 25 monitored for `mark`.
async fn right(e: &Env, id: &str, cert: u8, mark: &str, aliases: &[&str]) -> RightId {
    let right = Right {
        id: RightId::parse(id).unwrap(),
        owner: org("acme"),
        kind: RightKind::Trademark,
        jurisdiction: Jurisdiction::CN,
        registration_number: RegistrationNumber::parse("123").unwrap(),
        nice_classes: [NiceClass::new(25).unwrap()].into(),
        valid_from: jiff::civil::date(2020, 1, 1),
        valid_until: None,
        certificates: [Sha256::from_bytes([cert; 32])].into(),
        cn_extension_certificate: None,
        state: RightState::Pending,
    };
    let r = e.app.register_right(&holder(), right).await.unwrap();
    let marks = RightMarks {
        mark: mark.into(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
    };
    e.app
        .set_right_marks(&holder(), &r.id, marks)
        .await
        .unwrap();
    e.app
        .act_on_right(&reviewer(), &r.id, &RightCommand::Verify)
        .await
        .unwrap();
    r.id
}

async fn list(e: &Env, id: &str, shop: &str, title: &str) {
    e.app
        .create_listing(
            &seller(shop),
            ListingId::parse(id).unwrap(),
            None,
            content(title, "Shoes"),
        )
        .await
        .unwrap();
}

async fn open_findings(e: &Env) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = e
        .app
        .findings_visible_to(&holder(), Some("open"), None, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|f| {
            (
                f.listing.to_string(),
                f.right.to_string(),
                f.explanation.method,
            )
        })
        .collect();
    v.sort();
    v
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let e = super::env(false).await.unwrap();
                super::$name(&e).await;
                e.finish().await;
            }
        )* }
        mod postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(e) = super::env(true).await else { return };
                super::$name(&e).await;
                e.finish().await;
            }
        )* }
    };
}

both!(
    an_incremental_scan_finds_an_evasion_within_one_job_run,
    a_restart_mid_scan_loses_nothing_and_doubles_nothing,
    a_verified_right_rescans_every_listing_and_records_the_scan,
    dismissal_needs_a_reason_and_the_owner,
    a_batch_complaint_is_split_by_right_and_by_the_batch_limit,
    a_taken_down_listing_posted_again_is_a_relisting_of_its_complaint,
);

async fn an_incremental_scan_finds_an_evasion_within_one_job_run(e: &Env) {
    orgs(e).await;
    right(e, "r1", 1, "ACME", &["AKME"]).await;
    e.app.run_due_jobs("w", 100).await.unwrap();
    list(e, "L1", "shop1", "Genuine 4CME running shoes").await;
    list(e, "L2", "shop1", "Plain running shoes").await;
    // One run of the due jobs scans both writes.
    e.app.run_due_jobs("w", 100).await.unwrap();
    assert_eq!(
        open_findings(e).await,
        [("L1".into(), "r1".into(), "leet".into())]
    );
    let f = &e
        .app
        .findings_visible_to(&holder(), None, None, None, 10)
        .await
        .unwrap()[0];
    assert_eq!(f.explanation.matched, "4CME");
    assert_eq!(f.explanation.field, "title");
    assert_eq!(f.capture.title, "Genuine 4CME running shoes");
    // The listing changes so it no longer matches: the finding is resolved.
    let l = e
        .app
        .update_listing(
            &seller("shop1"),
            &ListingId::parse("L1").unwrap(),
            content("Plain running shoes", "Shoes"),
            1,
        )
        .await
        .unwrap();
    assert_eq!(l.version, 2);
    e.app.run_due_jobs("w", 100).await.unwrap();
    assert!(open_findings(e).await.is_empty());
    let all = e
        .app
        .findings_visible_to(&holder(), Some("resolved"), None, None, 10)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    // An alias written with homoglyphs in the description is found too.
    e.app
        .update_listing(
            &seller("shop1"),
            &ListingId::parse("L2").unwrap(),
            serde_json::from_value(serde_json::json!({
                "title": "Running shoes", "category": "Shoes",
                "description": "like \u{0410}KME but cheaper"}))
            .unwrap(),
            1,
        )
        .await
        .unwrap();
    e.app.run_due_jobs("w", 100).await.unwrap();
    assert_eq!(
        open_findings(e).await,
        [("L2".into(), "r1".into(), "homoglyph".into())]
    );
}

async fn a_restart_mid_scan_loses_nothing_and_doubles_nothing(e: &Env) {
    orgs(e).await;
    for i in 0..5 {
        list(
            e,
            &format!("L{i}"),
            "shop1",
            &format!("ACME shoes model {i}"),
        )
        .await;
    }
    right(e, "r1", 1, "ACME", &[]).await;
    // A worker claims every due job (five listing scans, the rescan) and
    // dies before finishing any of them.
    let claimed = e
        .app
        .store()
        .claim_due_jobs(e.clock.now(), "dead", SignedDuration::from_secs(300), 100)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 6, "{claimed:?}"); // 5 scans, the rescan of the verified right
    // A new process (fresh index) on the same database, after the lease ran out.
    let restarted = App::new(
        e.app.store().clone(),
        e.clock.clone(),
        e.app.policy().clone(),
        org("platform"),
    )
    .unwrap();
    assert_eq!(restarted.run_due_jobs("w2", 100).await.unwrap().total(), 0);
    e.clock.advance(SignedDuration::from_secs(301));
    assert_eq!(restarted.run_due_jobs("w2", 100).await.unwrap().scans, 6);
    let found = open_findings(e).await;
    assert_eq!(found.len(), 5, "{found:?}");
    // Running every scan again finds only what is known.
    e.app.request_rescan(&holder()).await.unwrap();
    restarted.run_due_jobs("w2", 100).await.unwrap();
    assert_eq!(open_findings(e).await, found);
    let scans = e.app.scans_visible_to(&holder(), 10).await.unwrap();
    let last = scans.iter().find(|s| s.reason == "requested").unwrap();
    assert_eq!(last.listings, 5);
    assert_eq!(
        (last.counts.new, last.counts.known, last.counts.resolved),
        (0, 5, 0)
    );
    assert!(last.finished_at.is_some());
}

async fn a_verified_right_rescans_every_listing_and_records_the_scan(e: &Env) {
    orgs(e).await;
    list(e, "L1", "shop1", "NIKEY trainers").await;
    list(e, "L2", "shop2", "N.I.K.E.Y trainers").await;
    list(e, "L3", "shop2", "Trainers").await;
    e.app.run_due_jobs("w", 100).await.unwrap();
    right(e, "r1", 1, "NIKEY", &[]).await;
    e.app.run_due_jobs("w", 100).await.unwrap();
    assert_eq!(
        open_findings(e).await,
        [
            ("L1".into(), "r1".into(), "exact".into()),
            ("L2".into(), "r1".into(), "spaced".into())
        ]
    );
    let scans = e.app.scans_visible_to(&holder(), 10).await.unwrap();
    assert!(
        scans
            .iter()
            .all(|s| s.listings == 3 && s.finished_at.is_some()),
        "{scans:?}"
    );
    assert_eq!(scans.iter().map(|s| s.counts.new).sum::<i64>(), 2);
    // Another holder sees none of it; a seller may not look.
    assert!(
        e.app
            .scans_visible_to(&other_holder(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        e.app
            .findings_visible_to(&seller("shop1"), None, None, None, 10)
            .await,
        Err(AppError::Rule(RuleError::Forbidden { .. }))
    ));
    // The weekly rescan is scheduled, and schedules the next.
    e.clock.advance(SignedDuration::from_hours(24 * 7));
    e.app.run_due_jobs("w", 100).await.unwrap();
    let scans = e.app.scans_visible_to(&reviewer(), 10).await.unwrap();
    assert_eq!(scans[0].reason, "scheduled");
    assert_eq!(scans[0].counts.known, 2);
    e.clock.advance(SignedDuration::from_hours(24 * 7));
    e.app.run_due_jobs("w", 100).await.unwrap();
    let scheduled = e
        .app
        .scans_visible_to(&reviewer(), 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.reason == "scheduled")
        .count();
    assert_eq!(scheduled, 2);
}

async fn dismissal_needs_a_reason_and_the_owner(e: &Env) {
    orgs(e).await;
    right(e, "r1", 1, "ACME", &[]).await;
    list(e, "L1", "shop1", "ACME shoes").await;
    e.app.run_due_jobs("w", 100).await.unwrap();
    let id = e
        .app
        .findings_visible_to(&holder(), None, None, None, 10)
        .await
        .unwrap()[0]
        .id
        .clone();
    assert!(matches!(
        e.app.dismiss_finding(&holder(), &id, "  ").await,
        Err(AppError::Rule(RuleError::Invalid(_)))
    ));
    assert!(matches!(
        e.app
            .dismiss_finding(&other_holder(), &id, "not mine")
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        e.app.dismiss_finding(&seller("shop1"), &id, "mine").await,
        Err(AppError::NotFound(_))
    ));
    let f = e
        .app
        .dismiss_finding(&holder(), &id, "licensed reseller")
        .await
        .unwrap();
    assert_eq!(
        f.state,
        FindingState::Dismissed {
            reason: "licensed reseller".into()
        }
    );
    assert!(
        e.app
            .dismiss_finding(&holder(), &id, "again")
            .await
            .is_err()
    );
    // Rescanning keeps the dismissal.
    e.app.request_rescan(&holder()).await.unwrap();
    e.app.run_due_jobs("w", 100).await.unwrap();
    assert!(open_findings(e).await.is_empty());
}

async fn a_batch_complaint_is_split_by_right_and_by_the_batch_limit(e: &Env) {
    orgs(e).await;
    right(e, "r1", 1, "ACME", &[]).await;
    right(e, "r2", 2, "BOLTRA", &[]).await;
    for i in 0..3 {
        list(e, &format!("L{i}"), "shop1", &format!("ACME shoes {i}")).await;
    }
    list(e, "L9", "shop2", "BOLTRA sandals").await;
    e.app.run_due_jobs("w", 100).await.unwrap();
    let ids: Vec<String> = e
        .app
        .findings_visible_to(&holder(), Some("open"), None, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(ids.len(), 4);
    // Staff do not file complaints.
    assert!(
        e.app
            .complain_findings(&reviewer(), &ids, ReasonCode::TrademarkMisuse)
            .await
            .is_err()
    );
    let filed = e
        .app
        .complain_findings(&holder(), &ids, ReasonCode::TrademarkMisuse)
        .await
        .unwrap();
    let mut shape: Vec<(String, usize)> = filed
        .iter()
        .map(|c| (c.right.to_string(), c.listings.len()))
        .collect();
    shape.sort();
    assert_eq!(
        shape,
        [("r1".into(), 1), ("r1".into(), 2), ("r2".into(), 1)]
    );
    for c in &filed {
        let stored = e
            .app
            .store()
            .complaint(&c.complaint)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.value.items.len(), c.listings.len());
        assert_eq!(stored.value.evidence.len(), c.findings.len());
    }
    assert!(open_findings(e).await.is_empty());
    let complained = e
        .app
        .findings_visible_to(&holder(), Some("complained"), None, None, 100)
        .await
        .unwrap();
    assert_eq!(complained.len(), 4);
    // A finding already filed cannot be filed again.
    assert!(
        e.app
            .complain_findings(&holder(), &ids[..1], ReasonCode::TrademarkMisuse)
            .await
            .is_err()
    );
}

async fn a_taken_down_listing_posted_again_is_a_relisting_of_its_complaint(e: &Env) {
    orgs(e).await;
    let r1 = right(e, "r1", 1, "ACME", &[]).await;
    let img = Sha256::from_bytes([7; 32]);
    let with = |title: &str, images: Vec<Sha256>| -> ListingContent {
        serde_json::from_value(serde_json::json!({
            "title": title, "category": "Shoes", "image_hashes": images}))
        .unwrap()
    };
    let create = async |id: &str, shop: &str, c: ListingContent| {
        e.app
            .create_listing(&seller(shop), ListingId::parse(id).unwrap(), None, c)
            .await
            .unwrap();
    };
    create("L1", "shop1", with("Designer sneakers Model X", vec![img])).await;
    let c = e
        .app
        .submit_complaint(
            &holder(),
            rightsguard_domain::complaint::SubmitComplaint {
                id: ComplaintId::parse("C1").unwrap(),
                right: r1.clone(),
                reason: ReasonCode::Counterfeit,
                listings: vec![ListingRef {
                    id: ListingId::parse("L1").unwrap(),
                    seller: org("shop1"),
                    category_classes: [NiceClass::new(25).unwrap()].into(),
                }],
                evidence: vec![Sha256::from_bytes([3; 32])],
            },
        )
        .await
        .unwrap();
    e.app
        .act_on_complaint(
            &reviewer(),
            &c.id,
            &ComplaintCommand::Decide {
                listing: ListingId::parse("L1").unwrap(),
                decision: Decision::Uphold,
            },
        )
        .await
        .unwrap();
    e.app.run_due_jobs("w", 100).await.unwrap();
    // Re-posted by another store: the same title under disguise; the same
    // image under another title; and an unrelated listing.
    create("L2", "shop2", with("DESIGNER  SNEAKERS model x", vec![])).await;
    create("L3", "shop2", with("Sporty trainers", vec![img])).await;
    create("L4", "shop2", with("Sporty trainers two", vec![])).await;
    e.app.run_due_jobs("w", 100).await.unwrap();
    let found = e
        .app
        .findings_visible_to(&holder(), Some("open"), None, None, 100)
        .await
        .unwrap();
    let mut got: Vec<(String, String, Option<String>)> = found
        .iter()
        .map(|f| {
            (
                f.listing.to_string(),
                f.explanation.field.clone(),
                f.relisting_of.as_ref().map(|c| c.to_string()),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("L2".into(), "title".into(), Some("C1".into())),
            ("L3".into(), "images".into(), Some("C1".into())),
        ]
    );
    assert!(
        found
            .iter()
            .all(|f| f.cause == "relisting:C1:L1" && f.right == r1)
    );
    // A second scan doubles nothing; the re-poster changing its listing resolves it.
    e.app
        .update_listing(
            &seller("shop2"),
            &ListingId::parse("L3").unwrap(),
            with("Sporty trainers", vec![]),
            1,
        )
        .await
        .unwrap();
    e.app.request_rescan(&holder()).await.unwrap();
    e.app.run_due_jobs("w", 100).await.unwrap();
    let open: Vec<String> = e
        .app
        .findings_visible_to(&holder(), Some("open"), None, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.listing.to_string())
        .collect();
    assert_eq!(open, ["L2"]);
}
