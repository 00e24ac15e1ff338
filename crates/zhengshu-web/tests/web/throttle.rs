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
        "Too many attempts. Please try again in 10 minutes."
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

/// A log-in through the API from `client` (an app that trusts
/// `X-Forwarded-For`).
async fn attempt_from(app: &App, client: &str, username: &str, password: &str) -> Answer {
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/sessions")
        .header("content-type", "application/json")
        .header("x-forwarded-for", client)
        .body(axum::body::Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap();
    send(&app.router, req).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_simultaneous_logins_check_at_most_the_allowed_passwords() {
    let app = app_with(|s| s.trust_forwarded_for = true).await;
    zhang(&app).await;
    let router = app.router.clone();
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let router = router.clone();
            tokio::spawn(async move {
                let password = if i == 30 {
                    PASSWORD
                } else {
                    "Wrong-password-1"
                };
                let req = axum::http::Request::builder()
                    .method(Method::POST)
                    .uri("/api/v1/sessions")
                    .header("content-type", "application/json")
                    .header("x-forwarded-for", "203.0.113.7")
                    .body(axum::body::Body::from(
                        json!({"username": "demo", "password": password}).to_string(),
                    ))
                    .unwrap();
                send(&router, req).await.status
            })
        })
        .collect();
    let mut by_status = std::collections::BTreeMap::new();
    for t in tasks {
        *by_status.entry(t.await.unwrap().as_u16()).or_insert(0) += 1;
    }
    let gate = &app.state.passwords;
    let limit = app.state.limits.login_failures_per_account_client;
    // Five failures may be checked, plus the right password if it came in
    // time (a success gives its slot back).
    let checked = gate.checks();
    assert!(
        (limit as u64..=limit as u64 + 1).contains(&checked),
        "{checked} passwords checked; answers {by_status:?}"
    );
    let refused = by_status.get(&401).copied().unwrap_or(0);
    let admitted = by_status.get(&200).copied().unwrap_or(0);
    assert_eq!(refused + admitted, checked as i64, "{by_status:?}");
    assert!(
        refused <= limit && refused + admitted >= limit,
        "{by_status:?}"
    );
    assert_eq!(
        by_status.values().sum::<i64>(),
        60,
        "every attempt answered: {by_status:?}"
    );
    assert!(by_status.keys().all(|s| [200, 401, 429].contains(s)));
    // Memory: argon2id needs 19 MiB per computation and no more ran at
    // once than the gate's permits (one per core), so the argon2 memory of
    // a login storm is bounded by permits × 19 MiB (38 MiB on 2 cores).
    assert!(gate.peak() <= gate.permits(), "{} at once", gate.peak());
    assert_eq!(zhengshu_domain::password::ARGON2_MEMORY_KIB, 19 * 1024);
}

#[tokio::test]
async fn strangers_failures_do_not_lock_the_owner_out() {
    let app = app_with(|s| s.trust_forwarded_for = true).await;
    zhang(&app).await;
    for i in 0..5 {
        let a = attempt_from(&app, &format!("198.51.100.{i}"), "demo", "Wrong-1x").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "stranger {i}");
    }
    // Even the address with five failures is stopped for this account…
    for i in 0..5 {
        let _ = attempt_from(&app, "198.51.100.0", "demo", &format!("Wrong-{i}x")).await;
    }
    let a = attempt_from(&app, "198.51.100.0", "demo", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    // …but the owner, from a new address, gets in.
    let a = attempt_from(&app, "192.0.2.44", "demo", PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

#[tokio::test]
async fn a_guesser_rotating_addresses_is_stopped_by_the_account_limit() {
    let app = app_with(|s| s.trust_forwarded_for = true).await;
    zhang(&app).await;
    let per_account = app.state.limits.login_failures_per_account;
    let per_pair = app.state.limits.login_failures_per_account_client;
    let mut checked = 0;
    // Each address guesses up to its own limit, then the next one takes
    // over.
    for n in 0..per_account {
        let client = format!("10.{}.{}.1", n / per_pair, 0);
        let a = attempt_from(&app, &client, "demo", &format!("Guess-{n}-x")).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "guess {n}");
        checked += 1;
    }
    // Fresh addresses are refused now, the right password included.
    for n in 0..20 {
        let a = attempt_from(&app, &format!("172.16.{n}.9"), "demo", "Guess-more-x").await;
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "fresh address {n}");
    }
    let a = attempt_from(&app, "192.0.2.44", "demo", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.state.passwords.checks(), checked as u64);
    // After the window the account opens again.
    app.clock.advance(SignedDuration::from_mins(15));
    let a = attempt_from(&app, "192.0.2.44", "demo", PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}
