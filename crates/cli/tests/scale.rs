//! Scale-out on PostgreSQL and NATS JetStream with real processes:
//! `rightsguard serve --nats` relays owed scans from the jobs table to the
//! work stream, `rightsguard worker` processes consume it.
//!
//! - listing events: listings created and changed (through the app, in this
//!   process, on the shared database) reach a worker through the relay and
//!   their findings appear and resolve;
//! - the crash test: a rescan of a few thousand listings is split into
//!   partitions shared by two workers, one of which is SIGKILLed mid-scan;
//!   afterwards every listing was scanned, the findings are exactly the
//!   expected set (none lost, none doubled) and the scan record is complete
//!   and counts each finding once.
//!
//! Needs `RG_TEST_POSTGRES_URL` and `RG_TEST_NATS_URL` (`scripts/services`
//! prints both); without them the tests say SKIPPED, under CI they fail.
//! Each test has its own database and its own stream. Waits are bounded
//! polls of the database; nothing asserts on timing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;
use common::Server;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rightsguard_app::{App, ManualClock, ScanIndex};
use rightsguard_domain::account::{DisplayName, OrgKind};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::blocklist::GateDecision;
use rightsguard_domain::ids::{
    Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256, UserId,
};
use rightsguard_domain::listing::{Listing, ListingContent};
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use rightsguard_store::SqlStore;
use rightsguard_store::findings::{FindingStore, RightMarks, ScanRecord};
use rightsguard_store::listings::ListingStore;
use rightsguard_testkit::{Backend, Database, fresh_database};
use sqlx::Row;

