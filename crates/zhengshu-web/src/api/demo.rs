//! `GET /api/v1/demo`: in demo mode, the certificates a visitor may try
//! (the numbers come with the state from whoever loaded the demo data),
//! as they stand now.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use zhengshu_storage::StorageError;

use super::ApiError;
use crate::error::Error;
use crate::services::certificates;
use crate::state::AppState;

#[derive(Serialize)]
pub struct Demo {
    certificates: Vec<Entry>,
}

/// One certificate of the demo listing.
#[derive(Serialize)]
struct Entry {
    number: String,
    name: String,
    qualification: String,
    status: &'static str,
    needs_annotation: bool,
}

pub async fn demo(State(state): State<AppState>) -> Result<Json<Demo>, ApiError> {
    let numbers = state.demo.clone().ok_or(ApiError(Error::NotFound))?;
    let mut entries = Vec::with_capacity(numbers.len());
    for number in numbers.iter() {
        let c = match state.storage.certificate_by_number(number).await {
            Ok(c) => c,
            // Not loaded (yet): left out.
            Err(StorageError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        entries.push(Entry {
            number: number.to_string(),
            needs_annotation: certificates::needs_annotation(&state, &c),
            name: c.data.name.as_str().to_owned(),
            qualification: c.qualification_name,
            status: c.status.code(),
        });
    }
    Ok(Json(Demo {
        certificates: entries,
    }))
}
