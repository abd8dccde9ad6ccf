//! The keyword blocklist page: rights holders (and their agents) ask for a
//! brand term to be blocked for one of their verified rights and may lift
//! their own; admins approve or reject requests (a reason to reject) and
//! lift terms; reviewers see the list. Sellers are refused (403).
//!
//! Every write is the same use case as the API's (`POST /api/v1/block-terms`,
//! `POST /api/v1/block-terms/{id}/decision`); the domain decides who may
//! approve, so the buttons shown are only a convenience.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rightsguard_app::AppError;
use rightsguard_domain::actor::Role;
use rightsguard_domain::blocklist::{BlockTermCommand, BlockTermState};
use rightsguard_domain::ids::{BlockTermId, RightId};
use rightsguard_domain::rule::RuleError;
use serde::Deserialize;

use super::i18n::tr;
use super::pages::{Frame, PageResult, finish, for_the_form};
use super::{PageError, Web, render, see_other};
use crate::{ApiError, AppState};

/// One block term as the page shows it.
#[derive(Debug)]
pub struct TermRow {
    /// Its id.
    pub id: String,
    /// The term.
    pub term: String,
    /// The right it protects.
    pub right: String,
    /// The right's owner.
    pub owner: String,
    /// The classes it blocks in.
    pub classes: String,
    /// The state's key.
    pub state: &'static str,
    /// Why rejected or lifted.
    pub reason: String,
    /// When asked for.
    pub requested: String,
    /// The viewer may approve or reject it (admins, while requested).
    pub can_decide: bool,
    /// The viewer may lift it (admins and its owner, while requested or in force).
    pub can_lift: bool,
}

/// What was typed into a form that came back, and why.
#[derive(Debug, Default)]
pub struct BlockForm {
    /// The term the decision form was for (empty: the request form).
    pub target: String,
    /// The right chosen (request form).
    pub right: String,
    /// The term typed (request form).
    pub term: String,
    /// The reason typed (decision form).
    pub reason: String,
    /// Error beside the right.
    pub right_error: Option<String>,
    /// Error beside the term.
    pub term_error: Option<String>,
    /// Error beside the reason.
    pub reason_error: Option<String>,
}

#[derive(Template)]
#[template(path = "blocklist.html")]
struct BlocklistPage {
    f: Frame,
    terms: Vec<TermRow>,
    /// The viewer's verified rights (the request form; empty for staff).
    rights: Vec<String>,
    requester: bool,
    form: BlockForm,
    alert: Option<String>,
}

fn may_see(web: &Web) -> Result<Role, PageError> {
    let actor = web.actor()?;
    match actor.role {
        Role::RightsHolder | Role::Agent | Role::Reviewer | Role::Admin => Ok(actor.role),
        role => Err(PageError::App(
            RuleError::Forbidden {
                role,
                command: "see the blocklist",
            }
            .into(),
        )),
    }
}

