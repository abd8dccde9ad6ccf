//! Notifications to people: the inbox, the settings, and the jobs that mail
//! and remind.
//!
//! Notifications are created by storage in the transaction of the event
//! that causes them (see `rightsguard_store::notifications`), or here, by a
//! reminder job that fires later and finds its deadline still standing. This
//! module reads the inbox in the user's language and runs those jobs:
//!
//! - `send_email` mails one notification through SMTP ([`Mailer`], lettre's
//!   async tokio transport). At least once: a crash after the server
//!   accepted the message but before the outcome was stored sends it again,
//!   with the same `Message-ID` (`<rg-ntf-ID-CREATED@DOMAIN>`), so a
//!   duplicate is recognisable. A failure is retried with backoff (30 s,
//!   1 min, 2 min, ... at most an hour apart) until [`EMAIL_MAX_ATTEMPTS`];
//!   a permanent refusal (SMTP 5xx) is given up at once. Without an SMTP
//!   server configured the job records `skipped`: the inbox has it.
//! - `remind_deadline`, `notify_penalty`, `remind_right_expiry` check that
//!   what they remind of still holds, then notify; a re-run inserts nothing
//!   twice (each has a key unique per user).

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::event::Party;
use rightsguard_domain::ids::{ComplaintId, OrgId, RightId, UserId};
use rightsguard_domain::notification::{
    DeadlineAction, NotificationKind, Params, Rendered, render,
};
use rightsguard_domain::penalty::PenaltyKind;
use rightsguard_domain::right::RightState;
use rightsguard_domain::rule::RuleError;
use rightsguard_store::notifications::{
    EmailStatus, Notification, NotificationSettings, NotificationStore, orgs_of, right_desc,
};
use rightsguard_store::{Job, Store};
use serde::Deserialize;

use crate::{App, AppError, Result};

/// Sending attempts before an e-mail is given up (about a day and a half at
/// the backoff's pace).
pub const EMAIL_MAX_ATTEMPTS: i64 = 40;
/// The first retry of a failed e-mail comes this long after the failure.
pub const EMAIL_FIRST_RETRY: SignedDuration = SignedDuration::from_secs(30);
/// Retries are never further apart than this.
pub const EMAIL_MAX_RETRY_GAP: SignedDuration = SignedDuration::from_hours(1);
/// The most notifications one inbox page shows.
pub const MAX_INBOX_PAGE: i64 = 500;

/// When to retry an e-mail after failed attempt `attempt` (1-based) at `now`.
pub fn email_retry_at(attempt: i64, now: Timestamp) -> Timestamp {
    let shift = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(19);
    let gap = EMAIL_FIRST_RETRY
        .checked_mul(1 << shift)
        .unwrap_or(EMAIL_MAX_RETRY_GAP)
        .min(EMAIL_MAX_RETRY_GAP);
    now.checked_add(gap).unwrap_or(now)
}

/// Why the mailer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    /// The SMTP URL does not parse.
    #[error("SMTP URL: {0}")]
    Url(#[from] lettre::transport::smtp::Error),
    /// The sender address does not parse.
    #[error("sender address {0:?}: {1}")]
    From(String, lettre::address::AddressError),
}

/// The SMTP connection notifications are mailed through.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds credentials: never print it.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Why one e-mail was not sent.
#[derive(Debug)]
struct SendError {
    message: String,
    permanent: bool,
}

impl Mailer {
    /// A mailer for `url` (`smtp://host:port` plain, `smtp://...?tls=required`
    /// for STARTTLS, `smtps://user:pass@host` for TLS; see lettre's
    /// `from_url`) sending as `from` (`Name <addr>` or `addr`). Connections
    /// time out after 10 s.
    pub fn new(url: &str, from: &str) -> Result<Self, MailerError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| MailerError::From(from.to_owned(), e))?;
        let domain = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    /// The `Message-ID` of a notification's e-mail: the same on every
    /// attempt, unique per notification.
    pub fn message_id(&self, n: &Notification) -> String {
        format!(
            "<rg-ntf-{}-{}@{}>",
            n.id,
            n.created_at.as_microsecond(),
            self.domain
        )
    }

    async fn send(
        &self,
        n: &Notification,
        to: &str,
        text: &Rendered,
        at: Timestamp,
    ) -> Result<(), SendError> {
        let fail = |message: String| SendError {
            message,
            permanent: true,
        };
        let to: lettre::Address = to
            .parse()
            .map_err(|e| fail(format!("address {to:?}: {e}")))?;
        let date = std::time::UNIX_EPOCH
            + Duration::from_micros(u64::try_from(at.as_microsecond()).unwrap_or(0));
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(text.subject.clone())
            .message_id(Some(self.message_id(n)))
            .date(date)
            .header(ContentType::TEXT_PLAIN)
            .body(text.body.clone())
            .map_err(|e| fail(format!("message: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: crate::webhooks::error_chain(&e),
            })
    }
}

