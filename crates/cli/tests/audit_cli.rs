//! `rightsguard migrate` and `rightsguard audit verify` on a real SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::process::Command;

use rightsguard_domain::actor::Actor;
use rightsguard_domain::ids::{
    Jurisdiction, NiceClass, OrgId, RegistrationNumber, RightId, Sha256, UserId,
};
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use rightsguard_store::{SqlStore, Store};

fn rightsguard(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_passes_then_names_the_edited_record() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("rg.sqlite").display());
    let (code, json, err) = rightsguard(&["migrate", "--db", &url]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["migrated"], true);

    let store = SqlStore::connect(&url).await.unwrap();
    let reviewer = Actor::reviewer(
        OrgId::parse("platform").unwrap(),
        UserId::parse("rita").unwrap(),
    );
    for n in 0..3u8 {
        let r = Right {
            id: RightId::parse(&format!("r{n}")).unwrap(),
            owner: OrgId::parse("acme").unwrap(),
            kind: RightKind::Trademark,
            jurisdiction: Jurisdiction::CN,
            registration_number: RegistrationNumber::parse("1").unwrap(),
            nice_classes: [NiceClass::new(25).unwrap()].into(),
            valid_from: jiff::civil::date(2020, 1, 1),
            valid_until: None,
            certificates: [Sha256::from_bytes([n; 32])].into(),
            cn_extension_certificate: None,
            state: RightState::Pending,
        };
        store.create_right(&r, &[]).await.unwrap();
        let t = r
            .apply(
                &RightCommand::Verify,
                &reviewer,
                "2026-01-05T00:00:00Z".parse().unwrap(),
                jiff::civil::date(2026, 1, 5),
            )
            .unwrap();
        store.save_right(&t.state, 1, &t.events).await.unwrap();
    }

    let (code, json, err) = rightsguard(&["audit", "verify", "--db", &url]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["ok"], true);
    assert_eq!(json["records"], 3);
    let head = json["head"].as_str().unwrap().to_owned();
    assert!(head.starts_with("3:"));

    sqlx::query("UPDATE audit_log SET at = at + 1 WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let (code, json, _) = rightsguard(&["audit", "verify", "--db", &url, "--expect-head", &head]);
    assert_eq!(code, 1);
    assert_eq!(json["ok"], false);
    assert_eq!(json["first_bad"][0], 2);

    let (code, _, err) =
        rightsguard(&["audit", "verify", "--db", &url, "--expect-head", "nonsense"]);
    assert_ne!(code, 0);
    assert!(err.contains("SEQ:HASH"), "{err}");
    let (code, _, err) = rightsguard(&["audit", "verify", "--db", "mysql://x"]);
    assert_ne!(code, 0);
    assert!(err.contains("unsupported database URL"), "{err}");
}
