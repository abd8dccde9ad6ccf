//! Complaints (notices) and everything that follows them: review, counter-notice
//! rounds, the escalation window, establishment, reinstatement and internal
//! complaints against decisions.
//!
//! One complaint names one verified right and up to the policy's limit of
//! listings; each listing then has a life of its own ([`ItemState`]), because
//! a reviewer decides per listing and each seller answers for its own listing.
//! Every change is [`Complaint::apply`]: `(state, command, actor, now, policy)`
//! to a [`Transition`] with the new state and its audit events, or a
//! [`RuleError`] that says why not. Deadlines are data on the state; when one
//! passes, a timer sends [`ComplaintCommand::ExpireWindow`], which the rules
//! check against `now` like any other command.
//!
//! The listing is down exactly while the item is `Upheld`,
//! `CounterNoticePending`, `Forwarded`, `Escalated` or `Established`; only
//! `Established` counts against the seller ([`crate::penalty`]).

use std::collections::{BTreeSet, HashSet};

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::calendar::Calendar;
use crate::event::{DomainEvent, EscalationKind, EventKind, Party};
use crate::ids::{ComplaintId, ListingId, NiceClass, OrgId, RightId, Sha256, UserId};
use crate::policy::Policy;
use crate::right::{Right, RightKind, RightState};
use crate::rule::{RuleError, Transition};

/// The ground of a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Counterfeit goods bearing the mark.
    Counterfeit,
    /// Unauthorised use of the mark (in titles, images, descriptions).
    TrademarkMisuse,
    /// Copyright infringement (images, text).
    Copyright,
    /// Patent infringement.
    Patent,
    /// Infringement of a registered design.
    Design,
}

impl ReasonCode {
    /// All codes.
    pub const ALL: [ReasonCode; 5] = [
        Self::Counterfeit,
        Self::TrademarkMisuse,
        Self::Copyright,
        Self::Patent,
        Self::Design,
    ];

    /// The code as text (the key in policy severity tables).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counterfeit => "counterfeit",
            Self::TrademarkMisuse => "trademark_misuse",
            Self::Copyright => "copyright",
            Self::Patent => "patent",
            Self::Design => "design",
        }
    }

    /// The kind of right this ground rests on.
    pub fn right_kind(self) -> RightKind {
        match self {
            Self::Counterfeit | Self::TrademarkMisuse => RightKind::Trademark,
            Self::Copyright => RightKind::Copyright,
            Self::Patent => RightKind::Patent,
            Self::Design => RightKind::Design,
        }
    }
}

/// What the rules need to know of a listing named in a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingRef {
    /// The listing.
    pub id: ListingId,
    /// Its seller.
    pub seller: OrgId,
    /// The Nice classes its category maps to.
    pub category_classes: BTreeSet<NiceClass>,
}

/// The content of a new complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitComplaint {
    /// Id for the new complaint.
    pub id: ComplaintId,
    /// The right it rests on.
    pub right: RightId,
    /// The ground.
    pub reason: ReasonCode,
    /// Listings named.
    pub listings: Vec<ListingRef>,
    /// Evidence files (by content hash): captures, comparisons, proof of prior rights.
    pub evidence: Vec<Sha256>,
}

/// A reviewer's decision on one listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Take the listing down.
    Uphold,
    /// Refuse the complaint for this listing.
    Reject {
        /// Why, for the complainant.
        reason: String,
        /// The notice was manifestly unfounded (counts towards DSA Art. 23).
        manifestly_unfounded: bool,
    },
}

