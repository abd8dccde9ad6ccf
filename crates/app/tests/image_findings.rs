//! Image monitoring on a real store (SQLite and PostgreSQL) with a manual
//! clock and an evidence file store: reference images on rights, listing
//! images hashed on upload, image findings gated by class, resolved when the
//! reference goes, and hostile uploads refused with nothing stored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;

use rightsguard_app::{App, AppError, ManualClock};
use rightsguard_detect::image::testset::{VariantKind, variants};
use rightsguard_domain::account::{DisplayName, OrgKind};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::complaint::ReasonCode;
use rightsguard_domain::event::{EventKind, Subject};
use rightsguard_domain::finding::FindingState;
use rightsguard_domain::ids::{
    Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256, UserId,
};
use rightsguard_domain::listing::ListingContent;
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use rightsguard_domain::rule::RuleError;
use rightsguard_store::evidence::EvidenceStore;
use rightsguard_store::findings::FindingStore;
use rightsguard_store::{SqlStore, Store};
use sha2::Digest;

/// A reference logo: a triangle with a hole and a dot, off-centre.
pub const LOGO_A: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2 L22 20 H2 Z M12 7 L7 17 H17 Z"/><circle cx="12" cy="14" r="2"/></svg>"##;
/// An unrelated mark: bars and a wedge.
pub const LOGO_B: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect x="8" y="10" width="22" height="80"/><rect x="40" y="55" width="52" height="18"/><path d="M45 12 L92 12 L92 44 Z"/><circle cx="60" cy="88" r="8"/></svg>"##;

