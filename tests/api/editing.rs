//! Editing and publishing (issue 7): the workflow draft → review → published, send back,
//! versions and restore, stale items, case reviews on accounts found by search and the
//! briefing, best practices cited both ways, course progress, and export → load round trips.

use serde_json::{json, Value};

use crate::briefing::app_with_accounts;
use crate::helpers::{spawn_app, spawn_app_with, write_file};

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn playbook(title: &str) -> Value {
    json!({
        "kind": "playbook",
        "title": title,
        "tiers": ["major"],
        "scenarios": ["negotiation"],
        "tags": ["谈判"],
        "body": "## 步骤\n\n先摸清对方的采购预算，再报价。\n",
    })
}

#[tokio::test]
async fn a_playbook_goes_from_draft_through_review_to_published_and_can_be_sent_back() {
    let app = spawn_app().await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let manager = app.client_as("zhao.lei", "manager").await;
    let rep = app.client_as("wang.fang", "rep").await;

    let (status, created) = send(
        trainer
            .post(app.url("/api/v1/content"))
            .json(&playbook("大客户价格谈判七步法")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["version"], 1);
    let id = created["id"].as_str().unwrap().to_owned();
    let content = |id: &str| app.url(&format!("/api/v1/content/{id}"));

    // A draft is its owner's: a rep neither opens nor finds it.
    assert_eq!(send(rep.get(content(&id))).await.0, 404);
    let (_, mine) = send(trainer.get(content(&id))).await;
    assert_eq!(mine["owner"], "chen.jing");

    let (status, body) = send(trainer.post(content(&format!("{id}/submit")))).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("in_review")),
        "{body}"
    );
    let (status, body) = send(trainer.post(content(&format!("{id}/approve")))).await;
    assert_eq!(status, 403, "a trainer does not approve: {body}");
    let (_, queue) = send(manager.get(app.url("/api/v1/review-queue"))).await;
    assert!(
        queue.as_array().unwrap().iter().any(|e| e["id"] == id),
        "{queue}"
    );

    // Sending back needs a comment, which the history keeps.
    let (status, body) = send(manager.post(content(&format!("{id}/send-back")))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("comment_required"))
    );
    let (status, _) = send(
        manager
            .post(content(&format!("{id}/send-back")))
            .json(&json!({"comment": "补充让步的底线"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(send(trainer.get(content(&id))).await.1["status"], "draft");

    let mut edited = playbook("大客户价格谈判七步法");
    edited["body"] =
        json!("## 步骤\n\n先摸清对方的采购预算，再报价。\n\n## 底线\n\n让步不超过三次。\n");
    edited["base"] = json!(3);
    let (status, body) = send(trainer.put(content(&id)).json(&edited)).await;
    assert_eq!(status, 200, "{body}");
    send(trainer.post(content(&format!("{id}/submit")))).await;
    let (status, body) = send(manager.post(content(&format!("{id}/approve")))).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("published")),
        "{body}"
    );

    assert_eq!(send(rep.get(content(&id))).await.0, 200);
    assert!(
        app.finds(&rep, "让步", &id).await,
        "the rep finds the published playbook"
    );

    let (_, versions) = send(trainer.get(content(&format!("{id}/versions")))).await;
    let actions: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "approved",
            "submitted",
            "saved",
            "sent_back",
            "submitted",
            "created"
        ]
    );
    assert_eq!(versions[3]["comment"], "补充让步的底线");
    assert_eq!(
        send(rep.get(content(&format!("{id}/versions")))).await.0,
        403
    );
}

