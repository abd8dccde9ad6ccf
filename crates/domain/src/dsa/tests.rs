#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::Timestamp;
use serde_json::{Value, json};

use super::validate::{validate_batch, validate_statement};
use super::*;
use crate::blocklist::BlockHit;
use crate::ids::RightId;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn takedown(seq: i64) -> Decision {
    Decision {
        seq,
        decided_at: at("2026-03-02T10:00:00Z"),
        content_at: Some(at("2025-12-24T08:00:00Z")),
        measure: Measure::Takedown(Takedown {
            complaint: ComplaintId::parse("c-1").unwrap(),
            listing: ListingId::parse("l.1").unwrap(),
            seller: OrgId::parse("shop-1").unwrap(),
            reason: ReasonCode::Counterfeit,
            right: RightCited {
                kind: RightKind::Trademark,
                jurisdiction: "CN".into(),
                registration_number: "12345678".into(),
            },
            notifier: "Acme Brands Ltd".into(),
            submitted_at: at("2026-03-01T09:00:00Z"),
        }),
    }
}

fn hold() -> Decision {
    Decision {
        seq: 7,
        decided_at: at("2026-03-02T10:00:00Z"),
        content_at: Some(at("2026-03-02T10:00:00Z")),
        measure: Measure::Hold(Hold {
            listing: ListingId::parse("l-2").unwrap(),
            seller: OrgId::parse("shop-2").unwrap(),
            hits: vec![BlockHit {
                right: RightId::parse("r-1").unwrap(),
                term: "ACME".into(),
                field: "title".into(),
                matched: "Acmé".into(),
                method: "diacritic".into(),
            }],
        }),
    }
}

fn penalty(until: Option<Timestamp>) -> Decision {
    Decision {
        seq: 9,
        decided_at: at("2026-04-02T10:00:00Z"),
        content_at: None,
        measure: Measure::Penalty(StorePenalty {
            seller: OrgId::parse("shop-1").unwrap(),
            until,
            complaint: ComplaintId::parse("c-1").unwrap(),
            listing: ListingId::parse("l.1").unwrap(),
            reason: ReasonCode::Design,
            rule: "serious strike 1".into(),
        }),
    }
}

fn good() -> Value {
    serde_json::to_value(takedown(42).statement(&EEA)).unwrap()
}

/// The statement with `f` set to `v` (`Value::Null` removes it).
fn with(f: &str, v: Value) -> Value {
    let mut s = good();
    let o = s.as_object_mut().unwrap();
    if v.is_null() {
        o.remove(f);
    } else {
        o.insert(f.into(), v);
    }
    s
}

/// The statement is refused, and one of the errors names `field`.
fn refused_on(s: &Value, field: &str) {
    let errs = validate_statement(s).expect_err("should be refused");
    assert!(
        errs.iter().any(|e| e.field == field),
        "expected an error on {field}, got {errs:?}"
    );
}

#[test]
fn every_kind_of_decision_maps_to_a_valid_statement() {
    for d in [
        takedown(1),
        hold(),
        penalty(Some(at("2026-04-09T10:00:00Z"))),
        penalty(None),
    ] {
        let v = serde_json::to_value(d.statement(&EEA)).unwrap();
        assert_eq!(validate_statement(&v), Ok(()), "{v:#}");
    }
}

#[test]
fn a_takedown_says_what_the_typical_ip_mapping_says() {
    let s = good();
    assert_eq!(
        s["category"],
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    );
    assert_eq!(
        s["category_specification"],
        json!(["KEYWORD_TRADEMARK_INFRINGEMENT"])
    );
    assert_eq!(s["content_type"], json!(["CONTENT_TYPE_PRODUCT"]));
    assert_eq!(s["decision_ground"], "DECISION_GROUND_ILLEGAL_CONTENT");
    assert_eq!(s["source_type"], "SOURCE_ARTICLE_16");
    assert_eq!(s["source_identity"], "Acme Brands Ltd");
    assert_eq!(
        s["decision_visibility"],
        json!(["DECISION_VISIBILITY_CONTENT_REMOVED"])
    );
    assert_eq!(s["content_date"], "2025-12-24");
    assert_eq!(s["application_date"], "2026-03-02");
    assert_eq!(s["automated_decision"], "AUTOMATED_DECISION_NOT_AUTOMATED");
    assert_eq!(s["puid"], "rg-takedown-42");
    assert_eq!(s["territorial_scope"].as_array().unwrap().len(), 30);
}

