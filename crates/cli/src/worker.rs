//! `rightsguard worker`: consumes the work stream (listing scans, rescan
//! partitions, feed events) on NATS JetStream and writes findings to the
//! shared database. Run any number of them; each item is done by one at a
//! time, and done again by another if its worker dies before acknowledging
//! it (scans are idempotent: findings are keyed by listing, right and
//! cause, and a partition counts once in its scan's record).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{AckKind, Message};
use futures_util::StreamExt as _;
use rightsguard_app::{App, AppError, SystemClock, WorkItem};
use rightsguard_domain::ids::OrgId;
use rightsguard_domain::policy::Policy;
use rightsguard_store::SqlStore;
use rightsguard_store::dead_letters::{DeadLetterStore as _, NewDeadLetter};

use crate::stream::{self, ConsumerSettings, Layout};

/// Arguments of `rightsguard worker`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Database URL (`postgres://...`; `sqlite:PATH` works for one worker).
    #[arg(long, env = "RIGHTSGUARD_DB")]
    db: String,
    /// NATS server URL (JetStream enabled), e.g. `nats://127.0.0.1:4222`.
    #[arg(long, env = "RIGHTSGUARD_NATS")]
    nats: String,
    /// The JetStream stream (and subject prefix); the same as `serve --stream`.
    #[arg(long, default_value = "rightsguard")]
    stream: String,
    /// The site's category table (as `serve --categories`); default: built-in.
    #[arg(long, env = "RIGHTSGUARD_CATEGORIES")]
    categories: Option<std::path::PathBuf>,
    /// The platform organisation's id (the feed writes listings as it).
    #[arg(long, default_value = "platform")]
    platform: String,
    /// Items worked on at once by this process.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Seconds an item may stay unacknowledged before it is delivered again
    /// (the worker sends progress while it works, so only a dead or stuck
    /// worker lets this pass).
    #[arg(long, default_value_t = 30)]
    ack_wait_secs: u64,
    /// Deliveries of one item before it is moved to the dead letters
    /// (`<stream>.dead.<kind>`), logged and counted; an item delivered again
    /// after its last allowed delivery (its worker died) is moved there
    /// without being run.
    #[arg(long, default_value_t = 5)]
    max_deliver: i64,
    /// Seconds between the worker's progress lines on stderr.
    #[arg(long, default_value_t = 10)]
    stats_every: u64,
}

/// What one worker did so far.
#[derive(Debug, Default)]
struct Tally {
    items: AtomicI64,
    listings: AtomicI64,
    new: AtomicI64,
    known: AtomicI64,
    resolved: AtomicI64,
    retried: AtomicI64,
    dead: AtomicI64,
}

impl Tally {
    fn line(&self) -> String {
        let g = |a: &AtomicI64| a.load(Ordering::Relaxed);
        format!(
            "items={} listings={} new={} known={} resolved={} retried={} dead_letters={}",
            g(&self.items),
            g(&self.listings),
            g(&self.new),
            g(&self.known),
            g(&self.resolved),
            g(&self.retried),
            g(&self.dead),
        )
    }
}

struct Worker {
    app: App<SqlStore>,
    js: async_nats::jetstream::Context,
    layout: Layout,
    settings: ConsumerSettings,
    tally: Tally,
}

/// Runs `rightsguard worker` until SIGTERM or ctrl-c.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    crate::serve::init_tracing("info,sqlx=warn,async_nats=warn");
    let categories = crate::serve::read_categories(args.categories.as_deref())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = SqlStore::connect(&args.db)
            .await
            .with_context(|| format!("opening {}", crate::db::redact(&args.db)))?;
        let app = App::new(
            store,
            Arc::new(SystemClock),
            Policy::builtin("aliexpress")?,
            OrgId::parse(&args.platform).context("--platform")?,
        )?;
        if let Some(c) = categories {
            app.set_categories(c);
        }
        let layout = Layout::new(&args.stream)?;
        let js = stream::connect(&args.nats, &layout).await?;
        let settings = ConsumerSettings {
            ack_wait: Duration::from_secs(args.ack_wait_secs.max(1)),
            max_deliver: args.max_deliver.max(1),
        };
        let consumer = stream::workers_consumer(&js, &layout, settings).await?;
        let worker = Arc::new(Worker {
            app,
            js,
            layout,
            settings,
            tally: Tally::default(),
        });
        eprintln!(
            "rightsguard worker: consuming {}.work.> as {} (pid {})",
            worker.layout.name,
            worker.layout.consumer_name(),
            std::process::id()
        );
        let stats = {
            let w = worker.clone();
            let every = Duration::from_secs(args.stats_every.max(1));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    tracing::info!("worker: {}", w.tally.line());
                }
            })
        };
        let messages = consumer.messages().await?;
        let concurrency = usize::from(args.concurrency);
        let consume = messages.for_each_concurrent(concurrency, |m| {
            let w = worker.clone();
            async move {
                match m {
                    Ok(m) => w.handle(m).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "receiving from the work stream");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        });
        tokio::select! {
            _ = consume => tracing::warn!("the work stream ended"),
            _ = rightsguard_http::shutdown_signal() => {}
        }
        stats.abort();
        eprintln!("rightsguard worker: stopped; {}", worker.tally.line());
        worker.app.store().close().await;
        Ok(ExitCode::SUCCESS)
    })
}

