//! The report counts what the rules recorded: each test drives real
//! transitions of the complaint machine and reads the figures back.

use jiff::ToSpan;

use super::*;
use crate::complaint::tests::{World, holder, lid, listing, reviewer, seller, submit, t0};
use crate::complaint::{ComplaintCommand, Decision};
use crate::penalty::Trigger;

/// Runs commands on a complaint, collecting every event in order.
struct Run<'w> {
    w: &'w World,
    c: Complaint,
    events: Vec<DomainEvent>,
}

impl<'w> Run<'w> {
    fn new(w: &'w World, listings: u32) -> Self {
        let t = submit(w, (1..=listings).map(|n| listing(n, &[25])).collect()).unwrap();
        Self {
            w,
            c: t.state,
            events: t.events,
        }
    }

    fn act(&mut self, cmd: ComplaintCommand, who: &crate::actor::Actor, at: Timestamp) {
        let t = self.c.apply(&cmd, who, at, self.w.ctx()).unwrap();
        self.c = t.state;
        self.events.extend(t.events);
    }
}

fn hours(n: i64) -> Timestamp {
    t0().checked_add(n.hours()).unwrap()
}

#[test]
fn notices_actions_time_to_act_counter_notices_and_internal_complaints() {
    let w = World::new("aliexpress");
    let mut r = Run::new(&w, 3);
    // L1 upheld after 2 h, L2 rejected as unfounded after 6 h, L3 upheld after 10 h.
    r.act(
        ComplaintCommand::Decide {
            listing: lid(1),
            decision: Decision::Uphold,
        },
        &reviewer("rita"),
        hours(2),
    );
    r.act(
        ComplaintCommand::Decide {
            listing: lid(2),
            decision: Decision::Reject {
                reason: "no mark visible".into(),
                manifestly_unfounded: true,
            },
        },
        &reviewer("rita"),
        hours(6),
    );
    r.act(
        ComplaintCommand::Decide {
            listing: lid(3),
            decision: Decision::Uphold,
        },
        &reviewer("rita"),
        hours(10),
    );
    // Seller 1 files a counter-notice; it is found valid and forwarded.
    r.act(
        ComplaintCommand::FileCounterNotice {
            listing: lid(1),
            statement: "authorised reseller".into(),
            evidence: vec![crate::ids::Sha256::from_bytes([1; 32])],
        },
        &seller(1),
        hours(11),
    );
    r.act(
        ComplaintCommand::DecideCounterNotice {
            listing: lid(1),
            valid: true,
            reason: "invoice checks out".into(),
        },
        &reviewer("rita"),
        hours(12),
    );
    // The holder withdraws after the counter-notice: the listing comes back.
    r.act(
        ComplaintCommand::Withdraw { listing: lid(1) },
        &holder(),
        hours(13),
    );
    // Seller 3 files an internal complaint; another reviewer reverses.
    r.act(
        ComplaintCommand::FileInternalComplaint {
            listing: lid(3),
            grounds: "not my listing".into(),
        },
        &seller(3),
        hours(14),
    );
    r.act(
        ComplaintCommand::DecideInternalComplaint {
            listing: lid(3),
            reverse: true,
            reason: "wrong listing named".into(),
        },
        &reviewer("rob"),
        hours(15),
    );

    let penalties = vec![(
        OrgId::parse("shop9").unwrap(),
        Penalty {
            at: hours(5),
            kind: PenaltyKind::Freeze {
                until: hours(5 + 24),
            },
            trigger: Trigger::SeriousStrikes { strikes: 1 },
            complaint: ComplaintId::parse("C9").unwrap(),
            listing: ListingId::parse("L9").unwrap(),
        },
    )];
    let rep = report(ReportInput {
        from: t0(),
        to: hours(24),
        complaints: std::slice::from_ref(&r.c),
        events: &r.events,
        penalties: &penalties,
    });

    assert_eq!(rep.notices.complaints, 1);
    assert_eq!(rep.notices.listings, 3);
    assert_eq!(
        rep.notices.by_type,
        vec![Count {
            key: "counterfeit".into(),
            count: 1
        }]
    );
    assert_eq!(
        rep.notices.by_source,
        vec![Count {
            key: "rights_holder".into(),
            count: 1
        }]
    );
    assert_eq!(
        rep.actions.takedowns_by_ground,
        vec![Count {
            key: "counterfeit".into(),
            count: 2
        }]
    );
    assert_eq!(rep.actions.rejected, 1);
    assert_eq!(rep.actions.manifestly_unfounded, 1);
    assert_eq!(rep.actions.withdrawn, 1);
    assert_eq!(rep.time_to_act.decisions, 3);
    assert_eq!(rep.time_to_act.median_hours, Some(6.0));
    assert_eq!(rep.counter_notices.filed, 1);
    assert_eq!(rep.counter_notices.forwarded, 1);
    assert_eq!(rep.counter_notices.reinstated, 2);
    assert_eq!(
        rep.counter_notices.reinstated_by_reason,
        vec![
            Count {
                key: "complaint_withdrawn".into(),
                count: 1
            },
            Count {
                key: "internal_complaint_upheld".into(),
                count: 1
            }
        ]
    );
    assert_eq!(rep.internal_complaints.filed_by_sellers, 1);
    assert_eq!(rep.internal_complaints.reversed, 1);
    assert_eq!(rep.internal_complaints.confirmed, 0);
    assert_eq!(rep.suspensions.store_freezes, 1);

    let csv = rep.to_csv();
    assert!(csv.starts_with("section,metric,key,value\r\n"));
    assert!(csv.contains("time_to_act,median_hours,,6\r\n"));
    assert!(csv.contains("actions,takedowns_by_ground,counterfeit,2\r\n"));
}

#[test]
fn only_the_period_counts_and_a_supplement_restarts_the_clock() {
    let w = World::new("aliexpress");
    let mut r = Run::new(&w, 1);
    r.act(
        ComplaintCommand::Decide {
            listing: lid(1),
            decision: Decision::Reject {
                reason: "blurry evidence".into(),
                manifestly_unfounded: false,
            },
        },
        &reviewer("rita"),
        hours(30),
    );
    r.act(
        ComplaintCommand::Supplement {
            listing: lid(1),
            evidence: vec![crate::ids::Sha256::from_bytes([2; 32])],
        },
        &holder(),
        hours(40),
    );
    r.act(
        ComplaintCommand::Decide {
            listing: lid(1),
            decision: Decision::Uphold,
        },
        &reviewer("rita"),
        hours(43),
    );
    // The second day only: the notice and the first decision are outside it.
    let rep = report(ReportInput {
        from: hours(36),
        to: hours(60),
        complaints: std::slice::from_ref(&r.c),
        events: &r.events,
        penalties: &[],
    });
    assert_eq!(rep.notices.complaints, 0);
    assert_eq!(rep.actions.rejected, 0);
    assert_eq!(rep.time_to_act.decisions, 1);
    assert_eq!(rep.time_to_act.median_hours, Some(3.0));

    // An empty period has no median.
    let rep = report(ReportInput {
        from: hours(100),
        to: hours(200),
        complaints: std::slice::from_ref(&r.c),
        events: &r.events,
        penalties: &[],
    });
    assert_eq!(rep.time_to_act.median_hours, None);
    assert_eq!(rep.time_to_act.decisions, 0);
}
