//! Reads and staff operations, each checked against the actor.
//!
//! Every organisation sees only its own data; an object the actor may not
//! see is answered with [`AppError::NotFound`], exactly as if it did not
//! exist, so ids cannot be probed. Operations reserved to a role (the review
//! queue, audit verification, running jobs by hand) refuse other roles with
//! [`RuleError::Forbidden`]: the operation's existence is no secret.

use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::ids::{OrgId, RightId};
use rightsguard_domain::penalty::Standing;
use rightsguard_domain::right::Right;
use rightsguard_domain::rule::RuleError;
use rightsguard_store::{AuditReport, QueueEntry, Store};

use crate::{App, AppError, Result};

pub(crate) fn require(actor: &Actor, roles: &[Role], command: &'static str) -> Result<()> {
    if roles.contains(&actor.role) {
        Ok(())
    } else {
        Err(RuleError::Forbidden {
            role: actor.role,
            command,
        }
        .into())
    }
}

impl<S: Store> App<S> {
    /// A right, if the actor may see it: its owner (or the owner's agent) and staff.
    pub async fn right_visible_to(&self, actor: &Actor, id: &RightId) -> Result<Right> {
        let not_found = || AppError::NotFound(format!("right {id}"));
        let right = self.store().right(id).await?.ok_or_else(not_found)?.value;
        if actor.is_staff()
            || actor.role == Role::System
            || actor.acts_for_rights_holder(&right.owner)
        {
            Ok(right)
        } else {
            Err(not_found())
        }
    }

    /// The review queue, earliest due first: staff only.
    pub async fn review_queue_for(&self, actor: &Actor, limit: i64) -> Result<Vec<QueueEntry>> {
        require(
            actor,
            &[Role::Reviewer, Role::Admin],
            "see the review queue",
        )?;
        Ok(self.store().review_queue(limit.clamp(1, 1000)).await?)
    }

    /// A seller's standing, for that seller and staff; anyone else is told
    /// the seller does not exist.
    pub async fn standing_visible_to(&self, actor: &Actor, seller: &OrgId) -> Result<Standing> {
        let own = actor.role == Role::Seller && &actor.org == seller;
        if !(own || actor.is_staff()) {
            return Err(AppError::NotFound(format!("seller {seller}")));
        }
        self.seller_standing(seller).await
    }

    /// Checks the audit chain: admins only.
    pub async fn verify_audit_as(
        &self,
        actor: &Actor,
        anchor: Option<(i64, String)>,
    ) -> Result<AuditReport> {
        require(actor, &[Role::Admin], "verify the audit log")?;
        Ok(self.store().verify_audit(anchor).await?)
    }

    /// Refuses anyone but an admin (for operations outside the app, such as
    /// moving a manual clock).
    pub fn require_admin(&self, actor: &Actor, command: &'static str) -> Result<()> {
        require(actor, &[Role::Admin], command)
    }
}

impl<
    S: Store
        + rightsguard_store::listings::ListingStore
        + rightsguard_store::findings::FindingStore
        + rightsguard_store::notifications::NotificationStore
        + rightsguard_store::customs::CustomsStore
        + rightsguard_store::penalties::PenaltyStore,
> App<S>
{
    /// Runs due jobs on an admin's request (tests and operations drive the
    /// timers explicitly with it).
    pub async fn run_due_jobs_as(
        &self,
        actor: &Actor,
        worker: &str,
        limit: i64,
    ) -> Result<crate::JobCounts> {
        require(actor, &[Role::Admin], "run jobs")?;
        self.run_due_jobs(worker, limit).await
    }
}

/// A complaint as `actor` may see it: a seller sees only its own listings of
/// a complaint that names several sellers' (which other listings were
/// reported is none of its business); everyone else who may see the
/// complaint sees it whole.
pub fn complaint_as_seen_by(
    actor: &Actor,
    mut c: rightsguard_domain::complaint::Complaint,
) -> rightsguard_domain::complaint::Complaint {
    if actor.role == Role::Seller {
        c.items.retain(|i| i.seller == actor.org);
        c.evidence_flags.retain(|f| f.seller == actor.org);
    }
    c
}
