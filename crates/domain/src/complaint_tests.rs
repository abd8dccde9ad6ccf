//! Unit tests of the complaint rules: one test per rule, each failing when the
//! rule is broken.

use super::*;
use crate::right::tests::trademark;
use jiff::ToSpan;

pub(crate) struct World {
    pub policy: Policy,
    pub calendar: Calendar,
    pub right: Right,
}

impl World {
    pub fn new(profile: &str) -> Self {
        let policy = Policy::builtin(profile).unwrap();
        let calendar = Calendar::builtin(&policy.calendar).unwrap();
        let mut right = trademark("r1", "acme", "CN", &[25]);
        right.state = RightState::Verified;
        Self {
            policy,
            calendar,
            right,
        }
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            policy: &self.policy,
            calendar: &self.calendar,
        }
    }
}

pub(crate) fn id<T>(f: fn(&str) -> Result<T, crate::ids::ParseError>, s: &str) -> T {
    f(s).unwrap()
}

pub(crate) fn holder() -> Actor {
    Actor::rights_holder(id(OrgId::parse, "acme"), id(UserId::parse, "alice"))
}
pub(crate) fn seller(n: u32) -> Actor {
    Actor::seller(
        id(OrgId::parse, &format!("shop{n}")),
        id(UserId::parse, &format!("sam{n}")),
    )
}
pub(crate) fn reviewer(name: &str) -> Actor {
    Actor::reviewer(id(OrgId::parse, "platform"), id(UserId::parse, name))
}
pub(crate) fn system() -> Actor {
    Actor::system(id(OrgId::parse, "platform"))
}
pub(crate) fn listing(n: u32, classes: &[u32]) -> ListingRef {
    ListingRef {
        id: id(ListingId::parse, &format!("L{n}")),
        seller: id(OrgId::parse, &format!("shop{n}")),
        category_classes: classes
            .iter()
            .map(|c| NiceClass::new(*c).unwrap())
            .collect(),
    }
}
pub(crate) fn lid(n: u32) -> ListingId {
    id(ListingId::parse, &format!("L{n}"))
}
pub(crate) fn t0() -> Timestamp {
    // A Tuesday morning in Shanghai, far from any holiday.
    "2026-03-10T02:00:00Z".parse().unwrap()
}
fn evidence() -> Vec<Sha256> {
    vec![Sha256::from_bytes([7; 32])]
}

pub(crate) fn submit(
    w: &World,
    listings: Vec<ListingRef>,
) -> Result<Transition<Complaint>, RuleError> {
    let cmd = SubmitComplaint {
        id: id(ComplaintId::parse, "C1"),
        right: w.right.id.clone(),
        reason: ReasonCode::Counterfeit,
        listings,
        evidence: evidence(),
    };
    Complaint::submit(cmd, &w.right, &holder(), t0(), w.ctx())
}

fn upheld(w: &World) -> Complaint {
    let c = submit(w, vec![listing(1, &[25])]).unwrap().state;
    c.apply(
        &ComplaintCommand::Decide {
            listing: lid(1),
            decision: Decision::Uphold,
        },
        &reviewer("rita"),
        t0(),
        w.ctx(),
    )
    .unwrap()
    .state
}

fn apply(
    w: &World,
    c: &Complaint,
    cmd: ComplaintCommand,
    who: &Actor,
    at: Timestamp,
) -> Result<Complaint, RuleError> {
    c.apply(&cmd, who, at, w.ctx()).map(|t| t.state)
}

fn counter(n: u32) -> ComplaintCommand {
    ComplaintCommand::FileCounterNotice {
        listing: lid(n),
        statement: "I am an authorised reseller".into(),
        evidence: evidence(),
    }
}

fn state(c: &Complaint) -> &ItemState {
    &c.items[0].state
}

#[test]
fn submission_opens_review_with_the_policy_sla() {
    let w = World::new("aliexpress");
    let t = submit(&w, vec![listing(1, &[25]), listing(2, &[25, 18])]).unwrap();
    assert!(matches!(
        t.events[0].kind,
        EventKind::ComplaintSubmitted { listings: 2, .. }
    ));
    assert!(
        t.state
            .items
            .iter()
            .all(|i| i.state == ItemState::UnderReview)
    );
    let due = w
        .calendar
        .add_business_days(t0(), w.policy.complaints.review_sla_business_days)
        .due_at;
    assert_eq!(t.state.items[0].review_due, due);
    assert!(!t.state.items[0].state.listing_down());
}

