//! Public verification (证书查验) over the API: by 查验码
//! (`GET /api/v1/verify/{code}`), by certificate number and holder name
//! (`POST /api/v1/verify`) and up to [`MAX_BATCH`] of either in one request
//! (`POST /api/v1/verify/batch`), each item counting against the rate
//! limits as one request. No holder session is needed or set. Every kind
//! of "nothing" answers the same `{"result": "not_found"}`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use zhengshu_domain::{Channel, Outcome};

use super::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::client::ClientAddr;
use crate::services::verification::{self, Checked, Query};
use crate::services::{Error, FieldError};
use crate::state::AppState;

/// The most items of one batch.
pub const MAX_BATCH: usize = 100;

/// A check by certificate number and holder name.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ByNumber {
    pub certificate_number: String,
    /// 持证人姓名 as on the certificate (a middle dot of any kind).
    pub name: String,
}

/// One item of a batch: `{code}` or `{certificate_number, name}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BatchItem {
    /// 查验码.
    pub code: Option<String>,
    pub certificate_number: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Batch {
    pub items: Vec<BatchItem>,
}

/// The annotation of a check by code.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct AnnotationResult {
    /// 加注编号.
    pub number: String,
    /// 使用场景, e.g. `self_use`.
    pub scenario: String,
    /// 加注有效期: first and last day (`YYYY-MM-DD`).
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    /// SHA-256 (hex) of the issued PDF.
    pub document_sha256: Option<String>,
}

/// What a verification answers. Only `result` when it is `not_found`.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct VerifyResult {
    /// `valid`, `expired`, `withdrawn`, `revoked` or `not_found`.
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    /// 证件号码, masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuing_body: Option<String>,
    /// With `expired`: the annotation's last valid day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_day: Option<String>,
    /// With `withdrawn`: the day of the withdrawal (China Standard Time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_on: Option<String>,
    /// With `revoked`: 撤销时间 (RFC 3339) and 撤销原因.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<AnnotationResult>,
}

impl From<Checked> for VerifyResult {
    fn from(c: Checked) -> Self {
        let s = c.shown;
        let (mut last_day, mut withdrawn_on, mut revoked_at, mut revocation_reason) =
            (None, None, None, None);
        match &c.outcome {
            Outcome::Expired { last_day: d } => last_day = Some(d.to_string()),
            Outcome::Withdrawn { on } => withdrawn_on = Some(on.to_string()),
            Outcome::Revoked(r) => {
                revoked_at = Some(r.at.to_string());
                revocation_reason = Some(r.reason.clone());
            }
            Outcome::Valid | Outcome::NotFound => {}
        }
        VerifyResult {
            result: c.outcome.code(),
            holder_name: s.as_ref().map(|s| s.holder_name.clone()),
            id_number: s.as_ref().map(|s| s.id_number_masked.clone()),
            qualification: s.as_ref().map(|s| s.qualification.clone()),
            certificate_number: s.as_ref().map(|s| s.certificate_number.clone()),
            issuing_body: s.as_ref().map(|s| s.issuing_body.clone()),
            last_day,
            withdrawn_on,
            revoked_at,
            revocation_reason,
            annotation: s.and_then(|s| s.annotation).map(|a| AnnotationResult {
                number: a.number,
                scenario: a.scenario,
                valid_from: a.valid_from.map(|d| d.to_string()),
                valid_until: a.valid_until.map(|d| d.to_string()),
                document_sha256: a.document_sha256,
            }),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResults {
    /// One result per item, in the order of the items.
    pub results: Vec<VerifyResult>,
}

/// Verify an annotated e-certificate by its 查验码 (what the QR code holds).
#[utoipa::path(get, path = "/api/v1/verify/{code}", tag = "verify",
    params(("code" = String, Path, description = "查验码")),
    responses(
        (status = 200, description = "`result` is `valid`, `expired`, `withdrawn`, `revoked` or `not_found` (also for a malformed code)", body = VerifyResult),
        (status = 400, description = "`bad_request`: a code that is not UTF-8 once percent-decoded", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
    ))]
pub async fn by_code(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiPath(code): ApiPath,
) -> Result<Json<VerifyResult>, ApiError> {
    verification::admit(&state, &client, 1)?;
    let checked = verification::by_code(&state, &client, Channel::Api, &code).await?;
    Ok(Json(checked.into()))
}

/// Verify a certificate by its number and the holder's name; a wrong name
/// answers exactly like an unknown number.
#[utoipa::path(post, path = "/api/v1/verify", tag = "verify",
    request_body = ByNumber,
    responses(
        (status = 200, description = "`result` is `valid`, `revoked` or `not_found`", body = VerifyResult),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
    ))]
pub async fn by_number(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(q): ApiJson<ByNumber>,
) -> Result<Json<VerifyResult>, ApiError> {
    verification::admit(&state, &client, 1)?;
    let checked = verification::by_number_and_name(
        &state,
        &client,
        Channel::Api,
        &q.certificate_number,
        &q.name,
    )
    .await?;
    Ok(Json(checked.into()))
}

/// Verify up to 100 items at once (employers); each item counts against
/// the rate limit as one request.
#[utoipa::path(post, path = "/api/v1/verify/batch", tag = "verify",
    request_body = Batch,
    responses(
        (status = 200, description = "The results in the order of the items", body = BatchResults),
        (status = 422, description = "`validation_failed`: more than 100 items, or an item with neither `code` nor `certificate_number` and `name`", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
    ))]
pub async fn batch(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(b): ApiJson<Batch>,
) -> Result<Json<BatchResults>, ApiError> {
    if b.items.len() > MAX_BATCH {
        return Err(Error::Validation(vec![
            FieldError::new("items", "verify_batch_size").with("max", MAX_BATCH),
        ])
        .into());
    }
    let queries = b
        .items
        .into_iter()
        .map(|i| match (i.code, i.certificate_number, i.name) {
            (Some(code), None, None) => Ok(Query::Code(code)),
            (None, Some(number), Some(name)) => Ok(Query::NumberAndName { number, name }),
            _ => Err(Error::Validation(vec![FieldError::new(
                "items",
                "verify_item",
            )])),
        })
        .collect::<Result<Vec<_>, _>>()?;
    // At most MAX_BATCH, so the count fits.
    let n = u32::try_from(queries.len()).unwrap_or(u32::MAX);
    verification::admit(&state, &client, n)?;
    let mut results = Vec::with_capacity(queries.len());
    for q in &queries {
        let checked = verification::check(&state, &client, Channel::Batch, q).await?;
        results.push(checked.into());
    }
    Ok(Json(BatchResults { results }))
}
