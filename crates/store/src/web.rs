//! Storage for the web UI: password hashes, browser sessions, and the lists
//! the pages show (complaints a rights holder filed, complaints items waiting
//! on a counter-notice decision, rights awaiting verification, users).
//!
//! Passwords are stored only as argon2id PHC strings made by the app; this
//! module never sees a password. Sessions are opaque JSON records keyed by
//! their random id, with an expiry in wall-clock microseconds; a load never
//! returns an expired record, and [`WebStore::delete_expired_sessions`]
//! sweeps them.

use std::future::Future;

use rightsguard_domain::account::User;
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::event::DomainEvent;
use rightsguard_domain::ids::{OrgId, UserId};
use rightsguard_domain::right::Right;
use sqlx::Row;

use crate::{
    ApiToken, Result, SqlStore, append_audit, from_json, is_unique_violation, token_row, user_row,
};

/// The storage operations of the web UI.
pub trait WebStore: Send + Sync {
    /// Sets a user's password hash (a PHC string) with its audit records;
    /// `false` if there is no such user.
    fn set_password_hash(
        &self,
        user: &UserId,
        phc: &str,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<bool>> + Send;
    /// A user's password hash, if one is set.
    fn password_hash(&self, user: &UserId) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Inserts a new session; `false` if the id is taken.
    fn create_session(
        &self,
        id: &str,
        data: &str,
        expires_at_us: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Inserts or replaces a session.
    fn save_session(
        &self,
        id: &str,
        data: &str,
        expires_at_us: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A session's record, unless it has expired by `now_us`.
    fn load_session(
        &self,
        id: &str,
        now_us: i64,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Deletes a session (no error if it is gone).
    fn delete_session(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    /// Deletes every session expired by `now_us`; returns how many.
    fn delete_expired_sessions(&self, now_us: i64) -> impl Future<Output = Result<u64>> + Send;
    /// Complaints an organisation filed or had filed for it, newest first.
    fn complaints_of_complainant(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Vec<Complaint>>> + Send;
    /// Complaints with at least one listing in one of `states`, oldest first.
    fn complaints_with_item_state(
        &self,
        states: &[&str],
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Complaint>>> + Send;
    /// Rights in a state (e.g. `pending`), by id.
    fn rights_in_state(
        &self,
        state: &str,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Right>>> + Send;
    /// Every user, by organisation and id.
    fn users(&self) -> impl Future<Output = Result<Vec<User>>> + Send;
    /// API tokens (their ids and hashes, never the text), newest first, at
    /// most `limit`.
    fn api_tokens(&self, limit: i64) -> impl Future<Output = Result<Vec<ApiToken>>> + Send;
}

impl WebStore for SqlStore {
    async fn set_password_hash(
        &self,
        user: &UserId,
        phc: &str,
        events: &[DomainEvent],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(phc)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn password_hash(&self, user: &UserId) -> Result<Option<String>> {
        let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<String>, _>(0)?,
            None => None,
        })
    }

    async fn create_session(&self, id: &str, data: &str, expires_at_us: i64) -> Result<bool> {
        let r = sqlx::query("INSERT INTO web_sessions (id, data, expires_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(data)
            .bind(expires_at_us)
            .execute(&self.pool)
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn save_session(&self, id: &str, data: &str, expires_at_us: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO web_sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at_us)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn load_session(&self, id: &str, now_us: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT data FROM web_sessions WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now_us)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get::<String, _>(0)?)).transpose()
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now_us: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
                .bind(now_us)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn complaints_of_complainant(&self, org: &OrgId) -> Result<Vec<Complaint>> {
        let rows = sqlx::query(
            "SELECT body FROM complaints WHERE complainant = $1 OR filed_by = $1 \
             ORDER BY submitted_at DESC, id",
        )
        .bind(org.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "complaint"))
            .collect()
    }

    async fn complaints_with_item_state(
        &self,
        states: &[&str],
        limit: i64,
    ) -> Result<Vec<Complaint>> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for state in states {
            let rows = sqlx::query(
                "SELECT c.id, c.body FROM complaints c WHERE c.id IN \
                 (SELECT complaint_id FROM complaint_items WHERE state = $1) \
                 ORDER BY c.submitted_at, c.id LIMIT $2",
            )
            .bind(*state)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                let id: String = r.try_get(0)?;
                if seen.insert(id) {
                    out.push(from_json(&r.try_get::<String, _>(1)?, "complaint")?);
                }
            }
        }
        Ok(out)
    }

    async fn rights_in_state(&self, state: &str, limit: i64) -> Result<Vec<Right>> {
        let rows = sqlx::query("SELECT body FROM rights WHERE state = $1 ORDER BY id LIMIT $2")
            .bind(state)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "right"))
            .collect()
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT id, org_id, role, name FROM users ORDER BY org_id, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_row).collect()
    }

    async fn api_tokens(&self, limit: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, user_id, sha256, created_at, revoked_at FROM api_tokens \
             ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_row).collect()
    }
}
