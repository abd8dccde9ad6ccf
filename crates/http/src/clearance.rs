//! Trademark clearance search over HTTP: `GET /api/v1/clearance`.

use axum::Json;
use axum::extract::{Query, State};
use rightsguard_app::ClearanceHit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;

/// The routes of clearance search.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(clearance_search))
}

/// What to search for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClearanceQuery {
    /// The proposed mark (1 to 200 characters).
    pub mark: String,
    /// Nice classes it would be used in, comma-separated (e.g. `9,25`);
    /// absent: every class.
    pub classes: Option<String>,
    /// How many conflicts at most, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// Why the proposed mark conflicts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// `identical`, `visual`, `folded`, `spelling`, `phonetic`, `pinyin`,
    /// `contains_word` or `contains_letters`.
    #[schema(example = "spelling")]
    pub kind: String,
    /// Edit distance, for `spelling`.
    pub distance: Option<u8>,
    /// The reason in words (English).
    pub description: String,
}

/// One registered right the proposed mark conflicts with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictView {
    /// The right.
    pub right: String,
    /// Its owner.
    pub owner: String,
    /// Its registered mark.
    pub mark: String,
    /// The mark or alias that conflicts.
    pub term: String,
    /// `CN`, `EU`, `US`, `WO`, ...
    pub jurisdiction: String,
    /// The office's registration number.
    pub registration_number: String,
    /// Nice classes shared with the search (all the right's, if none given).
    pub shared_classes: Vec<u16>,
    /// 0–1; the list is sorted by it, strongest first.
    pub score: f32,
    /// Every reason found, strongest first.
    pub reasons: Vec<ReasonView>,
}

impl From<ClearanceHit> for ConflictView {
    fn from(h: ClearanceHit) -> Self {
        Self {
            right: h.right.id.to_string(),
            owner: h.right.owner.to_string(),
            mark: h.mark,
            term: h.term,
            jurisdiction: h.right.jurisdiction.to_string(),
            registration_number: h.right.registration_number.as_str().to_owned(),
            shared_classes: h.shared_classes,
            score: h.score,
            reasons: h
                .reasons
                .into_iter()
                .map(|r| ReasonView {
                    kind: r.name().to_owned(),
                    distance: r.distance(),
                    description: r.describe(),
                })
                .collect(),
        }
    }
}

/// The result of a clearance search.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClearanceResult {
    /// The mark searched for.
    pub mark: String,
    /// The classes searched (empty: every class).
    pub classes: Vec<u16>,
    /// Conflicting verified rights, strongest first.
    pub conflicts: Vec<ConflictView>,
}

/// Parses `9,25` into classes; the error names the bad part.
pub fn parse_classes(s: Option<&str>) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for part in s
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.parse::<u16>() {
            Ok(c) if (1..=45).contains(&c) => out.push(c),
            _ => return Err(format!("{part:?} is not a Nice class (1 to 45)")),
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Trademark clearance: the verified rights a proposed mark would conflict
/// with — identical, confusable, leet or spaced, misspelt, sounding alike,
/// the same in pinyin, or containing one another — in overlapping Nice
/// classes, ranked, each with its reasons. Any signed-in caller may search.
#[utoipa::path(get, path = "/api/v1/clearance", tag = "rights", params(ClearanceQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "Conflicting rights, strongest first", body = ClearanceResult),
        (status = 422, body = ErrorBody)))]
async fn clearance_search(
    State(s): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<ClearanceQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ClearanceResult>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::InvalidBody {
        field: Some("query".into()),
        message: format!(
            "{} (mark: the proposed mark, classes: e.g. 9,25, limit: 1 to 100)",
            e.body_text()
        ),
    })?;
    let classes = parse_classes(q.classes.as_deref()).map_err(|message| ApiError::InvalidBody {
        field: Some("classes".into()),
        message,
    })?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::InvalidBody {
            field: Some("limit".into()),
            message: format!("limit {limit} is out of range: 1 to 100"),
        });
    }
    let hits = s
        .app
        .clearance_search(&actor, &q.mark, &classes, limit)
        .await?;
    Ok(Json(ClearanceResult {
        mark: q.mark,
        classes,
        conflicts: hits.into_iter().map(Into::into).collect(),
    }))
}
