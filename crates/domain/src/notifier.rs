//! Notifier accuracy, the good-faith programme, and DSA Art. 23 measures
//! against abusive notifiers.
//!
//! Malicious notices are real (Alibaba reported 24% in 2017), so every
//! notifier is measured per reason code over a rolling window: how many of its
//! decided notices led to a takedown that held, how many takedowns were undone
//! by a counter-notice or an appeal, how many it withdrew once challenged, and
//! how many a reviewer found manifestly unfounded. The figures are computed
//! from the complaints themselves ([`records_of`]), so they cannot drift from
//! what happened. Good-faith membership and Art. 23 cases are small state
//! machines driven by those figures and by a human decision.

use std::collections::BTreeMap;

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::complaint::{Complaint, ItemState, ReasonCode};
use crate::event::{DomainEvent, EventKind};
use crate::ids::OrgId;
use crate::policy::Policy;
use crate::rule::{RuleError, Transition};

/// How one listing of a notice ended (so far).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Not decided yet.
    Pending,
    /// Taken down and not undone.
    TakenDown,
    /// Taken down, then undone by a counter-notice, an escalation outcome or an appeal.
    Reversed,
    /// Refused by a reviewer (or out of scope).
    Rejected {
        /// Found manifestly unfounded.
        manifestly_unfounded: bool,
    },
    /// Withdrawn by the notifier.
    Withdrawn {
        /// After the seller had filed a counter-notice.
        after_counter_notice: bool,
    },
}

/// One listing of one notice, as the accuracy figures see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NoticeRecord {
    /// The ground.
    pub reason: ReasonCode,
    /// When the notice was filed.
    pub filed_at: Timestamp,
    /// How it ended.
    pub outcome: Outcome,
}

/// The records of a complaint, one per listing.
pub fn records_of(c: &Complaint) -> Vec<NoticeRecord> {
    c.items
        .iter()
        .map(|i| {
            let outcome = match &i.state {
                ItemState::UnderReview => Outcome::Pending,
                ItemState::OutOfScope { .. } => Outcome::Rejected {
                    manifestly_unfounded: false,
                },
                ItemState::Rejected {
                    manifestly_unfounded,
                    ..
                } => Outcome::Rejected {
                    manifestly_unfounded: *manifestly_unfounded,
                },
                ItemState::Withdrawn => Outcome::Withdrawn {
                    after_counter_notice: i.counter_notices > 0,
                },
                ItemState::Upheld { .. }
                | ItemState::CounterNoticePending { .. }
                | ItemState::Forwarded { .. }
                | ItemState::Escalated { .. }
                | ItemState::Established => Outcome::TakenDown,
                ItemState::Reinstated { .. } => Outcome::Reversed,
            };
            NoticeRecord {
                reason: c.reason,
                filed_at: c.submitted_at,
                outcome,
            }
        })
        .collect()
}

/// Counts over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Listings notified.
    pub notices: u32,
    /// Of those, decided (not pending).
    pub decided: u32,
    /// Taken down, whether or not undone later.
    pub takedowns: u32,
    /// Takedowns undone by counter-notice, escalation outcome or appeal.
    pub reversed: u32,
    /// Withdrawn after a counter-notice.
    pub withdrawn_after_counter_notice: u32,
    /// Withdrawn otherwise.
    pub withdrawn: u32,
    /// Rejected.
    pub rejected: u32,
    /// Rejected as manifestly unfounded.
    pub manifestly_unfounded: u32,
}

impl Stats {
    fn add(&mut self, o: Outcome) {
        self.notices += 1;
        match o {
            Outcome::Pending => return,
            Outcome::TakenDown => self.takedowns += 1,
            Outcome::Reversed => {
                self.takedowns += 1;
                self.reversed += 1;
            }
            Outcome::Rejected {
                manifestly_unfounded,
            } => {
                self.rejected += 1;
                self.manifestly_unfounded += u32::from(manifestly_unfounded);
            }
            Outcome::Withdrawn {
                after_counter_notice: true,
            } => self.withdrawn_after_counter_notice += 1,
            Outcome::Withdrawn {
                after_counter_notice: false,
            } => self.withdrawn += 1,
        }
        self.decided += 1;
    }

    /// Share of decided notices whose takedown held (0 when nothing is decided).
    pub fn success_rate(&self) -> f64 {
        ratio(self.takedowns - self.reversed, self.decided)
    }

