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
//!
//! A proceeding carries its documents (the filed complaint, the court's
//! judgment, customs' approval): evidence files by SHA-256, each with a
//! short label. Documents accumulate: recording the proceeding again adds
//! the documents it names to those it had (a judgment arrives months after
//! the filing), and naming a document it already has changes only its
//! label. None is ever removed, so no version of the case file loses a
//! document the parties were shown. Whether the recorder may use a file is
//! the app's check (it needs the evidence records), before this one.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::complaint::Complaint;
use crate::customs::CustomsRecordal;
use crate::event::{DomainEvent, EventKind};
use crate::ids::{ComplaintId, Sha256};
use crate::rule::{RuleError, Transition};

/// The longest authority name or reference accepted, in characters.
pub const MAX_TEXT: usize = 200;
/// The most documents one proceeding carries.
pub const MAX_DOCUMENTS: usize = 20;
/// The longest document label accepted, in characters.
pub const MAX_LABEL: usize = 100;

/// A document of a proceeding: an evidence file and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// The evidence file.
    pub sha256: Sha256,
    /// What it is ("filed complaint", "court judgment", "customs approval").
    pub label: String,
}

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
    /// Its documents, in the order they were first recorded (absent from
    /// rows stored before proceedings carried documents).
    #[serde(default)]
    pub documents: Vec<Document>,
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
    /// Documents to add (or relabel, by hash).
    #[serde(default)]
    pub documents: Vec<Document>,
}

fn text(s: &str, field: &str) -> Result<String, RuleError> {
    bounded(s, field, MAX_TEXT)
}

fn bounded(s: &str, field: &str, max: usize) -> Result<String, RuleError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(RuleError::Invalid(format!("{field} is required")));
    }
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(RuleError::Invalid(format!(
            "{field} must be at most {max} characters of printable text"
        )));
    }
    Ok(t.to_owned())
}

/// The documents of a proceeding once `added` are recorded on top of
/// `had`: a new hash is appended, a known one relabelled (see the module
/// doc). Refused with the field named: an empty or over-long label, or more
/// than [`MAX_DOCUMENTS`] in all.
pub fn merge_documents(had: &[Document], added: &[Document]) -> Result<Vec<Document>, RuleError> {
    let mut out = had.to_vec();
    for (i, d) in added.iter().enumerate() {
        let label = bounded(&d.label, &format!("documents[{i}].label"), MAX_LABEL)?;
        match out.iter_mut().find(|o| o.sha256 == d.sha256) {
            Some(o) => o.label = label,
            None => out.push(Document {
                sha256: d.sha256,
                label,
            }),
        }
    }
    if out.len() > MAX_DOCUMENTS {
        return Err(RuleError::Invalid(format!(
            "documents: a proceeding carries at most {MAX_DOCUMENTS} documents ({} with these)",
            out.len()
        )));
    }
    Ok(out)
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

/// Records a proceeding of complaint `c` on `today` (at `now`), on top of
/// `previous` (the stored one with the same route and reference, whose
/// documents it keeps). A customs recordal must name one of `recordals`
/// (the right's, stored first).
pub fn record(
    cmd: RecordProceeding,
    c: &Complaint,
    recordals: &[CustomsRecordal],
    previous: Option<&Proceeding>,
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
    let had = previous
        .filter(|p| p.complaint == c.id && p.route == cmd.route && p.reference == reference)
        .map(|p| p.documents.as_slice())
        .unwrap_or_default();
    let documents = merge_documents(had, &cmd.documents)?;
    let p = Proceeding {
        complaint: c.id.clone(),
        route: cmd.route,
        authority,
        reference,
        filed_on: cmd.filed_on,
        outcome: cmd.outcome,
        decided_on: cmd.decided_on,
        documents,
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
            documents: p.documents.clone(),
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
            documents: Vec::new(),
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
            None,
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
        let t = record(decided, &c, &[], None, &holder(), TODAY, now()).unwrap();
        assert_eq!(t.state.outcome, Some(Outcome::InfringementFound));
    }

    #[test]
    fn bad_dates_and_half_outcomes_are_refused_with_the_field() {
        let c = complaint();
        let go = |cmd| {
            record(cmd, &c, &[], None, &holder(), TODAY, now())
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
            None,
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
                None,
                &holder(),
                TODAY,
                now()
            )
            .is_ok()
        );
    }

    fn doc(n: u8, label: &str) -> Document {
        Document {
            sha256: Sha256::parse(&format!("{n:02x}").repeat(32)).unwrap(),
            label: label.into(),
        }
    }

    #[test]
    fn documents_accumulate_by_hash_and_a_known_one_is_relabelled() {
        let c = complaint();
        let first = RecordProceeding {
            documents: vec![doc(1, " filed complaint ")],
            ..cmd(Route::Lawsuit)
        };
        let t = record(first, &c, &[], None, &holder(), TODAY, now()).unwrap();
        assert_eq!(t.state.documents, [doc(1, "filed complaint")]);
        match &t.events[0].kind {
            EventKind::EscalationProceedingRecorded { documents, .. } => {
                assert_eq!(documents, &t.state.documents);
            }
            k => panic!("{k:?}"),
        }
        let later = RecordProceeding {
            documents: vec![doc(2, "court judgment"), doc(1, "complaint as filed")],
            ..cmd(Route::Lawsuit)
        };
        let t2 = record(later, &c, &[], Some(&t.state), &holder(), TODAY, now()).unwrap();
        assert_eq!(
            t2.state.documents,
            [doc(1, "complaint as filed"), doc(2, "court judgment")]
        );
        // Recording without documents keeps them.
        let t3 = record(
            cmd(Route::Lawsuit),
            &c,
            &[],
            Some(&t2.state),
            &holder(),
            TODAY,
            now(),
        )
        .unwrap();
        assert_eq!(t3.state.documents.len(), 2);
    }

    #[test]
    fn too_many_documents_or_a_bad_label_are_refused_with_the_field() {
        let c = complaint();
        let many: Vec<Document> = (0..=MAX_DOCUMENTS as u8).map(|n| doc(n, "page")).collect();
        let e = record(
            RecordProceeding {
                documents: many,
                ..cmd(Route::Lawsuit)
            },
            &c,
            &[],
            None,
            &holder(),
            TODAY,
            now(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("documents: a proceeding carries at most 20"),
            "{e}"
        );
        for label in ["  ", &"x".repeat(MAX_LABEL + 1), "a\nb"] {
            let e = record(
                RecordProceeding {
                    documents: vec![doc(1, "ok"), doc(2, label)],
                    ..cmd(Route::Lawsuit)
                },
                &c,
                &[],
                None,
                &holder(),
                TODAY,
                now(),
            )
            .unwrap_err()
            .to_string();
            assert!(e.contains("documents[1].label"), "{e}");
        }
    }

    #[test]
    fn a_row_stored_before_documents_still_reads() {
        let p: Proceeding = serde_json::from_value(serde_json::json!({
            "complaint": "C1", "route": "lawsuit", "authority": "court",
            "reference": "R1", "filed_on": "2026-03-01", "outcome": null, "decided_on": null,
        }))
        .unwrap();
        assert!(p.documents.is_empty());
    }

    #[test]
    fn a_seller_may_not_record() {
        let seller = Actor::seller(OrgId::parse("s1").unwrap(), UserId::parse("s").unwrap());
        let e = record(
            cmd(Route::Lawsuit),
            &complaint(),
            &[],
            None,
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
                None,
                &reviewer,
                TODAY,
                now()
            )
            .is_ok()
        );
    }
}
