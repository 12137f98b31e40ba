//! The customer briefing: lookup by pinyin and initials, alerts at their boundaries, the order of
//! recommendations, a scenario without a playbook, and a review of the account itself first.

use crate::helpers::{spawn_app, TestApp};

/// Ten accounts ranked by revenue under the single-revenue pyramid: rank 1 is strategic,
/// rank 2 major, ranks 3–5 ordinary, 6–10 small. Each row sits on one alert boundary.
/// zhang.wei owns ACC-1; li.na owns the rest.
pub const ACCOUNTS: &str = "\
id,name,aliases,owner,revenue,profit,overdue_days,product_lines,credit,picky,strict,industry
ACC-1,中国移动通信集团江苏有限公司,江苏移动,zhang.wei,1000000,100,29,2,good,false,false,通信
T02,华东精密机械集团,华东精机,li.na,900000,100,30,3,good,false,false,制造
T03,星海物流有限公司,,li.na,800000,100,59,2,good,false,false,物流
T04,西南能源装备,,li.na,700000,100,60,2,good,false,false,能源
T05,汇通医药,,li.na,600000,100,89,1,good,false,false,医药
T06,鑫达五金,,li.na,500000,-5,90,1,good,false,false,制造
T07,挑剔科技,,li.na,400000,-5,0,1,good,true,false,科技
T08,严格检测,,li.na,300000,100,0,1,none,false,true,检测
T09,无信商行,,li.na,200000,100,0,1,none,false,false,零售
T10,彩云花卉,,li.na,100000,100,0,1,good,false,false,农业
";

