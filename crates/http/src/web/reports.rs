//! The transparency report page (staff): the report of a period as tables
//! and bar charts, with the same report as JSON or CSV to download.
//!
//! The downloads are served here under the session (the API's
//! `/api/v1/reports/transparency` takes a bearer token a browser does not
//! have); both call the same use case, `App::transparency_report`, which
//! decides who may read it.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan as _};
use rightsguard_domain::actor::Role;
use rightsguard_domain::rule::RuleError;
use rightsguard_domain::transparency::{Count, TransparencyReport};
use serde::Deserialize;

use super::chart;
use super::i18n::{Lang, tr};
use super::pages::{Frame, PageResult, finish};
use super::{PageError, Web, render};
use crate::AppState;

/// The default period, in days, ending today (inclusive).
const DEFAULT_DAYS: i64 = 30;

/// One block of figures: a heading, its rows and their chart.
#[derive(Debug)]
pub struct Block {
    /// The heading's key.
    pub title: &'static str,
    /// (label, value) rows.
    pub rows: Vec<(String, u64)>,
    /// The rows as an inline SVG bar chart.
    pub chart: String,
}

#[derive(Template)]
#[template(path = "transparency.html")]
struct TransparencyPage {
    f: Frame,
    from: String,
    to: String,
    from_error: Option<&'static str>,
    to_error: Option<&'static str>,
    /// The period as shown (the end is inclusive on the page).
    period: String,
    blocks: Vec<Block>,
    median_hours: Option<String>,
    decisions: u64,
    /// The query string of the downloads.
    query: String,
}

/// The period of the page: dates, the end inclusive.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PeriodQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

fn midnight(d: Date) -> Option<Timestamp> {
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// A parsed period: `[from, to + 1 day)` as instants.
#[derive(Debug)]
struct Period {
    from: Date,
    to: Date,
    start: Timestamp,
    end: Timestamp,
}

/// Parses the typed dates (defaults: the last [`DEFAULT_DAYS`] days up to
/// `today`), or the key of each field's error.
fn parse_period(
    q: &PeriodQuery,
    today: Date,
) -> Result<Period, (Option<&'static str>, Option<&'static str>)> {
    let field = |v: &Option<String>, default: Date| match v.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(s) => s.parse::<Date>().map_err(|_| "bad_date"),
    };
    let default_from = today
        .checked_sub((DEFAULT_DAYS - 1).days())
        .unwrap_or(today);
    let from = field(&q.from, default_from);
    let to = field(&q.to, today);
    let (from, to) = match (from, to) {
        (Ok(f), Ok(t)) => (f, t),
        (f, t) => return Err((f.err(), t.err())),
    };
    if to < from {
        return Err((None, Some("period_ends_before_it_starts")));
    }
    let start = midnight(from).ok_or((Some("bad_date"), None))?;
    let end = to
        .tomorrow()
        .ok()
        .and_then(midnight)
        .ok_or((None, Some("bad_date")))?;
    Ok(Period {
        from,
        to,
        start,
        end,
    })
}

/// Counts by key, each key translated as `prefix` + key (a key the table
/// lacks, e.g. a reason code added later, shows as itself).
fn counts(lang: Lang, prefix: &str, v: &[Count]) -> Vec<(String, u64)> {
    v.iter()
        .map(|c| {
            let label = super::i18n::tr_opt(lang, &format!("{prefix}{}", c.key))
                .map_or_else(|| c.key.clone(), str::to_owned);
            (label, c.count)
        })
        .collect()
}

