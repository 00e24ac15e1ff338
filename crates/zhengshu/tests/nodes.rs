//! Processes on one PostgreSQL database work as one service.
//!
//! - A job applied for on a `serve` (with no workers of its own) is
//!   announced (`LISTEN/NOTIFY`) to a separate `zhengshu worker` whose
//!   polling is set to ten minutes, so only the announcement can have
//!   woken it.
//! - Two `serve` and two `worker` processes, each node with its own data
//!   directory holding the first node's secrets and keys: 200 applications
//!   at once through both servers, 50 of them for one certificate; one
//!   worker and one server are killed (SIGKILL) mid-run. The certificate
//!   gets exactly 3 annotations; every annotation on record, answered or
//!   not, becomes ready exactly once, with one document, made by a worker
//!   process.
//!
//! Waits are hang guards, not timing assertions.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};

use serde_json::{Value, json};
use zhengshu_storage::{IdVault, Storage, VaultKeys};
use zhengshu_storage_postgres::testing::FreshPg;
use zhengshu_testing::{http, spawn_listening, wait_for};

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn zhengshu(data_dir: &Path, db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["--db", db])
        .env_remove("ZHENGSHU_DB")
        .env("ZHENGSHU_WORKER__POLL_MS", "600000");
    cmd
}

fn json_of(port: u16, method: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let auth = token.map(|t| format!("Authorization: Bearer {t}"));
    let headers: Vec<&str> = auth.iter().map(String::as_str).collect();
    let body = (!body.is_null()).then(|| body.to_string());
    let (status, bytes) =
        http(port, method, path, &headers, body.as_deref()).expect("server answers");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// `text` without its terminal colour codes (`ESC [ … m`).
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_process_is_woken_by_an_application_on_another_process() {
    let db = FreshPg::empty(IdVault::new(&VaultKeys {
        encryption: [5; 32],
        index: [6; 32],
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_listening(
        zhengshu(&data, &db.url)
            .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
            .env("ZHENGSHU_WORKER__IN_SERVE", "0")
            .env("RUST_LOG", "info"),
        "listening on http://",
    );
    let port = server.addr.port();
    wait_for("serve answers", 60, || {
        http(port, "GET", "/healthz", &[], None).is_some()
    });
    let log = dir.path().join("worker.log");
    let worker = Proc(
        zhengshu(&data, &db.url)
            .args(["worker", "--concurrency", "1"])
            .env("ZHENGSHU_LOG__FILTER", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start zhengshu worker"),
    );
    wait_for("the worker listens", 60, || {
        std::fs::read_to_string(&log)
            .is_ok_and(|l| l.contains("woken by the database's job announcements"))
    });

    let (status, t) = json_of(
        port,
        "POST",
        "/api/v1/sessions",
        None,
        json!({"username": "demo", "password": "Demo-2024-zhengshu"}),
    );
    assert_eq!(status, 200, "{t}");
    let token = t["token"].as_str().unwrap().to_owned();
    json_of(
        port,
        "POST",
        "/api/v1/terms/accept",
        Some(&token),
        Value::Null,
    );
    let (_, list) = json_of(
        port,
        "GET",
        "/api/v1/me/certificates",
        Some(&token),
        Value::Null,
    );
    let cert = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == "ZY20230315001")
        .expect("the demo pharmacist certificate")["id"]
        .as_i64()
        .unwrap();
    let (status, a) = json_of(
        port,
        "POST",
        &format!("/api/v1/me/certificates/{cert}/annotations"),
        Some(&token),
        json!({"scenario": "self_use", "days": 30}),
    );
    assert_eq!(status, 202, "{a}");
    let id = a["id"].as_i64().unwrap();
    wait_for("the worker process generates it", 60, || {
        let (_, a) = json_of(
            port,
            "GET",
            &format!("/api/v1/me/annotations/{id}"),
            Some(&token),
            Value::Null,
        );
        a["state"] == "ready"
    });
    let text = without_colours(&std::fs::read_to_string(&log).unwrap());
    assert!(
        text.contains(&format!("annotation_id={id}")) && text.contains("annotation ready"),
        "generated by the worker process: {text}"
    );
    drop(worker);
    drop(server);
}

/// The `i`-th holder of the run: name, resident ID number, username,
/// certificate number, 管理号.
fn person(i: usize) -> (String, String, String, String, String) {
    const SURNAMES: &[&str] = &["王", "李", "赵", "刘", "陈"];
    const GIVEN: &[&str] = &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋"];
    let name = format!(
        "{}{}{}",
        SURNAMES[i % 5],
        GIVEN[(i / 5) % 10],
        GIVEN[i % 10]
    );
    let first17 = format!("3201021980{:02}{:02}{:03}", 1 + i % 12, 1 + i % 28, 100 + i);
    let check = zhengshu_domain::resident_check_digit(&first17).expect("17 digits");
    (
        name,
        format!("{first17}{check}"),
        format!("node{i:03}"),
        format!("NODE-{i:06}"),
        format!("NODEM{i:06}"),
    )
}

const PASSWORD: &str = "Nodes-2024-zhengshu";

/// A holder's set-up through `port`, from client address `client`:
/// registers, logs in, agrees, proves by 管理号; the token and the
/// certificate's id.
fn set_up(port: u16, i: usize) -> (String, i64) {
    let (name, id_number, username, number, management) = person(i);
    let client = format!("X-Forwarded-For: 10.9.{}.{}", i / 250, i % 250 + 1);
    let call = |method: &str, path: &str, token: Option<&str>, body: Value| {
        let auth = token.map(|t| format!("Authorization: Bearer {t}"));
        let mut headers = vec![client.as_str()];
        headers.extend(auth.as_deref());
        let body = (!body.is_null()).then(|| body.to_string());
        let (status, bytes) =
            http(port, method, path, &headers, body.as_deref()).expect("server answers");
        (
            status,
            serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
        )
    };
    let (status, r) = call(
        "POST",
        "/api/v1/holders",
        None,
        json!({"name": name, "id_type": "resident_id", "id_number": id_number,
               "username": username, "password": PASSWORD}),
    );
    assert_eq!(status, 201, "{r}");
    let (status, t) = call(
        "POST",
        "/api/v1/sessions",
        None,
        json!({"username": username, "password": PASSWORD}),
    );
    assert_eq!(status, 200, "{t}");
    let token = t["token"].as_str().unwrap().to_owned();
    let (status, _) = call("POST", "/api/v1/terms/accept", Some(&token), Value::Null);
    assert_eq!(status, 204);
    let (status, p) = call(
        "POST",
        "/api/v1/me/identity/management-number",
        Some(&token),
        json!({"management_number": management}),
    );
    assert_eq!(status, 200, "{p}");
    let (status, list) = call("GET", "/api/v1/me/certificates", Some(&token), Value::Null);
    assert_eq!(status, 200, "{list}");
    let cert = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == number.as_str())
        .expect("the holder's certificate")["id"]
        .as_i64()
        .unwrap();
    (token, cert)
}

fn copy_installation(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::copy(from.join("secrets.toml"), to.join("secrets.toml")).unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(from.join("keys"))
        .arg(to.join("keys"))
        .status()
        .unwrap();
    assert!(copied.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_and_two_workers_hold_the_limit_and_lose_nothing_when_killed() {
    const HOLDERS: usize = 50;
    let db = FreshPg::empty(IdVault::new(&VaultKeys {
        encryption: [5; 32],
        index: [6; 32],
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let node = |data: &Path| {
        let mut cmd = zhengshu(data, &db.url);
        cmd.env("ZHENGSHU_WORKER__IN_SERVE", "0")
            .env("ZHENGSHU_WORKER__LEASE_SECS", "2")
            .env("ZHENGSHU_WEB__TRUST_FORWARDED_FOR", "true")
            .env("RUST_LOG", "info");
        cmd
    };
    let serve_a = spawn_listening(
        node(&a).args(["serve", "--demo", "--addr", "127.0.0.1:0"]),
        "listening on http://",
    );
    // The second node gets the first one's secrets and keys.
    copy_installation(&a, &b);
    let mut csv = String::from(
        "certificate_number,name,id_type,id_number,qualification,issue_date,management_number\n",
    );
    for i in 0..HOLDERS {
        let (name, id, _, number, m) = person(i);
        csv.push_str(&format!(
            "{number},{name},resident_id,{id},licensed_pharmacist,2024-03-01,{m}\n"
        ));
    }
    let file = dir.path().join("holders.csv");
    std::fs::write(&file, csv).unwrap();
    let out = zhengshu(&b, &db.url)
        .args(["import", "--body", "pharmacist_center"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let serve_b = spawn_listening(
        node(&b).args(["serve", "--addr", "127.0.0.1:0"]),
        "listening on http://",
    );
    let ports = [serve_a.addr.port(), serve_b.addr.port()];
    for p in ports {
        wait_for("serve answers", 60, || {
            http(p, "GET", "/healthz", &[], None).is_some()
        });
    }
    let logs = [
        dir.path().join("worker-a.log"),
        dir.path().join("worker-b.log"),
    ];
    let mut workers: Vec<Option<Proc>> = [(&a, &logs[0]), (&b, &logs[1])]
        .iter()
        .map(|(data, log)| {
            Some(Proc(
                node(data)
                    .env("ZHENGSHU_WORKER__POLL_MS", "200")
                    .env("ZHENGSHU_LOG__FILTER", "info")
                    .args(["worker", "--concurrency", "2"])
                    .stdout(Stdio::null())
                    .stderr(std::fs::File::create(log).unwrap())
                    .spawn()
                    .expect("start zhengshu worker"),
            ))
        })
        .collect();

    // Set-up, not timed: the holders through both servers, the demo holder.
    let holders: Vec<(String, i64)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..HOLDERS)
            .map(|i| s.spawn(move || set_up(ports[i % 2], i)))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let (status, t) = json_of(
        ports[0],
        "POST",
        "/api/v1/sessions",
        None,
        json!({"username": "demo", "password": "Demo-2024-zhengshu"}),
    );
    assert_eq!(status, 200, "{t}");
    let demo = t["token"].as_str().unwrap().to_owned();
    json_of(
        ports[0],
        "POST",
        "/api/v1/terms/accept",
        Some(&demo),
        Value::Null,
    );
    let (_, list) = json_of(
        ports[0],
        "GET",
        "/api/v1/me/certificates",
        Some(&demo),
        Value::Null,
    );
    let contested = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == "ZY20230315001")
        .expect("the demo pharmacist certificate")["id"]
        .as_i64()
        .unwrap();

    // 200 applications at once: 50 for one certificate, 3 for each of the
    // 50 holders' own; alternately through both servers.
    let mut jobs: Vec<(String, i64)> = vec![(demo.clone(), contested); 50];
    for h in &holders {
        jobs.extend(std::iter::repeat_n(h.clone(), 3));
    }
    let barrier = Arc::new(Barrier::new(jobs.len() + 1));
    let answers = std::thread::scope(|s| {
        let threads: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(k, (token, cert))| {
                let barrier = barrier.clone();
                s.spawn(move || {
                    barrier.wait();
                    let auth = format!("Authorization: Bearer {token}");
                    let body = json!({"scenario": "self_use", "days": 30}).to_string();
                    http(
                        ports[k % 2],
                        "POST",
                        &format!("/api/v1/me/certificates/{cert}/annotations"),
                        &[&auth],
                        Some(&body),
                    )
                    .map(|(status, _)| status)
                })
            })
            .collect();
        barrier.wait();
        // Mid-run: once the first documents are being made, one worker
        // and one server die.
        wait_for("a worker generates", 120, || {
            std::fs::read_to_string(&logs[0]).is_ok_and(|l| l.contains("generating annotation"))
        });
        workers[0] = None;
        drop(serve_b);
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    let accepted = answers.iter().filter(|a| **a == Some(202)).count();
    eprintln!(
        "applications: {accepted} accepted, {} refused, {} unanswered (server killed)",
        answers.iter().filter(|a| **a == Some(409)).count(),
        answers.iter().filter(|a| a.is_none()).count()
    );
    assert!(accepted > 0, "{answers:?}");
    for a in &answers {
        assert!(
            matches!(a, Some(202 | 409) | None),
            "an application answered {a:?}"
        );
    }

    // Everything on record becomes ready, once, through the survivors.
    let store = &db.store;
    let certificates: Vec<i64> = std::iter::once(contested)
        .chain(holders.iter().map(|h| h.1))
        .collect();
    let mut on_record = Vec::new();
    for c in &certificates {
        on_record.extend(store.annotations_of(*c).await.unwrap());
    }
    let contested_count = on_record
        .iter()
        .filter(|a| a.certificate_id == contested)
        .count();
    assert_eq!(contested_count, 3, "the limit held across the servers");
    assert!(
        on_record.len() >= accepted,
        "every accepted application is on record"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let mut waiting = 0;
        for a in &on_record {
            let now = store.annotation(a.id).await.unwrap();
            assert_ne!(now.stored_state.code(), "failed", "annotation {}", a.id);
            if now.stored_state.code() != "ready" {
                waiting += 1;
            }
        }
        if waiting == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{waiting} annotations not ready after 180 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(store.pending_jobs().await.unwrap(), 0);
    let dump = store.dump().await.unwrap();
    let documents = dump
        .split("== ")
        .find(|t| t.starts_with("annotation_documents"))
        .expect("the documents table")
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(documents, on_record.len(), "one document each");
    for a in &on_record {
        let pdf = store.annotation_document(a.id).await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "annotation {}", a.id);
    }
    drop(workers);
    drop(serve_a);
}
