//! A webhook receiver for tests: a real HTTP server on 127.0.0.1 that
//! records every delivery (headers and body) and can be switched "down"
//! (it then answers 503 and records nothing), as a marketplace's endpoint
//! would be during an outage. It checks nothing itself: the tests verify
//! signatures and order on what it recorded.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use crate::Error;

/// One delivery as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp` (Unix seconds).
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The raw body.
    pub body: Vec<u8>,
    /// The body parsed.
    pub json: serde_json::Value,
}

#[derive(Debug, Default)]
struct Shared {
    down: AtomicBool,
    /// Milliseconds to hold each answer back after recording the delivery.
    hold_ms: std::sync::atomic::AtomicU64,
    refused: AtomicUsize,
    got: Mutex<Vec<Received>>,
}

/// A running receiver; stops when dropped.
#[derive(Debug)]
pub struct Receiver {
    /// The URL to configure as the endpoint (`http://127.0.0.1:PORT/hook`).
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver on a free port, up.
    pub async fn start() -> Result<Self, Error> {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            url: format!("http://{addr}/hook"),
            shared,
            task,
        })
    }

    /// Takes the receiver down (503 to everything) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Holds every answer back this long after recording the delivery (so a
    /// test can kill the sender while a delivery is in flight); zero: none.
    pub fn hold_answers(&self, by: std::time::Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.shared.hold_ms.store(ms, Ordering::SeqCst);
    }

    /// Everything received while up, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.shared
            .got
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many deliveries were refused while down.
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if shared.down.load(Ordering::SeqCst) {
        shared.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    shared
        .got
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp").parse().unwrap_or(0),
            signature: header("webhook-signature"),
            body: body.to_vec(),
            json,
        });
    let hold = shared.hold_ms.load(Ordering::SeqCst);
    if hold > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(hold)).await;
    }
    StatusCode::NO_CONTENT
}
