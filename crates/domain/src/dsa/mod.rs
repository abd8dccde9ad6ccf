//! DSA statements of reasons (Art. 17) in the EU Transparency Database's schema.
//!
//! Every decision that restricts a listing or an account yields one statement:
//! a takedown after a notice was upheld, a listing held by the keyword
//! blocklist, a store frozen or closed by the penalty ladder. This module maps
//! such a decision, given as typed facts ([`Decision`]), to a
//! [`StatementOfReasons`] whose field names and values are the database's.
//!
//! The check that a statement is acceptable lives apart, in [`validate`], and
//! is written from the field reference alone (`dsa-statement-of-reasons.md`),
//! against the JSON a statement serialises to, with its own tables of allowed
//! values. The mapping's enums are not reused there on purpose: a value the
//! mapping gets wrong must fail a check that was not derived from the same
//! mistake.
//!
//! A statement's `puid` names the decision's audit record (`rg-takedown-42`
//! is the decision recorded at audit sequence 42), so it is stable across
//! exports, unique on the platform, and leads back to the record
//! ([`DecisionRef`]).

pub mod validate;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::blocklist::BlockHit;
use crate::complaint::ReasonCode;
use crate::ids::{ComplaintId, ListingId, OrgId};
use crate::right::RightKind;

/// At most this many statements go in one batch (`POST /api/v1/statements`).
pub const MAX_BATCH: usize = 100;

/// The EEA: the EU27 plus Iceland, Liechtenstein and Norway, with Greece as `GR`.
/// The territorial scope of a statement of an EU marketplace.
pub const EEA: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// How the content's visibility was restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DecisionVisibility {
    /// Removed.
    #[serde(rename = "DECISION_VISIBILITY_CONTENT_REMOVED")]
    ContentRemoved,
    /// Access disabled (kept, not shown).
    #[serde(rename = "DECISION_VISIBILITY_CONTENT_DISABLED")]
    ContentDisabled,
}

/// How the provision of the service was restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DecisionProvision {
    /// The whole service, for a time.
    #[serde(rename = "DECISION_PROVISION_TOTAL_SUSPENSION")]
    TotalSuspension,
    /// The whole service, for good.
    #[serde(rename = "DECISION_PROVISION_TOTAL_TERMINATION")]
    TotalTermination,
}

/// How the account was restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DecisionAccount {
    /// Suspended for a time.
    #[serde(rename = "DECISION_ACCOUNT_SUSPENDED")]
    Suspended,
    /// Terminated.
    #[serde(rename = "DECISION_ACCOUNT_TERMINATED")]
    Terminated,
}

/// The kind of account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccountType {
    /// A trader (every marketplace seller).
    #[serde(rename = "ACCOUNT_TYPE_BUSINESS")]
    Business,
    /// A private person.
    #[serde(rename = "ACCOUNT_TYPE_PRIVATE")]
    Private,
}

/// Why: the law or the terms of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DecisionGround {
    /// Illegal content.
    #[serde(rename = "DECISION_GROUND_ILLEGAL_CONTENT")]
    IllegalContent,
    /// Content incompatible with the terms of service.
    #[serde(rename = "DECISION_GROUND_INCOMPATIBLE_CONTENT")]
    IncompatibleContent,
}

/// `Yes` or `No`, as the database spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum YesNo {
    /// Yes.
    Yes,
    /// No.
    No,
}

impl From<bool> for YesNo {
    fn from(b: bool) -> Self {
        if b { Self::Yes } else { Self::No }
    }
}

/// What the content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ContentType {
    /// A product (a marketplace listing).
    #[serde(rename = "CONTENT_TYPE_PRODUCT")]
    Product,
}

/// The statement's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Category {
    /// Intellectual property infringements.
    #[serde(rename = "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS")]
    IntellectualPropertyInfringements,
}

