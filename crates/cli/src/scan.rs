//! `rightsguard scan`: every listing of a file against every right of another.
//!
//! The design decision is a three-stage pipeline with a fixed number of
//! chunks in flight: one reader thread cuts the listings file into chunks of
//! lines, worker threads (one per core) parse and match whole chunks, and the
//! main thread writes each chunk's findings in input order. A chunk may only
//! be read once an earlier one has been written (a pool of tokens), so memory
//! stays bounded by `chunks in flight x chunk size` whatever the file size,
//! and the output is the same whatever the number of threads.
//!
//! Detectors are pluggable per listing ([`Detector`]): text matching today;
//! image matching plugs in the same way, from the `images` fields kept on
//! [`Right`] and [`Listing`] (paths resolved against the directory of the
//! file that names them).

use crate::scan_image::ImageDetector;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use rightsguard_detect::text::{ClassSet, Field, MarkSpec, TextIndex};
use serde::{Deserialize, Serialize};

/// Arguments of `rightsguard scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rights, one JSON object per line: {"id","owner","kind","mark","aliases","nice_classes","jurisdiction","images"}.
    #[arg(long)]
    rights: PathBuf,
    /// Listings, one JSON object per line: {"id","seller_id","title","description","category","images"}.
    #[arg(long)]
    listings: PathBuf,
    /// Categories: {"<category>": [Nice classes], ...}.
    #[arg(long)]
    categories: PathBuf,
    /// Stop at the first malformed line (otherwise it is reported, counted and skipped).
    #[arg(long)]
    strict: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<NonZeroUsize>,
    /// Listings per chunk of work.
    #[arg(long, default_value_t = NonZeroUsize::new(1024).unwrap_or(NonZeroUsize::MIN), hide = true)]
    chunk_lines: NonZeroUsize,
    /// Never draw a progress bar (it is drawn only when stderr is a terminal anyway).
    #[arg(long)]
    no_progress: bool,
}

/// A rights line of the scan contract.
#[allow(
    dead_code,
    reason = "parsed for the image detector and later use; the contract keeps them"
)]
#[derive(Debug, Clone, Deserialize)]
pub struct Right {
    /// The right's id.
    pub id: String,
    /// Its owner.
    #[serde(default)]
    pub owner: String,
    /// trademark, patent, design, copyright.
    #[serde(default)]
    pub kind: String,
    /// The mark; empty for an image-only right.
    #[serde(default)]
    pub mark: String,
    /// Other spellings.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Nice classes; empty means not class-bound.
    #[serde(default)]
    pub nice_classes: Vec<u16>,
    /// Jurisdiction (e.g. CN).
    #[serde(default)]
    pub jurisdiction: String,
    /// Image paths, resolved against the rights file's directory on load.
    #[serde(default)]
    pub images: Vec<PathBuf>,
}

/// A listings line of the scan contract, borrowing from the line.
#[allow(
    dead_code,
    reason = "parsed for the image detector and later use; the contract keeps them"
)]
#[derive(Debug, Deserialize)]
pub struct Listing<'a> {
    /// The listing's id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// The seller's id.
    #[serde(borrow, default)]
    pub seller_id: Cow<'a, str>,
    /// Title text.
    #[serde(borrow, default)]
    pub title: Cow<'a, str>,
    /// Description text.
    #[serde(borrow, default)]
    pub description: Cow<'a, str>,
    /// Category name, mapped to Nice classes by the categories file.
    #[serde(borrow, default)]
    pub category: Cow<'a, str>,
    /// Image paths, relative to the listings file's directory.
    #[serde(borrow, default)]
    pub images: Vec<Cow<'a, str>>,
}

impl Listing<'_> {
    /// The listing's image paths resolved against `base` (the directory of the
    /// listings file), for an image detector.
    pub fn image_paths<'s>(&'s self, base: &'s Path) -> impl Iterator<Item = PathBuf> + 's {
        self.images.iter().map(move |p| base.join(p.as_ref()))
    }
}

/// What found a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The text engine.
    Text,
    /// The image engine.
    Image,
}

/// One finding line: at least `listing_id, right_id, method, field, matched,
/// score`; `start`/`end` for text spans, `distance` for fuzzy text (edits)
/// and for images (Hamming distance).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The listing.
    pub listing_id: String,
    /// The right.
    pub right_id: Arc<str>,
    /// Text or image.
    pub source: Source,
    /// How it matched (exact, folded, homoglyph, leet, spaced, joined, fuzzy, ...).
    pub method: &'static str,
    /// title, description, or image.
    pub field: &'static str,
    /// The matched text (or image path).
    pub matched: String,
    /// The right's mark, alias or image that matched.
    pub term: Arc<str>,
    /// Confidence in (0, 1].
    pub score: f32,
    /// Byte offset of a text match in its field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    /// Byte offset just past a text match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
    /// Edit distance (fuzzy text) or Hamming distance (image).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
}

