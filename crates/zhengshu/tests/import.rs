//! `zhengshu import` as an operator runs it, the real binary, on SQLite and
//! on a new PostgreSQL database: killed with SIGKILL half-way it leaves
//! nothing visible and the next import of the same file works; a file
//! refused for a bad row leaves the database exactly as it was; and while
//! an import runs, `zhengshu serve` answers holders (log-in, terms, their
//! certificates, annotations) without a single server error.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zhengshu_domain::CertificateNumber;
use zhengshu_storage::{IdVault, Storage, StorageError, VaultKeys};
use zhengshu_storage_postgres::testing::FreshPg;
use zhengshu_testing::{Listening, spawn_listening};

/// The demo holder's ID number and name: the imported rows are theirs, so
/// that what a holder sees shows whether the import is visible.
const DEMO_ID: &str = "11010519491231002X";
const DEMO_NAME: &str = "张三";

const HEADER: &str = "certificate_number,name,id_type,id_number,qualification,issue_date";

fn row(i: u64) -> String {
    format!("IMP{i:09},{DEMO_NAME},resident_id,{DEMO_ID},licensed_pharmacist,2024-03-01\n")
}

fn vault() -> IdVault {
    IdVault::new(&VaultKeys {
        encryption: [1; 32],
        index: [2; 32],
    })
}

fn zhengshu(data_dir: &Path, db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["--db", db])
        .env_remove("ZHENGSHU_DB");
    cmd
}

/// `zhengshu demo` on `db`: the reference data and the demo holders.
fn seed(data_dir: &Path, db: &str) {
    let out = zhengshu(data_dir, db)
        .arg("demo")
        .output()
        .expect("run demo");
    assert!(out.status.success(), "{out:?}");
}

