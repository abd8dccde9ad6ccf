//! Notifications to people: the inbox rows, the users' settings, and the
//! jobs that mail and remind.
//!
//! **Created with their cause.** `append_notifications` runs inside every
//! audited write, right after each audit record (beside the webhook outbox):
//! the event's intents ([`rightsguard_domain::notification::intents_of`])
//! become one row per user of the recipient organisations, in the same
//! transaction, so an event and its notifications commit or roll back
//! together. The same transaction schedules the jobs the event implies: a
//! reminder 24 hours before a new deadline, the penalty notice of an
//! established complaint (the app computes the penalty) and the sync of its
//! seller's store status (`crate::penalties`), the expiry
//! reminders of a newly verified right. Jobs that fire later create their
//! notifications with [`NotificationStore::notify_orgs`].
//!
//! **Once per user.** Every row has a `dedupe_key` unique per user (the
//! audit record and kind, or the reminder's own key): a job re-run after a
//! crash inserts nothing new.
//!
//! **E-mail.** A row whose user wants this kind by e-mail and has an address
//! gets `email_status = pending` and a `send_email` job in the same
//! transaction; the app sends it, retried with backoff, and records the
//! outcome here.

use std::collections::BTreeSet;
use std::future::Future;

use jiff::Timestamp;
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::event::{DomainEvent, EventKind, Party, Subject};
use rightsguard_domain::ids::{OrgId, UserId};
use rightsguard_domain::notification::{
    EmailAddress, Language, NotificationKind, Params, Recipient, deadline_reminder_of, intents_of,
    right_expiry_reminders,
};
use rightsguard_domain::right::Right;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{
    NewJob, Result, SqlStore, corrupt, from_json, from_micros, insert_jobs, micros, to_json,
};

/// The job that mails one notification (payload `{"notification": id}`).
pub const SEND_EMAIL: &str = "send_email";
/// The job that reminds of a deadline 24 hours ahead (payload: complaint,
/// listing, due, party, action).
pub const REMIND_DEADLINE: &str = "remind_deadline";
/// The job that tells a seller the penalty of an established complaint
/// (payload: complaint, listing, seller).
pub const NOTIFY_PENALTY: &str = "notify_penalty";
/// The job that reminds a holder of a right about to expire (payload:
/// right, valid_until, days).
pub const REMIND_RIGHT_EXPIRY: &str = "remind_right_expiry";

/// Where a notification's e-mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// Not by e-mail: the user does not want this kind mailed, or has no address.
    Off,
    /// To be sent (a job is scheduled; retried until sent or given up).
    Pending,
    /// The mail server accepted it.
    Sent,
    /// Given up after repeated failures.
    Failed,
    /// Not sent because the server runs without SMTP (inbox only).
    Skipped,
}

impl EmailStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Off,
            Self::Pending,
            Self::Sent,
            Self::Failed,
            Self::Skipped,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// One notification of one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Its id.
    pub id: i64,
    /// Whose.
    pub user: UserId,
    /// What about.
    pub kind: NotificationKind,
    /// The facts.
    pub params: Params,
    /// When it was created.
    pub created_at: Timestamp,
    /// When its user read it.
    pub read_at: Option<Timestamp>,
    /// Its e-mail.
    pub email_status: EmailStatus,
    /// Sending attempts made.
    pub email_attempts: i64,
    /// The last sending error.
    pub email_error: Option<String>,
    /// When the mail server accepted it.
    pub email_sent_at: Option<Timestamp>,
}

/// A user's notification settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotificationSettings {
    /// The language notifications are written in.
    pub language: Language,
    /// Where e-mail goes; none: inbox only.
    pub email: Option<EmailAddress>,
    /// Kinds the user does not want by e-mail (every other kind is mailed
    /// when there is an address).
    pub email_off: BTreeSet<NotificationKind>,
}

impl NotificationSettings {
    /// Whether a notification of `kind` is mailed.
    pub fn mails(&self, kind: NotificationKind) -> bool {
        self.email.is_some() && !self.email_off.contains(&kind)
    }
}

/// A notification to mail, with what its user's settings say now.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEmail {
    /// The notification.
    pub notification: Notification,
    /// Its user's settings now (address, language).
    pub settings: NotificationSettings,
}