struct Env {
    app: App<SqlStore>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

async fn env(pg: bool) -> Option<Env> {
    let clock = Arc::new(ManualClock::new("2026-03-09T01:00:00Z".parse().unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let (url, pgname) = if pg {
        let Ok(admin) = std::env::var("RG_TEST_POSTGRES_URL") else {
            if std::env::var_os("CI").is_some() {
                panic!("RG_TEST_POSTGRES_URL is not set under CI");
            }
            eprintln!(
                "SKIPPED: PostgreSQL image monitoring tests — set RG_TEST_POSTGRES_URL (scripts/test does)"
            );
            return None;
        };
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let name = format!(
            "rg_app_images_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut c = sqlx::AnyConnection::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        (format!("{base}/{name}"), Some((admin, name)))
    } else {
        (
            format!("sqlite:{}", dir.path().join("rg.sqlite").display()),
            None,
        )
    };
    let store = SqlStore::connect(&url).await.unwrap();
    let files = EvidenceStore::open(dir.path().join("evidence"), 20 << 20).unwrap();
    let app = App::new(
        store,
        clock,
        Policy::builtin("aliexpress").unwrap(),
        OrgId::parse("platform").unwrap(),
    )
    .unwrap()
    .with_evidence(files);
    Some(Env {
        app,
        _dir: dir,
        pg: pgname,
    })
}

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
    a_copy_of_a_reference_logo_is_an_image_finding_gated_by_class,
    removing_the_reference_image_resolves_its_findings_on_rescan,
    hostile_images_and_wrong_roles_are_refused_and_nothing_is_stored,
);

fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn holder() -> Actor {
    Actor::rights_holder(org("acme"), UserId::parse("alice").unwrap())
}
fn other_holder() -> Actor {
    Actor::rights_holder(org("zeta"), UserId::parse("zoe").unwrap())
}
fn seller() -> Actor {
    Actor::seller(org("shop1"), UserId::parse("sam").unwrap())
}
fn admin() -> Actor {
    Actor::admin(org("platform"), UserId::parse("ada").unwrap())
}
fn reviewer() -> Actor {
    Actor::reviewer(org("platform"), UserId::parse("rita").unwrap())
}
fn sha(bytes: &[u8]) -> Sha256 {
    Sha256::from_bytes(sha2::Sha256::digest(bytes).into())
}

/// One listing copy of a logo (see the engine's test set).
fn copy(svg: &str, kind: VariantKind) -> Vec<u8> {
    variants(svg.as_bytes(), 7)
        .unwrap()
        .into_iter()
        .find(|v| v.kind == kind)
        .unwrap()
        .bytes
}

async fn orgs(e: &Env) {
    for (id, kind) in [
        ("platform", OrgKind::Platform),
        ("acme", OrgKind::RightsHolder),
        ("zeta", OrgKind::RightsHolder),
        ("shop1", OrgKind::Seller),
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

/// Registers acme's right in class 25 with no marks (image-only).
async fn image_right(e: &Env, id: &str) -> RightId {
    let right = Right {
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
        state: RightState::Pending,
    };
    e.app.register_right(&holder(), right).await.unwrap().id
}

async fn list(e: &Env, id: &str, category: &str, images: &[&[u8]]) {
    let content: ListingContent = serde_json::from_value(serde_json::json!({
        "title": "Running shoes", "category": category,
        "image_hashes": images.iter().map(|b| sha(b).to_string()).collect::<Vec<_>>()}))
    .unwrap();
    e.app
        .create_listing(&seller(), ListingId::parse(id).unwrap(), None, content)
        .await
        .unwrap();
}

async fn open_image_findings(e: &Env) -> Vec<rightsguard_domain::finding::Finding> {
    e.app
        .findings_visible_to(&holder(), Some("open"), None, None, 100)
        .await
        .unwrap()
}

async fn a_copy_of_a_reference_logo_is_an_image_finding_gated_by_class(e: &Env) {
    orgs(e).await;
    let r = image_right(e, "r1").await;
    let reference = LOGO_A.as_bytes();
    let (img, new) = e
        .app
        .add_right_image(&holder(), &r, reference.to_vec())
        .await
        .unwrap();
    assert!(new);
    assert_eq!(img.sha256, sha(reference));
    assert!(img.variants > 100, "{} hashes", img.variants);
    // The same file again is idempotent.
    let (again, new) = e
        .app
        .add_right_image(&holder(), &r, reference.to_vec())
        .await
        .unwrap();
    assert!(!new);
    assert_eq!(again, img);
    e.app
        .act_on_right(&reviewer(), &r, &RightCommand::Verify)
        .await
        .unwrap();
    e.app.run_due_jobs("w", 100).await.unwrap();

    // Listings written before their images' bytes come: nothing to match yet.
    let cropped = copy(LOGO_A, VariantKind::Crop6);
    let unrelated = copy(LOGO_B, VariantKind::Jpeg);
    list(e, "L1", "Shoes", &[&unrelated, &cropped]).await;
    list(e, "L2", "Shoes", &[&unrelated]).await;
    list(e, "L3", "Food", &[&cropped]).await;
    e.app.run_due_jobs("w", 100).await.unwrap();
    assert!(open_image_findings(e).await.is_empty());

    // The marketplace uploads the bytes: the listings showing them are
    // scanned again by jobs scheduled with the upload.
    let up = e
        .app
        .put_listing_image(&admin(), &sha(&cropped), cropped.clone())
        .await
        .unwrap();
    assert!(up.new);
    let scheduled: Vec<String> = up.listings.iter().map(ToString::to_string).collect();
    assert_eq!(scheduled, ["L1", "L3"]);
    e.app
        .put_listing_image(&admin(), &sha(&unrelated), unrelated.clone())
        .await
        .unwrap();
    // A second upload of the same bytes changes nothing.
    let again = e
        .app
        .put_listing_image(&admin(), &sha(&cropped), cropped.clone())
        .await
        .unwrap();
    assert!(!again.new && again.listings.is_empty());
    e.app.run_due_jobs("w", 100).await.unwrap();

    // One finding: L1's cropped copy; not the unrelated picture (L1, L2),
    // not the copy in a category outside the right's classes (L3).
    let found = open_image_findings(e).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.listing.as_str(), "L1");
    assert_eq!(f.right, r);
    assert_eq!(
        f.cause,
        format!("image:{}:{}", sha(&cropped), sha(reference))
    );
    assert_eq!(f.explanation.method, "image");
    assert_eq!(f.explanation.field, "images");
    assert_eq!(f.explanation.matched, sha(&cropped).to_string());
    assert_eq!(f.explanation.term, sha(reference).to_string());
    let d = f.explanation.distance.unwrap();
    assert!(d <= 31, "distance {d}");
    assert!((f.explanation.score - (1.0 - f32::from(d) / 256.0)).abs() < 1e-6);
    assert!(f.explanation.transform.is_some());
    let m = f.capture.image_match.as_ref().unwrap();
    assert_eq!(
        (m.listing_image, m.reference_image, m.distance),
        (sha(&cropped), sha(reference), d)
    );
    // The plain hash and the trimmed normal form (no banner to cut).
    assert_eq!(m.listing_pdq.len(), 2);
    assert_eq!(m.reference_pdq.len(), 64);

    // A rescan finds the same finding, nothing new.
    let scan = e
        .app
        .schedule_rescan(&org("acme"), "requested")
        .await
        .unwrap();
    e.app.run_due_jobs("w", 100).await.unwrap();
    let rec = e.app.store().scan_record(&scan).await.unwrap().unwrap();
    assert_eq!((rec.counts.new, rec.counts.known), (0, 1));

    // Both pictures are shown to the holder; another holder sees nothing.
    for s in [sha(&cropped), sha(reference)] {
        let file = e
            .app
            .finding_image_file(&holder(), &f.id, &s)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(file.sha256, s);
    }
    assert!(matches!(
        e.app
            .finding_image_file(&other_holder(), &f.id, &sha(&cropped))
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        e.app
            .finding_image_file(&holder(), &f.id, &sha(&unrelated))
            .await,
        Err(AppError::NotFound(_))
    ));

    // A batch complaint carries the capture and both pictures as evidence.
    let filed = e
        .app
        .complain_findings(
            &holder(),
            std::slice::from_ref(&f.id),
            ReasonCode::TrademarkMisuse,
        )
        .await
        .unwrap();
    assert_eq!(filed.len(), 1);
    let ev = &filed[0].evidence;
    assert!(
        ev.contains(&sha(&cropped)) && ev.contains(&sha(reference)),
        "{ev:?}"
    );
    assert!(ev.contains(&f.capture_sha256));
}

async fn removing_the_reference_image_resolves_its_findings_on_rescan(e: &Env) {
    orgs(e).await;
    let r = image_right(e, "r1").await;
    e.app
        .act_on_right(&reviewer(), &r, &RightCommand::Verify)
        .await
        .unwrap();
    // Images added to a verified right rescan its owner's listings: the
    // listing and its image's hashes are there before the reference.
    let jpeg = copy(LOGO_A, VariantKind::Jpeg);
    list(e, "L1", "Shoes", &[&jpeg]).await;
    e.app
        .put_listing_image(&admin(), &sha(&jpeg), jpeg.clone())
        .await
        .unwrap();
    e.app.run_due_jobs("w", 100).await.unwrap();
    assert!(open_image_findings(e).await.is_empty());
    let png_ref = copy(LOGO_A, VariantKind::Resize);
    e.app
        .add_right_image(&holder(), &r, png_ref.clone())
        .await
        .unwrap();
    e.app.run_due_jobs("w", 100).await.unwrap();
    let found = open_image_findings(e).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].listing.as_str(), "L1");

    let listed = e.app.right_images_visible_to(&holder(), &r).await.unwrap();
    assert_eq!(listed.len(), 1);
    let removed = e
        .app
        .remove_right_image(&holder(), &r, &sha(&png_ref))
        .await
        .unwrap();
    assert_eq!(removed.sha256, sha(&png_ref));
    assert!(matches!(
        e.app
            .remove_right_image(&holder(), &r, &sha(&png_ref))
            .await,
        Err(AppError::NotFound(_))
    ));
    e.app.run_due_jobs("w", 100).await.unwrap();
    assert!(open_image_findings(e).await.is_empty());
    let resolved = e
        .app
        .findings_visible_to(&holder(), Some("resolved"), None, None, 10)
        .await
        .unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].state, FindingState::Resolved);
    // The file is kept; the audit log has both changes.
    assert!(
        e.app
            .right_images_visible_to(&holder(), &r)
            .await
            .unwrap()
            .is_empty()
    );
    let kinds: Vec<EventKind> = e
        .app
        .store()
        .audit_of(&Subject::Right { right: r.clone() })
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.event.kind)
        .filter(|k| {
            matches!(
                k,
                EventKind::RightImageAdded { .. } | EventKind::RightImageRemoved { .. }
            )
        })
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
}

