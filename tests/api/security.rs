//! Who may see and change what: every route × every role, a leak crawl with planted figures,
//! CSRF rejection, session revocation, API tokens and login throttling.

use std::collections::BTreeSet;

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    copy_fixture_content, plain_client, signed_in_client, spawn_app, spawn_app_with, write_file,
    TestApp, ADMIN,
};

/// Who asks: anonymous, then one user of each role.
const WHO: [&str; 5] = ["anonymous", "rep", "trainer", "manager", "admin"];

/// Expected status of every route for [anonymous, rep, trainer, manager, admin].
/// Anonymous visitors are sent to the login page (303) by pages and get 401 from the API.
const EXPECTED: &[(&str, &str, [u16; 5])] = &[
    ("get", "/healthz", [200, 200, 200, 200, 200]),
    ("get", "/static/{name}", [200, 200, 200, 200, 200]),
    ("get", "/login", [200, 200, 200, 200, 200]),
    ("post", "/login", [303, 303, 303, 303, 303]),
    ("post", "/logout", [303, 303, 303, 303, 303]),
    ("get", "/me", [303, 200, 200, 200, 200]),
    ("post", "/me/password", [303, 303, 303, 303, 303]),
    ("post", "/me/tokens", [303, 200, 200, 200, 200]),
    ("post", "/me/tokens/{id}/revoke", [303, 303, 303, 303, 303]),
    ("post", "/api/v1/session", [200, 200, 200, 200, 200]),
    ("get", "/api/v1/session", [401, 200, 200, 200, 200]),
    ("delete", "/api/v1/session", [401, 204, 204, 204, 204]),
    ("put", "/api/v1/session/password", [401, 200, 200, 200, 200]),
    ("get", "/api/v1/tokens", [401, 200, 200, 200, 200]),
    ("post", "/api/v1/tokens", [401, 201, 201, 201, 201]),
    ("delete", "/api/v1/tokens/{id}", [401, 204, 204, 204, 204]),
    ("get", "/api/v1/users", [401, 403, 403, 403, 200]),
    ("post", "/api/v1/users", [401, 403, 403, 403, 201]),
    ("put", "/api/v1/users/{name}", [401, 403, 403, 403, 200]),
    ("get", "/api/v1/content", [401, 200, 200, 200, 200]),
    ("post", "/api/v1/content/import", [401, 403, 200, 200, 200]),
    (
        "get",
        "/api/v1/content/{id}/attachments",
        [401, 200, 200, 200, 200],
    ),
    (
        "post",
        "/api/v1/content/{id}/attachments",
        [401, 403, 200, 200, 200],
    ),
    (
        "get",
        "/api/v1/content/{id}/attachments/{name}",
        [401, 404, 404, 404, 404],
    ),
    ("get", "/api/v1/content/{id}", [401, 200, 200, 200, 200]),
    ("post", "/api/v1/content", [401, 403, 201, 201, 201]),
    ("put", "/api/v1/content/{id}", [401, 403, 200, 200, 200]),
    (
        "post",
        "/api/v1/content/{id}/submit",
        [401, 403, 200, 400, 400],
    ),
    (
        "post",
        "/api/v1/content/{id}/approve",
        [401, 403, 403, 200, 400],
    ),
    (
        "post",
        "/api/v1/content/{id}/send-back",
        [401, 403, 403, 400, 400],
    ),
    (
        "post",
        "/api/v1/content/{id}/archive",
        [401, 403, 403, 200, 400],
    ),
    (
        "get",
        "/api/v1/content/{id}/versions",
        [401, 403, 200, 200, 200],
    ),
    (
        "get",
        "/api/v1/content/{id}/versions/{n}",
        [401, 403, 200, 200, 200],
    ),
    (
        "post",
        "/api/v1/content/{id}/versions/{n}/restore",
        [401, 403, 200, 200, 200],
    ),
    (
        "get",
        "/api/v1/content/{id}/diff",
        [401, 403, 200, 200, 200],
    ),
    (
        "put",
        "/api/v1/content/{id}/moves/{n}",
        [401, 403, 403, 200, 200],
    ),
    ("post", "/api/v1/preview", [401, 200, 200, 200, 200]),
    ("get", "/api/v1/review-queue", [401, 403, 403, 200, 200]),
    ("get", "/api/v1/my/content", [401, 200, 200, 200, 200]),
    ("get", "/api/v1/practices", [401, 200, 200, 200, 200]),
    ("get", "/api/v1/my/courses", [401, 200, 200, 200, 200]),
    (
        "put",
        "/api/v1/progress/{lesson}",
        [401, 204, 204, 204, 204],
    ),
    (
        "delete",
        "/api/v1/progress/{lesson}",
        [401, 204, 204, 204, 204],
    ),
    (
        "get",
        "/api/v1/courses/{id}/completion",
        [401, 403, 200, 200, 200],
    ),
    ("get", "/api/v1/coverage", [401, 200, 200, 200, 200]),
    ("get", "/api/v1/today", [401, 200, 200, 200, 200]),
    ("get", "/api/v1/problems", [401, 403, 200, 200, 200]),
    ("get", "/api/v1/search", [401, 200, 200, 200, 200]),
    ("get", "/api/v1/search/misses", [401, 403, 200, 200, 200]),
    ("get", "/api/v1/synonyms", [401, 200, 200, 200, 200]),
    ("get", "/api/v1/accounts", [401, 200, 200, 200, 200]),
    ("post", "/api/v1/accounts/import", [401, 403, 403, 200, 200]),
    (
        "post",
        "/api/v1/accounts/import/preview",
        [401, 403, 403, 200, 200],
    ),
    ("get", "/api/v1/accounts/lookup", [401, 200, 200, 200, 200]),
    (
        "get",
        "/api/v1/accounts/{id}/briefing",
        [401, 200, 200, 200, 200],
    ),
    ("get", "/api/v1/accounts/{id}", [401, 200, 200, 200, 200]),
    (
        "put",
        "/api/v1/accounts/{id}/override",
        [401, 403, 403, 200, 200],
    ),
    (
        "delete",
        "/api/v1/accounts/{id}/override",
        [401, 403, 403, 200, 200],
    ),
    (
        "post",
        "/api/v1/accounts/{id}/reviews",
        [401, 403, 403, 201, 201],
    ),
    ("get", "/api/v1/tier-model", [401, 200, 200, 200, 200]),
    ("put", "/api/v1/tier-model", [401, 403, 403, 403, 200]),
    (
        "post",
        "/api/v1/tier-model/preview",
        [401, 403, 403, 403, 200],
    ),
    ("get", "/api/v1/tier-changes", [401, 403, 403, 200, 200]),
    ("get", "/api/v1/pareto", [401, 403, 403, 200, 200]),
    ("get", "/api/v1/tiers.csv", [401, 403, 403, 200, 200]),
    ("post", "/api/v1/backup", [401, 403, 403, 403, 201]),
    ("get", "/api/v1/backups", [401, 403, 403, 403, 200]),
    ("get", "/api/v1/openapi.json", [401, 200, 200, 200, 200]),
    ("get", "/", [303, 200, 200, 200, 200]),
    ("get", "/today", [303, 200, 200, 200, 200]),
    ("get", "/library", [303, 200, 200, 200, 200]),
    ("get", "/content/{id}", [303, 200, 200, 200, 200]),
    ("get", "/new", [303, 200, 200, 200, 200]),
    ("post", "/new", [303, 403, 303, 303, 303]),
    ("get", "/content/{id}/edit", [303, 403, 200, 200, 200]),
    ("post", "/content/{id}/edit", [303, 403, 303, 303, 303]),
    ("post", "/content/{id}/workflow", [303, 403, 303, 400, 400]),
    ("get", "/content/{id}/history", [303, 403, 200, 200, 200]),
    (
        "get",
        "/content/{id}/versions/{n}",
        [303, 403, 200, 200, 200],
    ),
    (
        "post",
        "/content/{id}/versions/{n}/restore",
        [303, 403, 303, 303, 303],
    ),
    ("get", "/content/{id}/diff", [303, 403, 200, 200, 200]),
    ("post", "/content/{id}/moves/{n}", [303, 403, 403, 303, 303]),
    ("get", "/review", [303, 403, 403, 200, 200]),
    ("get", "/my/content", [303, 200, 200, 200, 200]),
    ("get", "/practices", [303, 200, 200, 200, 200]),
    ("get", "/my/courses", [303, 200, 200, 200, 200]),
    ("post", "/lessons/{id}/done", [303, 303, 303, 303, 303]),
    ("get", "/courses/{id}/completion", [303, 403, 200, 200, 200]),
    ("post", "/accounts/{id}/reviews", [303, 403, 403, 303, 303]),
    ("get", "/coverage", [303, 200, 200, 200, 200]),
    ("get", "/problems", [303, 403, 200, 200, 200]),
    ("get", "/search", [303, 200, 200, 200, 200]),
    ("get", "/search/misses", [303, 403, 200, 200, 200]),
    ("get", "/synonyms", [303, 200, 200, 200, 200]),
    ("get", "/accounts", [303, 200, 200, 200, 200]),
    // `q=jia` finds one account here: the page opens it (303 to /accounts/{id}).
    ("get", "/accounts/find", [303, 303, 303, 303, 303]),
    ("get", "/accounts/import", [303, 403, 403, 200, 200]),
    ("get", "/content/import", [303, 403, 200, 200, 200]),
    ("post", "/content/import", [303, 403, 200, 200, 200]),
    (
        "get",
        "/content/{id}/attachments/{name}",
        [303, 404, 404, 404, 404],
    ),
    (
        "post",
        "/content/{id}/attachments",
        [303, 403, 303, 303, 303],
    ),
    ("post", "/accounts/import", [303, 403, 403, 200, 200]),
    (
        "get",
        "/accounts/import/{upload}/rejected.csv",
        [303, 403, 403, 404, 404],
    ),
    ("get", "/accounts/{id}", [303, 200, 200, 200, 200]),
    ("post", "/accounts/{id}/override", [303, 403, 403, 303, 303]),
    (
        "post",
        "/accounts/{id}/override/delete",
        [303, 403, 403, 303, 303],
    ),
    ("get", "/pareto", [303, 403, 403, 200, 200]),
    ("get", "/tier-model", [303, 200, 200, 200, 200]),
    ("post", "/tier-model", [303, 403, 403, 403, 200]),
    ("get", "/tier-changes", [303, 403, 403, 200, 200]),
    ("get", "/lang/{lang}", [303, 303, 303, 303, 303]),
    ("get", "/users", [303, 403, 403, 403, 200]),
    ("post", "/users", [303, 403, 403, 403, 200]),
    ("post", "/users/{name}/role", [303, 403, 403, 403, 303]),
    ("post", "/users/{name}/disable", [303, 403, 403, 403, 303]),
    ("post", "/users/{name}/enable", [303, 403, 403, 403, 303]),
    ("post", "/users/{name}/password", [303, 403, 403, 403, 200]),
    ("get", "/backups", [303, 403, 403, 403, 200]),
    ("post", "/backups", [303, 403, 403, 403, 303]),
];

