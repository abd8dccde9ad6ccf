//! Keyword blocking and brand gating.
//!
//! A rights holder asks for a brand term to be blocked; an admin approves it.
//! From then on a listing created or changed with that term (as the detection
//! engine finds it, after evasion folding, within the right's classes) is held
//! — unless its seller has an authorisation for that brand on file. This
//! module holds the rules of both halves: the life of a block term
//! ([`BlockTerm`]) and the gate decision for one listing write
//! ([`gate_listing`]). Matching itself is the engine's job; the gate receives
//! its hits, so the decision stays a pure function that costs nothing next to
//! the matching.

use std::collections::BTreeSet;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::ids::{NiceClass, OrgId, RightId, Sha256};
use crate::right::{Right, RightState};
use crate::rule::RuleError;

/// Where a block term stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BlockTermState {
    /// Asked for, awaiting an admin.
    Requested,
    /// In force.
    Approved {
        /// When.
        at: Timestamp,
    },
    /// Refused.
    Rejected {
        /// Why.
        reason: String,
    },
    /// Taken off the blocklist.
    Lifted {
        /// Why.
        reason: String,
    },
}

/// A brand term asked to be blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockTerm {
    /// The right it protects.
    pub right: RightId,
    /// The right's owner.
    pub owner: OrgId,
    /// The term as asked for (trimmed).
    pub term: String,
    /// The classes in which it blocks (the right's).
    pub classes: BTreeSet<NiceClass>,
    /// When it was asked for.
    pub requested_at: Timestamp,
    /// Where it stands.
    pub state: BlockTermState,
}

/// A command on a block term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum BlockTermCommand {
    /// An admin puts it in force.
    Approve,
    /// An admin refuses it.
    Reject {
        /// Why.
        reason: String,
    },
    /// An admin or the owner takes it off.
    Lift {
        /// Why.
        reason: String,
    },
}

/// The longest term accepted, in characters.
pub const MAX_TERM_CHARS: usize = 64;

impl BlockTerm {
    /// A rights holder (or its agent) asks to block `term` for a verified right.
    pub fn request(
        right: &Right,
        term: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<BlockTerm, RuleError> {
        if !matches!(actor.role, Role::RightsHolder | Role::Agent) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "request a block term",
            });
        }
        if !actor.acts_for_rights_holder(&right.owner) {
            return Err(RuleError::NotAParty(format!(
                "right {} belongs to another owner",
                right.id
            )));
        }
        if right.state != RightState::Verified {
            return Err(RuleError::OutOfScope(format!(
                "right {} is not verified",
                right.id
            )));
        }
        let t = term.trim();
        if t.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
            return Err(RuleError::Invalid(
                "a block term needs at least two letters or digits".into(),
            ));
        }
        if t.chars().count() > MAX_TERM_CHARS {
            return Err(RuleError::Invalid(format!(
                "a block term has at most {MAX_TERM_CHARS} characters"
            )));
        }
        Ok(BlockTerm {
            right: right.id.clone(),
            owner: right.owner.clone(),
            term: t.to_owned(),
            classes: right.nice_classes.clone(),
            requested_at: now,
            state: BlockTermState::Requested,
        })
    }

    /// Whether the term is in force.
    pub fn in_force(&self) -> bool {
        matches!(self.state, BlockTermState::Approved { .. })
    }

    /// Applies a command.
    pub fn apply(
        &self,
        cmd: &BlockTermCommand,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<BlockTerm, RuleError> {
        let mut next = self.clone();
        let reason_of = |r: &str| {
            let r = r.trim();
            if r.is_empty() {
                Err(RuleError::Invalid("a reason is required".into()))
            } else {
                Ok(r.to_owned())
            }
        };
        next.state = match (cmd, &self.state) {
            (BlockTermCommand::Approve, BlockTermState::Requested) => {
                admin_only(actor, "approve a block term")?;
                BlockTermState::Approved { at: now }
            }
            (BlockTermCommand::Reject { reason }, BlockTermState::Requested) => {
                admin_only(actor, "reject a block term")?;
                BlockTermState::Rejected {
                    reason: reason_of(reason)?,
                }
            }
            (
                BlockTermCommand::Lift { reason },
                BlockTermState::Requested | BlockTermState::Approved { .. },
            ) => {
                if actor.role != Role::Admin && !actor.acts_for_rights_holder(&self.owner) {
                    return Err(RuleError::Forbidden {
                        role: actor.role,
                        command: "lift a block term",
                    });
                }
                BlockTermState::Lifted {
                    reason: reason_of(reason)?,
                }
            }
            (c, s) => {
                return Err(RuleError::WrongState {
                    command: match c {
                        BlockTermCommand::Approve => "approve a block term",
                        BlockTermCommand::Reject { .. } => "reject a block term",
                        BlockTermCommand::Lift { .. } => "lift a block term",
                    },
                    state: format!("{s:?}"),
                });
            }
        };
        Ok(next)
    }
}