#[test]
fn only_the_owner_or_its_agent_may_submit() {
    let w = World::new("aliexpress");
    let cmd = |n| SubmitComplaint {
        id: id(ComplaintId::parse, &format!("C{n}")),
        right: w.right.id.clone(),
        reason: ReasonCode::Counterfeit,
        listings: vec![listing(1, &[25])],
        evidence: evidence(),
    };
    let other = Actor::rights_holder(id(OrgId::parse, "rival"), id(UserId::parse, "bob"));
    assert!(matches!(
        Complaint::submit(cmd(1), &w.right, &other, t0(), w.ctx()),
        Err(RuleError::NotAParty(_))
    ));
    assert!(matches!(
        Complaint::submit(cmd(2), &w.right, &seller(1), t0(), w.ctx()),
        Err(RuleError::Forbidden { .. })
    ));
    let agent = Actor::agent(
        id(OrgId::parse, "lawfirm"),
        id(UserId::parse, "ann"),
        id(OrgId::parse, "acme"),
    );
    let t = Complaint::submit(cmd(3), &w.right, &agent, t0(), w.ctx()).unwrap();
    assert_eq!(t.state.complainant.as_str(), "acme");
    assert_eq!(t.state.filed_by.as_str(), "lawfirm");
    let stray_agent = Actor::agent(
        id(OrgId::parse, "lawfirm"),
        id(UserId::parse, "ann"),
        id(OrgId::parse, "rival"),
    );
    assert!(Complaint::submit(cmd(4), &w.right, &stray_agent, t0(), w.ctx()).is_err());
}

#[test]
fn a_complaint_names_at_most_the_policy_limit_of_listings() {
    let w = World::new("aliexpress");
    let many = |n: u32| (1..=n).map(|i| listing(i, &[25])).collect::<Vec<_>>();
    assert_eq!(submit(&w, many(300)).unwrap().state.items.len(), 300);
    assert!(matches!(submit(&w, many(301)), Err(RuleError::Limit(_))));
    assert!(matches!(submit(&w, vec![]), Err(RuleError::Invalid(_))));
    assert!(matches!(
        submit(&w, vec![listing(1, &[25]), listing(1, &[25])]),
        Err(RuleError::Invalid(_))
    ));
}

#[test]
fn a_complaint_without_evidence_is_refused() {
    let w = World::new("aliexpress");
    let cmd = SubmitComplaint {
        id: id(ComplaintId::parse, "C1"),
        right: w.right.id.clone(),
        reason: ReasonCode::Counterfeit,
        listings: vec![listing(1, &[25])],
        evidence: vec![],
    };
    assert!(matches!(
        Complaint::submit(cmd, &w.right, &holder(), t0(), w.ctx()),
        Err(RuleError::Invalid(_))
    ));
}

#[test]
fn scope_needs_a_verified_right_in_force_accepted_by_the_site() {
    let mut w = World::new("aliexpress");
    w.right.state = RightState::Pending;
    assert!(matches!(
        submit(&w, vec![listing(1, &[25])]),
        Err(RuleError::OutOfScope(_))
    ));
    w.right.state = RightState::Verified;
    w.right.valid_until = Some(jiff::civil::date(2026, 3, 9));
    assert!(matches!(
        submit(&w, vec![listing(1, &[25])]),
        Err(RuleError::OutOfScope(_))
    ));

    let mut taobao = World::new("taobao");
    taobao.right = trademark("r9", "acme", "US", &[25]);
    taobao.right.state = RightState::Verified;
    assert!(matches!(
        submit(&taobao, vec![listing(1, &[25])]),
        Err(RuleError::OutOfScope(_))
    ));
}

#[test]
fn a_listing_outside_the_marks_classes_is_out_of_scope() {
    let w = World::new("aliexpress");
    let t = submit(&w, vec![listing(1, &[25]), listing(2, &[29])]).unwrap();
    assert_eq!(t.state.items[0].state, ItemState::UnderReview);
    assert!(matches!(
        t.state.items[1].state,
        ItemState::OutOfScope { .. }
    ));
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ItemOutOfScope { .. }))
    );
    assert!(matches!(
        submit(&w, vec![listing(2, &[29])]),
        Err(RuleError::OutOfScope(_))
    ));
}

