//! Issue 15: what an outside probe found about figures and hidden items, one test per finding
//! (the auth and HTTP findings are in `security_auth.rs`), and a crawl per tier model that no
//! figure, score or number computed from them reaches someone who may not see them.

use std::collections::BTreeSet;

use reqwest::Client;
use serde_json::{json, Value};

use crate::helpers::{signed_in_client, spawn_app, spawn_app_with_config, TestApp, ADMIN};

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn text_of(client: &Client, url: &str) -> (u16, String) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

// ---------------------------------------------------------------------------------------------
// 1. Figures in the tier explanation, under every tier model
// ---------------------------------------------------------------------------------------------

/// 60 accounts with uneven figures, so that scores under every model have decimals no other
/// text of the app contains; `LEAK-1` (rep.a's) has the largest revenue and middling
/// everything else.
fn accounts_csv() -> String {
    let mut csv = String::from(
        "id,name,owner,revenue,profit,collected,transactions,cooperation_years,product_lines,\
         potential_customer,potential_service,referral,overdue_days\n",
    );
    csv.push_str(
        "LEAK-1,秘密机械有限公司,rep.a,98765432.17,135792.46,2468135.79,189,7.3,3,83,77,yes,47\n",
    );
    // A deterministic spread (a linear congruential sequence), none near LEAK-1.
    let mut x: u64 = 12_345;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % m
    };
    for i in 0..59 {
        let revenue = 10_000 + next(9_000_000);
        let profit = next(900_000) as i64 - 100_000;
        csv.push_str(&format!(
            "ACC-{i:02},公司{i:02},rep.b,{revenue}.{:02},{profit}.{:02},{},{},{}.{},{},{},{},{},{}\n",
            next(100),
            next(100),
            next(8_000_000),
            next(300),
            next(20),
            next(10),
            next(5),
            next(101),
            next(101),
            if next(2) == 0 { "no" } else { "yes" },
            next(120),
        ));
    }
    csv
}

/// Tier models of every score and cut method.
const MODELS: [&str; 6] = [
    r#"{"preset":"pyramid","score":{"method":"single","indicator":"revenue"}}"#,
    r#"{}"#,
    r#"{"score":{"method":"scorecard"}}"#,
    r#"{"score":{"method":"weighted","weights":{"revenue":0.5,"profit":0.3,"collected":0.2},"normalisation":"min_max"},"cut":{"method":"share_of_value","shares":[30,70,90]},"tiers":[{"id":"strategic"},{"id":"major"},{"id":"ordinary"},{"id":"small"}]}"#,
    r#"{"score":{"method":"single","indicator":"revenue"},"cut":{"method":"threshold","thresholds":[50000000,1000000,100000]},"tiers":[{"id":"strategic"},{"id":"major"},{"id":"ordinary"},{"id":"small"}]}"#,
    r#"{"score":{"method":"weighted","weights":{"profit":1}},"cut":{"method":"threshold","thresholds":[90,60,30]},"tiers":[{"id":"strategic"},{"id":"major"},{"id":"ordinary"},{"id":"small"}]}"#,
];

/// The forms in which a number could be shown: as the rule text writes it (at most two
/// decimals, trailing zeros dropped), with two decimals, and the start of its full form.
fn shown_forms(x: f64) -> Vec<String> {
    let two = format!("{x:.2}");
    let trimmed = two.trim_end_matches('0').trim_end_matches('.').to_owned();
    let full = format!("{x}");
    let head: String = full.chars().take(7).collect();
    [two, trimmed, head]
        .into_iter()
        // Short forms ("3", "0.5") would be found in any page; five characters with at
        // least four digits are as good as unique in these pages.
        .filter(|s| s.len() >= 5 && s.chars().filter(char::is_ascii_digit).count() >= 4)
        .collect()
}

