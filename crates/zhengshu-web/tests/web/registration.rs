//! 用户注册: every validation error, on the API and on the page, the two
//! conflicts with their hints, and names stored as typed (NFC, rare
//! characters included).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use zhengshu_domain::Username;
use zhengshu_storage::Storage;

use crate::helpers::*;

fn valid() -> Value {
    json!({
        "name": "李四",
        "id_type": "resident_id",
        "id_number": "110101199003070011",
        "username": "lisi",
        "password": "Zq8-lamp-river",
    })
}

fn with(field: &str, value: &str) -> Value {
    let mut v = valid();
    v[field] = json!(value);
    v
}

/// Every way a field can be refused: the body, the field and the code.
fn refusals() -> Vec<(Value, &'static str, &'static str)> {
    vec![
        (with("name", "  "), "name", "name_empty"),
        (with("name", &"张".repeat(51)), "name", "name_too_long"),
        (with("name", "张<三>"), "name", "name_bad_char"),
        (with("name", "..."), "name", "name_no_letter"),
        (
            with("name", &format!("a{}", "\u{0301}".repeat(40))),
            "name",
            "name_too_many_marks",
        ),
        (
            with("id_type", "library_card"),
            "id_type",
            "id_type_unknown",
        ),
        (with("id_number", ""), "id_number", "id_empty"),
        (
            with("id_number", "１１０１０１１９９００３０７００１１"),
            "id_number",
            "id_not_ascii",
        ),
        (
            with("id_number", "11010119900307001"),
            "id_number",
            "id_wrong_length",
        ),
        (
            with("id_number", "11010119900307001Y"),
            "id_number",
            "id_not_digits",
        ),
        (
            with("id_number", "990101199003070011"),
            "id_number",
            "id_bad_region",
        ),
        (
            with("id_number", "110101199002300011"),
            "id_number",
            "id_bad_birth_date",
        ),
        (
            with("id_number", "110101199003070012"),
            "id_number",
            "id_bad_check_digit",
        ),
        (
            {
                let mut v = with("id_type", "passport");
                v["id_number"] = json!("E1");
                v
            },
            "id_number",
            "id_bad_format",
        ),
        (with("username", "ab"), "username", "username_length"),
        (with("username", "li si"), "username", "username_bad_char"),
        (with("username", "4lisi"), "username", "username_start"),
        (with("password", "Short1"), "password", "password_length"),
        (
            with("password", "onlyletters"),
            "password",
            "password_too_simple",
        ),
        (
            with("password", "password1"),
            "password",
            "password_weak_common",
        ),
        (
            with("password", "aaaaaaa1"),
            "password",
            "password_weak_common",
        ),
        (
            with("password", "LISI-lamp-river-7"),
            "password",
            "password_is_username",
        ),
        (
            {
                let mut v = with("username", "lantern7");
                v["password"] = json!("LANTERN7");
                v
            },
            "password",
            "password_is_username",
        ),
    ]
}

