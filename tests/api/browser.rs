//! Real-browser tests: headless Debian Chromium driven over WebDriver by chromedriver.
//!
//! `.ci/run` installs `chromium` and `chromium-driver` when they are missing; these tests fail
//! (they do not skip) when the browser is absent, so a broken install cannot pass unnoticed.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::helpers::{spawn_app, TestApp, ADMIN};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process and a browser session; both end when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts chromedriver and a headless Chromium window of the given width.
pub async fn browser(width: u32, height: u32) -> Browser {
    assert!(
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists(),
        "browser tests need {CHROMIUM} and {CHROMEDRIVER}: run `bash .ci/run` (it installs them) or `apt-get install chromium chromium-driver`"
    );
    let port = free_port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().expect("profile dir").keep();
    let capabilities = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},{height}"),
                "--lang=zh-CN",
            ],
            // The UI language follows Accept-Language; the tests read the Chinese UI.
            "prefs": { "intl.accept_languages": "zh-CN,zh" }
        }
    });
    // A desktop window cannot be narrower than about 500 px: phone widths use Chrome's
    // mobile emulation, which sets the viewport exactly.
    let mut capabilities = capabilities;
    if width < 600 {
        capabilities["goog:chromeOptions"]["mobileEmulation"] = serde_json::json!({
            "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0, "touch": true }
        });
    }
    let capabilities = match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    };
    let mut last_error = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Browser { client, driver },
            Err(e) => {
                last_error = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("cannot start a Chromium session: {last_error:?}");
}

