//! Search that answers a rep's question (issue 17) over the fixture library: question words
//! left out, synonyms, partial matches that say what they lack, typos, pinyin, playbooks of the
//! tiers and scenarios a fruitless query names, the synonym list, and a broken synonyms.yaml.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{copy_fixture_content, spawn_app, spawn_app_with, write_file};

fn ids(body: &Value) -> Vec<&str> {
    body["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id"))
        .collect()
}

#[tokio::test]
async fn a_chinese_question_finds_the_negotiation_playbook_and_says_what_it_left_out() {
    let app = spawn_app().await;
    let (status, body) = app
        .search(&[("q", "客户嫌贵怎么办"), ("explain", "true")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        ids(&body)
            .iter()
            .take(3)
            .any(|id| *id == "major-negotiation"),
        "{body}"
    );
    assert_eq!(body["understood"]["dropped"], serde_json::json!(["怎么办"]));
    let terms = body["understood"]["terms"].as_array().expect("terms");
    let price = terms
        .iter()
        .find(|t| t["text"] == "嫌贵")
        .expect("嫌贵 is a term");
    assert!(price["also_matches"]
        .as_array()
        .expect("alternatives")
        .iter()
        .any(|a| a == "价格异议"));
    // Without explain the answer does not carry the explanation.
    let (_, plain) = app.search(&[("q", "客户嫌贵怎么办")]).await;
    assert!(plain.get("understood").is_none());
}

#[tokio::test]
async fn items_matching_part_of_the_query_follow_and_name_the_words_they_lack() {
    let app = spawn_app().await;
    let (_, body) = app.search(&[("q", "展会 外星人")]).await;
    assert_eq!(body["matched_all"], 0, "{body}");
    let hits = body["hits"].as_array().expect("hits");
    assert!(!hits.is_empty(), "{body}");
    assert!(
        hits.iter()
            .all(|h| h["missing"] == serde_json::json!(["外星人"])),
        "{body}"
    );
    assert!(ids(&body).contains(&"major-exhibition"));
    // A query every word of which matches has no missing words, and says so.
    let (_, body) = app.search(&[("q", "展会 接待")]).await;
    assert!(body["matched_all"].as_u64().unwrap() > 0);
    assert!(body["hits"][0].get("missing").is_none(), "{body}");
}

#[tokio::test]
async fn a_misspelt_english_word_still_finds_its_item_and_the_answer_offers_the_spelling() {
    let app = spawn_app().await;
    // A finished word (a space after it): no prefix helps, the typo is forgiven, and the word
    // it was meant to be brings its synonyms (谈判).
    let (_, body) = app.search(&[("q", "negotation ")]).await;
    assert!(ids(&body).contains(&"strategic-routine-visit-en"), "{body}");
    assert!(ids(&body).contains(&"major-negotiation"), "{body}");
    assert_eq!(body["matched_all"], body["total"], "{body}");
    assert_eq!(body["suggestion"], "negotiation", "{body}");
    // Four letters are too few for a typo: no guessing.
    let (_, body) = app.search(&[("q", "nego ")]).await;
    assert_eq!(body["total"], 0, "{body}");
}

#[tokio::test]
async fn pinyin_finds_the_chinese_word_and_an_english_question_prefers_english_items() {
    let app = spawn_app().await;
    let (_, body) = app.search(&[("q", "huikuan")]).await;
    assert!(ids(&body).contains(&"collections-ladder"), "{body}");
    // A word only the title has (台北), typed in pinyin.
    let (_, body) = app.search(&[("q", "taibei ")]).await;
    assert_eq!(ids(&body), ["traditional-case"], "{body}");
    let (_, body) = app.search(&[("q", "how do I negotiate")]).await;
    let found = ids(&body);
    assert_eq!(found.first(), Some(&"strategic-routine-visit-en"), "{body}");
    assert!(found.contains(&"major-negotiation"), "{body}");
}

#[tokio::test]
async fn a_query_with_no_full_match_offers_the_playbooks_of_the_tier_and_scenario_it_names() {
    let app = spawn_app().await;
    let (_, body) = app.search(&[("q", "主要客户 展会 火星")]).await;
    assert_eq!(body["matched_all"], 0, "{body}");
    let related: Vec<&str> = body["related"]
        .as_array()
        .expect("related")
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(related.first(), Some(&"major-exhibition"), "{body}");
    // Still recorded for trainers: nothing matched every word.
    let mut app = app;
    app.sign_in_as("trainer", "trainer").await;
    let (_, misses) = app.get_json("/api/v1/search/misses").await;
    assert!(misses.to_string().contains("火星"), "{misses}");
}

#[tokio::test]
async fn the_search_page_shows_partial_matches_left_out_words_suggestions_and_the_synonyms() {
    let app = spawn_app().await;
    let page = app
        .get_with_lang(
            "/search?q=%E5%B1%95%E4%BC%9A+%E5%A4%96%E6%98%9F%E4%BA%BA",
            "zh",
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("没有同时包含所有词语的内容"), "{page}");
    assert!(page.contains("未包含：<s>外星人</s>"), "{page}");
    let page = app
        .get_with_lang("/search?q=how+do+I+negotation", "en")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Question words left out: how · do · I"),
        "{page}"
    );
    assert!(
        page.contains(
            "Did you mean: <a href=\"/search?q=how+do+I+negotiation\">how do I negotiation</a>"
        ),
        "{page}"
    );
    let synonyms = app
        .get_with_lang("/synonyms", "zh")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        synonyms.contains("<span class=\"synonym\">太贵</span>"),
        "{synonyms}"
    );
    assert!(synonyms.contains("<span class=\"synonym\">价格异议</span>"));
    let (status, body) = app.get_json("/api/v1/synonyms").await;
    assert_eq!(status, 200);
    assert!(body["groups"].as_array().unwrap().len() >= 20);
}

