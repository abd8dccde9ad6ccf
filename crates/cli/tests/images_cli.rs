//! `rightsguard rights images ...` and `rightsguard listing-images put` on
//! the demo marketplace: a reference image is added once (a repeat answers
//! the stored row), listed and removed; a file that is not an image and an
//! unknown right exit 2 with the reason; listing images are hashed one JSON
//! line per file (exit 1 when one is refused); the audit chain verifies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::process::Command;

const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2 L22 20 H2 Z M12 7 L7 17 H17 Z"/><circle cx="12" cy="14" r="2"/></svg>"##;

fn rightsguard(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line.trim()).unwrap()
}

#[test]
fn reference_and_listing_images_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("demo.sqlite").display());
    let (code, _, err) =
        rightsguard(&["demo", "--no-serve", "--listen", "127.0.0.1:0", "--db", &db]);
    assert_eq!(code, 0, "{err}");
    let logo = dir.path().join("logo.svg");
    std::fs::write(&logo, LOGO).unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a picture").unwrap();
    let (logo, notes) = (logo.to_str().unwrap(), notes.to_str().unwrap());
    let add = |right: &str, file: &str| {
        rightsguard(&[
            "rights", "images", "add", "--db", &db, "--right", right, file,
        ])
    };

    let (code, out, err) = add("tm-acme", logo);
    assert_eq!(code, 0, "{err}");
    let first = json(&out);
    assert_eq!(first["new"], true);
    assert_eq!(first["hashes"], 109);
    let sha = first["sha256"].as_str().unwrap().to_owned();
    let (code, out, _) = add("tm-acme", logo);
    assert_eq!(code, 0);
    let again = json(&out);
    assert_eq!(
        (again["new"].clone(), again["added_at"].clone()),
        (false.into(), first["added_at"].clone())
    );
    let (code, _, err) = add("tm-acme", notes);
    assert_eq!(code, 2);
    assert!(err.contains("unrecognised image format"), "{err}");
    let (code, _, err) = add("nope", logo);
    assert_eq!(code, 2);
    assert!(err.contains("not found"), "{err}");
    let list = || {
        rightsguard(&[
            "rights", "images", "list", "--db", &db, "--right", "tm-acme",
        ])
    };
    let (code, out, _) = list();
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");

    let (code, out, _) = rightsguard(&["listing-images", "put", "--db", &db, logo, notes]);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<serde_json::Value> = out.lines().map(json).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["sha256"], sha.as_str());
    assert_eq!(lines[0]["new"], true);
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("unrecognised image format")
    );

    let (code, out, err) = rightsguard(&[
        "rights", "images", "remove", "--db", &db, "--right", "tm-acme", "--sha256", &sha,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["sha256"], sha.as_str());
    let (code, out, _) = list();
    assert_eq!((code, out.lines().count()), (0, 0));
    let (code, out, _) = rightsguard(&["audit", "verify", "--db", &db]);
    assert_eq!(code, 0, "{out}");
}
