//! The import API of an issuing body's programs: `POST
//! /api/v1/console/imports` with `Authorization: Bearer` of one of the
//! body's import tokens (issued and revoked by its admin in the console)
//! takes a CSV file, or a zip of it and its photos, as the request body
//! and answers 202 with the status URL; `GET /api/v1/console/imports/{id}`
//! answers where it stands with the counts and refusals the console's
//! page shows. The body is the token's: an upload of another body is 404,
//! a revoked or unknown token 401. Holders' session tokens are no import
//! tokens, nor the other way round.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use zhengshu_storage::{ImportToken, Upload};

use super::{ApiError, ApiId, ErrorBody};
use crate::client::ClientAddr;
use crate::error::Error;
use crate::services::FieldError;
use crate::services::import_tokens;
use crate::services::imports::{self, MAX_UPLOAD};
use crate::state::AppState;

/// A request with a live import token.
#[derive(Debug, Clone)]
pub struct ApiImporter(pub ImportToken);

impl FromRequestParts<AppState> for ApiImporter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError(Error::Unauthenticated))?;
        let token = value
            .trim()
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .ok_or(ApiError(Error::Unauthenticated))?;
        // An unknown or revoked token is no credential at all.
        match import_tokens::token_of(state, token).await {
            Ok(t) => Ok(ApiImporter(t)),
            Err(crate::services::Error::InvalidCredentials) => {
                Err(ApiError(Error::Unauthenticated))
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `all` (the default: every row or none) or `valid` (the valid rows
    /// only).
    pub mode: Option<String>,
    /// The file's name, for the console's list.
    pub name: Option<String>,
}

/// An accepted import.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportAccepted {
    pub id: i64,
    /// Where it stands: `GET` this.
    pub status_url: String,
    pub state: &'static str,
}

/// One refused row or field.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Refusal {
    /// The line in the file (the header is line 1).
    pub line: u64,
    /// The column, when the refusal is about one.
    pub column: Option<String>,
    /// In English, as `zhengshu import` prints it.
    pub reason: String,
    /// The reason's stable code (e.g. `required`, `id_bad_check_digit`,
    /// `date_invalid`, `exists`), for programs; empty for an import
    /// reported before codes were kept.
    pub code: String,
}

/// Where an import stands, with the counts the console's page shows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportStatus {
    pub id: i64,
    /// `checking`, `checked`, `importing`, `imported` or `failed`.
    pub state: &'static str,
    pub file_name: String,
    /// Whether the valid rows are kept when some are refused.
    pub valid_only: bool,
    /// Data rows read so far.
    pub rows: i64,
    pub valid: i64,
    pub refused: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// Why the file as a whole was refused, or the import failed.
    pub error: Option<String>,
    /// The refusals, by line and column (the first 1,000).
    pub refusals: Vec<Refusal>,
}

impl ImportStatus {
    fn of(u: &Upload) -> Self {
        Self {
            id: u.id,
            state: u.state.code(),
            file_name: u.file_name.clone(),
            valid_only: u.valid_only,
            rows: u.counts.rows,
            valid: u.counts.rows - u.counts.refused,
            refused: u.counts.refused,
            inserted: u.counts.inserted,
            updated: u.counts.updated,
            unchanged: u.counts.unchanged,
            error: u.counts.error.clone(),
            refusals: imports::refusals(u)
                .into_iter()
                .map(|r| Refusal {
                    line: r.line,
                    column: r.column,
                    reason: r.reason,
                    code: r.code,
                })
                .collect(),
        }
    }
}

/// Import certificates into the token's issuing body: the request body is
/// the CSV file (the format of `zhengshu import`), or a zip holding it and
/// its photos. The import runs in the background.
#[utoipa::path(post, path = "/api/v1/console/imports", tag = "imports",
    security(("import_token" = [])),
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "text/csv",
        description = "The CSV file, or a zip (`application/zip`) of it and its photos"),
    responses(
        (status = 202, description = "Accepted; `Location` is the status URL", body = ImportAccepted),
        (status = 401, description = "`unauthenticated`: no token, or an unknown or revoked one", body = ErrorBody),
        (status = 413, description = "`file_too_large`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: an empty file, an unknown `mode`, or a zip refused (too many entries, too large decompressed, a name leaving the folder, a link, no or several CSV files)", body = ErrorBody),
        (status = 503, description = "`busy`: try again shortly", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    ApiImporter(token): ApiImporter,
    ClientAddr(client): ClientAddr,
    Query(q): Query<ImportQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let valid_only = match q.mode.as_deref() {
        None | Some("all") => false,
        Some("valid") => true,
        Some(_) => {
            return Err(ApiError(Error::Validation(vec![FieldError::new(
                "mode",
                "import_mode",
            )])));
        }
    };
    let bytes = to_bytes(body, MAX_UPLOAD)
        .await
        .map_err(|_| ApiError(Error::FileTooLarge))?;
    let name = q.name.as_deref().unwrap_or("upload");
    let id = imports::upload_with_token(&state, &token, name, bytes.to_vec(), valid_only, &client)
        .await?;
    let status_url = format!("/api/v1/console/imports/{id}");
    let mut response = (
        StatusCode::ACCEPTED,
        Json(ImportAccepted {
            id,
            status_url: status_url.clone(),
            state: zhengshu_storage::UploadState::Importing.code(),
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&status_url) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// Where an import of the token's body stands.
#[utoipa::path(get, path = "/api/v1/console/imports/{id}", tag = "imports",
    security(("import_token" = [])),
    params(("id" = i64, Path, description = "The import's id")),
    responses(
        (status = 200, body = ImportStatus),
        (status = 401, description = "`unauthenticated`: no token, or an unknown or revoked one", body = ErrorBody),
        (status = 404, description = "Absent, or another body's", body = ErrorBody),
    ))]
pub async fn status(
    State(state): State<AppState>,
    ApiImporter(token): ApiImporter,
    ApiId(id): ApiId,
) -> Result<Json<ImportStatus>, ApiError> {
    let u = imports::find_for_token(&state, &token, id).await?;
    Ok(Json(ImportStatus::of(&u)))
}
