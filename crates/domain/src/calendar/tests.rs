use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn cn() -> Calendar {
    Calendar::builtin("CN").unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Noon in Shanghai on `d`.
fn noon_cn(d: Date) -> Timestamp {
    d.at(12, 0, 0, 0)
        .to_zoned(TimeZone::get("Asia/Shanghai").unwrap())
        .unwrap()
        .timestamp()
}

#[test]
fn national_day_week_2024_is_skipped() {
    let cal = cn();
    let from = ts("2024-09-30T10:00:00+08:00");
    // 1–7 October rest; the 8th is the first working day after the 30th.
    assert_eq!(cal.add_business_days(from, 1).due_date, date(2024, 10, 8));
    assert_eq!(cal.add_business_days(from, 2).due_date, date(2024, 10, 9));
    assert_eq!(cal.add_business_days(from, 3).due_date, date(2024, 10, 10));
    let d = cal.add_business_days(from, 2);
    assert_eq!(d.due_at_rfc3339(), "2024-10-10T00:00:00+08:00");
    assert!(!d.provisional);
}

#[test]
fn makeup_weekend_days_count_as_working_days() {
    let cal = cn();
    // Sunday 2024-09-29 and Saturday 2024-10-12 are 调休 working days.
    assert!(cal.is_working_day(date(2024, 9, 29)));
    assert!(cal.is_working_day(date(2024, 10, 12)));
    assert!(!cal.is_working_day(date(2024, 10, 13)));
    assert!(
        matches!(cal.day_kind(date(2024, 9, 29)), DayKind::MakeupWorkingDay(d) if d.name == "National Day")
    );
    // Friday 27th + 1 business day = the make-up Sunday, not Monday.
    assert_eq!(
        cal.add_business_days(noon_cn(date(2024, 9, 27)), 1)
            .due_date,
        date(2024, 9, 29)
    );
    // Wednesday 9 Oct + 3 = Saturday 12 Oct.
    assert_eq!(
        cal.add_business_days(noon_cn(date(2024, 10, 9)), 3)
            .due_date,
        date(2024, 10, 12)
    );
}

#[test]
fn spring_festival_2025() {
    let cal = cn();
    for d in [date(2025, 1, 28), date(2025, 1, 31), date(2025, 2, 4)] {
        assert!(
            matches!(cal.day_kind(d), DayKind::Holiday(h) if h.name_zh.as_deref() == Some("春节")),
            "{d}"
        );
    }
    assert!(
        cal.is_working_day(date(2025, 1, 26)),
        "make-up Sunday before the festival"
    );
    assert!(
        cal.is_working_day(date(2025, 2, 8)),
        "make-up Saturday after it"
    );
    assert_eq!(
        cal.add_business_days(noon_cn(date(2025, 1, 27)), 1)
            .due_date,
        date(2025, 2, 5)
    );
    assert_eq!(
        cal.add_business_days(noon_cn(date(2025, 1, 20)), 5)
            .due_date,
        date(2025, 1, 26)
    );
}

#[test]
fn calendar_day_window_ending_on_a_holiday_moves_to_next_working_day() {
    let cal = cn();
    // 2025-01-13 + 15 days = 2025-01-28, first day of the Spring Festival break.
    let d = cal.add_days(noon_cn(date(2025, 1, 13)), 15);
    assert_eq!(d.due_date, date(2025, 2, 5));
    // 2024-09-16 + 15 = 1 October 2024 → 8 October.
    assert_eq!(
        cal.add_days(noon_cn(date(2024, 9, 16)), 15).due_date,
        date(2024, 10, 8)
    );
    // A window ending on a working day stays put.
    assert_eq!(
        cal.add_days(noon_cn(date(2024, 9, 3)), 15).due_date,
        date(2024, 9, 18)
    );
    // 2024-09-02 + 15 = 17 September, Mid-autumn Festival → the 18th.
    assert_eq!(
        cal.add_days(noon_cn(date(2024, 9, 2)), 15).due_date,
        date(2024, 9, 18)
    );
}

#[test]
fn a_day_in_a_year_without_data_is_provisional() {
    let cal = cn();
    assert_eq!(cal.years_with_data(), (2019..=2026).collect::<Vec<_>>());
    assert!(cal.is_provisional_year(2027));
    assert!(cal.is_provisional_year(2018));
    assert!(!cal.is_provisional_year(2026));
    assert_eq!(
        cal.years_without_data(2017..=2028),
        vec![2017, 2018, 2027, 2028]
    );
    assert!(
        Calendar::builtin("EU")
            .unwrap()
            .years_without_data(2017..=2028)
            .is_empty()
    );
    let d = cal.add_business_days(noon_cn(date(2027, 3, 1)), 3);
    assert!(d.provisional);
    assert_eq!(d.due_date, date(2027, 3, 4), "weekends-only arithmetic");
    // Crossing from a data year into 2027 is provisional; staying inside is not.
    assert!(
        cal.add_business_days(noon_cn(date(2026, 12, 29)), 5)
            .provisional
    );
    assert!(
        !cal.add_business_days(noon_cn(date(2026, 12, 1)), 5)
            .provisional
    );
    // Calendar days: only the last day (and any roll-forward) is consulted.
    assert!(cal.add_days(noon_cn(date(2026, 12, 1)), 31).provisional);
    assert!(!cal.add_days(noon_cn(date(2026, 12, 1)), 30).provisional);
}

#[test]
fn start_instant_is_read_in_the_calendar_time_zone() {
    let cal = cn();
    let late = ts("2024-09-30T23:30:00Z");
    assert_eq!(
        cal.local_date(late),
        date(2024, 10, 1),
        "already 1 October in Shanghai"
    );
    assert_eq!(cal.add_business_days(late, 1).due_date, date(2024, 10, 8));
    assert_eq!(
        cal.add_days(late, 0).due_date,
        date(2024, 10, 8),
        "today is a holiday: next working day"
    );
    let before_midnight = ts("2024-09-30T15:59:59Z");
    assert_eq!(cal.add_days(before_midnight, 0).due_date, date(2024, 9, 30));
    let utc = Calendar::builtin("UTC").unwrap();
    assert_eq!(
        utc.add_days(late, 0).due_date,
        date(2024, 9, 30),
        "still Monday 30th in UTC"
    );
}

#[test]
fn due_at_is_the_next_local_midnight_and_exclusive() {
    let cal = cn();
    let d = cal.add_business_days(ts("2024-10-08T09:00:00+08:00"), 1);
    assert_eq!(d.due_date, date(2024, 10, 9));
    assert_eq!(d.due_at, ts("2024-10-09T16:00:00Z"));
    assert!(!d.is_overdue(ts("2024-10-09T15:59:59.999999999Z")));
    assert!(d.is_overdue(d.due_at));
    let json = serde_json::to_value(d).unwrap();
    assert_eq!(json["due_date"], "2024-10-09");
    assert_eq!(json["due_at"], "2024-10-10T00:00:00+08:00");
    assert_eq!(json["provisional"], false);
    let back: Deadline = serde_json::from_value(json).unwrap();
    assert_eq!(back, d);
}

#[test]
fn eu_due_at_follows_daylight_saving() {
    let eu = Calendar::builtin("EU").unwrap();
    assert_eq!(eu.data_policy(), DataPolicy::WeekendsOnly);
    // Friday 2024-10-25 + 1 business day = Monday 28th, after the switch to CET.
    let d = eu.add_business_days(ts("2024-10-25T10:00:00+02:00"), 1);
    assert_eq!(d.due_date, date(2024, 10, 28));
    assert_eq!(d.due_at_rfc3339(), "2024-10-29T00:00:00+01:00");
    assert!(
        !d.provisional,
        "weekends-only by design is never provisional"
    );
    assert!(!eu.is_provisional_year(2090));
    assert!(eu.years_with_data().is_empty());
}

#[test]
fn zero_business_days_is_today_if_working() {
    let cal = cn();
    assert_eq!(
        cal.add_business_days(noon_cn(date(2024, 9, 30)), 0)
            .due_date,
        date(2024, 9, 30)
    );
    assert_eq!(
        cal.add_business_days(noon_cn(date(2024, 10, 3)), 0)
            .due_date,
        date(2024, 10, 8)
    );
}

#[test]
fn huge_spans_fail_cleanly_with_try_and_saturate_without() {
    let cal = cn();
    let from = ts("2024-01-01T00:00:00Z");
    assert_eq!(
        cal.try_add_business_days(from, u32::MAX),
        Err(CalendarError::OutOfRange)
    );
    assert_eq!(
        cal.try_add_days(from, u32::MAX),
        Err(CalendarError::OutOfRange)
    );
    let sat = cal.add_business_days(from, u32::MAX);
    assert_eq!(sat.due_at, Timestamp::MAX);
    assert!(sat.provisional);
    // A large but representable span works and lands on a working day.
    let d = cal.try_add_business_days(from, 1_000_000).unwrap();
    assert!(cal.is_working_day(d.due_date) && d.provisional);
}

#[test]
fn unknown_calendar_is_an_error() {
    let err = Calendar::builtin("XX").unwrap_err();
    assert_eq!(err, CalendarError::Unknown("XX".into()));
    assert!(err.to_string().contains("CN, EU, UTC"));
    for id in BUILTIN_IDS {
        assert_eq!(Calendar::builtin(id).unwrap().id(), *id);
    }
}

#[test]
fn custom_year_data_is_used_and_others_stay_provisional() {
    let mut y = YearData::new(2030).unwrap();
    y.add_holiday(NamedDay::new(date(2030, 1, 1), "New Year"))
        .unwrap();
    y.add_makeup_working_day(NamedDay::new(date(2030, 1, 5), "make-up"))
        .unwrap();
    let cal = Calendar::from_years("T", TimeZone::UTC, [y.clone()]).unwrap();
    // Tue 31 Dec 2029 + 1 business day skips the holiday → Wed 2 Jan 2030;
    // 2029 is not consulted (the start day does not count).
    let d = cal.add_business_days(ts("2029-12-31T12:00:00Z"), 1);
    assert_eq!(d.due_date, date(2030, 1, 2));
    assert!(!d.provisional);
    assert_eq!(
        cal.add_business_days(ts("2030-01-04T12:00:00Z"), 1)
            .due_date,
        date(2030, 1, 5)
    );
    let err = Calendar::from_years("T", TimeZone::UTC, [y.clone(), y]).unwrap_err();
    assert!(matches!(
        err,
        CalendarError::DuplicateYear { year: 2030, .. }
    ));
    // An extra holiday in a year without data leaves it provisional.
    let cal = cal.with_extra_holiday(date(2031, 3, 3), "extra").unwrap();
    assert!(!cal.is_working_day(date(2031, 3, 3)));
    assert!(cal.is_provisional_year(2031));
    assert_eq!(cal.years_with_data(), vec![2030]);
}

#[test]
fn embedded_files_parse_and_match_their_years() {
    let cal = cn();
    for year in 2019..=2026 {
        let data = cal.year_data(year).unwrap();
        assert_eq!(data.source(), Some("chinesecalendar 1.11.0"));
        assert!(
            !data.holidays().is_empty() && !data.makeup_working_days().is_empty(),
            "{year}"
        );
        // Plausible size: roughly 250 working days in a Chinese year.
        assert!(
            (240..=255).contains(&data.working_day_count()),
            "{year}: {}",
            data.working_day_count()
        );
    }
}

/// Days from 2018-07-01 to 2027-06-30: both edges of the data range.
fn any_instant() -> impl Strategy<Value = Timestamp> {
    let lo = ts("2018-07-01T00:00:00Z").as_second();
    let hi = ts("2027-06-30T00:00:00Z").as_second();
    (lo..hi).prop_map(|s| Timestamp::from_second(s).unwrap())
}

fn any_date() -> impl Strategy<Value = Date> {
    any_instant().prop_map(|t| t.to_zoned(TimeZone::UTC).date())
}

/// The slow definition, day by day, to check the popcount arithmetic against.
fn walk_business_days(cal: &Calendar, from: Timestamp, n: u32) -> Date {
    let mut d = cal.local_date(from);
    if n == 0 {
        while !cal.is_working_day(d) {
            d = d.tomorrow().unwrap();
        }
        return d;
    }
    let mut left = n;
    while left > 0 {
        d = d.tomorrow().unwrap();
        if cal.is_working_day(d) {
            left -= 1;
        }
    }
    d
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn business_days_match_a_day_by_day_walk(from in any_instant(), n in 0u32..600) {
        let cal = cn();
        let d = cal.add_business_days(from, n);
        prop_assert_eq!(d.due_date, walk_business_days(&cal, from, n));
        let first = if n == 0 { cal.local_date(from) } else { cal.local_date(from).tomorrow().unwrap() };
        let provisional = (first.year()..=d.due_date.year()).any(|y| cal.is_provisional_year(y));
        prop_assert_eq!(d.provisional, provisional);
    }

    #[test]
    fn due_date_is_a_working_day_and_due_at_its_end(from in any_instant(), n in 0u32..600, days in any::<bool>()) {
        let cal = cn();
        let d = if days { cal.add_days(from, n) } else { cal.add_business_days(from, n) };
        prop_assert!(cal.is_working_day(d.due_date));
        prop_assert_eq!(cal.local_date(d.due_at), d.due_date.tomorrow().unwrap());
        prop_assert_eq!(cal.local_date(d.due_at.checked_sub(1.nanosecond()).unwrap()), d.due_date);
    }

    #[test]
    fn calendar_day_windows_end_on_the_first_working_day_from_the_nominal_end(from in any_instant(), n in 0u32..400) {
        let cal = cn();
        let nominal = cal.local_date(from).checked_add(i64::from(n).days()).unwrap();
        let d = cal.add_days(from, n);
        prop_assert!(d.due_date >= nominal);
        let mut day = nominal;
        while day < d.due_date {
            prop_assert!(!cal.is_working_day(day), "{} skipped but working", day);
            day = day.tomorrow().unwrap();
        }
    }

    #[test]
    fn one_more_day_is_never_earlier(from in any_instant(), n in 0u32..600) {
        let cal = cn();
        let (a, b) = (cal.add_business_days(from, n), cal.add_business_days(from, n + 1));
        prop_assert!(b.due_at >= a.due_at);
        if n >= 1 { prop_assert!(b.due_date > a.due_date); }
        prop_assert!(cal.add_days(from, n + 1).due_at >= cal.add_days(from, n).due_at);
    }

    #[test]
    fn later_start_is_never_earlier(a in any_instant(), b in any_instant(), n in 0u32..300) {
        let cal = cn();
        let (early, late) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(cal.add_business_days(late, n).due_at >= cal.add_business_days(early, n).due_at);
        prop_assert!(cal.add_days(late, n).due_at >= cal.add_days(early, n).due_at);
    }

    #[test]
    fn an_extra_holiday_never_brings_a_deadline_forward(
        from in any_instant(), n in 0u32..300, extra in any_date(), eu in any::<bool>(),
    ) {
        let cal = if eu { Calendar::builtin("EU").unwrap() } else { cn() };
        let more = cal.clone().with_extra_holiday(extra, "extra").unwrap();
        prop_assert!(!more.is_working_day(extra));
        let (a, b) = (cal.add_business_days(from, n), more.add_business_days(from, n));
        prop_assert!(b.due_at >= a.due_at);
        prop_assert_eq!(more.is_provisional_year(extra.year()), cal.is_provisional_year(extra.year()));
        prop_assert!(more.add_days(from, n).due_at >= cal.add_days(from, n).due_at);
    }
}
