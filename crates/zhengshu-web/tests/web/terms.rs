//! 服务须知: until the current version is agreed, every holder page leads
//! to the terms and every `/api/v1/me` call answers 403
//! `terms_not_accepted`; agreement is recorded with version and time, and
//! a new version must be agreed again.

use axum::http::{Method, StatusCode};
use zhengshu_storage::Storage;

use crate::helpers::*;

/// Every holder page, for a certificate of the holder.
fn holder_pages(id: i64) -> Vec<String> {
    vec![
        "/certificates".into(),
        format!("/certificates/{id}"),
        format!("/certificates/{id}/details"),
        format!("/certificates/{id}/download"),
    ]
}

/// Every holder API call (GET).
fn holder_calls(id: i64) -> Vec<String> {
    vec![
        "/api/v1/me".into(),
        "/api/v1/me/certificates".into(),
        format!("/api/v1/me/certificates/{id}"),
    ]
}

#[tokio::test]
async fn every_holder_page_and_call_waits_for_the_terms() {
    let app = app().await;
    let holder = zhang(&app).await;
    let id = certificate_id(&app, zhengshu_demo::PHARMACIST_NUMBER).await;

    // Signed out: pages lead to the log-in, the API says 401.
    let mut anonymous = Browser::new();
    for page in holder_pages(id) {
        let a = anonymous.get(&app, &page).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{page}");
        let want = format!(
            "/login?{}",
            serde_urlencoded::to_string([("next", &page)]).unwrap()
        );
        assert_eq!(a.location(), want);
    }
    for call in holder_calls(id) {
        let a = api(&app, Method::GET, &call, None, None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{call}");
        assert_eq!(a.code(), "unauthenticated");
    }

    // Signed in, terms not agreed.
    let mut b = Browser::new();
    let a = b.log_in(&app, "demo", PASSWORD).await;
    assert_eq!(a.location(), "/certificates");
    for page in holder_pages(id) {
        let a = b.get(&app, &page).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{page}");
        assert!(
            a.location().starts_with("/terms?next="),
            "{page}: {}",
            a.location()
        );
    }
    let t = token(&app, "demo").await;
    for call in holder_calls(id) {
        let a = api_lang(&app, Method::GET, &call, Some(&t), None, Some("zh-CN")).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{call}");
        assert_eq!(a.code(), "terms_not_accepted");
        assert!(a.body.contains("请先阅读并同意服务须知"));
    }
    let terms = api(&app, Method::GET, "/api/v1/terms", Some(&t), None).await;
    assert_eq!(terms.status, StatusCode::OK);
    assert_eq!(terms.json()["version"], 1);
    assert_eq!(terms.json()["accepted"], false);

    // The terms page shows the text and the 同意 button; agreeing goes on to
    // where the holder was going.
    let page = b
        .get(&app, &format!("/terms?next=/certificates/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("本系统提供专业技术人员职业资格证书的查询")
    );
    assert!(page.body.contains(">同意</button>"));
    let a = b
        .post_raw(
            &app,
            "/terms",
            &[
                ("csrf", &page.csrf()),
                ("version", "1"),
                ("next", &format!("/certificates/{id}")),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), format!("/certificates/{id}"));
    for page in holder_pages(id) {
        assert_eq!(b.get(&app, &page).await.status, StatusCode::OK, "{page}");
    }
    // The same holder's API token is through the gate as well.
    for call in holder_calls(id) {
        let a = api(&app, Method::GET, &call, Some(&t), None).await;
        assert_eq!(a.status, StatusCode::OK, "{call}");
    }
    // Recorded with version and time, and audited.
    assert_eq!(
        app.store.holder(holder).await.unwrap().accepted_terms,
        Some(1)
    );
    let dump = app.store.dump().await.unwrap();
    let at_ms = app.clock.now_ts().as_millisecond();
    assert!(
        dump.contains(&format!("{holder}|1|{at_ms}")),
        "terms_acceptances row with version and time"
    );
    let events = app
        .store
        .audit_events(Some(&format!("holder:{holder}")), 5)
        .await
        .unwrap();
    assert_eq!(events[0].action, "terms.accept");

    // A new version closes the gate again, for pages and the API alike.
    app.store
        .publish_terms("服务须知（第二版）", app.clock.now_ts())
        .await
        .unwrap();
    let a = b.get(&app, "/certificates").await;
    assert!(a.location().starts_with("/terms"));
    let a = api(&app, Method::GET, "/api/v1/me/certificates", Some(&t), None).await;
    assert_eq!(a.code(), "terms_not_accepted");
    let a = api(&app, Method::POST, "/api/v1/terms/accept", Some(&t), None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = api(&app, Method::GET, "/api/v1/me/certificates", Some(&t), None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        app.store.holder(holder).await.unwrap().accepted_terms,
        Some(2)
    );
    let a = b.get(&app, "/certificates").await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn agreeing_to_a_version_that_is_no_longer_current_shows_the_new_one() {
    let app = app().await;
    zhang(&app).await;
    let mut b = Browser::new();
    b.log_in(&app, "demo", PASSWORD).await;
    let page = b.get(&app, "/terms").await;
    app.store
        .publish_terms("服务须知（第二版）", app.clock.now_ts())
        .await
        .unwrap();
    let a = b
        .post_raw(&app, "/terms", &[("csrf", &page.csrf()), ("version", "1")])
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("第二版"));
    assert!(
        b.get(&app, "/certificates")
            .await
            .location()
            .starts_with("/terms")
    );
}
