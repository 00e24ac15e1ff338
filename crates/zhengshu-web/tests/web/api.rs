//! The OpenAPI document: generated from the code, it describes every API
//! route the router serves, with the error format and bearer tokens.

use axum::http::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = app().await;
    let a = api(&app, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    let doc = a.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let routes = [
        ("post", "/api/v1/holders"),
        ("post", "/api/v1/sessions"),
        ("delete", "/api/v1/sessions/current"),
        ("get", "/api/v1/terms"),
        ("post", "/api/v1/terms/accept"),
        ("get", "/api/v1/me"),
        ("post", "/api/v1/recovery/codes"),
        ("post", "/api/v1/recovery"),
        ("get", "/api/v1/me/identity"),
        ("post", "/api/v1/me/identity/codes"),
        ("post", "/api/v1/me/identity/code"),
        ("post", "/api/v1/me/identity/management-number"),
        ("get", "/api/v1/me/certificates"),
        ("get", "/api/v1/me/certificates/{id}"),
        ("get", "/api/v1/me/certificates/{id}/document"),
        ("get", "/api/v1/me/certificates/{id}/annotations"),
        ("post", "/api/v1/me/certificates/{id}/annotations"),
        ("get", "/api/v1/me/annotations/{id}"),
        ("get", "/api/v1/me/annotations/{id}/document"),
        ("post", "/api/v1/me/annotations/{id}/withdraw"),
        ("get", "/api/v1/rare-chars"),
        ("get", "/api/v1/scope"),
        ("get", "/api/v1/verify/{code}"),
        ("post", "/api/v1/verify"),
        ("post", "/api/v1/verify/batch"),
        ("post", "/api/v1/verify/document"),
        ("post", "/api/v1/console/imports"),
        ("get", "/api/v1/console/imports/{id}"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(
        paths.len(),
        routes
            .iter()
            .map(|r| r.1)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    for (method, path) in routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path}");
        assert!(
            !op["responses"].as_object().unwrap().is_empty(),
            "{method} {path}"
        );
        // Each described route is served (not 404/405 for want of a route).
        let served = api(
            &app,
            method.to_uppercase().parse::<Method>().unwrap(),
            &path.replace("{id}", "1").replace("{code}", "X"),
            None,
            None,
        )
        .await;
        assert!(
            ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&served.status),
            "{method} {path}: {}",
            served.status
        );
    }
    // Links name their target by `operationId`, as OpenAPI spells it, and
    // the target exists: apply → the annotation → its document, withdrawal.
    let ids: std::collections::BTreeSet<&str> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let apply = &doc["paths"]["/api/v1/me/certificates/{id}/annotations"]["post"];
    let links = apply["responses"]["202"]["links"].as_object().unwrap();
    for target in ["annotation", "annotation_document", "withdraw"] {
        let link = links
            .values()
            .find(|l| l["operationId"] == target)
            .unwrap_or_else(|| panic!("no link to {target}: {links:?}"));
        assert!(ids.contains(target), "{target} is no operation: {ids:?}");
        assert_eq!(link["parameters"]["id"], "$response.body#/id");
        assert!(link.get("operation_id").is_none(), "{link}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert!(error.is_object());
    let summary = &doc["components"]["schemas"]["CertificateSummary"]["properties"];
    for field in [
        "id",
        "number",
        "qualification",
        "issued_on",
        "issuing_body",
        "status",
        "revoked_at",
        "revocation_reason",
        "needs_annotation",
    ] {
        assert!(summary[field].is_object(), "CertificateSummary.{field}");
    }
    let registration = &doc["components"]["schemas"]["Registration"]["properties"];
    for field in ["name", "id_type", "id_number", "username", "password"] {
        assert!(registration[field].is_object(), "Registration.{field}");
    }
    assert!(
        registration["password_confirmation"].is_null(),
        "a page-only field"
    );
}
