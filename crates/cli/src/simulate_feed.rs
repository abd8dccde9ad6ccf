//! `rightsguard simulate-feed`: a marketplace's catalogue feed for demos,
//! tests and benchmarks: a seeded stream of listing creates and updates, a
//! known share of them naming a verified mark from the database, sent at a
//! chosen rate to the HTTP API (with a token) or straight to the work
//! stream on NATS JetStream (for `rightsguard worker`).
//!
//! It prints one JSON line per event sent (`{"seq","op","listing",
//! "revision","infringing","mark"}`, unless `--quiet`) and a summary line
//! (`{"summary": ...}`) with the counts and the listings that name a mark in
//! their last revision, so a test can check the findings.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rightsguard_app::WorkItem;
use rightsguard_domain::ids::{ListingId, OrgId};
use rightsguard_domain::listing::ListingContent;
use rightsguard_store::SqlStore;
use rightsguard_store::findings::FindingStore;

use crate::db::runtime;
use crate::stream::{self, Layout, Publisher};

/// Arguments of `rightsguard simulate-feed`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database whose verified marks the infringing listings name.
    #[arg(long, env = "RIGHTSGUARD_DB")]
    db: String,
    /// Send to this server's API (`http://HOST:PORT`), with `--token`.
    #[arg(long, conflicts_with = "nats", required_unless_present = "nats")]
    api: Option<String>,
    /// An API token that may write listings for the seller (an admin's).
    #[arg(long, env = "RIGHTSGUARD_TOKEN", requires = "api")]
    token: Option<String>,
    /// Publish to the work stream of this NATS server instead.
    #[arg(long)]
    nats: Option<String>,
    /// The JetStream stream (as `worker --stream`).
    #[arg(long, default_value = "rightsguard")]
    stream: String,
    /// Events per second.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Events in all.
    #[arg(long, default_value_t = 1000)]
    count: u64,
    /// The seed: the same seed sends the same events.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Percent of events whose title names a verified mark.
    #[arg(long, default_value_t = 20)]
    infringing_percent: u8,
    /// Percent of events that update an earlier listing of this run.
    #[arg(long, default_value_t = 20)]
    update_percent: u8,
    /// The seller the listings belong to (an organisation of kind seller).
    #[arg(long, default_value = "shop1")]
    seller: String,
    /// The listings' category (in the server's table); only marks whose
    /// right covers its classes are used.
    #[arg(long, default_value = "Shoes")]
    category: String,
    /// The site's category table (as `serve --categories`); default: built-in.
    #[arg(long)]
    categories: Option<std::path::PathBuf>,
    /// Listing ids are PREFIX + a number; default `feed-SEED-`.
    #[arg(long)]
    prefix: Option<String>,
    /// Requests (or publishes) in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Print only the summary line.
    #[arg(long)]
    quiet: bool,
}

/// xorshift64*: a fixed seed gives a fixed feed (hand-written so the
/// sequence never changes under a dependency update).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Plain product words that name no mark.
const NOUNS: [&str; 8] = [
    "running shoes",
    "leather boots",
    "canvas trainers",
    "wool socks",
    "summer sandals",
    "hiking boots",
    "slip-on loafers",
    "ankle boots",
];

/// One event of the feed.
#[derive(Debug, Clone)]
struct Event {
    seq: u64,
    listing: ListingId,
    revision: i64,
    title: String,
    mark: Option<String>,
}

/// Where the events go.
enum Sink {
    Api {
        client: reqwest::Client,
        base: String,
        token: String,
    },
    Nats(Publisher),
}

