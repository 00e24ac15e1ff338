//! The annotation queue survives a crash: a `zhengshu worker` process is
//! killed with SIGKILL in the middle of a generation (after rendering,
//! before storing: held there by the test-only fault injection); after a
//! restart its lease runs out, another worker takes the job over, and the
//! annotation becomes ready exactly once, with exactly one document, on
//! SQLite and on PostgreSQL. The holder side goes through `zhengshu serve`'s
//! API, with no workers inside the server.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use zhengshu_storage::{IdVault, Storage, VaultKeys};
use zhengshu_storage_postgres::testing::FreshPg;
use zhengshu_testing::api::{self, Proc};
use zhengshu_testing::{http, spawn_listening, wait_for};

fn zhengshu(data_dir: &Path, db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["--db", db])
        .env_remove("ZHENGSHU_DB")
        .env("ZHENGSHU_WORKER__LEASE_SECS", "2")
        .env("ZHENGSHU_WORKER__POLL_MS", "100");
    cmd
}

/// Starts `zhengshu worker`, its log in `log`.
fn worker(data_dir: &Path, db: &str, log: &Path, delay_ms: Option<u64>) -> Proc {
    let mut cmd = zhengshu(data_dir, db);
    cmd.args(["worker", "--concurrency", "1"])
        .env("ZHENGSHU_LOG__FILTER", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    match delay_ms {
        Some(ms) => cmd.env("ZHENGSHU_FAULT_GENERATION_DELAY_MS", ms.to_string()),
        None => cmd.env_remove("ZHENGSHU_FAULT_GENERATION_DELAY_MS"),
    };
    Proc(cmd.spawn().expect("start zhengshu worker"))
}

fn annotation_state(port: u16, token: &str, id: i64) -> String {
    api::annotation(port, token, id)["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn crash_and_recover(data_dir: &Path, db: &str, store: &dyn Storage) {
    let server = spawn_listening(
        zhengshu(data_dir, db)
            .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
            .env("ZHENGSHU_WORKER__IN_SERVE", "0")
            // The address is read from the log line that announces it.
            .env("RUST_LOG", "info"),
        "listening on http://",
    );
    let port = server.addr.port();
    wait_for("serve answers", 60, || {
        http(port, "GET", "/healthz", &[], None).is_some()
    });

    let token = api::demo_session(port);
    let cert = api::certificate_id(port, &token, api::DEMO_CERTIFICATE);
    let (status, a) = api::apply(port, &token, cert);
    assert_eq!(status, 202, "{a}");
    let id = a["id"].as_i64().unwrap();
    // No worker runs: it stays generating.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(annotation_state(port, &token, id), "generating");

    // A worker renders, then is killed while holding the result.
    let log_a = data_dir.join("worker-a.log");
    let mut a_proc = worker(data_dir, db, &log_a, Some(60_000));
    wait_for("worker A holds a rendered document", 60, || {
        std::fs::read_to_string(&log_a)
            .is_ok_and(|l| l.contains("fault injection: holding the generation"))
    });
    a_proc.0.kill().expect("SIGKILL");
    let killed = a_proc.0.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&killed),
        Some(9),
        "killed by SIGKILL"
    );
    assert_eq!(annotation_state(port, &token, id), "generating");
    let document = || {
        http(
            port,
            "GET",
            &format!("/api/v1/me/annotations/{id}/document"),
            &[&format!("Authorization: Bearer {token}")],
            None,
        )
        .unwrap()
    };
    let (status, _) = document();
    assert_eq!(status, 409, "no document yet");

    // After a restart the lease runs out and the job is taken over.
    let log_b = data_dir.join("worker-b.log");
    let mut b_proc = worker(data_dir, db, &log_b, None);
    wait_for("the annotation becomes ready", 60, || {
        annotation_state(port, &token, id) == "ready"
    });
    let pid = b_proc.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let stopped = b_proc.0.wait().unwrap();
    assert!(
        stopped.success(),
        "worker B stops cleanly on SIGTERM: {stopped:?}"
    );

    let (status, pdf) = document();
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    // Exactly one document, stored once, generated once, job gone.
    let dump = store.dump().await.unwrap();
    let documents = dump
        .split("== annotation_documents")
        .nth(1)
        .expect("documents table")
        .split("\n== ")
        .next()
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(documents, 1, "one document");
    assert_eq!(store.annotation_document(id).await.unwrap(), pdf);
    assert_eq!(store.pending_jobs().await.unwrap(), 0);
    let events = store
        .audit_events(Some(&format!("annotation:{id}")), 20)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "document.download",
            "annotation.generate",
            "annotation.apply"
        ]
    );
    let generated = events[1].after.as_deref().unwrap();
    assert!(
        generated.contains("\"attempt\":2"),
        "the second attempt made it: {generated}"
    );
    let log = std::fs::read_to_string(&log_b).unwrap();
    assert_eq!(log.matches("annotation ready").count(), 1, "{log}");

    // The command line renders the same annotation's document.
    let out = data_dir.join("annotated.pdf");
    let o = zhengshu(data_dir, db)
        .args([
            "render",
            "--certificate",
            "ZY20230315001",
            "--annotation",
            &id.to_string(),
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = Command::new("pdftotext")
        .arg(&out)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    let number = store.annotation(id).await.unwrap().number;
    assert!(text.contains(&number), "加注编号 {number} printed: {text}");
}

fn vault() -> IdVault {
    // Only `dump` and annotation reads are used; no ID number is opened.
    IdVault::new(&VaultKeys {
        encryption: [1; 32],
        index: [2; 32],
    })
}

#[test]
fn a_worker_killed_mid_generation_is_taken_over_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("zhengshu.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // Opening creates the file; the server migrates it.
        let store = zhengshu_storage_sqlite::SqliteStore::connect(&url, vault())
            .await
            .unwrap();
        crash_and_recover(dir.path(), &url, &store).await;
    });
}

#[test]
fn a_worker_killed_mid_generation_is_taken_over_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = FreshPg::empty(vault()).await;
        crash_and_recover(dir.path(), &db.url, &db.store).await;
    });
}
