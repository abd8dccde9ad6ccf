//! `rightsguard deadline` and `rightsguard calendar`, run as the real binary.

// The helpers below are test code, but outside `#[test]` functions clippy's
// allow-*-in-tests settings do not reach them.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::{Command, Output};

fn rightsguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs a command expected to succeed and parses its single JSON output.
fn json(args: &[&str]) -> serde_json::Value {
    let out = rightsguard(args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed non-JSON {stdout:?}: {e}"))
}

/// Runs a command expected to fail and returns its stderr.
fn failure(args: &[&str]) -> String {
    let out = rightsguard(args);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?} printed on failure");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn business_days_across_national_day_2024() {
    let v = json(&[
        "deadline",
        "--calendar",
        "CN",
        "--from",
        "2024-09-30T10:00:00+08:00",
        "--business-days",
        "2",
    ]);
    assert_eq!(v["calendar"], "CN");
    assert_eq!(v["time_zone"], "Asia/Shanghai");
    assert_eq!(v["due_date"], "2024-10-09");
    assert_eq!(v["due_at"], "2024-10-10T00:00:00+08:00");
    assert_eq!(v["provisional"], false);
    assert_eq!(v["business_days"], 2);
}

#[test]
fn calendar_days_read_the_start_in_local_time_and_roll_past_holidays() {
    // 23:30 UTC on 30 September is 07:30 on 1 October in Shanghai, a holiday.
    let v = json(&[
        "deadline",
        "--calendar",
        "CN",
        "--from",
        "2024-09-30T23:30:00Z",
        "--days",
        "0",
    ]);
    assert_eq!(v["from"], "2024-10-01T07:30:00+08:00");
    assert_eq!(v["due_date"], "2024-10-08");
    let v = json(&[
        "deadline",
        "--calendar",
        "UTC",
        "--from",
        "2024-09-30T23:30:00Z",
        "--days",
        "0",
    ]);
    assert_eq!(v["due_date"], "2024-09-30");
    assert_eq!(v["due_at"], "2024-10-01T00:00:00+00:00");
}

#[test]
fn a_year_without_data_is_provisional() {
    let v = json(&[
        "deadline",
        "--calendar",
        "CN",
        "--from",
        "2027-03-01T09:00:00+08:00",
        "--business-days",
        "3",
    ]);
    assert_eq!(v["due_date"], "2027-03-04");
    assert_eq!(v["provisional"], true);
}

#[test]
fn bad_input_is_a_clear_error() {
    let from = "2024-09-30T10:00:00+08:00";
    let err = failure(&[
        "deadline",
        "--calendar",
        "XX",
        "--from",
        from,
        "--days",
        "1",
    ]);
    assert!(err.contains("unknown calendar \"XX\""), "{err}");
    let err = failure(&[
        "deadline",
        "--calendar",
        "CN",
        "--from",
        "2024-09-30",
        "--days",
        "1",
    ]);
    assert!(err.contains("--from"), "{err}");
    let err = failure(&["deadline", "--calendar", "CN", "--from", from]);
    assert!(
        err.contains("--business-days") && err.contains("--days"),
        "{err}"
    );
    let err = failure(&[
        "deadline",
        "--calendar",
        "CN",
        "--from",
        from,
        "--days",
        "1",
        "--business-days",
        "1",
    ]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = failure(&[
        "deadline",
        "--calendar",
        "CN",
        "--from",
        from,
        "--business-days",
        "4294967295",
    ]);
    assert!(err.contains("beyond the last representable date"), "{err}");
    let err = failure(&[
        "deadline",
        "--calendar",
        "CN",
        "--from",
        from,
        "--days",
        "99999999999",
    ]);
    assert!(err.contains("--days"), "{err}");
}

#[test]
fn calendar_show_lists_a_year_and_the_years_with_data() {
    let v = json(&["calendar", "show", "CN", "--year", "2024"]);
    assert_eq!(
        v["years_with_data"],
        serde_json::json!([2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026])
    );
    assert_eq!(v["provisional"], false);
    let makeup: Vec<&str> = v["makeup_working_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert!(
        makeup.contains(&"2024-09-29") && makeup.contains(&"2024-10-12"),
        "{makeup:?}"
    );
    let national_day = v["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["name"] == "National Day")
        .count();
    assert_eq!(national_day, 7);

    let v = json(&["calendar", "show", "CN", "--year", "2027"]);
    assert_eq!(v["provisional"], true);
    assert_eq!(v["holidays"], serde_json::json!([]));

    let v = json(&["calendar", "list"]);
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["calendar"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["CN", "EU", "UTC"]);
    assert!(failure(&["calendar", "show", "XX"]).contains("unknown calendar"));
}
