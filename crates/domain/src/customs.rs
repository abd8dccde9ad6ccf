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
//! Only the rules live here; storing recordals and scheduling the reminder
//! as a deadline job is not built yet.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::ids::Jurisdiction;
use crate::right::Right;
use crate::rule::RuleError;

/// Years a recordal lasts from its approval (Art. 10).
pub const RECORDAL_YEARS: i16 = 10;
/// Months before the lapse in which renewal may be applied for (Art. 10).
pub const RENEWAL_WINDOW_MONTHS: i8 = 6;

/// A right recorded with customs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomsRecordal {
    /// Customs' recordal number.
    pub number: String,
    /// The day customs approved it.
    pub approved_on: Date,
    /// Its last valid day.
    pub valid_until: Date,
    /// Whether the right's own term, not the 10 years, ends it.
    pub capped_by_right: bool,
}

/// The recordal of `right` approved on `approved_on`: 10 years from that
/// day, capped at the right's last day in force. Refused for a right that
/// is not registered in China or not in force on that day.
pub fn record(
    right: &Right,
    number: &str,
    approved_on: Date,
) -> Result<CustomsRecordal, RuleError> {
    if right.jurisdiction != Jurisdiction::CN {
        return Err(RuleError::Invalid(format!(
            "customs recordal with the GACC needs a right registered in China (CN), not {}",
            right.jurisdiction
        )));
    }
    if !right.in_force_on(approved_on) {
        return Err(RuleError::Invalid(format!(
            "right {} is not in force on {approved_on}",
            right.id
        )));
    }
    let number = number.trim();
    if number.is_empty() {
        return Err(RuleError::Invalid("the recordal number is empty".into()));
    }
    // jiff clamps 29 February to the 28th: the month's last day.
    let ten_years = approved_on
        .checked_add(RECORDAL_YEARS.years())
        .map_err(|e| RuleError::Invalid(format!("recordal term from {approved_on}: {e}")))?;
    let (valid_until, capped_by_right) = match right.valid_until {
        Some(end) if end < ten_years => (end, true),
        _ => (ten_years, false),
    };
    Ok(CustomsRecordal {
        number: number.to_owned(),
        approved_on,
        valid_until,
        capped_by_right,
    })
}

impl CustomsRecordal {
    /// The day to remind the holder, `lead_months` before the lapse (the
    /// renewal window, [`RENEWAL_WINDOW_MONTHS`], by default); never before
    /// the approval.
    pub fn reminder_on(&self, lead_months: Option<i8>) -> Date {
        let lead = lead_months.unwrap_or(RENEWAL_WINDOW_MONTHS);
        self.valid_until
            .checked_sub(i32::from(lead).months())
            .unwrap_or(self.approved_on)
            .max(self.approved_on)
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
        )
        .unwrap();
        assert_eq!(r.valid_until, date(2029, 5, 31));
        assert!(r.capped_by_right);
        // A right without a term on record: the 10 years.
        let r = record(&right(None, "CN"), "T1", date(2026, 3, 9)).unwrap();
        assert_eq!(r.valid_until, date(2036, 3, 9));
    }

    #[test]
    fn a_leap_day_approval_counts_ten_years() {
        let r = record(&right(None, "CN"), "T1", date(2028, 2, 29)).unwrap();
        assert_eq!(r.valid_until, date(2038, 2, 28));
    }

    #[test]
    fn the_reminder_opens_the_renewal_window() {
        let r = record(&right(None, "CN"), "T1", date(2026, 3, 9)).unwrap();
        assert_eq!(r.reminder_on(None), date(2035, 9, 9));
        assert_eq!(r.reminder_on(Some(1)), date(2036, 2, 9));
        // Never before the approval, however short the term.
        let short = record(&right(Some(date(2026, 5, 1)), "CN"), "T1", date(2026, 3, 9)).unwrap();
        assert_eq!(short.reminder_on(None), date(2026, 3, 9));
    }

    #[test]
    fn only_chinese_rights_in_force_are_recorded() {
        assert!(record(&right(None, "US"), "T1", date(2026, 3, 9)).is_err());
        assert!(record(&right(Some(date(2025, 1, 1)), "CN"), "T1", date(2026, 3, 9)).is_err());
        assert!(record(&right(None, "CN"), "T1", date(2018, 1, 1)).is_err());
        assert!(record(&right(None, "CN"), "  ", date(2026, 3, 9)).is_err());
    }
}
