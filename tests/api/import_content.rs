//! Existing knowledge brought in as it is (issue 18): foreign Markdown, Office files, PDFs,
//! spreadsheets, web pages and text, by one upload or one command; hostile files refused one by
//! one; attachments on any item, readable only by the item's readers, their words searchable.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import")
}

/// The distinctive words of each fixture (tests/fixtures/import/body-words.json).
fn body_words() -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join("body-words.json")).unwrap()).unwrap()
}

/// A `multipart/form-data` body: files as `file` parts, then text fields.
fn multipart(files: &[(String, Vec<u8>)], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "import-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, bytes) in files {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    for (name, value) in fields {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_files(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    files: &[(String, Vec<u8>)],
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let (content_type, body) = multipart(files, fields);
    let response = client
        .post(app.url(path))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn read_dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The Markdown folder as one .zip (what a browser upload of a folder is).
fn markdown_zip() -> Vec<u8> {
    let root = fixtures().join("markdown");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for entry in walk(&root) {
        let name = entry
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        zip.start_file(format!("notes/{name}"), options).unwrap();
        zip.write_all(&std::fs::read(&entry).unwrap()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `GET /api/v1/search?q=…` as `client`; the ids found.
async fn found_ids(app: &TestApp, client: &reqwest::Client, q: &str) -> Vec<String> {
    let body: Value = client
        .get(app.url("/api/v1/search"))
        .query(&[("q", q), ("limit", "50")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .filter(|h| h["missing"].as_array().is_none_or(|m| m.is_empty()))
                .map(|h| h["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_trainers_documents_and_foreign_notes_become_drafts_found_by_words_from_their_bodies() {
    let app = spawn_app().await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let mut files = read_dir_files(&fixtures().join("documents"));
    files.push(("notes.zip".to_owned(), markdown_zip()));
    let (status, report) = post_files(&app, &trainer, "/api/v1/content/import", &files, &[]).await;
    assert_eq!(status, 200, "{report}");
    let failed = report["failed"].as_array().unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    let imported = report["imported"].as_array().unwrap();
    // 9 loose documents, 2 + 4 files inside the two zips, 11 notes (the pictures are attached).
    assert!(imported.len() >= 20, "{}", imported.len());
    let by_file = |file: &str| -> Value {
        imported
            .iter()
            .find(|f| f["file"].as_str().unwrap().ends_with(file))
            .cloned()
            .unwrap_or_else(|| panic!("{file} not imported: {report}"))
    };
    // Every file, found by a word only its body has (the importer sees their drafts).
    let words = body_words();
    let mut last_id = String::new();
    for (fixture, expect) in words.as_object().unwrap() {
        if fixture.starts_with("hostile/") || fixture.ends_with(".zip") {
            continue;
        }
        let name = fixture.rsplit('/').next().unwrap();
        let entry = by_file(name);
        let id = entry["id"].as_str().unwrap();
        assert_eq!(entry["kind"], "playbook");
        for word in expect["found"].as_array().unwrap() {
            let word = word.as_str().unwrap();
            assert!(
                app.finds(&trainer, word, id).await,
                "{fixture}: {word} does not find {id}"
            );
        }
        for word in expect["not_found"].as_array().unwrap() {
            let word = word.as_str().unwrap();
            assert!(
                !found_ids(&app, &trainer, word)
                    .await
                    .contains(&id.to_owned()),
                "{fixture}: {word} must not be in the text"
            );
        }
        last_id = id.to_owned();
    }
    assert!(!last_id.is_empty());
    // The zips' files too.
    for (zip, words) in [
        ("gbk-names.zip", vec!["回访话术", "来电登记"]),
        ("mixed.zip", vec!["团购报价单"]),
    ] {
        for word in words {
            let ids = found_ids(&app, &trainer, word).await;
            assert!(
                imported
                    .iter()
                    .any(|f| f["file"].as_str().unwrap().starts_with(zip)
                        && ids.contains(&f["id"].as_str().unwrap().to_owned())),
                "{zip}: {word} finds {ids:?}"
            );
        }
    }

    // A scanned PDF is attached, with the message; no word is made up.
    let scan = by_file("scanned-contract.pdf");
    assert!(
        scan["warnings"][0]
            .as_str()
            .unwrap()
            .contains("scanned PDF: no text found"),
        "{scan}"
    );
    // Drafts are the trainer's own: a rep finds none of them.
    let rep = app.client_as("rep.x", "rep").await;
    assert!(found_ids(&app, &rep, "pilotfeather").await.is_empty());

    // Foreign front matter: title, tags, date and unknown fields kept.
    let hexo = by_file("hexo-post.md");
    assert_eq!(hexo["title"], "展会后的三通电话");
    let (_, item) = send_get(
        &app,
        &trainer,
        &format!("/api/v1/content/{}", hexo["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(item["status"], "draft");
    assert_eq!(item["owner"], "chen.jing");
    let tags: Vec<&str> = item["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tags.contains(&"展会") && tags.contains(&"销售"), "{tags:?}");
    assert_eq!(item["meta"]["date"], "2023-05-01", "{item}");
    assert!(item["meta"]["imported_from"]
        .as_str()
        .unwrap()
        .ends_with("hexo-post.md"));

    // Obsidian: the wiki link points at the other note, the picture is attached and shown.
    let note = by_file("客户分级笔记.md");
    let follow = by_file("回款跟进.md");
    let note_id = note["id"].as_str().unwrap();
    let (_, item) = send_get(&app, &trainer, &format!("/api/v1/content/{note_id}")).await;
    let body = item["body"].as_str().unwrap();
    assert!(
        body.contains(&format!("](/content/{})", follow["id"].as_str().unwrap())),
        "{body}"
    );
    assert!(!body.contains("[["), "{body}");
    assert!(
        body.contains(&format!("/content/{note_id}/attachments/pareto.png")),
        "{body}"
    );
    let picture = trainer
        .get(app.url(&format!("/content/{note_id}/attachments/pareto.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(picture.status(), 200);
    assert_eq!(picture.headers()["content-type"], "image/png");
    // The original of a document downloads, for its readers only.
    let docx = by_file("english-proposal.docx");
    let docx_id = docx["id"].as_str().unwrap();
    let (status, list) = send_get(
        &app,
        &trainer,
        &format!("/api/v1/content/{docx_id}/attachments"),
    )
    .await;
    assert_eq!(status, 200);
    let url = list["attachments"][0]["url"].as_str().unwrap().to_owned();
    let original = trainer.get(app.url(&url)).send().await.unwrap();
    assert_eq!(original.status(), 200);
    let bytes = original.bytes().await.unwrap();
    assert_eq!(
        bytes.as_ref(),
        std::fs::read(fixtures().join("documents/english-proposal.docx")).unwrap()
    );
    let hidden = rep.get(app.url(&url)).send().await.unwrap();
    assert_eq!(
        hidden.status(),
        404,
        "a draft's file is as hidden as the draft"
    );
}

async fn send_get(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, Value) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn hostile_files_get_a_message_each_and_the_good_ones_still_import() {
    let app = spawn_app().await;
    let trainer = app.client_as("chen.jing", "trainer").await;
    let (_, before) = send_get(&app, &app.admin, "/api/v1/content").await;
    let mut files = read_dir_files(&fixtures().join("hostile"));
    files.push((
        "ok.md".to_owned(),
        "# 一条好笔记\n\n合规的内容 wellformedgrove。\n"
            .as_bytes()
            .to_vec(),
    ));
    let (status, report) = post_files(
        &app,
        &trainer,
        "/api/v1/content/import",
        &files,
        &[("kind", "case")],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let message = |file: &str| -> String {
        report["failed"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"].as_str().unwrap().starts_with(file))
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{file} was not refused: {report}"))
    };
    assert!(message("encrypted.docx").contains("password"), "{report}");
    assert!(!message("corrupt.docx").is_empty());
    assert!(!message("not-really.pdf").is_empty());
    assert!(
        message("bomb.zip").to_lowercase().contains("zip"),
        "{report}"
    );
    assert!(
        message("many-entries.zip").contains("10000")
            || message("many-entries.zip").contains("10,000")
            || message("many-entries.zip").contains("entries"),
        "{report}"
    );
    assert!(message("traversal.zip/../evil.md").len() > 10, "{report}");
    // The good files import: the note, and the traversal zip's safe entry.
    let imported: Vec<&str> = report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(imported.contains(&"ok.md"), "{imported:?}");
    assert!(
        imported.contains(&"traversal.zip/ok/fine.md"),
        "{imported:?}"
    );
    assert!(report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["kind"] == "case"));
    // Nothing stored before changed; only the new drafts were added, the importer's own.
    let (_, after) = send_get(&app, &app.admin, "/api/v1/content").await;
    assert_eq!(after, before);
    let (_, mine) = send_get(&app, &trainer, "/api/v1/my/content").await;
    assert_eq!(
        mine.as_array().map(Vec::len),
        Some(imported.len()),
        "{mine}"
    );

    // Reps may not import; nothing sent is not an import.
    let rep = app.client_as("rep.y", "rep").await;
    let (status, _) = post_files(&app, &rep, "/api/v1/content/import", &files[..1], &[]).await;
    assert_eq!(status, 403);
    let (status, body) = post_files(&app, &trainer, "/api/v1/content/import", &[], &[]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post_files(
        &app,
        &trainer,
        "/api/v1/content/import",
        &files[..1],
        &[("kind", "lesson")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_kind");
}

#[tokio::test]
async fn a_file_attached_to_a_case_review_is_listed_searchable_and_only_for_its_readers() {
    let app = spawn_app().await;
    let (status, body) = app
        .import_accounts("id,name,owner,revenue\nZZ-1,Quixotica Trading,rep.a,1000\n")
        .await;
    assert_eq!(status, 200, "{body}");
    let manager = app.client_as("boss", "manager").await;
    let (status, review) = {
        let response = manager
            .post(app.url("/api/v1/accounts/ZZ-1/reviews"))
            .json(&serde_json::json!({
                "title": "续约复盘", "scenario": "negotiation",
                "background": "客户要求折扣。", "actions": "守住价格。", "result": "won",
            }))
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    assert_eq!(status, 201, "{review}");
    let id = review["id"].as_str().unwrap().to_owned();
    let proposal = std::fs::read(fixtures().join("documents/客户拜访复盘.pdf")).unwrap();
    let (status, list) = post_files(
        &app,
        &manager,
        &format!("/api/v1/content/{id}/attachments"),
        &[("客户方案.pdf".to_owned(), proposal.clone())],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["attachments"][0]["name"], "客户方案.pdf");
    assert_eq!(list["attachments"][0]["searchable"], true);
    // Words inside the attached PDF find the review.
    assert!(app.finds(&manager, "回款承诺函", &id).await);
    let url = list["attachments"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(
        manager.get(app.url(&url)).send().await.unwrap().status(),
        200
    );
    // rep.a owns the account and reads the review; rep.b may not, nor download its file.
    let owner = app.client_as("rep.a", "rep").await;
    assert_eq!(owner.get(app.url(&url)).send().await.unwrap().status(), 200);
    let other = app.client_as("rep.b", "rep").await;
    assert_eq!(other.get(app.url(&url)).send().await.unwrap().status(), 404);
    assert!(!found_ids(&app, &other, "回款承诺函").await.contains(&id));
    // Only those who may edit it attach files.
    let (status, _) = post_files(
        &app,
        &other,
        &format!("/api/v1/content/{id}/attachments"),
        &[("x.txt".to_owned(), b"x".to_vec())],
        &[],
    )
    .await;
    assert_eq!(status, 404);
    // The item page lists the file.
    let page = manager
        .get(app.url(&format!("/content/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("客户方案.pdf"),
        "the page lists the attachment"
    );
}
