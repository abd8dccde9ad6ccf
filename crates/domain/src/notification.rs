//! Notifications to people: which events tell whom what, and in which words.
//!
//! The main decision is that a notification is stored as a *kind* plus its
//! *facts* ([`Params`]), never as text: the words are made when it is read
//! or mailed ([`render`]), in the reader's language at that moment. So a
//! user who switches to Chinese reads their whole inbox in Chinese, and a
//! fix to a sentence reaches old notifications too.
//!
//! Which events notify whom is one pure function, [`intents_of`], called by
//! storage inside the transaction that writes the event (so a committed
//! event always has its notifications and a rolled-back one never does).
//! An intent names the recipient by its part in the case ([`Recipient`]),
//! and storage turns that into the users of the right organisations; no one
//! else is ever addressed. Reminders that fire later (a deadline 24 hours
//! away, a right about to expire) are jobs scheduled by the same transaction;
//! [`deadline_reminder_of`] and [`right_expiry_reminders`] say when.
//!
//! Adding a kind (e.g. a customs recordal about to lapse) is: a variant of
//! [`NotificationKind`] (and its line in `ALL`, `as_str`), its words in
//! [`render`] in both languages, and what triggers it (an arm in
//! [`intents_of`] or a job); the compiler points at every match to extend.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::event::{DomainEvent, EventKind, Party, Subject};
use crate::ids::ParseError;

/// What a notification is about. Each user chooses per kind whether it also
/// goes by e-mail; the inbox always gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A complaint against the seller's listing was upheld: the listing is
    /// down; the statement of reasons and the counter-notice deadline.
    ComplaintAgainstListing,
    /// A reviewer decided on the notifier's complaint (upheld or rejected).
    ComplaintDecided,
    /// A valid counter-notice reached the notifier: the escalation clock runs.
    CounterNoticeToAnswer,
    /// A deadline of the recipient's is 24 hours away.
    DeadlineSoon,
    /// A penalty (warning, freeze, closure) was applied to the seller's store.
    PenaltyApplied,
    /// A right of the holder's expires soon.
    RightExpiring,
    /// A customs recordal of the holder's lapses soon: time to renew it.
    CustomsRecordalLapsing,
}

impl NotificationKind {
    /// Every kind, in a fixed order (the order of the preferences form).
    pub const ALL: [NotificationKind; 7] = [
        Self::ComplaintAgainstListing,
        Self::ComplaintDecided,
        Self::CounterNoticeToAnswer,
        Self::DeadlineSoon,
        Self::PenaltyApplied,
        Self::RightExpiring,
        Self::CustomsRecordalLapsing,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ComplaintAgainstListing => "complaint_against_listing",
            Self::ComplaintDecided => "complaint_decided",
            Self::CounterNoticeToAnswer => "counter_notice_to_answer",
            Self::DeadlineSoon => "deadline_soon",
            Self::PenaltyApplied => "penalty_applied",
            Self::RightExpiring => "right_expiring",
            Self::CustomsRecordalLapsing => "customs_recordal_lapsing",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether a user in `role` can receive this kind at all (the settings
    /// form offers only these).
    pub fn reaches(self, role: crate::actor::Role) -> bool {
        use crate::actor::Role as R;
        match self {
            Self::ComplaintAgainstListing | Self::PenaltyApplied => role == R::Seller,
            Self::ComplaintDecided | Self::CounterNoticeToAnswer => {
                matches!(role, R::RightsHolder | R::Agent)
            }
            Self::DeadlineSoon => matches!(role, R::Seller | R::RightsHolder | R::Agent),
            Self::RightExpiring | Self::CustomsRecordalLapsing => role == R::RightsHolder,
        }
    }

    /// A short description for the preferences form.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Self::ComplaintAgainstListing, Language::En) => "A complaint against my listing",
            (Self::ComplaintAgainstListing, Language::Zh) => "我的商品被投诉",
            (Self::ComplaintDecided, Language::En) => "A decision on my complaint",
            (Self::ComplaintDecided, Language::Zh) => "我的投诉有了处理结果",
            (Self::CounterNoticeToAnswer, Language::En) => "A counter-notice to answer",
            (Self::CounterNoticeToAnswer, Language::Zh) => "需要回应的反通知",
            (Self::DeadlineSoon, Language::En) => "A deadline 24 hours away",
            (Self::DeadlineSoon, Language::Zh) => "24 小时内到期的期限",
            (Self::PenaltyApplied, Language::En) => "A penalty applied to my store",
            (Self::PenaltyApplied, Language::Zh) => "店铺受到处罚",
            (Self::RightExpiring, Language::En) => "A right about to expire",
            (Self::RightExpiring, Language::Zh) => "即将到期的知识产权",
            (Self::CustomsRecordalLapsing, Language::En) => "A customs recordal about to lapse",
            (Self::CustomsRecordalLapsing, Language::Zh) => "即将到期的海关知识产权备案",
        }
    }
}

