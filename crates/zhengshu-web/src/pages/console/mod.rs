//! The console of issuing-body staff and platform operators under
//! `/console`: log-in with password and TOTP, enrolment from the one-time
//! link, the dashboard, staff management (with resetting a member's
//! password and second factor), officers' holder support, the body's
//! imports (upload, preview, confirmation) and its import tokens, its
//! certificates (revocation and its undoing, corrections, electronic
//! files), the audit
//! log, and the platform operator's pages (issuing bodies, the
//! qualification-type catalogue, the verification scope, service-terms
//! versions, seal keys). Its session
//! lives in its own `console_session` cookie, which holder pages never
//! read (and the console never reads the holder's `session`); forms carry
//! the pages' CSRF token. Every view is scoped by the domain's rules
//! ([`zhengshu_domain::Staff::sees_body`]); a page a role may not open
//! answers like an absent one.

mod audit;
mod certificate_search;
mod certificates;
mod enrol;
mod holders;
mod imports;
mod operator;
mod views;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhengshu_domain::Staff;

use super::extract::{Csrf, CsrfForm, csrf_cookie_name};
use super::{Chrome, PageError, render};
use crate::client::ClientAddr;
use crate::cookies::{cookie, set_cookie};
use crate::error::Error;
use crate::i18n::Lang;
use crate::services::{self, sessions, staff};
use crate::state::AppState;

pub const CONSOLE_COOKIE: &str = "console_session";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(views::dashboard))
        .route("/console/login", get(login_form).post(log_in))
        .route("/console/logout", post(log_out))
        .route(
            "/console/enrol/{token}",
            get(enrol::form).post(enrol::submit),
        )
        .route(
            "/console/staff",
            get(views::staff_list).post(views::add_staff),
        )
        .route("/console/staff/reset", post(views::reset_staff))
        .route("/console/holders", get(holders::search))
        .route("/console/holders/unlink", post(holders::unlink))
        .route("/console/certificates", get(certificate_search::search))
        .route("/console/certificates/{id}", get(certificates::show))
        .route(
            "/console/certificates/{id}/revoke",
            post(certificates::revoke),
        )
        .route(
            "/console/certificates/{id}/reinstate",
            post(certificates::reinstate),
        )
        .route(
            "/console/certificates/{id}/correct",
            post(certificates::correct),
        )
        .route(
            "/console/certificates/{id}/files",
            post(certificates::attach),
        )
        .route(
            "/console/certificates/{id}/files/{file}/retire",
            post(certificates::retire_file),
        )
        .route("/console/audit", get(audit::list))
        .route("/console/audit.csv", get(audit::csv))
        .route(
            "/console/bodies",
            get(operator::bodies).post(operator::add_body),
        )
        .route("/console/bodies/rename", post(operator::rename_body))
        .route(
            "/console/types",
            get(operator::types).post(operator::add_type),
        )
        .route("/console/types/edit", post(operator::edit_type))
        .route(
            "/console/scope",
            get(operator::scope).post(operator::set_scope),
        )
        .route(
            "/console/terms",
            get(operator::terms).post(operator::publish_terms),
        )
        .route("/console/seals", get(operator::seals))
        .route("/console/imports", get(imports::list).post(imports::upload))
        .route("/console/imports/{id}", get(imports::show))
        .route("/console/imports/{id}/rejects.csv", get(imports::rejects))
        .route("/console/imports/{id}/confirm", post(imports::confirm))
        .route("/console/tokens", get(imports::tokens).post(imports::issue))
        .route("/console/tokens/revoke", post(imports::revoke))
}

/// A signed-in staff member or operator; others are led to the console's
/// log-in (a holder's session counts for nothing here).
#[derive(Debug, Clone)]
pub struct Console(pub Staff);

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = cookie(&parts.headers, CONSOLE_COOKIE).unwrap_or("");
        match staff::find_session(state, token).await {
            Ok(Some((s, _))) => Ok(Console(s)),
            Ok(None) => Err(Redirect::to("/console/login").into_response()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// The frame of a console page: the `Chrome` and who is signed in.
pub struct Frame {
    pub chrome: Chrome,
    pub who: Option<String>,
    pub role: String,
    pub body: String,
    /// Whether the platform operator's pages are linked.
    pub operator: bool,
}

impl Frame {
    pub fn new(lang: Lang, csrf: &str, staff: Option<&Staff>, path: &str, title: String) -> Self {
        Self {
            chrome: Chrome::new(lang, csrf, None, path, title),
            who: staff.map(|s| s.username.as_str().to_owned()),
            role: staff.map_or_else(String::new, |s| lang.t(&format!("role-{}", s.role.code()))),
            body: staff
                .and_then(|s| s.body.as_ref())
                .map_or_else(String::new, ToString::to_string),
            operator: staff.is_some_and(services::operator::allowed),
        }
    }
}

#[derive(Template)]
#[template(path = "console_login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    logged_out: Option<String>,
    enrolled: Option<String>,
}

async fn login_form(
    lang: Lang,
    Csrf(csrf): Csrf,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Response {
    let notice = if q.logged_out.is_some() {
        Some(lang.t("login-logged-out"))
    } else if q.enrolled.is_some() {
        Some(lang.t("console-enrolled-login"))
    } else {
        None
    };
    let frame = Frame::new(
        lang,
        &csrf,
        None,
        "/console/login",
        lang.t("console-login-title"),
    );
    render(
        StatusCode::OK,
        &LoginPage {
            chrome: frame.chrome,
            username: String::new(),
            error: None,
            notice,
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

async fn log_in(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let found = staff::log_in(&state, &form.username, &form.password, &form.code, &client).await;
    let member = match found {
        Ok(s) => s,
        Err(e @ (services::Error::InvalidCredentials | services::Error::Throttled { .. })) => {
            let e: Error = e.into();
            let frame = Frame::new(
                lang,
                &csrf,
                None,
                "/console/login",
                lang.t("console-login-title"),
            );
            let mut response = render(
                e.status(),
                &LoginPage {
                    chrome: frame.chrome,
                    username: form.username.clone(),
                    error: Some(e.message(lang)),
                    notice: None,
                },
            );
            if let Some(secs) = e.retry_after()
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(response);
        }
        Err(e) => return Err(e.into()),
    };
    let token = staff::open_session(&state, &member).await?;
    let mut response = Redirect::to("/console").into_response();
    let secure = state.secure_cookies();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(CONSOLE_COOKIE, &token, secure, None),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            csrf_cookie_name(&state),
            &sessions::new_token(),
            secure,
            None,
        ),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct Empty {}

async fn log_out(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    if let Some(token) = cookie(&headers, CONSOLE_COOKIE) {
        staff::close_session(&state, &sessions::token_hash(token)).await?;
    }
    Ok(crate::pages::extract::signed_out(
        &state,
        CONSOLE_COOKIE,
        "/console/login?logged_out=1",
    ))
}
