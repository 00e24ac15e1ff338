//! The JSON API checked against its own OpenAPI document by a
//! property-based tester, Schemathesis (PyPI `schemathesis`, installed by
//! `scripts/test.sh`): a `zhengshu serve` of its own on SQLite with the demo
//! data, every operation of `/api/v1/openapi.json` called with generated
//! input (valid and invalid, then sequences along the document's links:
//! apply → the annotation → its document → withdrawal), as the demo holder
//! where a token is needed (`api_schema/hooks.py`). No answer may be a
//! server error, or carry a status, content type or body the document does
//! not describe. The server's throttles and rate limits are raised so the
//! cases reach the handlers instead of stopping at 429.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;
use zhengshu_testing::api::{DEMO, DEMO_CERTIFICATE};
use zhengshu_testing::spawn_listening;

/// The version `scripts/test.sh` installs.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// Cases per operation and phase (the stateful phase draws its own).
const MAX_EXAMPLES: &str = "40";

const CHECKS: &str = "not_a_server_error,status_code_conformance,\
    content_type_conformance,response_schema_conformance";

/// Limits high enough that no generated case is throttled.
const CONFIG: &str = "\
[verify]
per_address_per_minute = 1000000
global_per_second = 1000000

[throttle]
login_failures_per_account_client = 1000000
login_failures_per_account = 1000000
login_failures_per_client = 1000000
code_sends_per_account = 1000000
code_sends_per_client = 1000000
code_sends_global = 1000000
management_tries_per_account = 1000000
management_tries_per_client = 1000000
registrations_per_client = 1000000
registrations_global = 1000000

[annotation]
max_in_window = 60000

[worker]
in_serve = 1
";

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn zhengshu(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhengshu"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ZHENGSHU_DB")
        .output()
        .expect("run zhengshu")
}

fn schemathesis_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import schemathesis"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_api_answers_as_its_openapi_document_says() {
    assert!(
        schemathesis_installed(),
        "Schemathesis is missing: bash scripts/test.sh installs it, or \
         python3 -m pip install --user '{SCHEMATHESIS}'"
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("zhengshu.toml"), CONFIG).unwrap();
    let o = zhengshu(&data, &["demo"]);
    assert!(o.status.success(), "{}", text(&o));

    // A genuine document, whose edited copies the file check is given.
    let sample = dir.path().join("sample.pdf");
    let o = zhengshu(
        &data,
        &[
            "render",
            "--certificate",
            zhengshu_demo::ECONOMIST_NUMBER,
            "-o",
            sample.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
    cmd.arg("--data-dir")
        .arg(&data)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env_remove("ZHENGSHU_DB")
        .env("RUST_LOG", "info");
    let served = spawn_listening(&mut cmd, "listening on http://");
    let port = served.addr.port();
    let base = format!("http://{}", served.addr);
    // The demo holder agrees to the terms and sees the certificate the
    // stateful sequences start from.
    let token = zhengshu_testing::api::demo_session(port);
    zhengshu_testing::api::certificate_id(port, &token, DEMO_CERTIFICATE);

    let report = dir.path().join("report.json");
    let settings = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api_schema");
    let started = Instant::now();
    let o = Command::new("python3")
        .args(["-m", "schemathesis.cli", "--config-file"])
        .arg(settings.join("schemathesis.toml"))
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args([
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            MAX_EXAMPLES,
            "--workers",
            "2",
            "--seed",
            "20241",
            "--generation-database",
            "none",
            "--suppress-health-check",
            "all",
            "--request-timeout",
            "60",
            "--no-color",
            "--report",
            "json",
            "--report-json-path",
        ])
        .arg(&report)
        .current_dir(dir.path())
        .env("SCHEMATHESIS_HOOKS", settings.join("hooks.py"))
        .env("ZHENGSHU_API", &base)
        .env("ZHENGSHU_USER", DEMO.0)
        .env("ZHENGSHU_PASSWORD", DEMO.1)
        .env("ZHENGSHU_SAMPLE_PDF", &sample)
        .output()
        .expect("run python3 -m schemathesis.cli");
    let took = started.elapsed();
    let out = text(&o);
    let r: Value = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| panic!("no report from Schemathesis:\n{out}"));
    let generated = r["test_cases"]["generated"].as_u64().unwrap_or(0);
    // Straight to the standard error, past the test harness's capture, so
    // the test command shows it.
    let _ = writeln!(
        std::io::stderr(),
        "Schemathesis: {generated} generated cases over {} operations in {:.0} s",
        r["operations"]["tested"],
        took.as_secs_f64()
    );
    assert!(o.status.success(), "Schemathesis found failures:\n{out}");
    assert_eq!(r["failures"], Value::Array(vec![]), "{out}");
    assert_eq!(r["errors"], Value::Array(vec![]), "{out}");
    assert_eq!(
        r["operations"]["tested"], r["operations"]["total"],
        "every operation: {}\n{out}",
        r["operations"]
    );
    assert_eq!(
        r["phases"]["stateful"]["status"], "success",
        "the links are followed: {}\n{out}",
        r["phases"]
    );
    assert!(generated >= 1_000, "{generated} cases:\n{out}");
}
