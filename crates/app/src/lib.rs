//! Use cases: the one place where the rules meet storage and time.
//!
//! Every use case has the same shape: load the object, ask the rules
//! ([`rightsguard_domain`]) for a transition with `now` from the injected
//! [`Clock`], then store the new state, its audit events and the deadline jobs
//! it implies in **one transaction**. A lost race (someone saved the object
//! in between) reloads and re-applies, so the rules always judge the latest
//! state. HTTP handlers, the CLI and workers all call these functions; none of
//! them talks to the store or the rules on its own.
//!
//! Deadlines are durable jobs. Whenever a complaint is saved, each listing's
//! next deadline becomes a job keyed by complaint, listing and due time, so
//! re-scheduling is idempotent. [`App::run_due_jobs`] claims due jobs with a
//! lease and sends `ExpireWindow` as the system. A worker that dies mid-job
//! leaves its lease to run out; the next worker re-runs the job, and the rules
//! refuse a second expiry of the same window, so an effect is never doubled
//! and never lost.

use std::sync::{Arc, Mutex};

mod access;
mod accounts;
mod clearance;
mod customs;
mod dead_letters;
mod dossier;
pub mod egress;
mod escalation;
mod evidence;
mod exports;
mod findings;
pub mod idempotency;
mod images;
mod import;
mod listings;
pub mod notifications;
pub mod notifiers;
mod penalties;
pub mod web;
pub mod webhooks;

pub use access::complaint_as_seen_by;
pub use accounts::{AuthError, IssuedToken, Secret};
pub use clearance::ClearanceHit;
pub use dossier::Dossier;
pub use escalation::{DocumentDetail, EscalationPackage, ProceedingDetail};
pub use evidence::Uploaded;
pub use exports::StatementPage;
pub use findings::{
    ComplaintFiled, DEFAULT_PARTITION_SIZE, DispatchFuture, ListingImageHashes, RESCAN_HOLDER,
    SCAN_LISTING, ScanDispatch, ScanIndex, WorkDone, WorkItem, describe_transform,
};
pub use idempotency::{Answer, IdempotencyError, IdempotencyKey, Rendered};
pub use images::{ImageFile, ListingImageHashed};
pub use import::{ImportCache, ImportOutcome, RightImport};
pub use listings::{Blocklist, MAX_PAGE};
pub use rightsguard_detect::clearance::Reason as ClearanceReason;

use jiff::{SignedDuration, Timestamp};
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::calendar::Calendar;
use rightsguard_domain::complaint::{Complaint, ComplaintCommand, Ctx, SubmitComplaint};
use rightsguard_domain::ids::{ComplaintId, ListingId, OrgId, RightId};
use rightsguard_domain::penalty::{Standing, assess, violations_of};
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightCommand, RightState, certificate_conflicts};
use rightsguard_domain::rule::{RuleError, Transition};
use rightsguard_store::customs::{self as customs_store, CustomsStore};
use rightsguard_store::findings::FindingStore;
use rightsguard_store::listings::ListingStore;
use rightsguard_store::notifications::{self as notes, NotificationStore};
use rightsguard_store::penalties::{PenaltyStore, SYNC_STORE_STATUS};
use rightsguard_store::{NewJob, Store, StoreError};

/// Where the current time comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of the wall clock
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that moves only when told: for tests, demos and `--clock manual`.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward (a negative span is refused: time does not go back).
    pub fn advance(&self, by: SignedDuration) -> Timestamp {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if by.is_positive() {
            *t = t.checked_add(by).unwrap_or(Timestamp::MAX);
        }
        *t
    }

    /// Sets the clock to `at` if that is not in the past.
    pub fn set(&self, at: Timestamp) -> Timestamp {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t = (*t).max(at);
        *t
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The rules refused the command.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// No such object, or not visible to the actor (the same answer, on purpose).
    #[error("not found: {0}")]
    NotFound(String),
    /// The object kept changing under us.
    #[error("busy: {0} changed concurrently too often; try again")]
    Busy(String),
    /// The account cannot be created or may not act this way.
    #[error(transparent)]
    Account(#[from] rightsguard_domain::account::AccountError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An evidence file was refused or could not be read.
    #[error(transparent)]
    Evidence(#[from] rightsguard_store::evidence::EvidenceError),
    /// An uploaded image cannot be used: not an image, a format the engine
    /// does not decode, hostile (over the size, dimension or memory limits),
    /// or too flat to hash; the decoder's reason.
    #[error("not a usable image: {0}")]
    Image(String),
    /// An evidence dossier could not be made (rendering or packaging failed).
    #[error("evidence dossier: {0}")]
    Dossier(String),
    /// A keyed request is a reused key or still in flight.
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    /// The notifier is suspended under DSA Art. 23: its notices are not
    /// processed until `until`.
    #[error(
        "notifier {notifier} is suspended until {until} for abusive notices (DSA Art. 23); notices are refused until then"
    )]
    NotifierSuspended {
        /// The notifier.
        notifier: OrgId,
        /// End of the suspension.
        until: Timestamp,
    },
}