/// A matcher run on each listing; all must be shareable between threads.
pub trait Detector: Sync + Send {
    /// Appends the findings of `listing` (whose category maps to `classes`).
    fn detect(&self, listing: &Listing<'_>, classes: ClassSet, out: &mut Vec<Finding>);
}

/// The text engine as a detector: title and description.
#[derive(Debug)]
pub struct TextDetector {
    index: TextIndex,
}

impl TextDetector {
    /// Builds the index from the rights' marks and aliases.
    pub fn new(rights: &[Right]) -> anyhow::Result<TextDetector> {
        let specs: Vec<MarkSpec> = rights
            .iter()
            .map(|r| MarkSpec {
                right_id: r.id.clone(),
                mark: r.mark.clone(),
                aliases: r.aliases.clone(),
                nice_classes: r.nice_classes.clone(),
            })
            .collect();
        Ok(TextDetector {
            index: TextIndex::build(&specs).context("building the text index")?,
        })
    }
}

impl Detector for TextDetector {
    fn detect(&self, listing: &Listing<'_>, classes: ClassSet, out: &mut Vec<Finding>) {
        for (field, text) in [
            (Field::Title, &listing.title),
            (Field::Description, &listing.description),
        ] {
            for hit in self.index.find(field, text, &classes) {
                out.push(Finding {
                    listing_id: listing.id.to_string(),
                    right_id: hit.right_id,
                    source: Source::Text,
                    method: hit.method.as_str(),
                    field: field.as_str(),
                    matched: hit.matched,
                    term: hit.term,
                    score: hit.score,
                    start: Some(hit.start),
                    end: Some(hit.end),
                    distance: hit.method.distance().map(u32::from),
                });
            }
        }
    }
}

/// A malformed line: where, and why.
#[derive(Debug)]
struct BadLine {
    line: u64,
    message: String,
    /// Bytes of the chunk's output written before this line.
    out_before: usize,
}

/// Lines read from the listings file, in order.
#[derive(Debug)]
struct Chunk {
    seq: u64,
    first_line: u64,
    data: Vec<u8>,
    ends: Vec<usize>,
}

/// One chunk's output.
#[derive(Debug, Default)]
struct Done {
    seq: u64,
    out: Vec<u8>,
    bytes: u64,
    listings: u64,
    findings: u64,
    unknown_category: u64,
    bad: Vec<BadLine>,
}

/// Counters printed in the summary.
#[derive(Debug, Default)]
struct Totals {
    listings: u64,
    findings: u64,
    malformed: u64,
    unknown_category: u64,
    bytes: u64,
}

/// Reads the rights file; malformed lines are reported and skipped (or fatal
/// with `strict`). Image paths are resolved against the file's directory.
pub fn load_rights(path: &Path, strict: bool) -> anyhow::Result<(Vec<Right>, u64)> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut rights = Vec::new();
    let mut malformed = 0;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Right>(&line) {
            Ok(mut r) => {
                r.images = r.images.iter().map(|p| base.join(p)).collect();
                rights.push(r);
            }
            Err(e) if strict => bail!("{}:{}: {e}", path.display(), n + 1),
            Err(e) => {
                eprintln!("error: {}:{}: {e} (skipped)", path.display(), n + 1);
                malformed += 1;
            }
        }
    }
    Ok((rights, malformed))
}

/// Reads the categories file: category name to Nice classes.
pub fn load_categories(path: &Path) -> anyhow::Result<HashMap<String, ClassSet>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let table = rightsguard_detect::categories::Categories::from_json(&text)
        .with_context(|| format!("parsing {}", path.display()))?;
    Ok(table.into_map())
}

