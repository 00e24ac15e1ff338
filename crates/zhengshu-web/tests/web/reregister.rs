//! A holder registers again after a correction of their name: the account
//! of the corrected name proves by a code sent to the contact the issuing
//! body recorded and takes the identity from the account of the old name,
//! which still reaches its list and reads why it is empty (the date only).
//! No account of the old name takes it back, and no account of a name no
//! certificate carries takes it at all.

use axum::http::{Method, StatusCode};
use serde_json::json;
use zhengshu_demo::{DEMO_EXT_B, EXT_B_NUMBER};
use zhengshu_domain::{Actor, Contacts, Email, IdentityProof, Role};
use zhengshu_storage::{Conflict, Storage, StorageError};

use crate::console::{chain_ok, staff};
use crate::console_certificates::post_correction;
use crate::helpers::*;
use crate::identity::smtp_app;

const CHEN_EMAIL: &str = "chen@example.com";
const CORRECTED: &str = "陈一";

/// The issuing body records 陈𠀾's e-mail address with the certificate.
async fn record_email(app: &App) {
    let mut c = zhengshu_demo::showcase_certificates()
        .into_iter()
        .find(|c| c.number.as_str() == EXT_B_NUMBER)
        .unwrap();
    c.contacts = Contacts {
        phone: None,
        email: Some(Email::parse(CHEN_EMAIL).unwrap()),
    };
    let mut tx = app
        .store
        .begin_import(&Actor::Cli("test".into()))
        .await
        .unwrap();
    tx.write(&[c], true, app.clock.now_ts()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn post(app: &App, path: &str, token: &str, body: serde_json::Value) -> Answer {
    api(app, Method::POST, path, Some(token), Some(body)).await
}

#[tokio::test]
async fn the_holder_registered_again_with_the_corrected_name_takes_the_identity() {
    let (app, sink) = smtp_app().await;
    record_email(&app).await;
    let old_id = chen(&app).await;
    let mut old = Browser::new();
    old.log_in_agreed(&app, DEMO_EXT_B.username).await;
    assert!(
        old.get(&app, "/certificates")
            .await
            .body
            .contains(EXT_B_NUMBER)
    );
    let cert = certificate_id(&app, EXT_B_NUMBER).await;

    // The officer corrects the holder's name.
    let (mut officer, _) = staff(&app, "officer_a", Some("pharmacist_center"), Role::Officer).await;
    let done = post_correction(
        &app,
        &mut officer,
        cert,
        &[
            ("name", CORRECTED),
            ("reason", "姓名录入错误，按身份证更正"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let list = old.get(&app, "/certificates").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("id=\"corrected\""), "{}", list.body);
    assert!(!list.body.contains(EXT_B_NUMBER));

    // Another name with the same ID number: no certificate matches it, so
    // there is nowhere to send a code, and it takes nothing.
    let other = unproven_holder(&app, "chen_other", "陈二", DEMO_EXT_B.id_number).await;
    let t = agreed_token(&app, "chen_other").await;
    let ways = api(&app, Method::GET, "/api/v1/me/identity", Some(&t), None).await;
    assert_eq!(ways.json()["channels"], json!([]), "{}", ways.body);
    assert!(matches!(
        app.store
            .prove_identity(other, IdentityProof::Code, app.clock.now_ts())
            .await,
        Err(StorageError::Conflict(Conflict::IdentityHeld))
    ));

    // The holder registers again with the corrected name and proves by
    // the code sent to the recorded address.
    app.clock.advance(jiff::SignedDuration::from_hours(1));
    unproven_holder(&app, "chen_yi", CORRECTED, DEMO_EXT_B.id_number).await;
    let t = agreed_token(&app, "chen_yi").await;
    let sent = post(&app, "/api/v1/me/identity/codes", &t, json!({"channel": 0})).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.body);
    assert!(sink.message(1).starts_with(&format!("To: {CHEN_EMAIL}")));
    let proven = post(
        &app,
        "/api/v1/me/identity/code",
        &t,
        json!({"code": sink.code(1)}),
    )
    .await;
    assert_eq!(proven.status, StatusCode::OK, "{}", proven.body);
    assert_eq!(proven.json()["reclaimed"], true, "{}", proven.body);
    let mine = api(&app, Method::GET, "/api/v1/me/certificates", Some(&t), None).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(mine.body.contains(EXT_B_NUMBER), "{}", mine.body);
    let mut new = Browser::new();
    new.log_in_agreed(&app, "chen_yi").await;
    assert!(
        new.get(&app, "/certificates")
            .await
            .body
            .contains(EXT_B_NUMBER)
    );

    // The old account lost the identity, and still reaches its list: the
    // notice, never the corrected details, and no detour to /identity.
    // (Its session ended meanwhile: the holder signs in again.)
    let mut old = Browser::new();
    old.log_in_agreed(&app, DEMO_EXT_B.username).await;
    let list = old.get(&app, "/certificates").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.location());
    assert!(list.body.contains("id=\"corrected\""), "{}", list.body);
    assert!(list.body.contains("重新注册"), "{}", list.body);
    assert!(!list.body.contains(EXT_B_NUMBER) && !list.body.contains(CORRECTED));
    let identity = old.get(&app, "/identity").await;
    assert!(
        identity.body.contains("更正了持证人信息"),
        "{}",
        identity.body
    );
    assert_eq!(
        old.get(&app, &format!("/certificates/{cert}")).await.status,
        StatusCode::SEE_OTHER,
        "the certificate pages still want a proven account"
    );
    // No account of the old name takes it back, however it proves.
    for proof in [IdentityProof::Code, IdentityProof::Federated] {
        assert!(matches!(
            app.store
                .prove_identity(old_id, proof, app.clock.now_ts())
                .await,
            Err(StorageError::Conflict(Conflict::IdentityHeld))
        ));
    }
    let taken = app
        .store
        .audit_events(Some(&format!("holder:{old_id}")), 5)
        .await
        .unwrap();
    assert!(
        taken.iter().any(|e| e.action == "holder.identity_taken"),
        "{taken:?}"
    );
    chain_ok(&app).await;

    // An unproven account whose registration still matches a certificate
    // is sent to prove, as before.
    unproven_holder(&app, "chen_yi2", CORRECTED, DEMO_EXT_B.id_number).await;
    let mut late = Browser::new();
    late.log_in_agreed(&app, "chen_yi2").await;
    let list = late.get(&app, "/certificates").await;
    assert_eq!(list.status, StatusCode::SEE_OTHER);
    assert!(
        list.location().starts_with("/identity"),
        "{}",
        list.location()
    );
}
