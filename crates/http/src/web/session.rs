//! Browser sessions: tower-sessions over our own database table.
//!
//! The record (user id, CSRF token, login time) is JSON in `web_sessions`,
//! keyed by the session id tower-sessions draws (128 random bits). Expiry is
//! wall-clock time on purpose: the app's clock may be a manual demo clock,
//! and moving it a month must not log everyone out (nor keep a stolen
//! cookie alive). The idle timeout is tower-sessions' `OnInactivity` expiry,
//! renewed on each request; the absolute timeout is checked by the page
//! extractor against the login time kept in the record.

use rightsguard_store::SqlStore;
use rightsguard_store::web::WebStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// A [`SessionStore`] in the application's database (both backends).
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: SqlStore,
}

impl DbSessionStore {
    /// Sessions in `store`.
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }
}

fn micros(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// The wall clock, in microseconds (see the module doc for why not the app's clock).
pub fn wall_micros() -> i64 {
    use rightsguard_app::Clock as _;
    rightsguard_app::SystemClock.now().as_microsecond()
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let data = serde_json::to_string(&record.data)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let fresh = self
                .store
                .create_session(&record.id.to_string(), &data, micros(record.expiry_date))
                .await
                .map_err(backend)?;
            if fresh {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        self.store
            .save_session(&record.id.to_string(), &data, micros(record.expiry_date))
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(data) = self
            .store
            .load_session(&id.to_string(), wall_micros())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        // The expiry is rewritten by the layer on save; the row already
        // proved it has not passed.
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(1),
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}
