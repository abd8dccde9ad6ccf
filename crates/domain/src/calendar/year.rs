//! One year of a calendar's data: its holidays, its make-up working days, and
//! the resulting set of working days as a bitset (one bit per day of the year),
//! so that counting N working days is a few popcounts, not N lookups.

use jiff::civil::{Date, Weekday};

use super::CalendarError;

/// Number of `u64` words in a year's bitset (384 bits ≥ 366 days).
const WORDS: usize = 6;

/// One bit per day of a year, bit `i` standing for day-of-year `i + 1`.
pub(crate) type Bits = [u64; WORDS];

/// A named day of a calendar year: a holiday or a make-up working day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NamedDay {
    /// The day.
    pub date: Date,
    /// Its name in English (e.g. "National Day").
    pub name: String,
    /// Its name in the jurisdiction's language, when known (e.g. "国庆节").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// For a holiday: a weekday off that is paid back by a make-up working day
    /// (调休), rather than a statutory day off. Informational only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_lieu: bool,
}

impl NamedDay {
    /// A named day with no local-language name and `in_lieu` unset.
    pub fn new(date: Date, name: impl Into<String>) -> NamedDay {
        NamedDay {
            date,
            name: name.into(),
            name_zh: None,
            in_lieu: false,
        }
    }
}

/// The published data of one calendar year.
///
/// A day listed as a holiday rests even from Monday to Friday; a day listed as
/// a make-up working day works even on a weekend; every other day follows the
/// weekend rule (Saturday and Sunday rest). A day cannot be both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearData {
    year: i16,
    /// False for a year the calendar synthesised to hold an extra holiday
    /// (`Calendar::with_extra_holiday`) although no data was ever published
    /// for it: such a year stays provisional.
    published: bool,
    source: Option<String>,
    /// Sorted by date, no duplicates.
    holidays: Vec<NamedDay>,
    /// Sorted by date, no duplicates, disjoint from `holidays`.
    makeup_working_days: Vec<NamedDay>,
    working: Bits,
}

impl YearData {
    /// An empty published year: weekends rest, every other day works, until
    /// holidays and make-up working days are added.
    pub fn new(year: i16) -> Result<YearData, CalendarError> {
        let working = weekend_rule_bits(year)?;
        Ok(YearData {
            year,
            published: true,
            source: None,
            holidays: Vec::new(),
            makeup_working_days: Vec::new(),
            working,
        })
    }

    /// An unpublished year, counted by the weekend rule (and hence provisional).
    pub(crate) fn unpublished(year: i16) -> Result<YearData, CalendarError> {
        Ok(YearData {
            published: false,
            ..YearData::new(year)?
        })
    }

    /// Parses one year file (the format of `crates/domain/calendars/cn/*.toml`):
    /// `year`, optional `source`, `holidays` and `makeup_working_days`, each an
    /// array of `{ date, name, name_zh?, in_lieu? }`.
    pub fn from_toml(text: &str) -> Result<YearData, CalendarError> {
        let file: YearFile = toml::from_str(text).map_err(|e| CalendarError::Data {
            year: None,
            reason: e.to_string(),
        })?;
        let mut data = YearData::new(file.year)?;
        data.source = file.source;
        for (entries, holiday) in [(file.holidays, true), (file.makeup_working_days, false)] {
            for e in entries {
                let date = toml_date(file.year, &e.date)?;
                let day = NamedDay {
                    date,
                    name: e.name,
                    name_zh: e.name_zh,
                    in_lieu: e.in_lieu,
                };
                if holiday {
                    data.add_holiday(day)?;
                } else {
                    data.add_makeup_working_day(day)?;
                }
            }
        }
        Ok(data)
    }

    /// Makes `day` a holiday (a rest day).
    pub fn add_holiday(&mut self, day: NamedDay) -> Result<(), CalendarError> {
        let i = self.index(day.date)?;
        if self.makeup_working_day(day.date).is_some() {
            return Err(self.error(format!("{} is already a make-up working day", day.date)));
        }
        let at = match self.holidays.binary_search_by_key(&day.date, |d| d.date) {
            Ok(_) => return Err(self.error(format!("holiday {} listed twice", day.date))),
            Err(at) => at,
        };
        self.holidays.insert(at, day);
        clear_bit(&mut self.working, i);
        Ok(())
    }