fn admin_only(actor: &Actor, command: &'static str) -> Result<(), RuleError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(RuleError::Forbidden {
            role: actor.role,
            command,
        })
    }
}

/// A seller's authorisation to sell a brand (a licence, a distribution
/// contract), on file with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorisation {
    /// The seller.
    pub seller: OrgId,
    /// The right (brand) it covers.
    pub right: RightId,
    /// The evidence file.
    pub evidence: Sha256,
    /// Last day valid; `None` for open-ended.
    pub valid_until: Option<Date>,
    /// Withdrawn by the brand or staff.
    pub revoked: bool,
}

impl Authorisation {
    /// Whether it covers `seller` for `right` on `today`.
    pub fn covers(&self, seller: &OrgId, right: &RightId, today: Date) -> bool {
        !self.revoked
            && &self.seller == seller
            && &self.right == right
            && self.valid_until.is_none_or(|u| today <= u)
    }
}

/// One blocked term the engine found in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHit {
    /// The right whose term matched.
    pub right: RightId,
    /// The block term that matched, as approved.
    pub term: String,
    /// Where it was found (`title` or `description`).
    pub field: String,
    /// The text matched, as it stands in the listing.
    pub matched: String,
    /// How it matched (the engine's method name, e.g. `homoglyph`).
    pub method: String,
}

/// The gate's decision on a listing write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GateDecision {
    /// Store and publish.
    Pass,
    /// Store but hold: not published until released.
    Held {
        /// The hits not covered by an authorisation.
        reasons: Vec<BlockHit>,
    },
}