/// The category's specification: which kind of IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Keyword {
    /// Trademark.
    #[serde(rename = "KEYWORD_TRADEMARK_INFRINGEMENT")]
    TrademarkInfringement,
    /// Copyright.
    #[serde(rename = "KEYWORD_COPYRIGHT_INFRINGEMENT")]
    CopyrightInfringement,
    /// Registered design.
    #[serde(rename = "KEYWORD_DESIGN_INFRINGEMENT")]
    DesignInfringement,
    /// Patent.
    #[serde(rename = "KEYWORD_PATENT_INFRINGEMENT")]
    PatentInfringement,
}

impl Keyword {
    /// The keyword for a kind of right.
    pub fn of(kind: RightKind) -> Self {
        match kind {
            RightKind::Trademark => Self::TrademarkInfringement,
            RightKind::Copyright => Self::CopyrightInfringement,
            RightKind::Design => Self::DesignInfringement,
            RightKind::Patent => Self::PatentInfringement,
        }
    }
}

/// What set the decision off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SourceType {
    /// A notice under Art. 16.
    #[serde(rename = "SOURCE_ARTICLE_16")]
    Article16,
    /// The platform's own initiative.
    #[serde(rename = "SOURCE_VOLUNTARY")]
    Voluntary,
}

/// How far the decision was automated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AutomatedDecision {
    /// Wholly by the rules, no person.
    #[serde(rename = "AUTOMATED_DECISION_FULLY")]
    Fully,
    /// A person took part.
    #[serde(rename = "AUTOMATED_DECISION_PARTIALLY")]
    Partially,
    /// A person decided.
    #[serde(rename = "AUTOMATED_DECISION_NOT_AUTOMATED")]
    NotAutomated,
}

/// One statement of reasons, as the Transparency Database takes it
/// (`POST /api/v1/statement`). Absent optional fields are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementOfReasons {
    /// Restrictions of the content's visibility.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decision_visibility: Vec<DecisionVisibility>,
    /// Restriction of the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_provision: Option<DecisionProvision>,
    /// Restriction of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_account: Option<DecisionAccount>,
    /// The kind of account concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<AccountType>,
    /// Law or terms of service.
    pub decision_ground: DecisionGround,
    /// For illegal content: the legal ground (≤ 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illegal_content_legal_ground: Option<String>,
    /// For illegal content: why it is illegal (≤ 2,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illegal_content_explanation: Option<String>,
    /// For incompatible content: the term of service (≤ 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incompatible_content_ground: Option<String>,
    /// For incompatible content: why it is incompatible (≤ 2,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incompatible_content_explanation: Option<String>,
    /// For incompatible content: whether it is also illegal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incompatible_content_illegal: Option<YesNo>,
    /// What the content is.
    pub content_type: Vec<ContentType>,
    /// The category.
    pub category: Category,
    /// Which kind of IP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_specification: Vec<Keyword>,
    /// Where the decision applies (country codes).
    pub territorial_scope: Vec<String>,
    /// When the content was posted (`YYYY-MM-DD`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub content_date: Date,
    /// When the decision applied (`YYYY-MM-DD`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub application_date: Date,
    /// End of an account restriction; absent = indefinite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub end_date_account_restriction: Option<Date>,
    /// End of a service restriction; absent = indefinite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub end_date_service_restriction: Option<Date>,
    /// The facts and circumstances (≤ 5,000).
    pub decision_facts: String,
    /// Notice or own initiative.
    pub source_type: SourceType,
    /// Who sent the notice (≤ 500; not with own initiative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// Whether the content was found by automated means.
    pub automated_detection: YesNo,
    /// How far the decision was automated.
    pub automated_decision: AutomatedDecision,
    /// The platform's unique id of this statement.
    pub puid: String,
}

/// The kind of decision a puid names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DecisionKind {
    /// A notice upheld: the listing taken down.
    Takedown,
    /// A listing held by the keyword blocklist.
    Hold,
    /// A store frozen for a time.
    Suspension,
    /// A store closed.
    Termination,
}