    /// Makes `day` a make-up working day (调休: a weekend day worked to pay
    /// back a weekday off).
    pub fn add_makeup_working_day(&mut self, day: NamedDay) -> Result<(), CalendarError> {
        let i = self.index(day.date)?;
        if self.holiday(day.date).is_some() {
            return Err(self.error(format!("{} is already a holiday", day.date)));
        }
        let at = match self
            .makeup_working_days
            .binary_search_by_key(&day.date, |d| d.date)
        {
            Ok(_) => {
                return Err(self.error(format!("make-up working day {} listed twice", day.date)));
            }
            Err(at) => at,
        };
        self.makeup_working_days.insert(at, day);
        set_bit(&mut self.working, i);
        Ok(())
    }

    /// Makes `date` a rest day whatever it was: drops a make-up working day on
    /// that date, adds a holiday unless there is one. Used to test that more
    /// holidays never bring a deadline forward.
    pub(crate) fn force_holiday(&mut self, date: Date, name: String) -> Result<(), CalendarError> {
        let i = self.index(date)?;
        self.makeup_working_days.retain(|d| d.date != date);
        if let Err(at) = self.holidays.binary_search_by_key(&date, |d| d.date) {
            self.holidays.insert(at, NamedDay::new(date, name));
        }
        clear_bit(&mut self.working, i);
        Ok(())
    }

    /// The year.
    pub fn year(&self) -> i16 {
        self.year
    }

    /// Where the data comes from (e.g. "chinesecalendar 1.11.0"), if stated.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The holidays, sorted by date.
    pub fn holidays(&self) -> &[NamedDay] {
        &self.holidays
    }

    /// The make-up working days, sorted by date.
    pub fn makeup_working_days(&self) -> &[NamedDay] {
        &self.makeup_working_days
    }

    /// The holiday on `date`, if any.
    pub fn holiday(&self, date: Date) -> Option<&NamedDay> {
        find(&self.holidays, date)
    }

    /// The make-up working day on `date`, if any.
    pub fn makeup_working_day(&self, date: Date) -> Option<&NamedDay> {
        find(&self.makeup_working_days, date)
    }

    /// How many working days the year has.
    pub fn working_day_count(&self) -> u32 {
        self.working.iter().map(|w| w.count_ones()).sum()
    }

    pub(crate) fn is_published(&self) -> bool {
        self.published
    }

    pub(crate) fn bits(&self) -> &Bits {
        &self.working
    }

    fn index(&self, date: Date) -> Result<usize, CalendarError> {
        if date.year() != self.year {
            return Err(self.error(format!("{date} is not in {}", self.year)));
        }
        Ok(day_index(date))
    }

    fn error(&self, reason: String) -> CalendarError {
        CalendarError::Data {
            year: Some(self.year),
            reason,
        }
    }
}

fn find(days: &[NamedDay], date: Date) -> Option<&NamedDay> {
    days.binary_search_by_key(&date, |d| d.date)
        .ok()
        .and_then(|i| days.get(i))
}

/// Zero-based day of the year.
pub(crate) fn day_index(date: Date) -> usize {
    usize::try_from(date.day_of_year() - 1).unwrap_or(0)
}

/// The working days of `year` under the weekend rule alone.
pub(crate) fn weekend_rule_bits(year: i16) -> Result<Bits, CalendarError> {
    let jan1 = Date::new(year, 1, 1).map_err(|_| CalendarError::OutOfRange)?;
    let first = usize::try_from(jan1.weekday().to_monday_zero_offset()).unwrap_or(0);
    let leap = usize::from(jan1.in_leap_year());
    Ok(WEEKEND_RULE
        .get(first)
        .and_then(|p| p.get(leap))
        .copied()
        .unwrap_or([0; WORDS]))
}

/// The 14 possible weekend-rule years, by weekday of 1 January (Monday = 0)
/// and leap-ness, computed at compile time.
const WEEKEND_RULE: [[Bits; 2]; 7] = {
    let mut table = [[[0; WORDS]; 2]; 7];
    let mut first = 0;
    while first < 7 {
        let mut leap = 0;
        while leap < 2 {
            let mut i = 0;
            while i < 365 + leap {
                if (first + i) % 7 < 5 {
                    table[first][leap][i / 64] |= 1 << (i % 64);
                }
                i += 1;
            }
            leap += 1;
        }
        first += 1;
    }
    table
};

