//! The issuing body's work in the console, end to end in headless
//! Chromium: an officer signs in with a TOTP code from `oathtool`, finds
//! the demo pharmacist certificate and revokes it with a reason after the
//! confirmation step, corrects a holder's name, and attaches a PDF file.
//! Then, as holders: the revoked certificate shows 已撤销 with the reason
//! and its annotation verifies as revoked; the old account of the
//! corrected holder is told a correction was made; the file opens with
//! [查看文件] and downloads with [下载文件]. The audit chain verifies
//! afterwards.

use std::panic::AssertUnwindSafe;
use std::path::Path;

use axum::http::{Method, StatusCode};
use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use jiff::SignedDuration;
use serde_json::json;
use zhengshu_demo::{DEMO, DEMO_EXT_B, EXT_B_NUMBER, PHARMACIST_NUMBER};
use zhengshu_domain::{Actor, Role};
use zhengshu_storage::Storage;

use crate::browser::*;
use crate::console::{STAFF_PASSWORD, enrol, invite, oath};
use crate::console_certificates::small_pdf;
use crate::helpers::*;

const REASON: &str = "以不正当手段取得证书，依规撤销";
const CORRECTED: &str = "陈一";
const FILE_NUMBER: &str = "ZY20250301017";
const FILE_TITLE: &str = "执业药师注册证电子版";

