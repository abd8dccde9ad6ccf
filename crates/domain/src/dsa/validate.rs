//! A validator for statements of reasons, written from the Transparency
//! Database's field reference (`dsa-statement-of-reasons.md`) and nothing
//! else: it reads the JSON a statement serialises to and knows every allowed
//! value from its own tables, so the mapping in [`super`] is checked by code
//! that does not share its enums.
//!
//! Every rule of the reference is here: required fields, enumerations,
//! conditional fields (an `…_OTHER` value needs its text; each decision ground
//! needs its two texts), lengths, date formats and ranges, the `puid` format,
//! and a batch of 1 to 100 statements. A refusal names the field.

use serde::Serialize;
use serde_json::{Map, Value};

/// One rule a statement breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaError {
    /// The field (`statements.3.puid` inside a batch).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

const VISIBILITY: &[&str] = &[
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
];
const MONETARY: &[&str] = &[
    "DECISION_MONETARY_SUSPENSION",
    "DECISION_MONETARY_TERMINATION",
    "DECISION_MONETARY_OTHER",
];
const PROVISION: &[&str] = &[
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
];
const ACCOUNT: &[&str] = &["DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"];
const ACCOUNT_TYPE: &[&str] = &["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"];
const GROUND: &[&str] = &[
    "DECISION_GROUND_ILLEGAL_CONTENT",
    "DECISION_GROUND_INCOMPATIBLE_CONTENT",
];
const YES_NO: &[&str] = &["Yes", "No"];
const CONTENT_TYPE: &[&str] = &[
    "CONTENT_TYPE_APP",
    "CONTENT_TYPE_AUDIO",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_VIDEO",
    "CONTENT_TYPE_OTHER",
];
const CATEGORY: &[&str] = &[
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
];
/// The 69 accepted keywords (`KEYWORD_DANGEROUS_TOYS` is defined upstream but refused).
const KEYWORD: &[&str] = &[
    "KEYWORD_ADULT_SEXUAL_MATERIAL",
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS",
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS",
    "KEYWORD_ANIMAL_HARM",
    "KEYWORD_BIOMETRIC_DATA_BREACH",
    "KEYWORD_BULLYING_AGAINST_GIRLS",
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
    "KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS",
    "KEYWORD_COORDINATED_HARM",
    "KEYWORD_COPYRIGHT_INFRINGEMENT",
    "KEYWORD_CYBER_BULLYING_INTIMIDATION",
    "KEYWORD_CYBER_HARASSMENT",
    "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN",
    "KEYWORD_CYBER_INCITEMENT",
    "KEYWORD_CYBER_STALKING",
    "KEYWORD_CYBER_STALKING_AGAINST_WOMEN",
    "KEYWORD_DATA_FALSIFICATION",
    "KEYWORD_DEFAMATION",
    "KEYWORD_DESIGN_INFRINGEMENT",
    "KEYWORD_DISCRIMINATION",
    "KEYWORD_FEMALE_GENDERED_DISINFORMATION",
    "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
    "KEYWORD_GEOGRAPHICAL_REQUIREMENTS",
    "KEYWORD_GOODS_SERVICES_NOT_PERMITTED",
    "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",
    "KEYWORD_HATE_SPEECH",
    "KEYWORD_HIDDEN_ADVERTISEMENT",
    "KEYWORD_HUMAN_EXPLOITATION",
    "KEYWORD_HUMAN_TRAFFICKING",
    "KEYWORD_ILLEGAL_ORGANIZATIONS",
    "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",
    "KEYWORD_INAUTHENTIC_ACCOUNTS",
    "KEYWORD_INAUTHENTIC_LISTINGS",
    "KEYWORD_INAUTHENTIC_USER_REVIEWS",
    "KEYWORD_INCITEMENT_AGAINST_WOMEN",
    "KEYWORD_INCITEMENT_VIOLENCE_HATRED",
    "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS",
    "KEYWORD_LANGUAGE_REQUIREMENTS",
    "KEYWORD_MISINFORMATION_DISINFORMATION",
    "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS",
    "KEYWORD_MISLEADING_INFO_GOODS_SERVICES",
    "KEYWORD_MISSING_PROCESSING_GROUND",
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
    "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE",
    "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
    "KEYWORD_NONCOMPLIANCE_PRICING",
    "KEYWORD_NUDITY",
    "KEYWORD_PATENT_INFRINGEMENT",
    "KEYWORD_PHISHING",
    "KEYWORD_PROHIBITED_PRODUCTS",
    "KEYWORD_PYRAMID_SCHEMES",
    "KEYWORD_RIGHT_TO_BE_FORGOTTEN",
    "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE",
    "KEYWORD_RISK_PUBLIC_HEALTH",
    "KEYWORD_SELF_MUTILATION",
    "KEYWORD_STALKING",
    "KEYWORD_SUICIDE",
    "KEYWORD_TERRORIST_CONTENT",
    "KEYWORD_TRADE_SECRET_INFRINGEMENT",
    "KEYWORD_TRADEMARK_INFRINGEMENT",
    "KEYWORD_TRAFFICKING_WOMEN_GIRLS",
    "KEYWORD_UNLAWFUL_SALE_ANIMALS",
    "KEYWORD_UNSAFE_CHALLENGES",
    "KEYWORD_UNSAFE_PRODUCTS",
    "KEYWORD_VIOLATION_EU_LAW",
    "KEYWORD_VIOLATION_NATIONAL_LAW",
    "KEYWORD_OTHER",
];
const TERRITORY: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];
/// ISO 639-1, upper case.
const LANGUAGE: &[&str] = &[
    "AA", "AB", "AE", "AF", "AK", "AM", "AN", "AR", "AS", "AV", "AY", "AZ", "BA", "BE", "BG", "BI",
    "BM", "BN", "BO", "BR", "BS", "CA", "CE", "CH", "CO", "CR", "CS", "CU", "CV", "CY", "DA", "DE",
    "DV", "DZ", "EE", "EL", "EN", "EO", "ES", "ET", "EU", "FA", "FF", "FI", "FJ", "FO", "FR", "FY",
    "GA", "GD", "GL", "GN", "GU", "GV", "HA", "HE", "HI", "HO", "HR", "HT", "HU", "HY", "HZ", "IA",
    "ID", "IE", "IG", "II", "IK", "IO", "IS", "IT", "IU", "JA", "JV", "KA", "KG", "KI", "KJ", "KK",
    "KL", "KM", "KN", "KO", "KR", "KS", "KU", "KV", "KW", "KY", "LA", "LB", "LG", "LI", "LN", "LO",
    "LT", "LU", "LV", "MG", "MH", "MI", "MK", "ML", "MN", "MR", "MS", "MT", "MY", "NA", "NB", "ND",
    "NE", "NG", "NL", "NN", "NO", "NR", "NV", "NY", "OC", "OJ", "OM", "OR", "OS", "PA", "PI", "PL",
    "PS", "PT", "QU", "RM", "RN", "RO", "RU", "RW", "SA", "SC", "SD", "SE", "SG", "SI", "SK", "SL",
    "SM", "SN", "SO", "SQ", "SR", "SS", "ST", "SU", "SV", "SW", "TA", "TE", "TG", "TH", "TI", "TK",
    "TL", "TN", "TO", "TR", "TS", "TT", "TW", "TY", "UG", "UK", "UR", "UZ", "VE", "VI", "VO", "WA",
    "WO", "XH", "YI", "YO", "ZA", "ZH", "ZU",
];
const SOURCE: &[&str] = &[
    "SOURCE_ARTICLE_16",
    "SOURCE_TRUSTED_FLAGGER",
    "SOURCE_TYPE_OTHER_NOTIFICATION",
    "SOURCE_VOLUNTARY",
];
const AUTOMATED_DECISION: &[&str] = &[
    "AUTOMATED_DECISION_FULLY",
    "AUTOMATED_DECISION_PARTIALLY",
    "AUTOMATED_DECISION_NOT_AUTOMATED",
];

