//! Proving the registered identity over the API (身份核验): where a code
//! can go and whether the 管理号 is accepted; sending a code; proving by
//! the code or by the 管理号. Until proven, `/api/v1/me/certificates` and
//! everything under it answers 403 `identity_not_proven`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use zhengshu_storage::CodePurpose;

use super::{ApiAgreed, ApiError, ApiJson, ErrorBody};
use crate::client::ClientAddr;
use crate::i18n::Lang;
use crate::services::identity;
use crate::state::AppState;

/// A recorded contact a code can be sent to, masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Channel {
    /// What to send as `channel` to `POST /api/v1/me/identity/codes`.
    pub channel: usize,
    /// `phone` or `email`.
    pub kind: String,
    /// `138****1234`, `z***@example.com`.
    pub masked: String,
}

/// The account's identity proof and the ways to prove it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdentityState {
    /// `none`, `management_number`, `code` or `federated`.
    pub proof: String,
    pub proven: bool,
    /// Another account proved this identity more strongly and took it
    /// (told once).
    pub taken: bool,
    pub channels: Vec<Channel>,
    /// Whether the 管理号 of a certificate is accepted (only where the
    /// issuing body recorded no contact).
    pub management_number: bool,
}

/// The account's identity proof and how it can be proven.
#[utoipa::path(get, path = "/api/v1/me/identity", tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, body = IdentityState),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`terms_not_accepted`", body = ErrorBody),
    ))]
pub async fn state(
    State(state): State<AppState>,
    ApiAgreed(h): ApiAgreed,
) -> Result<Json<IdentityState>, ApiError> {
    let ways = identity::ways(&state, &h).await?;
    let taken = identity::take_notice(&state, &h).await?.is_some();
    Ok(Json(IdentityState {
        proof: h.identity.code().to_owned(),
        proven: h.identity.is_proven(),
        taken,
        channels: ways
            .channels
            .into_iter()
            .enumerate()
            .map(|(i, c)| Channel {
                channel: i,
                kind: c.kind.to_owned(),
                masked: c.masked,
            })
            .collect(),
        management_number: ways.management_number,
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SendCode {
    /// The `channel` of one of `GET /api/v1/me/identity`'s channels.
    pub channel: usize,
}

/// Where the code went.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Sent {
    pub kind: String,
    pub masked: String,
    /// The code works this long.
    pub expires_in_secs: i64,
}

/// Sends a one-time code to a recorded contact.
#[utoipa::path(post, path = "/api/v1/me/identity/codes", tag = "identity",
    security(("bearer" = [])),
    request_body = SendCode,
    responses(
        (status = 202, body = Sent),
        (status = 403, description = "`terms_not_accepted`", body = ErrorBody),
        (status = 409, description = "`no_contact`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
        (status = 503, description = "`code_not_sent`", body = ErrorBody),
    ))]
pub async fn send_code(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(client): ClientAddr,
    ApiAgreed(h): ApiAgreed,
    ApiJson(body): ApiJson<SendCode>,
) -> Result<(StatusCode, Json<Sent>), ApiError> {
    let to = identity::send_code(
        &state,
        lang,
        &h,
        CodePurpose::Identity,
        body.channel,
        &client,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Sent {
            kind: to.kind.to_owned(),
            masked: to.masked,
            expires_in_secs: state.identity_limits.code_ttl.as_secs(),
        }),
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ProveByCode {
    /// The six digits sent.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ProveByManagementNumber {
    pub management_number: String,
}

/// The account's proof after proving.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProofAnswer {
    pub proof: String,
    /// The identity was taken from another account that held it more
    /// weakly.
    pub reclaimed: bool,
}

/// Proves the identity by the code sent.
#[utoipa::path(post, path = "/api/v1/me/identity/code", tag = "identity",
    security(("bearer" = [])),
    request_body = ProveByCode,
    responses(
        (status = 200, body = ProofAnswer),
        (status = 403, description = "`terms_not_accepted`", body = ErrorBody),
        (status = 409, description = "`identity_held`: another account proved it equally or more strongly", body = ErrorBody),
        (status = 422, description = "`code_wrong` or `code_expired`", body = ErrorBody),
    ))]
pub async fn prove_by_code(
    State(state): State<AppState>,
    ApiAgreed(h): ApiAgreed,
    ApiJson(body): ApiJson<ProveByCode>,
) -> Result<Json<ProofAnswer>, ApiError> {
    let p = identity::prove_by_code(&state, &h, &body.code).await?;
    Ok(Json(ProofAnswer {
        proof: p.proof.code().to_owned(),
        reclaimed: p.taken_from.is_some(),
    }))
}

/// Proves the identity by the 管理号 of one of its certificates (weak).
#[utoipa::path(post, path = "/api/v1/me/identity/management-number", tag = "identity",
    security(("bearer" = [])),
    request_body = ProveByManagementNumber,
    responses(
        (status = 200, body = ProofAnswer),
        (status = 403, description = "`terms_not_accepted`", body = ErrorBody),
        (status = 409, description = "`identity_held`", body = ErrorBody),
        (status = 422, description = "`management_number_wrong`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
    ))]
pub async fn prove_by_management_number(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiAgreed(h): ApiAgreed,
    ApiJson(body): ApiJson<ProveByManagementNumber>,
) -> Result<Json<ProofAnswer>, ApiError> {
    let p =
        identity::prove_by_management_number(&state, &h, &body.management_number, &client).await?;
    Ok(Json(ProofAnswer {
        proof: p.proof.code().to_owned(),
        reclaimed: p.taken_from.is_some(),
    }))
}
