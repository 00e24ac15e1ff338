//! 证书查询验证范围: `GET /api/v1/scope` and the `/scope` page, public,
//! computed from the qualification types' settings and the certificates on
//! record; and the holder's empty list that links to it.

use axum::http::{Method, StatusCode};
use serde_json::json;
use zhengshu_domain::{QualificationCode, QualificationType};
use zhengshu_storage::Storage;

use crate::helpers::*;

/// A qualification type of the demo, by code.
async fn demo_type(app: &App, code: &str) -> QualificationType {
    app.store
        .qualification_types()
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.code.as_str() == code)
        .unwrap()
}

/// The demo's data plus a type the operator took out of the scope and an
/// economist scope that ends before its only certificate (2019).
async fn narrow_the_scope(app: &App) {
    let mut retired = demo_type(app, "licensed_pharmacist").await;
    retired.code = QualificationCode::parse("retired_pharmacist").unwrap();
    retired.name = "从业药师".into();
    retired.in_scope = false;
    app.store.put_qualification_type(&retired).await.unwrap();
    let mut economist = demo_type(app, "economist").await;
    economist.years_to = Some(2018);
    app.store.put_qualification_type(&economist).await.unwrap();
}

#[tokio::test]
async fn the_api_answers_each_body_its_types_and_checkable_years() {
    let app = app().await;
    // Public: no token.
    let a = api(&app, Method::GET, "/api/v1/scope", None, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // The demo's certificates: pharmacists 2023 and 2024, an economist
    // 2019 (configured from 2010), a health professional 2022 (revoked,
    // still checkable).
    assert_eq!(
        a.json(),
        json!({"bodies": [
            {"code": "economist_association", "name": "中国经济专业技术资格协会",
             "qualifications": [
                {"code": "economist", "name": "经济专业技术资格", "in_scope": true,
                 "years_from": 2019, "years_to": 2019}]},
            {"code": "health_talent_center", "name": "国家卫生健康委人才交流服务中心",
             "qualifications": [
                {"code": "health_professional", "name": "卫生专业技术资格", "in_scope": true,
                 "years_from": 2022, "years_to": 2022}]},
            {"code": "pharmacist_center", "name": "国家药品监督管理局执业药师资格认证中心",
             "qualifications": [
                {"code": "licensed_pharmacist", "name": "执业药师", "in_scope": true,
                 "years_from": 2023, "years_to": 2024}]},
        ]})
    );

    narrow_the_scope(&app).await;
    let a = api(&app, Method::GET, "/api/v1/scope", None, None).await;
    let doc = a.json();
    assert_eq!(
        doc["bodies"][0]["qualifications"][0],
        json!({"code": "economist", "name": "经济专业技术资格", "in_scope": true,
               "years_from": null, "years_to": null})
    );
    assert_eq!(
        doc["bodies"][2]["qualifications"],
        json!([
            {"code": "licensed_pharmacist", "name": "执业药师", "in_scope": true,
             "years_from": 2023, "years_to": 2024},
            {"code": "retired_pharmacist", "name": "从业药师", "in_scope": false,
             "years_from": null, "years_to": null},
        ])
    );
}

#[tokio::test]
async fn odd_requests_for_the_scope_are_not_errors_of_ours() {
    let app = app().await;
    let a = api(&app, Method::GET, "/api/v1/scope?x=%ff&&=", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = api(
        &app,
        Method::GET,
        "/api/v1/scope",
        Some("not-a-token"),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "a stray token does not matter");
    let a = api(&app, Method::POST, "/api/v1/scope", None, Some(json!({}))).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    let mut b = Browser::new();
    let page = b.get(&app, "/scope?lang=%ff").await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn the_page_lists_the_scope_in_three_languages_without_scripts() {
    let app = app().await;
    narrow_the_scope(&app).await;
    let cases = [
        (
            "zh-CN",
            [
                "<title>证书查询验证范围 - ",
                "2023–2024 年",
                "2022 年",
                "暂无可查询的证书数据",
                "不在查询验证范围内",
            ],
        ),
        (
            "zh-TW",
            [
                "<title>證書查詢驗證範圍 - ",
                "2023–2024 年",
                "2022 年",
                "暫無可查詢的證書資料",
                "不在查詢驗證範圍內",
            ],
        ),
        (
            "en",
            [
                "<title>Verification scope - ",
                "2023–2024",
                "<dd>2022</dd>",
                "No certificates online yet",
                "Outside the verification scope",
            ],
        ),
    ];
    for (lang, texts) in cases {
        let mut b = Browser::new();
        b.accept_language = Some(lang.into());
        let page = b.get(&app, "/scope").await;
        assert_eq!(page.status, StatusCode::OK, "{lang}");
        assert!(
            page.body.contains(&format!("<html lang=\"{lang}\"")),
            "{lang}"
        );
        for text in texts.iter().chain(&[
            "国家药品监督管理局执业药师资格认证中心",
            "执业药师",
            "从业药师",
            "经济专业技术资格",
        ]) {
            assert!(page.body.contains(text), "{lang}: {text}");
        }
        assert!(!page.body.contains("<script"), "{lang}");
        // Phones: the page sets the viewport and lays rows out to wrap.
        assert!(page.body.contains("width=device-width"), "{lang}");
    }
}

#[tokio::test]
async fn the_empty_list_links_to_the_scope() {
    let app = app().await;
    holder(&app, "wangwu", "王五", "110101199003070011").await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "wangwu").await;
    let page = b.get(&app, "/certificates").await;
    assert!(page.body.contains("证书类型不在查询验证范围内"));
    assert!(
        page.body
            .contains("<a href=\"/scope\">查看证书查询验证范围</a>"),
        "{}",
        page.body
    );
    // A list with certificates has no need of it.
    zhang(&app).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let page = b.get(&app, "/certificates").await;
    assert!(!page.body.contains("href=\"/scope\""));
}
