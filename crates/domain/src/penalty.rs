//! Seller penalties: a ledger of established violations and the store's
//! standing it implies.
//!
//! The standing is recomputed from the violations rather than kept as running
//! counters: a reversed complaint simply leaves the ledger, lapses need no
//! timer, and the same function answers "where does this seller stand now?"
//! and "what happened when?". Only established complaints enter the ledger
//! ([`violations_of`]), so nothing counts while a counter-notice is pending.
//!
//! The rules (AliExpress-style, numbers from the policy): general violations
//! earn points, capped per local day; serious violations are strikes, and
//! serious violations within a few days of each other count as one; crossing a
//! rung of a ladder freezes or closes the store; every violation lapses after
//! a year; a first offence that triggers nothing draws a warning.

use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use crate::calendar::Calendar;
use crate::complaint::{Complaint, ReasonCode};
use crate::event::EventKind;
use crate::ids::{ComplaintId, ListingId, OrgId};
use crate::policy::{Policy, Severity, Threshold, ThresholdAction};

/// One established violation of a seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The complaint.
    pub complaint: ComplaintId,
    /// The listing.
    pub listing: ListingId,
    /// The ground.
    pub reason: ReasonCode,
    /// When it became established.
    pub at: Timestamp,
}

/// The established violations of `seller` in a complaint.
pub fn violations_of(complaint: &Complaint, seller: &OrgId) -> Vec<Violation> {
    complaint
        .items
        .iter()
        .filter(|i| &i.seller == seller)
        .filter_map(|i| {
            i.established_at.map(|at| Violation {
                complaint: complaint.id.clone(),
                listing: i.listing.clone(),
                reason: complaint.reason,
                at,
            })
        })
        .collect()
}

/// What a penalty does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PenaltyKind {
    /// A warning (first offence).
    Warning,
    /// The store is frozen until the given instant.
    Freeze {
        /// End of the freeze.
        until: Timestamp,
    },
    /// The store is closed for good.
    Close,
}

/// What triggered a penalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "trigger", rename_all = "snake_case")]
pub enum Trigger {
    /// The first offence on record.
    FirstOffence,
    /// General points reached a rung.
    GeneralPoints {
        /// Live points after the violation.
        points: u32,
    },
    /// Serious strikes reached a rung.
    SeriousStrikes {
        /// Live strikes after the violation.
        strikes: u32,
    },
}

/// One penalty applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Penalty {
    /// When (the violation's time).
    pub at: Timestamp,
    /// What.
    pub kind: PenaltyKind,
    /// Why.
    pub trigger: Trigger,
    /// The violation that triggered it.
    pub complaint: ComplaintId,
    /// Its listing.
    pub listing: ListingId,
}

/// The store's state at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StoreStatus {
    /// Trading.
    Active,
    /// Frozen until the given instant.
    Frozen {
        /// End of the freeze.
        until: Timestamp,
    },
    /// Closed.
    Closed {
        /// Since when.
        since: Timestamp,
    },
}

/// Where a seller stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    /// General points that have not lapsed at `now`.
    pub general_points: u32,
    /// Serious strikes (after merging) that have not lapsed at `now`.
    pub serious_strikes: u32,
    /// Every penalty applied so far, oldest first.
    pub penalties: Vec<Penalty>,
    /// The store's status at `now`.
    pub status: StoreStatus,
    /// The next rung of the general ladder, if any.
    pub next_general: Option<Threshold>,
    /// The next rung of the serious ladder, if any.
    pub next_serious: Option<Threshold>,
}

struct Entry {
    at: Timestamp,
    amount: u32,
}

