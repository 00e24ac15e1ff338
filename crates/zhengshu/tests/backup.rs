//! `zhengshu backup`, `restore` and `check` as an operator runs them, on
//! SQLite and on PostgreSQL: the demo holder's annotation is made; a
//! backup is taken while verifiers keep checking it (each check is a row
//! written); the backup restores into a fresh data directory (and a new
//! database) where the demo holder logs in and downloads the same
//! document; the restored database equals the source at the backup point
//! — every table the same, the verifications written during the backup a
//! prefix of the source's. A damaged backup, a data directory in use and
//! a node with other keys are refused.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::Value;
use zhengshu_storage::{IdVault, Storage, VaultKeys};
use zhengshu_storage_postgres::testing::FreshPg;
use zhengshu_testing::{Listening, api, http, spawn_listening, wait_for};

fn zhengshu(data_dir: &Path, db: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env_remove("ZHENGSHU_DB");
    if let Some(db) = db {
        cmd.args(["--db", db]);
    }
    cmd
}

/// Runs a command to its end (killed after two minutes: a hang guard):
/// its exit code and everything it printed.
fn run(cmd: &mut Command) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = cmd
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("zhengshu runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{cmd:?} still running after 120 s: {}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let text = format!(
        "{}{}",
        std::fs::read_to_string(&out).unwrap_or_default(),
        std::fs::read_to_string(&err).unwrap_or_default()
    );
    (status.code().unwrap_or(-1), text)
}

fn serve(data_dir: &Path, db: Option<&str>) -> Listening {
    let served = spawn_listening(
        zhengshu(data_dir, db)
            .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
            .env("RUST_LOG", "info"),
        "listening on http://",
    );
    let port = served.addr.port();
    wait_for("serve answers", 60, || {
        http(port, "GET", "/healthz", &[], None).is_some()
    });
    served
}

fn document(port: u16, token: &str, id: i64) -> (u16, Vec<u8>) {
    http(
        port,
        "GET",
        &format!("/api/v1/me/annotations/{id}/document"),
        &[&format!("Authorization: Bearer {token}")],
        None,
    )
    .expect("server answers")
}

/// The demo holder's ready annotation: its id, 查验码 and document.
fn annotate(port: u16) -> (i64, String, Vec<u8>) {
    let token = api::demo_session(port);
    let cert = api::certificate_id(port, &token, api::DEMO_CERTIFICATE);
    let (status, a) = api::apply(port, &token, cert);
    assert_eq!(status, 202, "{a}");
    let id = a["id"].as_i64().unwrap();
    let mut code = String::new();
    wait_for("the annotation is ready", 120, || {
        let a = api::annotation(port, &token, id);
        code = a["verification_code"].as_str().unwrap_or("").to_owned();
        a["state"] == "ready"
    });
    let (status, pdf) = document(port, &token, id);
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF-"));
    (id, code, pdf)
}