/// The most statements in one batch.
pub const BATCH_MAX: usize = 100;

/// Checks one statement; every broken rule is listed, field by field.
pub fn validate_statement(v: &Value) -> Result<(), Vec<SchemaError>> {
    let mut c = Checker {
        prefix: String::new(),
        errors: Vec::new(),
    };
    c.statement(v);
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(c.errors)
    }
}

/// Checks a batch `{"statements": [...]}`: 1 to 100 statements, each valid,
/// no puid twice.
pub fn validate_batch(v: &Value) -> Result<(), Vec<SchemaError>> {
    let mut c = Checker {
        prefix: String::new(),
        errors: Vec::new(),
    };
    match v.get("statements").and_then(Value::as_array) {
        None => c.err("statements", "required: an array of 1 to 100 statements"),
        Some(list) if list.is_empty() || list.len() > BATCH_MAX => c.err(
            "statements",
            &format!("{} statements; a batch holds 1 to {BATCH_MAX}", list.len()),
        ),
        Some(list) => {
            let mut seen = std::collections::HashSet::new();
            for (i, s) in list.iter().enumerate() {
                c.prefix = format!("statements.{i}.");
                c.statement(s);
                if let Some(p) = s.get("puid").and_then(Value::as_str)
                    && !seen.insert(p)
                {
                    c.err("puid", "the same puid appears twice in the batch");
                }
            }
        }
    }
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(c.errors)
    }
}

