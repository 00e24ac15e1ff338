//! A fresh application per test, and clients that talk to it the way a
//! browser (cookies, CSRF tokens from the page) or an API client (bearer
//! tokens) would.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use jiff::Timestamp;
use serde_json::Value;
use tower::ServiceExt;
use zhengshu_domain::{
    Actor, CertificateNumber, FixedClock, HolderName, IdDocument, IdType, Password, Revocation,
    Username,
};
use zhengshu_storage::{NewHolder, Storage};
use zhengshu_storage_sqlite::SqliteStore;
use zhengshu_web::{AppState, RareFonts};

pub const T0: &str = "2026-11-20T02:00:00Z";

/// The document renderer of the tests: the system's CJK fonts and seal
/// keys kept under the target directory, made once per test binary.
pub fn renderer() -> Arc<zhengshu_document::Renderer> {
    static RENDERER: std::sync::OnceLock<Arc<zhengshu_document::Renderer>> =
        std::sync::OnceLock::new();
    RENDERER
        .get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-seal-keys");
            let bodies = zhengshu_demo::issuing_bodies();
            let pairs: Vec<(&str, &str)> = bodies
                .iter()
                .map(|b| (b.code.as_str(), b.name.as_str()))
                .collect();
            let pki = zhengshu_document::Pki::init(&dir, &pairs).expect("seal keys");
            let fonts = zhengshu_document::Fonts::discover()
                .expect("CJK fonts: apt-get install fonts-noto-cjk fonts-hanazono");
            Arc::new(zhengshu_document::Renderer::new(
                fonts,
                pki,
                zhengshu_document::RenderSettings::default(),
            ))
        })
        .clone()
}

/// An application that makes documents.
pub async fn documents_app() -> App {
    app_with(|s| s.renderer = Some(renderer())).await
}

impl App {
    /// A worker on this application's store, clock and renderer.
    pub fn worker(&self) -> zhengshu_worker::Worker {
        zhengshu_worker::Worker::new(
            self.store.clone(),
            self.state
                .renderer
                .clone()
                .expect("an app made by documents_app"),
            Arc::new(self.clock.clone()),
            zhengshu_worker::WorkerConfig::default(),
        )
    }

    /// Generates every pending annotation document, synchronously.
    pub async fn drain(&self) -> Vec<zhengshu_worker::Outcome> {
        self.worker().drain().await.expect("drain the queue")
    }
}
pub const PASSWORD: &str = zhengshu_demo::DEMO_PASSWORD;

/// An application on its own database, with the demo's reference data,
/// the demo holders' certificates (one revoked) and the first terms.
pub struct App {
    pub router: Router,
    pub state: AppState,
    pub clock: FixedClock,
    pub store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

pub async fn app() -> App {
    app_with(|_| {}).await
}

pub async fn app_with(configure: impl FnOnce(&mut AppState)) -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("web.db").display());
    let store = Arc::new(
        SqliteStore::connect(&url, zhengshu_storage_story::test_vault())
            .await
            .expect("open SQLite"),
    );
    seed(&*store).await;
    let clock = FixedClock::new(T0.parse().unwrap());
    let mut state = AppState::new(
        store.clone(),
        Arc::new(clock.clone()),
        [42; 32],
        "http://127.0.0.1",
    );
    state.fonts = Arc::new(RareFonts::from_files(
        zhengshu_web::fonts::HANAMIN.iter().map(Into::into),
    ));
    configure(&mut state);
    App {
        router: zhengshu_web::router(state.clone()),
        state,
        clock,
        store,
        _dir: dir,
    }
}

/// Reference data, the demo holders' four certificates (one revoked) and
/// the first terms, without the 10,000 synthetic certificates.
pub async fn seed(s: &dyn Storage) {
    s.migrate().await.unwrap();
    for b in zhengshu_demo::issuing_bodies() {
        s.put_issuing_body(&b).await.unwrap();
    }
    for q in zhengshu_demo::qualification_types() {
        s.put_qualification_type(&q).await.unwrap();
    }
    let actor = Actor::Cli("test".into());
    let mut tx = s.begin_import(&actor).await.unwrap();
    let at: Timestamp = T0.parse().unwrap();
    tx.write(&zhengshu_demo::showcase_certificates(), false, at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    s.revoke_certificate(
        &CertificateNumber::parse(zhengshu_demo::REVOKED_NUMBER).unwrap(),
        &Revocation {
            at: "2024-03-01T02:30:00Z".parse().unwrap(),
            reason: "资格考试违纪，依规取消考试成绩并撤销证书".into(),
        },
        &actor,
    )
    .await
    .unwrap();
    s.publish_terms(zhengshu_demo::TERMS_TEXT, at)
        .await
        .unwrap();
}

/// A password hash made once per test binary (hashing is slow by design).
fn hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| Password::parse(PASSWORD).unwrap().hash())
        .clone()
}