#[tokio::test]
async fn readers_keep_the_published_version_while_an_edit_waits_and_old_versions_come_back() {
    let app = spawn_app().await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let rep = app.client_as("wang.fang", "rep").await;
    let content = |path: &str| app.url(&format!("/api/v1/content/{path}"));
    // A bundled file item, published: the trainer edits it.
    let id = "major-negotiation";
    let (_, original) = send(rep.get(content(id))).await;
    let original_title = original["title"].as_str().unwrap().to_owned();
    let mut changed = original.clone();
    changed["title"] = json!("谈判：新标题");
    let (status, body) = send(trainer.put(content(id)).json(&changed)).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("draft")),
        "{body}"
    );

    // The rep still reads the published version; the trainer sees the draft; the coverage
    // matrix keeps the published playbook in its cell.
    let (_, coverage) = send(rep.get(app.url("/api/v1/coverage"))).await;
    assert!(coverage.to_string().contains(id), "{coverage}");
    assert_eq!(
        send(rep.get(content(id))).await.1["title"],
        original_title.as_str()
    );
    assert_eq!(
        send(trainer.get(content(id))).await.1["title"],
        "谈判：新标题"
    );

    // A save based on an old version is refused: nothing is overwritten silently.
    changed["base"] = json!(1);
    changed["title"] = json!("谈判：另一个标题");
    let (status, body) = send(trainer.put(content(id)).json(&changed)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("edit_conflict")),
        "{body}"
    );

    let (_, diff) = send(trainer.get(content(&format!("{id}/diff?from=1&to=2")))).await;
    let lines: Vec<String> = diff
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["op"] != " ")
        .map(|l| {
            format!(
                "{}{}",
                l["op"].as_str().unwrap(),
                l["text"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            format!("-title: {original_title}"),
            "+title: 谈判：新标题".to_owned(),
            "-status: published".to_owned(),
            "+status: draft".to_owned()
        ]
    );

    let (status, body) = send(trainer.post(content(&format!("{id}/versions/1/restore")))).await;
    assert_eq!((status, body["version"].as_u64()), (200, Some(3)), "{body}");
    let (_, now) = send(trainer.get(content(id))).await;
    assert_eq!(now["title"], original_title.as_str());
    assert_eq!(now["status"], "draft");
}

#[tokio::test]
async fn markdown_files_are_validated_like_files_and_stale_items_are_listed_for_their_owner() {
    let app = spawn_app().await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let markdown = "---\nkind: playbook\ntitle: 展会跟进\nscenarios: [exhibition, exec-visit]\ntiers: [vpi]\n---\n正文\n";
    let (status, body) = send(
        trainer
            .post(app.url("/api/v1/content"))
            .header("Content-Type", "text/markdown")
            .body(markdown),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_content")),
        "{body}"
    );
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["tiers", "scenarios"], "{body}");

    let stale = "---\nkind: playbook\ntitle: 过期的手册\nreview_by: 2020-01-01\n---\n正文\n";
    let (status, body) = send(
        trainer
            .post(app.url("/api/v1/content"))
            .header("Content-Type", "text/markdown; charset=utf-8")
            .body(stale),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (_, listed) = send(trainer.get(app.url("/api/v1/my/content?stale=true"))).await;
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [body["id"].as_str().unwrap()]);
    let (_, item) =
        send(trainer.get(app.url(&format!("/api/v1/content/{}", body["id"].as_str().unwrap()))))
            .await;
    assert_eq!(item["stale"], true);

    // A rep may write an experience write-up, not a playbook.
    let rep = app.client_as("wang.fang", "rep").await;
    let (status, _) = send(rep.post(app.url("/api/v1/content")).json(&playbook("x"))).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_case_review_attached_to_an_account_is_found_by_search_and_leads_its_briefing() {
    let app = app_with_accounts().await;
    let manager = app.client_as("zhao.lei", "manager").await;
    let owner = app.client_as("zhang.wei", "rep").await;
    let other = app.client_as("li.na", "rep").await;
    let review = json!({
        "scenario": "collections",
        "tags": ["回款"],
        "background": "年底集团预算冻结，回款拖到第45天。",
        "actions": "约集团财务总监面谈，拆分回款计划。",
        "result": "won",
        "moves": ["先请财务总监参加对账会", "把回款拆成三期并写进补充协议"],
        "lessons": "回款问题要在第30天前升级。",
        "next_steps": "季度对账。",
    });
    let (status, body) = send(
        manager
            .post(app.url("/api/v1/accounts/ACC-1/reviews"))
            .json(&review),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let (_, item) = send(manager.get(app.url(&format!("/api/v1/content/{id}")))).await;
    assert_eq!(item["account"], "ACC-1");
    assert_eq!(
        item["account_tier"], "strategic",
        "the tier at the time is recorded"
    );
    assert_eq!(item["outcome"], "won");
    assert_eq!(item["moves"].as_array().unwrap().len(), 2);

    assert!(
        app.finds(&owner, "财务总监", &id).await,
        "the owner finds it"
    );
    assert!(
        !app.finds(&other, "财务总监", &id).await,
        "another rep does not"
    );
    let (_, briefing) =
        send(owner.get(app.url("/api/v1/accounts/ACC-1/briefing?scenario=collections"))).await;
    let own = briefing["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap_or_else(|| panic!("the review is in the briefing: {briefing}"));
    assert_eq!(own["own"], true, "listed among the account's own reviews");

    // A move marked as a best practice is shared with everyone; the review itself is not.
    let (status, _) = send(
        manager
            .put(app.url(&format!("/api/v1/content/{id}/moves/2")))
            .json(&json!({"best": true})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, practices) = send(other.get(app.url("/api/v1/practices?scenario=collections"))).await;
    let shared = practices
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["case_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the practice is listed: {practices}"));
    assert_eq!(shared["text"], "把回款拆成三期并写进补充协议");
    assert_eq!(shared["readable"], false);
    assert_eq!(
        send(other.get(app.url(&format!("/api/v1/content/{id}"))))
            .await
            .0,
        404
    );
    let (_, own) = send(owner.get(app.url("/api/v1/practices?scenario=collections"))).await;
    assert!(own
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["case_id"] == id.as_str() && p["readable"] == true));

    let (status, body) = send(
        manager
            .post(app.url("/api/v1/accounts/ACC-1/reviews"))
            .json(&json!({"result": "maybe", "background": "", "actions": "x"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_content"))
    );
    assert_eq!(
        send(
            owner
                .post(app.url("/api/v1/accounts/ACC-1/reviews"))
                .json(&review)
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn a_best_practice_is_collected_cited_by_a_playbook_and_the_case_shows_the_playbook() {
    let app = spawn_app().await;
    let manager = app.client_as("zhao.lei", "manager").await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let case = "---\nid: bid-won\nkind: case\ntitle: 投标赢单复盘\ntiers: [major]\nscenarios: [bidding]\noutcome: won\nmoves:\n  - 提前两周拜访评标专家\n  - 准备样板点参观\n---\n正文\n";
    let (status, body) = send(
        manager
            .post(app.url("/api/v1/content"))
            .header("Content-Type", "text/markdown")
            .body(case),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    send(manager.post(app.url("/api/v1/content/bid-won/approve"))).await;
    let (status, body) = send(
        manager
            .put(app.url("/api/v1/content/bid-won/moves/2"))
            .json(&json!({"best": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "published", "curating does not unpublish");

    let (_, practices) =
        send(trainer.get(app.url("/api/v1/practices?tier=major&scenario=bidding"))).await;
    assert_eq!(practices[0]["reference"], "bid-won#2", "{practices}");
    assert_eq!(practices[0]["text"], "准备样板点参观");
    let (_, none) =
        send(trainer.get(app.url("/api/v1/practices?tier=small&scenario=bidding"))).await;
    assert_eq!(none, json!([]));

    let mut cited = playbook("投标打法");
    cited["evidence"] = json!(["bid-won#2"]);
    let (status, body) = send(trainer.post(app.url("/api/v1/content")).json(&cited)).await;
    assert_eq!(status, 201, "{body}");
    let pid = body["id"].as_str().unwrap().to_owned();
    send(manager.post(app.url(&format!("/api/v1/content/{pid}/approve")))).await;
    let (_, page) = send(trainer.get(app.url(&format!("/api/v1/content/{pid}")))).await;
    assert_eq!(page["cited_cases"][0]["text"], "准备样板点参观", "{page}");
    let (_, case) = send(trainer.get(app.url("/api/v1/content/bid-won"))).await;
    assert_eq!(case["cited_by"][0]["id"], pid.as_str(), "{case}");
    let (html_status, html) = {
        let r = trainer
            .get(app.url(&format!("/content/{pid}")))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(html_status, 200);
    assert!(
        html.contains("投标赢单复盘") && html.contains("准备样板点参观"),
        "evidence on the page"
    );

    let mut dangling = playbook("无据可依");
    dangling["evidence"] = json!(["no-such-case"]);
    let (status, body) = send(trainer.post(app.url("/api/v1/content")).json(&dangling)).await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (400, Some("evidence")),
        "{body}"
    );
}

#[tokio::test]
async fn courses_follow_the_audience_and_campaigns_and_progress_is_counted() {
    let app = spawn_app().await;
    let rep = app.client_as("wang.fang", "rep").await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let (_, mine) = send(rep.get(app.url("/api/v1/my/courses"))).await;
    assert_eq!(
        mine,
        json!([]),
        "no position yet: not the course's audience"
    );
    let (status, _) = send(
        app.admin
            .put(app.url("/api/v1/users/wang.fang"))
            .json(&json!({"position": "销售代表 L1", "region": "华东"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, mine) = send(rep.get(app.url("/api/v1/my/courses"))).await;
    assert_eq!(mine[0]["id"], "core-course", "{mine}");
    assert_eq!(
        (mine[0]["lessons"].as_u64(), mine[0]["done"].as_u64()),
        (Some(2), Some(0))
    );

    assert_eq!(
        send(rep.put(app.url("/api/v1/progress/core-lesson-1")))
            .await
            .0,
        204
    );
    assert_eq!(
        send(rep.put(app.url("/api/v1/progress/core-course")))
            .await
            .0,
        400
    );
    let (_, mine) = send(rep.get(app.url("/api/v1/my/courses"))).await;
    assert_eq!(
        (mine[0]["percent"].as_u64(), mine[0]["next_lesson"].as_str()),
        (Some(50), Some("core-lesson-2"))
    );

    let (status, completion) =
        send(trainer.get(app.url("/api/v1/courses/core-course/completion"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        completion["learners"][0]["user"], "wang.fang",
        "{completion}"
    );
    assert_eq!(completion["completed"], 0);
    assert_eq!(
        send(rep.get(app.url("/api/v1/courses/core-course/completion")))
            .await
            .0,
        403
    );

    // A campaign for the region pushes another course, within its window only.
    let campaign = json!({
        "kind": "campaign", "title": "春雨行动", "courses": ["core-course"],
        "audience": ["rep"], "regions": ["华东"], "starts": "2020-01-01", "ends": "2099-12-31",
        "body": "春季回款与拜访专项。"
    });
    let (status, body) = send(trainer.post(app.url("/api/v1/content")).json(&campaign)).await;
    assert_eq!(status, 201, "{body}");
    send(app.admin.post(app.url(&format!(
        "/api/v1/content/{}/approve",
        body["id"].as_str().unwrap()
    ))))
    .await;
    let (_, mine) = send(rep.get(app.url("/api/v1/my/courses"))).await;
    assert_eq!(mine[0]["campaigns"][0]["title"], "春雨行动", "{mine}");
}

#[tokio::test]
async fn export_then_load_loses_nothing_and_a_file_never_overwrites_a_browser_edit() {
    let data = tempfile::tempdir().unwrap();
    let content = crate::helpers::copy_fixture_content();
    let app = spawn_app_with(data.path(), content.path()).await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let (_, created) = send(
        trainer
            .post(app.url("/api/v1/content"))
            .json(&playbook("网页里写的手册")),
    )
    .await;
    let new_id = created["id"].as_str().unwrap().to_owned();
    // Edit a file item in the browser.
    let (_, mut item) = send(trainer.get(app.url("/api/v1/content/major-negotiation"))).await;
    item["title"] = json!("浏览器里改过的标题");
    assert_eq!(
        send(
            trainer
                .put(app.url("/api/v1/content/major-negotiation"))
                .json(&item)
        )
        .await
        .0,
        200
    );
    let before: Vec<Value> = {
        let (_, list) = send(app.admin.get(app.url("/api/v1/my/content"))).await;
        let _ = list;
        let mut all = Vec::new();
        for id in [
            new_id.as_str(),
            "major-negotiation",
            "core-course",
            "bid-won",
        ] {
            let (status, body) =
                send(app.admin.get(app.url(&format!("/api/v1/content/{id}")))).await;
            if status == 200 {
                all.push(body);
            }
        }
        all
    };
    // The file changes on disk too: on restart, the browser edit is kept and the file reported.
    write_file(
        content.path(),
        "playbooks/major-negotiation.md",
        "---\nid: major-negotiation\nkind: playbook\ntitle: 文件里的新标题\ntiers: [major]\nscenarios: [negotiation]\n---\n新正文\n",
    );
    app.stop().await;
    let app = spawn_app_with(data.path(), content.path()).await;
    let (_, item) = send(app.admin.get(app.url("/api/v1/content/major-negotiation"))).await;
    assert_eq!(item["title"], "浏览器里改过的标题");
    let (_, problems) = send(app.admin.get(app.url("/api/v1/problems"))).await;
    let text = problems.to_string();
    assert!(
        text.contains("major-negotiation.md") && text.contains("edited in the browser"),
        "{text}"
    );
    app.stop().await;

    // Export, then load the export as a content directory of a fresh store: the same items.
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_playbook"))
        .args([
            "export",
            out.path().to_str().unwrap(),
            "--data-dir",
            data.path().to_str().unwrap(),
        ])
        .args(crate::helpers::store_args(data.path()))
        .status()
        .unwrap();
    assert!(status.success());
    let fresh = tempfile::tempdir().unwrap();
    let copy = spawn_app_with(fresh.path(), out.path()).await;
    let (_, problems) = send(copy.admin.get(copy.url("/api/v1/problems"))).await;
    assert_eq!(problems, json!([]), "the export loads cleanly");
    for original in &before {
        let id = original["id"].as_str().unwrap();
        let (status, loaded) =
            send(copy.admin.get(copy.url(&format!("/api/v1/content/{id}")))).await;
        assert_eq!(status, 200, "{id}");
        for field in [
            "kind",
            "title",
            "summary",
            "tiers",
            "scenarios",
            "tags",
            "lang",
            "status",
            "owner",
            "evidence",
            "moves",
            "body",
            "audience",
            "review_by",
        ] {
            assert_eq!(loaded[field], original[field], "{id}: {field}");
        }
    }
    copy.stop().await;

    // And the original store, pointed at the export, sees no conflict: the files say what the
    // browser said.
    let app = spawn_app_with(data.path(), out.path()).await;
    let (_, problems) = send(app.admin.get(app.url("/api/v1/problems"))).await;
    assert_eq!(problems, json!([]));
}

#[tokio::test]
async fn the_editor_form_shows_errors_by_their_fields_and_takes_a_pasted_file() {
    let app = spawn_app().await;
    let trainer = crate::helpers::signed_in_client(
        &app.address,
        "chen.jing",
        &app.add_user("chen.jing", "trainer").await,
    )
    .await;
    let csrf = {
        let page = trainer
            .get(app.url("/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let start = page.find("name=\"csrf-token\" content=\"").unwrap() + 26;
        page[start..start + page[start..].find('"').unwrap()].to_owned()
    };
    let post = |form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("csrf", csrf.clone()));
        trainer
            .post(app.url("/new"))
            .header("Origin", &app.address)
            .form(&form)
            .send()
    };
    // A missing title and a bad date come back next to their fields, the input kept.
    let response = post(vec![
        ("kind", "playbook".into()),
        ("title", "".into()),
        ("review_by", "2026-13-45".into()),
        ("body", "保留的正文".into()),
        ("do", "save".into()),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    let doc = scraper::Html::parse_document(&page);
    let error_of = |field: &str| {
        let selector =
            scraper::Selector::parse(&format!(".field-error[data-field={field}]")).unwrap();
        doc.select(&selector)
            .next()
            .map(|e| e.text().collect::<String>())
            .unwrap_or_default()
    };
    assert!(error_of("title").contains("title"), "{page}");
    assert!(error_of("review_by").contains("2026-13-45"), "{page}");
    assert!(page.contains("保留的正文"), "the body is kept");

    // A whole file pasted from Typora: its front matter fills the empty fields.
    let pasted =
        "---\ntitle: 从 Typora 粘贴的手册\ntags: [展会]\nscenarios: [exhibition]\n---\n\n# 正文\n";
    let response = post(vec![
        ("kind", "playbook".into()),
        ("title", "".into()),
        ("body", pasted.into()),
        ("do", "save".into()),
    ])
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        303,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("?done=created"), "{location}");
    let id = location
        .trim_start_matches("/content/")
        .trim_end_matches("?done=created");
    let id = &url::form_urlencoded::parse(format!("x={id}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    let (_, item) = send(trainer.get(app.url(&format!("/api/v1/content/{id}")))).await;
    assert_eq!(item["title"], "从 Typora 粘贴的手册");
    assert_eq!(item["scenarios"], json!(["exhibition"]));
    assert_eq!(item["body"], "# 正文\n");
}
