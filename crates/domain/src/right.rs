//! IP rights: what a rights holder registers, and whether a site accepts it.
//!
//! A right is verified by a reviewer before any complaint may rest on it. Its
//! certificate files are identified by SHA-256 so that one certificate
//! uploaded by a second owner is caught ([`certificate_conflicts`]).

use std::collections::BTreeSet;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::event::{DomainEvent, EventKind};
use crate::ids::{Jurisdiction, NiceClass, OrgId, RegistrationNumber, RightId, Sha256};
use crate::policy::Policy;
use crate::rule::{RuleError, Transition};

/// The kinds of IP right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RightKind {
    /// A registered trademark (class-bound).
    Trademark,
    /// A patent.
    Patent,
    /// A registered design.
    Design,
    /// A copyright.
    Copyright,
}

/// The life of a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RightState {
    /// Registered, awaiting verification.
    Pending,
    /// Verified by a reviewer; complaints may rest on it.
    Verified,
    /// Refused by a reviewer.
    Rejected,
    /// Past its validity date.
    Expired,
    /// Withdrawn by an admin (e.g. cancelled registration, fraud).
    Revoked,
}

/// A right as registered on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Right {
    /// Its id.
    pub id: RightId,
    /// The organisation that owns it.
    pub owner: OrgId,
    /// Trademark, patent, design or copyright.
    pub kind: RightKind,
    /// Where it is registered.
    pub jurisdiction: Jurisdiction,
    /// The office's number.
    pub registration_number: RegistrationNumber,
    /// Nice classes (trademarks; empty otherwise).
    pub nice_classes: BTreeSet<NiceClass>,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force; `None` for rights without a term on record.
    pub valid_until: Option<Date>,
    /// SHA-256 of each certificate file.
    pub certificates: BTreeSet<Sha256>,
    /// For a Madrid (WO) registration: SHA-256 of its China extension certificate.
    pub cn_extension_certificate: Option<Sha256>,
    /// Where it stands.
    pub state: RightState,
}

/// A command on a right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum RightCommand {
    /// A reviewer confirms the right.
    Verify,
    /// A reviewer refuses it.
    Reject {
        /// Why, for the owner.
        reason: String,
    },
    /// An admin withdraws it.
    Revoke {
        /// Why, for the owner.
        reason: String,
    },
    /// The system marks it expired once its last day has passed.
    Expire,
}

impl Right {
    /// Whether the right is in force on `date` (validity dates inclusive).
    pub fn in_force_on(&self, date: Date) -> bool {
        date >= self.valid_from && self.valid_until.is_none_or(|u| date <= u)
    }

    /// Whether a site under `policy` accepts this right.
    pub fn accepted_by(&self, policy: &Policy) -> Result<(), RuleError> {
        if policy.accepts_jurisdiction(self.jurisdiction) {
            return Ok(());
        }
        if self.jurisdiction == Jurisdiction::MADRID
            && policy.rights.madrid_with_cn_extension
            && self.cn_extension_certificate.is_some()
        {
            return Ok(());
        }
        Err(RuleError::OutOfScope(format!(
            "site policy {} does not accept rights registered in {}{}",
            policy.name,
            self.jurisdiction,
            if self.jurisdiction == Jurisdiction::MADRID && policy.rights.madrid_with_cn_extension {
                " without the China extension certificate"
            } else {
                ""
            }
        )))
    }

