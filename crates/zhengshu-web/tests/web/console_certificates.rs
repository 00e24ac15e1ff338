//! The body's certificates in the console: the search scoped to the
//! body, revocation with a required reason and a confirmation step by the
//! body's officers and admins only, what the holder then sees, and the
//! operator's undoing — refusals in three languages, nothing half-written,
//! every change in the certificate's history and the audit chain.

use axum::http::{Method, StatusCode};
use serde_json::json;
use zhengshu_demo::{DEMO, ECONOMIST_NUMBER, PHARMACIST_NUMBER};
use zhengshu_domain::{CertificateStatus, Role};
use zhengshu_storage::Storage;

use crate::console::{chain_ok, staff};
use crate::helpers::{App, Browser, ClockExt, agreed_token, api, app, certificate_id, zhang};

const A: &str = "pharmacist_center";
const B: &str = "economist_association";

async fn status(app: &App, id: i64) -> CertificateStatus {
    app.store.certificate(id).await.unwrap().status
}

async fn events(app: &App) -> i64 {
    app.store.audit_head().await.unwrap().count
}

#[tokio::test]
async fn officers_revoke_their_bodys_certificates_after_confirming_and_the_operator_undoes() {
    let app = app().await;
    zhang(&app).await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;
    let page = format!("/console/certificates/{cert}");
    let revoke = format!("/console/certificates/{cert}/revoke");
    let reinstate = format!("/console/certificates/{cert}/reinstate");
    let (mut officer_a, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let (mut officer_b, _) = staff(&app, "officer_b", Some(B), Role::Officer).await;
    let (mut auditor_a, _) = staff(&app, "auditor_a", Some(A), Role::Auditor).await;
    let (mut operator, _) = staff(&app, "operator1", None, Role::Operator).await;

    // Found by number, by name, by ID number; body B finds none of it.
    for q in [
        format!("by=number&q={PHARMACIST_NUMBER}"),
        format!("by=name&q={}", urlencoding(DEMO.name)),
        format!("by=id&q={}", DEMO.id_number.to_lowercase()),
    ] {
        let path = format!("/console/certificates?{q}");
        let found = officer_a.get(&app, &path).await;
        assert_eq!(found.status, StatusCode::OK, "{q}: {}", found.body);
        assert!(found.body.contains(&format!("href=\"{page}\"")), "{q}");
        assert!(!found.body.contains(ECONOMIST_NUMBER), "{q}: body B's");
        assert!(!found.body.contains(DEMO.id_number), "{q}: the ID number");
        let other = officer_b.get(&app, &path).await;
        assert_eq!(other.status, StatusCode::OK, "{q}");
        assert!(!other.body.contains(&format!("href=\"{page}\"")), "{q}");
    }
    let bad = officer_a
        .get(&app, "/console/certificates?by=id&q=%3F%3F")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"q-error\""));

    // Another body's staff: as if absent, to look at and to revoke.
    assert_eq!(
        officer_b.get(&app, &page).await.status,
        StatusCode::NOT_FOUND
    );
    let before = events(&app).await;
    let theirs = officer_b
        .submit(
            &app,
            "/console/certificates",
            &revoke,
            &[("reason", "持证人以不正当手段取得"), ("confirm", "1")],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    // The auditor reads it but has no form, and cannot post one.
    let read = auditor_a.get(&app, &page).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.body.contains(PHARMACIST_NUMBER));
    assert!(!read.body.contains(&format!("action=\"{revoke}\"")));
    let auditor = auditor_a
        .submit(
            &app,
            &page,
            &revoke,
            &[("reason", "持证人以不正当手段取得"), ("confirm", "1")],
        )
        .await;
    assert_eq!(auditor.status, StatusCode::NOT_FOUND);
    // The operator does not revoke.
    let op = operator
        .submit(
            &app,
            &page,
            &revoke,
            &[("reason", "持证人以不正当手段取得"), ("confirm", "1")],
        )
        .await;
    assert_eq!(op.status, StatusCode::NOT_FOUND);

    // A reason is required, in each language; nothing is written.
    for (lang, text) in [
        ("zh-CN", "请填写撤销原因"),
        ("zh-TW", "請填寫撤銷原因"),
        ("en", "Give the reason for the revocation"),
    ] {
        officer_a.accept_language = Some(lang.into());
        for confirm in ["", "1"] {
            let short = officer_a
                .submit(
                    &app,
                    &page,
                    &revoke,
                    &[("reason", " 无 "), ("confirm", confirm)],
                )
                .await;
            assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
            assert!(short.body.contains("id=\"reason-error\""), "{lang}");
            assert!(short.body.contains(text), "{lang}: {}", short.body);
        }
    }
    officer_a.accept_language = None;
    assert_eq!(events(&app).await, before);
    assert_eq!(status(&app, cert).await, CertificateStatus::Valid);

    // The first step asks for confirmation and changes nothing.
    let reason = "持证人以不正当手段取得证书";
    let ask = officer_a
        .submit(&app, &page, &revoke, &[("reason", reason)])
        .await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    assert!(ask.body.contains("id=\"revoke-confirm\""));
    assert!(ask.body.contains("name=\"confirm\" value=\"1\""));
    assert!(ask.body.contains(reason));
    assert_eq!(status(&app, cert).await, CertificateStatus::Valid);
    assert_eq!(events(&app).await, before);
    let csrf = ask.csrf();
    let done = officer_a
        .post_raw(
            &app,
            &revoke,
            &[("csrf", &csrf), ("reason", reason), ("confirm", "1")],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"revocation-reason\""));
    let CertificateStatus::Revoked(r) = status(&app, cert).await else {
        panic!("not revoked");
    };
    assert_eq!(r.reason, reason);
    assert_eq!(events(&app).await, before + 1);
    // Twice: refused as stale, nothing more written.
    let twice = officer_a
        .post_raw(
            &app,
            &revoke,
            &[("csrf", &csrf), ("reason", reason), ("confirm", "1")],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.body.contains("id=\"status-error\""));
    assert_eq!(events(&app).await, before + 1);

    // The holder sees it revoked with the reason; no annotation is made.
    let mut holder = Browser::new();
    holder.log_in_agreed(&app, DEMO.username).await;
    let mine = holder
        .get(&app, &format!("/certificates/{cert}/details"))
        .await;
    assert!(mine.body.contains("已撤销"), "{}", mine.body);
    assert!(mine.body.contains(reason));
    let token = agreed_token(&app, DEMO.username).await;
    let refused = api(
        &app,
        Method::POST,
        &format!("/api/v1/me/certificates/{cert}/annotations"),
        Some(&token),
        Some(json!({"scenario": "self_use", "days": 30})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.code(), "certificate_revoked");
    assert!(app.store.annotations_of(cert).await.unwrap().is_empty());

    // Only the operator undoes it, with a reason.
    let officer_undo = officer_a
        .post_raw(
            &app,
            &reinstate,
            &[("csrf", &csrf), ("reason", "撤销有误，恢复有效")],
        )
        .await;
    assert_eq!(officer_undo.status, StatusCode::NOT_FOUND);
    let op_page = operator.get(&app, &page).await;
    assert_eq!(op_page.status, StatusCode::OK);
    assert!(op_page.body.contains(&format!("action=\"{reinstate}\"")));
    let short = operator
        .submit(&app, &page, &reinstate, &[("reason", "x")])
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("id=\"reason-error\""));
    assert!(matches!(
        status(&app, cert).await,
        CertificateStatus::Revoked(_)
    ));
    let undone = operator
        .submit(&app, &page, &reinstate, &[("reason", "撤销有误，恢复有效")])
        .await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
    assert_eq!(status(&app, cert).await, CertificateStatus::Valid);
    // Both in the certificate's history.
    let history = auditor_a.get(&app, &page).await;
    assert!(history.body.contains("certificate.revoke"));
    assert!(history.body.contains("certificate.reinstate"));
    assert!(history.body.contains("撤销有误，恢复有效"));
    let after = holder
        .get(&app, &format!("/certificates/{cert}/details"))
        .await;
    assert!(!after.body.contains(reason), "{}", after.body);
    chain_ok(&app).await;
}