/// Every number a viewer with the figures sees about `LEAK-1`: its indicators, score and each
/// contribution.
fn secret_numbers(detail: &Value) -> BTreeSet<String> {
    let mut numbers = BTreeSet::new();
    let mut add = |v: &Value| {
        // Percentiles (100 k / 60) are shared with everyone; a contribution that happens to
        // equal one (a scorecard group's 20/3 points) is not a finding.
        if let Some(x) = v
            .as_f64()
            .filter(|x| (x * 0.6 - (x * 0.6).round()).abs() > 1e-6)
        {
            numbers.extend(shown_forms(x));
        }
    };
    add(&detail["tier"]["score"]);
    for c in detail["tier"]["contributions"].as_array().unwrap() {
        add(&c["raw"]);
        add(&c["normalised"]);
        add(&c["points"]);
    }
    for (_, v) in detail["account"]["indicators"].as_object().unwrap() {
        add(v);
        // Money is carried in fen in the indicators: its yuan too.
        if let Some(fen) = v.as_i64() {
            add(&json!(fen as f64 / 100.0));
        }
    }
    numbers.extend(["98765432", "98,765,432", "135792", "2468135"].map(String::from));
    numbers
}

/// Every page and API answer that says anything about `LEAK-1`.
fn crawl_paths() -> Vec<String> {
    let mut paths: Vec<String> = [
        "/",
        "/accounts",
        "/accounts?owner=rep.a",
        "/accounts?tier=strategic",
        "/accounts/LEAK-1",
        "/accounts/find?q=秘密",
        "/api/v1/accounts",
        "/api/v1/accounts?owner=rep.a",
        "/api/v1/accounts?limit=1000",
        "/api/v1/accounts/LEAK-1",
        "/api/v1/accounts/LEAK-1/briefing",
        "/api/v1/accounts/lookup?q=秘密",
        "/api/v1/accounts/lookup?q=gongsi",
        "/api/v1/tiers.csv",
        "/api/v1/tier-model",
        "/api/v1/tier-changes",
        "/api/v1/pareto",
        "/pareto",
        "/api/v1/search?q=秘密机械",
    ]
    .map(String::from)
    .to_vec();
    for scenario in [
        "negotiation",
        "collections",
        "bidding",
        "executive-visit",
        "routine-visit",
    ] {
        paths.push(format!("/accounts/LEAK-1?scenario={scenario}"));
        paths.push(format!(
            "/api/v1/accounts/LEAK-1/briefing?scenario={scenario}"
        ));
    }
    for lang in ["en", "zh"] {
        paths.push(format!("/accounts/LEAK-1?lang={lang}"));
    }
    paths
}

