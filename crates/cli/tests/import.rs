//! `rightsguard import`: bulk import of sellers and listings, the real
//! binary on a real database. 100k listings with planted bad rows on
//! SQLite: every bad row is reported by its line and the rest load; a dry
//! run writes nothing; an import killed mid-way and run again loads
//! everything exactly once, with an intact audit chain. On 10.5k listings,
//! on both backends, also: a re-run changes nothing and changed rows update.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use rightsguard_store::SqlStore;
use rightsguard_testkit::{Backend, Database, fresh_database};
use serde_json::Value;

fn rg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(args)
        .env_remove("RIGHTSGUARD_DB")
        .output()
        .unwrap()
}

fn summary(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The lines the report names, from stderr (`FILE:line N: ...`), checking
/// that they come in file order.
fn reported_lines(out: &Output) -> BTreeSet<u64> {
    let lines: Vec<u64> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.split(":line ").nth(1))
        .filter_map(|rest| rest.split(':').next()?.parse().ok())
        .collect();
    assert!(lines.is_sorted(), "errors in file order: {lines:?}");
    lines.into_iter().collect()
}

async fn count(db: &Database, sql: &'static str) -> i64 {
    let store = SqlStore::connect(&db.url).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap();
    store.pool().close().await;
    n
}

/// Writes `n` listing lines; returns the lines planted bad.
fn listings_file(path: &Path, n: u64, changed_title: Option<u64>) -> BTreeSet<u64> {
    let mut text = String::new();
    let mut bad = BTreeSet::new();
    for line in 1..=n {
        let seller = ["shop-a", "shop-b", "shop-c"][(line % 3) as usize];
        let title = match changed_title {
            Some(m) if line % m == 0 => format!("Running shoes model {line}, now in blue"),
            _ => format!("Running shoes model {line}"),
        };
        let row = match line % 9973 {
            // Planted bad rows, one of each kind.
            101 => "{not json".to_owned(),
            202 => format!(
                r#"{{"id":"L{line}","seller_id":"{seller}","title":"   ","category":"Shoes"}}"#
            ),
            303 => {
                format!(r#"{{"id":"L{line}","seller_id":"nobody","title":"x","category":"Shoes"}}"#)
            }
            404 => format!(
                r#"{{"id":"L{line}","seller_id":"{seller}","title":"x","category":"Spaceships"}}"#
            ),
            505 => format!(
                r#"{{"id":"L{line}","seller_id":"{seller}","title":"x","category":"Shoes","colour":"red"}}"#
            ),
            606 => format!(
                r#"{{"id":"L {line}","seller_id":"{seller}","title":"x","category":"Shoes"}}"#
            ),
            _ => {
                writeln!(
                    text,
                    r#"{{"id":"L{line}","seller_id":"{seller}","title":"{title}","description":"Light and comfortable.","category":"Shoes","price_minor_units":4999,"currency":"EUR"}}"#
                )
                .unwrap();
                continue;
            }
        };
        bad.insert(line);
        text.push_str(&row);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
    bad
}

async fn imports_listings_with_bad_rows(backend: Backend, n: u64, repeats: bool) {
    let Some(db) = fresh_database(backend).await.unwrap() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    // Sellers first, from CSV; a bad name and a taken id are refused by line.
    let sellers = dir.path().join("sellers.csv");
    std::fs::write(
        &sellers,
        "id,name\nshop-a,Shop A\nshop-b,Shop B\nshop-c,\"Shop C, Ltd\"\nshop-d,\nshop-a,Shop A again\n",
    )
    .unwrap();
    let out = rg(&[
        "import",
        "sellers",
        "--db",
        &db.url,
        sellers.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(summary(&out)["created"], 3, "{out:?}");
    assert_eq!(reported_lines(&out), BTreeSet::from([5, 6]), "{out:?}");
    let out = rg(&[
        "import",
        "sellers",
        "--db",
        &db.url,
        sellers.to_str().unwrap(),
    ]);
    assert_eq!(
        summary(&out)["unchanged"],
        3,
        "a re-run creates nothing: {out:?}"
    );

    let file = dir.path().join("listings.jsonl");
    let bad = listings_file(&file, n, None);
    let good = n - bad.len() as u64;
    let path = file.to_str().unwrap();

    // A dry run reports every bad row and writes nothing.
    let out = rg(&["import", "listings", "--dry-run", "--db", &db.url, path]);
    assert_eq!(out.status.code(), Some(1));
    let s = summary(&out);
    assert_eq!(
        (s["created"].as_u64(), s["refused"].as_u64()),
        (Some(good), Some(bad.len() as u64)),
        "{s}"
    );
    assert_eq!(reported_lines(&out), bad);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM listings").await, 0);

    // Killed mid-way (SIGKILL), then run again: everything loads once.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args([
            "import", "listings", "--batch", "200", "--db", &db.url, path,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut loaded = 0;
    for _ in 0..600 {
        loaded = count(&db, "SELECT COUNT(*) FROM listings").await;
        if loaded > 0 || child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().ok();
    child.wait().unwrap();
    assert!(
        loaded > 0,
        "the first import wrote something before the kill"
    );
    let partial = count(&db, "SELECT COUNT(*) FROM listings").await;
    if n >= 50_000 {
        assert!(
            partial < good as i64,
            "killed before the end ({partial} of {good})"
        );
    }

    let out = rg(&["import", "listings", "--db", &db.url, path]);
    assert_eq!(out.status.code(), Some(1));
    let s = summary(&out);
    assert_eq!(
        s["created"].as_u64().unwrap() + s["unchanged"].as_u64().unwrap(),
        good,
        "{s}"
    );
    assert_eq!(s["unchanged"].as_i64(), Some(partial), "{s}");
    assert_eq!(reported_lines(&out), bad);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM listings").await,
        good as i64
    );
    // Each listing owes exactly one scan.
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'scan_listing'").await,
        good as i64
    );

    // The audit chain holds over every imported write.
    let out = rg(&["audit", "verify", "--db", &db.url]);
    assert!(out.status.success(), "{out:?}");

    if !repeats {
        db.drop_now().await.unwrap();
        return;
    }
    // Running the same file again changes nothing.
    let out = rg(&["import", "listings", "--db", &db.url, path]);
    let s = summary(&out);
    assert_eq!(
        (
            s["created"].as_u64(),
            s["updated"].as_u64(),
            s["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(good)),
        "{s}"
    );

    // A file with some titles changed updates exactly those, as CSV too.
    let changed = dir.path().join("changed.jsonl");
    listings_file(&changed, n, Some(1000));
    let out = rg(&[
        "import",
        "listings",
        "--db",
        &db.url,
        changed.to_str().unwrap(),
    ]);
    let s = summary(&out);
    let every_1000 = (1..=n)
        .filter(|l| l % 1000 == 0 && !bad.contains(l))
        .count() as u64;
    assert_eq!(s["updated"].as_u64(), Some(every_1000), "{s}");
    let csv = dir.path().join("more.csv");
    std::fs::write(
        &csv,
        "id,seller_id,title,description,category\nX1,shop-a,\"Shoes, \"\"new\"\"\",,Shoes\nX2,shop-b,Boots,Warm,Shoes\n",
    )
    .unwrap();
    let out = rg(&["import", "listings", "--db", &db.url, csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(summary(&out)["created"], 2);

    // Clear errors for what cannot be imported at all.
    let out = rg(&["import", "listings", "--db", &db.url, "/nonexistent.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let txt = dir.path().join("listings.txt");
    std::fs::write(&txt, "").unwrap();
    let out = rg(&["import", "listings", "--db", &db.url, txt.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--format"),
        "{out:?}"
    );
    let header = dir.path().join("bad-header.csv");
    std::fs::write(&header, "id,seller,title\nL1,shop-a,x\n").unwrap();
    let out = rg(&[
        "import",
        "listings",
        "--db",
        &db.url,
        header.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("seller"),
        "{out:?}"
    );
    db.drop_now().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_imports_100k_listings_reporting_each_bad_row() {
    imports_listings_with_bad_rows(Backend::Sqlite, 100_000, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_import_reruns_change_nothing_and_changes_update() {
    imports_listings_with_bad_rows(Backend::Sqlite, 10_500, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_imports_listings_reporting_each_bad_row() {
    imports_listings_with_bad_rows(Backend::Postgres, 10_500, true).await;
}

fn zip_of(path: &Path, files: &[(&str, &[u8])]) {
    use std::io::Write as _;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in files {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

async fn imports_rights_with_certificates(backend: Backend) {
    let Some(db) = fresh_database(backend).await.unwrap() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (id, kind) in [
        ("acme", "rights-holder"),
        ("rival", "rights-holder"),
        ("shop-a", "seller"),
    ] {
        let out = rg(&[
            "org", "add", "--db", &db.url, "--id", id, "--kind", kind, "--name", id,
        ]);
        assert!(out.status.success(), "{out:?}");
    }
    let certs = dir.path().join("certs.zip");
    zip_of(
        &certs,
        &[
            (
                "acme/tm-1.pdf",
                b"%PDF-1.4\n% certificate of registration 31234567\n",
            ),
            (
                "acme/tm-2.pdf",
                b"%PDF-1.4\n% certificate of registration 31234568\n",
            ),
            ("program.exe", b"\x7fELF\x02\x01\x01\x00 not a certificate"),
        ],
    );
    let rights = dir.path().join("rights.csv");
    std::fs::write(
        &rights,
        "id,owner,kind,jurisdiction,registration_number,nice_classes,valid_from,valid_until,certificates,mark,aliases\n\
         tm-1,acme,trademark,CN,31234567,25;18,2019-06-01,2029-05-31,acme/tm-1.pdf,ACME,AKME;艾克美\n\
         tm-2,acme,trademark,CN,31234568,25,2019-06-01,,acme/missing.pdf,,\n\
         tm-3,shop-a,trademark,CN,31234569,25,2019-06-01,,acme/tm-2.pdf,,\n\
         tm-4,rival,trademark,CN,31234570,25,2019-06-01,,acme/tm-1.pdf,RIVAL,\n\
         tm-5,acme,trademark,CN,31234571,25,2019-06-01,,program.exe,,\n\
         tm-6,acme,trademark,CN,31234572,,2019-06-01,,acme/tm-2.pdf,,\n",
    )
    .unwrap();
    let evidence = dir.path().join("evidence");
    let run = |dry: bool| {
        let mut args = vec![
            "import",
            "rights",
            "--db",
            &db.url,
            "--certificates",
            certs.to_str().unwrap(),
            "--evidence-dir",
            evidence.to_str().unwrap(),
            rights.to_str().unwrap(),
        ];
        if dry {
            args.push("--dry-run");
        }
        rg(&args)
    };
    // tm-2: no such file; tm-3: a seller owns no rights; tm-4: another
    // owner's certificate; tm-5: not a certificate file; tm-6: no class.
    let out = run(true);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(summary(&out)["created"], 1, "{out:?}");
    assert_eq!(
        reported_lines(&out),
        BTreeSet::from([3, 4, 5, 6, 7]),
        "{out:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("acme/missing.pdf") && stderr.contains("not a rights holder"),
        "{stderr}"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM rights").await,
        0,
        "a dry run writes nothing"
    );

    let out = run(false);
    let s = summary(&out);
    assert_eq!(
        (s["created"].as_u64(), s["refused"].as_u64()),
        (Some(1), Some(5)),
        "{out:?}"
    );
    assert_eq!(
        reported_lines(&out),
        BTreeSet::from([3, 4, 5, 6, 7]),
        "{out:?}"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM rights WHERE state = 'pending'").await,
        1
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM right_marks").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM evidence").await, 1);
    let out = run(false);
    assert_eq!(
        summary(&out)["unchanged"],
        1,
        "a re-run changes nothing: {out:?}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM evidence").await, 1);
    let out = rg(&["audit", "verify", "--db", &db.url]);
    assert!(out.status.success(), "{out:?}");
    let out = rg(&[
        "import",
        "rights",
        "--db",
        &db.url,
        "--certificates",
        "/nonexistent.zip",
        rights.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    db.drop_now().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_imports_rights_with_their_certificates() {
    imports_rights_with_certificates(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_imports_rights_with_their_certificates() {
    imports_rights_with_certificates(Backend::Postgres).await;
}
