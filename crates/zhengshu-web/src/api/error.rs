//! How the API answers an error: [`ApiError`] wraps the HTTP
//! [`Error`] of every `api/` handler and extractor, and [`render`], a layer
//! of the API's router, writes it as the JSON body of the README's error
//! format, `{"error": {"code", "message", "fields"}}`, in the request's
//! language. The pages have their own wrapper, which answers with a page.

use axum::Json;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhengshu_storage::StorageError;

use crate::error::{self, Error, field_message};
use crate::i18n::Lang;
use crate::services;

/// An error of the JSON API.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl From<services::Error> for ApiError {
    fn from(e: services::Error) -> Self {
        ApiError(e.into())
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    /// The status now; the JSON body, which needs the request's language, in
    /// [`render`].
    fn into_response(self) -> Response {
        self.0.deferred()
    }
}

/// Layer of this router: the JSON body of an [`ApiError`] answer.
pub async fn render(lang: Lang, req: Request, next: Next) -> Response {
    error::write_deferred(lang, req, next, respond).await
}

/// The complete answer of `e` in `lang`.
pub fn respond(e: &Error, lang: Lang) -> Response {
    e.log_internal();
    let mut response = (e.status(), Json(ErrorBody::of(e, lang))).into_response();
    e.add_retry_after(&mut response);
    response
}

/// The JSON error body (the README and the OpenAPI document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code.
    pub code: String,
    /// In the request's language.
    pub message: String,
    pub fields: Vec<FieldMessage>,
    /// With `annotation_limit`: the first day (`YYYY-MM-DD`, China
    /// Standard Time) a new application is possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_possible_on: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldMessage {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    pub fn of(e: &Error, lang: Lang) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: e.code().to_owned(),
                message: e.message(lang),
                fields: e
                    .fields()
                    .iter()
                    .map(|f| FieldMessage {
                        field: f.field.to_owned(),
                        code: f.code.to_owned(),
                        message: field_message(f, lang),
                    })
                    .collect(),
                next_possible_on: match e {
                    Error::AnnotationLimit { next_possible_on } => {
                        Some(next_possible_on.to_string())
                    }
                    _ => None,
                },
            },
        }
    }
}
