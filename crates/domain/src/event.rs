//! Domain events: what happened, by whom, when — the content of the audit log.
//!
//! Every transition returns the events it caused; the app layer writes them in
//! the same transaction as the new state, hash-chained. Events are past tense
//! and carry what a reader of the log (or a regulator) needs without looking
//! anything else up.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::account::OrgKind;
use crate::actor::{Actor, Role};
use crate::blocklist::BlockHit;
use crate::ids::{
    AuthorisationId, BlockTermId, ComplaintId, ListingId, OrgId, RightId, Sha256, UserId,
};

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// When it happened.
    pub at: Timestamp,
    /// In which role the actor acted.
    pub actor_role: Role,
    /// The actor's organisation.
    pub actor_org: OrgId,
    /// The person, if a person acted.
    pub actor_user: Option<UserId>,
    /// What the event is about.
    pub subject: Subject,
    /// What happened.
    pub kind: EventKind,
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Subject {
    /// A right.
    Right {
        /// The right.
        right: RightId,
    },
    /// A complaint, or one listing of it.
    Complaint {
        /// The complaint.
        complaint: ComplaintId,
        /// The listing, for per-listing events.
        listing: Option<ListingId>,
    },
    /// A notifier's standing (good faith, Art. 23).
    Notifier {
        /// The notifier.
        notifier: OrgId,
    },
    /// An organisation's accounts: the organisation, its users, their tokens,
    /// powers of attorney it gave.
    Account {
        /// The organisation.
        org: OrgId,
    },
    /// An evidence file, by content.
    Evidence {
        /// Its SHA-256.
        sha256: Sha256,
    },
    /// A marketplace listing (its writes and the blocklist's holds).
    Listing {
        /// The listing.
        listing: ListingId,
    },
    /// A keyword block term.
    BlockTerm {
        /// The term.
        term: BlockTermId,
    },
    /// A seller's brand authorisation.
    Authorisation {
        /// The authorisation.
        authorisation: AuthorisationId,
    },
    /// A seller's store: its freezes, unfreezes and closure.
    Store {
        /// The seller.
        seller: OrgId,
    },
}

/// How a counter-notice answered by the rights holder was escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationKind {
    /// A complaint to the local market-regulation bureau.
    AdministrativeComplaint,
    /// A lawsuit before a court.
    Lawsuit,
}

