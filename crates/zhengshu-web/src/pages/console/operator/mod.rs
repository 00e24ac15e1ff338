//! The platform operator's pages: issuing bodies, the qualification-type
//! catalogue, the verification scope settings, service-terms versions and
//! seal keys. Every table is sorted and paged on the server (`sort`,
//! `dir`, `page` in the query); every form posts with the CSRF token and
//! answers the same page again, with a notice or the refused fields. Any
//! other role gets the absent page.

use axum::http::StatusCode;
use serde::Deserialize;
use zhengshu_domain::Staff;

use super::Frame;
use crate::error::{Error, field_message};
use crate::i18n::Lang;
use crate::pages::PageError;
use crate::services::{self, operator};

mod bodies;
mod seals;
mod terms;
mod types;

pub use bodies::{add_body, bodies, rename_body};
pub use seals::seals;
pub use terms::{publish_terms, terms};
pub use types::{add_type, edit_type, scope, set_scope, types};

/// Rows on one page of a table.
pub const PAGE_SIZE: usize = 20;

/// How a table is sorted and which page is shown.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TableQuery {
    pub sort: String,
    /// `desc` for descending; ascending otherwise.
    pub dir: String,
    /// Bad or missing: the first page.
    pub page: String,
}

/// A column heading: a link sorting by it (reversing when it is the
/// sort already) and the mark of the current order.
pub struct Col {
    pub label: String,
    pub href: String,
    pub mark: &'static str,
}

/// The headings and pager of one table.
pub struct Table {
    pub cols: Vec<Col>,
    pub page: usize,
    pub pages: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub total: usize,
}

/// Sorts `rows` by the column `q.sort` names (the first column when it
/// names none), then keeps page `q.page`.
fn table<T>(
    lang: Lang,
    path: &str,
    q: &TableQuery,
    cols: &[(&str, &str)],
    mut rows: Vec<T>,
    key: impl Fn(&T, &str) -> String,
) -> (Vec<T>, Table) {
    let sort = cols
        .iter()
        .find(|(k, _)| *k == q.sort)
        .map_or(cols[0].0, |(k, _)| *k);
    let desc = q.dir == "desc";
    rows.sort_by_cached_key(|r| key(r, sort));
    if desc {
        rows.reverse();
    }
    let total = rows.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = q.page.trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
    let href = |s: &str, d: bool, p: usize| {
        format!(
            "{path}?sort={s}&dir={}&page={p}",
            if d { "desc" } else { "asc" }
        )
    };
    let shown = rows
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let cols = cols
        .iter()
        .map(|(k, label)| Col {
            label: lang.t(label),
            href: href(k, *k == sort && !desc, 1),
            mark: match (*k == sort, desc) {
                (false, _) => "",
                (true, false) => " ▲",
                (true, true) => " ▼",
            },
        })
        .collect();
    let table = Table {
        cols,
        page,
        pages,
        prev: (page > 1).then(|| href(sort, desc, page - 1)),
        next: (page < pages).then(|| href(sort, desc, page + 1)),
        total,
    };
    (shown, table)
}

/// What a form's answer shows besides the table: a notice, or the refused
/// fields (and which row's form they concern).
#[derive(Default)]
pub struct Outcome {
    pub notice: Option<String>,
    pub errors: Vec<(&'static str, String)>,
    /// The row whose form was refused (its code); none for the add form.
    pub failed: Option<String>,
}

impl Outcome {
    fn status(&self) -> StatusCode {
        if self.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The refusal of a row's form, or of a form whose whole page changed.
    fn refused(lang: Lang, e: services::Error, row: Option<String>) -> Result<Self, PageError> {
        match e {
            services::Error::Validation(fields) => Ok(Outcome {
                notice: None,
                errors: fields
                    .iter()
                    .map(|f| (f.field, field_message(f, lang)))
                    .collect(),
                failed: row,
            }),
            other => Err(other.into()),
        }
    }
}

fn guard(me: &Staff) -> Result<(), PageError> {
    if operator::allowed(me) {
        Ok(())
    } else {
        Err(PageError(Error::NotFound))
    }
}

fn frame(lang: Lang, csrf: &str, me: &Staff, path: &str, title: &str) -> Frame {
    Frame::new(lang, csrf, Some(me), path, lang.t(title))
}
