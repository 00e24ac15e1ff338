//! Log-in throttling, per account and per client address: 429 with
//! `Retry-After` and "try again in N minutes", the right password refused
//! while throttled, and recovery once the window has passed (the clock is
//! moved, nothing sleeps).

use axum::http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::json;

use crate::helpers::*;

async fn attempt(app: &App, username: &str, password: &str) -> Answer {
    api_lang(
        app,
        Method::POST,
        "/api/v1/sessions",
        None,
        Some(json!({"username": username, "password": password})),
        Some("en"),
    )
    .await
}

#[tokio::test]
async fn an_account_is_throttled_after_five_failures_and_recovers_after_the_window() {
    let app = app().await;
    zhang(&app).await;
    for i in 0..5 {
        let a = attempt(&app, "demo", "Wrong-password-1").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        app.clock.advance(SignedDuration::from_mins(1));
    }
    // Now even the right password is refused, with the time to wait: the
    // first failure was 5 minutes ago, the window is 15 minutes.
    let a = attempt(&app, "demo", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert_eq!(a.code(), "too_many_attempts");
    assert_eq!(a.header("retry-after"), Some("600"));
    assert_eq!(
        a.json()["error"]["message"],
        "Too many log-in attempts. Please try again in 10 minutes."
    );
    // The page says it too, in Chinese by default.
    let mut b = Browser::new();
    let page = b.log_in(&app, "demo", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(page.header("retry-after"), Some("600"));
    assert!(page.body.contains("请在 10 分钟后再试"), "{}", page.body);

    // One minute before the window ends: still throttled, one minute to go.
    app.clock.advance(SignedDuration::from_mins(9));
    let a = attempt(&app, "demo", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.header("retry-after"), Some("60"));
    assert!(a.body.contains("try again in 1 minute."), "{}", a.body);
    // Once the window has passed, the right password works.
    app.clock.advance(SignedDuration::from_mins(1));
    let a = attempt(&app, "demo", PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // And the account's record was cleared: four failures are allowed again.
    for _ in 0..4 {
        assert_eq!(
            attempt(&app, "demo", "Wrong-1x").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(attempt(&app, "demo", PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_accounts_are_throttled_like_real_ones() {
    let app = app().await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&app, "nobody", "Wrong-1x").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let a = attempt(&app, "nobody", "Wrong-1x").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.header("retry-after"), Some("900"));
}

#[tokio::test]
async fn a_client_address_is_throttled_across_accounts_and_others_are_not() {
    let app = app_with(|s| s.trust_forwarded_for = true).await;
    zhang(&app).await;
    let from = |client: &'static str, username: String, password: &'static str| {
        let app = &app;
        async move {
            let mut b = Browser::new();
            b.client = Some(format!("10.0.0.1, {client}"));
            b.accept_language = Some("en".into());
            b.log_in(app, &username, password).await
        }
    };
    // Twenty failures from one address, four per account (under the
    // account limit).
    for i in 0..20 {
        let a = from("203.0.113.7", format!("user{}", i / 4), "Wrong-1x").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let a = from("203.0.113.7", "demo".into(), PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.body.contains("try again in 15 minutes"), "{}", a.body);
    // Another address logs in to the same account.
    let a = from("198.51.100.9", "demo".into(), PASSWORD).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // After the window the first address may try again.
    app.clock.advance(SignedDuration::from_mins(15));
    let a = from("203.0.113.7", "demo".into(), PASSWORD).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
}