impl DecisionKind {
    /// The kind as it appears in a puid.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Takedown => "takedown",
            Self::Hold => "hold",
            Self::Suspension => "suspension",
            Self::Termination => "termination",
        }
    }
}

/// What a puid points at: a kind of decision and the audit record it was
/// taken in (for a suspension or termination, the record of the violation
/// that triggered it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecisionRef {
    /// The kind.
    pub kind: DecisionKind,
    /// The audit sequence number.
    pub seq: i64,
}

impl DecisionRef {
    /// The puid: `rg-KIND-SEQ`.
    pub fn puid(self) -> String {
        format!("rg-{}-{}", self.kind.as_str(), self.seq)
    }

    /// Reads a puid made by [`DecisionRef::puid`]; `None` for anything else.
    pub fn parse(puid: &str) -> Option<Self> {
        let rest = puid.strip_prefix("rg-")?;
        let (kind, seq) = rest.split_once('-')?;
        let kind = match kind {
            "takedown" => DecisionKind::Takedown,
            "hold" => DecisionKind::Hold,
            "suspension" => DecisionKind::Suspension,
            "termination" => DecisionKind::Termination,
            _ => return None,
        };
        if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) || seq.starts_with('0') {
            return None;
        }
        let seq: i64 = seq.parse().ok()?;
        Some(Self { kind, seq })
    }
}

/// The registered right a notice rests on, as a statement cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightCited {
    /// Trademark, patent, design or copyright.
    pub kind: RightKind,
    /// Where registered (ISO country code or `EM`, `WO`).
    pub jurisdiction: String,
    /// The office's number.
    pub registration_number: String,
}

/// A notice upheld for one listing: the listing was taken down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takedown {
    /// The complaint (notice).
    pub complaint: ComplaintId,
    /// The listing taken down.
    pub listing: ListingId,
    /// Its seller.
    pub seller: OrgId,
    /// The notice's ground.
    pub reason: ReasonCode,
    /// The right it rests on.
    pub right: RightCited,
    /// Who sent the notice (the rights holder's name, and its agent's if one filed it).
    pub notifier: String,
    /// When the notice arrived.
    pub submitted_at: Timestamp,
}

/// A listing write held by the keyword blocklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The listing.
    pub listing: ListingId,
    /// Its seller.
    pub seller: OrgId,
    /// The blocked terms found.
    pub hits: Vec<BlockHit>,
}

/// A store penalty under the repeat-infringer rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePenalty {
    /// The seller.
    pub seller: OrgId,
    /// Frozen until this instant; `None` = closed for good.
    pub until: Option<Timestamp>,
    /// The violation that triggered it: its complaint.
    pub complaint: ComplaintId,
    /// And its listing.
    pub listing: ListingId,
    /// The ground of that violation.
    pub reason: ReasonCode,
    /// The penalty rule that fired, in words (e.g. "3 serious strikes").
    pub rule: String,
}

/// What was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measure {
    /// A notice upheld.
    Takedown(Takedown),
    /// A blocklist hold.
    Hold(Hold),
    /// A store frozen or closed.
    Penalty(StorePenalty),
}

/// A decision that restricts a listing or an account, with what a statement
/// of reasons needs to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The audit record it was taken in.
    pub seq: i64,
    /// When it applied.
    pub decided_at: Timestamp,
    /// When the content concerned was posted (the listing's creation), if known.
    pub content_at: Option<Timestamp>,
    /// What was decided.
    pub measure: Measure,
}

impl Decision {
    /// The kind of decision.
    pub fn kind(&self) -> DecisionKind {
        match &self.measure {
            Measure::Takedown(_) => DecisionKind::Takedown,
            Measure::Hold(_) => DecisionKind::Hold,
            Measure::Penalty(p) if p.until.is_some() => DecisionKind::Suspension,
            Measure::Penalty(_) => DecisionKind::Termination,
        }
    }

