//! The HTTP error: every refusal the pages and the API can answer with,
//! each variant saying its status and its stable code, with its message in
//! a request's language ([`crate::i18n`]). Services answer with
//! [`services::Error`], which becomes an [`Error`] here; the HTTP-only
//! refusals (a malformed body, no session, terms not agreed, a form
//! without its CSRF token, an unknown path) start here. Nothing here
//! writes a body: `api::ApiError` answers an [`Error`] as JSON and
//! `pages::PageError` as an HTML page; internal errors are logged there
//! and answered with an opaque 500: no SQL text, no paths, no ID numbers
//! leave the process. What both share is here: an error answered with its
//! status at once and its body written later by the router's layer
//! ([`Error::deferred`], [`write_deferred`]), since the body needs the
//! request's language, and the `Retry-After` header.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use zhengshu_storage::StorageError;

use crate::i18n::{Arg, Lang};
use crate::services::{self, FieldError};

/// An error answered with its status, a code and a translated message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400 `bad_request`: the body is not of the expected shape.
    #[error("bad request")]
    BadRequest,
    /// 413 `payload_too_large`: the body is longer than any request needs.
    #[error("payload too large")]
    PayloadTooLarge,
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
    /// 403 `identity_not_proven`: the account has not proven the identity
    /// it registered with (after the terms are agreed).
    #[error("identity not proven")]
    IdentityNotProven,
    /// 409 `identity_held`: another account holds this identity with an
    /// equal or stronger proof.
    #[error("identity held")]
    IdentityHeld,
    /// 409 `no_contact`: no recorded contact a code can be sent to.
    #[error("no contact")]
    NoContact,
    /// 503 `code_not_sent`: the mail server or SMS gateway did not take
    /// the code.
    #[error("code not sent")]
    CodeNotSent,
    /// 422 `code_wrong`: a wrong one-time code (tries left, when known).
    #[error("code wrong")]
    CodeWrong { tries_left: Option<i32> },
    /// 422 `code_expired`: no live code (expired, used, tries spent).
    #[error("code expired")]
    CodeExpired,
    /// 422 `management_number_wrong`.
    #[error("management number wrong")]
    ManagementNumberWrong,
    /// 400 `federated_refused`: a log-in with the exam-registration
    /// platform that cannot be completed (forged, replayed or expired
    /// callback, cancelled, code or ID token refused).
    #[error("federated log-in refused")]
    FederatedRefused,
    /// 503 `federated_unavailable`: the platform could not be reached.
    #[error("federated provider unavailable")]
    FederatedUnavailable,
    /// 422 `federated_claims`: the platform's account carries no usable
    /// name or ID document.
    #[error("federated claims unusable")]
    FederatedClaims,
    /// 409 `federated_mismatch`: the signed-in account registered another
    /// identity than the platform's account.
    #[error("federated identity mismatch")]
    FederatedMismatch,
    /// 422 `validation_failed`, with one entry per refused field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 429 `too_many_attempts`, with `Retry-After`.
    #[error("too many attempts")]
    Throttled { retry_after_secs: u64 },
    /// 429 `rate_limited`, with `Retry-After`: too many verifications.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// 409 `annotation_limit`: 3 annotations in 90 days; the next is
    /// possible on that day.
    #[error("annotation limit")]
    AnnotationLimit {
        next_possible_on: zhengshu_domain::Day,
    },
    /// 409 `annotation_required`: the certificate's document needs an
    /// annotation.
    #[error("annotation required")]
    AnnotationRequired,
    /// 409 `annotation_not_needed`: view or download the certificate
    /// directly.
    #[error("annotation not needed")]
    AnnotationNotNeeded,
    /// 409 `annotation_not_ready`: still being generated.
    #[error("annotation not ready")]
    AnnotationNotReady,
    /// 409 `annotation_failed`: generation failed; apply again.
    #[error("annotation failed")]
    AnnotationFailed,
    /// 410 `annotation_expired`: its validity has ended.
    #[error("annotation expired")]
    AnnotationExpired,
    /// 410 `annotation_withdrawn`.
    #[error("annotation withdrawn")]
    AnnotationWithdrawn,
    /// 409 `annotation_not_withdrawable`: only a ready annotation can be
    /// withdrawn.
    #[error("annotation not withdrawable")]
    AnnotationNotWithdrawable,
    /// 409 `certificate_revoked`: a revoked certificate has no document and
    /// takes no annotation.
    #[error("certificate revoked")]
    CertificateRevoked,
    /// 413 `file_too_large`: an uploaded file over the size limit.
    #[error("file too large")]
    FileTooLarge,
    /// 503 `busy`, with `Retry-After`: the database stayed busy past its
    /// timeout (a large import, a long write); nothing was changed.
    #[error("busy")]
    Busy,
    /// 500 `internal`: logged, answered without detail.
    #[error("internal error")]
    Internal(String),
}

