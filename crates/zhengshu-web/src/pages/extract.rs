//! Who is asking for a page, and whether their form is theirs: sessions
//! in the `session` cookie (HttpOnly, SameSite=Lax, Secure behind TLS) make
//! a [`SignedIn`]; one who agreed to the current terms a [`PageHolder`]
//! (others are led to the log-in or the terms page). Forms carry a CSRF
//! token: the HMAC (with the session key) of a random value in the `csrf`
//! cookie (`__Host-csrf` over TLS) that [`csrf_cookie`] gives every page
//! visitor, renewed at log-in, and of the session cookie, so a token
//! serves only the session it was shown in (signed double submit bound to
//! the session); [`CsrfForm`] checks it on every POST.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use zhengshu_domain::Holder;
use zhengshu_storage::SessionKind;

use super::PageError;
use crate::cookies::{cookie, set_cookie};
use crate::error::Error;
use crate::services::sessions::{self, Session};
use crate::services::terms;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "session";
pub const CSRF_COOKIE: &str = "csrf";
/// The CSRF cookie over TLS: the `__Host-` prefix makes browsers refuse
/// it unless it is `Secure`, for path `/` and from this very host, so a
/// neighbouring subdomain cannot plant one.
pub const HOST_CSRF_COOKIE: &str = "__Host-csrf";

/// The name of the CSRF cookie of this service.
pub fn csrf_cookie_name(state: &AppState) -> &'static str {
    if state.secure_cookies() {
        HOST_CSRF_COOKIE
    } else {
        CSRF_COOKIE
    }
}

/// The `csrf` cookie value of this request (set by [`csrf_cookie`]).
#[derive(Debug, Clone)]
struct CsrfCookie(String);

/// Layer of the pages' router: makes sure the browser has a `csrf`
/// cookie, giving a new one when it has none.
pub async fn csrf_cookie(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let name = csrf_cookie_name(&state);
    let existing = cookie(req.headers(), name)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    let (value, fresh) = match existing {
        Some(v) => (v, false),
        None => (sessions::new_token(), true),
    };
    req.extensions_mut().insert(CsrfCookie(value.clone()));
    let mut response = next.run(req).await;
    let renewed = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|c| c.to_str().is_ok_and(|c| c.starts_with(&format!("{name}="))));
    if fresh && !renewed {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(name, &value, state.secure_cookies(), None),
        );
    }
    response
}

/// The CSRF token to put in this page's forms.
#[derive(Debug, Clone)]
pub struct Csrf(pub String);

impl FromRequestParts<AppState> for Csrf {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let value = parts
            .extensions
            .get::<CsrfCookie>()
            .ok_or_else(|| PageError(Error::Internal("csrf middleware missing".into())))?;
        let session = cookie(&parts.headers, SESSION_COOKIE).unwrap_or("");
        Ok(Csrf(sessions::csrf_token(
            &state.session_key,
            &value.0,
            session,
        )))
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
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let cookie_value = cookie(req.headers(), csrf_cookie_name(state))
            .unwrap_or("")
            .to_owned();
        let session = cookie(req.headers(), SESSION_COOKIE)
            .unwrap_or("")
            .to_owned();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                PageError(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::PayloadTooLarge
                } else {
                    Error::BadRequest
                })
            })?;
        let field: CsrfField =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| PageError(Error::CsrfRejected))?;
        if !sessions::csrf_ok(
            &state.session_key,
            &cookie_value,
            &session,
            field.csrf.as_deref().unwrap_or(""),
        ) {
            return Err(PageError(Error::CsrfRejected));
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|_| PageError(Error::BadRequest))
    }
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
        match sessions::find(state, token, SessionKind::Page).await {
            Ok(Some(s)) => Ok(SignedIn(s)),
            Ok(None) => Err(redirect_with_next("/login", parts)),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// A signed-in holder who has agreed to the current terms, identity
/// proven or not; others are led to the log-in or the terms page.
#[derive(Debug, Clone)]
pub struct PageAgreed(pub Holder);

impl FromRequestParts<AppState> for PageAgreed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        match terms::pending(state, &session.holder).await {
            Ok(false) => Ok(PageAgreed(session.holder)),
            Ok(true) => Err(redirect_with_next("/terms", parts)),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// A signed-in holder who has agreed to the current terms and then proven
/// the identity it registered with; others are led to the log-in, the
/// terms, then the identity page, in that order.
#[derive(Debug, Clone)]
pub struct PageHolder(pub Holder);

impl FromRequestParts<AppState> for PageHolder {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let PageAgreed(holder) = PageAgreed::from_request_parts(parts, state).await?;
        if holder.identity.is_proven() {
            Ok(PageHolder(holder))
        } else {
            Err(redirect_with_next("/identity", parts))
        }
    }
}

/// The answer to a log-out: back to `to`, with the session cookie `name`
/// cleared (the holder's and the console's alike).
pub fn signed_out(state: &AppState, name: &str, to: &str) -> Response {
    let mut response = axum::response::Redirect::to(to).into_response();
    response.headers_mut().append(
        axum::http::header::SET_COOKIE,
        crate::cookies::set_cookie(name, "", state.secure_cookies(), Some(0)),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