#[tokio::test]
async fn every_validation_error_is_a_field_error_in_the_requests_language() {
    let app = app().await;
    for (body, field, code) in refusals() {
        let mut messages = Vec::new();
        for lang in ["zh-CN", "zh-TW", "en"] {
            let a = api_lang(
                &app,
                Method::POST,
                "/api/v1/holders",
                None,
                Some(body.clone()),
                Some(lang),
            )
            .await;
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{code}: {}",
                a.body
            );
            assert_eq!(a.code(), "validation_failed");
            let fields = a.json()["error"]["fields"].as_array().unwrap().clone();
            assert_eq!(fields.len(), 1, "{code}: {fields:?}");
            assert_eq!(fields[0]["field"], field, "{code}");
            assert_eq!(fields[0]["code"], code);
            let message = fields[0]["message"].as_str().unwrap().to_owned();
            assert!(
                !message.is_empty() && !message.starts_with("field-"),
                "{message}"
            );
            assert_eq!(a.header("content-language"), Some(lang));
            messages.push(message);
        }
        assert_ne!(messages[0], messages[2], "{code}: zh-CN and en differ");
        assert_ne!(messages[0], messages[1], "{code}: zh-CN and zh-TW differ");
    }
    // Nothing was created.
    assert!(
        app.store
            .holder_by_username(&Username::parse("lisi").unwrap())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn all_refused_fields_are_reported_at_once_and_bad_json_is_400() {
    let app = app().await;
    let a = api(&app, Method::POST, "/api/v1/holders", None, Some(json!({}))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = a.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["name", "id_type", "username", "password"]);
    let a = api(
        &app,
        Method::POST,
        "/api/v1/holders",
        None,
        Some(json!([1, 2])),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.code(), "bad_request");
}

#[tokio::test]
async fn the_check_digit_message_says_what_is_wrong() {
    let app = app().await;
    let body = with("id_number", "110101199003070012");
    let a = api_lang(
        &app,
        Method::POST,
        "/api/v1/holders",
        None,
        Some(body.clone()),
        Some("zh-CN"),
    )
    .await;
    assert!(a.body.contains("校验位"), "{}", a.body);
    let a = api_lang(
        &app,
        Method::POST,
        "/api/v1/holders",
        None,
        Some(body),
        Some("en"),
    )
    .await;
    assert!(a.body.contains("check digit"), "{}", a.body);
}

#[tokio::test]
async fn a_username_is_taken_once_an_id_document_any_number_of_times() {
    let app = app().await;
    let a = api(&app, Method::POST, "/api/v1/holders", None, Some(valid())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["username"], "lisi");

    // The same username again.
    let a = api(
        &app,
        Method::POST,
        "/api/v1/holders",
        None,
        Some(with("id_number", "11010519491231002X")),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.code(), "username_taken");

    // The same ID document with another username: created like any
    // other, so registration never tells whether a number is registered.
    let mut second = with("username", "lisi2");
    second["name"] = json!("李四四");
    let a = api(&app, Method::POST, "/api/v1/holders", None, Some(second)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);

    // On the page: the same, back to the log-in.
    let mut b = Browser::new();
    let page = b
        .submit(
            &app,
            "/register",
            "/register",
            &[
                ("name", "李四四"),
                ("id_type", "resident_id"),
                ("id_number", "110101199003070011"),
                ("username", "lisi3"),
                ("password", "Zq8-lamp-river"),
                ("password_confirmation", "Zq8-lamp-river"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(page.location().starts_with("/login?registered=1"));
}

#[tokio::test]
async fn the_page_shows_each_refusal_beside_its_field_and_keeps_the_input() {
    let app = app().await;
    let mut b = Browser::new();
    let a = b
        .submit(
            &app,
            "/register",
            "/register",
            &[
                ("name", ""),
                ("id_type", "resident_id"),
                ("id_number", "110101199003070012"),
                ("username", "lisi"),
                ("password", "Zq8-lamp-river"),
                ("password_confirmation", "Secret-2025"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, text) in [
        ("name", "请填写持证人姓名"),
        ("id_number", "校验位"),
        ("password_confirmation", "两次输入的密码不一致"),
    ] {
        assert!(a.body.contains(&format!("id=\"{field}-error\"")), "{field}");
        assert!(a.body.contains(text), "{text}");
        assert!(
            a.body.contains(&format!("href=\"#{field}\"")),
            "summary links {field}"
        );
    }
    assert!(
        a.body.contains("value=\"110101199003070012\""),
        "input kept"
    );
    assert!(a.body.contains("value=\"lisi\""));
    assert!(
        !a.body.contains("Zq8-lamp-river"),
        "passwords are never sent back"
    );
    // A taken username is a field error too.
    zhang(&app).await;
    let a = b
        .submit(
            &app,
            "/register",
            "/register",
            &[
                ("name", "李四"),
                ("id_type", "resident_id"),
                ("id_number", "110101199003070011"),
                ("username", "demo"),
                ("password", "Zq8-lamp-river"),
                ("password_confirmation", "Zq8-lamp-river"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body.contains("id=\"username-error\""));
    assert!(a.body.contains("该用户名已被使用"));
}

#[tokio::test]
async fn a_page_registration_with_a_rare_character_leads_to_the_log_in() {
    let app = app().await;
    let mut b = Browser::new();
    // Typed decomposed (e + combining acute) and with an Extension B
    // character: stored NFC, exactly.
    let a = b
        .submit(
            &app,
            "/register",
            "/register",
            &[
                ("name", "  Rene\u{301} 陈\u{2003E} "),
                ("id_type", "passport"),
                ("id_number", "e12345678"),
                ("username", "Rene.Chen"),
                ("password", "Zq8-lamp-river"),
                ("password_confirmation", "Zq8-lamp-river"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(
        a.location().starts_with("/login?registered=1"),
        "{}",
        a.location()
    );
    let login = b.get(&app, a.location()).await;
    assert!(login.body.contains("注册成功，请登录"));
    assert!(login.body.contains("value=\"Rene.Chen\""));
    let h = app
        .store
        .holder_by_username(&Username::parse("rene.chen").unwrap())
        .await
        .unwrap();
    assert_eq!(h.name.as_str(), "Ren\u{e9} 陈\u{2003E}");
    assert_eq!(h.id_document.number.expose(), "E12345678");
    assert!(h.password_hash.starts_with("$argon2id$"));
    let events = app
        .store
        .audit_events(Some(&format!("holder:{}", h.id)), 10)
        .await
        .unwrap();
    assert_eq!(events[0].action, "holder.register");
    assert!(
        !events[0].after.as_deref().unwrap().contains("12345678"),
        "masked"
    );
}

#[tokio::test]
async fn registrations_from_one_address_are_throttled_with_a_page_saying_how_long_to_wait() {
    let app = app_with(|s| s.identity_limits.registrations_per_client = 3).await;
    for i in 0..3 {
        let a = api(
            &app,
            Method::POST,
            "/api/v1/holders",
            None,
            Some(with("username", &format!("sweep{i}"))),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    // The fourth from the address: 429 with Retry-After, whatever the ID
    // number, and nothing made.
    let a = api(
        &app,
        Method::POST,
        "/api/v1/holders",
        None,
        Some(with("username", "sweep3")),
    )
    .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert_eq!(a.code(), "too_many_attempts");
    assert!(
        a.header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n > 0))
    );
    assert!(
        app.store
            .holder_by_username(&Username::parse("sweep3").unwrap())
            .await
            .is_err()
    );
    // The page says so in words, with the same status and header.
    let mut b = Browser::new();
    let page = b
        .submit(
            &app,
            "/register",
            "/register",
            &[
                ("name", "李四"),
                ("id_type", "resident_id"),
                ("id_number", "110101199003070011"),
                ("username", "sweep4"),
                ("password", "Zq8-lamp-river"),
                ("password_confirmation", "Zq8-lamp-river"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.header("retry-after").is_some());
    assert!(page.body.contains("尝试次数过多"), "{}", page.body);
    assert!(!page.body.contains("登录尝试"), "not the log-in's wording");
}