impl Worker {
    /// Runs one delivered item and acknowledges it: done (or moot) is
    /// acked; a failure is handed back for redelivery after a pause, or,
    /// on its last delivery, moved to the dead letters.
    async fn handle(&self, m: Message) {
        let delivered = m.info().map(|i| i.delivered).unwrap_or(1);
        let limit = self.settings.max_deliver;
        if delivered > limit {
            // Its last allowed delivery ended without an outcome: the worker
            // died, or storing its dead letter failed. Give it up now.
            let kind = m.subject.rsplit('.').next().unwrap_or("unknown").to_owned();
            let error = format!(
                "delivery {} of {limit} ended without an outcome (its worker stopped, or the dead letter was not stored)",
                delivered - 1
            );
            self.dead_letter(&m, &kind, &error, delivered).await;
            return;
        }
        let item: WorkItem = match serde_json::from_slice(&m.payload) {
            Ok(i) => i,
            Err(e) => {
                let kind = m.subject.rsplit('.').next().unwrap_or("unknown").to_owned();
                self.dead_letter(&m, &kind, &format!("not a work item: {e}"), delivered)
                    .await;
                return;
            }
        };
        // Tell the stream the item is being worked on while it is, so a long
        // partition is not delivered to a second worker.
        let progress = async {
            let mut tick = tokio::time::interval(self.settings.ack_wait / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                let _ = m.ack_with(AckKind::Progress).await;
            }
        };
        let outcome = tokio::select! {
            r = self.app.run_work(&item) => r,
            () = progress => unreachable_progress(),
        };
        match outcome {
            Ok(done) => {
                self.count(&done);
                self.ack(&m).await;
            }
            Err(AppError::NotFound(what)) => {
                tracing::info!(item = %item.message_id(), %what, "moot: already gone");
                self.ack(&m).await;
            }
            Err(e) if delivered >= self.settings.max_deliver => {
                self.dead_letter(&m, item.kind(), &e.to_string(), delivered)
                    .await;
            }
            Err(e) => {
                self.tally.retried.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(item = %item.message_id(), delivered, error = %e, "failed; will be delivered again");
                let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(2)))).await;
            }
        }
    }

    fn count(&self, done: &rightsguard_app::WorkDone) {
        let t = &self.tally;
        t.items.fetch_add(1, Ordering::Relaxed);
        t.listings.fetch_add(done.listings, Ordering::Relaxed);
        t.new.fetch_add(done.counts.new, Ordering::Relaxed);
        t.known.fetch_add(done.counts.known, Ordering::Relaxed);
        t.resolved
            .fetch_add(done.counts.resolved, Ordering::Relaxed);
    }

    async fn ack(&self, m: &Message) {
        // A lost ack only means one more (idempotent) delivery.
        if let Err(e) = m.ack().await {
            tracing::warn!(error = %e, "acknowledging an item");
        }
    }

    /// Moves an item that cannot be done to the dead letters (the
    /// `dead_letters` table, seen at `GET /api/v1/admin/dead-letters`, and
    /// `<stream>.dead.<kind>`, with the error), logs and counts it, and ends
    /// its deliveries.
    async fn dead_letter(&self, m: &Message, kind: &str, error: &str, delivered: i64) {
        self.tally.dead.fetch_add(1, Ordering::Relaxed);
        tracing::error!(subject = %m.subject, delivered, %error, "dead letter: the item is given up");
        let letter = serde_json::json!({
            "subject": m.subject.as_str(),
            "delivered": delivered,
            "error": error,
            "payload": String::from_utf8_lossy(&m.payload),
        });
        let published = async {
            // First where admins see it (the API), then the copy on the stream.
            let seq = m.info().map(|i| i.stream_sequence).unwrap_or(0);
            self.app
                .store()
                .record_dead_letter(&NewDeadLetter {
                    stream: self.layout.name.clone(),
                    stream_seq: i64::try_from(seq)?,
                    subject: m.subject.to_string(),
                    kind: kind.to_owned(),
                    deliveries: delivered,
                    reason: error.to_owned(),
                    payload: String::from_utf8_lossy(&m.payload).into_owned(),
                    at: self.app.now(),
                })
                .await?;
            self.js
                .publish(
                    self.layout.dead_subject(kind),
                    serde_json::to_vec(&letter)?.into(),
                )
                .await?
                .await?;
            anyhow::Ok(())
        }
        .await;
        match published {
            Ok(()) => {
                let _ = m.ack_with(AckKind::Term).await;
            }
            // Not stored: hand the item back; its next delivery is past the
            // limit and is given up again (the stream's deliveries are
            // unlimited), rather than lost.
            Err(e) => {
                tracing::error!(error = %e, "storing a dead letter failed");
                let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(2)))).await;
            }
        }
    }
}

/// The progress loop never ends by itself.
fn unreachable_progress() -> rightsguard_app::Result<rightsguard_app::WorkDone> {
    Err(AppError::Busy("progress loop ended".into()))
}