impl From<services::Error> for Error {
    fn from(e: services::Error) -> Self {
        use services::Error as S;
        match e {
            S::NotFound => Error::NotFound,
            S::InvalidCredentials => Error::InvalidCredentials,
            S::Throttled { retry_after_secs } => Error::Throttled { retry_after_secs },
            S::RateLimited { retry_after_secs } => Error::RateLimited { retry_after_secs },
            S::UsernameTaken => Error::UsernameTaken,
            S::IdentityNotProven => Error::IdentityNotProven,
            S::IdentityHeld => Error::IdentityHeld,
            S::NoContact => Error::NoContact,
            S::CodeNotSent => Error::CodeNotSent,
            S::CodeWrong { tries_left } => Error::CodeWrong { tries_left },
            S::CodeExpired => Error::CodeExpired,
            S::ManagementNumberWrong => Error::ManagementNumberWrong,
            S::FederatedRefused => Error::FederatedRefused,
            S::FederatedUnavailable => Error::FederatedUnavailable,
            S::FederatedClaims => Error::FederatedClaims,
            S::FederatedMismatch => Error::FederatedMismatch,
            S::Validation(f) => Error::Validation(f),
            S::InvalidQuery(f) => Error::InvalidQuery(f),
            S::AnnotationLimit { next_possible_on } => Error::AnnotationLimit { next_possible_on },
            S::AnnotationRequired => Error::AnnotationRequired,
            S::AnnotationNotNeeded => Error::AnnotationNotNeeded,
            S::AnnotationNotReady => Error::AnnotationNotReady,
            S::AnnotationFailed => Error::AnnotationFailed,
            S::AnnotationExpired => Error::AnnotationExpired,
            S::AnnotationWithdrawn => Error::AnnotationWithdrawn,
            S::AnnotationNotWithdrawable => Error::AnnotationNotWithdrawable,
            S::CertificateRevoked => Error::CertificateRevoked,
            S::Busy => Error::Busy,
            S::Internal(detail) => Error::Internal(detail),
        }
    }
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        services::Error::from(e).into()
    }
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest | Error::InvalidQuery(_) | Error::FederatedRefused => {
                StatusCode::BAD_REQUEST
            }
            Error::FederatedUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Error::FederatedClaims => StatusCode::UNPROCESSABLE_ENTITY,
            Error::FederatedMismatch => StatusCode::CONFLICT,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unauthenticated | Error::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Error::TermsNotAccepted | Error::IdentityNotProven | Error::CsrfRejected => {
                StatusCode::FORBIDDEN
            }
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::UsernameTaken | Error::IdentityHeld | Error::NoContact => StatusCode::CONFLICT,
            Error::CodeNotSent => StatusCode::SERVICE_UNAVAILABLE,
            Error::Validation(_)
            | Error::CodeWrong { .. }
            | Error::CodeExpired
            | Error::ManagementNumberWrong => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Throttled { .. } | Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::AnnotationLimit { .. }
            | Error::AnnotationRequired
            | Error::AnnotationNotNeeded
            | Error::AnnotationNotReady
            | Error::AnnotationFailed
            | Error::AnnotationNotWithdrawable
            | Error::CertificateRevoked => StatusCode::CONFLICT,
            Error::AnnotationExpired | Error::AnnotationWithdrawn => StatusCode::GONE,
            Error::FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest => "bad_request",
            Error::PayloadTooLarge => "payload_too_large",
            Error::InvalidQuery(_) => "invalid_query",
            Error::Unauthenticated => "unauthenticated",
            Error::InvalidCredentials => "invalid_credentials",
            Error::TermsNotAccepted => "terms_not_accepted",
            Error::CsrfRejected => "csrf_rejected",
            Error::NotFound => "not_found",
            Error::UsernameTaken => "username_taken",
            Error::IdentityNotProven => "identity_not_proven",
            Error::IdentityHeld => "identity_held",
            Error::NoContact => "no_contact",
            Error::CodeNotSent => "code_not_sent",
            Error::CodeWrong { .. } => "code_wrong",
            Error::CodeExpired => "code_expired",
            Error::ManagementNumberWrong => "management_number_wrong",
            Error::FederatedRefused => "federated_refused",
            Error::FederatedUnavailable => "federated_unavailable",
            Error::FederatedClaims => "federated_claims",
            Error::FederatedMismatch => "federated_mismatch",
            Error::Validation(_) => "validation_failed",
            Error::Throttled { .. } => "too_many_attempts",
            Error::RateLimited { .. } => "rate_limited",
            Error::AnnotationLimit { .. } => "annotation_limit",
            Error::AnnotationRequired => "annotation_required",
            Error::AnnotationNotNeeded => "annotation_not_needed",
            Error::AnnotationNotReady => "annotation_not_ready",
            Error::AnnotationFailed => "annotation_failed",
            Error::AnnotationExpired => "annotation_expired",
            Error::AnnotationWithdrawn => "annotation_withdrawn",
            Error::AnnotationNotWithdrawable => "annotation_not_withdrawable",
            Error::CertificateRevoked => "certificate_revoked",
            Error::FileTooLarge => "file_too_large",
            Error::Busy => "busy",
            Error::Internal(_) => "internal",
        }
    }

    /// Every code, for the catalogue tests.
    #[cfg(test)]
    pub const CODES: [&'static str; 35] = [
        "bad_request",
        "payload_too_large",
        "invalid_query",
        "unauthenticated",
        "invalid_credentials",
        "terms_not_accepted",
        "csrf_rejected",
        "not_found",
        "username_taken",
        "identity_not_proven",
        "identity_held",
        "no_contact",
        "code_not_sent",
        "code_wrong",
        "code_expired",
        "management_number_wrong",
        "federated_refused",
        "federated_unavailable",
        "federated_claims",
        "federated_mismatch",
        "validation_failed",
        "too_many_attempts",
        "rate_limited",
        "annotation_limit",
        "annotation_required",
        "annotation_not_needed",
        "annotation_not_ready",
        "annotation_failed",
        "annotation_expired",
        "annotation_withdrawn",
        "annotation_not_withdrawable",
        "certificate_revoked",
        "file_too_large",
        "busy",
        "internal",
    ];

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let id = format!("error-{}", self.code());
        match self {
            Error::Throttled { retry_after_secs } => lang.t_args(
                &id,
                &[("minutes", Arg::Num(minutes_to_wait(*retry_after_secs)))],
            ),
            Error::CodeWrong {
                tries_left: Some(n),
            } => lang.t_args(
                "error-code_wrong-tries",
                &[("tries", Arg::Num(i64::from(*n)))],
            ),
            Error::AnnotationLimit { next_possible_on } => {
                lang.t_args(&id, &[("date", Arg::Str(&next_possible_on.to_string()))])
            }
            _ => lang.t(&id),
        }
    }

    /// The refused fields, if any.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Error::Validation(f) | Error::InvalidQuery(f) => f,
            _ => &[],
        }
    }

    /// `Retry-After` in seconds, for a throttled request or a busy database.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::Throttled { retry_after_secs } | Error::RateLimited { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            Error::Busy => Some(BUSY_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    /// Logs an internal error's detail: the answer carries none of it.
    pub fn log_internal(&self) {
        if let Error::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
    }
}