/// A command on a complaint; each names the listing it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum ComplaintCommand {
    /// A reviewer decides.
    Decide {
        /// The listing.
        listing: ListingId,
        /// Uphold or reject.
        decision: Decision,
    },
    /// The complainant adds evidence to a rejected listing and resubmits it.
    Supplement {
        /// The listing.
        listing: ListingId,
        /// New evidence.
        evidence: Vec<Sha256>,
    },
    /// The complainant withdraws the complaint for a listing.
    Withdraw {
        /// The listing.
        listing: ListingId,
    },
    /// The seller answers a takedown.
    FileCounterNotice {
        /// The listing.
        listing: ListingId,
        /// The seller's statement.
        statement: String,
        /// Evidence: authorisation, invoices.
        evidence: Vec<Sha256>,
    },
    /// A reviewer decides a counter-notice.
    DecideCounterNotice {
        /// The listing.
        listing: ListingId,
        /// Valid: forward to the rights holder. Invalid: the takedown stands.
        valid: bool,
        /// Why.
        reason: String,
    },
    /// The forwarded counter-notice reached the rights holder; the escalation
    /// window starts.
    ConfirmDelivery {
        /// The listing.
        listing: ListingId,
    },
    /// The rights holder shows a lawsuit or administrative complaint.
    RecordEscalation {
        /// The listing.
        listing: ListingId,
        /// Which.
        kind: EscalationKind,
        /// Case number or filing reference.
        reference: String,
    },
    /// Staff record how the escalation ended.
    RecordEscalationOutcome {
        /// The listing.
        listing: ListingId,
        /// Whether infringement was found.
        infringement_found: bool,
    },
    /// A deadline of this listing has passed (sent by the timer).
    ExpireWindow {
        /// The listing.
        listing: ListingId,
    },
    /// An internal complaint against a decision (DSA Art. 20).
    FileInternalComplaint {
        /// The listing.
        listing: ListingId,
        /// The grounds.
        grounds: String,
    },
    /// Staff decide an internal complaint.
    DecideInternalComplaint {
        /// The listing.
        listing: ListingId,
        /// Reverse the decision complained of.
        reverse: bool,
        /// Why.
        reason: String,
    },
}

impl ComplaintCommand {
    /// The listing the command concerns.
    pub fn listing(&self) -> &ListingId {
        match self {
            Self::Decide { listing, .. }
            | Self::Supplement { listing, .. }
            | Self::Withdraw { listing }
            | Self::FileCounterNotice { listing, .. }
            | Self::DecideCounterNotice { listing, .. }
            | Self::ConfirmDelivery { listing }
            | Self::RecordEscalation { listing, .. }
            | Self::RecordEscalationOutcome { listing, .. }
            | Self::ExpireWindow { listing }
            | Self::FileInternalComplaint { listing, .. }
            | Self::DecideInternalComplaint { listing, .. } => listing,
        }
    }

    /// The command's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Decide { .. } => "decide",
            Self::Supplement { .. } => "supplement",
            Self::Withdraw { .. } => "withdraw",
            Self::FileCounterNotice { .. } => "file a counter-notice",
            Self::DecideCounterNotice { .. } => "decide a counter-notice",
            Self::ConfirmDelivery { .. } => "confirm delivery",
            Self::RecordEscalation { .. } => "record an escalation",
            Self::RecordEscalationOutcome { .. } => "record an escalation outcome",
            Self::ExpireWindow { .. } => "expire a window",
            Self::FileInternalComplaint { .. } => "file an internal complaint",
            Self::DecideInternalComplaint { .. } => "decide an internal complaint",
        }
    }
}

/// Where one listing of a complaint stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ItemState {
    /// Awaiting a reviewer.
    UnderReview,
    /// Failed the scope check at submission (e.g. the category is outside the right's classes).
    OutOfScope {
        /// Why.
        reason: String,
    },
    /// Refused by a reviewer; the complainant may supplement and resubmit.
    Rejected {
        /// Why.
        reason: String,
        /// Manifestly unfounded (DSA Art. 23).
        manifestly_unfounded: bool,
    },
    /// Withdrawn by the complainant. Final.
    Withdrawn,
    /// Taken down; the seller may file a counter-notice in this round until `counter_due`.
    Upheld {
        /// The counter-notice round now open (1-based).
        round: u8,
        /// End of the round's window.
        counter_due: Timestamp,
    },
    /// A counter-notice awaits a reviewer.
    CounterNoticePending {
        /// Its round.
        round: u8,
    },
    /// A valid counter-notice was forwarded to the rights holder.
    Forwarded {
        /// Its round.
        round: u8,
        /// End of the escalation window, once delivery is confirmed.
        escalation_due: Option<Timestamp>,
    },
    /// The rights holder escalated in time; the listing stays down.
    Escalated {
        /// Lawsuit or administrative complaint.
        kind: EscalationKind,
        /// Case number or filing reference.
        reference: String,
    },
    /// Final takedown that counts against the seller.
    Established,
    /// The listing is back online. Final.
    Reinstated {
        /// Why.
        reason: String,
    },
}

impl ItemState {
    /// Whether the listing is down in this state.
    pub fn listing_down(&self) -> bool {
        matches!(
            self,
            Self::Upheld { .. }
                | Self::CounterNoticePending { .. }
                | Self::Forwarded { .. }
                | Self::Escalated { .. }
                | Self::Established
        )
    }

