//! `rightsguard hash` run as a program: one JSON line per file, hashes that
//! agree with Meta's C++ reference, errors per file without stopping.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn pdq_data() -> PathBuf {
    match std::env::var_os("RG_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir).join("pdq"),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/pdq"
        )),
    }
}

fn hamming(a: &str, b: &str) -> u32 {
    a.as_bytes()
        .chunks(16)
        .zip(b.as_bytes().chunks(16))
        .map(|(x, y)| {
            let x = u64::from_str_radix(std::str::from_utf8(x).unwrap(), 16).unwrap();
            let y = u64::from_str_radix(std::str::from_utf8(y).unwrap(), 16).unwrap();
            (x ^ y).count_ones()
        })
        .sum()
}

#[test]
fn hash_prints_one_line_per_file_and_errors_in_place() {
    let data = pdq_data();
    let expected = std::fs::read_to_string(data.join("expected.csv")).unwrap();
    let cpp: Vec<(String, String)> = expected
        .lines()
        .filter(|l| l.ends_with(",cpp-ref"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned())
        })
        .collect();
    let garbage = std::env::temp_dir().join(format!("rg-hash-garbage-{}.jpg", std::process::id()));
    std::fs::write(&garbage, b"\xff\xd8\xff\xe0 not really a jpeg").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rightsguard"));
    cmd.arg("hash");
    for (path, _) in cpp.iter().take(4) {
        cmd.arg(data.join(path));
    }
    cmd.arg(&garbage)
        .arg(data.join("does-not-exist.png"))
        .arg(data.join("misc/c.png"));
    let out = cmd.output().unwrap();
    std::fs::remove_file(&garbage).ok();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed file makes the exit status 1"
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    for (line, (path, want)) in lines.iter().zip(cpp.iter().take(4)) {
        assert!(line["path"].as_str().unwrap().ends_with(path.as_str()));
        let pdq = line["pdq"].as_str().unwrap();
        assert_eq!(pdq.len(), 64);
        let quality = line["quality"].as_u64().unwrap();
        if quality >= 80 {
            assert!(hamming(pdq, want) <= 10, "{path}: {pdq} vs {want}");
        }
        assert!(line.get("error").is_none());
    }
    assert!(
        lines[4]["error"].as_str().unwrap().contains("JPEG"),
        "{}",
        lines[4]
    );
    assert!(lines[4].get("pdq").is_none());
    assert!(
        lines[5]["error"].as_str().unwrap().contains("cannot open"),
        "{}",
        lines[5]
    );
    assert_eq!(
        lines[6]["quality"].as_u64(),
        Some(100),
        "work goes on after errors"
    );
}

#[test]
fn hash_dihedral_lists_eight_hashes_and_finds_the_rotated_file() {
    let dih = pdq_data().join("dih");
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["hash", "--dihedral"])
        .arg(dih.join("bridge-1-original.jpg"))
        .arg(dih.join("bridge-3-rotate-180.jpg"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dihedral = lines[0]["dihedral"].as_object().unwrap();
    assert_eq!(dihedral.len(), 8);
    assert_eq!(dihedral["original"], lines[0]["pdq"]);
    let rotated = lines[1]["pdq"].as_str().unwrap();
    assert!(hamming(dihedral["rotate180"].as_str().unwrap(), rotated) <= 10);
    assert!(hamming(lines[0]["pdq"].as_str().unwrap(), rotated) > 64);
}
