//! The transparency report for a period (DSA Art. 15 and 24, and what the
//! platforms publish): notices by type and source, actions by ground, the
//! median time to act, counter-notices and reversals, internal complaints and
//! their outcomes, suspensions.
//!
//! The report is computed from typed records only: the complaints (their
//! reason, who filed them, when) and the audit events ([`DomainEvent`], read
//! back as the enum they were written from), plus the store penalties the
//! penalty rules derive. An event counts in the period `[from, to)` it
//! happened in; a notice counts in the period it was submitted in.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::complaint::Complaint;
use crate::csv::Csv;
use crate::event::{DomainEvent, EventKind, Party, Subject};
use crate::ids::{ComplaintId, ListingId, OrgId};
use crate::penalty::{Penalty, PenaltyKind};

/// A named count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Count {
    /// What is counted (a reason code, a source, a reason for reinstatement).
    pub key: String,
    /// How many.
    pub count: u64,
}

/// Notices received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notices {
    /// Complaints submitted.
    pub complaints: u64,
    /// Listings they named.
    pub listings: u64,
    /// Complaints by reason code (`counterfeit`, `copyright`, ...).
    pub by_type: Vec<Count>,
    /// Complaints by source: `rights_holder` (filed by the holder itself) or
    /// `agent` (filed under a power of attorney).
    pub by_source: Vec<Count>,
}

/// What the platform did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actions {
    /// Listings taken down after a notice, by the notice's ground (law: IP).
    pub takedowns_by_ground: Vec<Count>,
    /// Listing writes held by the keyword blocklist (terms of service, own initiative, automated).
    pub blocklist_holds: u64,
    /// Notices rejected for a listing.
    pub rejected: u64,
    /// Of those, found manifestly unfounded (DSA Art. 23).
    pub manifestly_unfounded: u64,
    /// Listings found outside the right's scope at submission.
    pub out_of_scope: u64,
    /// Notices withdrawn for a listing by the complainant.
    pub withdrawn: u64,
}

/// How fast notices were decided.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeToAct {
    /// Decisions (uphold or reject) taken in the period.
    pub decisions: u64,
    /// Median time from the notice (or its last supplement) to the decision, in hours.
    pub median_hours: Option<f64>,
}

/// Counter-notices and listings put back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CounterNotices {
    /// Filed by sellers.
    pub filed: u64,
    /// Found valid and forwarded to the rights holder.
    pub forwarded: u64,
    /// Found invalid.
    pub rejected: u64,
    /// Rights holders that escalated (lawsuit or administrative complaint).
    pub escalated: u64,
    /// Listings reinstated, all causes.
    pub reinstated: u64,
    /// Reinstatements by cause.
    pub reinstated_by_reason: Vec<Count>,
}

/// Internal complaints against decisions (DSA Art. 20).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InternalComplaints {
    /// Filed by sellers (against takedowns).
    pub filed_by_sellers: u64,
    /// Filed by complainants (against rejections).
    pub filed_by_complainants: u64,
    /// Decided.
    pub decided: u64,
    /// Decided by reversing the decision.
    pub reversed: u64,
    /// Decided by confirming the decision.
    pub confirmed: u64,
}

/// Account measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suspensions {
    /// Stores frozen (repeat infringers).
    pub store_freezes: u64,
    /// Stores closed (repeat infringers).
    pub store_closures: u64,
    /// Warnings given to sellers on a first offence.
    pub seller_warnings: u64,
    /// Notifiers warned under DSA Art. 23.
    pub notifier_warnings: u64,
    /// Notifiers suspended under DSA Art. 23.
    pub notifier_suspensions: u64,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransparencyReport {
    /// Start of the period (inclusive).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub from: Timestamp,
    /// End of the period (exclusive).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub to: Timestamp,
    /// Notices received.
    pub notices: Notices,
    /// Actions taken.
    pub actions: Actions,
    /// Time to act.
    pub time_to_act: TimeToAct,
    /// Counter-notices and reversals.
    pub counter_notices: CounterNotices,
    /// Internal complaints.
    pub internal_complaints: InternalComplaints,
    /// Suspensions.
    pub suspensions: Suspensions,
}

/// What the report is computed from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Start of the period (inclusive).
    pub from: Timestamp,
    /// End of the period (exclusive).
    pub to: Timestamp,
    /// Every complaint an event of the period may concern (more is fine).
    pub complaints: &'a [Complaint],
    /// The audit events, in the order they were recorded (others than the
    /// period's are used only to know when a decision's clock started).
    pub events: &'a [DomainEvent],
    /// Penalties applied to sellers, with the seller.
    pub penalties: &'a [(OrgId, Penalty)],
}

