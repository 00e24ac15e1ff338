//! The 证书查验 pages: what the QR code opens (有效, 加注件已过期, 已撤回,
//! 已撤销 with its reason) in the three languages, the number-and-name form
//! with the rare-character picker and its answer, no holder session needed
//! or set, and the friendly page over the rate limit.

use axum::http::StatusCode;
use jiff::SignedDuration;
use zhengshu_demo::{DEMO, PHARMACIST_NUMBER, REVOKED_NUMBER};
use zhengshu_domain::Actor;
use zhengshu_storage::Storage;
use zhengshu_web::VerifyLimits;

use crate::helpers::*;
use crate::verify::annotated;

/// No cookie but the CSRF one: a verifier gets no session.
fn no_session(a: &Answer) {
    for c in a.headers.get_all("set-cookie") {
        let c = c.to_str().unwrap();
        assert!(c.starts_with("csrf="), "{c}");
    }
}

#[tokio::test]
async fn the_qr_page_shows_the_state_in_three_languages() {
    let (app, id, code) = annotated().await;
    let path = format!("/verify/{code}");
    let cases = [
        (None, "有效", "证书查验", "持证人姓名"),
        (Some("zh-TW"), "有效", "證書查驗", "持證人姓名"),
        (Some("en"), "Valid", "Certificate verification", "Holder"),
    ];
    for (lang, state, title, label) in cases {
        let mut b = Browser::new();
        b.accept_language = lang.map(str::to_owned);
        let a = b.get(&app, &path).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        no_session(&a);
        for want in [
            state,
            title,
            label,
            DEMO.name,
            "**************002X",
            PHARMACIST_NUMBER,
            "2026-11-20",
            "2026-12-19",
            "href=\"/scope\"",
        ] {
            assert!(a.body.contains(want), "{lang:?} {want}: {}", a.body);
        }
        assert!(a.body.contains("result-valid"), "{}", a.body);
        assert!(!a.body.contains(DEMO.id_number));
        // Every label translated, none left as a message id.
        for marker in [
            ">verify-",
            ">annotation-label-",
            ">field-label-",
            ">scenario-",
        ] {
            assert!(!a.body.contains(marker), "{lang:?} {marker}");
        }
        assert!(!a.body.contains("<script>"));
    }

    app.clock.advance(SignedDuration::from_hours(30 * 24));
    let a = Browser::new().get(&app, &path).await;
    assert!(a.body.contains("加注件已过期"), "{}", a.body);
    assert!(a.body.contains("2026-12-19"), "{}", a.body);
    app.clock.advance(SignedDuration::from_hours(-30 * 24));

    let now = app.clock.now_ts();
    app.store
        .withdraw_annotation(
            id,
            zhengshu_domain::day_in_china(now),
            &Actor::Cli("t".into()),
            now,
        )
        .await
        .unwrap();
    let a = Browser::new().get(&app, &path).await;
    assert!(a.body.contains("已撤回"), "{}", a.body);
    assert!(a.body.contains("result-withdrawn"), "{}", a.body);

    let a = Browser::new().get(&app, "/verify/nonsense").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("未查到相符的证书"), "{}", a.body);
}

#[tokio::test]
async fn the_form_answers_by_number_and_name() {
    let app = app().await;
    let mut b = Browser::new();
    let form = b.get(&app, "/verify").await;
    assert_eq!(form.status, StatusCode::OK);
    no_session(&form);
    assert!(
        form.body.contains("name=\"certificate_number\""),
        "{}",
        form.body
    );
    // The rare-character picker, usable without JavaScript, returns here.
    assert!(
        form.body.contains("/rarechars?back=%2Fverify"),
        "{}",
        form.body
    );
    let prefilled = b.get(&app, "/verify?name=%E9%99%88%F0%A0%80%BE").await;
    assert!(
        prefilled.body.contains("value=\"陈𠀾\""),
        "{}",
        prefilled.body
    );

    let fields = [("certificate_number", REVOKED_NUMBER), ("name", DEMO.name)];
    let a = b.submit(&app, "/verify", "/verify", &fields).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    no_session(&a);
    assert!(a.body.contains("已撤销"), "{}", a.body);
    assert!(a.body.contains("撤销原因"), "{}", a.body);
    assert!(a.body.contains("资格考试违纪"), "{}", a.body);
    assert!(a.body.contains("2024-03-01 10:30"), "{}", a.body);

    let wrong = [("certificate_number", PHARMACIST_NUMBER), ("name", "李四")];
    let a = b.submit(&app, "/verify", "/verify", &wrong).await;
    assert!(a.body.contains("未查到相符的证书"), "{}", a.body);
    assert!(!a.body.contains(DEMO.name), "{}", a.body);

    let mut en = Browser::new();
    en.accept_language = Some("en".into());
    let right = [
        ("certificate_number", PHARMACIST_NUMBER),
        ("name", DEMO.name),
    ];
    let a = en.submit(&app, "/verify", "/verify", &right).await;
    assert!(a.body.contains("Valid"), "{}", a.body);
}

#[tokio::test]
async fn over_the_limit_the_page_says_to_wait() {
    let app = app_with(|s| {
        s.set_verify_limits(VerifyLimits {
            per_address_per_minute: 1,
            global_per_second: 100,
        });
    })
    .await;
    let mut b = Browser::new();
    assert_eq!(b.get(&app, "/verify/ABC").await.status, StatusCode::OK);
    let a = b.get(&app, "/verify/ABC").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.header("retry-after").is_some());
    assert!(a.body.contains("查验过于频繁"), "{}", a.body);
}