#[test]
fn a_hold_is_voluntary_automated_and_under_the_terms() {
    let s = serde_json::to_value(hold().statement(&EEA)).unwrap();
    assert_eq!(s["source_type"], "SOURCE_VOLUNTARY");
    assert!(s.get("source_identity").is_none());
    assert_eq!(s["automated_detection"], "Yes");
    assert_eq!(s["automated_decision"], "AUTOMATED_DECISION_FULLY");
    assert_eq!(s["decision_ground"], "DECISION_GROUND_INCOMPATIBLE_CONTENT");
    assert!(
        s["incompatible_content_explanation"]
            .as_str()
            .unwrap()
            .contains("Acmé")
    );
}

#[test]
fn a_freeze_suspends_the_account_until_its_end_and_a_closure_terminates_it() {
    let s =
        serde_json::to_value(penalty(Some(at("2026-04-09T10:00:00Z"))).statement(&EEA)).unwrap();
    assert_eq!(s["decision_account"], "DECISION_ACCOUNT_SUSPENDED");
    assert_eq!(
        s["decision_provision"],
        "DECISION_PROVISION_TOTAL_SUSPENSION"
    );
    assert_eq!(s["end_date_account_restriction"], "2026-04-09");
    assert_eq!(s["puid"], "rg-suspension-9");
    assert_eq!(
        s["category_specification"],
        json!(["KEYWORD_DESIGN_INFRINGEMENT"])
    );
    let s = serde_json::to_value(penalty(None).statement(&EEA)).unwrap();
    assert_eq!(s["decision_account"], "DECISION_ACCOUNT_TERMINATED");
    assert!(s.get("end_date_account_restriction").is_none());
    assert_eq!(s["puid"], "rg-termination-9");
}

#[test]
fn long_texts_are_cut_to_the_schema_lengths() {
    let mut d = takedown(1);
    if let Measure::Takedown(t) = &mut d.measure {
        t.notifier = "N".repeat(3000);
        t.right.registration_number = "9".repeat(800);
    }
    let v = serde_json::to_value(d.statement(&EEA)).unwrap();
    assert_eq!(validate_statement(&v), Ok(()));
    assert_eq!(v["source_identity"].as_str().unwrap().chars().count(), 500);
}

#[test]
fn puids_round_trip_and_foreign_ones_are_not_read() {
    for kind in [
        DecisionKind::Takedown,
        DecisionKind::Hold,
        DecisionKind::Suspension,
        DecisionKind::Termination,
    ] {
        let r = DecisionRef { kind, seq: 1234 };
        assert_eq!(DecisionRef::parse(&r.puid()), Some(r));
    }
    for bad in [
        "rg-takedown-",
        "rg-takedown-01",
        "rg-takedown-1x",
        "rg-other-1",
        "x-takedown-1",
        "rg-takedown--1",
        "rg-takedown-99999999999999999999",
    ] {
        assert_eq!(DecisionRef::parse(bad), None, "{bad}");
    }
}

// One test per rule of the validator: a statement that breaks it is refused
// with the field named.

#[test]
fn rule_a_statement_is_an_object() {
    assert!(validate_statement(&json!([1])).is_err());
}

#[test]
fn rule_at_least_one_decision() {
    refused_on(
        &with("decision_visibility", Value::Null),
        "decision_visibility",
    );
    refused_on(
        &with("decision_visibility", json!([])),
        "decision_visibility",
    );
    // Any one of the four is enough.
    let s = with("decision_visibility", Value::Null);
    let mut s2 = s.clone();
    s2["decision_account"] = json!("DECISION_ACCOUNT_SUSPENDED");
    assert_eq!(validate_statement(&s2), Ok(()));
    let mut s3 = s.clone();
    s3["decision_monetary"] = json!("DECISION_MONETARY_SUSPENSION");
    assert_eq!(validate_statement(&s3), Ok(()));
    let mut s4 = s;
    s4["decision_provision"] = json!("DECISION_PROVISION_PARTIAL_SUSPENSION");
    assert_eq!(validate_statement(&s4), Ok(()));
}

