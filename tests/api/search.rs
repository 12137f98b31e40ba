//! Search over the fixture library: Chinese inside longer words, mixed languages, phrases,
//! prefixes, filters, facets, snippets, pagination, bad parameters, and the index's
//! consistency with the store across deletion and crashes.

use playbook::domain::content::parse_content;
use playbook::domain::taxonomy::Taxonomy;

use crate::helpers::{copy_fixture_content, open_store, spawn_app, spawn_app_with, TestApp};

fn ids(body: &serde_json::Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn search_ids(app: &TestApp, query: &[(&str, &str)]) -> Vec<String> {
    let (status, body) = app.search(query).await;
    assert_eq!(status, 200, "{body}");
    ids(&body)
}

#[tokio::test]
async fn a_two_character_word_finds_documents_that_contain_it_inside_a_longer_word() {
    let app = spawn_app().await;
    // The playbook says 售后服务体系; a rep types 服务 or 售后.
    for q in ["服务", "售后", "售后服务"] {
        let found = search_ids(&app, &[("q", q)]).await;
        assert!(
            found.contains(&"strategic-routine-visit".to_owned()),
            "{q}: {found:?}"
        );
    }
    // 客户 inside 大客户: the case about VIP客户 and the playbook about 大客户.
    let found = search_ids(&app, &[("q", "客户")]).await;
    assert!(found.contains(&"mixed-case".to_owned()), "{found:?}");
}

#[tokio::test]
async fn mixed_chinese_and_english_text_is_found_by_either_part_and_as_typed() {
    let app = spawn_app().await;
    for q in ["VIP客户的回款", "vip", "KA渠道", "渠道", "30天", "ka"] {
        let found = search_ids(&app, &[("q", q)]).await;
        assert!(found.contains(&"mixed-case".to_owned()), "{q}: {found:?}");
    }
}

#[tokio::test]
async fn traditional_and_simplified_chinese_find_each_other() {
    let app = spawn_app().await;
    for q in ["追加销售", "追加銷售", "客户", "客戶"] {
        let found = search_ids(&app, &[("q", q)]).await;
        assert!(
            found.contains(&"traditional-case".to_owned()),
            "{q}: {found:?}"
        );
    }
}

#[tokio::test]
async fn a_quoted_phrase_needs_its_words_in_order() {
    let app = spawn_app().await;
    let mut found = search_ids(&app, &[("q", "\"回款 催收\"")]).await;
    found.sort();
    // The case says 回款催收阶梯 in its body, the ladder in its title.
    assert_eq!(found, ["collections-ladder", "mixed-case"]);
    // The same words in the other order are not the phrase.
    let found = search_ids(&app, &[("q", "\"催收 回款\"")]).await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn the_last_word_matches_as_a_prefix_while_typing_but_not_after_a_space() {
    let app = spawn_app().await;
    let found = search_ids(&app, &[("q", "negot")]).await;
    assert_eq!(found, ["strategic-routine-visit-en"]);
    let found = search_ids(&app, &[("q", "nego ")]).await;
    assert!(
        found.is_empty(),
        "a finished word is not a prefix: {found:?}"
    );
    // English is stemmed: the plural finds the singular; English items come first, Chinese
    // ones on the subject follow through the synonyms (谈判 ⇄ negotiation).
    let found = search_ids(&app, &[("q", "negotiations")]).await;
    assert_eq!(found[0], "strategic-routine-visit-en");
    assert!(found.contains(&"major-negotiation".to_owned()), "{found:?}");
}

#[tokio::test]
async fn filters_narrow_a_text_search_and_list_on_their_own() {
    let app = spawn_app().await;
    let with_text = search_ids(&app, &[("q", "回款"), ("tier", "major")]).await;
    assert!(with_text.contains(&"mixed-case".to_owned()));
    // The ladder applies to every tier, so a tier filter keeps it.
    assert!(
        with_text.contains(&"collections-ladder".to_owned()),
        "{with_text:?}"
    );
    assert!(
        !with_text.contains(&"script-case".to_owned()),
        "small-tier case filtered out"
    );

    let lessons = search_ids(&app, &[("kind", "lesson")]).await;
    let mut lessons = lessons;
    lessons.sort();
    assert_eq!(lessons, ["core-lesson-1", "core-lesson-2"]);
    let english = search_ids(&app, &[("lang", "en")]).await;
    assert_eq!(english, ["strategic-routine-visit-en"]);
}

#[tokio::test]
async fn facet_counts_cover_every_match_and_skip_drafts() {
    let mut app = spawn_app().await;
    app.sign_in_as("reader", "rep").await;
    let (_, body) = app.search(&[]).await;
    // 13 items: one is a draft, one a case review of account ACC-1, which this rep does not own.
    assert_eq!(body["total"], 11);
    let kinds: std::collections::HashMap<String, u64> = body["facets"]["kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["value"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds["playbook"], 6);
    assert_eq!(kinds["case"], 2);
    assert_eq!(kinds["course"], 1);
    assert_eq!(kinds["lesson"], 2);
    let (_, body) = app.search(&[("q", "回款")]).await;
    let scenario_total: u64 = body["facets"]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["value"] == "collections")
        .map(|f| f["count"].as_u64().unwrap())
        .sum();
    assert_eq!(scenario_total, body["total"].as_u64().unwrap(), "{body}");
}

#[tokio::test]
async fn facet_counts_say_whether_they_are_exact_and_count_exact_is_accepted() {
    let app = spawn_app().await;
    let (status, bounded) = app.search(&[("q", "客户")]).await;
    assert_eq!(status, 200, "{bounded}");
    // A library this small is under the count bound: exact without asking.
    assert_eq!(bounded["facets_exact"], true, "{bounded}");
    let (status, exact) = app.search(&[("q", "客户"), ("count", "exact")]).await;
    assert_eq!(status, 200, "{exact}");
    assert_eq!(exact["facets_exact"], true);
    assert_eq!(exact["total"], bounded["total"]);
    assert_eq!(exact["facets"], bounded["facets"]);
    assert_eq!(ids(&exact), ids(&bounded));
}

#[tokio::test]
async fn snippets_mark_the_match_and_escape_html_in_the_text() {
    let app = spawn_app().await;
    let (_, body) = app.search(&[("q", "代码示例")]).await;
    assert_eq!(ids(&body), ["mixed-case"]);
    let snippet = body["hits"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>"), "{snippet}");
    assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
    assert!(!snippet.contains("<script"), "{snippet}");
}

#[tokio::test]
async fn pages_of_results_do_not_overlap_and_keep_the_total() {
    let app = spawn_app().await;
    let (_, first) = app.search(&[("q", "客户"), ("limit", "2")]).await;
    let (_, second) = app
        .search(&[("q", "客户"), ("limit", "2"), ("offset", "2")])
        .await;
    assert_eq!(first["total"], second["total"]);
    assert!(first["total"].as_u64().unwrap() > 2);
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!(a.len(), 2);
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} vs {b:?}");
}

#[tokio::test]
async fn drafts_are_not_found_by_readers() {
    let mut app = spawn_app().await;
    app.sign_in_as("reader", "rep").await;
    // Every word of the draft's title: readers get other items that match part of it, never
    // the draft.
    let found = search_ids(&app, &[("q", "展会接待草稿")]).await;
    assert!(!found.contains(&"draft-exhibition".to_owned()), "{found:?}");
}

#[tokio::test]
async fn bad_parameters_get_a_400_that_names_them() {
    let app = spawn_app().await;
    let long = "客".repeat(201);
    for (query, code) in [
        (vec![("tier", "vpi")], "invalid_tier"),
        (vec![("scenario", "exec-visit")], "invalid_scenario"),
        (vec![("kind", "memo")], "invalid_kind"),
        (vec![("lang", "fr")], "invalid_lang"),
        (vec![("limit", "500")], "invalid_limit"),
        (vec![("limit", "0")], "invalid_limit"),
        (vec![("offset", "5000")], "invalid_offset"),
        (vec![("limit", "ten")], "invalid_query"),
        (vec![("colour", "red")], "invalid_query"),
        (vec![("count", "all")], "invalid_query"),
        (vec![("q", long.as_str())], "query_too_long"),
    ] {
        let (status, body) = app.search(&query).await;
        assert_eq!(status, 400, "{query:?}: {body}");
        assert_eq!(body["error"]["code"], code, "{query:?}: {body}");
    }
}

#[tokio::test]
async fn syntax_characters_and_odd_input_never_break_a_search() {
    let app = spawn_app().await;
    for q in [
        "a+b:(c)",
        "\"",
        "AND OR NOT",
        "*",
        "😀",
        "\\",
        "((((",
        "回款\"催收",
        "  ",
        "。，！",
    ] {
        let (status, body) = app.search(&[("q", q)]).await;
        assert_eq!(status, 200, "{q}: {body}");
    }
}

#[tokio::test]
async fn queries_that_find_nothing_are_counted_for_trainers() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let (_, body) = app.search(&[("q", "量子纠缠营销")]).await;
        assert_eq!(body["total"], 0);
    }
    app.search(&[("q", "回款")]).await;
    let (status, misses) = app.get_json("/api/v1/search/misses").await;
    assert_eq!(status, 200);
    assert_eq!(misses[0]["query"], "量子纠缠营销");
    assert_eq!(misses[0]["count"], 2);
    assert_eq!(
        misses.as_array().unwrap().len(),
        1,
        "a query with hits is not a miss"
    );
    let (_, page) = app.get_html("/search/misses").await;
    assert!(page.contains("量子纠缠营销"));
}

