//! Staff pages that show how the platform itself stands: the DSA Art. 23
//! cases against abusive notifiers, with the human decision on a case that
//! awaits one (suspend for the policy's term, or dismiss, with a required
//! reason — the same use case as `POST /api/v1/notifiers/{org}/decision`),
//! and the business-day calendars with the years that still lack holiday
//! data (their deadlines are provisional).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rightsguard_app::AppError;
use rightsguard_domain::calendar::{BUILTIN_IDS, Calendar, DataPolicy};
use rightsguard_domain::ids::OrgId;
use rightsguard_domain::notifier::AbuseCase;
use rightsguard_domain::rule::RuleError;
use serde::Deserialize;

use super::i18n::tr;
use super::pages::{AccuracyView, Frame, PageResult, accuracy_view, finish, for_the_form};
use super::reports::require_staff;
use super::{Web, render, see_other};
use crate::{ApiError, AppState};

/// One Art. 23 case as the page shows it.
#[derive(Debug)]
pub struct CaseRow {
    /// The notifier.
    pub notifier: String,
    /// The state's key.
    pub state: &'static str,
    /// Since / until when, as shown.
    pub when: String,
    /// Whether a decision is awaited (the page then offers the decision).
    pub awaiting: bool,
    /// The notifier's accuracy record, for a case awaiting a decision.
    pub accuracy: Option<AccuracyView>,
}

/// What was typed into a decision form that came back, and why.
#[derive(Debug, Default)]
pub struct DecisionForm {
    /// The notifier the form was for.
    pub notifier: String,
    /// The reason typed.
    pub reason: String,
    /// The error beside the reason.
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "notifier_cases.html")]
struct CasesPage {
    f: Frame,
    cases: Vec<CaseRow>,
    suspension_days: u32,
    form: DecisionForm,
    alert: Option<String>,
}

fn when(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

async fn cases_view(
    web: &Web,
    s: &AppState,
    form: DecisionForm,
    alert: Option<String>,
    status: StatusCode,
) -> PageResult {
    require_staff(web, "see the Art. 23 cases")?;
    let actor = web.actor()?;
    let mut cases = Vec::new();
    for c in s.app.open_notifier_cases(actor).await? {
        let (state, at) = match c.case {
            AbuseCase::Clear => ("case_clear", None),
            AbuseCase::Warned { at } => ("case_warned", Some(at)),
            AbuseCase::AwaitingDecision { since } => ("case_awaiting", Some(since)),
            AbuseCase::Suspended { until } => ("case_suspended", Some(until)),
        };
        let awaiting = matches!(c.case, AbuseCase::AwaitingDecision { .. });
        let accuracy = if awaiting {
            Some(accuracy_view(s, actor, &c.notifier).await?)
        } else {
            None
        };
        cases.push(CaseRow {
            notifier: c.notifier.to_string(),
            state,
            when: at.map(when).unwrap_or_default(),
            awaiting,
            accuracy,
        });
    }
    let policy = s.app.policy();
    let suspension_days = policy
        .dsa
        .as_ref()
        .map_or(policy.notifiers.abuse_suspension_days, |d| {
            d.art23_suspension_days
        });
    Ok(render(
        status,
        &CasesPage {
            f: Frame::new(web, s, "notifier_cases"),
            cases,
            suspension_days,
            form,
            alert,
        },
    ))
}

pub(super) async fn notifier_cases_page(State(s): State<AppState>, web: Web) -> Response {
    let r = cases_view(&web, &s, DecisionForm::default(), None, StatusCode::OK).await;
    finish(&web, &s, r)
}

/// The decision form of a case awaiting one.
#[derive(Debug, Deserialize)]
pub(super) struct CaseDecisionForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    /// `suspend` or `dismiss`.
    #[serde(default)]
    action: String,
}

