//! `rightsguard scan` as a user runs it: the real binary on real files.

// A test binary: helpers outside #[test] functions may panic too.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../detect/tests/corpus")
        .join(name)
}

fn scan(rights: &Path, listings: &Path, categories: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .arg("scan")
        .arg("--rights")
        .arg(rights)
        .arg("--listings")
        .arg(listings)
        .arg("--categories")
        .arg(categories)
        .args(extra)
        .output()
        .expect("rightsguard runs")
}

fn findings(stdout: &[u8]) -> Vec<Value> {
    std::str::from_utf8(stdout)
        .expect("utf-8 stdout")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A fresh directory under the system temp dir for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rg-scan-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn scan_of_the_evasion_corpus_finds_the_expected_pairs() {
    let out = scan(
        &corpus("rights.jsonl"),
        &corpus("listings.jsonl"),
        &corpus("categories.json"),
        &["--threads", "2"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let found = findings(&out.stdout);
    for f in &found {
        for key in [
            "listing_id",
            "right_id",
            "method",
            "field",
            "matched",
            "score",
            "start",
            "end",
        ] {
            assert!(!f[key].is_null(), "{key} missing in {f}");
        }
    }
    let got: BTreeSet<(String, String)> = found
        .iter()
        .map(|f| {
            (
                f["listing_id"].as_str().unwrap().to_owned(),
                f["right_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = std::fs::read_to_string(corpus("expected.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["listing_id"].as_str().unwrap().to_owned(),
                v["right_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let tp = got.intersection(&expected).count() as f64;
    let (recall, precision) = (tp / expected.len() as f64, tp / got.len() as f64);
    println!("scan on the corpus: recall {recall:.3} precision {precision:.3}");
    assert!(
        recall >= 0.95 && precision >= 0.95,
        "recall {recall} precision {precision}"
    );
    assert!(stderr.contains("231 listings"), "summary: {stderr}");
    assert!(
        !got.iter().any(|(_, r)| r == "r-logo-only"),
        "an image-only right has no text hits"
    );
}

#[test]
fn findings_come_out_in_input_order_whatever_the_threads() {
    let dir = temp_dir("order");
    let listings = dir.join("listings.jsonl");
    let mut text = String::new();
    for i in 0..3000 {
        let title = match i % 4 {
            0 => "N1ke shoes",
            1 => "plain cotton shirt",
            2 => "Adidas and Nike socks",
            _ => "Louis Vuiton bag",
        };
        let cat = if i % 4 == 3 {
            "Bags & Luggage"
        } else {
            "Shoes"
        };
        text.push_str(&format!(
            "{{\"id\":\"l{i}\",\"seller_id\":\"s\",\"title\":\"{title}\",\"description\":\"\",\"category\":\"{cat}\",\"images\":[]}}\n"
        ));
    }
    std::fs::write(&listings, text).unwrap();
    let run = |threads: &str| {
        let out = scan(
            &corpus("rights.jsonl"),
            &listings,
            &corpus("categories.json"),
            &["--threads", threads, "--chunk-lines", "37"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let one = run("1");
    let four = run("4");
    assert_eq!(one, four, "same bytes with 1 and 4 threads");
    let ids: Vec<u64> = findings(&one)
        .iter()
        .map(|f| f["listing_id"].as_str().unwrap()[1..].parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] <= w[1]), "listing order kept");
    // 750 listings of each kind: 1 + 2 + 0 + 1 findings.
    assert_eq!(ids.len(), 750 * 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_lines_are_reported_with_file_and_line_then_skipped_or_fatal_with_strict() {
    let dir = temp_dir("malformed");
    let listings = dir.join("listings.jsonl");
    std::fs::write(
        &listings,
        concat!(
            "{\"id\":\"a\",\"seller_id\":\"s\",\"title\":\"Nike shoes\",\"description\":\"\",\"category\":\"Shoes\",\"images\":[]}\n",
            "{\"id\":\"b\",\"title\":\"broken\n",
            "\n",
            "{\"id\":\"c\",\"seller_id\":\"s\",\"title\":\"Rolex watch\",\"description\":\"\",\"category\":\"Jewelry & Watches\",\"images\":[]}\n",
        ),
    )
    .unwrap();
    let lenient = scan(
        &corpus("rights.jsonl"),
        &listings,
        &corpus("categories.json"),
        &[],
    );
    let stderr = String::from_utf8_lossy(&lenient.stderr);
    assert!(lenient.status.success(), "{stderr}");
    assert!(
        stderr.contains("listings.jsonl:2:"),
        "file and line in: {stderr}"
    );
    assert!(
        stderr.contains("2 listings (1 malformed"),
        "counted in the summary: {stderr}"
    );
    let ids: Vec<String> = findings(&lenient.stdout)
        .iter()
        .map(|f| f["listing_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["a", "c"]);

    let strict = scan(
        &corpus("rights.jsonl"),
        &listings,
        &corpus("categories.json"),
        &["--strict"],
    );
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert!(!strict.status.success(), "--strict makes it fatal");
    assert!(stderr.contains("listings.jsonl:2:"), "{stderr}");
    let ids: Vec<String> = findings(&strict.stdout)
        .iter()
        .map(|f| f["listing_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids,
        ["a"],
        "findings before the bad line are written, none after"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_is_a_fatal_error() {
    let out = scan(
        &corpus("rights.jsonl"),
        Path::new("/nonexistent/listings.jsonl"),
        &corpus("categories.json"),
        &[],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/listings.jsonl"));
}
