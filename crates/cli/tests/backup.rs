//! `rightsguard backup` / `restore` on both backends: a backup taken while
//! the server keeps writing restores into a new database whose audit chain
//! reaches the recorded head and whose evidence files are all there; damaged
//! backups, occupied targets and the wrong backend are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rightsguard_http::Server;
use rightsguard_store::{SqlStore, Store};
use rightsguard_testkit::{Backend, Database, create_accounts, fresh_database, test_config};
use serde_json::Value;

fn rg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(args)
        .env_remove("RIGHTSGUARD_DB")
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

async fn upload(client: &reqwest::Client, base: &str, token: &str, body: String) -> String {
    let resp = client
        .post(format!("{base}/api/v1/evidence"))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let v: Value = resp.json().await.unwrap();
    v["sha256"].as_str().unwrap().to_owned()
}

/// Files in a content-addressed evidence directory.
fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            if e.file_name() != "tmp" {
                n += count_files(&p);
            }
        } else {
            n += 1;
        }
    }
    n
}

async fn backup_while_writing_then_restore(db: Database, target: Database) {
    let work = tempfile::tempdir().unwrap();
    let config = test_config(&db).unwrap();
    let evidence = db.evidence_dir();
    let server = Server::bind(&config).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let state = server.state().clone();
    let tokens = create_accounts(&state).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let mut before = Vec::new();
    for i in 0..5 {
        before.push(upload(&client, &base, &tokens.holder, format!("invoice {i}\n")).await);
    }

    // Writers keep going while the backup runs.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (client, base, token, writing) = (
            client.clone(),
            base.clone(),
            tokens.holder.clone(),
            writing.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0;
            while writing.load(Ordering::Relaxed) {
                upload(&client, &base, &token, format!("during backup {n}\n")).await;
                n += 1;
            }
            n
        })
    };
    let out_dir = work.path().join("backup-1");
    let (url, ev, out) = (
        db.url.clone(),
        evidence.display().to_string(),
        out_dir.display().to_string(),
    );
    let backed = tokio::task::spawn_blocking(move || {
        rg(&["backup", "--db", &url, "--evidence-dir", &ev, "--out", &out])
    })
    .await
    .unwrap();
    writing.store(false, Ordering::Relaxed);
    let written_during = writer.await.unwrap();
    let _ = stop.send(());
    task.await.unwrap().unwrap();
    assert!(
        backed.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&backed.stderr)
    );
    let report = json_of(&backed);
    let manifest = &report["manifest"];
    assert_eq!(manifest["audit"]["ok"], true, "{manifest}");
    assert_eq!(
        manifest["evidence"]["missing"],
        serde_json::json!([]),
        "{manifest}"
    );
    assert_eq!(
        manifest["evidence"]["corrupt"],
        serde_json::json!([]),
        "{manifest}"
    );
    let files = manifest["evidence"]["files"].as_u64().unwrap() as usize;
    assert!(files >= before.len(), "{manifest}");
    assert_eq!(count_files(&out_dir.join("evidence")), files);
    assert!(
        !std::fs::read_dir(work.path())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains("partial")),
        "no partial backup directory is left behind"
    );
    eprintln!("{written_during} uploads ran during the backup");

    // A backup never overwrites.
    let again = rg(&[
        "backup",
        "--db",
        &db.url,
        "--evidence-dir",
        &evidence.display().to_string(),
        "--out",
        &out_dir.display().to_string(),
    ]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists already"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // Restore into the empty target.
    let restored_ev = target.evidence_dir();
    let restore = |from: &Path| {
        rg(&[
            "restore",
            "--from",
            &from.display().to_string(),
            "--db",
            &target.url,
            "--evidence-dir",
            &restored_ev.display().to_string(),
        ])
    };
    let restored = restore(&out_dir);
    assert!(
        restored.status.success(),
        "restore: {} {}",
        String::from_utf8_lossy(&restored.stdout),
        String::from_utf8_lossy(&restored.stderr)
    );
    let r = json_of(&restored);
    assert_eq!(r["restored"], true, "{r}");
    assert_eq!(r["audit"]["head"], manifest["audit"]["head"], "{r}");
    assert_eq!(count_files(&restored_ev), files);

    // The restored chain verifies against the head recorded at backup time,
    // and every uploaded file the restored rows name is there and intact.
    let head = manifest["audit"]["head"].as_str().unwrap();
    let verify = rg(&[
        "audit",
        "verify",
        "--db",
        &target.url,
        "--expect-head",
        head,
    ]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let store = SqlStore::connect(&target.url).await.unwrap();
    let hashes = store.evidence_hashes().await.unwrap();
    let records = store.verify_audit(None).await.unwrap().records;
    store.close().await;
    assert!(hashes.len() >= before.len());
    let files_store =
        rightsguard_store::evidence::EvidenceStore::open(&restored_ev, 1 << 20).unwrap();
    for sha in &hashes {
        files_store.get(sha).unwrap();
    }
    for sha in &before {
        assert!(
            hashes.iter().any(|h| h.to_string() == *sha),
            "{sha} restored"
        );
    }

    // A second restore into the now occupied target is refused and changes nothing.
    let twice = restore(&out_dir);
    assert!(!twice.status.success());
    let err = String::from_utf8_lossy(&twice.stderr).to_string();
    assert!(
        err.contains("exists already") || err.contains("must exist and be empty"),
        "{err}"
    );
    let store = SqlStore::connect(&target.url).await.unwrap();
    assert_eq!(store.verify_audit(None).await.unwrap().records, records);
    store.close().await;

    // A damaged backup is refused before anything is written.
    let damaged = work.path().join("damaged");
    copy_dir(&out_dir, &damaged);
    let db_file = damaged.join(manifest["db_file"].as_str().unwrap());
    let mut bytes = std::fs::read(&db_file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&db_file, bytes).unwrap();
    let bad = rg(&[
        "restore",
        "--from",
        &damaged.display().to_string(),
        "--db",
        &format!("sqlite:{}", work.path().join("never.sqlite").display()),
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("damaged"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(!work.path().join("never.sqlite").exists());

    target.drop_now().await.unwrap();
    db.drop_now().await.unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_backup_while_writing_restores_with_its_audit_head() {
    let db = fresh_database(Backend::Sqlite).await.unwrap().unwrap();
    let target = fresh_database(Backend::Sqlite).await.unwrap().unwrap();
    backup_while_writing_then_restore(db, target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_backup_while_writing_restores_with_its_audit_head() {
    let Some(db) = fresh_database(Backend::Postgres).await.unwrap() else {
        return;
    };
    let target = fresh_database(Backend::Postgres).await.unwrap().unwrap();
    backup_while_writing_then_restore(db, target).await;
}

#[test]
fn a_backup_restores_only_into_its_own_backend() {
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", work.path().join("site.sqlite").display());
    assert!(rg(&["migrate", "--db", &db]).status.success());
    let out = work.path().join("b");
    let made = rg(&["backup", "--db", &db, "--out", &out.display().to_string()]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let wrong = rg(&[
        "restore",
        "--from",
        &out.display().to_string(),
        "--db",
        "postgres://nobody@127.0.0.1:1/none",
    ]);
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains("sqlite backup") && err.contains("sqlite:PATH"),
        "{err}"
    );

    let not_a_backup = rg(&[
        "restore",
        "--from",
        &work.path().display().to_string(),
        "--db",
        "sqlite:/nonexistent/x.sqlite",
    ]);
    assert!(!not_a_backup.status.success());
    assert!(
        String::from_utf8_lossy(&not_a_backup.stderr).contains("is")
            && String::from_utf8_lossy(&not_a_backup.stderr).contains("rightsguard backup"),
        "{}",
        String::from_utf8_lossy(&not_a_backup.stderr)
    );
}