#[test]
fn patents_are_not_class_bound_but_the_reason_must_fit_the_right() {
    let mut w = World::new("aliexpress");
    w.right.kind = RightKind::Patent;
    assert!(matches!(
        submit(&w, vec![listing(1, &[29])]),
        Err(RuleError::Invalid(_))
    ));
    let cmd = SubmitComplaint {
        id: id(ComplaintId::parse, "C1"),
        right: w.right.id.clone(),
        reason: ReasonCode::Patent,
        listings: vec![listing(1, &[29])],
        evidence: evidence(),
    };
    let t = Complaint::submit(cmd, &w.right, &holder(), t0(), w.ctx()).unwrap();
    assert_eq!(t.state.items[0].state, ItemState::UnderReview);
}

#[test]
fn upholding_takes_the_listing_down_and_opens_the_first_round() {
    let w = World::new("aliexpress");
    let c = upheld(&w);
    let due = w.calendar.add_business_days(t0(), 3).due_at;
    assert_eq!(
        *state(&c),
        ItemState::Upheld {
            round: 1,
            counter_due: due
        }
    );
    assert!(state(&c).listing_down());
    assert_eq!(c.items[0].next_deadline(), Some(due));
}

#[test]
fn only_reviewers_decide_and_a_rejection_needs_a_reason() {
    let w = World::new("aliexpress");
    let c = submit(&w, vec![listing(1, &[25])]).unwrap().state;
    let decide = |d| ComplaintCommand::Decide {
        listing: lid(1),
        decision: d,
    };
    for who in [holder(), seller(1), system()] {
        assert!(matches!(
            apply(&w, &c, decide(Decision::Uphold), &who, t0()),
            Err(RuleError::Forbidden { .. })
        ));
    }
    let blank = Decision::Reject {
        reason: " ".into(),
        manifestly_unfounded: false,
    };
    assert!(matches!(
        apply(&w, &c, decide(blank), &reviewer("rita"), t0()),
        Err(RuleError::Invalid(_))
    ));
    let r = Decision::Reject {
        reason: "no likelihood of confusion".into(),
        manifestly_unfounded: true,
    };
    let c = apply(&w, &c, decide(r), &reviewer("rita"), t0()).unwrap();
    assert!(matches!(
        state(&c),
        ItemState::Rejected {
            manifestly_unfounded: true,
            ..
        }
    ));
    // Deciding twice is a state error.
    assert!(matches!(
        apply(&w, &c, decide(Decision::Uphold), &reviewer("rita"), t0()),
        Err(RuleError::WrongState { .. })
    ));
}

#[test]
fn a_rejected_listing_can_be_supplemented_up_to_the_limit() {
    let w = World::new("aliexpress");
    let mut c = submit(&w, vec![listing(1, &[25])]).unwrap().state;
    let reject = ComplaintCommand::Decide {
        listing: lid(1),
        decision: Decision::Reject {
            reason: "evidence unclear".into(),
            manifestly_unfounded: false,
        },
    };
    let supplement = ComplaintCommand::Supplement {
        listing: lid(1),
        evidence: vec![Sha256::from_bytes([8; 32])],
    };
    for _ in 0..w.policy.complaints.max_resubmissions {
        c = apply(&w, &c, reject.clone(), &reviewer("rita"), t0()).unwrap();
        c = apply(&w, &c, supplement.clone(), &holder(), t0()).unwrap();
        assert_eq!(*state(&c), ItemState::UnderReview);
    }
    c = apply(&w, &c, reject, &reviewer("rita"), t0()).unwrap();
    assert!(matches!(
        apply(&w, &c, supplement.clone(), &holder(), t0()),
        Err(RuleError::Limit(_))
    ));
    assert!(matches!(
        apply(&w, &c, supplement, &seller(1), t0()),
        Err(RuleError::Forbidden { .. })
    ));
    assert_eq!(c.evidence.len(), 2, "supplemented evidence is kept once");
}

