//! One error type, two renderings: JSON under /api/v1, HTML elsewhere.

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_unknown_page_is_an_html_404_in_the_viewers_language() {
    let app = spawn_app().await;
    let response = app.get_with_lang("/content/nope", "en").await;
    assert_eq!(response.status().as_u16(), 404);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Not found"));
    assert!(html.contains("nope"));
}

#[tokio::test]
async fn an_unknown_api_route_is_a_json_404() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_bad_query_parameter_is_a_json_400_naming_it() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/content?kind=playbok").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_kind");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("playbok"));
    let (status, body) = app.get_json("/api/v1/content?colour=red").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_query");
}

#[tokio::test]
async fn the_stylesheet_is_served_from_the_binary() {
    let app = spawn_app().await;
    let response = app.get("/static/style.css").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let response = app.get("/static/secrets.txt").await;
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn an_id_that_cannot_be_an_id_is_a_400_saying_what_is_wrong_not_a_404() {
    let mut app = spawn_app().await;
    // Item ids are letters, digits, - and _: a space or a dot can never name an item.
    let (status, body) = app.get_json("/api/v1/content/no%20such.item").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_path");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("not an item id"), "{message}");
    // A well-formed unknown id is still a 404, and the page says the same in HTML.
    let (status, _) = app.get_json("/api/v1/content/no-such-item").await;
    assert_eq!(status, 404);
    let response = app.get_with_lang("/content/a.b", "en").await;
    assert_eq!(response.status().as_u16(), 400);
    // Account ids take what a CRM gives (spaces, dots) but stay on one line and within 64
    // characters.
    app.sign_in_as("boss", "admin").await;
    let (status, _) = app.get_json("/api/v1/accounts/ACME%20Ltd.").await;
    assert_eq!(status, 404);
    let long = "x".repeat(65);
    let (status, body) = app.get_json(&format!("/api/v1/accounts/{long}")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at most 64"));
}