/// `s` percent-encoded for a query string.
fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// The correction form's fields as the certificate's page fills them,
/// with `changes` made.
fn correction_fields(page: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for name in [
        "csrf",
        "seen",
        "name",
        "birth_date",
        "issue_date",
        "approval_date",
        "management_number",
        "category",
        "specialty",
        "level",
    ] {
        let marker = format!("name=\"{name}\" ");
        let form = page.find("/correct\"").expect("a correction form");
        let correct = &page[form..];
        let Some(i) = correct.find(&marker) else {
            continue;
        };
        let rest = &correct[i..];
        let v = rest.find("value=\"").unwrap() + 7;
        let value = &rest[v..v + rest[v..].find('"').unwrap()];
        fields.push((name.to_owned(), value.to_owned()));
    }
    fields.push(("id_type".into(), "resident_id".into()));
    fields.push(("id_number".into(), String::new()));
    fields.push(("sex".into(), "male".into()));
    fields.push(("reason".into(), String::new()));
    for (k, v) in changes {
        fields.retain(|(n, _)| n != k);
        fields.push(((*k).to_owned(), (*v).to_owned()));
    }
    fields
}

pub(crate) async fn post_correction(
    app: &App,
    b: &mut Browser,
    cert: i64,
    changes: &[(&str, &str)],
) -> crate::helpers::Answer {
    let page = b.get(app, &format!("/console/certificates/{cert}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let fields = correction_fields(&page.body, changes);
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post_raw(
        app,
        &format!("/console/certificates/{cert}/correct"),
        &pairs,
    )
    .await
}

#[tokio::test]
async fn corrections_keep_every_version_and_the_old_account_is_told_when_only() {
    let app = app().await;
    zhang(&app).await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;
    let (mut officer_a, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let (mut officer_b, _) = staff(&app, "officer_b", Some(B), Role::Officer).await;
    let mut holder = Browser::new();
    holder.log_in_agreed(&app, DEMO.username).await;
    assert!(
        holder
            .get(&app, "/certificates")
            .await
            .body
            .contains(PHARMACIST_NUMBER)
    );
    let before = events(&app).await;
    let seen = app.store.certificate(cert).await.unwrap();

    // Another body's officer: as if absent.
    let page = officer_a
        .get(&app, &format!("/console/certificates/{cert}"))
        .await;
    let fields = correction_fields(&page.body, &[("name", "张叁"), ("reason", "姓名录入错误")]);
    let csrf_b = officer_b.get(&app, "/console/certificates").await.csrf();
    let mut theirs: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    theirs.push(("csrf", &csrf_b));
    let other = officer_b
        .post_raw(
            &app,
            &format!("/console/certificates/{cert}/correct"),
            &theirs,
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    // The page never shows the full ID number, not even in the form.
    assert!(!page.body.contains(DEMO.id_number));

    // Refusals, in each language; nothing written.
    for (lang, reason_text, date_text) in [
        ("zh-CN", "请填写更正原因", "请按 年-月-日 填写有效日期"),
        ("zh-TW", "請填寫更正原因", "請按 年-月-日 填寫有效日期"),
        (
            "en",
            "Give the reason for the correction",
            "Enter a valid date",
        ),
    ] {
        officer_a.accept_language = Some(lang.into());
        let a = post_correction(
            &app,
            &mut officer_a,
            cert,
            &[
                ("name", "张叁"),
                ("issue_date", "2023-02-30"),
                ("reason", ""),
            ],
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert!(a.body.contains(reason_text), "{lang}: {}", a.body);
        assert!(a.body.contains(date_text), "{lang}");
        assert!(a.body.contains("id=\"issue_date-error\""));
    }
    officer_a.accept_language = None;
    for (changes, error) in [
        (
            vec![
                ("id_number", "110105194912310021"),
                ("reason", "证件号码录入错误"),
            ],
            "id_number-error",
        ),
        (
            vec![("name", " "), ("reason", "姓名录入错误")],
            "name-error",
        ),
        (vec![("reason", "没有改动的更正")], "form-error"),
        (
            vec![("id_type", "passport"), ("reason", "证件类型录入错误")],
            "id_number-error",
        ),
        (
            vec![
                ("name", "张叁"),
                ("seen", "0123"),
                ("reason", "姓名录入错误"),
            ],
            "status-error",
        ),
    ] {
        let a = post_correction(&app, &mut officer_a, cert, &changes).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{changes:?}");
        assert!(
            a.body.contains(&format!("id=\"{error}\"")),
            "{changes:?}: {}",
            a.body
        );
    }
    assert_eq!(events(&app).await, before);
    assert_eq!(app.store.certificate(cert).await.unwrap(), seen);
    assert!(
        app.store
            .certificate_versions(cert)
            .await
            .unwrap()
            .is_empty()
    );

    // The name corrected, then the level: two versions, in the history.
    let done = post_correction(
        &app,
        &mut officer_a,
        cert,
        &[("name", "张叁"), ("reason", "姓名录入错误")],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"done\""));
    let again = post_correction(
        &app,
        &mut officer_a,
        cert,
        &[("level", "高级"), ("reason", "级别录入遗漏")],
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let c = app.store.certificate(cert).await.unwrap();
    assert_eq!(c.data.name.as_str(), "张叁");
    assert_eq!(c.data.level.as_deref(), Some("高级"));
    assert_eq!(c.data.id, seen.data.id);
    let versions = app.store.certificate_versions(cert).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(events(&app).await, before + 2);
    let history = officer_a
        .get(&app, &format!("/console/certificates/{cert}"))
        .await;
    assert_eq!(history.body.matches("class=\"version\"").count(), 2);
    for text in [
        "姓名录入错误",
        "级别录入遗漏",
        "staff:officer_a",
        "certificate.correct",
    ] {
        assert!(history.body.contains(text), "{text}");
    }
    assert!(!history.body.contains(DEMO.id_number));

    // The old account no longer sees it, and is told when only.
    let list = holder.get(&app, "/certificates").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains(PHARMACIST_NUMBER), "{}", list.body);
    assert!(list.body.contains("id=\"corrected\""), "{}", list.body);
    let today = zhengshu_domain::day_in_china(app.clock.now_ts()).to_string();
    assert!(list.body.contains(&today));
    assert!(!list.body.contains("张叁"), "the new name leaks");
    assert!(!list.body.contains("高级"));
    assert_eq!(
        holder
            .get(&app, &format!("/certificates/{cert}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    chain_ok(&app).await;
}

/// A small PDF that reads (classic cross-references, a catalog), with
/// `note` in a comment so that contents differ.
pub fn small_pdf(note: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ];
    let mut out = format!("%PDF-1.4\n% {note}\n").into_bytes();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A 2×2 PNG.
fn small_png() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, 2, 2);
        e.set_color(png::ColorType::Rgb);
        e.set_depth(png::BitDepth::Eight);
        let mut w = e.write_header().unwrap();
        w.write_image_data(&[200; 12]).unwrap();
    }
    out
}

/// Posts a `multipart/form-data` form with `b`'s cookies.
async fn post_multipart(
    app: &App,
    b: &Browser,
    path: &str,
    parts: &[(&str, &[u8])],
) -> crate::helpers::Answer {
    use axum::body::Body;
    use axum::http::{Request, header};
    let boundary = "zhengshu-test-boundary";
    let mut body = Vec::new();
    for (name, value) in parts {
        let file = if *name == "file" {
            "; filename=\"x.pdf\"\r\nContent-Type: application/octet-stream"
        } else {
            ""
        };
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let cookies: String = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, cookies);
    if let Some(l) = &b.accept_language {
        req = req.header(header::ACCEPT_LANGUAGE, l);
    }
    crate::helpers::send(&app.router, req.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn officers_attach_files_judged_by_content_and_holders_view_and_download_them() {
    let app = app().await;
    zhang(&app).await;
    crate::helpers::chen(&app).await;
    let cert = certificate_id(&app, PHARMACIST_NUMBER).await;
    let page = format!("/console/certificates/{cert}");
    let attach = format!("{page}/files");
    let (mut officer_a, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let (mut officer_b, _) = staff(&app, "officer_b", Some(B), Role::Officer).await;
    let (mut auditor_a, _) = staff(&app, "auditor_a", Some(A), Role::Auditor).await;
    let pdf = small_pdf("电子证书");
    let before = events(&app).await;

    // Other staff: as if absent; without the token: refused.
    let csrf_b = officer_b.get(&app, "/console/certificates").await.csrf();
    let theirs = post_multipart(
        &app,
        &officer_b,
        &attach,
        &[
            ("csrf", csrf_b.as_bytes()),
            ("title", "电子证书".as_bytes()),
            ("file", pdf.as_slice()),
        ],
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let csrf_au = auditor_a.get(&app, &page).await.csrf();
    let auditor = post_multipart(
        &app,
        &auditor_a,
        &attach,
        &[
            ("csrf", csrf_au.as_bytes()),
            ("title", "电子证书".as_bytes()),
            ("file", pdf.as_slice()),
        ],
    )
    .await;
    assert_eq!(auditor.status, StatusCode::NOT_FOUND);
    let opened = officer_a.get(&app, &page).await;
    assert!(opened.body.contains("enctype=\"multipart/form-data\""));
    let csrf = opened.csrf();
    let forged = post_multipart(
        &app,
        &officer_a,
        &attach,
        &[
            ("csrf", "00".repeat(32).as_bytes()),
            ("title", "电子证书".as_bytes()),
            ("file", pdf.as_slice()),
        ],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Refused by content, in each language; nothing written.
    let mut too_large = b"%PDF-1.4\n".to_vec();
    too_large.resize(10 * 1024 * 1024 + 1, b' ');
    let not_pdf = b"MZ\x90\x00 a program, named .pdf".to_vec();
    let broken_pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n".to_vec();
    let mut broken_png = small_png();
    broken_png.truncate(30);
    let cases: [(&str, &[u8], &str, [&str; 3]); 5] = [
        (
            "电子证书",
            &not_pdf,
            "file-error",
            [
                "只能上传 PDF、JPEG 或 PNG",
                "只能上傳 PDF、JPEG 或 PNG",
                "Only PDF, JPEG or PNG",
            ],
        ),
        (
            "电子证书",
            &broken_pdf,
            "file-error",
            [
                "该文件无法读取",
                "該檔案無法讀取",
                "The file cannot be read",
            ],
        ),
        (
            "电子证书",
            &broken_png,
            "file-error",
            [
                "该文件无法读取",
                "該檔案無法讀取",
                "The file cannot be read",
            ],
        ),
        (
            "电子证书",
            &too_large,
            "file-error",
            [
                "文件不能超过 10 MiB",
                "檔案不能超過 10 MiB",
                "larger than 10 MiB",
            ],
        ),
        (
            "  ",
            &pdf,
            "title-error",
            ["请填写文件标题", "請填寫檔案標題", "Give the file a title"],
        ),
    ];
    for (title, file, error, texts) in cases {
        for (lang, text) in ["zh-CN", "zh-TW", "en"].into_iter().zip(texts) {
            officer_a.accept_language = Some(lang.into());
            let a = post_multipart(
                &app,
                &officer_a,
                &attach,
                &[
                    ("csrf", csrf.as_bytes()),
                    ("title", title.as_bytes()),
                    ("file", file),
                ],
            )
            .await;
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{lang} {error}");
            assert!(a.body.contains(&format!("id=\"{error}\"")), "{lang}");
            assert!(a.body.contains(text), "{lang}: {text}: {}", a.body);
        }
    }
    officer_a.accept_language = None;
    // Far over the cap: refused before it is read in full.
    let mut huge = b"%PDF-1.4\n".to_vec();
    huge.resize(11 * 1024 * 1024, b' ');
    let a = post_multipart(
        &app,
        &officer_a,
        &attach,
        &[
            ("csrf", csrf.as_bytes()),
            ("title", "大".as_bytes()),
            ("file", huge.as_slice()),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(events(&app).await, before);
    assert!(app.store.certificate_files(cert).await.unwrap().is_empty());

    // Attached: a PDF and a PNG.
    for (title, file) in [("电子证书", pdf.clone()), ("证书照片", small_png())] {
        let a = post_multipart(
            &app,
            &officer_a,
            &attach,
            &[
                ("csrf", csrf.as_bytes()),
                ("title", title.as_bytes()),
                ("file", file.as_slice()),
            ],
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains("id=\"done\""));
    }
    let files = app.store.certificate_files(cert).await.unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].media_type, "application/pdf");
    assert_eq!(files[1].media_type, "image/png");
    assert_eq!(events(&app).await, before + 2);

    // The holder sees them and views and downloads them, each recorded.
    let mut holder = Browser::new();
    holder.log_in_agreed(&app, DEMO.username).await;
    let info = holder.get(&app, &format!("/certificates/{cert}")).await;
    let view = format!(
        "/certificates/{cert}/files/{}?disposition=inline",
        files[0].id
    );
    let download = format!("/certificates/{cert}/files/{}", files[0].id);
    assert!(
        info.body
            .contains(&format!("href=\"{}\"", view.replace('&', "&amp;"))),
        "{}",
        info.body
    );
    assert!(info.body.contains("查看文件") && info.body.contains("下载文件"));
    let viewed = holder.get(&app, &view).await;
    assert_eq!(viewed.status, StatusCode::OK);
    assert_eq!(viewed.header("content-type"), Some("application/pdf"));
    assert!(
        viewed
            .header("content-disposition")
            .unwrap()
            .starts_with("inline;")
    );
    assert_eq!(viewed.body.as_bytes(), &pdf[..]);
    let got = holder.get(&app, &download).await;
    let disposition = got.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains(&format!("filename=\"{PHARMACIST_NUMBER}-file-")));
    assert!(
        disposition
            .contains("filename*=UTF-8''ZY20230315001-%E7%94%B5%E5%AD%90%E8%AF%81%E4%B9%A6.pdf"),
        "{disposition}"
    );
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    let recorded = app
        .store
        .audit_events(Some(&format!("certificate:{PHARMACIST_NUMBER}")), 20)
        .await
        .unwrap();
    let actions: Vec<&str> = recorded.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"certificate.file.view"), "{actions:?}");
    assert!(
        actions.contains(&"certificate.file.download"),
        "{actions:?}"
    );
    // Another holder: as if absent.
    let mut other = Browser::new();
    other.log_in_agreed(&app, "demo2").await;
    assert_eq!(
        other.get(&app, &download).await.status,
        StatusCode::NOT_FOUND
    );

    // Retired with a reason: kept, no longer the holder's.
    let retire = format!("{page}/files/{}/retire", files[0].id);
    let short = officer_a
        .submit(&app, &page, &retire, &[("reason", "x")])
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("id=\"retire-reason-error\""));
    let theirs = officer_b
        .submit(
            &app,
            "/console/certificates",
            &retire,
            &[("reason", "上传错了文件")],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let done = officer_a
        .submit(&app, &page, &retire, &[("reason", "上传错了文件")])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("上传错了文件"));
    assert_eq!(
        holder.get(&app, &download).await.status,
        StatusCode::NOT_FOUND
    );
    let info = holder.get(&app, &format!("/certificates/{cert}")).await;
    assert!(!info.body.contains(&download));
    assert_eq!(app.store.certificate_files(cert).await.unwrap().len(), 2);
    chain_ok(&app).await;
}
