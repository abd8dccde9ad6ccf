//! How the platform is set up and what it hands out: the policy profiles
//! (every built-in profile, and one profile's numbers, as `rightsguard
//! policy show` prints them), and the exports page with downloads under the
//! session (DSA statements of reasons, Lumen-style notices, the complaints
//! CSV, and the transparency report's own page) — the same use cases as the
//! API's export routes, which need a bearer token a browser does not have.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rightsguard_app::AppError;
use rightsguard_domain::actor::Role;
use rightsguard_domain::lumen::{self, DEFAULT_LISTING_URL};
use rightsguard_domain::policy::{OVERLAYS, Policy};
use rightsguard_domain::rule::RuleError;
use serde::Deserialize;

use super::pages::{Frame, PageResult, finish};
use super::reports::require_staff;
use super::{PageError, Web, render};
use crate::AppState;

/// One profile in the list.
#[derive(Debug)]
pub struct ProfileRow {
    /// Its name (`aliexpress`, `aliexpress+dsa`).
    pub name: String,
    /// Its version.
    pub version: String,
    /// What it is for.
    pub description: String,
    /// Whether this site runs on it.
    pub in_use: bool,
}

/// One number of a profile: its section, key and value as written in TOML.
#[derive(Debug)]
pub struct SettingRow {
    /// The key's path (`complaints.review_sla_business_days`).
    pub key: String,
    /// The value.
    pub value: String,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    f: Frame,
    profiles: Vec<ProfileRow>,
    /// The profile shown (name, its settings), if one is chosen.
    shown: Option<(String, Vec<SettingRow>)>,
    /// Why the asked-for profile is not shown.
    error: Option<String>,
}

/// Every built-in profile, and each with each overlay.
fn profile_names() -> Vec<String> {
    let mut out = Vec::new();
    for name in Policy::names() {
        out.push(name.to_owned());
        for (o, _) in OVERLAYS {
            out.push(format!("{name}+{o}"));
        }
    }
    out
}

/// A JSON value flattened to `a.b.c = value` rows, in the order written.
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<SettingRow>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(s) => out.push(SettingRow {
            key: prefix.to_owned(),
            value: s.clone(),
        }),
        other => out.push(SettingRow {
            key: prefix.to_owned(),
            value: other.to_string(),
        }),
    }
}

/// A profile's settings as rows (name, version and description are shown
/// in the list already).
fn settings_of(p: &Policy) -> Vec<SettingRow> {
    let mut rows = Vec::new();
    if let Ok(v) = serde_json::to_value(p) {
        flatten("", &v, &mut rows);
    }
    rows.retain(|r| !matches!(r.key.as_str(), "name" | "version" | "description"));
    rows
}

/// Which profile to show.
#[derive(Debug, Deserialize)]
pub(super) struct ProfileQuery {
    name: Option<String>,
}