fn named(lang: Lang, v: &[(&'static str, u64)]) -> Vec<(String, u64)> {
    v.iter()
        .map(|(k, n)| (tr(lang, k).to_owned(), *n))
        .collect()
}

/// The report as blocks of (label, value) rows, each with its chart.
fn blocks(lang: Lang, r: &TransparencyReport) -> Vec<Block> {
    let n = &r.notices;
    let a = &r.actions;
    let c = &r.counter_notices;
    let i = &r.internal_complaints;
    let s = &r.suspensions;
    let raw: Vec<(&'static str, Vec<(String, u64)>)> = vec![
        (
            "tr_notices",
            named(
                lang,
                &[("tr_complaints", n.complaints), ("tr_listings", n.listings)],
            ),
        ),
        ("tr_notices_by_type", counts(lang, "reason_", &n.by_type)),
        (
            "tr_notices_by_source",
            counts(lang, "source_", &n.by_source),
        ),
        (
            "tr_takedowns_by_ground",
            counts(lang, "reason_", &a.takedowns_by_ground),
        ),
        (
            "tr_other_actions",
            named(
                lang,
                &[
                    ("tr_blocklist_holds", a.blocklist_holds),
                    ("tr_rejected", a.rejected),
                    ("tr_manifestly_unfounded", a.manifestly_unfounded),
                    ("tr_out_of_scope", a.out_of_scope),
                    ("tr_withdrawn", a.withdrawn),
                ],
            ),
        ),
        (
            "tr_counter_notices",
            named(
                lang,
                &[
                    ("tr_filed", c.filed),
                    ("tr_forwarded", c.forwarded),
                    ("tr_rejected", c.rejected),
                    ("tr_escalated", c.escalated),
                    ("tr_reinstated", c.reinstated),
                ],
            ),
        ),
        (
            "tr_reinstated_by_reason",
            counts(lang, "reinstated_", &c.reinstated_by_reason),
        ),
        (
            "tr_internal_complaints",
            named(
                lang,
                &[
                    ("tr_filed_by_sellers", i.filed_by_sellers),
                    ("tr_filed_by_complainants", i.filed_by_complainants),
                    ("tr_decided", i.decided),
                    ("tr_reversed", i.reversed),
                    ("tr_confirmed", i.confirmed),
                ],
            ),
        ),
        (
            "tr_suspensions",
            named(
                lang,
                &[
                    ("tr_store_freezes", s.store_freezes),
                    ("tr_store_closures", s.store_closures),
                    ("tr_seller_warnings", s.seller_warnings),
                    ("tr_notifier_warnings", s.notifier_warnings),
                    ("tr_notifier_suspensions", s.notifier_suspensions),
                ],
            ),
        ),
    ];
    raw.into_iter()
        .enumerate()
        .map(|(k, (title, rows))| Block {
            title,
            chart: chart::bars(&format!("chart-{k}"), tr(lang, title), &rows),
            rows,
        })
        .collect()
}

/// Staff only (`command` names what was refused), checked before the input so another role gets its 403
/// whatever it typed (the use case checks again).
pub(super) fn require_staff(web: &Web, command: &'static str) -> Result<(), PageError> {
    let actor = web.actor()?;
    if matches!(actor.role, Role::Reviewer | Role::Admin) {
        Ok(())
    } else {
        Err(PageError::App(
            RuleError::Forbidden {
                role: actor.role,
                command,
            }
            .into(),
        ))
    }
}

pub(super) async fn transparency_page(
    State(s): State<AppState>,
    web: Web,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let r: PageResult = async {
        require_staff(&web, "read the transparency report")?;
        let actor = web.actor()?;
        let today = s.app.now().to_zoned(jiff::tz::TimeZone::UTC).date();
        let typed = |v: &Option<String>| v.clone().unwrap_or_default();
        let page = |from: String, to: String| TransparencyPage {
            f: Frame::new(&web, &s, "transparency_report"),
            from,
            to,
            from_error: None,
            to_error: None,
            period: String::new(),
            blocks: Vec::new(),
            median_hours: None,
            decisions: 0,
            query: String::new(),
        };
        let p = match parse_period(&q, today) {
            Ok(p) => p,
            Err((fe, te)) => {
                let mut pg = page(typed(&q.from), typed(&q.to));
                pg.from_error = fe.map(|k| tr(web.lang, k));
                pg.to_error = te.map(|k| tr(web.lang, k));
                return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &pg));
            }
        };
        let report = s.app.transparency_report(actor, p.start, p.end).await?;
        let mut pg = page(p.from.to_string(), p.to.to_string());
        pg.period = format!("{} – {}", p.from, p.to);
        pg.blocks = blocks(web.lang, &report);
        pg.decisions = report.time_to_act.decisions;
        pg.median_hours = report.time_to_act.median_hours.map(|h| format!("{h:.1}"));
        pg.query = format!("from={}&to={}", p.from, p.to);
        Ok(render(StatusCode::OK, &pg))
    }
    .await;
    finish(&web, &s, r)
}

