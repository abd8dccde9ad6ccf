//! Policy profiles: every deadline, limit and threshold, as versioned data.
//!
//! The rules never hard-code a number. A site picks one profile (`taobao`,
//! `alibaba_com`, `aliexpress`) and, for EU sites, the `dsa` overlay; the
//! profiles ship inside the binary as TOML and are parsed and validated here.
//! A bad profile is refused with an error that names the offending key, so a
//! mistake in an edited profile surfaces at load time, not as a wrong deadline
//! months later.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::ids::Jurisdiction;

/// The built-in profiles, by name, as shipped TOML.
pub const BUILTIN: &[(&str, &str)] = &[
    ("taobao", include_str!("../policies/taobao.toml")),
    ("alibaba_com", include_str!("../policies/alibaba_com.toml")),
    ("aliexpress", include_str!("../policies/aliexpress.toml")),
];

/// The built-in overlays, by name.
pub const OVERLAYS: &[(&str, &str)] = &[("dsa", include_str!("../policies/dsa.toml"))];

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// No such built-in profile or overlay.
    #[error("unknown policy profile {name:?} (known: {known})")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// The TOML did not parse or did not fit the schema (the message names the key).
    #[error("policy {name}: {message}")]
    Syntax {
        /// The profile name.
        name: String,
        /// The parser's message, with the key and position.
        message: String,
    },
    /// A value is out of its allowed range.
    #[error("policy {name}: key `{key}`: {reason}")]
    Invalid {
        /// The profile name.
        name: String,
        /// The dotted key.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

/// A complete, validated policy profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Profile name (`taobao`, ...); with an overlay, `base+overlay`.
    pub name: String,
    /// Version of the profile (a date).
    pub version: String,
    /// What the profile is for, in one paragraph.
    pub description: String,
    /// The calendar deadlines are counted on.
    pub calendar: String,
    /// Which rights the site accepts.
    pub rights: RightsPolicy,
    /// Complaint limits and review SLA.
    pub complaints: ComplaintPolicy,
    /// Counter-notice rounds and the escalation window.
    pub counter_notice: CounterNoticePolicy,
    /// Internal complaints against decisions (DSA Art. 20).
    pub internal_complaints: InternalComplaintPolicy,
    /// Seller penalties.
    pub penalties: PenaltyPolicy,
    /// Notifier accuracy, good-faith programme and abuse.
    pub notifiers: NotifierPolicy,
    /// Monitoring: how often rights holders' listings are rescanned.
    #[serde(default)]
    pub monitoring: MonitoringPolicy,
    /// EU DSA duties, present when the `dsa` overlay is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsa: Option<DsaPolicy>,
}

/// Monitoring of listings against verified rights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringPolicy {
    /// Days between the scheduled rescans of a rights holder's rights over
    /// every listing (1 to 365; weekly unless the profile says otherwise).
    pub rescan_interval_days: u32,
}

impl Default for MonitoringPolicy {
    fn default() -> Self {
        Self {
            rescan_interval_days: 7,
        }
    }
}

/// Which rights a site accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RightsPolicy {
    /// Jurisdictions accepted; `"*"` accepts all.
    pub accepted_jurisdictions: Vec<String>,
    /// Accept a Madrid (WO) registration when its China extension certificate is on file.
    pub madrid_with_cn_extension: bool,
    /// Business days within which a right is verified.
    pub verification_sla_business_days: u32,
    /// Months before a customs recordal lapses that its holder is reminded;
    /// absent: the 6-month renewal window (`customs::RENEWAL_WINDOW_MONTHS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_reminder_months: Option<i8>,
}

/// Complaint limits and the review SLA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintPolicy {
    /// Listings one complaint may name (Alibaba: 300).
    pub max_listings_per_complaint: u32,
    /// Business days within which a complaint is reviewed.
    pub review_sla_business_days: u32,
    /// How often a rejected item may be supplemented and resubmitted.
    pub max_resubmissions: u32,
}

/// Counter-notice rounds and the escalation window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterNoticePolicy {
    /// Rounds in all (Alibaba: 3).
    pub rounds: u8,
    /// Business days for the first round, from the takedown.
    pub first_round_business_days: u32,
    /// Business days for each later round, from the failed round's decision.
    pub later_rounds_business_days: u32,
    /// Calendar days from delivery of a valid counter-notice for the rights
    /// holder to show a lawsuit or administrative complaint (E-Commerce Law Art. 43).
    pub escalation_window_days: u32,
}

