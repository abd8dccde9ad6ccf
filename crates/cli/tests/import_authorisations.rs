//! `rightsguard import authorisations FILE --as USER`: the real binary on a
//! fresh SQLite file. Every bad row is reported with its line and field and
//! the rest load; a dry run writes nothing; a re-run changes nothing; only
//! the user's own rights can be authorised.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use rightsguard_app::{App, ManualClock};
use rightsguard_domain::account::{DisplayName, OrgKind};
use rightsguard_domain::actor::Role;
use rightsguard_domain::ids::{
    Jurisdiction, NiceClass, OrgId, RegistrationNumber, RightId, Sha256, UserId,
};
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightKind, RightState};
use rightsguard_store::listings::ListingStore as _;
use rightsguard_store::{SqlStore, Store as _};
use serde_json::Value;

/// Runs an import; returns the exit code, the summary and the refused lines
/// (from stderr's `FILE:line N: FIELD: MESSAGE`).
fn import(db: &str, args: &[&str]) -> (i32, Value, Vec<(u64, String)>) {
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .arg("import")
        .args(args)
        .args(["--db", db, "--no-progress"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let v: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} / {stderr}"));
    let refused = stderr
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find(":line ")? + 6..];
            let (n, tail) = rest.split_once(": ")?;
            Some((n.parse().ok()?, tail.to_owned()))
        })
        .collect();
    (out.status.code().unwrap(), v, refused)
}

async fn open(db: &str) -> App<SqlStore> {
    App::new(
        SqlStore::connect(db).await.unwrap(),
        Arc::new(ManualClock::new("2026-03-09T01:00:00Z".parse().unwrap())),
        Policy::builtin("aliexpress").unwrap(),
        OrgId::parse("platform").unwrap(),
    )
    .unwrap()
}

/// acme (alice) holds the verified right r1, rival (bob) r9; shop1 and
/// shop4 are sellers, beta is a rights holder.
async fn seed(db: &str) {
    let app = open(db).await;
    let sys = app.system_actor();
    for (org, kind, user, role) in [
        (
            "acme",
            OrgKind::RightsHolder,
            Some("alice"),
            Role::RightsHolder,
        ),
        (
            "rival",
            OrgKind::RightsHolder,
            Some("bob"),
            Role::RightsHolder,
        ),
        ("shop1", OrgKind::Seller, None, Role::Seller),
        ("shop4", OrgKind::Seller, None, Role::Seller),
    ] {
        let o = OrgId::parse(org).unwrap();
        app.add_org(&sys, o.clone(), kind, DisplayName::parse(org).unwrap())
            .await
            .unwrap();
        if let Some(user) = user {
            app.add_user(
                &sys,
                UserId::parse(user).unwrap(),
                &o,
                role,
                DisplayName::parse(user).unwrap(),
            )
            .await
            .unwrap();
        }
    }
    for (id, owner, cert) in [("r1", "acme", 1), ("r9", "rival", 2)] {
        let r = Right {
            id: RightId::parse(id).unwrap(),
            owner: OrgId::parse(owner).unwrap(),
            kind: RightKind::Trademark,
            jurisdiction: Jurisdiction::CN,
            registration_number: RegistrationNumber::parse("123").unwrap(),
            nice_classes: [NiceClass::new(25).unwrap()].into(),
            valid_from: jiff::civil::date(2020, 1, 1),
            valid_until: None,
            certificates: [Sha256::from_bytes([cert; 32])].into(),
            cn_extension_certificate: None,
            state: RightState::Verified,
        };
        app.store().create_right(&r, &[]).await.unwrap();
    }
    app.store().close().await;
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

async fn on_file(db: &str, seller: &str) -> usize {
    let app = open(db).await;
    let n = app
        .store()
        .authorisations_of_seller(&OrgId::parse(seller).unwrap())
        .await
        .unwrap()
        .len();
    app.store().close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorisations_import_reports_bad_rows_by_line_loads_the_rest_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("rg.sqlite").display());
    seed(&db).await;
    let sha = "ab".repeat(32);
    // Line 1 is the header.
    let csv = write(
        dir.path(),
        "auths.csv",
        &format!(
            "seller,right,evidence,valid_until\n\
             shop1,r1,{sha},2027-12-31\n\
             nobody,r1,{sha},\n\
             shop4,r1,xyz,\n\
             acme,r1,{sha},\n\
             shop4,r9,{sha},\n\
             shop4,r1,{sha},2020-01-01\n\
             shop4,r1,{sha},\n"
        ),
    );
    let (code, v, refused) = import(&db, &["authorisations", &csv, "--as", "alice", "--dry-run"]);
    assert_eq!(code, 1, "{v}");
    // Rows that do not parse are reported as read, the others after their batch.
    let mut lines: Vec<u64> = refused.iter().map(|(n, _)| *n).collect();
    lines.sort_unstable();
    assert_eq!(lines, [3, 4, 5, 6, 7], "{refused:?}");
    assert_eq!(v["created"], 2, "{v}");
    assert_eq!(on_file(&db, "shop1").await, 0, "a dry run writes nothing");

    let (code, v, refused) = import(&db, &["authorisations", &csv, "--as", "alice"]);
    assert_eq!(code, 1);
    let by_line: std::collections::BTreeMap<u64, String> = refused.into_iter().collect();
    assert_eq!(by_line.keys().copied().collect::<Vec<_>>(), [3, 4, 5, 6, 7]);
    assert!(by_line[&3].starts_with("seller: "), "{by_line:?}");
    assert!(by_line[&4].starts_with("evidence: "), "{by_line:?}");
    assert!(by_line[&5].contains("not a seller"), "{by_line:?}");
    assert!(
        by_line[&6].starts_with("right: "),
        "bob's right: {by_line:?}"
    );
    assert!(by_line[&7].starts_with("valid_until: "), "{by_line:?}");
    assert_eq!(v["created"], 2);
    assert_eq!(on_file(&db, "shop1").await, 1);
    assert_eq!(on_file(&db, "shop4").await, 1);

    // Again: nothing new.
    let (_, v, _) = import(&db, &["authorisations", &csv, "--as", "alice"]);
    assert_eq!(
        (v["created"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "{v}"
    );
    assert_eq!(on_file(&db, "shop4").await, 1);

    // Only a rights holder's (or agent's) user may grant them.
    let app = open(&db).await;
    app.add_user(
        &app.system_actor(),
        UserId::parse("sam").unwrap(),
        &OrgId::parse("shop1").unwrap(),
        Role::Seller,
        DisplayName::parse("sam").unwrap(),
    )
    .await
    .unwrap();
    app.store().close().await;
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["import", "authorisations", &csv, "--as", "sam", "--db", &db])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("forbidden")
            || String::from_utf8_lossy(&out.stderr).contains("may not"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
