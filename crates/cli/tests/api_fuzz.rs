//! API fuzzing: schemathesis (PyPI) against `/api/openapi.json` of the real
//! demo server, once as each role (admin, reviewer, two rights holders, an
//! agent, a seller), every check on but one: no server errors, no status
//! code, content type, header or body the document does not describe, no
//! schema-violating request accepted, auth not ignored.
//!
//! Left out: `positive_data_acceptance` (a request the schema allows must be
//! accepted). The schemas describe the shape of a request, not every domain
//! rule (an id's alphabet, a registration number's format, a listing that
//! must exist), so schema-valid requests are rightly refused with 422 and
//! the field named.
//!
//! Fixed seed for a repeatable CI run; `RG_FUZZ_SEED` and
//! `RG_FUZZ_EXAMPLES` explore further.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn schemathesis() -> Option<PathBuf> {
    let found = std::env::var_os("RG_PYTHON")
        .map(PathBuf::from)
        .and_then(|py| py.parent().map(|d| d.join("schemathesis")))
        .filter(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "schemathesis is missing under CI: scripts/test installs it into its venv (RG_PYTHON)"
        );
        eprintln!(
            "SKIPPED: API fuzzing — schemathesis not found (run scripts/test, which sets RG_PYTHON)"
        );
    }
    found
}

#[test]
fn schemathesis_finds_nothing_as_any_role() {
    let Some(st) = schemathesis() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("demo.sqlite").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["demo", "--listen", "127.0.0.1:0", "--db", &db])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = None;
    let mut tokens = std::collections::HashMap::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("API docs  http://") {
            addr = rest.split('/').next().map(str::to_owned);
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        if let Some(t) = cols.last().filter(|t| t.starts_with("rg_")) {
            // role, user, org, password, token
            tokens.insert(cols[cols.len() - 4].to_owned(), (*t).to_owned());
        }
        if line.starts_with("Serving") {
            break;
        }
    }
    let addr = addr.expect("the demo prints its address");
    let seed = std::env::var("RG_FUZZ_SEED").unwrap_or_else(|_| "20261128".into());
    let examples = std::env::var("RG_FUZZ_EXAMPLES").unwrap_or_else(|_| "10".into());
    let mut failed = Vec::new();
    // Admin last: it moves the manual clock, which would change what the
    // others see mid-run.
    for user in ["rita", "alice", "lena", "gus", "sam", "ada"] {
        let token = &tokens[user];
        let out = Command::new(&st)
            .args(["run", &format!("http://{addr}/api/openapi.json")])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args([
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
            ])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args([
                "--max-examples",
                &examples,
                "--seed",
                &seed,
                "--workers",
                "1",
            ])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        eprintln!(
            "schemathesis as {user}: {}",
            text.lines().last().unwrap_or("")
        );
        if !out.status.success() {
            failed.push(format!(
                "as {user}:\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
