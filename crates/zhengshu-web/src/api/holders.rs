//! Accounts and sessions over the API: registration (用户注册), log-in
//! (登录) with a bearer token, log-out, the service terms (服务须知) and
//! their agreement, and the signed-in holder's account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use zhengshu_storage::SessionKind;

use super::{ApiAgreed, ApiError, ApiJson, ApiSignedIn, ErrorBody};
use crate::client::ClientAddr;
use crate::error::Error;
use crate::services::accounts;
use crate::services::sessions;
use crate::services::terms as service_terms;
use crate::state::AppState;

/// A registration (用户注册).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(example = json!({
    "name": "李𠀾明",
    "id_type": "resident_id",
    "id_number": "440106199003070036",
    "username": "li_yanming",
    "password": "Qiu-shui 1990 chang",
}))]
pub struct Registration {
    /// 持证人姓名, as on the certificate; rare characters welcome.
    pub name: String,
    /// `resident_id`, `passport`, `hk_macao_permit`, `taiwan_permit` or
    /// `foreign_permanent_resident_id`.
    #[schema(value_type = IdTypeCode)]
    pub id_type: String,
    pub id_number: String,
    /// 3–32 ASCII letters, digits, `_`, `.` or `-`, starting with a
    /// letter; compared without regard to case.
    #[schema(pattern = r"^[A-Za-z][A-Za-z0-9_.-]{2,31}$")]
    pub username: String,
    /// 8–128 characters with a letter and a digit, not guessable (not the
    /// username, not a common password).
    #[schema(format = Password, min_length = 8, max_length = 128)]
    pub password: String,
}

/// A kind of ID document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // Describes `Registration::id_type` for OpenAPI.
pub enum IdTypeCode {
    ResidentId,
    Passport,
    HkMacaoPermit,
    TaiwanPermit,
    ForeignPermanentResidentId,
}

/// The new account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
    pub username: String,
}

/// Register a holder account (用户注册).
#[utoipa::path(post, path = "/api/v1/holders", tag = "holders",
    request_body = Registration,
    responses(
        (status = 201, description = "Created", body = Created),
        (status = 409, description = "`username_taken`; never whether the ID document is registered: any number of accounts may claim it, and only the one that proves it sees the certificates", body = ErrorBody),
        (status = 422, description = "`validation_failed`, one entry per refused field", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: too many registrations from this address or in all; `Retry-After`", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(r): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let r = accounts::Registration {
        name: r.name,
        id_type: r.id_type,
        id_number: r.id_number,
        username: r.username,
        password: r.password,
        password_confirmation: None,
    };
    let id = accounts::register(&state, &r, &client).await?;
    let holder = state.storage.holder(id).await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id,
            username: holder.username.as_str().to_owned(),
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    #[schema(format = Password)]
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Token {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token ends unless used before (it is extended by use, up
    /// to a maximum lifetime).
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: String,
}

/// Log in (登录): a bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions",
    request_body = Credentials,
    responses(
        (status = 200, body = Token),
        (status = 401, description = "`invalid_credentials`: the same for an unknown username and a wrong password", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`; `Retry-After` says when to try again", body = ErrorBody),
    ))]
pub async fn log_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(c): ApiJson<Credentials>,
) -> Result<Json<Token>, ApiError> {
    let holder = accounts::log_in(&state, &c.username, &c.password, &client).await?;
    let token = sessions::open(&state, holder.id, SessionKind::Api).await?;
    let expires_at = (state.clock.now() + state.limits.session_idle).to_string();
    Ok(Json(Token { token, expires_at }))
}

/// Log out: the token stops working.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions",
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn log_out(
    State(state): State<AppState>,
    ApiSignedIn(s): ApiSignedIn,
) -> Result<StatusCode, ApiError> {
    sessions::close(&state, &s.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The current service terms.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Terms {
    pub version: i32,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub published_at: String,
    /// Whether this holder has agreed to this version.
    pub accepted: bool,
}

/// The current service terms (服务须知) and whether they are agreed.
#[utoipa::path(get, path = "/api/v1/terms", tag = "terms",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Terms),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No terms are published", body = ErrorBody),
    ))]
pub async fn terms(
    State(state): State<AppState>,
    ApiSignedIn(s): ApiSignedIn,
) -> Result<Json<Terms>, ApiError> {
    let t = service_terms::current(&state)
        .await?
        .ok_or(ApiError(Error::NotFound))?;
    Ok(Json(Terms {
        version: t.version,
        accepted: service_terms::accepted(&s.holder, &t),
        text: t.text,
        published_at: t.published_at.to_string(),
    }))
}

/// Agree (同意) to the current service terms; recorded with version and
/// time.
#[utoipa::path(post, path = "/api/v1/terms/accept", tag = "terms",
    security(("bearer" = [])),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No terms are published", body = ErrorBody),
    ))]
pub async fn accept_terms(
    State(state): State<AppState>,
    ApiSignedIn(s): ApiSignedIn,
) -> Result<StatusCode, ApiError> {
    let t = service_terms::current(&state)
        .await?
        .ok_or(ApiError(Error::NotFound))?;
    service_terms::accept(&state, s.holder.id, t.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in holder.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub id_type: String,
    /// Masked.
    pub id_number: String,
    /// How the account proved its identity: `none` (it sees no
    /// certificate yet), `management_number`, `code` or `federated`.
    pub identity_proof: String,
    /// Another account proved this identity more strongly and took it.
    pub identity_taken: bool,
}

/// The signed-in holder's account.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Me),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`terms_not_accepted`", body = ErrorBody),
    ))]
pub async fn me(ApiAgreed(h): ApiAgreed) -> Json<Me> {
    Json(Me {
        id: h.id,
        username: h.username.as_str().to_owned(),
        name: h.name.to_string(),
        id_type: h.id_document.id_type.code().to_owned(),
        id_number: h.id_document.number.masked(),
        identity_proof: h.identity.code().to_owned(),
        identity_taken: h.identity_taken_at.is_some(),
    })
}