    /// Whether no command can change the state any more.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Withdrawn | Self::Reinstated { .. })
    }

    /// A short name for errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::UnderReview => "under_review",
            Self::OutOfScope { .. } => "out_of_scope",
            Self::Rejected { .. } => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Upheld { .. } => "upheld",
            Self::CounterNoticePending { .. } => "counter_notice_pending",
            Self::Forwarded { .. } => "forwarded",
            Self::Escalated { .. } => "escalated",
            Self::Established => "established",
            Self::Reinstated { .. } => "reinstated",
        }
    }
}

/// An internal complaint against a decision (DSA Art. 20).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    /// Who filed it.
    pub by: Party,
    /// When.
    pub filed_at: Timestamp,
    /// The decision complained of (its time).
    pub against_decision_at: Timestamp,
    /// `None` while pending; `Some(reversed)` once decided.
    pub outcome: Option<bool>,
}

/// One listing of a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The listing.
    pub listing: ListingId,
    /// Its seller.
    pub seller: OrgId,
    /// Where it stands.
    pub state: ItemState,
    /// Review due by (the SLA clock; not a state-changing deadline).
    pub review_due: Timestamp,
    /// When the last decision on it was taken (review or appeal).
    pub decided_at: Option<Timestamp>,
    /// Who took it.
    pub decided_by: Option<UserId>,
    /// When the complaint became established for this listing (it then
    /// counts against the seller); cleared if a later decision reverses it.
    pub established_at: Option<Timestamp>,
    /// How often it was supplemented and resubmitted.
    pub resubmissions: u32,
    /// Counter-notices filed, all rounds.
    pub counter_notices: u8,
    /// Internal complaints, oldest first.
    pub appeals: Vec<Appeal>,
}

impl Item {
    /// The next deadline at which a timer must send `ExpireWindow`, if any.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        match &self.state {
            ItemState::Upheld { counter_due, .. } => Some(*counter_due),
            ItemState::Forwarded { escalation_due, .. } => *escalation_due,
            _ => None,
        }
    }

    fn pending_appeal(&self) -> Option<&Appeal> {
        self.appeals.iter().find(|a| a.outcome.is_none())
    }
}

/// A complaint and its listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// Its id.
    pub id: ComplaintId,
    /// The rights holder on whose right it rests.
    pub complainant: OrgId,
    /// The organisation that filed it (the holder or its agent).
    pub filed_by: OrgId,
    /// The right.
    pub right: RightId,
    /// The ground.
    pub reason: ReasonCode,
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// Evidence files, in the order given.
    pub evidence: Vec<Sha256>,
    /// Its listings, in the order named.
    pub items: Vec<Item>,
    /// Evidence files that a reported seller showed first
    /// ([`Complaint::flag_sellers_own_images`]): a sign for the reviewer
    /// that the notifier may be passing off the seller's own pictures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_flags: Vec<EvidenceFlag>,
}

/// Where an image file was first seen on the site: the earliest listing
/// that carried it (by SHA-256 of the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSighting {
    /// SHA-256 of the image file.
    pub sha256: Sha256,
    /// The listing that showed it first.
    pub listing: ListingId,
    /// That listing's seller.
    pub seller: OrgId,
    /// When it was first seen there.
    pub first_seen: Timestamp,
}

/// An evidence file of a complaint that a reported seller showed on its own
/// listing before anyone else on the site, and before the complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFlag {
    /// The evidence file.
    pub evidence: Sha256,
    /// The seller's listing that showed it first.
    pub listing: ListingId,
    /// The seller.
    pub seller: OrgId,
    /// When the seller's listing first showed it.
    pub first_seen: Timestamp,
    /// Whether that was before the right came into force: the notifier's
    /// right is younger than the seller's picture.
    pub before_right: bool,
}

/// What the rules need besides the state: the site's policy and calendar.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The site's policy profile.
    pub policy: &'a Policy,
    /// The calendar deadlines are counted on (the policy's).
    pub calendar: &'a Calendar,
}

