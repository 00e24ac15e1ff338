//! The small defences: no cache keeps personal answers, the bearer scheme
//! in any case, ids that are not numbers answer the API's JSON 404, and
//! oversized bodies 413 on the API and the pages.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn personal_pages_and_json_are_never_cached() {
    let app = app().await;
    zhang(&app).await;
    let t = token(&app, "demo").await;
    api(&app, Method::POST, "/api/v1/terms/accept", Some(&t), None).await;
    for path in [
        "/api/v1/me",
        "/api/v1/me/certificates",
        "/api/v1/me/annotations/1",
    ] {
        let a = api(&app, Method::GET, path, Some(&t), None).await;
        assert_eq!(a.header("cache-control"), Some("no-store"), "{path}");
    }
    let login = api(
        &app,
        Method::POST,
        "/api/v1/sessions",
        None,
        Some(json!({"username": "demo", "password": PASSWORD})),
    )
    .await;
    assert_eq!(login.header("cache-control"), Some("no-store"), "token");
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let list = b.get(&app, "/certificates").await;
    assert_eq!(list.status, StatusCode::OK);
    let first = list
        .body
        .split("href=\"/certificates/")
        .nth(1)
        .and_then(|s| s.split(['"', '/']).next())
        .expect("a certificate link")
        .to_owned();
    for path in [
        "/certificates".to_owned(),
        format!("/certificates/{first}"),
        format!("/certificates/{first}/details"),
        format!("/certificates/{first}/download"),
        "/login".to_owned(),
    ] {
        let a = b.get(&app, &path).await;
        assert_eq!(a.header("cache-control"), Some("no-store"), "{path}");
    }
    // What is the same for everyone may still be cached.
    let css = api(&app, Method::GET, "/fonts/rare.css", None, None).await;
    assert_ne!(css.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn the_bearer_scheme_is_matched_in_any_case() {
    let app = app().await;
    zhang(&app).await;
    let t = token(&app, "demo").await;
    api(&app, Method::POST, "/api/v1/terms/accept", Some(&t), None).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let req = Request::builder()
            .uri("/api/v1/me")
            .header(header::AUTHORIZATION, format!("{scheme} {t}"))
            .body(Body::empty())
            .unwrap();
        let a = send(&app.router, req).await;
        assert_eq!(a.status, StatusCode::OK, "{scheme}: {}", a.body);
    }
    for bad in [format!("Basic {t}"), format!("Bearer{t}"), t.clone()] {
        let req = Request::builder()
            .uri("/api/v1/me")
            .header(header::AUTHORIZATION, bad.as_str())
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            send(&app.router, req).await.status,
            StatusCode::UNAUTHORIZED,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn ids_that_are_not_numbers_answer_the_apis_json_404() {
    let app = app().await;
    zhang(&app).await;
    let t = token(&app, "demo").await;
    api(&app, Method::POST, "/api/v1/terms/accept", Some(&t), None).await;
    for path in [
        "/api/v1/me/annotations/abc",
        "/api/v1/me/annotations/99999999999999999999999",
        "/api/v1/me/annotations/-x/document",
        "/api/v1/me/certificates/abc",
        "/api/v1/me/certificates/1.5/annotations",
        "/api/v1/me/certificates/%F0%A0%80%BE/document",
    ] {
        let a = api(&app, Method::GET, path, Some(&t), None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.body);
        assert_eq!(a.code(), "not_found", "{path}");
        assert!(
            a.header("content-type")
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
    }
    let a = api(
        &app,
        Method::POST,
        "/api/v1/me/annotations/abc/withdraw",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
}

#[tokio::test]
async fn oversized_bodies_answer_413() {
    let app = app().await;
    let big = "x".repeat(10 * 1024 * 1024);
    let body = json!({"name": big, "id_type": "resident_id"}).to_string();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/holders")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::from(body))
        .unwrap();
    let a = send(&app.router, req).await;
    assert_eq!(
        a.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &a.body[..200.min(a.body.len())]
    );
    assert_eq!(a.code(), "payload_too_large");
    assert_eq!(
        a.json()["error"]["message"],
        "The request body is too large."
    );
    // The page forms too.
    let mut b = Browser::new();
    let token = b.get(&app, "/register").await.csrf();
    let a = b
        .post_raw(&app, "/register", &[("csrf", &token), ("name", &big)])
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        a.body.contains("请求内容过大"),
        "{}",
        &a.body[..500.min(a.body.len())]
    );
}

#[tokio::test]
async fn metrics_are_absent_without_a_token_and_closed_without_the_right_one() {
    let app = app().await;
    let a = api(&app, Method::GET, "/metrics", None, None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("zhengshu_"), "{}", a.body);

    let app = app_with(|s| s.metrics_token = Some("m-token-0123456789".into())).await;
    for given in [None, Some("wrong"), Some("m-token-012345678")] {
        let a = api(&app, Method::GET, "/metrics", given, None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{given:?}");
        assert!(!a.body.contains("zhengshu_"), "{}", a.body);
    }
    let a = api(
        &app,
        Method::GET,
        "/metrics",
        Some("m-token-0123456789"),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text")),
        "{:?}",
        a.header("content-type")
    );
    // The requests above are counted under their route, not their path.
    assert!(
        a.body.contains(
            r#"zhengshu_http_requests_total{route="/metrics",method="GET",status="401"}"#
        ),
        "{}",
        a.body
    );
    assert!(a.body.contains("zhengshu_queue_depth 0"), "{}", a.body);
}
