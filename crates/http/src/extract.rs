//! Extractors: the authenticated caller and a JSON body whose errors name the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use rightsguard_app::Secret;
use rightsguard_domain::actor::Actor;
use rightsguard_domain::ids::OrgId;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::{AppState, BODY_LIMIT};

/// The header an agent names its principal in.
pub const ON_BEHALF_OF: &str = "x-on-behalf-of";

/// The caller, authenticated by `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(ApiError::MissingToken);
        };
        let bad = |reason: &str| ApiError::BadHeader {
            header: "Authorization",
            reason: reason.to_owned(),
        };
        let text = value.to_str().map_err(|_| bad("not ASCII"))?;
        let (scheme, token) = text
            .split_once(' ')
            .ok_or_else(|| bad("expected `Bearer <token>`"))?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(bad("expected `Bearer <token>`"));
        }
        let secret = Secret::new(token.trim());
        let principal = parts
            .headers
            .get(ON_BEHALF_OF)
            .map(|v| {
                let bad = |reason: String| ApiError::BadHeader {
                    header: "X-On-Behalf-Of",
                    reason,
                };
                let s = v.to_str().map_err(|_| bad("not ASCII".into()))?;
                OrgId::parse(s).map_err(|e| bad(e.to_string()))
            })
            .transpose()?;
        let actor = state.app.authenticate(&secret, principal.as_ref()).await?;
        Ok(Caller(actor))
    }
}

/// A JSON body. Unlike `axum::Json`, a value that does not parse is refused
/// with 422 and the path of the field to blame (`listings[0].seller`).
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge { limit: BODY_LIMIT }
            } else {
                ApiError::BodyUnreadable(e.body_text())
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses JSON, naming the field that fails.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        ApiError::InvalidBody {
            field: (path != ".").then_some(path),
            message: e.inner().to_string(),
        }
    })?;
    de.end().map_err(|e| ApiError::InvalidBody {
        field: None,
        message: e.to_string(),
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rightsguard_domain::complaint::SubmitComplaint;

    #[test]
    fn a_bad_field_is_named_by_its_path() {
        let body = r#"{"id":"C1","right":"r1","reason":"counterfeit","evidence":[],
            "listings":[{"id":"L1","seller":"bad seller","category_classes":[25]}]}"#;
        let Err(ApiError::InvalidBody { field, message }) =
            parse_json::<SubmitComplaint>(body.as_bytes())
        else {
            panic!("must fail");
        };
        assert_eq!(field.as_deref(), Some("listings[0].seller"));
        assert!(message.contains("organisation id"), "{message}");
    }

    #[test]
    fn trailing_garbage_is_refused() {
        assert!(parse_json::<serde_json::Value>(b"{} x").is_err());
    }
}
