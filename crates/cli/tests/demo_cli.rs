//! `rightsguard demo`: the product on its embedded default, as a person
//! starts it — the real binary, a fresh SQLite file, real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use common::http_get;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn demo_serves_a_marketplace_with_complaints_in_every_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("demo.sqlite").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["demo", "--listen", "127.0.0.1:0", "--db", &db])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = None;
    let mut tokens = std::collections::HashMap::new();
    let mut passwords = std::collections::HashMap::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("API docs  http://") {
            addr = rest.split('/').next().map(str::to_owned);
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        if let Some(t) = cols.last().filter(|t| t.starts_with("rg_")) {
            // role, user, org, password, token
            tokens.insert(cols[cols.len() - 4].to_owned(), (*t).to_owned());
            passwords.insert(
                cols[cols.len() - 4].to_owned(),
                cols[cols.len() - 2].to_owned(),
            );
        }
        if line.starts_with("Serving") {
            break;
        }
    }
    let addr = addr.expect("the demo prints its address");
    assert_eq!(tokens.len(), 9, "one token per demo user: {tokens:?}");
    assert_eq!(
        passwords["rita"], "rita-demo-2026",
        "passwords beside the tokens"
    );
    let (status, body) = http_get(&addr, "/login", &tokens["rita"]);
    assert!(
        status.contains("200") && body.contains("name=\"password\""),
        "{status} {body}"
    );

    let (status, body) = http_get(&addr, "/api/v1/review-queue", &tokens["rita"]);
    assert!(status.contains("200"), "{status} {body}");
    let queue: serde_json::Value = serde_json::from_str(&body).unwrap();
    let text = queue.to_string();
    assert!(text.contains("C-1004") && text.contains("L-301"), "{text}");

    let (status, body) = http_get(&addr, "/api/v1/complaints/C-1002", &tokens["rita"]);
    assert!(status.contains("200"), "{status} {body}");
    for state in ["upheld", "counter_notice_pending", "forwarded"] {
        assert!(body.contains(state), "C-1002 has a listing {state}: {body}");
    }
    let (_, body) = http_get(&addr, "/api/v1/complaints/C-1001", &tokens["alice"]);
    assert!(body.contains("established"), "{body}");
    let (_, body) = http_get(&addr, "/api/v1/complaints/C-1003", &tokens["lena"]);
    assert!(
        body.contains("rejected") && body.contains("withdrawn"),
        "{body}"
    );
    // The established takedown counts against its seller.
    let (status, body) = http_get(&addr, "/api/v1/sellers/shop-1/standing", &tokens["sam"]);
    assert!(
        status.contains("200") && body.contains("\"serious_strikes\":1"),
        "{status} {body}"
    );
    // ACME's mark is recorded with customs, its ten years capped at the
    // mark's own last day.
    let (status, body) = http_get(
        &addr,
        "/api/v1/rights/tm-acme/customs-recordals",
        &tokens["alice"],
    );
    assert!(
        status.contains("200") && body.contains("T2021-0031234") && body.contains("2029-05-31"),
        "{status} {body}"
    );
    // A seller does not see another rights holder's complaint against someone else.
    let (status, _) = http_get(&addr, "/api/v1/complaints/C-1001", &tokens["sid"]);
    assert!(status.contains("404"), "{status}");
    let (status, body) = http_get(&addr, "/api/v1/audit/verify", &tokens["ada"]);
    assert!(
        status.contains("200") && body.contains("\"ok\":true"),
        "{status} {body}"
    );

    // Clearance search finds the demo marks under evasions, with the reason,
    // over the API (any signed-in role) ...
    for (proposed, mark, reason) in [
        ("Lum3n", "LUMEN", "folded"),
        ("ΑCΜΕ", "ACME", "visual"), // Greek capitals
        ("Lumenn", "LUMEN", "spelling"),
        ("L U M E N", "LUMEN", "identical"),
        ("Acme Sport", "ACME", "contains_word"),
    ] {
        let path = format!(
            "/api/v1/clearance?classes=25&mark={}",
            proposed.replace(' ', "%20")
        );
        let (status, body) = http_get(&addr, &path, &tokens["sid"]);
        assert!(status.contains("200"), "{proposed}: {status} {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let top = &v["conflicts"][0];
        assert_eq!(top["mark"], mark, "{proposed}: {body}");
        assert_eq!(top["reasons"][0]["kind"], reason, "{proposed}: {body}");
    }
    // ... gated by class (LUMEN's rights are in 25 and 28, ACME's in 18 and
    // 25), and with a clear error for a bad class.
    let (_, body) = http_get(
        &addr,
        "/api/v1/clearance?classes=9&mark=Lumen",
        &tokens["sid"],
    );
    assert!(body.contains("\"conflicts\":[]"), "{body}");
    let (status, body) = http_get(
        &addr,
        "/api/v1/clearance?classes=99&mark=Lumen",
        &tokens["sid"],
    );
    assert!(
        status.contains("422") && body.contains("classes"),
        "{status} {body}"
    );
    // ... and on the command line, which exits 1 when something conflicts.
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["clearance", "--db", &db, "--classes", "25,28", "AKME"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("ACME") && stdout.contains("identical"),
        "{stdout}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["clearance", "--db", &db, "Zebra Garden"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    child.kill().unwrap();
    child.wait().unwrap();

    // The demo refuses to load into a database that exists.
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["demo", "--no-serve", "--listen", "127.0.0.1:0", "--db", &db])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));
}

/// `demo --no-serve` loads its data without taking the port it would serve
/// on: it works while that port is in use (by another demo, say).
#[test]
fn demo_without_serving_does_not_take_its_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("demo.sqlite").display());
    let listen = format!("127.0.0.1:{port}");
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["demo", "--no-serve", "--listen", &listen, "--db", &db])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // It prints the address it would serve on.
    assert!(
        stdout.contains(&format!("http://{listen}/api/docs")),
        "{stdout}"
    );
    drop(taken);
}