/// Signs in the way a person does: open a page, get sent to the login form, fill it in, and
/// land back on the page.
pub async fn sign_in(c: &Client, app: &TestApp, name: &str, password: &str, path: &str) {
    c.goto(&app.url(path)).await.unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!(
        url.path(),
        "/login",
        "signed-out visitors are sent to the login page"
    );
    c.find(Locator::Css("input[name=name]"))
        .await
        .unwrap()
        .send_keys(name)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css(".login-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let wanted = path.split('?').next().unwrap_or(path);
    for _ in 0..100 {
        if c.current_url().await.unwrap().path() == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let source = c.source().await.unwrap_or_default();
    panic!("not back on {wanted} after signing in; the page says:\n{source}");
}

pub async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn a_person_opens_the_home_page_a_playbook_and_the_coverage_matrix() {
    let app = spawn_app().await;
    let browser = browser(1280, 900).await;
    let c = &browser.client;

    sign_in(c, &app, ADMIN, &app.admin_password, "/").await;
    assert!(c.title().await.unwrap().contains("Playbook"));
    // The admin's home is the console; the library is one link away.
    assert_eq!(text_of(c, ".home-top h1").await, "系统管理");
    c.find(Locator::Css(".home-library a[href='/library']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = text_of(c, ".hero h1").await;
    assert!(heading.contains("资料库"), "{heading}");

    // Follow the playbook link the way a person would: by its visible text.
    c.find(Locator::LinkText("战略客户日常拜访"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/content/strategic-routine-visit"));
    assert_eq!(text_of(c, "article h1").await, "战略客户日常拜访");
    let badges = text_of(c, ".meta").await;
    assert!(
        badges.contains("重要(战略)客户") && badges.contains("日常拜访"),
        "{badges}"
    );
    let cells = c
        .find_all(Locator::Css(".markdown table td"))
        .await
        .unwrap();
    assert_eq!(cells.len(), 2);

    c.find(Locator::LinkText("覆盖矩阵"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(c, "h1").await, "场景覆盖矩阵");
    let gap_cells = c.find_all(Locator::Css("td.gap")).await.unwrap();
    assert_eq!(gap_cells.len(), 45);
    let first_row = text_of(c, "tbody tr[data-tier=strategic]").await;
    assert!(first_row.contains("战略客户日常拜访"), "{first_row}");

    // Switch the UI to English with the visible switch.
    c.find(Locator::Css(".lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(c, "h1").await, "Scenario coverage");

    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn injected_scripts_do_not_run_in_the_browser() {
    let app = spawn_app().await;
    let browser = browser(1024, 768).await;
    let c = &browser.client;
    sign_in(c, &app, ADMIN, &app.admin_password, "/content/script-case").await;
    let pwned = c
        .execute("return window.__pwned === true;", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, serde_json::Value::Bool(false));
    assert!(text_of(c, ".markdown").await.contains("客户逾期 95 天"));
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn the_worst_xss_payloads_run_nothing_when_clicked_focused_and_hovered() {
    let content = crate::helpers::copy_fixture_content();
    let worst = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xss/worst.md"),
    )
    .expect("tests/fixtures/xss/worst.md");
    crate::helpers::write_file(content.path(), "playbooks/xss-worst.md", &worst);
    let data = tempfile::tempdir().unwrap();
    let app = crate::helpers::spawn_app_with(data.path(), content.path()).await;
    let browser = browser(1024, 768).await;
    let c = &browser.client;
    sign_in(c, &app, ADMIN, &app.admin_password, "/content/xss-worst").await;
    let probe = "return document.title === 'XSS' || window.__xss !== undefined;";

    // Every element of the rendered body: hover it, focus it, click it unless it would leave
    // the page for a real address.
    let elements = c.find_all(Locator::Css(".markdown *")).await.unwrap();
    assert!(elements.len() > 10, "the document rendered");
    for element in elements {
        let _ = c
            .execute(
                "const e = arguments[0]; e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); if (e.focus) e.focus();",
                vec![serde_json::to_value(&element).unwrap()],
            )
            .await;
        let href = element
            .attr("href")
            .await
            .unwrap_or(None)
            .unwrap_or_default();
        let leaves =
            href.starts_with("http") || href.starts_with("mailto") || href.starts_with('/');
        if element.tag_name().await.unwrap_or_default() == "a" && !leaves {
            let _ = element.click().await;
        }
        assert_eq!(
            c.execute(probe, vec![]).await.unwrap(),
            serde_json::Value::Bool(false),
            "a payload ran"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        c.execute(probe, vec![]).await.unwrap(),
        serde_json::Value::Bool(false)
    );
    // The CSP would stop inline handlers even if the sanitiser failed; check the sanitiser on
    // its own too, on the DOM as this browser built it.
    let survivors = c
        .execute(
            "const bad = [];
             for (const e of document.querySelectorAll('.markdown *')) {
               for (const a of e.attributes) {
                 const v = a.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
                 if (a.name.startsWith('on') || a.name === 'srcdoc' || v.startsWith('javascript:') || v.startsWith('data:') || v.startsWith('vbscript:'))
                   bad.push(e.tagName + ' ' + a.name + '=' + a.value);
               }
               if (['SCRIPT','IFRAME','OBJECT','EMBED','SVG','MATH','STYLE','FORM','BASE','META','LINK'].includes(e.tagName.toUpperCase()))
                 bad.push(e.tagName);
             }
             return bad;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        survivors,
        serde_json::json!([]),
        "script-capable markup survived"
    );
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/content/xss-worst"));
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn a_person_types_a_chinese_query_applies_a_facet_and_sees_the_right_hits() {
    let app = spawn_app().await;
    let browser = browser(1280, 900).await;
    let c = &browser.client;

    sign_in(c, &app, ADMIN, &app.admin_password, "/search").await;
    let input = c.find(Locator::Css("input[name=q]")).await.unwrap();
    input.send_keys("回款").await.unwrap();
    c.find(Locator::Css(".search-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_query(c, "q=").await;

    let titles = hit_titles(c).await;
    assert!(titles.contains(&"KA渠道回款复盘".to_owned()), "{titles:?}");
    assert!(titles.contains(&"回款催收阶梯".to_owned()), "{titles:?}");

    // Narrow to cases with the facet, as a person would: click "案例".
    let facet = c
        .find(Locator::XPath(
            "//a[contains(@class,'facet-value')][starts-with(normalize-space(.),'案例')]",
        ))
        .await
        .unwrap();
    facet.click().await.unwrap();
    wait_for_query(c, "kind=case").await;
    let titles = hit_titles(c).await;
    // The case with the typed word first; a case about an overdue account follows (逾期 is a
    // synonym of 回款).
    assert_eq!(titles[0], "KA渠道回款复盘", "{titles:?}");
    assert!(titles.iter().all(|t| t != "回款催收阶梯"), "{titles:?}");
    assert!(c
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap_or("")
        .contains("kind=case"));
    let marked = text_of(c, ".snippet mark").await;
    assert_eq!(marked, "回款");
    browser.client.clone().close().await.unwrap();
}

/// Waits until the page's query string contains `part` (a form submission or link landed).
async fn wait_for_query(c: &Client, part: &str) {
    for _ in 0..100 {
        let url = c.current_url().await.unwrap();
        if url.query().unwrap_or("").contains(part)
            && c.execute("return document.readyState;", vec![])
                .await
                .unwrap()
                == "complete"
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never reached a URL with {part:?}");
}

async fn hit_titles(c: &Client) -> Vec<String> {
    let mut titles = Vec::new();
    for element in c.find_all(Locator::Css(".hit-title")).await.unwrap() {
        titles.push(element.text().await.unwrap());
    }
    titles
}

#[tokio::test]
async fn on_a_phone_a_rep_finds_a_customer_by_pinyin_and_switches_scenario() {
    let app = crate::briefing::app_with_accounts().await;
    let browser = browser(390, 844).await;
    let c = &browser.client;

    // zhang.wei owns ACC-1, so sees its figures and its own case review.
    let password = app.add_user("zhang.wei", "rep").await;
    sign_in(c, &app, "zhang.wei", &password, "/").await;
    c.find(Locator::Id("lookup-input"))
        .await
        .unwrap()
        .send_keys("zgy")
        .await
        .unwrap();
    let hit = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#lookup-results .lookup-hit"))
        .await
        .expect("results appear while typing");
    let text = hit.text().await.unwrap();
    assert!(
        text.contains("中国移动通信集团江苏有限公司") && text.contains("重要(战略)客户"),
        "{text}"
    );
    hit.click().await.unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/accounts/ACC-1"));

    // Pick the routine visit: the page reloads with that scenario's playbook and cases.
    pick_scenario(c, &app, "ACC-1", "routine-visit").await;
    assert_eq!(
        text_of(c, ".recommended .playbook-link").await,
        "战略客户日常拜访"
    );
    let routine_cases = case_titles(c).await;
    assert!(
        routine_cases.contains(&"台北分公司的追加銷售經驗".to_owned()),
        "{routine_cases:?}"
    );

    pick_scenario(c, &app, "ACC-1", "collections").await;
    assert_ne!(
        text_of(c, ".recommended .playbook-link").await,
        "战略客户日常拜访"
    );
    let collection_cases = case_titles(c).await;
    assert_ne!(routine_cases, collection_cases);
    assert_eq!(
        collection_cases[0], "一次被注入脚本的复盘",
        "the account's own review first"
    );

    // Usable at 390 px: nothing forces sideways scrolling.
    let width = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap();
    let wide = c
        .execute(
            "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 392).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 12).join(' | ');",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        width.as_u64().unwrap() <= 390,
        "page is {width} px wide: {wide}"
    );
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn on_a_phone_a_rep_types_a_question_and_gets_the_playbook_with_what_was_left_out() {
    let app = spawn_app().await;
    let browser = browser(390, 844).await;
    let c = &browser.client;
    let password = app.add_user("li.na", "rep").await;
    sign_in(c, &app, "li.na", &password, "/search").await;

    let input = c.find(Locator::Css("input[name=q]")).await.unwrap();
    input.send_keys("客户嫌贵怎么办").await.unwrap();
    input.send_keys("\u{E007}").await.unwrap(); // Enter, as on a phone keyboard
    wait_for_query(c, "q=").await;
    let titles = hit_titles(c).await;
    assert_eq!(
        titles.first().map(String::as_str),
        Some("主要客户商务谈判"),
        "{titles:?}"
    );
    assert_eq!(text_of(c, ".left-out").await, "已忽略的提问用词：怎么办");

    // A word the library does not use: the nearest items, each saying what it lacks.
    let input = c.find(Locator::Css("input[name=q]")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("展会 外星人\u{E007}").await.unwrap();
    wait_for_query(c, "%E5%A4%96").await;
    assert!(text_of(c, ".partial-notice")
        .await
        .contains("没有同时包含所有词语"));
    assert_eq!(text_of(c, ".hit .missing").await, "未包含：外星人");

    let width = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap();
    assert!(width.as_u64().unwrap() <= 390, "page is {width} px wide");
    browser.client.clone().close().await.unwrap();
}

/// Picks `scenario` in the account page's scenario picker and waits for the page it loads.
async fn pick_scenario(c: &Client, app: &TestApp, account: &str, scenario: &str) {
    let select = c
        .find(Locator::Css("#scenario-picker select"))
        .await
        .unwrap();
    select.select_by_value(scenario).await.unwrap();
    let wanted = app.url(&format!("/accounts/{account}?scenario={scenario}"));
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url::Url::parse(&wanted).unwrap())
        .await
        .expect("the picker reloads the page");
}

async fn case_titles(c: &Client) -> Vec<String> {
    let mut titles = Vec::new();
    for element in c.find_all(Locator::Css(".case-link")).await.unwrap() {
        titles.push(element.text().await.unwrap());
    }
    titles
}

/// Signs in as another user through the login form (a signed-in person may switch user).
async fn switch_user(c: &Client, app: &TestApp, name: &str, password: &str, next: &str) {
    c.goto(&app.url(&format!("/login?next={next}")))
        .await
        .unwrap();
    c.find(Locator::Css("input[name=name]"))
        .await
        .unwrap()
        .send_keys(name)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css(".login-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if c.current_url().await.unwrap().path() == next {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} did not land on {next}");
}

pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Waits until the browser is on `path` and the page has loaded.
pub async fn wait_for_path(c: &Client, path: &str) {
    for _ in 0..100 {
        let url = c.current_url().await.unwrap();
        let ready = c
            .execute("return document.readyState;", vec![])
            .await
            .map(|s| s == "complete")
            .unwrap_or(false);
        if url.path() == path && ready {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let now = c.current_url().await.unwrap();
    panic!("never reached {path}; at {now}");
}

#[tokio::test]
async fn a_trainer_writes_with_preview_and_submits_a_manager_approves_a_rep_finds_it() {
    let app = spawn_app().await;
    let trainer = app.add_user("chen.jing", "trainer").await;
    let manager = app.add_user("zhao.lei", "manager").await;
    let rep = app.add_user("wang.fang", "rep").await;
    let browser = browser(1280, 900).await;
    let c = &browser.client;

    // The trainer writes a playbook and watches the preview render as she types.
    sign_in(c, &app, "chen.jing", &trainer, "/new").await;
    c.find(Locator::Css("input[name=title]"))
        .await
        .unwrap()
        .send_keys("展会后七日跟进法")
        .await
        .unwrap();
    click(c, "input[name=tiers][value=major]").await;
    click(c, "input[name=scenarios][value=exhibition]").await;
    c.find(Locator::Css("#f-body"))
        .await
        .unwrap()
        .send_keys("## 步骤\n\n展会后**三天内**电话跟进，七天内上门拜访。")
        .await
        .unwrap();
    let mut rendered = String::new();
    for _ in 0..50 {
        rendered = c
            .find(Locator::Css("#preview"))
            .await
            .unwrap()
            .html(true)
            .await
            .unwrap();
        if rendered.contains("<strong>三天内</strong>") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        rendered.contains("<h2>步骤</h2>") && rendered.contains("<strong>三天内</strong>"),
        "live preview: {rendered}"
    );
    if let Ok(dir) = std::env::var("PLAYBOOK_SCREENSHOTS") {
        std::fs::write(format!("{dir}/editor.png"), c.screenshot().await.unwrap()).unwrap();
    }
    click(c, "button[value=submit]").await;
    for _ in 0..50 {
        if c.current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/content/")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = c.current_url().await.unwrap().path().to_owned();
    assert!(page.starts_with("/content/"), "landed on {page}");
    assert_eq!(text_of(c, "article h1").await, "展会后七日跟进法");
    assert_eq!(text_of(c, ".badge.status").await, "审核中");

    // The manager finds it in the review queue and approves it.
    switch_user(c, &app, "zhao.lei", &manager, "/review").await;
    c.find(Locator::LinkText("展会后七日跟进法"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    if let Ok(dir) = std::env::var("PLAYBOOK_SCREENSHOTS") {
        std::fs::write(format!("{dir}/review.png"), c.screenshot().await.unwrap()).unwrap();
    }
    click(c, "button.approve").await;
    for _ in 0..50 {
        if c.find_all(Locator::Css(".badge.status"))
            .await
            .unwrap()
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        c.find_all(Locator::Css(".badge.status"))
            .await
            .unwrap()
            .is_empty(),
        "published: no status badge left"
    );

    // A rep finds it by search.
    switch_user(c, &app, "wang.fang", &rep, "/search").await;
    let mut titles = Vec::new();
    for _ in 0..30 {
        c.goto(&app.url("/search?q=跟进")).await.unwrap();
        titles = hit_titles(c).await;
        if titles.contains(&"展会后七日跟进法".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        titles.contains(&"展会后七日跟进法".to_owned()),
        "{titles:?}"
    );
    browser.client.clone().close().await.unwrap();
}
