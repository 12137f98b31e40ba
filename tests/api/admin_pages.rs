//! The administrator's pages: `/users` (add, role, disable and enable, reset password; a
//! generated password shown once) and `/backups` (make one, list them, how to restore), used
//! the way a browser does — signed in through the login form, posting forms with the page's
//! CSRF field — and refused to everyone else.

use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::helpers::{plain_client, spawn_app, TestApp, ADMIN};

/// A client signed in through the login form, like a browser: cookies, our `Origin` on
/// every request, and the CSRF token only where a page's form carries it.
async fn page_client(app: &TestApp, name: &str, password: &str, lang: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("Origin", app.address.parse().unwrap());
    headers.insert("Accept-Language", lang.parse().unwrap());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap();
    let response = client
        .post(app.url("/login"))
        .form(&[("name", name), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{name} signs in");
    client
}

/// Whether `name` can sign in with `password` (through the API, so the page client's session
/// is not touched).
async fn signs_in(app: &TestApp, name: &str, password: &str) -> bool {
    let response = plain_client()
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({ "name": name, "password": password }))
        .send()
        .await
        .unwrap();
    response.status() == 200
}

/// The value of the first hidden `csrf` field of `html`.
fn csrf_of(html: &str) -> String {
    let start = html
        .find(r#"name="csrf" value=""#)
        .expect("a form with the CSRF field")
        + r#"name="csrf" value=""#.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The text of the element that opens with `opening` (up to the next `<`).
fn text_after<'a>(html: &'a str, opening: &str) -> Option<&'a str> {
    let start = html.find(opening)? + opening.len();
    html[start..].split('<').next()
}

/// Posts `fields` plus the CSRF field of `page` to `path`; answers status, `Location` and body.
async fn post_form(
    client: &Client,
    app: &TestApp,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let html = client
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", &csrf));
    let response = client.post(app.url(path)).form(&form).send().await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

async fn html_of(client: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn an_admin_adds_a_user_on_the_page_and_the_password_shown_once_signs_in() {
    let app = spawn_app().await;
    let admin = page_client(&app, ADMIN, &app.admin_password, "zh-CN").await;

    let (status, _, html) = post_form(
        &admin,
        &app,
        "/users",
        "/users",
        &[
            ("name", "li.na"),
            ("role", "rep"),
            ("password", ""),
            ("region", "华东"),
        ],
    )
    .await;

    assert_eq!(status, 200, "{html}");
    assert!(html.contains("已添加用户 li.na（销售代表）"), "{html}");
    assert!(
        html.contains("只显示这一次") && html.contains("请现在复制"),
        "{html}"
    );
    let password = text_after(&html, r#"id="new-password" data-user="li.na">"#)
        .expect("the generated password is shown")
        .to_owned();
    assert!(password.len() >= 20, "{password}");
    assert!(
        signs_in(&app, "li.na", &password).await,
        "the shown password works"
    );
    // The list shows the new user with the role in words and a human date.
    let (_, list) = html_of(&admin, &app, "/users").await;
    let card = &list[list.find(r#"id="user-li.na""#).expect("li.na is listed")..];
    let card = &card[..card.find("</li>").unwrap()];
    assert!(
        card.contains(">销售代表<") && card.contains("华东"),
        "{card}"
    );
    assert!(card.contains("刚刚"), "a human date: {card}");
    assert!(!card.contains(">rep<"), "no raw role: {card}");
    // Shown once: never again.
    assert!(!list.contains(&password), "the password is not shown again");
}

#[tokio::test]
async fn a_role_change_and_disabling_take_effect_and_are_confirmed() {
    let app = spawn_app().await;
    let admin = page_client(&app, ADMIN, &app.admin_password, "zh-CN").await;
    let bob_password = app.add_user("bob", "rep").await;
    let bob = page_client(&app, "bob", &bob_password, "zh-CN").await;
    assert_eq!(
        html_of(&bob, &app, "/review").await.0,
        403,
        "a rep reviews nothing"
    );

    let (status, location, _) = post_form(
        &admin,
        &app,
        "/users",
        "/users/bob/role",
        &[("role", "manager")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/users?done=role&user=bob#user-bob");
    let (_, html) = html_of(&admin, &app, &location).await;
    assert!(html.contains("已把 bob 的角色改为“销售经理”"), "{html}");
    // The old session ended; signed in again, bob is a manager.
    assert_eq!(
        html_of(&bob, &app, "/review").await.0,
        303,
        "sent to sign in"
    );
    let bob = page_client(&app, "bob", &bob_password, "zh-CN").await;
    assert_eq!(html_of(&bob, &app, "/review").await.0, 200);

    let (status, location, _) = post_form(&admin, &app, "/users", "/users/bob/disable", &[]).await;
    assert_eq!(status, 303);
    let (_, html) = html_of(&admin, &app, &location).await;
    assert!(html.contains("已停用 bob"), "{html}");
    assert!(html.contains(r#"data-name="bob" data-role="manager" data-disabled="true""#));
    assert!(!signs_in(&app, "bob", &bob_password).await, "disabled");
    assert_eq!(html_of(&bob, &app, "/").await.0, 303, "the session ended");

    let (status, location, _) = post_form(&admin, &app, "/users", "/users/bob/enable", &[]).await;
    assert_eq!(status, 303);
    let (_, html) = html_of(&admin, &app, &location).await;
    assert!(html.contains("已重新启用 bob"), "{html}");
    assert!(signs_in(&app, "bob", &bob_password).await, "enabled again");

    // A hand-made link cannot claim a change that did not happen.
    let (_, html) = html_of(&admin, &app, "/users?done=disabled&user=bob").await;
    assert!(!html.contains("已停用 bob"), "bob is enabled");
}

#[tokio::test]
async fn a_password_reset_shows_a_new_password_once_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    let admin = page_client(&app, ADMIN, &app.admin_password, "en").await;
    let old = app.add_user("carol", "trainer").await;

    let (status, _, html) = post_form(&admin, &app, "/users", "/users/carol/password", &[]).await;

    assert_eq!(status, 200, "{html}");
    let done = text_after(&html, r#"id="users-done">"#).expect("a confirmation");
    assert!(
        done.starts_with("carol") && done.contains("password is reset"),
        "{done}"
    );
    assert!(html.contains("Copy it now"), "{html}");
    let new = text_after(&html, r#"id="new-password" data-user="carol">"#)
        .expect("the new password is shown")
        .to_owned();
    assert!(
        !signs_in(&app, "carol", &old).await,
        "the old password stops working"
    );
    assert!(signs_in(&app, "carol", &new).await, "the new one works");
    let (_, list) = html_of(&admin, &app, "/users").await;
    assert!(!list.contains(&new), "shown once");
}

#[tokio::test]
async fn bad_input_is_refused_on_the_page_in_the_ui_language_naming_the_field() {
    let app = spawn_app().await;
    let zh = page_client(&app, ADMIN, &app.admin_password, "zh-CN").await;
    let en = page_client(&app, ADMIN, &app.admin_password, "en").await;
    app.add_user("dora", "rep").await;
    // (client, form, status, field, what the page says)
    let cases = [
        (
            &zh,
            vec![("name", "li na/x"), ("role", "rep")],
            400,
            "name",
            "用户名：需要 1–64 个字符",
        ),
        (
            &en,
            vec![("name", "li na/x"), ("role", "rep")],
            400,
            "name",
            "Name:",
        ),
        (
            &zh,
            vec![("name", "dora"), ("role", "rep")],
            409,
            "name",
            "用户名：已经有名为“dora”的用户",
        ),
        (
            &en,
            vec![("name", "dora"), ("role", "rep")],
            409,
            "name",
            "Name: a user named “dora” already exists",
        ),
        (
            &zh,
            vec![("name", "erin"), ("role", "rep"), ("password", "short")],
            400,
            "password",
            "密码：至少 10 个字符",
        ),
        (
            &en,
            vec![("name", "erin"), ("role", "rep"), ("password", "short")],
            400,
            "password",
            "Password: a password has 10–256 characters",
        ),
        (
            &zh,
            vec![("name", "erin"), ("role", "boss")],
            400,
            "role",
            "角色：请选择销售代表、培训师、销售经理、管理员之一",
        ),
    ];
    for (client, form, status, field, says) in cases {
        let (got, _, html) = post_form(client, &app, "/users", "/users", &form).await;
        assert_eq!(got.as_u16(), status, "{form:?}: {html}");
        let error = text_after(&html, &format!(r#"id="add-error" data-field="{field}">"#))
            .unwrap_or_else(|| panic!("{form:?}: no error on the {field} field: {html}"));
        assert!(error.contains(says), "{form:?}: {error}");
        // What was typed is kept.
        let name = form[0].1;
        assert!(
            html.contains(&format!(r#"name="name" value="{name}""#)),
            "{form:?}"
        );
    }
    assert!(!signs_in(&app, "erin", "short").await);
    let (_, users) = app.get_json("/api/v1/users").await;
    assert!(
        !users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "erin"),
        "nothing was added"
    );

    // Disabling oneself is refused on one's own card.
    let (status, _, html) = post_form(&zh, &app, "/users", "/users/admin/disable", &[]).await;
    assert_eq!(status, 400);
    assert!(html.contains("不能停用自己"), "{html}");
    let (status, _, html) =
        post_form(&en, &app, "/users", "/users/admin/role", &[("role", "rep")]).await;
    assert_eq!(status, 400);
    assert!(
        html.contains("You cannot disable yourself or take away your own admin role"),
        "{html}"
    );
    let (_, me) = app.get_json("/api/v1/session").await;
    assert_eq!(me["role"], "admin", "{me}");
    // A user who does not exist.
    let (status, _, html) = post_form(&zh, &app, "/users", "/users/nobody/enable", &[]).await;
    assert_eq!(status, 404);
    assert!(html.contains("没有名为“nobody”的用户"), "{html}");
}

#[tokio::test]
async fn only_admins_get_the_users_and_backups_pages() {
    let app = spawn_app().await;
    for role in ["rep", "trainer", "manager"] {
        let password = app.add_user(&format!("u-{role}"), role).await;
        let client = page_client(&app, &format!("u-{role}"), &password, "zh-CN").await;
        for path in ["/users", "/backups"] {
            let (status, html) = html_of(&client, &app, path).await;
            assert_eq!(status, 403, "{role} {path}");
            assert!(html.contains("<html"), "an error page for {role} {path}");
        }
        // Forms posted anyway change nothing.
        let html = html_of(&client, &app, "/me").await.1;
        let csrf = csrf_of(&html);
        let response = client
            .post(app.url("/users"))
            .form(&[("name", "sneaky"), ("role", "admin"), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{role}");
        let response = client
            .post(app.url("/backups"))
            .form(&[("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{role}");
    }
    let (_, users) = app.get_json("/api/v1/users").await;
    assert!(!users
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"] == "sneaky"));
    let (_, backups) = app.get_json("/api/v1/backups").await;
    assert_eq!(backups, Value::Array(vec![]), "no backup was made");
}

#[tokio::test]
async fn a_backup_made_on_the_page_is_listed_with_how_to_restore_it() {
    let app = spawn_app().await;
    let admin = page_client(&app, ADMIN, &app.admin_password, "zh-CN").await;
    let (_, html) = html_of(&admin, &app, "/backups").await;
    assert!(html.contains(r#"id="no-backups""#), "none yet: {html}");

    let (status, location, _) = post_form(&admin, &app, "/backups", "/backups", &[]).await;

    assert_eq!(status, 303);
    assert!(
        location.starts_with("/backups?created=backup-"),
        "{location}"
    );
    let (status, html) = html_of(&admin, &app, &location).await;
    assert_eq!(status, 200);
    let (_, backups) = app.get_json("/api/v1/backups").await;
    let listed = backups.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{backups}");
    let name = listed[0]["name"].as_str().unwrap();
    let dir = listed[0]["dir"].as_str().unwrap();
    let records = listed[0]["manifest"]["records"].as_u64().unwrap();
    assert!(records > 10, "{backups}");
    assert!(
        html.contains(&format!("备份已完成：<strong>{name}</strong>")),
        "{html}"
    );
    let card = &html[html
        .find(&format!(r#"id="backup-{name}""#))
        .expect("listed")..];
    let card = &card[..card.find("</li>").unwrap()];
    assert!(card.contains("刚刚"), "when, in words: {card}");
    let shown_records = text_after(card, r#"class="backup-records">"#).unwrap();
    assert_eq!(shown_records.replace(',', ""), records.to_string());
    // How to restore: the exact command for this backup, with the server stopped.
    let command = text_after(&html, r#"id="restore-command">"#).unwrap();
    assert!(
        command.starts_with(&format!("playbook restore {dir} --data-dir ")),
        "{command}"
    );
    assert!(command.ends_with("--force"), "{command}");
    assert!(html.contains("停止 Playbook 服务器"), "{html}");

    // The English page says the same in English.
    let en = page_client(&app, ADMIN, &app.admin_password, "en").await;
    let (_, html) = html_of(&en, &app, "/backups").await;
    assert!(html.contains("How to restore") && html.contains("Stop the Playbook server"));
    assert!(!html.contains("如何恢复"), "no Chinese in the English page");
}

#[tokio::test]
async fn the_users_page_fits_a_390_px_phone() {
    let app = spawn_app().await;
    for (name, role) in [
        ("zhang.wei.from.the.northern.region.sales", "rep"),
        ("li.na", "trainer"),
        ("wang.fang", "manager"),
    ] {
        app.add_user(name, role).await;
    }
    let browser = crate::browser::browser(390, 844).await;
    let c = &browser.client;
    crate::browser::sign_in(c, &app, ADMIN, &app.admin_password, "/users").await;

    let width = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap();
    let wide = c
        .execute(
            "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 392).map(e => e.tagName + '.' + e.className).slice(0, 8).join(' | ');",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        width.as_u64().unwrap() <= 390,
        "the users page is {width} px wide: {wide}"
    );
    let cards = c
        .find_all(fantoccini::Locator::Css(".user-list .admin-card"))
        .await
        .unwrap();
    assert_eq!(cards.len(), 4, "every user is a card");
    browser.client.clone().close().await.unwrap();
}
