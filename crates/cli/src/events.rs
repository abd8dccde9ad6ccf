//! The outbound actions on NATS JetStream (`serve --nats`): every event of
//! the webhook outbox is also published to `<stream>.events.<type>` (e.g.
//! `rightsguard.events.listing.taken_down`, `rightsguard.events.store.frozen`)
//! in the stream `<stream>-events`, for marketplaces that would rather
//! consume a stream than receive webhooks.
//!
//! The relay reads the outbox, not the decisions: an event exists there only
//! if its decision committed, and the relay's position is a cursor in the
//! database (`outbox_cursors`), moved only after JetStream acknowledged the
//! events before it. A crash between the acknowledgement and the cursor's
//! move publishes the same events again on restart, with the same
//! `Nats-Msg-Id` (the event id), which the stream drops within its duplicate
//! window; consumers deduplicate by the id beyond it, as webhook receivers
//! do. Events are published one at a time in outbox order, each after the
//! previous one was stored, so the stream holds each listing's (account's,
//! store's) events in order. Each message carries the webhook body and the
//! headers `Rightsguard-Key` (the ordering key) and `Rightsguard-Seq` (its
//! `listing_seq`).

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, stream};
use rightsguard_store::webhooks::{OutboxEvent, WebhookStore};

use crate::stream::Layout;

/// How long the events stream remembers message ids to drop duplicates.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 3600);
/// How long an event is kept in the stream.
const MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);
/// Events read from the outbox per pass.
const BATCH: i64 = 256;

/// The events stream's name: `<stream>-events`.
pub fn stream_name(layout: &Layout) -> String {
    format!("{}-events", layout.name)
}

/// The subject of an event of type `kind` (`listing.taken_down`, ...).
pub fn subject(layout: &Layout, kind: &str) -> String {
    format!("{}.events.{kind}", layout.name)
}

/// The relay's cursor name in `outbox_cursors`.
fn cursor_name(layout: &Layout) -> String {
    format!("nats:{}", stream_name(layout))
}

/// Makes sure the events stream exists (kept by age, not consumed away:
/// any number of consumers may read it).
pub async fn ensure_stream(js: &jetstream::Context, layout: &Layout) -> anyhow::Result<()> {
    js.get_or_create_stream(stream::Config {
        name: stream_name(layout),
        subjects: vec![format!("{}.events.>", layout.name)],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: MAX_AGE,
        ..Default::default()
    })
    .await
    .with_context(|| format!("creating the events stream {}", stream_name(layout)))?;
    Ok(())
}

async fn publish(js: &jetstream::Context, layout: &Layout, e: &OutboxEvent) -> anyhow::Result<()> {
    js.send_publish(
        subject(layout, e.kind.as_str()),
        jetstream::message::PublishMessage::build()
            .payload(e.payload.clone().into())
            .header("Rightsguard-Key", e.listing.as_str())
            .header("Rightsguard-Seq", e.listing_seq.to_string().as_str())
            .message_id(&e.id),
    )
    .await?
    .await
    .with_context(|| format!("publishing {}", e.id))?;
    Ok(())
}

/// One pass: publishes the outbox events after the cursor, in order, and
/// moves the cursor past those JetStream stored; returns how many.
pub async fn publish_pass<S: WebhookStore>(
    store: &S,
    js: &jetstream::Context,
    layout: &Layout,
) -> anyhow::Result<usize> {
    let name = cursor_name(layout);
    let after = store.outbox_cursor(&name).await?;
    let events = store.outbox_events(after, BATCH).await?;
    let mut done = None;
    let mut outcome = Ok(());
    for e in &events {
        if let Err(err) = publish(js, layout, e).await {
            outcome = Err(err);
            break;
        }
        done = Some(e.seq);
    }
    if let Some(seq) = done {
        store.advance_outbox_cursor(&name, seq).await?;
    }
    outcome.map(|()| events.len())
}

/// The relay of `serve --nats`: publishes the outbox to the events stream
/// every `every` (at once again while a pass found work), forever.
pub async fn relay<S: WebhookStore>(
    store: S,
    js: jetstream::Context,
    layout: Layout,
    every: Duration,
) {
    loop {
        match publish_pass(&store, &js, &layout).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "publishing events to NATS"),
        }
        tokio::time::sleep(every).await;
    }
}
