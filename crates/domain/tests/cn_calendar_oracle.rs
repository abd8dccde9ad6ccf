//! The embedded China calendar agrees with PyPI `chinesecalendar` (the pinned
//! version in scripts/requirements-test.txt) on every day of 2019–2026: working
//! or not, the holiday or make-up day's name (English and Chinese), and the
//! in-lieu flag. One Python call dumps all days.

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
    zh = cc.Holiday(name).chinese if name else None
    out[d.isoformat()] = [cc.is_workday(d), name, zh, cc.is_in_lieu(d)]
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
        let want_day = (
            want[1].as_str(),
            want[2].as_str(),
            want[3].as_bool().unwrap(),
        );
        let got_day = match cal.day_kind(d) {
            DayKind::Holiday(h) | DayKind::MakeupWorkingDay(h) => {
                (Some(h.name.as_str()), h.name_zh.as_deref(), h.in_lieu)
            }
            DayKind::Workday | DayKind::Weekend => (None, None, false),
        };
        let got_working = cal.is_working_day(d);
        if got_working != want_working || got_day != want_day {
            mismatches.push(format!(
                "{d}: ours working={got_working} {got_day:?}, chinesecalendar working={want_working} {want_day:?}"
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
