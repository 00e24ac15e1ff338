//! An issuing body's imports in the console and over the import API: each
//! kind of refused row in the report with its line and column (page,
//! rejects file and API alike); an undecodable photo refused as a row; all
//! or nothing holding when chosen (nothing of a refused file visible), the
//! valid rows only when asked; hostile zips refused with a clear message
//! and nothing stored; import tokens issued and revoked by the body's
//! admin only, scoped to their body, refused once revoked; the status URL
//! reporting the counts the page shows; every step audited in the chain.

use std::io::{Cursor, Write};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use zhengshu_domain::{CertificateNumber, Role};
use zhengshu_storage::{Storage, StorageError, Upload};

use crate::console::staff;
use crate::helpers::{Answer, App, Browser, agreed_token, api, app_with, send, zhang};

pub const A: &str = "pharmacist_center";
pub const B: &str = "economist_association";

/// An application that keeps imported photos (in the answered folder).
pub async fn imports_app() -> (App, tempfile::TempDir) {
    let photos = tempfile::tempdir().unwrap();
    let path = photos.path().to_path_buf();
    (app_with(move |s| s.photo_store = Some(path)).await, photos)
}

pub const HEADER: &str = "certificate_number,name,id_type,id_number,qualification,issue_date,sex";

/// Every kind of refused row, by line (the header is line 1) and column.
pub const KINDS: &[(u64, &str)] = &[
    (3, "certificate_number"),
    (4, "id_number"),
    (5, "qualification"),
    (6, "issue_date"),
    (7, "id_type"),
    (8, "certificate_number"),
    (9, ""),
    (10, "name"),
    (11, "sex"),
    (12, "certificate_number"),
];

/// Two valid rows and one of each refused kind of [`KINDS`].
pub fn every_kind() -> String {
    let ok = "张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,男";
    [
        HEADER.to_owned(),
        format!("ZY9001,{ok}"),
        format!(",{ok}"),
        "ZY9003,张三,resident_id,110105194912310021,licensed_pharmacist,2023-06-01,男".into(),
        "ZY9004,张三,resident_id,11010519491231002X,economist,2023-06-01,男".into(),
        "ZY9005,张三,resident_id,11010519491231002X,licensed_pharmacist,2023-13-01,男".into(),
        "ZY9006,张三,no_such_type,11010519491231002X,licensed_pharmacist,2023-06-01,男".into(),
        format!("ZY9001,{ok}"),
        "ZY9009,张三,resident_id,11010519491231002X,licensed_pharmacist".into(),
        "ZY9010,,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,男".into(),
        "ZY9011,张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,X".into(),
        format!("{},{ok}", zhengshu_demo::PHARMACIST_NUMBER),
        format!("ZY9013,{ok}"),
    ]
    .join("\n")
        + "\n"
}