pub(super) async fn policies_page(
    State(s): State<AppState>,
    web: Web,
    Query(q): Query<ProfileQuery>,
) -> Response {
    let r: PageResult = async {
        require_staff(&web, "see the policy profiles")?;
        let in_use = s.app.policy().name.clone();
        let profiles = profile_names()
            .into_iter()
            .filter_map(|n| Policy::builtin(&n).ok().map(|p| (n, p)))
            .map(|(name, p)| ProfileRow {
                in_use: name == in_use,
                name,
                version: p.version,
                description: p.description,
            })
            .collect();
        let mut error = None;
        let mut status = StatusCode::OK;
        let shown = match q.name.as_deref().map(str::trim) {
            None | Some("") => Some((in_use.clone(), settings_of(s.app.policy()))),
            Some(n) if n == in_use => Some((in_use.clone(), settings_of(s.app.policy()))),
            Some(n) => match Policy::builtin(n) {
                Ok(p) => Some((n.to_owned(), settings_of(&p))),
                Err(e) => {
                    error = Some(e.to_string());
                    status = StatusCode::NOT_FOUND;
                    None
                }
            },
        };
        Ok(render(
            status,
            &PoliciesPage {
                f: Frame::new(&web, &s, "policy_profiles"),
                profiles,
                shown,
                error,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage {
    f: Frame,
    staff: bool,
    /// Lumen notices and the complaints CSV (staff, rights holders, agents).
    notices: bool,
}

pub(super) async fn exports_page(State(s): State<AppState>, web: Web) -> Response {
    let r: PageResult = async {
        // Every signed-in role; what each gets follows the export use cases' rules.
        let role = web.actor()?.role;
        Ok(render(
            StatusCode::OK,
            &ExportsPage {
                f: Frame::new(&web, &s, "exports"),
                staff: matches!(role, Role::Reviewer | Role::Admin),
                notices: role != Role::Seller,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

/// An attachment of `body` named `name`.
fn attachment(name: &str, content_type: &'static str, body: String) -> Response {
    let mut resp = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The download format.
#[derive(Debug, Deserialize)]
pub(super) struct FormatQuery {
    format: Option<String>,
}

fn bad_format(format: &str) -> PageError {
    PageError::App(AppError::Rule(RuleError::Invalid(format!(
        "format {format:?} is not json or csv"
    ))))
}

/// Every DSA statement of reasons the viewer may see, as one JSON file.
pub(super) async fn download_statements(State(s): State<AppState>, web: Web) -> Response {
    let r: PageResult = async {
        let all = s.app.dsa_statements_all(web.actor()?).await?;
        let body = serde_json::to_string_pretty(&all).map_err(|e| {
            PageError::App(AppError::Store(rightsguard_store::StoreError::Corrupt(
                e.to_string(),
            )))
        })?;
        Ok(attachment("dsa-statements.json", "application/json", body))
    }
    .await;
    finish(&web, &s, r)
}

/// The Lumen-style notice records, JSON or CSV.
pub(super) async fn download_lumen(
    State(s): State<AppState>,
    web: Web,
    Query(q): Query<FormatQuery>,
) -> Response {
    let r: PageResult = async {
        let notices = s
            .app
            .lumen_notices(web.actor()?, DEFAULT_LISTING_URL)
            .await?;
        match q.format.as_deref() {
            Some("csv") => Ok(attachment(
                "lumen-notices.csv",
                "text/csv; charset=utf-8",
                lumen::notices_csv(&notices),
            )),
            None | Some("json") => {
                let mut resp = Json(notices).into_response();
                resp.headers_mut().insert(
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"lumen-notices.json\""),
                );
                Ok(resp)
            }
            Some(other) => Err(bad_format(other)),
        }
    }
    .await;
    finish(&web, &s, r)
}

/// The complaints the viewer may export, one CSV row per listing.
pub(super) async fn download_complaints(State(s): State<AppState>, web: Web) -> Response {
    let r: PageResult = async {
        let body = s.app.complaints_csv(web.actor()?).await?;
        Ok(attachment(
            "complaints.csv",
            "text/csv; charset=utf-8",
            body,
        ))
    }
    .await;
    finish(&web, &s, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_and_overlay_loads_and_shows_its_numbers() {
        let names = profile_names();
        assert!(names.contains(&"aliexpress+dsa".to_owned()), "{names:?}");
        for n in &names {
            let p = Policy::builtin(n).unwrap();
            let rows = settings_of(&p);
            assert!(
                rows.iter()
                    .any(|r| r.key == "complaints.review_sla_business_days"),
                "{n}"
            );
            assert!(!rows.iter().any(|r| r.key == "name"), "{n}");
        }
        let dsa = settings_of(&Policy::builtin("aliexpress+dsa").unwrap());
        assert!(
            dsa.iter().any(|r| r.key == "dsa.art23_suspension_days"),
            "the overlay's numbers show"
        );
    }
}
