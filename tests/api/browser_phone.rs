//! A rep's phone (390 px, Chrome's mobile emulation) and the editor in a real browser: results
//! before filters, the one-row menu, no sideways scrolling, Enter on the only lookup hit, arrow
//! keys through the hits, a pasted file filling the editor, the message after submitting.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::briefing::app_with_accounts;
use crate::browser::{browser, sign_in, wait_for_path};
use crate::helpers::spawn_app;

const ENTER: &str = "\u{E007}";
const ARROW_DOWN: &str = "\u{E015}";
const ESCAPE: &str = "\u{E00C}";

async fn wait_for_query(c: &Client, part: &str) {
    for _ in 0..100 {
        let url = c.current_url().await.unwrap();
        let ready = c
            .execute("return document.readyState;", vec![])
            .await
            .map(|s| s == "complete")
            .unwrap_or(false);
        if url.query().unwrap_or("").contains(part) && ready {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never reached a URL with {part:?}");
}

async fn displayed(c: &Client, css: &str) -> bool {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
        .is_displayed()
        .await
        .unwrap()
}

/// The page's width and, when it is wider than the screen, what sticks out.
async fn overflow(c: &Client) -> (u64, String) {
    let width = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    let wide = c
        .execute(
            "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 392).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 12).join(' | ');",
            vec![],
        )
        .await
        .unwrap();
    (width, wide.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn on_a_phone_search_shows_results_first_with_filters_behind_a_button_and_chips() {
    let app = spawn_app().await;
    let browser = browser(390, 844).await;
    let c = &browser.client;
    let password = app.add_user("li.na", "rep").await;
    sign_in(c, &app, "li.na", &password, "/search?q=%E5%9B%9E%E6%AC%BE").await;

    // The first result is on the first screen; the facets are not, until asked for.
    assert!(
        !displayed(c, ".facet-value").await,
        "facets hidden at first"
    );
    let first_hit_top = c
        .execute(
            "return document.querySelector('.hit').getBoundingClientRect().top;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(first_hit_top < 600.0, "first hit at {first_hit_top} px");
    c.find(Locator::Css(".filter-toggle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(displayed(c, ".facet-value").await, "the button shows them");

    c.find(Locator::XPath(
        "//a[contains(@class,'facet-value')][starts-with(normalize-space(.),'案例')]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_for_query(c, "kind=case").await;
    // The filter shows as a chip; the panel is closed again; the chip removes it.
    let chip = c.find(Locator::Css(".active-filters .chip")).await.unwrap();
    assert!(chip.text().await.unwrap().contains("案例"));
    assert!(!displayed(c, ".facet-value").await);
    let (width, wide) = overflow(c).await;
    assert!(width <= 390, "search is {width} px wide: {wide}");
    chip.click().await.unwrap();
    for _ in 0..100 {
        if !c
            .current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or("")
            .contains("kind=case")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!c
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap_or("")
        .contains("kind=case"));
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn on_a_phone_the_header_is_one_row_and_its_menu_button_opens_the_links() {
    let app = spawn_app().await;
    let browser = browser(390, 844).await;
    let c = &browser.client;
    let password = app.add_user("zhao.lei", "manager").await;
    sign_in(c, &app, "zhao.lei", &password, "/").await;

    let header_height = c
        .execute(
            "return document.querySelector('.site-header').getBoundingClientRect().height;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(header_height < 70.0, "header is {header_height} px tall");
    assert!(!displayed(c, "#site-nav a[href='/coverage']").await);

    let button = c.find(Locator::Css(".menu-toggle")).await.unwrap();
    assert_eq!(
        button.attr("aria-expanded").await.unwrap().as_deref(),
        Some("false")
    );
    button.click().await.unwrap();
    assert_eq!(
        button.attr("aria-expanded").await.unwrap().as_deref(),
        Some("true")
    );
    assert!(displayed(c, "#site-nav a[href='/coverage']").await);
    // Escape closes it and gives the focus back to the button.
    c.active_element()
        .await
        .unwrap()
        .send_keys(ESCAPE)
        .await
        .unwrap();
    assert!(!displayed(c, "#site-nav a[href='/coverage']").await);
    let focused = c
        .execute(
            "return document.activeElement.classList.contains('menu-toggle');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, true);
    // The keyboard opens it too.
    c.active_element()
        .await
        .unwrap()
        .send_keys(ENTER)
        .await
        .unwrap();
    assert!(displayed(c, "#site-nav a[href='/coverage']").await);
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn the_pages_a_rep_uses_do_not_scroll_sideways_at_390_px() {
    let app = app_with_accounts().await;
    let browser = browser(390, 844).await;
    let c = &browser.client;
    let password = app.add_user("li.na", "rep").await;
    sign_in(c, &app, "li.na", &password, "/accounts").await;
    for path in [
        "/accounts",
        "/search?q=%E5%9B%9E%E6%AC%BE",
        "/accounts/T06",
        "/accounts/ACC-1",
        "/accounts/find?q=%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8",
        "/new",
        "/my/content",
        "/",
    ] {
        c.goto(&app.url(path)).await.unwrap();
        let (width, wide) = overflow(c).await;
        assert!(width <= 390, "{path} is {width} px wide: {wide}");
    }
    // The accounts are cards: no table header row is visible, each card names its account.
    c.goto(&app.url("/accounts")).await.unwrap();
    // (The header row stays for screen readers, one pixel high.)
    let header_height = c
        .execute(
            "return document.querySelector('table.accounts thead').getBoundingClientRect().height;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        header_height <= 1.0,
        "the table header is {header_height} px high"
    );
    let row_display = c
        .execute(
            "return getComputedStyle(document.querySelector('table.accounts tbody tr')).display;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(row_display, "grid", "each account a card");
    assert!(displayed(c, "table.accounts td.name a").await);
    // An id never breaks across lines.
    let id_lines = c
        .execute(
            "const e = document.querySelector('.account-id'); return e.getClientRects().length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(id_lines, 1);
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn enter_on_the_only_lookup_hit_opens_the_account_and_arrow_keys_choose_among_several() {
    let app = app_with_accounts().await;
    let browser = browser(390, 844).await;
    let c = &browser.client;
    let password = app.add_user("li.na", "rep").await;
    sign_in(c, &app, "li.na", &password, "/").await;

    // Typed and Enter at once, before the list could appear: still the account.
    let input = c.find(Locator::Id("lookup-input")).await.unwrap();
    input.send_keys(&format!("鑫达五金{ENTER}")).await.unwrap();
    wait_for_path(c, "/accounts/T06").await;

    c.goto(&app.url("/")).await.unwrap();
    let input = c.find(Locator::Id("lookup-input")).await.unwrap();
    input.send_keys("有限公司").await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#lookup-results .lookup-hit"))
        .await
        .expect("the hits appear");
    let hits = c
        .find_all(Locator::Css("#lookup-results .lookup-hit"))
        .await
        .unwrap();
    assert!(hits.len() >= 2, "several companies");
    let second = hits[1].attr("href").await.unwrap().unwrap();
    input
        .send_keys(&format!("{ARROW_DOWN}{ARROW_DOWN}"))
        .await
        .unwrap();
    assert_eq!(
        hits[1].attr("aria-selected").await.unwrap().as_deref(),
        Some("true")
    );
    input.send_keys(ENTER).await.unwrap();
    wait_for_path(c, &second).await;
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn a_pasted_markdown_file_fills_the_editor_and_submitting_says_so() {
    let app = spawn_app().await;
    let browser = browser(1280, 900).await;
    let c = &browser.client;
    let password = app.add_user("chen.jing", "trainer").await;
    sign_in(c, &app, "chen.jing", &password, "/new").await;

    let file = "---\ntitle: 展会名片七日跟进法\nkind: playbook\ntiers: [major]\nscenarios: [exhibition]\nsummary: 展会后七天内的跟进节奏\ntags: [展会, 七日跟进]\n---\n\n## 第一天\n\n发感谢短信。\n";
    c.execute(
        "const body = document.getElementById('f-body'); body.focus();
         const data = new DataTransfer(); data.setData('text/plain', arguments[0]);
         body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));",
        vec![serde_json::Value::String(file.to_owned())],
    )
    .await
    .unwrap();
    let value = |css: &'static str| async move {
        c.find(Locator::Css(css))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    };
    assert_eq!(value("#f-title").await, "展会名片七日跟进法");
    assert_eq!(value("input[name=summary]").await, "展会后七天内的跟进节奏");
    assert_eq!(value("#f-body").await, "## 第一天\n\n发感谢短信。\n");
    let checked = |css: &'static str| async move {
        c.find(Locator::Css(css))
            .await
            .unwrap()
            .prop("checked")
            .await
            .unwrap()
            .as_deref()
            == Some("true")
    };
    assert!(checked("input[name=tiers][value=major]").await);
    assert!(checked("input[name=scenarios][value=exhibition]").await);
    assert!(!checked("input[name=tiers][value=strategic]").await);
    let tags = format!(
        "{} {}",
        value("input[name=tags]").await,
        c.execute(
            "return Array.from(document.querySelectorAll('input[name=tag_pick]:checked')).map(b => b.value).join(' ');",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
    );
    assert!(tags.contains("展会") && tags.contains("七日跟进"), "{tags}");

    // Submitting lands on the item with a message saying what happened.
    c.find(Locator::Css("button[value=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_query(c, "done=submitted").await;
    let flash = c
        .find(Locator::Css(".flash[role=status]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(flash, "已提交审核，审核人会收到它。");
    assert_eq!(
        c.find(Locator::Css("article h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "展会名片七日跟进法"
    );
    browser.client.clone().close().await.unwrap();
}

/// axe-core, installed into the project by `scripts/install-browser-tools.sh` (`scripts/test.sh`
/// runs it when missing); read from disk, so the test needs no network.
const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/browser-tools/node_modules/axe-core/axe.min.js"
);

/// The serious and critical accessibility violations axe finds on the current page.
async fn serious_violations(c: &Client) -> Vec<String> {
    let script = std::fs::read_to_string(AXE).unwrap_or_else(|e| {
        panic!("{AXE}: {e}: run `bash scripts/install-browser-tools.sh` (needs npm)")
    });
    c.execute(&script, vec![]).await.expect("axe loads");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(function (r) {
               done(r.violations
                 .filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; })
                 .map(function (v) {
                   return v.id + ' (' + v.impact + '): ' + v.help + ' at ' +
                     v.nodes.slice(0, 4).map(function (n) { return n.target.join(' '); }).join(', ');
                 }));
             }, function (e) { done(['axe failed: ' + e]); });",
            vec![],
        )
        .await
        .expect("axe runs");
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn axe_finds_no_serious_accessibility_problem_on_the_pages_a_rep_and_a_trainer_use() {
    let app = app_with_accounts().await;
    let trainer = app.add_user("chen.jing", "trainer").await;
    let rep = app.add_user("zhang.wei", "rep").await;
    for (width, height) in [(390, 844), (1280, 900)] {
        let browser = browser(width, height).await;
        let c = &browser.client;
        sign_in(c, &app, "zhang.wei", &rep, "/").await;
        let mut problems = Vec::new();
        for path in [
            "/",
            "/search?q=%E5%9B%9E%E6%AC%BE",
            "/search?q=%E5%9B%9E%E6%AC%BE&kind=case",
            "/accounts",
            "/accounts/ACC-1",
            "/accounts/T06",
        ] {
            c.goto(&app.url(path)).await.unwrap();
            for p in serious_violations(c).await {
                problems.push(format!("{width} px {path}: {p}"));
            }
        }
        browser.client.clone().close().await.unwrap();

        let browser = crate::browser::browser(width, height).await;
        let c = &browser.client;
        sign_in(c, &app, "chen.jing", &trainer, "/new").await;
        for path in ["/new", "/coverage", "/my/content"] {
            c.goto(&app.url(path)).await.unwrap();
            for p in serious_violations(c).await {
                problems.push(format!("{width} px {path}: {p}"));
            }
        }
        browser.client.clone().close().await.unwrap();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