/// Computes a seller's standing at `now` from its violations (any order; those
/// after `now` are ignored). Local days for the daily cap are the calendar's.
pub fn assess(
    violations: &[Violation],
    now: Timestamp,
    policy: &Policy,
    calendar: &Calendar,
) -> Standing {
    let p = &policy.penalties;
    let lapse = (i64::from(p.lapse_days) * 24).hours();
    let merge = (i64::from(p.serious_merge_window_days) * 24).hours();
    let mut sorted: Vec<&Violation> = violations.iter().filter(|v| v.at <= now).collect();
    sorted.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.listing.cmp(&b.listing)));

    let mut general: Vec<Entry> = Vec::new();
    let mut serious: Vec<Entry> = Vec::new(); // one entry per merged group, at its first violation
    let mut penalties = Vec::new();
    let live = |entries: &[Entry], at: Timestamp| -> u32 {
        entries
            .iter()
            .filter(|e| e.at <= at && at < e.at.checked_add(lapse).unwrap_or(Timestamp::MAX))
            .map(|e| e.amount)
            .sum()
    };

    for (n, v) in sorted.iter().enumerate() {
        let prior_live = sorted[..n]
            .iter()
            .any(|o| v.at < o.at.checked_add(lapse).unwrap_or(Timestamp::MAX));
        let hit = match policy.severity_of(v.reason.as_str()) {
            Severity::General => {
                let day = calendar.local_date(v.at);
                let used: u32 = general
                    .iter()
                    .filter(|e| calendar.local_date(e.at) == day)
                    .map(|e| e.amount)
                    .sum();
                let amount = p
                    .general_points_per_violation
                    .min(p.general_points_daily_cap.saturating_sub(used));
                let before = live(&general, v.at);
                if amount > 0 {
                    general.push(Entry { at: v.at, amount });
                }
                let after = before + amount;
                rung_crossed(&p.general_thresholds, before, after)
                    .map(|t| (t, Trigger::GeneralPoints { points: after }))
            }
            Severity::Serious => {
                let merged = serious
                    .last()
                    .is_some_and(|g| v.at < g.at.checked_add(merge).unwrap_or(Timestamp::MAX));
                let before = live(&serious, v.at);
                if !merged {
                    serious.push(Entry {
                        at: v.at,
                        amount: 1,
                    });
                }
                let after = live(&serious, v.at);
                rung_crossed(&p.serious_thresholds, before, after)
                    .map(|t| (t, Trigger::SeriousStrikes { strikes: after }))
            }
        };
        let kind_trigger = match hit {
            Some((t, trigger)) => Some((
                match t.action {
                    ThresholdAction::Close => PenaltyKind::Close,
                    ThresholdAction::Freeze => PenaltyKind::Freeze {
                        until: v
                            .at
                            .checked_add((i64::from(t.days.unwrap_or(0)) * 24).hours())
                            .unwrap_or(Timestamp::MAX),
                    },
                },
                trigger,
            )),
            None if p.first_offence_warning && !prior_live => {
                Some((PenaltyKind::Warning, Trigger::FirstOffence))
            }
            None => None,
        };
        if let Some((kind, trigger)) = kind_trigger {
            penalties.push(Penalty {
                at: v.at,
                kind,
                trigger,
                complaint: v.complaint.clone(),
                listing: v.listing.clone(),
            });
        }
    }

    let general_points = live(&general, now);
    let serious_strikes = live(&serious, now);
    let status = status_at(&penalties, now);
    Standing {
        general_points,
        serious_strikes,
        next_general: p
            .general_thresholds
            .iter()
            .find(|t| t.at > general_points)
            .copied(),
        next_serious: p
            .serious_thresholds
            .iter()
            .find(|t| t.at > serious_strikes)
            .copied(),
        penalties,
        status,
    }
}

/// The most severe rung with `before < at <= after`.
fn rung_crossed(ladder: &[Threshold], before: u32, after: u32) -> Option<Threshold> {
    ladder
        .iter()
        .rev()
        .find(|t| before < t.at && t.at <= after)
        .copied()
}

