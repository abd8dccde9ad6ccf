//! Lumen-style notice records: what researchers and the public read about a
//! takedown notice (after the Lumen database's notice model): the notice, the
//! works it claims with the infringing URLs, the sender, the principal it was
//! sent for and the recipient, and the action taken.
//!
//! A record is built from the complaint and its right as stored; the listing
//! URLs come from a template the platform gives (`{id}` is replaced by the
//! listing id), because only the platform knows where its listings live.

use jiff::Timestamp;
use serde::Serialize;

use crate::complaint::{Complaint, ItemState, ReasonCode};
use crate::csv::Csv;
use crate::right::{Right, RightKind};

/// A party of a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entity {
    /// Its role in the notice: `sender`, `principal` or `recipient`.
    pub role: String,
    /// The organisation's id on the platform.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A URL named as infringing, with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InfringingUrl {
    /// The listing's URL.
    pub url: String,
    /// The listing id.
    pub listing: String,
    /// Where the listing stands (`upheld`, `rejected`, `reinstated`, ...).
    pub status: String,
    /// Whether the listing was taken down at some point and is down now.
    pub down: bool,
}

/// The work a notice claims: the registered right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Work {
    /// Trademark, patent, design or copyright, with its number.
    pub description: String,
    /// `trademark`, `patent`, `design`, `copyright`.
    pub kind: String,
    /// Where registered.
    pub jurisdiction: String,
    /// The office's number.
    pub registration_number: String,
    /// The listings named.
    pub infringing_urls: Vec<InfringingUrl>,
}

/// One notice record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LumenNotice {
    /// The complaint id.
    pub id: String,
    /// Lumen's notice type: `Counterfeit`, `Trademark`, `Copyright`, `Patent` or `Other` (designs).
    #[serde(rename = "type")]
    pub notice_type: String,
    /// A one-line title.
    pub title: String,
    /// The notice's ground as the platform names it (`counterfeit`, ...).
    pub subject: String,
    /// When it was sent (submitted).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub date_sent: Timestamp,
    /// When the platform received it (the same instant: filed on the platform).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub date_received: Timestamp,
    /// Sender, principal and recipient.
    pub entities: Vec<Entity>,
    /// The works claimed.
    pub works: Vec<Work>,
    /// `Yes` (every listing acted on), `Partial`, `No`, or `Pending` (none decided yet).
    pub action_taken: String,
    /// Jurisdictions of the rights claimed.
    pub jurisdictions: Vec<String>,
}

/// The names a record needs, looked up by the caller.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    /// The organisation that filed the notice (the holder, or its agent).
    pub sender: (&'a str, &'a str),
    /// The rights holder it was filed for.
    pub principal: (&'a str, &'a str),
    /// The platform.
    pub recipient: (&'a str, &'a str),
}

/// The default listing URL template.
pub const DEFAULT_LISTING_URL: &str = "https://marketplace.example/listings/{id}";

/// Whether a listing in this state was acted on (taken down, now or before).
fn acted_on(s: &ItemState) -> bool {
    s.listing_down() || matches!(s, ItemState::Reinstated { .. })
}

/// The record of a complaint.
pub fn notice(
    c: &Complaint,
    right: &Right,
    parties: Parties<'_>,
    url_template: &str,
) -> LumenNotice {
    let urls: Vec<InfringingUrl> = c
        .items
        .iter()
        .map(|i| InfringingUrl {
            url: url_template.replace("{id}", i.listing.as_str()),
            listing: i.listing.to_string(),
            status: i.state.name().to_owned(),
            down: i.state.listing_down(),
        })
        .collect();
    let acted = c.items.iter().filter(|i| acted_on(&i.state)).count();
    let pending = c
        .items
        .iter()
        .filter(|i| i.state == ItemState::UnderReview)
        .count();
    let action = if acted == 0 && pending > 0 {
        "Pending"
    } else if acted == 0 {
        "No"
    } else if acted == c.items.len() {
        "Yes"
    } else {
        "Partial"
    };
    let kind = kind_name(right.kind);
    let entity = |role: &str, (id, name): (&str, &str)| Entity {
        role: role.to_owned(),
        id: id.to_owned(),
        name: name.to_owned(),
    };
    LumenNotice {
        id: c.id.to_string(),
        notice_type: notice_type(c.reason).to_owned(),
        title: format!(
            "{} complaint to {} about {} listing{}",
            notice_type(c.reason),
            parties.recipient.1,
            c.items.len(),
            if c.items.len() == 1 { "" } else { "s" }
        ),
        subject: c.reason.as_str().to_owned(),
        date_sent: c.submitted_at,
        date_received: c.submitted_at,
        entities: vec![
            entity("sender", parties.sender),
            entity("principal", parties.principal),
            entity("recipient", parties.recipient),
        ],
        works: vec![Work {
            description: format!(
                "Registered {kind} {} {}",
                right.jurisdiction,
                right.registration_number.as_str()
            ),
            kind: kind.to_owned(),
            jurisdiction: right.jurisdiction.to_string(),
            registration_number: right.registration_number.as_str().to_owned(),
            infringing_urls: urls,
        }],
        action_taken: action.to_owned(),
        jurisdictions: vec![right.jurisdiction.to_string()],
    }
}