#[tokio::test]
async fn no_figure_or_score_reaches_another_rep_or_a_trainer_under_any_tier_model() {
    let app = spawn_app().await;
    let (status, body) = app.import_accounts(accounts_csv()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rejected"], 0, "{body}");
    let manager = app.client_as("boss", "manager").await;
    let owner = app.client_as("rep.a", "rep").await;
    let viewers = [
        ("rep.b", app.client_as("rep.b", "rep").await),
        ("teacher", app.client_as("teacher", "trainer").await),
    ];

    for model in MODELS {
        let (status, body) = app.put_tier_model(model).await;
        assert_eq!(status, 200, "{model}: {body}");
        let (_, detail) = send(manager.get(app.url("/api/v1/accounts/LEAK-1"))).await;
        let secrets = secret_numbers(&detail);
        let score = detail["tier"]["score"].as_f64().expect("a score");
        assert!(
            !shown_forms(score).is_empty(),
            "{model}: the score {score} must be recognisable for the test to mean anything"
        );
        // The crawl can find a leak: the owner's own pages show the score.
        let (_, own) = text_of(&owner, &app.url("/api/v1/accounts/LEAK-1")).await;
        assert!(
            shown_forms(score).iter().any(|s| own.contains(s.as_str())),
            "{model}: the owner sees the score {score}: {own}"
        );

        for (name, client) in &viewers {
            let mut leaked = Vec::new();
            for path in crawl_paths() {
                let (status, body) = text_of(client, &app.url(&path)).await;
                let found: Vec<&String> = secrets
                    .iter()
                    .filter(|s| body.contains(s.as_str()))
                    .collect();
                if !found.is_empty() {
                    leaked.push(format!("{path} ({status}): {found:?}"));
                }
            }
            assert!(
                leaked.is_empty(),
                "{model}: {name} saw figures of LEAK-1:\n{}",
                leaked.join("\n")
            );
            let (_, seen) = send(client.get(app.url("/api/v1/accounts/LEAK-1"))).await;
            assert_eq!(seen["figures_visible"], false);
            assert_eq!(seen["tier"]["score"], Value::Null);
            assert_eq!(
                seen["tier"]["tier"], detail["tier"]["tier"],
                "tiers are shared"
            );
            assert_eq!(
                seen["tier"]["rank"], detail["tier"]["rank"],
                "ranks are shared"
            );
            let rule = seen["tier"]["rule"]["en"].as_str().unwrap();
            assert!(
                rule.starts_with("rank ") && !rule.contains("score"),
                "{model}: {rule}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Evidence cites only what its author may read; readers see only shared moves
// ---------------------------------------------------------------------------------------------

/// An app with rep.a's account and a manager's review of it with three moves, the second
/// marked as a best practice. Returns the app and the review's id.
async fn app_with_private_review() -> (TestApp, String) {
    let app = spawn_app().await;
    let (status, body) = app
        .import_accounts(
            "id,name,owner,revenue\nLEAK-1,秘密机械有限公司,rep.a,98765432.17\nOPEN-1,公开贸易,rep.b,1000\n",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let manager = app.client_as("boss", "manager").await;
    let (status, body) = send(
        manager
            .post(app.url("/api/v1/accounts/LEAK-1/reviews"))
            .json(&json!({
                "scenario": "negotiation",
                "background": "预算口径谈判。",
                "actions": "逐项拆价。",
                "result": "won",
                "moves": ["私密一招：先报紫檀木柜底价", "公开一招：请技术总监背书", "私密二招：压到季度末签"],
            })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let (status, _) = send(
        manager
            .put(app.url(&format!("/api/v1/content/{id}/moves/2")))
            .json(&json!({"best": true})),
    )
    .await;
    assert_eq!(status, 200);
    (app, id)
}

fn playbook_citing(evidence: &[String]) -> Value {
    json!({
        "kind": "playbook",
        "title": "谈判打法",
        "tiers": ["major"],
        "scenarios": ["negotiation"],
        "body": "## 步骤\n\n先摸清预算。\n",
        "evidence": evidence,
    })
}

#[tokio::test]
async fn citing_a_case_one_may_not_read_answers_exactly_like_an_unknown_case() {
    let (app, review) = app_with_private_review().await;
    let trainer = app.client_as("teacher", "trainer").await;
    let message = |body: &Value| {
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };

    let (status, unknown) = send(
        trainer
            .post(app.url("/api/v1/content"))
            .json(&playbook_citing(&["review-no-such-case#1".into()])),
    )
    .await;
    assert_eq!(status, 400, "{unknown}");
    assert!(message(&unknown).contains("no case with id"), "{unknown}");

    for reference in [format!("{review}#1"), format!("{review}#9"), review.clone()] {
        let (status, hidden) = send(
            trainer
                .post(app.url("/api/v1/content"))
                .json(&playbook_citing(std::slice::from_ref(&reference))),
        )
        .await;
        assert_eq!(status, 400, "{reference}: {hidden}");
        let text = message(&hidden);
        assert!(
            text.contains("no case with id") && !text.contains("moves"),
            "{reference}: {hidden}"
        );
    }
    // A manager may read the review, so may cite any of its moves.
    let manager = app.client_as("boss2", "manager").await;
    let (status, body) = send(
        manager
            .post(app.url("/api/v1/content"))
            .json(&playbook_citing(&[format!("{review}#3")])),
    )
    .await;
    assert_eq!(status, 201, "a reader of the case cites it: {body}");
    let (status, body) = send(
        manager
            .post(app.url("/api/v1/content"))
            .json(&playbook_citing(&[format!("{review}#9")])),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("has 3 moves"), "{body}");
}

#[tokio::test]
async fn a_playbook_shows_readers_only_the_shared_moves_of_a_case_they_may_not_read() {
    let (app, review) = app_with_private_review().await;
    let manager = app.client_as("boss2", "manager").await;
    let evidence = [
        format!("{review}#1"),
        format!("{review}#2"),
        format!("{review}#3"),
        review.clone(),
    ];
    let (status, body) = send(
        manager
            .post(app.url("/api/v1/content"))
            .json(&playbook_citing(&evidence)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let (status, _) = send(manager.post(app.url(&format!("/api/v1/content/{id}/approve")))).await;
    assert_eq!(status, 200);

    let owner = app.client_as("rep.a", "rep").await;
    let (_, full) = send(owner.get(app.url(&format!("/api/v1/content/{id}")))).await;
    assert_eq!(full["cited_cases"].as_array().unwrap().len(), 4, "{full}");

    for (name, role) in [("teacher", "trainer"), ("rep.b", "rep")] {
        let client = app.client_as(name, role).await;
        let (_, item) = send(client.get(app.url(&format!("/api/v1/content/{id}")))).await;
        let cited = item["cited_cases"].as_array().unwrap();
        assert_eq!(cited.len(), 1, "{name}: only the best practice: {item}");
        assert_eq!(cited[0]["text"], "公开一招：请技术总监背书");
        assert_eq!(cited[0]["readable"], false);
        let (_, page) = text_of(&client, &app.url(&format!("/content/{id}"))).await;
        assert!(page.contains("公开一招"), "{name}");
        assert!(!page.contains("私密"), "{name} saw an unmarked move");
        assert!(!item.to_string().contains("私密"), "{name}: {item}");
        assert_eq!(
            item["evidence"],
            json!([format!("{review}#2")]),
            "{name}: only the shared reference"
        );
    }

    // A trainer revises the playbook: the editor shows only the shared reference, and the save
    // keeps the references the trainer never saw.
    let trainer = app.client_as("teacher2", "trainer").await;
    let (_, form) = text_of(&trainer, &app.url(&format!("/content/{id}/edit"))).await;
    assert!(form.contains(&format!("{review}#2")) && !form.contains(&format!("{review}#1")));
    let (status, saved) = send(
        trainer
            .put(app.url(&format!("/api/v1/content/{id}")))
            .json(&playbook_citing(&[format!("{review}#2")])),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (_, revised) = send(manager.get(app.url(&format!("/api/v1/content/{id}")))).await;
    let kept: BTreeSet<&str> = revised["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(kept.len(), 4, "{revised}");
    let (_, versions) = text_of(
        &trainer,
        &app.url(&format!("/api/v1/content/{id}/versions/2")),
    )
    .await;
    assert!(!versions.contains(&format!("{review}#3")), "{versions}");
}

// ---------------------------------------------------------------------------------------------
// 3. The search-miss list tells nothing about hidden items
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_answer_kept_for_one_rep_is_never_given_to_another() {
    let (app, review) = app_with_private_review().await;
    let owner = app.client_as("rep.a", "rep").await;
    let other = app.client_as("rep.b", "rep").await;
    let search = |client: &Client| {
        send(
            client
                .get(app.url("/api/v1/search"))
                .query(&[("q", "紫檀木柜")]),
        )
    };
    // The owner's answer is found first (and kept); the other rep asks the same right after,
    // and the owner again.
    for round in 0..2 {
        let (status, body) = search(&owner).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total"], 1, "round {round}: {body}");
        assert_eq!(body["hits"][0]["id"], review.as_str());
        let (status, body) = search(&other).await;
        assert_eq!((status, body["total"].as_u64()), (200, Some(0)), "{body}");
        assert_eq!(body["facets_exact"], true);
    }
}

#[tokio::test]
async fn a_word_only_hidden_items_contain_is_recorded_as_a_miss_like_a_made_up_word() {
    let (app, _) = app_with_private_review().await;
    let trainer = app.client_as("teacher", "trainer").await;
    for q in ["紫檀木柜", "zzqxnonsense"] {
        let (status, body) = send(trainer.get(app.url("/api/v1/search")).query(&[("q", q)])).await;
        assert_eq!(
            (status, body["total"].as_u64()),
            (200, Some(0)),
            "{q}: {body}"
        );
    }
    // Misses are written without waiting: give them a moment.
    let mut misses = Value::Null;
    for _ in 0..50 {
        misses = send(trainer.get(app.url("/api/v1/search/misses"))).await.1;
        if misses.as_array().is_some_and(|m| m.len() >= 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let queries: BTreeSet<&str> = misses
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["query"].as_str())
        .collect();
    assert!(
        queries.contains("紫檀木柜") && queries.contains("zzqxnonsense"),
        "both are recorded alike: {misses}"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. CSV exports evaluate nothing in a spreadsheet
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_tiers_export_neutralises_cells_a_spreadsheet_would_run_as_formulas() {
    let app = spawn_app().await;
    let csv = "id,name,revenue,profit\n\
=HYPERLINK(1),\"=cmd|' /C calc'!A0\",100,-5\n\
B-2,+1+1,90,1\n\
C-3,-2+3,80,1\n\
D-4,@SUM(1+1),70,1\n\
E-5,普通公司,60,1\n";
    let (status, body) = app.import_accounts(csv).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .put_tier_model(r#"{"score":{"method":"single","indicator":"profit"}}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, bytes) = app.tiers_csv().await;
    assert_eq!(status, 200);
    let text = String::from_utf8(bytes).unwrap();
    let mut reader =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cell = |id: &str, column: usize| {
        rows.iter()
            .find(|r| r[0] == *id)
            .unwrap_or_else(|| panic!("{id} in {text}"))[column]
            .to_owned()
    };
    assert_eq!(cell("'=HYPERLINK(1)", 1), "'=cmd|' /C calc'!A0");
    assert_eq!(cell("B-2", 1), "'+1+1");
    assert_eq!(cell("C-3", 1), "'-2+3");
    assert_eq!(cell("D-4", 1), "'@SUM(1+1)");
    assert_eq!(cell("E-5", 1), "普通公司");
    // A negative number stays a number.
    assert_eq!(cell("'=HYPERLINK(1)", 3), "-5");
    for row in &rows {
        for value in row.iter() {
            assert!(
                !value.starts_with(['=', '+', '@', '\t', '\r'])
                    && (!value.starts_with('-') || value.parse::<f64>().is_ok()),
                "{value:?} in {row:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. An import refused as too large stores nothing
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_chunked_import_over_the_limit_answers_413_and_stores_nothing() {
    let app = spawn_app_with_config(|config| config.max_import_bytes = 1024 * 1024).await;
    let mut csv = String::from("id,name,revenue\n");
    let mut i = 0;
    while csv.len() < 2_400_000 {
        csv.push_str(&format!("K{i:07},公司{i},{}\n", 1000 + i));
        i += 1;
    }
    // A stream has no Content-Length: the limit is found only while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = csv
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let response = app
        .client
        .post(app.url("/api/v1/accounts/import"))
        .header("Content-Type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "payload_too_large", "{answer}");
    // The refused upload's connection is closed: ask on a new one.
    let admin = signed_in_client(&app.address, ADMIN, &app.admin_password).await;
    let (_, list) = send(admin.get(app.url("/api/v1/accounts"))).await;
    assert_eq!(list["total"], 0, "nothing was stored: {list}");
    let (_, model) = send(admin.get(app.url("/api/v1/tier-model"))).await;
    assert_eq!(model["summary"]["accounts"], 0, "{model}");
}

// ---------------------------------------------------------------------------------------------
// 8. Ownership changes only by managers and admins, and is recorded
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn only_managers_and_admins_change_an_items_owner_and_the_change_is_a_recorded_version() {
    let app = spawn_app().await;
    let trainer = app.client_as("teacher", "trainer").await;
    let rep = app.client_as("rep.a", "rep").await;
    let manager = app.client_as("boss", "manager").await;

    // major-negotiation is a bundled playbook of nobody in particular.
    let (_, before) = send(trainer.get(app.url("/api/v1/content/major-negotiation"))).await;
    let mut taken = before.clone();
    taken["owner"] = json!("teacher");
    let body = json!({
        "kind": taken["kind"], "title": taken["title"], "tiers": taken["tiers"],
        "scenarios": taken["scenarios"], "tags": taken["tags"], "lang": taken["lang"],
        "owner": "teacher", "body": taken["body"],
    });
    let (status, answer) = send(
        trainer
            .put(app.url("/api/v1/content/major-negotiation"))
            .json(&body),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["fields"][0]["field"], "owner", "{answer}");
    let (status, _) =
        send(trainer.post(app.url("/api/v1/content/major-negotiation/archive"))).await;
    assert_eq!(status, 403, "still not theirs to archive");

    let case = json!({
        "kind": "case", "title": "别人的复盘", "owner": "boss",
        "scenarios": ["negotiation"], "outcome": "won", "body": "正文\n",
    });
    let (status, answer) = send(rep.post(app.url("/api/v1/content")).json(&case)).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["fields"][0]["field"], "owner");

    // A manager may hand an item over; the version says so.
    let mut handed = body.clone();
    handed["owner"] = json!("teacher");
    let (status, answer) = send(
        manager
            .put(app.url("/api/v1/content/major-negotiation"))
            .json(&handed),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (_, versions) =
        send(manager.get(app.url("/api/v1/content/major-negotiation/versions"))).await;
    let note = versions[0]["comment"].as_str().unwrap_or("");
    assert!(
        note.contains("owner:") && note.contains("teacher"),
        "{versions}"
    );
}

// ---------------------------------------------------------------------------------------------
// 9. Creating an item never tells that a hidden one holds the id
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn creating_an_item_with_a_hidden_items_id_gets_a_fresh_id_instead_of_a_conflict() {
    let (app, review) = app_with_private_review().await;
    let rep = app.client_as("rep.b", "rep").await;
    let other = app.client_as("rep.c", "rep").await;
    let draft = |id: &str| {
        format!("---\nid: {id}\nkind: case\ntitle: 我的复盘\nscenarios: [negotiation]\noutcome: won\n---\n正文\n")
    };
    let (status, body) = send(
        other
            .post(app.url("/api/v1/content"))
            .header("Content-Type", "text/markdown")
            .body(draft("draft-of-c")),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    for hidden in [review.as_str(), "draft-of-c"] {
        let (status, body) = send(
            rep.post(app.url("/api/v1/content"))
                .header("Content-Type", "text/markdown")
                .body(draft(hidden)),
        )
        .await;
        assert_eq!(status, 201, "{hidden}: {body}");
        let id = body["id"].as_str().unwrap();
        assert_ne!(id, hidden);
        assert!(id.starts_with(hidden), "{id}");
    }
    // An id the creator can see is still a plain conflict.
    let (status, body) = send(
        rep.post(app.url("/api/v1/content"))
            .header("Content-Type", "text/markdown")
            .body(draft("major-negotiation")),
    )
    .await;
    assert_eq!(status, 409, "{body}");
}

// ---------------------------------------------------------------------------------------------
// 10. Lookup order says nothing about the figures
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn customer_lookup_orders_equal_matches_by_name_not_by_revenue() {
    let app = spawn_app().await;
    let csv = "id,name,owner,revenue\n\
Z-1,华东甲公司,rep.b,10\n\
Z-2,华东乙公司,rep.b,99999999\n\
Z-3,华东丙公司,rep.b,5000\n";
    let (status, body) = app.import_accounts(csv).await;
    assert_eq!(status, 200, "{body}");
    let rep = app.client_as("rep.a", "rep").await;
    let (_, hits) = send(
        rep.get(app.url("/api/v1/accounts/lookup"))
            .query(&[("q", "华东")]),
    )
    .await;
    let names: Vec<&str> = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names.len(), 3, "{hits}");
    assert_eq!(names, sorted, "name order, not revenue: {hits}");
}

// ---------------------------------------------------------------------------------------------
// 12. Drafts are their author's (and approvers')
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_trainer_cannot_read_another_trainers_draft_but_keeps_revising_published_playbooks() {
    let app = spawn_app().await;
    let author = app.client_as("teacher.a", "trainer").await;
    let other = app.client_as("teacher.b", "trainer").await;
    let manager = app.client_as("boss", "manager").await;
    let (status, body) = send(author.post(app.url("/api/v1/content")).json(&json!({
        "kind": "playbook", "title": "尚未发布的打法", "tiers": ["major"],
        "scenarios": ["negotiation"], "body": "草稿正文\n",
    })))
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    for path in [
        format!("/api/v1/content/{id}"),
        format!("/api/v1/content/{id}/versions"),
        format!("/content/{id}"),
        format!("/content/{id}/edit"),
    ] {
        let (status, _) = text_of(&other, &app.url(&path)).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(
        send(author.get(app.url(&format!("/api/v1/content/{id}"))))
            .await
            .0,
        200
    );
    assert_eq!(
        send(manager.get(app.url(&format!("/api/v1/content/{id}"))))
            .await
            .0,
        200
    );

    // Once published, any trainer revises it, and sees the revision waiting for approval.
    send(manager.post(app.url(&format!("/api/v1/content/{id}/approve")))).await;
    let (status, saved) = send(
        other
            .put(app.url(&format!("/api/v1/content/{id}")))
            .json(&json!({
                "kind": "playbook", "title": "尚未发布的打法", "tiers": ["major"],
                "scenarios": ["negotiation"], "body": "修订正文\n",
            })),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (status, revision) = send(other.get(app.url(&format!("/api/v1/content/{id}")))).await;
    assert_eq!(status, 200);
    assert_eq!(revision["body"], "修订正文\n", "{revision}");
}

#[tokio::test]
async fn a_misspelt_word_only_a_hidden_review_holds_is_answered_like_a_made_up_word() {
    let app = spawn_app().await;
    let (status, body) = app
        .import_accounts("id,name,owner,revenue\nZZ-1,Quixotica Trading,rep.a,1000\n")
        .await;
    assert_eq!(status, 200, "{body}");
    let manager = app.client_as("boss", "manager").await;
    let (status, body) = send(manager.post(app.url("/api/v1/accounts/ZZ-1/reviews")).json(
        &json!({
            "title": "Quixotica renewal review",
            "scenario": "negotiation",
            "background": "Quixotica asked for a discount.",
            "actions": "Held the price.",
            "result": "won",
        }),
    ))
    .await;
    assert_eq!(status, 201, "{body}");
    let review = body["id"].as_str().expect("the review's id").to_owned();
    // The owner's manager may read it, and its word finds it once the index has it.
    assert!(app.finds(&manager, "quixotica", &review).await, "{body}");
    // rep.b may not read the review: a typo of its word must neither find it, nor be
    // corrected towards it, nor be suggested — exactly as for a word that exists nowhere.
    let rep = app.client_as("rep.b", "rep").await;
    let mut answers = Vec::new();
    for q in ["quixoticca ", "plumbagoxx "] {
        let (status, body) = send(
            rep.get(app.url("/api/v1/search"))
                .query(&[("q", q), ("explain", "true")]),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["total"], 0, "{q}: {body}");
        assert!(body.get("suggestion").is_none(), "{q}: {body}");
        answers.push(body["understood"]["at_least"].clone());
    }
    assert_eq!(answers[0], answers[1]);
    // For the manager, the same typo finds it.
    assert!(app.finds(&manager, "quixoticca ", &review).await);
}

#[tokio::test]
async fn drafts_never_steer_the_typo_corrections_a_reader_gets() {
    let mut app = spawn_app().await;
    // Drafts (unpublished, so hidden from readers) full of words a typo away from the stem of
    // "comitments" and closer to it than "commit", the word a published item holds (in its
    // body only, so no "did you mean" brings it).
    let mut drafts = Vec::new();
    for n in 0..4 {
        let (status, body) = send(app.client.post(app.url("/api/v1/content")).json(&json!({
            "kind": "playbook",
            "title": format!("草稿 {n}"),
            "body": "comia comib comia comib",
        })))
        .await;
        assert_eq!(status, 201, "{body}");
        drafts.push(body["id"].as_str().expect("the draft's id").to_owned());
    }
    // The drafts are in the index (their author finds them) before the reader asks.
    for id in &drafts {
        assert!(app.finds(&app.client, "comia", id).await, "{id}");
    }
    app.sign_in_as("reader", "rep").await;
    let (_, body) = app.search(&[("q", "comitments ")]).await;
    let ids: Vec<&str> = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"strategic-routine-visit-en"), "{body}");
    assert_eq!(body["matched_all"], body["total"], "{body}");
}