    /// What the puid points at.
    pub fn reference(&self) -> DecisionRef {
        DecisionRef {
            kind: self.kind(),
            seq: self.seq,
        }
    }

    /// The seller whose listing or account is restricted.
    pub fn seller(&self) -> &OrgId {
        match &self.measure {
            Measure::Takedown(t) => &t.seller,
            Measure::Hold(h) => &h.seller,
            Measure::Penalty(p) => &p.seller,
        }
    }

    /// The complaint behind the decision, if one is.
    pub fn complaint(&self) -> Option<&ComplaintId> {
        match &self.measure {
            Measure::Takedown(t) => Some(&t.complaint),
            Measure::Hold(_) => None,
            Measure::Penalty(p) => Some(&p.complaint),
        }
    }

    /// The statement of reasons for the decision, for `territorial_scope`
    /// (usually [`EEA`]). Free texts are cut to the schema's lengths.
    pub fn statement(&self, territorial_scope: &[&str]) -> StatementOfReasons {
        let application_date = utc_date(self.decided_at);
        let content_date = utc_date(self.content_at.unwrap_or(self.decided_at));
        let mut s = StatementOfReasons {
            decision_visibility: Vec::new(),
            decision_provision: None,
            decision_account: None,
            account_type: Some(AccountType::Business),
            decision_ground: DecisionGround::IllegalContent,
            illegal_content_legal_ground: None,
            illegal_content_explanation: None,
            incompatible_content_ground: None,
            incompatible_content_explanation: None,
            incompatible_content_illegal: None,
            content_type: vec![ContentType::Product],
            category: Category::IntellectualPropertyInfringements,
            category_specification: Vec::new(),
            territorial_scope: territorial_scope.iter().map(|c| (*c).to_owned()).collect(),
            content_date,
            application_date,
            end_date_account_restriction: None,
            end_date_service_restriction: None,
            decision_facts: String::new(),
            source_type: SourceType::Article16,
            source_identity: None,
            automated_detection: YesNo::No,
            automated_decision: AutomatedDecision::NotAutomated,
            puid: self.reference().puid(),
        };
        match &self.measure {
            Measure::Takedown(t) => {
                s.decision_visibility = vec![DecisionVisibility::ContentRemoved];
                s.category_specification = vec![Keyword::of(t.right.kind)];
                s.illegal_content_legal_ground = Some(cut(
                    &format!(
                        "Infringement of a registered {} ({} {}); the notice's ground: {}",
                        kind_name(t.right.kind),
                        t.right.jurisdiction,
                        t.right.registration_number,
                        reason_words(t.reason)
                    ),
                    500,
                ));
                s.illegal_content_explanation = Some(cut(
                    &format!(
                        "The rights holder's notice {} named listing {}. A reviewer checked \
                         the right (verified, in force, covering the listing's category) and \
                         the evidence, and found that the listing offers goods that infringe \
                         the {} cited: {}.",
                        t.complaint,
                        t.listing,
                        kind_name(t.right.kind),
                        reason_words(t.reason)
                    ),
                    2000,
                ));
                s.decision_facts = cut(
                    &format!(
                        "Notice {} received on {} from {} under the platform's notice-and-action \
                         procedure (DSA Art. 16) against listing {} of seller {}. The listing was \
                         removed on {}. The seller may file a counter-notice within the period \
                         the platform's rules give and an internal complaint (DSA Art. 20).",
                        t.complaint,
                        utc_date(t.submitted_at),
                        t.notifier,
                        t.listing,
                        t.seller,
                        application_date
                    ),
                    5000,
                );
                s.source_identity = Some(cut(&t.notifier, 500));
            }
            Measure::Hold(h) => {
                s.decision_visibility = vec![DecisionVisibility::ContentDisabled];
                s.category_specification = vec![Keyword::TrademarkInfringement];
                s.decision_ground = DecisionGround::IncompatibleContent;
                s.incompatible_content_ground = Some(
                    "Terms of service, brand gating: a listing that uses a brand term a \
                     rights holder has had blocked is not published unless its seller has \
                     the brand owner's authorisation on file"
                        .to_owned(),
                );
                let found = h
                    .hits
                    .iter()
                    .map(|hit| {
                        format!(
                            "\"{}\" in the {} (matched \"{}\" by {}, right {})",
                            hit.term, hit.field, hit.matched, hit.method, hit.right
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                s.incompatible_content_explanation = Some(cut(
                    &format!(
                        "The listing uses blocked brand terms and its seller has no \
                         authorisation on file for them: {found}. The listing is stored but \
                         not published; a change without the terms, or an authorisation, \
                         publishes it."
                    ),
                    2000,
                ));
                s.decision_facts = cut(
                    &format!(
                        "Listing {} of seller {} was checked automatically against the approved \
                         keyword blocklist when it was written on {} and held from publication.",
                        h.listing, h.seller, application_date
                    ),
                    5000,
                );
                s.source_type = SourceType::Voluntary;
                s.automated_detection = YesNo::Yes;
                s.automated_decision = AutomatedDecision::Fully;
            }
            Measure::Penalty(p) => {
                let end = p.until.map(utc_date);
                if end.is_some() {
                    s.decision_account = Some(DecisionAccount::Suspended);
                    s.decision_provision = Some(DecisionProvision::TotalSuspension);
                } else {
                    s.decision_account = Some(DecisionAccount::Terminated);
                    s.decision_provision = Some(DecisionProvision::TotalTermination);
                }
                s.end_date_account_restriction = end;
                s.end_date_service_restriction = end;
                s.category_specification = vec![Keyword::of(p.reason.right_kind())];
                s.decision_ground = DecisionGround::IncompatibleContent;
                s.incompatible_content_ground = Some(
                    "Terms of service, repeat infringers: established IP violations count \
                     against a seller and lead to a store freeze or closure"
                        .to_owned(),
                );
                s.incompatible_content_illegal = Some(YesNo::Yes);
                let what = match end {
                    Some(d) => format!("frozen until {d}"),
                    None => "closed".to_owned(),
                };
                s.incompatible_content_explanation = Some(cut(
                    &format!(
                        "The seller's established violations reached a rung of the penalty \
                         ladder ({}); the store is {what}.",
                        p.rule
                    ),
                    2000,
                ));
                s.decision_facts = cut(
                    &format!(
                        "The complaint {} against listing {} became established on {} ({}); \
                         with the seller's earlier established violations it triggered the \
                         penalty ({}). Store of seller {}: {what}.",
                        p.complaint,
                        p.listing,
                        application_date,
                        reason_words(p.reason),
                        p.rule,
                        p.seller
                    ),
                    5000,
                );
                s.source_type = SourceType::Voluntary;
                s.automated_decision = AutomatedDecision::Partially;
            }
        }
        s
    }
}

/// The UTC calendar date of an instant (the database takes dates, no zone).
pub fn utc_date(t: Timestamp) -> Date {
    t.to_zoned(TimeZone::UTC).date()
}

fn kind_name(k: RightKind) -> &'static str {
    match k {
        RightKind::Trademark => "trademark",
        RightKind::Patent => "patent",
        RightKind::Design => "design",
        RightKind::Copyright => "copyright",
    }
}

fn reason_words(r: ReasonCode) -> &'static str {
    match r {
        ReasonCode::Counterfeit => "counterfeit goods bearing the mark",
        ReasonCode::TrademarkMisuse => "unauthorised use of the mark",
        ReasonCode::Copyright => "copyright infringement",
        ReasonCode::Patent => "patent infringement",
        ReasonCode::Design => "infringement of a registered design",
    }
}

/// `s` cut to at most `max` characters, with an ellipsis when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests;
