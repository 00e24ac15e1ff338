//! End to end in a real browser (see `browser`): a new holder whose name
//! has an Extension B character, typed through the rare-character picker,
//! registers, logs in with the keyboard only, is led through the service
//! terms and the identity proof (the 管理号), sees the list, opens 证书信息, opens a revoked certificate's 详情,
//! and switches to English; then, at 320 px wide, the list and the
//! verification scope read without scrolling sideways and the picker works
//! by keyboard.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::json;
use zhengshu_domain::{Actor, CertificateNumber, Revocation};
use zhengshu_storage::Storage;

use crate::browser::*;
use crate::helpers::*;

const NAME: &str = "林\u{2003E}";
const ID_NUMBER: &str = "110101199003070011";
const VALID_NUMBER: &str = "ZY20250110021";
const REVOKED_NUMBER: &str = "WS20230712005";
const REASON: &str = "证书信息与考试记录不符，依规撤销";

async fn seed_new_holders_certificates(app: &App) {
    let mut valid =
        zhengshu_storage_story::certificate(VALID_NUMBER, NAME, ID_NUMBER, "licensed_pharmacist");
    valid.issue_date = jiff::civil::date(2025, 1, 10);
    valid.birth_date = Some(jiff::civil::date(1990, 3, 7));
    let revoked =
        zhengshu_storage_story::certificate(REVOKED_NUMBER, NAME, ID_NUMBER, "health_professional");
    let actor = Actor::Cli("e2e".into());
    let mut tx = app.store.begin_import(&actor).await.unwrap();
    tx.write(&[valid, revoked], false, app.clock.now_ts())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.store
        .revoke_certificate(
            &CertificateNumber::parse(REVOKED_NUMBER).unwrap(),
            &Revocation {
                at: "2025-06-30T01:15:00Z".parse().unwrap(),
                reason: REASON.into(),
            },
            &actor,
        )
        .await
        .unwrap();
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_holder_with_a_rare_character_finds_their_certificates_in_chromium() {
    let app = app().await;
    seed_new_holders_certificates(&app).await;
    let (base, stop, serving) = serve(&app).await;
    let (_driver, port) = start_driver();
    let profiles = tempfile::tempdir().unwrap();

    // Each session is closed even when a step fails, so that no browser
    // outlives the test; then the failure is reported.
    let c = browser(port, &profiles.path().join("desktop"), None).await;
    let desktop = AssertUnwindSafe(desktop_flow(&c, &base))
        .catch_unwind()
        .await;
    c.close().await.ok();
    if let Err(panic) = desktop {
        std::panic::resume_unwind(panic);
    }
    let phone = browser(port, &profiles.path().join("phone"), Some(320)).await;
    let narrow = AssertUnwindSafe(narrow_flow(&phone, &base))
        .catch_unwind()
        .await;
    phone.close().await.ok();
    if let Err(panic) = narrow {
        std::panic::resume_unwind(panic);
    }

    let _ = stop.send(());
    serving.await.unwrap().unwrap();
    let valid = app
        .store
        .certificate_by_number(&CertificateNumber::parse(VALID_NUMBER).unwrap())
        .await
        .unwrap();
    assert_eq!(valid.data.name.as_str(), NAME);
}

async fn desktop_flow(c: &Client, base: &str) {
    // 用户注册, the name typed partly by hand, partly through the picker.
    c.goto(&format!("{base}/register")).await.unwrap();
    assert_eq!(
        c.title().await.unwrap(),
        "用户注册 - 专业技术人员职业资格证书查询验证系统"
    );
    shot(c, "01-register").await;
    c.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("林")
        .await
        .unwrap();
    // The script turned the picker link into a button.
    click(c, "button.picker-link").await;
    click(c, "input[name=name-mode][value=radical]").await;
    // 𠀾 has no Mandarin reading: radical 1 (一) plus 9 strokes.
    let radical = c.find(Locator::Id("name-radical")).await.unwrap();
    radical.select_by_value("1").await.unwrap();
    let strokes = c.find(Locator::Id("name-strokes")).await.unwrap();
    strokes.clear().await.unwrap();
    strokes.send_keys("9").await.unwrap();
    click(c, "button.picker-search").await;
    let candidate = c
        .wait()
        .for_element(Locator::Css("button.candidate[data-char=\"\u{2003E}\"]"))
        .await
        .expect("𠀾 among the candidates");
    let label = candidate.text().await.unwrap();
    assert!(
        label.contains("U+2003E"),
        "the code point label shows: {label}"
    );
    // The served font is a font Chromium accepts (its sanitizer rejects
    // broken ones).
    let font = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             new FontFace('zs-check', 'url(/fonts/rare/20000.ttf)').load()\
               .then(() => done('loaded'), (e) => done('refused: ' + e));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(font, json!("loaded"));
    shot(c, "02-picker").await;
    candidate.click().await.unwrap();
    assert_eq!(value_of(c, "#name").await, NAME);

    c.find(Locator::Id("id_number"))
        .await
        .unwrap()
        .send_keys(ID_NUMBER)
        .await
        .unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("linzhen")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("password_confirmation"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click(c, "form.form button[type=submit]").await;
    wait_for_path(c, |p| p == "/login").await;
    assert!(text(c).await.contains("注册成功，请登录"));

    // 登录 with the keyboard only; led to 服务须知.
    keyboard_log_in(c, base, "linzhen").await;
    assert!(path(c).await.starts_with("/terms"), "{}", path(c).await);
    assert!(text(c).await.contains("服务须知"));
    shot(c, "03-terms").await;
    click(c, "#agree").await;

    // Then 身份核验: no contact is recorded, so the 管理号 printed on the
    // paper certificate proves it.
    wait_for_path(c, |p| p == "/identity").await;
    assert!(text(c).await.contains("尚未核验身份"));
    shot(c, "03b-identity").await;
    c.find(Locator::Id("management_number"))
        .await
        .unwrap()
        .send_keys(&format!("M-{VALID_NUMBER}"))
        .await
        .unwrap();
    click(c, "#prove-management").await;
    wait_for_path(c, |p| p == "/certificates").await;

    // The list.
    let list = text(c).await;
    for t in [
        NAME,
        VALID_NUMBER,
        REVOKED_NUMBER,
        "执业药师",
        "卫生专业技术资格",
        "有效",
        "已撤销",
        "2025-01-10",
    ] {
        assert!(list.contains(t), "{t} in the list");
    }
    assert_eq!(
        c.title().await.unwrap(),
        "我的证书 - 专业技术人员职业资格证书查询验证系统"
    );
    shot(c, "04-certificates").await;

    // 证书信息 of the valid one.
    click(c, "li.cert:not(.revoked) p.actions a:first-child").await;
    let info = text(c).await;
    assert!(info.contains("证书信息"));
    assert!(info.contains("**************0011"), "masked");
    assert!(!info.contains(ID_NUMBER), "never in full");
    assert!(info.contains(NAME));
    shot(c, "05-information").await;

    // 详情 of the revoked one.
    click(c, "p.back a").await;
    click(c, "li.cert.revoked a.details-link").await;
    let details = text(c).await;
    assert!(details.contains("撤销时间"));
    assert!(details.contains("2025-06-30 09:15"), "China Standard Time");
    assert!(details.contains("撤销原因"));
    assert!(details.contains(REASON));
    shot(c, "06-details").await;

    // English, remembered from page to page.
    click(c, "a[hreflang=en]").await;
    c.wait()
        .for_element(Locator::Css("html[lang=en]"))
        .await
        .expect("the page in English");
    let english = text(c).await;
    assert!(english.contains("Revoked at"), "{english}");
    assert!(english.contains("Reason for revocation"));
    assert!(english.contains(REASON), "data stays as recorded");
    shot(c, "07-details-en").await;
    c.goto(&format!("{base}/certificates")).await.unwrap();
    let list = text(c).await;
    assert!(list.contains("My certificates") && list.contains("Valid") && list.contains("Revoked"));
    assert_eq!(
        c.title().await.unwrap(),
        "My certificates - Professional Qualification Certificate Query and Verification"
    );
    shot(c, "08-certificates-en").await;
}

async fn narrow_flow(c: &Client, base: &str) {
    keyboard_log_in(c, base, "linzhen").await;
    assert_eq!(path(c).await, "/certificates");
    no_sideways_scrolling(c, 320).await;
    shot(c, "09-certificates-320").await;
    let id = c
        .find(Locator::Css("li.cert.revoked a.details-link"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    c.goto(&format!("{base}{}", id.replace("/details", "")))
        .await
        .unwrap();
    no_sideways_scrolling(c, 320).await;
    shot(c, "10-information-320").await;

    // The picker by keyboard alone: Tab from the name field to the picker
    // button, Enter opens it, type pinyin and Enter searches, Tab to the
    // first candidate, Enter inserts it.
    let logout = c.find(Locator::Css("header form button")).await.unwrap();
    logout.click().await.unwrap();
    wait_for_path(c, |p| p == "/login").await;
    c.goto(&format!("{base}/register")).await.unwrap();
    let name = c.find(Locator::Id("name")).await.unwrap();
    name.send_keys(&format!("陈{TAB}")).await.unwrap();
    let button = c.active_element().await.unwrap();
    assert_eq!(
        button.attr("class").await.unwrap().as_deref(),
        Some("button secondary picker-link")
    );
    button.send_keys(ENTER).await.unwrap();
    let input = c.active_element().await.unwrap();
    assert_eq!(
        input.attr("id").await.unwrap().as_deref(),
        Some("name-pinyin")
    );
    input.send_keys(&format!("yan2{ENTER}")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("button.candidate"))
        .await
        .expect("candidates");
    input.send_keys(&format!("{TAB}{TAB}{TAB}")).await.unwrap();
    let first = c.active_element().await.unwrap();
    let ch = first
        .attr("data-char")
        .await
        .unwrap()
        .expect("a candidate has focus");
    first.send_keys(ENTER).await.unwrap();
    assert_eq!(value_of(c, "#name").await, format!("陈{ch}"));
    no_sideways_scrolling(c, 320).await;
    shot(c, "11-picker-320").await;

    // An Extension B character read yan, from the untoned syllable: the
    // picker says how many there are and shows more until it appears.
    let input = c.find(Locator::Id("name-pinyin")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(&format!("yan{ENTER}")).await.unwrap();
    let ext_b = "button.candidate[data-block=\"CJK Ext B\"]";
    let mut pages = 1;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let found = loop {
        assert!(std::time::Instant::now() < deadline, "the picker answered");
        let status = c
            .find(Locator::Css(".picker-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if let Ok(b) = c.find(Locator::Css(ext_b)).await {
            break b;
        }
        if status.contains(&format!("显示前 {} 个", 60 * pages)) {
            assert!(status.starts_with("共 "), "{status}");
            click(c, "button.picker-more").await;
            pages += 1;
            assert!(pages < 30, "an Extension B yan within the pages");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let extb = found
        .attr("data-char")
        .await
        .unwrap()
        .expect("its character");
    found.click().await.unwrap();
    let composed = value_of(c, "#name").await;
    assert_eq!(composed, format!("陈{ch}{extb}"));
    let cp = u32::from(extb.chars().next().unwrap());
    assert!(
        (0x20000..0x2A6E0).contains(&cp),
        "U+{cp:X} is in Extension B"
    );
    no_sideways_scrolling(c, 320).await;
    shot(c, "11b-picker-yan-ext-b-320").await;

    // The verification scope, public, reads on a phone too.
    c.goto(&format!("{base}/scope")).await.unwrap();
    assert!(text(c).await.contains("执业药师"));
    no_sideways_scrolling(c, 320).await;
    shot(c, "12-scope-320").await;
}
