//! Identity before certificates: an account that has not proven the
//! identity it registered with sees none (terms first, then identity);
//! proving by an e-mailed code (through a real SMTP server) and by the
//! 管理号 make them appear; wrong, expired and reused codes are refused; a
//! stronger proof reclaims a squatted identity and the loser is told once;
//! a weaker one cannot; a code is accepted once however many submissions
//! race.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use zhengshu_domain::{Actor, Contacts, Email, NewCertificate};
use zhengshu_storage::Storage;

use crate::helpers::*;
use crate::smtp::SmtpSink;

const ZHANG_EMAIL: &str = "zhang.san@example.com";

fn showcase(number: &str) -> NewCertificate {
    zhengshu_demo::showcase_certificates()
        .into_iter()
        .find(|c| c.number.as_str() == number)
        .expect("a showcase certificate")
}

/// The 管理号 printed on the demo pharmacist certificate.
fn management_number() -> String {
    showcase(zhengshu_demo::PHARMACIST_NUMBER)
        .management_number
        .expect("the demo certificates have one")
}

/// The issuing body records 张三's e-mail with one certificate.
pub(crate) async fn record_email(app: &App) {
    let mut c = showcase(zhengshu_demo::ECONOMIST_NUMBER);
    c.contacts = Contacts {
        phone: None,
        email: Some(Email::parse(ZHANG_EMAIL).unwrap()),
    };
    let mut tx = app
        .store
        .begin_import(&Actor::Cli("test".into()))
        .await
        .unwrap();
    tx.write(&[c], true, app.clock.now_ts()).await.unwrap();
    tx.commit().await.unwrap();
}

pub(crate) async fn smtp_app() -> (App, SmtpSink) {
    let sink = SmtpSink::start();
    let senders = sink.senders();
    let app = app_with(|s| s.senders = senders).await;
    (app, sink)
}

async fn certificates(app: &App, token: &str) -> crate::helpers::Answer {
    api(
        app,
        Method::GET,
        "/api/v1/me/certificates",
        Some(token),
        None,
    )
    .await
}

async fn post(app: &App, path: &str, token: &str, body: Value) -> crate::helpers::Answer {
    api(app, Method::POST, path, Some(token), Some(body)).await
}

#[tokio::test]
async fn an_account_sees_no_certificate_until_it_proves_terms_first() {
    let app = app().await;
    let d = zhengshu_demo::DEMO;
    // Anyone may register with a known name and ID number.
    unproven_holder(&app, "squatter", d.name, d.id_number).await;
    let t = token(&app, "squatter").await;
    let a = certificates(&app, &t).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::FORBIDDEN, "terms_not_accepted".into())
    );
    let a = api(&app, Method::POST, "/api/v1/terms/accept", Some(&t), None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    for path in [
        "/api/v1/me/certificates",
        &format!(
            "/api/v1/me/certificates/{}",
            certificate_id(&app, zhengshu_demo::PHARMACIST_NUMBER).await
        ),
    ] {
        let a = api(&app, Method::GET, path, Some(&t), None).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::FORBIDDEN, "identity_not_proven".into()),
            "{path}"
        );
    }
    let a = api_lang(
        &app,
        Method::GET,
        "/api/v1/me/certificates",
        Some(&t),
        None,
        Some("en"),
    )
    .await;
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("prove your identity")
    );
    let me = api(&app, Method::GET, "/api/v1/me", Some(&t), None).await;
    assert_eq!(me.json()["identity_proof"], "none");

    // The pages: the certificate list leads to what is missing and how.
    let mut b = Browser::new();
    b.log_in_agreed(&app, "squatter").await;
    let list = b.get(&app, "/certificates").await;
    assert_eq!(list.status, StatusCode::SEE_OTHER);
    assert!(
        list.location().starts_with("/identity"),
        "{}",
        list.location()
    );
    let page = b.get(&app, "/identity").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("尚未核验身份"), "{}", page.body);
    assert!(page.body.contains("管理号"));
    // No platform is configured here: that way is not offered.
    assert!(!page.body.contains("/login/platform"));
    assert!(!page.body.contains(d.id_number), "the ID number is masked");

    // The demo holder is proven: the list is there.
    zhang(&app).await;
    let t = agreed_token(&app, zhengshu_demo::DEMO.username).await;
    let a = certificates(&app, &t).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