    /// Share of takedowns undone (0 when there was none).
    pub fn counter_success_rate(&self) -> f64 {
        ratio(self.reversed, self.takedowns)
    }

    /// Share of decided notices found manifestly unfounded.
    pub fn unfounded_rate(&self) -> f64 {
        ratio(self.manifestly_unfounded, self.decided)
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        0.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

/// A notifier's figures, overall and per reason code.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Accuracy {
    /// All reason codes.
    pub overall: Stats,
    /// Per reason code.
    pub by_reason: BTreeMap<ReasonCode, Stats>,
}

/// The figures over the policy's rolling window ending at `now`, counting
/// notices filed in `(now - window, now]` and, if given, after `since`.
pub fn accuracy(
    records: &[NoticeRecord],
    now: Timestamp,
    since: Option<Timestamp>,
    policy: &Policy,
) -> Accuracy {
    let start = now
        .checked_sub((i64::from(policy.notifiers.window_days) * 24).hours())
        .unwrap_or(Timestamp::MIN);
    let start = since.map_or(start, |s| s.max(start));
    let mut acc = Accuracy::default();
    for r in records
        .iter()
        .filter(|r| r.filed_at > start && r.filed_at <= now)
    {
        acc.overall.add(r.outcome);
        acc.by_reason.entry(r.reason).or_default().add(r.outcome);
    }
    acc
}

/// Whether the figures meet the good-faith bars, overall and for every
/// reason code used.
pub fn meets_good_faith(acc: &Accuracy, policy: &Policy) -> bool {
    let n = &policy.notifiers;
    let ok = |s: &Stats| {
        s.success_rate() >= n.good_faith_min_success_rate
            && s.counter_success_rate() <= n.good_faith_max_counter_success_rate
    };
    acc.overall.decided >= n.good_faith_min_notices
        && ok(&acc.overall)
        && acc.by_reason.values().filter(|s| s.decided > 0).all(ok)
}

/// Membership of the good-faith programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum GoodFaith {
    /// Not a member.
    NotMember,
    /// A member: priority in the queue, a lower burden of proof.
    Member {
        /// Since when.
        since: Timestamp,
    },
    /// Dropped out; may not re-enter before `until`.
    Barred {
        /// End of the bar.
        until: Timestamp,
    },
}

impl GoodFaith {
    /// Re-evaluates membership from fresh figures. Returns `None` when nothing changes.
    pub fn review(
        &self,
        notifier: &OrgId,
        acc: &Accuracy,
        actor: &Actor,
        now: Timestamp,
        policy: &Policy,
    ) -> Option<Transition<GoodFaith>> {
        let meets = meets_good_faith(acc, policy);
        let enough = acc.overall.decided >= policy.notifiers.good_faith_min_notices;
        let ev = |kind| vec![DomainEvent::notifier(notifier.clone(), actor, now, kind)];
        match *self {
            GoodFaith::Member { .. } if enough && !meets => {
                let until = now
                    .checked_add(
                        (i64::from(policy.notifiers.good_faith_reentry_bar_days) * 24).hours(),
                    )
                    .unwrap_or(Timestamp::MAX);
                Some(Transition {
                    state: GoodFaith::Barred { until },
                    events: ev(EventKind::GoodFaithRevoked {
                        barred_until: until,
                    }),
                })
            }
            GoodFaith::Barred { until } if now < until => None,
            GoodFaith::NotMember | GoodFaith::Barred { .. } if meets => Some(Transition {
                state: GoodFaith::Member { since: now },
                events: ev(EventKind::GoodFaithGranted),
            }),
            GoodFaith::Barred { .. } => Some(Transition {
                state: GoodFaith::NotMember,
                events: Vec::new(),
            }),
            _ => None,
        }
    }

    /// Whether the notifier has good-faith priority.
    pub fn is_member(&self) -> bool {
        matches!(self, GoodFaith::Member { .. })
    }
}

/// A DSA Art. 23 case against a notifier: warning, then a human decision,
/// then a suspension with an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AbuseCase {
    /// Nothing on record.
    Clear,
    /// Warned at `at`; notices after the warning are watched.
    Warned {
        /// When.
        at: Timestamp,
    },
    /// Abuse went on after the warning; a person must decide.
    AwaitingDecision {
        /// Since when.
        since: Timestamp,
    },
    /// Suspended: notices from this notifier are not processed until `until`;
    /// then it is back under watch (`Warned` from the end of the suspension).
    Suspended {
        /// End of the suspension.
        until: Timestamp,
    },
}

