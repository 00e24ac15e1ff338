//! CSRF: every form is refused without the token of this browser's
//! cookie, and a log-in renews the secret.

use axum::http::StatusCode;

use crate::helpers::*;

/// Every POST form of the portal, with fields that would otherwise be
/// accepted.
const FORMS: [(&str, &[(&str, &str)]); 4] = [
    ("/login", &[("username", "demo"), ("password", PASSWORD)]),
    (
        "/register",
        &[
            ("name", "李四"),
            ("id_type", "resident_id"),
            ("id_number", "110101199003070011"),
            ("username", "lisi"),
            ("password", "Zq8-lamp-river"),
            ("password_confirmation", "Zq8-lamp-river"),
        ],
    ),
    ("/terms", &[("version", "1")]),
    ("/logout", &[]),
];

#[tokio::test]
async fn every_form_is_refused_without_a_matching_token() {
    let app = app().await;
    zhang(&app).await;
    let mut signed_in = Browser::new();
    signed_in.log_in(&app, "demo", PASSWORD).await;
    let mut stranger = Browser::new();
    let stranger_token = stranger.get(&app, "/login").await.csrf();
    let own_token = signed_in.get(&app, "/terms").await.csrf();
    assert_ne!(stranger_token, own_token);

    for (path, fields) in FORMS {
        let bad_tokens: [Option<&str>; 4] = [
            None,
            Some(""),
            Some("00"),
            // Valid for another browser's cookie only.
            Some(&stranger_token),
        ];
        for token in bad_tokens {
            let mut all: Vec<(&str, &str)> = fields.to_vec();
            if let Some(t) = token {
                all.push(("csrf", t));
            }
            let mut b = signed_in.clone();
            let a = b.post_raw(&app, path, &all).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{path} with {token:?}");
            assert!(a.body.contains("表单已过期"), "{path}: an explained page");
            assert_eq!(a.header("content-type"), Some("text/html; charset=utf-8"));
        }
        // Without any cookie at all: the forms open to everyone refuse;
        // the others first need a session and lead to the log-in.
        let mut cookieless = Browser::new();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &own_token));
        let a = cookieless.post_raw(&app, path, &all).await;
        if path == "/terms" {
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{path} without cookies");
            assert_eq!(a.location(), "/login");
        } else {
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{path} without cookies");
        }
    }
    // Nothing happened: not registered, terms not agreed, still signed in.
    assert!(
        zhengshu_storage::Storage::holder_by_username(
            &*app.store,
            &zhengshu_domain::Username::parse("lisi").unwrap()
        )
        .await
        .is_err()
    );
    let a = signed_in.get(&app, "/certificates").await;
    assert!(a.location().starts_with("/terms"), "terms still pending");

    // With the page's own token each form goes through.
    let a = signed_in
        .post_raw(&app, "/terms", &[("csrf", &own_token), ("version", "1")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
}

#[tokio::test]
async fn a_token_from_before_log_in_is_worthless_after_it() {
    let app = app().await;
    zhang(&app).await;
    let mut b = Browser::new();
    let before = b.get(&app, "/login").await.csrf();
    let a = b
        .post_raw(
            &app,
            "/login",
            &[
                ("csrf", &before),
                ("username", "demo"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let a = b
        .post_raw(&app, "/terms", &[("csrf", &before), ("version", "1")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let after = b.get(&app, "/terms").await.csrf();
    assert_ne!(before, after);
    let a = b
        .post_raw(&app, "/terms", &[("csrf", &after), ("version", "1")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_token_serves_only_the_session_it_was_shown_in() {
    let app = app().await;
    zhang(&app).await;
    let mut a = Browser::new();
    a.log_in_agreed(&app, "demo").await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    // Browser b is given a's CSRF cookie (planted, say, by a neighbouring
    // site): a's token still does not work in b's session.
    b.cookies
        .insert("csrf".into(), a.cookies.get("csrf").unwrap().clone());
    let token_a = a.get(&app, "/certificates").await.csrf();
    let refused = b.post_raw(&app, "/logout", &[("csrf", &token_a)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    // Its own page's token does.
    let token_b = b.get(&app, "/certificates").await.csrf();
    assert_ne!(token_a, token_b);
    let ok = b.post_raw(&app, "/logout", &[("csrf", &token_b)]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn over_tls_the_csrf_cookie_has_the_host_prefix() {
    let app = app_with(|s| s.public_base_url = "https://zhengshu.example".into()).await;
    let page = Browser::new().get(&app, "/login").await;
    let cookie = page.header("set-cookie").unwrap_or_default().to_owned();
    assert!(cookie.starts_with("__Host-csrf="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    // Forms work with it.
    zhang(&app).await;
    let mut b = Browser::new();
    let a = b.log_in(&app, "demo", PASSWORD).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
}
