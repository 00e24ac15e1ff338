//! 生僻字输入: the rare-character picker beside name fields, and its page
//! for browsers without JavaScript, where a name is composed character by
//! character and then taken back to the form; the page says how many
//! candidates there are, pages through them and narrows a syllable by tone.

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
use crate::i18n::{Arg, Lang};
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

#[cfg(test)]
mod tests {
    #[test]
    fn tone_marks_go_where_pinyin_puts_them() {
        for (s, t, want) in [
            ("yan", 4, "yàn"),
            ("gou", 3, "gǒu"),
            ("gui", 2, "guí"),
            ("lv", 4, "lǜ"),
            ("xiong", 1, "xiōng"),
        ] {
            assert_eq!(super::with_tone_mark(s, t), want);
        }
    }
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
    /// How many candidates the query has, and which of them are shown.
    count: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    /// For a pinyin query without a tone: the same syllable in each tone.
    tones: Vec<ToneLink>,
}

/// A narrower search: the syllable in one tone.
struct ToneLink {
    label: String,
    href: String,
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
    offset: Option<usize>,
    name: Option<String>,
    back: Option<String>,
}

/// This page for `q`, keeping the name being composed and where to return.
fn href(q: &RareCharsQuery, name: &str, back: &str) -> String {
    let mut params = vec![("back", back.to_owned()), ("name", name.to_owned())];
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
    if let Some(o) = q.offset.filter(|o| *o > 0) {
        params.push(("offset", o.to_string()));
    }
    format!(
        "/rarechars?{}",
        serde_urlencoded::to_string(&params).unwrap_or_default()
    )
}

/// `yan`, 2 → `yán`: the mark on a or e, on the o of ou, else on the last
/// vowel; `v` and `u:` are ü.
fn with_tone_mark(syllable: &str, tone: usize) -> String {
    const MARKS: [(char, [char; 4]); 6] = [
        ('a', ['ā', 'á', 'ǎ', 'à']),
        ('e', ['ē', 'é', 'ě', 'è']),
        ('i', ['ī', 'í', 'ǐ', 'ì']),
        ('o', ['ō', 'ó', 'ǒ', 'ò']),
        ('u', ['ū', 'ú', 'ǔ', 'ù']),
        ('ü', ['ǖ', 'ǘ', 'ǚ', 'ǜ']),
    ];
    let s: Vec<char> = syllable
        .to_lowercase()
        .replace("u:", "ü")
        .replace('v', "ü")
        .chars()
        .collect();
    let is_vowel = |c: &char| MARKS.iter().any(|(v, _)| v == c);
    let at = s
        .iter()
        .position(|&c| c == 'a' || c == 'e')
        .or_else(|| s.windows(2).position(|w| w == ['o', 'u']))
        .or_else(|| s.iter().rposition(is_vowel));
    s.iter()
        .enumerate()
        .map(
            |(i, &c)| match (Some(i) == at, MARKS.iter().find(|(v, _)| *v == c)) {
                (true, Some((_, m))) => m[tone - 1],
                _ => c,
            },
        )
        .collect()
}

/// The four tones of a toneless ASCII syllable (`yan` → `yan1`…`yan4`),
/// labelled with their tone marks by the search itself.
fn tone_links(q: &RareCharsQuery, name: &str, back: &str) -> Vec<ToneLink> {
    let Some(p) = q.pinyin.as_deref().map(str::trim) else {
        return Vec::new();
    };
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphabetic() || b == b':') {
        return Vec::new();
    }
    (1..=4)
        .filter_map(|tone| {
            let narrowed = RareCharsQuery {
                pinyin: Some(format!("{p}{tone}")),
                limit: Some(1),
                ..RareCharsQuery::default()
            };
            let page = rarechars::search(&narrowed).ok()?;
            (page.total > 0).then(|| ToneLink {
                label: format!("{} ({})", with_tone_mark(p, tone), page.total),
                href: href(
                    &RareCharsQuery {
                        limit: None,
                        ..narrowed
                    },
                    name,
                    back,
                ),
            })
        })
        .collect()
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
        offset: pq.offset,
    };
    // The name being composed is echoed into every link of the page: no
    // longer than a name can be, so that a long one cannot multiply the
    // answer.
    let name: String = pq
        .name
        .unwrap_or_default()
        .chars()
        .take(zhengshu_domain::name::MAX_NAME_CHARS)
        .collect();
    let back = safe_next(pq.back.as_deref()).unwrap_or_else(|| "/register".into());
    let searched = !q.is_empty();
    let (page, error) = if searched {
        match rarechars::search(&q) {
            Ok(found) => (Some(found), None),
            Err(e) => {
                let e = Error::from(e);
                let message = e
                    .fields()
                    .first()
                    .map_or_else(|| e.message(lang), |f| field_message(f, lang));
                (None, Some(message))
            }
        }
    } else {
        (None, None)
    };
    let offset = q.offset.unwrap_or(0);
    let (total, candidates) = page.map_or((0, Vec::new()), |p| (p.total, p.candidates));
    let shown = candidates.len();
    let results = candidates
        .into_iter()
        .map(|c| {
            let mut composed = name.clone();
            composed.push(c.char);
            Found {
                char: c.char,
                codepoint: c.codepoint,
                pinyin: c.pinyin.join(" "),
                add_href: href(&q, &composed, &back),
            }
        })
        .collect();
    let at = |o: usize| {
        href(
            &RareCharsQuery {
                offset: Some(o),
                ..q.clone()
            },
            &name,
            &back,
        )
    };
    let prev_href = (offset > 0).then(|| at(offset.saturating_sub(rarechars::DEFAULT_LIMIT)));
    let next_href = (offset + shown < total).then(|| at(offset + shown));
    let tones = if error.is_none() {
        tone_links(&q, &name, &back)
    } else {
        Vec::new()
    };
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
        count: lang.t_args(
            "rarechars-count",
            &[
                ("total", Arg::Num(i64::try_from(total).unwrap_or(i64::MAX))),
                ("first", Arg::Num(i64::try_from(offset + 1).unwrap_or(0))),
                ("last", Arg::Num(i64::try_from(offset + shown).unwrap_or(0))),
            ],
        ),
        prev_href,
        next_href,
        tones,
    };
    let status = if page.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &page)
}
