//! The one error type of the HTTP layer. Storage answers with
//! [`StorageError`]; handlers turn it (and refused input) into an
//! [`ApiError`], whose variants each say their status. Internal errors are
//! logged here and answered with an opaque 500: no SQL text, no paths, no
//! ID numbers leave the process.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhengshu_storage::StorageError;

/// An error answered as `{"error": {"code", "message", "fields"}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404: absent, or somebody else's (never 403: no existence leak).
    #[error("not found")]
    NotFound,
    /// 500: logged, answered without detail.
    #[error("internal error")]
    Internal(String),
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::NotFound,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    fields: Vec<serde_json::Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "未找到"),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，请稍后再试",
                )
            }
        };
        let body = Body {
            error: Inner {
                code,
                message,
                fields: Vec::new(),
            },
        };
        (status, Json(body)).into_response()
    }
}

/// The fallback of unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
