//! Verifications recorded: written by the background writer within
//! moments, and shown on the holder's [下载] page with when and how —
//! never the verifier's address; checks that found nothing not recorded.

use axum::http::StatusCode;
use serde_json::json;
use zhengshu_demo::PHARMACIST_NUMBER;
use zhengshu_storage::Storage;

use crate::helpers::*;
use crate::verify::{annotated, annotated_with, by_code, from, ok};

#[tokio::test]
async fn the_holder_sees_how_often_when_and_how_the_annotation_was_verified() {
    let (app, id, code) = annotated_with(|s| s.trust_forwarded_for = true).await;
    let verifier = "198.51.100.77";
    let page = format!(
        "/certificates/{}/download",
        certificate_id(&app, PHARMACIST_NUMBER).await
    );
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let before = b.get(&app, &page).await;
    assert!(before.body.contains("已被查验 0 次"), "{}", before.body);

    let path = format!("/api/v1/verify/{code}");
    assert_eq!(
        from(&app, verifier, &path, None).await.status,
        StatusCode::OK
    );
    let batch = json!({"items": [{"code": code}]});
    let a = from(&app, verifier, "/api/v1/verify/batch", Some(batch)).await;
    assert_eq!(a.status, StatusCode::OK);
    // Checks that found nothing are not recorded.
    from(&app, verifier, "/api/v1/verify/ABCDEFGHJKLMNPQRSTUV", None).await;
    app.state.recorder.flush().await;

    let after = b.get(&app, &page).await;
    assert!(after.body.contains("已被查验 2 次"), "{}", after.body);
    assert!(after.body.contains("接口查验"), "{}", after.body);
    assert!(after.body.contains("批量查验"), "{}", after.body);
    assert!(after.body.contains("2026-11-20 10:00"), "{}", after.body);
    assert!(!after.body.contains(verifier));
    let log = app.store.verifications_of_annotation(id, 10).await.unwrap();
    assert_eq!(log.count, 2);
}

#[tokio::test]
async fn verifications_are_written_within_moments_without_a_flush() {
    let (app, id, code) = annotated().await;
    for _ in 0..3 {
        ok(&by_code(&app, &code).await);
    }
    // The background writer flushes every second; give it up to 5 s.
    let mut count = 0;
    for _ in 0..50 {
        count = app
            .store
            .verifications_of_annotation(id, 10)
            .await
            .unwrap()
            .count;
        if count == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(count, 3);
    let log = app.store.verifications_of_annotation(id, 10).await.unwrap();
    assert!(log.newest.iter().all(|v| v.channel.code() == "api"));
    assert!(log.newest.iter().all(|v| v.verdict.code() == "valid"));
}