async fn hostile_images_and_wrong_roles_are_refused_and_nothing_is_stored(e: &Env) {
    orgs(e).await;
    let r = image_right(e, "r1").await;
    let refused = |res: Result<_, AppError>| match res {
        Err(AppError::Image(reason)) => reason,
        other => panic!("expected an image error, got {other:?}"),
    };
    // Not an image; an empty file; a PNG header declaring 50,000² pixels.
    let reason = refused(
        e.app
            .add_right_image(&holder(), &r, b"just some text, not a picture".to_vec())
            .await
            .map(|_| ()),
    );
    assert!(reason.contains("unrecognised image format"), "{reason}");
    refused(
        e.app
            .add_right_image(&holder(), &r, Vec::new())
            .await
            .map(|_| ()),
    );
    let bomb = rightsguard_detect::image::testset::pixel_bomb_png(50_000, 50_000);
    let reason = refused(
        e.app
            .add_right_image(&holder(), &r, bomb.clone())
            .await
            .map(|_| ()),
    );
    assert!(reason.contains("50000x50000"), "{reason}");
    // A flat picture has no hash worth matching.
    let flat = copy(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#fff"/></svg>"##,
        VariantKind::Jpeg,
    );
    refused(e.app.add_right_image(&holder(), &r, flat).await.map(|_| ()));
    assert!(
        e.app
            .right_images_visible_to(&holder(), &r)
            .await
            .unwrap()
            .is_empty()
    );
    let audit = e
        .app
        .store()
        .audit_of(&Subject::Right { right: r.clone() })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .all(|a| !matches!(a.event.kind, EventKind::RightImageAdded { .. }))
    );
    // A listing image that is hostile, or not the bytes its name says.
    refused(
        e.app
            .put_listing_image(&admin(), &sha(&bomb), bomb.clone())
            .await
            .map(|_| ()),
    );
    assert!(
        e.app
            .store()
            .image_hashes(&[sha(&bomb)])
            .await
            .unwrap()
            .is_empty()
    );
    let logo = LOGO_A.as_bytes().to_vec();
    assert!(matches!(
        e.app
            .put_listing_image(&admin(), &sha(b"other bytes"), logo.clone())
            .await,
        Err(AppError::Rule(RuleError::Invalid(_)))
    ));
    // Roles: a seller may not manage a right's images nor upload listing
    // images; another holder is told the right does not exist; a holder may
    // not upload listing images.
    assert!(matches!(
        e.app.add_right_image(&seller(), &r, logo.clone()).await,
        Err(AppError::Rule(RuleError::Forbidden { .. }))
    ));
    assert!(matches!(
        e.app.right_images_visible_to(&seller(), &r).await,
        Err(AppError::Rule(RuleError::Forbidden { .. }))
    ));
    assert!(matches!(
        e.app
            .add_right_image(&other_holder(), &r, logo.clone())
            .await,
        Err(AppError::NotFound(_))
    ));
    for actor in [seller(), holder()] {
        assert!(matches!(
            e.app
                .put_listing_image(&actor, &sha(&logo), logo.clone())
                .await,
            Err(AppError::Rule(RuleError::Forbidden { .. }))
        ));
    }
    // Staff may add a reference image.
    let (_, new) = e.app.add_right_image(&reviewer(), &r, logo).await.unwrap();
    assert!(new);
}
