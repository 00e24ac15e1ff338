//! `/metrics` as an operator's Prometheus sees it: `zhengshu serve` (the
//! real binary, no workers inside, so applications stay queued) serves
//! the metrics on its own private address and, for a bearer of the
//! configured token, on the service's address; a real Prometheus (Debian
//! package `prometheus`) on a port of its own scrapes the service's
//! address with that token; after a holder's requests and an annotation
//! application, its HTTP API answers a request counter and the queue gauge
//! that moved.

use std::path::Path;
use std::process::Command;

use serde_json::json;
use zhengshu_testing::{Listening, api, http, spawn_listening, spawn_listening_all, wait_for};

const TOKEN: &str = "scrape-token-0123456789abcdef";

fn text_of(port: u16, path: &str, headers: &[&str]) -> (u16, String) {
    let (status, bytes) = http(port, "GET", path, headers, None).expect("server answers");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// `zhengshu serve --demo` with metrics on a private address of its own
/// and behind the token on the service's; answers the process, its
/// address and the metrics address.
fn serve(data_dir: &Path) -> (Listening, u16, u16) {
    let (served, addrs) = spawn_listening_all(
        Command::new(env!("CARGO_BIN_EXE_zhengshu"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
            .env_remove("ZHENGSHU_DB")
            .env("ZHENGSHU_WORKER__IN_SERVE", "0")
            .env("ZHENGSHU_METRICS__ADDR", "127.0.0.1:0")
            .env("ZHENGSHU_METRICS__TOKEN", TOKEN)
            .env("RUST_LOG", "info"),
        &["listening on http://", "metrics on http://"],
    );
    let (port, metrics_port) = (addrs[0].port(), addrs[1].port());
    wait_for("serve answers", 60, || {
        http(port, "GET", "/healthz", &[], None).is_some()
    });
    (served, port, metrics_port)
}

/// A Prometheus on a port of its own scraping `target` every second with
/// the bearer token.
fn prometheus(dir: &Path, target: u16) -> Listening {
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n  - job_name: zhengshu\n    authorization:\n      \
             credentials: {TOKEN}\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
        ),
    )
    .unwrap();
    spawn_listening(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg("--web.listen-address=127.0.0.1:0"),
        "msg=\"Listening on\" address=",
    )
}

/// The value of `query`'s first sample in Prometheus, if any.
fn query(port: u16, query: &str) -> Option<f64> {
    let path = format!("/api/v1/query?query={}", percent_encode(query));
    let (status, v) = api::call(port, "GET", &path, None, None);
    assert_eq!(status, 200, "{v}");
    v["data"]["result"][0]["value"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn prometheus_scrapes_request_counts_and_the_queue_that_moved() {
    let dir = tempfile::tempdir().unwrap();
    let (_served, port, metrics_port) = serve(&dir.path().join("data"));

    // On the service's address only the token opens the metrics.
    let (status, body) = text_of(port, "/metrics", &[]);
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("zhengshu_"), "{body}");
    let (status, _) = text_of(port, "/metrics", &["Authorization: Bearer wrong-token"]);
    assert_eq!(status, 401);
    let bearer = format!("Authorization: Bearer {TOKEN}");
    let (status, body) = text_of(port, "/metrics", &[&bearer]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("zhengshu_http_requests_total{"), "{body}");
    // The private address needs none; it serves nothing else.
    let (status, body) = text_of(metrics_port, "/metrics", &[]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("# TYPE zhengshu_queue_depth gauge"), "{body}");
    let (status, _) = text_of(metrics_port, "/healthz", &[]);
    assert_eq!(status, 404);

    let prom_dir = dir.path().join("prometheus");
    std::fs::create_dir_all(&prom_dir).unwrap();
    let prom = prometheus(&prom_dir, port);
    let prom_port = prom.addr.port();
    wait_for("Prometheus is ready", 60, || {
        http(prom_port, "GET", "/-/ready", &[], None).is_some_and(|(status, _)| status == 200)
    });
    wait_for("Prometheus scrapes the service", 60, || {
        query(prom_port, "up{job=\"zhengshu\"}") == Some(1.0)
    });
    let queued = query(prom_port, "zhengshu_queue_depth").expect("queue gauge scraped");
    assert_eq!(queued, 0.0, "nothing applied yet");

    // A holder logs in (once wrongly), lists, applies: no worker runs, so
    // the job stays queued.
    let (status, _) = api::call(
        port,
        "POST",
        "/api/v1/sessions",
        None,
        Some(&json!({"username": "demo", "password": "wrong-password-1"})),
    );
    assert_eq!(status, 401);
    let token = api::demo_session(port);
    let cert = api::certificate_id(port, &token, api::DEMO_CERTIFICATE);
    let (status, a) = api::apply(port, &token, cert);
    assert_eq!(status, 202, "{a}");

    wait_for("the queue gauge moves in Prometheus", 60, || {
        query(prom_port, "zhengshu_queue_depth") == Some(1.0)
    });
    wait_for("the request counter moves in Prometheus", 60, || {
        query(
            prom_port,
            "sum(zhengshu_http_requests_total{route=\"/api/v1/me/certificates\",status=\"200\"})",
        ) == Some(1.0)
    });
    let refusals = query(
        prom_port,
        "zhengshu_login_refusals_total{account=\"holder\",reason=\"credentials\"}",
    );
    assert_eq!(refusals, Some(1.0));
    let accepted = query(
        prom_port,
        "zhengshu_annotation_applications_total{outcome=\"accepted\"}",
    );
    assert_eq!(accepted, Some(1.0));
    let oldest = query(prom_port, "zhengshu_queue_oldest_job_age_seconds").unwrap();
    assert!(oldest >= 0.0, "{oldest}");
    let pool = query(prom_port, "zhengshu_db_pool_connections{state=\"max\"}").unwrap();
    assert!(pool >= 1.0, "{pool}");
}