#[test]
fn counter_notice_only_by_that_listings_seller_within_the_window() {
    let w = World::new("aliexpress");
    let c = upheld(&w);
    let due = c.items[0].next_deadline().unwrap();
    assert!(matches!(
        apply(&w, &c, counter(1), &seller(2), t0()),
        Err(RuleError::NotAParty(_))
    ));
    assert!(matches!(
        apply(&w, &c, counter(1), &holder(), t0()),
        Err(RuleError::Forbidden { .. })
    ));
    assert!(matches!(
        apply(&w, &c, counter(1), &seller(1), due),
        Err(RuleError::WindowClosed(_))
    ));
    let c = apply(&w, &c, counter(1), &seller(1), due - 1.second()).unwrap();
    assert_eq!(*state(&c), ItemState::CounterNoticePending { round: 1 });
    assert!(
        state(&c).listing_down(),
        "the listing stays down while the counter-notice is reviewed"
    );
}

#[test]
fn a_valid_counter_notice_starts_fifteen_days_from_delivery_then_reinstates() {
    let w = World::new("aliexpress");
    let c = apply(&w, &upheld(&w), counter(1), &seller(1), t0()).unwrap();
    let valid = ComplaintCommand::DecideCounterNotice {
        listing: lid(1),
        valid: true,
        reason: "licence shown".into(),
    };
    let c = apply(&w, &c, valid, &reviewer("rita"), t0()).unwrap();
    assert_eq!(
        *state(&c),
        ItemState::Forwarded {
            round: 1,
            escalation_due: None
        }
    );
    assert_eq!(c.items[0].next_deadline(), None, "no clock before delivery");
    let delivered = t0() + 1.hour();
    let c = apply(
        &w,
        &c,
        ComplaintCommand::ConfirmDelivery { listing: lid(1) },
        &system(),
        delivered,
    )
    .unwrap();
    let due = w.calendar.add_days(delivered, 15).due_at;
    assert_eq!(c.items[0].next_deadline(), Some(due));
    let expire = ComplaintCommand::ExpireWindow { listing: lid(1) };
    assert!(matches!(
        apply(&w, &c, expire.clone(), &system(), due - 1.second()),
        Err(RuleError::TooEarly(_))
    ));
    assert!(matches!(
        apply(&w, &c, expire.clone(), &reviewer("rita"), due),
        Err(RuleError::Forbidden { .. })
    ));
    let t = c.apply(&expire, &system(), due, w.ctx()).unwrap();
    assert!(matches!(
        t.state.items[0].state,
        ItemState::Reinstated { .. }
    ));
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ListingReinstated { .. }))
    );
    let late = ComplaintCommand::RecordEscalation {
        listing: lid(1),
        kind: EscalationKind::Lawsuit,
        reference: "(2026) Hu 0115 Min Chu 1".into(),
    };
    assert!(matches!(
        apply(&w, &c, late, &holder(), due),
        Err(RuleError::WindowClosed(_))
    ));
}

#[test]
fn escalation_in_time_keeps_the_listing_down_until_the_outcome() {
    let w = World::new("aliexpress");
    let c = apply(&w, &upheld(&w), counter(1), &seller(1), t0()).unwrap();
    let valid = ComplaintCommand::DecideCounterNotice {
        listing: lid(1),
        valid: true,
        reason: "licence shown".into(),
    };
    let c = apply(&w, &c, valid, &reviewer("rita"), t0()).unwrap();
    let c = apply(
        &w,
        &c,
        ComplaintCommand::ConfirmDelivery { listing: lid(1) },
        &system(),
        t0(),
    )
    .unwrap();
    let esc = ComplaintCommand::RecordEscalation {
        listing: lid(1),
        kind: EscalationKind::AdministrativeComplaint,
        reference: "SAMR-2026-001".into(),
    };
    let c = apply(&w, &c, esc, &holder(), t0() + 48.hours()).unwrap();
    assert!(matches!(state(&c), ItemState::Escalated { .. }));
    assert!(state(&c).listing_down());
    assert_eq!(
        c.items[0].next_deadline(),
        None,
        "nothing expires while escalated"
    );
    let found = ComplaintCommand::RecordEscalationOutcome {
        listing: lid(1),
        infringement_found: true,
    };
    assert!(apply(&w, &c, found.clone(), &holder(), t0()).is_err());
    let done = apply(&w, &c, found, &reviewer("rita"), t0() + 2160.hours()).unwrap();
    assert_eq!(*state(&done), ItemState::Established);
    let cleared = ComplaintCommand::RecordEscalationOutcome {
        listing: lid(1),
        infringement_found: false,
    };
    let done = apply(&w, &c, cleared, &reviewer("rita"), t0() + 2160.hours()).unwrap();
    assert!(matches!(state(&done), ItemState::Reinstated { .. }));
}