/// A content directory and a data directory the server has started on once and stopped, so
/// a test can damage what it left behind before the next start.
async fn stopped_after_one_start() -> (tempfile::TempDir, tempfile::TempDir) {
    let content = copy_fixture_content();
    let data = tempfile::tempdir().unwrap();
    spawn_app_with(data.path(), content.path())
        .await
        .stop()
        .await;
    (content, data)
}

#[tokio::test]
async fn an_index_deleted_while_the_server_was_stopped_is_rebuilt_on_start() {
    let (content, data) = stopped_after_one_start().await;
    std::fs::remove_dir_all(data.path().join("index")).unwrap();

    let app = spawn_app_with(data.path(), content.path()).await;
    let found = search_ids(&app, &[("q", "服务")]).await;
    assert!(found.contains(&"strategic-routine-visit".to_owned()));
    app.stop().await;
}

#[tokio::test]
async fn a_corrupt_index_is_rebuilt_on_start() {
    let (content, data) = stopped_after_one_start().await;
    std::fs::write(data.path().join("index/meta.json"), b"{ not json").unwrap();

    let app = spawn_app_with(data.path(), content.path()).await;
    let (_, body) = app.search(&[]).await;
    assert_eq!(
        body["total"], 13,
        "the admin approves drafts, so sees all 13 items"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_index_missing_segment_files_is_rebuilt_from_the_store_instead_of_stopping_the_start() {
    let (content, data) = stopped_after_one_start().await;
    // meta.json still names the segments, but their files are gone (as a disk error or a
    // half-finished merge could leave them).
    let mut removed = 0;
    for entry in std::fs::read_dir(data.path().join("index")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|e| e == "idx" || e == "store" || e == "term")
        {
            std::fs::remove_file(path).unwrap();
            removed += 1;
        }
    }
    assert!(removed > 0, "the index had segment files");

    let app = spawn_app_with(data.path(), content.path()).await;
    let found = search_ids(&app, &[("q", "服务")]).await;
    assert!(
        found.contains(&"strategic-routine-visit".to_owned()),
        "{found:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_document_stored_just_before_a_crash_is_searchable_after_restart() {
    let (content, data) = stopped_after_one_start().await;

    // Simulate a crash between the store write and the index commit: the item reaches the
    // store (with its outbox entry) and the process dies before the indexer runs.
    {
        let store = open_store(data.path());
        let text = "---\nid: written-before-crash\nkind: case\ntitle: 断电前写入的复盘\noutcome: lost\n---\n样板点参观之后客户改变了主意。\n";
        std::fs::write(content.path().join("cases/crash.md"), text).unwrap();
        let item = parse_content("x", "cases/crash.md", text, &Taxonomy::default()).unwrap();
        store.put_content(&item).unwrap();
    }

    let app = spawn_app_with(data.path(), content.path()).await;
    let found = search_ids(&app, &[("q", "断电前写入")]).await;
    assert_eq!(found, ["written-before-crash"]);
    app.stop().await;
}

#[tokio::test]
async fn the_search_page_shows_hits_facets_and_a_friendly_empty_state() {
    let app = spawn_app().await;
    let (status, html) = app.get_html("/search?q=%E5%9B%9E%E6%AC%BE").await;
    assert_eq!(status, 200);
    let doc = scraper::Html::parse_document(&html);
    let sel = |css: &str| scraper::Selector::parse(css).unwrap();
    assert!(doc.select(&sel(".hit")).count() >= 2);
    assert!(doc.select(&sel(".snippet mark")).count() >= 1);
    assert!(doc.select(&sel(".facet-value")).count() >= 3);

    let (_, html) = app
        .get_html("/search?q=%E5%9B%9E%E6%AC%BE&kind=lesson")
        .await;
    let doc = scraper::Html::parse_document(&html);
    assert_eq!(doc.select(&sel(".hit")).count(), 0);
    let clear = doc
        .select(&sel(".empty-state a.clear-filters"))
        .next()
        .expect("a link that removes the filters");
    assert_eq!(
        clear.value().attr("href"),
        Some("/search?q=%E5%9B%9E%E6%AC%BE")
    );
}
