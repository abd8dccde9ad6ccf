//! Engine-only time of the inline keyword check: [`Blocklist::check`] on one
//! listing (title and description, class-gated, evasions folded), without
//! HTTP or the database.
//!
//! `cargo run --release -p rightsguard-app --example blocklist_bench -- TERMS.txt [LISTINGS]`
//!
//! `TERMS.txt` has one block term per line (bench/http/listings.sh writes the
//! simple-icons brand names topped up to 10k); each term gets one of a few
//! class sets. Listings are generated from a seed: titles of dictionary words,
//! one in five carrying a term. Prints the build time and the per-listing
//! time (mean, p50, p99) as one JSON line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark

use std::collections::BTreeSet;
use std::time::Instant;

use jiff::Timestamp;
use rightsguard_app::Blocklist;
use rightsguard_detect::categories::Categories;
use rightsguard_domain::blocklist::{BlockTerm, BlockTermState};
use rightsguard_domain::ids::{BlockTermId, NiceClass, OrgId, RightId};
use rightsguard_domain::listing::ListingContent;
use rightsguard_store::listings::StoredBlockTerm;

const CLASS_SETS: &[&[u32]] = &[&[9], &[25], &[18, 25], &[3], &[9, 28], &[14]];
const CATEGORIES: &[&str] = &[
    "Phones & Electronics",
    "Shoes",
    "Clothing",
    "Beauty",
    "Toys",
    "Food",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let terms_file = args
        .get(1)
        .expect("usage: blocklist_bench TERMS.txt [LISTINGS]");
    let n: usize = args.get(2).map_or(20_000, |s| s.parse().unwrap());
    let text = std::fs::read_to_string(terms_file).unwrap();
    let terms: Vec<StoredBlockTerm> = text
        .lines()
        .map(str::trim)
        .filter(|t| t.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
        .enumerate()
        .map(|(i, t)| StoredBlockTerm {
            id: BlockTermId::parse(&format!("bt-{i}")).unwrap(),
            term: BlockTerm {
                right: RightId::parse(&format!("r-{}", i / 10)).unwrap(),
                owner: OrgId::parse("acme").unwrap(),
                term: t.to_owned(),
                classes: CLASS_SETS[i % CLASS_SETS.len()]
                    .iter()
                    .map(|c| NiceClass::new(*c).unwrap())
                    .collect::<BTreeSet<_>>(),
                requested_at: Timestamp::UNIX_EPOCH,
                state: BlockTermState::Approved {
                    at: Timestamp::UNIX_EPOCH,
                },
            },
            version: 1,
        })
        .collect();
    let t = Instant::now();
    let blocklist = Blocklist::build(&terms).unwrap();
    let build_ms = t.elapsed().as_secs_f64() * 1e3;

    let words: Vec<&str> = include_str!("../../detect/data/words.txt")
        .lines()
        .filter(|w| !w.starts_with('#') && !w.is_empty())
        .collect();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let cats = Categories::builtin();
    let listings: Vec<(ListingContent, _)> = (0..n)
        .map(|i| {
            let mut title: Vec<String> = (0..8)
                .map(|_| words[next() as usize % words.len()].to_owned())
                .collect();
            if i % 5 == 0 {
                title[3] = terms[next() as usize % terms.len()].term.term.clone();
            }
            let desc: Vec<&str> = (0..40)
                .map(|_| words[next() as usize % words.len()])
                .collect();
            let category = CATEGORIES[i % CATEGORIES.len()];
            let content: ListingContent = serde_json::from_value(serde_json::json!({
                "title": title.join(" "), "description": desc.join(" "), "category": category,
            }))
            .unwrap();
            (content, cats.classes(category).unwrap())
        })
        .collect();

    let mut times = Vec::with_capacity(n);
    let mut held = 0usize;
    for (content, classes) in &listings {
        let t = Instant::now();
        let hits = blocklist.check(content, *classes);
        times.push(t.elapsed().as_secs_f64() * 1e6);
        held += usize::from(!hits.is_empty());
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / n as f64;
    let pct = |p: f64| times[((n as f64 * p) as usize).min(n - 1)];
    println!(
        "{}",
        serde_json::json!({
            "terms": blocklist.len(), "index_build_ms": (build_ms * 10.0).round() / 10.0,
            "listings": n, "with_hits": held,
            "us_per_listing_mean": (mean * 100.0).round() / 100.0,
            "us_per_listing_p50": (pct(0.5) * 100.0).round() / 100.0,
            "us_per_listing_p99": (pct(0.99) * 100.0).round() / 100.0,
        })
    );
}