#[tokio::test]
async fn an_emailed_code_proves_once_and_wrong_expired_and_reused_codes_are_refused() {
    let (app, sink) = smtp_app().await;
    record_email(&app).await;
    let d = zhengshu_demo::DEMO;
    unproven_holder(&app, "zhang2", d.name, d.id_number).await;
    let t = agreed_token(&app, "zhang2").await;

    let ways = api(&app, Method::GET, "/api/v1/me/identity", Some(&t), None).await;
    let ways = ways.json();
    assert_eq!(ways["channels"][0]["masked"], "z***@example.com", "{ways}");
    assert_eq!(ways["management_number"], false, "a contact is recorded");
    assert!(!ways.to_string().contains(ZHANG_EMAIL), "never in clear");

    // A first code, left to expire.
    let a = post(&app, "/api/v1/me/identity/codes", &t, json!({"channel": 0})).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert_eq!(a.json()["masked"], "z***@example.com");
    let mail = sink.message(1);
    assert!(mail.starts_with(&format!("To: {ZHANG_EMAIL}")), "{mail}");
    assert!(
        mail.contains("身份核验验证码"),
        "in the holder's language: {mail}"
    );
    let expired = sink.code(1);
    app.clock.advance(jiff::SignedDuration::from_mins(11));
    let a = post(
        &app,
        "/api/v1/me/identity/code",
        &t,
        json!({"code": expired}),
    )
    .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "code_expired".into())
    );

    // A second code: a wrong one first, then the right one.
    post(&app, "/api/v1/me/identity/codes", &t, json!({"channel": 0})).await;
    let code = sink.code(2);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let a = post(&app, "/api/v1/me/identity/code", &t, json!({"code": wrong})).await;
    assert_eq!(a.code(), "code_wrong");
    assert!(
        a.json()["error"]["message"].as_str().unwrap().contains('4'),
        "{}",
        a.body
    );
    assert_eq!(certificates(&app, &t).await.status, StatusCode::FORBIDDEN);
    let a = post(&app, "/api/v1/me/identity/code", &t, json!({"code": code})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["proof"], "code");
    let list = certificates(&app, &t).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json().as_array().unwrap().len(), 3);

    // Used up.
    let a = post(&app, "/api/v1/me/identity/code", &t, json!({"code": code})).await;
    assert_eq!(a.code(), "code_expired");
    // Malformed codes are refused without counting against anything.
    let a = post(
        &app,
        "/api/v1/me/identity/code",
        &t,
        json!({"code": "12ab"}),
    )
    .await;
    assert_eq!(a.code(), "code_wrong");
}

#[tokio::test]
async fn a_code_has_a_few_tries() {
    let (app, sink) = smtp_app().await;
    record_email(&app).await;
    let d = zhengshu_demo::DEMO;
    unproven_holder(&app, "zhang2", d.name, d.id_number).await;
    let t = agreed_token(&app, "zhang2").await;
    post(&app, "/api/v1/me/identity/codes", &t, json!({"channel": 0})).await;
    let code = sink.code(1);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        let a = post(&app, "/api/v1/me/identity/code", &t, json!({"code": wrong})).await;
        assert_eq!(a.code(), "code_wrong");
    }
    // Spent: even the right code no longer works.
    let a = post(&app, "/api/v1/me/identity/code", &t, json!({"code": code})).await;
    assert_eq!(a.code(), "code_expired");
}

