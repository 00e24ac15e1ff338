//! `zhengshu serve` as an operator runs it: the real binary on a port the
//! system picks,
//! on SQLite (the default) and on a new PostgreSQL database, answering the
//! health checks and the demo API, and stopping cleanly on SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use zhengshu_storage::{IdVault, VaultKeys};
use zhengshu_storage_postgres::testing::FreshPg;
use zhengshu_testing::{Listening, spawn_listening};

/// A running `zhengshu serve` on a port it was given by the system; killed
/// if the test fails half-way.
fn serve(data_dir: &Path, db: Option<&str>) -> Listening {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
    cmd.arg("--data-dir").arg(data_dir);
    if let Some(db) = db {
        cmd.args(["--db", db]);
    }
    cmd.args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env_remove("ZHENGSHU_DB")
        // The address is read from the log line that announces it.
        .env("RUST_LOG", "info");
    let served = spawn_listening(&mut cmd, "listening on http://");
    let port = served.addr.port();
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(port, "/healthz").is_none() {
        assert!(
            Instant::now() < deadline,
            "serve did not answer within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    served
}

/// A plain HTTP/1.1 GET: status code and body, or None when nothing listens.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

fn check_and_stop(mut served: Listening, data_dir: &Path) {
    let port = served.addr.port();
    // The first start made the seal keys and publishes their root.
    let (status, body) = get(port, "/.well-known/zhengshu/ca.pem").unwrap();
    assert_eq!(status, 200, "{body}");
    let ca = std::fs::read_to_string(data_dir.join("keys/ca.pem")).expect("keys made");
    assert_eq!(body, ca);
    assert!(body.starts_with("-----BEGIN CERTIFICATE-----"), "{body}");
    let (status, body) = get(port, "/healthz").unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(port, "/readyz").unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(port, "/api/v1/demo").unwrap();
    assert_eq!(status, 200, "{body}");
    for promised in [
        "ZY20230315001",
        "JJ20191120007",
        "WS20220520013",
        "陈𠀾",
        "SYN-",
    ] {
        assert!(body.contains(promised), "{promised} missing from {body}");
    }
    let pid = served.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    assert!(get(port, "/healthz").is_none(), "still listening");
}

/// The mode bits of a path.
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_data_directory_and_its_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let served = serve(&data, None);
    let (status, _) = get(served.addr.port(), "/readyz").unwrap();
    assert_eq!(status, 200);
    assert_eq!(mode(&data), 0o700, "data directory");
    for f in [
        "zhengshu.db",
        "zhengshu.db-wal",
        "zhengshu.db-shm",
        "secrets.toml",
    ] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    check_and_stop(served, &data);
    // An existing directory and database left readable by others are made
    // private at the next start.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = data.join("zhengshu.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let served = serve(&data, None);
    assert_eq!(mode(&data), 0o700, "data directory, second start");
    assert_eq!(mode(&db), 0o600, "database, second start");
    check_and_stop(served, &data);
}

#[test]
fn serves_on_the_embedded_sqlite_default() {
    let dir = tempfile::tempdir().unwrap();
    check_and_stop(serve(dir.path(), None), dir.path());
    assert!(dir.path().join("zhengshu.db").exists());
    assert!(dir.path().join("secrets.toml").exists());
}

#[test]
fn migrates_and_serves_a_new_postgresql_database() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let vault = IdVault::new(&VaultKeys {
        encryption: [1; 32],
        index: [2; 32],
    });
    let db = runtime.block_on(FreshPg::empty(vault));
    let dir = tempfile::tempdir().unwrap();
    check_and_stop(serve(dir.path(), Some(&db.url)), dir.path());
    drop(db);
}
