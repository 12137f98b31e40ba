//! The limits that protect the server (issue 10, item 6): concurrent imports, page sizes,
//! query lengths. Hitting one answers a 4xx whose message names the field or the limit. (The
//! body limits have their own tests: `accounts::…413…` and `security::…payload_too_large…`.)

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use playbook::web::MAX_CONCURRENT_IMPORTS;

use crate::helpers::spawn_app;

/// Starts an import whose body never finishes: the handler holds an import slot while it waits
/// for the rest. The connection is kept open by returning it.
async fn stalled_import(address: &str, token: &str) -> TcpStream {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.expect("connect");
    let head = format!(
        "POST /api/v1/accounts/import HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\nid,name,revenue\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.flush().await.expect("flush");
    stream
}

#[tokio::test]
async fn an_import_past_the_concurrent_limit_gets_429_with_retry_after() {
    // Arrange: an API token, and MAX_CONCURRENT_IMPORTS imports stalled mid-body.
    let app = spawn_app().await;
    let token: serde_json::Value = app
        .admin
        .post(app.url("/api/v1/tokens"))
        .json(&serde_json::json!({ "label": "limits" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let token = token["token"].as_str().expect("token").to_owned();
    let mut stalled = Vec::new();
    for _ in 0..MAX_CONCURRENT_IMPORTS {
        stalled.push(stalled_import(&app.address, &token).await);
    }

    // Act: one more import, until the stalled ones have reached their handler (each probe that
    // gets through is a complete, valid import).
    let client = reqwest::Client::new();
    let mut refused = None;
    for _ in 0..1_000 {
        let response = client
            .post(app.url("/api/v1/accounts/import"))
            .bearer_auth(&token)
            .header("Content-Type", "text/csv")
            .body("id,name,revenue\nL-1,Probe,100\n")
            .send()
            .await
            .expect("request");
        if response.status() == 429 {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
        tokio::task::yield_now().await;
    }

    // Assert
    let response = refused.expect("an import past the limit is refused");
    let retry_after = response.headers().get("Retry-After").cloned();
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_imports", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("imports are already running"), "{message}");
    assert!(retry_after.is_some(), "Retry-After is set");

    // Once the stalled imports go away, imports are accepted again.
    drop(stalled);
    let mut accepted = false;
    for _ in 0..1_000 {
        let status = client
            .post(app.url("/api/v1/accounts/import"))
            .bearer_auth(&token)
            .header("Content-Type", "text/csv")
            .body("id,name,revenue\nL-2,Probe,100\n")
            .send()
            .await
            .expect("request")
            .status();
        if status == 200 {
            accepted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(accepted, "the slots are released");
}

#[tokio::test]
async fn page_sizes_past_the_limit_are_refused_naming_limit() {
    let app = spawn_app().await;

    for path in [
        "/api/v1/accounts?limit=1001",
        "/api/v1/accounts?limit=0",
        "/api/v1/tier-changes?limit=1001",
        "/api/v1/tier-changes?limit=0",
        "/api/v1/search?q=x&limit=51",
    ] {
        let (status, body) = app.get_json(path).await;

        assert_eq!(status, 400, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(message.starts_with("limit:"), "{path}: {message}");
    }
}

#[tokio::test]
async fn queries_past_the_length_limit_are_refused_naming_q() {
    let app = spawn_app().await;
    // `+` is a space in a query string; the URL stays under the 64 KiB URI limit.
    let ten_thousand_terms = vec!["x"; 10_000].join("+");

    for path in [
        format!("/api/v1/search?q={ten_thousand_terms}"),
        format!("/api/v1/accounts/lookup?q={}", "a".repeat(65)),
    ] {
        let (status, body) = app.get_json(&path).await;

        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "query_too_long", "{body}");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(message.starts_with("q:"), "{message}");
    }
}

/// Found by schemathesis: a known path asked with another method answered 404; it is 405 with
/// `Allow` listing exactly that resource's methods.
#[tokio::test]
async fn a_known_path_with_another_method_gets_405_and_allow() {
    let app = spawn_app().await;

    let response = app
        .admin
        .patch(app.url("/api/v1/accounts/import"))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), 405);
    let allow = response.headers().get("Allow").cloned();
    assert_eq!(allow.as_ref().and_then(|v| v.to_str().ok()), Some("POST"));
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
}

/// Found by schemathesis: `[null, null]` was taken as a tier model, and a body that is not
/// UTF-8 answered `text/plain`; both are JSON errors now.
#[tokio::test]
async fn a_tier_model_that_is_not_a_json_object_or_not_utf8_is_a_json_400() {
    let app = spawn_app().await;

    for body in [b"[null, null]".to_vec(), vec![0xff, 0xfe, b'{']] {
        let response = app
            .admin
            .put(app.url("/api/v1/tier-model"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");

        assert_eq!(response.status(), 400);
        let error: serde_json::Value = response.json().await.expect("a JSON error");
        assert!(error["error"]["message"].as_str().is_some(), "{error}");
    }
}

/// Found by schemathesis: a workflow step with a body that is not a step (unknown field) was
/// taken as a step without comment; it is a 400 now, and an empty body is still no comment.
#[tokio::test]
async fn a_workflow_step_with_an_invalid_body_is_refused() {
    let app = spawn_app().await;
    let (_, items) = app.get_json("/api/v1/content?kind=playbook").await;
    let id = items[0]["id"].as_str().expect("a playbook").to_owned();

    for body in [r#"{"comment": null, "unknown": 42}"#, "[]", "[null]"] {
        let response = app
            .admin
            .post(app.url(&format!("/api/v1/content/{id}/archive")))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");

        assert_eq!(response.status(), 400, "{body}");
    }
    let (_, item) = app.get_json(&format!("/api/v1/content/{id}")).await;
    assert_ne!(item["status"], "archived", "{item}");
}
