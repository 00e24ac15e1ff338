//! End to end in a real browser (see `browser`), one server and one
//! driver for two sessions: the demo holder annotates the demo pharmacist
//! certificate, downloads it, withdraws it, annotates again and sees it
//! expire; a verifier on a 390 px phone opens what the downloaded PDF's QR
//! code says — read from its pixels by `pdftoppm` and `zbarimg`, not from
//! our data — and sees 有效 with the 加注编号, then 已撤回 after the
//! withdrawal, finds the certificate by number and name on the form, and
//! after a revocation sees 已撤销 with the reason in all three languages,
//! never scrolling sideways.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use zhengshu_demo::{DEMO, PHARMACIST_NUMBER};
use zhengshu_domain::{Actor, CertificateNumber, Revocation};
use zhengshu_storage::Storage;

use crate::browser::*;
use crate::helpers::*;

const REASON: &str = "执业药师注册信息不实，依规撤销";
const PHONE: u32 = 390;
const DECODER: &str = "zbarimg is not installed: apt-get install -y zbar-tools";

/// The demo holder annotates the demo pharmacist certificate: applies, sees
/// 证书生成中…, sees it turn ready by itself, downloads the PDF through the
/// browser (judged by pdfsig, pyHanko and qpdf), withdraws it; applies
/// again, and with the test's clock moved past the validity sees
/// 加注件已过期. A verifier follows the document's QR code meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_holder_annotates_downloads_and_withdraws_in_chromium() {
    let mut worker = None;
    let app = app_with(|s| {
        s.renderer = Some(renderer());
        let w = zhengshu_worker::Worker::new(
            s.storage.clone(),
            renderer(),
            s.clock.clone(),
            zhengshu_worker::WorkerConfig::default(),
        );
        s.workers = Some(w.waker());
        worker = Some(w);
    })
    .await;
    let worker = worker.unwrap();
    zhang(&app).await;
    let (base, stop, serving) = serve(&app).await;
    let (_driver, port) = start_driver();
    let profiles = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let c = browser_with(
        port,
        &profiles.path().join("annotate"),
        None,
        Some(downloads.path()),
    )
    .await;
    let v = browser(port, &profiles.path().join("verifier"), Some(PHONE)).await;
    let flow = AssertUnwindSafe(annotation_flow(
        &c,
        &v,
        &base,
        &app,
        &worker,
        downloads.path(),
    ))
    .catch_unwind()
    .await;
    c.close().await.ok();
    v.close().await.ok();
    let _ = stop.send(());
    if let Err(panic) = flow {
        std::panic::resume_unwind(panic);
    }
    serving.await.unwrap().unwrap();
}