/// Decides a case awaiting decision: suspend for the policy's term or
/// dismiss, with a required reason (a missing reason comes back beside the
/// field; a case no longer awaiting comes back as a notice, 409).
pub(super) async fn decide_notifier_case(
    State(s): State<AppState>,
    web: Web,
    Path(org): Path<String>,
    axum::Form(form): axum::Form<CaseDecisionForm>,
) -> Response {
    let r: PageResult = async {
        web.check_write(&form.csrf)?;
        require_staff(&web, "decide an Art. 23 case")?;
        let lang = web.lang;
        let notifier =
            OrgId::parse(&org).map_err(|_| AppError::NotFound(format!("notifier {org}")))?;
        let back = |error: Option<String>| DecisionForm {
            notifier: notifier.to_string(),
            reason: form.reason.clone(),
            error,
        };
        let suspend = match form.action.as_str() {
            "suspend" => Some(true),
            "dismiss" => Some(false),
            _ => None,
        };
        let mistake = match suspend {
            None => Some("choose_one"),
            Some(_) if form.reason.trim().is_empty() => Some("reason_required"),
            Some(_) => None,
        };
        let (Some(suspend), None) = (suspend, mistake) else {
            let error = mistake.map(|k| tr(lang, k).to_owned());
            return cases_view(
                &web,
                &s,
                back(error),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        };
        match s
            .app
            .decide_notifier_case(web.actor()?, &notifier, suspend, &form.reason)
            .await
        {
            Ok(_) => Ok(see_other("/admin/notifiers")),
            Err(e) if for_the_form(&e) => {
                let (status, _) = ApiError::app_status_and_code(&e);
                let msg = match e {
                    AppError::Rule(RuleError::WrongState { .. }) => {
                        tr(lang, "case_not_awaiting").to_owned()
                    }
                    e => e.to_string(),
                };
                cases_view(&web, &s, back(None), Some(msg), status).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&web, &s, r)
}

/// One calendar as the page shows it.
#[derive(Debug)]
pub struct CalendarRow {
    /// Its id.
    pub id: String,
    /// Its time zone.
    pub time_zone: String,
    /// Whether it expects yearly holiday data.
    pub yearly: bool,
    /// Whether the policy uses it for deadlines.
    pub in_use: bool,
    /// (year, has data) from its first year of data to next year.
    pub years: Vec<(i16, bool)>,
}

#[derive(Template)]
#[template(path = "calendars.html")]
struct CalendarsPage {
    f: Frame,
    calendars: Vec<CalendarRow>,
}

/// The rows of the built-in calendars: for a calendar with yearly data,
/// every year from its first with data (or last year) through next year.
fn calendar_rows(this_year: i16, in_use: &str) -> Vec<CalendarRow> {
    BUILTIN_IDS
        .iter()
        .filter_map(|id| Calendar::builtin(id).ok())
        .map(|cal| {
            let yearly = cal.data_policy() == DataPolicy::YearlyData;
            let have = cal.years_with_data();
            let first = have
                .first()
                .copied()
                .unwrap_or(this_year)
                .min(this_year - 1);
            let years = if yearly {
                (first..=this_year + 1)
                    .map(|y| (y, !cal.is_provisional_year(y)))
                    .collect()
            } else {
                Vec::new()
            };
            CalendarRow {
                id: cal.id().to_owned(),
                time_zone: cal.time_zone_name().to_owned(),
                yearly,
                in_use: cal.id() == in_use,
                years,
            }
        })
        .collect()
}

pub(super) async fn calendars_page(State(s): State<AppState>, web: Web) -> Response {
    let r: PageResult = async {
        require_staff(&web, "see the calendars")?;
        let now = s.app.now().to_zoned(jiff::tz::TimeZone::UTC);
        let calendars = calendar_rows(now.year(), s.app.calendar().id());
        Ok(render(
            StatusCode::OK,
            &CalendarsPage {
                f: Frame::new(&web, &s, "calendars"),
                calendars,
            },
        ))
    }
    .await;
    finish(&web, &s, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_without_data_are_flagged_and_weekend_calendars_need_none() {
        let rows = calendar_rows(2026, "CN");
        let cn = rows.iter().find(|r| r.id == "CN").unwrap();
        assert!(cn.yearly && cn.in_use);
        assert_eq!(cn.years.first(), Some(&(2019, true)));
        assert!(cn.years.contains(&(2026, true)));
        assert_eq!(
            cn.years.last(),
            Some(&(2027, false)),
            "next year has no data yet"
        );
        let eu = rows.iter().find(|r| r.id == "EU").unwrap();
        assert!(!eu.yearly && eu.years.is_empty() && !eu.in_use);
    }
}
