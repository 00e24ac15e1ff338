//! End to end in a real browser: headless Chromium, driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`), against a real bound
//! server. A new holder whose name has an Extension B character, typed
//! through the rare-character picker, registers, logs in with the keyboard
//! only, is led through the service terms, sees the list, opens 证书信息,
//! opens a revoked certificate's 详情, and switches to English; then, at
//! 320 px wide, the list and the verification scope read without
//! scrolling sideways and the picker works by keyboard. Screenshots go to `target/e2e/`. Without the browser
//! the test fails saying what to install: it is never skipped.

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::json;
use zhengshu_domain::{Actor, CertificateNumber, Revocation};
use zhengshu_storage::Storage;
use zhengshu_testing::{Listening, spawn_listening};

use crate::helpers::*;

const NAME: &str = "林\u{2003E}";
const ID_NUMBER: &str = "110101199003070011";
const VALID_NUMBER: &str = "ZY20250110021";
const REVOKED_NUMBER: &str = "WS20230712005";
const REASON: &str = "证书信息与考试记录不符，依规撤销";
const INSTALL: &str = "apt-get install -y chromium chromium-driver fonts-noto-cjk fonts-hanazono";

fn chromium() -> PathBuf {
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("Chromium is not installed: {INSTALL}"))
}

/// ChromeDriver on a port it picks; killed when the test ends, however it
/// ends.
pub fn start_driver() -> (Listening, u16) {
    let exe = Path::new("/usr/bin/chromedriver");
    assert!(exe.exists(), "chromedriver is not installed: {INSTALL}");
    let driver = spawn_listening(
        Command::new(exe).arg("--port=0"),
        "started successfully on port ",
    );
    let port = driver.addr.port();
    (driver, port)
}

pub async fn browser(port: u16, profile: &Path, mobile_width: Option<u32>) -> Client {
    browser_with(port, profile, mobile_width, None).await
}

