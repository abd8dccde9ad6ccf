//! The one table from every error to an HTTP status and a stable code.
//!
//! Every failure a handler can meet is an [`ApiError`], and
//! [`ApiError::status_and_code`] maps each of them — down to each variant of
//! the rule, account and storage errors — in one exhaustive `match` with no
//! catch-all arm: a new error variant anywhere below does not compile until
//! someone decides its status here. The body is always
//! `{"error":{"code":"...","message":"..."}}` (plus `"field"` when a request
//! field or header is to blame). A 500 shows the client an opaque message and logs the
//! whole cause chain.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rightsguard_app::{AppError, AuthError, IdempotencyError};
use rightsguard_domain::account::AccountError;
use rightsguard_domain::rule::RuleError;
use rightsguard_store::StoreError;
use rightsguard_store::evidence::EvidenceError;
use serde::Serialize;
use utoipa::ToSchema;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use case failed.
    #[error(transparent)]
    App(#[from] AppError),
    /// The token did not authenticate, or its account may not act so.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// No `Authorization: Bearer` header.
    #[error("authentication required: send Authorization: Bearer <token>")]
    MissingToken,
    /// An `Authorization` or `X-On-Behalf-Of` header that cannot be read.
    #[error("malformed {header} header: {reason}")]
    BadHeader {
        /// The header.
        header: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The JSON body does not parse into the request type.
    #[error("{}{message}", field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default())]
    InvalidBody {
        /// The path of the offending field (`listings[0].seller`), if one is to blame.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The body is larger than the server accepts.
    #[error("request body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The body could not be read.
    #[error("unreadable request body: {0}")]
    BodyUnreadable(String),
    /// The caller wrote faster than its rate allows.
    #[error("too many writes: slow down and retry in {retry_after} s")]
    RateLimited {
        /// Seconds until the next write is allowed.
        retry_after: u64,
    },
    /// No such route (or a route switched off in this configuration, such as
    /// the manual clock under the system clock).
    #[error("no such resource: {0}")]
    NoRoute(String),
}

/// The JSON error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (e.g. `not_found`, `window_closed`).
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// The request field to blame, as a path (`listings[0].seller`), or the
    /// header (`Idempotency-Key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

const INTERNAL: (StatusCode, &str) = (StatusCode::INTERNAL_SERVER_ERROR, "internal");

fn rule(e: &RuleError) -> (StatusCode, &'static str) {
    match e {
        RuleError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
        RuleError::NotAParty(_) => (StatusCode::FORBIDDEN, "not_a_party"),
        RuleError::WrongState { .. } => (StatusCode::CONFLICT, "wrong_state"),
        RuleError::WindowClosed(_) => (StatusCode::CONFLICT, "window_closed"),
        RuleError::TooEarly(_) => (StatusCode::CONFLICT, "too_early"),
        RuleError::OutOfScope(_) => (StatusCode::UNPROCESSABLE_ENTITY, "out_of_scope"),
        RuleError::Limit(_) => (StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded"),
        RuleError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
    }
}

fn account(e: &AccountError) -> (StatusCode, &'static str) {
    match e {
        AccountError::RoleDoesNotFit { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "role_does_not_fit")
        }
        AccountError::WrongOrg { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_org"),
        AccountError::PrincipalRequired { .. } => (StatusCode::FORBIDDEN, "principal_required"),
        AccountError::NoPowerOfAttorney { .. } => (StatusCode::FORBIDDEN, "no_power_of_attorney"),
        AccountError::NotAnAgent => (StatusCode::FORBIDDEN, "not_an_agent"),
        AccountError::NotARightsHolder(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "not_a_rights_holder")
        }
    }
}

fn store(e: &StoreError) -> (StatusCode, &'static str) {
    match e {
        StoreError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        StoreError::Duplicate(_) => (StatusCode::CONFLICT, "duplicate"),
        StoreError::Db(_) if e.is_unavailable() => {
            (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable")
        }
        StoreError::UnsupportedUrl(_)
        | StoreError::Corrupt(_)
        | StoreError::Db(_)
        | StoreError::Migrate(_) => INTERNAL,
    }
}

fn evidence(e: &EvidenceError) -> (StatusCode, &'static str) {
    match e {
        EvidenceError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "evidence_too_large"),
        EvidenceError::Empty => (StatusCode::UNPROCESSABLE_ENTITY, "evidence_empty"),
        EvidenceError::TypeNotAccepted(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "evidence_type_not_accepted",
        ),
        EvidenceError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        EvidenceError::Corrupt(_) | EvidenceError::Io(_) => INTERNAL,
    }
}

fn idempotency(e: &IdempotencyError) -> (StatusCode, &'static str) {
    match e {
        IdempotencyError::KeyReused { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
        }
        IdempotencyError::InFlight { .. } => (StatusCode::CONFLICT, "idempotency_in_flight"),
    }
}

impl ApiError {
    /// The status and stable code of a use case's error (also used for the
    /// per-item outcomes of a batch).
    pub fn app_status_and_code(e: &AppError) -> (StatusCode, &'static str) {
        match e {
            AppError::Rule(e) => rule(e),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Busy(_) => (StatusCode::CONFLICT, "busy"),
            AppError::Account(e) => account(e),
            AppError::Store(e) => store(e),
            AppError::Evidence(e) => evidence(e),
            AppError::Image(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_image"),
            AppError::Dossier(_) => INTERNAL,
            AppError::Idempotency(e) => idempotency(e),
            AppError::NotifierSuspended { .. } => (StatusCode::FORBIDDEN, "notifier_suspended"),
        }
    }

    /// The status and stable code of this error: the one table.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::App(e) => Self::app_status_and_code(e),
            ApiError::Auth(AuthError::UnknownToken)
            | ApiError::Auth(AuthError::RevokedToken)
            | ApiError::Auth(AuthError::AccountGone) => (StatusCode::UNAUTHORIZED, "invalid_token"),
            ApiError::Auth(AuthError::WrongPassword) => {
                (StatusCode::UNAUTHORIZED, "invalid_credentials")
            }
            ApiError::Auth(AuthError::Account(e)) => account(e),
            ApiError::Auth(AuthError::Store(e)) => store(e),
            ApiError::MissingToken => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::BadHeader { .. } => (StatusCode::BAD_REQUEST, "bad_header"),
            ApiError::InvalidBody { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            ApiError::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            ApiError::BodyUnreadable(_) => (StatusCode::BAD_REQUEST, "bad_body"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "not_found"),
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::InvalidBody { field, .. } => field.clone(),
            ApiError::BadHeader { header, .. } => Some((*header).to_owned()),
            _ => None,
        }
    }
}

/// The error and its sources, outermost first, for the log.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if code == "database_unavailable" {
            tracing::warn!(error = %chain(&self), "database unavailable");
            "the database is unavailable; retry in a few seconds (with the same Idempotency-Key a retry never acts twice)".to_owned()
        } else if status.is_server_error() {
            tracing::error!(error = %chain(&self), "request failed");
            "internal error; it was logged".to_owned()
        } else {
            tracing::debug!(code, error = %self, "request refused");
            self.to_string()
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                field: self.field(),
            },
        };
        let mut resp = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::RateLimited { retry_after } = self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        if code == "database_unavailable" {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if code == "idempotency_in_flight" {
            // The first request is about to answer: retrying soon is right.
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rightsguard_domain::actor::Role;

    #[test]
    fn rule_codes_agree_with_the_rules() {
        let all = [
            RuleError::Forbidden {
                role: Role::Seller,
                command: "x",
            },
            RuleError::NotAParty("x".into()),
            RuleError::WrongState {
                command: "x",
                state: "y".into(),
            },
            RuleError::WindowClosed("x".into()),
            RuleError::TooEarly("x".into()),
            RuleError::OutOfScope("x".into()),
            RuleError::Limit("x".into()),
            RuleError::Invalid("x".into()),
        ];
        for e in all {
            let code = e.code();
            let (status, ours) = ApiError::App(AppError::Rule(e)).status_and_code();
            assert_eq!(ours, code);
            assert!(status.is_client_error());
        }
    }

    #[tokio::test]
    async fn server_errors_hide_their_cause() {
        let e = ApiError::App(AppError::Store(StoreError::Corrupt(
            "secret table layout".into(),
        )));
        let resp = e.into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(resp.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("secret"), "{body}");
    }

    #[tokio::test]
    async fn client_errors_explain_themselves() {
        let e = ApiError::InvalidBody {
            field: Some("listings[0].seller".into()),
            message: "invalid organisation id".into(),
        };
        let resp = e.into_response();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let bytes = axum::body::to_bytes(resp.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"]["field"], "listings[0].seller");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("organisation id")
        );
    }

    #[test]
    fn window_closed_and_not_a_party_have_their_statuses() {
        let w = ApiError::App(AppError::Rule(RuleError::WindowClosed("x".into())));
        assert_eq!(w.status_and_code(), (StatusCode::CONFLICT, "window_closed"));
        let n = ApiError::App(AppError::Rule(RuleError::NotAParty("x".into())));
        assert_eq!(n.status_and_code(), (StatusCode::FORBIDDEN, "not_a_party"));
        let t = ApiError::Auth(AuthError::RevokedToken);
        assert_eq!(t.status_and_code().0, StatusCode::UNAUTHORIZED);
    }
}