/// The NATS URL of the tests; `None` (after saying so) when they are to be
/// skipped; a failure under CI.
fn nats_url() -> Option<String> {
    match std::env::var("RG_TEST_NATS_URL") {
        Ok(u) => Some(u),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("RG_TEST_NATS_URL is not set under CI: the NATS tests must not be skipped")
        }
        Err(_) => {
            eprintln!(
                "SKIPPED: NATS JetStream scale-out tests — set RG_TEST_NATS_URL (scripts/services prints it)"
            );
            None
        }
    }
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A database, a stream name of its own, and the app on them (manual clock
/// at the servers' start, so the jobs it schedules are due for them).
struct Env {
    db: Database,
    nats: String,
    stream: String,
    app: App<SqlStore>,
}

async fn env() -> Option<Env> {
    let nats = nats_url()?;
    let db = fresh_database(Backend::Postgres).await.unwrap()?;
    let stream = format!(
        "rgtest-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let store = SqlStore::connect(&db.url).await.unwrap();
    let clock = Arc::new(ManualClock::new(
        rightsguard_testkit::CLOCK_START.parse().unwrap(),
    ));
    let app = App::new(
        store,
        clock,
        Policy::builtin("aliexpress").unwrap(),
        org("platform"),
    )
    .unwrap();
    for (id, kind) in [
        ("platform", OrgKind::Platform),
        ("acme", OrgKind::RightsHolder),
        ("shop1", OrgKind::Seller),
    ] {
        app.add_org(
            &app.system_actor(),
            org(id),
            kind,
            DisplayName::parse(id).unwrap(),
        )
        .await
        .unwrap();
    }
    Some(Env {
        db,
        nats,
        stream,
        app,
    })
}

impl Env {
    async fn finish(self) {
        let client = async_nats::connect(&self.nats).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let _ = js.delete_stream(&self.stream).await;
        let _ = js.delete_stream(format!("{}-events", self.stream)).await;
        self.app.store().close().await;
        self.db.drop_now().await.unwrap();
    }

    fn serve(&self) -> Serve {
        self.serve_on(&[
            "--clock",
            "manual",
            "--clock-start",
            rightsguard_testkit::CLOCK_START,
        ])
    }

    fn serve_on(&self, clock: &[&str]) -> Serve {
        Serve(Server::start_on(
            &self.db,
            clock,
            &[
                "--nats",
                &self.nats,
                "--stream",
                &self.stream,
                "--relay-every-ms",
                "50",
                "--partition-size",
                "100",
            ],
        ))
    }

    fn worker(&self) -> Worker {
        self.worker_with(&[])
    }

    fn worker_with(&self, extra: &[&str]) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
            .args([
                "worker",
                "--db",
                &self.db.url,
                "--nats",
                &self.nats,
                "--stream",
                &self.stream,
                "--ack-wait-secs",
                "3",
                "--concurrency",
                "2",
            ])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        loop {
            let line = lines
                .next()
                .expect("the worker exited before consuming")
                .unwrap();
            if line.contains("rightsguard worker: consuming") {
                break;
            }
        }
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                eprintln!("worker: {l}");
            }
        });
        Worker(child)
    }

    /// A platform admin's API token.
    async fn admin_token(&self) -> String {
        let admin = UserId::parse("adam").unwrap();
        self.app
            .add_user(
                &self.app.system_actor(),
                admin.clone(),
                &org("platform"),
                rightsguard_domain::actor::Role::Admin,
                DisplayName::parse("adam").unwrap(),
            )
            .await
            .unwrap();
        let token = self
            .app
            .issue_token(&self.app.system_actor(), &admin)
            .await
            .unwrap();
        token.secret.expose().to_owned()
    }

    /// Registers acme's right r1 (class 25, mark ACME) with its marks;
    /// verified if `verify`.
    async fn right(&self, verify: bool) -> RightId {
        let right = Right {
            id: RightId::parse("r1").unwrap(),
            owner: org("acme"),
            kind: RightKind::Trademark,
            jurisdiction: Jurisdiction::CN,
            registration_number: RegistrationNumber::parse("123").unwrap(),
            nice_classes: [NiceClass::new(25).unwrap()].into(),
            valid_from: jiff::civil::date(2020, 1, 1),
            valid_until: None,
            certificates: [Sha256::from_bytes([1; 32])].into(),
            cn_extension_certificate: None,
            state: RightState::Pending,
        };
        let r = self.app.register_right(&holder(), right).await.unwrap();
        self.app
            .set_right_marks(
                &holder(),
                &r.id,
                RightMarks {
                    mark: "ACME".into(),
                    aliases: vec![],
                },
            )
            .await
            .unwrap();
        if verify {
            self.verify(&r.id).await;
        }
        r.id
    }

    async fn verify(&self, id: &RightId) {
        self.app
            .act_on_right(&reviewer(), id, &RightCommand::Verify)
            .await
            .unwrap();
    }

    /// The findings in `state` as (listing, right, cause), and how many
    /// rows that is.
    async fn findings(&self, state: &str) -> (BTreeSet<(String, String, String)>, usize) {
        let rows = sqlx::query("SELECT listing_id, right_id, cause FROM findings WHERE state = $1")
            .bind(state)
            .fetch_all(self.app.store().pool())
            .await
            .unwrap();
        let set: BTreeSet<_> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get::<String, _>(0).unwrap(),
                    r.try_get::<String, _>(1).unwrap(),
                    r.try_get::<String, _>(2).unwrap(),
                )
            })
            .collect();
        (set, rows.len())
    }

    /// Finding rows in all states.
    async fn findings_all(&self) -> usize {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM findings")
            .fetch_one(self.app.store().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        n as usize
    }

    /// What the engine itself finds in every stored listing (the oracle).
    async fn expected(&self) -> BTreeSet<(String, String, String)> {
        let index = ScanIndex::build(self.app.store().monitored_rights().await.unwrap()).unwrap();
        let mut out = BTreeSet::new();
        let mut after = String::new();
        loop {
            let page = self
                .app
                .store()
                .listings_in_range(&after, None, 1000)
                .await
                .unwrap();
            for l in &page {
                let classes = self
                    .app
                    .category_classes(l.content.category.as_str())
                    .unwrap();
                for f in index
                    .scan(l, classes, None, &Default::default(), self.app.now())
                    .unwrap()
                {
                    out.insert((f.listing.to_string(), f.right.to_string(), f.cause));
                }
            }
            match page.last() {
                Some(l) if page.len() == 1000 => after = l.id.to_string(),
                _ => return out,
            }
        }
    }
}

/// A `serve` process, killed when dropped (also when a test fails).
struct Serve(Server);

impl Serve {
    fn kill(self) {}
}