    /// Applies a command. `today` is the date in the site's calendar.
    pub fn apply(
        &self,
        command: &RightCommand,
        actor: &Actor,
        now: Timestamp,
        today: Date,
    ) -> Result<Transition<Right>, RuleError> {
        use RightCommand as C;
        use RightState as S;
        let (role_ok, to, kind) = match (command, self.state) {
            (C::Verify, S::Pending) => {
                if !self.in_force_on(today) {
                    return Err(RuleError::Invalid("the right is not in force today".into()));
                }
                (
                    actor.role == Role::Reviewer,
                    S::Verified,
                    EventKind::RightVerified,
                )
            }
            (C::Reject { reason }, S::Pending) => (
                actor.role == Role::Reviewer,
                S::Rejected,
                EventKind::RightRejected {
                    reason: need_reason(reason)?,
                },
            ),
            (C::Revoke { reason }, S::Pending | S::Verified) => (
                actor.role == Role::Admin,
                S::Revoked,
                EventKind::RightRevoked {
                    reason: need_reason(reason)?,
                },
            ),
            (C::Expire, S::Pending | S::Verified) => {
                if self.in_force_on(today) || today < self.valid_from {
                    return Err(RuleError::TooEarly("the right is still in force".into()));
                }
                (
                    actor.role == Role::System,
                    S::Expired,
                    EventKind::RightExpired,
                )
            }
            (c, s) => {
                return Err(RuleError::WrongState {
                    command: command_name(c),
                    state: format!("{s:?}"),
                });
            }
        };
        if !role_ok {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: command_name(command),
            });
        }
        let mut next = self.clone();
        next.state = to;
        let event = DomainEvent::right(self.id.clone(), actor, now, kind);
        Ok(Transition {
            state: next,
            events: vec![event],
        })
    }
}

fn need_reason(r: &str) -> Result<String, RuleError> {
    let t = r.trim();
    if t.is_empty() {
        Err(RuleError::Invalid("a reason is required".into()))
    } else {
        Ok(t.to_owned())
    }
}

fn command_name(c: &RightCommand) -> &'static str {
    match c {
        RightCommand::Verify => "verify",
        RightCommand::Reject { .. } => "reject",
        RightCommand::Revoke { .. } => "revoke",
        RightCommand::Expire => "expire",
    }
}

/// A certificate file that another owner already registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateConflict {
    /// The certificate.
    pub certificate: Sha256,
    /// The other right that carries it.
    pub other_right: RightId,
    /// Its owner.
    pub other_owner: OrgId,
}

