//! `POST /api/v1/verify/document`: an e-certificate file checked check by
//! check (the body is the file, `application/pdf`, though its type is
//! judged by its content). Over the size limit 413 `file_too_large`,
//! before the rest is read; anything else, PDF or not, answers 200 with a
//! report. Counts against the verification rate limits as one request.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::Serialize;
use zhengshu_document::check::Report;

use super::{ApiError, ErrorBody};
use crate::client::ClientAddr;
use crate::i18n::Lang;
use crate::services::document_check::{self, MAX_UPLOAD, check_title, reason_text};
use crate::services::verification;
use crate::state::AppState;

/// One check of a file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckResult {
    /// `pdf`, `signatures`, `digest`, `signature`, `chain`, `seal`,
    /// `seal_validity`, `whole_file`, `on_record`, `annotation_status` or
    /// `certificate_status`.
    pub check: String,
    /// For a signature's checks: `ministry`, `body` or `extra`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
    /// `passed`, `failed`, `indeterminate` or `skipped`.
    pub status: &'static str,
    /// Why, in the request's language.
    pub reason: String,
    /// Why, as a stable code (e.g. `digest_mismatch`).
    pub reason_code: String,
    /// The check's name in the request's language.
    pub title: String,
    /// Values the reason names (a seal's name, bytes appended, a date).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

/// What a file check answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentReport {
    /// `TOTAL_PASSED`, `TOTAL_FAILED` or `INDETERMINATE`.
    pub indication: &'static str,
    pub checks: Vec<CheckResult>,
    /// SHA-256 (hex) of the file.
    pub sha256: String,
}

impl DocumentReport {
    pub fn of(lang: Lang, r: &Report) -> Self {
        DocumentReport {
            indication: r.indication().code(),
            checks: r
                .checks
                .iter()
                .map(|c| CheckResult {
                    check: c.check.clone(),
                    seal: c.seal.clone(),
                    status: c.status.code(),
                    reason: reason_text(lang, c),
                    reason_code: c.reason.clone(),
                    title: check_title(lang, c),
                    args: c.args.iter().cloned().collect(),
                })
                .collect(),
            sha256: r.sha256.clone(),
        }
    }
}

/// The bytes of an uploaded file, as the OpenAPI document describes them.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // Describes the request body for OpenAPI.
pub struct FileBytes(Vec<u8>);

/// Verify an e-certificate file: each check with its status and reason.
#[utoipa::path(post, path = "/api/v1/verify/document", tag = "verify",
    request_body(content = FileBytes, content_type = "application/pdf", description = "The file (at most 5 MiB)"),
    responses(
        (status = 200, description = "The report; a file that is not a PDF fails its `pdf` check", body = DocumentReport),
        (status = 413, description = "`file_too_large`: over 5 MiB", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
    ))]
pub async fn verify_document(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    lang: Lang,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<DocumentReport>, ApiError> {
    verification::admit(&state, &client, 1)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD as u64) {
        return Err(crate::error::Error::FileTooLarge.into());
    }
    let bytes = to_bytes(body, MAX_UPLOAD)
        .await
        .map_err(|_| crate::error::Error::FileTooLarge)?;
    let report = document_check::check_file(&state, &client, bytes.to_vec()).await?;
    Ok(Json(DocumentReport::of(lang, &report)))
}
