//! Enrolment from the one-time link: choose a password, add the TOTP
//! secret to an authenticator (QR code, or the secret typed in), confirm
//! it with a first code, and see the recovery codes once.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::Frame;
use crate::error::{Error, field_message};
use crate::i18n::Lang;
use crate::pages::extract::{Csrf, CsrfForm};
use crate::pages::{Chrome, PageError, render};
use crate::services::{self, staff};
use crate::state::AppState;

/// The QR code's dark modules, drawn by the template as SVG squares.
pub struct Qr {
    pub size: i32,
    pub cells: Vec<(i32, i32)>,
}

impl Qr {
    fn of(text: &str) -> Result<Self, PageError> {
        let qr = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium)
            .map_err(|e| PageError(Error::Internal(format!("qr: {e:?}"))))?;
        let size = qr.size();
        let cells = (0..size)
            .flat_map(|y| (0..size).map(move |x| (x, y)))
            .filter(|(x, y)| qr.get_module(*x, *y))
            .collect();
        Ok(Self { size, cells })
    }

    /// The view box, with a quiet zone of four modules.
    pub fn view_box(&self) -> String {
        format!("-4 -4 {} {}", self.size + 8, self.size + 8)
    }
}

#[derive(Template)]
#[template(path = "console_enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    action: String,
    username: String,
    role: String,
    secret: String,
    qr: Qr,
    errors: Vec<(&'static str, String)>,
}

impl EnrolPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Template)]
#[template(path = "console_enrolled.html")]
struct EnrolledPage {
    chrome: Chrome,
    codes: Vec<String>,
}

fn page(
    lang: Lang,
    csrf: &str,
    token: &str,
    member: &zhengshu_domain::Staff,
    secret: &[u8],
    errors: Vec<(&'static str, String)>,
) -> Result<EnrolPage, PageError> {
    let frame = Frame::new(
        lang,
        csrf,
        None,
        "/console/login",
        lang.t("console-enrol-title"),
    );
    Ok(EnrolPage {
        chrome: frame.chrome,
        action: format!("/console/enrol/{token}"),
        username: member.username.as_str().to_owned(),
        role: lang.t(&format!("role-{}", member.role.code())),
        secret: staff::secret_base32(secret),
        qr: Qr::of(&staff::otpauth_uri(member.username.as_str(), secret))?,
        errors,
    })
}

pub async fn form(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let member = staff::enrolling(&state, &token).await?;
    let secret = staff::new_secret();
    Ok(render(
        StatusCode::OK,
        &page(lang, &csrf, &token, &member, &secret, Vec::new())?,
    ))
}

pub async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<staff::EnrolForm>,
) -> Result<Response, PageError> {
    match staff::enrol(&state, &token, &form).await {
        Ok(codes) => {
            let frame = Frame::new(
                lang,
                &csrf,
                None,
                "/console/login",
                lang.t("console-enrolled-title"),
            );
            Ok(render(
                StatusCode::OK,
                &EnrolledPage {
                    chrome: frame.chrome,
                    codes,
                },
            ))
        }
        Err(services::Error::Validation(fields)) => {
            let member = staff::enrolling(&state, &token).await?;
            // Keep the secret already added to the authenticator.
            let secret = staff::secret_from_base32(&form.secret).unwrap_or_else(staff::new_secret);
            let errors = fields
                .iter()
                .map(|f| (f.field, field_message(f, lang)))
                .collect();
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(lang, &csrf, &token, &member, &secret, errors)?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}
