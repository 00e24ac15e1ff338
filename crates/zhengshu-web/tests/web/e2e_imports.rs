//! An issuing body's officer imports in headless Chromium: signs in on the
//! console with a TOTP code from `oathtool`, uploads a CSV file with two
//! bad rows, follows the check (the page refreshes itself), reads the
//! report, downloads the refused rows, uploads the corrected file and
//! imports it with [确认导入].

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use jiff::SignedDuration;
use zhengshu_domain::{CertificateNumber, Role};
use zhengshu_storage::Storage;

use crate::browser::*;
use crate::console::{STAFF_PASSWORD, oath, staff};
use crate::helpers::*;
use crate::imports::{A, HEADER, imports_app};

const OK: &str = "张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,男";

fn files(dir: &Path) -> (PathBuf, PathBuf) {
    let bad = [
        HEADER.to_owned(),
        format!("ZY5001,{OK}"),
        "ZY5002,张三,resident_id,110105194912310021,licensed_pharmacist,2023-06-01,男".into(),
        format!("ZY5003,{OK}"),
        "ZY5004,张三,resident_id,11010519491231002X,licensed_pharmacist,2023/06/01,男".into(),
    ]
    .join("\n");
    let fixed = bad
        .replace("110105194912310021", "11010519491231002X")
        .replace("2023/06/01", "2023-06-01");
    let (b, f) = (
        dir.join("certificates.csv"),
        dir.join("certificates-fixed.csv"),
    );
    std::fs::write(&b, bad + "\n").unwrap();
    std::fs::write(&f, fixed + "\n").unwrap();
    (b, f)
}

async fn upload(c: &Client, base: &str, file: &Path) {
    c.goto(&format!("{base}/console/imports")).await.unwrap();
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    click(c, "#upload-form button[type=submit]").await;
    wait_for_path(c, |p| p.starts_with("/console/imports/")).await;
}

/// The CSV file the browser saved, once complete.
async fn downloaded_csv(dir: &Path) -> String {
    for _ in 0..300 {
        let done: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        if let [csv] = done.as_slice() {
            return std::fs::read_to_string(csv).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no download in {}", dir.display());
}

async fn flow(c: &Client, base: &str, app: &App, secret: &str, dir: &Path, downloads: &Path) {
    // Sign in with the password and the next TOTP code.
    app.clock.advance(SignedDuration::from_secs(30));
    c.goto(&format!("{base}/console/login")).await.unwrap();
    for (id, value) in [
        ("username", "officer_a".to_owned()),
        ("password", STAFF_PASSWORD.to_owned()),
        ("code", oath(secret, app.clock.now_ts())),
    ] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(&value)
            .await
            .unwrap();
    }
    click(c, "form[action='/console/login'] button[type=submit]").await;
    wait_for_path(c, |p| p == "/console").await;

    let (bad, fixed) = files(dir);
    upload(c, base, &bad).await;
    // The page follows the check by itself, then shows the report.
    let report = wait_for_text(c, "被拒绝的行", 60).await;
    assert!(report.contains("检查完成"), "{report}");
    let counts = c.find(Locator::Id("import-counts")).await.unwrap();
    let counts = counts.text().await.unwrap();
    assert!(
        counts.contains("读取行数\t4") || counts.contains("读取行数 4"),
        "{counts}"
    );
    let refusals = c.find(Locator::Id("refusals")).await.unwrap();
    let table = refusals.text().await.unwrap();
    assert!(
        table.contains("3\tid_number") || table.contains("3 id_number"),
        "{table}"
    );
    assert!(
        table.contains("5\tissue_date") || table.contains("5 issue_date"),
        "{table}"
    );
    shot(c, "console-import-report").await;

    // [下载被拒绝行]: an ordinary browser download.
    click(c, "#rejects-link").await;
    let rejects = downloaded_csv(downloads).await;
    let mut lines = rejects.lines();
    assert_eq!(lines.next(), Some("line,column,code,reason"));
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len(), 2, "{rejects}");
    assert!(
        rest[0].starts_with("3,\"id_number\",\"id_bad_check_digit\","),
        "{rejects}"
    );
    assert!(
        rest[1].starts_with("5,\"issue_date\",\"date_invalid\","),
        "{rejects}"
    );

    // The corrected file: no refusal, then [确认导入] (all or nothing).
    upload(c, base, &fixed).await;
    wait_for_text(c, "确认导入", 60).await;
    let text = text(c).await;
    assert!(!text.contains("被拒绝的行"), "{text}");
    shot(c, "console-import-preview").await;
    click(c, "#confirm").await;
    let done = wait_for_text(c, "导入完成", 60).await;
    assert!(done.contains("新增证书"), "{done}");
    shot(c, "console-import-done").await;
    no_sideways_scrolling_at(c).await;
}

/// The summary fits a phone's width too.
async fn no_sideways_scrolling_at(c: &Client) {
    c.set_window_size(390, 844).await.unwrap();
    let inner = c
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    no_sideways_scrolling(c, inner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_imports_a_corrected_file_after_reading_the_report_in_chromium() {
    let (app, _photos) = imports_app().await;
    let (_, secret) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let before = app.store.count_certificates().await.unwrap();
    let (base, stop, serving) = serve(&app).await;
    let (_driver, port) = start_driver();
    let profiles = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = browser_with(
        port,
        &profiles.path().join("import"),
        None,
        Some(downloads.path()),
    )
    .await;
    let done = AssertUnwindSafe(flow(&c, &base, &app, &secret, dir.path(), downloads.path()))
        .catch_unwind()
        .await;
    c.close().await.ok();
    let _ = stop.send(());
    if let Err(panic) = done {
        std::panic::resume_unwind(panic);
    }
    serving.await.unwrap().unwrap();
    assert_eq!(app.store.count_certificates().await.unwrap(), before + 4);
    for n in ["ZY5001", "ZY5002", "ZY5003", "ZY5004"] {
        let c = app
            .store
            .certificate_by_number(&CertificateNumber::parse(n).unwrap())
            .await
            .unwrap();
        assert_eq!(c.body.as_str(), A);
    }
    crate::console::chain_ok(&app).await;
}