/// An import reading standard input, which the test writes.
fn import_from_stdin(data_dir: &Path, db: &str) -> Child {
    zhengshu(data_dir, db)
        .args(["import", "--body", "pharmacist_center", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start import")
}

fn import_file(data_dir: &Path, db: &str, file: &Path) -> std::process::Output {
    zhengshu(data_dir, db)
        .args(["import", "--body", "pharmacist_center"])
        .arg(file)
        .output()
        .expect("run import")
}

/// Whether certificate `number` is visible (the test's vault is not the
/// data directory's, so a visible row fails to decrypt, a hidden one is
/// not found).
async fn visible(s: &dyn Storage, number: &str) -> bool {
    let number = CertificateNumber::parse(number).unwrap();
    !matches!(
        s.certificate_by_number(&number).await,
        Err(StorageError::NotFound)
    )
}

/// Waits until the database holds (unpublished) row `number`.
async fn wait_for_staged(s: &dyn Storage, number: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !s.dump().await.unwrap().contains(number) {
        assert!(Instant::now() < deadline, "{number} never written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn killed_import_leaves_nothing(s: &dyn Storage, data_dir: &Path, db: &str) {
    seed(data_dir, db);
    let count = s.count_certificates().await.unwrap();

    let mut child = import_from_stdin(data_dir, db);
    let mut stdin = child.stdin.take().unwrap();
    let mut text = format!("{HEADER}\n");
    (1..=5000).for_each(|i| text.push_str(&row(i)));
    stdin.write_all(text.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Some batches are written, the file is not finished: kill -9.
    wait_for_staged(s, "IMP000003000").await;
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);

    assert_eq!(s.count_certificates().await.unwrap(), count);
    assert!(!visible(s, "IMP000000001").await);

    // The same file again, whole: all of it, once.
    (5001..=6000).for_each(|i| text.push_str(&row(i)));
    let file = data_dir.join("again.csv");
    std::fs::write(&file, &text).unwrap();
    let out = import_file(data_dir, db, &file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {out:?}");
    assert!(
        stdout.contains("imported: 6000 rows read, 6000 inserted"),
        "{stdout}"
    );
    assert_eq!(s.count_certificates().await.unwrap(), count + 6000);
    assert!(visible(s, "IMP000000001").await);
    // The killed import's batch and rows are gone, not merely hidden.
    let dump = s.dump().await.unwrap();
    assert!(!dump.contains("staging") && !dump.contains("abandoned"));
    assert_eq!(dump.matches("IMP000000001").count(), 1);
}

async fn refused_import_leaves_the_database_as_it_was(s: &dyn Storage, data_dir: &Path, db: &str) {
    seed(data_dir, db);
    let before = s.dump().await.unwrap();
    // 4,000 good rows (written in batches) and a bad one at the end.
    let mut text = format!("{HEADER}\n");
    (1..=4000).for_each(|i| text.push_str(&row(i)));
    text.push_str(
        "IMP999999999,张三,resident_id,110105194912310021,licensed_pharmacist,2024-03-01\n",
    );
    let file = data_dir.join("bad.csv");
    std::fs::write(&file, &text).unwrap();
    let out = import_file(data_dir, db, &file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("line 4002"), "{stdout}");
    assert_eq!(s.dump().await.unwrap(), before);
}

/// One HTTP/1.1 request: status and body.
fn request(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap();
    (status, body)
}

fn log_in(port: u16) -> String {
    let (status, body) = request(
        port,
        "POST",
        "/api/v1/sessions",
        None,
        r#"{"username":"demo","password":"Demo-2024-zhengshu"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

fn certificates(port: u16, token: &str) -> Vec<serde_json::Value> {
    let (status, body) = request(port, "GET", "/api/v1/me/certificates", Some(token), "");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn serve(data_dir: &Path, db: &str) -> Listening {
    let mut cmd = zhengshu(data_dir, db);
    cmd.args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "info");
    spawn_listening(&mut cmd, "listening on http://")
}

async fn holders_are_answered_during_an_import(data_dir: &Path, db: &str) {
    let served = serve(data_dir, db);
    let port = served.addr.port();
    let token = log_in(port);
    let (status, body) = request(port, "POST", "/api/v1/terms/accept", Some(&token), "");
    assert_eq!(status, 204, "{body}");
    let seen = certificates(port, &token).len();
    let target = certificates(port, &token)
        .into_iter()
        .find(|c| c["needs_annotation"] == true && c["status"] == "valid")
        .expect("a certificate that needs annotation");
    let apply = format!("/api/v1/me/certificates/{}/annotations", target["id"]);

    let mut child = import_from_stdin(data_dir, db);
    let mut stdin = child.stdin.take().unwrap();
    // The rows go in while holders use the service.
    let writer = std::thread::spawn(move || {
        stdin.write_all(format!("{HEADER}\n").as_bytes()).unwrap();
        for chunk in 0..20 {
            let text: String = (1..=1000).map(|i| row(chunk * 1000 + i)).collect();
            stdin.write_all(text.as_bytes()).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
        // Still open: the import cannot finish before the test closes it.
        stdin
    });
    let mut statuses = Vec::new();
    let mut rounds = 0;
    while !writer.is_finished() || rounds < 5 {
        rounds += 1;
        let (status, body) = request(port, "GET", "/api/v1/me/certificates", Some(&token), "");
        assert!(status < 500, "{status} {body}");
        let listed: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(listed.len(), seen, "an unpublished import is visible");
        let (status, body) = request(
            port,
            "POST",
            &apply,
            Some(&token),
            r#"{"scenario":"self_use","days":30}"#,
        );
        assert!(status < 500, "{status} {body}");
        statuses.push(status);
        if rounds % 5 == 0 {
            log_in(port);
        }
    }
    drop(writer.join().unwrap());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {out:?}");
    assert!(
        stdout.contains("imported: 20000 rows read, 20000 inserted"),
        "{stdout}"
    );
    // Three annotations, then the limit: each answered, none failed.
    assert!(
        statuses.iter().all(|s| matches!(s, 202 | 409)),
        "{statuses:?}"
    );
    // The server keeps holders' lists in memory: on PostgreSQL it hears
    // the import's announcement, on SQLite an entry lives a second at
    // most. A hang guard, not a timing assertion.
    zhengshu_testing::wait_for("the published import in the holder's list", 30, || {
        certificates(port, &token).len() == seen + 20_000
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

async fn sqlite(dir: &Path) -> (zhengshu_storage_sqlite::SqliteStore, String) {
    let url = format!("sqlite://{}", dir.join("zhengshu.db").display());
    let store = zhengshu_storage_sqlite::SqliteStore::connect(&url, vault())
        .await
        .unwrap();
    (store, url)
}

#[test]
fn sqlite_killed_import_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let (s, url) = sqlite(dir.path()).await;
        killed_import_leaves_nothing(&s, dir.path(), &url).await;
    });
}

#[test]
fn postgres_killed_import_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let db = FreshPg::empty(vault()).await;
        killed_import_leaves_nothing(&db.store, dir.path(), &db.url).await;
    });
}

#[test]
fn sqlite_refused_import_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let (s, url) = sqlite(dir.path()).await;
        refused_import_leaves_the_database_as_it_was(&s, dir.path(), &url).await;
    });
}

#[test]
fn postgres_refused_import_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let db = FreshPg::empty(vault()).await;
        refused_import_leaves_the_database_as_it_was(&db.store, dir.path(), &db.url).await;
    });
}

#[test]
fn sqlite_holders_are_answered_during_an_import() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let url = format!("sqlite://{}", dir.path().join("zhengshu.db").display());
        holders_are_answered_during_an_import(dir.path(), &url).await;
    });
}

#[test]
fn postgres_holders_are_answered_during_an_import() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let db = FreshPg::empty(vault()).await;
        holders_are_answered_during_an_import(dir.path(), &db.url).await;
    });
}