#[test]
fn failed_counter_notices_open_later_rounds_then_establish() {
    let w = World::new("alibaba_com");
    let mut c = upheld(&w);
    let invalid = ComplaintCommand::DecideCounterNotice {
        listing: lid(1),
        valid: false,
        reason: "invoice forged".into(),
    };
    let mut at = t0();
    for round in 1..=3u8 {
        assert!(matches!(state(&c), ItemState::Upheld { round: r, .. } if *r == round));
        c = apply(&w, &c, counter(1), &seller(1), at).unwrap();
        at += 1.hour();
        let t = c.apply(&invalid, &reviewer("rita"), at, w.ctx()).unwrap();
        c = t.state;
        if round < 3 {
            let due = w.calendar.add_business_days(at, 27).due_at;
            assert_eq!(
                *state(&c),
                ItemState::Upheld {
                    round: round + 1,
                    counter_due: due
                }
            );
            assert!(
                !t.events
                    .iter()
                    .any(|e| e.kind == EventKind::ComplaintEstablished)
            );
        } else {
            assert_eq!(*state(&c), ItemState::Established);
            assert!(
                t.events
                    .iter()
                    .any(|e| e.kind == EventKind::ComplaintEstablished)
            );
        }
    }
    assert!(matches!(
        apply(&w, &c, counter(1), &seller(1), at),
        Err(RuleError::WrongState { .. })
    ));
}

#[test]
fn silence_through_the_first_round_establishes_the_complaint() {
    let w = World::new("aliexpress");
    let c = upheld(&w);
    let due = c.items[0].next_deadline().unwrap();
    let t = c
        .apply(
            &ComplaintCommand::ExpireWindow { listing: lid(1) },
            &system(),
            due,
            w.ctx(),
        )
        .unwrap();
    assert_eq!(t.state.items[0].state, ItemState::Established);
    assert!(
        t.events
            .iter()
            .any(|e| e.kind == EventKind::ComplaintEstablished)
    );
}

#[test]
fn withdrawal_after_a_counter_notice_is_recorded_as_such_and_reinstates() {
    let w = World::new("aliexpress");
    let c = apply(&w, &upheld(&w), counter(1), &seller(1), t0()).unwrap();
    let t = c
        .apply(
            &ComplaintCommand::Withdraw { listing: lid(1) },
            &holder(),
            t0(),
            w.ctx(),
        )
        .unwrap();
    assert_eq!(t.state.items[0].state, ItemState::Withdrawn);
    assert!(t.events.iter().any(|e| e.kind
        == EventKind::ItemWithdrawn {
            after_counter_notice: true
        }));
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ListingReinstated { .. }))
    );
}

#[test]
fn nothing_changes_a_withdrawn_or_reinstated_listing() {
    let w = World::new("aliexpress");
    let c = apply(
        &w,
        &upheld(&w),
        ComplaintCommand::Withdraw { listing: lid(1) },
        &holder(),
        t0(),
    )
    .unwrap();
    let far = t0() + 24000.hours();
    for (cmd, who) in [
        (counter(1), seller(1)),
        (ComplaintCommand::Withdraw { listing: lid(1) }, holder()),
        (ComplaintCommand::ExpireWindow { listing: lid(1) }, system()),
        (
            ComplaintCommand::Decide {
                listing: lid(1),
                decision: Decision::Uphold,
            },
            reviewer("rita"),
        ),
        (
            ComplaintCommand::FileInternalComplaint {
                listing: lid(1),
                grounds: "x".into(),
            },
            seller(1),
        ),
    ] {
        assert!(matches!(
            apply(&w, &c, cmd, &who, far),
            Err(RuleError::WrongState { .. })
        ));
    }
}

