//! 用户注册, 登录 and log-out pages.

use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhengshu_domain::IdType;
use zhengshu_storage::SessionKind;

use super::extract::{Csrf, CsrfForm, SESSION_COOKIE, csrf_cookie_name, safe_next};
use super::rarechars::Picker;
use super::{Chrome, PageError, render};
use crate::client::ClientAddr;
use crate::cookies::{cookie, set_cookie};
use crate::error::{Error, field_message};
use crate::i18n::Lang;
use crate::services::accounts::{self, Registration};
use crate::services::{self, FieldError, sessions};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(log_in))
        .route("/logout", post(log_out))
        .route("/register", get(register_form).post(register))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    next: String,
    /// Why the last attempt failed.
    error: Option<String>,
    /// A note from the step before (registered, logged out).
    notice: Option<String>,
    /// The exam-registration platform's log-in is offered.
    platform: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    next: Option<String>,
    registered: Option<String>,
    logged_out: Option<String>,
    recovered: Option<String>,
    username: Option<String>,
}

fn uri_path(uri: &OriginalUri) -> String {
    uri.0
        .path_and_query()
        .map_or_else(|| "/".into(), |p| p.as_str().to_owned())
}

async fn login_form(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    uri: OriginalUri,
    Query(q): Query<LoginQuery>,
) -> Response {
    let notice = if q.registered.is_some() {
        Some(lang.t("login-registered"))
    } else if q.logged_out.is_some() {
        Some(lang.t("login-logged-out"))
    } else if q.recovered.is_some() {
        Some(lang.t("login-recovered"))
    } else {
        None
    };
    let page = LoginPage {
        chrome: Chrome::new(lang, &csrf, None, &uri_path(&uri), lang.t("login-title")),
        username: q.username.unwrap_or_default(),
        next: safe_next(q.next.as_deref()).unwrap_or_default(),
        error: None,
        notice,
        platform: state.platform.is_some(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn log_in(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    let refused = |e: Error| {
        let page = LoginPage {
            chrome: Chrome::new(lang, &csrf, None, "/login", lang.t("login-title")),
            username: form.username.clone(),
            next: next.clone().unwrap_or_default(),
            error: Some(e.message(lang)),
            notice: None,
            platform: state.platform.is_some(),
        };
        let mut response = render(e.status(), &page);
        if let Some(secs) = e.retry_after()
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    };
    let holder = match accounts::log_in(&state, &form.username, &form.password, &client).await {
        Ok(h) => h,
        Err(e @ (services::Error::InvalidCredentials | services::Error::Throttled { .. })) => {
            return Ok(refused(e.into()));
        }
        Err(e) => return Err(e.into()),
    };
    let to = next.unwrap_or_else(|| "/certificates".to_owned());
    signed_in(&state, holder.id, &to).await
}

/// Opens a page session for `holder_id` and goes to `to`, with the session
/// cookie and a fresh CSRF secret (the log-in form's and the platform's
/// log-in alike).
pub(super) async fn signed_in(
    state: &AppState,
    holder_id: i64,
    to: &str,
) -> Result<Response, PageError> {
    let token = sessions::open(state, holder_id, SessionKind::Page).await?;
    let mut response = Redirect::to(to).into_response();
    let secure = state.secure_cookies();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, secure, None),
    );
    // A new CSRF secret with the new session: a token seen before log-in
    // is worth nothing after it.
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            csrf_cookie_name(state),
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
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        sessions::close(&state, &sessions::token_hash(token)).await?;
    }
    Ok(super::extract::signed_out(
        &state,
        SESSION_COOKIE,
        "/login?logged_out=1",
    ))
}

/// One option of the ID type list.
struct IdTypeOption {
    code: &'static str,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    form: Registration,
    id_types: Vec<IdTypeOption>,
    errors: Vec<(&'static str, String)>,
    picker: Picker,
}

impl RegisterPage {
    fn new(lang: Lang, csrf: &str, form: Registration, errors: &[FieldError]) -> Self {
        let id_types = IdType::ALL
            .iter()
            .map(|t| IdTypeOption {
                code: t.code(),
                label: lang.t(&format!("id-type-{}", t.code())),
                selected: form.id_type == t.code(),
            })
            .collect();
        Self {
            chrome: Chrome::new(lang, csrf, None, "/register", lang.t("register-title")),
            id_types,
            errors: errors
                .iter()
                .map(|e| (e.field, field_message(e, lang)))
                .collect(),
            picker: Picker::new("name", "/register"),
            form,
        }
    }

    /// The message of field `name`, if it was refused.
    fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, m)| m.as_str())
    }

    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterQuery {
    name: Option<String>,
}

async fn register_form(lang: Lang, Csrf(csrf): Csrf, Query(q): Query<RegisterQuery>) -> Response {
    let form = Registration {
        name: q.name.unwrap_or_default(),
        id_type: IdType::ResidentId.code().to_owned(),
        ..Registration::default()
    };
    render(StatusCode::OK, &RegisterPage::new(lang, &csrf, form, &[]))
}

async fn register(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    ClientAddr(client): ClientAddr,
    CsrfForm(mut form): CsrfForm<Registration>,
) -> Result<Response, PageError> {
    if form.password_confirmation.is_none() {
        form.password_confirmation = Some(String::new());
    }
    let result = accounts::register(&state, &form, &client).await;
    // Passwords are never sent back.
    let echo = Registration {
        password: String::new(),
        password_confirmation: None,
        ..form.clone()
    };
    match result {
        Ok(_) => {
            let q = serde_urlencoded::to_string([
                ("registered", "1"),
                ("username", form.username.trim()),
            ])
            .unwrap_or_default();
            Ok(Redirect::to(&format!("/login?{q}")).into_response())
        }
        Err(services::Error::Validation(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RegisterPage::new(lang, &csrf, echo, &errors),
        )),
        Err(services::Error::UsernameTaken) => Ok(render(
            StatusCode::CONFLICT,
            &RegisterPage::new(
                lang,
                &csrf,
                echo,
                &[FieldError::new("username", "username_taken")],
            ),
        )),
        Err(e) => Err(e.into()),
    }
}