/// Shorthand.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Jobs finished by one run, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Complaint windows expired (or found already moot).
    pub expired_windows: usize,
    /// Notifier assessments.
    pub assessments: usize,
    /// Listing scans and rescans of a rights holder (monitoring).
    pub scans: usize,
    /// Notification jobs: e-mails sent (or given up), reminders and penalty notices.
    pub notifications: usize,
    /// Store statuses compared with the one announced (store.frozen, ...).
    pub store_statuses: usize,
}

impl JobCounts {
    /// All jobs finished.
    pub fn total(&self) -> usize {
        self.expired_windows
            + self.assessments
            + self.scans
            + self.notifications
            + self.store_statuses
    }
}

/// The kind of job that expires a complaint listing's window.
pub const EXPIRE_WINDOW: &str = "expire_window";

/// How often a use case re-applies after losing a race.
pub(crate) const RETRIES: usize = 5;

/// The application: a store, a clock, and one site's policy and calendar.
#[derive(Debug, Clone)]
pub struct App<S> {
    store: S,
    clock: Arc<dyn Clock>,
    policy: Arc<Policy>,
    calendar: Calendar,
    platform: OrgId,
    evidence: Option<Arc<rightsguard_store::evidence::EvidenceStore>>,
    inflight: idempotency::InFlight,
    gate: Arc<listings::ListingGate>,
    monitor: Arc<findings::Monitor>,
    mailer: Option<Arc<notifications::Mailer>>,
    egress: egress::EgressPolicy,
}

impl<S: Store> App<S> {
    /// Builds the application for one site.
    pub fn new(store: S, clock: Arc<dyn Clock>, policy: Policy, platform: OrgId) -> Result<Self> {
        let calendar = Calendar::builtin(&policy.calendar)
            .map_err(|e| AppError::NotFound(format!("calendar of policy {}: {e}", policy.name)))?;
        Ok(Self {
            store,
            clock,
            policy: Arc::new(policy),
            calendar,
            platform,
            evidence: None,
            inflight: Default::default(),
            gate: Arc::default(),
            monitor: Arc::default(),
            mailer: None,
            egress: egress::EgressPolicy::default(),
        })
    }

    /// Sets where webhooks may be sent besides public addresses.
    pub fn with_egress(mut self, egress: egress::EgressPolicy) -> Self {
        self.egress = egress;
        self
    }

