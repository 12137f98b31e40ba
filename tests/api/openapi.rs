//! `GET /api/v1/openapi.json`: generated from the handlers, it lists exactly the `/api/v1`
//! routes of the route table, with schemas, error shapes and the bearer security scheme.

use std::collections::BTreeSet;

use playbook::web::ROUTES;

use crate::helpers::{plain_client, spawn_app};

#[tokio::test]
async fn the_openapi_document_lists_every_api_route_and_nothing_else() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let (status, document) = app.get_json("/api/v1/openapi.json").await;

    // Assert
    assert_eq!(status, 200, "{document}");
    assert!(document["openapi"].as_str().unwrap_or("").starts_with("3."));
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .expect("operations")
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .filter(|(_, path)| path.starts_with("/api/v1/"))
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
}

#[tokio::test]
async fn every_operation_documents_its_errors_and_the_error_shape() {
    let app = spawn_app().await;
    let (_, document) = app.get_json("/api/v1/openapi.json").await;

    let error = &document["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["error"]), "{error}");
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.contains_key("401"),
                "{method} {path}: no 401 documented"
            );
            for (status, response) in responses {
                if status.starts_with('4') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn the_openapi_document_needs_a_signed_in_user() {
    let app = spawn_app().await;

    let response = plain_client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status().as_u16(), 401);
}