fn notice_type(r: ReasonCode) -> &'static str {
    match r {
        ReasonCode::Counterfeit => "Counterfeit",
        ReasonCode::TrademarkMisuse => "Trademark",
        ReasonCode::Copyright => "Copyright",
        ReasonCode::Patent => "Patent",
        ReasonCode::Design => "Other",
    }
}

fn kind_name(k: RightKind) -> &'static str {
    match k {
        RightKind::Trademark => "trademark",
        RightKind::Patent => "patent",
        RightKind::Design => "design",
        RightKind::Copyright => "copyright",
    }
}

/// Header of [`complaints_csv`].
pub const COMPLAINTS_CSV_HEADER: [&str; 15] = [
    "complaint_id",
    "submitted_at",
    "complainant",
    "filed_by",
    "right_id",
    "reason",
    "listing_id",
    "seller",
    "state",
    "listing_down",
    "review_due",
    "decided_at",
    "established_at",
    "counter_notices",
    "internal_complaints",
];

/// Complaints as CSV: one row per listing of each complaint.
pub fn complaints_csv(complaints: &[Complaint]) -> String {
    let mut csv = Csv::with_header(&COMPLAINTS_CSV_HEADER);
    let opt = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    for c in complaints {
        for i in &c.items {
            csv.row([
                c.id.to_string(),
                c.submitted_at.to_string(),
                c.complainant.to_string(),
                c.filed_by.to_string(),
                c.right.to_string(),
                c.reason.as_str().to_owned(),
                i.listing.to_string(),
                i.seller.to_string(),
                i.state.name().to_owned(),
                i.state.listing_down().to_string(),
                i.review_due.to_string(),
                opt(i.decided_at),
                opt(i.established_at),
                i.counter_notices.to_string(),
                i.appeals.len().to_string(),
            ]);
        }
    }
    csv.finish()
}

/// Header of [`notices_csv`].
pub const NOTICES_CSV_HEADER: [&str; 9] = [
    "id",
    "type",
    "date_sent",
    "sender",
    "principal",
    "recipient",
    "work",
    "infringing_url",
    "status",
];

/// Lumen records as CSV: one row per infringing URL.
pub fn notices_csv(notices: &[LumenNotice]) -> String {
    let mut csv = Csv::with_header(&NOTICES_CSV_HEADER);
    let name = |n: &LumenNotice, role: &str| {
        n.entities
            .iter()
            .find(|e| e.role == role)
            .map(|e| e.name.clone())
            .unwrap_or_default()
    };
    for n in notices {
        for w in &n.works {
            for u in &w.infringing_urls {
                csv.row([
                    n.id.clone(),
                    n.notice_type.clone(),
                    n.date_sent.to_string(),
                    name(n, "sender"),
                    name(n, "principal"),
                    name(n, "recipient"),
                    w.description.clone(),
                    u.url.clone(),
                    u.status.clone(),
                ]);
            }
        }
    }
    csv.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::complaint::tests::{World, lid, listing, reviewer, submit};
    use crate::complaint::{ComplaintCommand, Decision};

    #[test]
    fn a_notice_names_its_parties_works_urls_and_action() {
        let w = World::new("aliexpress");
        let c = submit(&w, vec![listing(1, &[25]), listing(2, &[25])])
            .unwrap()
            .state;
        let parties = Parties {
            sender: ("acme", "Acme Ltd"),
            principal: ("acme", "Acme Ltd"),
            recipient: ("platform", "The Platform"),
        };
        let n = notice(&c, &w.right, parties, DEFAULT_LISTING_URL);
        assert_eq!(n.action_taken, "Pending");
        assert_eq!(n.notice_type, "Counterfeit");
        assert_eq!(
            n.works[0].infringing_urls[1].url,
            "https://marketplace.example/listings/L2"
        );
        assert_eq!(n.entities.len(), 3);
        assert_eq!(n.entities[2].role, "recipient");

        let c = c
            .apply(
                &ComplaintCommand::Decide {
                    listing: lid(1),
                    decision: Decision::Uphold,
                },
                &reviewer("rita"),
                c.submitted_at,
                w.ctx(),
            )
            .unwrap()
            .state;
        let n = notice(&c, &w.right, parties, "https://shop.test/item/{id}.html");
        assert_eq!(n.action_taken, "Partial");
        assert!(n.works[0].infringing_urls[0].down);
        assert_eq!(
            n.works[0].infringing_urls[0].url,
            "https://shop.test/item/L1.html"
        );

        let c = c
            .apply(
                &ComplaintCommand::Decide {
                    listing: lid(2),
                    decision: Decision::Uphold,
                },
                &reviewer("rita"),
                c.submitted_at,
                w.ctx(),
            )
            .unwrap()
            .state;
        assert_eq!(
            notice(&c, &w.right, parties, DEFAULT_LISTING_URL).action_taken,
            "Yes"
        );

        let csv = notices_csv(&[notice(&c, &w.right, parties, DEFAULT_LISTING_URL)]);
        assert_eq!(csv.lines().count(), 3);
        let csv = complaints_csv(&[c]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], COMPLAINTS_CSV_HEADER.join(","));
        assert!(lines[1].starts_with("C1,"));
        assert!(lines[1].contains(",upheld,true,"));
    }
}
