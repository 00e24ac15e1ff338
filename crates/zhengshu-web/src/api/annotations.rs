//! Annotation (加注) over the API: applying (the body is parsed here into
//! the domain's `Application`), the annotations of a certificate, one
//! annotation's state as of today, its signed document, and withdrawal.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use zhengshu_domain::Annotation;

use super::{ApiError, ApiHolder, ApiId, ApiJson, ApiQuery, ErrorBody};
use crate::download::{Disposition, pdf_response};
use crate::services::annotations;
use crate::state::AppState;

/// An application for an annotation (加注).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Application {
    /// 使用场景, one of those the service offers (`self_use`, 本人调用, by
    /// default).
    #[serde(default)]
    pub scenario: String,
    /// 加注有效期 in days, from 1 to the configured maximum (90 by
    /// default), which is also the default.
    #[schema(minimum = 1)]
    pub days: Option<i64>,
}

/// Apply for an annotation (申请证书加注) of one of the holder's
/// certificates; the document is generated in the background.
#[utoipa::path(post, path = "/api/v1/me/certificates/{id}/annotations", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The certificate's id")),
    request_body = Application,
    responses(
        (status = 202, description = "Accepted: `state` is `generating`", body = AnnotationView, links(
            ("annotation" = (operation_id = "annotation", parameters(("id" = "$response.body#/id")),
                description = "The annotation's state")),
            ("annotation_document" = (operation_id = "annotation_document", parameters(("id" = "$response.body#/id")),
                description = "The annotation's document, once ready")),
            ("withdraw" = (operation_id = "withdraw", parameters(("id" = "$response.body#/id")),
                description = "Withdraw the annotation")),
        )),
        (status = 403, description = "`terms_not_accepted`, then `identity_not_proven`", body = ErrorBody),
        (status = 409, description = "`annotation_limit` (with `next_possible_on`), `annotation_not_needed` or `certificate_revoked`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad `days` or `scenario`", body = ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = ErrorBody),
    ))]
pub async fn apply(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    ApiId(id): ApiId,
    ApiJson(app): ApiJson<Application>,
) -> Result<(StatusCode, Json<AnnotationView>), ApiError> {
    // Parsed here, once: the service takes domain types. Days default to
    // the maximum.
    let days = app
        .days
        .unwrap_or(i64::from(state.policy.max_validity_days));
    let application = state
        .policy
        .check_application(&app.scenario, days)
        .map_err(|e| annotations::refused(&e))?;
    let a = annotations::apply(&state, &h, id, application).await?;
    Ok((StatusCode::ACCEPTED, Json(AnnotationView::of(&state, &a))))
}

/// The annotations of one of the holder's certificates, newest first.
#[utoipa::path(get, path = "/api/v1/me/certificates/{id}/annotations", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The certificate's id")),
    responses(
        (status = 200, body = Vec<AnnotationView>, links(
            ("annotation" = (operation_id = "annotation", parameters(("id" = "$response.body#/0/id")),
                description = "The newest annotation's state")),
            ("annotation_document" = (operation_id = "annotation_document", parameters(("id" = "$response.body#/0/id")),
                description = "The newest annotation's document")),
            ("withdraw" = (operation_id = "withdraw", parameters(("id" = "$response.body#/0/id")),
                description = "Withdraw the newest annotation")),
        )),
        (status = 403, description = "`terms_not_accepted`, then `identity_not_proven`", body = ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = ErrorBody),
    ))]
pub async fn annotations(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    ApiId(id): ApiId,
) -> Result<Json<Vec<AnnotationView>>, ApiError> {
    let list = annotations::of_certificate(&state, &h, id).await?;
    Ok(Json(
        list.iter().map(|a| AnnotationView::of(&state, a)).collect(),
    ))
}

