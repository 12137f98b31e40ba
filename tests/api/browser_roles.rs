//! Each role's main flow in a real browser, at desktop (1366 px) and phone (390 px) widths, in
//! Chinese and English: sign in, land on the role's home, do the one thing the role comes for.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{browser, click, sign_in, text_of, wait_for_path};
use crate::helpers::{TestApp, ADMIN};

const WIDTHS: [(u32, u32); 2] = [(1366, 900), (390, 844)];

/// Switches the UI language with the visible switch's route and comes back to `path`.
async fn use_language(c: &Client, app: &TestApp, lang: &str, path: &str) {
    c.goto(&app.url(&format!("/lang/{lang}?next={path}")))
        .await
        .unwrap();
    let html_lang = c
        .execute("return document.documentElement.lang;", vec![])
        .await
        .unwrap();
    assert!(
        html_lang.as_str().unwrap_or_default().starts_with(lang),
        "{lang}: {html_lang}"
    );
}

/// The page fits the window: nothing to scroll sideways.
async fn fits(c: &Client, width: u32, what: &str) {
    let scroll = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    assert!(
        scroll <= u64::from(width),
        "{what} at {width} px is {scroll} px wide"
    );
}

#[tokio::test]
async fn a_rep_opens_today_then_the_most_urgent_account_in_both_languages_and_widths() {
    let app = crate::briefing::app_with_accounts().await;
    let password = app.add_user("li.na", "rep").await;
    for (width, height) in WIDTHS {
        let browser = browser(width, height).await;
        let c = &browser.client;
        sign_in(c, &app, "li.na", &password, "/").await;
        for (lang, heading, urgent) in [("zh", "今天", "紧急"), ("en", "Today", "Urgent")] {
            use_language(c, &app, lang, "/").await;
            assert_eq!(text_of(c, ".home-top h1").await, heading);
            fits(c, width, "today").await;
            let first = text_of(c, "#today .action").await;
            assert!(first.contains(urgent), "{lang}: {first}");
            // One tap from the list to the briefing of the most urgent account.
            let name = text_of(c, "#today .action .action-name").await;
            click(c, "#today .action .action-link").await;
            assert!(
                c.current_url()
                    .await
                    .unwrap()
                    .path()
                    .starts_with("/accounts/"),
                "{lang} {width}"
            );
            assert!(text_of(c, "h1").await.contains(&name));
            fits(c, width, "the briefing").await;
        }
        browser.client.clone().close().await.unwrap();
    }
}

#[tokio::test]
async fn a_manager_goes_from_the_team_overview_to_a_reps_accounts_in_both_languages_and_widths() {
    let app = crate::briefing::app_with_accounts().await;
    let password = app.add_user("boss", "manager").await;
    for (width, height) in WIDTHS {
        let browser = browser(width, height).await;
        let c = &browser.client;
        sign_in(c, &app, "boss", &password, "/").await;
        for (lang, heading, group) in [
            ("zh", "团队概览", "li.na 的客户"),
            ("en", "Team overview", "Accounts of li.na"),
        ] {
            use_language(c, &app, lang, "/").await;
            assert_eq!(text_of(c, ".home-top h1").await, heading);
            fits(c, width, "the team overview").await;
            // li.na has the critical accounts: her group comes first.
            assert_eq!(text_of(c, ".owner-group h3 a").await, group);
            click(c, ".owner-group h3 a").await;
            wait_for_path(c, "/accounts").await;
            let rows = text_of(c, "main").await;
            assert!(rows.contains("鑫达五金"), "{rows}");
            assert!(
                !rows.contains("中国移动通信集团江苏有限公司"),
                "only li.na's"
            );
            c.goto(&app.url("/")).await.unwrap();
            click(c, "#queue h2 a").await;
            wait_for_path(c, "/review").await;
        }
        browser.client.clone().close().await.unwrap();
    }
}

#[tokio::test]
async fn a_trainer_opens_a_coverage_gap_in_the_editor_in_both_languages_and_widths() {
    let app = crate::briefing::app_with_accounts().await;
    let password = app.add_user("teacher", "trainer").await;
    for (width, height) in WIDTHS {
        let browser = browser(width, height).await;
        let c = &browser.client;
        sign_in(c, &app, "teacher", &password, "/").await;
        for (lang, heading) in [("zh", "培训师工作台"), ("en", "Trainer's desk")] {
            use_language(c, &app, lang, "/").await;
            assert_eq!(text_of(c, ".home-top h1").await, heading);
            fits(c, width, "the trainer's desk").await;
            let gap = c
                .find(Locator::Css("#gaps .chip"))
                .await
                .expect("a coverage gap");
            let href = gap.attr("href").await.unwrap().unwrap();
            let query: Vec<(String, String)> =
                url::form_urlencoded::parse(href.split_once('?').unwrap().1.as_bytes())
                    .into_owned()
                    .collect();
            let get = |key: &str| {
                query
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| panic!("{key} in {href}"))
            };
            let (tier, scenario) = (get("tier"), get("scenario"));
            gap.click().await.unwrap();
            wait_for_path(c, "/new").await;
            fits(c, width, "the editor").await;
            for (name, value) in [("tiers", &tier), ("scenarios", &scenario)] {
                let checked = c
                    .execute(
                        &format!(
                            "return document.querySelector('input[name={name}][value=\"{value}\"]').checked;"
                        ),
                        vec![],
                    )
                    .await
                    .unwrap();
                assert_eq!(checked, serde_json::Value::Bool(true), "{name}={value}");
            }
        }
        browser.client.clone().close().await.unwrap();
    }
}

#[tokio::test]
async fn an_admin_adds_a_user_from_the_console_in_both_languages_and_widths() {
    let app = crate::helpers::spawn_app().await;
    for (n, (width, height)) in WIDTHS.into_iter().enumerate() {
        let browser = browser(width, height).await;
        let c = &browser.client;
        sign_in(c, &app, ADMIN, &app.admin_password, "/").await;
        for (m, (lang, heading)) in [("zh", "系统管理"), ("en", "Administration")]
            .into_iter()
            .enumerate()
        {
            use_language(c, &app, lang, "/").await;
            assert_eq!(text_of(c, ".home-top h1").await, heading);
            fits(c, width, "the console").await;
            click(c, "#admin .card h2 a[href='/users']").await;
            wait_for_path(c, "/users").await;
            fits(c, width, "the users page").await;
            let name = format!("new.rep.{n}{m}");
            c.find(Locator::Css("form[action='/users'] input[name=name]"))
                .await
                .expect("the add-user form")
                .send_keys(&name)
                .await
                .unwrap();
            click(c, "form[action='/users'] button[type=submit]").await;
            let shown = c
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css("#new-password"))
                .await
                .expect("the generated password is shown once")
                .text()
                .await
                .unwrap();
            assert!(shown.trim().len() >= 10, "{shown}");
            assert!(text_of(c, "main").await.contains(&name));
            // The generated password signs the new user in.
            let client = crate::helpers::signed_in_client(&app.address, &name, shown.trim()).await;
            let me = client.get(app.url("/api/v1/session")).send().await.unwrap();
            assert_eq!(me.status(), 200);
        }
        browser.client.clone().close().await.unwrap();
    }
}
