//! The issuing body's work end to end, against the real binaries:
//! `zhengshu serve --demo` (on SQLite, then on PostgreSQL), an officer
//! added by `zhengshu staff add` who enrols and signs in, in headless
//! Chromium, with TOTP codes from `oathtool`, uploads a CSV file with two
//! bad rows, reads the report, downloads the rejects, imports the
//! corrected file, revokes a certificate with a reason after the
//! confirmation step, corrects a holder's name and attaches a PDF file.
//! Then the holders: the revoked certificate shows 已撤销 with the reason
//! and its annotation answers as revoked; the account of the holder's old
//! name is told of the correction; the holder registers again with the
//! corrected name, proves by the code sent to the recorded address and
//! sees the certificate, while the old account still reads why its list
//! is empty; the file opens with [查看文件] and downloads with [下载文件].
//! Afterwards `zhengshu audit verify` passes on the same data directory
//! and database. Without the browser or `oathtool` the test fails saying
//! what to install: it is never skipped.

mod browser;
mod holders;
mod officer;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use fantoccini::Client;
use zhengshu_testing::api::{annotation, apply, certificate_id, demo_session};
use zhengshu_testing::{Listening, spawn_listening};

use crate::browser::*;

const PASSWORD: &str = "Console-Pass-2026";
const REASON: &str = "以不正当手段取得证书，依规撤销";
/// The holder imported with an e-mail address, whose name is corrected.
const HOLDER_NUMBER: &str = "ZY5001";
const HOLDER_NAME: &str = "王五";
const HOLDER_ID: &str = "110101199003070011";
const HOLDER_EMAIL: &str = "wangwu@example.com";
const CORRECTED: &str = "王伍";
/// The demo holder's imported certificate the file is attached to.
const FILE_NUMBER: &str = "ZY5003";
const FILE_TITLE: &str = "执业药师注册证电子版";

/// One run's server and where its data lives.
struct Run {
    data: tempfile::TempDir,
    /// `--db`, or SQLite in the data directory.
    db: Option<String>,
    server: Listening,
    base: String,
}

impl Run {
    fn start(db: Option<String>) -> Self {
        let data = tempfile::tempdir().unwrap();
        // Codes go to the log, where the holders' part reads them.
        std::fs::write(data.path().join("zhengshu.toml"), "[notify]\nlog = true\n").unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
        cmd.arg("--data-dir").arg(data.path());
        if let Some(db) = &db {
            cmd.args(["--db", db]);
        }
        cmd.args(["serve", "--demo", "--addr", "127.0.0.1:0"])
            .env_remove("ZHENGSHU_DB")
            .env("RUST_LOG", "info");
        let server = spawn_listening(&mut cmd, "listening on http://");
        let base = format!("http://{}", server.addr);
        Run {
            data,
            db,
            server,
            base,
        }
    }

    fn zhengshu(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
        cmd.arg("--data-dir").arg(self.data.path());
        if let Some(db) = &self.db {
            cmd.args(["--db", db]);
        }
        cmd.args(args)
            .env_remove("ZHENGSHU_DB")
            .env("ZHENGSHU_PUBLIC_BASE_URL", &self.base)
            .output()
            .expect("run zhengshu")
    }

    /// `zhengshu staff add`: the enrolment link it prints.
    fn staff_add(&self, username: &str) -> String {
        let out = self.zhengshu(&[
            "staff",
            "add",
            "--body",
            "pharmacist_center",
            "--role",
            "officer",
            username,
        ]);
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .find(|l| l.starts_with(&self.base) && l.contains("/console/enrol/"))
            .unwrap_or_else(|| panic!("no link printed: {text}"))
            .to_owned()
    }