/// The storage operations of notifications.
pub trait NotificationStore: Send + Sync {
    /// Notifies every user of `orgs` (each once, whatever `orgs` repeats),
    /// unless the user already has a notification with `key`; schedules the
    /// e-mails the users want. Returns how many rows were created.
    fn notify_orgs(
        &self,
        orgs: &[OrgId],
        kind: NotificationKind,
        params: &Params,
        key: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<usize>> + Send;
    /// A user's notifications, newest first, at most `limit`; only unread
    /// ones if `unread_only`.
    fn inbox(
        &self,
        user: &UserId,
        unread_only: bool,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Notification>>> + Send;
    /// How many of a user's notifications are unread.
    fn unread_count(&self, user: &UserId) -> impl Future<Output = Result<i64>> + Send;
    /// Marks a user's notifications read: those of `ids`, or all with `None`.
    /// Others' ids are ignored. Returns how many changed.
    fn mark_read(
        &self,
        user: &UserId,
        ids: Option<&[i64]>,
        at: Timestamp,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// A user's settings (the defaults if never saved).
    fn notification_settings(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<NotificationSettings>> + Send;
    /// Saves a user's settings.
    fn save_notification_settings(
        &self,
        user: &UserId,
        settings: &NotificationSettings,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A notification to mail, with its user's current settings.
    fn outgoing_email(&self, id: i64)
    -> impl Future<Output = Result<Option<OutgoingEmail>>> + Send;
    /// Records a sending attempt: the new status, the error if it failed.
    fn record_email(
        &self,
        id: i64,
        status: EmailStatus,
        error: Option<&str>,
        at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
}

const COLUMNS: &str = "id, user_id, kind, params, created_at, read_at, email_status, email_attempts, email_error, email_sent_at";

fn notification_row(r: &AnyRow) -> Result<Notification> {
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("email_status")?;
    Ok(Notification {
        id: r.try_get("id")?,
        user: UserId::parse(&r.try_get::<String, _>("user_id")?).map_err(corrupt)?,
        kind: NotificationKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("notification kind {kind:?}")))?,
        params: from_json(&r.try_get::<String, _>("params")?, "notification params")?,
        created_at: from_micros(r.try_get("created_at")?)?,
        read_at: r
            .try_get::<Option<i64>, _>("read_at")?
            .map(from_micros)
            .transpose()?,
        email_status: EmailStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("e-mail status {status:?}")))?,
        email_attempts: r.try_get("email_attempts")?,
        email_error: r.try_get("email_error")?,
        email_sent_at: r
            .try_get::<Option<i64>, _>("email_sent_at")?
            .map(from_micros)
            .transpose()?,
    })
}

async fn settings_in(
    conn: &mut sqlx::AnyConnection,
    user: &UserId,
) -> Result<NotificationSettings> {
    let row = sqlx::query("SELECT language, email FROM notification_settings WHERE user_id = $1")
        .bind(user.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let mut s = NotificationSettings::default();
    if let Some(r) = row {
        let lang: String = r.try_get(0)?;
        s.language = Language::parse(&lang).ok_or_else(|| corrupt(format!("language {lang:?}")))?;
        s.email = r
            .try_get::<Option<String>, _>(1)?
            .map(|e| EmailAddress::parse(&e))
            .transpose()
            .map_err(corrupt)?;
    }
    let prefs =
        sqlx::query("SELECT kind FROM notification_preferences WHERE user_id = $1 AND email = 0")
            .bind(user.as_str())
            .fetch_all(&mut *conn)
            .await?;
    for r in &prefs {
        // A kind this version does not know (written by a newer one) is ignored.
        if let Some(k) = NotificationKind::parse(&r.try_get::<String, _>(0)?) {
            s.email_off.insert(k);
        }
    }
    Ok(s)
}

/// Inserts `kind` for every user of `orgs` inside the caller's transaction.
async fn insert_for_orgs(
    tx: &mut sqlx::AnyConnection,
    orgs: &[OrgId],
    kind: NotificationKind,
    params: &Params,
    key: &str,
    at: Timestamp,
) -> Result<usize> {
    let json = to_json(params)?;
    let orgs: BTreeSet<&OrgId> = orgs.iter().collect();
    let mut created = 0;
    for org in orgs {
        let users = sqlx::query("SELECT id FROM users WHERE org_id = $1 ORDER BY id")
            .bind(org.as_str())
            .fetch_all(&mut *tx)
            .await?;
        for u in &users {
            let user = UserId::parse(&u.try_get::<String, _>(0)?).map_err(corrupt)?;
            let mails = settings_in(&mut *tx, &user).await?.mails(kind);
            let status = if mails {
                EmailStatus::Pending
            } else {
                EmailStatus::Off
            };
            let id = sqlx::query(
                "INSERT INTO notifications (user_id, kind, params, dedupe_key, created_at, email_status, email_attempts) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING id",
            )
            .bind(user.as_str())
            .bind(kind.as_str())
            .bind(&json)
            .bind(key)
            .bind(micros(at))
            .bind(status.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { continue };
            let id: i64 = id.try_get(0)?;
            created += 1;
            if mails {
                insert_jobs(
                    &mut *tx,
                    &[NewJob {
                        key: format!("{SEND_EMAIL}:{id}"),
                        kind: SEND_EMAIL.to_owned(),
                        payload: serde_json::json!({ "notification": id }),
                        due_at: at,
                    }],
                )
                .await?;
            }
        }
    }
    Ok(created)
}

/// The organisations that play `party` in a complaint: the seller of the
/// listing, or the complainant and the agent that filed for it.
pub fn orgs_of(c: &Complaint, listing: &str, party: Party) -> Vec<OrgId> {
    match party {
        Party::Seller => c
            .items
            .iter()
            .filter(|i| i.listing.as_str() == listing)
            .map(|i| i.seller.clone())
            .collect(),
        Party::Complainant => {
            let mut v = vec![c.complainant.clone()];
            if c.filed_by != c.complainant {
                v.push(c.filed_by.clone());
            }
            v
        }
    }
}

/// What a right is, in a few words: `trademark CN 12345678`.
pub fn right_desc(r: &Right) -> String {
    format!(
        "{} {} {}",
        crate::state_name(&r.kind),
        r.jurisdiction,
        r.registration_number.as_str()
    )
}

async fn load_complaint(tx: &mut sqlx::AnyConnection, id: &str) -> Result<Option<Complaint>> {
    sqlx::query("SELECT body FROM complaints WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| from_json(&r.try_get::<String, _>(0)?, "complaint"))
        .transpose()
}

async fn load_right(tx: &mut sqlx::AnyConnection, id: &str) -> Result<Option<Right>> {
    sqlx::query("SELECT body FROM rights WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| from_json(&r.try_get::<String, _>(0)?, "right"))
        .transpose()
}

async fn org_name(tx: &mut sqlx::AnyConnection, org: &OrgId) -> Result<String> {
    Ok(sqlx::query("SELECT name FROM orgs WHERE id = $1")
        .bind(org.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get::<String, _>(0))
        .transpose()?
        .unwrap_or_else(|| org.as_str().to_owned()))
}

/// Writes the notifications of `event` (audit record `audit_seq`) and
/// schedules the reminder jobs it implies, inside the caller's transaction.
pub(crate) async fn append_notifications(
    tx: &mut sqlx::AnyConnection,
    audit_seq: i64,
    event: &DomainEvent,
) -> Result<()> {
    match &event.subject {
        Subject::Complaint {
            complaint,
            listing: Some(listing),
        } => {
            let intents = intents_of(event);
            let reminder = deadline_reminder_of(event);
            let established = matches!(event.kind, EventKind::ComplaintEstablished);
            // A reversal may take an established violation off the ledger.
            let reversed = matches!(
                event.kind,
                EventKind::InternalComplaintDecided { reversed: true, .. }
            );
            if intents.is_empty() && reminder.is_none() && !established && !reversed {
                return Ok(());
            }
            let Some(c) = load_complaint(&mut *tx, complaint.as_str()).await? else {
                return Ok(());
            };
            let right = load_right(&mut *tx, c.right.as_str()).await?;
            let complainant = org_name(&mut *tx, &c.complainant).await?;
            for intent in intents {
                let party = match intent.to {
                    Recipient::Seller => Party::Seller,
                    Recipient::Complainant | Recipient::RightOwner => Party::Complainant,
                };
                let params = Params {
                    right: Some(c.right.as_str().to_owned()),
                    right_desc: right.as_ref().map(right_desc),
                    complainant: Some(complainant.clone()),
                    reason_code: Some(c.reason.as_str().to_owned()),
                    ..intent.params
                };
                let orgs = orgs_of(&c, listing.as_str(), party);
                let key = format!("evt_{audit_seq}:{}", intent.kind);
                insert_for_orgs(&mut *tx, &orgs, intent.kind, &params, &key, event.at).await?;
            }
            let mut jobs = Vec::new();
            if let Some(r) = reminder {
                jobs.push(NewJob {
                    key: format!(
                        "{REMIND_DEADLINE}:{complaint}:{listing}:{}",
                        r.due.as_microsecond()
                    ),
                    kind: REMIND_DEADLINE.to_owned(),
                    payload: serde_json::json!({
                        "complaint": complaint, "listing": listing, "due": r.due,
                        "party": r.party, "action": r.action,
                    }),
                    due_at: r.at,
                });
            }
            if established || reversed {
                // The store's status may have moved: the app compares it
                // with the one announced (store.frozen, ...).
                for seller in orgs_of(&c, listing.as_str(), Party::Seller) {
                    jobs.push(crate::penalties::sync_job(
                        &seller,
                        &format!("evt_{audit_seq}"),
                        event.at,
                    ));
                }
            }
            if established {
                let seller = orgs_of(&c, listing.as_str(), Party::Seller);
                jobs.push(NewJob {
                    key: format!("{NOTIFY_PENALTY}:{complaint}:{listing}:{audit_seq}"),
                    kind: NOTIFY_PENALTY.to_owned(),
                    payload: serde_json::json!({
                        "complaint": complaint, "listing": listing, "seller": seller.first(),
                    }),
                    due_at: event.at,
                });
            }
            insert_jobs(&mut *tx, &jobs).await?;
        }
        Subject::Right { right } if matches!(event.kind, EventKind::RightVerified) => {
            let Some(r) = load_right(&mut *tx, right.as_str()).await? else {
                return Ok(());
            };
            let Some(until) = r.valid_until else {
                return Ok(());
            };
            let jobs: Vec<NewJob> = right_expiry_reminders(until, event.at)
                .into_iter()
                .map(|(days, at)| NewJob {
                    key: format!("{REMIND_RIGHT_EXPIRY}:{right}:{until}:{days}"),
                    kind: REMIND_RIGHT_EXPIRY.to_owned(),
                    payload: serde_json::json!({
                        "right": right, "valid_until": until, "days": days,
                    }),
                    due_at: at,
                })
                .collect();
            insert_jobs(&mut *tx, &jobs).await?;
        }
        _ => {}
    }
    Ok(())
}

impl NotificationStore for SqlStore {
    async fn notify_orgs(
        &self,
        orgs: &[OrgId],
        kind: NotificationKind,
        params: &Params,
        key: &str,
        at: Timestamp,
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let n = insert_for_orgs(&mut tx, orgs, kind, params, key, at).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn inbox(
        &self,
        user: &UserId,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let filter = if unread_only {
            " AND read_at IS NULL"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = $1{filter} ORDER BY id DESC LIMIT $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.as_str())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(notification_row)
            .collect()
    }

    async fn unread_count(&self, user: &UserId) -> Result<i64> {
        Ok(
            sqlx::query(
                "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
            )
            .bind(user.as_str())
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?,
        )
    }

    async fn mark_read(&self, user: &UserId, ids: Option<&[i64]>, at: Timestamp) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        match ids {
            None => {
                n += sqlx::query(
                    "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
                )
                .bind(micros(at))
                .bind(user.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            Some(ids) => {
                for id in ids {
                    n += sqlx::query(
                        "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND id = $3 AND read_at IS NULL",
                    )
                    .bind(micros(at))
                    .bind(user.as_str())
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
            }
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn notification_settings(&self, user: &UserId) -> Result<NotificationSettings> {
        let mut conn = self.pool.acquire().await?;
        settings_in(&mut conn, user).await
    }

    async fn save_notification_settings(
        &self,
        user: &UserId,
        s: &NotificationSettings,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO notification_settings (user_id, language, email) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, email = excluded.email",
        )
        .bind(user.as_str())
        .bind(s.language.as_str())
        .bind(s.email.as_ref().map(|e| e.as_str().to_owned()))
        .execute(&mut *tx)
        .await?;
        for kind in NotificationKind::ALL {
            sqlx::query(
                "INSERT INTO notification_preferences (user_id, kind, email) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, kind) DO UPDATE SET email = excluded.email",
            )
            .bind(user.as_str())
            .bind(kind.as_str())
            .bind(i64::from(!s.email_off.contains(&kind)))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outgoing_email(&self, id: i64) -> Result<Option<OutgoingEmail>> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notifications WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let notification = notification_row(&row)?;
        let settings = settings_in(&mut conn, &notification.user).await?;
        Ok(Some(OutgoingEmail {
            notification,
            settings,
        }))
    }

    async fn record_email(
        &self,
        id: i64,
        status: EmailStatus,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        let sent = (status == EmailStatus::Sent).then_some(micros(at));
        let attempted = i64::from(matches!(
            status,
            EmailStatus::Sent | EmailStatus::Pending | EmailStatus::Failed
        ));
        sqlx::query(
            "UPDATE notifications SET email_status = $1, email_error = $2, email_sent_at = COALESCE($3, email_sent_at), \
             email_attempts = email_attempts + $4 WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(sent)
        .bind(attempted)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