async fn blocklist_view(
    web: &Web,
    s: &AppState,
    form: BlockForm,
    alert: Option<String>,
    status: StatusCode,
) -> PageResult {
    let role = may_see(web)?;
    let actor = web.actor()?;
    let requester = matches!(role, Role::RightsHolder | Role::Agent);
    let rights = super::pages::verified_right_ids(s, actor).await?;
    let mut terms: Vec<TermRow> = s
        .app
        .block_terms_visible_to(actor, rightsguard_app::MAX_PAGE)
        .await?
        .into_iter()
        .map(|t| {
            let (state, reason) = match &t.term.state {
                BlockTermState::Requested => ("bt_requested", String::new()),
                BlockTermState::Approved { .. } => ("bt_approved", String::new()),
                BlockTermState::Rejected { reason } => ("bt_rejected", reason.clone()),
                BlockTermState::Lifted { reason } => ("bt_lifted", reason.clone()),
            };
            let open = matches!(
                t.term.state,
                BlockTermState::Requested | BlockTermState::Approved { .. }
            );
            TermRow {
                id: t.id.to_string(),
                term: t.term.term.clone(),
                right: t.term.right.to_string(),
                owner: t.term.owner.to_string(),
                classes: t
                    .term
                    .classes
                    .iter()
                    .map(|c| c.get().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                state,
                reason,
                requested: t
                    .term
                    .requested_at
                    .strftime("%Y-%m-%d %H:%M UTC")
                    .to_string(),
                can_decide: role == Role::Admin
                    && matches!(t.term.state, BlockTermState::Requested),
                can_lift: open
                    && (role == Role::Admin || actor.acts_for_rights_holder(&t.term.owner)),
            }
        })
        .collect();
    // Requests awaiting an admin first, then the rest as the store gives them.
    terms.sort_by_key(|t| t.state != "bt_requested");
    Ok(render(
        status,
        &BlocklistPage {
            f: Frame::new(web, s, "blocklist"),
            terms,
            rights,
            requester,
            form,
            alert,
        },
    ))
}

pub(super) async fn blocklist_page(State(s): State<AppState>, web: Web) -> Response {
    let r = blocklist_view(&web, &s, BlockForm::default(), None, StatusCode::OK).await;
    finish(&web, &s, r)
}

/// The request form.
#[derive(Debug, Deserialize)]
pub(super) struct RequestForm {
    csrf: String,
    #[serde(default)]
    right: String,
    #[serde(default)]
    term: String,
}

/// A rights holder (or agent) asks for a term to be blocked.
pub(super) async fn request_block_term(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<RequestForm>,
) -> Response {
    let r: PageResult = async {
        web.check_write(&form.csrf)?;
        let lang = web.lang;
        let mut back = BlockForm {
            right: form.right.clone(),
            term: form.term.clone(),
            ..BlockForm::default()
        };
        let right = RightId::parse(form.right.trim()).ok();
        if right.is_none() {
            back.right_error = Some(tr(lang, "choose_one").to_owned());
        }
        if form.term.trim().is_empty() {
            back.term_error = Some(tr(lang, "reason_required").to_owned());
        }
        let Some(right) = right.filter(|_| back.term_error.is_none()) else {
            return blocklist_view(&web, &s, back, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        match s
            .app
            .request_block_term(web.actor()?, &right, &form.term)
            .await
        {
            Ok(_) => Ok(see_other("/blocklist")),
            Err(AppError::NotFound(_)) => {
                back.right_error = Some(tr(lang, "not_found").to_owned());
                blocklist_view(&web, &s, back, None, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            Err(e) if for_the_form(&e) => {
                let (status, _) = ApiError::app_status_and_code(&e);
                match e {
                    AppError::Rule(RuleError::OutOfScope(m) | RuleError::NotAParty(m)) => {
                        back.right_error = Some(m)
                    }
                    e => back.term_error = Some(e.to_string()),
                }
                blocklist_view(&web, &s, back, None, status).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&web, &s, r)
}

/// A decision form.
#[derive(Debug, Deserialize)]
pub(super) struct DecideForm {
    csrf: String,
    /// `approve`, `reject` or `lift`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// Approves, rejects or lifts a term.
pub(super) async fn decide_block_term(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<DecideForm>,
) -> Response {
    let r: PageResult = async {
        web.check_write(&form.csrf)?;
        may_see(&web)?;
        let lang = web.lang;
        let tid =
            BlockTermId::parse(&id).map_err(|_| AppError::NotFound(format!("block term {id}")))?;
        let mut back = BlockForm {
            target: tid.to_string(),
            reason: form.reason.clone(),
            ..BlockForm::default()
        };
        let reason = form.reason.trim().to_owned();
        let cmd = match form.action.as_str() {
            "approve" => Some(BlockTermCommand::Approve),
            "reject" => Some(BlockTermCommand::Reject { reason }),
            "lift" => Some(BlockTermCommand::Lift { reason }),
            _ => None,
        };
        let needs_reason = matches!(
            cmd,
            Some(BlockTermCommand::Reject { .. } | BlockTermCommand::Lift { .. })
        );
        if needs_reason && form.reason.trim().is_empty() {
            back.reason_error = Some(tr(lang, "reason_required").to_owned());
        }
        let Some(cmd) = cmd.filter(|_| back.reason_error.is_none()) else {
            if back.reason_error.is_none() {
                back.reason_error = Some(tr(lang, "choose_one").to_owned());
            }
            return blocklist_view(&web, &s, back, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        match s.app.decide_block_term(web.actor()?, &tid, &cmd).await {
            Ok(_) => Ok(see_other("/blocklist")),
            Err(e) if for_the_form(&e) => {
                let (status, _) = ApiError::app_status_and_code(&e);
                let msg = match e {
                    AppError::Rule(RuleError::WrongState { .. }) => {
                        tr(lang, "term_changed").to_owned()
                    }
                    e => e.to_string(),
                };
                blocklist_view(&web, &s, back, Some(msg), status).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&web, &s, r)
}
