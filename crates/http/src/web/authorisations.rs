//! Brand authorisations on file: a seller sees the brands it is authorised
//! to sell (its listings with those brands' block terms are not held); a
//! rights holder (or its agent) sees what it granted and puts a new one on
//! file with its evidence (licence, contract) and an optional last day;
//! staff see all. The grant and the revocation are the API's use cases
//! (`POST /api/v1/authorisations`, `POST /api/v1/authorisations/{id}/revoke`):
//! the granting side and admins revoke a valid one here, with a reason.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rightsguard_app::AppError;
use rightsguard_domain::actor::Role;
use rightsguard_domain::ids::{AuthorisationId, OrgId, RightId};
use rightsguard_domain::rule::RuleError;

use super::i18n::tr;
use super::pages::{
    FieldErrors, Form, FormData, PageResult, app_message, fields, finish, read_multipart,
};
use super::{Web, render, see_other};
use crate::{ApiError, AppState};

/// One authorisation as the page shows it.
#[derive(Debug)]
pub struct AuthorisationRow {
    /// Its id.
    pub id: String,
    /// Whether the viewer may revoke it (the granting side or an admin, while
    /// it is not revoked).
    pub revocable: bool,
    /// The seller authorised.
    pub seller: String,
    /// The right (brand).
    pub right: String,
    /// Who granted it.
    pub owner: String,
    /// Last day valid, or empty for open-ended.
    pub valid_until: String,
    /// The state's key (`au_valid`, `au_expired`, `au_revoked`).
    pub state: &'static str,
    /// The evidence file's hash.
    pub evidence: String,
    /// Whether the viewer may open the evidence (the granting side, staff).
    pub evidence_link: bool,
    /// When it was put on file.
    pub created: String,
}

#[derive(Template)]
#[template(path = "authorisations.html")]
struct AuthorisationsPage {
    f: super::pages::Frame,
    rows: Vec<AuthorisationRow>,
    /// The viewer grants (rights holder, agent): its verified rights.
    rights: Vec<String>,
    grantor: bool,
    seller: bool,
    form: Form,
    revoke: RevokeForm,
}

/// A revocation sent back with its error.
#[derive(Debug, Default)]
struct RevokeForm {
    /// The authorisation it was for.
    target: String,
    reason: String,
    error: Option<String>,
}

/// The revoke form as posted.
#[derive(Debug, serde::Deserialize)]
pub(super) struct RevokePost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

const FIELDS: &[&str] = &["seller", "right", "valid_until", "evidence"];

async fn authorisations_view(
    web: &Web,
    s: &AppState,
    form: Form,
    revoke: RevokeForm,
    status: StatusCode,
) -> PageResult {
    let actor = web.actor()?;
    let grantor = matches!(actor.role, Role::RightsHolder | Role::Agent);
    let may_revoke = grantor || actor.role == Role::Admin;
    let rights = super::pages::verified_right_ids(s, actor).await?;
    let today = s.app.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let rows = s
        .app
        .authorisations_visible_to(actor)
        .await?
        .into_iter()
        .map(|a| {
            let au = &a.authorisation;
            let state = if au.revoked {
                "au_revoked"
            } else if au.valid_until.is_some_and(|d| d < today) {
                "au_expired"
            } else {
                "au_valid"
            };
            AuthorisationRow {
                id: a.id.to_string(),
                revocable: may_revoke && !au.revoked,
                seller: au.seller.to_string(),
                right: au.right.to_string(),
                owner: a.owner.to_string(),
                valid_until: au.valid_until.map(|d| d.to_string()).unwrap_or_default(),
                state,
                evidence: au.evidence.to_string(),
                evidence_link: actor.role != Role::Seller,
                created: a.created_at.strftime("%Y-%m-%d").to_string(),
            }
        })
        .collect();
    Ok(render(
        status,
        &AuthorisationsPage {
            f: super::pages::Frame::new(web, s, "authorisations"),
            rows,
            rights,
            grantor,
            seller: actor.role == Role::Seller,
            form,
            revoke,
        },
    ))
}

