//! `rightsguard dossier export|verify` on the demo marketplace: the dossier
//! of the demo's Chinese-mark case verifies, and tampering with any kind of
//! file in it, adding one or removing one is reported with a non-zero exit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::process::Command;

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

type Files = BTreeMap<String, Vec<u8>>;

fn unzip(path: &Path) -> Files {
    let bytes = std::fs::read(path).unwrap();
    let mut a = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        out.insert(f.name().to_owned(), b);
    }
    out
}

fn rezip(files: &Files, path: &Path) {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    std::fs::write(path, w.finish().unwrap().into_inner()).unwrap();
}

#[test]
fn the_demo_dossier_verifies_and_every_kind_of_tampering_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("demo.sqlite").display());
    let (ok, _, err) = rightsguard(&["demo", "--no-serve", "--db", &db]);
    assert!(ok, "{err}");
    // The demo's Chinese-mark complaint was filed from findings: find its id.
    let (ok, csv, err) = rightsguard(&["export", "complaints", "--db", &db]);
    assert!(ok, "{err}");
    let row = csv.lines().find(|l| l.contains("tm-acme-cn")).expect(&csv);
    let id = row.split(',').next().unwrap().to_owned();

    let zip = dir.path().join("dossier.zip");
    let pdf = dir.path().join("dossier.pdf");
    let (ok, _, err) = rightsguard(&[
        "dossier",
        "export",
        "--db",
        &db,
        "--complaint",
        &id,
        "--out",
        zip.to_str().unwrap(),
        "--pdf",
        pdf.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let (ok, out, _) = rightsguard(&["dossier", "verify", zip.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("OK:"), "{out}");

    let files = unzip(&zip);
    // The certificate scan, the listing photo and the capture.
    let evidence: Vec<&String> = files
        .keys()
        .filter(|k| k.starts_with("evidence/"))
        .collect();
    assert_eq!(evidence.len(), 3, "{evidence:?}");
    let audit = String::from_utf8(files["audit/records.jsonl"].clone()).unwrap();
    for event in [
        "complaint_submitted",
        "item_upheld",
        "right_verified",
        "evidence_uploaded",
    ] {
        assert!(audit.contains(event), "the case's records include {event}");
    }

    let tampered = dir.path().join("tampered.zip");
    let check = |change: &dyn Fn(&mut Files), expect: &str| {
        let mut f = files.clone();
        change(&mut f);
        rezip(&f, &tampered);
        let (ok, out, _) = rightsguard(&["dossier", "verify", tampered.to_str().unwrap()]);
        assert!(!ok, "not detected: {expect}\n{out}");
        assert!(
            out.contains("TAMPERED") && out.contains(expect),
            "{expect}: {out}"
        );
    };
    let first_evidence = evidence[0].clone();
    check(
        &|f| f.get_mut("dossier.pdf").unwrap().push(b' '),
        "dossier.pdf: SHA-256",
    );
    check(
        &|f| f.get_mut(&first_evidence).unwrap()[0] ^= 1,
        &format!("{first_evidence}: SHA-256"),
    );
    check(
        &|f| {
            let m = String::from_utf8(f["manifest.json"].clone()).unwrap();
            let m = m.replacen("\"size\": ", "\"size\": 1", 1);
            f.insert("manifest.json".into(), m.into_bytes());
        },
        "the manifest says",
    );
    check(
        &|f| {
            let a = String::from_utf8(f["audit/records.jsonl"].clone()).unwrap();
            let a = a.replacen("item_upheld", "item_rejected", 1);
            f.insert("audit/records.jsonl".into(), a.into_bytes());
        },
        "audit/records.jsonl: SHA-256",
    );
    check(
        &|f| {
            f.insert("evidence/planted.png".into(), b"planted".to_vec());
        },
        "evidence/planted.png: in the ZIP but not in the manifest",
    );
    check(
        &|f| {
            f.remove(&first_evidence);
        },
        &format!("{first_evidence}: named in the manifest but missing"),
    );
    std::fs::write(&tampered, b"not a zip").unwrap();
    let (ok, out, _) = rightsguard(&["dossier", "verify", tampered.to_str().unwrap()]);
    assert!(!ok && out.contains("not a readable ZIP"), "{out}");
}
