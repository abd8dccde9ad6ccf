//! Marketplace listings and the rules of writing them.
//!
//! A listing is written by its seller, or by the platform's catalogue feed
//! (an admin or the system) on the seller's behalf. Every write passes the
//! keyword gate first ([`crate::blocklist::gate_listing`]); the gate's
//! decision becomes the listing's state, so a write that hits a blocked brand
//! is still stored — as `held`, with the reasons — and a later write that no
//! longer hits it publishes the listing again. The content is parsed at the
//! edge into types that cannot hold an invalid title, category or price
//! ([`ListingContent`]), so these rules only decide who may write and what
//! the gate's answer means.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize};

use crate::actor::{Actor, Role};
use crate::blocklist::{Authorisation, BlockHit, GateDecision};
use crate::event::{DomainEvent, EventKind};
use crate::ids::{ListingId, OrgId, ParseError, Sha256};
use crate::right::Right;
use crate::rule::{RuleError, Transition};

/// The longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest description accepted, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
/// The longest category name accepted, in characters.
pub const MAX_CATEGORY_CHARS: usize = 100;
/// The most image hashes a listing carries.
pub const MAX_IMAGES: usize = 20;

fn perr(what: &'static str, reason: impl Into<String>) -> ParseError {
    ParseError {
        what,
        reason: reason.into(),
    }
}

