//! The findings of the outside security probe of issue 15 about signing in, redirects, error
//! shapes and forwarding headers: each test reproduces what the probe did.
//!
//! - 4: the sign-in throttle holds under concurrency, and password checks running at once are
//!   bounded (the overflow gets 503 `server_busy` with `Retry-After`);
//! - 5: `next` never leads off the site, whatever it hides (tabs, newlines, backslashes);
//! - 11: a password change ends every way in (sessions and API tokens); a sign-in ends the
//!   session it arrived with;
//! - 13: every error has the documented shape (JSON under `/api/`, the HTML page elsewhere);
//! - 14: forwarding headers count only from trusted proxies; the origin check compares
//!   scheme, host and port.

use std::time::Duration;

use reqwest::{Client, Method, Response};
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::helpers::{
    plain_client, signed_in_client, spawn_app, spawn_app_with_config, TestApp, ADMIN,
};

/// The body of an error under `/api/`: JSON `{"error":{"code","message"}}`.
async fn api_error(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    let content_type = content_type_of(&response);
    assert!(
        content_type.starts_with("application/json"),
        "{} {status}: content type {content_type:?}",
        response.url()
    );
    let body: Value = response.json().await.expect("a JSON error body");
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code in {body}"))
        .to_owned();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "no error.message in {body}"
    );
    (status, code)
}

