//! The work stream on NATS JetStream (scale-out): its layout, the publisher
//! that `serve --nats` hands scans to, and the consumer `worker` reads.
//!
//! One stream (`--stream`, default `rightsguard`) holds two subject trees:
//! `<stream>.work.<kind>` (listing scans, rescan partitions, feed events:
//! [`WorkItem`]) and `<stream>.dead.<kind>` (items that failed
//! `max_deliver` times, kept for an operator). It is a work queue: an item
//! acknowledged by a worker is removed. Each item is published with its
//! `Nats-Msg-Id` ([`WorkItem::message_id`]), so publishing it again within
//! the duplicate window (a relay that crashed between the publish and
//! marking its job done) stores nothing.
//!
//! The workers share one durable pull consumer with explicit acks: an item
//! not acknowledged within `ack_wait` (its worker died) is delivered again,
//! to any worker; past `max_deliver` deliveries the worker that receives it
//! moves it to the dead letters instead of running it, so an item whose
//! last allowed delivery died with its worker is not lost.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer, stream};
use rightsguard_app::{DispatchFuture, ScanDispatch, WorkItem};

/// How long the stream remembers message ids to drop duplicates.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// How long an item (or a dead letter) is kept at most.
const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The stream's name and subjects.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The stream's name, also the first token of its subjects.
    pub name: String,
}

impl Layout {
    /// The layout of stream `name` (letters, digits, `-` and `_`).
    pub fn new(name: &str) -> anyhow::Result<Layout> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            anyhow::bail!("stream name {name:?}: use letters, digits, '-' and '_'");
        }
        Ok(Layout {
            name: name.to_owned(),
        })
    }

    /// The subject of an item.
    pub fn work_subject(&self, item: &WorkItem) -> String {
        format!("{}.work.{}", self.name, item.kind())
    }

    /// The subject of a dead letter of kind `kind`.
    pub fn dead_subject(&self, kind: &str) -> String {
        format!("{}.dead.{kind}", self.name)
    }

    /// The workers' durable consumer.
    pub fn consumer_name(&self) -> String {
        format!("{}-workers", self.name)
    }
}

/// Connects to NATS and makes sure the stream exists.
pub async fn connect(url: &str, layout: &Layout) -> anyhow::Result<jetstream::Context> {
    let client = async_nats::ConnectOptions::new()
        .name("rightsguard")
        .retry_on_initial_connect()
        .connect(url)
        .await
        .with_context(|| format!("connecting to NATS at {url}"))?;
    let js = jetstream::new(client);
    // The first connection may still be under way (retry_on_initial_connect):
    // wait for it a bounded time so a wrong URL fails clearly.
    let mut last = None;
    for _ in 0..50 {
        match js
            .get_or_create_stream(stream::Config {
                name: layout.name.clone(),
                subjects: vec![
                    format!("{}.work.>", layout.name),
                    format!("{}.dead.>", layout.name),
                ],
                retention: stream::RetentionPolicy::WorkQueue,
                storage: stream::StorageType::File,
                duplicate_window: DUPLICATE_WINDOW,
                max_age: MAX_AGE,
                ..Default::default()
            })
            .await
        {
            Ok(_) => return Ok(js),
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    Err(anyhow::anyhow!(
        "JetStream at {url}: stream {} could not be created: {}",
        layout.name,
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// Publishes work items with their message id and waits for the stream's
/// acknowledgement (the item is stored) before answering.
#[derive(Debug, Clone)]
pub struct Publisher {
    js: jetstream::Context,
    layout: Layout,
}

impl Publisher {
    /// A publisher on `js` (the stream already made by [`connect`]).
    pub fn new(js: jetstream::Context, layout: Layout) -> Publisher {
        Publisher { js, layout }
    }

    /// Publishes `item`; answers whether the stream already had it.
    pub async fn publish(&self, item: &WorkItem) -> anyhow::Result<bool> {
        let payload = serde_json::to_vec(item)?;
        let ack = self
            .js
            .send_publish(
                self.layout.work_subject(item),
                jetstream::message::PublishMessage::build()
                    .payload(payload.into())
                    .message_id(item.message_id()),
            )
            .await?
            .await?;
        Ok(ack.duplicate)
    }
}

impl ScanDispatch for Publisher {
    fn publish<'a>(&'a self, item: &'a WorkItem) -> DispatchFuture<'a> {
        Box::pin(async move {
            Publisher::publish(self, item)
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:#}"))
        })
    }
}

/// The workers' consumer settings (the limit is the worker's; see
/// [`workers_consumer`]).
#[derive(Debug, Clone, Copy)]
pub struct ConsumerSettings {
    /// How long a delivered item may stay unacknowledged before it is
    /// delivered again.
    pub ack_wait: Duration,
    /// Deliveries of one item before it becomes a dead letter.
    pub max_deliver: i64,
}

/// The workers' durable pull consumer (created, or updated to `settings`).
pub async fn workers_consumer(
    js: &jetstream::Context,
    layout: &Layout,
    settings: ConsumerSettings,
) -> anyhow::Result<consumer::Consumer<consumer::pull::Config>> {
    let stream = js.get_stream(&layout.name).await?;
    let config = consumer::pull::Config {
        durable_name: Some(layout.consumer_name()),
        filter_subject: format!("{}.work.>", layout.name),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: settings.ack_wait,
        // Unlimited at the stream: the worker counts deliveries itself and
        // dead-letters an item past `settings.max_deliver`. With the limit
        // at the stream, an item whose last allowed delivery died with its
        // worker (or whose dead letter could not be stored) was never
        // delivered again, and so never reached the dead letters.
        max_deliver: -1,
        ..Default::default()
    };
    Ok(stream.create_consumer(config).await?)
}
