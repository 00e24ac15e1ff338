//! Translations: the three languages of the portal (zh-CN, the default;
//! zh-TW; English), one Fluent file each under `locales/`, embedded at
//! compile time. Pages and API error messages both take their text from
//! here and nowhere else. The language of a request comes from the
//! `lang` cookie (set by the language switch) or else `Accept-Language`;
//! [`negotiate`] puts it in the request's extensions, where handlers and
//! the error renderers of `api/` and `pages/` take it as the [`Lang`]
//! extractor.

use std::borrow::Cow;
use std::sync::OnceLock;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The cookie the language switch sets.
pub const LANG_COOKIE: &str = "lang";

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    ZhTw,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::ZhCn, Lang::ZhTw, Lang::En];

    /// The BCP 47 tag (the `lang` attribute, the cookie value).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::ZhCn => "简体中文",
            Lang::ZhTw => "繁體中文",
            Lang::En => "English",
        }
    }

    /// Reads a tag as the switch or a browser writes it: `zh-TW`, `zh-Hant`,
    /// `zh-HK` and `zh-MO` are traditional Chinese; other `zh` simplified;
    /// `en-*` English.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let t = tag.trim().to_ascii_lowercase();
        let mut parts = t.split(['-', '_']);
        match parts.next()? {
            "zh" => {
                let rest: Vec<&str> = parts.collect();
                let traditional = rest
                    .iter()
                    .any(|p| matches!(*p, "tw" | "hk" | "mo" | "hant"));
                Some(if traditional { Lang::ZhTw } else { Lang::ZhCn })
            }
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The message `id` in this language.
    pub fn t(self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with arguments.
    pub fn t_args(self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Str(s) => fluent.set(*name, FluentValue::from(Cow::Borrowed(*s))),
                Arg::Num(n) => fluent.set(*name, FluentValue::from(*n)),
            }
        }
        self.format(id, Some(&fluent))
    }

    fn format(self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = &bundles()[self as usize];
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            // A missing message is a bug the catalogue tests catch; show
            // the id rather than nothing.
            tracing::error!(id, lang = self.tag(), "missing translation");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::error!(id, lang = self.tag(), ?errors, "translation errors");
        }
        text.into_owned()
    }

    /// Whether the catalogue has message `id`.
    #[cfg(test)]
    pub fn has(self, id: &str) -> bool {
        bundles()[self as usize].has_message(id)
    }
}

/// A message argument.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Str(&'a str),
    Num(i64),
}

/// The Fluent sources, by [`Lang`] order.
pub const SOURCES: [(&str, &str); 3] = [
    ("zh-CN", include_str!("../locales/zh-CN.ftl")),
    ("zh-TW", include_str!("../locales/zh-TW.ftl")),
    ("en", include_str!("../locales/en.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static [Bundle; 3] {
    static BUNDLES: OnceLock<[Bundle; 3]> = OnceLock::new();
    BUNDLES.get_or_init(|| SOURCES.map(|(tag, source)| bundle(tag, source)))
}

fn bundle(tag: &str, source: &str) -> Bundle {
    let id: unic_langid::LanguageIdentifier = tag.parse().expect("constant language tag");
    let resource = FluentResource::try_new(source.to_owned())
        .unwrap_or_else(|(_, errors)| panic!("{tag}.ftl does not parse: {errors:?}"));
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // HTML takes care of direction; isolation marks would only show up as
    // stray characters in copied text.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("{tag}.ftl has duplicate messages: {errors:?}"));
    bundle
}

/// The ids of every message of a Fluent source (for the catalogue tests).
#[cfg(test)]
pub fn message_ids(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_owned()))
        .collect()
}

