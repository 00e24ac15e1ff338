//! The OpenAPI document of the JSON API, generated from the handlers'
//! annotations and the answer types (utoipa), served at
//! `/api/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
    modifiers(&BearerAuth),
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

/// `GET /api/v1/openapi.json`
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