impl std::ops::Deref for Serve {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.0
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

struct Worker(Child);

impl Worker {
    /// SIGKILL (on drop too).
    fn kill(self) {}
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn holder() -> Actor {
    Actor::rights_holder(org("acme"), UserId::parse("alice").unwrap())
}
fn reviewer() -> Actor {
    Actor::reviewer(org("platform"), UserId::parse("rita").unwrap())
}
fn content(title: &str) -> ListingContent {
    serde_json::from_value(serde_json::json!({"title": title, "category": "Shoes"})).unwrap()
}
/// Listing `i`'s title: every fourth one names the mark.
fn title(i: usize) -> String {
    if i.is_multiple_of(4) {
        format!("ACME running shoes no. {i}")
    } else {
        format!("Running shoes no. {i}")
    }
}
fn listing_id(i: usize) -> ListingId {
    ListingId::parse(&format!("L{i:06}")).unwrap()
}

/// Polls `check` until it answers `Some`, at most `limit`.
async fn wait_for<T, F: AsyncFnMut() -> Option<T>>(what: &str, limit: Duration, mut check: F) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Scan jobs not yet handed to the stream.
async fn owed_jobs(store: &SqlStore) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND kind IN ('scan_listing') ")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_events_reach_workers_through_the_stream() {
    let Some(e) = env().await else {
        return;
    };
    e.right(true).await;
    let server = e.serve();
    let worker = e.worker();
    let seller = Actor::seller(org("shop1"), UserId::parse("sam").unwrap());
    for i in 0..40 {
        e.app
            .create_listing(&seller, listing_id(i), None, content(&title(i)))
            .await
            .unwrap();
    }
    let expected = e.expected().await;
    assert_eq!(expected.len(), 10, "every fourth listing names the mark");
    wait_for(
        "the findings of the created listings",
        Duration::from_secs(90),
        async || {
            let (open, _) = e.findings("open").await;
            (open == expected).then_some(())
        },
    )
    .await;
    // Two infringing listings change to clean titles: their findings resolve.
    for i in [0, 4] {
        let l = e
            .app
            .store()
            .listing(&listing_id(i))
            .await
            .unwrap()
            .unwrap();
        e.app
            .update_listing(&seller, &listing_id(i), content("Plain shoes"), l.version)
            .await
            .unwrap();
    }
    let expected = e.expected().await;
    assert_eq!(expected.len(), 8);
    let (resolved, rows) = wait_for(
        "the findings to follow the updates",
        Duration::from_secs(90),
        async || {
            let (open, _) = e.findings("open").await;
            let (resolved, _) = e.findings("resolved").await;
            let rows = e.findings_all().await;
            (open == expected && resolved.len() == 2).then_some((resolved, rows))
        },
    )
    .await;
    assert!(
        resolved
            .iter()
            .all(|(l, _, _)| l == "L000000" || l == "L000004")
    );
    assert_eq!(rows, 10, "one row per (listing, right, cause), never two");
    assert_eq!(owed_jobs(e.app.store()).await, 0);
    worker.kill();
    server.kill();
    e.finish().await;
}

/// Listing `i` of shop1 written with the blocked brand (held), then clean
/// (released): two outbound events.
async fn held_then_released(e: &Env, i: usize) {
    let seller = Actor::seller(org("shop1"), UserId::parse("sam").unwrap());
    let id = listing_id(i);
    let version = match e.app.store().listing(&id).await.unwrap() {
        Some(l) => {
            e.app
                .update_listing(&seller, &id, content("ACME shoes"), l.version)
                .await
                .unwrap()
                .version
        }
        None => {
            e.app
                .create_listing(&seller, id.clone(), None, content("ACME shoes"))
                .await
                .unwrap()
                .version
        }
    };
    e.app
        .update_listing(&seller, &id, content("Plain shoes"), version)
        .await
        .unwrap();
}

/// Every message of the events stream, in stream order, read by a consumer
/// of its own once the stream holds `n`.
async fn consume_events(e: &Env, n: usize) -> Vec<async_nats::jetstream::Message> {
    use futures_util::StreamExt as _;
    let client = async_nats::connect(&e.nats).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let name = format!("{}-events", e.stream);
    let stream = wait_for("the events stream", Duration::from_secs(60), async || {
        let mut s = js.get_stream(&name).await.ok()?;
        let held = s.info().await.ok()?.state.messages;
        (held >= n as u64).then_some(s)
    })
    .await;
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            ack_policy: async_nats::jetstream::consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut batch = consumer
        .fetch()
        .max_messages(n + 10)
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .unwrap();
    while let Some(m) = batch.next().await {
        let m = m.unwrap();
        m.ack().await.unwrap();
        got.push(m);
    }
    got
}

/// `serve --nats` publishes every outbound action of the outbox to
/// `<stream>.events.<type>`: events written while no server ran are
/// published when one starts; a server SIGKILLed and restarted with its
/// cursor lost (as if it died between JetStream's acknowledgement and the
/// cursor's move) publishes everything again, and the stream keeps each
/// event once (`Nats-Msg-Id` is the event id), in order per listing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_events_reach_the_events_stream_once_in_order_across_a_restart() {
    use rightsguard_domain::blocklist::BlockTermCommand;
    use rightsguard_store::webhooks::WebhookStore;
    let Some(e) = env().await else {
        return;
    };
    let r1 = e.right(true).await;
    let term = e
        .app
        .request_block_term(&holder(), &r1, "ACME")
        .await
        .unwrap();
    let admin = Actor::admin(org("platform"), UserId::parse("ada").unwrap());
    e.app
        .decide_block_term(&admin, &term.id, &BlockTermCommand::Approve)
        .await
        .unwrap();
    held_then_released(&e, 0).await;
    let server = e.serve();
    held_then_released(&e, 1).await;
    assert_eq!(consume_events(&e, 4).await.len(), 4);
    server.kill();
    held_then_released(&e, 2).await;
    held_then_released(&e, 0).await;
    sqlx::query("DELETE FROM outbox_cursors")
        .execute(e.app.store().pool())
        .await
        .unwrap();
    let server = e.serve();
    let outbox = e.app.store().outbox_events(0, 100).await.unwrap();
    assert_eq!(outbox.len(), 8);
    // The cursor reaches the end: everything was published again.
    wait_for(
        "the relay to catch up",
        Duration::from_secs(60),
        async || {
            let seq = e
                .app
                .store()
                .outbox_cursor(&format!("nats:{}-events", e.stream))
                .await
                .unwrap();
            (seq == outbox.last().unwrap().seq).then_some(())
        },
    )
    .await;
    let got = consume_events(&e, 8).await;
    let ids: Vec<String> = got
        .iter()
        .map(|m| {
            m.headers
                .as_ref()
                .unwrap()
                .get("Nats-Msg-Id")
                .unwrap()
                .to_string()
        })
        .collect();
    let want: Vec<&str> = outbox.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, want, "each event once, in outbox order");
    let mut last: std::collections::BTreeMap<String, i64> = Default::default();
    for (m, o) in got.iter().zip(&outbox) {
        assert_eq!(
            m.subject.as_str(),
            format!("{}.events.{}", e.stream, o.kind)
        );
        assert_eq!(m.payload.as_ref(), o.payload.as_bytes(), "the webhook body");
        let h = m.headers.as_ref().unwrap();
        let key = h.get("Rightsguard-Key").unwrap().to_string();
        let seq: i64 = h.get("Rightsguard-Seq").unwrap().as_str().parse().unwrap();
        let prev = last.insert(key.clone(), seq).unwrap_or(0);
        assert_eq!(seq, prev + 1, "{key}: {seq} after {prev}");
    }
    assert_eq!(last.get("L000000"), Some(&4));
    server.kill();
    e.finish().await;
}

