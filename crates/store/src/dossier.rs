//! Reads for evidence dossiers: audit records exactly as stored.
//!
//! A dossier carries the audit records of its case so that a reader can
//! recompute each record's chain hash offline. That needs the fields the hash
//! was computed over byte for byte (the instant in microseconds and the event
//! JSON as written), not the typed [`crate::AuditRecord`], whose event would
//! be re-serialised.

use std::future::Future;

use rightsguard_domain::chain::ChainRecord;
use sqlx::Row;

use crate::{Result, SqlStore};

/// The storage reads of dossiers.
pub trait DossierStore: Send + Sync {
    /// The audit records whose subject is one of `subjects` or lies under
    /// one (`complaint:ID` also selects `complaint:ID/LISTING`), in chain
    /// order, each once.
    fn chain_records_of(
        &self,
        subjects: &[String],
    ) -> impl Future<Output = Result<Vec<ChainRecord>>> + Send;
    /// The last record of the whole chain (its sequence number and hash).
    fn audit_head(&self) -> impl Future<Output = Result<Option<(i64, String)>>> + Send;
}

impl DossierStore for SqlStore {
    async fn chain_records_of(&self, subjects: &[String]) -> Result<Vec<ChainRecord>> {
        let mut out = std::collections::BTreeMap::new();
        for key in subjects {
            let rows = sqlx::query(
                "SELECT seq, at, subject, event, prev_hash, hash FROM audit_log \
                 WHERE subject = $1 OR subject LIKE $2 ORDER BY seq",
            )
            .bind(key)
            .bind(format!("{key}/%"))
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                let rec = ChainRecord {
                    seq: r.try_get("seq")?,
                    at_us: r.try_get("at")?,
                    subject: r.try_get("subject")?,
                    event: r.try_get("event")?,
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                };
                out.insert(rec.seq, rec);
            }
        }
        Ok(out.into_values().collect())
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>> {
        let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
            None => None,
        })
    }
}