/// Internal complaints against decisions (DSA Art. 20).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternalComplaintPolicy {
    /// Months after a decision during which it can be challenged.
    pub window_months: u32,
}

/// Seller penalties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltyPolicy {
    /// Days after which a violation stops counting.
    pub lapse_days: u32,
    /// A first offence draws a warning.
    pub first_offence_warning: bool,
    /// Points for one general violation.
    pub general_points_per_violation: u32,
    /// Most general points counted for one local day.
    pub general_points_daily_cap: u32,
    /// Serious violations within this many days of the first count as one.
    pub serious_merge_window_days: u32,
    /// Actions by live general points, ascending.
    pub general_thresholds: Vec<Threshold>,
    /// Actions by live serious strikes, ascending.
    pub serious_thresholds: Vec<Threshold>,
    /// Severity of each reason code.
    pub severity: BTreeMap<String, Severity>,
}

/// One rung of a penalty ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Points or strikes at which the action applies.
    pub at: u32,
    /// What happens.
    pub action: ThresholdAction,
    /// Length of a freeze, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// What a threshold does to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdAction {
    /// Freeze the store for `days`.
    Freeze,
    /// Close the store for good.
    Close,
}

/// How grave a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Counts in points.
    General,
    /// Counts as a strike.
    Serious,
}

/// Notifier accuracy, the good-faith programme and abuse detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifierPolicy {
    /// Rolling window of the figures, in days (3 months).
    pub window_days: u32,
    /// Decided notices needed before good-faith status is considered.
    pub good_faith_min_notices: u32,
    /// Least takedown success rate for good faith (0..=1).
    pub good_faith_min_success_rate: f64,
    /// Largest share of takedowns overturned by counter-notice (0..=1).
    pub good_faith_max_counter_success_rate: f64,
    /// Days a notifier that drops out is barred from re-entry.
    pub good_faith_reentry_bar_days: u32,
    /// Decided notices needed before abuse is considered.
    pub abuse_min_notices: u32,
    /// Share of manifestly unfounded notices that triggers Art. 23 steps (0..=1).
    pub abuse_unfounded_rate: f64,
    /// Length of a suspension of an abusive notifier, in days (the `dsa`
    /// overlay's `art23_suspension_days` takes precedence).
    pub abuse_suspension_days: u32,
}

/// EU DSA duties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DsaPolicy {
    /// A statement of reasons accompanies every restriction (Art. 17).
    pub statement_of_reasons: bool,
    /// Art. 23: a warning precedes any suspension.
    pub art23_warning_first: bool,
    /// Art. 23: length of a suspension, in days.
    pub art23_suspension_days: u32,
}

impl Policy {
    /// The names of the built-in profiles.
    pub fn names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    /// Loads a built-in profile by name; `base+overlay` (e.g. `aliexpress+dsa`)
    /// applies an overlay.
    pub fn builtin(spec: &str) -> Result<Policy, PolicyError> {
        let (base, overlay) = match spec.split_once('+') {
            Some((b, o)) => (b, Some(o)),
            None => (spec, None),
        };
        let base_src = find(BUILTIN, base)?;
        match overlay {
            None => Policy::from_toml(base, base_src),
            Some(o) => Policy::from_toml_with_overlay(spec, base_src, find(OVERLAYS, o)?),
        }
    }

    /// Parses and validates a profile from TOML text.
    pub fn from_toml(name: &str, src: &str) -> Result<Policy, PolicyError> {
        let p: Policy = toml::from_str(src).map_err(|e| syntax(name, e))?;
        p.validate()?;
        Ok(p)
    }

