//! The dashboard and staff management: an admin sees and invites the
//! staff of their own body; the operator sees every account and invites
//! admins of any body. Officers' and auditors' dashboards link to what
//! their role opens.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use zhengshu_domain::{Actor, Role, Staff};

use super::{Console, Frame};
use crate::client::ClientAddr;
use crate::error::{Error, field_message};
use crate::i18n::Lang;
use crate::pages::extract::{Csrf, CsrfForm};
use crate::pages::{Chrome, PageError, render};
use crate::services::{self, staff};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console_home.html")]
struct HomePage {
    chrome: Chrome,
    frame: Frame,
    manages_staff: bool,
    supports_holders: bool,
    reads_audit: bool,
}

pub async fn dashboard(lang: Lang, Csrf(csrf): Csrf, Console(me): Console) -> Response {
    let frame = Frame::new(lang, &csrf, Some(&me), "/console", lang.t("console-title"));
    render(
        StatusCode::OK,
        &HomePage {
            chrome: frame.chrome.clone(),
            frame,
            manages_staff: matches!(me.role, Role::Admin | Role::Operator),
            supports_holders: crate::services::support::allowed(&me),
            reads_audit: me.reads_audit() || me.role == Role::Operator,
        },
    )
}

/// One account as listed.
struct Row {
    username: String,
    body: String,
    role: String,
    enrolled: bool,
    /// Whether the viewer may reset this account's second factor.
    resettable: bool,
}

#[derive(Template)]
#[template(path = "console_staff.html")]
struct StaffPage {
    chrome: Chrome,
    frame: Frame,
    rows: Vec<Row>,
    /// The roles this viewer may invite.
    roles: Vec<(&'static str, String)>,
    operator: bool,
    invited: Option<String>,
    /// Whether `invited` is the link of a reset account.
    reset: bool,
    errors: Vec<(&'static str, String)>,
    form: AddForm,
}

impl StaffPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn staff_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    me: &Staff,
    invited: Option<String>,
    errors: Vec<(&'static str, String)>,
    form: AddForm,
) -> Result<StaffPage, PageError> {
    let rows = staff::visible_staff(state, me)
        .await?
        .into_iter()
        .map(|s| Row {
            username: s.username.as_str().to_owned(),
            body: s
                .body
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
            role: lang.t(&format!("role-{}", s.role.code())),
            enrolled: s.enrolled(),
            resettable: s.id != me.id && me.manages(s.body.as_ref().map(|b| b.as_str()), s.role),
        })
        .collect();
    let roles = match me.role {
        Role::Operator => vec![Role::Admin],
        _ => Role::BODY_ROLES.to_vec(),
    }
    .into_iter()
    .map(|r| (r.code(), lang.t(&format!("role-{}", r.code()))))
    .collect();
    let frame = Frame::new(
        lang,
        csrf,
        Some(me),
        "/console/staff",
        lang.t("console-staff-title"),
    );
    Ok(StaffPage {
        chrome: frame.chrome.clone(),
        frame,
        rows,
        roles,
        operator: me.role == Role::Operator,
        invited,
        reset: false,
        errors,
        form,
    })
}

pub async fn staff_list(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
) -> Result<Response, PageError> {
    let page = staff_page(
        &state,
        lang,
        &csrf,
        &me,
        None,
        Vec::new(),
        AddForm::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub username: String,
    pub role: String,
    /// Only the operator chooses the body.
    pub body: String,
}

pub async fn add_staff(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<Response, PageError> {
    let role = Role::from_code(&form.role);
    let body = match me.role {
        Role::Operator => Some(form.body.trim().to_owned()),
        _ => me.body.as_ref().map(ToString::to_string),
    };
    let allowed = role.is_some_and(|r| me.manages(body.as_deref(), r));
    let (status, invited, errors) = if !allowed {
        if !matches!(me.role, Role::Admin | Role::Operator) {
            return Err(PageError(Error::NotFound));
        }
        let f = services::FieldError::new("role", "role_not_allowed");
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            vec![(f.field, field_message(&f, lang))],
        )
    } else {
        match staff::invite(
            &*state.storage,
            state.clock.now(),
            &form.username,
            body.as_deref(),
            role.unwrap_or(Role::Auditor),
            &Actor::Staff(me.username.as_str().to_owned()),
            Some(me.role),
            Some(&client),
        )
        .await
        {
            Ok((_, path)) => (
                StatusCode::OK,
                Some(format!(
                    "{}{path}",
                    state.public_base_url.trim_end_matches('/')
                )),
                Vec::new(),
            ),
            Err(services::Error::Validation(fields)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                fields
                    .iter()
                    .map(|f| (f.field, field_message(f, lang)))
                    .collect(),
            ),
            Err(services::Error::UsernameTaken) => (
                StatusCode::CONFLICT,
                None,
                vec![("username", Error::UsernameTaken.message(lang))],
            ),
            Err(e) => return Err(e.into()),
        }
    };
    let keep = if invited.is_some() {
        AddForm::default()
    } else {
        form
    };
    let page = staff_page(&state, lang, &csrf, &me, invited, errors, keep).await?;
    Ok(render(status, &page))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    pub username: String,
}

/// Resets a staff member's password and second factor (an admin for their
/// body's staff, the operator for admins) and shows the new enrolment
/// link; any other account answers like an absent page.
pub async fn reset_staff(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Console(me): Console,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, PageError> {
    let path = staff::reset(&state, &me, &form.username, &client).await?;
    let link = format!("{}{path}", state.public_base_url.trim_end_matches('/'));
    let mut page = staff_page(
        &state,
        lang,
        &csrf,
        &me,
        Some(link),
        Vec::new(),
        AddForm::default(),
    )
    .await?;
    page.reset = true;
    Ok(render(StatusCode::OK, &page))
}
