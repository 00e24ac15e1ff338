//! Annotation (加注) through the API and the pages: apply, generate (the
//! worker drained synchronously), view and download with RFC 6266/5987
//! file names, withdraw, expiry by the clock, the limit (also under 50
//! simultaneous API calls), validation in the holder's language, the
//! direct documents of certificates that need no annotation, audit
//! events, and another holder's annotation answering 404 everywhere.

use axum::http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::json;
use zhengshu_demo::{ECONOMIST_NUMBER, EXT_B_NUMBER, PHARMACIST_NUMBER, REVOKED_NUMBER};
use zhengshu_storage::Storage;
use zhengshu_worker::Outcome;

use crate::helpers::*;

fn apply_path(cert: i64) -> String {
    format!("/api/v1/me/certificates/{cert}/annotations")
}

async fn apply(app: &App, token: &str, cert: i64, body: serde_json::Value) -> Answer {
    api(
        app,
        Method::POST,
        &apply_path(cert),
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn apply_generate_view_download_withdraw_through_the_api() {
    let app = documents_app().await;
    zhang(&app).await;
    let t = agreed_token(&app, "demo").await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;

    let a = apply(&app, &t, cert, json!({"scenario": "self_use", "days": 30})).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let body = a.json();
    assert_eq!(body["state"], "generating");
    let id = body["id"].as_i64().unwrap();
    assert!(body["number"].as_str().unwrap().starts_with("JZ20261120"));
    assert!(
        body.get("verification_code").is_none(),
        "no code before the document"
    );
    let path = format!("/api/v1/me/annotations/{id}");
    let doc = format!("{path}/document");
    let a = api(&app, Method::GET, &doc, Some(&t), None).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.code(), "annotation_not_ready");

    assert_eq!(
        app.drain().await,
        vec![Outcome::Ready { annotation_id: id }]
    );
    let got = api(&app, Method::GET, &path, Some(&t), None).await.json();
    assert_eq!(got["state"], "ready");
    // Ready on 2026-11-20 (China Standard Time) for 30 days, inclusive.
    assert_eq!(got["valid_from"], "2026-11-20");
    assert_eq!(got["valid_until"], "2026-12-19");
    let code = got["verification_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 20);

    let pdf = api(&app, Method::GET, &doc, Some(&t), None).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    let number = got["number"].as_str().unwrap();
    let disposition = pdf.header("content-disposition").unwrap();
    assert_eq!(
        disposition,
        format!(
            "attachment; filename=\"{number}.pdf\"; filename*=UTF-8''%E5%BC%A0%E4%B8%89-%E6%89%A7%E4%B8%9A%E8%8D%AF%E5%B8%88-{number}.pdf"
        )
    );
    let inline = api(
        &app,
        Method::GET,
        &format!("{doc}?disposition=inline"),
        Some(&t),
        None,
    )
    .await;
    assert!(
        inline
            .header("content-disposition")
            .unwrap()
            .starts_with("inline; ")
    );
    assert_eq!(inline.bytes, pdf.bytes, "one stored document");

    let w = api(
        &app,
        Method::POST,
        &format!("{path}/withdraw"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(w.status, StatusCode::NO_CONTENT, "{}", w.body);
    let got = api(&app, Method::GET, &path, Some(&t), None).await.json();
    assert_eq!(got["state"], "withdrawn");
    let gone = api(&app, Method::GET, &doc, Some(&t), None).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_eq!(gone.code(), "annotation_withdrawn");
    let again = api(
        &app,
        Method::POST,
        &format!("{path}/withdraw"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "annotation_not_withdrawable");

    let events = app
        .store
        .audit_events(Some(&format!("annotation:{id}")), 20)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).rev().collect();
    assert_eq!(
        actions,
        [
            "annotation.apply",
            "annotation.generate",
            "document.download",
            "document.view",
            "annotation.withdraw"
        ]
    );
    let list = api(&app, Method::GET, &apply_path(cert), Some(&t), None)
        .await
        .json();
    assert_eq!(list[0]["id"], id);
}

#[tokio::test]
async fn a_ready_annotation_expires_after_its_last_day() {
    let app = documents_app().await;
    zhang(&app).await;
    let t = agreed_token(&app, "demo").await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;
    let id = apply(&app, &t, cert, json!({"scenario": "self_use", "days": 1}))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    app.drain().await;
    let path = format!("/api/v1/me/annotations/{id}");
    // T0 is 10:00 in Shanghai; 13:59 later is 23:59, still the last day.
    app.clock.advance(SignedDuration::from_mins(13 * 60 + 59));
    let t = agreed_token(&app, "demo").await;
    assert_eq!(
        api(&app, Method::GET, &path, Some(&t), None).await.json()["state"],
        "ready"
    );
    app.clock.advance(SignedDuration::from_mins(2));
    let t = agreed_token(&app, "demo").await;
    assert_eq!(
        api(&app, Method::GET, &path, Some(&t), None).await.json()["state"],
        "expired"
    );
    let doc = api(
        &app,
        Method::GET,
        &format!("{path}/document"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(doc.status, StatusCode::GONE);
    assert_eq!(doc.code(), "annotation_expired");
    let w = api(
        &app,
        Method::POST,
        &format!("{path}/withdraw"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(w.code(), "annotation_not_withdrawable");

    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let page = b.get(&app, &format!("/certificates/{cert}/download")).await;
    assert!(page.body.contains("加注件已过期"), "{}", page.body);
    assert!(page.body.contains("申请证书加注"));
}

#[tokio::test]
async fn bad_applications_are_refused_in_the_holders_language() {
    let app = documents_app().await;
    zhang(&app).await;
    let t = agreed_token(&app, "demo").await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;
    for (body, field) in [
        (json!({"scenario": "self_use", "days": 0}), "days"),
        (json!({"scenario": "self_use", "days": 91}), "days"),
        (json!({"scenario": "self_use", "days": -5}), "days"),
        (json!({"scenario": "lend_out", "days": 30}), "scenario"),
        (json!({"days": 30}), "scenario"),
    ] {
        let a = apply(&app, &t, cert, body.clone()).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.body
        );
        assert_eq!(a.json()["error"]["fields"][0]["field"], field, "{body}");
    }
    let en = api_lang(
        &app,
        Method::POST,
        &apply_path(cert),
        Some(&t),
        Some(json!({"scenario": "self_use", "days": 91})),
        Some("en"),
    )
    .await;
    assert_eq!(
        en.json()["error"]["fields"][0]["message"],
        "The validity must be a whole number of days from 1 to 90."
    );
    let zh = apply(&app, &t, cert, json!({"scenario": "self_use", "days": 91})).await;
    assert_eq!(
        zh.json()["error"]["fields"][0]["message"],
        "加注有效期须为 1 到 90 天的整数。"
    );
    let bad = apply(
        &app,
        &t,
        cert,
        json!({"scenario": "self_use", "days": "ninety"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // Days default to the maximum.
    let ok = apply(&app, &t, cert, json!({"scenario": "self_use"})).await;
    assert_eq!(ok.status, StatusCode::ACCEPTED);
    assert_eq!(ok.json()["days"], 90);

    for (number, code) in [
        (ECONOMIST_NUMBER, "annotation_not_needed"),
        (REVOKED_NUMBER, "certificate_revoked"),
    ] {
        let cert = certificate_id(&app, number).await;
        let a = apply(&app, &t, cert, json!({"scenario": "self_use", "days": 30})).await;
        assert_eq!((a.status, a.code().as_str()), (StatusCode::CONFLICT, code));
    }
    // Only the one good application was stored.
    assert_eq!(app.store.pending_jobs().await.unwrap(), 1);
}

#[tokio::test]
async fn fifty_simultaneous_api_applications_make_three() {
    let app = documents_app().await;
    zhang(&app).await;
    let t = agreed_token(&app, "demo").await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;
    let body = json!({"scenario": "self_use", "days": 90});
    let answers =
        futures_util::future::join_all((0..50).map(|_| apply(&app, &t, cert, body.clone()))).await;
    let accepted = answers
        .iter()
        .filter(|a| a.status == StatusCode::ACCEPTED)
        .count();
    let refused: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CONFLICT)
        .collect();
    assert_eq!((accepted, refused.len()), (3, 47));
    for r in refused {
        let e = &r.json()["error"];
        assert_eq!(e["code"], "annotation_limit");
        // Applied 2026-11-20; the window of 90 days ends 2027-02-17.
        assert_eq!(e["next_possible_on"], "2027-02-18");
        assert!(e["message"].as_str().unwrap().contains("2027-02-18"));
    }
    let list = api(&app, Method::GET, &apply_path(cert), Some(&t), None)
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn certificates_without_annotation_are_served_directly() {
    let app = documents_app().await;
    zhang(&app).await;
    let t = agreed_token(&app, "demo").await;
    let exempt = certificate_id(&app, ECONOMIST_NUMBER).await;
    let doc = format!("/api/v1/me/certificates/{exempt}/document");
    let a = api(&app, Method::GET, &doc, Some(&t), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.bytes.starts_with(b"%PDF-"));
    assert!(
        a.header("content-disposition")
            .unwrap()
            .starts_with("attachment; ")
    );
    let needs = certificate_id(&app, PHARMACIST_NUMBER).await;
    let a = api(
        &app,
        Method::GET,
        &format!("/api/v1/me/certificates/{needs}/document"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (StatusCode::CONFLICT, "annotation_required")
    );
    let revoked = certificate_id(&app, REVOKED_NUMBER).await;
    let a = api(
        &app,
        Method::GET,
        &format!("/api/v1/me/certificates/{revoked}/document"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(a.code(), "certificate_revoked");

    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let page = b
        .get(&app, &format!("/certificates/{exempt}/download"))
        .await;
    assert!(page.body.contains(&format!(
        "/certificates/{exempt}/document?disposition=inline"
    )));
    let view = b
        .get(
            &app,
            &format!("/certificates/{exempt}/document?disposition=inline"),
        )
        .await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(
        view.header("content-disposition")
            .unwrap()
            .starts_with("inline; ")
    );
    let events = app
        .store
        .audit_events(Some(&format!("certificate:{ECONOMIST_NUMBER}")), 10)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["document.view", "document.download"]);
}

#[tokio::test]
async fn the_pages_lead_from_application_to_document_and_withdrawal() {
    let app = documents_app().await;
    zhang(&app).await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let download = format!("/certificates/{cert}/download");
    let page = b.get(&app, &download).await;
    assert!(page.body.contains("尚未申请加注"));
    assert!(
        page.body
            .contains(&format!("/certificates/{cert}/annotate"))
    );
    let form = b.get(&app, &format!("/certificates/{cert}/annotate")).await;
    assert!(form.body.contains("本人调用"));
    assert!(
        form.body.contains("value=\"90\""),
        "defaults to the maximum"
    );

    // Refused without a CSRF token; with bad days, the form again with why.
    let post = format!("/certificates/{cert}/annotations");
    let no_csrf = b
        .post_raw(&app, &post, &[("scenario", "self_use"), ("days", "30")])
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    for days in ["0", "91", "abc"] {
        let bad = b
            .submit(
                &app,
                &format!("/certificates/{cert}/annotate"),
                &post,
                &[("scenario", "self_use"), ("days", days)],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{days}");
        assert!(
            bad.body.contains("加注有效期须为 1 到 90 天的整数。"),
            "{days}"
        );
        assert!(
            bad.body.contains(&format!("value=\"{days}\"")),
            "kept what was typed"
        );
    }
    assert_eq!(app.store.pending_jobs().await.unwrap(), 0);

    let done = b
        .submit(
            &app,
            &format!("/certificates/{cert}/annotate"),
            &post,
            &[("scenario", "self_use"), ("days", "30")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), format!("{download}?done=applied"));
    let page = b.get(&app, done.location()).await;
    assert!(page.body.contains("证书生成中…"));
    assert!(
        page.body
            .contains("<meta http-equiv=\"refresh\" content=\"2\">")
    );
    assert!(
        !page.body.contains("annotation-apply"),
        "no second application while generating"
    );

    app.drain().await;
    let page = b.get(&app, &download).await;
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    assert!(page.body.contains("加注有效"));
    assert!(page.body.contains("2026-11-20 至 2026-12-19"));
    let a = app.store.annotations_of(cert).await.unwrap().remove(0);
    assert!(page.body.contains(&a.number));
    assert!(page.body.contains(&a.verification_code));
    let view = b
        .get(
            &app,
            &format!("/annotations/{}/document?disposition=inline", a.id),
        )
        .await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(view.bytes.starts_with(b"%PDF-"));
    let dl = b
        .get(&app, &format!("/annotations/{}/document", a.id))
        .await;
    assert!(
        dl.header("content-disposition")
            .unwrap()
            .starts_with("attachment; ")
    );

    let withdraw = format!("/annotations/{}/withdraw", a.id);
    assert_eq!(
        b.post_raw(&app, &withdraw, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let w = b.submit(&app, &download, &withdraw, &[]).await;
    assert_eq!(w.status, StatusCode::SEE_OTHER);
    let page = b.get(&app, w.location()).await;
    assert!(page.body.contains("已撤回加注。"));
    assert!(page.body.contains("加注已撤回"));
    let gone = b
        .get(&app, &format!("/annotations/{}/document", a.id))
        .await;
    assert_eq!(gone.status, StatusCode::GONE);

    // Two more fit; the fourth in 90 days is refused with the date.
    for _ in 0..2 {
        b.submit(
            &app,
            &format!("/certificates/{cert}/annotate"),
            &post,
            &[("scenario", "self_use"), ("days", "30")],
        )
        .await;
        app.drain().await;
    }
    let limit = b
        .submit(
            &app,
            &format!("/certificates/{cert}/annotate"),
            &post,
            &[("scenario", "self_use"), ("days", "30")],
        )
        .await;
    assert_eq!(limit.status, StatusCode::CONFLICT);
    assert!(
        limit.body.contains("2027-02-18 起可再次申请加注"),
        "{}",
        limit.body
    );
}

#[tokio::test]
async fn revoked_certificates_offer_no_download() {
    let app = documents_app().await;
    zhang(&app).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let revoked = certificate_id(&app, REVOKED_NUMBER).await;
    let list = b.get(&app, "/certificates").await;
    assert!(
        !list
            .body
            .contains(&format!("/certificates/{revoked}/download"))
    );
    let valid = certificate_id(&app, PHARMACIST_NUMBER).await;
    assert!(
        list.body
            .contains(&format!("/certificates/{valid}/download"))
    );
}

#[tokio::test]
async fn another_holders_annotation_is_not_found_everywhere() {
    let app = documents_app().await;
    zhang(&app).await;
    chen(&app).await;
    let ta = agreed_token(&app, "demo").await;
    let tb = agreed_token(&app, "demo2").await;
    let theirs_cert = certificate_id(&app, EXT_B_NUMBER).await;
    let theirs = apply(
        &app,
        &tb,
        theirs_cert,
        json!({"scenario": "self_use", "days": 30}),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::ACCEPTED, "{}", theirs.body);
    let id = theirs.json()["id"].as_i64().unwrap();
    app.drain().await;

    let a = apply(
        &app,
        &ta,
        theirs_cert,
        json!({"scenario": "self_use", "days": 30}),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    for (method, path) in [
        (Method::GET, format!("/api/v1/me/annotations/{id}")),
        (Method::GET, format!("/api/v1/me/annotations/{id}/document")),
        (
            Method::POST,
            format!("/api/v1/me/annotations/{id}/withdraw"),
        ),
        (
            Method::GET,
            format!("/api/v1/me/certificates/{theirs_cert}/annotations"),
        ),
        (
            Method::GET,
            format!("/api/v1/me/certificates/{theirs_cert}/document"),
        ),
    ] {
        let got = api(&app, method.clone(), &path, Some(&ta), None).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{method} {path}");
        let absent = api(
            &app,
            method.clone(),
            &path
                .replace(&id.to_string(), "999999")
                .replace(&theirs_cert.to_string(), "999999"),
            Some(&ta),
            None,
        )
        .await;
        assert_eq!(got.body, absent.body, "{path}: nothing tells existence");
    }
    let mut a_browser = Browser::new();
    a_browser.log_in_agreed(&app, "demo").await;
    for path in [
        format!("/annotations/{id}/document"),
        format!("/annotations/{id}/document?disposition=inline"),
        format!("/certificates/{theirs_cert}/annotate"),
        format!("/certificates/{theirs_cert}/document"),
    ] {
        assert_eq!(
            a_browser.get(&app, &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let w = a_browser
        .submit(
            &app,
            "/certificates",
            &format!("/annotations/{id}/withdraw"),
            &[],
        )
        .await;
    assert_eq!(w.status, StatusCode::NOT_FOUND);
    let post = a_browser
        .submit(
            &app,
            "/certificates",
            &format!("/certificates/{theirs_cert}/annotations"),
            &[("scenario", "self_use"), ("days", "30")],
        )
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    // Still B's, still ready.
    let got = api(
        &app,
        Method::GET,
        &format!("/api/v1/me/annotations/{id}"),
        Some(&tb),
        None,
    )
    .await;
    assert_eq!(got.json()["state"], "ready");
}
