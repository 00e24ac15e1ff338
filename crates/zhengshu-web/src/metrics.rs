//! `GET /metrics`: the process's Prometheus metrics (`zhengshu-metrics`),
//! with the queue and pool gauges read just before the answer; and the
//! layer that counts and times every request by its matched route
//! template. On the service's own address `/metrics` answers only a
//! bearer of the configured token (`metrics.token`) and is absent
//! otherwise; [`serve`] alone serves it without a token on a separate,
//! private listen address (`metrics.addr`).

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hmac::Mac;

use crate::state::AppState;

/// Serves `/metrics` alone, without a token, on `listener` (a private
/// listen address) until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(state);
    axum::serve(listener, app).await
}

/// `/metrics` among the service's routes: only with the configured token.
pub fn guarded() -> Router<AppState> {
    Router::new().route("/metrics", get(guarded_scrape))
}

async fn guarded_scrape(
    State(state): State<AppState>,
    lang: crate::i18n::Lang,
    headers: HeaderMap,
) -> Response {
    let Some(token) = state.metrics_token.as_deref() else {
        return crate::pages::respond(&crate::error::Error::NotFound, lang);
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same(given, token) {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return r;
    }
    scrape(State(state)).await
}

/// Compares two tokens in time independent of where they differ (through
/// HMAC tags of both under a fixed key).
fn same(a: &str, b: &str) -> bool {
    let tag = |s: &str| {
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"zhengshu metrics token")
            .expect("HMAC takes any key");
        m.update(s.as_bytes());
        m.finalize().into_bytes()
    };
    tag(a) == tag(b)
}

async fn scrape(State(state): State<AppState>) -> Response {
    let m = zhengshu_metrics::metrics();
    match state.storage.job_queue().await {
        Ok(q) => {
            let now = state.clock.now();
            let oldest = q
                .oldest_applied
                .and_then(|t| std::time::Duration::try_from(now.duration_since(t)).ok());
            m.set_queue(q.depth, oldest);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: job queue not read"),
    }
    let index = state.storage.verify_index_status();
    m.set_verify_index(index.annotations, index.certificates);
    let pool = state.storage.pool_use();
    m.set_pool(
        i64::from(pool.idle),
        i64::from(pool.in_use),
        i64::from(pool.max),
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(zhengshu_metrics::CONTENT_TYPE),
        )],
        zhengshu_metrics::encode(),
    )
        .into_response()
}

/// Counts and times each request under its route template (`unmatched`
/// for the fallback's).
pub async fn count(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // Methods outside the standard ones share one label: a client cannot
    // grow the label sets without bound.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    zhengshu_metrics::metrics().request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
