//! Notifier accuracy and DSA Art. 23 measures against abusive notifiers.
//!
//! A notifier that files many notices of which most are refused as
//! manifestly unfounded goes through the steps of the rules
//! ([`AbuseCase`]): a warning, then (if it goes on) a case awaiting a human
//! decision, then, if staff so decide, a suspension with an end during which
//! its notices are refused ([`AppError::NotifierSuspended`]).
//!
//! When it is assessed: every command on a complaint schedules an
//! `assess_notifier` job for its complainant **in the transaction of the
//! command** ([`assess_job`]), so a decision can never be stored without the
//! assessment it calls for, even if the process dies right after; the job
//! runner then calls [`App::assess_notifier`]. Assessing twice is harmless:
//! the rules take a step only when the figures call for one. The figures
//! themselves are never stored; they are computed from the complaints.

use jiff::{SignedDuration, Timestamp};
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::ids::OrgId;
use rightsguard_domain::notifier::{AbuseCase, AbuseCommand, Accuracy, accuracy, records_of};
use rightsguard_store::notifiers::StoredNotifierCase;
use rightsguard_store::{NewJob, Store, StoreError};

use crate::access::require;
use crate::{App, AppError, RETRIES, Result};

/// The kind of job that assesses a notifier after a command on one of its complaints.
pub const ASSESS_NOTIFIER: &str = "assess_notifier";

/// The job that assesses `c`'s complainant once `c` is saved at `version`
/// (the key makes one job per saved version).
pub fn assess_job(c: &Complaint, version: i64, now: Timestamp) -> NewJob {
    NewJob {
        key: format!("{ASSESS_NOTIFIER}:{}:{}:{version}", c.complainant, c.id),
        kind: ASSESS_NOTIFIER.to_owned(),
        payload: serde_json::json!({ "notifier": c.complainant.as_str() }),
        due_at: now,
    }
}

/// A notifier's figures and case.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifierRecord {
    /// The notifier.
    pub notifier: OrgId,
    /// Over the policy's rolling window ending now.
    pub accuracy: Accuracy,
    /// The Art. 23 case.
    pub case: AbuseCase,
}

impl<S: Store> App<S> {
    fn window_start(&self, now: Timestamp) -> Timestamp {
        let days = i64::from(self.policy().notifiers.window_days);
        now.checked_sub(SignedDuration::from_hours(days * 24))
            .unwrap_or(Timestamp::MIN)
    }

    async fn figures(&self, notifier: &OrgId, since: Option<Timestamp>) -> Result<Accuracy> {
        let now = self.now();
        let start = self.window_start(now);
        let from = since.map_or(start, |s| s.max(start));
        let records: Vec<_> = self
            .store()
            .complaints_by(notifier, from)
            .await?
            .iter()
            .flat_map(records_of)
            .collect();
        Ok(accuracy(&records, now, since, self.policy()))
    }

    /// A notifier's accuracy figures and case: for staff, and for the
    /// notifier itself (or its agent); anyone else is told it does not exist.
    pub async fn notifier_record(&self, actor: &Actor, notifier: &OrgId) -> Result<NotifierRecord> {
        let own = actor.acts_for_rights_holder(notifier);
        if !(own || actor.is_staff() || actor.role == Role::System) {
            return Err(AppError::NotFound(format!("notifier {notifier}")));
        }
        let case = self
            .store()
            .notifier_case(notifier)
            .await?
            .map_or(AbuseCase::Clear, |v| v.value);
        Ok(NotifierRecord {
            notifier: notifier.clone(),
            accuracy: self.figures(notifier, None).await?,
            case,
        })
    }

    /// The Art. 23 cases that are not clear, awaiting a decision first: staff only.
    pub async fn open_notifier_cases(&self, actor: &Actor) -> Result<Vec<StoredNotifierCase>> {
        require(
            actor,
            &[Role::Reviewer, Role::Admin],
            "see the Art. 23 cases",
        )?;
        Ok(self.store().open_notifier_cases().await?)
    }

    /// Looks at a notifier's fresh figures and takes the step they call for
    /// (a warning, a referral for decision), ending a suspension or a warning
    /// whose time is up first. Returns the case as it now stands.
    pub async fn assess_notifier(&self, notifier: &OrgId) -> Result<AbuseCase> {
        let system = self.system_actor();
        for _ in 0..RETRIES {
            let loaded = self.store().notifier_case(notifier).await?;
            let (mut case, version) =
                loaded.map_or((AbuseCase::Clear, None), |v| (v.value, Some(v.version)));
            let before = case;
            let now = self.now();
            let mut events = Vec::new();
            // A step whose time is up ends first (too early is no error here).
            if matches!(case, AbuseCase::Suspended { .. } | AbuseCase::Warned { .. })
                && let Ok(t) =
                    case.apply(notifier, &AbuseCommand::Expire, &system, now, self.policy())
            {
                case = t.state;
                events.extend(t.events);
            }
            let figures = self.figures(notifier, case.watch_since()).await?;
            let t = case.apply(
                notifier,
                &AbuseCommand::Assess {
                    accuracy: figures.overall,
                },
                &system,
                now,
                self.policy(),
            )?;
            case = t.state;
            events.extend(t.events);
            if case == before && events.is_empty() {
                return Ok(case);
            }
            match self
                .store()
                .save_notifier_case(notifier, &case, version, now, &events)
                .await
            {
                Ok(_) => return Ok(case),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("notifier {notifier}")))
    }

    /// Staff decide a case awaiting decision: suspend the notifier for the
    /// policy's term, or dismiss the case; a reason is required.
    pub async fn decide_notifier_case(
        &self,
        actor: &Actor,
        notifier: &OrgId,
        suspend: bool,
        reason: &str,
    ) -> Result<AbuseCase> {
        require(
            actor,
            &[Role::Reviewer, Role::Admin],
            "decide an Art. 23 case",
        )?;
        for _ in 0..RETRIES {
            let loaded = self.store().notifier_case(notifier).await?;
            let (case, version) =
                loaded.map_or((AbuseCase::Clear, None), |v| (v.value, Some(v.version)));
            let now = self.now();
            let cmd = AbuseCommand::Decide {
                suspend,
                reason: reason.to_owned(),
            };
            let t = case.apply(notifier, &cmd, actor, now, self.policy())?;
            match self
                .store()
                .save_notifier_case(notifier, &t.state, version, now, &t.events)
                .await
            {
                Ok(_) => return Ok(t.state),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("notifier {notifier}")))
    }

    /// Refuses a new notice from a suspended notifier.
    pub(crate) async fn refuse_if_suspended(&self, notifier: &OrgId) -> Result<()> {
        let now = self.now();
        match self.store().notifier_case(notifier).await? {
            Some(v) if v.value.is_suspended(now) => match v.value {
                AbuseCase::Suspended { until } => Err(AppError::NotifierSuspended {
                    notifier: notifier.clone(),
                    until,
                }),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }
}
