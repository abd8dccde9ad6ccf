//! An agent acting under several powers of attorney chooses, for this
//! session, the rights holder it acts for: the pages then list that
//! principal's rights and file complaints in its name (the choice is checked
//! against the powers of attorney on file on every request, as a token's
//! `on_behalf_of` is; a power withdrawn falls back to the first on file).

use axum::extract::State;
use axum::response::Response;
use rightsguard_app::AppError;
use rightsguard_domain::actor::Actor;
use rightsguard_domain::ids::OrgId;
use rightsguard_domain::rule::RuleError;
use serde::Deserialize;

use super::pages::{PageResult, finish};
use super::{K_PRINCIPAL, PageError, Web, see_other};
use crate::AppState;

/// The principals the picker offers: (id, chosen), empty unless the actor
/// is an agent with more than one.
pub(super) async fn picker(s: &AppState, actor: &Actor) -> Result<Vec<(String, bool)>, PageError> {
    let all = s.app.principals_of(actor).await?;
    if all.len() < 2 {
        return Ok(Vec::new());
    }
    Ok(all
        .iter()
        .map(|p| (p.to_string(), actor.principal.as_ref() == Some(p)))
        .collect())
}

/// The picker's form.
#[derive(Debug, Deserialize)]
pub(super) struct PrincipalForm {
    csrf: String,
    #[serde(default)]
    principal: String,
    /// Where to go back to (a path of this site).
    #[serde(default)]
    next: String,
}

/// Records the chosen principal in the session, if a power of attorney
/// from it is on file; anyone but an agent is refused (403).
pub(super) async fn choose_principal(
    State(s): State<AppState>,
    web: Web,
    axum::Form(form): axum::Form<PrincipalForm>,
) -> Response {
    let r: PageResult = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        let not_on_file = || {
            PageError::App(AppError::Rule(RuleError::NotAParty(format!(
                "no power of attorney from {} on file",
                form.principal.trim()
            ))))
        };
        if actor.role != rightsguard_domain::actor::Role::Agent {
            return Err(PageError::App(
                RuleError::Forbidden {
                    role: actor.role,
                    command: "choose a principal",
                }
                .into(),
            ));
        }
        let p = OrgId::parse(form.principal.trim()).map_err(|_| not_on_file())?;
        if !s.app.principals_of(actor).await?.contains(&p) {
            return Err(not_on_file());
        }
        web.session
            .insert(K_PRINCIPAL, p.as_str())
            .await
            .map_err(|e| {
                PageError::App(AppError::Store(rightsguard_store::StoreError::Corrupt(
                    e.to_string(),
                )))
            })?;
        // Only a path of this site: no open redirect.
        let next = if form.next.starts_with('/') && !form.next.starts_with("//") {
            form.next.as_str()
        } else {
            "/"
        };
        Ok(see_other(next))
    }
    .await;
    finish(&web, &s, r)
}
