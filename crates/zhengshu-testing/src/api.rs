//! The JSON API of a `zhengshu serve` on this machine, as the tests that
//! run the binary drive it: a call, the demo holder's session, a
//! certificate's id, an application; and [`Proc`], a process killed when
//! dropped.

use std::process::Child;

use serde_json::{Value, json};

use crate::http;

/// The demo holder's username and password (API.md, demo data).
pub const DEMO: (&str, &str) = ("demo", "Demo-2024-zhengshu");
/// The demo pharmacist certificate, which needs annotation.
pub const DEMO_CERTIFICATE: &str = "ZY20230315001";

/// One JSON call: the status and the body (`Null` when empty or not
/// JSON). Panics when nothing answers.
pub fn call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let auth = token.map(|t| format!("Authorization: Bearer {t}"));
    let headers: Vec<&str> = auth.iter().map(String::as_str).collect();
    let body = body.map(Value::to_string);
    let (status, bytes) = http(port, method, path, &headers, body.as_deref())
        .unwrap_or_else(|| panic!("{method} {path}: the server does not answer"));
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The demo holder signed in, the terms agreed: the bearer token.
pub fn demo_session(port: u16) -> String {
    let (status, t) = call(
        port,
        "POST",
        "/api/v1/sessions",
        None,
        Some(&json!({"username": DEMO.0, "password": DEMO.1})),
    );
    assert_eq!(status, 200, "{t}");
    let token = t["token"].as_str().expect("a token").to_owned();
    let (status, a) = call(port, "POST", "/api/v1/terms/accept", Some(&token), None);
    assert!(status == 204 || status == 409, "{status} {a}");
    token
}

/// The id of certificate `number` among the signed-in holder's.
pub fn certificate_id(port: u16, token: &str, number: &str) -> i64 {
    let (status, list) = call(port, "GET", "/api/v1/me/certificates", Some(token), None);
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .and_then(|l| l.iter().find(|c| c["number"] == number))
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("certificate {number} not listed: {list}"))
}

/// Applies for a 30-day self-use annotation of `certificate`.
pub fn apply(port: u16, token: &str, certificate: i64) -> (u16, Value) {
    call(
        port,
        "POST",
        &format!("/api/v1/me/certificates/{certificate}/annotations"),
        Some(token),
        Some(&json!({"scenario": "self_use", "days": 30})),
    )
}

/// The state of annotation `id` (`generating`, `ready`, …) and its body.
pub fn annotation(port: u16, token: &str, id: i64) -> Value {
    let (status, a) = call(
        port,
        "GET",
        &format!("/api/v1/me/annotations/{id}"),
        Some(token),
        None,
    );
    assert_eq!(status, 200, "{a}");
    a
}

/// A child process, killed (SIGKILL) when dropped, so a failing test
/// leaves nothing running.
#[derive(Debug)]
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