pub async fn app_with_accounts() -> TestApp {
    let app = spawn_app().await;
    let (status, body) = app
        .put_tier_model(r#"{"preset":"pyramid","score":{"method":"single","indicator":"revenue"}}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.import_accounts(ACCOUNTS).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rejected"], 0, "{body}");
    app
}

async fn lookup(app: &TestApp, q: &str) -> Vec<String> {
    let response = app
        .client
        .get(app.url("/api/v1/accounts/lookup"))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let hits = body["hits"].as_array().unwrap();
    assert!(hits.len() <= 10);
    for hit in hits {
        assert!(
            hit["tier"].is_string() && hit["tier_label"].is_string(),
            "{hit}"
        );
    }
    hits.iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn briefing(app: &TestApp, id: &str, scenario: &str) -> serde_json::Value {
    let (status, body) = app
        .get_json(&format!(
            "/api/v1/accounts/{id}/briefing?scenario={scenario}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn alert_ids(briefing: &serde_json::Value) -> Vec<String> {
    briefing["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_customer_is_found_by_full_pinyin_initials_alias_and_part_of_its_name() {
    let app = app_with_accounts().await;
    for q in [
        "zgyd",
        "zhongguo",
        "zhongguoyidong",
        "jsyd",
        "江苏移动",
        "移动",
        "中国移",
        "acc-1",
    ] {
        let found = lookup(&app, q).await;
        assert_eq!(
            found.first().map(String::as_str),
            Some("ACC-1"),
            "{q}: {found:?}"
        );
    }
    assert_eq!(
        lookup(&app, "hdjm").await.first().map(String::as_str),
        Some("T02")
    );
    assert!(lookup(&app, "").await.is_empty());
    assert!(lookup(&app, "量子纠缠").await.is_empty());
}

#[tokio::test]
async fn the_briefing_has_the_agreed_top_level_keys_and_explains_the_tier() {
    let app = app_with_accounts().await;
    let body = briefing(&app, "ACC-1", "routine-visit").await;
    for key in ["account", "tier", "alerts", "playbooks", "cases", "courses"] {
        assert!(body.get(key).is_some(), "missing {key}: {body}");
    }
    assert_eq!(body["tier"]["tier"], "strategic");
    assert_eq!(body["tier"]["rank"], 1);
    assert!(body["tier"]["rule"].as_str().unwrap().contains("1"));
    assert_eq!(body["account"]["figures"]["overdue_days"], 29);
}

#[tokio::test]
async fn collections_alerts_fire_at_30_60_and_90_overdue_days_and_not_before() {
    let app = app_with_accounts().await;
    for (id, expected) in [
        ("ACC-1", None),
        ("T02", Some("collections-stage-1")),
        ("T03", Some("collections-stage-1")),
        ("T04", Some("collections-stage-2")),
        ("T05", Some("collections-stage-2")),
        ("T06", Some("collections-stage-3")),
    ] {
        let ids = alert_ids(&briefing(&app, id, "collections").await);
        let stages: Vec<&String> = ids
            .iter()
            .filter(|a| a.starts_with("collections"))
            .collect();
        match expected {
            None => assert!(stages.is_empty(), "{id}: {ids:?}"),
            Some(stage) => assert_eq!(stages, [stage], "{id}: {ids:?}"),
        }
    }
    // Every alert says what to do and links the playbook behind it.
    let body = briefing(&app, "T06", "collections").await;
    let stage3 = &body["alerts"][0];
    assert_eq!(stage3["id"], "collections-stage-3");
    assert!(stage3["steps"].as_array().unwrap().len() >= 3);
    assert_eq!(stage3["playbook"]["id"], "collections-ladder");
}

#[tokio::test]
async fn key_accounts_with_fewer_than_three_product_lines_get_the_cross_sell_alert() {
    let app = app_with_accounts().await;
    let strategic_two_lines = alert_ids(&briefing(&app, "ACC-1", "routine-visit").await);
    assert!(
        strategic_two_lines.contains(&"cross-sell".to_owned()),
        "{strategic_two_lines:?}"
    );
    let major_three_lines = alert_ids(&briefing(&app, "T02", "routine-visit").await);
    assert!(
        !major_three_lines.contains(&"cross-sell".to_owned()),
        "{major_three_lines:?}"
    );
    let ordinary_two_lines = alert_ids(&briefing(&app, "T03", "routine-visit").await);
    assert!(
        !ordinary_two_lines.contains(&"cross-sell".to_owned()),
        "{ordinary_two_lines:?}"
    );
}

#[tokio::test]
async fn small_accounts_are_flagged_for_pruning_review_but_never_picky_or_strict_ones() {
    let app = app_with_accounts().await;
    let loss_making = alert_ids(&briefing(&app, "T06", "routine-visit").await);
    assert!(
        loss_making.contains(&"pruning-review".to_owned()),
        "{loss_making:?}"
    );
    assert!(
        loss_making.contains(&"small-account-potential".to_owned()),
        "potential check first: {loss_making:?}"
    );
    let no_credit = alert_ids(&briefing(&app, "T09", "routine-visit").await);
    assert!(
        no_credit.contains(&"pruning-review".to_owned()),
        "{no_credit:?}"
    );
    for (id, why) in [("T07", "picky"), ("T08", "strict")] {
        let ids = alert_ids(&briefing(&app, id, "routine-visit").await);
        assert!(
            !ids.contains(&"pruning-review".to_owned()),
            "{why} {id}: {ids:?}"
        );
    }
    let healthy = alert_ids(&briefing(&app, "T10", "routine-visit").await);
    assert!(
        !healthy.contains(&"pruning-review".to_owned()),
        "{healthy:?}"
    );
}

#[tokio::test]
async fn recommendations_come_exact_match_first_then_tier_wide_then_scenario_wide() {
    let app = app_with_accounts().await;
    let body = briefing(&app, "ACC-1", "routine-visit").await;
    let items = body["playbooks"]["items"].as_array().unwrap();
    let order: Vec<(&str, &str)> = items
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["match_kind"].as_str().unwrap()))
        .collect();
    assert_eq!(order[0], ("strategic-routine-visit", "exact"), "{order:?}");
    assert_eq!(
        order[1],
        ("strategic-routine-visit-en", "exact"),
        "Chinese first, {order:?}"
    );
    assert_eq!(order[2], ("tier-strategic", "tier"), "{order:?}");
    assert_eq!(body["playbooks"]["exact_missing"], false);

    let body = briefing(&app, "ACC-1", "collections").await;
    let order: Vec<&str> = body["playbooks"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["match_kind"].as_str().unwrap())
        .collect();
    let tier_at = order.iter().position(|k| *k == "tier").unwrap();
    let scenario_at = order.iter().position(|k| *k == "scenario").unwrap();
    assert!(tier_at < scenario_at, "{order:?}");
}

#[tokio::test]
async fn a_scenario_without_a_playbook_for_the_tier_says_so_and_offers_the_nearest() {
    let app = app_with_accounts().await;
    let body = briefing(&app, "ACC-1", "exhibition").await;
    assert_eq!(body["playbooks"]["exact_missing"], true, "{body}");
    let nearest: Vec<&serde_json::Value> = body["playbooks"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["match_kind"] == "nearest")
        .collect();
    assert_eq!(nearest[0]["id"], "major-exhibition");
    assert_eq!(nearest[0]["written_for_tier"], "major");
    // The page says it too.
    let (_, html) = app.get_html("/accounts/ACC-1?scenario=exhibition").await;
    assert!(html.contains("id=\"exact-missing\""));
}

#[tokio::test]
async fn a_case_review_of_the_account_itself_comes_first() {
    let app = app_with_accounts().await;
    let body = briefing(&app, "ACC-1", "collections").await;
    let cases = body["cases"].as_array().unwrap();
    assert_eq!(cases[0]["id"], "script-case", "{cases:?}");
    assert_eq!(cases[0]["own"], true);
    assert!(cases.iter().skip(1).all(|c| c["own"] == false));
}

#[tokio::test]
async fn an_unknown_account_or_scenario_is_a_clear_error() {
    let app = app_with_accounts().await;
    let (status, body) = app.get_json("/api/v1/accounts/NOPE/briefing").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app
        .get_json("/api/v1/accounts/ACC-1/briefing?scenario=exec-visit")
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_scenario");
}

#[tokio::test]
async fn the_briefing_page_reads_top_down_who_tier_alerts_what_to_do_cases() {
    let app = app_with_accounts().await;
    let (status, html) = app.get_html("/accounts/T06?scenario=collections").await;
    assert_eq!(status, 200);
    let order: Vec<usize> = [
        "<h1>",
        "id=\"tier\"",
        "id=\"alerts\"",
        "id=\"playbooks\"",
        "id=\"cases\"",
        "id=\"figures\"",
    ]
    .iter()
    .map(|marker| {
        html.find(marker)
            .unwrap_or_else(|| panic!("{marker} missing"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(html.contains("data-alert=\"collections-stage-3\""));
    // No external resources: every src/href is local.
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("[src], link[href]").unwrap();
    for element in doc.select(&sel) {
        let url = element
            .value()
            .attr("src")
            .or(element.value().attr("href"))
            .unwrap();
        assert!(url.starts_with('/'), "external resource {url}");
    }
}

#[tokio::test]
async fn the_owner_sees_figures_alerts_and_own_review_and_another_rep_only_the_tier_and_treatment()
{
    let mut app = app_with_accounts().await;
    // li.na owns T06 (90 days overdue); zhang.wei owns ACC-1 and its case review.
    app.sign_in_as("li.na", "rep").await;
    let own = briefing(&app, "T06", "collections").await;
    assert_eq!(own["account"]["figures"]["overdue_days"], 90);
    assert!(alert_ids(&own).contains(&"collections-stage-3".to_owned()));
    assert!(own["tier"]["score"].is_number());

    let other = briefing(&app, "ACC-1", "collections").await;
    assert_eq!(
        other["tier"]["tier"], "strategic",
        "the tier is shared knowledge"
    );
    assert!(!other["playbooks"]["items"].as_array().unwrap().is_empty());
    assert_eq!(other["account"]["figures"], serde_json::Value::Null);
    assert_eq!(other["tier"]["score"], serde_json::Value::Null);
    assert!(other["tier"]["contributions"]
        .as_array()
        .unwrap()
        .is_empty());
    let alerts = alert_ids(&other);
    assert!(
        alerts
            .iter()
            .all(|a| !a.starts_with("collections") && !a.contains("cross-sell")),
        "alerts drawn from figures would reveal them: {alerts:?}"
    );
    let cases = other["cases"].as_array().unwrap();
    assert!(
        cases
            .iter()
            .all(|c| c["id"] != "script-case" && c["own"] == false),
        "another rep's case review stays private: {cases:?}"
    );

    app.sign_in_as("zhang.wei", "rep").await;
    let mine = briefing(&app, "ACC-1", "collections").await;
    assert_eq!(mine["cases"][0]["id"], "script-case");
    assert_eq!(mine["account"]["figures"]["overdue_days"], 29);
}