#[test]
fn a_seller_may_challenge_a_takedown_for_six_months_before_another_person() {
    let w = World::new("aliexpress+dsa");
    let c = upheld(&w);
    let due = c.items[0].next_deadline().unwrap();
    let c = apply(
        &w,
        &c,
        ComplaintCommand::ExpireWindow { listing: lid(1) },
        &system(),
        due,
    )
    .unwrap();
    let file = ComplaintCommand::FileInternalComplaint {
        listing: lid(1),
        grounds: "genuine goods, invoices attached".into(),
    };
    let decided = c.items[0].decided_at.unwrap();
    let closes = decided
        .to_zoned(w.calendar.time_zone().clone())
        .checked_add(6.months())
        .unwrap()
        .timestamp();
    assert!(matches!(
        apply(&w, &c, file.clone(), &seller(1), closes),
        Err(RuleError::WindowClosed(_))
    ));
    assert!(matches!(
        apply(&w, &c, file.clone(), &seller(2), t0()),
        Err(RuleError::NotAParty(_))
    ));
    let c = apply(&w, &c, file.clone(), &seller(1), closes - 1.second()).unwrap();
    assert!(matches!(
        apply(&w, &c, file, &seller(1), closes - 1.second()),
        Err(RuleError::WrongState { .. })
    ));
    let reverse = ComplaintCommand::DecideInternalComplaint {
        listing: lid(1),
        reverse: true,
        reason: "invoices genuine".into(),
    };
    assert!(
        matches!(
            apply(&w, &c, reverse.clone(), &reviewer("rita"), t0()),
            Err(RuleError::NotAParty(_))
        ),
        "not the original decider"
    );
    let t = c
        .apply(&reverse, &reviewer("reza"), closes, w.ctx())
        .unwrap();
    assert!(matches!(
        t.state.items[0].state,
        ItemState::Reinstated { .. }
    ));
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ListingReinstated { .. }))
    );
}

#[test]
fn a_complainant_may_challenge_a_rejection_and_reopen_review() {
    let w = World::new("aliexpress+dsa");
    let c = submit(&w, vec![listing(1, &[25])]).unwrap().state;
    let reject = ComplaintCommand::Decide {
        listing: lid(1),
        decision: Decision::Reject {
            reason: "not similar".into(),
            manifestly_unfounded: false,
        },
    };
    let c = apply(&w, &c, reject, &reviewer("rita"), t0()).unwrap();
    let file = ComplaintCommand::FileInternalComplaint {
        listing: lid(1),
        grounds: "identical logo".into(),
    };
    assert!(
        matches!(
            apply(&w, &c, file.clone(), &seller(1), t0()),
            Err(RuleError::WrongState { .. })
        ),
        "a rejection is no decision against the seller"
    );
    let c = apply(&w, &c, file, &holder(), t0() + 24.hours()).unwrap();
    let keep = ComplaintCommand::DecideInternalComplaint {
        listing: lid(1),
        reverse: false,
        reason: "decision stands".into(),
    };
    let kept = apply(&w, &c, keep, &reviewer("reza"), t0() + 48.hours()).unwrap();
    assert!(matches!(state(&kept), ItemState::Rejected { .. }));
    assert_eq!(kept.items[0].appeals[0].outcome, Some(false));
    let reverse = ComplaintCommand::DecideInternalComplaint {
        listing: lid(1),
        reverse: true,
        reason: "similar after all".into(),
    };
    let reopened = apply(&w, &c, reverse, &reviewer("reza"), t0() + 48.hours()).unwrap();
    assert_eq!(*state(&reopened), ItemState::UnderReview);
}

#[test]
fn review_priority_puts_good_faith_then_local_rights_then_due_time() {
    let t = t0();
    let mut q = [
        ReviewPriority::new(false, false, t),
        ReviewPriority::new(false, true, t + 1.hour()),
        ReviewPriority::new(true, false, t + 2.hours()),
        ReviewPriority::new(false, true, t),
    ];
    q.sort();
    assert_eq!(
        q.map(|p| (p.tier, p.due)),
        [(0, t + 2.hours()), (1, t), (1, t + 1.hour()), (2, t)]
    );
}

#[test]
fn a_command_for_a_listing_not_in_the_complaint_is_refused() {
    let w = World::new("aliexpress");
    let c = upheld(&w);
    assert!(matches!(
        apply(&w, &c, counter(9), &seller(9), t0()),
        Err(RuleError::Invalid(_))
    ));
}

