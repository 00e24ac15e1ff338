//! 登录 and log-out: one message for unknown users and wrong passwords,
//! the session cookie's attributes, sessions that end on log-out and when
//! idle.

use axum::http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = app().await;
    zhang(&app).await;
    let attempt = |username: &'static str, password: &'static str| {
        let app = &app;
        async move {
            api(
                app,
                Method::POST,
                "/api/v1/sessions",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await
        }
    };
    let wrong = attempt("demo", "Wrong-password-1").await;
    let unknown = attempt("nobody", "Wrong-password-1").await;
    let malformed = attempt("no such user!", "x").await;
    for a in [&wrong, &unknown, &malformed] {
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.code(), "invalid_credentials");
    }
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body, malformed.body);

    // The pages say the same too.
    let mut b = Browser::new();
    let p1 = b.log_in(&app, "demo", "Wrong-password-1").await;
    let p2 = b.log_in(&app, "nobody", "Wrong-password-1").await;
    assert_eq!(p1.status, StatusCode::UNAUTHORIZED);
    assert_eq!(p2.status, StatusCode::UNAUTHORIZED);
    let message = "用户名或密码错误";
    assert!(p1.body.contains(message) && p2.body.contains(message));
    assert!(
        !p1.body.contains("Wrong-password-1"),
        "the password is not sent back"
    );

    // The right password works, with any letter case in the username.
    let ok = attempt("DEMO", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["token"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_secure_behind_tls() {
    for (base, secure) in [
        ("http://127.0.0.1", false),
        ("https://zhengshu.example", true),
    ] {
        let app = app_with(|s| s.public_base_url = base.into()).await;
        zhang(&app).await;
        let mut b = Browser::new();
        let a = b.log_in(&app, "demo", PASSWORD).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let cookies: Vec<&str> = a
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        let session = cookies
            .iter()
            .find(|c| c.starts_with("session="))
            .expect("a session cookie");
        assert!(session.contains("HttpOnly"), "{session}");
        assert!(session.contains("SameSite=Lax"), "{session}");
        assert_eq!(session.contains("Secure"), secure, "{session}");
        // The token is random and only its hash is stored.
        let token = &session["session=".len()..session.find(';').unwrap()];
        assert_eq!(token.len(), 64);
        let dump = zhengshu_storage::Storage::dump(&*app.store).await.unwrap();
        assert!(!dump.contains(token), "the token itself is not stored");
        // A new CSRF secret comes with the session; over TLS in a
        // `__Host-` cookie (Secure, path /, no Domain).
        let name = if secure { "__Host-csrf=" } else { "csrf=" };
        let csrf = cookies
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {cookies:?}"));
        assert_eq!(csrf.contains("Secure"), secure, "{csrf}");
        assert!(
            csrf.contains("Path=/") && !csrf.contains("Domain"),
            "{csrf}"
        );
    }
}

#[tokio::test]
async fn log_out_ends_the_session() {
    let app = app().await;
    zhang(&app).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    assert_eq!(b.get(&app, "/certificates").await.status, StatusCode::OK);
    let stolen = b.clone();
    let a = b.submit(&app, "/certificates", "/logout", &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/login?logged_out=1");
    assert!(!b.cookies.contains_key("session"), "the cookie is cleared");
    // The old cookie is worth nothing now.
    let mut stolen = stolen;
    let after = stolen.get(&app, "/certificates").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location().starts_with("/login?next="));

    // API tokens likewise.
    let t = agreed_token(&app, "demo").await;
    let a = api(
        &app,
        Method::DELETE,
        "/api/v1/sessions/current",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = api(&app, Method::GET, "/api/v1/me/certificates", Some(&t), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.code(), "unauthenticated");
}

#[tokio::test]
async fn sessions_end_when_idle_and_after_their_maximum_life() {
    let app = app().await;
    zhang(&app).await;
    let t = agreed_token(&app, "demo").await;
    let me = |t: &str| {
        let (app, t) = (&app, t.to_owned());
        async move {
            api(app, Method::GET, "/api/v1/me", Some(&t), None)
                .await
                .status
        }
    };
    // Used every 20 minutes, it lives on.
    for _ in 0..3 {
        app.clock.advance(SignedDuration::from_mins(20));
        assert_eq!(me(&t).await, StatusCode::OK);
    }
    // Idle for 31 minutes, it is over.
    app.clock.advance(SignedDuration::from_mins(31));
    assert_eq!(me(&t).await, StatusCode::UNAUTHORIZED);

    // Never longer than 12 hours, however busy.
    let t = token(&app, "demo").await;
    for step in 1..=36 {
        app.clock.advance(SignedDuration::from_mins(20));
        let want = if step < 36 {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(me(&t).await, want, "after {} minutes", step * 20);
    }
}

#[tokio::test]
async fn a_page_token_is_not_a_bearer_token_and_the_reverse() {
    let app = app().await;
    zhang(&app).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let page_token = b.cookies["session"].clone();
    let a = api(&app, Method::GET, "/api/v1/me", Some(&page_token), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let api_token = agreed_token(&app, "demo").await;
    let mut other = Browser::new();
    other.cookies.insert("session".into(), api_token);
    let a = other.get(&app, "/certificates").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
}