/// Whether `date` works under the weekend rule alone.
pub(crate) fn weekend_rule_works(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

pub(crate) fn test_bit(bits: &Bits, i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
}

fn set_bit(bits: &mut Bits, i: usize) {
    if let Some(w) = bits.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

fn clear_bit(bits: &mut Bits, i: usize) {
    if let Some(w) = bits.get_mut(i / 64) {
        *w &= !(1 << (i % 64));
    }
}

/// The set bits at index `from` or later.
fn masked_word(bits: &Bits, word: usize, from: usize) -> u64 {
    let w = bits.get(word).copied().unwrap_or(0);
    let lo = word * 64;
    if from <= lo {
        w
    } else if from >= lo + 64 {
        0
    } else {
        w & (u64::MAX << (from - lo))
    }
}

/// How many bits are set at index `from` or later.
pub(crate) fn count_from(bits: &Bits, from: usize) -> u32 {
    (0..WORDS)
        .map(|w| masked_word(bits, w, from).count_ones())
        .sum()
}

/// The index of the `k`-th (k ≥ 1) set bit at index `from` or later, if any.
pub(crate) fn select_from(bits: &Bits, from: usize, k: u32) -> Option<usize> {
    let mut left = k;
    for word in 0..WORDS {
        let mut w = masked_word(bits, word, from);
        let ones = w.count_ones();
        if ones < left {
            left -= ones;
            continue;
        }
        // Drop the lowest `left - 1` set bits; the answer is the next one.
        for _ in 1..left {
            w &= w - 1;
        }
        return Some(word * 64 + w.trailing_zeros() as usize);
    }
    None
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i16,
    source: Option<String>,
    #[serde(default)]
    holidays: Vec<DayEntry>,
    #[serde(default)]
    makeup_working_days: Vec<DayEntry>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DayEntry {
    date: toml::value::Datetime,
    name: String,
    name_zh: Option<String>,
    #[serde(default)]
    in_lieu: bool,
}

fn toml_date(year: i16, dt: &toml::value::Datetime) -> Result<Date, CalendarError> {
    let bad = || CalendarError::Data {
        year: Some(year),
        reason: format!("{dt} is not a plain date (write it as YYYY-MM-DD)"),
    };
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => {
            let y = i16::try_from(d.year).map_err(|_| bad())?;
            let m = i8::try_from(d.month).map_err(|_| bad())?;
            let day = i8::try_from(d.day).map_err(|_| bad())?;
            Date::new(y, m, day).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn select_and_count_agree_with_a_bit_by_bit_walk() {
        let bits = weekend_rule_bits(2024).unwrap();
        for from in [0, 5, 63, 64, 65, 200, 365] {
            let set: Vec<usize> = (from..384).filter(|&i| test_bit(&bits, i)).collect();
            assert_eq!(count_from(&bits, from) as usize, set.len(), "from {from}");
            for (k, &want) in set.iter().enumerate() {
                assert_eq!(select_from(&bits, from, k as u32 + 1), Some(want));
            }
            assert_eq!(select_from(&bits, from, set.len() as u32 + 1), None);
        }
    }

    #[test]
    fn weekend_rule_bits_match_weekdays() {
        // 2000–2030 has every (weekday of 1 January, leap) combination.
        for year in 2000..=2030 {
            let bits = weekend_rule_bits(year).unwrap();
            let mut d = date(year, 1, 1);
            while d.year() == year {
                assert_eq!(test_bit(&bits, day_index(d)), weekend_rule_works(d), "{d}");
                d = d.tomorrow().unwrap();
            }
            assert_eq!(count_from(&bits, 366), 0, "no bits past the year");
        }
    }

    #[test]
    fn a_day_cannot_be_both_holiday_and_makeup_day() {
        let mut y = YearData::new(2030).unwrap();
        y.add_holiday(NamedDay::new(date(2030, 1, 5), "x")).unwrap();
        let err = y
            .add_makeup_working_day(NamedDay::new(date(2030, 1, 5), "x"))
            .unwrap_err();
        assert!(err.to_string().contains("already a holiday"), "{err}");
        let err = y
            .add_holiday(NamedDay::new(date(2030, 1, 5), "x"))
            .unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
        let err = y
            .add_holiday(NamedDay::new(date(2031, 1, 5), "x"))
            .unwrap_err();
        assert!(err.to_string().contains("not in 2030"), "{err}");
    }

    #[test]
    fn toml_rejects_datetimes_and_unknown_keys() {
        let text = "year = 2030\nholidays = [{ date = 2030-01-01T00:00:00, name = \"x\" }]\n";
        let err = YearData::from_toml(text).unwrap_err();
        assert!(err.to_string().contains("plain date"), "{err}");
        let err = YearData::from_toml("year = 2030\nholiday = []\n").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