fn bounded(s: &str, what: &'static str, min: usize, max: usize) -> Result<String, ParseError> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min {
        return Err(perr(what, "empty"));
    }
    if n > max {
        return Err(perr(what, format!("{n} characters, at most {max}")));
    }
    if let Some(c) = t
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(perr(what, format!("control character {c:?} not allowed")));
    }
    Ok(t.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        pub struct $name(String);

        impl $name {
            /// Parses the text: trimmed, within its length, no control characters.
            pub fn parse(s: &str) -> Result<Self, ParseError> {
                bounded(s, $what, $min, $max).map(Self)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_type!(
    /// A listing's title: 1 to 200 characters.
    ListingTitle, "title", 1, MAX_TITLE_CHARS
);
text_type!(
    /// A listing's description: up to 5000 characters, may be empty.
    #[derive(Default)]
    ListingDescription, "description", 0, MAX_DESCRIPTION_CHARS
);
text_type!(
    /// The name of a site category (mapped to Nice classes by the site's
    /// category table, the same table `rightsguard scan` reads).
    CategoryName, "category", 1, MAX_CATEGORY_CHARS
);

/// An ISO 4217 currency code: three upper-case letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a code, upper-casing it.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let b = s.trim().as_bytes();
        match b {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_alphabetic()) => Ok(Self([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(perr("currency", "expected three letters (ISO 4217)")),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A price in the currency's minor units (cents), so no rounding ever happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Amount in minor units (1999 for 19.99).
    pub minor_units: u64,
    /// The currency.
    pub currency: Currency,
}

/// What a seller writes: everything of a listing but its identity and state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingContent {
    /// The title.
    pub title: ListingTitle,
    /// The description.
    #[serde(default)]
    pub description: ListingDescription,
    /// The site category.
    pub category: CategoryName,
    /// The price, if shown.
    #[serde(default)]
    pub price: Option<Price>,
    /// SHA-256 of each image file.
    #[serde(default)]
    pub image_hashes: Vec<Sha256>,
}

impl ListingContent {
    /// Checks what the field types cannot: the number of images.
    pub fn check(&self) -> Result<(), RuleError> {
        if self.image_hashes.len() > MAX_IMAGES {
            return Err(RuleError::Invalid(format!(
                "a listing has at most {MAX_IMAGES} images"
            )));
        }
        Ok(())
    }
}

/// Where a listing stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ListingState {
    /// Published.
    Active,
    /// Stored but not published: the blocklist found brands the seller is not
    /// authorised for.
    Held {
        /// Each blocked term found, with its right and how it matched.
        reasons: Vec<BlockHit>,
    },
}

impl ListingState {
    /// The state's name (`active`, `held`).
    pub fn name(&self) -> &'static str {
        match self {
            ListingState::Active => "active",
            ListingState::Held { .. } => "held",
        }
    }
}

/// A marketplace listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The marketplace's id (complaints name listings by it).
    pub id: ListingId,
    /// The seller organisation.
    pub seller: OrgId,
    /// What the seller wrote.
    pub content: ListingContent,
    /// Where it stands.
    pub state: ListingState,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last written.
    pub updated_at: Timestamp,
}

/// Whether `actor` may write listings of `seller`: the seller itself, or the
/// platform's catalogue feed (an admin or the system).
pub fn may_write(actor: &Actor, seller: &OrgId) -> Result<(), RuleError> {
    match actor.role {
        Role::Seller if &actor.org == seller => Ok(()),
        Role::Seller => Err(RuleError::NotAParty(format!(
            "listings of {seller} belong to another seller"
        ))),
        Role::Admin | Role::System => Ok(()),
        Role::RightsHolder | Role::Agent | Role::Reviewer => Err(RuleError::Forbidden {
            role: actor.role,
            command: "write a listing",
        }),
    }
}

/// Whether `actor` may read `listing`: staff, the system and its seller.
pub fn may_read(actor: &Actor, listing: &Listing) -> bool {
    match actor.role {
        Role::Reviewer | Role::Admin | Role::System => true,
        Role::Seller => actor.org == listing.seller,
        Role::RightsHolder | Role::Agent => false,
    }
}

fn state_of(gate: GateDecision) -> ListingState {
    match gate {
        GateDecision::Pass => ListingState::Active,
        GateDecision::Held { reasons } => ListingState::Held { reasons },
    }
}

impl Listing {
    /// Creates a listing with the gate's decision on its content.
    pub fn create(
        id: ListingId,
        seller: OrgId,
        content: ListingContent,
        gate: GateDecision,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Transition<Listing>, RuleError> {
        may_write(actor, &seller)?;
        content.check()?;
        let state = state_of(gate);
        let mut events = vec![DomainEvent::listing(
            id.clone(),
            actor,
            now,
            EventKind::ListingCreated {
                seller: seller.clone(),
            },
        )];
        if let ListingState::Held { reasons } = &state {
            events.push(DomainEvent::listing(
                id.clone(),
                actor,
                now,
                EventKind::ListingHeld {
                    reasons: reasons.clone(),
                },
            ));
        }
        Ok(Transition {
            state: Listing {
                id,
                seller,
                content,
                state,
                created_at: now,
                updated_at: now,
            },
            events,
        })
    }

    /// Replaces the content, with the gate's decision on the new content: a
    /// held listing that now passes is released, an active one that now hits
    /// a blocked brand is held.
    pub fn update(
        &self,
        content: ListingContent,
        gate: GateDecision,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Transition<Listing>, RuleError> {
        may_write(actor, &self.seller)?;
        content.check()?;
        let state = state_of(gate);
        let mut events = vec![DomainEvent::listing(
            self.id.clone(),
            actor,
            now,
            EventKind::ListingUpdated,
        )];
        match (&self.state, &state) {
            (_, ListingState::Held { reasons }) => events.push(DomainEvent::listing(
                self.id.clone(),
                actor,
                now,
                EventKind::ListingHeld {
                    reasons: reasons.clone(),
                },
            )),
            (ListingState::Held { .. }, ListingState::Active) => events.push(DomainEvent::listing(
                self.id.clone(),
                actor,
                now,
                EventKind::ListingReleased,
            )),
            (ListingState::Active, ListingState::Active) => {}
        }
        Ok(Transition {
            state: Listing {
                content,
                state,
                updated_at: now,
                ..self.clone()
            },
            events,
        })
    }
}

/// A rights holder (or its agent) puts a seller's authorisation for one of
/// its rights on file, with the evidence (a licence, a distribution
/// contract) and an optional last day.
pub fn grant_authorisation(
    right: &Right,
    seller: OrgId,
    evidence: Sha256,
    valid_until: Option<Date>,
    actor: &Actor,
    today: Date,
) -> Result<Authorisation, RuleError> {
    if !matches!(actor.role, Role::RightsHolder | Role::Agent) {
        return Err(RuleError::Forbidden {
            role: actor.role,
            command: "authorise a seller",
        });
    }
    if !actor.acts_for_rights_holder(&right.owner) {
        return Err(RuleError::NotAParty(format!(
            "right {} belongs to another owner",
            right.id
        )));
    }
    if let Some(until) = valid_until
        && until < today
    {
        return Err(RuleError::Invalid(format!(
            "valid_until {until} is in the past"
        )));
    }
    Ok(Authorisation {
        seller,
        right: right.id.clone(),
        evidence,
        valid_until,
        revoked: false,
    })
}

/// The granting rights holder (or its agent), or an admin, withdraws an
/// authorisation: from then on the seller's listing writes naming the brand
/// are gated again. A reason is required; an authorisation is revoked once.
pub fn revoke_authorisation(
    a: &Authorisation,
    owner: &OrgId,
    actor: &Actor,
    reason: &str,
) -> Result<Authorisation, RuleError> {
    match actor.role {
        Role::Admin => {}
        Role::RightsHolder | Role::Agent => {
            if !actor.acts_for_rights_holder(owner) {
                return Err(RuleError::NotAParty(format!(
                    "the authorisation was granted by {owner}"
                )));
            }
        }
        role => {
            return Err(RuleError::Forbidden {
                role,
                command: "revoke an authorisation",
            });
        }
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(RuleError::Invalid("a reason is required".into()));
    }
    if reason.chars().count() > 2_000 {
        return Err(RuleError::Invalid(
            "the reason is longer than 2,000 characters".into(),
        ));
    }
    if a.revoked {
        return Err(RuleError::WrongState {
            command: "revoke",
            state: "revoked".into(),
        });
    }
    Ok(Authorisation {
        revoked: true,
        ..a.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RightId, UserId};
    use crate::right::tests::trademark;
    use jiff::civil::date;

    fn now() -> Timestamp {
        "2026-04-01T00:00:00Z".parse().unwrap()
    }
    fn org(s: &str) -> OrgId {
        OrgId::parse(s).unwrap()
    }
    fn seller(o: &str) -> Actor {
        Actor::seller(org(o), UserId::parse("sam").unwrap())
    }
    fn content(title: &str) -> ListingContent {
        serde_json::from_value(serde_json::json!({"title": title, "category": "Shoes"})).unwrap()
    }
    fn hit() -> BlockHit {
        BlockHit {
            right: RightId::parse("r1").unwrap(),
            term: "ACME".into(),
            field: "title".into(),
            matched: "ACME".into(),
            method: "exact".into(),
        }
    }

    #[test]
    fn fields_are_parsed_at_the_edge() {
        assert_eq!(ListingTitle::parse("  Shoes ").unwrap().as_str(), "Shoes");
        assert!(ListingTitle::parse("   ").is_err());
        assert!(ListingTitle::parse(&"x".repeat(201)).is_err());
        assert!(ListingTitle::parse("a\u{0}b").is_err());
        assert_eq!(Currency::parse("eur").unwrap().as_str(), "EUR");
        assert!(Currency::parse("EURO").is_err());
        let e = serde_json::from_value::<ListingContent>(
            serde_json::json!({"title": "", "category": "x"}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("title"), "{e}");
    }

    #[test]
    fn a_seller_writes_its_own_listings_and_the_feed_writes_any() {
        let id = ListingId::parse("L1").unwrap();
        let t = Listing::create(
            id.clone(),
            org("shop"),
            content("Shoes"),
            GateDecision::Pass,
            &seller("shop"),
            now(),
        )
        .unwrap();
        assert_eq!(t.state.state, ListingState::Active);
        assert_eq!(t.events.len(), 1);
        assert!(matches!(
            Listing::create(
                id.clone(),
                org("shop"),
                content("Shoes"),
                GateDecision::Pass,
                &seller("other"),
                now()
            ),
            Err(RuleError::NotAParty(_))
        ));
        let holder = Actor::rights_holder(org("acme"), UserId::parse("al").unwrap());
        assert!(matches!(
            t.state
                .update(content("x"), GateDecision::Pass, &holder, now()),
            Err(RuleError::Forbidden { .. })
        ));
        let admin = Actor::admin(org("platform"), UserId::parse("ada").unwrap());
        assert!(
            t.state
                .update(content("x"), GateDecision::Pass, &admin, now())
                .is_ok()
        );
    }

    #[test]
    fn the_gate_holds_and_a_clean_update_releases() {
        let id = ListingId::parse("L1").unwrap();
        let held = Listing::create(
            id,
            org("shop"),
            content("ACME shoes"),
            GateDecision::Held {
                reasons: vec![hit()],
            },
            &seller("shop"),
            now(),
        )
        .unwrap();
        assert_eq!(held.state.state.name(), "held");
        assert!(matches!(held.events[1].kind, EventKind::ListingHeld { .. }));
        let released = held
            .state
            .update(
                content("Plain shoes"),
                GateDecision::Pass,
                &seller("shop"),
                now(),
            )
            .unwrap();
        assert_eq!(released.state.state, ListingState::Active);
        assert!(matches!(
            released.events[1].kind,
            EventKind::ListingReleased
        ));
    }

    #[test]
    fn only_the_owner_authorises_and_not_into_the_past() {
        let r = trademark("r1", "acme", "CN", &[25]);
        let holder = Actor::rights_holder(org("acme"), UserId::parse("al").unwrap());
        let today = date(2026, 6, 1);
        let ev = Sha256::from_bytes([1; 32]);
        let a = grant_authorisation(
            &r,
            org("shop"),
            ev,
            Some(date(2026, 12, 31)),
            &holder,
            today,
        )
        .unwrap();
        assert!(a.covers(&org("shop"), &r.id, today));
        let rival = Actor::rights_holder(org("rival"), UserId::parse("bo").unwrap());
        assert!(matches!(
            grant_authorisation(&r, org("shop"), ev, None, &rival, today),
            Err(RuleError::NotAParty(_))
        ));
        assert!(matches!(
            grant_authorisation(&r, org("shop"), ev, Some(date(2026, 1, 1)), &holder, today),
            Err(RuleError::Invalid(_))
        ));
        assert!(matches!(
            grant_authorisation(&r, org("shop"), ev, None, &seller("shop"), today),
            Err(RuleError::Forbidden { .. })
        ));
    }

    #[test]
    fn the_grantor_or_an_admin_revokes_once_with_a_reason() {
        let r = trademark("r1", "acme", "CN", &[25]);
        let holder = Actor::rights_holder(org("acme"), UserId::parse("al").unwrap());
        let today = date(2026, 6, 1);
        let a = grant_authorisation(
            &r,
            org("shop"),
            Sha256::from_bytes([1; 32]),
            None,
            &holder,
            today,
        )
        .unwrap();
        let acme = org("acme");
        let revoked = revoke_authorisation(&a, &acme, &holder, " licence ended ").unwrap();
        assert!(revoked.revoked);
        assert!(!revoked.covers(&org("shop"), &r.id, today));
        assert!(matches!(
            revoke_authorisation(&revoked, &acme, &holder, "again"),
            Err(RuleError::WrongState { .. })
        ));
        assert!(matches!(
            revoke_authorisation(&a, &acme, &holder, "  "),
            Err(RuleError::Invalid(_))
        ));
        let rival = Actor::rights_holder(org("rival"), UserId::parse("bo").unwrap());
        assert!(matches!(
            revoke_authorisation(&a, &acme, &rival, "mine"),
            Err(RuleError::NotAParty(_))
        ));
        assert!(matches!(
            revoke_authorisation(&a, &acme, &seller("shop"), "no"),
            Err(RuleError::Forbidden { .. })
        ));
        let reviewer = Actor::reviewer(org("platform"), UserId::parse("rita").unwrap());
        assert!(matches!(
            revoke_authorisation(&a, &acme, &reviewer, "no"),
            Err(RuleError::Forbidden { .. })
        ));
        let admin = Actor::admin(org("platform"), UserId::parse("ada").unwrap());
        assert!(revoke_authorisation(&a, &acme, &admin, "fraudulent licence").is_ok());
    }
}
