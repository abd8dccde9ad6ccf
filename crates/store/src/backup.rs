//! What `rightsguard backup` needs from the database itself: a consistent
//! snapshot of a live SQLite file, and the list of evidence files the rows
//! refer to (so a backup can prove it holds every one of them).
//!
//! PostgreSQL is backed up with `pg_dump` by the CLI: its snapshot is already
//! consistent and its format is the one operators restore with, so there is
//! nothing to add here for it.

use std::path::Path;

use rightsguard_domain::ids::Sha256;
use sqlx::Row;

use crate::{Dialect, Result, SqlStore, StoreError};

impl SqlStore {
    /// Writes a transactionally consistent copy of a SQLite database to
    /// `dest` (which must not exist) with `VACUUM INTO`, while writers go on.
    pub async fn snapshot_sqlite(&self, dest: &Path) -> Result<()> {
        if self.dialect() != Dialect::Sqlite {
            return Err(StoreError::UnsupportedUrl(
                "snapshot_sqlite on a PostgreSQL store (use pg_dump)".to_owned(),
            ));
        }
        let dest = dest.to_str().ok_or_else(|| {
            StoreError::Corrupt(format!("backup path {} is not UTF-8", dest.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every evidence file uploaded (whose bytes the file store must hold),
    /// rights' reference images and hashed listing images included, in
    /// hash order. Citations of files never uploaded are not counted: a
    /// complaint may cite a hash whose file its notifier keeps.
    pub async fn evidence_hashes(&self) -> Result<Vec<Sha256>> {
        let rows = sqlx::query(
            "SELECT sha256 FROM evidence UNION SELECT sha256 FROM right_images \
             UNION SELECT sha256 FROM image_hashes ORDER BY sha256",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let s: String = r.try_get(0)?;
                Sha256::parse(&s)
                    .map_err(|e| StoreError::Corrupt(format!("evidence hash {s:?}: {e}")))
            })
            .collect()
    }
}

/// A PostgreSQL snapshot held open for `pg_dump --snapshot`, with the audit
/// head as that snapshot sees it: the head the dump will hold, exactly.
#[derive(Debug)]
pub struct PgSnapshot {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// The id to pass to `pg_dump --snapshot`.
    pub id: String,
    /// The last audit record in the snapshot (`seq`, `hash`).
    pub head: Option<(i64, String)>,
}

impl SqlStore {
    /// Exports a repeatable-read snapshot of a PostgreSQL database; keep it
    /// until `pg_dump` has started, then [`PgSnapshot::release`] it.
    pub async fn pg_snapshot(&self) -> Result<PgSnapshot> {
        if self.dialect() != Dialect::Postgres {
            return Err(StoreError::UnsupportedUrl(
                "pg_snapshot on a SQLite store (use snapshot_sqlite)".to_owned(),
            ));
        }
        let mut tx = self
            .pool()
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let id: String = sqlx::query("SELECT pg_export_snapshot()")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| Ok::<_, StoreError>((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)))
            .transpose()?;
        Ok(PgSnapshot { tx, id, head })
    }
}

impl PgSnapshot {
    /// Ends the snapshot's transaction.
    pub async fn release(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
