//! A holder logs in with the exam-registration platform in headless
//! Chromium: [使用报名服务平台账号登录] on zhengshu's log-in page, the real
//! `oidc-provider`'s sign-in form, back to zhengshu signed in, the terms
//! agreed, and the certificates listed without any further proof.

use std::net::SocketAddr;
use std::sync::Arc;

use fantoccini::Locator;
use zhengshu_domain::{IdDocument, IdType, IdentityProof};
use zhengshu_oidc::RelyingParty;
use zhengshu_storage::Storage;

use crate::browser::*;
use crate::helpers::*;
use crate::platform::{Platform, SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_logs_in_with_the_platform_in_chromium_and_sees_their_certificates() {
    // The port first: the platform must know where to send the browser back.
    let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let callback = format!("{base}/login/platform/callback");
    let p = Platform::start_with_redirect(&callback);
    let rp = Arc::new(RelyingParty::new(p.settings_to("zhengshu", SECRET, &callback)).unwrap());
    let app = app_with(move |s| s.platform = Some(rp)).await;
    let server = zhengshu_web::Server::from_listener(listener, app.state.clone()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let (_driver, port) = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(port, profile.path(), None).await;

    let steps = async {
        c.goto(&format!("{base}/login")).await.unwrap();
        click(&c, "#platform-login").await;
        // The platform's own page.
        c.wait().for_element(Locator::Id("login")).await.unwrap();
        assert!(
            c.current_url()
                .await
                .unwrap()
                .as_str()
                .starts_with(&p.issuer)
        );
        shot(&c, "platform-01-sign-in").await;
        c.find(Locator::Id("login"))
            .await
            .unwrap()
            .send_keys("zhangsan")
            .await
            .unwrap();
        c.find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys("platform-pw-1")
            .await
            .unwrap();
        click(&c, "#sign-in").await;
        // Back at zhengshu, signed in: the terms come first.
        wait_for_path(&c, |p| p.starts_with("/terms")).await;
        assert!(c.current_url().await.unwrap().as_str().starts_with(&base));
        shot(&c, "platform-02-terms").await;
        click(&c, "#agree").await;
        wait_for_path(&c, |p| p == "/certificates").await;
        let t = wait_for_text(&c, "执业药师", 10).await;
        assert!(t.contains(zhengshu_demo::PHARMACIST_NUMBER), "{t}");
        shot(&c, "platform-03-certificates").await;
    };
    let outcome = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(steps)).await;
    let _ = c.close().await;
    let _ = stop.send(());
    let _ = serving.await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    let doc = IdDocument::parse(IdType::ResidentId, zhengshu_demo::DEMO.id_number).unwrap();
    let holder = app.store.proven_holder(&doc).await.unwrap();
    assert_eq!(holder.identity, IdentityProof::Federated);
}
