//! `rightsguard policy` run as a person would: the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::process::Command;

fn rightsguard(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn policy_show_prints_a_profile_that_parses_back() {
    let (code, out, err) = rightsguard(&["policy", "show", "taobao"]);
    assert_eq!(code, 0, "{err}");
    let p = rightsguard_domain::policy::Policy::from_toml("taobao", &out).unwrap();
    assert_eq!(
        p,
        rightsguard_domain::policy::Policy::builtin("taobao").unwrap()
    );
}

#[test]
fn policy_show_json_with_overlay() {
    let (code, out, err) = rightsguard(&["policy", "show", "aliexpress+dsa", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["name"], "aliexpress+dsa");
    assert_eq!(v["dsa"]["statement_of_reasons"], true);
    assert_eq!(v["penalties"]["general_points_daily_cap"], 6);
}

#[test]
fn policy_show_unknown_names_the_known_profiles() {
    let (code, out, err) = rightsguard(&["policy", "show", "ebay"]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(
        err.contains("unknown policy profile") && err.contains("aliexpress"),
        "{err}"
    );
}

#[test]
fn policy_list_names_every_profile() {
    let (code, out, _) = rightsguard(&["policy", "list"]);
    assert_eq!(code, 0);
    for name in ["taobao", "alibaba_com", "aliexpress", "+dsa"] {
        assert!(out.contains(name), "{out}");
    }
}