/// Certificates of `new` that a right of another owner already carries.
pub fn certificate_conflicts<'a>(
    new: &Right,
    existing: impl IntoIterator<Item = &'a Right>,
) -> Vec<CertificateConflict> {
    let mine: BTreeSet<&Sha256> = new
        .certificates
        .iter()
        .chain(new.cn_extension_certificate.iter())
        .collect();
    let mut out = Vec::new();
    for r in existing {
        if r.owner == new.owner || r.id == new.id {
            continue;
        }
        for c in r
            .certificates
            .iter()
            .chain(r.cn_extension_certificate.iter())
        {
            if mine.contains(c) {
                out.push(CertificateConflict {
                    certificate: *c,
                    other_right: r.id.clone(),
                    other_owner: r.owner.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jiff::civil::date;

    pub(crate) fn trademark(id: &str, owner: &str, j: &str, classes: &[u32]) -> Right {
        Right {
            id: RightId::parse(id).unwrap(),
            owner: OrgId::parse(owner).unwrap(),
            kind: RightKind::Trademark,
            jurisdiction: Jurisdiction::parse(j).unwrap(),
            registration_number: RegistrationNumber::parse("12345678").unwrap(),
            nice_classes: classes
                .iter()
                .map(|c| NiceClass::new(*c).unwrap())
                .collect(),
            valid_from: date(2020, 1, 1),
            valid_until: Some(date(2030, 12, 31)),
            certificates: [Sha256::from_bytes(std::array::from_fn(|i| {
                id.as_bytes().get(i).copied().unwrap_or(0)
            }))]
            .into(),
            cn_extension_certificate: None,
            state: RightState::Pending,
        }
    }

    fn staff(role: Role) -> Actor {
        Actor {
            role,
            org: OrgId::parse("platform").unwrap(),
            user: Some(crate::ids::UserId::parse("u1").unwrap()),
            principal: None,
        }
    }

    const NOW: &str = "2026-03-02T02:00:00Z";

    #[test]
    fn a_reviewer_verifies_a_pending_right_and_an_event_is_written() {
        let r = trademark("r1", "acme", "CN", &[25]);
        let t = r
            .apply(
                &RightCommand::Verify,
                &staff(Role::Reviewer),
                NOW.parse().unwrap(),
                date(2026, 3, 2),
            )
            .unwrap();
        assert_eq!(t.state.state, RightState::Verified);
        assert_eq!(t.events.len(), 1);
        assert!(matches!(t.events[0].kind, EventKind::RightVerified));
    }

    #[test]
    fn a_seller_or_admin_cannot_verify() {
        let r = trademark("r1", "acme", "CN", &[25]);
        for role in [Role::Seller, Role::Admin, Role::RightsHolder] {
            let e = r
                .apply(
                    &RightCommand::Verify,
                    &staff(role),
                    NOW.parse().unwrap(),
                    date(2026, 3, 2),
                )
                .unwrap_err();
            assert!(matches!(e, RuleError::Forbidden { .. }), "{role:?}: {e}");
        }
    }

    #[test]
    fn a_rejected_right_cannot_be_verified_later() {
        let mut r = trademark("r1", "acme", "CN", &[25]);
        r.state = RightState::Rejected;
        let e = r
            .apply(
                &RightCommand::Verify,
                &staff(Role::Reviewer),
                NOW.parse().unwrap(),
                date(2026, 3, 2),
            )
            .unwrap_err();
        assert!(matches!(e, RuleError::WrongState { .. }));
    }

    #[test]
    fn expiry_only_after_the_last_day() {
        let mut r = trademark("r1", "acme", "CN", &[25]);
        r.state = RightState::Verified;
        let sys = staff(Role::System);
        assert!(
            r.apply(
                &RightCommand::Expire,
                &sys,
                NOW.parse().unwrap(),
                date(2030, 12, 31)
            )
            .is_err()
        );
        let t = r
            .apply(
                &RightCommand::Expire,
                &sys,
                NOW.parse().unwrap(),
                date(2031, 1, 1),
            )
            .unwrap();
        assert_eq!(t.state.state, RightState::Expired);
    }

    #[test]
    fn rejection_needs_a_reason() {
        let r = trademark("r1", "acme", "CN", &[25]);
        let e = r.apply(
            &RightCommand::Reject {
                reason: "  ".into(),
            },
            &staff(Role::Reviewer),
            NOW.parse().unwrap(),
            date(2026, 3, 2),
        );
        assert!(matches!(e, Err(RuleError::Invalid(_))));
    }

    #[test]
    fn taobao_accepts_madrid_only_with_the_china_extension() {
        let taobao = Policy::builtin("taobao").unwrap();
        let mut r = trademark("r1", "acme", "WO", &[25]);
        assert!(r.accepted_by(&taobao).is_err());
        r.cn_extension_certificate = Some(Sha256::from_bytes([9; 32]));
        assert!(r.accepted_by(&taobao).is_ok());
        let us = trademark("r2", "acme", "US", &[25]);
        assert!(us.accepted_by(&taobao).is_err());
        assert!(
            us.accepted_by(&Policy::builtin("aliexpress").unwrap())
                .is_ok()
        );
    }

    #[test]
    fn a_certificate_reused_by_another_owner_is_caught() {
        let a = trademark("r1", "acme", "CN", &[25]);
        let mut b = trademark("r2", "copycat", "CN", &[25]);
        b.certificates = a.certificates.clone();
        let same_owner = trademark("r3", "acme", "CN", &[9]);
        let found = certificate_conflicts(&b, [&a, &same_owner]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].other_owner.as_str(), "acme");
        // The owner re-using its own certificate for another right is fine.
        let mut c = same_owner.clone();
        c.certificates = a.certificates.clone();
        assert!(certificate_conflicts(&c, [&a]).is_empty());
    }
}