#[tokio::test]
async fn twenty_simultaneous_submissions_of_one_code_prove_once() {
    let (app, sink) = smtp_app().await;
    record_email(&app).await;
    let d = zhengshu_demo::DEMO;
    let id = unproven_holder(&app, "zhang2", d.name, d.id_number).await;
    let t = agreed_token(&app, "zhang2").await;
    post(&app, "/api/v1/me/identity/codes", &t, json!({"channel": 0})).await;
    let code = sink.code(1);
    let answers = futures_util::future::join_all((0..20).map(|_| {
        let router = app.router.clone();
        let (t, code) = (t.clone(), code.clone());
        tokio::spawn(async move {
            let req = axum::http::Request::post("/api/v1/me/identity/code")
                .header("authorization", format!("Bearer {t}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(json!({"code": code}).to_string()))
                .unwrap();
            send(&router, req).await
        })
    }))
    .await;
    let ok = answers
        .into_iter()
        .map(|a| a.unwrap())
        .filter(|a| {
            assert!(
                a.status == StatusCode::OK || a.code() == "code_expired",
                "{} {}",
                a.status,
                a.body
            );
            a.status == StatusCode::OK
        })
        .count();
    assert_eq!(ok, 1);
    let proofs = app
        .store
        .audit_events(Some(&format!("holder:{id}")), 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "holder.identity_proven")
        .count();
    assert_eq!(proofs, 1, "one proof recorded");
}

#[tokio::test]
async fn the_management_number_proves_where_no_contact_is_recorded_with_few_tries() {
    let app = app().await;
    let d = zhengshu_demo::DEMO;
    unproven_holder(&app, "zhang2", d.name, d.id_number).await;
    let t = agreed_token(&app, "zhang2").await;
    let ways = api(&app, Method::GET, "/api/v1/me/identity", Some(&t), None).await;
    assert_eq!(ways.json()["management_number"], true);
    assert_eq!(ways.json()["channels"], json!([]));
    let path = "/api/v1/me/identity/management-number";
    let a = post(&app, path, &t, json!({"management_number": "GL0000"})).await;
    assert_eq!(a.code(), "management_number_wrong");
    let a = post(
        &app,
        path,
        &t,
        json!({"management_number": management_number()}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["proof"], "management_number");
    assert_eq!(certificates(&app, &t).await.status, StatusCode::OK);

    // Another account: five wrong tries, then refused for a while, the
    // right number included.
    unproven_holder(&app, "guesser", d.name, d.id_number).await;
    let g = agreed_token(&app, "guesser").await;
    for i in 0..5 {
        let a = post(
            &app,
            path,
            &g,
            json!({"management_number": format!("GL{i}")}),
        )
        .await;
        assert_eq!(a.code(), "management_number_wrong");
    }
    let a = post(
        &app,
        path,
        &g,
        json!({"management_number": management_number()}),
    )
    .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.header("retry-after").is_some());
}

#[tokio::test]
async fn a_code_reclaims_a_squatted_identity_and_the_squatter_is_told_once() {
    let (app, sink) = smtp_app().await;
    let d = zhengshu_demo::DEMO;
    // The squatter registers first and proves by the 管理号 (weak).
    let squatter = unproven_holder(&app, "squatter", d.name, d.id_number).await;
    let s = agreed_token(&app, "squatter").await;
    let a = post(
        &app,
        "/api/v1/me/identity/management-number",
        &s,
        json!({"management_number": management_number()}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    // The real holder registers; a weak proof cannot take it back.
    let genuine = unproven_holder(&app, "genuine", d.name, d.id_number).await;
    let g = agreed_token(&app, "genuine").await;
    let a = post(
        &app,
        "/api/v1/me/identity/management-number",
        &g,
        json!({"management_number": management_number()}),
    )
    .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::CONFLICT, "identity_held".into())
    );

    // The issuing body records the e-mail; the code is stronger.
    record_email(&app).await;
    post(&app, "/api/v1/me/identity/codes", &g, json!({"channel": 0})).await;
    let a = post(
        &app,
        "/api/v1/me/identity/code",
        &g,
        json!({"code": sink.code(1)}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["reclaimed"], true);
    assert_eq!(certificates(&app, &g).await.status, StatusCode::OK);
    assert_eq!(certificates(&app, &s).await.code(), "identity_not_proven");

    // Both are audited.
    let taken = app
        .store
        .audit_events(Some(&format!("holder:{squatter}")), 10)
        .await
        .unwrap();
    assert_eq!(taken[0].action, "holder.identity_taken");
    let proven = app
        .store
        .audit_events(Some(&format!("holder:{genuine}")), 10)
        .await
        .unwrap();
    assert!(proven.iter().any(|e| e.action == "holder.identity_proven"));

    // The squatter is told at the next log-in, once.
    let mut b = Browser::new();
    b.log_in_agreed(&app, "squatter").await;
    let page = b.get(&app, "/identity").await;
    assert!(page.body.contains("id=\"identity-taken\""), "{}", page.body);
    assert!(page.body.contains("更可靠的方式核验"));
    let again = b.get(&app, "/identity").await;
    assert!(!again.body.contains("id=\"identity-taken\""));
}

#[tokio::test]
async fn the_pages_prove_by_code() {
    let (app, sink) = smtp_app().await;
    record_email(&app).await;
    let d = zhengshu_demo::DEMO;
    unproven_holder(&app, "zhang2", d.name, d.id_number).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "zhang2").await;
    let page = b.get(&app, "/identity").await;
    assert!(
        page.body.contains("发送验证码到邮箱 z***@example.com"),
        "{}",
        page.body
    );
    let sent = b
        .submit(&app, "/identity", "/identity/codes", &[("channel", "0")])
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("id=\"code-form\""));
    let wrong = b
        .post_raw(
            &app,
            "/identity/code",
            &[("csrf", &sent.csrf()), ("code", "99999x")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("验证码不正确"), "{}", wrong.body);
    let done = b
        .post_raw(
            &app,
            "/identity/code",
            &[("csrf", &sent.csrf()), ("code", &sink.code(1))],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let list = b.get(&app, "/certificates").await;
    assert_eq!(list.status, StatusCode::OK);
}

#[tokio::test]
async fn a_forgotten_password_is_recovered_by_an_emailed_code_and_sessions_end() {
    let (app, sink) = smtp_app().await;
    record_email(&app).await;
    zhang(&app).await;
    let user = zhengshu_demo::DEMO.username;
    let old = token(&app, user).await;
    let path = "/api/v1/recovery/codes";
    let a = api(
        &app,
        Method::POST,
        path,
        None,
        Some(json!({"username": user})),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert!(sink.message(1).contains("找回密码验证码"));
    // An unknown username answers alike, and nothing is sent.
    let b = api(
        &app,
        Method::POST,
        path,
        None,
        Some(json!({"username": "nobody"})),
    )
    .await;
    assert_eq!((b.status, b.body.clone()), (a.status, a.body.clone()));
    assert_eq!(sink.count(), 1);

    let reset = |code: String, password: &str| json!({"username": user, "code": code, "password": password});
    let new_password = "Qv7-harbour-lantern";
    let a = api(
        &app,
        Method::POST,
        "/api/v1/recovery",
        None,
        Some(reset("000000".into(), "short")),
    )
    .await;
    assert_eq!(a.code(), "validation_failed");
    let code = sink.code(1);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let a = api(
        &app,
        Method::POST,
        "/api/v1/recovery",
        None,
        Some(reset(wrong.into(), new_password)),
    )
    .await;
    assert_eq!(a.code(), "code_wrong");
    let a = api(
        &app,
        Method::POST,
        "/api/v1/recovery",
        None,
        Some(reset(code.clone(), new_password)),
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);

    // The old session ended; the new password works, the old does not.
    let me = api(&app, Method::GET, "/api/v1/me", Some(&old), None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let login = |password: &str| json!({"username": user, "password": password});
    let a = api(
        &app,
        Method::POST,
        "/api/v1/sessions",
        None,
        Some(login(new_password)),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = api(
        &app,
        Method::POST,
        "/api/v1/sessions",
        None,
        Some(login(PASSWORD)),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // The code is used up.
    let a = api(
        &app,
        Method::POST,
        "/api/v1/recovery",
        None,
        Some(reset(code, "Another-9-password")),
    )
    .await;
    assert_eq!(a.code(), "code_expired");
    let events = app.store.audit_events(Some("holder:1"), 5).await.unwrap();
    assert_eq!(events[0].action, "holder.password_reset");
}