    /// Applies `overlay` on top of `base` (tables merge key by key, the
    /// overlay's values win), then parses and validates the result.
    pub fn from_toml_with_overlay(
        name: &str,
        base: &str,
        overlay: &str,
    ) -> Result<Policy, PolicyError> {
        let mut b: toml::Table = toml::from_str(base).map_err(|e| syntax(name, e))?;
        let o: toml::Table = toml::from_str(overlay).map_err(|e| syntax(name, e))?;
        // Name, version and description speak of both layers; all else merges.
        let field = |t: &toml::Table, key: &str| {
            t.get(key)
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_owned()
        };
        let name_v = format!("{}+{}", field(&b, "name"), field(&o, "name"));
        let version_v = format!("{}+{}", field(&b, "version"), field(&o, "version"));
        let description_v = format!(
            "{} Overlay: {}",
            field(&b, "description"),
            field(&o, "description")
        );
        merge(&mut b, o);
        for (k, v) in [
            ("name", name_v),
            ("version", version_v),
            ("description", description_v),
        ] {
            b.insert(k.to_owned(), toml::Value::String(v));
        }
        let p: Policy = toml::Value::Table(b)
            .try_into()
            .map_err(|e| syntax(name, e))?;
        p.validate()?;
        Ok(p)
    }

    /// The profile as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Whether rights registered in `j` are accepted by this site.
    pub fn accepts_jurisdiction(&self, j: Jurisdiction) -> bool {
        self.rights
            .accepted_jurisdictions
            .iter()
            .any(|a| a == "*" || a == j.as_str())
    }

    /// Severity of a reason code; unknown codes are general.
    pub fn severity_of(&self, reason: &str) -> Severity {
        self.penalties
            .severity
            .get(reason)
            .copied()
            .unwrap_or(Severity::General)
    }

    fn validate(&self) -> Result<(), PolicyError> {
        let bad = |key: &str, reason: &str| {
            Err(PolicyError::Invalid {
                name: self.name.clone(),
                key: key.to_owned(),
                reason: reason.to_owned(),
            })
        };
        if Calendar::builtin(&self.calendar).is_err() {
            return bad(
                "calendar",
                &format!("no built-in calendar {:?}", self.calendar),
            );
        }
        if self
            .rights
            .customs_reminder_months
            .is_some_and(|m| !(1..=12).contains(&m))
        {
            return bad(
                "rights.customs_reminder_months",
                "must be 1 to 12 months before the lapse",
            );
        }
        if !(1..=365).contains(&self.monitoring.rescan_interval_days) {
            return bad("monitoring.rescan_interval_days", "must be 1 to 365 days");
        }
        if self.rights.accepted_jurisdictions.is_empty() {
            return bad(
                "rights.accepted_jurisdictions",
                "must name at least one jurisdiction or \"*\"",
            );
        }
        for j in &self.rights.accepted_jurisdictions {
            if j != "*"
                && Jurisdiction::parse(j)
                    .map(|p| p.as_str() != j)
                    .unwrap_or(true)
            {
                return bad(
                    "rights.accepted_jurisdictions",
                    &format!("{j:?} is not an upper-case two-letter code or \"*\""),
                );
            }
        }
        if !(1..=1000).contains(&self.complaints.max_listings_per_complaint) {
            return bad("complaints.max_listings_per_complaint", "must be 1 to 1000");
        }
        if self.complaints.review_sla_business_days == 0 {
            return bad("complaints.review_sla_business_days", "must be at least 1");
        }
        if !(1..=10).contains(&self.counter_notice.rounds) {
            return bad("counter_notice.rounds", "must be 1 to 10");
        }
        if self.counter_notice.first_round_business_days == 0 {
            return bad(
                "counter_notice.first_round_business_days",
                "must be at least 1",
            );
        }
        if self.counter_notice.rounds > 1 && self.counter_notice.later_rounds_business_days == 0 {
            return bad(
                "counter_notice.later_rounds_business_days",
                "must be at least 1",
            );
        }
        if self.counter_notice.escalation_window_days == 0 {
            return bad(
                "counter_notice.escalation_window_days",
                "must be at least 1",
            );
        }
        if self.internal_complaints.window_months < 6 && self.dsa.is_some() {
            return bad(
                "internal_complaints.window_months",
                "DSA Art. 20 requires at least 6 months",
            );
        }
        let p = &self.penalties;
        if p.lapse_days == 0 {
            return bad("penalties.lapse_days", "must be at least 1");
        }
        if p.general_points_per_violation == 0
            || p.general_points_daily_cap < p.general_points_per_violation
        {
            return bad(
                "penalties.general_points_daily_cap",
                "must be at least general_points_per_violation (and that at least 1)",
            );
        }
        for (key, ladder) in [
            ("penalties.general_thresholds", &p.general_thresholds),
            ("penalties.serious_thresholds", &p.serious_thresholds),
        ] {
            if ladder.windows(2).any(|w| w[0].at >= w[1].at)
                || ladder.first().is_some_and(|t| t.at == 0)
            {
                return bad(key, "`at` must be positive and strictly ascending");
            }
            for t in ladder {
                match (t.action, t.days) {
                    (ThresholdAction::Freeze, Some(1..)) | (ThresholdAction::Close, None) => {}
                    (ThresholdAction::Freeze, _) => {
                        return bad(key, "a freeze needs `days` of at least 1");
                    }
                    (ThresholdAction::Close, Some(_)) => {
                        return bad(key, "a closure takes no `days`");
                    }
                }
            }
        }
        let n = &self.notifiers;
        for (key, v) in [
            (
                "notifiers.good_faith_min_success_rate",
                n.good_faith_min_success_rate,
            ),
            (
                "notifiers.good_faith_max_counter_success_rate",
                n.good_faith_max_counter_success_rate,
            ),
            ("notifiers.abuse_unfounded_rate", n.abuse_unfounded_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(key, "must be between 0 and 1");
            }
        }
        if n.abuse_suspension_days == 0 {
            return bad(
                "notifiers.abuse_suspension_days",
                "a suspension needs an end: at least 1 day",
            );
        }
        if n.window_days == 0 {
            return bad("notifiers.window_days", "must be at least 1");
        }
        if let Some(d) = &self.dsa
            && d.art23_suspension_days == 0
        {
            return bad(
                "dsa.art23_suspension_days",
                "a suspension needs an end: at least 1 day",
            );
        }
        Ok(())
    }
}

