//! 证书查询验证范围: the public page of which qualification types, of
//! which issuing bodies, and which years' certificates can be checked. No
//! session; linked from the holder's empty certificate list, which shows
//! the same years ([`qualification`]).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use zhengshu_domain::{QualificationScope, Years};

use super::{Chrome, PageError, render};
use crate::i18n::{Arg, Lang};
use crate::services;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/scope", get(show))
}

/// An issuing body as the page shows it.
struct Body {
    name: String,
    qualifications: Vec<Qualification>,
}

/// A qualification type as the page shows it (and the holder's empty
/// list's explanation).
pub(super) struct Qualification {
    pub(super) name: String,
    /// The years that can be checked, or why none can.
    pub(super) years: String,
    /// Certificates of it can be checked.
    checkable: bool,
}

#[derive(Template)]
#[template(path = "scope.html")]
struct ScopePage {
    chrome: Chrome,
    bodies: Vec<Body>,
}

fn years_text(lang: Lang, years: Years) -> String {
    if years.from == years.to {
        lang.t_args("scope-year", &[("year", Arg::Num(i64::from(years.from)))])
    } else {
        lang.t_args(
            "scope-years-range",
            &[
                ("from", Arg::Num(i64::from(years.from))),
                ("to", Arg::Num(i64::from(years.to))),
            ],
        )
    }
}

pub(super) fn qualification(lang: Lang, q: QualificationScope) -> Qualification {
    let years = match (q.in_scope, q.years) {
        (false, _) => lang.t("scope-out"),
        (true, None) => lang.t("scope-no-data"),
        (true, Some(years)) => years_text(lang, years),
    };
    Qualification {
        name: q.name,
        years,
        checkable: q.years.is_some(),
    }
}

async fn show(State(state): State<AppState>, lang: Lang) -> Result<Response, PageError> {
    let bodies = services::scope::current(&state)
        .await?
        .into_iter()
        .map(|b| Body {
            name: b.body.name,
            qualifications: b
                .qualifications
                .into_iter()
                .map(|q| qualification(lang, q))
                .collect(),
        })
        .collect();
    let page = ScopePage {
        chrome: Chrome::new(lang, "", None, "/scope", lang.t("scope-title")),
        bodies,
    };
    Ok(render(StatusCode::OK, &page))
}