/// Runs `rightsguard simulate-feed`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let categories = crate::serve::read_categories(args.categories.as_deref())?
        .unwrap_or_else(rightsguard_detect::categories::Categories::builtin);
    let classes = categories
        .classes(&args.category)
        .with_context(|| format!("category {:?} is not in the table", args.category))?;
    runtime()?.block_on(async {
        let store = SqlStore::connect(&args.db).await?;
        let mut marks: Vec<String> = store
            .monitored_rights()
            .await?
            .into_iter()
            .filter(|m| {
                let rc = rightsguard_detect::text::ClassSet::from_classes(
                    m.right.nice_classes.iter().map(|c| u16::from(c.get())),
                );
                rc.is_ok_and(|rc| rc.meets(classes))
            })
            .map(|m| m.marks.mark)
            .filter(|m| !m.trim().is_empty())
            .collect();
        store.close().await;
        marks.sort();
        marks.dedup();
        if marks.is_empty() && args.infringing_percent > 0 {
            anyhow::bail!(
                "no verified right with a mark covers category {:?}: nothing to infringe",
                args.category
            );
        }
        let seller = OrgId::parse(&args.seller).context("--seller")?;
        let sink = Arc::new(match (&args.api, &args.nats) {
            (Some(base), _) => Sink::Api {
                client: reqwest::Client::new(),
                base: base.trim_end_matches('/').to_owned(),
                token: args.token.clone().context("--api needs --token")?,
            },
            (None, Some(url)) => {
                let layout = Layout::new(&args.stream)?;
                let js = stream::connect(url, &layout).await?;
                Sink::Nats(Publisher::new(js, layout))
            }
            (None, None) => anyhow::bail!("give --api URL --token T, or --nats URL"),
        });
        let prefix = args
            .prefix
            .clone()
            .unwrap_or_else(|| format!("feed-{}-", args.seed));
        let mut rng = Rng::new(args.seed);
        // Per listing: its last revision and whether it names a mark; the
        // lock orders one listing's writes (an update waits for the create).
        let mut listings: Vec<(ListingId, Arc<tokio::sync::Mutex<()>>)> = Vec::new();
        let mut last: HashMap<ListingId, (i64, bool)> = HashMap::new();
        let gate = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
        let (err_tx, mut err_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let rate = args.rate.max(0.001);
        let start = Instant::now();
        let (mut creates, mut updates, mut infringing_events) = (0u64, 0u64, 0u64);
        let mut tasks = Vec::new();
        for seq in 0..args.count {
            let due = start + Duration::from_secs_f64(seq as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
            let update = !listings.is_empty() && rng.below(100) < u64::from(args.update_percent);
            let (listing, lock) = if update {
                let i = rng.below(listings.len() as u64) as usize;
                listings[i].clone()
            } else {
                let id = ListingId::parse(&format!("{prefix}{seq:08}"))
                    .context("listing id (is --prefix short and plain?)")?;
                let lock = Arc::new(tokio::sync::Mutex::new(()));
                listings.push((id.clone(), lock.clone()));
                (id, lock)
            };
            let infringing = rng.below(100) < u64::from(args.infringing_percent);
            let noun = NOUNS[rng.below(NOUNS.len() as u64) as usize];
            let mark = infringing.then(|| marks[rng.below(marks.len() as u64) as usize].clone());
            let title = match &mark {
                Some(m) => format!("{m} {noun} no. {seq}"),
                None => format!("{noun} no. {seq}"),
            };
            let revision = last.get(&listing).map_or(1, |(r, _)| r + 1);
            last.insert(listing.clone(), (revision, infringing));
            if revision == 1 {
                creates += 1;
            } else {
                updates += 1;
            }
            infringing_events += u64::from(infringing);
            let event = Event {
                seq,
                listing,
                revision,
                title,
                mark,
            };
            if !args.quiet {
                outln!(
                    "{}",
                    serde_json::json!({
                        "seq": event.seq,
                        "op": if revision == 1 { "create" } else { "update" },
                        "listing": event.listing,
                        "revision": event.revision,
                        "infringing": event.mark.is_some(),
                        "mark": event.mark,
                    })
                )?;
            }
            // Held in order: the next write of this listing waits for this one.
            let order = lock.lock_owned().await;
            let permit = gate.clone().acquire_owned().await?;
            let (sink, seller, category, prefix, err_tx) = (
                sink.clone(),
                seller.clone(),
                args.category.clone(),
                prefix.clone(),
                err_tx.clone(),
            );
            tasks.push(tokio::spawn(async move {
                if let Err(e) = send(&sink, &seller, &category, &prefix, &event).await {
                    let _ = err_tx.send(format!("event {} ({}): {e:#}", event.seq, event.listing));
                }
                drop(order);
                drop(permit);
            }));
        }
        for t in tasks {
            t.await?;
        }
        drop(err_tx);
        let mut errors = Vec::new();
        while let Some(e) = err_rx.recv().await {
            errors.push(e);
        }
        let secs = start.elapsed().as_secs_f64();
        let mut infringing_now: Vec<&ListingId> = last
            .iter()
            .filter(|(_, (_, inf))| *inf)
            .map(|(l, _)| l)
            .collect();
        infringing_now.sort();
        outln!(
            "{}",
            serde_json::json!({"summary": {
                "sent": args.count - errors.len() as u64,
                "failed": errors.len(),
                "creates": creates,
                "updates": updates,
                "infringing_events": infringing_events,
                "listings": last.len(),
                "listings_infringing_now": infringing_now.len(),
                "infringing_now": infringing_now,
                "seconds": secs,
                "rate_achieved": args.count as f64 / secs.max(1e-9),
                "seed": args.seed,
                "marks": marks,
            }})
        )?;
        for e in errors.iter().take(10) {
            eprintln!("simulate-feed: failed: {e}");
        }
        Ok(if errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

async fn send(
    sink: &Sink,
    seller: &OrgId,
    category: &str,
    prefix: &str,
    e: &Event,
) -> anyhow::Result<()> {
    match sink {
        Sink::Api {
            client,
            base,
            token,
        } => {
            let resp = if e.revision == 1 {
                client
                    .post(format!("{base}/api/v1/listings"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({
                        "id": e.listing, "seller": seller, "title": e.title, "category": category,
                    }))
                    .send()
                    .await?
            } else {
                client
                    .put(format!("{base}/api/v1/listings/{}", e.listing))
                    .bearer_auth(token)
                    .json(&serde_json::json!({
                        "version": e.revision - 1, "title": e.title, "category": category,
                    }))
                    .send()
                    .await?
            };
            let status = resp.status();
            if !status.is_success() {
                anyhow::bail!("HTTP {status}: {}", resp.text().await.unwrap_or_default());
            }
            Ok(())
        }
        Sink::Nats(p) => {
            let content: ListingContent = serde_json::from_value(serde_json::json!({
                "title": e.title, "category": category,
            }))?;
            let item = WorkItem::Feed {
                event: format!("{prefix}{}", e.seq),
                listing: e.listing.clone(),
                seller: seller.clone(),
                content,
                revision: e.revision,
            };
            p.publish(&item).await?;
            Ok(())
        }
    }
}
