//! End to end in Chromium: an employer uploads a tampered copy of an
//! annotated e-certificate on `/verify/document` and sees the failed
//! checks highlighted; a genuine copy shows every check passed.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use zhengshu_storage::Storage;

use crate::browser::{browser, serve, shot, start_driver};
use crate::verify_document::annotated_now;

async fn upload(c: &Client, base: &str, file: &std::path::Path) {
    c.goto(&format!("{base}/verify/document")).await.unwrap();
    let input = c.find(Locator::Id("file")).await.unwrap();
    input.send_keys(file.to_str().unwrap()).await.unwrap();
    c.find(Locator::Id("file-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if c.find(Locator::Id("file-report")).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no report after 10 s");
}

async fn flow(c: &Client, base: &str, dir: &std::path::Path) {
    upload(c, base, &dir.join("tampered.pdf")).await;
    let failed = c.find_all(Locator::Css("li.check-failed")).await.unwrap();
    assert!(!failed.is_empty(), "no failed check highlighted");
    let first = failed[0].text().await.unwrap();
    assert!(first.contains("签名范围摘要"), "{first}");
    assert!(
        c.find(Locator::Css(".indication-TOTAL_FAILED"))
            .await
            .is_ok()
    );
    shot(c, "verify-file-tampered").await;

    upload(c, base, &dir.join("genuine.pdf")).await;
    assert!(
        c.find_all(Locator::Css("li.check-failed"))
            .await
            .unwrap()
            .is_empty()
    );
    let passed = c.find_all(Locator::Css("li.check-passed")).await.unwrap();
    let all = c.find_all(Locator::Css("li.check")).await.unwrap();
    assert_eq!(passed.len(), all.len(), "every check passed");
    assert!(
        c.find(Locator::Css(".indication-TOTAL_PASSED"))
            .await
            .is_ok()
    );
    shot(c, "verify-file-genuine").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_copy_is_checked_in_chromium() {
    let (app, id) = annotated_now().await;
    let pdf = app.store.annotation_document(id).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut tampered = pdf.clone();
    let at = tampered.windows(6).position(|w| w == b"stream").unwrap() + 40;
    tampered[at] ^= 1;
    std::fs::write(dir.path().join("genuine.pdf"), &pdf).unwrap();
    std::fs::write(dir.path().join("tampered.pdf"), &tampered).unwrap();

    let (base, stop, serving) = serve(&app).await;
    let (_driver, port) = start_driver();
    let profiles = tempfile::tempdir().unwrap();
    let c = browser(port, &profiles.path().join("verify-file"), None).await;
    let done = AssertUnwindSafe(flow(&c, &base, dir.path()))
        .catch_unwind()
        .await;
    c.close().await.ok();
    let _ = stop.send(());
    if let Err(panic) = done {
        std::panic::resume_unwind(panic);
    }
    serving.await.unwrap().unwrap();
}
