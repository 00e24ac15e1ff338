//! `GET /api/v1/demo`: in demo mode, the demo holders' certificates and a
//! few synthetic ones, so a visitor knows what to try.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use zhengshu_demo::ShowcaseEntry;

use crate::AppState;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/demo", get(demo))
}

#[derive(Serialize)]
struct Demo {
    certificates: Vec<ShowcaseEntry>,
}

async fn demo(State(state): State<AppState>) -> Result<Json<Demo>, ApiError> {
    if !state.demo {
        return Err(ApiError::NotFound);
    }
    let certificates = zhengshu_demo::showcase(&*state.storage, &state.policy).await?;
    Ok(Json(Demo { certificates }))
}