/// `Retry-After` of a [`Error::Busy`] answer: a busy database is a matter
/// of a moment.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// The message of a refused field in `lang`.
pub fn field_message(f: &FieldError, lang: Lang) -> String {
    let args: Vec<(&str, Arg<'_>)> = f
        .args
        .iter()
        .map(|(n, v)| (*n, Arg::Str(v.as_str())))
        .collect();
    lang.t_args(&format!("field-{}", f.code), &args)
}

/// Whole minutes to wait, rounded up, at least one.
pub fn minutes_to_wait(secs: u64) -> i64 {
    i64::try_from(secs.div_ceil(60).max(1)).unwrap_or(i64::MAX)
}

/// An error answer whose body a router's layer still has to write.
#[derive(Debug, Clone)]
struct Deferred(Arc<Error>);

impl Error {
    /// The answer's status now; its body later, by [`write_deferred`].
    pub fn deferred(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(Deferred(Arc::new(self)));
        response
    }

    /// Adds `Retry-After` to `response` when this error has one.
    pub fn add_retry_after(&self, response: &mut Response) {
        if let Some(secs) = self.retry_after()
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
}

/// A router's error layer: answers a [`Error::deferred`] answer with
/// `respond` (JSON or a page) in the request's language.
pub async fn write_deferred(
    lang: Lang,
    req: Request,
    next: Next,
    respond: fn(&Error, Lang) -> Response,
) -> Response {
    let mut response = next.run(req).await;
    match response.extensions_mut().remove::<Deferred>() {
        Some(Deferred(e)) => respond(&e, lang),
        None => response,
    }
}
