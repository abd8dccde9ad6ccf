//! Property tests: random command sequences through the complaint machine,
//! checked against a small reference model and against the invariants of
//! DESIGN.md:
//!
//! - the machine accepts exactly what the model accepts, and lands in the
//!   state the model predicts;
//! - every accepted command emits at least one audit event about this
//!   complaint, stamped `now`;
//! - a listing is down iff its state says so, and the take-down and
//!   reinstatement events agree with that;
//! - nothing counts against the seller unless the complaint is established
//!   (so never while a counter-notice is pending);
//! - nothing changes after a final state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::collections::BTreeSet;

use jiff::{Timestamp, ToSpan};
use proptest::prelude::*;
use rightsguard_domain::actor::Actor;
use rightsguard_domain::calendar::Calendar;
use rightsguard_domain::complaint::{
    Complaint, ComplaintCommand, Ctx, Decision, ItemState, ListingRef, ReasonCode, SubmitComplaint,
};
use rightsguard_domain::event::{EscalationKind, EventKind, Subject};
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::penalty::violations_of;
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightKind, RightState};

fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn user(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Holder,
    Seller,
    OtherSeller,
    Reviewer1,
    Reviewer2,
    System,
}

impl Who {
    fn actor(self) -> Actor {
        match self {
            Who::Holder => Actor::rights_holder(org("acme"), user("alice")),
            Who::Seller => Actor::seller(org("shop1"), user("sam")),
            Who::OtherSeller => Actor::seller(org("shop2"), user("sid")),
            Who::Reviewer1 => Actor::reviewer(org("platform"), user("rita")),
            Who::Reviewer2 => Actor::reviewer(org("platform"), user("reza")),
            Who::System => Actor::system(org("platform")),
        }
    }
}

#[derive(Debug, Clone)]
enum Cmd {
    Uphold,
    Reject(bool),
    Supplement,
    Withdraw,
    CounterNotice,
    DecideCounter(bool),
    ConfirmDelivery,
    Escalate,
    Outcome(bool),
    Expire,
    Appeal,
    DecideAppeal(bool),
}

impl Cmd {
    fn to_command(&self) -> ComplaintCommand {
        let listing = ListingId::parse("L1").unwrap();
        let ev = vec![Sha256::from_bytes([3; 32])];
        match self {
            Cmd::Uphold => ComplaintCommand::Decide {
                listing,
                decision: Decision::Uphold,
            },
            Cmd::Reject(m) => ComplaintCommand::Decide {
                listing,
                decision: Decision::Reject {
                    reason: "insufficient".into(),
                    manifestly_unfounded: *m,
                },
            },
            Cmd::Supplement => ComplaintCommand::Supplement {
                listing,
                evidence: ev,
            },
            Cmd::Withdraw => ComplaintCommand::Withdraw { listing },
            Cmd::CounterNotice => ComplaintCommand::FileCounterNotice {
                listing,
                statement: "genuine".into(),
                evidence: ev,
            },
            Cmd::DecideCounter(v) => ComplaintCommand::DecideCounterNotice {
                listing,
                valid: *v,
                reason: "checked".into(),
            },
            Cmd::ConfirmDelivery => ComplaintCommand::ConfirmDelivery { listing },
            Cmd::Escalate => ComplaintCommand::RecordEscalation {
                listing,
                kind: EscalationKind::Lawsuit,
                reference: "case 1".into(),
            },
            Cmd::Outcome(f) => ComplaintCommand::RecordEscalationOutcome {
                listing,
                infringement_found: *f,
            },
            Cmd::Expire => ComplaintCommand::ExpireWindow { listing },
            Cmd::Appeal => ComplaintCommand::FileInternalComplaint {
                listing,
                grounds: "wrong decision".into(),
            },
            Cmd::DecideAppeal(r) => ComplaintCommand::DecideInternalComplaint {
                listing,
                reverse: *r,
                reason: "reviewed".into(),
            },
        }
    }
}