#[test]
fn rule_decision_visibility_values() {
    refused_on(
        &with("decision_visibility", json!(["DECISION_VISIBILITY_HIDDEN"])),
        "decision_visibility",
    );
    refused_on(
        &with(
            "decision_visibility",
            json!("DECISION_VISIBILITY_CONTENT_REMOVED"),
        ),
        "decision_visibility",
    );
}

#[test]
fn rule_decision_visibility_other_needs_its_text() {
    let s = with("decision_visibility", json!(["DECISION_VISIBILITY_OTHER"]));
    refused_on(&s, "decision_visibility_other");
    let mut ok = s.clone();
    ok["decision_visibility_other"] = json!("shadow-limited");
    assert_eq!(validate_statement(&ok), Ok(()));
    let mut long = s;
    long["decision_visibility_other"] = json!("x".repeat(501));
    refused_on(&long, "decision_visibility_other");
}

#[test]
fn rule_decision_monetary_values_and_other() {
    refused_on(
        &with("decision_monetary", json!("DECISION_MONETARY_FINE")),
        "decision_monetary",
    );
    refused_on(
        &with("decision_monetary", json!("DECISION_MONETARY_OTHER")),
        "decision_monetary_other",
    );
}

#[test]
fn rule_decision_provision_values() {
    refused_on(
        &with("decision_provision", json!("DECISION_PROVISION_SUSPENDED")),
        "decision_provision",
    );
}

#[test]
fn rule_decision_account_values() {
    refused_on(
        &with("decision_account", json!("DECISION_ACCOUNT_BANNED")),
        "decision_account",
    );
}

#[test]
fn rule_account_type_values() {
    refused_on(
        &with("account_type", json!("ACCOUNT_TYPE_TRADER")),
        "account_type",
    );
    assert_eq!(
        validate_statement(&with("account_type", Value::Null)),
        Ok(())
    );
}

#[test]
fn rule_decision_ground_required_and_values() {
    refused_on(&with("decision_ground", Value::Null), "decision_ground");
    refused_on(
        &with("decision_ground", json!("DECISION_GROUND_OTHER")),
        "decision_ground",
    );
}

#[test]
fn rule_illegal_content_needs_its_ground_and_explanation() {
    refused_on(
        &with("illegal_content_legal_ground", Value::Null),
        "illegal_content_legal_ground",
    );
    refused_on(
        &with("illegal_content_legal_ground", json!("x".repeat(501))),
        "illegal_content_legal_ground",
    );
    refused_on(
        &with("illegal_content_explanation", Value::Null),
        "illegal_content_explanation",
    );
    refused_on(
        &with("illegal_content_explanation", json!("x".repeat(2001))),
        "illegal_content_explanation",
    );
    refused_on(
        &with("illegal_content_explanation", json!("   ")),
        "illegal_content_explanation",
    );
}

#[test]
fn rule_incompatible_content_needs_its_ground_and_explanation() {
    let s = serde_json::to_value(hold().statement(&EEA)).unwrap();
    for (f, max) in [
        ("incompatible_content_ground", 500),
        ("incompatible_content_explanation", 2000),
    ] {
        let mut missing = s.clone();
        missing.as_object_mut().unwrap().remove(f);
        refused_on(&missing, f);
        let mut long = s.clone();
        long[f] = json!("y".repeat(max + 1));
        refused_on(&long, f);
    }
    let mut bad = s;
    bad["incompatible_content_illegal"] = json!("Maybe");
    refused_on(&bad, "incompatible_content_illegal");
}

#[test]
fn rule_decision_ground_reference_url() {
    refused_on(
        &with("decision_ground_reference_url", json!("not a url")),
        "decision_ground_reference_url",
    );
    refused_on(
        &with(
            "decision_ground_reference_url",
            json!(format!("https://example.com/{}", "a".repeat(500))),
        ),
        "decision_ground_reference_url",
    );
    assert_eq!(
        validate_statement(&with(
            "decision_ground_reference_url",
            json!("https://example.com/terms#brand-gating")
        )),
        Ok(())
    );
}

