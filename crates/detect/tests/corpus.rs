//! The evasion corpus: every evasion the engine claims to undo, and hard
//! negatives (short marks inside words, marks inside dictionary words,
//! dictionary words near a mark, half of a multi-word mark, marks in a
//! category outside the right's classes). Files in `tests/corpus/`, in the
//! `rightsguard scan` formats; `make.py` there regenerates them.
//!
//! Recall and precision are counted on (listing, right) pairs and printed;
//! each must be at least 0.95. The method named for each true positive is
//! compared with the expected one: at least 90% must agree.

// A test binary: helpers outside #[test] functions may panic too.
#![allow(clippy::panic, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use rightsguard_detect::text::{ClassSet, Field, MarkSpec, TextIndex};
use serde_json::Value;

fn corpus(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/").to_owned() + name;
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lines(name: &str) -> Vec<Value> {
    corpus(name)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}")))
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn evasion_corpus_recall_and_precision_are_at_least_095() {
    let specs: Vec<MarkSpec> = lines("rights.jsonl")
        .iter()
        .map(|r| MarkSpec {
            right_id: r["id"].as_str().expect("id").to_owned(),
            mark: r["mark"].as_str().unwrap_or_default().to_owned(),
            aliases: strings(&r["aliases"]),
            nice_classes: r["nice_classes"]
                .as_array()
                .expect("classes")
                .iter()
                .map(|c| c.as_u64().expect("class") as u16)
                .collect(),
        })
        .collect();
    let index = TextIndex::build(&specs).expect("index builds");
    let categories: BTreeMap<String, Vec<u16>> =
        serde_json::from_str(&corpus("categories.json")).expect("categories");

    let mut found: BTreeMap<(String, String), String> = BTreeMap::new();
    for l in lines("listings.jsonl") {
        let id = l["id"].as_str().expect("id").to_owned();
        let classes = categories
            .get(l["category"].as_str().expect("category"))
            .map(|c| ClassSet::from_classes(c.iter().copied()).expect("classes"))
            .unwrap_or(ClassSet::EMPTY);
        for (field, key) in [(Field::Title, "title"), (Field::Description, "description")] {
            let text = l[key].as_str().unwrap_or_default();
            for hit in index.find(field, text, &classes) {
                assert_eq!(&text[hit.start..hit.end], hit.matched, "span maps back");
                found
                    .entry((id.clone(), hit.right_id.to_string()))
                    .or_insert_with(|| hit.method.as_str().to_owned());
            }
        }
    }
    let expected: BTreeMap<(String, String), String> = lines("expected.jsonl")
        .iter()
        .map(|e| {
            let k = (
                e["listing_id"].as_str().expect("l").to_owned(),
                e["right_id"].as_str().expect("r").to_owned(),
            );
            (k, e["method"].as_str().expect("method").to_owned())
        })
        .collect();

    let found_keys: BTreeSet<_> = found.keys().cloned().collect();
    let expected_keys: BTreeSet<_> = expected.keys().cloned().collect();
    let tp = found_keys.intersection(&expected_keys).count();
    let recall = tp as f64 / expected_keys.len() as f64;
    let precision = tp as f64 / found_keys.len().max(1) as f64;
    let mut per_method: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for (k, m) in &expected {
        let e = per_method.entry(m.as_str()).or_default();
        e.0 += 1;
        if let Some(got) = found.get(k) {
            e.1 += 1;
            e.2 += usize::from(got == m);
        }
    }
    let same_method: usize = per_method.values().map(|v| v.2).sum();
    println!(
        "evasion corpus: {} expected, {} found, {tp} true positives",
        expected.len(),
        found.len()
    );
    println!(
        "recall {recall:.3}  precision {precision:.3}  method agreement {:.3}",
        same_method as f64 / tp.max(1) as f64
    );
    for (m, (n, hit, same)) in &per_method {
        println!("  {m:<10} expected {n:>3}  found {hit:>3}  same method {same:>3}");
    }
    for k in expected_keys.difference(&found_keys) {
        println!("  missed: {k:?} ({})", expected[k]);
    }
    for k in found_keys.difference(&expected_keys) {
        println!("  false positive: {k:?} ({})", found[k]);
    }
    for (k, m) in &expected {
        if let Some(got) = found.get(k).filter(|g| *g != m) {
            println!("  method: {k:?} expected {m}, got {got}");
        }
    }
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
    let agreement = same_method as f64 / tp.max(1) as f64;
    assert!(agreement >= 0.9, "method agreement {agreement:.3} < 0.9");
}