struct Checker {
    prefix: String,
    errors: Vec<SchemaError>,
}

/// Present and not null (the database treats null as absent).
fn present<'a>(o: &'a Map<String, Value>, f: &str) -> Option<&'a Value> {
    o.get(f).filter(|v| !v.is_null())
}

impl Checker {
    fn err(&mut self, field: &str, message: &str) {
        self.errors.push(SchemaError {
            field: format!("{}{field}", self.prefix),
            message: message.to_owned(),
        });
    }

    fn statement(&mut self, v: &Value) {
        let Some(o) = v.as_object() else {
            self.err("", "a statement is a JSON object");
            return;
        };

        // The four decisions: at least one.
        let vis = self.enum_array(o, "decision_visibility", VISIBILITY, false);
        if vis.iter().any(|s| s == "DECISION_VISIBILITY_OTHER") {
            self.text(o, "decision_visibility_other", 500, true);
        }
        let monetary = self.enum_value(o, "decision_monetary", MONETARY, false);
        if monetary.as_deref() == Some("DECISION_MONETARY_OTHER") {
            self.text(o, "decision_monetary_other", 500, true);
        }
        let provision = self.enum_value(o, "decision_provision", PROVISION, false);
        let account = self.enum_value(o, "decision_account", ACCOUNT, false);
        if vis.is_empty() && monetary.is_none() && provision.is_none() && account.is_none() {
            self.err(
                "decision_visibility",
                "at least one of decision_visibility, decision_monetary, decision_provision, decision_account is required",
            );
        }
        self.enum_value(o, "account_type", ACCOUNT_TYPE, false);

        // The ground and its texts.
        match self
            .enum_value(o, "decision_ground", GROUND, true)
            .as_deref()
        {
            Some("DECISION_GROUND_ILLEGAL_CONTENT") => {
                self.text(o, "illegal_content_legal_ground", 500, true);
                self.text(o, "illegal_content_explanation", 2000, true);
            }
            Some("DECISION_GROUND_INCOMPATIBLE_CONTENT") => {
                self.text(o, "incompatible_content_ground", 500, true);
                self.text(o, "incompatible_content_explanation", 2000, true);
                self.enum_value(o, "incompatible_content_illegal", YES_NO, false);
            }
            _ => {}
        }
        if let Some(u) = self.text(o, "decision_ground_reference_url", 500, false)
            && !is_url(&u)
        {
            self.err("decision_ground_reference_url", "not an http(s) URL");
        }

        // Content and category.
        let types = self.enum_array(o, "content_type", CONTENT_TYPE, true);
        if types.iter().any(|s| s == "CONTENT_TYPE_OTHER") {
            self.text(o, "content_type_other", 500, true);
        }
        self.enum_value(o, "category", CATEGORY, true);
        self.enum_array(o, "category_addition", CATEGORY, false);
        self.enum_array(o, "category_specification", KEYWORD, false);
        self.text(o, "category_specification_other", 500, false);
        self.enum_array(o, "territorial_scope", TERRITORY, false);
        self.enum_value(o, "content_language", LANGUAGE, false);

        // Dates.
        self.date(
            o,
            "content_date",
            true,
            Some("2000-01-01"),
            Some("2038-01-01"),
        );
        self.date(o, "application_date", true, Some("2020-01-01"), None);
        for f in [
            "end_date_account_restriction",
            "end_date_monetary_restriction",
            "end_date_service_restriction",
            "end_date_visibility_restriction",
        ] {
            // Blank means indefinite.
            if o.get(f).and_then(Value::as_str) != Some("") {
                self.date(o, f, false, None, None);
            }
        }

        // Facts, source, automation.
        self.text(o, "decision_facts", 5000, true);
        let source = self.enum_value(o, "source_type", SOURCE, true);
        if source.as_deref() != Some("SOURCE_VOLUNTARY") {
            self.text(o, "source_identity", 500, false);
        }
        self.enum_value(o, "automated_detection", YES_NO, true);
        self.enum_value(o, "automated_decision", AUTOMATED_DECISION, true);

        // Identity.
        if let Some(p) = self.text(o, "puid", 500, true)
            && !p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            self.err("puid", "only letters, digits, '-' and '_' are allowed");
        }
        if let Some(id) = present(o, "content_id") {
            match id.as_object() {
                Some(m) if m.len() == 1 && m.contains_key("EAN-13") => {
                    if !m.get("EAN-13").and_then(Value::as_str).is_some_and(is_ean) {
                        self.err("content_id", "EAN-13 must be 13 digits");
                    }
                }
                _ => self.err("content_id", "must be {\"EAN-13\": \"<13 digits>\"}"),
            }
        }
        if let Some(e) = present(o, "content_id_ean")
            && !e.as_str().is_some_and(is_ean)
        {
            self.err("content_id_ean", "must be 13 digits");
        }
    }

    /// A string field of at most `max` characters; returns it when present.
    fn text(
        &mut self,
        o: &Map<String, Value>,
        f: &str,
        max: usize,
        required: bool,
    ) -> Option<String> {
        match present(o, f) {
            None => {
                if required {
                    self.err(f, "required");
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                if required {
                    self.err(f, "required (empty)");
                }
                None
            }
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if n > max {
                    self.err(f, &format!("{n} characters; at most {max}"));
                }
                Some(s.clone())
            }
            Some(_) => {
                self.err(f, "must be a string");
                None
            }
        }
    }

    /// A single value from `allowed`.
    fn enum_value(
        &mut self,
        o: &Map<String, Value>,
        f: &str,
        allowed: &[&str],
        required: bool,
    ) -> Option<String> {
        match present(o, f) {
            None => {
                if required {
                    self.err(f, "required");
                }
                None
            }
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s.clone()),
            Some(Value::String(s)) => {
                self.err(f, &format!("{s:?} is not an allowed value"));
                None
            }
            Some(_) => {
                self.err(f, "must be a string");
                None
            }
        }
    }

    /// An array of distinct values from `allowed`; `required` means non-empty.
    fn enum_array(
        &mut self,
        o: &Map<String, Value>,
        f: &str,
        allowed: &[&str],
        required: bool,
    ) -> Vec<String> {
        let Some(v) = present(o, f) else {
            if required {
                self.err(f, "required");
            }
            return Vec::new();
        };
        let Some(list) = v.as_array() else {
            self.err(f, "must be an array");
            return Vec::new();
        };
        if required && list.is_empty() {
            self.err(f, "must not be empty");
        }
        let mut out = Vec::new();
        for item in list {
            match item.as_str() {
                Some(s) if allowed.contains(&s) => {
                    if out.iter().any(|o| o == s) {
                        self.err(f, &format!("{s:?} is listed twice"));
                    } else {
                        out.push(s.to_owned());
                    }
                }
                Some(s) => self.err(f, &format!("{s:?} is not an allowed value")),
                None => self.err(f, "must hold strings"),
            }
        }
        out
    }

    /// A `YYYY-MM-DD` date, within `[min, max]` when given.
    fn date(
        &mut self,
        o: &Map<String, Value>,
        f: &str,
        required: bool,
        min: Option<&str>,
        max: Option<&str>,
    ) {
        let Some(v) = present(o, f) else {
            if required {
                self.err(f, "required");
            }
            return;
        };
        let Some(s) = v.as_str().filter(|s| is_date(s)) else {
            self.err(f, "must be a date YYYY-MM-DD");
            return;
        };
        // Same-format dates compare as text.
        if let Some(m) = min
            && s < m
        {
            self.err(f, &format!("{s} is before {m}"));
        }
        if let Some(m) = max
            && s > m
        {
            self.err(f, &format!("{s} is after {m}"));
        }
    }
}

fn is_ean(s: &str) -> bool {
    s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !r.chars().any(char::is_whitespace)
    })
}

/// A real calendar date written `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}
