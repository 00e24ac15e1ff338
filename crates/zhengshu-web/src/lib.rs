//! The HTTP side of zhengshu: the holder portal's pages (server-rendered
//! askama templates, usable without JavaScript), the JSON API of API.md
//! with its OpenAPI document, the rare-character picker and its fonts, and
//! the health checks, composed in one [`router`] from the areas' own
//! routers with the shared [`AppState`] and the layers (language
//! negotiation, CSRF cookie, security headers, request tracing by matched
//! route). Handlers turn requests into domain types, call storage through
//! the [`zhengshu_storage::Storage`] trait, and answer with templates or
//! JSON; errors leave through [`error::ApiError`], in the request's
//! language ([`i18n`]). [`Server`] is the lifecycle a test or the binary
//! drives: bind (port 0 in tests), run until told to stop, finish the
//! requests in flight.
#![forbid(unsafe_code)]

mod accounts;
pub mod annotate;
mod api;
mod assets;
mod demo;
pub mod error;
pub mod fonts;
mod health;
pub mod i18n;
pub mod openapi;
mod pages;
mod rarechars;
pub mod session;
mod trust;
mod views;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::{HeaderValue, Request, header};
use jiff::SignedDuration;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use zhengshu_domain::{AnnotationPolicy, Clock};
use zhengshu_storage::Storage;

pub use fonts::RareFonts;

/// Session lifetimes and log-in throttling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A session unused this long ends.
    pub session_idle: SignedDuration,
    /// No session lives longer than this.
    pub session_max: SignedDuration,
    /// The window in which failed log-ins are counted.
    pub login_window: SignedDuration,
    /// Failed log-ins of one account within the window before it is
    /// throttled.
    pub login_failures_per_account: i64,
    /// Failed log-ins from one client address within the window.
    pub login_failures_per_client: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            session_idle: SignedDuration::from_mins(30),
            session_max: SignedDuration::from_hours(12),
            login_window: SignedDuration::from_mins(15),
            login_failures_per_account: 5,
            login_failures_per_client: 20,
        }
    }
}

/// What every handler may use.
#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub policy: Arc<AnnotationPolicy>,
    /// Demo mode: `GET /api/v1/demo` answers.
    pub demo: bool,
    /// Keys the CSRF tokens and the client-address hashes.
    pub session_key: [u8; 32],
    /// The public address of this service (QR codes, links in mails); an
    /// `https://` address makes every cookie `Secure`.
    pub public_base_url: String,
    pub limits: Limits,
    /// Behind a reverse proxy: take the client address from the last
    /// `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    /// Fonts served for rare characters.
    pub fonts: Arc<RareFonts>,
    /// Makes the signed documents and holds the seal keys; `None` serves
    /// no documents and no trust root.
    pub renderer: Option<Arc<zhengshu_document::Renderer>>,
    /// Wakes this process's annotation workers after an application;
    /// `None` when they run elsewhere (they then find the job at their
    /// next poll).
    pub workers: Option<Arc<tokio::sync::Notify>>,
}

impl AppState {
    /// A state with the default limits, no proxy and no rare-character
    /// fonts; set the other fields as needed.
    pub fn new(
        storage: Arc<dyn Storage>,
        clock: Arc<dyn Clock>,
        session_key: [u8; 32],
        public_base_url: impl Into<String>,
    ) -> Self {
        Self {
            storage,
            clock,
            policy: Arc::new(AnnotationPolicy::default()),
            demo: false,
            session_key,
            public_base_url: public_base_url.into(),
            limits: Limits::default(),
            trust_forwarded_for: false,
            fonts: Arc::new(RareFonts::none()),
            renderer: None,
            workers: None,
        }
    }

    /// Cookies are `Secure` when the service is reached over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }
}

/// Headers every answer carries: no framing, no sniffing, no inline
/// scripts or styles, no referrer beyond this site.
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
    response
}

/// All routes, with state and layers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(demo::router())
        .merge(api::router())
        .merge(pages::router())
        .merge(assets::router())
        .merge(fonts::router())
        .merge(trust::router())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::csrf_cookie,
        ))
        .layer(axum::middleware::from_fn(i18n::negotiate))
        .layer(axum::middleware::from_fn(security_headers))
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
