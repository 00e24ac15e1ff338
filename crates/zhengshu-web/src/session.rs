//! Who is asking: sessions, cookies, CSRF tokens and client addresses.
//!
//! A session token is 32 random bytes, hex in a cookie (pages:
//! `session`, HttpOnly, SameSite=Lax, Secure behind TLS) or in
//! `Authorization: Bearer` (API). The database keeps only its SHA-256, with
//! an idle timeout and an absolute lifetime; log-out deletes it.
//!
//! Forms carry a CSRF token: the HMAC (with the session key) of a random
//! value in the `csrf` cookie that every page visitor gets, renewed at
//! log-in (signed double submit). Every POST form checks it. The JSON API
//! does not use cookies, so a cross-site page cannot act with a holder's
//! credentials there, and needs no such token.
//!
//! The extractors [`PageHolder`] and [`ApiHolder`] admit signed-in holders
//! who have agreed to the current service terms; [`SignedIn`] and
//! [`ApiSignedIn`] skip the terms (the terms pages and log-out use them).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use zhengshu_domain::Holder;
use zhengshu_storage::{SessionKind, StorageError};

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "session";
pub const CSRF_COOKIE: &str = "csrf";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The value of cookie `name`, from any `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, Secure when the
/// service is served over TLS; `max_age` in seconds, `None` for a browser
/// session cookie.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie names and values are ASCII")
}

/// A fresh random token, 64 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn mac(key: &[u8; 32], purpose: &str, value: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    mac
}

/// The form token for the browser whose `csrf` cookie is `cookie_value`.
pub fn csrf_token(key: &[u8; 32], cookie_value: &str) -> String {
    hex::encode(mac(key, "csrf", cookie_value).finalize().into_bytes())
}

/// Whether `submitted` is the form token of `cookie_value` (compared in
/// constant time).
pub fn csrf_ok(key: &[u8; 32], cookie_value: &str, submitted: &str) -> bool {
    let Ok(bytes) = hex::decode(submitted) else {
        return false;
    };
    !cookie_value.is_empty() && mac(key, "csrf", cookie_value).verify_slice(&bytes).is_ok()
}

/// A keyed, truncated hash of a client address: enough to throttle, not a
/// copy of the address.
pub fn client_key(key: &[u8; 32], addr: &str) -> String {
    let digest = mac(key, "client", addr).finalize().into_bytes();
    format!("client:{}", hex::encode(&digest[..16]))
}

/// The `csrf` cookie value of this request (set by [`csrf_cookie`]).
#[derive(Debug, Clone)]
struct CsrfCookie(String);

/// Middleware for pages: makes sure the browser has a `csrf` cookie,
/// giving a new one when it has none.
pub async fn csrf_cookie(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if crate::i18n::is_api_path(req.uri().path()) {
        return next.run(req).await;
    }
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    let (value, fresh) = match existing {
        Some(v) => (v, false),
        None => (new_token(), true),
    };
    req.extensions_mut().insert(CsrfCookie(value.clone()));
    let mut response = next.run(req).await;
    let renewed = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|c| {
            c.to_str()
                .is_ok_and(|c| c.starts_with(&format!("{CSRF_COOKIE}=")))
        });
    if fresh && !renewed {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &value, state.secure_cookies(), None),
        );
    }
    response
}

/// The CSRF token to put in this page's forms.
#[derive(Debug, Clone)]
pub struct Csrf(pub String);

impl FromRequestParts<AppState> for Csrf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .extensions
            .get::<CsrfCookie>()
            .ok_or_else(|| ApiError::Internal("csrf middleware missing".into()))?;
        Ok(Csrf(csrf_token(&state.session_key, &value.0)))
    }
}

/// A submitted form whose CSRF token matches this browser's cookie;
/// anything else is refused with 403 `csrf_rejected`.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let cookie_value = cookie(req.headers(), CSRF_COOKIE).unwrap_or("").to_owned();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::BadRequest)?;
        let field: CsrfField =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| ApiError::CsrfRejected)?;
        if !csrf_ok(
            &state.session_key,
            &cookie_value,
            field.csrf.as_deref().unwrap_or(""),
        ) {
            return Err(ApiError::CsrfRejected);
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|_| ApiError::BadRequest)
    }
}

/// The client's address: the connection's peer, or the last
/// `X-Forwarded-For` entry when the service runs behind a trusted proxy.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.trust_forwarded_for
            && let Some(last) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|v| !v.is_empty())
        {
            return Ok(ClientAddr(last.to_owned()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(ClientAddr(peer))
    }
}

/// A session found by its token.
#[derive(Debug, Clone)]
pub struct Session {
    pub holder: Holder,
    pub token_hash: Vec<u8>,
}

/// Opens a session for `holder_id`; answers its token.
pub async fn open(state: &AppState, holder_id: i64, kind: SessionKind) -> Result<String, ApiError> {
    let token = new_token();
    let now = state.clock.now();
    let new = zhengshu_storage::NewSession {
        token_hash: token_hash(&token),
        holder_id,
        kind,
        expires_at: now + state.limits.session_idle,
    };
    state.storage.create_session(&new, now).await?;
    Ok(token)
}

/// The live session of `token`, if any; moves its idle expiry.
pub async fn find(
    state: &AppState,
    token: &str,
    kind: SessionKind,
) -> Result<Option<Session>, ApiError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = token_hash(token);
    let now = state.clock.now();
    let record = match state.storage.session(&hash, now).await {
        Ok(r) => r,
        Err(StorageError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let end_of_life = record.created_at + state.limits.session_max;
    if record.kind != kind || end_of_life <= now {
        return Ok(None);
    }
    // Moving the expiry costs a write: at most once a minute per session.
    if now.duration_since(record.last_seen_at) >= jiff::SignedDuration::from_mins(1) {
        let expires = (now + state.limits.session_idle).min(end_of_life);
        state.storage.touch_session(&hash, now, expires).await?;
    }
    let holder = match state.storage.holder(record.holder_id).await {
        Ok(h) => h,
        Err(StorageError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(Some(Session {
        holder,
        token_hash: hash,
    }))
}

/// Whether `holder` still has to agree to the current terms. Without any
/// published terms there is nothing to agree to.
pub async fn terms_pending(state: &AppState, holder: &Holder) -> Result<bool, ApiError> {
    Ok(match state.storage.current_terms().await? {
        None => false,
        Some(t) => holder.accepted_terms.is_none_or(|v| v < t.version),
    })
}

/// A local path to return to: starts with one `/`, no scheme or host.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.contains('\\')
        && !n.chars().any(char::is_control);
    ok.then(|| n.to_owned())
}

fn path_and_query(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

fn redirect_with_next(to: &str, parts: &Parts) -> Response {
    // Only GET requests are worth coming back to.
    if parts.method != Method::GET {
        return Redirect::to(to).into_response();
    }
    let next = serde_urlencoded::to_string([("next", path_and_query(parts))]).unwrap_or_default();
    Redirect::to(&format!("{to}?{next}")).into_response()
}

/// A signed-in page visitor, whether or not the terms are agreed.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Session);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = cookie(&parts.headers, SESSION_COOKIE).unwrap_or("");
        match find(state, token, SessionKind::Page).await {
            Ok(Some(s)) => Ok(SignedIn(s)),
            Ok(None) => Err(redirect_with_next("/login", parts)),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A signed-in holder who has agreed to the current terms; others are led
/// to the log-in or the terms page.
#[derive(Debug, Clone)]
pub struct PageHolder(pub Holder);

impl FromRequestParts<AppState> for PageHolder {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        match terms_pending(state, &session.holder).await {
            Ok(false) => Ok(PageHolder(session.holder)),
            Ok(true) => Err(redirect_with_next("/terms", parts)),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// An API client with a valid bearer token, terms agreed or not.
#[derive(Debug, Clone)]
pub struct ApiSignedIn(pub Session);

impl FromRequestParts<AppState> for ApiSignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthenticated)?;
        find(state, token, SessionKind::Api)
            .await?
            .map(ApiSignedIn)
            .ok_or(ApiError::Unauthenticated)
    }
}

/// An API client whose holder has agreed to the current terms; else 403
/// `terms_not_accepted`.
#[derive(Debug, Clone)]
pub struct ApiHolder(pub Holder);

impl FromRequestParts<AppState> for ApiHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiSignedIn(session) = ApiSignedIn::from_request_parts(parts, state).await?;
        if terms_pending(state, &session.holder).await? {
            return Err(ApiError::TermsNotAccepted);
        }
        Ok(ApiHolder(session.holder))
    }
}

/// Ends the session of `token_hash` (log-out).
pub async fn close(state: &AppState, token_hash: &[u8]) -> Result<(), ApiError> {
    state.storage.delete_session(token_hash).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_bind_to_the_cookie_and_the_key() {
        let key = [5u8; 32];
        let t = csrf_token(&key, "abc");
        assert!(csrf_ok(&key, "abc", &t));
        assert!(!csrf_ok(&key, "abd", &t));
        assert!(!csrf_ok(&[6u8; 32], "abc", &t));
        assert!(!csrf_ok(&key, "", &csrf_token(&key, "")));
        assert!(!csrf_ok(&key, "abc", "not hex"));
        assert!(!csrf_ok(&key, "abc", ""));
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            safe_next(Some("/certificates")).as_deref(),
            Some("/certificates")
        );
        assert_eq!(safe_next(Some("/a?b=c")).as_deref(), Some("/a?b=c"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "",
            "certificates",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn cookies_are_read_from_any_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; session=xyz"));
        h.append(header::COOKIE, HeaderValue::from_static("lang=en"));
        assert_eq!(cookie(&h, "session"), Some("xyz"));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "csrf"), None);
    }
}
