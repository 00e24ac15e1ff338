//! The HTTP side of zhengshu: the holder portal's pages (server-rendered
//! askama templates, usable without JavaScript), the JSON API described by
//! the README and its OpenAPI document, the rare-character picker and its
//! fonts, and the health checks, composed in one [`router`] from the
//! areas' own routers with the shared [`AppState`] and the layers (language
//! negotiation, security headers, request tracing by matched route).
//! [`Server`] is the lifecycle a test or the binary drives: bind (port 0 in
//! tests), run until told to stop, finish the requests in flight.
//!
//! The modules form floors; each uses only those below it:
//!
//! - `api` (JSON handlers, JSON errors) and `pages` (HTML handlers, error
//!   pages, CSRF), side by side, neither using the other; beside them the
//!   small areas `assets`, `health`, `metrics` and `trust`;
//! - `error` (the HTTP error: status, code, message) and `download` (PDF
//!   answers), shared by both sides;
//! - `services` (accounts, sessions, terms, certificates, annotations,
//!   rare characters, verification and its scope): plain Rust over storage
//!   and the domain, with their own error type and no HTTP answers, HTML
//!   or JSON;
//! - `client`, `i18n`, `cookies`, `state`, `fonts`, `recorder` (verifications
//!   written in the background), `ratelimit` and `passwords` (argon2 under
//!   a bounded number of permits) at the bottom.
#![forbid(unsafe_code)]

mod api;
mod assets;
mod client;
mod cookies;
mod download;
mod error;
pub mod fonts;
mod health;
mod i18n;
mod metrics;
mod pages;
pub mod passwords;
mod ratelimit;
mod recorder;
mod services;
mod state;
mod trust;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::{HeaderValue, Request, Uri, header};
use axum::response::Response;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use api::DocumentReport;
pub use fonts::RareFonts;
pub use i18n::Lang;
pub use metrics::serve as serve_metrics;
pub use ratelimit::VerifyLimits;
pub use recorder::Recorder;
pub use services::document_check::{check_title, reason_text};
pub use services::imports::sweep as sweep_uploads;
pub use services::staff::invite as invite_staff;
pub use state::{AppState, IdentityLimits, Limits};

/// Headers every answer carries: no framing, no sniffing, no inline
/// scripts or styles, no referrer beyond this site, and no caching unless
/// the answer is the same for everyone.
async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; \
             base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Pages and JSON carry personal data (names, ID numbers, certificates,
    // tokens): no cache keeps them, unless an answer says otherwise (the
    // fonts and style sheets, which are the same for everyone).
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// All routes, with state and layers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(api::router())
        .merge(pages::router(&state))
        .merge(assets::router())
        .merge(trust::router())
        .merge(metrics::guarded())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(i18n::negotiate))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(metrics::count))
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

/// Unknown routes: 404 as JSON under `/api/`, as a page elsewhere.
async fn not_found(lang: i18n::Lang, uri: Uri) -> Response {
    if api::is_api_path(uri.path()) {
        api::respond(&error::Error::NotFound, lang)
    } else {
        pages::respond(&error::Error::NotFound, lang)
    }
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

    /// Serves on a listener bound already (a test that must know its port
    /// before it configures the state).
    pub fn from_listener(
        listener: std::net::TcpListener,
        state: AppState,
    ) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Self {
            listener: TcpListener::from_std(listener)?,
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
        // Nagle's algorithm off: a response written in parts (headers,
        // then a body) is never held back waiting for the client's
        // delayed acknowledgement.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set on a connection");
            }
        });
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}
