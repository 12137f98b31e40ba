//! The tier model page (read, preview, save) and the tier changes page.

use serde_json::json;

use crate::helpers::{spawn_app, TestApp};

/// Ten accounts, revenue (and profit, collections) falling from A to J, two owners.
const CSV: &str = "id,name,owner,revenue,profit,collected\n\
    A,甲公司,rep.li,10000,1000,10000\n\
    B,乙公司,rep.li,9000,900,9000\n\
    C,丙公司,rep.li,8000,800,8000\n\
    D,丁公司,rep.li,7000,700,7000\n\
    E,戊公司,rep.li,6000,600,6000\n\
    F,己公司,rep.wu,5000,500,5000\n\
    G,庚公司,rep.wu,4000,400,4000\n\
    H,辛公司,rep.wu,3000,300,3000\n\
    I,壬公司,rep.wu,2000,200,2000\n\
    J,癸公司,rep.wu,1000,100,1000\n";

/// The form as the page fills it for the default model, with `cuts` and `extra` fields.
fn form(cuts: [&str; 3], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("layout", "pyramid"),
        ("shown_layout", "pyramid"),
        ("cut_method", "percent_of_accounts"),
        ("shown_cut", "percent_of_accounts"),
        ("cut_0", cuts[0]),
        ("cut_1", cuts[1]),
        ("cut_2", cuts[2]),
        ("score_method", "weighted"),
        ("indicator", "revenue"),
        ("normalisation", "log_min_max"),
        ("w_revenue", "0.5"),
        ("w_profit", "0.3"),
        ("w_collected", "0.2"),
        ("do", "preview"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in extra {
        fields.retain(|(name, _)| name != k);
        fields.push(((*k).to_owned(), (*v).to_owned()));
    }
    fields
}

async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &[(String, String)],
    accept_language: &str,
) -> (u16, String, Option<String>) {
    let response = client
        .post(app.url("/tier-model"))
        .header("Accept-Language", accept_language)
        .form(fields)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), location)
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(&format!("input[name={name}]")).unwrap();
    doc.select(&selector)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_owned)
}

async fn app_with_accounts() -> TestApp {
    let app = spawn_app().await;
    let (status, _) = app.import_accounts(CSV).await;
    assert_eq!(status, 200);
    app
}

