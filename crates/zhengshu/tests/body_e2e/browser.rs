//! The browser end: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) over WebDriver, the small steps the flows share, TOTP
//! codes from `oathtool`, screenshots into `target/e2e/`. Without the
//! browser or `oathtool` the test fails saying what to install.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use zhengshu_testing::{Listening, spawn_listening};

pub const INSTALL: &str =
    "apt-get install -y chromium chromium-driver fonts-noto-cjk fonts-hanazono oathtool";

fn chromium() -> PathBuf {
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("Chromium is not installed: {INSTALL}"))
}

/// ChromeDriver on a port it picks; killed when dropped.
pub fn start_driver() -> Listening {
    let exe = Path::new("/usr/bin/chromedriver");
    assert!(exe.exists(), "chromedriver is not installed: {INSTALL}");
    spawn_listening(
        Command::new(exe).arg("--port=0"),
        "started successfully on port ",
    )
}

/// A Chromium session set up for Chinese; `width` emulates a phone of that
/// width; with `downloads`, files (PDFs too) are saved there unasked.
pub async fn browser(
    driver: &Listening,
    profile: &Path,
    width: Option<u32>,
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
        "prefs": {"intl.accept_languages": "zh-CN,zh"},
    });
    if let Some(dir) = downloads {
        options["prefs"]["download.default_directory"] = json!(dir);
        options["prefs"]["download.prompt_for_download"] = json!(false);
        options["prefs"]["plugins.always_open_pdf_externally"] = json!(true);
    }
    if let Some(width) = width {
        options["mobileEmulation"] =
            json!({"deviceMetrics": {"width": width, "height": 900, "pixelRatio": 1.0}});
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.addr.port()))
        .await
        .unwrap_or_else(|e| panic!("cannot start a Chromium session ({e}): {INSTALL}"))
}

/// The TOTP code `offset` steps from now, from `oathtool` (RFC 6238,
/// SHA-1, 30 s, 6 digits): an implementation independent of ours.
pub fn oath(secret: &str, offset: i64) -> String {
    let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30 * offset);
    let now = at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
    let out = Command::new("oathtool")
        .args(["--totp", "-b", secret, "--now", &now])
        .output()
        .unwrap_or_else(|e| panic!("oathtool ({e}): {INSTALL}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub async fn shot(c: &Client, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e");
    std::fs::create_dir_all(&dir).expect("create target/e2e");
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// The page's visible text, read in one step (a page that refreshes
/// itself is read again).
pub async fn text(c: &Client) -> String {
    let mut last = None;
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

pub async fn click(c: &Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Types `value` into the field `css`, emptied first.
pub async fn fill(c: &Client, css: &str, value: &str) {
    let field = c
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// The page's path.
pub async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

/// Waits (boundedly) until the page's path satisfies `want`.
pub async fn wait_for_path(c: &Client, want: impl Fn(&str) -> bool) {
    for _ in 0..400 {
        if want(&path(c).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "still at {}: {}",
        c.current_url().await.unwrap(),
        text(c).await
    );
}

/// Waits (boundedly) until the page's text contains `want`, without
/// reloading: the page must turn by itself.
pub async fn wait_for_text(c: &Client, want: &str, secs: u64) -> String {
    for _ in 0..secs * 10 {
        let t = text(c).await;
        if t.contains(want) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{want:?} not shown within {secs} s: {}", text(c).await);
}

/// The one file with extension `ext` the browser saved in `dir`, once
/// complete.
pub async fn downloaded(dir: &Path, ext: &str) -> PathBuf {
    for _ in 0..300 {
        let done: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .collect();
        if let [file] = done.as_slice() {
            return file.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no .{ext} download in {}", dir.display());
}

pub async fn no_sideways_scrolling(c: &Client, width: i64) {
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

/// A small PDF that reads (classic cross-references, a catalog).
pub fn small_pdf(note: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ];
    let mut out = format!("%PDF-1.4\n% {note}\n").into_bytes();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
