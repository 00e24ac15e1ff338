//! 生僻字输入: the rare-character picker beside name fields, and its page
//! for browsers without JavaScript, where a name is composed character by
//! character and then taken back to the form.

use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::extract::{Csrf, safe_next};
use super::{Chrome, render};
use crate::error::{Error, field_message};
use crate::i18n::Lang;
use crate::services::rarechars::{self, RareCharsQuery};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/rarechars", get(page))
}

/// One radical of the radical list.
pub struct RadicalOption {
    pub number: u8,
    pub radical: char,
    pub strokes: u8,
}

fn radical_options() -> Vec<RadicalOption> {
    zhengshu_rarechars::radicals()
        .iter()
        .map(|r| RadicalOption {
            number: r.number,
            radical: r.radical,
            strokes: r.strokes,
        })
        .collect()
}

/// The picker beside one name field.
pub struct Picker {
    /// The id of the input it writes into.
    pub field: &'static str,
    /// Where the no-JS page returns to.
    pub back: &'static str,
    pub radicals: Vec<RadicalOption>,
}

impl Picker {
    pub fn new(field: &'static str, back: &'static str) -> Self {
        Self {
            field,
            back,
            radicals: radical_options(),
        }
    }

    /// The no-JS page for this field.
    pub fn fallback_href(&self, name: &str) -> String {
        let q =
            serde_urlencoded::to_string([("back", self.back), ("name", name)]).unwrap_or_default();
        format!("/rarechars?{q}")
    }
}

/// A found character as the page shows it.
struct Found {
    char: char,
    codepoint: String,
    pinyin: String,
    /// Appends the character to the name being composed.
    add_href: String,
}

#[derive(Template)]
#[template(path = "rarechars.html")]
struct RareCharsPage {
    chrome: Chrome,
    q: RareCharsQuery,
    name: String,
    back: String,
    results: Vec<Found>,
    searched: bool,
    error: Option<String>,
    radicals: Vec<RadicalOption>,
}

impl RareCharsPage {
    fn use_href(&self) -> String {
        let q = serde_urlencoded::to_string([("name", self.name.as_str())]).unwrap_or_default();
        format!("{}?{q}", self.back)
    }

    fn radical_selected(&self, n: &u8) -> bool {
        self.q.radical.as_deref().map(str::trim) == Some(n.to_string().as_str())
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    pinyin: Option<String>,
    codepoint: Option<String>,
    radical: Option<String>,
    strokes: Option<String>,
    name: Option<String>,
    back: Option<String>,
}

async fn page(
    lang: Lang,
    Csrf(csrf): Csrf,
    uri: OriginalUri,
    Query(pq): Query<PageQuery>,
) -> Response {
    let q = RareCharsQuery {
        pinyin: pq.pinyin,
        codepoint: pq.codepoint,
        radical: pq.radical,
        strokes: pq.strokes,
        limit: None,
    };
    let name = pq.name.unwrap_or_default();
    let back = safe_next(pq.back.as_deref()).unwrap_or_else(|| "/register".into());
    let searched = !q.is_empty();
    let (results, error) = if searched {
        match rarechars::search(&q) {
            Ok(found) => (found, None),
            Err(e) => {
                let e = Error::from(e);
                let message = e
                    .fields()
                    .first()
                    .map_or_else(|| e.message(lang), |f| field_message(f, lang));
                (Vec::new(), Some(message))
            }
        }
    } else {
        (Vec::new(), None)
    };
    let results = results
        .into_iter()
        .map(|c| {
            let mut composed = name.clone();
            composed.push(c.char);
            let mut params = vec![("back", back.clone()), ("name", composed)];
            for (k, v) in [
                ("pinyin", &q.pinyin),
                ("codepoint", &q.codepoint),
                ("radical", &q.radical),
                ("strokes", &q.strokes),
            ] {
                if let Some(v) = v {
                    params.push((k, v.clone()));
                }
            }
            Found {
                char: c.char,
                codepoint: c.codepoint,
                pinyin: c.pinyin.join(" "),
                add_href: format!(
                    "/rarechars?{}",
                    serde_urlencoded::to_string(&params).unwrap_or_default()
                ),
            }
        })
        .collect();
    let path = uri
        .0
        .path_and_query()
        .map_or_else(|| "/rarechars".into(), |p| p.as_str().to_owned());
    let page = RareCharsPage {
        chrome: Chrome::new(lang, &csrf, None, &path, lang.t("rarechars-title")),
        q,
        name,
        back,
        results,
        searched,
        error,
        radicals: radical_options(),
    };
    let status = if page.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &page)
}