/// Verifiers checking `code` over and over until `stop`; counts checks.
fn verifiers(
    port: u16,
    code: &str,
    stop: &Arc<AtomicBool>,
) -> (Vec<std::thread::JoinHandle<()>>, Arc<AtomicU64>) {
    let checks = Arc::new(AtomicU64::new(0));
    let threads = (0..2)
        .map(|_| {
            let (stop, checks, path) = (
                stop.clone(),
                checks.clone(),
                format!("/api/v1/verify/{code}"),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (status, body) = http(port, "GET", &path, &[], None).expect("answers");
                    assert!(
                        status == 200 || status == 429,
                        "{status} {}",
                        String::from_utf8_lossy(&body)
                    );
                    checks.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    (threads, checks)
}

async fn dump(url: &str) -> String {
    let vault = IdVault::new(&VaultKeys {
        encryption: [0; 32],
        index: [0; 32],
    });
    if url.starts_with("sqlite:") {
        zhengshu_storage_sqlite::SqliteStore::connect(url, vault)
            .await
            .unwrap()
            .dump()
            .await
            .unwrap()
    } else {
        zhengshu_storage_postgres::PgStore::connect(url, vault)
            .await
            .unwrap()
            .dump()
            .await
            .unwrap()
    }
}

/// The rows of a dump's verifications table.
fn verifications(dump: &str) -> usize {
    tables(dump)
        .iter()
        .find(|(name, _)| name.split(' ').next() == Some("verifications"))
        .map_or(0, |(_, rows)| rows.len())
}

/// A dump's tables: name (with columns) → rows.
fn tables(dump: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in dump.lines() {
        match line.strip_prefix("== ") {
            Some(name) => out.push((name.to_owned(), Vec::new())),
            None => out
                .last_mut()
                .expect("a table first")
                .1
                .push(line.to_owned()),
        }
    }
    out
}

/// The restored database is the source at the backup point: the same
/// tables, each with the same rows, except that the verifications the
/// load wrote after the snapshot are missing.
fn assert_source_at_backup_point(source: &str, restored: &str) {
    let (source, restored) = (tables(source), tables(restored));
    assert_eq!(
        source.iter().map(|t| &t.0).collect::<Vec<_>>(),
        restored.iter().map(|t| &t.0).collect::<Vec<_>>(),
        "the same tables"
    );
    let mut verified = false;
    for ((name, rows), (_, back)) in source.iter().zip(&restored) {
        if name.split(' ').next() == Some("verifications") {
            // Written after the snapshot: in the source only.
            let source_rows: std::collections::HashSet<&String> = rows.iter().collect();
            assert!(back.len() <= rows.len(), "{name}");
            assert!(back.iter().all(|r| source_rows.contains(r)), "{name}");
            verified = !back.is_empty();
        } else {
            assert_eq!(rows, back, "{name}");
        }
    }
    assert!(
        verified,
        "verifications written before the snapshot are in it: {:?}",
        source
            .iter()
            .zip(&restored)
            .map(|((n, r), (_, b))| (n.split(' ').next().unwrap_or(""), r.len(), b.len()))
            .collect::<Vec<_>>()
    );
}

async fn round_trip(source_db: Option<&str>, target_db: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let (data, copy, restored) = (
        dir.path().join("data"),
        dir.path().join("backup"),
        dir.path().join("restored"),
    );
    let served = serve(&data, source_db);
    let port = served.addr.port();
    let (id, code, pdf) = annotate(port);

    // The backup is taken while verifiers write rows.
    let stop = Arc::new(AtomicBool::new(false));
    let (threads, checks) = verifiers(port, &code, &stop);
    wait_for("the load runs", 60, || checks.load(Ordering::Relaxed) > 50);
    // Some of its checks are written before the backup begins (the
    // recorder writes in batches, in the background).
    let source_url = source_db.map_or_else(
        || format!("sqlite://{}", data.join("zhengshu.db").display()),
        str::to_owned,
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while verifications(&dump(&source_url).await) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no verification written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (code_, out) = run(zhengshu(&data, source_db).arg("backup").arg(&copy));
    assert_eq!(code_, 0, "{out}");
    wait_for("the load goes on after the backup", 60, || {
        checks.load(Ordering::Relaxed) > 300
    });
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    drop(served);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(copy.join("backup.json")).unwrap()).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for needed in ["secrets.toml", "keys/ca.pem", "audit-head.json"] {
        assert!(files.contains(&needed), "{needed} in {files:?}");
    }

    // Into a data directory in use: refused, nothing touched.
    let (status, out) = run(zhengshu(&data, source_db).arg("restore").arg(&copy));
    assert_eq!(status, 2, "{out}");
    assert!(out.contains("not empty"), "{out}");

    let (status, out) = run(zhengshu(&restored, target_db).arg("restore").arg(&copy));
    assert_eq!(status, 0, "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    assert!(out.contains("ok   audit chain: intact"), "{out}");
    let (status, out) = run(zhengshu(&restored, target_db).arg("check"));
    assert_eq!(status, 0, "{out}");

    let target_url = target_db.map_or_else(
        || format!("sqlite://{}", restored.join("zhengshu.db").display()),
        str::to_owned,
    );
    assert_source_at_backup_point(&dump(&source_url).await, &dump(&target_url).await);

    // The demo holder downloads the same document from the restored node.
    let served = serve(&restored, target_db);
    let port = served.addr.port();
    let token = api::demo_session(port);
    let (status, again) = document(port, &token, id);
    assert_eq!(status, 200);
    assert_eq!(again, pdf, "the same signed document");
    drop(served);

    // A damaged backup is refused before anything is written.
    let ca = copy.join("keys/ca.pem");
    let mut bytes = std::fs::read(&ca).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&ca, bytes).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    let (status, out) = run(zhengshu(&elsewhere, None).arg("restore").arg(&copy));
    assert_eq!(status, 1, "{out}");
    assert!(out.contains("damaged: keys/ca.pem"), "{out}");
    assert!(!elsewhere.join("secrets.toml").exists());
}

fn vault() -> IdVault {
    IdVault::new(&VaultKeys {
        encryption: [3; 32],
        index: [4; 32],
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_backup_under_load_restores_the_snapshot() {
    round_trip(None, None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_backup_under_load_restores_the_snapshot() {
    let source = FreshPg::empty(vault()).await;
    let target = FreshPg::empty(vault()).await;
    round_trip(Some(&source.url), Some(&target.url)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_with_other_keys_refuses_to_start_and_check_names_them() {
    let db = FreshPg::empty(vault()).await;
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    let served = serve(&first, Some(&db.url));
    drop(served);
    // A second node with a data directory of its own makes other keys.
    let (status, out) =
        run(zhengshu(&second, Some(&db.url)).args(["serve", "--addr", "127.0.0.1:0"]));
    assert_eq!(status, 2, "{out}");
    assert!(out.contains("other keys"), "{out}");
    assert!(out.contains("vault_encryption_key"), "{out}");
    let (status, out) = run(zhengshu(&second, Some(&db.url)).arg("check"));
    assert_eq!(status, 1, "{out}");
    assert!(
        out.contains("FAIL key vault_encryption_key: NOT the one"),
        "{out}"
    );
    // With the first node's secrets and keys it starts.
    std::fs::remove_dir_all(&second).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    std::fs::copy(first.join("secrets.toml"), second.join("secrets.toml")).unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(first.join("keys"))
        .arg(second.join("keys"))
        .status()
        .unwrap();
    assert!(copied.success());
    let (status, out) = run(zhengshu(&second, Some(&db.url)).arg("check"));
    assert_eq!(status, 0, "{out}");
    let served = serve(&second, Some(&db.url));
    drop(served);
}
