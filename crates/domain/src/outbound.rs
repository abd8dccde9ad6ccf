//! Outbound enforcement actions: which audit events a marketplace must act on.
//!
//! rightsguard decides; the marketplace holds the listings. Every decision
//! that changes what the marketplace must show (take a listing down, put it
//! back, hold it, release it) is an [`Action`] derived from the audit event
//! that records it, so the outbox row is written by the very transaction that
//! writes the audit record and can never disagree with it. This module only
//! says which events are actions and what they carry; storage adds the seller
//! and the right from the rows beside them, and the app delivers them.
//!
//! A notifier's suspension under DSA Art. 23 and its end are account
//! actions, ordered per account. A seller's store frozen, unfrozen or closed
//! are store actions, ordered per store: penalties are computed from
//! established complaints, and the app records a `Store*` event whenever the
//! computed status moves away from the last one announced (see
//! `rightsguard_domain::penalty::store_change`), at the establishment and at
//! the freeze's end.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::blocklist::BlockHit;
use crate::event::{DomainEvent, EventKind, Subject};
use crate::ids::ComplaintId;

/// The kinds of outbound action, named `object.past_tense` as webhook types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ActionType {
    /// A reviewer upheld a complaint: the marketplace must take the listing down.
    #[serde(rename = "listing.taken_down")]
    ListingTakenDown,
    /// The listing may be shown again (counter-notice won, window passed, reversal).
    #[serde(rename = "listing.reinstated")]
    ListingReinstated,
    /// The keyword blocklist held a listing write: do not publish it.
    #[serde(rename = "listing.held")]
    ListingHeld,
    /// A held listing passed the blocklist after a change: publish it.
    #[serde(rename = "listing.released")]
    ListingReleased,
    /// A notifier's account was suspended under DSA Art. 23 (its notices
    /// are refused until `until`).
    #[serde(rename = "account.suspended")]
    AccountSuspended,
    /// A notifier's suspension ended.
    #[serde(rename = "account.suspension_ended")]
    AccountSuspensionEnded,
    /// A seller's store is frozen until `until` (sent again with the new
    /// end when a later penalty moves it).
    #[serde(rename = "store.frozen")]
    StoreFrozen,
    /// A store's freeze ended: it may trade again.
    #[serde(rename = "store.unfrozen")]
    StoreUnfrozen,
    /// A seller's store is closed for good.
    #[serde(rename = "store.closed")]
    StoreClosed,
}

impl ActionType {
    /// Every type, in a fixed order.
    pub const ALL: [ActionType; 9] = [
        ActionType::ListingTakenDown,
        ActionType::ListingReinstated,
        ActionType::ListingHeld,
        ActionType::ListingReleased,
        ActionType::AccountSuspended,
        ActionType::AccountSuspensionEnded,
        ActionType::StoreFrozen,
        ActionType::StoreUnfrozen,
        ActionType::StoreClosed,
    ];

    /// The wire name (`listing.taken_down`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionType::ListingTakenDown => "listing.taken_down",
            ActionType::ListingReinstated => "listing.reinstated",
            ActionType::ListingHeld => "listing.held",
            ActionType::ListingReleased => "listing.released",
            ActionType::AccountSuspended => "account.suspended",
            ActionType::AccountSuspensionEnded => "account.suspension_ended",
            ActionType::StoreFrozen => "store.frozen",
            ActionType::StoreUnfrozen => "store.unfrozen",
            ActionType::StoreClosed => "store.closed",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for ActionType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An outbound action derived from one audit event.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// What the marketplace must do.
    pub kind: ActionType,
    /// What the events are ordered by: the listing id, `account:ORG` for
    /// account events, `store:SELLER` for store events.
    pub key: String,
    /// The complaint behind it, for takedowns and reinstatements.
    pub complaint: Option<ComplaintId>,
    /// What the receiver gets in `data`, minus what storage adds.
    pub data: ActionData,
}