/// Computes the report.
pub fn report(input: ReportInput<'_>) -> TransparencyReport {
    let ReportInput {
        from,
        to,
        complaints,
        events,
        penalties,
    } = input;
    let within = |t: Timestamp| from <= t && t < to;
    let by_id: HashMap<&ComplaintId, &Complaint> = complaints.iter().map(|c| (&c.id, c)).collect();

    let mut notices = Notices::default();
    let mut by_type = BTreeMap::new();
    let mut by_source = BTreeMap::new();
    for c in complaints.iter().filter(|c| within(c.submitted_at)) {
        notices.complaints += 1;
        notices.listings += c.items.len() as u64;
        *by_type.entry(c.reason.as_str().to_owned()).or_insert(0) += 1;
        let source = if c.filed_by == c.complainant {
            "rights_holder"
        } else {
            "agent"
        };
        *by_source.entry(source.to_owned()).or_insert(0) += 1;
    }
    notices.by_type = counts(by_type);
    notices.by_source = counts(by_source);

    let mut actions = Actions::default();
    let mut takedowns = BTreeMap::new();
    let mut cn = CounterNotices::default();
    let mut reinstated = BTreeMap::new();
    let mut ic = InternalComplaints::default();
    let mut sus = Suspensions::default();
    let mut waits: Vec<SignedDuration> = Vec::new();
    // When each listing's review clock last started (submission or supplement).
    let mut clock: HashMap<(&ComplaintId, &ListingId), Timestamp> = HashMap::new();

    // The event before each item's latest, to know what caused a reinstatement:
    // the rules record the cause (a withdrawal, a window expiring, an
    // escalation's outcome, an internal complaint decided) just before it.
    let mut previous: HashMap<(&ComplaintId, &ListingId), &EventKind> = HashMap::new();
    for e in events {
        let item = match &e.subject {
            Subject::Complaint {
                complaint,
                listing: Some(l),
            } => Some((complaint, l)),
            _ => None,
        };
        let cause = item.and_then(|key| previous.insert(key, &e.kind));
        if let (EventKind::EvidenceSupplemented { .. }, Some(key)) = (&e.kind, item) {
            clock.insert(key, e.at);
        }
        if let (EventKind::InternalComplaintDecided { reversed: true, .. }, Some(key)) =
            (&e.kind, item)
        {
            // A reversed rejection goes back to review from here.
            clock.insert(key, e.at);
        }
        if !within(e.at) {
            continue;
        }
        let decided = matches!(
            e.kind,
            EventKind::ItemUpheld { .. } | EventKind::ItemRejected { .. }
        );
        if decided && let Some(key) = item {
            let start = clock
                .get(&key)
                .copied()
                .or_else(|| by_id.get(key.0).map(|c| c.submitted_at));
            if let Some(start) = start {
                waits.push(e.at.duration_since(start));
            }
        }
        match &e.kind {
            EventKind::ItemUpheld { .. } => {
                let ground = item
                    .and_then(|(c, _)| by_id.get(c))
                    .map(|c| c.reason.as_str())
                    .unwrap_or("unknown");
                *takedowns.entry(ground.to_owned()).or_insert(0) += 1;
            }
            EventKind::ItemRejected {
                manifestly_unfounded,
                ..
            } => {
                actions.rejected += 1;
                actions.manifestly_unfounded += u64::from(*manifestly_unfounded);
            }
            EventKind::ItemOutOfScope { .. } => actions.out_of_scope += 1,
            EventKind::ItemWithdrawn { .. } => actions.withdrawn += 1,
            EventKind::ListingHeld { .. } => actions.blocklist_holds += 1,
            EventKind::CounterNoticeSubmitted { .. } => cn.filed += 1,
            EventKind::CounterNoticeForwarded { .. } => cn.forwarded += 1,
            EventKind::CounterNoticeRejected { .. } => cn.rejected += 1,
            EventKind::EscalationRecorded { .. } => cn.escalated += 1,
            EventKind::ListingReinstated { .. } => {
                cn.reinstated += 1;
                *reinstated
                    .entry(reinstatement_cause(cause).to_owned())
                    .or_insert(0) += 1;
            }
            EventKind::InternalComplaintFiled { by, .. } => match by {
                Party::Seller => ic.filed_by_sellers += 1,
                Party::Complainant => ic.filed_by_complainants += 1,
            },
            EventKind::InternalComplaintDecided { reversed, .. } => {
                ic.decided += 1;
                if *reversed {
                    ic.reversed += 1;
                } else {
                    ic.confirmed += 1;
                }
            }
            EventKind::NotifierWarned { .. } => sus.notifier_warnings += 1,
            EventKind::NotifierSuspended { .. } => sus.notifier_suspensions += 1,
            _ => {}
        }
    }
    actions.takedowns_by_ground = counts(takedowns);
    cn.reinstated_by_reason = counts(reinstated);

    for (_, p) in penalties.iter().filter(|(_, p)| within(p.at)) {
        match p.kind {
            PenaltyKind::Warning => sus.seller_warnings += 1,
            PenaltyKind::Freeze { .. } => sus.store_freezes += 1,
            PenaltyKind::Close => sus.store_closures += 1,
        }
    }

    TransparencyReport {
        from,
        to,
        notices,
        actions,
        time_to_act: TimeToAct {
            decisions: waits.len() as u64,
            median_hours: median_hours(&mut waits),
        },
        counter_notices: cn,
        internal_complaints: ic,
        suspensions: sus,
    }
}

