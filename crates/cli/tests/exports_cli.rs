//! The exports from the command line, on the demo marketplace: every decision
//! in the demo data exports as a DSA statement of reasons that passes the
//! validator written from the Transparency Database's field reference, and
//! the report and the other exports read the same data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::process::Command;

use rightsguard_domain::dsa::validate::{validate_batch, validate_statement};
use rightsguard_domain::lumen::COMPLAINTS_CSV_HEADER;
use serde_json::Value;

fn rightsguard(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn every_decision_of_the_demo_exports_as_a_valid_statement() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("demo.sqlite").display());
    let (ok, _, err) = rightsguard(&["demo", "--no-serve", "--db", &db]);
    assert!(ok, "{err}");

    let out = dir.path().join("sor.jsonl");
    let (ok, _, err) = rightsguard(&["dsa", "export", "--db", &db, "--out", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    let summary: Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    assert_eq!(summary["invalid"], 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut puids = Vec::new();
    for line in text.lines() {
        let batch: Value = serde_json::from_str(line).unwrap();
        assert_eq!(validate_batch(&batch), Ok(()), "{batch:#}");
        for s in batch["statements"].as_array().unwrap() {
            assert_eq!(validate_statement(s), Ok(()), "{s:#}");
            puids.push(s["puid"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(summary["statements"], puids.len());
    // The demo holds: an established takedown (C-1001, with the seller's
    // store freeze), three takedowns of C-1002, a listing held by the
    // blocklist, the listings of C-1003 and C-1004 that were never upheld,
    // and the takedown of L-705 under ACME's Chinese mark.
    let takedowns = puids
        .iter()
        .filter(|p| p.starts_with("rg-takedown-"))
        .count();
    let freezes = puids
        .iter()
        .filter(|p| p.starts_with("rg-suspension-"))
        .count();
    assert_eq!(takedowns, 5, "{puids:?}");
    assert_eq!(freezes, 1, "{puids:?}");
    let holds = puids.iter().filter(|p| p.starts_with("rg-hold-")).count();
    assert_eq!(
        holds, 1,
        "the demo's listing held by the blocklist: {puids:?}"
    );
    let mut unique = puids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), puids.len(), "puids are unique");

    // The same to stdout.
    let (ok, stdout, _) = rightsguard(&["dsa", "export", "--db", &db]);
    assert!(ok);
    assert_eq!(stdout, text);

    // The transparency report, JSON and CSV.
    let (ok, json, err) = rightsguard(&[
        "report",
        "transparency",
        "--db",
        &db,
        "--from",
        "2026-01-01",
        "--to",
        "2027-01-01",
    ]);
    assert!(ok, "{err}");
    let r: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["notices"]["complaints"], 5, "{r:#}");
    assert_eq!(r["counter_notices"]["filed"], 2, "{r:#}");
    assert_eq!(r["suspensions"]["store_freezes"], 1, "{r:#}");
    assert!(r["time_to_act"]["median_hours"].is_number(), "{r:#}");
    let (ok, csv, _) = rightsguard(&[
        "report",
        "transparency",
        "--db",
        &db,
        "--from",
        "2026-01-01",
        "--to",
        "2027-01-01",
        "--format",
        "csv",
    ]);
    assert!(ok);
    assert!(csv.starts_with("section,metric,key,value\r\n"));
    assert!(csv.contains("notices,complaints,,5\r\n"), "{csv}");
    let (ok, _, err) = rightsguard(&[
        "report",
        "transparency",
        "--db",
        &db,
        "--from",
        "soon",
        "--to",
        "2027-01-01",
    ]);
    assert!(!ok && err.contains("--from"), "{err}");

    // Lumen notices and the complaints CSV.
    let (ok, json, err) = rightsguard(&["export", "lumen", "--db", &db]);
    assert!(ok, "{err}");
    let notices: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(notices.as_array().unwrap().len(), 5);
    assert!(notices.to_string().contains("\"principal\""));
    let (ok, csv, _) = rightsguard(&[
        "export",
        "lumen",
        "--db",
        &db,
        "--format",
        "csv",
        "--listing-url",
        "https://shop.test/i/{id}",
    ]);
    assert!(ok);
    assert!(csv.contains("https://shop.test/i/L-101"), "{csv}");
    let (ok, csv, _) = rightsguard(&["export", "complaints", "--db", &db]);
    assert!(ok);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], COMPLAINTS_CSV_HEADER.join(","));
    assert!(lines.len() > 4, "{csv}");
}