fn cmd_strategy() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        3 => Just(Cmd::Uphold),
        1 => any::<bool>().prop_map(Cmd::Reject),
        1 => Just(Cmd::Supplement),
        1 => Just(Cmd::Withdraw),
        4 => Just(Cmd::CounterNotice),
        4 => any::<bool>().prop_map(Cmd::DecideCounter),
        2 => Just(Cmd::ConfirmDelivery),
        2 => Just(Cmd::Escalate),
        2 => any::<bool>().prop_map(Cmd::Outcome),
        2 => Just(Cmd::Expire),
        2 => Just(Cmd::Appeal),
        2 => any::<bool>().prop_map(Cmd::DecideAppeal),
    ]
}

/// Mostly the party a command is meant for (so sequences get deep), sometimes
/// anyone (so refusals are exercised).
fn step_strategy() -> impl Strategy<Value = (Cmd, Who, i64)> {
    let advance = prop_oneof![4 => 0i64..72, 1 => 0i64..(24 * 60)];
    (
        cmd_strategy(),
        0u8..10,
        who_strategy(),
        any::<bool>(),
        advance,
    )
        .prop_map(|(cmd, pick, anyone, flip, adv)| {
            let reviewer = if flip { Who::Reviewer1 } else { Who::Reviewer2 };
            let meant = match cmd {
                Cmd::Uphold
                | Cmd::Reject(_)
                | Cmd::DecideCounter(_)
                | Cmd::Outcome(_)
                | Cmd::DecideAppeal(_) => reviewer,
                Cmd::Supplement | Cmd::Withdraw | Cmd::Escalate => Who::Holder,
                Cmd::CounterNotice => Who::Seller,
                Cmd::ConfirmDelivery | Cmd::Expire => Who::System,
                Cmd::Appeal => {
                    if flip {
                        Who::Seller
                    } else {
                        Who::Holder
                    }
                }
            };
            (cmd, if pick < 8 { meant } else { anyone }, adv)
        })
}

fn who_strategy() -> impl Strategy<Value = Who> {
    prop_oneof![
        Just(Who::Holder),
        Just(Who::Seller),
        Just(Who::OtherSeller),
        Just(Who::Reviewer1),
        Just(Who::Reviewer2),
        Just(Who::System),
    ]
}

/// The reference model: state names only, plus what the rules need to know.
#[derive(Debug, Clone, PartialEq)]
enum M {
    Review,
    Rejected,
    Withdrawn,
    Upheld { round: u8 },
    Pending { round: u8 },
    Forwarded { round: u8, delivered: bool },
    Escalated,
    Established,
    Reinstated,
}

#[derive(Debug, Clone)]
struct Model {
    s: M,
    resubmissions: u32,
    counter_notices: u8,
    decided_by: Option<&'static str>,
    decided_at: Timestamp,
    appeal: Option<Who>,
    appealed: BTreeSet<(u8, Timestamp)>,
}

fn name(who: Who) -> Option<&'static str> {
    match who {
        Who::Reviewer1 => Some("rita"),
        Who::Reviewer2 => Some("reza"),
        _ => None,
    }
}

