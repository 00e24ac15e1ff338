//! The HTTP side of zhengshu: every page and JSON API route, composed in
//! one [`router`] from the areas' own routers, with the shared
//! [`AppState`] and the layers (request tracing by matched route). Handlers
//! turn requests into domain types, call storage through the
//! [`zhengshu_storage::Storage`] trait, and answer with templates or JSON;
//! errors leave through [`error::ApiError`]. [`Server`] is the lifecycle a
//! test or the binary drives: bind (port 0 in tests), run until told to
//! stop, finish the requests in flight.
#![forbid(unsafe_code)]

mod demo;
pub mod error;
mod health;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::Request;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use zhengshu_domain::{AnnotationPolicy, Clock};
use zhengshu_storage::Storage;

/// What every handler may use.
#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub policy: Arc<AnnotationPolicy>,
    /// Demo mode: `GET /api/v1/demo` answers.
    pub demo: bool,
    /// Signs session cookies.
    pub session_key: [u8; 32],
    /// The public address of this service (QR codes, links in mails).
    pub public_base_url: String,
}

/// All routes, with state and layers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(demo::router())
        .fallback(error::not_found)
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                tracing::info_span!("request", method = %req.method(), route)
            }),
        )
        .with_state(state)
}

/// A bound server, not yet running.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    router: Router,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr, state: AppState) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets requests in flight
    /// finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}