impl Complaint {
    /// Submits a complaint: checks the actor, the limits and the scope (the
    /// right is verified, in force and accepted by the site; for trademarks,
    /// each listing's category lies in the right's classes). Listings out of
    /// scope are recorded as such; if none is in scope the complaint is refused.
    pub fn submit(
        cmd: SubmitComplaint,
        right: &Right,
        actor: &Actor,
        now: Timestamp,
        ctx: Ctx<'_>,
    ) -> Result<Transition<Complaint>, RuleError> {
        if !matches!(actor.role, Role::RightsHolder | Role::Agent) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "submit a complaint",
            });
        }
        if !actor.acts_for_rights_holder(&right.owner) {
            return Err(RuleError::NotAParty(format!(
                "the right {} belongs to another owner",
                right.id
            )));
        }
        let limit = ctx.policy.complaints.max_listings_per_complaint as usize;
        if cmd.listings.is_empty() {
            return Err(RuleError::Invalid(
                "a complaint names at least one listing".into(),
            ));
        }
        if cmd.listings.len() > limit {
            return Err(RuleError::Limit(format!(
                "{} listings named; the site allows {limit} per complaint",
                cmd.listings.len()
            )));
        }
        let mut seen = HashSet::new();
        if let Some(dup) = cmd.listings.iter().find(|l| !seen.insert(&l.id)) {
            return Err(RuleError::Invalid(format!(
                "listing {} is named twice",
                dup.id
            )));
        }
        if cmd.evidence.is_empty() {
            return Err(RuleError::Invalid("a complaint needs evidence".into()));
        }
        if cmd.right != right.id {
            return Err(RuleError::Invalid(format!(
                "the complaint names right {} but right {} was given",
                cmd.right, right.id
            )));
        }
        if cmd.reason.right_kind() != right.kind {
            return Err(RuleError::Invalid(format!(
                "reason {} needs a {:?} right, not a {:?}",
                cmd.reason.as_str(),
                cmd.reason.right_kind(),
                right.kind
            )));
        }
        if right.state != RightState::Verified {
            return Err(RuleError::OutOfScope(format!(
                "the right {} is {:?}, not verified",
                right.id, right.state
            )));
        }
        let today = ctx.calendar.local_date(now);
        if !right.in_force_on(today) {
            return Err(RuleError::OutOfScope(format!(
                "the right {} is not in force on {today}",
                right.id
            )));
        }
        right.accepted_by(ctx.policy)?;

        let review_due = ctx
            .calendar
            .add_business_days(now, ctx.policy.complaints.review_sla_business_days)
            .due_at;
        let mut items = Vec::with_capacity(cmd.listings.len());
        let mut events = Vec::new();
        for l in cmd.listings {
            let state = match scope_gap(right, &l) {
                Some(reason) => {
                    events.push(DomainEvent::complaint(
                        cmd.id.clone(),
                        Some(l.id.clone()),
                        actor,
                        now,
                        EventKind::ItemOutOfScope {
                            reason: reason.clone(),
                        },
                    ));
                    ItemState::OutOfScope { reason }
                }
                None => ItemState::UnderReview,
            };
            items.push(Item {
                listing: l.id,
                seller: l.seller,
                state,
                review_due,
                decided_at: None,
                decided_by: None,
                established_at: None,
                resubmissions: 0,
                counter_notices: 0,
                appeals: Vec::new(),
            });
        }
        if items
            .iter()
            .all(|i| matches!(i.state, ItemState::OutOfScope { .. }))
        {
            return Err(RuleError::OutOfScope(format!(
                "no listing is in the classes of right {} ({})",
                right.id,
                right
                    .nice_classes
                    .iter()
                    .map(|c| c.get().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        events.insert(
            0,
            DomainEvent::complaint(
                cmd.id.clone(),
                None,
                actor,
                now,
                EventKind::ComplaintSubmitted {
                    right: right.id.clone(),
                    reason_code: cmd.reason.as_str().to_owned(),
                    listings: items.len(),
                    review_due,
                },
            ),
        );
        let complaint = Complaint {
            id: cmd.id,
            complainant: right.owner.clone(),
            filed_by: actor.org.clone(),
            right: right.id.clone(),
            reason: cmd.reason,
            submitted_at: now,
            evidence: cmd.evidence,
            items,
            evidence_flags: Vec::new(),
        };
        Ok(Transition {
            state: complaint,
            events,
        })
    }

    /// Flags evidence files of a just-submitted complaint that are, byte for
    /// byte, images a reported seller showed first: `first_sightings` holds,
    /// for some evidence files, the earliest listing on the site that carried
    /// the file. A file is flagged when that listing is a reported seller's
    /// and it showed the file before the complaint. This is the pattern of a
    /// notifier claiming a seller's own product photos as its work; it is a
    /// sign for the reviewer, not a decision (a seller may also have been the
    /// first to post a photo it took from the brand's site). Each flag is
    /// recorded as an event.
    pub fn flag_sellers_own_images(
        t: &mut Transition<Complaint>,
        first_sightings: &[ImageSighting],
        right: &Right,
        actor: &Actor,
    ) {
        let c = &mut t.state;
        let sellers: BTreeSet<&OrgId> = c.items.iter().map(|i| &i.seller).collect();
        let mut flags = Vec::new();
        for s in first_sightings {
            if !c.evidence.contains(&s.sha256)
                || !sellers.contains(&s.seller)
                || s.first_seen >= c.submitted_at
                || flags.iter().any(|f: &EvidenceFlag| f.evidence == s.sha256)
            {
                continue;
            }
            let seen_on = s.first_seen.to_zoned(jiff::tz::TimeZone::UTC).date();
            flags.push(EvidenceFlag {
                evidence: s.sha256,
                listing: s.listing.clone(),
                seller: s.seller.clone(),
                first_seen: s.first_seen,
                before_right: seen_on < right.valid_from,
            });
        }
        for f in &flags {
            t.events.push(DomainEvent::complaint(
                c.id.clone(),
                None,
                actor,
                c.submitted_at,
                EventKind::EvidenceIsSellersImage {
                    evidence: f.evidence,
                    listing: f.listing.clone(),
                    seller: f.seller.clone(),
                    first_seen: f.first_seen,
                    before_right: f.before_right,
                },
            ));
        }
        c.evidence_flags = flags;
    }

    /// The item for a listing.
    pub fn item(&self, listing: &ListingId) -> Option<&Item> {
        self.items.iter().find(|i| &i.listing == listing)
    }

    /// Applies a command to one listing of the complaint.
    pub fn apply(
        &self,
        cmd: &ComplaintCommand,
        actor: &Actor,
        now: Timestamp,
        ctx: Ctx<'_>,
    ) -> Result<Transition<Complaint>, RuleError> {
        let idx = self
            .items
            .iter()
            .position(|i| &i.listing == cmd.listing())
            .ok_or_else(|| {
                RuleError::Invalid(format!(
                    "listing {} is not part of complaint {}",
                    cmd.listing(),
                    self.id
                ))
            })?;
        let mut next = self.clone();
        let item = &mut next.items[idx];
        let mut events = Vec::new();
        let ev = |kind: EventKind| {
            DomainEvent::complaint(
                self.id.clone(),
                Some(cmd.listing().clone()),
                actor,
                now,
                kind,
            )
        };
        let wrong_state = |item: &Item| RuleError::WrongState {
            command: cmd.name(),
            state: item.state.name().into(),
        };
        let cal = ctx.calendar;
        let policy = ctx.policy;

        if item.state.is_final() {
            return Err(wrong_state(item));
        }

        match cmd {
            ComplaintCommand::Decide { decision, .. } => {
                require_role(actor, &[Role::Reviewer], cmd)?;
                if item.state != ItemState::UnderReview {
                    return Err(wrong_state(item));
                }
                item.decided_at = Some(now);
                item.decided_by = actor.user.clone();
                match decision {
                    Decision::Uphold => {
                        let due = cal
                            .add_business_days(now, policy.counter_notice.first_round_business_days)
                            .due_at;
                        item.state = ItemState::Upheld {
                            round: 1,
                            counter_due: due,
                        };
                        events.push(ev(EventKind::ItemUpheld {
                            counter_notice_due: due,
                        }));
                    }
                    Decision::Reject {
                        reason,
                        manifestly_unfounded,
                    } => {
                        let reason = required_text(reason, "a reason")?;
                        item.state = ItemState::Rejected {
                            reason: reason.clone(),
                            manifestly_unfounded: *manifestly_unfounded,
                        };
                        events.push(ev(EventKind::ItemRejected {
                            reason,
                            manifestly_unfounded: *manifestly_unfounded,
                        }));
                    }
                }
            }
            ComplaintCommand::Supplement { evidence, .. } => {
                self.require_complainant(actor, cmd)?;
                if !matches!(item.state, ItemState::Rejected { .. }) {
                    return Err(wrong_state(item));
                }
                // One route at a time: resubmitting while the rejection is under
                // internal complaint would let a stale appeal decision reopen a
                // listing that was decided again meanwhile.
                if item.pending_appeal().is_some() {
                    return Err(RuleError::WrongState {
                        command: cmd.name(),
                        state: "internal_complaint_pending".into(),
                    });
                }
                if evidence.is_empty() {
                    return Err(RuleError::Invalid(
                        "supplementing needs new evidence".into(),
                    ));
                }
                if item.resubmissions >= policy.complaints.max_resubmissions {
                    return Err(RuleError::Limit(format!(
                        "resubmitted {} times already; the site allows {}",
                        item.resubmissions, policy.complaints.max_resubmissions
                    )));
                }
                item.resubmissions += 1;
                item.review_due = cal
                    .add_business_days(now, policy.complaints.review_sla_business_days)
                    .due_at;
                item.state = ItemState::UnderReview;
                for e in evidence {
                    if !next.evidence.contains(e) {
                        next.evidence.push(*e);
                    }
                }
                events.push(ev(EventKind::EvidenceSupplemented {
                    evidence: evidence.clone(),
                    review_due: next.items[idx].review_due,
                }));
            }
            ComplaintCommand::Withdraw { .. } => {
                self.require_complainant(actor, cmd)?;
                let was_down = item.state.listing_down();
                match item.state {
                    ItemState::UnderReview
                    | ItemState::OutOfScope { .. }
                    | ItemState::Rejected { .. }
                    | ItemState::Upheld { .. }
                    | ItemState::CounterNoticePending { .. }
                    | ItemState::Forwarded { .. } => {}
                    _ => return Err(wrong_state(item)),
                }
                item.state = ItemState::Withdrawn;
                events.push(ev(EventKind::ItemWithdrawn {
                    after_counter_notice: item.counter_notices > 0,
                }));
                if was_down {
                    events.push(ev(EventKind::ListingReinstated {
                        reason: "complaint withdrawn".into(),
                    }));
                }
            }
            ComplaintCommand::FileCounterNotice {
                statement,
                evidence,
                ..
            } => {
                require_role(actor, &[Role::Seller], cmd)?;
                if actor.org != item.seller {
                    return Err(RuleError::NotAParty(format!(
                        "listing {} belongs to another seller",
                        item.listing
                    )));
                }
                let ItemState::Upheld { round, counter_due } = item.state else {
                    return Err(wrong_state(item));
                };
                if now >= counter_due {
                    return Err(RuleError::WindowClosed(format!(
                        "the round-{round} counter-notice window closed at {counter_due}"
                    )));
                }
                required_text(statement, "a statement")?;
                item.counter_notices += 1;
                item.state = ItemState::CounterNoticePending { round };
                events.push(ev(EventKind::CounterNoticeSubmitted {
                    round,
                    evidence: evidence.clone(),
                }));
            }
            ComplaintCommand::DecideCounterNotice { valid, reason, .. } => {
                require_role(actor, &[Role::Reviewer], cmd)?;
                let ItemState::CounterNoticePending { round } = item.state else {
                    return Err(wrong_state(item));
                };
                let reason = required_text(reason, "a reason")?;
                if *valid {
                    item.state = ItemState::Forwarded {
                        round,
                        escalation_due: None,
                    };
                    events.push(ev(EventKind::CounterNoticeForwarded { round }));
                } else if round < policy.counter_notice.rounds {
                    let due = cal
                        .add_business_days(now, policy.counter_notice.later_rounds_business_days)
                        .due_at;
                    item.state = ItemState::Upheld {
                        round: round + 1,
                        counter_due: due,
                    };
                    events.push(ev(EventKind::CounterNoticeRejected {
                        round,
                        reason,
                        next_round_due: Some(due),
                    }));
                } else {
                    item.state = ItemState::Established;
                    item.established_at = Some(now);
                    events.push(ev(EventKind::CounterNoticeRejected {
                        round,
                        reason,
                        next_round_due: None,
                    }));
                    events.push(ev(EventKind::ComplaintEstablished));
                }
            }
            ComplaintCommand::ConfirmDelivery { .. } => {
                require_role(actor, &[Role::System, Role::Reviewer], cmd)?;
                let ItemState::Forwarded {
                    round,
                    escalation_due: None,
                } = item.state
                else {
                    return Err(wrong_state(item));
                };
                let due = cal
                    .add_days(now, policy.counter_notice.escalation_window_days)
                    .due_at;
                item.state = ItemState::Forwarded {
                    round,
                    escalation_due: Some(due),
                };
                events.push(ev(EventKind::CounterNoticeDelivered {
                    escalation_due: due,
                }));
            }
            ComplaintCommand::RecordEscalation {
                kind, reference, ..
            } => {
                self.require_complainant(actor, cmd)?;
                let ItemState::Forwarded { escalation_due, .. } = item.state else {
                    return Err(wrong_state(item));
                };
                if let Some(due) = escalation_due
                    && now >= due
                {
                    return Err(RuleError::WindowClosed(format!(
                        "the escalation window closed at {due}"
                    )));
                }
                let reference = required_text(reference, "a case or filing reference")?;
                item.state = ItemState::Escalated {
                    kind: *kind,
                    reference: reference.clone(),
                };
                events.push(ev(EventKind::EscalationRecorded {
                    kind: *kind,
                    reference,
                }));
            }
            ComplaintCommand::RecordEscalationOutcome {
                infringement_found, ..
            } => {
                require_role(actor, &[Role::Reviewer, Role::Admin], cmd)?;
                if !matches!(item.state, ItemState::Escalated { .. }) {
                    return Err(wrong_state(item));
                }
                events.push(ev(EventKind::EscalationOutcomeRecorded {
                    infringement_found: *infringement_found,
                }));
                if *infringement_found {
                    item.state = ItemState::Established;
                    item.established_at = Some(now);
                    events.push(ev(EventKind::ComplaintEstablished));
                } else {
                    let reason = "escalation found no infringement".to_owned();
                    item.state = ItemState::Reinstated {
                        reason: reason.clone(),
                    };
                    events.push(ev(EventKind::ListingReinstated { reason }));
                }
            }
            ComplaintCommand::ExpireWindow { .. } => {
                require_role(actor, &[Role::System], cmd)?;
                let due = item.next_deadline().ok_or_else(|| wrong_state(item))?;
                if now < due {
                    return Err(RuleError::TooEarly(format!(
                        "the window is open until {due}"
                    )));
                }
                match item.state {
                    ItemState::Upheld { round, .. } => {
                        item.state = ItemState::Established;
                        item.established_at = Some(now);
                        events.push(ev(EventKind::WindowExpired {
                            window: format!("counter_notice_round_{round}"),
                        }));
                        events.push(ev(EventKind::ComplaintEstablished));
                    }
                    ItemState::Forwarded { .. } => {
                        let reason = "no escalation within the window after a valid counter-notice"
                            .to_owned();
                        item.state = ItemState::Reinstated {
                            reason: reason.clone(),
                        };
                        events.push(ev(EventKind::WindowExpired {
                            window: "escalation".into(),
                        }));
                        events.push(ev(EventKind::ListingReinstated { reason }));
                    }
                    _ => return Err(wrong_state(item)),
                }
            }
            ComplaintCommand::FileInternalComplaint { grounds, .. } => {
                let by = if actor.role == Role::Seller {
                    if actor.org != item.seller {
                        return Err(RuleError::NotAParty(format!(
                            "listing {} belongs to another seller",
                            item.listing
                        )));
                    }
                    if !matches!(
                        item.state,
                        ItemState::Upheld { .. } | ItemState::Established
                    ) {
                        return Err(wrong_state(item));
                    }
                    Party::Seller
                } else {
                    self.require_complainant(actor, cmd)?;
                    if !matches!(
                        item.state,
                        ItemState::Rejected { .. } | ItemState::OutOfScope { .. }
                    ) {
                        return Err(wrong_state(item));
                    }
                    Party::Complainant
                };
                let decided = item.decided_at.unwrap_or(self.submitted_at);
                let window = i64::from(policy.internal_complaints.window_months);
                let closes = decided
                    .to_zoned(cal.time_zone().clone())
                    .checked_add(window.months())
                    .map(|z| z.timestamp())
                    .unwrap_or(Timestamp::MAX);
                if now >= closes {
                    return Err(RuleError::WindowClosed(format!(
                        "internal complaints against this decision closed at {closes}"
                    )));
                }
                if item.pending_appeal().is_some() {
                    return Err(RuleError::WrongState {
                        command: cmd.name(),
                        state: "internal_complaint_pending".into(),
                    });
                }
                if item
                    .appeals
                    .iter()
                    .any(|a| a.by == by && a.against_decision_at == decided)
                {
                    return Err(RuleError::Invalid(
                        "this decision was already challenged by this party".into(),
                    ));
                }
                let grounds = required_text(grounds, "grounds")?;
                item.appeals.push(Appeal {
                    by,
                    filed_at: now,
                    against_decision_at: decided,
                    outcome: None,
                });
                events.push(ev(EventKind::InternalComplaintFiled { by, grounds }));
            }
            ComplaintCommand::DecideInternalComplaint {
                reverse, reason, ..
            } => {
                require_role(actor, &[Role::Reviewer, Role::Admin], cmd)?;
                let by =
                    item.pending_appeal()
                        .map(|a| a.by)
                        .ok_or_else(|| RuleError::WrongState {
                            command: cmd.name(),
                            state: "no_internal_complaint_pending".into(),
                        })?;
                if actor.user.is_some() && actor.user == item.decided_by {
                    return Err(RuleError::NotAParty(
                        "an internal complaint is decided by someone other than the person who took the decision".into(),
                    ));
                }
                let reason = required_text(reason, "a reason")?;
                if let Some(a) = item.appeals.iter_mut().find(|a| a.outcome.is_none()) {
                    a.outcome = Some(*reverse);
                }
                events.push(ev(EventKind::InternalComplaintDecided {
                    reversed: *reverse,
                    reason: reason.clone(),
                }));
                if *reverse {
                    item.decided_at = Some(now);
                    item.decided_by = actor.user.clone();
                    match by {
                        Party::Seller => {
                            // The Upheld/Established check was made at filing; the
                            // state may have moved to Established since, which is
                            // reversed the same way.
                            item.state = ItemState::Reinstated {
                                reason: format!("internal complaint upheld: {reason}"),
                            };
                            item.established_at = None;
                            events.push(ev(EventKind::ListingReinstated {
                                reason: "internal complaint upheld".into(),
                            }));
                        }
                        Party::Complainant => {
                            item.review_due = cal
                                .add_business_days(now, policy.complaints.review_sla_business_days)
                                .due_at;
                            item.state = ItemState::UnderReview;
                        }
                    }
                }
            }
        }
        Ok(Transition {
            state: next,
            events,
        })
    }

    fn require_complainant(&self, actor: &Actor, cmd: &ComplaintCommand) -> Result<(), RuleError> {
        if !matches!(actor.role, Role::RightsHolder | Role::Agent) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: cmd.name(),
            });
        }
        if !actor.acts_for_rights_holder(&self.complainant) {
            return Err(RuleError::NotAParty(format!(
                "complaint {} was filed for another rights holder",
                self.id
            )));
        }
        Ok(())
    }
}

