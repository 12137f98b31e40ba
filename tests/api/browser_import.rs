//! The account import page in a real browser, at phone and desktop width (issue 18): a manager
//! picks a CRM export, sees how its columns are read, imports, sees the row errors and the tier
//! changes, and downloads the rejected rows.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{browser, sign_in};
use crate::helpers::spawn_app;

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

#[tokio::test]
async fn a_manager_imports_a_crm_export_on_the_page_at_phone_and_desktop_width() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/accounts/crm-export-en.xlsx");
    for (width, height) in [(390, 844), (1366, 900)] {
        let app = spawn_app().await;
        let password = app.add_user("zhao.lei", "manager").await;
        let browser = browser(width, height).await;
        let c = &browser.client;
        sign_in(c, &app, "zhao.lei", &password, "/accounts/import").await;

        // Choosing the file sends it (the page's script): its columns come back.
        c.find(Locator::Id("import-file"))
            .await
            .unwrap()
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
        wait_for(c, "table.columns").await;
        let owner = c
            .execute(
                "return Array.from(document.querySelectorAll('table.columns tr')).find(r => r.textContent.includes('Account Owner')).querySelector('select').value;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(owner, "Account Owner=owner", "{width}");

        c.find(Locator::Css("button[value=import]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let result = wait_for(c, "#import-result").await;
        let text = result.text().await.unwrap();
        assert!(text.contains("27 个新客户"), "{width}: {text}");
        assert!(text.contains("3 行未导入"), "{width}: {text}");
        let rows = c
            .find_all(Locator::Css("table.row-errors tbody tr"))
            .await
            .unwrap();
        assert_eq!(rows.len(), 3, "{width}");
        let first = rows[0].text().await.unwrap();
        assert!(first.contains("Accounts") && first.contains('8'), "{first}");

        // The rejected rows download with the session, as a file to fix.
        let href = c
            .find(Locator::Css("#import-result a[download]"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .expect("a download link");
        let csv = c
            .execute_async(
                "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => r.text()).then(done, e => done('failed: ' + e));",
                vec![serde_json::json!(href)],
            )
            .await
            .unwrap();
        let csv = csv.as_str().unwrap();
        assert_eq!(csv.lines().count(), 4, "{csv}");
        assert!(csv.contains("error 错误") && csv.contains("n/a"), "{csv}");

        // Nothing forces sideways scrolling of the page (wide tables scroll in their box).
        let scroll = c
            .execute("return document.documentElement.scrollWidth;", vec![])
            .await
            .unwrap();
        assert!(
            scroll.as_u64().unwrap() <= u64::from(width),
            "{width}: page is {scroll} px wide"
        );
        browser.client.clone().close().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn a_trainer_uploads_documents_and_notes_on_the_page_and_opens_a_draft_with_its_original() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let files: Vec<String> = [
        "documents/报价策略方案.docx",
        "documents/新员工培训课件.pptx",
        "documents/客户拜访复盘.pdf",
        "documents/年度销售数据.xlsx",
        "markdown/hexo-post.md",
        "markdown/typora-note.md",
    ]
    .iter()
    .map(|f| fixtures.join(f).display().to_string())
    .collect();
    for (width, height) in [(390, 844), (1366, 900)] {
        let app = spawn_app().await;
        let password = app.add_user("chen.jing", "trainer").await;
        let browser = browser(width, height).await;
        let c = &browser.client;
        sign_in(c, &app, "chen.jing", &password, "/content/import").await;
        c.find(Locator::Id("import-files"))
            .await
            .unwrap()
            .send_keys(&files.join("\n"))
            .await
            .unwrap();
        c.find(Locator::Css("button[value=import]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let result = wait_for(c, "#import-result").await;
        let text = result.text().await.unwrap();
        assert!(text.contains("6 个文件已成为草稿"), "{width}: {text}");
        assert!(text.contains("0 个文件未导入"), "{width}: {text}");
        // Open the Word proposal's draft: its text, and the original to download.
        let link = c
            .find(Locator::XPath(
                "//ul[contains(@class,'imported')]//a[contains(., '报价策略方案')]",
            ))
            .await
            .unwrap();
        link.click().await.unwrap();
        let body = wait_for(c, ".markdown").await.text().await.unwrap();
        assert!(body.contains("折扣审批单"), "{width}: {body}");
        let original = c
            .find(Locator::Css("#attachments a"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(original, "报价策略方案.docx");
        let scroll = c
            .execute("return document.documentElement.scrollWidth;", vec![])
            .await
            .unwrap();
        assert!(
            scroll.as_u64().unwrap() <= u64::from(width),
            "{width}: page is {scroll} px wide"
        );
        browser.client.clone().close().await.unwrap();
        app.stop().await;
    }
}
