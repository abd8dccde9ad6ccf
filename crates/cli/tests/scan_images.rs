//! `rightsguard scan` with images: listing photos against rights' reference
//! images, on the real binary with real files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn shared(rel: &str) -> PathBuf {
    let root = std::env::var_os("RG_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    root.join(rel)
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn listing_photos_match_reference_images_within_classes_and_bad_images_do_not_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Reference images beside the rights file; listing images in a
    // subdirectory beside the listings file (relative paths resolve against
    // the file that names them).
    std::fs::create_dir_all(d.join("rights/ref")).unwrap();
    std::fs::create_dir_all(d.join("feed/img")).unwrap();
    std::fs::copy(
        shared("pdq/bridge-mods/aaa-orig.jpg"),
        d.join("rights/ref/bridge.jpg"),
    )
    .unwrap();
    std::fs::copy(
        shared("pdq/bridge-mods/blur-a-little.jpg"),
        d.join("feed/img/copy.jpg"),
    )
    .unwrap();
    std::fs::copy(
        shared("pdq/bridge-mods/shrink-a-lot.jpg"),
        d.join("feed/img/small.jpg"),
    )
    .unwrap();
    std::fs::copy(
        shared("pdq/labelme/q0003.jpg"),
        d.join("feed/img/other.jpg"),
    )
    .unwrap();
    std::fs::write(
        d.join("feed/img/broken.jpg"),
        b"\xff\xd8\xff\xe0 not really a jpeg",
    )
    .unwrap();

    write(
        &d.join("rights/rights.jsonl"),
        r#"{"id":"R-IMG","owner":"acme","kind":"copyright","mark":"","aliases":[],"nice_classes":[16],"jurisdiction":"CN","images":["ref/bridge.jpg"]}
{"id":"R-TXT","owner":"acme","kind":"trademark","mark":"Zorblax","aliases":[],"nice_classes":[16],"jurisdiction":"CN"}
"#,
    );
    write(
        &d.join("feed/listings.jsonl"),
        r#"{"id":"L1","seller_id":"s1","title":"Poster of a bridge","description":"","category":"Prints","images":["img/copy.jpg","img/broken.jpg"]}
{"id":"L2","seller_id":"s2","title":"Bridge photo","description":"","category":"Prints","images":["img/small.jpg","img/missing.jpg"]}
{"id":"L3","seller_id":"s3","title":"Street scene","description":"","category":"Prints","images":["img/other.jpg"]}
{"id":"L4","seller_id":"s4","title":"Bridge mug","description":"","category":"Kitchen","images":["img/copy.jpg"]}
{"id":"L5","seller_id":"s5","title":"Zorblax poster","description":"","category":"Prints"}
"#,
    );
    write(
        &d.join("categories.json"),
        r#"{"Prints":[16],"Kitchen":[21]}"#,
    );

    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["scan", "--rights"])
        .arg(d.join("rights/rights.jsonl"))
        .arg("--listings")
        .arg(d.join("feed/listings.jsonl"))
        .arg("--categories")
        .arg(d.join("categories.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let findings: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let image: Vec<&Value> = findings.iter().filter(|f| f["method"] == "pdq").collect();
    let pairs: Vec<(String, String)> = image
        .iter()
        .map(|f| {
            (
                f["listing_id"].as_str().unwrap().to_owned(),
                f["matched"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        pairs.contains(&("L1".into(), "img/copy.jpg".into())),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("L2".into(), "img/small.jpg".into())),
        "{pairs:?}"
    );
    assert!(
        !pairs.iter().any(|(l, _)| l == "L3"),
        "an unrelated photo matched: {pairs:?}"
    );
    assert!(
        !pairs.iter().any(|(l, _)| l == "L4"),
        "class gating ignored for images: {pairs:?}"
    );
    for f in &image {
        assert_eq!(f["right_id"], "R-IMG");
        assert_eq!(f["field"], "image");
        assert!(f["distance"].as_u64().unwrap() <= 31);
        assert!(f["term"].as_str().unwrap().ends_with("ref/bridge.jpg"));
    }
    // Text findings still come out beside the image ones.
    assert!(
        findings
            .iter()
            .any(|f| f["listing_id"] == "L5" && f["right_id"] == "R-TXT")
    );
    // Each bad image is reported with its listing, and counted.
    assert!(
        stderr.contains("listing L1 image") && stderr.contains("broken.jpg"),
        "{stderr}"
    );
    assert!(
        stderr.contains("listing L2 image") && stderr.contains("missing.jpg"),
        "{stderr}"
    );
    assert!(stderr.contains("2 images failed"), "{stderr}");
}