/// Who filed an internal complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The complainant (rights holder or agent).
    Complainant,
    /// The seller whose listing is concerned.
    Seller,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A right was verified.
    RightVerified,
    /// A right was rejected.
    RightRejected {
        /// Why.
        reason: String,
    },
    /// A right was revoked.
    RightRevoked {
        /// Why.
        reason: String,
    },
    /// A right expired.
    RightExpired,
    /// A complaint was submitted.
    ComplaintSubmitted {
        /// The right it rests on.
        right: RightId,
        /// The reason code.
        reason_code: String,
        /// Listings named.
        listings: usize,
        /// Review due by.
        review_due: Timestamp,
    },
    /// An evidence file of the complaint was first shown on the site by a
    /// reported seller, before the complaint (a sign of a notifier passing
    /// off the seller's own pictures).
    EvidenceIsSellersImage {
        /// The evidence file.
        evidence: Sha256,
        /// The seller's listing that showed it first.
        listing: ListingId,
        /// The seller.
        seller: OrgId,
        /// When that listing first showed it.
        first_seen: Timestamp,
        /// Whether that was before the right came into force.
        before_right: bool,
    },
    /// A listing of a complaint failed the scope check.
    ItemOutOfScope {
        /// Why.
        reason: String,
    },
    /// A reviewer upheld the complaint for a listing; the listing is down.
    ItemUpheld {
        /// Counter-notice due by.
        counter_notice_due: Timestamp,
    },
    /// A reviewer rejected the complaint for a listing.
    ItemRejected {
        /// Why.
        reason: String,
        /// The reviewer found the notice manifestly unfounded (DSA Art. 23).
        manifestly_unfounded: bool,
    },
    /// The complainant supplemented evidence and resubmitted a rejected listing.
    EvidenceSupplemented {
        /// Evidence added.
        evidence: Vec<Sha256>,
        /// Review due by.
        review_due: Timestamp,
    },
    /// The complainant withdrew the complaint for a listing.
    ItemWithdrawn {
        /// Whether a counter-notice had been filed before (a withdrawal after appeal).
        after_counter_notice: bool,
    },
    /// A seller filed a counter-notice.
    CounterNoticeSubmitted {
        /// The round (1-based).
        round: u8,
        /// Evidence given.
        evidence: Vec<Sha256>,
    },
    /// A reviewer found the counter-notice valid and forwarded it to the rights holder.
    CounterNoticeForwarded {
        /// The round.
        round: u8,
    },
    /// The counter-notice was delivered; the escalation window runs from here.
    CounterNoticeDelivered {
        /// Escalation due by.
        escalation_due: Timestamp,
    },
    /// A reviewer found the counter-notice invalid.
    CounterNoticeRejected {
        /// The round.
        round: u8,
        /// Why.
        reason: String,
        /// Next round due by, if another round remains.
        next_round_due: Option<Timestamp>,
    },
    /// The rights holder showed a lawsuit or administrative complaint.
    EscalationRecorded {
        /// Which.
        kind: EscalationKind,
        /// Case number or filing reference.
        reference: String,
    },
    /// The outcome of an escalation was recorded.
    EscalationOutcomeRecorded {
        /// Whether infringement was found.
        infringement_found: bool,
    },
    /// The complaint became established for a listing: it counts against the seller.
    ComplaintEstablished,
    /// The listing was put back online.
    ListingReinstated {
        /// Why.
        reason: String,
    },
    /// A deadline passed and the system acted on it.
    WindowExpired {
        /// Which window.
        window: String,
    },
    /// An internal complaint against a decision was filed (DSA Art. 20).
    InternalComplaintFiled {
        /// By whom.
        by: Party,
        /// The grounds.
        grounds: String,
    },
    /// An internal complaint was decided.
    InternalComplaintDecided {
        /// Whether the decision was reversed.
        reversed: bool,
        /// Why.
        reason: String,
    },
    /// A notifier joined the good-faith programme.
    GoodFaithGranted,
    /// A notifier dropped out of the good-faith programme.
    GoodFaithRevoked {
        /// Barred from re-entry until.
        barred_until: Timestamp,
    },
    /// A notifier was warned under DSA Art. 23.
    NotifierWarned {
        /// Share of manifestly unfounded notices that triggered it.
        unfounded_rate: f64,
    },
    /// A notifier's case was put before a human decision.
    NotifierReferredForDecision,
    /// A notifier was suspended under DSA Art. 23.
    NotifierSuspended {
        /// Until when.
        until: Timestamp,
        /// Why.
        reason: String,
    },
    /// A reviewer or admin decided not to suspend.
    NotifierCaseDismissed {
        /// Why.
        reason: String,
    },
    /// A suspension ended.
    NotifierSuspensionEnded,
    /// An organisation was created.
    OrgCreated {
        /// What it is.
        kind: OrgKind,
        /// Its display name.
        name: String,
    },
    /// A user was created in the organisation.
    UserCreated {
        /// The user.
        user: UserId,
        /// The role.
        role: Role,
    },
    /// An API token was issued to a user (its secret is never logged).
    ApiTokenIssued {
        /// The token's public id.
        token: String,
        /// Whose it is.
        user: UserId,
    },
    /// An API token was revoked.
    ApiTokenRevoked {
        /// The token's public id.
        token: String,
    },
    /// A user's password was set or changed (the hash is never logged).
    PasswordSet {
        /// Whose.
        user: UserId,
    },
    /// The organisation (a rights holder) gave an agent a power of attorney.
    PowerOfAttorneyGranted {
        /// The agent.
        agent: OrgId,
    },
    /// An evidence file was uploaded by the actor's organisation.
    EvidenceUploaded {
        /// Sniffed content type.
        content_type: String,
        /// Size in bytes.
        size: u64,
        /// When the uploader says the capture was made, if it said.
        captured_at: Option<Timestamp>,
    },
    /// A listing was created (by its seller, or by the catalogue feed).
    ListingCreated {
        /// Its seller.
        seller: OrgId,
    },
    /// A listing's content was changed.
    ListingUpdated,
    /// The blocklist held a listing write: stored, not published.
    ListingHeld {
        /// The blocked terms found and not covered by an authorisation.
        reasons: Vec<BlockHit>,
    },
    /// A held listing passed the blocklist after a change and is published.
    ListingReleased,
    /// A rights holder asked for a term to be blocked.
    BlockTermRequested {
        /// The right it protects.
        right: RightId,
        /// The term.
        term: String,
    },
    /// An admin put a block term in force.
    BlockTermApproved,
    /// An admin refused a block term.
    BlockTermRejected {
        /// Why.
        reason: String,
    },
    /// A block term was taken off the blocklist.
    BlockTermLifted {
        /// Why.
        reason: String,
    },
    /// A rights holder authorised a seller to sell its brand.
    AuthorisationGranted {
        /// The seller.
        seller: OrgId,
        /// The right (brand).
        right: RightId,
        /// Last day valid, if limited.
        valid_until: Option<jiff::civil::Date>,
    },
    /// An authorisation was withdrawn.
    AuthorisationRevoked {
        /// The seller.
        seller: OrgId,
        /// The right (brand).
        right: RightId,
        /// Why.
        reason: String,
    },
    /// A right's recordal with customs (GACC) was recorded.
    CustomsRecordalRecorded {
        /// Customs' recordal number.
        number: String,
        /// The day customs approved it.
        approved_on: jiff::civil::Date,
        /// Its last valid day.
        valid_until: jiff::civil::Date,
        /// Whether the right's own term ends it.
        capped_by_right: bool,
    },
    /// A customs recordal was renewed.
    CustomsRecordalRenewed {
        /// Customs' recordal number.
        number: String,
        /// The day customs approved the renewal.
        renewed_on: jiff::civil::Date,
        /// The new last valid day.
        valid_until: jiff::civil::Date,
        /// Whether the right's own term ends it.
        capped_by_right: bool,
    },
    /// A proceeding outside the platform (AMR complaint, lawsuit, customs
    /// recordal) was recorded against the complaint, or updated.
    EscalationProceedingRecorded {
        /// Where.
        route: crate::escalation::Route,
        /// The authority.
        authority: String,
        /// Its case number.
        reference: String,
        /// When it was filed.
        filed_on: jiff::civil::Date,
        /// How it ended, once decided.
        outcome: Option<crate::escalation::Outcome>,
        /// When it was decided.
        decided_on: Option<jiff::civil::Date>,
        /// Its documents after this record (hash and label; absent from
        /// records written before proceedings carried documents).
        #[serde(default)]
        documents: Vec<crate::escalation::Document>,
    },
    /// A seller's store was frozen (or its freeze moved) by a penalty.
    StoreFrozen {
        /// End of the freeze.
        until: Timestamp,
        /// The complaint whose established violation triggered it.
        complaint: ComplaintId,
        /// Its listing.
        listing: ListingId,
    },
    /// A store's freeze ended (its time ran out, or the penalty was reversed).
    StoreUnfrozen,
    /// A seller's store was closed by a penalty.
    StoreClosed {
        /// The complaint whose established violation triggered it.
        complaint: ComplaintId,
        /// Its listing.
        listing: ListingId,
    },
    /// A reference image was added to a right (monitoring matches listing
    /// images against it).
    RightImageAdded {
        /// SHA-256 of the image file.
        sha256: Sha256,
        /// How many perceptual hashes were computed from it.
        hashes: u32,
    },
    /// A reference image was removed from a right (the file is kept).
    RightImageRemoved {
        /// SHA-256 of the image file.
        sha256: Sha256,
    },
    /// An admin configured a webhook endpoint of the marketplace (created,
    /// changed, secret rotated); secrets are never logged.
    WebhookEndpointChanged {
        /// The endpoint's id.
        endpoint: String,
        /// What changed, e.g. `created`, `disabled`, `secret rotated`.
        change: String,
    },
}

