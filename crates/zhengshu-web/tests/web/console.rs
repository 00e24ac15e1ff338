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

/// What marks each body's events in the matrix: a staff event with its
/// body given, and events recorded without one — a holder's view of a
/// certificate, a revocation, an annotation applied by the holder and
/// generated by the worker — which take the body of their certificate.
const MARKS_A: [&str; 3] = ["MARK-A", "certificate:ZY20230315001", "annotation.generate"];
const MARKS_B: [&str; 2] = ["MARK-B", "certificate:JJ20191120007"];

async fn holder_and_system_events(app: &App, holder: i64) {
    use zhengshu_demo::{ECONOMIST_NUMBER, PHARMACIST_NUMBER};
    use zhengshu_domain::{AnnotationPolicy, CertificateNumber, Revocation};
    use zhengshu_storage::Storage;
    assert_eq!(MARKS_A[1], format!("certificate:{PHARMACIST_NUMBER}"));
    assert_eq!(MARKS_B[1], format!("certificate:{ECONOMIST_NUMBER}"));
    let now = app.clock.now_ts();
    app.store
        .record_audit(
            &zhengshu_storage::annotations::document_event(
                format!("certificate:{PHARMACIST_NUMBER}"),
                &Actor::Holder(holder),
                true,
            ),
            now,
        )
        .await
        .unwrap();
    app.store
        .revoke_certificate(
            &CertificateNumber::parse(ECONOMIST_NUMBER).unwrap(),
            &Revocation {
                at: now,
                reason: "MARK-B".into(),
            },
            &Actor::Cli("test".into()),
        )
        .await
        .unwrap();
    let certificate = crate::helpers::certificate_id(app, PHARMACIST_NUMBER).await;
    let today = zhengshu_domain::day_in_china(now);
    app.store
        .apply_annotation(
            &zhengshu_domain::NewAnnotation {
                certificate_id: certificate,
                holder_id: holder,
                scenario: zhengshu_domain::Scenario::SelfUse,
                days: zhengshu_domain::ValidityDays::parse(30, 90).unwrap(),
                verification_code: "MATRIX01".into(),
                applied_on: today,
                applied_at: now,
            },
            &AnnotationPolicy::default(),
        )
        .await
        .unwrap();
    let job = app
        .store
        .claim_job("matrix", now, SignedDuration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    let generated = zhengshu_storage::Generated {
        valid_from: today,
        valid_until: AnnotationPolicy::valid_until(today, 30),
        content: b"%PDF-1.7 matrix".to_vec(),
    };
    assert!(
        app.store
            .complete_job(&job, "matrix", &generated, now)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn access_matrix_keeps_every_body_to_itself() {
    use zhengshu_storage::Storage;
    // With seal keys, so that the operator's seal page lists seals.
    let app = crate::helpers::documents_app().await;
    marked_event(&app, A, "MARK-A").await;
    marked_event(&app, B, "MARK-B").await;
    let holder_id = zhang(&app).await;
    holder_and_system_events(&app, holder_id).await;
    let mut holder = Browser::new();
    holder
        .log_in_agreed(&app, zhengshu_demo::DEMO.username)
        .await;
    let (admin_a, _) = staff(&app, "admin_a", Some(A), Role::Admin).await;
    let (officer_a, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let (auditor_a, _) = staff(&app, "auditor_a", Some(A), Role::Auditor).await;
    let (admin_b, _) = staff(&app, "admin_b", Some(B), Role::Admin).await;
    let (officer_b, _) = staff(&app, "officer_b", Some(B), Role::Officer).await;
    let (auditor_b, _) = staff(&app, "auditor_b", Some(B), Role::Auditor).await;
    let (operator, _) = staff(&app, "operator1", None, Role::Operator).await;
    let staff_of = |body: &str| -> [&'static str; 3] {
        if body == A {
            ["admin_a", "officer_a", "auditor_a"]
        } else {
            ["admin_b", "officer_b", "auditor_b"]
        }
    };

    // Who sees what: (visitor, its body, the status of each path).
    let login = StatusCode::SEE_OTHER;
    let ok = StatusCode::OK;
    let absent = StatusCode::NOT_FOUND;
    let certificate = crate::helpers::certificate_id(&app, zhengshu_demo::PHARMACIST_NUMBER).await;
    let certificate_page = format!("/console/certificates/{certificate}");
    let certificates_by_id = format!(
        "/console/certificates?by=id&q={}",
        zhengshu_demo::DEMO.id_number
    );
    let revoke = format!("{certificate_page}/revoke");
    let reinstate = format!("{certificate_page}/reinstate");
    let correct = format!("{certificate_page}/correct");
    let retire = format!("{certificate_page}/files/999999/retire");
    let paths: [&str; 17] = [
        "/console",
        "/console/staff",
        "/console/audit",
        "/console/audit.csv",
        "/console/holders",
        "/console/holders?by=id&q=11010519491231002X",
        "/console/bodies",
        "/console/bodies?sort=name&dir=desc&page=2",
        "/console/types",
        "/console/scope?sort=in_scope",
        "/console/terms",
        "/console/seals",
        "/console/imports",
        "/console/tokens",
        // The body's certificates: every staff member of the body reads
        // them (the operator every body's); another body's is absent.
        "/console/certificates",
        &certificates_by_id,
        &certificate_page,
    ];
    // The operator's pages: only the operator opens them.
    let op = |v: StatusCode| [v; 6];
    // The body's imports (officers and admins) and its import tokens
    // (admins).
    let admin_imports = [ok, ok];
    let officer_imports = [ok, absent];
    let no_imports = [absent, absent];
    let row = |old: [StatusCode; 6],
               new: [StatusCode; 6],
               imports: [StatusCode; 2]|
     -> [StatusCode; 17] {
        let mut all = [ok; 17];
        all[..6].copy_from_slice(&old);
        all[6..12].copy_from_slice(&new);
        all[12..14].copy_from_slice(&imports);
        all
    };
    // Body B's staff: body A's certificate is absent.
    let row_b = |old: [StatusCode; 6],
                 new: [StatusCode; 6],
                 imports: [StatusCode; 2]|
     -> [StatusCode; 17] {
        let mut all = row(old, new, imports);
        all[16] = absent;
        all
    };
    let visitors: Vec<(&str, Browser, Option<&str>, [StatusCode; 17])> = vec![
        ("nobody", Browser::new(), None, [login; 17]),
        ("holder", holder, None, [login; 17]),
        (
            "admin_a",
            admin_a,
            Some(A),
            row([ok, ok, ok, ok, absent, absent], op(absent), admin_imports),
        ),
        (
            "officer_a",
            officer_a,
            Some(A),
            row(
                [ok, absent, absent, absent, ok, ok],
                op(absent),
                officer_imports,
            ),
        ),
        (
            "auditor_a",
            auditor_a,
            Some(A),
            row([ok, absent, ok, ok, absent, absent], op(absent), no_imports),
        ),
        (
            "auditor_b",
            auditor_b,
            Some(B),
            row_b([ok, absent, ok, ok, absent, absent], op(absent), no_imports),
        ),
        (
            "admin_b",
            admin_b,
            Some(B),
            row_b([ok, ok, ok, ok, absent, absent], op(absent), admin_imports),
        ),
        (
            "officer_b",
            officer_b,
            Some(B),
            row_b(
                [ok, absent, absent, absent, ok, ok],
                op(absent),
                officer_imports,
            ),
        ),
        (
            "operator",
            operator,
            None,
            row([ok, ok, ok, ok, absent, absent], op(ok), no_imports),
        ),
    ];
    let reference = |app: &App| {
        let store = app.store.clone();
        async move {
            (
                store.issuing_bodies().await.unwrap(),
                store.qualification_types().await.unwrap(),
                store.terms_versions().await.unwrap(),
            )
        }
    };
    let reference_before = reference(&app).await;
    for (who, mut b, body, expected) in visitors {
        // Every visitor reaches the log-in; no one a made-up enrolment.
        let a = b.get(&app, "/console/login").await;
        assert_eq!(a.status, ok, "{who} /console/login");
        assert!(!a.body.contains(A) && !a.body.contains(B), "{who} login");
        let a = b.get(&app, "/console/enrol/not-a-token").await;
        assert_eq!(a.status, absent, "{who} enrol");
        for (path, want) in paths.iter().zip(expected) {
            let a = b.get(&app, path).await;
            assert_eq!(a.status, want, "{who} {path}: {}", a.body);
            if body.is_none() && who != "operator" {
                // No session, or a holder's: a redirect and nothing else.
                assert_eq!(a.location(), "/console/login", "{who} {path}");
                assert!(!a.body.contains(A) && !a.body.contains(B), "{who} {path}");
                continue;
            }
            if who == "operator" && path.contains("/console/seals") {
                for code in ["ministry", A, B] {
                    assert!(a.body.contains(&format!("id=\"seal-{code}\"")), "{code}");
                }
                assert!(a.body.contains("class=\"fingerprint\""));
            }
            if who == "operator" && (path.contains("bodies") || path.contains("types")) {
                // The operator's pages list every body.
                assert!(a.body.contains(A) && a.body.contains(B), "{path}");
            }
            // Another body's data never shows, in a page or a refusal:
            // not its events, not its staff, not its code.
            if let Some(mine) = body {
                let (other, other_marks, my_marks) = if mine == A {
                    (B, &MARKS_B[..], &MARKS_A[..])
                } else {
                    (A, &MARKS_A[..], &MARKS_B[..])
                };
                for other_mark in other_marks {
                    assert!(
                        !a.body.contains(other_mark),
                        "{who} {path} shows {other}'s {other_mark}"
                    );
                }
                assert!(!a.body.contains(other), "{who} {path} names {other}");
                for name in staff_of(other) {
                    assert!(
                        !a.body.contains(name),
                        "{who} {path} shows another body's {name}"
                    );
                }
                if a.status == ok && path.starts_with("/console/audit") {
                    for my_mark in my_marks {
                        assert!(
                            a.body.contains(my_mark),
                            "{who} {path} misses its own {my_mark}"
                        );
                    }
                }
            }
            if a.status != ok {
                continue;
            }
            if path.starts_with("/console/certificates?") {
                // The demo holder's certificates of the visitor's body only
                // (every body's for the operator), the ID number masked.
                let mine = if body == Some(B) {
                    zhengshu_demo::ECONOMIST_NUMBER
                } else {
                    zhengshu_demo::PHARMACIST_NUMBER
                };
                assert!(a.body.contains(mine), "{who}: {}", a.body);
                if body.is_some() {
                    let theirs = if body == Some(A) {
                        zhengshu_demo::ECONOMIST_NUMBER
                    } else {
                        zhengshu_demo::PHARMACIST_NUMBER
                    };
                    assert!(!a.body.contains(theirs), "{who}");
                }
                // Only in the search box, as typed; never in the results.
                assert_eq!(
                    a.body.matches(zhengshu_demo::DEMO.id_number).count(),
                    1,
                    "{who}"
                );
            }
            if path.starts_with("/console/holders?") {
                // The demo holder holds certificates of both bodies: an
                // officer sees their body's only, and never the ID number.
                let (mine, theirs) = if body == Some(A) {
                    (
                        zhengshu_demo::PHARMACIST_NUMBER,
                        zhengshu_demo::ECONOMIST_NUMBER,
                    )
                } else {
                    (
                        zhengshu_demo::ECONOMIST_NUMBER,
                        zhengshu_demo::PHARMACIST_NUMBER,
                    )
                };
                assert!(a.body.contains(zhengshu_demo::DEMO.username), "{who}");
                assert!(a.body.contains(mine), "{who}");
                assert!(!a.body.contains(theirs), "{who}");
                assert!(!a.body.contains("name=\"holder\" value=\"0\""));
                assert!(!a.body.contains("19491231002X</td>"));
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
        // Every form: (path, fields). The operator's are refused input
        // (so nothing changes); the unlink's reason is too short.
        let forms: [(&str, Vec<(&str, &str)>); 15] = [
            (&revoke, vec![("reason", "x"), ("confirm", "1")]),
            // No such file: absent for everyone, whatever the reason.
            (&retire, vec![("reason", "上传错了文件")]),
            (&correct, vec![("name", "张叁"), ("reason", "x")]),
            (&reinstate, vec![("reason", "x")]),
            ("/console/bodies", vec![("code", "Bad Code"), ("name", "x")]),
            (
                "/console/bodies/rename",
                vec![("code", B), ("before_name", "stale"), ("name", "x")],
            ),
            (
                "/console/types",
                vec![("code", "x_type"), ("name", "x"), ("body", "nobody")],
            ),
            (
                "/console/types/edit",
                vec![
                    ("code", "economist"),
                    ("before_name", "stale"),
                    ("before_body", B),
                    ("name", "x"),
                    ("body", B),
                ],
            ),
            (
                "/console/scope",
                vec![
                    ("code", "economist"),
                    ("before_in_scope", "false"),
                    ("before_years_from", "1"),
                    ("years_from", "2016"),
                ],
            ),
            ("/console/terms", vec![("current", "1"), ("text", " ")]),
            (
                "/console/holders/unlink",
                vec![("holder", "1"), ("reason", "x")],
            ),
            (
                "/console/staff/reset",
                vec![("username", staff_of(if body == Some(A) { B } else { A })[2])],
            ),
            // No such upload or token: absent for everyone; an empty
            // label is refused input for the admins who issue tokens.
            ("/console/imports/999/confirm", vec![("mode", "all")]),
            ("/console/tokens/revoke", vec![("token", "999")]),
            ("/console/tokens", vec![("label", " ")]),
        ];
        let token = b.get(&app, "/console/login").await.csrf();
        for (path, fields) in &forms {
            let mut all = vec![("csrf", token.as_str())];
            all.extend_from_slice(fields);
            let a = b.post_raw(&app, path, &all).await;
            let want = match (who, *path) {
                ("nobody" | "holder", _) => login,
                (_, p) if p == retire => absent,
                ("operator", p) if p == revoke => absent,
                ("officer_a" | "admin_a", p) if p == revoke || p == correct => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                (_, p) if p == revoke || p == correct => absent,
                ("operator", p) if p == reinstate => StatusCode::UNPROCESSABLE_ENTITY,
                (_, p) if p == reinstate => absent,
                ("operator", p) if p.starts_with("/console/holders") => absent,
                ("operator", p) if p.starts_with("/console/imports") => absent,
                ("operator", p) if p.starts_with("/console/tokens") => absent,
                ("operator", "/console/staff/reset") => absent,
                ("operator", _) => StatusCode::UNPROCESSABLE_ENTITY,
                ("officer_a" | "officer_b", "/console/holders/unlink") => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                ("admin_a" | "admin_b", "/console/tokens") => StatusCode::UNPROCESSABLE_ENTITY,
                _ => absent,
            };
            assert_eq!(a.status, want, "{who} POST {path}: {}", a.body);
            assert!(!a.body.contains("/console/enrol/"), "{who} {path}");
            if let Some(mine) = body {
                let other = if mine == A { B } else { A };
                assert!(!a.body.contains(other), "{who} POST {path} names {other}");
            }
        }
        if expected[0] != ok {
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
        // Adding staff: admins to their body, the operator admins only.
        let a = b
            .post_raw(
                &app,
                "/console/staff",
                &[
                    ("csrf", &token),
                    ("username", &format!("{who}_new")),
                    ("role", "officer"),
                    ("body", if body == Some(A) { B } else { A }),
                ],
            )
            .await;
        let want = match who {
            "admin_a" | "admin_b" => ok,
            "operator" => StatusCode::UNPROCESSABLE_ENTITY,
            _ => absent,
        };
        assert_eq!(a.status, want, "{who} adds an officer: {}", a.body);
    }
    // No refused form changed the reference data.
    assert_eq!(reference(&app).await, reference_before);
    // The admins' officers landed in the admins' bodies, whatever the form said.
    for (name, body) in [("admin_a_new", A), ("admin_b_new", B)] {
        let added = app
            .store
            .staff_by_username(&zhengshu_domain::Username::parse(name).unwrap())
            .await
            .unwrap();
        assert_eq!(added.body.unwrap().as_str(), body);
    }
    crate::console::chain_ok(&app).await;
}

/// The audit chain verifies from its first event to its head.
pub async fn chain_ok(app: &App) {
    zhengshu_storage_story::verify_whole_chain(&*app.store).await;
}

/// Posts the reset form for `username` with the browser's CSRF token.
async fn reset(app: &App, b: &mut Browser, username: &str) -> crate::helpers::Answer {
    let page = b.get(app, "/console").await;
    let csrf = page.csrf();
    b.post_raw(
        app,
        "/console/staff/reset",
        &[("csrf", &csrf), ("username", username)],
    )
    .await
}

#[tokio::test]
async fn admins_reset_second_factors_of_their_body_and_the_operator_of_admins() {
    use zhengshu_storage::{AuditFilter, Storage};
    let app = app().await;
    let (mut admin_a, _) = staff(&app, "admin_a", Some(A), Role::Admin).await;
    let (mut officer_a, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let (_, _) = staff(&app, "auditor_b", Some(B), Role::Auditor).await;
    let (mut operator, _) = staff(&app, "operator1", None, Role::Operator).await;

    // The list offers the reset for the body's other accounts only.
    let list = admin_a.get(&app, "/console/staff").await;
    assert_eq!(list.body.matches("name=\"username\" value=").count(), 1);
    assert!(list.body.contains("name=\"username\" value=\"officer_a\""));

    // Refused, as if absent: oneself, another body's account, a role not
    // managed, a name that is no account, any officer, no CSRF token.
    for (who, target) in [
        ("admin_a", "admin_a"),
        ("admin_a", "auditor_b"),
        ("admin_a", "operator1"),
        ("admin_a", "nobody_here"),
        ("admin_a", "Bad Name!"),
        ("officer_a", "admin_a"),
        ("operator", "officer_a"),
    ] {
        let b = match who {
            "admin_a" => &mut admin_a,
            "officer_a" => &mut officer_a,
            _ => &mut operator,
        };
        let a = reset(&app, b, target).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{who} resets {target}");
        assert!(!a.body.contains("/console/enrol/"), "{who} {target}");
        assert!(!a.body.contains(B), "{who} {target} names {B}");
    }
    let forged = admin_a
        .post_raw(&app, "/console/staff/reset", &[("username", "officer_a")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(officer_a.get(&app, "/console").await.status == StatusCode::OK);

    // The admin resets the officer: the officer's session ends at once,
    // the old password and code no longer sign in, the new link enrols.
    let done = reset(&app, &mut admin_a, "officer_a").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let link = between(&done.body, "id=\"enrol-link\">", "<");
    let path = &link[link.find("/console/enrol/").unwrap()..];
    let gone = officer_a.get(&app, "/console").await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(gone.location(), "/console/login");
    let (secret, _) = enrol(&app, path).await;
    app.clock.advance(SignedDuration::from_secs(30));
    let mut again = Browser::new();
    let code = oath(&secret, app.clock.now_ts());
    assert_eq!(
        sign_in(&app, &mut again, "officer_a", &code).await.status,
        StatusCode::SEE_OTHER
    );

    // The operator resets an admin.
    let done = reset(&app, &mut operator, "admin_a").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"enrol-link\""));
    assert_eq!(
        admin_a.get(&app, "/console").await.status,
        StatusCode::SEE_OTHER
    );

    // Both resets are audited in body A, with who reset whom.
    let (events, _) = app
        .store
        .audit_page(&AuditFilter {
            body: Some(A.into()),
            action: Some("staff.reset".into()),
            ascending: true,
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.actor.as_str(), e.subject.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("staff:admin_a", "staff:officer_a"),
            ("staff:operator1", "staff:admin_a")
        ]
    );
}

/// Posts the unlink form (searched by the pharmacist certificate).
async fn unlink(app: &App, b: &mut Browser, holder: i64, reason: &str) -> crate::helpers::Answer {
    let csrf = b.get(app, "/console/holders").await.csrf();
    b.post_raw(
        app,
        "/console/holders/unlink",
        &[
            ("csrf", &csrf),
            ("holder", &holder.to_string()),
            ("reason", reason),
            ("by", "certificate"),
            ("q", zhengshu_demo::PHARMACIST_NUMBER),
        ],
    )
    .await
}

#[tokio::test]
async fn officers_unlink_holder_accounts_of_their_body_only_with_a_reason() {
    use zhengshu_demo::{DEMO, ECONOMIST_NUMBER, EXT_B_NUMBER, PHARMACIST_NUMBER};
    use zhengshu_storage::{AuditFilter, Storage};
    let app = app().await;
    let demo = zhang(&app).await;
    let chen = crate::helpers::chen(&app).await;
    let mut holder = Browser::new();
    holder.log_in_agreed(&app, DEMO.username).await;
    assert!(
        holder
            .get(&app, "/certificates")
            .await
            .body
            .contains(PHARMACIST_NUMBER)
    );
    let (mut officer_a, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let (mut officer_b, _) = staff(&app, "officer_b", Some(B), Role::Officer).await;

    let search = |by: &str, q: &str| format!("/console/holders?by={by}&q={q}");
    let found = officer_a
        .get(&app, &search("certificate", PHARMACIST_NUMBER))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(
        found
            .body
            .contains(&format!("name=\"holder\" value=\"{demo}\""))
    );
    assert!(
        !found.body.contains(ECONOMIST_NUMBER),
        "body B's certificate"
    );
    let by_id = officer_a
        .get(&app, &search("id", &DEMO.id_number.to_lowercase()))
        .await;
    assert!(
        by_id
            .body
            .contains(&format!("name=\"holder\" value=\"{demo}\""))
    );
    // Body B's officer finds the same person by body B's certificate, and
    // sees body B's certificates only; nothing by body A's.
    let b_sees = officer_b
        .get(&app, &search("certificate", ECONOMIST_NUMBER))
        .await;
    assert!(
        b_sees
            .body
            .contains(&format!("name=\"holder\" value=\"{demo}\""))
    );
    assert!(!b_sees.body.contains(PHARMACIST_NUMBER));
    for q in [PHARMACIST_NUMBER, EXT_B_NUMBER] {
        let none = officer_b.get(&app, &search("certificate", q)).await;
        assert!(none.body.contains("id=\"holders-none\""), "{q}");
        assert!(!none.body.contains("name=\"holder\""), "{q}");
    }
    let bad = officer_a.get(&app, &search("id", "%3F%3F")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"q-error\""));

    // A reason is required; another body cannot unlink body A's holder.
    let short = unlink(&app, &mut officer_a, demo, " 无 ").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("id=\"reason-error\""), "{}", short.body);
    let other = unlink(&app, &mut officer_b, chen, "持证人报告他人冒名注册").await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let forged = officer_a
        .post_raw(
            &app,
            "/console/holders/unlink",
            &[
                ("holder", &demo.to_string()),
                ("reason", "持证人报告他人冒名注册"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no CSRF token");
    assert!(
        holder
            .get(&app, "/certificates")
            .await
            .body
            .contains(PHARMACIST_NUMBER),
        "nothing changed yet"
    );

    let done = unlink(&app, &mut officer_a, demo, "持证人报告他人冒名注册").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"unlinked\""));
    assert!(
        !done
            .body
            .contains(&format!("name=\"holder\" value=\"{demo}\""))
    );
    // The account's session ended; signed in again, it sees nothing.
    assert_eq!(
        holder.get(&app, "/certificates").await.status,
        StatusCode::SEE_OTHER
    );
    let mut again = Browser::new();
    again.log_in(&app, DEMO.username, PASSWORD).await;
    let list = again.get(&app, "/certificates").await;
    assert!(!list.body.contains(PHARMACIST_NUMBER), "{}", list.body);
    assert!(!list.body.contains(ECONOMIST_NUMBER));
    // Twice: as if absent. Body B's officer no longer finds it either.
    let twice = unlink(&app, &mut officer_a, demo, "持证人报告他人冒名注册").await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    let gone = officer_b
        .get(&app, &search("certificate", ECONOMIST_NUMBER))
        .await;
    assert!(gone.body.contains("id=\"holders-none\""));
    // The identity is free for its rightful holder's registration.
    let rightful = crate::helpers::holder(&app, "zhang_real", DEMO.name, DEMO.id_number).await;
    assert_ne!(rightful, demo);

    let (events, _) = app
        .store
        .audit_page(&AuditFilter {
            body: Some(A.into()),
            action: Some("holder.unlink".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, "staff:officer_a");
    assert_eq!(events[0].subject, format!("holder:{demo}"));
    assert!(
        events[0]
            .after
            .as_deref()
            .unwrap()
            .contains("持证人报告他人冒名注册")
    );
    assert!(
        !events[0]
            .before
            .as_deref()
            .unwrap()
            .contains(DEMO.id_number)
    );
}
