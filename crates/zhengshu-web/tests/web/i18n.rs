//! Languages: zh-CN by default, zh-TW and English by Accept-Language and
//! by the switch, which persists; API errors in the same three.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn pages_follow_accept_language_with_zh_cn_as_the_default() {
    let app = app().await;
    for (accept, lang, title) in [
        (
            None,
            "zh-CN",
            "<title>登录 - 专业技术人员职业资格证书查询验证系统</title>",
        ),
        (Some("fr-FR,fr;q=0.9"), "zh-CN", "<title>登录 - "),
        (
            Some("zh-TW,zh;q=0.8"),
            "zh-TW",
            "<title>登入 - 專業技術人員職業資格證書查詢驗證系統</title>",
        ),
        (Some("zh-HK"), "zh-TW", "<title>登入 - "),
        (
            Some("en-GB,en;q=0.9,zh;q=0.5"),
            "en",
            "<title>Log in - Professional Qualification",
        ),
    ] {
        let mut b = Browser::new();
        b.accept_language = accept.map(Into::into);
        let a = b.get(&app, "/login").await;
        assert!(
            a.body.contains(&format!("<html lang=\"{lang}\">")),
            "{accept:?}"
        );
        assert!(a.body.contains(title), "{accept:?}");
        assert_eq!(a.header("content-language"), Some(lang));
    }
}

#[tokio::test]
async fn every_page_exists_in_all_three_languages() {
    let app = app().await;
    zhang(&app).await;
    let id = certificate_id(&app, zhengshu_demo::REVOKED_NUMBER).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let pages = [
        ("/login", ["登录", "登入", "Log in"]),
        ("/register", ["用户注册", "用戶註冊", "Register"]),
        ("/terms", ["服务须知", "服務須知", "Service terms"]),
        ("/certificates", ["我的证书", "我的證書", "My certificates"]),
        (
            &*format!("/certificates/{id}"),
            ["证书信息", "證書資訊", "Certificate information"],
        ),
        (
            &*format!("/certificates/{id}/details"),
            ["详情", "詳情", "Details"],
        ),
        (
            &*format!("/certificates/{id}/download"),
            ["下载", "下載", "Download"],
        ),
        (
            "/rarechars",
            ["生僻字输入", "生僻字輸入", "Rare character input"],
        ),
        (
            "/verify",
            ["证书查验", "證書查驗", "Certificate verification"],
        ),
        (
            "/verify/22222222222222222222",
            ["证书查验", "證書查驗", "Certificate verification"],
        ),
    ];
    for (path, titles) in pages {
        for (lang, title) in ["zh-CN", "zh-TW", "en"].into_iter().zip(titles) {
            let mut lb = b.clone();
            lb.get(&app, &format!("/lang/{lang}")).await;
            let a = lb.get(&app, path).await;
            assert_eq!(a.status, StatusCode::OK, "{path} {lang}");
            assert!(a.body.contains(&format!("<title>{title}")), "{path} {lang}");
            // No message id leaks through untranslated.
            for marker in [
                "field-label-",
                "error-title-",
                "picker-",
                "empty-",
                "verify-",
                "verifications-",
                "annotation-label-",
            ] {
                assert!(
                    !a.body.contains(&format!(">{marker}")),
                    "{path} {lang} {marker}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_switch_persists_and_only_returns_to_local_pages() {
    let app = app().await;
    let mut b = Browser::new();
    b.accept_language = Some("zh-CN".into());
    let a = b.get(&app, "/lang/en?next=/register").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/register");
    let cookie = a.header("set-cookie").unwrap();
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    assert!(cookie.contains("Max-Age=31536000"), "{cookie}");
    // The choice beats the browser's preference, on pages and in the API.
    let page = b.get(&app, "/register").await;
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains("Holder name"));
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let q = serde_urlencoded::to_string([("next", evil)]).unwrap();
        let a = b.get(&app, &format!("/lang/zh-TW?{q}")).await;
        assert_eq!(a.location(), "/", "{evil}");
    }
    assert_eq!(b.get(&app, "/lang/fr").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_errors_speak_the_requests_language() {
    let app = app().await;
    let body = json!({"username": "nobody", "password": "Wrong-1x"});
    let mut messages = Vec::new();
    for (lang, text) in [
        ("zh-CN", "用户名或密码错误"),
        ("zh-TW", "使用者名稱或密碼錯誤"),
        ("en", "The username or password is incorrect"),
    ] {
        let a = api_lang(
            &app,
            Method::POST,
            "/api/v1/sessions",
            None,
            Some(body.clone()),
            Some(lang),
        )
        .await;
        assert_eq!(a.code(), "invalid_credentials");
        let m = a.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(m.contains(text), "{lang}: {m}");
        messages.push(m);
    }
    let a = api_lang(
        &app,
        Method::GET,
        "/api/v1/nothing-here",
        None,
        None,
        Some("zh-TW"),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("找不到")
    );
    // The page of an unknown path is a page, in the chosen language.
    let mut b = Browser::new();
    b.accept_language = Some("en".into());
    let a = b.get(&app, "/nothing-here").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body.contains("<title>Page not found"));
}
