//! 生僻字输入: the search by pinyin (toneless, toned, tone digit), by code
//! point and by radical and strokes, its refusals, and the page that
//! composes a name without JavaScript.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;

async fn search(app: &App, query: &str) -> Answer {
    api(
        app,
        Method::GET,
        &format!("/api/v1/rare-chars?{query}"),
        None,
        None,
    )
    .await
}

fn chars(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["char"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pinyin_with_and_without_tones() {
    let app = app().await;
    let plain = search(&app, "pinyin=yan").await;
    assert_eq!(plain.status, StatusCode::OK);
    let all = chars(&plain.json());
    assert_eq!(all.len(), 60, "the default limit");
    // Common characters first: 言 and 严 are level-1 characters.
    assert!(all[..20].contains(&"言".to_owned()) && all[..20].contains(&"严".to_owned()));
    for q in ["pinyin=y%C3%A1n", "pinyin=yan2", "pinyin=YAN2"] {
        let toned = chars(&search(&app, q).await.json());
        assert!(
            toned.contains(&"言".to_owned()) && toned.contains(&"严".to_owned()),
            "{q}"
        );
        assert!(!toned.contains(&"眼".to_owned()), "{q}: 眼 is yǎn");
    }
    let first = &search(&app, "pinyin=yan2&limit=1").await.json()[0];
    assert_eq!(first["codepoint"].as_str().unwrap().len(), 6);
    assert!(
        first["pinyin"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "yán")
    );
}

#[tokio::test]
async fn code_points_and_radicals_find_characters_without_a_reading() {
    let app = app().await;
    for q in [
        "codepoint=U%2B2003E",
        "codepoint=2003E",
        "codepoint=u%2B2003e",
        "codepoint=%F0%A0%80%BE",
    ] {
        let a = search(&app, q).await;
        assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.body);
        let found = a.json();
        assert_eq!(chars(&found), ["\u{2003E}"], "{q}");
        assert_eq!(found[0]["codepoint"], "U+2003E");
        assert_eq!(found[0]["pinyin"], serde_json::json!([]));
        assert_eq!(found[0]["block"], "CJK Ext B");
    }
    // 𠀾 is radical 1 (一) plus 9 strokes.
    let a = search(&app, "radical=1&strokes=9&limit=200").await;
    assert!(chars(&a.json()).contains(&"\u{2003E}".to_owned()));
    // Extension H is covered too.
    let a = search(&app, "codepoint=U%2B31350").await;
    assert_eq!(chars(&a.json()), ["\u{31350}"]);
}

#[tokio::test]
async fn refusals_name_the_parameter_and_say_why() {
    let app = app().await;
    for (q, field, code) in [
        ("", "query", "no_query"),
        ("pinyin=yan&codepoint=2003E", "query", "ambiguous_query"),
        ("pinyin=qqq", "pinyin", "unknown_syllable"),
        ("pinyin=yan9", "pinyin", "bad_tone_digit"),
        ("pinyin=ya2n", "pinyin", "tone_digit_not_last"),
        ("pinyin=yan%21", "pinyin", "invalid_character"),
        ("pinyin=2", "pinyin", "no_letters"),
        ("pinyin=y%C3%A1n3", "pinyin", "conflicting_tones"),
        ("radical=1&strokes=x", "strokes", "not_a_number"),
        ("pinyin=zhuangzhuangz", "pinyin", "too_long"),
        ("codepoint=U%2BZZZ", "codepoint", "malformed_codepoint"),
        ("codepoint=U%2B110000", "codepoint", "not_a_scalar_value"),
        ("codepoint=U%2B0041", "codepoint", "not_covered"),
        ("radical=215&strokes=1", "radical", "radical_out_of_range"),
        ("radical=1&strokes=200", "strokes", "residual_out_of_range"),
        ("radical=one&strokes=1", "radical", "not_a_number"),
        ("radical=1", "query", "ambiguous_query"),
        ("pinyin=yan&limit=0", "limit", "zero_limit"),
    ] {
        let a = api_lang(
            &app,
            Method::GET,
            &format!("/api/v1/rare-chars?{q}"),
            None,
            None,
            Some("en"),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}: {}", a.body);
        assert_eq!(a.code(), "invalid_query");
        let f = &a.json()["error"]["fields"][0];
        assert_eq!(
            (f["field"].as_str(), f["code"].as_str()),
            (Some(field), Some(code)),
            "{q}"
        );
        assert!(!f["message"].as_str().unwrap().starts_with("field-"));
    }
    let a = api_lang(
        &app,
        Method::GET,
        "/api/v1/rare-chars?pinyin=qqq",
        None,
        None,
        Some("zh-CN"),
    )
    .await;
    assert!(a.body.contains("不是普通话音节"), "{}", a.body);
}

#[tokio::test]
async fn a_name_is_composed_without_javascript_and_taken_to_the_form() {
    let app = app().await;
    let mut b = Browser::new();
    // The register page links to the picker page, carrying the name.
    let reg = b.get(&app, "/register").await;
    assert!(reg.body.contains("href=\"/rarechars?back=%2Fregister"));
    assert!(
        reg.body
            .contains("<script src=\"/assets/picker.js\" defer></script>")
    );
    let page = b
        .get(
            &app,
            "/rarechars?back=%2Fregister&name=%E9%99%88&radical=1&strokes=9",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("U+2003E"),
        "the code point label is shown"
    );
    assert!(page.body.contains("无普通话读音"));
    // Choosing 𠀾 adds it to 陈.
    let add = "name=%E9%99%88%F0%A0%80%BE";
    assert!(page.body.contains(add), "a link that appends the character");
    let page = b
        .get(&app, &format!("/rarechars?back=%2Fregister&{add}"))
        .await;
    assert!(page.body.contains("value=\"陈\u{2003E}\""));
    assert!(page.body.contains(&format!("href=\"/register?{add}\"")));
    let reg = b.get(&app, &format!("/register?{add}")).await;
    assert!(
        reg.body.contains("value=\"陈\u{2003E}\""),
        "the form starts with the name"
    );
    // A refused search is explained on the page.
    let bad = b.get(&app, "/rarechars?pinyin=qqq").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("不是普通话音节"));
    // It never returns anywhere but to this site.
    let evil = b
        .get(&app, "/rarechars?back=%2F%2Fevil.example&name=x")
        .await;
    assert!(evil.body.contains("href=\"/register?name=x\""));
}
