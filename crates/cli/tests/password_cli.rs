//! `rightsguard user set-password`: the password comes from a file or
//! standard input, never the command line, and only its argon2id hash is
//! stored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::io::Write as _;
use std::process::{Command, Stdio};

fn rightsguard(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn set_password_reads_stdin_or_a_file_and_stores_only_a_hash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rg.sqlite");
    let db = format!("sqlite:{}", path.display());
    let ok = |r: (i32, String, String)| assert_eq!(r.0, 0, "{} {}", r.1, r.2);
    ok(rightsguard(
        &[
            "org", "add", "--db", &db, "--id", "platform", "--kind", "platform", "--name", "P",
        ],
        "",
    ));
    ok(rightsguard(
        &[
            "user", "add", "--db", &db, "--id", "adam", "--org", "platform", "--role", "admin",
            "--name", "Adam",
        ],
        "",
    ));
    let set = ["user", "set-password", "--db", &db, "--user", "adam"];
    let (code, out, err) = rightsguard(&set, "a-long-secret-phrase\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"password_set\":true"), "{out}");
    assert!(!out.contains("a-long-secret-phrase") && !err.contains("a-long-secret-phrase"));
    let (code, _, err) = rightsguard(&set, "short\n");
    assert_ne!(code, 0);
    assert!(err.contains("at least 10"), "{err}");
    let file = dir.path().join("pw");
    std::fs::write(&file, "another-long-secret\n").unwrap();
    let mut with_file = set.to_vec();
    let file_arg = file.display().to_string();
    with_file.extend(["--password-file", &file_arg]);
    ok(rightsguard(&with_file, ""));
    let (code, _, _) = rightsguard(
        &["user", "set-password", "--db", &db, "--user", "nobody"],
        "a-long-secret-phrase\n",
    );
    assert_ne!(code, 0, "no such user");
    // There is no way to pass the password itself as an argument.
    let (code, _, err) = rightsguard(
        &[
            "user",
            "set-password",
            "--db",
            &db,
            "--user",
            "adam",
            "--password",
            "on-the-command-line",
        ],
        "",
    );
    assert_ne!(code, 0);
    assert!(err.contains("--password"), "{err}");
    // Only the argon2id hash is in the database files.
    let mut text = String::new();
    for suffix in ["", "-wal"] {
        let f = format!("{}{suffix}", path.display());
        if let Ok(bytes) = std::fs::read(&f) {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(text.contains("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!text.contains("another-long-secret") && !text.contains("a-long-secret-phrase"));
}
