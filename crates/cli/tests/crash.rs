//! The crash test: `rightsguard serve` is killed with SIGKILL in the middle of
//! keyed complaint filings, again and again, on SQLite and on PostgreSQL;
//! every request whose answer did not arrive is retried with the same
//! `Idempotency-Key` on the restarted server. In the end no acknowledged
//! complaint is lost, none exists twice, every key answers with the first
//! answer, and the audit chain verifies.
//!
//! It lives in the CLI crate rather than in `crates/testkit` because it needs
//! the real binary as a separate process (a SIGKILL must take the whole
//! server, its pool and its in-memory state with it), and Cargo hands the
//! path of a built binary (`CARGO_BIN_EXE_rightsguard`) only to the tests of
//! the package that defines it. It borrows the testkit's fresh databases and
//! accounts. The plan (which request is a single complaint or a batch, their
//! sizes, after how many answers each kill comes) is drawn from fixed seeds;
//! the kill moment is counted in answers received, never in time, and
//! nothing asserts on timing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;
use common::Server;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rightsguard_domain::event::{EventKind, Subject};
use rightsguard_domain::ids::ComplaintId;
use rightsguard_store::{SqlStore, Store};
use rightsguard_testkit::{Backend, Database, create_accounts, fresh_database, test_config};
use serde_json::{Value, json};
use sqlx::Row;

/// Keyed requests in the plan (each a single complaint or a batch of 2-4).
const REQUESTS: usize = 120;
/// SIGKILLs.
const KILLS: usize = 8;
/// Requests in flight at once.
const CONCURRENCY: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_survives_sigkill_during_keyed_filings() {
    let db = fresh_database(Backend::Sqlite).await.unwrap().unwrap();
    crash_and_retry(db, 0x5eed_0001).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_survives_sigkill_during_keyed_filings() {
    let Some(db) = fresh_database(Backend::Postgres).await.unwrap() else {
        return;
    };
    crash_and_retry(db, 0x5eed_0002).await;
}

/// xorshift64*: a fixed seed gives a fixed plan.
struct Rng(u64);

impl Rng {
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

/// One keyed request of the plan.
#[derive(Debug, Clone)]
struct Req {
    key: String,
    path: &'static str,
    body: Value,
    /// The complaint ids it files.
    complaints: Vec<String>,
}

fn complaint(id: &str, listings: u64, rng: &mut Rng) -> Value {
    let listings: Vec<Value> = (0..=listings)
        .map(|k| {
            let seller = if rng.below(2) == 0 { "shop1" } else { "shop2" };
            json!({"id": format!("{id}-L{k}"), "seller": seller, "category_classes": [25]})
        })
        .collect();
    json!({"id": id, "right": "r1", "reason": "counterfeit", "listings": listings,
           "evidence": ["ee".repeat(32)]})
}

fn plan(rng: &mut Rng) -> Vec<Req> {
    (0..REQUESTS)
        .map(|i| {
            if rng.below(2) == 0 {
                let id = format!("C{i}");
                let listings = rng.below(3);
                Req {
                    key: format!("crash-{i}"),
                    path: "/api/v1/complaints",
                    body: complaint(&id, listings, rng),
                    complaints: vec![id],
                }
            } else {
                let n = 2 + rng.below(3);
                let ids: Vec<String> = (0..n).map(|j| format!("C{i}-{j}")).collect();
                let complaints: Vec<Value> = ids
                    .iter()
                    .map(|id| {
                        let listings = rng.below(3);
                        complaint(id, listings, rng)
                    })
                    .collect();
                Req {
                    key: format!("crash-{i}"),
                    path: "/api/v1/complaints/batch",
                    body: json!({ "complaints": complaints }),
                    complaints: ids,
                }
            }
        })
        .collect()
}

/// An answer received in full.
#[derive(Debug, Clone, PartialEq)]
struct Ack {
    status: u16,
    replayed: bool,
    body: String,
}

async fn send(client: &reqwest::Client, base: &str, token: &str, req: &Req) -> Option<Ack> {
    let resp = client
        .post(format!("{base}{}", req.path))
        .bearer_auth(token)
        .header("Idempotency-Key", &req.key)
        .json(&req.body)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let replayed = resp
        .headers()
        .get("idempotency-replayed")
        .is_some_and(|v| v == "true");
    let body = resp.text().await.ok()?;
    Some(Ack {
        status,
        replayed,
        body,
    })
}

/// When to SIGKILL the server during a round.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// Never (the last rounds).
    Never,
    /// Once this many answers have arrived.
    AfterAnswers(usize),
    /// As soon as a key is seen committed in the database whose answer has
    /// not arrived (the server is between its commit and its answer), or
    /// after this many answers if that moment is not caught.
    BetweenCommitAndAnswer(usize),
}

/// Counts the idempotency keys in the database, from the test's own
/// connection (a reader: it blocks no writer on either engine).
async fn keys_committed(store: &SqlStore) -> usize {
    sqlx::query("SELECT COUNT(*) FROM idempotency_keys")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap() as usize
}

/// Sends every pending request, `CONCURRENCY` at a time, and kills the
/// server as `kill` says. Returns the answers received (whatever arrived
/// before and around the kill) and the server if it still runs.
async fn round(
    server: Server,
    token: &str,
    reqs: &[Req],
    pending: &BTreeSet<usize>,
    kill: Kill,
    watch: &SqlStore,
) -> (Vec<(usize, Ack)>, Option<Server>) {
    let client = reqwest::Client::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for &i in pending {
        let (client, gate, tx) = (client.clone(), gate.clone(), tx.clone());
        let (base, token, req) = (server.base.clone(), token.to_owned(), reqs[i].clone());
        tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            if let Some(ack) = send(&client, &base, &token, &req).await {
                let _ = tx.send((i, ack));
            }
        });
    }
    drop(tx);
    // The watcher: commits in this round beyond the fresh answers received
    // mean a committed request is still waiting for its answer.
    let fresh = Arc::new(AtomicUsize::new(0));
    let (caught_tx, mut caught) = tokio::sync::mpsc::channel::<()>(1);
    let watcher = if let Kill::BetweenCommitAndAnswer(_) = kill {
        let (watch, fresh) = (watch.clone(), fresh.clone());
        let start = keys_committed(&watch).await;
        Some(tokio::spawn(async move {
            loop {
                let committed = keys_committed(&watch).await - start;
                if committed > fresh.load(Ordering::SeqCst) {
                    let _ = caught_tx.send(()).await;
                    return;
                }
                tokio::task::yield_now().await;
            }
        }))
    } else {
        drop(caught_tx);
        None
    };
    let limit = match kill {
        Kill::Never => None,
        Kill::AfterAnswers(n) | Kill::BetweenCommitAndAnswer(n) => Some(n),
    };
    let mut acks = Vec::new();
    let mut server = Some(server);
    // The channel closes when every request has finished, answered or not.
    loop {
        tokio::select! {
            a = rx.recv() => {
                let Some((i, ack)) = a else { break };
                if !ack.replayed {
                    fresh.fetch_add(1, Ordering::SeqCst);
                }
                acks.push((i, ack));
                if Some(acks.len()) == limit && let Some(s) = server.take() {
                    s.kill();
                }
            }
            Some(()) = caught.recv() => {
                if let Some(s) = server.take() {
                    s.kill();
                }
            }
        }
    }
    if let Some(w) = watcher {
        w.abort();
    }
    (acks, server)
}