impl Model {
    /// Predicts the next state, or `None` if the command must be refused.
    /// `due` is the deadline the real item carries (the calendar's business).
    fn step(
        &self,
        cmd: &Cmd,
        who: Who,
        now: Timestamp,
        due: Option<Timestamp>,
        p: &Policy,
        appeal_closes: Timestamp,
    ) -> Option<Model> {
        let mut n = self.clone();
        let reviewer = matches!(who, Who::Reviewer1 | Who::Reviewer2);
        match (&self.s, cmd) {
            (M::Withdrawn | M::Reinstated, _) => return None,
            (M::Review, Cmd::Uphold) if reviewer => {
                n.s = M::Upheld { round: 1 };
                n.decided_by = name(who);
                n.decided_at = now;
            }
            (M::Review, Cmd::Reject(_)) if reviewer => {
                n.s = M::Rejected;
                n.decided_by = name(who);
                n.decided_at = now;
            }
            (M::Rejected, Cmd::Supplement)
                if matches!(who, Who::Holder)
                    && self.appeal.is_none()
                    && self.resubmissions < p.complaints.max_resubmissions =>
            {
                n.s = M::Review;
                n.resubmissions += 1;
            }
            (
                M::Review
                | M::Rejected
                | M::Upheld { .. }
                | M::Pending { .. }
                | M::Forwarded { .. },
                Cmd::Withdraw,
            ) if matches!(who, Who::Holder) => {
                n.s = M::Withdrawn;
            }
            (M::Upheld { round }, Cmd::CounterNotice)
                if matches!(who, Who::Seller) && now < due? =>
            {
                n.s = M::Pending { round: *round };
                n.counter_notices += 1;
            }
            (M::Pending { round }, Cmd::DecideCounter(valid)) if reviewer => {
                n.s = if *valid {
                    M::Forwarded {
                        round: *round,
                        delivered: false,
                    }
                } else if *round < p.counter_notice.rounds {
                    M::Upheld { round: round + 1 }
                } else {
                    M::Established
                };
            }
            (
                M::Forwarded {
                    round,
                    delivered: false,
                },
                Cmd::ConfirmDelivery,
            ) if matches!(who, Who::System) || reviewer => {
                n.s = M::Forwarded {
                    round: *round,
                    delivered: true,
                };
            }
            (M::Forwarded { .. }, Cmd::Escalate)
                if matches!(who, Who::Holder) && due.is_none_or(|d| now < d) =>
            {
                n.s = M::Escalated;
            }
            (M::Escalated, Cmd::Outcome(found)) if reviewer => {
                n.s = if *found {
                    M::Established
                } else {
                    M::Reinstated
                };
            }
            (M::Upheld { .. }, Cmd::Expire) if matches!(who, Who::System) && now >= due? => {
                n.s = M::Established
            }
            (
                M::Forwarded {
                    delivered: true, ..
                },
                Cmd::Expire,
            ) if matches!(who, Who::System) && now >= due? => n.s = M::Reinstated,
            (M::Upheld { .. } | M::Established, Cmd::Appeal)
                if matches!(who, Who::Seller) && now < appeal_closes && self.appeal.is_none() =>
            {
                if !n.appealed.insert((0, self.decided_at)) {
                    return None;
                }
                n.appeal = Some(Who::Seller);
            }
            (M::Rejected, Cmd::Appeal)
                if matches!(who, Who::Holder) && now < appeal_closes && self.appeal.is_none() =>
            {
                if !n.appealed.insert((1, self.decided_at)) {
                    return None;
                }
                n.appeal = Some(Who::Holder);
            }
            (_, Cmd::DecideAppeal(reverse))
                if reviewer && self.appeal.is_some() && name(who) != self.decided_by =>
            {
                n.appeal = None;
                if *reverse {
                    n.decided_by = name(who);
                    n.decided_at = now;
                    n.s = match self.appeal {
                        Some(Who::Seller) => M::Reinstated,
                        _ => M::Review,
                    };
                }
            }
            _ => return None,
        }
        Some(n)
    }

    fn matches(&self, s: &ItemState) -> bool {
        match (&self.s, s) {
            (M::Review, ItemState::UnderReview)
            | (M::Rejected, ItemState::Rejected { .. })
            | (M::Withdrawn, ItemState::Withdrawn)
            | (M::Escalated, ItemState::Escalated { .. })
            | (M::Established, ItemState::Established)
            | (M::Reinstated, ItemState::Reinstated { .. }) => true,
            (M::Upheld { round: a }, ItemState::Upheld { round: b, .. }) => a == b,
            (M::Pending { round: a }, ItemState::CounterNoticePending { round: b }) => a == b,
            (
                M::Forwarded {
                    round: a,
                    delivered,
                },
                ItemState::Forwarded {
                    round: b,
                    escalation_due,
                },
            ) => a == b && *delivered == escalation_due.is_some(),
            _ => false,
        }
    }
}

