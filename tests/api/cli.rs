//! The command line: `playbook import accounts` and `playbook demo accounts`, run as a user
//! would run them.

use std::process::Command;

use crate::helpers::{fixture_content, spawn_app_configured};

fn playbook() -> Command {
    Command::new(env!("CARGO_BIN_EXE_playbook"))
}

#[test]
fn import_accounts_lists_every_rejected_row_and_exits_1_when_some_rows_fail() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("accounts.csv");
    std::fs::write(
        &file,
        "id,name,revenue,备注\nA,甲,100,x\nB,乙,abc,y\nC,丙,300,z\n",
    )
    .unwrap();

    let output = playbook()
        .args(["import", "accounts"])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("2 imported (new), 0 updated, 1 rejected"),
        "{stdout}"
    );
    assert!(
        stderr.contains("row 3, column \"revenue\", value \"abc\": "),
        "{stderr}"
    );
    assert!(stderr.contains("\"备注\""), "{stderr}");

    // Importing again updates instead of adding.
    std::fs::write(&file, "id,name,revenue\nA,甲,150\n").unwrap();
    let output = playbook()
        .args(["import", "accounts"])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("0 imported (new), 1 updated"));
}

#[test]
fn import_accounts_exits_2_and_says_why_when_nothing_can_be_imported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("accounts.csv");
    std::fs::write(&file, "name,revenue\nx,1\n").unwrap();

    let output = playbook()
        .args(["import", "accounts"])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("there is no id"));
}

#[tokio::test]
async fn import_accounts_tells_to_stop_the_server_when_it_holds_the_store() {
    let data = tempfile::tempdir().unwrap();
    let app = spawn_app_configured(data.path(), &fixture_content(), |_| {}).await;
    let file = data.path().join("accounts.csv");
    std::fs::write(&file, "id,name\nA,甲\n").unwrap();

    let output = playbook()
        .args(["import", "accounts"])
        .arg(&file)
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("stop the server or use POST /api/v1/accounts/import"),
        "{stderr}"
    );
    app.stop().await;
}

#[test]
fn demo_accounts_are_the_same_for_the_same_seed() {
    let run = |seed: &str| {
        playbook()
            .args(["demo", "accounts", "--count", "20", "--seed", seed])
            .output()
            .unwrap()
            .stdout
    };
    let first = run("5");
    assert_eq!(first, run("5"));
    assert_ne!(first, run("6"));
    let text = String::from_utf8(first).unwrap();
    assert!(text.starts_with("id,name,aliases,industry,region,owner,revenue"));
    assert_eq!(text.lines().count(), 1 + 20 + 12);
    assert!(text.contains("DEMO-001,"));
}
