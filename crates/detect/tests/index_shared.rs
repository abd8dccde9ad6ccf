//! The Hamming index against brute force on the shared haystack and needles
//! (`shared/data/pdq/index/`): exact at every radius up to past PDQ's 31.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rightsguard_detect::image::PdqHash;
use rightsguard_detect::image::index::{HammingIndex, batched_scan, naive_search};

fn read(name: &str) -> Vec<PdqHash> {
    let dir = match std::env::var_os("RG_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir).join("pdq/index"),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/pdq/index"
        )),
    };
    std::fs::read_to_string(dir.join(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.parse().unwrap())
        .collect()
}

#[test]
fn index_and_batched_scan_equal_brute_force_on_the_shared_haystack() {
    let haystack = read("haystack.txt");
    let needles = read("needles.txt");
    assert_eq!((haystack.len(), needles.len()), (1350, 100));
    let index = HammingIndex::build(haystack.clone()).unwrap();
    let mut found_at_31 = 0;
    for radius in [0, 8, 16, 24, 31, 32, 40, 63, 80] {
        let batched = batched_scan(&haystack, &needles, radius);
        for (needle, scanned) in needles.iter().zip(&batched) {
            let truth = naive_search(&haystack, needle, radius);
            assert_eq!(index.search(needle, radius), truth, "radius {radius}");
            assert_eq!(scanned, &truth, "radius {radius}");
            if radius == 31 {
                found_at_31 += truth.len();
            }
        }
    }
    // The data set plants near duplicates: the test is not vacuous.
    assert!(found_at_31 > 0);
    eprintln!("{found_at_31} hits within 31 for 100 needles");
}
