//! Who is asking the API, and what they sent: a bearer token
//! (`Authorization: Bearer`, never a cookie, so a cross-site page cannot
//! act with a holder's credentials and no CSRF token is needed) makes an
//! [`ApiSignedIn`]; one whose holder agreed to the current terms an
//! [`ApiHolder`]; a JSON body of the expected shape an [`ApiJson`].

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use zhengshu_domain::Holder;
use zhengshu_storage::SessionKind;

use super::ApiError;
use crate::error::Error;
use crate::services::sessions::{self, Session};
use crate::services::terms;
use crate::state::AppState;

/// A JSON body; anything that is not JSON of the expected shape is 400
/// `bad_request` in the error format of the API.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| ApiJson(v))
            .map_err(|_| ApiError(Error::BadRequest))
    }
}

/// An API client with a valid bearer token, terms agreed or not.
#[derive(Debug, Clone)]
pub struct ApiSignedIn(pub Session);

impl FromRequestParts<AppState> for ApiSignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError(Error::Unauthenticated))?;
        sessions::find(state, token, SessionKind::Api)
            .await?
            .map(ApiSignedIn)
            .ok_or(ApiError(Error::Unauthenticated))
    }
}

/// An API client whose holder has agreed to the current terms; else 403
/// `terms_not_accepted`.
#[derive(Debug, Clone)]
pub struct ApiHolder(pub Holder);

impl FromRequestParts<AppState> for ApiHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiSignedIn(session) = ApiSignedIn::from_request_parts(parts, state).await?;
        if terms::pending(state, &session.holder).await? {
            return Err(ApiError(Error::TermsNotAccepted));
        }
        Ok(ApiHolder(session.holder))
    }
}
