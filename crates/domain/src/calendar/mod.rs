//! Business-day calendars per jurisdiction, and the deadlines counted on them.
//!
//! # Data is per year, and its absence is visible
//!
//! China publishes its public holidays and make-up working days (调休) one year
//! at a time, so the `CN` calendar is one data file per year
//! (`crates/domain/calendars/cn/<year>.toml`, generated from PyPI
//! `chinesecalendar` by `scripts/gen-cn-calendar.py` and embedded with
//! `include_str!`). A date in a year without a file is counted by the weekend
//! rule alone, and every deadline that consulted such a day says so:
//! [`Deadline::provisional`]. Admins see the gaps with
//! [`Calendar::years_with_data`] and [`Calendar::is_provisional_year`]; a
//! provisional deadline should be recomputed once the year's file lands.
//!
//! Calendars with no holiday data *by design* ([`DataPolicy::WeekendsOnly`]:
//! `EU`, Europe/Brussels, and `UTC`) are never provisional. The EU overlay
//! (DSA) sets no business-day deadline of its own — it asks for action "without
//! undue delay" and counts appeal windows in months — so these calendars only
//! pace the platform's own service levels, for which Monday-to-Friday is the
//! rule itself, not an approximation awaiting data. Flagging every EU deadline
//! provisional would make the flag always true there and hide the real gaps
//! (a missing China year). A weekend-only count is never later than one that
//! also skips national holidays: it keeps the platform's own service levels
//! on the safe side. Windows *granted to users* on EU sites (e.g. the
//! six-month appeal window of DSA Art. 20) are calendar-based and should not
//! be counted in business days at all.
//!
//! # Counting
//!
//! Days are local to the calendar's time zone: an instant is first turned into
//! its local date there (2024-09-30T23:30Z is already 1 October in Shanghai).
//! The start day is never counted.
//!
//! * [`Calendar::add_business_days`]: N ≥ 1 business days after an instant end
//!   on the Nth working day after its local date. N = 0 ends on the first
//!   working day on or after that date ("by the end of today's business day").
//! * [`Calendar::add_days`] (Civil Code Art. 201/203): the window ends N days
//!   after the local start date; if that day is not a working day the window
//!   ends on the next working day.
//!
//! A deadline is due at the *end* of its last day, represented as the
//! exclusive bound: the first instant of the next local day
//! (`2024-10-09` in Shanghai is due at `2024-10-10T00:00:00+08:00`), so
//! `is_overdue(now) = now >= due_at` with no 23:59:59.999 fudge. It is
//! serialised in RFC 3339 with the calendar's offset at that instant.
//!
//! Each year's working days are a 366-bit set, so counting N business days
//! costs a popcount per year crossed, with no allocation, whatever N is.

mod builtin;
mod year;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};

pub use builtin::BUILTIN_IDS;
pub use year::{NamedDay, YearData};

/// A deadline: the last local day of a window and the instant it ends.
///
/// Serialises as `{"due_date": "2024-10-09", "due_at":
/// "2024-10-10T00:00:00+08:00", "provisional": false}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The last day of the window, in the calendar's time zone.
    pub due_date: Date,
    /// The end of `due_date` in the calendar's time zone: the first instant of
    /// the next local day, an exclusive bound (see [`Deadline::is_overdue`]).
    pub due_at: Timestamp,
    /// True when any day consulted lies in a year without calendar data, so
    /// the deadline may move once that year's holidays are published.
    pub provisional: bool,
    /// The calendar's UTC offset at `due_at`, used to print `due_at` as local
    /// time (e.g. `+08:00`).
    pub offset: Offset,
}

impl Deadline {
    /// Whether the window has closed at `now`: `now >= due_at`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        now >= self.due_at
    }

    /// `due_at` as RFC 3339 with the calendar's local offset.
    pub fn due_at_rfc3339(&self) -> String {
        self.due_at.display_with_offset(self.offset).to_string()
    }
}