#[test]
fn rule_content_type_required_values_and_other() {
    refused_on(&with("content_type", Value::Null), "content_type");
    refused_on(&with("content_type", json!([])), "content_type");
    refused_on(
        &with("content_type", json!(["CONTENT_TYPE_SHOE"])),
        "content_type",
    );
    refused_on(
        &with(
            "content_type",
            json!(["CONTENT_TYPE_PRODUCT", "CONTENT_TYPE_PRODUCT"]),
        ),
        "content_type",
    );
    refused_on(
        &with("content_type", json!(["CONTENT_TYPE_OTHER"])),
        "content_type_other",
    );
}

#[test]
fn rule_category_required_and_values() {
    refused_on(&with("category", Value::Null), "category");
    refused_on(
        &with("category", json!("STATEMENT_CATEGORY_IP")),
        "category",
    );
    refused_on(
        &with("category_addition", json!(["STATEMENT_CATEGORY_IP"])),
        "category_addition",
    );
    // The two categories added in February 2025 are accepted.
    assert_eq!(
        validate_statement(&with(
            "category_addition",
            json!([
                "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
                "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN"
            ])
        )),
        Ok(())
    );
}

#[test]
fn rule_category_specification_values() {
    refused_on(
        &with("category_specification", json!(["KEYWORD_DANGEROUS_TOYS"])),
        "category_specification",
    );
    refused_on(
        &with("category_specification_other", json!("z".repeat(501))),
        "category_specification_other",
    );
}

#[test]
fn rule_territorial_scope_values_and_null() {
    refused_on(
        &with("territorial_scope", json!(["EL"])),
        "territorial_scope",
    );
    refused_on(
        &with("territorial_scope", json!(["GB"])),
        "territorial_scope",
    );
    assert_eq!(
        validate_statement(&with("territorial_scope", Value::Null)),
        Ok(())
    );
    assert_eq!(
        validate_statement(&with("territorial_scope", json!(["GR", "NO", "LI", "IS"]))),
        Ok(())
    );
}

#[test]
fn rule_content_language_is_upper_case_iso_639_1() {
    assert_eq!(
        validate_statement(&with("content_language", json!("EN"))),
        Ok(())
    );
    refused_on(&with("content_language", json!("en")), "content_language");
    refused_on(&with("content_language", json!("XX")), "content_language");
    refused_on(&with("content_language", json!("ENG")), "content_language");
}

#[test]
fn rule_content_date_required_format_and_range() {
    refused_on(&with("content_date", Value::Null), "content_date");
    refused_on(&with("content_date", json!("2024-02-30")), "content_date");
    refused_on(&with("content_date", json!("24-02-03")), "content_date");
    refused_on(
        &with("content_date", json!("2024-02-03T00:00:00Z")),
        "content_date",
    );
    refused_on(&with("content_date", json!("1999-12-31")), "content_date");
    refused_on(&with("content_date", json!("2038-01-02")), "content_date");
    assert_eq!(
        validate_statement(&with("content_date", json!("2000-01-01"))),
        Ok(())
    );
    assert_eq!(
        validate_statement(&with("content_date", json!("2038-01-01"))),
        Ok(())
    );
    assert_eq!(
        validate_statement(&with("content_date", json!("2024-02-29"))),
        Ok(())
    );
}

#[test]
fn rule_application_date_required_and_from_2020() {
    refused_on(&with("application_date", Value::Null), "application_date");
    refused_on(
        &with("application_date", json!("2019-12-31")),
        "application_date",
    );
    assert_eq!(
        validate_statement(&with("application_date", json!("2020-01-01"))),
        Ok(())
    );
}

#[test]
fn rule_end_dates_are_dates_or_blank() {
    for f in [
        "end_date_account_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_visibility_restriction",
    ] {
        refused_on(&with(f, json!("next week")), f);
        assert_eq!(validate_statement(&with(f, json!(""))), Ok(()), "{f}");
        assert_eq!(
            validate_statement(&with(f, json!("2027-01-31"))),
            Ok(()),
            "{f}"
        );
    }
}

