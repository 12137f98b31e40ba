//! Pages as a person sees them: parsed with an HTML parser, not matched as strings.

use scraper::{Html, Selector};

use crate::helpers::spawn_app;

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn text(element: &scraper::ElementRef) -> String {
    element.text().collect::<String>()
}

#[tokio::test]
async fn the_library_page_lists_the_library_in_chinese_by_default() {
    let app = spawn_app().await;
    let (status, html) = app.get_html("/library").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&html);
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("zh-CN"));
    let links: Vec<String> = select(&doc, ".item-list a").iter().map(text).collect();
    assert!(links.contains(&"战略客户日常拜访".to_owned()), "{links:?}");
    assert!(links.contains(&"核心客户管理课程".to_owned()));
    assert!(
        !links.contains(&"展会接待草稿".to_owned()),
        "drafts are not listed"
    );
    assert_eq!(text(&select(&doc, ".lang-switch")[0]), "English");
}

#[tokio::test]
async fn accept_language_english_gives_english_ui_strings() {
    let app = spawn_app().await;
    let html = app
        .get_with_lang("/coverage", "en-GB,en;q=0.9")
        .await
        .text()
        .await
        .unwrap();
    let doc = Html::parse_document(&html);
    assert_eq!(text(&select(&doc, "h1")[0]), "Scenario coverage");
    let headers: Vec<String> = select(&doc, "table.coverage thead th")
        .iter()
        .map(text)
        .collect();
    assert!(headers.contains(&"Routine visit".to_owned()), "{headers:?}");
}

#[tokio::test]
async fn the_language_switch_sets_a_cookie_and_returns_to_the_page() {
    let app = spawn_app().await;
    let response = app.get("/lang/en?next=/coverage").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/coverage");
    // The client keeps the cookie: the next page is English even with a Chinese header.
    let html = app.get_with_lang("/", "zh-CN").await.text().await.unwrap();
    assert!(html.contains("lang=\"en\""));
    // An absolute URL is never followed: no open redirect.
    let response = app.get("/lang/zh?next=//evil.example/").await;
    assert_eq!(response.headers()["location"], "/");
}

#[tokio::test]
async fn a_playbook_page_renders_markdown_with_tier_and_scenario_badges() {
    let app = spawn_app().await;
    let (status, html) = app.get_html("/content/strategic-routine-visit").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&html);
    assert_eq!(text(&select(&doc, "article h1")[0]), "战略客户日常拜访");
    let badges: Vec<String> = select(&doc, ".meta .badge").iter().map(text).collect();
    assert!(badges.contains(&"重要(战略)客户".to_owned()), "{badges:?}");
    assert!(badges.contains(&"日常拜访".to_owned()), "{badges:?}");
    assert_eq!(select(&doc, ".markdown table").len(), 1);
    assert_eq!(select(&doc, ".markdown input[type=checkbox]").len(), 2);
    assert_eq!(select(&doc, ".markdown .footnote-definition").len(), 1);
    // The English translation is linked.
    let other: Vec<String> = select(&doc, ".translations a").iter().map(text).collect();
    assert_eq!(other, ["Routine visits to strategic accounts"]);
    let line = text(&select(&doc, ".translations")[0]);
    assert!(
        line.contains("（英文）") || line.contains("(英文)"),
        "the language by its name: {line}"
    );
}

#[tokio::test]
async fn scripts_in_content_never_reach_the_page() {
    let app = spawn_app().await;
    let (status, html) = app.get_html("/content/script-case").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&html);
    // Only the application's own script tag (with a src) is on the page.
    let scripts = select(&doc, "script");
    assert!(scripts
        .iter()
        .all(|s| s.value().attr("src") == Some("/static/app.js")));
    assert!(select(&doc, "[onerror]").is_empty());
    assert!(select(&doc, ".markdown a").iter().all(|a| !a
        .value()
        .attr("href")
        .unwrap_or("")
        .to_lowercase()
        .starts_with("javascript")));
    assert!(html.contains("客户逾期 95 天"));
}

#[tokio::test]
async fn a_course_lists_its_lessons_in_order_and_a_lesson_links_its_neighbours() {
    let app = spawn_app().await;
    let (_, html) = app.get_html("/content/core-course").await;
    let doc = Html::parse_document(&html);
    let lessons: Vec<String> = select(&doc, ".lessons li a").iter().map(text).collect();
    assert_eq!(lessons, ["第一课 客户分级", "第二课 客户忠诚"]);
    let (_, html) = app.get_html("/content/core-lesson-1").await;
    let doc = Html::parse_document(&html);
    assert_eq!(
        select(&doc, "a[rel=next]")[0].value().attr("href"),
        Some("/content/core-lesson-2")
    );
    assert!(select(&doc, "a[rel=prev]").is_empty());
}

#[tokio::test]
async fn the_coverage_matrix_shows_filled_cells_and_gaps() {
    let app = spawn_app().await;
    let (status, html) = app.get_html("/coverage").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&html);
    let rows = select(&doc, "table.coverage tbody tr");
    assert_eq!(rows.len(), 4);
    assert_eq!(select(&doc, "td.gap").len(), 45);
    assert_eq!(select(&doc, "td.filled").len(), 7);
    assert_eq!(text(&select(&doc, "#gap-count")[0]), "45");
    let strategic_links: Vec<String> = rows[0]
        .select(&Selector::parse("td.filled a").unwrap())
        .map(|a| text(&a))
        .collect();
    assert!(strategic_links.contains(&"战略客户日常拜访".to_owned()));
}

#[tokio::test]
async fn every_page_carries_a_content_security_policy() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'"));
}
