//! Escalation proceedings outside the platform: an administrative complaint
//! to a market-regulation bureau (AMR), a lawsuit, or a customs recordal,
//! recorded against a complaint with their filing and their outcome.
//!
//! A complaint's own `RecordEscalation` command (the 15-day window of
//! E-Commerce Law Art. 43) only says *that* the holder escalated, and moves
//! the listing. A proceeding is the record of the case file itself: which
//! authority, under which reference, filed when, decided when and how. It
//! changes no listing; it is what an escalation package exports, and the
//! audit log keeps every version of it.
//!
//! One proceeding per (complaint, route, reference): recording the same
//! again replaces it (typically to add the outcome), and the audit log keeps
//! what it said before.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::complaint::Complaint;
use crate::customs::CustomsRecordal;
use crate::event::{DomainEvent, EventKind};
use crate::ids::ComplaintId;
use crate::rule::{RuleError, Transition};

/// The longest authority name or reference accepted, in characters.
pub const MAX_TEXT: usize = 200;

/// Where a case was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// A complaint to the local market-regulation bureau (AMR).
    AdministrativeComplaint,
    /// A lawsuit before a court.
    Lawsuit,
    /// A recordal with customs (GACC), so goods are stopped at the border.
    CustomsRecordal,
}

impl Route {
    /// Every route.
    pub const ALL: [Route; 3] = [
        Self::AdministrativeComplaint,
        Self::Lawsuit,
        Self::CustomsRecordal,
    ];

    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AdministrativeComplaint => "administrative_complaint",
            Self::Lawsuit => "lawsuit",
            Self::CustomsRecordal => "customs_recordal",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// How a proceeding ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The authority found infringement (or customs approved the recordal).
    InfringementFound,
    /// The authority found none (or customs refused the recordal).
    NoInfringement,
    /// The parties settled.
    Settled,
    /// The holder withdrew.
    Withdrawn,
}

/// One proceeding of a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proceeding {
    /// The complaint it escalates.
    pub complaint: ComplaintId,
    /// Where.
    pub route: Route,
    /// The authority: the bureau, the court, the customs office.
    pub authority: String,
    /// Its case number (for a customs recordal: the recordal number).
    pub reference: String,
    /// When it was filed.
    pub filed_on: Date,
    /// How it ended, once decided.
    pub outcome: Option<Outcome>,
    /// When it was decided.
    pub decided_on: Option<Date>,
}

/// What the holder (or staff) records of a proceeding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordProceeding {
    /// Where.
    pub route: Route,
    /// The authority.
    pub authority: String,
    /// Its case number.
    pub reference: String,
    /// When it was filed.
    pub filed_on: Date,
    /// How it ended, if decided.
    pub outcome: Option<Outcome>,
    /// When it was decided (with `outcome`).
    pub decided_on: Option<Date>,
}

fn text(s: &str, field: &str) -> Result<String, RuleError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(RuleError::Invalid(format!("{field} is required")));
    }
    if t.chars().count() > MAX_TEXT || t.chars().any(char::is_control) {
        return Err(RuleError::Invalid(format!(
            "{field} must be at most {MAX_TEXT} characters of printable text"
        )));
    }
    Ok(t.to_owned())
}

/// Who may record a proceeding of complaint `c`: the complainant (or its
/// agent) and staff; a seller is refused. (Who may see the complaint at all
/// is the caller's check, before this one.)
pub fn may_record(actor: &Actor, c: &Complaint) -> Result<(), RuleError> {
    if actor.acts_for_rights_holder(&c.complainant)
        || matches!(actor.role, Role::Reviewer | Role::Admin | Role::System)
    {
        Ok(())
    } else {
        Err(RuleError::Forbidden {
            role: actor.role,
            command: "record an escalation proceeding",
        })
    }
}

