//! Accounts and tiers through the API and the pages: import, tier model, overrides, tier
//! changes, Pareto, export, lists and the demo accounts.

use serde_json::{json, Value};

use crate::helpers::{
    fixture_content, spawn_app, spawn_app_configured, spawn_app_with_config, TestApp,
};

/// Four accounts whose default-model tiers are A strategic, B ordinary, C and D small.
const FOUR: &str = "id,name,region,owner,revenue,profit,collected\n\
    A,甲公司,华东,zhang.wei,1000,100,1000\n\
    B,乙公司,华东,li.na,500,50,500\n\
    C,\"丙, 公司\",华南,li.na,100,10,100\n\
    D,丁公司,华南,zhang.wei,10,1,10\n";

async fn app_with_four_accounts() -> TestApp {
    let app = spawn_app().await;
    let (status, body) = app.import_accounts(FOUR).await;
    assert_eq!(status, 200, "{body}");
    app
}

fn tier_of(body: &Value) -> (&str, &str) {
    (
        body["tier"]["tier"].as_str().unwrap_or_default(),
        body["tier"]["computed_tier"].as_str().unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_gb18030_file_with_chinese_headers_imports_every_row() {
    let app = spawn_app().await;
    let text = "客户编号,客户名称,别名,行业,区域,负责人,销售额(元),利润,回款金额,交易次数,逾期天数,信用等级\n\
                KH001,华东精密机械有限公司,华精；华东精机,装备制造,上海,li.na,\"¥1,200,000\",\"150,000\",1100000,12,0,优\n\
                KH002,宁波鑫达五金制品厂,鑫达五金,五金制造,浙江,wang.fang,86000,-12500,41000,9,48,差\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file must not be UTF-8"
    );

    let (status, body) = app.import_accounts(bytes.into_owned()).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 2);
    assert_eq!(body["rejected"], 0);
    assert_eq!(body["encoding"], "GB18030 (GBK)");
    let (_, account) = app.get_account("KH001").await;
    assert_eq!(account["account"]["name"], "华东精密机械有限公司");
    assert_eq!(account["account"]["aliases"], json!(["华精", "华东精机"]));
    assert_eq!(account["account"]["indicators"]["revenue"], 1_200_000); // yuan
    assert_eq!(account["account"]["indicators"]["credit"], "good");
    let (_, small) = app.get_account("KH002").await;
    assert_eq!(small["account"]["indicators"]["profit"], -12_500);
    assert_eq!(small["account"]["indicators"]["overdue_days"], 48);
}

#[tokio::test]
async fn a_file_with_bad_rows_reports_exactly_which_rows_failed_and_stores_the_good_ones() {
    let app = spawn_app().await;
    let csv = "id,name,revenue\n\
               A,Good one,1000\n\
               B,Bad revenue,12a4\n\
               ,No id,500\n\
               A,Same id again,700\n\
               E,Good two,\"2,500\"\n";

    let (status, body) = app.import_accounts(csv).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["imported"], &body["updated"], &body["rejected"]),
        (&json!(2), &json!(0), &json!(3))
    );
    let errors: Vec<(u64, &str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap(),
                e["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [(3, "revenue", "12a4"), (4, "id", ""), (5, "id", "A")]
    );
    let messages: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].contains("not a number"), "{}", messages[0]);
    assert!(messages[1].contains("the id is empty"), "{}", messages[1]);
    assert!(
        messages[2].contains("duplicate id: row 2"),
        "{}",
        messages[2]
    );
    let (_, a) = app.get_account("A").await;
    assert_eq!(a["account"]["name"], "Good one");
    let (_, e) = app.get_account("E").await;
    assert_eq!(e["account"]["indicators"]["revenue"], 2_500);
    let (status, _) = app.get_account("B").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn re_importing_the_same_id_updates_the_account() {
    let app = app_with_four_accounts().await;

    let (status, body) = app
        .import_accounts("id,name,revenue,region\nA,甲公司（新）,2000,华北\nZ,新客户,1,华北\n")
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["imported"], &body["updated"]),
        (&json!(1), &json!(1))
    );
    let (_, a) = app.get_account("A").await;
    assert_eq!(a["account"]["name"], "甲公司（新）");
    assert_eq!(a["account"]["indicators"]["revenue"], 2_000);
    assert_eq!(a["account"]["region"], "华北");
    let (_, page) = app.list_accounts("limit=100").await;
    assert_eq!(page["total"], 5);
}

