//! Public verification (证书查验) through the API: every `result` (valid,
//! expired with the clock moved, withdrawn, revoked, not found), the same
//! not-found body for a wrong name, an unknown number and a malformed code,
//! nothing a verifier may not see, batches in order and their limit, the
//! rate limits with `Retry-After`, no session needed or set; the document
//! of a certificate that needs no annotation verifies by its own code.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use jiff::SignedDuration;
use serde_json::{Value, json};
use zhengshu_demo::{DEMO, ECONOMIST_NUMBER, PHARMACIST_NUMBER, REVOKED_NUMBER};
use zhengshu_domain::{Actor, CertificateNumber, Revocation};
use zhengshu_storage::Storage;
use zhengshu_storage::annotations::sha256_hex;
use zhengshu_web::VerifyLimits;

use crate::helpers::*;

/// An app with a ready 30-day annotation of 张三's pharmacist certificate,
/// applied and generated at T0: its id and 查验码.
pub async fn annotated() -> (App, i64, String) {
    annotated_with(|_| {}).await
}

pub async fn annotated_with(
    configure: impl FnOnce(&mut zhengshu_web::AppState),
) -> (App, i64, String) {
    let app = app_with(|s| {
        s.renderer = Some(renderer());
        configure(s);
    })
    .await;
    zhang(&app).await;
    let t = agreed_token(&app, "demo").await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;
    let a = api(
        &app,
        Method::POST,
        &format!("/api/v1/me/certificates/{cert}/annotations"),
        Some(&t),
        Some(json!({"scenario": "self_use", "days": 30})),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let id = a.json()["id"].as_i64().unwrap();
    app.drain().await;
    let got = api(
        &app,
        Method::GET,
        &format!("/api/v1/me/annotations/{id}"),
        Some(&t),
        None,
    )
    .await;
    let code = got.json()["verification_code"].as_str().unwrap().to_owned();
    (app, id, code)
}

pub async fn by_code(app: &App, code: &str) -> Answer {
    api(
        app,
        Method::GET,
        &format!("/api/v1/verify/{code}"),
        None,
        None,
    )
    .await
}

async fn by_number(app: &App, number: &str, name: &str) -> Answer {
    api(
        app,
        Method::POST,
        "/api/v1/verify",
        None,
        Some(json!({"certificate_number": number, "name": name})),
    )
    .await
}

pub fn ok(a: &Answer) -> Value {
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.header("set-cookie").is_none(), "no session is set");
    a.json()
}

#[tokio::test]
async fn a_code_verifies_valid_then_expired_then_withdrawn_then_revoked() {
    let (app, id, code) = annotated().await;
    let v = ok(&by_code(&app, &code).await);
    assert_eq!(v["result"], "valid", "{v}");
    assert_eq!(v["holder_name"], DEMO.name);
    assert_eq!(v["certificate_number"], PHARMACIST_NUMBER);
    assert_eq!(v["id_number"], "**************002X");
    assert!(v["qualification"].as_str().is_some_and(|q| !q.is_empty()));
    assert!(v["issuing_body"].as_str().is_some_and(|b| !b.is_empty()));
    let a = &v["annotation"];
    assert!(a["number"].as_str().unwrap().starts_with("JZ20261120"));
    assert_eq!(a["scenario"], "self_use");
    assert_eq!(a["valid_from"], "2026-11-20");
    assert_eq!(a["valid_until"], "2026-12-19");
    assert_eq!(a["document_sha256"].as_str().unwrap().len(), 64);
    // Lower case and white space are read as the same code.
    let lower = format!("%20{}", code.to_lowercase());
    assert_eq!(ok(&by_code(&app, &lower).await)["result"], "valid");
    // Nothing a verifier may not see.
    let body = by_code(&app, &code).await.body;
    for secret in [DEMO.id_number, "1949-12-31", "birth", "management"] {
        assert!(!body.contains(secret), "{secret} in {body}");
    }

    // The next request after the last day: expired, with that day.
    app.clock.advance(SignedDuration::from_hours(30 * 24));
    let v = ok(&by_code(&app, &code).await);
    assert_eq!(v["result"], "expired", "{v}");
    assert_eq!(v["last_day"], "2026-12-19");
    app.clock.advance(SignedDuration::from_hours(-30 * 24));

    app.store
        .withdraw_annotation(
            id,
            zhengshu_domain::day_in_china(app.clock.now_ts()),
            &Actor::Cli("test".into()),
            app.clock.now_ts(),
        )
        .await
        .unwrap();
    let v = ok(&by_code(&app, &code).await);
    assert_eq!(v["result"], "withdrawn", "{v}");
    assert_eq!(v["withdrawn_on"], "2026-11-20");

    app.store
        .revoke_certificate(
            &CertificateNumber::parse(PHARMACIST_NUMBER).unwrap(),
            &Revocation {
                at: "2026-11-21T02:00:00Z".parse().unwrap(),
                reason: "证书信息有误".into(),
            },
            &Actor::Cli("test".into()),
        )
        .await
        .unwrap();
    let v = ok(&by_code(&app, &code).await);
    assert_eq!(v["result"], "revoked", "{v}");
    assert_eq!(v["revoked_at"], "2026-11-21T02:00:00Z");
    assert_eq!(v["revocation_reason"], "证书信息有误");
}

