//! Backups and restores: `POST /api/v1/backup` while the server runs, `playbook backup` when it
//! is stopped, `playbook restore` (refusing to replace a store without `--force`), and round
//! trips that lose nothing, with the search index rebuilt after the restore.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{fixture_content, spawn_app_on, spawn_app_with, Backend, TestApp};

fn playbook() -> Command {
    Command::new(env!("CARGO_BIN_EXE_playbook"))
}

/// Runs `playbook ARGS --data-dir DATA`; returns exit code, stdout, stderr.
fn run(args: &[&str], dir: &Path, data: &Path) -> (Option<i32>, String, String) {
    let output = playbook()
        .args(args)
        .arg(dir)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const ACCOUNTS: &str = "id,name,region,owner,revenue,profit\n\
                        K1,甲公司,华北,li.na,1200000,300000\n\
                        K2,乙公司,华东,li.na,250000,20000\n\
                        K3,丙公司,华南,zhang.wei,90000,-3000\n\
                        K4,丁公司,华北,zhang.wei,5000,100\n";

/// Accounts, an override, a changed tier model and users, written over the API.
async fn write_everything(app: &TestApp) {
    let (status, body) = app.import_accounts(ACCOUNTS).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .put_tier_model(
            r#"{"preset": "pyramid", "score": {"method": "single", "indicator": "profit"}}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .put_override(
            "K3",
            json!({"tier": "major", "reason": "备份测试：战略伙伴"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.add_user("li.na", "rep").await;
    app.add_user("zhao.lei", "manager").await;
    // A file attached to an item lives in the store too.
    let boundary = "backup-test-boundary";
    let response = app
        .client
        .post(app.url("/api/v1/content/strategic-routine-visit/attachments"))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"拜访清单.txt\"\r\n\r\n{ATTACHED}\r\n--{boundary}--\r\n"
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

const ATTACHED: &str = "拜访前确认对方的采购周期。backupwillow";

/// Everything a round trip must keep, as the API shows it.
async fn snapshot(app: &TestApp) -> Value {
    let (_, accounts) = app.list_accounts("limit=1000").await;
    let mut details = Vec::new();
    for id in ["K1", "K2", "K3", "K4"] {
        let (_, mut detail) = app.get_account(id).await;
        // When the tiers were last computed is not data.
        detail["last_change"]["at"] = Value::Null;
        details.push(detail);
    }
    let (_, model) = app.get_tier_model().await;
    let (_, users) = app.get_json("/api/v1/users").await;
    let users: Vec<Value> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| json!([u["name"], u["role"], u["disabled"]]))
        .collect();
    let (_, content) = app.get_json("/api/v1/content").await;
    let (_, _, tiers) = app.tiers_csv().await;
    let (_, attachments) = app
        .get_json("/api/v1/content/strategic-routine-visit/attachments")
        .await;
    let attached = app
        .get("/api/v1/content/strategic-routine-visit/attachments/%E6%8B%9C%E8%AE%BF%E6%B8%85%E5%8D%95.txt")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(attached, ATTACHED);
    json!({
        "accounts": accounts["accounts"],
        "details": details,
        "model": model["model"],
        "users": users,
        "content": content,
        "tiers_csv": String::from_utf8_lossy(&tiers),
        "attachments": attachments,
    })
}

/// The index was rebuilt from the restored store: it finds every item and a known one.
async fn assert_index_matches_the_store(app: &TestApp) {
    let (_, health) = app.get_json("/healthz").await;
    let (status, all) = app.search(&[("limit", "1")]).await;
    assert_eq!(status, 200);
    assert_eq!(all["total"], health["content_items"], "{all}");
    assert!(health["content_items"].as_u64().unwrap() > 0);
    let (_, found) = app.search(&[("q", "拜访")]).await;
    assert!(found["total"].as_u64().unwrap() > 0, "{found}");
    // The words of an attached file come back with the rebuilt index.
    let (_, found) = app.search(&[("q", "backupwillow")]).await;
    assert_eq!(found["hits"][0]["id"], "strategic-routine-visit", "{found}");
}

#[tokio::test]
async fn a_backup_over_the_api_restores_everything_and_the_index_is_rebuilt() {
    let original = tempfile::tempdir().unwrap();
    let app = spawn_app_with(original.path(), &fixture_content()).await;
    write_everything(&app).await;
    let before = snapshot(&app).await;

    let response = app
        .admin
        .post(app.url("/api/v1/backup"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let name = body["name"].as_str().unwrap();
    assert!(name.starts_with("backup-"), "{body}");
    let dir = original.path().join("backups").join(name);
    assert_eq!(body["dir"], dir.display().to_string());
    assert_eq!(body["manifest"]["format"], 1);
    assert!(
        body["manifest"]["trees"]["account_chunks"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(dir.join("manifest.json").exists() && dir.join("store.pbk").exists());
    // A second backup goes into a directory of its own.
    let second: Value = app
        .admin
        .post(app.url("/api/v1/backup"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(second["name"], body["name"]);
    // Written after the backup: not in it.
    app.add_user("after.backup", "rep").await;
    app.stop().await;

    let restored = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(&["restore"], &dir, restored.path());
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("restored"), "{stdout}");
    assert!(!restored.path().join("index").exists());

    // A restore writes a sled store (from either backend's backup).
    let app = spawn_app_on(Backend::Sled, restored.path(), &fixture_content(), |_| {}).await;
    assert_eq!(snapshot(&app).await, before);
    let (_, users) = app.get_json("/api/v1/users").await;
    assert!(!users.to_string().contains("after.backup"));
    assert_index_matches_the_store(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn the_cli_backs_up_a_stopped_server_and_restore_needs_force_to_replace_a_store() {
    // The command-line backup and restore of a data directory: sled's (PostgreSQL has its own
    // dump and restore; see docs/operations.md).
    let data = tempfile::tempdir().unwrap();
    let backup = tempfile::tempdir().unwrap();
    let target = backup.path().join("nightly");
    let app = spawn_app_on(Backend::Sled, data.path(), &fixture_content(), |_| {}).await;
    write_everything(&app).await;
    let before = snapshot(&app).await;

    // While the server runs, the command says so and names the endpoint.
    let (code, _, stderr) = run(&["backup"], &target, data.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("POST /api/v1/backup"), "{stderr}");
    assert!(!target.join("manifest.json").exists());
    app.stop().await;

    let (code, stdout, stderr) = run(&["backup"], &target, data.path());
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("backup written to"), "{stdout}");
    // Not over a backup that exists.
    let (code, _, stderr) = run(&["backup"], &target, data.path());
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not empty"), "{stderr}");

    // Changes after the backup.
    let app = spawn_app_on(Backend::Sled, data.path(), &fixture_content(), |_| {}).await;
    app.add_user("later", "rep").await;
    let (status, _) = app
        .import_accounts("id,name,revenue\nLATE,后来的客户,1\n")
        .await;
    assert_eq!(status, 200);
    app.stop().await;

    // A store is there: refused without --force, nothing changed.
    let (code, _, stderr) = run(&["restore"], &target, data.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("already holds a store"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    let aside = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("store.replaced-")
            })
            .count()
    };
    assert_eq!(aside(data.path()), 0);
    assert!(data.path().join("index").exists());

    // Not from a directory that holds no backup.
    let (code, _, stderr) = run(&["restore", "--force"], backup.path(), data.path());
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not a playbook backup"), "{stderr}");

    // With --force the old store is moved aside, the index removed, the backup restored.
    let (code, stdout, stderr) = run(&["restore", "--force"], &target, data.path());
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("previous store was moved to"), "{stdout}");
    assert_eq!(aside(data.path()), 1);
    assert!(!data.path().join("index").exists());

    let app = spawn_app_on(Backend::Sled, data.path(), &fixture_content(), |_| {}).await;
    assert_eq!(snapshot(&app).await, before);
    let (status, _) = app.get_account("LATE").await;
    assert_eq!(status, 404);
    let (_, users) = app.get_json("/api/v1/users").await;
    assert!(!users.to_string().contains("\"later\""));
    assert_index_matches_the_store(&app).await;
    app.stop().await;
}