/// A command on an Art. 23 case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum AbuseCommand {
    /// The system looks at fresh figures (computed with [`AbuseCase::watch_since`]).
    Assess {
        /// The figures.
        accuracy: Stats,
    },
    /// Staff decide a case awaiting decision.
    Decide {
        /// Suspend (true) or dismiss (false).
        suspend: bool,
        /// Why.
        reason: String,
    },
    /// The system ends a suspension or a warning whose time is up.
    Expire,
}

impl AbuseCase {
    /// From when notices count for the next assessment: after a warning, only
    /// notices filed since the warning.
    pub fn watch_since(&self) -> Option<Timestamp> {
        match self {
            AbuseCase::Warned { at } => Some(*at),
            _ => None,
        }
    }

    /// Whether notices from this notifier are refused at `now`.
    pub fn is_suspended(&self, now: Timestamp) -> bool {
        matches!(self, AbuseCase::Suspended { until } if now < *until)
    }

    /// Applies a command. `Assess` with figures that call for no step returns
    /// the unchanged state and no event.
    pub fn apply(
        &self,
        notifier: &OrgId,
        cmd: &AbuseCommand,
        actor: &Actor,
        now: Timestamp,
        policy: &Policy,
    ) -> Result<Transition<AbuseCase>, RuleError> {
        let n = &policy.notifiers;
        let ev = |kind| DomainEvent::notifier(notifier.clone(), actor, now, kind);
        let wrong = |c: &'static str| RuleError::WrongState {
            command: c,
            state: format!("{self:?}"),
        };
        let days = |d: u32| (i64::from(d) * 24).hours();
        match cmd {
            AbuseCommand::Assess { accuracy } => {
                if actor.role != Role::System {
                    return Err(RuleError::Forbidden {
                        role: actor.role,
                        command: "assess a notifier",
                    });
                }
                let abusive = accuracy.decided >= n.abuse_min_notices
                    && accuracy.unfounded_rate() >= n.abuse_unfounded_rate;
                let (state, events) = match (*self, abusive) {
                    (AbuseCase::Clear, true) => (
                        AbuseCase::Warned { at: now },
                        vec![ev(EventKind::NotifierWarned {
                            unfounded_rate: accuracy.unfounded_rate(),
                        })],
                    ),
                    (AbuseCase::Warned { .. }, true) => (
                        AbuseCase::AwaitingDecision { since: now },
                        vec![ev(EventKind::NotifierReferredForDecision)],
                    ),
                    (s, _) => (s, Vec::new()),
                };
                Ok(Transition { state, events })
            }
            AbuseCommand::Decide { suspend, reason } => {
                if !actor.is_staff() {
                    return Err(RuleError::Forbidden {
                        role: actor.role,
                        command: "decide an Art. 23 case",
                    });
                }
                if !matches!(self, AbuseCase::AwaitingDecision { .. }) {
                    return Err(wrong("decide an Art. 23 case"));
                }
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(RuleError::Invalid("a reason is required".into()));
                }
                if *suspend {
                    let d = policy
                        .dsa
                        .as_ref()
                        .map_or(n.abuse_suspension_days, |d| d.art23_suspension_days);
                    let until = now.checked_add(days(d)).unwrap_or(Timestamp::MAX);
                    Ok(Transition {
                        state: AbuseCase::Suspended { until },
                        events: vec![ev(EventKind::NotifierSuspended {
                            until,
                            reason: reason.to_owned(),
                        })],
                    })
                } else {
                    Ok(Transition {
                        state: AbuseCase::Clear,
                        events: vec![ev(EventKind::NotifierCaseDismissed {
                            reason: reason.to_owned(),
                        })],
                    })
                }
            }
            AbuseCommand::Expire => {
                if actor.role != Role::System {
                    return Err(RuleError::Forbidden {
                        role: actor.role,
                        command: "expire an Art. 23 step",
                    });
                }
                match *self {
                    // The notifier comes back under watch: only notices
                    // filed from now on count (the ones that led to the
                    // suspension are not judged twice), and abuse resumed
                    // within the window goes straight to a human decision.
                    AbuseCase::Suspended { until } if now >= until => Ok(Transition {
                        state: AbuseCase::Warned { at: now },
                        events: vec![ev(EventKind::NotifierSuspensionEnded)],
                    }),
                    AbuseCase::Warned { at }
                        if now
                            >= at
                                .checked_add(days(n.window_days))
                                .unwrap_or(Timestamp::MAX) =>
                    {
                        Ok(Transition {
                            state: AbuseCase::Clear,
                            events: Vec::new(),
                        })
                    }
                    AbuseCase::Suspended { .. } | AbuseCase::Warned { .. } => Err(
                        RuleError::TooEarly("the step has not run its course".into()),
                    ),
                    _ => Err(wrong("expire an Art. 23 step")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn policy() -> Policy {
        Policy::builtin("aliexpress+dsa").unwrap()
    }
    fn now() -> Timestamp {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }
    fn rec(reason: ReasonCode, days_ago: i64, outcome: Outcome) -> NoticeRecord {
        NoticeRecord {
            reason,
            filed_at: now() - (days_ago * 24).hours(),
            outcome,
        }
    }
    fn org() -> OrgId {
        OrgId::parse("acme").unwrap()
    }
    fn sys() -> Actor {
        Actor::system(OrgId::parse("platform").unwrap())
    }
    fn many(n: usize, r: ReasonCode, o: Outcome) -> Vec<NoticeRecord> {
        (0..n).map(|i| rec(r, 1 + (i as i64 % 80), o)).collect()
    }

    use ReasonCode::{Copyright as Cp, Counterfeit as Cf};

    #[test]
    fn figures_cover_the_rolling_three_months_only() {
        let mut rs = many(10, Cf, Outcome::TakenDown);
        rs.push(rec(Cf, 91, Outcome::Reversed));
        rs.push(rec(Cf, 5, Outcome::Pending));
        let a = accuracy(&rs, now(), None, &policy());
        assert_eq!(a.overall.notices, 11);
        assert_eq!(a.overall.decided, 10);
        assert_eq!(a.overall.reversed, 0);
        assert!((a.overall.success_rate() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn rates_count_reversals_and_withdrawals_after_appeal() {
        let mut rs = many(16, Cf, Outcome::TakenDown);
        rs.extend(many(2, Cf, Outcome::Reversed));
        rs.extend(many(
            1,
            Cf,
            Outcome::Withdrawn {
                after_counter_notice: true,
            },
        ));
        rs.extend(many(
            1,
            Cf,
            Outcome::Rejected {
                manifestly_unfounded: true,
            },
        ));
        let a = accuracy(&rs, now(), None, &policy()).overall;
        assert_eq!(
            (
                a.decided,
                a.takedowns,
                a.reversed,
                a.withdrawn_after_counter_notice
            ),
            (20, 18, 2, 1)
        );
        assert!((a.success_rate() - 16.0 / 20.0).abs() < 1e-9);
        assert!((a.counter_success_rate() - 2.0 / 18.0).abs() < 1e-9);
        assert!((a.unfounded_rate() - 1.0 / 20.0).abs() < 1e-9);
    }

    #[test]
    fn good_faith_needs_the_bars_overall_and_per_reason_code() {
        let p = policy();
        let good = many(40, Cf, Outcome::TakenDown);
        assert!(meets_good_faith(&accuracy(&good, now(), None, &p), &p));
        // Too few notices.
        assert!(!meets_good_faith(
            &accuracy(&good[..10], now(), None, &p),
            &p
        ));
        // Overall fine (40 of 44 = 91%), but copyright notices fail on their own.
        let mut mixed = good.clone();
        mixed.extend(many(
            4,
            Cp,
            Outcome::Rejected {
                manifestly_unfounded: false,
            },
        ));
        let a = accuracy(&mixed, now(), None, &p);
        assert!(a.overall.success_rate() >= 0.9);
        assert!(!meets_good_faith(&a, &p));
        // Successful counter-notices above 5%.
        let mut countered = good.clone();
        countered.extend(many(3, Cf, Outcome::Reversed));
        assert!(!meets_good_faith(
            &accuracy(&countered, now(), None, &p),
            &p
        ));
    }

    #[test]
    fn dropping_out_bars_reentry_for_three_months() {
        let p = policy();
        let good = accuracy(&many(40, Cf, Outcome::TakenDown), now(), None, &p);
        let mut bad_rs = many(40, Cf, Outcome::TakenDown);
        bad_rs.extend(many(10, Cf, Outcome::Reversed));
        let bad = accuracy(&bad_rs, now(), None, &p);

        let t = GoodFaith::NotMember
            .review(&org(), &good, &sys(), now(), &p)
            .unwrap();
        assert!(t.state.is_member());
        assert!(matches!(t.events[0].kind, EventKind::GoodFaithGranted));
        let t = t.state.review(&org(), &bad, &sys(), now(), &p).unwrap();
        let GoodFaith::Barred { until } = t.state else {
            panic!("not barred: {:?}", t.state)
        };
        assert_eq!(until, now() + (90 * 24).hours());
        // Good figures again during the bar change nothing.
        assert_eq!(
            t.state
                .review(&org(), &good, &sys(), until - 1.second(), &p),
            None
        );
        // After the bar, good figures readmit.
        let back = t.state.review(&org(), &good, &sys(), until, &p).unwrap();
        assert!(back.state.is_member());
    }

    #[test]
    fn art23_warns_then_refers_then_suspends_with_an_end() {
        let p = policy();
        let abusive = Stats {
            notices: 12,
            decided: 12,
            rejected: 8,
            manifestly_unfounded: 7,
            ..Stats::default()
        };
        let fine = Stats {
            notices: 12,
            decided: 12,
            takedowns: 12,
            ..Stats::default()
        };
        let assess = |s: Stats| AbuseCommand::Assess { accuracy: s };

        let t = AbuseCase::Clear
            .apply(&org(), &assess(fine), &sys(), now(), &p)
            .unwrap();
        assert_eq!((t.state, t.events.len()), (AbuseCase::Clear, 0));

        let warned = AbuseCase::Clear
            .apply(&org(), &assess(abusive), &sys(), now(), &p)
            .unwrap();
        assert_eq!(warned.state, AbuseCase::Warned { at: now() });
        assert_eq!(warned.state.watch_since(), Some(now()));
        assert!(
            !warned.state.is_suspended(now()),
            "a warning is not a suspension"
        );

        let later = now() + (10 * 24).hours();
        let referred = warned
            .state
            .apply(&org(), &assess(abusive), &sys(), later, &p)
            .unwrap();
        assert!(matches!(referred.state, AbuseCase::AwaitingDecision { .. }));
        // The system may not suspend on its own.
        let decide = AbuseCommand::Decide {
            suspend: true,
            reason: "repeated unfounded notices".into(),
        };
        assert!(
            referred
                .state
                .apply(&org(), &decide, &sys(), later, &p)
                .is_err()
        );
        let admin = Actor::admin(
            OrgId::parse("platform").unwrap(),
            UserId::parse("ada").unwrap(),
        );
        let s = referred
            .state
            .apply(&org(), &decide, &admin, later, &p)
            .unwrap();
        let AbuseCase::Suspended { until } = s.state else {
            panic!()
        };
        assert_eq!(until, later + (30 * 24).hours());
        assert!(s.state.is_suspended(until - 1.second()));
        assert!(matches!(
            s.state.apply(
                &org(),
                &AbuseCommand::Expire,
                &sys(),
                until - 1.second(),
                &p
            ),
            Err(RuleError::TooEarly(_))
        ));
        let ended = s
            .state
            .apply(&org(), &AbuseCommand::Expire, &sys(), until, &p)
            .unwrap();
        // Back under watch: abuse that resumes is referred, not warned again.
        assert_eq!(ended.state, AbuseCase::Warned { at: until });
        assert_eq!(ended.state.watch_since(), Some(until));
        let resumed = ended
            .state
            .apply(
                &org(),
                &AbuseCommand::Assess { accuracy: abusive },
                &sys(),
                until + 1.hour(),
                &p,
            )
            .unwrap();
        assert!(matches!(resumed.state, AbuseCase::AwaitingDecision { .. }));
    }

    #[test]
    fn a_small_sample_never_triggers_art23() {
        let p = policy();
        let few = Stats {
            notices: 3,
            decided: 3,
            rejected: 3,
            manifestly_unfounded: 3,
            ..Stats::default()
        };
        let t = AbuseCase::Clear
            .apply(
                &org(),
                &AbuseCommand::Assess { accuracy: few },
                &sys(),
                now(),
                &p,
            )
            .unwrap();
        assert_eq!(t.state, AbuseCase::Clear);
    }
}
