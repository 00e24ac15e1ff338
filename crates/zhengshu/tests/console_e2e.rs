//! The issuing-body console end to end, as its first users meet it: the
//! real `zhengshu serve` on a port the system picks, accounts invited with
//! the real `zhengshu staff add`, and one headless Chromium (Debian's
//! `chromium` and `chromium-driver`) typing passwords and TOTP codes that
//! `oathtool` computes. An admin enrols from the printed link and adds an
//! officer and an auditor from the console; the officer enrols and signs
//! in; the auditor sees the events of both and nothing of another body,
//! whose admin works meanwhile; `zhengshu audit verify` passes afterwards.
//! Without the browser or `oathtool` the test fails saying what to
//! install: it is never skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use zhengshu_testing::{Listening, spawn_listening};

const INSTALL: &str = "apt-get install -y chromium chromium-driver fonts-noto-cjk oathtool";
const PASSWORD: &str = "Console-Pass-2026";
const A: &str = "pharmacist_center";
const B: &str = "economist_association";

fn zhengshu(data_dir: &Path, base: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhengshu"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ZHENGSHU_DB")
        .env("ZHENGSHU_PUBLIC_BASE_URL", base)
        .output()
        .expect("run zhengshu")
}

/// `zhengshu staff add`; answers the enrolment link it prints.
fn staff_add(data_dir: &Path, base: &str, body: &str, role: &str, username: &str) -> String {
    let out = zhengshu(
        data_dir,
        base,
        &["staff", "add", "--body", body, "--role", role, username],
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let link = text
        .lines()
        .find(|l| l.starts_with(base) && l.contains("/console/enrol/"))
        .unwrap_or_else(|| panic!("no link printed: {text}"));
    link.to_owned()
}

/// The TOTP code `offset` steps from now, from `oathtool` (RFC 6238,
/// SHA-1, 30 s, 6 digits).
fn oath(secret: &str, offset: i64) -> String {
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

fn serve(data_dir: &Path) -> Listening {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env_remove("ZHENGSHU_DB")
        .env("RUST_LOG", "info");
    spawn_listening(&mut cmd, "listening on http://")
}

fn chromium() -> PathBuf {
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("Chromium is not installed: {INSTALL}"))
}

async fn browser(port: u16, profile: &Path) -> Client {
    let options = json!({
        "binary": chromium(),
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--no-first-run", "--disable-sync",
            "--lang=zh-CN", "--window-size=1280,1000",
            format!("--user-data-dir={}", profile.display()),
        ],
        "prefs": {"intl.accept_languages": "zh-CN,zh"},
    });
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("cannot start a Chromium session ({e}): {INSTALL}"))
}