/// The cause of a reinstatement, from the event the rules recorded just
/// before it for the same listing.
fn reinstatement_cause(before: Option<&EventKind>) -> &'static str {
    match before {
        Some(EventKind::InternalComplaintDecided { .. }) => "internal_complaint_upheld",
        Some(EventKind::ItemWithdrawn { .. }) => "complaint_withdrawn",
        Some(EventKind::WindowExpired { .. }) => "no_escalation_in_time",
        Some(EventKind::EscalationOutcomeRecorded { .. }) => "escalation_found_no_infringement",
        _ => "other",
    }
}

fn counts(m: BTreeMap<String, u64>) -> Vec<Count> {
    m.into_iter()
        .map(|(key, count)| Count { key, count })
        .collect()
}

fn median_hours(waits: &mut [SignedDuration]) -> Option<f64> {
    if waits.is_empty() {
        return None;
    }
    waits.sort();
    let n = waits.len();
    let secs = if n % 2 == 1 {
        waits[n / 2].as_secs_f64()
    } else {
        (waits[n / 2 - 1].as_secs_f64() + waits[n / 2].as_secs_f64()) / 2.0
    };
    Some((secs / 3600.0 * 100.0).round() / 100.0)
}

impl TransparencyReport {
    /// The report as CSV: one row per figure, `section,metric,key,value`.
    pub fn to_csv(&self) -> String {
        let mut c = Csv::with_header(&["section", "metric", "key", "value"]);
        let mut put = |section: &str, metric: &str, key: &str, value: String| {
            c.row([section, metric, key, &value]);
        };
        put("period", "from", "", self.from.to_string());
        put("period", "to", "", self.to.to_string());
        let n = &self.notices;
        put("notices", "complaints", "", n.complaints.to_string());
        put("notices", "listings", "", n.listings.to_string());
        for x in &n.by_type {
            put("notices", "by_type", &x.key, x.count.to_string());
        }
        for x in &n.by_source {
            put("notices", "by_source", &x.key, x.count.to_string());
        }
        let a = &self.actions;
        for x in &a.takedowns_by_ground {
            put(
                "actions",
                "takedowns_by_ground",
                &x.key,
                x.count.to_string(),
            );
        }
        put(
            "actions",
            "blocklist_holds",
            "",
            a.blocklist_holds.to_string(),
        );
        put("actions", "rejected", "", a.rejected.to_string());
        put(
            "actions",
            "manifestly_unfounded",
            "",
            a.manifestly_unfounded.to_string(),
        );
        put("actions", "out_of_scope", "", a.out_of_scope.to_string());
        put("actions", "withdrawn", "", a.withdrawn.to_string());
        let t = &self.time_to_act;
        put("time_to_act", "decisions", "", t.decisions.to_string());
        put(
            "time_to_act",
            "median_hours",
            "",
            t.median_hours.map(|h| h.to_string()).unwrap_or_default(),
        );
        let k = &self.counter_notices;
        put("counter_notices", "filed", "", k.filed.to_string());
        put("counter_notices", "forwarded", "", k.forwarded.to_string());
        put("counter_notices", "rejected", "", k.rejected.to_string());
        put("counter_notices", "escalated", "", k.escalated.to_string());
        put(
            "counter_notices",
            "reinstated",
            "",
            k.reinstated.to_string(),
        );
        for x in &k.reinstated_by_reason {
            put(
                "counter_notices",
                "reinstated_by_reason",
                &x.key,
                x.count.to_string(),
            );
        }
        let i = &self.internal_complaints;
        put(
            "internal_complaints",
            "filed_by_sellers",
            "",
            i.filed_by_sellers.to_string(),
        );
        put(
            "internal_complaints",
            "filed_by_complainants",
            "",
            i.filed_by_complainants.to_string(),
        );
        put("internal_complaints", "decided", "", i.decided.to_string());
        put(
            "internal_complaints",
            "reversed",
            "",
            i.reversed.to_string(),
        );
        put(
            "internal_complaints",
            "confirmed",
            "",
            i.confirmed.to_string(),
        );
        let s = &self.suspensions;
        put(
            "suspensions",
            "store_freezes",
            "",
            s.store_freezes.to_string(),
        );
        put(
            "suspensions",
            "store_closures",
            "",
            s.store_closures.to_string(),
        );
        put(
            "suspensions",
            "seller_warnings",
            "",
            s.seller_warnings.to_string(),
        );
        put(
            "suspensions",
            "notifier_warnings",
            "",
            s.notifier_warnings.to_string(),
        );
        put(
            "suspensions",
            "notifier_suspensions",
            "",
            s.notifier_suspensions.to_string(),
        );
        c.finish()
    }
}

#[cfg(test)]
#[path = "transparency_tests.rs"]
mod tests;
