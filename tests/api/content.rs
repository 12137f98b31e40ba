//! The content library over the API: items, coverage, problems, and keeping the last good
//! version of a file that breaks.

use crate::helpers::{copy_fixture_content, spawn_app, spawn_app_with, write_file};

#[tokio::test]
async fn a_published_item_is_returned_with_rendered_html_and_its_url() {
    let app = spawn_app().await;
    let (status, body) = app.get_content("strategic-routine-visit").await;
    assert_eq!(status, 200);
    assert_eq!(body["title"], "战略客户日常拜访");
    assert_eq!(body["kind"], "playbook");
    assert_eq!(body["tiers"], serde_json::json!(["strategic"]));
    assert_eq!(body["url"], "/content/strategic-routine-visit");
    assert!(body["html"].as_str().unwrap().contains("<table>"));
}

#[tokio::test]
async fn an_unknown_id_is_a_json_404_with_a_stable_code() {
    let app = spawn_app().await;
    let (status, body) = app.get_content("no-such-item").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no-such-item"));
}

#[tokio::test]
async fn a_draft_is_not_shown_to_readers() {
    let mut app = spawn_app().await;
    app.sign_in_as("reader", "rep").await;
    let (status, _) = app.get_content("draft-exhibition").await;
    assert_eq!(status, 404);
    let (_, list) = app.get_json("/api/v1/content").await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"draft-exhibition"));
    assert!(ids.contains(&"major-negotiation"));
}

#[tokio::test]
async fn coverage_lists_playbooks_per_tier_and_scenario_and_counts_gaps() {
    let app = spawn_app().await;
    let (status, coverage) = app.get_coverage().await;
    assert_eq!(status, 200);
    let scenarios: Vec<&str> = coverage["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let routine = scenarios
        .iter()
        .position(|s| *s == "routine-visit")
        .unwrap();
    let collections = scenarios.iter().position(|s| *s == "collections").unwrap();
    let strategic_routine = &coverage["rows"][0][routine]["playbooks"];
    let ids: Vec<&str> = strategic_routine
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"strategic-routine-visit") && ids.contains(&"strategic-routine-visit-en")
    );
    // The ladder has no tiers, so it covers collections for all four tiers.
    for tier in 0..4 {
        assert_eq!(
            coverage["rows"][tier][collections]["playbooks"][0]["id"],
            "collections-ladder"
        );
    }
    // routine-visit (strategic), negotiation and exhibition (major), collections ×4; the draft counts for nothing.
    assert_eq!(coverage["filled"], 7);
    assert_eq!(coverage["gaps"], 4 * 13 - 7);
}

#[tokio::test]
async fn healthz_reports_ok_and_the_number_of_items() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["content_items"], 13);
    assert_eq!(body["content_problems"], 0);
}

#[tokio::test]
async fn a_file_broken_after_a_good_start_keeps_serving_its_last_good_version() {
    let content = copy_fixture_content();
    let data = tempfile::tempdir().unwrap();
    let app = spawn_app_with(data.path(), content.path()).await;
    let (status, body) = app.get_content("major-negotiation").await;
    assert_eq!(
        (status, body["title"].as_str()),
        (200, Some("主要客户商务谈判"))
    );
    app.stop().await;

    // Break the file: unknown scenario and a typo'd field.
    write_file(
        content.path(),
        "playbooks/major-negotiation.md",
        "---\nid: major-negotiation\nkind: playbook\ntitle: 改坏了\nscenarios: [exec-visit]\ncolour: red\n---\nnew body\n",
    );
    let app = spawn_app_with(data.path(), content.path()).await;
    let (status, body) = app.get_content("major-negotiation").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["title"], "主要客户商务谈判",
        "the last good version is served"
    );

    let (_, problems) = app.get_json("/api/v1/problems").await;
    let messages: Vec<&str> = problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("unknown scenario \"exec-visit\"")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("colour: unknown field")),
        "{messages:?}"
    );
    assert!(problems[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("playbooks/major-negotiation.md"));

    let (status, page) = app.get_html("/problems").await;
    assert_eq!(status, 200);
    assert!(page.contains("playbooks/major-negotiation.md"));
    assert!(page.contains("exec-visit"));
    app.stop().await;

    // A restart with no file changed does not read the files again (the directory's
    // fingerprint is the one of the last sync): the same item and the same problems are served.
    let app = spawn_app_with(data.path(), content.path()).await;
    let (_, body) = app.get_content("major-negotiation").await;
    assert_eq!(body["title"], "主要客户商务谈判");
    let (_, again) = app.get_json("/api/v1/problems").await;
    assert_eq!(again, problems);
    app.stop().await;

    // Fixing the file is seen at the next start, and its problems are gone.
    write_file(
        content.path(),
        "playbooks/major-negotiation.md",
        "---\nid: major-negotiation\nkind: playbook\ntitle: 修好了\nscenarios: [negotiation]\n---\nnew body\n",
    );
    let app = spawn_app_with(data.path(), content.path()).await;
    let (_, body) = app.get_content("major-negotiation").await;
    assert_eq!(body["title"], "修好了");
    let (_, problems) = app.get_json("/api/v1/problems").await;
    assert_eq!(problems, serde_json::json!([]));
    app.stop().await;
}

#[tokio::test]
async fn a_changed_file_updates_its_item_and_a_deleted_file_removes_it() {
    let content = copy_fixture_content();
    let data = tempfile::tempdir().unwrap();
    let app = spawn_app_with(data.path(), content.path()).await;
    app.stop().await;

    write_file(
        content.path(),
        "playbooks/major-negotiation.md",
        "---\nid: major-negotiation\nkind: playbook\ntitle: 主要客户商务谈判（第二版）\ntiers: [major]\nscenarios: [negotiation]\n---\n新版\n",
    );
    std::fs::remove_file(content.path().join("playbooks/collections-ladder.md")).unwrap();
    let app = spawn_app_with(data.path(), content.path()).await;
    let (_, body) = app.get_content("major-negotiation").await;
    assert_eq!(body["title"], "主要客户商务谈判（第二版）");
    let (status, _) = app.get_content("collections-ladder").await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn a_missing_content_directory_still_serves_what_the_store_holds() {
    let content = copy_fixture_content();
    let data = tempfile::tempdir().unwrap();
    spawn_app_with(data.path(), content.path())
        .await
        .stop()
        .await;
    let gone = content.path().join("does-not-exist");
    let app = spawn_app_with(data.path(), &gone).await;
    let (status, _) = app.get_content("major-negotiation").await;
    assert_eq!(status, 200);
    let (_, problems) = app.get_json("/api/v1/problems").await;
    assert!(problems[0]["message"]
        .as_str()
        .unwrap()
        .contains("does not exist"));
    app.stop().await;
}
