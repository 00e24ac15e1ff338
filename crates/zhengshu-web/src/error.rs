//! The one error type of the HTTP layer. Storage answers with
//! [`StorageError`]; handlers turn it, refused input and refused access into
//! an [`ApiError`], whose variants each say their status and code. The
//! message is written at response time in the request's language
//! ([`crate::i18n`]): as JSON `{"error": {"code", "message", "fields"}}` on
//! `/api/` routes, as an HTML page elsewhere. Internal errors are logged
//! here and answered with an opaque 500: no SQL text, no paths, no ID
//! numbers leave the process. Page handlers that re-show a form with its
//! field messages do so themselves; this type is for everything else.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhengshu_storage::StorageError;

use crate::i18n::{self, Arg, Lang};

/// A refused field: which one, a stable code, and the values its message
/// names. The message itself is looked up as `field-<code>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str) -> Self {
        Self {
            field,
            code,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn message(&self, lang: Lang) -> String {
        let args: Vec<(&str, Arg<'_>)> = self
            .args
            .iter()
            .map(|(n, v)| (*n, Arg::Str(v.as_str())))
            .collect();
        lang.t_args(&format!("field-{}", self.code), &args)
    }
}

/// An error answered with its status, a code and a translated message.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad_request`: the body is not JSON of the expected shape.
    #[error("bad request")]
    BadRequest,
    /// 400 `invalid_query`: a rare-character query that cannot be run.
    #[error("invalid query")]
    InvalidQuery(Vec<FieldError>),
    /// 401 `unauthenticated`: no session, or an expired or unknown token.
    #[error("unauthenticated")]
    Unauthenticated,
    /// 401 `invalid_credentials`: the same for an unknown username and a
    /// wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 403 `terms_not_accepted`: the current service terms are not agreed.
    #[error("terms not accepted")]
    TermsNotAccepted,
    /// 403 `csrf_rejected`: a form without the token of this browser.
    #[error("csrf token rejected")]
    CsrfRejected,
    /// 404 `not_found`: absent, or somebody else's (never 403: no
    /// existence leak).
    #[error("not found")]
    NotFound,
    /// 409 `username_taken`.
    #[error("username taken")]
    UsernameTaken,
    /// 409 `id_document_taken`: an account exists for this ID document.
    #[error("id document taken")]
    IdDocumentTaken,
    /// 422 `validation_failed`, with one entry per refused field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 429 `too_many_attempts`, with `Retry-After`.
    #[error("too many attempts")]
    Throttled { retry_after_secs: u64 },
    /// 3 annotations in 90 days: the next is possible on that day.
    #[error("annotation limit")]
    AnnotationLimit {
        next_possible_on: zhengshu_domain::Day,
    },
    /// The certificate's document needs an annotation.
    #[error("annotation required")]
    AnnotationRequired,
    /// The certificate needs no annotation: view or download it directly.
    #[error("annotation not needed")]
    AnnotationNotNeeded,
    /// Still being generated.
    #[error("annotation not ready")]
    AnnotationNotReady,
    /// Generation failed; apply again.
    #[error("annotation failed")]
    AnnotationFailed,
    /// Its validity has ended.
    #[error("annotation expired")]
    AnnotationExpired,
    #[error("annotation withdrawn")]
    AnnotationWithdrawn,
    /// Only a ready annotation can be withdrawn.
    #[error("annotation not withdrawable")]
    AnnotationNotWithdrawable,
    /// A revoked certificate has no document and takes no annotation.
    #[error("certificate revoked")]
    CertificateRevoked,
    /// 500 `internal`: logged, answered without detail.
    #[error("internal error")]
    Internal(String),
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::NotFound,
            StorageError::LimitReached(limit) => ApiError::AnnotationLimit {
                next_possible_on: limit.next_possible_on,
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest | ApiError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::TermsNotAccepted | ApiError::CsrfRejected => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::UsernameTaken | ApiError::IdDocumentTaken => StatusCode::CONFLICT,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::AnnotationLimit { .. }
            | ApiError::AnnotationRequired
            | ApiError::AnnotationNotNeeded
            | ApiError::AnnotationNotReady
            | ApiError::AnnotationFailed
            | ApiError::AnnotationNotWithdrawable
            | ApiError::CertificateRevoked => StatusCode::CONFLICT,
            ApiError::AnnotationExpired | ApiError::AnnotationWithdrawn => StatusCode::GONE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest => "bad_request",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::TermsNotAccepted => "terms_not_accepted",
            ApiError::CsrfRejected => "csrf_rejected",
            ApiError::NotFound => "not_found",
            ApiError::UsernameTaken => "username_taken",
            ApiError::IdDocumentTaken => "id_document_taken",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Throttled { .. } => "too_many_attempts",
            ApiError::AnnotationLimit { .. } => "annotation_limit",
            ApiError::AnnotationRequired => "annotation_required",
            ApiError::AnnotationNotNeeded => "annotation_not_needed",
            ApiError::AnnotationNotReady => "annotation_not_ready",
            ApiError::AnnotationFailed => "annotation_failed",
            ApiError::AnnotationExpired => "annotation_expired",
            ApiError::AnnotationWithdrawn => "annotation_withdrawn",
            ApiError::AnnotationNotWithdrawable => "annotation_not_withdrawable",
            ApiError::CertificateRevoked => "certificate_revoked",
            ApiError::Internal(_) => "internal",
        }
    }

    /// Every code, for the catalogue tests and the OpenAPI document.
    pub const CODES: [&'static str; 21] = [
        "bad_request",
        "invalid_query",
        "unauthenticated",
        "invalid_credentials",
        "terms_not_accepted",
        "csrf_rejected",
        "not_found",
        "username_taken",
        "id_document_taken",
        "validation_failed",
        "too_many_attempts",
        "annotation_limit",
        "annotation_required",
        "annotation_not_needed",
        "annotation_not_ready",
        "annotation_failed",
        "annotation_expired",
        "annotation_withdrawn",
        "annotation_not_withdrawable",
        "certificate_revoked",
        "internal",
    ];

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let id = format!("error-{}", self.code());
        match self {
            ApiError::Throttled { retry_after_secs } => lang.t_args(
                &id,
                &[("minutes", Arg::Num(minutes_to_wait(*retry_after_secs)))],
            ),
            ApiError::AnnotationLimit { next_possible_on } => {
                lang.t_args(&id, &[("date", Arg::Str(&next_possible_on.to_string()))])
            }
            _ => lang.t(&id),
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            ApiError::Validation(f) | ApiError::InvalidQuery(f) => f,
            _ => &[],
        }
    }
}

/// Whole minutes to wait, rounded up, at least one.
pub fn minutes_to_wait(secs: u64) -> i64 {
    i64::try_from(secs.div_ceil(60).max(1)).unwrap_or(i64::MAX)
}

/// The JSON error body (API.md).
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
    pub fn of(e: &ApiError, lang: Lang) -> Self {
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
                        message: f.message(lang),
                    })
                    .collect(),
                next_possible_on: match e {
                    ApiError::AnnotationLimit { next_possible_on } => {
                        Some(next_possible_on.to_string())
                    }
                    _ => None,
                },
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let context = i18n::context();
        let mut response = if context.html {
            crate::pages::error_page(&self, context.lang).into_response()
        } else {
            Json(ErrorBody::of(&self, context.lang)).into_response()
        };
        *response.status_mut() = self.status();
        if let ApiError::Throttled { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// The fallback of unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
