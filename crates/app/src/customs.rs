//! Customs recordals (GACC): recording a right's recordal and its renewals,
//! and reminding the holder before one lapses.
//!
//! The rules are [`rightsguard_domain::customs`]; here they meet storage and
//! time. Who may see a right's recordals is who may see the right (its
//! holder, the holder's agent, staff); anyone else is told the right does
//! not exist. Recording needs the holder's side or an admin.
//!
//! The reminder is a durable job written in the same transaction as the
//! recordal or its renewal, due at the start of the reminder day (the
//! policy's `rights.customs_reminder_months` before the lapse, by default
//! the 6-month renewal window) in the site calendar's time zone. When it
//! fires it checks that the recordal still ends on that day (a renewal in
//! between schedules its own reminder and makes this one moot) and notifies
//! the users of the right's owner, once each.

use jiff::Timestamp;
use jiff::civil::Date;
use rightsguard_domain::actor::Actor;
use rightsguard_domain::customs::{self, CustomsRecordal};
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::ids::RightId;
use rightsguard_domain::notification::{NotificationKind, Params};
use rightsguard_domain::right::RightState;
use rightsguard_store::customs::{CustomsStore, REMIND_CUSTOMS_LAPSE};
use rightsguard_store::notifications::{NotificationStore, right_desc};
use rightsguard_store::{Job, NewJob, Store, StoreError};
use serde::Deserialize;

use crate::{App, AppError, RETRIES, Result};

#[derive(Deserialize)]
struct LapsePayload {
    right: RightId,
    number: String,
    valid_until: Date,
    days: i64,
}

impl<S: Store + CustomsStore + NotificationStore> App<S> {
    /// The reminder job of `rec`: at the start of its reminder day in the
    /// calendar's zone, or at once if that has passed.
    fn lapse_reminder(&self, rec: &CustomsRecordal, now: Timestamp) -> NewJob {
        let day = rec.reminder_on(self.policy().rights.customs_reminder_months);
        let at = day
            .to_zoned(self.calendar().time_zone().clone())
            .map(|z| z.timestamp())
            .unwrap_or(now)
            .max(now);
        let from = self.calendar().local_date(at).max(day);
        let days = i64::from((rec.valid_until - from).get_days());
        NewJob {
            key: format!("{REMIND_CUSTOMS_LAPSE}:{}:{}", rec.number, rec.valid_until),
            kind: REMIND_CUSTOMS_LAPSE.to_owned(),
            payload: serde_json::json!({
                "right": rec.right, "number": rec.number,
                "valid_until": rec.valid_until, "days": days,
            }),
            due_at: at,
        }
    }

    /// Records that customs approved recordal `number` of right `id` on
    /// `approved_on`; schedules the reminder before it lapses.
    pub async fn record_customs_recordal(
        &self,
        actor: &Actor,
        id: &RightId,
        number: &str,
        approved_on: Date,
    ) -> Result<CustomsRecordal> {
        let right = self.right_visible_to(actor, id).await?;
        customs::may_record(actor, &right)?;
        let now = self.now();
        let rec = customs::record(&right, number, approved_on, self.calendar().local_date(now))?;
        let event = DomainEvent::right(
            right.id.clone(),
            actor,
            now,
            EventKind::CustomsRecordalRecorded {
                number: rec.number.clone(),
                approved_on: rec.approved_on,
                valid_until: rec.valid_until,
                capped_by_right: rec.capped_by_right,
            },
        );
        let job = self.lapse_reminder(&rec, now);
        self.store()
            .create_customs_recordal(&rec, &[event], &[job])
            .await?;
        Ok(rec)
    }

    /// The recordals of right `id`, by number, for whoever may see the right.
    pub async fn customs_recordals(
        &self,
        actor: &Actor,
        id: &RightId,
    ) -> Result<Vec<CustomsRecordal>> {
        self.right_visible_to(actor, id).await?;
        Ok(self.store().customs_recordals_of(id).await?)
    }

    /// Records that customs renewed recordal `number` of right `id` on
    /// `renewed_on`; schedules the reminder of the new term.
    pub async fn renew_customs_recordal(
        &self,
        actor: &Actor,
        id: &RightId,
        number: &str,
        renewed_on: Date,
    ) -> Result<CustomsRecordal> {
        let right = self.right_visible_to(actor, id).await?;
        customs::may_record(actor, &right)?;
        let not_found = || AppError::NotFound(format!("customs recordal {number} of right {id}"));
        for _ in 0..RETRIES {
            let loaded = self
                .store()
                .customs_recordal(number.trim())
                .await?
                .filter(|r| &r.value.right == id)
                .ok_or_else(not_found)?;
            let now = self.now();
            let rec = loaded
                .value
                .renew(&right, renewed_on, self.calendar().local_date(now))?;
            let event = DomainEvent::right(
                right.id.clone(),
                actor,
                now,
                EventKind::CustomsRecordalRenewed {
                    number: rec.number.clone(),
                    renewed_on,
                    valid_until: rec.valid_until,
                    capped_by_right: rec.capped_by_right,
                },
            );
            let job = self.lapse_reminder(&rec, now);
            match self
                .store()
                .save_customs_recordal(&rec, loaded.version, &[event], &[job])
                .await
            {
                Ok(_) => return Ok(rec),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("customs recordal {number}")))
    }

    /// Reminds the holder that a recordal lapses soon, if it still ends on
    /// the day the job was scheduled for and the right is still verified.
    pub(crate) async fn run_remind_customs_lapse(&self, job: &Job) -> Result<()> {
        let p: LapsePayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| AppError::NotFound(format!("job {} payload: {e}", job.key)))?;
        let Some(rec) = self.store().customs_recordal(&p.number).await? else {
            return Ok(());
        };
        let rec = rec.value;
        let today = self.calendar().local_date(self.now());
        if rec.right != p.right || rec.valid_until != p.valid_until || today > rec.valid_until {
            return Ok(());
        }
        let Some(right) = self.store().right(&p.right).await? else {
            return Ok(());
        };
        let right = right.value;
        if right.state != RightState::Verified {
            return Ok(());
        }
        let params = Params {
            right: Some(right.id.as_str().to_owned()),
            right_desc: Some(right_desc(&right)),
            recordal: Some(rec.number.clone()),
            valid_until: Some(rec.valid_until),
            days: Some(p.days),
            ..Params::default()
        };
        let key = format!("customs_lapse:{}:{}", rec.number, rec.valid_until);
        self.store()
            .notify_orgs(
                std::slice::from_ref(&right.owner),
                NotificationKind::CustomsRecordalLapsing,
                &params,
                &key,
                self.now(),
            )
            .await?;
        Ok(())
    }
}