/// Why a listing is outside a right's scope, if it is: trademarks are
/// class-bound, so the listing's category must map to one of the right's
/// Nice classes. Other kinds of right are not class-bound.
fn scope_gap(right: &Right, listing: &ListingRef) -> Option<String> {
    if right.kind != RightKind::Trademark {
        return None;
    }
    if right.nice_classes.is_disjoint(&listing.category_classes) {
        Some(format!(
            "listing {} is in classes [{}], outside the right's classes [{}]",
            listing.id,
            join(&listing.category_classes),
            join(&right.nice_classes)
        ))
    } else {
        None
    }
}

fn join(c: &BTreeSet<NiceClass>) -> String {
    c.iter()
        .map(|c| c.get().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn require_role(actor: &Actor, roles: &[Role], cmd: &ComplaintCommand) -> Result<(), RuleError> {
    if roles.contains(&actor.role) {
        Ok(())
    } else {
        Err(RuleError::Forbidden {
            role: actor.role,
            command: cmd.name(),
        })
    }
}

fn required_text(s: &str, what: &str) -> Result<String, RuleError> {
    let t = s.trim();
    if t.is_empty() {
        Err(RuleError::Invalid(format!("{what} is required")))
    } else if t.chars().count() > 10_000 {
        Err(RuleError::Invalid(format!(
            "{what} is longer than 10,000 characters"
        )))
    } else {
        Ok(t.to_owned())
    }
}

/// Where a complaint stands in the review queue: good-faith notifiers first,
/// then rights registered in the site's jurisdiction, then the rest; within a
/// tier, the earliest review deadline first. Sort ascending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ReviewPriority {
    /// 0 good faith, 1 local registration, 2 the rest.
    pub tier: u8,
    /// Review due by.
    pub due: Timestamp,
}

impl ReviewPriority {
    /// The priority of an item whose review is due at `due`.
    pub fn new(good_faith_notifier: bool, right_registered_locally: bool, due: Timestamp) -> Self {
        let tier = if good_faith_notifier {
            0
        } else if right_registered_locally {
            1
        } else {
            2
        };
        Self { tier, due }
    }
}

#[cfg(test)]
#[path = "complaint_tests.rs"]
pub(crate) mod tests;
