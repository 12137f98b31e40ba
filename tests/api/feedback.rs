//! What the pages say after an action and the shortcuts a phone needs (issue 19): the lookup
//! that opens the only match, coverage gaps that open the editor filled in, the messages after
//! workflow steps, the sent-back state its author sees, the next lesson, the learners assigned
//! a course who have not started, and the smaller fixes (export link, alerts for the owner,
//! case pages, tier facets).

use serde_json::{json, Value};

use crate::briefing::app_with_accounts;
use crate::helpers::spawn_app;

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn page(client: &reqwest::Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("a location")
        .to_owned()
}

fn select_text(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).expect("a selector");
    doc.select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

fn select_attr(html: &str, css: &str, attr: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).expect("a selector");
    doc.select(&selector)
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_lookup_page_opens_the_account_when_exactly_one_customer_matches() {
    let app = app_with_accounts().await;

    let one = app
        .client
        .get(app.url("/accounts/find"))
        .query(&[("q", "鑫达五金")])
        .send()
        .await
        .unwrap();
    assert_eq!(one.status().as_u16(), 303);
    assert_eq!(location(&one), "/accounts/T06");

    let many = app
        .client
        .get(app.url("/accounts/find"))
        .query(&[("q", "有限公司")])
        .send()
        .await
        .unwrap();
    assert_eq!(many.status().as_u16(), 200, "several matches: the list");
    let html = many.text().await.unwrap();
    assert!(select_text(&html, ".lookup-hit").len() >= 2, "{html}");
    let ids = select_text(&html, ".lookup-id");
    assert!(ids.contains(&"ACC-1".to_owned()), "{ids:?}");
}