/// Decides a listing write: held if any hit's brand is not covered by one of
/// the seller's authorisations on `today`.
pub fn gate_listing(
    seller: &OrgId,
    hits: Vec<BlockHit>,
    authorisations: &[Authorisation],
    today: Date,
) -> GateDecision {
    let reasons: Vec<BlockHit> = hits
        .into_iter()
        .filter(|h| {
            !authorisations
                .iter()
                .any(|a| a.covers(seller, &h.right, today))
        })
        .collect();
    if reasons.is_empty() {
        GateDecision::Pass
    } else {
        GateDecision::Held { reasons }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::right::tests::trademark;
    use jiff::civil::date;

    fn now() -> Timestamp {
        "2026-04-01T00:00:00Z".parse().unwrap()
    }
    fn holder() -> Actor {
        Actor::rights_holder(
            OrgId::parse("acme").unwrap(),
            UserId::parse("alice").unwrap(),
        )
    }
    fn admin() -> Actor {
        Actor::admin(
            OrgId::parse("platform").unwrap(),
            UserId::parse("ada").unwrap(),
        )
    }
    fn verified() -> Right {
        let mut r = trademark("r1", "acme", "CN", &[25, 18]);
        r.state = RightState::Verified;
        r
    }

    #[test]
    fn a_request_needs_the_owner_a_verified_right_and_a_real_term() {
        let r = verified();
        let t = BlockTerm::request(&r, "  ACME  ", &holder(), now()).unwrap();
        assert_eq!(t.term, "ACME");
        assert_eq!(t.classes, r.nice_classes);
        assert_eq!(t.state, BlockTermState::Requested);
        let rival = Actor::rights_holder(
            OrgId::parse("rival").unwrap(),
            UserId::parse("bob").unwrap(),
        );
        assert!(matches!(
            BlockTerm::request(&r, "ACME", &rival, now()),
            Err(RuleError::NotAParty(_))
        ));
        assert!(matches!(
            BlockTerm::request(&r, "ACME", &admin(), now()),
            Err(RuleError::Forbidden { .. })
        ));
        assert!(matches!(
            BlockTerm::request(&r, "a", &holder(), now()),
            Err(RuleError::Invalid(_))
        ));
        assert!(matches!(
            BlockTerm::request(&r, &"x".repeat(65), &holder(), now()),
            Err(RuleError::Invalid(_))
        ));
        let mut pending = r.clone();
        pending.state = RightState::Pending;
        assert!(matches!(
            BlockTerm::request(&pending, "ACME", &holder(), now()),
            Err(RuleError::OutOfScope(_))
        ));
    }

    #[test]
    fn only_an_admin_approves_and_the_owner_may_lift() {
        let t = BlockTerm::request(&verified(), "ACME", &holder(), now()).unwrap();
        assert!(matches!(
            t.apply(&BlockTermCommand::Approve, &holder(), now()),
            Err(RuleError::Forbidden { .. })
        ));
        let t = t
            .apply(&BlockTermCommand::Approve, &admin(), now())
            .unwrap();
        assert!(t.in_force());
        assert!(matches!(
            t.apply(&BlockTermCommand::Approve, &admin(), now()),
            Err(RuleError::WrongState { .. })
        ));
        let lift = BlockTermCommand::Lift {
            reason: "brand sold".into(),
        };
        let lifted = t.apply(&lift, &holder(), now()).unwrap();
        assert!(!lifted.in_force());
        let seller = Actor::seller(OrgId::parse("shop").unwrap(), UserId::parse("sam").unwrap());
        assert!(matches!(
            t.apply(&lift, &seller, now()),
            Err(RuleError::Forbidden { .. })
        ));
        let reject = BlockTermCommand::Reject { reason: "".into() };
        let fresh = BlockTerm::request(&verified(), "ACME", &holder(), now()).unwrap();
        assert!(matches!(
            fresh.apply(&reject, &admin(), now()),
            Err(RuleError::Invalid(_))
        ));
    }

    fn hit(right: &str) -> BlockHit {
        BlockHit {
            right: RightId::parse(right).unwrap(),
            term: "ACME".into(),
            field: "title".into(),
            matched: "ACME".into(),
            method: "exact".into(),
        }
    }

    #[test]
    fn a_listing_is_held_unless_its_seller_is_authorised_for_every_brand_hit() {
        let shop = OrgId::parse("shop").unwrap();
        let auth = Authorisation {
            seller: shop.clone(),
            right: RightId::parse("r1").unwrap(),
            evidence: Sha256::from_bytes([5; 32]),
            valid_until: Some(date(2026, 12, 31)),
            revoked: false,
        };
        let today = date(2026, 6, 1);
        assert_eq!(gate_listing(&shop, vec![], &[], today), GateDecision::Pass);
        assert_eq!(
            gate_listing(&shop, vec![hit("r1")], std::slice::from_ref(&auth), today),
            GateDecision::Pass
        );
        let GateDecision::Held { reasons } = gate_listing(
            &shop,
            vec![hit("r1"), hit("r2")],
            std::slice::from_ref(&auth),
            today,
        ) else {
            panic!("should hold")
        };
        assert_eq!(reasons, vec![hit("r2")]);
        // Another seller's authorisation, an expired one, a revoked one: held.
        let other = OrgId::parse("other").unwrap();
        assert!(matches!(
            gate_listing(&other, vec![hit("r1")], std::slice::from_ref(&auth), today),
            GateDecision::Held { .. }
        ));
        assert!(matches!(
            gate_listing(
                &shop,
                vec![hit("r1")],
                std::slice::from_ref(&auth),
                date(2027, 1, 1)
            ),
            GateDecision::Held { .. }
        ));
        let revoked = Authorisation {
            revoked: true,
            ..auth
        };
        assert!(matches!(
            gate_listing(&shop, vec![hit("r1")], &[revoked], today),
            GateDecision::Held { .. }
        ));
    }
}
