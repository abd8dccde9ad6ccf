//! Notifiers: the complaints each one filed (for its accuracy figures) and
//! its DSA Art. 23 case.
//!
//! The accuracy figures are not stored: they are computed from the
//! complaints themselves (`rightsguard_domain::notifier::records_of`), so they
//! cannot drift from what happened. Only the case — warned, awaiting a human
//! decision, suspended until a time — is state, written with its audit
//! records in one transaction and versioned like every other object.

use std::future::Future;

use jiff::Timestamp;
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::event::DomainEvent;
use rightsguard_domain::ids::OrgId;
use rightsguard_domain::notifier::AbuseCase;
use sqlx::Row;

use crate::{
    Result, SqlStore, StoreError, Versioned, append_audit, corrupt, from_json, micros, to_json,
};

/// A notifier's case as listed for staff.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNotifierCase {
    /// The notifier (the complainant organisation).
    pub notifier: OrgId,
    /// The case.
    pub case: AbuseCase,
    /// Its version.
    pub version: i64,
}

/// The storage operations of notifiers.
pub trait NotifierStore: Send + Sync {
    /// Every complaint `notifier` filed since `since` (by submission time), oldest first.
    fn complaints_by(
        &self,
        notifier: &OrgId,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<Complaint>>> + Send;
    /// The notifier's Art. 23 case, if it ever had a step.
    fn notifier_case(
        &self,
        notifier: &OrgId,
    ) -> impl Future<Output = Result<Option<Versioned<AbuseCase>>>> + Send;
    /// Writes the case if it is still at `expected_version` (`None`: it must
    /// not exist yet), with its audit records, in one transaction; returns the
    /// new version. A lost race is [`StoreError::Conflict`].
    fn save_notifier_case(
        &self,
        notifier: &OrgId,
        case: &AbuseCase,
        expected_version: Option<i64>,
        at: Timestamp,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<i64>> + Send;
    /// The cases that are not clear (warned, awaiting decision, suspended),
    /// awaiting decision first.
    fn open_notifier_cases(&self) -> impl Future<Output = Result<Vec<StoredNotifierCase>>> + Send;
}

/// The stored status of a case (an indexed column for listing).
fn status(case: &AbuseCase) -> &'static str {
    match case {
        AbuseCase::Clear => "clear",
        AbuseCase::Warned { .. } => "warned",
        AbuseCase::AwaitingDecision { .. } => "awaiting_decision",
        AbuseCase::Suspended { .. } => "suspended",
    }
}

impl NotifierStore for SqlStore {
    async fn complaints_by(&self, notifier: &OrgId, since: Timestamp) -> Result<Vec<Complaint>> {
        let rows = sqlx::query(
            "SELECT body FROM complaints WHERE complainant = $1 AND submitted_at >= $2 \
             ORDER BY submitted_at, id",
        )
        .bind(notifier.as_str())
        .bind(micros(since))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "complaint"))
            .collect()
    }

    async fn notifier_case(&self, notifier: &OrgId) -> Result<Option<Versioned<AbuseCase>>> {
        let row = sqlx::query("SELECT body, version FROM notifier_cases WHERE notifier = $1")
            .bind(notifier.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(Versioned {
                value: from_json(&r.try_get::<String, _>("body")?, "notifier case")?,
                version: r.try_get("version")?,
            })
        })
        .transpose()
    }

    async fn save_notifier_case(
        &self,
        notifier: &OrgId,
        case: &AbuseCase,
        expected_version: Option<i64>,
        at: Timestamp,
        events: &[DomainEvent],
    ) -> Result<i64> {
        let conflict = || StoreError::Conflict(format!("notifier case {notifier}"));
        let mut tx = self.begin_write().await?;
        let done = match expected_version {
            None => {
                sqlx::query(
                    "INSERT INTO notifier_cases (notifier, status, body, version, updated_at) \
                     VALUES ($1, $2, $3, 1, $4) ON CONFLICT (notifier) DO NOTHING",
                )
                .bind(notifier.as_str())
                .bind(status(case))
                .bind(to_json(case)?)
                .bind(micros(at))
                .execute(&mut *tx)
                .await?
            }
            Some(v) => {
                sqlx::query(
                    "UPDATE notifier_cases SET status = $1, body = $2, version = version + 1, \
                     updated_at = $3 WHERE notifier = $4 AND version = $5",
                )
                .bind(status(case))
                .bind(to_json(case)?)
                .bind(micros(at))
                .bind(notifier.as_str())
                .bind(v)
                .execute(&mut *tx)
                .await?
            }
        };
        if done.rows_affected() != 1 {
            return Err(conflict());
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(expected_version.map_or(1, |v| v + 1))
    }

    async fn open_notifier_cases(&self) -> Result<Vec<StoredNotifierCase>> {
        let rows = sqlx::query(
            "SELECT notifier, status, body, version FROM notifier_cases WHERE status <> 'clear' \
             ORDER BY CASE status WHEN 'awaiting_decision' THEN 0 WHEN 'warned' THEN 1 ELSE 2 END, \
             updated_at, notifier",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredNotifierCase {
                    notifier: OrgId::parse(&r.try_get::<String, _>("notifier")?)
                        .map_err(corrupt)?,
                    case: from_json(&r.try_get::<String, _>("body")?, "notifier case")?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }
}
