//! The embedded China calendar agrees with PyPI `chinesecalendar` (the pinned
//! version in scripts/requirements-test.txt) on every day of 2019–2026: working
//! or not, and the holiday or make-up name. One Python call dumps all days.

use std::process::Command;

use jiff::civil::{Date, date};
use rightsguard_domain::calendar::{Calendar, DayKind};

const FIRST: i16 = 2019;
const LAST: i16 = 2026;

const DUMP: &str = r#"
import datetime, json, sys
import chinese_calendar as cc
first, last = int(sys.argv[1]), int(sys.argv[2])
d, end, out = datetime.date(first, 1, 1), datetime.date(last, 12, 31), {}
while d <= end:
    holiday, name = cc.get_holiday_detail(d)
    out[d.isoformat()] = [cc.is_workday(d), name]
    d += datetime.timedelta(days=1)
print(json.dumps({"version": cc.__version__, "days": out}))
"#;

#[test]
fn cn_calendar_matches_chinesecalendar_every_day_2019_2026() {
    let python = std::env::var("RG_PYTHON").unwrap_or_else(|_| {
        panic!(
            "RG_PYTHON is unset: this test compares against PyPI chinesecalendar; run scripts/test"
        )
    });
    let out = Command::new(&python)
        .args(["-c", DUMP, &FIRST.to_string(), &LAST.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("running {python}: {e}; run scripts/test"));
    assert!(
        out.status.success(),
        "{python} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let pinned = include_str!("../../../scripts/requirements-test.txt");
    let version = dump["version"].as_str().unwrap();
    assert!(
        pinned
            .lines()
            .any(|l| l.trim() == format!("chinesecalendar=={version}")),
        "oracle is chinesecalendar {version}, not the pinned version; run scripts/test"
    );

    let cal = Calendar::builtin("CN").unwrap();
    let days = dump["days"].as_object().unwrap();
    let mut d: Date = date(FIRST, 1, 1);
    let mut checked = 0;
    let mut mismatches = Vec::new();
    while d.year() <= LAST {
        let want = &days[&d.to_string()];
        let want_working = want[0].as_bool().unwrap();
        let want_name = want[1].as_str();
        let got_name = match cal.day_kind(d) {
            DayKind::Holiday(h) | DayKind::MakeupWorkingDay(h) => Some(h.name.as_str()),
            DayKind::Workday | DayKind::Weekend => None,
        };
        if cal.is_working_day(d) != want_working || got_name != want_name {
            mismatches.push(format!(
                "{d}: ours working={} {got_name:?}, chinesecalendar working={want_working} {want_name:?}",
                cal.is_working_day(d)
            ));
        }
        checked += 1;
        d = d.tomorrow().unwrap();
    }
    assert_eq!(checked, days.len(), "every dumped day compared");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