async fn type_into(c: &Client, id: &str, text: &str) {
    let e = c
        .wait()
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_revokes_corrects_and_attaches_and_holders_see_it_in_chromium() {
    let app = documents_app().await;
    zhang(&app).await;
    chen(&app).await;
    // A certificate of the demo holder to attach the file to.
    let mut extra = zhengshu_storage_story::certificate(
        FILE_NUMBER,
        DEMO.name,
        DEMO.id_number,
        "licensed_pharmacist",
    );
    extra.issue_date = jiff::civil::date(2025, 3, 1);
    let mut tx = app
        .store
        .begin_import(&Actor::Cli("e2e".into()))
        .await
        .unwrap();
    tx.write(&[extra], false, app.clock.now_ts()).await.unwrap();
    tx.commit().await.unwrap();
    // The demo holder's annotation of the certificate to be revoked.
    let mut demo = Browser::new();
    demo.log_in_agreed(&app, DEMO.username).await;
    let mut demo2 = Browser::new();
    demo2.log_in_agreed(&app, DEMO_EXT_B.username).await;
    let token = agreed_token(&app, DEMO.username).await;
    let revoked = certificate_id(&app, PHARMACIST_NUMBER).await;
    let applied = api(
        &app,
        Method::POST,
        &format!("/api/v1/me/certificates/{revoked}/annotations"),
        Some(&token),
        Some(json!({"scenario": "self_use", "days": 30})),
    )
    .await;
    assert_eq!(applied.status, StatusCode::ACCEPTED, "{}", applied.body);
    let annotation = applied.json()["id"].as_i64().unwrap();
    app.drain().await;
    let code = app
        .store
        .annotation(annotation)
        .await
        .unwrap()
        .verification_code;

    // The officer, enrolled with a TOTP secret.
    let link = invite(&app, "officer_a", Some("pharmacist_center"), Role::Officer).await;
    let (secret, _) = enrol(&app, &link).await;
    app.clock.advance(SignedDuration::from_secs(30));
    let totp = oath(&secret, app.clock.now_ts());

    let (base, stop, serving) = serve(&app).await;
    let (_driver, port) = start_driver();
    let profiles = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let pdf = small_pdf("电子证书");
    let pdf_path = files.path().join("注册证.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let officer = browser(port, &profiles.path().join("officer"), None).await;
    let holder = browser_with(
        port,
        &profiles.path().join("holder"),
        None,
        Some(downloads.path()),
    )
    .await;
    let viewer = browser(port, &profiles.path().join("viewer"), None).await;
    let old = browser(port, &profiles.path().join("old"), Some(390)).await;
    let flow = AssertUnwindSafe(async {
        officer_flow(&officer, &base, &totp, &pdf_path).await;
        holder_flow(
            &holder,
            &viewer,
            &old,
            &base,
            revoked,
            &code,
            downloads.path(),
            &pdf,
        )
        .await;
    })
    .catch_unwind()
    .await;
    for c in [officer, holder, viewer, old] {
        c.close().await.ok();
    }
    let _ = stop.send(());
    if let Err(panic) = flow {
        std::panic::resume_unwind(panic);
    }
    serving.await.unwrap().unwrap();

    // What the pages did is in the store, and the audit chain holds.
    let c = app.store.certificate(revoked).await.unwrap();
    assert_eq!(c.status.code(), "revoked");
    let corrected = certificate_id(&app, EXT_B_NUMBER).await;
    assert_eq!(
        app.store
            .certificate_versions(corrected)
            .await
            .unwrap()
            .len(),
        1
    );
    let document = api(
        &app,
        Method::GET,
        &format!("/api/v1/me/annotations/{annotation}/document"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(document.status, StatusCode::CONFLICT, "{}", document.body);
    assert_eq!(document.code(), "certificate_revoked");
    crate::console::chain_ok(&app).await;
}

/// The page's text once the console says a change was made (its notice),
/// which must say `notice`.
async fn done(c: &Client, notice: &str) -> String {
    let n = c
        .wait()
        .for_element(Locator::Id("done"))
        .await
        .expect("the change's notice")
        .text()
        .await
        .unwrap();
    assert!(n.contains(notice), "{n}");
    text(c).await
}

async fn officer_flow(c: &Client, base: &str, totp: &str, pdf: &Path) {
    c.goto(&format!("{base}/console/login")).await.unwrap();
    type_into(c, "username", "officer_a").await;
    type_into(c, "password", STAFF_PASSWORD).await;
    type_into(c, "code", totp).await;
    click(c, "form button[type=submit]").await;
    wait_for_path(c, |p| p == "/console").await;

    // Revoke: search, open, reason, confirm.
    click(c, "a[href='/console/certificates']").await;
    wait_for_path(c, |p| p == "/console/certificates").await;
    type_into(c, "q", PHARMACIST_NUMBER).await;
    click(c, "form.filters button[type=submit]").await;
    click(c, "a.certificate-link").await;
    wait_for_path(c, |p| p.starts_with("/console/certificates/")).await;
    type_into(c, "revoke-reason", REASON).await;
    click(c, "#revoke-submit").await;
    let t = wait_for_text(c, "确认撤销", 10).await;
    assert!(t.contains(REASON), "{t}");
    shot(c, "console-01-revoke-confirm").await;
    click(c, "#revoke-confirmed").await;
    let t = done(c, "证书已撤销").await;
    assert!(
        t.contains(REASON) && t.contains("certificate.revoke"),
        "{t}"
    );
    shot(c, "console-02-revoked").await;

    // Correct the other holder's name, found by name.
    c.goto(&format!(
        "{base}/console/certificates?by=name&q={}",
        DEMO_EXT_B.name
    ))
    .await
    .unwrap();
    click(c, "a.certificate-link").await;
    wait_for_path(c, |p| p.starts_with("/console/certificates/")).await;
    type_into(c, "c-name", CORRECTED).await;
    type_into(c, "c-reason", "姓名录入错误，按身份证更正").await;
    click(c, "#correct-submit").await;
    let t = done(c, "已保存更正").await;
    assert!(t.contains(CORRECTED) && t.contains("姓名录入错误"), "{t}");
    shot(c, "console-03-corrected").await;

    // Attach a PDF to the demo holder's other certificate.
    c.goto(&format!(
        "{base}/console/certificates?by=number&q={FILE_NUMBER}"
    ))
    .await
    .unwrap();
    click(c, "a.certificate-link").await;
    wait_for_path(c, |p| p.starts_with("/console/certificates/")).await;
    type_into(c, "file-title", FILE_TITLE).await;
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(pdf.to_str().unwrap())
        .await
        .unwrap();
    click(c, "#attach-submit").await;
    let t = done(c, "已上传电子文件").await;
    assert!(
        t.contains(FILE_TITLE) && t.contains("application/pdf"),
        "{t}"
    );
    shot(c, "console-04-file-attached").await;
}

// The holder's flow needs its three browsers and what was made before.
#[allow(clippy::too_many_arguments)]
async fn holder_flow(
    c: &Client,
    viewer: &Client,
    old: &Client,
    base: &str,
    revoked: i64,
    code: &str,
    downloads: &Path,
    pdf: &[u8],
) {
    // The revoked certificate: 已撤销 with the reason; its annotation
    // verifies as revoked.
    keyboard_log_in(c, base, DEMO.username).await;
    let t = wait_for_text(c, "已撤销", 10).await;
    assert!(t.contains(PHARMACIST_NUMBER), "{t}");
    c.goto(&format!("{base}/certificates/{revoked}/details"))
        .await
        .unwrap();
    let t = wait_for_text(c, REASON, 10).await;
    assert!(t.contains("撤销时间"), "{t}");
    shot(c, "console-05-holder-revoked").await;
    viewer.goto(&format!("{base}/verify/{code}")).await.unwrap();
    let verdict = viewer
        .wait()
        .for_element(Locator::Id("verify-result-heading"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(verdict, "已撤销");
    assert!(text(viewer).await.contains(REASON));

    // The file: [查看文件] opens it, [下载文件] saves it.
    c.goto(&format!("{base}/certificates")).await.unwrap();
    let t = text(c).await;
    assert!(t.contains(FILE_NUMBER), "{t}");
    let info = format!("{base}/certificates/{}", file_certificate(c, base).await);
    c.goto(&info).await.unwrap();
    let t = wait_for_text(c, FILE_TITLE, 10).await;
    assert!(t.contains("查看文件") && t.contains("下载文件"), "{t}");
    shot(c, "console-06-holder-files").await;
    let view = c
        .find(Locator::Css("a.view-file"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    // Opened in a browser that shows what it is sent.
    keyboard_log_in(viewer, base, DEMO.username).await;
    viewer.goto(&info).await.unwrap();
    click(viewer, "a.view-file").await;
    wait_for_path(viewer, |p| p.contains("/files/")).await;
    let opened = viewer
        .execute("return document.contentType;", vec![])
        .await
        .unwrap();
    assert_eq!(opened.as_str(), Some("application/pdf"), "{view}");
    let headers = viewer
        .execute(
            "return fetch(arguments[0]).then(r => [r.status, r.headers.get('content-disposition')]);",
            vec![json!(view)],
        )
        .await
        .unwrap();
    assert_eq!(headers[0].as_i64(), Some(200));
    assert!(
        headers[1].as_str().unwrap().starts_with("inline;"),
        "{headers}"
    );
    click(c, "a.download-file").await;
    let saved = downloaded_pdf(downloads).await;
    assert_eq!(std::fs::read(&saved).unwrap(), pdf);
    assert!(
        saved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains(FILE_NUMBER),
        "{}",
        saved.display()
    );

    // The corrected holder's old account: told a correction was made,
    // when, and nothing of the new details.
    keyboard_log_in(old, base, DEMO_EXT_B.username).await;
    old.goto(&format!("{base}/certificates")).await.unwrap();
    let t = wait_for_text(old, "更正", 10).await;
    assert!(!t.contains(EXT_B_NUMBER), "{t}");
    assert!(!t.contains(CORRECTED), "the new name leaks: {t}");
    assert!(t.contains("重新注册"), "{t}");
    no_sideways_scrolling(old, 390).await;
    shot(old, "console-07-old-account-390").await;
}

/// The id of the certificate with the file, from the holder's list.
async fn file_certificate(c: &Client, base: &str) -> i64 {
    c.goto(&format!("{base}/certificates")).await.unwrap();
    let href = c
        .execute(
            "return [...document.querySelectorAll('li.cert')]\
             .find(li => li.innerText.includes(arguments[0]))\
             .querySelector('a[href^=\"/certificates/\"]').getAttribute('href');",
            vec![json!(FILE_NUMBER)],
        )
        .await
        .unwrap();
    href.as_str()
        .unwrap()
        .trim_start_matches("/certificates/")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}
