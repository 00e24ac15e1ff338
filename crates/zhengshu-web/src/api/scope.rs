//! 证书查询验证范围 over the API: public, no session. Per issuing body,
//! its qualification types with the years whose certificates can be
//! checked.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use zhengshu_domain::{BodyScope, QualificationScope};

use super::ApiError;
use crate::services;
use crate::state::AppState;

/// The verification scope.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScopeAnswer {
    /// Issuing bodies that issue at least one qualification type, by code.
    pub bodies: Vec<BodyAnswer>,
}

/// One issuing body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BodyAnswer {
    /// e.g. `pharmacist_center`
    pub code: String,
    /// 发证机构, e.g. 国家药品监督管理局执业药师资格认证中心
    pub name: String,
    /// Its qualification types: those in scope first.
    pub qualifications: Vec<QualificationAnswer>,
}

/// One qualification type.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QualificationAnswer {
    /// e.g. `licensed_pharmacist`
    pub code: String,
    /// 资格名称, e.g. 执业药师
    pub name: String,
    /// Whether the type is in the verification scope at all.
    pub in_scope: bool,
    /// First year whose certificates can be checked: a configured year
    /// that has certificates on record. `null` when none can be checked
    /// (out of scope, or no certificate of a configured year online yet).
    pub years_from: Option<i16>,
    /// Last year whose certificates can be checked; `null` as for
    /// `years_from`.
    pub years_to: Option<i16>,
}

impl From<BodyScope> for BodyAnswer {
    fn from(b: BodyScope) -> Self {
        BodyAnswer {
            code: b.body.code.to_string(),
            name: b.body.name,
            qualifications: b.qualifications.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<QualificationScope> for QualificationAnswer {
    fn from(q: QualificationScope) -> Self {
        QualificationAnswer {
            code: q.code.to_string(),
            name: q.name,
            in_scope: q.in_scope,
            years_from: q.years.map(|y| y.from),
            years_to: q.years.map(|y| y.to),
        }
    }
}

/// The verification scope (证书查询验证范围): per issuing body, the
/// qualification types and the years whose certificates can be checked.
/// Public; no token needed.
#[utoipa::path(get, path = "/api/v1/scope", tag = "scope",
    responses((status = 200, body = ScopeAnswer)))]
pub async fn scope(State(state): State<AppState>) -> Result<Json<ScopeAnswer>, ApiError> {
    let bodies = services::scope::current(&state).await?;
    Ok(Json(ScopeAnswer {
        bodies: bodies.into_iter().map(Into::into).collect(),
    }))
}