impl serde::Serialize for Deadline {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Deadline", 3)?;
        st.serialize_field("due_date", &self.due_date)?;
        st.serialize_field("due_at", &self.due_at_rfc3339())?;
        st.serialize_field("provisional", &self.provisional)?;
        st.end()
    }
}

impl<'de> serde::Deserialize<'de> for Deadline {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Deadline, D::Error> {
        use serde::de::Error;

        #[derive(serde::Deserialize)]
        struct Wire {
            due_date: Date,
            due_at: String,
            provisional: bool,
        }
        let w = Wire::deserialize(d)?;
        let due_at: Timestamp = w.due_at.parse().map_err(D::Error::custom)?;
        let pieces = jiff::fmt::temporal::Pieces::parse(&w.due_at).map_err(D::Error::custom)?;
        let offset = match pieces.offset() {
            Some(jiff::fmt::temporal::PiecesOffset::Numeric(n)) => n.offset(),
            _ => Offset::UTC,
        };
        Ok(Deadline {
            due_date: w.due_date,
            due_at,
            provisional: w.provisional,
            offset,
        })
    }
}

/// Errors building or using a calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// No calendar with this id.
    #[error("unknown calendar {0:?} (built-in calendars: CN, EU, UTC)")]
    Unknown(String),
    /// Calendar data that does not hold together (bad file, duplicate day...).
    #[error("calendar data{}: {reason}", year.map(|y| format!(" for {y}")).unwrap_or_default())]
    Data {
        /// The year concerned, when known.
        year: Option<i16>,
        /// What is wrong.
        reason: String,
    },
    /// A calendar built from two data sets for the same year.
    #[error("calendar {calendar}: year {year} given twice")]
    DuplicateYear {
        /// The calendar id.
        calendar: String,
        /// The year.
        year: i16,
    },
    /// The deadline would fall after the last instant jiff can represent
    /// (late 9999), e.g. for an absurd number of days.
    #[error("the deadline falls beyond the last representable date (year 9999)")]
    OutOfRange,
}

/// Whether a calendar expects holiday data year by year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataPolicy {
    /// Holidays are published each year; a year without data is counted by
    /// the weekend rule and its deadlines are provisional.
    YearlyData,
    /// Saturday and Sunday rest, every other day works, by design: no year
    /// is provisional. Extra data (e.g. [`Calendar::with_extra_holiday`]) is
    /// still honoured.
    WeekendsOnly,
}

