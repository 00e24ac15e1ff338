//! Verification of an uploaded file (证书查验 by upload) through the API
//! and the page: a document handed out passes every check; an edited copy,
//! something that is not a PDF, a withdrawn, expired or revoked annotation
//! each fail on their named check; over 5 MiB answers 413; the page takes a
//! multipart form without JavaScript and highlights the failed checks.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use jiff::SignedDuration;
use serde_json::Value;
use zhengshu_demo::PHARMACIST_NUMBER;
use zhengshu_domain::{Actor, CertificateNumber, Revocation};
use zhengshu_storage::Storage;

use crate::helpers::*;

/// An app with a ready 30-day annotation of 张三's pharmacist certificate,
/// applied and generated with the clock at the real time: the seal keys of
/// the tests are made at the real time, and a document stating a signing
/// time before its seal certificate existed fails `seal_validity`.
pub async fn annotated_now() -> (App, i64) {
    let app = documents_app().await;
    app.clock.set(jiff::Timestamp::now());
    zhang(&app).await;
    let t = agreed_token(&app, "demo").await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;
    let a = api(
        &app,
        Method::POST,
        &format!("/api/v1/me/certificates/{cert}/annotations"),
        Some(&t),
        Some(serde_json::json!({"scenario": "self_use", "days": 30})),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let id = a.json()["id"].as_i64().unwrap();
    app.drain().await;
    (app, id)
}

pub async fn upload(app: &App, bytes: Vec<u8>, lang: Option<&str>) -> Answer {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/verify/document")
        .header(header::CONTENT_TYPE, "application/pdf");
    if let Some(l) = lang {
        b = b.header(header::ACCEPT_LANGUAGE, l);
    }
    send(&app.router, b.body(Body::from(bytes)).unwrap()).await
}

fn check<'a>(report: &'a Value, name: &str, seal: Option<&str>) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name && c["seal"].as_str() == seal)
        .unwrap_or_else(|| panic!("no {name} {seal:?} in {report}"))
}

fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
        .map(|c| c["check"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_document_handed_out_passes_and_its_status_decides_later() {
    let (app, id) = annotated_now().await;
    let pdf = app.store.annotation_document(id).await.unwrap();

    let a = upload(&app, pdf.clone(), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let r = a.json();
    assert_eq!(r["indication"], "TOTAL_PASSED", "{r:#}");
    assert!(
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "passed"),
        "{r:#}"
    );
    assert_eq!(
        check(&r, "digest", Some("ministry"))["reason"],
        "签章后的内容未被改动。"
    );
    assert_eq!(r["sha256"].as_str().unwrap().len(), 64);

    // The reasons in the request's language.
    let r = upload(&app, pdf.clone(), Some("en")).await.json();
    assert_eq!(
        check(&r, "whole_file", None)["reason"],
        "The last seal covers the whole file."
    );

    // One edited byte: both seals' digests fail, and it is not on record.
    let mut edited = pdf.clone();
    let at = edited.windows(6).position(|w| w == b"stream").unwrap() + 40;
    edited[at] ^= 1;
    let r = upload(&app, edited, None).await.json();
    assert_eq!(r["indication"], "TOTAL_FAILED");
    assert_eq!(failed(&r), ["digest", "digest", "on_record"], "{r:#}");
    assert_eq!(
        check(&r, "digest", Some("body"))["reason_code"],
        "digest_mismatch"
    );

    // Expired the day after its last day.
    app.clock.advance(SignedDuration::from_hours(30 * 24));
    let r = upload(&app, pdf.clone(), None).await.json();
    assert_eq!(failed(&r), ["annotation_status"], "{r:#}");
    assert_eq!(
        check(&r, "annotation_status", None)["reason_code"],
        "annotation_expired"
    );
    app.clock.advance(SignedDuration::from_hours(-30 * 24));

    // Withdrawn.
    app.store
        .withdraw_annotation(
            id,
            zhengshu_domain::day_in_china(app.clock.now_ts()),
            &Actor::Cli("test".into()),
            app.clock.now_ts(),
        )
        .await
        .unwrap();
    let r = upload(&app, pdf.clone(), None).await.json();
    assert_eq!(failed(&r), ["annotation_status"], "{r:#}");
    assert_eq!(
        check(&r, "annotation_status", None)["reason_code"],
        "annotation_withdrawn"
    );

    // Revoked.
    app.store
        .revoke_certificate(
            &CertificateNumber::parse(PHARMACIST_NUMBER).unwrap(),
            &Revocation {
                at: app.clock.now_ts(),
                reason: "证书信息有误".into(),
            },
            &Actor::Cli("test".into()),
        )
        .await
        .unwrap();
    let r = upload(&app, pdf, None).await.json();
    assert_eq!(
        failed(&r),
        ["annotation_status", "certificate_status"],
        "{r:#}"
    );
    let c = check(&r, "certificate_status", None);
    assert_eq!(c["reason_code"], "certificate_revoked");
    assert!(
        c["reason"].as_str().unwrap().contains("证书信息有误"),
        "{c}"
    );
}

#[tokio::test]
async fn not_a_pdf_is_a_failed_report_and_too_large_is_413() {
    let app = documents_app().await;
    // A picture sent as a PDF: judged by its content.
    let a = upload(&app, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let r = a.json();
    assert_eq!(r["indication"], "TOTAL_FAILED");
    assert_eq!(check(&r, "pdf", None)["reason_code"], "not_pdf");
    let a = upload(&app, Vec::new(), None).await;
    assert_eq!(a.json()["indication"], "TOTAL_FAILED");

    let a = upload(&app, vec![b'%'; 5 * 1024 * 1024 + 1], None).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    assert_eq!(a.code(), "file_too_large");
}

/// A `multipart/form-data` body with the CSRF token and the file.
pub fn multipart(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "zhengshu-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"证书.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_page_shows_the_report_with_failed_checks_highlighted() {
    let (app, id) = annotated_now().await;
    let pdf = app.store.annotation_document(id).await.unwrap();
    let mut browser = Browser::new();
    let page = browser.get(&app, "/verify/document").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    let csrf = page.csrf();
    let cookies: String = browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let post = |file: Vec<u8>, token: String| {
        let (content_type, body) = multipart(&token, &file);
        Request::builder()
            .method(Method::POST)
            .uri("/verify/document")
            .header(header::CONTENT_TYPE, content_type)
            .header(header::COOKIE, cookies.clone())
            .body(Body::from(body))
            .unwrap()
    };
    let a = send(&app.router, post(pdf.clone(), csrf.clone())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("indication-TOTAL_PASSED"), "{}", a.body);
    assert!(!a.body.contains("check check-failed"));

    let mut edited = pdf;
    let len = edited.len();
    edited.truncate(len - 200);
    let a = send(&app.router, post(edited, csrf.clone())).await;
    assert!(a.body.contains("indication-TOTAL_FAILED"), "{}", a.body);
    assert!(a.body.contains("check check-failed"), "{}", a.body);
    assert!(a.body.contains("文件不完整"), "{}", a.body);

    // Without the page's token: refused.
    let a = send(&app.router, post(b"%PDF-".to_vec(), "0".repeat(64))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}