#[test]
fn supplementing_is_refused_while_the_rejection_is_under_internal_complaint() {
    // Found by the property test: a pending appeal against a rejection, then a
    // resubmission and a takedown, then the stale appeal reversed -> the item
    // went back to review while its listing was down.
    let w = World::new("taobao");
    let c = submit(&w, vec![listing(1, &[25])]).unwrap().state;
    let reject = ComplaintCommand::Decide {
        listing: lid(1),
        decision: Decision::Reject {
            reason: "unclear".into(),
            manifestly_unfounded: false,
        },
    };
    let c = apply(&w, &c, reject, &reviewer("reza"), t0()).unwrap();
    let appeal = ComplaintCommand::FileInternalComplaint {
        listing: lid(1),
        grounds: "clear copy".into(),
    };
    let c = apply(&w, &c, appeal, &holder(), t0()).unwrap();
    let supplement = ComplaintCommand::Supplement {
        listing: lid(1),
        evidence: evidence(),
    };
    assert!(matches!(
        apply(&w, &c, supplement, &holder(), t0()),
        Err(RuleError::WrongState { .. })
    ));
}

#[test]
fn a_submission_naming_another_right_is_refused() {
    let w = World::new("aliexpress");
    let mut other = w.right.clone();
    other.id = id(RightId::parse, "r2");
    let cmd = SubmitComplaint {
        id: id(ComplaintId::parse, "C1"),
        right: w.right.id.clone(),
        reason: ReasonCode::Counterfeit,
        listings: vec![listing(1, &[25])],
        evidence: evidence(),
    };
    assert!(matches!(
        Complaint::submit(cmd, &other, &holder(), t0(), w.ctx()),
        Err(RuleError::Invalid(_))
    ));
}

fn sighting(sha: u8, listing: u32, seller: u32, at: Timestamp) -> ImageSighting {
    ImageSighting {
        sha256: Sha256::from_bytes([sha; 32]),
        listing: lid(listing),
        seller: id(OrgId::parse, &format!("shop{seller}")),
        first_seen: at,
    }
}

#[test]
fn evidence_a_reported_seller_showed_first_is_flagged_and_recorded() {
    let w = World::new("aliexpress");
    let mut t = submit(&w, vec![listing(1, &[25]), listing(2, &[25])]).unwrap();
    let events_before = t.events.len();
    let earlier = t0() - (30 * 24).hours();
    let sightings = [
        // The evidence file, first shown by reported seller shop2 on another listing.
        sighting(7, 9, 2, earlier),
        // Not evidence of this complaint.
        sighting(8, 1, 1, earlier),
    ];
    Complaint::flag_sellers_own_images(&mut t, &sightings, &w.right, &holder());
    assert_eq!(t.state.evidence_flags.len(), 1);
    let f = &t.state.evidence_flags[0];
    assert_eq!(
        (
            f.evidence,
            f.listing.as_str(),
            f.seller.as_str(),
            f.first_seen
        ),
        (Sha256::from_bytes([7; 32]), "L9", "shop2", earlier)
    );
    // The test right is in force from 2020: the picture is younger.
    assert!(!f.before_right);
    assert_eq!(t.events.len(), events_before + 1);
    assert!(matches!(
        t.events.last().unwrap().kind,
        EventKind::EvidenceIsSellersImage {
            before_right: false,
            ..
        }
    ));
}

#[test]
fn evidence_first_shown_by_someone_else_or_after_the_complaint_is_not_flagged() {
    let w = World::new("aliexpress");
    let mut t = submit(&w, vec![listing(1, &[25])]).unwrap();
    // First shown by a seller this complaint does not name.
    Complaint::flag_sellers_own_images(
        &mut t,
        &[sighting(7, 5, 5, t0() - (30 * 24).hours())],
        &w.right,
        &holder(),
    );
    assert!(t.state.evidence_flags.is_empty());
    // First shown by the reported seller, but only after the complaint.
    Complaint::flag_sellers_own_images(
        &mut t,
        &[sighting(7, 1, 1, t0() + 1.hour())],
        &w.right,
        &holder(),
    );
    assert!(t.state.evidence_flags.is_empty());
}

#[test]
fn a_picture_older_than_the_right_is_flagged_as_such() {
    let mut w = World::new("aliexpress");
    w.right.valid_from = "2026-01-01".parse().unwrap();
    let mut t = submit(&w, vec![listing(1, &[25])]).unwrap();
    let old = "2025-06-01T00:00:00Z".parse().unwrap();
    Complaint::flag_sellers_own_images(&mut t, &[sighting(7, 1, 1, old)], &w.right, &holder());
    assert!(t.state.evidence_flags[0].before_right);
}
