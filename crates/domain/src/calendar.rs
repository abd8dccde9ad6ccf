//! Business-day calendars per jurisdiction (placeholder: weekends only).
//!
//! The real implementation (holiday data files per year, provisional flag) is
//! being written; this stub fixes the public API the rules code against.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// A deadline: the last local day of a window and the instant it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Deadline {
    /// The last day of the window, in the calendar's time zone.
    pub due_date: Date,
    /// The end of `due_date` in the calendar's time zone (exclusive bound).
    pub due_at: Timestamp,
    /// True when any day counted lies in a year without calendar data.
    pub provisional: bool,
}

/// Errors building or using a calendar.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// No calendar with this id.
    #[error("unknown calendar {0:?}")]
    Unknown(String),
}

/// A business-day calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    id: String,
    tz: TimeZone,
}

impl Calendar {
    /// A built-in calendar by id (`CN`, ...).
    pub fn builtin(id: &str) -> Result<Calendar, CalendarError> {
        match id {
            "CN" => Ok(Calendar {
                id: id.to_owned(),
                tz: TimeZone::get("Asia/Shanghai")
                    .map_err(|_| CalendarError::Unknown(id.into()))?,
            }),
            _ => Err(CalendarError::Unknown(id.to_owned())),
        }
    }

    /// The calendar's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> bool {
        !matches!(
            date.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        )
    }

    /// N business days after `from`: the Nth working day after its local date,
    /// due at the end of that day.
    pub fn add_business_days(&self, from: Timestamp, n: u32) -> Deadline {
        let mut d = from.to_zoned(self.tz.clone()).date();
        let mut left = n;
        while left > 0 {
            d = d.tomorrow().unwrap_or(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        self.deadline_on(d, false)
    }

    /// A window of N calendar days after `from` (start day not counted); a last
    /// day that is not a working day moves to the next working day.
    pub fn add_days(&self, from: Timestamp, n: u32) -> Deadline {
        let mut d = from.to_zoned(self.tz.clone()).date();
        d = d.checked_add(i64::from(n).days()).unwrap_or(d);
        while !self.is_working_day(d) {
            d = d.tomorrow().unwrap_or(d);
        }
        self.deadline_on(d, false)
    }

    fn deadline_on(&self, d: Date, provisional: bool) -> Deadline {
        let end = d
            .tomorrow()
            .ok()
            .and_then(|t| t.to_zoned(self.tz.clone()).ok())
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::MAX);
        Deadline {
            due_date: d,
            due_at: end,
            provisional,
        }
    }
}