#[tokio::test]
async fn number_and_name_answer_valid_revoked_and_not_found_alike() {
    let app = app().await;
    let v = ok(&by_number(&app, PHARMACIST_NUMBER, " 张三 ").await);
    assert_eq!(v["result"], "valid", "{v}");
    assert_eq!(v["holder_name"], DEMO.name);
    assert_eq!(v["id_number"], "**************002X");
    assert!(v.get("annotation").is_none());
    let v = ok(&by_number(&app, REVOKED_NUMBER, DEMO.name).await);
    assert_eq!(v["result"], "revoked", "{v}");
    assert!(
        v["revocation_reason"]
            .as_str()
            .unwrap()
            .contains("撤销证书")
    );
    assert_eq!(v["revoked_at"], "2024-03-01T02:30:00Z");

    let wrong_name = by_number(&app, PHARMACIST_NUMBER, "李四").await;
    let wrong_name_revoked = by_number(&app, REVOKED_NUMBER, "李四").await;
    let unknown_number = by_number(&app, "ZY99999999999", DEMO.name).await;
    let bad_number = by_number(&app, "证书", DEMO.name).await;
    let bad_code = by_code(&app, "not-a-code").await;
    let unknown_code = by_code(&app, "ABCDEFGHJKLMNPQRSTUV").await;
    for a in [
        &wrong_name_revoked,
        &unknown_number,
        &bad_number,
        &bad_code,
        &unknown_code,
    ] {
        assert_eq!(a.status, wrong_name.status);
        assert_eq!(a.body, wrong_name.body);
    }
    assert_eq!(ok(&wrong_name), json!({"result": "not_found"}));
}