/// A Chromium session; with `downloads`, files are saved there without
/// asking (PDFs too, rather than shown).
async fn browser_with(
    port: u16,
    profile: &Path,
    mobile_width: Option<u32>,
    downloads: Option<&Path>,
) -> Client {
    let mut options = json!({
        "binary": chromium(),
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-quic", "--no-first-run",
            "--disable-component-update", "--disable-sync", "--lang=zh-CN",
            "--window-size=1280,1400",
            format!("--user-data-dir={}", profile.display()),
        ],
        // A browser set up for Chinese, as most holders' are.
        "prefs": {"intl.accept_languages": "zh-CN,zh"},
    });
    if let Some(dir) = downloads {
        options["prefs"]["download.default_directory"] = json!(dir);
        options["prefs"]["download.prompt_for_download"] = json!(false);
        options["prefs"]["plugins.always_open_pdf_externally"] = json!(true);
    }
    if let Some(width) = mobile_width {
        options["mobileEmulation"] =
            json!({"deviceMetrics": {"width": width, "height": 900, "pixelRatio": 1.0}});
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("cannot start a Chromium session ({e}): {INSTALL}"))
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).expect("create target/e2e");
    dir
}

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// The page's visible text, read in one step (a page that refreshes
/// itself never leaves a stale element behind).
async fn text(c: &Client) -> String {
    let mut last = None;
    // A page replaced mid-call (its own refresh) is read again.
    for _ in 0..20 {
        match c
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
        {
            Ok(v) => return v.as_str().unwrap_or_default().to_owned(),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot read the page: {last:?}");
}

async fn value_of(c: &Client, css: &str) -> String {
    c.execute(
        "return document.querySelector(arguments[0]).value;",
        vec![json!(css)],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

async fn path(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

async fn click(c: &Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Waits (boundedly) until the page's path satisfies `want`.
async fn wait_for_path(c: &Client, want: impl Fn(&str) -> bool) {
    for _ in 0..200 {
        if want(c.current_url().await.unwrap().path()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still at {}", c.current_url().await.unwrap());
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// Logs in with the keyboard only: type, Tab, type, Enter.
async fn keyboard_log_in(c: &Client, base: &str, username: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    let user = c.find(Locator::Id("username")).await.unwrap();
    user.clear().await.unwrap();
    user.send_keys(&format!("{username}{TAB}")).await.unwrap();
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("password")
    );
    focused
        .send_keys(&format!("{PASSWORD}{ENTER}"))
        .await
        .unwrap();
    wait_for_path(c, |p| p != "/login").await;
}

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

pub type Serving = tokio::task::JoinHandle<std::io::Result<()>>;

/// The app on a real port: its base URL, the switch that stops it, and the
/// task serving it.
pub async fn serve(app: &App) -> (String, tokio::sync::oneshot::Sender<()>, Serving) {
    let server =
        zhengshu_web::Server::bind(SocketAddr::from(([127, 0, 0, 1], 0)), app.state.clone())
            .await
            .unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    (base, stop, serving)
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
    assert!(info.contains("110101********0011"), "masked");
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

async fn no_sideways_scrolling(c: &Client) {
    let widths = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
    assert_eq!(inner, 320, "the viewport is 320 px wide");
    assert!(
        scroll <= inner,
        "content {scroll} px wide in a {inner} px viewport"
    );
}

async fn narrow_flow(c: &Client, base: &str) {
    keyboard_log_in(c, base, "linzhen").await;
    assert_eq!(path(c).await, "/certificates");
    no_sideways_scrolling(c).await;
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
    no_sideways_scrolling(c).await;
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
    no_sideways_scrolling(c).await;
    shot(c, "11-picker-320").await;

    // The verification scope, public, reads on a phone too.
    c.goto(&format!("{base}/scope")).await.unwrap();
    assert!(text(c).await.contains("执业药师"));
    no_sideways_scrolling(c).await;
    shot(c, "12-scope-320").await;
}

/// Waits (boundedly) until the page's text contains `want`, without
/// reloading: the page must turn by itself.
async fn wait_for_text(c: &Client, want: &str, secs: u64) -> String {
    for _ in 0..secs * 10 {
        let t = text(c).await;
        if t.contains(want) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{want:?} not shown within {secs} s: {}", text(c).await);
}

/// The demo holder annotates the demo pharmacist certificate: applies, sees
/// 证书生成中…, sees it turn ready by itself, downloads the PDF through the
/// browser (judged by pdfsig, pyHanko and qpdf), withdraws it; applies
/// again, and with the test's clock moved past the validity sees
/// 加注件已过期.
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
    let flow = AssertUnwindSafe(annotation_flow(&c, &base, &app, &worker, downloads.path()))
        .catch_unwind()
        .await;
    c.close().await.ok();
    let _ = stop.send(());
    if let Err(panic) = flow {
        std::panic::resume_unwind(panic);
    }
    serving.await.unwrap().unwrap();
}

/// The PDF the browser saved, once complete.
async fn downloaded_pdf(dir: &Path) -> PathBuf {
    for _ in 0..300 {
        let done: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
            .collect();
        if let [pdf] = done.as_slice() {
            return pdf.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no download in {}: {:?}",
        dir.display(),
        std::fs::read_dir(dir).unwrap().collect::<Vec<_>>()
    );
}

async fn annotation_flow(
    c: &Client,
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

    // 撤回加注.
    click(c, "#annotation-withdraw").await;
    let page = wait_for_text(c, "已撤回加注。", 10).await;
    assert!(page.contains("加注已撤回"));
    shot(c, "15-annotation-withdrawn").await;

    // A new application; then the clock moves past its validity.
    click(c, "#annotation-apply").await;
    wait_for_path(c, |p| p.ends_with("/annotate")).await;
    click(c, "#annotation-submit").await;
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

    let _ = stop_worker.send(());
    working.await.unwrap();
}