/// Regression (issue 7): an item whose last allowed delivery died with its
/// worker was never delivered again (the limit was the stream's), so it was
/// neither done nor dead-lettered: lost. Here the test takes the item's only
/// allowed delivery on the workers' consumer and never answers (a worker
/// SIGKILLed mid-item); the next worker gets it once more and moves it to
/// the dead letters, with why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_whose_last_delivery_died_reaches_the_dead_letters() {
    use futures_util::StreamExt as _;
    let Some(e) = env().await else {
        return;
    };
    let limit = ["--max-deliver", "1"];
    // The first worker makes the consumer, then goes away.
    e.worker_with(&limit).kill();
    let client = async_nats::connect(&e.nats).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.publish(
        format!("{}.work.listing", e.stream),
        br#"{"kind":"listing","listing":"L-gone"}"#.as_slice().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let stream = js.get_stream(&e.stream).await.unwrap();
    let consumer: async_nats::jetstream::consumer::PullConsumer = stream
        .get_consumer(&format!("{}-workers", e.stream))
        .await
        .unwrap();
    let mut taken = consumer
        .fetch()
        .max_messages(1)
        .expires(Duration::from_secs(5))
        .messages()
        .await
        .unwrap();
    let dying = taken.next().await.unwrap().unwrap();
    assert_eq!(dying.info().unwrap().delivered, 1);
    drop(dying); // never acknowledged
    let worker = e.worker_with(&limit);
    let letter = wait_for("the dead letter", Duration::from_secs(60), async || {
        stream
            .get_last_raw_message_by_subject(&format!("{}.dead.listing", e.stream))
            .await
            .ok()
    })
    .await;
    let letter: serde_json::Value = serde_json::from_slice(&letter.payload).unwrap();
    assert_eq!(letter["delivered"], 2, "{letter}");
    assert!(
        letter["error"]
            .as_str()
            .unwrap()
            .contains("ended without an outcome"),
        "{letter}"
    );
    assert!(letter["payload"].as_str().unwrap().contains("L-gone"));
    // Admins see it in the API, with why, its kind and its deliveries.
    let server = e.serve();
    let admin = e.admin_token().await;
    let (status, body) = common::http_get(
        server.base.trim_start_matches("http://"),
        "/api/v1/admin/dead-letters",
        &admin,
    );
    assert!(status.contains("200"), "{status} {body}");
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["kind"], "listing");
    assert_eq!(listed[0]["deliveries"], 2);
    assert!(
        listed[0]["reason"]
            .as_str()
            .unwrap()
            .contains("ended without an outcome")
    );
    server.kill();
    worker.kill();
    e.finish().await;
}