/// A notification with its words in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxEntry {
    /// The notification.
    pub notification: Notification,
    /// Its words.
    pub text: Rendered,
}

fn user_of(actor: &Actor) -> Result<&UserId> {
    actor.user.as_ref().ok_or_else(|| {
        RuleError::Forbidden {
            role: actor.role,
            command: "read an inbox (only a person has one)",
        }
        .into()
    })
}

#[derive(Deserialize)]
struct DeadlinePayload {
    complaint: ComplaintId,
    listing: String,
    due: Timestamp,
    party: Party,
    action: DeadlineAction,
}

#[derive(Deserialize)]
struct PenaltyPayload {
    complaint: ComplaintId,
    listing: String,
    seller: Option<OrgId>,
}

#[derive(Deserialize)]
struct ExpiryPayload {
    right: RightId,
    valid_until: jiff::civil::Date,
    days: i64,
}

fn payload<T: for<'de> Deserialize<'de>>(job: &Job) -> Result<T> {
    serde_json::from_value(job.payload.clone())
        .map_err(|e| AppError::NotFound(format!("job {} payload: {e}", job.key)))
}

impl<S: Store + NotificationStore> App<S> {
    /// Mails notifications through `mailer` (without one, e-mails are
    /// recorded as skipped and only the inbox has them).
    pub fn with_mailer(mut self, mailer: Mailer) -> Self {
        self.mailer = Some(Arc::new(mailer));
        self
    }

    /// The actor's notifications, newest first, in the actor's language.
    pub async fn inbox(
        &self,
        actor: &Actor,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<InboxEntry>> {
        let user = user_of(actor)?;
        let lang = self.store().notification_settings(user).await?.language;
        let rows = self
            .store()
            .inbox(user, unread_only, limit.clamp(1, MAX_INBOX_PAGE))
            .await?;
        Ok(rows
            .into_iter()
            .map(|n| InboxEntry {
                text: render(n.kind, &n.params, lang),
                notification: n,
            })
            .collect())
    }

    /// How many of the actor's notifications are unread (0 for the system).
    pub async fn unread_count(&self, actor: &Actor) -> Result<i64> {
        match &actor.user {
            Some(u) => Ok(self.store().unread_count(u).await?),
            None => Ok(0),
        }
    }

    /// Marks the actor's notifications read (`ids`, or all); returns how many changed.
    pub async fn mark_read(&self, actor: &Actor, ids: Option<&[i64]>) -> Result<u64> {
        let user = user_of(actor)?;
        Ok(self.store().mark_read(user, ids, self.now()).await?)
    }

    /// The actor's notification settings.
    pub async fn notification_settings(&self, actor: &Actor) -> Result<NotificationSettings> {
        Ok(self.store().notification_settings(user_of(actor)?).await?)
    }

    /// Saves the actor's notification settings.
    pub async fn set_notification_settings(
        &self,
        actor: &Actor,
        settings: &NotificationSettings,
    ) -> Result<NotificationSettings> {
        let user = user_of(actor)?;
        self.store()
            .save_notification_settings(user, settings)
            .await?;
        Ok(self.store().notification_settings(user).await?)
    }

    /// Runs a `send_email` job; `Some(at)` when it must be retried then.
    pub(crate) async fn run_send_email(&self, job: &Job) -> Result<Option<Timestamp>> {
        let id = job
            .payload
            .get("notification")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| AppError::NotFound(format!("job {}: no notification", job.key)))?;
        let Some(out) = self.store().outgoing_email(id).await? else {
            return Ok(None);
        };
        let n = &out.notification;
        if n.email_status != EmailStatus::Pending {
            // Sent by an earlier run that died before completing the job, or off.
            return Ok(None);
        }
        let now = self.now();
        let record = |status, error: Option<String>| async move {
            self.store()
                .record_email(id, status, error.as_deref(), now)
                .await
        };
        let Some(mailer) = &self.mailer else {
            record(
                EmailStatus::Skipped,
                Some("no SMTP server configured".into()),
            )
            .await?;
            return Ok(None);
        };
        // The user may have turned e-mail off (or removed the address) since.
        let (Some(to), true) = (&out.settings.email, out.settings.mails(n.kind)) else {
            record(EmailStatus::Off, None).await?;
            return Ok(None);
        };
        let text = render(n.kind, &n.params, out.settings.language);
        match mailer.send(n, to.as_str(), &text, now).await {
            Ok(()) => {
                record(EmailStatus::Sent, None).await?;
                Ok(None)
            }
            Err(e) if e.permanent || job.attempts >= EMAIL_MAX_ATTEMPTS => {
                tracing::warn!(notification = id, error = %e.message, "e-mail given up");
                record(EmailStatus::Failed, Some(e.message)).await?;
                Ok(None)
            }
            Err(e) => {
                tracing::info!(notification = id, attempt = job.attempts, error = %e.message, "e-mail not sent; will retry");
                record(EmailStatus::Pending, Some(e.message)).await?;
                Ok(Some(email_retry_at(job.attempts, now)))
            }
        }
    }