/// The language of a request: the switch's cookie, else the best of
/// `Accept-Language`, else zh-CN.
pub fn language_of(headers: &HeaderMap) -> Lang {
    if let Some(lang) = crate::cookies::cookie(headers, LANG_COOKIE).and_then(Lang::from_tag) {
        return lang;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(from_accept_language)
        .unwrap_or_default()
}

/// The supported language with the highest weight in an `Accept-Language`
/// value (the first of equal weights).
pub fn from_accept_language(value: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Some(lang) = Lang::from_tag(tag)
            && q > 0.0
            && best.is_none_or(|(b, _)| q > b)
        {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// Middleware: decides the request's language and sets the answer's
/// `Content-Language` and `Vary`.
pub async fn negotiate(mut req: Request, next: Next) -> Response {
    let lang = language_of(req.headers());
    req.extensions_mut().insert(lang);
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if let Ok(v) = lang.tag().parse() {
        headers.insert(header::CONTENT_LANGUAGE, v);
    }
    headers.append(
        header::VARY,
        header::HeaderValue::from_static("accept-language, cookie"),
    );
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Lang>()
            .copied()
            .unwrap_or_else(|| language_of(&parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported() {
        let cases = [
            ("zh-CN,zh;q=0.9,en;q=0.8", Some(Lang::ZhCn)),
            ("zh-TW,zh;q=0.9", Some(Lang::ZhTw)),
            ("zh-Hant-HK", Some(Lang::ZhTw)),
            ("zh-HK", Some(Lang::ZhTw)),
            ("en-US,en;q=0.9", Some(Lang::En)),
            ("fr-FR, en;q=0.5, zh;q=0.7", Some(Lang::ZhCn)),
            ("fr, de", None),
            ("en;q=0, zh-TW;q=0.1", Some(Lang::ZhTw)),
            ("", None),
        ];
        for (value, want) in cases {
            assert_eq!(from_accept_language(value), want, "{value:?}");
        }
    }

    #[test]
    fn every_message_exists_in_every_language() {
        let ids: Vec<Vec<String>> = SOURCES.iter().map(|(_, s)| message_ids(s)).collect();
        assert!(ids[0].len() > 50, "the catalogue is read");
        for (i, (tag, _)) in SOURCES.iter().enumerate() {
            for id in &ids[0] {
                assert!(ids[i].contains(id), "{tag}.ftl lacks {id}");
            }
            for id in &ids[i] {
                assert!(
                    ids[0].contains(id),
                    "{tag}.ftl has {id}, zh-CN.ftl does not"
                );
            }
            // Each parses and formats without errors.
            for id in &ids[i] {
                assert!(Lang::ALL[i].has(id), "{tag} {id}");
            }
        }
    }

    #[test]
    fn every_error_code_has_its_messages() {
        for lang in Lang::ALL {
            for code in crate::error::Error::CODES {
                assert!(
                    lang.has(&format!("error-{code}")),
                    "{} error-{code}",
                    lang.tag()
                );
                assert!(
                    lang.has(&format!("error-title-{code}")),
                    "{} error-title-{code}",
                    lang.tag()
                );
            }
            let fields = [
                "name_empty",
                "name_too_long",
                "name_bad_char",
                "name_no_letter",
                "name_too_many_marks",
                "id_type_unknown",
                "id_empty",
                "id_not_ascii",
                "id_wrong_length",
                "id_not_digits",
                "id_bad_region",
                "id_bad_birth_date",
                "id_bad_check_digit",
                "id_bad_format",
                "username_length",
                "username_bad_char",
                "username_start",
                "username_taken",
                "password_length",
                "password_too_simple",
                "password_is_username",
                "password_weak_common",
                "password_weak_repeats",
                "password_weak_sequence",
                "password_weak_dates",
                "password_weak",
                "password_mismatch",
                "annotation_days",
                "annotation_scenario",
                "totp_wrong",
                "body_unknown",
                "role_not_allowed",
                "search_invalid",
                "unlink_reason",
                "ref_name_empty",
                "ref_name_too_long",
                "ref_name_control",
                "code_invalid",
                "code_reserved",
                "code_taken",
                "changed_meanwhile",
                "type_has_certificates",
                "year_invalid",
                "years_range",
                "years_order",
                "terms_empty",
                "terms_too_long",
            ];
            for code in fields
                .iter()
                .chain(crate::services::rarechars::CODES.iter())
            {
                assert!(
                    lang.has(&format!("field-{code}")),
                    "{} field-{code}",
                    lang.tag()
                );
            }
            for t in zhengshu_domain::IdType::ALL {
                assert!(lang.has(&format!("id-type-{}", t.code())));
            }
        }
    }

    #[test]
    fn every_message_a_template_names_exists() {
        let templates = [
            include_str!("../templates/base.html"),
            include_str!("../templates/error.html"),
            include_str!("../templates/login.html"),
            include_str!("../templates/register.html"),
            include_str!("../templates/picker.html"),
            include_str!("../templates/terms.html"),
            include_str!("../templates/certificates.html"),
            include_str!("../templates/certificate.html"),
            include_str!("../templates/details.html"),
            include_str!("../templates/download.html"),
            include_str!("../templates/rarechars.html"),
            include_str!("../templates/console_nav.html"),
            include_str!("../templates/console_home.html"),
            include_str!("../templates/console_staff.html"),
            include_str!("../templates/console_holders.html"),
            include_str!("../templates/console_audit.html"),
            include_str!("../templates/console_login.html"),
            include_str!("../templates/console_enrol.html"),
            include_str!("../templates/console_enrolled.html"),
            include_str!("../templates/console_outcome.html"),
            include_str!("../templates/console_pager.html"),
            include_str!("../templates/console_bodies.html"),
            include_str!("../templates/console_types.html"),
            include_str!("../templates/console_terms.html"),
            include_str!("../templates/console_seals.html"),
            include_str!("../templates/console_certificates.html"),
            include_str!("../templates/console_import.html"),
            include_str!("../templates/identity.html"),
        ];
        let mut named = 0;
        for t in templates {
            for part in t.split(".t(\"").skip(1) {
                let id = part.split('"').next().unwrap_or("");
                named += 1;
                for lang in Lang::ALL {
                    assert!(lang.has(id), "{} lacks {id}", lang.tag());
                }
            }
        }
        assert!(named > 100, "{named} messages named");
        // The operator's pages name their column headings and notices
        // in the code.
        let code = [
            include_str!("pages/console/operator/mod.rs"),
            include_str!("pages/console/operator/bodies.rs"),
            include_str!("pages/console/operator/types.rs"),
            include_str!("pages/console/operator/terms.rs"),
            include_str!("pages/console/operator/seals.rs"),
        ]
        .concat();
        let mut ids = 0;
        for part in code.split("\"console-").skip(1) {
            let id = format!("console-{}", part.split('"').next().unwrap_or(""));
            ids += 1;
            for lang in Lang::ALL {
                assert!(lang.has(&id), "{} lacks {id}", lang.tag());
            }
        }
        assert!(ids > 20, "{ids} messages named in the operator's pages");
    }

    #[test]
    fn every_import_refusal_has_a_message_in_every_language() {
        for code in zhengshu_import::reason::CODES {
            for lang in Lang::ALL {
                assert!(
                    lang.has(&format!("import-refusal-{code}")),
                    "{} import-refusal-{code}",
                    lang.tag()
                );
            }
        }
    }

    #[test]
    fn arguments_are_filled_in() {
        let m = Lang::En.t_args("error-too_many_attempts", &[("minutes", Arg::Num(15))]);
        assert!(m.contains("15"), "{m}");
        assert!(!m.contains('\u{2068}'), "no isolation marks");
    }
}