#[tokio::test]
async fn a_header_without_an_id_column_is_a_400_that_stores_nothing() {
    let app = spawn_app().await;

    let (status, body) = app.import_accounts("revenue,profit\n1,2\n").await;

    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_csv");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("there is no id"), "{message}");
    let (_, page) = app.list_accounts("").await;
    assert_eq!(page["total"], 0);
}

#[tokio::test]
async fn an_import_that_is_not_csv_or_too_large_is_refused() {
    let app = spawn_app_with_config(|config| config.max_import_bytes = 64).await;
    let response = app
        .client
        .post(app.url("/api/v1/accounts/import"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);

    let (status, body) = app.import_accounts(FOUR).await;

    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "payload_too_large");
    let (_, page) = app.list_accounts("").await;
    assert_eq!(page["total"], 0);
}

#[tokio::test]
async fn the_simplest_tier_model_is_accepted_as_written_and_recomputes_the_tiers() {
    let app = app_with_four_accounts().await;
    let simplest = r#"{"preset":"pyramid","score":{"method":"single","indicator":"revenue"}}"#;

    let (status, body) = app.put_tier_model(simplest).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"]["score"]["method"], "single");
    assert_eq!(body["model"]["score"]["indicator"], "revenue");
    let counts: Vec<(String, u64)> = body["summary"]["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tier"].as_str().unwrap().to_owned(),
                t["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("strategic".to_owned(), 1),
            ("major".to_owned(), 0),
            ("ordinary".to_owned(), 1),
            ("small".to_owned(), 2)
        ]
    );
    let (_, a) = app.get_account("A").await;
    assert!(a["tier"]["rule"]["en"]
        .as_str()
        .unwrap()
        .contains("score 1000 (revenue)"));
    let (_, stored) = app.get_tier_model().await;
    assert_eq!(stored["model"], body["model"]);
}

