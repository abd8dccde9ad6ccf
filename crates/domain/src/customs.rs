//! Customs recordal of a right with the General Administration of Customs
//! (GACC), the third escalation route after a lawsuit and an administrative
//! complaint: its term and when to remind the holder to renew.
//!
//! The term is law, not site policy (Regulations of the PRC on Customs
//! Protection of Intellectual Property Rights, Art. 10): a recordal is valid
//! for 10 years from the day it is approved, but never longer than the right
//! itself; renewal is applied for within the 6 months before it lapses. The
//! 10 years are counted as the Civil Code counts periods (Art. 201, 203): the
//! approval day does not count, and the period ends on the corresponding day
//! of the last year, or the month's last day where there is none (an approval
//! on 29 February ends on 28 February). How
//! long before the lapse the holder is reminded is a parameter (the caller's
//! policy), with the renewal window as the default.
//!
//! A renewal (applied for in the window, approved before the lapse) adds
//! another 10 years counted from the end of the current term, again capped
//! at the right's term; a right that ends with the recordal has to be
//! renewed first.
//!
//! The rules live here; the app stores recordals (`rightsguard_store::customs`,
//! audited like every change) and schedules the reminder as a durable
//! deadline job at [`CustomsRecordal::reminder_on`], which tells the
//! holder's users in the inbox and by e-mail unless the recordal was renewed
//! since.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::ids::{Jurisdiction, RightId};
use crate::right::{Right, RightState};
use crate::rule::RuleError;

/// Years a recordal lasts from its approval (Art. 10).
pub const RECORDAL_YEARS: i16 = 10;
/// Months before the lapse in which renewal may be applied for (Art. 10).
pub const RENEWAL_WINDOW_MONTHS: i8 = 6;

/// The longest recordal number accepted.
pub const MAX_NUMBER_LEN: usize = 64;

/// A right recorded with customs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomsRecordal {
    /// The right recorded.
    pub right: RightId,
    /// Customs' recordal number.
    pub number: String,
    /// The day customs approved it.
    pub approved_on: Date,
    /// The day customs approved its latest renewal, if renewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_on: Option<Date>,
    /// Its last valid day.
    pub valid_until: Date,
    /// Whether the right's own term, not the 10 years, ends it.
    pub capped_by_right: bool,
}

/// Who may record a recordal of `right` or its renewal: the holder (or its
/// agent), an admin, and the operator's CLI (the system). Anyone else who
/// can see the right (a reviewer) is refused.
pub fn may_record(actor: &Actor, right: &Right) -> Result<(), RuleError> {
    if actor.acts_for_rights_holder(&right.owner)
        || matches!(actor.role, Role::Admin | Role::System)
    {
        Ok(())
    } else {
        Err(RuleError::Forbidden {
            role: actor.role,
            command: "record a customs recordal",
        })
    }
}

fn term_text(right: &Right) -> String {
    match right.valid_until {
        Some(u) => format!("{} to {u}", right.valid_from),
        None => format!("from {}", right.valid_from),
    }
}

/// Refuses a right customs does not record: not registered in China, or
/// not verified on the platform.
fn recordable(right: &Right) -> Result<(), RuleError> {
    if right.jurisdiction != Jurisdiction::CN {
        return Err(RuleError::Invalid(format!(
            "customs recordal with the GACC needs a right registered in China (CN), not {}",
            right.jurisdiction
        )));
    }
    if right.state != RightState::Verified {
        return Err(RuleError::WrongState {
            command: "record a customs recordal",
            state: format!("{:?}", right.state).to_lowercase(),
        });
    }
    Ok(())
}

/// The 10 years from `from`, capped at the right's last day.
fn term(right: &Right, from: Date) -> Result<(Date, bool), RuleError> {
    // jiff clamps 29 February to the 28th: the month's last day.
    let ten_years = from
        .checked_add(RECORDAL_YEARS.years())
        .map_err(|e| RuleError::Invalid(format!("recordal term from {from}: {e}")))?;
    Ok(match right.valid_until {
        Some(end) if end < ten_years => (end, true),
        _ => (ten_years, false),
    })
}

/// The recordal of `right` approved on `approved_on`: 10 years from that
/// day, capped at the right's last day in force. Refused for a right that
/// is not registered in China, not verified, or not in force on that day,
/// and for an approval after `today`.
pub fn record(
    right: &Right,
    number: &str,
    approved_on: Date,
    today: Date,
) -> Result<CustomsRecordal, RuleError> {
    recordable(right)?;
    if approved_on > today {
        return Err(RuleError::Invalid(format!(
            "approved_on {approved_on} is in the future (today is {today})"
        )));
    }
    if !right.in_force_on(approved_on) {
        return Err(RuleError::Invalid(format!(
            "approved_on {approved_on} lies outside the term of right {} ({})",
            right.id,
            term_text(right)
        )));
    }
    let number = number.trim();
    if number.is_empty() {
        return Err(RuleError::Invalid("the recordal number is empty".into()));
    }
    if number.len() > MAX_NUMBER_LEN || number.chars().any(char::is_control) {
        return Err(RuleError::Invalid(format!(
            "the recordal number must be at most {MAX_NUMBER_LEN} bytes of printable text"
        )));
    }
    let (valid_until, capped_by_right) = term(right, approved_on)?;
    Ok(CustomsRecordal {
        right: right.id.clone(),
        number: number.to_owned(),
        approved_on,
        renewed_on: None,
        valid_until,
        capped_by_right,
    })
}

