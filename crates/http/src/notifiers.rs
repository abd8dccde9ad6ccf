//! Notifier accuracy and DSA Art. 23 cases over HTTP.

use axum::Json;
use axum::extract::{Path, State};
use rightsguard_domain::ids::OrgId;
use rightsguard_domain::notifier::{AbuseCase, Stats};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, JsonBody};

type ApiResult<T> = Result<T, ApiError>;

/// The routes of `/api/v1/notifiers`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_notifier))
        .routes(routes!(list_cases))
        .routes(routes!(decide_case))
        .routes(routes!(assess))
}

/// Figures over a set of notices.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsDoc {
    /// Listings notified.
    pub notices: u32,
    /// Of those, decided.
    pub decided: u32,
    /// Taken down (whether or not undone later).
    pub takedowns: u32,
    /// Takedowns undone by a counter-notice, an escalation outcome or an appeal.
    pub reversed: u32,
    /// Withdrawn after a counter-notice.
    pub withdrawn_after_counter_notice: u32,
    /// Withdrawn otherwise.
    pub withdrawn: u32,
    /// Rejected.
    pub rejected: u32,
    /// Rejected as manifestly unfounded.
    pub manifestly_unfounded: u32,
    /// Share of decided notices whose takedown held.
    pub success_rate: f64,
    /// Share of takedowns undone.
    pub counter_success_rate: f64,
    /// Share of decided notices found manifestly unfounded.
    pub unfounded_rate: f64,
}

impl From<&Stats> for StatsDoc {
    fn from(s: &Stats) -> Self {
        StatsDoc {
            notices: s.notices,
            decided: s.decided,
            takedowns: s.takedowns,
            reversed: s.reversed,
            withdrawn_after_counter_notice: s.withdrawn_after_counter_notice,
            withdrawn: s.withdrawn,
            rejected: s.rejected,
            manifestly_unfounded: s.manifestly_unfounded,
            success_rate: s.success_rate(),
            counter_success_rate: s.counter_success_rate(),
            unfounded_rate: s.unfounded_rate(),
        }
    }
}

/// Figures for one reason code.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonStatsDoc {
    /// The ground (`counterfeit`, `trademark_misuse`, `copyright`, `patent`, `design`).
    pub reason: String,
    /// Its figures.
    pub stats: StatsDoc,
}

/// An Art. 23 case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDoc {
    /// `clear`, `warned`, `awaiting_decision` or `suspended`.
    pub status: String,
    /// When warned, or since when awaiting a decision.
    pub since: Option<String>,
    /// End of the suspension.
    pub until: Option<String>,
}

impl From<&AbuseCase> for CaseDoc {
    fn from(c: &AbuseCase) -> Self {
        let (status, since, until) = match c {
            AbuseCase::Clear => ("clear", None, None),
            AbuseCase::Warned { at } => ("warned", Some(at.to_string()), None),
            AbuseCase::AwaitingDecision { since } => {
                ("awaiting_decision", Some(since.to_string()), None)
            }
            AbuseCase::Suspended { until } => ("suspended", None, Some(until.to_string())),
        };
        CaseDoc {
            status: status.to_owned(),
            since,
            until,
        }
    }
}

/// A notifier's accuracy over the policy's rolling window, and its Art. 23 case.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifierDoc {
    /// The notifier (complainant organisation).
    pub notifier: String,
    /// All grounds.
    pub overall: StatsDoc,
    /// Per ground used.
    pub by_reason: Vec<ReasonStatsDoc>,
    /// The Art. 23 case.
    pub case: CaseDoc,
}

/// One open Art. 23 case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseEntry {
    /// The notifier.
    pub notifier: String,
    /// The case.
    pub case: CaseDoc,
}

/// A decision on a case awaiting one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseDecision {
    /// Suspend the notifier for the policy's term (true) or dismiss the case (false).
    pub suspend: bool,
    /// Why (required; goes into the audit log and the statement to the notifier).
    pub reason: String,
}

fn notifier_id(s: &str) -> ApiResult<OrgId> {
    OrgId::parse(s)
        .map_err(|_| ApiError::App(rightsguard_app::AppError::NotFound(format!("notifier {s}"))))
}

/// A notifier's accuracy and Art. 23 case: staff, and the notifier itself
/// (or its agent); 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/notifiers/{org}", tag = "notifiers",
    params(("org" = String, Path, description = "Notifier (complainant) organisation id")),
    security(("bearer" = [])),
    responses((status = 200, description = "Figures over the rolling window and the case", body = NotifierDoc),
        (status = 404, body = ErrorBody)))]
async fn get_notifier(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
) -> ApiResult<Json<NotifierDoc>> {
    let r = s.app.notifier_record(&actor, &notifier_id(&org)?).await?;
    Ok(Json(NotifierDoc {
        notifier: r.notifier.to_string(),
        overall: (&r.accuracy.overall).into(),
        by_reason: r
            .accuracy
            .by_reason
            .iter()
            .map(|(reason, stats)| ReasonStatsDoc {
                reason: serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                stats: stats.into(),
            })
            .collect(),
        case: (&r.case).into(),
    }))
}

/// The Art. 23 cases that are not clear, awaiting a decision first: staff only.
#[utoipa::path(get, path = "/api/v1/notifiers/cases", tag = "notifiers",
    security(("bearer" = [])),
    responses((status = 200, description = "Open cases", body = [CaseEntry]),
        (status = 403, body = ErrorBody)))]
async fn list_cases(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<Vec<CaseEntry>>> {
    let cases = s.app.open_notifier_cases(&actor).await?;
    Ok(Json(
        cases
            .iter()
            .map(|c| CaseEntry {
                notifier: c.notifier.to_string(),
                case: (&c.case).into(),
            })
            .collect(),
    ))
}

/// Decides a case awaiting decision (staff): suspend for the policy's term,
/// or dismiss. A case in another state answers 409 `wrong_state`.
#[utoipa::path(post, path = "/api/v1/notifiers/{org}/decision", tag = "notifiers",
    params(("org" = String, Path, description = "Notifier organisation id")),
    request_body = CaseDecision, security(("bearer" = [])),
    responses((status = 200, description = "The case after the decision", body = CaseDoc),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn decide_case(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
    JsonBody(d): JsonBody<CaseDecision>,
) -> ApiResult<Json<CaseDoc>> {
    let org = notifier_id(&org)?;
    let case = s
        .app
        .decide_notifier_case(&actor, &org, d.suspend, &d.reason)
        .await?;
    Ok(Json((&case).into()))
}

/// Assesses a notifier now (staff): the step its fresh figures call for.
/// Assessment also runs by itself after every command on its complaints.
#[utoipa::path(post, path = "/api/v1/notifiers/{org}/assess", tag = "notifiers",
    params(("org" = String, Path, description = "Notifier organisation id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The case as it now stands", body = CaseDoc),
        (status = 403, body = ErrorBody)))]
async fn assess(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
) -> ApiResult<Json<CaseDoc>> {
    if !actor.is_staff() {
        return Err(ApiError::App(
            rightsguard_domain::rule::RuleError::Forbidden {
                role: actor.role,
                command: "assess a notifier",
            }
            .into(),
        ));
    }
    let case = s.app.assess_notifier(&notifier_id(&org)?).await?;
    Ok(Json((&case).into()))
}