/// Runs the scan: findings to stdout, errors and the summary to stderr.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let (rights, bad_rights) = load_rights(&args.rights, args.strict)?;
    let categories = load_categories(&args.categories)?;
    let threads = args
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let listings_dir = args.listings.parent().unwrap_or(Path::new("."));
    let images = ImageDetector::new(&rights, listings_dir, threads)?.map(Arc::new);
    let mut detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(TextDetector::new(&rights)?)];
    if let Some(images) = &images {
        detectors.push(images.clone());
    }
    let build_secs = started.elapsed().as_secs_f64();

    let file = File::open(&args.listings)
        .with_context(|| format!("opening {}", args.listings.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = if !args.no_progress && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(size),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };

    let scan_started = Instant::now();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let totals = pipeline(
        file,
        &args,
        threads,
        &detectors,
        &categories,
        &mut out,
        &progress,
    );
    progress.finish_and_clear();
    let totals = totals?;
    out.flush().context("writing findings")?;

    let secs = scan_started.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "scan: {} rights ({} malformed), index built in {build_secs:.2} s; {} listings ({} malformed, {} in unknown categories), {} findings; {:.1} MB in {secs:.2} s: {:.0} listings/s, {:.1} MB/s on {threads} threads",
        rights.len(),
        bad_rights,
        totals.listings,
        totals.malformed,
        totals.unknown_category,
        totals.findings,
        totals.bytes as f64 / 1e6,
        totals.listings as f64 / secs,
        totals.bytes as f64 / 1e6 / secs,
    );
    if let Some(images) = &images {
        let (read, failed) = images.counts();
        eprintln!(
            "scan: images: {} reference hashes indexed; {read} listing images read; {failed} images failed (reported above)",
            images.reference_hashes()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn pipeline(
    file: File,
    args: &Args,
    threads: usize,
    detectors: &[Arc<dyn Detector>],
    categories: &HashMap<String, ClassSet>,
    out: &mut impl Write,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<Totals> {
    let in_flight = threads * 4;
    let (chunk_tx, chunk_rx) = crossbeam_channel::bounded::<Chunk>(threads * 2);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Done>(in_flight);
    let (token_tx, token_rx) = crossbeam_channel::bounded::<()>(in_flight);
    for _ in 0..in_flight {
        token_tx.send(()).context("seeding the chunk pool")?;
    }
    let stop = AtomicBool::new(false);
    let path = args.listings.display().to_string();
    let chunk_lines = args.chunk_lines.get();

    std::thread::scope(|scope| -> anyhow::Result<Totals> {
        let stop = &stop;
        let reader =
            scope.spawn(move || read_chunks(file, chunk_lines, &chunk_tx, &token_rx, stop));
        for _ in 0..threads {
            let chunk_rx = chunk_rx.clone();
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut findings = Vec::new();
                for chunk in chunk_rx {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let done = work(&chunk, detectors, categories, &mut findings);
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(chunk_rx);
        drop(done_tx);

        let mut totals = Totals::default();
        let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
        let mut next = 0u64;
        let result = (|| -> anyhow::Result<()> {
            for done in &done_rx {
                pending.insert(done.seq, done);
                while let Some(d) = pending.remove(&next) {
                    next += 1;
                    for bad in &d.bad {
                        if args.strict {
                            // The findings of the lines before the bad one still go out.
                            out.write_all(&d.out[..bad.out_before])
                                .context("writing findings")?;
                            out.flush().context("writing findings")?;
                            bail!("{path}:{}: {}", bad.line, bad.message);
                        }
                        progress.suspend(|| {
                            eprintln!("error: {path}:{}: {} (skipped)", bad.line, bad.message)
                        });
                    }
                    out.write_all(&d.out).context("writing findings")?;
                    totals.listings += d.listings;
                    totals.findings += d.findings;
                    totals.malformed += d.bad.len() as u64;
                    totals.unknown_category += d.unknown_category;
                    totals.bytes += d.bytes;
                    progress.inc(d.bytes);
                    // The chunk is out: let the reader read another.
                    let _ = token_tx.send(());
                }
            }
            Ok(())
        })();
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        drop(done_rx);
        drop(token_tx);
        let read = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
        result?;
        read.with_context(|| format!("reading {path}"))?;
        Ok(totals)
    })
}

/// Cuts the file into chunks of lines; waits for a token before each chunk.
fn read_chunks(
    file: File,
    chunk_lines: usize,
    tx: &crossbeam_channel::Sender<Chunk>,
    tokens: &crossbeam_channel::Receiver<()>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line_no = 0u64;
    let mut seq = 0u64;
    loop {
        if tokens.recv().is_err() || stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut chunk = Chunk {
            seq,
            first_line: line_no + 1,
            data: Vec::with_capacity(chunk_lines * 512),
            ends: Vec::with_capacity(chunk_lines),
        };
        while chunk.ends.len() < chunk_lines && chunk.data.len() < 8 << 20 {
            let n = reader.read_until(b'\n', &mut chunk.data)?;
            if n == 0 {
                break;
            }
            line_no += 1;
            chunk.ends.push(chunk.data.len());
        }
        if chunk.ends.is_empty() {
            return Ok(());
        }
        seq += 1;
        if tx.send(chunk).is_err() {
            return Ok(());
        }
    }
}

/// Parses and matches one chunk, serialising its findings in order.
fn work(
    chunk: &Chunk,
    detectors: &[Arc<dyn Detector>],
    categories: &HashMap<String, ClassSet>,
    findings: &mut Vec<Finding>,
) -> Done {
    let mut done = Done {
        seq: chunk.seq,
        bytes: chunk.data.len() as u64,
        ..Done::default()
    };
    let mut start = 0usize;
    for (k, &end) in chunk.ends.iter().enumerate() {
        let line = &chunk.data[start..end];
        start = end;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let listing: Listing<'_> = match serde_json::from_slice(line) {
            Ok(l) => l,
            Err(e) => {
                done.bad.push(BadLine {
                    line: chunk.first_line + k as u64,
                    message: e.to_string(),
                    out_before: done.out.len(),
                });
                continue;
            }
        };
        done.listings += 1;
        let classes = match categories.get(listing.category.as_ref()) {
            Some(c) => *c,
            None => {
                done.unknown_category += 1;
                ClassSet::EMPTY
            }
        };
        findings.clear();
        for d in detectors {
            d.detect(&listing, classes, findings);
        }
        for f in findings.iter() {
            // Serialising plain data to a Vec cannot fail.
            if serde_json::to_writer(&mut done.out, f).is_ok() {
                done.out.push(b'\n');
                done.findings += 1;
            }
        }
    }
    done
}
