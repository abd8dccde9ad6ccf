//! PostgreSQL goes away under load and comes back: requests fail cleanly
//! (503 `database_unavailable` with `Retry-After`, never a 500 or a hang),
//! `/readyz` says so, the server recovers by itself without a restart, and
//! every write it acknowledged is in the database afterwards.
//!
//! The outage is real at the TCP level: the server reaches the real
//! PostgreSQL through a proxy this test controls, which cuts every open
//! connection and refuses new ones while "down". (Restarting the machine's
//! PostgreSQL itself would break every other test running beside this one.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rightsguard_http::Server;
use rightsguard_store::{SqlStore, Store};
use rightsguard_testkit::{Backend, create_accounts, fresh_database, test_config};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy to PostgreSQL that can be switched off (all connections cut,
/// new ones closed at once) and on again.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, cuts) = watch::channel(0u64);
        let up2 = up.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let mut cuts = cuts.clone();
                // Only cuts after this connection was accepted end it.
                cuts.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Self { port, up, cut }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// One write: an evidence upload (a file, an evidence row, an audit record).
/// Returns (status, code, retry-after, sha256 when acknowledged).
async fn write(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    n: usize,
) -> (u16, String, Option<String>, Option<String>) {
    let resp = client
        .post(format!("{base}/api/v1/evidence"))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(format!("capture number {n}\n"))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let v: serde_json::Value = resp.json().await.unwrap();
    let code = v["error"]["code"].as_str().unwrap_or_default().to_owned();
    let sha = v["sha256"].as_str().map(str::to_owned);
    (status, code, retry, sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outage_answers_503_then_recovers_and_loses_nothing_acknowledged() {
    let Some(db) = fresh_database(Backend::Postgres).await.unwrap() else {
        return;
    };
    let proxy = Proxy::start("127.0.0.1:5432".into()).await;
    let mut config = test_config(&db).unwrap();
    config.db = db
        .url
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port));
    assert_ne!(config.db, db.url, "the server goes through the proxy");
    let server = Server::bind(&config).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let state = server.state().clone();
    let tokens = create_accounts(&state).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let mut acked = Vec::new();
    let mut n = 0;

    // Up: every write succeeds.
    for _ in 0..20 {
        n += 1;
        let (status, code, _, sha) = write(&client, &base, &tokens.holder, n).await;
        assert_eq!(status, 201, "{code}");
        acked.push(sha.unwrap());
    }
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Down: every write fails cleanly with advice to retry; readiness says so.
    proxy.down();
    for _ in 0..10 {
        n += 1;
        let (status, code, retry, sha) = write(&client, &base, &tokens.holder, n).await;
        assert_eq!(
            (status, code.as_str()),
            (503, "database_unavailable"),
            "while the database is unreachable"
        );
        assert_eq!(retry.as_deref(), Some("5"));
        assert!(sha.is_none());
    }
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the process itself is alive");

    // Back: the server recovers without a restart. A request may still meet
    // a connection that died with the outage; it must then be a clean 503.
    proxy.up();
    let mut ok_after = 0;
    let mut attempts = 0;
    while ok_after < 20 {
        attempts += 1;
        assert!(attempts < 200, "the server did not recover");
        n += 1;
        let (status, code, _, sha) = write(&client, &base, &tokens.holder, n).await;
        match status {
            201 => {
                ok_after += 1;
                acked.push(sha.unwrap());
            }
            503 => assert_eq!(code, "database_unavailable"),
            other => panic!("after the outage: {other} {code}"),
        }
    }
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let _ = stop.send(());
    task.await.unwrap().unwrap();

    // Everything acknowledged is there, and the audit chain is whole.
    let store = SqlStore::connect(&db.url).await.unwrap();
    let stored: std::collections::HashSet<String> = store
        .evidence_hashes()
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    for sha in &acked {
        assert!(stored.contains(sha), "acknowledged upload {sha} is stored");
    }
    let report = store.verify_audit(None).await.unwrap();
    assert!(report.ok(), "{:?}", report.first_bad);
    store.close().await;
    db.drop_now().await.unwrap();
}
