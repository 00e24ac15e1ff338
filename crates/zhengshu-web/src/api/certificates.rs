//! The holder's certificates over the API: the list, every field of one
//! (证书信息, the ID number masked), and the document of a certificate that
//! needs no annotation. A certificate of somebody else is 404, like one
//! that does not exist.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use zhengshu_domain::{Certificate, CertificateStatus};

use super::{ApiError, ApiHolder, ApiId, ApiQuery, ErrorBody};
use crate::download::{Disposition, pdf_response};
use crate::services::{annotations, certificates};
use crate::state::AppState;

/// The holder's certificates: every certificate with the holder's ID type,
/// ID number and exact name, newest first.
#[utoipa::path(get, path = "/api/v1/me/certificates", tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<CertificateSummary>, links(
            ("certificate" = (operation_id = "certificate", parameters(("id" = "$response.body#/0/id")),
                description = "The first certificate's fields")),
            ("apply" = (operation_id = "apply", parameters(("id" = "$response.body#/0/id")),
                description = "Apply for an annotation of the first certificate")),
            ("annotations" = (operation_id = "annotations", parameters(("id" = "$response.body#/0/id")),
                description = "The first certificate's annotations")),
            ("certificate_document" = (operation_id = "certificate_document", parameters(("id" = "$response.body#/0/id")),
                description = "The first certificate's document")),
        )),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`terms_not_accepted`, then `identity_not_proven`", body = ErrorBody),
    ))]
pub async fn certificates(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
) -> Result<Json<Vec<CertificateSummary>>, ApiError> {
    let list = certificates::of(&state, &h).await?;
    Ok(Json(list.iter().map(|c| summary(&state, c)).collect()))
}

/// Every field of one of the holder's certificates (证书信息), the ID
/// number masked.
#[utoipa::path(get, path = "/api/v1/me/certificates/{id}", tag = "me",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The certificate's id")),
    responses(
        (status = 200, body = CertificateDetail, links(
            ("apply" = (operation_id = "apply", parameters(("id" = "$response.body#/id")),
                description = "Apply for an annotation of this certificate")),
            ("annotations" = (operation_id = "annotations", parameters(("id" = "$response.body#/id")),
                description = "This certificate's annotations")),
            ("certificate_document" = (operation_id = "certificate_document", parameters(("id" = "$response.body#/id")),
                description = "This certificate's document")),
        )),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`terms_not_accepted`, then `identity_not_proven`", body = ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = ErrorBody),
    ))]
pub async fn certificate(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    ApiId(id): ApiId,
) -> Result<Json<CertificateDetail>, ApiError> {
    let c = certificates::own(&state, &h, id).await?;
    Ok(Json(detail(&state, &c)))
}

/// The sealed, signed PDF of a certificate that needs no annotation.
#[utoipa::path(get, path = "/api/v1/me/certificates/{id}/document", tag = "me",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The certificate's id"), Disposition),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf"),
        (status = 400, description = "`bad_request`: a query string that does not parse", body = ErrorBody),
        (status = 403, description = "`terms_not_accepted`, then `identity_not_proven`", body = ErrorBody),
        (status = 409, description = "`annotation_required` or `certificate_revoked`", body = ErrorBody),
        (status = 404, description = "Absent, or not this holder's", body = ErrorBody),
    ))]
pub async fn certificate_document(
    State(state): State<AppState>,
    ApiHolder(h): ApiHolder,
    ApiId(id): ApiId,
    ApiQuery(d): ApiQuery<Disposition>,
) -> Result<axum::response::Response, ApiError> {
    let doc = annotations::certificate_document(&state, &h, id, d.inline()).await?;
    Ok(pdf_response(doc, d.inline()))
}

/// `valid` or `revoked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Revoked,
}

/// One certificate in the list (`GET /api/v1/me/certificates`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertificateSummary {
    pub id: i64,
    /// 证书编号
    pub number: String,
    /// 资格名称
    pub qualification: String,
    /// 签发日期, `YYYY-MM-DD`
    #[schema(value_type = String, format = Date)]
    pub issued_on: String,
    /// 发证机构
    pub issuing_body: String,
    pub status: Status,
    /// 撤销时间 (RFC 3339), when revoked
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<String>,
    /// 撤销原因, when revoked
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    /// Must be annotated (加注) before it can be viewed or downloaded.
    pub needs_annotation: bool,
}

/// Every field of a certificate (`GET /api/v1/me/certificates/{id}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertificateDetail {
    #[serde(flatten)]
    pub summary: CertificateSummary,
    /// 管理号
    pub management_number: Option<String>,
    /// 持证人姓名
    pub name: String,
    /// `male` or `female`
    pub sex: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<String>,
    pub id_type: String,
    /// Masked, e.g. `**************002X`.
    pub id_number: String,
    pub qualification_code: String,
    /// 类别
    pub category: Option<String>,
    /// 专业
    pub specialty: Option<String>,
    /// 级别
    pub level: Option<String>,
    /// 批准日期
    #[schema(value_type = Option<String>, format = Date)]
    pub approved_on: Option<String>,
    pub issuing_body_code: String,
}

pub fn summary(state: &AppState, c: &Certificate) -> CertificateSummary {
    let (status, revoked_at, revocation_reason) = match &c.status {
        CertificateStatus::Valid => (Status::Valid, None, None),
        CertificateStatus::Revoked(r) => (
            Status::Revoked,
            Some(r.at.to_string()),
            Some(r.reason.clone()),
        ),
    };
    CertificateSummary {
        id: c.id,
        number: c.data.number.to_string(),
        qualification: c.qualification_name.clone(),
        issued_on: c.data.issue_date.to_string(),
        issuing_body: c.body_name.clone(),
        status,
        revoked_at,
        revocation_reason,
        needs_annotation: certificates::needs_annotation(state, c),
    }
}

pub fn detail(state: &AppState, c: &Certificate) -> CertificateDetail {
    let d = &c.data;
    CertificateDetail {
        summary: summary(state, c),
        management_number: d.management_number.clone(),
        name: d.name.to_string(),
        sex: d.sex.map(|s| s.code().to_owned()),
        birth_date: d.birth_date.map(|b| b.to_string()),
        id_type: d.id.id_type.code().to_owned(),
        id_number: d.id.number.masked(),
        qualification_code: d.qualification.to_string(),
        category: d.category.clone(),
        specialty: d.specialty.clone(),
        level: d.level.clone(),
        approved_on: d.approval_date.map(|a| a.to_string()),
        issuing_body_code: c.body.to_string(),
    }
}