impl CustomsRecordal {
    /// The first day renewal may be applied for: [`RENEWAL_WINDOW_MONTHS`]
    /// before the lapse.
    pub fn renewal_opens_on(&self) -> Date {
        self.valid_until
            .checked_sub(i32::from(RENEWAL_WINDOW_MONTHS).months())
            .unwrap_or(self.approved_on)
    }

    /// The recordal renewed by customs on `renewed_on`: another 10 years
    /// from the end of the current term, capped at the right's term.
    /// Refused outside the renewal window (before it opens, after the
    /// lapse, after `today`) and when the right itself ends with the
    /// current term (renew the right first).
    pub fn renew(
        &self,
        right: &Right,
        renewed_on: Date,
        today: Date,
    ) -> Result<CustomsRecordal, RuleError> {
        recordable(right)?;
        if renewed_on > today {
            return Err(RuleError::Invalid(format!(
                "renewed_on {renewed_on} is in the future (today is {today})"
            )));
        }
        let opens = self.renewal_opens_on();
        if renewed_on < opens || renewed_on > self.valid_until {
            return Err(RuleError::WindowClosed(format!(
                "recordal {} may be renewed from {opens} to {}, not on {renewed_on}",
                self.number, self.valid_until
            )));
        }
        if right.valid_until.is_some_and(|u| u <= self.valid_until) {
            return Err(RuleError::Invalid(format!(
                "right {} ends on {}, with the recordal: renew the right first, then the recordal",
                right.id,
                term_text(right)
            )));
        }
        let (valid_until, capped_by_right) = term(right, self.valid_until)?;
        Ok(CustomsRecordal {
            renewed_on: Some(renewed_on),
            valid_until,
            capped_by_right,
            ..self.clone()
        })
    }

    /// The day to remind the holder, `lead_months` before the lapse (the
    /// renewal window, [`RENEWAL_WINDOW_MONTHS`], by default); never before
    /// the approval (or the latest renewal).
    pub fn reminder_on(&self, lead_months: Option<i8>) -> Date {
        let lead = lead_months.unwrap_or(RENEWAL_WINDOW_MONTHS);
        let floor = self.renewed_on.unwrap_or(self.approved_on);
        self.valid_until
            .checked_sub(i32::from(lead).months())
            .unwrap_or(floor)
            .max(floor)
    }

    /// Whether it is in force on `date`.
    pub fn in_force_on(&self, date: Date) -> bool {
        date >= self.approved_on && date <= self.valid_until
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2030, 1, 1);

    fn right(valid_until: Option<Date>, jurisdiction: &str) -> Right {
        serde_json::from_value(serde_json::json!({
            "id": "tm-1", "owner": "acme", "kind": "trademark", "jurisdiction": jurisdiction,
            "registration_number": "31234567", "nice_classes": [25],
            "valid_from": "2019-06-01", "valid_until": valid_until,
            "certificates": [], "cn_extension_certificate": null, "state": "verified",
        }))
        .unwrap()
    }

    #[test]
    fn a_recordal_lasts_ten_years_from_approval() {
        let r = record(
            &right(Some(date(2040, 1, 1)), "CN"),
            "T2026-12345",
            date(2026, 3, 9),
            TODAY,
        )
        .unwrap();
        assert_eq!(r.valid_until, date(2036, 3, 9));
        assert!(!r.capped_by_right);
        assert!(r.in_force_on(date(2036, 3, 9)));
        assert!(!r.in_force_on(date(2036, 3, 10)));
    }

    #[test]
    fn a_recordal_ends_with_the_right() {
        let r = record(
            &right(Some(date(2029, 5, 31)), "CN"),
            "T1",
            date(2026, 3, 9),
            TODAY,
        )
        .unwrap();
        assert_eq!(r.valid_until, date(2029, 5, 31));
        assert!(r.capped_by_right);
        // A right without a term on record: the 10 years.
        let r = record(&right(None, "CN"), "T1", date(2026, 3, 9), TODAY).unwrap();
        assert_eq!(r.valid_until, date(2036, 3, 9));
    }

    #[test]
    fn a_leap_day_approval_counts_ten_years() {
        let r = record(&right(None, "CN"), "T1", date(2028, 2, 29), TODAY).unwrap();
        assert_eq!(r.valid_until, date(2038, 2, 28));
    }

