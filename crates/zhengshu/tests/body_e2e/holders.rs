//! The holders' part: an account registered, its terms agreed and its
//! identity proven by the code the service sends to the e-mail address
//! the body recorded (read from the server's log); the demo holder's
//! revoked certificate, its annotation verifying as revoked, and the
//! certificate's file viewed and downloaded; the account of a corrected
//! name told of the correction, and the holder registered again with the
//! corrected name taking the identity over.

use std::path::Path;

use fantoccini::{Client, Locator};
use serde_json::json;
use zhengshu_testing::Listening;

use crate::browser::*;
use crate::{FILE_NUMBER, FILE_TITLE, HOLDER_EMAIL, HOLDER_ID, HOLDER_NUMBER, REASON};

const PASSWORD: &str = zhengshu_demo::DEMO_PASSWORD;

/// Logs in through the page; lands wherever the service sends it.
pub async fn log_in(c: &Client, base: &str, username: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#username", username).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "form[action='/login'] button[type=submit]").await;
    wait_for_path(c, |p| p != "/login").await;
}

/// The newest code the service wrote to its log for `to`, after the
/// `seen` codes before it.
async fn code_sent(server: &Listening, to: &str, seen: usize) -> String {
    for _ in 0..200 {
        let codes: Vec<String> = server
            .output()
            .iter()
            .filter(|l| l.contains(to))
            .filter_map(|l| {
                // The message's body: "您的身份核验验证码是 123456，…".
                let after = &l[l.rfind("验证码是")?..];
                let digits: String = after
                    .chars()
                    .skip_while(|c| !c.is_ascii_digit())
                    .take_while(char::is_ascii_digit)
                    .collect();
                (digits.len() == 6).then_some(digits)
            })
            .collect();
        if codes.len() > seen {
            return codes[seen].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no code {} to {to} in the log", seen + 1);
}

/// Registers `username` as `name` with the corrected holder's ID number,
/// agrees to the terms, proves the identity by the code sent to the
/// recorded address (the `seen`-th sent there) and lands on the list.
pub async fn register_and_prove(
    c: &Client,
    server: &Listening,
    base: &str,
    username: &str,
    name: &str,
    seen: usize,
) -> String {
    c.goto(&format!("{base}/register")).await.unwrap();
    fill(c, "#name", name).await;
    click(c, "#id_type option[value=resident_id]").await;
    fill(c, "#id_number", HOLDER_ID).await;
    fill(c, "#username", username).await;
    fill(c, "#password", PASSWORD).await;
    fill(c, "#password_confirmation", PASSWORD).await;
    click(c, "form[action='/register'] button[type=submit]").await;
    wait_for_path(c, |p| p == "/login").await;
    log_in(c, base, username).await;
    wait_for_path(c, |p| p == "/terms").await;
    click(c, "#agree").await;
    // No certificate before the identity is proven.
    wait_for_path(c, |p| p == "/identity").await;
    let masked = text(c).await;
    assert!(!masked.contains(HOLDER_EMAIL), "shown masked: {masked}");
    click(c, "#send-0").await;
    let code = code_sent(server, HOLDER_EMAIL, seen).await;
    fill(c, "#code", &code).await;
    click(c, "#prove-code").await;
    wait_for_path(c, |p| p == "/certificates").await;
    wait_for_text(c, HOLDER_NUMBER, 10).await
}

/// The demo holder's revoked certificate: 已撤销 with the reason and the
/// time on [详情]; its annotation verifies as revoked and its document
/// answers 409 `certificate_revoked`.
pub async fn revoked(
    c: &Client,
    viewer: &Client,
    base: &str,
    port: u16,
    token: &str,
    (certificate, annotation, code): (i64, i64, &str),
) {
    log_in(c, base, zhengshu_demo::DEMO.username).await;
    c.goto(&format!("{base}/certificates")).await.unwrap();
    let t = wait_for_text(c, "已撤销", 10).await;
    assert!(t.contains(zhengshu_demo::PHARMACIST_NUMBER), "{t}");
    c.goto(&format!("{base}/certificates/{certificate}/details"))
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
    let (status, body) = zhengshu_testing::api::call(
        port,
        "GET",
        &format!("/api/v1/me/annotations/{annotation}/document"),
        Some(token),
        None,
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "certificate_revoked", "{body}");
}

/// The demo holder's certificate with the file: [查看文件] opens it
/// inline, [下载文件] saves the very bytes under a name with the
/// certificate's number.
pub async fn files(c: &Client, viewer: &Client, base: &str, downloads: &Path, pdf: &[u8]) {
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
    let id = href
        .as_str()
        .unwrap()
        .trim_start_matches("/certificates/")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let info = format!("{base}/certificates/{id}");
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
    log_in(viewer, base, zhengshu_demo::DEMO.username).await;
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
    let saved = downloaded(downloads, "pdf").await;
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
}

/// The account of the old name: told a correction was made, when, and
/// nothing of the new details; it stays on its list.
pub async fn told_of_the_correction(c: &Client, base: &str, corrected: &str, shot_name: &str) {
    c.goto(&format!("{base}/certificates")).await.unwrap();
    let t = wait_for_text(c, "更正", 10).await;
    assert_eq!(path(c).await, "/certificates", "not sent elsewhere: {t}");
    assert!(t.contains("重新注册"), "{t}");
    assert!(!t.contains(HOLDER_NUMBER), "{t}");
    assert!(!t.contains(corrected), "the new name leaks: {t}");
    no_sideways_scrolling(c, 390).await;
    shot(c, shot_name).await;
}
