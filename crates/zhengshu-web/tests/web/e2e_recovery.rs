//! A holder recovers a forgotten password in headless Chromium: 忘记密码？
//! on the log-in page, the username, the code read from the message the
//! real SMTP server (aiosmtpd) received, a new password, and a log-in
//! with it.

use fantoccini::{Client, Locator};

use crate::browser::*;
use crate::helpers::*;
use crate::identity::{record_email, smtp_app};

async fn type_into(c: &Client, id: &str, text: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_recovers_a_forgotten_password_in_chromium() {
    let (app, sink) = smtp_app().await;
    record_email(&app).await;
    zhang(&app).await;
    let (base, stop, serving) = serve(&app).await;
    let (_driver, port) = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(port, profile.path(), None).await;
    let new_password = "Qv7-harbour-lantern";

    let steps = async {
        c.goto(&format!("{base}/login")).await.unwrap();
        click(&c, "#forgot").await;
        wait_for_path(&c, |p| p == "/recovery").await;
        type_into(&c, "username", zhengshu_demo::DEMO.username).await;
        click(&c, "#recovery-send").await;
        wait_for_text(&c, "验证码已发送", 10).await;
        shot(&c, "recovery-01-code").await;
        let code = sink.code(1);
        type_into(&c, "code", &code).await;
        type_into(&c, "password", new_password).await;
        type_into(&c, "password_confirmation", new_password).await;
        click(&c, "#recovery-reset").await;
        wait_for_path(&c, |p| p == "/login").await;
        wait_for_text(&c, "密码已重设", 10).await;
        type_into(&c, "username", zhengshu_demo::DEMO.username).await;
        type_into(&c, "password", new_password).await;
        click(&c, "button[type=submit].primary").await;
        wait_for_path(&c, |p| p.starts_with("/terms")).await;
        shot(&c, "recovery-02-signed-in").await;
    };
    let outcome = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(steps)).await;
    let _ = c.close().await;
    let _ = stop.send(());
    let _ = serving.await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