    /// Where webhooks may be sent.
    pub fn egress(&self) -> &egress::EgressPolicy {
        &self.egress
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The system actor: timers, and the operator's CLI acting on the
    /// database directly.
    pub fn system_actor(&self) -> Actor {
        Actor::system(self.platform.clone())
    }

    /// The site's policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The site's calendar.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            policy: &self.policy,
            calendar: &self.calendar,
        }
    }

    /// Registers a right, pending verification. A certificate another owner
    /// already registered is refused.
    pub async fn register_right(&self, actor: &Actor, mut right: Right) -> Result<Right> {
        if !matches!(actor.role, Role::RightsHolder | Role::Agent)
            || !actor.acts_for_rights_holder(&right.owner)
        {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "register a right for this owner",
            }
            .into());
        }
        right.state = RightState::Pending;
        for c in right
            .certificates
            .iter()
            .chain(right.cn_extension_certificate.iter())
        {
            let others = self.store.rights_with_certificate(c).await?;
            if let Some(conflict) = certificate_conflicts(&right, &others).first() {
                return Err(RuleError::Invalid(format!(
                    "certificate {} is already registered by another owner (right {})",
                    conflict.certificate, conflict.other_right
                ))
                .into());
            }
        }
        self.store.create_right(&right, &[]).await?;
        Ok(right)
    }

    /// Submits a complaint on a right; schedules nothing yet (review has an
    /// SLA clock, not a state-changing deadline).
    pub async fn submit_complaint(&self, actor: &Actor, cmd: SubmitComplaint) -> Result<Complaint> {
        let right = self.store.right(&cmd.right).await?;
        let right = right
            .ok_or_else(|| AppError::NotFound(format!("right {}", cmd.right)))?
            .value;
        self.refuse_if_suspended(&right.owner).await?;
        let t = self.submission(cmd, &right, actor).await?;
        self.store
            .save_complaint(&t.state, None, &t.events, &deadline_jobs(&t.state))
            .await?;
        Ok(t.state)
    }

    /// A complaint as submitted by the rules, with its evidence checked
    /// against where each file was first seen on the site
    /// ([`Complaint::flag_sellers_own_images`]). Every way of filing goes
    /// through here.
    async fn submission(
        &self,
        cmd: SubmitComplaint,
        right: &Right,
        actor: &Actor,
    ) -> Result<Transition<Complaint>> {
        let mut t = Complaint::submit(cmd, right, actor, self.now(), self.ctx())?;
        let sightings = self.store.first_sightings(&t.state.evidence).await?;
        Complaint::flag_sellers_own_images(&mut t, &sightings, right, actor);
        Ok(t)
    }

    /// Applies a command to one listing of a complaint.
    pub async fn act_on_complaint(
        &self,
        actor: &Actor,
        id: &ComplaintId,
        cmd: &ComplaintCommand,
    ) -> Result<Complaint> {
        for _ in 0..RETRIES {
            let loaded = self.complaint_visible_to(actor, id).await?;
            let now = self.now();
            let t = loaded.value.apply(cmd, actor, now, self.ctx())?;
            let jobs = command_jobs(&t.state, loaded.version + 1, now);
            match self
                .store
                .save_complaint(&t.state, Some(loaded.version), &t.events, &jobs)
                .await
            {
                Ok(_) => return Ok(t.state),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("complaint {id}")))
    }

    /// Loads a complaint if the actor may see it: staff and the system see all,
    /// the complainant (or its agent) its own, a seller those naming its
    /// listings. Anyone else gets `NotFound`, as if it did not exist.
    pub async fn complaint_visible_to(
        &self,
        actor: &Actor,
        id: &ComplaintId,
    ) -> Result<rightsguard_store::Versioned<Complaint>> {
        let not_found = || AppError::NotFound(format!("complaint {id}"));
        let loaded = self.store.complaint(id).await?.ok_or_else(not_found)?;
        let c = &loaded.value;
        let visible = match actor.role {
            Role::Reviewer | Role::Admin | Role::System => true,
            Role::RightsHolder | Role::Agent => actor.acts_for_rights_holder(&c.complainant),
            Role::Seller => c.items.iter().any(|i| i.seller == actor.org),
        };
        if visible {
            Ok(loaded)
        } else {
            Err(not_found())
        }
    }

    async fn expire_window(&self, system: &Actor, payload: &serde_json::Value) -> Result<()> {
        let field = |k: &str| {
            payload
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let id = ComplaintId::parse(&field("complaint"))
            .map_err(|e| AppError::NotFound(e.to_string()))?;
        let listing =
            ListingId::parse(&field("listing")).map_err(|e| AppError::NotFound(e.to_string()))?;
        self.act_on_complaint(system, &id, &ComplaintCommand::ExpireWindow { listing })
            .await
            .map(|_| ())
    }

    async fn assess_job_run(&self, payload: &serde_json::Value) -> Result<()> {
        let org = payload
            .get("notifier")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let org = OrgId::parse(org).map_err(|e| AppError::NotFound(e.to_string()))?;
        self.assess_notifier(&org).await.map(|_| ())
    }

    /// A seller's penalty standing now, from every complaint against it.
    pub async fn seller_standing(&self, seller: &OrgId) -> Result<Standing> {
        let violations: Vec<_> = self
            .store
            .complaints_against(seller)
            .await?
            .iter()
            .flat_map(|c| violations_of(c, seller))
            .collect();
        Ok(assess(
            &violations,
            self.now(),
            &self.policy,
            &self.calendar,
        ))
    }
}