    /// Reminds whoever must act of a deadline 24 hours away, if it still stands.
    pub(crate) async fn run_remind_deadline(&self, job: &Job) -> Result<()> {
        let p: DeadlinePayload = payload(job)?;
        let Some(c) = self.store().complaint(&p.complaint).await? else {
            return Ok(());
        };
        let c = c.value;
        let still = c
            .items
            .iter()
            .any(|i| i.listing.as_str() == p.listing && i.next_deadline() == Some(p.due));
        if !still {
            return Ok(());
        }
        let params = Params {
            complaint: Some(c.id.as_str().to_owned()),
            listing: Some(p.listing.clone()),
            right: Some(c.right.as_str().to_owned()),
            reason_code: Some(c.reason.as_str().to_owned()),
            due: Some(p.due),
            action: Some(p.action),
            ..Params::default()
        };
        let key = format!("deadline:{}:{}:{}", c.id, p.listing, p.due.as_microsecond());
        self.store()
            .notify_orgs(
                &orgs_of(&c, &p.listing, p.party),
                NotificationKind::DeadlineSoon,
                &params,
                &key,
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// Tells the seller the penalty an established complaint brought, if any.
    pub(crate) async fn run_notify_penalty(&self, job: &Job) -> Result<()> {
        let p: PenaltyPayload = payload(job)?;
        let Some(seller) = p.seller else {
            return Ok(());
        };
        let standing = self.seller_standing(&seller).await?;
        let Some(penalty) = standing
            .penalties
            .iter()
            .find(|x| x.complaint == p.complaint && x.listing.as_str() == p.listing)
        else {
            // Points only, or reversed since: nothing applied to tell of.
            return Ok(());
        };
        let reason = self
            .store()
            .complaint(&p.complaint)
            .await?
            .map(|c| c.value.reason.as_str().to_owned());
        let (name, until) = match penalty.kind {
            PenaltyKind::Warning => ("warning", None),
            PenaltyKind::Freeze { until } => ("freeze", Some(until)),
            PenaltyKind::Close => ("close", None),
        };
        let params = Params {
            complaint: Some(p.complaint.as_str().to_owned()),
            listing: Some(p.listing.clone()),
            reason_code: reason,
            penalty: Some(name.to_owned()),
            until,
            points: Some(standing.general_points),
            strikes: Some(standing.serious_strikes),
            ..Params::default()
        };
        let key = format!(
            "penalty:{}:{}:{}",
            p.complaint,
            p.listing,
            penalty.at.as_microsecond()
        );
        self.store()
            .notify_orgs(
                &[seller],
                NotificationKind::PenaltyApplied,
                &params,
                &key,
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// Reminds a holder that a right expires soon, if it is still verified
    /// with the same end date.
    pub(crate) async fn run_remind_right_expiry(&self, job: &Job) -> Result<()> {
        let p: ExpiryPayload = payload(job)?;
        let Some(r) = self.store().right(&p.right).await? else {
            return Ok(());
        };
        let r = r.value;
        if r.state != RightState::Verified || r.valid_until != Some(p.valid_until) {
            return Ok(());
        }
        let params = Params {
            right: Some(r.id.as_str().to_owned()),
            right_desc: Some(right_desc(&r)),
            valid_until: Some(p.valid_until),
            days: Some(p.days),
            ..Params::default()
        };
        let key = format!("right_expiry:{}:{}:{}", r.id, p.valid_until, p.days);
        self.store()
            .notify_orgs(
                std::slice::from_ref(&r.owner),
                NotificationKind::RightExpiring,
                &params,
                &key,
                self.now(),
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_retries_back_off_to_an_hour() {
        let t0: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
        let gap = |n| email_retry_at(n, t0).duration_since(t0).as_secs();
        assert_eq!([gap(1), gap(2), gap(3)], [30, 60, 120]);
        assert_eq!(gap(8), 3600);
        assert_eq!(gap(EMAIL_MAX_ATTEMPTS), 3600);
    }

    #[test]
    fn the_message_id_is_stable_and_names_the_notification() {
        let m = Mailer::new("smtp://127.0.0.1:2525", "rightsguard <noreply@rg.example>").unwrap();
        let n = Notification {
            id: 7,
            user: UserId::parse("sam").unwrap(),
            kind: NotificationKind::DeadlineSoon,
            params: Params::default(),
            created_at: "2026-03-09T00:00:00Z".parse().unwrap(),
            read_at: None,
            email_status: EmailStatus::Pending,
            email_attempts: 0,
            email_error: None,
            email_sent_at: None,
        };
        assert_eq!(m.message_id(&n), m.message_id(&n.clone()));
        assert!(m.message_id(&n).starts_with("<rg-ntf-7-"));
        assert!(m.message_id(&n).ends_with("@rg.example>"));
        assert!(Mailer::new("smtp://127.0.0.1:2525", "not an address").is_err());
    }
}