#[tokio::test]
async fn a_tier_model_with_a_bad_field_is_a_400_naming_the_field_and_changes_nothing() {
    let app = app_with_four_accounts().await;
    let (_, before) = app.get_tier_model().await;

    let (status, body) = app
        .put_tier_model(r#"{"score":{"method":"weighted","weights":{"revenue":0,"profit":0}}}"#)
        .await;

    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_tier_model");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("score.weights:"), "{message}");
    let (status, body) = app
        .put_tier_model(r#"{"score":{"method":"single","indicator":"revnue"}}"#)
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("score.indicator: unknown indicator \"revnue\""));
    let (_, after) = app.get_tier_model().await;
    assert_eq!(after["model"], before["model"]);
}

#[tokio::test]
async fn an_override_with_a_reason_is_kept_by_recomputes_and_listed_as_a_change() {
    let app = app_with_four_accounts().await;

    let (status, body) = app
        .put_override(
            "D",
            json!({"tier": "strategic", "reason": "签了三年框架协议"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(tier_of(&body), ("strategic", "small"));
    assert_eq!(
        body["tier"]["override"]["by"], "admin",
        "the signed-in user"
    );
    assert_eq!(body["tier"]["override"]["reason"], "签了三年框架协议");
    let (status, _) = app
        .put_tier_model(r#"{"preset":"pyramid","score":{"method":"single","indicator":"profit"}}"#)
        .await;
    assert_eq!(status, 200);
    let (_, d) = app.get_account("D").await;
    assert_eq!(tier_of(&d), ("strategic", "small"));
    assert!(d["tier"]["rule"]["en"]
        .as_str()
        .unwrap()
        .starts_with("overridden to strategic by admin"));
    let (_, changes) = app.tier_changes(10).await;
    let latest_d = changes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["account_id"] == "D")
        .unwrap();
    assert_eq!(latest_d["direction"], "up");
    assert_eq!(latest_d["trigger"], "override");
    let (_, page) = app.list_accounts("tier=strategic").await;
    let ids: Vec<&str> = page["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["A", "D"]);

    let (status, body) = app.delete_override("D").await;
    assert_eq!(status, 200);
    assert_eq!(tier_of(&body), ("small", "small"));
    assert_eq!(body["last_change"]["direction"], "down");
}

#[tokio::test]
async fn an_override_without_a_reason_or_with_an_unknown_tier_is_refused() {
    let app = app_with_four_accounts().await;
    let (status, body) = app
        .put_override("D", json!({"tier": "major", "reason": "  "}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_override");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("reason:"));
    let (status, body) = app
        .put_override("D", json!({"tier": "gold", "reason": "x"}))
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expected one of strategic, major, ordinary, small"));
    let (status, _) = app
        .put_override("NOPE", json!({"tier": "major", "reason": "x"}))
        .await;
    assert_eq!(status, 404);
    let (_, d) = app.get_account("D").await;
    assert_eq!(d["tier"]["override"], Value::Null);
}

#[tokio::test]
async fn an_import_that_moves_accounts_records_their_tier_changes() {
    let app = app_with_four_accounts().await;
    let (_, d) = app.get_account("D").await;
    assert_eq!(d["last_change"]["direction"], "new");

    let (status, _) = app
        .import_accounts("id,name,revenue,profit,collected\nD,丁公司,5000,500,5000\n")
        .await;

    assert_eq!(status, 200);
    let (_, d) = app.get_account("D").await;
    assert_eq!(tier_of(&d).0, "strategic");
    assert_eq!(d["last_change"]["direction"], "up");
    assert_eq!(d["last_change"]["from"], "small");
    assert_eq!(d["last_change"]["trigger"], "import");
    let (_, a) = app.get_account("A").await;
    assert_eq!(a["last_change"]["direction"], "down");
    let (_, changes) = app.tier_changes(3).await;
    let mut moved: Vec<(&str, &str)> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["account_id"].as_str().unwrap(),
                c["direction"].as_str().unwrap(),
            )
        })
        .collect();
    moved.sort();
    // D takes rank 1; A (strategic → ordinary) and B (ordinary → small) each drop one rank.
    assert_eq!(moved, [("A", "down"), ("B", "down"), ("D", "up")]);
}

#[tokio::test]
async fn tiers_and_overrides_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let app = spawn_app_configured(data.path(), &fixture_content(), |_| {}).await;
    app.import_accounts(FOUR).await;
    app.put_override("C", json!({"tier": "major", "reason": "新签大单"}))
        .await;
    app.stop().await;

    let app = spawn_app_configured(data.path(), &fixture_content(), |_| {}).await;

    let (_, c) = app.get_account("C").await;
    assert_eq!(tier_of(&c), ("major", "small"));
    assert_eq!(c["last_change"]["trigger"], "override");
    app.stop().await;
}

#[tokio::test]
async fn pareto_figures_match_a_small_hand_computed_case() {
    let app = spawn_app().await;
    app.import_accounts("id,name,revenue\nA,a,100\nB,b,50\nC,c,30\nD,d,20\n")
        .await;

    let (status, body) = app.pareto("revenue").await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 200);
    assert_eq!(body["unit"], "yuan");
    assert_eq!(body["top20_share"], 50.0); // ceil(4 × 20%) = 1 account: 100 of 200
    assert_eq!(body["accounts_for_80pct"], 3); // 100 + 50 = 75%, + 30 = 90%
    assert_eq!(body["bottom10_sum"], 20); // ceil(4 × 10%) = 1 account: 20 yuan
    let gini = body["gini"].as_f64().unwrap(); // (−3·20 − 30 + 50 + 3·100) / (4 · 200)
    assert!((gini - 0.325).abs() < 1e-9, "{gini}");
    let curve: Vec<(f64, f64)> = body["curve"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["x"].as_f64().unwrap(), p["y"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        curve,
        [
            (0.0, 0.0),
            (25.0, 50.0),
            (50.0, 75.0),
            (75.0, 90.0),
            (100.0, 100.0)
        ]
    );
    assert_eq!(body["bands"][0]["tier"], "strategic");
    assert_eq!(body["bands"][0]["count"], 1);
}

#[tokio::test]
async fn an_unknown_pareto_indicator_is_a_400_naming_the_accepted_ones() {
    let app = spawn_app().await;
    let (status, body) = app.pareto("turnover").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_indicator");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("turnover"), "{message}");
    assert!(
        message.contains("revenue, profit, collected, transactions"),
        "{message}"
    );
}

#[tokio::test]
async fn tiers_csv_lists_every_account_best_first_with_a_bom_for_excel() {
    let app = app_with_four_accounts().await;

    let (status, content_type, bytes) = app.tiers_csv().await;

    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "UTF-8 byte-order mark"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,name,tier,score,rank,percentile");
    assert_eq!(lines.len(), 5);
    assert!(
        lines[1].starts_with("A,甲公司,strategic,100,1,75.00"),
        "{}",
        lines[1]
    );
    assert!(
        lines.iter().any(|l| l.starts_with("C,\"丙, 公司\",small,")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn the_accounts_list_filters_by_tier_region_and_owner_and_pages() {
    let app = app_with_four_accounts().await;
    let ids = |page: &Value| -> Vec<String> {
        page["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let (_, all) = app.list_accounts("").await;
    assert_eq!(ids(&all), ["A", "B", "C", "D"]);
    let (_, small) = app.list_accounts("tier=small").await;
    assert_eq!(ids(&small), ["C", "D"]);
    let (_, south) = app
        .list_accounts("region=%E5%8D%8E%E5%8D%97&owner=li.na")
        .await;
    assert_eq!(ids(&south), ["C"]);
    let (_, page2) = app.list_accounts("limit=2&offset=2").await;
    assert_eq!(
        (ids(&page2), &page2["total"]),
        (vec!["C".to_owned(), "D".to_owned()], &json!(4))
    );
    let (status, body) = app.list_accounts("tier=gold").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_filter");
    let (status, body) = app.list_accounts("colour=red").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_query");
}

#[tokio::test]
async fn the_accounts_page_filters_and_links_each_account() {
    let app = app_with_four_accounts().await;

    let (status, html) = app.get_html("/accounts?tier=small").await;

    assert_eq!(status, 200);
    assert!(html.contains("href=\"/accounts/C\""), "{html}");
    assert!(html.contains("href=\"/accounts/D\""));
    assert!(!html.contains("href=\"/accounts/A\""));
    assert!(html.contains("丙, 公司"));
}

#[tokio::test]
async fn the_pareto_page_draws_an_svg_curve_with_the_tier_bands() {
    let app = app_with_four_accounts().await;

    let response = app.get_with_lang("/pareto?indicator=revenue", "en").await;

    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    let document = scraper::Html::parse_document(&html);
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    assert_eq!(document.select(&select("svg")).count(), 1);
    assert_eq!(document.select(&select("svg polyline.curve")).count(), 1);
    let bands: Vec<&str> = document
        .select(&select("svg rect.band"))
        .filter_map(|r| r.value().attr("data-tier"))
        .collect();
    assert_eq!(bands, ["strategic", "major", "ordinary", "small"]);
    assert!(html.contains("The top 20% of accounts (1) hold"), "{html}");
    assert!(html.contains("Cumulative share of accounts"));
    let zh = app
        .get_with_lang("/pareto?indicator=profit", "zh-CN")
        .await
        .text()
        .await
        .unwrap();
    assert!(zh.contains("前 20% 的客户"), "{zh}");
    let response = app.get("/pareto?indicator=nope").await;
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn the_account_page_explains_the_tier_and_its_form_sets_an_override() {
    let app = app_with_four_accounts().await;
    let (status, html) = app.get_html("/accounts/B").await;
    assert_eq!(status, 200);
    assert!(html.contains("乙公司"));
    assert!(html.contains("class=\"rule\""));
    assert!(html.contains("action=\"/accounts/B/override\""));

    let response = app
        .client
        .post(app.url("/accounts/B/override"))
        .form(&[("tier", "major"), ("reason", "战略合作伙伴")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/accounts/B?done=override");
    let (_, b) = app.get_account("B").await;
    assert_eq!(tier_of(&b), ("major", "ordinary"));
    let (_, html) = app.get_html("/accounts/B").await;
    assert!(html.contains("战略合作伙伴"));
    let response = app
        .client
        .post(app.url("/accounts/B/override"))
        .form(&[("tier", "major"), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn the_demo_accounts_load_into_an_empty_store_with_the_showcase_tiers() {
    let app = spawn_app_with_config(|config| config.demo = true).await;

    let (_, health) = app.get_json("/healthz").await;

    assert_eq!(health["accounts"], 2012);
    for (id, tier) in [
        ("DEMO-001", "strategic"),
        ("DEMO-003", "major"),
        ("DEMO-006", "ordinary"),
        ("DEMO-009", "small"),
    ] {
        let (_, account) = app.get_account(id).await;
        assert_eq!(tier_of(&account).0, tier, "{id}");
    }
    let (_, pareto) = app.pareto("revenue").await;
    assert!(pareto["top20_share"].as_f64().unwrap() > 70.0);
}

#[tokio::test]
async fn the_demo_flag_never_loads_over_existing_accounts() {
    let data = tempfile::tempdir().unwrap();
    let app = spawn_app_configured(data.path(), &fixture_content(), |_| {}).await;
    app.import_accounts(FOUR).await;
    app.stop().await;

    let app = spawn_app_configured(data.path(), &fixture_content(), |c| c.demo = true).await;

    let (_, health) = app.get_json("/healthz").await;
    assert_eq!(health["accounts"], 4);
    app.stop().await;
}