/// The text of the QR code on the first page of `pdf`, decoded from its
/// pixels by tools of their own: `pdftoppm` at 150 dpi, then `zbarimg`.
fn qr_code_of(pdf: &Path) -> String {
    let pixels = tempfile::tempdir().unwrap();
    let prefix = pixels.path().join("page");
    let o = Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-f", "1", "-l", "1"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .unwrap_or_else(|e| panic!("pdftoppm ({e}): apt-get install -y poppler-utils"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png: PathBuf = std::fs::read_dir(pixels.path())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "png"))
        .expect("pdftoppm made a PNG");
    let o = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&png)
        .output()
        .unwrap_or_else(|e| panic!("{DECODER} ({e})"));
    assert!(
        o.status.success(),
        "zbarimg found no code: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// The verify page's answer (its heading).
async fn verdict(v: &Client) -> String {
    v.wait()
        .for_element(Locator::Id("verify-result-heading"))
        .await
        .expect("a verification result")
        .text()
        .await
        .unwrap()
}

/// The verifier at `url` sees `want` (and on a phone, nothing wider).
async fn verifier_sees(v: &Client, url: &str, want: &str) -> String {
    v.goto(url).await.unwrap();
    assert_eq!(verdict(v).await, want);
    no_sideways_scrolling(v, PHONE.into()).await;
    text(v).await
}

async fn annotation_flow(
    c: &Client,
    v: &Client,
    base: &str,
    app: &App,
    worker: &zhengshu_worker::Worker,
    downloads: &Path,
) {
    keyboard_log_in(c, base, "demo").await;
    click(c, "#agree").await;
    wait_for_path(c, |p| p == "/certificates").await;
    let cert = certificate_id(app, zhengshu_demo::PHARMACIST_NUMBER).await;
    c.goto(&format!("{base}/certificates/{cert}/download"))
        .await
        .unwrap();
    assert!(text(c).await.contains("尚未申请加注"));
    click(c, "#annotation-apply").await;
    wait_for_path(c, |p| p.ends_with("/annotate")).await;
    assert_eq!(value_of(c, "#days").await, "90", "defaults to the maximum");
    let days = c.find(Locator::Id("days")).await.unwrap();
    days.clear().await.unwrap();
    days.send_keys("30").await.unwrap();
    shot(c, "12-annotate-form").await;
    click(c, "#annotation-submit").await;
    wait_for_path(c, |p| p.ends_with("/download")).await;
    // No worker runs yet: the holder sees the generation under way.
    let page = text(c).await;
    assert!(page.contains("证书生成中…"), "{page}");
    shot(c, "13-annotation-generating").await;

    // The workers start; the page turns ready by itself.
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let w = worker.clone();
    let working = tokio::spawn(async move {
        w.run(async {
            let _ = worker_stopped.await;
        })
        .await;
    });
    let page = wait_for_text(c, "加注有效", 30).await;
    let a = app.store.annotations_of(cert).await.unwrap().remove(0);
    assert!(page.contains(&a.number), "加注编号 shown");
    assert!(page.contains(&a.verification_code), "查验码 shown");
    assert!(page.contains("2026-11-20 至 2026-12-19"), "{page}");
    shot(c, "14-annotation-ready").await;

    // [下载]: an ordinary browser download, judged by independent tools.
    click(c, "#annotation-download").await;
    let pdf = downloaded_pdf(downloads).await;
    let name = pdf.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.contains("张三") && name.contains("执业药师") && name.contains(&a.number),
        "file name from RFC 5987: {name}"
    );
    let ca = downloads.join("ca.pem");
    std::fs::write(&ca, renderer().pki().ca_pem()).unwrap();
    let stored = app.store.annotation_document(a.id).await.unwrap();
    assert_eq!(std::fs::read(&pdf).unwrap(), stored, "the stored document");
    zhengshu_document::independent::check_signed_pdf(&ca, &pdf, 2);

    // The verifier scans the QR code: valid, with the 加注编号.
    let scanned = qr_code_of(&pdf);
    let at = scanned
        .find("/verify/")
        .unwrap_or_else(|| panic!("{scanned}"));
    assert_eq!(&scanned[at + 8..], a.verification_code, "{scanned}");
    let verify = format!("{base}{}", &scanned[at..]);
    let page = verifier_sees(v, &verify, "有效").await;
    assert!(page.contains(&a.number), "加注编号: {page}");
    assert!(page.contains(PHARMACIST_NUMBER), "{page}");
    shot(v, "17-verify-valid-390").await;

    // 撤回加注.
    click(c, "#annotation-withdraw").await;
    let page = wait_for_text(c, "已撤回加注。", 10).await;
    assert!(page.contains("加注已撤回"));
    shot(c, "15-annotation-withdrawn").await;
    // The verifier reloads: withdrawn.
    v.refresh().await.unwrap();
    assert_eq!(verdict(v).await, "已撤回");
    // By number and name on the form: the certificate, valid.
    v.goto(&format!("{base}/verify")).await.unwrap();
    v.find(Locator::Id("certificate_number"))
        .await
        .unwrap()
        .send_keys(PHARMACIST_NUMBER)
        .await
        .unwrap();
    v.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys(DEMO.name)
        .await
        .unwrap();
    click(v, "#verify-submit").await;
    assert_eq!(verdict(v).await, "有效");
    assert!(text(v).await.contains(PHARMACIST_NUMBER));
    no_sideways_scrolling(v, PHONE.into()).await;
    shot(v, "18-verify-by-number-390").await;

    // A new application; then the clock moves past its validity.
    click(c, "#annotation-apply").await;
    wait_for_path(c, |p| p.ends_with("/annotate")).await;
    click(c, "#annotation-submit").await;
    // The application is made (its page reached) before the clock moves:
    // the form's own label 加注有效期 must not count as the answer.
    wait_for_path(c, |p| p.ends_with("/download")).await;
    wait_for_text(c, "加注有效", 30).await;
    app.clock.advance(jiff::SignedDuration::from_hours(24 * 91));
    // The session has ended too by then: log in again.
    keyboard_log_in(c, base, "demo").await;
    c.goto(&format!("{base}/certificates/{cert}/download"))
        .await
        .unwrap();
    let page = text(c).await;
    assert!(page.contains("加注件已过期"), "{page}");
    assert!(page.contains("申请证书加注"));
    shot(c, "16-annotation-expired").await;

    // The issuing body revokes the certificate: revoked, with the reason,
    // in each language.
    app.store
        .revoke_certificate(
            &CertificateNumber::parse(PHARMACIST_NUMBER).unwrap(),
            &Revocation {
                at: app.clock.now_ts(),
                reason: REASON.into(),
            },
            &Actor::Cli("e2e".into()),
        )
        .await
        .unwrap();
    let page = verifier_sees(v, &verify, "已撤销").await;
    assert!(page.contains(REASON), "{page}");
    shot(v, "19-verify-revoked-390").await;
    for (lang, heading) in [("zh-TW", "已撤銷"), ("en", "Revoked")] {
        click(v, &format!("a[hreflang={lang}]")).await;
        v.wait()
            .for_element(Locator::Css(&format!("html[lang={lang}]")))
            .await
            .unwrap_or_else(|e| panic!("the page in {lang}: {e}"));
        assert_eq!(verdict(v).await, heading);
        assert!(text(v).await.contains(REASON), "data stays as recorded");
        no_sideways_scrolling(v, PHONE.into()).await;
        shot(v, &format!("20-verify-revoked-{lang}-390")).await;
    }

    let _ = stop_worker.send(());
    working.await.unwrap();
}