fn content_type_of(response: &Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// `POST /api/v1/session` without any cookie.
async fn api_sign_in(client: Client, url: String, name: &str, password: &str) -> Response {
    client
        .post(url)
        .json(&json!({ "name": name, "password": password }))
        .send()
        .await
        .expect("request")
}

/// The value of the `pb_session` cookie a response sets, if any.
/// Signs the admin in over the API: the session cookie's value and its CSRF token.
async fn admin_session(app: &TestApp) -> (String, String) {
    let response = api_sign_in(
        plain_client(),
        app.url("/api/v1/session"),
        ADMIN,
        &app.admin_password,
    )
    .await;
    let cookie = session_cookie_of(&response).expect("a session");
    let csrf = response.json::<Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();
    (cookie, csrf)
}

fn session_cookie_of(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("pb_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
        .filter(|v| !v.is_empty())
}

/// The whole `Set-Cookie` line of the session cookie.
fn session_set_cookie(response: &Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("pb_session="))
        .unwrap_or_else(|| panic!("no session cookie set by {}", response.url()))
        .to_owned()
}

/// `GET /api/v1/session` with exactly this session cookie.
async fn who_has(app: &TestApp, session: &str) -> u16 {
    Client::new()
        .get(app.url("/api/v1/session"))
        .header("Cookie", format!("pb_session={session}"))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

/// A new API token of the user behind `client`.
async fn token_of(app: &TestApp, client: &Client) -> String {
    let created: Value = client
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"label": "a script"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    created["token"].as_str().expect("a token").to_owned()
}

async fn token_works(app: &TestApp, token: &str) -> bool {
    plain_client()
        .get(app.url("/api/v1/session"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
        == 200
}

// ---------------------------------------------------------------------------------------------
// Finding 4: the throttle under concurrency, and the bound on password checks
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn forty_concurrent_wrong_passwords_lock_the_name_after_five() {
    let app = spawn_app().await;
    app.add_user("ann", "rep").await;
    let client = plain_client();

    let mut attempts = JoinSet::new();
    for _ in 0..40 {
        let (client, url) = (client.clone(), app.url("/api/v1/session"));
        attempts.spawn(async move {
            api_sign_in(client, url, "ann", "a wrong password")
                .await
                .status()
                .as_u16()
        });
    }
    let statuses = attempts.join_all().await;

    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        wrong <= 5,
        "at most 5 passwords are checked, got {wrong} × 401: {statuses:?}"
    );
    assert_eq!(wrong + throttled, 40, "{statuses:?}");
}

#[tokio::test]
async fn the_right_password_sent_among_39_concurrent_wrong_ones_is_refused_once_the_limit_is_reached(
) {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let client = plain_client();
    let mut attempts = JoinSet::new();
    for _ in 0..39 {
        let (client, url) = (client.clone(), app.url("/api/v1/session"));
        attempts.spawn(async move {
            api_sign_in(client, url, "ann", "a wrong password")
                .await
                .status()
                .as_u16()
        });
    }
    // The wrong ones reach the server first (a few milliseconds), long before 39 password
    // checks can finish (tens of milliseconds each).
    tokio::time::sleep(Duration::from_millis(100)).await;

    let right = api_sign_in(client.clone(), app.url("/api/v1/session"), "ann", &password).await;

    assert_eq!(
        right.status(),
        429,
        "the right password after 5 attempts are under way"
    );
    let (_, code) = api_error(right).await;
    assert_eq!(code, "too_many_attempts");
    let statuses = attempts.join_all().await;
    assert!(
        statuses.iter().filter(|s| **s == 401).count() <= 5,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_flood_of_sign_ins_from_many_addresses_is_bounded_and_the_overflow_gets_503_with_retry_after(
) {
    // Behind a trusted proxy, so that each request comes from another client address and the
    // per-client throttle does not stop the flood: only the bound on checks running at once does.
    let app =
        spawn_app_with_config(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let client = plain_client();
    let mut attempts = JoinSet::new();
    for i in 0..100 {
        let (client, address) = (client.clone(), app.address.clone());
        attempts.spawn(async move {
            let forwarded_for = format!("10.0.{}.{}", i / 200, i % 200 + 1);
            let request = if i % 2 == 0 {
                client
                    .post(format!("{address}/api/v1/session"))
                    .json(&json!({ "name": format!("nobody-{i}"), "password": "not a password" }))
            } else {
                client
                    .post(format!("{address}/login"))
                    .header("Origin", &address)
                    .header("Accept-Language", "en")
                    .form(&[
                        ("name", format!("nobody-{i}").as_str()),
                        ("password", "not a password"),
                    ])
            };
            let response = request
                .header("X-Forwarded-For", forwarded_for)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let api = response.url().path().starts_with("/api/");
            let shape = if api {
                api_error(response).await.1
            } else {
                let html = response.text().await.expect("html");
                assert!(html.contains("<html"), "{html}");
                if html.contains("busy") {
                    "busy page".to_owned()
                } else {
                    "page".to_owned()
                }
            };
            (status, retry_after, api, shape)
        });
    }
    let answers = attempts.join_all().await;

    let busy: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    assert!(
        !busy.is_empty(),
        "100 checks at once are more than the server runs or queues: {answers:?}"
    );
    assert!(
        answers.iter().all(|a| a.0 == 401 || a.0 == 503),
        "{answers:?}"
    );
    for (_, retry_after, api, shape) in &busy {
        assert!(retry_after.is_some_and(|s| s > 0), "Retry-After: {busy:?}");
        let expected = if *api { "server_busy" } else { "busy page" };
        assert_eq!(shape, expected, "{busy:?}");
    }
    assert!(
        busy.iter().any(|a| a.2) && busy.iter().any(|a| !a.2),
        "both the API and the login form answer 503: {busy:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Finding 5: `next` never leads off the site
// ---------------------------------------------------------------------------------------------

/// `next` values (decoded) that must never become a `Location`: each could take a browser to
/// another origin (browsers drop tabs and newlines and read `\` as `/`) or break the header.
const OFF_SITE: [&str; 14] = [
    "/\t/127.0.0.1:18099/pwned.html",
    "/\n/x",
    "/\r/x",
    "/\r\nSet-Cookie: x=1",
    "/\\evil.example",
    "/a\\b",
    "//evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\u{0}x",
    "/\u{7f}x",
    "/\u{85}x",
];

fn query_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn the_language_switch_goes_back_only_to_a_path_of_this_site_and_never_fails() {
    let app = spawn_app().await;
    let client = plain_client();
    let mut raw: Vec<String> = OFF_SITE
        .iter()
        .map(|next| format!("/lang/en?next={}", query_encode(next)))
        .collect();
    // As the probe sent them: escapes in the URL, and a backslash as it is.
    raw.extend(
        [
            "/lang/en?next=/%09/127.0.0.1:18099/pwned.html",
            "/lang/en?next=/%0a/x",
            "/lang/en?next=/%0d/x",
            "/lang/en?next=/%5Cevil",
            "/lang/en?next=/\\evil",
        ]
        .map(str::to_owned),
    );

    for path in raw {
        let response = client.get(app.url(&path)).send().await.expect("request");
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/", "{path}");
    }
    let local = client
        .get(app.url("/lang/en?next=%2Faccounts%3Ftier%3Dmajor"))
        .send()
        .await
        .expect("request");
    assert_eq!(local.status(), 303);
    assert_eq!(local.headers()["location"], "/accounts?tier=major");
}

#[tokio::test]
async fn signing_in_goes_on_only_to_a_path_of_this_site_and_never_fails() {
    let app = spawn_app().await;
    for next in OFF_SITE {
        let signed_in = plain_client()
            .post(app.url("/login"))
            .header("Origin", &app.address)
            .form(&[
                ("name", ADMIN),
                ("password", app.admin_password.as_str()),
                ("next", next),
            ])
            .send()
            .await
            .expect("request");
        assert_eq!(signed_in.status(), 303, "{next:?}");
        assert_eq!(signed_in.headers()["location"], "/", "{next:?}");

        let form = plain_client()
            .get(app.url(&format!("/login?next={}", query_encode(next))))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("html");
        assert!(
            form.contains("name=\"next\" value=\"/\""),
            "{next:?}: the form carries only a local path"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 11: a password change ends every way in; a sign-in ends the session it arrived with
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn changing_ones_own_password_revokes_every_api_token_of_the_user() {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let ann = signed_in_client(&app.address, "ann", &password).await;
    let token = token_of(&app, &ann).await;
    let bobs = token_of(&app, &app.client_as("bob", "rep").await).await;
    assert!(token_works(&app, &token).await);

    let changed = ann
        .put(app.url("/api/v1/session/password"))
        .json(&json!({"current_password": password, "new_password": "a new passphrase"}))
        .send()
        .await
        .expect("request");

    assert!(changed.status().is_success(), "{}", changed.status());
    assert!(
        !token_works(&app, &token).await,
        "the old password's tokens are revoked"
    );
    assert!(token_works(&app, &bobs).await, "other users keep theirs");
}

#[tokio::test]
async fn an_admins_password_reset_revokes_the_users_api_tokens_and_ends_their_sessions() {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let ann = signed_in_client(&app.address, "ann", &password).await;
    let token = token_of(&app, &ann).await;

    let reset = app
        .admin
        .put(app.url("/api/v1/users/ann"))
        .json(&json!({"password": "reset by the admin"}))
        .send()
        .await
        .expect("request");

    assert_eq!(reset.status(), 200);
    assert!(!token_works(&app, &token).await, "tokens revoked");
    let status = ann
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(status, 401, "sessions ended");
}

#[tokio::test]
async fn the_own_password_change_answers_with_a_fresh_session_and_ends_every_other() {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let sign_in = api_sign_in(plain_client(), app.url("/api/v1/session"), "ann", &password).await;
    let old = session_cookie_of(&sign_in).expect("a session");
    let csrf = sign_in.json::<Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();
    let elsewhere = signed_in_client(&app.address, "ann", &password).await;

    let changed = Client::new()
        .put(app.url("/api/v1/session/password"))
        .header("Cookie", format!("pb_session={old}"))
        .header("Origin", &app.address)
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"current_password": password, "new_password": "a new passphrase"}))
        .send()
        .await
        .expect("request");

    assert_eq!(changed.status(), 200);
    let fresh = session_cookie_of(&changed).expect("a fresh session cookie");
    let body: Value = changed.json().await.expect("the new session as JSON");
    assert_eq!(body["user"], "ann");
    assert_eq!(body["via"], "session");
    assert!(body["csrf_token"].as_str().is_some_and(|c| c != csrf));
    assert_ne!(fresh, old);
    assert_eq!(
        who_has(&app, &fresh).await,
        200,
        "the caller stays signed in"
    );
    assert_eq!(who_has(&app, &old).await, 401, "the old session ended");
    let status = elsewhere
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(status, 401, "every other session ended");
}

#[tokio::test]
async fn the_password_form_keeps_this_browser_signed_in_and_ends_every_other_way_in() {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let ann = signed_in_client(&app.address, "ann", &password).await;
    let elsewhere = signed_in_client(&app.address, "ann", &password).await;
    let token = token_of(&app, &ann).await;

    let changed = ann
        .post(app.url("/me/password"))
        .header("Accept-Language", "en")
        .form(&[
            ("current_password", password.as_str()),
            ("new_password", "a new passphrase"),
            ("new_password_again", "a new passphrase"),
        ])
        .send()
        .await
        .expect("request");

    assert_eq!(changed.status(), 303);
    let fresh = session_cookie_of(&changed).expect("a fresh session cookie");
    let location = changed.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/me"), "{location}");
    let page = Client::new()
        .get(app.url(&location))
        .header("Cookie", format!("pb_session={fresh}"))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .expect("html")
        .contains("Your password was changed"));
    let status = elsewhere
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(status, 401, "other sessions ended");
    assert!(!token_works(&app, &token).await, "tokens revoked");
}

#[tokio::test]
async fn a_sign_in_over_the_api_ends_the_session_the_request_arrived_with() {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let (old, csrf) = admin_session(&app).await;

    let again = Client::new()
        .post(app.url("/api/v1/session"))
        .header("Cookie", format!("pb_session={old}"))
        .header("Origin", &app.address)
        .header("X-CSRF-Token", csrf)
        .json(&json!({"name": "ann", "password": password}))
        .send()
        .await
        .expect("request");

    assert_eq!(again.status(), 200);
    let new = session_cookie_of(&again).expect("a new session");
    assert_ne!(new, old);
    assert_eq!(who_has(&app, &old).await, 401, "the old session ended");
    assert_eq!(who_has(&app, &new).await, 200);
}

#[tokio::test]
async fn a_sign_in_through_the_login_form_ends_the_session_the_request_arrived_with() {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let (old, csrf) = admin_session(&app).await;

    let again = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/login"))
        .header("Cookie", format!("pb_session={old}"))
        .header("Origin", &app.address)
        .form(&[
            ("name", "ann"),
            ("password", password.as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .expect("request");

    assert_eq!(again.status(), 303);
    let new = session_cookie_of(&again).expect("a new session");
    assert_eq!(who_has(&app, &old).await, 401, "the old session ended");
    assert_eq!(who_has(&app, &new).await, 200);
}

// ---------------------------------------------------------------------------------------------
// Finding 13: every error has the documented shape
// ---------------------------------------------------------------------------------------------

/// Routes of `web::ROUTES` that take a method with a body but read none (an oversized body is
/// not theirs to refuse).
const NO_BODY: &[(&str, &str)] = &[
    ("post", "/logout"),
    ("post", "/me/tokens/{id}/revoke"),
    ("post", "/api/v1/backup"),
    ("post", "/api/v1/content/{id}/versions/{n}/restore"),
    ("post", "/content/{id}/versions/{n}/restore"),
    ("put", "/api/v1/progress/{lesson}"),
    ("post", "/accounts/{id}/override/delete"),
];

fn concrete(route: &str) -> String {
    route
        .replace("{id}", "strategic-routine-visit")
        .replace("{name}", ADMIN)
        .replace("{n}", "1")
        .replace("{lesson}", "core-lesson-1")
}

#[tokio::test]
async fn an_oversized_body_to_any_route_that_takes_one_gets_413_in_the_documented_shape() {
    let app = spawn_app_with_config(|c| c.max_import_bytes = 1024 * 1024).await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let mut checked = 0;
    let mut failures = Vec::new();
    for (method, route) in playbook::web::ROUTES {
        if !matches!(*method, "post" | "put" | "patch") || NO_BODY.contains(&(*method, *route)) {
            continue;
        }
        let path = concrete(route);
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
        let api = path.starts_with("/api/");
        let content_type = match (api, *route) {
            (_, "/api/v1/accounts/import" | "/api/v1/accounts/import/preview") => "text/csv",
            (true, _) => "application/json",
            (false, _) => "application/x-www-form-urlencoded",
        };
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .header("Content-Type", content_type)
            .header("Accept-Language", "en")
            .body(format!("a={huge}"))
            .send()
            .await
            .expect("request");
        checked += 1;
        let status = response.status().as_u16();
        let answer_type = content_type_of(&response);
        let body = response.text().await.unwrap_or_default();
        let shaped = if api {
            answer_type.starts_with("application/json")
                && serde_json::from_str::<Value>(&body)
                    .is_ok_and(|v| v["error"]["code"] == "payload_too_large")
        } else {
            answer_type.starts_with("text/html") && body.contains("<html") && body.contains("413")
        };
        if status != 413 || !shaped {
            failures.push(format!(
                "{method} {path}: {status} {answer_type:?}: {}",
                body.chars().take(120).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} routes:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 25, "only {checked} routes checked");
}

#[tokio::test]
async fn malformed_paths_queries_wrong_methods_and_unknown_routes_answer_json_under_the_api_and_html_elsewhere(
) {
    let app = spawn_app().await;
    // (method, path, expected status)
    let cases: &[(&str, &str, u16)] = &[
        // A broken UTF-8 sequence decodes to U+FFFD and a bad escape stays `%ZZ`: no item id
        // may hold either, so both are a 400 that says so.
        ("GET", "/api/v1/content/%E4%B8", 400),
        ("GET", "/content/%E4%B8", 400),
        ("GET", "/api/v1/content/%ZZ", 400),
        ("GET", "/content/%ZZ", 400),
        ("GET", "/api/v1/accounts?limit=abc", 400),
        ("GET", "/accounts?offset=abc", 400),
        ("GET", "/api/v1/accounts?limit=%FF%FE", 400),
        ("GET", "/api/v1/search?q=a&q=b", 400),
        ("DELETE", "/api/v1/content", 405),
        ("PATCH", "/api/v1/tier-model", 405),
        ("PUT", "/", 405),
        ("DELETE", "/content/strategic-routine-visit", 405),
        ("GET", "/api/v1/nope", 404),
        ("GET", "/api/nope", 404),
        ("GET", "/nope", 404),
        ("GET", "/nope/%E4%B8", 404),
        ("GET", "/lang/%E4%B8", 404),
        ("GET", "/lang/en?next=/%0a/x&next=/%0d", 400),
    ];
    let mut failures = Vec::new();
    for (method, path, expected) in cases {
        let response = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(path),
            )
            .header("Accept-Language", "en")
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let content_type = content_type_of(&response);
        let body = response.text().await.unwrap_or_default();
        let shaped = if path.starts_with("/api/") {
            content_type.starts_with("application/json")
                && serde_json::from_str::<Value>(&body).is_ok_and(|v| {
                    v["error"]["code"].is_string() && v["error"]["message"].is_string()
                })
        } else {
            content_type.starts_with("text/html") && body.contains("<html")
        };
        if status != *expected || !shaped {
            failures.push(format!(
                "{method} {path}: {status} {content_type:?} (expected {expected}): {}",
                body.chars().take(200).collect::<String>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Finding 14: forwarding headers only from trusted proxies; scheme, host and port compared
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_forged_x_forwarded_proto_from_an_untrusted_peer_does_not_make_the_cookie_secure() {
    let app = spawn_app().await;

    let response = plain_client()
        .post(app.url("/api/v1/session"))
        .header("X-Forwarded-Proto", "https")
        .header("Forwarded", "proto=https")
        .json(&json!({"name": ADMIN, "password": app.admin_password}))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), 200);
    let cookie = session_set_cookie(&response);
    assert!(!cookie.contains("Secure"), "{cookie}");
}

/// A cookie-signed state change (`POST /api/v1/tokens`) with the session's CSRF token and
/// these extra headers; returns the status.
async fn cookie_signed_change(app: &TestApp, headers: &[(&str, &str)]) -> u16 {
    let sign_in = api_sign_in(
        plain_client(),
        app.url("/api/v1/session"),
        ADMIN,
        &app.admin_password,
    )
    .await;
    let session = session_cookie_of(&sign_in).expect("a session");
    let csrf = sign_in.json::<Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();
    let mut request = Client::new()
        .post(app.url("/api/v1/tokens"))
        .header("Cookie", format!("pb_session={session}"))
        .header("X-CSRF-Token", csrf)
        .json(&json!({"label": "origin test"}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request").status().as_u16()
}

#[tokio::test]
async fn a_forged_x_forwarded_host_does_not_pass_the_origin_check() {
    let app = spawn_app().await;

    let forged = cookie_signed_change(
        &app,
        &[
            ("Origin", "http://evil.example"),
            ("X-Forwarded-Host", "evil.example"),
        ],
    )
    .await;
    let forged_standard = cookie_signed_change(
        &app,
        &[
            ("Origin", "http://evil.example"),
            ("Forwarded", "host=evil.example;proto=http"),
        ],
    )
    .await;

    assert_eq!(forged, 403);
    assert_eq!(forged_standard, 403);
    assert_eq!(
        cookie_signed_change(&app, &[("Origin", &app.address)]).await,
        201,
        "our own origin passes"
    );
}

#[tokio::test]
async fn an_origin_or_referer_with_the_wrong_scheme_or_port_is_refused() {
    let app = spawn_app().await;
    let https = app.address.replace("http://", "https://");
    let port = app
        .address
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1));

    assert_eq!(cookie_signed_change(&app, &[("Origin", &https)]).await, 403);
    assert_eq!(
        cookie_signed_change(&app, &[("Referer", &format!("{https}/me"))]).await,
        403
    );
    assert_eq!(
        cookie_signed_change(&app, &[("Origin", &other_port)]).await,
        403
    );
    assert_eq!(
        cookie_signed_change(&app, &[("Referer", &format!("{}/me", app.address))]).await,
        201
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_scheme_host_and_client_address_are_used() {
    let app =
        spawn_app_with_config(|c| c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()]).await;

    // The scheme: the proxy terminated TLS.
    let response = plain_client()
        .post(app.url("/api/v1/session"))
        .header("X-Forwarded-Proto", "https")
        .json(&json!({"name": ADMIN, "password": app.admin_password}))
        .send()
        .await
        .expect("request");
    assert!(session_set_cookie(&response).contains("Secure"));

    // The host and scheme the browser saw.
    let proxied = [
        ("X-Forwarded-Host", "playbook.example.com"),
        ("X-Forwarded-Proto", "https"),
    ];
    let with = |origin: &'static str| {
        let mut headers = proxied.to_vec();
        headers.push(("Origin", origin));
        headers
    };
    assert_eq!(
        cookie_signed_change(&app, &with("https://playbook.example.com")).await,
        201
    );
    assert_eq!(
        cookie_signed_change(&app, &with("http://playbook.example.com")).await,
        403
    );
    assert_eq!(
        cookie_signed_change(
            &app,
            &[
                (
                    "Forwarded",
                    "for=10.0.0.1;host=playbook.example.com;proto=https"
                ),
                ("Origin", "https://playbook.example.com"),
            ]
        )
        .await,
        201
    );

    // The client address: 20 failures from 10.0.0.1 (through the proxy) throttle 10.0.0.1 and
    // not 10.0.0.2. A forged left-most address does not change who is counted.
    for i in 0..20 {
        let response = plain_client()
            .post(app.url("/api/v1/session"))
            .header("X-Forwarded-For", format!("198.51.100.{i}, 10.0.0.1"))
            .json(&json!({"name": format!("nobody-{i}"), "password": "not a password"}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 401);
    }
    let attempt = |forwarded_for: &'static str| {
        plain_client()
            .post(app.url("/api/v1/session"))
            .header("X-Forwarded-For", forwarded_for)
            .json(&json!({"name": ADMIN, "password": app.admin_password}))
            .send()
    };
    assert_eq!(attempt("10.0.0.1").await.unwrap().status(), 429);
    assert_eq!(attempt("10.0.0.2").await.unwrap().status(), 200);
}

#[tokio::test]
async fn without_trusted_proxies_x_forwarded_for_does_not_change_the_throttled_client() {
    let app = spawn_app().await;
    for i in 0..20 {
        let response = plain_client()
            .post(app.url("/api/v1/session"))
            .header("X-Forwarded-For", format!("10.0.0.{i}"))
            .json(&json!({"name": format!("nobody-{i}"), "password": "not a password"}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 401);
    }
    let response = plain_client()
        .post(app.url("/api/v1/session"))
        .header("X-Forwarded-For", "10.9.9.9")
        .json(&json!({"name": ADMIN, "password": app.admin_password}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429, "the peer is the client");
}
