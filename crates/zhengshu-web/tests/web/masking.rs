//! Masking that hides: for random valid resident ID numbers, everything the
//! API, the pages and the certificate PDF (its text, as pdftotext reads it)
//! show of a holder together — the masked number, the birth date, the sex —
//! leaves at least a thousand valid numbers.

use axum::http::{Method, StatusCode};
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use zhengshu_domain::id::{MIN_MASK_CANDIDATES, resident_id_candidates};
use zhengshu_domain::{
    Actor, CertificateNumber, HolderName, IdDocument, IdType, NewCertificate, QualificationCode,
    Sex, resident_check_digit,
};
use zhengshu_storage::Storage;

use crate::helpers::*;

const NUMBER: &str = "JJ20191120901";

/// Every 18-character run of digits, `X` and `*` with a `*` in it.
fn masked_numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut run = String::new();
    for c in chars.iter().chain(std::iter::once(&' ')) {
        if c.is_ascii_digit() || *c == 'X' || *c == '*' {
            run.push(*c);
        } else {
            if run.chars().count() == 18 && run.contains('*') {
                out.push(run.clone());
            }
            run.clear();
        }
    }
    out
}

/// Whether `text` shows the date in any of the ways the service writes
/// dates.
fn shows_date(text: &str, d: jiff::civil::Date) -> bool {
    [
        d.to_string(),
        format!("{}年{:02}月{:02}日", d.year(), d.month(), d.day()),
        format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()),
    ]
    .iter()
    .any(|f| text.contains(f.as_str()))
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext: apt-get install poppler-utils");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Everything shown of the holder of `id_number`, from every place that
/// shows it.
async fn shown(id_number: &str) -> Vec<(&'static str, String)> {
    let app = documents_app().await;
    let id = IdDocument::parse(IdType::ResidentId, id_number).unwrap();
    let female = id_number.as_bytes()[16].is_multiple_of(2);
    let birth = zhengshu_demo::birth_date_of(id_number).unwrap();
    let mut tx = app
        .store
        .begin_import(&Actor::Cli("test".into()))
        .await
        .unwrap();
    let cert = NewCertificate {
        number: CertificateNumber::parse(NUMBER).unwrap(),
        management_number: Some("GL20191120901".into()),
        name: HolderName::parse("王五").unwrap(),
        sex: Some(if female { Sex::Female } else { Sex::Male }),
        birth_date: Some(birth),
        id: id.clone(),
        qualification: QualificationCode::parse("economist").unwrap(),
        category: None,
        specialty: None,
        level: Some("中级".into()),
        approval_date: Some(jiff::civil::date(2019, 11, 1)),
        issue_date: jiff::civil::date(2019, 11, 20),
        photo: None,
        contacts: Default::default(),
    };
    tx.write(&[cert], false, app.clock.now_ts()).await.unwrap();
    tx.commit().await.unwrap();
    holder(&app, "wangwu", "王五", id_number).await;
    let cert_id = certificate_id(&app, NUMBER).await;
    let t = token(&app, "wangwu").await;
    api(&app, Method::POST, "/api/v1/terms/accept", Some(&t), None).await;
    let mut out = Vec::new();
    for path in [
        "/api/v1/me".to_owned(),
        "/api/v1/me/certificates".to_owned(),
        format!("/api/v1/me/certificates/{cert_id}"),
    ] {
        let a = api(&app, Method::GET, &path, Some(&t), None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        out.push(("api", a.body));
    }
    let v = api(
        &app,
        Method::POST,
        "/api/v1/verify",
        None,
        Some(json!({"certificate_number": NUMBER, "name": "王五"})),
    )
    .await;
    out.push(("api", v.body));
    let mut b = Browser::new();
    b.log_in_agreed(&app, "wangwu").await;
    for path in [
        "/certificates".to_owned(),
        format!("/certificates/{cert_id}"),
        format!("/certificates/{cert_id}/details"),
        format!("/certificates/{cert_id}/download"),
    ] {
        let a = b.get(&app, &path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        out.push(("page", a.body));
    }
    let v = b
        .submit(
            &app,
            "/verify",
            "/verify",
            &[("certificate_number", NUMBER), ("name", "王五")],
        )
        .await;
    out.push(("page", v.body));
    let pdf = api(
        &app,
        Method::GET,
        &format!("/api/v1/me/certificates/{cert_id}/document"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    out.push(("pdf", pdf_text(&pdf.bytes)));
    out
}

fn check(id_number: &str, rt: &tokio::runtime::Runtime) {
    let birth = zhengshu_demo::birth_date_of(id_number).unwrap();
    let female = id_number.as_bytes()[16].is_multiple_of(2);
    let texts = rt.block_on(shown(id_number));
    let mut masks = std::collections::BTreeSet::new();
    let mut birth_shown = false;
    for (place, text) in &texts {
        assert!(!text.contains(id_number), "the whole number on the {place}");
        let found = masked_numbers(text);
        masks.extend(found);
        birth_shown |= shows_date(text, birth);
    }
    for place in ["api", "page", "pdf"] {
        assert!(
            texts
                .iter()
                .any(|(p, t)| *p == place && !masked_numbers(t).is_empty()),
            "the {place} shows the masked number"
        );
    }
    // What an onlooker gathers from all of them together: every masked
    // form, the birth date wherever it is shown, and the sex.
    let n = masks
        .iter()
        .map(|m| resident_id_candidates(m, birth_shown.then_some(birth), Some(female)))
        .min()
        .unwrap();
    assert_eq!(masks.len(), 1, "one masked form everywhere: {masks:?}");
    assert!(
        n >= MIN_MASK_CANDIDATES,
        "{masks:?} with birth date {birth} shown: {birth_shown} leaves {n}"
    );
}

#[test]
fn what_is_shown_together_leaves_a_thousand_numbers() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let regions = vec![11u8, 31, 44, 51, 65, 81];
    let strategy = (
        proptest::sample::select(regions),
        0u32..10_000,
        0i32..40_000,
        0u32..1000,
    );
    let mut runner = TestRunner::new(Config::with_cases(6));
    runner
        .run(&strategy, |(region, rest, days, seq)| {
            let birth = jiff::civil::date(1930, 1, 1)
                .checked_add(jiff::Span::new().days(days))
                .unwrap();
            let first17 = format!(
                "{region:02}{rest:04}{:04}{:02}{:02}{seq:03}",
                birth.year(),
                birth.month(),
                birth.day()
            );
            let n = format!("{first17}{}", resident_check_digit(&first17).unwrap());
            check(&n, &rt);
            Ok(())
        })
        .unwrap();
}