fn find<'a>(table: &'a [(&str, &str)], name: &str) -> Result<&'a str, PolicyError> {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| PolicyError::Unknown {
            name: name.to_owned(),
            known: table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        })
}

fn syntax(name: &str, e: impl std::fmt::Display) -> PolicyError {
    PolicyError::Syntax {
        name: name.to_owned(),
        message: e.to_string().trim().to_owned(),
    }
}

fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (k, v) in overlay {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_loads_alone_and_with_the_dsa_overlay() {
        for name in Policy::names() {
            let p = Policy::builtin(name).unwrap();
            assert_eq!(p.name, name);
            assert!(p.dsa.is_none());
            let eu = Policy::builtin(&format!("{name}+dsa")).unwrap();
            assert_eq!(eu.name, format!("{name}+dsa"));
            assert!(eu.dsa.as_ref().is_some_and(|d| d.statement_of_reasons));
            // The overlay changes only what it names.
            assert_eq!(eu.counter_notice, p.counter_notice);
            assert_eq!(eu.calendar, "EU");
        }
    }

    #[test]
    fn taobao_accepts_only_china_registered_rights() {
        let p = Policy::builtin("taobao").unwrap();
        assert!(p.accepts_jurisdiction(Jurisdiction::CN));
        assert!(!p.accepts_jurisdiction(Jurisdiction::parse("US").unwrap()));
        assert!(!p.accepts_jurisdiction(Jurisdiction::MADRID));
        assert!(p.rights.madrid_with_cn_extension);
        assert_eq!(p.complaints.review_sla_business_days, 3);
    }

    #[test]
    fn alibaba_com_and_aliexpress_accept_international_rights() {
        for name in ["alibaba_com", "aliexpress"] {
            let p = Policy::builtin(name).unwrap();
            assert!(
                p.accepts_jurisdiction(Jurisdiction::parse("US").unwrap()),
                "{name}"
            );
            assert!(p.accepts_jurisdiction(Jurisdiction::MADRID), "{name}");
        }
    }

    #[test]
    fn aliexpress_has_its_points_and_strikes() {
        let p = Policy::builtin("aliexpress").unwrap();
        assert_eq!(p.complaints.review_sla_business_days, 2);
        assert_eq!(p.penalties.general_points_daily_cap, 6);
        assert_eq!(p.penalties.serious_merge_window_days, 3);
        assert_eq!(p.penalties.lapse_days, 365);
        let s: Vec<_> = p
            .penalties
            .serious_thresholds
            .iter()
            .map(|t| (t.at, t.action, t.days))
            .collect();
        assert_eq!(
            s,
            [
                (1, ThresholdAction::Freeze, Some(1)),
                (2, ThresholdAction::Freeze, Some(7)),
                (3, ThresholdAction::Close, None)
            ]
        );
    }

    #[test]
    fn alibaba_com_bans_repeat_infringers_on_strikes() {
        let p = Policy::builtin("alibaba_com").unwrap();
        assert_eq!(
            p.penalties.serious_thresholds.last().map(|t| t.action),
            Some(ThresholdAction::Close)
        );
        assert_eq!(p.counter_notice.rounds, 3);
        assert_eq!(p.counter_notice.later_rounds_business_days, 27);
        assert_eq!(p.counter_notice.escalation_window_days, 15);
    }

    #[test]
    fn every_profile_carries_the_alibaba_batch_limit_and_three_month_window() {
        for name in Policy::names() {
            let p = Policy::builtin(name).unwrap();
            assert_eq!(p.complaints.max_listings_per_complaint, 300, "{name}");
            assert_eq!(p.notifiers.window_days, 90, "{name}");
            assert!(
                (p.notifiers.good_faith_min_success_rate - 0.90).abs() < 1e-9,
                "{name}"
            );
            assert!(
                (p.notifiers.good_faith_max_counter_success_rate - 0.05).abs() < 1e-9,
                "{name}"
            );
        }
    }

    #[test]
    fn listings_are_rescanned_weekly_unless_a_profile_says_otherwise() {
        for name in Policy::names() {
            let p = Policy::builtin(name).unwrap();
            assert_eq!(p.monitoring.rescan_interval_days, 7, "{name}");
        }
        // A profile written before the setting existed means weekly.
        let old =
            edited("[monitoring]", "[monitoring_gone]").replace("rescan_interval_days = 7", "");
        let old = old.replace("[monitoring_gone]", "");
        let p = Policy::from_toml("old", &old).unwrap();
        assert_eq!(p.monitoring, MonitoringPolicy::default());
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let e = Policy::builtin("ebay").unwrap_err().to_string();
        assert!(e.contains("taobao") && e.contains("aliexpress"), "{e}");
        assert!(Policy::builtin("taobao+gdpr").is_err());
    }

    fn edited(from: &str, to: &str) -> String {
        let src = BUILTIN[0].1;
        assert!(src.contains(from), "fixture drifted: {from}");
        src.replacen(from, to, 1)
    }

    #[test]
    fn a_bad_profile_names_the_key() {
        let cases = [
            ("rounds = 3", "rounds = 0", "counter_notice.rounds"),
            (
                "max_listings_per_complaint = 300",
                "max_listings_per_complaint = 0",
                "complaints.max_listings_per_complaint",
            ),
            (
                "good_faith_min_success_rate = 0.90",
                "good_faith_min_success_rate = 1.5",
                "notifiers.good_faith_min_success_rate",
            ),
            ("calendar = \"CN\"", "calendar = \"XX\"", "calendar"),
            (
                "{ at = 24, action = \"freeze\", days = 14 }",
                "{ at = 10, action = \"freeze\", days = 14 }",
                "penalties.general_thresholds",
            ),
            (
                "{ at = 48, action = \"close\" }",
                "{ at = 48, action = \"freeze\" }",
                "penalties.general_thresholds",
            ),
            (
                "rescan_interval_days = 7",
                "rescan_interval_days = 0",
                "monitoring.rescan_interval_days",
            ),
        ];
        for (from, to, key) in cases {
            let e = Policy::from_toml("edited", &edited(from, to))
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{key}: {e}");
        }
        let e = Policy::from_toml("edited", &edited("rounds = 3", "roundz = 3"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("roundz"), "{e}");
        let e = Policy::from_toml("edited", &edited("rounds = 3", "rounds = \"three\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rounds"), "{e}");
    }

    #[test]
    fn profile_round_trips_through_toml() {
        let p = Policy::builtin("aliexpress+dsa").unwrap();
        let again = Policy::from_toml(&p.name, &p.to_toml()).unwrap();
        assert_eq!(p, again);
    }
}