/// One annotation and its state as of today (China Standard Time).
#[utoipa::path(get, path = "/api/v1/me/annotations/{id}", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The annotation's id")),
    responses(
        (status = 200, body = AnnotationView, links(
            ("annotation" = (operation_id = "annotation", parameters(("id" = "$response.body#/id")),
                description = "The annotation's state")),
            ("annotation_document" = (operation_id = "annotation_document", parameters(("id" = "$response.body#/id")),
                description = "The annotation's document, once ready")),
            ("withdraw" = (operation_id = "withdraw", parameters(("id" = "$response.body#/id")),
                description = "Withdraw the annotation")),
        )),
        (status = 403, description = "`terms_not_accepted`, then `identity_not_proven`", body = ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = ErrorBody),
    ))]
pub async fn annotation(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    ApiId(id): ApiId,
) -> Result<Json<AnnotationView>, ApiError> {
    let (a, _) = annotations::own(&state, &h, id).await?;
    Ok(Json(AnnotationView::of(&state, &a)))
}

/// The sealed, signed PDF of a ready annotation.
#[utoipa::path(get, path = "/api/v1/me/annotations/{id}/document", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The annotation's id"), Disposition),
    responses(
        (status = 200, description = "The PDF (`Content-Disposition` with the file name)", content_type = "application/pdf"),
        (status = 400, description = "`bad_request`: a query string that does not parse", body = ErrorBody),
        (status = 403, description = "`terms_not_accepted`, then `identity_not_proven`", body = ErrorBody),
        (status = 409, description = "`annotation_not_ready` or `annotation_failed`", body = ErrorBody),
        (status = 410, description = "`annotation_expired` or `annotation_withdrawn`", body = ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = ErrorBody),
    ))]
pub async fn annotation_document(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    ApiId(id): ApiId,
    ApiQuery(d): ApiQuery<Disposition>,
) -> Result<Response, ApiError> {
    let doc = annotations::annotation_document(&state, &h, id, d.inline()).await?;
    Ok(pdf_response(doc, d.inline()))
}

/// Withdraw (撤回加注) a ready annotation before its validity ends; it
/// then verifies as withdrawn.
#[utoipa::path(post, path = "/api/v1/me/annotations/{id}/withdraw", tag = "annotations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The annotation's id")),
    responses(
        (status = 204),
        (status = 403, description = "`terms_not_accepted`, then `identity_not_proven`", body = ErrorBody),
        (status = 409, description = "`annotation_not_withdrawable`: not ready, or no longer valid", body = ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = ErrorBody),
    ))]
pub async fn withdraw(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    ApiId(id): ApiId,
) -> Result<StatusCode, ApiError> {
    annotations::withdraw(&state, &h, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An annotation as the API answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnnotationView {
    pub id: i64,
    pub certificate_id: i64,
    /// 使用场景 code, e.g. `self_use`.
    pub scenario: String,
    /// `generating`, `ready`, `expired`, `withdrawn` or `failed`.
    pub state: String,
    /// 加注编号.
    pub number: String,
    /// Validity asked for, in days.
    pub days: u16,
    /// `YYYY-MM-DD`, China Standard Time.
    pub applied_on: String,
    /// First day of 加注有效期, once generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Last day (inclusive) of 加注有效期, once generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// 查验码 printed on the document and in its QR code, once generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_code: Option<String>,
}

impl AnnotationView {
    pub fn of(state: &AppState, a: &Annotation) -> Self {
        let generated = a.valid_from.is_some();
        AnnotationView {
            id: a.id,
            certificate_id: a.certificate_id,
            scenario: a.scenario.clone(),
            state: a.state_on(state.clock.today()).code().to_owned(),
            number: a.number.clone(),
            days: a.days,
            applied_on: a.applied_on.to_string(),
            valid_from: a.valid_from.map(|d| d.to_string()),
            valid_until: a.valid_until.map(|d| d.to_string()),
            verification_code: generated.then(|| a.verification_code.clone()),
        }
    }
}