fn setup(profile: &str) -> (Policy, Calendar, Right) {
    let policy = Policy::builtin(profile).unwrap();
    let calendar = Calendar::builtin(&policy.calendar).unwrap();
    let right = Right {
        id: RightId::parse("r1").unwrap(),
        owner: org("acme"),
        kind: RightKind::Trademark,
        jurisdiction: Jurisdiction::CN,
        registration_number: RegistrationNumber::parse("1234").unwrap(),
        nice_classes: [NiceClass::new(25).unwrap()].into(),
        valid_from: jiff::civil::date(2000, 1, 1),
        valid_until: None,
        certificates: BTreeSet::new(),
        cn_extension_certificate: None,
        state: RightState::Verified,
    };
    (policy, calendar, right)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn the_machine_follows_the_model_and_keeps_its_invariants(
        profile in prop_oneof![Just("taobao"), Just("alibaba_com"), Just("aliexpress+dsa")],
        start_hours in 0i64..(24 * 365 * 4),
        steps in proptest::collection::vec(step_strategy(), 1..60),
    ) {
        let (policy, calendar, right) = setup(profile);
        let ctx = Ctx { policy: &policy, calendar: &calendar };
        let mut now: Timestamp = "2022-01-01T00:00:00Z".parse::<Timestamp>().unwrap() + start_hours.hours();
        let submit = SubmitComplaint {
            id: ComplaintId::parse("C1").unwrap(),
            right: right.id.clone(),
            reason: ReasonCode::Counterfeit,
            listings: vec![ListingRef { id: ListingId::parse("L1").unwrap(), seller: org("shop1"), category_classes: [NiceClass::new(25).unwrap()].into() }],
            evidence: vec![Sha256::from_bytes([1; 32])],
        };
        let mut c = Complaint::submit(submit, &right, &Who::Holder.actor(), now, ctx).unwrap().state;
        let mut model = Model { s: M::Review, resubmissions: 0, counter_notices: 0, decided_by: None, decided_at: now, appeal: None, appealed: BTreeSet::new() };
        let mut down = false;
        let seller = org("shop1");

        for (cmd, who, advance) in steps {
            now += advance.hours();
            let item = &c.items[0];
            let due_before = item.next_deadline();
            let closes = item.decided_at.unwrap_or(c.submitted_at).to_zoned(calendar.time_zone().clone())
                .checked_add(i64::from(policy.internal_complaints.window_months).months()).unwrap().timestamp();
            let predicted = model.step(&cmd, who, now, item.next_deadline(), &policy, closes);
            let was_final = item.state.is_final();
            let result = c.apply(&cmd.to_command(), &who.actor(), now, ctx);
            match (predicted, result) {
                (None, Err(_)) => {}
                (Some(m), Ok(t)) => {
                    prop_assert!(!was_final, "a final state accepted {:?}", cmd);
                    prop_assert!(!t.events.is_empty(), "{:?} emitted no event", cmd);
                    for e in &t.events {
                        prop_assert_eq!(e.at, now);
                        let about_this = matches!(&e.subject, Subject::Complaint { complaint, .. } if complaint.as_str() == "C1");
                        prop_assert!(about_this);
                        match e.kind {
                            EventKind::ItemUpheld { .. } => down = true,
                            EventKind::ListingReinstated { .. } => down = false,
                            _ => {}
                        }
                    }
                    let became_established = t.state.items[0].state == ItemState::Established
                        && c.items[0].state != ItemState::Established;
                    prop_assert_eq!(
                        became_established,
                        t.events.iter().any(|e| e.kind == EventKind::ComplaintEstablished)
                    );
                    c = t.state;
                    prop_assert!(m.matches(&c.items[0].state), "model {:?} vs machine {:?} after {:?}", m.s, c.items[0].state, cmd);
                    model = m;
                }
                (p, r) => {
                    prop_assert!(false, "model {:?} vs machine {:?} for {:?} by {:?} in {:?}", p.map(|m| m.s), r.map(|t| t.state.items[0].state.clone()), cmd, who, c.items[0].state);
                }
            }
            let state = &c.items[0].state;
            prop_assert_eq!(down, state.listing_down(), "events and state disagree on {:?}", state);
            let counts = !violations_of(&c, &seller).is_empty();
            prop_assert_eq!(counts, *state == ItemState::Established, "penalty in state {:?}", state);
            if let Some(due) = c.items[0].next_deadline().filter(|d| Some(*d) != due_before) {
                prop_assert!(due > now, "a fresh deadline lies in the future");
            }
        }
    }
}
