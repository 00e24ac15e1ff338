//! What every handler and service may use: the shared [`AppState`] (storage,
//! clock, annotation policy, keys, limits, fonts, the document renderer and
//! the workers' waker, the verification recorder and rate limiter) and the
//! [`Limits`] of sessions and log-ins. The bottom floor of the crate: it
//! uses nothing of it but the fonts, the recorder, the rate limiter and
//! the password gate.

use std::sync::Arc;

use jiff::SignedDuration;
use rand::RngCore;
use zhengshu_domain::{AnnotationPolicy, CertificateNumber, Clock};
use zhengshu_storage::{Storage, VerifierKey};

use crate::fonts::RareFonts;
use crate::passwords::PasswordGate;
use crate::ratelimit::{RateLimiter, VerifyLimits};
use crate::recorder::Recorder;

/// Session lifetimes and log-in throttling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A session unused this long ends.
    pub session_idle: SignedDuration,
    /// No session lives longer than this.
    pub session_max: SignedDuration,
    /// The window in which failed log-ins are counted.
    pub login_window: SignedDuration,
    /// Failed log-ins of one account from one client address within the
    /// window before that address is throttled for that account.
    pub login_failures_per_account_client: i64,
    /// Failed log-ins of one account from all addresses within the window
    /// before it is throttled everywhere: high enough that strangers do
    /// not lock the owner out by a few wrong passwords, low enough to stop
    /// a guesser who rotates addresses.
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
            login_failures_per_account_client: 5,
            login_failures_per_account: 50,
            login_failures_per_client: 20,
        }
    }
}

/// Codes, their tries and the throttles of sending and proving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityLimits {
    /// A code works this long after it is sent.
    pub code_ttl: SignedDuration,
    /// Wrong tries before a code is spent.
    pub code_tries: i32,
    /// The window of the counts below.
    pub window: SignedDuration,
    /// Codes sent for one account (to any of its contacts) per window.
    pub sends_per_account: i64,
    /// Codes sent at the request of one client address per window.
    pub sends_per_client: i64,
    /// Codes sent in all per window.
    pub sends_global: i64,
    /// Failed 管理号 tries of one account per window (weak proof: few).
    pub management_tries_per_account: i64,
    /// Failed 管理号 tries from one client address per window.
    pub management_tries_per_client: i64,
    /// Registrations from one client address per window.
    pub registrations_per_client: i64,
    /// Registrations in all per window.
    pub registrations_global: i64,
}

impl Default for IdentityLimits {
    fn default() -> Self {
        Self {
            code_ttl: SignedDuration::from_mins(10),
            code_tries: 5,
            window: SignedDuration::from_hours(1),
            sends_per_account: 5,
            sends_per_client: 20,
            sends_global: 2_000,
            management_tries_per_account: 5,
            management_tries_per_client: 20,
            registrations_per_client: 10,
            registrations_global: 1_000,
        }
    }
}

/// What every handler may use: a shared, copy-on-write handle to
/// [`Shared`]. Axum clones the state of every route and middleware for each
/// request; a clone here is one reference count, where a copy of the
/// fields was some twenty and a few allocations. Fields are read through
/// `Deref` and set through `DerefMut`, which copies them first if the
/// state is already shared, so a changed clone never changes another.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

/// The fields of [`AppState`].
#[derive(Debug, Clone)]
pub struct Shared {
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub policy: Arc<AnnotationPolicy>,
    /// Demo mode: the certificates `GET /api/v1/demo` lists (given by
    /// whoever loaded the demo data); `None` answers 404 there.
    pub demo: Option<Arc<[CertificateNumber]>>,
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
    /// Keys the hashes of verifiers' addresses (`secrets.verifier_key`).
    pub verifier_key: VerifierKey,
    /// Writes verifications in batches, in the background.
    pub recorder: Recorder,
    /// The rate limits of every verify route.
    pub verify_limiter: Arc<RateLimiter>,
    /// Where passwords are hashed and checked, a bounded number at once.
    pub passwords: Arc<PasswordGate>,
    /// Where one-time codes go, by kind of contact; none by default.
    pub senders: zhengshu_notify::Senders,
    /// Codes, proofs and registrations: lifetimes, tries, throttles.
    pub identity_limits: IdentityLimits,
    /// The bearer token that opens `/metrics` on the service's address;
    /// `None` keeps it absent there.
    pub metrics_token: Option<String>,
    /// The exam-registration platform, as an OpenID Connect provider;
    /// `None`: no federated log-in is offered.
    pub platform: Option<Arc<zhengshu_oidc::RelyingParty>>,
    /// Where imports from the console and the import API store photos
    /// (named by their SHA-256, as `zhengshu import` does); `None` refuses
    /// such imports (their checks still run).
    pub photo_store: Option<std::path::PathBuf>,
}

impl AppState {
    /// A state with the default limits, no proxy, no demo, no
    /// rare-character fonts and a random verifier key; set the other fields
    /// as needed. Starts the verification recorder, so it must run inside
    /// a Tokio runtime.
    pub fn new(
        storage: Arc<dyn Storage>,
        clock: Arc<dyn Clock>,
        session_key: [u8; 32],
        public_base_url: impl Into<String>,
    ) -> Self {
        let mut verifier_key = [0u8; 32];
        rand::rng().fill_bytes(&mut verifier_key);
        Self(Arc::new(Shared {
            recorder: Recorder::spawn(storage.clone()),
            verifier_key: VerifierKey::new(verifier_key),
            verify_limiter: Arc::new(RateLimiter::new(VerifyLimits::default())),
            storage,
            clock,
            policy: Arc::new(AnnotationPolicy::default()),
            demo: None,
            session_key,
            public_base_url: public_base_url.into(),
            limits: Limits::default(),
            trust_forwarded_for: false,
            fonts: Arc::new(RareFonts::none()),
            renderer: None,
            workers: None,
            passwords: Arc::new(PasswordGate::per_core()),
            senders: zhengshu_notify::Senders::default(),
            identity_limits: IdentityLimits::default(),
            metrics_token: None,
            platform: None,
            photo_store: None,
        }))
    }

    /// Sets the verification rate limits.
    pub fn set_verify_limits(&mut self, limits: VerifyLimits) {
        self.verify_limiter = Arc::new(RateLimiter::new(limits));
    }

    /// Cookies are `Secure` when the service is reached over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }
}