impl DomainEvent {
    fn new(actor: &Actor, at: Timestamp, subject: Subject, kind: EventKind) -> Self {
        Self {
            at,
            actor_role: actor.role,
            actor_org: actor.org.clone(),
            actor_user: actor.user.clone(),
            subject,
            kind,
        }
    }

    /// An event about a right.
    pub fn right(right: RightId, actor: &Actor, at: Timestamp, kind: EventKind) -> Self {
        Self::new(actor, at, Subject::Right { right }, kind)
    }

    /// An event about a complaint or one of its listings.
    pub fn complaint(
        complaint: ComplaintId,
        listing: Option<ListingId>,
        actor: &Actor,
        at: Timestamp,
        kind: EventKind,
    ) -> Self {
        Self::new(actor, at, Subject::Complaint { complaint, listing }, kind)
    }

    /// An event about a listing.
    pub fn listing(listing: ListingId, actor: &Actor, at: Timestamp, kind: EventKind) -> Self {
        Self::new(actor, at, Subject::Listing { listing }, kind)
    }

    /// An event about a block term.
    pub fn block_term(term: BlockTermId, actor: &Actor, at: Timestamp, kind: EventKind) -> Self {
        Self::new(actor, at, Subject::BlockTerm { term }, kind)
    }

    /// An event about a brand authorisation.
    pub fn authorisation(
        authorisation: AuthorisationId,
        actor: &Actor,
        at: Timestamp,
        kind: EventKind,
    ) -> Self {
        Self::new(actor, at, Subject::Authorisation { authorisation }, kind)
    }

    /// An event about a notifier.
    pub fn notifier(notifier: OrgId, actor: &Actor, at: Timestamp, kind: EventKind) -> Self {
        Self::new(actor, at, Subject::Notifier { notifier }, kind)
    }

    /// An event about an organisation's accounts.
    pub fn account(org: OrgId, actor: &Actor, at: Timestamp, kind: EventKind) -> Self {
        Self::new(actor, at, Subject::Account { org }, kind)
    }

    /// An event about a seller's store.
    pub fn store(seller: OrgId, actor: &Actor, at: Timestamp, kind: EventKind) -> Self {
        Self::new(actor, at, Subject::Store { seller }, kind)
    }

    /// An event about an evidence file.
    pub fn evidence(sha256: Sha256, actor: &Actor, at: Timestamp, kind: EventKind) -> Self {
        Self::new(actor, at, Subject::Evidence { sha256 }, kind)
    }
}