/// The `data` object of a webhook.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ActionData {
    /// The listing (listing events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<String>,
    /// The organisation (account events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Until when an account is suspended or a store frozen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// Its seller (filled in by storage from the complaint or listing row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller: Option<String>,
    /// The complaint behind a takedown or reinstatement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint: Option<String>,
    /// The right the complaint rests on (filled in by storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<String>,
    /// Why a listing was reinstated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Until when the seller may file a counter-notice against a takedown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_notice_due: Option<Timestamp>,
    /// The blocked terms that held a listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_reasons: Option<Vec<BlockHit>>,
}

/// The outbound action an audit event stands for, if it is one.
pub fn action_of(event: &DomainEvent) -> Option<Action> {
    if let Subject::Store { seller } = &event.subject {
        let mut data = ActionData {
            seller: Some(seller.as_str().to_owned()),
            ..ActionData::default()
        };
        let (kind, complaint) = match &event.kind {
            // The cause's complaint is named; its listing is not, so that
            // `data.listing` always means a listing event.
            EventKind::StoreFrozen {
                until, complaint, ..
            } => {
                data.until = Some(*until);
                (ActionType::StoreFrozen, Some(complaint))
            }
            EventKind::StoreClosed { complaint, .. } => (ActionType::StoreClosed, Some(complaint)),
            EventKind::StoreUnfrozen => (ActionType::StoreUnfrozen, None),
            _ => return None,
        };
        data.complaint = complaint.map(|c| c.as_str().to_owned());
        return Some(Action {
            kind,
            key: format!("store:{seller}"),
            // The complaint is the penalty's cause, not a takedown: storage
            // must not look its listing up as the key.
            complaint: None,
            data,
        });
    }
    if let Subject::Notifier { notifier } = &event.subject {
        let mut data = ActionData {
            account: Some(notifier.as_str().to_owned()),
            ..ActionData::default()
        };
        let kind = match &event.kind {
            EventKind::NotifierSuspended { until, reason } => {
                data.until = Some(*until);
                data.reason = Some(reason.clone());
                ActionType::AccountSuspended
            }
            EventKind::NotifierSuspensionEnded => ActionType::AccountSuspensionEnded,
            _ => return None,
        };
        return Some(Action {
            kind,
            key: format!("account:{notifier}"),
            complaint: None,
            data,
        });
    }
    let (listing, complaint) = match &event.subject {
        Subject::Complaint {
            complaint,
            listing: Some(l),
        } => (l.clone(), Some(complaint.clone())),
        Subject::Listing { listing } => (listing.clone(), None),
        _ => return None,
    };
    let mut data = ActionData {
        listing: Some(listing.as_str().to_owned()),
        complaint: complaint.as_ref().map(|c| c.as_str().to_owned()),
        ..ActionData::default()
    };
    let kind = match &event.kind {
        EventKind::ItemUpheld { counter_notice_due } if complaint.is_some() => {
            data.counter_notice_due = Some(*counter_notice_due);
            ActionType::ListingTakenDown
        }
        EventKind::ListingReinstated { reason } if complaint.is_some() => {
            data.reason = Some(reason.clone());
            ActionType::ListingReinstated
        }
        EventKind::ListingHeld { reasons } if complaint.is_none() => {
            data.held_reasons = Some(reasons.clone());
            ActionType::ListingHeld
        }
        EventKind::ListingReleased if complaint.is_none() => ActionType::ListingReleased,
        _ => return None,
    };
    Some(Action {
        kind,
        key: listing.as_str().to_owned(),
        complaint,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Actor;
    use crate::ids::{ListingId, OrgId, UserId};

    fn at() -> Timestamp {
        Timestamp::UNIX_EPOCH
    }

    #[test]
    fn takedowns_reinstatements_holds_and_releases_are_actions_and_nothing_else() {
        let actor = Actor::seller(
            OrgId::parse("shop1").unwrap(),
            UserId::parse("sam").unwrap(),
        );
        let l = ListingId::parse("L1").unwrap();
        let c = ComplaintId::parse("C1").unwrap();
        let item = |kind| DomainEvent::complaint(c.clone(), Some(l.clone()), &actor, at(), kind);
        let upheld = action_of(&item(EventKind::ItemUpheld {
            counter_notice_due: at(),
        }));
        assert_eq!(
            upheld.map(|a| (a.kind, a.complaint)),
            Some((ActionType::ListingTakenDown, Some(c.clone())))
        );
        let back = action_of(&item(EventKind::ListingReinstated { reason: "r".into() }));
        assert_eq!(back.map(|a| a.kind), Some(ActionType::ListingReinstated));
        assert_eq!(action_of(&item(EventKind::ComplaintEstablished)), None);
        let whole = DomainEvent::complaint(
            c.clone(),
            None,
            &actor,
            at(),
            EventKind::ItemUpheld {
                counter_notice_due: at(),
            },
        );
        assert_eq!(action_of(&whole), None);
        let held = DomainEvent::listing(
            l.clone(),
            &actor,
            at(),
            EventKind::ListingHeld { reasons: vec![] },
        );
        assert_eq!(
            action_of(&held).map(|a| a.kind),
            Some(ActionType::ListingHeld)
        );
        let released = DomainEvent::listing(l.clone(), &actor, at(), EventKind::ListingReleased);
        assert_eq!(
            action_of(&released).map(|a| a.kind),
            Some(ActionType::ListingReleased)
        );
        let updated = DomainEvent::listing(l.clone(), &actor, at(), EventKind::ListingUpdated);
        assert_eq!(action_of(&updated), None);
        let org = OrgId::parse("acme").unwrap();
        let suspended = DomainEvent::notifier(
            org.clone(),
            &actor,
            at(),
            EventKind::NotifierSuspended {
                until: at(),
                reason: "r".into(),
            },
        );
        let a = action_of(&suspended).unwrap();
        assert_eq!(
            (a.kind, a.key.as_str()),
            (ActionType::AccountSuspended, "account:acme")
        );
        assert_eq!(a.data.account.as_deref(), Some("acme"));
        let ended = DomainEvent::notifier(
            org.clone(),
            &actor,
            at(),
            EventKind::NotifierSuspensionEnded,
        );
        assert_eq!(
            action_of(&ended).map(|a| a.kind),
            Some(ActionType::AccountSuspensionEnded)
        );
        let warned = DomainEvent::notifier(
            org,
            &actor,
            at(),
            EventKind::NotifierWarned {
                unfounded_rate: 0.5,
            },
        );
        assert_eq!(action_of(&warned), None);
        let frozen = DomainEvent::store(
            OrgId::parse("shop1").unwrap(),
            &actor,
            at(),
            EventKind::StoreFrozen {
                until: at(),
                complaint: c.clone(),
                listing: l.clone(),
            },
        );
        let a = action_of(&frozen).unwrap();
        assert_eq!(
            (a.kind, a.key.as_str(), a.complaint),
            (ActionType::StoreFrozen, "store:shop1", None)
        );
        assert_eq!(
            (
                a.data.seller.as_deref(),
                a.data.complaint.as_deref(),
                a.data.until
            ),
            (Some("shop1"), Some("C1"), Some(at()))
        );
        let store = |kind| DomainEvent::store(OrgId::parse("shop1").unwrap(), &actor, at(), kind);
        assert_eq!(
            action_of(&store(EventKind::StoreUnfrozen)).map(|a| a.kind),
            Some(ActionType::StoreUnfrozen)
        );
        assert_eq!(
            action_of(&store(EventKind::StoreClosed {
                complaint: c,
                listing: l,
            }))
            .map(|a| a.kind),
            Some(ActionType::StoreClosed)
        );
        assert_eq!(action_of(&store(EventKind::ListingUpdated)), None);
        for t in ActionType::ALL {
            assert_eq!(ActionType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).ok(),
                Some(serde_json::Value::String(t.as_str().into()))
            );
        }
    }
}