/// Records a proceeding of complaint `c` on `today` (at `now`). A customs
/// recordal must name one of `recordals` (the right's, stored first).
pub fn record(
    cmd: RecordProceeding,
    c: &Complaint,
    recordals: &[CustomsRecordal],
    actor: &Actor,
    today: Date,
    now: Timestamp,
) -> Result<Transition<Proceeding>, RuleError> {
    may_record(actor, c)?;
    let authority = text(&cmd.authority, "authority")?;
    let reference = text(&cmd.reference, "reference")?;
    if cmd.filed_on > today {
        return Err(RuleError::Invalid(format!(
            "filed_on {} is in the future (today is {today})",
            cmd.filed_on
        )));
    }
    match (cmd.outcome, cmd.decided_on) {
        (None, None) => {}
        (Some(_), Some(d)) if d < cmd.filed_on => {
            return Err(RuleError::Invalid(format!(
                "decided_on {d} is before filed_on {}",
                cmd.filed_on
            )));
        }
        (Some(_), Some(d)) if d > today => {
            return Err(RuleError::Invalid(format!(
                "decided_on {d} is in the future (today is {today})"
            )));
        }
        (Some(_), Some(_)) => {}
        (Some(_), None) => {
            return Err(RuleError::Invalid(
                "decided_on is required with an outcome".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(RuleError::Invalid(
                "outcome is required with decided_on".into(),
            ));
        }
    }
    if cmd.route == Route::CustomsRecordal
        && !recordals
            .iter()
            .any(|r| r.number == reference && r.right == c.right)
    {
        return Err(RuleError::Invalid(format!(
            "reference {reference} is no customs recordal of right {}: record the recordal first",
            c.right
        )));
    }
    let p = Proceeding {
        complaint: c.id.clone(),
        route: cmd.route,
        authority,
        reference,
        filed_on: cmd.filed_on,
        outcome: cmd.outcome,
        decided_on: cmd.decided_on,
    };
    let event = DomainEvent::complaint(
        c.id.clone(),
        None,
        actor,
        now,
        EventKind::EscalationProceedingRecorded {
            route: p.route,
            authority: p.authority.clone(),
            reference: p.reference.clone(),
            filed_on: p.filed_on,
            outcome: p.outcome,
            decided_on: p.decided_on,
        },
    );
    Ok(Transition {
        state: p,
        events: vec![event],
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ids::{OrgId, UserId};
    use jiff::civil::date;

    fn complaint() -> Complaint {
        serde_json::from_value(serde_json::json!({
            "id": "C1", "complainant": "acme", "filed_by": "acme", "right": "tm-1",
            "reason": "counterfeit", "evidence": [], "items": [],
            "submitted_at": "2026-03-01T00:00:00Z",
        }))
        .unwrap()
    }

    fn cmd(route: Route) -> RecordProceeding {
        RecordProceeding {
            route,
            authority: " Hangzhou AMR ".into(),
            reference: "HZ-2026-1".into(),
            filed_on: date(2026, 3, 5),
            outcome: None,
            decided_on: None,
        }
    }

    fn holder() -> Actor {
        Actor::rights_holder(OrgId::parse("acme").unwrap(), UserId::parse("u").unwrap())
    }

    const TODAY: Date = date(2026, 4, 1);

    fn now() -> Timestamp {
        "2026-04-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_filing_then_its_outcome_are_recorded_with_an_audit_event() {
        let c = complaint();
        let t = record(
            cmd(Route::AdministrativeComplaint),
            &c,
            &[],
            &holder(),
            TODAY,
            now(),
        )
        .unwrap();
        assert_eq!(t.state.authority, "Hangzhou AMR");
        assert_eq!(t.events.len(), 1);
        let decided = RecordProceeding {
            outcome: Some(Outcome::InfringementFound),
            decided_on: Some(date(2026, 3, 30)),
            ..cmd(Route::AdministrativeComplaint)
        };
        let t = record(decided, &c, &[], &holder(), TODAY, now()).unwrap();
        assert_eq!(t.state.outcome, Some(Outcome::InfringementFound));
    }

    #[test]
    fn bad_dates_and_half_outcomes_are_refused_with_the_field() {
        let c = complaint();
        let go = |cmd| {
            record(cmd, &c, &[], &holder(), TODAY, now())
                .unwrap_err()
                .to_string()
        };
        let e = go(RecordProceeding {
            filed_on: date(2026, 4, 2),
            ..cmd(Route::Lawsuit)
        });
        assert!(e.contains("filed_on"), "{e}");
        let e = go(RecordProceeding {
            outcome: Some(Outcome::Settled),
            ..cmd(Route::Lawsuit)
        });
        assert!(e.contains("decided_on is required"), "{e}");
        let e = go(RecordProceeding {
            outcome: Some(Outcome::Settled),
            decided_on: Some(date(2026, 3, 1)),
            ..cmd(Route::Lawsuit)
        });
        assert!(e.contains("before filed_on"), "{e}");
        let e = go(RecordProceeding {
            authority: "  ".into(),
            ..cmd(Route::Lawsuit)
        });
        assert!(e.contains("authority is required"), "{e}");
    }

    #[test]
    fn a_customs_proceeding_names_a_stored_recordal_of_the_right() {
        let c = complaint();
        let e = record(
            cmd(Route::CustomsRecordal),
            &c,
            &[],
            &holder(),
            TODAY,
            now(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("record the recordal first"), "{e}");
        let recordal = CustomsRecordal {
            right: c.right.clone(),
            number: "HZ-2026-1".into(),
            approved_on: date(2026, 3, 1),
            renewed_on: None,
            valid_until: date(2036, 3, 1),
            capped_by_right: false,
        };
        assert!(
            record(
                cmd(Route::CustomsRecordal),
                &c,
                &[recordal],
                &holder(),
                TODAY,
                now()
            )
            .is_ok()
        );
    }

    #[test]
    fn a_seller_may_not_record() {
        let seller = Actor::seller(OrgId::parse("s1").unwrap(), UserId::parse("s").unwrap());
        let e = record(
            cmd(Route::Lawsuit),
            &complaint(),
            &[],
            &seller,
            TODAY,
            now(),
        )
        .unwrap_err();
        assert!(matches!(e, RuleError::Forbidden { .. }));
        let reviewer = Actor::reviewer(OrgId::parse("p").unwrap(), UserId::parse("r").unwrap());
        assert!(
            record(
                cmd(Route::Lawsuit),
                &complaint(),
                &[],
                &reviewer,
                TODAY,
                now()
            )
            .is_ok()
        );
    }
}
