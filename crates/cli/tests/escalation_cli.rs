//! `rightsguard customs ...` and `rightsguard escalation ...` on the demo
//! marketplace: a recordal of the demo's Chinese mark is recorded and
//! listed, refusals exit 2 with the reason, a customs proceeding is recorded
//! on its complaint with a document uploaded from a file, and the
//! complaint's package holds the document and verifies offline (exit 0)
//! until its `escalation.json` or the document is changed (exit 1).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::io::{Cursor, Read, Write};
use std::process::Command;

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

#[test]
fn customs_recordals_and_an_escalation_package_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("demo.sqlite").display());
    let (code, _, err) =
        rightsguard(&["demo", "--no-serve", "--listen", "127.0.0.1:0", "--db", &db]);
    assert_eq!(code, 0, "{err}");
    let record = |number: &str, right: &str, approved: &str| {
        rightsguard(&[
            "customs",
            "record",
            "--db",
            &db,
            "--right",
            right,
            "--number",
            number,
            "--approved-on",
            approved,
        ])
    };
    let (code, out, err) = record("T-DEMO-1", "tm-acme-cn", "2021-01-04");
    assert_eq!(code, 0, "{err}");
    let rec: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    // The demo right ends on 2030-03-13, before the 10 years.
    assert_eq!(rec["valid_until"], "2030-03-13");
    assert_eq!(rec["capped_by_right"], true);
    // Refused: the same number, a day before the right's term, no such right.
    let (code, _, err) = record("T-DEMO-1", "tm-acme-cn", "2021-01-05");
    assert_eq!(code, 2);
    assert!(err.contains("duplicate"), "{err}");
    let (code, _, err) = record("T-DEMO-2", "tm-acme-cn", "2020-03-13");
    assert_eq!(code, 2);
    assert!(err.contains("outside the term"), "{err}");
    let (code, _, err) = record("T-DEMO-2", "nope", "2021-01-05");
    assert_eq!(code, 2);
    assert!(err.contains("not found"), "{err}");
    let (code, out, _) = rightsguard(&["customs", "list", "--db", &db, "--right", "tm-acme-cn"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");

    // The demo's Chinese-mark complaint: a customs proceeding, then its package.
    let (_, csv, _) = rightsguard(&["export", "complaints", "--db", &db]);
    let row = csv.lines().find(|l| l.contains("tm-acme-cn")).expect(&csv);
    let id = row.split(',').next().unwrap().to_owned();
    let approval = dir.path().join("approval.pdf");
    std::fs::write(&approval, b"%PDF-1.4 customs approval T-DEMO-1").unwrap();
    let document = format!("customs approval={}", approval.display());
    let (code, out, err) = rightsguard(&[
        "escalation",
        "record",
        "--db",
        &db,
        "--complaint",
        &id,
        "--route",
        "customs_recordal",
        "--authority",
        "GACC",
        "--reference",
        "T-DEMO-1",
        "--filed-on",
        "2020-12-01",
        "--outcome",
        "infringement_found",
        "--decided-on",
        "2021-01-04",
        "--document",
        &document,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"outcome\":\"infringement_found\""), "{out}");
    assert!(out.contains("\"label\":\"customs approval\""), "{out}");
    assert!(err.contains("application/pdf"), "{err}");
    let (code, _, err) = rightsguard(&[
        "escalation",
        "record",
        "--db",
        &db,
        "--complaint",
        &id,
        "--route",
        "customs_recordal",
        "--authority",
        "GACC",
        "--reference",
        "T-DEMO-1",
        "--filed-on",
        "2020-12-01",
        "--document",
        "no file given",
    ]);
    assert_eq!(code, 2, "a document without LABEL=FILE is a usage error");
    assert!(err.contains("LABEL=FILE"), "{err}");
    let (code, _, err) = rightsguard(&[
        "escalation",
        "record",
        "--db",
        &db,
        "--complaint",
        &id,
        "--route",
        "arbitration",
        "--authority",
        "x",
        "--reference",
        "y",
        "--filed-on",
        "2020-12-01",
    ]);
    assert_eq!(code, 2, "a bad route is a usage error");
    assert!(err.contains("administrative_complaint"), "{err}");

    let zip = dir.path().join("package.zip");
    let (code, _, err) = rightsguard(&[
        "escalation",
        "export",
        "--db",
        &db,
        "--complaint",
        &id,
        "--route",
        "customs_recordal",
        "--out",
        zip.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = rightsguard(&["escalation", "verify", zip.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("escalation package: customs_recordal") && out.contains("OK:"),
        "{out}"
    );

    let bytes = std::fs::read(&zip).unwrap();
    let files = rightsguard_dossier::read_zip(&bytes).unwrap();
    let doc = files
        .keys()
        .find(|p| p.starts_with("proceedings/customs_recordal-T-DEMO-1/customs_approval-"))
        .expect("the document in the package")
        .clone();
    assert_eq!(files[&doc], b"%PDF-1.4 customs approval T-DEMO-1");

    // Change the document: caught.
    let mut forged = files.clone();
    forged.insert(doc.clone(), b"%PDF-1.4 customs refusal".to_vec());
    let tampered_doc = dir.path().join("tampered-doc.zip");
    std::fs::write(
        &tampered_doc,
        rightsguard_dossier::write_zip(&forged).unwrap(),
    )
    .unwrap();
    let (code, out, _) = rightsguard(&["escalation", "verify", tampered_doc.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&doc), "{out}");

    // Change the outcome in escalation.json: caught.
    let mut a = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        if f.name() == "escalation.json" {
            b = String::from_utf8(b)
                .unwrap()
                .replace("infringement_found", "no_infringement")
                .into_bytes();
        }
        w.start_file(f.name(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&b).unwrap();
    }
    let tampered = dir.path().join("tampered.zip");
    std::fs::write(&tampered, w.finish().unwrap().into_inner()).unwrap();
    let (code, out, _) = rightsguard(&["escalation", "verify", tampered.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("TAMPERED") && out.contains("escalation.json: SHA-256"),
        "{out}"
    );
}