impl std::fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The language a user reads notifications in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English (the default).
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Language {
    /// `en` or `zh`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
        }
    }

    /// Parses `en` or `zh`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "en" => Some(Self::En),
            "zh" => Some(Self::Zh),
            _ => None,
        }
    }
}

/// An e-mail address, checked for shape: one `@`, a non-empty local part
/// and a domain with a dot, no spaces or control characters, at most 254
/// characters. Whether it receives mail is for the mail server to say.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address (trimmed).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let bad = |reason: &str| ParseError {
            what: "e-mail address",
            reason: reason.to_owned(),
        };
        if t.is_empty() || t.len() > 254 {
            return Err(bad("must be 1 to 254 characters"));
        }
        if t.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        {
            return Err(bad("must not contain spaces, control characters or <>,;"));
        }
        let Some((local, domain)) = t.split_once('@') else {
            return Err(bad("must contain @"));
        };
        if local.is_empty() || domain.contains('@') {
            return Err(bad("must be local@domain with one @"));
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(bad("the domain must have a dot inside it"));
        }
        Ok(Self(t.to_owned()))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who must hear of an event, by their part in the case; storage turns it
/// into the users of the organisation(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// The seller of the complaint's listing.
    Seller,
    /// The complainant, and the agent that filed for it if another organisation.
    Complainant,
    /// The owner of the right.
    RightOwner,
}

/// What must be done before a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineAction {
    /// The seller may file a counter-notice until then.
    CounterNotice,
    /// The rights holder must show a lawsuit or administrative complaint by then.
    Escalation,
}

/// The facts of a notification, stored as JSON; which are set depends on the kind.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Params {
    /// The complaint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint: Option<String>,
    /// The listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<String>,
    /// The right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<String>,
    /// The right described: kind, jurisdiction, registration number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right_desc: Option<String>,
    /// The complainant's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complainant: Option<String>,
    /// The ground of the complaint (a reason code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// `upheld` or `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// The reviewer's reason (a rejection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the decision was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    /// The deadline that matters (counter-notice, escalation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Timestamp>,
    /// What must be done by `due` (deadline reminders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<DeadlineAction>,
    /// The penalty: `warning`, `freeze` or `close`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<String>,
    /// Until when a freeze lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// Live general points after the violation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// Live serious strikes after the violation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strikes: Option<u32>,
    /// The last day a right is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
    /// Days left until then, when the reminder was due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    /// A customs recordal's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recordal: Option<String>,
}

/// One notification an event calls for, before storage adds what the rows
/// beside the event know (the right, the complainant's name, the ground).
#[derive(Debug, Clone, PartialEq)]
pub struct Intent {
    /// What.
    pub kind: NotificationKind,
    /// To whom.
    pub to: Recipient,
    /// The facts the event itself carries.
    pub params: Params,
}

