//! What a holder may see of certificates: the ownership rule (a
//! certificate is the holder's when ID type, ID number and name all match)
//! and the shapes the API answers and the pages show, ID numbers masked.

use serde::Serialize;
use zhengshu_domain::{Certificate, CertificateStatus, Holder, china_tz};

use crate::AppState;
use crate::error::ApiError;

/// Whether `c` belongs to `holder`.
pub fn owns(holder: &Holder, c: &Certificate) -> bool {
    c.data.id == holder.id_document && c.data.name == holder.name
}

/// The holder's certificates, newest first.
pub async fn certificates_of(
    state: &AppState,
    holder: &Holder,
) -> Result<Vec<Certificate>, ApiError> {
    Ok(state
        .storage
        .certificates_of(&holder.id_document, &holder.name)
        .await?)
}

/// Certificate `id` if it is the holder's; 404 otherwise, exactly as for
/// one that does not exist.
pub async fn own_certificate(
    state: &AppState,
    holder: &Holder,
    id: i64,
) -> Result<Certificate, ApiError> {
    let c = state.storage.certificate(id).await?;
    if owns(holder, &c) {
        Ok(c)
    } else {
        Err(ApiError::NotFound)
    }
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
    /// Masked, e.g. `110105********002X`.
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

/// Whether `c` must be annotated before it is viewed or downloaded, under
/// the configured policy.
pub fn needs_annotation(state: &AppState, c: &Certificate) -> bool {
    state
        .policy
        .needs_annotation(c.data.issue_date, c.body_exempt_before_cutover)
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
        needs_annotation: needs_annotation(state, c),
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

/// A moment as holders read it: China Standard Time, to the minute.
pub fn china_time(at: jiff::Timestamp) -> String {
    at.to_zoned(china_tz())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}