/// The same report as a download: `?format=csv` (default) or `json`.
pub(super) async fn transparency_export(
    State(s): State<AppState>,
    web: Web,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let r: PageResult = async {
        require_staff(&web, "read the transparency report")?;
        let actor = web.actor()?;
        let today = s.app.now().to_zoned(jiff::tz::TimeZone::UTC).date();
        let bad = |field: &str| {
            PageError::Api(crate::ApiError::InvalidBody {
                field: Some(field.into()),
                message: "from and to: dates YYYY-MM-DD, to not before from".into(),
            })
        };
        let p = parse_period(&q, today)
            .map_err(|(fe, _)| bad(if fe.is_some() { "from" } else { "to" }))?;
        let report = s.app.transparency_report(actor, p.start, p.end).await?;
        let name = format!("transparency-{}-{}", p.from, p.to);
        let disposition = |ext: &str| {
            HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\""))
                .unwrap_or(HeaderValue::from_static("attachment"))
        };
        Ok(match q.format.as_deref() {
            Some("json") => {
                let mut resp = Json(report).into_response();
                resp.headers_mut()
                    .insert(header::CONTENT_DISPOSITION, disposition("json"));
                resp
            }
            None | Some("csv") => (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (header::CONTENT_DISPOSITION, disposition("csv")),
                ],
                report.to_csv(),
            )
                .into_response(),
            Some(_) => return Err(bad("format")),
        })
    }
    .await;
    finish(&web, &s, r)
}

/// How many weeks the rights holder's dashboard draws.
pub(super) const WEEKS: usize = 12;

/// The rights holder's weekly bars: (title key, SVG), one chart per series,
/// one bar per week labelled with the week's Monday.
pub(super) fn weekly_charts(
    lang: Lang,
    w: &rightsguard_app::web::WeeklyActivity,
) -> Vec<(&'static str, String)> {
    let series: [(&'static str, &[u64]); 3] = [
        ("weekly_complaints", &w.complaints),
        ("weekly_takedowns", &w.takedowns),
        ("weekly_findings", &w.findings),
    ];
    series
        .into_iter()
        .map(|(key, values)| {
            let rows: Vec<(String, u64)> = w
                .weeks
                .iter()
                .zip(values)
                .map(|(d, n)| (d.strftime("%m-%d").to_string(), *n))
                .collect();
            (key, chart::bars(&format!("w-{key}"), tr(lang, key), &rows))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: &str, to: &str) -> PeriodQuery {
        PeriodQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            format: None,
        }
    }

    #[test]
    fn the_period_includes_its_last_day_and_defaults_to_thirty_days() {
        let today: Date = "2026-11-29".parse().unwrap();
        let p = parse_period(&q("2026-01-01", "2026-01-31"), today).unwrap();
        assert_eq!(p.start.to_string(), "2026-01-01T00:00:00Z");
        assert_eq!(p.end.to_string(), "2026-02-01T00:00:00Z");
        let d = parse_period(&PeriodQuery::default(), today).unwrap();
        assert_eq!(
            (d.from.to_string(), d.to.to_string()),
            ("2026-10-31".into(), "2026-11-29".into())
        );
    }

    #[test]
    fn bad_dates_are_named_by_field() {
        let today: Date = "2026-11-29".parse().unwrap();
        let e = parse_period(&q("2026-13-01", "soon"), today).unwrap_err();
        assert_eq!(e, (Some("bad_date"), Some("bad_date")));
        let e = parse_period(&q("2026-02-01", "2026-01-01"), today).unwrap_err();
        assert_eq!(e, (None, Some("period_ends_before_it_starts")));
    }
}