/// The notifications an audit event calls for at once.
pub fn intents_of(event: &DomainEvent) -> Vec<Intent> {
    let Subject::Complaint {
        complaint,
        listing: Some(listing),
    } = &event.subject
    else {
        return Vec::new();
    };
    let base = Params {
        complaint: Some(complaint.as_str().to_owned()),
        listing: Some(listing.as_str().to_owned()),
        decided_at: Some(event.at),
        ..Params::default()
    };
    match &event.kind {
        EventKind::ItemUpheld { counter_notice_due } => {
            let params = Params {
                decision: Some("upheld".into()),
                due: Some(*counter_notice_due),
                ..base
            };
            vec![
                Intent {
                    kind: NotificationKind::ComplaintAgainstListing,
                    to: Recipient::Seller,
                    params: params.clone(),
                },
                Intent {
                    kind: NotificationKind::ComplaintDecided,
                    to: Recipient::Complainant,
                    params,
                },
            ]
        }
        EventKind::ItemRejected { reason, .. } => vec![Intent {
            kind: NotificationKind::ComplaintDecided,
            to: Recipient::Complainant,
            params: Params {
                decision: Some("rejected".into()),
                reason: Some(reason.clone()),
                ..base
            },
        }],
        EventKind::CounterNoticeDelivered { escalation_due } => vec![Intent {
            kind: NotificationKind::CounterNoticeToAnswer,
            to: Recipient::Complainant,
            params: Params {
                due: Some(*escalation_due),
                action: Some(DeadlineAction::Escalation),
                ..base
            },
        }],
        _ => Vec::new(),
    }
}

/// How long before a deadline its reminder goes out.
pub const DEADLINE_REMINDER_BEFORE: SignedDuration = SignedDuration::from_hours(24);

/// How many days before a right's last valid day its holder is reminded.
/// A courtesy, not a legal deadline, so it is not policy data.
pub const RIGHT_EXPIRY_REMINDER_DAYS: [i64; 2] = [90, 30];

/// A reminder of a deadline, to be sent at `at` if the deadline still stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineReminder {
    /// Who must act.
    pub party: Party,
    /// What they must do.
    pub action: DeadlineAction,
    /// The deadline.
    pub due: Timestamp,
    /// When to remind (24 hours before).
    pub at: Timestamp,
}

/// The reminder an event's new deadline calls for: the seller's
/// counter-notice window (after a takedown or a rejected counter-notice with
/// rounds left) and the rights holder's escalation window. None if the
/// window is 24 hours or shorter: the event's own notification says it all.
pub fn deadline_reminder_of(event: &DomainEvent) -> Option<DeadlineReminder> {
    let (party, action, due) = match &event.kind {
        EventKind::ItemUpheld { counter_notice_due } => (
            Party::Seller,
            DeadlineAction::CounterNotice,
            *counter_notice_due,
        ),
        EventKind::CounterNoticeRejected {
            next_round_due: Some(due),
            ..
        } => (Party::Seller, DeadlineAction::CounterNotice, *due),
        EventKind::CounterNoticeDelivered { escalation_due } => (
            Party::Complainant,
            DeadlineAction::Escalation,
            *escalation_due,
        ),
        _ => return None,
    };
    let at = due.checked_sub(DEADLINE_REMINDER_BEFORE).ok()?;
    (at > event.at).then_some(DeadlineReminder {
        party,
        action,
        due,
        at,
    })
}

/// When to remind the holder of a right valid until `valid_until` (its
/// last day, taken to end at midnight UTC): one instant per threshold of
/// [`RIGHT_EXPIRY_REMINDER_DAYS`] still ahead of `now`; if every threshold
/// has passed but the right is still valid, one reminder at once (the
/// nearest threshold). Returns `(days, at)` pairs.
pub fn right_expiry_reminders(valid_until: Date, now: Timestamp) -> Vec<(i64, Timestamp)> {
    let Ok(end) = valid_until
        .tomorrow()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
        .map(|z| z.timestamp())
    else {
        return Vec::new();
    };
    if end <= now {
        return Vec::new();
    }
    let mut ahead = Vec::new();
    let mut passed = None;
    for days in RIGHT_EXPIRY_REMINDER_DAYS {
        let Ok(at) = end.checked_sub(SignedDuration::from_hours(days * 24)) else {
            continue;
        };
        if at > now {
            ahead.push((days, at));
        } else if passed.is_none_or(|(d, _)| days < d) {
            passed = Some((days, now));
        }
    }
    // The nearest passed threshold is still worth saying if no later one is ahead.
    if let Some((d, at)) = passed
        && ahead.iter().all(|(a, _)| *a > d)
    {
        ahead.push((d, at));
    }
    ahead
}