#[test]
fn rule_decision_facts_required_and_at_most_5000() {
    refused_on(&with("decision_facts", Value::Null), "decision_facts");
    refused_on(
        &with("decision_facts", json!("f".repeat(5001))),
        "decision_facts",
    );
    assert_eq!(
        validate_statement(&with("decision_facts", json!("f".repeat(5000)))),
        Ok(())
    );
    refused_on(&with("decision_facts", json!(12)), "decision_facts");
}

#[test]
fn rule_source_type_and_identity() {
    refused_on(&with("source_type", Value::Null), "source_type");
    refused_on(&with("source_type", json!("SOURCE_NOTICE")), "source_type");
    refused_on(
        &with("source_identity", json!("s".repeat(501))),
        "source_identity",
    );
    // Ignored with a voluntary source.
    let mut s = with("source_type", json!("SOURCE_VOLUNTARY"));
    s["source_identity"] = json!("s".repeat(501));
    assert_eq!(validate_statement(&s), Ok(()));
}

#[test]
fn rule_automated_detection_is_yes_or_no() {
    refused_on(
        &with("automated_detection", Value::Null),
        "automated_detection",
    );
    refused_on(
        &with("automated_detection", json!("yes")),
        "automated_detection",
    );
    refused_on(
        &with("automated_detection", json!(true)),
        "automated_detection",
    );
}

#[test]
fn rule_automated_decision_values() {
    refused_on(
        &with("automated_decision", Value::Null),
        "automated_decision",
    );
    refused_on(
        &with("automated_decision", json!("AUTOMATED_DECISION_MOSTLY")),
        "automated_decision",
    );
}

#[test]
fn rule_puid_required_format_and_length() {
    refused_on(&with("puid", Value::Null), "puid");
    refused_on(&with("puid", json!("")), "puid");
    refused_on(&with("puid", json!("rg.takedown.1")), "puid");
    refused_on(&with("puid", json!("rg takedown 1")), "puid");
    refused_on(&with("puid", json!("a".repeat(501))), "puid");
    assert_eq!(
        validate_statement(&with("puid", json!("a".repeat(500)))),
        Ok(())
    );
    assert_eq!(validate_statement(&with("puid", json!("A_b-9"))), Ok(()));
}

#[test]
fn rule_content_ids_are_ean_13() {
    assert_eq!(
        validate_statement(&with("content_id", json!({"EAN-13": "4006381333931"}))),
        Ok(())
    );
    refused_on(
        &with("content_id", json!({"EAN-13": "400638133393"})),
        "content_id",
    );
    refused_on(
        &with("content_id", json!({"ISBN": "4006381333931"})),
        "content_id",
    );
    refused_on(
        &with("content_id_ean", json!("40063813339a1")),
        "content_id_ean",
    );
    assert_eq!(
        validate_statement(&with("content_id_ean", json!("4006381333931"))),
        Ok(())
    );
}

#[test]
fn rule_a_batch_holds_1_to_100_statements_with_distinct_puids() {
    let batch = |n: i64| {
        let list: Vec<Value> = (1..=n)
            .map(|i| serde_json::to_value(takedown(i).statement(&EEA)).unwrap())
            .collect();
        json!({ "statements": list })
    };
    assert_eq!(validate_batch(&batch(1)), Ok(()));
    assert_eq!(validate_batch(&batch(100)), Ok(()));
    let errs = validate_batch(&batch(101)).unwrap_err();
    assert_eq!(errs[0].field, "statements");
    let errs = validate_batch(&json!({"statements": []})).unwrap_err();
    assert_eq!(errs[0].field, "statements");
    let errs = validate_batch(&json!({"statement": [good()]})).unwrap_err();
    assert_eq!(errs[0].field, "statements");

    let mut twice = batch(2);
    twice["statements"][1]["puid"] = json!("rg-takedown-1");
    let errs = validate_batch(&twice).unwrap_err();
    assert_eq!(errs[0].field, "statements.1.puid");

    let mut one_bad = batch(3);
    one_bad["statements"][2]
        .as_object_mut()
        .unwrap()
        .remove("decision_facts");
    let errs = validate_batch(&one_bad).unwrap_err();
    assert_eq!(errs[0].field, "statements.2.decision_facts");
}
