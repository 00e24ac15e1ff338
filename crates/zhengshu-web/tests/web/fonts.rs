//! The rare-character fonts: a style sheet of slices with their
//! unicode-range, and each slice a small TrueType font with exactly the
//! glyphs of its range (HanaMin from Debian's `fonts-hanazono`).

use axum::http::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn the_style_sheet_declares_slices_and_each_slice_is_a_small_font() {
    for path in zhengshu_web::fonts::HANAMIN {
        assert!(
            std::path::Path::new(path).exists(),
            "{path} is missing: apt-get install -y fonts-hanazono"
        );
    }
    let app = app().await;
    let css = api(&app, Method::GET, "/fonts/rare.css", None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let rules: Vec<&str> = css.body.lines().collect();
    assert!(rules.len() > 200, "{} slices", rules.len());
    assert!(css.body.contains(
        "src:url(\"/fonts/rare/20000.ttf\") format(\"truetype\");unicode-range:U+20000-200FF"
    ));
    // Extension A is served, the common block is left to system fonts.
    assert!(css.body.contains("/fonts/rare/3400.ttf"));
    assert!(!css.body.contains("/fonts/rare/4E00.ttf"));
    assert!(!css.body.contains("U+4E"));

    let font = api(&app, Method::GET, "/fonts/rare/20000.ttf", None, None).await;
    assert_eq!(font.status, StatusCode::OK);
    assert_eq!(font.header("content-type"), Some("font/ttf"));
    // The helper reads bodies as text; fonts are read raw.
    let raw = raw_get(&app, "/fonts/rare/20000.ttf").await;
    assert!(raw.len() < 200 * 1024, "{} bytes", raw.len());
    let face = ttf_parser::Face::parse(&raw, 0).expect("a font");
    assert!(face.glyph_index('\u{2003E}').is_some());
    assert!(face.glyph_index('\u{20100}').is_none(), "the next slice's");
    assert!(face.glyph_index('言').is_none());

    for missing in [
        "/fonts/rare/4E00.ttf",
        "/fonts/rare/20001.ttf",
        "/fonts/rare/x.ttf",
        "/fonts/rare/31300.ttf",
    ] {
        let a = api(&app, Method::GET, missing, None, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn without_fonts_the_style_sheet_is_empty_and_pages_still_work() {
    let app = app_with(|s| s.fonts = std::sync::Arc::new(zhengshu_web::RareFonts::none())).await;
    let css = api(&app, Method::GET, "/fonts/rare.css", None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.is_empty());
    let a = api(&app, Method::GET, "/fonts/rare/20000.ttf", None, None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

async fn raw_get(app: &App, path: &str) -> Vec<u8> {
    use tower::ServiceExt;
    let req = axum::http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(req).await.unwrap();
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}