const CSV: &str = "id,name,owner,revenue\nA,甲公司,rep,1000\nB,乙公司,li.na,500\n";

/// A request for `route` as `who`: the concrete path and body.
fn request_for(method: &str, route: &str, who: &str, password: &str) -> (String, Option<Body>) {
    let path = route
        .replace("/static/{name}", "/static/style.css")
        .replace("{name}", &format!("target-{who}"))
        .replace("{upload}", "0123456789abcdef0123456789abcdef")
        .replace("/attachments/{name}", "/attachments/missing.pdf")
        .replace(
            "{id}",
            if route.starts_with("/api/v1/tokens") {
                "TOKEN"
            } else {
                "A"
            },
        )
        .replace("/content/A/moves", "/content/mixed-case/moves")
        .replace("/content/A/archive", "/content/major-exhibition/archive")
        .replace("/content/A", "/content/strategic-routine-visit")
        .replace("/courses/A", "/courses/core-course")
        .replace("/lessons/A", "/lessons/core-lesson-1")
        .replace("{lesson}", "core-lesson-1")
        .replace("{n}", "1")
        .replace("{lang}", "en");
    let body = match (method, route) {
        ("post", "/login") => Some(Body::Form(vec![
            (
                "name",
                if who == "anonymous" {
                    ADMIN.to_owned()
                } else {
                    format!("u-{who}")
                },
            ),
            ("password", password.to_owned()),
            ("next", "/".to_owned()),
        ])),
        ("post", "/api/v1/session") => Some(Body::Json(json!({
            "name": if who == "anonymous" { ADMIN.to_owned() } else { format!("u-{who}") },
            "password": password,
        }))),
        ("put", "/api/v1/session/password") => Some(Body::Json(json!({
            "current_password": password,
            "new_password": "a brand new passphrase",
        }))),
        ("post", "/api/v1/tokens") => Some(Body::Json(json!({ "label": "route test" }))),
        ("post", "/me/tokens") => Some(Body::Form(vec![("label", "route test".to_owned())])),
        ("post", "/me/password") => Some(Body::Form(vec![
            ("current_password", password.to_owned()),
            ("new_password", "a brand new passphrase".to_owned()),
            ("new_password_again", "a brand new passphrase".to_owned()),
        ])),
        ("post", "/api/v1/users") => Some(Body::Json(
            json!({ "name": format!("new-{who}"), "role": "rep" }),
        )),
        ("put", "/api/v1/users/{name}") => Some(Body::Json(json!({ "role": "trainer" }))),
        ("post", "/users") => Some(Body::Form(vec![
            ("name", format!("page-{who}")),
            ("role", "rep".to_owned()),
        ])),
        ("post", "/users/{name}/role") => Some(Body::Form(vec![("role", "trainer".to_owned())])),
        ("post", "/api/v1/accounts/import" | "/api/v1/accounts/import/preview") => {
            Some(Body::Csv(CSV))
        }
        ("post", "/accounts/import") => Some(Body::File("accounts.csv", CSV)),
        ("post", "/api/v1/content/import" | "/content/import") => {
            Some(Body::File("note.md", "# 导入的笔记\n\n正文。\n"))
        }
        ("post", "/api/v1/content/{id}/attachments" | "/content/{id}/attachments") => {
            Some(Body::File("notes.txt", "附件正文"))
        }
        ("put", "/api/v1/accounts/{id}/override") => Some(Body::Json(
            json!({ "tier": "major", "reason": "route test" }),
        )),
        ("put", "/api/v1/tier-model") | ("post", "/api/v1/tier-model/preview") => Some(Body::Json(
            json!({"preset": "pyramid", "score": {"method": "single", "indicator": "revenue"}}),
        )),
        ("post", "/tier-model") => Some(Body::Form(vec![
            ("do", "preview".to_owned()),
            ("layout", "pyramid".to_owned()),
            ("shown_layout", "pyramid".to_owned()),
            ("cut_method", "percent_of_accounts".to_owned()),
            ("shown_cut", "percent_of_accounts".to_owned()),
            ("cut_0", "1".to_owned()),
            ("cut_1", "20".to_owned()),
            ("cut_2", "50".to_owned()),
            ("score_method", "single".to_owned()),
            ("indicator", "revenue".to_owned()),
        ])),
        ("post", "/accounts/{id}/override") => Some(Body::Form(vec![
            ("tier", "major".to_owned()),
            ("reason", "route test".to_owned()),
        ])),
        ("post", "/api/v1/backup") => None,
        ("post", "/api/v1/content") => Some(Body::Json(
            json!({ "kind": "playbook", "title": "route test", "body": "x" }),
        )),
        ("put", "/api/v1/content/{id}") => Some(Body::Json(
            json!({ "kind": "playbook", "title": "战略客户例行拜访（修订）", "body": "x" }),
        )),
        ("post", "/api/v1/content/{id}/send-back") => {
            Some(Body::Json(json!({ "comment": "route test" })))
        }
        ("put", "/api/v1/content/{id}/moves/{n}") => Some(Body::Json(json!({ "best": true }))),
        ("post", "/api/v1/preview") => Some(Body::Json(json!({ "markdown": "# x" }))),
        ("post", "/api/v1/accounts/{id}/reviews") => Some(Body::Json(json!({
            "background": "route test", "actions": "route test", "result": "won"
        }))),
        ("post", "/new") => Some(Body::Form(vec![
            ("kind", "playbook".to_owned()),
            ("title", "route test".to_owned()),
            ("do", "save".to_owned()),
        ])),
        ("post", "/content/{id}/edit") => Some(Body::Form(vec![
            ("title", "战略客户例行拜访".to_owned()),
            ("do", "save".to_owned()),
        ])),
        ("post", "/content/{id}/workflow") => {
            Some(Body::Form(vec![("action", "submit".to_owned())]))
        }
        ("post", "/content/{id}/moves/{n}") => Some(Body::Form(vec![("best", "0".to_owned())])),
        ("post", "/lessons/{id}/done") => Some(Body::Form(vec![("done", "1".to_owned())])),
        ("post", "/accounts/{id}/reviews") => Some(Body::Form(vec![
            ("background", "route test".to_owned()),
            ("actions", "route test".to_owned()),
            ("result", "won".to_owned()),
        ])),
        ("post", _) => Some(Body::Form(vec![])),
        _ => None,
    };
    let path = match route {
        "/api/v1/accounts/lookup" | "/accounts/find" => format!("{path}?q=jia"),
        "/api/v1/search" | "/search" => format!("{path}?q=客户"),
        "/lang/{lang}" => format!("{path}?next=/"),
        "/api/v1/content/{id}/diff" | "/content/{id}/diff" => format!("{path}?from=1&to=2"),
        _ => path,
    };
    (path, body)
}