/// Listings written straight into the table (the crash test needs
/// thousands quickly; the audit trail of their creation is not under test).
async fn load_listings(store: &SqlStore, n: usize) {
    let seller = Actor::seller(org("shop1"), UserId::parse("sam").unwrap());
    let at: jiff::Timestamp = rightsguard_testkit::CLOCK_START.parse().unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut q = String::from(
            "INSERT INTO listings (id, seller, state, body, version, updated_at) VALUES ",
        );
        let mut bodies = Vec::new();
        for (k, &i) in chunk.iter().enumerate() {
            let t = Listing::create(
                listing_id(i),
                org("shop1"),
                content(&title(i)),
                GateDecision::Pass,
                &seller,
                at,
            )
            .unwrap();
            if k > 0 {
                q.push(',');
            }
            let p = bodies.len();
            q.push_str(&format!(
                "(${}, 'shop1', ${}, ${}, 1, {})",
                p + 1,
                p + 2,
                p + 3,
                at.as_microsecond()
            ));
            bodies.push(t.state.id.to_string());
            bodies.push(t.state.state.name().to_owned());
            bodies.push(serde_json::to_string(&t.state).unwrap());
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
        for b in bodies {
            query = query.bind(b);
        }
        query.execute(store.pool()).await.unwrap();
    }
}

/// Partitions of the scan done so far, and in all.
async fn partitions(store: &SqlStore, scan: &str) -> (i64, i64) {
    let r = sqlx::query("SELECT COUNT(done_at), COUNT(*) FROM scan_partitions WHERE scan_id = $1")
        .bind(scan)
        .fetch_one(store.pool())
        .await
        .unwrap();
    (r.try_get(0).unwrap(), r.try_get(1).unwrap())
}

const CRASH_LISTINGS: usize = 3000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_rescan_loses_and_doubles_nothing() {
    let Some(e) = env().await else {
        return;
    };
    let right = e.right(false).await;
    load_listings(e.app.store(), CRASH_LISTINGS).await;
    let doomed = e.worker();
    let survivor = e.worker();
    // Verifying the right owes a rescan of everything; the relay splits it.
    e.verify(&right).await;
    let expected = e.expected().await;
    assert_eq!(expected.len(), CRASH_LISTINGS / 4);
    let server = e.serve();
    let scan: String = wait_for(
        "the rescan to be split",
        Duration::from_secs(60),
        async || {
            sqlx::query("SELECT id FROM scans WHERE partitions IS NOT NULL")
                .fetch_optional(e.app.store().pool())
                .await
                .unwrap()
                .map(|r| r.try_get(0).unwrap())
        },
    )
    .await;
    let (done, total) = wait_for(
        "a few partitions to be done",
        Duration::from_secs(120),
        async || {
            let (done, total) = partitions(e.app.store(), &scan).await;
            (done >= 3).then_some((done, total))
        },
    )
    .await;
    doomed.kill();
    assert_eq!(total, (CRASH_LISTINGS / 100) as i64);
    assert!(
        done < total,
        "the scan ended before the kill ({done} of {total} partitions): nothing was tested"
    );
    let record: ScanRecord = wait_for(
        "the rescan to finish",
        Duration::from_secs(300),
        async || {
            e.app
                .store()
                .scan_record(&scan)
                .await
                .unwrap()
                .filter(|s| s.finished_at.is_some())
        },
    )
    .await;
    assert_eq!(partitions(e.app.store(), &scan).await, (total, total));
    assert_eq!(
        record.listings, CRASH_LISTINGS as i64,
        "every listing scanned once in the record"
    );
    assert_eq!(record.counts.new, expected.len() as i64);
    assert_eq!((record.counts.known, record.counts.resolved), (0, 0));
    let (open, _) = e.findings("open").await;
    assert_eq!(open, expected, "no finding lost, none extra");
    let rows = e.findings_all().await;
    assert_eq!(rows, expected.len(), "no finding stored twice");
    drop(survivor);
    server.kill();
    e.finish().await;
}