#[tokio::test]
async fn a_preview_counts_the_accounts_that_would_move_and_stores_nothing() {
    let app = app_with_accounts().await;
    let (_, model_before) = app.get_tier_model().await;
    let (_, changes_before) = app.tier_changes(100).await;

    // Cuts at 10 / 40 / 70 %: C and D go up to major, F and G up to ordinary.
    let (status, html, _) =
        post_form(&app, &app.client, &form(["10", "40", "70"], &[]), "zh").await;

    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("保存后，10 个客户中有 4 个会变更分级。"),
        "{html}"
    );
    assert!(html.contains("普通客户</span> → <span class=\"badge tier\">主要客户"));
    assert!(html.contains("href=\"/accounts/C\">丙公司</a>"));
    assert!(
        html.contains("id=\"save-model\""),
        "a save button after the preview"
    );
    let (_, model_after) = app.get_tier_model().await;
    assert_eq!(model_after, model_before, "nothing stored");
    let (_, changes_after) = app.tier_changes(100).await;
    assert_eq!(changes_after, changes_before, "nothing recorded");

    // The API offers the same preview.
    let response = app
        .client
        .post(app.url("/api/v1/tier-model/preview"))
        .json(&json!({"preset": "pyramid", "cut": {"method": "percent_of_accounts", "percents": [10, 40, 70]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let preview: serde_json::Value = response.json().await.unwrap();
    assert_eq!(preview["moved"], 4);
    assert_eq!(preview["moves"][0]["from"]["id"], "ordinary");
    assert_eq!(preview["moves"][0]["to"]["id"], "major");
    assert_eq!(preview["moves"][0]["examples"][0]["name"], "丙公司");
    let (_, model_after_api) = app.get_tier_model().await;
    assert_eq!(model_after_api, model_before);
}

#[tokio::test]
async fn saving_the_previewed_model_applies_it_and_the_changes_page_names_the_moved_accounts() {
    let app = app_with_accounts().await;
    let (_, html, _) = post_form(&app, &app.client, &form(["10", "40", "70"], &[]), "zh").await;
    let previewed = hidden(&html, "previewed").expect("the previewed model travels with the form");
    let source = hidden(&html, "source").expect("where it came from");

    let (status, _, location) = post_form(
        &app,
        &app.client,
        &form(
            ["10", "40", "70"],
            &[
                ("do", "save"),
                ("previewed", &previewed),
                ("source", &source),
            ],
        ),
        "zh",
    )
    .await;

    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/tier-model?saved=4"));
    let (_, model) = app.get_tier_model().await;
    assert_eq!(model["model"]["cut"]["percents"], json!([10.0, 40.0, 70.0]));
    let (_, page) = app.get_html("/tier-model?saved=4").await;
    assert!(
        page.contains("新的分级模型已保存：4 个客户的分级有变化。"),
        "{page}"
    );
    assert!(page.contains("前 10%（1 家）"), "{page}");

    let (status, changes) = app.get_html("/tier-changes").await;
    assert_eq!(status, 200);
    for (id, name) in [
        ("C", "丙公司"),
        ("D", "丁公司"),
        ("F", "己公司"),
        ("G", "庚公司"),
    ] {
        assert!(
            changes.contains(&format!("href=\"/accounts/{id}\">{name}</a>")),
            "{name} listed by name: {changes}"
        );
    }
    assert!(changes.contains("分级模型变更"));
    assert!(changes.contains("升级"));
    let doc = scraper::Html::parse_document(&changes);
    let time = doc
        .select(&scraper::Selector::parse("time").unwrap())
        .next()
        .expect("a time");
    let shown: String = time.text().collect();
    assert!(
        (shown.contains('月') || shown.contains("刚刚") || shown.contains("分钟前"))
            && !shown.contains('T'),
        "a human date: {shown}"
    );
    assert!(
        time.value().attr("title").unwrap().contains('T'),
        "the exact time on hover"
    );
    let (_, down) = app.get_html("/tier-changes?direction=down").await;
    assert!(down.contains("id=\"no-changes\""), "{down}");
    let (_, wu) = app
        .get_html("/tier-changes?owner=rep.wu&direction=up")
        .await;
    assert!(wu.contains("己公司") && !wu.contains("丙公司"), "{wu}");
    let (_, english) = {
        let response = app.get_with_lang("/tier-changes?direction=up", "en").await;
        (response.status(), response.text().await.unwrap())
    };
    assert!(
        english.contains("moved up") && english.contains("tier model change"),
        "{english}"
    );
    assert!(
        english.contains("Ordinary</span> → <span class=\"badge tier\">Major"),
        "{english}"
    );
}

#[tokio::test]
async fn a_form_changed_after_the_preview_is_previewed_again_not_saved() {
    let app = app_with_accounts().await;
    let (_, model_before) = app.get_tier_model().await;
    let (_, html, _) = post_form(&app, &app.client, &form(["10", "40", "70"], &[]), "zh").await;
    let previewed = hidden(&html, "previewed").unwrap();

    let (status, html, _) = post_form(
        &app,
        &app.client,
        &form(
            ["5", "40", "70"],
            &[
                ("do", "save"),
                ("previewed", &previewed),
                ("source", "form"),
            ],
        ),
        "zh",
    )
    .await;

    assert_eq!(status, 200);
    assert!(html.contains("表单在预览之后有改动"), "{html}");
    let (_, model_after) = app.get_tier_model().await;
    assert_eq!(model_after, model_before);
}

#[tokio::test]
async fn a_rep_reads_the_model_in_words_but_cannot_change_it() {
    let app = app_with_accounts().await;
    let rep = app.client_as("reader", "rep").await;

    let response = rep.get(app.url("/tier-model")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("前 1%（1 家）"), "{html}");
    assert!(
        html.contains("销售额 50% + 利润 30% + 回款金额 20%"),
        "{html}"
    );
    assert!(html.contains("对数缩放"));
    for raw in ["log_min_max", "percent_of_accounts", "ceil(", "weighted"] {
        assert!(!html.contains(raw), "{raw} shown to the rep");
    }
    assert!(
        !html.contains("action=\"/tier-model\""),
        "no form for a rep"
    );

    let response = rep
        .post(app.url("/tier-model"))
        .form(&form(["10", "40", "70"], &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = rep.get(app.url("/tier-changes")).send().await.unwrap();
    assert_eq!(response.status(), 403);
    let response = rep
        .post(app.url("/api/v1/tier-model/preview"))
        .json(&json!({"preset": "vip"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn an_invalid_cut_is_named_in_the_ui_language_and_the_input_is_kept() {
    let app = app_with_accounts().await;

    let (status, html, _) =
        post_form(&app, &app.client, &form(["2", "abc", "50"], &[]), "zh").await;
    assert_eq!(status, 400);
    assert!(html.contains("主要客户的分界值"), "{html}");
    assert!(html.contains("不是数字"), "{html}");
    assert!(html.contains("value=\"abc\""), "the input is kept: {html}");
    assert!(html.contains("value=\"2\""));
    assert!(html.contains("aria-invalid=\"true\""));

    let (status, html, _) =
        post_form(&app, &app.client, &form(["2", "0.5", "50"], &[]), "en").await;
    assert_eq!(status, 400);
    assert!(html.contains("Cut point of Major"), "{html}");
    assert!(
        html.contains("cut points must increase (0.5 after 2)"),
        "{html}"
    );
    assert!(html.contains("value=\"0.5\""));

    let (status, html, _) = post_form(
        &app,
        &app.client,
        &form(
            ["1", "20", "50"],
            &[("do", "preview_json"), ("json", "{\"preset\":")],
        ),
        "zh",
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("JSON 无法读取"), "{html}");
    assert!(
        html.contains("&#34;preset&#34;:</textarea>")
            || html.contains("&quot;preset&quot;:</textarea>"),
        "{html}"
    );
}

/// How far the widest element of the page's main column reaches, with the widest few named.
async fn main_overflow(c: &fantoccini::Client) -> (u64, String) {
    let right = c
        .execute(
            "return Math.max(...Array.from(document.querySelectorAll('main, main *')).map(e => Math.ceil(e.getBoundingClientRect().right)));",
            vec![],
        )
        .await
        .unwrap();
    let wide = c
        .execute(
            "return Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > 391).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8).join(' | ');",
            vec![],
        )
        .await
        .unwrap();
    (
        right.as_u64().unwrap_or(u64::MAX),
        wide.as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn on_a_phone_an_admin_previews_saves_and_reads_the_changes_without_sideways_scrolling() {
    use fantoccini::Locator;

    let app = app_with_accounts().await;
    let browser = crate::browser::browser(390, 844).await;
    let c = &browser.client;
    crate::browser::sign_in(
        c,
        &app,
        crate::helpers::ADMIN,
        &app.admin_password,
        "/tier-model",
    )
    .await;
    let (right, wide) = main_overflow(c).await;
    assert!(right <= 391, "the model page reaches {right} px: {wide}");

    for (field, value) in [("cut_0", "10"), ("cut_1", "40"), ("cut_2", "70")] {
        let input = c.find(Locator::Css(&format!("#f-{field}"))).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    c.find(Locator::Css("button[value=preview]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let headline = c
        .wait()
        .for_element(Locator::Css("#preview-headline"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(headline, "保存后，10 个客户中有 4 个会变更分级。");
    let (right, wide) = main_overflow(c).await;
    assert!(right <= 391, "the preview reaches {right} px: {wide}");

    c.find(Locator::Css("#save-model"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let saved = c
        .wait()
        .for_element(Locator::Css("#tier-model-saved"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(saved.contains("4 个客户的分级有变化"), "{saved}");

    c.goto(&app.url("/tier-changes")).await.unwrap();
    let names: Vec<String> = {
        let mut names = Vec::new();
        for e in c.find_all(Locator::Css(".change-account")).await.unwrap() {
            names.push(e.text().await.unwrap());
        }
        names
    };
    assert!(names.contains(&"丙公司".to_owned()), "{names:?}");
    let (right, wide) = main_overflow(c).await;
    assert!(right <= 391, "the changes page reaches {right} px: {wide}");
    browser.client.clone().close().await.unwrap();
}
