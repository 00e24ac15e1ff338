//! The holder JSON API of API.md: registration, sessions (bearer tokens),
//! service terms, the holder's certificates, and the rare-character
//! search. Every `/api/v1/me/*` route takes an [`ApiHolder`], so it
//! answers 401 without a valid token and 403 `terms_not_accepted` until the
//! current terms are agreed; a certificate of somebody else is 404.

use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use zhengshu_domain::{Actor, NewAuditEvent};
use zhengshu_storage::SessionKind;

use crate::accounts::{self, Registration};
use crate::annotate::{self, AnnotationView};
use crate::error::ApiError;
use crate::rarechars::{self, RareCharsQuery};
use crate::session::{self, ApiHolder, ApiSignedIn, ClientAddr};
use crate::views::{self, CertificateDetail, CertificateSummary};
use crate::{AppState, openapi};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/holders", post(register))
        .route("/api/v1/sessions", post(log_in))
        .route("/api/v1/sessions/current", delete(log_out))
        .route("/api/v1/terms", get(terms))
        .route("/api/v1/terms/accept", post(accept_terms))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/certificates", get(certificates))
        .route("/api/v1/me/certificates/{id}", get(certificate))
        .route(
            "/api/v1/me/certificates/{id}/document",
            get(certificate_document),
        )
        .route(
            "/api/v1/me/certificates/{id}/annotations",
            get(annotations).post(apply),
        )
        .route("/api/v1/me/annotations/{id}", get(annotation))
        .route(
            "/api/v1/me/annotations/{id}/document",
            get(annotation_document),
        )
        .route("/api/v1/me/annotations/{id}/withdraw", post(withdraw))
        .route("/api/v1/rare-chars", get(rare_chars))
}

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
            .map_err(|_| ApiError::BadRequest)
    }
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
        (status = 409, description = "`username_taken`, or `id_document_taken`: an account exists for this ID document (log in with it; after a corrected name or ID number, register with the corrected data)", body = crate::error::ErrorBody),
        (status = 422, description = "`validation_failed`, one entry per refused field", body = crate::error::ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(mut r): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    r.password_confirmation = None;
    let id = accounts::register(&state, &r).await?;
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
        (status = 401, description = "`invalid_credentials`: the same for an unknown username and a wrong password", body = crate::error::ErrorBody),
        (status = 429, description = "`too_many_attempts`; `Retry-After` says when to try again", body = crate::error::ErrorBody),
    ))]
pub async fn log_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(c): ApiJson<Credentials>,
) -> Result<Json<Token>, ApiError> {
    let holder = accounts::log_in(&state, &c.username, &c.password, &client).await?;
    let token = session::open(&state, holder.id, SessionKind::Api).await?;
    let expires_at = (state.clock.now() + state.limits.session_idle).to_string();
    Ok(Json(Token { token, expires_at }))
}

/// Log out: the token stops working.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions",
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn log_out(
    State(state): State<AppState>,
    ApiSignedIn(s): ApiSignedIn,
) -> Result<StatusCode, ApiError> {
    session::close(&state, &s.token_hash).await?;
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
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, description = "No terms are published", body = crate::error::ErrorBody),
    ))]
pub async fn terms(
    State(state): State<AppState>,
    ApiSignedIn(s): ApiSignedIn,
) -> Result<Json<Terms>, ApiError> {
    let t = state
        .storage
        .current_terms()
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(Terms {
        version: t.version,
        accepted: s.holder.accepted_terms.is_some_and(|v| v >= t.version),
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
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, description = "No terms are published", body = crate::error::ErrorBody),
    ))]
pub async fn accept_terms(
    State(state): State<AppState>,
    ApiSignedIn(s): ApiSignedIn,
) -> Result<StatusCode, ApiError> {
    let t = state
        .storage
        .current_terms()
        .await?
        .ok_or(ApiError::NotFound)?;
    record_acceptance(&state, s.holder.id, t.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records agreement to terms `version`, with an audit event.
pub async fn record_acceptance(
    state: &AppState,
    holder: i64,
    version: i32,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    state.storage.accept_terms(holder, version, now).await?;
    state
        .storage
        .record_audit(
            &NewAuditEvent {
                actor: Actor::Holder(holder),
                action: "terms.accept".into(),
                subject: format!("holder:{holder}"),
                before: None,
                after: Some(serde_json::json!({ "version": version }).to_string()),
            },
            now,
        )
        .await?;
    Ok(())
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
}

/// The signed-in holder's account.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Me),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, description = "`terms_not_accepted`", body = crate::error::ErrorBody),
    ))]
pub async fn me(ApiHolder(h): ApiHolder) -> Json<Me> {
    Json(Me {
        id: h.id,
        username: h.username.as_str().to_owned(),
        name: h.name.to_string(),
        id_type: h.id_document.id_type.code().to_owned(),
        id_number: h.id_document.number.masked(),
    })
}

/// The holder's certificates: every certificate with the holder's ID type,
/// ID number and exact name, newest first.
#[utoipa::path(get, path = "/api/v1/me/certificates", tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<CertificateSummary>),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, description = "`terms_not_accepted`", body = crate::error::ErrorBody),
    ))]
pub async fn certificates(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
) -> Result<Json<Vec<CertificateSummary>>, ApiError> {
    let list = views::certificates_of(&state, &h).await?;
    Ok(Json(
        list.iter().map(|c| views::summary(&state, c)).collect(),
    ))
}

/// Every field of one of the holder's certificates (证书信息), the ID
/// number masked.
#[utoipa::path(get, path = "/api/v1/me/certificates/{id}", tag = "me",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The certificate's id")),
    responses(
        (status = 200, body = CertificateDetail),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, description = "`terms_not_accepted`", body = crate::error::ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = crate::error::ErrorBody),
    ))]