#[tokio::test]
async fn a_broken_synonyms_file_is_reported_by_check_and_the_built_in_groups_serve_meanwhile() {
    let content = copy_fixture_content();
    write_file(
        content.path(),
        "synonyms.yaml",
        "groups:\n  - [太贵, 价格异议]\n  - [only-one]\n  - [回款, '']\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_playbook"))
        .args(["check", "--content-dir"])
        .arg(content.path())
        .output()
        .expect("playbook check runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("synonyms.yaml"), "{stderr}");
    assert!(
        stderr.contains("groups[1]: a group needs at least two entries"),
        "{stderr}"
    );
    assert!(stderr.contains("groups[2][1]: empty entry"), "{stderr}");

    let data = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(data.path(), content.path()).await;
    let (_, body) = app.search(&[("q", "太贵")]).await;
    assert!(ids(&body).contains(&"major-negotiation"), "{body}");
    // A valid file replaces the built-in groups.
    write_file(
        content.path(),
        "synonyms.yaml",
        "groups:\n  - [外星人, 展会]\n",
    );
    let data = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(data.path(), content.path()).await;
    let (_, body) = app.search(&[("q", "外星人")]).await;
    assert!(ids(&body).contains(&"major-exhibition"), "{body}");
    let (_, body) = app.search(&[("q", "太贵")]).await;
    assert!(!ids(&body).contains(&"major-negotiation"), "{body}");
}

#[tokio::test]
async fn items_with_every_word_once_a_typo_is_forgiven_count_as_full_matches_after_relaxing() {
    let content = copy_fixture_content();
    for n in 0..3 {
        write_file(
            content.path(),
            &format!("playbooks/both-{n}.md"),
            &format!("---\nid: both-{n}\nkind: playbook\ntitle: 展会谈判 {n}\n---\n展会上的 negotiation 要点。\n"),
        );
    }
    for n in 0..12 {
        write_file(
            content.path(),
            &format!("playbooks/expo-{n}.md"),
            &format!(
                "---\nid: expo-{n}\nkind: playbook\ntitle: 展会跟进 {n}\n---\n展会之后的跟进。\n"
            ),
        );
    }
    let data = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_with(data.path(), content.path()).await;
    let (_, body) = app
        .search(&[("q", "展会 negotation "), ("limit", "50")])
        .await;
    assert_eq!(body["matched_all"], 3, "{body}");
    assert!(body["total"].as_u64().unwrap() >= 15, "{body}");
    let hits = body["hits"].as_array().unwrap();
    assert!(
        hits[..3].iter().all(|h| h.get("missing").is_none()),
        "{body}"
    );
    assert!(
        hits[3..].iter().all(|h| h.get("missing").is_some()),
        "{body}"
    );
}