enum Body {
    Json(Value),
    Form(Vec<(&'static str, String)>),
    Csv(&'static str),
    /// A multipart form with one file.
    File(&'static str, &'static str),
}

async fn send(app: &TestApp, client: &Client, method: &str, path: &str, body: Option<Body>) -> u16 {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    let mut request = client
        .request(method, app.url(path))
        .header("Origin", &app.address);
    request = match body {
        Some(Body::Json(v)) => request.json(&v),
        Some(Body::Form(f)) => request.form(&f),
        Some(Body::Csv(c)) => request.header("Content-Type", "text/csv").body(c),
        Some(Body::File(name, content)) => {
            let boundary = "route-test-boundary";
            request
                .header(
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
                ))
        }
        None => request,
    };
    request.send().await.expect("request").status().as_u16()
}

/// Routes that end, replace or change the caller's own session get a fresh sign-in each time.
fn ends_session(method: &str, route: &str) -> bool {
    matches!(
        (method, route),
        ("post", "/logout")
            | ("post", "/login")
            | ("post", "/api/v1/session")
            | ("delete", "/api/v1/session")
            | ("put", "/api/v1/session/password")
            | ("post", "/me/password")
    )
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_policy_says() {
    // The table and the app's route list must match exactly: a new route without an entry
    // here fails this test.
    let registered: BTreeSet<(String, String)> = playbook::web::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = registered.difference(&expected).collect();
    let stale: Vec<_> = expected.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "routes without an entry in EXPECTED: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "EXPECTED names routes that do not exist: {stale:?}"
    );

    let app = spawn_app().await;
    let (status, _) = app.import_accounts(CSV).await;
    assert_eq!(status, 200);
    let mut passwords = vec![app.admin_password.clone()];
    for role in &WHO[1..] {
        passwords.push(app.add_user(&format!("u-{role}"), role).await);
        app.add_user(&format!("target-{role}"), "rep").await;
    }

    // One signed-in client per role; routes that end or replace the session get a fresh one.
    let mut shared = vec![plain_client()];
    for (i, who) in WHO.iter().enumerate().skip(1) {
        shared.push(signed_in_client(&app.address, &format!("u-{who}"), &passwords[i]).await);
    }

    let mut failures = Vec::new();
    for (method, route, statuses) in EXPECTED {
        for (i, who) in WHO.iter().enumerate() {
            let name = format!("u-{who}");
            let password = passwords[i].clone();
            let client = if *who == "anonymous" {
                plain_client()
            } else if ends_session(method, route) {
                signed_in_client(&app.address, &name, &password).await
            } else {
                shared[i].clone()
            };
            let revokes_token = route.contains("tokens/{id}");
            if revokes_token && *who != "anonymous" {
                // A token of this very user, so revoking it can succeed.
                let created: Value = client
                    .post(app.url("/api/v1/tokens"))
                    .json(&json!({"label": "to revoke"}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let id = created["id"].as_str().unwrap().to_owned();
                let path = route.replace("{id}", &id);
                let body = (*method == "post").then(|| Body::Form(vec![]));
                let status = send(&app, &client, method, &path, body).await;
                if status != statuses[i] {
                    failures.push(format!(
                        "{method} {route} as {who}: {status}, expected {}",
                        statuses[i]
                    ));
                }
                continue;
            }
            let (path, body) = request_for(method, route, who, &password);
            let status = send(&app, &client, method, &path, body).await;
            if status != statuses[i] {
                failures.push(format!(
                    "{} {path} as {who}: {status}, expected {}",
                    method.to_uppercase(),
                    statuses[i]
                ));
            }
            if ends_session(method, route) && *who != "anonymous" && status < 400 {
                // Put the password back for the next routes.
                if route.ends_with("/password") {
                    let again =
                        signed_in_client(&app.address, &name, "a brand new passphrase").await;
                    let status = send(
                        &app,
                        &again,
                        "put",
                        "/api/v1/session/password",
                        Some(Body::Json(json!({
                            "current_password": "a brand new passphrase",
                            "new_password": password,
                        }))),
                    )
                    .await;
                    assert_eq!(status, 200, "password restored for {who}");
                    // A password change ends every session of the user, the shared one too.
                    shared[i] = signed_in_client(&app.address, &name, &password).await;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The leak test
// ---------------------------------------------------------------------------------------------

/// Figures no other text in the app contains, in every form they could be shown: fen in JSON,
/// yuan as a float, yuan with thousands separators.
const PLANTED: [&str; 9] = [
    "98765432",
    "98,765,432",
    "13579246",
    "13,579,246",
    "24681357",
    "24,681,357",
    "紫檀木柜谈判",
    "zitanmugui",
    "XQ7-SECRET",
];

const LEAK_CSV: &str =
    "id,name,aliases,owner,revenue,profit,collected,overdue_days,product_lines\n\
LEAK-1,秘密机械有限公司,秘机,rep.a,98765432.17,13579246.55,24681357.91,47,2\n\
OTHER-1,公开贸易公司,,rep.b,500000,1000,500000,0,3\n";

const LEAK_REVIEW: &str = "---
id: leak-review
kind: case
title: 秘密机械复盘 XQ7-SECRET
tiers: [strategic]
scenarios: [negotiation]
tags: [zitanmugui]
lang: zh
account: LEAK-1
outcome: won
---
## 背景

这次紫檀木柜谈判的关键是预算口径（XQ7-SECRET）。客户的采购负责人很坦率。
";

fn leaks(body: &str) -> Vec<&'static str> {
    PLANTED.into_iter().filter(|p| body.contains(p)).collect()
}

/// Everything a user can fetch about the planted account and review.
async fn crawl(app: &TestApp, client: &Client) -> Vec<(String, String)> {
    let paths = [
        "/",
        "/api/v1/search?q=紫檀木柜",
        "/api/v1/search?q=XQ7-SECRET",
        "/api/v1/search?q=秘密机械",
        "/api/v1/search?tag=zitanmugui",
        "/api/v1/search?kind=case",
        "/api/v1/search",
        "/search?q=紫檀木柜",
        "/search?q=谈判",
        "/search?kind=case",
        "/api/v1/accounts/lookup?q=秘密",
        "/api/v1/accounts/lookup?q=mimi",
        "/accounts/find?q=秘密",
        "/api/v1/accounts",
        "/api/v1/accounts?owner=rep.a",
        "/accounts",
        "/accounts?owner=rep.a",
        "/api/v1/accounts/LEAK-1",
        "/api/v1/accounts/LEAK-1/briefing",
        "/api/v1/accounts/LEAK-1/briefing?scenario=negotiation",
        "/accounts/LEAK-1",
        "/accounts/LEAK-1?scenario=negotiation",
        "/api/v1/accounts/OTHER-1/briefing?scenario=negotiation",
        "/accounts/OTHER-1?scenario=negotiation",
        "/api/v1/content",
        "/api/v1/content?kind=case",
        "/api/v1/content/leak-review",
        "/content/leak-review",
        "/api/v1/tiers.csv",
        "/api/v1/pareto",
        "/pareto",
        "/api/v1/tier-changes",
        "/coverage",
        "/today",
        "/library",
        "/api/v1/today",
        "/api/v1/today?scope=team",
        "/api/v1/today?lang=en",
    ];
    // The search-miss list is left out, and so is its summary on the trainer's home: it holds
    // what searchers typed and saw nothing for, so the planted words this crawl searches as
    // another rep are rightly in it (recorded exactly like made-up words; see privacy.rs).
    let mut pages = Vec::new();
    for path in paths {
        let response = client.get(app.url(path)).send().await.unwrap();
        let status = response.status();
        let mut body = response.text().await.unwrap();
        if let Some(start) = body.find("<section class=\"home-section\" id=\"misses\">") {
            let end = start + body[start..].find("</section>").expect("the section ends");
            body.replace_range(start..end, "");
        }
        pages.push((format!("{path} ({status})"), body));
    }
    pages
}

#[tokio::test]
async fn planted_figures_and_a_private_review_never_reach_another_rep_or_a_trainer() {
    let content = copy_fixture_content();
    write_file(content.path(), "cases/leak-review.md", LEAK_REVIEW);
    let data = tempfile::tempdir().unwrap();
    let app = spawn_app_with(data.path(), content.path()).await;
    let (status, body) = app.import_accounts(LEAK_CSV).await;
    assert_eq!(status, 200, "{body}");

    // The owner and a manager do see them: the crawl can find a leak.
    for (name, role) in [("rep.a", "rep"), ("boss", "manager")] {
        let client = app.client_as(name, role).await;
        let pages = crawl(&app, &client).await;
        let found: BTreeSet<&str> = pages.iter().flat_map(|(_, body)| leaks(body)).collect();
        for planted in ["98765432", "13579246", "紫檀木柜谈判", "XQ7-SECRET"] {
            assert!(
                found.contains(planted),
                "{name} should see {planted}; saw {found:?}"
            );
        }
    }

    for (name, role) in [("rep.b", "rep"), ("teacher", "trainer")] {
        let client = app.client_as(name, role).await;
        let pages = crawl(&app, &client).await;
        let mut leaked = Vec::new();
        for (page, body) in &pages {
            let found = leaks(body);
            if !found.is_empty() {
                leaked.push(format!("{page}: {found:?}"));
            }
        }
        assert!(
            leaked.is_empty(),
            "{name} ({role}) saw planted values:\n{}",
            leaked.join("\n")
        );
        // Not even a count gives the review away.
        let search: Value = json_at(&client, &app.url("/api/v1/search?q=紫檀木柜")).await;
        assert_eq!(search["total"], 0, "{name}: {search}");
        let cases: Value = json_at(&client, &app.url("/api/v1/search?kind=case")).await;
        let case_facet = cases["facets"]["kind"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["value"] == "case")
            .map(|f| f["count"].as_u64().unwrap())
            .unwrap_or(0);
        assert_eq!(case_facet, cases["total"].as_u64().unwrap());
        assert!(cases["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["id"] != "leak-review"));
        // The tier is still shared knowledge.
        let account: Value = json_at(&client, &app.url("/api/v1/accounts/LEAK-1")).await;
        assert_eq!(account["tier"]["tier"], "strategic");
        assert_eq!(account["figures_visible"], false);
    }
}

// ---------------------------------------------------------------------------------------------
// CSRF, sessions, tokens, throttling
// ---------------------------------------------------------------------------------------------

const MODEL: &str = r#"{"preset":"pyramid","score":{"method":"single","indicator":"revenue"}}"#;

async fn code_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test]
async fn state_changes_by_cookie_need_our_origin_and_the_csrf_token() {
    let app = spawn_app().await;
    app.import_accounts(CSV).await;
    // A session cookie, but no CSRF header and no Origin: what a cross-site form would send.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let bare = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = bare
        .post(app.url("/api/v1/session"))
        .json(&json!({"name": ADMIN, "password": app.admin_password}))
        .send()
        .await
        .unwrap();
    let csrf = login.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = |origin: Option<&str>, token: Option<&str>| {
        let mut request = bare
            .put(app.url("/api/v1/tier-model"))
            .header("Content-Type", "application/json")
            .body(MODEL);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        if let Some(token) = token {
            request = request.header("X-CSRF-Token", token);
        }
        request.send()
    };

    assert_eq!(
        code_of(put(None, Some(&csrf)).await.unwrap()).await,
        (403, "csrf_rejected".into())
    );
    assert_eq!(
        code_of(
            put(Some("https://evil.example"), Some(&csrf))
                .await
                .unwrap()
        )
        .await,
        (403, "csrf_rejected".into())
    );
    assert_eq!(
        code_of(put(Some(&app.address), None).await.unwrap()).await,
        (403, "csrf_rejected".into())
    );
    assert_eq!(
        code_of(put(Some(&app.address), Some("0000")).await.unwrap()).await,
        (403, "csrf_rejected".into())
    );
    assert_eq!(
        put(Some(&app.address), Some(&csrf)).await.unwrap().status(),
        200
    );

    // The page form: the token comes in the hidden field, the Origin from the browser.
    let page = text_at(&bare, &app.url("/accounts/A")).await;
    let field = attr_of(&page, "form.override-form input[name=csrf]", "value");
    assert_eq!(field, csrf);
    let form = |token: &str, referer: &str| {
        bare.post(app.url("/accounts/A/override"))
            .header("Referer", referer)
            .form(&[("tier", "major"), ("reason", "csrf test"), ("csrf", token)])
            .send()
    };
    let forged = form("forged", &app.url("/accounts/A")).await.unwrap();
    assert_eq!(forged.status(), 403);
    let cross_site = form(&csrf, "https://evil.example/page").await.unwrap();
    assert_eq!(cross_site.status(), 403);
    // The Chinese page says why in Chinese (the API answers the English message).
    assert!(cross_site
        .text()
        .await
        .unwrap()
        .contains("这次提交没有被接受"));
    let (_, a) = app.get_account("A").await;
    assert_eq!(
        a["tier"]["override"],
        Value::Null,
        "nothing was changed by the refused requests"
    );
    let ok = form(&csrf, &app.url("/accounts/A")).await.unwrap();
    assert_eq!(ok.status(), 303);
    let (_, a) = app.get_account("A").await;
    assert_eq!(a["tier"]["override"]["reason"], "csrf test");
}

#[tokio::test]
async fn sessions_end_on_logout_password_change_and_disable() {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let who = |client: Client| {
        let url = app.url("/api/v1/session");
        async move { client.get(url).send().await.unwrap().status() }
    };

    let client = signed_in_client(&app.address, "ann", &password).await;
    assert_eq!(who(client.clone()).await, StatusCode::OK);
    let out = client
        .delete(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(
        who(client.clone()).await,
        StatusCode::UNAUTHORIZED,
        "logout ends it"
    );

    let first = signed_in_client(&app.address, "ann", &password).await;
    let second = signed_in_client(&app.address, "ann", &password).await;
    let change = first
        .put(app.url("/api/v1/session/password"))
        .json(&json!({"current_password": password, "new_password": "another passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(change.status(), 200);
    assert_eq!(
        who(second.clone()).await,
        StatusCode::UNAUTHORIZED,
        "password change ends every other session"
    );
    let wrong_current = signed_in_client(&app.address, "ann", "another passphrase").await;
    let refused = wrong_current
        .put(app.url("/api/v1/session/password"))
        .json(&json!({"current_password": "not it at all", "new_password": "x".repeat(12)}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "the current password is checked");

    let client = signed_in_client(&app.address, "ann", "another passphrase").await;
    let token: Value = client
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"label": "nightly"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = token["token"].as_str().unwrap().to_owned();
    let by_token = || {
        plain_client()
            .get(app.url("/api/v1/session"))
            .bearer_auth(&secret)
            .send()
    };
    assert_eq!(by_token().await.unwrap().status(), 200);
    let disable = app
        .admin
        .put(app.url("/api/v1/users/ann"))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(disable.status(), 200);
    assert_eq!(
        who(client).await,
        StatusCode::UNAUTHORIZED,
        "disabling ends sessions"
    );
    assert_eq!(
        by_token().await.unwrap().status(),
        401,
        "and revokes tokens"
    );
    let login = plain_client()
        .post(app.url("/api/v1/session"))
        .json(&json!({"name": "ann", "password": "another passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401, "a disabled user cannot sign in");
}

#[tokio::test]
async fn api_tokens_are_listed_without_secrets_and_revoked_by_their_owner_only() {
    let app = spawn_app().await;
    let ann = app.client_as("ann", "manager").await;
    let bob = app.client_as("bob", "manager").await;
    let created: Value = ann
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"label": "export script"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, secret) = (
        created["id"].as_str().unwrap(),
        created["token"].as_str().unwrap(),
    );
    let listed = text_at(&ann, &app.url("/api/v1/tokens")).await;
    assert!(
        listed.contains("export script") && !listed.contains(secret),
        "{listed}"
    );
    let bobs = text_at(&bob, &app.url("/api/v1/tokens")).await;
    assert_eq!(bobs, "[]");

    let script = plain_client();
    let csv = script
        .get(app.url("/api/v1/tiers.csv"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(
        csv.status(),
        200,
        "a token acts as its owner, without CSRF ceremony"
    );
    let not_bobs = bob
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(not_bobs.status(), 404);
    let revoked = ann
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let after = script
        .get(app.url("/api/v1/tiers.csv"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(code_of(after).await, (401, "unauthorized".into()));
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_even_for_the_right_password() {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let attempt = |pw: String| {
        plain_client()
            .post(app.url("/api/v1/session"))
            .json(&json!({"name": "ann", "password": pw}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("wrong password!".into()).await.unwrap().status(),
            401
        );
    }
    let throttled = attempt(password.clone()).await.unwrap();
    assert_eq!(throttled.status(), 429);
    let retry: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert_eq!(code_of(throttled).await.1, "too_many_attempts");

    // The login page says so in words.
    let page = plain_client()
        .post(app.url("/login"))
        .header("Origin", &app.address)
        .header("Accept-Language", "en")
        .form(&[("name", "ann"), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 429);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Too many failed sign-ins"));

    // Another user is not affected.
    let other = app.add_user("bob", "rep").await;
    let bob = plain_client()
        .post(app.url("/api/v1/session"))
        .json(&json!({"name": "bob", "password": other}))
        .send()
        .await
        .unwrap();
    assert_eq!(bob.status(), 200);
}

#[tokio::test]
async fn signed_out_visitors_get_the_login_page_and_come_back_after_signing_in() {
    let app = spawn_app().await;
    let client = plain_client();
    let response = client
        .get(app.url("/accounts?tier=major"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/login?next=%2Faccounts%3Ftier%3Dmajor");
    let login = client.get(app.url(&location)).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    assert!(
        html.contains("name=\"next\" value=\"/accounts?tier=major\""),
        "{html}"
    );

    let signed_in = client
        .post(app.url("/login"))
        .header("Origin", &app.address)
        .form(&[
            ("name", ADMIN),
            ("password", app.admin_password.as_str()),
            ("next", "/accounts?tier=major"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/accounts?tier=major");
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let page = client
        .get(app.url("/accounts?tier=major"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    // An off-site `next` is ignored.
    let other = plain_client()
        .post(app.url("/login"))
        .header("Origin", &app.address)
        .form(&[
            ("name", ADMIN),
            ("password", app.admin_password.as_str()),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(other.headers()["location"], "/");
    // A sign-in form posted from another site is refused (login CSRF).
    let forged = plain_client()
        .post(app.url("/login"))
        .header("Origin", "https://evil.example")
        .form(&[("name", ADMIN), ("password", app.admin_password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_no_internals() {
    let app = spawn_app().await;
    let anonymous = plain_client();
    let responses = [
        anonymous
            .get(app.url("/api/v1/content"))
            .send()
            .await
            .unwrap(),
        anonymous.get(app.url("/")).send().await.unwrap(),
        anonymous.get(app.url("/login")).send().await.unwrap(),
        app.client.get(app.url("/nope")).send().await.unwrap(),
        app.client
            .get(app.url("/api/v1/accounts/nope"))
            .send()
            .await
            .unwrap(),
        app.client
            .put(app.url("/api/v1/tier-model"))
            .body("{not json")
            .send()
            .await
            .unwrap(),
    ];
    for response in responses {
        let url = response.url().clone();
        let headers = response.headers().clone();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{url}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
        assert!(headers.contains_key("referrer-policy"), "{url}");
        let body = response.text().await.unwrap();
        for internal in ["/work/", "/tmp/", "src/", "panicked", "backtrace"] {
            assert!(
                !body.contains(internal),
                "{url} reveals {internal:?}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_they_are_read() {
    let app = spawn_app().await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let response = app
        .client
        .post(app.url("/api/v1/tokens"))
        .json(&json!({ "label": huge }))
        .send()
        .await
        .unwrap();
    assert_eq!(code_of(response).await, (413, "payload_too_large".into()));
}

#[tokio::test]
async fn my_account_page_changes_the_password_and_creates_and_revokes_tokens() {
    let app = spawn_app().await;
    let password = app.add_user("ann", "rep").await;
    let ann = signed_in_client(&app.address, "ann", &password).await;
    let page = text_at(&ann, &app.url("/me")).await;
    assert!(page.contains("id=\"me-name\">ann<") && page.contains("id=\"me-role\">销售代表<"));

    let created = ann
        .post(app.url("/me/tokens"))
        .form(&[("label", "weekly report")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let document = scraper::Html::parse_document(&created);
    let secret = document
        .select(&scraper::Selector::parse("#new-token").unwrap())
        .next()
        .expect("the new token is shown once")
        .text()
        .collect::<String>();
    assert!(secret.starts_with("pbt_"));
    let again = text_at(&ann, &app.url("/me")).await;
    assert!(
        again.contains("weekly report") && !again.contains(&secret),
        "shown only once"
    );
    let use_token = || {
        plain_client()
            .get(app.url("/api/v1/session"))
            .bearer_auth(&secret)
            .send()
    };
    assert_eq!(use_token().await.unwrap().status(), 200);
    let action = attr_of(&again, "table.tokens form", "action");
    let revoked = ann
        .post(app.url(&action))
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 303);
    assert_eq!(use_token().await.unwrap().status(), 401);

    let mismatch = ann
        .post(app.url("/me/password"))
        .form(&[
            ("current_password", password.as_str()),
            ("new_password", "first new passphrase"),
            ("new_password_again", "second new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(mismatch.status(), 400);
    let changed = ann
        .post(app.url("/me/password"))
        .form(&[
            ("current_password", password.as_str()),
            ("new_password", "first new passphrase"),
            ("new_password_again", "first new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 303);
    assert_eq!(changed.headers()["location"], "/me?password=changed");
    assert_eq!(
        ann.get(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "this browser stays signed in, with the new session it was given"
    );
    let _ = signed_in_client(&app.address, "ann", "first new passphrase").await;
}

#[tokio::test]
async fn someone_signed_in_can_use_the_login_form_again_to_switch_user() {
    let app = spawn_app().await;
    let password = app.add_user("bob", "rep").await;
    // A browser: the session cookie, an Origin, and no CSRF header.
    let browser = plain_client();
    let signed_in = browser
        .post(app.url("/api/v1/session"))
        .json(&json!({"name": ADMIN, "password": app.admin_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let page = text_at(&browser, &app.url("/login")).await;
    let csrf = attr_of(&page, ".login-form input[name=csrf]", "value");
    let switched = browser
        .post(app.url("/login"))
        .header("Origin", &app.address)
        .form(&[
            ("name", "bob"),
            ("password", password.as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 303);
    let me: Value = json_at(&browser, &app.url("/api/v1/session")).await;
    assert_eq!(me["user"], "bob");
}

/// The body of `GET url` as text.
async fn text_at(client: &Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// The body of `GET url` as JSON.
async fn json_at(client: &Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// Attribute `attr` of the first element of `html` matching `css`.
fn attr_of(html: &str, css: &str, attr: &str) -> String {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    let element = document
        .select(&selector)
        .next()
        .unwrap_or_else(|| panic!("no {css} in the page"));
    element
        .value()
        .attr(attr)
        .unwrap_or_else(|| panic!("{css} has no {attr}"))
        .to_owned()
}
