//! `GET /.well-known/zhengshu/ca.pem`: the root certificate the seal
//! signatures chain to, for PDF readers and verifiers to trust.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/.well-known/zhengshu/ca.pem", get(ca_pem))
}

async fn ca_pem(State(state): State<AppState>) -> Response {
    match &state.renderer {
        Some(r) => (
            [
                (header::CONTENT_TYPE, "application/x-pem-file"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"zhengshu-ca.pem\"",
                ),
            ],
            r.pki().ca_pem(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no seal keys are configured on this server\n",
        )
            .into_response(),
    }
}