/// What a day is, on a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind<'a> {
    /// Monday to Friday, no holiday.
    Workday,
    /// Saturday or Sunday, no make-up working day.
    Weekend,
    /// A listed holiday (a rest day).
    Holiday(&'a NamedDay),
    /// A listed make-up working day (a worked weekend day).
    MakeupWorkingDay(&'a NamedDay),
}

/// A business-day calendar: a time zone, a data policy and per-year data.
/// Cheap to clone (the year data is shared).
///
/// ```
/// use rightsguard_domain::calendar::Calendar;
///
/// let cn = Calendar::builtin("CN")?;
/// // Monday 30 September 2024; 1–7 October is the National Day break.
/// let from: jiff::Timestamp = "2024-09-30T10:00:00+08:00".parse()?;
/// let d = cn.add_business_days(from, 2);
/// assert_eq!(d.due_date.to_string(), "2024-10-09");
/// assert_eq!(d.due_at_rfc3339(), "2024-10-10T00:00:00+08:00");
/// assert!(!d.provisional);
/// assert!(!d.is_overdue("2024-10-09T23:59:59+08:00".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Calendar {
    id: String,
    tz: TimeZone,
    policy: DataPolicy,
    years: Arc<BTreeMap<i16, YearData>>,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("id", &self.id)
            .field("time_zone", &self.time_zone_name())
            .field("policy", &self.policy)
            .field("years", &self.years.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Calendar {
    /// A built-in calendar by id: `CN` (Asia/Shanghai, holiday data
    /// 2019–2026), `EU` (Europe/Brussels, weekends only), `UTC` (weekends
    /// only). See [`BUILTIN_IDS`].
    pub fn builtin(id: &str) -> Result<Calendar, CalendarError> {
        builtin::builtin(id)
    }

    /// A calendar with yearly data ([`DataPolicy::YearlyData`]): `years` holds
    /// the published years; any other year is provisional.
    pub fn from_years(
        id: &str,
        tz: TimeZone,
        years: impl IntoIterator<Item = YearData>,
    ) -> Result<Calendar, CalendarError> {
        let mut map = BTreeMap::new();
        for y in years {
            let year = y.year();
            if map.insert(year, y).is_some() {
                return Err(CalendarError::DuplicateYear {
                    calendar: id.to_owned(),
                    year,
                });
            }
        }
        Ok(Calendar {
            id: id.to_owned(),
            tz,
            policy: DataPolicy::YearlyData,
            years: Arc::new(map),
        })
    }

    /// A calendar where Saturday and Sunday rest and nothing else, by design
    /// ([`DataPolicy::WeekendsOnly`]); never provisional.
    pub fn weekends_only(id: &str, tz: TimeZone) -> Calendar {
        Calendar {
            id: id.to_owned(),
            tz,
            policy: DataPolicy::WeekendsOnly,
            years: Arc::new(BTreeMap::new()),
        }
    }

    /// This calendar with `date` made a rest day (a make-up working day on
    /// that date is dropped). A year without data stays without data
    /// (provisional). Fails only for a date outside jiff's range.
    pub fn with_extra_holiday(mut self, date: Date, name: &str) -> Result<Calendar, CalendarError> {
        let years = Arc::make_mut(&mut self.years);
        let year = match years.entry(date.year()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(YearData::unpublished(date.year())?)
            }
        };
        year.force_holiday(date, name.to_owned())?;
        Ok(self)
    }

    /// The calendar's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The time zone its days are counted in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The IANA name of its time zone (e.g. `Asia/Shanghai`), or `UTC`.
    pub fn time_zone_name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    /// Whether it expects holiday data year by year.
    pub fn data_policy(&self) -> DataPolicy {
        self.policy
    }

    /// The years with published holiday data, ascending. Empty for a
    /// weekends-only calendar (which needs none).
    pub fn years_with_data(&self) -> Vec<i16> {
        self.years
            .values()
            .filter(|y| y.is_published())
            .map(YearData::year)
            .collect()
    }

    /// Whether deadlines touching `year` are provisional: the calendar expects
    /// yearly data and has none for `year`.
    pub fn is_provisional_year(&self, year: i16) -> bool {
        self.policy == DataPolicy::YearlyData
            && !self.years.get(&year).is_some_and(YearData::is_published)
    }

    /// The years of `years` whose deadlines would be provisional, ascending:
    /// what an admin must fill in (e.g. `this_year..=this_year + 1`).
    pub fn years_without_data(&self, years: std::ops::RangeInclusive<i16>) -> Vec<i16> {
        years.filter(|&y| self.is_provisional_year(y)).collect()
    }

    /// The data of `year`, if any.
    pub fn year_data(&self, year: i16) -> Option<&YearData> {
        self.years.get(&year)
    }

    /// The local date of `at` in the calendar's time zone.
    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned(self.tz.clone()).date()
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> bool {
        match self.years.get(&date.year()) {
            Some(y) => year::test_bit(y.bits(), year::day_index(date)),
            None => year::weekend_rule_works(date),
        }
    }

    /// What `date` is: workday, weekend, holiday or make-up working day.
    pub fn day_kind(&self, date: Date) -> DayKind<'_> {
        let data = self.years.get(&date.year());
        if let Some(h) = data.and_then(|y| y.holiday(date)) {
            DayKind::Holiday(h)
        } else if let Some(m) = data.and_then(|y| y.makeup_working_day(date)) {
            DayKind::MakeupWorkingDay(m)
        } else if year::weekend_rule_works(date) {
            DayKind::Workday
        } else {
            DayKind::Weekend
        }
    }

    /// N business days after `from`: for N ≥ 1 the Nth working day after its
    /// local date, for N = 0 the first working day on or after it; due at the
    /// end of that day.
    ///
    /// Saturates (due at [`Timestamp::MAX`], provisional) if the result lies
    /// past year 9999, which takes millions of days; use
    /// [`Calendar::try_add_business_days`] for untrusted N.
    pub fn add_business_days(&self, from: Timestamp, n: u32) -> Deadline {
        self.try_add_business_days(from, n)
            .unwrap_or_else(|_| saturated())
    }

    /// [`Calendar::add_business_days`], failing instead of saturating.
    pub fn try_add_business_days(
        &self,
        from: Timestamp,
        n: u32,
    ) -> Result<Deadline, CalendarError> {
        let start = self.local_date(from);
        let (begin, k) = match n {
            0 => (start, 1),
            n => (start.tomorrow().map_err(|_| CalendarError::OutOfRange)?, n),
        };
        self.nth_working_day_from(begin, k)
    }

    /// A window of N calendar days after `from` (Civil Code Art. 201/203): the
    /// start day is not counted, and a last day that is not a working day
    /// moves to the next working day; due at the end of that day.
    ///
    /// Saturates like [`Calendar::add_business_days`]; use
    /// [`Calendar::try_add_days`] for untrusted N.
    pub fn add_days(&self, from: Timestamp, n: u32) -> Deadline {
        self.try_add_days(from, n).unwrap_or_else(|_| saturated())
    }

    /// [`Calendar::add_days`], failing instead of saturating.
    pub fn try_add_days(&self, from: Timestamp, n: u32) -> Result<Deadline, CalendarError> {
        let last = jiff::Span::new()
            .try_days(i64::from(n))
            .and_then(|span| self.local_date(from).checked_add(span))
            .map_err(|_| CalendarError::OutOfRange)?;
        self.nth_working_day_from(last, 1)
    }

    /// A deadline due at the end of `date` (no counting). Provisional when
    /// `date`'s year lacks data.
    pub fn deadline_on(&self, date: Date) -> Result<Deadline, CalendarError> {
        self.deadline(date, self.is_provisional_year(date.year()))
    }

    /// The `k`-th (k ≥ 1) working day on or after `begin`, as a deadline that
    /// is provisional if any year from `begin` to it lacks data.
    fn nth_working_day_from(&self, begin: Date, k: u32) -> Result<Deadline, CalendarError> {
        let mut year = begin.year();
        let mut from = year::day_index(begin);
        let mut left = k;
        let mut provisional = false;
        loop {
            provisional |= self.is_provisional_year(year);
            let weekend_bits;
            let bits = match self.years.get(&year) {
                Some(y) => y.bits(),
                None => {
                    weekend_bits = year::weekend_rule_bits(year)?;
                    &weekend_bits
                }
            };
            let available = year::count_from(bits, from);
            if available >= left {
                let index = year::select_from(bits, from, left).ok_or(CalendarError::OutOfRange)?;
                let day = Date::new(year, 1, 1)
                    .and_then(|jan1| jan1.checked_add(i64::try_from(index).unwrap_or(0).days()))
                    .map_err(|_| CalendarError::OutOfRange)?;
                return self.deadline(day, provisional);
            }
            left -= available;
            year = year.checked_add(1).ok_or(CalendarError::OutOfRange)?;
            from = 0;
        }
    }

    fn deadline(&self, due_date: Date, provisional: bool) -> Result<Deadline, CalendarError> {
        let end = due_date
            .tomorrow()
            .and_then(|next| next.to_zoned(self.tz.clone()))
            .map_err(|_| CalendarError::OutOfRange)?;
        Ok(Deadline {
            due_date,
            due_at: end.timestamp(),
            provisional,
            offset: end.offset(),
        })
    }
}

fn saturated() -> Deadline {
    Deadline {
        due_date: Date::MAX,
        due_at: Timestamp::MAX,
        provisional: true,
        offset: Offset::UTC,
    }
}

#[cfg(test)]
mod tests;