/// Runs `rightsguard simulate-feed` with `args`; answers its summary.
fn simulate_feed(e: &Env, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(["simulate-feed", "--db", &e.db.url, "--quiet"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "simulate-feed failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    v["summary"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_feed_through_the_stream_and_the_api_is_found() {
    let Some(e) = env().await else {
        return;
    };
    e.right(true).await;
    let token = e.admin_token().await;
    // The worker writes the fed listings on the system clock: their scans
    // must be due for the relay too.
    let server = e.serve_on(&["--clock", "system"]);
    let worker = e.worker();
    let via_nats = simulate_feed(
        &e,
        &[
            "--nats", &e.nats, "--stream", &e.stream, "--rate", "400", "--count", "150", "--seed",
            "7", "--prefix", "n-",
        ],
    );
    let via_api = simulate_feed(
        &e,
        &[
            "--api",
            &server.base,
            "--token",
            &token,
            "--rate",
            "400",
            "--count",
            "150",
            "--seed",
            "8",
            "--prefix",
            "a-",
        ],
    );
    let mut infringing_now = BTreeSet::new();
    for s in [&via_nats, &via_api] {
        assert_eq!(s["failed"], 0);
        assert!(s["updates"].as_u64().unwrap() > 0, "{s}");
        for l in s["infringing_now"].as_array().unwrap() {
            infringing_now.insert(l.as_str().unwrap().to_owned());
        }
    }
    assert!(!infringing_now.is_empty());
    let listings = via_nats["listings"].as_u64().unwrap() + via_api["listings"].as_u64().unwrap();
    wait_for(
        "every fed listing to be stored",
        Duration::from_secs(90),
        async || {
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM listings")
                .fetch_one(e.app.store().pool())
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            (n as u64 == listings).then_some(())
        },
    )
    .await;
    let expected = e.expected().await;
    let expected_listings: BTreeSet<String> = expected.iter().map(|(l, _, _)| l.clone()).collect();
    assert_eq!(
        expected_listings, infringing_now,
        "the feed's own account of what infringes"
    );
    let start = Instant::now();
    loop {
        let (open, _) = e.findings("open").await;
        let owed = owed_jobs(e.app.store()).await;
        if open == expected && owed == 0 {
            break;
        }
        if start.elapsed() >= Duration::from_secs(90) {
            let rows = sqlx::query("SELECT kind, key, attempts, due_at, COALESCE(last_error, ''), COALESCE(lease_owner, '') FROM jobs WHERE done_at IS NULL LIMIT 5")
                .fetch_all(e.app.store().pool())
                .await
                .unwrap();
            for r in rows {
                eprintln!(
                    "owed: {} {} attempts={} due={} error={} lease={}",
                    r.try_get::<String, _>(0).unwrap(),
                    r.try_get::<String, _>(1).unwrap(),
                    r.try_get::<i64, _>(2).unwrap(),
                    r.try_get::<i64, _>(3).unwrap(),
                    r.try_get::<String, _>(4).unwrap(),
                    r.try_get::<String, _>(5).unwrap(),
                );
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "timed out waiting for the feed's findings: {} open of {} expected, {} missing, {} extra, {owed} scans owed",
            open.len(),
            expected.len(),
            expected.difference(&open).count(),
            open.difference(&expected).count(),
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.kill();
    server.kill();
    e.finish().await;
}
