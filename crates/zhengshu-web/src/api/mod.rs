//! The holder JSON API described by the README and the OpenAPI document
//! (`/api/v1/openapi.json`): registration, sessions (bearer tokens),
//! service terms, the holder's certificates and annotations, the
//! rare-character search, public verification and its scope (no session), the demo
//! listing, and an issuing body's imports with its import token
//! (`/api/v1/console/imports`). Every `/api/v1/me/*` route
//! takes an [`ApiHolder`], so it answers 401 without a valid token and 403
//! `terms_not_accepted` until the current terms are agreed; a certificate
//! of somebody else is 404. Handlers parse requests into domain types, call
//! the services and answer JSON; errors leave as [`ApiError`], rendered as
//! JSON by this router's own layer.

mod annotations;
mod certificates;
mod console;
mod demo;
mod error;
mod extract;
mod holders;
mod identity;
mod openapi;
mod rarechars;
mod recovery;
mod scope;
mod verify;
mod verify_document;

use axum::Router;
use axum::routing::{delete, get, post};

pub use error::{ApiError, ErrorBody, respond};
pub use extract::{ApiAgreed, ApiHolder, ApiId, ApiJson, ApiPath, ApiQuery, ApiSignedIn};
pub use verify_document::DocumentReport;

use crate::state::AppState;

/// Whether a path belongs to the API (JSON answers) rather than the pages.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/")
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/demo", get(demo::demo))
        .route("/api/v1/holders", post(holders::register))
        .route("/api/v1/sessions", post(holders::log_in))
        .route("/api/v1/sessions/current", delete(holders::log_out))
        .route("/api/v1/recovery/codes", post(recovery::request))
        .route("/api/v1/recovery", post(recovery::reset))
        .route("/api/v1/terms", get(holders::terms))
        .route("/api/v1/terms/accept", post(holders::accept_terms))
        .route("/api/v1/me", get(holders::me))
        .route("/api/v1/me/identity", get(identity::state))
        .route("/api/v1/me/identity/codes", post(identity::send_code))
        .route("/api/v1/me/identity/code", post(identity::prove_by_code))
        .route(
            "/api/v1/me/identity/management-number",
            post(identity::prove_by_management_number),
        )
        .route("/api/v1/me/certificates", get(certificates::certificates))
        .route(
            "/api/v1/me/certificates/{id}",
            get(certificates::certificate),
        )
        .route(
            "/api/v1/me/certificates/{id}/document",
            get(certificates::certificate_document),
        )
        .route(
            "/api/v1/me/certificates/{id}/annotations",
            get(annotations::annotations).post(annotations::apply),
        )
        .route("/api/v1/me/annotations/{id}", get(annotations::annotation))
        .route(
            "/api/v1/me/annotations/{id}/document",
            get(annotations::annotation_document),
        )
        .route(
            "/api/v1/me/annotations/{id}/withdraw",
            post(annotations::withdraw),
        )
        .route("/api/v1/rare-chars", get(rarechars::rare_chars))
        .route("/api/v1/scope", get(scope::scope))
        .route("/api/v1/verify", post(verify::by_number))
        .route("/api/v1/verify/batch", post(verify::batch))
        .route(
            "/api/v1/verify/document",
            post(verify_document::verify_document),
        )
        .route("/api/v1/verify/{code}", get(verify::by_code))
        .route("/api/v1/console/imports", post(console::upload))
        .route("/api/v1/console/imports/{id}", get(console::status))
        .layer(axum::middleware::from_fn(error::render))
}
