//! Password recovery over the API (找回密码): a code to the recorded
//! contact, then a new password with it; every session of the account
//! ends.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::{ApiError, ApiJson, ErrorBody};
use crate::client::ClientAddr;
use crate::i18n::Lang;
use crate::services::recovery;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RecoveryRequest {
    pub username: String,
}

/// Sends a recovery code to the contact recorded for the account's proven
/// identity; 202 alike whether or not the account exists or has one.
#[utoipa::path(post, path = "/api/v1/recovery/codes", tag = "sessions",
    request_body = RecoveryRequest,
    responses(
        (status = 202, description = "Sent if the account exists and has a recorded contact"),
        (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
    ))]
pub async fn request(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(client): ClientAddr,
    ApiJson(r): ApiJson<RecoveryRequest>,
) -> Result<StatusCode, ApiError> {
    recovery::request(&state, lang, &r.username, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Reset {
    pub username: String,
    /// The six digits sent.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
    #[schema(format = Password, min_length = 8, max_length = 128)]
    pub password: String,
}

/// Sets a new password with the code; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/recovery", tag = "sessions",
    request_body = Reset,
    responses(
        (status = 204),
        (status = 422, description = "`code_wrong`, `code_expired` or `validation_failed`", body = ErrorBody),
    ))]
pub async fn reset(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<Reset>,
) -> Result<StatusCode, ApiError> {
    recovery::reset(&state, &r.username, &r.code, &r.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