    #[test]
    fn the_reminder_opens_the_renewal_window() {
        let r = record(&right(None, "CN"), "T1", date(2026, 3, 9), TODAY).unwrap();
        assert_eq!(r.reminder_on(None), date(2035, 9, 9));
        assert_eq!(r.reminder_on(Some(1)), date(2036, 2, 9));
        // Never before the approval, however short the term.
        let short = record(
            &right(Some(date(2026, 5, 1)), "CN"),
            "T1",
            date(2026, 3, 9),
            TODAY,
        )
        .unwrap();
        assert_eq!(short.reminder_on(None), date(2026, 3, 9));
    }

    #[test]
    fn only_chinese_rights_in_force_are_recorded() {
        assert!(record(&right(None, "US"), "T1", date(2026, 3, 9), TODAY).is_err());
        assert!(
            record(
                &right(Some(date(2025, 1, 1)), "CN"),
                "T1",
                date(2026, 3, 9),
                TODAY
            )
            .is_err()
        );
        assert!(record(&right(None, "CN"), "T1", date(2018, 1, 1), TODAY).is_err());
        assert!(record(&right(None, "CN"), "  ", date(2026, 3, 9), TODAY).is_err());
    }

    #[test]
    fn an_approval_in_the_future_or_outside_the_term_is_refused_with_the_term() {
        let e = record(
            &right(Some(date(2040, 1, 1)), "CN"),
            "T1",
            date(2030, 1, 2),
            TODAY,
        )
        .unwrap_err();
        assert!(e.to_string().contains("in the future"), "{e}");
        let e = record(
            &right(Some(date(2025, 1, 1)), "CN"),
            "T1",
            date(2026, 3, 9),
            TODAY,
        )
        .unwrap_err();
        assert!(e.to_string().contains("2019-06-01 to 2025-01-01"), "{e}");
        let mut pending = right(None, "CN");
        pending.state = RightState::Pending;
        assert!(matches!(
            record(&pending, "T1", date(2026, 3, 9), TODAY),
            Err(RuleError::WrongState { .. })
        ));
    }

    #[test]
    fn a_renewal_in_the_window_adds_ten_years_from_the_lapse() {
        let r = right(Some(date(2050, 1, 1)), "CN");
        let first = record(&r, "T1", date(2019, 7, 1), TODAY).unwrap();
        assert_eq!(first.valid_until, date(2029, 7, 1));
        assert_eq!(first.renewal_opens_on(), date(2029, 1, 1));
        // Before the window opens, and after the lapse: refused.
        let early = first.renew(&r, date(2028, 12, 31), TODAY).unwrap_err();
        assert!(matches!(early, RuleError::WindowClosed(_)), "{early}");
        assert!(first.renew(&r, date(2029, 7, 2), TODAY).is_err());
        let renewed = first.renew(&r, date(2029, 3, 15), TODAY).unwrap();
        assert_eq!(renewed.valid_until, date(2039, 7, 1));
        assert_eq!(renewed.renewed_on, Some(date(2029, 3, 15)));
        assert_eq!(renewed.approved_on, first.approved_on);
        assert_eq!(renewed.number, first.number);
        // The next reminder counts from the new term, never before the renewal.
        assert_eq!(renewed.reminder_on(None), date(2039, 1, 1));
    }

    #[test]
    fn a_renewal_is_capped_by_the_right_and_refused_when_the_right_ends_with_it() {
        let r = right(Some(date(2030, 6, 30)), "CN");
        let first = record(&r, "T1", date(2020, 1, 1), date(2029, 12, 1)).unwrap();
        assert_eq!(first.valid_until, date(2030, 1, 1));
        let renewed = first
            .renew(&r, date(2029, 12, 1), date(2029, 12, 1))
            .unwrap();
        assert_eq!(renewed.valid_until, date(2030, 6, 30));
        assert!(renewed.capped_by_right);
        let capped = right(Some(date(2026, 3, 9)), "CN");
        let first = record(&capped, "T1", date(2020, 1, 1), TODAY).unwrap();
        let e = first.renew(&capped, date(2026, 1, 1), TODAY).unwrap_err();
        assert!(e.to_string().contains("renew the right first"), "{e}");
    }

    #[test]
    fn holders_and_admins_record_reviewers_and_sellers_do_not() {
        use crate::ids::{OrgId, UserId};
        let r = right(None, "CN");
        let (acme, u) = (OrgId::parse("acme").unwrap(), UserId::parse("u").unwrap());
        let other = OrgId::parse("other").unwrap();
        assert!(may_record(&Actor::rights_holder(acme.clone(), u.clone()), &r).is_ok());
        assert!(may_record(&Actor::agent(other.clone(), u.clone(), acme.clone()), &r).is_ok());
        assert!(may_record(&Actor::admin(other.clone(), u.clone()), &r).is_ok());
        assert!(may_record(&Actor::reviewer(other.clone(), u.clone()), &r).is_err());
        assert!(may_record(&Actor::seller(acme, u.clone()), &r).is_err());
        assert!(may_record(&Actor::rights_holder(other, u), &r).is_err());
    }
}