async fn post(base: &str, token: &str, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap()
}

async fn get(base: &str, token: &str, path: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn crash_and_retry(db: Database, seed: u64) {
    // Accounts through the library, then everything over HTTP to the binary.
    let state = rightsguard_http::build_state(&test_config(&db).unwrap())
        .await
        .unwrap();
    let tokens = create_accounts(&state).await.unwrap();
    state.app.store().close().await;
    drop(state);

    let mut rng = Rng(seed);
    let reqs = plan(&mut rng);
    let mut pending: BTreeSet<usize> = (0..reqs.len()).collect();
    let mut first: BTreeMap<usize, Ack> = BTreeMap::new();
    let mut attempts = vec![0usize; reqs.len()];

    let server = Server::start(&db, &[]);
    post(
        &server.base,
        &tokens.holder,
        "/api/v1/rights",
        json!({"id": "r1", "kind": "trademark", "jurisdiction": "CN", "registration_number": "123",
               "nice_classes": [25], "valid_from": "2020-01-01", "certificates": ["01".repeat(32)]}),
    )
    .await;
    post(
        &server.base,
        &tokens.reviewer,
        "/api/v1/rights/r1/decision",
        json!({"command": "verify"}),
    )
    .await;

    let watch = SqlStore::connect(&db.url).await.unwrap();
    let mut server = Some(server);
    let mut kills = 0;
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        assert!(rounds <= KILLS + 5, "requests keep failing: {pending:?}");
        let s = server.take().unwrap_or_else(|| Server::start(&db, &[]));
        // Kill after a few answers while most of the round is still to
        // come; every other kill aims between a commit and its answer.
        let kill = if kills < KILLS && pending.len() > 4 {
            let n = 1 + rng.below((pending.len() as u64 / 3).clamp(1, 12)) as usize;
            if kills % 2 == 0 {
                Kill::AfterAnswers(n)
            } else {
                Kill::BetweenCommitAndAnswer(n)
            }
        } else {
            Kill::Never
        };
        for &i in &pending {
            attempts[i] += 1;
        }
        let (acks, alive) = round(s, &tokens.holder, &reqs, &pending, kill, &watch).await;
        if alive.is_none() {
            kills += 1;
        }
        server = alive;
        for (i, ack) in acks {
            pending.remove(&i);
            first.entry(i).or_insert(ack);
        }
    }
    let server = server.unwrap_or_else(|| Server::start(&db, &[]));
    assert_eq!(kills, KILLS, "every planned kill happened");

    // Every request was answered with success, and every complaint of a
    // batch was created: a `duplicate` here would be a complaint committed
    // without its key.
    let mut complaints = 0;
    for (i, req) in reqs.iter().enumerate() {
        let ack = &first[&i];
        let body: Value = serde_json::from_str(&ack.body).unwrap();
        if req.complaints.len() == 1 && req.path == "/api/v1/complaints" {
            assert_eq!(ack.status, 201, "{}: {}", req.key, ack.body);
            assert_eq!(body["id"], req.complaints[0]);
        } else {
            assert_eq!(ack.status, 200, "{}: {}", req.key, ack.body);
            assert_eq!(
                body["created"],
                req.complaints.len(),
                "{}: {}",
                req.key,
                ack.body
            );
        }
        complaints += req.complaints.len();
    }
    // Every key now replays its first answer, byte for byte.
    let everything: BTreeSet<usize> = (0..reqs.len()).collect();
    let (again, server) = round(
        server,
        &tokens.holder,
        &reqs,
        &everything,
        Kill::Never,
        &watch,
    )
    .await;
    let server = server.unwrap();
    assert_eq!(again.len(), reqs.len());
    for (i, ack) in again {
        assert!(ack.replayed, "{}: {}", reqs[i].key, ack.body);
        assert_eq!(ack.status, first[&i].status);
        assert_eq!(ack.body, first[&i].body, "{}", reqs[i].key);
    }
    // Each acknowledged complaint is there, as acknowledged.
    for (i, req) in reqs.iter().enumerate() {
        let body: Value = serde_json::from_str(&first[&i].body).unwrap();
        for (j, id) in req.complaints.iter().enumerate() {
            let acked = if req.path == "/api/v1/complaints" {
                body.clone()
            } else {
                body["results"][j]["complaint"].clone()
            };
            let (status, stored) = get(
                &server.base,
                &tokens.holder,
                &format!("/api/v1/complaints/{id}"),
            )
            .await;
            assert_eq!(status, 200, "{id}");
            assert_eq!(stored, acked, "{id}");
        }
    }
    let (status, audit) = get(&server.base, &tokens.admin, "/api/v1/audit/verify").await;
    assert_eq!(status, 200);
    assert_eq!(audit["ok"], true, "{audit}");
    server.kill();

    // Under the API: exactly the planned complaints and keys, each complaint
    // submitted once in the audit log.
    let store = watch;
    let count = async |sql: &str| -> i64 {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM complaints").await,
        complaints as i64
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM idempotency_keys").await,
        reqs.len() as i64
    );
    for id in reqs.iter().flat_map(|r| &r.complaints) {
        let audit = store
            .audit_of(&Subject::Complaint {
                complaint: ComplaintId::parse(id).unwrap(),
                listing: None,
            })
            .await
            .unwrap();
        let submitted = audit
            .iter()
            .filter(|r| matches!(r.event.kind, EventKind::ComplaintSubmitted { .. }))
            .count();
        assert_eq!(submitted, 1, "{id}");
    }
    assert!(store.verify_audit(None).await.unwrap().ok());
    store.close().await;

    let retried: Vec<usize> = (0..reqs.len()).filter(|&i| attempts[i] > 1).collect();
    let replayed = retried.iter().filter(|&&i| first[&i].replayed).count();
    eprintln!(
        "crash test: {} keyed requests ({complaints} complaints), {kills} SIGKILLs in {rounds} rounds; \
         {} requests left without an answer and retried: {replayed} replayed (had committed before a kill), \
         {} filed on retry",
        reqs.len(),
        retried.len(),
        retried.len() - replayed
    );
    assert!(!retried.is_empty(), "the kills cut requests off");
    db.drop_now().await.unwrap();
}
