//! The issuing-body console: enrolment and log-in with TOTP codes computed
//! by an independent implementation (`oathtool`), codes used once, the
//! second factor required, sessions apart from holders' and idling out,
//! and the access matrix — every console route for every kind of visitor,
//! asserting on whose data each answer carries.

use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use zhengshu_domain::{Actor, AuditContext, NewAuditEvent, Role};

use crate::helpers::{App, Browser, ClockExt, PASSWORD, app, zhang};

pub const STAFF_PASSWORD: &str = "Console-Pass-2026";
const A: &str = "pharmacist_center";
const B: &str = "economist_association";

/// The TOTP code at `at`, from `oathtool` (RFC 6238, SHA-1, 30 s, 6 digits).
pub fn oath(secret: &str, at: Timestamp) -> String {
    let now = at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
    let out = std::process::Command::new("oathtool")
        .args(["--totp", "-b", secret, "--now", &now])
        .output()
        .expect("oathtool is needed by these tests (Debian package oathtool)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Invites an account as the command line does; answers the link's path.
pub async fn invite(app: &App, username: &str, body: Option<&str>, role: Role) -> String {
    zhengshu_web::invite_staff(
        &*app.store,
        app.clock.now_ts(),
        username,
        body,
        role,
        &Actor::Cli("test".into()),
        None,
        None,
    )
    .await
    .unwrap()
    .1
}

fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let at = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"))
        + start.len();
    &body[at..at + body[at..].find(end).unwrap()]
}

/// Enrols through the link's page; answers the TOTP secret and the page
/// of recovery codes.
pub async fn enrol(app: &App, path: &str) -> (String, String) {
    let mut b = Browser::new();
    let page = b.get(app, path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let secret = between(&page.body, "id=\"totp-secret\">", "<").to_owned();
    let csrf = page.csrf();
    let code = oath(&secret, app.clock.now_ts());
    let done = b
        .post_raw(
            app,
            path,
            &[
                ("csrf", &csrf),
                ("password", STAFF_PASSWORD),
                ("password_confirmation", STAFF_PASSWORD),
                ("secret", &secret),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    (secret, done.body)
}

/// Signs in on the console; answers the answer to the log-in.
pub async fn sign_in(
    app: &App,
    b: &mut Browser,
    username: &str,
    code: &str,
) -> crate::helpers::Answer {
    b.submit(
        app,
        "/console/login",
        "/console/login",
        &[
            ("username", username),
            ("password", STAFF_PASSWORD),
            ("code", code),
        ],
    )
    .await
}

/// An account made and enrolled, and a browser signed in as it.
pub async fn staff(app: &App, username: &str, body: Option<&str>, role: Role) -> (Browser, String) {
    let link = invite(app, username, body, role).await;
    let (secret, _) = enrol(app, &link).await;
    // The enrolment used this step's code: sign in with the next one.
    app.clock.advance(SignedDuration::from_secs(30));
    let mut b = Browser::new();
    let code = oath(&secret, app.clock.now_ts());
    let a = sign_in(app, &mut b, username, &code).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/console");
    (b, secret)
}

#[tokio::test]
async fn enrolment_and_log_in_take_oathtool_codes_once_each() {
    let app = app().await;
    let link = invite(&app, "admin_a", Some(A), Role::Admin).await;
    let mut b = Browser::new();
    let page = b.get(&app, &link).await;
    let secret = between(&page.body, "id=\"totp-secret\">", "<").to_owned();
    assert!(page.body.contains("<svg class=\"qr\""));
    // A wrong first code is refused and nothing is stored.
    let wrong = b
        .post_raw(
            &app,
            &link,
            &[
                ("csrf", &page.csrf()),
                ("password", STAFF_PASSWORD),
                ("password_confirmation", STAFF_PASSWORD),
                ("secret", &secret),
                ("code", "000000"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("code-error"));
    let code = oath(&secret, app.clock.now_ts());
    let done = b
        .post_raw(
            &app,
            &link,
            &[
                ("csrf", &page.csrf()),
                ("password", STAFF_PASSWORD),
                ("password_confirmation", STAFF_PASSWORD),
                ("secret", &secret),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let recovery = between(&done.body, "<li><code>", "<").to_owned();
    // The link works once.
    assert_eq!(
        Browser::new().get(&app, &link).await.status,
        StatusCode::NOT_FOUND
    );

    // The enrolment's code is used up; so is any code once accepted.
    let mut c = Browser::new();
    assert_eq!(
        sign_in(&app, &mut c, "admin_a", &code).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.clock.advance(SignedDuration::from_secs(30));
    let next = oath(&secret, app.clock.now_ts());
    assert_eq!(
        sign_in(&app, &mut c, "admin_a", "").await.status,
        StatusCode::UNAUTHORIZED,
        "no second factor"
    );
    assert_eq!(
        sign_in(&app, &mut c, "admin_a", "123456").await.status,
        StatusCode::UNAUTHORIZED
    );
    let bad_password = c
        .submit(
            &app,
            "/console/login",
            "/console/login",
            &[
                ("username", "admin_a"),
                ("password", "wrong-password-1"),
                ("code", &next),
            ],
        )
        .await;
    assert_eq!(bad_password.status, StatusCode::UNAUTHORIZED);
    let ok = sign_in(&app, &mut c, "admin_a", &next).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let home = c.get(&app, "/console").await;
    assert!(home.body.contains("admin_a"), "{}", home.body);
    let mut d = Browser::new();
    assert_eq!(
        sign_in(&app, &mut d, "admin_a", &next).await.status,
        StatusCode::UNAUTHORIZED,
        "replayed within its step"
    );
    // A recovery code stands in once.
    assert_eq!(
        sign_in(&app, &mut d, "admin_a", &recovery).await.status,
        StatusCode::SEE_OTHER
    );
    let mut e = Browser::new();
    assert_eq!(
        sign_in(&app, &mut e, "admin_a", &recovery).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Idle for 15 minutes: signed out.
    app.clock.advance(SignedDuration::from_mins(16));
    let later = c.get(&app, "/console").await;
    assert_eq!(later.status, StatusCode::SEE_OTHER);
    assert_eq!(later.location(), "/console/login");
}

#[tokio::test]
async fn failed_console_log_ins_are_throttled() {
    let app = app().await;
    let link = invite(&app, "admin_a", Some(A), Role::Admin).await;
    enrol(&app, &link).await;
    let mut b = Browser::new();
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, &mut b, "admin_a", "000000").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = sign_in(&app, &mut b, "admin_a", "000000").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.header("retry-after").is_some());
}

#[tokio::test]
async fn holder_and_console_sessions_never_open_each_others_pages() {
    let app = app().await;
    zhang(&app).await;
    let mut holder = Browser::new();
    holder
        .log_in_agreed(&app, zhengshu_demo::DEMO.username)
        .await;
    let a = holder.get(&app, "/console").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/console/login");
    let (mut staff_b, _) = staff(&app, "admin_a", Some(A), Role::Admin).await;
    let c = staff_b.get(&app, "/certificates").await;
    assert_eq!(c.status, StatusCode::SEE_OTHER);
    assert!(c.location().starts_with("/login"));
    // Forms of the console need the CSRF token.
    let forged = staff_b
        .post_raw(
            &app,
            "/console/staff",
            &[("username", "mallory"), ("role", "admin")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let _ = PASSWORD;
}

async fn marked_event(app: &App, body: &str, marker: &str) {
    use zhengshu_storage::Storage;
    app.store
        .record_audit(
            &NewAuditEvent {
                context: AuditContext {
                    body: Some(body.into()),
                    role: Some("officer".into()),
                    address: None,
                },
                actor: Actor::Staff(format!("someone_of_{body}")),
                action: "certificate.revoke".into(),
                subject: format!("certificate:{marker}"),
                before: Some(format!("=cmd|{marker}")),
                after: Some(format!(r#"{{"note":"{marker}"}}"#)),
            },
            app.clock.now_ts(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn access_matrix_keeps_every_body_to_itself() {
    let app = app().await;
    marked_event(&app, A, "MARK-A").await;
    marked_event(&app, B, "MARK-B").await;
    zhang(&app).await;
    let mut holder = Browser::new();
    holder
        .log_in_agreed(&app, zhengshu_demo::DEMO.username)
        .await;
    let (admin_a, _) = staff(&app, "admin_a", Some(A), Role::Admin).await;
    let (officer_a, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let (auditor_a, _) = staff(&app, "auditor_a", Some(A), Role::Auditor).await;
    let (auditor_b, _) = staff(&app, "auditor_b", Some(B), Role::Auditor).await;
    let (operator, _) = staff(&app, "operator1", None, Role::Operator).await;

    // Who sees what: (visitor, its body, [(path, status)]).
    let login = StatusCode::SEE_OTHER;
    let ok = StatusCode::OK;
    let absent = StatusCode::NOT_FOUND;
    let visitors: Vec<(&str, Browser, Option<&str>, [StatusCode; 4])> = vec![
        ("nobody", Browser::new(), None, [login, login, login, login]),
        ("holder", holder, None, [login, login, login, login]),
        ("admin_a", admin_a, Some(A), [ok, ok, ok, ok]),
        (
            "officer_a",
            officer_a,
            Some(A),
            [ok, absent, absent, absent],
        ),
        ("auditor_a", auditor_a, Some(A), [ok, absent, ok, ok]),
        ("auditor_b", auditor_b, Some(B), [ok, absent, ok, ok]),
        ("operator", operator, None, [ok, ok, ok, ok]),
    ];
    let paths = [
        "/console",
        "/console/staff",
        "/console/audit",
        "/console/audit.csv",
    ];
    for (who, mut b, body, expected) in visitors {
        for (path, want) in paths.iter().zip(expected) {
            let a = b.get(&app, path).await;
            assert_eq!(a.status, want, "{who} {path}: {}", a.body);
            if a.status != ok {
                continue;
            }
            // Another body's data never shows: not its events, not its staff.
            if let Some(mine) = body {
                let (other, other_mark, my_mark) = if mine == A {
                    (B, "MARK-B", "MARK-A")
                } else {
                    (A, "MARK-A", "MARK-B")
                };
                assert!(!a.body.contains(other_mark), "{who} {path} shows {other}");
                assert!(!a.body.contains(other), "{who} {path} names {other}");
                assert!(
                    !a.body
                        .contains(if mine == A { "auditor_b" } else { "admin_a" }),
                    "{who} {path} shows another body's staff"
                );
                if path.starts_with("/console/audit") {
                    assert!(
                        a.body.contains(my_mark),
                        "{who} {path} misses its own events"
                    );
                }
            }
            if *path == "/console/audit.csv" {
                assert!(
                    a.body.contains("'=cmd|"),
                    "formulas neutralised: {}",
                    a.body
                );
                assert!(!a.body.contains(",\"=cmd"));
            }
        }
        // Adding staff: admins to their body, the operator admins only.
        let csrf = b.get(&app, "/console").await;
        if csrf.status != ok {
            let a = b
                .post_raw(
                    &app,
                    "/console/staff",
                    &[("username", "x_new"), ("role", "officer")],
                )
                .await;
            assert_ne!(a.status, ok, "{who} added staff");
            continue;
        }
        let token = csrf.csrf();
        let a = b
            .post_raw(
                &app,
                "/console/staff",
                &[
                    ("csrf", &token),
                    ("username", &format!("{who}_new")),
                    ("role", "officer"),
                    ("body", B),
                ],
            )
            .await;
        let want = match who {
            "admin_a" => ok,
            "operator" => StatusCode::UNPROCESSABLE_ENTITY,
            _ => absent,
        };
        assert_eq!(a.status, want, "{who} adds an officer: {}", a.body);
    }
    // The admin's officer landed in the admin's body, whatever the form said.
    use zhengshu_storage::Storage;
    let added = app
        .store
        .staff_by_username(&zhengshu_domain::Username::parse("admin_a_new").unwrap())
        .await
        .unwrap();
    assert_eq!(added.body.unwrap().as_str(), A);
}
