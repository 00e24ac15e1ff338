//! What the console says of an import's refused rows and of uploads
//! nobody will finish: each refusal's reason in the page's language
//! (zh-CN, zh-TW, English), the rejects file with each reason's stable
//! code beside it; a check whose process ended is failed by the sweep and
//! its page says so and stops refreshing; a checked upload never
//! confirmed is cleaned up after a day.

use axum::http::StatusCode;
use jiff::SignedDuration;
use zhengshu_domain::{BodyCode, Role};
use zhengshu_storage::{NewUpload, Storage, UploadState};

use crate::console::staff;
use crate::helpers::*;
use crate::imports::{A, every_kind, imports_app, settled, upload, upload_id};

/// Each refused line of [`every_kind`], its reason's code and what the
/// reason says in zh-CN, zh-TW and English.
const REASONS: &[(u64, &str, [&str; 3])] = &[
    (
        3,
        "required",
        ["必填，但为空", "必填，但為空", "Required, but empty"],
    ),
    (4, "id_bad_check_digit", ["校验位", "校驗位", "check digit"]),
    (
        5,
        "qualification_unknown",
        [
            "不是本机构的资格类型",
            "不是本機構的資格類型",
            "is not a qualification type",
        ],
    ),
    (
        6,
        "date_invalid",
        [
            "“2023-13-01”不是 年-月-日",
            "「2023-13-01」不是 年-月-日",
            "is not a date of the form YYYY-MM-DD",
        ],
    ),
    (
        7,
        "id_type_unknown",
        [
            "未知的证件类型“no_such_type”",
            "未知的證件類型「no_such_type」",
            "Unknown ID type",
        ],
    ),
    (
        8,
        "duplicate",
        [
            "证书 ZY9001 已在第 2 行出现",
            "證書 ZY9001 已在第 2 列出現",
            "appears already on line 2",
        ],
    ),
    (
        9,
        "field_count",
        [
            "该行有 5 个字段，表头有 7 个",
            "該列有 5 個欄位，表頭有 7 個",
            "The row has 5 fields, the header has 7",
        ],
    ),
    (
        11,
        "sex_invalid",
        [
            "“X”不是有效的性别",
            "「X」不是有效的性別",
            "\"X\" is not a sex",
        ],
    ),
    (
        12,
        "exists",
        ["已存在，不会被覆盖", "已存在，不會被覆寫", "exists already"],
    ),
];

#[tokio::test]
async fn refusal_reasons_are_in_the_pages_language_with_their_codes_in_the_file() {
    let (app, _photos) = imports_app().await;
    let (mut officer, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let id = upload_id(&upload(&app, &mut officer, "certs.csv", every_kind().as_bytes()).await);
    settled(&app, A, id).await;
    let page = format!("/console/imports/{id}");
    for (n, lang) in ["zh-CN", "zh-TW", "en"].into_iter().enumerate() {
        officer.accept_language = Some(lang.into());
        let p = officer.get(&app, &page).await;
        assert_eq!(p.status, StatusCode::OK);
        // Askama escapes quotes; compare with the page's text.
        let text = p.body.replace("&quot;", "\"").replace("&#34;", "\"");
        for (line, _, said) in REASONS {
            assert!(
                text.contains(said[n]),
                "{lang}: line {line} does not say {:?}: {text}",
                said[n]
            );
        }
        if lang != "en" {
            assert!(!text.contains("required, but empty"), "{lang}: {text}");
        }
        let csv = officer.get(&app, &format!("{page}/rejects.csv")).await;
        let mut lines = csv.body.lines();
        assert_eq!(lines.next(), Some("line,column,code,reason"));
        let rows: Vec<&str> = lines.collect();
        for (line, code, said) in REASONS {
            let row = rows
                .iter()
                .find(|r| r.starts_with(&format!("{line},")))
                .unwrap_or_else(|| panic!("no line {line}: {}", csv.body));
            assert!(row.contains(&format!(",\"{code}\",")), "{row}");
            assert!(row.replace("\"\"", "\"").contains(said[n]), "{lang}: {row}");
        }
    }
}

/// An upload as a process that ended would leave it: checking, its
/// file kept, nobody at work on it.
async fn left_checking(app: &App) -> i64 {
    let e = zhengshu_domain::NewAuditEvent {
        context: Default::default(),
        actor: zhengshu_domain::Actor::Staff("officer_a".into()),
        action: "import.upload".into(),
        subject: String::new(),
        before: None,
        after: None,
    };
    app.store
        .create_upload(
            &NewUpload {
                body: BodyCode::parse(A).unwrap(),
                created_by: "staff:officer_a".into(),
                file_name: "certs.csv".into(),
                content: every_kind().into_bytes(),
                state: UploadState::Checking,
                valid_only: false,
            },
            &e,
            app.clock.now_ts(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn uploads_nobody_will_finish_end_and_their_pages_say_so() {
    let (app, _photos) = imports_app().await;
    let (mut officer, _) = staff(&app, "officer_a", Some(A), Role::Officer).await;
    let stopped = left_checking(&app).await;
    let checked =
        upload_id(&upload(&app, &mut officer, "certs.csv", every_kind().as_bytes()).await);
    assert_eq!(settled(&app, A, checked).await.state, UploadState::Checked);
    let page = |id: i64| format!("/console/imports/{id}");

    // A minute on, the check may still be at work: the page follows it.
    app.clock.advance(SignedDuration::from_mins(1));
    assert_eq!(
        zhengshu_web::sweep_uploads(&app.state).await.unwrap(),
        (0, 0)
    );
    let p = officer.get(&app, &page(stopped)).await;
    assert!(p.body.contains("http-equiv=\"refresh\""));

    // Silent for more than two minutes: its process ended.
    app.clock.advance(SignedDuration::from_mins(2));
    assert_eq!(
        zhengshu_web::sweep_uploads(&app.state).await.unwrap(),
        (1, 0)
    );
    let p = officer.get(&app, &page(stopped)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("http-equiv=\"refresh\""), "{}", p.body);
    assert!(p.body.contains("进程已停止"), "{}", p.body);
    assert!(!p.body.contains("id=\"confirm\""));
    officer.accept_language = Some("en".into());
    let p = officer.get(&app, &page(stopped)).await;
    assert!(p.body.contains("stopped before it finished"), "{}", p.body);
    officer.accept_language = None;
    assert_eq!(
        app.store.upload(checked, A).await.unwrap().state,
        UploadState::Checked
    );

    // A day after its check, the checked upload nobody confirmed ends and
    // its file goes; it can no longer be confirmed.
    app.clock.advance(SignedDuration::from_hours(24));
    assert_eq!(
        zhengshu_web::sweep_uploads(&app.state).await.unwrap(),
        (0, 1)
    );
    // (The console session ended meanwhile: a colleague signs in.)
    let (mut officer, _) = staff(&app, "officer_a2", Some(A), Role::Officer).await;
    let p = officer.get(&app, &page(checked)).await;
    assert!(p.body.contains("一天内未确认导入"), "{}", p.body);
    assert!(!p.body.contains("id=\"confirm\""));
    assert!(app.store.upload_content(checked, A).await.is_err());
    let before = app.store.count_certificates().await.unwrap();
    let csrf = officer.get(&app, &page(checked)).await.csrf();
    let a = officer
        .post_raw(
            &app,
            &format!("/console/imports/{checked}/confirm"),
            &[("csrf", &csrf), ("mode", "valid")],
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert_eq!(app.store.count_certificates().await.unwrap(), before);
}