#[tokio::test]
async fn a_coverage_gap_opens_the_editor_with_its_tier_and_scenario_checked() {
    let app = spawn_app().await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let rep = app.client_as("wang.fang", "rep").await;

    let (_, html) = page(&trainer, app.url("/coverage")).await;
    let links = select_attr(&html, "td.gap a.gap-link", "href");
    let gaps = select_text(&html, "td.gap").len();
    assert_eq!(links.len(), gaps, "every gap is a link for a trainer");
    let first = links.first().expect("the fixture library has gaps");
    assert!(first.starts_with("/new?kind=playbook&tier="), "{first}");
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(first.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let (tier, scenario) = (get("tier"), get("scenario"));

    let (status, editor) = page(&trainer, app.url(first)).await;
    assert_eq!(status, 200);
    assert_eq!(
        select_attr(&editor, "input[name=tiers][checked]", "value"),
        [tier]
    );
    assert_eq!(
        select_attr(&editor, "input[name=scenarios][checked]", "value"),
        [scenario]
    );
    assert_eq!(
        select_attr(&editor, "select[name=kind] option[selected]", "value"),
        ["playbook"]
    );

    // Reps do not write playbooks: for them a gap is only a gap.
    let (_, html) = page(&rep, app.url("/coverage")).await;
    assert!(select_attr(&html, "td.gap a", "href").is_empty());
    assert_eq!(select_text(&html, "td.gap").len(), gaps);
}

#[tokio::test]
async fn every_workflow_step_on_the_page_ends_with_a_message_and_a_send_back_shows_to_the_author() {
    let app = spawn_app().await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let manager = app.client_as("zhao.lei", "manager").await;
    let (status, created) = send(trainer.post(app.url("/api/v1/content")).json(&json!({
        "kind": "playbook", "title": "展会名片七日跟进", "tiers": ["major"],
        "scenarios": ["exhibition"], "body": "第一天发感谢短信。\n",
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let step = |client: &reqwest::Client, action: &str, comment: &str| {
        client
            .post(app.url(&format!("/content/{id}/workflow")))
            .form(&[("action", action), ("comment", comment)])
            .send()
    };

    let submitted = step(&trainer, "submit", "").await.unwrap();
    assert_eq!(submitted.status().as_u16(), 303);
    let back = location(&submitted);
    assert!(back.ends_with("?done=submitted"), "{back}");
    let (_, html) = page(&trainer, app.url(&back)).await;
    assert_eq!(
        select_text(&html, "[role=status].flash"),
        ["已提交审核，审核人会收到它。"]
    );

    let sent_back = step(&manager, "send_back", "补充展会现场的话术")
        .await
        .unwrap();
    assert!(location(&sent_back).ends_with("?done=sent_back"));
    let (_, html) = page(&manager, app.url(&location(&sent_back))).await;
    assert_eq!(select_text(&html, ".flash"), ["已退回作者修改。"]);

    // The author sees "sent back" with the note, on the item and in their list.
    let (_, html) = page(&trainer, app.url(&format!("/content/{id}"))).await;
    assert_eq!(select_text(&html, ".badge.status"), ["退回修改"]);
    let note = select_text(&html, ".sent-back").join(" ");
    assert!(
        note.contains("补充展会现场的话术") && note.contains("zhao.lei"),
        "{note}"
    );
    let (_, mine) = page(&trainer, app.url("/my/content")).await;
    assert_eq!(
        select_attr(&mine, "tbody tr .badge.status", "data-status"),
        ["sent_back"]
    );
    assert!(select_text(&mine, ".sent-back-note")[0].contains("补充展会现场的话术"));

    // Submitted again, it is no longer sent back.
    step(&trainer, "submit", "").await.unwrap();
    let (_, mine) = page(&trainer, app.url("/my/content")).await;
    assert_eq!(
        select_attr(&mine, "tbody tr .badge.status", "data-status"),
        ["in_review"]
    );
    let approved = step(&manager, "approve", "").await.unwrap();
    let (_, html) = page(&manager, app.url(&location(&approved))).await;
    assert_eq!(select_text(&html, ".flash"), ["已批准并发布。"]);

    // In English too; an unknown `done` says nothing.
    let english = manager
        .get(app.url(&format!("/content/{id}?done=archived")))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(select_text(&english, ".flash"), ["Archived."]);
    let (_, html) = page(&manager, app.url(&format!("/content/{id}?done=nonsense"))).await;
    assert!(select_text(&html, ".flash").is_empty());
}

#[tokio::test]
async fn marking_a_lesson_done_offers_the_next_one_and_completion_lists_who_has_not_started() {
    let app = spawn_app().await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let rep = app.client_as("wang.fang", "rep").await;
    app.add_user("li.na", "rep").await;
    app.add_user("sun.li", "rep").await;
    for user in ["wang.fang", "li.na"] {
        let (status, _) = send(
            app.admin
                .put(app.url(&format!("/api/v1/users/{user}")))
                .json(&json!({"position": "销售代表 L1"})),
        )
        .await;
        assert_eq!(status, 200);
    }

    let done = rep
        .post(app.url("/lessons/core-lesson-1/done"))
        .form(&[("done", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 303);
    let back = location(&done);
    assert_eq!(
        back, "/content/core-lesson-1?done=lesson_done#lesson-done",
        "back at the done line, not the top"
    );
    let (_, html) = page(&rep, app.url(back.split('#').next().unwrap())).await;
    assert_eq!(select_text(&html, ".flash"), ["这一课已标记为完成。"]);
    assert_eq!(
        select_attr(&html, ".next-lesson a", "href"),
        ["/content/core-lesson-2"]
    );

    // li.na is the course's audience and has not started; sun.li is not its audience.
    let (status, completion) =
        send(trainer.get(app.url("/api/v1/courses/core-course/completion"))).await;
    assert_eq!(status, 200, "{completion}");
    assert_eq!(completion["not_started"], json!(["li.na"]), "{completion}");
    assert_eq!(completion["learners"][0]["user"], "wang.fang");
    let (_, html) = page(&trainer, app.url("/courses/core-course/completion")).await;
    assert_eq!(select_text(&html, "#not-started li"), ["li.na"]);
}

#[tokio::test]
async fn smaller_things_export_link_alerts_for_the_owner_case_account_and_tier_facets() {
    let app = app_with_accounts().await;
    let rep = app.client_as("li.na", "rep").await;
    let manager = app.client_as("zhao.lei", "manager").await;

    // The tier export answers 403 to reps: they are not offered the link.
    let (_, html) = page(&rep, app.url("/accounts")).await;
    assert!(select_attr(&html, "a.export", "href").is_empty());
    let (_, html) = page(&manager, app.url("/accounts")).await;
    assert_eq!(
        select_attr(&html, "a.export", "href"),
        ["/api/v1/tiers.csv"]
    );

    // A colleague's account: the figures' alerts are the owner's, and the page says so.
    let (_, html) = page(&rep, app.url("/accounts/ACC-1")).await;
    assert_eq!(select_text(&html, "#alerts-for-owner").len(), 1, "{html}");
    assert!(!html.contains("没有需要马上处理的提醒"));

    // A case names its account by name, linked, and lists its moves once.
    let (status, created) = send(manager.post(app.url("/api/v1/content")).json(&json!({
        "kind": "case", "title": "江苏移动续约复盘", "account": "ACC-1", "outcome": "won",
        "scenarios": ["negotiation"],
        "moves": [{"text": "先交账再谈价", "best": false}],
        "body": "## 背景\n\n续约。\n\n## 有效的做法\n\n1. 先交账再谈价\n\n## 经验教训\n\n早准备。\n",
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let (_, html) = page(&manager, app.url(&format!("/content/{id}"))).await;
    assert_eq!(
        select_attr(&html, ".badge.account a", "href"),
        ["/accounts/ACC-1"]
    );
    assert_eq!(
        select_text(&html, ".badge.account a"),
        ["中国移动通信集团江苏有限公司"]
    );
    assert_eq!(html.matches("先交账再谈价").count(), 1, "{html}");
    assert!(html.contains("早准备"), "the rest of the body stays");

    // Tier facets offer the tiers accounts are cut into, not those of an unused preset.
    let (_, html) = page(&rep, app.url("/search?q=%E5%AE%A2%E6%88%B7")).await;
    let tiers = select_text(&html, ".facet .facet-value");
    assert!(!tiers.is_empty());
    assert!(!html.contains("VIP客户"), "{tiers:?}");
}