pub async fn certificate(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    Path(id): Path<i64>,
) -> Result<Json<CertificateDetail>, ApiError> {
    let c = views::own_certificate(&state, &h, id).await?;
    Ok(Json(views::detail(&state, &c)))
}

/// Find a rare character (生僻字) by pinyin, code point, or radical and
/// residual strokes; common characters first.
#[utoipa::path(get, path = "/api/v1/rare-chars", tag = "rare-chars",
    params(RareCharsQuery),
    responses(
        (status = 200, body = Vec<rarechars::CandidateSchema>),
        (status = 400, description = "`invalid_query`, with the reason as a field error", body = crate::error::ErrorBody),
    ))]
pub async fn rare_chars(
    Query(q): Query<RareCharsQuery>,
) -> Result<Json<Vec<zhengshu_rarechars::Candidate>>, ApiError> {
    Ok(Json(rarechars::search(&q)?))
}

/// An application for an annotation (加注).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Application {
    /// 使用场景, e.g. `self_use` (本人调用).
    #[serde(default)]
    pub scenario: String,
    /// 加注有效期 in days, 1 to 90 (the configured maximum, also the
    /// default).
    pub days: Option<i64>,
}

/// How a document is delivered.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Disposition {
    /// `inline` to view in the browser; otherwise an attachment.
    pub disposition: Option<String>,
}

impl Disposition {
    pub fn inline(&self) -> bool {
        self.disposition.as_deref() == Some("inline")
    }
}

/// Apply for an annotation (申请证书加注) of one of the holder's
/// certificates; the document is generated in the background.
#[utoipa::path(post, path = "/api/v1/me/certificates/{id}/annotations", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The certificate's id")),
    request_body = Application,
    responses(
        (status = 202, description = "Accepted: `state` is `generating`", body = AnnotationView),
        (status = 409, description = "`annotation_limit` (with `next_possible_on`), `annotation_not_needed` or `certificate_revoked`", body = crate::error::ErrorBody),
        (status = 422, description = "`validation_failed`: bad `days` or `scenario`", body = crate::error::ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = crate::error::ErrorBody),
    ))]
pub async fn apply(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    Path(id): Path<i64>,
    ApiJson(app): ApiJson<Application>,
) -> Result<(StatusCode, Json<AnnotationView>), ApiError> {
    let a = annotate::apply(&state, &h, id, &app.scenario, app.days).await?;
    Ok((StatusCode::ACCEPTED, Json(AnnotationView::of(&state, &a))))
}

/// The annotations of one of the holder's certificates, newest first.
#[utoipa::path(get, path = "/api/v1/me/certificates/{id}/annotations", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The certificate's id")),
    responses(
        (status = 200, body = Vec<AnnotationView>),
        (status = 404, description = "Absent, or not this holder's", body = crate::error::ErrorBody),
    ))]
pub async fn annotations(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    Path(id): Path<i64>,
) -> Result<Json<Vec<AnnotationView>>, ApiError> {
    let c = views::own_certificate(&state, &h, id).await?;
    let list = state.storage.annotations_of(c.id).await?;
    Ok(Json(
        list.iter()
            .filter(|a| a.holder_id == h.id)
            .map(|a| AnnotationView::of(&state, a))
            .collect(),
    ))
}

/// One annotation and its state as of today (China Standard Time).
#[utoipa::path(get, path = "/api/v1/me/annotations/{id}", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The annotation's id")),
    responses(
        (status = 200, body = AnnotationView),
        (status = 404, description = "Absent, or not this holder's", body = crate::error::ErrorBody),
    ))]
pub async fn annotation(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    Path(id): Path<i64>,
) -> Result<Json<AnnotationView>, ApiError> {
    let (a, _) = annotate::own(&state, &h, id).await?;
    Ok(Json(AnnotationView::of(&state, &a)))
}

/// The sealed, signed PDF of a ready annotation.
#[utoipa::path(get, path = "/api/v1/me/annotations/{id}/document", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The annotation's id"), Disposition),
    responses(
        (status = 200, description = "The PDF (`Content-Disposition` with the file name)", content_type = "application/pdf"),
        (status = 409, description = "`annotation_not_ready` or `annotation_failed`", body = crate::error::ErrorBody),
        (status = 410, description = "`annotation_expired` or `annotation_withdrawn`", body = crate::error::ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = crate::error::ErrorBody),
    ))]
pub async fn annotation_document(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    Path(id): Path<i64>,
    Query(d): Query<Disposition>,
) -> Result<axum::response::Response, ApiError> {
    annotate::annotation_document(&state, &h, id, d.inline()).await
}

/// Withdraw (撤回加注) a ready annotation before its validity ends; it
/// then verifies as withdrawn.
#[utoipa::path(post, path = "/api/v1/me/annotations/{id}/withdraw", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The annotation's id")),
    responses(
        (status = 204),
        (status = 409, description = "`annotation_not_withdrawable`: not ready, or no longer valid", body = crate::error::ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = crate::error::ErrorBody),
    ))]
pub async fn withdraw(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    annotate::withdraw(&state, &h, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The sealed, signed PDF of a certificate that needs no annotation.
#[utoipa::path(get, path = "/api/v1/me/certificates/{id}/document", tag = "me",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The certificate's id"), Disposition),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf"),
        (status = 409, description = "`annotation_required` or `certificate_revoked`", body = crate::error::ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = crate::error::ErrorBody),
    ))]
pub async fn certificate_document(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    Path(id): Path<i64>,
    Query(d): Query<Disposition>,
) -> Result<axum::response::Response, ApiError> {
    annotate::certificate_document(&state, &h, id, d.inline()).await
}
