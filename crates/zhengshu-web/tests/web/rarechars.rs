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

#[tokio::test]
async fn every_candidate_of_yan_is_reached_page_by_page() {
    let app = app().await;
    let first = search(&app, "pinyin=yan").await;
    assert_eq!(first.status, StatusCode::OK);
    let total: usize = first.header("x-total-count").unwrap().parse().unwrap();
    assert!(total > 500, "{total} candidates read yan");
    // Follow rel="next" to the end; the pages add up to the total.
    let mut seen = chars(&first.json());
    let mut link = first.header("link").map(str::to_owned);
    let mut pages = 1;
    while let Some(l) = link {
        let url = l
            .strip_prefix('<')
            .and_then(|l| l.split_once(">; rel=\"next\""))
            .map(|(u, _)| u.to_owned())
            .unwrap_or_else(|| panic!("a RFC 8288 link: {l}"));
        let a = api(&app, Method::GET, &url, None, None).await;
        assert_eq!(a.status, StatusCode::OK, "{url}");
        assert_eq!(a.header("x-total-count"), Some(total.to_string().as_str()));
        seen.extend(chars(&a.json()));
        link = a.header("link").map(str::to_owned);
        pages += 1;
        assert!(pages < 100, "paging ends");
    }
    assert_eq!(seen.len(), total);
    let distinct: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), total, "no candidate twice");
    let ext_b = seen
        .iter()
        .filter(|c| (0x20000..0x2A6E0).contains(&u32::from(c.chars().next().unwrap())))
        .count();
    assert!(ext_b > 0, "Extension B characters among them");
    // Big pages and an explicit offset agree with the walk.
    let a = search(&app, &format!("pinyin=yan&limit=200&offset={}", total - 3)).await;
    assert_eq!(chars(&a.json()), seen[total - 3..]);
    assert_eq!(a.header("link"), None, "the last page has no next");
    let past = search(&app, &format!("pinyin=yan&offset={}", total + 10)).await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.json(), serde_json::json!([]));
    // A code point query has one.
    let one = search(&app, "codepoint=U%2B2003E").await;
    assert_eq!(one.header("x-total-count"), Some("1"));
    assert_eq!(one.header("link"), None);
}

#[tokio::test]
async fn the_page_counts_candidates_narrows_by_tone_and_pages_through() {
    let app = app().await;
    let mut b = Browser::new();
    let total: usize = search(&app, "pinyin=yan")
        .await
        .header("x-total-count")
        .unwrap()
        .parse()
        .unwrap();
    let page = b
        .get(
            &app,
            "/rarechars?back=%2Fregister&name=%E9%99%88&pinyin=yan",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("共 {total} 个候选字，这里显示第 1–60 个")),
        "{}",
        page.body
    );
    // Each tone, with its count.
    for tone in ["yān (", "yán (", "yǎn (", "yàn ("] {
        assert!(page.body.contains(tone), "{tone}");
    }
    assert!(page.body.contains("pinyin=yan2"));
    // Page to the end by the next links.
    let mut body = page.body;
    let mut seen = body.matches("class=\"candidate\"").count();
    let mut ext_b_link = None;
    loop {
        if ext_b_link.is_none() {
            ext_b_link = body
                .split("class=\"candidate\" href=\"")
                .skip(1)
                .find(|s| {
                    let cp = s.split("<span class=\"cp\">U+").nth(1).unwrap_or("");
                    let hex = cp.split('<').next().unwrap_or("");
                    u32::from_str_radix(hex, 16).is_ok_and(|cp| (0x20000..0x2A6E0).contains(&cp))
                })
                .map(|s| {
                    s.split('"')
                        .next()
                        .unwrap()
                        .replace("&#38;", "&")
                        .replace("&amp;", "&")
                });
        }
        let Some(next) = body
            .split("rel=\"next\"")
            .next()
            .and_then(|s| s.rsplit("href=\"").next())
            .filter(|_| body.contains("rel=\"next\""))
            .map(|s| {
                s.split('"')
                    .next()
                    .unwrap()
                    .replace("&#38;", "&")
                    .replace("&amp;", "&")
            })
        else {
            break;
        };
        body = b.get(&app, &next).await.body;
        seen += body.matches("class=\"candidate\"").count();
    }
    assert_eq!(seen, total, "the pages add up to the total");
    assert!(body.contains("rel=\"prev\""));
    // An Extension B character read yan goes into the name.
    let add = ext_b_link.expect("an Extension B candidate on some page");
    let composed = b.get(&app, &add).await;
    assert_eq!(composed.status, StatusCode::OK);
    let name = composed
        .body
        .split("id=\"name\" name=\"name\" type=\"text\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut chars = name.chars();
    assert_eq!(chars.next(), Some('陈'));
    let added = u32::from(chars.next().unwrap());
    assert!((0x20000..0x2A6E0).contains(&added), "U+{added:X}");
}

#[tokio::test]
async fn a_huge_name_parameter_does_not_multiply_the_page() {
    let app = app().await;
    let mut b = Browser::new();
    let small = b.get(&app, "/rarechars?pinyin=yan&name=a").await;
    assert_eq!(small.status, StatusCode::OK);
    let huge = "a".repeat(60_000);
    let page = b
        .get(&app, &format!("/rarechars?pinyin=yan&name={huge}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // The name is cut to what a name may hold (50 characters), so the page
    // grows by at most that much in each of its links.
    assert!(!page.body.contains(&"a".repeat(51)));
    assert!(page.body.contains(&"a".repeat(50)));
    assert!(
        page.body.len() < small.body.len() * 2,
        "{} bytes against {}",
        page.body.len(),
        small.body.len()
    );
}