pub fn multipart(csrf: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----zhengshuTestBoundary7MA4YWxk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn cookies(b: &Browser) -> String {
    b.cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Uploads a file through the console's form.
pub async fn upload(app: &App, b: &mut Browser, name: &str, bytes: &[u8]) -> Answer {
    let csrf = b.get(app, "/console/imports").await.csrf();
    let (kind, body) = multipart(&csrf, name, bytes);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/console/imports")
        .header(header::COOKIE, cookies(b))
        .header(header::CONTENT_TYPE, kind)
        .body(Body::from(body))
        .unwrap();
    send(&app.router, req).await
}

/// The id of the upload a redirect leads to.
pub fn upload_id(a: &Answer) -> i64 {
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    a.location()
        .strip_prefix("/console/imports/")
        .unwrap()
        .parse()
        .unwrap()
}

/// The upload once its check or import has ended (waits for the
/// background work, boundedly).
pub async fn settled(app: &App, body: &str, id: i64) -> Upload {
    for _ in 0..6000 {
        let u = app.store.upload(id, body).await.unwrap();
        if !u.state.running() {
            return u;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("upload {id} still running");
}

fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let at = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"))
        + start.len();
    &body[at..at + body[at..].find(end).unwrap()]
}

fn count(page: &str, id: &str) -> i64 {
    between(page, &format!("id=\"count-{id}\">"), "<")
        .parse()
        .unwrap()
}

fn refusal_cell(line: u64, column: &str) -> String {
    format!("<tr><td class=\"line\">{line}</td><td class=\"column\">{column}</td>")
}

/// Posts a console form with the CSRF token of the log-in page (which
/// every visitor can open).
async fn post(app: &App, b: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Answer {
    let csrf = b.get(app, "/console/login").await.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    b.post_raw(app, path, &all).await
}

async fn confirm(app: &App, b: &mut Browser, id: i64, mode: &str) -> Answer {
    post(
        app,
        b,
        &format!("/console/imports/{id}/confirm"),
        &[("mode", mode)],
    )
    .await
}

fn number(n: &str) -> CertificateNumber {
    CertificateNumber::parse(n).unwrap()
}

async fn actions(app: &App) -> Vec<String> {
    app.store
        .audit_events(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn every_refused_row_kind_is_reported_by_line_and_column() {
    let (app, _photos) = imports_app().await;
    let (mut officer, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let id = upload_id(&upload(&app, &mut officer, "certs.csv", every_kind().as_bytes()).await);
    let u = settled(&app, A, id).await;
    assert_eq!(u.state.code(), "checked", "{u:?}");
    assert_eq!((u.counts.rows, u.counts.refused), (12, 10));

    // The page follows the check: the preview with every refusal.
    let page = officer.get(&app, &format!("/console/imports/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    assert_eq!(count(&page.body, "rows"), 12);
    assert_eq!(count(&page.body, "valid"), 2);
    assert_eq!(count(&page.body, "refused"), 10);
    for (line, column) in KINDS {
        assert!(
            page.body.contains(&refusal_cell(*line, column)),
            "line {line} column {column} missing: {}",
            page.body
        );
    }
    assert!(page.body.contains("id=\"confirm\""));
    assert!(page.body.contains("确认导入"));

    // The rejects file: the same refusals, safe for spreadsheets.
    let csv = officer
        .get(&app, &format!("/console/imports/{id}/rejects.csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.header("content-type")
            .is_some_and(|t| t.starts_with("text/csv"))
    );
    assert!(
        csv.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment"))
    );
    let mut lines = csv.body.lines();
    assert_eq!(lines.next(), Some("line,column,code,reason"));
    let rows: Vec<(u64, String)> = lines
        .map(|l| {
            let (line, rest) = l.split_once(',').unwrap();
            let column = rest.split(',').next().unwrap().trim_matches('"').to_owned();
            (line.parse().unwrap(), column)
        })
        .collect();
    for (line, column) in KINDS {
        assert!(
            rows.iter().any(|(l, c)| l == line && c == column),
            "rejects file lacks line {line} {column}: {}",
            csv.body
        );
    }
    // Nothing was written by the check.
    assert!(matches!(
        app.store.certificate_by_number(&number("ZY9001")).await,
        Err(StorageError::NotFound)
    ));
    // Another body's officer, an auditor of the same body: nothing.
    let (mut officer_b, _) = staff(&app, "officer_b", Some(B), Role::Officer).await;
    let (mut auditor, _) = staff(&app, "auditor_a", Some(A), Role::Auditor).await;
    for b in [&mut officer_b, &mut auditor] {
        for path in [
            format!("/console/imports/{id}"),
            format!("/console/imports/{id}/rejects.csv"),
        ] {
            let a = b.get(&app, &path).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
            assert!(!a.body.contains("ZY9001"));
        }
        let a = confirm(&app, b, id, "valid").await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
    }
    assert!(actions(&app).await.contains(&"import.upload".to_owned()));
    crate::console::chain_ok(&app).await;
}

#[tokio::test]
async fn all_or_nothing_leaves_nothing_and_valid_rows_only_imports_them() {
    let (app, _photos) = imports_app().await;
    let (mut officer, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let file = every_kind();
    let before = app.store.count_certificates().await.unwrap();

    let id = upload_id(&upload(&app, &mut officer, "certs.csv", file.as_bytes()).await);
    settled(&app, A, id).await;
    let a = confirm(&app, &mut officer, id, "all").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let u = settled(&app, A, id).await;
    assert_eq!(u.state.code(), "imported");
    assert_eq!((u.counts.inserted, u.counts.refused), (0, 10));
    let page = officer.get(&app, &format!("/console/imports/{id}")).await;
    assert!(page.body.contains("id=\"import-nothing\""), "{}", page.body);
    assert_eq!(count(&page.body, "inserted"), 0);
    // Nothing of the refused file is visible.
    assert_eq!(app.store.count_certificates().await.unwrap(), before);
    for n in ["ZY9001", "ZY9013"] {
        assert!(matches!(
            app.store.certificate_by_number(&number(n)).await,
            Err(StorageError::NotFound)
        ));
    }
    // It is imported once: a second confirmation is refused.
    let again = confirm(&app, &mut officer, id, "valid").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(app.store.count_certificates().await.unwrap(), before);

    // The same file, the valid rows only.
    let id = upload_id(&upload(&app, &mut officer, "certs.csv", file.as_bytes()).await);
    settled(&app, A, id).await;
    let a = confirm(&app, &mut officer, id, "valid").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let u = settled(&app, A, id).await;
    assert_eq!((u.counts.inserted, u.counts.refused), (2, 10));
    let page = officer.get(&app, &format!("/console/imports/{id}")).await;
    assert!(page.body.contains("id=\"import-done\""), "{}", page.body);
    assert_eq!(count(&page.body, "inserted"), 2);
    assert_eq!(app.store.count_certificates().await.unwrap(), before + 2);
    let c = app
        .store
        .certificate_by_number(&number("ZY9013"))
        .await
        .unwrap();
    assert_eq!(c.body.as_str(), A);

    let all = actions(&app).await;
    for action in ["import.upload", "import.confirm", "certificate.import"] {
        assert!(all.contains(&action.to_owned()), "{action}: {all:?}");
    }
    crate::console::chain_ok(&app).await;
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, o).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[tokio::test]
async fn an_undecodable_photo_is_refused_and_hostile_zips_are_refused_whole() {
    let (app, photos) = imports_app().await;
    let (mut officer, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let csv = "certificate_number,name,id_type,id_number,qualification,issue_date,photo\n\
        ZY7001,张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,photos/broken.jpg\n\
        ZY7002,张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,\n";
    let broken = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[0x55; 300][..]].concat();
    let zip = zip_of(&[
        ("certs.csv", csv.as_bytes()),
        ("photos/broken.jpg", &broken),
    ]);
    let id = upload_id(&upload(&app, &mut officer, "certs.zip", &zip).await);
    let u = settled(&app, A, id).await;
    assert_eq!((u.counts.rows, u.counts.refused), (2, 1));
    let page = officer.get(&app, &format!("/console/imports/{id}")).await;
    assert!(
        page.body.contains(&refusal_cell(2, "photo")),
        "{}",
        page.body
    );
    assert!(page.body.contains("无法解码为图像"), "{}", page.body);
    // The valid row imports; the broken photo is stored nowhere.
    confirm(&app, &mut officer, id, "valid").await;
    let u = settled(&app, A, id).await;
    assert_eq!(u.counts.inserted, 1);
    assert!(
        std::fs::read_dir(photos.path())
            .map(|d| d.count() == 0)
            .unwrap_or(true)
    );

    // Hostile zips: refused on the form with what is wrong, nothing stored.
    let listed = app.store.uploads_of(A, 100).await.unwrap().len();
    let bomb = zip_of(&[
        ("certs.csv", csv.as_bytes()),
        ("p/big.png", &vec![0; 3 << 20]),
    ]);
    for (zip, message) in [
        (zip_of(&[("../certs.csv", csv.as_bytes())]), "名称无效"),
        (bomb, "过大"),
        (zip_of(&[("photos/a.png", b"x")]), "没有 CSV 文件"),
        (b"PK\x03\x04garbage".to_vec(), "无法读取该 zip 压缩包"),
    ] {
        let a = upload(&app, &mut officer, "evil.zip", &zip).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert!(a.body.contains(message), "{message}: {}", a.body);
        assert!(a.body.contains("id=\"file-error\""));
    }
    let a = upload(&app, &mut officer, "empty.csv", b"").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.uploads_of(A, 100).await.unwrap().len(), listed);
}

/// Issues an import token on the console; answers it.
async fn issue(app: &App, admin: &mut Browser, label: &str) -> String {
    let a = admin
        .submit(
            app,
            "/console/tokens",
            "/console/tokens",
            &[("label", label)],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    between(&a.body, "id=\"token-secret\">", "<").to_owned()
}

async fn api_upload(app: &App, token: Option<&str>, query: &str, bytes: &[u8]) -> Answer {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/console/imports{query}"))
        .header(header::CONTENT_TYPE, "text/csv");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(&app.router, b.body(Body::from(bytes.to_vec())).unwrap()).await
}

/// The status of an API import once it has ended.
async fn api_settled(app: &App, token: &str, url: &str) -> Value {
    for _ in 0..6000 {
        let a = api(app, Method::GET, url, Some(token), None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let v = a.json();
        if !matches!(v["state"].as_str(), Some("importing" | "checking")) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{url} still running");
}

#[tokio::test]
async fn import_tokens_are_scoped_revocable_and_report_the_pages_counts() {
    let (app, _photos) = imports_app().await;
    let (mut admin_a, _) = staff(&app, "admin_a", Some(A), Role::Admin).await;
    let (mut officer_a, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let (mut admin_b, _) = staff(&app, "admin_b", Some(B), Role::Admin).await;
    // Only admins manage tokens.
    assert_eq!(
        officer_a.get(&app, "/console/tokens").await.status,
        StatusCode::NOT_FOUND
    );
    let token_a = issue(&app, &mut admin_a, "registry sync").await;
    let token_b = issue(&app, &mut admin_b, "b's sync").await;
    assert!(token_a.starts_with("zsi_") && token_a != token_b);
    // Shown once: the list does not show it again.
    let list = admin_a.get(&app, "/console/tokens").await;
    assert!(list.body.contains("registry sync"));
    assert!(!list.body.contains(&token_a));
    assert!(!list.body.contains("b&#x27;s sync") && !list.body.contains("b's sync"));

    // The API imports at once; its status has the counts the page showed
    // for the same file (checked first, on the same data).
    let file = every_kind();
    let page_id = upload_id(&upload(&app, &mut officer_a, "certs.csv", file.as_bytes()).await);
    settled(&app, A, page_id).await;
    let page = officer_a
        .get(&app, &format!("/console/imports/{page_id}"))
        .await;
    let a = api_upload(
        &app,
        Some(&token_a),
        "?mode=valid&name=certs.csv",
        file.as_bytes(),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let url = a.json()["status_url"].as_str().unwrap().to_owned();
    assert_eq!(a.location(), url);
    let status = api_settled(&app, &token_a, &url).await;
    assert_eq!(status["state"], "imported", "{status}");
    assert_eq!(status["inserted"], 2);
    for key in ["rows", "valid", "refused"] {
        assert_eq!(
            status[key].as_i64().unwrap(),
            count(&page.body, key),
            "{key}"
        );
    }
    let refusals = status["refusals"].as_array().unwrap();
    for (line, column) in KINDS {
        assert!(page.body.contains(&refusal_cell(*line, column)));
        assert!(
            refusals
                .iter()
                .any(|r| r["line"] == *line && r["column"].as_str().unwrap_or("") == *column),
            "API lacks line {line} {column}: {status}"
        );
    }
    // Each with its reason's stable code.
    assert!(
        refusals
            .iter()
            .any(|r| r["line"] == 4 && r["code"] == "id_bad_check_digit"),
        "{status}"
    );
    // The token's upload is listed on the body's page.
    let list = officer_a.get(&app, "/console/imports").await;
    assert!(list.body.contains("import-token:"));

    // Another body's token sees nothing of it; no token, a holder's
    // session token, a made-up one: 401.
    let other = api(&app, Method::GET, &url, Some(&token_b), None).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(!other.body.contains("ZY9001"));
    zhang(&app).await;
    let holder = agreed_token(&app, zhengshu_demo::DEMO.username).await;
    for t in [None, Some(holder.as_str()), Some("zsi_0000")] {
        assert_eq!(
            api(&app, Method::GET, &url, t, None).await.status,
            StatusCode::UNAUTHORIZED
        );
        let a = api_upload(&app, t, "", file.as_bytes()).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.code(), "unauthenticated");
    }
    // Token B imports into B only: of the same file, the one row of B's
    // qualification type; A's rows are refused.
    let b_import = api_upload(&app, Some(&token_b), "?mode=valid", file.as_bytes()).await;
    let b_url = b_import.json()["status_url"].as_str().unwrap().to_owned();
    let b_status = api_settled(&app, &token_b, &b_url).await;
    assert_eq!(b_status["inserted"], 1, "{b_status}");
    let c = app
        .store
        .certificate_by_number(&number("ZY9004"))
        .await
        .unwrap();
    assert_eq!(c.body.as_str(), B);
    assert_eq!(
        api(&app, Method::GET, &b_url, Some(&token_a), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Bad input: a clear refusal, nothing stored.
    let stored = app.store.uploads_of(A, 100).await.unwrap().len();
    let a = api_upload(&app, Some(&token_a), "?mode=some", file.as_bytes()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let zip = zip_of(&[("../certs.csv", file.as_bytes())]);
    let a = api_upload(&app, Some(&token_a), "", &zip).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("名称无效"), "{}", a.body);
    assert_eq!(app.store.uploads_of(A, 100).await.unwrap().len(), stored);

    // Revocation: B's admin cannot revoke A's token; A's admin can, once.
    let token_id = app
        .store
        .import_tokens(A)
        .await
        .unwrap()
        .first()
        .unwrap()
        .id;
    let token_field = token_id.to_string();
    let fields = [("token", token_field.as_str())];
    let revoke = "/console/tokens/revoke";
    assert_eq!(
        post(&app, &mut admin_b, revoke, &fields).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&app, &mut officer_a, revoke, &fields).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api(&app, Method::GET, &url, Some(&token_a), None)
            .await
            .status,
        StatusCode::OK
    );
    let done = post(&app, &mut admin_a, revoke, &fields).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"token-revoked\""));
    assert_eq!(
        post(&app, &mut admin_a, revoke, &fields).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api(&app, Method::GET, &url, Some(&token_a), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let a = api_upload(&app, Some(&token_a), "", file.as_bytes()).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.store.uploads_of(A, 100).await.unwrap().len(), stored);
    // Token B still works.
    assert_eq!(
        api(&app, Method::GET, &b_url, Some(&token_b), None)
            .await
            .status,
        StatusCode::OK
    );

    let all = actions(&app).await;
    for action in ["import_token.issue", "import_token.revoke", "import.upload"] {
        assert!(all.contains(&action.to_owned()), "{action}: {all:?}");
    }
    crate::console::chain_ok(&app).await;
}

#[tokio::test]
async fn the_openapi_document_lists_the_import_routes_with_their_statuses() {
    let (app, _photos) = imports_app().await;
    let doc = api(&app, Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    let post = &doc["paths"]["/api/v1/console/imports"]["post"]["responses"];
    for status in ["202", "401", "413", "422", "503"] {
        assert!(post.get(status).is_some(), "POST {status}: {post}");
    }
    let get = &doc["paths"]["/api/v1/console/imports/{id}"]["get"]["responses"];
    for status in ["200", "401", "404"] {
        assert!(get.get(status).is_some(), "GET {status}: {get}");
    }
    assert!(doc["components"]["securitySchemes"]["import_token"].is_object());
}