/// A notification in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The e-mail subject and the inbox title.
    pub subject: String,
    /// The text.
    pub body: String,
}

fn when(t: Option<Timestamp>) -> String {
    t.map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "?".into())
}

fn reason_code(code: Option<&str>, lang: Language) -> String {
    let code = code.unwrap_or("?");
    let zh = match code {
        "counterfeit" => "假冒商品",
        "trademark_misuse" => "商标不当使用",
        "copyright" => "著作权侵权",
        "patent" => "专利侵权",
        "design" => "外观设计侵权",
        other => other,
    };
    let en = match code {
        "counterfeit" => "counterfeit goods",
        "trademark_misuse" => "unauthorised use of a trademark",
        "copyright" => "copyright infringement",
        "patent" => "patent infringement",
        "design" => "design infringement",
        other => other,
    };
    match lang {
        Language::En => en.to_owned(),
        Language::Zh => zh.to_owned(),
    }
}

/// The notification's words in `lang`.
pub fn render(kind: NotificationKind, p: &Params, lang: Language) -> Rendered {
    let s = |o: &Option<String>| o.clone().unwrap_or_else(|| "?".into());
    let (complaint, listing, right) = (s(&p.complaint), s(&p.listing), s(&p.right));
    let right_desc = p
        .right_desc
        .as_ref()
        .map(|d| format!("{right} ({d})"))
        .unwrap_or_else(|| right.clone());
    let complainant = s(&p.complainant);
    let ground = reason_code(p.reason_code.as_deref(), lang);
    match (kind, lang) {
        (NotificationKind::ComplaintAgainstListing, Language::En) => Rendered {
            subject: format!("Your listing {listing} was taken down (complaint {complaint})"),
            body: format!(
                "Statement of reasons\n\n\
                 Your listing {listing} was taken down on {} because complaint {complaint} \
                 by {complainant} was upheld.\n\
                 Right relied on: {right_desc}.\n\
                 Ground: {ground}.\n\n\
                 If you believe the listing does not infringe, you may file a counter-notice \
                 with evidence (e.g. an authorisation or invoices) until {}.\n\
                 If you do not, the complaint becomes established and counts against your store.",
                when(p.decided_at),
                when(p.due)
            ),
        },
        (NotificationKind::ComplaintAgainstListing, Language::Zh) => Rendered {
            subject: format!("您的商品 {listing} 已被下架（投诉 {complaint}）"),
            body: format!(
                "处理理由说明\n\n\
                 因 {complainant} 提交的投诉 {complaint} 成立，您的商品 {listing} 已于 {} 被下架。\n\
                 所依据的权利：{right_desc}。\n\
                 投诉理由：{ground}。\n\n\
                 如您认为该商品未侵权，可在 {} 之前提交反通知并附证据（如授权书或进货发票）。\n\
                 逾期未提交的，投诉将成立并计入您店铺的违规记录。",
                when(p.decided_at),
                when(p.due)
            ),
        },
        (NotificationKind::ComplaintDecided, Language::En) => {
            let upheld = p.decision.as_deref() == Some("upheld");
            Rendered {
                subject: format!(
                    "Complaint {complaint}, listing {listing}: {}",
                    if upheld { "upheld" } else { "rejected" }
                ),
                body: if upheld {
                    format!(
                        "Your complaint {complaint} was upheld for listing {listing} on {}: \
                         the listing is down. The seller may file a counter-notice until {}.",
                        when(p.decided_at),
                        when(p.due)
                    )
                } else {
                    format!(
                        "Your complaint {complaint} was rejected for listing {listing} on {}.\n\
                         Reason: {}.\n\
                         You may supplement the evidence and resubmit.",
                        when(p.decided_at),
                        s(&p.reason)
                    )
                },
            }
        }
        (NotificationKind::ComplaintDecided, Language::Zh) => {
            let upheld = p.decision.as_deref() == Some("upheld");
            Rendered {
                subject: format!(
                    "投诉 {complaint}，商品 {listing}：{}",
                    if upheld {
                        "投诉成立"
                    } else {
                        "投诉被驳回"
                    }
                ),
                body: if upheld {
                    format!(
                        "您的投诉 {complaint} 针对商品 {listing} 已于 {} 成立，该商品已下架。\
                         卖家可在 {} 之前提交反通知。",
                        when(p.decided_at),
                        when(p.due)
                    )
                } else {
                    format!(
                        "您的投诉 {complaint} 针对商品 {listing} 已于 {} 被驳回。\n\
                         理由：{}。\n\
                         您可以补充证据后重新提交。",
                        when(p.decided_at),
                        s(&p.reason)
                    )
                },
            }
        }
        (NotificationKind::CounterNoticeToAnswer, Language::En) => Rendered {
            subject: format!("Counter-notice on complaint {complaint}: 15 days to act"),
            body: format!(
                "The seller of listing {listing} filed a counter-notice against your complaint \
                 {complaint}, and it was found valid and forwarded to you.\n\
                 You have until {} to show that you filed a lawsuit or an administrative \
                 complaint (E-Commerce Law Art. 43). If you do not, the listing is reinstated \
                 automatically.",
                when(p.due)
            ),
        },
        (NotificationKind::CounterNoticeToAnswer, Language::Zh) => Rendered {
            subject: format!("投诉 {complaint} 收到反通知：请在 15 日内处理"),
            body: format!(
                "商品 {listing} 的卖家针对您的投诉 {complaint} 提交了反通知，经审核有效，现转送给您。\n\
                 请在 {} 之前提供已提起诉讼或行政投诉的证明（《电子商务法》第四十三条）。\
                 逾期未提供的，该商品将自动恢复上架。",
                when(p.due)
            ),
        },
        (NotificationKind::DeadlineSoon, Language::En) => {
            let what = match p.action {
                Some(DeadlineAction::Escalation) => {
                    "to show a lawsuit or an administrative complaint (otherwise the listing is reinstated)"
                }
                _ => {
                    "to file a counter-notice (otherwise the complaint becomes established against your store)"
                }
            };
            Rendered {
                subject: format!("24 hours left: complaint {complaint}, listing {listing}"),
                body: format!(
                    "Your deadline on complaint {complaint}, listing {listing}, ends at {}: \
                     that is your last chance {what}.",
                    when(p.due)
                ),
            }
        }
        (NotificationKind::DeadlineSoon, Language::Zh) => {
            let what = match p.action {
                Some(DeadlineAction::Escalation) => {
                    "提供已提起诉讼或行政投诉的证明（否则该商品将恢复上架）"
                }
                _ => "提交反通知（否则投诉将成立并计入您店铺的违规记录）",
            };
            Rendered {
                subject: format!("剩余 24 小时：投诉 {complaint}，商品 {listing}"),
                body: format!(
                    "您在投诉 {complaint}（商品 {listing}）中的期限将于 {} 届满，请在此之前{what}。",
                    when(p.due)
                ),
            }
        }
        (NotificationKind::PenaltyApplied, lang) => {
            let penalty = p.penalty.as_deref().unwrap_or("?");
            let (points, strikes) = (p.points.unwrap_or(0), p.strikes.unwrap_or(0));
            match lang {
                Language::En => {
                    let what = match penalty {
                        "warning" => "a warning".to_owned(),
                        "freeze" => format!("your store is frozen until {}", when(p.until)),
                        "close" => "your store is closed".to_owned(),
                        other => other.to_owned(),
                    };
                    Rendered {
                        subject: format!("Penalty applied to your store: {penalty}"),
                        body: format!(
                            "Complaint {complaint} against listing {listing} became established \
                             (ground: {ground}). Penalty: {what}.\n\
                             Your record now: {points} general point(s), {strikes} serious strike(s). \
                             Penalties lapse after the period the site's policy sets."
                        ),
                    }
                }
                Language::Zh => {
                    let what = match penalty {
                        "warning" => "警告".to_owned(),
                        "freeze" => format!("店铺冻结至 {}", when(p.until)),
                        "close" => "关闭店铺".to_owned(),
                        other => other.to_owned(),
                    };
                    Rendered {
                        subject: format!("您的店铺受到处罚：{what}"),
                        body: format!(
                            "针对商品 {listing} 的投诉 {complaint} 已成立（理由：{ground}）。处罚：{what}。\n\
                             目前记录：一般违规 {points} 分，严重违规 {strikes} 次。\
                             处罚在平台规则规定的期限后失效。"
                        ),
                    }
                }
            }
        }
        (NotificationKind::RightExpiring, Language::En) => {
            let until = p.valid_until.map(|d| d.to_string()).unwrap_or("?".into());
            Rendered {
                subject: format!("Right {right} expires on {until}"),
                body: format!(
                    "Your right {right_desc} is valid until {until} ({} days from the reminder). \
                     Renew it and upload the new certificate, or complaints resting on it will \
                     no longer be accepted after that day.",
                    p.days.unwrap_or(0)
                ),
            }
        }
        (NotificationKind::RightExpiring, Language::Zh) => {
            let until = p.valid_until.map(|d| d.to_string()).unwrap_or("?".into());
            Rendered {
                subject: format!("知识产权 {right} 将于 {until} 到期"),
                body: format!(
                    "您的知识产权 {right_desc} 有效期至 {until}（距提醒时还有 {} 天）。\
                     请及时续展并上传新证书，否则该日之后将无法再依据该权利提交投诉。",
                    p.days.unwrap_or(0)
                ),
            }
        }
        (NotificationKind::CustomsRecordalLapsing, lang) => {
            let until = p.valid_until.map(|d| d.to_string()).unwrap_or("?".into());
            let number = p.recordal.as_deref().unwrap_or("?");
            match lang {
                Language::En => Rendered {
                    subject: format!("Customs recordal {number} lapses on {until}"),
                    body: format!(
                        "The customs recordal {number} (GACC) of your right {right_desc} is valid \
                         until {until} ({} days from the reminder). Apply to customs for its \
                         renewal within the 6 months before that day, then record the renewal \
                         here; after it lapses, customs no longer stops infringing goods at the \
                         border on its own initiative.",
                        p.days.unwrap_or(0)
                    ),
                },
                Language::Zh => Rendered {
                    subject: format!("海关备案 {number} 将于 {until} 到期"),
                    body: format!(
                        "您的知识产权 {right_desc} 的海关知识产权保护备案 {number} 有效期至 {until}\
                         （距提醒时还有 {} 天）。请在到期前 6 个月内向海关总署申请续展，并在此登记续展；\
                         备案失效后，海关将不再依职权在口岸扣留侵权货物。",
                        p.days.unwrap_or(0)
                    ),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Actor;
    use crate::ids::{ComplaintId, ListingId, OrgId, UserId};

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn item_event(kind: EventKind) -> DomainEvent {
        let actor = Actor::reviewer(OrgId::parse("p").unwrap(), UserId::parse("r").unwrap());
        DomainEvent::complaint(
            ComplaintId::parse("C1").unwrap(),
            Some(ListingId::parse("L1").unwrap()),
            &actor,
            t("2026-03-10T00:00:00Z"),
            kind,
        )
    }

    #[test]
    fn an_upheld_item_tells_the_seller_and_the_complainant_and_a_rejection_only_the_complainant() {
        let due = t("2026-03-13T00:00:00Z");
        let up = intents_of(&item_event(EventKind::ItemUpheld {
            counter_notice_due: due,
        }));
        let to: Vec<_> = up.iter().map(|i| (i.kind, i.to)).collect();
        assert_eq!(
            to,
            [
                (NotificationKind::ComplaintAgainstListing, Recipient::Seller),
                (NotificationKind::ComplaintDecided, Recipient::Complainant)
            ]
        );
        assert_eq!(up[0].params.due, Some(due));
        let rej = intents_of(&item_event(EventKind::ItemRejected {
            reason: "no proof".into(),
            manifestly_unfounded: false,
        }));
        assert_eq!(rej.len(), 1);
        assert_eq!(rej[0].to, Recipient::Complainant);
        assert!(intents_of(&item_event(EventKind::ComplaintEstablished)).is_empty());
    }

    #[test]
    fn deadline_reminders_come_a_day_before_and_not_for_short_windows() {
        let due = t("2026-03-13T00:00:00Z");
        let r = deadline_reminder_of(&item_event(EventKind::ItemUpheld {
            counter_notice_due: due,
        }))
        .unwrap();
        assert_eq!(r.at, t("2026-03-12T00:00:00Z"));
        assert_eq!(r.party, Party::Seller);
        let short = deadline_reminder_of(&item_event(EventKind::ItemUpheld {
            counter_notice_due: t("2026-03-10T12:00:00Z"),
        }));
        assert_eq!(short, None);
        let esc = deadline_reminder_of(&item_event(EventKind::CounterNoticeDelivered {
            escalation_due: t("2026-03-25T00:00:00Z"),
        }))
        .unwrap();
        assert_eq!(
            (esc.party, esc.action),
            (Party::Complainant, DeadlineAction::Escalation)
        );
    }

    #[test]
    fn right_expiry_reminders_at_90_and_30_days_or_at_once_when_late() {
        let until = jiff::civil::date(2026, 12, 31);
        let early = right_expiry_reminders(until, t("2026-01-01T00:00:00Z"));
        assert_eq!(early.iter().map(|(d, _)| *d).collect::<Vec<_>>(), [90, 30]);
        assert_eq!(early[1].1, t("2026-12-02T00:00:00Z"));
        let between = right_expiry_reminders(until, t("2026-11-01T00:00:00Z"));
        assert_eq!(between.iter().map(|(d, _)| *d).collect::<Vec<_>>(), [30]);
        let now = t("2026-12-20T00:00:00Z");
        assert_eq!(right_expiry_reminders(until, now), [(30, now)]);
        assert!(right_expiry_reminders(until, t("2027-01-02T00:00:00Z")).is_empty());
    }

    #[test]
    fn every_kind_has_words_in_both_languages() {
        let p = Params {
            complaint: Some("C1".into()),
            listing: Some("L1".into()),
            due: Some(t("2026-03-13T00:00:00Z")),
            ..Params::default()
        };
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(k.as_str()), Some(k));
            let en = render(k, &p, Language::En);
            let zh = render(k, &p, Language::Zh);
            assert!(en.subject.is_ascii(), "{k}: {}", en.subject);
            assert!(!zh.subject.is_ascii(), "{k}: {}", zh.subject);
            assert_ne!(en.body, zh.body);
            assert_ne!(k.label(Language::En), k.label(Language::Zh));
        }
        use crate::actor::Role;
        let of = |role| {
            NotificationKind::ALL
                .into_iter()
                .filter(|k| k.reaches(role))
                .count()
        };
        assert_eq!(
            (of(Role::Seller), of(Role::RightsHolder), of(Role::Reviewer)),
            (3, 5, 0)
        );
        let r = render(NotificationKind::ComplaintAgainstListing, &p, Language::En);
        assert!(r.body.contains("2026-03-13 00:00 UTC"), "{}", r.body);
    }

    #[test]
    fn email_addresses_are_checked_for_shape() {
        assert!(EmailAddress::parse(" sam@shop1.example ").is_ok());
        for bad in [
            "",
            "sam",
            "@x.y",
            "sam@",
            "sam@localhost",
            "a b@x.y",
            "a@b@c.d",
            "<a@b.c>",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
