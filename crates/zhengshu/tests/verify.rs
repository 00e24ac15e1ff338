//! `zhengshu verify` as an employer runs it: offline the checks of a
//! genuine document pass and the status is indeterminate (exit 3); an
//! edited copy fails (exit 1); without a usable trust root it says what to
//! do (exit 2); `--online` asks a running server for the record and status
//! and gives its verdict.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use zhengshu_testing::spawn_listening;

fn zhengshu(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhengshu"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ZHENGSHU_DB")
        .output()
        .expect("run zhengshu")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

fn status_of<'a>(report: &'a Value, check: &str) -> &'a str {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check)
        .unwrap_or_else(|| panic!("no {check}: {report}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn verify_exits_by_the_indication_offline_and_online() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [&["demo"][..], &["keys", "init"]] {
        let o = zhengshu(d, args);
        assert!(o.status.success(), "{}", text(&o));
    }
    let pdf = d.join("economist.pdf");
    let o = zhengshu(
        d,
        &[
            "render",
            "--certificate",
            zhengshu_demo::ECONOMIST_NUMBER,
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let file = pdf.to_str().unwrap();

    // Offline, with the data directory's root: every check of the file
    // passes; the status could not be reached.
    let o = zhengshu(d, &["verify", file]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("无法确定"), "{out}");
    assert!(
        out.contains("✓ [通过] 签名范围摘要（发证机构印章）"),
        "{out}"
    );
    let o = zhengshu(d, &["verify", file, "--json", "--lang", "en"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let r = json(&o);
    assert_eq!(r["indication"], "INDETERMINATE");
    assert_eq!(status_of(&r, "chain"), "passed");
    assert_eq!(status_of(&r, "on_record"), "indeterminate");

    // An edited copy fails.
    let mut bytes = std::fs::read(&pdf).unwrap();
    let at = bytes.windows(6).position(|w| w == b"stream").unwrap() + 40;
    bytes[at] ^= 1;
    let edited = d.join("edited.pdf");
    std::fs::write(&edited, &bytes).unwrap();
    let o = zhengshu(d, &["verify", edited.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(status_of(&json(&o), "digest"), "failed");

    // No usable root, no file, a wrong language: usage or environment.
    let missing = d.join("nowhere.pem");
    let o = zhengshu(d, &["verify", file, "--trust", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--trust"), "{}", text(&o));
    let o = zhengshu(d, &["verify", "nowhere.pdf"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = zhengshu(d, &["verify", file, "--lang", "fr"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // A server that cannot be reached leaves the status indeterminate.
    let o = zhengshu(
        d,
        &["verify", file, "--online", "http://127.0.0.1:9", "--json"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    // Online: the server's record decides. `render` recorded the file as
    // handed out, so every check passes; the edited copy is not on record.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhengshu"));
    cmd.arg("--data-dir")
        .arg(d)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("ZHENGSHU_DB")
        .env("RUST_LOG", "info");
    let served = spawn_listening(&mut cmd, "listening on http://");
    let url = format!("http://{}", served.addr);
    let o = zhengshu(d, &["verify", file, "--online", &url, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = json(&o);
    assert_eq!(r["indication"], "TOTAL_PASSED");
    assert_eq!(status_of(&r, "on_record"), "passed");
    assert_eq!(status_of(&r, "certificate_status"), "passed");
    let o = zhengshu(
        d,
        &[
            "verify",
            edited.to_str().unwrap(),
            "--online",
            &url,
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = json(&o);
    assert_eq!(r["indication"], "TOTAL_FAILED");
    assert_eq!(status_of(&r, "on_record"), "failed");
    assert_eq!(status_of(&r, "chain"), "passed");
    drop(served);
}

/// The README's "Trusting the root" lines for poppler, run as written in a
/// fresh home directory holding `ca.pem` and `file.pdf`: pdfsig then says
/// every seal's certificate is trusted.
#[test]
fn the_readme_steps_make_pdfsig_trust_the_root() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme
        .find("a test runs these lines as written:")
        .expect("the README's trust steps");
    let block = &readme[start..];
    let block = &block[block.find("```sh").unwrap() + 5..];
    let block = &block[..block.find("```").unwrap()];
    let lines: Vec<&str> = block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(lines.iter().any(|l| l.contains("-t \",C,\"")), "{block}");

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [&["demo"][..], &["keys", "init"]] {
        let o = zhengshu(d, args);
        assert!(o.status.success(), "{}", text(&o));
    }
    let home = d.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(d.join("keys/ca.pem"), home.join("ca.pem")).unwrap();
    let o = zhengshu(
        d,
        &[
            "render",
            "--certificate",
            zhengshu_demo::PHARMACIST_NUMBER,
            "-o",
            home.join("file.pdf").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));

    let mut last = String::new();
    for line in lines {
        let o = Command::new("sh")
            .args(["-c", line])
            .current_dir(&home)
            .env("HOME", &home)
            .output()
            .unwrap_or_else(|e| panic!("sh: {e}"));
        last = text(&o);
        assert!(
            o.status.success(),
            "`{line}` failed (run crates/zhengshu-document/tests/setup.sh for certutil and pdfsig): {last}"
        );
    }
    assert_eq!(last.matches("Certificate is Trusted").count(), 2, "{last}");
    assert!(!last.contains("isn't Trusted"), "{last}");
}
