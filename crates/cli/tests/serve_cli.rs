//! `rightsguard org|user|token` and `rightsguard serve` as an operator runs
//! them: the real binary, a real SQLite file, a real socket and SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use common::http_get;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

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

/// A minimal HTTP/1.1 GET; returns the status line and the body.

#[test]
fn accounts_tokens_and_a_server_that_stops_on_sigterm_without_logging_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("rg.sqlite").display());

    let (code, org, err) = rightsguard(&[
        "org",
        "add",
        "--db",
        &db,
        "--id",
        "platform",
        "--kind",
        "platform",
        "--name",
        "The Platform",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(org["kind"], "platform");
    let (code, _, err) = rightsguard(&[
        "user", "add", "--db", &db, "--id", "adam", "--org", "platform", "--role", "admin",
        "--name", "Adam",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = rightsguard(&[
        "user", "add", "--db", &db, "--id", "sam", "--org", "platform", "--role", "seller",
        "--name", "Sam",
    ]);
    assert_ne!(code, 0, "a platform has no sellers");
    assert!(err.contains("cannot have a user with role"), "{err}");
    for (id, kind) in [("agency", "agent"), ("acme", "rights-holder")] {
        let (code, _, err) = rightsguard(&[
            "org", "add", "--db", &db, "--id", id, "--kind", kind, "--name", id,
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let (code, poa, err) = rightsguard(&[
        "poa",
        "grant",
        "--db",
        &db,
        "--agent",
        "agency",
        "--principal",
        "acme",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(poa["principal"], "acme");
    let (code, _, _) = rightsguard(&[
        "poa",
        "grant",
        "--db",
        &db,
        "--agent",
        "acme",
        "--principal",
        "agency",
    ]);
    assert_ne!(code, 0, "only an agent holds a power of attorney");
    let (code, _, err) = rightsguard(&[
        "poa",
        "grant",
        "--db",
        &db,
        "--agent",
        "agency",
        "--principal",
        "platform",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("not a rights holder"), "{err}");
    let (code, _, _) = rightsguard(&["token", "issue", "--db", &db, "--user", "nobody"]);
    assert_ne!(code, 0);
    let (code, issued, err) = rightsguard(&["token", "issue", "--db", &db, "--user", "adam"]);
    assert_eq!(code, 0, "{err}");
    let token = issued["token"].as_str().unwrap().to_owned();
    let token_id = issued["id"].as_str().unwrap().to_owned();
    assert!(token.starts_with("rg_") && token.len() > 40, "{token}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args([
            "serve",
            "--db",
            &db,
            "--listen",
            "127.0.0.1:0",
            "--clock",
            "manual",
            "--clock-start",
            "2026-03-09T01:00:00Z",
            "--jobs-every",
            "0",
        ])
        .env("RUST_LOG", "trace")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let log = Arc::new(Mutex::new(String::new()));
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        log.lock().unwrap().push_str(&line);
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let reader = {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut l = log.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        })
    };

    let (status, body) = http_get(&addr, "/api/v1/audit/verify", &token);
    assert!(status.contains("200"), "{status} {body}");
    assert!(body.contains("\"ok\":true"), "{body}");

    let (code, _, err) = rightsguard(&["token", "revoke", "--db", &db, "--id", &token_id]);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = rightsguard(&["token", "revoke", "--db", &db, "--id", &token_id]);
    assert_ne!(code, 0, "revoked once");
    let (status, body) = http_get(&addr, "/api/v1/audit/verify", &token);
    assert!(status.contains("401"), "{status} {body}");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let exit = child.wait().unwrap();
    reader.join().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    let log = log.lock().unwrap();
    assert!(log.contains("shutting down"), "{log}");
    assert!(
        log.contains("/api/v1/audit/verify"),
        "requests are traced: {log}"
    );
    assert!(
        !log.contains(&token[3..]),
        "the token must never appear in the log"
    );
}
