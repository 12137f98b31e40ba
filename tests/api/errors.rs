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