pub(super) async fn authorisations_page(State(s): State<AppState>, web: Web) -> Response {
    let r = authorisations_view(
        &web,
        &s,
        Form::default(),
        RevokeForm::default(),
        StatusCode::OK,
    )
    .await;
    finish(&web, &s, r)
}

/// Puts an authorisation on file: the seller, one of the viewer's verified
/// rights, the evidence file, an optional last day.
pub(super) async fn grant_authorisation(
    State(s): State<AppState>,
    web: Web,
    m: Multipart,
) -> Response {
    let r: PageResult = async {
        let data: FormData = read_multipart(m, s.evidence_limit).await?;
        web.check_write(&data.get("csrf"))?;
        let actor = web.actor()?;
        let lang = web.lang;
        let mut errors = FieldErrors::new();
        let seller = OrgId::parse(&data.get("seller")).ok();
        if seller.is_none() {
            errors.insert("seller", tr(lang, "seller_required").to_owned());
        }
        let right = RightId::parse(&data.get("right")).ok();
        if right.is_none() {
            errors.insert("right", tr(lang, "choose_one").to_owned());
        }
        let until = data.get("valid_until");
        let valid_until = if until.is_empty() {
            None
        } else {
            match until.parse::<jiff::civil::Date>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.insert("valid_until", tr(lang, "date_format").to_owned());
                    None
                }
            }
        };
        if data.files.is_empty() {
            errors.insert("evidence", tr(lang, "evidence_required").to_owned());
        }
        let back = |errors: &FieldErrors| Form(fields(&data, FIELDS, errors));
        let (Some(seller), Some(right), true) = (seller, right, errors.is_empty()) else {
            return authorisations_view(
                &web,
                &s,
                back(&errors),
                RevokeForm::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        };
        let mut evidence = None;
        for file in data.files.iter().take(1) {
            match s.app.upload_evidence(actor, file.clone(), None).await {
                Ok(u) => evidence = Some(u.record.sha256),
                Err(e) => {
                    errors.insert("evidence", app_message(lang, &e));
                }
            }
        }
        let Some(evidence) = evidence else {
            return authorisations_view(
                &web,
                &s,
                back(&errors),
                RevokeForm::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        };
        match s
            .app
            .authorise_seller(actor, &seller, &right, evidence, valid_until)
            .await
        {
            Ok(_) => Ok(see_other("/authorisations")),
            Err(e)
                if ApiError::app_status_and_code(&e).0.is_client_error()
                    && !matches!(e, AppError::Rule(RuleError::Forbidden { .. })) =>
            {
                let field = match &e {
                    AppError::NotFound(_) => "right",
                    AppError::Rule(RuleError::Invalid(m)) if m.contains("valid_until") => {
                        "valid_until"
                    }
                    AppError::Rule(RuleError::Invalid(_)) => "seller",
                    _ => "right",
                };
                errors.insert(field, app_message(lang, &e));
                authorisations_view(
                    &web,
                    &s,
                    back(&errors),
                    RevokeForm::default(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&web, &s, r)
}

/// Revokes an authorisation with a reason (the granting side, admins).
pub(super) async fn revoke_authorisation(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<RevokePost>,
) -> Response {
    let r: PageResult = async {
        web.check_write(&form.csrf)?;
        let actor = web.actor()?;
        let lang = web.lang;
        let aid = AuthorisationId::parse(&id)
            .map_err(|_| AppError::NotFound(format!("authorisation {id}")))?;
        let mut back = RevokeForm {
            target: aid.to_string(),
            reason: form.reason.clone(),
            error: None,
        };
        if form.reason.trim().is_empty() {
            back.error = Some(tr(lang, "reason_required").to_owned());
            return authorisations_view(
                &web,
                &s,
                Form::default(),
                back,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        match s.app.revoke_authorisation(actor, &aid, &form.reason).await {
            Ok(_) => Ok(see_other("/authorisations")),
            Err(e) if super::pages::for_the_form(&e) => {
                let status = ApiError::app_status_and_code(&e).0;
                back.error = Some(app_message(lang, &e));
                authorisations_view(&web, &s, Form::default(), back, status).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&web, &s, r)
}
