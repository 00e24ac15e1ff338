//! The browser end of the end-to-end tests: headless Chromium driven over
//! WebDriver (Debian's `chromium` and `chromium-driver`), the app served on
//! a real port, and the small steps the flows share (read the page's text,
//! click, wait, log in by keyboard, screenshots into `target/e2e/`, the
//! check that a page does not scroll sideways). Without the browser a test
//! fails saying what to install: it is never skipped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use zhengshu_testing::{Listening, spawn_listening};

use crate::helpers::*;

pub(crate) const INSTALL: &str =
    "apt-get install -y chromium chromium-driver fonts-noto-cjk fonts-hanazono";

pub(crate) fn chromium() -> PathBuf {
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("Chromium is not installed: {INSTALL}"))
}

/// ChromeDriver on a port it picks; killed when the test ends, however it
/// ends.
pub(crate) fn start_driver() -> (Listening, u16) {
    let exe = Path::new("/usr/bin/chromedriver");
    assert!(exe.exists(), "chromedriver is not installed: {INSTALL}");
    let driver = spawn_listening(
        Command::new(exe).arg("--port=0"),
        "started successfully on port ",
    );
    let port = driver.addr.port();
    (driver, port)
}

pub(crate) async fn browser(port: u16, profile: &Path, mobile_width: Option<u32>) -> Client {
    browser_with(port, profile, mobile_width, None).await
}

/// A Chromium session; with `downloads`, files are saved there without
/// asking (PDFs too, rather than shown).
pub(crate) async fn browser_with(
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

pub(crate) fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).expect("create target/e2e");
    dir
}

pub(crate) async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// The page's visible text, read in one step (a page that refreshes
/// itself never leaves a stale element behind).
pub(crate) async fn text(c: &Client) -> String {
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

pub(crate) async fn value_of(c: &Client, css: &str) -> String {
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

pub(crate) async fn path(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

pub(crate) async fn click(c: &Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Waits (boundedly) until the page's path satisfies `want`.
pub(crate) async fn wait_for_path(c: &Client, want: impl Fn(&str) -> bool) {
    for _ in 0..200 {
        if want(c.current_url().await.unwrap().path()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still at {}", c.current_url().await.unwrap());
}

pub(crate) const TAB: &str = "\u{E004}";
pub(crate) const ENTER: &str = "\u{E007}";

/// Logs in with the keyboard only: type, Tab, type, Enter.
pub(crate) async fn keyboard_log_in(c: &Client, base: &str, username: &str) {
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

pub(crate) type Serving = tokio::task::JoinHandle<std::io::Result<()>>;

/// The app on a real port: its base URL, the switch that stops it, and the
/// task serving it.
pub(crate) async fn serve(app: &App) -> (String, tokio::sync::oneshot::Sender<()>, Serving) {
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

pub(crate) async fn no_sideways_scrolling(c: &Client, width: i64) {
    let widths = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
    assert_eq!(inner, width, "the viewport is {width} px wide");
    assert!(
        scroll <= inner,
        "content {scroll} px wide in a {inner} px viewport"
    );
}

/// Waits (boundedly) until the page's text contains `want`, without
/// reloading: the page must turn by itself.
pub(crate) async fn wait_for_text(c: &Client, want: &str, secs: u64) -> String {
    for _ in 0..secs * 10 {
        let t = text(c).await;
        if t.contains(want) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{want:?} not shown within {secs} s: {}", text(c).await);
}

/// The PDF the browser saved, once complete.
pub(crate) async fn downloaded_pdf(dir: &Path) -> PathBuf {
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