    /// Stops the server as an operator would (SIGTERM), waiting for it.
    fn stop(&mut self) {
        let pid = self.server.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..300 {
            if self.server.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server did not stop within 30 s");
    }
}

/// The demo holder's annotation of the pharmacist certificate, generated
/// by the server's workers: (certificate, annotation, 查验码) and the
/// holder's API token.
fn demo_annotation(port: u16) -> ((i64, i64, String), String) {
    let token = demo_session(port);
    let cert = certificate_id(port, &token, zhengshu_demo::PHARMACIST_NUMBER);
    let (status, applied) = apply(port, &token, cert);
    assert_eq!(status, 202, "{applied}");
    let id = applied["id"].as_i64().unwrap();
    for _ in 0..1200 {
        let a = annotation(port, &token, id);
        if let Some(code) = a["verification_code"].as_str() {
            return ((cert, id, code.to_owned()), token);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("annotation {id} was not generated within 120 s");
}

/// The browsers of one run, one per person (and a second for the demo
/// holder that shows what it is sent).
struct Browsers {
    officer: Client,
    demo: Client,
    viewer: Client,
    old: Client,
    new: Client,
}

async fn journey(run: &Run, b: &Browsers, dirs: &Path) {
    let base = run.base.as_str();
    let port = run.server.addr.port();
    let (revoked, token) = tokio::task::spawn_blocking(move || demo_annotation(port))
        .await
        .unwrap();

    // The officer imports.
    let link = run.staff_add("officer_a");
    officer::enrol_and_sign_in(&b.officer, base, &link, "officer_a").await;
    officer::import(&b.officer, base, dirs, &dirs.join("officer-downloads")).await;

    // The imported holder registers, proves and sees the certificate.
    let list =
        holders::register_and_prove(&b.old, &run.server, base, "wangwu", HOLDER_NAME, 0).await;
    assert!(list.contains(HOLDER_NUMBER), "{list}");

    // The officer revokes, corrects the holder's name, attaches a file.
    b.officer.goto(&format!("{base}/console")).await.unwrap();
    officer::revoke(&b.officer, zhengshu_demo::PHARMACIST_NUMBER).await;
    officer::correct(&b.officer, base).await;
    let pdf = small_pdf("电子证书");
    let pdf_path = dirs.join("注册证.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    officer::attach(&b.officer, base, &pdf_path).await;

    // The holders.
    let (cert, id, code) = &revoked;
    holders::revoked(&b.demo, &b.viewer, base, port, &token, (*cert, *id, code)).await;
    holders::files(&b.demo, &b.viewer, base, &dirs.join("demo-downloads"), &pdf).await;
    holders::told_of_the_correction(&b.old, base, CORRECTED, "console-07-old-account-390").await;
    // Registered again with the corrected name: the identity moves over.
    let list =
        holders::register_and_prove(&b.new, &run.server, base, "wangwu2", CORRECTED, 1).await;
    assert!(list.contains(HOLDER_NUMBER), "{list}");
    shot(&b.new, "console-08-registered-again").await;
    // The old account still opens its list and reads why it is empty.
    holders::told_of_the_correction(&b.old, base, CORRECTED, "console-09-old-account-after").await;
}

/// One run on `db` (SQLite in the data directory when `None`), then
/// `zhengshu audit verify` on the same data.
async fn run_on(db: Option<String>) {
    let mut run = Run::start(db);
    let driver = start_driver();
    let dirs = tempfile::tempdir().unwrap();
    for d in ["officer-downloads", "demo-downloads", "profiles"] {
        std::fs::create_dir_all(dirs.path().join(d)).unwrap();
    }
    let profile = |name: &str| dirs.path().join("profiles").join(name);
    let b = Browsers {
        officer: browser(
            &driver,
            &profile("officer"),
            None,
            Some(&dirs.path().join("officer-downloads")),
        )
        .await,
        demo: browser(
            &driver,
            &profile("demo"),
            None,
            Some(&dirs.path().join("demo-downloads")),
        )
        .await,
        viewer: browser(&driver, &profile("viewer"), None, None).await,
        old: browser(&driver, &profile("old"), Some(390), None).await,
        new: browser(&driver, &profile("new"), None, None).await,
    };
    let outcome =
        tokio::time::timeout(Duration::from_secs(600), journey(&run, &b, dirs.path())).await;
    for c in [b.officer, b.demo, b.viewer, b.old, b.new] {
        c.close().await.ok();
    }
    drop(driver);
    run.stop();
    outcome.expect("the journey took longer than 600 s");

    // Everything the journey did is in an intact chain, up to the head
    // the server recorded in the data directory.
    let out = run.zhengshu(&["audit", "verify"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("audit chain intact"), "{said}");
    assert!(!said.contains("no head recorded"), "{said}");
}

/// The two runs take turns: each drives five Chromium sessions.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bodys_work_and_its_holders_on_sqlite_then_audit_verify() {
    let _turn = ONE_AT_A_TIME.lock().await;
    run_on(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bodys_work_and_its_holders_on_postgres_then_audit_verify() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let pg = zhengshu_storage_postgres::testing::FreshPg::empty(zhengshu_storage::IdVault::new(
        &zhengshu_storage::VaultKeys {
            encryption: [1; 32],
            index: [2; 32],
        },
    ))
    .await;
    run_on(Some(pg.url.clone())).await;
}