/// The event that moves a store from the status last announced to the
/// marketplace to the status of `standing`, if they differ: a freeze begun,
/// moved or ended, or a closure. Closure is final: nothing follows it. A
/// freeze that a later one extends is announced again with its new end, so a
/// receiver never unfreezes early; one that has ended is announced only if
/// no other penalty followed it (the store is then frozen again or closed).
pub fn store_change(announced: StoreStatus, standing: &Standing) -> Option<EventKind> {
    let cause = |pred: &dyn Fn(&PenaltyKind) -> bool| {
        standing
            .penalties
            .iter()
            .rev()
            .find(|p| pred(&p.kind))
            .map(|p| (p.complaint.clone(), p.listing.clone()))
    };
    match (announced, standing.status) {
        (StoreStatus::Closed { .. }, _) => None,
        (_, StoreStatus::Closed { .. }) => cause(&|k| *k == PenaltyKind::Close)
            .map(|(complaint, listing)| EventKind::StoreClosed { complaint, listing }),
        (StoreStatus::Frozen { until: was }, StoreStatus::Frozen { until }) if was == until => None,
        (_, StoreStatus::Frozen { until }) => {
            cause(&|k| *k == PenaltyKind::Freeze { until }).map(|(complaint, listing)| {
                EventKind::StoreFrozen {
                    until,
                    complaint,
                    listing,
                }
            })
        }
        (StoreStatus::Frozen { .. }, StoreStatus::Active) => Some(EventKind::StoreUnfrozen),
        (StoreStatus::Active, StoreStatus::Active) => None,
    }
}

/// The status a store event announces.
pub fn announced_status(kind: &EventKind, at: Timestamp) -> Option<StoreStatus> {
    match kind {
        EventKind::StoreFrozen { until, .. } => Some(StoreStatus::Frozen { until: *until }),
        EventKind::StoreUnfrozen => Some(StoreStatus::Active),
        EventKind::StoreClosed { .. } => Some(StoreStatus::Closed { since: at }),
        _ => None,
    }
}