/// Creates a holder with [`PASSWORD`] whose identity is proven (as by a
/// one-time code); answers its id.
pub async fn holder(app: &App, username: &str, name: &str, id_number: &str) -> i64 {
    let id = unproven_holder(app, username, name, id_number).await;
    app.store
        .prove_identity(id, zhengshu_domain::IdentityProof::Code, app.clock.now_ts())
        .await
        .unwrap();
    id
}

/// Creates a holder with [`PASSWORD`] that has proven nothing yet.
pub async fn unproven_holder(app: &App, username: &str, name: &str, id_number: &str) -> i64 {
    app.store
        .create_holder(
            &NewHolder {
                username: Username::parse(username).unwrap(),
                name: HolderName::parse(name).unwrap(),
                id_document: IdDocument::parse(IdType::ResidentId, id_number).unwrap(),
                password_hash: hash(),
            },
            app.clock.now_ts(),
        )
        .await
        .unwrap()
}

/// The demo holder 张三 (three certificates, one revoked).
pub async fn zhang(app: &App) -> i64 {
    let d = zhengshu_demo::DEMO;
    holder(app, d.username, d.name, d.id_number).await
}

/// The demo holder 陈𠀾 (one certificate).
pub async fn chen(app: &App) -> i64 {
    let d = zhengshu_demo::DEMO_EXT_B;
    holder(app, d.username, d.name, d.id_number).await
}

pub trait ClockExt {
    fn now_ts(&self) -> Timestamp;
}

impl ClockExt for FixedClock {
    fn now_ts(&self) -> Timestamp {
        zhengshu_domain::Clock::now(self)
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent (documents are binary).
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location; status {} body {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error code of an API error.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {}", self.body))
            .to_owned()
    }

    /// The value of the hidden CSRF field of the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.body))
            + marker.len();
        self.body[at..at + 64].to_owned()
    }
}

pub async fn send(router: &Router, req: Request<Body>) -> Answer {
    let response = router.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}

/// A browser: keeps cookies, sends forms with the page's CSRF token.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
    pub accept_language: Option<String>,
    /// Sent as `X-Forwarded-For` (with a state that trusts it).
    pub client: Option<String>,
}

impl Browser {
    pub fn new() -> Self {
        Self::default()
    }

    fn request(&self, method: Method, path: &str) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            b = b.header(header::COOKIE, c.join("; "));
        }
        if let Some(l) = &self.accept_language {
            b = b.header(header::ACCEPT_LANGUAGE, l);
        }
        if let Some(c) = &self.client {
            b = b.header("x-forwarded-for", c);
        }
        b
    }

    fn keep_cookies(&mut self, a: &Answer) {
        for v in a.headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if v.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn get(&mut self, app: &App, path: &str) -> Answer {
        let req = self.request(Method::GET, path).body(Body::empty()).unwrap();
        let a = send(&app.router, req).await;
        self.keep_cookies(&a);
        a
    }

    /// Posts a form as it is, CSRF field included or not.
    pub async fn post_raw(&mut self, app: &App, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = self
            .request(Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let a = send(&app.router, req).await;
        self.keep_cookies(&a);
        a
    }

    /// Opens `page`, then posts its form to `path` with the page's CSRF
    /// token.
    pub async fn submit(
        &mut self,
        app: &App,
        page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let token = self.get(app, page).await.csrf();
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(app, path, &all).await
    }

    /// Logs in through the page; answers the redirect.
    pub async fn log_in(&mut self, app: &App, username: &str, password: &str) -> Answer {
        self.submit(
            app,
            "/login",
            "/login",
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Logs in and agrees to the terms.
    pub async fn log_in_agreed(&mut self, app: &App, username: &str) {
        let a = self.log_in(app, username, PASSWORD).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let terms = self.get(app, "/terms").await;
        let version = terms
            .body
            .split("name=\"version\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("1")
            .to_owned();
        let done = self
            .post_raw(
                app,
                "/terms",
                &[("csrf", &terms.csrf()), ("version", &version)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    }
}

/// A JSON API request.
pub async fn api(
    app: &App,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    api_lang(app, method, path, token, body, None).await
}

pub async fn api_lang(
    app: &App,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    lang: Option<&str>,
) -> Answer {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(l) = lang {
        b = b.header(header::ACCEPT_LANGUAGE, l);
    }
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    send(&app.router, req).await
}

/// A bearer token for `username` ([`PASSWORD`]).
pub async fn token(app: &App, username: &str) -> String {
    let a = api(
        app,
        Method::POST,
        "/api/v1/sessions",
        None,
        Some(serde_json::json!({"username": username, "password": PASSWORD})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()["token"].as_str().unwrap().to_owned()
}

/// A token whose holder has agreed to the terms.
pub async fn agreed_token(app: &App, username: &str) -> String {
    let t = token(app, username).await;
    let a = api(app, Method::POST, "/api/v1/terms/accept", Some(&t), None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    t
}

/// The id of the certificate numbered `number`.
pub async fn certificate_id(app: &App, number: &str) -> i64 {
    app.store
        .certificate_by_number(&CertificateNumber::parse(number).unwrap())
        .await
        .unwrap()
        .id
}
