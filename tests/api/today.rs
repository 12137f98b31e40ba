//! The role homes: a rep's "today" (own accounts needing action, most urgent first, never a
//! colleague's), the manager's team view by rep, the trainer's desk, the admin's console,
//! recently viewed, and `GET /api/v1/today`.

use crate::briefing::app_with_accounts;
use crate::helpers::TestApp;

async fn today(client: &reqwest::Client, app: &TestApp, query: &str) -> (u16, serde_json::Value) {
    let response = client
        .get(app.url(&format!("/api/v1/today{query}")))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn ids(list: &serde_json::Value) -> Vec<&str> {
    list["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_rep_sees_own_accounts_most_urgent_first_and_none_of_a_colleagues() {
    let app = app_with_accounts().await;
    let li = app.client_as("li.na", "rep").await;
    let zhang = app.client_as("zhang.wei", "rep").await;

    let (status, body) = today(&li, &app, "").await;
    assert_eq!(status, 200, "{body}");
    let listed = ids(&body);
    // Collections stage 2 and 3 (60 and more overdue days) are critical; 30–59 days warn.
    let position = |id: &str| listed.iter().position(|x| *x == id).unwrap_or(usize::MAX);
    for critical in ["T04", "T05", "T06"] {
        for warning in ["T02", "T03"] {
            assert!(
                position(critical) < position(warning),
                "{critical} before {warning}: {listed:?}"
            );
        }
    }
    assert!(
        !listed.contains(&"ACC-1"),
        "a colleague's account: {listed:?}"
    );
    assert_eq!(body["counts"]["total"], listed.len());
    assert_eq!(body["accounts"][0]["severity"], "critical");
    let first_reason = &body["accounts"][0]["reasons"][0];
    assert_eq!(first_reason["kind"], "alert");
    assert!(
        first_reason["text"].as_str().unwrap().contains("逾期"),
        "{first_reason}"
    );
    assert!(body["accounts"][0]["url"]
        .as_str()
        .unwrap()
        .starts_with("/accounts/"));

    // The strategic account of zhang.wei lacks product lines; it has its case review.
    let (_, body) = today(&zhang, &app, "?lang=en").await;
    assert_eq!(ids(&body), ["ACC-1"], "{body}");
    let reasons = |body: &serde_json::Value, id: &str| -> Vec<String> {
        body["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed: {body}"))["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(reasons(&body, "ACC-1"), ["cross-sell"]);
    let text = body["accounts"][0]["reasons"].to_string();
    assert!(text.contains("product lines"), "English reasons: {text}");
    // li.na's major account has no case review at all.
    let (_, body) = today(&li, &app, "?lang=en").await;
    let t02 = reasons(&body, "T02");
    assert!(t02.contains(&"no-review".to_owned()), "{t02:?}");
    assert_eq!(t02[0], "collections-stage-1", "alerts before the reminder");

    // The home page says the same in words, each account one tap from its briefing.
    let home = page(&li, &app, "/").await;
    assert!(home.contains("href=\"/accounts/T06\""), "{home}");
    assert!(home.contains("鑫达五金"));
    assert!(
        !home.contains("中国移动通信集团江苏有限公司"),
        "a colleague's account"
    );
    let position_of = |needle: &str| home.find(needle).unwrap();
    assert!(position_of("西南能源装备") < position_of("华东精密机械集团"));

    // The team view is for managers.
    let (status, body) = today(&li, &app, "?scope=team").await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = today(&li, &app, "?scope=everyone").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("scope"));
    let (status, _) = today(&li, &app, "?limit=0").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_manager_sees_the_teams_alerts_by_rep_and_the_latest_tier_changes() {
    let app = app_with_accounts().await;
    let manager = app.client_as("boss", "manager").await;
    let (status, body) = today(&manager, &app, "?scope=team&limit=100").await;
    assert_eq!(status, 200, "{body}");
    let listed = ids(&body);
    assert!(
        listed.contains(&"ACC-1") && listed.contains(&"T06"),
        "{listed:?}"
    );

    let home = page(&manager, &app, "/").await;
    assert!(home.contains("li.na 的客户"), "grouped by rep: {home}");
    assert!(home.contains("zhang.wei 的客户"));
    assert!(home.contains("href=\"/review\""));
    assert!(home.contains("href=\"/pareto\""));
    // li.na has the critical accounts: her group comes first.
    assert!(home.find("li.na 的客户").unwrap() < home.find("zhang.wei 的客户").unwrap());

    // A second import moves an account: the home lists the change by name.
    let (status, body) = app
        .import_accounts("id,name,owner,revenue\nT10,彩云花卉,li.na,5000000\n")
        .await;
    assert_eq!(status, 200, "{body}");
    let home = page(&manager, &app, "/").await;
    let changes = &home[home.find("id=\"changes\"").unwrap()..];
    assert!(changes.contains("彩云花卉"), "{changes}");
    assert!(changes.contains("href=\"/accounts/T10\""));
}

#[tokio::test]
async fn the_trainer_desk_links_each_gap_to_the_editor_and_the_admin_console_to_users_and_backups()
{
    let app = app_with_accounts().await;
    let trainer = app.client_as("teacher", "trainer").await;
    let home = page(&trainer, &app, "/").await;
    assert!(home.contains("id=\"gaps\""), "{home}");
    assert!(
        home.contains("href=\"/new?kind=playbook&#38;tier=strategic&#38;scenario=company-visit\""),
        "a gap opens the editor with tier and scenario: {home}"
    );
    assert!(home.contains("id=\"misses\"") && home.contains("id=\"feedback\""));
    assert!(
        !home.contains("id=\"team\""),
        "the team view is the manager's"
    );

    let home = page(&app.client, &app, "/").await;
    for link in ["href=\"/users\"", "href=\"/backups\"", "href=\"/problems\""] {
        assert!(home.contains(link), "{link}: {home}");
    }
    assert!(home.contains("id=\"health\""));
}

#[tokio::test]
async fn what_a_rep_opened_comes_back_under_recently_viewed_and_the_library_has_its_own_page() {
    let app = app_with_accounts().await;
    let li = app.client_as("li.na", "rep").await;
    let home = page(&li, &app, "/").await;
    assert!(!home.contains("id=\"recent\""), "nothing viewed yet");
    page(&li, &app, "/accounts/T03").await;
    page(&li, &app, "/accounts/ACC-1").await;
    let home = page(&li, &app, "/").await;
    let recent = &home[home.find("id=\"recent\"").expect("recently viewed")..];
    let (colleague, own) = (
        recent.find("中国移动通信集团江苏有限公司").unwrap(),
        recent.find("星海物流有限公司").unwrap(),
    );
    assert!(colleague < own, "newest first: {recent}");

    let library = page(&li, &app, "/library").await;
    assert!(library.contains("class=\"item-list\""), "{library}");
    let all = page(&li, &app, "/today").await;
    assert!(all.contains("鑫达五金"));
}
