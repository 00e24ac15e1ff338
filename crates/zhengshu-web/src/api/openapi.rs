//! The OpenAPI document of the JSON API, generated from the handlers'
//! annotations and the answer types (utoipa), served at
//! `/api/v1/openapi.json`. Answers every route of a kind can give (a body
//! that is not JSON of the expected shape, a missing token, a busy
//! database) are added to each operation of that kind by [`CommonAnswers`];
//! the others are in the handlers' annotations. Links join an application
//! to its annotation, document and withdrawal, so a client (and the
//! property-based test) can follow them.

use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "zhengshu",
        description = "Professional qualification e-certificates: the holder API. Errors are \
            `{\"error\": {\"code\", \"message\", \"fields\"}}` with the message in the request's \
            language (Accept-Language: zh-CN, zh-TW or en). Another holder's resource answers \
            404, never 403."
    ),
    paths(
        super::holders::register,
        super::holders::log_in,
        super::holders::log_out,
        super::holders::terms,
        super::holders::accept_terms,
        super::holders::me,
        super::recovery::request,
        super::recovery::reset,
        super::identity::state,
        super::identity::send_code,
        super::identity::prove_by_code,
        super::identity::prove_by_management_number,
        super::certificates::certificates,
        super::certificates::certificate,
        super::certificates::certificate_document,
        super::annotations::apply,
        super::annotations::annotations,
        super::annotations::annotation,
        super::annotations::annotation_document,
        super::annotations::withdraw,
        super::rarechars::rare_chars,
        super::scope::scope,
        super::verify::by_code,
        super::verify::by_number,
        super::verify::batch,
        super::verify_document::verify_document,
        super::console::upload,
        super::console::status,
    ),
    components(schemas(super::ErrorBody)),
    modifiers(&BearerAuth, &CommonAnswers),
    tags(
        (name = "holders", description = "用户注册: accounts"),
        (name = "sessions", description = "登录: bearer tokens"),
        (name = "terms", description = "服务须知: service terms"),
        (name = "me", description = "The signed-in holder and their certificates"),
        (name = "identity", description = "身份核验: proving the registered identity before certificates appear"),
        (name = "annotations", description = "加注: annotations, their state and their documents"),
        (name = "rare-chars", description = "生僻字输入: rare-character search"),
        (name = "scope", description = "证书查询验证范围: which certificates can be checked"),
        (name = "verify", description = "证书查验: public verification, no account needed, rate limited"),
        (name = "imports", description = "An issuing body's imports, with an import token its admin issues in the console"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token of POST /api/v1/sessions"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "import_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An issuing body's import token (`zsi_…`), issued by its admin in the \
                         console",
                    ))
                    .build(),
            ),
        );
    }
}

/// Adds the answers every operation of a kind can give, where its
/// annotation does not describe them already.
struct CommonAnswers;

/// Operations that never touch the database, so never answer 503 `busy`.
const WITHOUT_STORAGE: &[&str] = &["rare_chars"];

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_common(op);
            }
        }
    }
}

fn add_common(op: &mut Operation) {
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    if json_body {
        add(
            op,
            "400",
            "`bad_request`: the body is not JSON of the expected shape",
        );
        add(op, "413", "`payload_too_large`: a body over 2 MiB");
    }
    let bearer = op.security.as_ref().is_some_and(|s| !s.is_empty());
    if bearer {
        add(
            op,
            "401",
            "`unauthenticated`: no bearer token, or one that has ended",
        );
    }
    let storage = op
        .operation_id
        .as_deref()
        .is_none_or(|id| !WITHOUT_STORAGE.contains(&id));
    if storage {
        add(
            op,
            "503",
            "`busy`: the database is busy for a moment; `Retry-After`",
        );
    }
}

/// `status` answered with the error body, unless described already.
fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        });
}

/// `GET /api/v1/openapi.json`: the document, made once, with this
/// service's annotation policy (the longest validity, the scenarios).
pub async fn document(State(state): State<AppState>) -> Json<serde_json::Value> {
    static DOCUMENT: LazyLock<serde_json::Value> = LazyLock::new(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        spell_links(&mut doc);
        doc
    });
    let mut doc = DOCUMENT.clone();
    let application = &mut doc["components"]["schemas"]["Application"]["properties"];
    if application.is_object() {
        application["days"]["maximum"] = state.policy.max_validity_days.into();
        application["scenario"]["enum"] = state
            .policy
            .scenarios
            .iter()
            .map(|s| serde_json::Value::from(s.code()))
            .collect();
    }
    Json(doc)
}

/// utoipa writes a Link Object's fields in snake case (`operation_id`);
/// OpenAPI spells them `operationId`, `operationRef` and `requestBody`.
fn spell_links(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let responses = paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter_map(|op| op.get_mut("responses").and_then(|r| r.as_object_mut()))
        .flat_map(|r| r.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(|l| l.as_object_mut()) else {
            continue;
        };
        for link in links.values_mut().filter_map(|l| l.as_object_mut()) {
            for (from, to) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(v) = link.remove(from) {
                    link.insert(to.to_owned(), v);
                }
            }
        }
    }
}