impl<S: Store + ListingStore + FindingStore + NotificationStore + CustomsStore + PenaltyStore>
    App<S>
{
    /// Verifies, rejects, revokes or expires a right.
    pub async fn act_on_right(
        &self,
        actor: &Actor,
        id: &RightId,
        cmd: &RightCommand,
    ) -> Result<Right> {
        for _ in 0..RETRIES {
            let loaded = self
                .store
                .right(id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("right {id}")))?;
            let now = self.now();
            let t = loaded
                .value
                .apply(cmd, actor, now, self.calendar.local_date(now))?;
            match self
                .store
                .save_right(&t.state, loaded.version, &t.events)
                .await
            {
                Ok(_) => {
                    self.right_changed(&loaded.value, &t.state).await?;
                    return Ok(t.state);
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("right {id}")))
    }

    /// Runs due jobs as worker `worker`, up to `limit`; returns how many it
    /// finished, by kind. Jobs whose window is already gone (the listing moved
    /// on) finish as no-ops. Call it from a timer loop or, in tests, directly.
    pub async fn run_due_jobs(&self, worker: &str, limit: i64) -> Result<JobCounts> {
        let now = self.now();
        let lease = SignedDuration::from_secs(300);
        let jobs = self.store.claim_due_jobs(now, worker, lease, limit).await?;
        let system = Actor::system(self.platform.clone());
        let mut done = JobCounts::default();
        for job in jobs {
            let outcome = match job.kind.as_str() {
                EXPIRE_WINDOW => self.expire_window(&system, &job.payload).await,
                notifiers::ASSESS_NOTIFIER => self.assess_job_run(&job.payload).await,
                findings::SCAN_LISTING => self.run_scan_listing(&job.key, &job.payload).await,
                findings::RESCAN_HOLDER => self.run_rescan_holder(&job.payload).await,
                notes::SEND_EMAIL => match self.run_send_email(&job).await {
                    Ok(Some(retry)) => {
                        // Not sent: back off; the job keeps its attempt count.
                        self.store
                            .fail_job(job.id, worker, "e-mail not sent", retry)
                            .await?;
                        continue;
                    }
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                },
                notes::REMIND_DEADLINE => self.run_remind_deadline(&job).await,
                notes::NOTIFY_PENALTY => self.run_notify_penalty(&job).await,
                notes::REMIND_RIGHT_EXPIRY => self.run_remind_right_expiry(&job).await,
                customs_store::REMIND_CUSTOMS_LAPSE => self.run_remind_customs_lapse(&job).await,
                SYNC_STORE_STATUS => self.run_sync_store_status(&job.payload).await,
                // A kind this version does not know (scheduled by a newer
                // one): leave it for a worker that does, rather than drop it.
                other => Err(AppError::Busy(format!(
                    "job kind {other} is unknown to this worker"
                ))),
            };
            match outcome {
                Ok(()) | Err(AppError::Rule(_)) | Err(AppError::NotFound(_)) => {
                    // Applied, or moot: the rules refused because the window
                    // is no longer open (already expired, or the case moved on).
                    if self.store.complete_job(job.id, worker, now).await? {
                        match job.kind.as_str() {
                            EXPIRE_WINDOW => done.expired_windows += 1,
                            findings::SCAN_LISTING | findings::RESCAN_HOLDER => done.scans += 1,
                            notes::SEND_EMAIL
                            | notes::REMIND_DEADLINE
                            | notes::NOTIFY_PENALTY
                            | notes::REMIND_RIGHT_EXPIRY
                            | customs_store::REMIND_CUSTOMS_LAPSE => done.notifications += 1,
                            SYNC_STORE_STATUS => done.store_statuses += 1,
                            _ => done.assessments += 1,
                        }
                    }
                }
                Err(e) => {
                    let retry = now
                        .checked_add(SignedDuration::from_secs(60))
                        .unwrap_or(now);
                    self.store
                        .fail_job(job.id, worker, &e.to_string(), retry)
                        .await?;
                }
            }
        }
        Ok(done)
    }
}

/// The jobs of a complaint saved at `version` after a command: its
/// deadlines, and an assessment of its complainant, whose accuracy may have
/// moved (scheduled in the command's transaction, so it is never lost).
pub fn command_jobs(c: &Complaint, version: i64, now: Timestamp) -> Vec<NewJob> {
    let mut jobs = deadline_jobs(c);
    jobs.push(notifiers::assess_job(c, version, now));
    jobs
}

/// The jobs a saved complaint needs: one per listing with an open window,
/// keyed so that saving again never schedules twice.
pub fn deadline_jobs(c: &Complaint) -> Vec<NewJob> {
    c.items
        .iter()
        .filter_map(|i| {
            i.next_deadline().map(|due| NewJob {
                key: format!(
                    "{EXPIRE_WINDOW}:{}:{}:{}",
                    c.id,
                    i.listing,
                    due.as_microsecond()
                ),
                kind: EXPIRE_WINDOW.to_owned(),
                payload: serde_json::json!({"complaint": c.id, "listing": i.listing}),
                due_at: due,
            })
        })
        .collect()
}
