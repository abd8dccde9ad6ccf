//! Benchmark (not a test): the text engine's match loop against its ceiling,
//! plain `aho-corasick` over already-lowercased bytes, on one core; index
//! build time and memory; the latency of one inline check.
//!
//! `cargo run --release -p rightsguard-detect --example text_bench -- \
//!    --rights R.jsonl --listings L.jsonl --categories C.json [--limit 200000] [--rounds 3]`
//!
//! `--dump FILE` writes every hit of the engine (one line each: listing,
//! field, right, term, method, span, score, matched text) and exits: a
//! change meant to be faster must leave that file the same.
//!
//! Inputs are the `rightsguard scan` files (see `bench/text/run.sh`). Both
//! loops see the same listings held in memory (title and description); the
//! ceiling gets its haystacks lowercased before the clock starts and does no
//! folding, gating, word rules, fuzzy matching or explanation.

use std::collections::HashMap;
use std::error::Error;
use std::time::Instant;

use aho_corasick::{AhoCorasick, MatchKind};
use rightsguard_detect::text::{ClassSet, Field, MarkSpec, TextIndex};
use serde_json::Value;

type Res<T> = Result<T, Box<dyn Error>>;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
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

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let rights = arg(&args, "--rights").ok_or("--rights FILE")?;
    let listings = arg(&args, "--listings").ok_or("--listings FILE")?;
    let categories = arg(&args, "--categories").ok_or("--categories FILE")?;
    let limit: usize = arg(&args, "--limit").map_or(Ok(200_000), |s| s.parse())?;
    let inline_n: usize = arg(&args, "--inline").map_or(Ok(2_000), |s| s.parse())?;
    let rounds: usize = arg(&args, "--rounds").map_or(Ok(3), |s| s.parse())?;

    let mut specs = Vec::new();
    for line in std::fs::read_to_string(&rights)?.lines() {
        let r: Value = serde_json::from_str(line)?;
        specs.push(MarkSpec {
            right_id: r["id"].as_str().unwrap_or_default().to_owned(),
            mark: r["mark"].as_str().unwrap_or_default().to_owned(),
            aliases: strings(&r["aliases"]),
            nice_classes: r["nice_classes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_u64())
                        .map(|c| c as u16)
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    let cats: HashMap<String, Vec<u16>> =
        serde_json::from_str(&std::fs::read_to_string(&categories)?)?;

    let rss0 = rss_kb();
    let t = Instant::now();
    let index = TextIndex::build(&specs)?;
    let build = t.elapsed().as_secs_f64();
    let rss1 = rss_kb();
    println!(
        "index: {} rights, {} terms; build {build:.2} s; heap {:.0} MB (estimate); RSS +{:.0} MB",
        index.rights_len(),
        index.terms_len(),
        index.heap_bytes() as f64 / 1e6,
        rss1.saturating_sub(rss0) as f64 / 1e3
    );

    let mut docs: Vec<(String, String, ClassSet)> = Vec::new();
    for line in std::fs::read_to_string(&listings)?.lines().take(limit) {
        let l: Value = serde_json::from_str(line)?;
        let classes = cats
            .get(l["category"].as_str().unwrap_or_default())
            .map(|c| ClassSet::from_classes(c.iter().copied()))
            .transpose()?
            .unwrap_or(ClassSet::EMPTY);
        docs.push((
            l["title"].as_str().unwrap_or_default().to_owned(),
            l["description"].as_str().unwrap_or_default().to_owned(),
            classes,
        ));
    }
    if let Some(path) = arg(&args, "--dump") {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (n, (title, desc, classes)) in docs.iter().enumerate() {
            for (field, text) in [(Field::Title, title), (Field::Description, desc)] {
                for h in index.find(field, text, classes) {
                    writeln!(
                        out,
                        "{n}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        field.as_str(),
                        h.right_id,
                        h.term,
                        h.method,
                        h.start,
                        h.end,
                        h.score,
                        h.matched
                    )?;
                }
            }
        }
        out.flush()?;
        return Ok(());
    }
    let bytes: usize = docs.iter().map(|d| d.0.len() + d.1.len()).sum();
    let mb = bytes as f64 / 1e6;

    // The ceiling: the same marks, lowercased, over lowercased bytes.
    let mut patterns: Vec<String> = Vec::new();
    for s in &specs {
        for p in std::iter::once(&s.mark).chain(&s.aliases) {
            if !p.trim().is_empty() {
                patterns.push(p.to_lowercase());
            }
        }
    }
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(&patterns)?;
    let lowered: Vec<(String, String)> = docs
        .iter()
        .map(|d| (d.0.to_lowercase(), d.1.to_lowercase()))
        .collect();

    // Best of `rounds`, engine and ceiling interleaved, so that a busy
    // machine slows both alike.
    let (mut engine, mut ceiling) = (f64::MAX, f64::MAX);
    let (mut hits, mut matches) = (0usize, 0usize);
    for _ in 0..rounds {
        // The engine: fold, match, word rules, fuzzy, gating, explanation.
        let t = Instant::now();
        hits = 0;
        for (title, desc, classes) in &docs {
            hits += index.find(Field::Title, title, classes).len();
            hits += index.find(Field::Description, desc, classes).len();
        }
        engine = engine.min(t.elapsed().as_secs_f64());
        if args.iter().any(|a| a == "--engine-only") {
            continue;
        }
        let t = Instant::now();
        matches = 0;
        for (title, desc) in &lowered {
            matches += ac.find_overlapping_iter(title.as_bytes()).count();
            matches += ac.find_overlapping_iter(desc.as_bytes()).count();
        }
        ceiling = ceiling.min(t.elapsed().as_secs_f64());
    }

    let n = docs.len() as f64;
    println!(
        "engine:  {:>9.0} listings/s  {:>6.1} MB/s per core  ({} hits on {} listings, {mb:.0} MB)",
        n / engine,
        mb / engine,
        hits,
        docs.len()
    );
    if ceiling < f64::MAX {
        println!(
            "ceiling: {:>9.0} listings/s  {:>6.1} MB/s per core  ({} raw matches; plain aho-corasick, {:?})",
            n / ceiling,
            mb / ceiling,
            matches,
            ac.kind()
        );
        println!("engine / ceiling throughput: {:.2}", ceiling / engine);
    }

    // Inline: one title at a time, no gating, as on a listing write.
    let sample: Vec<&str> = docs.iter().take(inline_n).map(|d| d.0.as_str()).collect();
    let mut per = f64::MAX;
    let mut inline_hits = 0usize;
    for _ in 0..rounds {
        let t = Instant::now();
        inline_hits = 0;
        for title in &sample {
            inline_hits += index.find(Field::Title, title, &ClassSet::ALL).len();
        }
        per = per.min(t.elapsed().as_secs_f64() / sample.len().max(1) as f64);
    }
    println!(
        "inline:  {:.1} µs per title against {} marks ({} titles, {} hits)",
        per * 1e6,
        index.terms_len(),
        sample.len(),
        inline_hits
    );
    Ok(())
}
