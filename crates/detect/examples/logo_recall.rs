//! Robust-matching figures on the simple-icons logo test set.
//!
//! `cargo run --release -p rightsguard-detect --example logo_recall -- ICONS_DIR [TARGETS] [OTHERS] [SEED]`
//!
//! Picks TARGETS + OTHERS logos at random (seeded) from ICONS_DIR (npm
//! `simple-icons`' `icons/` folder), indexes all of them as references,
//! and matches 7 listing copies of each target; prints recall and false
//! matches per variant kind and a threshold sweep.

#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use rightsguard_detect::image::testset::{SplitMix, evaluate};
use rightsguard_detect::image::{MatchConfig, RobustConfig};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: logo_recall ICONS_DIR [TARGETS=100] [OTHERS=100] [SEED=1]");
        return ExitCode::FAILURE;
    };
    let num = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (targets, others, seed) = (num(2, 100), num(3, 100), num(4, 1) as u64);
    let logos = match rightsguard_detect_logos(dir, targets + others, seed) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot read {dir}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let started = std::time::Instant::now();
    let eval = match evaluate(
        &logos,
        &logos[..targets.min(logos.len())],
        &RobustConfig::default(),
        MatchConfig::default(),
        seed,
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{} references ({} hashes), {} listing copies of {} logos, {:.1} s",
        eval.references,
        eval.reference_hashes,
        eval.queries,
        targets,
        started.elapsed().as_secs_f64()
    );
    println!("| variant | copies | recall | false matches |\n|---|---|---|---|");
    for (kind, s) in &eval.by_kind {
        println!(
            "| {} | {} | {:.3} | {} |",
            kind.name(),
            s.queries,
            s.recalled as f64 / s.queries.max(1) as f64,
            s.false_matches
        );
    }
    println!(
        "| all | {} | {:.3} | {} |",
        eval.queries,
        eval.recall(),
        eval.false_matches()
    );
    println!("\nthreshold sweep (distance <= t): t recall false_matches");
    for (t, r, f) in &eval.sweep {
        println!("  {t:>2} {:.3} {f}", *r as f64 / eval.queries.max(1) as f64);
    }
    for (name, why) in &eval.skipped {
        println!("skipped {name}: {why}");
    }
    ExitCode::SUCCESS
}

/// Reads `n` logos chosen at random (Fisher–Yates with `seed`) from `dir`.
fn rightsguard_detect_logos(
    dir: &str,
    n: usize,
    seed: u64,
) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    names.sort();
    let mut rng = SplitMix(seed);
    for i in (1..names.len()).rev() {
        names.swap(i, rng.below(i as u64 + 1) as usize);
    }
    names.truncate(n);
    names
        .into_iter()
        .map(|name| {
            Ok((
                name.trim_end_matches(".svg").to_owned(),
                std::fs::read(format!("{dir}/{name}"))?,
            ))
        })
        .collect()
}