#[tokio::test]
async fn a_batch_answers_in_order_and_takes_at_most_100_items() {
    let (app, _, code) = annotated().await;
    let items = json!({"items": [
        {"certificate_number": REVOKED_NUMBER, "name": DEMO.name},
        {"code": code},
        {"code": "nonsense"},
        {"certificate_number": PHARMACIST_NUMBER, "name": DEMO.name},
        {"certificate_number": PHARMACIST_NUMBER, "name": "李四"},
    ]});
    let a = api(
        &app,
        Method::POST,
        "/api/v1/verify/batch",
        None,
        Some(items),
    )
    .await;
    let results: Vec<String> = ok(&a)["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        results,
        ["revoked", "valid", "not_found", "valid", "not_found"]
    );

    let item = json!({"certificate_number": PHARMACIST_NUMBER, "name": DEMO.name});
    let hundred = json!({"items": vec![item.clone(); 100]});
    let a = api(
        &app,
        Method::POST,
        "/api/v1/verify/batch",
        None,
        Some(hundred),
    )
    .await;
    assert_eq!(ok(&a)["results"].as_array().unwrap().len(), 100);
    let too_many = json!({"items": vec![item; 101]});
    let a = api(
        &app,
        Method::POST,
        "/api/v1/verify/batch",
        None,
        Some(too_many),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.json()["error"]["fields"][0]["code"], "verify_batch_size");
    let neither = json!({"items": [{"name": DEMO.name}]});
    let a = api(
        &app,
        Method::POST,
        "/api/v1/verify/batch",
        None,
        Some(neither),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
}

/// A verification from `client` (an `X-Forwarded-For` the app trusts).
pub async fn from(app: &App, client: &str, path: &str, body: Option<Value>) -> Answer {
    let method = if body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("x-forwarded-for", client);
    let body = match body {
        Some(v) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    send(&app.router, b.body(body).unwrap()).await
}

#[tokio::test]
async fn the_request_after_the_limit_answers_429_with_retry_after() {
    let app = app_with(|s| {
        s.trust_forwarded_for = true;
        s.set_verify_limits(VerifyLimits {
            per_address_per_minute: 3,
            global_per_second: 1000,
        });
    })
    .await;
    let a1 = "203.0.113.1";
    for _ in 0..3 {
        assert_eq!(
            from(&app, a1, "/api/v1/verify/ABC", None).await.status,
            StatusCode::OK
        );
    }
    let refused = from(&app, a1, "/api/v1/verify/ABC", None).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.code(), "rate_limited");
    let secs: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
    // Another address goes on; a batch counts each item.
    let a2 = "203.0.113.2";
    let two = json!({"items": [{"code": "A"}, {"code": "B"}]});
    let a = from(&app, a2, "/api/v1/verify/batch", Some(two.clone())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = from(&app, a2, "/api/v1/verify/batch", Some(two)).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    let a = from(
        &app,
        a2,
        "/api/v1/verify",
        Some(json!({"certificate_number": "X", "name": "Y"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    let app = app_with(|s| {
        s.trust_forwarded_for = true;
        s.set_verify_limits(VerifyLimits {
            per_address_per_minute: 1000,
            global_per_second: 2,
        });
    })
    .await;
    assert_eq!(
        from(&app, a1, "/api/v1/verify/ABC", None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        from(&app, a2, "/api/v1/verify/ABC", None).await.status,
        StatusCode::OK
    );
    let a = from(&app, "203.0.113.3", "/api/v1/verify/ABC", None).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert_eq!(a.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn the_verify_routes_are_in_the_openapi_document() {
    let app = app().await;
    let doc = api(&app, Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    for path in [
        "/api/v1/verify",
        "/api/v1/verify/{code}",
        "/api/v1/verify/batch",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
}

#[tokio::test]
async fn an_exempt_certificates_document_verifies_by_its_own_code() {
    let app = documents_app().await;
    zhang(&app).await;
    let t = agreed_token(&app, "demo").await;
    let exempt = certificate_id(&app, ECONOMIST_NUMBER).await;
    let doc = format!("/api/v1/me/certificates/{exempt}/document");
    let first = api(&app, Method::GET, &doc, Some(&t), None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let second = api(&app, Method::GET, &doc, Some(&t), None).await;
    // Every download is recorded as its own document, with its own code.
    let issued = |pdf: Vec<u8>| {
        let store = app.store.clone();
        async move {
            store
                .issued_document_by_sha256(&sha256_hex(&pdf))
                .await
                .expect("the download is recorded")
        }
    };
    let one = issued(first.bytes.to_vec()).await;
    let two = issued(second.bytes.to_vec()).await;
    assert_ne!(one.code, two.code);
    assert_eq!(one.certificate_id, exempt);
    assert_eq!(one.annotation_id, None);
    assert_eq!(one.code.as_str().len() * 5, 100, "≥ 80 bits");

    // Its QR code's address answers like a check by number and name.
    let v = ok(&by_code(&app, one.code.as_str()).await);
    assert_eq!(v["result"], "valid", "{v}");
    assert_eq!(v["certificate_number"], ECONOMIST_NUMBER);
    assert_eq!(v["holder_name"], DEMO.name);
    assert!(v.get("annotation").is_none(), "{v}");
    assert_eq!(v, ok(&by_number(&app, ECONOMIST_NUMBER, DEMO.name).await));
    let page = app_get(&app, &format!("/verify/{}", one.code.as_str())).await;
    assert!(page.contains(ECONOMIST_NUMBER), "{page}");

    app.store
        .revoke_certificate(
            &CertificateNumber::parse(ECONOMIST_NUMBER).unwrap(),
            &Revocation {
                at: "2026-11-21T02:00:00Z".parse().unwrap(),
                reason: "资格证书被注销".into(),
            },
            &Actor::Cli("test".into()),
        )
        .await
        .unwrap();
    let v = ok(&by_code(&app, two.code.as_str()).await);
    assert_eq!(v["result"], "revoked", "{v}");
    assert_eq!(v["revocation_reason"], "资格证书被注销");
}

async fn app_get(app: &App, path: &str) -> String {
    let a = api(app, Method::GET, path, None, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.body
}
