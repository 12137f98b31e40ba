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
        stderr.contains("row 3, column C \"revenue\", value \"abc\": "),
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
    std::fs::write(&file, "revenue,profit\n1,2\n").unwrap();

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
    // sled's lock: one process per data directory (on PostgreSQL, nodes share the store).
    let data = tempfile::tempdir().unwrap();
    let app = crate::helpers::spawn_app_on(
        crate::helpers::Backend::Sled,
        data.path(),
        &fixture_content(),
        |_| {},
    )
    .await;
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

fn run_with_stdin(
    args: &[&str],
    data: &std::path::Path,
    stdin: &str,
) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut child = playbook()
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .args(crate::helpers::store_args(data))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn user_commands_add_from_stdin_generate_disable_and_list_and_the_user_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let (code, out, err) = run_with_stdin(
        &["user", "add", "li.na", "--role", "manager"],
        &data,
        "a passphrase from a script\n",
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("added li.na (manager)") && !out.contains("password for"),
        "{out}"
    );

    // An empty line: a password is generated and printed once.
    let (code, out, _) = run_with_stdin(&["user", "add", "zhang.wei", "--role", "rep"], &data, "");
    assert_eq!(code, Some(0));
    let generated = out
        .lines()
        .find_map(|l| l.strip_prefix("password for zhang.wei (shown this once): "))
        .expect("a generated password")
        .to_owned();

    let (code, _, err) = run_with_stdin(&["user", "add", "li.na", "--role", "rep"], &data, "");
    assert_eq!(code, Some(1));
    assert!(err.contains("already exists"), "{err}");
    let (code, _, err) = run_with_stdin(&["user", "add", "x", "--role", "boss"], &data, "");
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown role \"boss\""), "{err}");
    let (code, _, err) = run_with_stdin(&["user", "add", "y", "--role", "rep"], &data, "short\n");
    assert_eq!(code, Some(1));
    assert!(err.contains("password: a password has 10"), "{err}");

    let (code, out, _) = run_with_stdin(&["user", "disable", "zhang.wei"], &data, "");
    assert_eq!(code, Some(0), "{out}");
    let (_, list, _) = run_with_stdin(&["user", "list"], &data, "");
    assert!(
        list.lines()
            .any(|l| l.starts_with("li.na") && l.contains("manager") && l.contains("active")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("zhang.wei") && l.contains("disabled")),
        "{list}"
    );

    // The server uses the same store: li.na signs in, zhang.wei (disabled) cannot.
    let app = spawn_app_configured(&data, &fixture_content(), |_| {}).await;
    let sign_in = |name: &str, password: &str| {
        crate::helpers::plain_client()
            .post(app.url("/api/v1/session"))
            .json(&serde_json::json!({"name": name, "password": password}))
            .send()
    };
    assert_eq!(
        sign_in("li.na", "a passphrase from a script")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        sign_in("zhang.wei", &generated).await.unwrap().status(),
        401
    );

    let (code, out, err) = run_with_stdin(&["user", "list"], &data, "");
    if crate::helpers::Backend::of_this_run() == crate::helpers::Backend::Sled {
        // While the server runs, the command says the store is in use and what to do instead.
        assert_eq!(code, Some(2));
        assert!(
            err.contains("in use") && err.contains("/api/v1/users"),
            "{err}"
        );
    } else {
        // A shared database: commands work beside running nodes.
        assert_eq!(code, Some(0), "{err}");
        assert!(out.contains("li.na"), "{out}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_first_start_creates_an_admin_with_a_password_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    /// Kills the server when the test ends, even by a failed assertion.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = playbook()
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--demo"])
        .arg("--data-dir")
        .arg(&data)
        .arg("--content-dir")
        .arg(fixture_content())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let server = KillOnDrop(server);
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads the console to the end (a closed pipe would break the server's logging), handing
    // over the printed passwords once the server listens.
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut passwords = std::collections::HashMap::new();
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [name, role, password] = words[..] {
                if ["admin", "rep", "trainer", "manager"].contains(&role) {
                    passwords.insert(name.to_owned(), password.to_owned());
                }
            }
            if line.contains("Playbook listening") {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(passwords.clone());
                }
            }
        }
    });
    let passwords: std::collections::HashMap<String, String> = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the server starts and says where it listens");
    let address = format!("http://127.0.0.1:{port}");
    let admin = passwords
        .get("admin")
        .expect("an admin password was printed");
    assert_eq!(admin.len(), 20);
    for demo in ["zhang.wei", "li.na", "wang.fang", "chen.jing", "zhao.lei"] {
        assert!(passwords.contains_key(demo), "{demo}: {passwords:?}");
    }
    let client = crate::helpers::signed_in_client(&address, "admin", admin).await;
    let me: serde_json::Value = client
        .get(format!("{address}/api/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");
    let rep =
        crate::helpers::signed_in_client(&address, "zhang.wei", &passwords["zhang.wei"]).await;
    let mine: serde_json::Value = rep
        .get(format!("{address}/api/v1/accounts?owner=zhang.wei&limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine["accounts"][0]["figures_visible"], true,
        "a demo rep sees their own figures"
    );
    let theirs: serde_json::Value = rep
        .get(format!("{address}/api/v1/accounts?owner=li.na&limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["accounts"][0]["figures_visible"], false);
    drop(server);

    // A second start prints no password: the admin exists.
    let output = playbook()
        .args(["user", "list", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        list.lines().filter(|l| l.contains(" admin ")).count(),
        1,
        "{list}"
    );
}

#[test]
fn import_accounts_reads_workbooks_takes_a_mapping_and_writes_the_rejected_rows() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/accounts");
    let rejected = dir.path().join("rejected.csv");
    let output = playbook()
        .args(["import", "accounts"])
        .arg(fixtures.join("crm-export-zh.xlsx"))
        .arg("--rejected")
        .arg(&rejected)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("23 imported (new), 0 updated, 2 rejected"),
        "{stdout}"
    );
    assert!(stderr.contains("sheet \""), "{stderr}");
    assert!(stderr.contains("row 18, column E \"回款金额\""), "{stderr}");
    let file = std::fs::read_to_string(&rejected).unwrap();
    assert_eq!(file.lines().count(), 3, "{file}");
    assert!(file.starts_with("\u{feff}客户编号,客户全称"));

    let output = playbook()
        .args(["import", "accounts"])
        .arg(fixtures.join("unmapped.csv"))
        .args([
            "--map",
            "Kunde=name",
            "--map",
            "Umsatz=revenue",
            "--source",
            "de-crm",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("5 imported (new)"), "{stdout}");
}

#[tokio::test]
async fn import_content_brings_a_folder_of_notes_and_documents_in_with_one_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, out, err) = run_with_stdin(
        &["user", "add", "chen.jing", "--role", "trainer"],
        &data,
        "a passphrase from a script\n",
    );
    assert_eq!(code, Some(0), "{out}{err}");
    // One folder holding the foreign notes and the documents, as a trainer's disk would.
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let folder = dir.path().join("资料");
    copy_dir(&fixtures.join("markdown"), &folder.join("笔记"));
    copy_dir(&fixtures.join("documents"), &folder.join("文档"));
    let output = playbook()
        .args(["import", "content"])
        .arg(&folder)
        .args(["--owner", "chen.jing", "--content-dir"])
        .arg(crate::helpers::fixture_content())
        .arg("--data-dir")
        .arg(&data)
        .args(crate::helpers::store_args(&data))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("files imported as drafts of chen.jing, 0 not imported"),
        "{stdout}"
    );
    assert!(stderr.contains("scanned PDF: no text found"), "{stderr}");

    // The server on that store: each file is found by a word from its body.
    let app = crate::helpers::spawn_app_with(&data, &crate::helpers::fixture_content()).await;
    let trainer =
        crate::helpers::signed_in_client(&app.address, "chen.jing", "a passphrase from a script")
            .await;
    for (word, file) in [
        ("展会邀约函", "笔记/hexo-post.md"),
        ("大客户分层", "笔记/obsidian/客户分级笔记.md"),
        (
            "让步底线",
            "笔记/Notion 价格谈判 3f2a9c1e0b4d4e6f8a7b6c5d4e3f2a1b.md",
        ),
        ("折扣审批单", "文档/报价策略方案.docx"),
        ("样机借用协议", "文档/新员工培训课件.pptx"),
        ("回款承诺函", "文档/客户拜访复盘.pdf"),
        ("渠道返利", "文档/年度销售数据.xlsx"),
    ] {
        let id = stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{file}: imported as ")))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("{file} not imported: {stdout}"))
            .to_owned();
        assert!(app.finds(&trainer, word, &id).await, "{word} → {id}");
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
