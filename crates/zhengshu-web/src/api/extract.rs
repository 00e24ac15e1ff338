//! Who is asking the API, and what they sent: a bearer token
//! (`Authorization: Bearer`, never a cookie, so a cross-site page cannot
//! act with a holder's credentials and no CSRF token is needed) makes an
//! [`ApiSignedIn`]; one whose holder agreed to the current terms an
//! [`ApiHolder`]; a JSON body of the expected shape an [`ApiJson`]; a
//! query string of the expected shape an [`ApiQuery`]; a numeric id in the
//! path an [`ApiId`], any other path text an [`ApiPath`].

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use zhengshu_domain::Holder;
use zhengshu_storage::SessionKind;

use super::ApiError;
use crate::error::Error;
use crate::services::sessions::{self, Session};
use crate::services::{certificates, terms};
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
            .map_err(|e| {
                ApiError(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::PayloadTooLarge
                } else {
                    Error::BadRequest
                })
            })
    }
}

/// A query string; one that does not parse into `T` (a number that is not
/// one, a parameter twice) is 400 `bad_request` in the error format of the
/// API, not axum's plain-text answer.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|_| ApiError(Error::BadRequest))
    }
}

/// The one parameter of the path as text; one that is not UTF-8 once
/// percent-decoded is 400 `bad_request` in the API's format.
#[derive(Debug, Clone)]
pub struct ApiPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|_| ApiError(Error::BadRequest))
    }
}

/// A numeric id from the path; anything that is not one is 404
/// `not_found` in the API's format, like an id that does not exist.
#[derive(Debug, Clone, Copy)]
pub struct ApiId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for ApiId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError(Error::NotFound))?;
        raw.parse()
            .map(ApiId)
            .map_err(|_| ApiError(Error::NotFound))
    }
}

/// The token of an `Authorization: Bearer …` header; the scheme is
/// matched without regard to case (RFC 9110 §11.1).
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// An API client with a valid bearer token, terms agreed or not.
#[derive(Debug, Clone)]
pub struct ApiSignedIn(pub Session);

impl FromRequestParts<AppState> for ApiSignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError(Error::Unauthenticated))?;
        sessions::find(state, token, SessionKind::Api)
            .await?
            .map(ApiSignedIn)
            .ok_or(ApiError(Error::Unauthenticated))
    }
}

/// An API client whose holder has agreed to the current terms, identity
/// proven or not; else 403 `terms_not_accepted`.
#[derive(Debug, Clone)]
pub struct ApiAgreed(pub Holder);

impl FromRequestParts<AppState> for ApiAgreed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiSignedIn(session) = ApiSignedIn::from_request_parts(parts, state).await?;
        if terms::pending(state, &session.holder).await? {
            return Err(ApiError(Error::TermsNotAccepted));
        }
        Ok(ApiAgreed(session.holder))
    }
}

/// An API client whose holder has agreed to the current terms and then
/// proven the identity it registered with; else 403 `terms_not_accepted`,
/// then 403 `identity_not_proven`, in that order.
#[derive(Debug, Clone)]
pub struct ApiHolder(pub Holder);

impl FromRequestParts<AppState> for ApiHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiAgreed(holder) = ApiAgreed::from_request_parts(parts, state).await?;
        certificates::proven(&holder)?;
        Ok(ApiHolder(holder))
    }
}
