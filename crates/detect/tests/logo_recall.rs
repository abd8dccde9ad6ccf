//! Robust matching on the simple-icons logo test set (npm `simple-icons`,
//! rendered and varied in memory by `image::testset`, never stored): recall
//! of listing copies against their own logo and zero false matches against
//! the other logos.
//!
//! In CI this runs on a seeded subset (12 logos' copies against 60
//! references) because the debug build is slow; the full figures (100 logos
//! against 200) come from `cargo run --release -p rightsguard-detect
//! --example logo_recall -- "$RG_SIMPLE_ICONS"` (see the README).
//!
//! Needs `RG_SIMPLE_ICONS`, the `icons/` folder of npm `simple-icons`:
//! `scripts/test` installs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rightsguard_detect::image::testset::{SplitMix, evaluate};
use rightsguard_detect::image::{MatchConfig, RobustConfig};

fn icons() -> Vec<(String, Vec<u8>)> {
    let dir = std::env::var("RG_SIMPLE_ICONS").unwrap_or_else(|_| {
        panic!("RG_SIMPLE_ICONS is not set: run scripts/test, which installs npm simple-icons")
    });
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    names.sort();
    assert!(names.len() > 1000, "{dir} has only {} logos", names.len());
    let mut rng = SplitMix(20_241);
    for i in (1..names.len()).rev() {
        names.swap(i, rng.below(i as u64 + 1) as usize);
    }
    names
        .into_iter()
        .take(60)
        .map(|n| {
            (
                n.trim_end_matches(".svg").to_owned(),
                std::fs::read(format!("{dir}/{n}")).unwrap(),
            )
        })
        .collect()
}

#[test]
fn listing_copies_find_their_logo_and_no_other() {
    let logos = icons();
    let eval = evaluate(
        &logos,
        &logos[..12],
        &RobustConfig::default(),
        MatchConfig::default(),
        5,
    )
    .unwrap();
    for (kind, s) in &eval.by_kind {
        eprintln!(
            "{}: {}/{} recalled, {} false",
            kind.name(),
            s.recalled,
            s.queries,
            s.false_matches
        );
    }
    eprintln!("missed: {:?}", eval.missed);
    assert!(eval.skipped.is_empty(), "{:?}", eval.skipped);
    assert_eq!(eval.queries, 12 * 7);
    assert_eq!(eval.false_matches(), 0, "copies matched to another logo");
    assert!(eval.recall() >= 0.95, "recall {:.3}", eval.recall());
}