async fn text(c: &Client) -> String {
    c.execute("return document.body.innerText;", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The element `css` once it appears; otherwise fails showing the page.
async fn expect(c: &Client, css: &str, what: &str) -> fantoccini::elements::Element {
    match c.wait().for_element(Locator::Css(css)).await {
        Ok(e) => e,
        Err(e) => panic!("{what} ({e}): {}", text(c).await),
    }
}

async fn fill(c: &Client, css: &str, value: &str) {
    let field = c
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
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

async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

/// Enrols from `link`: password twice, the first code for the secret the
/// page shows; answers the secret. The page then lists recovery codes.
async fn enrol(c: &Client, link: &str, username: &str) -> String {
    c.goto(link).await.unwrap();
    let shown = c
        .find(Locator::Id("enrol-username"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(shown, username);
    let secret = c
        .find(Locator::Id("totp-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    fill(c, "#password", PASSWORD).await;
    fill(c, "#password_confirmation", PASSWORD).await;
    fill(c, "#code", &oath(&secret, 0)).await;
    click(c, "form.form button[type=submit]").await;
    let codes = expect(
        c,
        "ul.recovery-codes li",
        &format!("{username}: no recovery codes"),
    )
    .await;
    assert_eq!(codes.text().await.unwrap().len(), 11, "xxxxx-xxxxx");
    secret
}

/// Signs in with the next step's code (the enrolment used this step's;
/// the server allows one step of drift).
async fn sign_in(c: &Client, base: &str, username: &str, secret: &str) {
    c.goto(&format!("{base}/console/login")).await.unwrap();
    fill(c, "#username", username).await;
    fill(c, "#password", PASSWORD).await;
    fill(c, "#code", &oath(secret, 1)).await;
    click(c, "form.form button[type=submit]").await;
    expect(
        c,
        ".console-nav .staff-name",
        &format!("{username} not signed in"),
    )
    .await;
    assert_eq!(path(c).await, "/console");
    let who = text(c).await;
    assert!(who.contains(username), "{who}");
}

async fn sign_out(c: &Client) {
    click(c, ".console-nav form button").await;
    c.wait().for_element(Locator::Id("username")).await.unwrap();
    assert_eq!(path(c).await, "/console/login");
}

/// An admin adds `username` with `role` from the staff page; answers the
/// link the page shows.
async fn add_staff(c: &Client, base: &str, username: &str, role: &str) -> String {
    c.goto(&format!("{base}/console/staff")).await.unwrap();
    fill(c, "#new-username", username).await;
    click(c, &format!("#new-role option[value={role}]")).await;
    click(c, "form.form button[type=submit]").await;
    let link = expect(c, "#enrol-link", &format!("{username} not added"))
        .await
        .text()
        .await
        .unwrap();
    // The page prints the configured public address; this server was
    // given none, so the link is followed on the address it listens at.
    let at = link
        .find("/console/enrol/")
        .unwrap_or_else(|| panic!("not an enrolment link: {link}"));
    format!("{base}{}", &link[at..])
}

async fn flow(c: &Client, base: &str, data_dir: &Path) {
    // Body B's admin, at work meanwhile: its events must stay in body B.
    let link_b = staff_add(data_dir, base, B, "admin", "admin_b");
    let secret_b = enrol(c, &link_b, "admin_b").await;
    sign_in(c, base, "admin_b", &secret_b).await;
    add_staff(c, base, "officer_b", "officer").await;
    sign_out(c).await;

    let link = staff_add(data_dir, base, A, "admin", "admin_a");
    let secret = enrol(c, &link, "admin_a").await;
    sign_in(c, base, "admin_a", &secret).await;
    let officer_link = add_staff(c, base, "officer_a", "officer").await;
    let auditor_link = add_staff(c, base, "auditor_a", "auditor").await;
    let staff = text(c).await;
    assert!(staff.contains("officer_a") && staff.contains("auditor_a"));
    assert!(!staff.contains("officer_b") && !staff.contains("admin_b"));
    sign_out(c).await;

    let officer = enrol(c, &officer_link, "officer_a").await;
    sign_in(c, base, "officer_a", &officer).await;
    // An officer reads no audit log.
    c.goto(&format!("{base}/console/audit")).await.unwrap();
    assert!(!text(c).await.contains("staff.enrol"));
    c.goto(&format!("{base}/console")).await.unwrap();
    sign_out(c).await;

    let auditor = enrol(c, &auditor_link, "auditor_a").await;
    sign_in(c, base, "auditor_a", &auditor).await;
    c.goto(&format!("{base}/console/audit")).await.unwrap();
    c.wait()
        .for_element(Locator::Id("audit-total"))
        .await
        .unwrap();
    let log = text(c).await;
    for seen in [
        "staff:admin_a",
        "staff:officer_a",
        "staff:auditor_a",
        "staff.create",
        "staff.enrol",
    ] {
        assert!(log.contains(seen), "the auditor misses {seen}: {log}");
    }
    for unseen in ["admin_b", "officer_b", B] {
        assert!(!log.contains(unseen), "the auditor sees {unseen}: {log}");
    }
    // The same selection as CSV, fetched with the auditor's session.
    let csv = c
        .execute(
            "return fetch('/console/audit.csv').then(r => r.text());",
            vec![],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert!(
        csv.contains("officer_a") && !csv.contains("officer_b"),
        "{csv}"
    );
    let png = c.screenshot().await.expect("screenshot");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("console-audit.png"), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_enrols_adds_staff_and_the_auditor_sees_only_their_body() {
    let data = tempfile::tempdir().unwrap();
    let served = serve(data.path());
    let base = format!("http://{}", served.addr);
    let exe = Path::new("/usr/bin/chromedriver");
    assert!(exe.exists(), "chromedriver is not installed: {INSTALL}");
    let driver = spawn_listening(
        Command::new(exe).arg("--port=0"),
        "started successfully on port ",
    );
    let profile = tempfile::tempdir().unwrap();
    let c = browser(driver.addr.port(), profile.path()).await;
    let outcome = tokio::time::timeout(Duration::from_secs(300), async {
        let c = c.clone();
        let base = base.clone();
        let dir = data.path().to_owned();
        tokio::spawn(async move { flow(&c, &base, &dir).await }).await
    })
    .await;
    c.close().await.ok();
    drop(driver);
    drop(served);
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("{e}"),
        Err(_) => panic!("the flow took longer than 300 s"),
    }
    // Everything the flow did is in an intact chain.
    let out = zhengshu(data.path(), &base, &["audit", "verify"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("intact"), "{said}");
}
