//! Access control: for every holder page and API call, holder A asking for
//! holder B's certificate gets 404, exactly as for one that does not
//! exist; certificates are matched by ID type, ID number and exact name.

use axum::http::{Method, StatusCode};

use crate::helpers::*;

fn pages(id: &str) -> Vec<String> {
    vec![
        format!("/certificates/{id}"),
        format!("/certificates/{id}/details"),
        format!("/certificates/{id}/download"),
    ]
}

fn calls(id: &str) -> Vec<String> {
    vec![format!("/api/v1/me/certificates/{id}")]
}

#[tokio::test]
async fn another_holders_certificate_is_not_found_on_every_route() {
    let app = app().await;
    zhang(&app).await;
    chen(&app).await;
    let mine = certificate_id(&app, zhengshu_demo::PHARMACIST_NUMBER)
        .await
        .to_string();
    let theirs = certificate_id(&app, zhengshu_demo::EXT_B_NUMBER)
        .await
        .to_string();

    let mut a = Browser::new();
    a.log_in_agreed(&app, "demo").await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo2").await;
    for page in pages(&mine) {
        assert_eq!(a.get(&app, &page).await.status, StatusCode::OK, "{page}");
    }
    for page in pages(&theirs) {
        assert_eq!(b.get(&app, &page).await.status, StatusCode::OK, "{page}");
    }
    let absent = "999999";
    for (theirs_page, absent_page) in pages(&theirs).into_iter().zip(pages(absent)) {
        let got = a.get(&app, &theirs_page).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{theirs_page}");
        let none = a.get(&app, &absent_page).await;
        assert_eq!(none.status, StatusCode::NOT_FOUND);
        assert_eq!(got.body, none.body, "no difference to tell existence by");
        assert!(!got.body.contains(zhengshu_demo::EXT_B_NUMBER));
    }
    for page in pages("abc").into_iter().chain(pages("-1")) {
        assert_eq!(
            a.get(&app, &page).await.status,
            StatusCode::NOT_FOUND,
            "{page}"
        );
    }
    // B's list does not show A's certificates, nor A's B's.
    let list = a.get(&app, "/certificates").await;
    assert!(list.body.contains(zhengshu_demo::PHARMACIST_NUMBER));
    assert!(!list.body.contains(zhengshu_demo::EXT_B_NUMBER));
    let list = b.get(&app, "/certificates").await;
    assert!(list.body.contains(zhengshu_demo::EXT_B_NUMBER));
    assert!(!list.body.contains(zhengshu_demo::PHARMACIST_NUMBER));

    let ta = agreed_token(&app, "demo").await;
    let tb = agreed_token(&app, "demo2").await;
    for call in calls(&mine) {
        assert_eq!(
            api(&app, Method::GET, &call, Some(&ta), None).await.status,
            StatusCode::OK
        );
    }
    for (theirs_call, absent_call) in calls(&theirs).into_iter().zip(calls(absent)) {
        assert_eq!(
            api(&app, Method::GET, &theirs_call, Some(&tb), None)
                .await
                .status,
            StatusCode::OK
        );
        let got = api(&app, Method::GET, &theirs_call, Some(&ta), None).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{theirs_call}");
        assert_eq!(got.code(), "not_found");
        let none = api(&app, Method::GET, &absent_call, Some(&ta), None).await;
        assert_eq!(got.body, none.body);
    }
    let list = api(
        &app,
        Method::GET,
        "/api/v1/me/certificates",
        Some(&ta),
        None,
    )
    .await;
    let numbers: Vec<String> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(numbers.len(), 3);
    assert!(!numbers.iter().any(|n| n == zhengshu_demo::EXT_B_NUMBER));
}

#[tokio::test]
async fn the_same_document_with_another_name_sees_nothing() {
    let app = app().await;
    // 张三's ID number, but registered as 张叁: no certificate is theirs.
    holder(&app, "zhangsan2", "张叁", zhengshu_demo::DEMO.id_number).await;
    let t = agreed_token(&app, "zhangsan2").await;
    let list = api(&app, Method::GET, "/api/v1/me/certificates", Some(&t), None).await;
    assert_eq!(list.json(), serde_json::json!([]));
    let id = certificate_id(&app, zhengshu_demo::PHARMACIST_NUMBER).await;
    let a = api(
        &app,
        Method::GET,
        &format!("/api/v1/me/certificates/{id}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}
