//! 找回密码 on the pages, without JavaScript: a username, a code e-mailed
//! (through a real SMTP server) to the contact recorded for the proven
//! identity, the code and a new password; the page answers alike for an
//! unknown account; every earlier session ends; sending is throttled with
//! a page saying how long to wait, and `Retry-After`.

use axum::http::StatusCode;

use crate::helpers::*;
use crate::identity::{record_email, smtp_app};
use crate::smtp::SmtpSink;

/// Posts the reset form from a copy of `b`.
async fn post(b: &Browser, app: &App, fields: Vec<(&'static str, String)>) -> Answer {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.clone().post_raw(app, "/recovery/reset", &f).await
}

#[tokio::test]
async fn a_holder_recovers_a_forgotten_password_on_the_pages() {
    let (app, sink) = smtp_app().await;
    record_email(&app).await;
    zhang(&app).await;
    let user = zhengshu_demo::DEMO.username;
    let mut old = Browser::new();
    old.log_in_agreed(&app, user).await;

    let mut b = Browser::new();
    let login = b.get(&app, "/login").await;
    assert!(login.body.contains("href=\"/recovery\""));
    let sent = b
        .submit(&app, "/recovery", "/recovery", &[("username", user)])
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("id=\"recovery-sent\""), "{}", sent.body);
    assert!(sink.message(1).contains("找回密码验证码"));
    // An unknown username: the same page, and nothing sent.
    let mut stranger = Browser::new();
    let alike = stranger
        .submit(&app, "/recovery", "/recovery", &[("username", "nobody")])
        .await;
    assert_eq!(alike.status, sent.status);
    assert!(alike.body.contains("id=\"recovery-sent\""));
    assert_eq!(sink.count(), 1);

    let code = sink.code(1);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let new_password = "Qv7-harbour-lantern";
    let reset = |code: &str, confirmation: &str| {
        vec![
            ("csrf", sent.csrf()),
            ("username", user.to_owned()),
            ("code", code.to_owned()),
            ("password", new_password.to_owned()),
            ("password_confirmation", confirmation.to_owned()),
        ]
    };
    let a = post(&b, &app, reset(&code, "something else")).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("两次输入的密码不一致"), "{}", a.body);
    let a = post(&b, &app, reset(wrong, new_password)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("id=\"recovery-error\""), "{}", a.body);
    let a = post(&b, &app, reset(&code, new_password)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(a.location().starts_with("/login?recovered=1"));

    // The session from before is over; the new password opens a new one.
    let before = old.get(&app, "/certificates").await;
    assert!(
        before.location().starts_with("/login"),
        "{}",
        before.location()
    );
    let mut after = Browser::new();
    let a = after.log_in(&app, user, new_password).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // The code is spent.
    let a = post(&b, &app, reset(&code, new_password)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn sending_recovery_codes_is_throttled_with_a_page_saying_how_long_to_wait() {
    let sink = SmtpSink::start();
    let senders = sink.senders();
    let app = app_with(|s| {
        s.senders = senders;
        s.identity_limits.sends_per_client = 2;
    })
    .await;
    record_email(&app).await;
    zhang(&app).await;
    let mut b = Browser::new();
    for _ in 0..2 {
        let a = b
            .submit(&app, "/recovery", "/recovery", &[("username", "demo")])
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }
    let a = b
        .submit(&app, "/recovery", "/recovery", &[("username", "demo")])
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    let wait: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 3600, "{wait}");
    assert!(a.body.contains("请求验证码的次数过多"), "{}", a.body);
    assert!(
        a.body.contains("name=\"username\""),
        "the form again: {}",
        a.body
    );
    assert_eq!(sink.count(), 2);
    // An unknown username is throttled alike: the limit is the address's.
    let a = b
        .submit(&app, "/recovery", "/recovery", &[("username", "nobody")])
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
}
