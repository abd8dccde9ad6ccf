//! Staff pages that show how the platform itself stands: the DSA Art. 23
//! cases against abusive notifiers, and the business-day calendars with the
//! years that still lack holiday data (their deadlines are provisional).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rightsguard_domain::calendar::{BUILTIN_IDS, Calendar, DataPolicy};
use rightsguard_domain::notifier::AbuseCase;

use super::pages::{Frame, PageResult, finish};
use super::reports::require_staff;
use super::{Web, render};
use crate::AppState;

/// One Art. 23 case as the page shows it.
#[derive(Debug)]
pub struct CaseRow {
    /// The notifier.
    pub notifier: String,
    /// The state's key.
    pub state: &'static str,
    /// Since / until when, as shown.
    pub when: String,
    /// Whether a decision is awaited (the API route then decides it).
    pub awaiting: bool,
}

#[derive(Template)]
#[template(path = "notifier_cases.html")]
struct CasesPage {
    f: Frame,
    cases: Vec<CaseRow>,
}

fn when(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

pub(super) async fn notifier_cases_page(State(s): State<AppState>, web: Web) -> Response {
    let r: PageResult = async {
        require_staff(&web, "see the Art. 23 cases")?;
        let cases = s
            .app
            .open_notifier_cases(web.actor()?)
            .await?
            .into_iter()
            .map(|c| {
                let (state, at) = match c.case {
                    AbuseCase::Clear => ("case_clear", None),
                    AbuseCase::Warned { at } => ("case_warned", Some(at)),
                    AbuseCase::AwaitingDecision { since } => ("case_awaiting", Some(since)),
                    AbuseCase::Suspended { until } => ("case_suspended", Some(until)),
                };
                CaseRow {
                    notifier: c.notifier.to_string(),
                    state,
                    when: at.map(when).unwrap_or_default(),
                    awaiting: matches!(c.case, AbuseCase::AwaitingDecision { .. }),
                }
            })
            .collect();
        Ok(render(
            StatusCode::OK,
            &CasesPage {
                f: Frame::new(&web, &s, "notifier_cases"),
                cases,
            },
        ))
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
