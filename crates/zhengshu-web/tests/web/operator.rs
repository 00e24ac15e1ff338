//! The platform operator's pages: issuing bodies, the qualification-type
//! catalogue, the verification scope, service-terms versions and seals —
//! each change validated (nothing written when refused), audited with
//! before and after in the hash chain, refused when stale, and seen at
//! once where it matters (the public scope, the holder's terms, a new
//! body's documents).

use axum::http::{Method, StatusCode};
use serde_json::Value;
use zhengshu_domain::{Actor, Role};
use zhengshu_storage::Storage;

use crate::console::staff;
use crate::helpers::{App, Browser, ClockExt, api, app, app_with};

const A: &str = "pharmacist_center";

/// The events recorded, newest first.
async fn events(app: &App) -> Vec<zhengshu_domain::AuditEvent> {
    app.store.audit_events(None, 10_000).await.unwrap()
}

/// Posts `fields` to `path` with the CSRF token of `page`.
async fn post(
    app: &App,
    b: &mut Browser,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> crate::helpers::Answer {
    b.submit(app, page, path, fields).await
}

fn scope_of(scope: &Value, qualification: &str) -> Value {
    scope["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["qualifications"].as_array().unwrap().iter())
        .find(|q| q["code"] == qualification)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn operator_manages_bodies_and_types_validated_audited_never_stale() {
    let app = app().await;
    let (mut op, _) = staff(&app, "operator1", None, Role::Operator).await;
    let page = op.get(&app, "/console/bodies").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(A));
    let bodies_before = app.store.issuing_bodies().await.unwrap();
    let n0 = events(&app).await.len();

    // Refused input: a message per field in the page's language, nothing
    // written, no event.
    for (code, name, field, message) in [
        ("Bad Code", "某机构", "code", "代码为 2–64 个小写英文字母"),
        ("ministry", "某机构", "code", "已保留"),
        (A, "重复", "code", "已被使用"),
        ("new_body", "  ", "name", "请输入名称"),
        ("new_body", "机构\u{1b}", "name", "控制字符"),
    ] {
        let a = post(
            &app,
            &mut op,
            "/console/bodies",
            "/console/bodies",
            &[("code", code), ("name", name)],
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        assert!(a.body.contains(message), "{code} {field}: {}", a.body);
    }
    assert_eq!(app.store.issuing_bodies().await.unwrap(), bodies_before);
    assert_eq!(events(&app).await.len(), n0);
    // The same refusal in English and traditional Chinese.
    for (lang, message) in [
        ("en", "A code has 2 to 64 lower-case letters"),
        ("zh-TW", "代碼為 2–64 個小寫英文字母"),
    ] {
        op.accept_language = Some(lang.into());
        let a = post(
            &app,
            &mut op,
            "/console/bodies",
            "/console/bodies",
            &[("code", "Bad Code"), ("name", "x")],
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains(message), "{lang}: {}", a.body);
    }
    op.accept_language = None;

    // Added: listed, audited with its after.
    let a = post(
        &app,
        &mut op,
        "/console/bodies",
        "/console/bodies",
        &[("code", "new_body"), ("name", "新设机构"), ("exempt", "1")],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("id=\"body-new_body\""));
    let added = app
        .store
        .issuing_bodies()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.code.as_str() == "new_body")
        .unwrap();
    assert_eq!(added.name, "新设机构");
    assert!(added.exempt_before_cutover);
    let e = &events(&app).await[0];
    assert_eq!(e.action, "body.create");
    assert_eq!(e.actor, "staff:operator1");
    assert_eq!(e.role.as_deref(), Some("operator"));
    assert_eq!(e.subject, "body:new_body");
    assert!(e.before.is_none());
    assert!(e.after.as_deref().unwrap().contains("新设机构"));

    // Renamed from what was shown; a stale form is refused, not applied.
    let rename = |before: &'static str, name: &'static str| {
        vec![
            ("code", "new_body"),
            ("before_name", before),
            ("name", name),
        ]
    };
    let a = post(
        &app,
        &mut op,
        "/console/bodies",
        "/console/bodies/rename",
        &rename("新设机构", "新设机构（更名）"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let e = &events(&app).await[0];
    assert_eq!(e.action, "body.rename");
    assert!(e.before.as_deref().unwrap().contains("\"新设机构\""));
    assert!(e.after.as_deref().unwrap().contains("新设机构（更名）"));
    let n1 = events(&app).await.len();
    let stale = post(
        &app,
        &mut op,
        "/console/bodies",
        "/console/bodies/rename",
        &rename("新设机构", "别的名称"),
    )
    .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.body.contains("其他人已修改"), "{}", stale.body);
    let empty = post(
        &app,
        &mut op,
        "/console/bodies",
        "/console/bodies/rename",
        &rename("新设机构（更名）", ""),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let absent = post(
        &app,
        &mut op,
        "/console/bodies",
        "/console/bodies/rename",
        &[
            ("code", "no_such_body"),
            ("before_name", "x"),
            ("name", "y"),
        ],
    )
    .await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    assert_eq!(events(&app).await.len(), n1);

    // Qualification types: added out of scope; a type with certificates
    // keeps its body; a name can change.
    let types = "/console/types";
    let a = post(
        &app,
        &mut op,
        types,
        types,
        &[("code", "new_type"), ("name", "新资格"), ("body", "nobody")],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("没有这个发证机构"));
    let a = post(
        &app,
        &mut op,
        types,
        types,
        &[
            ("code", "new_type"),
            ("name", "新资格"),
            ("body", "new_body"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let new_type = app
        .store
        .qualification_types()
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.code.as_str() == "new_type")
        .unwrap();
    assert!(!new_type.in_scope);
    assert_eq!(new_type.body.as_str(), "new_body");
    assert_eq!(events(&app).await[0].action, "qualification.create");
    let n2 = events(&app).await.len();
    let moved = post(
        &app,
        &mut op,
        types,
        "/console/types/edit",
        &[
            ("code", "licensed_pharmacist"),
            ("before_name", "执业药师"),
            ("before_body", A),
            ("name", "执业药师"),
            ("body", "new_body"),
        ],
    )
    .await;
    assert_eq!(moved.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(moved.body.contains("已有证书"), "{}", moved.body);
    assert_eq!(events(&app).await.len(), n2);
    let renamed = post(
        &app,
        &mut op,
        types,
        "/console/types/edit",
        &[
            ("code", "new_type"),
            ("before_name", "新资格"),
            ("before_body", "new_body"),
            ("name", "新资格（修订）"),
            ("body", A),
        ],
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let e = &events(&app).await[0];
    assert_eq!(e.action, "qualification.update");
    assert!(e.before.as_deref().unwrap().contains("new_body"));
    assert!(e.after.as_deref().unwrap().contains("新资格（修订）"));

    // Sorted and paged on the server.
    let desc = op.get(&app, "/console/types?sort=code&dir=desc").await;
    let (first, last) = (
        desc.body.find("id=\"type-new_type\"").unwrap(),
        desc.body.find("id=\"type-economist\"").unwrap(),
    );
    assert!(first < last, "descending by code");
    let asc = op
        .get(&app, "/console/types?sort=code&dir=asc&page=x")
        .await;
    assert!(
        asc.body.find("id=\"type-economist\"").unwrap()
            < asc.body.find("id=\"type-new_type\"").unwrap()
    );

    // Pages of 20: 20 more bodies push the demo's onto page 2.
    for i in 0..20 {
        app.store
            .put_issuing_body(&zhengshu_domain::IssuingBody {
                code: zhengshu_domain::BodyCode::parse(&format!("b_{i:02}")).unwrap(),
                name: format!("机构{i:02}"),
                exempt_before_cutover: false,
            })
            .await
            .unwrap();
    }
    let first = op.get(&app, "/console/bodies").await;
    assert!(first.body.contains("id=\"body-b_19\""));
    assert!(!first.body.contains("id=\"body-pharmacist_center\""));
    assert!(first.body.contains("<span>1 / 2</span>"));
    let second = op
        .get(&app, "/console/bodies?sort=code&dir=asc&page=2")
        .await;
    assert!(second.body.contains("id=\"body-pharmacist_center\""));
    assert!(!second.body.contains("id=\"body-b_00\""));
    let by_name = op.get(&app, "/console/bodies?sort=name&dir=desc").await;
    assert!(
        by_name.body.contains("id=\"body-b_19\""),
        "机构19 sorts among the first"
    );

    zhengshu_storage_story::verify_whole_chain(&*app.store).await;
}

#[tokio::test]
async fn scope_settings_show_on_the_public_scope_at_once() {
    let app = app().await;
    let (mut op, _) = staff(&app, "operator1", None, Role::Operator).await;
    let before = api(&app, Method::GET, "/api/v1/scope", None, None)
        .await
        .json();
    let q = scope_of(&before, "licensed_pharmacist");
    assert_eq!(q["in_scope"], true, "{before}");
    let stored = app
        .store
        .qualification_types()
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.code.as_str() == "licensed_pharmacist")
        .unwrap();
    let from = stored.years_from.to_string();
    let to = stored.years_to.map(|y| y.to_string()).unwrap_or_default();
    let set = |in_scope: Option<&'static str>, years_from: &'static str, years_to: &'static str| {
        let mut f = vec![
            ("code", "licensed_pharmacist".to_owned()),
            ("before_in_scope", "true".to_owned()),
            ("before_years_from", from.clone()),
            ("before_years_to", to.clone()),
            ("years_from", years_from.to_owned()),
            ("years_to", years_to.to_owned()),
        ];
        if let Some(v) = in_scope {
            f.push(("in_scope", v.to_owned()));
        }
        f
    };
    let n0 = events(&app).await.len();
    for (fields, message) in [
        (set(Some("1"), "2020", "2019"), "截止年份不能早于起始年份"),
        (set(Some("1"), "1800", ""), "1949 至 2100"),
        (set(Some("1"), "二〇二〇", ""), "四位数年份"),
    ] {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let a = post(&app, &mut op, "/console/scope", "/console/scope", &f).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(a.body.contains(message), "{message}: {}", a.body);
    }
    assert_eq!(events(&app).await.len(), n0);
    assert_eq!(
        api(&app, Method::GET, "/api/v1/scope", None, None)
            .await
            .json(),
        before
    );

    // Out of scope: the public scope says so at once.
    let out = set(None, "2016", "");
    let f: Vec<(&str, &str)> = out.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = post(&app, &mut op, "/console/scope", "/console/scope", &f).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let after = api(&app, Method::GET, "/api/v1/scope", None, None)
        .await
        .json();
    assert_eq!(scope_of(&after, "licensed_pharmacist")["in_scope"], false);
    let e = &events(&app).await[0];
    assert_eq!(e.action, "scope.update");
    assert!(e.before.as_deref().unwrap().contains("\"in_scope\":true"));
    assert!(e.after.as_deref().unwrap().contains("\"in_scope\":false"));
    assert_eq!(e.body.as_deref(), Some(A), "the body's auditors see it");
    // The same form again is stale now.
    let again = post(&app, &mut op, "/console/scope", "/console/scope", &f).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("其他人已修改"));
    let public = Browser::new().get(&app, "/scope").await;
    assert_eq!(public.status, StatusCode::OK);
    zhengshu_storage_story::verify_whole_chain(&*app.store).await;
}

#[tokio::test]
async fn published_terms_must_be_agreed_again_at_the_next_visit() {
    let app = app().await;
    crate::helpers::zhang(&app).await;
    let mut holder = Browser::new();
    holder
        .log_in_agreed(&app, zhengshu_demo::DEMO.username)
        .await;
    assert_eq!(
        holder.get(&app, "/certificates").await.status,
        StatusCode::OK
    );
    let (mut op, _) = staff(&app, "operator1", None, Role::Operator).await;
    let page = op.get(&app, "/console/terms").await;
    assert_eq!(page.status, StatusCode::OK);
    let current = app.store.current_terms().await.unwrap().unwrap().version;
    assert!(page.body.contains(&format!("id=\"terms-{current}\"")));
    let n0 = events(&app).await.len();
    let empty = post(
        &app,
        &mut op,
        "/console/terms",
        "/console/terms",
        &[("current", &current.to_string()), ("text", "  \r\n ")],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("请输入服务须知内容"));
    let long = "须".repeat(20_001);
    let too_long = post(
        &app,
        &mut op,
        "/console/terms",
        "/console/terms",
        &[("current", &current.to_string()), ("text", &long)],
    )
    .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.body.contains("20000"), "{}", too_long.body);
    assert_eq!(events(&app).await.len(), n0);

    let text = "第二版服务须知：<b>不是标记</b>";
    let done = post(
        &app,
        &mut op,
        "/console/terms",
        "/console/terms",
        &[("current", &current.to_string()), ("text", text)],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains(&format!("id=\"terms-{}\"", current + 1)));
    assert!(!done.body.contains("<b>不是标记</b>"), "escaped");
    let e = &events(&app).await[0];
    assert_eq!(e.action, "terms.publish");
    assert!(e.after.as_deref().unwrap().contains("第二版服务须知"));
    // A second publication from the same (now stale) form is refused.
    let stale = post(
        &app,
        &mut op,
        "/console/terms",
        "/console/terms",
        &[("current", &current.to_string()), ("text", "第三版")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.store.current_terms().await.unwrap().unwrap().version,
        current + 1
    );

    // The holder, already signed in, must agree to the new version.
    let a = holder.get(&app, "/certificates").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.location().starts_with("/terms"), "{}", a.location());
    let terms = holder.get(&app, "/terms").await;
    assert!(terms.body.contains("第二版服务须知"));
    zhengshu_storage_story::verify_whole_chain(&*app.store).await;
}

/// A renderer on its own key directory; with `imported_root`, the root's
/// key is taken away after the keys are made, as with a root issued
/// elsewhere.
fn own_renderer(dir: &std::path::Path, imported_root: bool) -> zhengshu_document::Renderer {
    let bodies = zhengshu_demo::issuing_bodies();
    let pairs: Vec<(&str, &str)> = bodies
        .iter()
        .map(|b| (b.code.as_str(), b.name.as_str()))
        .collect();
    let mut pki = zhengshu_document::Pki::init(dir, &pairs).unwrap();
    if imported_root {
        std::fs::remove_file(dir.join("ca.key")).unwrap();
        pki = zhengshu_document::Pki::load(dir).unwrap();
    }
    zhengshu_document::Renderer::new(
        zhengshu_document::Fonts::discover().expect("CJK fonts"),
        pki,
        zhengshu_document::RenderSettings::default(),
    )
}

/// A certificate of a new body's type, imported; answers it.
async fn certificate_of_new_body(app: &App) -> zhengshu_domain::Certificate {
    let mut c = zhengshu_demo::showcase_certificates()[0].clone();
    c.number = zhengshu_domain::CertificateNumber::parse("NEW2026000001").unwrap();
    c.qualification = zhengshu_domain::QualificationCode::parse("new_type").unwrap();
    c.issue_date = jiff::civil::date(2026, 1, 5);
    c.photo = None;
    let mut tx = app
        .store
        .begin_import(&Actor::Cli("test".into()))
        .await
        .unwrap();
    tx.write(&[c.clone()], false, app.clock.now_ts())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.store.certificate_by_number(&c.number).await.unwrap()
}

#[tokio::test]
async fn a_body_added_in_the_console_gets_its_seal_and_its_documents_render() {
    let keys = tempfile::tempdir().unwrap();
    let renderer = std::sync::Arc::new(own_renderer(keys.path(), false));
    // Another process (a worker) that loaded the keys before the body existed.
    let worker = own_renderer(keys.path(), false);
    let app = app_with(|s| s.renderer = Some(renderer.clone())).await;
    let (mut op, _) = staff(&app, "operator1", None, Role::Operator).await;
    let a = post(
        &app,
        &mut op,
        "/console/bodies",
        "/console/bodies",
        &[("code", "new_body"), ("name", "新设机构")],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("并已生成其电子印章"), "{}", a.body);
    assert!(keys.path().join("seals/new_body.pem").exists());
    let e = &events(&app).await[0];
    assert_eq!(e.action, "seal.create");
    let fingerprint = renderer.pki().seal("new_body").unwrap().fingerprint();
    assert!(e.after.as_deref().unwrap().contains(&fingerprint));

    // Listed with its subject, validity and fingerprint, beside the
    // ministry's and every other body's.
    let seals = op.get(&app, "/console/seals").await;
    assert_eq!(seals.status, StatusCode::OK);
    for code in ["ministry", A, "new_body"] {
        assert!(
            seals.body.contains(&format!("id=\"seal-{code}\"")),
            "{code}"
        );
    }
    assert!(seals.body.contains(&fingerprint));
    assert!(!seals.body.contains("class=\"no-seal\""), "{}", seals.body);

    // Its certificates render, here and in the process that loaded the
    // keys before — which takes the seal from the directory.
    let t = post(
        &app,
        &mut op,
        "/console/types",
        "/console/types",
        &[
            ("code", "new_type"),
            ("name", "新资格"),
            ("body", "new_body"),
        ],
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    let certificate = certificate_of_new_body(&app).await;
    let at = app.clock.now_ts();
    for r in [&*renderer, &worker] {
        let pdf = r
            .render(
                &certificate,
                zhengshu_document::Issue::Plain {
                    verification_code: "NEWBODY1",
                },
                at,
            )
            .unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
    assert_eq!(
        worker.pki().seal("new_body").unwrap().fingerprint(),
        fingerprint,
        "the worker took the same seal, made none of its own"
    );
    zhengshu_storage_story::verify_whole_chain(&*app.store).await;
}

#[tokio::test]
async fn with_an_imported_root_a_new_body_is_shown_without_a_seal_and_the_command() {
    let keys = tempfile::tempdir().unwrap();
    let renderer = std::sync::Arc::new(own_renderer(keys.path(), true));
    let app = app_with(|s| s.renderer = Some(renderer.clone())).await;
    let (mut op, _) = staff(&app, "operator1", None, Role::Operator).await;
    op.accept_language = Some("en".into());
    let a = post(
        &app,
        &mut op,
        "/console/bodies",
        "/console/bodies",
        &[("code", "new_body"), ("name", "新设机构")],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        a.body.contains("zhengshu keys import --seal new_body"),
        "{}",
        a.body
    );
    assert!(!keys.path().join("seals/new_body.pem").exists());
    let seals = op.get(&app, "/console/seals").await;
    let row = seals.body.split("id=\"seal-new_body\"").nth(1).unwrap();
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("class=\"no-seal\""), "{row}");
    assert!(row.contains("zhengshu keys import --seal new_body"));
    let t = post(
        &app,
        &mut op,
        "/console/types",
        "/console/types",
        &[
            ("code", "new_type"),
            ("name", "新资格"),
            ("body", "new_body"),
        ],
    )
    .await;
    assert_eq!(t.status, StatusCode::OK);
    let certificate = certificate_of_new_body(&app).await;
    let refused = renderer.render(
        &certificate,
        zhengshu_document::Issue::Plain {
            verification_code: "NEWBODY1",
        },
        app.clock.now_ts(),
    );
    assert!(
        matches!(refused, Err(zhengshu_document::DocumentError::NoSealKey(ref c)) if c == "new_body"),
        "{refused:?}"
    );
}