fn status_at(penalties: &[Penalty], now: Timestamp) -> StoreStatus {
    if let Some(p) = penalties
        .iter()
        .find(|p| p.kind == PenaltyKind::Close && p.at <= now)
    {
        return StoreStatus::Closed { since: p.at };
    }
    penalties
        .iter()
        .filter_map(|p| match p.kind {
            PenaltyKind::Freeze { until } if p.at <= now && now < until => Some(until),
            _ => None,
        })
        .max()
        .map_or(StoreStatus::Active, |until| StoreStatus::Frozen { until })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(profile: &str) -> (Policy, Calendar) {
        let p = Policy::builtin(profile).unwrap();
        let c = Calendar::builtin(&p.calendar).unwrap();
        (p, c)
    }

    fn v(n: u32, reason: ReasonCode, at: &str) -> Violation {
        Violation {
            complaint: ComplaintId::parse(&format!("C{n}")).unwrap(),
            listing: ListingId::parse(&format!("L{n}")).unwrap(),
            reason,
            at: at.parse().unwrap(),
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    use ReasonCode::{Counterfeit as S, TrademarkMisuse as G};

    #[test]
    fn a_first_general_offence_draws_a_warning_only() {
        let (p, c) = setup("aliexpress");
        let s = assess(
            &[v(1, G, "2026-01-05T02:00:00Z")],
            ts("2026-01-06T00:00:00Z"),
            &p,
            &c,
        );
        assert_eq!(s.general_points, 2);
        assert_eq!(s.penalties.len(), 1);
        assert_eq!(s.penalties[0].kind, PenaltyKind::Warning);
        assert_eq!(s.status, StoreStatus::Active);
        assert_eq!(s.next_general.map(|t| t.at), Some(12));
    }

    #[test]
    fn general_points_are_capped_per_local_day() {
        let (p, c) = setup("aliexpress");
        // Five general violations on one Shanghai day (two of them before 08:00 local = previous UTC day edge).
        let day: Vec<_> = [
            "2026-01-05T16:30:00Z",
            "2026-01-06T01:00:00Z",
            "2026-01-06T05:00:00Z",
            "2026-01-06T09:00:00Z",
            "2026-01-06T15:00:00Z",
        ]
        .iter()
        .enumerate()
        .map(|(i, at)| v(i as u32, G, at))
        .collect();
        let s = assess(&day, ts("2026-01-07T00:00:00Z"), &p, &c);
        assert_eq!(s.general_points, 6, "cap of 6 a day");
        // The next local day counts afresh.
        let mut more = day.clone();
        more.push(v(9, G, "2026-01-06T16:30:00Z"));
        assert_eq!(
            assess(&more, ts("2026-01-08T00:00:00Z"), &p, &c).general_points,
            8
        );
    }

    #[test]
    fn serious_violations_within_three_days_count_once() {
        let (p, c) = setup("aliexpress");
        let vs = [
            v(1, S, "2026-02-02T00:00:00Z"),
            v(2, S, "2026-02-03T00:00:00Z"),
            v(3, S, "2026-02-04T23:59:00Z"),
        ];
        let s = assess(&vs, ts("2026-02-06T00:00:00Z"), &p, &c);
        assert_eq!(s.serious_strikes, 1);
        let vs = [
            v(1, S, "2026-02-02T00:00:00Z"),
            v(2, S, "2026-02-05T00:00:00Z"),
        ];
        assert_eq!(
            assess(&vs, ts("2026-02-06T00:00:00Z"), &p, &c).serious_strikes,
            2,
            "exactly 3 days later is a new strike"
        );
    }

    #[test]
    fn serious_strikes_freeze_one_day_then_seven_then_close() {
        let (p, c) = setup("aliexpress");
        let first = [v(1, S, "2026-02-02T00:00:00Z")];
        let s = assess(&first, ts("2026-02-02T12:00:00Z"), &p, &c);
        assert_eq!(
            s.status,
            StoreStatus::Frozen {
                until: ts("2026-02-03T00:00:00Z")
            }
        );
        assert_eq!(
            assess(&first, ts("2026-02-03T00:00:00Z"), &p, &c).status,
            StoreStatus::Active
        );

        let two = [first[0].clone(), v(2, S, "2026-03-01T00:00:00Z")];
        let s = assess(&two, ts("2026-03-02T00:00:00Z"), &p, &c);
        assert_eq!(
            s.status,
            StoreStatus::Frozen {
                until: ts("2026-03-08T00:00:00Z")
            }
        );

        let three = [
            two[0].clone(),
            two[1].clone(),
            v(3, S, "2026-04-01T00:00:00Z"),
        ];
        let s = assess(&three, ts("2027-09-01T00:00:00Z"), &p, &c);
        assert_eq!(
            s.status,
            StoreStatus::Closed {
                since: ts("2026-04-01T00:00:00Z")
            },
            "closure does not lapse"
        );
        assert_eq!(
            s.penalties
                .iter()
                .filter(|p| p.kind == PenaltyKind::Close)
                .count(),
            1
        );
    }

    #[test]
    fn violations_lapse_after_365_days() {
        let (p, c) = setup("aliexpress");
        let vs = [
            v(1, S, "2025-01-10T00:00:00Z"),
            v(2, S, "2026-01-11T00:00:00Z"),
        ];
        let s = assess(&vs, ts("2026-01-12T00:00:00Z"), &p, &c);
        assert_eq!(s.serious_strikes, 1, "the 2025 strike has lapsed");
        // So the second strike is again a first strike: a one-day freeze, not seven.
        assert_eq!(
            s.penalties.last().map(|p| p.kind),
            Some(PenaltyKind::Freeze {
                until: ts("2026-01-12T00:00:00Z")
            })
        );
    }

    #[test]
    fn general_points_climb_the_ladder() {
        let (p, c) = setup("aliexpress");
        // Six violations on six different days: 12 points -> 7-day freeze.
        let vs: Vec<_> = (0..6)
            .map(|d| v(d, G, &format!("2026-05-{:02}T04:00:00Z", 4 + d)))
            .collect();
        let s = assess(&vs, ts("2026-05-10T00:00:00Z"), &p, &c);
        assert_eq!(s.general_points, 12);
        assert!(matches!(s.status, StoreStatus::Frozen { .. }));
        assert_eq!(s.penalties[0].kind, PenaltyKind::Warning);
        assert_eq!(s.penalties.len(), 2);
        assert_eq!(s.next_general.map(|t| t.at), Some(24));
    }

    #[test]
    fn violations_in_the_future_of_now_are_ignored() {
        let (p, c) = setup("aliexpress");
        let s = assess(
            &[v(1, S, "2026-02-02T00:00:00Z")],
            ts("2026-02-01T00:00:00Z"),
            &p,
            &c,
        );
        assert!(s.penalties.is_empty());
        assert_eq!(s.status, StoreStatus::Active);
    }

    #[test]
    fn alibaba_com_bans_at_the_third_serious_strike() {
        let (p, c) = setup("alibaba_com");
        let vs = [
            v(1, S, "2026-02-02T00:00:00Z"),
            v(2, S, "2026-03-02T00:00:00Z"),
            v(3, S, "2026-04-02T00:00:00Z"),
        ];
        let s = assess(&vs, ts("2026-04-03T00:00:00Z"), &p, &c);
        assert!(matches!(s.status, StoreStatus::Closed { .. }));
        assert_eq!(
            s.penalties[0].kind,
            PenaltyKind::Warning,
            "alibaba.com's first strike triggers no rung: a warning"
        );
    }

    #[test]
    fn store_changes_announce_freezes_their_extension_and_end_and_closure_once() {
        let (p, c) = setup("aliexpress");
        let first = [v(1, S, "2026-02-02T00:00:00Z")];
        let frozen = assess(&first, ts("2026-02-02T01:00:00Z"), &p, &c);
        let until = ts("2026-02-03T00:00:00Z");
        let Some(EventKind::StoreFrozen {
            until: u,
            complaint,
            ..
        }) = store_change(StoreStatus::Active, &frozen)
        else {
            panic!("a freeze is announced")
        };
        assert_eq!((u, complaint.as_str()), (until, "C1"));
        let announced = StoreStatus::Frozen { until };
        assert_eq!(store_change(announced, &frozen), None, "announced once");
        // A second serious violation while frozen merges into the first.
        let second = [first[0].clone(), v(2, S, "2026-02-02T20:00:00Z")];
        let merged = assess(&second, ts("2026-02-02T21:00:00Z"), &p, &c);
        assert_eq!(
            store_change(announced, &merged),
            None,
            "within the merge window: one strike"
        );
        // A later strike freezes for seven days: announced with its end (even
        // if the first freeze's end was never announced), and a job left for
        // an earlier end unfreezes nothing.
        let later = [first[0].clone(), v(2, S, "2026-02-10T00:00:00Z")];
        let extended = assess(&later, ts("2026-02-10T01:00:00Z"), &p, &c);
        let long = ts("2026-02-17T00:00:00Z");
        assert!(matches!(
            store_change(announced, &extended),
            Some(EventKind::StoreFrozen { until, .. }) if until == long
        ));
        let announced = StoreStatus::Frozen { until: long };
        let at_first_end = assess(&later, ts("2026-02-11T00:00:00Z"), &p, &c);
        assert_eq!(store_change(announced, &at_first_end), None);
        let after = assess(&later, long, &p, &c);
        assert_eq!(
            store_change(announced, &after),
            Some(EventKind::StoreUnfrozen)
        );
        assert_eq!(store_change(StoreStatus::Active, &after), None);
        // The third strike closes; nothing follows a closure.
        let third = [
            later[0].clone(),
            later[1].clone(),
            v(3, S, "2026-03-10T00:00:00Z"),
        ];
        let closed = assess(&third, ts("2026-03-10T01:00:00Z"), &p, &c);
        assert!(matches!(
            store_change(StoreStatus::Active, &closed),
            Some(EventKind::StoreClosed { .. })
        ));
        let since = ts("2026-03-10T00:00:00Z");
        assert_eq!(
            store_change(StoreStatus::Closed { since }, &after),
            None,
            "closure is final"
        );
        for (kind, want) in [
            (
                EventKind::StoreFrozen {
                    until,
                    complaint: ComplaintId::parse("C1").unwrap(),
                    listing: ListingId::parse("L1").unwrap(),
                },
                StoreStatus::Frozen { until },
            ),
            (EventKind::StoreUnfrozen, StoreStatus::Active),
        ] {
            assert_eq!(announced_status(&kind, since), Some(want));
        }
    }
}
